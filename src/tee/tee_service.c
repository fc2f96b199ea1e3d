/* Orchestration of /tee/challenges and /tee/sessions (tee-sessions.md 3.1, 5.1-5.3, 12). */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chain/poco_cache.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/secure.h"
#include "crypto/eip55.h"
#include "provisioner/provisioner.h"
#include "tee/session.h"
#include "tee/task_description.h"
#include "tee/tee_auth.h"
#include "tee/tee_challenge.h"
#include "tee/tee_service.h"

#define ZERO_TASK_ID "0x0000000000000000000000000000000000000000000000000000000000000000"
#define SESSION_RANDOM_LEN 10

struct tee_service {
    const sms_config *cfg;
    sms_store *store;
    secrets_service *secrets;
    chain_client *chain;
    sms_metrics *metrics;
    poco_cache *cache;
    provisioner *prov;
};

sms_status tee_service_new(const sms_config *cfg, sms_store *store, secrets_service *secrets, chain_client *chain,
                           sms_metrics *metrics, tee_service **out, char *errbuf, size_t errcap)
{
    sms_status st;
    tee_service *svc = NULL;
    if (errbuf != NULL && errcap > 0) errbuf[0] = '\0';
    if (cfg == NULL || store == NULL || secrets == NULL || chain == NULL || out == NULL ||
        cfg->framework == TEE_FRAMEWORK_NONE || cfg->n_pipelines == 0) {
        if (errbuf != NULL && errcap > 0) snprintf(errbuf, errcap, "no TEE framework or worker pipeline configured");
        return SMS_EINVAL;
    }
    svc = calloc(1, sizeof *svc);
    if (svc == NULL) return SMS_ENOMEM;
    svc->cfg = cfg;
    svc->store = store;
    svc->secrets = secrets;
    svc->chain = chain;
    svc->metrics = metrics;
    st = poco_cache_new(TEE_POCO_CACHE_ENTRIES, &svc->cache);
    if (st != SMS_OK) goto cleanup;
    st = provisioner_new(cfg, &svc->prov, errbuf, errcap);
    if (st != SMS_OK) goto cleanup;
    *out = svc;
    svc = NULL;
cleanup:
    tee_service_free(svc);
    return st;
}

void tee_service_free(tee_service *svc)
{
    if (svc == NULL) return;
    provisioner_free(svc->prov);
    poco_cache_free(svc->cache);
    free(svc);
}

/* The reader's local failures (bad argument, memory) leave every component status SMS_OK in
 * a cleared bundle: turn them into a failed task read so that nothing passes as authorized. */
static sms_status read_bundle(tee_service *svc, const uint8_t task_id[32], const uint8_t *hint, struct poco_bundle *b)
{
    memset(b, 0, sizeof *b);
    sms_status st = poco_read_task_bundle(svc->chain, svc->cache, svc->cfg->hub_address, task_id, hint, b);
    if (st != SMS_OK && b->task_status == SMS_OK && b->deal_status == SMS_OK && b->category_status == SMS_OK &&
        b->app_status == SMS_OK && b->dataset_status == SMS_OK)
        b->task_status = st;
    if (b->task_status == SMS_ENOTFOUND)
        LOG_INFO("chain: no such task");
    else if (b->task_status != SMS_OK)
        LOG_WARN("chain: task read failed: %s", sms_status_name(b->task_status));
    return st;
}

static int64_t seconds_to_ms(uint64_t s)
{
    return s > (uint64_t)(INT64_MAX / 1000) ? INT64_MAX : (int64_t)(s * 1000);
}

