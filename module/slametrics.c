/* slametrics.c -- the three service-level metrics of a ticket (SPEC.md
 * section 11): first reply, next reply and resolution.
 *
 * Each metric has a clock start, a due time and an achievement time, kept in
 * the ticket hash (so replicas, the AOF and a module-less reader see them):
 *
 *   first_reply   start created_at,            due first_reply_due_at, achieved first_reply_at
 *   next_reply    start next_reply_started_at, due next_reply_due_at,  achieved next_reply_at
 *   resolution    start sla_started_at (else created_at), due sla_due_at, achieved closed_at
 *
 * plus sla_paused_at / sla_paused_ms (the resolution clock stopped while
 * on_hold, with sla-pause-on-hold yes) and the marks sla_breached and
 * sla_warned (metric names, space-separated). A metric without a target has
 * no due field. Due times are computed once, on the master, in the desk's
 * calendar (bizhours.c) and written as values.
 *
 * Two sorted sets follow from these fields:
 *   D:queue:sla  every active ticket, scored by its earliest pending due time
 *                (+inf when nothing is pending, e.g. paused with no reply due);
 *   D:sla:timer  the active tickets with a warning or breach still to mark,
 *                scored by when; the SLA timer (sla.c) reads it from the low
 *                end, so finding what is due costs O(log n) per ticket.
 * slaSchedule recomputes both for one ticket; queueAddActive and
 * queueRemoveActive call it, so every command that (re)activates or retires a
 * ticket keeps them right. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "helpdesk.h"

static const char *metricNames[SLA_METRICS] = { "first_reply", "next_reply", "resolution" };
static const char *dueFields[SLA_METRICS] = {
    "first_reply_due_at", "next_reply_due_at", "sla_due_at"
};

const char *slaMetricName(int m) { return metricNames[m]; }

/* ------------------------------------------------------------------------ */
/* Zones: parsed once per process, kept for every desk that names them       */
/* ------------------------------------------------------------------------ */

static RedisModuleDict *zones;      /* name -> HdTz* (NULL value = unusable) */

static HdTz *zoneLoad(const char *name, char *err, size_t errlen) {
    HdTz *tz = RedisModule_Alloc(sizeof(*tz));
    if (tzLoad(HD_ZONEINFO_DIR, name, tz, err, errlen) < 0) {
        RedisModule_Free(tz);
        return NULL;
    }
    return tz;
}

/* The zone of that name, or NULL for UTC (also when the file is unusable:
 * DESK.CONFIG SET refused such a name, so only a file removed since lands
 * here). */
const HdTz *slaZone(const char *name) {
    char err[160];
    int nokey = 0;
    size_t len = strlen(name);
    if (!strcmp(name, "UTC")) return NULL;
    if (!zones) zones = RedisModule_CreateDict(NULL);
    HdTz *tz = RedisModule_DictGetC(zones, (void *)name, len, &nokey);
    if (!nokey) return tz;
    tz = zoneLoad(name, err, sizeof(err));
    RedisModule_DictSetC(zones, (void *)name, len, tz);
    return tz;
}

int slaZoneCheck(const char *name, char *err, size_t errlen) {
    HdTz *tz;
    if (!strcmp(name, "UTC")) return 1;
    if (!(tz = zoneLoad(name, err, errlen))) return 0;
    RedisModule_Free(tz);
    return 1;
}

void slaZonesFree(void) {
    RedisModuleDictIter *it;
    HdTz *tz;
    if (!zones) return;
    it = RedisModule_DictIteratorStartC(zones, "^", NULL, 0);
    while (RedisModule_DictNextC(it, NULL, (void **)&tz)) if (tz) RedisModule_Free(tz);
    RedisModule_DictIteratorStop(it);
    RedisModule_FreeDict(NULL, zones);
    zones = NULL;
}

void slaCalendar(const DeskConfig *cfg, HdCalendar *cal) {
    memset(cal, 0, sizeof(*cal));
    cal->business = cfg->sla_business;
    cal->tz = slaZone(cfg->timezone);
    cal->hours = &cfg->hours;
    cal->holidays = cfg->holidays;
    cal->nholidays = cfg->nholidays;
}

/* The instant `ms` counted milliseconds after start. */
static long long addCounted(const DeskConfig *cfg, long long start, long long ms) {
    HdCalendar cal;
    slaCalendar(cfg, &cal);
    return calAdd(&cal, start, ms);
}

