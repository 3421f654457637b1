/* hd_textsig.h -- the flood detector's text signature (module/textsig.c).
 *
 * Pure functions: no Redis calls, no allocation, so tests/unit/test_textsig.c
 * builds them on their own. A signature is a bottom-k MinHash sketch of a
 * ticket's words and word pairs; two sketches estimate the Jaccard
 * similarity of those feature sets. */
#ifndef HD_TEXTSIG_H
#define HD_TEXTSIG_H

#include <stddef.h>
#include <stdint.h>

#define FLOOD_SKETCH_K 64       /* hashes kept per signature */
#define FLOOD_BODY_MAX 4096     /* body bytes that take part */

typedef struct Sketch {
    int n;
    uint32_t h[FLOOD_SKETCH_K];     /* ascending, distinct */
} Sketch;

/* The signature of subject and the first FLOOD_BODY_MAX bytes of body (body
 * may be NULL). A text without any content word gives n == 0. */
void textSketch(const char *subject, size_t slen, const char *body, size_t blen, Sketch *sk);
/* Estimated Jaccard similarity >= 1/2 of two ascending hash arrays; never
 * for an empty one. */
int sketchHashesAlike(const uint32_t *a, int na, const uint32_t *b, int nb);
int sketchAlike(const Sketch *a, const Sketch *b);
/* 8 lower-case hex digits per hash, NUL-terminated; out has room for
 * 8 * FLOOD_SKETCH_K + 1 bytes. Returns the length. */
size_t sketchToHex(const Sketch *sk, char *out);
/* The inverse; 0 on anything sketchToHex did not write. */
int sketchFromHex(const char *s, size_t len, Sketch *sk);

#endif
