/* alerts.c -- high-urgency alerts: when a new ticket's urgency reaches the
 * desk's alert-threshold, PUBLISH a JSON message on D:alerts and emit an
 * `alert` event (events.c). TICKET.CREATE calls alertMaybe with the
 * classifier's result; nothing here classifies.
 *
 * The message: {"id":..,"subject":..,"category":..,"urgency":..,"priority":..},
 * the subject with invalid UTF-8 replaced by U+FFFD (JSON must be valid
 * UTF-8), the urgency with the 3 decimals the ticket hash stores. */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "helpdesk.h"
#include "hd_jsonutf8.h"

/* Copy of s with invalid UTF-8 replaced by U+FFFD (jansson wants valid
 * UTF-8). Caller frees with RedisModule_Free. */
static char *utf8Clean(const char *s, size_t len, size_t *outlen) {
    char *out = RedisModule_Alloc(JSON_UTF8_CLEAN_MAX(len) + 1);
    *outlen = jsonUtf8Clean(s, len, out, JSON_UTF8_KEEP_NUL);
    out[*outlen] = '\0';
    return out;
}

/* {"id":..,"subject":..,"category":..,"urgency":..,"priority":..}, or NULL. */
static RedisModuleString *alertJson(Hd *hd, const Ticket *t, RedisModuleString *subject,
                                    double urgency) {
    size_t slen, clean_len;
    const char *s = RedisModule_StringPtrLen(subject, &slen);
    char *clean = utf8Clean(s, slen, &clean_len);
    json_t *root = json_pack("{s:I, s:s%, s:s, s:f, s:I}",
                             "id", (json_int_t)t->id,
                             "subject", clean, clean_len,
                             "category", t->category,
                             "urgency", urgency,
                             "priority", (json_int_t)t->priority);
    RedisModuleString *msg = NULL;
    RedisModule_Free(clean);
    if (!root) return NULL;
    char *dump = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(3));
    json_decref(root);
    if (!dump) return NULL;
    msg = RedisModule_CreateString(hd->ctx, dump, strlen(dump));
    json_malloc_t jm;
    json_free_t jf;
    json_get_alloc_funcs(&jm, &jf);
    jf(dump);
    return msg;
}

void alertMaybe(Hd *hd, const DeskConfig *cfg, const Ticket *t,
                RedisModuleString *subject, const Classification *c) {
    char urg[16], prio[24];
    if (c->urgency < cfg->alert_threshold) return;

    RedisModuleString *msg = alertJson(hd, t, subject, c->urgency);
    if (msg) fxPublish(hd, hdAlertsKey(hd), msg);
    snprintf(urg, sizeof(urg), "%.3f", c->urgency);
    snprintf(prio, sizeof(prio), "%lld", t->priority);
    eventEmit(hd, cfg, "alert", t->id, "urgency", urg, "category", t->category,
              "priority", prio, "subject", RedisModule_StringPtrLen(subject, NULL), NULL);
    hdg.alerts++;
}
