/* sla.c -- the SLA timer.
 *
 * Every helpdesk.sla-timer-ms a module timer looks, on a master only, at
 * each desk's D:sla:timer: the active tickets scored by their next SLA
 * warning or breach (slametrics.c). Each ticket due by now has its due
 * warnings (`sla_warning`) and breaches (`sla_breach`, with the metric)
 * marked once, all replicated as effects (Redis wraps a timer's replication
 * in MULTI/EXEC), and is re-scored to its next event or removed. The marks
 * are values decided here, so replicas and the AOF never recompute them.
 * Nothing is written while clients are paused (CLIENT PAUSE, failover).
 *
 * The timer has no command to tell it the desks, so it keeps an in-memory
 * registry of (db, desk) pairs, filled from:
 *   - every command that schedules a ticket (slaNoteDesk);
 *   - keyspace notifications: zset changes of D:sla:timer or D:queue:sla
 *     (replicas, which may be promoted, and AOF loading), those keys or
 *     D:seq:tickets loaded from an RDB or arriving by RESTORE/MIGRATE,
 *     RENAME or COPY;
 *   - one incremental SCAN of every db after the module loads, for a module
 *     loaded at run time into a server that already holds desks.
 * A desk with none of these keys (purged, flushed) is dropped; its next
 * ticket brings it back.
 *
 * Work per tick is bounded over all desks: at most SLA_EXAMINE_MAX entries
 * looked at and SLA_MARK_MAX tickets handled, desks taken round-robin. A
 * ticket is handled on the first tick after its event time: within
 * sla-timer-ms, at O(log n) per ticket. */
#include <stdio.h>
#include <string.h>
#include "helpdesk.h"

#define SLA_EXAMINE_MAX 5000     /* timer entries examined per tick */
#define SLA_MARK_MAX 500         /* tickets handled per tick */
#define SLA_DISCOVERY_STEPS 1000 /* SCAN steps per tick until the first pass ends */

