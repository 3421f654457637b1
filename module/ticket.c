/* ticket.c -- the TICKET.* commands: create, read, update, status, assign,
 * unassign, close, reopen, delete, log, note, and the read-only views
 * PEEK, COUNTS and OVERDUE. The record primitives they use are in record.c;
 * the flood and routing hooks of a command are called here.
 *
 * The ticket hash D:ticket:<tid> is the truth; the queues, the agent's
 * open_tickets set and load, the customer's ticket set and D:stats are
 * derived from it and changed in the same command, so no client ever sees
 * them disagree (SPEC.md section 8). Each handler validates everything, then
 * writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "helpdesk.h"

static const char *statusNames[] = {
    "open", "in_progress", "on_hold", "closed", "merged", NULL
};

static int validStatus(const char *s) {
    for (int i = 0; statusNames[i]; i++) if (!strcmp(statusNames[i], s)) return 1;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* TICKET.CREATE D subject [BODY text] [CUSTOMER uid] [PRIORITY p]            */
/*               [CATEGORY c] [SLA seconds]                                  */
/* ------------------------------------------------------------------------ */

typedef struct CreateArgs {
    RedisModuleString *subject, *body, *customer;
    long long priority, sla_secs, at;           /* at: -1 = now */
    char category[33];
    size_t catlen;
    int route;
} CreateArgs;

static int parseCategoryArg(Hd *hd, const DeskConfig *cfg, RedisModuleString *arg,
                            char *out, size_t *outlen) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(arg, &len);
    if (len > 32 || hdLower(s, len, out, 33) < 0 || !hdValidCategory(out, len)) {
        hdError(hd, "INVALID", "category must be 1-32 bytes of [a-z0-9_-], got '%.*s'",
                (int)(len > 40 ? 40 : len), s);
        return 0;
    }
    if (!deskCategoryKnown(cfg, out, len)) {
        hdError(hd, "INVALID", "unknown category '%s'; the desk's categories are set "
                "with DESK.CONFIG SET desk categories", out);
        return 0;
    }
    *outlen = len;
    return 1;
}

static int parseCreate(Hd *hd, const DeskConfig *cfg, RedisModuleString **argv,
                       int argc, CreateArgs *a) {
    memset(a, 0, sizeof(*a));
    a->subject = argv[2];
    a->priority = 0;
    a->at = -1;
    if (!hdArgTextOrReply(hd, a->subject, "subject", HD_SUBJECT_MAX, 0)) return 0;
    unsigned seen = 0;
    for (int i = 3; i < argc; i++) {
        if (hdArgIs(argv[i], "BODY")) {
            if (!hdOptionValue(hd, &seen, 1, argv, argc, i, "a text")) return 0;
            a->body = argv[++i];
            if (!hdArgTextOrReply(hd, a->body, "body", (size_t)hdg.max_text, 1)) return 0;
        } else if (hdArgIs(argv[i], "CUSTOMER")) {
            if (!hdOptionValue(hd, &seen, 2, argv, argc, i, "a customer id")) return 0;
            a->customer = argv[++i];
        } else if (hdArgIs(argv[i], "PRIORITY")) {
            if (!hdOptionValue(hd, &seen, 4, argv, argc, i, "a number")) return 0;
            if (!hdArgLongLongOrReply(hd, argv[++i], "PRIORITY", HD_PRIORITY_MIN,
                               HD_PRIORITY_MAX, &a->priority)) return 0;
        } else if (hdArgIs(argv[i], "CATEGORY")) {
            if (!hdOptionValue(hd, &seen, 8, argv, argc, i, "a category")) return 0;
            if (!parseCategoryArg(hd, cfg, argv[++i], a->category, &a->catlen)) return 0;
        } else if (hdArgIs(argv[i], "SLA")) {
            if (!hdOptionValue(hd, &seen, 16, argv, argc, i, "a number of seconds")) return 0;
            if (!hdArgLongLongOrReply(hd, argv[++i], "SLA seconds", 1, 10LL * 365 * 86400,
                               &a->sla_secs)) return 0;
        } else if (hdArgIs(argv[i], "ROUTE")) {
            if (!hdOptionOnce(hd, &seen, 32, argv[i])) return 0;
            a->route = 1;
        } else if (hdArgIs(argv[i], "AT")) {
            if (!hdOptionValue(hd, &seen, 64, argv, argc, i, "a time in Unix ms")) return 0;
            if (!hdArgLongLongOrReply(hd, argv[++i], "AT (Unix ms, not in the future)", 0, hd->now,
                               &a->at)) return 0;
        } else {
            hdSyntax(hd, "unexpected argument '%s'; TICKET.CREATE desk subject [BODY text] "
                     "[CUSTOMER uid] [PRIORITY p] [CATEGORY c] [SLA seconds] [ROUTE] [AT ms]",
                     RedisModule_StringPtrLen(argv[i], NULL));
            return 0;
        }
    }
    return 1;
}

/* SPEC section 3: the text is classified when CATEGORY or PRIORITY is not
 * given; the result only fills what is missing. With both given the caller
 * has decided, so there is no urgency (and no alert) and no classifier cost. */
static void classifyCreate(Hd *hd, const DeskConfig *cfg, CreateArgs *a, Classification *c) {
    if (a->catlen && a->priority) {
        memset(c, 0, sizeof(*c));
        c->urgency = -1;
    } else {
        classifyText(hd, cfg, a->subject, a->body, c);
    }
    if (!a->catlen) {
        memcpy(a->category, c->category, c->catlen + 1);
        a->catlen = c->catlen;
    }
    if (!a->priority) a->priority = c->priority;
    if (!a->sla_secs) a->sla_secs = deskSlaSeconds(cfg, a->priority);
}

