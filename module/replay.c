/* replay.c -- hot commands replicated as one deterministic command.
 *
 * With helpdesk.replication = commands, TICKET.CREATE, CLAIM, CLOSE and
 * NEXT (hdDispatch) replicate no effects; a call that wrote replicates once
 *
 *   HD.REPLAY <format> <now-ms> <decided> <command> <desk> <args...>
 *
 * and replicas and AOF loading run the same handler again at the master's
 * clock. Everything such a call decides is a function of the keyspace and
 * the clock except what <decided> carries, in the order the master decided
 * it (comma separated, empty when nothing):
 *   x<ms>-<seq>  the id XADD gave a stream entry (auto ids follow the
 *                server's own clock, not the command's);
 *   t<len>       the length an approximate MAXLEN trim left (it depends on
 *                the node size setting, which a replica may not share);
 *   w<0|1>       whether a blocked TICKET.NEXT caller held the new ticket
 *                (waiters are clients, not keys: a replica has none).
 * The rest was audited to follow keys: the desk settings, the classifier's
 * model, the flood window's copy and the report counters are kept copies
 * of keys dropped by the keyspace events the replay raises too; routing's
 * best agent is a minimum over a total order (load, assignments, id), so a
 * set's iteration order does not matter; ticket ids come from the
 * counter key. Business-hours sums read the zone files of the server that
 * runs them: replicas need the same tzdata as the master, as they need the
 * module (README, "Replication and persistence").
 *
 * A replay that does not write, or uses the carried values differently
 * from the master, has diverged: it is logged as a warning. An unknown
 * format is refused, loudly, without running anything. */
#include <string.h>
#include "helpdesk.h"

typedef struct Decided { char tag; long long a, b; } Decided;

/* One call's values; the array is kept between calls (a CLAIM COUNT 100
 * decides about 300: two stream ids per ticket and a trim or so). */
static struct {
    int mode;                   /* 0 idle, 1 recording (master), 2 replaying */
    int n, next, diverged, cap;
    Decided *v;
} rs;

static void reserve(int n) {
    if (n <= rs.cap) return;
    rs.cap = n < 64 ? 64 : n * 2;
    rs.v = RedisModule_Realloc(rs.v, sizeof(*rs.v) * (size_t)rs.cap);
}

int hdReplayActive(void) { return rs.mode != 0; }

void hdReplayBegin(int on) {
    rs.mode = on ? 1 : 0;
    rs.n = rs.next = rs.diverged = 0;
}

/* ------------------------------------------------------------------------ */
/* Decided values                                                             */
/* ------------------------------------------------------------------------ */

static void note(char tag, long long a, long long b) {
    if (rs.mode != 1) return;
    reserve(rs.n + 1);
    rs.v[rs.n].tag = tag;
    rs.v[rs.n].a = a;
    rs.v[rs.n++].b = b;
}

/* On replay: the next carried value, which must have this tag. */
static int take(char tag, long long *a, long long *b) {
    if (rs.mode != 2) return 0;
    if (rs.next >= rs.n || rs.v[rs.next].tag != tag) {
        rs.diverged = 1;
        *a = *b = 0;
        return 1;
    }
    *a = rs.v[rs.next].a;
    *b = rs.v[rs.next++].b;
    return 1;
}

int hdReplayTakeStreamId(RedisModuleStreamID *id) {
    long long ms, seq;
    if (!take('x', &ms, &seq)) return 0;
    id->ms = (uint64_t)ms;
    id->seq = (uint64_t)seq;
    return 1;
}

void hdReplayNoteStreamId(const RedisModuleStreamID *id) {
    note('x', (long long)id->ms, (long long)id->seq);
}

/* An optional value: taken only when the master noted one here. */
int hdReplayTakeTrim(long long *left) {
    long long unused;
    if (rs.mode != 2 || rs.next >= rs.n || rs.v[rs.next].tag != 't') return 0;
    return take('t', left, &unused);
}

void hdReplayNoteTrim(long long left) { note('t', left, 0); }

int hdReplayTakeFlag(char tag, int *v) {
    long long a, unused;
    if (!take(tag, &a, &unused)) return 0;
    *v = a != 0;
    return 1;
}

void hdReplayNoteFlag(char tag, int v) { note(tag, v, 0); }

/* ------------------------------------------------------------------------ */
/* The master side                                                           */
/* ------------------------------------------------------------------------ */

/* At most 46 bytes a value: a tag, two 19-digit numbers, '-' and ','. */
#define DECIDED_TEXT_MAX 48

/* By hand, not snprintf: a call's one or two values cost ~1.5k there. */
static size_t formatDecided(char *buf, size_t cap) {
    size_t len = 0;
    for (int i = 0; i < rs.n && len + DECIDED_TEXT_MAX < cap; i++) {
        const Decided *d = &rs.v[i];
        if (i) buf[len++] = ',';
        buf[len++] = d->tag;
        len += (size_t)hdFormatLL(buf + len, d->a);
        if (d->tag != 'x') continue;
        buf[len++] = '-';
        len += (size_t)hdFormatLL(buf + len, d->b);
    }
    return len;
}

/* After the handler: a call that wrote replicates itself once, as the
 * argc arguments the command table says it carries (module.c). */
