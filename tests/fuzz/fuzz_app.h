/* Shared fixture of the api-level fuzz targets (fuzz_http_request, fuzz_tee_session_body):
 * an sms_app wired like main.c does it, on a real SQLite store in a private mkdtemp
 * directory, and a transport-free http_request whose header and query look-ups read small
 * tables (the way tests/unit/helpers/fake_http.c does, without cmocka).
 *
 * Header-only (static inline functions) because every fuzz_*.c is linked alone with smscore.
 *
 * The wiring: a random 32-byte AEAD key; metrics over the real route labels; a chain client
 * pointing at http://127.0.0.1:1, so that every chain read is refused at once; a Gramine TEE
 * service (cheap: no key store) whose secret provisioner is that same closed port; an admin
 * service whose storage location is an empty directory without a "work" subdirectory, so
 * that no admin operation can ever legitimately succeed or write. Two decoy files next to
 * the storage location (not inside it) must survive every admin request: anything else is
 * an escape from the storage location.
 *
 * Storage ids are hex-encoded absolute paths, and the mkdtemp path differs on every run; so
 * that inputs can name the storage location, it is also held open as descriptor
 * FUZZ_STORAGE_FD: "/proc/self/fd/200" (hex 2f70726f632f73656c662f66642f323030) resolves
 * to it. */
#ifndef SMS_FUZZ_APP_H
#define SMS_FUZZ_APP_H

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "admin/admin.h"
#include "api/api.h"
#include "chain/chain.h"
#include "core/log.h"
#include "core/secure.h"
#include "crypto/aead.h"
#include "crypto/ethsig.h"
#include "tee/tee_service.h"

#define FUZZ_ADMIN_KEY "fuzz-admin-key"
#define FUZZ_CLOSED_URL "http://127.0.0.1:1"
#define FUZZ_HUB "0x3eca1b216a7df1c7689aeb259ffb83adfb894e7f"
#define FUZZ_MAX_BODY 65536
#define FUZZ_MAX_FIELDS 8
#define FUZZ_STORAGE_FD 200

typedef struct {
    char dir[512];        /* mkdtemp root: db/, backup/, decoy, decoy.key */
    char decoy[600];
    char decoy_key[600];
    char backup_dir[600];
    char key_path[600];
    sms_config cfg;
    tee_pipeline pipeline;
    sms_store *store;
    aead_key *key;
    sms_metrics *metrics;
    chain_client *chain;
    secrets_service *secrets;
    tee_service *tee;
    admin_service *admin;
    sms_app app;
    const http_route *routes;
    size_t n_routes;
} fuzz_app;

