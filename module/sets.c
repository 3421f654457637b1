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
    RedisModuleString **members;    /* hdSetMembersSorted */
    long long *ids;                 /* hdSetTicketIds */
} SetCollect;

static void collectMember(const char *m, size_t len, void *privdata) {
    SetCollect *c = privdata;
    if (c->n < c->cap) c->members[c->n++] = RedisModule_CreateString(c->hd->ctx, m, len);
}

static void collectTicketId(const char *m, size_t len, void *privdata) {
    SetCollect *c = privdata;
    if (c->n < c->cap && hdParseTicketMember(m, len, &c->ids[c->n])) c->n++;
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
    long long card = hdSCard(hd, key);
    SetCollect c = { hd, 0, card > 0 ? (size_t)card : 0, NULL, NULL };
    *out = NULL;
    if (!c.cap) return 0;
    c.members = RedisModule_PoolAlloc(hd->ctx, c.cap * sizeof(*c.members));
    hdSetForEach(hd, key, collectMember, &c);
    qsort(c.members, c.n, sizeof(*c.members), cmpStrings);
    *out = c.n ? c.members : NULL;
    return c.n;
}

size_t hdSetTicketIds(Hd *hd, RedisModuleString *key, long long **out) {
    long long card = hdSCard(hd, key);
    SetCollect c = { hd, 0, card > 0 ? (size_t)card : 0, NULL, NULL };
    *out = NULL;
    if (!c.cap) return 0;
    c.ids = RedisModule_PoolAlloc(hd->ctx, c.cap * sizeof(*c.ids));
    hdSetForEach(hd, key, collectTicketId, &c);
    qsort(c.ids, c.n, sizeof(*c.ids), cmpLongLong);
    *out = c.n ? c.ids : NULL;
    return c.n;
}

void hdReplyTicketIds(Hd *hd, RedisModuleString *key) {
    long long *ids;
    size_t n = hdSetTicketIds(hd, key, &ids);
    RedisModule_ReplyWithArray(hd->ctx, (long)n);
    for (size_t i = 0; i < n; i++) RedisModule_ReplyWithLongLong(hd->ctx, ids[i]);
}
