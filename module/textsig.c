/* textsig.c -- the flood detector's text signature: words, shingles and a
 * bottom-k MinHash sketch (declared in hd_textsig.h). No Redis calls, so
 * tests/unit/test_textsig.c builds it alone.
 *
 * Each ticket's subject and the start of its body become a set of features:
 * words (ASCII case-folded, apostrophes joined, contractions and negations
 * mapped to one form, numbers to "#", lightly stemmed, common open compounds
 * such as "log in" joined to "login", function words dropped) and every pair
 * of adjacent kept words concatenated. The signature is the FLOOD_SKETCH_K
 * smallest 32-bit hashes of those features. Two sketches estimate the
 * Jaccard similarity of the feature sets (exactly, when both texts have
 * fewer than k features, as short subjects do); tickets are alike when it is
 * at least 1/2. "Server outage, cannot log in" and "server outage - can't
 * login!!" give the same set, while texts that share one or two words
 * ("Cannot log in to email" / "... to VPN", 3/7) stay apart. A text without
 * any content word has an empty sketch and is never alike anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hd_text.h"
#include "hd_textsig.h"

typedef struct Word {
    char s[TEXT_WORD_MAX + 1];
    int len;
    int stop;
} Word;

/* Function words carry no topic; they are dropped after compounds joined. */
static const char *stopWords[] = {
    "a", "an", "the", "and", "or", "but", "if", "then", "so", "as", "of", "to",
    "in", "on", "at", "by", "for", "with", "from", "into", "onto", "about",
    "after", "before", "since", "until", "while", "is", "are", "was", "were",
    "be", "been", "being", "am", "do", "does", "did", "doing", "has", "have",
    "had", "having", "can", "could", "would", "should", "will", "shall", "may",
    "might", "must", "i", "me", "my", "mine", "we", "us", "our", "you", "your",
    "he", "him", "his", "she", "her", "it", "its", "they", "them", "their",
    "this", "that", "these", "those", "there", "here", "what", "which", "who",
    "whom", "when", "where", "why", "how", "im", "ive", "youre", "thats",
    "theres", "whats", "lets", "just", "very", "too", "also", "again", "still",
    "all", "any", "some", "please", "hi", "hello", "hey", "dear", "thanks",
    "thank", "thx", "regards", "now", "get", "got", NULL
};

/* Spellings of one meaning (apostrophes already removed). */
static const char *variants[][2] = {
    {"cant", "cannot"}, {"couldnt", "cannot"}, {"unable", "cannot"},
    {"dont", "not"}, {"doesnt", "not"}, {"didnt", "not"}, {"isnt", "not"},
    {"arent", "not"}, {"wasnt", "not"}, {"werent", "not"}, {"wont", "not"},
    {"wouldnt", "not"}, {"shouldnt", "not"}, {"hasnt", "not"},
    {"havent", "not"}, {"hadnt", "not"}, {"aint", "not"}, {"no", "not"},
    {"never", "not"}, {"into", "in"}, {"onto", "on"}, {NULL, NULL}
};

/* Closed compounds that people also write open: the two words and the
 * closed form ("log in" / "log-in" / "logged in" -> "login"). Written as
 * words; wordTabBuild stems them (compoundStems) so they meet stemmed text
 * whatever the stemmer does. */
static const char *compounds[][3] = {
    {"log", "in", "login"}, {"log", "on", "logon"}, {"log", "out", "logout"},
    {"sign", "in", "signin"}, {"sign", "on", "signon"}, {"sign", "up", "signup"},
    {"sign", "out", "signout"}, {"set", "up", "setup"},
    {"check", "out", "checkout"}, {"start", "up", "startup"},
    {"shut", "down", "shutdown"}, {"back", "up", "backup"},
    {"lock", "out", "lockout"}, {"pop", "up", "popup"}, {"e", "mail", "email"},
    {"wi", "fi", "wifi"}, {"web", "site", "website"}, {"web", "page", "webpage"},
    {"home", "page", "homepage"}, {"user", "name", "username"},
    {"pass", "word", "password"}, {"drop", "down", "dropdown"},
    {"on", "line", "online"}, {"off", "line", "offline"}, {"can", "not", "cannot"},
    {NULL, NULL, NULL}
};
#define NCOMPOUNDS (sizeof(compounds) / sizeof(compounds[0]))

/* compounds[] through textStem, filled by wordTabBuild. */
static char compoundStems[NCOMPOUNDS][3][TEXT_WORD_MAX + 1];
static int compoundLen[NCOMPOUNDS][3];

