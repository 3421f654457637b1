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

/* Every write the module makes to a key through its handle passes here (the
 * RM_Call ones signal inside the command they run). The module turned the
 * implicit signal of closing a WRITE key off (module.c): a command's keys
 * are opened READ|WRITE by its type checks, and a command that failed after
 * them must not abort a WATCH of a key it only looked at. */
static void notify(Hd *hd, int type, const char *event, RedisModuleString *key) {
    size_t n;
    cmdWrites.wrote = 1;
    RedisModule_SignalModifiedKey(hd->ctx, key);
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

/* ------------------------------------------------------------------------ */
/* Replication nothing receives is not built.
 *
 * RedisModule_Replicate looks the command name up and builds its argv (about
 * 3k instructions), then Redis drops it unless AOF is on or this is a master
 * with replicas or a replication backlog (shouldPropagate in server.c, the
 * same in Valkey 8). A flag records that propagation may be received; while
 * it is clear and AOF is off, effects are applied and not replicated. It is
 * set, and kept until restart, by whatever can make Redis propagate:
 *  - AOF on (checked at every effect: CONFIG SET appendonly yes sets
 *    aof_state to WAIT_REWRITE, which already propagates);
 *  - a SYNC or PSYNC command (the command filter), before syncCommand adds
 *    the replica and creates the backlog; Valkey's dual-channel sync sends
 *    SYNC too;
 *  - any replication role change (REPLICAOF, FAILOVER, cluster failover):
 *    a replica keeps its backlog, so a promoted one propagates;
 *  - at load and again at the first write: a replica, replicas, or a
 *    backlog. The second look is needed because a master restarted from an
 *    RDB with replication info gets its backlog in loadDataFromDisk, after
 *    modules load.
 * Nothing else creates a backlog or adds a replica (Redis 7.0, Valkey 8.0:
 * syncCommand, a replica's sync and PSYNC, loadDataFromDisk). Every effect
 * still moves server.dirty by one, as RedisModule_Replicate did, for save
 * points and rdb_changes_since_last_save. */

static RedisModuleCommandFilter *syncFilter;
static int firstWriteLooked;

static int nameIs(const char *s, size_t len, const char *lower) {
    size_t i;
    for (i = 0; i < len && lower[i]; i++)
        if ((s[i] | 0x20) != lower[i]) return 0;
    return i == len && !lower[i];
}

/* Runs before every command of every client; only reads argv[0]. */
static void watchSync(RedisModuleCommandFilterCtx *fctx) {
    const RedisModuleString *a;
    const char *s;
    size_t len;
    if (hdg.replication_listening || !(a = RedisModule_CommandFilterArgGet(fctx, 0))) return;
    s = RedisModule_StringPtrLen(a, &len);
    if (nameIs(s, len, "sync") || nameIs(s, len, "psync")) hdg.replication_listening = 1;
}

static void onRoleChange(RedisModuleCtx *ctx, RedisModuleEvent e, uint64_t sub, void *data) {
    hdg.replication_listening = 1;
}

/* A replica, a replica attached or a replication backlog; also when INFO
 * can't tell. */
static int serverReplicates(RedisModuleCtx *ctx) {
    RedisModuleServerInfoData *info = RedisModule_GetServerInfo(ctx, "replication");
    const char *role;
    int err1 = 0, err2 = 0, yes;
    long long replicas, backlog;
    if (!info) return 1;
    role = RedisModule_ServerInfoGetFieldC(info, "role");
    replicas = RedisModule_ServerInfoGetFieldSigned(info, "connected_slaves", &err1);
    backlog = RedisModule_ServerInfoGetFieldSigned(info, "repl_backlog_active", &err2);
    yes = !role || strcmp(role, "master") != 0 || err1 || err2 || replicas || backlog;
    RedisModule_FreeServerInfo(ctx, info);
    return yes;
}

/* The servers whose propagation rules the list above was read from: Redis
 * 7.0 and Valkey 8.0. Elsewhere (Redis 7.2, Redis 8, a later Valkey) a new
 * way to a backlog could exist, so effects always replicate there. */
static int propagationRulesKnown(RedisModuleCtx *ctx) {
    int minor = RedisModule_GetServerVersion() >> 8, valkey = 0;
    RedisModuleServerInfoData *info;
    const char *name;
    if (minor == 0x0700) return 1;
    if (minor != 0x0800 || !(info = RedisModule_GetServerInfo(ctx, "server"))) return 0;
    name = RedisModule_ServerInfoGetFieldC(info, "server_name");
    valkey = name && strcmp(name, "valkey") == 0;
    RedisModule_FreeServerInfo(ctx, info);
    return valkey;
}

/* ------------------------------------------------------------------------ */
/* The keyspace subscriber                                                  */
/* ------------------------------------------------------------------------ */

#define KS_HOOKS_MAX 8
static struct { int mask; HdKeyspaceFn fn; } ksHooks[KS_HOOKS_MAX];
static int nksHooks, ksMask;

void hdKeyspaceHook(int mask, HdKeyspaceFn fn) {
    RedisModule_Assert(nksHooks < KS_HOOKS_MAX);
    ksHooks[nksHooks].mask = mask;
    ksHooks[nksHooks++].fn = fn;
    ksMask |= mask;
}

static int onKeyspace(RedisModuleCtx *ctx, int type, const char *event,
                      RedisModuleString *key) {
    for (int i = 0; i < nksHooks; i++)
        if (ksHooks[i].mask & type) ksHooks[i].fn(ctx, type, event, key);
    return REDISMODULE_OK;
}

void hdKeyspaceStart(RedisModuleCtx *ctx) {
    if (ksMask) RedisModule_SubscribeToKeyspaceEvents(ctx, ksMask, onKeyspace);
}

#define SE_HOOKS_MAX 16
static struct { uint64_t id; RedisModuleEventCallback fn; } seHooks[SE_HOOKS_MAX];
static int nseHooks;

static void onServerEvent(RedisModuleCtx *ctx, RedisModuleEvent e, uint64_t sub, void *data) {
    for (int i = 0; i < nseHooks; i++)
        if (seHooks[i].id == e.id) seHooks[i].fn(ctx, e, sub, data);
}

int hdServerEventHook(RedisModuleCtx *ctx, RedisModuleEvent e, RedisModuleEventCallback fn) {
    int subscribed = 0;
    for (int i = 0; i < nseHooks; i++) if (seHooks[i].id == e.id) subscribed = 1;
    if (nseHooks == SE_HOOKS_MAX ||
        (!subscribed && RedisModule_SubscribeToServerEvent(ctx, e, onServerEvent) != REDISMODULE_OK))
        return REDISMODULE_ERR;
    seHooks[nseHooks].id = e.id;
    seHooks[nseHooks++].fn = fn;
    return REDISMODULE_OK;
}

void fxReplicationInit(RedisModuleCtx *ctx) {
    if (!propagationRulesKnown(ctx) || serverReplicates(ctx)) {
        hdg.replication_listening = 1;
        return;
    }
    hdServerEventHook(ctx, RedisModuleEvent_ReplicationRoleChanged,
                                       onRoleChange);
    syncFilter = RedisModule_RegisterCommandFilter(ctx, watchSync,
                                                   REDISMODULE_CMDFILTER_NOSELF);
}

/* 1 when the effect must be replicated. Otherwise moves server.dirty by one,
 * as the replication would have, and returns 0.
 *
 * RedisModule_ReplicateVerbatim is the dirty++: it builds nothing and Redis
 * drops it for the same reason it would drop the effect (the flag is clear,
 * so shouldPropagate is false), at about 30 instructions. An "A"+"R"
 * RedisModule_Replicate, which can never propagate, still looks a command
 * up and builds its argv: measured at about 1.9k instructions per effect,
 * three quarters of what skipping saves. Were the flag ever wrong, the
 * effects would be missing either way; with this the command itself also
 * reaches the stream, where a replica without the module reports it. */
int fxListening(Hd *hd) {
    if (!hdg.replication_listening) {
        int flags = RedisModule_GetContextFlags(hd->ctx);
        if (flags & (REDISMODULE_CTX_FLAGS_AOF | REDISMODULE_CTX_FLAGS_SLAVE))
            hdg.replication_listening = 1;
        else if (!firstWriteLooked) {
            firstWriteLooked = 1;
            if (serverReplicates(hd->ctx)) hdg.replication_listening = 1;
        }
    }
    if (hdg.replication_listening) {
        /* The filter has nothing left to watch for. */
        if (syncFilter) RedisModule_UnregisterCommandFilter(hd->ctx, syncFilter);
        syncFilter = NULL;
        return 1;
    }
    return 0;
}

int fxWrote(void) { return cmdWrites.wrote; }

/* A hot command in commands mode replicates itself once at its end, and a
 * replay of it replicates nothing more (replay.c). */
static int replicated(Hd *hd) {
    if (hdReplayActive()) return 0;
    if (fxListening(hd)) return 1;
    RedisModule_ReplicateVerbatim(hd->ctx);
    hdg.effects_unreplicated++;
    return 0;
}

static int sameKey(RedisModuleString *a, RedisModuleString *b) {
    size_t la, lb;
    const char *pa = RedisModule_StringPtrLen(a, &la), *pb = RedisModule_StringPtrLen(b, &lb);
    return la == lb && !memcmp(pa, pb, la);
}

/* Every write of the module to a key passes here first: a kept read of
 * that key is stale from now on. */
static void forgetRead(Hd *hd, RedisModuleString *key) {
    if (hd->memo_on && hd->hash_read && (hd->hash_read->key == key ||
                                         sameKey(hd->hash_read->key, key)))
        hd->hash_read = NULL;
}

/* The command's handle of key (keys.c), the one its type check opened. */
static RedisModuleKey *openWrite(Hd *hd, RedisModuleString *key) {
    forgetRead(hd, key);
    return hdKeyOpen(hd, key);
}

void fxHashSet(Hd *hd, RedisModuleString *key, RedisModuleString **fv, int n) {
    RedisModuleKey *k = openWrite(hd, key);
    for (int i = 0; i + 1 < n; i += 2)
        RedisModule_HashSet(k, REDISMODULE_HASH_NONE, fv[i], fv[i + 1], NULL);
    hdKeyRelease(hd, k);
    if (replicated(hd))
        RedisModule_Replicate(hd->ctx, "HSET", "sv", key, fv, (size_t)n);
    notifyHash(hd, "hset", key);
}

void fxHashSetC(Hd *hd, RedisModuleString *key, const char *field, RedisModuleString *val) {
    RedisModuleKey *k = openWrite(hd, key);
    RedisModule_HashSet(k, REDISMODULE_HASH_CFIELDS, field, val, NULL);
    hdKeyRelease(hd, k);
    if (replicated(hd))
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
        if (replicated(hd))
            RedisModule_Replicate(hd->ctx, "HDEL", "sc", key, field);
        notifyHash(hd, "hdel", key);
        notifyIfDeleted(hd, k, key);
    }
    hdKeyRelease(hd, k);
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
    hdKeyRelease(hd, k);
    if (replicated(hd))
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
    hdKeyRelease(hd, k);
    if (replicated(hd))
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
    hdKeyRelease(hd, k);
    /* ZADD notifies only when it added or changed a score. */
    if (flags & (REDISMODULE_ZADD_ADDED | REDISMODULE_ZADD_UPDATED))
        notify(hd, REDISMODULE_NOTIFY_ZSET, "zadd", key);
    /* Every helpdesk score is an integer below 2^53: send it as one, which
     * is exact and avoids formatting a double. */
    if (score >= -9007199254740992.0 && score <= 9007199254740992.0 &&
        score == (double)(long long)score) {
        if (replicated(hd))
            RedisModule_Replicate(hd->ctx, "ZADD", "sls", key, (long long)score, member);
        return;
    }
    n = snprintf(buf, sizeof(buf), "%.17g", score);
    if (replicated(hd))
        RedisModule_Replicate(hd->ctx, "ZADD", "sbs", key, buf, (size_t)n, member);
}

