/* TEE part of the configuration: worker pipelines (tee-sessions.md 10.1, sms-api.md 10.2)
 * and the per-framework secret provisioner settings (sms-api.md 10.3-10.5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_internal.h"
#include "core/secure.h"

#define MAX_PIPELINES 32
#define MAX_ATTESTATION_URLS 32
#define MAX_VERSION_LEN 64
#define NAME_CAP 96
#define MAX_HEAP_BYTES ((uint64_t)16 << 40)
#define DEFAULT_ATTESTATION_URL "https://sharedweu.weu.attest.azure.net"

/* Suffix of the relaxed-binding name and of the pre-9.0 single-pipeline name. */
static const struct {
    const char *field;
    const char *legacy;
} stage_fields[] = {
    {"IMAGE", "IMAGE"}, {"FINGERPRINT", "FINGERPRINT"}, {"HEAPSIZE", "HEAP_SIZE_GB"}, {"ENTRYPOINT", "ENTRYPOINT"}};
static const char *const stages[] = {"PRE", "POST"};

static const char *fw_lower(tee_framework fw)
{
    return fw == TEE_FRAMEWORK_SCONE ? "scone" : fw == TEE_FRAMEWORK_GRAMINE ? "gramine" : "tdx";
}

/* Version given to the pipeline seeded from the pre-9.0 IEXEC_TEE_WORKER_* names, which had
 * none: v5 is the Scone version of the reference examples, v0.1 the TDX one; Gramine never
 * had a published version so "v0" stands for "unversioned". */
static const char *legacy_default_version(tee_framework fw)
{
    return fw == TEE_FRAMEWORK_SCONE ? "v5" : fw == TEE_FRAMEWORK_GRAMINE ? "v0" : "v0.1";
}

static void stage_name(char *buf, size_t n, size_t idx, const char *stage, const char *field)
{
    snprintf(buf, n, "TEE_WORKER_PIPELINES_%zu_%sCOMPUTE_%s", idx, stage, field);
}

static void legacy_name(char *buf, size_t n, const char *stage, const char *field)
{
    snprintf(buf, n, "IEXEC_TEE_WORKER_%s_COMPUTE_%s", stage, field);
}

/* Copies into first_set the name of the first variable of pipeline idx that is set;
 * returns 1 when there is one. */
static int pipeline_set(const cfg_env *e, size_t idx, char first_set[NAME_CAP])
{
    snprintf(first_set, NAME_CAP, "TEE_WORKER_PIPELINES_%zu_VERSION", idx);
    if (cfg_val(e, first_set) != NULL) return 1;
    for (size_t s = 0; s < 2; s++) {
        for (size_t f = 0; f < 4; f++) {
            stage_name(first_set, NAME_CAP, idx, stages[s], stage_fields[f].field);
            if (cfg_val(e, first_set) != NULL) return 1;
        }
    }
    return 0;
}

static int legacy_set(const cfg_env *e)
{
    char name[NAME_CAP];
    for (size_t s = 0; s < 2; s++) {
        for (size_t f = 0; f < 4; f++) {
            legacy_name(name, sizeof name, stages[s], stage_fields[f].legacy);
            if (cfg_val(e, name) != NULL) return 1;
        }
    }
    return 0;
}

static sms_status load_heap(const cfg_env *e, const char *name, const char *v, int legacy, uint64_t *out)
{
    if (legacy) {
        int64_t gb;
        if (cfg_parse_int64(v, 1, 16384, &gb) != SMS_OK) return cfg_fail(e, name, v, "expected a number of GB 1..16384");
        *out = (uint64_t)gb << 30;
        return SMS_OK;
    }
    if (config_parse_data_size(v, out) != SMS_OK || *out == 0 || *out > MAX_HEAP_BYTES) {
        return cfg_fail(e, name, v, "expected a data size (integer with optional unit B, KB, MB, GB or TB) from 1B to 16TB");
    }
    return SMS_OK;
}

