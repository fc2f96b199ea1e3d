/* Loading of the daemon configuration from the environment (sms-api.md 10): HTTP,
 * storage, chain and administration settings here; the TEE part in config_tee.c. */
#include "config/config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_internal.h"
#include "core/secure.h"

#define DEFAULT_H2_URL "jdbc:h2:file:/data/sms-h2"
#define DEFAULT_HUB "0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f"
#define DEFAULT_NODE "https://bellecour.iex.ec"
#define MAX_RETENTION_MS ((int64_t)3650 * 86400 * 1000)

const char *tee_framework_name(tee_framework fw)
{
    switch (fw) {
    case TEE_FRAMEWORK_SCONE: return "SCONE";
    case TEE_FRAMEWORK_GRAMINE: return "GRAMINE";
    case TEE_FRAMEWORK_TDX: return "TDX";
    case TEE_FRAMEWORK_NONE: break;
    }
    return NULL;
}

sms_status tee_framework_parse(const char *s, tee_framework *out)
{
    static const struct {
        const char *name;
        tee_framework fw;
    } names[] = {{"scone", TEE_FRAMEWORK_SCONE}, {"gramine", TEE_FRAMEWORK_GRAMINE}, {"tdx", TEE_FRAMEWORK_TDX}};
    for (size_t i = 0; s != NULL && i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *out = names[i].fw;
            return SMS_OK;
        }
    }
    return SMS_EINVAL;
}

const char *config_process_getenv(const char *name) { return getenv(name); }

static sms_status load_http(const cfg_env *e, sms_config *cfg)
{
    sms_status st;
    int64_t v;
    uint64_t size;
    unsigned char addr[16];
    st = cfg_get_int(e, "IEXEC_SMS_PORT", 13300, 1, 65535, &v);
    if (st != SMS_OK) return st;
    cfg->port = (int)v;
    st = cfg_get_str(e, "IEXEC_SMS_LISTEN_ADDRESS", "0.0.0.0", CFG_STR_NONBLANK, NULL, &cfg->listen_address);
    if (st != SMS_OK) return st;
    if (inet_pton(AF_INET, cfg->listen_address, addr) != 1 && inet_pton(AF_INET6, cfg->listen_address, addr) != 1) {
        return cfg_fail(e, "IEXEC_SMS_LISTEN_ADDRESS", cfg->listen_address, "expected an IPv4 or IPv6 address");
    }
    st = cfg_get_size(e, "IEXEC_SMS_MAX_BODY_BYTES", 65536, 8192, (uint64_t)16 << 20, "from 8KB to 16MB", &size);
    if (st != SMS_OK) return st;
    cfg->max_body_bytes = (size_t)size;
    st = cfg_get_int(e, "IEXEC_SMS_MAX_CONNECTIONS", 512, 1, 65535, &v);
    if (st != SMS_OK) return st;
    cfg->max_connections = (unsigned)v;
    st = cfg_get_int(e, "IEXEC_SMS_CONNECTION_TIMEOUT_SECONDS", 30, 1, 3600, &v);
    if (st != SMS_OK) return st;
    cfg->connection_timeout_s = (unsigned)v;
    return SMS_OK;
}

/* IEXEC_SMS_DATABASE_URL wins; otherwise the reference's H2 URL is mapped to a SQLite file
 * beside it so that existing deployments keep their volume layout. */
static sms_status load_database(const cfg_env *e, sms_config *cfg)
{
    const char *why = NULL;
    const char *v = cfg_val(e, "IEXEC_SMS_DATABASE_URL");
    sms_status st;
    if (v != NULL) {
        st = cfg_db_url_normalise(v, &cfg->database_url, &why);
        if (st == SMS_ENOMEM) return cfg_oom(e);
        if (st != SMS_OK) return cfg_fail(e, "IEXEC_SMS_DATABASE_URL", v, "%s", why);
        return SMS_OK;
    }
    v = cfg_val(e, "IEXEC_SMS_H2_URL");
    st = cfg_db_url_from_h2(v != NULL ? v : DEFAULT_H2_URL, &cfg->database_url, &why);
    if (st == SMS_ENOMEM) return cfg_oom(e);
    if (st != SMS_OK) return cfg_fail(e, "IEXEC_SMS_H2_URL", v, "%s", why);
    return SMS_OK;
}

static sms_status load_storage(const cfg_env *e, sms_config *cfg)
{
    int64_t v;
    sms_status st = load_database(e, cfg);
    if (st != SMS_OK) return st;
    st = cfg_get_str(e, "IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH", "/data/iexec-sms-aes.key", CFG_STR_NONBLANK, NULL,
                     &cfg->aes_key_path);
    if (st != SMS_OK) return st;
    st = cfg_get_int(e, "IEXEC_SMS_EXISTS_CACHE_MAX_ENTRIES", 100000, 1, 100000000, &v);
    if (st != SMS_OK) return st;
    cfg->exists_cache_max = (size_t)v;
    return SMS_OK;
}

