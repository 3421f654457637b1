/* sse.c -- Server-Sent Events: a desk's event stream (D:events) and a
 * ticket's chat (D:ticket:<tid>:chat).
 *
 * Each client gets a Redis connection of its own (as the caller) that loops
 * on XREAD BLOCK <keepalive> from the last id sent, so a blocked read never
 * holds up anyone else's pipeline. An XREAD that times out becomes a comment
 * line, which keeps proxies from closing the stream. Each event carries
 * `id:` = its stream id, so a reconnecting client's Last-Event-ID (or
 * ?after=) resumes exactly after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include "gw.h"

typedef struct Sse {
    Req *q;
    Conn *conn;
    char key[160];
    char last[48];
    int chat;
    int closing;
    struct Sse *prev, *next;    /* every open stream, for shutdown */
} Sse;

static Sse *streams;

static void linkStream(Sse *s) {
    s->next = streams;
    if (streams) streams->prev = s;
    streams = s;
}

static void unlinkStream(Sse *s) {
    if (s->prev) s->prev->next = s->next;
    else if (streams == s) streams = s->next;
    if (s->next) s->next->prev = s->prev;
    s->prev = s->next = NULL;
}

static void readMore(Sse *s);

/* The client connection must not call back into a freed stream. */
static void forgetClient(Sse *s) {
    struct evhttp_connection *evcon = s->q->er ? evhttp_request_get_connection(s->q->er) : NULL;
    if (evcon) evhttp_connection_set_closecb(evcon, NULL, NULL);
}

static void sseEnd(Sse *s) {
    Req *q = s->q;
    unlinkStream(s);
    forgetClient(s);
    q->sse = NULL;
    if (q->er) evhttp_send_reply_end(q->er);
    q->status = 200;
    reqFinish(q);
    free(s);
}

/* A client going away ends the stream: closing the Redis link runs the
 * pending XREAD's callback with POOL_LOST, which frees everything. */
static void onClientClose(struct evhttp_connection *evcon, void *arg) {
    Sse *s = arg;
    if (s->closing) return;
    s->closing = 1;
    Conn *c = s->conn;
    s->conn = NULL;
    if (c) connClose(c);
    else sseEnd(s);
}

static int validStreamId(const char *id) {
    size_t n = strspn(id, "0123456789");
    if (n == 0 || n > 20) return 0;
    if (id[n] == '\0') return 1;
    if (id[n] != '-') return 0;
    size_t m = strspn(id + n + 1, "0123456789");
    return m > 0 && m <= 20 && id[n + 1 + m] == '\0';
}

/* Stream values are strings; the ones the module writes as integers
 * (ticket ids, times, priorities) are given back as numbers. */
static int integerField(const char *k, size_t len) {
    static const char *names[] = { "ticket", "at", "priority", "master", "version", NULL };
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == len && !memcmp(names[i], k, len)) return 1;
    return 0;
}

static json_t *fieldValue(const char *k, size_t klen, const redisReply *v) {
    if (v->type == REDIS_REPLY_STRING && integerField(k, klen) && v->len && v->len < 20) {
        char buf[24], *end;
        memcpy(buf, v->str, v->len);
        buf[v->len] = '\0';
        long long n = strtoll(buf, &end, 10);
        if (!*end) return json_integer(n);
    }
    if (v->type == REDIS_REPLY_STRING && klen == 7 && !memcmp(k, "urgency", 7)) {
        char buf[32], *end;
        snprintf(buf, sizeof(buf), "%.*s", (int)(v->len < 30 ? v->len : 30), v->str);
        double d = strtod(buf, &end);
        if (!*end && *buf) return json_real(d);
    }
    return replyToJson(v, SHAPE_VALUE);
}

static void sendEntry(Sse *s, struct evbuffer *b, const redisReply *e) {
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2) return;
    const redisReply *id = e->element[0], *f = e->element[1];
    json_t *data = json_object();
    const char *type = s->chat ? "message" : "event";
    size_t tlen = strlen(type);
    if (s->chat) json_object_set_new(data, "id", json_stringn(id->str, id->len));
    for (size_t i = 0; f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2) {
        const redisReply *k = f->element[i], *v = f->element[i + 1];
        if (!s->chat && k->len == 4 && !memcmp(k->str, "type", 4)) {
            type = v->str;
            tlen = v->len;
        }
        json_t *jv = fieldValue(k->str, k->len, v);
        json_object_setn_new_nocheck(data, k->str, k->len, jv);
    }
    char *js = json_dumps(data, JSON_COMPACT);
    json_decref(data);
    /* An event name must not break the framing. */
    if (memchr(type, '\n', tlen) || memchr(type, '\r', tlen)) { type = "event"; tlen = 5; }
    evbuffer_add_printf(b, "id: %.*s\nevent: %.*s\ndata: %s\n\n", (int)id->len, id->str,
                        (int)tlen, type, js ? js : "{}");
    free(js);
    snprintf(s->last, sizeof(s->last), "%.*s", (int)id->len, id->str);
}

