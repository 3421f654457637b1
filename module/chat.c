/* chat.c -- a ticket's conversation thread: TICKET.MSG and TICKET.MSGS.
 *
 * D:ticket:<tid>:chat is a capped STREAM of entries {sender, text, at}.
 * Because it is a plain stream, clients can also follow a thread live with
 * XREAD BLOCK, or read it with XRANGE, without the module. Every message is
 * announced on the Pub/Sub channel D:chat:<tid> as a JSON object and appended
 * to D:events as a `message` event that carries the sender and the stream id
 * but not the text, so the desk's event stream stays small.
 *
 * A thread belongs to its ticket: it can be written whatever the ticket's
 * status (closed and merged tickets keep their thread), and only TICKET.DEL
 * removes it.
 *
 * A message whose sender is an agent id of the desk is a reply: it achieves
 * the ticket's pending first and next reply (slametrics.c); any other sender
 * is the customer, whose message after a reply starts a next-reply clock.
 * `AT ms` (desk admins) imports a message at its past time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "helpdesk.h"

#define CHAT_SENDER_MAX 128
#define CHAT_PAGE_DEFAULT 100

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* Messages go out as JSON on Pub/Sub, so sender and text must be UTF-8.
 * Returns a new JSON string, or NULL (after replying) when s is not. */
static json_t *utf8String(Hd *hd, const char *what, const char *s, size_t len) {
    json_t *j = json_stringn(s, len);
    if (!j) hdError(hd, "INVALID", "%s must be valid UTF-8 text", what);
    return j;
}

/* A sender names who wrote the message, e.g. "agent:A201", "customer:17" or
 * "bot": 1-128 bytes of UTF-8 without control characters. */
static int validSender(Hd *hd, RedisModuleString *arg) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(arg, &len);
    if (len < 1 || len > CHAT_SENDER_MAX) {
        hdError(hd, "INVALID", "sender must be 1-%d bytes, got %zu", CHAT_SENDER_MAX, len);
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            hdError(hd, "INVALID", "sender must not contain control characters");
            return 0;
        }
    }
    return 1;
}

static int formatStreamId(const RedisModuleStreamID *id, char *buf, size_t size) {
    return snprintf(buf, size, "%llu-%llu", (unsigned long long)id->ms,
                    (unsigned long long)id->seq);
}

/* The JSON announced on D:chat:<tid>: {"id","sender","text","at"}. Takes
 * ownership of the two JSON strings. Returns NULL only when out of memory. */
static RedisModuleString *chatPayload(Hd *hd, const char *id, json_t *sender,
                                      json_t *text) {
    RedisModuleString *msg = NULL;
    json_t *o = json_object();
    char *s;

    if (!o) { json_decref(sender); json_decref(text); return NULL; }
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "sender", sender);
    json_object_set_new(o, "text", text);
    json_object_set_new(o, "at", json_integer(hd->now));
    s = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(o);
    if (s) {
        msg = RedisModule_CreateString(hd->ctx, s, strlen(s));
        free(s);
    }
    return msg;
}

/* ------------------------------------------------------------------------ */
/* TICKET.MSG D tid sender text [AT ms]                                      */
/* ------------------------------------------------------------------------ */

static int senderIsAgent(Hd *hd, RedisModuleString *sender) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(sender, &len);
    return hdValidId(s, len) && hdKeyExists(hd, hdAgentKey(hd, sender));
}

/* AT: not in the future, not before the ticket was created nor before its
 * last message, so a thread's times only go forward. Sets *at. */
static int parseMsgAtOrReply(Hd *hd, RedisModuleString **argv, int argc, Ticket *t,
                             long long *at) {
    SlaState s;
    long long floor;
    *at = -1;
    if (argc == 5) return 1;
    if (argc != 7 || !hdArgIs(argv[5], "AT")) {
        hdSyntax(hd, "syntax: TICKET.MSG desk tid sender text [AT ms]");
        return 0;
    }
    if (!hdArgLongLongOrReply(hd, argv[6], "AT (Unix ms, not in the future)", 0, hd->now, at) ||
        !slaImportAllowed(hd, "TICKET.MSG"))
        return 0;
    slaRead(hd, t->id, &s);
    floor = s.last_message_at > s.created_at ? s.last_message_at : s.created_at;
    if (*at < floor) {
        hdError(hd, "INVALID", "AT %lld is before the ticket's %s (%lld); messages "
                "are imported oldest first", *at,
                floor == s.created_at ? "creation" : "last message", floor);
        return 0;
    }
    return 1;
}

