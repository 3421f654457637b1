/* test_textsig.c -- unit tests of the flood signature (module/textsig.c, no
 * Redis). Built and run by tests/test_textsig.sh. Prints one line per check
 * and "N passed, N failed" last. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hd_textsig.h"

static int passed, failed;

static void check(const char *name, int ok) {
    if (ok) { passed++; printf("ok - %s\n", name); }
    else { failed++; printf("FAIL - %s\n", name); }
}

static void checkInt(const char *name, long long want, long long got) {
    if (want == got) { passed++; printf("ok - %s\n", name); }
    else { failed++; printf("FAIL - %s: expected %lld got %lld\n", name, want, got); }
}

static Sketch sketchOf(const char *subject, const char *body) {
    Sketch sk;
    textSketch(subject, strlen(subject), body, body ? strlen(body) : 0, &sk);
    return sk;
}

static int alike(const char *a, const char *b) {
    Sketch x = sketchOf(a, NULL), y = sketchOf(b, NULL);
    return sketchAlike(&x, &y);
}

static int sameSketch(const Sketch *a, const Sketch *b) {
    return a->n == b->n && !memcmp(a->h, b->h, (size_t)a->n * sizeof(a->h[0]));
}

static void testAlike(void) {
    static const char *pairs[][2] = {
        {"Server outage, cannot log in", "server outage - can't login!!"},
        {"Payment failed at checkout", "payment failing on check out"},
        {"Cannot connect to the wifi", "can't connect to wi-fi"},
        {"Order #1234 charged twice", "order #5678 was charged twice"},
        {"App crashes on startup", "the app crashed at start up"},
        {"Server outage\xe2\x80\x94" "cannot log in", "server outage \xe2\x80\x93 can\xe2\x80\x99t log in\xe2\x80\xa6"},
    };
    static const char *apart[][2] = {
        {"Cannot log in to email", "Cannot log in to VPN"},
        {"Login page has a typo", "Login page not loading"},
        {"Printer is out of toner", "Invoice amount is wrong"},
    };
    char name[160];
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        snprintf(name, sizeof(name), "alike: '%s' ~ '%s'", pairs[i][0], pairs[i][1]);
        check(name, alike(pairs[i][0], pairs[i][1]));
    }
    for (size_t i = 0; i < sizeof(apart) / sizeof(apart[0]); i++) {
        snprintf(name, sizeof(name), "apart: '%s' / '%s'", apart[i][0], apart[i][1]);
        check(name, !alike(apart[i][0], apart[i][1]));
    }
    Sketch a = sketchOf("Server outage, cannot log in", NULL);
    Sketch b = sketchOf("SERVER OUTAGE -- CANNOT LOG IN", NULL);
    check("case and punctuation give the same sketch", sameSketch(&a, &b));
}

static void testEmpty(void) {
    Sketch e = sketchOf("It is what it is, and that is that!", NULL), x = sketchOf("hi", NULL);
    checkInt("only stop words: empty sketch", 0, e.n);
    checkInt("a greeting alone: empty sketch", 0, x.n);
    check("an empty sketch is alike nothing, not even itself", !sketchAlike(&e, &e));
    Sketch s = sketchOf("", "");
    checkInt("empty subject and body: empty sketch", 0, s.n);
}

static void testShape(void) {
    /* 3 content words -> 3 words + 2 pairs */
    Sketch s = sketchOf("printer toner empty", NULL);
    checkInt("three content words: five features", 5, s.n);
    int ascending = 1;
    for (int i = 1; i < s.n; i++) if (s.h[i] <= s.h[i - 1]) ascending = 0;
    check("hashes ascending and distinct", ascending);

    char big[8192];
    size_t o = 0;
    for (int i = 0; o + 16 < sizeof(big); i++) o += (size_t)snprintf(big + o, sizeof(big) - o, "w%c%c ", 'a' + i % 26, 'a' + (i / 26) % 26);
    Sketch k = sketchOf("long", big);
    checkInt("a long text keeps FLOOD_SKETCH_K hashes", FLOOD_SKETCH_K, k.n);

    /* bytes past FLOOD_BODY_MAX do not take part */
    char body[FLOOD_BODY_MAX + 64];
    memset(body, ' ', sizeof(body));
    memcpy(body, "printer toner", 13);
    memcpy(body + FLOOD_BODY_MAX + 4, "invoice refund", 14);
    body[sizeof(body) - 1] = '\0';
    Sketch cut = sketchOf("help", body), plain = sketchOf("help", "printer toner");
    check("the body is read up to FLOOD_BODY_MAX bytes", sameSketch(&cut, &plain));
}

static void testHex(void) {
    Sketch s = sketchOf("Payment failed at checkout", NULL), back;
    char hex[FLOOD_SKETCH_K * 8 + 1];
    size_t n = sketchToHex(&s, hex);
    checkInt("hex: 8 digits per hash", (long long)s.n * 8, (long long)n);
    checkInt("hex: NUL-terminated", (long long)n, (long long)strlen(hex));
    check("hex round trip", sketchFromHex(hex, n, &back) && sameSketch(&s, &back));
    check("hex: a length not a multiple of 8 is refused", !sketchFromHex(hex, n - 1, &back));
    hex[3] = 'G';
    check("hex: a non-hex digit is refused", !sketchFromHex(hex, n, &back));
    check("hex: descending hashes are refused", !sketchFromHex("0000000200000001", 16, &back));
    check("hex: upper case is refused (this file writes lower case)",
          !sketchFromHex("0000000A", 8, &back));
    check("hex: empty is an empty sketch", sketchFromHex("", 0, &back) && back.n == 0);
}

int main(void) {
    testAlike();
    testEmpty();
    testShape();
    testHex();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
