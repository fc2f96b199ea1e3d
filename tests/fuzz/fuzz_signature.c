/* eth_signature_parse and eth_verify_personal on arbitrary Authorization values: no crash,
 * parse agrees with its contract, and a random header never authenticates the V1 owner. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "crypto/ethsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t challenge[32] = {0xf3, 0xea, 0x68, 0x21, 0x50, 0xc5, 0x5c, 0x90, 0xf8, 0x7f, 0xba,
                                      0x31, 0x18, 0x9d, 0xea, 0x6e, 0xcb, 0x25, 0x79, 0xd1, 0x25, 0x3a,
                                      0x88, 0x21, 0xad, 0xb6, 0xc3, 0x82, 0x5b, 0x1c, 0x5d, 0xc2};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready = 0;
    if (!ready) {
        if (ethsig_init() != SMS_OK) abort();
        ready = 1;
    }
    if (size > 2048) return 0;
    char *s = malloc(size + 1);
    if (s == NULL) return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    eth_signature sig;
    sms_status st = eth_signature_parse(s, &sig);
    size_t len = strlen(s);
    size_t digits = (len >= 2 && s[0] == '0' && s[1] == 'x') ? len - 2 : len;
    if (st == SMS_OK) {
        if (digits < 129 || digits > 1024) abort();
        uint8_t buf[512];
        size_t n = 0;
        if (hex_decode(s, len, buf, sizeof buf, &n) != SMS_OK || n < 65) abort();
        if (memcmp(buf, sig.rs, 64) != 0 || buf[64] != sig.v) abort();
        uint8_t addr[20];
        sms_status rs = eth_recover_personal(challenge, &sig, addr);
        if (rs != SMS_OK && rs != SMS_EAUTH) abort();
        if ((sig.v < 27 || sig.v > 30) && rs != SMS_EAUTH) abort();
    } else if (st != SMS_EINVAL) {
        abort();
    }

    sms_status vs = eth_verify_personal(challenge, s, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    if (vs != SMS_OK && vs != SMS_EAUTH) abort();
    if (vs == SMS_OK && st != SMS_OK) abort();
    /* the input also as the expected address: must never crash */
    vs = eth_verify_personal(challenge, "0x00", s);
    if (vs != SMS_EAUTH) abort();
    free(s);
    return 0;
}
