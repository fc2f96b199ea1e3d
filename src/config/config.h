/* Daemon configuration, read from the environment (sms-api.md section 10,
 * tee-sessions.md sections 10-11 and Appendix A). Every value is validated at load
 * time; a bad value stops start-up with one line naming the variable and what is
 * expected. Strings are owned by the config and freed by config_free. */
#ifndef SMS_CONFIG_H
#define SMS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/cron.h"
#include "core/log.h"
#include "core/status.h"

typedef enum { TEE_FRAMEWORK_NONE = 0, TEE_FRAMEWORK_SCONE, TEE_FRAMEWORK_GRAMINE, TEE_FRAMEWORK_TDX } tee_framework;

typedef struct {
    char *image;
    char *fingerprint;
    char *entrypoint;
    uint64_t heap_size_bytes;
} tee_stage_config;

typedef struct {
    char *version;
    tee_stage_config pre_compute;
    tee_stage_config post_compute;
} tee_pipeline;

typedef struct {
    /* HTTP */
    int port;                       /* IEXEC_SMS_PORT, 13300 */
    char *listen_address;           /* IEXEC_SMS_LISTEN_ADDRESS, "0.0.0.0" */
    size_t max_body_bytes;          /* IEXEC_SMS_MAX_BODY_BYTES, 65536 */
    unsigned max_connections;       /* IEXEC_SMS_MAX_CONNECTIONS, 512 */
    unsigned connection_timeout_s;  /* IEXEC_SMS_CONNECTION_TIMEOUT_SECONDS, 30 */

    /* Storage */
    char *database_url;             /* normalised: "sqlite:/abs/or/rel/path" or "postgresql://..." (may hold a
                                     * password: never log it). From IEXEC_SMS_DATABASE_URL (PATH, sqlite:PATH,
                                     * sqlite:///PATH, postgresql://, postgres://) or else IEXEC_SMS_H2_URL
                                     * jdbc:h2:file:X -> "sqlite:X.sqlite"; default "sqlite:/data/sms-h2.sqlite" */
    char *aes_key_path;             /* IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH, /data/iexec-sms-aes.key */
    size_t exists_cache_max;        /* IEXEC_SMS_EXISTS_CACHE_MAX_ENTRIES, 100000 */

    /* Chain */
    char *node_address;             /* IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS or IEXEC_BLOCKCHAIN_NODE_ADDRESS,
                                     * https://bellecour.iex.ec; an http(s) URL with a host */
    long chain_timeout_ms;          /* IEXEC_SMS_BLOCKCHAIN_TIMEOUT_MS, 5000 */
    char hub_address[43];           /* IEXEC_HUB_ADDRESS, lower-cased */
    int64_t chain_id;               /* IEXEC_CHAIN_ID, 134 */
    int is_sidechain;               /* IEXEC_IS_SIDECHAIN, true */
    int64_t block_time_ms;          /* IEXEC_BLOCK_TIME, PT5S */
    double gas_price_multiplier;    /* IEXEC_GAS_PRICE_MULTIPLIER, 1.0 */
    int64_t gas_price_cap;          /* IEXEC_GAS_PRICE_CAP, 22000000000 */
    char *ipfs_gateway_url;         /* IPFS_GATEWAYURL, https://ipfs.iex.ec */

    /* Admin and operations */
    char *admin_api_key;            /* IEXEC_SMS_ADMIN_API_KEY; NULL when unset or blank */
    char *admin_storage_location;   /* IEXEC_SMS_ADMIN_STORAGE_LOCATION, /backup; absolute, no trailing '/' */
    int out_of_service_enabled;     /* ADMIN_OUTOFSERVICE_ENABLED / ADMIN_OUT_OF_SERVICE_ENABLED == "true" */
    int metrics_refresh_interval_s; /* IEXEC_SMS_METRICS_STORAGE_REFRESH_INTERVAL, 30 */
    char *challenge_cleanup_cron;   /* IEXEC_TEE_CHALLENGE_CLEANUP_CRON, @hourly */
    cron_schedule challenge_cleanup_schedule; /* challenge_cleanup_cron, parsed (use with cron_next_ms) */
    int challenge_cleanup_batch;    /* IEXEC_TEE_CHALLENGE_CLEANUP_MAX_BATCH_SIZE, 500 */
    int64_t challenge_cleanup_retention_ms; /* IEXEC_TEE_CHALLENGE_CLEANUP_RETENTION_DURATION, P5D */
    int prometheus_exposed;         /* 1 when MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE is unset (our default,
                                     * unlike the reference) or a comma list containing prometheus or "*" */
    sms_log_level log_level;        /* IEXEC_LOG_LEVEL, INFO */

    /* TEE. With framework NONE every field below is NULL/0. Fields that a framework's
     * profile does not have are NULL/0 too: web/enclave host+port for TDX; key store for
     * Gramine; scone_* for Gramine/TDX; gramine_* for Scone/TDX; tdx_* for Scone/Gramine. */
    tee_framework framework;        /* IEXEC_SMS_TEE_RUNTIME_FRAMEWORK; unset/empty = NONE = secrets-only */
    tee_pipeline *pipelines;        /* TEE_WORKER_PIPELINES_<n>_* (n = 0.. without gaps, at most 32); each field of
                                     * pipeline 0 falls back to IEXEC_TEE_WORKER_{PRE,POST}_COMPUTE_{IMAGE,
                                     * FINGERPRINT,HEAP_SIZE_GB,ENTRYPOINT}; its version then defaults to v5
                                     * (scone), v0 (gramine) or v0.1 (tdx). Versions unique; TDX exactly one */
    size_t n_pipelines;
    char *sp_web_hostname;          /* IEXEC_SECRET_PROVISIONER_WEB_HOSTNAME, localhost */
    int sp_web_port;                /* IEXEC_SECRET_PROVISIONER_WEB_PORT, 8081 scone / 8080 gramine */
    char *sp_enclave_hostname;      /* IEXEC_SECRET_PROVISIONER_ENCLAVE_HOSTNAME, localhost */
    int sp_enclave_port;            /* IEXEC_SECRET_PROVISIONER_ENCLAVE_PORT, 18765 scone / 4433 gramine */
    char *ssl_keystore;             /* IEXEC_SMS_SSL_KEYSTORE, /app/ssl-keystore-dev.p12 scone / none tdx */
    char *ssl_keystore_password;    /* IEXEC_SMS_SSL_KEYSTORE_PASSWORD, whatever scone / none tdx (never logged) */
    char *ssl_keystore_type;        /* IEXEC_SMS_SSL_KEYSTORE_TYPE, PKCS12 (the only accepted value) */
    char *ssl_keystore_alias;       /* IEXEC_SMS_SSL_KEYSTORE_ALIAS, iexec-core */
    char *provisioner_ca_file;      /* IEXEC_SECRET_PROVISIONER_CA_FILE: CA or pinned cert to verify CAS/TDX storage;
                                     * NULL when unset */
    char *scone_las_image;          /* IEXEC_SMS_IMAGE_LAS_IMAGE (required for scone) */
    char *scone_tolerated_insecure_options; /* IEXEC_SCONE_TOLERATED_INSECURE_OPTIONS, normalised "a,b" ("" = none) */
    char *scone_ignored_sgx_advisories;     /* IEXEC_IGNORED_SGX_ADVISORIES, normalised "A,B" ("" = none) */
    char *scone_attestation_mode;   /* TEE_SCONE_ATTESTATION_MODE, "maa" or "hardware" (lower case), maa */
    char **scone_attestation_urls;  /* TEE_SCONE_ATTESTATION_URLS_<n>, else TEE_SCONE_ATTESTATION_URL, else
                                     * https://sharedweu.weu.attest.azure.net; TEE_SCONE_ATTESTATION_URL="" gives
                                     * an empty list (refused in maa mode) */
    size_t n_scone_attestation_urls;
    char *gramine_sps_login;        /* IEXEC_GRAMINE_SPS_WEB_LOGIN, admin */
    char *gramine_sps_password;     /* IEXEC_GRAMINE_SPS_WEB_PASSWORD, admin (never logged) */
    char *tdx_post_url;             /* TEE_SECRETPROVISIONER_POSTURL */
    char *tdx_remote_attestation_url; /* TEE_SECRETPROVISIONER_REMOTEATTESTATIONURL */
    long provisioner_timeout_ms;    /* IEXEC_SECRET_PROVISIONER_TIMEOUT_MS, 10000 */
} sms_config;

