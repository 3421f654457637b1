/* record.c -- the ticket record: D:ticket:<tid> and what is derived from it.
 *
 * Loading, writing, inserting, assigning, unassigning and retiring a ticket,
 * status changes, id allocation, the TICKET.GET reply and the agent load
 * helpers: the primitives ticket.c, agent.c, routing.c, desk.c and flood.c
 * build their commands from. Each keeps the queues, the agent's open set and
 * load, the customer's set and D:stats in step with the hash (SPEC.md
 * section 8). Callers validate first; nothing here replies except the
 * loaders, on a damaged key. The record does not know the layers above it:
 * flood and routing hooks are run by the commands (or, for waking routing
 * waiters, by queue.c through a hook routing registers), and the service
 * levels follow it through hooks sla.c registers at load (slaInit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpdesk.h"

/* The fields every ticket reply has, in reply order; F_* are their indexes. */
enum {
    F_USER_ID, F_SUBJECT, F_BODY, F_STATUS, F_PRIORITY, F_CATEGORY, F_URGENCY,
    F_CREATED_AT, F_UPDATED_AT, F_ASSIGNED_AGENT, F_SLA_DUE_AT, F_CLOSED_AT,
    F_MASTER, F_VERSION, F_COUNT
};
static const char *ticketFields[] = {
    "user_id", "subject", "body", "status", "priority", "category", "urgency",
    "created_at", "updated_at", "assigned_agent", "sla_due_at", "closed_at",
    "master", "version", NULL
};
_Static_assert(sizeof(ticketFields) / sizeof(*ticketFields) == F_COUNT + 1,
               "ticketFields and F_* disagree");

/* Index of a fixed field, -1 for any other. Every field of every ticket
 * read passes here, so the candidate is picked by length and a letter and
 * compared once (fixedInfoInit checks this against ticketFields). */
static int fixedIndex(const char *s, size_t len) {
    int i;
    switch (len) {
    case 4: i = F_BODY; break;
    case 6: i = s[0] == 's' ? F_STATUS : F_MASTER; break;
    case 7: i = s[0] == 's' ? F_SUBJECT : s[0] == 'v' ? F_VERSION
                                        : s[1] == 's' ? F_USER_ID : F_URGENCY; break;
    case 8: i = s[0] == 'p' ? F_PRIORITY : F_CATEGORY; break;
    case 9: i = F_CLOSED_AT; break;
    case 10: i = s[0] == 'c' ? F_CREATED_AT : s[0] == 'u' ? F_UPDATED_AT : F_SLA_DUE_AT; break;
    case 14: i = F_ASSIGNED_AGENT; break;
    default: return -1;
    }
    return memcmp(ticketFields[i], s, len) == 0 ? i : -1;
}

/* Per fixed field, found once: its length and the kind of its values
 * (hdFieldKind). */
static struct { size_t len; int kind; } fixedInfo[F_COUNT];
static int fixedInfoReady;

static void fixedInfoInit(void) {
    if (fixedInfoReady) return;
    for (int i = 0; i < F_COUNT; i++) {
        fixedInfo[i].len = strlen(ticketFields[i]);
        fixedInfo[i].kind = hdFieldKind(ticketFields[i], fixedInfo[i].len);
        RedisModule_Assert(fixedIndex(ticketFields[i], fixedInfo[i].len) == i);
    }
    fixedInfoReady = 1;
}

static RedisModuleString *fixedName(Hd *hd, int i) {
    return hdConstString(hd, ticketFields[i]);
}

/* The service levels' hooks (slaInit registers them at load). */
static HdRecordSlaHooks slaHooks;

void recordSetSlaHooks(const HdRecordSlaHooks *hooks) {
    slaHooks = *hooks;
}

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

/* ------------------------------------------------------------------------ */
/* The ticket hash read whole (Ticket.read)                                  */
/* ------------------------------------------------------------------------ */

/* One ScanKey pass costs less than HashGet of the eight fields a load needs
 * (each HashGet walks the listpack from its start), and it is the whole
 * ticket: TICKET.NEXT replies from it instead of reading the hash again,
 * and ticketAssignTo knows whether there is a `relaxed` to delete. The
 * record's own writes keep it current; any other write to the hash makes
 * the effects layer forget it (hdHashReadKept), and then it is not used. */
