/* classify.c -- ticket classification (category, urgency) and alerts.
 *
 * A text is cut into tokens: ASCII letters are case folded, ASCII punctuation
 * separates words, bytes >= 0x80 stay inside words (so a UTF-8 character is
 * never split; curly quotes and dashes count as punctuation), long words are
 * cut at a character boundary, and plain English words lose common suffixes
 * ("charges", "charged", "charging" -> "charg"). Only the first CL_MAX_TOKENS
 * tokens are read, so the cost of a call is bounded whatever the text size.
 * Subject words weigh CL_SUBJECT_WEIGHT body words.
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
 * included: "terms of service") count as extra terms.
 *
 * Urgency: a noisy-OR of the three strongest urgency cues of the text (words
 * and phrases such as "data breach"; a phrase stands for its own words; a
 * negated cue such as "not urgent" does not count), the number of '!' and the
 * share of words written in capitals; clamped to [0,1] and rounded to 3
 * decimals, the precision stored in the ticket hash, so the label, the
 * priority and the alert decision agree with the stored value.
 *
 * Model keys, plain hashes written with the fx* helpers so they persist and
 * replicate like every other key:
 *   D:model:words  word -> "billing=3,warranty=1" (its counts per category;
 *                  the hash's length is the trained vocabulary size)
 *   D:model:meta   docs, docs:<category>, tokens:<category>
 * The model is word-major: classifying costs one HashGet per distinct word of
 * the text whatever the number of categories, and the words hash soon
 * outgrows the listpack encoding (a linear scan) into a real hash table.
 * Nothing ever scans the model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "helpdesk.h"

#define CL_MAX_TOKENS 512       /* tokens read from one text */
#define CL_WORD_MAX 32          /* bytes kept of a word */
#define CL_PHRASE_MAX 4         /* words in a lexicon phrase */
#define CL_KEY_MAX (CL_PHRASE_MAX * (CL_WORD_MAX + 1))
#define CL_MAX_MATCHES 256      /* phrase matches kept per text */
#define CL_LEX_MASS 100.0       /* pseudo-tokens every category starts with */
#define CL_ALPHA 1.0            /* Laplace smoothing */
#define CL_LEX_SCALE 3.0        /* trained occurrences one lexicon weight unit is worth */
#define CL_PRIOR_DOCS 10.0      /* pseudo-documents per category in the prior */
#define CL_SUBJECT_WEIGHT 2.0   /* a subject word counts like two body words */

/* ln(n) for the small integers that counts + smoothing almost always are. */
#define CL_LOG_TABLE 1024
static double logTable[CL_LOG_TABLE];

static double clLogCount(double x) {
    long long n = (long long)x;
    if ((double)n == x && n > 0 && n < CL_LOG_TABLE) return logTable[n];
    return log(x);
}

/* ------------------------------------------------------------------------ */
/* Built-in lexicon                                                          */
/* ------------------------------------------------------------------------ */

static const char *builtinCats[] = {
    "billing", "technical", "legal", "returns", "shipping", "account", "general"
};
#define LEX_NCAT ((int)(sizeof(builtinCats) / sizeof(builtinCats[0])))

/* Terms are a word or a phrase of up to CL_PHRASE_MAX words (stop words
 * included: "terms of service"), written naturally; they go through the same
 * tokeniser as texts. Weights are pseudo-counts. */
typedef struct LexSpec { const char *cat; double w; const char *terms; } LexSpec;

