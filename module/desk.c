/* desk.c -- the desk-wide commands DESK.CONFIG GET|SET, DESK.STATS and
 * DESK.PURGE. The settings themselves (D:config: defaults, parsing, loading)
 * are in deskconfig.c, the D:stats counters in stats.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include "helpdesk.h"

/* ------------------------------------------------------------------------ */
/* DESK.CONFIG GET D [name] | DESK.CONFIG SET D name value [FORCE]         */
/* ------------------------------------------------------------------------ */

/* Typed like every reply (SPEC section 4): integer settings as integers,
 * alert-threshold as a double (its string under RESP2), text as text. */
static void configReplyValue(Hd *hd, const char *name, const char *val) {
    size_t len = strlen(val);
    long long n;
    if (!strcmp(name, "alert-threshold")) {
        hdReplyDecimal(hd, val, len);
        return;
    }
    if (strcmp(name, "categories") != 0 &&
        RedisModule_StringToLongLong(RedisModule_CreateString(hd->ctx, val, len), &n)
        == REDISMODULE_OK) {
        RedisModule_ReplyWithLongLong(hd->ctx, n);
        return;
    }
    RedisModule_ReplyWithStringBuffer(hd->ctx, val, len);
}

static void configGetTargets(Hd *hd, const char *metric, int n, const int *prios,
                             const long long *secs) {
    for (int i = 0; i < n; i++) {
        char name[48];
        snprintf(name, sizeof(name), "sla.%s.%d", metric, prios[i]);
        RedisModule_ReplyWithCString(hd->ctx, name);
        RedisModule_ReplyWithLongLong(hd->ctx, secs[i]);
    }
}

static int configGetAll(Hd *hd, const DeskConfig *cfg) {
    char val[HD_SETTING_VALUE_MAX];
    int n = 0;
    while (deskSettingName(n)) n++;
    RedisModule_ReplyWithMap(hd->ctx, n + cfg->nsla + cfg->nkw + cfg->nfr + cfg->nnr);
    for (int i = 0; i < n; i++) {
        deskSettingFormat(cfg, deskSettingName(i), val, sizeof(val));
        RedisModule_ReplyWithCString(hd->ctx, deskSettingName(i));
        configReplyValue(hd, deskSettingName(i), val);
    }
    for (int i = 0; i < cfg->nsla; i++) {
        char name[32];
        snprintf(name, sizeof(name), "sla.%d", cfg->sla_prio[i]);
        RedisModule_ReplyWithCString(hd->ctx, name);
        RedisModule_ReplyWithLongLong(hd->ctx, cfg->sla_secs[i]);
    }
    for (int i = 0; i < cfg->nkw; i++) {
        char name[64];
        snprintf(name, sizeof(name), "category.%s.keywords", cfg->kwcat[i]);
        RedisModule_ReplyWithCString(hd->ctx, name);
        RedisModule_ReplyWithCString(hd->ctx, cfg->kw[i]);
    }
    configGetTargets(hd, "first_reply", cfg->nfr, cfg->fr_prio, cfg->fr_secs);
    configGetTargets(hd, "next_reply", cfg->nnr, cfg->nr_prio, cfg->nr_secs);
    return REDISMODULE_OK;
}

/* The setting name argv[i], lower-cased into name (64 bytes); replies
 * INVALID and returns 0 when it is not a known setting. */
static int configNameOrReply(Hd *hd, RedisModuleString *arg, char *name) {
    size_t nlen;
    const char *n = RedisModule_StringPtrLen(arg, &nlen);
    if (hdLower(n, nlen, name, 64) < 0 || !deskSettingKnown(name)) {
        hdError(hd, "INVALID", "unknown setting '%.*s'; see DESK.CONFIG GET desk",
                (int)(nlen > 40 ? 40 : nlen), n);
        return 0;
    }
    return 1;
}

