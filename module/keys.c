/* keys.c -- key names of a desk, name validation and argument parsing.
 *
 * Every key of desk D starts with "D:"; the schema is in SPEC.md section 2. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include "helpdesk.h"

int hdFormatLL(char *dst, long long v) {
    char tmp[24];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = 0, len = 0;
    do tmp[n++] = (char)('0' + u % 10); while ((u /= 10) != 0);
    if (v < 0) dst[len++] = '-';
    while (n) dst[len++] = tmp[--n];
    dst[len] = '\0';
    return len;
}

/* The formatting every key name and log line needs (%lld, %s, %.*s, %%),
 * without the cost of vsnprintf, which dominated TICKET.CREATE's profile.
 * Any other conversion falls back to vsnprintf. Output is truncated to size-1
 * bytes and NUL-terminated; returns its length. */
int hdFormat(char *buf, size_t size, const char *fmt, va_list ap) {
    size_t n = 0;
    va_list fallback;
    va_copy(fallback, ap);
    for (const char *p = fmt; *p; p++) {
        char num[24];
        const char *src;
        size_t len;
        if (*p != '%') {
            /* A run of literal bytes in one copy: byte by byte, this loop
             * was most of a key name's cost. */
            src = p;
            while (p[1] && p[1] != '%') p++;
            len = (size_t)(p - src) + 1;
        } else if (p[1] == '%') { src = p++; len = 1; }
        else if (!strncmp(p, "%lld", 4)) {
            len = (size_t)hdFormatLL(num, va_arg(ap, long long));
            src = num;
            p += 3;
        } else if (p[1] == 's') {
            src = va_arg(ap, const char *);
            if (!src) src = "(null)";
            len = strlen(src);
            p += 1;
        } else if (!strncmp(p, "%.*s", 4)) {
            int l = va_arg(ap, int);
            src = va_arg(ap, const char *);
            len = l < 0 ? 0 : (size_t)l;
            p += 3;
        } else {
            int r = vsnprintf(buf, size, fmt, fallback);
            va_end(fallback);
            if (r < 0) r = 0;
            return r >= (int)size ? (int)size - 1 : r;
        }
        if (n + len >= size) len = size - 1 - n;
        memcpy(buf + n, src, len);
        n += len;
    }
    va_end(fallback);
    buf[n] = '\0';
    return (int)n;
}

int hdDbDeskName(char *buf, int db, const char *desk, size_t dlen) {
    int n = hdFormatLL(buf, db);
    buf[n++] = ':';
    memcpy(buf + n, desk, dlen);
    return n + (int)dlen;
}

RedisModuleString *hdKey(Hd *hd, const char *fmt, ...) {
    char buf[HD_KEY_MAX];
    int off, n;
    va_list ap;

    memcpy(buf, hd->dname, hd->dlen);
    buf[hd->dlen] = ':';
    off = (int)hd->dlen + 1;
    va_start(ap, fmt);
    n = hdFormat(buf + off, sizeof(buf) - off, fmt, ap);
    va_end(ap);
    return RedisModule_CreateString(hd->ctx, buf, off + n);
}

/* Field names and fixed values ("updated_at", "open", ...) as strings made
 * once and kept for the module's life: building them per call was a string
 * object, an auto-memory entry and a free each. Writes copy them (HashSet,
 * StreamAdd) and replication takes its own reference, so sharing is safe.
 * Looked up by content (the pointer first, as callers pass literals). */
#define CONST_STRINGS_MAX 96
static struct { const char *ptr; size_t len; RedisModuleString *s; } constStrings[CONST_STRINGS_MAX];
static int nconstStrings;

/* By address: entry index + 1 (0: free), open addressing. Hot paths ask
 * for a dozen names per command, and a scan of the table was ~100
 * instructions a name. */
#define CONST_BY_PTR 256
static unsigned char constByPtr[CONST_BY_PTR];

static unsigned ptrSlot(const char *p) {
    return (unsigned)(((uintptr_t)p * 0x9E3779B97F4A7C15ULL) >> 56) & (CONST_BY_PTR - 1);
}

static void constIndex(int i) {
    unsigned h = ptrSlot(constStrings[i].ptr);
    while (constByPtr[h] && constStrings[constByPtr[h] - 1].ptr != constStrings[i].ptr)
        h = (h + 1) & (CONST_BY_PTR - 1);
    constByPtr[h] = (unsigned char)(i + 1);     /* the newest for an address */
}

