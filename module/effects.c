/* effects.c -- writes that replicate as values, and small reads.
 *
 * Each fx* helper applies one change through the low-level key API and then
 * replicates the plain Redis command with the same effect (HSET, ZADD, XADD
 * with an explicit id, ...). Redis wraps everything a command replicated in
 * MULTI/EXEC, so replicas and the AOF see the command's effects atomically and
 * never recompute a clock, an id or a routing choice. Sets have no low-level
 * API, so SADD/SREM go through RedisModule_Call and are replicated the same way,
 * as are flood's window trims (fxCallVerbatim).
 *
 * Callers have already checked key types (hdCheckTypeOrReply), so a write here does
 * not fail half-way.
 *
 * Keyspace notifications: the low-level key API raises none, so each helper
 * raises the event of the command it replicates (hset, hdel, zadd, zrem,
 * rpush, set, del, expire, xadd, xtrim; SADD/SREM raise theirs through
 * RedisModule_Call), and "del" when the write emptied the key, exactly as
 * that command does when a replica or the AOF replays it. Master and replica
 * therefore see the same events. The dispatcher adds one module event per
 * command (hdNotifyCommand). */
#include <stdio.h>
#include <string.h>
#include "helpdesk.h"

/* What the current command wrote, for its module event: whether it wrote
 * anything, and the hash of the first ticket whose keys it wrote. */
static struct {
    int wrote;
    RedisModuleString *ticket;      /* retained; NULL when none */
} cmdWrites;

/* The length of "<desk>:ticket:<digits>" when key is that ticket's hash or
 * one of its keys ("...:log", ":chat", ":state"), else 0. */
static size_t ticketHashLen(Hd *hd, RedisModuleString *key) {
    size_t len, i;
    const char *s = RedisModule_StringPtrLen(key, &len);
    if (!hd->dname || len <= hd->dlen + 8 || memcmp(s, hd->dname, hd->dlen) != 0 ||
        memcmp(s + hd->dlen, ":ticket:", 8) != 0) return 0;
    for (i = hd->dlen + 8; i < len && s[i] >= '0' && s[i] <= '9'; i++);
    if (i == hd->dlen + 8 || (i < len && s[i] != ':')) return 0;
    return i;
}

static void notify(Hd *hd, int type, const char *event, RedisModuleString *key) {
    size_t n;
    cmdWrites.wrote = 1;
    RedisModule_NotifyKeyspaceEvent(hd->ctx, type, event, key);
    if (!cmdWrites.ticket && (n = ticketHashLen(hd, key)) > 0)
        cmdWrites.ticket = RedisModule_CreateString(NULL,
                                                    RedisModule_StringPtrLen(key, NULL), n);
}

static void notifyHash(Hd *hd, const char *event, RedisModuleString *key) {
    notify(hd, REDISMODULE_NOTIFY_HASH, event, key);
}

/* The write emptied the key, which Redis then deleted. */
static void notifyIfDeleted(Hd *hd, RedisModuleKey *k, RedisModuleString *key) {
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_EMPTY)
        notify(hd, REDISMODULE_NOTIFY_GENERIC, "del", key);
}

void hdNotifyBegin(Hd *hd) {
    if (cmdWrites.ticket) RedisModule_FreeString(NULL, cmdWrites.ticket);
    cmdWrites.ticket = NULL;
    cmdWrites.wrote = 0;
}

/* TICKET.* commands announce themselves on the (first) ticket they wrote;
 * desk, agent and customer commands on the desk name, their declared key. */
void hdNotifyCommand(Hd *hd, const char *command) {
    int on_ticket = cmdWrites.ticket && !strncmp(command, "ticket.", 7);
    if (cmdWrites.wrote)
        RedisModule_NotifyKeyspaceEvent(hd->ctx, REDISMODULE_NOTIFY_MODULE, command,
                                        on_ticket ? cmdWrites.ticket : hd->desk);
    hdNotifyBegin(hd);
}

static int formatULL(char *dst, unsigned long long u) {
    char tmp[24];
    int n = 0, len = 0;
    do tmp[n++] = (char)('0' + u % 10); while ((u /= 10) != 0);
    while (n) dst[len++] = tmp[--n];
    return len;
}

int hdFormatStreamId(char *buf, const RedisModuleStreamID *id) {
    int n = formatULL(buf, (unsigned long long)id->ms);
    buf[n++] = '-';
    n += formatULL(buf + n, (unsigned long long)id->seq);
    buf[n] = '\0';
    return n;
}

