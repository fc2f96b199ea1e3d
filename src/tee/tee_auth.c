#include <string.h>
#include <strings.h>

#include "core/hex.h"
#include "crypto/ethsig.h"
#include "secrets/challenge.h"
#include "tee/tee_auth.h"

/* Decoded part of the authorization hash; at most `cap` bytes. */
static sms_status decode_part(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(s);
    /* hex_decode reports SMS_ETOOBIG past cap: both are "cannot be an authorization". */
    if (n > 2 + 2 * cap) return SMS_EINVAL;
    return hex_decode(s, n, out, cap, len) == SMS_OK ? SMS_OK : SMS_EINVAL;
}

sms_status tee_authorization_hash(const char *worker, const char *task_id, const char *enclave, uint8_t out[32])
{
    uint8_t w[20], t[32], e[20];
    size_t wl = 0, tl = 0, el = 0;
    if (worker == NULL || task_id == NULL || enclave == NULL) return SMS_EINVAL;
    if (decode_part(worker, w, sizeof w, &wl) != SMS_OK || decode_part(task_id, t, sizeof t, &tl) != SMS_OK ||
        decode_part(enclave, e, sizeof e, &el) != SMS_OK)
        return SMS_EINVAL;
    challenge_workerpool_authorization(w, wl, t, tl, e, el, out);
    return SMS_OK;
}

sms_status tee_recover_signer(const uint8_t hash[32], const char *sig_text, char signer[POCO_ADDR_STR])
{
    eth_signature sig;
    uint8_t addr[20];
    if (sig_text == NULL || eth_signature_parse(sig_text, &sig) != SMS_OK) return SMS_EINVAL;
    if (eth_recover_personal(hash, &sig, addr) != SMS_OK) return SMS_EAUTH;
    address_format(addr, signer);
    return SMS_OK;
}

sms_status tee_task_id_bytes(const char *task_id, uint8_t out[32])
{
    size_t len = 0;
    if (task_id == NULL || decode_part(task_id, out, 32, &len) != SMS_OK || len != 32) return SMS_EINVAL;
    return SMS_OK;
}

tee_error tee_auth_check_bundle(const struct poco_bundle *b, const char *pool_signer, tee_framework sms_framework)
{
    if (b->task_status != SMS_OK) return TEE_EXECUTION_NOT_AUTHORIZED_GET_CHAIN_TASK_FAILED;
    if (b->task.status != POCO_TASK_ACTIVE) return TEE_EXECUTION_NOT_AUTHORIZED_TASK_NOT_ACTIVE;
    if (b->deal_status != SMS_OK || b->deal.start_time == 0 || b->category_status != SMS_OK)
        return TEE_EXECUTION_NOT_AUTHORIZED_GET_CHAIN_DEAL_FAILED;
    tee_framework fw = poco_tag_tee_framework(b->deal.tag);
    if (fw == TEE_FRAMEWORK_NONE || (sms_framework != TEE_FRAMEWORK_NONE && fw != sms_framework))
        return TEE_EXECUTION_NOT_AUTHORIZED_NO_MATCH_ONCHAIN_TYPE;
    if (pool_signer == NULL || strcasecmp(pool_signer, b->deal.workerpool_owner) != 0)
        return TEE_EXECUTION_NOT_AUTHORIZED_INVALID_SIGNATURE;
    return TEE_OK;
}