long long slaDueFrom(const DeskConfig *cfg, long long start, long long secs) {
    return addCounted(cfg, start, secs * 1000);
}

static long long counted(const DeskConfig *cfg, long long from, long long to) {
    HdCalendar cal;
    slaCalendar(cfg, &cal);
    return calElapsed(&cal, from, to);
}

/* ------------------------------------------------------------------------ */
/* Reading a ticket's SLA state                                              */
/* ------------------------------------------------------------------------ */

static long long toLL(RedisModuleString *s) {
    long long v = 0;
    if (s && RedisModule_StringToLongLong(s, &v) != REDISMODULE_OK) v = 0;
    return v;
}

/* "first_reply resolution" -> bit mask; unknown words are ignored. */
static int parseMarks(RedisModuleString *s) {
    int mask = 0;
    size_t len, i = 0;
    const char *p = s ? RedisModule_StringPtrLen(s, &len) : NULL;
    if (!p) return 0;
    while (i < len) {
        size_t j = i;
        while (j < len && p[j] != ' ') j++;
        for (int m = 0; m < SLA_METRICS; m++)
            if (strlen(metricNames[m]) == j - i && !memcmp(p + i, metricNames[m], j - i))
                mask |= 1 << m;
        i = j + 1;
    }
    return mask;
}

/* The ticket fields the SLA state is made of, by their index in SlaRead.v. */
enum {
    SF_STATUS, SF_PRIORITY, SF_CREATED_AT, SF_FR_DUE, SF_FR_AT, SF_NR_STARTED, SF_NR_DUE,
    SF_NR_AT, SF_SLA_STARTED, SF_SLA_DUE, SF_CLOSED_AT, SF_PAUSED_AT, SF_PAUSED_MS,
    SF_BREACHED, SF_WARNED, SF_LAST_MESSAGE_AT, SF_COUNT
};
static const struct { const char *name; size_t len; } slaFields[SF_COUNT] = {
#define F(s) { s, sizeof(s) - 1 }
    F("status"), F("priority"), F("created_at"), F("first_reply_due_at"),
    F("first_reply_at"), F("next_reply_started_at"), F("next_reply_due_at"),
    F("next_reply_at"), F("sla_started_at"), F("sla_due_at"), F("closed_at"),
    F("sla_paused_at"), F("sla_paused_ms"), F("sla_breached"), F("sla_warned"),
    F("last_message_at"),
#undef F
};

typedef struct SlaRead {
    RedisModuleString *v[SF_COUNT];     /* retained; NULL = absent */
} SlaRead;

static void slaReadField(RedisModuleKey *key, RedisModuleString *field,
                         RedisModuleString *value, void *privdata) {
    SlaRead *r = privdata;
    size_t len;
    const char *f = RedisModule_StringPtrLen(field, &len);
    for (int i = 0; i < SF_COUNT; i++) {
        if (slaFields[i].len != len || memcmp(slaFields[i].name, f, len)) continue;
        if (!r->v[i]) {
            RedisModule_RetainString(NULL, value);
            r->v[i] = value;
        }
        return;
    }
}

/* One pass over the ticket hash (ScanKey): a HashGet of the 16 fields
 * walked the hash once per field, and most of them are absent, which walks
 * it to the end (30k instructions of TICKET.CLOSE). */