static const LexSpec catLexicon[] = {
    {"billing", 3, "invoice, invoices, receipt, billing, billed, bill, charge, charged, "
        "overcharged, double charged, charged twice, billed twice, payment, payments, "
        "paid, credit card, debit card, paypal, klarna, apple pay, bank transfer, "
        "direct debit, instalment, installment, subscription, renewal, auto renew, "
        "vat, sales tax, tax exempt, promo code, discount code, coupon, "
        "price adjustment, statement, bank statement, transaction, authorization, "
        "currency, conversion fee, service fee, overdrawn, merchant, chargeback, "
        "deducted, debited, reimburse, payment method, duplicate charge"},
    {"billing", 2, "refund, pay, fee, fees, tax, discount, card, amount, bank account, "
        "declined, credit, balance, gift card, cost, price, dollars, euros, money, "
        "total, cheaper, cancelled order, bank"},
    {"technical", 3, "error, bug, crash, crashes, crashed, outage, not loading, loading, "
        "website, app, browser, chrome, firefox, safari, cache, android, ios, iphone, "
        "api, integration, plugin, sync, server, internal server, 404, 500, 503, 401, "
        "timeout, upload, button, freezes, frozen, froze, glitch, layout, redirect, "
        "redirected, dashboard, zoom, scanner, camera, push notifications, "
        "something went wrong, try again, blank page, unavailable, homepage, slow, "
        "load, version, update, broken link, hacked website"},
    {"technical", 2, "site, page, pages, down, click, tap, screen, filter, search, "
        "notifications, video, images, mobile, add to cart, cart, not working, spins, "
        "link, email system, displayed, photo, checkout page, shows, system, "
        "payment page"},
    {"legal", 3, "legal, law, lawyer, attorney, lawsuit, sue, court, gdpr, "
        "data protection, privacy, privacy policy, personal data, "
        "right to be forgotten, erase, erasure, consent, terms of service, "
        "terms and conditions, contract, liability, negligence, injury, injured, "
        "trademark, copyright, patent, infringement, counterfeit, "
        "intellectual property, subpoena, police, regulation, regulations, regulator, "
        "compliance, compliant, comply, consumer rights, consumer protection, recall, "
        "dpa, data breach, breach, leak, leaked, cease, desist, legal action, "
        "retention, identity theft, license, licence, data controller, misleading, "
        "false advertising, authority, legal entity"},
    {"legal", 2, "terms, agreement, cookies, cookie, fake, safety, investigation, "
        "dispute, identity, data, personal information, guarantee, rights, entitled, "
        "complaint, report, legal representative, registration number"},
    {"returns", 3, "return, returns, returning, send back, sent back, send it, exchange, "
        "swap, return label, rma, restocking, return window, return period, "
        "return policy, store credit, wrong size, too small, too big, defective, "
        "replacement, money back, full refund, unopened, original packaging, "
        "wrong item, eligible, return shipping, return postage, return pickup"},
    {"returns", 2, "refund, refunded, rejected, faulty, damaged, cracked, size, fit, "
        "missing parts, stopped working, drop off, dropped off, received the wrong, "
        "instead"},
    {"shipping", 3, "shipping, ship, shipped, shipment, delivery, deliver, delivered, "
        "package, parcel, tracking, tracking number, courier, carrier, dhl, ups, usps, "
        "fedex, dpd, hermes, dispatch, dispatched, in transit, transit, depot, "
        "sorting centre, sorting center, customs, import duties, duties, import tax, "
        "international shipping, express shipping, next day, next-day, "
        "delivery address, estimated delivery, delayed, delay, lost package, "
        "not arrived, locker, po box, driver, neighbours, neighbors, signature, "
        "preorder, preordered, on the way, where is my order, arrive, arrived, "
        "arrival, postal, doorstep, lost parcel, package is lost, package was lost"},
    {"shipping", 2, "address, late, international, express, shipments, post office, "
        "warehouse, crushed, sent separately, not received, door, shipping costs, "
        "label created, processing, 48 hours, rescheduled"},
    {"shipping", 1, "lost"},
    {"account", 3, "account, my account, login, log in, logged in, logging in, sign in, "
        "sign up, signed up, signup, register, registered, registration, password, "
        "password reset, reset password, username, profile, two-factor, two factor, "
        "2fa, authentication, authenticator, verification, verify, verification link, "
        "locked, locked out, unlock, credentials, loyalty points, loyalty, membership, "
        "tier, saved card, order history, preferences, delete my account, "
        "close my account, forgot password, email address, mobile number, "
        "phone number, settings, logs me out, sign-up, saved payment"},
    {"account", 1, "name"},
    {"account", 2, "reset, email, token, points, member, merge, newsletter, unsubscribe, "
        "hacked, compromised, google, language, family member, premium member, access"},
    {"general", 3, "opening hours, hours, showroom, in stock, back in stock, sold out, "
        "waterproof, gift wrapping, wrapping, recommend, recommendation, suggestion, "
        "suggestions, advice, compliment, great service, thank you, feedback, hiring, "
        "job, career, careers, press, journalist, partnership, wholesale, bulk order, "
        "catalogue, catalog, brochure, donate, donation, sponsor, sustainable, "
        "sustainability, organic, sourced, ingredients, allergy, care instructions, "
        "machine washed, assembly service, reserve, student discount, price match, "
        "difference between, which size, volume discounts"},
    {"general", 2, "store, available, availability, present, gift, apply, partner, bulk, "
        "material, wash, compare, comparison, sale, do you offer, do you sell, "
        "do you have, product, products, question, well done, great, helpful, perfect, "
        "love, event, information, staff"},
};

/* Urgency weights (probabilities combined by noisy-OR): incidents, security
 * and legal threats, money being lost; then time pressure, repeated contact,
 * delays and frustration. */
