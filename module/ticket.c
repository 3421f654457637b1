/* ticket.c -- the ticket life cycle: create, read, update, status, assign,
 * unassign, close, reopen, delete, log, note, and the read-only views
 * PEEK, COUNTS and OVERDUE.
 *
 * The ticket hash D:ticket:<tid> is the truth; the queues, the agent's
 * open_tickets set and load, the customer's ticket set and D:stats are
 * derived from it and changed in the same command, so no client ever sees
 * them disagree (SPEC.md section 8). Each handler validates everything, then
 * writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "helpdesk.h"

static const char *ticketFields[] = {
    "user_id", "subject", "body", "status", "priority", "category", "urgency",
    "created_at", "updated_at", "assigned_agent", "sla_due_at", "closed_at",
    "master", "version", NULL
};

static const char *statusNames[] = {
    "open", "in_progress", "on_hold", "closed", "merged", NULL
};

/* ------------------------------------------------------------------------ */
/* Loading and small helpers                                                 */
/* ------------------------------------------------------------------------ */

static void copyField(RedisModuleString *v, char *dst, size_t dstsize, size_t *lenp) {
    size_t len = 0;
    const char *s = v ? RedisModule_StringPtrLen(v, &len) : "";
    if (len >= dstsize) len = dstsize - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    if (lenp) *lenp = len;
}

int ticketLoad(Hd *hd, long long tid, Ticket *t) {
    RedisModuleString *status = NULL, *prio = NULL, *cat = NULL, *ver = NULL, *sla = NULL;
    RedisModuleKey *k;

    memset(t, 0, sizeof(*t));
    t->id = tid;
    t->key = hdTicketKey(hd, tid);
    k = RedisModule_OpenKey(hd->ctx, t->key, REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_EMPTY) {
        RedisModule_CloseKey(k);
        return 1;
    }
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) {
        RedisModule_CloseKey(k);
        return hdCheckType(hd, t->key, REDISMODULE_KEYTYPE_HASH);
    }
    RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS,
                        "status", &status, "priority", &prio, "category", &cat,
                        "assigned_agent", &t->agent, "version", &ver,
                        "sla_due_at", &sla, "master", &t->master,
                        "user_id", &t->user_id, NULL);
    RedisModule_CloseKey(k);
    t->exists = 1;
    copyField(status, t->status, sizeof(t->status), NULL);
    copyField(cat, t->category, sizeof(t->category), &t->catlen);
    if (!t->catlen) { strcpy(t->category, "general"); t->catlen = 7; }
    if (!prio || RedisModule_StringToLongLong(prio, &t->priority) != REDISMODULE_OK)
        t->priority = 5;
    if (!ver || RedisModule_StringToLongLong(ver, &t->version) != REDISMODULE_OK)
        t->version = 0;
    if (!sla || RedisModule_StringToLongLong(sla, &t->sla_due_at) != REDISMODULE_OK)
        t->sla_due_at = 0;
    return 1;
}

int ticketIsActive(const Ticket *t) {
    return strcmp(t->status, "closed") != 0 && strcmp(t->status, "merged") != 0;
}

int ticketLoadExisting(Hd *hd, RedisModuleString *arg, Ticket *t) {
    long long tid;
    if (!hdArgTicketId(hd, arg, &tid)) return 0;
    if (!ticketLoad(hd, tid, t)) return 0;
    if (!t->exists) {
        hdError(hd, "NOTFOUND", "ticket %lld does not exist on desk '%.*s'",
                tid, (int)hd->dlen, hd->dname);
        return 0;
    }
    return 1;
}

static int validStatus(const char *s) {
    for (int i = 0; statusNames[i]; i++) if (!strcmp(statusNames[i], s)) return 1;
    return 0;
}

static const char *agentName(const Ticket *t) {
    return t->agent ? RedisModule_StringPtrLen(t->agent, NULL) : "";
}

void ticketWrite(Hd *hd, Ticket *t, RedisModuleString **fv, int n) {
    fv[n++] = RedisModule_CreateString(hd->ctx, "updated_at", 10);
    fv[n++] = RedisModule_CreateStringFromLongLong(hd->ctx, hd->now);
    fv[n++] = RedisModule_CreateString(hd->ctx, "version", 7);
    fv[n++] = RedisModule_CreateStringFromLongLong(hd->ctx, ++t->version);
    fxHashSet(hd, t->key, fv, n);
}

static void setStatusField(Hd *hd, Ticket *t, const char *to) {
    RedisModuleString *fv[6];
    fv[0] = RedisModule_CreateString(hd->ctx, "status", 6);
    fv[1] = RedisModule_CreateString(hd->ctx, to, strlen(to));
    ticketWrite(hd, t, fv, 2);
}

/* Moves the status counters and the field; callers log and emit. */
static void changeStatus(Hd *hd, Ticket *t, const char *to) {
    statsMove(hd, "status", t->status, strlen(t->status), to, strlen(to));
    setStatusField(hd, t, to);
    snprintf(t->status, sizeof(t->status), "%s", to);
}

int agentLoad(Hd *hd, RedisModuleString *aid, AgentInfo *a) {
    RedisModuleString *load = NULL, *cap = NULL, *avail = NULL, *total = NULL;
    RedisModuleKey *k;
    size_t len;
    const char *s = RedisModule_StringPtrLen(aid, &len);
    if (!hdValidId(s, len)) return 0;
    a->id = aid;
    a->key = hdAgentKey(hd, aid);
    a->open_key = hdAgentOpenKey(hd, aid);
    k = RedisModule_OpenKey(hd->ctx, a->key, REDISMODULE_READ);
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) {
        RedisModule_CloseKey(k);
        return 0;
    }
    RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "load", &load, "capacity", &cap,
                        "availability", &avail, "assigned_total", &total, NULL);
    RedisModule_CloseKey(k);
    a->load = a->capacity = a->assigned_total = 0;
    if (load) RedisModule_StringToLongLong(load, &a->load);
    if (cap) RedisModule_StringToLongLong(cap, &a->capacity);
    if (total) RedisModule_StringToLongLong(total, &a->assigned_total);
    copyField(avail, a->availability, sizeof(a->availability), NULL);
    return 1;
}

/* Type checks of the keys every ticket write may touch. */
int ticketCheckKeys(Hd *hd, Ticket *t) {
    return hdCheckType(hd, hdKey(hd, "queue:priority"), REDISMODULE_KEYTYPE_ZSET) &&
           hdCheckType(hd, hdKey(hd, "queue:sla"), REDISMODULE_KEYTYPE_ZSET) &&
           hdCheckType(hd, hdRoutingKey(hd, t->category, t->catlen), REDISMODULE_KEYTYPE_ZSET) &&
           hdCheckType(hd, hdKey(hd, "stats"), REDISMODULE_KEYTYPE_HASH) &&
           hdCheckType(hd, hdKey(hd, "events"), REDISMODULE_KEYTYPE_STREAM) &&
           hdCheckType(hd, hdKey(hd, "ticket:%lld:log", t->id), REDISMODULE_KEYTYPE_LIST);
}

int agentCheckKeys(Hd *hd, RedisModuleString *aid) {
    return hdCheckType(hd, hdAgentKey(hd, aid), REDISMODULE_KEYTYPE_HASH) &&
           hdCheckType(hd, hdAgentOpenKey(hd, aid), REDISMODULE_KEYTYPE_SET);
}

/* ------------------------------------------------------------------------ */
/* Assignment primitives (shared with agent.c through the header)           */
/* ------------------------------------------------------------------------ */

static void detachFromAgent(Hd *hd, Ticket *t) {
    RedisModuleString *aid = t->agent;
    fxSRem(hd, hdAgentOpenKey(hd, aid), hdTicketMember(hd, t->id));
    fxHashIncr(hd, hdAgentKey(hd, aid), "load", -1);
}

