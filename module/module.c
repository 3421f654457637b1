/* module.c -- module entry point, dispatcher, registration, configs, INFO.
 *
 * Every command is registered with the same C function, hdDispatch, which
 * finds the command's HdCommand entry, validates the desk (argv[1]) once for
 * all commands, fixes the command's clock, times the handler for INFO, and
 * calls it. Handlers therefore never repeat desk checks. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "helpdesk.h"

typedef struct CmdEntry {
    HdCommand *def;
    long long calls;
    long long usec;
    int hot;            /* replicated as HD.REPLAY in commands mode (replay.c) */
    int replayed_argc;  /* arguments it carries, 0 all: see hotCommands */
} CmdEntry;

/* The commands helpdesk.replication = commands replicates as themselves,
 * and how many of their arguments travel: TICKET.NEXT goes without its
 * BLOCK ms, since a replay never waits (the call served on the master). */
static const struct { const char *name; int replayed_argc; } hotCommands[] = {
    { "ticket.create", 0 }, { "ticket.claim", 0 }, { "ticket.close", 0 },
    { "ticket.next", 3 }, { NULL, 0 }
};

static RedisModuleDict *cmdByName;   /* lower-case name -> CmdEntry */
static CmdEntry *cmdEntries;
static int cmdCount;

/* ------------------------------------------------------------------------ */
/* Dispatcher                                                                */
/* ------------------------------------------------------------------------ */

static long long monotonicUsec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static CmdEntry *lookupCommand(RedisModuleString *name) {
    char buf[64];
    size_t len;
    const char *s = RedisModule_StringPtrLen(name, &len);
    if (hdLower(s, len, buf, sizeof(buf)) < 0) return NULL;
    return RedisModule_DictGetC(cmdByName, buf, len, NULL);
}

/* A subcommand ("desk.config get") is filed as "desk.config|get". */
static CmdEntry *lookupSubcommand(RedisModuleString *parent, RedisModuleString *sub) {
    char buf[96];
    size_t plen, slen;
    const char *p = RedisModule_StringPtrLen(parent, &plen);
    const char *s = RedisModule_StringPtrLen(sub, &slen);
    if (plen + 1 + slen >= sizeof(buf)) return NULL;
    memcpy(buf, p, plen);
    buf[plen] = '|';
    memcpy(buf + plen + 1, s, slen);
    for (size_t i = 0; i < plen + 1 + slen; i++)
        if (buf[i] >= 'A' && buf[i] <= 'Z') buf[i] = (char)(buf[i] - 'A' + 'a');
    return RedisModule_DictGetC(cmdByName, buf, plen + 1 + slen, NULL);
}

static int deskNameValidOrReply(Hd *hd) {
    if (!hdValidDeskName(hd->dname, hd->dlen)) {
        hdError(hd, "INVALID", "desk name must be 1-%d bytes of "
                "[A-Za-z0-9_.{}-] (no ':'), got '%.*s'", HD_DESK_MAX,
                (int)(hd->dlen > 64 ? 64 : hd->dlen), hd->dname);
        return 0;
    }
    if ((RedisModule_GetContextFlags(hd->ctx) & REDISMODULE_CTX_FLAGS_CLUSTER) &&
        !hdDeskHasHashTag(hd->dname, hd->dlen)) {
        hdError(hd, "CROSSSLOT", "in cluster mode the desk name must "
                "contain a hash tag such as '{%.*s}' so all its keys "
                "share one slot", (int)hd->dlen, hd->dname);
        return 0;
    }
    return 1;
}