RedisModuleString *hdConstString(Hd *hd, const char *lit) {
    size_t len;
    /* Same address first (literals), still checking the bytes: a caller's
     * buffer may hold other text at the same address next time. */
    for (unsigned h = ptrSlot(lit); constByPtr[h]; h = (h + 1) & (CONST_BY_PTR - 1)) {
        int i = constByPtr[h] - 1;
        if (constStrings[i].ptr != lit) continue;
        if (!memcmp(RedisModule_StringPtrLen(constStrings[i].s, NULL), lit,
                    constStrings[i].len + 1))
            return constStrings[i].s;
        break;
    }
    len = strlen(lit);
    for (int i = 0; i < nconstStrings; i++)
        if (constStrings[i].len == len &&
            !memcmp(RedisModule_StringPtrLen(constStrings[i].s, NULL), lit, len))
            return constStrings[i].s;
    if (nconstStrings == CONST_STRINGS_MAX) return RedisModule_CreateString(hd->ctx, lit, len);
    constStrings[nconstStrings].ptr = lit;
    constStrings[nconstStrings].len = len;
    constStrings[nconstStrings].s = RedisModule_CreateString(NULL, lit, len);
    constIndex(nconstStrings);
    return constStrings[nconstStrings++].s;
}

static void fixedCacheFree(void);

void hdConstStringsFree(void) {
    for (int i = 0; i < nconstStrings; i++) RedisModule_FreeString(NULL, constStrings[i].s);
    nconstStrings = 0;
    memset(constByPtr, 0, sizeof(constByPtr));
    fixedCacheFree();
}

/* ------------------------------------------------------------------------ */
/* The key-name memo of a command (Hd.memo)                                 */
/* ------------------------------------------------------------------------ */

/* Builders whose names are memoised, one kind each. */
enum {
    KM_NONE = -1,       /* a name opened that no builder made */
    /* fixed names, one slot each in Hd.fixed_keys */
    KM_STATS, KM_EVENTS, KM_CONFIG, KM_AGENTS, KM_QUEUE_PRIORITY, KM_QUEUE_SLA,
    KM_SLA_TIMER, KM_SLA_RELAX, KM_SLA_REASSIGN, KM_SEQ_TICKETS, KM_FLOOD_RECENT,
    KM_FLOOD_MASTERS, KM_FIXED_END,
    /* names with an argument, in Hd.memo */
    KM_TICKET, KM_TICKET_LOG, KM_TICKET_REPORT, KM_REPORT_DAY, KM_FLOOD_CHILDREN,
    KM_MEMBER, KM_AGENT, KM_AGENT_SKILLS, KM_AGENT_OPEN, KM_USER, KM_USER_TICKETS,
    KM_ROUTING, KM_CREATED, KM_SKILL
};
_Static_assert(KM_FIXED_END <= HD_FIXED_KEYS, "HD_FIXED_KEYS is too small");

static unsigned nameGen;        /* the running lending command's (hdKeyMemoLend) */

void hdKeyMemoStart(Hd *hd) {
    hd->memo_on = 1;
    hd->memo_lend = 0;
    hd->nmemo = 0;
    hd->nplain = 0;
    hd->hash_read = NULL;
    hd->loose = NULL;
    memset(hd->by_args, 0, sizeof(hd->by_args));
    memset(hd->by_ptr, 0, sizeof(hd->by_ptr));
    memset(hd->fixed_keys, 0, sizeof(hd->fixed_keys));
}

void hdKeyMemoLend(Hd *hd) {
    hd->memo_lend = 1;
    nameGen++;                  /* the desk cache's names it takes (below) */
}

static unsigned argsSlot(int kind, long long num, const char *id, size_t idlen) {
    uint64_t h = (uint64_t)kind * 0x100000001B3ULL ^ (uint64_t)num ^ ((uint64_t)idlen << 40);
    for (size_t i = 0; i < idlen; i++) h = (h ^ (unsigned char)id[i]) * 0x100000001B3ULL;
    return (unsigned)((h * 0x9E3779B97F4A7C15ULL) >> 57) & (HD_KEY_INDEX - 1);
}

static unsigned ptrSlotOf(const RedisModuleString *key) {
    return (unsigned)(((uintptr_t)key * 0x9E3779B97F4A7C15ULL) >> 57) & (HD_KEY_INDEX - 1);
}

static void indexPut(unsigned char *ix, unsigned h, int entry) {
    while (ix[h]) h = (h + 1) & (HD_KEY_INDEX - 1);
    ix[h] = (unsigned char)(entry + 1);
}

/* A builder's name handed to its caller: the memo's own reference where
 * memo_lend is on, else a reference of the caller's own (HoldString, also
 * collected by auto memory), which the caller may free and leave the
 * memo's reference whole. */
static RedisModuleString *handOut(Hd *hd, RedisModuleString *key) {
    return hd->memo_lend ? key : RedisModule_HoldString(hd->ctx, key);
}

/* The name built earlier in this command for (kind, num, id), or NULL. The
 * desk is the same for the whole Hd, so it is not part of the memo's key. */
