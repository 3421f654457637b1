/* agent.c -- the desk's agents: who they are, what they handle, how busy.
 *
 * D:agent:<aid> is a HASH with name, email, load, capacity, availability and
 * assigned_total (assignments ever made, the routing tie-break). Its skills
 * are the SET D:agent:<aid>:skills, mirrored by the inverse index
 * D:skill:<skill> (agent ids) that routing reads; both are changed together
 * here. D:agent:<aid>:open_tickets holds "ticket:<tid>" of the tickets it
 * works on; ticket.c keeps it, the ticket's assigned_agent and the load in
 * step, and this file goes through ticketUnassign whenever an agent gives its
 * tickets back (AGENT.AVAILABILITY ... RELEASE, AGENT.DEL). D:agents lists
 * every agent id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpdesk.h"
#include "hd_people.h"

#define CAPACITY_MAX 100000

static int shown(size_t len) {
    return len > 64 ? 64 : (int)len;
}

static const char *str(RedisModuleString *s) {
    return RedisModule_StringPtrLen(s, NULL);
}

/* ------------------------------------------------------------------------ */
/* Validation                                                                */
/* ------------------------------------------------------------------------ */

static int checkAid(Hd *hd, RedisModuleString *aid) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(aid, &len);
    if (hdValidId(s, len)) return 1;
    hdError(hd, "INVALID", "agent id must be 1-%d bytes of [A-Za-z0-9_.@-], "
            "got '%.*s'", HD_ID_MAX, shown(len), s);
    return 0;
}

static int cmpStrings(const void *a, const void *b) {
    return RedisModule_StringCompare(*(RedisModuleString *const *)a,
                                     *(RedisModuleString *const *)b);
}

/* Lower-cases and validates the skills argv[from..to). Returns how many
 * distinct skills there are, sorted, in *out; -1 after replying an error. */
static int parseSkills(Hd *hd, RedisModuleString **argv, int from, int to,
                       RedisModuleString ***out) {
    int n = to - from, count = 0;
    RedisModuleString **v = RedisModule_PoolAlloc(hd->ctx, (size_t)n * sizeof(*v));

    for (int i = 0; i < n; i++) {
        char buf[33];
        size_t len;
        const char *s = RedisModule_StringPtrLen(argv[from + i], &len);
        int l = hdLower(s, len, buf, sizeof(buf));
        if (l < 0 || !hdValidCategory(buf, (size_t)l)) {
            hdError(hd, "INVALID", "skill '%.*s' must be 1-32 bytes of [a-z0-9_-] "
                    "(case is ignored)", shown(len), s);
            return -1;
        }
        v[i] = RedisModule_CreateString(hd->ctx, buf, (size_t)l);
    }
    qsort(v, (size_t)n, sizeof(*v), cmpStrings);
    for (int i = 0; i < n; i++)
        if (count == 0 || RedisModule_StringCompare(v[count - 1], v[i]) != 0)
            v[count++] = v[i];
    *out = v;
    return count;
}

static RedisModuleString *skillKey(Hd *hd, RedisModuleString *skill) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(skill, &len);
    return hdSkillKey(hd, s, len);
}

/* The inverse index sets a skill change will write. */
static int checkSkillIndexes(Hd *hd, RedisModuleString **skills, int n) {
    for (int i = 0; i < n; i++)
        if (!hdCheckTypeOrReply(hd, skillKey(hd, skills[i]), REDISMODULE_KEYTYPE_SET)) return 0;
    return 1;
}

/* The agent's own keys. */
static int checkAgentKeys(Hd *hd, RedisModuleString *aid) {
    return hdCheckTypeOrReply(hd, hdAgentKey(hd, aid), REDISMODULE_KEYTYPE_HASH) &&
           hdCheckTypeOrReply(hd, hdAgentSkillsKey(hd, aid), REDISMODULE_KEYTYPE_SET) &&
           hdCheckTypeOrReply(hd, hdAgentOpenKey(hd, aid), REDISMODULE_KEYTYPE_SET);
}

/* ... plus D:agents, for the commands that add or remove an agent. Reads of
 * one agent do not touch D:agents, so a damaged one does not fail them. */
static int checkAgentAndListKeys(Hd *hd, RedisModuleString *aid) {
    return checkAgentKeys(hd, aid) &&
           hdCheckTypeOrReply(hd, hdAgentsKey(hd), REDISMODULE_KEYTYPE_SET);
}

