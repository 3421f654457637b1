/* flood.c -- flash floods: master incidents and merging (automatic and
 * TICKET.MERGE). The signature lives in textsig.c, the window of recent
 * tickets in floodwin.c.
 *
 * Keys (the module's own, under D:flood:):
 *   D:flood:recent          the window (floodwin.c)
 *   D:flood:masters         HASH  <master tid> -> sketch hex of open incidents
 *                                 opened by detection
 *   D:flood:children:<tid>  SET   "ticket:<tid>" merged into master <tid>
 *
 * On TICKET.CREATE (flood-threshold > 0): a ticket alike an open incident is
 * merged into it at once. Otherwise the window is trimmed and the ticket
 * compared with the others still in it; when it and its alike active tickets
 * reach flood-threshold, a master incident is opened and all of them are
 * merged into it. Cost per create: O(T + M + P) for T bytes of text
 * (subject + at most FLOOD_BODY_MAX body bytes), M open incidents and P
 * entries in the index lists of the rarest half of the new sketch's hashes
 * (see floodwin.c; each list holds at most R <= FLOOD_RECENT_MAX tickets),
 * each comparison O(k), plus O(R) once after the in-memory copy of the
 * window was dropped.
 *
 * Closing a master closes its merged tickets; deleting a master reopens them
 * (open, unassigned, queued with their own SLA), the same as DESK.CHECK REPAIR
 * does for a merged ticket whose master is gone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpdesk.h"
#include "hd_people.h"
#include "hd_floodwin.h"

/* ------------------------------------------------------------------------ */
/* Keys and small helpers                                                    */
/* ------------------------------------------------------------------------ */

static int isMaster(const Ticket *t) {
    size_t len;
    const char *m = t->master ? RedisModule_StringPtrLen(t->master, &len) : NULL;
    return m && len == 4 && !memcmp(m, "self", 4);
}

/* The master id a merged (or once merged) ticket points at, else 0. */
static long long masterOf(const Ticket *t) {
    long long m;
    if (!t->master || isMaster(t) ||
        RedisModule_StringToLongLong(t->master, &m) != REDISMODULE_OK || m <= 0) return 0;
    return m;
}

/* Loads a ticket without replying: 0 when its key is not a hash. */
static int ticketLoadQuiet(Hd *hd, long long tid, Ticket *t) {
    if (!hdTypeOk(hd, hdTicketKey(hd, tid), REDISMODULE_KEYTYPE_HASH)) return 0;
    return ticketLoad(hd, tid, t);
}

/* The keys merging or reopening t writes (besides the desk-wide ones a
 * create has checked), tested without replying. */
static int ticketKeysQuiet(Hd *hd, const Ticket *t) {
    return queueRoutingTypeOk(hd, t->category, t->catlen) &&
           hdTypeOk(hd, hdTicketLogKey(hd, t->id), REDISMODULE_KEYTYPE_LIST) &&
           (!t->agent ||
            (hdTypeOk(hd, hdAgentKey(hd, t->agent), REDISMODULE_KEYTYPE_HASH) &&
             hdTypeOk(hd, hdAgentOpenKey(hd, t->agent), REDISMODULE_KEYTYPE_SET)));
}

static void moveStatus(Hd *hd, Ticket *t, const char *to) {
    statsMove(hd, "status", t->status, strlen(t->status), to, strlen(to));
    snprintf(t->status, sizeof(t->status), "%s", to);
}

/* ------------------------------------------------------------------------ */
/* Merging                                                                   */
/* ------------------------------------------------------------------------ */

/* Merges the active ticket t into master mtid: out of every queue, off its
 * agent (load adjusted), status merged, master=<mtid>, listed among the
 * master's children, logged, `merged` event. Keys were checked. */
