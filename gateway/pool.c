/* pool.c -- hiredis async connections, one pooled connection per (Redis ACL
 * user, node), pipelined.
 *
 * Identity is Redis's: a connection authenticates as the caller's ACL user
 * before it carries anything, and commands wait in the connection's queue
 * until AUTH said OK, so a command never runs as the wrong user.
 *
 * Faults: a command that could not be sent (connect refused, AUTH pending
 * when the link died) is POOL_DOWN, safe to report as 503; a command that was
 * written but got no reply is POOL_LOST, outcome unknown. After a failed
 * connect, new commands fail at once for a short while instead of piling up;
 * the next command after that reconnects.
 *
 * Cluster: the desk name is every command's key. The slot map (CLUSTER
 * SLOTS) says which node serves a slot; MOVED updates the map, refreshes it
 * in the background and re-sends; ASK re-sends once with ASKING. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/adapters/libevent.h>
#include "gw.h"

#define RETRY_AFTER_FAIL_US 200000
#define MAX_REDIRECTS 5
#define NSLOTS 16384

typedef struct Cmd {
    struct Cmd *next;
    int argc;
    char **argv;
    size_t *lens;
    PoolCb *cb;
    void *priv;
    int redirects;
    int asking;
    char *key;
} Cmd;

enum { C_CONNECTING, C_AUTHING, C_READY, C_DEAD };

typedef struct Pool Pool;
struct Conn {
    redisAsyncContext *ac;
    Pool *pool;                 /* NULL for a dedicated connection */
    char *user, *pass;
    int state;
    Cmd *qhead, *qtail;         /* waiting for connect/AUTH */
};

struct Pool {
    char *user, *pass;          /* user NULL: the gateway's --user */
    char host[256];
    int port;
    Conn *conn;
    uint64_t failed_at;
    Pool *next;
};

static struct event_base *evbase;
static Pool *pools;
static char *slotHost[NSLOTS];  /* "host:port" of the slot's master, or NULL */
static int slotPort[NSLOTS];
static int refreshing;
unsigned long long poolRedirects, poolSlotRefreshes;

void poolInit(struct event_base *base) { evbase = base; }

/* ---- commands ----------------------------------------------------------- */

static Cmd *cmdNew(int argc, const char **argv, const size_t *lens, const char *key,
                   PoolCb *cb, void *priv) {
    Cmd *c = calloc(1, sizeof(*c));
    c->argc = argc;
    c->argv = malloc(sizeof(char *) * argc);
    c->lens = malloc(sizeof(size_t) * argc);
    for (int i = 0; i < argc; i++) {
        c->argv[i] = malloc(lens[i] + 1);
        memcpy(c->argv[i], argv[i], lens[i]);
        c->argv[i][lens[i]] = '\0';
        c->lens[i] = lens[i];
    }
    c->key = key ? strdup(key) : NULL;
    c->cb = cb;
    c->priv = priv;
    return c;
}

static void cmdFree(Cmd *c) {
    for (int i = 0; i < c->argc; i++) free(c->argv[i]);
    free(c->argv);
    free(c->lens);
    free(c->key);
    free(c);
}

static void cmdDone(Cmd *c, PoolStatus st, redisReply *r) {
    c->cb(c->priv, st, r);
    cmdFree(c);
}

/* ---- cluster slots ------------------------------------------------------ */

/* CRC16-CCITT (XMODEM), the hash of Redis Cluster key slots. */
static unsigned crc16(const char *buf, size_t len) {
    unsigned crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (unsigned)(unsigned char)buf[i] << 8;
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc;
}

static int keySlot(const char *key) {
    size_t len = strlen(key);
    const char *open = memchr(key, '{', len);
    if (open) {
        const char *close = memchr(open + 1, '}', len - (open + 1 - key));
        if (close && close > open + 1) return crc16(open + 1, close - open - 1) % NSLOTS;
    }
    return crc16(key, len) % NSLOTS;
}