static int notFound(Hd *hd, RedisModuleString *aid) {
    return hdError(hd, "NOTFOUND", "agent '%s' does not exist", str(aid));
}

/* "online", "away" or "offline" in any case; NULL for anything else. */
static const char *parseAvailability(RedisModuleString *arg) {
    static const char *values[] = { "online", "away", "offline" };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        if (hdArgIs(arg, values[i])) return values[i];
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Reads                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct AgentView {
    RedisModuleString *id, *name, *email, *availability;
    long long load, capacity, assigned_total;
} AgentView;

/* Missing or non-numeric counters read as 0. */
static long long fieldLL(RedisModuleString *v) {
    long long n = 0;
    if (v && RedisModule_StringToLongLong(v, &n) != REDISMODULE_OK) n = 0;
    return n;
}

/* Reads D:agent:<aid>; returns 0 when there is no such agent. */
static int agentRead(Hd *hd, RedisModuleString *aid, AgentView *a) {
    RedisModuleString *load = NULL, *cap = NULL, *total = NULL;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdAgentKey(hd, aid), REDISMODULE_READ);
    int found = RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH;

    memset(a, 0, sizeof(*a));
    a->id = aid;
    if (found)
        RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "name", &a->name,
                            "email", &a->email, "availability", &a->availability,
                            "load", &load, "capacity", &cap,
                            "assigned_total", &total, NULL);
    RedisModule_CloseKey(k);
    a->load = fieldLL(load);
    a->capacity = fieldLL(cap);
    a->assigned_total = fieldLL(total);
    return found;
}

static void replySkills(Hd *hd, RedisModuleString *aid) {
    RedisModuleString **skills;
    size_t n = hdSetMembersSorted(hd, hdAgentSkillsKey(hd, aid), &skills);
    RedisModule_ReplyWithArray(hd->ctx, (long)n);
    for (size_t i = 0; i < n; i++) RedisModule_ReplyWithString(hd->ctx, skills[i]);
}

/* ------------------------------------------------------------------------ */
/* AGENT.CREATE                                                              */
/* ------------------------------------------------------------------------ */

typedef struct NewAgent {
    RedisModuleString *email;
    RedisModuleString **skills;
    int nskills, has_skills, has_capacity;
    long long capacity;
} NewAgent;

static int isOptionAfterSkills(RedisModuleString *arg) {
    return hdArgIs(arg, "EMAIL") || hdArgIs(arg, "CAPACITY") || hdArgIs(arg, "SKILLS");
}

/* Options ignore case and may come in any order, each at most once. SKILLS
 * takes every following argument up to the next one that reads EMAIL,
 * CAPACITY or SKILLS, so those words cannot be skills given after SKILLS. */
static int parseCreateOptionsOrReply(Hd *hd, RedisModuleString **argv, int argc, NewAgent *na) {
    memset(na, 0, sizeof(*na));
    for (int i = 4; i < argc;) {
        RedisModuleString *opt = argv[i];
        if (hdArgIs(opt, "SKILLS")) {
            int end = i + 1;
            while (end < argc && !isOptionAfterSkills(argv[end])) end++;
            if (na->has_skills) {
                hdSyntax(hd, "option SKILLS given twice");
                return 0;
            }
            if (end == i + 1) {
                hdSyntax(hd, "SKILLS needs at least one skill");
                return 0;
            }
            na->nskills = parseSkills(hd, argv, i + 1, end, &na->skills);
            if (na->nskills < 0) return 0;
            na->has_skills = 1;
            i = end;
        } else if (hdArgIs(opt, "EMAIL") || hdArgIs(opt, "CAPACITY")) {
            int is_email = hdArgIs(opt, "EMAIL");
            const char *name = is_email ? "EMAIL" : "CAPACITY";
            if (i + 1 >= argc) {
                hdSyntax(hd, "%s needs a value", name);
                return 0;
            }
            if (is_email ? na->email != NULL : na->has_capacity) {
                hdSyntax(hd, "option %s given twice", name);
                return 0;
            }
            if (is_email) {
                size_t len;
                const char *s = RedisModule_StringPtrLen(argv[i + 1], &len);
                if (!hdValidEmail(s, len)) {
                    hdError(hd, "INVALID", "email '%.*s' is not a valid address "
                            "(1-%d bytes, one '@', a domain with a '.', no spaces)",
                            shown(len), s, HD_EMAIL_MAX);
                    return 0;
                }
                na->email = argv[i + 1];
            } else {
                if (!hdArgLongLongOrReply(hd, argv[i + 1], "CAPACITY", 0, CAPACITY_MAX,
                                   &na->capacity)) return 0;
                na->has_capacity = 1;
            }
            i += 2;
        } else {
            size_t len;
            const char *s = RedisModule_StringPtrLen(opt, &len);
            hdSyntax(hd, "unknown option '%.*s' for AGENT.CREATE; expected "
                     "EMAIL, SKILLS or CAPACITY", shown(len), s);
            return 0;
        }
    }
    return 1;
}

