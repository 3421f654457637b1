/* check.c -- DESK.CHECK D: verify the desk's invariants (SPEC.md section 8),
 * and DESK.REPAIR D: rebuild every derived key from the hashes.
 *
 * The check walks the desk's keys once with SCAN and judges each key on its
 * own, reading the keys it must agree with: a ticket looks up its queue
 * entries, its agent's set and its customer's set; a queue, set or index looks
 * up the tickets, agents and customers it names. The two directions together
 * prove equality, so only the D:stats counters are accumulated. Memory stays
 * bounded by one SCAN batch, the first 1000 messages, the counters, and the
 * ids of the tickets already counted (SCAN may return a key twice).
 *
 * DESK.REPAIR, when the check found something it can fix, deletes every derived key
 * and rebuilds them all from the ticket, customer and agent hashes (plus the
 * agents' skills sets) through the fx* helpers, so the rebuild replicates as
 * plain commands. What it cannot invent (an unparsable priority, a hash of the
 * wrong type, two customers sharing an email) is reported "cannot fix: ...".
 *
 * Derived keys: D:queue:priority, D:queue:sla, D:queue:unassigned:*, D:queue:created:*,
 * D:agent:*:open_tickets and the agents' load field, D:agents, D:skill:*,
 * D:idx:user_email:*, D:user:*:tickets, D:stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpdesk.h"
#include "hd_people.h"
#include "hd_keyschema.h"

#define CHECK_MAX_REPORT 1000   /* messages kept; the rest are only counted */
#define SHOW_MAX 64             /* bytes of stored data quoted in a message */
#define SCRATCH_MAX 48
#define STATS_FIELD_MAX 160

/* ------------------------------------------------------------------------ */
/* Scratch strings                                                           */
/* ------------------------------------------------------------------------ */

/* Auto-memory only frees at the end of the command, and the check visits
 * every key of the desk: strings made while judging one key are kept here
 * and freed as soon as that key is done. If it ever fills up, the rest is
 * simply left to auto-memory. */
typedef struct Scratch {
    RedisModuleCtx *ctx;
    int n;
    RedisModuleString *s[SCRATCH_MAX];
} Scratch;

static void scratchInit(Scratch *sc, Hd *hd) {
    sc->ctx = hd->ctx;
    sc->n = 0;
}

static RedisModuleString *keep(Scratch *sc, RedisModuleString *s) {
    if (s && sc->n < SCRATCH_MAX) sc->s[sc->n++] = s;
    return s;
}

static void scratchFree(Scratch *sc) {
    while (sc->n > 0) RedisModule_FreeString(sc->ctx, sc->s[--sc->n]);
}

static RedisModuleString *scratchStr(Scratch *sc, const char *p, size_t len) {
    return keep(sc, RedisModule_CreateString(sc->ctx, p, len));
}

/* ------------------------------------------------------------------------ */
/* Quoting stored data in messages                                           */
/* ------------------------------------------------------------------------ */

/* Use as "%.*s", x.n, x.p: stored values are shown, but never more than
 * SHOW_MAX bytes of them. */
typedef struct Shown {
    int n;
    const char *p;
} Shown;

static Shown showBuf(const char *p, size_t len) {
    Shown s = { (int)(len > SHOW_MAX ? SHOW_MAX : len), p };
    return s;
}

static Shown show(RedisModuleString *str) {
    size_t len = 0;
    const char *p = str ? RedisModule_StringPtrLen(str, &len) : "";
    return showBuf(p, len);
}

/* Key names are shown whole: they are bounded by HD_KEY_MAX. */
static const char *keyName(RedisModuleString *key) {
    return RedisModule_StringPtrLen(key, NULL);
}

/* ------------------------------------------------------------------------ */
/* The report                                                                */
/* ------------------------------------------------------------------------ */

typedef struct Violation {
    RedisModuleString *msg;
    int canfix;
} Violation;

typedef struct Check {
    Hd *hd;
    long long total;            /* violations found, also those not kept */
    long long fixable;          /* of which REPAIR can fix */
    int nkept;
    Violation kept[CHECK_MAX_REPORT];
    RedisModuleDict *seen;      /* ticket ids already visited */
    RedisModuleDict *counts;    /* "status:<s>" / "category:<c>" -> count */
    long long max_tid;          /* highest ticket id seen */
} Check;

static void report(Check *c, int canfix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(Check *c, int canfix, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    int n;

    c->total++;
    if (canfix) c->fixable++;
    if (c->nkept >= CHECK_MAX_REPORT) return;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if (n >= (int)sizeof(buf)) n = (int)sizeof(buf) - 1;
    c->kept[c->nkept].msg = RedisModule_CreateString(c->hd->ctx, buf, (size_t)n);
    c->kept[c->nkept++].canfix = canfix;
}

/* SCAN order depends on the hash table; sorted messages make the reply
 * the same for the same violations. */
static int violationCmp(const void *a, const void *b) {
    return RedisModule_StringCompare(((const Violation *)a)->msg,
                                     ((const Violation *)b)->msg);
}

static void tallyReset(Check *c) {
    if (c->seen) RedisModule_FreeDict(c->hd->ctx, c->seen);
    if (c->counts) RedisModule_FreeDict(c->hd->ctx, c->counts);
    c->seen = RedisModule_CreateDict(c->hd->ctx);
    c->counts = RedisModule_CreateDict(c->hd->ctx);
}

/* 1 the first time a ticket id is seen: SCAN may return a key twice, and
 * the stats counters must count each ticket once. */
static int firstVisit(Check *c, long long tid) {
    unsigned char k[8];
    for (int i = 0; i < 8; i++) k[i] = (unsigned char)((unsigned long long)tid >> (56 - 8 * i));
    return RedisModule_DictSetC(c->seen, k, sizeof(k), (void *)1) == REDISMODULE_OK;
}

/* Counts are stored in the dict's value pointer; a missing entry is 0. */
static void countField(Check *c, const char *kind, RedisModuleString *value) {
    char field[STATS_FIELD_MAX];
    size_t len;
    const char *v;
    int n;
    uintptr_t cur;

    if (!value) return;
    v = RedisModule_StringPtrLen(value, &len);
    n = snprintf(field, sizeof(field), "%s:%.*s", kind, (int)len, v);
    if (n >= (int)sizeof(field)) n = (int)sizeof(field) - 1;
    cur = (uintptr_t)RedisModule_DictGetC(c->counts, field, (size_t)n, NULL);
    RedisModule_DictReplaceC(c->counts, field, (size_t)n, (void *)(cur + 1));
}

/* ------------------------------------------------------------------------ */
/* Small reads                                                               */
/* ------------------------------------------------------------------------ */

static int isHash(Hd *hd, RedisModuleString *key) {
    return hdKeyType(hd, key) == REDISMODULE_KEYTYPE_HASH;
}

/* The value of a STRING key (kept in sc) or NULL; *type tells what it is. */
static RedisModuleString *readString(Hd *hd, Scratch *sc, RedisModuleString *key, int *type) {
    return keep(sc, hdStringGet(hd, key, type));
}

/* One hash field (kept in sc) or NULL. */
static RedisModuleString *readField(Hd *hd, Scratch *sc, RedisModuleString *key,
                                    const char *field) {
    return keep(sc, hdHashGet(hd, key, field));
}

static int strEq(RedisModuleString *a, const char *p, size_t len) {
    size_t alen;
    const char *s = a ? RedisModule_StringPtrLen(a, &alen) : NULL;
    return s && alen == len && memcmp(s, p, len) == 0;
}

static int strIs(RedisModuleString *a, const char *cstr) {
    return strEq(a, cstr, strlen(cstr));
}

/* ------------------------------------------------------------------------ */
/* Ids and names                                                             */
/* ------------------------------------------------------------------------ */

static int parseTicketMember(RedisModuleString *m, long long *tid) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(m, &len);
    return len > 7 && memcmp(s, "ticket:", 7) == 0 && hdCanonicalTid(s + 7, len - 7, tid);
}

