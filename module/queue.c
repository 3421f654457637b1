/* queue.c -- the desk's priority, SLA and routing queues.
 *
 * D:queue:priority (score = priority) and D:queue:sla (score = the earliest
 * pending SLA due time, slametrics.c) hold every ticket that is not closed or
 * merged; D:sla:timer holds the ones with an SLA warning or breach to come.
 * D:queue:unassigned:<cat> holds the unassigned ones, scored so that the lowest score is the next to
 * route: priority descending, then creation order (ticket id) ascending.
 * D:queue:created:<cat> holds the same tickets scored by id alone, so that
 * TICKET.CLAIM ... ORDER CREATED finds the oldest with one cursor per
 * category instead of one per priority band (routing.c). */
#include <string.h>
#include "helpdesk.h"

/* Priority takes the high bits and the ticket id the low 40: the sum stays
 * an integer below 2^53, so the double is exact and ties are impossible. */
#define ROUTING_ID_BITS 40

double queueRoutingScore(long long priority, long long tid) {
    long long band = HD_PRIORITY_MAX - priority;
    return (double)band * (double)(1LL << ROUTING_ID_BITS) + (double)tid;
}

/* The service levels' hooks (slaInit registers them at load). */
static HdQueueSlaHooks slaHooks;

void queueSetSlaHooks(const HdQueueSlaHooks *hooks) {
    slaHooks = *hooks;
}

void queueAddActive(Hd *hd, long long tid, long long priority, long long sla_due) {
    RedisModuleString *m = hdTicketMember(hd, tid);
    fxZAdd(hd, hdQueuePriorityKey(hd), (double)priority, m);
    /* D:queue:sla and D:sla:timer are scored from the ticket hash, which
     * callers have written already (sla_due is among its fields). */
    if (slaHooks.schedule) slaHooks.schedule(hd, NULL, tid);
}

void queueRemoveActive(Hd *hd, long long tid) {
    RedisModuleString *m = hdTicketMember(hd, tid);
    fxZRem(hd, hdQueuePriorityKey(hd), m);
    fxZRem(hd, hdQueueSlaKey(hd), m);
    if (hdZScore(hd, hdSlaTimerKey(hd), m, &(double){0}))
        fxZRem(hd, hdSlaTimerKey(hd), m);
}

/* Routing (a layer above) wakes its waiters through this hook when a ticket
 * enters a routing queue; it registers it at load (routingInit), so the
 * queues never call up into routing.c. */
static HdQueuedHook queuedHook;

void queueSetQueuedHook(HdQueuedHook fn) {
    queuedHook = fn;
}

/* Signalling the key wakes TICKET.NEXT callers blocked on this queue once the
 * current command has finished. */
void queueAddRouting(Hd *hd, long long tid, const char *cat, size_t clen, long long priority) {
    /* A relaxed ticket is for every agent; others start their skill wait. */
    if (slaHooks.isRelaxed && slaHooks.isRelaxed(hd, tid)) { cat = "general"; clen = 7; }
    else if (slaHooks.routingEntered) slaHooks.routingEntered(hd, tid, cat, clen);
    queueAddRoutingPlain(hd, tid, cat, clen, priority);
}

int queueRoutingTypeOk(Hd *hd, const char *cat, size_t clen) {
    return hdTypeOk(hd, hdRoutingKey(hd, cat, clen), REDISMODULE_KEYTYPE_ZSET) &&
           hdTypeOk(hd, hdCreatedKey(hd, cat, clen), REDISMODULE_KEYTYPE_ZSET);
}

int queueCheckRoutingOrReply(Hd *hd, const char *cat, size_t clen) {
    return hdCheckTypeOrReply(hd, hdRoutingKey(hd, cat, clen), REDISMODULE_KEYTYPE_ZSET) &&
           hdCheckTypeOrReply(hd, hdCreatedKey(hd, cat, clen), REDISMODULE_KEYTYPE_ZSET);
}

RedisModuleString *queueRoutingPut(Hd *hd, const char *cat, size_t clen, double score,
                                   RedisModuleString *member, long long tid) {
    RedisModuleString *key = hdRoutingKey(hd, cat, clen);
    fxZAdd(hd, key, score, member);
    fxZAdd(hd, hdCreatedKey(hd, cat, clen), (double)tid, member);
    return key;
}

void queueRoutingDrop(Hd *hd, const char *cat, size_t clen, RedisModuleString *member) {
    fxZRem(hd, hdRoutingKey(hd, cat, clen), member);
    fxZRem(hd, hdCreatedKey(hd, cat, clen), member);
}

void queueAddRoutingPlain(Hd *hd, long long tid, const char *cat, size_t clen,
                          long long priority) {
    RedisModuleString *key = queueRoutingPut(hd, cat, clen, queueRoutingScore(priority, tid),
                                             hdTicketMember(hd, tid), tid);
    RedisModule_SignalKeyAsReady(hd->ctx, key);
    if (queuedHook) queuedHook(hd, cat, clen);
}

void queueRemoveRouting(Hd *hd, long long tid, const char *cat, size_t clen) {
    RedisModuleString *m = hdTicketMember(hd, tid), *general = hdRoutingKey(hd, "general", 7);
    queueRoutingDrop(hd, cat, clen, m);
    if (!(clen == 7 && !memcmp(cat, "general", 7)) && hdZScore(hd, general, m, &(double){0}))
        queueRoutingDrop(hd, "general", 7, m);      /* relaxed */
    if (slaHooks.routingLeft) slaHooks.routingLeft(hd, tid);
}
