/* floodwin.c -- the flood window D:flood:recent and its copy in memory,
 * behind the small interface of hd_floodwin.h (flood.c's incidents are the
 * only user).
 *
 * Key (the module's own):
 *   D:flood:recent  ZSET  "<tid>:<sketch hex>" scored by created_at: the
 *                         tickets of the last flood-window seconds not
 *                         merged yet; at most FLOOD_RECENT_MAX
 *
 * The copy is kept in step with the key through keyspace and server-event
 * subscriptions (see "The window in memory" below). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpdesk.h"
#include "hd_floodwin.h"

#define FLOOD_RECENT_MAX 1000   /* tickets kept (and compared) per window */

/* ------------------------------------------------------------------------ */
/* The window in memory                                                      */
/* ------------------------------------------------------------------------ */

/* Comparing a new ticket with each member of D:flood:recent would decode and
 * compare up to FLOOD_RECENT_MAX sketches per create. Instead the module
 * keeps, per (db, desk), a copy of the window in memory: the members in zset
 * order with their sketches decoded, and an inverted index from each hash
 * value (and each ticket id) to the members holding it.
 *
 * Finding every alike member, exactly. Alike sketches A and B share at
 * least ceil(nA/2) hashes (the first min(k, |A u B|) >= nA hashes of their
 * union are at least half shared), so an alike member holds at least one of
 * any floor(nA/2)+1 hashes of A. The query takes the floor(nA/2)+1 hashes of
 * A with the shortest lists, counts for each member found how many of them
 * it holds, and runs sketchAlike only on members whose count shows they can
 * still share what alikeness needs (alikeNeed). Cost: the lengths of the
 * rarest half of A's lists plus a few exact comparisons, not O(window).
 *
 * The copy is only a speed-up and must equal the key whenever it is used:
 *   - this file mirrors its own writes of D:flood:recent into it;
 *   - keyspace events on a "<desk>:flood:recent" key (any command, expiry,
 *     eviction, RESTORE, keys loaded from an RDB: DEBUG RELOAD, restarts,
 *     replicas' full syncs), FLUSHDB/FLUSHALL and SWAPDB drop it;
 *   - before each use its size is compared with ZCARD, which catches module
 *     writes that fire no event (DESK.PURGE's UNLINK).
 * A dropped copy is rebuilt from the key on the next create: O(window).
 * Other files must not write D:flood:recent, except to delete it (which the
 * size check sees). */

typedef struct RecentEntry RecentEntry;

/* The members holding one value (a hash, or a ticket id): open addressing
 * with linear probing; a list of one member is kept inline. */
typedef struct Posting {
    uint64_t key;
    uint32_t len, cap;              /* len 0: free slot; cap 1: inline */
    union { RecentEntry *one; RecentEntry **many; } u;
} Posting;

typedef struct PostTab {
    Posting *slots;
    uint32_t size, used;            /* size 0 or a power of two >= 16 */
    int bits;
} PostTab;

struct RecentEntry {
    RecentEntry *prev, *next;       /* zset order: score, then member bytes */
    double score;
    long long tid;                  /* the "<tid>:" prefix, else 0 */
    int n;                          /* hashes; -1: not a sketch this file wrote */
    uint32_t tidpos;                /* index in the tid's list */
    uint64_t stamp;                 /* the last query that counted it ... */
    int hits, need;                 /* ... its count and the count to verify at */
    uint32_t *h, *pos;              /* n ascending hashes; index in each one's list */
    size_t mlen;
    char *member;
};

typedef struct RecentCache {
    RecentEntry *head, *tail;
    long long count;                /* members; ZCARD while in step */
    PostTab byHash, byTid;
    uint64_t stamp;
    int stale;                      /* drop at the next use */
} RecentCache;

#define RECENT_NAME_MAX (24 + HD_DESK_MAX)

static RedisModuleDict *recentCaches;   /* "<db>:<desk>" -> RecentCache* */
static int recentUnwatched;             /* a subscription failed: no copy outlives a create */
static RecentCache *recentInUse;        /* held by the running create: not freed */
static int recentTrimming;              /* our own ZREMRANGEBY* is running */
/* Our own ZADD or ZREM of one member is running, which the caller mirrors
 * into the copy: its event must not drop the copy, or every create would
 * find it stale and rebuild it from the key (decoding the whole window, about
 * 5 ms at 1000 members, where a create with the copy costs tens of µs). */