/* DESK.CONFIG GET D [name]: subcommand handlers get argv from the
 * subcommand on ("get", desk, ...). */
static int cmdDeskConfigGet(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    char name[64], val[HD_SETTING_VALUE_MAX];

    if (argc > 3) return hdSyntax(hd, "syntax: DESK.CONFIG GET desk [name]");
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (argc == 2) return configGetAll(hd, &cfg);
    if (!configNameOrReply(hd, argv[2], name)) return REDISMODULE_OK;
    deskSettingFormat(&cfg, name, val, sizeof(val));
    configReplyValue(hd, name, val);
    return REDISMODULE_OK;
}

/* The categories of old that are not in new, into gone[]; returns how many. */
static int removedCategories(const DeskConfig *old, const DeskConfig *new,
                             char (*gone)[33]) {
    int n = 0;
    for (int i = 0; i < old->ncat; i++)
        if (!deskCategoryKnown(new, old->cats[i], strlen(old->cats[i])))
            strcpy(gone[n++], old->cats[i]);
    return n;
}

/* A category that still has active tickets is only removed with FORCE,
 * which moves them to general. Returns 0 (after replying) to refuse. */
static int checkCategoryRemoval(Hd *hd, const DeskConfig *old, const DeskConfig *new,
                                int force, char (*gone)[33], int *ngone) {
    *ngone = removedCategories(old, new, gone);
    if (*ngone == 0) return 1;
    long long active = ticketsInCategories(hd, gone, *ngone);
    if (active < 0) return 0;
    if (active > 0 && !force) {
        hdError(hd, "STATE", "%lld active ticket%s still in the removed categor%s (%s%s); "
                "close or re-categorise them first, or add FORCE to move them to general",
                active, active == 1 ? " is" : "s are", *ngone == 1 ? "y" : "ies", gone[0],
                *ngone > 1 ? ", ..." : "");
        return 0;
    }
    if (active == 0) *ngone = 0;
    return 1;
}

/* DESK.CONFIG SET D name value [FORCE] */
static int cmdDeskConfigSet(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg, old;
    char name[64], val[HD_SETTING_VALUE_MAX], err[160], gone[HD_MAX_CATEGORIES][33];
    size_t vlen;
    int force = 0, ngone = 0;

    if (argc == 5 && hdArgIs(argv[4], "FORCE")) force = 1;
    else if (argc != 4)
        return hdSyntax(hd, "syntax: DESK.CONFIG SET desk name value [FORCE]");
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!configNameOrReply(hd, argv[2], name)) return REDISMODULE_OK;
    if (force && strcmp(name, "categories") != 0)
        return hdSyntax(hd, "FORCE only applies to categories");
    const char *v = RedisModule_StringPtrLen(argv[3], &vlen);
    if (vlen >= sizeof(val) || memchr(v, '\0', vlen) || !hdValidUtf8(v, vlen))
        return hdError(hd, "INVALID", "value of '%s' must be UTF-8 text under %d bytes",
                       name, HD_SETTING_VALUE_MAX);
    memcpy(val, v, vlen); val[vlen] = '\0';
    old = cfg;
    if (!deskSettingApply(&cfg, name, val, err, sizeof(err)))
        return hdError(hd, "INVALID", "%s %s, got '%.*s'", name, err,
                       (int)(vlen > 40 ? 40 : vlen), v);
    if (!strcmp(name, "model")) {               /* the only value is reset */
        classifyModelReset(hd);
        return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
    }
    if (!strcmp(name, "timezone") && !slaZoneCheck(cfg.timezone, err, sizeof(err)))
        return hdError(hd, "INVALID", "timezone %s, got '%.*s'", err,
                       (int)(vlen > 40 ? 40 : vlen), v);
    if (!hdCheckTypeOrReply(hd, hdConfigKey(hd), REDISMODULE_KEYTYPE_HASH)) return REDISMODULE_OK;
    if (!strcmp(name, "categories")) {
        if (!checkCategoryRemoval(hd, &old, &cfg, force, gone, &ngone)) return REDISMODULE_OK;
        if (ngone && !queueCheckRoutingOrReply(hd, "general", 7))
            return REDISMODULE_OK;
    }
    deskSettingCanonical(name);
    /* Store the normalised form (e.g. categories lower-cased, general added). */
    deskSettingFormat(&cfg, name, val, sizeof(val));
    fxHashSetC(hd, hdConfigKey(hd), name, RedisModule_CreateString(hd->ctx, val, strlen(val)));
    if (ngone) ticketsRequeueUnderGeneral(hd, &cfg, gone, ngone);
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* ------------------------------------------------------------------------ */
/* DESK.STATS D                                                              */
/* ------------------------------------------------------------------------ */

