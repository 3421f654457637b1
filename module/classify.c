/* classify.c -- ticket classification (category, urgency); the alerts it
 * triggers are in alerts.c, its lexicon in lexicon.c, its tokeniser in text.c.
 *
 * A text is cut into tokens by text.c (the tokeniser and stemmer the flood
 * signature uses too): ASCII letters are case folded, ASCII punctuation
 * separates words, bytes >= 0x80 stay inside words (so a UTF-8 character is
 * never split; Unicode punctuation such as curly quotes and dashes
 * separates), long words are cut at a character boundary, and words lose
 * common suffixes ("charges", "charged", "charging" -> "charg"). Only the first CL_MAX_TOKENS
 * tokens are read, so the cost of a call is bounded whatever the text size.
 * Subject words weigh CL_SUBJECT_WEIGHT body words. '.', '!', '?', ';' and
 * line breaks end sentences (the subject is one), for the urgency's context.
 *
 * Category: a multinomial naive Bayes over the desk's categories. The count
 * of word w in category c is CL_LEX_SCALE times the built-in lexicon's weight
 * for (w, c) -- a pseudo-count -- plus what TICKET.TRAIN taught the desk;
 * every category's total is CL_LEX_MASS plus its trained tokens, and the
 * prior counts CL_PRIOR_DOCS pseudo-documents per category. With no training
 * this is a log-damped keyword vote; as trained documents accumulate their
 * counts dominate, and training a new category makes it a candidate. Words
 * no category knows are ignored (they would only favour the smallest
 * categories); a text without any known word is `general`, and so is a tie
 * with `general`. Lexicon phrases (up to CL_PHRASE_MAX words, stop words
 * included: "terms of service") are matched first and speak for their words:
 * a word inside a phrase with a category meaning, or inside a neutral phrase
 * ("investment returns"), loses its own lexicon weight there, so ambiguous
 * words count only where they mean the category. A desk's own keywords
 * (category.<name>.keywords) count like strong lexicon terms.
 *
 * Urgency: a noisy-OR of the three strongest urgency cues of the text (words
 * and phrases: failures and their scope, threats, time pressure, negative
 * words; a phrase stands for its own words; a negated cue such as "not
 * urgent" does not count; a cue in a question or after "prevent", "how to",
 * ... in its sentence is asked about and weighs CL_ASKED_FACTOR of itself),
 * the number of '!' and the share of words written in capitals, then lowered
 * by the strongest calm cue ("no rush", "everything is fine", thanks). A
 * desk trained with TICKET.TRAIN URGENCY blends in its naive Bayes estimate,
 * weighted by how often each judge was right on the desk's own labels
 * (urgencyModelWeight). Clamped to [0,1] and rounded to 3 decimals, the
 * precision stored in the ticket hash, so the label, the priority and the
 * alert decision agree with the stored value.
 *
 * Model keys, plain hashes written with the fx* helpers so they persist and
 * replicate like every other key:
 *   D:model:words  word -> "billing=3,warranty=1,!high=2" (its counts per
 *                  category and per urgency label; the hash's length is the
 *                  trained vocabulary size, at most CL_MODEL_MAX_WORDS)
 *   D:model:meta   docs, docs:<name>, tokens:<name> (name: a category or
 *                  !low, !medium, !high), udocs, ucheck, ucheck:lex, ucheck:nb
 * The model is word-major: classifying costs one lookup per distinct word of
 * the text whatever the number of categories, served from a read-through
 * cache (see "Model cache") after the first time. Nothing ever scans the
 * words hash. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpdesk.h"
#include "hd_text.h"
#include "hd_lexicon.h"

#define CL_MAX_TOKENS 512       /* tokens read from one text */
#define CL_WORD_MAX TEXT_WORD_MAX /* bytes kept of a word */
#define CL_PHRASE_MAX 4         /* words in a lexicon phrase */
#define CL_KEY_MAX (CL_PHRASE_MAX * (CL_WORD_MAX + 1))
#define CL_MAX_MATCHES 256      /* phrase matches kept per text */
/* The tuning constants below can be overridden at build time
 * (EXTRA_CFLAGS=-DCL_ALPHA=1.0 ...) to try values with
 * `scripts/tools/eval-classifier --public FILE --part train --cv K`. */
#ifndef CL_LEX_MASS
#define CL_LEX_MASS 100.0       /* pseudo-tokens every category starts with */
#endif
#ifndef CL_ALPHA
#define CL_ALPHA 2.0            /* Laplace smoothing */
#endif
#ifndef CL_LEX_SCALE
#define CL_LEX_SCALE 3.0        /* trained occurrences one lexicon weight unit is worth */
#endif
#ifndef CL_PRIOR_DOCS
#define CL_PRIOR_DOCS 10.0      /* pseudo-documents per category in the prior */
#endif
/* A trained desk's category prior counts this many times: naive Bayes
 * multiplies one probability per word as if the words were independent, so
 * on a long text the likelihood is overconfident and drowns the prior (how
 * often each category really comes). Chosen by 10-fold cross-validation on
 * the public set's train part: 1 -> 65.4%, 2 -> 67.4%, 3 -> 67.6% (macro-F1
 * no better, more lean to the common class), 8 -> leans too far. */
#ifndef CL_PRIOR_POWER
#define CL_PRIOR_POWER 2.0
#endif
/* A category lesson the model gets wrong counts this many times over
 * (error-driven, as a perceptron learns from its mistakes): the words that
 * told the categories apart weigh more than those every ticket shares.
 * Cross-validated as above: +1 to +2 points of accuracy. */
#ifndef CL_MISS_WEIGHT
#define CL_MISS_WEIGHT 2
#endif
#ifndef CL_SUBJECT_WEIGHT
#define CL_SUBJECT_WEIGHT 2.0   /* a subject word counts like two body words */
#endif
#define CL_MODEL_MAX_WORDS 20000 /* vocabulary bound of D:model:words */

/* ln(n) for the small integers that counts + smoothing almost always are. */
#define CL_LOG_TABLE 1024
static double logTable[CL_LOG_TABLE];

static double clLogCount(double x) {
    long long n = (long long)x;
    if ((double)n == x && n > 0 && n < CL_LOG_TABLE) return logTable[n];
    return log(x);
}

/* ------------------------------------------------------------------------ */
/* The lexicon's lookup table, built from lexicon.c on first use            */
/* ------------------------------------------------------------------------ */

typedef struct LexEntry {
    char key[CL_KEY_MAX + 1];       /* "word" or "word word ..." */
    unsigned char klen;
    unsigned char stop, neg, acronym;
    unsigned char phrase;           /* the key is a phrase */
    unsigned char starts;           /* some phrase begins with this word */
    unsigned char longer;           /* a phrase prefix some longer phrase continues */
    unsigned char neutral;          /* a phrase of no category that covers its words */
    unsigned char hypo;             /* cues after it are asked about */
    float cat[LEX_NCAT];
    float urg;
    float calm;
} LexEntry;

#define LEX_SLOTS 8192              /* power of two, > 2x the entries */
static LexEntry *lexEntries;
static int lexCount, lexCap;
static int lexSlot[LEX_SLOTS];      /* entry index + 1, 0 = empty */
static long long lexVocab;          /* distinct category words, for smoothing */
static int lexReady;

/* ------------------------------------------------------------------------ */
/* Tokeniser                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct ClToken {
    char w[CL_WORD_MAX + 1];
    unsigned char len;
    unsigned char subject;          /* came from the subject */
    unsigned char sent;             /* sentence number (capped) */
    const LexEntry *lex;            /* the lexicon entry of the word, or NULL */
} ClToken;

#define CL_MAX_SENTS 255            /* later sentences share the last number */

typedef struct ClText {
    ClToken tok[CL_MAX_TOKENS];
    int ntok;
    int sent;                       /* current sentence */
    int sentToks;                   /* tokens in it so far */
    unsigned char question[CL_MAX_SENTS + 1];   /* the sentence ended with '?' */
    int exclam;                     /* '!' seen */
    int words;                      /* ASCII words of 3+ letters */
    int caps;                       /* ... of them written in capitals */
} ClText;

static const LexEntry *lexFind(const char *key, size_t n) {
    unsigned int i = textHash(key, n) & (LEX_SLOTS - 1);
    while (lexSlot[i]) {
        const LexEntry *e = &lexEntries[lexSlot[i] - 1];
        if (e->klen == n && memcmp(e->key, key, n) == 0) return e;
        i = (i + 1) & (LEX_SLOTS - 1);
    }
    return NULL;
}

/* A '.', '!', '?', ';' or line break ends a sentence that has words. */
static void sentenceEnd(ClText *t, unsigned char c) {
    if (t->sentToks == 0) {
        if (c == '?' && t->sent > 0) t->question[t->sent - 1] = 1;   /* "...??" */
        return;
    }
    t->question[t->sent] = c == '?';
    if (t->sent < CL_MAX_SENTS) t->sent++;
    t->question[t->sent] = 0;
    t->sentToks = 0;
}