static RedisModuleString *memoGet(Hd *hd, int kind, long long num, const char *id,
                                  size_t idlen) {
    if (!hd->memo_on) return NULL;
    for (unsigned h = argsSlot(kind, num, id, idlen); hd->by_args[h];
         h = (h + 1) & (HD_KEY_INDEX - 1)) {
        HdKeyMemo *m = &hd->memo[hd->by_args[h] - 1];
        if (m->kind == kind && m->num == num && m->idlen == idlen &&
            (!idlen || !memcmp(m->id, id, idlen)))
            return handOut(hd, m->key);
    }
    return NULL;
}

/* A new entry naming key (kind KM_NONE: no builder's), or -1 when the
 * table is full. Keeps the reference key is (lending) or one of its own,
 * collected with the context either way. */
static int entryPut(Hd *hd, int kind, long long num, const char *id, size_t idlen,
                    RedisModuleString *key) {
    HdKeyMemo *m;
    if (hd->nmemo == HD_KEY_MEMO) return -1;
    m = &hd->memo[hd->nmemo];
    m->kind = kind;
    m->num = num;
    m->idlen = idlen;
    if (idlen) memcpy(m->id, id, idlen);
    m->key = kind == KM_NONE || hd->memo_lend ? key : RedisModule_HoldString(hd->ctx, key);
    m->bytes = RedisModule_StringPtrLen(key, &m->len);
    m->k = NULL;
    indexPut(hd->by_ptr, ptrSlotOf(m->key), hd->nmemo);
    return hd->nmemo++;
}

/* Keeps key, just built, for the rest of the command; returns key. A full
 * memo, or an id too long to copy, only skips the keeping. */
static RedisModuleString *memoPut(Hd *hd, int kind, long long num, const char *id,
                                  size_t idlen, RedisModuleString *key) {
    int i;
    if (!hd->memo_on || idlen > HD_ID_MAX) return key;
    if ((i = entryPut(hd, kind, num, id, idlen, key)) >= 0)
        indexPut(hd->by_args, argsSlot(kind, num, id, idlen), i);
    return key;
}

/* "<desk>:<suffix>" without formatting; ctx NULL for a module string. */
static RedisModuleString *fixedKey(Hd *hd, RedisModuleCtx *ctx, const char *suffix, size_t slen) {
    char buf[HD_DESK_MAX + 32];
    memcpy(buf, hd->dname, hd->dlen);
    buf[hd->dlen] = ':';
    memcpy(buf + hd->dlen + 1, suffix, slen);
    return RedisModule_CreateString(ctx, buf, hd->dlen + 1 + slen);
}

/* The fixed names of the last desk a lending command used, kept across
 * commands (module strings, no context): consecutive commands mostly name
 * one desk, and these were eleven string objects a TICKET.CREATE, each
 * made, queued for auto memory and freed. Shared as the constant strings
 * are: writes copy a key name, handles and replication take their own
 * references. Only a lending command (memo_lend) takes them: it frees no
 * name it was handed, and only one such command runs at a time, so a desk
 * switch frees nothing a running command still names. */
static struct {
    char desk[HD_DESK_MAX];
    size_t dlen;
    RedisModuleString *s[HD_FIXED_KEYS];
} fixedCache;

/* The same for names with a text argument (an agent's keys, a category's
 * queues, a customer's): the few agents and categories a desk's commands
 * name again and again. A round-robin victim, never one the running
 * command has taken (used == the command's generation, bumped by
 * hdKeyMemoLend): that command may still name it. */
#define NAME_CACHE 32
static struct {
    int kind;
    size_t idlen;
    char id[HD_ID_MAX];
    RedisModuleString *s;
    unsigned used;
} nameCache[NAME_CACHE];
static unsigned nameNext;

static void fixedCacheFree(void) {
    for (int i = 0; i < HD_FIXED_KEYS; i++) {
        if (fixedCache.s[i]) RedisModule_FreeString(NULL, fixedCache.s[i]);
        fixedCache.s[i] = NULL;
    }
    for (int i = 0; i < NAME_CACHE; i++) {
        if (nameCache[i].s) RedisModule_FreeString(NULL, nameCache[i].s);
        nameCache[i].s = NULL;
    }
    fixedCache.dlen = 0;
}

/* The cache, emptied first when it holds another desk's names. */
static void deskCacheFor(Hd *hd) {
    if (fixedCache.dlen != hd->dlen || memcmp(fixedCache.desk, hd->dname, hd->dlen)) {
        fixedCacheFree();
        memcpy(fixedCache.desk, hd->dname, hd->dlen);
        fixedCache.dlen = hd->dlen;
    }
}

/* Whether a lending command may take names from the desk cache. */
static int deskCacheOn(Hd *hd) {
    return hd->memo_lend && hd->dlen <= HD_DESK_MAX;
}

