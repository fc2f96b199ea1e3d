/* Base session (tee-sessions.md 5.4-5.8): sign tokens, pre-compute and app environments,
 * in the reference's order of evaluation so that the first failing step names the error.
 * Values are secrets: never logged. */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/secure.h"
#include "tee/session_internal.h"
#include "tee/tee_text.h"

#define IEXEC_IN "/iexec_in"
#define IEXEC_OUT "/iexec_out"
#define REQUESTER_NAME_MAX 64

tee_error session_env_set(env_map *m, const char *key, const char *value)
{
    return env_map_set(m, key, value) == SMS_OK ? TEE_OK : TEE_SECURE_SESSION_GENERATION_FAILED;
}

static tee_error set_u64(env_map *m, const char *key, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    return session_env_set(m, key, num);
}

/* Key "<prefix><n><suffix>" (n from 1), e.g. IEXEC_DATASET_2_URL. */
static tee_error set_indexed(env_map *m, const char *prefix, size_t n, const char *suffix, const char *value)
{
    char key[96];
    int w = snprintf(key, sizeof key, "%s%zu%s", prefix, n, suffix);
    if (w < 0 || (size_t)w >= sizeof key) return TEE_SECURE_SESSION_GENERATION_FAILED;
    return session_env_set(m, key, value);
}

sms_status session_sha256_hex(const char *s, char out[67])
{
    uint8_t h[SHA256_DIGEST_LENGTH];
    if (SHA256((const unsigned char *)s, strlen(s), h) == NULL) return SMS_ERR;
    hex_encode_0x(h, sizeof h, out);
    return SMS_OK;
}

/* 5.5: the three tokens shared by pre- and post-compute, after their checks. */
static tee_error sign_tokens(const session_inputs *in, env_map *sign)
{
    tee_error e;
    if (in->worker_address == NULL || in->worker_address[0] == '\0')
        return TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_WORKER_ADDRESS;
    if (in->enclave_challenge == NULL || in->enclave_challenge[0] == '\0')
        return TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_PUBLIC_ENCLAVE_CHALLENGE;
    if (in->challenge_private_key == NULL) return TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CHALLENGE;
    if (in->challenge_private_key[0] == '\0') return TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CREDENTIALS;
    if ((e = session_env_set(sign, "IEXEC_TASK_ID", in->td->chain_task_id)) != TEE_OK) return e;
    if ((e = session_env_set(sign, "SIGN_WORKER_ADDRESS", in->worker_address)) != TEE_OK) return e;
    return session_env_set(sign, "SIGN_TEE_CHALLENGE_PRIVATE_KEY", in->challenge_private_key);
}

/* Adds every entry of src to dst (existing keys keep their position). */
static tee_error merge(env_map *dst, const env_map *src)
{
    for (size_t i = 0; i < src->n; i++) {
        tee_error e = session_env_set(dst, src->entries[i].key, src->entries[i].value);
        if (e != TEE_OK) return e;
    }
    return TEE_OK;
}

/* Dataset web3 secret: absent (or undecryptable) -> the dataset cannot be used. */
static tee_error dataset_key(const session_inputs *in, env_map *pre)
{
    uint8_t *v = NULL;
    size_t vlen = 0;
    sms_status st = secrets_get(in->secrets, SECRET_WEB3, in->td->dataset_address, NULL, &v, &vlen);
    if (st == SMS_ENOTFOUND || st == SMS_ECRYPTO) {
        LOG_WARN("no usable key for dataset %s of task %s", in->td->dataset_address, in->td->chain_task_id);
        return TEE_PRE_COMPUTE_GET_DATASET_SECRET_FAILED;
    }
    if (st != SMS_OK) return TEE_SECURE_SESSION_GENERATION_FAILED;
    tee_error e = strlen((char *)v) == vlen ? session_env_set(pre, "IEXEC_DATASET_KEY", (char *)v)
                                           : TEE_SECURE_SESSION_GENERATION_FAILED;
    secure_free(v, vlen + 1);
    return e;
}

