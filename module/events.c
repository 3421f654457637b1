/* events.c -- the desk's event stream and each ticket's log.
 *
 * D:events is a capped STREAM a consumer can follow with XREAD/XREADGROUP;
 * D:ticket:<tid>:log is the ticket's human-readable timeline ("<ms>: text"). */
#include <stdio.h>
#include <string.h>
#include "helpdesk.h"

#define EVENT_MAX_FIELDS 16

void eventEmit(Hd *hd, const DeskConfig *cfg, const char *type, long long tid, ...) {
    RedisModuleString *fv[EVENT_MAX_FIELDS * 2];
    int n = 0;
    const char *f;
    va_list ap;

    if (cfg->events_maxlen == 0) return;
    fv[n++] = hdConstString(hd, "type");
    fv[n++] = hdConstString(hd, type);
    if (tid > 0) {
        fv[n++] = hdConstString(hd, "ticket");
        fv[n++] = RedisModule_CreateStringFromLongLong(hd->ctx, tid);
    }
    fv[n++] = hdConstString(hd, "at");
    fv[n++] = RedisModule_CreateStringFromLongLong(hd->ctx, hd->now);

    va_start(ap, tid);
    while ((f = va_arg(ap, const char *)) != NULL && n + 2 <= EVENT_MAX_FIELDS * 2) {
        const char *v = va_arg(ap, const char *);
        fv[n++] = hdConstString(hd, f);
        fv[n++] = RedisModule_CreateString(hd->ctx, v ? v : "", v ? strlen(v) : 0);
    }
    va_end(ap);
    fxXAdd(hd, hdEventsKey(hd), fv, n, cfg->events_maxlen, NULL);
}

/* "<ms>: " */
static int logPrefix(char *buf, long long now) {
    int n = hdFormatLL(buf, now);
    buf[n++] = ':';
    buf[n++] = ' ';
    return n;
}

void ticketLog(Hd *hd, long long tid, const char *fmt, ...) {
    char buf[1024];
    int off, n;
    va_list ap;

    off = logPrefix(buf, hd->now);
    va_start(ap, fmt);
    n = hdFormat(buf + off, sizeof(buf) - off, fmt, ap);
    va_end(ap);
    fxRPush(hd, hdTicketLogKey(hd, tid),
            RedisModule_CreateString(hd->ctx, buf, off + n));
}

void ticketLogText(Hd *hd, long long tid, const char *prefix, RedisModuleString *text) {
    char head[64];
    size_t len, plen = strlen(prefix);
    const char *t = RedisModule_StringPtrLen(text, &len);
    /* "<ms>: <prefix>" then the text appended: the text may be as long as
     * helpdesk.max-text, and a printf of it cost 2.7k per TICKET.CLOSE. */
    int n = logPrefix(head, hd->now);
    if (plen > sizeof(head) - (size_t)n) plen = sizeof(head) - (size_t)n;
    memcpy(head + n, prefix, plen);
    RedisModuleString *line = RedisModule_CreateString(hd->ctx, head, (size_t)n + plen);
    RedisModule_StringAppendBuffer(hd->ctx, line, t, len);
    fxRPush(hd, hdTicketLogKey(hd, tid), line);
}
