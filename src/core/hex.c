#include "core/hex.h"

#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

/* Value of one hex digit, or -1. */
static int hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

sms_status hex_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    sms_status st = SMS_OK;
    size_t n = 0;
    if (in == NULL && in_len != 0) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    /* Only a lower-case "0x" is a prefix, as in web3j's Numeric.cleanHexPrefix. */
    if (in_len >= 2 && in[0] == '0' && in[1] == 'x') {
        in += 2;
        in_len -= 2;
    }
    size_t need = in_len / 2 + (in_len & 1);
    if (need > cap || (need > 0 && out == NULL)) {
        st = SMS_ETOOBIG;
        goto cleanup;
    }
    size_t i = 0;
    if (in_len & 1) {
        /* Odd count: the first digit alone is the first byte (implicit leading 0). */
        int lo = hex_val((unsigned char)in[0]);
        if (lo < 0) {
            st = SMS_EINVAL;
            goto cleanup;
        }
        out[n++] = (uint8_t)lo;
        i = 1;
    }
    for (; i < in_len; i += 2) {
        int hi = hex_val((unsigned char)in[i]);
        int lo = hex_val((unsigned char)in[i + 1]);
        if (hi < 0 || lo < 0) {
            st = SMS_EINVAL;
            goto cleanup;
        }
        out[n++] = (uint8_t)((hi << 4) | lo);
    }

cleanup:
    if (out_len != NULL) *out_len = (st == SMS_OK) ? n : 0;
    return st;
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_digits[in[i] >> 4];
        out[2 * i + 1] = hex_digits[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

void hex_encode_0x(const uint8_t *in, size_t n, char *out)
{
    out[0] = '0';
    out[1] = 'x';
    hex_encode(in, n, out + 2);
}

/* Are the first 40 chars of s hex digits (s is known to hold at least 40)? */
static int all_hex_40(const char *s)
{
    for (size_t i = 0; i < 2 * ETH_ADDRESS_LEN; i++) {
        if (hex_val((unsigned char)s[i]) < 0) return 0;
    }
    return 1;
}

sms_status address_parse(const char *s, uint8_t out[ETH_ADDRESS_LEN])
{
    sms_status st = SMS_OK;
    if (s == NULL || strnlen(s, ETH_ADDRESS_STR_LEN) != ETH_ADDRESS_STR_LEN - 1 || s[0] != '0' ||
        s[1] != 'x' || !all_hex_40(s + 2)) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    if (out != NULL) {
        size_t n = 0;
        st = hex_decode(s, ETH_ADDRESS_STR_LEN - 1, out, ETH_ADDRESS_LEN, &n);
    }

cleanup:
    return st;
}

void address_format(const uint8_t a[ETH_ADDRESS_LEN], char out[ETH_ADDRESS_STR_LEN])
{
    hex_encode_0x(a, ETH_ADDRESS_LEN, out);
}

int address_is_40_hex_digits(const char *s)
{
    if (s == NULL) return 0;
    size_t len = strnlen(s, ETH_ADDRESS_STR_LEN);
    if (len == 2 * ETH_ADDRESS_LEN) return all_hex_40(s);
    if (len == ETH_ADDRESS_STR_LEN - 1 && s[0] == '0' && s[1] == 'x') return all_hex_40(s + 2);
    return 0;
}