static int parseTidString(RedisModuleString *s, long long *tid) {
    size_t len;
    const char *p = RedisModule_StringPtrLen(s, &len);
    return hdCanonicalTid(p, len, tid);
}

static int usableId(Hd *hd, RedisModuleString *id) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(id, &len);
    return hdUsableIdBuf(hd, s, len);
}

static int nameFits(Hd *hd, size_t len) {
    return len >= 1 && hd->dlen + len + 32 <= HD_KEY_MAX;
}

static int isCanonicalNumber(const char *s, size_t len) {
    if (len < 1 || (s[0] == '0' && len > 1)) return 0;
    for (size_t i = 0; i < len; i++) if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* Customer id order for "the lowest uid keeps the email index": numeric ids
 * numerically and before the others, the others bytewise. */
static int uidLess(const char *a, size_t alen, const char *b, size_t blen) {
    int an = isCanonicalNumber(a, alen), bn = isCanonicalNumber(b, blen), cmp;
    if (an != bn) return an;
    if (an && alen != blen) return alen < blen;
    cmp = memcmp(a, b, alen < blen ? alen : blen);
    return cmp < 0 || (cmp == 0 && alen < blen);
}

static int agentExists(Hd *hd, Scratch *sc, RedisModuleString *aid) {
    return usableId(hd, aid) && isHash(hd, keep(sc, hdAgentKey(hd, aid)));
}

static int customerExists(Hd *hd, Scratch *sc, RedisModuleString *uid) {
    return usableId(hd, uid) && isHash(hd, keep(sc, hdUserKey(hd, uid)));
}

static int ticketExists(Hd *hd, Scratch *sc, long long tid) {
    return isHash(hd, keep(sc, hdTicketKey(hd, tid)));
}

/* Lower-cased email of a customer hash into buf; -1 when it has none that
 * can be indexed (absent, empty or longer than HD_EMAIL_MAX). */
static int customerEmail(Hd *hd, Scratch *sc, RedisModuleString *userKey, char *buf,
                         size_t bufsize, RedisModuleString **raw) {
    size_t len;
    const char *s;
    RedisModuleString *email = readField(hd, sc, userKey, "email");
    if (raw) *raw = email;
    if (!email) return -1;
    s = RedisModule_StringPtrLen(email, &len);
    if (len == 0 || len > HD_EMAIL_MAX) return -1;
    return hdLower(s, len, buf, bufsize);
}

/* ------------------------------------------------------------------------ */
/* A ticket as the check sees it                                             */
/* ------------------------------------------------------------------------ */

static const char *statusNames[] = {
    "open", "in_progress", "on_hold", "closed", "merged", NULL
};

typedef struct TicketView {
    long long tid;
    int exists;                     /* the key holds a hash */
    RedisModuleString *key, *member;
    RedisModuleString *status, *priority, *category, *sla, *agent, *user, *master;
    int status_ok, active, prio_ok, sla_ok, cat_ok;
    long long prio, sla_due;
} TicketView;

static int validStatus(RedisModuleString *s) {
    for (int i = 0; statusNames[i]; i++) if (strIs(s, statusNames[i])) return 1;
    return 0;
}

static void deriveTicket(TicketView *v) {
    size_t len;
    const char *cat;

    v->status_ok = v->status && validStatus(v->status);
    v->active = v->status_ok && !strIs(v->status, "closed") && !strIs(v->status, "merged");
    v->prio_ok = v->priority &&
                 RedisModule_StringToLongLong(v->priority, &v->prio) == REDISMODULE_OK &&
                 v->prio >= HD_PRIORITY_MIN && v->prio <= HD_PRIORITY_MAX;
    v->sla_ok = v->sla && RedisModule_StringToLongLong(v->sla, &v->sla_due) == REDISMODULE_OK;
    cat = v->category ? RedisModule_StringPtrLen(v->category, &len) : NULL;
    v->cat_ok = cat && hdValidCategory(cat, len);
}

/* Reads the fields the invariants are about; all strings go to sc. */
static int viewTicket(Hd *hd, Scratch *sc, long long tid, TicketView *v) {
    RedisModuleKey *k;

    memset(v, 0, sizeof(*v));
    v->tid = tid;
    v->key = keep(sc, hdTicketKey(hd, tid));
    v->member = keep(sc, hdTicketMember(hd, tid));
    k = RedisModule_OpenKey(hd->ctx, v->key, REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH) {
        v->exists = 1;
        RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS,
                            "status", &v->status, "priority", &v->priority,
                            "category", &v->category, "sla_due_at", &v->sla,
                            "assigned_agent", &v->agent, "user_id", &v->user,
                            "master", &v->master, NULL);
    }
    RedisModule_CloseKey(k);
    keep(sc, v->status); keep(sc, v->priority); keep(sc, v->category);
    keep(sc, v->sla); keep(sc, v->agent); keep(sc, v->user); keep(sc, v->master);
    if (v->exists) deriveTicket(v);
    return v->exists;
}

/* Active, and every field the queues need is usable. An active ticket with
 * an unusable field is reported and kept out of every queue. */
static int belongsInQueues(const TicketView *v) {
    return v->active && v->prio_ok && v->sla_ok && v->cat_ok;
}

/* The category whose routing queue an unassigned ticket waits in. */
static const char *routingCatOf(Hd *hd, const TicketView *v, size_t *len) {
    const char *cat = RedisModule_StringPtrLen(v->category, len);
    /* A relaxed ticket waits in the general queue (slaroute.c). */
    if (slaIsRelaxed(hd, v->tid)) { cat = "general"; *len = 7; }
    return cat;
}

static RedisModuleString *routingKeyOf(Hd *hd, Scratch *sc, const TicketView *v) {
    size_t len;
    const char *cat = routingCatOf(hd, v, &len);
    return keep(sc, hdRoutingKey(hd, cat, len));
}

