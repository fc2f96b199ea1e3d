/* Dataset multiaddr bytes -> URI (tee-sessions.md 4.7). */
#include <stdlib.h>
#include <string.h>

#include "chain/poco.h"

/* Multiaddr protocol code of /ipfs/ (alias /p2p/). */
#define MULTIADDR_IPFS 421
/* Base58 is quadratic: components longer than this are not plausible CIDs anyway. */
#define MULTIADDR_COMPONENT_MAX 256

static sms_status dup_mem(const void *src, size_t n, char **out)
{
    char *p = malloc(n + 1);
    if (p == NULL) return SMS_ENOMEM;
    if (n > 0) memcpy(p, src, n);
    p[n] = '\0';
    *out = p;
    return SMS_OK;
}

static int read_varint(const uint8_t *b, size_t n, size_t *pos, uint64_t *out)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 63 && *pos < n; shift += 7) {
        uint8_t byte = b[(*pos)++];
        x |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            *out = x;
            return 1;
        }
    }
    return 0;
}

/* Multihash = varint code, varint digest length, digest (exactly filling the component). */
static int is_multihash(const uint8_t *b, size_t n)
{
    size_t pos = 0;
    uint64_t code, len;
    if (!read_varint(b, n, &pos, &code) || !read_varint(b, n, &pos, &len)) return 0;
    return len == n - pos;
}

/* base58btc (Bitcoin alphabet) of b[0..n) appended at out[*o]; out has room (n*138/100+2). */
static void base58_append(const uint8_t *b, size_t n, char *out, size_t *o)
{
    static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    uint8_t digits[MULTIADDR_COMPONENT_MAX * 138 / 100 + 2];
    size_t nd = 0;
    size_t zeros = 0;
    while (zeros < n && b[zeros] == 0) zeros++;
    for (size_t i = zeros; i < n; i++) {
        unsigned carry = b[i];
        for (size_t j = 0; j < nd; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry > 0) {
            digits[nd++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    for (size_t i = 0; i < zeros; i++) out[(*o)++] = '1';
    for (size_t i = 0; i < nd; i++) out[(*o)++] = alphabet[digits[nd - 1 - i]];
}

/* Binary multiaddr of /ipfs/ components only -> text; 0 if b is anything else. */
static int multiaddr_ipfs_text(const uint8_t *b, size_t n, char *out, size_t cap, size_t *out_len)
{
    size_t pos = 0;
    size_t o = 0;
    if (n == 0) return 0;
    while (pos < n) {
        uint64_t code, len;
        if (!read_varint(b, n, &pos, &code) || code != MULTIADDR_IPFS) return 0;
        if (!read_varint(b, n, &pos, &len) || len == 0 || len > MULTIADDR_COMPONENT_MAX || len > n - pos) return 0;
        if (!is_multihash(b + pos, (size_t)len)) return 0;
        if (cap - o < 6 + (size_t)len * 138 / 100 + 2) return 0;
        memcpy(out + o, "/ipfs/", 6);
        o += 6;
        base58_append(b + pos, (size_t)len, out, &o);
        pos += (size_t)len;
    }
    out[o] = '\0';
    *out_len = o;
    return 1;
}

sms_status poco_multiaddr_to_uri(const uint8_t *b, size_t n, char **out, size_t *out_len)
{
    /* Each component of k bytes costs >= k + 2 input bytes and <= 6 + k*1.38 + 2 output. */
    size_t cap = 2 * n + 16;
    char *text = malloc(cap);
    if (text == NULL) return SMS_ENOMEM;
    size_t len;
    if (!multiaddr_ipfs_text(b, n, text, cap, &len)) {
        free(text);
        len = n;
        if (dup_mem(b == NULL ? (const void *)"" : b, n, &text) != SMS_OK) return SMS_ENOMEM;
    }
    *out = text;
    *out_len = len;
    return SMS_OK;
}
