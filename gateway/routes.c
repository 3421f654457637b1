/* routes.c -- the native routes, /v1/desks/{desk}/... (SPEC section 10).
 *
 * Each route checks its query and JSON body completely, then sends exactly
 * one module command as the caller and maps the reply: errors by their
 * code word (http.c), values by the reply's shape (reply.c). Creates read
 * the new object back (a second, read-only command) to answer 201 with it.
 * No permission logic here: Redis decides, as the caller's ACL user. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/http.h>
#include "gw.h"

#define DESK(q) ((q)->desk)
#define ID(q) ((q)->seg[4])

/* ---- reply handlers ------------------------------------------------------ */

static void replyOk(Req *q, redisReply *r) {
    reqJson(q, q->ok_status ? q->ok_status : 200, json_pack("{s:b}", "ok", 1));
}

/* A map, or 404 for nil. */
static void replyMapOr404(Req *q, redisReply *r) {
    if (r->type == REDIS_REPLY_NIL) {
        reqError(q, 404, "NOTFOUND", "%s does not exist", q->path);
        return;
    }
    replyGeneric(q, r);
}

/* 1 -> 204, 0 -> 404 (DEL-style replies). */
static void replyDeleted(Req *q, redisReply *r) {
    if (r->type == REDIS_REPLY_INTEGER && r->integer > 0) reqNoContent(q);
    else reqError(q, 404, "NOTFOUND", "%s does not exist", q->path);
}

static void replyVersion(Req *q, redisReply *r) {
    reqJson(q, 200, json_pack("{s:o}", "version", replyToJson(r, SHAPE_VALUE)));
}

/* The created object read back: 201 with Location. */
static void replyCreatedObject(Req *q, redisReply *r) {
    evhttp_add_header(evhttp_request_get_output_headers(q->er), "Location", q->aux);
    q->ok_status = 201;
    q->shape = SHAPE_MAP;
    if (r->type == REDIS_REPLY_NIL) {       /* deleted in between: still created */
        reqJson(q, 201, json_pack("{s:s}", "location", q->aux));
        return;
    }
    replyGeneric(q, r);
}

/* After a create: the new id is known; read the object back. aux holds the
 * read command name until here. */
static void readBack(Req *q, redisReply *r, const char *collection) {
    char id[96], getcmd[32];
    if (r->type == REDIS_REPLY_INTEGER) snprintf(id, sizeof(id), "%lld", r->integer);
    else snprintf(id, sizeof(id), "%.*s", (int)(r->len < 90 ? r->len : 90), r->str ? r->str : "");
    snprintf(getcmd, sizeof(getcmd), "%.31s", q->aux);
    snprintf(q->aux, sizeof(q->aux), "/v1/desks/%.64s/%.12s/%.40s", q->desk, collection, id);
    Args a;
    argsInit(&a);
    argsAdd(&a, getcmd);
    argsAdd(&a, DESK(q));
    argsAdd(&a, id);
    reqSend(q, &a, replyCreatedObject);
}

static void replyTicketCreated(Req *q, redisReply *r) { readBack(q, r, "tickets"); }
static void replyCustomerCreated(Req *q, redisReply *r) { readBack(q, r, "customers"); }
static void replyAgentCreated(Req *q, redisReply *r) {
    /* AGENT.CREATE answers OK: the id is the one in the body. */
    redisReply fake = { .type = REDIS_REPLY_STRING, .str = (char *)bodyStr(q, "id"),
                        .len = strlen(bodyStr(q, "id")) };
    readBack(q, &fake, "agents");
}

/* ---- small helpers -------------------------------------------------------- */

static void cmd2(Args *a, const char *name, Req *q) {
    argsInit(a);
    argsAdd(a, name);
    argsAdd(a, DESK(q));
}

static void cmd3(Args *a, const char *name, Req *q) {
    cmd2(a, name, q);
    argsAdd(a, ID(q));
}

static void addInt(Args *a, json_t *v) {
    if (json_is_integer(v)) argsAddf(a, "%lld", (long long)json_integer_value(v));
    else if (json_is_string(v)) argsAdd(a, json_string_value(v));
    else if (json_is_real(v)) argsAddf(a, "%.17g", json_real_value(v));
}