sms_status tee_service_challenge(tee_service *svc, const char *task_id, const char *authorization,
                                 char address[POCO_ADDR_STR])
{
    sms_status st = SMS_EAUTH;
    char task_key[POCO_B32_STR];
    char signer[POCO_ADDR_STR];
    uint8_t tid[32], hash[32];
    struct poco_bundle b;
    tee_error e;

    memset(&b, 0, sizeof b);
    if (svc == NULL || address == NULL) return SMS_EINVAL;
    if (tee_challenge_task_key(task_id, task_key) != SMS_OK) {
        LOG_INFO("enclave challenge refused: malformed task id");
        return SMS_EAUTH;
    }
    if (tee_task_id_bytes(task_key, tid) != SMS_OK || tee_authorization_hash("", task_key, "", hash) != SMS_OK)
        return SMS_EAUTH;
    /* A signature that recovers nobody can never match: refused without touching the chain. */
    if (tee_recover_signer(hash, authorization, signer) != SMS_OK) {
        LOG_INFO("enclave challenge refused [taskId:%s]: malformed signature", task_key);
        return SMS_EAUTH;
    }
    (void)read_bundle(svc, tid, NULL, &b);
    e = tee_auth_check_bundle(&b, signer, svc->cfg->framework);
    if (e != TEE_OK) {
        LOG_INFO("enclave challenge refused [taskId:%s]: %s", task_key, tee_error_name(e));
        st = SMS_EAUTH;
        goto cleanup;
    }
    st = tee_challenge_get_or_create(svc->store, svc->secrets, svc->metrics, task_key,
                                     seconds_to_ms(b.task.final_deadline), address, NULL);
    if (st != SMS_OK) {
        LOG_ERROR("enclave challenge of task %s not created: %s", task_key, sms_status_name(st));
        if (st == SMS_EAUTH) st = SMS_ERR;
    }
cleanup:
    poco_bundle_clear(&b);
    return st;
}

/* 10 characters drawn uniformly from [A-Za-z0-9] with the CSPRNG (5.2). */
static sms_status random_alnum(char *out, size_t n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t filled = 0;
    while (filled < n) {
        unsigned char buf[32];
        if (RAND_bytes(buf, sizeof buf) != 1) return SMS_ERR;
        /* 248 = 4 * 62: rejecting the rest keeps the draw uniform. */
        for (size_t i = 0; i < sizeof buf && filled < n; i++)
            if (buf[i] < 248) out[filled++] = alphabet[buf[i] % 62];
    }
    return SMS_OK;
}

static tee_error make_session_id(const char *task_id, char out[TEE_SESSION_ID_MAX])
{
    char r[SESSION_RANDOM_LEN];
    if (random_alnum(r, sizeof r) != SMS_OK) return TEE_SECURE_SESSION_GENERATION_FAILED;
    int n = snprintf(out, TEE_SESSION_ID_MAX, "%.*s0000%s", SESSION_RANDOM_LEN, r, task_id);
    return (n > 0 && n < TEE_SESSION_ID_MAX) ? TEE_OK : TEE_SECURE_SESSION_GENERATION_FAILED;
}

/* 5.3 c/d: SGX tasks need an enclave configuration whose version is a configured pipeline;
 * TDX uses the single pipeline. */
static tee_error pick_pipeline(const tee_service *svc, const task_description *td, const tee_pipeline **out)
{
    const sms_config *cfg = svc->cfg;
    if (cfg->framework == TEE_FRAMEWORK_TDX) {
        *out = &cfg->pipelines[0];
        return TEE_OK;
    }
    if (!td->has_enclave_config) return TEE_APP_COMPUTE_NO_ENCLAVE_CONFIG;
    if (td->enclave.version == NULL) return TEE_SECURE_SESSION_GENERATION_FAILED;
    for (size_t i = 0; i < cfg->n_pipelines; i++) {
        if (strcmp(cfg->pipelines[i].version, td->enclave.version) == 0) {
            *out = &cfg->pipelines[i];
            return TEE_OK;
        }
    }
    return TEE_APP_COMPUTE_INVALID_ENCLAVE_CONFIG;
}

/* 5.5 with 12.1: the challenge must already exist for the task and be the one in the
 * request; it is never created here. */