/* Function used to read variables (getenv in production, a table in tests). */
typedef const char *(*config_getenv_fn)(const char *name);

/* getenv(3) with the config_getenv_fn signature (getenv itself returns char *, which does
 * not convert under -Werror): pass it to config_load in production. */
const char *config_process_getenv(const char *name);

/* Fill cfg from the environment. On failure returns SMS_EINVAL and writes one line into
 * errbuf such as: "IEXEC_SMS_PORT: expected an integer 1..65535, got 'abc'" (secret
 * variables are never echoed). cfg is left freeable in every case.
 *   cfg       : overwritten (not freed first); on failure everything already allocated is
 *               released and cfg is zeroed, so config_free is optional then
 *   getenv_fn : returns the value of a variable or NULL; an empty value counts as unset
 *               (except the few documented cases: TEE_SCONE_ATTESTATION_URL and
 *               MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE)
 *   errbuf    : may be NULL; errcap bytes, NUL-terminated when errcap > 0
 * Returns SMS_OK, SMS_EINVAL or SMS_ENOMEM. Not thread-safe (call once at start-up). */
sms_status config_load(sms_config *cfg, config_getenv_fn getenv_fn, char *errbuf, size_t errcap);
/* Frees every string (secrets zeroed first) and zeroes cfg. NULL-safe, idempotent. */
void config_free(sms_config *cfg);

/* Logs the effective configuration at INFO (never secrets, database credentials or URL
 * paths that may embed API keys) and WARN lines for insecure settings (development key
 * store, default Gramine credentials, no TEE framework). */
void config_log_summary(const sms_config *cfg);

/* `iexec-sms --help`: usage and every variable with its default and meaning. */
void config_print_help(FILE *out);

/* "SCONE", "GRAMINE", "TDX" (upper case) or NULL for NONE. */
const char *tee_framework_name(tee_framework fw);
/* Case-insensitive parse of "scone"/"gramine"/"tdx"; SMS_EINVAL otherwise. */
sms_status tee_framework_parse(const char *s, tee_framework *out);

/* Parsers shared with other modules (exposed for tests):
 * ISO-8601 durations such as PT5S, P5D, PT0.5S, P1DT2H -> milliseconds (java.time.Duration
 * syntax PnDTnHnMn.nS, case-insensitive, no sign; also Spring's simple form 500ms, 5s, 2m,
 * 1h, 5d, a bare integer being milliseconds; sub-millisecond parts truncated; at most
 * 100 years);
 * data sizes "1GB", "512MB", "1024" (binary units B KB MB GB TB, any case, no space; no
 * unit = bytes) -> bytes.
 * Both return SMS_EINVAL (leaving *out untouched) on bad syntax or overflow. */
sms_status config_parse_duration_ms(const char *s, int64_t *out);
sms_status config_parse_data_size(const char *s, uint64_t *out);

#endif