typedef struct TicketRead {
    HdHashRead h;                       /* first: the read effects.c keeps */
    signed char slot[HD_HASH_READ_MAX]; /* F_* of h.f[i], -1 for another field */
    signed char pos[F_COUNT];           /* index in h of each fixed field, -1 */
    int nread;                          /* fields when read */
    /* Read in one ScanKey pass: a listpack, where a write sets a field in
     * place and adds a new one at the end, as readSet does. Until the hash
     * has more fields or a longer field or value than when it was read
     * (grew), it stays a listpack whatever the server's limits, so h keeps
     * the order a new read would find. */
    int compact, grew;
    size_t longest;
} TicketRead;

typedef struct ReadWalk { Hd *hd; TicketRead *r; } ReadWalk;

static void readIndex(TicketRead *r) {
    memset(r->pos, -1, sizeof(r->pos));
    for (int i = 0; i < r->h.n; i++)
        if (r->slot[i] >= 0) r->pos[(int)r->slot[i]] = (signed char)i;
}

static void readField(RedisModuleKey *key, RedisModuleString *field,
                      RedisModuleString *value, void *privdata) {
    ReadWalk *w = privdata;
    TicketRead *r = w->r;
    size_t flen, vlen;
    const char *f = RedisModule_StringPtrLen(field, &flen);
    int i = r->h.n, slot;
    if (i == HD_HASH_READ_MAX) { r->h.truncated = 1; return; }
    RedisModule_StringPtrLen(value, &vlen);
    slot = fixedIndex(f, flen);
    r->slot[i] = (signed char)slot;
    /* ScanKey's strings end with the callback: the read holds its own
     * references (auto memory); a fixed field's name is the shared one. */
    r->h.f[i] = slot >= 0 ? fixedName(w->hd, slot) : RedisModule_HoldString(w->hd->ctx, field);
    r->h.v[i] = RedisModule_HoldString(w->hd->ctx, value);
    if (flen > r->longest) r->longest = flen;
    if (vlen > r->longest) r->longest = vlen;
    r->h.n++;
}

/* The hash of open key k (a HASH) read whole, or NULL when it has more
 * fields than a read keeps. Pool memory, references by auto memory: only
 * with the key-name memo on (a command's context). */
static TicketRead *readWhole(Hd *hd, RedisModuleKey *k, RedisModuleString *key) {
    TicketRead *r = RedisModule_PoolAlloc(hd->ctx, sizeof(*r));
    ReadWalk w = { hd, r };
    int more = 0;
    r->h.key = key;
    r->h.type = REDISMODULE_KEYTYPE_HASH;
    r->h.n = r->h.truncated = 0;
    r->grew = 0;
    r->longest = 0;
    RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
    while (RedisModule_ScanKey(k, cur, readField, &w)) more = 1;
    RedisModule_ScanCursorDestroy(cur);
    if (r->h.truncated) return NULL;
    r->compact = !more;
    r->nread = r->h.n;
    readIndex(r);
    return r;
}

/* t's read when nothing but the record has written the hash since. */
static TicketRead *currentRead(Hd *hd, Ticket *t) {
    if (t->read && hdHashReadKept(hd, t->key) == &t->read->h) return t->read;
    t->read = NULL;
    return NULL;
}

static int readFind(const TicketRead *r, const char *f, size_t flen) {
    int slot = fixedIndex(f, flen);
    if (slot >= 0) return r->pos[slot];
    for (int i = 0; i < r->h.n; i++) {
        size_t len;
        const char *s;
        if (r->slot[i] >= 0) continue;
        s = RedisModule_StringPtrLen(r->h.f[i], &len);
        if (len == flen && !memcmp(s, f, len)) return i;
    }
    return -1;
}

/* The write HSET f v, done: returns 0 when the read cannot follow it. */
static int readSet(Hd *hd, TicketRead *r, RedisModuleString *f, RedisModuleString *v) {
    size_t flen, vlen;
    const char *fs = RedisModule_StringPtrLen(f, &flen);
    int i = readFind(r, fs, flen);
    RedisModule_StringPtrLen(v, &vlen);
    if (i < 0) {
        if (r->h.n == HD_HASH_READ_MAX) return 0;
        i = r->h.n++;
        r->slot[i] = (signed char)fixedIndex(fs, flen);
        r->h.f[i] = r->slot[i] >= 0 ? fixedName(hd, r->slot[i])
                                    : RedisModule_HoldString(hd->ctx, f);
        if (r->slot[i] >= 0) r->pos[(int)r->slot[i]] = (signed char)i;
    }
    r->h.v[i] = RedisModule_HoldString(hd->ctx, v);
    if (r->h.n > r->nread || flen > r->longest || vlen > r->longest) r->grew = 1;
    return 1;
}