/* 5.6 (+ 5.7 for bulk). */
static tee_error pre_env(const session_inputs *in, const bulk_slice *bulk, env_map *pre)
{
    const task_description *td = in->td;
    int has_dataset = td_contains_dataset(td);
    tee_error e;

    if ((e = session_env_set(pre, "IEXEC_PRE_COMPUTE_OUT", IEXEC_IN)) != TEE_OK) return e;
    if ((e = session_env_set(pre, "IS_DATASET_REQUIRED", has_dataset ? "true" : "false")) != TEE_OK) return e;
    if (has_dataset) {
        if ((e = dataset_key(in, pre)) != TEE_OK) return e;
        if ((e = session_env_set(pre, "IEXEC_DATASET_URL", td->dataset_uri)) != TEE_OK) return e;
        if ((e = session_env_set(pre, "IEXEC_DATASET_FILENAME", td->dataset_address)) != TEE_OK) return e;
        if ((e = session_env_set(pre, "IEXEC_DATASET_CHECKSUM", td->dataset_checksum)) != TEE_OK) return e;
    }
    if ((e = session_env_set(pre, "IEXEC_DEAL_ID", td->chain_deal_id)) != TEE_OK) return e;
    if ((e = set_u64(pre, "IEXEC_TASK_INDEX", td->bot_index)) != TEE_OK) return e;
    if ((e = session_env_set(pre, "IEXEC_TASK_ID", td->chain_task_id)) != TEE_OK) return e;
    if (td_contains_input_files(td) && (e = session_env_set(pre, "IEXEC_INPUT_FILES_FOLDER", IEXEC_IN)) != TEE_OK)
        return e;
    if ((e = set_u64(pre, "IEXEC_INPUT_FILES_NUMBER", td->params.n_input_files)) != TEE_OK) return e;
    for (size_t i = 0; i < td->params.n_input_files; i++)
        if ((e = set_indexed(pre, "IEXEC_INPUT_FILE_URL_", i + 1, "", td->params.input_files[i])) != TEE_OK)
            return e;
    if (td_is_bulk(td)) {
        if ((e = set_u64(pre, "IEXEC_BULK_SLICE_SIZE", bulk->n)) != TEE_OK) return e;
        for (size_t i = 0; i < bulk->n; i++) {
            const bulk_order *o = &bulk->orders[i];
            if ((e = set_indexed(pre, "IEXEC_DATASET_", i + 1, "_URL", o->valid ? o->url : "")) != TEE_OK ||
                (e = set_indexed(pre, "IEXEC_DATASET_", i + 1, "_CHECKSUM", o->valid ? o->checksum : "")) != TEE_OK ||
                (e = set_indexed(pre, "IEXEC_DATASET_", i + 1, "_KEY", o->valid ? o->key : "")) != TEE_OK ||
                (e = set_indexed(pre, "IEXEC_DATASET_", i + 1, "_FILENAME", o->dataset)) != TEE_OK)
                return e;
        }
    }
    return TEE_OK;
}

/* Integer.parseInt(s) > 0: optional sign, ASCII digits, fits in a Java int. */
static int positive_java_int(const char *s)
{
    size_t i = 0;
    int neg = 0;
    long long v = 0;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    if (s[i] == '\0') return 0;
    for (; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
        if (v > 2147483648LL) return 0;
    }
    if (neg) v = -v;
    return v > 0 && v <= 2147483647LL;
}

/* Java String.length(): UTF-16 code units of a valid UTF-8 string. */
static size_t utf16_units(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p & 0xC0) == 0x80) continue;
        n += *p >= 0xF0 ? 2 : 1;
    }
    return n;
}

/* Set key unless already present: the compute-stage variables win a clash (5.8). */
static tee_error set_secret_env(env_map *app, const char *key, const char *value)
{
    if (env_map_get(app, key) != NULL) return TEE_OK;
    return session_env_set(app, key, value);
}

/* Compute secret read; *v NULL when absent. */
static tee_error get_compute_secret(const session_inputs *in, secret_kind kind, const char *owner, const char *name,
                                    uint8_t **v, size_t *vlen)
{
    *v = NULL;
    sms_status st = secrets_get(in->secrets, kind, owner, name, v, vlen);
    if (st == SMS_ENOTFOUND) return TEE_OK;
    if (st != SMS_OK) return TEE_SECURE_SESSION_GENERATION_FAILED;
    if (strlen((char *)*v) != *vlen) {
        secure_free(*v, *vlen + 1);
        *v = NULL;
        return TEE_SECURE_SESSION_GENERATION_FAILED;
    }
    return TEE_OK;
}

