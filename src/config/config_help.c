/* `iexec-sms --help` text and the start-up summary of the effective configuration. */
#include <stdio.h>
#include <string.h>

#include "config/config.h"

typedef struct {
    const char *name;    /* NULL: section title in meaning */
    const char *def;
    const char *meaning;
} help_row;

static const help_row rows[] = {
    {NULL, NULL, "HTTP server"},
    {"IEXEC_SMS_PORT", "13300", "HTTP port, 1..65535"},
    {"IEXEC_SMS_LISTEN_ADDRESS", "0.0.0.0", "IPv4 or IPv6 address to listen on"},
    {"IEXEC_SMS_MAX_BODY_BYTES", "65536", "largest request body, data size 8KB..16MB (larger: 413)"},
    {"IEXEC_SMS_MAX_CONNECTIONS", "512", "simultaneous connections, 1..65535"},
    {"IEXEC_SMS_CONNECTION_TIMEOUT_SECONDS", "30", "idle connection timeout in seconds, 1..3600"},

    {NULL, NULL, "Storage"},
    {"IEXEC_SMS_DATABASE_URL", "(unset)",
     "database: a file path or sqlite:PATH (SQLite), or postgresql://user:password@host:port/db"},
    {"IEXEC_SMS_H2_URL", "jdbc:h2:file:/data/sms-h2",
     "reference name, used when IEXEC_SMS_DATABASE_URL is unset: jdbc:h2:file:X selects the SQLite file X.sqlite"},
    {"IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH", "/data/iexec-sms-aes.key",
     "AES key file of the secrets at rest, created at first start"},
    {"IEXEC_SMS_EXISTS_CACHE_MAX_ENTRIES", "100000", "entries of each secret-existence cache, 1..100000000"},

    {NULL, NULL, "Blockchain"},
    {"IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", "(unset)",
     "JSON-RPC URL of the chain node (http or https); takes precedence over IEXEC_BLOCKCHAIN_NODE_ADDRESS"},
    {"IEXEC_BLOCKCHAIN_NODE_ADDRESS", "https://bellecour.iex.ec", "reference name of the node URL"},
    {"IEXEC_SMS_BLOCKCHAIN_TIMEOUT_MS", "5000", "timeout of one JSON-RPC call in ms, 100..120000"},
    {"IEXEC_HUB_ADDRESS", "0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f", "PoCo hub contract, a non-zero address"},
    {"IEXEC_CHAIN_ID", "134", "chain id, > 0"},
    {"IEXEC_IS_SIDECHAIN", "true", "native-currency chain flag, true or false (no effect on the API)"},
    {"IEXEC_BLOCK_TIME", "PT5S",
     "block time, ISO-8601 duration PT0.1S..PT20S; task reads are retried 6 x block time apart"},
    {"IEXEC_GAS_PRICE_MULTIPLIER", "1.0", "number > 0 (unused: the SMS sends no transactions)"},
    {"IEXEC_GAS_PRICE_CAP", "22000000000", "integer >= 0 (unused: the SMS sends no transactions)"},
    {"IPFS_GATEWAYURL", "https://ipfs.iex.ec", "IPFS gateway URL, reads bulk-processing dataset orders"},

    {NULL, NULL, "Administration and operations"},
    {"IEXEC_SMS_ADMIN_API_KEY", "(unset)", "X-API-KEY of /admin/*; unset or blank disables /admin (403). Secret"},
    {"IEXEC_SMS_ADMIN_STORAGE_LOCATION", "/backup", "absolute directory of the backups"},
    {"ADMIN_OUTOFSERVICE_ENABLED", "(unset)",
     "exactly \"true\" answers 503 on the API while a restore runs (alias ADMIN_OUT_OF_SERVICE_ENABLED)"},
    {"ADMIN_OUT_OF_SERVICE_ENABLED", "(unset)", "alias of ADMIN_OUTOFSERVICE_ENABLED"},
    {"IEXEC_SMS_METRICS_STORAGE_REFRESH_INTERVAL", "30", "seconds between the table counts of /metrics, 1..86400"},
    {"IEXEC_TEE_CHALLENGE_CLEANUP_CRON", "@hourly",
     "expired-challenge cleanup schedule, UTC: 6-field Spring cron (sec min hour day month weekday) or "
     "@hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually"},
    {"IEXEC_TEE_CHALLENGE_CLEANUP_MAX_BATCH_SIZE", "500",
     "challenges without deadline given one per cleanup run, 1..1000000"},
    {"IEXEC_TEE_CHALLENGE_CLEANUP_RETENTION_DURATION", "P5D",
     "deadline given to challenges without one, ISO-8601 duration PT0S..P3650D"},
    {"MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE", "(unset)",
     "comma list; /actuator/prometheus is served when unset or when the list has prometheus or *"},
    {"IEXEC_LOG_LEVEL", "INFO", "ERROR, WARN, INFO, DEBUG or TRACE"},

    {NULL, NULL, "TEE (read only when IEXEC_SMS_TEE_RUNTIME_FRAMEWORK is set)"},
    {"IEXEC_SMS_TEE_RUNTIME_FRAMEWORK", "(unset)",
     "scone, gramine or tdx (any case); unset or empty: secrets API only, /tee answers not configured"},
    {"TEE_WORKER_PIPELINES_<n>_VERSION", "(required)",
     "version of worker pipeline n = 0, 1, ... (no gaps, at most 32, unique; tdx: exactly one)"},
    {"TEE_WORKER_PIPELINES_<n>_PRECOMPUTE_IMAGE", "(required)", "pre-compute image"},
    {"TEE_WORKER_PIPELINES_<n>_PRECOMPUTE_FINGERPRINT", "(required)", "pre-compute enclave fingerprint"},
    {"TEE_WORKER_PIPELINES_<n>_PRECOMPUTE_HEAPSIZE", "(required)",
     "pre-compute heap, data size: integer + B, KB, MB, GB or TB (powers of 1024), e.g. 1GB"},
    {"TEE_WORKER_PIPELINES_<n>_PRECOMPUTE_ENTRYPOINT", "(required)", "pre-compute entry point"},
    {"TEE_WORKER_PIPELINES_<n>_POSTCOMPUTE_IMAGE", "(required)", "post-compute image"},
    {"TEE_WORKER_PIPELINES_<n>_POSTCOMPUTE_FINGERPRINT", "(required)", "post-compute enclave fingerprint"},
    {"TEE_WORKER_PIPELINES_<n>_POSTCOMPUTE_HEAPSIZE", "(required)", "post-compute heap, data size"},
    {"TEE_WORKER_PIPELINES_<n>_POSTCOMPUTE_ENTRYPOINT", "(required)", "post-compute entry point"},
    {"IEXEC_TEE_WORKER_PRE_COMPUTE_IMAGE", "(unset)",
     "legacy names, each used for pipeline 0 when its TEE_WORKER_PIPELINES_0_* is unset; the version then "
     "defaults to v5 (scone), v0 (gramine) or v0.1 (tdx)"},
    {"IEXEC_TEE_WORKER_PRE_COMPUTE_FINGERPRINT", "(unset)", "legacy, see above"},
    {"IEXEC_TEE_WORKER_PRE_COMPUTE_HEAP_SIZE_GB", "(unset)", "legacy, heap size as a number of GB"},
    {"IEXEC_TEE_WORKER_PRE_COMPUTE_ENTRYPOINT", "(unset)", "legacy, see above"},
    {"IEXEC_TEE_WORKER_POST_COMPUTE_IMAGE", "(unset)", "legacy, see above"},
    {"IEXEC_TEE_WORKER_POST_COMPUTE_FINGERPRINT", "(unset)", "legacy, see above"},
    {"IEXEC_TEE_WORKER_POST_COMPUTE_HEAP_SIZE_GB", "(unset)", "legacy, heap size as a number of GB"},
    {"IEXEC_TEE_WORKER_POST_COMPUTE_ENTRYPOINT", "(unset)", "legacy, see above"},
    {"IEXEC_SECRET_PROVISIONER_WEB_HOSTNAME", "localhost", "Scone CAS / Gramine SPS host (not tdx)"},
    {"IEXEC_SECRET_PROVISIONER_WEB_PORT", "8081 scone, 8080 gramine", "CAS / SPS port"},
    {"IEXEC_SECRET_PROVISIONER_ENCLAVE_HOSTNAME", "localhost", "host given to workers in secretProvisioningUrl"},
    {"IEXEC_SECRET_PROVISIONER_ENCLAVE_PORT", "18765 scone, 4433 gramine", "port given to workers"},
    {"IEXEC_SECRET_PROVISIONER_CA_FILE", "(unset)",
     "PEM CA or certificate that the CAS / TDX storage server certificate must chain to"},
    {"IEXEC_SECRET_PROVISIONER_TIMEOUT_MS", "10000", "timeout of CAS / SPS / storage calls in ms, 100..300000"},
    {"IEXEC_SMS_SSL_KEYSTORE", "/app/ssl-keystore-dev.p12 scone, none tdx",
     "client key store for the CAS / TDX storage (development key store by default!)"},
    {"IEXEC_SMS_SSL_KEYSTORE_PASSWORD", "whatever scone, none tdx", "key store password. Secret"},
    {"IEXEC_SMS_SSL_KEYSTORE_TYPE", "PKCS12", "key store type, only PKCS12"},
    {"IEXEC_SMS_SSL_KEYSTORE_ALIAS", "iexec-core", "alias of the client key in the key store"},
    {"IEXEC_SMS_IMAGE_LAS_IMAGE", "(required, scone)", "SCONE LAS image returned as lasImage"},
    {"IEXEC_SCONE_TOLERATED_INSECURE_OPTIONS", "(empty)",
     "comma list, e.g. hyperthreading,software-hardening-needed,insecure-igpu,outdated-tcb,debug-mode"},
    {"IEXEC_IGNORED_SGX_ADVISORIES", "(empty)", "comma list, e.g. INTEL-SA-00220,INTEL-SA-00270"},
    {"TEE_SCONE_ATTESTATION_MODE", "maa", "maa (Microsoft Azure Attestation) or hardware"},
    {"TEE_SCONE_ATTESTATION_URLS_<n>", "https://sharedweu.weu.attest.azure.net",
     "attestation servers n = 0, 1, ...; at least one required in maa mode"},
    {"TEE_SCONE_ATTESTATION_URL", "(unset)",
     "deprecated single attestation URL, used when no TEE_SCONE_ATTESTATION_URLS_<n> is set"},
    {"IEXEC_GRAMINE_SPS_WEB_LOGIN", "admin", "Gramine SPS basic-auth login"},
    {"IEXEC_GRAMINE_SPS_WEB_PASSWORD", "admin", "Gramine SPS basic-auth password. Secret"},
    {"TEE_SECRETPROVISIONER_POSTURL", "(required, tdx)", "session storage base URL (POST <url>/session)"},
    {"TEE_SECRETPROVISIONER_REMOTEATTESTATIONURL", "(required, tdx)",
     "returned to workers as secretProvisioningUrl"},
};

