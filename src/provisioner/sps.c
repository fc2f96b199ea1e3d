/* Gramine SPS client (tee-sessions.md 7.2): JSON session over HTTP with basic auth. */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "provisioner/provisioner_internal.h"

sms_status prov_sps_init(provisioner *p)
{
    const sms_config *cfg = p->cfg;
    char buf[512];
    if (cfg->sp_web_hostname == NULL || cfg->sp_enclave_hostname == NULL || cfg->gramine_sps_login == NULL)
        return SMS_EINVAL;
    p->post_url = prov_url("http", cfg->sp_web_hostname, cfg->sp_web_port, "/api/session");
    int n = snprintf(buf, sizeof buf, "%s:%d", cfg->sp_enclave_hostname, cfg->sp_enclave_port);
    if (n < 0 || (size_t)n >= sizeof buf) return SMS_EINVAL;
    p->sp_url = strdup(buf);
    if (p->post_url == NULL || p->sp_url == NULL) return SMS_ENOMEM;
    LOG_WARN("the Gramine SPS is reached over plain HTTP: keep it on a private network");
    return SMS_OK;
}

tee_error prov_sps_post(provisioner *p, const char *doc, size_t len)
{
    long status = 0;
    prov_request r = {
        .url = p->post_url,
        .label = "SPS session post",
        .protocols = "http",
        .content_type = "application/json",
        .body = doc,
        .body_len = len,
        .user = p->cfg->gramine_sps_login,
        .password = p->cfg->gramine_sps_password,
        .timeout_ms = p->cfg->provisioner_timeout_ms,
    };
    if (prov_http(p, &r, &status) != SMS_OK) return TEE_SECURE_SESSION_STORAGE_CALL_FAILED;
    if (status < 200 || status >= 300) {
        LOG_WARN("SPS refused the session: HTTP %ld", status);
        return TEE_SECURE_SESSION_STORAGE_CALL_FAILED;
    }
    return TEE_OK;
}
