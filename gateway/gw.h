/* gw.h -- types shared by the files of the HTTP gateway (helpdesk-http).
 *
 * Layering, lowest first (no file includes a layer above its own):
 *   config.c   flags and --help
 *   pool.c     hiredis async connections per Redis ACL user (and per
 *              cluster node), AUTH before anything, fail-fast when down
 *   reply.c    redisReply -> JSON, Redis error code -> HTTP status
 *   http.c     the request context, JSON/error responses, body validation,
 *              identity (Basic / session cookie), access log, timeouts
 *   session.c  POST/DELETE /v1/session, cookie + CSRF token
 *   static.c   files of --static DIR
 *   metrics.c  /metrics, /health
 *   sse.c      Server-Sent Events fed by XREAD BLOCK
 *   routes.c   native routes /v1/desks/{desk}/... (one module command each)
 *   seed.c     the seeds' routes (/tickets, /queue, /api/...)
 *   openapi.c  /openapi.json, built from the route tables
 *   main.c     event base, evhttp, dispatch */
#ifndef GW_H
#define GW_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <jansson.h>

/* ---- config.c ----------------------------------------------------------- */

typedef struct Config {
    char listen_host[256];
    int listen_port;
    char redis_host[256];
    int redis_port;
    const char *desk;
    const char *user, *pass;
    int require_auth;
    const char *static_dir;
    long long max_body;
    int idle_timeout;           /* seconds, per HTTP connection */
    int redis_timeout_ms;       /* a command without a reply by then: 503 */
    int max_headers;            /* bytes of request line + headers */
    int session_ttl;            /* seconds */
    int sse_keepalive_ms;       /* comment line period on SSE streams */
    int cluster;                /* route by slot (auto-detected too) */
    int quiet;                  /* no access log */
} Config;

extern Config cfg;
/* Fills cfg from argv; prints --help / errors and exits as needed. */
void configParse(int argc, char **argv);

/* ---- pool.c ------------------------------------------------------------- */

typedef enum {
    POOL_OK = 0,        /* r is the reply (maybe an error reply) */
    POOL_DOWN,          /* not sent: Redis unreachable; nothing happened */
    POOL_LOST,          /* sent, no reply: the outcome is unknown */
    POOL_AUTH,          /* AUTH refused (r is the error reply) */
    POOL_TIMEOUT        /* no reply within redis_timeout_ms: outcome unknown */
} PoolStatus;

typedef void PoolCb(void *priv, PoolStatus st, redisReply *r);

typedef struct Conn Conn;
typedef struct Ident { const char *user, *pass; } Ident;

void poolInit(struct event_base *base);
/* Sends a command as `id` (NULL user: the gateway's --user) to the node that
 * owns `key`'s slot (key may be NULL: any node). The callback runs exactly
 * once. */
void poolSend(const Ident *id, const char *key, int argc, const char **argv,
              const size_t *lens, PoolCb *cb, void *priv);
/* A connection of its own (SSE, blocking commands); closed by connClose. */
Conn *connOpen(const Ident *id, const char *key);
void connSend(Conn *c, int argc, const char **argv, const size_t *lens, PoolCb *cb,
              void *priv);
void connClose(Conn *c);
/* Asks CLUSTER SLOTS for the slot map (also done after each MOVED). */
void poolRefreshSlots(void);
/* Is Redis reachable now (last attempt on the default pool succeeded)? */
int poolHealthy(void);
/* Number of MOVED/ASK redirections followed, slot map refreshes. */
extern unsigned long long poolRedirects, poolSlotRefreshes;

/* ---- reply.c ------------------------------------------------------------ */

/* How to read a RESP2 array: RESP2 has no maps, so each route says which
 * arrays are flat field/value maps. */
typedef enum {
    SHAPE_VALUE,        /* scalars as they are, arrays as lists */
    SHAPE_MAP,          /* a map; arrays inside are lists */
    SHAPE_DEEPMAP,      /* a map whose arrays are maps too (stats, sla, report) */
    SHAPE_MAPLIST,      /* a list of maps */
    SHAPE_JSONSTR       /* a bulk string holding a JSON document */
} Shape;

json_t *replyToJson(const redisReply *r, Shape shape);
/* HTTP status for an error reply, e.g. "NOTFOUND ..." -> 404. */
int replyErrorStatus(const char *err, size_t len);
/* Splits "CODE message" into its code (copied into code, max n) and message. */
const char *replyErrorCode(const char *err, size_t len, char *code, size_t n);

/* ---- http.c ------------------------------------------------------------- */

#define MAX_SEGS 12
#define MAX_ARGS 48

typedef struct Req Req;
typedef void ReplyFn(Req *q, redisReply *r);