static void mergeInto(Hd *hd, const DeskConfig *cfg, Ticket *t, long long mtid,
                      const char *reason) {
    RedisModuleString *fv[8];
    char from[16], agent[HD_ID_MAX + 1] = "", master[24];

    snprintf(from, sizeof(from), "%s", t->status);
    snprintf(master, sizeof(master), "%lld", mtid);
    if (t->agent) {
        snprintf(agent, sizeof(agent), "%s", RedisModule_StringPtrLen(t->agent, NULL));
        fxSRem(hd, hdAgentOpenKey(hd, t->agent), hdTicketMember(hd, t->id));
        fxHashIncr(hd, hdAgentKey(hd, t->agent), "load", -1);
        fxHashDel(hd, t->key, "assigned_agent");
        t->agent = NULL;
    } else {
        queueRemoveRouting(hd, t->id, t->category, t->catlen);
    }
    queueRemoveActive(hd, t->id);
    moveStatus(hd, t, "merged");
    fv[0] = RedisModule_CreateString(hd->ctx, "status", 6);
    fv[1] = RedisModule_CreateString(hd->ctx, "merged", 6);
    fv[2] = RedisModule_CreateString(hd->ctx, "master", 6);
    fv[3] = RedisModule_CreateString(hd->ctx, master, strlen(master));
    ticketWrite(hd, t, fv, 4);
    t->master = fv[3];
    fxSAdd(hd, hdFloodChildrenKey(hd, mtid), hdTicketMember(hd, t->id));
    if (agent[0]) ticketLog(hd, t->id, "merged into %lld (%s; was assigned to %s)",
                            mtid, reason, agent);
    else ticketLog(hd, t->id, "merged into %lld (%s)", mtid, reason);
    eventEmit(hd, cfg, "merged", t->id, "master", master, "from", from,
              "reason", reason, agent[0] ? "agent" : NULL, agent, NULL);
    hdg.tickets_merged++;
}

/* Children of master mtid, ascending ids. */
static size_t childIds(Hd *hd, long long mtid, long long **ids) {
    return hdSetTicketIds(hd, hdFloodChildrenKey(hd, mtid), ids);
}

/* Loads child cid of mtid; 1 only when it is still merged into mtid. */
static int loadMergedChild(Hd *hd, long long mtid, long long cid, Ticket *c) {
    return ticketLoadQuiet(hd, cid, c) && c->exists && !strcmp(c->status, "merged") &&
           masterOf(c) == mtid;
}

/* ------------------------------------------------------------------------ */
/* Master incidents                                                          */
/* ------------------------------------------------------------------------ */

/* Highest priority of the desk's active tickets (0 when none). */
static long long maxPriorityInUse(Hd *hd) {
    long long best = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdQueuePriorityKey(hd), REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET &&
        RedisModule_ZsetLastInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
                                         REDISMODULE_POSITIVE_INFINITE, 0, 0) == REDISMODULE_OK) {
        double score;
        if (!RedisModule_ZsetRangeEndReached(k)) {
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, &score);
            RedisModule_FreeString(hd->ctx, m);
            best = (long long)score;
        }
        RedisModule_ZsetRangeStop(k);
    }
    RedisModule_CloseKey(k);
    return best;
}

typedef struct Flood {
    Ticket *t;                  /* members, ascending ids (the new one last) */
    FloodMember **recent;       /* their D:flood:recent members (NULL: none) */
    int n;
} Flood;

/* Opens the master incident of a flood: a new open ticket with master=self,
 * the oldest ticket's subject and category, the desk's highest priority in
 * use, logged `incident` and announced by an `incident` event. */
