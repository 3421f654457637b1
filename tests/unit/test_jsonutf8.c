/* test_jsonutf8.c -- unit tests of jsonUtf8Clean (module/jsonutf8.c, no
 * Redis): the UTF-8 cleaning the alert messages and the gateway's replies
 * share. Built and run by tests/test_jsonutf8.sh. Prints one line per check
 * and "N passed, N failed" last. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hd_jsonutf8.h"

#define FFFD "\xEF\xBF\xBD"

static int passed, failed;

static void check(const char *name, int ok, const char *detail) {
    if (ok) { passed++; printf("ok - %s\n", name); }
    else { failed++; printf("FAIL - %s%s%s\n", name, detail ? ": " : "", detail ? detail : ""); }
}

/* Cleans in (inlen bytes) and compares with want (wantlen bytes). */
static void checkClean(const char *name, const char *in, size_t inlen, int flags,
                       const char *want, size_t wantlen) {
    char out[256], hex[600];
    size_t n = jsonUtf8Clean(in, inlen, out, flags), o = 0;
    int ok = n == wantlen && !memcmp(out, want, n);
    if (!ok) {
        o += snprintf(hex, sizeof(hex), "got %zu bytes", n);
        for (size_t i = 0; i < n && o + 4 < sizeof(hex); i++)
            o += snprintf(hex + o, sizeof(hex) - o, " %02x", (unsigned char)out[i]);
    }
    check(name, ok, ok ? NULL : hex);
}
#define CLEAN(name, in, flags, want) \
    checkClean(name, in, sizeof(in) - 1, flags, want, sizeof(want) - 1)

/* Reference: decodes every sequence to its code point and checks the
 * shortest form, surrogates and the U+10FFFF limit (RFC 3629), written
 * independently of the byte-range table jsonutf8.c uses. */
static int refValid(const unsigned char *s, size_t len) {
    static const unsigned min[4] = { 0, 0x80, 0x800, 0x10000 };
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i], cp, n;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
        else return 0;
        if (i + n >= len) return 0;         /* cut short */
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += n + 1;
    }
    return 1;
}

/* Every string of len bytes over alphabet: the output is valid, and equals
 * the input exactly when the input is valid. Returns how many strings broke
 * that (0 expected). */
static long exhaustive(const unsigned char *alphabet, size_t na, size_t len) {
    unsigned char in[4], out[12];
    size_t idx[4] = { 0 };
    long bad = 0;
    for (;;) {
        for (size_t k = 0; k < len; k++) in[k] = alphabet[idx[k]];
        size_t n = jsonUtf8Clean((const char *)in, len, (char *)out, JSON_UTF8_KEEP_NUL);
        int same = n == len && !memcmp(in, out, len);
        if (n > JSON_UTF8_CLEAN_MAX(len) || !refValid(out, n) || same != refValid(in, len))
            bad++;
        size_t k = 0;
        while (k < len && ++idx[k] == na) idx[k++] = 0;
        if (k == len) return bad;
    }
}

int main(void) {
    char out[8], detail[64];
    static unsigned char all[256];
    static const unsigned char edges[] = {
        0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
        0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF
    };

    CLEAN("ASCII is copied", "Printer on fire!", 0, "Printer on fire!");
    CLEAN("2, 3 and 4-byte characters are kept", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 0,
          "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    CLEAN("a stray continuation byte becomes U+FFFD", "a\x80z", 0, "a" FFFD "z");
    CLEAN("a sequence cut at the end: one U+FFFD per byte", "x\xE2\x82", 0, "x" FFFD FFFD);
    CLEAN("a lead byte followed by ASCII", "\xC3(", 0, FFFD "(");
    CLEAN("overlong 2-byte form (C0 AF)", "\xC0\xAF", 0, FFFD FFFD);
    CLEAN("overlong 3-byte form (E0 9F BF)", "\xE0\x9F\xBF", 0, FFFD FFFD FFFD);
    CLEAN("shortest 3-byte form U+0800 is kept", "\xE0\xA0\x80", 0, "\xE0\xA0\x80");
    CLEAN("overlong 4-byte form (F0 8F BF BF)", "\xF0\x8F\xBF\xBF", 0, FFFD FFFD FFFD FFFD);
    CLEAN("a surrogate (ED A0 80) becomes U+FFFD per byte", "\xED\xA0\x80", 0, FFFD FFFD FFFD);
    CLEAN("U+D7FF, just below the surrogates, is kept", "\xED\x9F\xBF", 0, "\xED\x9F\xBF");
    CLEAN("U+10FFFF is kept", "\xF4\x8F\xBF\xBF", 0, "\xF4\x8F\xBF\xBF");
    CLEAN("above U+10FFFF (F4 90 80 80)", "\xF4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD);
    CLEAN("F5 and FF never start a character", "\xF5\xFF", 0, FFFD FFFD);
    CLEAN("U+FFFD itself is kept", FFFD, 0, FFFD);
    CLEAN("NUL becomes U+FFFD without JSON_UTF8_KEEP_NUL", "a\0b", 0, "a" FFFD "b");
    CLEAN("NUL is kept with JSON_UTF8_KEEP_NUL", "a\0b", JSON_UTF8_KEEP_NUL, "a\0b");
    check("empty input writes nothing", jsonUtf8Clean("", 0, out, 0) == 0, NULL);

    for (int i = 0; i < 256; i++) all[i] = (unsigned char)i;
    long bad = exhaustive(all, 256, 1) + exhaustive(all, 256, 2);
    snprintf(detail, sizeof(detail), "%ld strings", bad);
    check("every 1 and 2-byte string: valid output, unchanged exactly when valid", bad == 0,
          detail);
    bad = exhaustive(edges, sizeof(edges), 3) + exhaustive(edges, sizeof(edges), 4);
    snprintf(detail, sizeof(detail), "%ld strings", bad);
    check("every 3 and 4-byte string of boundary bytes: the same", bad == 0, detail);

    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
