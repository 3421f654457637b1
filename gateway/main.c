/* main.c -- helpdesk-http: one libevent loop serving HTTP, talking to Redis
 * through hiredis's async API on the same loop. Nothing blocks it.
 *
 * Dispatch: service routes (/health, /metrics, /openapi.json, /v1/session),
 * native routes (/v1/desks/{desk}/...), seed routes; an unknown path under
 * an API prefix is a JSON 404 (405 with Allow when only the method is
 * wrong); anything else is a static file. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include "gw.h"

static void serveHealth(Req *q) { healthServe(q); }
static void serveMetrics(Req *q) { metricsServe(q); }
static void serveOpenapi(Req *q) { openapiServe(q); }
static void serveSessionPost(Req *q) { sessionCreate(q); }
static void serveSessionGet(Req *q) { sessionGet(q); }
static void serveSessionDelete(Req *q) { sessionDelete(q); }

const Route serviceRoutes[] = {
    {EVHTTP_REQ_GET, "/health", serveHealth, "Liveness: the gateway and Redis", NULL},
    {EVHTTP_REQ_GET, "/metrics", serveMetrics, "Prometheus metrics", NULL},
    {EVHTTP_REQ_GET, "/openapi.json", serveOpenapi, "This document", NULL},
    {EVHTTP_REQ_POST, "/v1/session", serveSessionPost,
     "Sign in: sets an HttpOnly SameSite=Strict cookie, returns csrf_token",
     "user:s!,password:s!"},
    {EVHTTP_REQ_GET, "/v1/session", serveSessionGet, "The current session's user and csrf_token",
     NULL},
    {EVHTTP_REQ_DELETE, "/v1/session", serveSessionDelete, "Sign out (needs X-CSRF-Token)", NULL},
    {0, NULL, NULL, NULL, NULL}
};

/* Routes that need no identity (they carry their own, or none). */
static int isPublic(const Route *r) {
    return r->fn == serveHealth || r->fn == serveMetrics || r->fn == serveOpenapi ||
           r->fn == serveSessionPost || r->fn == serveSessionGet || r->fn == serveSessionDelete;
}

/* Splits the raw path into decoded segments (empty ones dropped, so a
 * trailing slash does not matter). 0 on bad input (answered). */
static int splitPath(Req *q, const char *raw) {
    const char *p = raw;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        size_t n = strcspn(p, "/");
        if (q->nseg == MAX_SEGS) {
            reqError(q, 404, "NOTFOUND", "no such route: too many path segments");
            return 0;
        }
        char *part = strndup(p, n);
        size_t dlen;
        char *dec = evhttp_uridecode(part, 0, &dlen);
        free(part);
        if (!dec || memchr(dec, '\0', dlen) || !validUtf8(dec, dlen)) {
            free(dec);
            reqError(q, 400, "INVALID", "the path is not valid percent-encoded UTF-8");
            return 0;
        }
        q->seg[q->nseg++] = dec;
        p += n;
    }
    return 1;
}

/* Does the pattern match the request's segments? */
static int matches(const char *pattern, Req *q) {
    const char *p = pattern;
    int i = 0;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        size_t n = strcspn(p, "/");
        if (i >= q->nseg) return 0;
        if (p[0] != '{' && (strlen(q->seg[i]) != n || memcmp(p, q->seg[i], n))) return 0;
        if (p[0] == '{' && !q->seg[i][0]) return 0;
        p += n;
        i++;
    }
    return i == q->nseg;
}

static const Route *findRoute(Req *q, const Route *table, char *allow, size_t asz) {
    const Route *hit = NULL;
    for (const Route *r = table; r->pattern; r++) {
        if (!matches(r->pattern, q)) continue;
        int m = q->method == EVHTTP_REQ_HEAD ? EVHTTP_REQ_GET : q->method;
        if (r->method == m) hit = hit ? hit : r;
        size_t l = strlen(allow);
        snprintf(allow + l, asz - l, "%s%s", l ? ", " : "", methodName(r->method));
    }
    return hit;
}

