/* state.c -- session state of an automated assistant working a ticket:
 * TICKET.STATE.GET / SET / MERGE / APPEND / DECIDE / DEL.
 *
 * D:ticket:<tid>:state is a HASH whose fields hold compact JSON texts
 * (facts: object, history: array, last_decision: any value) and integers
 * (created_at, updated_at, version). A missing field reads as its default
 * ({}, [], null). Every successful state command, reads included, sets the
 * key's expiry to now + state-ttl seconds; it is replicated as PEXPIREAT with
 * the absolute time, so replicas and the AOF expire it at the same moment.
 *
 * JSON is parsed and written with jansson. The master writes the dumped
 * texts, so replicas store the same bytes without parsing anything. Every
 * json_t is released on every path, and every json_dumps result is free()d
 * (jansson allocates with malloc). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <jansson.h>
#include "helpdesk.h"

#define STATE_JSON_MAX (1024 * 1024)   /* input arguments and the document */
#define JSON_PARSE_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

typedef struct State {
    long long tid;
    RedisModuleString *key;
    int exists;
    RedisModuleString *facts, *history, *decision;  /* stored texts; NULL = default */
    RedisModuleString *created;                      /* NULL when missing */
    long long version;
} State;

/* ------------------------------------------------------------------------ */
/* JSON helpers                                                              */
/* ------------------------------------------------------------------------ */

static int hasReal(json_t *j) {
    const char *k;
    json_t *v;
    size_t i;
    if (json_is_real(j)) return 1;
    if (json_is_object(j)) {
        json_object_foreach(j, k, v) if (hasReal(v)) return 1;
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v) if (hasReal(v)) return 1;
    }
    return 0;
}

/* The shortest of 15, 16 or 17 significant digits that reads back as the
 * same double, in jansson's style: no '+' or leading zeros in the exponent,
 * and ".0" when it would otherwise read back as an integer. */
static size_t shortestReal(double d, char *buf, size_t size) {
    char *e, *p, *q;
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) break;
    }
    if ((e = strchr(buf, 'e')) != NULL) {
        p = q = e + 1;
        if (*p == '+') p++;
        else if (*p == '-') *q++ = *p++;
        while (*p == '0' && p[1]) p++;
        memmove(q, p, strlen(p) + 1);
    } else if (!strchr(buf, '.')) {
        strcat(buf, ".0");
    }
    return strlen(buf);
}

/* Copies compact JSON text s, rewriting each real number (a number token
 * with a fraction or an exponent) in its shortest exact form. */
static char *shortenReals(const char *s) {
    size_t len = strlen(s), o = 0;
    char *out = malloc(len + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < len;) {
        char c = s[i];
        if (c == '"') {                          /* copy a string verbatim */
            size_t j = i + 1;
            while (j < len && s[j] != '"') j += (s[j] == '\\') ? 2 : 1;
            j = j < len ? j + 1 : len;
            memcpy(out + o, s + i, j - i);
            o += j - i;
            i = j;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i;
            int real = 0;
            char tok[64], num[64];
            while (j < len && strchr("+-0123456789.eE", s[j])) {
                if (s[j] == '.' || s[j] == 'e' || s[j] == 'E') real = 1;
                j++;
            }
            if (real && j - i < sizeof(tok)) {
                memcpy(tok, s + i, j - i);
                tok[j - i] = '\0';
                size_t n = shortestReal(strtod(tok, NULL), num, sizeof(num));
                if (n <= j - i) {                /* never grows; be safe */
                    memcpy(out + o, num, n);
                    o += n;
                    i = j;
                    continue;
                }
            }
            memcpy(out + o, s + i, j - i);
            o += j - i;
            i = j;
        } else {
            out[o++] = s[i++];
        }
    }
    out[o] = '\0';
    return out;
}

/* Compact JSON text (malloc'd, free() it; NULL when out of memory). jansson
 * writes reals with 17 significant digits (exact but noisy: 0.1 comes out as
 * 0.10000000000000001), so each is then rewritten in its shortest exact form.
 * Deterministic: the same tree always gives the same bytes. */
static char *jsonDump(json_t *j) {
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    if (s && hasReal(j)) {
        char *t = shortenReals(s);
        free(s);
        s = t;
    }
    return s;
}