int hdDispatch(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    CmdEntry *e = lookupCommand(argv[0]);
    Hd hd;
    long long start;

    RedisModule_AutoMemory(ctx);
    if (!e && argc >= 2 && (e = lookupSubcommand(argv[0], argv[1])) != NULL) {
        /* Arity counts the container's name; handlers see the command from
         * the subcommand on, so the desk is argv[1] for every handler. */
        if ((e->def->arity > 0 && argc != e->def->arity) ||
            (e->def->arity < 0 && argc < -e->def->arity))
            return RedisModule_WrongArity(ctx);
        argv++;
        argc--;
    } else if (!e) {
        return RedisModule_ReplyWithError(ctx, "ERR unknown helpdesk command");
    } else if ((e->def->arity > 0 && argc != e->def->arity) ||
               (e->def->arity < 0 && argc < -e->def->arity)) {
        return RedisModule_WrongArity(ctx);
    }

    hd.ctx = ctx;
    hd.desk = argv[1];
    hd.dname = RedisModule_StringPtrLen(argv[1], &hd.dlen);
    hd.now = (long long)RedisModule_Milliseconds();
    hdKeyMemoStart(&hd);        /* ctx has auto memory (above) */
    if (e->hot) hdKeyMemoLend(&hd); /* hot paths free no key name they were handed */
    if (!deskNameValidOrReply(&hd)) return REDISMODULE_OK;
    if (!accessCheck(&hd, e->def, argv, argc)) return REDISMODULE_OK;
    slaNoteDesk(&hd);

    start = monotonicUsec();
    hdNotifyBegin(&hd);
    hdReplayBegin(e->hot && hdg.replication_mode == HD_REPLICATION_COMMANDS);
    e->def->handler(&hd, argv, argc);
    hdReplayEnd(&hd, argv, e->replayed_argc && argc > e->replayed_argc ? e->replayed_argc : argc);
    hdNotifyCommand(&hd, e->def->name);
    e->calls++;
    e->usec += monotonicUsec() - start;
    return REDISMODULE_OK;
}

/* HD.REPLAY's run of a hot command (replay.c): the master's clock, no
 * access check (the master made it), replay state already set. */
int hdRunReplayed(RedisModuleCtx *ctx, RedisModuleString **argv, int argc, long long now) {
    CmdEntry *e = lookupCommand(argv[0]);
    Hd hd;
    int wrote;

    RedisModule_AutoMemory(ctx);
    if (!e || !e->hot || (e->def->arity > 0 && argc != e->def->arity) ||
        (e->def->arity < 0 && argc < -e->def->arity)) return -1;
    hd.ctx = ctx;
    hd.desk = argv[1];
    hd.dname = RedisModule_StringPtrLen(argv[1], &hd.dlen);
    hd.now = now;
    hdKeyMemoStart(&hd);
    hdKeyMemoLend(&hd);         /* a hot command (above) */
    if (!deskNameValidOrReply(&hd)) return 0;
    slaNoteDesk(&hd);
    hdNotifyBegin(&hd);
    e->def->handler(&hd, argv, argc);
    wrote = fxWrote();
    /* No module event: a replica raises the keyspace events of the writes,
     * as in effects mode, and the command's own event stays the master's. */
    hdNotifyBegin(&hd);
    e->calls++;
    hdg.replays++;
    return wrote;
}

static RedisModuleCommandArg argsReplay[] = {
    {.name = "format", .type = REDISMODULE_ARG_TYPE_INTEGER},
    {.name = "now-ms", .type = REDISMODULE_ARG_TYPE_INTEGER},
    {.name = "decided", .type = REDISMODULE_ARG_TYPE_STRING},
    {.name = "command", .type = REDISMODULE_ARG_TYPE_STRING},
    {.name = "desk", .type = REDISMODULE_ARG_TYPE_KEY, .key_spec_index = 0},
    {.name = "arg", .type = REDISMODULE_ARG_TYPE_STRING,
     .flags = REDISMODULE_CMD_ARG_OPTIONAL | REDISMODULE_CMD_ARG_MULTIPLE},
    {0}
};

/* HD.REPLAY: the desk is argv[5], its only key, as for the command carried. */
static int registerReplay(RedisModuleCtx *ctx) {
    RedisModuleCommandKeySpec specs[2] = {{
        .notes = "the desk of the replayed command; it reads and writes '<desk>:*'",
        .flags = REDISMODULE_CMD_KEY_RW | REDISMODULE_CMD_KEY_UPDATE,
        .begin_search_type = REDISMODULE_KSPEC_BS_INDEX, .bs.index.pos = 5,
        .find_keys_type = REDISMODULE_KSPEC_FK_RANGE,
        .fk.range = { .lastkey = 0, .keystep = 1, .limit = 0 },
    }, {0}};
    RedisModuleCommandInfo info = {
        .version = REDISMODULE_COMMAND_INFO_VERSION,
        .summary = "The replicated form of TICKET.CREATE/CLAIM/CLOSE/NEXT with "
                   "helpdesk.replication commands; only the master link and AOF loading run it",
        .complexity = "That of the command carried",
        .since = HD_VERSION_STRING,
        .arity = -6,
        .key_specs = specs,
        .args = argsReplay,
    };
    hdReplaySetRunner(hdRunReplayed);
    if (RedisModule_CreateCommand(ctx, "hd.replay", hdReplayCommand, "write deny-oom",
                                  5, 5, 1) == REDISMODULE_ERR) return REDISMODULE_ERR;
    return RedisModule_SetCommandInfo(RedisModule_GetCommand(ctx, "hd.replay"), &info);
}