static RedisModuleKey *openWrite(Hd *hd, RedisModuleString *key) {
    return RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ | REDISMODULE_WRITE);
}

void fxHashSet(Hd *hd, RedisModuleString *key, RedisModuleString **fv, int n) {
    RedisModuleKey *k = openWrite(hd, key);
    for (int i = 0; i + 1 < n; i += 2)
        RedisModule_HashSet(k, REDISMODULE_HASH_NONE, fv[i], fv[i + 1], NULL);
    RedisModule_CloseKey(k);
    RedisModule_Replicate(hd->ctx, "HSET", "sv", key, fv, (size_t)n);
    notifyHash(hd, "hset", key);
}

void fxHashSetC(Hd *hd, RedisModuleString *key, const char *field, RedisModuleString *val) {
    RedisModuleKey *k = openWrite(hd, key);
    RedisModule_HashSet(k, REDISMODULE_HASH_CFIELDS, field, val, NULL);
    RedisModule_CloseKey(k);
    RedisModule_Replicate(hd->ctx, "HSET", "scs", key, field, val);
    notifyHash(hd, "hset", key);
}

void fxHashSetLL(Hd *hd, RedisModuleString *key, const char *field, long long val) {
    fxHashSetC(hd, key, field, RedisModule_CreateStringFromLongLong(hd->ctx, val));
}

void fxHashDel(Hd *hd, RedisModuleString *key, const char *field) {
    RedisModuleKey *k = openWrite(hd, key);
    int deleted = RedisModule_HashSet(k, REDISMODULE_HASH_CFIELDS, field,
                                      REDISMODULE_HASH_DELETE, NULL);
    if (deleted) {
        RedisModule_Replicate(hd->ctx, "HDEL", "sc", key, field);
        notifyHash(hd, "hdel", key);
        notifyIfDeleted(hd, k, key);
    }
    RedisModule_CloseKey(k);
}

/* One key open for the read and the write. */
long long fxHashIncr(Hd *hd, RedisModuleString *key, const char *field, long long delta) {
    long long v = 0;
    RedisModuleString *cur = NULL;
    /* One field string for the read, the write and the replication (C field
     * names would make Redis build one for each). */
    RedisModuleString *f = RedisModule_CreateString(hd->ctx, field, strlen(field));
    RedisModuleKey *k = openWrite(hd, key);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH)
        RedisModule_HashGet(k, REDISMODULE_HASH_NONE, f, &cur, NULL);
    if (cur && RedisModule_StringToLongLong(cur, &v) != REDISMODULE_OK) v = 0;
    v += delta;
    RedisModuleString *nv = RedisModule_CreateStringFromLongLong(hd->ctx, v);
    RedisModule_HashSet(k, REDISMODULE_HASH_NONE, f, nv, NULL);
    RedisModule_CloseKey(k);
    RedisModule_Replicate(hd->ctx, "HSET", "sss", key, f, nv);
    notifyHash(hd, "hset", key);
    return v;
}

void fxHashIncrMany(Hd *hd, RedisModuleString *key, const char **fields,
                    const long long *deltas, int n) {
    RedisModuleString *fv[2 * FX_INCR_MAX];
    RedisModuleKey *k = openWrite(hd, key);
    if (n > FX_INCR_MAX) n = FX_INCR_MAX;
    for (int i = 0; i < n; i++) {
        long long v = 0;
        RedisModuleString *cur = NULL;
        /* One field string, used for the read, the write and the replica. */
        fv[2 * i] = RedisModule_CreateString(hd->ctx, fields[i], strlen(fields[i]));
        if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH)
            RedisModule_HashGet(k, REDISMODULE_HASH_NONE, fv[2 * i], &cur, NULL);
        if (cur && RedisModule_StringToLongLong(cur, &v) != REDISMODULE_OK) v = 0;
        fv[2 * i + 1] = RedisModule_CreateStringFromLongLong(hd->ctx, v + deltas[i]);
        RedisModule_HashSet(k, REDISMODULE_HASH_NONE, fv[2 * i], fv[2 * i + 1], NULL);
    }
    RedisModule_CloseKey(k);
    RedisModule_Replicate(hd->ctx, "HSET", "sv", key, fv, (size_t)(2 * n));
    notifyHash(hd, "hset", key);
}

