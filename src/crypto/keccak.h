/* Keccak-256 as used by Ethereum (original padding 0x01, not NIST SHA3-256's 0x06). */
#ifndef SMS_KECCAK_H
#define SMS_KECCAK_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t state[25];
    size_t pos; /* bytes absorbed into the current block */
} keccak256_ctx;

void keccak256_init(keccak256_ctx *ctx);
void keccak256_update(keccak256_ctx *ctx, const uint8_t *data, size_t len);
/* Writes the 32-byte digest and wipes the context. */
void keccak256_final(keccak256_ctx *ctx, uint8_t out[32]);
/* One-shot. */
void keccak256(const uint8_t *data, size_t len, uint8_t out[32]);

#endif