/* ------------------------------------------------------------------------ */
/* Registration                                                              */
/* ------------------------------------------------------------------------ */

static int countArgs(const RedisModuleCommandArg *args) {
    int n = 0;
    while (args && args[n].name) n++;
    return n;
}

/* The desk is the first argument and the only key of every command; it is
 * prepended here so the tables only describe what follows it. */
static int registerDocs(RedisModuleCtx *ctx, HdCommand *c) {
    RedisModuleCommand *cmd = RedisModule_GetCommand(ctx, c->name);
    int keypos = strchr(c->name, '|') ? 2 : 1;  /* after the subcommand name */
    int n = countArgs(c->args);
    RedisModuleCommandArg *args =
        RedisModule_Calloc(n + 2, sizeof(RedisModuleCommandArg));
    RedisModuleCommandKeySpec *specs =
        RedisModule_Calloc(2, sizeof(RedisModuleCommandKeySpec));

    args[0].name = "desk";
    args[0].type = REDISMODULE_ARG_TYPE_KEY;
    args[0].key_spec_index = 0;
    args[0].summary = "the helpdesk (tenant) name; all its keys start with '<desk>:'";
    for (int i = 0; i < n; i++) {
        args[i + 1] = c->args[i];
        args[i + 1].key_spec_index = -1;
    }

    specs[0].flags = c->write
        ? (REDISMODULE_CMD_KEY_RW | REDISMODULE_CMD_KEY_UPDATE)
        : (REDISMODULE_CMD_KEY_RO | REDISMODULE_CMD_KEY_ACCESS);
    specs[0].notes = c->write
        ? "the desk name; the command reads and writes keys '<desk>:*' derived from it"
        : "the desk name; the command reads keys '<desk>:*' derived from it";
    specs[0].begin_search_type = REDISMODULE_KSPEC_BS_INDEX;
    specs[0].bs.index.pos = keypos;
    specs[0].find_keys_type = REDISMODULE_KSPEC_FK_RANGE;
    specs[0].fk.range.lastkey = 0;
    specs[0].fk.range.keystep = 1;
    specs[0].fk.range.limit = 0;

    RedisModuleCommandInfo info = {
        .version = REDISMODULE_COMMAND_INFO_VERSION,
        .summary = c->summary,
        .complexity = c->complexity,
        .since = HD_VERSION_STRING,
        .arity = c->arity,
        .key_specs = specs,
        .args = args,
    };
    int rc = RedisModule_SetCommandInfo(cmd, &info);
    /* Redis keeps its own copy of the docs. */
    RedisModule_Free(args);
    RedisModule_Free(specs);
    return rc;
}

/* A container such as DESK.CONFIG: no handler of its own, docs only. */
static RedisModuleCommand *containerCommand(RedisModuleCtx *ctx, const char *name) {
    RedisModuleCommand *parent = RedisModule_GetCommand(ctx, name);
    if (parent) return parent;
    if (RedisModule_CreateCommand(ctx, name, NULL, "", 0, 0, 0) == REDISMODULE_ERR)
        return NULL;
    parent = RedisModule_GetCommand(ctx, name);
    char summary[128];
    snprintf(summary, sizeof(summary), "A container for the %s subcommands", name);
    RedisModuleCommandInfo info = {
        .version = REDISMODULE_COMMAND_INFO_VERSION,
        .summary = summary,
        .complexity = "Depends on subcommand.",
        .since = HD_VERSION_STRING,
        .arity = -2,
    };
    if (parent && RedisModule_SetCommandInfo(parent, &info) == REDISMODULE_ERR) return NULL;
    return parent;
}

/* "parent|sub" names register a subcommand of the container "parent"
 * (RedisModule_CreateSubcommand): COMMAND DOCS, ACL rules such as
 * +desk.config|get and key specs then work per subcommand. The desk, the
 * only key, is argv[1], or argv[2] after a subcommand name. */