static int recentMirroring;

static uint32_t ptHome(const PostTab *t, uint64_t key) {
    return (uint32_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - t->bits));
}

static RecentEntry **ptItems(Posting *p) {
    return p->cap == 1 ? &p->u.one : p->u.many;
}

static Posting *ptFind(const PostTab *t, uint64_t key) {
    if (!t->size) return NULL;
    for (uint32_t i = ptHome(t, key);; i = (i + 1) & (t->size - 1)) {
        Posting *p = &t->slots[i];
        if (!p->len) return NULL;
        if (p->key == key) return p;
    }
}

static void ptResize(PostTab *t, int bits) {
    Posting *old = t->slots;
    uint32_t oldsize = t->size;

    t->bits = bits;
    t->size = 1u << bits;
    t->slots = RedisModule_Calloc(t->size, sizeof(Posting));
    for (uint32_t i = 0; i < oldsize; i++) {
        if (!old[i].len) continue;
        uint32_t j = ptHome(t, old[i].key);
        while (t->slots[j].len) j = (j + 1) & (t->size - 1);
        t->slots[j] = old[i];
    }
    if (old) RedisModule_Free(old);
}

/* Appends e to key's list; returns its index there. */
static uint32_t ptAdd(PostTab *t, uint64_t key, RecentEntry *e) {
    Posting *p;

    if ((t->used + 1) * 2 > t->size) ptResize(t, t->size ? t->bits + 1 : 4);
    for (uint32_t i = ptHome(t, key);; i = (i + 1) & (t->size - 1)) {
        p = &t->slots[i];
        if (!p->len) {
            p->key = key;
            p->len = p->cap = 1;
            p->u.one = e;
            t->used++;
            return 0;
        }
        if (p->key == key) break;
    }
    if (p->len == p->cap) {
        uint32_t cap = p->cap == 1 ? 4 : p->cap * 2;
        if (p->cap == 1) {
            RecentEntry **many = RedisModule_Alloc(cap * sizeof(*many));
            many[0] = p->u.one;
            p->u.many = many;
        } else {
            p->u.many = RedisModule_Realloc(p->u.many, cap * sizeof(*p->u.many));
        }
        p->cap = cap;
    }
    p->u.many[p->len] = e;
    return p->len++;
}

/* Empties slot i, shifting back the slots probed past it. */
static void ptDeleteSlot(PostTab *t, uint32_t i) {
    uint32_t mask = t->size - 1;
    for (uint32_t j = (i + 1) & mask; t->slots[j].len; j = (j + 1) & mask) {
        uint32_t home = ptHome(t, t->slots[j].key);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i].len = 0;
    t->used--;
}

/* Takes the item at idx out of p's list (the last item fills the hole) and
 * returns the entry that moved to idx, if any. */
static RecentEntry *ptRemove(PostTab *t, Posting *p, uint32_t idx) {
    RecentEntry **it = ptItems(p), *moved = NULL;

    p->len--;
    if (idx != p->len) moved = it[idx] = it[p->len];
    if (!p->len) {
        if (p->cap > 1) RedisModule_Free(p->u.many);
        ptDeleteSlot(t, (uint32_t)(p - t->slots));
        if (t->size > 64 && t->used * 8 < t->size) ptResize(t, t->bits - 1);
    } else if (p->cap > 16 && p->len * 4 <= p->cap) {
        p->cap /= 2;
        p->u.many = RedisModule_Realloc(p->u.many, p->cap * sizeof(*p->u.many));
    }
    return moved;
}

static void ptFree(PostTab *t) {
    for (uint32_t i = 0; i < t->size; i++)
        if (t->slots[i].len && t->slots[i].cap > 1) RedisModule_Free(t->slots[i].u.many);
    if (t->slots) RedisModule_Free(t->slots);
    memset(t, 0, sizeof(*t));
}

/* "<tid>:" at the start of a member: sets *tid and returns the length of the
 * prefix, else 0. */
