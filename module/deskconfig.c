/* deskconfig.c -- the desk's settings (D:config): defaults, parsing one
 * setting, loading the hash, the targets looked up by priority, and the
 * stored form of each setting. The DESK.CONFIG GET|SET commands are in
 * desk.c; everything that reads a desk's settings loads them here.
 *
 * D:config stores only what was set; everything else takes the defaults of
 * SPEC.md, so an empty desk needs no set-up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include "helpdesk.h"

static const char *defaultCategories[] = {
    "billing", "technical", "legal", "returns", "shipping", "account", "general"
};

static const char *settingNames[] = {
    "alert-threshold", "flood-window", "flood-threshold", "default-capacity",
    "auto-route", "events-maxlen", "chat-maxlen", "state-ttl",
    "state-history-max", "categories", "learn-from-corrections",
    "hours", "timezone", "holidays", "sla-hours", "sla-pause-on-hold", "sla-warn-percent",
    "skill-timeout", "reassign-after", NULL
};

/* The settings DESK.CONFIG GET lists by name, in order; NULL past the end. */
const char *deskSettingName(int i) {
    return i >= 0 && i < (int)(sizeof(settingNames) / sizeof(settingNames[0])) ?
           settingNames[i] : NULL;
}

/* Every field is set by name, with no memset of the struct: its tables
 * (targets, categories, keywords, holidays) are about 10 kB and every
 * command loads the defaults, so zeroing them was 11k instructions a call.
 * The tables are only ever read below their counts (nsla, ncat, nkw, nfr,
 * nnr, nholidays), so their unused slots need no value. A new field must be
 * set here (and copied in configCopy). */