static RedisModuleString *createdKeyOf(Hd *hd, Scratch *sc, const TicketView *v) {
    size_t len;
    const char *cat = routingCatOf(hd, v, &len);
    return keep(sc, hdCreatedKey(hd, cat, len));
}

/* A merged ticket must point at another existing ticket. */
static int masterValid(Hd *hd, Scratch *sc, const TicketView *v) {
    long long m;
    return v->master && parseTidString(v->master, &m) && m != v->tid &&
           ticketExists(hd, sc, m);
}

/* ------------------------------------------------------------------------ */
/* Walking keys and members                                                  */
/* ------------------------------------------------------------------------ */

typedef void (*KeyVisitor)(Check *c, KeyInfo *ki);

typedef struct DeskWalk {
    Check *c;
    KeyVisitor visit;
} DeskWalk;

static void deskWalkStep(const char *name, size_t len, void *privdata) {
    DeskWalk *w = privdata;
    Hd *hd = w->c->hd;
    KeyInfo ki;
    if ((ki.kind = hdClassifyKey(hd, name, len, &ki)) == K_OTHER) return;
    ki.key = RedisModule_CreateString(hd->ctx, name, len);
    w->visit(w->c, &ki);
    RedisModule_FreeString(hd->ctx, ki.key);
}

/* Calls visit for every key of the desk the schema knows. */
static void scanDesk(Check *c, KeyVisitor visit) {
    DeskWalk w = { c, visit };
    hdDeskScan(c->hd, deskWalkStep, &w);
}

typedef void (*MemberVisitor)(Check *c, KeyInfo *ki, RedisModuleString *member);

typedef struct MemberWalk {
    Check *c;
    KeyInfo *ki;
    MemberVisitor visit;
} MemberWalk;

static void memberWalkStep(RedisModuleKey *key, RedisModuleString *field,
                           RedisModuleString *value, void *privdata) {
    MemberWalk *w = privdata;
    w->visit(w->c, w->ki, field);
}

/* Calls visit for every member of the SET ki->key (streamed, not loaded).
 * The visitor must not change that set; it may change other keys. */
static void forEachMember(Check *c, KeyInfo *ki, MemberVisitor visit) {
    MemberWalk w = { c, ki, visit };
    RedisModuleScanCursor *cursor;
    RedisModuleKey *k = RedisModule_OpenKey(c->hd->ctx, ki->key, REDISMODULE_READ);

    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_SET) {
        cursor = RedisModule_ScanCursorCreate();
        while (RedisModule_ScanKey(k, cursor, memberWalkStep, &w)) {}
        RedisModule_ScanCursorDestroy(cursor);
    }
    RedisModule_CloseKey(k);
}

/* ------------------------------------------------------------------------ */
/* Check: tickets                                                            */
/* ------------------------------------------------------------------------ */

static void reportField(Check *c, const TicketView *v, const char *field,
                        RedisModuleString *value, const char *rule, const char *why) {
    Shown s = show(value);
    if (!value) report(c, 0, "ticket %lld: has no %s%s", v->tid, field, why);
    else report(c, 0, "ticket %lld: %s '%.*s' is not %s%s", v->tid, field, s.n, s.p, rule, why);
}

/* Fields REPAIR cannot invent; the ticket stays out of the queues while an
 * active (or unknown) status meets an unusable field. */
static void checkTicketFields(Check *c, const TicketView *v) {
    const char *why = v->active || !v->status_ok ? "; it is kept out of the queues" : "";
    char range[48];

    snprintf(range, sizeof(range), "an integer %d..%d", HD_PRIORITY_MIN, HD_PRIORITY_MAX);
    if (!v->status_ok)
        reportField(c, v, "status", v->status,
                    "one of open, in_progress, on_hold, closed, merged", why);
    if (!v->prio_ok) reportField(c, v, "priority", v->priority, range, why);
    if ((v->sla && !v->sla_ok) || (!v->sla && v->active))
        reportField(c, v, "sla_due_at", v->sla, "an integer", why);
    if ((v->category && !v->cat_ok) || (!v->category && v->active))
        reportField(c, v, "category", v->category, "a valid category name", why);
}

static void expectInQueue(Check *c, const TicketView *v, RedisModuleString *queue,
                          double want, const char *what) {
    double have;
    if (!hdZScore(c->hd, queue, v->member, &have))
        report(c, 1, "ticket %lld: missing from %s", v->tid, keyName(queue));
    else if (have != want)
        report(c, 1, "ticket %lld: score %.17g in %s, but %s gives %.17g",
               v->tid, have, keyName(queue), what, want);
}

/* D:queue:sla scores the earliest pending SLA due time (slametrics.c). */
static double slaScoreOf(Hd *hd, const TicketView *v) {
    SlaState s;
    if (!slaRead(hd, v->tid, &s)) return (double)v->sla_due;
    return slaQueueScore(&s);
}

/* Only the memberships a ticket must have; members that must not be there
 * are found from the queue's side (checkQueueMember). */
static void checkTicketQueues(Check *c, Scratch *sc, const TicketView *v) {
    Hd *hd = c->hd;
    if (!belongsInQueues(v)) return;
    expectInQueue(c, v, keep(sc, hdQueuePriorityKey(hd)), (double)v->prio, "priority");
    expectInQueue(c, v, keep(sc, hdQueueSlaKey(hd)), slaScoreOf(hd, v),
                  "the earliest pending SLA due time");
    if (v->agent) return;
    expectInQueue(c, v, routingKeyOf(hd, sc, v), queueRoutingScore(v->prio, v->tid),
                  "the routing order");
    expectInQueue(c, v, createdKeyOf(hd, sc, v), (double)v->tid, "the ticket id");
}

/* An active ticket with an SLA warning or breach to come is in D:sla:timer,
 * and one with none is not (slametrics.c). Its score follows the settings
 * of when it was scheduled, so only the membership is an invariant. */
static void checkTicketSla(Check *c, const TicketView *v) {
    Hd *hd = c->hd;
    DeskConfig cfg;
    SlaState s;
    double have;
    if (!belongsInQueues(v) || !hdTypeOk(hd, hdConfigKey(hd), REDISMODULE_KEYTYPE_HASH) ||
        !deskConfigLoad(hd, &cfg) || !slaRead(hd, v->tid, &s)) return;
    long long next = slaNextEvent(&cfg, &s);
    int in = hdZScore(hd, hdSlaTimerKey(hd), v->member, &have);
    if (next && !in)
        report(c, 1, "ticket %lld: missing from %.*s:sla:timer (next SLA event at %lld)",
               v->tid, (int)hd->dlen, hd->dname, next);
    else if (!next && in)
        report(c, 1, "ticket %lld: in %.*s:sla:timer with no SLA warning or breach to come",
               v->tid, (int)hd->dlen, hd->dname);
}