/* Requester secrets with the reference's naming quirk (5.8, 12.11): every iexec_secrets entry
 * whose name was fetched gets a variable, even when its own index was rejected. */
static tee_error requester_secrets(const session_inputs *in, env_map *app)
{
    const deal_params *p = &in->td->params;
    tee_error e = TEE_OK;
    for (size_t i = 0; i < p->n_secrets; i++) {
        if (!positive_java_int(p->secrets[i].index)) continue;
        size_t units = utf16_units(p->secrets[i].name);
        if (units < 1 || units > REQUESTER_NAME_MAX) return TEE_SECURE_SESSION_GENERATION_FAILED;
    }
    for (size_t i = 0; i < p->n_secrets; i++) {
        const char *name = p->secrets[i].name;
        int first = positive_java_int(p->secrets[i].index);
        for (size_t j = 0; j < i && first; j++)
            if (positive_java_int(p->secrets[j].index) && strcmp(p->secrets[j].name, name) == 0) first = 0;
        if (!first) continue; /* not fetched, or fetched already */
        uint8_t *v = NULL;
        size_t vlen = 0;
        if ((e = get_compute_secret(in, SECRET_REQUESTER, in->td->requester, name, &v, &vlen)) != TEE_OK) return e;
        if (v == NULL) continue;
        for (size_t j = 0; j < p->n_secrets && e == TEE_OK; j++) {
            if (strcmp(p->secrets[j].name, name) != 0) continue;
            static const char prefix[] = "IEXEC_REQUESTER_SECRET_";
            size_t ilen = strlen(p->secrets[j].index);
            char *key = malloc(sizeof prefix + ilen);
            if (key == NULL) {
                e = TEE_SECURE_SESSION_GENERATION_FAILED;
                break;
            }
            memcpy(key, prefix, sizeof prefix - 1);
            memcpy(key + sizeof prefix - 1, p->secrets[j].index, ilen + 1);
            e = set_secret_env(app, key, (char *)v);
            free(key);
        }
        secure_free(v, vlen + 1);
        if (e != TEE_OK) return e;
    }
    return TEE_OK;
}

static tee_error compute_secrets(const session_inputs *in, env_map *app)
{
    uint8_t *v = NULL;
    size_t vlen = 0;
    tee_error e = get_compute_secret(in, SECRET_APP, in->td->app_address, SECRET_APP_INDEX, &v, &vlen);
    if (e != TEE_OK) return e;
    if (v != NULL) {
        e = set_secret_env(app, "IEXEC_APP_DEVELOPER_SECRET", (char *)v);
        if (e == TEE_OK) e = set_secret_env(app, "IEXEC_APP_DEVELOPER_SECRET_1", (char *)v);
        secure_free(v, vlen + 1);
        if (e != TEE_OK) return e;
    }
    return requester_secrets(in, app);
}

/* Enclave checks of 5.8 (SGX only); sets *mrenclave for SGX. */
static tee_error app_enclave(const task_description *td, char **mrenclave)
{
    *mrenclave = NULL;
    if (td->framework != TEE_FRAMEWORK_SCONE && td->framework != TEE_FRAMEWORK_GRAMINE) return TEE_OK;
    if (!td->has_enclave_config) return TEE_APP_COMPUTE_NO_ENCLAVE_CONFIG;
    if (!enclave_config_valid(&td->enclave)) return TEE_APP_COMPUTE_INVALID_ENCLAVE_CONFIG;
    *mrenclave = strdup(td->enclave.fingerprint);
    return *mrenclave == NULL ? TEE_SECURE_SESSION_GENERATION_FAILED : TEE_OK;
}

