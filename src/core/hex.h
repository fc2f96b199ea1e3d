/* Hex and address codecs. */
#ifndef SMS_HEX_H
#define SMS_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* Decode hex text with the reference rule (sms-api.md 5.2): a leading lower-case
 * "0x" is dropped (upper-case "0X" is not a prefix), an empty remainder gives zero
 * bytes, an odd digit count decodes the first digit alone as the first byte, digits
 * are case-insensitive. Unlike the reference, an invalid character is rejected.
 *   in, in_len : text (not necessarily NUL-terminated)
 *   out, cap   : destination buffer owned by the caller
 *   out_len    : receives the number of bytes written
 * Returns SMS_OK, SMS_EINVAL (invalid character) or SMS_ETOOBIG (cap too small). */
sms_status hex_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len);

/* Lower-case hex of n bytes into out, which must hold 2*n+1 chars; NUL-terminated, no prefix. */
void hex_encode(const uint8_t *in, size_t n, char *out);

/* "0x" + lower-case hex of n bytes; out must hold 2*n+3 chars. */
void hex_encode_0x(const uint8_t *in, size_t n, char *out);

#define ETH_ADDRESS_LEN 20
#define ETH_ADDRESS_STR_LEN 43 /* "0x" + 40 + NUL */

/* Strict address syntax: "0x" (lower-case x) followed by exactly 40 hex digits of any case.
 * Returns SMS_OK and fills out (may be NULL to only validate), or SMS_EINVAL. */
sms_status address_parse(const char *s, uint8_t out[ETH_ADDRESS_LEN]);

/* "0x" + 40 lower-case hex digits into out[ETH_ADDRESS_STR_LEN]. */
void address_format(const uint8_t a[ETH_ADDRESS_LEN], char out[ETH_ADDRESS_STR_LEN]);

/* Is `s` exactly 40 hex digits, or "0x" + 40 hex digits? (what could be an address at all) */
int address_is_40_hex_digits(const char *s);

#endif
