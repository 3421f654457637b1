/* tzfile.c -- IANA time zones read from TZif files (RFC 8536), no Redis calls.
 *
 * The module must not call tzset/localtime or change TZ: those are process
 * wide, and Redis itself formats log times with them. So the zone's
 * transitions are parsed here into an HdTz owned by the caller, and local
 * time is computed from them. Instants past the last transition follow the
 * file's POSIX TZ footer rule (e.g. "CET-1CEST,M3.5.0,M10.5.0/3"), so the
 * DST changes stay right after 2037 and with "slim" zone files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hd_time.h"

/* ------------------------------------------------------------------------ */
/* Civil dates (proleptic Gregorian)                                         */
/* ------------------------------------------------------------------------ */

static int64_t floorDiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Days since 1970-01-01 of y-m-d, counting years from March so that the leap
 * day is the last day of the counted year. */
int64_t hdDaysFromCivil(int64_t y, int m, int d) {
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = floorDiv(y, 400);
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void hdCivilFromDays(int64_t z, int64_t *y, int *m, int *d) {
    int64_t era, doe, yoe, doy, mp;
    z += 719468;
    era = floorDiv(z, 146097);
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* 1970-01-01 was a Thursday (3 when Monday is 0). */
int hdWeekday(int64_t days) {
    return (int)((days % 7 + 7 + 3) % 7);
}

static int isLeap(int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int daysInMonth(int64_t y, int m) {
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && isLeap(y) ? 29 : dim[m - 1];
}

/* ------------------------------------------------------------------------ */
/* Names                                                                     */
/* ------------------------------------------------------------------------ */

int tzNameValid(const char *name) {
    size_t len = strlen(name);
    int part_start = 1;
    if (len == 0 || len > HD_TZ_NAME_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        if (ch == '/') {
            if (part_start) return 0;           /* empty part or leading '/' */
            part_start = 1;
            continue;
        }
        if (part_start && ch == '.') return 0;  /* no "..", no hidden files */
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '+'))
            return 0;
        part_start = 0;
    }
    return !part_start;
}

/* ------------------------------------------------------------------------ */
/* POSIX TZ footer                                                           */
/* ------------------------------------------------------------------------ */

static const char *skipZoneName(const char *p) {
    if (*p == '<') {
        while (*p && *p != '>') p++;
        return *p ? p + 1 : NULL;
    }
    const char *s = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] -> seconds; hours up to 167 (RFC 8536 extension). */
static const char *parseClock(const char *p, int32_t *out) {
    int sign = 1, h = 0, m = 0, s = 0;
    if (*p == '+' || *p == '-') { if (*p == '-') sign = -1; p++; }
    if (*p < '0' || *p > '9') return NULL;
    while (*p >= '0' && *p <= '9') { h = h * 10 + (*p++ - '0'); if (h > 167) return NULL; }
    if (*p == ':') {
        p++;
        if (*p < '0' || *p > '9') return NULL;
        while (*p >= '0' && *p <= '9') m = m * 10 + (*p++ - '0');
        if (*p == ':') {
            p++;
            while (*p >= '0' && *p <= '9') s = s * 10 + (*p++ - '0');
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return p;
}

static const char *parseNumber(const char *p, int *out) {
    int v = 0;
    if (*p < '0' || *p > '9') return NULL;
    while (*p >= '0' && *p <= '9') { v = v * 10 + (*p++ - '0'); if (v > 1000) return NULL; }
    *out = v;
    return p;
}

static const char *parseRuleDate(const char *p, HdTzRuleDate *r) {
    memset(r, 0, sizeof(*r));
    r->secs = 7200;                             /* default 02:00:00 */
    if (*p == 'M') {
        r->kind = 'M';
        if (!(p = parseNumber(p + 1, &r->month)) || *p++ != '.' ||
            !(p = parseNumber(p, &r->week)) || *p++ != '.' ||
            !(p = parseNumber(p, &r->wday))) return NULL;
        if (r->month < 1 || r->month > 12 || r->week < 1 || r->week > 5 || r->wday > 6)
            return NULL;
    } else if (*p == 'J') {
        r->kind = 'J';
        if (!(p = parseNumber(p + 1, &r->yday)) || r->yday < 1 || r->yday > 365) return NULL;
    } else {
        r->kind = 'D';
        if (!(p = parseNumber(p, &r->yday)) || r->yday > 365) return NULL;
    }
    if (*p == '/' && !(p = parseClock(p + 1, &r->secs))) return NULL;
    return p;
}

/* "STDoff[DST[off][,start[/time],end[/time]]]". Returns 0 on success. */
static int parseFooter(const char *p, HdTz *tz) {
    int32_t off;
    if (!(p = skipZoneName(p)) || !(p = parseClock(p, &off))) return -1;
    tz->std_off = -off;                         /* POSIX counts west as positive */
    tz->has_rule = 1;
    if (!*p) return 0;
    if (!(p = skipZoneName(p))) return -1;
    tz->dst_off = tz->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = parseClock(p, &off))) return -1;
        tz->dst_off = -off;
    }
    if (*p != ',') return 0;                    /* no rule given: treat as standard */
    if (!(p = parseRuleDate(p + 1, &tz->rule_start)) || *p != ',' ||
        !(p = parseRuleDate(p + 1, &tz->rule_end)) || *p) return -1;
    tz->rule_dst = 1;
    return 0;
}