static int cmdTicketMsg(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t;
    RedisModuleString *chat, *fv[6], *payload;
    RedisModuleStreamID id = {0, 0};
    json_t *jsender, *jtext;
    char idbuf[48];
    size_t slen, tlen;
    const char *sender = RedisModule_StringPtrLen(argv[3], &slen);
    const char *text = RedisModule_StringPtrLen(argv[4], &tlen);

    long long at;

    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    if (!validSender(hd, argv[3])) return REDISMODULE_OK;
    if (!hdArgTextOrReply(hd, argv[4], "text", (size_t)hdg.max_text, 0)) return REDISMODULE_OK;
    if (!parseMsgAtOrReply(hd, argv, argc, &t, &at)) return REDISMODULE_OK;
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (at >= 0) hd->now = at;
    chat = hdTicketChatKey(hd, t.id);
    if (!hdCheckTypeOrReply(hd, chat, REDISMODULE_KEYTYPE_STREAM) ||
        !hdCheckTypeOrReply(hd, hdEventsKey(hd), REDISMODULE_KEYTYPE_STREAM) ||
        !slaCheckKeys(hd, t.id))
        return REDISMODULE_OK;
    if (!(jsender = utf8String(hd, "sender", sender, slen))) return REDISMODULE_OK;
    if (!(jtext = utf8String(hd, "text", text, tlen))) {
        json_decref(jsender);
        return REDISMODULE_OK;
    }

    fv[0] = RedisModule_CreateString(hd->ctx, "sender", 6);
    fv[1] = argv[3];
    fv[2] = RedisModule_CreateString(hd->ctx, "text", 4);
    fv[3] = argv[4];
    fv[4] = RedisModule_CreateString(hd->ctx, "at", 2);
    fv[5] = RedisModule_CreateStringFromLongLong(hd->ctx, hd->now);
    fxXAdd(hd, chat, fv, 6, cfg.chat_maxlen, &id);
    if (id.ms == 0 && id.seq == 0) {
        /* Only a stream whose last id is the largest possible refuses. */
        json_decref(jsender);
        json_decref(jtext);
        return hdError(hd, "INVALID", "the chat stream of ticket %lld accepts no "
                       "more entries", t.id);
    }
    formatStreamId(&id, idbuf, sizeof(idbuf));

    payload = chatPayload(hd, idbuf, jsender, jtext);
    if (payload) fxPublish(hd, hdChatChannel(hd, t.id), payload);
    eventEmit(hd, &cfg, "message", t.id, "sender", sender, "id", idbuf, NULL);
    slaOnMessage(hd, &cfg, &t, senderIsAgent(hd, argv[3]));
    /* The assigned agent's reply restarts its reassign-after clock. */
    if (t.agent && RedisModule_StringCompare(t.agent, argv[3]) == 0 && ticketIsActive(&t))
        slaAssignClock(hd, &cfg, t.id);
    return RedisModule_ReplyWithCString(hd->ctx, idbuf);
}

/* ------------------------------------------------------------------------ */
/* TICKET.MSGS D tid [AFTER id] [COUNT n]                                    */
/* ------------------------------------------------------------------------ */

static int parseMsgsArgs(Hd *hd, RedisModuleString **argv, int argc,
                         RedisModuleStreamID *after, int *has_after, long long *count) {
    unsigned seen = 0;
    for (int i = 3; i < argc; i++) {
        if (hdArgIs(argv[i], "AFTER")) {
            if (!hdOptionValue(hd, &seen, 1, argv, argc, i, "a stream id")) return 0;
            size_t len;
            const char *s = RedisModule_StringPtrLen(argv[++i], &len);
            if (RedisModule_StringToStreamID(argv[i], after) != REDISMODULE_OK) {
                hdError(hd, "INVALID", "AFTER must be a stream id such as "
                        "1700000000000-0 (or 0 for the start), got '%.*s'",
                        (int)(len > 40 ? 40 : len), s);
                return 0;
            }
            *has_after = 1;
        } else if (hdArgIs(argv[i], "COUNT")) {
            if (!hdOptionValue(hd, &seen, 2, argv, argc, i, "a number")) return 0;
            if (!hdArgLongLongOrReply(hd, argv[++i], "COUNT", 1, HD_COUNT_MAX, count)) return 0;
        } else {
            hdSyntax(hd, "unexpected argument '%s'; syntax: TICKET.MSGS desk tid "
                     "[AFTER id] [COUNT n]", RedisModule_StringPtrLen(argv[i], NULL));
            return 0;
        }
    }
    return 1;
}

/* One entry as a map {id, sender, text, at}; missing fields are nil (an entry
 * someone added by hand with XADD may lack them). */