static int inList(const char **list, const char *s) {
    for (; *list; list++) if (!strcmp(*list, s)) return 1;
    return 0;
}

static void stem(Word *w) {
    w->len = (int)textStem(w->s, (size_t)w->len);
    w->s[w->len] = '\0';
}

/* The word lists above as hash tables, built once: a word's variant and
 * stop flag, and the first compound starting with a stem, in one probe
 * each instead of a scan of every list per word. Same answers as the scans
 * (they are computed by them). */
#define WORDTAB_SIZE 512            /* power of two, > 2x the words listed */

typedef struct WordSlot {
    const char *word;               /* NULL: free */
    int len;
    const char *variant;            /* normalizeWord: replacement, or NULL */
    int stop;                       /* normalizeWord: stop word (after the variant) */
    int compound;                   /* pushWord: first compounds[] row starting with it, or -1 */
} WordSlot;

static WordSlot wordTab[WORDTAB_SIZE];
static int wordTabReady;

static WordSlot *wordSlot(const char *s, int len, int insert) {
    for (uint32_t i = textHash(s, (size_t)len) & (WORDTAB_SIZE - 1);; i = (i + 1) & (WORDTAB_SIZE - 1)) {
        WordSlot *w = &wordTab[i];
        if (!w->word) {
            if (!insert) return NULL;
            w->word = s;
            w->len = len;
            w->compound = -1;
            return w;
        }
        if (w->len == len && !memcmp(w->word, s, (size_t)len)) return w;
    }
}

static void wordTabBuild(void) {
    for (int i = 0; variants[i][0]; i++) {
        WordSlot *w = wordSlot(variants[i][0], (int)strlen(variants[i][0]), 1);
        if (!w->variant) w->variant = variants[i][1];   /* the scan takes the first */
    }
    for (int i = 0; stopWords[i]; i++) wordSlot(stopWords[i], (int)strlen(stopWords[i]), 1);
    for (int i = 0; compounds[i][0]; i++) {
        for (int k = 0; k < 3; k++) {
            size_t n = strlen(compounds[i][k]);
            memcpy(compoundStems[i][k], compounds[i][k], n + 1);
            compoundLen[i][k] = (int)textStem(compoundStems[i][k], n);
            compoundStems[i][k][compoundLen[i][k]] = '\0';
        }
        WordSlot *w = wordSlot(compoundStems[i][0], compoundLen[i][0], 1);
        if (w->compound < 0) w->compound = i;
    }
    for (int i = 0; i < WORDTAB_SIZE; i++)
        if (wordTab[i].word)
            wordTab[i].stop = inList(stopWords, wordTab[i].variant ? wordTab[i].variant
                                                                  : wordTab[i].word);
    wordTabReady = 1;
}

static void normalizeWord(Word *w) {
    for (int i = 0; i < w->len; i++) {
        if (w->s[i] >= '0' && w->s[i] <= '9') {   /* ids, counts, codes */
            strcpy(w->s, "#");
            w->len = 1;
            w->stop = 0;
            return;
        }
    }
    const WordSlot *ws = wordSlot(w->s, w->len, 0);
    if (ws && ws->variant) {
        strcpy(w->s, ws->variant);
        w->len = (int)strlen(w->s);
    }
    w->stop = ws ? ws->stop : 0;
    if (!w->stop) stem(w);
}

static uint32_t featureHash(const char *a, int alen, const char *b, int blen) {
    uint64_t h = 1469598103934665603ULL;         /* FNV-1a, then a 64-bit mix */
    for (int i = 0; i < alen; i++) { h ^= (unsigned char)a[i]; h *= 1099511628211ULL; }
    for (int i = 0; i < blen; i++) { h ^= (unsigned char)b[i]; h *= 1099511628211ULL; }
    h ^= h >> 33; h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return (uint32_t)(h >> 32);
}

static void sketchAdd(Sketch *sk, uint32_t h) {
    int i = sk->n;
    while (i > 0 && sk->h[i - 1] > h) i--;
    if ((i > 0 && sk->h[i - 1] == h) || i >= FLOOD_SKETCH_K) return;
    int keep = sk->n < FLOOD_SKETCH_K ? sk->n : FLOOD_SKETCH_K - 1;
    memmove(&sk->h[i + 1], &sk->h[i], (size_t)(keep - i) * sizeof(uint32_t));
    sk->h[i] = h;
    if (sk->n < FLOOD_SKETCH_K) sk->n++;
}

/* The word stream: a one-word look-ahead joins compounds, then kept words
 * add themselves and the pair with the previous kept word. */