void ticketAssignTo(Hd *hd, const DeskConfig *cfg, Ticket *t, RedisModuleString *aid,
                    const char *reason) {
    const char *to = RedisModule_StringPtrLen(aid, NULL);
    char from[HD_ID_MAX + 1];
    RedisModuleString *fv[6];

    snprintf(from, sizeof(from), "%s", agentName(t));
    if (t->agent) detachFromAgent(hd, t);
    else queueRemoveRouting(hd, t->id, t->category, t->catlen);

    fxSAdd(hd, hdAgentOpenKey(hd, aid), hdTicketMember(hd, t->id));
    fxHashIncr(hd, hdAgentKey(hd, aid), "load", 1);
    fxHashIncr(hd, hdAgentKey(hd, aid), "assigned_total", 1);
    fv[0] = RedisModule_CreateString(hd->ctx, "assigned_agent", 14);
    fv[1] = aid;
    ticketWrite(hd, t, fv, 2);
    t->agent = aid;

    if (from[0]) ticketLog(hd, t->id, "reassigned from %s to %s", from, to);
    else ticketLog(hd, t->id, "assigned to %s", to);
    eventEmit(hd, cfg, "assigned", t->id, "agent", to, "from", from, "reason", reason, NULL);
}

void ticketUnassign(Hd *hd, const DeskConfig *cfg, Ticket *t, const char *reason) {
    char from[HD_ID_MAX + 1];
    if (!t->agent) return;
    snprintf(from, sizeof(from), "%s", agentName(t));
    detachFromAgent(hd, t);
    fxHashDel(hd, t->key, "assigned_agent");
    t->agent = NULL;
    /* Work that nobody holds is not in progress any more. */
    if (!strcmp(t->status, "in_progress")) {
        changeStatus(hd, t, "open");
        ticketLog(hd, t->id, "status in_progress -> open");
        eventEmit(hd, cfg, "status", t->id, "from", "in_progress", "to", "open", NULL);
    } else {
        RedisModuleString *fv[4];
        ticketWrite(hd, t, fv, 0);      /* updated_at and version only */
    }
    if (ticketIsActive(t))
        queueAddRouting(hd, t->id, t->category, t->catlen, t->priority);
    ticketLog(hd, t->id, "unassigned from %s (%s)", from, reason);
    eventEmit(hd, cfg, "unassigned", t->id, "agent", from, "reason", reason, NULL);
}

/* Takes an active ticket out of every queue and off its agent. */
static void retire(Hd *hd, Ticket *t) {
    if (t->agent) {
        detachFromAgent(hd, t);
        fxHashDel(hd, t->key, "assigned_agent");
    } else {
        queueRemoveRouting(hd, t->id, t->category, t->catlen);
    }
    queueRemoveActive(hd, t->id);
}

/* ------------------------------------------------------------------------ */
/* TICKET.CREATE D subject [BODY text] [CUSTOMER uid] [PRIORITY p]            */
/*               [CATEGORY c] [SLA seconds]                                  */
/* ------------------------------------------------------------------------ */

typedef struct CreateArgs {
    RedisModuleString *subject, *body, *customer;
    long long priority, sla_secs;
    char category[33];
    size_t catlen;
    int route;
} CreateArgs;

static int parseCategoryArg(Hd *hd, const DeskConfig *cfg, RedisModuleString *arg,
                            char *out, size_t *outlen) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(arg, &len);
    if (len > 32 || hdLower(s, len, out, 33) < 0 || !hdValidCategory(out, len)) {
        hdError(hd, "INVALID", "category must be 1-32 bytes of [a-z0-9_-], got '%.*s'",
                (int)(len > 40 ? 40 : len), s);
        return 0;
    }
    if (!deskCategoryKnown(cfg, out, len)) {
        hdError(hd, "INVALID", "unknown category '%s'; the desk's categories are set "
                "with DESK.CONFIG SET desk categories", out);
        return 0;
    }
    *outlen = len;
    return 1;
}

static int parseCreate(Hd *hd, const DeskConfig *cfg, RedisModuleString **argv,
                       int argc, CreateArgs *a) {
    memset(a, 0, sizeof(*a));
    a->subject = argv[2];
    a->priority = 0;
    if (!hdArgText(hd, a->subject, "subject", HD_SUBJECT_MAX, 0)) return 0;
    unsigned seen = 0;
    for (int i = 3; i < argc; i++) {
        if (hdArgIs(argv[i], "BODY")) {
            if (!hdOptionValue(hd, &seen, 1, argv, argc, i, "a text")) return 0;
            a->body = argv[++i];
            if (!hdArgText(hd, a->body, "body", (size_t)hdg.max_text, 1)) return 0;
        } else if (hdArgIs(argv[i], "CUSTOMER")) {
            if (!hdOptionValue(hd, &seen, 2, argv, argc, i, "a customer id")) return 0;
            a->customer = argv[++i];
        } else if (hdArgIs(argv[i], "PRIORITY")) {
            if (!hdOptionValue(hd, &seen, 4, argv, argc, i, "a number")) return 0;
            if (!hdArgLongLong(hd, argv[++i], "PRIORITY", HD_PRIORITY_MIN,
                               HD_PRIORITY_MAX, &a->priority)) return 0;
        } else if (hdArgIs(argv[i], "CATEGORY")) {
            if (!hdOptionValue(hd, &seen, 8, argv, argc, i, "a category")) return 0;
            if (!parseCategoryArg(hd, cfg, argv[++i], a->category, &a->catlen)) return 0;
        } else if (hdArgIs(argv[i], "SLA")) {
            if (!hdOptionValue(hd, &seen, 16, argv, argc, i, "a number of seconds")) return 0;
            if (!hdArgLongLong(hd, argv[++i], "SLA seconds", 1, 10LL * 365 * 86400,
                               &a->sla_secs)) return 0;
        } else if (hdArgIs(argv[i], "ROUTE")) {
            if (!hdOptionOnce(hd, &seen, 32, argv[i])) return 0;
            a->route = 1;
        } else {
            hdSyntax(hd, "unexpected argument '%s'; TICKET.CREATE desk subject [BODY text] "
                     "[CUSTOMER uid] [PRIORITY p] [CATEGORY c] [SLA seconds] [ROUTE]",
                     RedisModule_StringPtrLen(argv[i], NULL));
            return 0;
        }
    }
    return 1;
}

/* SPEC section 3: the text is classified when CATEGORY or PRIORITY is not
 * given; the result only fills what is missing. With both given the caller
 * has decided, so there is no urgency (and no alert) and no classifier cost. */
static void classifyCreate(Hd *hd, const DeskConfig *cfg, CreateArgs *a, Classification *c) {
    if (a->catlen && a->priority) {
        memset(c, 0, sizeof(*c));
        c->urgency = -1;
    } else {
        classifyText(hd, cfg, a->subject, a->body, c);
    }
    if (!a->catlen) {
        memcpy(a->category, c->category, c->catlen + 1);
        a->catlen = c->catlen;
    }
    if (!a->priority) a->priority = c->priority;
    if (!a->sla_secs) a->sla_secs = deskSlaSeconds(cfg, a->priority);
}

/* Ticket ids must fit the 40 id bits of queueRoutingScore (queue.c). */
#define TICKET_ID_LIMIT (1LL << 40)

/* The next free ticket id: D:seq:tickets + 1, skipping ids whose hash exists
 * (a counter reset by hand must not overwrite a ticket). 0 when the counter
 * has reached TICKET_ID_LIMIT (only possible when set by hand). */
