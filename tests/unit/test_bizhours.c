/* test_bizhours.c -- unit tests of tzfile.c and bizhours.c (no Redis).
 *
 * Built and run by tests/test_bizhours.sh. Times are written as UTC instants
 * computed from civil dates here, so no test depends on the process TZ.
 * Prints one line per check and "N passed, N failed" last. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hd_time.h"

static int passed, failed;

static void checkLL(const char *name, long long want, long long got) {
    if (want == got) { passed++; printf("ok - %s\n", name); }
    else { failed++; printf("FAIL - %s: expected %lld got %lld\n", name, want, got); }
}

static void checkStr(const char *name, const char *want, const char *got) {
    if (!strcmp(want, got)) { passed++; printf("ok - %s\n", name); }
    else { failed++; printf("FAIL - %s: expected '%s' got '%s'\n", name, want, got); }
}

/* UTC ms of a wall-clock time with a known offset (hours east). */
static long long at(int y, int mo, int d, int h, int mi, int off_hours) {
    return ((long long)hdDaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 -
            off_hours * 3600LL) * 1000;
}

static HdTz *zone(const char *name) {
    char err[128];
    HdTz *tz = malloc(sizeof(*tz));
    if (tzLoad(HD_ZONEINFO_DIR, name, tz, err, sizeof(err)) < 0) {
        printf("FAIL - load %s: %s\n", name, err);
        failed++;
        free(tz);
        return NULL;
    }
    return tz;
}

static void testCivil(void) {
    int64_t y;
    int m, d;
    checkLL("1970-01-01 is day 0", 0, hdDaysFromCivil(1970, 1, 1));
    checkLL("2000-03-01 is day 11017", 11017, hdDaysFromCivil(2000, 3, 1));
    hdCivilFromDays(hdDaysFromCivil(2024, 2, 29), &y, &m, &d);
    checkLL("leap day round-trips", 20240229, y * 10000 + m * 100 + d);
    checkLL("1970-01-01 was a Thursday", 3, hdWeekday(0));
    checkLL("2026-01-02 is a Friday", 4, hdWeekday(hdDaysFromCivil(2026, 1, 2)));
    checkLL("1969-12-31 was a Wednesday", 2, hdWeekday(-1));
}

static void testZones(const HdTz *berlin, const HdTz *sydney, const HdTz *ny) {
    char err[128];
    HdTz *bad = malloc(sizeof(*bad));
    checkLL("Berlin winter is +1h", 3600, tzOffsetAt(berlin, at(2026, 1, 15, 12, 0, 0) / 1000));
    checkLL("Berlin summer is +2h", 7200, tzOffsetAt(berlin, at(2026, 7, 15, 12, 0, 0) / 1000));
    /* 2026-03-29 01:00 UTC and 2026-10-25 01:00 UTC are the changes. */
    checkLL("one second before the March change", 3600,
            tzOffsetAt(berlin, at(2026, 3, 29, 1, 0, 0) / 1000 - 1));
    checkLL("at the March change", 7200, tzOffsetAt(berlin, at(2026, 3, 29, 1, 0, 0) / 1000));
    checkLL("at the October change", 3600, tzOffsetAt(berlin, at(2026, 10, 25, 1, 0, 0) / 1000));
    checkLL("after 2037 the footer rule gives summer time", 7200,
            tzOffsetAt(berlin, at(2045, 7, 1, 12, 0, 0) / 1000));
    checkLL("after 2037 the footer rule gives winter time", 3600,
            tzOffsetAt(berlin, at(2045, 12, 1, 12, 0, 0) / 1000));
    checkLL("footer rule: last Sunday of March 2045 (26th) 01:00 UTC", 7200,
            tzOffsetAt(berlin, at(2045, 3, 26, 1, 0, 0) / 1000));
    checkLL("footer rule: the hour before it", 3600,
            tzOffsetAt(berlin, at(2045, 3, 26, 1, 0, 0) / 1000 - 1));
    checkLL("Sydney January is +11h (southern summer)", 39600,
            tzOffsetAt(sydney, at(2026, 1, 15, 0, 0, 0) / 1000));
    checkLL("Sydney July is +10h", 36000, tzOffsetAt(sydney, at(2026, 7, 15, 0, 0, 0) / 1000));
    checkLL("Sydney after 2037, January", 39600,
            tzOffsetAt(sydney, at(2050, 1, 15, 0, 0, 0) / 1000));
    checkLL("New York summer is -4h", -14400, tzOffsetAt(ny, at(2026, 7, 1, 0, 0, 0) / 1000));
    checkLL("local 09:00 Berlin in July is 07:00 UTC", at(2026, 7, 1, 7, 0, 0) / 1000,
            tzLocalToUtc(berlin, (hdDaysFromCivil(2026, 7, 1) * 86400) + 9 * 3600));
    checkLL("a skipped local time maps to the change", at(2026, 3, 29, 1, 0, 0) / 1000,
            tzLocalToUtc(berlin, hdDaysFromCivil(2026, 3, 29) * 86400 + 2 * 3600 + 1800));
    checkLL("a repeated local time maps to its first occurrence",
            at(2026, 10, 25, 0, 30, 0) / 1000,
            tzLocalToUtc(berlin, hdDaysFromCivil(2026, 10, 25) * 86400 + 2 * 3600 + 1800));
    checkLL("UTC needs no file", 0, tzLoad(HD_ZONEINFO_DIR, "UTC", bad, err, sizeof(err)));
    checkLL("an unknown zone is refused", -1,
            tzLoad(HD_ZONEINFO_DIR, "Mars/Olympus", bad, err, sizeof(err)));
    checkLL("a path outside zoneinfo is refused", 0, tzNameValid("../etc/passwd"));
    checkLL("a hidden part is refused", 0, tzNameValid("Europe/.x"));
    checkLL("Etc/GMT+5 is a valid name", 1, tzNameValid("Etc/GMT+5"));
    checkLL("garbage is not a zone file", -1,
            tzParse((const unsigned char *)"TZif2 not really", 16, bad, err, sizeof(err)));
    free(bad);
}