/* One stage of pipeline idx; for pipeline 0 each field falls back to its legacy name. */
static sms_status load_stage(const cfg_env *e, tee_framework fw, size_t idx, size_t s, tee_stage_config *out)
{
    sms_status st = SMS_OK;
    char name[NAME_CAP], legacy[NAME_CAP];
    char **strs[4] = {&out->image, &out->fingerprint, NULL, &out->entrypoint};
    for (size_t f = 0; f < 4 && st == SMS_OK; f++) {
        stage_name(name, sizeof name, idx, stages[s], stage_fields[f].field);
        legacy_name(legacy, sizeof legacy, stages[s], stage_fields[f].legacy);
        const char *src = name;
        const char *v = cfg_val(e, name);
        if (v == NULL && idx == 0) {
            v = cfg_val(e, legacy);
            src = legacy;
        }
        if (v == NULL || cfg_is_blank(v)) {
            if (idx == 0) {
                st = cfg_fail(e, name, NULL, "required (or the legacy %s) for the %s framework", legacy, fw_lower(fw));
            } else {
                st = cfg_fail(e, name, NULL, "required for the %s framework (worker pipeline %zu)", fw_lower(fw), idx);
            }
        } else if (strs[f] == NULL) {
            st = load_heap(e, src, v, src == legacy, &out->heap_size_bytes);
        } else {
            /* Entry points are command lines ("/bin/bash /apploader.sh"); images and
             * fingerprints are single tokens. */
            st = cfg_check_str(e, src, v, strs[f] == &out->entrypoint ? 0 : CFG_STR_NOSPACE);
            if (st == SMS_OK) st = cfg_dup(e, v, strs[f]);
        }
    }
    return st;
}

static sms_status load_version(const cfg_env *e, tee_framework fw, size_t idx, int legacy, char **out)
{
    char name[NAME_CAP];
    snprintf(name, sizeof name, "TEE_WORKER_PIPELINES_%zu_VERSION", idx);
    const char *v = cfg_val(e, name);
    if (v == NULL && idx == 0 && legacy) v = legacy_default_version(fw);
    if (v == NULL || cfg_is_blank(v)) {
        return cfg_fail(e, name, NULL, "required for the %s framework (version of worker pipeline %zu)", fw_lower(fw),
                        idx);
    }
    /* The version is matched against a URL path segment (/tee/properties/{fw}/{version}). */
    if (cfg_has_space_or_ctrl(v) || strchr(v, '/') != NULL || strlen(v) > MAX_VERSION_LEN) {
        return cfg_fail(e, name, v, "expected a version of at most 64 characters without spaces or '/'");
    }
    return cfg_dup(e, v, out);
}

static sms_status load_pipelines(const cfg_env *e, sms_config *cfg)
{
    sms_status st = SMS_OK;
    char first[NAME_CAP];
    int legacy = legacy_set(e);
    size_t n = 0;
    while (n < MAX_PIPELINES && (pipeline_set(e, n, first) || (n == 0 && legacy))) n++;
    if (n == 0) {
        st = cfg_fail(e, "TEE_WORKER_PIPELINES_0_VERSION", NULL,
                      "at least one worker pipeline (TEE_WORKER_PIPELINES_<n>_* or the legacy "
                      "IEXEC_TEE_WORKER_*_COMPUTE_*) is required for the %s framework",
                      fw_lower(cfg->framework));
        goto cleanup;
    }
    if (n == MAX_PIPELINES) {
        if (pipeline_set(e, n, first)) {
            st = cfg_fail(e, first, NULL, "at most %d worker pipelines are supported", MAX_PIPELINES);
            goto cleanup;
        }
    } else {
        /* getenv cannot enumerate, so probe the next indexes for a numbering gap that
         * would otherwise silently drop pipelines. */
        for (size_t k = n + 1; k <= MAX_PIPELINES; k++) {
            if (pipeline_set(e, k, first)) {
                st = cfg_fail(e, first, NULL,
                              "worker pipelines must be numbered from 0 without gaps (no TEE_WORKER_PIPELINES_%zu_*)",
                              n);
                goto cleanup;
            }
        }
    }
    if (cfg->framework == TEE_FRAMEWORK_TDX && n != 1) {
        st = cfg_fail(e, "TEE_WORKER_PIPELINES_1_VERSION", NULL,
                      "the tdx framework accepts exactly one worker pipeline, got %zu", n);
        goto cleanup;
    }
    cfg->pipelines = calloc(n, sizeof *cfg->pipelines);
    if (cfg->pipelines == NULL) {
        st = cfg_oom(e);
        goto cleanup;
    }
    cfg->n_pipelines = n;
    for (size_t i = 0; i < n; i++) {
        tee_pipeline *p = &cfg->pipelines[i];
        st = load_version(e, cfg->framework, i, legacy, &p->version);
        if (st != SMS_OK) goto cleanup;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cfg->pipelines[j].version, p->version) == 0) {
                char name[NAME_CAP];
                snprintf(name, sizeof name, "TEE_WORKER_PIPELINES_%zu_VERSION", i);
                st = cfg_fail(e, name, p->version, "duplicate worker pipeline version (already used by pipeline %zu)",
                              j);
                goto cleanup;
            }
        }
        st = load_stage(e, cfg->framework, i, 0, &p->pre_compute);
        if (st == SMS_OK) st = load_stage(e, cfg->framework, i, 1, &p->post_compute);
        if (st != SMS_OK) goto cleanup;
    }