/* Two integer fields of one hash moved at once (an agent's load and
 * assigned_total, two D:stats counters): one key open, one HSET replicated. */
void fxHashIncrPair(Hd *hd, RedisModuleString *key, const char *f1, long long d1,
                    const char *f2, long long d2) {
    const char *fields[2] = { f1, f2 };
    long long deltas[2] = { d1, d2 };
    fxHashIncrMany(hd, key, fields, deltas, 2);
}

/* Scores are written with %.17g so the replica parses the exact double. */
void fxZAdd(Hd *hd, RedisModuleString *key, double score, RedisModuleString *member) {
    char buf[64];
    int n;
    int flags = 0;
    RedisModuleKey *k = openWrite(hd, key);
    /* Callers validated the key's type and scores are never NaN: a failure
     * here would replicate a write that did not happen. */
    RedisModule_Assert(RedisModule_ZsetAdd(k, score, member, &flags) == REDISMODULE_OK);
    RedisModule_CloseKey(k);
    /* ZADD notifies only when it added or changed a score. */
    if (flags & (REDISMODULE_ZADD_ADDED | REDISMODULE_ZADD_UPDATED))
        notify(hd, REDISMODULE_NOTIFY_ZSET, "zadd", key);
    /* Every helpdesk score is an integer below 2^53: send it as one, which
     * is exact and avoids formatting a double. */
    if (score >= -9007199254740992.0 && score <= 9007199254740992.0 &&
        score == (double)(long long)score) {
        RedisModule_Replicate(hd->ctx, "ZADD", "sls", key, (long long)score, member);
        return;
    }
    n = snprintf(buf, sizeof(buf), "%.17g", score);
    RedisModule_Replicate(hd->ctx, "ZADD", "sbs", key, buf, (size_t)n, member);
}

void fxZRem(Hd *hd, RedisModuleString *key, RedisModuleString *member) {
    int deleted = 0;
    RedisModuleKey *k = openWrite(hd, key);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET)
        RedisModule_ZsetRem(k, member, &deleted);
    if (deleted) {
        RedisModule_Replicate(hd->ctx, "ZREM", "ss", key, member);
        notify(hd, REDISMODULE_NOTIFY_ZSET, "zrem", key);
        notifyIfDeleted(hd, k, key);
    }
    RedisModule_CloseKey(k);
}

void fxRPush(Hd *hd, RedisModuleString *key, RedisModuleString *ele) {
    RedisModuleKey *k = openWrite(hd, key);
    RedisModule_Assert(RedisModule_ListPush(k, REDISMODULE_LIST_TAIL, ele) == REDISMODULE_OK);
    RedisModule_CloseKey(k);
    RedisModule_Replicate(hd->ctx, "RPUSH", "ss", key, ele);
    notify(hd, REDISMODULE_NOTIFY_LIST, "rpush", key);
}

void fxSet(Hd *hd, RedisModuleString *key, RedisModuleString *val) {
    RedisModuleKey *k = openWrite(hd, key);
    RedisModule_Assert(RedisModule_StringSet(k, val) == REDISMODULE_OK);
    RedisModule_CloseKey(k);
    RedisModule_Replicate(hd->ctx, "SET", "ss", key, val);
    notify(hd, REDISMODULE_NOTIFY_STRING, "set", key);
}

long long fxIncr(Hd *hd, RedisModuleString *key) {
    long long v = 0;
    RedisModuleKey *k = openWrite(hd, key);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_STRING) {
        size_t len;
        const char *p = RedisModule_StringDMA(k, &len, REDISMODULE_READ);
        RedisModuleString *cur = RedisModule_CreateString(hd->ctx, p, len);
        if (RedisModule_StringToLongLong(cur, &v) != REDISMODULE_OK) v = 0;
    }
    v++;
    RedisModuleString *nv = RedisModule_CreateStringFromLongLong(hd->ctx, v);
    RedisModule_Assert(RedisModule_StringSet(k, nv) == REDISMODULE_OK);
    RedisModule_CloseKey(k);
    /* Replicated as SET of the value (exact even if the counter was edited
     * by hand), so the event is SET's on both sides. */
    RedisModule_Replicate(hd->ctx, "SET", "ss", key, nv);
    notify(hd, REDISMODULE_NOTIFY_STRING, "set", key);
    return v;
}