static int createCommand(RedisModuleCtx *ctx, HdCommand *c) {
    const char *bar = strchr(c->name, '|');
    char parent[64];
    if (!bar) return RedisModule_CreateCommand(ctx, c->name, hdDispatch, c->flags, 1, 1, 1);
    if ((size_t)(bar - c->name) >= sizeof(parent)) return REDISMODULE_ERR;
    memcpy(parent, c->name, (size_t)(bar - c->name));
    parent[bar - c->name] = '\0';
    RedisModuleCommand *p = containerCommand(ctx, parent);
    if (!p) return REDISMODULE_ERR;
    return RedisModule_CreateSubcommand(p, bar + 1, hdDispatch, c->flags, 2, 2, 1);
}

static int registerTable(RedisModuleCtx *ctx, HdCommand *table, int *idx) {
    for (HdCommand *c = table; c->name; c++) {
        CmdEntry *e = &cmdEntries[(*idx)++];
        e->def = c;
        if (createCommand(ctx, c) == REDISMODULE_ERR) {
            RedisModule_Log(ctx, "warning", "could not register %s", c->name);
            return REDISMODULE_ERR;
        }
        if (registerDocs(ctx, c) == REDISMODULE_ERR) {
            RedisModule_Log(ctx, "warning", "could not set docs of %s", c->name);
            return REDISMODULE_ERR;
        }
        RedisModule_DictSetC(cmdByName, (void *)c->name, strlen(c->name), e);
        for (int h = 0; hotCommands[h].name; h++) {
            if (strcmp(hotCommands[h].name, c->name)) continue;
            e->hot = 1;
            e->replayed_argc = hotCommands[h].replayed_argc;
        }
    }
    return REDISMODULE_OK;
}

static int tableSize(HdCommand *t) {
    int n = 0;
    while (t[n].name) n++;
    return n;
}

/* ------------------------------------------------------------------------ */
/* Module configs                                                            */
/* ------------------------------------------------------------------------ */

static int getBool(const char *name, void *privdata) {
    return *(int *)privdata;
}
static int setBool(const char *name, int val, void *privdata, RedisModuleString **err) {
    *(int *)privdata = val;
    return REDISMODULE_OK;
}
static long long getNum(const char *name, void *privdata) {
    return *(long long *)privdata;
}
static int setNum(const char *name, long long val, void *privdata, RedisModuleString **err) {
    *(long long *)privdata = val;
    return REDISMODULE_OK;
}
static int setSlaPeriod(const char *name, long long val, void *privdata, RedisModuleString **err) {
    if (val > 0 && val < 10) {
        *err = RedisModule_CreateString(NULL, "must be 0 (off) or 10 to 3600000 ms", 35);
        return REDISMODULE_ERR;
    }
    slaTimerSetPeriod(val);
    return REDISMODULE_OK;
}

static int getEnum(const char *name, void *privdata) {
    return *(int *)privdata;
}
static int setEnum(const char *name, int val, void *privdata, RedisModuleString **err) {
    *(int *)privdata = val;
    return REDISMODULE_OK;
}

static const char *replicationNames[] = { "effects", "commands" };
static const int replicationValues[] = { HD_REPLICATION_EFFECTS, HD_REPLICATION_COMMANDS };

static int registerConfigs(RedisModuleCtx *ctx) {
    if (RedisModule_RegisterEnumConfig(ctx, "replication", HD_REPLICATION_DEFAULT,
            REDISMODULE_CONFIG_DEFAULT, replicationNames, replicationValues, 2,
            getEnum, setEnum, NULL, &hdg.replication_mode) == REDISMODULE_ERR)
        return REDISMODULE_ERR;
    if (RedisModule_RegisterBoolConfig(ctx, "enforce-identity", 0,
            REDISMODULE_CONFIG_DEFAULT, getBool, setBool, NULL,
            &hdg.enforce_identity) == REDISMODULE_ERR) return REDISMODULE_ERR;
    if (RedisModule_RegisterNumericConfig(ctx, "max-text", 65536,
            REDISMODULE_CONFIG_DEFAULT, 1, 64 * 1024 * 1024, getNum, setNum, NULL,
            &hdg.max_text) == REDISMODULE_ERR) return REDISMODULE_ERR;
    if (RedisModule_RegisterNumericConfig(ctx, "sla-timer-ms", 1000,
            REDISMODULE_CONFIG_DEFAULT, 0, 3600000, getNum, setSlaPeriod, NULL,
            &hdg.sla_timer_ms) == REDISMODULE_ERR) return REDISMODULE_ERR;
    return RedisModule_LoadConfigs(ctx);
}