cleanup:
    return st;
}

static sms_status load_attestation_urls(const cfg_env *e, sms_config *cfg)
{
    sms_status st = SMS_OK;
    char name[NAME_CAP];
    const char *urls[MAX_ATTESTATION_URLS];
    const char *names[MAX_ATTESTATION_URLS];
    char name_store[MAX_ATTESTATION_URLS][NAME_CAP];
    size_t n = 0;
    for (; n < MAX_ATTESTATION_URLS; n++) {
        snprintf(name_store[n], NAME_CAP, "TEE_SCONE_ATTESTATION_URLS_%zu", n);
        urls[n] = cfg_val(e, name_store[n]);
        names[n] = name_store[n];
        if (urls[n] == NULL) break;
    }
    for (size_t k = n < MAX_ATTESTATION_URLS ? n + 1 : n; k <= MAX_ATTESTATION_URLS; k++) {
        snprintf(name, sizeof name, "TEE_SCONE_ATTESTATION_URLS_%zu", k);
        if (cfg_val(e, name) != NULL) {
            return cfg_fail(e, name, NULL, k == MAX_ATTESTATION_URLS
                                               ? "at most 32 attestation URLs are supported"
                                               : "attestation URLs must be numbered from 0 without gaps");
        }
    }
    if (n == 0) {
        /* The deprecated single URL is used only when the list is empty; setting it to an
         * empty string clears the default (meaningful in hardware mode only). */
        const char *single = cfg_raw(e, "TEE_SCONE_ATTESTATION_URL");
        if (single == NULL) {
            urls[0] = DEFAULT_ATTESTATION_URL;
            names[0] = "TEE_SCONE_ATTESTATION_URL";
            n = 1;
        } else if (*single != '\0') {
            urls[0] = single;
            names[0] = "TEE_SCONE_ATTESTATION_URL";
            n = 1;
        }
    }
    if (n == 0 && strcmp(cfg->scone_attestation_mode, "maa") == 0) {
        return cfg_fail(e, "TEE_SCONE_ATTESTATION_URLS_0", NULL,
                        "at least one attestation URL is required when TEE_SCONE_ATTESTATION_MODE is maa "
                        "(TEE_SCONE_ATTESTATION_URL is set but empty)");
    }
    for (size_t i = 0; i < n; i++) {
        st = cfg_check_str(e, names[i], urls[i], CFG_STR_URL);
        if (st != SMS_OK) return st;
    }
    if (n > 0) {
        cfg->scone_attestation_urls = calloc(n, sizeof *cfg->scone_attestation_urls);
        if (cfg->scone_attestation_urls == NULL) return cfg_oom(e);
    }
    cfg->n_scone_attestation_urls = n;
    for (size_t i = 0; i < n && st == SMS_OK; i++) st = cfg_dup(e, urls[i], &cfg->scone_attestation_urls[i]);
    return st;
}