static inline int fuzz_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline int fuzz_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) return -1;
    int ok = fputs(text, f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* Services only (the directory and its files are kept): used to rebuild a fresh store. */
static inline void fuzz_app_stop(fuzz_app *x)
{
    tee_service_free(x->tee);
    admin_service_free(x->admin);
    secrets_service_free(x->secrets);
    chain_client_free(x->chain);
    store_close(x->store);
    metrics_free(x->metrics);
    aead_key_free(x->key);
    x->tee = NULL;
    x->admin = NULL;
    x->secrets = NULL;
    x->chain = NULL;
    x->store = NULL;
    x->metrics = NULL;
    x->key = NULL;
}

/* (Re)build the services on an empty database. Returns 0 or -1. */
static inline int fuzz_app_start(fuzz_app *x)
{
    char db[700], url[800], err[256];
    uint8_t raw[32];
    snprintf(db, sizeof db, "%s/db/x.sqlite", x->dir);
    remove(db);
    snprintf(url, sizeof url, "%s-wal", db);
    remove(url);
    snprintf(url, sizeof url, "%s-shm", db);
    remove(url);
    snprintf(url, sizeof url, "sqlite:%s", db);
    if (store_open(url, &x->store, err, sizeof err) != SMS_OK) {
        fprintf(stderr, "fuzz_app: store_open: %s\n", err);
        return -1;
    }
    if (RAND_bytes(raw, sizeof raw) != 1 || aead_key_new(raw, sizeof raw, &x->key) != SMS_OK) return -1;
    secure_zero(raw, sizeof raw);
    size_t n_labels = 0;
    const char *const *labels = api_route_labels(&n_labels);
    x->metrics = metrics_new(labels, n_labels);
    if (x->metrics == NULL) return -1;
    if (chain_client_new(FUZZ_CLOSED_URL, 1000, &x->chain) != SMS_OK) return -1;
    if (secrets_service_new(x->store, x->key, x->chain, x->metrics, 1000, &x->secrets) != SMS_OK) return -1;
    if (tee_service_new(&x->cfg, x->store, x->secrets, x->chain, x->metrics, &x->tee, err, sizeof err) != SMS_OK) {
        fprintf(stderr, "fuzz_app: tee_service_new: %s\n", err);
        return -1;
    }
    admin_config ac = {.storage_location = x->backup_dir,
                       .aes_key_path = x->key_path,
                       .store = x->store,
                       .secrets = x->secrets,
                       .hooks = {.pause = api_quiesce, .resume = api_resume, .ctx = &x->app}};
    if (admin_service_new(&ac, &x->admin) != SMS_OK) return -1;
    x->app.store = x->store;
    x->app.secrets = x->secrets;
    x->app.metrics = x->metrics;
    x->app.tee = x->tee;
    x->app.admin = x->admin;
    return 0;
}

/* Configuration zeroed except what the handlers read. Returns 0 or -1. */
static inline int fuzz_app_init(fuzz_app *x)
{
    char sub[600];
    memset(x, 0, sizeof *x);
    sms_log_set_level(LOG_LVL_ERROR);
    if (ethsig_init() != SMS_OK) return -1;
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] != '/') base = "/tmp";
    snprintf(x->dir, sizeof x->dir, "%s/sms-fuzz-XXXXXX", base);
    if (mkdtemp(x->dir) == NULL) return -1;
    snprintf(sub, sizeof sub, "%s/db", x->dir);
    if (mkdir(sub, 0700) != 0) return -1;
    snprintf(x->backup_dir, sizeof x->backup_dir, "%s/backup", x->dir);
    if (mkdir(x->backup_dir, 0700) != 0) return -1;
    int fd = open(x->backup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || dup2(fd, FUZZ_STORAGE_FD) != FUZZ_STORAGE_FD) return -1;
    close(fd);
    snprintf(x->key_path, sizeof x->key_path, "%s/db/aes.key", x->dir);
    snprintf(x->decoy, sizeof x->decoy, "%s/decoy", x->dir);
    snprintf(x->decoy_key, sizeof x->decoy_key, "%s/decoy.key", x->dir);
    if (fuzz_write_file(x->decoy, "decoy\n") != 0 || fuzz_write_file(x->decoy_key, "decoy\n") != 0) return -1;

    x->pipeline.version = "v5";
    x->pipeline.pre_compute.image = "docker.io/iexechub/pre:v5";
    x->pipeline.pre_compute.fingerprint = "aa";
    x->pipeline.pre_compute.entrypoint = "/bin/pre";
    x->pipeline.pre_compute.heap_size_bytes = 1073741824;
    x->pipeline.post_compute.image = "docker.io/iexechub/post:v5";
    x->pipeline.post_compute.fingerprint = "bb";
    x->pipeline.post_compute.entrypoint = "/bin/post";
    x->pipeline.post_compute.heap_size_bytes = 1073741824;
    x->cfg.max_body_bytes = FUZZ_MAX_BODY;
    x->cfg.admin_api_key = FUZZ_ADMIN_KEY;
    x->cfg.prometheus_exposed = 1;
    x->cfg.framework = TEE_FRAMEWORK_GRAMINE;
    x->cfg.pipelines = &x->pipeline;
    x->cfg.n_pipelines = 1;
    snprintf(x->cfg.hub_address, sizeof x->cfg.hub_address, "%s", FUZZ_HUB);
    x->cfg.sp_web_hostname = "127.0.0.1";
    x->cfg.sp_web_port = 1;
    x->cfg.sp_enclave_hostname = "127.0.0.1";
    x->cfg.sp_enclave_port = 1;
    x->cfg.gramine_sps_login = "admin";
    x->cfg.gramine_sps_password = "admin";
    x->cfg.provisioner_timeout_ms = 1000;

    x->app.cfg = &x->cfg;
    x->app.version = SMS_VERSION;
    atomic_init(&x->app.online, 1);
    atomic_init(&x->app.guarded_in_flight, 0);
    snprintf(x->app.data_dir, sizeof x->app.data_dir, "%s/db", x->dir);
    x->routes = api_routes(&x->n_routes);
    return fuzz_app_start(x);
}