/* `loadmodule helpdesk.so max-text 100 sla-timer-ms 500` (SPEC section 9).
 * Parsed before anything is allocated (a failed OnLoad must leave nothing
 * behind, timers above all), applied after LoadConfigs, which would
 * otherwise reset them to defaults. -1 means "not given". */
typedef struct LoadArgs {
    int enforce_identity, replication;
    long long max_text, sla_timer_ms;
} LoadArgs;

static int parseLoadArgs(RedisModuleCtx *ctx, RedisModuleString **argv, int argc,
                         LoadArgs *la) {
    la->enforce_identity = la->replication = -1;
    la->max_text = la->sla_timer_ms = -1;
    if (argc % 2) {
        RedisModule_Log(ctx, "warning", "module arguments come in name/value pairs");
        return REDISMODULE_ERR;
    }
    for (int i = 0; i < argc; i += 2) {
        const char *name = RedisModule_StringPtrLen(argv[i], NULL);
        const char *val = RedisModule_StringPtrLen(argv[i + 1], NULL);
        long long v;
        int ok = 1;
        if (!strcasecmp(name, "enforce-identity")) {
            if (!strcasecmp(val, "yes")) la->enforce_identity = 1;
            else if (!strcasecmp(val, "no")) la->enforce_identity = 0;
            else ok = 0;
        } else if (!strcasecmp(name, "replication")) {
            if (!strcasecmp(val, "commands")) la->replication = HD_REPLICATION_COMMANDS;
            else if (!strcasecmp(val, "effects")) la->replication = HD_REPLICATION_EFFECTS;
            else ok = 0;
        } else if (!strcasecmp(name, "max-text")) {
            ok = RedisModule_StringToLongLong(argv[i + 1], &v) == REDISMODULE_OK &&
                 v >= 1 && v <= 64 * 1024 * 1024;
            if (ok) la->max_text = v;
        } else if (!strcasecmp(name, "sla-timer-ms")) {
            ok = RedisModule_StringToLongLong(argv[i + 1], &v) == REDISMODULE_OK &&
                 (v == 0 || (v >= 10 && v <= 3600000));
            if (ok) la->sla_timer_ms = v;
        } else {
            RedisModule_Log(ctx, "warning", "unknown module argument '%s' (enforce-identity, "
                            "max-text, sla-timer-ms, replication)", name);
            return REDISMODULE_ERR;
        }
        if (!ok) {
            RedisModule_Log(ctx, "warning", "bad value '%s' for module argument '%s'", val, name);
            return REDISMODULE_ERR;
        }
    }
    return REDISMODULE_OK;
}

static void applyLoadArgs(const LoadArgs *la) {
    if (la->enforce_identity >= 0) hdg.enforce_identity = la->enforce_identity;
    if (la->replication >= 0) hdg.replication_mode = la->replication;
    if (la->max_text >= 0) hdg.max_text = la->max_text;
    if (la->sla_timer_ms >= 0) hdg.sla_timer_ms = la->sla_timer_ms;
}

/* ------------------------------------------------------------------------ */
/* INFO helpdesk                                                             */
/* ------------------------------------------------------------------------ */

static void infoFunc(RedisModuleInfoCtx *ctx, int for_crash_report) {
    RedisModule_InfoAddSection(ctx, "");
    RedisModule_InfoAddFieldLongLong(ctx, "tickets_created", hdg.tickets_created);
    RedisModule_InfoAddFieldLongLong(ctx, "tickets_closed", hdg.tickets_closed);
    RedisModule_InfoAddFieldLongLong(ctx, "tickets_merged", hdg.tickets_merged);
    RedisModule_InfoAddFieldLongLong(ctx, "alerts", hdg.alerts);
    RedisModule_InfoAddFieldLongLong(ctx, "claims", hdg.claims);
    RedisModule_InfoAddFieldLongLong(ctx, "blocked_next_waiters", hdg.blocked_waiters);
    RedisModule_InfoAddFieldLongLong(ctx, "sla_breaches", hdg.sla_breaches);
    RedisModule_InfoAddFieldLongLong(ctx, "sla_paused_ticks", hdg.sla_paused_ticks);
    RedisModule_InfoAddFieldLongLong(ctx, "queue_seeks", hdg.queue_seeks);
    RedisModule_InfoAddFieldLongLong(ctx, "sla_desks", slaDeskCount());
    RedisModule_InfoAddFieldLongLong(ctx, "flood_windows", floodWindowCount());
    RedisModule_InfoAddFieldLongLong(ctx, "flood_window_builds", floodWindowBuilds());
    RedisModule_InfoAddFieldLongLong(ctx, "replication_listening", hdg.replication_listening);
    RedisModule_InfoAddFieldLongLong(ctx, "effects_unreplicated", hdg.effects_unreplicated);
    RedisModule_InfoAddFieldCString(ctx, "replication",
                                    replicationNames[hdg.replication_mode]);
    RedisModule_InfoAddFieldLongLong(ctx, "replays", hdg.replays);
    RedisModule_InfoAddFieldLongLong(ctx, "replay_divergences", hdg.replay_divergences);
    if (for_crash_report) return;

    RedisModule_InfoAddSection(ctx, "latency");
    for (int i = 0; i < cmdCount; i++) {
        char field[96], val[96];
        CmdEntry *e = &cmdEntries[i];
        if (e->calls == 0) continue;
        snprintf(field, sizeof(field), "cmd_%s", e->def->name);
        for (char *p = field; *p; p++) if (*p == '.' || *p == '|') *p = '_';
        snprintf(val, sizeof(val), "calls=%lld,usec=%lld,usec_per_call=%.2f",
                 e->calls, e->usec, (double)e->usec / (double)e->calls);
        RedisModule_InfoAddFieldCString(ctx, field, val);
    }
}