static tee_error open_challenge(tee_service *svc, const char *task_key, const char *enclave,
                                char key[TEE_CHALLENGE_KEY_STR])
{
    char address[POCO_ADDR_STR];
    if (enclave[0] == '\0') return TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_PUBLIC_ENCLAVE_CHALLENGE;
    sms_status st = tee_challenge_open(svc->store, svc->secrets, task_key, address, key);
    if (st == SMS_ENOTFOUND) {
        LOG_WARN("TEE session refused [taskId:%s]: no enclave challenge was issued for this task", task_key);
        return TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CHALLENGE;
    }
    if (st == SMS_ECRYPTO) return TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CREDENTIALS;
    if (st != SMS_OK) return TEE_SECURE_SESSION_GENERATION_FAILED;
    if (strcasecmp(address, enclave) != 0) {
        secure_zero(key, TEE_CHALLENGE_KEY_STR);
        LOG_WARN("TEE session refused [taskId:%s]: enclave challenge differs from the one issued", task_key);
        return TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CHALLENGE;
    }
    return TEE_OK;
}

/* The framework's document (6, 7, 8); *doc is a secret. */
static tee_error make_document(tee_service *svc, const char *session_id, const session_base *base,
                               const tee_pipeline *pl, const task_description *td, char **doc, size_t *len)
{
    const sms_config *cfg = svc->cfg;
    sms_status st = SMS_ERR;
    tee_error e = TEE_OK;
    char *att_url = NULL;
    switch (cfg->framework) {
    case TEE_FRAMEWORK_SCONE: {
        e = provisioner_scone_attestation_url(svc->prov, &att_url);
        if (e != TEE_OK) break;
        scone_attestation att = {
            .tolerated_insecure_options = cfg->scone_tolerated_insecure_options,
            .ignored_sgx_advisories = cfg->scone_ignored_sgx_advisories,
            .mode = cfg->scone_attestation_mode,
            .url = att_url,
        };
        st = session_scone_yaml(session_id, base, pl, &att, doc, len);
        break;
    }
    case TEE_FRAMEWORK_GRAMINE: st = session_gramine_json(session_id, base, pl, doc, len); break;
    case TEE_FRAMEWORK_TDX: st = session_tdx_json(session_id, base, pl, td, doc, len); break;
    default: break;
    }
    free(att_url);
    if (e != TEE_OK) return e;
    return st == SMS_OK ? TEE_OK : TEE_SECURE_SESSION_GENERATION_FAILED;
}