static const LexSpec urgLexicon[] = {
    {NULL, 0.65, "data breach, hacked, hacker, losing money, identity theft, outage, "
        "emergency"},
    {NULL, 0.55, "lawsuit, fraud, fraudulent, compromised, critical, urgent, urgently, "
        "legal action, injured, injury, stolen"},
    {NULL, 0.45, "asap, immediately, right now, breach, leak, leaked, overdrawn, cease, "
        "desist, sue, scam, is down, site down, police, unauthorized, unauthorised, "
        "subpoena"},
    {NULL, 0.35, "down, attorney, lawyer, suspicious, costing us, every minute, "
        "every hour, locked out, passport"},
    {NULL, 0.3, "as soon as possible, third time, unacceptable, escalate, escalated, "
        "demand, quickly, deadline, soon, tomorrow, this week, still nothing, "
        "no reply, no response, no answer, ignored, frustrated, angry, thousands, "
        "unfair, unfairly, ridiculous, fix this, charged twice, billed twice, "
        "double charged, double billed, not received, never arrived, times now, "
        "false advertising, report it"},
    {NULL, 0.25, "stuck, late, delayed, weeks, week, missing, wrong, today, rejected, "
        "refused, failed, failing, declined, overcharged, my money, money back, "
        "crushed, damaged"},
    {NULL, 0.2, "still, lost, month"},
    {NULL, 0.15, "complaint, waiting, broken, days, not working, stopped working, "
        "invalid, cancelled, scratched, again, twice"},
};

/* Never a category clue; still read for urgency and phrases. */
static const char *stopWords =
    "a, an, the, and, or, but, if, of, to, in, on, at, by, for, with, from, as, into, "
    "is, are, was, were, be, been, being, am, i, me, my, mine, we, our, us, you, your, "
    "it, its, this, that, these, those, there, here, he, she, they, them, their, his, "
    "her, have, has, had, do, does, did, can, could, would, should, will, shall, may, "
    "might, must, not, no, so, just, please, hi, hello, dear, thanks, regards, also, "
    "about, what, when, where, which, who, how, why, all, any, some, im, ive, id, dont, "
    "too, very, out, up, then, than, only, now, get, got, know, want, would, like, one, "
    "since, after, before, yet, even, though, although, because, again, still, it's, "
    "i'm, i've, i'd, don't, can't, cant, won't, wont, didn't, didnt, doesn't, doesnt, "
    "isn't, isnt, wasn't, wasnt, haven't, havent, hasn't, hasnt";

/* A negator up to two words before an urgency cue cancels it ("not urgent",
 * "not very urgent"). */
static const char *negators = "not, no, never, isn't, without, nothing";

/* Words in capitals that are names, not shouting. */
static const char *acronyms =
    "vat, dhl, ups, usps, dpd, gdpr, api, usd, eur, gbp, dpa, wcag, sms, rma, jpg, png, "
    "pdf, usb, faq, sku, eta, ceo, b2b, ios, led, hdmi, ssd, gps, nfc, uk, eu, us, usa, "
    "tv, pc, id, pr, po, am, pm, ok";

typedef struct LexEntry {
    char key[CL_KEY_MAX + 1];       /* "word" or "word word ..." */
    unsigned char klen;
    unsigned char stop, neg, acronym;
    unsigned char phrase;           /* the key is a phrase */
    unsigned char starts;           /* some phrase begins with this word */
    float cat[LEX_NCAT];
    float urg;
} LexEntry;

#define LEX_SLOTS 4096              /* power of two, > 2x the entries */
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
    const LexEntry *lex;            /* the lexicon entry of the word, or NULL */
} ClToken;

typedef struct ClText {
    ClToken tok[CL_MAX_TOKENS];
    int ntok;
    int exclam;                     /* '!' seen */
    int words;                      /* ASCII words of 3+ letters */
    int caps;                       /* ... of them written in capitals */
} ClText;

static int isWordByte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c >= 0x80;
}

/* Length of a Unicode punctuation character at s (curly quotes, dashes,
 * ellipsis, no-break space, guillemets), else 0. */
static size_t utf8Punct(const unsigned char *s, size_t left) {
    if (left >= 2 && s[0] == 0xC2 && (s[1] == 0xA0 || s[1] == 0xAB || s[1] == 0xBB))
        return 2;
    if (left >= 3 && s[0] == 0xE2 && s[1] == 0x80 &&
        ((s[2] >= 0x93 && s[2] <= 0x9F) || s[2] == 0xA6))
        return 3;
    return 0;
}

/* Bytes of the UTF-8 sequence a lead byte announces (1 for anything else). */
static size_t utf8SeqLen(unsigned char c) {
    if (c >= 0xF0 && c <= 0xF7) return 4;
    if (c >= 0xE0) return c <= 0xEF ? 3 : 1;
    if (c >= 0xC0) return 2;
    return 1;
}

