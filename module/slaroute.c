/* slaroute.c -- routing that never strands a ticket (SPEC.md section 11):
 * skill-timeout and reassign-after.
 *
 * skill-timeout: a ticket that waited that long in its category's routing
 * queue for an agent with the skill is "relaxed": moved, with its routing
 * score, to D:queue:unassigned:general, which every agent serves, so
 * TICKET.NEXT, TICKET.CLAIM and blocked NEXT callers of every online agent
 * under capacity see it (the move signals the key, like any queue entry).
 * The ticket keeps its category; its hash gets relaxed = <ms>, and
 * queue.c puts a relaxed ticket back in the general queue whenever it is
 * queued again. Assignment ends the relaxation.
 *
 * reassign-after: an assigned ticket whose agent has neither taken it nor
 * replied (TICKET.MSG from that agent) for that long goes back to its queue
 * (ticketUnassign, reason `timeout`). Tickets on hold wait on the customer
 * and are not taken away.
 *
 * Both are driven by sorted sets scored by when the wait began,
 *   D:sla:relax     unassigned tickets of a category other than general,
 *   D:sla:reassign  assigned tickets, by assignment or last reply,
 * so the SLA timer finds the tickets to move with one range read from the
 * low end: O(log n) per ticket moved, no scan. The sets are kept only while
 * the setting is on; a ticket queued or assigned before it was switched on
 * joins at its next move. */
#include <stdio.h>
#include <string.h>
#include "helpdesk.h"

static int isGeneral(const char *cat, size_t len) {
    return len == 7 && !memcmp(cat, "general", 7);
}

int slaIsRelaxed(Hd *hd, long long tid) {
    long long v = 0;
    return hdHashGetLL(hd, hdTicketKey(hd, tid), "relaxed", &v) && v > 0;
}

static void zremIfPresent(Hd *hd, RedisModuleString *key, RedisModuleString *m) {
    double score;
    if (hdZScore(hd, key, m, &score)) fxZRem(hd, key, m);
}

void slaRoutingEntered(Hd *hd, long long tid, const char *cat, size_t clen) {
    DeskConfig cfg;
    if (isGeneral(cat, clen) || !deskConfigLoad(hd, &cfg) || cfg.skill_timeout <= 0) return;
    fxZAdd(hd, hdSlaRelaxKey(hd), (double)hd->now, hdTicketMember(hd, tid));
    slaNoteDesk(hd);
}

void slaRoutingLeft(Hd *hd, long long tid) {
    zremIfPresent(hd, hdSlaRelaxKey(hd), hdTicketMember(hd, tid));
}

/* Assigned (or replied to by its agent): the reassign clock starts now. */
void slaAssignClock(Hd *hd, const DeskConfig *cfg, long long tid) {
    if (cfg->reassign_after <= 0) return;
    fxZAdd(hd, hdSlaReassignKey(hd), (double)hd->now, hdTicketMember(hd, tid));
    slaNoteDesk(hd);
}

void slaAssignCleared(Hd *hd, long long tid) {
    zremIfPresent(hd, hdSlaReassignKey(hd), hdTicketMember(hd, tid));
}

int slaRouteCheckKeys(Hd *hd) {
    return hdCheckTypeOrReply(hd, hdSlaRelaxKey(hd), REDISMODULE_KEYTYPE_ZSET) &&
           hdCheckTypeOrReply(hd, hdSlaReassignKey(hd), REDISMODULE_KEYTYPE_ZSET) &&
           queueCheckRoutingOrReply(hd, "general", 7);
}

/* ------------------------------------------------------------------------ */
/* The timer's part                                                          */
/* ------------------------------------------------------------------------ */