tee_error tee_service_session(tee_service *svc, const tee_session_request *rq, const char *authorization,
                              tee_session_result *out)
{
    tee_error e;
    sms_status st;
    uint8_t hash[32], tid[32], hint[32];
    char signer[POCO_ADDR_STR], pool_signer[POCO_ADDR_STR], worker[POCO_ADDR_STR], worker55[POCO_ADDR_STR];
    char task_key[POCO_B32_STR] = "?";
    char key[TEE_CHALLENGE_KEY_STR];
    struct poco_bundle b;
    task_description td;
    session_base base;
    const tee_pipeline *pl = NULL;
    char *doc = NULL;
    size_t doc_len = 0;
    int have_pool_signer = 0;
    int use_hint = 0;
    session_inputs in;

    if (svc == NULL || rq == NULL || out == NULL) return TEE_SECURE_SESSION_GENERATION_FAILED;
    memset(&b, 0, sizeof b);
    memset(&td, 0, sizeof td);
    memset(&base, 0, sizeof base);
    memset(key, 0, sizeof key);
    memset(out, 0, sizeof *out);
    const char *task_id = rq->chain_task_id != NULL ? rq->chain_task_id : ZERO_TASK_ID;
    const char *enclave = rq->enclave_challenge != NULL ? rq->enclave_challenge : "";

    /* 5.1 step 2, before any chain read: the worker signed this authorization. Missing or
     * malformed members are refused the same way (12.20). */
    e = TEE_INVALID_AUTHORIZATION;
    if (authorization == NULL || rq->worker_wallet == NULL || rq->signature == NULL) goto done;
    if (address_parse(rq->worker_wallet, NULL) != SMS_OK) goto done;
    if (tee_authorization_hash(rq->worker_wallet, task_id, enclave, hash) != SMS_OK) goto done;
    if (tee_recover_signer(hash, authorization, signer) != SMS_OK || strcasecmp(signer, rq->worker_wallet) != 0)
        goto done;
    snprintf(worker, sizeof worker, "%s", signer);
    st = tee_recover_signer(hash, rq->signature, pool_signer);
    if (st == SMS_EINVAL) goto done; /* not a signature at all */
    have_pool_signer = st == SMS_OK;

    /* 2.5 */
    if (task_id[0] == '\0') {
        e = TEE_EXECUTION_NOT_AUTHORIZED_EMPTY_PARAMS_UNAUTHORIZED;
        goto done;
    }
    if (tee_task_id_bytes(task_id, tid) != SMS_OK) {
        e = TEE_EXECUTION_NOT_AUTHORIZED_GET_CHAIN_TASK_FAILED;
        goto done;
    }
    poco_bytes32_hex(tid, task_key);
    use_hint = rq->deal_id != NULL && tee_task_id_bytes(rq->deal_id, hint) == SMS_OK;
    (void)read_bundle(svc, tid, use_hint ? hint : NULL, &b);
    e = tee_auth_check_bundle(&b, have_pool_signer ? pool_signer : NULL, svc->cfg->framework);
    if (e != TEE_OK) goto done;

    /* 5.3 */
    st = task_description_from_bundle(&b, &td);
    if (st != SMS_OK) {
        e = st == SMS_ENOMEM ? TEE_SECURE_SESSION_GENERATION_FAILED : TEE_GET_TASK_DESCRIPTION_FAILED;
        goto done;
    }
    e = pick_pipeline(svc, &td, &pl);
    if (e != TEE_OK) goto done;
    if (eip55_checksum(worker, worker55) != SMS_OK) {
        e = TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_WORKER_ADDRESS;
        goto done;
    }
    e = open_challenge(svc, task_key, enclave, key);
    if (e != TEE_OK) goto done;
    e = make_session_id(task_id, out->session_id);
    if (e != TEE_OK) goto done;

    in = (session_inputs){
        .td = &td,
        .worker_address = worker55,
        .enclave_challenge = enclave,
        .challenge_private_key = key,
        .pipeline = pl,
        .secrets = svc->secrets,
        .ipfs_gateway_url = svc->cfg->ipfs_gateway_url,
        .chain = svc->chain,
        .cache = svc->cache,
        .hub = svc->cfg->hub_address,
    };
    e = session_base_build(&in, &base);
    if (e != TEE_OK) goto done;
    e = make_document(svc, out->session_id, &base, pl, &td, &doc, &doc_len);
    if (e != TEE_OK) goto done;
    e = provisioner_post_session(svc->prov, doc, doc_len);
    if (e != TEE_OK) goto done;
    out->secret_provisioning_url = provisioner_secret_provisioning_url(svc->prov);
    LOG_INFO("TEE session generated [taskId:%s, worker:%s, framework:%s]", task_key, worker,
             tee_framework_name(svc->cfg->framework));

done:
    if (e != TEE_OK) {
        LOG_INFO("TEE session refused [taskId:%s]: %s", task_key, tee_error_name(e));
        memset(out, 0, sizeof *out);
    }
    if (doc != NULL) secure_free(doc, doc_len + 1);
    session_base_clear(&base);
    task_description_clear(&td);
    poco_bundle_clear(&b);
    secure_zero(key, sizeof key);
    return e;
}
