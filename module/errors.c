/* errors.c -- error replies: "CODE <sentence>" on one line.
 *
 * The ground floor of the module: every layer replies errors through these,
 * and they call nothing of the module but the Hd context. */
#include <stdio.h>
#include "helpdesk.h"

static int replyCodeError(Hd *hd, const char *code, const char *fmt, va_list ap) {
    char buf[512];
    int off = snprintf(buf, sizeof(buf), "%s ", code);
    vsnprintf(buf + off, sizeof(buf) - off, fmt, ap);
    /* Error replies must be one line. */
    for (char *p = buf; *p; p++) if (*p == '\r' || *p == '\n') *p = ' ';
    RedisModule_ReplyWithError(hd->ctx, buf);
    return REDISMODULE_OK;
}

int hdError(Hd *hd, const char *code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    replyCodeError(hd, code, fmt, ap);
    va_end(ap);
    return REDISMODULE_OK;
}

int hdSyntax(Hd *hd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    replyCodeError(hd, "ERR", fmt, ap);
    va_end(ap);
    return REDISMODULE_OK;
}