long long nextTicketId(Hd *hd) {
    long long tid = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdKey(hd, "seq:tickets"), REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_STRING) {
        size_t len;
        const char *p = RedisModule_StringDMA(k, &len, REDISMODULE_READ);
        RedisModuleString *s = RedisModule_CreateString(hd->ctx, p, len);
        if (RedisModule_StringToLongLong(s, &tid) != REDISMODULE_OK || tid < 0) tid = 0;
    }
    RedisModule_CloseKey(k);
    if (tid >= TICKET_ID_LIMIT) return 0;
    do tid++; while (tid < TICKET_ID_LIMIT && hdKeyExists(hd, hdTicketKey(hd, tid)));
    return tid < TICKET_ID_LIMIT ? tid : 0;
}

void ticketInsert(Hd *hd, long long tid, const NewTicket *nt, Ticket *t) {
    RedisModuleString *fv[26];
    int n = 0;

    memset(t, 0, sizeof(*t));
    t->id = tid;
    t->key = hdTicketKey(hd, tid);
    t->exists = 1;
    t->version = 1;
    t->priority = nt->priority;
    t->sla_due_at = nt->sla_due_at;
    t->master = nt->master;
    t->user_id = nt->customer;
    strcpy(t->status, "open");
    memcpy(t->category, nt->category, nt->catlen);
    t->category[nt->catlen] = '\0';
    t->catlen = nt->catlen;

    fxSet(hd, hdKey(hd, "seq:tickets"), RedisModule_CreateStringFromLongLong(hd->ctx, tid));
#define F(name, val) do { fv[n++] = RedisModule_CreateString(hd->ctx, name, strlen(name)); \
                          fv[n++] = (val); } while (0)
    if (nt->customer) F("user_id", nt->customer);
    F("subject", nt->subject);
    if (nt->body) F("body", nt->body);
    F("status", RedisModule_CreateString(hd->ctx, "open", 4));
    F("priority", RedisModule_CreateStringFromLongLong(hd->ctx, nt->priority));
    F("category", RedisModule_CreateString(hd->ctx, nt->category, nt->catlen));
    if (nt->urgency) F("urgency", nt->urgency);
    F("created_at", RedisModule_CreateStringFromLongLong(hd->ctx, hd->now));
    F("updated_at", RedisModule_CreateStringFromLongLong(hd->ctx, hd->now));
    F("sla_due_at", RedisModule_CreateStringFromLongLong(hd->ctx, nt->sla_due_at));
    if (nt->master) F("master", nt->master);
    F("version", RedisModule_CreateString(hd->ctx, "1", 1));
#undef F
    fxHashSet(hd, t->key, fv, n);
    queueAddActive(hd, tid, nt->priority, nt->sla_due_at);
    queueAddRouting(hd, tid, nt->category, nt->catlen, nt->priority);
    if (nt->customer) fxSAdd(hd, hdUserTicketsKey(hd, nt->customer), hdTicketMember(hd, tid));
    statsTicket(hd, "open", nt->category, nt->catlen, 1);
}

static int cmdTicketCreate(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    CreateArgs a;
    Ticket t;

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!parseCreate(hd, &cfg, argv, argc, &a)) return REDISMODULE_OK;
    if (a.customer) {
        size_t ulen;
        const char *u = RedisModule_StringPtrLen(a.customer, &ulen);
        if (!hdValidId(u, ulen) || !hdKeyExists(hd, hdUserKey(hd, a.customer)))
            return hdError(hd, "NOTFOUND", "customer '%.*s' does not exist; create it "
                           "with CUSTOMER.CREATE", (int)(ulen > 64 ? 64 : ulen), u);
        if (!hdCheckType(hd, hdUserKey(hd, a.customer), REDISMODULE_KEYTYPE_HASH) ||
            !hdCheckType(hd, hdUserTicketsKey(hd, a.customer), REDISMODULE_KEYTYPE_SET))
            return REDISMODULE_OK;
    }
    /* Classified once the customer is known to exist: the routing queue to
     * check below depends on the category. */
    Classification cls;
    classifyCreate(hd, &cfg, &a, &cls);
    memset(&t, 0, sizeof(t));
    if (!hdCheckType(hd, hdKey(hd, "seq:tickets"), REDISMODULE_KEYTYPE_STRING))
        return REDISMODULE_OK;
    t.id = nextTicketId(hd);
    if (!t.id)
        return hdError(hd, "INVALID", "no ticket id left: ids end at %lld and "
                       "%.*s:seq:tickets is past it", TICKET_ID_LIMIT - 1,
                       (int)hd->dlen, hd->dname);
    t.key = hdTicketKey(hd, t.id);
    memcpy(t.category, a.category, a.catlen + 1);
    t.catlen = a.catlen;
    t.priority = a.priority;
    strcpy(t.status, "open");
    if (!ticketCheckKeys(hd, &t) || !floodCheckKeys(hd)) return REDISMODULE_OK;

    /* Writes start here. */
    NewTicket nt = {
        .subject = a.subject, .body = a.body, .customer = a.customer,
        .urgency = cls.urgency >= 0
                   ? RedisModule_CreateStringPrintf(hd->ctx, "%.3f", cls.urgency) : NULL,
        .priority = a.priority, .sla_due_at = hd->now + a.sla_secs * 1000,
        .category = a.category, .catlen = a.catlen,
    };
    ticketInsert(hd, t.id, &nt, &t);
    ticketLog(hd, t.id, "created (priority %lld, category %s)", a.priority, a.category);
    {
        char prio[24];
        snprintf(prio, sizeof(prio), "%lld", a.priority);
        eventEmit(hd, &cfg, "created", t.id, "priority", prio, "category", a.category, NULL);
    }
    hdg.tickets_created++;
    alertMaybe(hd, &cfg, &t, a.subject, &cls);
    floodOnCreate(hd, &cfg, &t, a.subject, a.body);
    routingOffer(hd, &cfg, &t, a.route || cfg.auto_route);
    return RedisModule_ReplyWithLongLong(hd->ctx, t.id);
}

/* ------------------------------------------------------------------------ */
/* TICKET.GET D tid                                                          */
/* ------------------------------------------------------------------------ */

typedef struct ExtraFields { RedisModuleString *f[16], *v[16]; int n; } ExtraFields;

static int isKnownField(const char *s, size_t len) {
    for (int i = 0; ticketFields[i]; i++)
        if (strlen(ticketFields[i]) == len && !memcmp(ticketFields[i], s, len)) return 1;
    return 0;
}

static void collectExtra(RedisModuleKey *key, RedisModuleString *field,
                         RedisModuleString *value, void *privdata) {
    ExtraFields *x = privdata;
    size_t len;
    const char *s = RedisModule_StringPtrLen(field, &len);
    if (isKnownField(s, len) || x->n == 16) return;
    RedisModule_RetainString(NULL, field);
    RedisModule_RetainString(NULL, value);
    x->f[x->n] = field;
    x->v[x->n++] = value;
}

/* Fixed fields first (nil when absent) so clients can rely on the shape,
 * then extra fields such as resolution or sla_breached. */
void ticketReply(Hd *hd, long long tid) {
    RedisModuleKey *k;
    ExtraFields x = { .n = 0 };
    int nf = 0;
    RedisModuleString *key = hdTicketKey(hd, tid);

    k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_EMPTY) {
        RedisModule_CloseKey(k);
        RedisModule_ReplyWithNull(hd->ctx);
        return;
    }
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) {
        RedisModule_CloseKey(k);
        hdCheckType(hd, key, REDISMODULE_KEYTYPE_HASH);
        return;
    }
    while (ticketFields[nf]) nf++;
    RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
    while (RedisModule_ScanKey(k, cur, collectExtra, &x));
    RedisModule_ScanCursorDestroy(cur);

    RedisModule_ReplyWithMap(hd->ctx, 1 + nf + x.n);
    RedisModule_ReplyWithCString(hd->ctx, "id");
    RedisModule_ReplyWithLongLong(hd->ctx, tid);
    for (int i = 0; i < nf; i++) {
        RedisModuleString *v = NULL;
        RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, ticketFields[i], &v, NULL);
        hdReplyField(hd, ticketFields[i], v);
    }
    for (int i = 0; i < x.n; i++) {
        size_t flen;
        const char *f = RedisModule_StringPtrLen(x.f[i], &flen);
        RedisModule_ReplyWithString(hd->ctx, x.f[i]);
        hdReplyValue(hd, f, flen, x.v[i]);
        RedisModule_FreeString(NULL, x.f[i]);
        RedisModule_FreeString(NULL, x.v[i]);
    }
    RedisModule_CloseKey(k);
}

