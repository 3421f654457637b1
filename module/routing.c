/* routing.c -- getting the right ticket to the right agent.
 *
 * Pull: TICKET.NEXT (optionally blocking, like BZPOPMAX) and TICKET.CLAIM
 * take the most urgent unassigned tickets among the categories an agent
 * serves: its skills plus `general`. Each routing queue keeps its best ticket
 * first, so the choice costs O(skills x log N) and never scans.
 * Push: TICKET.CREATE ... ROUTE (or auto-route) hands a new ticket to the best
 * online agent, unless a blocked TICKET.NEXT caller is waiting for it.
 *
 * Redis runs one command at a time, so two agents can never take the same
 * ticket: each assignment moves the ticket out of its routing queue in the
 * same command that chose it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpdesk.h"

#define BLOCK_MAX_MS (365LL * 86400 * 1000)

/* The categories an agent serves: `general` plus every skill, however many
 * (ROUTE and ASSIGN look at every skill, so NEXT and CLAIM do too). */
typedef struct CatList {
    int n, cap;
    char (*cats)[33];           /* pool memory */
} CatList;

/* Routing key name -> number of blocked TICKET.NEXT callers on it. */
static RedisModuleDict *waitersByKey;

void routingInit(RedisModuleCtx *ctx) {
    waitersByKey = RedisModule_CreateDict(NULL);
    queueSetQueuedHook(routingQueued);
}

/* MODULE UNLOAD: Redis refuses it while clients are blocked or a timer is
 * pending, so no waiter (nor the pause timer) is left here. */
void routingUnload(void) {
    RedisModule_FreeDict(NULL, waitersByKey);
    waitersByKey = NULL;
}

/* Skills are a set, so only `general` (always first) can repeat. */
static void catAdd(CatList *l, const char *s, size_t len) {
    if (l->n == l->cap || len > 32) return;
    if (l->n > 0 && len == 7 && !memcmp(s, "general", 7)) return;
    memcpy(l->cats[l->n], s, len);
    l->cats[l->n][len] = '\0';
    l->n++;
}

static void addSkill(const char *s, size_t len, void *privdata) {
    if (hdValidCategory(s, len)) catAdd(privdata, s, len);
}

static void addSkillMember(RedisModuleKey *key, RedisModuleString *member,
                           RedisModuleString *value, void *privdata) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(member, &len);
    addSkill(s, len, privdata);
}

/* One open of the skills key for its type, its size and its members.
 * Returns 0 after replying INVALID when the key is not a set: a damaged
 * skills set is not "no skills" (the agent would silently get nothing). */
static int agentCategories(Hd *hd, RedisModuleString *aid, CatList *l) {
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdAgentSkillsKey(hd, aid), REDISMODULE_READ);
    int type = RedisModule_KeyType(k);
    int isSet = type == REDISMODULE_KEYTYPE_SET;
    long long n = isSet ? (long long)RedisModule_ValueLength(k) : 0;
    if (!isSet && type != REDISMODULE_KEYTYPE_EMPTY) {
        RedisModule_CloseKey(k);
        return hdCheckTypeOrReply(hd, hdAgentSkillsKey(hd, aid), REDISMODULE_KEYTYPE_SET);
    }
    l->n = 0;
    l->cap = (int)n + 1;
    l->cats = RedisModule_PoolAlloc(hd->ctx, sizeof(*l->cats) * (size_t)l->cap);
    catAdd(l, "general", 7);
    if (isSet) {
        RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
        while (RedisModule_ScanKey(k, cur, addSkillMember, l));
        RedisModule_ScanCursorDestroy(cur);
    }
    RedisModule_CloseKey(k);
    return 1;
}

/* First element of a routing queue in [min, max] (min excluded when
 * exclusive); 0 when none. */
static long long queueFirst(Hd *hd, RedisModuleString *key, double min, int exclusive,
                            double max, double *score, int *wrongtype) {
    long long tid = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    int type = RedisModule_KeyType(k);
    hdg.queue_seeks++;
    if (type != REDISMODULE_KEYTYPE_ZSET && type != REDISMODULE_KEYTYPE_EMPTY) *wrongtype = 1;
    if (type == REDISMODULE_KEYTYPE_ZSET &&
        RedisModule_ZsetFirstInScoreRange(k, min, max, exclusive, 0) == REDISMODULE_OK &&
        !RedisModule_ZsetRangeEndReached(k)) {
        size_t len;
        RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, score);
        const char *s = RedisModule_StringPtrLen(m, &len);
        if (!hdParseTicketMember(s, len, &tid)) tid = 0;
        RedisModule_FreeString(hd->ctx, m);
        RedisModule_ZsetRangeStop(k);
    }
    RedisModule_CloseKey(k);
    return tid;
}

/* ------------------------------------------------------------------------ */
/* Picking: a merge over per-queue cursors                                   */
/* ------------------------------------------------------------------------ */