static size_t recentTid(const char *s, size_t len, long long *tid) {
    size_t i = 0;
    long long v = 0;
    while (i < len && i < 18 && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    if (i == 0 || i >= len || s[i] != ':' || v <= 0) return 0;
    *tid = v;
    return i + 1;
}

/* A member "<tid>:<sketch hex>" (anything else is kept, for the order and the
 * count, but never compared). known: its sketch, already decoded. */
static RecentEntry *entryNew(const char *s, size_t len, double score, const Sketch *known) {
    Sketch sk;
    long long tid = 0;
    size_t off = recentTid(s, len, &tid);
    if (off && !known && sketchFromHex(s + off, len - off, &sk)) known = &sk;
    size_t nh = off && known ? (size_t)known->n : 0;
    RecentEntry *e = RedisModule_Alloc(sizeof(*e) + nh * 2 * sizeof(uint32_t) + len);

    memset(e, 0, sizeof(*e));
    e->score = score;
    e->tid = off ? tid : 0;
    e->n = off && known ? known->n : -1;
    e->h = (uint32_t *)(e + 1);
    e->pos = e->h + nh;
    e->member = (char *)(e->pos + nh);
    e->mlen = len;
    if (nh) memcpy(e->h, known->h, nh * sizeof(uint32_t));
    memcpy(e->member, s, len);
    return e;
}

/* Redis orders a zset by score, then by member bytes. */
static int entryCmp(const RecentEntry *a, const RecentEntry *b) {
    if (a->score != b->score) return a->score < b->score ? -1 : 1;
    size_t n = a->mlen < b->mlen ? a->mlen : b->mlen;
    int c = n ? memcmp(a->member, b->member, n) : 0;
    if (c) return c;
    return a->mlen < b->mlen ? -1 : a->mlen > b->mlen;
}

static int entryCmpQsort(const void *a, const void *b) {
    return entryCmp(*(RecentEntry *const *)a, *(RecentEntry *const *)b);
}

/* Index of hash v in e's ascending hashes (v is one of them). */
static int entryHashAt(const RecentEntry *e, uint32_t v) {
    int lo = 0, hi = e->n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (e->h[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Links e after `at` (NULL: first) and indexes it. */
static void cacheLink(RecentCache *c, RecentEntry *at, RecentEntry *e) {
    e->prev = at;
    e->next = at ? at->next : c->head;
    if (e->next) e->next->prev = e;
    else c->tail = e;
    if (at) at->next = e;
    else c->head = e;
    if (e->tid > 0) e->tidpos = ptAdd(&c->byTid, (uint64_t)e->tid, e);
    for (int i = 0; i < e->n; i++) e->pos[i] = ptAdd(&c->byHash, e->h[i], e);
    c->count++;
}

/* In zset order: new members come last, unless scores tie or go back. */
static void cacheInsert(RecentCache *c, RecentEntry *e) {
    RecentEntry *at = c->tail;
    while (at && entryCmp(at, e) > 0) at = at->prev;
    cacheLink(c, at, e);
}

static void cacheRemove(RecentCache *c, RecentEntry *e) {
    if (e->tid > 0) {
        RecentEntry *m = ptRemove(&c->byTid, ptFind(&c->byTid, (uint64_t)e->tid), e->tidpos);
        if (m) m->tidpos = e->tidpos;
    }
    for (int i = 0; i < e->n; i++) {
        RecentEntry *m = ptRemove(&c->byHash, ptFind(&c->byHash, e->h[i]), e->pos[i]);
        if (m) m->pos[entryHashAt(m, e->h[i])] = e->pos[i];
    }
    if (e->prev) e->prev->next = e->next;
    else c->head = e->next;
    if (e->next) e->next->prev = e->prev;
    else c->tail = e->prev;
    c->count--;
    RedisModule_Free(e);
}

/* The entry of member s, or NULL. */
static RecentEntry *cacheFind(RecentCache *c, const char *s, size_t len) {
    long long tid;
    if (recentTid(s, len, &tid)) {
        Posting *p = ptFind(&c->byTid, (uint64_t)tid);
        RecentEntry **it = p ? ptItems(p) : NULL;
        for (uint32_t i = 0; p && i < p->len; i++)
            if (it[i]->mlen == len && !memcmp(it[i]->member, s, len)) return it[i];
        return NULL;
    }
    for (RecentEntry *e = c->head; e; e = e->next)
        if (e->mlen == len && !memcmp(e->member, s, len)) return e;
    return NULL;
}

static void cacheFree(RecentCache *c) {
    RecentEntry *e = c->head;
    while (e) {
        RecentEntry *next = e->next;
        RedisModule_Free(e);
        e = next;
    }
    ptFree(&c->byHash);
    ptFree(&c->byTid);
    RedisModule_Free(c);
}

static RecentCache *cacheGet(const char *name, int nlen) {
    return recentCaches ? RedisModule_DictGetC(recentCaches, (void *)name, nlen, NULL) : NULL;
}

/* Forgets the copy of one desk's window (marks it, while a create holds it). */
static void cacheDrop(const char *name, int nlen) {
    RecentCache *c = cacheGet(name, nlen);
    if (!c) return;
    if (c == recentInUse) {
        c->stale = 1;
        return;
    }
    RedisModule_DictDelC(recentCaches, (void *)name, nlen, NULL);
    cacheFree(c);
}

/* Forgets the copies of one db (-1: all). */
static void cacheDropDb(int db) {
    char prefix[16], **names;
    int plen = db < 0 ? 0 : hdDbDeskName(prefix, db, "", 0), n = 0;
    uint64_t size = recentCaches ? RedisModule_DictSize(recentCaches) : 0;
    if (!size) return;
    names = RedisModule_Alloc(size * sizeof(*names));
    RedisModuleDictIter *it = RedisModule_DictIteratorStartC(recentCaches, "^", NULL, 0);
    char *key;
    size_t klen;
    while ((key = RedisModule_DictNextC(it, &klen, NULL)) != NULL) {
        if (klen > (size_t)plen && !memcmp(key, prefix, (size_t)plen) && klen < RECENT_NAME_MAX) {
            names[n] = RedisModule_Alloc(klen + 1);
            memcpy(names[n], key, klen);
            names[n++][klen] = '\0';
        }
    }
    RedisModule_DictIteratorStop(it);
    for (int i = 0; i < n; i++) {
        cacheDrop(names[i], (int)strlen(names[i]));
        RedisModule_Free(names[i]);
    }
    RedisModule_Free(names);
}

static int onRecentKeyEvent(RedisModuleCtx *ctx, int type, const char *event,
                            RedisModuleString *key) {
    static const char suffix[] = ":flood:recent";
    const size_t slen = sizeof(suffix) - 1;
    char name[RECENT_NAME_MAX];
    size_t len;
    const char *s = RedisModule_StringPtrLen(key, &len);

    if (len <= slen || len - slen > HD_DESK_MAX || memcmp(s + len - slen, suffix, slen))
        return REDISMODULE_OK;
    /* our own trims are mirrored by the caller */
    if (recentTrimming && (!strcmp(event, "zremrangebyscore") ||
                           !strcmp(event, "zremrangebyrank") || !strcmp(event, "del")))
        return REDISMODULE_OK;
    if (recentMirroring && (!strcmp(event, "zadd") || !strcmp(event, "zrem") ||
                            !strcmp(event, "del")))
        return REDISMODULE_OK;
    cacheDrop(name, hdDbDeskName(name, RedisModule_GetSelectedDb(ctx), s, len - slen));
    return REDISMODULE_OK;
}

static void onDbEvent(RedisModuleCtx *ctx, RedisModuleEvent e, uint64_t sub, void *data) {
    if (e.id == REDISMODULE_EVENT_FLUSHDB) {
        if (sub == REDISMODULE_SUBEVENT_FLUSHDB_START)
            cacheDropDb(((RedisModuleFlushInfo *)data)->dbnum);
    } else if (e.id == REDISMODULE_EVENT_SWAPDB) {
        RedisModuleSwapDbInfo *si = data;
        cacheDropDb(si->dbnum_first);
        cacheDropDb(si->dbnum_second);
    }
}

/* Subscribes to what can change a window behind the module's back, the
 * first time a copy is made (until then there is nothing to keep in step). */
static void cacheHook(RedisModuleCtx *ctx) {
    if (recentCaches) return;
    recentCaches = RedisModule_CreateDict(NULL);
    if (RedisModule_SubscribeToKeyspaceEvents(ctx, REDISMODULE_NOTIFY_GENERIC |
            REDISMODULE_NOTIFY_ZSET | REDISMODULE_NOTIFY_EXPIRED | REDISMODULE_NOTIFY_EVICTED |
            REDISMODULE_NOTIFY_LOADED, onRecentKeyEvent) != REDISMODULE_OK ||
        hdServerEventHook(ctx, RedisModuleEvent_FlushDB, onDbEvent)
            != REDISMODULE_OK ||
        hdServerEventHook(ctx, RedisModuleEvent_SwapDB, onDbEvent)
            != REDISMODULE_OK) {
        RedisModule_Log(ctx, "warning", "flood detection cannot follow its keys' changes; "
                        "it rebuilds its window from the key on every create (slower)");
        recentUnwatched = 1;
    }
}

/* DESK.PURGE deletes the desk's keys through the low-level API, which sends
 * no keyspace event: forget the window's copy here. */
void floodForgetDesk(Hd *hd) {
    char name[RECENT_NAME_MAX];
    cacheDrop(name, hdDbDeskName(name, RedisModule_GetSelectedDb(hd->ctx), hd->dname, hd->dlen));
}

/* INFO helpdesk: desks whose window is copied in memory. */
long long floodWindowCount(void) {
    return recentCaches ? (long long)RedisModule_DictSize(recentCaches) : 0;
}

/* MODULE UNLOAD: frees every copy (Redis drops the subscriptions itself).
 * Called from RedisModule_OnUnload. */
void floodUnload(void) {
    RedisModuleDictIter *it;
    RecentCache *c;
    if (!recentCaches) return;
    it = RedisModule_DictIteratorStartC(recentCaches, "^", NULL, 0);
    while (RedisModule_DictNextC(it, NULL, (void **)&c)) cacheFree(c);
    RedisModule_DictIteratorStop(it);
    RedisModule_FreeDict(NULL, recentCaches);
    recentCaches = NULL;
    recentInUse = NULL;
}

/* INFO helpdesk: copies built from the key since load. Once per desk in
 * steady state; a count that grows with the creates means the copy is lost
 * on every create (each build decodes the whole window). */
static long long recentBuilds;

long long floodWindowBuilds(void) { return recentBuilds; }

/* A copy of the key, in zset order. */
static RecentCache *cacheBuild(Hd *hd, RedisModuleString *rkey, const char *name, int nlen) {
    RecentCache *c = RedisModule_Calloc(1, sizeof(*c));
    recentBuilds++;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, rkey, REDISMODULE_READ);

    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET &&
        RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
                                          REDISMODULE_POSITIVE_INFINITE, 0, 0) == REDISMODULE_OK) {
        for (; !RedisModule_ZsetRangeEndReached(k); RedisModule_ZsetRangeNext(k)) {
            double score;
            size_t len;
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, &score);
            const char *s = RedisModule_StringPtrLen(m, &len);
            cacheLink(c, c->tail, entryNew(s, len, score, NULL));
            RedisModule_FreeString(hd->ctx, m);
        }
        RedisModule_ZsetRangeStop(k);
    }
    RedisModule_CloseKey(k);
    RedisModule_DictReplaceC(recentCaches, (void *)name, nlen, c);
    return c;
}

