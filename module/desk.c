/* desk.c -- desk settings (D:config), counters (D:stats), and the desk-wide
 * commands DESK.CONFIG GET|SET, DESK.STATS and DESK.PURGE.
 *
 * D:config stores only what was set; everything else takes the defaults of
 * SPEC.md, so an empty desk needs no set-up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <limits.h>
#include "helpdesk.h"

static const char *defaultCategories[] = {
    "billing", "technical", "legal", "returns", "shipping", "account", "general"
};

/* Longest value accepted or stored: room for HD_MAX_CATEGORIES categories of
 * 32 bytes with separators, so a normalised list is never cut short. */
#define VALUE_MAX 4096

static const char *settingNames[] = {
    "alert-threshold", "flood-window", "flood-threshold", "default-capacity",
    "auto-route", "events-maxlen", "chat-maxlen", "state-ttl",
    "state-history-max", "categories", "learn-from-corrections",
    "hours", "timezone", "holidays", "sla-hours", "sla-pause-on-hold", "sla-warn-percent",
    "skill-timeout", "reassign-after", NULL
};

static void configDefaults(DeskConfig *c) {
    memset(c, 0, sizeof(*c));
    c->alert_threshold = 0.8;
    c->flood_window = 60;
    c->flood_threshold = 10;
    c->default_capacity = 15;
    c->auto_route = 0;
    c->events_maxlen = 100000;
    c->chat_maxlen = 10000;
    c->state_ttl = 1800;
    c->state_history_max = 200;
    c->nsla = 4;
    c->sla_prio[0] = 1;  c->sla_secs[0] = 259200;
    c->sla_prio[1] = 5;  c->sla_secs[1] = 86400;
    c->sla_prio[2] = 10; c->sla_secs[2] = 14400;
    c->sla_prio[3] = 20; c->sla_secs[3] = 3600;
    c->ncat = sizeof(defaultCategories) / sizeof(defaultCategories[0]);
    for (int i = 0; i < c->ncat; i++) strcpy(c->cats[i], defaultCategories[i]);
    static HdHours office;               /* parsed once: every command loads defaults */
    static int office_ready;
    if (!office_ready) { hoursParse("mon-fri 09:00-17:00", &office, NULL, 0); office_ready = 1; }
    c->hours = office;
    strcpy(c->timezone, "UTC");
    c->sla_warn_percent = 80;
}

/* ------------------------------------------------------------------------ */
/* Parsing one setting. Shared by loading (stored values) and SET (user
 * values), so a value that was accepted once always loads the same way.
 * Returns 1 on success, else 0 with a reason in err. */

/* Strict like Redis's own integer parsing: an optional '-' then digits, no
 * blanks or '+', so every accepted value has one spelling. */
static int parseInt(const char *v, long long min, long long max, long long *out,
                    char *err, size_t errlen) {
    char *end;
    long long x;
    const char *d = v[0] == '-' ? v + 1 : v;
    errno = 0;
    x = strtoll(v, &end, 10);
    if (*d < '0' || *d > '9' || errno || end == v || *end != '\0') {
        snprintf(err, errlen, "must be an integer");
        return 0;
    }
    if (x < min || x > max) {
        snprintf(err, errlen, "must be between %lld and %lld", min, max);
        return 0;
    }
    *out = x;
    return 1;
}

/* Sets one entry of a sorted (priority -> seconds) target table. */
static int setTarget(int *n, int *prios, long long *table, int prio, long long secs) {
    int i;
    for (i = 0; i < *n; i++) {
        if (prios[i] == prio) { table[i] = secs; return 1; }
    }
    if (*n == HD_MAX_SLA) return 0;
    /* insertion keeps the table sorted for targetLookup */
    for (i = *n; i > 0 && prios[i - 1] > prio; i--) {
        prios[i] = prios[i - 1];
        table[i] = table[i - 1];
    }
    prios[i] = prio;
    table[i] = secs;
    (*n)++;
    return 1;
}

/* One of two words (case-insensitive): *out = 1 for `on`, 0 for `off`. */
static int parseChoice(const char *v, const char *on, const char *off, int *out,
                       char *err, size_t errlen) {
    if (!strcasecmp(v, on)) *out = 1;
    else if (!strcasecmp(v, off)) *out = 0;
    else { snprintf(err, errlen, "must be %s or %s", on, off); return 0; }
    return 1;
}

static int setSla(DeskConfig *c, int metric, int prio, long long secs) {
    if (metric == SLA_FIRST_REPLY) return setTarget(&c->nfr, c->fr_prio, c->fr_secs, prio, secs);
    if (metric == SLA_NEXT_REPLY) return setTarget(&c->nnr, c->nr_prio, c->nr_secs, prio, secs);
    return setTarget(&c->nsla, c->sla_prio, c->sla_secs, prio, secs);
}

/* "billing, technical general" -> cats[]: names separated by a comma (blanks
 * around it allowed) or by blanks. An empty name ("a,,b", a leading or
 * trailing comma, an empty list) or an invalid one is refused, never split
 * or dropped. `general` is always present since it is the fallback category
 * every agent serves. */