/* The write HDEL of field i, done. */
static void readDel(TicketRead *r, int i) {
    int rest = r->h.n - i - 1;
    memmove(&r->h.f[i], &r->h.f[i + 1], sizeof(r->h.f[0]) * (size_t)rest);
    memmove(&r->h.v[i], &r->h.v[i + 1], sizeof(r->h.v[0]) * (size_t)rest);
    memmove(&r->slot[i], &r->slot[i + 1], (size_t)rest);
    r->h.n--;
    readIndex(r);
}

static RedisModuleString *readValue(const TicketRead *r, int slot) {
    return r->pos[slot] >= 0 ? r->h.v[(int)r->pos[slot]] : NULL;
}

int ticketLoad(Hd *hd, long long tid, Ticket *t) {
    RedisModuleString *status = NULL, *prio = NULL, *cat = NULL, *ver = NULL, *sla = NULL;
    RedisModuleKey *k;
    TicketRead *tr;
    const HdHashRead *r;

    fixedInfoInit();
    memset(t, 0, sizeof(*t));
    t->id = tid;
    t->key = hdTicketKey(hd, tid);
    /* A command that reads the SLA state too (TICKET.CLOSE) has read the
     * hash whole first (hdHashRead): the fields come from that one pass. */
    if ((r = hdHashReadKept(hd, t->key)) != NULL) {
        if (r->type == REDISMODULE_KEYTYPE_EMPTY) return 1;
        if (r->type != REDISMODULE_KEYTYPE_HASH)
            return hdCheckTypeOrReply(hd, t->key, REDISMODULE_KEYTYPE_HASH);
#define GET(name) hdHashReadField(hd, r, name, sizeof(name) - 1)
        status = GET("status");
        prio = GET("priority");
        cat = GET("category");
        t->agent = GET("assigned_agent");
        ver = GET("version");
        sla = GET("sla_due_at");
        t->master = GET("master");
        t->user_id = GET("user_id");
#undef GET
        goto loaded;
    }
    k = hdKeyOpen(hd, t->key);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_EMPTY) {
        hdKeyRelease(hd, k);
        return 1;
    }
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) {
        hdKeyRelease(hd, k);
        return hdCheckTypeOrReply(hd, t->key, REDISMODULE_KEYTYPE_HASH);
    }
    if (hd->memo_on && (tr = readWhole(hd, k, t->key)) != NULL) {
        hdKeyRelease(hd, k);
        t->read = tr;
        hdHashReadAdopt(hd, &tr->h);
        status = readValue(tr, F_STATUS);
        prio = readValue(tr, F_PRIORITY);
        cat = readValue(tr, F_CATEGORY);
        t->agent = readValue(tr, F_ASSIGNED_AGENT);
        ver = readValue(tr, F_VERSION);
        sla = readValue(tr, F_SLA_DUE_AT);
        t->master = readValue(tr, F_MASTER);
        t->user_id = readValue(tr, F_USER_ID);
        goto loaded;
    }
    /* No read whole (a timer's context, or too many fields): the eight
     * fields by HashGet, with shared field-name strings (with C field names
     * Redis makes and frees a string object per field). */
#define FN(i) fixedName(hd, i)
    RedisModule_HashGet(k, REDISMODULE_HASH_NONE,
                        FN(F_STATUS), &status, FN(F_PRIORITY), &prio, FN(F_CATEGORY), &cat,
                        FN(F_ASSIGNED_AGENT), &t->agent, FN(F_VERSION), &ver,
                        FN(F_SLA_DUE_AT), &sla, FN(F_MASTER), &t->master,
                        FN(F_USER_ID), &t->user_id, NULL);
#undef FN
    hdKeyRelease(hd, k);
loaded:
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
    if (!hdArgTicketIdOrReply(hd, arg, &tid)) return 0;
    if (!ticketLoad(hd, tid, t)) return 0;
    if (!t->exists) {
        hdError(hd, "NOTFOUND", "ticket %lld does not exist on desk '%.*s'",
                tid, (int)hd->dlen, hd->dname);
        return 0;
    }
    return 1;
}

