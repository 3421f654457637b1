/* keyschema.c -- the key schema read backwards: from a key name to its kind
 * (hd_keyschema.h). The names are those keys.c's builders make (SPEC.md
 * section 2); a kind added there gets its line here and in hdKindRules. */
#include <string.h>
#include "helpdesk.h"
#include "hd_keyschema.h"

const HdKindRule hdKindRules[K_NKINDS] = {
    [K_OTHER] = { REDISMODULE_KEYTYPE_EMPTY, 0 },
    [K_TICKET] = { REDISMODULE_KEYTYPE_HASH, 0 },
    [K_TICKET_LOG] = { REDISMODULE_KEYTYPE_LIST, 0 },
    [K_TICKET_CHAT] = { REDISMODULE_KEYTYPE_STREAM, 0 },
    [K_TICKET_STATE] = { REDISMODULE_KEYTYPE_HASH, 0 },
    [K_QUEUE_PRIORITY] = { REDISMODULE_KEYTYPE_ZSET, 1 },
    [K_QUEUE_SLA] = { REDISMODULE_KEYTYPE_ZSET, 1 },
    [K_QUEUE_ROUTING] = { REDISMODULE_KEYTYPE_ZSET, 1 },
    [K_QUEUE_CREATED] = { REDISMODULE_KEYTYPE_ZSET, 1 },
    [K_AGENTS] = { REDISMODULE_KEYTYPE_SET, 1 },
    [K_AGENT] = { REDISMODULE_KEYTYPE_HASH, 0 },
    [K_AGENT_OPEN] = { REDISMODULE_KEYTYPE_SET, 1 },
    [K_AGENT_SKILLS] = { REDISMODULE_KEYTYPE_SET, 0 },
    [K_SKILL] = { REDISMODULE_KEYTYPE_SET, 1 },
    [K_USER] = { REDISMODULE_KEYTYPE_HASH, 0 },
    [K_USER_TICKETS] = { REDISMODULE_KEYTYPE_SET, 1 },
    [K_EMAIL_INDEX] = { REDISMODULE_KEYTYPE_STRING, 1 },
    [K_STATS] = { REDISMODULE_KEYTYPE_HASH, 1 },
    [K_EVENTS] = { REDISMODULE_KEYTYPE_STREAM, 0 },
    [K_CONFIG] = { REDISMODULE_KEYTYPE_HASH, 0 },
    [K_SEQ] = { REDISMODULE_KEYTYPE_STRING, 0 },
    [K_ADMINS] = { REDISMODULE_KEYTYPE_SET, 0 },
    [K_SLA_TIMER] = { REDISMODULE_KEYTYPE_ZSET, 1 },
    [K_SLA_RELAX] = { REDISMODULE_KEYTYPE_ZSET, 0 },
    [K_SLA_REASSIGN] = { REDISMODULE_KEYTYPE_ZSET, 0 },
    [K_FLOOD_RECENT] = { REDISMODULE_KEYTYPE_ZSET, 0 },
    [K_FLOOD_MASTERS] = { REDISMODULE_KEYTYPE_HASH, 0 },
    [K_FLOOD_CHILDREN] = { REDISMODULE_KEYTYPE_SET, 0 },
    [K_REPORT_DAY] = { REDISMODULE_KEYTYPE_HASH, 0 },
    [K_TICKET_REPORT] = { REDISMODULE_KEYTYPE_LIST, 0 },
    [K_MODEL_META] = { REDISMODULE_KEYTYPE_HASH, 0 },
    [K_MODEL_WORDS] = { REDISMODULE_KEYTYPE_HASH, 0 },
};

int hdUsableIdBuf(Hd *hd, const char *s, size_t len) {
    if (len < 1 || hd->dlen + len + 32 > HD_KEY_MAX) return 0;
    return memchr(s, ':', len) == NULL;
}

int hdCanonicalTid(const char *s, size_t len, long long *tid) {
    return hdParseTicketId(s, len, 1, tid);
}

static int eat(const char **s, size_t *len, const char *prefix) {
    size_t plen = strlen(prefix);
    if (*len < plen || memcmp(*s, prefix, plen) != 0) return 0;
    *s += plen;
    *len -= plen;
    return 1;
}

static int is(const char *s, size_t len, const char *word) {
    return len == strlen(word) && memcmp(s, word, len) == 0;
}