static int cmdTicketGet(Hd *hd, RedisModuleString **argv, int argc) {
    long long tid;
    if (!hdArgTicketId(hd, argv[2], &tid)) return REDISMODULE_OK;
    ticketReply(hd, tid);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* IFVERSION                                                                 */
/* ------------------------------------------------------------------------ */

static int checkVersion(Hd *hd, const Ticket *t, long long want) {
    if (want >= 0 && want != t->version) {
        hdError(hd, "CONFLICT", "ticket %lld is at version %lld, not %lld; re-read it "
                "and retry", t->id, t->version, want);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* TICKET.UPDATE D tid field value [field value ...] [IFVERSION v]           */
/* ------------------------------------------------------------------------ */

typedef struct UpdateArgs {
    RedisModuleString *subject, *body;
    long long priority, sla_due_at, ifversion;
    char category[33];
    size_t catlen;
} UpdateArgs;

/* One bit per TICKET.UPDATE field (and IFVERSION); unknown names share 0,
 * which is never "seen", so they reach the INVALID below. */
static unsigned updateFieldBit(RedisModuleString *f) {
    static const char *names[] = { "IFVERSION", "subject", "body", "priority", "category",
                                   "sla_due_at", NULL };
    for (int i = 0; names[i]; i++) if (hdArgIs(f, names[i])) return 1u << i;
    return 0;
}

static int parseUpdate(Hd *hd, const DeskConfig *cfg, RedisModuleString **argv, int argc,
                       UpdateArgs *u) {
    memset(u, 0, sizeof(*u));
    u->priority = u->sla_due_at = u->ifversion = -1;
    unsigned seen = 0;
    for (int i = 3; i < argc; i += 2) {
        if (i + 1 >= argc)
            return hdSyntax(hd, "field '%s' has no value; TICKET.UPDATE desk tid field "
                            "value [field value ...] [IFVERSION v]",
                            RedisModule_StringPtrLen(argv[i], NULL)), 0;
        RedisModuleString *f = argv[i], *v = argv[i + 1];
        if (!hdOptionOnce(hd, &seen, updateFieldBit(f), f)) return 0;
        if (hdArgIs(f, "IFVERSION")) {
            if (!hdArgLongLong(hd, v, "IFVERSION", 0, INT64_MAX, &u->ifversion)) return 0;
        } else if (hdArgIs(f, "subject")) {
            if (!hdArgText(hd, v, "subject", HD_SUBJECT_MAX, 0)) return 0;
            u->subject = v;
        } else if (hdArgIs(f, "body")) {
            if (!hdArgText(hd, v, "body", (size_t)hdg.max_text, 1)) return 0;
            u->body = v;
        } else if (hdArgIs(f, "priority")) {
            if (!hdArgLongLong(hd, v, "priority", HD_PRIORITY_MIN, HD_PRIORITY_MAX,
                               &u->priority)) return 0;
        } else if (hdArgIs(f, "category")) {
            if (!parseCategoryArg(hd, cfg, v, u->category, &u->catlen)) return 0;
        } else if (hdArgIs(f, "sla_due_at")) {
            if (!hdArgLongLong(hd, v, "sla_due_at (Unix ms)", 0, 253402300799999LL,
                               &u->sla_due_at)) return 0;
        } else {
            return hdError(hd, "INVALID", "field '%s' cannot be updated; use subject, body, "
                           "priority, category or sla_due_at",
                           RedisModule_StringPtrLen(f, NULL)), 0;
        }
    }
    if (!u->subject && !u->body && u->priority < 0 && !u->catlen && u->sla_due_at < 0)
        return hdSyntax(hd, "TICKET.UPDATE needs at least one field to change"), 0;
    return 1;
}

static void logUpdates(Hd *hd, const Ticket *old, const UpdateArgs *u, char *changed,
                       size_t clen) {
    size_t off = 0;
    changed[0] = '\0';
#define ADD(name) off += snprintf(changed + off, clen - off, "%s%s", off ? "," : "", name)
    if (u->subject) { ADD("subject"); ticketLog(hd, old->id, "subject changed"); }
    if (u->body) { ADD("body"); ticketLog(hd, old->id, "body changed"); }
    if (u->priority >= 0) {
        ADD("priority");
        ticketLog(hd, old->id, "priority %lld -> %lld", old->priority, u->priority);
    }
    if (u->catlen) {
        ADD("category");
        ticketLog(hd, old->id, "category %s -> %s", old->category, u->category);
    }
    if (u->sla_due_at >= 0) {
        ADD("sla_due_at");
        ticketLog(hd, old->id, "sla_due_at %lld -> %lld", old->sla_due_at, u->sla_due_at);
    }
#undef ADD
}

static int cmdTicketUpdate(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    UpdateArgs u;
    Ticket t;
    RedisModuleString *fv[16];
    int n = 0;
    char changed[128];

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (!parseUpdate(hd, &cfg, argv, argc, &u)) return REDISMODULE_OK;
    if (!checkVersion(hd, &t, u.ifversion)) return REDISMODULE_OK;
    if (!ticketCheckKeys(hd, &t)) return REDISMODULE_OK;
    if (u.catlen && !hdCheckType(hd, hdRoutingKey(hd, u.category, u.catlen),
                                 REDISMODULE_KEYTYPE_ZSET)) return REDISMODULE_OK;

    Ticket old = t;
    long long prio = u.priority >= 0 ? u.priority : t.priority;
    int active = ticketIsActive(&t), unassigned = t.agent == NULL;
#define F(name, val) do { fv[n++] = RedisModule_CreateString(hd->ctx, name, strlen(name)); \
                          fv[n++] = (val); } while (0)
    if (u.subject) F("subject", u.subject);
    if (u.body) F("body", u.body);
    if (u.priority >= 0) F("priority", RedisModule_CreateStringFromLongLong(hd->ctx, u.priority));
    if (u.catlen) F("category", RedisModule_CreateString(hd->ctx, u.category, u.catlen));
    if (u.sla_due_at >= 0) F("sla_due_at", RedisModule_CreateStringFromLongLong(hd->ctx, u.sla_due_at));
#undef F
    ticketWrite(hd, &t, fv, n);
    /* A due time moved into the future may breach again. */
    if (u.sla_due_at > hd->now) fxHashDel(hd, t.key, "sla_breached");

    if (active && (u.priority >= 0 || u.sla_due_at >= 0))
        queueAddActive(hd, t.id, prio, u.sla_due_at >= 0 ? u.sla_due_at : t.sla_due_at);
    if (active && unassigned && (u.priority >= 0 || u.catlen)) {
        queueRemoveRouting(hd, t.id, t.category, t.catlen);
        if (u.catlen) queueAddRouting(hd, t.id, u.category, u.catlen, prio);
        else queueAddRouting(hd, t.id, t.category, t.catlen, prio);
    }
    if (u.catlen) {
        statsMove(hd, "category", t.category, t.catlen, u.category, u.catlen);
    }
    logUpdates(hd, &old, &u, changed, sizeof(changed));
    eventEmit(hd, &cfg, "updated", t.id, "fields", changed, NULL);
    return RedisModule_ReplyWithLongLong(hd->ctx, t.version);
}

/* ------------------------------------------------------------------------ */
/* TICKET.CLOSE D tid [RESOLUTION text]                                      */
/* ------------------------------------------------------------------------ */

static int checkClosable(Hd *hd, Ticket *t) {
    if (!strcmp(t->status, "closed"))
        return hdError(hd, "STATE", "ticket %lld is already closed", t->id), 0;
    if (!ticketCheckKeys(hd, t)) return 0;
    if (t->agent && !agentCheckKeys(hd, t->agent)) return 0;
    return floodCheckChildren(hd, t);
}

static void closeTicket(Hd *hd, const DeskConfig *cfg, Ticket *t, RedisModuleString *resolution) {
    RedisModuleString *fv[12];
    int n = 0;
    const char *from = t->status;
    char fromcopy[16];

    snprintf(fromcopy, sizeof(fromcopy), "%s", from);
    if (t->agent) {
        fv[n++] = RedisModule_CreateString(hd->ctx, "resolved_by", 11);
        fv[n++] = t->agent;
    }
    if (ticketIsActive(t)) retire(hd, t);
    t->agent = NULL;
    statsMove(hd, "status", t->status, strlen(t->status), "closed", 6);
    fv[n++] = RedisModule_CreateString(hd->ctx, "status", 6);
    fv[n++] = RedisModule_CreateString(hd->ctx, "closed", 6);
    fv[n++] = RedisModule_CreateString(hd->ctx, "closed_at", 9);
    fv[n++] = RedisModule_CreateStringFromLongLong(hd->ctx, hd->now);
    if (resolution) {
        fv[n++] = RedisModule_CreateString(hd->ctx, "resolution", 10);
        fv[n++] = resolution;
    }
    ticketWrite(hd, t, fv, n);
    strcpy(t->status, "closed");
    if (resolution) ticketLogText(hd, t->id, "closed: ", resolution);
    else ticketLog(hd, t->id, "closed");
    eventEmit(hd, cfg, "closed", t->id, "from", fromcopy, NULL);
    hdg.tickets_closed++;
    floodOnMasterClosed(hd, cfg, t);
}

static int cmdTicketClose(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;
    RedisModuleString *resolution = NULL;

    if (argc != 3 && argc != 5)
        return hdSyntax(hd, "syntax: TICKET.CLOSE desk tid [RESOLUTION text]");
    if (argc == 5) {
        if (!hdArgIs(argv[3], "RESOLUTION"))
            return hdSyntax(hd, "unexpected argument '%s'; expected RESOLUTION text",
                            RedisModule_StringPtrLen(argv[3], NULL));
        resolution = argv[4];
        if (!hdArgText(hd, resolution, "resolution", (size_t)hdg.max_text, 1))
            return REDISMODULE_OK;
    }
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (!checkClosable(hd, &t)) return REDISMODULE_OK;
    closeTicket(hd, &cfg, &t, resolution);
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* ------------------------------------------------------------------------ */
/* TICKET.STATUS D tid status [NOTE text] [IFVERSION v]                      */
/* ------------------------------------------------------------------------ */

/* SPEC.md section 3: closed only leaves through REOPEN; merged only closes. */
static int transitionAllowed(const char *from, const char *to) {
    if (!strcmp(from, "closed")) return 0;
    if (!strcmp(from, "merged")) return !strcmp(to, "closed");
    return strcmp(to, "merged") != 0;
}

static int cmdTicketStatus(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;
    RedisModuleString *note = NULL;
    long long ifversion = -1;
    char to[16];
    size_t tolen;
    const char *s = RedisModule_StringPtrLen(argv[3], &tolen);

    unsigned seen = 0;
    for (int i = 4; i < argc; i += 2) {
        if (hdArgIs(argv[i], "NOTE")) {
            if (!hdOptionValue(hd, &seen, 1, argv, argc, i, "a text")) return REDISMODULE_OK;
            note = argv[i + 1];
            if (!hdArgText(hd, note, "note", (size_t)hdg.max_text, 0)) return REDISMODULE_OK;
        } else if (hdArgIs(argv[i], "IFVERSION")) {
            if (!hdOptionValue(hd, &seen, 2, argv, argc, i, "a version number"))
                return REDISMODULE_OK;
            if (!hdArgLongLong(hd, argv[i + 1], "IFVERSION", 0, INT64_MAX, &ifversion))
                return REDISMODULE_OK;
        } else {
            return hdSyntax(hd, "unexpected argument '%s'; expected NOTE or IFVERSION",
                            RedisModule_StringPtrLen(argv[i], NULL));
        }
    }
    if (hdLower(s, tolen, to, sizeof(to)) < 0 || !validStatus(to))
        return hdError(hd, "INVALID", "status must be open, in_progress, on_hold or "
                       "closed, got '%.*s'", (int)(tolen > 32 ? 32 : tolen), s);
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (!checkVersion(hd, &t, ifversion)) return REDISMODULE_OK;
    if (!strcmp(to, "merged"))
        return hdError(hd, "STATE", "a ticket becomes merged only through TICKET.MERGE");
    if (!strcmp(t.status, to))
        return hdError(hd, "STATE", "ticket %lld is already %s", t.id, to);
    if (!transitionAllowed(t.status, to))
        return hdError(hd, "STATE", "ticket %lld cannot go from %s to %s%s", t.id,
                       t.status, to, !strcmp(t.status, "closed") ? "; use TICKET.REOPEN" : "");

    if (!strcmp(to, "closed")) {
        if (!checkClosable(hd, &t)) return REDISMODULE_OK;
        closeTicket(hd, &cfg, &t, note);
        return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
    }
    if (!ticketCheckKeys(hd, &t)) return REDISMODULE_OK;
    char from[16];
    snprintf(from, sizeof(from), "%s", t.status);
    changeStatus(hd, &t, to);
    ticketLog(hd, t.id, "status %s -> %s", from, to);
    if (note) ticketLogText(hd, t.id, "note: ", note);
    eventEmit(hd, &cfg, "status", t.id, "from", from, "to", to, NULL);
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* ------------------------------------------------------------------------ */
/* TICKET.ASSIGN D tid aid [FORCE] / TICKET.UNASSIGN D tid                   */
/* ------------------------------------------------------------------------ */

int agentHasSkill(Hd *hd, RedisModuleString *aid, const char *cat, size_t len) {
    if (len == 7 && !memcmp(cat, "general", 7)) return 1;
    return hdSIsMember(hd, hdAgentSkillsKey(hd, aid),
                       RedisModule_CreateString(hd->ctx, cat, len));
}

static int cmdTicketAssign(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;
    AgentInfo a;
    int force = 0;
    size_t alen;
    const char *aid = RedisModule_StringPtrLen(argv[3], &alen);

    if (argc > 5)
        return hdSyntax(hd, "syntax: TICKET.ASSIGN desk tid aid [FORCE] (FORCE at most once)");
    if (argc == 5) {
        if (!hdArgIs(argv[4], "FORCE"))
            return hdSyntax(hd, "unexpected argument '%s'; expected FORCE",
                            RedisModule_StringPtrLen(argv[4], NULL));
        force = 1;
    }
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (!hdValidId(aid, alen) || !agentLoad(hd, argv[3], &a))
        return hdError(hd, "NOTFOUND", "agent '%.*s' does not exist; create it with "
                       "AGENT.CREATE", (int)(alen > 64 ? 64 : alen), aid);
    if (!ticketIsActive(&t))
        return hdError(hd, "STATE", "ticket %lld is %s and cannot be assigned", t.id, t.status);
    if (t.agent && RedisModule_StringCompare(t.agent, argv[3]) == 0)
        return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
    if (!force) {
        if (strcmp(a.availability, "online") != 0)
            return hdError(hd, "UNAVAILABLE", "agent %s is %s, not online; use FORCE to "
                           "assign anyway", aid, a.availability[0] ? a.availability : "unknown");
        if (a.load >= a.capacity)
            return hdError(hd, "CAPACITY", "agent %s is at capacity (%lld of %lld); use "
                           "FORCE to assign anyway", aid, a.load, a.capacity);
        if (!agentHasSkill(hd, argv[3], t.category, t.catlen))
            return hdError(hd, "INVALID", "agent %s lacks the skill '%s' for this ticket; "
                           "use FORCE to assign anyway", aid, t.category);
    }
    if (!ticketCheckKeys(hd, &t) || !agentCheckKeys(hd, argv[3]) ||
        (t.agent && !agentCheckKeys(hd, t.agent))) return REDISMODULE_OK;
    ticketAssignTo(hd, &cfg, &t, argv[3], force ? "forced" : "manual");
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

static int cmdTicketUnassign(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (!t.agent)
        return hdError(hd, "STATE", "ticket %lld is not assigned", t.id);
    if (!ticketCheckKeys(hd, &t) || !agentCheckKeys(hd, t.agent)) return REDISMODULE_OK;
    ticketUnassign(hd, &cfg, &t, "manual");
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* ------------------------------------------------------------------------ */
/* TICKET.REOPEN D tid                                                       */
/* ------------------------------------------------------------------------ */

static int cmdTicketReopen(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;
    RedisModuleString *fv[8];

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (strcmp(t.status, "closed") != 0)
        return hdError(hd, "STATE", "ticket %lld is %s; only closed tickets can be reopened",
                       t.id, t.status);
    if (!ticketCheckKeys(hd, &t)) return REDISMODULE_OK;

    /* A reopened ticket gets a fresh SLA from now, by its priority. */
    long long due = hd->now + deskSlaSeconds(&cfg, t.priority) * 1000;
    statsMove(hd, "status", "closed", 6, "open", 4);
    /* A reopened ticket starts a new life: it may breach its new SLA, and it
     * no longer belongs to a closed incident. */
    fxHashDel(hd, t.key, "closed_at");
    fxHashDel(hd, t.key, "sla_breached");
    if (t.master && strcmp(RedisModule_StringPtrLen(t.master, NULL), "self") != 0)
        fxHashDel(hd, t.key, "master");
    fv[0] = RedisModule_CreateString(hd->ctx, "status", 6);
    fv[1] = RedisModule_CreateString(hd->ctx, "open", 4);
    fv[2] = RedisModule_CreateString(hd->ctx, "sla_due_at", 10);
    fv[3] = RedisModule_CreateStringFromLongLong(hd->ctx, due);
    ticketWrite(hd, &t, fv, 4);
    strcpy(t.status, "open");
    queueAddActive(hd, t.id, t.priority, due);
    queueAddRouting(hd, t.id, t.category, t.catlen, t.priority);
    ticketLog(hd, t.id, "reopened");
    eventEmit(hd, &cfg, "reopened", t.id, NULL);
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* ------------------------------------------------------------------------ */
/* TICKET.DEL D tid                                                          */
/* ------------------------------------------------------------------------ */

static int cmdTicketDel(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;
    long long tid;

    if (!hdArgTicketId(hd, argv[2], &tid)) return REDISMODULE_OK;
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoad(hd, tid, &t)) return REDISMODULE_OK;
    if (!t.exists) return RedisModule_ReplyWithLongLong(hd->ctx, 0);
    if (!ticketCheckKeys(hd, &t)) return REDISMODULE_OK;
    if (t.agent && !agentCheckKeys(hd, t.agent)) return REDISMODULE_OK;
    if (!floodCheckChildren(hd, &t)) return REDISMODULE_OK;
    if (t.user_id) {
        size_t ulen;
        const char *u = RedisModule_StringPtrLen(t.user_id, &ulen);
        if (hdValidId(u, ulen) &&
            !hdCheckType(hd, hdUserTicketsKey(hd, t.user_id), REDISMODULE_KEYTYPE_SET))
            return REDISMODULE_OK;
    }

    floodOnDelete(hd, &cfg, &t);
    if (ticketIsActive(&t)) retire(hd, &t);
    if (t.user_id) {
        size_t ulen;
        const char *u = RedisModule_StringPtrLen(t.user_id, &ulen);
        if (hdValidId(u, ulen))
            fxSRem(hd, hdUserTicketsKey(hd, t.user_id), hdTicketMember(hd, tid));
    }
    statsTicket(hd, t.status, t.category, t.catlen, -1);
    fxDel(hd, t.key);
    fxDel(hd, hdKey(hd, "ticket:%lld:log", tid));
    fxDel(hd, hdKey(hd, "ticket:%lld:chat", tid));
    fxDel(hd, hdKey(hd, "ticket:%lld:state", tid));
    eventEmit(hd, &cfg, "deleted", tid, NULL);
    return RedisModule_ReplyWithLongLong(hd->ctx, 1);
}

/* ------------------------------------------------------------------------ */
/* TICKET.LOG D tid [COUNT n] / TICKET.NOTE D tid text                       */
/* ------------------------------------------------------------------------ */

static int parseCount(Hd *hd, RedisModuleString **argv, int argc, int from,
                      long long *count) {
    unsigned seen = 0;
    for (int i = from; i < argc; i++) {
        if (hdArgIs(argv[i], "COUNT")) {
            if (!hdOptionValue(hd, &seen, 1, argv, argc, i, "a number")) return 0;
            if (!hdArgLongLong(hd, argv[++i], "COUNT", 1, HD_COUNT_MAX, count)) return 0;
        } else {
            hdSyntax(hd, "unexpected argument '%s'; expected COUNT n",
                     RedisModule_StringPtrLen(argv[i], NULL));
            return 0;
        }
    }
    return 1;
}

/* The newest COUNT entries (all by default), oldest first. */
static int cmdTicketLog(Hd *hd, RedisModuleString **argv, int argc) {
    Ticket t;
    long long count = -1, len, start;
    RedisModuleString *key;

    if (!parseCount(hd, argv, argc, 3, &count)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    key = hdKey(hd, "ticket:%lld:log", t.id);
    if (!hdCheckType(hd, key, REDISMODULE_KEYTYPE_LIST)) return REDISMODULE_OK;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    len = k ? (long long)RedisModule_ValueLength(k) : 0;
    start = (count >= 0 && count < len) ? len - count : 0;
    RedisModule_ReplyWithArray(hd->ctx, len - start);
    for (long long i = start; i < len; i++)
        RedisModule_ReplyWithString(hd->ctx, RedisModule_ListGet(k, i));
    RedisModule_CloseKey(k);
    return REDISMODULE_OK;
}

static int cmdTicketNote(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;

    if (!hdArgText(hd, argv[3], "note", (size_t)hdg.max_text, 0)) return REDISMODULE_OK;
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (!ticketCheckKeys(hd, &t)) return REDISMODULE_OK;
    ticketLogText(hd, t.id, "note: ", argv[3]);
    eventEmit(hd, &cfg, "note", t.id, "text", RedisModule_StringPtrLen(argv[3], NULL), NULL);
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* ------------------------------------------------------------------------ */
/* Views: PEEK, OVERDUE, COUNTS                                              */
/* ------------------------------------------------------------------------ */

/* One ticket as a short map, as PEEK and OVERDUE return it. */
static void replyTicketSummary(Hd *hd, long long tid, int with_sla) {
    RedisModuleString *subject = NULL, *status = NULL, *prio = NULL, *agent = NULL,
                      *cat = NULL, *sla = NULL;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdTicketKey(hd, tid), REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH)
        RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "subject", &subject,
                            "status", &status, "priority", &prio, "assigned_agent", &agent,
                            "category", &cat, "sla_due_at", &sla, NULL);
    RedisModule_CloseKey(k);
    RedisModule_ReplyWithMap(hd->ctx, with_sla ? 8 : 6);
    RedisModule_ReplyWithCString(hd->ctx, "id");
    RedisModule_ReplyWithLongLong(hd->ctx, tid);
#define FIELD(name, v) hdReplyField(hd, name, v)
    FIELD("priority", prio);
    FIELD("subject", subject);
    FIELD("status", status);
    FIELD("category", cat);
    FIELD("assigned_agent", agent);
    if (with_sla) {
        long long due = 0;
        FIELD("sla_due_at", sla);
        if (sla) RedisModule_StringToLongLong(sla, &due);
        RedisModule_ReplyWithCString(hd->ctx, "overdue_ms");
        RedisModule_ReplyWithLongLong(hd->ctx, hd->now - due);
    }
#undef FIELD
}

static long long memberTid(RedisModuleString *m) {
    size_t len;
    long long tid = 0;
    const char *s = RedisModule_StringPtrLen(m, &len);
    hdParseTicketMember(s, len, &tid);
    return tid;
}

/* All active tickets, highest priority first (equal priorities in reverse
 * member order, as ZREVRANGE). */
static long long peekAll(Hd *hd, long long count) {
    long long n = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdKey(hd, "queue:priority"), REDISMODULE_READ);
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_ZSET) { RedisModule_CloseKey(k); return 0; }
    RedisModule_ZsetLastInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
                                     REDISMODULE_POSITIVE_INFINITE, 0, 0);
    while (n < count && !RedisModule_ZsetRangeEndReached(k)) {
        RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, NULL);
        long long tid = memberTid(m);
        RedisModule_FreeString(hd->ctx, m);
        if (tid) { replyTicketSummary(hd, tid, 0); n++; }
        RedisModule_ZsetRangePrev(k);
    }
    RedisModule_CloseKey(k);
    return n;
}

/* Unassigned tickets of the given categories in routing order: a k-way merge
 * of the routing queues by score. */
static long long peekRouting(Hd *hd, char cats[][33], int ncat, long long count) {
    RedisModuleKey *keys[HD_MAX_CATEGORIES];
    long long n = 0;
    for (int i = 0; i < ncat; i++) {
        keys[i] = RedisModule_OpenKey(hd->ctx, hdRoutingKey(hd, cats[i], strlen(cats[i])),
                                      REDISMODULE_READ);
        if (RedisModule_KeyType(keys[i]) == REDISMODULE_KEYTYPE_ZSET)
            RedisModule_ZsetFirstInScoreRange(keys[i], REDISMODULE_NEGATIVE_INFINITE,
                                              REDISMODULE_POSITIVE_INFINITE, 0, 0);
        else { RedisModule_CloseKey(keys[i]); keys[i] = NULL; }
    }
    while (n < count) {
        int best = -1;
        double bestScore = 0;
        for (int i = 0; i < ncat; i++) {
            double score;
            if (!keys[i] || RedisModule_ZsetRangeEndReached(keys[i])) continue;
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(keys[i], &score);
            RedisModule_FreeString(hd->ctx, m);
            if (best < 0 || score < bestScore) { best = i; bestScore = score; }
        }
        if (best < 0) break;
        RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(keys[best], NULL);
        long long tid = memberTid(m);
        RedisModule_FreeString(hd->ctx, m);
        RedisModule_ZsetRangeNext(keys[best]);
        if (tid) { replyTicketSummary(hd, tid, 0); n++; }
    }
    for (int i = 0; i < ncat; i++) if (keys[i]) RedisModule_CloseKey(keys[i]);
    return n;
}

static int cmdTicketPeek(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    long long count = 10, n;
    int unassigned = 0;
    char cat[1][33];
    size_t catlen = 0;

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    unsigned seen = 0;
    for (int i = 2; i < argc; i++) {
        if (hdArgIs(argv[i], "COUNT")) {
            if (!hdOptionValue(hd, &seen, 1, argv, argc, i, "a number")) return REDISMODULE_OK;
            if (!hdArgLongLong(hd, argv[++i], "COUNT", 1, HD_COUNT_MAX, &count))
                return REDISMODULE_OK;
        } else if (hdArgIs(argv[i], "CATEGORY")) {
            if (!hdOptionValue(hd, &seen, 2, argv, argc, i, "a category")) return REDISMODULE_OK;
            if (!parseCategoryArg(hd, &cfg, argv[++i], cat[0], &catlen)) return REDISMODULE_OK;
        } else if (hdArgIs(argv[i], "UNASSIGNED")) {
            if (!hdOptionOnce(hd, &seen, 4, argv[i])) return REDISMODULE_OK;
            unassigned = 1;
        } else {
            return hdSyntax(hd, "unexpected argument '%s'; TICKET.PEEK desk [COUNT n] "
                            "[CATEGORY c] [UNASSIGNED]", RedisModule_StringPtrLen(argv[i], NULL));
        }
    }
    if (!hdCheckType(hd, hdKey(hd, "queue:priority"), REDISMODULE_KEYTYPE_ZSET))
        return REDISMODULE_OK;
    RedisModule_ReplyWithArray(hd->ctx, REDISMODULE_POSTPONED_LEN);
    if (catlen) n = peekRouting(hd, cat, 1, count);
    else if (unassigned) n = peekRouting(hd, cfg.cats, cfg.ncat, count);
    else n = peekAll(hd, count);
    RedisModule_ReplySetArrayLength(hd->ctx, n);
    return REDISMODULE_OK;
}

static int cmdTicketOverdue(Hd *hd, RedisModuleString **argv, int argc) {
    long long count = 10, n = 0;

    if (!parseCount(hd, argv, argc, 2, &count)) return REDISMODULE_OK;
    if (!hdCheckType(hd, hdKey(hd, "queue:sla"), REDISMODULE_KEYTYPE_ZSET)) return REDISMODULE_OK;
    RedisModule_ReplyWithArray(hd->ctx, REDISMODULE_POSTPONED_LEN);
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdKey(hd, "queue:sla"), REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET) {
        RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE, (double)hd->now, 0, 1);
        while (n < count && !RedisModule_ZsetRangeEndReached(k)) {
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, NULL);
            long long tid = memberTid(m);
            RedisModule_FreeString(hd->ctx, m);
            if (tid) { replyTicketSummary(hd, tid, 1); n++; }
            RedisModule_ZsetRangeNext(k);
        }
    }
    RedisModule_CloseKey(k);
    RedisModule_ReplySetArrayLength(hd->ctx, n);
    return REDISMODULE_OK;
}

