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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "helpdesk.h"
#include "hd_keyschema.h"
#include "hd_text.h"

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

/* parts[0..n) joined by sep into buf (size bytes, NUL-terminated, cut to
 * fit); returns the length. The field names and list entries are made for
 * every contribution: even hdFormat's loop over a format string was about
 * 600 instructions a name. */
static size_t joinParts(char *buf, size_t size, char sep, const char **parts, int n) {
    size_t len = 0;
    for (int i = 0; i < n && len + 1 < size; i++) {
        size_t l = strlen(parts[i]);
        if (i) buf[len++] = sep;
        if (l > size - 1 - len) l = size - 1 - len;
        memcpy(buf + len, parts[i], l);
        len += l;
    }
    buf[len] = '\0';
    return len;
}

/* ------------------------------------------------------------------------ */
/* A command's contributions, written together                               */
/* ------------------------------------------------------------------------ */

/* A close counts `closed` and samples its resolution time, and may count a
 * late breach. Written one by one, each contribution was a key open, four
 * HashGets and HashSets, an HSET and its event on the day's hash, then an
 * RPUSH and its event on the ticket's list: about 27k instructions. Between
 * reportBegin and reportEnd they are gathered instead, and written as one
 * HSET of every field of a day (the deltas of a field counted twice added
 * up first: one HSET sets a field once) and one RPUSH of every entry of a
 * ticket. The values are the same, and so are the keyspace events: those of
 * the two replicated commands, as a replica replaying them raises. A
 * contribution to another day (a breach counts on its due day) or another
 * ticket writes what was gathered for the previous one first, so the result
 * never depends on the order. Outside a batch every contribution is written
 * at once. The batch is the command's: it holds strings of hd->ctx and is
 * always written out before the command returns. */
#define BATCH_FIELDS FX_INCR_MAX
#define BATCH_ENTRIES 4
#define FIELD_MAX (HD_ID_MAX + 64)

static struct {
    Hd *hd;                                 /* NULL: no batch open */
    long long day;                          /* of the gathered fields */
    int nfields;
    char field[BATCH_FIELDS][FIELD_MAX];
    long long delta[BATCH_FIELDS];
    long long tid;                          /* of the gathered entries */
    int nentries;
    RedisModuleString *entry[BATCH_ENTRIES];
} batch;

/* ------------------------------------------------------------------------ */
/* Today's counters, kept                                                    */
/* ------------------------------------------------------------------------ */

/* A counter is added to by reading its field (RM_HashGet: a search of the
 * listpack while the hash is small) and writing it (HashSet: the same search
 * again), twice the work of the HSET that replicates it; a close moves eight.
 * The values the module last read or wrote in today's hash are kept, so the
 * next contribution writes without reading. They are the hash's values as
 * long as nothing else touched it: any keyspace event on a
 * "<desk>:report:<day>" key other than the module's own HSET here (a client's
 * or a script's HSET or HDEL, a replicated write, DEL, RENAME, RESTORE, COPY,
 * MOVE, expiry, eviction, DESK.PURGE), a flush, SWAPDB or a load drops them
 * all: the rule of the kept desk settings (deskconfig.c). A key that another
 * type replaced (SET, whose event is not watched) fails the type checks of
 * every command that writes it, and is a hash again only after a deletion or
 * a whole-key write, which are watched. Other days (a breach counts on its
 * due day, TICKET.DEL takes back old days) are read and written as they are. */
#define KEPT_MAX 256
static struct {
    unsigned long long epoch;               /* valid while == keptEpoch */
    int db, n;
    size_t klen;
    char key[HD_DESK_MAX + 32];
    uint32_t hash[KEPT_MAX];
    long long value[KEPT_MAX];
    char name[KEPT_MAX][FIELD_MAX];
    /* The field's name as a string, the module's own (no context): one
     * made per kept field, not per write. HashSet copies it, the
     * replication takes a reference. */
    RedisModuleString *field[KEPT_MAX];
} kept;
static unsigned long long keptEpoch = 1;
static RedisModuleString *keptOwnWrite;    /* the key of the HSET written below */

/* "<desk>:report:<yyyymmdd>", from a keyspace event (no desk at hand). */
static int isDayKey(const char *k, size_t len) {
    return len > 16 && !memcmp(k + len - 16, ":report:", 8) && hdIsReportDay(k + len - 8, 8);
}

static void keptKeyEvent(RedisModuleCtx *ctx, int type, const char *event,
                         RedisModuleString *key) {
    size_t len, olen;
    const char *k = RedisModule_StringPtrLen(key, &len), *own;
    if (!isDayKey(k, len)) return;
    if (keptOwnWrite && type == REDISMODULE_NOTIFY_HASH) {
        own = RedisModule_StringPtrLen(keptOwnWrite, &olen);
        if (olen == len && !memcmp(own, k, len)) return;
    }
    keptEpoch++;
}