typedef struct Shingler {
    Sketch *sk;
    Word pending, prev;
    int has_pending, has_prev;
} Shingler;

static void emitWord(Shingler *sh, const Word *w) {
    if (w->stop) return;
    sketchAdd(sh->sk, featureHash(w->s, w->len, "", 0));
    if (sh->has_prev)
        sketchAdd(sh->sk, featureHash(sh->prev.s, sh->prev.len, w->s, w->len));
    sh->prev = *w;
    sh->has_prev = 1;
}

static void pushWord(Shingler *sh, const Word *w) {
    if (sh->has_pending) {
        const WordSlot *ws = wordSlot(sh->pending.s, sh->pending.len, 0);
        for (int i = ws ? ws->compound : -1; i >= 0 && compounds[i][0]; i++) {
            if (!strcmp(sh->pending.s, compoundStems[i][0]) &&
                !strcmp(w->s, compoundStems[i][1])) {
                Word c = { .len = compoundLen[i][2], .stop = 0 };
                memcpy(c.s, compoundStems[i][2], (size_t)c.len + 1);
                emitWord(sh, &c);
                sh->has_pending = 0;
                return;
            }
        }
        emitWord(sh, &sh->pending);
    }
    sh->pending = *w;
    sh->has_pending = 1;
}

/* Splits into words (text.c's reading: ASCII case-folded, apostrophes
 * joined, punctuation and other ASCII separating) and feeds them on. */
static void shingleText(Shingler *sh, const char *text, size_t len) {
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        TextWord tw;
        Word w;
        while (i < len && !textWordAt(p + i, len - i)) {
            size_t sep = textPunctLen(p + i, len - i);
            i += sep ? sep : 1;
        }
        if (i >= len) break;
        i = textReadWord(text, len, i, &tw);
        memcpy(w.s, tw.w, tw.len + 1);
        w.len = (int)tw.len;
        w.stop = 0;
        normalizeWord(&w);
        pushWord(sh, &w);
    }
}

void textSketch(const char *subject, size_t slen, const char *body, size_t blen, Sketch *sk) {
    Shingler sh = { .sk = sk };

    if (!wordTabReady) wordTabBuild();
    sk->n = 0;
    shingleText(&sh, subject, slen);
    if (body) shingleText(&sh, body, blen > FLOOD_BODY_MAX ? FLOOD_BODY_MAX : blen);
    if (sh.has_pending) emitWord(&sh, &sh.pending);
}

/* Estimated Jaccard similarity >= 1/2: of the k smallest hashes of the
 * union, at least half are in both sketches. */
int sketchHashesAlike(const uint32_t *a, int na, const uint32_t *b, int nb) {
    int i = 0, j = 0, uni = 0, both = 0;
    if (na <= 0 || nb <= 0) return 0;
    while (uni < FLOOD_SKETCH_K && (i < na || j < nb)) {
        if (j >= nb || (i < na && a[i] < b[j])) i++;
        else if (i >= na || b[j] < a[i]) j++;
        else { both++; i++; j++; }
        uni++;
    }
    return 2 * both >= uni;
}

int sketchAlike(const Sketch *a, const Sketch *b) {
    return sketchHashesAlike(a->h, a->n, b->h, b->n);
}

static const char hexDigits[] = "0123456789abcdef";

/* 8 lower-case hex digits per hash; out has room for 8k+1 bytes. */
size_t sketchToHex(const Sketch *sk, char *out) {
    size_t o = 0;
    for (int i = 0; i < sk->n; i++) {
        uint32_t h = sk->h[i];
        for (int shift = 24; shift >= 0; shift -= 8) {
            unsigned b = (h >> shift) & 255;
            out[o++] = hexDigits[b >> 4];
            out[o++] = hexDigits[b & 15];
        }
    }
    out[o] = '\0';
    return o;
}

static int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Returns 0 on anything that is not a sketch this file wrote. */
int sketchFromHex(const char *s, size_t len, Sketch *sk) {
    if (len % 8 || len / 8 > FLOOD_SKETCH_K) return 0;
    sk->n = (int)(len / 8);
    for (int i = 0; i < sk->n; i++) {
        uint32_t h = 0;
        for (int d = 0; d < 8; d++) {
            int v = hexValue(s[i * 8 + d]);
            if (v < 0) return 0;
            h = (h << 4) | (uint32_t)v;
        }
        if (i > 0 && h <= sk->h[i - 1]) return 0;
        sk->h[i] = h;
    }
    return 1;
}