static void configDefaults(DeskConfig *c) {
    c->alert_threshold = 0.8;
    c->flood_window = 60;
    c->flood_threshold = 10;
    c->default_capacity = 15;
    c->auto_route = 0;
    c->learn_corrections = 0;
    c->nkw = 0;
    c->nfr = c->nnr = 0;
    c->nholidays = 0;
    c->sla_business = c->sla_pause_on_hold = 0;
    c->skill_timeout = c->reassign_after = 0;
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

int deskSettingApply(DeskConfig *c, const char *name, const char *v,
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
    char name[64], val[HD_SETTING_VALUE_MAX], err[128];
    size_t nlen, vlen;
    const char *n = RedisModule_StringPtrLen(field, &nlen);
    const char *v = RedisModule_StringPtrLen(value, &vlen);
    if (nlen >= sizeof(name) || vlen >= sizeof(val)) return;
    memcpy(name, n, nlen); name[nlen] = '\0';
    memcpy(val, v, vlen); val[vlen] = '\0';
    /* A value tampered with outside DESK.CONFIG keeps its default. */
    deskSettingApply(ls->cfg, name, val, err, sizeof(err));
}

/* ------------------------------------------------------------------------ */
/* The kept settings                                                         */
/* ------------------------------------------------------------------------ */

/* Every command loads its desk's settings, often twice (TICKET.CLAIM and
 * TICKET.NEXT: routing, then the SLA clock of the assignment), and parsing
 * D:config over the defaults was about 3k instructions a load. The parsed
 * settings of the last few desks are kept, each valid while cfgEpoch is the
 * one it was parsed at. Anything that may change a D:config behind the
 * module moves the epoch: a keyspace event on a key ending in ":config" (any
 * write, DEL, RENAME, RESTORE, expiry or eviction, by a client, a script, a
 * replicated command or the module itself), a flush, SWAPDB, and the start
 * and end of a load (RDB, AOF, a replica's sync, diskless async load). A
 * D:config with a TTL is never kept: between its expiry and its deletion it
 * is still in the keyspace, with no event yet.
 *
 * The events watched are those of hashes and of whole keys (hdKeptHooks),
 * not every class. The classes left out can only reach a D:config by
 * replacing it with another type (SET, SUNIONSTORE, SORT .. STORE, ...): the
 * kept settings are used only while the key is still a hash or still
 * missing, which a type look at each load checks, and a key that became
 * another type only becomes a hash again through a deletion or a whole-key
 * write (DEL, RENAME, COPY, RESTORE, MOVE, expiry, eviction). */
#define CFG_KEPT 8
typedef struct KeptConfig {
    unsigned long long epoch, lastUse;  /* epoch 0: empty slot */
    int db;
    size_t dlen;
    char desk[HD_DESK_MAX];
    DeskConfig cfg;
} KeptConfig;
static KeptConfig kept[CFG_KEPT];
static unsigned long long cfgEpoch = 1, cfgClock;

static void configKeyEvent(RedisModuleCtx *ctx, int type, const char *event,
                           RedisModuleString *key) {
    size_t len;
    const char *k = RedisModule_StringPtrLen(key, &len);
    if (len > 7 && !memcmp(k + len - 7, ":config", 7)) cfgEpoch++;
}

static void configServerEvent(RedisModuleCtx *ctx, RedisModuleEvent e, uint64_t sub,
                              void *data) {
    cfgEpoch++;
}

void deskConfigInit(RedisModuleCtx *ctx) {
    hdKeptHooks(ctx, configKeyEvent, configServerEvent);
}

/* Copies what is set: the scalars and the used part of each table (their
 * unused slots are never read, see configDefaults), about 700 bytes instead
 * of the struct's 10 kB. A new field must be copied here. */
static void configCopy(DeskConfig *d, const DeskConfig *s) {
    d->alert_threshold = s->alert_threshold;
    d->flood_window = s->flood_window;
    d->flood_threshold = s->flood_threshold;
    d->default_capacity = s->default_capacity;
    d->auto_route = s->auto_route;
    d->events_maxlen = s->events_maxlen;
    d->chat_maxlen = s->chat_maxlen;
    d->state_ttl = s->state_ttl;
    d->state_history_max = s->state_history_max;
    d->nsla = s->nsla;
    memcpy(d->sla_prio, s->sla_prio, sizeof(s->sla_prio[0]) * (size_t)s->nsla);
    memcpy(d->sla_secs, s->sla_secs, sizeof(s->sla_secs[0]) * (size_t)s->nsla);
    d->ncat = s->ncat;
    memcpy(d->cats, s->cats, sizeof(s->cats[0]) * (size_t)s->ncat);
    d->learn_corrections = s->learn_corrections;
    d->nkw = s->nkw;
    memcpy(d->kwcat, s->kwcat, sizeof(s->kwcat[0]) * (size_t)s->nkw);
    memcpy(d->kw, s->kw, sizeof(s->kw[0]) * (size_t)s->nkw);
    d->nfr = s->nfr;
    memcpy(d->fr_prio, s->fr_prio, sizeof(s->fr_prio[0]) * (size_t)s->nfr);
    memcpy(d->fr_secs, s->fr_secs, sizeof(s->fr_secs[0]) * (size_t)s->nfr);
    d->nnr = s->nnr;
    memcpy(d->nr_prio, s->nr_prio, sizeof(s->nr_prio[0]) * (size_t)s->nnr);
    memcpy(d->nr_secs, s->nr_secs, sizeof(s->nr_secs[0]) * (size_t)s->nnr);
    d->hours = s->hours;
    d->nholidays = s->nholidays;
    memcpy(d->holidays, s->holidays, sizeof(s->holidays[0]) * (size_t)s->nholidays);
    memcpy(d->timezone, s->timezone, sizeof(s->timezone));
    d->sla_business = s->sla_business;
    d->sla_pause_on_hold = s->sla_pause_on_hold;
    d->sla_warn_percent = s->sla_warn_percent;
    d->skill_timeout = s->skill_timeout;
    d->reassign_after = s->reassign_after;
}

static KeptConfig *keptFind(int db, const char *desk, size_t dlen) {
    for (int i = 0; i < CFG_KEPT; i++)
        if (kept[i].epoch == cfgEpoch && kept[i].db == db && kept[i].dlen == dlen &&
            !memcmp(kept[i].desk, desk, dlen)) return &kept[i];
    return NULL;
}

/* Keeps cfg in a stale slot, else in the least recently used one. */
static void keep(int db, const char *desk, size_t dlen, const DeskConfig *cfg) {
    KeptConfig *slot = &kept[0];
    if (dlen > HD_DESK_MAX) return;
    for (int i = 0; i < CFG_KEPT; i++) {
        if (kept[i].epoch != cfgEpoch) { slot = &kept[i]; break; }
        if (kept[i].lastUse < slot->lastUse) slot = &kept[i];
    }
    slot->epoch = cfgEpoch;
    slot->lastUse = ++cfgClock;
    slot->db = db;
    slot->dlen = dlen;
    memcpy(slot->desk, desk, dlen);
    configCopy(&slot->cfg, cfg);
}

int deskConfigLoad(Hd *hd, DeskConfig *cfg) {
    RedisModuleString *kname;
    RedisModuleKey *k;
    LoadState ls = { cfg };
    int db = RedisModule_GetSelectedDb(hd->ctx);
    KeptConfig *kc = keptFind(db, hd->dname, hd->dlen);

    /* Still a hash or still missing: see HD_KEPT_EVENTS (effects.c). */
    if (kc && hdTypeOk(hd, hdConfigKey(hd), REDISMODULE_KEYTYPE_HASH)) {
        kc->lastUse = ++cfgClock;
        configCopy(cfg, &kc->cfg);
        return 1;
    }
    configDefaults(cfg);
    kname = hdConfigKey(hd);
    k = RedisModule_OpenKey(hd->ctx, kname, REDISMODULE_READ);
    if (!k) {
        keep(db, hd->dname, hd->dlen, cfg);
        return 1;
    }
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) {
        RedisModule_CloseKey(k);
        return hdCheckTypeOrReply(hd, kname, REDISMODULE_KEYTYPE_HASH);
    }
    RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
    while (RedisModule_ScanKey(k, cur, loadField, &ls));
    RedisModule_ScanCursorDestroy(cur);
    int volatile_key = RedisModule_GetExpire(k) != REDISMODULE_NO_EXPIRE;
    RedisModule_CloseKey(k);
    if (!volatile_key) keep(db, hd->dname, hd->dlen, cfg);
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

/* ------------------------------------------------------------------------ */
/* Formatting: the stored (and DESK.CONFIG GET) form of a setting           */
/* ------------------------------------------------------------------------ */

/* The shortest %g form that parses back to the same double ("%g" alone
 * would store 0.1234567 as 0.123457). */
static void formatDouble(double d, char *out, size_t outlen) {
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(out, outlen, "%.*g", prec, d);
        if (strtod(out, NULL) == d) return;
    }
}

void deskSettingFormat(const DeskConfig *c, const char *name, char *out, size_t outlen) {
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

int deskSettingKnown(const char *name) {
    char cat[33];
    for (int i = 0; settingNames[i]; i++) if (!strcmp(settingNames[i], name)) return 1;
    return parseSlaName(name, NULL) != 0 || !strcmp(name, "model") || parseKeywordsName(name, cat);
}

/* The name a target is stored under: sla.resolution.<p> is sla.<p>. */
void deskSettingCanonical(char *name) {
    int metric, prio = parseSlaName(name, &metric);
    if (prio && metric == SLA_RESOLUTION) snprintf(name, 64, "sla.%d", prio);
}