static int parseCategories(DeskConfig *c, const char *v, char *err, size_t errlen) {
    /* Parsed into a copy: a bad list must leave the current one whole. */
    char cats[HD_MAX_CATEGORIES][33];
    int n = 0, has_general = 0;
    const char *p = v;
    while (*p == ' ') p++;
    if (!*p) {
        snprintf(err, errlen, "needs at least one category name");
        return 0;
    }
    while (*p) {
        const char *start;
        size_t len;
        start = p;
        while (*p && *p != ',' && *p != ' ') p++;
        len = (size_t)(p - start);
        /* one separator: blanks, or a comma with blanks around it */
        while (*p == ' ') p++;
        if (*p == ',') {
            p++;
            while (*p == ' ') p++;
            if (!*p) {
                snprintf(err, errlen, "has an empty category name (a comma with no "
                         "name after it)");
                return 0;
            }
        }
        if (len == 0) {
            snprintf(err, errlen, "has an empty category name (two commas in a row or "
                     "a leading comma)");
            return 0;
        }
        char lower[64];
        if (len >= sizeof(lower) || hdLower(start, len, lower, sizeof(lower)) < 0 ||
            !hdValidCategory(lower, len)) {
            snprintf(err, errlen, "category '%.*s' must be 1-32 bytes of [a-z0-9_-]",
                     (int)(len > 40 ? 40 : len), start);
            return 0;
        }
        int dup = 0;
        for (int i = 0; i < n; i++) if (!strcmp(cats[i], lower)) dup = 1;
        if (dup) continue;
        /* One slot stays for general, wherever it comes in the list: the
         * stored list (with general added) must load back. */
        int is_general = !strcmp(lower, "general");
        if (n >= HD_MAX_CATEGORIES - (has_general || is_general ? 0 : 1)) {
            snprintf(err, errlen, "at most %d categories besides general",
                     HD_MAX_CATEGORIES - 1);
            return 0;
        }
        strcpy(cats[n++], lower);
        if (is_general) has_general = 1;
    }
    if (!has_general) strcpy(cats[n++], "general");
    memcpy(c->cats, cats, sizeof(cats[0]) * (size_t)n);
    c->ncat = n;
    return 1;
}

/* "category.<name>.keywords": the category name, or 0 when name is not of
 * that form. */
static int parseKeywordsName(const char *name, char *cat) {
    size_t n = strlen(name);
    if (n <= 18 || strncmp(name, "category.", 9) || strcmp(name + n - 9, ".keywords"))
        return 0;
    n -= 18;
    if (n > 32) return 0;
    memcpy(cat, name + 9, n);
    cat[n] = '\0';
    return hdValidCategory(cat, n);
}

/* A desk's keywords for a category: comma-separated words or phrases the
 * classifier counts for it like strong lexicon terms. "" removes them. */
static int setKeywords(DeskConfig *c, const char *cat, const char *v, char *err, size_t errlen) {
    int i;
    if (strlen(v) > HD_KEYWORDS_MAX) {
        snprintf(err, errlen, "must be at most %d bytes", HD_KEYWORDS_MAX);
        return 0;
    }
    for (i = 0; i < c->nkw && strcmp(c->kwcat[i], cat); i++);
    if (!v[0]) {
        if (i == c->nkw) return 1;
        for (; i + 1 < c->nkw; i++) {
            strcpy(c->kwcat[i], c->kwcat[i + 1]);
            strcpy(c->kw[i], c->kw[i + 1]);
        }
        c->nkw--;
        return 1;
    }
    if (i == c->nkw) {
        if (c->nkw == HD_MAX_KEYWORD_CATS) {
            snprintf(err, errlen, "at most %d categories can have keywords",
                     HD_MAX_KEYWORD_CATS);
            return 0;
        }
        strcpy(c->kwcat[c->nkw++], cat);
    }
    strcpy(c->kw[i], v);
    return 1;
}

/* "sla.<priority>", "sla.resolution.<priority>", "sla.first_reply.<priority>"
 * or "sla.next_reply.<priority>" with the priority in canonical form (digits,
 * no leading zero), so one target has one name: "sla.05" next to "sla.5" in
 * D:config would load in hash order. Sets *metric; returns the priority or 0. */
static int parseSlaName(const char *name, int *metric) {
    const char *p = name + 4;
    long long prio;
    char err[8];
    int m = SLA_RESOLUTION;
    if (strncmp(name, "sla.", 4) != 0) return 0;
    if (!strncmp(p, "resolution.", 11)) p += 11;
    else if (!strncmp(p, "first_reply.", 12)) { p += 12; m = SLA_FIRST_REPLY; }
    else if (!strncmp(p, "next_reply.", 11)) { p += 11; m = SLA_NEXT_REPLY; }
    if (metric) *metric = m;
    if (*p == '0' || strlen(p) > 4) return 0;
    for (const char *q = p; *q; q++) if (*q < '0' || *q > '9') return 0;
    if (!parseInt(p, HD_PRIORITY_MIN, HD_PRIORITY_MAX, &prio, err, sizeof(err))) return 0;
    return (int)prio;
}

