/* Standard base64 (RFC 4648, "+/" alphabet, with padding). */
#ifndef SMS_B64_H
#define SMS_B64_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* Size of the text for n bytes, including the NUL. */
size_t b64_encoded_size(size_t n);
/* Encode n bytes into out (cap >= b64_encoded_size(n)); NUL-terminated. */
sms_status b64_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* Strict decode: padding required, no whitespace, no trailing garbage (a trailing newline
 * is an error, as with the reference's strict decoder). out_len receives the byte count.
 * Returns SMS_OK, SMS_EINVAL or SMS_ETOOBIG. */
sms_status b64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len);

#endif