/* Parses an argument; replies INVALID (with jansson's reason and position)
 * and returns NULL when it is too large or not JSON. */
static json_t *jsonParseArg(Hd *hd, const char *what, RedisModuleString *arg) {
    json_error_t err;
    size_t len;
    const char *s = RedisModule_StringPtrLen(arg, &len);
    json_t *j;

    if (len > STATE_JSON_MAX) {
        hdError(hd, "INVALID", "%s is %zu bytes, more than the JSON limit of %d bytes",
                what, len, STATE_JSON_MAX);
        return NULL;
    }
    j = json_loadb(s, len, JSON_PARSE_FLAGS, &err);
    if (!j) hdError(hd, "INVALID", "%s is not valid JSON: %s at line %d column %d",
                    what, err.text, err.line, err.column);
    return j;
}

/* APPEND and DECIDE take a JSON value, or else plain text stored as a JSON
 * string: '{"role":"user"}' is an object, '42' a number, 'hello' the string
 * "hello". Replies INVALID and returns NULL for an empty, oversized or
 * non-UTF-8 argument. */
static json_t *jsonValueOrText(Hd *hd, const char *what, RedisModuleString *arg) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(arg, &len);
    json_t *j;

    if (len == 0) {
        hdError(hd, "INVALID", "%s must not be empty", what);
        return NULL;
    }
    if (len > STATE_JSON_MAX) {
        hdError(hd, "INVALID", "%s is %zu bytes, more than the JSON limit of %d bytes",
                what, len, STATE_JSON_MAX);
        return NULL;
    }
    if ((j = json_loadb(s, len, JSON_PARSE_FLAGS, NULL)) != NULL) return j;
    if ((j = json_stringn(s, len)) == NULL)
        hdError(hd, "INVALID", "%s is neither JSON nor UTF-8 text", what);
    return j;
}

/* RFC 7386 JSON Merge Patch. Consumes the reference to target (may be NULL),
 * borrows patch, returns a new reference to the result. */
static json_t *mergePatch(json_t *target, json_t *patch) {
    const char *name;
    json_t *value;

    if (!json_is_object(patch)) {
        json_decref(target);
        return json_incref(patch);
    }
    if (!json_is_object(target)) {
        json_decref(target);
        target = json_object();
        if (!target) return NULL;
    }
    json_object_foreach(patch, name, value) {
        if (json_is_null(value)) {
            json_object_del(target, name);
        } else {
            json_t *cur = json_incref(json_object_get(target, name));
            json_t *merged = mergePatch(cur, value);
            if (!merged) { json_decref(target); return NULL; }
            json_object_set_new(target, name, merged);
        }
    }
    return target;
}

/* The newest `max` entries of arr (consumes arr, returns a new reference).
 * A slice, not repeated removals from the front, which would be quadratic. */
static json_t *keepNewest(json_t *arr, size_t max) {
    size_t n = json_array_size(arr);
    json_t *out;
    if (n <= max) return arr;
    out = json_array();
    for (size_t i = n - max; out && i < n; i++)
        json_array_append(out, json_array_get(arr, i));
    json_decref(arr);
    return out;
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                   */
/* ------------------------------------------------------------------------ */

/* Parses the ticket id, checks the ticket exists and the state key is a hash,
 * and reads the stored fields. Replies and returns 0 on any error. */
static int stateLoadOrReply(Hd *hd, RedisModuleString *arg, State *st) {
    Ticket t;
    RedisModuleString *ver = NULL;
    RedisModuleKey *k;

    memset(st, 0, sizeof(*st));
    if (!hdArgTicketIdOrReply(hd, arg, &st->tid)) return 0;
    if (!ticketLoad(hd, st->tid, &t)) return 0;
    if (!t.exists) {
        hdError(hd, "NOTFOUND", "ticket %lld does not exist on desk '%.*s'",
                st->tid, (int)hd->dlen, hd->dname);
        return 0;
    }
    st->key = hdTicketStateKey(hd, st->tid);
    if (!hdCheckTypeOrReply(hd, st->key, REDISMODULE_KEYTYPE_HASH)) return 0;

    k = RedisModule_OpenKey(hd->ctx, st->key, REDISMODULE_READ);
    st->exists = RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH;
    if (st->exists)
        RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "facts", &st->facts,
                            "history", &st->history, "last_decision", &st->decision,
                            "created_at", &st->created, "version", &ver, NULL);
    RedisModule_CloseKey(k);
    if (!ver || RedisModule_StringToLongLong(ver, &st->version) != REDISMODULE_OK)
        st->version = 0;
    return 1;
}