/* The cached name for (kind, id), or NULL. */
static RedisModuleString *nameCached(Hd *hd, int kind, const char *id, size_t idlen) {
    deskCacheFor(hd);
    for (int i = 0; i < NAME_CACHE; i++)
        if (nameCache[i].s && nameCache[i].kind == kind && nameCache[i].idlen == idlen &&
            !memcmp(nameCache[i].id, id, idlen)) {
            nameCache[i].used = nameGen;
            return nameCache[i].s;
        }
    return NULL;
}

/* Keeps s (a module string) as the name of (kind, id) when a slot is free
 * of the running command; returns whether it did (else the caller owns s). */
static int nameCachePut(int kind, const char *id, size_t idlen, RedisModuleString *s) {
    for (int tries = 0; tries < NAME_CACHE; tries++) {
        int i = (int)(nameNext++ % NAME_CACHE);
        if (nameCache[i].s && nameCache[i].used == nameGen) continue;
        if (nameCache[i].s) RedisModule_FreeString(NULL, nameCache[i].s);
        nameCache[i].kind = kind;
        nameCache[i].idlen = idlen;
        memcpy(nameCache[i].id, id, idlen);
        nameCache[i].s = s;
        nameCache[i].used = nameGen;
        return 1;
    }
    return 0;
}

static RedisModuleString *fixedCached(Hd *hd, int kind, const char *suffix, size_t slen) {
    deskCacheFor(hd);
    if (!fixedCache.s[kind]) fixedCache.s[kind] = fixedKey(hd, NULL, suffix, slen);
    return fixedCache.s[kind];
}

/* A fixed name has its own slot: no search. */
static RedisModuleString *memoFixed(Hd *hd, int kind, const char *suffix, size_t slen) {
    RedisModuleString *k;
    int i;
    if (!hd->memo_on) return fixedKey(hd, hd->ctx, suffix, slen);
    if (hd->fixed_keys[kind]) return handOut(hd, hd->memo[hd->fixed_keys[kind] - 1].key);
    k = deskCacheOn(hd) ? fixedCached(hd, kind, suffix, slen) : fixedKey(hd, hd->ctx, suffix, slen);
    if ((i = entryPut(hd, kind, 0, NULL, 0, k)) >= 0) hd->fixed_keys[kind] = (unsigned char)(i + 1);
    return k;
}
#define FIXED(kind, suffix) memoFixed(hd, kind, suffix, sizeof(suffix) - 1)

/* "<desk>:" and then pieces, without hdFormat: the memoised builders run
 * on every hot command, and a format's scan was ~300 instructions a name.
 * Pieces past HD_KEY_MAX are cut, as hdFormat cuts. */
typedef struct KeyName { char buf[HD_KEY_MAX]; size_t n; } KeyName;

static void knAdd(KeyName *kn, const char *s, size_t len) {
    if (len > sizeof(kn->buf) - kn->n) len = sizeof(kn->buf) - kn->n;
    memcpy(kn->buf + kn->n, s, len);
    kn->n += len;
}
#define KN_LIT(kn, lit) knAdd(kn, lit, sizeof(lit) - 1)

static void knStart(Hd *hd, KeyName *kn) {
    kn->n = 0;
    knAdd(kn, hd->dname, hd->dlen);
    KN_LIT(kn, ":");
}

static void knNum(KeyName *kn, long long v) {
    char num[24];
    knAdd(kn, num, (size_t)hdFormatLL(num, v));
}

static RedisModuleString *knString(Hd *hd, const KeyName *kn) {
    return RedisModule_CreateString(hd->ctx, kn->buf, kn->n);
}

/* "<desk>:<pre><num><post>", memoised as (kind, num). */
static RedisModuleString *numKey(Hd *hd, int kind, const char *pre, size_t plen,
                                 long long num, const char *post, size_t qlen) {
    KeyName kn;
    RedisModuleString *k = memoGet(hd, kind, num, NULL, 0);
    if (k) return k;
    knStart(hd, &kn);
    knAdd(&kn, pre, plen);
    knNum(&kn, num);
    knAdd(&kn, post, qlen);
    return memoPut(hd, kind, num, NULL, 0, knString(hd, &kn));
}
#define NUM_KEY(kind, pre, num, post) \
    numKey(hd, kind, pre, sizeof(pre) - 1, num, post, sizeof(post) - 1)

