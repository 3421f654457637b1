/* flood.c -- flash floods: near-duplicate detection, master incidents and
 * merging (automatic and TICKET.MERGE).
 *
 * Similarity. Each ticket's subject and the start of its body become a set
 * of features: words (ASCII case-folded, apostrophes joined, contractions and
 * negations mapped to one form, numbers to "#", lightly stemmed, common open
 * compounds such as "log in" joined to "login", function words dropped) and
 * every pair of adjacent kept words concatenated. The signature is a bottom-k
 * MinHash sketch: the FLOOD_SKETCH_K smallest 32-bit hashes of those
 * features. Two sketches estimate the Jaccard similarity of the feature sets
 * (exactly, when both texts have fewer than k features, as short subjects
 * do); tickets are alike when it is at least 1/2. "Server outage, cannot log
 * in" and "server outage - can't login!!" give the same set, while texts that
 * share one or two words ("Cannot log in to email" / "... to VPN", 3/7) stay
 * apart. A text without any content word has an empty sketch and is never
 * alike anything.
 *
 * Keys (the module's own, under D:flood:):
 *   D:flood:recent          ZSET  "<tid>:<sketch hex>" scored by created_at:
 *                                 the tickets of the last flood-window seconds
 *                                 not merged yet; at most FLOOD_RECENT_MAX
 *   D:flood:masters         HASH  <master tid> -> sketch hex of open incidents
 *                                 opened by detection
 *   D:flood:children:<tid>  SET   "ticket:<tid>" merged into master <tid>
 *
 * On TICKET.CREATE (flood-threshold > 0): a ticket alike an open incident is
 * merged into it at once. Otherwise the window is trimmed and the ticket
 * compared with the others still in it; when it and its alike active tickets
 * reach flood-threshold, a master incident is opened and all of them are
 * merged into it. Cost per create: O(T + M + P) for T bytes of text
 * (subject + at most FLOOD_BODY_MAX body bytes), M open incidents and P
 * entries in the index lists of the rarest half of the new sketch's hashes
 * (see "The window in memory"; each list holds at most R <= FLOOD_RECENT_MAX
 * tickets), each comparison O(k), plus O(R) once after the in-memory copy
 * of the window was dropped.
 *
 * Closing a master closes its merged tickets; deleting a master reopens them
 * (open, unassigned, queued with their own SLA), the same as DESK.CHECK REPAIR
 * does for a merged ticket whose master is gone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpdesk.h"
#include "hd_people.h"

#define FLOOD_SKETCH_K 64       /* hashes kept per signature */
#define FLOOD_BODY_MAX 4096     /* body bytes that take part */
#define FLOOD_RECENT_MAX 1000   /* tickets kept (and compared) per window */
#define FLOOD_TOKEN_MAX 32      /* longer words are cut */

/* ------------------------------------------------------------------------ */
/* Signature                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct Sketch {
    int n;
    uint32_t h[FLOOD_SKETCH_K];     /* ascending, distinct */
} Sketch;

