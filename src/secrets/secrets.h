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

#endif