/* A routing queue is ordered by priority band, then ticket id (queue.c).
 * ORDER PRIORITY takes the smallest score among the agent's queues: one
 * cursor per queue, at its head. ORDER CREATED takes the smallest id: one
 * cursor per category on its creation-order twin (D:queue:created:<cat>,
 * scored by id). The cursors sit in a binary heap; after a pick only the
 * cursor that gave the ticket moves (one seek), so a CLAIM of K tickets from
 * S queues costs O((S + K) log S), whatever the number of priorities.
 *
 * A desk written before the twin existed has none until DESK.REPAIR builds
 * it (DESK.CHECK reports the missing entries). Such a queue is recognised
 * by the two sizes differing and served as before, with one cursor per
 * (queue, band) at the band's head: correct, but its setup grows with the
 * priorities waiting. */
#define BAND_WIDTH ((double)(1LL << 40))

typedef struct Cursor {
    double order;               /* heap key: score, or the id for CREATED */
    double score;
    long long tid;
    int q;                      /* index in the CatList */
} Cursor;

typedef struct Merge {
    Hd *hd;
    const CatList *l;
    RedisModuleString **keys;   /* the key each category's cursors walk */
    unsigned char *banded;      /* CREATED without the twin: cursors per band */
    int by_created;
    /* A routing queue that is not a sorted set: the first such key, for the
     * caller to reply INVALID on (the seek that found it served as the
     * type check of the validate-first phase). */
    RedisModuleString *wrongtype;
    Cursor *heap;
    int n, cap;
} Merge;

static void heapPush(Merge *m, Cursor c) {
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->heap = RedisModule_Realloc(m->heap, sizeof(Cursor) * (size_t)m->cap);
    }
    int i = m->n++;
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (m->heap[parent].order <= c.order) break;
        m->heap[i] = m->heap[parent];
        i = parent;
    }
    m->heap[i] = c;
}

static void heapPop(Merge *m) {
    Cursor last = m->heap[--m->n];
    int i = 0;
    for (;;) {
        int child = 2 * i + 1;
        if (child >= m->n) break;
        if (child + 1 < m->n && m->heap[child + 1].order < m->heap[child].order) child++;
        if (last.order <= m->heap[child].order) break;
        m->heap[i] = m->heap[child];
        i = child;
    }
    if (m->n) m->heap[i] = last;
}

/* Puts the cursor of queue q at its first element in [min, max]; returns
 * its score there, or -1 when that range is empty (scores are >= 0). */
static double cursorSeek(Merge *m, int q, double min, int exclusive, double max) {
    Cursor c = { .q = q };
    int wrongtype = 0;
    c.tid = queueFirst(m->hd, m->keys[q], min, exclusive, max, &c.score, &wrongtype);
    if (wrongtype && !m->wrongtype) m->wrongtype = m->keys[q];
    if (!c.tid) return -1;
    c.order = m->by_created ? (double)c.tid : c.score;
    heapPush(m, c);
    return c.score;
}

static double bandEnd(double score) {
    return ((double)(long long)(score / BAND_WIDTH) + 1) * BAND_WIDTH;
}

/* ORDER CREATED on a queue without its twin: one cursor per band present
 * in queue q, at the band's head, band after band on one open key. */
static void bandHeads(Merge *m, int q) {
    RedisModuleKey *k = RedisModule_OpenKey(m->hd->ctx, m->keys[q], REDISMODULE_READ);
    double min = REDISMODULE_NEGATIVE_INFINITE;
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_ZSET) {
        RedisModule_CloseKey(k);
        return;
    }
    for (int bands = 0; bands <= HD_PRIORITY_MAX; bands++) {
        Cursor c = { .q = q };
        size_t len;
        hdg.queue_seeks++;
        if (RedisModule_ZsetFirstInScoreRange(k, min, REDISMODULE_POSITIVE_INFINITE, 0, 0)
                != REDISMODULE_OK || RedisModule_ZsetRangeEndReached(k)) break;
        RedisModuleString *e = RedisModule_ZsetRangeCurrentElement(k, &c.score);
        const char *s = RedisModule_StringPtrLen(e, &len);
        int ok = hdParseTicketMember(s, len, &c.tid);
        RedisModule_FreeString(m->hd->ctx, e);
        if (!ok) break;                 /* as queueFirst: a damaged queue ends here */
        c.order = (double)c.tid;
        heapPush(m, c);
        min = bandEnd(c.score);
    }
    RedisModule_ZsetRangeStop(k);
    RedisModule_CloseKey(k);
}

/* ORDER CREATED: the twin of queue q when it holds the same tickets (the
 * sizes agree; what else could differ is DESK.CHECK's to report), else the
 * routing queue itself, band by band. */
static void createdHeads(Merge *m, int q, RedisModuleString *routing) {
    const char *cat = m->l->cats[q];
    RedisModuleString *twin = hdCreatedKey(m->hd, cat, strlen(cat));
    if (hdZCard(m->hd, twin) == hdZCard(m->hd, routing)) {
        m->keys[q] = twin;
        cursorSeek(m, q, REDISMODULE_NEGATIVE_INFINITE, 0, REDISMODULE_POSITIVE_INFINITE);
        return;
    }
    m->keys[q] = routing;
    m->banded[q] = 1;
    bandHeads(m, q);
}