int slaRead(Hd *hd, long long tid, SlaState *s) {
    SlaRead r;
    RedisModuleString **f = r.v;
    RedisModuleString *key = hdTicketKey(hd, tid);
    const HdHashRead *hr = hdHashRead(hd, key);
    memset(s, 0, sizeof(*s));
    s->tid = tid;
    memset(&r, 0, sizeof(r));
    if (hr) {
        /* The ticket was read whole already (ticketLoad) and not written. */
        if (hr->type != REDISMODULE_KEYTYPE_HASH) return 0;
        for (int i = 0; i < hr->n; i++) slaReadField(NULL, hr->f[i], hr->v[i], &r);
        if (hr->truncated)
            for (int i = 0; i < SF_COUNT; i++)
                if (!f[i]) {
                    f[i] = hdHashGet(hd, key, slaFields[i].name);
                    if (f[i]) RedisModule_RetainString(NULL, f[i]);
                }
    } else {
        RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
        if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) {
            RedisModule_CloseKey(k);
            return 0;
        }
        RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
        while (RedisModule_ScanKey(k, cur, slaReadField, &r));
        RedisModule_ScanCursorDestroy(cur);
        RedisModule_CloseKey(k);
    }
    size_t slen = 0;
    const char *st = f[SF_STATUS] ? RedisModule_StringPtrLen(f[SF_STATUS], &slen) : "";
    s->active = f[SF_STATUS] && !(slen == 6 && (!memcmp(st, "closed", 6) ||
                                                !memcmp(st, "merged", 6)));
    s->closed = slen == 6 && !memcmp(st, "closed", 6);
    s->on_hold = slen == 7 && !memcmp(st, "on_hold", 7);
    s->priority = f[SF_PRIORITY] ? toLL(f[SF_PRIORITY]) : 5;
    s->created_at = toLL(f[SF_CREATED_AT]);
    s->start[SLA_FIRST_REPLY] = s->created_at;
    s->due[SLA_FIRST_REPLY] = toLL(f[SF_FR_DUE]);
    s->at[SLA_FIRST_REPLY] = toLL(f[SF_FR_AT]);
    s->start[SLA_NEXT_REPLY] = toLL(f[SF_NR_STARTED]);
    s->due[SLA_NEXT_REPLY] = toLL(f[SF_NR_DUE]);
    s->at[SLA_NEXT_REPLY] = toLL(f[SF_NR_AT]);
    s->start[SLA_RESOLUTION] = f[SF_SLA_STARTED] ? toLL(f[SF_SLA_STARTED]) : s->created_at;
    s->due[SLA_RESOLUTION] = toLL(f[SF_SLA_DUE]);
    s->at[SLA_RESOLUTION] = s->closed ? toLL(f[SF_CLOSED_AT]) : 0;
    s->paused_at = toLL(f[SF_PAUSED_AT]);
    s->paused_ms = toLL(f[SF_PAUSED_MS]);
    s->breached = parseMarks(f[SF_BREACHED]);
    s->warned = parseMarks(f[SF_WARNED]);
    s->last_message_at = toLL(f[SF_LAST_MESSAGE_AT]);
    for (int i = 0; i < SF_COUNT; i++) if (f[i]) RedisModule_FreeString(NULL, f[i]);
    return 1;
}

/* A metric whose clock runs and whose target is not met yet. */
int slaPending(const SlaState *s, int m) {
    if (!s->active || !s->due[m] || s->at[m]) return 0;
    return m != SLA_RESOLUTION || !s->paused_at;
}

double slaQueueScore(const SlaState *s) {
    double best = INFINITY;
    for (int m = 0; m < SLA_METRICS; m++)
        if (slaPending(s, m) && (double)s->due[m] < best) best = (double)s->due[m];
    return best;
}

/* When sla-warn-percent of metric m's counted time will have elapsed. */
static long long warnAt(const DeskConfig *cfg, const SlaState *s, int m) {
    HdCalendar cal;
    long long pause = m == SLA_RESOLUTION ? s->paused_ms : 0, total;
    slaCalendar(cfg, &cal);
    total = calElapsed(&cal, s->start[m], s->due[m]) - pause;
    if (total <= 0) return s->due[m];
    return calAdd(&cal, s->start[m], total * cfg->sla_warn_percent / 100 + pause);
}

