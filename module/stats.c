/* stats.c -- the desk's D:stats counters: tickets per status and per
 * category, moved in pairs with every ticket change (record.c, flood.c,
 * ticket.c) and read by DESK.STATS (desk.c). */
#include <string.h>
#include "helpdesk.h"

/* "<kind>:<name>" into field (96 bytes). */
static void statsField(char *field, const char *kind, const char *name, size_t nlen) {
    size_t klen = strlen(kind);
    if (klen + 1 + nlen >= 96) nlen = 96 - klen - 2;
    memcpy(field, kind, klen);
    field[klen] = ':';
    memcpy(field + klen + 1, name, nlen);
    field[klen + 1 + nlen] = '\0';
}

void statsMove(Hd *hd, const char *kind, const char *from, size_t flen,
               const char *to, size_t tlen) {
    char f1[96], f2[96];
    statsField(f1, kind, from, flen);
    statsField(f2, kind, to, tlen);
    if (!strcmp(f1, f2)) return;
    /* Two counters in one key open and one replicated HSET: every ticket
     * change moves a pair (status from/to, or status and category). */
    fxHashIncrPair(hd, hdStatsKey(hd), f1, -1, f2, 1);
}

void statsTicket(Hd *hd, const char *status, const char *cat, size_t clen, long long delta) {
    char f1[96], f2[96];
    statsField(f1, "status", status, strlen(status));
    statsField(f2, "category", cat, clen);
    fxHashIncrPair(hd, hdStatsKey(hd), f1, delta, f2, delta);
}

long long statsGet(Hd *hd, const char *kind, const char *name) {
    char field[96];
    long long v = 0;
    statsField(field, kind, name, strlen(name));
    hdHashGetLL(hd, hdStatsKey(hd), field, &v);
    return v;
}