/* A word cut at CL_WORD_MAX must not end inside a character. */
static size_t utf8TrimCut(const char *w, size_t n) {
    size_t p = n;
    while (p > 0 && ((unsigned char)w[p - 1] & 0xC0) == 0x80) p--;
    if (p == 0) return n;
    if (p - 1 + utf8SeqLen((unsigned char)w[p - 1]) > n) return p - 1;
    return n;
}

static int endsWith(const char *w, size_t n, const char *suf) {
    size_t k = strlen(suf);
    return n >= k && memcmp(w + n - k, suf, k) == 0;
}

static int isVowel(char c) {
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

/* Drops the last letter of a doubled consonant: "shipp" -> "ship". */
static size_t undouble(const char *w, size_t n) {
    if (n >= 3 && w[n - 1] == w[n - 2] && !isVowel(w[n - 1]) &&
        w[n - 1] != 'l' && w[n - 1] != 's' && w[n - 1] != 'z')
        return n - 1;
    return n;
}

/* Light suffix stripping of lower-case ASCII words; the same function builds
 * the lexicon, so both sides always agree. Returns the new length. */
static size_t stem(char *w, size_t n) {
    if (n <= 3) return n;
    for (size_t i = 0; i < n; i++) if (w[i] < 'a' || w[i] > 'z') return n;
    if (n > 4 && endsWith(w, n, "ies")) { n -= 2; w[n - 1] = 'y'; }
    else if (endsWith(w, n, "sses")) n -= 2;
    else if (w[n - 1] == 's' && !endsWith(w, n, "ss") && !endsWith(w, n, "us") &&
             !endsWith(w, n, "is")) n -= 1;

    if (n > 5 && endsWith(w, n, "ing")) n = undouble(w, n - 3);
    else if (n > 4 && endsWith(w, n, "ed") && !endsWith(w, n, "eed")) n = undouble(w, n - 2);
    else if (n > 5 && endsWith(w, n, "ly") && w[n - 3] != 'i' && w[n - 3] != 'p') n -= 2;

    if (n > 4 && w[n - 1] == 'e') n--;
    w[n] = '\0';
    return n;
}

static unsigned int hashBytes(const char *s, size_t n) {
    unsigned int h = 2166136261u;                 /* FNV-1a */
    for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 16777619u; }
    return h;
}

static const LexEntry *lexFind(const char *key, size_t n) {
    unsigned int i = hashBytes(key, n) & (LEX_SLOTS - 1);
    while (lexSlot[i]) {
        const LexEntry *e = &lexEntries[lexSlot[i] - 1];
        if (e->klen == n && memcmp(e->key, key, n) == 0) return e;
        i = (i + 1) & (LEX_SLOTS - 1);
    }
    return NULL;
}

/* Reads words of s[0..len) into t, stopping at CL_MAX_TOKENS. */
static void tokenize(ClText *t, const char *str, size_t len, int subject) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, pl;

    while (i < len && t->ntok < CL_MAX_TOKENS) {
        if (s[i] == '!') t->exclam++;
        if ((pl = utf8Punct(s + i, len - i)) > 0) { i += pl; continue; }
        if (!isWordByte(s[i])) { i++; continue; }

        ClToken *tk = &t->tok[t->ntok];
        size_t n = 0;
        int upper = 0, lower = 0, other = 0, cut = 0;
        while (i < len) {
            unsigned char c = s[i];
            /* An apostrophe inside a word joins it: don't, don’t -> dont. */
            if (n > 0 && c == '\'' && i + 1 < len && isWordByte(s[i + 1])) { i++; continue; }
            if (n > 0 && c == 0xE2 && i + 3 < len && s[i + 1] == 0x80 && s[i + 2] == 0x99 &&
                isWordByte(s[i + 3]) && !utf8Punct(s + i + 3, len - i - 3)) {
                i += 3;
                continue;
            }
            if (!isWordByte(c) || utf8Punct(s + i, len - i)) break;
            if (c >= 'A' && c <= 'Z') { upper++; c = (unsigned char)(c + 32); }
            else if (c >= 'a' && c <= 'z') lower++;
            else other++;
            if (n < CL_WORD_MAX) tk->w[n++] = (char)c;
            else cut = 1;
            i++;
        }
        if (cut) n = utf8TrimCut(tk->w, n);
        if (n == 0) continue;
        tk->w[n] = '\0';
        if (other == 0 && upper + lower >= 3) {
            t->words++;
            if (lower == 0) {
                const LexEntry *e = lexFind(tk->w, n);   /* unstemmed form */
                if (!e || !e->acronym) t->caps++;
            }
        }
        tk->len = (unsigned char)stem(tk->w, n);
        tk->subject = (unsigned char)subject;
        tk->lex = lexFind(tk->w, tk->len);
        t->ntok++;
    }
}