/* How many of the query's counted hashes a member with nb hashes must hold
 * to be worth sketchAlike, for a sketch with na hashes of which `skipped`
 * are not counted; 0 when it cannot be alike at all. Alike needs s shared
 * hashes with s >= ceil(max(na,nb)/2) (half of at least max(na,nb) union
 * hashes) and either 3s >= na+nb (when |A u B| <= k, the estimate is exact:
 * 2s >= na+nb-s) or s >= k/2 (half of the k first union hashes); of those
 * s, at most `skipped` are among the hashes not counted. */
static int alikeNeed(int na, int nb, int skipped) {
    int most = na > nb ? na : nb, least = na < nb ? na : nb;
    int half = (most + 1) / 2, third = (na + nb + 2) / 3;
    if (third > FLOOD_SKETCH_K / 2) third = FLOOD_SKETCH_K / 2;
    int need = half > third ? half : third;
    if (need > least) return 0;
    need -= skipped;
    return need < 1 ? 1 : need;
}

/* The members alike sk (other than ticket self's), in zset order, into
 * *out (pool memory); returns how many. */
int windowAlike(Hd *hd, RecentCache *c, const Sketch *sk, long long self,
                RecentEntry ***out) {
    int na = sk->n, q = na / 2 + 1, ncand = 0, nalike = 0;
    int order[FLOOD_SKETCH_K], need[FLOOD_SKETCH_K + 1];
    uint32_t lens[FLOOD_SKETCH_K];
    Posting *post[FLOOD_SKETCH_K];
    RecentEntry **cand = RedisModule_PoolAlloc(hd->ctx, (size_t)(c->count + 1) * sizeof(*cand));
    uint64_t stamp = ++c->stamp;

    /* the hashes by the length of their lists, shortest first */
    for (int i = 0; i < na; i++) {
        int j = i;
        post[i] = ptFind(&c->byHash, sk->h[i]);
        lens[i] = post[i] ? post[i]->len : 0;
        for (; j > 0 && lens[order[j - 1]] > lens[i]; j--) order[j] = order[j - 1];
        order[j] = i;
    }
    memset(need, -1, sizeof(need));         /* filled for the sizes met */
    for (int k = 0; k < q; k++) {
        Posting *p = post[order[k]];
        RecentEntry **it;
        if (!p) continue;
        it = ptItems(p);
        for (uint32_t j = 0; j < p->len; j++) {
            RecentEntry *e = it[j];
            if (e->stamp != stamp) {
                e->stamp = stamp;
                e->hits = 0;
                if (need[e->n] < 0) need[e->n] = alikeNeed(na, e->n, na - q);
                e->need = need[e->n];
            }
            if (++e->hits == e->need) cand[ncand++] = e;
        }
    }
    for (int i = 0; i < ncand; i++) {
        RecentEntry *e = cand[i];
        if (e->tid != self && sketchHashesAlike(sk->h, na, e->h, e->n)) cand[nalike++] = e;
    }
    if (nalike > 1) qsort(cand, (size_t)nalike, sizeof(*cand), entryCmpQsort);
    *out = cand;
    return nalike;
}