static void onRead(void *priv, PoolStatus st, redisReply *r) {
    Sse *s = priv;
    if (s->closing || st != POOL_OK || r->type == REDIS_REPLY_ERROR) {
        /* Redis went away or refused: end the stream; EventSource reconnects
         * with Last-Event-ID and misses nothing. */
        s->closing = 1;
        if (s->conn) {
            Conn *c = s->conn;
            s->conn = NULL;
            connClose(c);
        }
        sseEnd(s);
        return;
    }
    struct evbuffer *b = evbuffer_new();
    if (r->type == REDIS_REPLY_NIL) {
        evbuffer_add_printf(b, ": keep-alive\n\n");
    } else if (r->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < r->elements; i++) {
            const redisReply *stream = r->element[i];
            if (stream->type != REDIS_REPLY_ARRAY || stream->elements < 2) continue;
            const redisReply *entries = stream->element[1];
            for (size_t k = 0; k < entries->elements; k++) sendEntry(s, b, entries->element[k]);
        }
    }
    evhttp_send_reply_chunk(s->q->er, b);
    evbuffer_free(b);
    readMore(s);
}

static void readMore(Sse *s) {
    char block[24];
    snprintf(block, sizeof(block), "%d", cfg.sse_keepalive_ms);
    const char *argv[] = { "XREAD", "COUNT", "100", "BLOCK", block, "STREAMS", s->key, s->last };
    size_t lens[8];
    for (int i = 0; i < 8; i++) lens[i] = strlen(argv[i]);
    connSend(s->conn, 8, argv, lens, onRead, s);
}

/* The newest id in the stream (start point without Last-Event-ID), so
 * nothing added between two XREADs is lost, unlike with `$`. */
static void onLastId(void *priv, PoolStatus st, redisReply *r) {
    Sse *s = priv;
    if (s->closing || st != POOL_OK) { onRead(priv, st, r); return; }
    if (r->type == REDIS_REPLY_ERROR) {
        /* Not streaming yet: a plain error response is still possible. */
        Req *q = s->q;
        s->closing = 1;
        Conn *c = s->conn;
        s->conn = NULL;
        forgetClient(s);
        unlinkStream(s);
        q->sse = NULL;
        free(s);
        reqRedisError(q, r);
        connClose(c);
        return;
    }
    if (s->last[0])
        ;                       /* resuming from Last-Event-ID / ?after= */
    else if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0]->elements > 0)
        snprintf(s->last, sizeof(s->last), "%.*s", (int)r->element[0]->element[0]->len,
                 r->element[0]->element[0]->str);
    else
        snprintf(s->last, sizeof(s->last), "0-0");
    /* Headers now: the stream is accepted. */
    struct evkeyvalq *h = evhttp_request_get_output_headers(s->q->er);
    evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Accel-Buffering", "no");
    evhttp_send_reply_start(s->q->er, 200, "OK");
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, ": stream %s from %s\n\n", s->key, s->last);
    evhttp_send_reply_chunk(s->q->er, b);
    evbuffer_free(b);
    readMore(s);
}

static void sseStart(Req *q, const char *key, int chat) {
    const char *after = reqHeader(q, "Last-Event-ID");
    if (!after) after = reqQuery(q, "after");
    if (after && !validStreamId(after)) {
        reqError(q, 400, "INVALID", "Last-Event-ID / after must be a stream id like "
                 "1700000000000-0");
        return;
    }
    Ident id = { q->user, q->pass };
    Sse *s = calloc(1, sizeof(*s));
    s->q = q;
    s->chat = chat;
    snprintf(s->key, sizeof(s->key), "%s", key);
    s->conn = connOpen(&id, q->desk);
    if (!s->conn) {
        free(s);
        reqError(q, 503, "UNAVAILABLE", "Redis is unreachable; retry shortly");
        return;
    }
    q->sse = s;
    linkStream(s);
    struct evhttp_connection *evcon = evhttp_request_get_connection(q->er);
    evhttp_connection_set_closecb(evcon, onClientClose, s);
    evhttp_connection_set_timeout(evcon, 86400);    /* a stream is not idle */
    /* The first read also proves the caller may read the stream, while a
     * plain error response is still possible. */
    if (after) snprintf(s->last, sizeof(s->last), "%s", after);
    const char *argv[] = { "XREVRANGE", s->key, "+", "-", "COUNT", "1" };
    size_t lens[6];
    for (int i = 0; i < 6; i++) lens[i] = strlen(argv[i]);
    connSend(s->conn, 6, argv, lens, onLastId, s);
}

void sseEvents(Req *q) {
    char key[160];
    snprintf(key, sizeof(key), "%s:events", q->desk);
    sseStart(q, key, 0);
}

void sseMessages(Req *q) {
    const char *tid = q->seg[4];
    if (strspn(tid, "0123456789") != strlen(tid) || strlen(tid) > 18) {
        reqError(q, 400, "INVALID", "ticket id must be a positive integer, got '%s'", tid);
        return;
    }
    char key[160];
    snprintf(key, sizeof(key), "%s:ticket:%s:chat", q->desk, tid);
    sseStart(q, key, 1);
}

/* Shutdown: end every stream (their Redis links close, their clients get
 * the end of the chunked reply) so nothing is left behind. */
void sseCloseAll(void) {
    while (streams) onClientClose(NULL, streams);
}
