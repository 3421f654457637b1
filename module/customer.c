/* customer.c -- the desk's customers (the seed lab's "users").
 *
 * D:user:<uid> is a HASH with name, email, phone and joined_at. The address
 * is kept as the customer typed it, while D:idx:user_email:<address> holds
 * the uid under the lower-cased address, so lookups ignore case and two
 * customers can never share an address. D:user:<uid>:tickets is the SET of
 * "ticket:<tid>" members written by TICKET.CREATE ... CUSTOMER uid.
 *
 * Ids come from the D:seq:users counter unless the caller gives ID. Because
 * given ids may be numbers the counter has not reached yet, an automatic id
 * skips over customers that already exist.
 *
 * This file also holds the small helpers agent.c shares (hd_people.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include "helpdesk.h"
#include "hd_people.h"

#define PHONE_MAX 32
#define UID_PROBES 1000     /* automatic ids skipped before giving up */

/* How many bytes of a user-supplied value to quote in an error. */
static int shown(size_t len) {
    return len > 64 ? 64 : (int)len;
}

/* ------------------------------------------------------------------------ */
/* Shared helpers (hd_people.h)                                              */
/* ------------------------------------------------------------------------ */

int hdValidEmail(const char *s, size_t len) {
    size_t at = len, ats = 0;

    if (len < 1 || len > HD_EMAIL_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f) return 0;
        if (c == '@') { at = i; ats++; }
    }
    if (ats != 1 || at == 0 || !hdValidUtf8(s, len)) return 0;

    const char *dom = s + at + 1;
    size_t dlen = len - at - 1;
    if (dlen < 3 || dom[0] == '.' || dom[dlen - 1] == '.') return 0;
    return memchr(dom, '.', dlen) != NULL;
}

/* ------------------------------------------------------------------------ */
/* Validation                                                                */
/* ------------------------------------------------------------------------ */

/* Digits, spaces and +-(). with at least one digit. */
static int validPhone(const char *s, size_t len) {
    int digits = 0;
    if (len < 1 || len > PHONE_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') digits++;
        else if (!strchr(" +-().", c) || c == '\0') return 0;
    }
    return digits > 0;
}

static int checkUid(Hd *hd, RedisModuleString *uid) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(uid, &len);
    if (hdValidId(s, len)) return 1;
    hdError(hd, "INVALID", "customer id must be 1-%d bytes of [A-Za-z0-9_.@-], "
            "got '%.*s'", HD_ID_MAX, shown(len), s);
    return 0;
}

static int checkName(Hd *hd, RedisModuleString *name) {
    return hdArgTextOrReply(hd, name, "customer name", HD_NAME_MAX, 0);
}

static int checkEmail(Hd *hd, RedisModuleString *email) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(email, &len);
    if (hdValidEmail(s, len)) return 1;
    hdError(hd, "INVALID", "email '%.*s' is not a valid address (1-%d bytes, "
            "one '@', a domain with a '.', no spaces)", shown(len), s, HD_EMAIL_MAX);
    return 0;
}

static int checkPhone(Hd *hd, RedisModuleString *phone) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(phone, &len);
    if (validPhone(s, len)) return 1;
    hdError(hd, "INVALID", "phone '%.*s' must be 1-%d bytes of digits, spaces "
            "and +-(). with at least one digit", shown(len), s, PHONE_MAX);
    return 0;
}

/* The index key of an address: D:idx:user_email:<lower-cased address>.
 * NULL when the address is too long to have one. */
static RedisModuleString *emailIndexKey(Hd *hd, RedisModuleString *email) {
    char lower[HD_EMAIL_MAX + 1];
    size_t len;
    const char *s = RedisModule_StringPtrLen(email, &len);
    int n = hdLower(s, len, lower, sizeof(lower));
    return n < 0 ? NULL : hdEmailKey(hd, lower, (size_t)n);
}

/* ------------------------------------------------------------------------ */
/* Reads                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct Customer {
    RedisModuleString *name, *email, *phone, *joined_at;
} Customer;

/* Reads D:user:<uid>; returns 0 when there is no such customer. */
static int customerRead(Hd *hd, RedisModuleString *uid, Customer *c) {
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdUserKey(hd, uid), REDISMODULE_READ);
    int found = RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH;

    memset(c, 0, sizeof(*c));
    if (found)
        RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "name", &c->name,
                            "email", &c->email, "phone", &c->phone,
                            "joined_at", &c->joined_at, NULL);
    RedisModule_CloseKey(k);
    return found;
}