/* "<desk>:<pre><text><post>", memoised as (kind, text). */
static RedisModuleString *textKey(Hd *hd, int kind, const char *pre, size_t plen,
                                  const char *s, size_t len, const char *post, size_t qlen) {
    KeyName kn;
    RedisModuleString *k = memoGet(hd, kind, 0, s, len);
    int cache = deskCacheOn(hd) && len <= HD_ID_MAX;
    if (k) return k;
    if (cache && (k = nameCached(hd, kind, s, len)) != NULL)
        return memoPut(hd, kind, 0, s, len, k);
    knStart(hd, &kn);
    knAdd(&kn, pre, plen);
    knAdd(&kn, s, len);
    knAdd(&kn, post, qlen);
    if (cache) {
        k = RedisModule_CreateString(NULL, kn.buf, kn.n);
        if (!nameCachePut(kind, s, len, k)) {
            RedisModule_FreeString(NULL, k);
            k = knString(hd, &kn);
        }
    } else {
        k = knString(hd, &kn);
    }
    return memoPut(hd, kind, 0, s, len, k);
}
#define TEXT_KEY(kind, pre, s, len, post) \
    textKey(hd, kind, pre, sizeof(pre) - 1, s, len, post, sizeof(post) - 1)

RedisModuleString *hdTicketKey(Hd *hd, long long tid) {
    return NUM_KEY(KM_TICKET, "ticket:", tid, "");
}

/* One builder per key kind (SPEC.md section 2): the schema is spelled here
 * only, and keyschema.c's key-kind table names the same kinds. */
RedisModuleString *hdStatsKey(Hd *hd) {
    return FIXED(KM_STATS, "stats");
}
RedisModuleString *hdEventsKey(Hd *hd) {
    return FIXED(KM_EVENTS, "events");
}
RedisModuleString *hdConfigKey(Hd *hd) {
    return FIXED(KM_CONFIG, "config");
}
RedisModuleString *hdAgentsKey(Hd *hd) {
    return FIXED(KM_AGENTS, "agents");
}
RedisModuleString *hdAdminsKey(Hd *hd) {
    return hdKey(hd, "admins");
}
RedisModuleString *hdQueuePriorityKey(Hd *hd) {
    return FIXED(KM_QUEUE_PRIORITY, "queue:priority");
}
RedisModuleString *hdQueueSlaKey(Hd *hd) {
    return FIXED(KM_QUEUE_SLA, "queue:sla");
}
RedisModuleString *hdSlaTimerKey(Hd *hd) {
    return FIXED(KM_SLA_TIMER, "sla:timer");
}
RedisModuleString *hdSlaRelaxKey(Hd *hd) {
    return FIXED(KM_SLA_RELAX, "sla:relax");
}
RedisModuleString *hdSlaReassignKey(Hd *hd) {
    return FIXED(KM_SLA_REASSIGN, "sla:reassign");
}
RedisModuleString *hdSeqTicketsKey(Hd *hd) {
    return FIXED(KM_SEQ_TICKETS, "seq:tickets");
}
RedisModuleString *hdSeqUsersKey(Hd *hd) {
    return hdKey(hd, "seq:users");
}
RedisModuleString *hdAlertsKey(Hd *hd) {
    return hdKey(hd, "alerts");
}
RedisModuleString *hdModelMetaKey(Hd *hd) {
    return hdKey(hd, "model:meta");
}
RedisModuleString *hdModelWordsKey(Hd *hd) {
    return hdKey(hd, "model:words");
}
RedisModuleString *hdTicketLogKey(Hd *hd, long long tid) {
    return NUM_KEY(KM_TICKET_LOG, "ticket:", tid, ":log");
}
RedisModuleString *hdTicketChatKey(Hd *hd, long long tid) {
    return hdKey(hd, "ticket:%lld:chat", tid);
}
RedisModuleString *hdTicketStateKey(Hd *hd, long long tid) {
    return hdKey(hd, "ticket:%lld:state", tid);
}
RedisModuleString *hdTicketReportKey(Hd *hd, long long tid) {
    return NUM_KEY(KM_TICKET_REPORT, "ticket:", tid, ":report");
}
RedisModuleString *hdChatChannel(Hd *hd, long long tid) {
    return hdKey(hd, "chat:%lld", tid);
}
RedisModuleString *hdFloodChildrenKey(Hd *hd, long long tid) {
    return NUM_KEY(KM_FLOOD_CHILDREN, "flood:children:", tid, "");
}
/* The flood keys are opened on every TICKET.CREATE (hot path). */
RedisModuleString *hdFloodRecentKey(Hd *hd) {
    return FIXED(KM_FLOOD_RECENT, "flood:recent");
}
RedisModuleString *hdFloodMastersKey(Hd *hd) {
    return FIXED(KM_FLOOD_MASTERS, "flood:masters");
}
RedisModuleString *hdReportDayKey(Hd *hd, long long day) {
    return NUM_KEY(KM_REPORT_DAY, "report:", day, "");
}

/* A member, not a key, memoised the same way: writes copy it (ZsetAdd,
 * SADD's argv) and never change the string. */
RedisModuleString *hdTicketMember(Hd *hd, long long tid) {
    char buf[32] = "ticket:";
    RedisModuleString *k = memoGet(hd, KM_MEMBER, tid, NULL, 0);
    if (k) return k;
    int n = 7 + hdFormatLL(buf + 7, tid);
    return memoPut(hd, KM_MEMBER, tid, NULL, 0, RedisModule_CreateString(hd->ctx, buf, n));
}

