/* bizhours.c -- business hours, holidays and SLA time arithmetic, with no
 * Redis calls.
 *
 * A business calendar is, per weekday, a few local-time intervals, minus
 * holidays, in one IANA time zone. calAdd and calElapsed walk it one local
 * day at a time: each day's intervals are turned into UTC instants through
 * the zone (so a DST change shortens or lengthens no business interval that
 * does not contain it), clipped, and summed. The cost is O(days spanned),
 * never O(minutes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "hd_time.h"

#define DAY_SECS 86400LL
/* The longest walk: a target cannot reach further than this many days. */
#define CAL_MAX_DAYS (366LL * 30)

static const char *dayNames[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

/* ------------------------------------------------------------------------ */
/* Parsing and formatting                                                    */
/* ------------------------------------------------------------------------ */

static const char *skipBlanks(const char *p) {
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

static int dayIndex(const char *p, size_t len) {
    if (len != 3) return -1;
    for (int i = 0; i < 7; i++) if (!strncasecmp(p, dayNames[i], 3)) return i;
    return -1;
}

/* HH:MM with HH 0..24 (24 only as 24:00). Returns the minutes or -1. */
static int parseHHMM(const char **pp) {
    const char *p = *pp;
    int h, m;
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] != ':' ||
        p[3] < '0' || p[3] > '5' || p[4] < '0' || p[4] > '9') return -1;
    h = (p[0] - '0') * 10 + (p[1] - '0');
    m = (p[3] - '0') * 10 + (p[4] - '0');
    if (h > 24 || (h == 24 && m != 0)) return -1;
    *pp = p + 5;
    return h * 60 + m;
}

/* "mon-fri" or "sat" or "mon,wed" into a 7-bit mask. */
static const char *parseDays(const char *p, int *mask, char *err, size_t errlen) {
    *mask = 0;
    for (;;) {
        const char *s = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) p++;
        int a = dayIndex(s, (size_t)(p - s)), b = a;
        if (a >= 0 && *p == '-') {
            const char *s2 = ++p;
            while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) p++;
            b = dayIndex(s2, (size_t)(p - s2));
        }
        if (a < 0 || b < 0) {
            snprintf(err, errlen, "days must be mon, tue, wed, thu, fri, sat, sun or a "
                     "range such as mon-fri, near '%.12s'", s);
            return NULL;
        }
        for (int d = a;; d = (d + 1) % 7) {    /* fri-mon wraps over the weekend */
            *mask |= 1 << d;
            if (d == b) break;
        }
        if (*p != ',') return p;
        p++;
    }
}

static int cmpInterval(const void *x, const void *y) {
    const unsigned short *a = x, *b = y;
    return (int)a[0] - (int)b[0];
}

/* "09:00-12:00,13:00-17:00" into sorted, disjoint pairs. */
static const char *parseIntervals(const char *p, unsigned short iv[][2], int *n,
                                  char *err, size_t errlen) {
    *n = 0;
    for (;;) {
        int from, to;
        p = skipBlanks(p);
        if ((from = parseHHMM(&p)) < 0 || *p++ != '-' || (to = parseHHMM(&p)) < 0 ||
            from >= to) {
            snprintf(err, errlen, "intervals must be HH:MM-HH:MM with the start before "
                     "the end, e.g. 09:00-17:00");
            return NULL;
        }
        if (*n == HD_HOURS_MAX_INTERVALS) {
            snprintf(err, errlen, "at most %d intervals per day", HD_HOURS_MAX_INTERVALS);
            return NULL;
        }
        iv[*n][0] = (unsigned short)from;
        iv[(*n)++][1] = (unsigned short)to;
        p = skipBlanks(p);
        if (*p != ',') break;
        p++;
    }
    qsort(iv, (size_t)*n, sizeof(iv[0]), cmpInterval);
    for (int i = 1; i < *n; i++) {
        if (iv[i][0] < iv[i - 1][1]) {
            snprintf(err, errlen, "intervals of one day must not overlap");
            return NULL;
        }
    }
    return p;
}