static void checkTicketAgent(Check *c, Scratch *sc, const TicketView *v) {
    Hd *hd = c->hd;
    Shown a = show(v->agent), st = show(v->status);
    RedisModuleString *open;

    if (!v->agent) return;
    if (v->status_ok && !v->active) {
        report(c, 1, "ticket %lld: %.*s but still has assigned_agent %.*s",
               v->tid, st.n, st.p, a.n, a.p);
        return;
    }
    if (!agentExists(hd, sc, v->agent)) {
        report(c, 1, "ticket %lld: assigned_agent %.*s does not exist", v->tid, a.n, a.p);
        return;
    }
    open = keep(sc, hdAgentOpenKey(hd, v->agent));
    if (!hdSIsMember(hd, open, v->member))
        report(c, 1, "ticket %lld: assigned_agent %.*s but ticket:%lld is not in %s",
               v->tid, a.n, a.p, v->tid, keyName(open));
}

static void checkTicketCustomer(Check *c, Scratch *sc, const TicketView *v) {
    Hd *hd = c->hd;
    RedisModuleString *set;
    Shown u = show(v->user);

    if (!v->user || !customerExists(hd, sc, v->user)) return;
    set = keep(sc, hdUserTicketsKey(hd, v->user));
    if (!hdSIsMember(hd, set, v->member))
        report(c, 1, "ticket %lld: customer %.*s exists but ticket:%lld is not in %s",
               v->tid, u.n, u.p, v->tid, keyName(set));
}

static void checkTicketMaster(Check *c, Scratch *sc, const TicketView *v) {
    Shown m = show(v->master);
    if (!strIs(v->status, "merged") || masterValid(c->hd, sc, v)) return;
    report(c, 1, "ticket %lld: merged into '%.*s', which is not another existing ticket "
           "(REPAIR reopens it)", v->tid, m.n, m.p);
}

static void countTicket(Check *c, const TicketView *v) {
    if (v->tid > c->max_tid) c->max_tid = v->tid;
    countField(c, "status", v->status);
    countField(c, "category", v->category);
}

static void checkTicket(Check *c, KeyInfo *ki) {
    Scratch sc;
    TicketView v;

    if (!firstVisit(c, ki->tid)) return;
    scratchInit(&sc, c->hd);
    if (viewTicket(c->hd, &sc, ki->tid, &v)) {
        countTicket(c, &v);
        checkTicketFields(c, &v);
        checkTicketQueues(c, &sc, &v);
        checkTicketSla(c, &v);
        checkTicketAgent(c, &sc, &v);
        checkTicketCustomer(c, &sc, &v);
        checkTicketMaster(c, &sc, &v);
    }
    scratchFree(&sc);
}

/* ------------------------------------------------------------------------ */
/* Check: queues                                                             */
/* ------------------------------------------------------------------------ */

/* Reports a queue member that must not be in that queue. */
static void checkQueueMember(Check *c, KeyInfo *ki, RedisModuleString *m) {
    Hd *hd = c->hd;
    const char *q = keyName(ki->key);
    Scratch sc;
    TicketView v;
    long long tid;
    Shown s = show(m);
    /* A creation-order queue holds exactly what its routing queue does. */
    int routing = ki->kind == K_QUEUE_ROUTING || ki->kind == K_QUEUE_CREATED;

    if (!parseTicketMember(m, &tid)) {
        report(c, 1, "%s: member '%.*s' is not ticket:<id>", q, s.n, s.p);
        return;
    }
    scratchInit(&sc, hd);
    if (!viewTicket(hd, &sc, tid, &v)) {
        report(c, 1, "%s: ticket %lld does not exist", q, tid);
    } else if (v.status_ok && !v.active) {
        Shown st = show(v.status);
        report(c, 1, "%s: ticket %lld is %.*s", q, tid, st.n, st.p);
    } else if (!belongsInQueues(&v)) {
        report(c, 1, "%s: ticket %lld has unusable fields and must not be queued", q, tid);
    } else if (routing && v.agent) {
        Shown a = show(v.agent);
        report(c, 1, "%s: ticket %lld is assigned to %.*s", q, tid, a.n, a.p);
    } else if (routing && slaIsRelaxed(hd, tid)) {
        /* Relaxed tickets wait in the general queue only (slaroute.c). */
        if (!(ki->idlen == 7 && !memcmp(ki->id, "general", 7)))
            report(c, 1, "%s: ticket %lld is relaxed and belongs in the general queue", q, tid);
    } else if (routing && !strEq(v.category, ki->id, ki->idlen)) {
        Shown cat = show(v.category);
        report(c, 1, "%s: ticket %lld has category %.*s", q, tid, cat.n, cat.p);
    }
    scratchFree(&sc);
}

/* Streams the sorted set with a range iterator; scores are checked from the
 * tickets' side. */
static void checkQueue(Check *c, KeyInfo *ki) {
    RedisModuleKey *k = RedisModule_OpenKey(c->hd->ctx, ki->key, REDISMODULE_READ);
    if (RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
                                          REDISMODULE_POSITIVE_INFINITE, 0, 0)
        == REDISMODULE_OK) {
        do {
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, NULL);
            if (!m) break;
            checkQueueMember(c, ki, m);
            RedisModule_FreeString(c->hd->ctx, m);
        } while (RedisModule_ZsetRangeNext(k));
        RedisModule_ZsetRangeStop(k);
    }
    RedisModule_CloseKey(k);
}

/* ------------------------------------------------------------------------ */
/* Check: agents and skills                                                  */
/* ------------------------------------------------------------------------ */

static void checkAgentsMember(Check *c, KeyInfo *ki, RedisModuleString *aid) {
    Scratch sc;
    Shown a = show(aid);
    scratchInit(&sc, c->hd);
    if (!agentExists(c->hd, &sc, aid))
        report(c, 1, "%s: agent %.*s has no hash", keyName(ki->key), a.n, a.p);
    scratchFree(&sc);
}

static void checkAgent(Check *c, KeyInfo *ki) {
    Hd *hd = c->hd;
    Scratch sc;
    RedisModuleString *aid, *load;
    long long open, n;
    Shown l;

    scratchInit(&sc, hd);
    aid = scratchStr(&sc, ki->id, ki->idlen);
    if (!hdSIsMember(hd, keep(&sc, hdAgentsKey(hd)), aid))
        report(c, 1, "agent %.*s: not in %.*s:agents", (int)ki->idlen, ki->id,
               (int)hd->dlen, hd->dname);
    open = hdSCard(hd, keep(&sc, hdAgentOpenKey(hd, aid)));
    load = readField(hd, &sc, ki->key, "load");
    l = show(load);
    if (!load || RedisModule_StringToLongLong(load, &n) != REDISMODULE_OK || n != open)
        report(c, 1, "agent %.*s: load %.*s but open_tickets has %lld", (int)ki->idlen,
               ki->id, load ? l.n : 7, load ? l.p : "missing", open);
    scratchFree(&sc);
}