static void mergeInit(Merge *m, Hd *hd, const CatList *l, int by_created) {
    size_t n = (size_t)(l->n ? l->n : 1);
    memset(m, 0, sizeof(*m));
    m->hd = hd;
    m->l = l;
    m->by_created = by_created;
    m->keys = RedisModule_PoolAlloc(hd->ctx, sizeof(*m->keys) * n);
    m->banded = RedisModule_PoolAlloc(hd->ctx, n);
    memset(m->banded, 0, n);
    for (int q = 0; q < l->n; q++) {
        RedisModuleString *routing = hdRoutingKey(hd, l->cats[q], strlen(l->cats[q]));
        if (by_created) {
            createdHeads(m, q, routing);
            continue;
        }
        m->keys[q] = routing;
        cursorSeek(m, q, REDISMODULE_NEGATIVE_INFINITE, 0, REDISMODULE_POSITIVE_INFINITE);
    }
}

/* The ticket the merge would give next; 0 when none. */
static long long mergePeek(Merge *m) {
    return m->n ? m->heap[0].tid : 0;
}

/* The peeked ticket was taken (it left its queue): move its cursor on. */
static void mergeAdvance(Merge *m) {
    Cursor c = m->heap[0];
    heapPop(m);
    cursorSeek(m, c.q, c.score, 1, m->banded[c.q] ? bandEnd(c.score) - 1
                                                  : REDISMODULE_POSITIVE_INFINITE);
}

static void mergeFree(Merge *m) {
    if (m->heap) RedisModule_Free(m->heap);
    m->heap = NULL;
}

/* The agent's most urgent ticket (NEXT): one look at each queue's head.
 * -1 after replying INVALID when one of the queues is not a sorted set. */
static long long pickTicket(Hd *hd, const CatList *l) {
    Merge m;
    mergeInit(&m, hd, l, 0);
    long long tid = mergePeek(&m);
    mergeFree(&m);
    if (m.wrongtype) {
        hdCheckTypeOrReply(hd, m.wrongtype, REDISMODULE_KEYTYPE_ZSET);
        return -1;
    }
    return tid;
}

/* Checks shared by NEXT and CLAIM; replies the error and returns 0. */
static int agentCanTakeOrReply(Hd *hd, RedisModuleString *aidArg, AgentInfo *a) {
    size_t len;
    const char *aid = RedisModule_StringPtrLen(aidArg, &len);
    if (!agentLoad(hd, aidArg, a)) {
        /* A key of another type is damage, not a missing agent. */
        if (hdValidId(aid, len) &&
            !hdCheckTypeOrReply(hd, hdAgentKey(hd, aidArg), REDISMODULE_KEYTYPE_HASH)) return 0;
        hdError(hd, "NOTFOUND", "agent '%.*s' does not exist; create it with "
                "AGENT.CREATE", (int)(len > 64 ? 64 : len), aid);
        return 0;
    }
    if (strcmp(a->availability, "online") != 0) {
        hdError(hd, "UNAVAILABLE", "agent %s is %s; only online agents take tickets "
                "(AGENT.AVAILABILITY)", aid, a->availability);
        return 0;
    }
    return 1;
}

/* Loads and type-checks a picked ticket: 1 when it can be assigned, 0 when
 * it cannot (a stale queue entry: gone, closed or already assigned), -1
 * when its hash or log has the wrong type. Callers write nothing for a
 * ticket that is not 1. With reply (nothing written yet) -1 comes with the
 * INVALID reply, and the caller replies nothing more; without, nothing is
 * replied (a CLAIM that has assigned tickets already stops there and
 * replies them): the hash is then type-checked before ticketLoad, which
 * would reply. */
static int loadPicked(Hd *hd, long long tid, Ticket *t, int reply) {
    RedisModuleString *log;
    if (!reply && !hdTypeOk(hd, hdTicketKey(hd, tid), REDISMODULE_KEYTYPE_HASH)) return -1;
    if (!ticketLoad(hd, tid, t)) return -1;
    if (!t->exists || !ticketIsActive(t) || t->agent) return 0;
    log = hdTicketLogKey(hd, tid);
    if (hdTypeOk(hd, log, REDISMODULE_KEYTYPE_LIST)) return 1;
    if (reply) hdCheckTypeOrReply(hd, log, REDISMODULE_KEYTYPE_LIST);
    return -1;
}

/* The keys an assignment writes besides the ticket's own: the routing
 * queues it may leave, the event stream and the agent's set (its hash is
 * one: agentLoad read it as a hash). D:stats is not among them: taking a
 * ticket changes no status. With seek_checks the routing queues are left to
 * the pick (pickTicket), which opens each of them anyway. D:sla:reassign
 * is written only with reassign-after on (slaAssignClock). */
static int checkDeskKeys(Hd *hd, const DeskConfig *cfg, const AgentInfo *a, const CatList *l,
                         int seek_checks) {
    for (int i = 0; i < l->n; i++) {
        const char *cat = l->cats[i];
        size_t clen = strlen(cat);
        /* The pick's seeks type-check the routing queues themselves. */
        if (seek_checks ? !hdCheckTypeOrReply(hd, hdCreatedKey(hd, cat, clen),
                                              REDISMODULE_KEYTYPE_ZSET)
                        : !queueCheckRoutingOrReply(hd, cat, clen)) return 0;
    }
    return hdCheckTypeOrReply(hd, hdEventsKey(hd), REDISMODULE_KEYTYPE_STREAM) &&
           hdCheckTypeOrReply(hd, a->open_key, REDISMODULE_KEYTYPE_SET) &&
           (cfg->reassign_after <= 0 ||
            hdCheckTypeOrReply(hd, hdSlaReassignKey(hd), REDISMODULE_KEYTYPE_ZSET));
}

