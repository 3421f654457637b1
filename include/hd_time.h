/* hd_time.h -- time zones and business calendars, with no Redis calls.
 *
 * tzfile.c reads the system's IANA zone files (TZif, RFC 8536) itself, so
 * the module never touches the process-wide TZ/localtime state of the Redis
 * server. bizhours.c turns "4 business hours after this instant" into an
 * instant, walking one local day at a time (O(days spanned)).
 *
 * Both files are plain C99 over caller-owned structs: the module allocates
 * them (RedisModule_Alloc) and tests/unit/test_bizhours.c links them alone. */
#ifndef HD_TIME_H
#define HD_TIME_H

#include <stddef.h>
#include <stdint.h>

#define HD_ZONEINFO_DIR "/usr/share/zoneinfo"
#define HD_TZ_NAME_MAX 63
#define HD_TZ_MAX_TRANS 2400
#define HD_TZ_MAX_TYPES 32

/* A POSIX TZ rule date: Mm.w.d (kind 'M'), Jn (kind 'J', 1..365 without
 * Feb 29) or n (kind 'D', 0..365), at `secs` local time (may be negative or
 * past 24 h, as RFC 8536 allows). */
typedef struct HdTzRuleDate {
    char kind;
    int month, week, wday, yday;
    int32_t secs;
} HdTzRuleDate;

typedef struct HdTz {
    char name[HD_TZ_NAME_MAX + 1];
    int ntrans, ntypes;
    int64_t trans[HD_TZ_MAX_TRANS];         /* UTC seconds, ascending */
    unsigned char trans_type[HD_TZ_MAX_TRANS];
    int32_t type_off[HD_TZ_MAX_TYPES];      /* seconds east of UTC */
    int32_t first_off;                      /* before the first transition */
    /* The footer rule, for instants after the last transition. */
    int has_rule, rule_dst;
    int32_t std_off, dst_off;
    HdTzRuleDate rule_start, rule_end;
} HdTz;

/* 1 when name is a plausible zone name: [A-Za-z0-9_+-] parts joined by '/',
 * no part starting with '.', at most HD_TZ_NAME_MAX bytes. */
int tzNameValid(const char *name);
/* Parses a TZif image (version 1 to 4). Returns 0, or -1 with err set. */
int tzParse(const unsigned char *buf, size_t len, HdTz *tz, char *err, size_t errlen);
/* Reads <dir>/<name> and parses it ("UTC" needs no file). Returns 0 or -1. */
int tzLoad(const char *dir, const char *name, HdTz *tz, char *err, size_t errlen);
/* The zone's offset from UTC at a UTC instant, in seconds east. NULL = UTC. */
int32_t tzOffsetAt(const HdTz *tz, int64_t utc_secs);
/* The UTC instant of a local wall-clock time. A time skipped by a DST change
 * maps to the instant the clocks jumped over it; a repeated one to its first
 * occurrence. */
int64_t tzLocalToUtc(const HdTz *tz, int64_t local_secs);

/* Civil dates: days since 1970-01-01 and back; weekday 0 = Monday. */
int64_t hdDaysFromCivil(int64_t y, int m, int d);
void hdCivilFromDays(int64_t days, int64_t *y, int *m, int *d);
int hdWeekday(int64_t days);

/* ------------------------------------------------------------------------ */
/* Business hours                                                            */
/* ------------------------------------------------------------------------ */

#define HD_HOURS_MAX_INTERVALS 8
#define HD_MAX_HOLIDAYS 366

/* Per weekday (0 = Monday) up to 8 sorted, disjoint [from, to) intervals in
 * minutes after local midnight (to <= 1440). */
typedef struct HdHours {
    unsigned char n[7];
    unsigned short from[7][HD_HOURS_MAX_INTERVALS], to[7][HD_HOURS_MAX_INTERVALS];
} HdHours;

/* "mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00". Returns 0 or -1. */
int hoursParse(const char *s, HdHours *h, char *err, size_t errlen);
/* The canonical spelling (consecutive days with equal intervals joined). */
void hoursFormat(const HdHours *h, char *out, size_t outlen);
/* "2026-12-25 2026-12-26" (blanks or commas) -> sorted unique day numbers. */
int holidaysParse(const char *s, int32_t *days, int max, int *n, char *err, size_t errlen);
void holidaysFormat(const int32_t *days, int n, char *out, size_t outlen);

/* How a desk counts SLA time. business = 0 counts every millisecond. */
typedef struct HdCalendar {
    int business;
    const HdTz *tz;                 /* NULL = UTC */
    const HdHours *hours;
    const int32_t *holidays;        /* sorted local day numbers */
    int nholidays;
} HdCalendar;

/* The instant `dur_ms` counted milliseconds after start_ms. With business
 * time and no business time at all in the calendar, INT64_MAX. */
int64_t calAdd(const HdCalendar *c, int64_t start_ms, int64_t dur_ms);
/* Counted milliseconds in [from_ms, to_ms) (0 when to <= from). */
int64_t calElapsed(const HdCalendar *c, int64_t from_ms, int64_t to_ms);

#endif
