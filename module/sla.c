/* sla.c -- the SLA breach timer.
 *
 * Every helpdesk.sla-timer-ms a module timer looks, on a master only, for
 * active tickets whose sla_due_at has passed (D:queue:sla scored up to now)
 * and marks each once: field sla_breached = <ms of detection>, a log entry
 * and one `sla_breach` event, all replicated as effects (Redis wraps a
 * timer's replication in MULTI/EXEC). A ticket that already has sla_breached
 * is never marked again.
 *
 * The timer has no command to tell it the desks, so it keeps an in-memory
 * registry of (db, desk) pairs, filled from:
 *   - TICKET.CREATE and TICKET.MERGE (slaNoteDesk);
 *   - keyspace notifications: zset changes of D:queue:sla (replicas, which
 *     may be promoted, and AOF loading), D:queue:sla or D:seq:tickets
 *     loaded from an RDB or arriving by RESTORE/MIGRATE, RENAME or COPY;
 *   - one incremental SCAN of every db after the module loads, for a module
 *     loaded at run time into a server that already holds desks.
 * A desk with neither D:queue:sla nor D:seq:tickets (purged, flushed) is
 * dropped; its next ticket brings it back.
 *
 * Work per tick is bounded over all desks: at most SLA_EXAMINE_MAX queue
 * entries looked at and SLA_MARK_MAX tickets marked, desks taken round-robin.
 * Each desk walks its D:queue:sla from the lowest score up to now, resuming
 * where the previous tick stopped; once it has reached now it only looks at
 * entries that became due since, so a ticket is marked on the first tick
 * after its due time passes. Every SLA_FULL_PASS_MS the walk starts again
 * from the lowest score, which catches a sla_due_at moved into the past
 * (TICKET.UPDATE) and costs one look per overdue ticket already marked. */
#include <stdio.h>
#include <string.h>
#include "helpdesk.h"

#define SLA_EXAMINE_MAX 5000     /* overdue queue entries examined per tick */
#define SLA_FULL_PASS_MS 1000    /* walk the whole overdue range at most this often */
#define SLA_MARK_MAX 500         /* tickets marked per tick */
#define SLA_DISCOVERY_STEPS 1000 /* SCAN steps per tick until the first pass ends */
#define SLA_MEMBER_MAX 48

/* Where a desk's walk over its overdue range resumes. */
enum { FROM_START, AFTER_MEMBER, AFTER_SCORE };

typedef struct SlaDesk {
    int db;
    char name[HD_DESK_MAX + 1];
    size_t len;
    int from;                           /* FROM_START / AFTER_MEMBER / AFTER_SCORE */
    double cursor_score;
    char cursor_member[SLA_MEMBER_MAX];
    size_t cursor_mlen;
    long long full_pass_at;             /* ms: next walk from the start */
} SlaDesk;

static RedisModuleDict *slaDesks;       /* "<db>:<desk>" -> SlaDesk* */
static char slaNext[16 + HD_DESK_MAX];  /* round-robin position (last desk served) */
static size_t slaNextLen;
static RedisModuleScanCursor *discoveryCursor;
static int discoveryDb, discoveryDone;

/* ------------------------------------------------------------------------ */
/* Registry                                                                  */
/* ------------------------------------------------------------------------ */

static void noteDesk(int db, const char *name, size_t len) {
    char key[16 + HD_DESK_MAX];
    int klen;
    if (!slaDesks || len > HD_DESK_MAX || !hdValidDeskName(name, len)) return;
    klen = hdDbDeskName(key, db, name, len);
    if (RedisModule_DictGetC(slaDesks, key, klen, NULL)) return;
    SlaDesk *d = RedisModule_Calloc(1, sizeof(*d));
    d->db = db;
    memcpy(d->name, name, len);
    d->len = len;
    RedisModule_DictSetC(slaDesks, key, klen, d);
}

/* Every command notes its desk; with the timer off nothing would ever drop
 * the entries of desks without tickets, so none are kept (re-arming the
 * timer scans the dataset again). */
void slaNoteDesk(Hd *hd) {
    if (hdg.sla_timer_ms == 0) return;
    noteDesk(RedisModule_GetSelectedDb(hd->ctx), hd->dname, hd->dlen);
}

/* DESK.PURGE: the desk has no key left to watch. */
void slaForgetDesk(Hd *hd) {
    char key[16 + HD_DESK_MAX];
    SlaDesk *d = NULL;
    if (!slaDesks || hd->dlen > HD_DESK_MAX) return;
    int klen = hdDbDeskName(key, RedisModule_GetSelectedDb(hd->ctx), hd->dname, hd->dlen);
    if (RedisModule_DictDelC(slaDesks, key, klen, &d) == REDISMODULE_OK) RedisModule_Free(d);
}