/* ------------------------------------------------------------------------ */
/* TICKET.NEXT D aid [BLOCK ms]                                              */
/* ------------------------------------------------------------------------ */

/* Tries to give the agent its next ticket. Returns 1 when it replied (a
 * ticket or an error), 0 when there is nothing for it. */
static int serveNext(Hd *hd, RedisModuleString *aidArg) {
    DeskConfig cfg;
    AgentInfo a;
    CatList l;
    Ticket t;

    if (!deskConfigLoad(hd, &cfg)) return 1;
    if (!agentCanTakeOrReply(hd, aidArg, &a)) return 1;
    if (a.load >= a.capacity)
        return hdError(hd, "CAPACITY", "agent %s is at capacity (%lld of %lld); close or "
                       "release tickets first", RedisModule_StringPtrLen(aidArg, NULL),
                       a.load, a.capacity), 1;
    if (!agentCategories(hd, aidArg, &l) || !checkDeskKeys(hd, &cfg, &a, &l, 1)) return 1;
    long long tid = pickTicket(hd, &l);
    if (tid < 0) return 1;
    int picked = tid ? loadPicked(hd, tid, &t, 1) : 0;
    if (picked < 0) return 1;
    if (!picked) return 0;
    ticketAssignToAgent(hd, &cfg, &t, &a, "next");
    /* The hash as loaded plus what the assignment wrote: no second read. */
    ticketReplyLoaded(hd, &t);
    return 1;
}

/* One blocked TICKET.NEXT caller. All of them are also chained in a list so
 * push routing can see which agents wait on a queue. It waits on the routing
 * keys of its categories when it blocked, plus its agent's hash (last), which
 * AGENT.SKILLS signals: Redis cannot change the keys a client waits on, so a
 * waiter whose agent's skills changed is marked stale and woken through that
 * key whenever a ticket of one of its agent's categories is queued. */
typedef struct Waiter {
    int nkeys;
    RedisModuleString **keys;
    RedisModuleString *aid, *desk;
    int db;
    int stale;                  /* the agent's skills changed since it blocked */
    int held;                   /* a queued ticket is left for it (push routing) */
    int deferred;               /* woken while clients were paused */
    char gone[160];             /* error to answer with at once ("" = none) */
    RedisModuleBlockedClient *bc;
    struct Waiter *prev, *next;
} Waiter;

static Waiter *waiters;
static long long staleWaiters;

static void waiterCount(RedisModuleString *key, long long delta) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(key, &len);
    long long n = (long long)(intptr_t)RedisModule_DictGetC(waitersByKey, (void *)s, len, NULL);
    n += delta;
    if (n <= 0) RedisModule_DictDelC(waitersByKey, (void *)s, len, NULL);
    else RedisModule_DictReplaceC(waitersByKey, (void *)s, len, (void *)(intptr_t)n);
}

static int hasWaiters(RedisModuleString *key) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(key, &len);
    return RedisModule_DictGetC(waitersByKey, (void *)s, len, NULL) != NULL;
}

static int onDesk(Hd *hd, const Waiter *w) {
    return w->db == RedisModule_GetSelectedDb(hd->ctx) &&
           RedisModule_StringCompare(w->desk, hd->desk) == 0;
}

static int waitsOn(Hd *hd, const Waiter *w, RedisModuleString *key) {
    if (w->db != RedisModule_GetSelectedDb(hd->ctx)) return 0;
    for (int i = 0; i < w->nkeys; i++)
        if (RedisModule_StringCompare(w->keys[i], key) == 0) return 1;
    return 0;
}

static RedisModuleString *waiterAgentKey(const Waiter *w) {
    return w->keys[w->nkeys - 1];
}

static int isAgent(Hd *hd, const Waiter *w, RedisModuleString *aid) {
    return onDesk(hd, w) && RedisModule_StringCompare(w->aid, aid) == 0;
}

/* Whether a blocked caller will take a ticket of this category when woken:
 * its agent may have gone away, filled up or lost the skill since it blocked,
 * and then it would not take the ticket. The one found is marked `held`
 * until it is woken: inside MULTI or a script it is only woken after the
 * whole transaction, and each waiter holds back at most one ticket. */
static int hasReadyWaiter(Hd *hd, const Ticket *t) {
    RedisModuleString *key = hdRoutingKey(hd, t->category, t->catlen);
    if (!hasWaiters(key) && !staleWaiters) return 0;
    for (Waiter *w = waiters; w; w = w->next) {
        AgentInfo a;
        if (w->held || w->gone[0]) continue;
        if (!waitsOn(hd, w, key) && !(w->stale && onDesk(hd, w))) continue;
        if (!agentLoad(hd, w->aid, &a)) continue;
        if (!strcmp(a.availability, "online") && a.load < a.capacity &&
            agentHasSkill(hd, w->aid, t->category, t->catlen)) {
            w->held = 1;
            return 1;
        }
    }
    return 0;
}