int hoursParse(const char *s, HdHours *h, char *err, size_t errlen) {
    const char *p = s;
    int seen = 0;
    memset(h, 0, sizeof(*h));
    for (;;) {
        unsigned short iv[HD_HOURS_MAX_INTERVALS][2];
        int mask, n;
        p = skipBlanks(p);
        if (!*p) break;
        if (!(p = parseDays(p, &mask, err, errlen))) return -1;
        if (*p != ' ' && *p != '\t') {
            snprintf(err, errlen, "each part is days then intervals, e.g. "
                     "'mon-fri 09:00-17:00; sat 10:00-14:00'");
            return -1;
        }
        if (!(p = parseIntervals(p, iv, &n, err, errlen))) return -1;
        if (mask & seen) {
            snprintf(err, errlen, "a day is given twice");
            return -1;
        }
        seen |= mask;
        for (int d = 0; d < 7; d++) {
            if (!(mask & (1 << d))) continue;
            h->n[d] = (unsigned char)n;
            for (int i = 0; i < n; i++) { h->from[d][i] = iv[i][0]; h->to[d][i] = iv[i][1]; }
        }
        p = skipBlanks(p);
        if (*p == ';') { p++; continue; }
        if (*p) {
            snprintf(err, errlen, "unexpected '%.12s'; separate parts with ';'", p);
            return -1;
        }
        break;
    }
    if (!seen) {
        snprintf(err, errlen, "needs at least one day, e.g. 'mon-fri 09:00-17:00'");
        return -1;
    }
    return 0;
}

static int sameDay(const HdHours *h, int a, int b) {
    if (h->n[a] != h->n[b]) return 0;
    for (int i = 0; i < h->n[a]; i++)
        if (h->from[a][i] != h->from[b][i] || h->to[a][i] != h->to[b][i]) return 0;
    return 1;
}

void hoursFormat(const HdHours *h, char *out, size_t outlen) {
    size_t off = 0;
    out[0] = '\0';
    for (int d = 0; d < 7;) {
        int e = d;
        if (!h->n[d]) { d++; continue; }
        while (e + 1 < 7 && sameDay(h, d, e + 1)) e++;
        off += (size_t)snprintf(out + off, off < outlen ? outlen - off : 0, "%s%s%s%s ",
                                off ? "; " : "", dayNames[d], e > d ? "-" : "",
                                e > d ? dayNames[e] : "");
        for (int i = 0; i < h->n[d] && off < outlen; i++)
            off += (size_t)snprintf(out + off, outlen - off, "%s%02d:%02d-%02d:%02d",
                                    i ? "," : "", h->from[d][i] / 60, h->from[d][i] % 60,
                                    h->to[d][i] / 60, h->to[d][i] % 60);
        if (off >= outlen) { out[outlen - 1] = '\0'; return; }
        d = e + 1;
    }
}