void fxZRem(Hd *hd, RedisModuleString *key, RedisModuleString *member) {
    int deleted = 0;
    RedisModuleKey *k = openWrite(hd, key);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET)
        RedisModule_ZsetRem(k, member, &deleted);
    if (deleted) {
        if (replicated(hd))
            RedisModule_Replicate(hd->ctx, "ZREM", "ss", key, member);
        notify(hd, REDISMODULE_NOTIFY_ZSET, "zrem", key);
        notifyIfDeleted(hd, k, key);
    }
    hdKeyRelease(hd, k);
}

void fxRPush(Hd *hd, RedisModuleString *key, RedisModuleString *ele) {
    RedisModuleKey *k = openWrite(hd, key);
    RedisModule_Assert(RedisModule_ListPush(k, REDISMODULE_LIST_TAIL, ele) == REDISMODULE_OK);
    hdKeyRelease(hd, k);
    if (replicated(hd))
        RedisModule_Replicate(hd->ctx, "RPUSH", "ss", key, ele);
    notify(hd, REDISMODULE_NOTIFY_LIST, "rpush", key);
}

void fxSet(Hd *hd, RedisModuleString *key, RedisModuleString *val) {
    RedisModuleKey *k = openWrite(hd, key);
    RedisModule_Assert(RedisModule_StringSet(k, val) == REDISMODULE_OK);
    hdKeyRelease(hd, k);
    if (replicated(hd))
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
    hdKeyRelease(hd, k);
    /* Replicated as SET of the value (exact even if the counter was edited
     * by hand), so the event is SET's on both sides. */
    if (replicated(hd))
        RedisModule_Replicate(hd->ctx, "SET", "ss", key, nv);
    notify(hd, REDISMODULE_NOTIFY_STRING, "set", key);
    return v;
}