static int cmdTicketCreate(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    CreateArgs a;
    Ticket t;

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!parseCreate(hd, &cfg, argv, argc, &a)) return REDISMODULE_OK;
    if (a.customer) {
        size_t ulen;
        const char *u = RedisModule_StringPtrLen(a.customer, &ulen);
        if (!hdValidId(u, ulen) || !hdKeyExists(hd, hdUserKey(hd, a.customer)))
            return hdError(hd, "NOTFOUND", "customer '%.*s' does not exist; create it "
                           "with CUSTOMER.CREATE", (int)(ulen > 64 ? 64 : ulen), u);
        if (!hdCheckTypeOrReply(hd, hdUserKey(hd, a.customer), REDISMODULE_KEYTYPE_HASH) ||
            !hdCheckTypeOrReply(hd, hdUserTicketsKey(hd, a.customer), REDISMODULE_KEYTYPE_SET))
            return REDISMODULE_OK;
    }
    /* Classified once the customer is known to exist: the routing queue to
     * check below depends on the category. */
    Classification cls;
    classifyCreate(hd, &cfg, &a, &cls);
    memset(&t, 0, sizeof(t));
    if (!hdCheckTypeOrReply(hd, hdSeqTicketsKey(hd), REDISMODULE_KEYTYPE_STRING))
        return REDISMODULE_OK;
    long long seq;
    /* A damaged counter would hand out the ids of deleted tickets again. */
    if (!ticketSeqRead(hd, &seq))
        return hdError(hd, "INVALID", "%.*s:seq:tickets is not a ticket count; run "
                       "DESK.CHECK %.*s REPAIR to restore it from the highest ticket id",
                       (int)hd->dlen, hd->dname, (int)hd->dlen, hd->dname);
    t.id = nextTicketId(hd);
    if (!t.id)
        return hdError(hd, "INVALID", "no ticket id left: ids end at %lld and "
                       "%.*s:seq:tickets is past it", TICKET_ID_LIMIT - 1,
                       (int)hd->dlen, hd->dname);
    t.key = hdTicketKey(hd, t.id);
    memcpy(t.category, a.category, a.catlen + 1);
    t.catlen = a.catlen;
    t.priority = a.priority;
    strcpy(t.status, "open");
    if (a.at >= 0 && !slaImportAllowed(hd, "TICKET.CREATE")) return REDISMODULE_OK;
    /* An import happens at its own time: created_at, the log, the events and
     * the SLA clocks all start at AT. */
    if (a.at >= 0) hd->now = a.at;
    if (!ticketCheckKeys(hd, &t) || !floodCheckKeys(hd)) return REDISMODULE_OK;

    /* Writes start here. */
    NewTicket nt = {
        .subject = a.subject, .body = a.body, .customer = a.customer,
        .urgency = cls.urgency >= 0
                   ? RedisModule_CreateStringPrintf(hd->ctx, "%.3f", cls.urgency) : NULL,
        .priority = a.priority, .sla_due_at = slaDueFrom(&cfg, hd->now, a.sla_secs),
        .first_reply_due_at = slaFirstReplyDue(&cfg, a.priority, hd->now),
        .cfg = &cfg,
        .category = a.category, .catlen = a.catlen,
    };
    ticketInsert(hd, t.id, &nt, &t);
    ticketLog(hd, t.id, "created (priority %lld, category %s)", a.priority, a.category);
    {
        char prio[24];
        hdFormatLL(prio, a.priority);
        eventEmit(hd, &cfg, "created", t.id, "priority", prio, "category", a.category, NULL);
    }
    hdg.tickets_created++;
    reportCount(hd, &t, hd->now, "created");
    alertMaybe(hd, &cfg, &t, a.subject, &cls);
    /* Imported history is not a flood happening now. */
    if (a.at < 0) floodOnCreate(hd, &cfg, &t, a.subject, a.body);
    routingOffer(hd, &cfg, &t, a.route || cfg.auto_route);
    return RedisModule_ReplyWithLongLong(hd->ctx, t.id);
}

/* ------------------------------------------------------------------------ */
/* TICKET.GET D tid                                                          */
/* ------------------------------------------------------------------------ */

