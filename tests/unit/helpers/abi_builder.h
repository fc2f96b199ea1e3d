/* Test-only ABI encoder: builds the return data of PoCo views the way solc does (head of
 * static words and offsets relative to the tuple start, then length-prefixed, zero-padded
 * tails), so decoders can be checked against hand-built and real-world values.
 * Header-only (static inline) so that only the tests that include it carry it. */
#ifndef SMS_TEST_ABI_BUILDER_H
#define SMS_TEST_ABI_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *p;
    size_t len;
    size_t cap;
} tblob;

/* One tuple field: either a static 32-byte word or a dynamic bytes/string tail. */
typedef struct {
    int dynamic;
    uint8_t word[32];
    const uint8_t *bytes;
    size_t len;
} tfield;

static inline void tblob_reserve(tblob *b, size_t extra)
{
    if (b->len + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    uint8_t *np = realloc(b->p, cap);
    if (np == NULL) abort();
    b->p = np;
    b->cap = cap;
}

static inline void tblob_raw(tblob *b, const void *p, size_t n)
{
    tblob_reserve(b, n);
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
}

static inline void tblob_free(tblob *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static inline void tword_u64(uint8_t w[32], uint64_t v)
{
    memset(w, 0, 32);
    for (int i = 0; i < 8; i++) w[31 - i] = (uint8_t)(v >> (8 * i));
}

static inline int thexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    abort();
}

/* Hex (optional 0x, even length) -> bytes; returns byte count. */
static inline size_t thex(const char *s, uint8_t *out, size_t cap)
{
    if (s[0] == '0' && s[1] == 'x') s += 2;
    size_t n = strlen(s) / 2;
    if (n > cap) abort();
    for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(thexval(s[2 * i]) << 4 | thexval(s[2 * i + 1]));
    return n;
}

/* "0x" + 40 hex -> left-padded address word. */
static inline void tword_addr(uint8_t w[32], const char *addr)
{
    memset(w, 0, 32);
    thex(addr, w + 12, 20);
}

/* "0x" + up to 64 hex -> word, right-aligned like a uint256 / bytes32 written in full. */
static inline void tword_hex(uint8_t w[32], const char *hex)
{
    uint8_t tmp[32];
    size_t n = thex(hex, tmp, 32);
    memset(w, 0, 32);
    memcpy(w + 32 - n, tmp, n);
}

static inline tfield tf_u64(uint64_t v)
{
    tfield f = {0};
    tword_u64(f.word, v);
    return f;
}

static inline tfield tf_addr(const char *a)
{
    tfield f = {0};
    tword_addr(f.word, a);
    return f;
}

static inline tfield tf_hex(const char *h)
{
    tfield f = {0};
    tword_hex(f.word, h);
    return f;
}

static inline tfield tf_bytes(const void *p, size_t n)
{
    tfield f = {0};
    f.dynamic = 1;
    f.bytes = p;
    f.len = n;
    return f;
}

static inline tfield tf_str(const char *s) { return tf_bytes(s, strlen(s)); }

/* Append the encoding of tuple f[0..n) to b (offsets relative to the tuple start). */
static inline void tencode_tuple(tblob *b, const tfield *f, size_t n)
{
    size_t tail = 32 * n;
    for (size_t i = 0; i < n; i++) {
        if (f[i].dynamic) {
            uint8_t w[32];
            tword_u64(w, tail);
            tblob_raw(b, w, 32);
            tail += 32 + (f[i].len + 31) / 32 * 32;
        } else {
            tblob_raw(b, f[i].word, 32);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!f[i].dynamic) continue;
        uint8_t w[32];
        tword_u64(w, f[i].len);
        tblob_raw(b, w, 32);
        tblob_raw(b, f[i].bytes, f[i].len);
        size_t pad = (32 - f[i].len % 32) % 32;
        uint8_t zeros[32] = {0};
        tblob_raw(b, zeros, pad);
    }
}

/* Return data of a function returning one dynamic struct: 0x20 then the tuple. */
static inline void tencode_struct_return(tblob *b, const tfield *f, size_t n)
{
    uint8_t w[32];
    tword_u64(w, 32);
    tblob_raw(b, w, 32);
    tencode_tuple(b, f, n);
}

/* Lower-case "0x" hex of a blob into a malloc'ed string (for fake node answers). */
static inline char *tblob_hex(const uint8_t *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    char *s = malloc(2 * n + 3);
    if (s == NULL) abort();
    s[0] = '0';
    s[1] = 'x';
    for (size_t i = 0; i < n; i++) {
        s[2 + 2 * i] = d[p[i] >> 4];
        s[3 + 2 * i] = d[p[i] & 15];
    }
    s[2 + 2 * n] = 0;
    return s;
}

/* ---- the real fixture of shared/chain/examples/task-scone.json ---- */

#define EX_HUB "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707"
#define EX_DEALID "0x2953b4a3525ac85c31bb7e15b940be850b6e8730df9966d45260c6de3c7587b6"
#define EX_TASKID "0xfe66efc582629737880199d77a5feefd9df23c0463cc6ea0e87b6014bcc63e02"
#define EX_APP "0xFbFB2113A4c9404588b31267e080A2Bc46433cb2"
#define EX_APP_OWNER "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define EX_DATASET "0xd52C48AAB7Db6bEDCedf7d5f7979fCaC9603D7BA"
#define EX_DATASET_OWNER "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
#define EX_POOL "0x9FeCF69d88e7b4938f2b3285C234B6Ac75918Dd6"
#define EX_POOL_OWNER "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
#define EX_REQUESTER "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
#define EX_ZERO "0x0000000000000000000000000000000000000000"
#define EX_TAG "0x0000000000000000000000000000000000000000000000000000000000000003"
#define EX_PARAMS "{\"iexec_args\":\"hello\"}"
#define EX_MRENCLAVE                                                                                                   \
    "{\"framework\":\"SCONE\",\"version\":\"v5\",\"entrypoint\":\"python /app/app.py\",\"heapSize\":1073741824,"     \
    "\"fingerprint\":\"87a6668a2b720443b5a2cbe1efd21413fb3d975081731a60de3e2fd5f43d5d5f\"}"
#define EX_APP_MULTIADDR "docker.io/iexechub/sms-test-app:4827ac18"
#define EX_APP_CHECKSUM "0x7abf799c7f25b252ed53af1e256833b8806fc94012c313035767b7755f13b5eb"
/* tee-sessions.md 4.7 example multiaddr and its text form. */
#define EX_DS_MULTIADDR "0xa5032212205d008f22f8f878fd58473a634cc73d41049fc0d19b81002eaae221ac5a446a3e"
#define EX_DS_URI "/ipfs/QmUbh7ugQ9WVprTVYjzrCS4d9cCy73zUz4MMchsrqzzu1w"
#define EX_DS_CHECKSUM "0x1111111111111111111111111111111111111111111111111111111111111111"

/* viewDeal of the fixture; with_sponsor = current PoCo (22 head words). */
static inline void tbuild_deal(tblob *b, int with_sponsor, uint64_t start_time)
{
    tfield f[22] = {
        tf_addr(EX_APP),      tf_addr(EX_APP_OWNER),     tf_u64(0),           tf_addr(EX_DATASET),
        tf_addr(EX_DATASET_OWNER), tf_u64(0),            tf_addr(EX_POOL),    tf_addr(EX_POOL_OWNER),
        tf_u64(0),            tf_u64(1),                 tf_u64(0),           tf_hex(EX_TAG),
        tf_addr(EX_REQUESTER), tf_addr(EX_REQUESTER),    tf_addr(EX_ZERO),    tf_str(EX_PARAMS),
        tf_u64(start_time),   tf_u64(0),                 tf_u64(1),           tf_u64(0),
        tf_u64(1),            tf_addr(EX_REQUESTER),
    };
    tencode_struct_return(b, f, with_sponsor ? 22 : 21);
}

/* viewTaskABILegacy of the fixture (flat tuple, empty contributors and results). */
static inline void tbuild_task(tblob *b, uint64_t status, const char *dealid)
{
    tfield f[12] = {
        tf_u64(status), tf_hex(dealid), tf_u64(0), tf_u64(300), tf_u64(1795392479), tf_u64(0),
        tf_u64(1795393379), tf_u64(0), tf_u64(0), tf_u64(0), tf_bytes("", 0) /* address[] of 0 */,
        tf_bytes("", 0),
    };
    tencode_tuple(b, f, 12);
}

static inline void tbuild_app(tblob *b)
{
    tfield f[6] = {
        tf_addr(EX_APP_OWNER), tf_str("sms-test-app"), tf_str("DOCKER"), tf_str(EX_APP_MULTIADDR),
        tf_hex(EX_APP_CHECKSUM), tf_str(EX_MRENCLAVE),
    };
    tencode_struct_return(b, f, 6);
}

static inline void tbuild_dataset(tblob *b)
{
    static uint8_t ma[64];
    size_t n = thex(EX_DS_MULTIADDR, ma, sizeof ma);
    tfield f[4] = {tf_addr(EX_DATASET_OWNER), tf_str("sms-test-dataset"), tf_bytes(ma, n), tf_hex(EX_DS_CHECKSUM)};
    tencode_struct_return(b, f, 4);
}

static inline void tbuild_category(tblob *b, const char *name, uint64_t ref)
{
    tfield f[3] = {tf_str(name), tf_str("{}"), tf_u64(ref)};
    tencode_struct_return(b, f, 3);
}

#endif