static int applySetting(DeskConfig *c, const char *name, const char *v,
                        char *err, size_t errlen) {
    long long x;
    if (!strcmp(name, "alert-threshold")) {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        /* Plain decimals only: no blanks, sign, hex or "-0". */
        if (strspn(v, "0123456789.eE-") != strlen(v) || !(isdigit((unsigned char)v[0]) ||
            v[0] == '.') || errno || end == v || *end || !isfinite(d) || d < 0 || d > 1) {
            snprintf(err, errlen, "must be a number between 0 and 1");
            return 0;
        }
        c->alert_threshold = d;
    } else if (!strcmp(name, "flood-window")) {
        if (!parseInt(v, 1, 86400, &x, err, errlen)) return 0;
        c->flood_window = x;
    } else if (!strcmp(name, "flood-threshold")) {
        if (!parseInt(v, 0, 1000000, &x, err, errlen)) return 0;
        c->flood_threshold = x;
    } else if (!strcmp(name, "default-capacity")) {
        if (!parseInt(v, 0, 100000, &x, err, errlen)) return 0;
        c->default_capacity = x;
    } else if (!strcmp(name, "auto-route")) {
        return parseChoice(v, "yes", "no", &c->auto_route, err, errlen);
    } else if (!strcmp(name, "events-maxlen")) {
        if (!parseInt(v, 0, 1000000000, &x, err, errlen)) return 0;
        c->events_maxlen = x;
    } else if (!strcmp(name, "chat-maxlen")) {
        if (!parseInt(v, 1, 1000000000, &x, err, errlen)) return 0;
        c->chat_maxlen = x;
    } else if (!strcmp(name, "state-ttl")) {
        if (!parseInt(v, 1, 365LL * 86400, &x, err, errlen)) return 0;
        c->state_ttl = x;
    } else if (!strcmp(name, "state-history-max")) {
        if (!parseInt(v, 1, 1000000, &x, err, errlen)) return 0;
        c->state_history_max = x;
    } else if (!strcmp(name, "categories")) {
        return parseCategories(c, v, err, errlen);
    } else if (!strcmp(name, "learn-from-corrections")) {
        if (!strcasecmp(v, "yes")) c->learn_corrections = 1;
        else if (!strcasecmp(v, "no")) c->learn_corrections = 0;
        else { snprintf(err, errlen, "must be yes or no"); return 0; }
    } else if (!strcmp(name, "model")) {
        /* An action, not a setting: DESK.CONFIG SET D model reset. */
        if (strcasecmp(v, "reset")) { snprintf(err, errlen, "only takes reset"); return 0; }
    } else if (!strncmp(name, "category.", 9)) {
        char cat[33];
        if (!parseKeywordsName(name, cat)) {
            snprintf(err, errlen, "category.<name>.keywords needs a category name of "
                     "1-32 bytes of [a-z0-9_-]");
            return 0;
        }
        return setKeywords(c, cat, v, err, errlen);
    } else if (!strcmp(name, "hours")) {
        return hoursParse(v, &c->hours, err, errlen) == 0;
    } else if (!strcmp(name, "holidays")) {
        return holidaysParse(v, c->holidays, HD_MAX_HOLIDAYS, &c->nholidays, err, errlen) == 0;
    } else if (!strcmp(name, "timezone")) {
        /* The zone file itself is read when the setting is made (slametrics.c). */
        if (!tzNameValid(v)) {
            snprintf(err, errlen, "must be an IANA zone name such as Europe/Berlin");
            return 0;
        }
        snprintf(c->timezone, sizeof(c->timezone), "%s", v);
    } else if (!strcmp(name, "sla-hours")) {
        return parseChoice(v, "business", "calendar", &c->sla_business, err, errlen);
    } else if (!strcmp(name, "sla-pause-on-hold")) {
        return parseChoice(v, "yes", "no", &c->sla_pause_on_hold, err, errlen);
    } else if (!strcmp(name, "sla-warn-percent")) {
        if (!parseInt(v, 0, 99, &x, err, errlen)) return 0;
        c->sla_warn_percent = x;
    } else if (!strcmp(name, "skill-timeout")) {
        if (!parseInt(v, 0, 365LL * 86400, &x, err, errlen)) return 0;
        c->skill_timeout = x;
    } else if (!strcmp(name, "reassign-after")) {
        if (!parseInt(v, 0, 365LL * 86400, &x, err, errlen)) return 0;
        c->reassign_after = x;
    } else if (!strncmp(name, "sla.", 4)) {
        int metric;
        int prio = parseSlaName(name, &metric);
        if (!prio) {
            snprintf(err, errlen, "needs a priority between %d and %d (sla.<priority>, "
                     "sla.first_reply.<priority>, sla.next_reply.<priority> or "
                     "sla.resolution.<priority>)", HD_PRIORITY_MIN, HD_PRIORITY_MAX);
            return 0;
        }
        /* 0 = no target; a resolution target is always needed, since every
         * active ticket has a sla_due_at (SPEC section 8). */
        if (!parseInt(v, metric == SLA_RESOLUTION ? 1 : 0, 10LL * 365 * 86400, &x,
                      err, errlen)) return 0;
        if (!setSla(c, metric, prio, x)) {
            snprintf(err, errlen, "at most %d SLA targets", HD_MAX_SLA);
            return 0;
        }
    } else {
        snprintf(err, errlen, "unknown setting");
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */

typedef struct LoadState { DeskConfig *cfg; } LoadState;

static void loadField(RedisModuleKey *key, RedisModuleString *field,
                      RedisModuleString *value, void *privdata) {
    LoadState *ls = privdata;
    char name[64], val[VALUE_MAX], err[128];
    size_t nlen, vlen;
    const char *n = RedisModule_StringPtrLen(field, &nlen);
    const char *v = RedisModule_StringPtrLen(value, &vlen);
    if (nlen >= sizeof(name) || vlen >= sizeof(val)) return;
    memcpy(name, n, nlen); name[nlen] = '\0';
    memcpy(val, v, vlen); val[vlen] = '\0';
    /* A value tampered with outside DESK.CONFIG keeps its default. */
    applySetting(ls->cfg, name, val, err, sizeof(err));
}

int deskConfigLoad(Hd *hd, DeskConfig *cfg) {
    RedisModuleString *kname = hdConfigKey(hd);
    RedisModuleKey *k;
    LoadState ls = { cfg };

    configDefaults(cfg);
    k = RedisModule_OpenKey(hd->ctx, kname, REDISMODULE_READ);
    if (!k) return 1;
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) {
        RedisModule_CloseKey(k);
        return hdCheckType(hd, kname, REDISMODULE_KEYTYPE_HASH);
    }
    RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
    while (RedisModule_ScanKey(k, cur, loadField, &ls));
    RedisModule_ScanCursorDestroy(cur);
    RedisModule_CloseKey(k);
    return 1;
}

/* The target of the highest configured priority not above `priority`; a
 * priority below every target takes the lowest one. */
static long long targetLookup(int n, const int *prios, const long long *table,
                              long long priority, long long none) {
    long long secs = n ? table[0] : none;
    for (int i = 0; i < n && prios[i] <= priority; i++) secs = table[i];
    return secs;
}

long long deskSlaSeconds(const DeskConfig *cfg, long long priority) {
    return targetLookup(cfg->nsla, cfg->sla_prio, cfg->sla_secs, priority, 86400);
}

long long deskTargetSeconds(const DeskConfig *cfg, int metric, long long priority) {
    if (metric == SLA_FIRST_REPLY)
        return targetLookup(cfg->nfr, cfg->fr_prio, cfg->fr_secs, priority, 0);
    if (metric == SLA_NEXT_REPLY)
        return targetLookup(cfg->nnr, cfg->nr_prio, cfg->nr_secs, priority, 0);
    return deskSlaSeconds(cfg, priority);
}

int deskCategoryKnown(const DeskConfig *cfg, const char *cat, size_t len) {
    for (int i = 0; i < cfg->ncat; i++)
        if (strlen(cfg->cats[i]) == len && !memcmp(cfg->cats[i], cat, len)) return 1;
    return 0;
}

/* "<kind>:<name>" into field (96 bytes). */
static void statsField(char *field, const char *kind, const char *name, size_t nlen) {
    size_t klen = strlen(kind);
    if (klen + 1 + nlen >= 96) nlen = 96 - klen - 2;
    memcpy(field, kind, klen);
    field[klen] = ':';
    memcpy(field + klen + 1, name, nlen);
    field[klen + 1 + nlen] = '\0';
}

void statsMove(Hd *hd, const char *kind, const char *from, size_t flen,
               const char *to, size_t tlen) {
    char f1[96], f2[96];
    statsField(f1, kind, from, flen);
    statsField(f2, kind, to, tlen);
    if (!strcmp(f1, f2)) return;
    /* Two counters in one key open and one replicated HSET: every ticket
     * change moves a pair (status from/to, or status and category). */
    fxHashIncrPair(hd, hdStatsKey(hd), f1, -1, f2, 1);
}

void statsTicket(Hd *hd, const char *status, const char *cat, size_t clen, long long delta) {
    char f1[96], f2[96];
    statsField(f1, "status", status, strlen(status));
    statsField(f2, "category", cat, clen);
    fxHashIncrPair(hd, hdStatsKey(hd), f1, delta, f2, delta);
}

/* ------------------------------------------------------------------------ */
/* DESK.CONFIG GET D [name] | DESK.CONFIG SET D name value [FORCE]         */
/* ------------------------------------------------------------------------ */

/* The shortest %g form that parses back to the same double ("%g" alone
 * would store 0.1234567 as 0.123457). */
static void formatDouble(double d, char *out, size_t outlen) {
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(out, outlen, "%.*g", prec, d);
        if (strtod(out, NULL) == d) return;
    }
}

