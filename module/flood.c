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
 * merged into it. Cost per create: O(T + M + R) for T bytes of text
 * (subject + at most FLOOD_BODY_MAX body bytes), M open incidents and R <=
 * FLOOD_RECENT_MAX recent tickets, each comparison O(k).
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

static void normalizeWord(Word *w) {
    for (int i = 0; i < w->len; i++) {
        if (w->s[i] >= '0' && w->s[i] <= '9') {   /* ids, counts, codes */
            strcpy(w->s, "#");
            w->len = 1;
            w->stop = 0;
            return;
        }
    }
    for (int i = 0; variants[i][0]; i++) {
        if (!strcmp(w->s, variants[i][0])) {
            strcpy(w->s, variants[i][1]);
            w->len = (int)strlen(w->s);
            break;
        }
    }
    w->stop = inList(stopWords, w->s);
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
        for (int i = 0; compounds[i][0]; i++) {
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
static int sketchAlike(const Sketch *a, const Sketch *b) {
    int i = 0, j = 0, uni = 0, both = 0;
    if (!a->n || !b->n) return 0;
    while (uni < FLOOD_SKETCH_K && (i < a->n || j < b->n)) {
        if (j >= b->n || (i < a->n && a->h[i] < b->h[j])) i++;
        else if (i >= a->n || b->h[j] < a->h[i]) j++;
        else { both++; i++; j++; }
        uni++;
    }
    return 2 * both >= uni;
}

static const char hexDigits[] = "0123456789abcdef";

/* 8 lower-case hex digits per hash; out has room for 8k+1 bytes. */
static size_t sketchToHex(const Sketch *sk, char *out) {
    size_t o = 0;
    for (int i = 0; i < sk->n; i++)
        for (int shift = 28; shift >= 0; shift -= 4) out[o++] = hexDigits[(sk->h[i] >> shift) & 15];
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

static RedisModuleString *recentKey(Hd *hd) { return hdKey(hd, "flood:recent"); }
static RedisModuleString *mastersKey(Hd *hd) { return hdKey(hd, "flood:masters"); }
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

/* Writes fields plus updated_at and version+1 (fv has room for 4 more). */
static void ticketWriteFields(Hd *hd, Ticket *t, RedisModuleString **fv, int n) {
    fv[n++] = RedisModule_CreateString(hd->ctx, "updated_at", 10);
    fv[n++] = RedisModule_CreateStringFromLongLong(hd->ctx, hd->now);
    fv[n++] = RedisModule_CreateString(hd->ctx, "version", 7);
    fv[n++] = RedisModule_CreateStringFromLongLong(hd->ctx, ++t->version);
    fxHashSet(hd, t->key, fv, n);
}

static void moveStatus(Hd *hd, Ticket *t, const char *to) {
    statsAdd(hd, "status", t->status, strlen(t->status), -1);
    statsAdd(hd, "status", to, strlen(to), 1);
    snprintf(t->status, sizeof(t->status), "%s", to);
}

/* Removes t's entry from the recent window, found by its created_at. */
static void forgetRecent(Hd *hd, const Ticket *t) {
    long long created;
    char prefix[32];
    int plen = snprintf(prefix, sizeof(prefix), "%lld:", t->id);
    RedisModuleString *found = NULL;

    if (!hdHashGetLL(hd, t->key, "created_at", &created)) return;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, recentKey(hd), REDISMODULE_READ);
    if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET &&
        RedisModule_ZsetFirstInScoreRange(k, (double)created, (double)created, 0, 0)
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
    if (found) fxZRem(hd, recentKey(hd), found);
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
    ticketWriteFields(hd, t, fv, 4);
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
    RedisModuleString **recent; /* their D:flood:recent members (NULL: none) */
    int n;
} Flood;

/* Opens the master incident of a flood: a new open ticket with master=self,
 * the oldest ticket's subject and category, the desk's highest priority in
 * use, logged `incident` and announced by an `incident` event. */
static void openIncident(Hd *hd, const DeskConfig *cfg, const Flood *f, long long mid,
                         Ticket *m, const char *sighex, size_t siglen) {
    RedisModuleString *fv[24], *subject, *urgency = NULL;
    const Ticket *first = &f->t[0];
    long long prio = maxPriorityInUse(hd);
    double best = -1;
    int n = 0;

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

    memset(m, 0, sizeof(*m));
    m->id = mid;
    m->key = hdTicketKey(hd, m->id);
    m->exists = 1;
    m->version = 1;
    m->priority = prio;
    strcpy(m->status, "open");
    memcpy(m->category, first->category, first->catlen + 1);
    m->catlen = first->catlen;
    m->sla_due_at = hd->now + deskSlaSeconds(cfg, prio) * 1000;
    m->master = RedisModule_CreateString(hd->ctx, "self", 4);

    RedisModuleString *orig = hdHashGet(hd, first->key, "subject");
    size_t olen = 0;
    const char *os = orig ? RedisModule_StringPtrLen(orig, &olen) : "";
    size_t room = HD_SUBJECT_MAX - 10;          /* strlen("Incident: ") */
    subject = RedisModule_CreateStringPrintf(hd->ctx, "Incident: %.*s",
                                             (int)(olen > room ? room : olen), os);

    fxSet(hd, hdKey(hd, "seq:tickets"), RedisModule_CreateStringFromLongLong(hd->ctx, m->id));
#define F(name, val) do { fv[n++] = RedisModule_CreateString(hd->ctx, name, strlen(name)); \
                          fv[n++] = (val); } while (0)
    F("subject", subject);
    F("body", RedisModule_CreateStringPrintf(hd->ctx, "Flash flood: %d similar tickets "
      "within %lld s, merged into this incident.", f->n, cfg->flood_window));
    F("status", RedisModule_CreateString(hd->ctx, "open", 4));
    F("priority", RedisModule_CreateStringFromLongLong(hd->ctx, prio));
    F("category", RedisModule_CreateString(hd->ctx, m->category, m->catlen));
    if (urgency) F("urgency", urgency);
    F("created_at", RedisModule_CreateStringFromLongLong(hd->ctx, hd->now));
    F("updated_at", RedisModule_CreateStringFromLongLong(hd->ctx, hd->now));
    F("sla_due_at", RedisModule_CreateStringFromLongLong(hd->ctx, m->sla_due_at));
    F("master", m->master);
    F("version", RedisModule_CreateString(hd->ctx, "1", 1));
#undef F
    fxHashSet(hd, m->key, fv, n);
    ticketLog(hd, m->id, "incident: flash flood of %d similar tickets (priority %lld, "
              "category %s)", f->n, prio, m->category);
    queueAddActive(hd, m->id, prio, m->sla_due_at);
    queueAddRouting(hd, m->id, m->category, m->catlen, prio);
    statsAdd(hd, "status", "open", 4, 1);
    statsAdd(hd, "category", m->category, m->catlen, 1);
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
    RedisModuleString *stale[64];
    int nstale = 0;
    RedisModuleCallReply *r = RedisModule_Call(hd->ctx, "HGETALL", "s", mastersKey(hd));

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
        fxHashDel(hd, mastersKey(hd), RedisModule_StringPtrLen(stale[i], NULL));
    return found;
}

/* Drops entries older than the window, and the oldest beyond the cap. */
static void trimRecent(Hd *hd, const DeskConfig *cfg) {
    char cutoff[32], keep[32];
    RedisModuleString *key = recentKey(hd);
    snprintf(cutoff, sizeof(cutoff), "(%lld", hd->now - cfg->flood_window * 1000);
    callWrite(hd, "ZREMRANGEBYSCORE", key, "-inf", cutoff);
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, key, REDISMODULE_READ);
    long long len = RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET
                    ? (long long)RedisModule_ValueLength(k) : 0;
    RedisModule_CloseKey(k);
    if (len >= FLOOD_RECENT_MAX) {
        /* room for the ticket about to be added */
        snprintf(keep, sizeof(keep), "%d", -FLOOD_RECENT_MAX);
        callWrite(hd, "ZREMRANGEBYRANK", key, "0", keep);
    }
}