static void replyMessage(Hd *hd, RedisModuleKey *k, const RedisModuleStreamID *id) {
    RedisModuleString *field, *value, *sender = NULL, *text = NULL, *at = NULL;
    char idbuf[48];
    long long atms;

    while (RedisModule_StreamIteratorNextField(k, &field, &value) == REDISMODULE_OK) {
        size_t flen;
        const char *f = RedisModule_StringPtrLen(field, &flen);
        RedisModuleString **slot = NULL;
        if (flen == 6 && !memcmp(f, "sender", 6)) slot = &sender;
        else if (flen == 4 && !memcmp(f, "text", 4)) slot = &text;
        else if (flen == 2 && !memcmp(f, "at", 2)) slot = &at;
        RedisModule_FreeString(hd->ctx, field);
        if (slot && !*slot) *slot = value;
        else RedisModule_FreeString(hd->ctx, value);
    }
    formatStreamId(id, idbuf, sizeof(idbuf));
    RedisModule_ReplyWithMap(hd->ctx, 4);
    RedisModule_ReplyWithCString(hd->ctx, "id");
    RedisModule_ReplyWithCString(hd->ctx, idbuf);
    RedisModule_ReplyWithCString(hd->ctx, "sender");
    if (sender) RedisModule_ReplyWithString(hd->ctx, sender);
    else RedisModule_ReplyWithNull(hd->ctx);
    RedisModule_ReplyWithCString(hd->ctx, "text");
    if (text) RedisModule_ReplyWithString(hd->ctx, text);
    else RedisModule_ReplyWithNull(hd->ctx);
    RedisModule_ReplyWithCString(hd->ctx, "at");
    if (at && RedisModule_StringToLongLong(at, &atms) == REDISMODULE_OK)
        RedisModule_ReplyWithLongLong(hd->ctx, atms);
    else if (at) RedisModule_ReplyWithString(hd->ctx, at);
    else RedisModule_ReplyWithNull(hd->ctx);
    if (sender) RedisModule_FreeString(hd->ctx, sender);
    if (text) RedisModule_FreeString(hd->ctx, text);
    if (at) RedisModule_FreeString(hd->ctx, at);
}

/* Oldest first, strictly after AFTER (exclusive, like XREAD), at most COUNT. */
static int cmdTicketMsgs(Hd *hd, RedisModuleString **argv, int argc) {
    Ticket t;
    RedisModuleString *chat;
    RedisModuleKey *k;
    RedisModuleStreamID after = {0, 0}, id;
    int has_after = 0;
    long long count = CHAT_PAGE_DEFAULT, n = 0;

    if (!parseMsgsArgs(hd, argv, argc, &after, &has_after, &count)) return REDISMODULE_OK;
    if (!ticketLoadExisting(hd, argv[2], &t)) return REDISMODULE_OK;
    chat = hdTicketChatKey(hd, t.id);
    if (!hdCheckTypeOrReply(hd, chat, REDISMODULE_KEYTYPE_STREAM)) return REDISMODULE_OK;

    k = RedisModule_OpenKey(hd->ctx, chat, REDISMODULE_READ);
    /* Fails on an empty key, and on AFTER the largest possible id: both mean
     * there is nothing to return. */
    if (RedisModule_StreamIteratorStart(k, REDISMODULE_STREAM_ITERATOR_EXCLUSIVE,
                                        has_after ? &after : NULL, NULL)
        != REDISMODULE_OK) {
        RedisModule_CloseKey(k);
        return RedisModule_ReplyWithEmptyArray(hd->ctx);
    }
    RedisModule_ReplyWithArray(hd->ctx, REDISMODULE_POSTPONED_LEN);
    while (n < count && RedisModule_StreamIteratorNextID(k, &id, NULL) == REDISMODULE_OK) {
        replyMessage(hd, k, &id);
        n++;
    }
    RedisModule_ReplySetArrayLength(hd->ctx, n);
    RedisModule_StreamIteratorStop(k);
    RedisModule_CloseKey(k);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

static RedisModuleCommandArg argsMsg[] = {
    ARG("tid", INTEGER), ARG("sender", STRING), ARG("text", STRING),
    OPT("at", "AT", INTEGER), {0}
};
static RedisModuleCommandArg argsMsgs[] = {
    ARG("tid", INTEGER), OPT("id", "AFTER", STRING), OPT("count", "COUNT", INTEGER), {0}
};

HdCommand hdChatCommands[] = {
    {"ticket.msg", cmdTicketMsg, "write deny-oom fast", -5, 1,
     "Append a message to the ticket's chat thread, publish it on <desk>:chat:<tid>; "
     "an agent's message is a reply for the SLA; AT imports a past message; "
     "returns the stream id", "O(1) amortized (O(D) days spanned with business hours)",
     argsMsg, HD_ACCESS_OWN_TICKET},
    {"ticket.msgs", cmdTicketMsgs, "readonly", -3, 0,
     "Page through the ticket's chat thread, oldest first, after an id",
     "O(log N + COUNT)", argsMsgs},
    {NULL}
};