static void openIncident(Hd *hd, const DeskConfig *cfg, const Flood *f, long long mid,
                         Ticket *m, const char *sighex, size_t siglen) {
    RedisModuleString *subject, *urgency = NULL;
    const Ticket *first = &f->t[0];
    long long prio = maxPriorityInUse(hd);
    double best = -1;

    for (int i = 0; i < f->n; i++) {
        RedisModuleString *u = hdHashGet(hd, f->t[i].key, "urgency");
        double d;
        if (f->t[i].priority > prio) prio = f->t[i].priority;
        if (u && RedisModule_StringToDouble(u, &d) == REDISMODULE_OK && d > best) {
            best = d;
            urgency = u;
        }
    }
    if (prio < HD_PRIORITY_MIN) prio = HD_PRIORITY_MIN;
    if (prio > HD_PRIORITY_MAX) prio = HD_PRIORITY_MAX;

    RedisModuleString *orig = hdHashGet(hd, first->key, "subject");
    size_t olen = 0;
    const char *os = orig ? RedisModule_StringPtrLen(orig, &olen) : "";
    size_t room = HD_SUBJECT_MAX - 10;          /* strlen("Incident: ") */
    subject = RedisModule_CreateStringPrintf(hd->ctx, "Incident: %.*s",
                                             (int)(olen > room ? room : olen), os);
    NewTicket nt = {
        .subject = subject,
        .body = RedisModule_CreateStringPrintf(hd->ctx, "Flash flood: %d similar tickets "
                    "within %lld s, merged into this incident.", f->n, cfg->flood_window),
        .urgency = urgency,
        .master = RedisModule_CreateString(hd->ctx, "self", 4),
        .priority = prio,
        .sla_due_at = hd->now + deskSlaSeconds(cfg, prio) * 1000,
        .category = first->category, .catlen = first->catlen,
    };
    ticketInsert(hd, mid, &nt, m);
    ticketLog(hd, m->id, "incident: flash flood of %d similar tickets (priority %lld, "
              "category %s)", f->n, prio, m->category);
    {
        char p[24], cnt[24];
        snprintf(p, sizeof(p), "%lld", prio);
        snprintf(cnt, sizeof(cnt), "%d", f->n);
        eventEmit(hd, cfg, "incident", m->id, "priority", p, "category", m->category,
                  "tickets", cnt, "reason", "flood", NULL);
    }
    fxHashSetC(hd, hdFloodMastersKey(hd), RedisModule_StringPtrLen(
                   RedisModule_CreateStringFromLongLong(hd->ctx, m->id), NULL),
               RedisModule_CreateString(hd->ctx, sighex, siglen));
    hdg.tickets_created++;
}

/* The open incident whose signature is alike sk: 0 when none. Entries whose
 * master is no longer open are dropped on the way. */
static long long findOpenMaster(Hd *hd, const Sketch *sk) {
    long long found = 0;
    RedisModuleString *stale[64], *mkey = hdFloodMastersKey(hd);
    int nstale = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, mkey, REDISMODULE_READ);
    int none = RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_EMPTY;

    RedisModule_CloseKey(k);
    if (none) return 0;             /* no incident open: the common case */
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, "HGETALL", "s", mkey);

    if (r && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_ARRAY) {
        size_t n = RedisModule_CallReplyLength(r);
        for (size_t i = 0; i + 1 < n; i += 2) {
            size_t flen, vlen;
            const char *f = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(r, i), &flen);
            const char *v = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(r, i + 1), &vlen);
            RedisModuleString *field = RedisModule_CreateString(hd->ctx, f, flen);
            long long mtid;
            Sketch msk;
            Ticket m;
            if (RedisModule_StringToLongLong(field, &mtid) != REDISMODULE_OK || mtid <= 0 ||
                !sketchFromHex(v, vlen, &msk)) {
                if (nstale < 64) stale[nstale++] = field;
                continue;
            }
            if ((found && mtid > found) || !sketchAlike(sk, &msk)) continue;
            /* Closing, deleting or merging a master removes its entry; this
             * only catches masters changed behind the module's back. */
            if (!ticketLoadQuiet(hd, mtid, &m) || !m.exists || !ticketIsActive(&m) ||
                !isMaster(&m)) {
                if (nstale < 64) stale[nstale++] = field;
                continue;
            }
            if (hdTypeOk(hd, hdFloodChildrenKey(hd, mtid), REDISMODULE_KEYTYPE_SET)) found = mtid;
        }
    }
    if (r) RedisModule_FreeCallReply(r);
    for (int i = 0; i < nstale; i++)
        fxHashDel(hd, mkey, RedisModule_StringPtrLen(stale[i], NULL));
    return found;
}