/* The next warning or breach to mark, 0 when none. */
long long slaNextEvent(const DeskConfig *cfg, const SlaState *s) {
    long long next = 0;
    for (int m = 0; m < SLA_METRICS; m++) {
        long long when = 0;
        if (!slaPending(s, m) || (s->breached & (1 << m))) continue;
        when = s->due[m];
        if (cfg->sla_warn_percent > 0 && !(s->warned & (1 << m))) {
            long long w = warnAt(cfg, s, m);
            if (w < when) when = w;
        }
        if (!next || when < next) next = when;
    }
    return next;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */
/* ------------------------------------------------------------------------ */

static void zsetTo(Hd *hd, RedisModuleString *key, RedisModuleString *member, int present,
                   double score) {
    double have;
    int found = hdZScore(hd, key, member, &have);
    if (present && (!found || have != score)) fxZAdd(hd, key, score, member);
    else if (!present && found) fxZRem(hd, key, member);
}

/* Scores ticket s->tid from a state that matches its hash. */
static void scheduleState(Hd *hd, const DeskConfig *cfg, const SlaState *s) {
    RedisModuleString *m = hdTicketMember(hd, s->tid);
    if (!s->active) {
        zsetTo(hd, hdQueueSlaKey(hd), m, 0, 0);
        zsetTo(hd, hdSlaTimerKey(hd), m, 0, 0);
        return;
    }
    zsetTo(hd, hdQueueSlaKey(hd), m, 1, slaQueueScore(s));
    long long next = slaNextEvent(cfg, s);
    zsetTo(hd, hdSlaTimerKey(hd), m, next != 0, (double)next);
}

void slaSchedule(Hd *hd, const DeskConfig *cfg, long long tid) {
    DeskConfig own;
    SlaState s;
    if (!cfg) {
        if (!deskConfigLoad(hd, &own)) return;
        cfg = &own;
    }
    if (!slaRead(hd, tid, &s)) s.active = 0;
    scheduleState(hd, cfg, &s);
}

/* A ticket just inserted (ticketInsert): its state is known, nothing is
 * queued yet, so nothing is read. cfg may be NULL (loaded here). */
void slaScheduleNew(Hd *hd, const DeskConfig *cfg, long long tid, long long priority,
                    long long first_reply_due, long long sla_due) {
    DeskConfig own;
    SlaState s;
    if (!cfg) {
        if (!deskConfigLoad(hd, &own)) return;
        cfg = &own;
    }
    memset(&s, 0, sizeof(s));
    s.tid = tid;
    s.active = 1;
    s.priority = priority;
    s.created_at = s.start[SLA_FIRST_REPLY] = s.start[SLA_RESOLUTION] = hd->now;
    s.due[SLA_FIRST_REPLY] = first_reply_due;
    s.due[SLA_RESOLUTION] = sla_due;
    RedisModuleString *m = hdTicketMember(hd, tid);
    fxZAdd(hd, hdQueueSlaKey(hd), slaQueueScore(&s), m);
    long long next = slaNextEvent(cfg, &s);
    if (next) fxZAdd(hd, hdSlaTimerKey(hd), (double)next, m);
}

static void writeMarks(Hd *hd, RedisModuleString *key, const char *field, int mask) {
    char buf[64];
    size_t off = 0;
    for (int m = 0; m < SLA_METRICS; m++)
        if (mask & (1 << m))
            off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", off ? " " : "",
                                    metricNames[m]);
    if (off) fxHashSetC(hd, key, field, RedisModule_CreateString(hd->ctx, buf, off));
    else fxHashDel(hd, key, field);
}

static void loadTicket(Hd *hd, long long tid, Ticket *t) {
    if (!ticketLoad(hd, tid, t)) memset(t, 0, sizeof(*t));
}

/* Marks metric m breached once: field, log, `sla_breach` event, report. */
void slaMarkBreach(Hd *hd, const DeskConfig *cfg, SlaState *s, int m) {
    Ticket t;
    char due[24], prio[24], agent[HD_ID_MAX + 1] = "";
    if (s->breached & (1 << m)) return;
    loadTicket(hd, s->tid, &t);
    s->breached |= 1 << m;
    writeMarks(hd, hdTicketKey(hd, s->tid), "sla_breached", s->breached);
    snprintf(due, sizeof(due), "%lld", s->due[m]);
    snprintf(prio, sizeof(prio), "%lld", s->priority);
    if (t.agent) snprintf(agent, sizeof(agent), "%s", RedisModule_StringPtrLen(t.agent, NULL));
    ticketLog(hd, s->tid, "sla breached: %s (due %lld)", metricNames[m], s->due[m]);
    eventEmit(hd, cfg, "sla_breach", s->tid, "metric", metricNames[m], "due", due,
              "priority", prio, agent[0] ? "agent" : NULL, agent, NULL);
    hdg.sla_breaches++;
    if (t.exists) reportBreach(hd, &t, s->due[m], m);
}

void slaMarkWarning(Hd *hd, const DeskConfig *cfg, SlaState *s, int m) {
    char due[24];
    if (s->warned & (1 << m)) return;
    s->warned |= 1 << m;
    writeMarks(hd, hdTicketKey(hd, s->tid), "sla_warned", s->warned);
    snprintf(due, sizeof(due), "%lld", s->due[m]);
    eventEmit(hd, cfg, "sla_warning", s->tid, "metric", metricNames[m], "due", due, NULL);
}

