/* metrics.c -- /metrics (Prometheus text format) and /health.
 *
 * The gateway's own series: requests by route pattern, method and status,
 * and a latency histogram per route. The module's series come from
 * INFO helpdesk, read at scrape time as the gateway's --user. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include "gw.h"

#define MAX_SERIES 256
#define NBUCKETS 14

static const double bucketSec[NBUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

typedef struct Count { const char *route; int method, status; unsigned long long n; } Count;
typedef struct Hist {
    const char *route;
    unsigned long long bucket[NBUCKETS], count;
    double sum;
} Hist;

static Count counts[MAX_SERIES];
static int ncounts;
static Hist hists[MAX_SERIES];
static int nhists;

void metricsRecord(const char *route, int method, int status, uint64_t usec) {
    if (!route) route = "unmatched";
    int i;
    for (i = 0; i < ncounts; i++)
        if (counts[i].route == route && counts[i].method == method &&
            counts[i].status == status) break;
    if (i == ncounts && ncounts < MAX_SERIES)
        counts[ncounts++] = (Count){ route, method, status, 0 };
    if (i < ncounts) counts[i].n++;

    for (i = 0; i < nhists; i++) if (hists[i].route == route) break;
    if (i == nhists && nhists < MAX_SERIES) hists[nhists++] = (Hist){ .route = route };
    if (i == nhists) return;
    double s = usec / 1e6;
    for (int b = 0; b < NBUCKETS; b++) if (s <= bucketSec[b]) hists[i].bucket[b]++;
    hists[i].count++;
    hists[i].sum += s;
}

static void gatewaySeries(struct evbuffer *b) {
    evbuffer_add_printf(b, "# HELP helpdesk_http_requests_total HTTP requests by route, "
                        "method and status.\n# TYPE helpdesk_http_requests_total counter\n");
    for (int i = 0; i < ncounts; i++)
        evbuffer_add_printf(b, "helpdesk_http_requests_total{route=\"%s\",method=\"%s\","
                            "status=\"%d\"} %llu\n", counts[i].route,
                            methodName(counts[i].method), counts[i].status, counts[i].n);
    evbuffer_add_printf(b, "# HELP helpdesk_http_request_seconds Request latency by route.\n"
                        "# TYPE helpdesk_http_request_seconds histogram\n");
    for (int i = 0; i < nhists; i++) {
        for (int k = 0; k < NBUCKETS; k++)
            evbuffer_add_printf(b, "helpdesk_http_request_seconds_bucket{route=\"%s\","
                                "le=\"%g\"} %llu\n", hists[i].route, bucketSec[k],
                                hists[i].bucket[k]);
        evbuffer_add_printf(b, "helpdesk_http_request_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                            "%llu\n", hists[i].route, hists[i].count);
        evbuffer_add_printf(b, "helpdesk_http_request_seconds_sum{route=\"%s\"} %.6f\n",
                            hists[i].route, hists[i].sum);
        evbuffer_add_printf(b, "helpdesk_http_request_seconds_count{route=\"%s\"} %llu\n",
                            hists[i].route, hists[i].count);
    }
    evbuffer_add_printf(b, "# TYPE helpdesk_http_cluster_redirects_total counter\n"
                        "helpdesk_http_cluster_redirects_total %llu\n"
                        "# TYPE helpdesk_http_cluster_slot_refreshes_total counter\n"
                        "helpdesk_http_cluster_slot_refreshes_total %llu\n",
                        poolRedirects, poolSlotRefreshes);
}

/* INFO helpdesk lines: "helpdesk_tickets_created:12" becomes a series of
 * the same name; "helpdesk_cmd_ticket_create:calls=3,usec=40,..." becomes
 * helpdesk_cmd_calls_total{cmd="ticket_create"} and _usec_total. */
static void infoSeries(struct evbuffer *b, const char *info, size_t len) {
    const char *p = info, *end = info + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', end - p);
        if (!nl) nl = end;
        size_t n = nl - p;
        if (n && p[n - 1] == '\r') n--;
        const char *colon = memchr(p, ':', n);
        if (p[0] != '#' && colon && n > 9 && !memcmp(p, "helpdesk_", 9)) {
            int klen = (int)(colon - p);
            const char *v = colon + 1;
            int vlen = (int)(n - klen - 1);
            if (klen > 13 && !memcmp(p, "helpdesk_cmd_", 13)) {
                long long calls = 0, usec = 0;
                char tmp[256];
                snprintf(tmp, sizeof(tmp), "%.*s", vlen, v);
                char *c = strstr(tmp, "calls="), *u = strstr(tmp, "usec=");
                if (c) calls = atoll(c + 6);
                if (u) usec = atoll(u + 5);
                evbuffer_add_printf(b, "helpdesk_cmd_calls_total{cmd=\"%.*s\"} %lld\n"
                                    "helpdesk_cmd_usec_total{cmd=\"%.*s\"} %lld\n",
                                    klen - 13, p + 13, calls, klen - 13, p + 13, usec);
            } else if (strspn(v, "0123456789.-") == (size_t)vlen) {
                evbuffer_add_printf(b, "%.*s %.*s\n", klen, p, vlen, v);
            }
        }
        p = nl + 1;
    }
}

static void onInfo(void *priv, PoolStatus st, redisReply *r) {
    Req *q = priv;
    q->pending--;
    if (q->done) { reqFree(q); return; }
    struct evbuffer *b = evbuffer_new();
    int up = st == POOL_OK && r->type == REDIS_REPLY_STRING;
    evbuffer_add_printf(b, "# HELP helpdesk_up Whether Redis answered INFO helpdesk.\n"
                        "# TYPE helpdesk_up gauge\nhelpdesk_up %d\n", up);
    if (up) infoSeries(b, r->str, r->len);
    gatewaySeries(b);
    evhttp_add_header(evhttp_request_get_output_headers(q->er), "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    q->status = 200;
    evhttp_send_reply(q->er, 200, "OK", b);
    evbuffer_free(b);
    reqFinish(q);
}

void metricsServe(Req *q) {
    const char *argv[] = { "INFO", "helpdesk" };
    size_t lens[] = { 4, 8 };
    q->pending++;
    poolSend(NULL, NULL, 2, argv, lens, onInfo, q);
}

static void onPing(void *priv, PoolStatus st, redisReply *r) {
    Req *q = priv;
    q->pending--;
    if (q->done) { reqFree(q); return; }
    if (st == POOL_OK && r->type != REDIS_REPLY_ERROR) {
        reqJson(q, 200, json_pack("{s:s,s:s,s:s}", "status", "ok", "redis", "ok",
                                  "desk", cfg.desk));
        return;
    }
    const char *why = st == POOL_OK ? "error" : st == POOL_AUTH ? "auth" : "down";
    evhttp_add_header(evhttp_request_get_output_headers(q->er), "Retry-After", "1");
    reqJson(q, 503, json_pack("{s:s,s:s,s:s}", "status", "unavailable", "redis", why,
                              "desk", cfg.desk));
}

void healthServe(Req *q) {
    const char *argv[] = { "PING" };
    size_t lens[] = { 4 };
    q->pending++;
    poolSend(NULL, NULL, 1, argv, lens, onPing, q);
}