static const char *statuses[] = { "open", "in_progress", "on_hold", "closed", "merged" };

static long long countOverdue(Hd *hd) {
    long long n = 0;
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, "ZCOUNT", "scl",
        hdQueueSlaKey(hd), "-inf", hd->now);
    if (r && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_INTEGER)
        n = RedisModule_CallReplyInteger(r);
    return n;
}

typedef struct AgentTotals {
    Hd *hd;
    long long agents, online, load, capacity;
} AgentTotals;

static void addAgent(const char *id, size_t len, void *privdata) {
    AgentTotals *t = privdata;
    Hd *hd = t->hd;
    RedisModuleString *aid = RedisModule_CreateString(hd->ctx, id, len);
    RedisModuleString *key = hdAgentKey(hd, aid), *avail = NULL, *load = NULL, *cap = NULL;
    long long l = 0, c = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) { RedisModule_CloseKey(k); return; }
    RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "availability", &avail,
                        "load", &load, "capacity", &cap, NULL);
    RedisModule_CloseKey(k);
    if (load) RedisModule_StringToLongLong(load, &l);
    if (cap) RedisModule_StringToLongLong(cap, &c);
    t->agents++;
    /* Hand-edited hashes may hold any integer: saturate, never overflow. */
    if (__builtin_add_overflow(t->load, l, &t->load)) t->load = l < 0 ? LLONG_MIN : LLONG_MAX;
    if (__builtin_add_overflow(t->capacity, c, &t->capacity))
        t->capacity = c < 0 ? LLONG_MIN : LLONG_MAX;
    if (avail && !strcmp(RedisModule_StringPtrLen(avail, NULL), "online")) t->online++;
}

static void sumAgents(Hd *hd, AgentTotals *t) {
    memset(t, 0, sizeof(*t));
    t->hd = hd;
    hdSetForEach(hd, hdAgentsKey(hd), addAgent, t);
}

/* The categories DESK.STATS reports: the configured ones, then, sorted, any
 * other category D:stats still counts tickets in (a category removed from
 * the setting while tickets use it must not hide them). */
typedef struct StatCats { int n; char (*cats)[33]; } StatCats;

static int cmpCat(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

static void statsCategories(Hd *hd, const DeskConfig *cfg, StatCats *sc) {
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, "HGETALL", "s", hdStatsKey(hd));
    size_t nf = r && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_ARRAY
                ? RedisModule_CallReplyLength(r) / 2 : 0;
    int extra = 0;

    sc->cats = RedisModule_PoolAlloc(hd->ctx, (cfg->ncat + nf) * sizeof(*sc->cats));
    for (int i = 0; i < cfg->ncat; i++) strcpy(sc->cats[i], cfg->cats[i]);
    sc->n = cfg->ncat;
    for (size_t i = 0; i < nf; i++) {
        size_t flen;
        long long v = 0;
        const char *f = RedisModule_CallReplyStringPtr(
            RedisModule_CallReplyArrayElement(r, 2 * i), &flen);
        RedisModuleString *val = RedisModule_CreateStringFromCallReply(
            RedisModule_CallReplyArrayElement(r, 2 * i + 1));
        if (!f || flen <= 9 || memcmp(f, "category:", 9) != 0) continue;
        f += 9; flen -= 9;
        if (!hdValidCategory(f, flen) || deskCategoryKnown(cfg, f, flen)) continue;
        if (!val || RedisModule_StringToLongLong(val, &v) != REDISMODULE_OK || v == 0) continue;
        memcpy(sc->cats[sc->n + extra], f, flen);
        sc->cats[sc->n + extra][flen] = '\0';
        extra++;
    }
    qsort(sc->cats + sc->n, (size_t)extra, sizeof(*sc->cats), cmpCat);
    sc->n += extra;
}

