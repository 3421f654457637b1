/* jsonutf8.c -- any bytes to valid UTF-8, for JSON output (jansson refuses
 * invalid UTF-8). Shared by the module's alert messages (alerts.c) and the
 * gateway's replies (gateway/reply.c); see hd_jsonutf8.h. */
#include <string.h>
#include "hd_jsonutf8.h"

/* Length of the well-formed sequence at p (left bytes), or 0 when the byte
 * at p does not start one (RFC 3629's table: the second byte's range
 * excludes overlong forms, surrogates and code points above U+10FFFF). */
static size_t sequenceLen(const unsigned char *p, size_t left) {
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) n = 3;
    else if (c >= 0xF0 && c <= 0xF4) n = 4;
    else return 0;
    if (c == 0xE0) lo = 0xA0;           /* overlong */
    else if (c == 0xED) hi = 0x9F;      /* surrogates */
    else if (c == 0xF0) lo = 0x90;      /* overlong */
    else if (c == 0xF4) hi = 0x8F;      /* above U+10FFFF */
    if (left < n || p[1] < lo || p[1] > hi) return 0;
    for (size_t k = 2; k < n; k++)
        if ((p[k] & 0xC0) != 0x80) return 0;
    return n;
}

size_t jsonUtf8Clean(const char *s, size_t len, char *out, int flags) {
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, i = 0;
    while (i < len) {
        size_t n = sequenceLen(p + i, len - i);
        if (n && (p[i] != 0 || (flags & JSON_UTF8_KEEP_NUL))) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    return o;
}