static int cmpDay(const void *x, const void *y) {
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

int holidaysParse(const char *s, int32_t *days, int max, int *n, char *err, size_t errlen) {
    const char *p = s;
    int count = 0;
    for (;;) {
        int y, m, d, used = 0;
        while (*p == ' ' || *p == ',' || *p == '\t') p++;
        if (!*p) break;
        if (sscanf(p, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || used != 10 ||
            (p[10] && p[10] != ' ' && p[10] != ',' && p[10] != '\t') ||
            y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 ||
            hdDaysFromCivil(y, m, 1) + d - 1 >= hdDaysFromCivil(m == 12 ? y + 1 : y,
                                                              m == 12 ? 1 : m + 1, 1)) {
            snprintf(err, errlen, "dates must be YYYY-MM-DD separated by blanks, near "
                     "'%.12s'", p);
            return -1;
        }
        if (count == max) {
            snprintf(err, errlen, "at most %d holidays", max);
            return -1;
        }
        days[count++] = (int32_t)hdDaysFromCivil(y, m, d);
        p += 10;
    }
    qsort(days, (size_t)count, sizeof(days[0]), cmpDay);
    int u = 0;
    for (int i = 0; i < count; i++) if (!u || days[u - 1] != days[i]) days[u++] = days[i];
    *n = u;
    return 0;
}

void holidaysFormat(const int32_t *days, int n, char *out, size_t outlen) {
    size_t off = 0;
    out[0] = '\0';
    for (int i = 0; i < n && off + 12 < outlen; i++) {
        int64_t y;
        int m, d;
        hdCivilFromDays(days[i], &y, &m, &d);
        off += (size_t)snprintf(out + off, outlen - off, "%s%04lld-%02d-%02d", i ? " " : "",
                                (long long)y, m, d);
    }
}

/* ------------------------------------------------------------------------ */
/* Time arithmetic                                                           */
/* ------------------------------------------------------------------------ */

static int64_t floorDivMs(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int isHoliday(const HdCalendar *c, int64_t day) {
    int lo = 0, hi = c->nholidays - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (c->holidays[mid] == day) return 1;
        if (c->holidays[mid] < day) lo = mid + 1; else hi = mid - 1;
    }
    return 0;
}

static int hasAnyHours(const HdHours *h) {
    for (int d = 0; d < 7; d++) if (h->n[d]) return 1;
    return 0;
}

/* The local day (days since 1970-01-01 in the zone) containing instant ms. */
static int64_t localDay(const HdCalendar *c, int64_t ms) {
    int64_t secs = floorDivMs(ms, 1000);
    return floorDivMs(secs + tzOffsetAt(c->tz, secs), DAY_SECS);
}

/* Interval i of local day `day` as UTC ms [from, to). */
static void intervalUtc(const HdCalendar *c, int64_t day, int wd, int i,
                        int64_t *from, int64_t *to) {
    int64_t midnight = day * DAY_SECS;
    *from = tzLocalToUtc(c->tz, midnight + c->hours->from[wd][i] * 60LL) * 1000;
    *to = tzLocalToUtc(c->tz, midnight + c->hours->to[wd][i] * 60LL) * 1000;
}

int64_t calAdd(const HdCalendar *c, int64_t start, int64_t dur) {
    if (dur <= 0) return start;
    if (!c->business || !c->hours) return start > INT64_MAX - dur ? INT64_MAX : start + dur;
    if (!hasAnyHours(c->hours)) return INT64_MAX;
    int64_t first = localDay(c, start);
    for (int64_t day = first; day < first + CAL_MAX_DAYS; day++) {
        int wd = hdWeekday(day);
        if (!c->hours->n[wd] || isHoliday(c, day)) continue;
        for (int i = 0; i < c->hours->n[wd]; i++) {
            int64_t from, to;
            intervalUtc(c, day, wd, i, &from, &to);
            if (from < start) from = start;
            if (from >= to) continue;
            if (dur <= to - from) return from + dur;
            dur -= to - from;
        }
    }
    return INT64_MAX;
}

int64_t calElapsed(const HdCalendar *c, int64_t a, int64_t b) {
    int64_t sum = 0;
    if (b <= a) return 0;
    if (!c->business || !c->hours) return b - a;
    int64_t last = localDay(c, b);
    for (int64_t day = localDay(c, a); day <= last; day++) {
        int wd = hdWeekday(day);
        if (!c->hours->n[wd] || isHoliday(c, day)) continue;
        for (int i = 0; i < c->hours->n[wd]; i++) {
            int64_t from, to;
            intervalUtc(c, day, wd, i, &from, &to);
            if (from < a) from = a;
            if (to > b) to = b;
            if (from < to) sum += to - from;
        }
    }
    return sum;
}
