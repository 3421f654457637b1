/* report.c -- service-level reports kept incrementally: DESK.REPORT.
 *
 * Every event a report counts is added, when it happens, to the aggregate of
 * its UTC day, D:report:<YYYYMMDD> (a HASH), under four groupings at once:
 *
 *   all:-:<counter>   category:<c>:<counter>   priority:<p>:<counter>   agent:<a>:<counter>
 *
 * Counters: created, closed, reopened, breach.<metric>, and fixed-size
 * histograms of first-reply and resolution times, h.<metric>.<bucket>: 128
 * log-scale buckets, four per doubling from 1 s (a bucket is at most 19 %
 * wide), so a percentile is read from the counts with the bucket's geometric
 * middle, within 9 % of the true value. DESK.REPORT reads one hash per day in
 * its range and never looks at a ticket: its cost grows with the days and the
 * groups, not with the number of tickets.
 *
 * Each ticket remembers what it added, in D:ticket:<tid>:report (a LIST of
 * "<day> <counter> <category> <priority> <agent>"), so TICKET.DEL takes
 * exactly its own contributions back out, from the days and groups they were
 * counted under. TICKET.REOPEN adds `reopened` on the day of the reopen and
 * takes nothing back: the earlier close did happen, and the ticket's next
 * close is counted again (with its resolution time measured from the reopen,
 * the start of its new resolution clock). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "helpdesk.h"

#define REPORT_BUCKETS 128
#define REPORT_MAX_DAYS 3660
#define REPORT_DEFAULT_DAYS 30
#define DAY_MS 86400000LL

/* ------------------------------------------------------------------------ */
/* Keys and buckets                                                          */
/* ------------------------------------------------------------------------ */

static long long dayOf(long long ms) {
    return ms >= 0 ? ms / DAY_MS : -((-ms + DAY_MS - 1) / DAY_MS);
}

static RedisModuleString *dayKey(Hd *hd, long long day) {
    int64_t y;
    int m, d;
    hdCivilFromDays(day, &y, &m, &d);
    return hdReportDayKey(hd, (long long)(y * 10000 + m * 100 + d));
}

static int bucketOf(long long ms) {
    if (ms < 1000) return 0;
    int b = 1 + (int)floor(4.0 * log2((double)ms / 1000.0));
    return b < REPORT_BUCKETS ? b : REPORT_BUCKETS - 1;
}

/* The geometric middle of a bucket, in ms. */
static long long bucketValue(int b) {
    if (b == 0) return 500;
    return llround(1000.0 * pow(2.0, (b - 0.5) / 4.0));
}

int reportKeysOk(Hd *hd, long long tid, long long at) {
    return hdTypeOk(hd, dayKey(hd, dayOf(at)), REDISMODULE_KEYTYPE_HASH) &&
           hdTypeOk(hd, hdTicketReportKey(hd, tid), REDISMODULE_KEYTYPE_LIST);
}

int reportCheckKeys(Hd *hd, long long tid, long long at) {
    return hdCheckTypeOrReply(hd, dayKey(hd, dayOf(at)), REDISMODULE_KEYTYPE_HASH) &&
           hdCheckTypeOrReply(hd, hdTicketReportKey(hd, tid), REDISMODULE_KEYTYPE_LIST);
}

/* ------------------------------------------------------------------------ */
/* Recording                                                                 */
/* ------------------------------------------------------------------------ */

/* snprintf with hdFormat's conversions only (%lld, %s, %.*s): the field
 * names and list entries below are made on every create and close, and
 * vsnprintf was about 12k instructions of a TICKET.CLOSE. */
