/* Post-compute environment (tee-sessions.md 5.9): result encryption and storage tokens from
 * web2 secrets, which are trimmed (leading/trailing chars <= 0x20) when read for a session
 * (sms-api.md 9.5). Values are secrets: never logged. */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/secure.h"
#include "tee/session_internal.h"

#define NAME_ENCRYPTION_KEY "iexec-result-encryption-public-key"
#define NAME_DROPBOX_TOKEN "iexec-result-dropbox-token"
#define NAME_IPFS_TOKEN "iexec-result-iexec-ipfs-token"
#define NAME_PROXY_URL "iexec-result-iexec-result-proxy-url"
#define PROVIDER_DROPBOX "dropbox"

typedef struct {
    char *p; /* NULL when the secret is absent */
    size_t cap;
} web2_value;

static void web2_clear(web2_value *v)
{
    secure_free(v->p, v->cap);
    v->p = NULL;
    v->cap = 0;
}

/* Trimmed web2 secret (owner, name); v->p stays NULL when absent. */
static tee_error get_web2(const session_inputs *in, const char *owner, const char *name, web2_value *v)
{
    uint8_t *raw = NULL;
    size_t len = 0;
    v->p = NULL;
    v->cap = 0;
    sms_status st = secrets_get(in->secrets, SECRET_WEB2, owner, name, &raw, &len);
    if (st == SMS_ENOTFOUND) return TEE_OK;
    if (st != SMS_OK) return TEE_SECURE_SESSION_GENERATION_FAILED;
    size_t a = 0;
    size_t b = len;
    while (a < b && raw[a] <= 0x20) a++;
    while (b > a && raw[b - 1] <= 0x20) b--;
    if (memchr(raw + a, 0, b - a) != NULL) { /* cannot go into an environment */
        secure_free(raw, len + 1);
        return TEE_SECURE_SESSION_GENERATION_FAILED;
    }
    memmove(raw, raw + a, b - a);
    secure_zero(raw + (b - a), len - (b - a));
    raw[b - a] = '\0';
    v->p = (char *)raw;
    v->cap = len + 1;
    return TEE_OK;
}

static tee_error encryption_tokens(const session_inputs *in, env_map *post)
{
    const task_description *td = in->td;
    web2_value key = {0};
    tee_error e;

    if ((e = session_env_set(post, "RESULT_ENCRYPTION", td->params.result_encryption ? "true" : "false")) != TEE_OK)
        return e;
    if (!td->params.result_encryption) return session_env_set(post, "RESULT_ENCRYPTION_PUBLIC_KEY", "");
    if ((e = get_web2(in, td->beneficiary, NAME_ENCRYPTION_KEY, &key)) != TEE_OK) return e;
    if (key.p == NULL || key.p[0] == '\0') {
        LOG_WARN("task %s: beneficiary %s has no result encryption key", td->chain_task_id, td->beneficiary);
        e = TEE_POST_COMPUTE_GET_ENCRYPTION_TOKENS_FAILED_EMPTY_BENEFICIARY_KEY;
    } else {
        e = session_env_set(post, "RESULT_ENCRYPTION_PUBLIC_KEY", key.p);
    }
    web2_clear(&key);
    return e;
}

static tee_error set_storage(env_map *post, const char *callback, const char *provider, const char *proxy,
                             const char *token)
{
    tee_error e;
    if ((e = session_env_set(post, "RESULT_STORAGE_CALLBACK", callback)) != TEE_OK) return e;
    if ((e = session_env_set(post, "RESULT_STORAGE_PROVIDER", provider)) != TEE_OK) return e;
    if ((e = session_env_set(post, "RESULT_STORAGE_PROXY", proxy)) != TEE_OK) return e;
    return session_env_set(post, "RESULT_STORAGE_TOKEN", token);
}

static tee_error storage_tokens(const session_inputs *in, env_map *post)
{
    const task_description *td = in->td;
    const deal_params *p = &td->params;
    web2_value token = {0};
    web2_value requester_token = {0};
    web2_value proxy_url = {0};
    tee_error e;

    if (td_contains_callback(td)) return set_storage(post, "true", "", "", "");
    if (p->storage_provider != NULL && strcmp(p->storage_provider, PROVIDER_DROPBOX) == 0) {
        if ((e = get_web2(in, td->requester, NAME_DROPBOX_TOKEN, &token)) != TEE_OK) goto out;
        if (token.p == NULL || token.p[0] == '\0') {
            e = TEE_POST_COMPUTE_GET_STORAGE_TOKENS_FAILED;
            goto out;
        }
        e = set_storage(post, "false", PROVIDER_DROPBOX, p->storage_proxy != NULL ? p->storage_proxy : "", token.p);
        goto out;
    }
    /* IPFS through the result proxy. A token pushed by the worker itself wins, even empty. */
    if ((e = get_web2(in, in->worker_address, NAME_IPFS_TOKEN, &token)) != TEE_OK) goto out;
    if ((e = get_web2(in, td->requester, NAME_IPFS_TOKEN, &requester_token)) != TEE_OK) goto out;
    if (p->storage_proxy == NULL && (e = get_web2(in, td->workerpool_owner, NAME_PROXY_URL, &proxy_url)) != TEE_OK)
        goto out;
    const char *tok = token.p != NULL ? token.p : requester_token.p;
    if (tok == NULL || tok[0] == '\0') {
        e = TEE_POST_COMPUTE_GET_STORAGE_TOKENS_FAILED;
        goto out;
    }
    const char *proxy = p->storage_proxy != NULL ? p->storage_proxy : proxy_url.p != NULL ? proxy_url.p : "";
    /* The reference sends a null provider when absent; "" means the same to post-compute (12.12). */
    e = set_storage(post, "false", p->storage_provider != NULL ? p->storage_provider : "", proxy, tok);
out:
    if (e == TEE_POST_COMPUTE_GET_STORAGE_TOKENS_FAILED)
        LOG_WARN("task %s: no result storage token for requester %s / worker %s", td->chain_task_id, td->requester,
                 in->worker_address);
    web2_clear(&token);
    web2_clear(&requester_token);
    web2_clear(&proxy_url);
    return e;
}

tee_error session_post_env(const session_inputs *in, env_map *post)
{
    tee_error e = encryption_tokens(in, post);
    if (e != TEE_OK) return e;
    return storage_tokens(in, post);
}
