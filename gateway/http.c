/* http.c -- one HTTP request from arrival to response: JSON and error
 * replies, the body and query checks done before any command is sent, the
 * Redis round trip with its timeout, and the access log line.
 *
 * A request whose Redis outcome is unknown (link lost after the command was
 * written, or no reply in time) answers 503: a write is never reported as
 * done unless Redis said so. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include "gw.h"

uint64_t nowUsec(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

const char *methodName(int m) {
    switch (m) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    default: return "OTHER";
    }
}

/* ---- argv ---------------------------------------------------------------- */

void argsInit(Args *a) { a->n = 0; }

void argsAddLen(Args *a, const char *s, size_t len) {
    if (a->n == MAX_ARGS) return;
    char *c = malloc(len + 1);
    memcpy(c, s, len);
    c[len] = '\0';
    a->own[a->n] = c;
    a->v[a->n] = c;
    a->l[a->n] = len;
    a->n++;
}

void argsAdd(Args *a, const char *s) { argsAddLen(a, s, strlen(s)); }

void argsAddf(Args *a, const char *fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    argsAddLen(a, buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void argsFree(Args *a) {
    for (int i = 0; i < a->n; i++) free(a->own[i]);
    a->n = 0;
}

/* ---- responses ----------------------------------------------------------- */

static void accessLog(Req *q) {
    if (cfg.quiet) return;
    uint64_t us = nowUsec() - q->t0;
    fprintf(stderr, "%s %s %d %lluus user=%s\n", methodName(q->method),
            q->path ? q->path : "-", q->status, (unsigned long long)us,
            q->user ? q->user : (cfg.user ? cfg.user : "default"));
}

void reqFree(Req *q) {
    if (q->pending > 0 || q->sse) return;   /* freed by the last callback / SSE */
    if (q->timer) event_free(q->timer);
    evhttp_clear_headers(&q->query);
    for (int i = 0; i < q->nseg; i++) free(q->seg[i]);
    free(q->path);
    free(q->user);
    free(q->pass);
    if (q->body) json_decref(q->body);
    if (q->acc) json_decref(q->acc);
    free(q);
}

/* Bookkeeping once the response is out. */
void reqFinish(Req *q) {
    q->done = 1;
    metricsRecord(q->route, q->method, q->status, nowUsec() - q->t0);
    accessLog(q);
    reqFree(q);
}

static void sendBuffer(Req *q, int status, struct evbuffer *b) {
    q->status = status;
    const char *reason = status == 200 ? "OK" : status == 201 ? "Created" : status == 202 ? "Accepted"
                       : status == 204 ? "No Content" : NULL;
    evhttp_send_reply(q->er, status, reason, b);
    reqFinish(q);
}

void reqJson(Req *q, int status, json_t *j) {
    if (q->done) { json_decref(j); return; }
    struct evkeyvalq *h = evhttp_request_get_output_headers(q->er);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "Cache-Control", "no-store");
    struct evbuffer *b = evbuffer_new();
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
    if (s) { evbuffer_add(b, s, strlen(s)); free(s); }
    evbuffer_add(b, "\n", 1);
    json_decref(j);
    sendBuffer(q, status, b);
    evbuffer_free(b);
}

/* A Basic challenge makes a browser open its own login dialog (headless
 * Chromium just stalls the request): the console signs in through
 * /v1/session and marks its calls with X-Requested-With, and a cookie
 * stands for a session, so those get a plain 401 that the page handles. */
static int wantsBasicChallenge(const Req *q) {
    struct evkeyvalq *in = evhttp_request_get_input_headers(q->er);
    if (q->via_cookie || evhttp_find_header(in, "Cookie")) return 0;
    if (evhttp_find_header(in, "X-Requested-With")) return 0;
    if (q->path && !strncmp(q->path, "/v1/session", 11)) return 0;
    return 1;
}

static void errorJson(Req *q, int status, const char *code, const char *msg, size_t len) {
    json_t *e = json_pack("{s:{s:s,s:s%}}", "error", "code", code, "message", msg, len);
    if (!e) e = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", "(unprintable)");
    if (status == 503)
        evhttp_add_header(evhttp_request_get_output_headers(q->er), "Retry-After", "1");
    if (status == 401 && wantsBasicChallenge(q))
        evhttp_add_header(evhttp_request_get_output_headers(q->er), "WWW-Authenticate",
                          "Basic realm=\"helpdesk\", charset=\"UTF-8\"");
    reqJson(q, status, e);
}

void reqError(Req *q, int status, const char *code, const char *fmt, ...) {
    if (q->done) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if (n >= (int)sizeof(msg)) n = sizeof(msg) - 1;
    errorJson(q, status, code, msg, n);
}

void reqNoContent(Req *q) {
    if (q->done) return;
    sendBuffer(q, 204, NULL);
}

void reqRedisError(Req *q, const redisReply *r) {
    char code[32];
    const char *msg = replyErrorCode(r->str, r->len, code, sizeof(code));
    int status = replyErrorStatus(r->str, r->len);
    if (status == 401) {
        errorJson(q, 401, "UNAUTHORIZED", msg, r->len - (msg - r->str));
        return;
    }
    errorJson(q, status, code[0] ? code : "ERR", msg, r->len - (msg - r->str));
}

void replyGeneric(Req *q, redisReply *r) {
    json_t *j = replyToJson(r, q->shape);
    if (q->wrap) j = json_pack("{s:o}", q->wrap, j);
    reqJson(q, q->ok_status ? q->ok_status : 200, j);
}

/* ---- the Redis round trip ------------------------------------------------ */

static void onTimeout(evutil_socket_t fd, short what, void *arg) {
    Req *q = arg;
    if (q->done) return;
    Conn *own = q->own;
    q->own = NULL;
    reqError(q, 503, "UNAVAILABLE", "Redis did not answer within %d ms; the outcome of "
             "this request is unknown, check before retrying", cfg.redis_timeout_ms);
    if (own) connClose(own);    /* its callback may free q: q is not used after */
}

static void onRedis(void *priv, PoolStatus st, redisReply *r) {
    Req *q = priv;
    q->pending--;
    if (q->done) { reqFree(q); return; }
    switch (st) {
    case POOL_DOWN:
        reqError(q, 503, "UNAVAILABLE", "Redis is unreachable; the gateway reconnects by "
                 "itself, retry shortly");
        return;
    case POOL_LOST:
    case POOL_TIMEOUT:
        reqError(q, 503, "UNAVAILABLE", "the link to Redis broke before it answered; the "
                 "outcome of this request is unknown, check before retrying");
        return;
    case POOL_AUTH:
        reqError(q, 401, "UNAUTHORIZED", "%.*s", r ? (int)r->len : 0, r ? r->str : "");
        return;
    case POOL_OK:
        break;
    }
    if (r->type == REDIS_REPLY_ERROR && !q->raw_errors) { reqRedisError(q, r); return; }
    ReplyFn *fn = q->next;
    fn(q, r);
}

static struct event_base *reqBase(Req *q) {
    return evhttp_connection_get_base(evhttp_request_get_connection(q->er));
}

/* Arms the reply timeout: --redis-timeout, plus a BLOCK time (auxn) if any;
 * auxn -1 (BLOCK 0, forever) arms none. */
static void armTimer(Req *q) {
    if (q->auxn < 0) return;
    if (!q->timer) q->timer = evtimer_new(reqBase(q), onTimeout, q);
    long long ms = cfg.redis_timeout_ms + q->auxn;
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    evtimer_add(q->timer, &tv);
}

void reqSend(Req *q, Args *a, ReplyFn *fn) {
    Ident id = { q->user, q->pass };
    q->next = fn;
    q->pending++;
    armTimer(q);
    poolSend(&id, q->desk, a->n, a->v, a->l, onRedis, q);
    argsFree(a);
}

static void onRedisOwn(void *priv, PoolStatus st, redisReply *r) {
    Req *q = priv;
    Conn *own = q->own;
    q->own = NULL;
    onRedis(priv, st, r);       /* may free q */
    if (own) connClose(own);
}

void reqSendOwn(Req *q, Args *a, ReplyFn *fn) {
    Ident id = { q->user, q->pass };
    q->own = connOpen(&id, q->desk);
    if (!q->own) {
        argsFree(a);
        reqError(q, 503, "UNAVAILABLE", "Redis is unreachable; retry shortly");
        return;
    }
    q->next = fn;
    q->pending++;
    armTimer(q);
    connSend(q->own, a->n, a->v, a->l, onRedisOwn, q);
    argsFree(a);
}

/* ---- input checks -------------------------------------------------------- */

int validUtf8(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t n;
        unsigned cp;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; }
        else return 0;
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (p[i + k] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += n + 1;
    }
    return 1;
}