/* Clears the marks of metric m: a new clock (next reply cycle, reopen, a
 * due moved later) may warn and breach again. */
static void clearMarks(Hd *hd, SlaState *s, int m) {
    RedisModuleString *key = hdTicketKey(hd, s->tid);
    if (s->breached & (1 << m)) { s->breached &= ~(1 << m); writeMarks(hd, key, "sla_breached", s->breached); }
    if (s->warned & (1 << m)) { s->warned &= ~(1 << m); writeMarks(hd, key, "sla_warned", s->warned); }
}

/* Achieving m at `at`: late means breached, even when the timer has not
 * looked yet (an import, a stopped timer), so every breach is counted once. */
static void achieve(Hd *hd, const DeskConfig *cfg, SlaState *s, int m, long long at) {
    if (s->due[m] && at > s->due[m]) slaMarkBreach(hd, cfg, s, m);
    s->at[m] = at;
}

/* ------------------------------------------------------------------------ */
/* Hooks, called by the commands after validation                            */
/* ------------------------------------------------------------------------ */

long long slaFirstReplyDue(const DeskConfig *cfg, long long priority, long long created) {
    long long secs = deskTargetSeconds(cfg, SLA_FIRST_REPLY, priority);
    return secs > 0 ? slaDueFrom(cfg, created, secs) : 0;
}

/* Type checks of every key the SLA hooks of a message may write. Replies. */
int slaCheckKeys(Hd *hd, long long tid) {
    return hdCheckTypeOrReply(hd, hdQueueSlaKey(hd), REDISMODULE_KEYTYPE_ZSET) &&
           hdCheckTypeOrReply(hd, hdSlaTimerKey(hd), REDISMODULE_KEYTYPE_ZSET) &&
           hdCheckTypeOrReply(hd, hdSlaReassignKey(hd), REDISMODULE_KEYTYPE_ZSET) &&
           hdCheckTypeOrReply(hd, hdTicketLogKey(hd, tid), REDISMODULE_KEYTYPE_LIST) &&
           reportCheckKeys(hd, tid, hd->now);
}

/* TICKET.MSG: an agent's message achieves the pending first and next reply;
 * a customer's message after an agent reply starts a next-reply clock. */
void slaOnMessage(Hd *hd, const DeskConfig *cfg, Ticket *t, int from_agent) {
    SlaState s;
    RedisModuleString *key = t->key;
    if (!slaRead(hd, t->id, &s)) return;
    fxHashSetLL(hd, key, "last_message_at", hd->now);
    if (!s.active) return;
    if (from_agent) {
        /* A first-reply sample and late breaches: written together. */
        reportBegin(hd);
        if (!s.at[SLA_FIRST_REPLY]) {
            achieve(hd, cfg, &s, SLA_FIRST_REPLY, hd->now);
            fxHashSetLL(hd, key, "first_reply_at", hd->now);
            reportSample(hd, t, hd->now, "first_reply",
                         counted(cfg, s.created_at, hd->now));
        }
        if (s.due[SLA_NEXT_REPLY] && !s.at[SLA_NEXT_REPLY]) {
            achieve(hd, cfg, &s, SLA_NEXT_REPLY, hd->now);
            fxHashSetLL(hd, key, "next_reply_at", hd->now);
        }
        reportEnd(hd);
        fxHashSetLL(hd, key, "last_agent_reply_at", hd->now);
    } else if (s.at[SLA_FIRST_REPLY] && (!s.due[SLA_NEXT_REPLY] || s.at[SLA_NEXT_REPLY])) {
        long long secs = deskTargetSeconds(cfg, SLA_NEXT_REPLY, s.priority);
        if (secs > 0) {
            RedisModuleString *fv[4];
            clearMarks(hd, &s, SLA_NEXT_REPLY);
            fxHashDel(hd, key, "next_reply_at");
            fv[0] = RedisModule_CreateString(hd->ctx, "next_reply_started_at", 21);
            fv[1] = RedisModule_CreateStringFromLongLong(hd->ctx, hd->now);
            fv[2] = RedisModule_CreateString(hd->ctx, "next_reply_due_at", 17);
            long long due = slaDueFrom(cfg, hd->now, secs);
            fv[3] = RedisModule_CreateStringFromLongLong(hd->ctx, due);
            fxHashSet(hd, key, fv, 4);
            s.start[SLA_NEXT_REPLY] = hd->now;
            s.due[SLA_NEXT_REPLY] = due;
            s.at[SLA_NEXT_REPLY] = 0;
        }
    }
    scheduleState(hd, cfg, &s);
}