static int cmdTicketCounts(Hd *hd, RedisModuleString **argv, int argc) {
    int n = 0;
    RedisModuleString *stats = hdKey(hd, "stats");
    if (!hdCheckType(hd, stats, REDISMODULE_KEYTYPE_HASH)) return REDISMODULE_OK;
    while (statusNames[n]) n++;
    RedisModule_ReplyWithMap(hd->ctx, n);
    for (int i = 0; i < n; i++) {
        char field[32];
        long long v = 0;
        snprintf(field, sizeof(field), "status:%s", statusNames[i]);
        hdHashGetLL(hd, stats, field, &v);
        RedisModule_ReplyWithCString(hd->ctx, statusNames[i]);
        RedisModule_ReplyWithLongLong(hd->ctx, v);
    }
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* Removing categories (DESK.CONFIG SET desk categories ... [FORCE])         */
/* ------------------------------------------------------------------------ */

static int inCategoryList(char (*cats)[33], int n, const Ticket *t) {
    for (int i = 0; i < n; i++)
        if (strlen(cats[i]) == t->catlen && !memcmp(cats[i], t->category, t->catlen)) return 1;
    return 0;
}

/* Walks D:queue:priority (every active ticket) and calls fn on each ticket
 * whose category is one of cats. Returns -1 (after replying) on a damaged key. */
typedef void (*TicketFn)(Hd *hd, const DeskConfig *cfg, Ticket *t);

static long long walkCategoryTickets(Hd *hd, const DeskConfig *cfg, char (*cats)[33],
                                     int n, TicketFn fn) {
    long long found = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdKey(hd, "queue:priority"), REDISMODULE_READ);
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_ZSET) { RedisModule_CloseKey(k); return 0; }
    RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
                                      REDISMODULE_POSITIVE_INFINITE, 0, 0);
    while (!RedisModule_ZsetRangeEndReached(k)) {
        RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, NULL);
        long long tid = memberTid(m);
        Ticket t;
        RedisModule_FreeString(hd->ctx, m);
        RedisModule_ZsetRangeNext(k);
        if (!tid) continue;
        if (!ticketLoad(hd, tid, &t)) { found = -1; break; }
        if (!t.exists || !ticketIsActive(&t) || !inCategoryList(cats, n, &t)) continue;
        if (!fn && !ticketCheckKeys(hd, &t)) { found = -1; break; }
        if (fn) fn(hd, cfg, &t);
        found++;
    }
    RedisModule_ZsetRangeStop(k);
    RedisModule_CloseKey(k);
    return found;
}