static void checkAgentOpenMember(Check *c, KeyInfo *ki, RedisModuleString *m) {
    Scratch sc;
    TicketView v;
    long long tid;
    Shown s = show(m);

    if (!parseTicketMember(m, &tid)) {
        report(c, 1, "agent %.*s: open_tickets member '%.*s' is not ticket:<id>",
               (int)ki->idlen, ki->id, s.n, s.p);
        return;
    }
    scratchInit(&sc, c->hd);
    if (!viewTicket(c->hd, &sc, tid, &v)) {
        report(c, 1, "agent %.*s: open_tickets has ticket:%lld, which does not exist",
               (int)ki->idlen, ki->id, tid);
    } else if (!v.agent) {
        report(c, 1, "agent %.*s: open_tickets has ticket:%lld, which is unassigned",
               (int)ki->idlen, ki->id, tid);
    } else if (!strEq(v.agent, ki->id, ki->idlen)) {
        Shown a = show(v.agent);
        report(c, 1, "agent %.*s: open_tickets has ticket:%lld, whose assigned_agent is %.*s",
               (int)ki->idlen, ki->id, tid, a.n, a.p);
    }
    /* Assigned to this agent but closed/merged: reported from the ticket. */
    scratchFree(&sc);
}

static int agentOfKeyExists(Check *c, KeyInfo *ki) {
    Scratch sc;
    int exists;
    scratchInit(&sc, c->hd);
    exists = isHash(c->hd, keep(&sc, hdKey(c->hd, "agent:%.*s", (int)ki->idlen, ki->id)));
    scratchFree(&sc);
    return exists;
}

static void checkAgentOpen(Check *c, KeyInfo *ki) {
    if (!agentOfKeyExists(c, ki)) {
        report(c, 1, "%s exists but agent %.*s does not", keyName(ki->key),
               (int)ki->idlen, ki->id);
        return;
    }
    forEachMember(c, ki, checkAgentOpenMember);
}

static void checkAgentSkill(Check *c, KeyInfo *ki, RedisModuleString *skill) {
    Hd *hd = c->hd;
    Scratch sc;
    size_t len;
    const char *s = RedisModule_StringPtrLen(skill, &len);
    Shown sk = showBuf(s, len);
    RedisModuleString *index;

    if (!nameFits(hd, len)) {
        report(c, 0, "agent %.*s: skill '%.*s' is too long to have an index",
               (int)ki->idlen, ki->id, sk.n, sk.p);
        return;
    }
    scratchInit(&sc, hd);
    index = keep(&sc, hdSkillKey(hd, s, len));
    if (!hdSIsMember(hd, index, scratchStr(&sc, ki->id, ki->idlen)))
        report(c, 1, "agent %.*s: has skill %.*s but is not in %s",
               (int)ki->idlen, ki->id, sk.n, sk.p, keyName(index));
    scratchFree(&sc);
}

static void checkAgentSkills(Check *c, KeyInfo *ki) {
    forEachMember(c, ki, checkAgentSkill);
}

static void checkSkillMember(Check *c, KeyInfo *ki, RedisModuleString *aid) {
    Hd *hd = c->hd;
    Scratch sc;
    Shown a = show(aid);

    scratchInit(&sc, hd);
    if (!agentExists(hd, &sc, aid))
        report(c, 1, "%s: agent %.*s does not exist", keyName(ki->key), a.n, a.p);
    else if (!hdSIsMember(hd, keep(&sc, hdAgentSkillsKey(hd, aid)),
                          scratchStr(&sc, ki->id, ki->idlen)))
        report(c, 1, "%s: has agent %.*s, whose skills do not include %.*s",
               keyName(ki->key), a.n, a.p, (int)ki->idlen, ki->id);
    scratchFree(&sc);
}

static void checkSkillIndex(Check *c, KeyInfo *ki) {
    forEachMember(c, ki, checkSkillMember);
}

/* ------------------------------------------------------------------------ */
/* Check: customers                                                          */
/* ------------------------------------------------------------------------ */

/* The index must resolve to this customer; when it resolves to another one
 * with the same email, the lowest id keeps it (REPAIR cannot give both an
 * index). Indexes resolving to a wrong customer are reported from the
 * index's side (checkEmailIndex). */
static void checkCustomer(Check *c, KeyInfo *ki) {
    Hd *hd = c->hd;
    Scratch sc;
    char lower[HD_EMAIL_MAX + 1], other[HD_EMAIL_MAX + 1];
    RedisModuleString *raw, *index, *owner;
    int n, type;
    const char *o;
    size_t olen;

    scratchInit(&sc, hd);
    n = customerEmail(hd, &sc, ki->key, lower, sizeof(lower), &raw);
    if (n < 0) {
        Shown e = show(raw);
        report(c, 0, "customer %.*s: email '%.*s' cannot be indexed (missing, empty or "
               "longer than %d bytes)", (int)ki->idlen, ki->id, e.n, e.p, HD_EMAIL_MAX);
        goto done;
    }
    index = keep(&sc, hdEmailKey(hd, lower, (size_t)n));
    owner = readString(hd, &sc, index, &type);
    if (type == REDISMODULE_KEYTYPE_EMPTY) {
        report(c, 1, "customer %.*s: no index %s for its email", (int)ki->idlen, ki->id,
               keyName(index));
        goto done;
    }
    if (!owner || strEq(owner, ki->id, ki->idlen) || !customerExists(hd, &sc, owner))
        goto done;
    if (customerEmail(hd, &sc, keep(&sc, hdUserKey(hd, owner)), other, sizeof(other), NULL) != n ||
        memcmp(other, lower, (size_t)n) != 0)
        goto done;
    o = RedisModule_StringPtrLen(owner, &olen);
    if (uidLess(o, olen, ki->id, ki->idlen))
        report(c, 0, "customer %.*s: email %.*s is also used by customer %.*s, which keeps "
               "the index", (int)ki->idlen, ki->id, showBuf(lower, n).n, lower,
               showBuf(o, olen).n, o);
    else
        report(c, 1, "customer %.*s: email %.*s is also used by customer %.*s; the index "
               "must resolve to the lowest id, %.*s", (int)ki->idlen, ki->id,
               showBuf(lower, n).n, lower, showBuf(o, olen).n, o, (int)ki->idlen, ki->id);
done:
    scratchFree(&sc);
}

static void checkCustomerTicket(Check *c, KeyInfo *ki, RedisModuleString *m) {
    Scratch sc;
    TicketView v;
    long long tid;
    Shown s = show(m);

    if (!parseTicketMember(m, &tid)) {
        report(c, 1, "customer %.*s: tickets member '%.*s' is not ticket:<id>",
               (int)ki->idlen, ki->id, s.n, s.p);
        return;
    }
    scratchInit(&sc, c->hd);
    if (!viewTicket(c->hd, &sc, tid, &v)) {
        report(c, 1, "customer %.*s: tickets has ticket:%lld, which does not exist",
               (int)ki->idlen, ki->id, tid);
    } else if (!strEq(v.user, ki->id, ki->idlen)) {
        Shown u = show(v.user);
        report(c, 1, "customer %.*s: tickets has ticket:%lld, whose user_id is '%.*s'",
               (int)ki->idlen, ki->id, tid, u.n, u.p);
    }
    scratchFree(&sc);
}