/* INFO helpdesk: desks the SLA timer watches. */
long long slaDeskCount(void) {
    return slaDesks ? (long long)RedisModule_DictSize(slaDesks) : 0;
}

/* "<desk>:queue:sla" or "<desk>:seq:tickets" -> the desk. */
static void noteKey(RedisModuleCtx *ctx, RedisModuleString *key) {
    static const char *suffixes[] = { ":queue:sla", ":seq:tickets", NULL };
    size_t len;
    const char *s = RedisModule_StringPtrLen(key, &len);
    for (int i = 0; suffixes[i]; i++) {
        size_t slen = strlen(suffixes[i]);
        if (len > slen && !memcmp(s + len - slen, suffixes[i], slen)) {
            noteDesk(RedisModule_GetSelectedDb(ctx), s, len - slen);
            return;
        }
    }
}

static int onKeyspaceEvent(RedisModuleCtx *ctx, int type, const char *event,
                           RedisModuleString *key) {
    noteKey(ctx, key);
    return REDISMODULE_OK;
}

static void onScannedKey(RedisModuleCtx *ctx, RedisModuleString *keyname,
                         RedisModuleKey *key, void *privdata) {
    noteKey(ctx, keyname);
}

/* One bounded slice of the first pass over every db. */
static void discoveryStep(RedisModuleCtx *ctx) {
    if (discoveryDone) return;
    if (!discoveryCursor) discoveryCursor = RedisModule_ScanCursorCreate();
    for (int steps = 0; steps < SLA_DISCOVERY_STEPS; steps++) {
        if (RedisModule_SelectDb(ctx, discoveryDb) != REDISMODULE_OK) {
            RedisModule_ScanCursorDestroy(discoveryCursor);
            discoveryCursor = NULL;
            discoveryDone = 1;
            return;
        }
        if (!RedisModule_Scan(ctx, discoveryCursor, onScannedKey, NULL)) {
            discoveryDb++;
            RedisModule_ScanCursorRestart(discoveryCursor);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Marking                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct Budget {
    int examine, mark;
} Budget;

/* Redis orders equal scores by member bytes. */
static int memberAfter(const char *a, size_t alen, const char *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = memcmp(a, b, n);
    return c > 0 || (c == 0 && alen > blen);
}

static void markBreached(Hd *hd, const DeskConfig *cfg, long long tid) {
    Ticket t;
    char due[24], prio[24], agent[HD_ID_MAX + 1] = "";

    if (!ticketLoad(hd, tid, &t)) return;
    snprintf(due, sizeof(due), "%lld", t.sla_due_at);
    snprintf(prio, sizeof(prio), "%lld", t.priority);
    if (t.agent) snprintf(agent, sizeof(agent), "%s", RedisModule_StringPtrLen(t.agent, NULL));
    fxHashSetLL(hd, t.key, "sla_breached", hd->now);
    ticketLog(hd, tid, "sla breached (due %lld)", t.sla_due_at);
    eventEmit(hd, cfg, "sla_breach", tid, "due", due, "priority", prio,
              agent[0] ? "agent" : NULL, agent, NULL);
    hdg.sla_breaches++;
}

/* Whether tid is an active ticket past its due time, not marked yet, with a
 * log the marking can write. One key lookup for the common "already marked". */
static int needsMark(Hd *hd, long long tid) {
    RedisModuleString *status = NULL, *due = NULL, *marked = NULL;
    long long d;
    size_t slen = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdTicketKey(hd, tid), REDISMODULE_READ);
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) {
        RedisModule_CloseKey(k);
        return 0;
    }
    RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "sla_breached", &marked,
                        "status", &status, "sla_due_at", &due, NULL);
    RedisModule_CloseKey(k);
    const char *st = status ? RedisModule_StringPtrLen(status, &slen) : "";
    if (marked || !due || RedisModule_StringToLongLong(due, &d) != REDISMODULE_OK ||
        d > hd->now || (slen == 6 && (!memcmp(st, "closed", 6) || !memcmp(st, "merged", 6))))
        return 0;
    return hdTypeOk(hd, hdKey(hd, "ticket:%lld:log", tid), REDISMODULE_KEYTYPE_LIST);
}

/* Remembers (score, member) as the last entry examined. */
static void setCursor(SlaDesk *d, double score, const char *m, size_t mlen) {
    d->cursor_score = score;
    if (mlen <= SLA_MEMBER_MAX) {
        d->from = AFTER_MEMBER;
        memcpy(d->cursor_member, m, mlen);
        d->cursor_mlen = mlen;
    } else {
        d->from = AFTER_SCORE;      /* not a ticket member; skip its score */
    }
}