/* "<tid>:<hex>" -> tid and sketch; 0 for anything else. */
static int parseRecent(const char *s, size_t len, long long *tid, Sketch *sk) {
    size_t i = 0;
    long long v = 0;
    while (i < len && i < 18 && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    if (i == 0 || i >= len || s[i] != ':' || v <= 0) return 0;
    *tid = v;
    return sketchFromHex(s + i + 1, len - i - 1, sk);
}

/* Collects into f the tickets of the window alike sk. Comparing sketches is
 * cheap; the tickets are loaded (and must be active, with usable keys) only
 * when there are enough alike entries to reach the threshold, and entries of
 * tickets that are gone or no longer active are dropped then. */
static void collectAlike(Hd *hd, const Sketch *sk, long long self, long long threshold,
                         Flood *f) {
    RedisModuleString **dead;
    long long *ids;
    int nalike = 0, ndead = 0, cap;
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, recentKey(hd), REDISMODULE_READ);

    int zset = RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET;

    f->n = 0;
    f->t = NULL;
    /* trimmed to FLOOD_RECENT_MAX; one more for the new ticket */
    cap = zset ? (int)RedisModule_ValueLength(k) : 0;
    if (cap > FLOOD_RECENT_MAX) cap = FLOOD_RECENT_MAX;
    cap++;
    f->recent = RedisModule_PoolAlloc(hd->ctx, cap * sizeof(RedisModuleString *));
    ids = RedisModule_PoolAlloc(hd->ctx, cap * sizeof(long long));
    if (zset && RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
                                          REDISMODULE_POSITIVE_INFINITE, 0, 0) == REDISMODULE_OK) {
        for (; !RedisModule_ZsetRangeEndReached(k) && nalike + 1 < cap;
             RedisModule_ZsetRangeNext(k)) {
            size_t len;
            long long tid;
            Sketch other;
            RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, NULL);
            const char *s = RedisModule_StringPtrLen(m, &len);
            if (parseRecent(s, len, &tid, &other) && tid != self && sketchAlike(sk, &other)) {
                ids[nalike] = tid;
                f->recent[nalike++] = m;
            } else {
                RedisModule_FreeString(hd->ctx, m);
            }
        }
        RedisModule_ZsetRangeStop(k);
    }
    RedisModule_CloseKey(k);
    if (nalike + 1 < threshold) return;

    f->t = RedisModule_PoolAlloc(hd->ctx, cap * sizeof(Ticket));
    dead = RedisModule_PoolAlloc(hd->ctx, cap * sizeof(RedisModuleString *));
    for (int i = 0; i < nalike; i++) {
        Ticket *t = &f->t[f->n];
        if (!ticketLoadQuiet(hd, ids[i], t) || !t->exists || !ticketIsActive(t))
            dead[ndead++] = f->recent[i];
        else if (ticketKeysQuiet(hd, t))
            f->recent[f->n++] = f->recent[i];
    }
    for (int i = 0; i < ndead; i++) fxZRem(hd, recentKey(hd), dead[i]);
}