static void checkCustomerTickets(Check *c, KeyInfo *ki) {
    Scratch sc;
    int exists;

    scratchInit(&sc, c->hd);
    exists = isHash(c->hd, keep(&sc, hdKey(c->hd, "user:%.*s", (int)ki->idlen, ki->id)));
    scratchFree(&sc);
    if (!exists) {
        report(c, 1, "%s exists but customer %.*s does not", keyName(ki->key),
               (int)ki->idlen, ki->id);
        return;
    }
    forEachMember(c, ki, checkCustomerTicket);
}

static void checkEmailIndex(Check *c, KeyInfo *ki) {
    Hd *hd = c->hd;
    Scratch sc;
    char lower[HD_EMAIL_MAX + 1];
    RedisModuleString *uid, *raw;
    Shown u;
    int type, n;

    scratchInit(&sc, hd);
    uid = readString(hd, &sc, ki->key, &type);
    u = show(uid);
    if (!uid) goto done;
    if (!customerExists(hd, &sc, uid)) {
        report(c, 1, "%s resolves to customer '%.*s', which does not exist",
               keyName(ki->key), u.n, u.p);
        goto done;
    }
    n = customerEmail(hd, &sc, keep(&sc, hdUserKey(hd, uid)), lower, sizeof(lower), &raw);
    if (n < 0 || (size_t)n != ki->idlen || memcmp(lower, ki->id, ki->idlen) != 0) {
        Shown e = show(raw);
        report(c, 1, "%s resolves to customer %.*s, whose email is '%.*s'",
               keyName(ki->key), u.n, u.p, e.n, e.p);
    }
done:
    scratchFree(&sc);
}

/* ------------------------------------------------------------------------ */
/* Check: stats                                                              */
/* ------------------------------------------------------------------------ */

static int isStatsField(const char *s, size_t len) {
    return (len > 7 && memcmp(s, "status:", 7) == 0) ||
           (len > 9 && memcmp(s, "category:", 9) == 0);
}

/* Fields for which no ticket exists must be absent or 0. */
static void checkStatsField(RedisModuleKey *key, RedisModuleString *field,
                            RedisModuleString *value, void *privdata) {
    Check *c = privdata;
    size_t len;
    long long n;
    const char *f = RedisModule_StringPtrLen(field, &len);
    Shown fs = showBuf(f, len), vs = show(value);

    if (!isStatsField(f, len) || RedisModule_DictGetC(c->counts, (void *)f, len, NULL))
        return;
    if (!value || RedisModule_StringToLongLong(value, &n) != REDISMODULE_OK || n != 0)
        report(c, 1, "%.*s:stats %.*s is %.*s, real count 0", (int)c->hd->dlen,
               c->hd->dname, fs.n, fs.p, vs.n, vs.p);
}

/* Every counted field must hold the real count. */
static void checkStatsCounts(Check *c, RedisModuleString *stats) {
    Scratch sc;
    RedisModuleDictIter *it = RedisModule_DictIteratorStartC(c->counts, "^", NULL, 0);
    char field[STATS_FIELD_MAX + 1];
    void *data;
    char *f;
    size_t len;

    while ((f = RedisModule_DictNextC(it, &len, &data)) != NULL) {
        long long want = (long long)(uintptr_t)data, have = 0;
        RedisModuleString *v;
        Shown vs;

        memcpy(field, f, len);
        field[len] = '\0';
        scratchInit(&sc, c->hd);
        v = readField(c->hd, &sc, stats, field);
        vs = show(v);
        if (!v || RedisModule_StringToLongLong(v, &have) != REDISMODULE_OK || have != want)
            report(c, 1, "%s %s is %.*s, real count %lld", keyName(stats), field,
                   v ? vs.n : 7, v ? vs.p : "missing", want);
        scratchFree(&sc);
    }
    RedisModule_DictIteratorStop(it);
}

static void checkStats(Check *c) {
    Hd *hd = c->hd;
    RedisModuleString *stats = hdStatsKey(hd);
    RedisModuleKey *k;
    int type = hdKeyType(hd, stats);

    if (type != REDISMODULE_KEYTYPE_EMPTY && type != REDISMODULE_KEYTYPE_HASH) return;
    checkStatsCounts(c, stats);
    k = RedisModule_OpenKey(hd->ctx, stats, REDISMODULE_READ);
    if (type == REDISMODULE_KEYTYPE_HASH) {
        RedisModuleScanCursor *cursor = RedisModule_ScanCursorCreate();
        while (RedisModule_ScanKey(k, cursor, checkStatsField, c)) {}
        RedisModule_ScanCursorDestroy(cursor);
    }
    RedisModule_CloseKey(k);
}

/* ------------------------------------------------------------------------ */
/* Check: one key                                                            */
/* ------------------------------------------------------------------------ */

/* The article before hdTypeName's word: "a hash", "of unknown type". */
static const char *typeArticle(int type) {
    return strcmp(hdTypeName(type), "unknown type") ? "a" : "of";
}

/* A skills set whose agent is gone is left over from a deleted agent. */
static int orphanSkills(Check *c, KeyInfo *ki) {
    return ki->kind == K_AGENT_SKILLS && !agentOfKeyExists(c, ki);
}

static void checkKey(Check *c, KeyInfo *ki) {
    int want = hdKindRules[ki->kind].type, have = hdKeyType(c->hd, ki->key);

    if (have == REDISMODULE_KEYTYPE_EMPTY) return;      /* expired meanwhile */
    if (orphanSkills(c, ki)) {
        report(c, 1, "%s exists but agent %.*s does not", keyName(ki->key),
               (int)ki->idlen, ki->id);
        return;
    }
    if (have != want) {
        int derived = hdKindRules[ki->kind].derived;
        report(c, derived, "%s is %s %s, not %s %s%s", keyName(ki->key), typeArticle(have),
               hdTypeName(have), typeArticle(want), hdTypeName(want),
               derived ? "" : "; fix or delete it by hand");
        return;
    }
    switch (ki->kind) {
    case K_TICKET: checkTicket(c, ki); break;
    case K_QUEUE_PRIORITY:
    case K_QUEUE_SLA:
    case K_QUEUE_ROUTING: checkQueue(c, ki); break;
    case K_QUEUE_CREATED: checkQueue(c, ki); break;
    case K_AGENTS: forEachMember(c, ki, checkAgentsMember); break;
    case K_AGENT: checkAgent(c, ki); break;
    case K_AGENT_OPEN: checkAgentOpen(c, ki); break;
    case K_AGENT_SKILLS: checkAgentSkills(c, ki); break;
    case K_SKILL: checkSkillIndex(c, ki); break;
    case K_USER: checkCustomer(c, ki); break;
    case K_USER_TICKETS: checkCustomerTickets(c, ki); break;
    case K_EMAIL_INDEX: checkEmailIndex(c, ki); break;
    default: break;         /* only the type is checked */
    }
}