static void testHoursParsing(void) {
    HdHours h;
    char err[160], out[256];
    int32_t days[8];
    int n;
    checkLL("two intervals and a Saturday parse", 0,
            hoursParse("mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00", &h, err, sizeof(err)));
    hoursFormat(&h, out, sizeof(out));
    checkStr("canonical form", "mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00", out);
    hoursParse("tue 13:00-17:00,08:00-12:00; mon 08:00-12:00,13:00-17:00; sun 00:00-24:00",
               &h, err, sizeof(err));
    hoursFormat(&h, out, sizeof(out));
    checkStr("intervals sorted, equal days joined", "mon-tue 08:00-12:00,13:00-17:00; "
             "sun 00:00-24:00", out);
    checkLL("overlap refused", -1, hoursParse("mon 09:00-12:00,11:00-13:00", &h, err, sizeof(err)));
    checkLL("bad day refused", -1, hoursParse("mnd 09:00-12:00", &h, err, sizeof(err)));
    checkLL("end before start refused", -1, hoursParse("mon 12:00-09:00", &h, err, sizeof(err)));
    checkLL("a day twice refused", -1,
            hoursParse("mon-fri 09:00-17:00; fri 10:00-11:00", &h, err, sizeof(err)));
    checkLL("empty refused", -1, hoursParse("  ", &h, err, sizeof(err)));
    checkLL("25:00 refused", -1, hoursParse("mon 09:00-25:00", &h, err, sizeof(err)));
    checkLL("holidays parse", 0, holidaysParse("2026-12-26, 2026-12-25 2026-12-25", days, 8,
                                               &n, err, sizeof(err)));
    holidaysFormat(days, n, out, sizeof(out));
    checkStr("holidays sorted and unique", "2026-12-25 2026-12-26", out);
    checkLL("Feb 30 refused", -1, holidaysParse("2026-02-30", days, 8, &n, err, sizeof(err)));
    checkLL("too many refused", -1, holidaysParse("2026-01-01 2026-01-02 2026-01-03", days, 2,
                                                  &n, err, sizeof(err)));
}

/* Zones whose offsets are not whole hours. */
static void testOddZones(void) {
    HdTz *kolkata = zone("Asia/Kolkata"), *lordhowe = zone("Australia/Lord_Howe");
    HdHours h;
    char err[160];
    if (!kolkata || !lordhowe) { free(kolkata); free(lordhowe); return; }
    checkLL("Kolkata is +5:30", 19800, tzOffsetAt(kolkata, at(2026, 6, 1, 0, 0, 0) / 1000));
    checkLL("Lord Howe summer is +11", 39600, tzOffsetAt(lordhowe, at(2026, 1, 15, 0, 0, 0) / 1000));
    checkLL("Lord Howe winter is +10:30", 37800, tzOffsetAt(lordhowe, at(2026, 7, 15, 0, 0, 0) / 1000));
    checkLL("Lord Howe after 2037 (30-minute DST from the footer)", 37800,
            tzOffsetAt(lordhowe, at(2045, 7, 15, 0, 0, 0) / 1000));
    hoursParse("mon-fri 09:00-17:00", &h, err, sizeof(err));
    HdCalendar c = { .business = 1, .tz = kolkata, .hours = &h };
    /* Fri 2026-01-02 16:30 IST = 11:00 UTC; + 4h = Mon 12:30 IST = 07:00 UTC. */
    checkLL("Kolkata Fri 16:30 + 4h = Mon 12:30 IST", at(2026, 1, 5, 7, 0, 0),
            calAdd(&c, at(2026, 1, 2, 11, 0, 0), 4 * 3600 * 1000LL));
    free(kolkata);
    free(lordhowe);
}