/* Optional body field as a command option: `TOKEN value`. */
static void optField(Args *a, Req *q, const char *field, const char *token) {
    json_t *v = json_object_get(q->body, field);
    if (!v || json_is_null(v)) return;
    argsAdd(a, token);
    if (json_is_string(v)) argsAdd(a, json_string_value(v));
    else addInt(a, v);
}

/* If-Match: <version> (quotes allowed) -> IFVERSION v. 0 when answered 400. */
static int ifMatch(Req *q, Args *a) {
    const char *h = reqHeader(q, "If-Match");
    if (!h) return 1;
    char buf[32];
    size_t n = strlen(h);
    if (n >= 2 && h[0] == '"' && h[n - 1] == '"') { h++; n -= 2; }
    if (n == 0 || n >= sizeof(buf) || strspn(h, "0123456789") != n) {
        reqError(q, 400, "INVALID", "If-Match must be the ticket's version, an integer");
        return 0;
    }
    memcpy(buf, h, n);
    buf[n] = '\0';
    argsAdd(a, "IFVERSION");
    argsAdd(a, buf);
    return 1;
}

/* Parses the body (if any) and checks it against spec; 0 when answered. */
static int body(Req *q, const char *spec, int required) {
    return reqParseBody(q, required) && reqBodyCheck(q, spec);
}

static void sendShaped(Req *q, Args *a, Shape s, const char *wrap) {
    q->shape = s;
    q->wrap = wrap;
    reqSend(q, a, replyGeneric);
}

/* ---- tickets --------------------------------------------------------------- */

static void ticketCreate(Req *q) {
    if (!body(q, "subject:s!,body:s,customer:I,priority:i,category:s,sla_seconds:i,route:b", 1))
        return;
    Args a;
    cmd2(&a, "TICKET.CREATE", q);
    argsAdd(&a, bodyStr(q, "subject"));
    optField(&a, q, "body", "BODY");
    optField(&a, q, "customer", "CUSTOMER");
    optField(&a, q, "priority", "PRIORITY");
    optField(&a, q, "category", "CATEGORY");
    optField(&a, q, "sla_seconds", "SLA");
    if (json_is_true(json_object_get(q->body, "route"))) argsAdd(&a, "ROUTE");
    snprintf(q->aux, sizeof(q->aux), "TICKET.GET");
    q->is_write = 1;
    reqSend(q, &a, replyTicketCreated);
}

static void ticketPeek(Req *q) {
    long long count = -1;
    if (!queryInt(q, "count", 1, 10000, &count)) return;
    Args a;
    cmd2(&a, "TICKET.PEEK", q);
    if (count > 0) { argsAdd(&a, "COUNT"); argsAddf(&a, "%lld", count); }
    const char *cat = reqQuery(q, "category");
    if (cat) { argsAdd(&a, "CATEGORY"); argsAdd(&a, cat); }
    const char *un = reqQuery(q, "unassigned");
    if (un && (!strcmp(un, "1") || !strcmp(un, "true") || !*un)) argsAdd(&a, "UNASSIGNED");
    else if (un && strcmp(un, "0") && strcmp(un, "false")) {
        argsFree(&a);
        reqError(q, 400, "INVALID", "query parameter 'unassigned' must be true or false");
        return;
    }
    sendShaped(q, &a, SHAPE_MAPLIST, "tickets");
}

static void ticketOverdue(Req *q) {
    long long count = -1;
    if (!queryInt(q, "count", 1, 10000, &count)) return;
    Args a;
    cmd2(&a, "TICKET.OVERDUE", q);
    if (count > 0) { argsAdd(&a, "COUNT"); argsAddf(&a, "%lld", count); }
    sendShaped(q, &a, SHAPE_MAPLIST, "tickets");
}

static void ticketGet(Req *q) {
    Args a;
    cmd3(&a, "TICKET.GET", q);
    q->shape = SHAPE_MAP;
    reqSend(q, &a, replyMapOr404);
}

static void ticketPatch(Req *q) {
    if (!body(q, "subject:s,body:s,priority:i,category:s,sla_due_at:i", 1)) return;
    if (json_object_size(q->body) == 0) {
        reqError(q, 400, "INVALID", "nothing to update: send subject, body, priority, "
                 "category or sla_due_at");
        return;
    }
    Args a;
    cmd3(&a, "TICKET.UPDATE", q);
    const char *k;
    json_t *v;
    json_object_foreach(q->body, k, v) {
        argsAdd(&a, k);
        if (json_is_string(v)) argsAdd(&a, json_string_value(v));
        else addInt(&a, v);
    }
    if (!ifMatch(q, &a)) { argsFree(&a); return; }
    q->is_write = 1;
    reqSend(q, &a, replyVersion);
}