static int validDesk(const char *d) {
    size_t n = strlen(d);
    return n >= 1 && n <= 64 &&
           strspn(d, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.{}-") == n;
}

static int apiPrefix(Req *q) {
    if (q->nseg == 0) return 0;
    const char *s = q->seg[0];
    return !strcmp(s, "v1") || !strcmp(s, "api") || !strcmp(s, "tickets") ||
           !strcmp(s, "queue") || !strcmp(s, "health") || !strcmp(s, "metrics");
}

/* Responses larger than a segment would otherwise wait for the client's
 * delayed ACK (Nagle): TCP_NODELAY on the request's connection. libevent
 * 2.1 has no hook per new connection, so this runs per request (one cheap
 * setsockopt). */
static void noDelay(struct evhttp_request *er) {
    struct evhttp_connection *evcon = evhttp_request_get_connection(er);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    int one = 1;
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void dispatch(struct evhttp_request *er, void *arg) {
    noDelay(er);
    Req *q = calloc(1, sizeof(*q));
    q->er = er;
    q->t0 = nowUsec();
    q->method = evhttp_request_get_command(er);
    q->query.tqh_first = NULL;
    q->query.tqh_last = &q->query.tqh_first;
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(er);
    const char *raw = u ? evhttp_uri_get_path(u) : NULL;
    const char *qs = u ? evhttp_uri_get_query(u) : NULL;
    q->path = strdup(raw && *raw ? raw : "/");
    if (!u) { reqError(q, 400, "INVALID", "malformed request URI"); return; }
    if (qs && (evhttp_parse_query_str(qs, &q->query) != 0 || !validUtf8(qs, strlen(qs)))) {
        reqError(q, 400, "INVALID", "malformed query string");
        return;
    }
    for (struct evkeyval *kv = q->query.tqh_first; kv; kv = kv->next.tqe_next)
        if (!validUtf8(kv->value, strlen(kv->value))) {
            reqError(q, 400, "INVALID", "query parameter '%s' is not valid UTF-8", kv->key);
            return;
        }
    if (!splitPath(q, q->path)) return;

    char allow[128] = "";
    const Route *r = findRoute(q, serviceRoutes, allow, sizeof(allow));
    int native = 0;
    if (!r && !allow[0]) { r = findRoute(q, nativeRoutes, allow, sizeof(allow)); native = 1; }
    if (!r && !allow[0]) { r = findRoute(q, seedRoutes, allow, sizeof(allow)); native = 0; }
    if (!r) {
        if (allow[0]) {
            evhttp_add_header(evhttp_request_get_output_headers(er), "Allow", allow);
            reqError(q, 405, "METHOD", "%s is not allowed on %s; allowed: %s",
                     methodName(q->method), q->path, allow);
        } else if (apiPrefix(q)) {
            reqError(q, 404, "NOTFOUND", "no such route: %s %s (see /openapi.json)",
                     methodName(q->method), q->path);
        } else {
            q->route = "static";
            staticServe(q);
        }
        return;
    }
    q->route = r->pattern;
    if (native) {
        q->desk = q->seg[2];
        if (!validDesk(q->desk)) {
            reqError(q, 400, "INVALID", "desk name must be 1-64 bytes of [A-Za-z0-9_.{}-], "
                     "got '%.64s'", q->desk);
            return;
        }
    } else if (r->pattern[1] != 'v' || strncmp(r->pattern, "/v1/", 4)) {
        q->desk = cfg.desk;
    }
    if (!isPublic(r) && !sessionIdentify(q)) return;
    r->fn(q);
}

static void onSignal(evutil_socket_t sig, short what, void *arg) {
    fprintf(stderr, "helpdesk-http: signal %d, stopping\n", (int)sig);
    sseCloseAll();
    /* A moment for the connections being closed to be freed by libevent. */
    struct timeval grace = { 0, 100000 };
    event_base_loopexit(arg, &grace);
}

int main(int argc, char **argv) {
    configParse(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    struct event_base *base = event_base_new();
    poolInit(base);
    struct evhttp *http = evhttp_new(base);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                               EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
                               EVHTTP_REQ_OPTIONS);
    evhttp_set_max_headers_size(http, cfg.max_headers);
    /* Bodies up to twice the limit are read and refused with a JSON 413;
     * beyond that libevent refuses them itself (also 413). */
    evhttp_set_max_body_size(http, cfg.max_body * 2 + 65536);
    evhttp_set_timeout(http, cfg.idle_timeout);
    evhttp_set_gencb(http, dispatch, NULL);
    struct evhttp_bound_socket *sock =
        evhttp_bind_socket_with_handle(http, cfg.listen_host, (ev_uint16_t)cfg.listen_port);
    if (!sock) {
        fprintf(stderr, "helpdesk-http: cannot listen on %s:%d (in use, or a bad address)\n",
                cfg.listen_host, cfg.listen_port);
        evhttp_free(http);
        event_base_free(base);
        return 1;
    }
    struct event *sigint = evsignal_new(base, SIGINT, onSignal, base);
    struct event *sigterm = evsignal_new(base, SIGTERM, onSignal, base);
    evsignal_add(sigint, NULL);
    evsignal_add(sigterm, NULL);
    fprintf(stderr, "helpdesk-http: listening on http://%s:%d, Redis %s:%d, desk %s\n",
            cfg.listen_host, cfg.listen_port, cfg.redis_host, cfg.redis_port, cfg.desk);
    if (cfg.cluster) {
        /* Learn the slot map before the first request. */
        poolRefreshSlots();
    }
    event_base_dispatch(base);
    event_free(sigint);
    event_free(sigterm);
    evhttp_free(http);
    event_base_free(base);
    return 0;
}
