/* UTF-8 validation, lower-casing and sanitising (core/utf8.h) on arbitrary bytes.
 *
 * Properties, on the input as given and on a NUL-free copy (NUL is valid UTF-8, but the
 * outputs are NUL-terminated strings, so only a NUL-free input can be compared whole):
 *   - utf8_sanitize: always valid UTF-8; the identity exactly when the input is valid;
 *     otherwise longer (each bad byte becomes the 3-byte U+FFFD) and never shorter;
 *   - utf8_lower: SMS_EINVAL exactly when the input is not valid; on valid input a valid
 *     NUL-terminated string with no ASCII capital, ASCII bytes mapped one to one, the same
 *     number of code points, and idempotent on ASCII;
 *   - utf8_valid of a prefix cut at a code point boundary of a valid string is 1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t code_points(const uint8_t *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += (s[i] & 0xC0) != 0x80;
    return k;
}

static void check_sanitize(const uint8_t *s, size_t n, int nul_free)
{
    int valid = utf8_valid(s, n);
    char *out = utf8_sanitize((const char *)s, n);
    if (out == NULL) return; /* allocation failure only */
    /* The output holds at least n bytes before its NUL (each byte maps to 1 or 3). */
    if (valid && (memcmp(out, s, n) != 0 || out[n] != '\0')) abort();
    if (nul_free) {
        size_t len = strlen(out);
        if (!utf8_valid((const uint8_t *)out, len)) abort();
        if (valid != (len == n && memcmp(out, s, n) == 0)) abort();
        if (len < n || (len - n) % 2 != 0) abort();
        if (!valid && len == n) abort();
    }
    free(out);
}

static void check_lower(const uint8_t *s, size_t n, int nul_free)
{
    char *out = NULL;
    int valid = utf8_valid(s, n);
    sms_status st = utf8_lower((const char *)s, n, &out);
    if (!valid) {
        if (st != SMS_EINVAL) abort();
        return;
    }
    if (st == SMS_ERR || st == SMS_ENOMEM) return; /* no C.UTF-8 locale / memory */
    if (st != SMS_OK || out == NULL) abort();
    if (nul_free) {
        size_t len = strlen(out);
        int ascii = 1;
        if (!utf8_valid((const uint8_t *)out, len)) abort();
        if (code_points((const uint8_t *)out, len) != code_points(s, n)) abort();
        for (size_t i = 0; i < len; i++)
            if (out[i] >= 'A' && out[i] <= 'Z') abort();
        for (size_t i = 0; i < n; i++) ascii &= s[i] < 0x80;
        if (ascii) {
            if (len != n) abort();
            for (size_t i = 0; i < n; i++) {
                char want = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
                if (out[i] != want) abort();
            }
            char *again = NULL;
            if (utf8_lower(out, len, &again) == SMS_OK) {
                if (strcmp(again, out) != 0) abort();
                free(again);
            }
        }
    }
    free(out);
    /* Every prefix ending on a code point boundary of a valid string is valid. */
    for (size_t cut = 0; cut <= n && cut < 64; cut++)
        if ((cut == n || (s[cut] & 0xC0) != 0x80) && !utf8_valid(s, cut)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536) return 0;
    check_sanitize(data, size, memchr(data, '\0', size) == NULL);
    check_lower(data, size, memchr(data, '\0', size) == NULL);

    uint8_t *copy = malloc(size + 1);
    if (copy == NULL) return 0;
    for (size_t i = 0; i < size; i++) copy[i] = data[i] != 0 ? data[i] : 0x01;
    copy[size] = 0;
    check_sanitize(copy, size, 1);
    check_lower(copy, size, 1);
    free(copy);
    return 0;
}