/* ------------------------------------------------------------------------ */
/* Building the lexicon (once, on first use)                                 */
/* ------------------------------------------------------------------------ */

static LexEntry *lexAdd(const char *key, size_t n) {
    unsigned int i = hashBytes(key, n) & (LEX_SLOTS - 1);
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
        }
    }
}

static void setCatWeight(LexEntry *e, const void *arg) {
    const LexSpec *s = arg;
    for (int c = 0; c < LEX_NCAT; c++) {
        if (!strcmp(builtinCats[c], s->cat) && e->cat[c] < s->w) e->cat[c] = (float)s->w;
    }
}
static void setUrgWeight(LexEntry *e, const void *arg) {
    const LexSpec *s = arg;
    if (e->urg < s->w) e->urg = (float)s->w;
}
static void setStop(LexEntry *e, const void *arg) { e->stop = 1; }
static void setNeg(LexEntry *e, const void *arg) { e->neg = 1; }
static void setAcronym(LexEntry *e, const void *arg) { e->acronym = 1; }

static void lexBuild(void) {
    if (lexReady) return;
    lexReady = 1;     /* set first: tokenize() looks words up while building */
    forEachTerm(stopWords, setStop, NULL, 0);
    forEachTerm(negators, setNeg, NULL, 0);
    forEachTerm(acronyms, setAcronym, NULL, 1);
    for (size_t i = 0; i < sizeof(catLexicon) / sizeof(catLexicon[0]); i++)
        forEachTerm(catLexicon[i].terms, setCatWeight, &catLexicon[i], 0);
    for (size_t i = 0; i < sizeof(urgLexicon) / sizeof(urgLexicon[0]); i++)
        forEachTerm(urgLexicon[i].terms, setUrgWeight, &urgLexicon[i], 0);
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
    int phrase;                     /* lexicon phrases are not in the model */
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
} ClWork;

static void termAdd(ClWork *cw, const char *w, size_t len, const LexEntry *lex,
                    double n, int phrase) {
    unsigned int i = hashBytes(w, len) & (CL_TERM_SLOTS - 1);
    while (cw->slot[i]) {
        ClTerm *t = &cw->term[cw->slot[i] - 1];
        if (t->phrase == phrase && t->len == len && !memcmp(t->w, w, len)) {
            t->n += n;
            return;
        }
        i = (i + 1) & (CL_TERM_SLOTS - 1);
    }
    ClTerm *t = &cw->term[cw->nterm];
    t->w = w;
    t->len = len;
    t->lex = lex;
    t->n = n;
    t->phrase = phrase;
    cw->slot[i] = (short)++cw->nterm;
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
        if (!e || !e->phrase || cw->nmatch == CL_MAX_MATCHES) continue;
        cw->match[cw->nmatch].pos = i;
        cw->match[cw->nmatch].lex = e;
        cw->nmatch++;
        termAdd(cw, e->key, e->klen, e, n, 1);
    }
}