static int format(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = hdFormat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* Adds delta to <dim>:<group>:<counter> for the four groupings of one
 * contribution, in one key open and one replicated HSET. */
static void bump(Hd *hd, long long day, const char *counter, const char *cat,
                 const char *prio, const char *agent, long long delta) {
    const char *dims[4] = { "all", "category", "priority", "agent" };
    const char *groups[4] = { "-", cat, prio, agent };
    char names[4][HD_ID_MAX + 64];
    const char *fields[4];
    long long deltas[4];
    for (int i = 0; i < 4; i++) {
        format(names[i], sizeof(names[i]), "%s:%s:%s", dims[i], groups[i], counter);
        fields[i] = names[i];
        deltas[i] = delta;
    }
    /* The effects layer: one key open, one replicated HSET, its keyspace event. */
    fxHashIncrMany(hd, dayKey(hd, day), fields, deltas, 4);
}

static void record(Hd *hd, const Ticket *t, long long at, const char *counter) {
    char prio[24], entry[256];
    const char *agent = t->agent ? RedisModule_StringPtrLen(t->agent, NULL) : "-";
    long long day = dayOf(at);
    hdFormatLL(prio, t->priority);
    bump(hd, day, counter, t->category, prio, agent, 1);
    /* At most 20 + 48 + 32 + 20 + 64 bytes and four blanks: never cut. */
    int n = format(entry, sizeof(entry), "%lld %s %s %s %s", day, counter, t->category,
                   prio, agent);
    fxRPush(hd, hdTicketReportKey(hd, t->id), RedisModule_CreateString(hd->ctx, entry, n));
}

void reportCount(Hd *hd, const Ticket *t, long long at, const char *counter) {
    record(hd, t, at, counter);
}

void reportSample(Hd *hd, const Ticket *t, long long at, const char *metric, long long ms) {
    char counter[48];
    format(counter, sizeof(counter), "h.%s.%lld", metric, (long long)bucketOf(ms < 0 ? 0 : ms));
    record(hd, t, at, counter);
}

void reportBreach(Hd *hd, const Ticket *t, long long at, int metric) {
    char counter[48];
    format(counter, sizeof(counter), "breach.%s", slaMetricName(metric));
    record(hd, t, at, counter);
}

void reportForget(Hd *hd, long long tid) {
    RedisModuleString *key = hdTicketReportKey(hd, tid);
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    long long n;
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_LIST) { RedisModule_CloseKey(k); return; }
    n = (long long)RedisModule_ValueLength(k);
    for (long long i = 0; i < n; i++) {
        char counter[64], cat[40], prio[24], agent[HD_ID_MAX + 1];
        long long day;
        RedisModuleString *e = RedisModule_ListGet(k, i);
        const char *s = RedisModule_StringPtrLen(e, NULL);
        if (sscanf(s, "%lld %63s %39s %23s %64s", &day, counter, cat, prio, agent) == 5)
            bump(hd, day, counter, cat, prio, agent, -1);
        RedisModule_FreeString(hd->ctx, e);
    }
    RedisModule_CloseKey(k);
    fxDel(hd, key);
}

/* ------------------------------------------------------------------------ */
/* DESK.REPORT D [FROM ms] [TO ms] [BY category|agent|priority]              */
/* ------------------------------------------------------------------------ */

typedef struct Group {
    long long created, closed, reopened, breaches[SLA_METRICS];
    long long hist[2][REPORT_BUCKETS];      /* first_reply, resolution */
} Group;

typedef struct Tally {
    Hd *hd;
    const char *dim;
    size_t dimlen;
    RedisModuleDict *groups;                /* group name -> Group* (pool memory) */
} Tally;

static Group *groupFor(Tally *ta, const char *name, size_t len) {
    Group *g = RedisModule_DictGetC(ta->groups, (void *)name, len, NULL);
    if (!g) {
        g = RedisModule_PoolAlloc(ta->hd->ctx, sizeof(*g));
        memset(g, 0, sizeof(*g));
        RedisModule_DictSetC(ta->groups, (void *)name, len, g);
    }
    return g;
}

static void addCounter(Group *g, const char *c, long long v) {
    if (!strcmp(c, "created")) g->created += v;
    else if (!strcmp(c, "closed")) g->closed += v;
    else if (!strcmp(c, "reopened")) g->reopened += v;
    else if (!strncmp(c, "breach.", 7)) {
        for (int m = 0; m < SLA_METRICS; m++)
            if (!strcmp(c + 7, slaMetricName(m))) g->breaches[m] += v;
    } else if (!strncmp(c, "h.", 2)) {
        int h = !strncmp(c + 2, "first_reply.", 12) ? 0
              : !strncmp(c + 2, "resolution.", 11) ? 1 : -1;
        const char *b = strrchr(c, '.');
        int bucket = b ? atoi(b + 1) : -1;
        if (h >= 0 && bucket >= 0 && bucket < REPORT_BUCKETS) g->hist[h][bucket] += v;
    }
}