/* Ids are validated to 64 bytes, so these keys always fit in HD_KEY_MAX. */
#define ID_KEY(kind, pre, id, post) \
    idKey(hd, kind, pre, sizeof(pre) - 1, id, post, sizeof(post) - 1)
static RedisModuleString *idKey(Hd *hd, int kind, const char *pre, size_t plen,
                                RedisModuleString *id, const char *post, size_t qlen) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(id, &len);
    return textKey(hd, kind, pre, plen, s, len, post, qlen);
}

RedisModuleString *hdAgentKey(Hd *hd, RedisModuleString *aid) {
    return ID_KEY(KM_AGENT, "agent:", aid, "");
}
RedisModuleString *hdAgentSkillsKey(Hd *hd, RedisModuleString *aid) {
    return ID_KEY(KM_AGENT_SKILLS, "agent:", aid, ":skills");
}
RedisModuleString *hdAgentOpenKey(Hd *hd, RedisModuleString *aid) {
    return ID_KEY(KM_AGENT_OPEN, "agent:", aid, ":open_tickets");
}
RedisModuleString *hdUserKey(Hd *hd, RedisModuleString *uid) {
    return ID_KEY(KM_USER, "user:", uid, "");
}
RedisModuleString *hdUserTicketsKey(Hd *hd, RedisModuleString *uid) {
    return ID_KEY(KM_USER_TICKETS, "user:", uid, ":tickets");
}
RedisModuleString *hdEmailKey(Hd *hd, const char *email, size_t len) {
    return hdKey(hd, "idx:user_email:%.*s", (int)len, email);
}
RedisModuleString *hdRoutingKey(Hd *hd, const char *cat, size_t len) {
    return TEXT_KEY(KM_ROUTING, "queue:unassigned:", cat, len, "");
}
RedisModuleString *hdCreatedKey(Hd *hd, const char *cat, size_t len) {
    return TEXT_KEY(KM_CREATED, "queue:created:", cat, len, "");
}
RedisModuleString *hdSkillKey(Hd *hd, const char *skill, size_t len) {
    return hdKey(hd, "skill:%.*s", (int)len, skill);
}

/* ------------------------------------------------------------------------ */

int hdValidDeskName(const char *s, size_t len) {
    if (len < 1 || len > HD_DESK_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '_' || c == '.' || c == '{' || c == '}' || c == '-'))
            return 0;
    }
    return 1;
}

/* Same rule as Redis's keyHashSlot: the first '{' followed later by '}' with
 * at least one byte in between. */
int hdDeskHasHashTag(const char *s, size_t len) {
    size_t i, j;
    for (i = 0; i < len && s[i] != '{'; i++);
    if (i == len) return 0;
    for (j = i + 1; j < len && s[j] != '}'; j++);
    return j < len && j > i + 1;
}

int hdValidId(const char *s, size_t len) {
    if (len < 1 || len > HD_ID_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '_' || c == '.' || c == '@' || c == '-')) return 0;
    }
    return 1;
}

int hdValidCategory(const char *s, size_t len) {
    if (len < 1 || len > 32) return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* The one parser of ticket ids in key names and set members. canonical is
 * DESK.CHECK's stricter reading: the way the module writes ids (no leading
 * zero, at most 18 digits), so "ticket:007" is not the key of ticket 7. */
int hdParseTicketId(const char *s, size_t len, int canonical, long long *tid) {
    long long v = 0;
    if (len < 1 || len > 19) return 0;
    if (canonical && (len > 18 || s[0] == '0')) return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        if (v > (LLONG_MAX - (s[i] - '0')) / 10) return 0;   /* would overflow */
        v = v * 10 + (s[i] - '0');
    }
    if (v <= 0) return 0;
    *tid = v;
    return 1;
}

int hdParseTicketMember(const char *s, size_t len, long long *tid) {
    if (len < 8 || memcmp(s, "ticket:", 7) != 0) return 0;
    return hdParseTicketId(s + 7, len - 7, 0, tid);
}

long long hdTicketMemberTid(RedisModuleString *m) {
    size_t len;
    long long tid = 0;
    const char *s = RedisModule_StringPtrLen(m, &len);
    hdParseTicketMember(s, len, &tid);
    return tid;
}

int hdLower(const char *s, size_t len, char *dst, size_t dstsize) {
    if (len + 1 > dstsize) return -1;
    for (size_t i = 0; i < len; i++) dst[i] = (char)tolower((unsigned char)s[i]);
    dst[len] = '\0';
    return (int)len;
}