static void collectTerms(ClWork *cw) {
    ClText *t = &cw->text;
    for (int i = 0; i < t->ntok; i++) {
        ClToken *tk = &t->tok[i];
        double n = tk->subject ? CL_SUBJECT_WEIGHT : 1.0;
        if (!(tk->lex && tk->lex->stop)) termAdd(cw, tk->w, tk->len, tk->lex, n, 0);
        if (tk->lex && tk->lex->starts) matchPhrases(cw, i, n);
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

#define CL_URGENCY_CUES 3        /* strongest lexicon cues that count */

/* Each urgency word or phrase counts once, unless negated. */
static void urgencyCue(const ClText *t, int pos, const LexEntry *e,
                       const LexEntry **seen, int *nseen) {
    if (!e || e->urg <= 0 || negated(t, pos)) return;
    for (int j = 0; j < *nseen; j++) if (seen[j] == e) return;
    if (*nseen < 64) seen[(*nseen)++] = e;
}

static double urgencyOf(ClWork *cw) {
    const LexEntry *seen[64];
    int nseen = 0, covered_to = -1;
    double calm = 1.0;              /* product of (1 - w) */
    ClText *t = &cw->text;

    /* A phrase cue stands for its words: "this week" counts, "week" not
     * again. Matches are in text order, so one running bound suffices. */
    for (int i = 0, j = 0; i < t->ntok; i++) {
        for (; j < cw->nmatch && cw->match[j].pos == i; j++) {
            const LexEntry *e = cw->match[j].lex;
            int words = 1;
            if (e->urg <= 0 || negated(t, i)) continue;
            for (int k = 0; k < e->klen; k++) if (e->key[k] == ' ') words++;
            urgencyCue(t, i, e, seen, &nseen);
            if (i + words - 1 > covered_to) covered_to = i + words - 1;
        }
        if (i > covered_to) urgencyCue(t, i, t->tok[i].lex, seen, &nseen);
    }
    /* Only the strongest cues count: a pile of mild words ("still", "week",
     * "wrong") must not add up to an incident. */
    for (int k = 0; k < CL_URGENCY_CUES && k < nseen; k++) {
        int top = k;
        for (int j = k + 1; j < nseen; j++) if (seen[j]->urg > seen[top]->urg) top = j;
        const LexEntry *tmp = seen[k];
        seen[k] = seen[top];
        seen[top] = tmp;
        calm *= 1.0 - seen[k]->urg;
    }
    if (t->exclam > 0) calm *= 1.0 - fmin(0.3, 0.1 * t->exclam);
    if (t->caps > 0 && t->words > 0) {
        double ratio = (double)t->caps / t->words;
        calm *= 1.0 - fmin(0.4, 0.1 * t->caps + 0.4 * ratio);
    }
    double u = 1.0 - calm;
    if (u < 0) u = 0;
    if (u > 1) u = 1;
    return round(u * 1000.0) / 1000.0;
}

/* ------------------------------------------------------------------------ */
/* Category                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct ClModel {
    RedisModuleKey *meta, *words;
    long long docs, catDocs[HD_MAX_CATEGORIES], catTokens[HD_MAX_CATEGORIES];
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

/* Opens the desk's trained model; docs == 0 means there is none. */
static void modelOpen(Hd *hd, const DeskConfig *cfg, ClModel *m) {
    char field[48];
    memset(m, 0, sizeof(*m));
    m->meta = openHash(hd, hdKey(hd, "model:meta"));
    m->docs = hashGetLL(hd, m->meta, "docs");
    if (m->docs == 0) return;
    m->words = openHash(hd, hdKey(hd, "model:words"));
    m->vocabSize = m->words ? (long long)RedisModule_ValueLength(m->words) : 0;
    for (int i = 0; i < cfg->ncat; i++) {
        snprintf(field, sizeof(field), "docs:%s", cfg->cats[i]);
        m->catDocs[i] = hashGetLL(hd, m->meta, field);
        if (m->catDocs[i] == 0) continue;
        snprintf(field, sizeof(field), "tokens:%s", cfg->cats[i]);
        m->catTokens[i] = hashGetLL(hd, m->meta, field);
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

typedef struct CountArg { const DeskConfig *cfg; double *counts; } CountArg;

static void addPairCount(const char *name, size_t len, long long n, void *arg) {
    CountArg *ca = arg;
    for (int i = 0; i < ca->cfg->ncat; i++) {
        if (strlen(ca->cfg->cats[i]) == len && !memcmp(ca->cfg->cats[i], name, len)) {
            ca->counts[i] += (double)n;
            return;
        }
    }
}

/* Adds what training taught about word w to counts[] (one HashGet). */
static void addTrainedCounts(Hd *hd, const DeskConfig *cfg, ClModel *m, const char *w,
                             double *counts) {
    RedisModuleString *v = NULL;
    size_t len;
    CountArg ca = { cfg, counts };
    RedisModule_HashGet(m->words, REDISMODULE_HASH_CFIELDS, w, &v, NULL);
    if (!v) return;
    const char *s = RedisModule_StringPtrLen(v, &len);
    forEachPair(s, len, addPairCount, &ca);
    RedisModule_FreeString(hd->ctx, v);
}

static int builtinIndex(const char *name) {
    for (int c = 0; c < LEX_NCAT; c++) if (!strcmp(builtinCats[c], name)) return c;
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
                                        builtinCats[c], t->lex->cat[c]);
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "] ");
    }
    RedisModule_Log(hd->ctx, "notice", "classify terms %s", buf);
    off = 0;
    for (int i = 0; i < cfg->ncat && off < sizeof(buf) - 64; i++)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s=%.2f ",
                                cfg->cats[i], score[i]);
    RedisModule_Log(hd->ctx, "notice", "classify scores %s", buf);
}