/* D:seq:tickets must be a number, at least the highest ticket id: anything
 * else would let TICKET.CREATE hand out the id of an existing or deleted
 * ticket. Returns 1 when REPAIR has to set it to the highest id. */
static int seqNeedsRepair(Check *c, int do_report) {
    long long seq;
    RedisModuleString *key = hdKey(c->hd, "seq:tickets");
    if (hdKeyType(c->hd, key) != REDISMODULE_KEYTYPE_STRING &&
        hdKeyType(c->hd, key) != REDISMODULE_KEYTYPE_EMPTY) return 0;   /* type reported */
    if (!ticketSeqRead(c->hd, &seq)) {
        if (do_report) report(c, 1, "%s is not a ticket count (the highest ticket id is %lld)",
                              keyName(key), c->max_tid);
        return 1;
    }
    if (seq < c->max_tid) {
        if (do_report) report(c, 1, "%s is %lld, below the highest ticket id %lld",
                              keyName(key), seq, c->max_tid);
        return 1;
    }
    return 0;
}

static void runCheck(Check *c) {
    tallyReset(c);
    scanDesk(c, checkKey);
    checkStats(c);
    seqNeedsRepair(c, 1);
}

/* ------------------------------------------------------------------------ */
/* Repair                                                                    */
/* ------------------------------------------------------------------------ */

/* Phase 1: every derived key goes, and so do skills sets of deleted agents. */
static void deleteDerivedKey(Check *c, KeyInfo *ki) {
    if (hdKindRules[ki->kind].derived || orphanSkills(c, ki)) fxDel(c->hd, ki->key);
}

/* Bumps updated_at/version like any other change of the ticket and logs
 * why, so the change is visible to IFVERSION writers and in TICKET.LOG. */
static void noteTicketRepair(Hd *hd, Scratch *sc, TicketView *v, const char *why) {
    RedisModuleString *log = keep(sc, hdTicketLogKey(hd, v->tid));
    int type = hdKeyType(hd, log);
    fxHashSetC(hd, v->key, "updated_at", keep(sc, RedisModule_CreateStringFromLongLong(hd->ctx, hd->now)));
    fxHashIncr(hd, v->key, "version", 1);
    /* Only a list (or nothing) can take the entry; RPUSH on anything else
     * would fail here and on the replica. */
    if (type == REDISMODULE_KEYTYPE_EMPTY || type == REDISMODULE_KEYTYPE_LIST)
        ticketLog(hd, v->tid, "DESK.REPAIR: %s", why);
}

/* The ticket hash is the truth, except for two things no other key can
 * agree with, which are corrected in the hash itself:
 * - an assigned_agent on a closed/merged ticket, or naming an agent that
 *   does not exist, is removed (the ticket then waits in its routing queue);
 * - a merged ticket whose master is gone is reopened: its request was never
 *   answered on its own, and closing it would silently drop it, while "open"
 *   puts it back where an agent will see it. Its `master` field goes too. */
static void fixTicketHash(Check *c, Scratch *sc, TicketView *v) {
    Hd *hd = c->hd;
    char why[256];
    Shown a = show(v->agent), m = show(v->master);

    if (v->agent && ((v->status_ok && !v->active) || !agentExists(hd, sc, v->agent))) {
        snprintf(why, sizeof(why), "removed assigned_agent %.*s (%s)", a.n, a.p,
                 v->active || !v->status_ok ? "no such agent" : "ticket is not open");
        fxHashDel(hd, v->key, "assigned_agent");
        v->agent = NULL;
        noteTicketRepair(hd, sc, v, why);
    }
    if (strIs(v->status, "merged") && !masterValid(hd, sc, v)) {
        snprintf(why, sizeof(why), "reopened: master '%.*s' does not exist", m.n, m.p);
        v->status = scratchStr(sc, "open", 4);
        fxHashSetC(hd, v->key, "status", v->status);
        fxHashDel(hd, v->key, "master");
        v->master = NULL;
        deriveTicket(v);
        noteTicketRepair(hd, sc, v, why);
    }
}

/* Puts the ticket in every derived key it belongs to. */
static void placeTicket(Check *c, Scratch *sc, const TicketView *v) {
    Hd *hd = c->hd;

    if (belongsInQueues(v)) {
        /* queueAddActive's strings would stay in auto-memory per ticket. */
        fxZAdd(hd, keep(sc, hdQueuePriorityKey(hd)), (double)v->prio, v->member);
        fxZAdd(hd, keep(sc, hdQueueSlaKey(hd)), slaScoreOf(hd, v), v->member);
        /* D:sla:timer: the ticket's next SLA warning or breach. */
        slaSchedule(hd, NULL, v->tid);
        if (!v->agent) {
            fxZAdd(hd, routingKeyOf(hd, sc, v), queueRoutingScore(v->prio, v->tid), v->member);
            fxZAdd(hd, createdKeyOf(hd, sc, v), (double)v->tid, v->member);
        }
    }
    /* Kept assignments name an existing agent (fixTicketHash). */
    if (v->agent) fxSAdd(hd, keep(sc, hdAgentOpenKey(hd, v->agent)), v->member);
    if (v->user && customerExists(hd, sc, v->user))
        fxSAdd(hd, keep(sc, hdUserTicketsKey(hd, v->user)), v->member);
}

static void rebuildTicket(Check *c, KeyInfo *ki) {
    Scratch sc;
    TicketView v;

    if (!firstVisit(c, ki->tid)) return;
    scratchInit(&sc, c->hd);
    if (viewTicket(c->hd, &sc, ki->tid, &v)) {
        fixTicketHash(c, &sc, &v);
        placeTicket(c, &sc, &v);
        countTicket(c, &v);
    }
    scratchFree(&sc);
}

/* Every index key was deleted in phase 1, so an index present now was set by
 * another customer with the same email during this pass: the lowest id keeps
 * it, whatever order SCAN returns the customers in. */
static void rebuildEmailIndex(Check *c, KeyInfo *ki) {
    Hd *hd = c->hd;
    Scratch sc;
    char lower[HD_EMAIL_MAX + 1];
    RedisModuleString *index, *owner;
    size_t olen;
    const char *o;
    int n, type;

    scratchInit(&sc, hd);
    n = customerEmail(hd, &sc, ki->key, lower, sizeof(lower), NULL);
    if (n >= 0) {
        index = keep(&sc, hdEmailKey(hd, lower, (size_t)n));
        owner = readString(hd, &sc, index, &type);
        o = owner ? RedisModule_StringPtrLen(owner, &olen) : NULL;
        if (type == REDISMODULE_KEYTYPE_EMPTY ||
            (o && uidLess(ki->id, ki->idlen, o, olen)))
            fxSet(hd, index, scratchStr(&sc, ki->id, ki->idlen));
    }
    scratchFree(&sc);
}

