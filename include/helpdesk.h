/* helpdesk.h -- shared definitions of the helpdesk Redis module.
 *
 * Every command runs through hdDispatch (module.c), which validates the desk
 * name, fixes the command's clock once ("now", replicated as a value), checks
 * the caller's access rule from the command's HdCommand entry, and then calls
 * the command's handler with an Hd context.
 *
 * Writes go through the effects layer (effects.c): each helper applies the
 * change with the low-level key API and replicates the equivalent plain Redis
 * command, so replicas and the AOF replay values decided on the master and
 * never re-run module logic. Handlers validate everything first and write
 * second: a command that replies with an error has written nothing.
 *
 * Layers, bottom up (a file calls only files in its own layer or below;
 * tests/test_layers.sh checks it; the README's "Architecture" section has
 * the same list). A lower file tells a higher one through a hook the higher
 * one registers at load.
 *
 *   ground     globals.c  hdg: module settings and INFO counters
 *              errors.c   hdError/hdSyntax: "CODE sentence" error replies
 *              reply.c    typed replies (integers, urgency doubles, nil)
 *              keys.c     key names (one builder per key kind), name and
 *                         argument validation, the ticket-id parsers
 *              keyschema.c  the schema read backwards: a key name's kind,
 *                         its type, whether REPAIR rebuilds it, canonical ids
 *              tzfile.c   TZif zone files
 *              bizhours.c business-hours sums
 *              text.c     tokeniser/stemmer
 *              textsig.c  flood signature (MinHash)
 *              lexicon.c  the classifier's data
 *              jsonutf8.c any bytes to valid UTF-8 for JSON (the gateway too)
 *                         (these six make no Redis calls: unit-tested alone)
 *   effects    effects.c  fx* writes (apply + replicate + keyspace events)
 *                         and the small reads (hdHashGet, hdSetForEach, ...)
 *              sets.c     a set read whole: sorted members, ticket ids
 *   desk       deskconfig.c  DeskConfig: D:config defaults, parsing, loading
 *              stats.c    the D:stats counters
 *              events.c   D:events and the ticket logs
 *              alerts.c   D:alerts
 *              queue.c    priority, SLA and routing queues; the service
 *                         levels and routing follow them through hooks
 *                         (queueSetSlaHooks, queueSetQueuedHook)
 *              access.c   the identity check, accessIsAdmin, DESK.ADMIN
 *   record     record.c   the ticket record: load/write/insert/assign/
 *                         unassign/retire, status, ids, the ticket reply;
 *                         the service levels follow it (recordSetSlaHooks)
 *   service    sla.c      the SLA timer; slaInit registers the hooks above
 *              slametrics.c  reply/resolution metrics, TICKET.SLA
 *              slaroute.c skill timeout and reassign-after
 *              report.c   per-day reports, DESK.REPORT
 *   routing    routing.c  routingOffer, waiters, TICKET.NEXT/CLAIM/ROUTE
 *   text       classify.c the classifier
 *              floodwin.c the flood window and its copy in memory
 *              flood.c    incidents, merging, TICKET.MERGE
 *   commands   ticket.c   TICKET.* handlers; agent.c, customer.c, chat.c,
 *              state.c, check.c (DESK.CHECK/REPAIR), desk.c (DESK.CONFIG,
 *              DESK.STATS, DESK.PURGE)
 *   entry      module.c   OnLoad, the dispatcher, registration, configs, INFO
 */
#ifndef HELPDESK_H
#define HELPDESK_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include "redismodule.h"
#include "hd_time.h"

#define HD_VERSION_STRING "1.0.0"
#define HD_MODULE_VERSION 10000

#define HD_DESK_MAX 64
#define HD_ID_MAX 64
#define HD_SUBJECT_MAX 1024
#define HD_KEY_MAX 512
#define HD_COUNT_MAX 10000        /* upper bound for COUNT arguments */
#define HD_PRIORITY_MIN 1
#define HD_PRIORITY_MAX 1000

/* ------------------------------------------------------------------------ */
/* Per-call context                                                          */
/* ------------------------------------------------------------------------ */

/* Key names a command has built (keys.c), so each is made once per command,
 * and the handle it opened on each (hdKeyOpen), in one table: a key name
 * was a format, a string object and its free every time, a TICKET.CREATE
 * asks for about 40 of them, 20 different, and opening a key was ~700
 * instructions and closing it ~250. Each key is opened once, READ and
 * WRITE, by the first type check or write that needs it, and closed by the
 * context's auto memory when the command returns. An entry names the key
 * once: the builder's arguments find it (a name asked for again), its
 * string object finds its handle. Names no builder made (hdKey's others,
 * a full table) get an entry of their own when opened. */
#define HD_KEY_MEMO 64
#define HD_KEY_INDEX 128            /* power of two, > 2 * HD_KEY_MEMO */
#define HD_FIXED_KEYS 16
typedef struct HdKeyMemo {
    int kind;                   /* which builder (keys.c), or none */
    long long num;              /* its number argument (ticket id, day) */
    size_t idlen;               /* its text argument (agent, user, category) */
    char id[HD_ID_MAX];
    RedisModuleString *key;     /* the memo's own reference */
    const char *bytes;          /* the name's bytes and length */
    size_t len;
    RedisModuleKey *k;          /* the command's handle of it, or NULL */
} HdKeyMemo;

typedef struct Hd {
    RedisModuleCtx *ctx;
    RedisModuleString *desk;    /* argv[1] */
    const char *dname;          /* desk name bytes */
    size_t dlen;
    long long now;              /* Unix ms, read once per command */
    /* The key-name memo, on only where hdKeyMemoStart turned it on (a
     * context with auto memory: the memo's references are collected with
     * the context's, so no name outlives the command). memo_lend: builders
     * hand out the memo's own reference, not one of the caller's (callers
     * must not free a name; DESK.CHECK's scratch lists do, so it is off
     * there). */
    int memo_on, memo_lend, nmemo;
    HdKeyMemo memo[HD_KEY_MEMO];
    unsigned char fixed_keys[HD_FIXED_KEYS];  /* "<desk>:stats", ...: entry + 1 */
    /* entry + 1 (0 free), open addressing: by builder arguments, and by
     * the name's address */
    unsigned char by_args[HD_KEY_INDEX], by_ptr[HD_KEY_INDEX];
    /* entries of names no builder made that hold a handle: another object
     * with the same bytes must find the same handle (two WRITE handles of
     * one key would leave one stale) */
    int nplain;
    unsigned char plain[HD_KEY_MEMO];
    struct HdHashRead *hash_read;  /* the last hash read whole (effects.c) */
    RedisModuleKey *loose;      /* a handle handed out with the table full */
} Hd;

/* Handler of one command: argv/argc are the full command line. */
typedef int (*HdHandler)(Hd *hd, RedisModuleString **argv, int argc);

/* Who may run a command when helpdesk.enforce-identity is on (access.c).
 * Desk admins may run everything; the rule says what an agent may do. */
