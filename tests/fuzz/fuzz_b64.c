/* b64_decode on arbitrary bytes: no crash; whatever decodes re-encodes to exactly the same
 * text (strict decoding has one text per byte string), and encode -> decode is identity. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192) return 0;
    uint8_t out[6144];
    size_t n = 0;
    sms_status st = b64_decode((const char *)data, size, out, sizeof out, &n);
    if (st == SMS_OK) {
        char enc[8200];
        if (b64_encode(out, n, enc, sizeof enc) != SMS_OK) abort();
        if (strlen(enc) != size || memcmp(enc, data, size) != 0) abort();
    } else if (st != SMS_EINVAL && st != SMS_ETOOBIG) {
        abort();
    }
    /* small capacity */
    uint8_t small[2];
    (void)b64_decode((const char *)data, size, small, sizeof small, &n);

    /* the raw bytes as a payload */
    char enc[8200 * 4 / 3 + 8];
    if (b64_encode(data, size, enc, sizeof enc) != SMS_OK) abort();
    if (strlen(enc) + 1 != b64_encoded_size(size)) abort();
    uint8_t *back = malloc(size + 1);
    if (back == NULL) return 0;
    if (b64_decode(enc, strlen(enc), back, size, &n) != SMS_OK || n != size || memcmp(back, data, size) != 0) abort();
    free(back);
    return 0;
}