/* A ticket entered routing queue `key` (category cat): stale waiters whose
 * agent now serves cat are not waiting on that key; wake them through their
 * agent's key. */
void routingQueued(Hd *hd, const char *cat, size_t clen) {
    if (!staleWaiters) return;
    for (Waiter *w = waiters; w; w = w->next)
        if (w->stale && !w->gone[0] && onDesk(hd, w) && agentHasSkill(hd, w->aid, cat, clen))
            RedisModule_SignalKeyAsReady(hd->ctx, waiterAgentKey(w));
}

/* AGENT.SKILLS changed aid's skills: its waiters follow the new set from
 * now on, and look at once for a ticket of a skill just added. */
void routingAgentSkillsChanged(Hd *hd, RedisModuleString *aid) {
    for (Waiter *w = waiters; w; w = w->next) {
        if (w->gone[0] || !isAgent(hd, w, aid)) continue;
        if (!w->stale) staleWaiters++;
        w->stale = 1;
        RedisModule_SignalKeyAsReady(hd->ctx, waiterAgentKey(w));
    }
}

/* aid was deleted or is no longer online: its waiters can never be served,
 * so they are answered now with an error (code + sentence) saying why. */
void routingAgentGone(Hd *hd, RedisModuleString *aid, const char *code, const char *why) {
    Waiter *next;
    /* next is read first: a server that freed the waiter at once would
     * unlink it from the list. */
    for (Waiter *w = waiters; w; w = next) {
        next = w->next;
        if (w->gone[0] || !isAgent(hd, w, aid)) continue;
        snprintf(w->gone, sizeof(w->gone), "%s agent %s %s while this TICKET.NEXT waited",
                 code, RedisModule_StringPtrLen(aid, NULL), why);
        RedisModule_UnblockClient(w->bc, NULL);
    }
}

/* DESK.PURGE: every key of the desk is gone, its agents with them. */
void routingDeskPurged(Hd *hd) {
    Waiter *next;
    for (Waiter *w = waiters; w; w = next) {
        next = w->next;
        if (w->gone[0] || !onDesk(hd, w)) continue;
        snprintf(w->gone, sizeof(w->gone), "NOTFOUND desk %.*s was purged while this "
                 "TICKET.NEXT waited", (int)hd->dlen, hd->dname);
        RedisModule_UnblockClient(w->bc, NULL);
    }
}

static void freeWaiter(RedisModuleCtx *ctx, void *privdata) {
    Waiter *w = privdata;
    for (int i = 0; i < w->nkeys; i++) {
        waiterCount(w->keys[i], -1);
        RedisModule_FreeString(NULL, w->keys[i]);
    }
    if (w->prev) w->prev->next = w->next;
    else waiters = w->next;
    if (w->next) w->next->prev = w->prev;
    if (w->stale) staleWaiters--;
    RedisModule_FreeString(NULL, w->aid);
    RedisModule_FreeString(NULL, w->desk);
    RedisModule_Free(w->keys);
    hdg.blocked_waiters--;
    RedisModule_Free(w);
}

/* ------------------------------------------------------------------------ */
/* Waiters woken while clients are paused                                    */
/* ------------------------------------------------------------------------ */

/* Serving a woken waiter writes (an assignment), and nothing may be written
 * or propagated while clients are paused (Redis asserts it: CLIENT PAUSE
 * inside the MULTI that queued the ticket gets here). Such a waiter stays
 * blocked; this timer signals its keys again once the pause is over. */
#define PAUSE_RETRY_MS 20
static RedisModuleTimerID pauseTimer;
static int pauseTimerArmed;

static void pauseRetry(RedisModuleCtx *ctx, void *data) {
    if (RedisModule_AvoidReplicaTraffic()) {
        pauseTimer = RedisModule_CreateTimer(ctx, PAUSE_RETRY_MS, pauseRetry, NULL);
        return;
    }
    pauseTimerArmed = 0;
    for (Waiter *w = waiters; w; w = w->next) {
        if (!w->deferred) continue;
        w->deferred = 0;
        if (RedisModule_SelectDb(ctx, w->db) != REDISMODULE_OK) continue;
        for (int i = 0; i < w->nkeys; i++) RedisModule_SignalKeyAsReady(ctx, w->keys[i]);
    }
}

static void deferWhilePaused(RedisModuleCtx *ctx, Waiter *w) {
    w->deferred = 1;
    if (pauseTimerArmed) return;
    pauseTimer = RedisModule_CreateTimer(ctx, PAUSE_RETRY_MS, pauseRetry, NULL);
    pauseTimerArmed = 1;
}

/* Called when one of the agent's routing queues got a ticket (or its agent's
 * skills changed); returning REDISMODULE_ERR keeps the client blocked
 * (another waiter took it). */