static void ticketDelete(Req *q) {
    Args a;
    cmd3(&a, "TICKET.DEL", q);
    reqSend(q, &a, replyDeleted);
}

static void ticketStatus(Req *q) {
    if (!body(q, "status:s!,note:s", 1)) return;
    Args a;
    cmd3(&a, "TICKET.STATUS", q);
    argsAdd(&a, bodyStr(q, "status"));
    optField(&a, q, "note", "NOTE");
    if (!ifMatch(q, &a)) { argsFree(&a); return; }
    reqSend(q, &a, replyOk);
}

static void ticketAssign(Req *q) {
    if (!body(q, "agent:s!,force:b", 1)) return;
    Args a;
    cmd3(&a, "TICKET.ASSIGN", q);
    argsAdd(&a, bodyStr(q, "agent"));
    if (json_is_true(json_object_get(q->body, "force"))) argsAdd(&a, "FORCE");
    reqSend(q, &a, replyOk);
}

static void ticketSimple(Req *q, const char *cmd) {
    if (!body(q, "", 0)) return;
    Args a;
    cmd3(&a, cmd, q);
    reqSend(q, &a, replyOk);
}
static void ticketUnassign(Req *q) { ticketSimple(q, "TICKET.UNASSIGN"); }
static void ticketReopen(Req *q) { ticketSimple(q, "TICKET.REOPEN"); }

static void ticketClose(Req *q) {
    if (!body(q, "resolution:s", 0)) return;
    Args a;
    cmd3(&a, "TICKET.CLOSE", q);
    optField(&a, q, "resolution", "RESOLUTION");
    reqSend(q, &a, replyOk);
}

static void ticketNote(Req *q) {
    if (!body(q, "text:s!", 1)) return;
    Args a;
    cmd3(&a, "TICKET.NOTE", q);
    argsAdd(&a, bodyStr(q, "text"));
    q->ok_status = 201;
    reqSend(q, &a, replyOk);
}

static void ticketMerge(Req *q) {
    if (!body(q, "into:I!", 1)) return;
    Args a;
    cmd3(&a, "TICKET.MERGE", q);
    argsAdd(&a, "INTO");
    addInt(&a, json_object_get(q->body, "into"));
    reqSend(q, &a, replyOk);
}

static void replyRouted(Req *q, redisReply *r) {
    reqJson(q, 200, json_pack("{s:o}", "agent", replyToJson(r, SHAPE_VALUE)));
}

static void ticketRoute(Req *q) {
    if (!body(q, "", 0)) return;
    Args a;
    cmd3(&a, "TICKET.ROUTE", q);
    reqSend(q, &a, replyRouted);
}

static void ticketLog(Req *q) {
    long long count = -1;
    if (!queryInt(q, "count", 1, 10000, &count)) return;
    Args a;
    cmd3(&a, "TICKET.LOG", q);
    if (count > 0) { argsAdd(&a, "COUNT"); argsAddf(&a, "%lld", count); }
    sendShaped(q, &a, SHAPE_VALUE, "log");
}

static void ticketMessages(Req *q) {
    long long count = -1;
    if (!queryInt(q, "count", 1, 10000, &count)) return;
    Args a;
    cmd3(&a, "TICKET.MSGS", q);
    const char *after = reqQuery(q, "after");
    if (after) { argsAdd(&a, "AFTER"); argsAdd(&a, after); }
    if (count > 0) { argsAdd(&a, "COUNT"); argsAddf(&a, "%lld", count); }
    sendShaped(q, &a, SHAPE_MAPLIST, "messages");
}

static void replyMessageId(Req *q, redisReply *r) {
    reqJson(q, 201, json_pack("{s:o}", "id", replyToJson(r, SHAPE_VALUE)));
}

static void ticketMessagePost(Req *q) {
    if (!body(q, "sender:s!,text:s!", 1)) return;
    Args a;
    cmd3(&a, "TICKET.MSG", q);
    argsAdd(&a, bodyStr(q, "sender"));
    argsAdd(&a, bodyStr(q, "text"));
    q->is_write = 1;
    reqSend(q, &a, replyMessageId);
}