static void slotSet(int slot, const char *host, size_t hlen, int port) {
    if (slot < 0 || slot >= NSLOTS) return;
    free(slotHost[slot]);
    slotHost[slot] = strndup(host, hlen);
    slotPort[slot] = port;
}

static void slotsReply(void *priv, PoolStatus st, redisReply *r) {
    refreshing = 0;
    if (st != POOL_OK || r->type != REDIS_REPLY_ARRAY) return;
    poolSlotRefreshes++;
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3) continue;
        redisReply *n = e->element[2];
        if (n->type != REDIS_REPLY_ARRAY || n->elements < 2) continue;
        const char *host = n->element[0]->str;
        size_t hlen = n->element[0]->len;
        if (hlen == 0) { host = cfg.redis_host; hlen = strlen(host); }
        for (long long s = e->element[0]->integer; s <= e->element[1]->integer; s++)
            slotSet((int)s, host, hlen, (int)n->element[1]->integer);
    }
}

void poolRefreshSlots(void) {
    if (refreshing) return;
    refreshing = 1;
    const char *argv[] = { "CLUSTER", "SLOTS" };
    size_t lens[] = { 7, 5 };
    Ident id = { NULL, NULL };
    poolSend(&id, NULL, 2, argv, lens, slotsReply, NULL);
}

/* ---- connections -------------------------------------------------------- */

static void connSendNow(Conn *c, Cmd *cmd);

static void failQueue(Conn *c, PoolStatus st, redisReply *r) {
    Cmd *cmd = c->qhead;
    c->qhead = c->qtail = NULL;
    while (cmd) {
        Cmd *next = cmd->next;
        cmdDone(cmd, st, r);
        cmd = next;
    }
}

static void flushQueue(Conn *c) {
    Cmd *cmd = c->qhead;
    c->qhead = c->qtail = NULL;
    while (cmd) {
        Cmd *next = cmd->next;
        cmd->next = NULL;
        connSendNow(c, cmd);
        cmd = next;
    }
}

static void connDetach(Conn *c) {
    if (c->pool && c->pool->conn == c) c->pool->conn = NULL;
    c->pool = NULL;
}

static void connFree(Conn *c) {
    free(c->user);
    free(c->pass);
    free(c);
}

static void onConnect(const redisAsyncContext *ac, int status) {
    Conn *c = ac->data;
    if (status != REDIS_OK) {
        /* hiredis frees ac after this callback. */
        if (c->pool) c->pool->failed_at = nowUsec();
        connDetach(c);
        c->state = C_DEAD;
        c->ac = NULL;
        failQueue(c, POOL_DOWN, NULL);
        connFree(c);
        return;
    }
    if (c->state == C_CONNECTING && !c->user) {
        c->state = C_READY;
        flushQueue(c);
    }
}

static void onDisconnect(const redisAsyncContext *ac, int status) {
    Conn *c = ac->data;
    if (c->pool) c->pool->failed_at = status == REDIS_OK ? 0 : nowUsec();
    connDetach(c);
    c->state = C_DEAD;
    c->ac = NULL;
    failQueue(c, POOL_DOWN, NULL);
    connFree(c);
}

static void onAuth(redisAsyncContext *ac, void *reply, void *priv) {
    Conn *c = priv;
    redisReply *r = reply;
    if (!r) return;                     /* link died: onDisconnect fails the queue */
    if (r->type == REDIS_REPLY_ERROR) {
        /* Wrong credentials: the queued commands never run. */
        connDetach(c);
        failQueue(c, POOL_AUTH, r);
        redisAsyncDisconnect(ac);
        return;
    }
    c->state = C_READY;
    flushQueue(c);
}