/* D:flood:recent's ZREMRANGEBY*, replicated verbatim, without a copy. */
static void trimCall(Hd *hd, const char *cmd, RedisModuleString *key, const char *a,
                     const char *b) {
    recentTrimming = 1;
    fxCallVerbatim(hd, cmd, key, a, b);
    recentTrimming = 0;
}

/* The same with a copy in step: it knows the command removes its first n
 * members, and follows. (The command itself costs less than removing them
 * with the low-level API and replicating it: RM_Replicate alone is ~half.) */
static void trimHead(Hd *hd, RecentCache *c, RedisModuleString *rkey, long long n,
                     const char *cmd, const char *a, const char *b) {
    trimCall(hd, cmd, rkey, a, b);
    for (long long i = 0; i < n && c->head; i++) cacheRemove(c, c->head);
}

/* ZREMRANGEBYRANK's end: keeps the newest FLOOD_RECENT_MAX - 1. */
#define RECENT_STR_(x) #x
#define RECENT_STR(x) RECENT_STR_(x)
#define RECENT_KEEP ("-" RECENT_STR(FLOOD_RECENT_MAX))

/* "(<v>": a score range bound excluding v (buf: 32 bytes). */
static const char *scoreBelow(char *buf, long long v) {
    buf[0] = '(';
    hdFormatLL(buf + 1, v);
    return buf;
}