static void ticketStateGet(Req *q) {
    Args a;
    cmd3(&a, "TICKET.STATE.GET", q);
    q->shape = SHAPE_JSONSTR;
    reqSend(q, &a, replyMapOr404);
}

/* PUT (whole document) and PATCH (RFC 7386 merge patch on facts). */
static void stateWrite(Req *q, const char *cmd, const char *spec) {
    if (!body(q, spec, 1)) return;
    char *doc = json_dumps(q->body, JSON_COMPACT);
    Args a;
    cmd3(&a, cmd, q);
    argsAdd(&a, doc);
    free(doc);
    if (!ifMatch(q, &a)) { argsFree(&a); return; }
    q->is_write = 1;
    reqSend(q, &a, replyVersion);
}
static void ticketStatePut(Req *q) {
    stateWrite(q, "TICKET.STATE.SET",
               "facts:o,history:j,last_decision:j,created_at:i,updated_at:i,version:i");
}
static void ticketStatePatch(Req *q) {
    /* A merge patch may name any fact: every field is legitimate. */
    if (!reqParseBody(q, 1)) return;
    char *doc = json_dumps(q->body, JSON_COMPACT);
    Args a;
    cmd3(&a, "TICKET.STATE.MERGE", q);
    argsAdd(&a, doc);
    free(doc);
    if (!ifMatch(q, &a)) { argsFree(&a); return; }
    reqSend(q, &a, replyVersion);
}

static void ticketStateDelete(Req *q) {
    Args a;
    cmd3(&a, "TICKET.STATE.DEL", q);
    reqSend(q, &a, replyDeleted);
}

static void ticketSla(Req *q) {
    Args a;
    cmd3(&a, "TICKET.SLA", q);
    q->shape = SHAPE_DEEPMAP;
    reqSend(q, &a, replyMapOr404);
}

/* ---- agents -------------------------------------------------------------- */

static void replyNext(Req *q, redisReply *r) {
    if (r->type == REDIS_REPLY_NIL) { reqNoContent(q); return; }
    q->shape = SHAPE_MAP;
    replyGeneric(q, r);
}

static void agentNext(Req *q) {
    long long block = -1;
    if (!body(q, "", 0) || !queryInt(q, "block", 0, 3600000, &block)) return;
    Args a;
    cmd3(&a, "TICKET.NEXT", q);
    if (block >= 0) {
        argsAdd(&a, "BLOCK");
        argsAddf(&a, "%lld", block);
        q->auxn = block ? block : -1;
        reqSendOwn(q, &a, replyNext);     /* blocks: a connection of its own */
        return;
    }
    reqSend(q, &a, replyNext);
}

static void agentClaim(Req *q) {
    if (!body(q, "count:i,order:s", 0)) return;
    Args a;
    cmd3(&a, "TICKET.CLAIM", q);
    if (q->body) {
        optField(&a, q, "count", "COUNT");
        optField(&a, q, "order", "ORDER");
    }
    sendShaped(q, &a, SHAPE_VALUE, "tickets");
}

static void agentList(Req *q) {
    Args a;
    cmd2(&a, "AGENT.LIST", q);
    const char *skill = reqQuery(q, "skill");
    if (skill) { argsAdd(&a, "SKILL"); argsAdd(&a, skill); }
    sendShaped(q, &a, SHAPE_MAPLIST, "agents");
}

static void agentCreate(Req *q) {
    if (!body(q, "id:s!,name:s!,email:s,skills:a,capacity:i", 1)) return;
    Args a;
    cmd2(&a, "AGENT.CREATE", q);
    argsAdd(&a, bodyStr(q, "id"));
    argsAdd(&a, bodyStr(q, "name"));
    optField(&a, q, "email", "EMAIL");
    json_t *sk = json_object_get(q->body, "skills");
    if (sk && json_array_size(sk)) {
        argsAdd(&a, "SKILLS");
        size_t i;
        json_t *e;
        json_array_foreach(sk, i, e) argsAdd(&a, json_string_value(e));
    }
    optField(&a, q, "capacity", "CAPACITY");
    snprintf(q->aux, sizeof(q->aux), "AGENT.GET");
    q->is_write = 1;
    reqSend(q, &a, replyAgentCreated);
}

static void agentGet(Req *q) {
    Args a;
    cmd3(&a, "AGENT.GET", q);
    q->shape = SHAPE_MAP;
    reqSend(q, &a, replyMapOr404);
}

