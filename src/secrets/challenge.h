/* Challenge hashes that clients sign (sms-api.md 5.1). Parts are bytes, not hex text:
 * 32-byte hashes and 20-byte addresses. */
#ifndef SMS_CHALLENGE_H
#define SMS_CHALLENGE_H

#include <stddef.h>
#include <stdint.h>

/* keccak256(keccak256("IEXEC_SMS_DOMAIN") || address || keccak256(value)): web3 secrets. */
void challenge_web3(const uint8_t address[20], const uint8_t *value, size_t value_len, uint8_t out[32]);

/* keccak256(D || address || keccak256(name) || keccak256(value)): web2 (name as sent),
 * app developer secrets (name "1") and requester secrets (name = key). */
void challenge_named(const uint8_t address[20], const uint8_t *name, size_t name_len, const uint8_t *value,
                     size_t value_len, uint8_t out[32]);

/* keccak256(workerWallet || chainTaskId || enclaveChallenge), each part possibly empty
 * (sms-api.md 5.5; the TEE challenge request is the case with both addresses empty). */
void challenge_workerpool_authorization(const uint8_t *worker, size_t worker_len, const uint8_t *task_id,
                                        size_t task_id_len, const uint8_t *enclave, size_t enclave_len,
                                        uint8_t out[32]);

#endif