typedef enum HdAccess {
    HD_ACCESS_DEFAULT = 0,  /* READ for readonly commands, else ADMIN */
    HD_ACCESS_ADMIN,        /* admins only */
    HD_ACCESS_READ,         /* agents and admins */
    HD_ACCESS_SELF,         /* argv[2] must be the caller's own agent id */
    HD_ACCESS_OWN_TICKET,   /* argv[2] must be a ticket assigned to the caller */
    HD_ACCESS_TAKE_TICKET   /* TICKET.ASSIGN tid <self> of an unassigned ticket */
} HdAccess;

typedef struct HdCommand {
    const char *name;           /* e.g. "ticket.create" */
    HdHandler handler;
    const char *flags;          /* RedisModule_CreateCommand flags */
    int arity;                  /* -N: at least N */
    int write;                  /* key spec RW (1) or RO (0) */
    const char *summary;
    const char *complexity;
    RedisModuleCommandArg *args; /* NULL-name terminated, after the desk */
    HdAccess access;            /* agents' rule; DEFAULT follows the flags */
} HdCommand;

/* Argument docs of the command tables (RedisModule_SetCommandInfo): a
 * required argument, an optional one introduced by a token, a pure token. */
#define ARG(n, t) {.name = n, .type = REDISMODULE_ARG_TYPE_##t}
#define OPT(n, tok, t) {.name = n, .type = REDISMODULE_ARG_TYPE_##t, .token = tok, \
                        .flags = REDISMODULE_CMD_ARG_OPTIONAL}
#define FLAG(n, tok) {.name = n, .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = tok, \
                      .flags = REDISMODULE_CMD_ARG_OPTIONAL}

/* Command tables, one per file, each terminated by {NULL}. */
extern HdCommand hdCustomerCommands[];
extern HdCommand hdAgentCommands[];
extern HdCommand hdTicketCommands[];
extern HdCommand hdDeskCommands[];
extern HdCommand hdCheckCommands[];
extern HdCommand hdClassifyCommands[];  /* classify.c */
extern HdCommand hdChatCommands[];      /* chat.c */
extern HdCommand hdStateCommands[];     /* state.c */
extern HdCommand hdAccessCommands[];    /* access.c */

/* access.c: with helpdesk.enforce-identity on, replies DENIED (and writes
 * ACL LOG) and returns 0 when the caller may not run this command. */
int accessCheck(Hd *hd, const HdCommand *c, RedisModuleString **argv, int argc);
int accessIsAdmin(Hd *hd, RedisModuleString *user);

/* ------------------------------------------------------------------------ */
/* Module-wide settings and counters (globals.c; configs in module.c)         */
/* ------------------------------------------------------------------------ */

typedef struct HdGlobals {
    int enforce_identity;
    long long max_text;
    long long sla_timer_ms;
    /* INFO counters */
    long long tickets_created, tickets_closed, tickets_merged, alerts;
    long long claims, blocked_waiters, sla_breaches;
    long long sla_paused_ticks;     /* SLA ticks held off: clients were paused */
    long long queue_seeks;          /* routing-queue seeks of NEXT/CLAIM/ROUTE picks */
    /* Replication that something may receive (effects.c): set when AOF is
     * on, the server is or was a replica, has or had replicas or a backlog,
     * or a SYNC/PSYNC arrived; never cleared until restart. While clear,
     * effects are applied but not built for replication. */
    int replication_listening;
    long long effects_unreplicated; /* effects not built: nothing listened */
    int replication_mode;           /* HD_REPLICATION_* (helpdesk.replication) */
    long long replays, replay_divergences;
} HdGlobals;
extern HdGlobals hdg;

/* ------------------------------------------------------------------------ */
/* Errors (errors.c) and typed replies (reply.c)                             */
/* ------------------------------------------------------------------------ */

/* Reply with "CODE <sentence>"; always returns REDISMODULE_OK so handlers can
 * `return hdError(...)`. */