static void agentDelete(Req *q) {
    Args a;
    cmd3(&a, "AGENT.DEL", q);
    reqSend(q, &a, replyDeleted);
}

static void agentAvailability(Req *q) {
    if (!body(q, "availability:s!,release:b", 1)) return;
    Args a;
    cmd3(&a, "AGENT.AVAILABILITY", q);
    argsAdd(&a, bodyStr(q, "availability"));
    if (json_is_true(json_object_get(q->body, "release"))) argsAdd(&a, "RELEASE");
    reqSend(q, &a, replyOk);
}

static void agentSkills(Req *q) {
    if (!body(q, "add:a,remove:a", 1)) return;
    json_t *add = json_object_get(q->body, "add"), *rem = json_object_get(q->body, "remove");
    json_t *list = add ? add : rem;
    if (!!add == !!rem || !json_array_size(list)) {
        reqError(q, 400, "INVALID", "send exactly one of 'add' or 'remove', a non-empty "
                 "array of skills");
        return;
    }
    Args a;
    cmd3(&a, "AGENT.SKILLS", q);
    argsAdd(&a, add ? "ADD" : "REMOVE");
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) argsAdd(&a, json_string_value(e));
    sendShaped(q, &a, SHAPE_VALUE, "skills");
}

static void agentTickets(Req *q) {
    Args a;
    cmd3(&a, "AGENT.TICKETS", q);
    sendShaped(q, &a, SHAPE_MAPLIST, "tickets");
}

/* ---- customers ------------------------------------------------------------ */

static void customerCreate(Req *q) {
    if (!body(q, "name:s!,email:s!,phone:s,id:I", 1)) return;
    Args a;
    cmd2(&a, "CUSTOMER.CREATE", q);
    argsAdd(&a, bodyStr(q, "name"));
    argsAdd(&a, bodyStr(q, "email"));
    optField(&a, q, "phone", "PHONE");
    optField(&a, q, "id", "ID");
    snprintf(q->aux, sizeof(q->aux), "CUSTOMER.GET");
    q->is_write = 1;
    reqSend(q, &a, replyCustomerCreated);
}

static void customerFind(Req *q) {
    const char *email = reqQuery(q, "email");
    if (!email) {
        reqError(q, 400, "INVALID", "query parameter 'email' is required");
        return;
    }
    Args a;
    cmd2(&a, "CUSTOMER.FIND", q);
    argsAdd(&a, email);
    q->shape = SHAPE_MAP;
    reqSend(q, &a, replyMapOr404);
}

static void customerGet(Req *q) {
    Args a;
    cmd3(&a, "CUSTOMER.GET", q);
    q->shape = SHAPE_MAP;
    reqSend(q, &a, replyMapOr404);
}

static void customerPatch(Req *q) {
    if (!body(q, "name:s,email:s,phone:s", 1)) return;
    if (json_object_size(q->body) == 0) {
        reqError(q, 400, "INVALID", "nothing to update: send name, email or phone");
        return;
    }
    Args a;
    cmd3(&a, "CUSTOMER.UPDATE", q);
    const char *k;
    json_t *v;
    json_object_foreach(q->body, k, v) {
        argsAdd(&a, k);
        argsAdd(&a, json_string_value(v));
    }
    reqSend(q, &a, replyOk);
}

static void customerDelete(Req *q) {
    Args a;
    cmd3(&a, "CUSTOMER.DEL", q);
    reqSend(q, &a, replyDeleted);
}

static void customerTickets(Req *q) {
    Args a;
    cmd3(&a, "CUSTOMER.TICKETS", q);
    sendShaped(q, &a, SHAPE_VALUE, "tickets");
}

/* ---- desk ----------------------------------------------------------------- */

static void deskStats(Req *q) {
    Args a;
    cmd2(&a, "DESK.STATS", q);
    sendShaped(q, &a, SHAPE_DEEPMAP, NULL);
}

static void deskCheck(Req *q) {
    Args a;
    cmd2(&a, "DESK.CHECK", q);
    sendShaped(q, &a, SHAPE_VALUE, "violations");
}

/* DESK.CONFIG GET|SET: Redis subcommands, the desk after the subcommand. */
static void deskConfigGet(Req *q) {
    Args a;
    argsInit(&a);
    argsAdd(&a, "DESK.CONFIG");
    argsAdd(&a, "GET");
    argsAdd(&a, DESK(q));
    const char *name = reqQuery(q, "name");
    if (name) argsAdd(&a, name);
    sendShaped(q, &a, name ? SHAPE_VALUE : SHAPE_DEEPMAP, name ? "value" : NULL);
}