/* Up to max ticket ids of sorted set `key` with a score <= upto, lowest first. */
static int dueMembers(Hd *hd, RedisModuleString *key, long long upto, long long *out,
                      int max) {
    int n = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET &&
        RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE, (double)upto, 0, 0)
            == REDISMODULE_OK) {
        for (; !RedisModule_ZsetRangeEndReached(k) && n < max; RedisModule_ZsetRangeNext(k)) {
            size_t len;
            long long tid;
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, NULL);
            const char *s = RedisModule_StringPtrLen(m, &len);
            if (hdParseTicketMember(s, len, &tid)) out[n++] = tid;
        }
        RedisModule_ZsetRangeStop(k);
    }
    RedisModule_CloseKey(k);
    return n;
}

static int ticketWritable(Hd *hd, Ticket *t) {
    return hdTypeOk(hd, hdTicketLogKey(hd, t->id), REDISMODULE_KEYTYPE_LIST) &&
           queueRoutingTypeOk(hd, t->category, t->catlen) &&
           queueRoutingTypeOk(hd, "general", 7) &&
           hdTypeOk(hd, hdStatsKey(hd), REDISMODULE_KEYTYPE_HASH) &&
           (!t->agent || (hdTypeOk(hd, hdAgentKey(hd, t->agent), REDISMODULE_KEYTYPE_HASH) &&
                          hdTypeOk(hd, hdAgentOpenKey(hd, t->agent), REDISMODULE_KEYTYPE_SET)));
}

static void relax(Hd *hd, const DeskConfig *cfg, long long tid) {
    Ticket t;
    RedisModuleString *m = hdTicketMember(hd, tid), *from;
    double score, since = 0;
    char waited[24];

    hdZScore(hd, hdSlaRelaxKey(hd), m, &since);
    slaRoutingLeft(hd, tid);
    if (!ticketLoad(hd, tid, &t) || !t.exists || !ticketIsActive(&t) || t.agent ||
        isGeneral(t.category, t.catlen) || !ticketWritable(hd, &t)) return;
    from = hdRoutingKey(hd, t.category, t.catlen);
    if (!hdZScore(hd, from, m, &score)) return;
    queueRoutingDrop(hd, t.category, t.catlen, m);
    fxHashSetLL(hd, t.key, "relaxed", hd->now);
    RedisModule_SignalKeyAsReady(hd->ctx, queueRoutingPut(hd, "general", 7, score, m, tid));
    snprintf(waited, sizeof(waited), "%lld", hd->now - (long long)since);
    ticketLog(hd, tid, "relaxed: waited %s ms for a %s agent; any agent may take it",
              waited, t.category);
    eventEmit(hd, cfg, "relaxed", tid, "category", t.category, "waited", waited, NULL);
}

static void reassign(Hd *hd, const DeskConfig *cfg, long long tid) {
    Ticket t;
    slaAssignCleared(hd, tid);
    if (!ticketLoad(hd, tid, &t) || !t.exists || !ticketIsActive(&t) || !t.agent ||
        !ticketWritable(hd, &t)) return;
    if (!strcmp(t.status, "on_hold")) {     /* waits on the customer: clock restarts */
        slaAssignClock(hd, cfg, tid);
        return;
    }
    ticketUnassign(hd, cfg, &t, "timeout");
}

int slaRouteTick(Hd *hd, const DeskConfig *cfg, int budget) {
    long long *ids = RedisModule_PoolAlloc(hd->ctx, sizeof(long long) * (size_t)(budget + 1));
    int n, used = 0;
    if (cfg->skill_timeout > 0) {
        n = dueMembers(hd, hdSlaRelaxKey(hd), hd->now - cfg->skill_timeout * 1000, ids, budget);
        for (int i = 0; i < n; i++) relax(hd, cfg, ids[i]);
        used += n;
    }
    if (cfg->reassign_after > 0 && used < budget) {
        n = dueMembers(hd, hdSlaReassignKey(hd), hd->now - cfg->reassign_after * 1000, ids,
                       budget - used);
        for (int i = 0; i < n; i++) reassign(hd, cfg, ids[i]);
        used += n;
    }
    return used;
}