/* Collects into f the active tickets of the window alike sk. The tickets are
 * loaded (and must be active, with usable keys) only when there are enough
 * alike entries to reach the threshold, and entries of tickets that are gone
 * or no longer active are dropped then. */
static void collectAlike(Hd *hd, FloodWindow *c, RedisModuleString *rkey, const Sketch *sk,
                         long long self, long long threshold, Flood *f) {
    FloodMember **alike, **dead;
    int nalike = windowAlike(hd, c, sk, self, &alike), ndead = 0;

    f->n = 0;
    f->t = NULL;
    f->recent = NULL;
    if (nalike + 1 < threshold) return;

    /* one more for the new ticket */
    f->t = RedisModule_PoolAlloc(hd->ctx, (size_t)(nalike + 1) * sizeof(Ticket));
    f->recent = RedisModule_PoolAlloc(hd->ctx, (size_t)(nalike + 1) * sizeof(FloodMember *));
    dead = RedisModule_PoolAlloc(hd->ctx, (size_t)(nalike + 1) * sizeof(FloodMember *));
    for (int i = 0; i < nalike; i++) {
        Ticket *t = &f->t[f->n];
        if (!ticketLoadQuiet(hd, windowMemberTicket(alike[i]), t) || !t->exists || !ticketIsActive(t))
            dead[ndead++] = alike[i];
        else if (ticketKeysQuiet(hd, t))
            f->recent[f->n++] = alike[i];
    }
    for (int i = 0; i < ndead; i++) windowRemove(hd, c, rkey, dead[i]);
}

/* Scores order the window by time; ids order the flood. */
static void sortFlood(Flood *f) {
    for (int i = 1; i < f->n; i++) {
        Ticket t = f->t[i];
        FloodMember *m = f->recent[i];
        int j = i;
        for (; j > 0 && f->t[j - 1].id > t.id; j--) {
            f->t[j] = f->t[j - 1];
            f->recent[j] = f->recent[j - 1];
        }
        f->t[j] = t;
        f->recent[j] = m;
    }
}

/* ------------------------------------------------------------------------ */
/* Hooks called by ticket.c                                                  */
/* ------------------------------------------------------------------------ */

static void sketchOfTicket(RedisModuleString *subject, RedisModuleString *body, Sketch *sk) {
    size_t slen, blen = 0;
    const char *s = RedisModule_StringPtrLen(subject, &slen);
    const char *b = body ? RedisModule_StringPtrLen(body, &blen) : NULL;
    textSketch(s, slen, b, blen, sk);
}

int floodCheckKeys(Hd *hd) {
    return hdCheckTypeOrReply(hd, hdFloodRecentKey(hd), REDISMODULE_KEYTYPE_ZSET) &&
           hdCheckTypeOrReply(hd, hdFloodMastersKey(hd), REDISMODULE_KEYTYPE_HASH);
}

