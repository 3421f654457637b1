/* reply.c -- one rule for the type of every field the module replies.
 *
 * Hashes store everything as strings; clients should not have to know which
 * of them are numbers. SPEC section 4: ticket ids, priorities, versions,
 * loads, capacities, counts and every *_at time are integers wherever they
 * appear, in RESP2 and RESP3 alike; urgency is a double in RESP3 and its
 * stored decimal string in RESP2 (where a double reply is a bulk string
 * anyway). Customer and agent ids stay strings. A value that does not parse
 * (a hash edited by hand, master = "self") is replied as the string it is,
 * never as a wrong number. */
#include <string.h>
#include <stdlib.h>
#include "helpdesk.h"

/* Exact names whose values are integers, besides every "*_at" / "*_ms". */
static const char *integerFields[] = {
    "id", "ticket", "priority", "version", "load", "capacity", "assigned_total",
    "count", "master", "sla_breached", "target", "elapsed", NULL
};

static int endsWith(const char *s, size_t len, const char *suffix) {
    size_t sl = strlen(suffix);
    return len >= sl && !memcmp(s + len - sl, suffix, sl);
}

int hdFieldIsInteger(const char *name, size_t len) {
    if (endsWith(name, len, "_at") || endsWith(name, len, "_ms")) return 1;
    for (int i = 0; integerFields[i]; i++)
        if (strlen(integerFields[i]) == len && !memcmp(integerFields[i], name, len)) return 1;
    return 0;
}

int hdReplyIsResp3(Hd *hd) {
    return (RedisModule_GetContextFlags(hd->ctx) & REDISMODULE_CTX_FLAGS_RESP3) != 0;
}

/* A decimal number as a RESP3 double; under RESP2 the text itself, which is
 * what the client would otherwise get from the double reply's bulk string,
 * minus the rounding noise. */
void hdReplyDecimal(Hd *hd, const char *s, size_t len) {
    char buf[64];
    if (hdReplyIsResp3(hd) && len < sizeof(buf)) {
        char *end;
        memcpy(buf, s, len);
        buf[len] = '\0';
        long double d = strtold(buf, &end);
        if (end != buf && *end == '\0') {
            RedisModule_ReplyWithLongDouble(hd->ctx, d);
            return;
        }
    }
    RedisModule_ReplyWithStringBuffer(hd->ctx, s, len);
}

int hdFieldKind(const char *field, size_t flen) {
    if (hdFieldIsInteger(field, flen)) return HD_VALUE_INTEGER;
    if (flen == 7 && !memcmp(field, "urgency", 7)) return HD_VALUE_DECIMAL;
    return HD_VALUE_STRING;
}

void hdReplyValueOfKind(Hd *hd, int kind, RedisModuleString *v) {
    long long n;
    size_t vlen;
    const char *s;

    if (!v) {
        RedisModule_ReplyWithNull(hd->ctx);
        return;
    }
    if (kind == HD_VALUE_INTEGER && RedisModule_StringToLongLong(v, &n) == REDISMODULE_OK) {
        RedisModule_ReplyWithLongLong(hd->ctx, n);
        return;
    }
    if (kind == HD_VALUE_DECIMAL) {
        s = RedisModule_StringPtrLen(v, &vlen);
        hdReplyDecimal(hd, s, vlen);
        return;
    }
    RedisModule_ReplyWithString(hd->ctx, v);
}

void hdReplyValue(Hd *hd, const char *field, size_t flen, RedisModuleString *v) {
    hdReplyValueOfKind(hd, hdFieldKind(field, flen), v);
}

void hdReplyStringOrNull(Hd *hd, RedisModuleString *s) {
    if (s) RedisModule_ReplyWithString(hd->ctx, s);
    else RedisModule_ReplyWithNull(hd->ctx);
}

void hdReplyField(Hd *hd, const char *field, RedisModuleString *v) {
    size_t flen = strlen(field);
    RedisModule_ReplyWithStringBuffer(hd->ctx, field, flen);
    hdReplyValue(hd, field, flen, v);
}