const char *hdTypeName(int type) {
    switch (type) {
    case REDISMODULE_KEYTYPE_STRING: return "string";
    case REDISMODULE_KEYTYPE_LIST: return "list";
    case REDISMODULE_KEYTYPE_HASH: return "hash";
    case REDISMODULE_KEYTYPE_SET: return "set";
    case REDISMODULE_KEYTYPE_ZSET: return "sorted set";
    case REDISMODULE_KEYTYPE_STREAM: return "stream";
    case REDISMODULE_KEYTYPE_MODULE: return "module value";
    default: return "unknown type";
    }
}

/* ------------------------------------------------------------------------ */
/* The keys a command opened (Hd.open)                                      */
/* ------------------------------------------------------------------------ */

/* The entry whose name object is key, or -1. */
static int entryOf(Hd *hd, RedisModuleString *key) {
    for (unsigned h = ptrSlotOf(key); hd->by_ptr[h]; h = (h + 1) & (HD_KEY_INDEX - 1))
        if (hd->memo[hd->by_ptr[h] - 1].key == key) return hd->by_ptr[h] - 1;
    return -1;
}

static int sameName(const HdKeyMemo *m, const char *s, size_t len) {
    return m->k && m->len == len && !memcmp(m->bytes, s, len);
}

/* The entry holding the handle of key's bytes under another name object,
 * or -1. Builders' names differ from each other's, so a builder's name
 * (built) can only share its bytes with the names no builder made. */
static int openByBytes(Hd *hd, RedisModuleString *key, int built) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(key, &len);
    if (built) {
        for (int i = 0; i < hd->nplain; i++)
            if (sameName(&hd->memo[hd->plain[i]], s, len)) return hd->plain[i];
        return -1;
    }
    for (int i = 0; i < hd->nmemo; i++)
        if (sameName(&hd->memo[i], s, len)) return i;
    return -1;
}

/* The entry holding key's handle, or -1; *self is the entry of key's own
 * name object (-1 when it has none), where a new handle would go. */
static int openEntry(Hd *hd, RedisModuleString *key, int *self) {
    int i = *self = entryOf(hd, key);
    if (i >= 0 && hd->memo[i].k) return i;
    return openByBytes(hd, key, i >= 0 && hd->memo[i].kind != KM_NONE);
}

RedisModuleKey *hdKeyOpen(Hd *hd, RedisModuleString *key) {
    RedisModuleKey *k;
    int i, j;
    if (!hd->memo_on) return RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ | REDISMODULE_WRITE);
    if ((j = openEntry(hd, key, &i)) >= 0) return hd->memo[j].k;
    k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ | REDISMODULE_WRITE);
    /* The handle holds a reference to the name object (RM_OpenKey), so an
     * entry made here stays valid even if the caller frees its name. */
    if (i >= 0 && hd->memo[i].kind == KM_NONE) {
        /* Forgotten earlier: the name object at this address may be new. */
        hd->memo[i].key = key;
        hd->memo[i].bytes = RedisModule_StringPtrLen(key, &hd->memo[i].len);
    } else if (i < 0 && (i = entryPut(hd, KM_NONE, 0, NULL, 0, key)) >= 0) {
        hd->plain[hd->nplain++] = (unsigned char)i;
    }
    if (i < 0) {
        /* Not kept: hdKeyRelease closes it. Callers hold one handle at a
         * time, so one such handle is out at most. */
        RedisModule_Assert(!hd->loose);
        return hd->loose = k;
    }
    return hd->memo[i].k = k;
}

void hdKeyRelease(Hd *hd, RedisModuleKey *k) {
    if (hd->memo_on && k != hd->loose) return;
    hd->loose = NULL;
    RedisModule_CloseKey(k);
}

/* Rare (a set written through RM_Call, an expiry): the entry stays, without
 * a handle; the next hdKeyOpen opens afresh. */
void hdKeyForget(Hd *hd, RedisModuleString *key) {
    int i, self;
    if (!hd->memo_on || (i = openEntry(hd, key, &self)) < 0) return;
    RedisModule_CloseKey(hd->memo[i].k);
    hd->memo[i].k = NULL;
}

/* Sets are written through RM_Call (no low-level set API), which would
 * leave a kept handle stale: their types are read with a handle of their
 * own, as before. */
int hdKeyType(Hd *hd, RedisModuleString *key) {
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    int actual = RedisModule_KeyType(k);
    RedisModule_CloseKey(k);
    return actual;
}

/* The type through the command's kept handle (hdKeyOpen), except for sets. */
static int checkedType(Hd *hd, RedisModuleString *key, int type) {
    RedisModuleKey *k;
    int actual;
    if (type == REDISMODULE_KEYTYPE_SET || !hd->memo_on) return hdKeyType(hd, key);
    k = hdKeyOpen(hd, key);
    actual = RedisModule_KeyType(k);
    hdKeyRelease(hd, k);
    return actual;
}