static int nextWoken(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    Hd hd;
    Waiter *w = RedisModule_GetBlockedClientPrivateData(ctx);
    RedisModule_AutoMemory(ctx);
    if (w) w->held = 0;
    if (RedisModule_AvoidReplicaTraffic()) {
        if (w) deferWhilePaused(ctx, w);
        return REDISMODULE_ERR;
    }
    hd.ctx = ctx;
    hd.desk = argv[1];
    hd.dname = RedisModule_StringPtrLen(argv[1], &hd.dlen);
    hd.now = (long long)RedisModule_Milliseconds();
    hdKeyMemoStart(&hd);        /* ctx has auto memory (above) */
    /* Served outside hdDispatch: announce the command's module event here. */
    hdNotifyBegin(&hd);
    int served = serveNext(&hd, argv[2]);
    hdNotifyCommand(&hd, "ticket.next");
    return served ? REDISMODULE_OK : REDISMODULE_ERR;
}

/* The BLOCK time ran out, or routingAgentGone answers it. */
static int nextTimedOut(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    Waiter *w = RedisModule_GetBlockedClientPrivateData(ctx);
    if (w && w->gone[0]) return RedisModule_ReplyWithError(ctx, w->gone);
    return RedisModule_ReplyWithNull(ctx);
}

static void blockForNext(Hd *hd, RedisModuleString *aid, long long ms) {
    CatList l;
    Waiter *w = RedisModule_Calloc(1, sizeof(*w));
    (void)agentCategories(hd, aid, &l);    /* serveNext found the skills set whole */
    w->keys = RedisModule_Alloc(sizeof(*w->keys) * (size_t)(l.n + 1));
    for (int i = 0; i <= l.n; i++) {
        w->keys[i] = i < l.n ? hdRoutingKey(hd, l.cats[i], strlen(l.cats[i]))
                             : hdAgentKey(hd, aid);
        RedisModule_RetainString(NULL, w->keys[i]);
        waiterCount(w->keys[i], 1);
    }
    w->nkeys = l.n + 1;
    w->aid = RedisModule_CreateStringFromString(NULL, aid);
    w->desk = RedisModule_CreateStringFromString(NULL, hd->desk);
    w->db = RedisModule_GetSelectedDb(hd->ctx);
    w->next = waiters;
    if (waiters) waiters->prev = w;
    waiters = w;
    hdg.blocked_waiters++;
    w->bc = RedisModule_BlockClientOnKeys(hd->ctx, nextWoken, nextTimedOut, freeWaiter, ms,
                                          w->keys, w->nkeys, w);
}