/* Reads words of s[0..len) into t, stopping at CL_MAX_TOKENS. */
static void tokenize(ClText *t, const char *str, size_t len, int subject) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, pl;

    sentenceEnd(t, '.');            /* the subject is a sentence of its own */
    while (i < len && t->ntok < CL_MAX_TOKENS) {
        if (s[i] == '!') t->exclam++;
        if (s[i] == '.' || s[i] == '!' || s[i] == '?' || s[i] == ';' || s[i] == '\n') {
            /* "3.5" and "e.g" stay inside the sentence */
            if (s[i] != '.' || i + 1 >= len || s[i + 1] == ' ' || s[i + 1] == '\n')
                sentenceEnd(t, s[i]);
            i++;
            continue;
        }
        if ((pl = textPunctLen(s + i, len - i)) > 0) { i += pl; continue; }
        if (!textIsWordByte(s[i])) { i++; continue; }

        ClToken *tk = &t->tok[t->ntok];
        TextWord w;
        i = textReadWord(str, len, i, &w);
        size_t n = w.len;
        int upper = w.upper, lower = w.lower, other = w.other;
        memcpy(tk->w, w.w, n + 1);
        if (other == 0 && upper + lower >= 3) {
            t->words++;
            if (lower == 0) {
                const LexEntry *e = lexFind(tk->w, n);   /* unstemmed form */
                if (!e || !e->acronym) t->caps++;
            }
        }
        tk->len = (unsigned char)textStem(tk->w, n);
        tk->subject = (unsigned char)subject;
        tk->sent = (unsigned char)t->sent;
        tk->lex = lexFind(tk->w, tk->len);
        t->ntok++;
        t->sentToks++;
    }
}

/* ------------------------------------------------------------------------ */
/* Building the lexicon (once, on first use)                                 */
/* ------------------------------------------------------------------------ */

static LexEntry *lexAdd(const char *key, size_t n) {
    unsigned int i = textHash(key, n) & (LEX_SLOTS - 1);
    while (lexSlot[i]) {
        LexEntry *e = &lexEntries[lexSlot[i] - 1];
        if (e->klen == n && memcmp(e->key, key, n) == 0) return e;
        i = (i + 1) & (LEX_SLOTS - 1);
    }
    if (lexCount * 2 >= LEX_SLOTS) return NULL;   /* table full: term dropped */
    if (lexCount == lexCap) {
        lexCap = lexCap ? lexCap * 2 : 512;
        lexEntries = RedisModule_Realloc(lexEntries, lexCap * sizeof(LexEntry));
    }
    LexEntry *e = &lexEntries[lexCount];
    memset(e, 0, sizeof(*e));
    memcpy(e->key, key, n);
    e->klen = (unsigned char)n;
    lexSlot[i] = ++lexCount;
    return e;
}

/* Calls fn for the entry of each comma-separated term of list: its tokens
 * joined by spaces, read exactly as a text is read, or with `raw` the word as
 * written (acronyms are recognised before stemming). */
static void forEachTerm(const char *list, void (*fn)(LexEntry *, const void *),
                        const void *arg, int raw) {
    const char *p = list;
    static ClText tt;                 /* only used while building */
    while (*p) {
        const char *start;
        char key[CL_KEY_MAX + 1];
        size_t n;
        while (*p == ',' || *p == ' ') p++;
        if (!*p) break;
        start = p;
        while (*p && *p != ',') p++;
        if (raw) {
            LexEntry *e = lexAdd(start, (size_t)(p - start));
            if (e) fn(e, arg);
            continue;
        }
        memset(&tt, 0, sizeof(tt));
        tokenize(&tt, start, (size_t)(p - start), 0);
        if (tt.ntok == 0 || tt.ntok > CL_PHRASE_MAX) continue;
        n = 0;
        for (int k = 0; k < tt.ntok; k++) {
            if (k) key[n++] = ' ';
            memcpy(key + n, tt.tok[k].w, tt.tok[k].len);
            n += tt.tok[k].len;
        }
        LexEntry *e = lexAdd(key, n);
        if (!e) continue;
        fn(e, arg);
        if (tt.ntok > 1) {
            e->phrase = 1;
            /* lexAdd may move the entries: e is not used after this. */
            LexEntry *first = lexAdd(tt.tok[0].w, tt.tok[0].len);
            if (first) first->starts = 1;
            /* Its shorter prefixes say "keep reading": matching stops at the
             * first prefix no phrase continues. */
            for (int k = 2, plen = tt.tok[0].len; k < tt.ntok; k++) {
                plen += 1 + tt.tok[k - 1].len;
                LexEntry *pre = lexAdd(key, (size_t)plen);
                if (pre) pre->longer = 1;
            }
        }
    }
}

static void setCatWeight(LexEntry *e, const void *arg) {
    const LexSpec *s = arg;
    for (int c = 0; c < LEX_NCAT; c++) {
        if (!strcmp(lexBuiltinCats[c], s->cat) && e->cat[c] < s->w) e->cat[c] = (float)s->w;
    }
}
static void setUrgWeight(LexEntry *e, const void *arg) {
    const LexSpec *s = arg;
    if (e->urg < s->w) e->urg = (float)s->w;
}
static void setCalmWeight(LexEntry *e, const void *arg) {
    const LexSpec *s = arg;
    if (e->calm < s->w) e->calm = (float)s->w;
}
static void setNeutral(LexEntry *e, const void *arg) { e->neutral = 1; }
static void setHypo(LexEntry *e, const void *arg) { e->hypo = 1; }
static void setStop(LexEntry *e, const void *arg) { e->stop = 1; }
static void setNeg(LexEntry *e, const void *arg) { e->neg = 1; }
static void setAcronym(LexEntry *e, const void *arg) { e->acronym = 1; }