void floodOnCreate(Hd *hd, const DeskConfig *cfg, Ticket *t,
                   RedisModuleString *subject, RedisModuleString *body) {
    Sketch sk;
    char hex[FLOOD_SKETCH_K * 8 + 1];
    size_t hexlen;
    Flood f;
    Ticket m;

    slaNoteDesk(hd);
    if (cfg->flood_threshold <= 0) return;
    sketchOfTicket(subject, body, &sk);
    if (sk.n == 0) return;
    hexlen = sketchToHex(&sk, hex);

    long long mtid = findOpenMaster(hd, &sk);
    if (mtid) {
        mergeInto(hd, cfg, t, mtid, "flood");
        return;
    }

    RedisModuleString *rkey = hdFloodRecentKey(hd);
    FloodWindow *c = windowSync(hd, cfg, rkey);
    collectAlike(hd, c, rkey, &sk, t->id, cfg->flood_threshold, &f);
    long long mid = f.n + 1 >= cfg->flood_threshold ? nextTicketId(hd) : 0;
    if (!mid || !hdTypeOk(hd, hdFloodChildrenKey(hd, mid), REDISMODULE_KEYTYPE_SET) ||
        !hdTypeOk(hd, hdTicketLogKey(hd, mid), REDISMODULE_KEYTYPE_LIST)) {
        windowAdd(hd, c, rkey, t->id, &sk, hex, hexlen);
        windowRelease();
        return;
    }

    f.t[f.n] = *t;
    f.recent[f.n++] = NULL;
    sortFlood(&f);
    openIncident(hd, cfg, &f, mid, &m, hex, hexlen);
    for (int i = 0; i < f.n; i++) {
        if (f.recent[i]) windowRemove(hd, c, rkey, f.recent[i]);
        mergeInto(hd, cfg, &f.t[i], m.id, "flood");
        if (f.t[i].id == t->id) *t = f.t[i];
    }
    windowRelease();
    routingOffer(hd, cfg, &m, cfg->auto_route);
}

int floodCheckChildren(Hd *hd, Ticket *t) {
    long long *ids, mtid = masterOf(t);
    size_t n;

    if (!hdCheckTypeOrReply(hd, hdFloodRecentKey(hd), REDISMODULE_KEYTYPE_ZSET) ||
        !hdCheckTypeOrReply(hd, hdFloodMastersKey(hd), REDISMODULE_KEYTYPE_HASH) ||
        !hdCheckTypeOrReply(hd, hdFloodChildrenKey(hd, t->id), REDISMODULE_KEYTYPE_SET)) return 0;
    if (mtid && !hdCheckTypeOrReply(hd, hdFloodChildrenKey(hd, mtid), REDISMODULE_KEYTYPE_SET)) return 0;
    if (!isMaster(t)) return 1;
    /* Closing closes the children, deleting reopens them: both write their
     * hash, log and (reopen) routing queue. */
    n = childIds(hd, t->id, &ids);
    for (size_t i = 0; i < n; i++) {
        Ticket c;
        if (!hdCheckTypeOrReply(hd, hdTicketKey(hd, ids[i]), REDISMODULE_KEYTYPE_HASH) ||
            !ticketLoad(hd, ids[i], &c)) return 0;
        if (c.exists && !ticketCheckKeys(hd, &c)) return 0;
    }
    return 1;
}

/* A merged child closes with its master. */
static void closeChild(Hd *hd, const DeskConfig *cfg, Ticket *c, long long mtid) {
    RedisModuleString *fv[8];
    char master[24];

    snprintf(master, sizeof(master), "%lld", mtid);
    moveStatus(hd, c, "closed");
    fv[0] = RedisModule_CreateString(hd->ctx, "status", 6);
    fv[1] = RedisModule_CreateString(hd->ctx, "closed", 6);
    fv[2] = RedisModule_CreateString(hd->ctx, "closed_at", 9);
    fv[3] = RedisModule_CreateStringFromLongLong(hd->ctx, hd->now);
    ticketWrite(hd, c, fv, 4);
    ticketLog(hd, c->id, "closed with master %lld", mtid);
    eventEmit(hd, cfg, "closed", c->id, "from", "merged", "master", master, NULL);
    hdg.tickets_closed++;
}

typedef void (*ChildFn)(Hd *hd, const DeskConfig *cfg, Ticket *c, long long mtid);

/* t is leaving (closed or deleted). A merged ticket leaves its master's
 * list; a master hands each merged ticket to fn, then forgets its children
 * and its open-incident entry. */
