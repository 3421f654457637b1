/* hd_text.h -- the one tokeniser, normaliser and stemmer of the module
 * (module/text.c), shared by the classifier (classify.c) and the flood
 * signature (textsig.c).
 *
 * Pure functions: no Redis calls, no allocation, so tests/unit/test_text.c
 * builds them on their own. */
#ifndef HD_TEXT_H
#define HD_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define TEXT_WORD_MAX 32        /* bytes kept of a word (cut on a character boundary) */

/* A byte that can be part of a word: ASCII letters and digits, and every
 * byte >= 0x80 (so a UTF-8 character is never split). */
int textIsWordByte(unsigned char c);
/* Bytes of a Unicode punctuation or space character at s, else 0: no-break
 * space, guillemets and the General Punctuation block U+2000..U+206F
 * (spaces, dashes, curly quotes, bullets, ellipsis). */
size_t textPunctLen(const unsigned char *s, size_t left);
/* A word can start at s: a word byte that is not punctuation. */
int textWordAt(const unsigned char *s, size_t left);
/* Bytes of the UTF-8 sequence a lead byte announces (1 for anything else). */
size_t textUtf8SeqLen(unsigned char c);
int textEndsWith(const char *w, size_t n, const char *suffix);
/* FNV-1a of n bytes: the word tables' hash (classify.c, textsig.c). */
uint32_t textHash(const char *s, size_t n);

/* One word as read from a text. */
typedef struct TextWord {
    char w[TEXT_WORD_MAX + 1];      /* ASCII lower-cased, NUL-terminated */
    size_t len;
    int upper, lower, other;        /* ASCII capitals, small letters, anything else read */
} TextWord;

/* Reads the word that starts at s[i] (textWordAt must hold there) into w
 * and returns the index after it. ASCII letters are case folded; an
 * apostrophe (' or U+2019) between word characters joins ("can't", "can’t"
 * -> "cant"); bytes past TEXT_WORD_MAX are dropped. */
size_t textReadWord(const char *s, size_t len, size_t i, TextWord *w);

/* Light suffix stripping in place of a word as textReadWord gives it
 * (words with digits are left alone): plurals, -ing, -ed, -ly, a doubled
 * consonant, a final e. y is a vowel (Porter's): "crying" -> "cry".
 * It only has to be consistent, not linguistically right: the lexicon and
 * the flood compounds go through it too. Returns the new length. */
size_t textStem(char *w, size_t n);

#endif