static void keptServerEvent(RedisModuleCtx *ctx, RedisModuleEvent e, uint64_t sub, void *data) {
    keptEpoch++;
}

void reportInit(RedisModuleCtx *ctx) {
    hdKeptHooks(ctx, keptKeyEvent, keptServerEvent);
}

static void keptClear(void) {
    for (int i = 0; i < kept.n; i++) RedisModule_FreeString(NULL, kept.field[i]);
    kept.n = 0;
    kept.epoch = 0;
}

void reportUnload(void) {
    keptClear();
}

/* 1 when the kept values are key's (resetting them to key when they are
 * not and key is today's); 0 for another day, which is not kept. */
static int keptFor(Hd *hd, RedisModuleString *key, long long day) {
    size_t len;
    const char *k = RedisModule_StringPtrLen(key, &len);
    int db = RedisModule_GetSelectedDb(hd->ctx);
    if (kept.epoch == keptEpoch && kept.db == db && kept.klen == len &&
        !memcmp(kept.key, k, len)) return 1;
    if (day != dayOf(hd->now) || len > sizeof(kept.key)) return 0;
    keptClear();
    kept.epoch = keptEpoch;
    kept.db = db;
    kept.klen = len;
    memcpy(kept.key, k, len);
    return 1;
}

static int keptFind(const char *name, size_t len, uint32_t h) {
    for (int i = 0; i < kept.n; i++)
        if (kept.hash[i] == h && !memcmp(kept.name[i], name, len + 1)) return i;
    return -1;
}

static void keptStore(int slot, const char *name, size_t len, uint32_t h, long long v) {
    if (slot < 0) {
        if (kept.n == KEPT_MAX) return;     /* past that, read each time */
        slot = kept.n++;
        kept.hash[slot] = h;
        memcpy(kept.name[slot], name, len + 1);
        kept.field[slot] = RedisModule_CreateString(NULL, name, len);
    }
    kept.value[slot] = v;
}

/* The current value of field f (0 when missing or not an integer, as
 * fxHashIncr reads it). */
static long long readCounter(RedisModuleKey *k, RedisModuleString *f) {
    RedisModuleString *cur = NULL;
    long long v = 0;
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH)
        RedisModule_HashGet(k, REDISMODULE_HASH_NONE, f, &cur, NULL);
    if (cur && RedisModule_StringToLongLong(cur, &v) != REDISMODULE_OK) v = 0;
    return v;
}

/* The gathered deltas added to the day's counters: the values read once
 * (kept ones are not read), written as one HSET (one key open, one
 * replicated command, its event). */
static void flushFields(void) {
    Hd *hd = batch.hd;
    RedisModuleString *key, *fv[2 * BATCH_FIELDS];
    RedisModuleKey *rk = NULL;
    long long v[BATCH_FIELDS];
    int slot[BATCH_FIELDS], n = batch.nfields, keep;
    uint32_t h[BATCH_FIELDS];
    size_t len[BATCH_FIELDS];
    if (!n) return;
    key = dayKey(hd, batch.day);
    keep = keptFor(hd, key, batch.day);
    for (int i = 0; i < n; i++) {
        len[i] = strlen(batch.field[i]);
        h[i] = textHash(batch.field[i], len[i]);
        slot[i] = keep ? keptFind(batch.field[i], len[i], h[i]) : -1;
        if (slot[i] >= 0) {
            fv[2 * i] = kept.field[slot[i]];
            v[i] = kept.value[slot[i]];
        } else {
            fv[2 * i] = RedisModule_CreateString(hd->ctx, batch.field[i], len[i]);
            if (!rk) rk = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
            v[i] = readCounter(rk, fv[2 * i]);
        }
        v[i] += batch.delta[i];
        fv[2 * i + 1] = RedisModule_CreateStringFromLongLong(hd->ctx, v[i]);
    }
    if (rk) RedisModule_CloseKey(rk);
    keptOwnWrite = key;
    fxHashSet(hd, key, fv, 2 * n);
    keptOwnWrite = NULL;
    for (int i = 0; keep && i < n; i++) keptStore(slot[i], batch.field[i], len[i], h[i], v[i]);
    batch.nfields = 0;
}

static void flushEntries(void) {
    if (!batch.nentries) return;
    fxRPushMany(batch.hd, hdTicketReportKey(batch.hd, batch.tid), batch.entry, batch.nentries);
    batch.nentries = 0;
}

static void batchOpen(Hd *hd) {
    /* Nested batches would write the outer one's contributions early, and a
     * batch left open would be a dangling Hd. */
    RedisModule_Assert(batch.hd == NULL);
    batch.hd = hd;
    batch.nfields = batch.nentries = 0;
}