/* Local seconds (of the zone's then-current offset) at which rule date r
 * happens in year y. */
static int64_t ruleLocalSecs(const HdTzRuleDate *r, int64_t y) {
    int64_t day;
    if (r->kind == 'M') {
        int64_t first = hdDaysFromCivil(y, r->month, 1);
        int sunday_based = (hdWeekday(first) + 1) % 7;
        int dim = daysInMonth(y, r->month);
        int mday = 1 + (r->wday - sunday_based + 7) % 7 + (r->week - 1) * 7;
        while (mday > dim) mday -= 7;
        day = first + mday - 1;
    } else if (r->kind == 'J') {
        day = hdDaysFromCivil(y, 1, 1) + r->yday - 1 + (isLeap(y) && r->yday > 59);
    } else {
        day = hdDaysFromCivil(y, 1, 1) + r->yday;
    }
    return day * 86400 + r->secs;
}

static int32_t ruleOffsetAt(const HdTz *tz, int64_t t) {
    int64_t y, start, end;
    int m, d;
    if (!tz->rule_dst) return tz->std_off;
    hdCivilFromDays(floorDiv(t + tz->std_off, 86400), &y, &m, &d);
    start = ruleLocalSecs(&tz->rule_start, y) - tz->std_off;
    end = ruleLocalSecs(&tz->rule_end, y) - tz->dst_off;
    if (start < end) return t >= start && t < end ? tz->dst_off : tz->std_off;
    return t >= end && t < start ? tz->std_off : tz->dst_off;   /* southern */
}

/* ------------------------------------------------------------------------ */
/* TZif                                                                      */
/* ------------------------------------------------------------------------ */

static int64_t be(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = (v << 8) | p[i];
    if (n == 4) return (int64_t)(int32_t)(uint32_t)v;
    return (int64_t)v;
}

typedef struct TzCounts { int64_t isut, isstd, leap, time, type, chars; } TzCounts;

static int readHeader(const unsigned char *p, size_t left, TzCounts *c) {
    if (left < 44 || memcmp(p, "TZif", 4) != 0) return -1;
    c->isut = be(p + 20, 4); c->isstd = be(p + 24, 4); c->leap = be(p + 28, 4);
    c->time = be(p + 32, 4); c->type = be(p + 36, 4); c->chars = be(p + 40, 4);
    if (c->isut < 0 || c->isstd < 0 || c->leap < 0 || c->time < 0 || c->type < 1 ||
        c->chars < 0 || c->type > 256 || c->time > 100000) return -1;
    return 0;
}

static size_t blockSize(const TzCounts *c, int tsize) {
    return (size_t)(c->time * tsize + c->time + c->type * 6 + c->chars +
                    c->leap * (tsize + 4) + c->isstd + c->isut);
}

