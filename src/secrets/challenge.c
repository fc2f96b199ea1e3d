#include <string.h>

#include "crypto/keccak.h"
#include "secrets/challenge.h"

static const char DOMAIN[] = "IEXEC_SMS_DOMAIN";

static void domain_hash(uint8_t out[32]) { keccak256((const uint8_t *)DOMAIN, sizeof DOMAIN - 1, out); }

void challenge_web3(const uint8_t address[20], const uint8_t *value, size_t value_len, uint8_t out[32])
{
    uint8_t part[32];
    keccak256_ctx ctx;
    keccak256_init(&ctx);
    domain_hash(part);
    keccak256_update(&ctx, part, 32);
    keccak256_update(&ctx, address, 20);
    keccak256(value, value_len, part);
    keccak256_update(&ctx, part, 32);
    keccak256_final(&ctx, out);
}

void challenge_named(const uint8_t address[20], const uint8_t *name, size_t name_len, const uint8_t *value,
                     size_t value_len, uint8_t out[32])
{
    uint8_t part[32];
    keccak256_ctx ctx;
    keccak256_init(&ctx);
    domain_hash(part);
    keccak256_update(&ctx, part, 32);
    keccak256_update(&ctx, address, 20);
    keccak256(name, name_len, part);
    keccak256_update(&ctx, part, 32);
    keccak256(value, value_len, part);
    keccak256_update(&ctx, part, 32);
    keccak256_final(&ctx, out);
}

void challenge_workerpool_authorization(const uint8_t *worker, size_t worker_len, const uint8_t *task_id,
                                        size_t task_id_len, const uint8_t *enclave, size_t enclave_len,
                                        uint8_t out[32])
{
    keccak256_ctx ctx;
    keccak256_init(&ctx);
    keccak256_update(&ctx, worker, worker_len);
    keccak256_update(&ctx, task_id, task_id_len);
    keccak256_update(&ctx, enclave, enclave_len);
    keccak256_final(&ctx, out);
}