static void batchClose(void) {
    flushFields();
    flushEntries();
    batch.hd = NULL;
}

void reportBegin(Hd *hd) {
    batchOpen(hd);
}

void reportEnd(Hd *hd) {
    RedisModule_Assert(batch.hd == hd);
    batchClose();
}

/* Adds delta to field name (len bytes, < FIELD_MAX) of day's hash,
 * gathered. */
static void addField(long long day, const char *name, size_t len, long long delta) {
    if (batch.nfields && batch.day != day) flushFields();
    batch.day = day;
    for (int i = 0; i < batch.nfields; i++)
        if (!memcmp(batch.field[i], name, len + 1)) { batch.delta[i] += delta; return; }
    if (batch.nfields == BATCH_FIELDS) flushFields();
    memcpy(batch.field[batch.nfields], name, len + 1);
    batch.delta[batch.nfields++] = delta;
}

static void addEntry(long long tid, RedisModuleString *entry) {
    if (batch.nentries && (batch.tid != tid || batch.nentries == BATCH_ENTRIES)) flushEntries();
    batch.tid = tid;
    batch.entry[batch.nentries++] = entry;
}

/* Adds delta to <dim>:<group>:<counter> for the four groupings of one
 * contribution, in the open batch. */
static void bump(long long day, const char *counter, const char *cat, const char *prio,
                 const char *agent, long long delta) {
    const char *dims[4] = { "all", "category", "priority", "agent" };
    const char *groups[4] = { "-", cat, prio, agent };
    char name[FIELD_MAX];
    for (int i = 0; i < 4; i++) {
        const char *parts[3] = { dims[i], groups[i], counter };
        addField(day, name, joinParts(name, sizeof(name), ':', parts, 3), delta);
    }
}

static void record(Hd *hd, const Ticket *t, long long at, const char *counter) {
    char prio[24], dayname[24], entry[256];
    const char *agent = t->agent ? RedisModule_StringPtrLen(t->agent, NULL) : "-";
    long long day = dayOf(at);
    const char *parts[5] = { dayname, counter, t->category, prio, agent };
    int own = batch.hd == NULL;
    if (own) batchOpen(hd);
    RedisModule_Assert(batch.hd == hd);
    hdFormatLL(prio, t->priority);
    hdFormatLL(dayname, day);
    bump(day, counter, t->category, prio, agent, 1);
    /* At most 20 + 48 + 32 + 20 + 64 bytes and four blanks: never cut. */
    size_t n = joinParts(entry, sizeof(entry), ' ', parts, 5);
    addEntry(t->id, RedisModule_CreateString(hd->ctx, entry, n));
    if (own) batchClose();
}

void reportCount(Hd *hd, const Ticket *t, long long at, const char *counter) {
    record(hd, t, at, counter);
}

void reportSample(Hd *hd, const Ticket *t, long long at, const char *metric, long long ms) {
    char counter[48], bucket[24];
    const char *parts[3] = { "h", metric, bucket };
    hdFormatLL(bucket, (long long)bucketOf(ms < 0 ? 0 : ms));
    joinParts(counter, sizeof(counter), '.', parts, 3);
    record(hd, t, at, counter);
}

void reportBreach(Hd *hd, const Ticket *t, long long at, int metric) {
    char counter[48];
    const char *parts[2] = { "breach", slaMetricName(metric) };
    joinParts(counter, sizeof(counter), '.', parts, 2);
    record(hd, t, at, counter);
}

/* The ticket's entries taken back out: one HSET per day they were counted
 * on (a batch), then the list goes. */
void reportForget(Hd *hd, long long tid) {
    RedisModuleString *key = hdTicketReportKey(hd, tid);
    RedisModuleKey *k;
    long long n;
    int own = batch.hd == NULL;
    /* What this command gathered for the ticket is in its list first. */
    if (own) batchOpen(hd);
    RedisModule_Assert(batch.hd == hd);
    flushEntries();
    k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    n = RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_LIST ? (long long)RedisModule_ValueLength(k) : 0;
    for (long long i = 0; i < n; i++) {
        char counter[64], cat[40], prio[24], agent[HD_ID_MAX + 1];
        long long day;
        RedisModuleString *e = RedisModule_ListGet(k, i);
        const char *s = RedisModule_StringPtrLen(e, NULL);
        if (sscanf(s, "%lld %63s %39s %23s %64s", &day, counter, cat, prio, agent) == 5)
            bump(day, counter, cat, prio, agent, -1);
        RedisModule_FreeString(hd->ctx, e);
    }
    RedisModule_CloseKey(k);
    if (own) batchClose();
    if (n) fxDel(hd, key);
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