static void requeueUnderGeneral(Hd *hd, const DeskConfig *cfg, Ticket *t) {
    RedisModuleString *fv[6];
    fv[0] = RedisModule_CreateString(hd->ctx, "category", 8);
    fv[1] = RedisModule_CreateString(hd->ctx, "general", 7);
    ticketWrite(hd, t, fv, 2);
    if (!t->agent) {
        queueRemoveRouting(hd, t->id, t->category, t->catlen);
        queueAddRouting(hd, t->id, "general", 7, t->priority);
    }
    statsMove(hd, "category", t->category, t->catlen, "general", 7);
    ticketLog(hd, t->id, "category %s -> general (category removed)", t->category);
    eventEmit(hd, cfg, "updated", t->id, "fields", "category", NULL);
}

long long ticketsInCategories(Hd *hd, char (*cats)[33], int n) {
    return walkCategoryTickets(hd, NULL, cats, n, NULL);
}

void ticketsRequeueUnderGeneral(Hd *hd, const DeskConfig *cfg, char (*cats)[33], int n) {
    walkCategoryTickets(hd, cfg, cats, n, requeueUnderGeneral);
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

#define ARG(n, t) {.name = n, .type = REDISMODULE_ARG_TYPE_##t}
#define OPT(n, tok, t) {.name = n, .type = REDISMODULE_ARG_TYPE_##t, .token = tok, \
                        .flags = REDISMODULE_CMD_ARG_OPTIONAL}