/* A stored field as JSON: its default when missing; INVALID (reply, NULL)
 * when someone wrote something else than JSON of the right type into it. */
static json_t *storedField(Hd *hd, State *st, const char *name, RedisModuleString *v,
                           int type) {
    size_t len;
    const char *s;
    json_t *j;

    if (!v) {
        if (type == JSON_OBJECT) return json_object();
        if (type == JSON_ARRAY) return json_array();
        return json_null();
    }
    s = RedisModule_StringPtrLen(v, &len);
    j = json_loadb(s, len, JSON_PARSE_FLAGS, NULL);
    if (j && (type < 0 || json_typeof(j) == (json_type)type)) return j;
    json_decref(j);
    hdError(hd, "INVALID", "the stored '%s' of ticket %lld's state is damaged; "
            "replace the state with TICKET.STATE.SET or remove it with TICKET.STATE.DEL",
            name, st->tid);
    return NULL;
}

static int checkVersion(Hd *hd, State *st, long long ifversion) {
    long long cur = st->exists ? st->version : 0;
    if (ifversion < 0 || ifversion == cur) return 1;
    hdError(hd, "CONFLICT", "the state of ticket %lld is at version %lld, not %lld; "
            "read it again and retry", st->tid, cur, ifversion);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */
/* ------------------------------------------------------------------------ */

static size_t textLen(const char *next, RedisModuleString *stored, const char *dflt) {
    size_t len;
    if (next) return strlen(next);
    if (stored) { RedisModule_StringPtrLen(stored, &len); return len; }
    return strlen(dflt);
}

/* Writes the given new texts (NULL = unchanged) with updated_at and the next
 * version, creates the missing fields of a new state, refreshes the TTL and
 * replies the new version. Refuses (INVALID, nothing written) when the
 * document TICKET.STATE.GET would return exceeds STATE_JSON_MAX. */
static int stateCommit(Hd *hd, const DeskConfig *cfg, State *st, const char *facts,
                       const char *history, const char *decision) {
    RedisModuleString *fv[12];
    long long version = st->version + 1, created = hd->now;
    int n = 0;
    size_t size;

    if (!st->exists) {
        if (!facts) facts = "{}";
        if (!history) history = "[]";
        if (!decision) decision = "null";
    }
    if (st->created) RedisModule_StringToLongLong(st->created, &created);
    /* The frame of the GET document, plus the three texts. */
    size = (size_t)snprintf(NULL, 0, "{\"facts\":,\"history\":,\"last_decision\":,"
                            "\"created_at\":%lld,\"updated_at\":%lld,\"version\":%lld}",
                            created, hd->now, version) +
           textLen(facts, st->facts, "{}") + textLen(history, st->history, "[]") +
           textLen(decision, st->decision, "null");
    if (size > STATE_JSON_MAX)
        return hdError(hd, "INVALID", "the state of ticket %lld would be %zu bytes, "
                       "more than the JSON limit of %d bytes", st->tid, size, STATE_JSON_MAX);

#define PUT(name, val) do { fv[n++] = RedisModule_CreateString(hd->ctx, name, strlen(name)); \
                            fv[n++] = (val); } while (0)
#define PUTC(name, s) PUT(name, RedisModule_CreateString(hd->ctx, s, strlen(s)))
    if (facts) PUTC("facts", facts);
    if (history) PUTC("history", history);
    if (decision) PUTC("last_decision", decision);
    if (!st->created) PUT("created_at", RedisModule_CreateStringFromLongLong(hd->ctx, created));
    PUT("updated_at", RedisModule_CreateStringFromLongLong(hd->ctx, hd->now));
    PUT("version", RedisModule_CreateStringFromLongLong(hd->ctx, version));
#undef PUTC
#undef PUT
    fxHashSet(hd, st->key, fv, n);
    fxPExpireAt(hd, st->key, hd->now + cfg->state_ttl * 1000);
    return RedisModule_ReplyWithLongLong(hd->ctx, version);
}