/* One desk's slice of the walk over D:queue:sla up to now. A walk that
 * reaches now continues from there on later ticks (catching tickets as their
 * due time passes); every SLA_FULL_PASS_MS it starts again from the lowest
 * score, to catch due times moved into the past. Returns 0 when the desk has
 * no SLA queue (it leaves the registry). */
static int slaDeskTick(RedisModuleCtx *ctx, SlaDesk *d, long long now, Budget *b) {
    Hd hd = { .ctx = ctx, .dname = d->name, .dlen = d->len, .now = now };
    DeskConfig cfg;
    long long *marks;
    int nmarks = 0, reached_end = 1;

    if (RedisModule_SelectDb(ctx, d->db) != REDISMODULE_OK) return 0;
    hd.desk = RedisModule_CreateString(ctx, d->name, d->len);
    RedisModuleKey *k = RedisModule_OpenKey(ctx, hdKey(&hd, "queue:sla"), REDISMODULE_READ);
    int type = RedisModule_KeyType(k);
    if (type != REDISMODULE_KEYTYPE_ZSET) {
        RedisModule_CloseKey(k);
        /* No active ticket now; a desk that has tickets at all stays, since
         * a reopen fills the queue again without telling the registry. */
        return type != REDISMODULE_KEYTYPE_EMPTY ||
               hdKeyExists(&hd, hdKey(&hd, "seq:tickets"));
    }
    /* The settings and the event stream must be usable before any write. */
    if (!hdTypeOk(&hd, hdKey(&hd, "config"), REDISMODULE_KEYTYPE_HASH) ||
        !hdTypeOk(&hd, hdKey(&hd, "events"), REDISMODULE_KEYTYPE_STREAM)) {
        RedisModule_CloseKey(k);
        return 1;
    }
    if (d->from == AFTER_SCORE && now >= d->full_pass_at) d->from = FROM_START;
    if (d->from == FROM_START) d->full_pass_at = now + SLA_FULL_PASS_MS;

    marks = RedisModule_PoolAlloc(ctx, sizeof(long long) * (size_t)b->mark);
    double from = d->from == FROM_START ? REDISMODULE_NEGATIVE_INFINITE : d->cursor_score;
    if (RedisModule_ZsetFirstInScoreRange(k, from, (double)now, d->from == AFTER_SCORE, 0)
        == REDISMODULE_OK) {
        for (; !RedisModule_ZsetRangeEndReached(k); RedisModule_ZsetRangeNext(k)) {
            double score;
            size_t mlen;
            long long tid;
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, &score);
            const char *ms = RedisModule_StringPtrLen(m, &mlen);
            if (d->from == AFTER_MEMBER && score == d->cursor_score &&
                !memberAfter(ms, mlen, d->cursor_member, d->cursor_mlen)) continue;
            if (b->examine <= 0 || nmarks >= b->mark) { reached_end = 0; break; }
            b->examine--;
            setCursor(d, score, ms, mlen);
            if (hdParseTicketMember(ms, mlen, &tid) && needsMark(&hd, tid)) marks[nmarks++] = tid;
        }
        RedisModule_ZsetRangeStop(k);
    }
    RedisModule_CloseKey(k);
    if (reached_end) {              /* everything due up to now was looked at */
        d->from = AFTER_SCORE;
        d->cursor_score = (double)now;
    }
    if (!nmarks) return 1;

    if (!deskConfigLoad(&hd, &cfg)) return 1;
    for (int i = 0; i < nmarks; i++) markBreached(&hd, &cfg, marks[i]);
    b->mark -= nmarks;
    return 1;
}

/* Serves the desks round-robin from the one after the last served. */
static void slaPass(RedisModuleCtx *ctx, long long now) {
    Budget b = { SLA_EXAMINE_MAX, SLA_MARK_MAX };
    uint64_t ndesks = RedisModule_DictSize(slaDesks), served = 0;
    char **gone = RedisModule_PoolAlloc(ctx, sizeof(char *) * (ndesks ? ndesks : 1));
    size_t *gonelen = RedisModule_PoolAlloc(ctx, sizeof(size_t) * (ndesks ? ndesks : 1));
    int ngone = 0, wrapped = 0;
    RedisModuleDictIter *it = slaNextLen
        ? RedisModule_DictIteratorStartC(slaDesks, ">", slaNext, slaNextLen)
        : RedisModule_DictIteratorStartC(slaDesks, "^", NULL, 0);

    while (served < ndesks && b.examine > 0 && b.mark > 0) {
        size_t klen;
        SlaDesk *d;
        char *key = RedisModule_DictNextC(it, &klen, (void **)&d);
        if (!key) {
            if (wrapped) break;
            wrapped = 1;
            RedisModule_DictIteratorReseekC(it, "^", NULL, 0);
            continue;
        }
        served++;
        if (klen <= sizeof(slaNext)) { memcpy(slaNext, key, klen); slaNextLen = klen; }
        if (!slaDeskTick(ctx, d, now, &b)) {
            gone[ngone] = RedisModule_PoolAlloc(ctx, klen);
            memcpy(gone[ngone], key, klen);
            gonelen[ngone++] = klen;
        }
    }
    RedisModule_DictIteratorStop(it);
    for (int i = 0; i < ngone; i++) {
        SlaDesk *d = NULL;
        if (RedisModule_DictDelC(slaDesks, gone[i], gonelen[i], &d) == REDISMODULE_OK)
            RedisModule_Free(d);
    }
}