#define FLAG(n, tok) {.name = n, .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = tok, \
                      .flags = REDISMODULE_CMD_ARG_OPTIONAL}

static RedisModuleCommandArg argsCreate[] = {
    ARG("subject", STRING), OPT("body", "BODY", STRING), OPT("customer", "CUSTOMER", STRING),
    OPT("priority", "PRIORITY", INTEGER), OPT("category", "CATEGORY", STRING),
    OPT("sla", "SLA", INTEGER), FLAG("route", "ROUTE"), {0}
};
static RedisModuleCommandArg argsTid[] = { ARG("tid", INTEGER), {0} };
static RedisModuleCommandArg argsUpdate[] = {
    ARG("tid", INTEGER),
    {.name = "data", .type = REDISMODULE_ARG_TYPE_BLOCK, .flags = REDISMODULE_CMD_ARG_MULTIPLE,
     .subargs = (RedisModuleCommandArg[]){ ARG("field", STRING), ARG("value", STRING), {0}}},
    OPT("version", "IFVERSION", INTEGER), {0}
};
static RedisModuleCommandArg argsStatus[] = {
    ARG("tid", INTEGER),
    {.name = "status", .type = REDISMODULE_ARG_TYPE_ONEOF, .subargs = (RedisModuleCommandArg[]){
        {.name = "open", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "open"},
        {.name = "in_progress", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "in_progress"},
        {.name = "on_hold", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "on_hold"},
        {.name = "closed", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "closed"}, {0}}},
    OPT("text", "NOTE", STRING), OPT("version", "IFVERSION", INTEGER), {0}
};
static RedisModuleCommandArg argsAssign[] = {
    ARG("tid", INTEGER), ARG("aid", STRING), FLAG("force", "FORCE"), {0}
};
static RedisModuleCommandArg argsClose[] = {
    ARG("tid", INTEGER), OPT("text", "RESOLUTION", STRING), {0}
};
static RedisModuleCommandArg argsLog[] = { ARG("tid", INTEGER), OPT("count", "COUNT", INTEGER), {0} };
static RedisModuleCommandArg argsNote[] = { ARG("tid", INTEGER), ARG("text", STRING), {0} };
static RedisModuleCommandArg argsPeek[] = {
    OPT("count", "COUNT", INTEGER), OPT("category", "CATEGORY", STRING),
    FLAG("unassigned", "UNASSIGNED"), {0}
};
static RedisModuleCommandArg argsCount[] = { OPT("count", "COUNT", INTEGER), {0} };
static RedisModuleCommandArg argsNone[] = { {0} };