static const char *agentName(const Ticket *t) {
    return t->agent ? RedisModule_StringPtrLen(t->agent, NULL) : "";
}

void ticketWrite(Hd *hd, Ticket *t, RedisModuleString **fv, int n) {
    TicketRead *r = currentRead(hd, t);
    fv[n++] = fixedName(hd, F_UPDATED_AT);
    fv[n++] = RedisModule_CreateStringFromLongLong(hd->ctx, hd->now);
    fv[n++] = fixedName(hd, F_VERSION);
    fv[n++] = RedisModule_CreateStringFromLongLong(hd->ctx, ++t->version);
    fxHashSet(hd, t->key, fv, n);
    if (!r) return;
    for (int i = 0; i + 1 < n; i += 2)
        if (!readSet(hd, r, fv[i], fv[i + 1])) { t->read = NULL; return; }
    hdHashReadAdopt(hd, &r->h);
}

static void setStatusField(Hd *hd, Ticket *t, const char *to) {
    RedisModuleString *fv[6];
    fv[0] = hdConstString(hd, "status");
    fv[1] = RedisModule_CreateString(hd->ctx, to, strlen(to));
    ticketWrite(hd, t, fv, 2);
}

/* Moves the status counters and the field; callers log and emit. */
void ticketChangeStatus(Hd *hd, Ticket *t, const char *to) {
    statsMove(hd, "status", t->status, strlen(t->status), to, strlen(to));
    setStatusField(hd, t, to);
    snprintf(t->status, sizeof(t->status), "%s", to);
}

/* The agent fields of the routing hot path, as shared strings. */
enum { A_LOAD, A_CAPACITY, A_AVAILABILITY, A_ASSIGNED_TOTAL, A_COUNT };
static RedisModuleString *agentField(Hd *hd, int i) {
    static const char *lits[A_COUNT] = { "load", "capacity", "availability", "assigned_total" };
    return hdConstString(hd, lits[i]);
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
    k = hdKeyOpen(hd, a->key);
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) {
        hdKeyRelease(hd, k);
        return 0;
    }
    RedisModule_HashGet(k, REDISMODULE_HASH_NONE, agentField(hd, A_LOAD), &load,
                        agentField(hd, A_CAPACITY), &cap,
                        agentField(hd, A_AVAILABILITY), &avail,
                        agentField(hd, A_ASSIGNED_TOTAL), &total, NULL);
    hdKeyRelease(hd, k);
    a->load = a->capacity = a->assigned_total = 0;
    if (load) RedisModule_StringToLongLong(load, &a->load);
    if (cap) RedisModule_StringToLongLong(cap, &a->capacity);
    if (total) RedisModule_StringToLongLong(total, &a->assigned_total);
    copyField(avail, a->availability, sizeof(a->availability), NULL);
    return 1;
}

/* Type checks of the keys every ticket write may touch. */
int ticketCheckKeys(Hd *hd, Ticket *t) {
    return hdCheckTypeOrReply(hd, hdQueuePriorityKey(hd), REDISMODULE_KEYTYPE_ZSET) &&
           hdCheckTypeOrReply(hd, hdQueueSlaKey(hd), REDISMODULE_KEYTYPE_ZSET) &&
           hdCheckTypeOrReply(hd, hdSlaTimerKey(hd), REDISMODULE_KEYTYPE_ZSET) &&
           (!slaHooks.checkKeys || slaHooks.checkKeys(hd, t->id)) &&
           queueCheckRoutingOrReply(hd, t->category, t->catlen) &&
           hdCheckTypeOrReply(hd, hdStatsKey(hd), REDISMODULE_KEYTYPE_HASH) &&
           hdCheckTypeOrReply(hd, hdEventsKey(hd), REDISMODULE_KEYTYPE_STREAM) &&
           hdCheckTypeOrReply(hd, hdTicketLogKey(hd, t->id), REDISMODULE_KEYTYPE_LIST);
}

int agentCheckKeys(Hd *hd, RedisModuleString *aid) {
    return hdCheckTypeOrReply(hd, hdAgentKey(hd, aid), REDISMODULE_KEYTYPE_HASH) &&
           hdCheckTypeOrReply(hd, hdAgentOpenKey(hd, aid), REDISMODULE_KEYTYPE_SET);
}