static void deskConfigSet(Req *q) {
    if (!body(q, "name:s!,value:j!", 1)) return;
    json_t *v = json_object_get(q->body, "value");
    if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v)) {
        reqError(q, 400, "INVALID", "field 'value' must be a string, a number or a boolean");
        return;
    }
    Args a;
    argsInit(&a);
    argsAdd(&a, "DESK.CONFIG");
    argsAdd(&a, "SET");
    argsAdd(&a, DESK(q));
    argsAdd(&a, bodyStr(q, "name"));
    if (json_is_boolean(v)) argsAdd(&a, json_is_true(v) ? "yes" : "no");
    else if (json_is_string(v)) argsAdd(&a, json_string_value(v));
    else addInt(&a, v);
    reqSend(q, &a, replyOk);
}

static void deskClassify(Req *q) {
    if (!body(q, "text:s!", 1)) return;
    Args a;
    cmd2(&a, "TICKET.CLASSIFY", q);
    argsAdd(&a, bodyStr(q, "text"));
    sendShaped(q, &a, SHAPE_MAP, NULL);
}

static void deskReport(Req *q) {
    long long from = -1, to = -1;
    if (!queryInt(q, "from", 0, 1LL << 52, &from) || !queryInt(q, "to", 0, 1LL << 52, &to))
        return;
    Args a;
    cmd2(&a, "DESK.REPORT", q);
    if (from >= 0) { argsAdd(&a, "FROM"); argsAddf(&a, "%lld", from); }
    if (to >= 0) { argsAdd(&a, "TO"); argsAddf(&a, "%lld", to); }
    const char *by = reqQuery(q, "by");
    if (by) { argsAdd(&a, "BY"); argsAdd(&a, by); }
    sendShaped(q, &a, SHAPE_DEEPMAP, NULL);
}

/* ---- the table ------------------------------------------------------------ */

#define G EVHTTP_REQ_GET
#define P EVHTTP_REQ_POST
#define U EVHTTP_REQ_PUT
#define A EVHTTP_REQ_PATCH
#define D EVHTTP_REQ_DELETE
#define T "/v1/desks/{desk}/tickets"