void config_print_help(FILE *out)
{
    if (out == NULL) return;
    fputs("Usage: iexec-sms [--help] [--version] [import-java-backup FILE --key KEYFILE]\n"
          "\n"
          "iExec Secret Management Service. Without arguments, serves the REST API with the\n"
          "configuration read from the environment variables below.\n"
          "\n"
          "  --help                             print this text and exit\n"
          "  --version                          print the version and exit\n"
          "  import-java-backup FILE --key KEYFILE\n"
          "                                     import a backup written by the Java SMS (FILE, with its AES\n"
          "                                     key file KEYFILE) into the configured database, then exit\n"
          "\n"
          "Environment variables (an empty value counts as unset; a bad value stops start-up with\n"
          "one line naming the variable):\n",
          out);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].name == NULL) {
            fprintf(out, "\n%s\n", rows[i].meaning);
            continue;
        }
        fprintf(out, "  %-48s %s\n      %s\n", rows[i].name, rows[i].def, rows[i].meaning);
    }
    fputs("\nDurations: ISO-8601 (PT5S, PT0.5S, P5D, P1DT2H) or Spring's 500ms, 5s, 2h, 5d.\n"
          "IEXEC_SMS_H2_CONSOLE is ignored: no database console is offered.\n",
          out);
}

/* "scheme://host[:port]" of a URL: userinfo and path (which may embed API keys) dropped. */
static void url_origin(const char *url, char *buf, size_t cap)
{
    const char *sep = strstr(url, "://");
    if (sep == NULL) {
        snprintf(buf, cap, "(unparsable)");
        return;
    }
    const char *a = sep + 3;
    size_t alen = strcspn(a, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++) {
        if (a[i] == '@') at = a + i;
    }
    const char *host = at != NULL ? at + 1 : a;
    snprintf(buf, cap, "%.*s%.*s", (int)(a - url), url, (int)(a + alen - host), host);
}

