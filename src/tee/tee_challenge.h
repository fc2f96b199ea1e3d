/* Enclave challenges (tee-sessions.md 3): one secp256k1 key pair per task, created
 * atomically, private key sealed at rest with the task id as associated data (a sealed key
 * copied to another task's row no longer opens).
 *
 * Task ids here are always the normalised form "0x" + 64 lower-case hex digits
 * (tee_challenge_task_key), so that the challenge endpoint and the session path agree
 * whatever case the clients used (12.2). */
#ifndef SMS_TEE_CHALLENGE_H
#define SMS_TEE_CHALLENGE_H

#include <stdint.h>

#include "chain/poco.h"
#include "core/status.h"
#include "metrics/metrics.h"
#include "secrets/secrets.h"
#include "store/store.h"

#define TEE_CHALLENGE_KEY_STR 67 /* "0x" + 64 + NUL */

/* Strict task id of the challenge endpoint: "0x" + exactly 64 hex digits of any case.
 * key_out receives the normalised form. SMS_OK or SMS_EINVAL (NULL included). */
sms_status tee_challenge_task_key(const char *task_id, char key_out[POCO_B32_STR]);

/* Return the task's challenge address, creating the challenge if there is none.
 *   store, secrets : borrowed; metrics may be NULL (counts METRIC_CHALLENGES on creation)
 *   task_key       : normalised task id (tee_challenge_task_key)
 *   deadline_ms    : final deadline stored with a new challenge (ms since the epoch, > 0;
 *                    0 stores none and leaves it to the cleanup job)
 *   address        : receives "0x" + 40 lower-case hex digits
 *   created        : may be NULL; 1 when this call inserted the challenge
 * Concurrent callers for one task all get the same address. SMS_OK, SMS_EINVAL, SMS_ESTORE,
 * SMS_ECRYPTO, SMS_ENOMEM. */
sms_status tee_challenge_get_or_create(sms_store *store, secrets_service *secrets, sms_metrics *metrics,
                                       const char *task_key, int64_t deadline_ms, char address[POCO_ADDR_STR],
                                       int *created);

/* Existing challenge of a task with its private key opened, never creating one (12.1).
 *   address : receives the stored address
 *   key     : receives "0x" + 64 lower-case hex digits (a secret: the caller wipes it with
 *             secure_zero); untouched unless SMS_OK
 * SMS_ENOTFOUND (no challenge), SMS_ECRYPTO (the sealed key does not open, is not a key, or
 * is not the key of the stored address), SMS_EINVAL, SMS_ESTORE, SMS_ENOMEM. */
sms_status tee_challenge_open(sms_store *store, secrets_service *secrets, const char *task_key,
                              char address[POCO_ADDR_STR], char key[TEE_CHALLENGE_KEY_STR]);

#endif