/* Everything, directory included (atexit). */
static inline void fuzz_app_destroy(fuzz_app *x)
{
    fuzz_app_stop(x);
    close(FUZZ_STORAGE_FD);
    if (x->dir[0] != '\0') nftw(x->dir, fuzz_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    x->dir[0] = '\0';
    ethsig_cleanup();
}

/* 1 while both decoy files still exist with their content's size. */
static inline int fuzz_app_decoys_intact(const fuzz_app *x)
{
    struct stat a, b;
    return stat(x->decoy, &a) == 0 && stat(x->decoy_key, &b) == 0 && a.st_size == 6 && b.st_size == 6;
}

/* ---- A transport-free request ---- */

typedef struct {
    http_request req; /* req.transport points back to this struct */
    const char *hdr_name[FUZZ_MAX_FIELDS];
    const char *hdr_value[FUZZ_MAX_FIELDS];
    size_t n_hdr;
    const char *q_name[FUZZ_MAX_FIELDS];
    const char *q_value[FUZZ_MAX_FIELDS];
    size_t n_q;
    char vars[1024]; /* the server's request_ctx.vars_storage size */
} fuzz_request;

/* Like libmicrohttpd: case-insensitive names, first match wins. */
static const char *fuzz_lookup_header(const http_request *req, const char *name)
{
    const fuzz_request *f = req->transport;
    for (size_t i = 0; i < f->n_hdr; i++)
        if (strcasecmp(f->hdr_name[i], name) == 0) return f->hdr_value[i];
    return NULL;
}

/* Exact names; a parameter without value is "" (server.c lookup_query). */
static const char *fuzz_lookup_query(const http_request *req, const char *name)
{
    const fuzz_request *f = req->transport;
    for (size_t i = 0; i < f->n_q; i++)
        if (strcmp(f->q_name[i], name) == 0) return f->q_value[i] != NULL ? f->q_value[i] : "";
    return NULL;
}

static inline void fuzz_request_init(fuzz_request *f, http_method method, const char *path)
{
    memset(f, 0, sizeof *f);
    f->req.method = method;
    f->req.path = path;
    f->req.route_id = -1;
    f->req.header = fuzz_lookup_header;
    f->req.query = fuzz_lookup_query;
    f->req.transport = f;
}

static inline void fuzz_request_header(fuzz_request *f, const char *name, const char *value)
{
    if (f->n_hdr >= FUZZ_MAX_FIELDS) return;
    f->hdr_name[f->n_hdr] = name;
    f->hdr_value[f->n_hdr] = value;
    f->n_hdr++;
}

static inline void fuzz_request_query(fuzz_request *f, const char *name, const char *value)
{
    if (f->n_q >= FUZZ_MAX_FIELDS) return;
    f->q_name[f->n_q] = name;
    f->q_value[f->n_q] = value;
    f->n_q++;
}

/* Body as the server passes it: NULL when empty. */
static inline void fuzz_request_body(fuzz_request *f, const uint8_t *body, size_t len)
{
    f->req.body = len > 0 ? body : NULL;
    f->req.body_len = len;
}

/* ---- Response invariants shared by the targets ---- */

/* The Spring error document, when the body is one: its status and reason agree with the
 * answer. Returns 1 when the document is consistent (or another kind of document). */
static inline int fuzz_spring_doc_consistent(const json_t *doc, unsigned status)
{
    if (!json_is_object(doc) || json_object_get(doc, "timestamp") == NULL) return 1;
    const json_t *st = json_object_get(doc, "status");
    const json_t *er = json_object_get(doc, "error");
    const json_t *pa = json_object_get(doc, "path");
    if (json_object_size(doc) != 4 || !json_is_integer(st) || !json_is_string(er) || !json_is_string(pa)) return 0;
    return json_integer_value(st) == (json_int_t)status && strcmp(json_string_value(er), http_reason(status)) == 0;
}

/* Structural checks every answer must pass; aborts on a violation. Returns the parsed JSON
 * body (new reference) when the content type is JSON, else NULL. */
static json_t *fuzz_check_response(const http_response *r)
{
    json_t *doc = NULL;
    if (r->status < 100 || r->status > 599) abort();
    /* Every status the api layer uses has its reason phrase (http_reason's table). */
    if (strcmp(http_reason(r->status), "Error") == 0) abort();
    if (r->body == NULL && r->body_len != 0) abort();
    if (r->body != NULL && r->body[r->body_len] != '\0') abort();
    if (r->status == 204 && r->body_len != 0) abort();
    if (r->n_extra > HTTP_MAX_EXTRA_HEADERS) abort();
    for (size_t i = 0; i < r->n_extra; i++)
        if (r->extra[i].name == NULL || memchr(r->extra[i].value, '\0', sizeof r->extra[i].value) == NULL) abort();
    if (r->content_type != NULL && strcmp(r->content_type, "application/json") == 0) {
        json_error_t err;
        if (r->body == NULL || strlen(r->body) != r->body_len) abort();
        doc = json_loadb(r->body, r->body_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
        if (doc == NULL) abort();
        if (!fuzz_spring_doc_consistent(doc, r->status)) abort();
    }
    return doc;
}

#endif