/* Index in cfg->cats of the best category, or -1 for "no clue at all". */
static int bestCategory(Hd *hd, const DeskConfig *cfg, ClWork *cw) {
    ClModel m;
    int bidx[HD_MAX_CATEGORIES], best = -1, general = -1, evidence = 0;
    double score[HD_MAX_CATEGORIES], denom[HD_MAX_CATEGORIES];
    double counts[HD_MAX_CATEGORIES];
    int K = cfg->ncat;

    modelOpen(hd, cfg, &m);
    double V = (double)(lexVocab + m.vocabSize);
    for (int i = 0; i < K; i++) {
        bidx[i] = builtinIndex(cfg->cats[i]);
        if (!strcmp(cfg->cats[i], "general")) general = i;
        denom[i] = log(CL_LEX_MASS + (double)m.catTokens[i] + CL_ALPHA * V);
        score[i] = m.docs > 0
            ? log(((double)m.catDocs[i] + CL_PRIOR_DOCS) /
                  ((double)m.docs + CL_PRIOR_DOCS * K))
            : 0.0;
    }

    for (int j = 0; j < cw->nterm; j++) {
        const ClTerm *t = &cw->term[j];
        int known = 0;
        for (int i = 0; i < K; i++)
            counts[i] = t->lex && bidx[i] >= 0 ? CL_LEX_SCALE * t->lex->cat[bidx[i]] : 0.0;
        if (!t->phrase && m.words) addTrainedCounts(hd, cfg, &m, t->w, counts);
        for (int i = 0; i < K; i++) if (counts[i] > 0) known = 1;
        if (!known) continue;          /* no category knows it: no clue */
        evidence = 1;
        for (int i = 0; i < K; i++)
            score[i] += t->n * (clLogCount(counts[i] + CL_ALPHA) - denom[i]);
    }
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
    cw->nterm = cw->nmatch = 0;
    memset(cw->slot, 0, sizeof(cw->slot));
    return cw;
}

void classifyText(Hd *hd, const DeskConfig *cfg, RedisModuleString *subject,
                  RedisModuleString *body, Classification *out) {
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
    out->urgency = urgencyOf(cw);
    out->label = urgencyLabel(out->urgency);
    out->priority = urgencyPriority(out->urgency);

    int best = bestCategory(hd, cfg, cw);
    const char *cat = best >= 0 ? cfg->cats[best] : "general";
    out->catlen = strlen(cat);
    memcpy(out->category, cat, out->catlen + 1);
}

/* ------------------------------------------------------------------------ */
/* Alerts                                                                    */
/* ------------------------------------------------------------------------ */

/* Copy of s with invalid UTF-8 replaced by U+FFFD (jansson wants valid
 * UTF-8). Caller frees with RedisModule_Free. */
static char *utf8Clean(const char *s, size_t len, size_t *outlen) {
    char *out = RedisModule_Alloc(len * 3 + 1);
    size_t o = 0, i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : utf8SeqLen(c);
        int ok = c < 0x80 || (n > 1 && i + n <= len);
        for (size_t k = 1; ok && k < n; k++)
            if (((unsigned char)s[i + k] & 0xC0) != 0x80) ok = 0;
        /* overlong forms and surrogates */
        if (ok && n == 2 && c < 0xC2) ok = 0;
        if (ok && n == 3) {
            unsigned char c1 = (unsigned char)s[i + 1];
            if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) ok = 0;
        }
        if (ok && n == 4) {
            unsigned char c1 = (unsigned char)s[i + 1];
            if ((c == 0xF0 && c1 < 0x90) || c > 0xF4 || (c == 0xF4 && c1 >= 0x90)) ok = 0;
        }
        if (ok) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* {"id":..,"subject":..,"category":..,"urgency":..,"priority":..}, or NULL. */
static RedisModuleString *alertJson(Hd *hd, const Ticket *t, RedisModuleString *subject,
                                    double urgency) {
    size_t slen, clean_len;
    const char *s = RedisModule_StringPtrLen(subject, &slen);
    char *clean = utf8Clean(s, slen, &clean_len);
    json_t *root = json_pack("{s:I, s:s%, s:s, s:f, s:I}",
                             "id", (json_int_t)t->id,
                             "subject", clean, clean_len,
                             "category", t->category,
                             "urgency", urgency,
                             "priority", (json_int_t)t->priority);
    RedisModuleString *msg = NULL;
    RedisModule_Free(clean);
    if (!root) return NULL;
    char *dump = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(3));
    json_decref(root);
    if (!dump) return NULL;
    msg = RedisModule_CreateString(hd->ctx, dump, strlen(dump));
    json_malloc_t jm;
    json_free_t jf;
    json_get_alloc_funcs(&jm, &jf);
    jf(dump);
    return msg;
}

void alertMaybe(Hd *hd, const DeskConfig *cfg, const Ticket *t,
                RedisModuleString *subject, const Classification *c) {
    char urg[16], prio[24];
    if (c->urgency < cfg->alert_threshold) return;

    RedisModuleString *msg = alertJson(hd, t, subject, c->urgency);
    if (msg) fxPublish(hd, hdKey(hd, "alerts"), msg);
    snprintf(urg, sizeof(urg), "%.3f", c->urgency);
    snprintf(prio, sizeof(prio), "%lld", t->priority);
    eventEmit(hd, cfg, "alert", t->id, "urgency", urg, "category", t->category,
              "priority", prio, "subject", RedisModule_StringPtrLen(subject, NULL), NULL);
    hdg.alerts++;
}

