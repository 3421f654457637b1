/* text.c -- the module's one tokeniser, normaliser and stemmer (hd_text.h).
 *
 * The classifier (classify.c) and the flood signature (textsig.c) read words
 * the same way and stem them the same way, so "charges" means the same to
 * both and a fix here fixes both. What they do with the words differs and
 * stays with them: sentences, capitals and the lexicon in classify.c;
 * variants, stop words, numbers and compounds in textsig.c.
 *
 * No Redis calls: tests/unit/test_text.c builds this file alone. */
#include <string.h>
#include "hd_text.h"

int textIsWordByte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c >= 0x80;
}

size_t textPunctLen(const unsigned char *s, size_t left) {
    if (left >= 2 && s[0] == 0xC2 && (s[1] == 0xA0 || s[1] == 0xAB || s[1] == 0xBB))
        return 2;
    /* U+2000..U+203F is E2 80 xx, U+2040..U+206F is E2 81 80..AF */
    if (left >= 3 && s[0] == 0xE2 && (s[1] == 0x80 || (s[1] == 0x81 && s[2] <= 0xAF)))
        return 3;
    return 0;
}

int textWordAt(const unsigned char *s, size_t left) {
    return textIsWordByte(s[0]) && !textPunctLen(s, left);
}

size_t textUtf8SeqLen(unsigned char c) {
    if (c >= 0xF0 && c <= 0xF7) return 4;
    if (c >= 0xE0) return c <= 0xEF ? 3 : 1;
    if (c >= 0xC0) return 2;
    return 1;
}

int textEndsWith(const char *w, size_t n, const char *suffix) {
    size_t k = strlen(suffix);
    return n >= k && memcmp(w + n - k, suffix, k) == 0;
}

uint32_t textHash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 16777619u; }
    return h;
}

/* Bytes of an apostrophe at s (' or U+2019), else 0. */
static size_t apostropheLen(const unsigned char *s, size_t left) {
    if (s[0] == '\'') return 1;
    if (left >= 3 && s[0] == 0xE2 && s[1] == 0x80 && s[2] == 0x99) return 3;
    return 0;
}

/* A word cut at TEXT_WORD_MAX must not end inside a character. */
static size_t utf8TrimCut(const char *w, size_t n) {
    size_t p = n;
    while (p > 0 && ((unsigned char)w[p - 1] & 0xC0) == 0x80) p--;
    if (p == 0) return n;
    if (p - 1 + textUtf8SeqLen((unsigned char)w[p - 1]) > n) return p - 1;
    return n;
}

size_t textReadWord(const char *str, size_t len, size_t i, TextWord *w) {
    const unsigned char *s = (const unsigned char *)str;
    size_t n = 0, al;
    int cut = 0;

    w->upper = w->lower = w->other = 0;
    while (i < len) {
        unsigned char c = s[i];
        /* Only ' and a byte 0xE2 can start an apostrophe; an ASCII byte is
         * never Unicode punctuation (the hot path: one test per letter). */
        if ((c == '\'' || c == 0xE2) && n > 0 && (al = apostropheLen(s + i, len - i)) > 0 &&
            i + al < len && textWordAt(s + i + al, len - i - al)) {
            i += al;
            continue;
        }
        if (c < 0x80 ? !textIsWordByte(c) : textPunctLen(s + i, len - i) > 0) break;
        if (c >= 'A' && c <= 'Z') { w->upper++; c = (unsigned char)(c + 32); }
        else if (c >= 'a' && c <= 'z') w->lower++;
        else w->other++;
        if (n < TEXT_WORD_MAX) w->w[n++] = (char)c;
        else cut = 1;
        i++;
    }
    if (cut) n = utf8TrimCut(w->w, n);
    w->w[n] = '\0';
    w->len = n;
    return i;
}

/* y counts as a vowel: "cry" has one, so "crying" -> "cry". */
static int isVowel(char c) {
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

static int hasVowel(const char *w, size_t n) {
    for (size_t i = 0; i < n; i++) if (isVowel(w[i])) return 1;
    return 0;
}

/* Drops the last letter of a doubled consonant: "shipp" -> "ship" (ASCII
 * only: equal bytes at the end of a UTF-8 character are not a letter). */
static size_t undouble(const char *w, size_t n) {
    if (n >= 3 && w[n - 1] == w[n - 2] && (unsigned char)w[n - 1] < 0x80 && !isVowel(w[n - 1]) &&
        w[n - 1] != 'l' && w[n - 1] != 's' && w[n - 1] != 'z')
        return n - 1;
    return n;
}

/* textEndsWith for a literal suffix: its length is known at compile time. */
#define ENDS(w, n, lit) ((n) >= sizeof(lit) - 1 && \
                         memcmp((w) + (n) - (sizeof(lit) - 1), lit, sizeof(lit) - 1) == 0)

size_t textStem(char *w, size_t n) {
    if (n <= 3) return n;
    /* digits (ids, "mp3s") and ASCII punctuation are not words to stem;
     * non-ASCII letters are: "cafés" -> "café" */
    for (size_t i = 0; i < n; i++)
        if ((w[i] < 'a' || w[i] > 'z') && (unsigned char)w[i] < 0x80) return n;
    if (n > 4 && ENDS(w, n, "ies")) { n -= 2; w[n - 1] = 'y'; }
    else if (ENDS(w, n, "sses")) n -= 2;
    /* -es after x, ch, sh belongs to the plural: "boxes", "watches" ->
     * "box", "watch" (not after s or z: "cases", "sizes" must meet "case",
     * "size", which keep their final e) */
    else if ((n > 4 && ENDS(w, n, "xes")) ||
             (n > 5 && (ENDS(w, n, "ches") || ENDS(w, n, "shes")))) n -= 2;
    else if (w[n - 1] == 's' && !ENDS(w, n, "ss") && !ENDS(w, n, "us") &&
             !ENDS(w, n, "is")) n -= 1;

    /* -ing and -ed only when a vowel stays: "string", "shed" keep theirs */
    if (n > 5 && ENDS(w, n, "ing") && hasVowel(w, n - 3)) n = undouble(w, n - 3);
    else if (n > 4 && ENDS(w, n, "ed") && !ENDS(w, n, "eed") &&
             hasVowel(w, n - 2)) n = undouble(w, n - 2);
    else if (n > 5 && ENDS(w, n, "ly") && w[n - 3] != 'i' && w[n - 3] != 'p') n -= 2;

    if (n > 4 && w[n - 1] == 'e') n--;
    w[n] = '\0';
    return n;
}