int tzParse(const unsigned char *buf, size_t len, HdTz *tz, char *err, size_t errlen) {
    TzCounts c;
    const unsigned char *p = buf, *times, *idx, *types;
    int tsize = 4;
    size_t left = len;

    memset(tz, 0, sizeof(*tz));
    if (readHeader(p, left, &c) < 0) goto bad;
    if (buf[4] >= '2') {                        /* skip the 32-bit block */
        size_t skip = 44 + blockSize(&c, 4);
        if (skip > left) goto bad;
        p += skip; left -= skip;
        if (readHeader(p, left, &c) < 0) goto bad;
        tsize = 8;
    }
    if (44 + blockSize(&c, tsize) > left) goto bad;
    times = p + 44;
    idx = times + c.time * tsize;
    types = idx + c.time;
    if (c.type > HD_TZ_MAX_TYPES) goto bad;
    tz->ntypes = (int)c.type;
    for (int i = 0; i < tz->ntypes; i++) tz->type_off[i] = (int32_t)be(types + 6 * i, 4);
    tz->first_off = tz->type_off[0];
    /* Keep the newest transitions when there are more than fit. */
    int64_t from = c.time > HD_TZ_MAX_TRANS ? c.time - HD_TZ_MAX_TRANS : 0;
    for (int64_t i = 0; i < c.time; i++) {
        if (idx[i] >= c.type) goto bad;
        if (i < from) { tz->first_off = tz->type_off[idx[i]]; continue; }
        tz->trans[tz->ntrans] = be(times + i * tsize, tsize);
        tz->trans_type[tz->ntrans++] = idx[i];
    }
    if (tsize == 8) {                           /* footer: "\n<TZ string>\n" */
        const unsigned char *f = p + 44 + blockSize(&c, 8), *end = buf + len;
        if (f < end && *f == '\n') {
            char rule[128];
            size_t n = 0;
            f++;
            while (f < end && *f != '\n' && n < sizeof(rule) - 1) rule[n++] = (char)*f++;
            rule[n] = '\0';
            if (n && parseFooter(rule, tz) < 0) tz->has_rule = tz->rule_dst = 0;
        }
    }
    return 0;
bad:
    snprintf(err, errlen, "is not a valid TZif zone file");
    return -1;
}

int tzLoad(const char *dir, const char *name, HdTz *tz, char *err, size_t errlen) {
    char path[512];
    unsigned char *buf;
    size_t n;
    FILE *f;
    int rc;

    if (!tzNameValid(name)) {
        snprintf(err, errlen, "must be an IANA zone name such as Europe/Berlin");
        return -1;
    }
    if (!strcmp(name, "UTC")) {                 /* needs no file */
        memset(tz, 0, sizeof(*tz));
        strcpy(tz->name, name);
        return 0;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!(f = fopen(path, "rb"))) {
        snprintf(err, errlen, "is not a zone known to this system (no %s)", path);
        return -1;
    }
    /* Zone files are a few KiB; 256 KiB is far beyond any real one. */
    buf = malloc(256 * 1024);
    if (!buf) { fclose(f); snprintf(err, errlen, "could not be read"); return -1; }
    n = fread(buf, 1, 256 * 1024, f);
    fclose(f);
    rc = tzParse(buf, n, tz, err, errlen);
    free(buf);
    if (rc == 0) snprintf(tz->name, sizeof(tz->name), "%s", name);
    return rc;
}

int32_t tzOffsetAt(const HdTz *tz, int64_t t) {
    int lo = 0, hi;
    if (!tz) return 0;
    if (tz->ntrans == 0) return tz->has_rule ? ruleOffsetAt(tz, t) : tz->first_off;
    if (t < tz->trans[0]) return tz->first_off;
    if (t >= tz->trans[tz->ntrans - 1] && tz->has_rule) return ruleOffsetAt(tz, t);
    hi = tz->ntrans - 1;                        /* last transition <= t */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (tz->trans[mid] <= t) lo = mid; else hi = mid - 1;
    }
    return tz->type_off[tz->trans_type[lo]];
}

int64_t tzLocalToUtc(const HdTz *tz, int64_t local) {
    int32_t before, after;
    int64_t ua, ub, lo, hi;
    int a_ok, b_ok;
    if (!tz) return local;
    /* Offsets change at most once within a day around any real instant. */
    before = tzOffsetAt(tz, local - 86400);
    after = tzOffsetAt(tz, local + 86400);
    ua = local - before;
    ub = local - after;
    a_ok = tzOffsetAt(tz, ua) == before;
    b_ok = tzOffsetAt(tz, ub) == after;
    if (a_ok && b_ok) return ua < ub ? ua : ub;    /* repeated hour: the first */
    if (a_ok) return ua;
    if (b_ok) return ub;
    /* Skipped: the instant of the change lies between ub and ua. */
    lo = ua < ub ? ua : ub;
    hi = ua < ub ? ub : ua;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (tzOffsetAt(tz, mid) == before) lo = mid + 1; else hi = mid;
    }
    return lo;
}