/* Dumps j, releases it, and commits it as one field. */
static int commitValue(Hd *hd, const DeskConfig *cfg, State *st, const char *field,
                       json_t *j) {
    char *s = j ? jsonDump(j) : NULL;
    json_decref(j);
    if (!s) return hdError(hd, "INVALID", "could not encode the new %s as JSON", field);
    if (!strcmp(field, "facts")) stateCommit(hd, cfg, st, s, NULL, NULL);
    else if (!strcmp(field, "history")) stateCommit(hd, cfg, st, NULL, s, NULL);
    else stateCommit(hd, cfg, st, NULL, NULL, s);
    free(s);
    return REDISMODULE_OK;
}

/* [IFVERSION v] at argv[at]; *ifv = -1 when absent. */
static int parseIfVersionOrReply(Hd *hd, RedisModuleString **argv, int argc, int at,
                                 const char *syntax, long long *ifv) {
    *ifv = -1;
    if (argc == at) return 1;
    if (argc == at + 2 && hdArgIs(argv[at], "IFVERSION"))
        return hdArgLongLongOrReply(hd, argv[at + 1], "IFVERSION", 0, LLONG_MAX, ifv);
    if (argc == at + 1 && hdArgIs(argv[at], "IFVERSION")) {
        hdSyntax(hd, "IFVERSION needs a version number");
        return 0;
    }
    if (argc == at + 4 && hdArgIs(argv[at], "IFVERSION") && hdArgIs(argv[at + 2], "IFVERSION")) {
        hdSyntax(hd, "option IFVERSION given twice");
        return 0;
    }
    hdSyntax(hd, "syntax: %s", syntax);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* TICKET.STATE.GET D tid                                                    */
/* ------------------------------------------------------------------------ */

/* The stored texts are the module's own compact dumps, so the document is
 * spliced from them rather than re-encoded: GET returns exactly the size
 * stateCommit checked. Each field is still parsed, so a field damaged by a
 * plain HSET fails INVALID instead of producing broken JSON. */
static int validStoredFields(Hd *hd, State *st) {
    json_t *j;
    if (!(j = storedField(hd, st, "facts", st->facts, JSON_OBJECT))) return 0;
    json_decref(j);
    if (!(j = storedField(hd, st, "history", st->history, JSON_ARRAY))) return 0;
    json_decref(j);
    if (!(j = storedField(hd, st, "last_decision", st->decision, -1))) return 0;
    json_decref(j);
    return 1;
}

static const char *storedText(RedisModuleString *v, const char *dflt, size_t *len) {
    if (v) return RedisModule_StringPtrLen(v, len);
    *len = strlen(dflt);
    return dflt;
}

static int cmdStateGet(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    State st;
    long long created = 0, updated = 0;
    size_t flen, hlen, dlen, tlen, off = 0;
    const char *f, *h, *d;
    char tail[128], *buf;
    RedisModuleString *upd;

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!stateLoadOrReply(hd, argv[2], &st)) return REDISMODULE_OK;
    if (!st.exists) return RedisModule_ReplyWithNull(hd->ctx);
    if (!validStoredFields(hd, &st)) return REDISMODULE_OK;

    upd = hdHashGet(hd, st.key, "updated_at");
    if (st.created) RedisModule_StringToLongLong(st.created, &created);
    if (upd) RedisModule_StringToLongLong(upd, &updated);
    f = storedText(st.facts, "{}", &flen);
    h = storedText(st.history, "[]", &hlen);
    d = storedText(st.decision, "null", &dlen);
    tlen = (size_t)snprintf(tail, sizeof(tail), ",\"created_at\":%lld,\"updated_at\":%lld,"
                            "\"version\":%lld}", created, updated, st.version);

    buf = RedisModule_Alloc(9 + flen + 11 + hlen + 17 + dlen + tlen);
#define APPEND(p, n) do { memcpy(buf + off, p, n); off += n; } while (0)
    APPEND("{\"facts\":", 9);
    APPEND(f, flen);
    APPEND(",\"history\":", 11);
    APPEND(h, hlen);
    APPEND(",\"last_decision\":", 17);
    APPEND(d, dlen);
    APPEND(tail, tlen);
#undef APPEND
    fxPExpireAt(hd, st.key, hd->now + cfg.state_ttl * 1000);
    RedisModule_ReplyWithStringBuffer(hd->ctx, buf, off);
    RedisModule_Free(buf);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* TICKET.STATE.SET D tid json [IFVERSION v]                                 */
/* ------------------------------------------------------------------------ */

/* A document to SET: an object with facts (object), history (array) and
 * last_decision (any); created_at, updated_at and version are accepted (so a
 * GET snapshot can be SET back as is) and ignored; anything else is refused. */
static int validDocumentOrReply(Hd *hd, json_t *doc) {
    const char *name;
    json_t *v;

    if (!json_is_object(doc)) {
        hdError(hd, "INVALID", "json must be an object with facts, history "
                "and last_decision");
        return 0;
    }
    json_object_foreach(doc, name, v) {
        if (!strcmp(name, "facts")) {
            if (!json_is_object(v)) {
                hdError(hd, "INVALID", "facts must be a JSON object");
                return 0;
            }
        } else if (!strcmp(name, "history")) {
            if (!json_is_array(v)) {
                hdError(hd, "INVALID", "history must be a JSON array");
                return 0;
            }
        } else if (strcmp(name, "last_decision") && strcmp(name, "created_at") &&
                   strcmp(name, "updated_at") && strcmp(name, "version")) {
            hdError(hd, "INVALID", "unknown member '%.40s'; a state has facts, "
                    "history and last_decision", name);
            return 0;
        }
    }
    return 1;
}

static int cmdStateSet(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    State st;
    json_t *doc, *history, *v;
    char *facts_s = NULL, *history_s = NULL, *decision_s = NULL;
    long long ifv;

    if (!parseIfVersionOrReply(hd, argv, argc, 4,
                               "TICKET.STATE.SET desk tid json [IFVERSION v]", &ifv))
        return REDISMODULE_OK;
    if (!(doc = jsonParseArg(hd, "json", argv[3]))) return REDISMODULE_OK;
    if (!validDocumentOrReply(hd, doc) || !deskConfigLoad(hd, &cfg) ||
        !stateLoadOrReply(hd, argv[2], &st) || !checkVersion(hd, &st, ifv)) {
        json_decref(doc);
        return REDISMODULE_OK;
    }

    v = json_object_get(doc, "facts");
    facts_s = v ? jsonDump(v) : strdup("{}");
    history = json_incref(json_object_get(doc, "history"));
    history = keepNewest(history ? history : json_array(), (size_t)cfg.state_history_max);
    history_s = history ? jsonDump(history) : NULL;
    json_decref(history);
    v = json_object_get(doc, "last_decision");
    decision_s = v ? jsonDump(v) : strdup("null");
    json_decref(doc);

    if (facts_s && history_s && decision_s)
        stateCommit(hd, &cfg, &st, facts_s, history_s, decision_s);
    else
        hdError(hd, "INVALID", "could not encode the state as JSON");
    free(facts_s);
    free(history_s);
    free(decision_s);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* TICKET.STATE.MERGE D tid patch [IFVERSION v]                              */
/* ------------------------------------------------------------------------ */

static int cmdStateMerge(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    State st;
    json_t *patch, *facts;
    long long ifv;

    if (!parseIfVersionOrReply(hd, argv, argc, 4,
                               "TICKET.STATE.MERGE desk tid patch [IFVERSION v]", &ifv))
        return REDISMODULE_OK;
    if (!(patch = jsonParseArg(hd, "patch", argv[3]))) return REDISMODULE_OK;
    /* Any other patch would replace facts by a non-object (RFC 7386). */
    if (!json_is_object(patch)) {
        json_decref(patch);
        return hdError(hd, "INVALID", "patch must be a JSON object (facts is an object)");
    }
    if (!deskConfigLoad(hd, &cfg) || !stateLoadOrReply(hd, argv[2], &st) ||
        !checkVersion(hd, &st, ifv) ||
        !(facts = storedField(hd, &st, "facts", st.facts, JSON_OBJECT))) {
        json_decref(patch);
        return REDISMODULE_OK;
    }
    facts = mergePatch(facts, patch);
    json_decref(patch);
    return commitValue(hd, &cfg, &st, "facts", facts);
}

/* ------------------------------------------------------------------------ */
/* TICKET.STATE.APPEND D tid message / TICKET.STATE.DECIDE D tid decision    */
/* ------------------------------------------------------------------------ */

static int cmdStateAppend(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    State st;
    json_t *msg, *history;

    if (!(msg = jsonValueOrText(hd, "message", argv[3]))) return REDISMODULE_OK;
    if (!deskConfigLoad(hd, &cfg) || !stateLoadOrReply(hd, argv[2], &st) ||
        !(history = storedField(hd, &st, "history", st.history, JSON_ARRAY))) {
        json_decref(msg);
        return REDISMODULE_OK;
    }
    json_array_append_new(history, msg);
    history = keepNewest(history, (size_t)cfg.state_history_max);
    return commitValue(hd, &cfg, &st, "history", history);
}

static int cmdStateDecide(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    State st;
    json_t *decision;

    if (!(decision = jsonValueOrText(hd, "decision", argv[3]))) return REDISMODULE_OK;
    if (!deskConfigLoad(hd, &cfg) || !stateLoadOrReply(hd, argv[2], &st)) {
        json_decref(decision);
        return REDISMODULE_OK;
    }
    return commitValue(hd, &cfg, &st, "last_decision", decision);
}

/* ------------------------------------------------------------------------ */
/* TICKET.STATE.DEL D tid                                                    */
/* ------------------------------------------------------------------------ */

static int cmdStateDel(Hd *hd, RedisModuleString **argv, int argc) {
    State st;
    if (!stateLoadOrReply(hd, argv[2], &st)) return REDISMODULE_OK;
    if (!st.exists) return RedisModule_ReplyWithLongLong(hd->ctx, 0);
    fxDel(hd, st.key);
    return RedisModule_ReplyWithLongLong(hd->ctx, 1);
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

static RedisModuleCommandArg argsTid[] = { ARG("tid", INTEGER), {0} };
static RedisModuleCommandArg argsSet[] = {
    ARG("tid", INTEGER), ARG("json", STRING), OPT("version", "IFVERSION", INTEGER), {0}
};
static RedisModuleCommandArg argsMerge[] = {
    ARG("tid", INTEGER), ARG("patch", STRING), OPT("version", "IFVERSION", INTEGER), {0}
};
static RedisModuleCommandArg argsAppend[] = { ARG("tid", INTEGER), ARG("message", STRING), {0} };
static RedisModuleCommandArg argsDecide[] = { ARG("tid", INTEGER), ARG("decision", STRING), {0} };

/* GET refreshes the TTL like GETEX, so it is a write command. */
HdCommand hdStateCommands[] = {
    {"ticket.state.get", cmdStateGet, "write", 3, 1,
     "The ticket's session state as a JSON document, or nil; refreshes its TTL",
     "O(N) with N the size of the state", argsTid,
     HD_ACCESS_READ},             /* a read, though it refreshes the TTL */
    {"ticket.state.set", cmdStateSet, "write deny-oom", -4, 1,
     "Replace the ticket's session state (facts, history, last_decision); "
     "returns the new version", "O(N) with N the size of the state",
     argsSet, HD_ACCESS_OWN_TICKET},
    {"ticket.state.merge", cmdStateMerge, "write deny-oom", -4, 1,
     "Apply an RFC 7386 JSON merge patch to the state's facts; returns the new version",
     "O(N) with N the size of facts and patch", argsMerge, HD_ACCESS_OWN_TICKET},
    {"ticket.state.append", cmdStateAppend, "write deny-oom", 4, 1,
     "Append a message to the state's history (capped at state-history-max); "
     "returns the new version", "O(N) with N the size of the history",
     argsAppend, HD_ACCESS_OWN_TICKET},
    {"ticket.state.decide", cmdStateDecide, "write deny-oom", 4, 1,
     "Set the state's last_decision; returns the new version",
     "O(N) with N the size of the decision", argsDecide, HD_ACCESS_OWN_TICKET},
    {"ticket.state.del", cmdStateDel, "write fast", 3, 1,
     "Delete the ticket's session state; returns 1 or 0", "O(1)", argsTid, HD_ACCESS_OWN_TICKET},
    {NULL}
};