static void lexBuild(void) {
    if (lexReady) return;
    lexReady = 1;     /* set first: tokenize() looks words up while building */
    forEachTerm(lexStopWords, setStop, NULL, 0);
    forEachTerm(lexNegators, setNeg, NULL, 0);
    forEachTerm(lexAcronyms, setAcronym, NULL, 1);
    for (size_t i = 0; i < lexCategoryCount; i++)
        forEachTerm(lexCategory[i].terms, setCatWeight, &lexCategory[i], 0);
    for (size_t i = 0; i < lexNeutralCount; i++)
        forEachTerm(lexNeutral[i].terms, setNeutral, NULL, 0);
    for (size_t i = 0; i < lexUrgencyCount; i++)
        forEachTerm(lexUrgency[i].terms, setUrgWeight, &lexUrgency[i], 0);
    for (size_t i = 0; i < lexCalmCount; i++)
        forEachTerm(lexCalm[i].terms, setCalmWeight, &lexCalm[i], 0);
    forEachTerm(lexHypoWords, setHypo, NULL, 0);
    for (int n = 1; n < CL_LOG_TABLE; n++) logTable[n] = log((double)n);
    lexVocab = 0;
    for (int i = 0; i < lexCount; i++) {
        for (int c = 0; c < LEX_NCAT; c++) {
            if (lexEntries[i].cat[c] > 0) { lexVocab++; break; }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Terms of a text                                                           */
/* ------------------------------------------------------------------------ */

/* A distinct category clue of the text: a word that is not a stop word, or a
 * lexicon phrase. */
typedef struct ClTerm {
    const char *w;                  /* NUL-terminated */
    size_t len;
    const LexEntry *lex;
    double n;                       /* occurrences, subject ones weighted */
    double nlex;                    /* ... of them not inside a lexicon phrase */
    int phrase;                     /* 1: lexicon phrase, 2: desk keyword; not in the model */
    int kwcat;                      /* desk keyword: index in the desk's categories */
} ClTerm;

#define CL_TERM_SLOTS 2048          /* power of two, > 2 * max terms */

typedef struct ClMatch { int pos; const LexEntry *lex; } ClMatch;

typedef struct ClWork {
    ClText text;
    ClTerm term[CL_MAX_TOKENS + CL_MAX_MATCHES];
    int nterm;
    short slot[CL_TERM_SLOTS];      /* term index + 1 */
    ClMatch match[CL_MAX_MATCHES];  /* phrases found, in text order */
    int nmatch;
    unsigned char covered[CL_MAX_TOKENS];   /* inside a phrase of category meaning */
} ClWork;

static void termAdd(ClWork *cw, const char *w, size_t len, const LexEntry *lex,
                    double n, double nlex, int phrase) {
    unsigned int i = textHash(w, len) & (CL_TERM_SLOTS - 1);
    while (cw->slot[i]) {
        ClTerm *t = &cw->term[cw->slot[i] - 1];
        if (t->phrase == phrase && t->len == len && !memcmp(t->w, w, len)) {
            t->n += n;
            t->nlex += nlex;
            return;
        }
        i = (i + 1) & (CL_TERM_SLOTS - 1);
    }
    if (cw->nterm >= CL_MAX_TOKENS + CL_MAX_MATCHES) return;
    ClTerm *t = &cw->term[cw->nterm];
    t->w = w;
    t->len = len;
    t->lex = lex;
    t->n = n;
    t->nlex = nlex;
    t->phrase = phrase;
    t->kwcat = -1;
    cw->slot[i] = (short)++cw->nterm;
}

static int hasCategoryWeight(const LexEntry *e) {
    for (int c = 0; c < LEX_NCAT; c++) if (e->cat[c] > 0) return 1;
    return 0;
}

/* Lexicon phrases starting at token i (only tried when a phrase starts with
 * that word, so most words cost no extra lookup). */
static void matchPhrases(ClWork *cw, int i, double n) {
    ClText *t = &cw->text;
    char key[CL_KEY_MAX + 1];
    size_t len = t->tok[i].len;

    memcpy(key, t->tok[i].w, len);
    for (int k = 1; k < CL_PHRASE_MAX && i + k < t->ntok; k++) {
        const ClToken *next = &t->tok[i + k];
        key[len++] = ' ';
        memcpy(key + len, next->w, next->len);
        len += next->len;
        const LexEntry *e = lexFind(key, len);
        if (!e) break;                      /* no phrase goes on like this */
        if (!e->phrase || cw->nmatch == CL_MAX_MATCHES) {
            if (!e->longer) break;
            continue;
        }
        cw->match[cw->nmatch].pos = i;
        cw->match[cw->nmatch].lex = e;
        cw->nmatch++;
        termAdd(cw, e->key, e->klen, e, n, n, 1);
        /* A phrase with a category meaning (or none at all, on purpose)
         * speaks for its words: their own lexicon weights do not count. */
        if (e->neutral || hasCategoryWeight(e))
            for (int j = 0; j <= k; j++) cw->covered[i + j] = 1;
        if (!e->longer) break;
    }
}

/* Phrases first, so that words inside them are known; then the words.
 * Trained counts always see every word (the model learns its own context). */
static void collectTerms(ClWork *cw) {
    ClText *t = &cw->text;
    memset(cw->covered, 0, (size_t)t->ntok);
    for (int i = 0; i < t->ntok; i++) {
        ClToken *tk = &t->tok[i];
        if (tk->lex && tk->lex->starts) matchPhrases(cw, i, tk->subject ? CL_SUBJECT_WEIGHT : 1.0);
    }
    for (int i = 0; i < t->ntok; i++) {
        ClToken *tk = &t->tok[i];
        double n = tk->subject ? CL_SUBJECT_WEIGHT : 1.0;
        if (!(tk->lex && tk->lex->stop))
            termAdd(cw, tk->w, tk->len, tk->lex, n, cw->covered[i] ? 0.0 : n, 0);
    }
}

/* ------------------------------------------------------------------------ */
/* Urgency                                                                   */
/* ------------------------------------------------------------------------ */

static int negated(const ClText *t, int i) {
    for (int k = 1; k <= 2 && i - k >= 0; k++) {
        const LexEntry *e = t->tok[i - k].lex;
        if (e && e->neg) return 1;
    }
    return 0;
}

#ifndef CL_URGENCY_CUES
#define CL_URGENCY_CUES 3        /* strongest lexicon cues that count */
#endif
#ifndef CL_ASKED_FACTOR
#define CL_ASKED_FACTOR 0.35     /* a cue asked about weighs this much of one happening */
#endif

typedef struct UrgCue { const LexEntry *e; double w; } UrgCue;

typedef struct UrgScan {
    UrgCue cue[64];
    int ncue;
    int hypoSent;                /* sentence with a "prevent", "how to", ... so far */
    double calm;                 /* strongest calm cue */
} UrgScan;

/* Each urgency word or phrase counts once (its strongest occurrence), unless
 * negated; asked about ("how do we prevent a data breach?") it weighs less. */
static void urgencyCue(const ClText *t, int pos, const LexEntry *e, UrgScan *us) {
    if (!e || negated(t, pos)) return;
    if (e->hypo) us->hypoSent = t->tok[pos].sent;
    if (e->calm > us->calm) us->calm = e->calm;
    if (e->urg <= 0) return;
    int sent = t->tok[pos].sent;
    double w = e->urg;
    if (t->question[sent] || us->hypoSent == sent) w *= CL_ASKED_FACTOR;
    for (int j = 0; j < us->ncue; j++) {
        if (us->cue[j].e != e) continue;
        if (w > us->cue[j].w) us->cue[j].w = w;
        return;
    }
    if (us->ncue < 64) {
        us->cue[us->ncue].e = e;
        us->cue[us->ncue].w = w;
        us->ncue++;
    }
}

static double urgencyOf(ClWork *cw) {
    UrgScan us;
    int covered_to = -1;
    double quiet = 1.0;             /* product of (1 - w) */
    ClText *t = &cw->text;

    us.ncue = 0;
    us.hypoSent = -1;
    us.calm = 0;
    /* A phrase cue stands for its words: "this week" counts, "week" not
     * again. Matches are in text order, so one running bound suffices. */
    for (int i = 0, j = 0; i < t->ntok; i++) {
        for (; j < cw->nmatch && cw->match[j].pos == i; j++) {
            const LexEntry *e = cw->match[j].lex;
            int words = 1;
            if ((e->urg <= 0 && e->calm <= 0 && !e->hypo) || negated(t, i)) continue;
            for (int k = 0; k < e->klen; k++) if (e->key[k] == ' ') words++;
            urgencyCue(t, i, e, &us);
            if (i + words - 1 > covered_to) covered_to = i + words - 1;
        }
        if (i > covered_to) urgencyCue(t, i, t->tok[i].lex, &us);
    }
    /* Only the strongest cues count: a pile of mild words ("still", "week",
     * "wrong") must not add up to an incident. */
    for (int k = 0; k < CL_URGENCY_CUES && k < us.ncue; k++) {
        int top = k;
        for (int j = k + 1; j < us.ncue; j++) if (us.cue[j].w > us.cue[top].w) top = j;
        UrgCue tmp = us.cue[k];
        us.cue[k] = us.cue[top];
        us.cue[top] = tmp;
        quiet *= 1.0 - us.cue[k].w;
    }
    if (t->exclam > 0) quiet *= 1.0 - fmin(0.3, 0.1 * t->exclam);
    if (t->caps > 0 && t->words > 0) {
        double ratio = (double)t->caps / t->words;
        quiet *= 1.0 - fmin(0.4, 0.1 * t->caps + 0.4 * ratio);
    }
    double u = 1.0 - quiet;
    /* "no rush", thanks, a question: lower, but an incident stays serious. */
    u *= 1.0 - us.calm * (1.0 - u / 2.0);
    if (u < 0) u = 0;
    if (u > 1) u = 1;
    return u;
}

/* ------------------------------------------------------------------------ */
/* Category                                                                  */
/* ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------ */
/* Model cache                                                               */
/* ------------------------------------------------------------------------ */

/* A read-through copy of what classification read from a desk's D:model:*
 * keys: the per-name document and token counts of D:model:meta, and the
 * D:model:words values of the words looked up so far (or that a word is not
 * there), already parsed: the counts of each pair as (index in the desk's
 * category list, or MC_URG + urgency label; count), pairs of names the desk
 * does not have dropped. Each HashGet through the module API costs an
 * allocation or two, and reading "billing=3,warranty=1" a string compare per
 * pair and category; served from here, a trained desk classifies in about
 * the time of an untrained one. The keys stay the truth: any change to a key
 * named "*:model:*" (a command, a replicated write on a replica, an expiry,
 * a flush, an RDB load) and every training by this module bumps mcEpoch,
 * which drops every entry; an entry is also checked against docs, udocs, the
 * words hash's length read from the keys and the desk's category list on
 * every call (the indexes are positions in that list). Bounded: MC_DESKS
 * desks (least recently used is dropped), at most CL_MODEL_MAX_WORDS words
 * each, and MC_BYTES_MAX bytes of words and pairs in all (past that, words
 * are read through without being kept). */
#define MC_DESKS 4
#define MC_BYTES_MAX (16u << 20)
#define MC_META_MAX (2 * HD_MAX_CATEGORIES + 8)
#define MC_URG HD_MAX_CATEGORIES        /* pair index of the first urgency label */
#define MC_CATS_MAX (HD_MAX_CATEGORIES * 34)

typedef struct McPair { unsigned char idx; long long n; } McPair;

typedef struct McWord {
    char *w;                        /* NULL: empty slot */
    McPair *pair;                   /* NULL when npair is 0 */
    unsigned char wlen, npair;
} McWord;

typedef struct McMeta { char name[34]; long long docs, tokens; } McMeta;

typedef struct McDesk {
    int used, db;
    char desk[HD_DESK_MAX + 1];
    size_t dlen;
    unsigned long long epoch, lastUse;
    long long docs, udocs, vocab;   /* what the keys said when it was filled */
    long long uchk, uchkLex, uchkNb; /* urgency checks before training (see trainUrgency) */
    char cats[MC_CATS_MAX];         /* the category list the pair indexes refer to */
    size_t catsLen;
    McMeta meta[MC_META_MAX];
    int nmeta;
    McWord *slot;
    size_t cap, n;                  /* cap: power of two */
} McDesk;

static McDesk mcDesks[MC_DESKS];
static unsigned long long mcEpoch = 1, mcClock;
static size_t mcBytes;                  /* words and values held, all desks */

static void mcClear(McDesk *d) {
    for (size_t i = 0; i < d->cap; i++) {
        if (!d->slot[i].w) continue;
        mcBytes -= (size_t)d->slot[i].wlen + 1 + d->slot[i].npair * sizeof(McPair);
        RedisModule_Free(d->slot[i].w);
        if (d->slot[i].pair) RedisModule_Free(d->slot[i].pair);
    }
    mcBytes -= d->cap * sizeof(McWord);
    RedisModule_Free(d->slot);
    d->slot = NULL;
    d->cap = d->n = 0;
    d->used = 0;
}

/* Something changed a model key: every cached entry is stale. */
static void mcInvalidate(void) { mcEpoch++; }

static void mcOnKeyspace(RedisModuleCtx *ctx, int type, const char *event,
                         RedisModuleString *key) {
    size_t len;
    const char *k = RedisModule_StringPtrLen(key, &len);
    for (size_t i = 0; i + 7 <= len; i++)
        if (k[i] == ':' && !memcmp(k + i, ":model:", 7)) { mcInvalidate(); break; }
}

static void mcOnServerEvent(RedisModuleCtx *ctx, RedisModuleEvent e, uint64_t sub, void *data) {
    mcInvalidate();
}

void classifyInit(RedisModuleCtx *ctx) {
    /* The model keys are opened as hashes at every use (openHash): a key
     * that another type replaced is not read. */
    hdKeptHooks(ctx, mcOnKeyspace, mcOnServerEvent);
}

void classifyUnload(void) {
    for (int i = 0; i < MC_DESKS; i++) mcClear(&mcDesks[i]);
}

typedef struct MetaScan { McDesk *d; } MetaScan;

static void mcMetaField(RedisModuleKey *key, RedisModuleString *field,
                        RedisModuleString *value, void *privdata) {
    McDesk *d = ((MetaScan *)privdata)->d;
    size_t flen;
    long long x;
    const char *f = RedisModule_StringPtrLen(field, &flen);
    if (flen >= 6 && !memcmp(f, "ucheck", 6)) {
        if (RedisModule_StringToLongLong(value, &x) != REDISMODULE_OK || x < 0) x = 0;
        if (flen == 6) d->uchk = x;
        else if (flen == 10 && !memcmp(f + 6, ":lex", 4)) d->uchkLex = x;
        else if (flen == 9 && !memcmp(f + 6, ":nb", 3)) d->uchkNb = x;
        return;
    }
    int isdocs = flen > 5 && !memcmp(f, "docs:", 5);
    int istok = flen > 7 && !memcmp(f, "tokens:", 7);
    if (!isdocs && !istok) return;
    if (RedisModule_StringToLongLong(value, &x) != REDISMODULE_OK || x < 0) x = 0;
    const char *name = f + (isdocs ? 5 : 7);
    size_t nlen = flen - (isdocs ? 5 : 7);
    if (nlen > 33) return;
    int i;
    for (i = 0; i < d->nmeta; i++)
        if (strlen(d->meta[i].name) == nlen && !memcmp(d->meta[i].name, name, nlen)) break;
    if (i == d->nmeta) {
        if (d->nmeta == MC_META_MAX) return;
        memcpy(d->meta[i].name, name, nlen);
        d->meta[i].name[nlen] = '\0';
        d->meta[i].docs = d->meta[i].tokens = 0;
        d->nmeta++;
    }
    if (isdocs) d->meta[i].docs = x;
    else d->meta[i].tokens = x;
}

/* The desk's category list as one string "billing,technical,...," (what
 * the cached pair indexes refer to); its length. */
static size_t mcCatsOf(const DeskConfig *cfg, char *out) {
    size_t n = 0;
    for (int i = 0; i < cfg->ncat; i++) {
        size_t l = strlen(cfg->cats[i]);
        if (n + l + 1 > MC_CATS_MAX) break;
        memcpy(out + n, cfg->cats[i], l);
        n += l;
        out[n++] = ',';
    }
    return n;
}

/* The cache entry of this desk, valid for what the keys say now and for its
 * category list (filled or refilled as needed). */
static McDesk *mcEntry(Hd *hd, const DeskConfig *cfg, RedisModuleKey *meta, long long docs,
                       long long udocs, long long vocab) {
    int db = RedisModule_GetSelectedDb(hd->ctx);
    McDesk *d = NULL, *victim = &mcDesks[0];
    char cats[MC_CATS_MAX];
    size_t catsLen = mcCatsOf(cfg, cats);
    for (int i = 0; i < MC_DESKS; i++) {
        McDesk *e = &mcDesks[i];
        if (e->used && e->db == db && e->dlen == hd->dlen && !memcmp(e->desk, hd->dname, hd->dlen))
            d = e;
        if (!e->used || (victim->used && e->lastUse < victim->lastUse)) victim = e;
    }
    if (d && (d->epoch != mcEpoch || d->docs != docs || d->udocs != udocs || d->vocab != vocab ||
              d->catsLen != catsLen || memcmp(d->cats, cats, catsLen)))
        mcClear(d);
    if (!d || !d->used) {
        if (!d) {
            d = victim;
            if (d->used) mcClear(d);
        }
        d->used = 1;
        d->db = db;
        memcpy(d->desk, hd->dname, hd->dlen);
        d->dlen = hd->dlen;
        d->epoch = mcEpoch;
        d->docs = docs;
        d->udocs = udocs;
        d->vocab = vocab;
        memcpy(d->cats, cats, catsLen);
        d->catsLen = catsLen;
        d->nmeta = 0;
        d->uchk = d->uchkLex = d->uchkNb = 0;
        MetaScan ms = { d };
        RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
        while (RedisModule_ScanKey(meta, cur, mcMetaField, &ms));
        RedisModule_ScanCursorDestroy(cur);
    }
    d->lastUse = ++mcClock;
    return d;
}

static const McMeta *mcMeta(const McDesk *d, const char *name) {
    for (int i = 0; i < d->nmeta; i++) if (!strcmp(d->meta[i].name, name)) return &d->meta[i];
    return NULL;
}

/* The cached slot of word w (empty if not cached); NULL when the table is
 * full. */
static McWord *mcSlot(McDesk *d, const char *w, size_t wlen, int *found) {
    *found = 0;
    if (d->n * 2 >= d->cap) {
        if (d->n >= CL_MODEL_MAX_WORDS) goto lookup_only;
        size_t ncap = d->cap ? d->cap * 2 : 256;
        if (mcBytes + (ncap - d->cap) * sizeof(McWord) > MC_BYTES_MAX) goto lookup_only;
        McWord *ns = RedisModule_Calloc(ncap, sizeof(McWord));
        mcBytes += (ncap - d->cap) * sizeof(McWord);
        for (size_t i = 0; i < d->cap; i++) {
            if (!d->slot[i].w) continue;
            size_t j = textHash(d->slot[i].w, d->slot[i].wlen) & (ncap - 1);
            while (ns[j].w) j = (j + 1) & (ncap - 1);
            ns[j] = d->slot[i];
        }
        RedisModule_Free(d->slot);
        d->slot = ns;
        d->cap = ncap;
    }
lookup_only:
    if (!d->cap) return NULL;
    size_t j = textHash(w, wlen) & (d->cap - 1);
    while (d->slot[j].w) {
        if (d->slot[j].wlen == wlen && !memcmp(d->slot[j].w, w, wlen)) { *found = 1; return &d->slot[j]; }
        j = (j + 1) & (d->cap - 1);
    }
    return d->n * 2 < d->cap ? &d->slot[j] : NULL;
}

/* Urgency labels share D:model:words with the categories as "!low=2": a
 * category name never starts with '!', and one HashGet per word serves both. */
static const char *urgLabels[] = { "!low", "!medium", "!high" };
#define CL_NURG 3
static const double urgCentre[CL_NURG] = { 0.15, 0.6, 0.9 };
#ifndef CL_URG_HALF_DOCS
#define CL_URG_HALF_DOCS 10.0   /* trained urgency docs at which the model has half its say */
#endif
#ifndef CL_URG_MAX_WEIGHT
#define CL_URG_MAX_WEIGHT 0.9   /* the lexicon always keeps some say */
#endif
#ifndef CL_URG_SHARE_POWER
#define CL_URG_SHARE_POWER 8.0  /* how sharply the better judge takes over */
#endif

typedef struct ClModel {
    RedisModuleKey *meta, *words;
    McDesk *mc;
    long long docs, catDocs[HD_MAX_CATEGORIES], catTokens[HD_MAX_CATEGORIES];
    long long udocs, urgDocs[CL_NURG], urgTokens[CL_NURG];
    long long vocabSize;
} ClModel;

static RedisModuleKey *openHash(Hd *hd, RedisModuleString *name) {
    RedisModuleKey *k = RedisModule_OpenKey(hd->ctx, name, REDISMODULE_READ);
    if (k && RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) {
        RedisModule_CloseKey(k);
        return NULL;
    }
    return k;
}

static long long hashGetLL(Hd *hd, RedisModuleKey *k, const char *field) {
    RedisModuleString *v = NULL;
    long long x = 0;
    if (!k) return 0;
    RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, field, &v, NULL);
    if (!v) return 0;
    if (RedisModule_StringToLongLong(v, &x) != REDISMODULE_OK || x < 0) x = 0;
    RedisModule_FreeString(hd->ctx, v);
    return x;
}

/* Opens the desk's trained model; docs == udocs == 0 means there is none. */
static void modelOpen(Hd *hd, const DeskConfig *cfg, ClModel *m) {
    memset(m, 0, sizeof(*m));
    m->meta = openHash(hd, hdModelMetaKey(hd));
    m->docs = hashGetLL(hd, m->meta, "docs");
    m->udocs = hashGetLL(hd, m->meta, "udocs");
    if (m->docs == 0 && m->udocs == 0) return;
    m->words = openHash(hd, hdModelWordsKey(hd));
    m->vocabSize = m->words ? (long long)RedisModule_ValueLength(m->words) : 0;
    m->mc = mcEntry(hd, cfg, m->meta, m->docs, m->udocs, m->vocabSize);
    for (int i = 0; m->docs > 0 && i < cfg->ncat; i++) {
        const McMeta *mm = mcMeta(m->mc, cfg->cats[i]);
        if (!mm || mm->docs == 0) continue;
        m->catDocs[i] = mm->docs;
        m->catTokens[i] = mm->tokens;
    }
    for (int i = 0; m->udocs > 0 && i < CL_NURG; i++) {
        const McMeta *mm = mcMeta(m->mc, urgLabels[i]);
        if (!mm) continue;
        m->urgDocs[i] = mm->docs;
        m->urgTokens[i] = mm->tokens;
    }
}

static void modelClose(ClModel *m) {
    if (m->meta) RedisModule_CloseKey(m->meta);
    if (m->words) RedisModule_CloseKey(m->words);
}

/* Calls fn(name, namelen, count) for each well-formed "cat=n" pair of a
 * D:model:words value ("billing=3,warranty=1"); a hand-edited value with
 * garbage loses only the garbage. */
typedef void (*PairFn)(const char *name, size_t len, long long n, void *arg);

static void forEachPair(const char *s, size_t len, PairFn fn, void *arg) {
    size_t i = 0;
    while (i < len) {
        size_t ns = i, ne;
        long long n = 0;
        int digits = 0;
        while (i < len && s[i] != '=' && s[i] != ',') i++;
        ne = i;
        if (i < len && s[i] == '=') {
            i++;
            while (i < len && s[i] >= '0' && s[i] <= '9' && n < 100000000000000LL) {
                n = n * 10 + (s[i] - '0');
                i++;
                digits++;
            }
        }
        int clean = i >= len || s[i] == ',';
        while (i < len && s[i] != ',') i++;
        i++;
        if (digits && clean && ne > ns && ne - ns <= 32) fn(s + ns, ne - ns, n, arg);
    }
}

typedef struct CountArg {
    const DeskConfig *cfg;
    const size_t *catLen;           /* strlen of each category name */
    long long n[MC_URG + CL_NURG];  /* counts by pair index (see McPair) */
    unsigned char seen[MC_URG + CL_NURG];
    unsigned char idx[MC_URG + CL_NURG];    /* the indexes seen, in order */
    int nidx;
} CountArg;

/* One "name=n" pair of a D:model:words value, under its index: the name's
 * position in the desk's categories, or MC_URG + i for urgency label i;
 * names the desk does not have are ignored. */
static void addPairCount(const char *name, size_t len, long long n, void *arg) {
    CountArg *ca = arg;
    int k = -1;
    if (name[0] == '!') {
        static const size_t urgLen[CL_NURG] = { 4, 7, 5 };
        for (int i = 0; i < CL_NURG && k < 0; i++)
            if (urgLen[i] == len && !memcmp(urgLabels[i], name, len)) k = MC_URG + i;
    } else {
        for (int i = 0; i < ca->cfg->ncat && k < 0; i++)
            if (ca->catLen[i] == len && !memcmp(ca->cfg->cats[i], name, len)) k = i;
    }
    if (k < 0) return;
    if (!ca->seen[k]) {
        ca->seen[k] = 1;
        ca->n[k] = 0;
        ca->idx[ca->nidx++] = (unsigned char)k;
    }
    ca->n[k] += n;      /* a duplicate pair (a hand edit) adds up */
}

static void addPairs(const McPair *p, int np, double *counts, double *ucounts) {
    for (int i = 0; i < np; i++) {
        if (p[i].idx >= MC_URG) ucounts[p[i].idx - MC_URG] += (double)p[i].n;
        else counts[p[i].idx] += (double)p[i].n;
    }
}

/* Adds what training taught about word w to counts[] and ucounts[]: from the
 * cache, or one HashGet whose parsed pairs the cache then keeps. */
static void addTrainedCounts(Hd *hd, const DeskConfig *cfg, const size_t *catLen,
                             ClModel *m, const char *w, double *counts, double *ucounts) {
    RedisModuleString *v = NULL;
    size_t len, wlen = strlen(w);
    int found;
    McWord *slot = m->mc ? mcSlot(m->mc, w, wlen, &found) : NULL;
    if (slot && found) {
        addPairs(slot->pair, slot->npair, counts, ucounts);
        return;
    }
    CountArg ca;
    McPair pairs[MC_URG + CL_NURG];
    ca.cfg = cfg;
    ca.catLen = catLen;
    ca.nidx = 0;
    memset(ca.seen, 0, sizeof(ca.seen));
    RedisModule_HashGet(m->words, REDISMODULE_HASH_CFIELDS, w, &v, NULL);
    if (v) {
        const char *s = RedisModule_StringPtrLen(v, &len);
        forEachPair(s, len, addPairCount, &ca);
        RedisModule_FreeString(hd->ctx, v);
    }
    for (int i = 0; i < ca.nidx; i++) {
        pairs[i].idx = ca.idx[i];
        pairs[i].n = ca.n[ca.idx[i]];
    }
    addPairs(pairs, ca.nidx, counts, ucounts);
    size_t bytes = wlen + 1 + (size_t)ca.nidx * sizeof(McPair);
    if (slot && mcBytes + bytes <= MC_BYTES_MAX) {
        mcBytes += bytes;
        slot->w = RedisModule_Alloc(wlen + 1);
        memcpy(slot->w, w, wlen + 1);
        slot->wlen = (unsigned char)wlen;
        slot->npair = (unsigned char)ca.nidx;
        slot->pair = NULL;
        if (ca.nidx) {
            slot->pair = RedisModule_Alloc((size_t)ca.nidx * sizeof(McPair));
            memcpy(slot->pair, pairs, (size_t)ca.nidx * sizeof(McPair));
        }
        m->mc->n++;
    }
}

static int builtinIndex(const char *name) {
    for (int c = 0; c < LEX_NCAT; c++) if (!strcmp(lexBuiltinCats[c], name)) return c;
    return -1;
}

/* Build with EXTRA_CFLAGS=-DCL_DEBUG_SCORES=1 to log, for every text, its
 * lexicon terms and the score of each category (tuning aid). */
#ifndef CL_DEBUG_SCORES
#define CL_DEBUG_SCORES 0
#endif

static void debugScores(Hd *hd, const DeskConfig *cfg, const ClWork *cw, const double *score) {
    char buf[2048];
    size_t off = 0;
    for (int j = 0; j < cw->nterm && off < sizeof(buf) - 64; j++) {
        const ClTerm *t = &cw->term[j];
        if (!t->lex) continue;
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "[%s x%.0f:", t->w, t->n);
        for (int c = 0; c < LEX_NCAT && off < sizeof(buf) - 16; c++)
            if (t->lex->cat[c] > 0)
                off += (size_t)snprintf(buf + off, sizeof(buf) - off, " %.3s%.0f",
                                        lexBuiltinCats[c], t->lex->cat[c]);
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "] ");
    }
    RedisModule_Log(hd->ctx, "notice", "classify terms %s", buf);
    off = 0;
    for (int i = 0; i < cfg->ncat && off < sizeof(buf) - 64; i++)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s=%.2f ",
                                cfg->cats[i], score[i]);
    RedisModule_Log(hd->ctx, "notice", "classify scores %s", buf);
}

