/* Configuration loading (src/config/config*.c): defaults, validation messages, database
 * URL mapping, node fallback, worker pipelines, secrets hiding, durations, data sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

/* ---- getenv stub: layered tables, later layers override earlier ones; an entry with a
 * NULL value explicitly unsets the variable. Every requested name is recorded. ---- */

typedef struct {
    const char *name;
    const char *value;
} kv;

typedef struct {
    const kv *kv;
    size_t n;
} layer;

#define L(a) ((layer){a, sizeof a / sizeof a[0]})
#define MAX_LAYERS 6
#define MAX_SEEN 1024

static layer g_layers[MAX_LAYERS];
static size_t g_n_layers;
static char g_seen[MAX_SEEN][96];
static size_t g_n_seen;

static const char *stub_getenv(const char *name)
{
    size_t i;
    for (i = 0; i < g_n_seen && strcmp(g_seen[i], name) != 0; i++) {}
    if (i == g_n_seen && g_n_seen < MAX_SEEN) snprintf(g_seen[g_n_seen++], sizeof g_seen[0], "%s", name);
    for (size_t l = g_n_layers; l-- > 0;) {
        for (size_t k = 0; k < g_layers[l].n; k++) {
            if (g_layers[l].kv[k].name != NULL && strcmp(g_layers[l].kv[k].name, name) == 0) {
                return g_layers[l].kv[k].value;
            }
        }
    }
    return NULL;
}

static sms_status load_layers(sms_config *cfg, char *err, size_t cap, const layer *ls, size_t n)
{
    assert_true(n <= MAX_LAYERS);
    for (size_t i = 0; i < n; i++) g_layers[i] = ls[i];
    g_n_layers = n;
    return config_load(cfg, stub_getenv, err, cap);
}

#define LOAD(cfg, err, ...)                                                                                       \
    load_layers(cfg, err, sizeof err, (const layer[]){__VA_ARGS__},                                               \
                sizeof((const layer[]){__VA_ARGS__}) / sizeof(layer))

static const kv empty_env[] = {{NULL, NULL}};

static const kv pipeline0[] = {
    {"TEE_WORKER_PIPELINES_0_VERSION", "v5"},
    {"TEE_WORKER_PIPELINES_0_PRECOMPUTE_IMAGE", "iexechub/pre:1"},
    {"TEE_WORKER_PIPELINES_0_PRECOMPUTE_FINGERPRINT", "aa11"},
    {"TEE_WORKER_PIPELINES_0_PRECOMPUTE_HEAPSIZE", "1GB"},
    {"TEE_WORKER_PIPELINES_0_PRECOMPUTE_ENTRYPOINT", "/app/tee-worker-pre-compute"},
    {"TEE_WORKER_PIPELINES_0_POSTCOMPUTE_IMAGE", "iexechub/post:1"},
    {"TEE_WORKER_PIPELINES_0_POSTCOMPUTE_FINGERPRINT", "bb22"},
    {"TEE_WORKER_PIPELINES_0_POSTCOMPUTE_HEAPSIZE", "512MB"},
    {"TEE_WORKER_PIPELINES_0_POSTCOMPUTE_ENTRYPOINT", "/app/tee-worker-post-compute"},
};

static const kv pipeline1[] = {
    {"TEE_WORKER_PIPELINES_1_VERSION", "v6"},
    {"TEE_WORKER_PIPELINES_1_PRECOMPUTE_IMAGE", "iexechub/pre:2"},
    {"TEE_WORKER_PIPELINES_1_PRECOMPUTE_FINGERPRINT", "cc33"},
    {"TEE_WORKER_PIPELINES_1_PRECOMPUTE_HEAPSIZE", "2gb"},
    {"TEE_WORKER_PIPELINES_1_PRECOMPUTE_ENTRYPOINT", "/bin/bash /apploader.sh"},
    {"TEE_WORKER_PIPELINES_1_POSTCOMPUTE_IMAGE", "iexechub/post:2"},
    {"TEE_WORKER_PIPELINES_1_POSTCOMPUTE_FINGERPRINT", "dd44"},
    {"TEE_WORKER_PIPELINES_1_POSTCOMPUTE_HEAPSIZE", "3072"},
    {"TEE_WORKER_PIPELINES_1_POSTCOMPUTE_ENTRYPOINT", "/app/post"},
};

static const kv legacy_pipeline[] = {
    {"IEXEC_TEE_WORKER_PRE_COMPUTE_IMAGE", "legacy/pre:8"},
    {"IEXEC_TEE_WORKER_PRE_COMPUTE_FINGERPRINT", "ee55"},
    {"IEXEC_TEE_WORKER_PRE_COMPUTE_HEAP_SIZE_GB", "4"},
    {"IEXEC_TEE_WORKER_PRE_COMPUTE_ENTRYPOINT", "/app/legacy-pre"},
    {"IEXEC_TEE_WORKER_POST_COMPUTE_IMAGE", "legacy/post:8"},
    {"IEXEC_TEE_WORKER_POST_COMPUTE_FINGERPRINT", "ff66"},
    {"IEXEC_TEE_WORKER_POST_COMPUTE_HEAP_SIZE_GB", "1"},
    {"IEXEC_TEE_WORKER_POST_COMPUTE_ENTRYPOINT", "/app/legacy-post"},
};

static const kv scone_env[] = {
    {"IEXEC_SMS_TEE_RUNTIME_FRAMEWORK", "scone"},
    {"IEXEC_SMS_IMAGE_LAS_IMAGE", "registry.scontain.com/iexec-las:5.7"},
};
static const kv gramine_env[] = {{"IEXEC_SMS_TEE_RUNTIME_FRAMEWORK", "GRAMINE"}};
static const kv tdx_env[] = {
    {"IEXEC_SMS_TEE_RUNTIME_FRAMEWORK", "Tdx"},
    {"TEE_SECRETPROVISIONER_POSTURL", "https://storage.example:8443"},
    {"TEE_SECRETPROVISIONER_REMOTEATTESTATIONURL", "https://kbs.example:8080"},
};

static sms_config zero_cfg;

static void assert_zeroed(const sms_config *cfg) { assert_memory_equal(cfg, &zero_cfg, sizeof *cfg); }

static void assert_one_line_naming(const char *err, const char *var)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s: ", var);
    if (strncmp(err, prefix, strlen(prefix)) != 0) fail_msg("error '%s' does not start with '%s'", err, prefix);
    assert_null(strchr(err, '\n'));
    assert_true(strlen(err) > strlen(prefix) + 5);
}

/* ---- Defaults ---- */

static void test_defaults_secrets_only(void **state)
{
    (void)state;
    sms_config cfg;
    char err[512];
    assert_int_equal(LOAD(&cfg, err, L(empty_env)), SMS_OK);
    assert_string_equal(err, "");
    assert_int_equal(cfg.port, 13300);
    assert_string_equal(cfg.listen_address, "0.0.0.0");
    assert_int_equal(cfg.max_body_bytes, 65536);
    assert_int_equal(cfg.max_connections, 512);
    assert_int_equal(cfg.connection_timeout_s, 30);
    assert_string_equal(cfg.database_url, "sqlite:/data/sms-h2.sqlite");
    assert_string_equal(cfg.aes_key_path, "/data/iexec-sms-aes.key");
    assert_int_equal(cfg.exists_cache_max, 100000);
    assert_string_equal(cfg.node_address, "https://bellecour.iex.ec");
    assert_int_equal(cfg.chain_timeout_ms, 5000);
    assert_string_equal(cfg.hub_address, "0x3eca1b216a7df1c7689aeb259ffb83adfb894e7f");
    assert_int_equal(cfg.chain_id, 134);
    assert_int_equal(cfg.is_sidechain, 1);
    assert_int_equal(cfg.block_time_ms, 5000);
    assert_true(cfg.gas_price_multiplier == 1.0);
    assert_int_equal(cfg.gas_price_cap, 22000000000LL);
    assert_string_equal(cfg.ipfs_gateway_url, "https://ipfs.iex.ec");
    assert_null(cfg.admin_api_key);
    assert_string_equal(cfg.admin_storage_location, "/backup");
    assert_int_equal(cfg.out_of_service_enabled, 0);
    assert_int_equal(cfg.metrics_refresh_interval_s, 30);
    assert_string_equal(cfg.challenge_cleanup_cron, "@hourly");
    cron_schedule hourly;
    assert_int_equal(cron_parse("0 0 * * * *", &hourly), SMS_OK);
    assert_memory_equal(&cfg.challenge_cleanup_schedule, &hourly, sizeof hourly);
    assert_int_equal(cfg.challenge_cleanup_batch, 500);
    assert_int_equal(cfg.challenge_cleanup_retention_ms, 5LL * 86400 * 1000);
    assert_int_equal(cfg.prometheus_exposed, 1);
    assert_int_equal(cfg.log_level, LOG_LVL_INFO);
    /* No framework: secrets-only, not an error, and every TEE field empty. */
    assert_int_equal(cfg.framework, TEE_FRAMEWORK_NONE);
    assert_null(cfg.pipelines);
    assert_int_equal(cfg.n_pipelines, 0);
    assert_null(cfg.sp_web_hostname);
    assert_int_equal(cfg.sp_web_port, 0);
    assert_null(cfg.sp_enclave_hostname);
    assert_int_equal(cfg.sp_enclave_port, 0);
    assert_null(cfg.ssl_keystore);
    assert_null(cfg.ssl_keystore_password);
    assert_null(cfg.ssl_keystore_type);
    assert_null(cfg.ssl_keystore_alias);
    assert_null(cfg.provisioner_ca_file);
    assert_null(cfg.scone_las_image);
    assert_null(cfg.scone_tolerated_insecure_options);
    assert_null(cfg.scone_ignored_sgx_advisories);
    assert_null(cfg.scone_attestation_mode);
    assert_null(cfg.scone_attestation_urls);
    assert_int_equal(cfg.n_scone_attestation_urls, 0);
    assert_null(cfg.gramine_sps_login);
    assert_null(cfg.gramine_sps_password);
    assert_null(cfg.tdx_post_url);
    assert_null(cfg.tdx_remote_attestation_url);
    assert_int_equal(cfg.provisioner_timeout_ms, 0);
    config_free(&cfg);
    assert_zeroed(&cfg);
    config_free(&cfg); /* idempotent */
    config_free(NULL);
}