int hdError(Hd *hd, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int hdSyntax(Hd *hd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Typed replies (reply.c): integers for ids, priorities, versions, loads,
 * capacities, counts and *_at times; urgency a double (RESP3) or its string
 * (RESP2); anything else, or a value that does not parse, as a string; NULL
 * as nil. hdReplyField replies the field name then its value. */
int hdFieldIsInteger(const char *name, size_t len);
int hdReplyIsResp3(Hd *hd);
void hdReplyDecimal(Hd *hd, const char *s, size_t len);
void hdReplyValue(Hd *hd, const char *field, size_t flen, RedisModuleString *v);
/* hdReplyValue in two steps, for callers that reply the same field names
 * often (the ticket reply): the kind of a field's values, found once, then
 * a value of that kind. */
enum { HD_VALUE_STRING, HD_VALUE_INTEGER, HD_VALUE_DECIMAL };
int hdFieldKind(const char *field, size_t flen);
void hdReplyValueOfKind(Hd *hd, int kind, RedisModuleString *v);
void hdReplyField(Hd *hd, const char *field, RedisModuleString *v);
void hdReplyStringOrNull(Hd *hd, RedisModuleString *s);    /* s or nil */

/* ------------------------------------------------------------------------ */
/* Key names (keys.c)                                                        */
/* ------------------------------------------------------------------------ */

/* printf-like formatting of %lld, %s, %.*s and %% without vsnprintf's cost
 * (others fall back to it). Returns the length written (truncated, NUL-ended). */
int hdFormat(char *buf, size_t size, const char *fmt, va_list ap);
/* v in decimal, NUL-terminated, into dst (>= 21 bytes); returns the length. */
int hdFormatLL(char *dst, long long v);
/* "<db>:<desk>" into buf (>= 12 + dlen bytes, not NUL-terminated): the name
 * under which module memory keeps per-desk state. Returns its length. */
int hdDbDeskName(char *buf, int db, const char *desk, size_t dlen);
/* Turns the key-name memo on for this command. Only for an Hd whose ctx has
 * auto memory (RedisModule_AutoMemory) and lives for one command. */
void hdKeyMemoStart(Hd *hd);
/* And lends the memo's names (Hd.memo_lend), after hdKeyMemoStart, for a
 * command that frees no key name it is handed; one such command runs at a
 * time (none calls another). */
void hdKeyMemoLend(Hd *hd);
/* "<desk>:<suffix>", suffix built printf-style. Auto-memory string. */
RedisModuleString *hdKey(Hd *hd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* lit as a string object made once and shared (never free or retain it);
 * for field names and fixed values on hot paths. */
RedisModuleString *hdConstString(Hd *hd, const char *lit);
void hdConstStringsFree(void);      /* MODULE UNLOAD */
RedisModuleString *hdTicketKey(Hd *hd, long long tid);
RedisModuleString *hdTicketMember(Hd *hd, long long tid); /* "ticket:<tid>" */
/* One builder per fixed key kind: "<desk>:stats", "<desk>:queue:sla", ... */
RedisModuleString *hdStatsKey(Hd *hd);          /* stats */
RedisModuleString *hdEventsKey(Hd *hd);         /* events */
RedisModuleString *hdConfigKey(Hd *hd);         /* config */
RedisModuleString *hdAgentsKey(Hd *hd);         /* agents */
RedisModuleString *hdAdminsKey(Hd *hd);         /* admins */
RedisModuleString *hdQueuePriorityKey(Hd *hd);  /* queue:priority */
RedisModuleString *hdQueueSlaKey(Hd *hd);       /* queue:sla */
RedisModuleString *hdSlaTimerKey(Hd *hd);       /* sla:timer */
RedisModuleString *hdSlaRelaxKey(Hd *hd);       /* sla:relax */
RedisModuleString *hdSlaReassignKey(Hd *hd);    /* sla:reassign */
RedisModuleString *hdSeqTicketsKey(Hd *hd);     /* seq:tickets */
RedisModuleString *hdSeqUsersKey(Hd *hd);       /* seq:users */
RedisModuleString *hdAlertsKey(Hd *hd);         /* alerts */
RedisModuleString *hdModelMetaKey(Hd *hd);      /* model:meta */
RedisModuleString *hdModelWordsKey(Hd *hd);     /* model:words */
RedisModuleString *hdTicketLogKey(Hd *hd, long long tid); /* ticket:<tid>:log */
RedisModuleString *hdTicketChatKey(Hd *hd, long long tid); /* ticket:<tid>:chat */
RedisModuleString *hdTicketStateKey(Hd *hd, long long tid); /* ticket:<tid>:state */
RedisModuleString *hdTicketReportKey(Hd *hd, long long tid); /* ticket:<tid>:report */
RedisModuleString *hdChatChannel(Hd *hd, long long tid); /* chat:<tid> */
RedisModuleString *hdFloodChildrenKey(Hd *hd, long long tid); /* flood:children:<tid> */
RedisModuleString *hdFloodRecentKey(Hd *hd);                  /* flood:recent */
RedisModuleString *hdFloodMastersKey(Hd *hd);                 /* flood:masters */
RedisModuleString *hdReportDayKey(Hd *hd, long long day); /* report:<yyyymmdd> */
RedisModuleString *hdAgentKey(Hd *hd, RedisModuleString *aid);
RedisModuleString *hdAgentSkillsKey(Hd *hd, RedisModuleString *aid);
RedisModuleString *hdAgentOpenKey(Hd *hd, RedisModuleString *aid);
RedisModuleString *hdUserKey(Hd *hd, RedisModuleString *uid);
RedisModuleString *hdUserTicketsKey(Hd *hd, RedisModuleString *uid);
RedisModuleString *hdEmailKey(Hd *hd, const char *email_lower, size_t len);
RedisModuleString *hdRoutingKey(Hd *hd, const char *category, size_t len);
/* The same tickets as hdRoutingKey's, scored by ticket id (ORDER CREATED). */
RedisModuleString *hdCreatedKey(Hd *hd, const char *category, size_t len);
RedisModuleString *hdSkillKey(Hd *hd, const char *skill, size_t len);

/* Validation of names. Return 1 when valid. */
int hdValidDeskName(const char *s, size_t len);
int hdDeskHasHashTag(const char *s, size_t len);
int hdValidId(const char *s, size_t len);            /* [A-Za-z0-9_.@-]{1,64} */
int hdValidCategory(const char *s, size_t len);      /* [a-z0-9_-]{1,32} */
/* The ticket id in a key name or member: 1-19 digits, > 0; canonical (as
 * DESK.CHECK reads keys) also refuses leading zeros and more than 18 digits.
 * Returns 1 and sets *tid on success. */
int hdParseTicketId(const char *s, size_t len, int canonical, long long *tid);
/* A ticket id argument (a positive integer, as Redis reads integers). */
int hdTicketIdArg(RedisModuleString *arg, long long *tid);
/* Parse "ticket:<tid>" members; returns 1 and sets *tid on success. */
int hdParseTicketMember(const char *s, size_t len, long long *tid);
/* The same for a member string; 0 when it is not a ticket member. */
long long hdTicketMemberTid(RedisModuleString *m);
/* Lower-case copy into dst (dstsize bytes incl NUL); returns length or -1. */
int hdLower(const char *s, size_t len, char *dst, size_t dstsize);

/* Key type checks for the validate-first phase: 1 when the key is missing or
 * has the given REDISMODULE_KEYTYPE_*, otherwise replies INVALID and returns 0. */
int hdCheckTypeOrReply(Hd *hd, RedisModuleString *key, int type);
/* The same test without replying. */
int hdTypeOk(Hd *hd, RedisModuleString *key, int type);
/* The key's REDISMODULE_KEYTYPE_* (EMPTY when missing). */
int hdKeyType(Hd *hd, RedisModuleString *key);
/* "hash", "sorted set", ... for a REDISMODULE_KEYTYPE_* ("unknown type" else). */
const char *hdTypeName(int type);
/* Sets have no low-level API: REDISMODULE_KEYTYPE_SET is checked the same way. */

/* The command's handle of key, opened READ|WRITE the first time and kept
 * for the rest of the command where the key-name memo is on (hdKeyMemoStart:
 * a context with auto memory, which closes the kept handles when the
 * command returns; closing them one by one cost ~390 instructions each in
 * Redis's search of the auto-memory queue, more than the close); hand it
 * back with hdKeyRelease, which closes it only when it was not kept. The
 * type checks above and the fx* writes share it, so a key is opened once
 * per command. Anything that changes a key behind its handle (RM_Call,
 * an expiry set) must hdKeyForget it first: the handle's value pointer
 * would go stale. The module sets NO_IMPLICIT_SIGNAL_MODIFIED, so closing
 * a key nothing wrote does not touch WATCH; writers signal (effects.c). */
RedisModuleKey *hdKeyOpen(Hd *hd, RedisModuleString *key);
void hdKeyRelease(Hd *hd, RedisModuleKey *k);
void hdKeyForget(Hd *hd, RedisModuleString *key);

/* Argument parsing helpers; on failure they reply the error and return 0. */
int hdArgLongLongOrReply(Hd *hd, RedisModuleString *arg, const char *what,
                  long long min, long long max, long long *out);
int hdArgTicketIdOrReply(Hd *hd, RedisModuleString *arg, long long *tid);
int hdArgTextOrReply(Hd *hd, RedisModuleString *arg, const char *what,
              size_t maxlen, int allow_empty);
int hdArgIs(RedisModuleString *arg, const char *token); /* case-insensitive */
/* hdArgTextOrReply also refuses text that is not valid UTF-8 (INVALID naming it). */
int hdValidUtf8(const char *s, size_t len);
/* Options: each may be given once (ERR "option X given twice"; bit is the
 * option's flag in *seen), and an option at argv[i] that takes a value needs
 * argv[i+1] (ERR "<OPT> needs <what>", e.g. "COUNT needs a number"). Both
 * reply and return 0 on failure. */
int hdOptionOnce(Hd *hd, unsigned *seen, unsigned bit, RedisModuleString *opt);
int hdOptionHasValue(Hd *hd, int i, int argc, RedisModuleString *opt, const char *what);
/* Both of the above for the option argv[i] and its value argv[i+1]. */
int hdOptionValue(Hd *hd, unsigned *seen, unsigned bit, RedisModuleString **argv,
                  int argc, int i, const char *what);

/* ------------------------------------------------------------------------ */
/* Effects: apply + replicate (effects.c)                                    */
/* ------------------------------------------------------------------------ */

/* HSET key f1 v1 ... (fv has n strings, n even). */
void fxHashSet(Hd *hd, RedisModuleString *key, RedisModuleString **fv, int n);
void fxHashSetC(Hd *hd, RedisModuleString *key, const char *field, RedisModuleString *val);
void fxHashSetLL(Hd *hd, RedisModuleString *key, const char *field, long long val);
void fxHashDel(Hd *hd, RedisModuleString *key, const char *field);
/* Adds delta to an integer hash field, replicated as HSET of the result.
 * Returns the new value. */
long long fxHashIncr(Hd *hd, RedisModuleString *key, const char *field, long long delta);
/* Adds deltas[i] to integer fields[i] (n <= FX_INCR_MAX) with one key open
 * and one replicated HSET of the results. */
#define FX_INCR_MAX 16
void fxHashIncrMany(Hd *hd, RedisModuleString *key, const char **fields,
                    const long long *deltas, int n);
/* Adds d1 to f1 and d2 to f2 (distinct fields) of one hash; one HSET. */
void fxHashIncrPair(Hd *hd, RedisModuleString *key, const char *f1, long long d1,
                    const char *f2, long long d2);
void fxZAdd(Hd *hd, RedisModuleString *key, double score, RedisModuleString *member);
void fxZRem(Hd *hd, RedisModuleString *key, RedisModuleString *member);
void fxRPush(Hd *hd, RedisModuleString *key, RedisModuleString *ele);
void fxSet(Hd *hd, RedisModuleString *key, RedisModuleString *val);
/* INCR on a string counter, replicated as SET of the result. */
long long fxIncr(Hd *hd, RedisModuleString *key);
void fxSAdd(Hd *hd, RedisModuleString *key, RedisModuleString *member);
void fxSRem(Hd *hd, RedisModuleString *key, RedisModuleString *member);
void fxDel(Hd *hd, RedisModuleString *key);
/* <cmd> key a b, a command decided by its arguments alone, applied and
 * replicated verbatim; its keyspace events are Redis's own. */
void fxCallVerbatim(Hd *hd, const char *cmd, RedisModuleString *key, const char *a,
                    const char *b);
void fxPExpireAt(Hd *hd, RedisModuleString *key, long long at_ms);
/* XADD key <auto id> fields...; trims to about maxlen (0 = no trim) and
 * replicates XADD with the explicit id plus an exact XTRIM when it trimmed. */
void fxXAdd(Hd *hd, RedisModuleString *key, RedisModuleString **fv, int n,
            long long maxlen, RedisModuleStreamID *id_out);
void fxPublish(Hd *hd, RedisModuleString *channel, RedisModuleString *msg);
/* RPUSH key e1 .. en: one key open, one replicated RPUSH, one event. */
void fxRPushMany(Hd *hd, RedisModuleString *key, RedisModuleString **eles, int n);
/* At load: looks at the server's replication state once, then watches for
 * anything that could receive replication (role changes, SYNC/PSYNC). On a
 * server other than Redis 7.0 or Valkey 8.0 it sets the flag at once, so
 * effects always replicate there. */
void fxReplicationInit(RedisModuleCtx *ctx);
/* 1 when replication may be received (the flag above, looked at as each
 * effect does); the current command wrote anything (hdNotifyCommand resets). */
int fxListening(Hd *hd);
int fxWrote(void);

/* ------------------------------------------------------------------------ */
/* Hot commands replicated as one command (replay.c)                         */
/* ------------------------------------------------------------------------ */

/* The replicated form HD.REPLAY <format> <now> <decided> <argv...>; bump it
 * whenever a hot command's handler or the decided values change meaning. */
#define HD_REPLAY_FORMAT 1
#define HD_REPLICATION_EFFECTS 0
#define HD_REPLICATION_COMMANDS 1
/* Commands by default: cheaper than effects in every measured case (README,
 * "Replication design"); effects stays for replicas without the module. */
#define HD_REPLICATION_DEFAULT HD_REPLICATION_COMMANDS
/* Recording (master, commands mode) or replaying: effects replicate nothing. */
int hdReplayActive(void);
void hdReplayBegin(int on);
void hdReplayEnd(Hd *hd, RedisModuleString **argv, int argc);
/* Values decided on the master: Note records one (master), Take returns 1
 * and the master's value on replay, else 0 (decide it live). */
int hdReplayTakeStreamId(RedisModuleStreamID *id);
void hdReplayNoteStreamId(const RedisModuleStreamID *id);
int hdReplayTakeTrim(long long *left);
void hdReplayNoteTrim(long long left);
int hdReplayTakeFlag(char tag, int *v);
void hdReplayNoteFlag(char tag, int v);
/* HD.REPLAY's handler. It runs argv (a hot command) at clock now through
 * the runner the entry layer hands it at load (hdRunReplayed, module.c):
 * -1 when argv is no hot command, else whether it wrote. */
typedef int (*HdReplayRunFn)(RedisModuleCtx *ctx, RedisModuleString **argv, int argc,
                             long long now);
void hdReplaySetRunner(HdReplayRunFn fn);
int hdReplayCommand(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
void hdReplayFree(void);              /* at unload */
int hdRunReplayed(RedisModuleCtx *ctx, RedisModuleString **argv, int argc, long long now);
/* The module's one keyspace subscriber (effects.c). Redis makes and frees a
 * context for every subscriber on every event, about 450 instructions, and
 * the module's own writes raise about a dozen events per TICKET.CREATE; so
 * the files that follow keys (the desk settings, the classifier's model, the
 * SLA registry) register a hook here, at load, and share one subscription
 * that hdKeyspaceStart makes. A hook gets the events of its mask only. */
typedef void (*HdKeyspaceFn)(RedisModuleCtx *ctx, int type, const char *event,
                             RedisModuleString *key);
void hdKeyspaceHook(int mask, HdKeyspaceFn fn);
/* The hooks of a copy of keys kept between commands: fn on HD_KEPT_EVENTS,
 * reset on flush, SWAPDB and loads (effects.c says why these). */
#define HD_KEPT_EVENTS (REDISMODULE_NOTIFY_HASH | REDISMODULE_NOTIFY_GENERIC | \
                        REDISMODULE_NOTIFY_EXPIRED | REDISMODULE_NOTIFY_EVICTED)
void hdKeptHooks(RedisModuleCtx *ctx, HdKeyspaceFn fn, RedisModuleEventCallback reset);
void hdKeyspaceStart(RedisModuleCtx *ctx);
/* fn is called on server event e. Redis keeps one callback per module and
 * event (subscribing again replaces it), so every file subscribes through
 * this, which subscribes once and calls each hook. Returns REDISMODULE_ERR
 * when the server has no such event. */
int hdServerEventHook(RedisModuleCtx *ctx, RedisModuleEvent e, RedisModuleEventCallback fn);
/* Every fx* write raises the keyspace event of the command it replicates.
 * The dispatcher brackets each command with these two: when the command
 * wrote anything, hdNotifyCommand raises one module event (class `d`, the
 * command's name as the event): a TICKET.* command on the hash of the first
 * ticket it wrote, any other command on the desk name. */
void hdNotifyBegin(Hd *hd);
void hdNotifyCommand(Hd *hd, const char *command);
/* "<ms>-<seq>" into buf (>= 42 bytes); returns its length. */
int hdFormatStreamId(char *buf, const RedisModuleStreamID *id);

/* Reads (effects.c) */
/* Returns the hash field or NULL (auto-memory). */
RedisModuleString *hdHashGet(Hd *hd, RedisModuleString *key, const char *field);
/* A hash read whole in one pass (ScanKey), kept for the rest of the command
 * until anything writes that key: TICKET.CLOSE read the ticket hash twice
 * (the record, then the SLA state), each a walk of its listpack. Only where
 * the key-name memo is on (hdKeyMemoStart), else NULL: callers then read the
 * fields themselves. type is the key's type (the fields only for a hash). */
#define HD_HASH_READ_MAX 64
typedef struct HdHashRead {
    RedisModuleString *key;
    int type, n, truncated;     /* truncated: more fields than kept */
    RedisModuleString *f[HD_HASH_READ_MAX], *v[HD_HASH_READ_MAX];
} HdHashRead;
const HdHashRead *hdHashRead(Hd *hd, RedisModuleString *key);
/* The kept read of key if there is one (reads nothing), else NULL. */
const HdHashRead *hdHashReadKept(Hd *hd, RedisModuleString *key);
/* Field f of a hash read (NULL when absent), the caller's own reference
 * (auto memory). */
RedisModuleString *hdHashReadField(Hd *hd, const HdHashRead *r, const char *f, size_t flen);
/* Keeps r (a whole read of r->key, which its reader updated after a write
 * of its own) as the key's read again, until the next write forgets it. */
void hdHashReadAdopt(Hd *hd, HdHashRead *r);
int hdHashGetLL(Hd *hd, RedisModuleString *key, const char *field, long long *out);
/* The value of a STRING key, or NULL when missing or of another type (then
 * *type, unless NULL, tells which). Auto-memory. */
RedisModuleString *hdStringGet(Hd *hd, RedisModuleString *key, int *type);
int hdKeyExists(Hd *hd, RedisModuleString *key);
int hdSIsMember(Hd *hd, RedisModuleString *key, RedisModuleString *member);
long long hdSCard(Hd *hd, RedisModuleString *key);
long long hdZCard(Hd *hd, RedisModuleString *key);
/* Calls fn for each member of a SET (no order; nothing when missing). */
typedef void (*HdMemberFn)(const char *member, size_t len, void *privdata);
void hdSetForEach(Hd *hd, RedisModuleString *key, HdMemberFn fn, void *privdata);
/* Members of the SET at key, sorted bytewise (sets.c, through hdSetForEach).
 * Returns the count and sets *out to an array allocated with
 * RedisModule_PoolAlloc (freed when the command returns; NULL when empty). A
 * missing key, or one of another type, reads as empty. */
size_t hdSetMembersSorted(Hd *hd, RedisModuleString *key, RedisModuleString ***out);
/* Ticket ids of a SET of "ticket:<tid>" members, ascending; members that do
 * not parse are skipped. Allocation as for hdSetMembersSorted. */
size_t hdSetTicketIds(Hd *hd, RedisModuleString *key, long long **out);
/* Replies with the array of ticket ids of such a SET, ascending. */
void hdReplyTicketIds(Hd *hd, RedisModuleString *key);
/* Calls fn with the name of every key of the desk ("<desk>:*", by SCAN: a
 * key may come twice). fn may write other keys, not delete unseen ones. */
void hdDeskScan(Hd *hd, HdMemberFn fn, void *privdata);
/* Score of member or 0 when absent (returns 1 when present). */
int hdZScore(Hd *hd, RedisModuleString *key, RedisModuleString *member, double *score);

/* ------------------------------------------------------------------------ */
/* Desk settings (deskconfig.c) and counters (stats.c)                      */
/* ------------------------------------------------------------------------ */

#define HD_MAX_SLA 64
#define HD_MAX_CATEGORIES 64
#define HD_MAX_KEYWORD_CATS 16         /* categories with desk keywords */
#define HD_KEYWORDS_MAX 255            /* bytes of one category's keyword list */

/* A new field must be set in configDefaults and copied in configCopy
 * (deskconfig.c): neither clears or copies the struct whole. */
typedef struct DeskConfig {
    double alert_threshold;
    long long flood_window, flood_threshold, default_capacity;
    int auto_route;
    long long events_maxlen, chat_maxlen, state_ttl, state_history_max;
    int nsla;
    int sla_prio[HD_MAX_SLA];          /* sorted ascending */
    long long sla_secs[HD_MAX_SLA];
    int ncat;
    char cats[HD_MAX_CATEGORIES][33];
    int learn_corrections;             /* learn-from-corrections yes|no */
    int nkw;                           /* category.<name>.keywords settings */
    char kwcat[HD_MAX_KEYWORD_CATS][33];
    char kw[HD_MAX_KEYWORD_CATS][HD_KEYWORDS_MAX + 1];
    /* Service levels (SPEC section 11; sla.c). sla_prio/sla_secs above are
     * the resolution targets; first and next reply have tables of their own
     * (empty = no target). */
    int nfr, nnr;
    int fr_prio[HD_MAX_SLA], nr_prio[HD_MAX_SLA];
    long long fr_secs[HD_MAX_SLA], nr_secs[HD_MAX_SLA];
    HdHours hours;
    int nholidays;
    int32_t holidays[HD_MAX_HOLIDAYS];
    char timezone[HD_TZ_NAME_MAX + 1];
    int sla_business, sla_pause_on_hold;
    long long sla_warn_percent, skill_timeout, reassign_after;
} DeskConfig;

/* The three SLA metrics, in the order TICKET.SLA reports them. */
enum { SLA_FIRST_REPLY, SLA_NEXT_REPLY, SLA_RESOLUTION, SLA_METRICS };

/* Loads D:config over the defaults. Returns 0 (and replies) on a bad type.
 * The parsed settings of a few desks are kept between commands; any event on
 * a "...:config" key, a flush, SWAPDB or a load drops them all. */
int deskConfigLoad(Hd *hd, DeskConfig *cfg);
/* At load: registers what drops the kept settings. */
void deskConfigInit(RedisModuleCtx *ctx);
long long deskSlaSeconds(const DeskConfig *cfg, long long priority);
/* Target in seconds of one metric (SLA_*) for a priority; 0 = no target. */
long long deskTargetSeconds(const DeskConfig *cfg, int metric, long long priority);
int deskCategoryKnown(const DeskConfig *cfg, const char *cat, size_t len);
/* Longest setting value accepted or stored: room for HD_MAX_CATEGORIES
 * categories of 32 bytes with separators, so a normalised list is never cut
 * short. */
#define HD_SETTING_VALUE_MAX 4096
/* The i-th setting DESK.CONFIG GET lists (NULL past the last). */
const char *deskSettingName(int i);
/* 1 when name (lower case) is a setting: a listed one, a target
 * (sla.[metric.]<priority>), category.<name>.keywords or model. */
int deskSettingKnown(const char *name);
/* Parses value v of setting name into c, the same for stored values and
 * DESK.CONFIG SET's. Returns 1, or 0 with the reason in err. */
int deskSettingApply(DeskConfig *c, const char *name, const char *v, char *err, size_t errlen);
/* The stored (and listed) form of a setting, into out. */
void deskSettingFormat(const DeskConfig *c, const char *name, char *out, size_t outlen);
/* The name a setting is stored under (sla.resolution.<p> is sla.<p>), in
 * place; name has 64 bytes. */
void deskSettingCanonical(char *name);
/* D:stats counters (stats.c) */
/* A ticket moved from one status (or category) to another. */
void statsMove(Hd *hd, const char *kind, const char *from, size_t flen,
               const char *to, size_t tlen);
/* A ticket with this status and category appeared (+1) or went away (-1). */
void statsTicket(Hd *hd, const char *status, const char *cat, size_t clen, long long delta);
/* The counter of one status or category (kind "status" or "category"). */
long long statsGet(Hd *hd, const char *kind, const char *name);

/* ------------------------------------------------------------------------ */
/* Events and ticket log (events.c)                                          */
/* ------------------------------------------------------------------------ */

/* Appends an event: type, ticket, at, then extra field/value C strings
 * (NULL-terminated list). Honours events-maxlen (0 = off). */
void eventEmit(Hd *hd, const DeskConfig *cfg, const char *type, long long tid, ...);
/* Appends "<now>: <text>" to D:ticket:<tid>:log. */
void ticketLog(Hd *hd, long long tid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends "<now>: <prefix><text>" for texts of any length (notes). */
void ticketLogText(Hd *hd, long long tid, const char *prefix, RedisModuleString *text);

/* ------------------------------------------------------------------------ */
/* Queues (queue.c)                                                          */
/* ------------------------------------------------------------------------ */

/* Routing score: lower is more urgent: priority descending, then ticket id
 * (creation order) ascending. */
double queueRoutingScore(long long priority, long long tid);
void queueAddActive(Hd *hd, long long tid, long long priority, long long sla_due);
void queueRemoveActive(Hd *hd, long long tid);
void queueAddRouting(Hd *hd, long long tid, const char *cat, size_t clen, long long priority);
/* The same for a ticket known to be neither relaxed nor under a skill
 * timeout (skill-timeout off): no SLA routing bookkeeping. */
void queueAddRoutingPlain(Hd *hd, long long tid, const char *cat, size_t clen,
                          long long priority);
/* Called after a ticket of category cat entered a routing queue (routing.c
 * registers routingQueued at load). */
typedef void (*HdQueuedHook)(Hd *hd, const char *cat, size_t clen);
void queueSetQueuedHook(HdQueuedHook fn);
void queueRemoveRouting(Hd *hd, long long tid, const char *cat, size_t clen);
/* The raw writes under the three above, for callers that keep their own
 * bookkeeping (relaxing, DESK.REPAIR): a ticket enters or leaves the routing
 * queue of cat and its creation-order twin (hdCreatedKey) together. Put
 * returns the routing key, for callers to signal. */
RedisModuleString *queueRoutingPut(Hd *hd, const char *cat, size_t clen, double score,
                                   RedisModuleString *member, long long tid);
void queueRoutingDrop(Hd *hd, const char *cat, size_t clen, RedisModuleString *member);
/* Both keys of cat's routing queue are sorted sets or absent; the OrReply
 * form replies WRONGTYPE naming the key. */
int queueRoutingTypeOk(Hd *hd, const char *cat, size_t clen);
int queueCheckRoutingOrReply(Hd *hd, const char *cat, size_t clen);
/* The service levels (a layer above) keep D:queue:sla, D:sla:timer and the
 * skill-timeout clock in step with the queues through these hooks; sla.c
 * registers them at load (slaInit), so the queues never call up. */
typedef struct HdQueueSlaHooks {
    void (*schedule)(Hd *hd, const DeskConfig *cfg, long long tid);  /* slaSchedule */
    int (*isRelaxed)(Hd *hd, long long tid);                         /* slaIsRelaxed */
    void (*routingEntered)(Hd *hd, long long tid, const char *cat, size_t clen);
    void (*routingLeft)(Hd *hd, long long tid);
} HdQueueSlaHooks;
void queueSetSlaHooks(const HdQueueSlaHooks *hooks);

/* ------------------------------------------------------------------------ */
/* The ticket record (record.c): primitives under the TICKET.* commands      */
/* ------------------------------------------------------------------------ */

typedef struct Ticket {
    long long id;
    RedisModuleString *key;
    int exists;
    char status[16];
    long long priority;
    char category[33];
    size_t catlen;
    RedisModuleString *agent;       /* NULL when unassigned */
    long long version;
    long long sla_due_at;
    RedisModuleString *master;      /* NULL when none */
    RedisModuleString *user_id;     /* NULL when none */
    /* The hash as ticketLoad read it whole (record.c), kept up to date by
     * the record's own writes; NULL when it was not read that way. Used
     * only while the effects layer still keeps it as the key's read, i.e.
     * nothing else has written the hash since. */
    struct TicketRead *read;
} Ticket;

/* Reads the fields routing cares about. Returns 0 (and replies) on a wrong
 * key type; t->exists tells whether the ticket is there. */
int ticketLoad(Hd *hd, long long tid, Ticket *t);
int ticketIsActive(const Ticket *t);    /* not closed / merged */
/* Parses arg as a ticket id and loads it; replies INVALID/NOTFOUND and
 * returns 0 when it is not an existing ticket. */
int ticketLoadExisting(Hd *hd, RedisModuleString *arg, Ticket *t);
/* An agent's routing fields. agentLoad returns 0 when the agent is missing. */
typedef struct AgentInfo {
    RedisModuleString *id, *key, *open_key;
    long long load, capacity, assigned_total;
    char availability[16];
} AgentInfo;
int agentLoad(Hd *hd, RedisModuleString *aid, AgentInfo *a);
int agentHasSkill(Hd *hd, RedisModuleString *aid, const char *cat, size_t len);
/* The service levels (a layer above) follow the record through these hooks,
 * registered at load by sla.c (slaInit): the record never calls up. */
typedef struct HdRecordSlaHooks {
    /* Type checks of the service keys a ticket write may touch. */
    int (*checkKeys)(Hd *hd, long long tid);
    /* A new ticket's hash is written: score it in D:queue:sla, D:sla:timer. */
    void (*inserted)(Hd *hd, const DeskConfig *cfg, long long tid, long long priority,
                     long long first_reply_due, long long sla_due);
    /* The reassign-after clock starts; cfg is the caller's, so that a CLAIM
     * of K tickets parses the desk config once, not K times. */
    void (*assigned)(Hd *hd, const DeskConfig *cfg, long long tid);
    void (*unassigned)(Hd *hd, long long tid);  /* ... and stops */
} HdRecordSlaHooks;
void recordSetSlaHooks(const HdRecordSlaHooks *hooks);
/* Type checks of every key a ticket write / an agent write may touch. */
int ticketCheckKeys(Hd *hd, Ticket *t);
int agentCheckKeys(Hd *hd, RedisModuleString *aid);
/* Assigns t to aid (moving it from its current agent or routing queue),
 * logs and emits `assigned` with the reason. Caller has validated. */
void ticketAssignTo(Hd *hd, const DeskConfig *cfg, Ticket *t, RedisModuleString *aid,
                    const char *reason);
/* The same for an agent agentLoad read in this command and that nothing but
 * these assignments wrote since (TICKET.NEXT, TICKET.CLAIM): its key names
 * and its load and assigned_total are taken from a (and moved on there), so
 * the agent's hash is not read again. */
void ticketAssignToAgent(Hd *hd, const DeskConfig *cfg, Ticket *t, AgentInfo *a,
                         const char *reason);
/* Replies the whole ticket as TICKET.GET does (nil when missing). */
void ticketReply(Hd *hd, long long tid);
/* The same reply for a ticket loaded by ticketLoad and written since only
 * through the record: from the read ticketLoad made when it is still exact
 * (same bytes as ticketReply), else by reading the hash again. */
void ticketReplyLoaded(Hd *hd, Ticket *t);
/* Writes fields fv[0..n) plus updated_at and version+1 in one HSET; fv has
 * room for 4 more entries. */
void ticketWrite(Hd *hd, Ticket *t, RedisModuleString **fv, int n);
/* Moves the status counters and the status field; callers log and emit. */
void ticketChangeStatus(Hd *hd, Ticket *t, const char *to);
/* Takes an active ticket out of every queue and off its agent. */
void ticketRetire(Hd *hd, Ticket *t);

/* A new open, unassigned ticket; NULL members are left out of the hash. */
typedef struct NewTicket {
    RedisModuleString *subject, *body, *customer, *urgency, *master;
    long long priority, sla_due_at;
    long long first_reply_due_at;   /* 0: no first-reply target */
    const DeskConfig *cfg;          /* the command's settings, or NULL */
    const char *category;
    size_t catlen;
} NewTicket;
/* Writes ticket `tid`: the id counter, the hash, the priority/SLA/routing
 * queues, the customer's set and D:stats; fills t. Callers validated the
 * keys, and log and announce the ticket themselves. */
void ticketInsert(Hd *hd, long long tid, const NewTicket *nt, Ticket *t);
/* Removes the assignment of t (agent set, load, field) and puts it back in
 * its routing queue; logs and emits `unassigned` with reason. Caller has
 * validated everything. */
void ticketUnassign(Hd *hd, const DeskConfig *cfg, Ticket *t, const char *reason);
/* Active tickets whose category is one of cats[0..n) (DESK.CONFIG removing
 * categories): ticketsInCategories counts them and checks the keys a move
 * writes (-1 after replying on a damaged key); ticketsRequeueUnderGeneral
 * moves them to `general` (routing queue, stats, log, `updated` event).
 * O(active tickets). */
long long ticketsInCategories(Hd *hd, char (*cats)[33], int n);
void ticketsRequeueUnderGeneral(Hd *hd, const DeskConfig *cfg, char (*cats)[33], int n);
/* Ticket ids must fit the 40 id bits of queueRoutingScore (queue.c). */
#define TICKET_ID_LIMIT (1LL << 40)
/* The next free ticket id (D:seq:tickets + 1, skipping ids whose hash
 * exists); the caller stores it in D:seq:tickets. */
long long nextTicketId(Hd *hd);
/* D:seq:tickets as a number into *out (0 when missing); returns 0 when it
 * holds anything but an integer >= 0 (then *out is 0). */
int ticketSeqRead(Hd *hd, long long *out);

/* ------------------------------------------------------------------------ */
/* Routing (routing.c)                                                       */
/* ------------------------------------------------------------------------ */

extern HdCommand hdRoutingCommands[];
/* After a ticket entered its routing queue: wakes blocked TICKET.NEXT callers
 * of that queue, or, when `push` is set and nobody waits, assigns it to the
 * best online agent. */
void routingOffer(Hd *hd, const DeskConfig *cfg, Ticket *t, int push);
void routingInit(RedisModuleCtx *ctx);
/* Blocked TICKET.NEXT callers follow their agent (routing.c): a ticket of
 * category cat was queued; aid's skills changed; aid was deleted or is no
 * longer online (its waiters get the error "<code> agent <aid> <why> ...");
 * the desk was purged. */
void routingQueued(Hd *hd, const char *cat, size_t clen);
void routingAgentSkillsChanged(Hd *hd, RedisModuleString *aid);
void routingAgentGone(Hd *hd, RedisModuleString *aid, const char *code, const char *why);
void routingDeskPurged(Hd *hd);
void routingUnload(void);

/* ------------------------------------------------------------------------ */
/* Classification and alerts (classify.c, alerts.c)                          */
/* ------------------------------------------------------------------------ */

typedef struct Classification {
    char category[33];
    size_t catlen;
    double urgency;             /* 0..1 */
    const char *label;          /* low | medium | high */
    long long priority;         /* 20 / 10 / 5 / 1 from urgency */
} Classification;

/* Classifies subject + body (body may be NULL) with the lexicon and the
 * desk's trained model. Reads only. */
void classifyText(Hd *hd, const DeskConfig *cfg, RedisModuleString *subject,
                  RedisModuleString *body, Classification *out);
/* PUBLISH D:alerts and an `alert` event when urgency >= alert-threshold
 * (alerts.c). */
void alertMaybe(Hd *hd, const DeskConfig *cfg, const Ticket *t,
                RedisModuleString *subject, const Classification *c);
/* learn-from-corrections: trains the desk's model on a ticket's text with its
 * corrected category and/or urgency label (either may be NULL). */
void classifyLearn(Hd *hd, const DeskConfig *cfg, RedisModuleString *subject,
                   RedisModuleString *body, const char *cat, const char *label);
/* The urgency label ("low", "medium", "high") a priority stands for. */
const char *classifyPriorityLabel(long long priority);
/* DESK.CONFIG SET D model reset: deletes the desk's trained model. */
void classifyModelReset(Hd *hd);
/* OnLoad: the model cache follows changes to D:model:* keys. */
void classifyInit(RedisModuleCtx *ctx);
void classifyUnload(void);

/* ------------------------------------------------------------------------ */
/* Flash floods, merging, SLA timer (flood.c, sla.c)                          */
/* ------------------------------------------------------------------------ */

extern HdCommand hdFloodCommands[];
/* Validate phase of TICKET.CREATE: types of the flood keys. Replies on error. */
int floodCheckKeys(Hd *hd);
/* After a ticket was created: records its signature and merges it (and, on
 * reaching flood-threshold, the whole flood) into a master incident. */
void floodOnCreate(Hd *hd, const DeskConfig *cfg, Ticket *t,
                   RedisModuleString *subject, RedisModuleString *body);
/* Validate phase of closing/deleting t (children keys). Replies on error. */
int floodCheckChildren(Hd *hd, Ticket *t);
/* t (a master, master=self) was closed: close its merged tickets. */
void floodOnMasterClosed(Hd *hd, const DeskConfig *cfg, Ticket *t);
/* t is about to be deleted: detach/fix the tickets merged into it. */
void floodOnDelete(Hd *hd, const DeskConfig *cfg, Ticket *t);
/* Service-level metrics (slametrics.c). */
typedef struct SlaState {
    long long tid, created_at, priority;
    int active, closed, on_hold;
    long long start[SLA_METRICS], due[SLA_METRICS], at[SLA_METRICS];  /* 0 = none */
    long long paused_at, paused_ms;     /* resolution clock stopped (on_hold) */
    int breached, warned;               /* bit (1 << metric) per mark */
    long long last_message_at;
} SlaState;
const char *slaMetricName(int metric);
/* The desk's calendar (zone files are cached per process). */
void slaCalendar(const DeskConfig *cfg, HdCalendar *cal);
const HdTz *slaZone(const char *name);
int slaZoneCheck(const char *name, char *err, size_t errlen);
void slaZonesFree(void);
/* The instant `secs` counted seconds (calendar or business) after start. */
long long slaDueFrom(const DeskConfig *cfg, long long start, long long secs);
long long slaFirstReplyDue(const DeskConfig *cfg, long long priority, long long created);
int slaRead(Hd *hd, long long tid, SlaState *s);
int slaPending(const SlaState *s, int metric);
double slaQueueScore(const SlaState *s);
long long slaNextEvent(const DeskConfig *cfg, const SlaState *s);
/* Re-scores the ticket in D:queue:sla and D:sla:timer from its hash (cfg
 * NULL: loaded here). Removes it from both when it is not active. */
void slaSchedule(Hd *hd, const DeskConfig *cfg, long long tid);
void slaScheduleNew(Hd *hd, const DeskConfig *cfg, long long tid, long long priority,
                    long long first_reply_due, long long sla_due);
void slaMarkBreach(Hd *hd, const DeskConfig *cfg, SlaState *s, int metric);
void slaMarkWarning(Hd *hd, const DeskConfig *cfg, SlaState *s, int metric);
void slaOnMessage(Hd *hd, const DeskConfig *cfg, Ticket *t, int from_agent);
void slaOnStatus(Hd *hd, const DeskConfig *cfg, Ticket *t, const char *from, const char *to);
void slaResume(Hd *hd, const DeskConfig *cfg, Ticket *t, SlaState *s);
void slaOnClose(Hd *hd, const DeskConfig *cfg, Ticket *t);
long long slaOnReopen(Hd *hd, const DeskConfig *cfg, Ticket *t);
void slaOnPriority(Hd *hd, const DeskConfig *cfg, Ticket *t, long long prio,
                   int keep_resolution);
void slaOnDueSet(Hd *hd, Ticket *t, long long due);
int slaImportAllowed(Hd *hd, const char *command);
int slaCheckKeys(Hd *hd, long long tid);
extern HdCommand hdSlaCommands[];       /* slametrics.c: TICKET.SLA */

/* skill-timeout and reassign-after (slaroute.c). */
int slaIsRelaxed(Hd *hd, long long tid);
void slaRoutingEntered(Hd *hd, long long tid, const char *cat, size_t clen);
void slaRoutingLeft(Hd *hd, long long tid);
void slaAssignClock(Hd *hd, const DeskConfig *cfg, long long tid);
void slaAssignCleared(Hd *hd, long long tid);
int slaRouteCheckKeys(Hd *hd);
/* Relaxes and reassigns what waited too long; returns the tickets handled. */
int slaRouteTick(Hd *hd, const DeskConfig *cfg, int budget);

/* Reports (report.c): per-day aggregates behind DESK.REPORT. */
extern HdCommand hdReportCommands[];
void reportCount(Hd *hd, const Ticket *t, long long at, const char *counter);
void reportSample(Hd *hd, const Ticket *t, long long at, const char *metric, long long ms);
void reportBreach(Hd *hd, const Ticket *t, long long at, int metric);
/* The contributions between these two are written together at reportEnd:
 * one HSET per day hash, one RPUSH per ticket list (report.c). No nesting;
 * a command that begins ends before it returns. */
void reportBegin(Hd *hd);
void reportEnd(Hd *hd);
/* At load: the keyspace and server hooks of the kept counters. */
void reportInit(RedisModuleCtx *ctx);
void reportUnload(void);
/* TICKET.DEL: takes the ticket's contributions out of the aggregates. */
void reportForget(Hd *hd, long long tid);
/* Type checks of the report keys a write at `at` may touch. Replies. */
int reportCheckKeys(Hd *hd, long long tid, long long at);
int reportKeysOk(Hd *hd, long long tid, long long at);     /* the same, silent */

/* Starts the SLA breach timer (module load). */
/* At load: attaches the service levels to the record and the queues (their
 * hooks), before any command runs. */
void slaInit(void);
void slaTimerStart(RedisModuleCtx *ctx);
void slaTimerStop(RedisModuleCtx *ctx);
/* MODULE UNLOAD: frees floodwin.c's in-memory windows. */
void floodUnload(void);
void slaTimerSetPeriod(long long ms);
/* Records that desk hd (in the current db) has tickets the SLA timer must
 * watch (sla.c). */
void slaNoteDesk(Hd *hd);
/* DESK.PURGE: drop what the module holds in memory for the desk (sla.c,
 * floodwin.c); INFO helpdesk counts what is held. */
void slaForgetDesk(Hd *hd);
void floodForgetDesk(Hd *hd);
long long slaDeskCount(void);
long long floodWindowCount(void);
long long floodWindowBuilds(void);

#endif