static void releaseChildren(Hd *hd, const DeskConfig *cfg, Ticket *t, ChildFn fn) {
    long long *ids, mtid = masterOf(t);

    windowForgetTicket(hd, t);
    if (mtid) {
        fxSRem(hd, hdFloodChildrenKey(hd, mtid), hdTicketMember(hd, t->id));
        return;
    }
    if (!isMaster(t)) return;
    size_t n = childIds(hd, t->id, &ids);
    for (size_t i = 0; i < n; i++) {
        Ticket c;
        if (loadMergedChild(hd, t->id, ids[i], &c)) fn(hd, cfg, &c, t->id);
    }
    fxDel(hd, hdFloodChildrenKey(hd, t->id));
    fxHashDel(hd, hdFloodMastersKey(hd), RedisModule_StringPtrLen(
                  RedisModule_CreateStringFromLongLong(hd->ctx, t->id), NULL));
}

void floodOnMasterClosed(Hd *hd, const DeskConfig *cfg, Ticket *t) {
    releaseChildren(hd, cfg, t, closeChild);
}

/* A merged child whose master is deleted goes back to work: open,
 * unassigned, queued with its own SLA, master field removed. */
static void reopenChild(Hd *hd, const DeskConfig *cfg, Ticket *c, long long mtid) {
    RedisModuleString *fv[6];

    moveStatus(hd, c, "open");
    fxHashDel(hd, c->key, "master");
    c->master = NULL;
    fv[0] = RedisModule_CreateString(hd->ctx, "status", 6);
    fv[1] = RedisModule_CreateString(hd->ctx, "open", 4);
    ticketWrite(hd, c, fv, 2);
    queueAddActive(hd, c->id, c->priority, c->sla_due_at);
    queueAddRouting(hd, c->id, c->category, c->catlen, c->priority);
    ticketLog(hd, c->id, "reopened: master %lld was deleted", mtid);
    eventEmit(hd, cfg, "reopened", c->id, "reason", "master deleted", NULL);
    routingOffer(hd, cfg, c, cfg->auto_route);
}

void floodOnDelete(Hd *hd, const DeskConfig *cfg, Ticket *t) {
    releaseChildren(hd, cfg, t, reopenChild);
}

/* ------------------------------------------------------------------------ */
/* TICKET.MERGE D tid INTO master                                            */
/* ------------------------------------------------------------------------ */

static int loadForMerge(Hd *hd, RedisModuleString *arg, Ticket *t, const char *what) {
    long long tid;
    if (!hdArgTicketIdOrReply(hd, arg, &tid) || !ticketLoad(hd, tid, t)) return 0;
    if (!t->exists)
        return hdError(hd, "NOTFOUND", "%s %lld does not exist on desk '%.*s'", what, tid,
                       (int)hd->dlen, hd->dname), 0;
    return 1;
}

/* Validates moving the children of master t (being merged into another
 * master) and loads them into *kids. */
static int checkChildrenMove(Hd *hd, Ticket *t, Ticket **kids, size_t *nkids) {
    long long *ids;
    size_t n = childIds(hd, t->id, &ids), k = 0;

    *kids = n ? RedisModule_PoolAlloc(hd->ctx, n * sizeof(Ticket)) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (!hdCheckTypeOrReply(hd, hdTicketKey(hd, ids[i]), REDISMODULE_KEYTYPE_HASH) ||
            !ticketLoad(hd, ids[i], &(*kids)[k])) return 0;
        Ticket *c = &(*kids)[k];
        if (!c->exists || strcmp(c->status, "merged") || masterOf(c) != t->id) continue;
        if (!hdCheckTypeOrReply(hd, hdTicketLogKey(hd, c->id), REDISMODULE_KEYTYPE_LIST))
            return 0;
        k++;
    }
    *nkids = k;
    return 1;
}