static void test_empty_values_mean_unset(void **state)
{
    (void)state;
    static const kv env[] = {
        {"IEXEC_SMS_PORT", ""},      {"IEXEC_SMS_TEE_RUNTIME_FRAMEWORK", ""}, {"IEXEC_BLOCK_TIME", ""},
        {"IEXEC_HUB_ADDRESS", ""},   {"IEXEC_SMS_ADMIN_API_KEY", "   "},       {"IEXEC_LOG_LEVEL", ""},
        {"IEXEC_SMS_H2_URL", ""},
    };
    sms_config cfg;
    char err[512];
    assert_int_equal(LOAD(&cfg, err, L(env)), SMS_OK);
    assert_int_equal(cfg.port, 13300);
    assert_int_equal(cfg.framework, TEE_FRAMEWORK_NONE);
    assert_int_equal(cfg.block_time_ms, 5000);
    assert_string_equal(cfg.hub_address, "0x3eca1b216a7df1c7689aeb259ffb83adfb894e7f");
    assert_null(cfg.admin_api_key); /* blank key = admin endpoints disabled */
    assert_string_equal(cfg.database_url, "sqlite:/data/sms-h2.sqlite");
    config_free(&cfg);

    static const kv blank_fw[] = {{"IEXEC_SMS_TEE_RUNTIME_FRAMEWORK", "  "}};
    assert_int_equal(LOAD(&cfg, err, L(blank_fw)), SMS_OK);
    assert_int_equal(cfg.framework, TEE_FRAMEWORK_NONE);
    config_free(&cfg);
}

static void test_defaults_scone(void **state)
{
    (void)state;
    sms_config cfg;
    char err[512];
    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(scone_env)), SMS_OK);
    assert_int_equal(cfg.framework, TEE_FRAMEWORK_SCONE);
    assert_int_equal(cfg.n_pipelines, 1);
    const tee_pipeline *p = &cfg.pipelines[0];
    assert_string_equal(p->version, "v5");
    assert_string_equal(p->pre_compute.image, "iexechub/pre:1");
    assert_string_equal(p->pre_compute.fingerprint, "aa11");
    assert_int_equal(p->pre_compute.heap_size_bytes, 1073741824ULL);
    assert_string_equal(p->pre_compute.entrypoint, "/app/tee-worker-pre-compute");
    assert_string_equal(p->post_compute.image, "iexechub/post:1");
    assert_string_equal(p->post_compute.fingerprint, "bb22");
    assert_int_equal(p->post_compute.heap_size_bytes, 512ULL << 20);
    assert_string_equal(p->post_compute.entrypoint, "/app/tee-worker-post-compute");
    assert_string_equal(cfg.sp_web_hostname, "localhost");
    assert_int_equal(cfg.sp_web_port, 8081);
    assert_string_equal(cfg.sp_enclave_hostname, "localhost");
    assert_int_equal(cfg.sp_enclave_port, 18765);
    assert_string_equal(cfg.ssl_keystore, "/app/ssl-keystore-dev.p12");
    assert_string_equal(cfg.ssl_keystore_password, "whatever");
    assert_string_equal(cfg.ssl_keystore_type, "PKCS12");
    assert_string_equal(cfg.ssl_keystore_alias, "iexec-core");
    assert_null(cfg.provisioner_ca_file);
    assert_string_equal(cfg.scone_las_image, "registry.scontain.com/iexec-las:5.7");
    assert_string_equal(cfg.scone_tolerated_insecure_options, "");
    assert_string_equal(cfg.scone_ignored_sgx_advisories, "");
    assert_string_equal(cfg.scone_attestation_mode, "maa");
    assert_int_equal(cfg.n_scone_attestation_urls, 1);
    assert_string_equal(cfg.scone_attestation_urls[0], "https://sharedweu.weu.attest.azure.net");
    assert_null(cfg.gramine_sps_login);
    assert_null(cfg.gramine_sps_password);
    assert_null(cfg.tdx_post_url);
    assert_null(cfg.tdx_remote_attestation_url);
    assert_int_equal(cfg.provisioner_timeout_ms, 10000);
    config_free(&cfg);
    assert_zeroed(&cfg);
}

static void test_defaults_gramine(void **state)
{
    (void)state;
    sms_config cfg;
    char err[512];
    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(gramine_env)), SMS_OK);
    assert_int_equal(cfg.framework, TEE_FRAMEWORK_GRAMINE);
    assert_int_equal(cfg.n_pipelines, 1);
    assert_string_equal(cfg.sp_web_hostname, "localhost");
    assert_int_equal(cfg.sp_web_port, 8080);
    assert_string_equal(cfg.sp_enclave_hostname, "localhost");
    assert_int_equal(cfg.sp_enclave_port, 4433);
    assert_string_equal(cfg.gramine_sps_login, "admin");
    assert_string_equal(cfg.gramine_sps_password, "admin");
    assert_null(cfg.ssl_keystore);
    assert_null(cfg.ssl_keystore_password);
    assert_null(cfg.ssl_keystore_type);
    assert_null(cfg.ssl_keystore_alias);
    assert_null(cfg.scone_las_image);
    assert_null(cfg.scone_attestation_mode);
    assert_int_equal(cfg.n_scone_attestation_urls, 0);
    assert_null(cfg.tdx_post_url);
    assert_int_equal(cfg.provisioner_timeout_ms, 10000);
    config_free(&cfg);
}

static void test_defaults_tdx(void **state)
{
    (void)state;
    sms_config cfg;
    char err[512];
    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(tdx_env)), SMS_OK);
    assert_int_equal(cfg.framework, TEE_FRAMEWORK_TDX);
    assert_int_equal(cfg.n_pipelines, 1);
    assert_string_equal(cfg.tdx_post_url, "https://storage.example:8443");
    assert_string_equal(cfg.tdx_remote_attestation_url, "https://kbs.example:8080");
    assert_null(cfg.sp_web_hostname);
    assert_int_equal(cfg.sp_web_port, 0);
    assert_null(cfg.sp_enclave_hostname);
    assert_int_equal(cfg.sp_enclave_port, 0);
    assert_null(cfg.ssl_keystore);          /* optional for TDX */
    assert_null(cfg.ssl_keystore_password);
    assert_string_equal(cfg.ssl_keystore_type, "PKCS12");
    assert_string_equal(cfg.ssl_keystore_alias, "iexec-core");
    assert_null(cfg.scone_las_image);
    assert_null(cfg.gramine_sps_login);
    config_free(&cfg);

    static const kv ks[] = {{"IEXEC_SMS_SSL_KEYSTORE", "/etc/sms/client.p12"},
                            {"IEXEC_SMS_SSL_KEYSTORE_PASSWORD", "s3cret"},
                            {"IEXEC_SMS_SSL_KEYSTORE_TYPE", "pkcs12"},
                            {"IEXEC_SECRET_PROVISIONER_CA_FILE", "/etc/sms/ca.pem"},
                            {"IEXEC_SECRET_PROVISIONER_TIMEOUT_MS", "2500"}};
    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(tdx_env), L(ks)), SMS_OK);
    assert_string_equal(cfg.ssl_keystore, "/etc/sms/client.p12");
    assert_string_equal(cfg.ssl_keystore_password, "s3cret");
    assert_string_equal(cfg.ssl_keystore_type, "PKCS12");
    assert_string_equal(cfg.provisioner_ca_file, "/etc/sms/ca.pem");
    assert_int_equal(cfg.provisioner_timeout_ms, 2500);
    config_free(&cfg);
}

/* ---- Explicit values ---- */