/* SADD/SREM raise their own events (sadd, srem, del) inside the call. */
void fxSAdd(Hd *hd, RedisModuleString *key, RedisModuleString *member) {
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, "SADD", "!ss", key, member);
    if (r) RedisModule_FreeCallReply(r);
    cmdWrites.wrote = 1;
}

void fxSRem(Hd *hd, RedisModuleString *key, RedisModuleString *member) {
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, "SREM", "!ss", key, member);
    if (r) RedisModule_FreeCallReply(r);
    cmdWrites.wrote = 1;
}

/* A command decided by its arguments alone (flood's ZREMRANGEBY* trims),
 * applied and replicated verbatim ("!") through RedisModule_Call, which also
 * raises the command's own keyspace events on master and replica alike. */
void fxCallVerbatim(Hd *hd, const char *cmd, RedisModuleString *key, const char *a,
                    const char *b) {
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, cmd, "!scc", key, a, b);
    if (r) RedisModule_FreeCallReply(r);
    cmdWrites.wrote = 1;
}

void fxDel(Hd *hd, RedisModuleString *key) {
    RedisModuleKey *k = openWrite(hd, key);
    int existed = RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_EMPTY;
    if (existed) RedisModule_UnlinkKey(k);
    RedisModule_CloseKey(k);
    if (existed) {
        RedisModule_Replicate(hd->ctx, "UNLINK", "s", key);
        notify(hd, REDISMODULE_NOTIFY_GENERIC, "del", key);
    }
}

void fxPExpireAt(Hd *hd, RedisModuleString *key, long long at_ms) {
    RedisModuleKey *k = openWrite(hd, key);
    int ok = RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_EMPTY &&
             RedisModule_SetAbsExpire(k, at_ms) == REDISMODULE_OK;
    RedisModule_CloseKey(k);
    if (ok) {
        RedisModule_Replicate(hd->ctx, "PEXPIREAT", "sl", key, at_ms);
        notify(hd, REDISMODULE_NOTIFY_GENERIC, "expire", key);
    }
}

void fxXAdd(Hd *hd, RedisModuleString *key, RedisModuleString **fv, int n,
            long long maxlen, RedisModuleStreamID *id_out) {
    RedisModuleStreamID id;
    char idbuf[48];
    int idlen;
    RedisModuleKey *k = openWrite(hd, key);

    if (RedisModule_StreamAdd(k, REDISMODULE_STREAM_ADD_AUTOID, &id, fv, n / 2)
        != REDISMODULE_OK) {
        RedisModule_CloseKey(k);
        return;
    }
    idlen = hdFormatStreamId(idbuf, &id);
    RedisModule_Replicate(hd->ctx, "XADD", "sbv", key, idbuf, (size_t)idlen, fv, (size_t)n);
    notify(hd, REDISMODULE_NOTIFY_STREAM, "xadd", key);
    /* Approximate trimming drops whole nodes; the replica is told the exact
     * length that remained, which does not depend on its node size config. */
    if (maxlen > 0 && (long long)RedisModule_ValueLength(k) > maxlen &&
        RedisModule_StreamTrimByLength(k, REDISMODULE_STREAM_TRIM_APPROX, maxlen) > 0) {
        long long left = (long long)RedisModule_ValueLength(k);
        RedisModule_Replicate(hd->ctx, "XTRIM", "scl", key, "MAXLEN", left);
        notify(hd, REDISMODULE_NOTIFY_STREAM, "xtrim", key);
    }
    RedisModule_CloseKey(k);
    if (id_out) *id_out = id;
}

void fxPublish(Hd *hd, RedisModuleString *channel, RedisModuleString *msg) {
    RedisModule_PublishMessage(hd->ctx, channel, msg);
}

/* ------------------------------------------------------------------------ */

RedisModuleString *hdHashGet(Hd *hd, RedisModuleString *key, const char *field) {
    RedisModuleString *v = NULL;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH)
        RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, field, &v, NULL);
    RedisModule_CloseKey(k);
    return v;
}

RedisModuleString *hdStringGet(Hd *hd, RedisModuleString *key, int *type) {
    RedisModuleString *v = NULL;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    int t = RedisModule_KeyType(k);
    if (t == REDISMODULE_KEYTYPE_STRING) {
        size_t len;
        const char *p = RedisModule_StringDMA(k, &len, REDISMODULE_READ);
        v = RedisModule_CreateString(hd->ctx, p, len);
    }
    RedisModule_CloseKey(k);
    if (type) *type = t;
    return v;
}