static sms_status load_scone(const cfg_env *e, sms_config *cfg)
{
    sms_status st;
    const char *v;
    st = cfg_get_str(e, "IEXEC_SMS_IMAGE_LAS_IMAGE", NULL, CFG_STR_NONBLANK | CFG_STR_NOSPACE,
                     "required for the scone framework (image of the SCONE Local Attestation Service, "
                     "returned as lasImage)",
                     &cfg->scone_las_image);
    if (st != SMS_OK) return st;
    v = cfg_val(e, "IEXEC_SCONE_TOLERATED_INSECURE_OPTIONS");
    st = cfg_normalise_list(v, "", &cfg->scone_tolerated_insecure_options);
    if (st == SMS_ENOMEM) return cfg_oom(e);
    if (st != SMS_OK) {
        return cfg_fail(e, "IEXEC_SCONE_TOLERATED_INSECURE_OPTIONS", v,
                        "expected a comma-separated list of SCONE insecure options such as "
                        "hyperthreading,software-hardening-needed,insecure-igpu,outdated-tcb,debug-mode");
    }
    v = cfg_val(e, "IEXEC_IGNORED_SGX_ADVISORIES");
    st = cfg_normalise_list(v, "*", &cfg->scone_ignored_sgx_advisories);
    if (st == SMS_ENOMEM) return cfg_oom(e);
    if (st != SMS_OK) {
        return cfg_fail(e, "IEXEC_IGNORED_SGX_ADVISORIES", v,
                        "expected a comma-separated list of advisory ids such as INTEL-SA-00220,INTEL-SA-00270");
    }
    v = cfg_val(e, "TEE_SCONE_ATTESTATION_MODE");
    if (v == NULL || strcasecmp(v, "maa") == 0) {
        st = cfg_dup(e, "maa", &cfg->scone_attestation_mode);
    } else if (strcasecmp(v, "hardware") == 0) {
        st = cfg_dup(e, "hardware", &cfg->scone_attestation_mode);
    } else {
        return cfg_fail(e, "TEE_SCONE_ATTESTATION_MODE", v, "expected maa or hardware");
    }
    if (st != SMS_OK) return st;
    return load_attestation_urls(e, cfg);
}

static sms_status load_port(const cfg_env *e, const char *name, int def, int *out)
{
    int64_t v;
    sms_status st = cfg_get_int(e, name, def, 1, 65535, &v);
    if (st == SMS_OK) *out = (int)v;
    return st;
}

/* Host/port pairs of the Scone CAS and the Gramine SPS (absent from the TDX profile). */
static sms_status load_provisioner_endpoints(const cfg_env *e, sms_config *cfg)
{
    int scone = cfg->framework == TEE_FRAMEWORK_SCONE;
    sms_status st = cfg_get_str(e, "IEXEC_SECRET_PROVISIONER_WEB_HOSTNAME", "localhost",
                                CFG_STR_NONBLANK | CFG_STR_HOST, NULL, &cfg->sp_web_hostname);
    if (st == SMS_OK) st = load_port(e, "IEXEC_SECRET_PROVISIONER_WEB_PORT", scone ? 8081 : 8080, &cfg->sp_web_port);
    if (st == SMS_OK) {
        st = cfg_get_str(e, "IEXEC_SECRET_PROVISIONER_ENCLAVE_HOSTNAME", "localhost", CFG_STR_NONBLANK | CFG_STR_HOST,
                         NULL, &cfg->sp_enclave_hostname);
    }
    if (st == SMS_OK) {
        st = load_port(e, "IEXEC_SECRET_PROVISIONER_ENCLAVE_PORT", scone ? 18765 : 4433, &cfg->sp_enclave_port);
    }
    return st;
}

/* Client key store for the CAS (Scone, with the development defaults of the reference
 * image) and for the TDX session storage (optional, no default). */
static sms_status load_keystore(const cfg_env *e, sms_config *cfg)
{
    int scone = cfg->framework == TEE_FRAMEWORK_SCONE;
    sms_status st = cfg_get_str(e, "IEXEC_SMS_SSL_KEYSTORE", scone ? "/app/ssl-keystore-dev.p12" : NULL,
                                scone ? CFG_STR_NONBLANK : 0, NULL, &cfg->ssl_keystore);
    if (st == SMS_OK) {
        st = cfg_get_str(e, "IEXEC_SMS_SSL_KEYSTORE_PASSWORD", scone ? "whatever" : NULL, CFG_STR_SECRET, NULL,
                         &cfg->ssl_keystore_password);
    }
    if (st != SMS_OK) return st;
    const char *type = cfg_val(e, "IEXEC_SMS_SSL_KEYSTORE_TYPE");
    if (type != NULL && strcasecmp(type, "PKCS12") != 0) {
        return cfg_fail(e, "IEXEC_SMS_SSL_KEYSTORE_TYPE", type, "expected PKCS12 (the only supported key store type)");
    }
    st = cfg_dup(e, "PKCS12", &cfg->ssl_keystore_type);
    if (st == SMS_OK) {
        st = cfg_get_str(e, "IEXEC_SMS_SSL_KEYSTORE_ALIAS", "iexec-core", CFG_STR_NONBLANK, NULL,
                         &cfg->ssl_keystore_alias);
    }
    return st;
}