/* ------------------------------------------------------------------------ */
/* Assignment primitives (shared with agent.c through the header)           */
/* ------------------------------------------------------------------------ */

static void detachFromAgent(Hd *hd, Ticket *t) {
    RedisModuleString *aid = t->agent;
    if (slaHooks.unassigned) slaHooks.unassigned(hd, t->id);
    fxSRem(hd, hdAgentOpenKey(hd, aid), hdTicketMember(hd, t->id));
    fxHashIncr(hd, hdAgentKey(hd, aid), "load", -1);
}

/* Taken: a relaxation is over. Without a current read the HDEL looks for
 * itself (it writes nothing when there is no such field). */
static void dropRelaxed(Hd *hd, Ticket *t) {
    TicketRead *r = currentRead(hd, t);
    int i = r ? readFind(r, "relaxed", 7) : -1;
    if (r && i < 0) return;
    fxHashDel(hd, t->key, "relaxed");
    if (!r) return;
    readDel(r, i);
    hdHashReadAdopt(hd, &r->h);
}

/* a: the agent as agentLoad read it, or NULL (its names are built and its
 * counters moved by reading them). */
static void assignTo(Hd *hd, const DeskConfig *cfg, Ticket *t, RedisModuleString *aid,
                     AgentInfo *a, const char *reason) {
    const char *to = RedisModule_StringPtrLen(aid, NULL);
    char from[HD_ID_MAX + 1];
    RedisModuleString *fv[6];

    snprintf(from, sizeof(from), "%s", agentName(t));
    if (t->agent) detachFromAgent(hd, t);
    else queueRemoveRouting(hd, t->id, t->category, t->catlen);

    if (a) {
        /* The values fxHashIncrPair would compute: agentLoad read them as it
         * does (a value that is no integer counts as 0). */
        fv[0] = agentField(hd, A_LOAD);
        fv[1] = RedisModule_CreateStringFromLongLong(hd->ctx, ++a->load);
        fv[2] = agentField(hd, A_ASSIGNED_TOTAL);
        fv[3] = RedisModule_CreateStringFromLongLong(hd->ctx, ++a->assigned_total);
        fxSAdd(hd, a->open_key, hdTicketMember(hd, t->id));
        fxHashSet(hd, a->key, fv, 4);
    } else {
        fxSAdd(hd, hdAgentOpenKey(hd, aid), hdTicketMember(hd, t->id));
        fxHashIncrPair(hd, hdAgentKey(hd, aid), "load", 1, "assigned_total", 1);
    }
    dropRelaxed(hd, t);
    /* The reassign-after clock starts. */
    if (slaHooks.assigned) slaHooks.assigned(hd, cfg, t->id);
    fv[0] = fixedName(hd, F_ASSIGNED_AGENT);
    fv[1] = aid;
    ticketWrite(hd, t, fv, 2);
    t->agent = aid;

    if (from[0]) ticketLog(hd, t->id, "reassigned from %s to %s", from, to);
    else ticketLog(hd, t->id, "assigned to %s", to);
    eventEmit(hd, cfg, "assigned", t->id, "agent", to, "from", from, "reason", reason, NULL);
}

void ticketAssignTo(Hd *hd, const DeskConfig *cfg, Ticket *t, RedisModuleString *aid,
                    const char *reason) {
    assignTo(hd, cfg, t, aid, NULL, reason);
}