/* One SCAN batch (COUNT 1000) at a time. Desk names contain no glob
 * characters, so "<desk>:*" matches exactly the desk's keys. */
void hdDeskScan(Hd *hd, HdMemberFn fn, void *privdata) {
    char pattern[HD_DESK_MAX + 3], cursor[32] = "0";
    int plen = snprintf(pattern, sizeof(pattern), "%.*s:*", (int)hd->dlen, hd->dname);

    do {
        RedisModuleCallReply *r, *cur, *keys;
        size_t clen;
        const char *cp;

        r = RedisModule_Call(hd->ctx, "SCAN", "ccbcc", cursor, "MATCH", pattern,
                             (size_t)plen, "COUNT", "1000");
        if (!r || RedisModule_CallReplyType(r) != REDISMODULE_REPLY_ARRAY ||
            RedisModule_CallReplyLength(r) != 2) {
            if (r) RedisModule_FreeCallReply(r);
            return;
        }
        cur = RedisModule_CallReplyArrayElement(r, 0);
        keys = RedisModule_CallReplyArrayElement(r, 1);
        cp = RedisModule_CallReplyStringPtr(cur, &clen);
        if (!cp || clen == 0 || clen >= sizeof(cursor)) { cp = "0"; clen = 1; }
        memcpy(cursor, cp, clen);
        cursor[clen] = '\0';

        for (size_t i = 0; i < RedisModule_CallReplyLength(keys); i++) {
            size_t len;
            const char *name = RedisModule_CallReplyStringPtr(
                RedisModule_CallReplyArrayElement(keys, i), &len);
            if (name) fn(name, len, privdata);
        }
        RedisModule_FreeCallReply(r);
    } while (strcmp(cursor, "0") != 0);
}

int hdHashGetLL(Hd *hd, RedisModuleString *key, const char *field, long long *out) {
    RedisModuleString *v = hdHashGet(hd, key, field);
    if (!v || RedisModule_StringToLongLong(v, out) != REDISMODULE_OK) return 0;
    return 1;
}

int hdKeyExists(Hd *hd, RedisModuleString *key) {
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    int exists = RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_EMPTY;
    RedisModule_CloseKey(k);
    return exists;
}

int hdSIsMember(Hd *hd, RedisModuleString *key, RedisModuleString *member) {
    long long v = 0;
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, "SISMEMBER", "ss", key, member);
    if (r && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_INTEGER)
        v = RedisModule_CallReplyInteger(r);
    if (r) RedisModule_FreeCallReply(r);
    return v == 1;
}

/* Number of elements of a key of the given type; 0 when missing or other. */
static long long lengthOf(Hd *hd, RedisModuleString *key, int type) {
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    long long n = RedisModule_KeyType(k) == type ? (long long)RedisModule_ValueLength(k) : 0;
    RedisModule_CloseKey(k);
    return n;
}

long long hdSCard(Hd *hd, RedisModuleString *key) {
    return lengthOf(hd, key, REDISMODULE_KEYTYPE_SET);
}

long long hdZCard(Hd *hd, RedisModuleString *key) {
    return lengthOf(hd, key, REDISMODULE_KEYTYPE_ZSET);
}

int hdZScore(Hd *hd, RedisModuleString *key, RedisModuleString *member, double *score) {
    int found = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    *score = 0;
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET)
        found = RedisModule_ZsetScore(k, member, score) == REDISMODULE_OK;
    RedisModule_CloseKey(k);
    return found;
}

/* Set members without RedisModule_Call (sets have no low-level read API, but
 * ScanKey walks them without building a reply). */
typedef struct SetWalk { HdMemberFn fn; void *privdata; } SetWalk;

static void setWalkOne(RedisModuleKey *key, RedisModuleString *member,
                       RedisModuleString *value, void *privdata) {
    SetWalk *w = privdata;
    size_t len;
    const char *s = RedisModule_StringPtrLen(member, &len);
    w->fn(s, len, w->privdata);
}

void hdSetForEach(Hd *hd, RedisModuleString *key, HdMemberFn fn, void *privdata) {
    SetWalk w = { fn, privdata };
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_SET) {
        RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
        while (RedisModule_ScanKey(k, cur, setWalkOne, &w));
        RedisModule_ScanCursorDestroy(cur);
    }
    RedisModule_CloseKey(k);
}