static void test_explicit_values(void **state)
{
    (void)state;
    static const kv env[] = {
        {"IEXEC_SMS_PORT", "8080"},
        {"IEXEC_SMS_LISTEN_ADDRESS", "::1"},
        {"IEXEC_SMS_MAX_BODY_BYTES", "1MB"},
        {"IEXEC_SMS_MAX_CONNECTIONS", "64"},
        {"IEXEC_SMS_CONNECTION_TIMEOUT_SECONDS", "5"},
        {"IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH", "/keys/aes.key"},
        {"IEXEC_SMS_EXISTS_CACHE_MAX_ENTRIES", "10"},
        {"IEXEC_SMS_BLOCKCHAIN_TIMEOUT_MS", "100"},
        {"IEXEC_HUB_ADDRESS", "0xC129e7917b7c7DeDfAa5Fff1FB18d5D7050fE8ca"},
        {"IEXEC_CHAIN_ID", "65535"},
        {"IEXEC_IS_SIDECHAIN", "FALSE"},
        {"IEXEC_BLOCK_TIME", "PT0.1S"},
        {"IEXEC_GAS_PRICE_MULTIPLIER", "1.5"},
        {"IEXEC_GAS_PRICE_CAP", "0"},
        {"IPFS_GATEWAYURL", "http://127.0.0.1:8080/"},
        {"IEXEC_SMS_ADMIN_API_KEY", "k3y with inner space"},
        {"IEXEC_SMS_ADMIN_STORAGE_LOCATION", "/srv/backup//"},
        {"IEXEC_SMS_METRICS_STORAGE_REFRESH_INTERVAL", "5"},
        {"IEXEC_TEE_CHALLENGE_CLEANUP_CRON", "0 */5 * * * *"},
        {"IEXEC_TEE_CHALLENGE_CLEANUP_MAX_BATCH_SIZE", "10"},
        {"IEXEC_TEE_CHALLENGE_CLEANUP_RETENTION_DURATION", "PT1H"},
        {"IEXEC_LOG_LEVEL", "debug"},
    };
    sms_config cfg;
    char err[512];
    assert_int_equal(LOAD(&cfg, err, L(env)), SMS_OK);
    assert_int_equal(cfg.port, 8080);
    assert_string_equal(cfg.listen_address, "::1");
    assert_int_equal(cfg.max_body_bytes, 1 << 20);
    assert_int_equal(cfg.max_connections, 64);
    assert_int_equal(cfg.connection_timeout_s, 5);
    assert_string_equal(cfg.aes_key_path, "/keys/aes.key");
    assert_int_equal(cfg.exists_cache_max, 10);
    assert_int_equal(cfg.chain_timeout_ms, 100);
    assert_string_equal(cfg.hub_address, "0xc129e7917b7c7dedfaa5fff1fb18d5d7050fe8ca");
    assert_int_equal(cfg.chain_id, 65535);
    assert_int_equal(cfg.is_sidechain, 0);
    assert_int_equal(cfg.block_time_ms, 100);
    assert_true(cfg.gas_price_multiplier == 1.5);
    assert_int_equal(cfg.gas_price_cap, 0);
    assert_string_equal(cfg.ipfs_gateway_url, "http://127.0.0.1:8080/");
    assert_string_equal(cfg.admin_api_key, "k3y with inner space");
    assert_string_equal(cfg.admin_storage_location, "/srv/backup");
    assert_int_equal(cfg.metrics_refresh_interval_s, 5);
    assert_string_equal(cfg.challenge_cleanup_cron, "0 */5 * * * *");
    uint64_t every5 = 0;
    for (int m = 0; m < 60; m += 5) every5 |= 1ull << m;
    assert_int_equal(cfg.challenge_cleanup_schedule.minutes, every5);
    assert_int_equal(cfg.challenge_cleanup_batch, 10);
    assert_int_equal(cfg.challenge_cleanup_retention_ms, 3600000);
    assert_int_equal(cfg.log_level, LOG_LVL_DEBUG);
    config_free(&cfg);

    static const kv root[] = {{"IEXEC_SMS_ADMIN_STORAGE_LOCATION", "/"}, {"IEXEC_LOG_LEVEL", "TRACE"}};
    assert_int_equal(LOAD(&cfg, err, L(root)), SMS_OK);
    assert_string_equal(cfg.admin_storage_location, "/");
    assert_int_equal(cfg.log_level, LOG_LVL_DEBUG);
    config_free(&cfg);
}

static void test_out_of_service_and_prometheus(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *value;
        int expected;
    } oos[] = {
        {"ADMIN_OUTOFSERVICE_ENABLED", "true", 1},    {"ADMIN_OUT_OF_SERVICE_ENABLED", "true", 1},
        {"ADMIN_OUTOFSERVICE_ENABLED", "TRUE", 0},    {"ADMIN_OUTOFSERVICE_ENABLED", "yes", 0},
        {"ADMIN_OUTOFSERVICE_ENABLED", "false", 0},   {"ADMIN_OUT_OF_SERVICE_ENABLED", " true", 0},
    };
    sms_config cfg;
    char err[512];
    for (size_t i = 0; i < sizeof oos / sizeof oos[0]; i++) {
        const kv env[] = {{oos[i].name, oos[i].value}};
        assert_int_equal(LOAD(&cfg, err, L(env)), SMS_OK);
        assert_int_equal(cfg.out_of_service_enabled, oos[i].expected);
        config_free(&cfg);
    }
    static const struct {
        const char *value; /* NULL = unset */
        int expected;
    } prom[] = {{NULL, 1},           {"health", 0},      {"health,prometheus", 1}, {"health, prometheus ", 1},
                {"*", 1},            {"", 0},            {"prometheusx", 0},       {"info,metrics", 0}};
    for (size_t i = 0; i < sizeof prom / sizeof prom[0]; i++) {
        const kv env[] = {{"MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE", prom[i].value}};
        assert_int_equal(LOAD(&cfg, err, L(env)), SMS_OK);
        assert_int_equal(cfg.prometheus_exposed, prom[i].expected);
        config_free(&cfg);
    }
}

/* ---- Database URL ---- */