/* The resolution clock stops when an on-hold ticket pauses, and resumes
 * with the counted time it had left. Called after the status field moved. */
void slaOnStatus(Hd *hd, const DeskConfig *cfg, Ticket *t, const char *from, const char *to) {
    SlaState s;
    if (!slaRead(hd, t->id, &s)) return;
    if (!strcmp(to, "on_hold") && cfg->sla_pause_on_hold && !s.paused_at &&
        s.due[SLA_RESOLUTION]) {
        fxHashSetLL(hd, t->key, "sla_paused_at", hd->now);
        ticketLog(hd, t->id, "sla resolution clock paused");
    } else if (strcmp(to, "on_hold") != 0 && s.paused_at) {
        slaResume(hd, cfg, t, &s);
    }
    slaSchedule(hd, cfg, t->id);
}

/* Ends a pause: the due time moves by the counted time spent paused. */
void slaResume(Hd *hd, const DeskConfig *cfg, Ticket *t, SlaState *s) {
    long long due = s->due[SLA_RESOLUTION], spent = counted(cfg, s->paused_at, hd->now);
    RedisModuleString *fv[4];
    if (due > s->paused_at) due = addCounted(cfg, hd->now, counted(cfg, s->paused_at, due));
    fv[0] = RedisModule_CreateString(hd->ctx, "sla_paused_ms", 13);
    fv[1] = RedisModule_CreateStringFromLongLong(hd->ctx, s->paused_ms + spent);
    fv[2] = RedisModule_CreateString(hd->ctx, "sla_due_at", 10);
    fv[3] = RedisModule_CreateStringFromLongLong(hd->ctx, due);
    fxHashSet(hd, t->key, fv, 4);
    fxHashDel(hd, t->key, "sla_paused_at");
    s->paused_ms += spent;
    s->paused_at = 0;
    s->due[SLA_RESOLUTION] = due;
    t->sla_due_at = due;
    ticketLog(hd, t->id, "sla resolution clock resumed, due %lld", due);
}

/* Before a ticket closes: end a pause, mark a late resolution, count it. */
void slaOnClose(Hd *hd, const DeskConfig *cfg, Ticket *t) {
    SlaState s;
    if (!slaRead(hd, t->id, &s) || !s.active) return;
    if (s.paused_at) slaResume(hd, cfg, t, &s);
    achieve(hd, cfg, &s, SLA_RESOLUTION, hd->now);
    reportSample(hd, t, hd->now, "resolution",
                 counted(cfg, s.start[SLA_RESOLUTION], hd->now) - s.paused_ms);
}

/* A reopened ticket starts a new resolution clock (and a new next-reply
 * cycle with the customer's next message). Returns the new sla_due_at,
 * which the caller writes with the status. */
long long slaOnReopen(Hd *hd, const DeskConfig *cfg, Ticket *t) {
    SlaState s;
    if (slaRead(hd, t->id, &s)) {
        clearMarks(hd, &s, SLA_RESOLUTION);
        clearMarks(hd, &s, SLA_NEXT_REPLY);
    }
    fxHashDel(hd, t->key, "sla_paused_at");
    fxHashDel(hd, t->key, "sla_paused_ms");
    fxHashDel(hd, t->key, "next_reply_started_at");
    fxHashDel(hd, t->key, "next_reply_due_at");
    fxHashDel(hd, t->key, "next_reply_at");
    fxHashSetLL(hd, t->key, "sla_started_at", hd->now);
    return slaDueFrom(cfg, hd->now, deskSlaSeconds(cfg, t->priority));
}

/* TICKET.UPDATE priority: pending metrics get the new priority's targets,
 * counted from their own start. keep_resolution: the caller set sla_due_at. */