static void testBusinessTime(const HdTz *berlin) {
    HdHours plain, lunch;
    char err[160];
    int32_t hol[2];
    int nhol;
    long long h4 = 4 * 3600 * 1000LL;
    hoursParse("mon-fri 09:00-17:00", &plain, err, sizeof(err));
    hoursParse("mon-fri 09:00-12:00,13:00-17:00", &lunch, err, sizeof(err));
    HdCalendar c = { .business = 1, .tz = berlin, .hours = &plain };

    /* Friday 16:30 in Berlin + 4 business hours = Monday 12:30. */
    checkLL("Fri 16:30 + 4h (January) is Mon 12:30 CET", at(2026, 1, 5, 12, 30, 1),
            calAdd(&c, at(2026, 1, 2, 16, 30, 1), h4));
    checkLL("across the October change: Mon 12:30 CET", at(2026, 10, 26, 12, 30, 1),
            calAdd(&c, at(2026, 10, 23, 16, 30, 2), h4));
    checkLL("across the March change: Mon 12:30 CEST", at(2026, 3, 30, 12, 30, 2),
            calAdd(&c, at(2026, 3, 27, 16, 30, 1), h4));
    holidaysParse("2026-01-05", hol, 2, &nhol, err, sizeof(err));
    c.holidays = hol;
    c.nholidays = nhol;
    checkLL("over a Monday holiday: Tue 12:30", at(2026, 1, 6, 12, 30, 1),
            calAdd(&c, at(2026, 1, 2, 16, 30, 1), h4));
    c.nholidays = 0;
    c.hours = &lunch;
    checkLL("with a lunch break: Mon 13:30", at(2026, 1, 5, 13, 30, 1),
            calAdd(&c, at(2026, 1, 2, 16, 30, 1), h4));
    checkLL("started during lunch: counts from 13:00", at(2026, 1, 5, 14, 0, 1),
            calAdd(&c, at(2026, 1, 5, 12, 15, 1), 3600 * 1000LL));
    checkLL("elapsed Fri 16:30 -> Mon 13:30 with lunch is 4h", h4,
            calElapsed(&c, at(2026, 1, 2, 16, 30, 1), at(2026, 1, 5, 13, 30, 1)));
    checkLL("elapsed over a weekend only is 0", 0,
            calElapsed(&c, at(2026, 1, 3, 8, 0, 1), at(2026, 1, 4, 20, 0, 1)));
    checkLL("elapsed backwards is 0", 0,
            calElapsed(&c, at(2026, 1, 5, 13, 30, 1), at(2026, 1, 2, 16, 30, 1)));
    /* 40 business hours = one full week of 8h days. */
    c.hours = &plain;
    checkLL("Mon 09:00 + 40h ends Fri 17:00",
            at(2026, 1, 9, 17, 0, 1), calAdd(&c, at(2026, 1, 5, 9, 0, 1), 40 * 3600 * 1000LL));
    checkLL("calendar time ignores hours", at(2026, 1, 2, 20, 30, 1),
            calAdd(&(HdCalendar){ .business = 0 }, at(2026, 1, 2, 16, 30, 1), h4));
    HdHours none;
    memset(&none, 0, sizeof(none));
    checkLL("a calendar without hours never reaches the target", INT64_MAX,
            calAdd(&(HdCalendar){ .business = 1, .hours = &none }, 0, 1000));
    HdHours sunday;
    hoursParse("sun 00:00-24:00", &sunday, err, sizeof(err));
    HdCalendar sc = { .business = 1, .tz = berlin, .hours = &sunday };
    checkLL("the March Sunday has 23 business hours", 23 * 3600 * 1000LL,
            calElapsed(&sc, at(2026, 3, 28, 0, 0, 0), at(2026, 3, 30, 0, 0, 0)));
    checkLL("the October Sunday has 25", 25 * 3600 * 1000LL,
            calElapsed(&sc, at(2026, 10, 24, 0, 0, 0), at(2026, 10, 27, 0, 0, 0)));
    checkLL("24 business hours from that October midnight end at 23:00 local (CET)",
            at(2026, 10, 25, 23, 0, 1),
            calAdd(&sc, at(2026, 10, 25, 0, 0, 2), 24 * 3600 * 1000LL));
    checkLL("UTC calendar: Fri 16:30 UTC + 4h", at(2026, 1, 5, 12, 30, 0),
            calAdd(&(HdCalendar){ .business = 1, .hours = &plain }, at(2026, 1, 2, 16, 30, 0), h4));
}

int main(void) {
    HdTz *berlin = zone("Europe/Berlin"), *sydney = zone("Australia/Sydney"),
         *ny = zone("America/New_York");
    testCivil();
    testHoursParsing();
    testOddZones();
    if (berlin && sydney && ny) {
        testZones(berlin, sydney, ny);
        testBusinessTime(berlin);
    }
    free(berlin); free(sydney); free(ny);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