static Conn *connNew(const char *user, const char *pass, const char *host, int port) {
    redisAsyncContext *ac = redisAsyncConnect(host, port);
    if (!ac) return NULL;
    if (ac->err) { redisAsyncFree(ac); return NULL; }
    Conn *c = calloc(1, sizeof(*c));
    c->ac = ac;
    c->user = user ? strdup(user) : NULL;
    c->pass = pass ? strdup(pass) : NULL;
    c->state = C_CONNECTING;
    ac->data = c;
    redisLibeventAttach(ac, evbase);
    redisAsyncSetConnectCallback(ac, onConnect);
    redisAsyncSetDisconnectCallback(ac, onDisconnect);
    if (c->user) {
        /* Written first on the socket: nothing else is sent before its reply. */
        const char *argv[] = { "AUTH", c->user, c->pass ? c->pass : "" };
        size_t lens[] = { 4, strlen(c->user), c->pass ? strlen(c->pass) : 0 };
        c->state = C_AUTHING;
        redisAsyncCommandArgv(ac, onAuth, c, 3, argv, lens);
    }
    return c;
}

static void connQueue(Conn *c, Cmd *cmd) {
    cmd->next = NULL;
    if (c->qtail) c->qtail->next = cmd;
    else c->qhead = cmd;
    c->qtail = cmd;
}

static void resend(Cmd *cmd, const char *host, size_t hlen, int port, int asking);

/* MOVED / ASK: "MOVED 3999 127.0.0.1:6381". Returns 1 when handled. */
static int redirect(Cmd *cmd, redisReply *r) {
    int ask = !strncmp(r->str, "ASK ", 4);
    if (!ask && strncmp(r->str, "MOVED ", 6)) return 0;
    if (cmd->redirects >= MAX_REDIRECTS) return 0;
    char *sp = strchr(r->str, ' ');
    char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
    char *colon = sp2 ? strrchr(sp2, ':') : NULL;
    if (!colon) return 0;
    int slot = atoi(sp + 1);
    int port = atoi(colon + 1);
    const char *host = sp2 + 1;
    size_t hlen = colon - host;
    if (hlen == 0) { host = cfg.redis_host; hlen = strlen(host); }
    poolRedirects++;
    if (!ask) {
        slotSet(slot, host, hlen, port);
        poolRefreshSlots();
    }
    resend(cmd, host, hlen, port, ask);
    return 1;
}

static void onReply(redisAsyncContext *ac, void *reply, void *priv) {
    Cmd *cmd = priv;
    redisReply *r = reply;
    if (!r) { cmdDone(cmd, POOL_LOST, NULL); return; }
    if (cmd->asking) {                  /* the ASKING reply; the command's follows */
        cmd->asking = 0;
        return;
    }
    if (r->type == REDIS_REPLY_ERROR && redirect(cmd, r)) return;
    cmdDone(cmd, POOL_OK, r);
}

static void connSendNow(Conn *c, Cmd *cmd) {
    if (cmd->asking) {
        const char *a[] = { "ASKING" };
        size_t l[] = { 6 };
        redisAsyncCommandArgv(c->ac, onReply, cmd, 1, a, l);
    }
    if (redisAsyncCommandArgv(c->ac, onReply, cmd, cmd->argc, (const char **)cmd->argv,
                              cmd->lens) != REDIS_OK)
        cmdDone(cmd, POOL_DOWN, NULL);
}

static void connSubmit(Conn *c, Cmd *cmd) {
    if (c->state == C_READY) connSendNow(c, cmd);
    else connQueue(c, cmd);
}

/* ---- pools -------------------------------------------------------------- */