const char *reqQuery(Req *q, const char *name) { return evhttp_find_header(&q->query, name); }

const char *reqHeader(Req *q, const char *name) {
    return evhttp_find_header(evhttp_request_get_input_headers(q->er), name);
}

int reqParseBody(Req *q, int required) {
    struct evbuffer *in = evhttp_request_get_input_buffer(q->er);
    size_t len = evbuffer_get_length(in);
    if ((long long)len > cfg.max_body) {
        reqError(q, 413, "TOOLARGE", "the body has %zu bytes, more than --max-body %lld",
                 len, cfg.max_body);
        return 0;
    }
    if (len == 0) {
        if (!required) return 1;
        reqError(q, 400, "INVALID", "this route needs a JSON object body");
        return 0;
    }
    const char *ct = reqHeader(q, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
        (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
        reqError(q, 415, "UNSUPPORTED", "send the body as Content-Type: application/json "
                 "(got %s)", ct ? ct : "none");
        return 0;
    }
    const char *data = (const char *)evbuffer_pullup(in, -1);
    if (!validUtf8(data, len)) {
        reqError(q, 400, "INVALID", "the body is not valid UTF-8");
        return 0;
    }
    json_error_t e;
    q->body = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);
    if (!q->body) {
        reqError(q, 400, "INVALID", "malformed JSON at line %d column %d: %s", e.line,
                 e.column, e.text);
        return 0;
    }
    if (!json_is_object(q->body)) {
        reqError(q, 400, "INVALID", "the body must be a JSON object");
        return 0;
    }
    return 1;
}