/* 1 when the index key holds exactly uid. */
static int indexPointsAt(Hd *hd, RedisModuleString *idx, RedisModuleString *uid) {
    RedisModuleString *owner = idx ? hdStringGet(hd, idx, NULL) : NULL;
    return owner && RedisModule_StringCompare(owner, uid) == 0;
}

/* The customer an index entry gives the address to, or NULL when the address
 * is free: no entry, or a stale one (not a customer id, or that customer is
 * gone; FIND reads those as "not found" too, so CREATE and UPDATE agree with
 * it and overwrite the entry instead of refusing the address). */
static RedisModuleString *emailOwner(Hd *hd, RedisModuleString *idx) {
    RedisModuleString *owner = hdStringGet(hd, idx, NULL);
    size_t len;
    const char *s;

    if (!owner) return NULL;
    s = RedisModule_StringPtrLen(owner, &len);
    if (!hdValidId(s, len) || !hdKeyExists(hd, hdUserKey(hd, owner))) return NULL;
    return owner;
}

/* Timestamps are stored as decimal strings and replied as integers. */
static void replyTimeOrNull(Hd *hd, RedisModuleString *s) {
    long long v;
    if (s && RedisModule_StringToLongLong(s, &v) == REDISMODULE_OK)
        RedisModule_ReplyWithLongLong(hd->ctx, v);
    else
        hdReplyStringOrNull(hd, s);
}

static void replyCustomer(Hd *hd, RedisModuleString *uid, const Customer *c) {
    RedisModuleCtx *ctx = hd->ctx;
    RedisModule_ReplyWithMap(ctx, 5);
    RedisModule_ReplyWithCString(ctx, "id");
    RedisModule_ReplyWithString(ctx, uid);
    RedisModule_ReplyWithCString(ctx, "name");
    hdReplyStringOrNull(hd, c->name);
    RedisModule_ReplyWithCString(ctx, "email");
    hdReplyStringOrNull(hd, c->email);
    RedisModule_ReplyWithCString(ctx, "phone");
    hdReplyStringOrNull(hd, c->phone);
    RedisModule_ReplyWithCString(ctx, "joined_at");
    replyTimeOrNull(hd, c->joined_at);
}

/* ------------------------------------------------------------------------ */
/* CUSTOMER.CREATE                                                           */
/* ------------------------------------------------------------------------ */

typedef struct NewCustomer {
    RedisModuleString *name, *email, *phone, *uid;
} NewCustomer;

static int parseCreate(Hd *hd, RedisModuleString **argv, int argc, NewCustomer *nc) {
    memset(nc, 0, sizeof(*nc));
    nc->name = argv[2];
    nc->email = argv[3];
    for (int i = 4; i < argc; i += 2) {
        RedisModuleString **slot;
        const char *opt;
        if (hdArgIs(argv[i], "PHONE")) { slot = &nc->phone; opt = "PHONE"; }
        else if (hdArgIs(argv[i], "ID")) { slot = &nc->uid; opt = "ID"; }
        else {
            size_t len;
            const char *s = RedisModule_StringPtrLen(argv[i], &len);
            hdSyntax(hd, "unknown option '%.*s' for CUSTOMER.CREATE; expected "
                     "PHONE or ID", shown(len), s);
            return 0;
        }
        if (i + 1 >= argc) { hdSyntax(hd, "%s needs a value", opt); return 0; }
        if (*slot) { hdSyntax(hd, "option %s given twice", opt); return 0; }
        *slot = argv[i + 1];
    }
    return 1;
}

/* The next automatic uid: the counter's next value, skipping customers that
 * were created with an explicit ID. Reads only; the caller stores it. */
static RedisModuleString *nextFreeUid(Hd *hd, RedisModuleString *seqkey) {
    long long cur = 0;
    RedisModuleString *v = hdStringGet(hd, seqkey, NULL);

    if (v && RedisModule_StringToLongLong(v, &cur) != REDISMODULE_OK) {
        hdError(hd, "INVALID", "counter '%s' does not hold an integer; fix or "
                "delete it", RedisModule_StringPtrLen(seqkey, NULL));
        return NULL;
    }
    for (long long i = 1; i <= UID_PROBES && cur <= LLONG_MAX - i; i++) {
        RedisModuleString *uid = RedisModule_CreateStringFromLongLong(hd->ctx, cur + i);
        if (!hdKeyExists(hd, hdUserKey(hd, uid))) return uid;
    }
    hdError(hd, "EXISTS", "no free customer id after %lld in the next %d numbers; "
            "create the customer with ID", cur, UID_PROBES);
    return NULL;
}