/* 5.8 (+ 5.7 for bulk). */
static tee_error app_env(const session_inputs *in, const bulk_slice *bulk, env_map *app)
{
    const task_description *td = in->td;
    tee_error e;

    if ((e = session_env_set(app, "IEXEC_DEAL_ID", td->chain_deal_id)) != TEE_OK) return e;
    if ((e = set_u64(app, "IEXEC_TASK_INDEX", td->bot_index)) != TEE_OK) return e;
    if ((e = session_env_set(app, "IEXEC_TASK_ID", td->chain_task_id)) != TEE_OK) return e;
    if ((e = session_env_set(app, "IEXEC_IN", IEXEC_IN)) != TEE_OK) return e;
    if ((e = session_env_set(app, "IEXEC_OUT", IEXEC_OUT)) != TEE_OK) return e;
    if ((e = set_u64(app, "IEXEC_BOT_SIZE", td->bot_size)) != TEE_OK) return e;
    if ((e = set_u64(app, "IEXEC_BOT_FIRST_INDEX", td->bot_first)) != TEE_OK) return e;
    if ((e = set_u64(app, "IEXEC_BOT_TASK_INDEX", td->bot_index)) != TEE_OK) return e;
    if ((e = session_env_set(app, "IEXEC_DATASET_ADDRESS", td->dataset_address)) != TEE_OK) return e;
    if ((e = session_env_set(app, "IEXEC_DATASET_FILENAME", td->dataset_address)) != TEE_OK) return e;
    if (td_contains_input_files(td) && (e = session_env_set(app, "IEXEC_INPUT_FILES_FOLDER", IEXEC_IN)) != TEE_OK)
        return e;
    if ((e = set_u64(app, "IEXEC_INPUT_FILES_NUMBER", td->params.n_input_files)) != TEE_OK) return e;
    for (size_t i = 0; i < td->params.n_input_files; i++) {
        char name[67];
        if (session_sha256_hex(td->params.input_files[i], name) != SMS_OK) return TEE_SECURE_SESSION_GENERATION_FAILED;
        if ((e = set_indexed(app, "IEXEC_INPUT_FILE_NAME_", i + 1, "", name)) != TEE_OK) return e;
    }
    if (td_is_bulk(td)) {
        if ((e = set_u64(app, "IEXEC_BULK_SLICE_SIZE", bulk->n)) != TEE_OK) return e;
        for (size_t i = 0; i < bulk->n; i++)
            if ((e = set_indexed(app, "IEXEC_DATASET_", i + 1, "_FILENAME", bulk->orders[i].dataset)) != TEE_OK)
                return e;
    }
    return compute_secrets(in, app);
}

tee_error session_base_build(const session_inputs *in, session_base *out)
{
    env_map sign = {0};
    bulk_slice bulk = {0};
    tee_error e;

    if (out == NULL) return TEE_SECURE_SESSION_GENERATION_FAILED;
    memset(out, 0, sizeof *out);
    if (in == NULL) return TEE_NO_SESSION_REQUEST;
    if (in->td == NULL || in->td->params.absent) return TEE_NO_TASK_DESCRIPTION;
    if (in->secrets == NULL) return TEE_SECURE_SESSION_GENERATION_FAILED;
    const task_description *td = in->td;

    if ((e = sign_tokens(in, &sign)) != TEE_OK) goto out;
    out->has_pre = td_requires_pre_compute(td);
    if (td_is_bulk(td) && (e = bulk_slice_load(in, &bulk)) != TEE_OK) goto out;
    if (out->has_pre) {
        if ((e = pre_env(in, &bulk, &out->pre)) != TEE_OK) goto out;
        if ((e = merge(&out->pre, &sign)) != TEE_OK) goto out;
    }
    if ((e = app_enclave(td, &out->app_mrenclave)) != TEE_OK) goto out;
    if ((e = app_env(in, &bulk, &out->app)) != TEE_OK) goto out;
    if ((e = session_post_env(in, &out->post)) != TEE_OK) goto out;
    if ((e = merge(&out->post, &sign)) != TEE_OK) goto out;
    out->app_command = td_app_command(td);
    if (out->app_command == NULL) e = TEE_SECURE_SESSION_GENERATION_FAILED;
out:
    env_map_clear(&sign);
    bulk_slice_clear(&bulk);
    if (e != TEE_OK) session_base_clear(out);
    return e;
}

void session_base_clear(session_base *b)
{
    if (b == NULL) return;
    env_map_clear(&b->pre);
    env_map_clear(&b->app);
    env_map_clear(&b->post);
    free(b->app_mrenclave);
    free(b->app_command);
    memset(b, 0, sizeof *b);
}