static void formatSetting(const DeskConfig *c, const char *name, char *out, size_t outlen) {
    if (!strcmp(name, "alert-threshold")) formatDouble(c->alert_threshold, out, outlen);
    else if (!strcmp(name, "flood-window")) snprintf(out, outlen, "%lld", c->flood_window);
    else if (!strcmp(name, "flood-threshold")) snprintf(out, outlen, "%lld", c->flood_threshold);
    else if (!strcmp(name, "default-capacity")) snprintf(out, outlen, "%lld", c->default_capacity);
    else if (!strcmp(name, "auto-route")) snprintf(out, outlen, "%s", c->auto_route ? "yes" : "no");
    else if (!strcmp(name, "events-maxlen")) snprintf(out, outlen, "%lld", c->events_maxlen);
    else if (!strcmp(name, "chat-maxlen")) snprintf(out, outlen, "%lld", c->chat_maxlen);
    else if (!strcmp(name, "state-ttl")) snprintf(out, outlen, "%lld", c->state_ttl);
    else if (!strcmp(name, "state-history-max")) snprintf(out, outlen, "%lld", c->state_history_max);
    else if (!strcmp(name, "learn-from-corrections"))
        snprintf(out, outlen, "%s", c->learn_corrections ? "yes" : "no");
    else if (!strcmp(name, "model")) snprintf(out, outlen, "reset");
    else if (!strncmp(name, "category.", 9)) {
        char cat[33];
        out[0] = '\0';
        if (parseKeywordsName(name, cat))
            for (int i = 0; i < c->nkw; i++)
                if (!strcmp(c->kwcat[i], cat)) snprintf(out, outlen, "%s", c->kw[i]);
    } else if (!strcmp(name, "categories")) {
        size_t off = 0;
        out[0] = '\0';
        for (int i = 0; i < c->ncat && off < outlen; i++)
            off += snprintf(out + off, outlen - off, "%s%s", i ? "," : "", c->cats[i]);
    } else if (!strcmp(name, "hours")) hoursFormat(&c->hours, out, outlen);
    else if (!strcmp(name, "holidays")) holidaysFormat(c->holidays, c->nholidays, out, outlen);
    else if (!strcmp(name, "timezone")) snprintf(out, outlen, "%s", c->timezone);
    else if (!strcmp(name, "sla-hours"))
        snprintf(out, outlen, "%s", c->sla_business ? "business" : "calendar");
    else if (!strcmp(name, "sla-pause-on-hold"))
        snprintf(out, outlen, "%s", c->sla_pause_on_hold ? "yes" : "no");
    else if (!strcmp(name, "sla-warn-percent")) snprintf(out, outlen, "%lld", c->sla_warn_percent);
    else if (!strcmp(name, "skill-timeout")) snprintf(out, outlen, "%lld", c->skill_timeout);
    else if (!strcmp(name, "reassign-after")) snprintf(out, outlen, "%lld", c->reassign_after);
    else if (!strncmp(name, "sla.", 4)) {
        int metric, prio = parseSlaName(name, &metric);
        snprintf(out, outlen, "%lld", deskTargetSeconds(c, metric, prio));
    } else out[0] = '\0';
}

