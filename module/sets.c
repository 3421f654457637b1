/* sets.c -- reading a SET whole: its members sorted, or the ticket ids of a
 * set of "ticket:<tid>" members, ascending.
 *
 * Sets have no low-level read API; like every set read of the module these
 * walk the set with hdSetForEach (RedisModule_ScanKey, effects.c) instead of
 * building an SMEMBERS reply. Nothing changes the set during the walk (the
 * callbacks only copy), so it sees each member once, as SMEMBERS would. */
#include <stdlib.h>
#include <string.h>
#include "helpdesk.h"

/* Members collected into an array sized by SCARD before the walk. */
typedef struct SetCollect {
    Hd *hd;
    size_t n, cap;
    void *arr;          /* RedisModuleString *[] or long long [] */
} SetCollect;

static void collectMember(const char *m, size_t len, void *privdata) {
    SetCollect *c = privdata;
    RedisModuleString **members = c->arr;
    if (c->n < c->cap) members[c->n++] = RedisModule_CreateString(c->hd->ctx, m, len);
}

static void collectTicketId(const char *m, size_t len, void *privdata) {
    SetCollect *c = privdata;
    long long *ids = c->arr;
    if (c->n < c->cap && hdParseTicketMember(m, len, &ids[c->n])) c->n++;
}

/* Walks the set at key with fn into an array of elements of size bytes;
 * returns the array (NULL when the set is empty or missing), c->n the count. */
static void *collectSet(Hd *hd, RedisModuleString *key, size_t size, HdMemberFn fn,
                        SetCollect *c) {
    long long card = hdSCard(hd, key);
    c->hd = hd;
    c->n = 0;
    c->cap = card > 0 ? (size_t)card : 0;
    c->arr = NULL;
    if (!c->cap) return NULL;
    c->arr = RedisModule_PoolAlloc(hd->ctx, c->cap * size);
    hdSetForEach(hd, key, fn, c);
    return c->arr;
}

static int cmpStrings(const void *a, const void *b) {
    size_t la, lb;
    const char *sa = RedisModule_StringPtrLen(*(RedisModuleString *const *)a, &la);
    const char *sb = RedisModule_StringPtrLen(*(RedisModuleString *const *)b, &lb);
    int c = memcmp(sa, sb, la < lb ? la : lb);
    if (c) return c;
    return (la > lb) - (la < lb);
}

static int cmpLongLong(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

size_t hdSetMembersSorted(Hd *hd, RedisModuleString *key, RedisModuleString ***out) {
    SetCollect c;
    RedisModuleString **members = collectSet(hd, key, sizeof(*members), collectMember, &c);
    if (c.n) qsort(members, c.n, sizeof(*members), cmpStrings);
    *out = c.n ? members : NULL;
    return c.n;
}

size_t hdSetTicketIds(Hd *hd, RedisModuleString *key, long long **out) {
    SetCollect c;
    long long *ids = collectSet(hd, key, sizeof(*ids), collectTicketId, &c);
    if (c.n) qsort(ids, c.n, sizeof(*ids), cmpLongLong);
    *out = c.n ? ids : NULL;
    return c.n;
}

void hdReplyTicketIds(Hd *hd, RedisModuleString *key) {
    long long *ids;
    size_t n = hdSetTicketIds(hd, key, &ids);
    RedisModule_ReplyWithArray(hd->ctx, (long)n);
    for (size_t i = 0; i < n; i++) RedisModule_ReplyWithLongLong(hd->ctx, ids[i]);
}