typedef struct Word {
    char s[FLOOD_TOKEN_MAX + 1];
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

/* Closed compounds that people also write open: the two stems and the stem
 * of the closed form ("log in" / "log-in" / "logged in" -> "login"). */
static const char *compounds[][3] = {
    {"log", "in", "login"}, {"log", "on", "logon"}, {"log", "out", "logout"},
    {"sign", "in", "signin"}, {"sign", "on", "signon"}, {"sign", "up", "signup"},
    {"sign", "out", "signout"}, {"set", "up", "setup"},
    {"check", "out", "checkout"}, {"start", "up", "startup"},
    {"shut", "down", "shutdown"}, {"back", "up", "backup"},
    {"lock", "out", "lockout"}, {"pop", "up", "popup"}, {"e", "mail", "email"},
    {"wi", "fi", "wifi"}, {"web", "sit", "websit"}, {"web", "pag", "webpag"},
    {"hom", "pag", "homepag"}, {"user", "nam", "usernam"},
    {"pass", "word", "password"}, {"drop", "down", "dropdown"},
    {"on", "lin", "onlin"}, {"off", "lin", "offlin"}, {"can", "not", "cannot"},
    {NULL, NULL, NULL}
};

static int inList(const char **list, const char *s) {
    for (; *list; list++) if (!strcmp(*list, s)) return 1;
    return 0;
}

static int endsWith(const char *s, int len, const char *suffix) {
    int n = (int)strlen(suffix);
    return len >= n && !memcmp(s + len - n, suffix, n);
}

static int isVowel(char c) {
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

static int hasVowel(const char *s, int len) {
    for (int i = 0; i < len; i++) if (isVowel(s[i])) return 1;
    return 0;
}

/* Light suffix stripping so inflections share a word: plurals, -ing, -ed,
 * a final e. It only has to be consistent, not linguistically right. */
static void stem(Word *w) {
    char *s = w->s;
    int n = w->len;

    if (n > 4 && endsWith(s, n, "sses")) n -= 2;
    else if (n > 4 && endsWith(s, n, "ies")) { n -= 3; s[n++] = 'y'; }
    else if (n > 3 && s[n - 1] == 's' && !endsWith(s, n, "ss") &&
             !endsWith(s, n, "us") && !endsWith(s, n, "is")) {
        if (n > 4 && (endsWith(s, n, "ses") || endsWith(s, n, "xes") ||
                      endsWith(s, n, "zes") || endsWith(s, n, "ches") ||
                      endsWith(s, n, "shes"))) n -= 2;
        else n -= 1;
    }
    int stripped = 0;
    if (n > 5 && endsWith(s, n, "ing") && hasVowel(s, n - 3)) { n -= 3; stripped = 1; }
    else if (n > 4 && endsWith(s, n, "ed") && hasVowel(s, n - 2)) { n -= 2; stripped = 1; }
    /* logg(ed) -> log, stopp(ing) -> stop */
    if (stripped && n >= 2 && s[n - 1] == s[n - 2] && !isVowel(s[n - 1]) &&
        s[n - 1] != 'l' && s[n - 1] != 's' && s[n - 1] != 'z') n--;
    if (n > 3 && s[n - 1] == 'e') n--;
    s[n] = '\0';
    w->len = n;
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

static uint32_t wordHash(const char *s, int len) {
    uint32_t h = 2166136261u;
    for (int i = 0; i < len; i++) { h ^= (unsigned char)s[i]; h *= 16777619u; }
    return h;
}

static WordSlot *wordSlot(const char *s, int len, int insert) {
    for (uint32_t i = wordHash(s, len) & (WORDTAB_SIZE - 1);; i = (i + 1) & (WORDTAB_SIZE - 1)) {
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
        WordSlot *w = wordSlot(compounds[i][0], (int)strlen(compounds[i][0]), 1);
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
            if (!strcmp(sh->pending.s, compounds[i][0]) && !strcmp(w->s, compounds[i][1])) {
                Word c = { .len = (int)strlen(compounds[i][2]), .stop = 0 };
                strcpy(c.s, compounds[i][2]);
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

static int isWordByte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c >= 0x80;
}

/* Bytes of an apostrophe at p ("'" or U+2019), else 0. */
static int apostropheLen(const unsigned char *p, size_t left) {
    if (p[0] == '\'') return 1;
    if (left >= 3 && p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0x99) return 3;
    return 0;
}

/* Bytes of a non-ASCII separator at p: no-break space and the General
 * Punctuation block (dashes, quotes, ellipsis), else 0. */
static int separatorLen(const unsigned char *p, size_t left) {
    if (left >= 2 && p[0] == 0xC2 && p[1] == 0xA0) return 2;
    if (left >= 3 && p[0] == 0xE2 && (p[1] == 0x80 || (p[1] == 0x81 && p[2] <= 0xAF))) return 3;
    return 0;
}

/* A byte that can start or continue a word at p. */
static int wordAt(const unsigned char *p, size_t left) {
    return isWordByte(p[0]) && !separatorLen(p, left);
}

/* Splits into words: ASCII letters and digits (case-folded) and non-ASCII
 * characters other than punctuation; an apostrophe between word characters
 * joins ("can't", "can’t" -> "cant"). */
static void shingleText(Shingler *sh, const char *text, size_t len) {
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        Word w = { .len = 0 };
        while (i < len && !wordAt(p + i, len - i)) {
            int sep = separatorLen(p + i, len - i);
            i += sep ? (size_t)sep : 1;
        }
        while (i < len) {
            int alen = apostropheLen(p + i, len - i);
            if (alen) {
                if (w.len && i + alen < len && wordAt(p + i + alen, len - i - alen) &&
                    !apostropheLen(p + i + alen, len - i - alen)) { i += alen; continue; }
                break;
            }
            if (!wordAt(p + i, len - i)) break;
            if (w.len < FLOOD_TOKEN_MAX)
                w.s[w.len++] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
            i++;
        }
        if (!w.len) continue;
        w.s[w.len] = '\0';
        normalizeWord(&w);
        pushWord(sh, &w);
    }
}

static void sketchTicketText(RedisModuleString *subject, RedisModuleString *body, Sketch *sk) {
    Shingler sh = { .sk = sk };
    size_t len;
    const char *s;

    if (!wordTabReady) wordTabBuild();
    sk->n = 0;
    s = RedisModule_StringPtrLen(subject, &len);
    shingleText(&sh, s, len);
    if (body) {
        s = RedisModule_StringPtrLen(body, &len);
        shingleText(&sh, s, len > FLOOD_BODY_MAX ? FLOOD_BODY_MAX : len);
    }
    if (sh.has_pending) emitWord(&sh, &sh.pending);
}

/* Estimated Jaccard similarity >= 1/2: of the k smallest hashes of the
 * union, at least half are in both sketches. */
static int hashesAlike(const uint32_t *a, int na, const uint32_t *b, int nb) {
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

static int sketchAlike(const Sketch *a, const Sketch *b) {
    return hashesAlike(a->h, a->n, b->h, b->n);
}

static const char hexDigits[] = "0123456789abcdef";

/* 8 lower-case hex digits per hash; out has room for 8k+1 bytes. */
static size_t sketchToHex(const Sketch *sk, char *out) {
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
static int sketchFromHex(const char *s, size_t len, Sketch *sk) {
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

/* ------------------------------------------------------------------------ */
/* Keys and small helpers                                                    */
/* ------------------------------------------------------------------------ */

/* "<desk>:<suffix>" for the fixed names (hot path: no formatting). */
static RedisModuleString *floodKey(Hd *hd, const char *suffix, size_t slen) {
    char buf[HD_DESK_MAX + 32];
    memcpy(buf, hd->dname, hd->dlen);
    buf[hd->dlen] = ':';
    memcpy(buf + hd->dlen + 1, suffix, slen);
    return RedisModule_CreateString(hd->ctx, buf, hd->dlen + 1 + slen);
}

static RedisModuleString *recentKey(Hd *hd) { return floodKey(hd, "flood:recent", 12); }
static RedisModuleString *mastersKey(Hd *hd) { return floodKey(hd, "flood:masters", 13); }

static RedisModuleString *childrenKey(Hd *hd, long long mtid) {
    return hdKey(hd, "flood:children:%lld", mtid);
}

static int isMaster(const Ticket *t) {
    size_t len;
    const char *m = t->master ? RedisModule_StringPtrLen(t->master, &len) : NULL;
    return m && len == 4 && !memcmp(m, "self", 4);
}

/* The master id a merged (or once merged) ticket points at, else 0. */
static long long masterOf(const Ticket *t) {
    long long m;
    if (!t->master || isMaster(t) ||
        RedisModule_StringToLongLong(t->master, &m) != REDISMODULE_OK || m <= 0) return 0;
    return m;
}

/* Deletions decided by their arguments alone, replicated verbatim ("!"). */
static void callWrite(Hd *hd, const char *cmd, RedisModuleString *key, const char *a,
                      const char *b) {
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, cmd, "!scc", key, a, b);
    if (r) RedisModule_FreeCallReply(r);
}

/* ------------------------------------------------------------------------ */
/* The window in memory                                                      */
/* ------------------------------------------------------------------------ */

/* Comparing a new ticket with each member of D:flood:recent would decode and
 * compare up to FLOOD_RECENT_MAX sketches per create. Instead the module
 * keeps, per (db, desk), a copy of the window in memory: the members in zset
 * order with their sketches decoded, and an inverted index from each hash
 * value (and each ticket id) to the members holding it.
 *
 * Finding every alike member, exactly. Alike sketches A and B share at
 * least ceil(nA/2) hashes (the first min(k, |A u B|) >= nA hashes of their
 * union are at least half shared), so an alike member holds at least one of
 * any floor(nA/2)+1 hashes of A. The query takes the floor(nA/2)+1 hashes of
 * A with the shortest lists, counts for each member found how many of them
 * it holds, and runs sketchAlike only on members whose count shows they can
 * still share what alikeness needs (alikeNeed). Cost: the lengths of the
 * rarest half of A's lists plus a few exact comparisons, not O(window).
 *
 * The copy is only a speed-up and must equal the key whenever it is used:
 *   - this file mirrors its own writes of D:flood:recent into it;
 *   - keyspace events on a "<desk>:flood:recent" key (any command, expiry,
 *     eviction, RESTORE, keys loaded from an RDB: DEBUG RELOAD, restarts,
 *     replicas' full syncs), FLUSHDB/FLUSHALL and SWAPDB drop it;
 *   - before each use its size is compared with ZCARD, which catches module
 *     writes that fire no event (DESK.PURGE's UNLINK).
 * A dropped copy is rebuilt from the key on the next create: O(window).
 * Other files must not write D:flood:recent, except to delete it (which the
 * size check sees). */

typedef struct RecentEntry RecentEntry;

/* The members holding one value (a hash, or a ticket id): open addressing
 * with linear probing; a list of one member is kept inline. */
typedef struct Posting {
    uint64_t key;
    uint32_t len, cap;              /* len 0: free slot; cap 1: inline */
    union { RecentEntry *one; RecentEntry **many; } u;
} Posting;

typedef struct PostTab {
    Posting *slots;
    uint32_t size, used;            /* size 0 or a power of two >= 16 */
    int bits;
} PostTab;

struct RecentEntry {
    RecentEntry *prev, *next;       /* zset order: score, then member bytes */
    double score;
    long long tid;                  /* the "<tid>:" prefix, else 0 */
    int n;                          /* hashes; -1: not a sketch this file wrote */
    uint32_t tidpos;                /* index in the tid's list */
    uint64_t stamp;                 /* the last query that counted it ... */
    int hits, need;                 /* ... its count and the count to verify at */
    uint32_t *h, *pos;              /* n ascending hashes; index in each one's list */
    size_t mlen;
    char *member;
};

typedef struct RecentCache {
    RecentEntry *head, *tail;
    long long count;                /* members; ZCARD while in step */
    PostTab byHash, byTid;
    uint64_t stamp;
    int stale;                      /* drop at the next use */
} RecentCache;

#define RECENT_NAME_MAX (24 + HD_DESK_MAX)

static RedisModuleDict *recentCaches;   /* "<db>:<desk>" -> RecentCache* */
static int recentUnwatched;             /* a subscription failed: no copy outlives a create */
static RecentCache *recentInUse;        /* held by the running create: not freed */
static int recentTrimming;              /* our own ZREMRANGEBY* is running */

static uint32_t ptHome(const PostTab *t, uint64_t key) {
    return (uint32_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - t->bits));
}

static RecentEntry **ptItems(Posting *p) {
    return p->cap == 1 ? &p->u.one : p->u.many;
}

static Posting *ptFind(const PostTab *t, uint64_t key) {
    if (!t->size) return NULL;
    for (uint32_t i = ptHome(t, key);; i = (i + 1) & (t->size - 1)) {
        Posting *p = &t->slots[i];
        if (!p->len) return NULL;
        if (p->key == key) return p;
    }
}

static void ptResize(PostTab *t, int bits) {
    Posting *old = t->slots;
    uint32_t oldsize = t->size;

    t->bits = bits;
    t->size = 1u << bits;
    t->slots = RedisModule_Calloc(t->size, sizeof(Posting));
    for (uint32_t i = 0; i < oldsize; i++) {
        if (!old[i].len) continue;
        uint32_t j = ptHome(t, old[i].key);
        while (t->slots[j].len) j = (j + 1) & (t->size - 1);
        t->slots[j] = old[i];
    }
    if (old) RedisModule_Free(old);
}

/* Appends e to key's list; returns its index there. */
static uint32_t ptAdd(PostTab *t, uint64_t key, RecentEntry *e) {
    Posting *p;

    if ((t->used + 1) * 2 > t->size) ptResize(t, t->size ? t->bits + 1 : 4);
    for (uint32_t i = ptHome(t, key);; i = (i + 1) & (t->size - 1)) {
        p = &t->slots[i];
        if (!p->len) {
            p->key = key;
            p->len = p->cap = 1;
            p->u.one = e;
            t->used++;
            return 0;
        }
        if (p->key == key) break;
    }
    if (p->len == p->cap) {
        uint32_t cap = p->cap == 1 ? 4 : p->cap * 2;
        if (p->cap == 1) {
            RecentEntry **many = RedisModule_Alloc(cap * sizeof(*many));
            many[0] = p->u.one;
            p->u.many = many;
        } else {
            p->u.many = RedisModule_Realloc(p->u.many, cap * sizeof(*p->u.many));
        }
        p->cap = cap;
    }
    p->u.many[p->len] = e;
    return p->len++;
}

/* Empties slot i, shifting back the slots probed past it. */
static void ptDeleteSlot(PostTab *t, uint32_t i) {
    uint32_t mask = t->size - 1;
    for (uint32_t j = (i + 1) & mask; t->slots[j].len; j = (j + 1) & mask) {
        uint32_t home = ptHome(t, t->slots[j].key);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i].len = 0;
    t->used--;
}

/* Takes the item at idx out of p's list (the last item fills the hole) and
 * returns the entry that moved to idx, if any. */
static RecentEntry *ptRemove(PostTab *t, Posting *p, uint32_t idx) {
    RecentEntry **it = ptItems(p), *moved = NULL;

    p->len--;
    if (idx != p->len) moved = it[idx] = it[p->len];
    if (!p->len) {
        if (p->cap > 1) RedisModule_Free(p->u.many);
        ptDeleteSlot(t, (uint32_t)(p - t->slots));
        if (t->size > 64 && t->used * 8 < t->size) ptResize(t, t->bits - 1);
    } else if (p->cap > 16 && p->len * 4 <= p->cap) {
        p->cap /= 2;
        p->u.many = RedisModule_Realloc(p->u.many, p->cap * sizeof(*p->u.many));
    }
    return moved;
}

static void ptFree(PostTab *t) {
    for (uint32_t i = 0; i < t->size; i++)
        if (t->slots[i].len && t->slots[i].cap > 1) RedisModule_Free(t->slots[i].u.many);
    if (t->slots) RedisModule_Free(t->slots);
    memset(t, 0, sizeof(*t));
}

/* "<tid>:" at the start of a member: sets *tid and returns the length of the
 * prefix, else 0. */
static size_t recentTid(const char *s, size_t len, long long *tid) {
    size_t i = 0;
    long long v = 0;
    while (i < len && i < 18 && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    if (i == 0 || i >= len || s[i] != ':' || v <= 0) return 0;
    *tid = v;
    return i + 1;
}

/* A member "<tid>:<sketch hex>" (anything else is kept, for the order and the
 * count, but never compared). known: its sketch, already decoded. */
static RecentEntry *entryNew(const char *s, size_t len, double score, const Sketch *known) {
    Sketch sk;
    long long tid = 0;
    size_t off = recentTid(s, len, &tid);
    if (off && !known && sketchFromHex(s + off, len - off, &sk)) known = &sk;
    size_t nh = off && known ? (size_t)known->n : 0;
    RecentEntry *e = RedisModule_Alloc(sizeof(*e) + nh * 2 * sizeof(uint32_t) + len);

    memset(e, 0, sizeof(*e));
    e->score = score;
    e->tid = off ? tid : 0;
    e->n = off && known ? known->n : -1;
    e->h = (uint32_t *)(e + 1);
    e->pos = e->h + nh;
    e->member = (char *)(e->pos + nh);
    e->mlen = len;
    if (nh) memcpy(e->h, known->h, nh * sizeof(uint32_t));
    memcpy(e->member, s, len);
    return e;
}

/* Redis orders a zset by score, then by member bytes. */
static int entryCmp(const RecentEntry *a, const RecentEntry *b) {
    if (a->score != b->score) return a->score < b->score ? -1 : 1;
    size_t n = a->mlen < b->mlen ? a->mlen : b->mlen;
    int c = n ? memcmp(a->member, b->member, n) : 0;
    if (c) return c;
    return a->mlen < b->mlen ? -1 : a->mlen > b->mlen;
}

static int entryCmpQsort(const void *a, const void *b) {
    return entryCmp(*(RecentEntry *const *)a, *(RecentEntry *const *)b);
}

/* Index of hash v in e's ascending hashes (v is one of them). */
static int entryHashAt(const RecentEntry *e, uint32_t v) {
    int lo = 0, hi = e->n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (e->h[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Links e after `at` (NULL: first) and indexes it. */
static void cacheLink(RecentCache *c, RecentEntry *at, RecentEntry *e) {
    e->prev = at;
    e->next = at ? at->next : c->head;
    if (e->next) e->next->prev = e;
    else c->tail = e;
    if (at) at->next = e;
    else c->head = e;
    if (e->tid > 0) e->tidpos = ptAdd(&c->byTid, (uint64_t)e->tid, e);
    for (int i = 0; i < e->n; i++) e->pos[i] = ptAdd(&c->byHash, e->h[i], e);
    c->count++;
}

/* In zset order: new members come last, unless scores tie or go back. */
static void cacheInsert(RecentCache *c, RecentEntry *e) {
    RecentEntry *at = c->tail;
    while (at && entryCmp(at, e) > 0) at = at->prev;
    cacheLink(c, at, e);
}

static void cacheRemove(RecentCache *c, RecentEntry *e) {
    if (e->tid > 0) {
        RecentEntry *m = ptRemove(&c->byTid, ptFind(&c->byTid, (uint64_t)e->tid), e->tidpos);
        if (m) m->tidpos = e->tidpos;
    }
    for (int i = 0; i < e->n; i++) {
        RecentEntry *m = ptRemove(&c->byHash, ptFind(&c->byHash, e->h[i]), e->pos[i]);
        if (m) m->pos[entryHashAt(m, e->h[i])] = e->pos[i];
    }
    if (e->prev) e->prev->next = e->next;
    else c->head = e->next;
    if (e->next) e->next->prev = e->prev;
    else c->tail = e->prev;
    c->count--;
    RedisModule_Free(e);
}

/* The entry of member s, or NULL. */
static RecentEntry *cacheFind(RecentCache *c, const char *s, size_t len) {
    long long tid;
    if (recentTid(s, len, &tid)) {
        Posting *p = ptFind(&c->byTid, (uint64_t)tid);
        RecentEntry **it = p ? ptItems(p) : NULL;
        for (uint32_t i = 0; p && i < p->len; i++)
            if (it[i]->mlen == len && !memcmp(it[i]->member, s, len)) return it[i];
        return NULL;
    }
    for (RecentEntry *e = c->head; e; e = e->next)
        if (e->mlen == len && !memcmp(e->member, s, len)) return e;
    return NULL;
}

static void cacheFree(RecentCache *c) {
    RecentEntry *e = c->head;
    while (e) {
        RecentEntry *next = e->next;
        RedisModule_Free(e);
        e = next;
    }
    ptFree(&c->byHash);
    ptFree(&c->byTid);
    RedisModule_Free(c);
}

static RecentCache *cacheGet(const char *name, int nlen) {
    return recentCaches ? RedisModule_DictGetC(recentCaches, (void *)name, nlen, NULL) : NULL;
}

/* Forgets the copy of one desk's window (marks it, while a create holds it). */
static void cacheDrop(const char *name, int nlen) {
    RecentCache *c = cacheGet(name, nlen);
    if (!c) return;
    if (c == recentInUse) {
        c->stale = 1;
        return;
    }
    RedisModule_DictDelC(recentCaches, (void *)name, nlen, NULL);
    cacheFree(c);
}

/* Forgets the copies of one db (-1: all). */
static void cacheDropDb(int db) {
    char prefix[16], **names;
    int plen = db < 0 ? 0 : hdDbDeskName(prefix, db, "", 0), n = 0;
    uint64_t size = recentCaches ? RedisModule_DictSize(recentCaches) : 0;
    if (!size) return;
    names = RedisModule_Alloc(size * sizeof(*names));
    RedisModuleDictIter *it = RedisModule_DictIteratorStartC(recentCaches, "^", NULL, 0);
    char *key;
    size_t klen;
    while ((key = RedisModule_DictNextC(it, &klen, NULL)) != NULL) {
        if (klen > (size_t)plen && !memcmp(key, prefix, (size_t)plen) && klen < RECENT_NAME_MAX) {
            names[n] = RedisModule_Alloc(klen + 1);
            memcpy(names[n], key, klen);
            names[n++][klen] = '\0';
        }
    }
    RedisModule_DictIteratorStop(it);
    for (int i = 0; i < n; i++) {
        cacheDrop(names[i], (int)strlen(names[i]));
        RedisModule_Free(names[i]);
    }
    RedisModule_Free(names);
}

static int onRecentKeyEvent(RedisModuleCtx *ctx, int type, const char *event,
                            RedisModuleString *key) {
    static const char suffix[] = ":flood:recent";
    const size_t slen = sizeof(suffix) - 1;
    char name[RECENT_NAME_MAX];
    size_t len;
    const char *s = RedisModule_StringPtrLen(key, &len);

    if (len <= slen || len - slen > HD_DESK_MAX || memcmp(s + len - slen, suffix, slen))
        return REDISMODULE_OK;
    /* our own trims are mirrored by the caller */
    if (recentTrimming && (!strcmp(event, "zremrangebyscore") ||
                           !strcmp(event, "zremrangebyrank") || !strcmp(event, "del")))
        return REDISMODULE_OK;
    cacheDrop(name, hdDbDeskName(name, RedisModule_GetSelectedDb(ctx), s, len - slen));
    return REDISMODULE_OK;
}

static void onDbEvent(RedisModuleCtx *ctx, RedisModuleEvent e, uint64_t sub, void *data) {
    if (e.id == REDISMODULE_EVENT_FLUSHDB) {
        if (sub == REDISMODULE_SUBEVENT_FLUSHDB_START)
            cacheDropDb(((RedisModuleFlushInfo *)data)->dbnum);
    } else if (e.id == REDISMODULE_EVENT_SWAPDB) {
        RedisModuleSwapDbInfo *si = data;
        cacheDropDb(si->dbnum_first);
        cacheDropDb(si->dbnum_second);
    }
}

/* Subscribes to what can change a window behind the module's back, the
 * first time a copy is made (until then there is nothing to keep in step). */
static void cacheHook(RedisModuleCtx *ctx) {
    if (recentCaches) return;
    recentCaches = RedisModule_CreateDict(NULL);
    if (RedisModule_SubscribeToKeyspaceEvents(ctx, REDISMODULE_NOTIFY_GENERIC |
            REDISMODULE_NOTIFY_ZSET | REDISMODULE_NOTIFY_EXPIRED | REDISMODULE_NOTIFY_EVICTED |
            REDISMODULE_NOTIFY_LOADED, onRecentKeyEvent) != REDISMODULE_OK ||
        RedisModule_SubscribeToServerEvent(ctx, RedisModuleEvent_FlushDB, onDbEvent)
            != REDISMODULE_OK ||
        RedisModule_SubscribeToServerEvent(ctx, RedisModuleEvent_SwapDB, onDbEvent)
            != REDISMODULE_OK) {
        RedisModule_Log(ctx, "warning", "flood detection cannot follow its keys' changes; "
                        "it rebuilds its window from the key on every create (slower)");
        recentUnwatched = 1;
    }
}

/* DESK.PURGE deletes the desk's keys through the low-level API, which sends
 * no keyspace event: forget the window's copy here. */
void floodForgetDesk(Hd *hd) {
    char name[RECENT_NAME_MAX];
    cacheDrop(name, hdDbDeskName(name, RedisModule_GetSelectedDb(hd->ctx), hd->dname, hd->dlen));
}

/* INFO helpdesk: desks whose window is copied in memory. */
long long floodWindowCount(void) {
    return recentCaches ? (long long)RedisModule_DictSize(recentCaches) : 0;
}

/* MODULE UNLOAD: frees every copy (Redis drops the subscriptions itself).
 * Called from RedisModule_OnUnload. */
void floodUnload(void) {
    RedisModuleDictIter *it;
    RecentCache *c;
    if (!recentCaches) return;
    it = RedisModule_DictIteratorStartC(recentCaches, "^", NULL, 0);
    while (RedisModule_DictNextC(it, NULL, (void **)&c)) cacheFree(c);
    RedisModule_DictIteratorStop(it);
    RedisModule_FreeDict(NULL, recentCaches);
    recentCaches = NULL;
    recentInUse = NULL;
}

/* A copy of the key, in zset order. */
static RecentCache *cacheBuild(Hd *hd, RedisModuleString *rkey, const char *name, int nlen) {
    RecentCache *c = RedisModule_Calloc(1, sizeof(*c));
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, rkey, REDISMODULE_READ);

    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET &&
        RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
                                          REDISMODULE_POSITIVE_INFINITE, 0, 0) == REDISMODULE_OK) {
        for (; !RedisModule_ZsetRangeEndReached(k); RedisModule_ZsetRangeNext(k)) {
            double score;
            size_t len;
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, &score);
            const char *s = RedisModule_StringPtrLen(m, &len);
            cacheLink(c, c->tail, entryNew(s, len, score, NULL));
            RedisModule_FreeString(hd->ctx, m);
        }
        RedisModule_ZsetRangeStop(k);
    }
    RedisModule_CloseKey(k);
    RedisModule_DictReplaceC(recentCaches, (void *)name, nlen, c);
    return c;
}

/* How many of the query's counted hashes a member with nb hashes must hold
 * to be worth sketchAlike, for a sketch with na hashes of which `skipped`
 * are not counted; 0 when it cannot be alike at all. Alike needs s shared
 * hashes with s >= ceil(max(na,nb)/2) (half of at least max(na,nb) union
 * hashes) and either 3s >= na+nb (when |A u B| <= k, the estimate is exact:
 * 2s >= na+nb-s) or s >= k/2 (half of the k first union hashes); of those
 * s, at most `skipped` are among the hashes not counted. */
static int alikeNeed(int na, int nb, int skipped) {
    int most = na > nb ? na : nb, least = na < nb ? na : nb;
    int half = (most + 1) / 2, third = (na + nb + 2) / 3;
    if (third > FLOOD_SKETCH_K / 2) third = FLOOD_SKETCH_K / 2;
    int need = half > third ? half : third;
    if (need > least) return 0;
    need -= skipped;
    return need < 1 ? 1 : need;
}

/* The members alike sk (other than ticket self's), in zset order, into
 * *out (pool memory); returns how many. */
static int cacheAlike(Hd *hd, RecentCache *c, const Sketch *sk, long long self,
                      RecentEntry ***out) {
    int na = sk->n, q = na / 2 + 1, ncand = 0, nalike = 0;
    int order[FLOOD_SKETCH_K], need[FLOOD_SKETCH_K + 1];
    uint32_t lens[FLOOD_SKETCH_K];
    Posting *post[FLOOD_SKETCH_K];
    RecentEntry **cand = RedisModule_PoolAlloc(hd->ctx, (size_t)(c->count + 1) * sizeof(*cand));
    uint64_t stamp = ++c->stamp;

    /* the hashes by the length of their lists, shortest first */
    for (int i = 0; i < na; i++) {
        int j = i;
        post[i] = ptFind(&c->byHash, sk->h[i]);
        lens[i] = post[i] ? post[i]->len : 0;
        for (; j > 0 && lens[order[j - 1]] > lens[i]; j--) order[j] = order[j - 1];
        order[j] = i;
    }
    memset(need, -1, sizeof(need));         /* filled for the sizes met */
    for (int k = 0; k < q; k++) {
        Posting *p = post[order[k]];
        RecentEntry **it;
        if (!p) continue;
        it = ptItems(p);
        for (uint32_t j = 0; j < p->len; j++) {
            RecentEntry *e = it[j];
            if (e->stamp != stamp) {
                e->stamp = stamp;
                e->hits = 0;
                if (need[e->n] < 0) need[e->n] = alikeNeed(na, e->n, na - q);
                e->need = need[e->n];
            }
            if (++e->hits == e->need) cand[ncand++] = e;
        }
    }
    for (int i = 0; i < ncand; i++) {
        RecentEntry *e = cand[i];
        if (e->tid != self && hashesAlike(sk->h, na, e->h, e->n)) cand[nalike++] = e;
    }
    if (nalike > 1) qsort(cand, (size_t)nalike, sizeof(*cand), entryCmpQsort);
    *out = cand;
    return nalike;
}

/* D:flood:recent's ZREMRANGEBY*, replicated verbatim, without a copy. */
static void trimCall(Hd *hd, const char *cmd, RedisModuleString *key, const char *a,
                     const char *b) {
    recentTrimming = 1;
    callWrite(hd, cmd, key, a, b);
    recentTrimming = 0;
}

/* The same with a copy in step: it knows the command removes its first n
 * members, and follows. (The command itself costs less than removing them
 * with the low-level API and replicating it: RM_Replicate alone is ~half.) */
static void trimHead(Hd *hd, RecentCache *c, RedisModuleString *rkey, long long n,
                     const char *cmd, const char *a, const char *b) {
    trimCall(hd, cmd, rkey, a, b);
    for (long long i = 0; i < n && c->head; i++) cacheRemove(c, c->head);
}

/* ZREMRANGEBYRANK's end: keeps the newest FLOOD_RECENT_MAX - 1. */
#define RECENT_STR_(x) #x
#define RECENT_STR(x) RECENT_STR_(x)
#define RECENT_KEEP ("-" RECENT_STR(FLOOD_RECENT_MAX))

/* "(<v>": a score range bound excluding v (buf: 32 bytes). */
static const char *scoreBelow(char *buf, long long v) {
    buf[0] = '(';
    hdFormatLL(buf + 1, v);
    return buf;
}

/* Drops the window's entries older than flood-window (ZREMRANGEBYSCORE key
 * -inf (<now - window>), and the oldest beyond FLOOD_RECENT_MAX - 1, room for
 * the ticket about to be added (ZREMRANGEBYRANK key 0 -<max>); then returns
 * the copy in memory, in step with the key and held (recentInUse) until the
 * caller lets it go. Nothing is written or replicated when nothing goes. */
static RecentCache *syncRecent(Hd *hd, const DeskConfig *cfg, RedisModuleString *rkey) {
    char name[RECENT_NAME_MAX], cutoff[32];
    int nlen = hdDbDeskName(name, RedisModule_GetSelectedDb(hd->ctx), hd->dname, hd->dlen);
    long long since = hd->now - cfg->flood_window * 1000, old = 0;
    RecentCache *c;

    cacheHook(hd->ctx);
    c = cacheGet(name, nlen);
    if (c && (recentUnwatched || c->stale || c->count != hdZCard(hd, rkey))) {
        cacheDrop(name, nlen);
        c = NULL;
    }
    recentInUse = c;
    if (c) {
        for (RecentEntry *e = c->head; e && e->score < (double)since; e = e->next) old++;
        if (old) trimHead(hd, c, rkey, old, "ZREMRANGEBYSCORE", "-inf", scoreBelow(cutoff, since));
        if (c->count >= FLOOD_RECENT_MAX)
            trimHead(hd, c, rkey, c->count - (FLOOD_RECENT_MAX - 1), "ZREMRANGEBYRANK", "0", RECENT_KEEP);
        if (c->stale) {             /* the key changed meanwhile (say, it expired) */
            recentInUse = NULL;
            cacheDrop(name, nlen);
            c = NULL;
        }
    }
    if (!c) {
        trimCall(hd, "ZREMRANGEBYSCORE", rkey, "-inf", scoreBelow(cutoff, since));
        if (hdZCard(hd, rkey) >= FLOOD_RECENT_MAX)
            trimCall(hd, "ZREMRANGEBYRANK", rkey, "0", RECENT_KEEP);
        c = cacheBuild(hd, rkey, name, nlen);
    }
    recentInUse = c;
    return c;
}

/* Removes a member from the key and the copy. */
static void recentRemove(Hd *hd, RecentCache *c, RedisModuleString *rkey, RecentEntry *e) {
    fxZRem(hd, rkey, RedisModule_CreateString(hd->ctx, e->member, e->mlen));
    cacheRemove(c, e);
}

/* Records ticket tid's sketch (hex) in the window at now. */
static void recentAdd(Hd *hd, RecentCache *c, RedisModuleString *rkey, long long tid,
                      const Sketch *sk, const char *hex, size_t hexlen) {
    char buf[24 + FLOOD_SKETCH_K * 8 + 1];
    int n = hdFormatLL(buf, tid);
    RecentEntry *old;

    buf[n++] = ':';
    memcpy(buf + n, hex, hexlen);
    fxZAdd(hd, rkey, (double)hd->now, RedisModule_CreateString(hd->ctx, buf, n + hexlen));
    if ((old = cacheFind(c, buf, n + hexlen)) != NULL) cacheRemove(c, old);  /* ZADD moves it */
    cacheInsert(c, entryNew(buf, n + hexlen, (double)hd->now, sk));
}

/* forgetRecent removed member from the key: the copy follows, if any. */
static void cacheForget(Hd *hd, RedisModuleString *member) {
    char name[RECENT_NAME_MAX];
    int nlen = hdDbDeskName(name, RedisModule_GetSelectedDb(hd->ctx), hd->dname, hd->dlen);
    RecentCache *c = cacheGet(name, nlen);
    size_t len;
    const char *s = RedisModule_StringPtrLen(member, &len);
    RecentEntry *e;

    if (!c) return;
    if (!c->stale && (e = cacheFind(c, s, len)) != NULL) cacheRemove(c, e);
    else cacheDrop(name, nlen);
}

/* Loads a ticket without replying: 0 when its key is not a hash. */
static int ticketLoadQuiet(Hd *hd, long long tid, Ticket *t) {
    if (!hdTypeOk(hd, hdTicketKey(hd, tid), REDISMODULE_KEYTYPE_HASH)) return 0;
    return ticketLoad(hd, tid, t);
}

/* The keys merging or reopening t writes (besides the desk-wide ones a
 * create has checked), tested without replying. */
static int ticketKeysQuiet(Hd *hd, const Ticket *t) {
    return hdTypeOk(hd, hdRoutingKey(hd, t->category, t->catlen), REDISMODULE_KEYTYPE_ZSET) &&
           hdTypeOk(hd, hdKey(hd, "ticket:%lld:log", t->id), REDISMODULE_KEYTYPE_LIST) &&
           (!t->agent ||
            (hdTypeOk(hd, hdAgentKey(hd, t->agent), REDISMODULE_KEYTYPE_HASH) &&
             hdTypeOk(hd, hdAgentOpenKey(hd, t->agent), REDISMODULE_KEYTYPE_SET)));
}

static void moveStatus(Hd *hd, Ticket *t, const char *to) {
    statsMove(hd, "status", t->status, strlen(t->status), to, strlen(to));
    snprintf(t->status, sizeof(t->status), "%s", to);
}

/* Removes t's entry from the recent window, found by its created_at. Nothing
 * to do (and nothing read) when the desk has no window, e.g. with detection
 * off; entries recorded before it was turned off still go. */
static void forgetRecent(Hd *hd, const Ticket *t) {
    long long created;
    char prefix[32];
    int plen;
    RedisModuleString *found = NULL, *rkey = recentKey(hd);
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, rkey, REDISMODULE_READ);

    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_ZSET ||
        !hdHashGetLL(hd, t->key, "created_at", &created)) {
        RedisModule_CloseKey(k);
        return;
    }
    plen = snprintf(prefix, sizeof(prefix), "%lld:", t->id);
    if (RedisModule_ZsetFirstInScoreRange(k, (double)created, (double)created, 0, 0)
            == REDISMODULE_OK) {
        while (!found && !RedisModule_ZsetRangeEndReached(k)) {
            size_t len;
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, NULL);
            const char *s = RedisModule_StringPtrLen(m, &len);
            if (len > (size_t)plen && !memcmp(s, prefix, plen)) found = m;
            RedisModule_ZsetRangeNext(k);
        }
        RedisModule_ZsetRangeStop(k);
    }
    RedisModule_CloseKey(k);
    if (found) {
        fxZRem(hd, rkey, found);
        cacheForget(hd, found);
    }
}

/* ------------------------------------------------------------------------ */
/* Merging                                                                   */
/* ------------------------------------------------------------------------ */

/* Merges the active ticket t into master mtid: out of every queue, off its
 * agent (load adjusted), status merged, master=<mtid>, listed among the
 * master's children, logged, `merged` event. Keys were checked. */
static void mergeInto(Hd *hd, const DeskConfig *cfg, Ticket *t, long long mtid,
                      const char *reason) {
    RedisModuleString *fv[8];
    char from[16], agent[HD_ID_MAX + 1] = "", master[24];

    snprintf(from, sizeof(from), "%s", t->status);
    snprintf(master, sizeof(master), "%lld", mtid);
    if (t->agent) {
        snprintf(agent, sizeof(agent), "%s", RedisModule_StringPtrLen(t->agent, NULL));
        fxSRem(hd, hdAgentOpenKey(hd, t->agent), hdTicketMember(hd, t->id));
        fxHashIncr(hd, hdAgentKey(hd, t->agent), "load", -1);
        fxHashDel(hd, t->key, "assigned_agent");
        t->agent = NULL;
    } else {
        queueRemoveRouting(hd, t->id, t->category, t->catlen);
    }
    queueRemoveActive(hd, t->id);
    moveStatus(hd, t, "merged");
    fv[0] = RedisModule_CreateString(hd->ctx, "status", 6);
    fv[1] = RedisModule_CreateString(hd->ctx, "merged", 6);
    fv[2] = RedisModule_CreateString(hd->ctx, "master", 6);
    fv[3] = RedisModule_CreateString(hd->ctx, master, strlen(master));
    ticketWrite(hd, t, fv, 4);
    t->master = fv[3];
    fxSAdd(hd, childrenKey(hd, mtid), hdTicketMember(hd, t->id));
    if (agent[0]) ticketLog(hd, t->id, "merged into %lld (%s; was assigned to %s)",
                            mtid, reason, agent);
    else ticketLog(hd, t->id, "merged into %lld (%s)", mtid, reason);
    eventEmit(hd, cfg, "merged", t->id, "master", master, "from", from,
              "reason", reason, agent[0] ? "agent" : NULL, agent, NULL);
    hdg.tickets_merged++;
}

/* Children of master mtid, ascending ids. */
static size_t childIds(Hd *hd, long long mtid, long long **ids) {
    return hdSetTicketIds(hd, childrenKey(hd, mtid), ids);
}

/* Loads child cid of mtid; 1 only when it is still merged into mtid. */
static int loadMergedChild(Hd *hd, long long mtid, long long cid, Ticket *c) {
    return ticketLoadQuiet(hd, cid, c) && c->exists && !strcmp(c->status, "merged") &&
           masterOf(c) == mtid;
}

/* ------------------------------------------------------------------------ */
/* Master incidents                                                          */
/* ------------------------------------------------------------------------ */

/* Highest priority of the desk's active tickets (0 when none). */
static long long maxPriorityInUse(Hd *hd) {
    long long best = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, hdKey(hd, "queue:priority"), REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET &&
        RedisModule_ZsetLastInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
                                         REDISMODULE_POSITIVE_INFINITE, 0, 0) == REDISMODULE_OK) {
        double score;
        if (!RedisModule_ZsetRangeEndReached(k)) {
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, &score);
            RedisModule_FreeString(hd->ctx, m);
            best = (long long)score;
        }
        RedisModule_ZsetRangeStop(k);
    }
    RedisModule_CloseKey(k);
    return best;
}