static RedisModuleString *cstr(Hd *hd, const char *s) {
    return RedisModule_CreateString(hd->ctx, s, strlen(s));
}

static int cmdAgentCreate(Hd *hd, RedisModuleString **argv, int argc) {
    RedisModuleString *aid = argv[2], *name = argv[3], *fv[12];
    RedisModuleString *skillsKey = hdAgentSkillsKey(hd, aid);
    NewAgent na;
    int n = 0;

    if (!checkAid(hd, aid)) return REDISMODULE_OK;
    if (!hdArgTextOrReply(hd, name, "agent name", HD_NAME_MAX, 0)) return REDISMODULE_OK;
    if (!parseCreateOptionsOrReply(hd, argv, argc, &na)) return REDISMODULE_OK;
    if (!checkAgentAndListKeys(hd, aid) || !checkSkillIndexes(hd, na.skills, na.nskills))
        return REDISMODULE_OK;
    if (hdKeyExists(hd, hdAgentKey(hd, aid)))
        return hdError(hd, "EXISTS", "agent '%s' already exists", str(aid));
    if (!na.has_capacity) {
        DeskConfig cfg;
        if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
        na.capacity = cfg.default_capacity;
    }

    /* Everything checked: write. */
    fv[n++] = cstr(hd, "name");
    fv[n++] = name;
    if (na.email) {
        fv[n++] = cstr(hd, "email");
        fv[n++] = na.email;
    }
    fv[n++] = cstr(hd, "load");
    fv[n++] = cstr(hd, "0");
    fv[n++] = cstr(hd, "capacity");
    fv[n++] = RedisModule_CreateStringFromLongLong(hd->ctx, na.capacity);
    fv[n++] = cstr(hd, "availability");
    fv[n++] = cstr(hd, "online");
    fv[n++] = cstr(hd, "assigned_total");
    fv[n++] = cstr(hd, "0");
    fxHashSet(hd, hdAgentKey(hd, aid), fv, n);
    for (int i = 0; i < na.nskills; i++) {
        fxSAdd(hd, skillsKey, na.skills[i]);
        fxSAdd(hd, skillKey(hd, na.skills[i]), aid);
    }
    fxSAdd(hd, hdAgentsKey(hd), aid);
    RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* AGENT.GET                                                                 */
/* ------------------------------------------------------------------------ */

static int cmdAgentGet(Hd *hd, RedisModuleString **argv, int argc) {
    RedisModuleString *aid = argv[2];
    RedisModuleCtx *ctx = hd->ctx;
    AgentView a;

    if (!checkAid(hd, aid) || !checkAgentKeys(hd, aid)) return REDISMODULE_OK;
    if (!agentRead(hd, aid, &a)) return RedisModule_ReplyWithNull(ctx);

    RedisModule_ReplyWithMap(ctx, 9);
    RedisModule_ReplyWithCString(ctx, "id");
    RedisModule_ReplyWithString(ctx, aid);
    RedisModule_ReplyWithCString(ctx, "name");
    hdReplyStringOrNull(hd, a.name);
    RedisModule_ReplyWithCString(ctx, "email");
    hdReplyStringOrNull(hd, a.email);
    RedisModule_ReplyWithCString(ctx, "load");
    RedisModule_ReplyWithLongLong(ctx, a.load);
    RedisModule_ReplyWithCString(ctx, "capacity");
    RedisModule_ReplyWithLongLong(ctx, a.capacity);
    RedisModule_ReplyWithCString(ctx, "availability");
    hdReplyStringOrNull(hd, a.availability);
    RedisModule_ReplyWithCString(ctx, "assigned_total");
    RedisModule_ReplyWithLongLong(ctx, a.assigned_total);
    RedisModule_ReplyWithCString(ctx, "skills");
    replySkills(hd, aid);
    RedisModule_ReplyWithCString(ctx, "open_tickets");
    hdReplyTicketIds(hd, hdAgentOpenKey(hd, aid));
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* AGENT.SKILLS                                                              */
/* ------------------------------------------------------------------------ */

static int cmdAgentSkills(Hd *hd, RedisModuleString **argv, int argc) {
    RedisModuleString *aid = argv[2], *skillsKey = hdAgentSkillsKey(hd, aid);
    RedisModuleString **skills;
    int add, n;

    if (!checkAid(hd, aid)) return REDISMODULE_OK;
    if (hdArgIs(argv[3], "ADD")) add = 1;
    else if (hdArgIs(argv[3], "REMOVE")) add = 0;
    else return hdSyntax(hd, "AGENT.SKILLS expects ADD or REMOVE after the agent id");
    if ((n = parseSkills(hd, argv, 4, argc, &skills)) < 0) return REDISMODULE_OK;
    if (!checkAgentKeys(hd, aid) || !checkSkillIndexes(hd, skills, n))
        return REDISMODULE_OK;
    if (!hdKeyExists(hd, hdAgentKey(hd, aid))) return notFound(hd, aid);

    /* Everything checked: write the agent's set and the inverse index. */
    for (int i = 0; i < n; i++) {
        if (add) {
            fxSAdd(hd, skillsKey, skills[i]);
            fxSAdd(hd, skillKey(hd, skills[i]), aid);
        } else {
            fxSRem(hd, skillsKey, skills[i]);
            fxSRem(hd, skillKey(hd, skills[i]), aid);
        }
    }
    routingAgentSkillsChanged(hd, aid);
    replySkills(hd, aid);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* Giving tickets back (AGENT.AVAILABILITY ... RELEASE, AGENT.DEL)            */
/* ------------------------------------------------------------------------ */

/* Loads the agent's open tickets that are really assigned to it and still
 * active; with keep_in_progress, tickets being worked on stay. Returns how
 * many in *out (pool memory), or -1 after replying an error. Members whose
 * ticket is gone or points elsewhere are left for DESK.CHECK. */
static int loadTicketsToGiveBack(Hd *hd, RedisModuleString *aid, int keep_in_progress,
                                 Ticket **out) {
    long long *ids;
    size_t n = hdSetTicketIds(hd, hdAgentOpenKey(hd, aid), &ids);
    Ticket *t = n ? RedisModule_PoolAlloc(hd->ctx, n * sizeof(*t)) : NULL;
    int count = 0;

    for (size_t i = 0; i < n; i++) {
        Ticket *cur = &t[count];
        if (!ticketLoad(hd, ids[i], cur)) return -1;
        if (!cur->exists || !ticketIsActive(cur)) continue;
        if (!cur->agent || RedisModule_StringCompare(cur->agent, aid) != 0) continue;
        if (keep_in_progress && strcmp(cur->status, "in_progress") == 0) continue;
        if (!ticketCheckKeys(hd, cur)) return -1;
        count++;
    }
    *out = t;
    return count;
}

/* ------------------------------------------------------------------------ */
/* AGENT.AVAILABILITY                                                        */
/* ------------------------------------------------------------------------ */

static int cmdAgentAvailability(Hd *hd, RedisModuleString **argv, int argc) {
    RedisModuleString *aid = argv[2], *key = hdAgentKey(hd, aid);
    const char *value;
    RedisModuleString *cur;
    DeskConfig cfg;
    Ticket *tickets = NULL;
    int release = 0, n = 0;

    if (argc > 5) return hdSyntax(hd, "AGENT.AVAILABILITY takes at most one option, RELEASE");
    if (argc == 5) {
        if (!hdArgIs(argv[4], "RELEASE")) {
            size_t len;
            const char *s = RedisModule_StringPtrLen(argv[4], &len);
            return hdSyntax(hd, "unknown option '%.*s' for AGENT.AVAILABILITY; "
                            "expected RELEASE", shown(len), s);
        }
        release = 1;
    }
    if (!checkAid(hd, aid)) return REDISMODULE_OK;
    if ((value = parseAvailability(argv[3])) == NULL) {
        size_t len;
        const char *s = RedisModule_StringPtrLen(argv[3], &len);
        return hdError(hd, "INVALID", "availability must be online, away or offline, "
                       "got '%.*s'", shown(len), s);
    }
    if (!checkAgentKeys(hd, aid)) return REDISMODULE_OK;
    if (!hdKeyExists(hd, key)) return notFound(hd, aid);
    if (release) {
        if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
        if ((n = loadTicketsToGiveBack(hd, aid, 1, &tickets)) < 0) return REDISMODULE_OK;
    }

    /* Everything checked: write. An unchanged value is not rewritten. */
    cur = hdHashGet(hd, key, "availability");
    if (!cur || strcmp(str(cur), value) != 0)
        fxHashSetC(hd, key, "availability", cstr(hd, value));
    for (int i = 0; i < n; i++) ticketUnassign(hd, &cfg, &tickets[i], "released");
    /* Away is a short break: its waiters keep waiting for its return. */
    if (!strcmp(value, "offline")) routingAgentGone(hd, aid, "UNAVAILABLE", "went offline");
    RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* AGENT.TICKETS                                                             */
/* ------------------------------------------------------------------------ */

typedef struct TicketRow {
    long long id, priority;
    RedisModuleString *subject, *status;
} TicketRow;

/* Priority descending, then id ascending (oldest first). */
static int cmpTicketRows(const void *a, const void *b) {
    const TicketRow *x = a, *y = b;
    if (x->priority != y->priority) return x->priority < y->priority ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Reads one ticket's row; 0 when the ticket is gone, -1 after an error. */
static int ticketRowRead(Hd *hd, long long tid, TicketRow *row) {
    RedisModuleString *key = hdTicketKey(hd, tid), *prio = NULL;
    RedisModuleKey *k;
    int found;

    if (!hdCheckTypeOrReply(hd, key, REDISMODULE_KEYTYPE_HASH)) return -1;
    k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    found = RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH;
    memset(row, 0, sizeof(*row));
    row->id = tid;
    if (found)
        RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "subject", &row->subject,
                            "status", &row->status, "priority", &prio, NULL);
    RedisModule_CloseKey(k);
    row->priority = fieldLL(prio);
    return found;
}

static int cmdAgentTickets(Hd *hd, RedisModuleString **argv, int argc) {
    RedisModuleString *aid = argv[2];
    RedisModuleCtx *ctx = hd->ctx;
    long long *ids;
    TicketRow *rows;
    size_t n, count = 0;

    if (!checkAid(hd, aid) || !checkAgentKeys(hd, aid)) return REDISMODULE_OK;
    if (!hdKeyExists(hd, hdAgentKey(hd, aid))) return notFound(hd, aid);

    n = hdSetTicketIds(hd, hdAgentOpenKey(hd, aid), &ids);
    rows = n ? RedisModule_PoolAlloc(ctx, n * sizeof(*rows)) : NULL;
    for (size_t i = 0; i < n; i++) {
        int r = ticketRowRead(hd, ids[i], &rows[count]);
        if (r < 0) return REDISMODULE_OK;
        if (r > 0) count++;
    }
    if (count) qsort(rows, count, sizeof(*rows), cmpTicketRows);

    RedisModule_ReplyWithArray(ctx, (long)count);
    for (size_t i = 0; i < count; i++) {
        RedisModule_ReplyWithMap(ctx, 4);
        RedisModule_ReplyWithCString(ctx, "id");
        RedisModule_ReplyWithLongLong(ctx, rows[i].id);
        RedisModule_ReplyWithCString(ctx, "subject");
        hdReplyStringOrNull(hd, rows[i].subject);
        RedisModule_ReplyWithCString(ctx, "status");
        hdReplyStringOrNull(hd, rows[i].status);
        RedisModule_ReplyWithCString(ctx, "priority");
        RedisModule_ReplyWithLongLong(ctx, rows[i].priority);
    }
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* AGENT.LIST                                                                */
/* ------------------------------------------------------------------------ */

/* Load ascending, then id. */
static int cmpAgentRows(const void *a, const void *b) {
    const AgentView *x = a, *y = b;
    if (x->load != y->load) return x->load < y->load ? -1 : 1;
    return RedisModule_StringCompare(x->id, y->id);
}

static int cmdAgentList(Hd *hd, RedisModuleString **argv, int argc) {
    RedisModuleCtx *ctx = hd->ctx;
    RedisModuleString *source = hdAgentsKey(hd), **ids;
    AgentView *rows;
    size_t n, count = 0;

    if (argc == 4 && hdArgIs(argv[2], "SKILL")) {
        RedisModuleString **skill;
        if (parseSkills(hd, argv, 3, 4, &skill) < 0) return REDISMODULE_OK;
        source = skillKey(hd, skill[0]);
    } else if (argc == 3 && hdArgIs(argv[2], "SKILL")) {
        return hdSyntax(hd, "SKILL needs a value");
    } else if (argc != 2) {
        return hdSyntax(hd, "AGENT.LIST takes only the option SKILL skill");
    }
    if (!hdCheckTypeOrReply(hd, source, REDISMODULE_KEYTYPE_SET)) return REDISMODULE_OK;

    /* Ids without a valid agent hash are skipped; DESK.CHECK reports them. */
    n = hdSetMembersSorted(hd, source, &ids);
    rows = n ? RedisModule_PoolAlloc(ctx, n * sizeof(*rows)) : NULL;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *s = RedisModule_StringPtrLen(ids[i], &len);
        if (hdValidId(s, len) && agentRead(hd, ids[i], &rows[count])) count++;
    }
    if (count) qsort(rows, count, sizeof(*rows), cmpAgentRows);

    RedisModule_ReplyWithArray(ctx, (long)count);
    for (size_t i = 0; i < count; i++) {
        RedisModule_ReplyWithMap(ctx, 5);
        RedisModule_ReplyWithCString(ctx, "id");
        RedisModule_ReplyWithString(ctx, rows[i].id);
        RedisModule_ReplyWithCString(ctx, "name");
        hdReplyStringOrNull(hd, rows[i].name);
        RedisModule_ReplyWithCString(ctx, "load");
        RedisModule_ReplyWithLongLong(ctx, rows[i].load);
        RedisModule_ReplyWithCString(ctx, "capacity");
        RedisModule_ReplyWithLongLong(ctx, rows[i].capacity);
        RedisModule_ReplyWithCString(ctx, "availability");
        hdReplyStringOrNull(hd, rows[i].availability);
    }
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* AGENT.DEL                                                                 */
/* ------------------------------------------------------------------------ */

static int cmdAgentDel(Hd *hd, RedisModuleString **argv, int argc) {
    RedisModuleString *aid = argv[2], **skills;
    DeskConfig cfg;
    Ticket *tickets;
    size_t nskills;
    int n;

    if (!checkAid(hd, aid) || !checkAgentAndListKeys(hd, aid)) return REDISMODULE_OK;
    if (!hdKeyExists(hd, hdAgentKey(hd, aid)))
        return RedisModule_ReplyWithLongLong(hd->ctx, 0);
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if ((n = loadTicketsToGiveBack(hd, aid, 0, &tickets)) < 0) return REDISMODULE_OK;

    /* Only well-formed skill names have an index key to clean. */
    nskills = hdSetMembersSorted(hd, hdAgentSkillsKey(hd, aid), &skills);
    for (size_t i = 0; i < nskills; i++) {
        size_t len;
        const char *s = RedisModule_StringPtrLen(skills[i], &len);
        if (!hdValidCategory(s, len)) skills[i] = NULL;
        else if (!hdCheckTypeOrReply(hd, skillKey(hd, skills[i]), REDISMODULE_KEYTYPE_SET))
            return REDISMODULE_OK;
    }

    /* Everything checked: give the tickets back, then remove the agent. */
    for (int i = 0; i < n; i++) ticketUnassign(hd, &cfg, &tickets[i], "agent_deleted");
    for (size_t i = 0; i < nskills; i++)
        if (skills[i]) fxSRem(hd, skillKey(hd, skills[i]), aid);
    fxDel(hd, hdAgentSkillsKey(hd, aid));
    fxDel(hd, hdAgentOpenKey(hd, aid));
    fxDel(hd, hdAgentKey(hd, aid));
    fxSRem(hd, hdAgentsKey(hd), aid);
    routingAgentGone(hd, aid, "NOTFOUND", "was deleted");
    return RedisModule_ReplyWithLongLong(hd->ctx, 1);
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

static RedisModuleCommandArg argsAgentCreate[] = {
    {.name = "aid", .type = REDISMODULE_ARG_TYPE_STRING,
     .summary = "agent id, 1-64 bytes of [A-Za-z0-9_.@-]"},
    {.name = "name", .type = REDISMODULE_ARG_TYPE_STRING,
     .summary = "display name, 1-256 bytes"},
    {.name = "email", .type = REDISMODULE_ARG_TYPE_STRING, .token = "EMAIL",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL},
    {.name = "skill", .type = REDISMODULE_ARG_TYPE_STRING, .token = "SKILLS",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL | REDISMODULE_CMD_ARG_MULTIPLE,
     .summary = "categories the agent handles; read up to the next EMAIL or CAPACITY"},
    {.name = "capacity", .type = REDISMODULE_ARG_TYPE_INTEGER, .token = "CAPACITY",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL,
     .summary = "open tickets the agent may hold, 0-100000 (default: desk "
                "setting default-capacity)"},
    {0}
};

static RedisModuleCommandArg argsAgentId[] = {
    {.name = "aid", .type = REDISMODULE_ARG_TYPE_STRING, .summary = "agent id"},
    {0}
};

static RedisModuleCommandArg argsSkillOp[] = {
    {.name = "add", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "ADD"},
    {.name = "remove", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "REMOVE"},
    {0}
};

static RedisModuleCommandArg argsAgentSkills[] = {
    {.name = "aid", .type = REDISMODULE_ARG_TYPE_STRING, .summary = "agent id"},
    {.name = "operation", .type = REDISMODULE_ARG_TYPE_ONEOF, .subargs = argsSkillOp},
    {.name = "skill", .type = REDISMODULE_ARG_TYPE_STRING,
     .flags = REDISMODULE_CMD_ARG_MULTIPLE, .summary = "category name, case ignored"},
    {0}
};

static RedisModuleCommandArg argsAvailabilityValue[] = {
    {.name = "online", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "online"},
    {.name = "away", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "away"},
    {.name = "offline", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "offline"},
    {0}
};

static RedisModuleCommandArg argsAgentAvailability[] = {
    {.name = "aid", .type = REDISMODULE_ARG_TYPE_STRING, .summary = "agent id"},
    {.name = "availability", .type = REDISMODULE_ARG_TYPE_ONEOF,
     .subargs = argsAvailabilityValue,
     .summary = "only online agents are routed to"},
    {.name = "release", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "RELEASE",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL,
     .summary = "return the agent's tickets not in_progress to the routing queues"},
    {0}
};

static RedisModuleCommandArg argsAgentList[] = {
    {.name = "skill", .type = REDISMODULE_ARG_TYPE_STRING, .token = "SKILL",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL, .summary = "only agents with this skill"},
    {0}
};

HdCommand hdAgentCommands[] = {
    {"agent.create", cmdAgentCreate, "write deny-oom", -4, 1,
     "Creates an agent with its skills and capacity",
     "O(S) where S is the number of skills", argsAgentCreate},
    {"agent.get", cmdAgentGet, "readonly", 3, 0,
     "Returns an agent with its skills and open tickets as a map, or nil",
     "O(S log S + T log T) where S is the number of skills and T of open tickets",
     argsAgentId},
    {"agent.skills", cmdAgentSkills, "write deny-oom", -5, 1,
     "Adds or removes skills of an agent and returns its skills",
     "O(S log S) where S is the number of the agent's skills", argsAgentSkills},
    {"agent.availability", cmdAgentAvailability, "write deny-oom", -4, 1,
     "Sets an agent online, away or offline, optionally releasing its tickets",
     "O(1), or O(T) with RELEASE where T is the number of the agent's open tickets",
     argsAgentAvailability, HD_ACCESS_SELF},
    {"agent.tickets", cmdAgentTickets, "readonly", 3, 0,
     "Returns an agent's open tickets, most urgent first",
     "O(T log T) where T is the number of the agent's open tickets", argsAgentId},
    {"agent.list", cmdAgentList, "readonly", -2, 0,
     "Lists agents, least loaded first",
     "O(A log A) where A is the number of agents listed", argsAgentList},
    {"agent.del", cmdAgentDel, "write deny-oom", 3, 1,
     "Deletes an agent; its open tickets go back to the routing queues",
     "O(S + T) where S is the number of skills and T of open tickets", argsAgentId},
    {0}
};