void hdReplayEnd(Hd *hd, RedisModuleString **argv, int argc) {
    char *buf;
    size_t len, cap;
    if (rs.mode != 1) return;
    rs.mode = 0;
    if (!fxWrote()) return;
    if (!fxListening(hd)) {
        /* Nothing receives it: one dirty++, as effects mode does per effect. */
        RedisModule_ReplicateVerbatim(hd->ctx);
        return;
    }
    cap = (size_t)rs.n * DECIDED_TEXT_MAX + 1;
    buf = RedisModule_PoolAlloc(hd->ctx, cap);   /* the context has auto memory */
    len = formatDecided(buf, cap);
    RedisModule_Replicate(hd->ctx, "HD.REPLAY", "llbv", (long long)HD_REPLAY_FORMAT,
                          hd->now, buf, len, argv, (size_t)argc);
}

/* ------------------------------------------------------------------------ */
/* The replica / AOF side                                                    */
/* ------------------------------------------------------------------------ */

static int parseLL(const char **p, const char *end, long long *v) {
    long long x = 0;
    int neg = 0, digits = 0;
    if (*p < end && **p == '-') { neg = 1; (*p)++; }
    for (; *p < end && **p >= '0' && **p <= '9' && digits < 19; (*p)++, digits++)
        x = x * 10 + (**p - '0');
    *v = neg ? -x : x;
    return digits > 0;
}

static int parseDecided(RedisModuleString *s) {
    size_t len;
    const char *p = RedisModule_StringPtrLen(s, &len), *end = p + len;
    int commas = 0;
    for (size_t i = 0; i < len; i++) commas += p[i] == ',';
    reserve(commas + 1);
    rs.n = 0;
    while (p < end) {
        Decided d = { *p++, 0, 0 };
        if (!d.tag || !strchr("xtw", d.tag) || !parseLL(&p, end, &d.a)) return 0;
        if (d.tag == 'x' && (p >= end || *p++ != '-' || !parseLL(&p, end, &d.b))) return 0;
        if (p < end && *p++ != ',') return 0;
        rs.v[rs.n++] = d;
    }
    return 1;
}

static void logDivergence(RedisModuleCtx *ctx, RedisModuleString **argv, int argc,
                          const char *why) {
    hdg.replay_divergences++;
    RedisModule_Log(ctx, "warning", "helpdesk: HD.REPLAY of %s on desk %s at %s %s: this "
                    "server now differs from the master (check the module version and "
                    "tzdata; resync with DEBUG DIGEST to confirm)",
                    argc > 4 ? RedisModule_StringPtrLen(argv[4], NULL) : "?",
                    argc > 5 ? RedisModule_StringPtrLen(argv[5], NULL) : "?",
                    RedisModule_StringPtrLen(argv[2], NULL), why);
}

/* INFO's counters count what this server decided, as in effects mode,
 * where a replica applies writes and counts nothing: a replay leaves them. */
static void keepCounters(const HdGlobals *was) {
    hdg.tickets_created = was->tickets_created;
    hdg.tickets_closed = was->tickets_closed;
    hdg.tickets_merged = was->tickets_merged;
    hdg.alerts = was->alerts;
    hdg.claims = was->claims;
    hdg.sla_breaches = was->sla_breaches;
    hdg.queue_seeks = was->queue_seeks;
}

void hdReplayFree(void) {
    RedisModule_Free(rs.v);
    rs.v = NULL;
    rs.cap = rs.n = 0;
}

/* The entry layer's dispatch of a hot command, handed in at load: replay.c
 * sits with the effects it records and calls nothing above them. */
static HdReplayRunFn runner;

void hdReplaySetRunner(HdReplayRunFn fn) { runner = fn; }

int hdReplayCommand(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    long long format, now;
    int flags = RedisModule_GetContextFlags(ctx), wrote;
    if (!(flags & (REDISMODULE_CTX_FLAGS_REPLICATED | REDISMODULE_CTX_FLAGS_LOADING)))
        return RedisModule_ReplyWithError(ctx, "DENIED HD.REPLAY is the replicated form of "
                                          "helpdesk commands: only the master link and AOF "
                                          "loading run it");
    if (argc < 6) return RedisModule_WrongArity(ctx);
    if (RedisModule_StringToLongLong(argv[1], &format) != REDISMODULE_OK ||
        format != HD_REPLAY_FORMAT) {
        RedisModule_Log(ctx, "warning", "helpdesk: HD.REPLAY format %s is unknown to this "
                        "module (it runs format %d): the call was NOT applied; load the "
                        "master's module version here", RedisModule_StringPtrLen(argv[1], NULL),
                        HD_REPLAY_FORMAT);
        return RedisModule_ReplyWithError(ctx, "VERSION HD.REPLAY format unknown to this "
                                          "module version; the call was not applied");
    }
    if (RedisModule_StringToLongLong(argv[2], &now) != REDISMODULE_OK || now < 0 ||
        !parseDecided(argv[3])) {
        logDivergence(ctx, argv, argc, "is malformed and was NOT applied");
        return RedisModule_ReplyWithError(ctx, "INVALID malformed HD.REPLAY");
    }
    HdGlobals was = hdg;
    rs.mode = 2;
    rs.next = rs.diverged = 0;
    wrote = runner(ctx, argv + 4, argc - 4, now);
    rs.mode = 0;
    keepCounters(&was);
    if (wrote < 0) {
        logDivergence(ctx, argv, argc, "names no replayable command and was NOT applied");
        return RedisModule_ReplyWithError(ctx, "INVALID HD.REPLAY names no replayable command");
    }
    if (!wrote) logDivergence(ctx, argv, argc, "wrote nothing (the master wrote)");
    else if (rs.diverged || rs.next != rs.n)
        logDivergence(ctx, argv, argc, "used the master's decided values differently");
    /* A replica's own AOF (and its replicas once promoted) get it as is. */
    if (wrote) RedisModule_ReplicateVerbatim(ctx);
    return REDISMODULE_OK;
}