typedef struct Flood {
    Ticket *t;                  /* members, ascending ids (the new one last) */
    RecentEntry **recent;       /* their D:flood:recent members (NULL: none) */
    int n;
} Flood;

/* Opens the master incident of a flood: a new open ticket with master=self,
 * the oldest ticket's subject and category, the desk's highest priority in
 * use, logged `incident` and announced by an `incident` event. */
static void openIncident(Hd *hd, const DeskConfig *cfg, const Flood *f, long long mid,
                         Ticket *m, const char *sighex, size_t siglen) {
    RedisModuleString *subject, *urgency = NULL;
    const Ticket *first = &f->t[0];
    long long prio = maxPriorityInUse(hd);
    double best = -1;

    for (int i = 0; i < f->n; i++) {
        RedisModuleString *u = hdHashGet(hd, f->t[i].key, "urgency");
        double d;
        if (f->t[i].priority > prio) prio = f->t[i].priority;
        if (u && RedisModule_StringToDouble(u, &d) == REDISMODULE_OK && d > best) {
            best = d;
            urgency = u;
        }
    }
    if (prio < HD_PRIORITY_MIN) prio = HD_PRIORITY_MIN;
    if (prio > HD_PRIORITY_MAX) prio = HD_PRIORITY_MAX;

    RedisModuleString *orig = hdHashGet(hd, first->key, "subject");
    size_t olen = 0;
    const char *os = orig ? RedisModule_StringPtrLen(orig, &olen) : "";
    size_t room = HD_SUBJECT_MAX - 10;          /* strlen("Incident: ") */
    subject = RedisModule_CreateStringPrintf(hd->ctx, "Incident: %.*s",
                                             (int)(olen > room ? room : olen), os);
    NewTicket nt = {
        .subject = subject,
        .body = RedisModule_CreateStringPrintf(hd->ctx, "Flash flood: %d similar tickets "
                    "within %lld s, merged into this incident.", f->n, cfg->flood_window),
        .urgency = urgency,
        .master = RedisModule_CreateString(hd->ctx, "self", 4),
        .priority = prio,
        .sla_due_at = hd->now + deskSlaSeconds(cfg, prio) * 1000,
        .category = first->category, .catlen = first->catlen,
    };
    ticketInsert(hd, mid, &nt, m);
    ticketLog(hd, m->id, "incident: flash flood of %d similar tickets (priority %lld, "
              "category %s)", f->n, prio, m->category);
    {
        char p[24], cnt[24];
        snprintf(p, sizeof(p), "%lld", prio);
        snprintf(cnt, sizeof(cnt), "%d", f->n);
        eventEmit(hd, cfg, "incident", m->id, "priority", p, "category", m->category,
                  "tickets", cnt, "reason", "flood", NULL);
    }
    fxHashSetC(hd, mastersKey(hd), RedisModule_StringPtrLen(
                   RedisModule_CreateStringFromLongLong(hd->ctx, m->id), NULL),
               RedisModule_CreateString(hd->ctx, sighex, siglen));
    hdg.tickets_created++;
}

