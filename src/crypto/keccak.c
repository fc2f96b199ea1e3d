/* Keccak-f[1600] with rate 136 bytes (capacity 512) and the original Keccak padding
 * (0x01 ... 0x80) that Ethereum uses. Lanes are little-endian 64-bit words; bytes are
 * loaded explicitly so the code is endian-independent. */
#include "crypto/keccak.h"

#include <string.h>

#include "core/secure.h"

#define KECCAK_RATE 136
#define KECCAK_ROUNDS 24

static const uint64_t round_constants[KECCAK_ROUNDS] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

static inline uint64_t rol64(uint64_t x, unsigned n) { return (x << n) | (x >> ((64 - n) & 63)); }

/* Fully unrolled per round: theta, rho+pi in one pass, chi, iota. Signature recovery
 * hashes two short messages per request, so the permutation's speed shows in benchmarks. */
static void keccak_f1600(uint64_t s[25])
{
    uint64_t b[25];
    for (int r = 0; r < KECCAK_ROUNDS; r++) {
        uint64_t c0 = s[0] ^ s[5] ^ s[10] ^ s[15] ^ s[20];
        uint64_t c1 = s[1] ^ s[6] ^ s[11] ^ s[16] ^ s[21];
        uint64_t c2 = s[2] ^ s[7] ^ s[12] ^ s[17] ^ s[22];
        uint64_t c3 = s[3] ^ s[8] ^ s[13] ^ s[18] ^ s[23];
        uint64_t c4 = s[4] ^ s[9] ^ s[14] ^ s[19] ^ s[24];
        uint64_t d0 = c4 ^ rol64(c1, 1);
        uint64_t d1 = c0 ^ rol64(c2, 1);
        uint64_t d2 = c1 ^ rol64(c3, 1);
        uint64_t d3 = c2 ^ rol64(c4, 1);
        uint64_t d4 = c3 ^ rol64(c0, 1);

        /* b[y + 5*((2x+3y)%5)] = rol(s[x+5y] ^ d[x], rho[x][y]) */
        b[0] = s[0] ^ d0;
        b[10] = rol64(s[1] ^ d1, 1);
        b[20] = rol64(s[2] ^ d2, 62);
        b[5] = rol64(s[3] ^ d3, 28);
        b[15] = rol64(s[4] ^ d4, 27);
        b[16] = rol64(s[5] ^ d0, 36);
        b[1] = rol64(s[6] ^ d1, 44);
        b[11] = rol64(s[7] ^ d2, 6);
        b[21] = rol64(s[8] ^ d3, 55);
        b[6] = rol64(s[9] ^ d4, 20);
        b[7] = rol64(s[10] ^ d0, 3);
        b[17] = rol64(s[11] ^ d1, 10);
        b[2] = rol64(s[12] ^ d2, 43);
        b[12] = rol64(s[13] ^ d3, 25);
        b[22] = rol64(s[14] ^ d4, 39);
        b[23] = rol64(s[15] ^ d0, 41);
        b[8] = rol64(s[16] ^ d1, 45);
        b[18] = rol64(s[17] ^ d2, 15);
        b[3] = rol64(s[18] ^ d3, 21);
        b[13] = rol64(s[19] ^ d4, 8);
        b[14] = rol64(s[20] ^ d0, 18);
        b[24] = rol64(s[21] ^ d1, 2);
        b[9] = rol64(s[22] ^ d2, 61);
        b[19] = rol64(s[23] ^ d3, 56);
        b[4] = rol64(s[24] ^ d4, 14);

        for (int y = 0; y < 25; y += 5) {
            uint64_t t0 = b[y], t1 = b[y + 1], t2 = b[y + 2], t3 = b[y + 3], t4 = b[y + 4];
            s[y] = t0 ^ (~t1 & t2);
            s[y + 1] = t1 ^ (~t2 & t3);
            s[y + 2] = t2 ^ (~t3 & t4);
            s[y + 3] = t3 ^ (~t4 & t0);
            s[y + 4] = t4 ^ (~t0 & t1);
        }
        s[0] ^= round_constants[r];
    }
    secure_zero(b, sizeof b);
}

static inline uint64_t load64_le(const uint8_t *p)
{
    return (uint64_t)p[0] | ((uint64_t)p[1] << 8) | ((uint64_t)p[2] << 16) | ((uint64_t)p[3] << 24) |
           ((uint64_t)p[4] << 32) | ((uint64_t)p[5] << 40) | ((uint64_t)p[6] << 48) | ((uint64_t)p[7] << 56);
}

void keccak256_init(keccak256_ctx *ctx)
{
    memset(ctx->state, 0, sizeof ctx->state);
    ctx->pos = 0;
}

void keccak256_update(keccak256_ctx *ctx, const uint8_t *data, size_t len)
{
    if (len == 0) return;
    size_t pos = ctx->pos;
    /* Byte-wise until the next lane boundary. */
    while (len > 0 && (pos & 7) != 0) {
        ctx->state[pos >> 3] ^= (uint64_t)*data++ << (8 * (pos & 7));
        len--;
        if (++pos == KECCAK_RATE) {
            keccak_f1600(ctx->state);
            pos = 0;
        }
    }
    /* Whole lanes. */
    while (len >= 8) {
        ctx->state[pos >> 3] ^= load64_le(data);
        data += 8;
        len -= 8;
        pos += 8;
        if (pos == KECCAK_RATE) {
            keccak_f1600(ctx->state);
            pos = 0;
        }
    }
    /* Tail; pos is lane-aligned here and the tail is shorter than one lane, so it cannot
     * complete a block. */
    while (len > 0) {
        ctx->state[pos >> 3] ^= (uint64_t)*data++ << (8 * (pos & 7));
        pos++;
        len--;
    }
    ctx->pos = pos;
}

void keccak256_final(keccak256_ctx *ctx, uint8_t out[32])
{
    size_t pos = ctx->pos;
    ctx->state[pos >> 3] ^= (uint64_t)0x01 << (8 * (pos & 7));
    ctx->state[(KECCAK_RATE - 1) >> 3] ^= (uint64_t)0x80 << (8 * ((KECCAK_RATE - 1) & 7));
    keccak_f1600(ctx->state);
    for (size_t i = 0; i < 32; i++) out[i] = (uint8_t)(ctx->state[i >> 3] >> (8 * (i & 7)));
    secure_zero(ctx, sizeof *ctx);
}

void keccak256(const uint8_t *data, size_t len, uint8_t out[32])
{
    keccak256_ctx ctx;
    keccak256_init(&ctx);
    keccak256_update(&ctx, data, len);
    keccak256_final(&ctx, out);
}