const Route nativeRoutes[] = {
    {P, T, ticketCreate, "Create a ticket (TICKET.CREATE); 201 with the ticket",
     "subject:s!,body:s,customer:I,priority:i,category:s,sla_seconds:i,route:b"},
    {G, T, ticketPeek, "Most urgent tickets (TICKET.PEEK); ?count=&category=&unassigned=", NULL},
    {G, T "/overdue", ticketOverdue, "Tickets past their SLA (TICKET.OVERDUE); ?count=", NULL},
    {G, T "/{id}", ticketGet, "One ticket (TICKET.GET)", NULL},
    {A, T "/{id}", ticketPatch, "Update fields (TICKET.UPDATE); If-Match: <version>",
     "subject:s,body:s,priority:i,category:s,sla_due_at:i"},
    {D, T "/{id}", ticketDelete, "Delete a ticket (TICKET.DEL)", NULL},
    {P, T "/{id}/status", ticketStatus, "Change status (TICKET.STATUS); If-Match", "status:s!,note:s"},
    {P, T "/{id}/assign", ticketAssign, "Assign (TICKET.ASSIGN)", "agent:s!,force:b"},
    {P, T "/{id}/unassign", ticketUnassign, "Unassign (TICKET.UNASSIGN)", ""},
    {P, T "/{id}/close", ticketClose, "Close (TICKET.CLOSE)", "resolution:s"},
    {P, T "/{id}/reopen", ticketReopen, "Reopen (TICKET.REOPEN)", ""},
    {P, T "/{id}/notes", ticketNote, "Add a note (TICKET.NOTE)", "text:s!"},
    {P, T "/{id}/merge", ticketMerge, "Merge into a master (TICKET.MERGE)", "into:I!"},
    {P, T "/{id}/route", ticketRoute, "Route to the best agent (TICKET.ROUTE)", ""},
    {G, T "/{id}/log", ticketLog, "The ticket's log (TICKET.LOG); ?count=", NULL},
    {G, T "/{id}/messages", ticketMessages, "Messages (TICKET.MSGS); ?after=&count=", NULL},
    {P, T "/{id}/messages", ticketMessagePost, "Post a message (TICKET.MSG)", "sender:s!,text:s!"},
    {G, T "/{id}/messages/stream", sseMessages, "Messages as Server-Sent Events", NULL},
    {G, T "/{id}/state", ticketStateGet, "Assistant state (TICKET.STATE.GET)", NULL},
    {U, T "/{id}/state", ticketStatePut, "Replace the state (TICKET.STATE.SET); If-Match",
     "facts:o,history:j,last_decision:j,created_at:i,updated_at:i,version:i"},
    {A, T "/{id}/state", ticketStatePatch, "Merge patch on facts (TICKET.STATE.MERGE); If-Match",
     "*"},
    {D, T "/{id}/state", ticketStateDelete, "Delete the state (TICKET.STATE.DEL)", NULL},
    {G, T "/{id}/sla", ticketSla, "Service-level metrics (TICKET.SLA)", NULL},
    {P, "/v1/desks/{desk}/agents/{aid}/next", agentNext,
     "Take the next ticket (TICKET.NEXT); ?block=ms; 204 when none", ""},
    {P, "/v1/desks/{desk}/agents/{aid}/claim", agentClaim, "Top up (TICKET.CLAIM)",
     "count:i,order:s"},
    {G, "/v1/desks/{desk}/agents", agentList, "Agents by load (AGENT.LIST); ?skill=", NULL},
    {P, "/v1/desks/{desk}/agents", agentCreate, "Create an agent (AGENT.CREATE)",
     "id:s!,name:s!,email:s,skills:a,capacity:i"},
    {G, "/v1/desks/{desk}/agents/{aid}", agentGet, "One agent (AGENT.GET)", NULL},
    {D, "/v1/desks/{desk}/agents/{aid}", agentDelete, "Delete an agent (AGENT.DEL)", NULL},
    {U, "/v1/desks/{desk}/agents/{aid}/availability", agentAvailability,
     "Set availability (AGENT.AVAILABILITY)", "availability:s!,release:b"},
    {P, "/v1/desks/{desk}/agents/{aid}/skills", agentSkills, "Add or remove skills (AGENT.SKILLS)",
     "add:a,remove:a"},
    {G, "/v1/desks/{desk}/agents/{aid}/tickets", agentTickets, "The agent's tickets (AGENT.TICKETS)",
     NULL},
    {P, "/v1/desks/{desk}/customers", customerCreate, "Create a customer (CUSTOMER.CREATE)",
     "name:s!,email:s!,phone:s,id:I"},
    {G, "/v1/desks/{desk}/customers", customerFind, "Find by email (CUSTOMER.FIND); ?email=", NULL},
    {G, "/v1/desks/{desk}/customers/{uid}", customerGet, "One customer (CUSTOMER.GET)", NULL},
    {A, "/v1/desks/{desk}/customers/{uid}", customerPatch, "Update (CUSTOMER.UPDATE)",
     "name:s,email:s,phone:s"},
    {D, "/v1/desks/{desk}/customers/{uid}", customerDelete, "Delete (CUSTOMER.DEL)", NULL},
    {G, "/v1/desks/{desk}/customers/{uid}/tickets", customerTickets,
     "The customer's tickets (CUSTOMER.TICKETS)", NULL},
    {G, "/v1/desks/{desk}/stats", deskStats, "Desk statistics (DESK.STATS)", NULL},
    {G, "/v1/desks/{desk}/check", deskCheck, "Invariant violations (DESK.CHECK)", NULL},
    {G, "/v1/desks/{desk}/config", deskConfigGet, "Settings (DESK.CONFIG GET); ?name=", NULL},
    {U, "/v1/desks/{desk}/config", deskConfigSet, "Change one setting (DESK.CONFIG SET)",
     "name:s!,value:j!"},
    {P, "/v1/desks/{desk}/classify", deskClassify, "Classify a text (TICKET.CLASSIFY)", "text:s!"},
    {G, "/v1/desks/{desk}/report", deskReport, "Service report (DESK.REPORT); ?from=&to=&by=",
     NULL},
    {G, "/v1/desks/{desk}/events", sseEvents, "Desk events as Server-Sent Events", NULL},
    {0, NULL, NULL, NULL, NULL}
};