/* The open incident whose signature is alike sk: 0 when none. Entries whose
 * master is no longer open are dropped on the way. */
static long long findOpenMaster(Hd *hd, const Sketch *sk) {
    long long found = 0;
    RedisModuleString *stale[64], *mkey = mastersKey(hd);
    int nstale = 0;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, mkey, REDISMODULE_READ);
    int none = RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_EMPTY;

    RedisModule_CloseKey(k);
    if (none) return 0;             /* no incident open: the common case */
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, "HGETALL", "s", mkey);

    if (r && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_ARRAY) {
        size_t n = RedisModule_CallReplyLength(r);
        for (size_t i = 0; i + 1 < n; i += 2) {
            size_t flen, vlen;
            const char *f = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(r, i), &flen);
            const char *v = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(r, i + 1), &vlen);
            RedisModuleString *field = RedisModule_CreateString(hd->ctx, f, flen);
            long long mtid;
            Sketch msk;
            Ticket m;
            if (RedisModule_StringToLongLong(field, &mtid) != REDISMODULE_OK || mtid <= 0 ||
                !sketchFromHex(v, vlen, &msk)) {
                if (nstale < 64) stale[nstale++] = field;
                continue;
            }
            if ((found && mtid > found) || !sketchAlike(sk, &msk)) continue;
            /* Closing, deleting or merging a master removes its entry; this
             * only catches masters changed behind the module's back. */
            if (!ticketLoadQuiet(hd, mtid, &m) || !m.exists || !ticketIsActive(&m) ||
                !isMaster(&m)) {
                if (nstale < 64) stale[nstale++] = field;
                continue;
            }
            if (hdTypeOk(hd, childrenKey(hd, mtid), REDISMODULE_KEYTYPE_SET)) found = mtid;
        }
    }
    if (r) RedisModule_FreeCallReply(r);
    for (int i = 0; i < nstale; i++)
        fxHashDel(hd, mkey, RedisModule_StringPtrLen(stale[i], NULL));
    return found;
}