int hdIsReportDay(const char *s, size_t len) {
    if (len != 8) return 0;
    for (size_t i = 0; i < len; i++) if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* "<id>" or "<id><suffix>": sets ki->id and returns the suffix. */
static const char *splitId(const char *s, size_t len, KeyInfo *ki, size_t *suflen) {
    const char *colon = memchr(s, ':', len);
    ki->id = s;
    ki->idlen = colon ? (size_t)(colon - s) : len;
    *suflen = len - ki->idlen;
    return s + ki->idlen;
}

static KeyKind classifyTicketKey(const char *s, size_t len, KeyInfo *ki) {
    size_t sl;
    const char *suf = splitId(s, len, ki, &sl);
    if (!hdCanonicalTid(ki->id, ki->idlen, &ki->tid)) return K_OTHER;
    if (sl == 0) return K_TICKET;
    if (is(suf, sl, ":log")) return K_TICKET_LOG;
    if (is(suf, sl, ":chat")) return K_TICKET_CHAT;
    if (is(suf, sl, ":state")) return K_TICKET_STATE;
    if (is(suf, sl, ":report")) return K_TICKET_REPORT;
    return K_OTHER;
}

static KeyKind classifyIdKey(Hd *hd, const char *s, size_t len, KeyInfo *ki,
                             KeyKind plain, const char *suffix, KeyKind suffixed,
                             const char *suffix2, KeyKind suffixed2) {
    size_t sl;
    const char *suf = splitId(s, len, ki, &sl);
    if (!hdUsableIdBuf(hd, ki->id, ki->idlen)) return K_OTHER;
    if (sl == 0) return plain;
    if (is(suf, sl, suffix)) return suffixed;
    if (suffix2 && is(suf, sl, suffix2)) return suffixed2;
    return K_OTHER;
}

/* The desk keys whose name is fixed: "<desk>:<name>". */
static const struct { const char *name; KeyKind kind; } fixedNames[] = {
    { "queue:priority", K_QUEUE_PRIORITY }, { "queue:sla", K_QUEUE_SLA },
    { "agents", K_AGENTS }, { "stats", K_STATS }, { "events", K_EVENTS },
    { "config", K_CONFIG }, { "admins", K_ADMINS },
    { "sla:timer", K_SLA_TIMER }, { "sla:relax", K_SLA_RELAX },
    { "sla:reassign", K_SLA_REASSIGN }, { "flood:recent", K_FLOOD_RECENT },
    { "flood:masters", K_FLOOD_MASTERS }, { "model:meta", K_MODEL_META },
    { "model:words", K_MODEL_WORDS },
};

KeyKind hdClassifyKey(Hd *hd, const char *s, size_t len, KeyInfo *ki) {
    memset(ki, 0, sizeof(*ki));
    if (len <= hd->dlen || memcmp(s, hd->dname, hd->dlen) != 0 || s[hd->dlen] != ':')
        return K_OTHER;
    s += hd->dlen + 1;
    len -= hd->dlen + 1;

    if (eat(&s, &len, "ticket:")) return classifyTicketKey(s, len, ki);
    if (eat(&s, &len, "agent:"))
        return classifyIdKey(hd, s, len, ki, K_AGENT, ":open_tickets", K_AGENT_OPEN,
                             ":skills", K_AGENT_SKILLS);
    if (eat(&s, &len, "user:"))
        return classifyIdKey(hd, s, len, ki, K_USER, ":tickets", K_USER_TICKETS, NULL, K_OTHER);
    for (size_t i = 0; i < sizeof(fixedNames) / sizeof(fixedNames[0]); i++)
        if (is(s, len, fixedNames[i].name)) return fixedNames[i].kind;
    if (eat(&s, &len, "seq:")) return K_SEQ;
    if (eat(&s, &len, "flood:children:"))
        return hdCanonicalTid(s, len, &ki->tid) ? K_FLOOD_CHILDREN : K_OTHER;
    if (eat(&s, &len, "report:")) return hdIsReportDay(s, len) ? K_REPORT_DAY : K_OTHER;
    /* The rest of the name is the category, skill or email. */
    ki->id = s;
    ki->idlen = len;
    if (eat(&ki->id, &ki->idlen, "queue:unassigned:")) return K_QUEUE_ROUTING;
    if (eat(&ki->id, &ki->idlen, "queue:created:")) return K_QUEUE_CREATED;
    if (eat(&ki->id, &ki->idlen, "skill:")) return ki->idlen ? K_SKILL : K_OTHER;
    if (eat(&ki->id, &ki->idlen, "idx:user_email:")) return ki->idlen ? K_EMAIL_INDEX : K_OTHER;
    return K_OTHER;
}