static int isKnownSetting(const char *name) {
    char cat[33];
    for (int i = 0; settingNames[i]; i++) if (!strcmp(settingNames[i], name)) return 1;
    return parseSlaName(name, NULL) != 0 || !strcmp(name, "model") || parseKeywordsName(name, cat);
}

/* Typed like every reply (SPEC section 4): integer settings as integers,
 * alert-threshold as a double (its string under RESP2), text as text. */
static void configReplyValue(Hd *hd, const char *name, const char *val) {
    size_t len = strlen(val);
    long long n;
    if (!strcmp(name, "alert-threshold")) {
        hdReplyDecimal(hd, val, len);
        return;
    }
    if (strcmp(name, "categories") != 0 &&
        RedisModule_StringToLongLong(RedisModule_CreateString(hd->ctx, val, len), &n)
        == REDISMODULE_OK) {
        RedisModule_ReplyWithLongLong(hd->ctx, n);
        return;
    }
    RedisModule_ReplyWithStringBuffer(hd->ctx, val, len);
}

/* The name a target is stored under: sla.resolution.<p> is sla.<p>. */
static void canonicalSettingName(char *name) {
    int metric, prio = parseSlaName(name, &metric);
    if (prio && metric == SLA_RESOLUTION) snprintf(name, 64, "sla.%d", prio);
}

static void configGetTargets(Hd *hd, const char *metric, int n, const int *prios,
                             const long long *secs) {
    for (int i = 0; i < n; i++) {
        char name[48];
        snprintf(name, sizeof(name), "sla.%s.%d", metric, prios[i]);
        RedisModule_ReplyWithCString(hd->ctx, name);
        RedisModule_ReplyWithLongLong(hd->ctx, secs[i]);
    }
}

static int configGetAll(Hd *hd, const DeskConfig *cfg) {
    char val[VALUE_MAX];
    int n = 0;
    while (settingNames[n]) n++;
    RedisModule_ReplyWithMap(hd->ctx, n + cfg->nsla + cfg->nkw + cfg->nfr + cfg->nnr);
    for (int i = 0; i < n; i++) {
        formatSetting(cfg, settingNames[i], val, sizeof(val));
        RedisModule_ReplyWithCString(hd->ctx, settingNames[i]);
        configReplyValue(hd, settingNames[i], val);
    }
    for (int i = 0; i < cfg->nsla; i++) {
        char name[32];
        snprintf(name, sizeof(name), "sla.%d", cfg->sla_prio[i]);
        RedisModule_ReplyWithCString(hd->ctx, name);
        RedisModule_ReplyWithLongLong(hd->ctx, cfg->sla_secs[i]);
    }
    for (int i = 0; i < cfg->nkw; i++) {
        char name[64];
        snprintf(name, sizeof(name), "category.%s.keywords", cfg->kwcat[i]);
        RedisModule_ReplyWithCString(hd->ctx, name);
        RedisModule_ReplyWithCString(hd->ctx, cfg->kw[i]);
    }
    configGetTargets(hd, "first_reply", cfg->nfr, cfg->fr_prio, cfg->fr_secs);
    configGetTargets(hd, "next_reply", cfg->nnr, cfg->nr_prio, cfg->nr_secs);
    return REDISMODULE_OK;
}

/* The setting name argv[i], lower-cased into name (64 bytes); replies
 * INVALID and returns 0 when it is not a known setting. */