HdCommand hdTicketCommands[] = {
    {"ticket.create", cmdTicketCreate, "write deny-oom", -3, 1,
     "Open a ticket: classified, queued by priority and SLA, logged; returns its id",
     "O(log N) with N open tickets", argsCreate},
    {"ticket.get", cmdTicketGet, "readonly fast", 3, 0,
     "All fields of a ticket as a map, or nil", "O(1)", argsTid},
    {"ticket.update", cmdTicketUpdate, "write deny-oom", -5, 1,
     "Change subject, body, priority, category or sla_due_at; re-scores the queues; "
     "returns the new version", "O(log N)", argsUpdate},
    {"ticket.status", cmdTicketStatus, "write deny-oom", -4, 1,
     "Move a ticket to open, in_progress, on_hold or closed (illegal moves fail STATE)",
     "O(log N)", argsStatus},
    {"ticket.assign", cmdTicketAssign, "write deny-oom", -4, 1,
     "Assign (or re-assign) a ticket to an agent, checking availability, capacity and skill "
     "unless FORCE", "O(log N)", argsAssign},
    {"ticket.unassign", cmdTicketUnassign, "write deny-oom", 3, 1,
     "Take a ticket off its agent and return it to its routing queue", "O(log N)", argsTid},
    {"ticket.close", cmdTicketClose, "write deny-oom", -3, 1,
     "Close a ticket: out of every queue, off its agent, closed_at set, logged",
     "O(log N)", argsClose},
    {"ticket.reopen", cmdTicketReopen, "write deny-oom", 3, 1,
     "Reopen a closed ticket: open, unassigned, queued with a fresh SLA", "O(log N)", argsTid},
    {"ticket.del", cmdTicketDel, "write", 3, 1,
     "Delete a ticket with its log, chat, state and every index entry; returns 1 or 0",
     "O(log N + L) with L log entries", argsTid},
    {"ticket.log", cmdTicketLog, "readonly", -3, 0,
     "The ticket's log entries, oldest first (the newest COUNT if given)",
     "O(L) with L entries returned", argsLog},
    {"ticket.note", cmdTicketNote, "write deny-oom fast", 4, 1,
     "Add a note to the ticket's log", "O(1)", argsNote},
    {"ticket.peek", cmdTicketPeek, "readonly", -2, 0,
     "The most urgent tickets without changing anything", "O(C log N + COUNT) with C categories",
     argsPeek},
    {"ticket.counts", cmdTicketCounts, "readonly fast", 2, 0,
     "Number of tickets per status", "O(1)", argsNone},
    {"ticket.overdue", cmdTicketOverdue, "readonly", -2, 0,
     "Tickets past their sla_due_at, most overdue first", "O(log N + COUNT)", argsCount},
    {NULL}
};