void config_log_summary(const sms_config *cfg)
{
    char node[160], ipfs[160];
    if (cfg == NULL) return;
    url_origin(cfg->node_address != NULL ? cfg->node_address : "", node, sizeof node);
    url_origin(cfg->ipfs_gateway_url != NULL ? cfg->ipfs_gateway_url : "", ipfs, sizeof ipfs);
    LOG_INFO("config: listening on %s:%d (max body %zu bytes, %u connections, timeout %u s)",
             cfg->listen_address, cfg->port, cfg->max_body_bytes, cfg->max_connections, cfg->connection_timeout_s);
    if (cfg->database_url != NULL && strncmp(cfg->database_url, "sqlite:", 7) == 0) {
        LOG_INFO("config: database %s, AES key file %s", cfg->database_url, cfg->aes_key_path);
    } else {
        LOG_INFO("config: database PostgreSQL (URL not logged), AES key file %s", cfg->aes_key_path);
    }
    LOG_INFO("config: chain %lld, node %s, hub %s, block time %lld ms, IPFS gateway %s", (long long)cfg->chain_id,
             node, cfg->hub_address, (long long)cfg->block_time_ms, ipfs);
    LOG_INFO("config: admin API %s, backups in %s, out-of-service filter %s, prometheus %s, cleanup '%s'",
             cfg->admin_api_key != NULL ? "enabled" : "disabled (IEXEC_SMS_ADMIN_API_KEY unset)",
             cfg->admin_storage_location, cfg->out_of_service_enabled ? "on" : "off",
             cfg->prometheus_exposed ? "exposed" : "hidden", cfg->challenge_cleanup_cron);
    if (cfg->framework == TEE_FRAMEWORK_NONE) {
        LOG_WARN("config: IEXEC_SMS_TEE_RUNTIME_FRAMEWORK unset: secrets API only, /tee endpoints are disabled");
        return;
    }
    LOG_INFO("config: TEE framework %s, %zu worker pipeline(s), default version %s", tee_framework_name(cfg->framework),
             cfg->n_pipelines, cfg->n_pipelines > 0 ? cfg->pipelines[0].version : "-");
    if (cfg->framework == TEE_FRAMEWORK_SCONE && cfg->ssl_keystore != NULL &&
        strcmp(cfg->ssl_keystore, "/app/ssl-keystore-dev.p12") == 0) {
        LOG_WARN("config: IEXEC_SMS_SSL_KEYSTORE is the development key store; set a production one");
    }
    if (cfg->framework == TEE_FRAMEWORK_GRAMINE && cfg->gramine_sps_login != NULL &&
        cfg->gramine_sps_password != NULL && strcmp(cfg->gramine_sps_login, "admin") == 0 &&
        strcmp(cfg->gramine_sps_password, "admin") == 0) {
        LOG_WARN("config: the Gramine SPS uses the default credentials; set IEXEC_GRAMINE_SPS_WEB_LOGIN/_PASSWORD");
    }
}