/* Collects into f the active tickets of the window alike sk. The tickets are
 * loaded (and must be active, with usable keys) only when there are enough
 * alike entries to reach the threshold, and entries of tickets that are gone
 * or no longer active are dropped then. */
static void collectAlike(Hd *hd, RecentCache *c, RedisModuleString *rkey, const Sketch *sk,
                         long long self, long long threshold, Flood *f) {
    RecentEntry **alike, **dead;
    int nalike = cacheAlike(hd, c, sk, self, &alike), ndead = 0;

    f->n = 0;
    f->t = NULL;
    f->recent = NULL;
    if (nalike + 1 < threshold) return;

    /* one more for the new ticket */
    f->t = RedisModule_PoolAlloc(hd->ctx, (size_t)(nalike + 1) * sizeof(Ticket));
    f->recent = RedisModule_PoolAlloc(hd->ctx, (size_t)(nalike + 1) * sizeof(RecentEntry *));
    dead = RedisModule_PoolAlloc(hd->ctx, (size_t)(nalike + 1) * sizeof(RecentEntry *));
    for (int i = 0; i < nalike; i++) {
        Ticket *t = &f->t[f->n];
        if (!ticketLoadQuiet(hd, alike[i]->tid, t) || !t->exists || !ticketIsActive(t))
            dead[ndead++] = alike[i];
        else if (ticketKeysQuiet(hd, t))
            f->recent[f->n++] = alike[i];
    }
    for (int i = 0; i < ndead; i++) recentRemove(hd, c, rkey, dead[i]);
}