static sms_status load_chain(const cfg_env *e, sms_config *cfg)
{
    sms_status st;
    int64_t v;
    const char *name = "IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS";
    const char *node = cfg_val(e, name);
    if (node == NULL) {
        name = "IEXEC_BLOCKCHAIN_NODE_ADDRESS";
        node = cfg_val(e, name);
    }
    if (node == NULL) node = DEFAULT_NODE;
    st = cfg_check_str(e, name, node, CFG_STR_URL);
    if (st == SMS_OK) st = cfg_dup(e, node, &cfg->node_address);
    if (st != SMS_OK) return st;
    st = cfg_get_int(e, "IEXEC_SMS_BLOCKCHAIN_TIMEOUT_MS", 5000, 100, 120000, &v);
    if (st != SMS_OK) return st;
    cfg->chain_timeout_ms = (long)v;
    const char *hub = cfg_val(e, "IEXEC_HUB_ADDRESS");
    if (cfg_parse_address(hub != NULL ? hub : DEFAULT_HUB, cfg->hub_address) != SMS_OK) {
        return cfg_fail(e, "IEXEC_HUB_ADDRESS", hub, "expected a non-zero address (0x followed by 40 hex digits)");
    }
    st = cfg_get_int(e, "IEXEC_CHAIN_ID", 134, 1, INT64_MAX, &cfg->chain_id);
    if (st == SMS_OK) st = cfg_get_bool(e, "IEXEC_IS_SIDECHAIN", 1, &cfg->is_sidechain);
    if (st == SMS_OK) {
        st = cfg_get_duration(e, "IEXEC_BLOCK_TIME", 5000, 100, 20000, "from PT0.1S to PT20S (e.g. PT5S)",
                              &cfg->block_time_ms);
    }
    if (st != SMS_OK) return st;
    const char *mult = cfg_val(e, "IEXEC_GAS_PRICE_MULTIPLIER");
    cfg->gas_price_multiplier = 1.0;
    if (mult != NULL && (cfg_parse_double(mult, &cfg->gas_price_multiplier) != SMS_OK ||
                         !(cfg->gas_price_multiplier > 0.0))) {
        return cfg_fail(e, "IEXEC_GAS_PRICE_MULTIPLIER", mult, "expected a decimal number > 0");
    }
    st = cfg_get_int(e, "IEXEC_GAS_PRICE_CAP", 22000000000LL, 0, INT64_MAX, &cfg->gas_price_cap);
    if (st != SMS_OK) return st;
    return cfg_get_str(e, "IPFS_GATEWAYURL", "https://ipfs.iex.ec", CFG_STR_NONBLANK | CFG_STR_URL, NULL,
                       &cfg->ipfs_gateway_url);
}

/* prometheus is exposed unless MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE is set to a list
 * without "prometheus" or "*" (the reference exposes only health by default; exposing the
 * metrics of a self-hosted daemon is the more useful default here). */