/* Desk keywords (DESK.CONFIG SET D category.<name>.keywords "a, b c"): each
 * term read like a lexicon term, matched on the text's tokens through a small
 * hash of first words, and counted like a strong lexicon term. */
#define CL_KW_TERMS 256
#define CL_KW_SLOTS 512

typedef struct KwTerm {
    char key[CL_KEY_MAX + 1];       /* stemmed words joined by spaces */
    unsigned char klen, nw;
    int cat, next;
} KwTerm;

static KwTerm kwTerms[CL_KW_TERMS];
static int kwHead[CL_KW_SLOTS];
static ClText kwScratch;

static int kwLoad(const DeskConfig *cfg) {
    int n = 0;
    memset(kwHead, 0, sizeof(kwHead));
    for (int k = 0; k < cfg->nkw; k++) {
        int cat = -1;
        for (int i = 0; i < cfg->ncat; i++) if (!strcmp(cfg->cats[i], cfg->kwcat[k])) cat = i;
        if (cat < 0) continue;
        const char *p = cfg->kw[k];
        while (*p && n < CL_KW_TERMS) {
            while (*p == ',' || *p == ' ') p++;
            const char *start = p;
            while (*p && *p != ',') p++;
            if (p == start) continue;
            kwScratch.ntok = kwScratch.sent = kwScratch.sentToks = 0;
            tokenize(&kwScratch, start, (size_t)(p - start), 0);
            if (kwScratch.ntok == 0 || kwScratch.ntok > CL_PHRASE_MAX) continue;
            KwTerm *t = &kwTerms[n];
            size_t len = 0;
            for (int j = 0; j < kwScratch.ntok; j++) {
                if (j) t->key[len++] = ' ';
                memcpy(t->key + len, kwScratch.tok[j].w, kwScratch.tok[j].len);
                len += kwScratch.tok[j].len;
            }
            t->key[len] = '\0';
            t->klen = (unsigned char)len;
            t->nw = (unsigned char)kwScratch.ntok;
            t->cat = cat;
            unsigned int h = textHash(kwScratch.tok[0].w, kwScratch.tok[0].len) &
                             (CL_KW_SLOTS - 1);
            t->next = kwHead[h];
            kwHead[h] = ++n;
        }
    }
    return n;
}