static void test_database_urls(void **state)
{
    (void)state;
    static const struct {
        const char *database_url;
        const char *h2_url;
        const char *expected;
    } cases[] = {
        {NULL, "jdbc:h2:file:/srv/sms", "sqlite:/srv/sms.sqlite"},
        {NULL, "jdbc:h2:file:/srv/sms;DB_CLOSE_DELAY=-1", "sqlite:/srv/sms.sqlite"},
        {NULL, "JDBC:H2:FILE:./rel/db", "sqlite:./rel/db.sqlite"},
        {NULL, "jdbc:h2:/abs/db", "sqlite:/abs/db.sqlite"},
        {NULL, "jdbc:h2:./data/db", "sqlite:./data/db.sqlite"},
        {"/var/lib/sms/sms.db", NULL, "sqlite:/var/lib/sms/sms.db"},
        {"relative.db", NULL, "sqlite:relative.db"},
        {"sqlite:/var/x.db", NULL, "sqlite:/var/x.db"},
        {"sqlite:rel/x.db", NULL, "sqlite:rel/x.db"},
        {"sqlite:///var/x.db", NULL, "sqlite:/var/x.db"},
        {"SQLite:/var/x.db", NULL, "sqlite:/var/x.db"},
        {"postgresql://sms:pw@db:5432/sms", NULL, "postgresql://sms:pw@db:5432/sms"},
        {"postgres://db/sms", NULL, "postgres://db/sms"},
        {"postgresql:///sms", NULL, "postgresql:///sms"},
        /* IEXEC_SMS_DATABASE_URL wins over the H2 URL, even a bad one. */
        {"/a.db", "jdbc:h2:mem:x", "sqlite:/a.db"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const kv env[] = {{"IEXEC_SMS_DATABASE_URL", cases[i].database_url}, {"IEXEC_SMS_H2_URL", cases[i].h2_url}};
        sms_config cfg;
        char err[512];
        sms_status st = LOAD(&cfg, err, L(env));
        if (st != SMS_OK) fail_msg("case %zu: %s", i, err);
        assert_string_equal(cfg.database_url, cases[i].expected);
        config_free(&cfg);
    }
}

/* ---- Node fallback ---- */

static void test_node_fallback(void **state)
{
    (void)state;
    sms_config cfg;
    char err[512];
    static const kv fallback[] = {{"IEXEC_BLOCKCHAIN_NODE_ADDRESS", "http://chain:8545"}};
    assert_int_equal(LOAD(&cfg, err, L(fallback)), SMS_OK);
    assert_string_equal(cfg.node_address, "http://chain:8545");
    config_free(&cfg);

    static const kv both[] = {{"IEXEC_BLOCKCHAIN_NODE_ADDRESS", "http://chain:8545"},
                              {"IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", "https://node.example/rpc"}};
    assert_int_equal(LOAD(&cfg, err, L(both)), SMS_OK);
    assert_string_equal(cfg.node_address, "https://node.example/rpc");
    config_free(&cfg);

    /* The preferred name is checked even when the fallback is valid. */
    static const kv bad_preferred[] = {{"IEXEC_BLOCKCHAIN_NODE_ADDRESS", "http://chain:8545"},
                                       {"IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", "chain:8545"}};
    assert_int_equal(LOAD(&cfg, err, L(bad_preferred)), SMS_EINVAL);
    assert_one_line_naming(err, "IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS");
    assert_non_null(strstr(err, "got 'chain:8545'"));

    static const char *const good[] = {"http://127.0.0.1:8545", "http://[::1]:8545/", "HTTPS://Node.Example",
                                       "https://node.example/v3/abc?x=1#f", "http://my_node-1.local:1"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const kv env[] = {{"IEXEC_BLOCKCHAIN_NODE_ADDRESS", good[i]}};
        if (LOAD(&cfg, err, L(env)) != SMS_OK) fail_msg("'%s' rejected: %s", good[i], err);
        assert_string_equal(cfg.node_address, good[i]);
        config_free(&cfg);
    }
}

/* ---- Validation failures: each one SMS_EINVAL and one line naming the variable ---- */

enum { BASE_NONE, BASE_SCONE, BASE_GRAMINE, BASE_TDX };

typedef struct {
    int base;
    kv set[3];
    const char *var;     /* variable the error line must start with */
    const char *needle;  /* optional substring of the error line */
} fail_case;

static const fail_case failures[] = {
    {BASE_NONE, {{"IEXEC_SMS_PORT", "abc"}}, "IEXEC_SMS_PORT", "expected an integer 1..65535, got 'abc'"},
    {BASE_NONE, {{"IEXEC_SMS_PORT", "0"}}, "IEXEC_SMS_PORT", "got '0'"},
    {BASE_NONE, {{"IEXEC_SMS_PORT", "65536"}}, "IEXEC_SMS_PORT", NULL},
    {BASE_NONE, {{"IEXEC_SMS_PORT", " 80"}}, "IEXEC_SMS_PORT", NULL},
    {BASE_NONE, {{"IEXEC_SMS_PORT", "80x"}}, "IEXEC_SMS_PORT", NULL},
    {BASE_NONE, {{"IEXEC_SMS_PORT", "-80"}}, "IEXEC_SMS_PORT", NULL},
    {BASE_NONE, {{"IEXEC_SMS_PORT", "99999999999999999999999"}}, "IEXEC_SMS_PORT", NULL},
    {BASE_NONE, {{"IEXEC_SMS_LISTEN_ADDRESS", "localhost"}}, "IEXEC_SMS_LISTEN_ADDRESS", "IPv4 or IPv6"},
    {BASE_NONE, {{"IEXEC_SMS_LISTEN_ADDRESS", "1.2.3"}}, "IEXEC_SMS_LISTEN_ADDRESS", NULL},
    {BASE_NONE, {{"IEXEC_SMS_MAX_BODY_BYTES", "4096"}}, "IEXEC_SMS_MAX_BODY_BYTES", "data size"},
    {BASE_NONE, {{"IEXEC_SMS_MAX_BODY_BYTES", "17MB"}}, "IEXEC_SMS_MAX_BODY_BYTES", NULL},
    {BASE_NONE, {{"IEXEC_SMS_MAX_BODY_BYTES", "64 KB"}}, "IEXEC_SMS_MAX_BODY_BYTES", NULL},
    {BASE_NONE, {{"IEXEC_SMS_MAX_CONNECTIONS", "0"}}, "IEXEC_SMS_MAX_CONNECTIONS", NULL},
    {BASE_NONE, {{"IEXEC_SMS_MAX_CONNECTIONS", "65536"}}, "IEXEC_SMS_MAX_CONNECTIONS", NULL},
    {BASE_NONE, {{"IEXEC_SMS_CONNECTION_TIMEOUT_SECONDS", "0"}}, "IEXEC_SMS_CONNECTION_TIMEOUT_SECONDS", NULL},
    {BASE_NONE, {{"IEXEC_SMS_DATABASE_URL", "jdbc:h2:file:/x"}}, "IEXEC_SMS_DATABASE_URL", "IEXEC_SMS_H2_URL"},
    {BASE_NONE, {{"IEXEC_SMS_DATABASE_URL", "mysql://h/db"}}, "IEXEC_SMS_DATABASE_URL", "scheme"},
    {BASE_NONE, {{"IEXEC_SMS_DATABASE_URL", "sqlite:"}}, "IEXEC_SMS_DATABASE_URL", NULL},
    {BASE_NONE, {{"IEXEC_SMS_DATABASE_URL", "postgresql://"}}, "IEXEC_SMS_DATABASE_URL", NULL},
    {BASE_NONE, {{"IEXEC_SMS_DATABASE_URL", "  "}}, "IEXEC_SMS_DATABASE_URL", NULL},
    {BASE_NONE, {{"IEXEC_SMS_H2_URL", "jdbc:h2:mem:test"}}, "IEXEC_SMS_H2_URL", "got 'jdbc:h2:mem:test'"},
    {BASE_NONE, {{"IEXEC_SMS_H2_URL", "jdbc:h2:tcp://db/x"}}, "IEXEC_SMS_H2_URL", NULL},
    {BASE_NONE, {{"IEXEC_SMS_H2_URL", "jdbc:h2:~/sms"}}, "IEXEC_SMS_H2_URL", NULL},
    {BASE_NONE, {{"IEXEC_SMS_H2_URL", "jdbc:postgresql://db/sms"}}, "IEXEC_SMS_H2_URL", NULL},
    {BASE_NONE, {{"IEXEC_SMS_H2_URL", "/data/sms"}}, "IEXEC_SMS_H2_URL", "IEXEC_SMS_DATABASE_URL"},
    {BASE_NONE, {{"IEXEC_SMS_H2_URL", "jdbc:h2:file:"}}, "IEXEC_SMS_H2_URL", NULL},
    {BASE_NONE, {{"IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH", "   "}}, "IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH",
     NULL},
    {BASE_NONE, {{"IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH", "/a\nb"}}, "IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH",
     "got '/a?b'"},
    {BASE_NONE, {{"IEXEC_SMS_EXISTS_CACHE_MAX_ENTRIES", "0"}}, "IEXEC_SMS_EXISTS_CACHE_MAX_ENTRIES", NULL},
    {BASE_NONE, {{"IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", "ftp://node"}}, "IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", "http"},
    {BASE_NONE, {{"IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", "http://"}}, "IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", NULL},
    {BASE_NONE, {{"IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", "https://node:99999"}}, "IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS",
     NULL},
    {BASE_NONE, {{"IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", "https://no de"}}, "IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", NULL},
    {BASE_NONE, {{"IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", "https://[zz]:1"}}, "IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", NULL},
    {BASE_NONE, {{"IEXEC_BLOCKCHAIN_NODE_ADDRESS", "bellecour.iex.ec"}}, "IEXEC_BLOCKCHAIN_NODE_ADDRESS", NULL},
    {BASE_NONE, {{"IEXEC_SMS_BLOCKCHAIN_TIMEOUT_MS", "99"}}, "IEXEC_SMS_BLOCKCHAIN_TIMEOUT_MS", "100..120000"},
    {BASE_NONE, {{"IEXEC_SMS_BLOCKCHAIN_TIMEOUT_MS", "120001"}}, "IEXEC_SMS_BLOCKCHAIN_TIMEOUT_MS", NULL},
    {BASE_NONE, {{"IEXEC_HUB_ADDRESS", "0x0000000000000000000000000000000000000000"}}, "IEXEC_HUB_ADDRESS",
     "non-zero"},
    {BASE_NONE, {{"IEXEC_HUB_ADDRESS", "0x123"}}, "IEXEC_HUB_ADDRESS", NULL},
    {BASE_NONE, {{"IEXEC_HUB_ADDRESS", "3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f"}}, "IEXEC_HUB_ADDRESS", NULL},
    {BASE_NONE, {{"IEXEC_HUB_ADDRESS", "0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7g"}}, "IEXEC_HUB_ADDRESS", NULL},
    {BASE_NONE, {{"IEXEC_HUB_ADDRESS", "0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f0"}}, "IEXEC_HUB_ADDRESS", NULL},
    {BASE_NONE, {{"IEXEC_CHAIN_ID", "0"}}, "IEXEC_CHAIN_ID", NULL},
    {BASE_NONE, {{"IEXEC_CHAIN_ID", "-5"}}, "IEXEC_CHAIN_ID", NULL},
    {BASE_NONE, {{"IEXEC_IS_SIDECHAIN", "maybe"}}, "IEXEC_IS_SIDECHAIN", "true or false"},
    {BASE_NONE, {{"IEXEC_BLOCK_TIME", "PT0.05S"}}, "IEXEC_BLOCK_TIME", "ISO-8601"},
    {BASE_NONE, {{"IEXEC_BLOCK_TIME", "PT21S"}}, "IEXEC_BLOCK_TIME", NULL},
    {BASE_NONE, {{"IEXEC_BLOCK_TIME", "P1D"}}, "IEXEC_BLOCK_TIME", NULL},
    {BASE_NONE, {{"IEXEC_BLOCK_TIME", "5 seconds"}}, "IEXEC_BLOCK_TIME", NULL},
    {BASE_NONE, {{"IEXEC_GAS_PRICE_MULTIPLIER", "0"}}, "IEXEC_GAS_PRICE_MULTIPLIER", "> 0"},
    {BASE_NONE, {{"IEXEC_GAS_PRICE_MULTIPLIER", "-1"}}, "IEXEC_GAS_PRICE_MULTIPLIER", NULL},
    {BASE_NONE, {{"IEXEC_GAS_PRICE_MULTIPLIER", "abc"}}, "IEXEC_GAS_PRICE_MULTIPLIER", NULL},
    {BASE_NONE, {{"IEXEC_GAS_PRICE_MULTIPLIER", "nan"}}, "IEXEC_GAS_PRICE_MULTIPLIER", NULL},
    {BASE_NONE, {{"IEXEC_GAS_PRICE_MULTIPLIER", "1e999"}}, "IEXEC_GAS_PRICE_MULTIPLIER", NULL},
    {BASE_NONE, {{"IEXEC_GAS_PRICE_MULTIPLIER", " 1.0"}}, "IEXEC_GAS_PRICE_MULTIPLIER", NULL},
    {BASE_NONE, {{"IEXEC_GAS_PRICE_CAP", "-1"}}, "IEXEC_GAS_PRICE_CAP", NULL},
    {BASE_NONE, {{"IPFS_GATEWAYURL", "ipfs.iex.ec"}}, "IPFS_GATEWAYURL", NULL},
    {BASE_NONE, {{"IEXEC_SMS_ADMIN_STORAGE_LOCATION", "backup"}}, "IEXEC_SMS_ADMIN_STORAGE_LOCATION", "absolute"},
    {BASE_NONE, {{"IEXEC_SMS_METRICS_STORAGE_REFRESH_INTERVAL", "0"}}, "IEXEC_SMS_METRICS_STORAGE_REFRESH_INTERVAL",
     NULL},
    {BASE_NONE, {{"IEXEC_TEE_CHALLENGE_CLEANUP_CRON", "0 * * * *"}}, "IEXEC_TEE_CHALLENGE_CLEANUP_CRON", "found 5"},
    {BASE_NONE, {{"IEXEC_TEE_CHALLENGE_CLEANUP_CRON", "@often"}}, "IEXEC_TEE_CHALLENGE_CLEANUP_CRON", NULL},
    {BASE_NONE, {{"IEXEC_TEE_CHALLENGE_CLEANUP_CRON", "0 0 0 30 2 *"}}, "IEXEC_TEE_CHALLENGE_CLEANUP_CRON", NULL},
    {BASE_NONE, {{"IEXEC_TEE_CHALLENGE_CLEANUP_MAX_BATCH_SIZE", "0"}}, "IEXEC_TEE_CHALLENGE_CLEANUP_MAX_BATCH_SIZE",
     NULL},
    {BASE_NONE, {{"IEXEC_TEE_CHALLENGE_CLEANUP_RETENTION_DURATION", "-P5D"}},
     "IEXEC_TEE_CHALLENGE_CLEANUP_RETENTION_DURATION", NULL},
    {BASE_NONE, {{"IEXEC_TEE_CHALLENGE_CLEANUP_RETENTION_DURATION", "P4000D"}},
     "IEXEC_TEE_CHALLENGE_CLEANUP_RETENTION_DURATION", NULL},
    {BASE_NONE, {{"IEXEC_LOG_LEVEL", "VERBOSE"}}, "IEXEC_LOG_LEVEL", "ERROR, WARN, INFO, DEBUG or TRACE"},
    {BASE_NONE, {{"IEXEC_SMS_TEE_RUNTIME_FRAMEWORK", "sgx"}}, "IEXEC_SMS_TEE_RUNTIME_FRAMEWORK",
     "expected scone, gramine or tdx"},
    /* Framework set, no pipeline at all. */
    {BASE_NONE, {{"IEXEC_SMS_TEE_RUNTIME_FRAMEWORK", "scone"}, {"IEXEC_SMS_IMAGE_LAS_IMAGE", "las"}},
     "TEE_WORKER_PIPELINES_0_VERSION", "at least one worker pipeline"},
    {BASE_NONE, {{"IEXEC_SMS_TEE_RUNTIME_FRAMEWORK", "tdx"}}, "TEE_WORKER_PIPELINES_0_VERSION", NULL},
    /* Scone */
    {BASE_SCONE, {{"IEXEC_SMS_IMAGE_LAS_IMAGE", NULL}}, "IEXEC_SMS_IMAGE_LAS_IMAGE", "required"},
    {BASE_SCONE, {{"IEXEC_SMS_IMAGE_LAS_IMAGE", " "}}, "IEXEC_SMS_IMAGE_LAS_IMAGE", NULL},
    {BASE_SCONE, {{"TEE_SCONE_ATTESTATION_MODE", "dcap"}}, "TEE_SCONE_ATTESTATION_MODE", "maa or hardware"},
    {BASE_SCONE, {{"TEE_SCONE_ATTESTATION_URLS_0", "not a url"}}, "TEE_SCONE_ATTESTATION_URLS_0", NULL},
    {BASE_SCONE, {{"TEE_SCONE_ATTESTATION_URLS_0", "https://a"}, {"TEE_SCONE_ATTESTATION_URLS_2", "https://c"}},
     "TEE_SCONE_ATTESTATION_URLS_2", "gaps"},
    {BASE_SCONE, {{"TEE_SCONE_ATTESTATION_URL", "maa.example"}}, "TEE_SCONE_ATTESTATION_URL", NULL},
    {BASE_SCONE, {{"TEE_SCONE_ATTESTATION_URL", ""}}, "TEE_SCONE_ATTESTATION_URLS_0", "maa"},
    {BASE_SCONE, {{"IEXEC_SCONE_TOLERATED_INSECURE_OPTIONS", "debug mode"}}, "IEXEC_SCONE_TOLERATED_INSECURE_OPTIONS",
     NULL},
    {BASE_SCONE, {{"IEXEC_IGNORED_SGX_ADVISORIES", "INTEL-SA-00220;INTEL-SA-00270"}}, "IEXEC_IGNORED_SGX_ADVISORIES",
     NULL},
    {BASE_SCONE, {{"IEXEC_SECRET_PROVISIONER_WEB_PORT", "0"}}, "IEXEC_SECRET_PROVISIONER_WEB_PORT", NULL},
    {BASE_SCONE, {{"IEXEC_SECRET_PROVISIONER_ENCLAVE_PORT", "70000"}}, "IEXEC_SECRET_PROVISIONER_ENCLAVE_PORT", NULL},
    {BASE_SCONE, {{"IEXEC_SECRET_PROVISIONER_WEB_HOSTNAME", "https://cas"}}, "IEXEC_SECRET_PROVISIONER_WEB_HOSTNAME",
     "host name"},
    {BASE_SCONE, {{"IEXEC_SECRET_PROVISIONER_ENCLAVE_HOSTNAME", "cas:18765"}},
     "IEXEC_SECRET_PROVISIONER_ENCLAVE_HOSTNAME", NULL},
    {BASE_SCONE, {{"IEXEC_SMS_SSL_KEYSTORE_TYPE", "JKS"}}, "IEXEC_SMS_SSL_KEYSTORE_TYPE", "PKCS12"},
    {BASE_SCONE, {{"IEXEC_SECRET_PROVISIONER_TIMEOUT_MS", "50"}}, "IEXEC_SECRET_PROVISIONER_TIMEOUT_MS", NULL},
    {BASE_SCONE, {{"IEXEC_SECRET_PROVISIONER_CA_FILE", "/ca\t.pem"}}, "IEXEC_SECRET_PROVISIONER_CA_FILE", NULL},
    /* Pipelines */
    {BASE_SCONE, {{"TEE_WORKER_PIPELINES_0_PRECOMPUTE_HEAPSIZE", "1.5GB"}},
     "TEE_WORKER_PIPELINES_0_PRECOMPUTE_HEAPSIZE", "data size"},
    {BASE_SCONE, {{"TEE_WORKER_PIPELINES_0_POSTCOMPUTE_HEAPSIZE", "0"}}, "TEE_WORKER_PIPELINES_0_POSTCOMPUTE_HEAPSIZE",
     NULL},
    {BASE_SCONE, {{"TEE_WORKER_PIPELINES_0_POSTCOMPUTE_HEAPSIZE", "17TB"}},
     "TEE_WORKER_PIPELINES_0_POSTCOMPUTE_HEAPSIZE", NULL},
    {BASE_SCONE, {{"TEE_WORKER_PIPELINES_0_PRECOMPUTE_IMAGE", "a b"}}, "TEE_WORKER_PIPELINES_0_PRECOMPUTE_IMAGE",
     "spaces"},
    {BASE_SCONE, {{"TEE_WORKER_PIPELINES_0_VERSION", "v5/x"}}, "TEE_WORKER_PIPELINES_0_VERSION", NULL},
    {BASE_SCONE, {{"TEE_WORKER_PIPELINES_0_VERSION", NULL}}, "TEE_WORKER_PIPELINES_0_VERSION", "required"},
    {BASE_SCONE, {{"TEE_WORKER_PIPELINES_0_PRECOMPUTE_FINGERPRINT", "  "}},
     "TEE_WORKER_PIPELINES_0_PRECOMPUTE_FINGERPRINT", "IEXEC_TEE_WORKER_PRE_COMPUTE_FINGERPRINT"},
    {BASE_SCONE, {{"TEE_WORKER_PIPELINES_0_POSTCOMPUTE_ENTRYPOINT", NULL}},
     "TEE_WORKER_PIPELINES_0_POSTCOMPUTE_ENTRYPOINT", NULL},
    {BASE_SCONE, {{"IEXEC_TEE_WORKER_PRE_COMPUTE_HEAP_SIZE_GB", "1GB"}, {"TEE_WORKER_PIPELINES_0_PRECOMPUTE_HEAPSIZE", NULL}},
     "IEXEC_TEE_WORKER_PRE_COMPUTE_HEAP_SIZE_GB", "number of GB"},
    {BASE_SCONE, {{"TEE_WORKER_PIPELINES_2_VERSION", "v7"}}, "TEE_WORKER_PIPELINES_2_VERSION", "without gaps"},
    {BASE_SCONE, {{"TEE_WORKER_PIPELINES_5_POSTCOMPUTE_IMAGE", "x"}}, "TEE_WORKER_PIPELINES_5_POSTCOMPUTE_IMAGE",
     "TEE_WORKER_PIPELINES_1_"},
    {BASE_SCONE, {{"TEE_WORKER_PIPELINES_32_VERSION", "v7"}}, "TEE_WORKER_PIPELINES_32_VERSION", NULL},
    /* Gramine */
    {BASE_GRAMINE, {{"IEXEC_SECRET_PROVISIONER_WEB_PORT", "http"}}, "IEXEC_SECRET_PROVISIONER_WEB_PORT", NULL},
    /* TDX */
    {BASE_TDX, {{"TEE_SECRETPROVISIONER_POSTURL", NULL}}, "TEE_SECRETPROVISIONER_POSTURL", "required"},
    {BASE_TDX, {{"TEE_SECRETPROVISIONER_POSTURL", "storage:8443"}}, "TEE_SECRETPROVISIONER_POSTURL", NULL},
    {BASE_TDX, {{"TEE_SECRETPROVISIONER_REMOTEATTESTATIONURL", NULL}}, "TEE_SECRETPROVISIONER_REMOTEATTESTATIONURL",
     "required"},
    {BASE_TDX, {{"TEE_SECRETPROVISIONER_REMOTEATTESTATIONURL", "a b"}}, "TEE_SECRETPROVISIONER_REMOTEATTESTATIONURL",
     NULL},
};

static sms_status load_case(int base, const kv *set, size_t nset, const kv *extra, size_t nextra, sms_config *cfg,
                            char *err, size_t cap)
{
    layer ls[MAX_LAYERS];
    size_t n = 0;
    switch (base) {
    case BASE_SCONE:
        ls[n++] = L(pipeline0);
        ls[n++] = L(scone_env);
        break;
    case BASE_GRAMINE:
        ls[n++] = L(pipeline0);
        ls[n++] = L(gramine_env);
        break;
    case BASE_TDX:
        ls[n++] = L(pipeline0);
        ls[n++] = L(tdx_env);
        break;
    default:
        break;
    }
    if (extra != NULL) ls[n++] = (layer){extra, nextra};
    ls[n++] = (layer){set, nset};
    return load_layers(cfg, err, cap, ls, n);
}

static void test_validation_failures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof failures / sizeof failures[0]; i++) {
        const fail_case *c = &failures[i];
        sms_config cfg;
        char err[512];
        memset(&cfg, 0x5a, sizeof cfg); /* garbage in: must not be freed, must come back zeroed */
        sms_status st = load_case(c->base, c->set, 3, NULL, 0, &cfg, err, sizeof err);
        if (st != SMS_EINVAL) fail_msg("case %zu (%s): status %d, err '%s'", i, c->var, (int)st, err);
        assert_one_line_naming(err, c->var);
        if (c->needle != NULL && strstr(err, c->needle) == NULL) {
            fail_msg("case %zu: '%s' lacks '%s'", i, err, c->needle);
        }
        assert_zeroed(&cfg);
        config_free(&cfg); /* freeable after failure */
    }
}

