/* Dataset multiaddr -> URI (chain/poco.h poco_multiaddr_to_uri, tee-sessions.md 4.7) on
 * arbitrary bytes.
 *
 * An independent reading of the input decides what the answer must be: a binary multiaddr
 * made only of /ipfs/ components (varint 421, varint length 1..256, a multihash exactly
 * filling the component: varint code, varint digest length, digest) must come back as
 * "/ipfs/<base58btc>" per component, which the harness decodes back to the very component
 * bytes; anything else must come back verbatim. Always SMS_OK (or SMS_ENOMEM), always a
 * NUL-terminated text of *out_len bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/poco.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IPFS_CODE 421
#define COMPONENT_MAX 256
#define MAX_INPUT 65536
#define MAX_COMPONENTS (MAX_INPUT / 4 + 1) /* a component takes at least 4 bytes */
#define VARINT_MAX_BYTES 9 /* what fits below bit 63 */

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

typedef struct {
    size_t off, len;
} component;

static int varint(const uint8_t *b, size_t n, size_t *pos, uint64_t *out)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < VARINT_MAX_BYTES && *pos < n; i++) {
        uint8_t c = b[(*pos)++];
        x |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *out = x;
            return 1;
        }
    }
    return 0;
}

/* Number of /ipfs/ components, 0 when the bytes are not such a multiaddr. */
static size_t parse_ipfs(const uint8_t *b, size_t n, component *c)
{
    size_t pos = 0, k = 0;
    if (n == 0) return 0;
    while (pos < n) {
        uint64_t code, len, mh_code, dlen;
        if (!varint(b, n, &pos, &code) || code != IPFS_CODE) return 0;
        if (!varint(b, n, &pos, &len) || len == 0 || len > COMPONENT_MAX || len > n - pos) return 0;
        size_t p = 0;
        if (!varint(b + pos, (size_t)len, &p, &mh_code) || !varint(b + pos, (size_t)len, &p, &dlen) ||
            dlen != len - p)
            return 0;
        if (k == MAX_COMPONENTS) return 0;
        c[k].off = pos;
        c[k].len = (size_t)len;
        k++;
        pos += (size_t)len;
    }
    return k;
}

/* base58btc text -> bytes; returns the length, or SIZE_MAX on a bad character/overflow. */
static size_t base58_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
    size_t zeros = 0, len = 0;
    uint8_t buf[COMPONENT_MAX + 8];
    while (zeros < n && s[zeros] == '1') zeros++;
    for (size_t i = zeros; i < n; i++) {
        const char *p = memchr(alphabet, s[i], sizeof alphabet - 1);
        if (p == NULL || s[i] == '\0') return SIZE_MAX;
        unsigned carry = (unsigned)(p - alphabet);
        for (size_t j = 0; j < len; j++) {
            carry += (unsigned)buf[j] * 58;
            buf[j] = (uint8_t)carry;
            carry >>= 8;
        }
        while (carry > 0) {
            if (len == sizeof buf) return SIZE_MAX;
            buf[len++] = (uint8_t)carry;
            carry >>= 8;
        }
    }
    if (zeros + len > cap) return SIZE_MAX;
    memset(out, 0, zeros);
    for (size_t j = 0; j < len; j++) out[zeros + j] = buf[len - 1 - j];
    return zeros + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static component comps[MAX_COMPONENTS];
    char *out = NULL;
    size_t out_len = 0;
    if (size > MAX_INPUT) return 0;
    size_t k = parse_ipfs(data, size, comps);
    sms_status st = poco_multiaddr_to_uri(size > 0 ? data : NULL, size, &out, &out_len);
    if (st == SMS_ENOMEM) return 0;
    if (st != SMS_OK || out == NULL || out[out_len] != '\0') abort();

    if (k == 0) {
        if (out_len != size || memcmp(out, data, size) != 0) abort();
        free(out);
        return 0;
    }
    /* "/ipfs/<base58>" per component, decoding back to the component's bytes. */
    const char *p = out;
    const char *end = out + out_len;
    for (size_t i = 0; i < k; i++) {
        uint8_t bytes[COMPONENT_MAX];
        if ((size_t)(end - p) < 6 || memcmp(p, "/ipfs/", 6) != 0) abort();
        p += 6;
        const char *next = p;
        while (next < end && *next != '/') next++;
        if (next == p) abort();
        size_t n = base58_decode(p, (size_t)(next - p), bytes, sizeof bytes);
        if (n != comps[i].len || memcmp(bytes, data + comps[i].off, n) != 0) abort();
        p = next;
    }
    if (p != end || strlen(out) != out_len) abort();
    free(out);
    return 0;
}