/* Does the term's text start at token i? */
static int kwMatchAt(const ClText *t, int i, const KwTerm *kt) {
    size_t off = 0;
    if (i + kt->nw > t->ntok) return 0;
    for (int j = 0; j < kt->nw; j++) {
        const ClToken *tk = &t->tok[i + j];
        if (j) {
            if (kt->key[off] != ' ') return 0;
            off++;
        }
        if (off + tk->len > kt->klen || memcmp(kt->key + off, tk->w, tk->len)) return 0;
        off += tk->len;
    }
    return off == kt->klen;
}

static void collectKeywords(ClWork *cw, const DeskConfig *cfg) {
    ClText *t = &cw->text;
    if (cfg->nkw == 0 || kwLoad(cfg) == 0) return;
    for (int i = 0; i < t->ntok; i++) {
        unsigned int h = textHash(t->tok[i].w, t->tok[i].len) & (CL_KW_SLOTS - 1);
        double n = t->tok[i].subject ? CL_SUBJECT_WEIGHT : 1.0;
        for (int x = kwHead[h]; x; x = kwTerms[x - 1].next) {
            const KwTerm *kt = &kwTerms[x - 1];
            if (!kwMatchAt(t, i, kt)) continue;
            int before = cw->nterm;
            termAdd(cw, kt->key, kt->klen, NULL, n, n, 2);
            if (cw->nterm > before) cw->term[cw->nterm - 1].kwcat = kt->cat;
        }
    }
}

