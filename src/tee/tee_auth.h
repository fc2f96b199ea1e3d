/* Authorization of the TEE requests (tee-sessions.md 2): the WorkerpoolAuthorization hash,
 * recovery of request signatures, and the execution check of 2.5 applied to a PoCo bundle
 * that the caller has already read (so one chain read serves the check and the session). */
#ifndef SMS_TEE_AUTH_H
#define SMS_TEE_AUTH_H

#include <stdint.h>

#include "chain/poco.h"
#include "config/config.h"
#include "core/status.h"
#include "tee/tee_error.h"

/* authorization_hash (2.2) = keccak256(hexdec(worker) || hexdec(task_id) || hexdec(enclave)).
 * Each part is decoded with the hex_decode rules (optional lower-case "0x", odd length
 * left-padded, non-hex characters rejected); "" contributes zero bytes (the challenge
 * request uses worker = enclave = ""). At most 20 bytes for worker and enclave and 32 for
 * task_id, since anything longer can never match an on-chain authorization.
 * All three strings must be non-NULL. Returns SMS_OK or SMS_EINVAL. */
sms_status tee_authorization_hash(const char *worker, const char *task_id, const char *enclave, uint8_t out[32]);

/* Recover who signed the EIP-191 personal message `hash` (2.3).
 *   sig_text : the signature as sent ("0x" optional, 65 bytes, extra bytes ignored)
 *   signer   : receives "0x" + 40 lower-case hex digits on success
 * Returns SMS_OK; SMS_EINVAL when the text is not a signature at all (NULL, not hex, shorter
 * than 65 bytes: answered before any chain read); SMS_EAUTH when it is well-formed but
 * recovers nothing (v outside 27..30, not a curve point). */
sms_status tee_recover_signer(const uint8_t hash[32], const char *sig_text, char signer[POCO_ADDR_STR]);

/* The task id of a request as the 32 bytes passed to viewTaskABILegacy (hex_decode rules,
 * exactly 32 bytes). SMS_EINVAL otherwise (NULL included). */
sms_status tee_task_id_bytes(const char *task_id, uint8_t out[32]);

/* Checks #2..#6 of 2.5 on a bundle read for the task, in the spec's order; the first failure
 * is returned as the session error (EXECUTION_NOT_AUTHORIZED_*). #1 (empty task id) is the
 * caller's, before any read.
 *   b             : filled by poco_read_task_bundle (only its task, deal and category parts
 *                   are looked at; app and dataset failures are not authorization failures)
 *   pool_signer   : the address recovered from the WorkerpoolAuthorization signature, or
 *                   NULL when it recovered nothing (-> INVALID_SIGNATURE, last)
 *   sms_framework : this SMS's framework; a deal of another TEE framework fails #5
 *                   (NO_MATCH_ONCHAIN_TYPE, tee-sessions.md 12.9); TEE_FRAMEWORK_NONE accepts
 *                   any TEE framework like the reference
 * Returns TEE_OK or one of TEE_EXECUTION_NOT_AUTHORIZED_{GET_CHAIN_TASK_FAILED,
 * TASK_NOT_ACTIVE, GET_CHAIN_DEAL_FAILED, NO_MATCH_ONCHAIN_TYPE, INVALID_SIGNATURE}. */
tee_error tee_auth_check_bundle(const struct poco_bundle *b, const char *pool_signer, tee_framework sms_framework);

#endif