int hdTypeOk(Hd *hd, RedisModuleString *key, int type) {
    int actual = checkedType(hd, key, type);
    return actual == REDISMODULE_KEYTYPE_EMPTY || actual == type;
}

int hdCheckTypeOrReply(Hd *hd, RedisModuleString *key, int type) {
    int actual = checkedType(hd, key, type);
    if (actual == REDISMODULE_KEYTYPE_EMPTY || actual == type) return 1;
    hdError(hd, "INVALID", "key '%s' holds a %s where helpdesk expects a %s; "
            "run DESK.CHECK or delete the key",
            RedisModule_StringPtrLen(key, NULL), hdTypeName(actual), hdTypeName(type));
    return 0;
}

/* ------------------------------------------------------------------------ */

int hdArgIs(RedisModuleString *arg, const char *token) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(arg, &len);
    return strlen(token) == len && strncasecmp(s, token, len) == 0;
}

int hdArgLongLongOrReply(Hd *hd, RedisModuleString *arg, const char *what,
                  long long min, long long max, long long *out) {
    long long v;
    size_t len;
    const char *s = RedisModule_StringPtrLen(arg, &len);
    if (RedisModule_StringToLongLong(arg, &v) != REDISMODULE_OK) {
        hdError(hd, "INVALID", "%s must be an integer, got '%.*s'", what,
                (int)(len > 40 ? 40 : len), s);
        return 0;
    }
    if (v < min || v > max) {
        hdError(hd, "INVALID", "%s must be between %lld and %lld, got %lld",
                what, min, max, v);
        return 0;
    }
    *out = v;
    return 1;
}

int hdTicketIdArg(RedisModuleString *arg, long long *tid) {
    long long v;
    if (RedisModule_StringToLongLong(arg, &v) != REDISMODULE_OK || v <= 0) return 0;
    *tid = v;
    return 1;
}

int hdArgTicketIdOrReply(Hd *hd, RedisModuleString *arg, long long *tid) {
    long long v;
    size_t len;
    const char *s = RedisModule_StringPtrLen(arg, &len);
    if (!hdTicketIdArg(arg, &v)) {
        hdError(hd, "INVALID", "ticket id must be a positive integer, got '%.*s'",
                (int)(len > 40 ? 40 : len), s);
        return 0;
    }
    *tid = v;
    return 1;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF, so every accepted text converts to JSON and to any client's
 * string type. */
int hdValidUtf8(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str, *end = s + len;
    while (s < end) {
        unsigned char c = *s;
        size_t n;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80) { s++; continue; }
        if (c >= 0xC2 && c <= 0xDF) n = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;          /* overlong */
            if (c == 0xED) hi = 0x9F;          /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;          /* overlong */
            if (c == 0xF4) hi = 0x8F;          /* above U+10FFFF */
        } else return 0;
        if ((size_t)(end - s) <= n) return 0;
        if (s[1] < lo || s[1] > hi) return 0;
        for (size_t i = 2; i <= n; i++) if ((s[i] & 0xC0) != 0x80) return 0;
        s += n + 1;
    }
    return 1;
}

int hdOptionOnce(Hd *hd, unsigned *seen, unsigned bit, RedisModuleString *opt) {
    if (*seen & bit) {
        size_t len;
        const char *s = RedisModule_StringPtrLen(opt, &len);
        hdSyntax(hd, "option %.*s given twice", (int)(len > 40 ? 40 : len), s);
        return 0;
    }
    *seen |= bit;
    return 1;
}

int hdOptionHasValue(Hd *hd, int i, int argc, RedisModuleString *opt, const char *what) {
    if (i + 1 < argc) return 1;
    size_t len;
    const char *s = RedisModule_StringPtrLen(opt, &len);
    hdSyntax(hd, "%.*s needs %s", (int)(len > 40 ? 40 : len), s, what);
    return 0;
}

int hdOptionValue(Hd *hd, unsigned *seen, unsigned bit, RedisModuleString **argv,
                  int argc, int i, const char *what) {
    return hdOptionOnce(hd, seen, bit, argv[i]) &&
           hdOptionHasValue(hd, i, argc, argv[i], what);
}

int hdArgTextOrReply(Hd *hd, RedisModuleString *arg, const char *what, size_t maxlen,
              int allow_empty) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(arg, &len);
    if (len == 0 && !allow_empty) {
        hdError(hd, "INVALID", "%s must not be empty", what);
        return 0;
    }
    if (len > maxlen) {
        hdError(hd, "INVALID", "%s is %zu bytes, more than the limit of %zu",
                what, len, maxlen);
        return 0;
    }
    if (!hdValidUtf8(s, len)) {
        hdError(hd, "INVALID", "%s must be valid UTF-8 text", what);
        return 0;
    }
    return 1;
}