typedef struct SlaDesk {
    int db;
    char name[HD_DESK_MAX + 1];
    size_t len;
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
    static const char *suffixes[] = { ":sla:timer", ":sla:relax", ":sla:reassign", ":queue:sla",
                                      ":seq:tickets", NULL };
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

static void onKeyspaceEvent(RedisModuleCtx *ctx, int type, const char *event,
                            RedisModuleString *key) {
    noteKey(ctx, key);
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

/* Marks every warning and breach of one ticket that is due by now (once:
 * the marks are kept in sla_warned / sla_breached), then moves the ticket to
 * its next SLA event in D:sla:timer, or out of it. A warning whose breach is
 * due too is skipped: the breach says more. */
static void fireTicket(Hd *hd, const DeskConfig *cfg, long long tid) {
    SlaState s;
    if (slaRead(hd, tid, &s) && s.active) {
        for (int m = 0; m < SLA_METRICS; m++) {
            if (!slaPending(&s, m) || (s.breached & (1 << m))) continue;
            if (s.due[m] <= hd->now) slaMarkBreach(hd, cfg, &s, m);
        }
        for (int m = 0; m < SLA_METRICS; m++) {
            if (!slaPending(&s, m) || cfg->sla_warn_percent <= 0 ||
                (s.warned & (1 << m)) || (s.breached & (1 << m))) continue;
            SlaState probe = s;
            probe.breached |= ~(1 << m) & 7;    /* the warning time of m alone */
            long long next = slaNextEvent(cfg, &probe);
            if (next && next <= hd->now) slaMarkWarning(hd, cfg, &s, m);
        }
    }
    slaSchedule(hd, cfg, tid);
}

/* Whether the writes of fireTicket can be made: the ticket hash, its log and
 * its report keys have their types. */
static int canFire(Hd *hd, long long tid) {
    return hdTypeOk(hd, hdTicketKey(hd, tid), REDISMODULE_KEYTYPE_HASH) &&
           hdTypeOk(hd, hdTicketLogKey(hd, tid), REDISMODULE_KEYTYPE_LIST) &&
           reportKeysOk(hd, tid, hd->now);
}

/* skill-timeout and reassign-after (slaroute.c), when the desk has either
 * set and the keys those moves write are usable. */
static void routeTick(Hd *hd, Budget *b) {
    DeskConfig cfg;
    if (b->mark <= 0 || (!hdKeyExists(hd, hdSlaRelaxKey(hd)) &&
                         !hdKeyExists(hd, hdSlaReassignKey(hd)))) return;
    if (!hdTypeOk(hd, hdConfigKey(hd), REDISMODULE_KEYTYPE_HASH) ||
        !hdTypeOk(hd, hdEventsKey(hd), REDISMODULE_KEYTYPE_STREAM) ||
        !hdTypeOk(hd, hdSlaRelaxKey(hd), REDISMODULE_KEYTYPE_ZSET) ||
        !hdTypeOk(hd, hdSlaReassignKey(hd), REDISMODULE_KEYTYPE_ZSET) ||
        !hdTypeOk(hd, hdQueueSlaKey(hd), REDISMODULE_KEYTYPE_ZSET) ||
        !hdTypeOk(hd, hdSlaTimerKey(hd), REDISMODULE_KEYTYPE_ZSET) ||
        !deskConfigLoad(hd, &cfg)) return;
    b->mark -= slaRouteTick(hd, &cfg, b->mark);
}

/* One desk's slice: the tickets of D:sla:timer whose next event is due,
 * lowest score first. Each is re-scored (or removed) as it is handled, so
 * the next tick starts again from the low end and never rescans. Returns 0
 * when the desk has no SLA keys any more (it leaves the registry). */
static int slaDeskTick(RedisModuleCtx *ctx, SlaDesk *d, long long now, Budget *b) {
    Hd hd = { .ctx = ctx, .dname = d->name, .dlen = d->len, .now = now };
    DeskConfig cfg;
    long long *due;
    int ndue = 0;

    if (RedisModule_SelectDb(ctx, d->db) != REDISMODULE_OK) return 0;
    hd.desk = RedisModule_CreateString(ctx, d->name, d->len);
    RedisModuleKey *k = RedisModule_OpenKey(ctx, hdKey(&hd, "sla:timer"), REDISMODULE_READ);
    int type = RedisModule_KeyType(k);
    if (type != REDISMODULE_KEYTYPE_ZSET) {
        RedisModule_CloseKey(k);
        routeTick(&hd, b);
        /* Nothing due now; a desk that has tickets at all stays, since a
         * reopen or a message schedules again without telling the registry. */
        return type != REDISMODULE_KEYTYPE_EMPTY ||
               hdKeyExists(&hd, hdKey(&hd, "seq:tickets")) ||
               hdKeyExists(&hd, hdKey(&hd, "queue:sla"));
    }
    /* The settings, the event stream and the queues must be usable before
     * any write. */
    if (!hdTypeOk(&hd, hdKey(&hd, "config"), REDISMODULE_KEYTYPE_HASH) ||
        !hdTypeOk(&hd, hdKey(&hd, "events"), REDISMODULE_KEYTYPE_STREAM) ||
        !hdTypeOk(&hd, hdKey(&hd, "queue:sla"), REDISMODULE_KEYTYPE_ZSET)) {
        RedisModule_CloseKey(k);
        return 1;
    }
    due = RedisModule_PoolAlloc(ctx, sizeof(long long) * (size_t)b->mark);
    if (RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE, (double)now, 0, 0)
        == REDISMODULE_OK) {
        for (; !RedisModule_ZsetRangeEndReached(k) && ndue < b->mark && b->examine > 0;
             RedisModule_ZsetRangeNext(k)) {
            size_t mlen;
            long long tid;
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, NULL);
            const char *ms = RedisModule_StringPtrLen(m, &mlen);
            b->examine--;
            if (hdParseTicketMember(ms, mlen, &tid)) due[ndue++] = tid;
        }
        RedisModule_ZsetRangeStop(k);
    }
    RedisModule_CloseKey(k);
    routeTick(&hd, b);
    if (!ndue) return 1;
    if (!deskConfigLoad(&hd, &cfg)) return 1;
    for (int i = 0; i < ndue; i++) {
        if (!canFire(&hd, due[i])) continue;
        fireTicket(&hd, &cfg, due[i]);
    }
    b->mark -= ndue;
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

/* ------------------------------------------------------------------------ */
/* Attaching to the record and the queues                                    */
/* ------------------------------------------------------------------------ */

/* The service keys a ticket write may touch: the day's report and the
 * skill-timeout / reassign-after clocks. */
static int serviceCheckKeys(Hd *hd, long long tid) {
    return reportCheckKeys(hd, tid, hd->now) && slaRouteCheckKeys(hd);
}

/* The record and the queues sit below the service levels: they tell them
 * what happened through these hooks instead of calling up. */
void slaInit(void) {
    static const HdRecordSlaHooks recordHooks = {
        .checkKeys = serviceCheckKeys,
        .inserted = slaScheduleNew,
        .assigned = slaAssignClock,
        .unassigned = slaAssignCleared,
    };
    static const HdQueueSlaHooks queueHooks = {
        .schedule = slaSchedule,
        .isRelaxed = slaIsRelaxed,
        .routingEntered = slaRoutingEntered,
        .routingLeft = slaRoutingLeft,
    };
    recordSetSlaHooks(&recordHooks);
    queueSetSlaHooks(&queueHooks);
}

void slaTimerStart(RedisModuleCtx *ctx) {
    slaDesks = RedisModule_CreateDict(NULL);
    /* GENERIC: keys that arrive by RESTORE or MIGRATE ("restore"), RENAME
     * or COPY bring their desk too. */
    hdKeyspaceHook(REDISMODULE_NOTIFY_ZSET | REDISMODULE_NOTIFY_LOADED |
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