/* One field "<dim>:<group>:<counter>" of a day's hash. */
static void tallyField(RedisModuleKey *key, RedisModuleString *field, RedisModuleString *value,
                       void *privdata) {
    Tally *ta = privdata;
    size_t len;
    long long v;
    const char *f = RedisModule_StringPtrLen(field, &len), *g, *c;
    char counter[64];
    if (len <= ta->dimlen + 1 || memcmp(f, ta->dim, ta->dimlen) != 0 || f[ta->dimlen] != ':')
        return;
    g = f + ta->dimlen + 1;
    c = memchr(g, ':', len - (size_t)(g - f));
    if (!c || c == g || (size_t)(f + len - c - 1) >= sizeof(counter)) return;
    if (RedisModule_StringToLongLong(value, &v) != REDISMODULE_OK || v == 0) return;
    memcpy(counter, c + 1, (size_t)(f + len - c - 1));
    counter[f + len - c - 1] = '\0';
    /* The one group of "all" is named so in the reply. */
    if (ta->dimlen == 3 && !memcmp(ta->dim, "all", 3)) addCounter(groupFor(ta, "all", 3), counter, v);
    else addCounter(groupFor(ta, g, (size_t)(c - g)), counter, v);
}

/* The p-th percentile (0..100) of a histogram, or -1 when it is empty. */
static long long percentile(const long long *hist, int p) {
    long long n = 0, seen = 0, want;
    for (int b = 0; b < REPORT_BUCKETS; b++) n += hist[b];
    if (n <= 0) return -1;
    want = (n * p + 99) / 100;
    if (want < 1) want = 1;
    for (int b = 0; b < REPORT_BUCKETS; b++) {
        seen += hist[b];
        if (seen >= want) return bucketValue(b);
    }
    return bucketValue(REPORT_BUCKETS - 1);
}

static void replyPercentile(Hd *hd, const char *name, const long long *hist, int p) {
    long long v = percentile(hist, p);
    RedisModule_ReplyWithCString(hd->ctx, name);
    if (v < 0) RedisModule_ReplyWithNull(hd->ctx);
    else RedisModule_ReplyWithLongLong(hd->ctx, v);
}

static void replyGroup(Hd *hd, const Group *g) {
    RedisModule_ReplyWithMap(hd->ctx, 8);
    RedisModule_ReplyWithCString(hd->ctx, "created");
    RedisModule_ReplyWithLongLong(hd->ctx, g->created);
    RedisModule_ReplyWithCString(hd->ctx, "closed");
    RedisModule_ReplyWithLongLong(hd->ctx, g->closed);
    RedisModule_ReplyWithCString(hd->ctx, "reopened");
    RedisModule_ReplyWithLongLong(hd->ctx, g->reopened);
    replyPercentile(hd, "first_reply_p50", g->hist[0], 50);
    replyPercentile(hd, "first_reply_p90", g->hist[0], 90);
    replyPercentile(hd, "resolution_p50", g->hist[1], 50);
    replyPercentile(hd, "resolution_p90", g->hist[1], 90);
    RedisModule_ReplyWithCString(hd->ctx, "breaches");
    RedisModule_ReplyWithMap(hd->ctx, SLA_METRICS);
    for (int m = 0; m < SLA_METRICS; m++) {
        RedisModule_ReplyWithCString(hd->ctx, slaMetricName(m));
        RedisModule_ReplyWithLongLong(hd->ctx, g->breaches[m]);
    }
}