/* The trained urgency model's posterior mean urgency, or -1 without one. */
static double urgencyTrained(const ClModel *m, const double *ulog) {
    double best = -1e300, sum = 0, mean = 0, p[CL_NURG];
    if (m->udocs <= 0) return -1;
    for (int i = 0; i < CL_NURG; i++) if (ulog[i] > best) best = ulog[i];
    for (int i = 0; i < CL_NURG; i++) sum += p[i] = exp(ulog[i] - best);
    for (int i = 0; i < CL_NURG; i++) mean += p[i] / sum * urgCentre[i];
    return mean;
}

/* How much the trained urgency model counts against the lexicon. Its say
 * grows with its documents, and is shared out by how often each was right
 * about the desk's own labels: before each TICKET.TRAIN URGENCY the text was
 * judged by both (ucheck, ucheck:lex, ucheck:nb in D:model:meta), so a desk
 * whose people rate urgency like the lexicon keeps the lexicon, and one that
 * rates it its own way soon follows its model. */
static double urgencyModelWeight(const ClModel *m) {
    if (m->udocs <= 0 || !m->mc) return 0;
    double ramp = (double)m->udocs / ((double)m->udocs + CL_URG_HALF_DOCS);
    double nb = ((double)m->mc->uchkNb + 1.0) / ((double)m->mc->uchk + 2.0);
    double lex = ((double)m->mc->uchkLex + 1.0) / ((double)m->mc->uchk + 2.0);
    /* The better of the two soon takes (nearly) all the say: 20% more
     * right answers are worth a factor of 4. */
    return CL_URG_MAX_WEIGHT * ramp / (1.0 + pow(lex / nb, CL_URG_SHARE_POWER));
}

/* Index in cfg->cats of the best category, or -1 for "no clue at all";
 * *uTrained gets the trained urgency model's estimate (-1: untrained). */
static int bestCategory(Hd *hd, const DeskConfig *cfg, ClWork *cw, double *uTrained,
                        double *uWeight) {
    ClModel m;
    int bidx[HD_MAX_CATEGORIES], best = -1, general = -1, evidence = 0;
    double score[HD_MAX_CATEGORIES], denom[HD_MAX_CATEGORIES];
    double counts[HD_MAX_CATEGORIES], ucounts[CL_NURG], ulog[CL_NURG], udenom[CL_NURG];
    int K = cfg->ncat;

    size_t catLen[HD_MAX_CATEGORIES];
    modelOpen(hd, cfg, &m);
    double V = (double)(lexVocab + m.vocabSize);
    for (int i = 0; i < K; i++) {
        catLen[i] = strlen(cfg->cats[i]);
        bidx[i] = builtinIndex(cfg->cats[i]);
        if (!strcmp(cfg->cats[i], "general")) general = i;
        denom[i] = log(CL_LEX_MASS + (double)m.catTokens[i] + CL_ALPHA * V);
        score[i] = m.docs > 0
            ? CL_PRIOR_POWER * log(((double)m.catDocs[i] + CL_PRIOR_DOCS) /
                  ((double)m.docs + CL_PRIOR_DOCS * K))
            : 0.0;
    }
    for (int i = 0; i < CL_NURG; i++) {
        double Vu = (double)m.vocabSize + 1;
        udenom[i] = log((double)m.urgTokens[i] + CL_ALPHA * Vu);
        ulog[i] = m.udocs > 0 ? log(((double)m.urgDocs[i] + 1.0) / ((double)m.udocs + 3.0)) : 0;
    }

    for (int j = 0; j < cw->nterm; j++) {
        const ClTerm *t = &cw->term[j];
        int known = 0;
        double lexw[HD_MAX_CATEGORIES];
        for (int i = 0; i < K; i++) {
            lexw[i] = t->lex && bidx[i] >= 0 ? CL_LEX_SCALE * t->lex->cat[bidx[i]] : 0.0;
            if (t->kwcat == i) lexw[i] += CL_LEX_SCALE * 3.0;
            counts[i] = 0;
        }
        for (int i = 0; i < CL_NURG; i++) ucounts[i] = 0;
        if (!t->phrase && m.words) addTrainedCounts(hd, cfg, catLen, &m, t->w, counts, ucounts);
        if (!t->phrase && m.udocs > 0)
            for (int i = 0; i < CL_NURG; i++)
                ulog[i] += t->n * (clLogCount(ucounts[i] + CL_ALPHA) - udenom[i]);
        /* Occurrences inside a lexicon phrase use trained counts only. */
        for (int i = 0; i < K; i++) if (counts[i] > 0 || (lexw[i] > 0 && t->nlex > 0)) known = 1;
        if (!known) continue;          /* no category knows it: no clue */
        evidence = 1;
        double inside = t->n - t->nlex;     /* occurrences inside a phrase */
        for (int i = 0; i < K; i++) {
            score[i] += t->nlex * (clLogCount(counts[i] + lexw[i] + CL_ALPHA) - denom[i]);
            if (inside > 0) score[i] += inside * (clLogCount(counts[i] + CL_ALPHA) - denom[i]);
        }
    }
    *uTrained = urgencyTrained(&m, ulog);
    *uWeight = urgencyModelWeight(&m);
    modelClose(&m);
    if (CL_DEBUG_SCORES) debugScores(hd, cfg, cw, score);
    if (!evidence) return general;

    for (int i = 0; i < K; i++) if (best < 0 || score[i] > score[best] + 1e-9) best = i;
    if (general >= 0 && score[general] >= score[best] - 1e-9) best = general;
    return best;
}

/* ------------------------------------------------------------------------ */
/* Classification                                                            */
/* ------------------------------------------------------------------------ */