/* Drops the window's entries older than flood-window (ZREMRANGEBYSCORE key
 * -inf (<now - window>), and the oldest beyond FLOOD_RECENT_MAX - 1, room for
 * the ticket about to be added (ZREMRANGEBYRANK key 0 -<max>); then returns
 * the copy in memory, in step with the key and held (recentInUse) until the
 * caller lets it go. Nothing is written or replicated when nothing goes. */
RecentCache *windowSync(Hd *hd, const DeskConfig *cfg, RedisModuleString *rkey) {
    char name[RECENT_NAME_MAX], cutoff[32];
    int nlen = hdDbDeskName(name, RedisModule_GetSelectedDb(hd->ctx), hd->dname, hd->dlen);
    long long since = hd->now - cfg->flood_window * 1000, old = 0;
    RecentCache *c;

    cacheHook(hd->ctx);
    c = cacheGet(name, nlen);
    if (c && (recentUnwatched || c->stale || c->count != hdZCard(hd, rkey))) {
        cacheDrop(name, nlen);
        c = NULL;
    }
    recentInUse = c;
    if (c) {
        for (RecentEntry *e = c->head; e && e->score < (double)since; e = e->next) old++;
        if (old) trimHead(hd, c, rkey, old, "ZREMRANGEBYSCORE", "-inf", scoreBelow(cutoff, since));
        if (c->count >= FLOOD_RECENT_MAX)
            trimHead(hd, c, rkey, c->count - (FLOOD_RECENT_MAX - 1), "ZREMRANGEBYRANK", "0", RECENT_KEEP);
        if (c->stale) {             /* the key changed meanwhile (say, it expired) */
            recentInUse = NULL;
            cacheDrop(name, nlen);
            c = NULL;
        }
    }
    if (!c) {
        trimCall(hd, "ZREMRANGEBYSCORE", rkey, "-inf", scoreBelow(cutoff, since));
        if (hdZCard(hd, rkey) >= FLOOD_RECENT_MAX)
            trimCall(hd, "ZREMRANGEBYRANK", rkey, "0", RECENT_KEEP);
        c = cacheBuild(hd, rkey, name, nlen);
    }
    recentInUse = c;
    return c;
}

