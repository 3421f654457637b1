/* session.c -- who the caller is: HTTP Basic credentials, or a browser
 * session cookie from POST /v1/session. Either way the result is a Redis ACL
 * user and password that the request's commands run as; what that user may
 * do is decided by Redis (ACLs, helpdesk.enforce-identity), never here.
 *
 * A session cookie is HttpOnly and SameSite=Strict; on top of that, every
 * non-GET request carrying it must echo the session's CSRF token in
 * X-CSRF-Token, so another site cannot make the browser act. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <event2/http.h>
#include "gw.h"

#define COOKIE "hd_session"

typedef struct Session {
    char token[65], csrf[65];
    char *user, *pass;
    uint64_t expires;           /* usec */
    struct Session *next;
} Session;

static Session *sessions;

static void randomHex(char *out, size_t bytes) {
    unsigned char buf[32];
    if (bytes > sizeof(buf)) bytes = sizeof(buf);
    size_t got = 0;
    while (got < bytes) {
        ssize_t n = getrandom(buf + got, bytes - got, 0);
        if (n > 0) got += n;
    }
    for (size_t i = 0; i < bytes; i++) sprintf(out + 2 * i, "%02x", buf[i]);
    out[2 * bytes] = '\0';
}

static void sessionFree(Session *s) {
    if (s->pass) memset(s->pass, 0, strlen(s->pass));
    free(s->user);
    free(s->pass);
    free(s);
}

/* Finds a live session by token; drops expired ones on the way. */
static Session *sessionFind(const char *token, size_t len) {
    uint64_t now = nowUsec();
    Session **pp = &sessions;
    while (*pp) {
        Session *s = *pp;
        if (s->expires < now) { *pp = s->next; sessionFree(s); continue; }
        if (strlen(s->token) == len && !memcmp(s->token, token, len)) return s;
        pp = &s->next;
    }
    return NULL;
}

static void sessionDrop(Session *victim) {
    for (Session **pp = &sessions; *pp; pp = &(*pp)->next)
        if (*pp == victim) { *pp = victim->next; sessionFree(victim); return; }
}

/* The cookie's value in a Cookie header, or NULL. */
static const char *cookieValue(const char *hdr, size_t *len) {
    if (!hdr) return NULL;
    const char *p = hdr;
    size_t nl = strlen(COOKIE);
    while (*p) {
        while (*p == ' ' || *p == ';') p++;
        if (!strncmp(p, COOKIE, nl) && p[nl] == '=') {
            const char *v = p + nl + 1;
            size_t n = strcspn(v, ";");
            while (n && v[n - 1] == ' ') n--;
            *len = n;
            return v;
        }
        p += strcspn(p, ";");
    }
    return NULL;
}