static int cmdTicketGet(Hd *hd, RedisModuleString **argv, int argc) {
    long long tid;
    if (!hdArgTicketIdOrReply(hd, argv[2], &tid)) return REDISMODULE_OK;
    ticketReply(hd, tid);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* IFVERSION                                                                 */
/* ------------------------------------------------------------------------ */

static int versionMatchesOrReply(Hd *hd, const Ticket *t, long long want) {
    if (want >= 0 && want != t->version) {
        hdError(hd, "CONFLICT", "ticket %lld is at version %lld, not %lld; re-read it "
                "and retry", t->id, t->version, want);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* TICKET.UPDATE D tid field value [field value ...] [IFVERSION v]           */
/* ------------------------------------------------------------------------ */

typedef struct UpdateArgs {
    RedisModuleString *subject, *body;
    long long priority, sla_due_at, ifversion;
    char category[33];
    size_t catlen;
} UpdateArgs;

/* One bit per TICKET.UPDATE field (and IFVERSION); unknown names share 0,
 * which is never "seen", so they reach the INVALID below. */
static unsigned updateFieldBit(RedisModuleString *f) {
    static const char *names[] = { "IFVERSION", "subject", "body", "priority", "category",
                                   "sla_due_at", NULL };
    for (int i = 0; names[i]; i++) if (hdArgIs(f, names[i])) return 1u << i;
    return 0;
}

static int parseUpdateOrReply(Hd *hd, const DeskConfig *cfg, RedisModuleString **argv,
                              int argc, UpdateArgs *u) {
    memset(u, 0, sizeof(*u));
    u->priority = u->sla_due_at = u->ifversion = -1;
    unsigned seen = 0;
    for (int i = 3; i < argc; i += 2) {
        if (i + 1 >= argc) {
            hdSyntax(hd, "field '%s' has no value; TICKET.UPDATE desk tid field "
                     "value [field value ...] [IFVERSION v]",
                     RedisModule_StringPtrLen(argv[i], NULL));
            return 0;
        }
        RedisModuleString *f = argv[i], *v = argv[i + 1];
        if (!hdOptionOnce(hd, &seen, updateFieldBit(f), f)) return 0;
        if (hdArgIs(f, "IFVERSION")) {
            if (!hdArgLongLongOrReply(hd, v, "IFVERSION", 0, INT64_MAX, &u->ifversion)) return 0;
        } else if (hdArgIs(f, "subject")) {
            if (!hdArgTextOrReply(hd, v, "subject", HD_SUBJECT_MAX, 0)) return 0;
            u->subject = v;
        } else if (hdArgIs(f, "body")) {
            if (!hdArgTextOrReply(hd, v, "body", (size_t)hdg.max_text, 1)) return 0;
            u->body = v;
        } else if (hdArgIs(f, "priority")) {
            if (!hdArgLongLongOrReply(hd, v, "priority", HD_PRIORITY_MIN, HD_PRIORITY_MAX,
                               &u->priority)) return 0;
        } else if (hdArgIs(f, "category")) {
            if (!parseCategoryArg(hd, cfg, v, u->category, &u->catlen)) return 0;
        } else if (hdArgIs(f, "sla_due_at")) {
            if (!hdArgLongLongOrReply(hd, v, "sla_due_at (Unix ms)", 0, 253402300799999LL,
                               &u->sla_due_at)) return 0;
        } else {
            hdError(hd, "INVALID", "field '%s' cannot be updated; use subject, body, "
                    "priority, category or sla_due_at",
                    RedisModule_StringPtrLen(f, NULL));
            return 0;
        }
    }
    if (!u->subject && !u->body && u->priority < 0 && !u->catlen && u->sla_due_at < 0) {
        hdSyntax(hd, "TICKET.UPDATE needs at least one field to change");
        return 0;
    }
    return 1;
}

static void logUpdates(Hd *hd, const Ticket *old, const UpdateArgs *u, char *changed,
                       size_t clen) {
    size_t off = 0;
    changed[0] = '\0';
#define ADD(name) off += snprintf(changed + off, clen - off, "%s%s", off ? "," : "", name)
    if (u->subject) { ADD("subject"); ticketLog(hd, old->id, "subject changed"); }
    if (u->body) { ADD("body"); ticketLog(hd, old->id, "body changed"); }
    if (u->priority >= 0) {
        ADD("priority");
        ticketLog(hd, old->id, "priority %lld -> %lld", old->priority, u->priority);
    }
    if (u->catlen) {
        ADD("category");
        ticketLog(hd, old->id, "category %s -> %s", old->category, u->category);
    }
    if (u->sla_due_at >= 0) {
        ADD("sla_due_at");
        ticketLog(hd, old->id, "sla_due_at %lld -> %lld", old->sla_due_at, u->sla_due_at);
    }
#undef ADD
}

/* learn-from-corrections: an agent's new category or priority for a ticket
 * teaches the classifier, on the ticket's (updated) subject and body. */
static void learnFromCorrection(Hd *hd, const DeskConfig *cfg, const Ticket *old,
                                const UpdateArgs *u) {
    int cat = u->catlen && (u->catlen != old->catlen ||
                            memcmp(u->category, old->category, u->catlen));
    int prio = u->priority >= 0 && u->priority != old->priority;
    if (!cfg->learn_corrections || (!cat && !prio)) return;
    char catz[33];
    snprintf(catz, sizeof(catz), "%.*s", (int)u->catlen, u->category);
    classifyLearn(hd, cfg, hdHashGet(hd, old->key, "subject"), hdHashGet(hd, old->key, "body"),
                  cat ? catz : NULL, prio ? classifyPriorityLabel(u->priority) : NULL);
}

static int cmdTicketUpdate(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    UpdateArgs u;
    Ticket t;
    RedisModuleString *fv[16];
    int n = 0;
    char changed[128];

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (!parseUpdateOrReply(hd, &cfg, argv, argc, &u)) return REDISMODULE_OK;
    if (!versionMatchesOrReply(hd, &t, u.ifversion)) return REDISMODULE_OK;
    if (!ticketCheckKeys(hd, &t)) return REDISMODULE_OK;
    if (u.catlen && !queueCheckRoutingOrReply(hd, u.category, u.catlen)) return REDISMODULE_OK;

    Ticket old = t;
    long long prio = u.priority >= 0 ? u.priority : t.priority;
    int active = ticketIsActive(&t), unassigned = t.agent == NULL;
#define F(name, val) do { fv[n++] = hdConstString(hd, name); \
                          fv[n++] = (val); } while (0)
    if (u.subject) F("subject", u.subject);
    if (u.body) F("body", u.body);
    if (u.priority >= 0) F("priority", RedisModule_CreateStringFromLongLong(hd->ctx, u.priority));
    if (u.catlen) F("category", RedisModule_CreateString(hd->ctx, u.category, u.catlen));
    if (u.sla_due_at >= 0) F("sla_due_at", RedisModule_CreateStringFromLongLong(hd->ctx, u.sla_due_at));
#undef F
    ticketWrite(hd, &t, fv, n);
    /* A due time moved into the future may breach again; a new priority
     * brings its own targets (SPEC section 11). */
    if (u.sla_due_at >= 0) slaOnDueSet(hd, &t, u.sla_due_at);
    if (u.priority >= 0 && u.priority != old.priority)
        slaOnPriority(hd, &cfg, &t, u.priority, u.sla_due_at >= 0);

    if (active && (u.priority >= 0 || u.sla_due_at >= 0))
        queueAddActive(hd, t.id, prio, u.sla_due_at >= 0 ? u.sla_due_at : t.sla_due_at);
    if (active && unassigned && (u.priority >= 0 || u.catlen)) {
        queueRemoveRouting(hd, t.id, t.category, t.catlen);
        if (u.catlen) queueAddRouting(hd, t.id, u.category, u.catlen, prio);
        else queueAddRouting(hd, t.id, t.category, t.catlen, prio);
    }
    if (u.catlen) {
        statsMove(hd, "category", t.category, t.catlen, u.category, u.catlen);
    }
    logUpdates(hd, &old, &u, changed, sizeof(changed));
    eventEmit(hd, &cfg, "updated", t.id, "fields", changed, NULL);
    learnFromCorrection(hd, &cfg, &old, &u);
    return RedisModule_ReplyWithLongLong(hd->ctx, t.version);
}

/* ------------------------------------------------------------------------ */
/* TICKET.CLOSE D tid [RESOLUTION text]                                      */
/* ------------------------------------------------------------------------ */

static int closableOrReply(Hd *hd, Ticket *t) {
    if (!strcmp(t->status, "closed")) {
        hdError(hd, "STATE", "ticket %lld is already closed", t->id);
        return 0;
    }
    if (!ticketCheckKeys(hd, t)) return 0;
    if (t->agent && !agentCheckKeys(hd, t->agent)) return 0;
    return floodCheckChildren(hd, t);
}

static void closeTicket(Hd *hd, const DeskConfig *cfg, Ticket *t, RedisModuleString *resolution) {
    RedisModuleString *fv[12];
    int n = 0;
    const char *from = t->status;
    char fromcopy[16];

    memcpy(fromcopy, from, sizeof(fromcopy));     /* t->status: NUL-terminated */
    fromcopy[sizeof(fromcopy) - 1] = '\0';
    /* The resolution sample, a late breach and `closed`: one write each of
     * the day's hash and the ticket's report list. */
    reportBegin(hd);
    slaOnClose(hd, cfg, t);
    reportCount(hd, t, hd->now, "closed");
    reportEnd(hd);
    if (t->agent) {
        fv[n++] = hdConstString(hd, "resolved_by");
        fv[n++] = t->agent;
    }
    if (ticketIsActive(t)) ticketRetire(hd, t);
    t->agent = NULL;
    statsMove(hd, "status", t->status, strlen(t->status), "closed", 6);
    fv[n++] = hdConstString(hd, "status");
    fv[n++] = hdConstString(hd, "closed");
    fv[n++] = hdConstString(hd, "closed_at");
    fv[n++] = RedisModule_CreateStringFromLongLong(hd->ctx, hd->now);
    if (resolution) {
        fv[n++] = hdConstString(hd, "resolution");
        fv[n++] = resolution;
    }
    ticketWrite(hd, t, fv, n);
    strcpy(t->status, "closed");
    if (resolution) ticketLogText(hd, t->id, "closed: ", resolution);
    else ticketLog(hd, t->id, "closed");
    eventEmit(hd, cfg, "closed", t->id, "from", fromcopy, NULL);
    hdg.tickets_closed++;
    floodOnMasterClosed(hd, cfg, t);
}

static int cmdTicketClose(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;
    RedisModuleString *resolution = NULL;

    long long at = -1;

    if (argc != 3 && argc != 5 && argc != 7)
        return hdSyntax(hd, "syntax: TICKET.CLOSE desk tid [RESOLUTION text] [AT ms]");
    for (int i = 3; i < argc; i += 2) {
        if (hdArgIs(argv[i], "RESOLUTION") && !resolution) {
            resolution = argv[i + 1];
            if (!hdArgTextOrReply(hd, resolution, "resolution", (size_t)hdg.max_text, 1))
                return REDISMODULE_OK;
        } else if (hdArgIs(argv[i], "AT") && at < 0) {
            if (!hdArgLongLongOrReply(hd, argv[i + 1], "AT (Unix ms, not in the future)", 0, hd->now,
                               &at)) return REDISMODULE_OK;
        } else {
            return hdSyntax(hd, "unexpected or repeated argument '%s'; expected RESOLUTION "
                            "text or AT ms", RedisModule_StringPtrLen(argv[i], NULL));
        }
    }
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    /* The record and the SLA state of the close (slaOnClose) from one read
     * of the ticket hash. */
    long long tid;
    if (hdTicketIdArg(argv[2], &tid)) hdHashRead(hd, hdTicketKey(hd, tid));
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (at >= 0) {
        /* Imported history: a close after the ticket's creation and last
         * message, by a desk admin. */
        SlaState s;
        slaRead(hd, t.id, &s);
        long long floor = s.last_message_at > s.created_at ? s.last_message_at : s.created_at;
        if (!slaImportAllowed(hd, "TICKET.CLOSE")) return REDISMODULE_OK;
        if (at < floor)
            return hdError(hd, "INVALID", "AT %lld is before the ticket's creation or last "
                           "message (%lld)", at, floor);
        hd->now = at;
    }
    if (!closableOrReply(hd, &t)) return REDISMODULE_OK;
    closeTicket(hd, &cfg, &t, resolution);
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* ------------------------------------------------------------------------ */
/* TICKET.STATUS D tid status [NOTE text] [IFVERSION v]                      */
/* ------------------------------------------------------------------------ */

/* SPEC.md section 3: closed only leaves through REOPEN; merged only closes. */
static int transitionAllowed(const char *from, const char *to) {
    if (!strcmp(from, "closed")) return 0;
    if (!strcmp(from, "merged")) return !strcmp(to, "closed");
    return strcmp(to, "merged") != 0;
}

static int cmdTicketStatus(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;
    RedisModuleString *note = NULL;
    long long ifversion = -1;
    char to[16];
    size_t tolen;
    const char *s = RedisModule_StringPtrLen(argv[3], &tolen);

    unsigned seen = 0;
    for (int i = 4; i < argc; i += 2) {
        if (hdArgIs(argv[i], "NOTE")) {
            if (!hdOptionValue(hd, &seen, 1, argv, argc, i, "a text")) return REDISMODULE_OK;
            note = argv[i + 1];
            if (!hdArgTextOrReply(hd, note, "note", (size_t)hdg.max_text, 0)) return REDISMODULE_OK;
        } else if (hdArgIs(argv[i], "IFVERSION")) {
            if (!hdOptionValue(hd, &seen, 2, argv, argc, i, "a version number"))
                return REDISMODULE_OK;
            if (!hdArgLongLongOrReply(hd, argv[i + 1], "IFVERSION", 0, INT64_MAX, &ifversion))
                return REDISMODULE_OK;
        } else {
            return hdSyntax(hd, "unexpected argument '%s'; expected NOTE or IFVERSION",
                            RedisModule_StringPtrLen(argv[i], NULL));
        }
    }
    if (hdLower(s, tolen, to, sizeof(to)) < 0 || !validStatus(to))
        return hdError(hd, "INVALID", "status must be open, in_progress, on_hold or "
                       "closed, got '%.*s'", (int)(tolen > 32 ? 32 : tolen), s);
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (!versionMatchesOrReply(hd, &t, ifversion)) return REDISMODULE_OK;
    if (!strcmp(to, "merged"))
        return hdError(hd, "STATE", "a ticket becomes merged only through TICKET.MERGE");
    if (!strcmp(t.status, to))
        return hdError(hd, "STATE", "ticket %lld is already %s", t.id, to);
    if (!transitionAllowed(t.status, to))
        return hdError(hd, "STATE", "ticket %lld cannot go from %s to %s%s", t.id,
                       t.status, to, !strcmp(t.status, "closed") ? "; use TICKET.REOPEN" : "");

    if (!strcmp(to, "closed")) {
        if (!closableOrReply(hd, &t)) return REDISMODULE_OK;
        closeTicket(hd, &cfg, &t, note);
        return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
    }
    if (!ticketCheckKeys(hd, &t)) return REDISMODULE_OK;
    char from[16];
    snprintf(from, sizeof(from), "%s", t.status);
    ticketChangeStatus(hd, &t, to);
    slaOnStatus(hd, &cfg, &t, from, to);
    ticketLog(hd, t.id, "status %s -> %s", from, to);
    if (note) ticketLogText(hd, t.id, "note: ", note);
    eventEmit(hd, &cfg, "status", t.id, "from", from, "to", to, NULL);
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* ------------------------------------------------------------------------ */
/* TICKET.ASSIGN D tid aid [FORCE] / TICKET.UNASSIGN D tid                   */
/* ------------------------------------------------------------------------ */

static int cmdTicketAssign(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;
    AgentInfo a;
    int force = 0;
    size_t alen;
    const char *aid = RedisModule_StringPtrLen(argv[3], &alen);

    if (argc > 5)
        return hdSyntax(hd, "syntax: TICKET.ASSIGN desk tid aid [FORCE] (FORCE at most once)");
    if (argc == 5) {
        if (!hdArgIs(argv[4], "FORCE"))
            return hdSyntax(hd, "unexpected argument '%s'; expected FORCE",
                            RedisModule_StringPtrLen(argv[4], NULL));
        force = 1;
    }
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (!hdValidId(aid, alen) || !agentLoad(hd, argv[3], &a))
        return hdError(hd, "NOTFOUND", "agent '%.*s' does not exist; create it with "
                       "AGENT.CREATE", (int)(alen > 64 ? 64 : alen), aid);
    if (!ticketIsActive(&t))
        return hdError(hd, "STATE", "ticket %lld is %s and cannot be assigned", t.id, t.status);
    if (t.agent && RedisModule_StringCompare(t.agent, argv[3]) == 0)
        return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
    if (!force) {
        if (strcmp(a.availability, "online") != 0)
            return hdError(hd, "UNAVAILABLE", "agent %s is %s, not online; use FORCE to "
                           "assign anyway", aid, a.availability[0] ? a.availability : "unknown");
        if (a.load >= a.capacity)
            return hdError(hd, "CAPACITY", "agent %s is at capacity (%lld of %lld); use "
                           "FORCE to assign anyway", aid, a.load, a.capacity);
        if (!agentHasSkill(hd, argv[3], t.category, t.catlen))
            return hdError(hd, "INVALID", "agent %s lacks the skill '%s' for this ticket; "
                           "use FORCE to assign anyway", aid, t.category);
    }
    if (!ticketCheckKeys(hd, &t) || !agentCheckKeys(hd, argv[3]) ||
        (t.agent && !agentCheckKeys(hd, t.agent))) return REDISMODULE_OK;
    ticketAssignTo(hd, &cfg, &t, argv[3], force ? "forced" : "manual");
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

static int cmdTicketUnassign(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (!t.agent)
        return hdError(hd, "STATE", "ticket %lld is not assigned", t.id);
    if (!ticketCheckKeys(hd, &t) || !agentCheckKeys(hd, t.agent)) return REDISMODULE_OK;
    ticketUnassign(hd, &cfg, &t, "manual");
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* ------------------------------------------------------------------------ */
/* TICKET.REOPEN D tid                                                       */
/* ------------------------------------------------------------------------ */

static int cmdTicketReopen(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;
    RedisModuleString *fv[8];

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (strcmp(t.status, "closed") != 0)
        return hdError(hd, "STATE", "ticket %lld is %s; only closed tickets can be reopened",
                       t.id, t.status);
    if (!ticketCheckKeys(hd, &t)) return REDISMODULE_OK;

    /* A reopened ticket gets a fresh resolution clock from now, by its
     * priority, and may breach it again (slametrics.c). */
    long long due = slaOnReopen(hd, &cfg, &t);
    statsMove(hd, "status", "closed", 6, "open", 4);
    /* It no longer belongs to a closed incident. */
    fxHashDel(hd, t.key, "closed_at");
    if (t.master && strcmp(RedisModule_StringPtrLen(t.master, NULL), "self") != 0)
        fxHashDel(hd, t.key, "master");
    fv[0] = RedisModule_CreateString(hd->ctx, "status", 6);
    fv[1] = RedisModule_CreateString(hd->ctx, "open", 4);
    fv[2] = RedisModule_CreateString(hd->ctx, "sla_due_at", 10);
    fv[3] = RedisModule_CreateStringFromLongLong(hd->ctx, due);
    ticketWrite(hd, &t, fv, 4);
    strcpy(t.status, "open");
    queueAddActive(hd, t.id, t.priority, due);
    queueAddRouting(hd, t.id, t.category, t.catlen, t.priority);
    ticketLog(hd, t.id, "reopened");
    eventEmit(hd, &cfg, "reopened", t.id, NULL);
    reportCount(hd, &t, hd->now, "reopened");
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* ------------------------------------------------------------------------ */
/* TICKET.DEL D tid                                                          */
/* ------------------------------------------------------------------------ */

static int cmdTicketDel(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;
    long long tid;

    if (!hdArgTicketIdOrReply(hd, argv[2], &tid)) return REDISMODULE_OK;
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoad(hd, tid, &t)) return REDISMODULE_OK;
    if (!t.exists) return RedisModule_ReplyWithLongLong(hd->ctx, 0);
    if (!ticketCheckKeys(hd, &t)) return REDISMODULE_OK;
    if (t.agent && !agentCheckKeys(hd, t.agent)) return REDISMODULE_OK;
    if (!floodCheckChildren(hd, &t)) return REDISMODULE_OK;
    if (t.user_id) {
        size_t ulen;
        const char *u = RedisModule_StringPtrLen(t.user_id, &ulen);
        if (hdValidId(u, ulen) &&
            !hdCheckTypeOrReply(hd, hdUserTicketsKey(hd, t.user_id), REDISMODULE_KEYTYPE_SET))
            return REDISMODULE_OK;
    }

    floodOnDelete(hd, &cfg, &t);
    if (ticketIsActive(&t)) ticketRetire(hd, &t);
    if (t.user_id) {
        size_t ulen;
        const char *u = RedisModule_StringPtrLen(t.user_id, &ulen);
        if (hdValidId(u, ulen))
            fxSRem(hd, hdUserTicketsKey(hd, t.user_id), hdTicketMember(hd, tid));
    }
    statsTicket(hd, t.status, t.category, t.catlen, -1);
    reportForget(hd, tid);
    fxDel(hd, t.key);
    fxDel(hd, hdTicketLogKey(hd, tid));
    fxDel(hd, hdTicketChatKey(hd, tid));
    fxDel(hd, hdTicketStateKey(hd, tid));
    eventEmit(hd, &cfg, "deleted", tid, NULL);
    return RedisModule_ReplyWithLongLong(hd->ctx, 1);
}

/* ------------------------------------------------------------------------ */
/* TICKET.LOG D tid [COUNT n] / TICKET.NOTE D tid text                       */
/* ------------------------------------------------------------------------ */

static int parseCount(Hd *hd, RedisModuleString **argv, int argc, int from,
                      long long *count) {
    unsigned seen = 0;
    for (int i = from; i < argc; i++) {
        if (hdArgIs(argv[i], "COUNT")) {
            if (!hdOptionValue(hd, &seen, 1, argv, argc, i, "a number")) return 0;
            if (!hdArgLongLongOrReply(hd, argv[++i], "COUNT", 1, HD_COUNT_MAX, count)) return 0;
        } else {
            hdSyntax(hd, "unexpected argument '%s'; expected COUNT n",
                     RedisModule_StringPtrLen(argv[i], NULL));
            return 0;
        }
    }
    return 1;
}

/* The newest COUNT entries (all by default), oldest first. */
static int cmdTicketLog(Hd *hd, RedisModuleString **argv, int argc) {
    Ticket t;
    long long count = -1, len, start;
    RedisModuleString *key;

    if (!parseCount(hd, argv, argc, 3, &count)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    key = hdTicketLogKey(hd, t.id);
    if (!hdCheckTypeOrReply(hd, key, REDISMODULE_KEYTYPE_LIST)) return REDISMODULE_OK;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    len = k ? (long long)RedisModule_ValueLength(k) : 0;
    start = (count >= 0 && count < len) ? len - count : 0;
    RedisModule_ReplyWithArray(hd->ctx, len - start);
    for (long long i = start; i < len; i++)
        RedisModule_ReplyWithString(hd->ctx, RedisModule_ListGet(k, i));
    RedisModule_CloseKey(k);
    return REDISMODULE_OK;
}

static int cmdTicketNote(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;

    if (!hdArgTextOrReply(hd, argv[3], "note", (size_t)hdg.max_text, 0)) return REDISMODULE_OK;
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (!ticketCheckKeys(hd, &t)) return REDISMODULE_OK;
    ticketLogText(hd, t.id, "note: ", argv[3]);
    eventEmit(hd, &cfg, "note", t.id, "text", RedisModule_StringPtrLen(argv[3], NULL), NULL);
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* ------------------------------------------------------------------------ */
/* Views: PEEK, OVERDUE, COUNTS                                              */
/* ------------------------------------------------------------------------ */

/* One ticket as a short map, as PEEK and OVERDUE return it. */
static void replyTicketSummary(Hd *hd, long long tid, int with_sla) {
    RedisModuleString *subject = NULL, *status = NULL, *prio = NULL, *agent = NULL,
                      *cat = NULL, *sla = NULL;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdTicketKey(hd, tid), REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH)
        RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "subject", &subject,
                            "status", &status, "priority", &prio, "assigned_agent", &agent,
                            "category", &cat, "sla_due_at", &sla, NULL);
    RedisModule_CloseKey(k);
    RedisModule_ReplyWithMap(hd->ctx, with_sla ? 8 : 6);
    RedisModule_ReplyWithCString(hd->ctx, "id");
    RedisModule_ReplyWithLongLong(hd->ctx, tid);
#define FIELD(name, v) hdReplyField(hd, name, v)
    FIELD("priority", prio);
    FIELD("subject", subject);
    FIELD("status", status);
    FIELD("category", cat);
    FIELD("assigned_agent", agent);
    if (with_sla) {
        long long due = 0;
        FIELD("sla_due_at", sla);
        if (sla) RedisModule_StringToLongLong(sla, &due);
        RedisModule_ReplyWithCString(hd->ctx, "overdue_ms");
        RedisModule_ReplyWithLongLong(hd->ctx, hd->now - due);
    }
#undef FIELD
}

/* All active tickets, highest priority first (equal priorities in reverse
 * member order, as ZREVRANGE). */
static long long peekAll(Hd *hd, long long count) {
    long long n = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdQueuePriorityKey(hd), REDISMODULE_READ);
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_ZSET) { RedisModule_CloseKey(k); return 0; }
    RedisModule_ZsetLastInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
                                     REDISMODULE_POSITIVE_INFINITE, 0, 0);
    while (n < count && !RedisModule_ZsetRangeEndReached(k)) {
        RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, NULL);
        long long tid = hdTicketMemberTid(m);
        RedisModule_FreeString(hd->ctx, m);
        if (tid) { replyTicketSummary(hd, tid, 0); n++; }
        RedisModule_ZsetRangePrev(k);
    }
    RedisModule_CloseKey(k);
    return n;
}

/* Unassigned tickets of the given categories in routing order: a k-way merge
 * of the routing queues by score. */
static long long peekRouting(Hd *hd, char cats[][33], int ncat, long long count) {
    RedisModuleKey *keys[HD_MAX_CATEGORIES];
    long long n = 0;
    for (int i = 0; i < ncat; i++) {
        keys[i] = RedisModule_OpenKey(hd->ctx, hdRoutingKey(hd, cats[i], strlen(cats[i])),
                                      REDISMODULE_READ);
        if (RedisModule_KeyType(keys[i]) == REDISMODULE_KEYTYPE_ZSET)
            RedisModule_ZsetFirstInScoreRange(keys[i], REDISMODULE_NEGATIVE_INFINITE,
                                              REDISMODULE_POSITIVE_INFINITE, 0, 0);
        else { RedisModule_CloseKey(keys[i]); keys[i] = NULL; }
    }
    while (n < count) {
        int best = -1;
        double bestScore = 0;
        for (int i = 0; i < ncat; i++) {
            double score;
            if (!keys[i] || RedisModule_ZsetRangeEndReached(keys[i])) continue;
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(keys[i], &score);
            RedisModule_FreeString(hd->ctx, m);
            if (best < 0 || score < bestScore) { best = i; bestScore = score; }
        }
        if (best < 0) break;
        RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(keys[best], NULL);
        long long tid = hdTicketMemberTid(m);
        RedisModule_FreeString(hd->ctx, m);
        RedisModule_ZsetRangeNext(keys[best]);
        if (tid) { replyTicketSummary(hd, tid, 0); n++; }
    }
    for (int i = 0; i < ncat; i++) if (keys[i]) RedisModule_CloseKey(keys[i]);
    return n;
}

static int cmdTicketPeek(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    long long count = 10, n;
    int unassigned = 0;
    char cat[1][33];
    size_t catlen = 0;

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    unsigned seen = 0;
    for (int i = 2; i < argc; i++) {
        if (hdArgIs(argv[i], "COUNT")) {
            if (!hdOptionValue(hd, &seen, 1, argv, argc, i, "a number")) return REDISMODULE_OK;
            if (!hdArgLongLongOrReply(hd, argv[++i], "COUNT", 1, HD_COUNT_MAX, &count))
                return REDISMODULE_OK;
        } else if (hdArgIs(argv[i], "CATEGORY")) {
            if (!hdOptionValue(hd, &seen, 2, argv, argc, i, "a category")) return REDISMODULE_OK;
            if (!parseCategoryArg(hd, &cfg, argv[++i], cat[0], &catlen)) return REDISMODULE_OK;
        } else if (hdArgIs(argv[i], "UNASSIGNED")) {
            if (!hdOptionOnce(hd, &seen, 4, argv[i])) return REDISMODULE_OK;
            unassigned = 1;
        } else {
            return hdSyntax(hd, "unexpected argument '%s'; TICKET.PEEK desk [COUNT n] "
                            "[CATEGORY c] [UNASSIGNED]", RedisModule_StringPtrLen(argv[i], NULL));
        }
    }
    if (!hdCheckTypeOrReply(hd, hdQueuePriorityKey(hd), REDISMODULE_KEYTYPE_ZSET))
        return REDISMODULE_OK;
    RedisModule_ReplyWithArray(hd->ctx, REDISMODULE_POSTPONED_LEN);
    if (catlen) n = peekRouting(hd, cat, 1, count);
    else if (unassigned) n = peekRouting(hd, cfg.cats, cfg.ncat, count);
    else n = peekAll(hd, count);
    RedisModule_ReplySetArrayLength(hd->ctx, n);
    return REDISMODULE_OK;
}

static int cmdTicketOverdue(Hd *hd, RedisModuleString **argv, int argc) {
    long long count = 10, n = 0;

    if (!parseCount(hd, argv, argc, 2, &count)) return REDISMODULE_OK;
    if (!hdCheckTypeOrReply(hd, hdQueueSlaKey(hd), REDISMODULE_KEYTYPE_ZSET)) return REDISMODULE_OK;
    RedisModule_ReplyWithArray(hd->ctx, REDISMODULE_POSTPONED_LEN);
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdQueueSlaKey(hd), REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET) {
        RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE, (double)hd->now, 0, 1);
        while (n < count && !RedisModule_ZsetRangeEndReached(k)) {
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, NULL);
            long long tid = hdTicketMemberTid(m);
            RedisModule_FreeString(hd->ctx, m);
            if (tid) { replyTicketSummary(hd, tid, 1); n++; }
            RedisModule_ZsetRangeNext(k);
        }
    }
    RedisModule_CloseKey(k);
    RedisModule_ReplySetArrayLength(hd->ctx, n);
    return REDISMODULE_OK;
}

