/* Scone CAS client (tee-sessions.md 6.3, 6.4): session POST over mutual TLS and the
 * resolution of the attestation server put into the session. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "provisioner/provisioner_internal.h"

/* Bound of one attestation probe (the whole resolution stays within the provisioner
 * timeout). */
#define ATTESTATION_PROBE_MS 3000L
/* A server that answered is reused this long without probing again. */
#define ATTESTATION_MEMO_MS 60000

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sms_status prov_cas_init(provisioner *p)
{
    const sms_config *cfg = p->cfg;
    char buf[512];
    if (cfg->sp_web_hostname == NULL || cfg->sp_enclave_hostname == NULL || p->cert_pem == NULL) return SMS_EINVAL;
    p->post_url = prov_url("https", cfg->sp_web_hostname, cfg->sp_web_port, "/session");
    int n = snprintf(buf, sizeof buf, "%s:%d", cfg->sp_enclave_hostname, cfg->sp_enclave_port);
    if (n < 0 || (size_t)n >= sizeof buf) return SMS_EINVAL;
    p->sp_url = strdup(buf);
    if (p->post_url == NULL || p->sp_url == NULL) return SMS_ENOMEM;
    if (cfg->provisioner_ca_file == NULL)
        LOG_WARN("IEXEC_SECRET_PROVISIONER_CA_FILE is not set: the CAS certificate is verified against the system "
                 "trust store");
    return SMS_OK;
}

tee_error prov_cas_post(provisioner *p, const char *doc, size_t len)
{
    long status = 0;
    prov_request r = {
        .url = p->post_url,
        .label = "CAS session post",
        .protocols = "https",
        .content_type = "application/octet-stream",
        .body = doc,
        .body_len = len,
        .client_cert = 1,
        .use_ca_file = 1,
        .timeout_ms = p->cfg->provisioner_timeout_ms,
    };
    if (prov_http(p, &r, &status) != SMS_OK) return TEE_SECURE_SESSION_STORAGE_CALL_FAILED;
    /* Only 201 means the CAS stored the session; its 4xx/5xx are storage failures too (12.15). */
    if (status != 201) {
        LOG_WARN("CAS refused the session: HTTP %ld", status);
        return TEE_SECURE_SESSION_STORAGE_CALL_FAILED;
    }
    return TEE_OK;
}

/* Fisher-Yates with the CSPRNG (the order only spreads load; no secret depends on it). */
static void shuffle(size_t *idx, size_t n)
{
    for (size_t i = 0; i < n; i++) idx[i] = i;
    for (size_t i = n; i > 1; i--) {
        uint32_t r = 0;
        if (RAND_bytes((unsigned char *)&r, sizeof r) != 1) r = (uint32_t)i;
        size_t j = r % i;
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

static int probe(provisioner *p, const char *base, long timeout_ms)
{
    long status = 0;
    char *url = prov_join(base, "/.well-known/openid-configuration");
    if (url == NULL) return 0;
    prov_request r = {
        .url = url,
        .label = "attestation server probe",
        .protocols = "http,https",
        .timeout_ms = timeout_ms,
    };
    int ok = prov_http(p, &r, &status) == SMS_OK && status >= 200 && status < 300;
    free(url);
    return ok;
}

tee_error prov_cas_attestation_url(provisioner *p, char **url)
{
    const sms_config *cfg = p->cfg;
    size_t n = cfg->n_scone_attestation_urls;
    int maa = cfg->scone_attestation_mode != NULL && strcmp(cfg->scone_attestation_mode, "maa") == 0;
    const char *found = NULL;
    size_t *order = NULL;
    int64_t now = mono_ms();

    *url = NULL;
    pthread_mutex_lock(&p->att_lock);
    if (p->att_url != NULL && now < p->att_until_ms) *url = strdup(p->att_url);
    pthread_mutex_unlock(&p->att_lock);
    if (*url != NULL) return TEE_OK;

    if (n > 0) {
        order = calloc(n, sizeof *order);
        if (order == NULL) return TEE_SECURE_SESSION_GENERATION_FAILED;
        shuffle(order, n);
    }
    int64_t end = now + cfg->provisioner_timeout_ms;
    for (size_t i = 0; i < n && found == NULL; i++) {
        int64_t left = end - mono_ms();
        if (left <= 0) break;
        const char *candidate = cfg->scone_attestation_urls[order[i]];
        if (probe(p, candidate, left < ATTESTATION_PROBE_MS ? (long)left : ATTESTATION_PROBE_MS)) found = candidate;
    }
    free(order);
    if (found == NULL) {
        if (maa) {
            LOG_WARN("no attestation server answered (%zu configured): session not posted", n);
            return TEE_SECURE_SESSION_STORAGE_CALL_FAILED;
        }
        return TEE_OK;
    }
    *url = strdup(found);
    if (*url == NULL) return TEE_SECURE_SESSION_GENERATION_FAILED;
    pthread_mutex_lock(&p->att_lock);
    char *memo = strdup(found);
    if (memo != NULL) {
        free(p->att_url);
        p->att_url = memo;
        p->att_until_ms = mono_ms() + ATTESTATION_MEMO_MS;
    }
    pthread_mutex_unlock(&p->att_lock);
    return TEE_OK;
}