static int prometheus_exposed(const char *include)
{
    if (include == NULL) return 1;
    const char *p = include;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        size_t b = 0, end = n;
        while (b < end && (p[b] == ' ' || p[b] == '\t')) b++;
        while (end > b && (p[end - 1] == ' ' || p[end - 1] == '\t')) end--;
        if ((end - b == 10 && strncasecmp(p + b, "prometheus", 10) == 0) || (end - b == 1 && p[b] == '*')) return 1;
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

static sms_status load_admin(const cfg_env *e, sms_config *cfg)
{
    sms_status st;
    int64_t v;
    const char *key = cfg_val(e, "IEXEC_SMS_ADMIN_API_KEY");
    if (key != NULL && !cfg_is_blank(key)) {
        st = cfg_check_str(e, "IEXEC_SMS_ADMIN_API_KEY", key, CFG_STR_SECRET);
        if (st == SMS_OK) st = cfg_dup(e, key, &cfg->admin_api_key);
        if (st != SMS_OK) return st;
    }
    st = cfg_get_str(e, "IEXEC_SMS_ADMIN_STORAGE_LOCATION", "/backup", CFG_STR_NONBLANK, NULL,
                     &cfg->admin_storage_location);
    if (st != SMS_OK) return st;
    if (cfg->admin_storage_location[0] != '/') {
        return cfg_fail(e, "IEXEC_SMS_ADMIN_STORAGE_LOCATION", cfg->admin_storage_location,
                        "expected an absolute directory path");
    }
    /* "/backup/" and "/backup" must confine to the same area (component-wise prefix test). */
    size_t len = strlen(cfg->admin_storage_location);
    while (len > 1 && cfg->admin_storage_location[len - 1] == '/') cfg->admin_storage_location[--len] = '\0';

    const char *oos1 = cfg_val(e, "ADMIN_OUTOFSERVICE_ENABLED");
    const char *oos2 = cfg_val(e, "ADMIN_OUT_OF_SERVICE_ENABLED");
    cfg->out_of_service_enabled = (oos1 != NULL && strcmp(oos1, "true") == 0) ||
                                  (oos2 != NULL && strcmp(oos2, "true") == 0);

    st = cfg_get_int(e, "IEXEC_SMS_METRICS_STORAGE_REFRESH_INTERVAL", 30, 1, 86400, &v);
    if (st != SMS_OK) return st;
    cfg->metrics_refresh_interval_s = (int)v;

    const char *cron = cfg_val(e, "IEXEC_TEE_CHALLENGE_CLEANUP_CRON");
    char why[160];
    if (cron_parse_ex(cron != NULL ? cron : "@hourly", &cfg->challenge_cleanup_schedule, why, sizeof why) != SMS_OK) {
        return cfg_fail(e, "IEXEC_TEE_CHALLENGE_CLEANUP_CRON", cron,
                        "expected a Spring cron expression or a macro such as @hourly (%s)",
                        why);
    }
    st = cfg_dup(e, cron != NULL ? cron : "@hourly", &cfg->challenge_cleanup_cron);
    if (st != SMS_OK) return st;
    st = cfg_get_int(e, "IEXEC_TEE_CHALLENGE_CLEANUP_MAX_BATCH_SIZE", 500, 1, 1000000, &v);
    if (st != SMS_OK) return st;
    cfg->challenge_cleanup_batch = (int)v;
    st = cfg_get_duration(e, "IEXEC_TEE_CHALLENGE_CLEANUP_RETENTION_DURATION", (int64_t)5 * 86400 * 1000, 0,
                          MAX_RETENTION_MS, "from PT0S to P3650D (e.g. P5D)", &cfg->challenge_cleanup_retention_ms);
    if (st != SMS_OK) return st;

    cfg->prometheus_exposed = prometheus_exposed(cfg_raw(e, "MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE"));

    const char *lvl = cfg_val(e, "IEXEC_LOG_LEVEL");
    cfg->log_level = LOG_LVL_INFO;
    if (lvl != NULL && sms_log_parse_level(lvl, &cfg->log_level) != 0) {
        return cfg_fail(e, "IEXEC_LOG_LEVEL", lvl, "expected ERROR, WARN, INFO, DEBUG or TRACE");
    }
    return SMS_OK;
}

static sms_status load_framework(const cfg_env *e, sms_config *cfg)
{
    const char *v = cfg_val(e, "IEXEC_SMS_TEE_RUNTIME_FRAMEWORK");
    cfg->framework = TEE_FRAMEWORK_NONE;
    if (v == NULL || cfg_is_blank(v)) return SMS_OK;
    if (tee_framework_parse(v, &cfg->framework) != SMS_OK) {
        return cfg_fail(e, "IEXEC_SMS_TEE_RUNTIME_FRAMEWORK", v,
                        "expected scone, gramine or tdx (or unset for a secrets-only SMS)");
    }
    return SMS_OK;
}

sms_status config_load(sms_config *cfg, config_getenv_fn getenv_fn, char *errbuf, size_t errcap)
{
    sms_status st = SMS_EINVAL;
    cfg_env e = {getenv_fn, errbuf, errcap};
    if (errbuf != NULL && errcap > 0) errbuf[0] = '\0';
    if (cfg == NULL) goto cleanup;
    memset(cfg, 0, sizeof *cfg);
    if (getenv_fn == NULL) goto cleanup;
    st = load_http(&e, cfg);
    if (st == SMS_OK) st = load_storage(&e, cfg);
    if (st == SMS_OK) st = load_chain(&e, cfg);
    if (st == SMS_OK) st = load_admin(&e, cfg);
    if (st == SMS_OK) st = load_framework(&e, cfg);
    if (st == SMS_OK) st = cfg_load_tee(&e, cfg);
cleanup:
    /* Free on failure too, so callers that do not call config_free cannot leak. */
    if (st != SMS_OK && cfg != NULL) config_free(cfg);
    return st;
}

static void free_str(char **p)
{
    free(*p);
    *p = NULL;
}

void config_free(sms_config *cfg)
{
    if (cfg == NULL) return;
    free_str(&cfg->listen_address);
    /* A PostgreSQL URL may carry a password. */
    if (cfg->database_url != NULL) secure_free(cfg->database_url, strlen(cfg->database_url) + 1);
    cfg->database_url = NULL;
    free_str(&cfg->aes_key_path);
    free_str(&cfg->node_address);
    free_str(&cfg->ipfs_gateway_url);
    if (cfg->admin_api_key != NULL) secure_free(cfg->admin_api_key, strlen(cfg->admin_api_key) + 1);
    cfg->admin_api_key = NULL;
    free_str(&cfg->admin_storage_location);
    free_str(&cfg->challenge_cleanup_cron);
    cfg_free_tee(cfg);
    memset(cfg, 0, sizeof *cfg);
}
