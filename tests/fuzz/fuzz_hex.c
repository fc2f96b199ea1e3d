/* hex_decode and address_parse on arbitrary bytes: no crash, and the results obey the
 * documented rules (length, prefix, agreement with hex_encode). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    const char *in = (const char *)data;
    uint8_t out[2048];
    size_t n = 0;
    sms_status st = hex_decode(in, size, out, sizeof out, &n);
    size_t digits = (size >= 2 && in[0] == '0' && in[1] == 'x') ? size - 2 : size;
    if (st == SMS_OK) {
        if (n != (digits + 1) / 2) abort();
        /* re-encoding gives the digits back (lower-cased, with a 0 added for odd counts) */
        char enc[2 * sizeof out + 1];
        hex_encode(out, n, enc);
        const char *d = in + (size - digits);
        size_t skip = digits & 1;
        if (skip && enc[0] != '0') abort();
        for (size_t i = 0; i < digits; i++) {
            char c = d[i];
            if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
            if (enc[i + skip] != c) abort();
        }
    } else if (st == SMS_EINVAL) {
        if (n != 0) abort();
    } else if (st != SMS_ETOOBIG) {
        abort();
    }
    /* a tiny capacity must never be overrun */
    uint8_t small[3];
    (void)hex_decode(in, size, small, sizeof small, &n);

    /* address_parse needs a NUL-terminated string */
    char *s = malloc(size + 1);
    if (s == NULL) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    uint8_t a[ETH_ADDRESS_LEN];
    if (address_parse(s, a) == SMS_OK) {
        if (strlen(s) != 42 || !address_is_40_hex_digits(s)) abort();
        char f[ETH_ADDRESS_STR_LEN];
        address_format(a, f);
        if (strncasecmp(f, s, 42) != 0) abort();
        if (address_parse(s, NULL) != SMS_OK) abort();
    }
    (void)address_is_40_hex_digits(s);
    free(s);
    return 0;
}
