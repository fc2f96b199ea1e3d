/* UTF-8 validation and Unicode lower-casing (Java's String.toLowerCase() for the cases
 * that matter: simple case mapping, so "É" -> "é"; sms-api.md 2.7). */
#ifndef SMS_UTF8_H
#define SMS_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* 1 if the bytes are well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int utf8_valid(const uint8_t *s, size_t len);

/* Lower-case a UTF-8 string into a new malloc'ed NUL-terminated string (*out).
 * SMS_EINVAL when the input is not valid UTF-8, SMS_ENOMEM, SMS_ERR when non-ASCII input
 * meets a C library without the C.UTF-8 locale (never lower-case it half-way: two
 * spellings of one name would become two records). */
sms_status utf8_lower(const char *in, size_t len, char **out);

/* Copy of s with every byte that is not part of a well-formed sequence replaced by U+FFFD
 * (what Java does when decoding), malloc'ed and NUL-terminated. NULL on allocation failure. */
char *utf8_sanitize(const char *s, size_t len);

#endif