/* SADD/SREM raise their own events (sadd, srem, del) inside the call; a
 * kept handle of the key is closed first (the call may create or delete
 * the key behind it). */
void fxSAdd(Hd *hd, RedisModuleString *key, RedisModuleString *member) {
    forgetRead(hd, key);
    hdKeyForget(hd, key);
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, "SADD", hdReplayActive() ? "ss" : "!ss", key, member);
    if (r) RedisModule_FreeCallReply(r);
    cmdWrites.wrote = 1;
}

void fxSRem(Hd *hd, RedisModuleString *key, RedisModuleString *member) {
    forgetRead(hd, key);
    hdKeyForget(hd, key);
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, "SREM", hdReplayActive() ? "ss" : "!ss", key, member);
    if (r) RedisModule_FreeCallReply(r);
    cmdWrites.wrote = 1;
}

/* A command decided by its arguments alone (flood's ZREMRANGEBY* trims),
 * applied and replicated verbatim ("!") through RedisModule_Call, which also
 * raises the command's own keyspace events on master and replica alike. */
void fxCallVerbatim(Hd *hd, const char *cmd, RedisModuleString *key, const char *a,
                    const char *b) {
    forgetRead(hd, key);
    hdKeyForget(hd, key);
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, cmd, hdReplayActive() ? "scc" : "!scc", key, a, b);
    if (r) RedisModule_FreeCallReply(r);
    cmdWrites.wrote = 1;
}

