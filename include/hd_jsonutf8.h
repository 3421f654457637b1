/* hd_jsonutf8.h -- making any bytes valid UTF-8 for JSON (module/jsonutf8.c).
 *
 * Pure C, no Redis or libevent: compiled into the module (alerts.c) and the
 * HTTP gateway (gateway/reply.c), and unit-tested alone
 * (tests/test_jsonutf8.sh). */
#ifndef HD_JSONUTF8_H
#define HD_JSONUTF8_H

#include <stddef.h>

/* Room jsonUtf8Clean needs for len input bytes (each may become U+FFFD). */
#define JSON_UTF8_CLEAN_MAX(len) ((len) * 3)

/* Keep NUL bytes (they are valid UTF-8); without it a NUL becomes U+FFFD. */
#define JSON_UTF8_KEEP_NUL 1

/* Copies s[0..len) into out (JSON_UTF8_CLEAN_MAX(len) bytes; not
 * terminated) with every byte that does not start a well-formed UTF-8
 * sequence replaced by U+FFFD: stray continuation bytes, cut sequences,
 * overlong forms, surrogates and code points above U+10FFFF. flags: 0 or
 * JSON_UTF8_KEEP_NUL. Returns the bytes written. */
size_t jsonUtf8Clean(const char *s, size_t len, char *out, int flags);

#endif