static int cmdTicketCounts(Hd *hd, RedisModuleString **argv, int argc) {
    int n = 0;
    RedisModuleString *stats = hdStatsKey(hd);
    if (!hdCheckTypeOrReply(hd, stats, REDISMODULE_KEYTYPE_HASH)) return REDISMODULE_OK;
    while (statusNames[n]) n++;
    RedisModule_ReplyWithMap(hd->ctx, n);
    for (int i = 0; i < n; i++) {
        char field[32];
        long long v = 0;
        snprintf(field, sizeof(field), "status:%s", statusNames[i]);
        hdHashGetLL(hd, stats, field, &v);
        RedisModule_ReplyWithCString(hd->ctx, statusNames[i]);
        RedisModule_ReplyWithLongLong(hd->ctx, v);
    }
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

static RedisModuleCommandArg argsCreate[] = {
    ARG("subject", STRING), OPT("body", "BODY", STRING), OPT("customer", "CUSTOMER", STRING),
    OPT("priority", "PRIORITY", INTEGER), OPT("category", "CATEGORY", STRING),
    OPT("sla", "SLA", INTEGER), FLAG("route", "ROUTE"), OPT("at", "AT", INTEGER), {0}
};
static RedisModuleCommandArg argsTid[] = { ARG("tid", INTEGER), {0} };
static RedisModuleCommandArg argsUpdate[] = {
    ARG("tid", INTEGER),
    {.name = "data", .type = REDISMODULE_ARG_TYPE_BLOCK, .flags = REDISMODULE_CMD_ARG_MULTIPLE,
     .subargs = (RedisModuleCommandArg[]){ ARG("field", STRING), ARG("value", STRING), {0}}},
    OPT("version", "IFVERSION", INTEGER), {0}
};
static RedisModuleCommandArg argsStatus[] = {
    ARG("tid", INTEGER),
    {.name = "status", .type = REDISMODULE_ARG_TYPE_ONEOF, .subargs = (RedisModuleCommandArg[]){
        {.name = "open", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "open"},
        {.name = "in_progress", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "in_progress"},
        {.name = "on_hold", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "on_hold"},
        {.name = "closed", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "closed"}, {0}}},
    OPT("text", "NOTE", STRING), OPT("version", "IFVERSION", INTEGER), {0}
};
static RedisModuleCommandArg argsAssign[] = {
    ARG("tid", INTEGER), ARG("aid", STRING), FLAG("force", "FORCE"), {0}
};
static RedisModuleCommandArg argsClose[] = {
    ARG("tid", INTEGER), OPT("text", "RESOLUTION", STRING), OPT("at", "AT", INTEGER), {0}
};
static RedisModuleCommandArg argsLog[] = { ARG("tid", INTEGER), OPT("count", "COUNT", INTEGER), {0} };
static RedisModuleCommandArg argsNote[] = { ARG("tid", INTEGER), ARG("text", STRING), {0} };
static RedisModuleCommandArg argsPeek[] = {
    OPT("count", "COUNT", INTEGER), OPT("category", "CATEGORY", STRING),
    FLAG("unassigned", "UNASSIGNED"), {0}
};
static RedisModuleCommandArg argsCount[] = { OPT("count", "COUNT", INTEGER), {0} };
static RedisModuleCommandArg argsNone[] = { {0} };

HdCommand hdTicketCommands[] = {
    {"ticket.create", cmdTicketCreate, "write deny-oom", -3, 1,
     "Open a ticket: classified, queued by priority and SLA, logged; returns its id",
     "O(log N) with N open tickets", argsCreate},
    {"ticket.get", cmdTicketGet, "readonly fast", 3, 0,
     "All fields of a ticket as a map, or nil", "O(1)", argsTid},
    {"ticket.update", cmdTicketUpdate, "write deny-oom", -5, 1,
     "Change subject, body, priority, category or sla_due_at; re-scores the queues; "
     "returns the new version", "O(log N)", argsUpdate, HD_ACCESS_OWN_TICKET},
    {"ticket.status", cmdTicketStatus, "write deny-oom", -4, 1,
     "Move a ticket to open, in_progress, on_hold or closed (illegal moves fail STATE)",
     "O(log N)", argsStatus, HD_ACCESS_OWN_TICKET},
    {"ticket.assign", cmdTicketAssign, "write deny-oom", -4, 1,
     "Assign (or re-assign) a ticket to an agent, checking availability, capacity and skill "
     "unless FORCE", "O(log N)", argsAssign, HD_ACCESS_TAKE_TICKET},
    {"ticket.unassign", cmdTicketUnassign, "write deny-oom", 3, 1,
     "Take a ticket off its agent and return it to its routing queue", "O(log N)",
     argsTid, HD_ACCESS_OWN_TICKET},
    {"ticket.close", cmdTicketClose, "write deny-oom", -3, 1,
     "Close a ticket: out of every queue, off its agent, closed_at set, logged",
     "O(log N)", argsClose, HD_ACCESS_OWN_TICKET},
    {"ticket.reopen", cmdTicketReopen, "write deny-oom", 3, 1,
     "Reopen a closed ticket: open, unassigned, queued with a fresh SLA", "O(log N)", argsTid},
    {"ticket.del", cmdTicketDel, "write", 3, 1,
     "Delete a ticket with its log, chat, state and every index entry; returns 1 or 0",
     "O(log N + L) with L log entries", argsTid},
    {"ticket.log", cmdTicketLog, "readonly", -3, 0,
     "The ticket's log entries, oldest first (the newest COUNT if given)",
     "O(L) with L entries returned", argsLog},
    {"ticket.note", cmdTicketNote, "write deny-oom fast", 4, 1,
     "Add a note to the ticket's log", "O(1)", argsNote, HD_ACCESS_OWN_TICKET},
    {"ticket.peek", cmdTicketPeek, "readonly", -2, 0,
     "The most urgent tickets without changing anything", "O(C log N + COUNT) with C categories",
     argsPeek},
    {"ticket.counts", cmdTicketCounts, "readonly fast", 2, 0,
     "Number of tickets per status", "O(1)", argsNone},
    {"ticket.overdue", cmdTicketOverdue, "readonly", -2, 0,
     "Tickets past their sla_due_at, most overdue first", "O(log N + COUNT)", argsCount},
    {NULL}
};