/* Every pipeline field of pipeline 1 missing in turn: the error names exactly that variable. */
static void test_pipeline_missing_fields(void **state)
{
    (void)state;
    for (size_t f = 0; f < sizeof pipeline1 / sizeof pipeline1[0]; f++) {
        const kv unset[] = {{pipeline1[f].name, NULL}};
        sms_config cfg;
        char err[512];
        assert_int_equal(load_case(BASE_SCONE, unset, 1, pipeline1, 9, &cfg, err, sizeof err), SMS_EINVAL);
        assert_one_line_naming(err, pipeline1[f].name);
        assert_non_null(strstr(err, "required"));
        assert_non_null(strstr(err, "scone"));
        assert_zeroed(&cfg);
    }
}

static void test_pipelines_indexed(void **state)
{
    (void)state;
    sms_config cfg;
    char err[512];
    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(pipeline1), L(gramine_env)), SMS_OK);
    assert_int_equal(cfg.n_pipelines, 2);
    assert_string_equal(cfg.pipelines[0].version, "v5");
    assert_string_equal(cfg.pipelines[1].version, "v6");
    assert_string_equal(cfg.pipelines[1].pre_compute.image, "iexechub/pre:2");
    assert_string_equal(cfg.pipelines[1].pre_compute.fingerprint, "cc33");
    assert_int_equal(cfg.pipelines[1].pre_compute.heap_size_bytes, 2ULL << 30);
    assert_string_equal(cfg.pipelines[1].pre_compute.entrypoint, "/bin/bash /apploader.sh");
    assert_string_equal(cfg.pipelines[1].post_compute.image, "iexechub/post:2");
    assert_string_equal(cfg.pipelines[1].post_compute.fingerprint, "dd44");
    assert_int_equal(cfg.pipelines[1].post_compute.heap_size_bytes, 3072);
    assert_string_equal(cfg.pipelines[1].post_compute.entrypoint, "/app/post");
    config_free(&cfg);
    assert_zeroed(&cfg);
}