/* Scores order the window by time; ids order the flood. */
static void sortFlood(Flood *f) {
    for (int i = 1; i < f->n; i++) {
        Ticket t = f->t[i];
        RecentEntry *m = f->recent[i];
        int j = i;
        for (; j > 0 && f->t[j - 1].id > t.id; j--) {
            f->t[j] = f->t[j - 1];
            f->recent[j] = f->recent[j - 1];
        }
        f->t[j] = t;
        f->recent[j] = m;
    }
}

/* ------------------------------------------------------------------------ */
/* Hooks called by ticket.c                                                  */
/* ------------------------------------------------------------------------ */

int floodCheckKeys(Hd *hd) {
    return hdCheckType(hd, recentKey(hd), REDISMODULE_KEYTYPE_ZSET) &&
           hdCheckType(hd, mastersKey(hd), REDISMODULE_KEYTYPE_HASH);
}

void floodOnCreate(Hd *hd, const DeskConfig *cfg, Ticket *t,
                   RedisModuleString *subject, RedisModuleString *body) {
    Sketch sk;
    char hex[FLOOD_SKETCH_K * 8 + 1];
    size_t hexlen;
    Flood f;
    Ticket m;

    slaNoteDesk(hd);
    if (cfg->flood_threshold <= 0) return;
    sketchTicketText(subject, body, &sk);
    if (sk.n == 0) return;
    hexlen = sketchToHex(&sk, hex);

    long long mtid = findOpenMaster(hd, &sk);
    if (mtid) {
        mergeInto(hd, cfg, t, mtid, "flood");
        return;
    }

    RedisModuleString *rkey = recentKey(hd);
    RecentCache *c = syncRecent(hd, cfg, rkey);
    collectAlike(hd, c, rkey, &sk, t->id, cfg->flood_threshold, &f);
    long long mid = f.n + 1 >= cfg->flood_threshold ? nextTicketId(hd) : 0;
    if (!mid || !hdTypeOk(hd, childrenKey(hd, mid), REDISMODULE_KEYTYPE_SET) ||
        !hdTypeOk(hd, hdKey(hd, "ticket:%lld:log", mid), REDISMODULE_KEYTYPE_LIST)) {
        recentAdd(hd, c, rkey, t->id, &sk, hex, hexlen);
        recentInUse = NULL;
        return;
    }

    f.t[f.n] = *t;
    f.recent[f.n++] = NULL;
    sortFlood(&f);
    openIncident(hd, cfg, &f, mid, &m, hex, hexlen);
    for (int i = 0; i < f.n; i++) {
        if (f.recent[i]) recentRemove(hd, c, rkey, f.recent[i]);
        mergeInto(hd, cfg, &f.t[i], m.id, "flood");
        if (f.t[i].id == t->id) *t = f.t[i];
    }
    recentInUse = NULL;
    routingOffer(hd, cfg, &m, cfg->auto_route);
}