static int configNameOrReply(Hd *hd, RedisModuleString *arg, char *name) {
    size_t nlen;
    const char *n = RedisModule_StringPtrLen(arg, &nlen);
    if (hdLower(n, nlen, name, 64) < 0 || !isKnownSetting(name)) {
        hdError(hd, "INVALID", "unknown setting '%.*s'; see DESK.CONFIG GET desk",
                (int)(nlen > 40 ? 40 : nlen), n);
        return 0;
    }
    return 1;
}

/* DESK.CONFIG GET D [name]: subcommand handlers get argv from the
 * subcommand on ("get", desk, ...). */
static int cmdDeskConfigGet(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    char name[64], val[VALUE_MAX];

    if (argc > 3) return hdSyntax(hd, "syntax: DESK.CONFIG GET desk [name]");
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (argc == 2) return configGetAll(hd, &cfg);
    if (!configNameOrReply(hd, argv[2], name)) return REDISMODULE_OK;
    formatSetting(&cfg, name, val, sizeof(val));
    configReplyValue(hd, name, val);
    return REDISMODULE_OK;
}

/* The categories of old that are not in new, into gone[]; returns how many. */
static int removedCategories(const DeskConfig *old, const DeskConfig *new,
                             char (*gone)[33]) {
    int n = 0;
    for (int i = 0; i < old->ncat; i++)
        if (!deskCategoryKnown(new, old->cats[i], strlen(old->cats[i])))
            strcpy(gone[n++], old->cats[i]);
    return n;
}

/* A category that still has active tickets is only removed with FORCE,
 * which moves them to general. Returns 0 (after replying) to refuse. */
static int checkCategoryRemoval(Hd *hd, const DeskConfig *old, const DeskConfig *new,
                                int force, char (*gone)[33], int *ngone) {
    *ngone = removedCategories(old, new, gone);
    if (*ngone == 0) return 1;
    long long active = ticketsInCategories(hd, gone, *ngone);
    if (active < 0) return 0;
    if (active > 0 && !force) {
        hdError(hd, "STATE", "%lld active ticket%s still in the removed categor%s (%s%s); "
                "close or re-categorise them first, or add FORCE to move them to general",
                active, active == 1 ? " is" : "s are", *ngone == 1 ? "y" : "ies", gone[0],
                *ngone > 1 ? ", ..." : "");
        return 0;
    }
    if (active == 0) *ngone = 0;
    return 1;
}

/* DESK.CONFIG SET D name value [FORCE] */
static int cmdDeskConfigSet(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg, old;
    char name[64], val[VALUE_MAX], err[160], gone[HD_MAX_CATEGORIES][33];
    size_t vlen;
    int force = 0, ngone = 0;

    if (argc == 5 && hdArgIs(argv[4], "FORCE")) force = 1;
    else if (argc != 4)
        return hdSyntax(hd, "syntax: DESK.CONFIG SET desk name value [FORCE]");
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!configNameOrReply(hd, argv[2], name)) return REDISMODULE_OK;
    if (force && strcmp(name, "categories") != 0)
        return hdSyntax(hd, "FORCE only applies to categories");
    const char *v = RedisModule_StringPtrLen(argv[3], &vlen);
    if (vlen >= sizeof(val) || memchr(v, '\0', vlen) || !hdValidUtf8(v, vlen))
        return hdError(hd, "INVALID", "value of '%s' must be UTF-8 text under %d bytes",
                       name, VALUE_MAX);
    memcpy(val, v, vlen); val[vlen] = '\0';
    old = cfg;
    if (!applySetting(&cfg, name, val, err, sizeof(err)))
        return hdError(hd, "INVALID", "%s %s, got '%.*s'", name, err,
                       (int)(vlen > 40 ? 40 : vlen), v);
    if (!strcmp(name, "model")) {               /* the only value is reset */
        classifyModelReset(hd);
        return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
    }
    if (!strcmp(name, "timezone") && !slaZoneCheck(cfg.timezone, err, sizeof(err)))
        return hdError(hd, "INVALID", "timezone %s, got '%.*s'", err,
                       (int)(vlen > 40 ? 40 : vlen), v);
    if (!hdCheckType(hd, hdConfigKey(hd), REDISMODULE_KEYTYPE_HASH)) return REDISMODULE_OK;
    if (!strcmp(name, "categories")) {
        if (!checkCategoryRemoval(hd, &old, &cfg, force, gone, &ngone)) return REDISMODULE_OK;
        if (ngone && !hdCheckType(hd, hdRoutingKey(hd, "general", 7), REDISMODULE_KEYTYPE_ZSET))
            return REDISMODULE_OK;
    }
    canonicalSettingName(name);
    /* Store the normalised form (e.g. categories lower-cased, general added). */
    formatSetting(&cfg, name, val, sizeof(val));
    fxHashSetC(hd, hdConfigKey(hd), name, RedisModule_CreateString(hd->ctx, val, strlen(val)));
    if (ngone) ticketsRequeueUnderGeneral(hd, &cfg, gone, ngone);
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* ------------------------------------------------------------------------ */
/* DESK.STATS D                                                              */
/* ------------------------------------------------------------------------ */

static const char *statuses[] = { "open", "in_progress", "on_hold", "closed", "merged" };

static long long statsGet(Hd *hd, const char *kind, const char *name) {
    char field[96];
    long long v = 0;
    statsField(field, kind, name, strlen(name));
    hdHashGetLL(hd, hdStatsKey(hd), field, &v);
    return v;
}

