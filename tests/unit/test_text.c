/* test_text.c -- unit tests of the shared tokeniser and stemmer
 * (module/text.c, no Redis). Built and run by tests/test_text.sh. Prints one
 * line per check and "N passed, N failed" last. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hd_text.h"

static int passed, failed;

static void checkStr(const char *name, const char *want, const char *got) {
    if (!strcmp(want, got)) { passed++; printf("ok - %s\n", name); }
    else { failed++; printf("FAIL - %s: expected '%s' got '%s'\n", name, want, got); }
}

static void checkInt(const char *name, long long want, long long got) {
    if (want == got) { passed++; printf("ok - %s\n", name); }
    else { failed++; printf("FAIL - %s: expected %lld got %lld\n", name, want, got); }
}

static const char *stemOf(const char *word) {
    static char buf[TEXT_WORD_MAX + 1];
    size_t n = strlen(word);
    memcpy(buf, word, n + 1);
    n = textStem(buf, n);
    buf[n] = '\0';
    return buf;
}

/* The words of s, stemmed, joined by '|' (the two callers' reading). */
static const char *words(const char *s) {
    static char out[512];
    size_t len = strlen(s), i = 0, o = 0;
    const unsigned char *p = (const unsigned char *)s;
    out[0] = '\0';
    while (i < len) {
        if (!textWordAt(p + i, len - i)) {
            size_t pl = textPunctLen(p + i, len - i);
            i += pl ? pl : 1;
            continue;
        }
        TextWord w;
        i = textReadWord(s, len, i, &w);
        w.len = textStem(w.w, w.len);
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.*s", o ? "|" : "", (int)w.len, w.w);
    }
    return out;
}

static void testStem(void) {
    static const char *cases[][2] = {
        /* plurals */
        {"charges", "charg"}, {"charge", "charg"}, {"invoices", "invoic"},
        {"addresses", "address"}, {"parties", "party"}, {"boxes", "box"},
        {"watches", "watch"}, {"crashes", "crash"}, {"cases", "case"}, {"case", "case"},
        {"sizes", "size"}, {"status", "status"}, {"this", "this"}, {"class", "class"},
        /* -ing, -ed, -ly, doubled consonants */
        {"charging", "charg"}, {"charged", "charg"}, {"shipped", "ship"},
        {"shipping", "ship"}, {"logged", "log"}, {"billed", "bill"}, {"agreed", "agreed"},
        {"quickly", "quick"}, {"reply", "reply"}, {"simply", "simply"}, {"daily", "daily"},
        /* a vowel must stay; y counts as one */
        {"string", "string"}, {"strings", "string"}, {"crying", "cry"}, {"flying", "fly"},
        /* a final e, short words, what is not a plain word */
        {"website", "websit"}, {"site", "site"}, {"page", "page"}, {"bus", "bus"},
        {"mp3s", "mp3s"}, {"24h", "24h"},
        /* non-ASCII letters are stemmed, never split */
        {"caf\xc3\xa9s", "caf\xc3\xa9"}, {"st\xc3\xb6rung", "st\xc3\xb6rung"},
    };
    char name[96];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(name, sizeof(name), "stem %s", cases[i][0]);
        checkStr(name, cases[i][1], stemOf(cases[i][0]));
    }
}

static void testRead(void) {
    checkStr("case folding, ASCII punctuation separates", "server|outag|cannot|log|in",
             words("Server OUTAGE, cannot log-in!!"));
    checkStr("apostrophes join: ' and U+2019", "dont|cant",
             words("don't can\xe2\x80\x99t"));
    checkStr("a trailing or doubled apostrophe does not join", "user|s|it",
             words("users' s it''"));
    checkStr("General Punctuation separates (dashes, bullets, ellipsis)", "a|b|c|d",
             words("a\xe2\x80\x94" "b\xe2\x80\xa2" "c\xe2\x80\xa6" "d"));
    checkStr("no-break space and guillemets separate", "checkout|button",
             words("\xc2\xab" "Checkout\xc2\xbb\xc2\xa0" "button"));
    checkStr("other UTF-8 stays inside words", "st\xc3\xb6rung|\xe2\x82\xac" "5",
             words("St\xc3\xb6rung \xe2\x82\xac" "5"));

    TextWord w;
    const char *s = "Hello-WORLD";
    size_t end = textReadWord(s, strlen(s), 0, &w);
    checkInt("a word ends at a separator", 5, (long long)end);
    checkInt("capitals counted", 1, w.upper);
    checkInt("small letters counted", 4, w.lower);
    end = textReadWord(s, strlen(s), 6, &w);
    checkInt("WORLD: 5 capitals", 5, w.upper);
    checkStr("WORLD: case folded", "world", w.w);

    char longw[80];
    memset(longw, 'a', 31);
    memcpy(longw + 31, "\xc3\xa9\xc3\xa9", 4);      /* the 32nd byte starts an é */
    longw[35] = '\0';
    end = textReadWord(longw, strlen(longw), 0, &w);
    checkInt("a long word is read to its end", 35, (long long)end);
    checkInt("... kept to TEXT_WORD_MAX, cut before a split character", 31, (long long)w.len);
    checkInt("non-ASCII bytes counted as other", 4, w.other);
}

static void testBytes(void) {
    checkInt("a letter is a word byte", 1, textIsWordByte('q'));
    checkInt("a digit is a word byte", 1, textIsWordByte('7'));
    checkInt("a dash is not", 0, textIsWordByte('-'));
    checkInt("UTF-8 bytes are", 1, textIsWordByte(0xC3));
    checkInt("U+2019 is punctuation (3 bytes)", 3,
             (long long)textPunctLen((const unsigned char *)"\xe2\x80\x99", 3));
    checkInt("U+206F is punctuation", 3,
             (long long)textPunctLen((const unsigned char *)"\xe2\x81\xaf", 3));
    checkInt("U+2070 is not", 0,
             (long long)textPunctLen((const unsigned char *)"\xe2\x81\xb0", 3));
    checkInt("a cut sequence is not read past its end", 0,
             (long long)textPunctLen((const unsigned char *)"\xe2\x80", 2));
    checkInt("UTF-8 lead byte of 4", 4, (long long)textUtf8SeqLen(0xF0));
    checkInt("UTF-8 lead byte of 2", 2, (long long)textUtf8SeqLen(0xC3));
    checkInt("ASCII", 1, (long long)textUtf8SeqLen('a'));
    checkInt("endsWith", 1, textEndsWith("charging", 8, "ing"));
    checkInt("endsWith, too short", 0, textEndsWith("in", 2, "ing"));
}

int main(void) {
    testStem();
    testRead();
    testBytes();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