static void test_pipeline_duplicates_and_tdx_single(void **state)
{
    (void)state;
    sms_config cfg;
    char err[512];
    static const kv dup[] = {{"TEE_WORKER_PIPELINES_1_VERSION", "v5"}};
    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(pipeline1), L(scone_env), L(dup)), SMS_EINVAL);
    assert_one_line_naming(err, "TEE_WORKER_PIPELINES_1_VERSION");
    assert_non_null(strstr(err, "duplicate"));
    assert_non_null(strstr(err, "pipeline 0"));
    assert_non_null(strstr(err, "got 'v5'"));
    assert_zeroed(&cfg);

    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(pipeline1), L(tdx_env)), SMS_EINVAL);
    assert_one_line_naming(err, "TEE_WORKER_PIPELINES_1_VERSION");
    assert_non_null(strstr(err, "exactly one"));
    assert_non_null(strstr(err, "got 2"));
    assert_zeroed(&cfg);
}

static void test_pipeline_seed_names(void **state)
{
    (void)state;
    static const struct {
        const kv *fw;
        size_t n;
        const char *version;
    } fws[] = {{scone_env, 2, "v5"}, {gramine_env, 1, "v0"}, {tdx_env, 3, "v0.1"}};
    for (size_t i = 0; i < 3; i++) {
        sms_config cfg;
        char err[512];
        assert_int_equal(LOAD(&cfg, err, L(legacy_pipeline), ((layer){fws[i].fw, fws[i].n})), SMS_OK);
        assert_int_equal(cfg.n_pipelines, 1);
        const tee_pipeline *p = &cfg.pipelines[0];
        assert_string_equal(p->version, fws[i].version);
        assert_string_equal(p->pre_compute.image, "legacy/pre:8");
        assert_string_equal(p->pre_compute.fingerprint, "ee55");
        assert_int_equal(p->pre_compute.heap_size_bytes, 4ULL << 30);
        assert_string_equal(p->pre_compute.entrypoint, "/app/legacy-pre");
        assert_string_equal(p->post_compute.image, "legacy/post:8");
        assert_string_equal(p->post_compute.fingerprint, "ff66");
        assert_int_equal(p->post_compute.heap_size_bytes, 1ULL << 30);
        assert_string_equal(p->post_compute.entrypoint, "/app/legacy-post");
        config_free(&cfg);
    }

    /* The indexed names override the seed names field by field, version included. */
    static const kv mix[] = {{"TEE_WORKER_PIPELINES_0_VERSION", "v8"},
                             {"TEE_WORKER_PIPELINES_0_PRECOMPUTE_IMAGE", "new/pre:9"},
                             {"TEE_WORKER_PIPELINES_0_POSTCOMPUTE_HEAPSIZE", "2GB"}};
    sms_config cfg;
    char err[512];
    assert_int_equal(LOAD(&cfg, err, L(legacy_pipeline), L(scone_env), L(mix)), SMS_OK);
    assert_string_equal(cfg.pipelines[0].version, "v8");
    assert_string_equal(cfg.pipelines[0].pre_compute.image, "new/pre:9");
    assert_string_equal(cfg.pipelines[0].pre_compute.fingerprint, "ee55");
    assert_int_equal(cfg.pipelines[0].post_compute.heap_size_bytes, 2ULL << 30);
    config_free(&cfg);

    /* Seeds plus an indexed pipeline 1. */
    assert_int_equal(LOAD(&cfg, err, L(legacy_pipeline), L(pipeline1), L(scone_env)), SMS_OK);
    assert_int_equal(cfg.n_pipelines, 2);
    assert_string_equal(cfg.pipelines[0].version, "v5");
    assert_string_equal(cfg.pipelines[1].version, "v6");
    config_free(&cfg);

    /* A partial seed: the missing field is reported under both names. */
    static const kv partial[] = {{"IEXEC_TEE_WORKER_POST_COMPUTE_ENTRYPOINT", NULL}};
    assert_int_equal(LOAD(&cfg, err, L(legacy_pipeline), L(scone_env), L(partial)), SMS_EINVAL);
    assert_one_line_naming(err, "TEE_WORKER_PIPELINES_0_POSTCOMPUTE_ENTRYPOINT");
    assert_non_null(strstr(err, "IEXEC_TEE_WORKER_POST_COMPUTE_ENTRYPOINT"));
}

