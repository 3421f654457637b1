/* reply.c -- RESP2 replies to JSON, and Redis error codes to HTTP statuses.
 *
 * hiredis 0.14 speaks RESP2 only, so maps arrive as flat field/value arrays
 * and doubles as decimal strings. Integers become JSON numbers as they are;
 * the one double of the module, `urgency`, is turned back into a number.
 * Every other string stays a string: the module types its replies, so the
 * gateway does not guess. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "gw.h"
#include "hd_jsonutf8.h"

/* Fields that the module replies as a double (a decimal string in RESP2). */
static int isDoubleField(const char *k, size_t len) {
    return (len == 7 && !memcmp(k, "urgency", 7));
}

/* Keys written by other clients may hold any bytes: invalid UTF-8 becomes
 * U+FFFD so the response stays valid JSON. */
static json_t *stringToJson(const char *s, size_t len) {
    json_t *j = json_stringn(s, len);
    if (j) return j;
    char *buf = malloc(JSON_UTF8_CLEAN_MAX(len) + 1);
    size_t o = jsonUtf8Clean(s, len, buf, 0);
    j = json_stringn_nocheck(buf, o);
    free(buf);
    return j;
}

static json_t *doubleToJson(const redisReply *v) {
    if (v->type == REDIS_REPLY_STRING) {
        char buf[64], *end;
        size_t n = v->len < sizeof(buf) - 1 ? v->len : sizeof(buf) - 1;
        memcpy(buf, v->str, n);
        buf[n] = '\0';
        double d = strtod(buf, &end);
        if (n && !*end) return json_real(d);
    }
    return NULL;
}

static json_t *toJson(const redisReply *r, Shape shape);

static json_t *mapToJson(const redisReply *r, Shape inner) {
    json_t *o = json_object();
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        char key[256];
        size_t kl;
        if (k->type == REDIS_REPLY_INTEGER) kl = snprintf(key, sizeof(key), "%lld", k->integer);
        else if (k->type == REDIS_REPLY_STRING || k->type == REDIS_REPLY_STATUS)
            kl = snprintf(key, sizeof(key), "%.*s", (int)k->len, k->str);
        else continue;
        if (kl >= sizeof(key)) kl = sizeof(key) - 1;
        json_t *jv = isDoubleField(key, kl) ? doubleToJson(v) : NULL;
        if (!jv) jv = toJson(v, v->type == REDIS_REPLY_ARRAY ? inner : SHAPE_VALUE);
        json_object_setn_new_nocheck(o, key, kl, jv);
    }
    return o;
}

static json_t *toJson(const redisReply *r, Shape shape) {
    switch (r->type) {
    case REDIS_REPLY_INTEGER: return json_integer(r->integer);
    case REDIS_REPLY_NIL: return json_null();
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR: return stringToJson(r->str, r->len);
    case REDIS_REPLY_STRING:
        if (shape == SHAPE_JSONSTR) {
            json_t *j = json_loadb(r->str, r->len, JSON_DECODE_ANY, NULL);
            if (j) return j;
        }
        return stringToJson(r->str, r->len);
    case REDIS_REPLY_ARRAY:
        if (shape == SHAPE_MAP) return mapToJson(r, SHAPE_VALUE);
        if (shape == SHAPE_DEEPMAP) return mapToJson(r, SHAPE_DEEPMAP);
        json_t *a = json_array();
        for (size_t i = 0; i < r->elements; i++)
            json_array_append_new(a, toJson(r->element[i],
                                            shape == SHAPE_MAPLIST ? SHAPE_MAP : SHAPE_VALUE));
        return a;
    }
    return json_null();
}

json_t *replyToJson(const redisReply *r, Shape shape) { return toJson(r, shape); }

const char *replyErrorCode(const char *err, size_t len, char *code, size_t n) {
    size_t i = 0;
    while (i < len && err[i] != ' ' && i + 1 < n) { code[i] = err[i]; i++; }
    code[i] = '\0';
    while (i < len && err[i] != ' ') i++;
    while (i < len && err[i] == ' ') i++;
    return err + i;
}

static const struct { const char *code; int status; } statusOf[] = {
    {"ERR", 400}, {"INVALID", 400}, {"CROSSSLOT", 400}, {"WRONGTYPE", 400},
    {"WRONGPASS", 401}, {"NOAUTH", 401},
    {"DENIED", 403}, {"NOPERM", 403},
    {"NOTFOUND", 404},
    {"EXISTS", 409}, {"STATE", 409}, {"CAPACITY", 409}, {"UNAVAILABLE", 409},
    {"CONFLICT", 412},
    {"LOADING", 503}, {"BUSY", 503}, {"MASTERDOWN", 503}, {"CLUSTERDOWN", 503},
    {"TRYAGAIN", 503}, {"READONLY", 503}, {"OOM", 503},
    {NULL, 0}
};

int replyErrorStatus(const char *err, size_t len) {
    char code[32];
    replyErrorCode(err, len, code, sizeof(code));
    for (int i = 0; statusOf[i].code; i++)
        if (!strcmp(code, statusOf[i].code)) return statusOf[i].status;
    return 500;
}