static int typeOk(json_t *v, char t) {
    switch (t) {
    case 's': return json_is_string(v);
    case 'i': return json_is_integer(v);
    case 'n': return json_is_number(v);
    case 'b': return json_is_boolean(v);
    case 'o': return json_is_object(v);
    case 'a': {
        if (!json_is_array(v)) return 0;
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) if (!json_is_string(e)) return 0;
        return 1;
    }
    case 'I': return json_is_integer(v) || json_is_string(v);
    default: return 1;
    }
}

static const char *typeName(char t) {
    switch (t) {
    case 's': return "a string";
    case 'i': return "an integer";
    case 'n': return "a number";
    case 'b': return "true or false";
    case 'o': return "an object";
    case 'a': return "an array of strings";
    case 'I': return "a string or an integer";
    default: return "any value";
    }
}

/* Finds `name` in spec "a:s!,b:i"; returns its type char or 0. */
static char specType(const char *spec, const char *name, size_t nlen) {
    const char *p = spec;
    while (*p) {
        const char *colon = strchr(p, ':');
        if (!colon) break;
        if ((size_t)(colon - p) == nlen && !memcmp(p, name, nlen)) return colon[1];
        p = strchr(colon, ',');
        if (!p) break;
        p++;
    }
    return 0;
}

int reqBodyCheck(Req *q, const char *spec) {
    if (!q->body) {
        if (!strchr(spec, '!')) return 1;
        q->body = json_object();
    }
    char unknown[512] = "";
    size_t ul = 0;
    const char *k;
    json_t *v;
    json_object_foreach(q->body, k, v) {
        char t = specType(spec, k, strlen(k));
        if (!t) {
            ul += snprintf(unknown + ul, ul < sizeof(unknown) ? sizeof(unknown) - ul : 0,
                           "%s%s", ul ? ", " : "", k);
            if (ul >= sizeof(unknown)) ul = sizeof(unknown) - 1;
            continue;
        }
        if (!typeOk(v, t)) {
            reqError(q, 400, "INVALID", "field '%s' must be %s", k, typeName(t));
            return 0;
        }
    }
    if (ul) {
        reqError(q, 400, "INVALID", "unknown field(s): %s; this route takes: %s", unknown, spec);
        return 0;
    }
    /* Required fields. */
    const char *p = spec;
    while (*p) {
        const char *colon = strchr(p, ':');
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        if (colon && colon < end && end[-1] == '!') {
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)(colon - p), p);
            if (!json_object_get(q->body, name)) {
                reqError(q, 400, "INVALID", "field '%s' is required", name);
                return 0;
            }
        }
        p = *end ? end + 1 : end;
    }
    return 1;
}

const char *bodyStr(Req *q, const char *name) {
    json_t *v = q->body ? json_object_get(q->body, name) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int bodyHas(Req *q, const char *name) {
    json_t *v = q->body ? json_object_get(q->body, name) : NULL;
    return v && !json_is_null(v) && !json_is_false(v);
}

int queryInt(Req *q, const char *name, long long lo, long long hi, long long *out) {
    const char *v = reqQuery(q, name);
    if (!v) return 1;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < lo || n > hi) {
        reqError(q, 400, "INVALID", "query parameter '%s' must be an integer %lld-%lld", name,
                 lo, hi);
        return 0;
    }
    *out = n;
    return 1;
}