static long long countOverdue(Hd *hd) {
    long long n = 0;
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, "ZCOUNT", "scl",
        hdQueueSlaKey(hd), "-inf", hd->now);
    if (r && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_INTEGER)
        n = RedisModule_CallReplyInteger(r);
    return n;
}

typedef struct AgentTotals {
    Hd *hd;
    long long agents, online, load, capacity;
} AgentTotals;

static void addAgent(const char *id, size_t len, void *privdata) {
    AgentTotals *t = privdata;
    Hd *hd = t->hd;
    RedisModuleString *aid = RedisModule_CreateString(hd->ctx, id, len);
    RedisModuleString *key = hdAgentKey(hd, aid), *avail = NULL, *load = NULL, *cap = NULL;
    long long l = 0, c = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) { RedisModule_CloseKey(k); return; }
    RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "availability", &avail,
                        "load", &load, "capacity", &cap, NULL);
    RedisModule_CloseKey(k);
    if (load) RedisModule_StringToLongLong(load, &l);
    if (cap) RedisModule_StringToLongLong(cap, &c);
    t->agents++;
    /* Hand-edited hashes may hold any integer: saturate, never overflow. */
    if (__builtin_add_overflow(t->load, l, &t->load)) t->load = l < 0 ? LLONG_MIN : LLONG_MAX;
    if (__builtin_add_overflow(t->capacity, c, &t->capacity))
        t->capacity = c < 0 ? LLONG_MIN : LLONG_MAX;
    if (avail && !strcmp(RedisModule_StringPtrLen(avail, NULL), "online")) t->online++;
}

static void sumAgents(Hd *hd, AgentTotals *t) {
    memset(t, 0, sizeof(*t));
    t->hd = hd;
    hdSetForEach(hd, hdAgentsKey(hd), addAgent, t);
}

/* The categories DESK.STATS reports: the configured ones, then, sorted, any
 * other category D:stats still counts tickets in (a category removed from
 * the setting while tickets use it must not hide them). */
typedef struct StatCats { int n; char (*cats)[33]; } StatCats;

static int cmpCat(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

static void statsCategories(Hd *hd, const DeskConfig *cfg, StatCats *sc) {
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, "HGETALL", "s", hdStatsKey(hd));
    size_t nf = r && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_ARRAY
                ? RedisModule_CallReplyLength(r) / 2 : 0;
    int extra = 0;

    sc->cats = RedisModule_PoolAlloc(hd->ctx, (cfg->ncat + nf) * sizeof(*sc->cats));
    for (int i = 0; i < cfg->ncat; i++) strcpy(sc->cats[i], cfg->cats[i]);
    sc->n = cfg->ncat;
    for (size_t i = 0; i < nf; i++) {
        size_t flen;
        long long v = 0;
        const char *f = RedisModule_CallReplyStringPtr(
            RedisModule_CallReplyArrayElement(r, 2 * i), &flen);
        RedisModuleString *val = RedisModule_CreateStringFromCallReply(
            RedisModule_CallReplyArrayElement(r, 2 * i + 1));
        if (!f || flen <= 9 || memcmp(f, "category:", 9) != 0) continue;
        f += 9; flen -= 9;
        if (!hdValidCategory(f, flen) || deskCategoryKnown(cfg, f, flen)) continue;
        if (!val || RedisModule_StringToLongLong(val, &v) != REDISMODULE_OK || v == 0) continue;
        memcpy(sc->cats[sc->n + extra], f, flen);
        sc->cats[sc->n + extra][flen] = '\0';
        extra++;
    }
    qsort(sc->cats + sc->n, (size_t)extra, sizeof(*sc->cats), cmpCat);
    sc->n += extra;
}

/* Every key DESK.STATS reads must have its type: a damaged desk is reported,
 * not summed as zeros. */
static int statsCheckKeys(Hd *hd, const StatCats *sc) {
    if (!hdCheckType(hd, hdStatsKey(hd), REDISMODULE_KEYTYPE_HASH) ||
        !hdCheckType(hd, hdQueueSlaKey(hd), REDISMODULE_KEYTYPE_ZSET) ||
        !hdCheckType(hd, hdAgentsKey(hd), REDISMODULE_KEYTYPE_SET)) return 0;
    for (int i = 0; i < sc->n; i++)
        if (!hdCheckType(hd, hdRoutingKey(hd, sc->cats[i], strlen(sc->cats[i])),
                         REDISMODULE_KEYTYPE_ZSET)) return 0;
    return 1;
}