static void addSkillIndex(Check *c, KeyInfo *ki, RedisModuleString *skill) {
    Scratch sc;
    size_t len;
    const char *s = RedisModule_StringPtrLen(skill, &len);

    if (!nameFits(c->hd, len)) return;
    scratchInit(&sc, c->hd);
    fxSAdd(c->hd, keep(&sc, hdSkillKey(c->hd, s, len)), scratchStr(&sc, ki->id, ki->idlen));
    scratchFree(&sc);
}

static void rebuildAgent(Check *c, KeyInfo *ki) {
    Hd *hd = c->hd;
    Scratch sc;
    KeyInfo skills = *ki;

    scratchInit(&sc, hd);
    fxSAdd(hd, keep(&sc, hdAgentsKey(hd)), scratchStr(&sc, ki->id, ki->idlen));
    skills.kind = K_AGENT_SKILLS;
    skills.key = keep(&sc, hdAgentSkillsKey(hd, scratchStr(&sc, ki->id, ki->idlen)));
    forEachMember(c, &skills, addSkillIndex);
    scratchFree(&sc);
}

/* Phase 2: the hashes rebuild the queues, sets and indexes. */
static void rebuildFromKey(Check *c, KeyInfo *ki) {
    if (hdKeyType(c->hd, ki->key) != REDISMODULE_KEYTYPE_HASH) return;
    switch (ki->kind) {
    case K_TICKET: rebuildTicket(c, ki); break;
    case K_USER: rebuildEmailIndex(c, ki); break;
    case K_AGENT: rebuildAgent(c, ki); break;
    default: break;
    }
}

/* Phase 3: loads, once every open_tickets set is complete. */
static void rebuildLoad(Check *c, KeyInfo *ki) {
    Hd *hd = c->hd;
    Scratch sc;
    RedisModuleString *load;
    long long n, open;

    if (ki->kind != K_AGENT || !isHash(hd, ki->key)) return;
    scratchInit(&sc, hd);
    open = hdSCard(hd, keep(&sc, hdAgentOpenKey(hd, scratchStr(&sc, ki->id, ki->idlen))));
    load = readField(hd, &sc, ki->key, "load");
    if (!load || RedisModule_StringToLongLong(load, &n) != REDISMODULE_OK || n != open)
        fxHashSetC(hd, ki->key, "load",
                   keep(&sc, RedisModule_CreateStringFromLongLong(hd->ctx, open)));
    scratchFree(&sc);
}

/* Phase 4: D:stats from the counts of phase 2 (zero counts stay absent). */
static void writeStats(Check *c) {
    Hd *hd = c->hd;
    RedisModuleString *stats = hdStatsKey(hd);
    RedisModuleDictIter *it = RedisModule_DictIteratorStartC(c->counts, "^", NULL, 0);
    char field[STATS_FIELD_MAX + 1];
    void *data;
    char *f;
    size_t len;

    while ((f = RedisModule_DictNextC(it, &len, &data)) != NULL) {
        memcpy(field, f, len);
        field[len] = '\0';
        fxHashSetLL(hd, stats, field, (long long)(uintptr_t)data);
    }
    RedisModule_DictIteratorStop(it);
}

static void runRepair(Check *c) {
    scanDesk(c, deleteDerivedKey);
    tallyReset(c);
    scanDesk(c, rebuildFromKey);
    scanDesk(c, rebuildLoad);
    writeStats(c);
    if (seqNeedsRepair(c, 0))
        fxSet(c->hd, hdKey(c->hd, "seq:tickets"),
              RedisModule_CreateStringFromLongLong(c->hd->ctx, c->max_tid));
}

/* ------------------------------------------------------------------------ */
/* The command                                                               */
/* ------------------------------------------------------------------------ */

static void replyReport(Check *c, int repaired) {
    RedisModuleCtx *ctx = c->hd->ctx;
    long long more = c->total - c->nkept;

    qsort(c->kept, (size_t)c->nkept, sizeof(c->kept[0]), violationCmp);
    RedisModule_ReplyWithArray(ctx, c->nkept + (more > 0 ? 1 : 0));
    for (int i = 0; i < c->nkept; i++) {
        if (!repaired) {
            RedisModule_ReplyWithString(ctx, c->kept[i].msg);
            continue;
        }
        RedisModuleString *line = RedisModule_CreateStringPrintf(ctx, "%s%s",
            c->kept[i].canfix ? "fixed: " : "cannot fix: ", keyName(c->kept[i].msg));
        RedisModule_ReplyWithString(ctx, line);
        RedisModule_FreeString(ctx, line);
    }
    if (more > 0) {
        char buf[64];
        int n = snprintf(buf, sizeof(buf), "... and %lld more", more);
        RedisModule_ReplyWithStringBuffer(ctx, buf, (size_t)n);
    }
}

static void checkFree(Hd *hd, Check *c) {
    RedisModule_FreeDict(hd->ctx, c->seen);
    RedisModule_FreeDict(hd->ctx, c->counts);
    RedisModule_Free(c);
}

/* DESK.CHECK D: a read, so it runs on read-only replicas. The rebuild is
 * DESK.REPAIR, a write command of its own (one flag per command). */
static int cmdDeskCheck(Hd *hd, RedisModuleString **argv, int argc) {
    Check *c;

    if (argc == 3 && hdArgIs(argv[2], "REPAIR"))
        return hdSyntax(hd, "DESK.CHECK only reads; to rebuild the derived keys run "
                        "DESK.REPAIR %.*s", (int)hd->dlen, hd->dname);
    if (argc != 2) return hdSyntax(hd, "syntax: DESK.CHECK desk");

    c = RedisModule_Calloc(1, sizeof(*c));
    c->hd = hd;
    runCheck(c);
    replyReport(c, 0);
    checkFree(hd, c);
    return REDISMODULE_OK;
}

/* DESK.REPAIR D */
static int cmdDeskRepair(Hd *hd, RedisModuleString **argv, int argc) {
    Check *c = RedisModule_Calloc(1, sizeof(*c));
    c->hd = hd;
    runCheck(c);
    /* Rebuilding rewrites every derived key: only worth it (and only
     * replicated) when something can actually be fixed. */
    if (c->fixable > 0) runRepair(c);
    replyReport(c, 1);
    checkFree(hd, c);
    return REDISMODULE_OK;
}

static RedisModuleCommandArg argsNone[] = { {0} };

HdCommand hdCheckCommands[] = {
    {"desk.check", cmdDeskCheck, "readonly", -2, 0,
     "Reports the desk's invariant violations (an empty array when consistent); only "
     "reads, so it runs on replicas",
     "O(N) where N is the number of keys of the desk: an admin command",
     argsNone, HD_ACCESS_ADMIN},  /* a read, but an O(desk) admin command */
    {"desk.repair", cmdDeskRepair, "write deny-oom", 2, 1,
     "Rebuilds the queues, agent sets and loads, skill and email indexes, customer "
     "ticket sets and stats from the hashes and reports what it fixed "
     "(\"fixed: ...\" / \"cannot fix: ...\")",
     "O(N) where N is the number of keys of the desk: an admin command", argsNone},
    {NULL}
};