int floodCheckChildren(Hd *hd, Ticket *t) {
    long long *ids, mtid = masterOf(t);
    size_t n;

    if (!hdCheckType(hd, recentKey(hd), REDISMODULE_KEYTYPE_ZSET) ||
        !hdCheckType(hd, mastersKey(hd), REDISMODULE_KEYTYPE_HASH) ||
        !hdCheckType(hd, childrenKey(hd, t->id), REDISMODULE_KEYTYPE_SET)) return 0;
    if (mtid && !hdCheckType(hd, childrenKey(hd, mtid), REDISMODULE_KEYTYPE_SET)) return 0;
    if (!isMaster(t)) return 1;
    /* Closing closes the children, deleting reopens them: both write their
     * hash, log and (reopen) routing queue. */
    n = childIds(hd, t->id, &ids);
    for (size_t i = 0; i < n; i++) {
        Ticket c;
        if (!hdCheckType(hd, hdTicketKey(hd, ids[i]), REDISMODULE_KEYTYPE_HASH) ||
            !ticketLoad(hd, ids[i], &c)) return 0;
        if (c.exists && !ticketCheckKeys(hd, &c)) return 0;
    }
    return 1;
}

/* A merged child closes with its master. */
static void closeChild(Hd *hd, const DeskConfig *cfg, Ticket *c, long long mtid) {
    RedisModuleString *fv[8];
    char master[24];

    snprintf(master, sizeof(master), "%lld", mtid);
    moveStatus(hd, c, "closed");
    fv[0] = RedisModule_CreateString(hd->ctx, "status", 6);
    fv[1] = RedisModule_CreateString(hd->ctx, "closed", 6);
    fv[2] = RedisModule_CreateString(hd->ctx, "closed_at", 9);
    fv[3] = RedisModule_CreateStringFromLongLong(hd->ctx, hd->now);
    ticketWrite(hd, c, fv, 4);
    ticketLog(hd, c->id, "closed with master %lld", mtid);
    eventEmit(hd, cfg, "closed", c->id, "from", "merged", "master", master, NULL);
    hdg.tickets_closed++;
}