static int sameStr(const char *a, const char *b) {
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static Pool *poolFor(const char *user, const char *pass, const char *host, int port) {
    for (Pool *p = pools; p; p = p->next)
        if (sameStr(p->user, user) && sameStr(p->pass, pass) && p->port == port &&
            !strcmp(p->host, host)) return p;
    Pool *p = calloc(1, sizeof(*p));
    p->user = user ? strdup(user) : NULL;
    p->pass = pass ? strdup(pass) : NULL;
    snprintf(p->host, sizeof(p->host), "%s", host);
    p->port = port;
    p->next = pools;
    pools = p;
    return p;
}

static void identityOf(const Ident *id, const char **user, const char **pass) {
    if (id && id->user) { *user = id->user; *pass = id->pass ? id->pass : ""; }
    else { *user = cfg.user; *pass = cfg.pass; }
}

static void nodeFor(const char *key, const char **host, int *port) {
    int slot = key ? keySlot(key) : -1;
    if (slot >= 0 && slotHost[slot]) { *host = slotHost[slot]; *port = slotPort[slot]; }
    else { *host = cfg.redis_host; *port = cfg.redis_port; }
}

static void submitTo(const char *user, const char *pass, const char *host, int port, Cmd *cmd) {
    Pool *p = poolFor(user, pass, host, port);
    if (!p->conn) {
        if (p->failed_at && nowUsec() - p->failed_at < RETRY_AFTER_FAIL_US) {
            cmdDone(cmd, POOL_DOWN, NULL);
            return;
        }
        p->conn = connNew(user, pass, host, port);
        if (!p->conn) {
            p->failed_at = nowUsec();
            cmdDone(cmd, POOL_DOWN, NULL);
            return;
        }
        p->conn->pool = p;
    }
    connSubmit(p->conn, cmd);
}

/* The identity travels with the command for redirects. */
typedef struct Redir { char *user, *pass; PoolCb *cb; void *priv; } Redir;

static void redirDone(void *priv, PoolStatus st, redisReply *r) {
    Redir *d = priv;
    d->cb(d->priv, st, r);
    free(d->user);
    free(d->pass);
    free(d);
}

static void resend(Cmd *old, const char *host, size_t hlen, int port, int asking) {
    Redir *d = old->priv;
    char h[256];
    snprintf(h, sizeof(h), "%.*s", (int)hlen, host);
    Cmd *cmd = cmdNew(old->argc, (const char **)old->argv, old->lens, old->key, old->cb,
                      old->priv);
    cmd->redirects = old->redirects + 1;
    cmd->asking = asking;
    cmdFree(old);
    submitTo(d->user, d->pass, h, port, cmd);
}

void poolSend(const Ident *id, const char *key, int argc, const char **argv,
              const size_t *lens, PoolCb *cb, void *priv) {
    const char *user, *pass, *host;
    int port;
    identityOf(id, &user, &pass);
    nodeFor(key, &host, &port);
    Redir *d = calloc(1, sizeof(*d));
    d->user = user ? strdup(user) : NULL;
    d->pass = pass ? strdup(pass) : NULL;
    d->cb = cb;
    d->priv = priv;
    submitTo(user, pass, host, port, cmdNew(argc, argv, lens, key, redirDone, d));
}

int poolHealthy(void) {
    Pool *p = poolFor(cfg.user, cfg.pass, cfg.redis_host, cfg.redis_port);
    return p->conn && p->conn->state == C_READY;
}

/* ---- dedicated connections (SSE, blocking commands) --------------------- */

Conn *connOpen(const Ident *id, const char *key) {
    const char *user, *pass, *host;
    int port;
    identityOf(id, &user, &pass);
    nodeFor(key, &host, &port);
    return connNew(user, pass, host, port);
}

void connSend(Conn *c, int argc, const char **argv, const size_t *lens, PoolCb *cb,
              void *priv) {
    Cmd *cmd = cmdNew(argc, argv, lens, NULL, cb, priv);
    cmd->redirects = MAX_REDIRECTS;     /* no redirect on a dedicated link */
    if (c->state == C_DEAD || !c->ac) { cmdDone(cmd, POOL_DOWN, NULL); return; }
    connSubmit(c, cmd);
}

/* Frees the link now: pending callbacks run with POOL_LOST/POOL_DOWN. */
void connClose(Conn *c) {
    redisAsyncContext *ac = c->ac;
    if (ac && (ac->c.flags & REDIS_CONNECTED)) {
        redisAsyncFree(ac);             /* onDisconnect frees c */
        return;
    }
    /* Not connected yet: hiredis calls neither callback, so fail and free here. */
    if (ac) { ac->data = NULL; redisAsyncFree(ac); }
    failQueue(c, POOL_DOWN, NULL);
    connFree(c);
}