void fxDel(Hd *hd, RedisModuleString *key) {
    RedisModuleKey *k = openWrite(hd, key);
    int existed = RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_EMPTY;
    if (existed) RedisModule_UnlinkKey(k);
    hdKeyRelease(hd, k);
    if (existed) {
        if (replicated(hd))
            RedisModule_Replicate(hd->ctx, "UNLINK", "s", key);
        notify(hd, REDISMODULE_NOTIFY_GENERIC, "del", key);
    }
}

void fxPExpireAt(Hd *hd, RedisModuleString *key, long long at_ms) {
    RedisModuleKey *k = openWrite(hd, key);
    int ok = RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_EMPTY &&
             RedisModule_SetAbsExpire(k, at_ms) == REDISMODULE_OK;
    hdKeyRelease(hd, k);
    /* An expiry already past deletes the key at its next lookup, behind
     * the kept handle's back. */
    hdKeyForget(hd, key);
    if (ok) {
        if (replicated(hd))
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

    /* A replay adds the id the master's XADD chose (replay.c). */
    int replayed = hdReplayTakeStreamId(&id);
    if (RedisModule_StreamAdd(k, replayed ? 0 : REDISMODULE_STREAM_ADD_AUTOID, &id, fv, n / 2)
        != REDISMODULE_OK) {
        hdKeyRelease(hd, k);
        return;
    }
    hdReplayNoteStreamId(&id);
    idlen = hdFormatStreamId(idbuf, &id);
    if (replicated(hd))
        RedisModule_Replicate(hd->ctx, "XADD", "sbv", key, idbuf, (size_t)idlen, fv, (size_t)n);
    notify(hd, REDISMODULE_NOTIFY_STREAM, "xadd", key);
    /* Approximate trimming drops whole nodes; the replica is told the exact
     * length that remained, which does not depend on its node size config. */
    long long left;
    if (hdReplayTakeTrim(&left)) {
        RedisModule_StreamTrimByLength(k, 0, left);     /* exactly as the master left it */
        notify(hd, REDISMODULE_NOTIFY_STREAM, "xtrim", key);
    } else if (maxlen > 0 && (long long)RedisModule_ValueLength(k) > maxlen &&
        RedisModule_StreamTrimByLength(k, REDISMODULE_STREAM_TRIM_APPROX, maxlen) > 0) {
        left = (long long)RedisModule_ValueLength(k);
        hdReplayNoteTrim(left);
        if (replicated(hd))
            RedisModule_Replicate(hd->ctx, "XTRIM", "scl", key, "MAXLEN", left);
        notify(hd, REDISMODULE_NOTIFY_STREAM, "xtrim", key);
    }
    hdKeyRelease(hd, k);
    if (id_out) *id_out = id;
}

void fxPublish(Hd *hd, RedisModuleString *channel, RedisModuleString *msg) {
    RedisModule_PublishMessage(hd->ctx, channel, msg);
}

/* ------------------------------------------------------------------------ */

typedef struct HashReadWalk { Hd *hd; HdHashRead *r; } HashReadWalk;

static void hashReadOne(RedisModuleKey *key, RedisModuleString *field,
                        RedisModuleString *value, void *privdata) {
    HashReadWalk *w = privdata;
    HdHashRead *r = w->r;
    if (r->n == HD_HASH_READ_MAX) { r->truncated = 1; return; }
    /* ScanKey's strings end with the callback: the read keeps its own
     * references, released with the context (auto memory). */
    r->f[r->n] = RedisModule_HoldString(w->hd->ctx, field);
    r->v[r->n++] = RedisModule_HoldString(w->hd->ctx, value);
}

const HdHashRead *hdHashReadKept(Hd *hd, RedisModuleString *key) {
    if (hd->memo_on && hd->hash_read &&
        (hd->hash_read->key == key || sameKey(hd->hash_read->key, key)))
        return hd->hash_read;
    return NULL;
}

const HdHashRead *hdHashRead(Hd *hd, RedisModuleString *key) {
    const HdHashRead *kept = hdHashReadKept(hd, key);
    if (kept || !hd->memo_on) return kept;
    /* Pool memory: freed with the context, like the references. */
    HdHashRead *r = RedisModule_PoolAlloc(hd->ctx, sizeof(*r));
    HashReadWalk w = { hd, r };
    r->key = RedisModule_HoldString(hd->ctx, key);
    r->n = r->truncated = 0;
    RedisModuleKey *k = hdKeyOpen(hd, key);
    r->type = RedisModule_KeyType(k);
    if (r->type == REDISMODULE_KEYTYPE_HASH) {
        RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
        while (RedisModule_ScanKey(k, cur, hashReadOne, &w));
        RedisModule_ScanCursorDestroy(cur);
    }
    hdKeyRelease(hd, k);
    hd->hash_read = r;
    return r;
}

RedisModuleString *hdHashReadField(Hd *hd, const HdHashRead *r, const char *f, size_t flen) {
    for (int i = 0; i < r->n; i++) {
        size_t len;
        const char *s = RedisModule_StringPtrLen(r->f[i], &len);
        if (len == flen && !memcmp(s, f, len)) return RedisModule_HoldString(hd->ctx, r->v[i]);
    }
    return r->truncated ? hdHashGet(hd, r->key, f) : NULL;
}

RedisModuleString *hdHashGet(Hd *hd, RedisModuleString *key, const char *field) {
    RedisModuleString *v = NULL;
    RedisModuleKey *k = hdKeyOpen(hd, key);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH)
        RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, field, &v, NULL);
    hdKeyRelease(hd, k);
    return v;
}