static int parseReportOrReply(Hd *hd, RedisModuleString **argv, int argc, long long *from,
                              long long *to, const char **dim) {
    int has_from = 0, has_to = 0, has_by = 0;
    *to = hd->now;
    *dim = "all";
    for (int i = 2; i < argc; i++) {
        int more = i + 1 < argc;
        if (hdArgIs(argv[i], "FROM") && more && !has_from) {
            if (!hdArgLongLongOrReply(hd, argv[++i], "FROM (Unix ms)", 0, 253402300799999LL, from))
                return 0;
            has_from = 1;
        } else if (hdArgIs(argv[i], "TO") && more && !has_to) {
            if (!hdArgLongLongOrReply(hd, argv[++i], "TO (Unix ms)", 0, 253402300799999LL, to))
                return 0;
            has_to = 1;
        } else if (hdArgIs(argv[i], "BY") && more && !has_by) {
            i++;
            if (hdArgIs(argv[i], "category")) *dim = "category";
            else if (hdArgIs(argv[i], "agent")) *dim = "agent";
            else if (hdArgIs(argv[i], "priority")) *dim = "priority";
            else {
                hdError(hd, "INVALID", "BY must be category, agent or priority, "
                        "got '%s'", RedisModule_StringPtrLen(argv[i], NULL));
                return 0;
            }
            has_by = 1;
        } else {
            hdSyntax(hd, "unexpected or repeated argument '%s'; DESK.REPORT desk "
                     "[FROM ms] [TO ms] [BY category|agent|priority]",
                     RedisModule_StringPtrLen(argv[i], NULL));
            return 0;
        }
    }
    if (!has_from) *from = *to > REPORT_DEFAULT_DAYS * DAY_MS ? *to - REPORT_DEFAULT_DAYS * DAY_MS : 0;
    if (*from > *to) {
        hdError(hd, "INVALID", "FROM %lld is after TO %lld", *from, *to);
        return 0;
    }
    if (dayOf(*to) - dayOf(*from) >= REPORT_MAX_DAYS) {
        hdError(hd, "INVALID", "the range spans more than %d days; ask for a "
                "shorter FROM..TO", REPORT_MAX_DAYS);
        return 0;
    }
    return 1;
}

static int cmdDeskReport(Hd *hd, RedisModuleString **argv, int argc) {
    long long from, to;
    const char *dim;
    Tally ta = { .hd = hd };

    if (!parseReportOrReply(hd, argv, argc, &from, &to, &dim)) return REDISMODULE_OK;
    for (long long d = dayOf(from); d <= dayOf(to); d++)
        if (!hdCheckTypeOrReply(hd, dayKey(hd, d), REDISMODULE_KEYTYPE_HASH)) return REDISMODULE_OK;
    ta.dim = dim;
    ta.dimlen = strlen(dim);
    ta.groups = RedisModule_CreateDict(hd->ctx);
    for (long long d = dayOf(from); d <= dayOf(to); d++) {
        RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, dayKey(hd, d), REDISMODULE_READ);
        if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH) {
            RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
            while (RedisModule_ScanKey(k, cur, tallyField, &ta));
            RedisModule_ScanCursorDestroy(cur);
        }
        RedisModule_CloseKey(k);
    }
    /* Groups in name order (the dict's), so replies are stable. */
    RedisModule_ReplyWithMap(hd->ctx, (long)RedisModule_DictSize(ta.groups));
    RedisModuleDictIter *it = RedisModule_DictIteratorStartC(ta.groups, "^", NULL, 0);
    char *name;
    size_t nlen;
    Group *g;
    while ((name = RedisModule_DictNextC(it, &nlen, (void **)&g))) {
        RedisModule_ReplyWithStringBuffer(hd->ctx, name, nlen);
        replyGroup(hd, g);
    }
    RedisModule_DictIteratorStop(it);
    RedisModule_FreeDict(hd->ctx, ta.groups);
    return REDISMODULE_OK;
}

static RedisModuleCommandArg argsReport[] = {
    {.name = "from", .type = REDISMODULE_ARG_TYPE_INTEGER, .token = "FROM",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL},
    {.name = "to", .type = REDISMODULE_ARG_TYPE_INTEGER, .token = "TO",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL},
    {.name = "by", .type = REDISMODULE_ARG_TYPE_ONEOF, .token = "BY",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL, .subargs = (RedisModuleCommandArg[]){
        {.name = "category", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "category"},
        {.name = "agent", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "agent"},
        {.name = "priority", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "priority"},
        {0}}},
    {0}
};

HdCommand hdReportCommands[] = {
    {"desk.report", cmdDeskReport, "readonly", -2, 0,
     "Service-level report per group (all, category, agent or priority) over a time range: "
     "created, closed, reopened, first-reply and resolution p50/p90 (ms), breaches per metric",
     "O(D x G) with D days in the range and G groups; independent of the number of tickets",
     argsReport},
    {NULL}
};