/* Scores order the window by time; ids order the flood. */
static void sortFlood(Flood *f) {
    for (int i = 1; i < f->n; i++) {
        Ticket t = f->t[i];
        RedisModuleString *m = f->recent[i];
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

    trimRecent(hd, cfg);
    collectAlike(hd, &sk, t->id, cfg->flood_threshold, &f);
    long long mid = f.n + 1 >= cfg->flood_threshold ? nextTicketId(hd) : 0;
    if (!mid || !hdTypeOk(hd, childrenKey(hd, mid), REDISMODULE_KEYTYPE_SET) ||
        !hdTypeOk(hd, hdKey(hd, "ticket:%lld:log", mid), REDISMODULE_KEYTYPE_LIST)) {
        fxZAdd(hd, recentKey(hd), (double)hd->now,
               RedisModule_CreateStringPrintf(hd->ctx, "%lld:%s", t->id, hex));
        return;
    }

    f.t[f.n] = *t;
    f.recent[f.n++] = NULL;
    sortFlood(&f);
    openIncident(hd, cfg, &f, mid, &m, hex, hexlen);
    for (int i = 0; i < f.n; i++) {
        if (f.recent[i]) fxZRem(hd, recentKey(hd), f.recent[i]);
        mergeInto(hd, cfg, &f.t[i], m.id, "flood");
        if (f.t[i].id == t->id) *t = f.t[i];
    }
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
    ticketWriteFields(hd, c, fv, 4);
    ticketLog(hd, c->id, "closed with master %lld", mtid);
    eventEmit(hd, cfg, "closed", c->id, "from", "merged", "master", master, NULL);
    hdg.tickets_closed++;
}

void floodOnMasterClosed(Hd *hd, const DeskConfig *cfg, Ticket *t) {
    long long *ids, mtid = masterOf(t);

    forgetRecent(hd, t);
    if (mtid) {
        /* a merged ticket closed on its own */
        fxSRem(hd, childrenKey(hd, mtid), hdTicketMember(hd, t->id));
        return;
    }
    if (!isMaster(t)) return;
    size_t n = childIds(hd, t->id, &ids);
    for (size_t i = 0; i < n; i++) {
        Ticket c;
        if (loadMergedChild(hd, t->id, ids[i], &c)) closeChild(hd, cfg, &c, t->id);
    }
    fxDel(hd, childrenKey(hd, t->id));
    fxHashDel(hd, mastersKey(hd), RedisModule_StringPtrLen(
                  RedisModule_CreateStringFromLongLong(hd->ctx, t->id), NULL));
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
    ticketWriteFields(hd, c, fv, 2);
    queueAddActive(hd, c->id, c->priority, c->sla_due_at);
    queueAddRouting(hd, c->id, c->category, c->catlen, c->priority);
    ticketLog(hd, c->id, "reopened: master %lld was deleted", mtid);
    eventEmit(hd, cfg, "reopened", c->id, "reason", "master deleted", NULL);
    routingOffer(hd, cfg, c, cfg->auto_route);
}

void floodOnDelete(Hd *hd, const DeskConfig *cfg, Ticket *t) {
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
        if (loadMergedChild(hd, t->id, ids[i], &c)) reopenChild(hd, cfg, &c, t->id);
    }
    fxDel(hd, childrenKey(hd, t->id));
    fxHashDel(hd, mastersKey(hd), RedisModule_StringPtrLen(
                  RedisModule_CreateStringFromLongLong(hd->ctx, t->id), NULL));
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
    ticketWriteFields(hd, c, fv, 2);
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
        ticketWriteFields(hd, &m, fv, 2);
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