/* A merged ticket of master `from` now belongs to master `to`. */
static void moveChild(Hd *hd, const DeskConfig *cfg, Ticket *c, long long from, long long to) {
    RedisModuleString *fv[6];
    char master[24];
    snprintf(master, sizeof(master), "%lld", to);
    fv[0] = RedisModule_CreateString(hd->ctx, "master", 6);
    fv[1] = RedisModule_CreateString(hd->ctx, master, strlen(master));
    ticketWrite(hd, c, fv, 2);
    fxSAdd(hd, hdFloodChildrenKey(hd, to), hdTicketMember(hd, c->id));
    ticketLog(hd, c->id, "merged into %lld (its master %lld was merged into it)", to, from);
    eventEmit(hd, cfg, "merged", c->id, "master", master, "from", "merged",
              "reason", "master merged", NULL);
}

static int cmdTicketMerge(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t, m, *kids = NULL;
    size_t nkids = 0;

    if (!hdArgIs(argv[3], "INTO"))
        return hdSyntax(hd, "unexpected argument '%s'; TICKET.MERGE desk tid INTO master",
                        RedisModule_StringPtrLen(argv[3], NULL));
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!loadForMerge(hd, argv[2], &t, "ticket") ||
        !loadForMerge(hd, argv[4], &m, "master ticket")) return REDISMODULE_OK;
    if (t.id == m.id)
        return hdError(hd, "INVALID", "ticket %lld cannot be merged into itself", t.id);
    if (!ticketIsActive(&t))
        return hdError(hd, "STATE", "ticket %lld is %s; only open, in_progress or on_hold "
                       "tickets can be merged", t.id, t.status);
    if (!ticketIsActive(&m))
        return hdError(hd, "STATE", "master ticket %lld is %s; merge into an active ticket",
                       m.id, m.status);
    if (!ticketCheckKeys(hd, &t) || !ticketCheckKeys(hd, &m) ||
        (t.agent && !agentCheckKeys(hd, t.agent)) ||
        !floodCheckKeys(hd) ||
        !hdCheckTypeOrReply(hd, hdFloodChildrenKey(hd, m.id), REDISMODULE_KEYTYPE_SET) ||
        !hdCheckTypeOrReply(hd, hdFloodChildrenKey(hd, t.id), REDISMODULE_KEYTYPE_SET)) return REDISMODULE_OK;
    if (isMaster(&t) && !checkChildrenMove(hd, &t, &kids, &nkids)) return REDISMODULE_OK;

    slaNoteDesk(hd);
    if (!isMaster(&m)) {
        RedisModuleString *fv[6];
        fv[0] = RedisModule_CreateString(hd->ctx, "master", 6);
        fv[1] = RedisModule_CreateString(hd->ctx, "self", 4);
        ticketWrite(hd, &m, fv, 2);
        m.master = fv[1];
        ticketLog(hd, m.id, "incident (ticket %lld merged into it by hand)", t.id);
        eventEmit(hd, &cfg, "incident", m.id, "tickets", "1", "reason", "manual", NULL);
    }
    if (isMaster(&t)) {
        for (size_t i = 0; i < nkids; i++) moveChild(hd, &cfg, &kids[i], t.id, m.id);
        fxDel(hd, hdFloodChildrenKey(hd, t.id));
        fxHashDel(hd, hdFloodMastersKey(hd), RedisModule_StringPtrLen(
                      RedisModule_CreateStringFromLongLong(hd->ctx, t.id), NULL));
    }
    windowForgetTicket(hd, &t);
    mergeInto(hd, &cfg, &t, m.id, "manual");
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

static RedisModuleCommandArg argsMerge[] = {
    {.name = "tid", .type = REDISMODULE_ARG_TYPE_INTEGER},
    {.name = "master", .type = REDISMODULE_ARG_TYPE_INTEGER, .token = "INTO"},
    {0}
};

HdCommand hdFloodCommands[] = {
    {"ticket.merge", cmdTicketMerge, "write deny-oom", 5, 1,
     "Merge an active ticket into a master incident: out of every queue and off its "
     "agent, status merged, closed together with the master",
     "O(log N), plus O(C) when the merged ticket is itself a master with C merged tickets",
     argsMerge},
    {NULL}
};