RedisModuleString *hdStringGet(Hd *hd, RedisModuleString *key, int *type) {
    RedisModuleString *v = NULL;
    RedisModuleKey *k = hdKeyOpen(hd, key);
    int t = RedisModule_KeyType(k);
    if (t == REDISMODULE_KEYTYPE_STRING) {
        size_t len;
        const char *p = RedisModule_StringDMA(k, &len, REDISMODULE_READ);
        v = RedisModule_CreateString(hd->ctx, p, len);
    }
    hdKeyRelease(hd, k);
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
    RedisModuleKey *k = hdKeyOpen(hd, key);
    int exists = RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_EMPTY;
    hdKeyRelease(hd, k);
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
    RedisModuleKey *k = hdKeyOpen(hd, key);
    long long n = RedisModule_KeyType(k) == type ? (long long)RedisModule_ValueLength(k) : 0;
    hdKeyRelease(hd, k);
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
    RedisModuleKey *k = hdKeyOpen(hd, key);
    *score = 0;
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET)
        found = RedisModule_ZsetScore(k, member, score) == REDISMODULE_OK;
    hdKeyRelease(hd, k);
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

/* ------------------------------------------------------------------------ */
/* Several values in one effect (issue 15)                                   */
/* ------------------------------------------------------------------------ */