static const char *urgencyLabel(double u) {
    return u >= 0.8 ? "high" : u >= 0.4 ? "medium" : "low";
}

static long long urgencyPriority(double u) {
    return u >= 0.8 ? 20 : u >= 0.6 ? 10 : u >= 0.3 ? 5 : 1;
}

/* Scratch space of one call (~60 KB): commands run one at a time on the
 * main thread, so a single static area saves an allocation per call. */
static ClWork clWork;

static ClWork *workReset(void) {
    ClWork *cw = &clWork;
    cw->text.ntok = cw->text.exclam = cw->text.words = cw->text.caps = 0;
    cw->text.sent = cw->text.sentToks = 0;
    cw->text.question[0] = 0;
    cw->nterm = cw->nmatch = 0;
    memset(cw->slot, 0, sizeof(cw->slot));
    return cw;
}

/* The terms of a ticket as TICKET.CREATE reads it: subject words weighted
 * (when there is a body), then the body. */
static ClWork *readTicket(RedisModuleString *subject, RedisModuleString *body) {
    ClWork *cw = workReset();
    size_t len;
    const char *s;

    lexBuild();
    if (subject) {
        s = RedisModule_StringPtrLen(subject, &len);
        tokenize(&cw->text, s, len, body != NULL);
    }
    if (body) {
        s = RedisModule_StringPtrLen(body, &len);
        tokenize(&cw->text, s, len, 0);
    }
    collectTerms(cw);
    return cw;
}

void classifyText(Hd *hd, const DeskConfig *cfg, RedisModuleString *subject,
                  RedisModuleString *body, Classification *out) {
    ClWork *cw = readTicket(subject, body);
    collectKeywords(cw, cfg);
    double uTrained, uWeight, u = urgencyOf(cw);
    int best = bestCategory(hd, cfg, cw, &uTrained, &uWeight);
    if (uTrained >= 0) u = (1.0 - uWeight) * u + uWeight * uTrained;
    out->urgency = round(u * 1000.0) / 1000.0;
    out->label = urgencyLabel(out->urgency);
    out->priority = urgencyPriority(out->urgency);

    const char *cat = best >= 0 ? cfg->cats[best] : "general";
    out->catlen = strlen(cat);
    memcpy(out->category, cat, out->catlen + 1);
}

/* ------------------------------------------------------------------------ */
/* TICKET.CLASSIFY D text                                                    */
/* ------------------------------------------------------------------------ */

static int cmdTicketClassify(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Classification c;
    char urg[16];

    if (!hdArgTextOrReply(hd, argv[2], "text", (size_t)hdg.max_text, 0)) return REDISMODULE_OK;
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;
    /* A text of several lines reads like a ticket: the first line is the
     * subject (weighted as in TICKET.CREATE), the rest the body. */
    size_t tlen;
    const char *text = RedisModule_StringPtrLen(argv[2], &tlen);
    const char *nl = memchr(text, '\n', tlen);
    size_t slen = nl ? (size_t)(nl - text) : tlen;
    if (slen + 1 < tlen)
        classifyText(hd, &cfg, RedisModule_CreateString(hd->ctx, text, slen),
                     RedisModule_CreateString(hd->ctx, nl + 1, tlen - slen - 1), &c);
    else
        classifyText(hd, &cfg, argv[2], NULL, &c);

    /* A RESP3 double (a bulk string under RESP2) with the 3 decimals the
     * ticket hash stores: "0.825", never "0.82499999999999996". */
    snprintf(urg, sizeof(urg), "%.3f", c.urgency);
    RedisModule_ReplyWithMap(hd->ctx, 4);
    RedisModule_ReplyWithCString(hd->ctx, "category");
    RedisModule_ReplyWithStringBuffer(hd->ctx, c.category, c.catlen);
    RedisModule_ReplyWithCString(hd->ctx, "urgency");
    RedisModule_ReplyWithLongDouble(hd->ctx, strtold(urg, NULL));
    RedisModule_ReplyWithCString(hd->ctx, "label");
    RedisModule_ReplyWithCString(hd->ctx, c.label);
    RedisModule_ReplyWithCString(hd->ctx, "priority");
    RedisModule_ReplyWithLongLong(hd->ctx, c.priority);
    return REDISMODULE_OK;
}

/* ------------------------------------------------------------------------ */
/* TICKET.TRAIN D category text                                              */
/* ------------------------------------------------------------------------ */

/* Rebuilding a D:model:words value with `add` more for category `cat`. */
typedef struct Rebuild {
    char *buf;
    size_t len, cap;
    const char *cat;
    long long add;
    int done;
} Rebuild;

static void appendPair(Rebuild *rb, const char *name, size_t len, long long n) {
    if (rb->len + len + 24 > rb->cap) {
        rb->cap = (rb->len + len + 24) * 2;
        rb->buf = RedisModule_Realloc(rb->buf, rb->cap);
    }
    rb->len += (size_t)snprintf(rb->buf + rb->len, rb->cap - rb->len, "%s%.*s=%lld",
                                rb->len ? "," : "", (int)len, name, n);
}

static void rebuildPair(const char *name, size_t len, long long n, void *arg) {
    Rebuild *rb = arg;
    if (strlen(rb->cat) == len && !memcmp(rb->cat, name, len)) {
        if (rb->done) return;                   /* a duplicate pair is dropped */
        n += rb->add;
        rb->done = 1;
    }
    appendPair(rb, name, len, n);
}

static RedisModuleString *countsWith(Hd *hd, RedisModuleString *old, const char *cat,
                                     long long add) {
    Rebuild rb = { NULL, 0, 0, cat, add, 0 };
    size_t len = 0;
    const char *s = old ? RedisModule_StringPtrLen(old, &len) : "";
    forEachPair(s, len, rebuildPair, &rb);
    if (!rb.done) appendPair(&rb, cat, strlen(cat), add);
    RedisModuleString *v = RedisModule_CreateString(hd->ctx, rb.buf, rb.len);
    RedisModule_Free(rb.buf);
    return v;
}

/* The desk's category list with `cat` appended, as DESK.CONFIG stores it.
 * Returns 0 when it would not fit. */
static int categoriesWith(const DeskConfig *cfg, const char *cat, char *out, size_t outlen) {
    size_t off = 0;
    for (int i = 0; i < cfg->ncat; i++) {
        int n = snprintf(out + off, outlen - off, "%s%s", i ? "," : "", cfg->cats[i]);
        if (n < 0 || (size_t)n >= outlen - off) return 0;
        off += (size_t)n;
    }
    int n = snprintf(out + off, outlen - off, ",%s", cat);
    return n > 0 && (size_t)n < outlen - off;
}

/* Adds the text's words to the model under `name` (a category, or an
 * urgency label "!high"): the words hash, then the document and token counts.
 * A word the model does not know yet is learnt only while the vocabulary is
 * under CL_MODEL_MAX_WORDS, so the model's memory is bounded; the decision
 * depends only on the master's data and travels to replicas as HSETs. */
static void trainWords(Hd *hd, const ClWork *cw, const char *name, long long weight) {
    RedisModuleString *metaKey = hdModelMetaKey(hd), *wordsKey = hdModelWordsKey(hd);
    char field[48];
    long long tokens = 0, vocab = 0;
    mcInvalidate();
    RedisModuleKey *wk = RedisModule_OpenKey(hd->ctx, wordsKey, REDISMODULE_READ);
    if (wk) {
        vocab = (long long)RedisModule_ValueLength(wk);
        RedisModule_CloseKey(wk);
    }
    for (int j = 0; j < cw->nterm; j++) {
        const ClTerm *t = &cw->term[j];
        if (t->phrase) continue;
        RedisModuleString *old = hdHashGet(hd, wordsKey, t->w);
        if (!old && vocab >= CL_MODEL_MAX_WORDS) continue;
        if (!old) vocab++;
        long long n = (long long)t->n * weight;
        fxHashSetC(hd, wordsKey, t->w, countsWith(hd, old, name, n));
        tokens += n;
    }
    fxHashIncr(hd, metaKey, name[0] == '!' ? "udocs" : "docs", 1);
    snprintf(field, sizeof(field), "docs:%s", name);
    fxHashIncr(hd, metaKey, field, 1);
    snprintf(field, sizeof(field), "tokens:%s", name);
    fxHashIncr(hd, metaKey, field, tokens);
}

static int modelKeysOk(Hd *hd) {
    return hdCheckTypeOrReply(hd, hdModelMetaKey(hd), REDISMODULE_KEYTYPE_HASH) &&
           hdCheckTypeOrReply(hd, hdModelWordsKey(hd), REDISMODULE_KEYTYPE_HASH);
}

/* How many times a category lesson counts: CL_MISS_WEIGHT when the model
 * as it stands (desk keywords included) would not have answered `cat`, else
 * once. Decided on the master before any write; the counts it leads to
 * replicate as plain HSETs. */
