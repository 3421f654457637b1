/* config.c -- command-line flags of helpdesk-http and its --help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gw.h"

Config cfg = {
    .listen_host = "127.0.0.1", .listen_port = 8080,
    .redis_host = "127.0.0.1", .redis_port = 6379,
    .desk = "help", .user = NULL, .pass = NULL, .require_auth = 0,
    .static_dir = NULL, .max_body = 1 << 20, .idle_timeout = 60,
    .redis_timeout_ms = 10000, .max_headers = 16384, .session_ttl = 8 * 3600,
    .sse_keepalive_ms = 15000, .cluster = 0, .quiet = 0,
};

static void usage(FILE *f) {
    fprintf(f,
"Usage: helpdesk-http [options]\n"
"HTTP/JSON gateway of the helpdesk Redis module (SPEC section 10).\n"
"\n"
"  --listen HOST:PORT     address to serve HTTP on (default 127.0.0.1:8080)\n"
"  --redis HOST:PORT      Redis (or any node of a Redis Cluster) (default 127.0.0.1:6379)\n"
"  --desk NAME            desk of the seed-compatible routes (default help)\n"
"  --user U --pass P      Redis ACL user for requests without credentials\n"
"                         (default: Redis's `default` user, no AUTH)\n"
"  --require-auth         answer 401 to requests without credentials\n"
"  --static DIR           files served at / (default: the repo's web/)\n"
"  --max-body BYTES       largest request body, else 413 (default 1048576)\n"
"  --idle-timeout SEC     close HTTP connections idle (or slow) that long (default 60)\n"
"  --redis-timeout MS     a Redis reply not back by then answers 503 (default 10000)\n"
"  --max-headers BYTES    largest request line + headers, else 4xx (default 16384)\n"
"  --session-ttl SEC      lifetime of a /v1/session cookie (default 28800)\n"
"  --sse-keepalive MS     comment line period on event streams (default 15000)\n"
"  --cluster              route every desk to its slot owner from the start\n"
"                         (also switched on by the first MOVED reply)\n"
"  --quiet                no access log on stderr\n"
"  --help                 this text\n"
"\n"
"Credentials: HTTP Basic user/password = a Redis ACL user; browsers use\n"
"POST /v1/session {user,password} (cookie + X-CSRF-Token).\n");
}

static void die(const char *fmt, const char *arg) {
    fprintf(stderr, "helpdesk-http: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry helpdesk-http --help.\n");
    exit(2);
}

static void parseHostPort(const char *flag, const char *v, char *host, size_t hn, int *port) {
    const char *colon = strrchr(v, ':');
    char *end;
    if (!colon || colon == v || (size_t)(colon - v) >= hn)
        die("%s needs HOST:PORT", flag);
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535) die("%s: bad port", flag);
    memcpy(host, v, colon - v);
    host[colon - v] = '\0';
    *port = (int)p;
}

static long long parseNum(const char *flag, const char *v, long long lo, long long hi) {
    char *end;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < lo || n > hi) die("%s: bad number", flag);
    return n;
}

void configParse(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); exit(0); }
        if (!strcmp(a, "--require-auth")) { cfg.require_auth = 1; continue; }
        if (!strcmp(a, "--cluster")) { cfg.cluster = 1; continue; }
        if (!strcmp(a, "--quiet")) { cfg.quiet = 1; continue; }
        if (!v) die("%s needs a value", a);
        i++;
        if (!strcmp(a, "--listen"))
            parseHostPort(a, v, cfg.listen_host, sizeof(cfg.listen_host), &cfg.listen_port);
        else if (!strcmp(a, "--redis"))
            parseHostPort(a, v, cfg.redis_host, sizeof(cfg.redis_host), &cfg.redis_port);
        else if (!strcmp(a, "--desk")) cfg.desk = v;
        else if (!strcmp(a, "--user")) cfg.user = v;
        else if (!strcmp(a, "--pass")) cfg.pass = v;
        else if (!strcmp(a, "--static")) cfg.static_dir = v;
        else if (!strcmp(a, "--max-body")) cfg.max_body = parseNum(a, v, 1, 1LL << 30);
        else if (!strcmp(a, "--idle-timeout")) cfg.idle_timeout = (int)parseNum(a, v, 1, 86400);
        else if (!strcmp(a, "--redis-timeout"))
            cfg.redis_timeout_ms = (int)parseNum(a, v, 10, 3600000);
        else if (!strcmp(a, "--max-headers")) cfg.max_headers = (int)parseNum(a, v, 256, 1 << 20);
        else if (!strcmp(a, "--session-ttl")) cfg.session_ttl = (int)parseNum(a, v, 1, 86400 * 30);
        else if (!strcmp(a, "--sse-keepalive"))
            cfg.sse_keepalive_ms = (int)parseNum(a, v, 10, 3600000);
        else die("unknown option %s", a);
    }
    if (cfg.pass && !cfg.user) die("%s", "--pass needs --user");
    if (cfg.user && !cfg.pass) cfg.pass = "";
    size_t dl = strlen(cfg.desk);
    if (dl == 0 || dl > 64 || strchr(cfg.desk, ':')) die("--desk: bad desk name '%s'", cfg.desk);
}