void ticketAssignToAgent(Hd *hd, const DeskConfig *cfg, Ticket *t, AgentInfo *a,
                         const char *reason) {
    assignTo(hd, cfg, t, a->id, a, reason);
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
        ticketChangeStatus(hd, t, "open");
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
void ticketRetire(Hd *hd, Ticket *t) {
    if (t->agent) {
        detachFromAgent(hd, t);
        fxHashDel(hd, t->key, "assigned_agent");
    } else {
        queueRemoveRouting(hd, t->id, t->category, t->catlen);
    }
    queueRemoveActive(hd, t->id);
}

/* ------------------------------------------------------------------------ */
/* Id allocation and insert                                                 */
/* ------------------------------------------------------------------------ */

int ticketSeqRead(Hd *hd, long long *out) {
    long long v = 0;
    int ok = 1;
    RedisModuleKey *k = hdKeyOpen(hd, hdSeqTicketsKey(hd));
    int type = RedisModule_KeyType(k);
    if (type == REDISMODULE_KEYTYPE_STRING) {
        size_t len;
        const char *p = RedisModule_StringDMA(k, &len, REDISMODULE_READ);
        RedisModuleString *s = RedisModule_CreateString(hd->ctx, p, len);
        ok = RedisModule_StringToLongLong(s, &v) == REDISMODULE_OK && v >= 0;
        RedisModule_FreeString(hd->ctx, s);
    } else if (type != REDISMODULE_KEYTYPE_EMPTY) {
        ok = 0;
    }
    hdKeyRelease(hd, k);
    *out = ok ? v : 0;
    return ok;
}

/* The next free ticket id: D:seq:tickets + 1, skipping ids whose hash exists
 * (a counter reset by hand must not overwrite a ticket). 0 when the counter
 * has reached TICKET_ID_LIMIT (only possible when set by hand) or is not a
 * number (the create refused that earlier). */
long long nextTicketId(Hd *hd) {
    long long tid;
    if (!ticketSeqRead(hd, &tid) || tid >= TICKET_ID_LIMIT) return 0;
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

    fxSet(hd, hdSeqTicketsKey(hd), RedisModule_CreateStringFromLongLong(hd->ctx, tid));
#define F(name, val) do { fv[n++] = hdConstString(hd, name); \
                          fv[n++] = (val); } while (0)
    if (nt->customer) F("user_id", nt->customer);
    F("subject", nt->subject);
    if (nt->body) F("body", nt->body);
    F("status", hdConstString(hd, "open"));
    F("priority", RedisModule_CreateStringFromLongLong(hd->ctx, nt->priority));
    F("category", RedisModule_CreateString(hd->ctx, nt->category, nt->catlen));
    if (nt->urgency) F("urgency", nt->urgency);
    F("created_at", RedisModule_CreateStringFromLongLong(hd->ctx, hd->now));
    F("updated_at", RedisModule_CreateStringFromLongLong(hd->ctx, hd->now));
    F("sla_due_at", RedisModule_CreateStringFromLongLong(hd->ctx, nt->sla_due_at));
    if (nt->first_reply_due_at)
        F("first_reply_due_at", RedisModule_CreateStringFromLongLong(hd->ctx,
                                                                     nt->first_reply_due_at));
    if (nt->master) F("master", nt->master);
    F("version", hdConstString(hd, "1"));
#undef F
    fxHashSet(hd, t->key, fv, n);
    /* queueAddActive without reading back what was just written. */
    fxZAdd(hd, hdQueuePriorityKey(hd), (double)nt->priority, hdTicketMember(hd, tid));
    if (slaHooks.inserted)
        slaHooks.inserted(hd, nt->cfg, tid, nt->priority, nt->first_reply_due_at,
                          nt->sla_due_at);
    if (nt->cfg && nt->cfg->skill_timeout <= 0) {
        /* queueAddRouting's relaxed and skill-timeout checks, known here. */
        queueAddRoutingPlain(hd, tid, nt->category, nt->catlen, nt->priority);
    } else {
        queueAddRouting(hd, tid, nt->category, nt->catlen, nt->priority);
    }
    if (nt->customer) fxSAdd(hd, hdUserTicketsKey(hd, nt->customer), hdTicketMember(hd, tid));
    statsTicket(hd, "open", nt->category, nt->catlen, 1);
}

/* ------------------------------------------------------------------------ */
/* The ticket reply (TICKET.GET, TICKET.NEXT)                               */
/* ------------------------------------------------------------------------ */

/* One pass over the ticket hash (ScanKey) fills both the fixed fields, by
 * their F_* index, and the extra ones: one HashGet per fixed field would
 * walk the hash once per field. */
#define REPLY_EXTRA_MAX 32   /* resolution, resolved_by, the SLA fields, ... */
typedef struct TicketFieldsRead {
    RedisModuleString *fixed[F_COUNT];
    RedisModuleString *f[REPLY_EXTRA_MAX], *v[REPLY_EXTRA_MAX];
    int n;
} TicketFieldsRead;

static void collectField(RedisModuleKey *key, RedisModuleString *field,
                         RedisModuleString *value, void *privdata) {
    TicketFieldsRead *x = privdata;
    size_t len;
    const char *s = RedisModule_StringPtrLen(field, &len);
    int i = fixedIndex(s, len);
    if (i >= 0) {
        if (x->fixed[i]) return;
        RedisModule_RetainString(NULL, value);
        x->fixed[i] = value;
        return;
    }
    if (x->n == REPLY_EXTRA_MAX) return;
    RedisModule_RetainString(NULL, field);
    RedisModule_RetainString(NULL, value);
    x->f[x->n] = field;
    x->v[x->n++] = value;
}

