/* hd_lexicon.h -- the classifier's built-in lexicon (module/lexicon.c): data
 * only, read by classify.c. */
#ifndef HD_LEXICON_H
#define HD_LEXICON_H

#include <stddef.h>

#define LEX_NCAT 7                  /* built-in categories (a wrong count fails to compile) */

/* Terms are a word or a phrase of up to 4 words (stop words included:
 * "terms of service"), comma-separated and written naturally; they go
 * through the same tokeniser as texts. Weights are pseudo-counts (category
 * terms) or probabilities (urgency and calm cues). */
typedef struct LexSpec { const char *cat; double w; const char *terms; } LexSpec;

extern const char *const lexBuiltinCats[LEX_NCAT];
extern const LexSpec lexCategory[];     /* a category's words and phrases */
extern const size_t lexCategoryCount;
extern const LexSpec lexNeutral[];      /* phrases of no category that cover their words */
extern const size_t lexNeutralCount;
extern const LexSpec lexUrgency[];      /* urgency cues */
extern const size_t lexUrgencyCount;
extern const LexSpec lexCalm[];         /* calm cues */
extern const size_t lexCalmCount;
extern const char *const lexHypoWords;  /* cues after these are asked about */
extern const char *const lexStopWords;  /* never a category clue */
extern const char *const lexNegators;   /* cancel a cue up to two words on */
extern const char *const lexAcronyms;   /* capitals that are names, not shouting */

#endif