/* The entries a command gathered for one list (report.c's batch), pushed in
 * order as one RPUSH: one key open, one replicated command, and one "rpush"
 * event, as RPUSH with several elements raises. */
void fxRPushMany(Hd *hd, RedisModuleString *key, RedisModuleString **eles, int n) {
    RedisModuleKey *k;
    if (n <= 0) return;
    k = openWrite(hd, key);
    for (int i = 0; i < n; i++)
        RedisModule_Assert(RedisModule_ListPush(k, REDISMODULE_LIST_TAIL, eles[i]) ==
                           REDISMODULE_OK);
    hdKeyRelease(hd, k);
    if (replicated(hd))
        RedisModule_Replicate(hd->ctx, "RPUSH", "sv", key, eles, (size_t)n);
    notify(hd, REDISMODULE_NOTIFY_LIST, "rpush", key);
}

/* Keeps a copy of keys honest (the kept desk settings, the model cache, the
 * kept report counters): fn gets every event that can change a hash in
 * place or replace or remove a whole key (HD_KEPT_EVENTS), reset every
 * flush, SWAPDB and load (RDB, AOF, a replica's sync, diskless async load).
 * Other classes are left out: each event the module's own writes raise
 * costs a subscriber context, and another type can only reach such a key by
 * replacing it (SET, SUNIONSTORE, ...), which the copy's users catch by
 * looking at the key's type, and only a deletion or a whole-key write makes
 * it a hash again. */
void hdKeptHooks(RedisModuleCtx *ctx, HdKeyspaceFn fn, RedisModuleEventCallback reset) {
    hdKeyspaceHook(HD_KEPT_EVENTS, fn);
    hdServerEventHook(ctx, RedisModuleEvent_FlushDB, reset);
    hdServerEventHook(ctx, RedisModuleEvent_SwapDB, reset);
    hdServerEventHook(ctx, RedisModuleEvent_Loading, reset);
    hdServerEventHook(ctx, RedisModuleEvent_ReplAsyncLoad, reset);
}

/* ------------------------------------------------------------------------ */
/* Session 7 (issue 15, NEXT/CLAIM): a read its reader keeps current         */
/* ------------------------------------------------------------------------ */

/* r is a whole read of r->key that its reader (record.c's ticket read) has
 * just brought up to date with a write of its own, which forgot it (every
 * write does, forgetRead). Keeping it again lets the reader tell later,
 * with hdHashReadKept, that nothing else has written the key since, and
 * lets other readers of the key use it. */
void hdHashReadAdopt(Hd *hd, HdHashRead *r) {
    if (hd->memo_on) hd->hash_read = r;
}