static int b64val(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes base64 into out (NUL-terminated); -1 on bad input. */
static int b64decode(const char *in, char *out, size_t outsz) {
    size_t o = 0;
    int bits = 0;
    unsigned acc = 0;
    for (const char *p = in; *p && *p != '='; p++) {
        int v = b64val((unsigned char)*p);
        if (v < 0) return -1;
        acc = ((acc << 6) | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= outsz) return -1;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    return (int)o;
}

static int basicIdentity(Req *q, const char *hdr) {
    char buf[1024];
    const char *p = hdr + 6;
    while (*p == ' ') p++;
    int n = b64decode(p, buf, sizeof(buf));
    char *colon = n > 0 ? memchr(buf, ':', n) : NULL;
    if (!colon || colon == buf || memchr(buf, '\0', n) || !validUtf8(buf, n)) {
        reqError(q, 401, "UNAUTHORIZED", "malformed Basic credentials; send "
                 "base64(user:password)");
        return 0;
    }
    *colon = '\0';
    q->user = strdup(buf);
    q->pass = strdup(colon + 1);
    return 1;
}

int sessionIdentify(Req *q) {
    const char *auth = reqHeader(q, "Authorization");
    if (auth) {
        if (strncasecmp(auth, "Basic ", 6) != 0) {
            reqError(q, 401, "UNAUTHORIZED", "only Basic credentials are accepted");
            return 0;
        }
        return basicIdentity(q, auth);
    }
    size_t len;
    const char *tok = cookieValue(reqHeader(q, "Cookie"), &len);
    if (tok) {
        Session *s = sessionFind(tok, len);
        if (!s) {
            reqError(q, 401, "UNAUTHORIZED", "the session has expired or was closed; sign in "
                     "again with POST /v1/session");
            return 0;
        }
        if (q->method != EVHTTP_REQ_GET && q->method != EVHTTP_REQ_HEAD) {
            const char *csrf = reqHeader(q, "X-CSRF-Token");
            if (!csrf || strcmp(csrf, s->csrf) != 0) {
                reqError(q, 403, "CSRF", "a request with the session cookie must send the "
                         "session's X-CSRF-Token header");
                return 0;
            }
        }
        q->user = strdup(s->user);
        q->pass = strdup(s->pass);
        q->via_cookie = 1;
        return 1;
    }
    if (cfg.require_auth) {
        reqError(q, 401, "UNAUTHORIZED", "credentials required: HTTP Basic (a Redis ACL user) "
                 "or a session from POST /v1/session");
        return 0;
    }
    return 1;
}

/* ---- POST /v1/session {user, password} ----------------------------------- */

static void sessionJson(Req *q, int status, Session *s) {
    json_t *j = json_pack("{s:s,s:s,s:I}", "user", s->user, "csrf_token", s->csrf,
                          "expires_in", (json_int_t)((s->expires - nowUsec()) / 1000000));
    reqJson(q, status, j);
}

static void onSignIn(void *priv, PoolStatus st, redisReply *r) {
    Req *q = priv;
    q->pending--;
    if (q->done) { reqFree(q); return; }
    if (st == POOL_AUTH) {
        reqError(q, 401, "UNAUTHORIZED", "wrong user or password");
        return;
    }
    if (st != POOL_OK) {
        reqError(q, 503, "UNAVAILABLE", "Redis is unreachable; retry shortly");
        return;
    }
    /* Any reply but an AUTH error means the credentials are good (even
     * NOPERM for PING: that user may simply not ping). */
    Session *s = calloc(1, sizeof(*s));
    randomHex(s->token, 32);
    randomHex(s->csrf, 32);
    s->user = strdup(bodyStr(q, "user"));
    s->pass = strdup(bodyStr(q, "password"));
    s->expires = nowUsec() + (uint64_t)cfg.session_ttl * 1000000;
    s->next = sessions;
    sessions = s;
    char cookie[256];
    snprintf(cookie, sizeof(cookie), COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d",
             s->token, cfg.session_ttl);
    evhttp_add_header(evhttp_request_get_output_headers(q->er), "Set-Cookie", cookie);
    sessionJson(q, 201, s);
}

void sessionCreate(Req *q) {
    if (!reqParseBody(q, 1) || !reqBodyCheck(q, "user:s!,password:s!")) return;
    const char *user = bodyStr(q, "user");
    if (!*user) { reqError(q, 400, "INVALID", "field 'user' must not be empty"); return; }
    Ident id = { user, bodyStr(q, "password") };
    const char *argv[] = { "PING" };
    size_t lens[] = { 4 };
    q->pending++;
    poolSend(&id, NULL, 1, argv, lens, onSignIn, q);
}

static Session *currentSession(Req *q) {
    size_t len;
    const char *tok = cookieValue(reqHeader(q, "Cookie"), &len);
    return tok ? sessionFind(tok, len) : NULL;
}

void sessionDelete(Req *q) {
    Session *s = currentSession(q);
    if (!s) { reqError(q, 401, "UNAUTHORIZED", "no session to close"); return; }
    const char *csrf = reqHeader(q, "X-CSRF-Token");
    if (!csrf || strcmp(csrf, s->csrf) != 0) {
        reqError(q, 403, "CSRF", "closing the session needs its X-CSRF-Token header");
        return;
    }
    sessionDrop(s);
    evhttp_add_header(evhttp_request_get_output_headers(q->er), "Set-Cookie",
                      COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    reqNoContent(q);
}

void sessionGet(Req *q) {
    Session *s = currentSession(q);
    if (!s) { reqError(q, 401, "UNAUTHORIZED", "not signed in; POST /v1/session"); return; }
    sessionJson(q, 200, s);
}
