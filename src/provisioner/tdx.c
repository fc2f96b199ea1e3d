/* TDX session storage client (tee-sessions.md 8.3): JSON session, TLS verified when the
 * storage URL is https, with the key store's client certificate when one is configured. */
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "provisioner/provisioner_internal.h"

sms_status prov_tdx_init(provisioner *p)
{
    const sms_config *cfg = p->cfg;
    if (cfg->tdx_post_url == NULL || cfg->tdx_remote_attestation_url == NULL) return SMS_EINVAL;
    p->post_url = prov_join(cfg->tdx_post_url, "/session");
    p->sp_url = strdup(cfg->tdx_remote_attestation_url);
    if (p->post_url == NULL || p->sp_url == NULL) return SMS_ENOMEM;
    if (strncasecmp(cfg->tdx_post_url, "https://", 8) != 0)
        LOG_WARN("TEE_SECRETPROVISIONER_POSTURL is not https: sessions reach the TDX storage unencrypted");
    return SMS_OK;
}

tee_error prov_tdx_post(provisioner *p, const char *doc, size_t len)
{
    long status = 0;
    prov_request r = {
        .url = p->post_url,
        .label = "TDX session storage post",
        .protocols = "http,https",
        .content_type = "application/json",
        .body = doc,
        .body_len = len,
        .client_cert = 1,
        .use_ca_file = 1,
        .timeout_ms = p->cfg->provisioner_timeout_ms,
    };
    if (prov_http(p, &r, &status) != SMS_OK) return TEE_SECURE_SESSION_STORAGE_CALL_FAILED;
    if (status < 200 || status >= 300) {
        LOG_WARN("TDX session storage refused the session: HTTP %ld", status);
        return TEE_SECURE_SESSION_STORAGE_CALL_FAILED;
    }
    return TEE_OK;
}