/* Fixed fields first (nil when absent) so clients can rely on the shape,
 * then extra fields such as resolution or sla_breached. The one writer of
 * the reply, whichever read it comes from. */
static void replyFields(Hd *hd, long long tid, const TicketFieldsRead *x) {
    RedisModule_ReplyWithMap(hd->ctx, 1 + F_COUNT + x->n);
    RedisModule_ReplyWithCString(hd->ctx, "id");
    RedisModule_ReplyWithLongLong(hd->ctx, tid);
    for (int i = 0; i < F_COUNT; i++) {
        RedisModule_ReplyWithStringBuffer(hd->ctx, ticketFields[i], fixedInfo[i].len);
        hdReplyValueOfKind(hd, fixedInfo[i].kind, x->fixed[i]);
    }
    for (int i = 0; i < x->n; i++) {
        size_t flen;
        const char *f = RedisModule_StringPtrLen(x->f[i], &flen);
        RedisModule_ReplyWithString(hd->ctx, x->f[i]);
        hdReplyValue(hd, f, flen, x->v[i]);
    }
}

void ticketReply(Hd *hd, long long tid) {
    RedisModuleKey *k;
    TicketFieldsRead x;
    RedisModuleString *key = hdTicketKey(hd, tid);

    fixedInfoInit();
    k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_EMPTY) {
        RedisModule_CloseKey(k);
        RedisModule_ReplyWithNull(hd->ctx);
        return;
    }
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) {
        RedisModule_CloseKey(k);
        hdCheckTypeOrReply(hd, key, REDISMODULE_KEYTYPE_HASH);
        return;
    }
    memset(&x, 0, sizeof(x));
    RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
    while (RedisModule_ScanKey(k, cur, collectField, &x));
    RedisModule_ScanCursorDestroy(cur);
    RedisModule_CloseKey(k);

    replyFields(hd, tid, &x);
    for (int i = 0; i < F_COUNT; i++)
        if (x.fixed[i]) RedisModule_FreeString(NULL, x.fixed[i]);
    for (int i = 0; i < x.n; i++) {
        RedisModule_FreeString(NULL, x.f[i]);
        RedisModule_FreeString(NULL, x.v[i]);
    }
}

/* From the read when a new one would find the same: the extra fields come
 * in hash order, which the read keeps while the hash stays compact (see
 * TicketRead); with no extra field the order does not matter. */
void ticketReplyLoaded(Hd *hd, Ticket *t) {
    TicketRead *r = currentRead(hd, t);
    TicketFieldsRead x;
    int fixed = 0;
    if (r) for (int i = 0; i < F_COUNT; i++) fixed += r->pos[i] >= 0;
    if (!r || (r->h.n > fixed && (!r->compact || r->grew))) {
        ticketReply(hd, t->id);
        return;
    }
    x.n = 0;
    for (int i = 0; i < F_COUNT; i++) x.fixed[i] = readValue(r, i);
    for (int i = 0; i < r->h.n && x.n < REPLY_EXTRA_MAX; i++) {
        if (r->slot[i] >= 0) continue;
        x.f[x.n] = r->h.f[i];
        x.v[x.n++] = r->h.v[i];
    }
    replyFields(hd, t->id, &x);
}

/* ------------------------------------------------------------------------ */
/* Agent skills                                                             */
/* ------------------------------------------------------------------------ */

int agentHasSkill(Hd *hd, RedisModuleString *aid, const char *cat, size_t len) {
    if (len == 7 && !memcmp(cat, "general", 7)) return 1;
    return hdSIsMember(hd, hdAgentSkillsKey(hd, aid),
                       RedisModule_CreateString(hd->ctx, cat, len));
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
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdQueuePriorityKey(hd), REDISMODULE_READ);
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_ZSET) { RedisModule_CloseKey(k); return 0; }
    RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
                                      REDISMODULE_POSITIVE_INFINITE, 0, 0);
    while (!RedisModule_ZsetRangeEndReached(k)) {
        RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, NULL);
        long long tid = hdTicketMemberTid(m);
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
