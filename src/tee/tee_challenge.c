#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/secure.h"
#include "crypto/ethsig.h"
#include "tee/tee_challenge.h"

#define CONTEXT_PREFIX "tee-challenge:"

static sms_status seal_context(const char *task_key, char *out, size_t cap)
{
    int n = snprintf(out, cap, CONTEXT_PREFIX "%s", task_key);
    return (n > 0 && (size_t)n < cap) ? SMS_OK : SMS_EINVAL;
}

sms_status tee_challenge_task_key(const char *task_id, char key_out[POCO_B32_STR])
{
    uint8_t raw[32];
    size_t n = 0;
    if (task_id == NULL || strlen(task_id) != 66 || task_id[0] != '0' || task_id[1] != 'x') return SMS_EINVAL;
    if (hex_decode(task_id, 66, raw, sizeof raw, &n) != SMS_OK || n != 32) return SMS_EINVAL;
    poco_bytes32_hex(raw, key_out);
    return SMS_OK;
}

/* A fresh key pair sealed for task_key, as a store candidate. */
static sms_status make_candidate(secrets_service *secrets, const char *task_key, int64_t deadline_ms,
                                 challenge_rec *cand)
{
    sms_status st;
    uint8_t seckey[32];
    uint8_t addr[20];
    char key_text[TEE_CHALLENGE_KEY_STR];
    char context[128];

    memset(cand, 0, sizeof *cand);
    st = seal_context(task_key, context, sizeof context);
    if (st != SMS_OK) goto cleanup;
    st = eth_keypair_generate(seckey, addr);
    if (st != SMS_OK) goto cleanup;
    hex_encode_0x(seckey, sizeof seckey, key_text);
    st = secrets_seal(secrets, context, (const uint8_t *)key_text, 66, &cand->sealed_key, &cand->sealed_key_len);
    if (st != SMS_OK) goto cleanup;
    snprintf(cand->task_id, sizeof cand->task_id, "%s", task_key);
    address_format(addr, cand->address);
    cand->final_deadline_ms = deadline_ms > 0 ? deadline_ms : 0;
cleanup:
    secure_zero(seckey, sizeof seckey);
    secure_zero(key_text, sizeof key_text);
    if (st != SMS_OK) challenge_rec_clear(cand);
    return st;
}

sms_status tee_challenge_get_or_create(sms_store *store, secrets_service *secrets, sms_metrics *metrics,
                                       const char *task_key, int64_t deadline_ms, char address[POCO_ADDR_STR],
                                       int *created)
{
    sms_status st;
    challenge_rec cand, rec;
    int inserted = 0;

    memset(&cand, 0, sizeof cand);
    memset(&rec, 0, sizeof rec);
    if (created != NULL) *created = 0;
    if (store == NULL || secrets == NULL || task_key == NULL || strlen(task_key) != 66) return SMS_EINVAL;
    /* Most calls find the challenge: no key generation nor durable write for them. */
    st = store_challenge_get(store, task_key, &rec);
    if (st == SMS_OK) goto found;
    if (st != SMS_ENOTFOUND) goto cleanup;
    st = make_candidate(secrets, task_key, deadline_ms, &cand);
    if (st != SMS_OK) goto cleanup;
    st = store_challenge_get_or_create(store, &cand, &rec, &inserted);
    if (st != SMS_OK) goto cleanup;
    if (inserted) {
        if (metrics != NULL) metrics_secret_added(metrics, METRIC_CHALLENGES);
        LOG_INFO("enclave challenge created [taskId:%s, address:%s]", task_key, rec.address);
    }
found:
    memcpy(address, rec.address, POCO_ADDR_STR);
    address[POCO_ADDR_STR - 1] = '\0';
    if (created != NULL) *created = inserted;
cleanup:
    challenge_rec_clear(&cand);
    challenge_rec_clear(&rec);
    return st;
}

/* "0x" + 64 hex digits. */
static int is_key_text(const uint8_t *p, size_t n)
{
    if (n != 66 || p[0] != '0' || p[1] != 'x') return 0;
    for (size_t i = 2; i < n; i++) {
        uint8_t c = p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return 0;
    }
    return 1;
}

sms_status tee_challenge_open(sms_store *store, secrets_service *secrets, const char *task_key,
                              char address[POCO_ADDR_STR], char key[TEE_CHALLENGE_KEY_STR])
{
    sms_status st;
    challenge_rec rec;
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    uint8_t seckey[32];
    size_t seckey_len = 0;
    uint8_t addr[20];
    char derived[POCO_ADDR_STR];
    char context[128];

    memset(&rec, 0, sizeof rec);
    if (store == NULL || secrets == NULL || task_key == NULL || strlen(task_key) != 66) return SMS_EINVAL;
    st = seal_context(task_key, context, sizeof context);
    if (st != SMS_OK) goto cleanup;
    st = store_challenge_get(store, task_key, &rec);
    if (st != SMS_OK) goto cleanup;
    st = secrets_open(secrets, context, rec.sealed_key, rec.sealed_key_len, &pt, &pt_len);
    if (st != SMS_OK) {
        if (st != SMS_ENOMEM) st = SMS_ECRYPTO;
        goto cleanup;
    }
    /* The key must be the one behind the published address, or the enclave's signatures
     * would never verify on chain. */
    st = SMS_ECRYPTO;
    if (!is_key_text(pt, pt_len)) goto cleanup;
    if (hex_decode((const char *)pt, pt_len, seckey, sizeof seckey, &seckey_len) != SMS_OK || seckey_len != 32)
        goto cleanup;
    if (eth_address_of(seckey, addr) != SMS_OK) goto cleanup;
    address_format(addr, derived);
    if (strcasecmp(derived, rec.address) != 0) goto cleanup;
    memcpy(address, derived, POCO_ADDR_STR);
    hex_encode_0x(seckey, sizeof seckey, key);
    st = SMS_OK;
cleanup:
    if (st == SMS_ECRYPTO) LOG_ERROR("enclave challenge of task %s does not open: refusing to use it", task_key);
    secure_zero(seckey, sizeof seckey);
    if (pt != NULL) secure_free(pt, pt_len + 1);
    challenge_rec_clear(&rec);
    return st;
}