static int cmdCustomerCreate(Hd *hd, RedisModuleString **argv, int argc) {
    NewCustomer nc;
    RedisModuleString *idx, *owner, *seqkey = hdSeqUsersKey(hd);
    RedisModuleString *uid, *fv[8];
    int n = 0;

    if (!parseCreate(hd, argv, argc, &nc)) return REDISMODULE_OK;
    if (!checkName(hd, nc.name) || !checkEmail(hd, nc.email)) return REDISMODULE_OK;
    if (nc.phone && !checkPhone(hd, nc.phone)) return REDISMODULE_OK;
    if (nc.uid && !checkUid(hd, nc.uid)) return REDISMODULE_OK;

    idx = emailIndexKey(hd, nc.email);
    if (!hdCheckTypeOrReply(hd, idx, REDISMODULE_KEYTYPE_STRING)) return REDISMODULE_OK;
    if ((owner = emailOwner(hd, idx)) != NULL)
        return hdError(hd, "EXISTS", "email '%s' already belongs to customer '%s'",
                       RedisModule_StringPtrLen(nc.email, NULL),
                       RedisModule_StringPtrLen(owner, NULL));

    if (nc.uid) {
        RedisModuleString *key = hdUserKey(hd, nc.uid);
        if (!hdCheckTypeOrReply(hd, key, REDISMODULE_KEYTYPE_HASH)) return REDISMODULE_OK;
        if (hdKeyExists(hd, key))
            return hdError(hd, "EXISTS", "customer '%s' already exists",
                           RedisModule_StringPtrLen(nc.uid, NULL));
        uid = nc.uid;
    } else {
        if (!hdCheckTypeOrReply(hd, seqkey, REDISMODULE_KEYTYPE_STRING)) return REDISMODULE_OK;
        if ((uid = nextFreeUid(hd, seqkey)) == NULL) return REDISMODULE_OK;
    }

    /* Everything checked: write. */
    if (!nc.uid) fxSet(hd, seqkey, uid);
    fv[n++] = RedisModule_CreateString(hd->ctx, "name", 4);
    fv[n++] = nc.name;
    fv[n++] = RedisModule_CreateString(hd->ctx, "email", 5);
    fv[n++] = nc.email;
    if (nc.phone) {
        fv[n++] = RedisModule_CreateString(hd->ctx, "phone", 5);
        fv[n++] = nc.phone;
    }
    fv[n++] = RedisModule_CreateString(hd->ctx, "joined_at", 9);
    fv[n++] = RedisModule_CreateStringFromLongLong(hd->ctx, hd->now);
    fxHashSet(hd, hdUserKey(hd, uid), fv, n);
    fxSet(hd, idx, uid);
    RedisModule_ReplyWithString(hd->ctx, uid);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* CUSTOMER.GET / CUSTOMER.FIND                                              */
/* ------------------------------------------------------------------------ */

static int cmdCustomerGet(Hd *hd, RedisModuleString **argv, int argc) {
    RedisModuleString *uid = argv[2];
    Customer c;

    if (!checkUid(hd, uid)) return REDISMODULE_OK;
    if (!hdCheckTypeOrReply(hd, hdUserKey(hd, uid), REDISMODULE_KEYTYPE_HASH)) return REDISMODULE_OK;
    if (!customerRead(hd, uid, &c)) return RedisModule_ReplyWithNull(hd->ctx);
    replyCustomer(hd, uid, &c);
    return REDISMODULE_OK;
}

/* Only the length is checked, so a customer loaded from older data with an
 * unusual address can still be found. */
static int cmdCustomerFind(Hd *hd, RedisModuleString **argv, int argc) {
    RedisModuleString *idx, *uid;
    const char *s;
    size_t len;
    Customer c;

    RedisModule_StringPtrLen(argv[2], &len);
    if (len < 1 || len > HD_EMAIL_MAX)
        return hdError(hd, "INVALID", "email must be 1-%d bytes, got %zu",
                       HD_EMAIL_MAX, len);
    idx = emailIndexKey(hd, argv[2]);
    if (!hdCheckTypeOrReply(hd, idx, REDISMODULE_KEYTYPE_STRING)) return REDISMODULE_OK;
    uid = hdStringGet(hd, idx, NULL);
    if (!uid) return RedisModule_ReplyWithNull(hd->ctx);

    /* A stale index (customer gone) reads as "not found"; DESK.CHECK reports it. */
    s = RedisModule_StringPtrLen(uid, &len);
    if (!hdValidId(s, len)) return RedisModule_ReplyWithNull(hd->ctx);
    if (!hdCheckTypeOrReply(hd, hdUserKey(hd, uid), REDISMODULE_KEYTYPE_HASH)) return REDISMODULE_OK;
    if (!customerRead(hd, uid, &c)) return RedisModule_ReplyWithNull(hd->ctx);
    replyCustomer(hd, uid, &c);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* CUSTOMER.UPDATE                                                           */
/* ------------------------------------------------------------------------ */

typedef struct CustomerChange {
    RedisModuleString *name, *email, *phone;  /* NULL: unchanged */
} CustomerChange;

static int isEmpty(RedisModuleString *s) {
    size_t len;
    RedisModule_StringPtrLen(s, &len);
    return len == 0;
}

/* Field names ignore case; a field given twice is a syntax error (SPEC
 * section 4: one rule for every option). */
static int parseUpdate(Hd *hd, RedisModuleString **argv, int argc, CustomerChange *ch) {
    memset(ch, 0, sizeof(*ch));
    if ((argc - 3) % 2 != 0) {
        hdSyntax(hd, "CUSTOMER.UPDATE takes field value pairs; the last field has no value");
        return 0;
    }
    unsigned seen = 0;
    for (int i = 3; i < argc; i += 2) {
        unsigned bit = hdArgIs(argv[i], "name") ? 1 : hdArgIs(argv[i], "email") ? 2 :
                       hdArgIs(argv[i], "phone") ? 4 : 0;
        if (bit && !hdOptionOnce(hd, &seen, bit, argv[i])) return 0;
        if (bit == 1) ch->name = argv[i + 1];
        else if (bit == 2) ch->email = argv[i + 1];
        else if (bit == 4) ch->phone = argv[i + 1];
        else {
            size_t len;
            const char *s = RedisModule_StringPtrLen(argv[i], &len);
            hdError(hd, "INVALID", "unknown customer field '%.*s'; fields are name, "
                    "email and phone", shown(len), s);
            return 0;
        }
    }
    if (ch->name && !checkName(hd, ch->name)) return 0;
    if (ch->email && !checkEmail(hd, ch->email)) return 0;
    /* An empty phone removes it. */
    if (ch->phone && !isEmpty(ch->phone) && !checkPhone(hd, ch->phone)) return 0;
    return 1;
}

static void applyHashChange(Hd *hd, RedisModuleString *key, const CustomerChange *ch) {
    RedisModuleString *fv[6];
    int n = 0, clear_phone = 0;

    if (ch->name) {
        fv[n++] = RedisModule_CreateString(hd->ctx, "name", 4);
        fv[n++] = ch->name;
    }
    if (ch->email) {
        fv[n++] = RedisModule_CreateString(hd->ctx, "email", 5);
        fv[n++] = ch->email;
    }
    if (ch->phone && isEmpty(ch->phone)) {
        clear_phone = 1;
    } else if (ch->phone) {
        fv[n++] = RedisModule_CreateString(hd->ctx, "phone", 5);
        fv[n++] = ch->phone;
    }
    if (n) fxHashSet(hd, key, fv, n);
    if (clear_phone) fxHashDel(hd, key, "phone");
}

static int cmdCustomerUpdate(Hd *hd, RedisModuleString **argv, int argc) {
    RedisModuleString *uid = argv[2], *key = hdUserKey(hd, uid);
    RedisModuleString *newidx = NULL, *oldidx = NULL;
    CustomerChange ch;
    Customer c;
    int move_index = 0;

    if (!checkUid(hd, uid)) return REDISMODULE_OK;
    if (!parseUpdate(hd, argv, argc, &ch)) return REDISMODULE_OK;
    if (!hdCheckTypeOrReply(hd, key, REDISMODULE_KEYTYPE_HASH)) return REDISMODULE_OK;
    if (!customerRead(hd, uid, &c))
        return hdError(hd, "NOTFOUND", "customer '%s' does not exist",
                       RedisModule_StringPtrLen(uid, NULL));

    if (ch.email) {
        RedisModuleString *owner;
        newidx = emailIndexKey(hd, ch.email);
        if (!hdCheckTypeOrReply(hd, newidx, REDISMODULE_KEYTYPE_STRING)) return REDISMODULE_OK;
        owner = emailOwner(hd, newidx);
        if (owner && RedisModule_StringCompare(owner, uid) != 0)
            return hdError(hd, "EXISTS", "email '%s' already belongs to customer '%s'",
                           RedisModule_StringPtrLen(ch.email, NULL),
                           RedisModule_StringPtrLen(owner, NULL));
        /* A change of case only keeps the same index key. */
        if (c.email) {
            oldidx = emailIndexKey(hd, c.email);
            if (oldidx && RedisModule_StringCompare(oldidx, newidx) == 0) oldidx = NULL;
        }
        move_index = owner == NULL;
    }

    /* Everything checked: write. */
    applyHashChange(hd, key, &ch);
    if (oldidx && indexPointsAt(hd, oldidx, uid)) fxDel(hd, oldidx);
    if (move_index) fxSet(hd, newidx, uid);
    RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* CUSTOMER.DEL / CUSTOMER.TICKETS                                           */
/* ------------------------------------------------------------------------ */

/* The customer's tickets stay, but stop naming it: a ticket whose user_id
 * outlived its customer would silently belong to whoever is created later
 * with the same ID, without being in that customer's ticket set. Loads the
 * tickets of the set that really name uid and checks every key the change
 * writes; returns how many (pool memory in *out), or -1 after an error. */
static int loadTicketsToDetach(Hd *hd, RedisModuleString *uid, long long **out) {
    long long *ids;
    size_t n = hdSetTicketIds(hd, hdUserTicketsKey(hd, uid), &ids);
    int count = 0;

    if (n && !hdCheckTypeOrReply(hd, hdEventsKey(hd), REDISMODULE_KEYTYPE_STREAM)) return -1;
    for (size_t i = 0; i < n; i++) {
        RedisModuleString *key = hdTicketKey(hd, ids[i]), *owner;
        if (!hdCheckTypeOrReply(hd, key, REDISMODULE_KEYTYPE_HASH)) return -1;
        owner = hdHashGet(hd, key, "user_id");
        if (!owner || RedisModule_StringCompare(owner, uid) != 0) continue;
        if (!hdCheckTypeOrReply(hd, hdTicketLogKey(hd, ids[i]), REDISMODULE_KEYTYPE_LIST))
            return -1;
        ids[count++] = ids[i];
    }
    *out = ids;
    return count;
}

/* Removes user_id from one ticket as a ticket change: version + 1, logged
 * and emitted like TICKET.UPDATE. */
static void detachTicket(Hd *hd, const DeskConfig *cfg, long long tid, RedisModuleString *uid) {
    RedisModuleString *key = hdTicketKey(hd, tid), *fv[4];
    long long version = 0;

    hdHashGetLL(hd, key, "version", &version);
    fxHashDel(hd, key, "user_id");
    fv[0] = RedisModule_CreateString(hd->ctx, "updated_at", 10);
    fv[1] = RedisModule_CreateStringFromLongLong(hd->ctx, hd->now);
    fv[2] = RedisModule_CreateString(hd->ctx, "version", 7);
    fv[3] = RedisModule_CreateStringFromLongLong(hd->ctx, version + 1);
    fxHashSet(hd, key, fv, 4);
    ticketLog(hd, tid, "customer %s deleted", RedisModule_StringPtrLen(uid, NULL));
    eventEmit(hd, cfg, "updated", tid, "fields", "user_id", NULL);
}

static int cmdCustomerDel(Hd *hd, RedisModuleString **argv, int argc) {
    RedisModuleString *uid = argv[2], *key = hdUserKey(hd, uid);
    RedisModuleString *tickets = hdUserTicketsKey(hd, uid), *idx = NULL;
    DeskConfig cfg;
    long long *tids = NULL;
    int n = 0;
    Customer c;

    if (!checkUid(hd, uid)) return REDISMODULE_OK;
    if (!hdCheckTypeOrReply(hd, key, REDISMODULE_KEYTYPE_HASH) ||
        !hdCheckTypeOrReply(hd, tickets, REDISMODULE_KEYTYPE_SET)) return REDISMODULE_OK;
    if (!customerRead(hd, uid, &c)) return RedisModule_ReplyWithLongLong(hd->ctx, 0);
    if (hdSCard(hd, tickets) > 0) {
        if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
        if ((n = loadTicketsToDetach(hd, uid, &tids)) < 0) return REDISMODULE_OK;
    }

    /* Everything checked: write. The index goes only if it is this
     * customer's: never another's entry. */
    for (int i = 0; i < n; i++) detachTicket(hd, &cfg, tids[i], uid);
    if (c.email) idx = emailIndexKey(hd, c.email);
    if (idx && indexPointsAt(hd, idx, uid)) fxDel(hd, idx);
    fxDel(hd, key);
    fxDel(hd, tickets);
    return RedisModule_ReplyWithLongLong(hd->ctx, 1);
}

static int cmdCustomerTickets(Hd *hd, RedisModuleString **argv, int argc) {
    RedisModuleString *uid = argv[2], *key = hdUserKey(hd, uid);
    RedisModuleString *tickets = hdUserTicketsKey(hd, uid);

    if (!checkUid(hd, uid)) return REDISMODULE_OK;
    if (!hdCheckTypeOrReply(hd, key, REDISMODULE_KEYTYPE_HASH) ||
        !hdCheckTypeOrReply(hd, tickets, REDISMODULE_KEYTYPE_SET)) return REDISMODULE_OK;
    if (!hdKeyExists(hd, key))
        return hdError(hd, "NOTFOUND", "customer '%s' does not exist",
                       RedisModule_StringPtrLen(uid, NULL));
    hdReplyTicketIds(hd, tickets);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

static RedisModuleCommandArg argsCustomerCreate[] = {
    {.name = "name", .type = REDISMODULE_ARG_TYPE_STRING,
     .summary = "display name, 1-256 bytes"},
    {.name = "email", .type = REDISMODULE_ARG_TYPE_STRING,
     .summary = "e-mail address, unique in the desk ignoring case"},
    {.name = "phone", .type = REDISMODULE_ARG_TYPE_STRING, .token = "PHONE",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL,
     .summary = "1-32 bytes of digits, spaces and +-()."},
    {.name = "uid", .type = REDISMODULE_ARG_TYPE_STRING, .token = "ID",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL,
     .summary = "customer id to use instead of the next number from the counter"},
    {0}
};

static RedisModuleCommandArg argsCustomerId[] = {
    {.name = "uid", .type = REDISMODULE_ARG_TYPE_STRING, .summary = "customer id"},
    {0}
};

static RedisModuleCommandArg argsCustomerFind[] = {
    {.name = "email", .type = REDISMODULE_ARG_TYPE_STRING,
     .summary = "e-mail address, matched ignoring case"},
    {0}
};

static RedisModuleCommandArg argsCustomerField[] = {
    {.name = "name", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "name"},
    {.name = "email", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "email"},
    {.name = "phone", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "phone"},
    {0}
};

static RedisModuleCommandArg argsCustomerPair[] = {
    {.name = "field", .type = REDISMODULE_ARG_TYPE_ONEOF, .subargs = argsCustomerField},
    {.name = "value", .type = REDISMODULE_ARG_TYPE_STRING,
     .summary = "new value; an empty phone removes the phone"},
    {0}
};

static RedisModuleCommandArg argsCustomerUpdate[] = {
    {.name = "uid", .type = REDISMODULE_ARG_TYPE_STRING, .summary = "customer id"},
    {.name = "data", .type = REDISMODULE_ARG_TYPE_BLOCK,
     .flags = REDISMODULE_CMD_ARG_MULTIPLE, .subargs = argsCustomerPair},
    {0}
};

HdCommand hdCustomerCommands[] = {
    {"customer.create", cmdCustomerCreate, "write deny-oom fast", -4, 1,
     "Creates a customer and returns its id", "O(1)", argsCustomerCreate},
    {"customer.get", cmdCustomerGet, "readonly fast", 3, 0,
     "Returns a customer as a map, or nil", "O(1)", argsCustomerId},
    {"customer.find", cmdCustomerFind, "readonly fast", 3, 0,
     "Finds a customer by e-mail address (ignoring case)", "O(1)", argsCustomerFind},
    {"customer.update", cmdCustomerUpdate, "write deny-oom fast", -5, 1,
     "Changes a customer's name, email or phone", "O(1)", argsCustomerUpdate},
    {"customer.del", cmdCustomerDel, "write", 3, 1,
     "Deletes a customer, its email index and its ticket set; its tickets stay, "
     "without user_id",
     "O(T) where T is the number of the customer's tickets", argsCustomerId},
    {"customer.tickets", cmdCustomerTickets, "readonly", 3, 0,
     "Returns the ids of a customer's tickets, ascending",
     "O(N log N) where N is the number of the customer's tickets", argsCustomerId},
    {0}
};