static int cmdTicketNext(Hd *hd, RedisModuleString **argv, int argc) {
    long long ms = -1;
    if (argc == 5 && hdArgIs(argv[3], "BLOCK")) {
        if (!hdArgLongLongOrReply(hd, argv[4], "BLOCK milliseconds", 0, BLOCK_MAX_MS, &ms))
            return REDISMODULE_OK;
    } else if (argc == 4 && hdArgIs(argv[3], "BLOCK")) {
        return hdSyntax(hd, "BLOCK needs a number of milliseconds");
    } else if (argc != 3) {
        return hdSyntax(hd, "syntax: TICKET.NEXT desk aid [BLOCK ms]");
    }
    if (serveNext(hd, argv[2])) return REDISMODULE_OK;
    /* Like BZPOPMAX: no blocking inside MULTI, scripts or on a replica. */
    int flags = RedisModule_GetContextFlags(hd->ctx);
    if (ms < 0 || (flags & (REDISMODULE_CTX_FLAGS_DENY_BLOCKING | REDISMODULE_CTX_FLAGS_MULTI |
                            REDISMODULE_CTX_FLAGS_LUA | REDISMODULE_CTX_FLAGS_REPLICATED)))
        return RedisModule_ReplyWithNull(hd->ctx);
    blockForNext(hd, argv[2], ms);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* TICKET.CLAIM D aid [COUNT n] [ORDER PRIORITY|CREATED]                     */
/* ------------------------------------------------------------------------ */

static int cmpLL(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

typedef struct IdList { long long *ids; size_t n, cap; } IdList;

static void addTicketId(const char *s, size_t len, void *privdata) {
    IdList *l = privdata;
    long long tid;
    if (!hdParseTicketMember(s, len, &tid)) return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->ids = RedisModule_Realloc(l->ids, l->cap * sizeof(long long));
    }
    l->ids[l->n++] = tid;
}

/* Ascending. An agent holds a few tickets: an insertion sort costs a tenth
 * of qsort's set-up and indirect compares there. */
#define SORT_SMALL 32
static void sortIds(long long *ids, size_t n) {
    if (n > SORT_SMALL) {
        qsort(ids, n, sizeof(long long), cmpLL);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        long long v = ids[i];
        size_t j = i;
        for (; j > 0 && ids[j - 1] > v; j--) ids[j] = ids[j - 1];
        ids[j] = v;
    }
}

static void replyOpenTickets(Hd *hd, const AgentInfo *a) {
    IdList l = { NULL, 0, 0 };
    hdSetForEach(hd, a->open_key, addTicketId, &l);
    sortIds(l.ids, l.n);
    RedisModule_ReplyWithArray(hd->ctx, l.n);
    for (size_t i = 0; i < l.n; i++) RedisModule_ReplyWithLongLong(hd->ctx, l.ids[i]);
    RedisModule_Free(l.ids);
}

static int cmdTicketClaim(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    AgentInfo a;
    CatList l;
    long long count = -1;
    int by_created = 0;

    unsigned seen = 0;
    for (int i = 3; i < argc; i++) {
        if (hdArgIs(argv[i], "COUNT")) {
            if (!hdOptionValue(hd, &seen, 1, argv, argc, i, "a number")) return REDISMODULE_OK;
            if (!hdArgLongLongOrReply(hd, argv[++i], "COUNT", 1, HD_COUNT_MAX, &count))
                return REDISMODULE_OK;
        } else if (hdArgIs(argv[i], "ORDER")) {
            if (!hdOptionValue(hd, &seen, 2, argv, argc, i, "PRIORITY or CREATED"))
                return REDISMODULE_OK;
            i++;
            if (hdArgIs(argv[i], "CREATED")) by_created = 1;
            else if (hdArgIs(argv[i], "PRIORITY")) by_created = 0;
            else return hdError(hd, "INVALID", "ORDER must be PRIORITY or CREATED, got '%s'",
                                RedisModule_StringPtrLen(argv[i], NULL));
        } else {
            return hdSyntax(hd, "unexpected argument '%s'; TICKET.CLAIM desk aid [COUNT n] "
                            "[ORDER PRIORITY|CREATED]", RedisModule_StringPtrLen(argv[i], NULL));
        }
    }
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!agentCanTakeOrReply(hd, argv[2], &a)) return REDISMODULE_OK;
    /* ORDER CREATED sizes the queues instead of seeking them: checked here. */
    if (!agentCategories(hd, argv[2], &l) || !checkDeskKeys(hd, &cfg, &a, &l, !by_created))
        return REDISMODULE_OK;

    /* Top up to COUNT open tickets, never past capacity. */
    long long target = count < 0 ? a.capacity : (count < a.capacity ? count : a.capacity);
    Merge m;
    mergeInit(&m, hd, &l, by_created);
    if (m.wrongtype) {
        mergeFree(&m);
        hdCheckTypeOrReply(hd, m.wrongtype, REDISMODULE_KEYTYPE_ZSET);
        return REDISMODULE_OK;
    }
    long long had = a.load;     /* the assignments below count a.load up */
    for (long long have = had; have < target; have++) {
        Ticket t;
        long long tid = mergePeek(&m);
        /* Damage met before the first write fails the claim; after it the
         * top-up ends there: what was written is whole, the damaged ticket
         * is untouched, and the next CLAIM or NEXT names it. */
        int picked = tid ? loadPicked(hd, tid, &t, have == had) : 0;
        if (picked < 0 && have == had) {
            mergeFree(&m);
            return REDISMODULE_OK;
        }
        if (picked <= 0) break;
        ticketAssignToAgent(hd, &cfg, &t, &a, "claimed");
        mergeAdvance(&m);
        hdg.claims++;
    }
    mergeFree(&m);
    replyOpenTickets(hd, &a);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* Push routing                                                              */
/* ------------------------------------------------------------------------ */

/* Best agent for a category: online, skilled (anyone for `general`), under
 * capacity, least loaded; ties by fewest assignments so far, then id. */
typedef struct BestAgent { Hd *hd; RedisModuleString *best; AgentInfo ba; } BestAgent;

static void considerAgent(const char *id, size_t len, void *privdata) {
    BestAgent *b = privdata;
    AgentInfo a;
    RedisModuleString *aid = RedisModule_CreateString(b->hd->ctx, id, len);
    if (!agentLoad(b->hd, aid, &a) || strcmp(a.availability, "online") != 0 ||
        a.load >= a.capacity || !hdTypeOk(b->hd, a.open_key, REDISMODULE_KEYTYPE_SET))
        return;
    if (!b->best || a.load < b->ba.load ||
        (a.load == b->ba.load && (a.assigned_total < b->ba.assigned_total ||
         (a.assigned_total == b->ba.assigned_total &&
          RedisModule_StringCompare(aid, b->best) < 0)))) {
        b->best = aid;
        b->ba = a;
    }
}

static RedisModuleString *bestAgentFor(Hd *hd, const char *cat, size_t clen) {
    RedisModuleString *setKey = (clen == 7 && !memcmp(cat, "general", 7))
        ? hdAgentsKey(hd) : hdSkillKey(hd, cat, clen);
    BestAgent b = { hd, NULL, { 0 } };
    hdSetForEach(hd, setKey, considerAgent, &b);
    return b.best;
}

void routingOffer(Hd *hd, const DeskConfig *cfg, Ticket *t, int push) {
    if (!push || t->agent || !ticketIsActive(t)) return;
    /* A blocked TICKET.NEXT caller that can take it gets it first: leave it
     * in the queue, the key was signalled when the ticket was queued. */
    int held;
    /* Waiters are clients, not keys: a replay gets the master's answer. */
    if (!hdReplayTakeFlag('w', &held)) held = hasReadyWaiter(hd, t);
    hdReplayNoteFlag('w', held);
    if (held) return;
    RedisModuleString *aid = bestAgentFor(hd, t->category, t->catlen);
    if (aid) ticketAssignTo(hd, cfg, t, aid, "routed");
}

/* ------------------------------------------------------------------------ */
/* TICKET.ROUTE D [tid]                                                      */
/* ------------------------------------------------------------------------ */

/* The most urgent unassigned ticket over the desk's routing queues; 0 when
 * none. Each queue's head is its best, so this costs O(C log N). */
static long long mostUrgentUnassigned(Hd *hd, const DeskConfig *cfg) {
    CatList l;
    l.n = 0;
    l.cap = cfg->ncat + 1;
    l.cats = RedisModule_PoolAlloc(hd->ctx, sizeof(*l.cats) * (size_t)l.cap);
    /* general first: catAdd drops it when it comes later (every agent's
     * list starts with it), so the desk's own `general` entry is skipped. */
    catAdd(&l, "general", 7);
    for (int i = 0; i < cfg->ncat; i++) catAdd(&l, cfg->cats[i], strlen(cfg->cats[i]));
    for (int i = 0; i < l.n; i++)
        if (!queueCheckRoutingOrReply(hd, l.cats[i], strlen(l.cats[i]))) return -1;
    return pickTicket(hd, &l);
}

/* Routes one ticket to the best agent as TICKET.CREATE ... ROUTE does and
 * replies that agent, or nil when nobody fits (the ticket stays queued).
 * An already assigned ticket fails STATE and is left alone. */
static int cmdTicketRoute(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;

    if (argc > 3) return hdSyntax(hd, "syntax: TICKET.ROUTE desk [tid]");
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (argc == 3) {
        if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
        if (!ticketIsActive(&t))
            return hdError(hd, "STATE", "ticket %lld is %s and cannot be routed", t.id,
                           t.status);
        /* STATE, not the agent: two callers routing the same ticket must not
         * both believe they placed it (the gateway's /tickets/next pops). */
        if (t.agent)
            return hdError(hd, "STATE", "ticket %lld is already assigned to %s; "
                           "TICKET.UNASSIGN it first", t.id,
                           RedisModule_StringPtrLen(t.agent, NULL));
    } else {
        long long tid = mostUrgentUnassigned(hd, &cfg);
        if (tid < 0) return REDISMODULE_OK;
        int picked = tid ? loadPicked(hd, tid, &t, 1) : 0;
        if (picked < 0) return REDISMODULE_OK;
        if (!picked) return RedisModule_ReplyWithNull(hd->ctx);
    }
    RedisModuleString *aid = bestAgentFor(hd, t.category, t.catlen);
    if (!aid) return RedisModule_ReplyWithNull(hd->ctx);
    if (!ticketCheckKeys(hd, &t) || !agentCheckKeys(hd, aid)) return REDISMODULE_OK;
    ticketAssignTo(hd, &cfg, &t, aid, "routed");
    return RedisModule_ReplyWithString(hd->ctx, aid);
}

/* ------------------------------------------------------------------------ */

static RedisModuleCommandArg argsNext[] = {
    {.name = "aid", .type = REDISMODULE_ARG_TYPE_STRING},
    {.name = "ms", .type = REDISMODULE_ARG_TYPE_INTEGER, .token = "BLOCK",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL},
    {0}
};
static RedisModuleCommandArg argsClaim[] = {
    {.name = "aid", .type = REDISMODULE_ARG_TYPE_STRING},
    {.name = "count", .type = REDISMODULE_ARG_TYPE_INTEGER, .token = "COUNT",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL},
    {.name = "order", .type = REDISMODULE_ARG_TYPE_ONEOF, .token = "ORDER",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL, .subargs = (RedisModuleCommandArg[]){
        {.name = "priority", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "PRIORITY"},
        {.name = "created", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "CREATED"},
        {0}}},
    {0}
};

static RedisModuleCommandArg argsRoute[] = {
    {.name = "tid", .type = REDISMODULE_ARG_TYPE_INTEGER, .flags = REDISMODULE_CMD_ARG_OPTIONAL},
    {0}
};

HdCommand hdRoutingCommands[] = {
    {"ticket.next", cmdTicketNext, "write deny-oom blocking", -3, 1,
     "Assign and return the agent's most urgent fitting unassigned ticket; BLOCK waits "
     "for one like BZPOPMAX", "O(S log N) with S agent skills", argsNext, HD_ACCESS_SELF},
    {"ticket.claim", cmdTicketClaim, "write deny-oom", -3, 1,
     "Top the agent up to COUNT open tickets (default its capacity) from the tickets it "
     "may take; returns all its open ticket ids",
     "O((S + K) log N) for K tickets claimed, S skills (ORDER CREATED: S x distinct "
     "priorities instead of S, once per call)",
     argsClaim, HD_ACCESS_SELF},
    {"ticket.route", cmdTicketRoute, "write deny-oom", -2, 1,
     "Route a ticket (or the most urgent unassigned one) to the best online agent as "
     "ROUTE does; returns that agent id, or nil when nobody fits",
     "O(A) with A agents having the skill, plus O(C log N) without tid", argsRoute},
    {NULL}
};