/* Every key DESK.STATS reads must have its type: a damaged desk is reported,
 * not summed as zeros. */
static int statsCheckKeys(Hd *hd, const StatCats *sc) {
    if (!hdCheckTypeOrReply(hd, hdStatsKey(hd), REDISMODULE_KEYTYPE_HASH) ||
        !hdCheckTypeOrReply(hd, hdQueueSlaKey(hd), REDISMODULE_KEYTYPE_ZSET) ||
        !hdCheckTypeOrReply(hd, hdAgentsKey(hd), REDISMODULE_KEYTYPE_SET)) return 0;
    for (int i = 0; i < sc->n; i++)
        if (!hdCheckTypeOrReply(hd, hdRoutingKey(hd, sc->cats[i], strlen(sc->cats[i])),
                         REDISMODULE_KEYTYPE_ZSET)) return 0;
    return 1;
}

static int cmdDeskStats(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    AgentTotals at;
    StatCats sc;
    long long unassigned = 0;
    int nstat = sizeof(statuses) / sizeof(statuses[0]);

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!hdCheckTypeOrReply(hd, hdStatsKey(hd), REDISMODULE_KEYTYPE_HASH)) return REDISMODULE_OK;
    statsCategories(hd, &cfg, &sc);
    if (!statsCheckKeys(hd, &sc)) return REDISMODULE_OK;
    for (int i = 0; i < sc.n; i++)
        unassigned += hdZCard(hd, hdRoutingKey(hd, sc.cats[i], strlen(sc.cats[i])));
    sumAgents(hd, &at);

    RedisModule_ReplyWithMap(hd->ctx, 8);
    RedisModule_ReplyWithCString(hd->ctx, "status");
    RedisModule_ReplyWithMap(hd->ctx, nstat);
    for (int i = 0; i < nstat; i++) {
        RedisModule_ReplyWithCString(hd->ctx, statuses[i]);
        RedisModule_ReplyWithLongLong(hd->ctx, statsGet(hd, "status", statuses[i]));
    }
    RedisModule_ReplyWithCString(hd->ctx, "category");
    RedisModule_ReplyWithMap(hd->ctx, sc.n);
    for (int i = 0; i < sc.n; i++) {
        RedisModule_ReplyWithCString(hd->ctx, sc.cats[i]);
        RedisModule_ReplyWithLongLong(hd->ctx, statsGet(hd, "category", sc.cats[i]));
    }
    RedisModule_ReplyWithCString(hd->ctx, "unassigned");
    RedisModule_ReplyWithLongLong(hd->ctx, unassigned);
    RedisModule_ReplyWithCString(hd->ctx, "overdue");
    RedisModule_ReplyWithLongLong(hd->ctx, countOverdue(hd));
    RedisModule_ReplyWithCString(hd->ctx, "agents");
    RedisModule_ReplyWithLongLong(hd->ctx, at.agents);
    RedisModule_ReplyWithCString(hd->ctx, "agents_online");
    RedisModule_ReplyWithLongLong(hd->ctx, at.online);
    RedisModule_ReplyWithCString(hd->ctx, "total_load");
    RedisModule_ReplyWithLongLong(hd->ctx, at.load);
    RedisModule_ReplyWithCString(hd->ctx, "total_capacity");
    RedisModule_ReplyWithLongLong(hd->ctx, at.capacity);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* DESK.PURGE D                                                              */
