/* The secrets service: authorization (challenge + signature, on-chain owner for assets),
 * validation, encryption at rest and storage of the four secret kinds (sms-api.md 4, 5, 9).
 *
 * Inputs are the request's raw strings; the service normalises them (lower-case
 * addresses and web2 names). Set functions return:
 *   SMS_OK        stored (or, for a web2 update, unchanged)
 *   SMS_EAUTH     challenge not signed by the expected party, owner unknown, malformed
 *                 signature, or a value/name that is not UTF-8 (could never be signed)
 *   SMS_EINVAL    requester key outside ^[0-9A-Za-z_-]{1,64}$ (checked after auth)
 *   SMS_ETOOBIG   value over SECRET_MAX_VALUE_BYTES (checked after auth)
 *   SMS_EEXISTS   insert of an existing identity
 *   SMS_ENOTFOUND update of a missing web2 secret
 *   other         internal failure (store, crypto, memory) */
#ifndef SMS_SECRETS_H
#define SMS_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "chain/chain.h"
#include "core/status.h"
#include "crypto/aead.h"
#include "metrics/metrics.h"
#include "store/store.h"

#define SECRET_MAX_VALUE_BYTES 4096
#define SECRET_APP_INDEX "1"

typedef struct secrets_service secrets_service;

/* Borrowed: store, key, chain (may be NULL: asset owners then never resolve), metrics
 * (may be NULL). cache_max bounds each existence cache. */
sms_status secrets_service_new(sms_store *store, const aead_key *key, chain_client *chain, sms_metrics *metrics,
                               size_t cache_max, secrets_service **out);
void secrets_service_free(secrets_service *svc);

sms_status secrets_set_web2(secrets_service *svc, const char *owner, const char *name, const uint8_t *value,
                            size_t value_len, const char *authorization, int update);
sms_status secrets_set_web3(secrets_service *svc, const char *address, const uint8_t *value, size_t value_len,
                            const char *authorization);
sms_status secrets_set_app(secrets_service *svc, const char *app, const uint8_t *value, size_t value_len,
                           const char *authorization);
sms_status secrets_set_requester(secrets_service *svc, const char *requester, const char *key,
                                 const uint8_t *value, size_t value_len, const char *authorization);

/* Asynchronous variants for the event threads: the checks and the encryption run in the
 * call; the durable write, when the store can do it asynchronously, completes later and
 * done(done_ctx, status) is called from the store's writer thread (quick work only).
 * Return SMS_EPENDING in that case, otherwise the final status (done is then not called). */
typedef void (*secrets_done_fn)(void *done_ctx, sms_status status);
sms_status secrets_set_web2_async(secrets_service *svc, const char *owner, const char *name, const uint8_t *value,
                                  size_t value_len, const char *authorization, int update, secrets_done_fn done,
                                  void *done_ctx);
sms_status secrets_set_requester_async(secrets_service *svc, const char *requester, const char *key,
                                       const uint8_t *value, size_t value_len, const char *authorization,
                                       secrets_done_fn done, void *done_ctx);

/* Existence (HEAD). owner/name raw as received; for SECRET_WEB3 name is ignored, for
 * SECRET_APP it is the index "1". *exists = 0/1. */
sms_status secrets_exists(secrets_service *svc, secret_kind kind, const char *owner, const char *name, int *exists);

/* Decrypted value for a TEE session; *value is malloc'ed with a NUL after value_len bytes,
 * the caller secure_free()s it (value_len + 1 bytes). SMS_ENOTFOUND when absent,
 * SMS_ECRYPTO when the record does not decrypt (never silently empty). */
sms_status secrets_get(secrets_service *svc, secret_kind kind, const char *owner, const char *name, uint8_t **value,
                       size_t *value_len);

/* Seal/open any value bound to an identity string (used for enclave-challenge keys). */
sms_status secrets_seal(secrets_service *svc, const char *context, const uint8_t *pt, size_t pt_len, uint8_t **rec,
                        size_t *rec_len);
sms_status secrets_open(secrets_service *svc, const char *context, const uint8_t *rec, size_t rec_len, uint8_t **pt,
                        size_t *pt_len);

/* ^[0-9A-Za-z_-]{1,64}$ */
int secrets_requester_key_valid(const char *key);

/* Refresh the metric gauges (table counts, cache sizes); called periodically. */
void secrets_refresh_metrics(secrets_service *svc);
/* Drop the existence caches (after a restore). */
void secrets_clear_caches(secrets_service *svc);

/* ---- Explicit-key sealing (restore, migration) ----
 * The same scheme and associated data as the service uses, under a key the caller gives,
 * so that records prepared for another key (a backup's, or the live key before the service
 * exists) open exactly like the service's own. */

/* Seal pt as the value of the secret `id` (identity already normalised as the service
 * stores it: lower-cased owner and web2 name, "" for web3, SECRET_APP_INDEX for apps).
 *   key          : borrowed
 *   pt, pt_len   : plaintext (pt may be NULL when pt_len is 0)
 *   rec, rec_len : on success *rec is a new malloc'ed record of *rec_len bytes (free())
 * SMS_OK, SMS_EINVAL (NULL argument), SMS_ETOOBIG (identity too long), SMS_ECRYPTO,
 * SMS_ENOMEM. */
sms_status secrets_seal_secret_with(const aead_key *key, const secret_id *id, const uint8_t *pt, size_t pt_len,
                                    uint8_t **rec, size_t *rec_len);

/* Seal a value bound to a context string under key: what secrets_seal does with the
 * service's key (enclave-challenge keys use TEE_CHALLENGE_SEAL_CONTEXT_PREFIX + task id,
 * tee/challenge_context.h). Arguments and statuses as secrets_seal_secret_with. */
sms_status secrets_seal_context_with(const aead_key *key, const char *context, const uint8_t *pt, size_t pt_len,
                                     uint8_t **rec, size_t *rec_len);

/* Check that a stored record opens under key with the associated data of its identity:
 * a secret's identity, or for a challenge TEE_CHALLENGE_SEAL_CONTEXT_PREFIX + task_id.
 * The plaintext is wiped and discarded.
 *   key : borrowed;  rec : borrowed (store.h record, as store_foreach hands it out)
 * SMS_OK; SMS_ECRYPTO when it does not open (other key, tampered, moved to another
 * identity); SMS_EINVAL (NULL, unknown type); SMS_ETOOBIG; SMS_ENOMEM. */
sms_status secrets_verify_record(const aead_key *key, const store_record *rec);

/* Make the service seal and open with `key` from now on (after a restore swapped the
 * store's content). key is borrowed: it must stay valid until the service is freed or the
 * key replaced again. The switch is atomic for concurrent readers, but a request that
 * sealed a record under the old key and stores it after the swap would leave a record the
 * new key cannot open: callers quiesce request traffic around the swap. */
void secrets_set_key(secrets_service *svc, const aead_key *key);

#endif