struct Req {
    struct evhttp_request *er;
    int method;                     /* EVHTTP_REQ_* */
    char *path;                     /* decoded path */
    struct evkeyvalq query;
    char *seg[MAX_SEGS];
    int nseg;
    const char *route;              /* route pattern, for metrics and logs */
    const char *desk;
    json_t *body;                   /* parsed JSON body, or NULL */
    char *user, *pass;              /* caller's Redis identity (NULL: --user) */
    int via_cookie;
    uint64_t t0;
    int status;
    int pending;                    /* Redis callbacks still to come */
    int done;                       /* response sent */
    struct event *timer;
    ReplyFn *next;                  /* what to do with the next reply */
    Shape shape;
    int ok_status;                  /* status for a successful reply */
    const char *wrap;               /* wrap the JSON in {"<wrap>": ...} */
    char aux[192];                  /* per-route scratch (ids, names) */
    long long auxn;
    int is_write;                   /* unknown outcome must not look like success */
    void *sse;                      /* sse.c's state */
    Conn *own;                      /* reqSendOwn's connection */
    json_t *acc;                    /* replies gathered over several commands */
    int want;                       /* replies still expected into acc */
    int raw_errors;                 /* pass error replies to `next` too */
    int tries;
};

/* Command argv built per request; strings copied. */
typedef struct Args {
    int n;
    const char *v[MAX_ARGS];
    size_t l[MAX_ARGS];
    char *own[MAX_ARGS];
} Args;

void argsInit(Args *a);
void argsAdd(Args *a, const char *s);
void argsAddLen(Args *a, const char *s, size_t len);
void argsAddf(Args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void argsFree(Args *a);

uint64_t nowUsec(void);
const char *methodName(int m);
/* Sends one command for q as the caller; `fn` gets the reply (errors and
 * connection failures are answered by http.c before fn is called, unless
 * fn is given for them with reqSendRaw). */
void reqSend(Req *q, Args *a, ReplyFn *fn);
/* The same on a connection of its own, closed after the reply (blocking
 * commands must not hold up the caller's pipelined connection). */
void reqSendOwn(Req *q, Args *a, ReplyFn *fn);
/* Responses. Each finishes the request. */
void reqJson(Req *q, int status, json_t *j);             /* steals j */
void reqError(Req *q, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void reqNoContent(Req *q);
void reqRedisError(Req *q, const redisReply *r);
/* Generic reply handler: shape/wrap/ok_status from q. */
void replyGeneric(Req *q, redisReply *r);
/* Whole-request bookkeeping. */
void reqFinish(Req *q);
void reqFree(Req *q);
const char *reqQuery(Req *q, const char *name);
const char *reqHeader(Req *q, const char *name);

/* Body validation: spec is "name:type,..." with types s (string), i
 * (integer), b (bool), n (number), a (array of strings), o (object), j (any);
 * a trailing ! marks a required field. Answers 400 and returns 0 on failure. */
int reqBodyCheck(Req *q, const char *spec);
/* Parses the request body as JSON (415/400/413 answered here). */
int reqParseBody(Req *q, int required);
/* Field helpers over q->body. */
const char *bodyStr(Req *q, const char *name);
int bodyHas(Req *q, const char *name);
/* Integer query parameter in [lo, hi]; 1 ok (absent leaves *out), 0 answered 400. */
int queryInt(Req *q, const char *name, long long lo, long long hi, long long *out);
int validUtf8(const char *s, size_t len);

/* ---- session.c ---------------------------------------------------------- */

/* Finds the caller's identity: Basic header or session cookie. Answers 401
 * or 403 (CSRF) itself and returns 0 when the request may not go on. */
int sessionIdentify(Req *q);
void sessionCreate(Req *q);     /* POST /v1/session */
void sessionDelete(Req *q);     /* DELETE /v1/session */
void sessionGet(Req *q);        /* GET /v1/session */

/* ---- static.c, metrics.c, sse.c, openapi.c ------------------------------ */

void staticServe(Req *q);
void metricsRecord(const char *route, int method, int status, uint64_t usec);
void metricsServe(Req *q);
void healthServe(Req *q);
void sseEvents(Req *q);          /* GET /v1/desks/{desk}/events */
void sseMessages(Req *q);        /* GET /v1/desks/{desk}/tickets/{id}/messages/stream */
void sseCloseAll(void);          /* at shutdown */
void openapiServe(Req *q);

/* ---- routes ------------------------------------------------------------- */

typedef void Handler(Req *q);
typedef struct Route {
    int method;
    const char *pattern;        /* segments; {name} matches any one */
    Handler *fn;
    const char *summary;
    const char *body;           /* body spec for reqBodyCheck / openapi, or NULL */
} Route;

extern const Route nativeRoutes[];
extern const Route seedRoutes[];
extern const Route serviceRoutes[];

#endif