/* ------------------------------------------------------------------------ */

int RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    HdCommand *tables[] = { hdCustomerCommands, hdAgentCommands,
                            hdTicketCommands, hdRoutingCommands,
                            hdClassifyCommands, hdChatCommands,
                            hdStateCommands, hdFloodCommands,
                            hdDeskCommands, hdAccessCommands,
                            hdCheckCommands, hdSlaCommands,
                            hdReportCommands };
    int ntables = sizeof(tables) / sizeof(tables[0]), idx = 0;

    LoadArgs la;

    if (RedisModule_Init(ctx, "helpdesk", HD_MODULE_VERSION, REDISMODULE_APIVER_1)
        == REDISMODULE_ERR) return REDISMODULE_ERR;
    if (parseLoadArgs(ctx, argv, argc, &la) == REDISMODULE_ERR) return REDISMODULE_ERR;
    /* A command's keys are opened READ|WRITE once, by its type checks
     * (keys.c, hdKeyOpen); closing them must not signal WATCH and client
     * tracking for keys it did not write. The effects signal what they
     * write (effects.c, notify). */
    RedisModule_SetModuleOptions(ctx, REDISMODULE_OPTION_NO_IMPLICIT_SIGNAL_MODIFIED);

    cmdCount = 0;
    for (int t = 0; t < ntables; t++) cmdCount += tableSize(tables[t]);
    cmdEntries = RedisModule_Calloc(cmdCount, sizeof(CmdEntry));
    cmdByName = RedisModule_CreateDict(NULL);
    for (int t = 0; t < ntables; t++)
        if (registerTable(ctx, tables[t], &idx) == REDISMODULE_ERR) goto fail;
    if (registerReplay(ctx) == REDISMODULE_ERR) goto fail;
    if (registerConfigs(ctx) == REDISMODULE_ERR) goto fail;
    applyLoadArgs(&la);
    if (RedisModule_RegisterInfoFunc(ctx, infoFunc) == REDISMODULE_ERR) goto fail;

    /* Last: nothing below can fail, and Redis does not cancel a module's
     * timers when OnLoad fails. */
    routingInit(ctx);
    fxReplicationInit(ctx);
    slaInit();
    slaTimerStart(ctx);
    classifyInit(ctx);
    deskConfigInit(ctx);
    reportInit(ctx);
    hdKeyspaceStart(ctx);       /* after every hdKeyspaceHook */
    return REDISMODULE_OK;

fail:
    RedisModule_FreeDict(NULL, cmdByName);
    RedisModule_Free(cmdEntries);
    cmdByName = NULL;
    cmdEntries = NULL;
    return REDISMODULE_ERR;
}

int RedisModule_OnUnload(RedisModuleCtx *ctx) {
    slaTimerStop(ctx);
    slaZonesFree();
    floodUnload();
    routingUnload();
    classifyUnload();
    reportUnload();
    hdConstStringsFree();
    hdReplayFree();
    RedisModule_FreeDict(NULL, cmdByName);
    RedisModule_Free(cmdEntries);
    cmdByName = NULL;
    cmdEntries = NULL;
    return REDISMODULE_OK;
}
