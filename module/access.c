/* access.c -- who may do what on a desk (SPEC.md section 7).
 *
 * With helpdesk.enforce-identity on, the connection's ACL user is the caller.
 * The `default` user and the members of D:admins are desk admins and may do
 * everything. A user whose name is an agent id of the desk acts as that
 * agent: it reads the desk, takes tickets for itself, and changes, notes,
 * messages and closes the tickets assigned to it. Everyone else is refused.
 * Refusals reply DENIED and are written to ACL LOG.
 *
 * Plain Redis ACL rules (commands, key patterns on the desk name) are applied
 * by Redis before the module sees the command, as for any command. */
#include <stdio.h>
#include <string.h>
#include "helpdesk.h"

/* Each command's rule is in its HdCommand entry (HD_ACCESS_*); commands that
 * name none follow their flags: readonly ones are for agents too. */
static HdAccess ruleFor(const HdCommand *c) {
    if (c->access != HD_ACCESS_DEFAULT) return c->access;
    return strstr(c->flags, "readonly") ? HD_ACCESS_READ : HD_ACCESS_ADMIN;
}

int accessIsAdmin(Hd *hd, RedisModuleString *user) {
    size_t len;
    const char *u = RedisModule_StringPtrLen(user, &len);
    if (len == 7 && !memcmp(u, "default", 7)) return 1;
    return hdSIsMember(hd, hdAdminsKey(hd), user);
}

static int isAgent(Hd *hd, RedisModuleString *user) {
    size_t len;
    const char *u = RedisModule_StringPtrLen(user, &len);
    return hdValidId(u, len) && hdKeyExists(hd, hdAgentKey(hd, user));
}

static int ticketAssignedTo(Hd *hd, RedisModuleString *tidArg, RedisModuleString *user) {
    long long tid;
    if (!hdTicketIdArg(tidArg, &tid)) return 0;
    RedisModuleString *agent = hdHashGet(hd, hdTicketKey(hd, tid), "assigned_agent");
    return agent && RedisModule_StringCompare(agent, user) == 0;
}

static int ticketUnassigned(Hd *hd, RedisModuleString *tidArg) {
    long long tid;
    if (!hdTicketIdArg(tidArg, &tid)) return 0;
    return hdHashGet(hd, hdTicketKey(hd, tid), "assigned_agent") == NULL;
}

static int agentMay(Hd *hd, HdAccess rule, RedisModuleString *user,
                    RedisModuleString **argv, int argc) {
    switch (rule) {
    case HD_ACCESS_READ: return 1;
    case HD_ACCESS_SELF: return argc > 2 && RedisModule_StringCompare(argv[2], user) == 0;
    case HD_ACCESS_OWN_TICKET: return argc > 2 && ticketAssignedTo(hd, argv[2], user);
    case HD_ACCESS_TAKE_TICKET:
        return argc == 4 && RedisModule_StringCompare(argv[3], user) == 0 &&
               (ticketUnassigned(hd, argv[2]) || ticketAssignedTo(hd, argv[2], user));
    default: return 0;
    }
}

static void logDenial(Hd *hd, RedisModuleString *user, RedisModuleString *object) {
    RedisModuleUser *u = RedisModule_GetModuleUserFromUserName(user);
    if (!u) return;
    RedisModule_ACLAddLogEntry(hd->ctx, u, object, REDISMODULE_ACL_LOG_CMD);
    RedisModule_FreeModuleUser(u);
}

int accessCheck(Hd *hd, const HdCommand *c, RedisModuleString **argv, int argc) {
    if (!hdg.enforce_identity) return 1;
    RedisModuleString *user = RedisModule_GetCurrentUserName(hd->ctx);
    if (!user || accessIsAdmin(hd, user)) return 1;

    /* DESK.CONFIG GET is a readonly subcommand, so agents may read it. */
    HdAccess rule = ruleFor(c);
    int agent = isAgent(hd, user);
    if (agent && agentMay(hd, rule, user, argv, argc)) return 1;

    const char *u = RedisModule_StringPtrLen(user, NULL);
    logDenial(hd, user, argv[0]);
    if (!agent)
        hdError(hd, "DENIED", "user '%s' is neither an agent nor an admin of desk '%.*s'",
                u, (int)hd->dlen, hd->dname);
    else if (rule == HD_ACCESS_ADMIN)
        hdError(hd, "DENIED", "%s needs a desk admin; agent '%s' may not run it "
                "(see DESK.ADMIN)", c->name, u);
    else
        hdError(hd, "DENIED", "agent '%s' may only act on its own tickets and for itself "
                "with %s", u, c->name);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* DESK.ADMIN D ADD|REMOVE user / DESK.ADMIN D LIST                          */
/* ------------------------------------------------------------------------ */

static int cmdDeskAdmin(Hd *hd, RedisModuleString **argv, int argc) {
    RedisModuleString *key = hdAdminsKey(hd);
    if (argc == 3 && hdArgIs(argv[2], "LIST")) {
        if (!hdCheckTypeOrReply(hd, key, REDISMODULE_KEYTYPE_SET)) return REDISMODULE_OK;
        RedisModuleCallReply *r = RedisModule_Call(hd->ctx, "SMEMBERS", "s", key);
        if (!r) return RedisModule_ReplyWithEmptyArray(hd->ctx);
        RedisModule_ReplyWithCallReply(hd->ctx, r);
        RedisModule_FreeCallReply(r);
        return REDISMODULE_OK;
    }
    if (argc != 4 || !(hdArgIs(argv[2], "ADD") || hdArgIs(argv[2], "REMOVE")))
        return hdSyntax(hd, "syntax: DESK.ADMIN desk ADD|REMOVE user, or DESK.ADMIN desk LIST");
    size_t len;
    const char *u = RedisModule_StringPtrLen(argv[3], &len);
    if (len == 0 || len > 128)
        return hdError(hd, "INVALID", "user name must be 1-128 bytes, got %zu", len);
    if (!hdValidUtf8(u, len))
        return hdError(hd, "INVALID", "user name must be valid UTF-8 text");
    if (!hdCheckTypeOrReply(hd, key, REDISMODULE_KEYTYPE_SET)) return REDISMODULE_OK;
    if (hdArgIs(argv[2], "ADD")) fxSAdd(hd, key, argv[3]);
    else fxSRem(hd, key, argv[3]);
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

static RedisModuleCommandArg argsAdmin[] = {
    {.name = "action", .type = REDISMODULE_ARG_TYPE_ONEOF, .subargs = (RedisModuleCommandArg[]){
        {.name = "add", .type = REDISMODULE_ARG_TYPE_STRING, .token = "ADD"},
        {.name = "remove", .type = REDISMODULE_ARG_TYPE_STRING, .token = "REMOVE"},
        {.name = "list", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "LIST"},
        {0}}},
    {0}
};

HdCommand hdAccessCommands[] = {
    {"desk.admin", cmdDeskAdmin, "write deny-oom fast", -3, 1,
     "Add or remove a desk admin (an ACL user name), or list them; admins may do "
     "everything when helpdesk.enforce-identity is on", "O(1), LIST O(admins)", argsAdmin},
    {NULL}
};