static long long lessonWeight(Hd *hd, const DeskConfig *cfg, ClWork *cw, const char *cat) {
    double uTrained, uWeight;
    collectKeywords(cw, cfg);      /* keyword terms are never learnt (trainWords) */
    int b = bestCategory(hd, cfg, cw, &uTrained, &uWeight);
    return b >= 0 && !strcmp(cfg->cats[b], cat) ? 1 : CL_MISS_WEIGHT;
}

/* Words a text offers to learn from (0: nothing to learn). */
static long long learnableWords(const ClWork *cw) {
    long long words = 0;
    for (int j = 0; j < cw->nterm; j++) if (!cw->term[j].phrase) words++;
    return words;
}

static int urgencyLabelIndex(const char *s, size_t len) {
    for (int i = 0; i < CL_NURG; i++)
        if (strlen(urgLabels[i] + 1) == len && !strncasecmp(urgLabels[i] + 1, s, len)) return i;
    return -1;
}

/* Before an urgency lesson: was the lexicon right about this text, and was
 * the model trained so far? Counted in D:model:meta for urgencyModelWeight. */
static void urgencyCheck(Hd *hd, const DeskConfig *cfg, ClWork *cw, int idx) {
    double uTrained, uWeight, lex = urgencyOf(cw);
    bestCategory(hd, cfg, cw, &uTrained, &uWeight);
    if (uTrained < 0) return;                /* no model yet: nothing to compare */
    RedisModuleString *metaKey = hdModelMetaKey(hd);
    const char *want = urgLabels[idx] + 1;
    fxHashIncr(hd, metaKey, "ucheck", 1);
    if (!strcmp(urgencyLabel(round(lex * 1000.0) / 1000.0), want))
        fxHashIncr(hd, metaKey, "ucheck:lex", 1);
    if (!strcmp(urgencyLabel(uTrained), want)) fxHashIncr(hd, metaKey, "ucheck:nb", 1);
}

/* TICKET.TRAIN D URGENCY low|medium|high text */
static int trainUrgency(Hd *hd, RedisModuleString **argv) {
    size_t llen, tlen;
    const char *l = RedisModule_StringPtrLen(argv[3], &llen);
    int idx = urgencyLabelIndex(l, llen);
    if (idx < 0)
        return hdError(hd, "INVALID", "urgency label must be low, medium or high, got '%.*s'",
                       (int)(llen > 40 ? 40 : llen), l);
    if (!hdArgTextOrReply(hd, argv[4], "text", (size_t)hdg.max_text, 0)) return REDISMODULE_OK;
    DeskConfig cfg;
    if (!deskConfigLoad(hd, &cfg) || !modelKeysOk(hd)) return REDISMODULE_OK;
    lexBuild();
    ClWork *cw = workReset();
    const char *text = RedisModule_StringPtrLen(argv[4], &tlen);
    tokenize(&cw->text, text, tlen, 0);
    collectTerms(cw);
    if (learnableWords(cw) == 0) return hdError(hd, "INVALID", "text has no words to learn from");
    urgencyCheck(hd, &cfg, cw, idx);
    trainWords(hd, cw, urgLabels[idx], 1);
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

static int cmdTicketTrain(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    char cat[33], cats[1000];
    size_t clen, tlen;
    int isnew;

    /* URGENCY is the keyword, never a category name, whatever the arity. */
    if (argc == 5 && hdArgIs(argv[2], "URGENCY")) return trainUrgency(hd, argv);
    if (argc != 4 || hdArgIs(argv[2], "URGENCY"))
        return hdSyntax(hd, "syntax: TICKET.TRAIN desk category text | "
                            "TICKET.TRAIN desk URGENCY low|medium|high text");
    const char *c = RedisModule_StringPtrLen(argv[2], &clen);
    if (clen > 32 || hdLower(c, clen, cat, sizeof(cat)) < 0 || !hdValidCategory(cat, clen))
        return hdError(hd, "INVALID", "category must be 1-32 bytes of [a-z0-9_-], got '%.*s'",
                       (int)(clen > 40 ? 40 : clen), c);
    if (!hdArgTextOrReply(hd, argv[3], "text", (size_t)hdg.max_text, 0)) return REDISMODULE_OK;
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;

    isnew = !deskCategoryKnown(&cfg, cat, clen);
    if (isnew && (cfg.ncat >= HD_MAX_CATEGORIES - 1 ||
                  !categoriesWith(&cfg, cat, cats, sizeof(cats))))
        return hdError(hd, "CAPACITY", "the desk already has %d categories, the most it can "
                       "hold; remove some with DESK.CONFIG SET desk categories", cfg.ncat);

    if (!modelKeysOk(hd) || !hdCheckTypeOrReply(hd, hdConfigKey(hd), REDISMODULE_KEYTYPE_HASH))
        return REDISMODULE_OK;

    lexBuild();
    ClWork *cw = workReset();
    const char *text = RedisModule_StringPtrLen(argv[3], &tlen);
    tokenize(&cw->text, text, tlen, 0);
    collectTerms(cw);
    if (learnableWords(cw) == 0)
        return hdError(hd, "INVALID", "text has no words to learn from");

    long long weight = lessonWeight(hd, &cfg, cw, cat);

    /* Writes start here. */
    trainWords(hd, cw, cat, weight);
    /* A new category joins the desk's list, so TICKET.CREATE accepts it and
     * the classifier may answer it. */
    if (isnew)
        fxHashSetC(hd, hdConfigKey(hd), "categories",
                   RedisModule_CreateString(hd->ctx, cats, strlen(cats)));
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* learn-from-corrections: an agent changed a ticket's category (cat) and/or
 * priority (label "low"/"medium"/"high"); the ticket's text teaches the model
 * as TICKET.TRAIN would. A model key of the wrong type skips the lesson (the
 * update itself must not fail for it). */
void classifyLearn(Hd *hd, const DeskConfig *cfg, RedisModuleString *subject,
                   RedisModuleString *body, const char *cat, const char *label) {
    RedisModuleKey *k;
    const char *names[] = { "model:meta", "model:words" };
    for (int i = 0; i < 2; i++) {
        k = RedisModule_OpenKey(hd->ctx, hdKey(hd, names[i]), REDISMODULE_READ);
        int bad = k && RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH;
        if (k) RedisModule_CloseKey(k);
        if (bad) return;
    }
    ClWork *cw = readTicket(subject, body);
    if (learnableWords(cw) == 0) return;
    if (cat) trainWords(hd, cw, cat, lessonWeight(hd, cfg, cw, cat));
    int idx = label ? urgencyLabelIndex(label, strlen(label)) : -1;
    if (idx >= 0) {
        urgencyCheck(hd, cfg, cw, idx);
        trainWords(hd, cw, urgLabels[idx], 1);
    }
}

/* The urgency label an agent's priority stands for (SPEC section 3 maps
 * S >= 0.8 to 20, >= 0.6 to 10, >= 0.3 to 5): 15 and up is high, 5 and up
 * medium, below 5 low. */
const char *classifyPriorityLabel(long long priority) {
    return priority >= 15 ? "high" : priority >= 5 ? "medium" : "low";
}

/* DESK.CONFIG SET D model reset: the desk forgets everything it was taught. */
void classifyModelReset(Hd *hd) {
    mcInvalidate();
    fxDel(hd, hdModelWordsKey(hd));
    fxDel(hd, hdModelMetaKey(hd));
}

/* ------------------------------------------------------------------------ */

static RedisModuleCommandArg argsClassify[] = {
    {.name = "text", .type = REDISMODULE_ARG_TYPE_STRING}, {0}
};
static RedisModuleCommandArg argsTrainUrgency[] = {
    {.name = "urgency", .type = REDISMODULE_ARG_TYPE_PURE_TOKEN, .token = "URGENCY"},
    {.name = "label", .type = REDISMODULE_ARG_TYPE_STRING}, {0}
};
static RedisModuleCommandArg argsTrainWhat[] = {
    {.name = "category", .type = REDISMODULE_ARG_TYPE_STRING},
    {.name = "urgency-label", .type = REDISMODULE_ARG_TYPE_BLOCK, .subargs = argsTrainUrgency},
    {0}
};
static RedisModuleCommandArg argsTrain[] = {
    {.name = "what", .type = REDISMODULE_ARG_TYPE_ONEOF, .subargs = argsTrainWhat},
    {.name = "text", .type = REDISMODULE_ARG_TYPE_STRING}, {0}
};

HdCommand hdClassifyCommands[] = {
    {"ticket.classify", cmdTicketClassify, "readonly fast", 3, 0,
     "Classify a text as TICKET.CREATE would: category, urgency (0-1), label "
     "(low/medium/high) and the derived priority",
     "O(T*C) with T words of the text (at most 512) and C trained categories", argsClassify},
    {"ticket.train", cmdTicketTrain, "write deny-oom", -4, 1,
     "Teach the desk's naive Bayes model that a text belongs to a category (a new "
     "category joins the desk's list), or with URGENCY that it has that urgency",
     "O(T) with T words of the text (at most 512)", argsTrain},
    {NULL}
};