typedef void (*ChildFn)(Hd *hd, const DeskConfig *cfg, Ticket *c, long long mtid);

/* t is leaving (closed or deleted). A merged ticket leaves its master's
 * list; a master hands each merged ticket to fn, then forgets its children
 * and its open-incident entry. */
static void releaseChildren(Hd *hd, const DeskConfig *cfg, Ticket *t, ChildFn fn) {
    long long *ids, mtid = masterOf(t);

    forgetRecent(hd, t);
    if (mtid) {
        fxSRem(hd, childrenKey(hd, mtid), hdTicketMember(hd, t->id));
        return;
    }
    if (!isMaster(t)) return;
    size_t n = childIds(hd, t->id, &ids);
    for (size_t i = 0; i < n; i++) {
        Ticket c;
        if (loadMergedChild(hd, t->id, ids[i], &c)) fn(hd, cfg, &c, t->id);
    }
    fxDel(hd, childrenKey(hd, t->id));
    fxHashDel(hd, mastersKey(hd), RedisModule_StringPtrLen(
                  RedisModule_CreateStringFromLongLong(hd->ctx, t->id), NULL));
}

void floodOnMasterClosed(Hd *hd, const DeskConfig *cfg, Ticket *t) {
    releaseChildren(hd, cfg, t, closeChild);
}

/* A merged child whose master is deleted goes back to work: open,
 * unassigned, queued with its own SLA, master field removed. */
static void reopenChild(Hd *hd, const DeskConfig *cfg, Ticket *c, long long mtid) {
    RedisModuleString *fv[6];

    moveStatus(hd, c, "open");
    fxHashDel(hd, c->key, "master");
    c->master = NULL;
    fv[0] = RedisModule_CreateString(hd->ctx, "status", 6);
    fv[1] = RedisModule_CreateString(hd->ctx, "open", 4);
    ticketWrite(hd, c, fv, 2);
    queueAddActive(hd, c->id, c->priority, c->sla_due_at);
    queueAddRouting(hd, c->id, c->category, c->catlen, c->priority);
    ticketLog(hd, c->id, "reopened: master %lld was deleted", mtid);
    eventEmit(hd, cfg, "reopened", c->id, "reason", "master deleted", NULL);
    routingOffer(hd, cfg, c, cfg->auto_route);
}

void floodOnDelete(Hd *hd, const DeskConfig *cfg, Ticket *t) {
    releaseChildren(hd, cfg, t, reopenChild);
}

/* ------------------------------------------------------------------------ */
/* TICKET.MERGE D tid INTO master                                            */
/* ------------------------------------------------------------------------ */

static int loadForMerge(Hd *hd, RedisModuleString *arg, Ticket *t, const char *what) {
    long long tid;
    if (!hdArgTicketId(hd, arg, &tid) || !ticketLoad(hd, tid, t)) return 0;
    if (!t->exists)
        return hdError(hd, "NOTFOUND", "%s %lld does not exist on desk '%.*s'", what, tid,
                       (int)hd->dlen, hd->dname), 0;
    return 1;
}

/* Validates moving the children of master t (being merged into another
 * master) and loads them into *kids. */
static int checkChildrenMove(Hd *hd, Ticket *t, Ticket **kids, size_t *nkids) {
    long long *ids;
    size_t n = childIds(hd, t->id, &ids), k = 0;

    *kids = n ? RedisModule_PoolAlloc(hd->ctx, n * sizeof(Ticket)) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (!hdCheckType(hd, hdTicketKey(hd, ids[i]), REDISMODULE_KEYTYPE_HASH) ||
            !ticketLoad(hd, ids[i], &(*kids)[k])) return 0;
        Ticket *c = &(*kids)[k];
        if (!c->exists || strcmp(c->status, "merged") || masterOf(c) != t->id) continue;
        if (!hdCheckType(hd, hdKey(hd, "ticket:%lld:log", c->id), REDISMODULE_KEYTYPE_LIST))
            return 0;
        k++;
    }
    *nkids = k;
    return 1;
}

/* A merged ticket of master `from` now belongs to master `to`. */
static void moveChild(Hd *hd, const DeskConfig *cfg, Ticket *c, long long from, long long to) {
    RedisModuleString *fv[6];
    char master[24];
    snprintf(master, sizeof(master), "%lld", to);
    fv[0] = RedisModule_CreateString(hd->ctx, "master", 6);
    fv[1] = RedisModule_CreateString(hd->ctx, master, strlen(master));
    ticketWrite(hd, c, fv, 2);
    fxSAdd(hd, childrenKey(hd, to), hdTicketMember(hd, c->id));
    ticketLog(hd, c->id, "merged into %lld (its master %lld was merged into it)", to, from);
    eventEmit(hd, cfg, "merged", c->id, "master", master, "from", "merged",
              "reason", "master merged", NULL);
}

static int cmdTicketMerge(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Ticket t, m, *kids = NULL;
    size_t nkids = 0;

    if (!hdArgIs(argv[3], "INTO"))
        return hdSyntax(hd, "unexpected argument '%s'; TICKET.MERGE desk tid INTO master",
                        RedisModule_StringPtrLen(argv[3], NULL));
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    if (!loadForMerge(hd, argv[2], &t, "ticket") ||
        !loadForMerge(hd, argv[4], &m, "master ticket")) return REDISMODULE_OK;
    if (t.id == m.id)
        return hdError(hd, "INVALID", "ticket %lld cannot be merged into itself", t.id);
    if (!ticketIsActive(&t))
        return hdError(hd, "STATE", "ticket %lld is %s; only open, in_progress or on_hold "
                       "tickets can be merged", t.id, t.status);
    if (!ticketIsActive(&m))
        return hdError(hd, "STATE", "master ticket %lld is %s; merge into an active ticket",
                       m.id, m.status);
    if (!ticketCheckKeys(hd, &t) || !ticketCheckKeys(hd, &m) ||
        (t.agent && !agentCheckKeys(hd, t.agent)) ||
        !floodCheckKeys(hd) ||
        !hdCheckType(hd, childrenKey(hd, m.id), REDISMODULE_KEYTYPE_SET) ||
        !hdCheckType(hd, childrenKey(hd, t.id), REDISMODULE_KEYTYPE_SET)) return REDISMODULE_OK;
    if (isMaster(&t) && !checkChildrenMove(hd, &t, &kids, &nkids)) return REDISMODULE_OK;

    slaNoteDesk(hd);
    if (!isMaster(&m)) {
        RedisModuleString *fv[6];
        fv[0] = RedisModule_CreateString(hd->ctx, "master", 6);
        fv[1] = RedisModule_CreateString(hd->ctx, "self", 4);
        ticketWrite(hd, &m, fv, 2);
        m.master = fv[1];
        ticketLog(hd, m.id, "incident (ticket %lld merged into it by hand)", t.id);
        eventEmit(hd, &cfg, "incident", m.id, "tickets", "1", "reason", "manual", NULL);
    }
    if (isMaster(&t)) {
        for (size_t i = 0; i < nkids; i++) moveChild(hd, &cfg, &kids[i], t.id, m.id);
        fxDel(hd, childrenKey(hd, t.id));
        fxHashDel(hd, mastersKey(hd), RedisModule_StringPtrLen(
                      RedisModule_CreateStringFromLongLong(hd->ctx, t.id), NULL));
    }
    forgetRecent(hd, &t);
    mergeInto(hd, &cfg, &t, m.id, "manual");
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

static RedisModuleCommandArg argsMerge[] = {
    {.name = "tid", .type = REDISMODULE_ARG_TYPE_INTEGER},
    {.name = "master", .type = REDISMODULE_ARG_TYPE_INTEGER, .token = "INTO"},
    {0}
};

HdCommand hdFloodCommands[] = {
    {"ticket.merge", cmdTicketMerge, "write deny-oom", 5, 1,
     "Merge an active ticket into a master incident: out of every queue and off its "
     "agent, status merged, closed together with the master",
     "O(log N), plus O(C) when the merged ticket is itself a master with C merged tickets",
     argsMerge},
    {NULL}
};
