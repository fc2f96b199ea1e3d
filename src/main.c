/* iexec-sms: wiring of configuration, key, store, chain client, services and HTTP server;
 * signal handling and orderly shutdown. */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include "admin/admin.h"
#include "admin/java_import_cmd.h"
#include "api/api.h"
#include "chain/chain.h"
#include "config/config.h"
#include "core/log.h"
#include "crypto/ethsig.h"
#include "crypto/keyfile.h"
#include "http/server.h"
#include "metrics/metrics.h"
#include "secrets/secrets.h"
#include "store/store.h"
#include "tee/challenge_cleanup.h"
#include "tee/tee_service.h"

#define DRAIN_MS 10000

typedef struct {
    sms_app *app;
    int interval_s;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
} refresher;

/* Periodic table counts for /metrics (sms-api.md 8.3: first count one interval after start). */
static void *refresh_loop(void *arg)
{
    refresher *r = arg;
    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += r->interval_s;
        while (!r->stop && pthread_cond_timedwait(&r->wake, &r->lock, &deadline) != ETIMEDOUT) {
        }
        if (r->stop) break;
        pthread_mutex_unlock(&r->lock);
        secrets_refresh_metrics(r->app->secrets);
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Secrets must never reach a core file. */
static void harden_process(void)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static void describe_store(const char *url, char *out, size_t cap)
{
    if (strncmp(url, "sqlite:", 7) == 0)
        snprintf(out, cap, "%s", url);
    else
        snprintf(out, cap, "postgresql"); /* the URL may carry a password */
}

static void data_dir_of(const char *url, char *out, size_t cap)
{
    out[0] = '\0';
    if (strncmp(url, "sqlite:", 7) != 0) return;
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", url + 7);
    snprintf(out, cap, "%s", dirname(copy));
}

static const char *env_lookup(const char *name) { return getenv(name); }

int main(int argc, char **argv)
{
    int exit_code = 1;
    sms_config cfg;
    char err[512] = "";
    aead_key *key = NULL;
    sms_store *store = NULL;
    chain_client *chain = NULL;
    sms_metrics *metrics = NULL;
    secrets_service *secrets = NULL;
    tee_service *tee = NULL;
    admin_service *admin = NULL;
    challenge_cleanup *cleanup = NULL;
    http_server *server = NULL;
    sms_app app;
    refresher refresh = {.app = &app};
    pthread_t refresh_thread;
    int refresh_started = 0;
    sigset_t stop_signals;

    memset(&cfg, 0, sizeof cfg);
    memset(&app, 0, sizeof app);
    if (argc >= 2 && strcmp(argv[1], "import-java-backup") == 0) {
        harden_process();
        return java_import_command(argc - 2, argv + 2);
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            config_print_help(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("%s\n", SMS_VERSION);
            return 0;
        }
        fprintf(stderr, "iexec-sms: unknown argument '%s' (see --help)\n", argv[i]);
        return 2;
    }

    harden_process();
    if (config_load(&cfg, env_lookup, err, sizeof err) != SMS_OK) {
        fprintf(stderr, "iexec-sms: configuration error: %s\n", err);
        config_free(&cfg);
        return 2;
    }
    sms_log_set_level(cfg.log_level);

    /* Block the stop signals before any thread starts, so that only sigwait sees them. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (ethsig_init() != SMS_OK) {
        LOG_ERROR("cannot initialise secp256k1");
        goto out;
    }
    if (keyfile_load_or_create(cfg.aes_key_path, &key, err, sizeof err) != SMS_OK) {
        LOG_ERROR("encryption key %s: %s", cfg.aes_key_path, err);
        goto out;
    }
    if (store_open(cfg.database_url, &store, err, sizeof err) != SMS_OK) {
        LOG_ERROR("database: %s", err);
        goto out;
    }
    if (chain_client_new(cfg.node_address, cfg.chain_timeout_ms, &chain) != SMS_OK) {
        LOG_ERROR("cannot create the chain client (IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS)");
        goto out;
    }
    size_t n_labels = 0;
    const char *const *labels = api_route_labels(&n_labels);
    metrics = metrics_new(labels, n_labels);
    if (metrics == NULL) goto out;
    if (secrets_service_new(store, key, chain, metrics, cfg.exists_cache_max, &secrets) != SMS_OK) {
        LOG_ERROR("cannot create the secrets service");
        goto out;
    }

    if (cfg.framework != TEE_FRAMEWORK_NONE) {
        if (tee_service_new(&cfg, store, secrets, chain, metrics, &tee, err, sizeof err) != SMS_OK) {
            LOG_ERROR("tee: %s", err);
            goto out;
        }
        if (challenge_cleanup_start(store, &cfg.challenge_cleanup_schedule, cfg.challenge_cleanup_retention_ms,
                                    cfg.challenge_cleanup_batch, &cleanup) != SMS_OK) {
            LOG_ERROR("cannot start the enclave challenge cleanup");
            goto out;
        }
    }

    app.cfg = &cfg;
    app.tee = tee;
    admin_config ac = {.storage_location = cfg.admin_storage_location,
                       .aes_key_path = cfg.aes_key_path,
                       .store = store,
                       .secrets = secrets,
                       .hooks = {.pause = api_quiesce, .resume = api_resume, .ctx = &app}};
    if (admin_service_new(&ac, &admin) != SMS_OK) {
        LOG_ERROR("cannot create the admin service");
        goto out;
    }
    app.admin = admin;
    app.store = store;
    app.secrets = secrets;
    app.metrics = metrics;
    app.version = SMS_VERSION;
    atomic_init(&app.online, 1);
    data_dir_of(cfg.database_url, app.data_dir, sizeof app.data_dir);

    size_t n_routes = 0;
    http_server_config hc = {
        .listen_address = cfg.listen_address,
        .port = cfg.port,
        .max_body_bytes = cfg.max_body_bytes,
        .max_connections = cfg.max_connections,
        .connection_timeout_s = cfg.connection_timeout_s,
        .routes = api_routes(&n_routes),
        .inline_writes = store_has_async_writes(store),
        .app = &app,
        .pre_route = api_pre_route,
        .observe = api_observe,
    };
    hc.n_routes = n_routes;
    if (http_server_start(&hc, &server, err, sizeof err) != SMS_OK) {
        LOG_ERROR("http: %s", err);
        goto out;
    }

    pthread_mutex_init(&refresh.lock, NULL);
    pthread_cond_init(&refresh.wake, NULL);
    refresh.interval_s = cfg.metrics_refresh_interval_s > 0 ? cfg.metrics_refresh_interval_s : 30;
    if (pthread_create(&refresh_thread, NULL, refresh_loop, &refresh) == 0) refresh_started = 1;

    char store_desc[4200];
    describe_store(cfg.database_url, store_desc, sizeof store_desc);
    const char *fw = tee_framework_name(cfg.framework);
    config_log_summary(&cfg);
    LOG_INFO("iexec-sms %s listening on http://%s:%d (store %s, tee framework %s)", SMS_VERSION, cfg.listen_address,
             http_server_port(server), store_desc, fw != NULL ? fw : "none: /tee disabled");

    int sig = 0;
    sigwait(&stop_signals, &sig);
    LOG_INFO("received %s: draining requests and stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    exit_code = 0;

out:
    if (server != NULL) http_server_stop(server, DRAIN_MS);
    if (refresh_started) {
        pthread_mutex_lock(&refresh.lock);
        refresh.stop = 1;
        pthread_cond_signal(&refresh.wake);
        pthread_mutex_unlock(&refresh.lock);
        pthread_join(refresh_thread, NULL);
    }
    challenge_cleanup_stop(cleanup);
    tee_service_free(tee);
    admin_service_free(admin); /* after every user of the secrets service: it owns restored keys */
    secrets_service_free(secrets);
    metrics_free(metrics);
    chain_client_free(chain);
    store_close(store);
    aead_key_free(key);
    ethsig_cleanup();
    config_free(&cfg);
    if (exit_code == 0) LOG_INFO("stopped");
    return exit_code;
}