void slaOnPriority(Hd *hd, const DeskConfig *cfg, Ticket *t, long long prio,
                   int keep_resolution) {
    SlaState s;
    if (!slaRead(hd, t->id, &s) || !s.active) return;
    for (int m = 0; m < SLA_METRICS; m++) {
        long long secs, due;
        int running = m == SLA_FIRST_REPLY ? !s.at[m]
                    : m == SLA_NEXT_REPLY ? s.start[m] && !s.at[m] : !keep_resolution;
        if (!running) continue;
        secs = deskTargetSeconds(cfg, m, prio);
        if (secs <= 0) {
            if (m != SLA_RESOLUTION) fxHashDel(hd, t->key, dueFields[m]);
            continue;
        }
        due = addCounted(cfg, s.start[m], secs * 1000 + (m == SLA_RESOLUTION ? s.paused_ms : 0));
        if (due == s.due[m]) continue;
        fxHashSetLL(hd, t->key, dueFields[m], due);
        if (m == SLA_RESOLUTION) t->sla_due_at = due;
        if (due > hd->now) clearMarks(hd, &s, m);
    }
}

/* TICKET.UPDATE sla_due_at moved the resolution due by hand. */
void slaOnDueSet(Hd *hd, Ticket *t, long long due) {
    SlaState s;
    if (slaRead(hd, t->id, &s) && due > hd->now) clearMarks(hd, &s, SLA_RESOLUTION);
}

/* ------------------------------------------------------------------------ */
/* TICKET.SLA D tid                                                          */
/* ------------------------------------------------------------------------ */

static void replyTime(Hd *hd, const char *name, long long v) {
    RedisModule_ReplyWithCString(hd->ctx, name);
    if (v) RedisModule_ReplyWithLongLong(hd->ctx, v);
    else RedisModule_ReplyWithNull(hd->ctx);
}

static void replyInt(Hd *hd, const char *name, long long v) {
    RedisModule_ReplyWithCString(hd->ctx, name);
    RedisModule_ReplyWithLongLong(hd->ctx, v);
}

/* Counted ms metric m has run: from its start to its achievement (or now),
 * less the resolution's pauses. */
static long long elapsedOf(const DeskConfig *cfg, const SlaState *s, int m, long long now) {
    long long end = s->at[m] ? s->at[m] : now, e;
    if (!s->start[m]) return 0;
    if (m != SLA_RESOLUTION) return counted(cfg, s->start[m], end);
    if (s->paused_at && s->paused_at < end) end = s->paused_at;
    e = counted(cfg, s->start[m], end) - s->paused_ms;
    return e > 0 ? e : 0;
}

static int cmdTicketSla(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;
    SlaState s;

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    slaRead(hd, t.id, &s);
    RedisModule_ReplyWithMap(hd->ctx, SLA_METRICS);
    for (int m = 0; m < SLA_METRICS; m++) {
        RedisModule_ReplyWithCString(hd->ctx, metricNames[m]);
        RedisModule_ReplyWithMap(hd->ctx, 6);
        replyInt(hd, "target", deskTargetSeconds(&cfg, m, s.priority));
        replyTime(hd, "due_at", s.due[m]);
        replyTime(hd, "achieved_at", s.at[m]);
        replyInt(hd, "breached", (s.breached >> m) & 1);
        replyInt(hd, "paused", m == SLA_RESOLUTION && s.paused_at != 0);
        replyInt(hd, "elapsed", elapsedOf(&cfg, &s, m, hd->now));
    }
    return REDISMODULE_OK;
}

static RedisModuleCommandArg argsSla[] = {
    {.name = "tid", .type = REDISMODULE_ARG_TYPE_INTEGER}, {0}
};

HdCommand hdSlaCommands[] = {
    {"ticket.sla", cmdTicketSla, "readonly", 3, 0,
     "The ticket's service levels: per metric (first_reply, next_reply, resolution) the "
     "target, due_at, achieved_at, breached, paused and elapsed ms",
     "O(D) with D days between the clocks' start and now (business hours)", argsSla},
    {NULL}
};

/* AT (importing history) is for desk admins: with enforce-identity an agent
 * must not backdate its own replies. Replies DENIED and returns 0. */
int slaImportAllowed(Hd *hd, const char *command) {
    RedisModuleString *user;
    if (!hdg.enforce_identity) return 1;
    user = RedisModule_GetCurrentUserName(hd->ctx);
    if (!user || accessIsAdmin(hd, user)) return 1;
    hdError(hd, "DENIED", "%s ... AT imports history and needs a desk admin (see DESK.ADMIN)",
            command);
    return 0;
}