/* ------------------------------------------------------------------------ */

typedef struct KeyList {
    RedisModuleCtx *ctx;
    RedisModuleString **keys;
    size_t n, cap;
} KeyList;

static void keyListAdd(const char *name, size_t len, void *privdata) {
    KeyList *l = privdata;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->keys = RedisModule_Realloc(l->keys, l->cap * sizeof(*l->keys));
    }
    l->keys[l->n++] = RedisModule_CreateString(l->ctx, name, len);   /* auto-memory */
}

/* Collects every "D:*" key first, then deletes: SCAN stays simple and the
 * deletions replicate as UNLINKs. Admin command, O(keys in the database). */
static int cmdDeskPurge(Hd *hd, RedisModuleString **argv, int argc) {
    KeyList l = { hd->ctx, NULL, 0, 0 };
    long long deleted = 0;

    hdDeskScan(hd, keyListAdd, &l);
    for (size_t i = 0; i < l.n; i++) {
        if (hdKeyExists(hd, l.keys[i])) { fxDel(hd, l.keys[i]); deleted++; }
    }
    RedisModule_Free(l.keys);
    /* Nothing of the desk outlives it in module memory either. */
    floodForgetDesk(hd);
    slaForgetDesk(hd);
    routingDeskPurged(hd);
    return RedisModule_ReplyWithLongLong(hd->ctx, deleted);
}

/* ------------------------------------------------------------------------ */

static RedisModuleCommandArg argsConfigGet[] = {
    {.name = "name", .type = REDISMODULE_ARG_TYPE_STRING, .flags = REDISMODULE_CMD_ARG_OPTIONAL,
     .summary = "one setting; without it, every setting"},
    {0}
};

static RedisModuleCommandArg argsConfigSet[] = {
    {.name = "name", .type = REDISMODULE_ARG_TYPE_STRING},
    {.name = "value", .type = REDISMODULE_ARG_TYPE_STRING},
    {.name = "force", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "FORCE",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL,
     .summary = "categories only: move active tickets of removed categories to general"},
    {0}
};

static RedisModuleCommandArg argsNone[] = { {0} };

HdCommand hdDeskCommands[] = {
    /* Subcommands of the container DESK.CONFIG (module.c registers the
     * "parent|sub" names); their key, the desk, follows the subcommand. */
    {"desk.config|get", cmdDeskConfigGet, "readonly fast", -3, 0,
     "Get one desk setting, or a map of every setting (alert-threshold, flood-*, "
     "default-capacity, auto-route, sla.<priority>, events-maxlen, chat-maxlen, state-ttl, "
     "state-history-max, categories, learn-from-corrections, category.<name>.keywords; "
     "service levels: sla.first_reply.<p>, sla.next_reply.<p>, sla.resolution.<p>, hours, "
     "timezone, holidays, sla-hours, sla-pause-on-hold, sla-warn-percent, skill-timeout, "
     "reassign-after)",
     "O(number of settings)", argsConfigGet},
    {"desk.config|set", cmdDeskConfigSet, "write deny-oom", -5, 1,
     "Set one desk setting; removing a category that has active tickets needs FORCE, "
     "which moves them to general",
     "O(1), or O(N) with N active tickets when categories are removed", argsConfigSet},
    {"desk.stats", cmdDeskStats, "readonly", 2, 0,
     "Desk overview: tickets per status and category, unassigned, overdue, agents online, "
     "total load and capacity",
     "O(A + C + log N) with A agents, C categories, N open tickets", argsNone},
    {"desk.purge", cmdDeskPurge, "write", 2, 1,
     "Delete every key of the desk; returns the number of keys deleted (admin command)",
     "O(K) with K keys in the database (SCAN)", argsNone},
    {NULL}
};