/* While clients are paused (CLIENT PAUSE WRITE, FAILOVER, CLUSTER FAILOVER)
 * the dataset must not change and Redis asserts that nothing is propagated:
 * a timer that marked a breach then would abort the server (AOF on or a
 * replica attached). The tick does nothing; the walk's cursor has not moved,
 * so the first tick after the pause marks what fell due meanwhile. */
static int slaHoldOffWhilePaused(void) {
    if (!RedisModule_AvoidReplicaTraffic()) return 0;
    hdg.sla_paused_ticks++;
    return 1;
}

static RedisModuleTimerID slaTimer;
static int slaTimerArmed;
static RedisModuleCtx *slaCtx;    /* detached: lets the config setter re-arm */

static void slaTick(RedisModuleCtx *ctx, void *data) {
    int flags;
    slaTimerArmed = hdg.sla_timer_ms > 0;
    if (slaTimerArmed)
        slaTimer = RedisModule_CreateTimer(ctx, hdg.sla_timer_ms, slaTick, NULL);
    flags = RedisModule_GetContextFlags(ctx);
    if (flags & (REDISMODULE_CTX_FLAGS_LOADING | REDISMODULE_CTX_FLAGS_ASYNC_LOADING)) return;
    RedisModule_AutoMemory(ctx);
    discoveryStep(ctx);
    /* Replicas receive the marks from their master. */
    if (!(flags & REDISMODULE_CTX_FLAGS_MASTER)) return;
    if (slaHoldOffWhilePaused()) return;
    slaPass(ctx, (long long)RedisModule_Milliseconds());
}

void slaTimerStart(RedisModuleCtx *ctx) {
    slaDesks = RedisModule_CreateDict(NULL);
    /* GENERIC: keys that arrive by RESTORE or MIGRATE ("restore"), RENAME
     * or COPY bring their desk too. */
    RedisModule_SubscribeToKeyspaceEvents(ctx, REDISMODULE_NOTIFY_ZSET | REDISMODULE_NOTIFY_LOADED |
                                          REDISMODULE_NOTIFY_GENERIC, onKeyspaceEvent);
    slaCtx = RedisModule_GetDetachedThreadSafeContext(ctx);
    slaTimerArmed = hdg.sla_timer_ms > 0;
    if (slaTimerArmed)
        slaTimer = RedisModule_CreateTimer(ctx, hdg.sla_timer_ms, slaTick, NULL);
}

/* CONFIG SET helpdesk.sla-timer-ms: 0 stops marking breaches (and lets
 * MODULE UNLOAD proceed: Redis refuses to unload a module with a timer). */
void slaTimerSetPeriod(long long ms) {
    hdg.sla_timer_ms = ms;
    if (!slaCtx) return;                /* before load: slaTimerStart arms it */
    if (ms == 0 && slaTimerArmed) {
        RedisModule_StopTimer(slaCtx, slaTimer, NULL);
        slaTimerArmed = 0;
    } else if (ms > 0 && !slaTimerArmed) {
        slaTimer = RedisModule_CreateTimer(slaCtx, ms, slaTick, NULL);
        slaTimerArmed = 1;
        discoveryDone = 0;              /* desks noted while off were not kept */
        discoveryDb = 0;
        if (discoveryCursor) RedisModule_ScanCursorRestart(discoveryCursor);
    }
}

/* MODULE UNLOAD: Redis refuses to unload a module with a pending timer. */
void slaTimerStop(RedisModuleCtx *ctx) {
    RedisModuleDictIter *it;
    SlaDesk *d;
    if (slaTimerArmed) RedisModule_StopTimer(ctx, slaTimer, NULL);
    slaTimerArmed = 0;
    if (slaCtx) RedisModule_FreeThreadSafeContext(slaCtx);
    slaCtx = NULL;
    it = RedisModule_DictIteratorStartC(slaDesks, "^", NULL, 0);
    while (RedisModule_DictNextC(it, NULL, (void **)&d)) RedisModule_Free(d);
    RedisModule_DictIteratorStop(it);
    RedisModule_FreeDict(NULL, slaDesks);
    slaDesks = NULL;
}