static void test_framework_none_ignores_tee_variables(void **state)
{
    (void)state;
    static const kv bad_tee[] = {{"TEE_WORKER_PIPELINES_0_PRECOMPUTE_HEAPSIZE", "lots"},
                                 {"IEXEC_SECRET_PROVISIONER_WEB_PORT", "x"},
                                 {"TEE_SCONE_ATTESTATION_MODE", "bogus"}};
    sms_config cfg;
    char err[512];
    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(bad_tee)), SMS_OK);
    assert_int_equal(cfg.framework, TEE_FRAMEWORK_NONE);
    assert_int_equal(cfg.n_pipelines, 0);
    assert_null(cfg.pipelines);
    config_free(&cfg);
}

static void test_scone_attestation_and_lists(void **state)
{
    (void)state;
    sms_config cfg;
    char err[512];
    static const kv urls[] = {{"TEE_SCONE_ATTESTATION_URLS_0", "https://a.attest.example"},
                              {"TEE_SCONE_ATTESTATION_URLS_1", "https://b.attest.example"},
                              {"TEE_SCONE_ATTESTATION_URL", "https://ignored.example"},
                              {"TEE_SCONE_ATTESTATION_MODE", "HARDWARE"},
                              {"IEXEC_SCONE_TOLERATED_INSECURE_OPTIONS", " hyperthreading , debug-mode,,outdated-tcb"},
                              {"IEXEC_IGNORED_SGX_ADVISORIES", "INTEL-SA-00220, INTEL-SA-00270"}};
    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(scone_env), L(urls)), SMS_OK);
    assert_string_equal(cfg.scone_attestation_mode, "hardware");
    assert_int_equal(cfg.n_scone_attestation_urls, 2);
    assert_string_equal(cfg.scone_attestation_urls[0], "https://a.attest.example");
    assert_string_equal(cfg.scone_attestation_urls[1], "https://b.attest.example");
    assert_string_equal(cfg.scone_tolerated_insecure_options, "hyperthreading,debug-mode,outdated-tcb");
    assert_string_equal(cfg.scone_ignored_sgx_advisories, "INTEL-SA-00220,INTEL-SA-00270");
    config_free(&cfg);

    static const kv single[] = {{"TEE_SCONE_ATTESTATION_URL", "https://one.example"}};
    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(scone_env), L(single)), SMS_OK);
    assert_int_equal(cfg.n_scone_attestation_urls, 1);
    assert_string_equal(cfg.scone_attestation_urls[0], "https://one.example");
    config_free(&cfg);

    /* Clearing the URL is allowed in hardware mode only. */
    static const kv cleared[] = {{"TEE_SCONE_ATTESTATION_URL", ""}, {"TEE_SCONE_ATTESTATION_MODE", "hardware"}};
    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(scone_env), L(cleared)), SMS_OK);
    assert_int_equal(cfg.n_scone_attestation_urls, 0);
    assert_null(cfg.scone_attestation_urls);
    config_free(&cfg);
}

/* ---- Secrets are never echoed ---- */

static void test_secrets_never_echoed(void **state)
{
    (void)state;
    static const struct {
        int base;
        const char *name;
        const char *value;
        const char *fragment; /* must not appear in the error */
    } cases[] = {
        {BASE_NONE, "IEXEC_SMS_ADMIN_API_KEY", " hunter2-api ", "hunter2"},
        {BASE_NONE, "IEXEC_SMS_ADMIN_API_KEY", "hunter2-api\n", "hunter2"},
        {BASE_NONE, "IEXEC_SMS_ADMIN_API_KEY", "hunter2\x01", "hunter2"},
        {BASE_SCONE, "IEXEC_SMS_SSL_KEYSTORE_PASSWORD", "hunter2-ks\t", "hunter2"},
        {BASE_GRAMINE, "IEXEC_GRAMINE_SPS_WEB_PASSWORD", " hunter2-sps", "hunter2"},
        {BASE_NONE, "IEXEC_SMS_DATABASE_URL", "mysql://sms:hunter2@db/sms", "hunter2"},
        {BASE_NONE, "IEXEC_SMS_H2_URL", "jdbc:h2:tcp://db/sms;PASSWORD=hunter2", "hunter2"},
        {BASE_NONE, "IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", "ftp://user:hunter2@node", "hunter2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const kv set[] = {{cases[i].name, cases[i].value}};
        sms_config cfg;
        char err[512];
        assert_int_equal(load_case(cases[i].base, set, 1, NULL, 0, &cfg, err, sizeof err), SMS_EINVAL);
        assert_one_line_naming(err, cases[i].name);
        if (strstr(err, cases[i].fragment) != NULL) fail_msg("case %zu echoes the secret: %s", i, err);
        assert_non_null(strstr(err, "(value hidden)"));
        assert_null(strstr(err, "got '"));
    }
}

/* ---- Error buffer handling ---- */

static void test_error_buffer_edge_cases(void **state)
{
    (void)state;
    static const kv bad[] = {{"IEXEC_SMS_PORT", "abc"}};
    sms_config cfg;
    char tiny[8];
    assert_int_equal(LOAD(&cfg, tiny, L(bad)), SMS_EINVAL);
    assert_int_equal(strlen(tiny), 7);
    assert_memory_equal(tiny, "IEXEC_S", 7);
    g_layers[0] = L(bad);
    g_n_layers = 1;
    assert_int_equal(config_load(&cfg, stub_getenv, NULL, 0), SMS_EINVAL);
    assert_zeroed(&cfg);
    assert_int_equal(config_load(&cfg, NULL, NULL, 0), SMS_EINVAL);
    assert_int_equal(config_load(NULL, stub_getenv, NULL, 0), SMS_EINVAL);

    /* Long values are echoed bounded. */
    char longval[600];
    memset(longval, 'x', sizeof longval - 1);
    longval[sizeof longval - 1] = '\0';
    const kv big[] = {{"IEXEC_SMS_PORT", longval}};
    char err[512];
    assert_int_equal(LOAD(&cfg, err, L(big)), SMS_EINVAL);
    assert_true(strlen(err) < 200);
    assert_non_null(strstr(err, "...'"));
}

/* ---- Framework names ---- */

static void test_framework_names(void **state)
{
    (void)state;
    tee_framework fw = TEE_FRAMEWORK_NONE;
    assert_int_equal(tee_framework_parse("scone", &fw), SMS_OK);
    assert_int_equal(fw, TEE_FRAMEWORK_SCONE);
    assert_int_equal(tee_framework_parse("GrAmInE", &fw), SMS_OK);
    assert_int_equal(fw, TEE_FRAMEWORK_GRAMINE);
    assert_int_equal(tee_framework_parse("TDX", &fw), SMS_OK);
    assert_int_equal(fw, TEE_FRAMEWORK_TDX);
    assert_int_equal(tee_framework_parse("sgx", &fw), SMS_EINVAL);
    assert_int_equal(tee_framework_parse("", &fw), SMS_EINVAL);
    assert_int_equal(tee_framework_parse(NULL, &fw), SMS_EINVAL);
    assert_int_equal(fw, TEE_FRAMEWORK_TDX);
    assert_string_equal(tee_framework_name(TEE_FRAMEWORK_SCONE), "SCONE");
    assert_string_equal(tee_framework_name(TEE_FRAMEWORK_GRAMINE), "GRAMINE");
    assert_string_equal(tee_framework_name(TEE_FRAMEWORK_TDX), "TDX");
    assert_null(tee_framework_name(TEE_FRAMEWORK_NONE));
}

static void test_process_getenv_adapter(void **state)
{
    (void)state;
    assert_int_equal(setenv("IEXEC_SMS_PORT", "12345", 1), 0);
    assert_string_equal(config_process_getenv("IEXEC_SMS_PORT"), "12345");
    sms_config cfg;
    char err[256];
    sms_status st = config_load(&cfg, config_process_getenv, err, sizeof err);
    unsetenv("IEXEC_SMS_PORT");
    if (st != SMS_OK) fail_msg("process environment rejected: %s", err);
    assert_int_equal(cfg.port, 12345);
    config_free(&cfg);
    assert_null(config_process_getenv("IEXEC_SMS_PORT"));
}

/* ---- Durations and data sizes ---- */

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t ms;
    } ok[] = {
        {"PT5S", 5000},      {"PT0.5S", 500},        {"P5D", 432000000},       {"P1DT2H", 93600000},
        {"PT1M30S", 90000},  {"pt5s", 5000},         {"PT0.1S", 100},          {"PT1.123456789S", 1123},
        {"PT0S", 0},         {"P0D", 0},             {"PT2H3M4.5S", 7384500},  {"PT1,5S", 1500},
        {"P1DT1H1M1.001S", 90061001},                {"PT0.0005S", 0},         {"PT36H", 129600000},
        {"500ms", 500},      {"5s", 5000},           {"2m", 120000},           {"1h", 3600000},
        {"5d", 432000000},   {"1000", 1000},         {"1500us", 1},            {"2000000ns", 2},
        {"5S", 5000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ms = -1;
        if (config_parse_duration_ms(ok[i].s, &ms) != SMS_OK) fail_msg("'%s' rejected", ok[i].s);
        if (ms != ok[i].ms) fail_msg("'%s' gave %lld", ok[i].s, (long long)ms);
    }
    static const char *const bad[] = {
        "",       "P",         "PT",        "P1DT",           "PT-5S",   "-PT5S",   "P1H",
        "PT1D",   "PT5S5M",    "PT1.5M",    "P1Y",            "P1W",     "P1M",     "PT1.1234567891S",
        "5 s",    "s5",        "PT5",       "PT.5S",          "PT5.S",   "1x",      "-5s",
        "+5s",    "PT5S ",     " PT5S",     "PT99999999999999999999S", "P9999999D", "PT1S1S", "PTS",
        "P1D1D",  "PT1H1H",    "5sec",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        if (config_parse_duration_ms(bad[i], &ms) != SMS_EINVAL) fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(ms, 42);
    }
    int64_t ms;
    assert_int_equal(config_parse_duration_ms(NULL, &ms), SMS_EINVAL);
    assert_int_equal(config_parse_duration_ms("PT5S", NULL), SMS_EINVAL);
}