static int cmdDeskStats(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    AgentTotals at;
    StatCats sc;
    long long unassigned = 0;
    int nstat = sizeof(statuses) / sizeof(statuses[0]);

    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!hdCheckType(hd, hdStatsKey(hd), REDISMODULE_KEYTYPE_HASH)) return REDISMODULE_OK;
    statsCategories(hd, &cfg, &sc);
    if (!statsCheckKeys(hd, &sc)) return REDISMODULE_OK;
    for (int i = 0; i < sc.n; i++)
        unassigned += hdZCard(hd, hdRoutingKey(hd, sc.cats[i], strlen(sc.cats[i])));
    sumAgents(hd, &at);

    RedisModule_ReplyWithMap(hd->ctx, 8);
    RedisModule_ReplyWithCString(hd->ctx, "status");
    RedisModule_ReplyWithMap(hd->ctx, nstat);
    for (int i = 0; i < nstat; i++) {
        RedisModule_ReplyWithCString(hd->ctx, statuses[i]);
        RedisModule_ReplyWithLongLong(hd->ctx, statsGet(hd, "status", statuses[i]));
    }
    RedisModule_ReplyWithCString(hd->ctx, "category");
    RedisModule_ReplyWithMap(hd->ctx, sc.n);
    for (int i = 0; i < sc.n; i++) {
        RedisModule_ReplyWithCString(hd->ctx, sc.cats[i]);
        RedisModule_ReplyWithLongLong(hd->ctx, statsGet(hd, "category", sc.cats[i]));
    }
    RedisModule_ReplyWithCString(hd->ctx, "unassigned");
    RedisModule_ReplyWithLongLong(hd->ctx, unassigned);
    RedisModule_ReplyWithCString(hd->ctx, "overdue");
    RedisModule_ReplyWithLongLong(hd->ctx, countOverdue(hd));
    RedisModule_ReplyWithCString(hd->ctx, "agents");
    RedisModule_ReplyWithLongLong(hd->ctx, at.agents);
    RedisModule_ReplyWithCString(hd->ctx, "agents_online");
    RedisModule_ReplyWithLongLong(hd->ctx, at.online);
    RedisModule_ReplyWithCString(hd->ctx, "total_load");
    RedisModule_ReplyWithLongLong(hd->ctx, at.load);
    RedisModule_ReplyWithCString(hd->ctx, "total_capacity");
    RedisModule_ReplyWithLongLong(hd->ctx, at.capacity);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* DESK.PURGE D                                                              */
/* ------------------------------------------------------------------------ */

typedef struct KeyList {
    RedisModuleCtx *ctx;
    RedisModuleString **keys;
    size_t n, cap;
} KeyList;

static void keyListAdd(const char *name, size_t len, void *privdata) {
    KeyList *l = privdata;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->keys = RedisModule_Realloc(l->keys, l->cap * sizeof(*l->keys));
    }
    l->keys[l->n++] = RedisModule_CreateString(l->ctx, name, len);   /* auto-memory */
}

/* Collects every "D:*" key first, then deletes: SCAN stays simple and the
 * deletions replicate as UNLINKs. Admin command, O(keys in the database). */
static int cmdDeskPurge(Hd *hd, RedisModuleString **argv, int argc) {
    KeyList l = { hd->ctx, NULL, 0, 0 };
    long long deleted = 0;

    hdDeskScan(hd, keyListAdd, &l);
    for (size_t i = 0; i < l.n; i++) {
        if (hdKeyExists(hd, l.keys[i])) { fxDel(hd, l.keys[i]); deleted++; }
    }
    RedisModule_Free(l.keys);
    /* Nothing of the desk outlives it in module memory either. */
    floodForgetDesk(hd);
    slaForgetDesk(hd);
    routingDeskPurged(hd);
    return RedisModule_ReplyWithLongLong(hd->ctx, deleted);
}

/* ------------------------------------------------------------------------ */

static RedisModuleCommandArg argsConfigGet[] = {
    {.name = "name", .type = REDISMODULE_ARG_TYPE_STRING, .flags = REDISMODULE_CMD_ARG_OPTIONAL,
     .summary = "one setting; without it, every setting"},
    {0}
};

static RedisModuleCommandArg argsConfigSet[] = {
    {.name = "name", .type = REDISMODULE_ARG_TYPE_STRING},
    {.name = "value", .type = REDISMODULE_ARG_TYPE_STRING},
    {.name = "force", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "FORCE",
     .flags = REDISMODULE_CMD_ARG_OPTIONAL,
     .summary = "categories only: move active tickets of removed categories to general"},
    {0}
};

static RedisModuleCommandArg argsNone[] = { {0} };

HdCommand hdDeskCommands[] = {
    /* Subcommands of the container DESK.CONFIG (module.c registers the
     * "parent|sub" names); their key, the desk, follows the subcommand. */
    {"desk.config|get", cmdDeskConfigGet, "readonly fast", -3, 0,
     "Get one desk setting, or a map of every setting (alert-threshold, flood-*, "
     "default-capacity, auto-route, sla.<priority>, events-maxlen, chat-maxlen, state-ttl, "
     "state-history-max, categories, learn-from-corrections, category.<name>.keywords; "
     "service levels: sla.first_reply.<p>, sla.next_reply.<p>, sla.resolution.<p>, hours, "
     "timezone, holidays, sla-hours, sla-pause-on-hold, sla-warn-percent, skill-timeout, "
     "reassign-after)",
     "O(number of settings)", argsConfigGet},
    {"desk.config|set", cmdDeskConfigSet, "write deny-oom", -5, 1,
     "Set one desk setting; removing a category that has active tickets needs FORCE, "
     "which moves them to general",
     "O(1), or O(N) with N active tickets when categories are removed", argsConfigSet},
    {"desk.stats", cmdDeskStats, "readonly", 2, 0,
     "Desk overview: tickets per status and category, unassigned, overdue, agents online, "
     "total load and capacity",
     "O(A + C + log N) with A agents, C categories, N open tickets", argsNone},
    {"desk.purge", cmdDeskPurge, "write", 2, 1,
     "Delete every key of the desk; returns the number of keys deleted (admin command)",
     "O(K) with K keys in the database (SCAN)", argsNone},
    {NULL}
};