/* Removes a member from the key and the copy. */
void windowRemove(Hd *hd, RecentCache *c, RedisModuleString *rkey, RecentEntry *e) {
    recentMirroring = 1;
    fxZRem(hd, rkey, RedisModule_CreateString(hd->ctx, e->member, e->mlen));
    recentMirroring = 0;
    cacheRemove(c, e);
}

/* Records ticket tid's sketch (hex) in the window at now. */
void windowAdd(Hd *hd, RecentCache *c, RedisModuleString *rkey, long long tid,
               const Sketch *sk, const char *hex, size_t hexlen) {
    char buf[24 + FLOOD_SKETCH_K * 8 + 1];
    int n = hdFormatLL(buf, tid);
    RecentEntry *old;

    buf[n++] = ':';
    memcpy(buf + n, hex, hexlen);
    recentMirroring = 1;
    fxZAdd(hd, rkey, (double)hd->now, RedisModule_CreateString(hd->ctx, buf, n + hexlen));
    recentMirroring = 0;
    if ((old = cacheFind(c, buf, n + hexlen)) != NULL) cacheRemove(c, old);  /* ZADD moves it */
    cacheInsert(c, entryNew(buf, n + hexlen, (double)hd->now, sk));
}

/* windowForgetTicket removed member from the key: the copy follows, if any. */
static void cacheForget(Hd *hd, RedisModuleString *member) {
    char name[RECENT_NAME_MAX];
    int nlen = hdDbDeskName(name, RedisModule_GetSelectedDb(hd->ctx), hd->dname, hd->dlen);
    RecentCache *c = cacheGet(name, nlen);
    size_t len;
    const char *s = RedisModule_StringPtrLen(member, &len);
    RecentEntry *e;

    if (!c) return;
    if (!c->stale && (e = cacheFind(c, s, len)) != NULL) cacheRemove(c, e);
    else cacheDrop(name, nlen);
}

/* Removes t's entry from the recent window, found by its created_at. Nothing
 * to do (and nothing read) when the desk has no window, e.g. with detection
 * off; entries recorded before it was turned off still go. */
void windowForgetTicket(Hd *hd, const Ticket *t) {
    long long created;
    char prefix[32];
    int plen;
    RedisModuleString *found = NULL, *rkey = hdFloodRecentKey(hd);
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, rkey, REDISMODULE_READ);

    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_ZSET ||
        !hdHashGetLL(hd, t->key, "created_at", &created)) {
        RedisModule_CloseKey(k);
        return;
    }
    plen = snprintf(prefix, sizeof(prefix), "%lld:", t->id);
    if (RedisModule_ZsetFirstInScoreRange(k, (double)created, (double)created, 0, 0)
            == REDISMODULE_OK) {
        while (!found && !RedisModule_ZsetRangeEndReached(k)) {
            size_t len;
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, NULL);
            const char *s = RedisModule_StringPtrLen(m, &len);
            if (len > (size_t)plen && !memcmp(s, prefix, plen)) found = m;
            RedisModule_ZsetRangeNext(k);
        }
        RedisModule_ZsetRangeStop(k);
    }
    RedisModule_CloseKey(k);
    if (found) {
        recentMirroring = 1;
        fxZRem(hd, rkey, found);
        recentMirroring = 0;
        cacheForget(hd, found);
    }
}

/* The create is done with the copy: a drop may free it again. */
void windowRelease(void) { recentInUse = NULL; }

/* The ticket a member records (0 for a member this file did not write). */
long long windowMemberTicket(const RecentEntry *e) { return e->tid; }