static void test_data_sizes(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        uint64_t bytes;
    } ok[] = {
        {"1024", 1024},     {"0", 0},           {"1B", 1},          {"1KB", 1024},      {"1kb", 1024},
        {"512MB", 512ULL << 20}, {"1GB", 1073741824ULL}, {"3gb", 3ULL << 30}, {"2TB", 2ULL << 40},
        {"16777215TB", 16777215ULL << 40}, {"18446744073709551615", UINT64_MAX}, {"1Gb", 1ULL << 30},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t n = 0;
        if (config_parse_data_size(ok[i].s, &n) != SMS_OK) fail_msg("'%s' rejected", ok[i].s);
        if (n != ok[i].bytes) fail_msg("'%s' gave %llu", ok[i].s, (unsigned long long)n);
    }
    static const char *const bad[] = {"",    "GB",  "1.5GB", "1 GB", "-1",  "+1",   "1PB",
                                      "1K",  "1G",  "1KiB",  " 1",   "1 ",  "0x10", "16777216TB",
                                      "18446744073709551616", "99999999999999999999GB"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t n = 42;
        if (config_parse_data_size(bad[i], &n) != SMS_EINVAL) fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(n, 42);
    }
    uint64_t n;
    assert_int_equal(config_parse_data_size(NULL, &n), SMS_EINVAL);
}

/* ---- Help ---- */

/* "TEE_WORKER_PIPELINES_12_VERSION" -> "TEE_WORKER_PIPELINES_<n>_VERSION". */
static void indexed_form(const char *name, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; name[i] != '\0' && o + 4 < cap;) {
        if (i > 0 && name[i - 1] == '_' && name[i] >= '0' && name[i] <= '9') {
            memcpy(out + o, "<n>", 3);
            o += 3;
            while (name[i] >= '0' && name[i] <= '9') i++;
        } else {
            out[o++] = name[i++];
        }
    }
    out[o] = '\0';
}

static void test_help_lists_every_variable_read(void **state)
{
    (void)state;
    static const kv scone_extra[] = {{"TEE_SCONE_ATTESTATION_URLS_0", "https://a.example"}};
    sms_config cfg;
    char err[512];
    g_n_seen = 0;
    assert_int_equal(LOAD(&cfg, err, L(empty_env)), SMS_OK);
    config_free(&cfg);
    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(pipeline1), L(scone_env), L(scone_extra)), SMS_OK);
    config_free(&cfg);
    assert_int_equal(LOAD(&cfg, err, L(legacy_pipeline), L(gramine_env)), SMS_OK);
    config_free(&cfg);
    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(tdx_env)), SMS_OK);
    config_free(&cfg);
    assert_true(g_n_seen > 60);

    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    assert_non_null(mem);
    config_print_help(mem);
    fclose(mem);
    assert_non_null(strstr(text, "Usage: iexec-sms [--help] [--version] [import-java-backup FILE --key KEYFILE]"));
    for (size_t i = 0; i < g_n_seen; i++) {
        char form[128], needle[140];
        indexed_form(g_seen[i], form, sizeof form);
        snprintf(needle, sizeof needle, "  %s ", form);
        if (strstr(text, needle) == NULL) fail_msg("help does not list %s", form);
    }
    /* A few defaults as printed. */
    assert_non_null(strstr(text, "IEXEC_SMS_PORT"));
    assert_non_null(strstr(text, "13300"));
    assert_non_null(strstr(text, "jdbc:h2:file:/data/sms-h2"));
    assert_non_null(strstr(text, "0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f"));
    assert_non_null(strstr(text, "@hourly"));
    assert_non_null(strstr(text, "18765"));
    free(text);
    config_print_help(NULL);
}

static void test_log_summary_hides_secrets(void **state)
{
    (void)state;
    static const kv env[] = {{"IEXEC_SMS_ADMIN_API_KEY", "hunter2-admin"},
                             {"IEXEC_SMS_DATABASE_URL", "postgresql://sms:hunter2-db@db/sms"},
                             {"IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS", "https://u:hunter2-node@node.example/v3/hunter2"},
                             {"IEXEC_SMS_SSL_KEYSTORE_PASSWORD", "hunter2-ks"}};
    sms_config cfg;
    char err[512];
    assert_int_equal(LOAD(&cfg, err, L(pipeline0), L(scone_env), L(env)), SMS_OK);
    /* Capture stderr (where the logger writes) into a temporary file. */
    fflush(stderr);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(fileno(stderr));
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), fileno(stderr)) >= 0);
    config_log_summary(&cfg);
    fflush(stderr);
    assert_true(dup2(saved, fileno(stderr)) >= 0);
    close(saved);
    rewind(tmp);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    assert_non_null(strstr(buf, "https://node.example"));
    assert_non_null(strstr(buf, "SCONE"));
    assert_non_null(strstr(buf, "development key store"));
    assert_null(strstr(buf, "hunter2"));
    config_free(&cfg);
    config_log_summary(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_secrets_only),
        cmocka_unit_test(test_empty_values_mean_unset),
        cmocka_unit_test(test_defaults_scone),
        cmocka_unit_test(test_defaults_gramine),
        cmocka_unit_test(test_defaults_tdx),
        cmocka_unit_test(test_explicit_values),
        cmocka_unit_test(test_out_of_service_and_prometheus),
        cmocka_unit_test(test_database_urls),
        cmocka_unit_test(test_node_fallback),
        cmocka_unit_test(test_validation_failures),
        cmocka_unit_test(test_pipeline_missing_fields),
        cmocka_unit_test(test_pipelines_indexed),
        cmocka_unit_test(test_pipeline_duplicates_and_tdx_single),
        cmocka_unit_test(test_pipeline_seed_names),
        cmocka_unit_test(test_framework_none_ignores_tee_variables),
        cmocka_unit_test(test_scone_attestation_and_lists),
        cmocka_unit_test(test_secrets_never_echoed),
        cmocka_unit_test(test_error_buffer_edge_cases),
        cmocka_unit_test(test_framework_names),
        cmocka_unit_test(test_process_getenv_adapter),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_data_sizes),
        cmocka_unit_test(test_help_lists_every_variable_read),
        cmocka_unit_test(test_log_summary_hides_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