/* ------------------------------------------------------------------------ */
/* TICKET.CLASSIFY D text                                                    */
/* ------------------------------------------------------------------------ */

static int cmdTicketClassify(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    Classification c;
    char urg[16];

    if (!hdArgText(hd, argv[2], "text", (size_t)hdg.max_text, 0)) return REDISMODULE_OK;
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

static int cmdTicketTrain(Hd *hd, RedisModuleString **argv, int argc) {
    DeskConfig cfg;
    char cat[33], field[48], cats[1000];
    size_t clen, tlen;
    const char *c = RedisModule_StringPtrLen(argv[2], &clen);
    int isnew;

    if (clen > 32 || hdLower(c, clen, cat, sizeof(cat)) < 0 || !hdValidCategory(cat, clen))
        return hdError(hd, "INVALID", "category must be 1-32 bytes of [a-z0-9_-], got '%.*s'",
                       (int)(clen > 40 ? 40 : clen), c);
    if (!hdArgText(hd, argv[3], "text", (size_t)hdg.max_text, 0)) return REDISMODULE_OK;
    if (!deskConfigLoad(hd, &cfg)) return REDISMODULE_OK;

    isnew = !deskCategoryKnown(&cfg, cat, clen);
    if (isnew && (cfg.ncat >= HD_MAX_CATEGORIES - 1 ||
                  !categoriesWith(&cfg, cat, cats, sizeof(cats))))
        return hdError(hd, "CAPACITY", "the desk already has %d categories, the most it can "
                       "hold; remove some with DESK.CONFIG SET desk categories", cfg.ncat);

    RedisModuleString *metaKey = hdKey(hd, "model:meta"), *wordsKey = hdKey(hd, "model:words");
    if (!hdCheckType(hd, metaKey, REDISMODULE_KEYTYPE_HASH) ||
        !hdCheckType(hd, wordsKey, REDISMODULE_KEYTYPE_HASH) ||
        !hdCheckType(hd, hdKey(hd, "config"), REDISMODULE_KEYTYPE_HASH))
        return REDISMODULE_OK;

    lexBuild();
    ClWork *cw = workReset();
    const char *text = RedisModule_StringPtrLen(argv[3], &tlen);
    tokenize(&cw->text, text, tlen, 0);
    collectTerms(cw);
    long long words = 0;
    for (int j = 0; j < cw->nterm; j++) if (!cw->term[j].phrase) words++;
    if (words == 0)
        return hdError(hd, "INVALID", "text has no words to learn from");

    /* Writes start here. */
    long long tokens = 0;
    for (int j = 0; j < cw->nterm; j++) {
        const ClTerm *t = &cw->term[j];
        if (t->phrase) continue;
        fxHashSetC(hd, wordsKey, t->w,
                   countsWith(hd, hdHashGet(hd, wordsKey, t->w), cat, (long long)t->n));
        tokens += (long long)t->n;
    }
    fxHashIncr(hd, metaKey, "docs", 1);
    snprintf(field, sizeof(field), "docs:%s", cat);
    fxHashIncr(hd, metaKey, field, 1);
    snprintf(field, sizeof(field), "tokens:%s", cat);
    fxHashIncr(hd, metaKey, field, tokens);
    /* A new category joins the desk's list, so TICKET.CREATE accepts it and
     * the classifier may answer it. */
    if (isnew)
        fxHashSetC(hd, hdKey(hd, "config"), "categories",
                   RedisModule_CreateString(hd->ctx, cats, strlen(cats)));
    return RedisModule_ReplyWithSimpleString(hd->ctx, "OK");
}

/* ------------------------------------------------------------------------ */

static RedisModuleCommandArg argsClassify[] = {
    {.name = "text", .type = REDISMODULE_ARG_TYPE_STRING}, {0}
};
static RedisModuleCommandArg argsTrain[] = {
    {.name = "category", .type = REDISMODULE_ARG_TYPE_STRING},
    {.name = "text", .type = REDISMODULE_ARG_TYPE_STRING}, {0}
};

HdCommand hdClassifyCommands[] = {
    {"ticket.classify", cmdTicketClassify, "readonly fast", 3, 0,
     "Classify a text as TICKET.CREATE would: category, urgency (0-1), label "
     "(low/medium/high) and the derived priority",
     "O(T*C) with T words of the text (at most 512) and C trained categories", argsClassify},
    {"ticket.train", cmdTicketTrain, "write deny-oom", 4, 1,
     "Teach the desk's naive Bayes model that a text belongs to a category (a new "
     "category joins the desk's list)",
     "O(T) with T words of the text (at most 512)", argsTrain},
    {NULL}
};
