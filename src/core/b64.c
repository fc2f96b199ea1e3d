#include "core/b64.h"

#include <stdint.h>

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t b64_encoded_size(size_t n)
{
    size_t groups = n / 3 + (n % 3 != 0);
    /* Saturate so that an absurd n makes b64_encode fail with ETOOBIG instead of wrapping. */
    if (groups > (SIZE_MAX - 1) / 4) return SIZE_MAX;
    return groups * 4 + 1;
}

sms_status b64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    sms_status st = SMS_OK;
    size_t need = b64_encoded_size(n);
    if (out == NULL || need == SIZE_MAX || cap < need) {
        st = SMS_ETOOBIG;
        goto cleanup;
    }
    if (in == NULL && n != 0) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    size_t o = 0;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = b64_alphabet[(v >> 18) & 63];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64_alphabet[(v >> 18) & 63];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = b64_alphabet[(v >> 18) & 63];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';

cleanup:
    return st;
}

/* Value of one alphabet character, or -1 (padding and everything else). */
static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Strictness beyond the header: unused bits of the last group must be zero, so that every
 * byte string has exactly one accepted text (our encoder and Java's both emit zero bits). */
sms_status b64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    sms_status st = SMS_OK;
    size_t n = 0;
    if ((in == NULL && in_len != 0) || in_len % 4 != 0) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    size_t pad = 0;
    if (in_len > 0 && in[in_len - 1] == '=') pad = (in[in_len - 2] == '=') ? 2 : 1;
    size_t need = in_len / 4 * 3 - pad;
    for (size_t i = 0; i < in_len; i += 4) {
        int last = (i + 4 == in_len);
        int a = b64_val((unsigned char)in[i]);
        int b = b64_val((unsigned char)in[i + 1]);
        int c = (last && pad == 2) ? 0 : b64_val((unsigned char)in[i + 2]);
        int d = (last && pad >= 1) ? 0 : b64_val((unsigned char)in[i + 3]);
        if (a < 0 || b < 0 || c < 0 || d < 0) {
            st = SMS_EINVAL;
            goto cleanup;
        }
        if (last && ((pad == 2 && (b & 0x0f) != 0) || (pad == 1 && (c & 0x03) != 0))) {
            st = SMS_EINVAL;
            goto cleanup;
        }
    }
    if (need > cap || (need > 0 && out == NULL)) {
        st = SMS_ETOOBIG;
        goto cleanup;
    }
    for (size_t i = 0; i < in_len; i += 4) {
        int last = (i + 4 == in_len);
        uint32_t v = ((uint32_t)b64_val((unsigned char)in[i]) << 18) |
                     ((uint32_t)b64_val((unsigned char)in[i + 1]) << 12);
        if (!(last && pad == 2)) v |= (uint32_t)b64_val((unsigned char)in[i + 2]) << 6;
        if (!(last && pad >= 1)) v |= (uint32_t)b64_val((unsigned char)in[i + 3]);
        out[n++] = (uint8_t)(v >> 16);
        if (!(last && pad == 2)) out[n++] = (uint8_t)(v >> 8);
        if (!(last && pad >= 1)) out[n++] = (uint8_t)v;
    }

cleanup:
    if (out_len != NULL) *out_len = (st == SMS_OK) ? n : 0;
    return st;
}