sms_status cfg_load_tee(const cfg_env *e, sms_config *cfg)
{
    sms_status st = SMS_OK;
    int64_t timeout;
    if (cfg->framework == TEE_FRAMEWORK_NONE) goto cleanup;
    st = load_pipelines(e, cfg);
    if (st != SMS_OK) goto cleanup;
    if (cfg->framework != TEE_FRAMEWORK_TDX) {
        st = load_provisioner_endpoints(e, cfg);
        if (st != SMS_OK) goto cleanup;
    }
    if (cfg->framework != TEE_FRAMEWORK_GRAMINE) {
        st = load_keystore(e, cfg);
        if (st != SMS_OK) goto cleanup;
    }
    st = cfg_get_str(e, "IEXEC_SECRET_PROVISIONER_CA_FILE", NULL, 0, NULL, &cfg->provisioner_ca_file);
    if (st != SMS_OK) goto cleanup;
    st = cfg_get_int(e, "IEXEC_SECRET_PROVISIONER_TIMEOUT_MS", 10000, 100, 300000, &timeout);
    if (st != SMS_OK) goto cleanup;
    cfg->provisioner_timeout_ms = (long)timeout;
    switch (cfg->framework) {
    case TEE_FRAMEWORK_SCONE:
        st = load_scone(e, cfg);
        break;
    case TEE_FRAMEWORK_GRAMINE:
        st = cfg_get_str(e, "IEXEC_GRAMINE_SPS_WEB_LOGIN", "admin", CFG_STR_NONBLANK, NULL, &cfg->gramine_sps_login);
        if (st == SMS_OK) {
            st = cfg_get_str(e, "IEXEC_GRAMINE_SPS_WEB_PASSWORD", "admin", CFG_STR_NONBLANK | CFG_STR_SECRET, NULL,
                             &cfg->gramine_sps_password);
        }
        break;
    case TEE_FRAMEWORK_TDX:
        st = cfg_get_str(e, "TEE_SECRETPROVISIONER_POSTURL", NULL, CFG_STR_NONBLANK | CFG_STR_URL,
                         "required for the tdx framework (base URL of the session storage)", &cfg->tdx_post_url);
        if (st == SMS_OK) {
            st = cfg_get_str(e, "TEE_SECRETPROVISIONER_REMOTEATTESTATIONURL", NULL,
                             CFG_STR_NONBLANK | CFG_STR_NOSPACE,
                             "required for the tdx framework (returned to workers as secretProvisioningUrl)",
                             &cfg->tdx_remote_attestation_url);
        }
        break;
    case TEE_FRAMEWORK_NONE:
        break;
    }
cleanup:
    return st;
}

static void free_str(char **p)
{
    free(*p);
    *p = NULL;
}

static void free_secret(char **p)
{
    if (*p != NULL) secure_free(*p, strlen(*p) + 1);
    *p = NULL;
}

static void free_stage(tee_stage_config *s)
{
    free_str(&s->image);
    free_str(&s->fingerprint);
    free_str(&s->entrypoint);
}

void cfg_free_tee(sms_config *cfg)
{
    for (size_t i = 0; cfg->pipelines != NULL && i < cfg->n_pipelines; i++) {
        free_str(&cfg->pipelines[i].version);
        free_stage(&cfg->pipelines[i].pre_compute);
        free_stage(&cfg->pipelines[i].post_compute);
    }
    free(cfg->pipelines);
    cfg->pipelines = NULL;
    cfg->n_pipelines = 0;
    for (size_t i = 0; cfg->scone_attestation_urls != NULL && i < cfg->n_scone_attestation_urls; i++) {
        free_str(&cfg->scone_attestation_urls[i]);
    }
    free(cfg->scone_attestation_urls);
    cfg->scone_attestation_urls = NULL;
    cfg->n_scone_attestation_urls = 0;
    free_str(&cfg->sp_web_hostname);
    free_str(&cfg->sp_enclave_hostname);
    free_str(&cfg->ssl_keystore);
    free_secret(&cfg->ssl_keystore_password);
    free_str(&cfg->ssl_keystore_type);
    free_str(&cfg->ssl_keystore_alias);
    free_str(&cfg->provisioner_ca_file);
    free_str(&cfg->scone_las_image);
    free_str(&cfg->scone_tolerated_insecure_options);
    free_str(&cfg->scone_ignored_sgx_advisories);
    free_str(&cfg->scone_attestation_mode);
    free_str(&cfg->gramine_sps_login);
    free_secret(&cfg->gramine_sps_password);
    free_str(&cfg->tdx_post_url);
    free_str(&cfg->tdx_remote_attestation_url);
}
