/* /tee handlers (src/api/api_tee.c) and the TEE service behind them, driven with fake
 * requests through the real route table: framework and properties documents, request
 * validation (400/415/401 without any chain call), and whole challenge + session flows
 * against an in-test JSON-RPC node (answers by selector with ABI-encoded PoCo views) and an
 * in-test Gramine SPS that records what it receives. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/rand.h>

#include "api/api.h"
#include "chain/chain.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/secure.h"
#include "crypto/aead.h"
#include "crypto/ethsig.h"
#include "crypto/keccak.h"
#include "helpers/abi_builder.h"
#include "helpers/fake_http.h"
#include "helpers/test_sign.h"
#include "helpers/tmpdir.h"
#include "tee/tee_service.h"

#define TASK "0x24c43b0c66feb087dfb5fb8d731db16cd620f76475ed68b81c1aba9de302a646"
#define DEAL "0x1111111111111111111111111111111111111111111111111111111111111111"
#define APP_ADDR "0xab8483f64d9c6d1ecf9b849ae677dd3315835cb2"
#define CALLBACK_ADDR "0x5b38da6a701c568545dcfcb03fcb875f56beddc4"
#define APP_FP "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b"
#define POST_FP "8c1d3e5f7a9b0c2d4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d"
#define V6_AUTH_WORKER                                                                                              \
    "0xc568527bd65af90b3490268116b5ff801d02ca3b5208ec135d86d284cf5622363bbd60331efbd09c03845fca0c9e8c4e5e61b4be2c6" \
    "82f7622b30ce9dde1dbde1c"
#define V6_SIG_POOL                                                                                                 \
    "0x7a8f498965086fbb4de597dc8b71d5b043f7d9107a887009a5d55f750517de9f25eb36155c28026d4725f404754f4e6d90ecc2bd542" \
    "fe24d5cabd1b835c002a01c"
#define V6_ENCLAVE "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"

/* ---- a tiny HTTP server (one connection at a time, Connection: close) ---- */

typedef int (*srv_handler)(void *ctx, const char *path, const char *head, const char *body, size_t body_len,
                           char **answer);

typedef struct {
    int fd;
    int port;
    pthread_t thread;
    atomic_int stop;
    srv_handler handler;
    void *ctx;
} mini_srv;

static void header_value(const char *head, const char *name, char *out, size_t cap)
{
    char pat[64];
    out[0] = '\0';
    snprintf(pat, sizeof pat, "\r\n%s:", name);
    const char *p = strcasestr(head, pat);
    if (p == NULL) return;
    p += strlen(pat);
    while (*p == ' ') p++;
    snprintf(out, cap, "%.*s", (int)strcspn(p, "\r\n"), p);
}

static void mini_serve(mini_srv *s, int fd)
{
    enum { CAP = 1 << 20 };
    char *buf = malloc(CAP + 1);
    size_t used = 0, body_at = 0, body_len = 0;
    if (buf == NULL) return;
    for (;;) {
        if (body_at > 0 && used >= body_at + body_len) break;
        if (used == CAP) goto out;
        ssize_t n = recv(fd, buf + used, CAP - used, 0);
        if (n <= 0) goto out;
        used += (size_t)n;
        buf[used] = '\0';
        if (body_at == 0) {
            char *end = strstr(buf, "\r\n\r\n");
            if (end == NULL) continue;
            body_at = (size_t)(end - buf) + 4;
            char cl[32];
            header_value(buf, "Content-Length", cl, sizeof cl);
            body_len = strtoul(cl, NULL, 10);
            if (body_len > CAP - body_at) goto out;
        }
    }
    char path[512] = "";
    sscanf(buf, "%*s %511s", path);
    char *body = buf + body_at;
    buf[body_at - 2] = '\0';
    char *answer = NULL;
    int status = s->handler(s->ctx, path, buf, body, body_len, &answer);
    const char *a = answer != NULL ? answer : "";
    char head[160];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: "
                      "close\r\n\r\n",
                      status, strlen(a));
    (void)send(fd, head, (size_t)hn, MSG_NOSIGNAL);
    (void)send(fd, a, strlen(a), MSG_NOSIGNAL);
    free(answer);
out:
    free(buf);
}

static void *mini_loop(void *arg)
{
    mini_srv *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {s->fd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) continue;
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0) continue;
        struct timeval tv = {2, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        mini_serve(s, fd);
        close(fd);
    }
    return NULL;
}

static mini_srv *mini_start(srv_handler h, void *ctx)
{
    mini_srv *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->handler = h;
    s->ctx = ctx;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    socklen_t len = sizeof a;
    getsockname(s->fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, mini_loop, s), 0);
    return s;
}

static void mini_stop(mini_srv *s)
{
    if (s == NULL) return;
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    close(s->fd);
    free(s);
}

static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

/* ---- fake chain: PoCo views by selector ---- */

typedef struct {
    pthread_mutex_t lock;
    int task_status;
    uint8_t tee_bits;
    char pool_owner[43];
    char enclave_version[16];
    unsigned calls;
} chain_state;

static char *hex_of(tblob *b)
{
    char *s = tblob_hex(b->p, b->len);
    tblob_free(b);
    return s;
}

static char *build_answer(chain_state *st, uint32_t selector)
{
    tblob b = {0};
    char tag[8];
    char mrenclave[512];
    snprintf(tag, sizeof tag, "0x%02x", st->tee_bits);
    switch (selector) {
    case 0x248ad6a0u: { /* viewTaskABILegacy */
        tfield f[12] = {tf_u64((uint64_t)st->task_status), tf_hex(DEAL), tf_u64(3), tf_u64(300), tf_u64(1795392479),
                        tf_u64(0), tf_u64(1795393379), tf_u64(0), tf_u64(0), tf_u64(0), tf_bytes("", 0),
                        tf_bytes("", 0)};
        tencode_tuple(&b, f, 12);
        return hex_of(&b);
    }
    case 0xb74861b2u: { /* viewDeal */
        tfield f[22] = {
            tf_addr(APP_ADDR), tf_addr(EX_APP_OWNER), tf_u64(0), tf_addr(EX_ZERO), tf_addr(EX_ZERO), tf_u64(0),
            tf_addr(EX_POOL), tf_addr(st->pool_owner), tf_u64(0), tf_u64(1), tf_u64(0), tf_hex(tag),
            tf_addr(EX_REQUESTER), tf_addr(EX_REQUESTER), tf_addr(CALLBACK_ADDR),
            tf_str("{\"iexec_args\":\"--verbose\"}"), tf_u64(1700000000), tf_u64(0), tf_u64(4), tf_u64(0), tf_u64(1),
            tf_addr(EX_ZERO),
        };
        tencode_struct_return(&b, f, 22);
        return hex_of(&b);
    }
    case 0x4f5f44ecu: /* viewCategory */
        tbuild_category(&b, "S", 1200);
        return hex_of(&b);
    case 0xe1523fb4u: { /* viewApp */
        snprintf(mrenclave, sizeof mrenclave,
                 "{\"framework\":\"GRAMINE\",\"version\":\"%s\",\"entrypoint\":\"/bin/bash /apploader.sh\","
                 "\"heapSize\":1073741824,\"fingerprint\":\"" APP_FP "\"}",
                 st->enclave_version);
        tfield f[6] = {tf_addr(EX_APP_OWNER), tf_str("app"), tf_str("DOCKER"), tf_str("docker.io/x/app:1"),
                       tf_hex(EX_APP_CHECKSUM), tf_str(mrenclave)};
        tencode_struct_return(&b, f, 6);
        return hex_of(&b);
    }
    default: return NULL;
    }
}

static json_t *answer_call(chain_state *st, json_t *call)
{
    json_t *id = json_object_get(call, "id");
    const char *data = json_string_value(json_object_get(json_array_get(json_object_get(call, "params"), 0), "data"));
    uint32_t sel = 0;
    if (data != NULL && strlen(data) >= 10) sel = (uint32_t)strtoul((char[9]){data[2], data[3], data[4], data[5],
                                                                                data[6], data[7], data[8], data[9], 0},
                                                                     NULL, 16);
    pthread_mutex_lock(&st->lock);
    st->calls++;
    char *res = build_answer(st, sel);
    pthread_mutex_unlock(&st->lock);
    json_t *ans;
    if (res != NULL)
        ans = json_pack("{s:s, s:O, s:s}", "jsonrpc", "2.0", "id", id, "result", res);
    else
        ans = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id, "error", "code", -32000, "message",
                        "execution reverted");
    free(res);
    return ans;
}

static int node_handler(void *ctx, const char *path, const char *head, const char *body, size_t len, char **answer)
{
    (void)path;
    (void)head;
    chain_state *st = ctx;
    json_t *req = json_loadb(body, len, 0, NULL);
    json_t *ans = NULL;
    if (json_is_array(req)) {
        ans = json_array();
        size_t i;
        json_t *one;
        json_array_foreach(req, i, one) json_array_append_new(ans, answer_call(st, one));
    } else if (json_is_object(req)) {
        ans = answer_call(st, req);
    }
    json_decref(req);
    if (ans == NULL) return 400;
    *answer = json_dumps(ans, JSON_COMPACT);
    json_decref(ans);
    return 200;
}

/* ---- fake SPS ---- */

typedef struct {
    pthread_mutex_t lock;
    int status;
    int posts;
    char path[256];
    char authorization[256];
    json_t *doc;
} sps_state;

static int sps_handler(void *ctx, const char *path, const char *head, const char *body, size_t len, char **answer)
{
    sps_state *s = ctx;
    (void)answer;
    pthread_mutex_lock(&s->lock);
    s->posts++;
    snprintf(s->path, sizeof s->path, "%s", path);
    header_value(head, "Authorization", s->authorization, sizeof s->authorization);
    json_decref(s->doc);
    s->doc = json_loadb(body, len, 0, NULL);
    int status = s->status;
    pthread_mutex_unlock(&s->lock);
    return status;
}

/* ---- fixture ---- */

typedef struct {
    sms_app app;
    sms_config cfg;
    tee_pipeline pipelines[2];
    char *dir;
    sms_store *store;
    aead_key *key;
    sms_metrics *metrics;
    secrets_service *secrets;
    chain_client *chain;
    tee_service *tee;
    chain_state chain_st;
    sps_state sps;
    mini_srv *node;
    mini_srv *sps_srv;
    const http_route *routes;
    size_t n_routes;
} fx;

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    sms_log_set_level(LOG_LVL_ERROR);
    return ethsig_init() == SMS_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    ethsig_cleanup();
    return 0;
}

static void pipelines(fx *x)
{
    static const char *const versions[2] = {"v1", "v2"};
    for (int i = 0; i < 2; i++) {
        tee_pipeline *p = &x->pipelines[i];
        p->version = (char *)versions[i];
        p->pre_compute.image = i == 0 ? "pre:v1" : "pre:v2";
        p->pre_compute.fingerprint = "aa";
        p->pre_compute.entrypoint = "/bin/pre";
        p->pre_compute.heap_size_bytes = 1073741824;
        p->post_compute.image = i == 0 ? "post:v1" : "post:v2";
        p->post_compute.fingerprint = POST_FP;
        p->post_compute.entrypoint = "/bin/post";
        p->post_compute.heap_size_bytes = (uint64_t)3 << 30;
    }
    x->cfg.pipelines = x->pipelines;
    x->cfg.n_pipelines = 2;
}

/* Base fixture: store, secrets, a Gramine configuration; chain client pointing at `node_url`. */
static fx *fx_new(const char *node_url)
{
    fx *x = calloc(1, sizeof *x);
    char db[1200], url[1300], err[256];
    uint8_t raw[32];
    assert_non_null(x);
    x->dir = tmpdir_make("tee-api");
    assert_non_null(x->dir);
    tmpdir_join(x->dir, "t.sqlite", db, sizeof db);
    snprintf(url, sizeof url, "sqlite:%s", db);
    assert_int_equal(store_open(url, &x->store, err, sizeof err), SMS_OK);
    assert_int_equal(RAND_bytes(raw, sizeof raw), 1);
    assert_int_equal(aead_key_new(raw, sizeof raw, &x->key), SMS_OK);
    secure_zero(raw, sizeof raw);
    size_t n_labels = 0;
    const char *const *labels = api_route_labels(&n_labels);
    x->metrics = metrics_new(labels, n_labels);
    assert_non_null(x->metrics);
    assert_int_equal(chain_client_new(node_url, 3000, &x->chain), SMS_OK);
    assert_int_equal(secrets_service_new(x->store, x->key, x->chain, x->metrics, 100, &x->secrets), SMS_OK);
    pthread_mutex_init(&x->chain_st.lock, NULL);
    pthread_mutex_init(&x->sps.lock, NULL);
    x->chain_st.task_status = 1;
    x->chain_st.tee_bits = 0x05;
    snprintf(x->chain_st.pool_owner, sizeof x->chain_st.pool_owner, "%s", TS_OWNER_ADDR_LC);
    snprintf(x->chain_st.enclave_version, sizeof x->chain_st.enclave_version, "v2");
    x->sps.status = 200;
    x->cfg.framework = TEE_FRAMEWORK_GRAMINE;
    snprintf(x->cfg.hub_address, sizeof x->cfg.hub_address, "%s", "0x5fc8d32690cc91d4c39d9d3abcbd16989f875707");
    x->cfg.sp_web_hostname = "127.0.0.1";
    x->cfg.sp_web_port = closed_port();
    x->cfg.sp_enclave_hostname = "sps.example.org";
    x->cfg.sp_enclave_port = 4433;
    x->cfg.gramine_sps_login = "admin";
    x->cfg.gramine_sps_password = "sps-pass";
    x->cfg.provisioner_timeout_ms = 3000;
    pipelines(x);
    x->app.cfg = &x->cfg;
    x->app.store = x->store;
    x->app.secrets = x->secrets;
    x->app.metrics = x->metrics;
    x->app.version = SMS_VERSION;
    atomic_init(&x->app.online, 1);
    x->routes = api_routes(&x->n_routes);
    return x;
}

static void fx_start_tee(fx *x)
{
    char err[256];
    sms_status st = tee_service_new(&x->cfg, x->store, x->secrets, x->chain, x->metrics, &x->tee, err, sizeof err);
    if (st != SMS_OK) fail_msg("tee_service_new: %s", err);
    x->app.tee = x->tee;
}

static int setup_offline(void **state)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
    fx *x = fx_new(url);
    fx_start_tee(x);
    *state = x;
    return 0;
}

static int setup_online(void **state)
{
    fx *x = fx_new("http://127.0.0.1:1"); /* replaced below */
    chain_client_free(x->chain);
    secrets_service_free(x->secrets);
    x->node = mini_start(node_handler, &x->chain_st);
    x->sps_srv = mini_start(sps_handler, &x->sps);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", x->node->port);
    assert_int_equal(chain_client_new(url, 3000, &x->chain), SMS_OK);
    assert_int_equal(secrets_service_new(x->store, x->key, x->chain, x->metrics, 100, &x->secrets), SMS_OK);
    x->app.secrets = x->secrets;
    x->cfg.sp_web_port = x->sps_srv->port;
    fx_start_tee(x);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    tee_service_free(x->tee);
    mini_stop(x->node);
    mini_stop(x->sps_srv);
    secrets_service_free(x->secrets);
    chain_client_free(x->chain);
    store_close(x->store);
    aead_key_free(x->key);
    metrics_free(x->metrics);
    json_decref(x->sps.doc);
    tmpdir_remove(x->dir);
    free(x);
    return 0;
}

/* What the server does: filters, routing, handler. */
static void call(fx *x, fake_request *f, http_response *r)
{
    http_response_init(r);
    if (api_pre_route(&x->app, &f->req, r)) return;
    const http_route *route = NULL;
    unsigned allowed = 0;
    route_result rr = fake_request_route(f, x->routes, x->n_routes, &route, &allowed);
    if (rr == ROUTE_NO_PATH) {
        http_reply_spring_error(r, 404, f->req.path);
        return;
    }
    if (rr == ROUTE_BAD_METHOD) {
        http_reply_spring_error(r, 405, f->req.path);
        return;
    }
    route->handler(&x->app, &f->req, r);
}

static void get(fx *x, const char *path, http_response *r)
{
    fake_request f;
    fake_request_init(&f, HTTP_GET, path);
    call(x, &f, r);
}

/* ---- signatures built independently of the service ---- */

static void hexdec(const char *s, uint8_t *out, size_t want)
{
    size_t n = 0;
    assert_int_equal(hex_decode(s, strlen(s), out, want, &n), SMS_OK);
    assert_int_equal(n, want);
}

static void sign_challenge(const char *key, const char *task, char sig[133])
{
    uint8_t t[32], h[32];
    hexdec(task, t, 32);
    keccak256(t, 32, h);
    ts_sign(key, h, sig);
}

static void sign_authorization(const char *key, const char *worker, const char *task, const char *enclave,
                               char sig[133])
{
    uint8_t buf[72], h[32];
    hexdec(worker, buf, 20);
    hexdec(task, buf + 20, 32);
    hexdec(enclave, buf + 52, 20);
    keccak256(buf, sizeof buf, h);
    ts_sign(key, h, sig);
}

static void post_challenge(fx *x, const char *task, const char *auth, http_response *r)
{
    fake_request f;
    char path[200];
    snprintf(path, sizeof path, "/tee/challenges/%s", task);
    fake_request_init(&f, HTTP_POST, path);
    if (auth != NULL) fake_request_header(&f, "Authorization", auth);
    call(x, &f, r);
}

static void post_session(fx *x, const char *content_type, const char *auth, const char *body, http_response *r)
{
    fake_request f;
    fake_request_init(&f, HTTP_POST, "/tee/sessions");
    if (content_type != NULL) fake_request_header(&f, "Content-Type", content_type);
    if (auth != NULL) fake_request_header(&f, "Authorization", auth);
    if (body != NULL) fake_request_body_str(&f, body);
    call(x, &f, r);
}

static void session_body(char *out, size_t cap, const char *task, const char *worker, const char *enclave,
                         const char *pool_sig)
{
    snprintf(out, cap,
             "{\"chainTaskId\":\"%s\",\"dealId\":\"" DEAL "\",\"taskIndex\":3,\"workerWallet\":\"%s\","
             "\"enclaveChallenge\":\"%s\",\"signature\":{\"value\":\"%s\"},\"unknownMember\":[1,2]}",
             task, worker, enclave, pool_sig);
}

static void assert_error_body(const http_response *r, unsigned status, const char *error)
{
    assert_int_equal(r->status, status);
    assert_string_equal(r->content_type, "application/json");
    json_t *j = fake_response_json(r);
    assert_int_equal(json_object_size(j), 1);
    assert_string_equal(json_string_value(json_object_get(j, "error")), error);
    json_decref(j);
}

/* ---- framework and properties ---- */

static void test_framework(void **state)
{
    fx *x = *state;
    http_response r;
    get(x, "/tee/framework", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.body, "\"GRAMINE\"");
    http_response_clear(&r);
    x->cfg.framework = TEE_FRAMEWORK_SCONE;
    get(x, "/tee/framework", &r);
    assert_string_equal(r.body, "\"SCONE\"");
    http_response_clear(&r);
    x->cfg.framework = TEE_FRAMEWORK_TDX;
    get(x, "/tee/framework", &r);
    assert_string_equal(r.body, "\"TDX\"");
    http_response_clear(&r);
    x->cfg.framework = TEE_FRAMEWORK_GRAMINE;
}

static void assert_stage(json_t *s, const char *image, const char *fp, const char *entry, json_int_t heap)
{
    assert_int_equal(json_object_size(s), 4);
    assert_string_equal(json_string_value(json_object_get(s, "image")), image);
    assert_string_equal(json_string_value(json_object_get(s, "fingerprint")), fp);
    assert_string_equal(json_string_value(json_object_get(s, "entrypoint")), entry);
    assert_true(json_is_integer(json_object_get(s, "heapSizeInBytes")));
    assert_int_equal(json_integer_value(json_object_get(s, "heapSizeInBytes")), heap);
}

static void test_properties(void **state)
{
    fx *x = *state;
    http_response r;
    get(x, "/tee/properties/gramine/v2", &r);
    assert_int_equal(r.status, 200);
    json_t *j = fake_response_json(&r);
    assert_int_equal(json_object_size(j), 4);
    assert_string_equal(json_string_value(json_object_get(j, "teeFramework")), "GRAMINE");
    assert_string_equal(json_string_value(json_object_get(j, "teeFrameworkVersion")), "v2");
    assert_stage(json_object_get(j, "preComputeProperties"), "pre:v2", "aa", "/bin/pre", 1073741824);
    assert_stage(json_object_get(j, "postComputeProperties"), "post:v2", POST_FP, "/bin/post", 3221225472);
    json_decref(j);
    http_response_clear(&r);
    /* Case-insensitive framework; deprecated form gives the first pipeline. */
    get(x, "/tee/properties/GraMine", &r);
    assert_int_equal(r.status, 200);
    j = fake_response_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "teeFrameworkVersion")), "v1");
    json_decref(j);
    http_response_clear(&r);
    /* Unknown version 404 (before the framework comparison), other framework 409, unknown 400. */
    get(x, "/tee/properties/scone/v9", &r);
    fake_assert_empty(&r, 404);
    http_response_clear(&r);
    get(x, "/tee/properties/GRAMINE/V1", &r);
    fake_assert_empty(&r, 404);
    http_response_clear(&r);
    get(x, "/tee/properties/scone/v1", &r);
    fake_assert_empty(&r, 409);
    http_response_clear(&r);
    get(x, "/tee/properties/tdx", &r);
    fake_assert_empty(&r, 409);
    http_response_clear(&r);
    get(x, "/tee/properties/sgx/v1", &r);
    fake_assert_spring_error(&r, 400, "/tee/properties/sgx/v1");
    http_response_clear(&r);
    get(x, "/tee/properties/none", &r);
    fake_assert_spring_error(&r, 400, "/tee/properties/none");
    http_response_clear(&r);
    /* Scone adds lasImage. */
    x->cfg.framework = TEE_FRAMEWORK_SCONE;
    x->cfg.scone_las_image = "registry.example/las:1.0";
    get(x, "/tee/properties/scone/v1", &r);
    assert_int_equal(r.status, 200);
    j = fake_response_json(&r);
    assert_int_equal(json_object_size(j), 5);
    assert_string_equal(json_string_value(json_object_get(j, "teeFramework")), "SCONE");
    assert_string_equal(json_string_value(json_object_get(j, "lasImage")), "registry.example/las:1.0");
    json_decref(j);
    http_response_clear(&r);
    x->cfg.framework = TEE_FRAMEWORK_GRAMINE;
    x->cfg.scone_las_image = NULL;
}

/* A secrets-only instance: every /tee route is 404 with the Spring document. */
static void test_no_framework(void **state)
{
    fx *x = *state;
    static const char *const gets[] = {"/tee/framework", "/tee/properties/scone", "/tee/properties/scone/v1"};
    http_response r;
    x->cfg.framework = TEE_FRAMEWORK_NONE;
    x->app.tee = NULL;
    for (size_t i = 0; i < 3; i++) {
        get(x, gets[i], &r);
        fake_assert_spring_error(&r, 404, gets[i]);
        http_response_clear(&r);
    }
    post_challenge(x, TASK, V6_SIG_POOL, &r);
    fake_assert_spring_error(&r, 404, "/tee/challenges/" TASK);
    http_response_clear(&r);
    post_session(x, "application/json", V6_AUTH_WORKER, "{}", &r);
    fake_assert_spring_error(&r, 404, "/tee/sessions");
    http_response_clear(&r);
    x->cfg.framework = TEE_FRAMEWORK_GRAMINE;
    x->app.tee = x->tee;
}

/* ---- validation before any chain read ---- */

static void test_challenge_validation(void **state)
{
    fx *x = *state;
    http_response r;
    char sig[133];
    post_challenge(x, TASK, NULL, &r);
    fake_assert_spring_error(&r, 400, "/tee/challenges/" TASK);
    http_response_clear(&r);
    /* Malformed signatures and task ids: 401 without touching the chain. */
    static const char *const bad_sigs[] = {"", "0x", "0x1234", "nothex", &(V6_SIG_POOL)[4]};
    for (size_t i = 0; i < sizeof bad_sigs / sizeof bad_sigs[0]; i++) {
        post_challenge(x, TASK, bad_sigs[i], &r);
        fake_assert_empty(&r, 401);
        http_response_clear(&r);
    }
    sign_challenge(TS_OWNER_KEY, TASK, sig);
    static const char *const bad_tasks[] = {&(TASK)[2], "0x1234", "0x24c43b0c66feb087dfb5fb8d731db16cd620f76475ed68b81c1aba9de302a64z",
                                            TASK "00"};
    for (size_t i = 0; i < sizeof bad_tasks / sizeof bad_tasks[0]; i++) {
        post_challenge(x, bad_tasks[i], sig, &r);
        fake_assert_empty(&r, 401);
        http_response_clear(&r);
    }
    /* v = 0x01: well-formed, recovers nobody: still no chain call. */
    char v1[133];
    memcpy(v1, sig, sizeof v1);
    v1[130] = '0';
    v1[131] = '1';
    post_challenge(x, TASK, v1, &r);
    fake_assert_empty(&r, 401);
    http_response_clear(&r);
    assert_int_equal(chain_client_requests_sent(x->chain), 0);
    /* A good-looking request does reach the (dead) chain, and is refused. */
    post_challenge(x, TASK, sig, &r);
    fake_assert_empty(&r, 401);
    http_response_clear(&r);
    assert_true(chain_client_requests_sent(x->chain) >= 1);
}

static void test_session_validation(void **state)
{
    fx *x = *state;
    http_response r;
    char body[1024], wsig[133], psig[133];
    sign_authorization(TS_WORKER_KEY, TS_WORKER_ADDR, TASK, V6_ENCLAVE, wsig);
    assert_string_equal(wsig, V6_AUTH_WORKER);
    sign_authorization(TS_OWNER_KEY, TS_WORKER_ADDR, TASK, V6_ENCLAVE, psig);
    session_body(body, sizeof body, TASK, TS_WORKER_ADDR, V6_ENCLAVE, psig);

    post_session(x, "application/json", NULL, body, &r);
    fake_assert_spring_error(&r, 400, "/tee/sessions");
    http_response_clear(&r);
    static const char *const bad_types[] = {NULL, "text/plain", "application/octet-stream", "application/jsonx",
                                            "json"};
    for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
        post_session(x, bad_types[i], wsig, body, &r);
        fake_assert_spring_error(&r, 415, "/tee/sessions");
        http_response_clear(&r);
    }
    static const char *const bad_json[] = {"{", "[]", "null", "\"x\"", "{\"chainTaskId\":12}",
                                           "{\"signature\":\"0x12\"}", "{\"workerWallet\":{}}",
                                           "{\"taskIndex\":\"three\"}", "{} x"};
    for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
        post_session(x, "application/json", wsig, bad_json[i], &r);
        fake_assert_spring_error(&r, 400, "/tee/sessions");
        http_response_clear(&r);
    }
    post_session(x, "application/json", wsig, NULL, &r);
    fake_assert_spring_error(&r, 400, "/tee/sessions");
    http_response_clear(&r);

    /* [fix] missing members and malformed signatures: 401 INVALID_AUTHORIZATION. */
    char b2[1024];
    const char *const invalid[] = {
        "{\"chainTaskId\":\"" TASK "\",\"enclaveChallenge\":\"" V6_ENCLAVE "\",\"signature\":{\"value\":\"" V6_SIG_POOL
        "\"}}",
        "{\"chainTaskId\":\"" TASK "\",\"workerWallet\":\"" TS_WORKER_ADDR "\",\"enclaveChallenge\":\"" V6_ENCLAVE
        "\"}",
        "{\"chainTaskId\":\"" TASK "\",\"workerWallet\":\"" TS_WORKER_ADDR "\",\"enclaveChallenge\":\"" V6_ENCLAVE
        "\",\"signature\":{}}",
        "{\"chainTaskId\":\"" TASK "\",\"workerWallet\":null,\"enclaveChallenge\":\"" V6_ENCLAVE
        "\",\"signature\":{\"value\":\"" V6_SIG_POOL "\"}}",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        post_session(x, "application/json", wsig, invalid[i], &r);
        assert_error_body(&r, 401, "INVALID_AUTHORIZATION");
        http_response_clear(&r);
    }
    /* Malformed or foreign header signature. */
    static const char *const bad_headers[] = {"", "0x12", "garbage", V6_SIG_POOL};
    for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0]; i++) {
        post_session(x, "application/json", bad_headers[i], body, &r);
        assert_error_body(&r, 401, "INVALID_AUTHORIZATION");
        http_response_clear(&r);
    }
    /* Malformed body signature. */
    session_body(b2, sizeof b2, TASK, TS_WORKER_ADDR, V6_ENCLAVE, "0x1234");
    post_session(x, "application/json", wsig, b2, &r);
    assert_error_body(&r, 401, "INVALID_AUTHORIZATION");
    http_response_clear(&r);
    /* Worker wallet that is not an address, and a body altered after signing. */
    session_body(b2, sizeof b2, TASK, "0x70997970C51812dc3A010C7d01b50e0d17dc79C", V6_ENCLAVE, psig);
    post_session(x, "application/json", wsig, b2, &r);
    assert_error_body(&r, 401, "INVALID_AUTHORIZATION");
    http_response_clear(&r);
    session_body(b2, sizeof b2, TASK, TS_WORKER_ADDR, "0x5cbdd86a2fa8dc4bddd8a8f69dba48572eec07fb", psig);
    post_session(x, "application/json", wsig, b2, &r);
    assert_error_body(&r, 401, "INVALID_AUTHORIZATION");
    http_response_clear(&r);
    /* Empty task id, signed: EMPTY_PARAMS before any read. */
    char e_w[133], e_p[133];
    uint8_t buf[40], h[32];
    hexdec(TS_WORKER_ADDR, buf, 20);
    hexdec(V6_ENCLAVE, buf + 20, 20);
    keccak256(buf, 40, h);
    ts_sign(TS_WORKER_KEY, h, e_w);
    ts_sign(TS_OWNER_KEY, h, e_p);
    session_body(b2, sizeof b2, "", TS_WORKER_ADDR, V6_ENCLAVE, e_p);
    post_session(x, "application/json", e_w, b2, &r);
    assert_error_body(&r, 401, "EXECUTION_NOT_AUTHORIZED_EMPTY_PARAMS_UNAUTHORIZED");
    http_response_clear(&r);
    assert_int_equal(chain_client_requests_sent(x->chain), 0);

    /* Everything well-formed (the sms-api V6 vector): the chain is asked, and it is down. */
    post_session(x, "application/json;charset=UTF-8", V6_AUTH_WORKER, body, &r);
    assert_error_body(&r, 401, "EXECUTION_NOT_AUTHORIZED_GET_CHAIN_TASK_FAILED");
    http_response_clear(&r);
    assert_true(chain_client_requests_sent(x->chain) >= 1);
}

/* ---- whole flows on the fake chain and SPS ---- */

static void get_challenge(fx *x, char address[43])
{
    http_response r;
    char sig[133];
    sign_challenge(TS_OWNER_KEY, TASK, sig);
    post_challenge(x, TASK, sig, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/plain;charset=UTF-8");
    assert_int_equal(r.body_len, 42);
    assert_int_equal(address_parse(r.body, NULL), SMS_OK);
    memcpy(address, r.body, 43);
    http_response_clear(&r);
}

static void do_session(fx *x, const char *task, const char *enclave, const char *pool_key, http_response *r)
{
    char body[1024], wsig[133], psig[133];
    sign_authorization(TS_WORKER_KEY, TS_WORKER_ADDR, task, enclave, wsig);
    sign_authorization(pool_key, TS_WORKER_ADDR, task, enclave, psig);
    session_body(body, sizeof body, task, TS_WORKER_ADDR, enclave, psig);
    post_session(x, "application/json", wsig, body, r);
}

static void test_challenge_flow(void **state)
{
    fx *x = *state;
    char a1[43], a2[43];
    http_response r;
    get_challenge(x, a1);
    /* task, deal, then category + app in one batch */
    assert_int_equal(chain_client_requests_sent(x->chain), 3);
    get_challenge(x, a2);
    assert_string_equal(a1, a2);
    /* Upper-case hex in the path: same challenge. */
    char sig[133], upper[67] = "0x";
    for (size_t i = 2; i < 66; i++) upper[i] = (char)(TASK[i] >= 'a' ? TASK[i] - 32 : TASK[i]);
    upper[66] = '\0';
    sign_challenge(TS_OWNER_KEY, upper, sig);
    post_challenge(x, upper, sig, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, a1);
    http_response_clear(&r);
    /* Signed by someone else than the workerpool owner. */
    sign_challenge(TS_WORKER_KEY, TASK, sig);
    post_challenge(x, TASK, sig, &r);
    fake_assert_empty(&r, 401);
    http_response_clear(&r);
    /* Task no longer active. */
    sign_challenge(TS_OWNER_KEY, TASK, sig);
    x->chain_st.task_status = 3;
    post_challenge(x, TASK, sig, &r);
    fake_assert_empty(&r, 401);
    http_response_clear(&r);
    x->chain_st.task_status = 1;
    /* A deal of another framework. */
    x->chain_st.tee_bits = 0x03;
    tee_service_free(x->tee); /* fresh cache: the deal is re-read */
    fx_start_tee(x);
    post_challenge(x, TASK, sig, &r);
    fake_assert_empty(&r, 401);
    http_response_clear(&r);
}

static void test_session_flow(void **state)
{
    fx *x = *state;
    char challenge[43];
    http_response r;
    get_challenge(x, challenge);
    uint64_t before = chain_client_requests_sent(x->chain);
    do_session(x, TASK, challenge, TS_OWNER_KEY, &r);
    assert_int_equal(r.status, 200);
    /* Everything immutable is cached: the task read alone. */
    assert_int_equal(chain_client_requests_sent(x->chain) - before, 1);
    json_t *j = fake_response_json(&r);
    json_t *data = json_object_get(j, "data");
    assert_int_equal(json_object_size(j), 1);
    assert_int_equal(json_object_size(data), 2);
    char sid[128];
    snprintf(sid, sizeof sid, "%s", json_string_value(json_object_get(data, "sessionId")));
    assert_string_equal(json_string_value(json_object_get(data, "secretProvisioningUrl")), "sps.example.org:4433");
    assert_int_equal(strlen(sid), 80);
    for (int i = 0; i < 10; i++)
        assert_true((sid[i] >= 'a' && sid[i] <= 'z') || (sid[i] >= 'A' && sid[i] <= 'Z') ||
                    (sid[i] >= '0' && sid[i] <= '9'));
    assert_memory_equal(sid + 10, "0000" TASK, 70);

    /* What the SPS received. */
    pthread_mutex_lock(&x->sps.lock);
    assert_int_equal(x->sps.posts, 1);
    assert_string_equal(x->sps.path, "/api/session");
    assert_string_equal(x->sps.authorization, "Basic YWRtaW46c3BzLXBhc3M=");
    json_t *doc = x->sps.doc;
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "session")), sid);
    json_t *enclaves = json_object_get(doc, "enclaves");
    assert_int_equal(json_array_size(enclaves), 2);
    json_t *app = json_array_get(enclaves, 0), *post = json_array_get(enclaves, 1);
    assert_string_equal(json_string_value(json_object_get(app, "name")), "app");
    assert_string_equal(json_string_value(json_object_get(app, "mrenclave")), APP_FP);
    assert_string_equal(json_string_value(json_object_get(post, "name")), "post-compute");
    assert_string_equal(json_string_value(json_object_get(post, "mrenclave")), POST_FP);
    json_t *env = json_object_get(post, "environment");
    assert_string_equal(json_string_value(json_object_get(env, "SIGN_WORKER_ADDRESS")), TS_WORKER_ADDR);
    assert_string_equal(json_string_value(json_object_get(env, "RESULT_STORAGE_CALLBACK")), "true");
    /* The enclave key is the key of the challenge the scheduler published. */
    const char *k = json_string_value(json_object_get(env, "SIGN_TEE_CHALLENGE_PRIVATE_KEY"));
    assert_non_null(k);
    uint8_t sk[32], addr[20];
    char addr_s[43];
    hexdec(k, sk, 32);
    assert_int_equal(eth_address_of(sk, addr), SMS_OK);
    address_format(addr, addr_s);
    assert_string_equal(addr_s, challenge);
    secure_zero(sk, sizeof sk);
    json_t *app_env = json_object_get(app, "environment");
    assert_string_equal(json_string_value(json_object_get(app_env, "IEXEC_TASK_INDEX")), "3");
    assert_string_equal(json_string_value(json_object_get(app_env, "IEXEC_DEAL_ID")), DEAL);
    assert_null(json_object_get(app_env, "SIGN_TEE_CHALLENGE_PRIVATE_KEY"));
    pthread_mutex_unlock(&x->sps.lock);
    json_decref(j);
    http_response_clear(&r);

    /* A second session gets another id. */
    do_session(x, TASK, challenge, TS_OWNER_KEY, &r);
    assert_int_equal(r.status, 200);
    j = fake_response_json(&r);
    assert_string_not_equal(json_string_value(json_object_get(json_object_get(j, "data"), "sessionId")), sid);
    json_decref(j);
    http_response_clear(&r);
}

static int sps_posts(fx *x)
{
    pthread_mutex_lock(&x->sps.lock);
    int n = x->sps.posts;
    pthread_mutex_unlock(&x->sps.lock);
    return n;
}

static void test_session_refusals(void **state)
{
    fx *x = *state;
    char challenge[43];
    http_response r;
    /* No challenge issued for the task yet: never created from the session path. */
    do_session(x, TASK, V6_ENCLAVE, TS_OWNER_KEY, &r);
    assert_error_body(&r, 500, "GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CHALLENGE");
    http_response_clear(&r);
    int64_t n = -1;
    assert_int_equal(store_count(x->store, STORE_COUNT_CHALLENGES, &n), SMS_OK);
    assert_int_equal(n, 0);
    get_challenge(x, challenge);
    /* Another enclave challenge than the issued one. */
    do_session(x, TASK, V6_ENCLAVE, TS_OWNER_KEY, &r);
    assert_error_body(&r, 500, "GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CHALLENGE");
    http_response_clear(&r);
    /* The issued one in upper case is the same address. */
    char upper[43] = "0x";
    for (size_t i = 2; i < 42; i++) upper[i] = (char)(challenge[i] >= 'a' ? challenge[i] - 32 : challenge[i]);
    upper[42] = '\0';
    do_session(x, TASK, upper, TS_OWNER_KEY, &r);
    assert_int_equal(r.status, 200);
    http_response_clear(&r);
    int posted = sps_posts(x);
    /* Empty enclave challenge. */
    char body[1024], wsig[133], psig[133];
    uint8_t buf[52], h[32];
    hexdec(TS_WORKER_ADDR, buf, 20);
    hexdec(TASK, buf + 20, 32);
    keccak256(buf, 52, h);
    ts_sign(TS_WORKER_KEY, h, wsig);
    ts_sign(TS_OWNER_KEY, h, psig);
    session_body(body, sizeof body, TASK, TS_WORKER_ADDR, "", psig);
    post_session(x, "application/json", wsig, body, &r);
    assert_error_body(&r, 500, "GET_SIGNATURE_TOKENS_FAILED_EMPTY_PUBLIC_ENCLAVE_CHALLENGE");
    http_response_clear(&r);
    /* Pool signature by someone else. */
    do_session(x, TASK, challenge, TS_WORKER_KEY, &r);
    assert_error_body(&r, 401, "EXECUTION_NOT_AUTHORIZED_INVALID_SIGNATURE");
    http_response_clear(&r);
    /* Task not active. */
    x->chain_st.task_status = 2;
    do_session(x, TASK, challenge, TS_OWNER_KEY, &r);
    assert_error_body(&r, 401, "EXECUTION_NOT_AUTHORIZED_TASK_NOT_ACTIVE");
    http_response_clear(&r);
    x->chain_st.task_status = 1;
    assert_int_equal(sps_posts(x), posted);
    /* SPS failing. */
    x->sps.status = 503;
    do_session(x, TASK, challenge, TS_OWNER_KEY, &r);
    assert_error_body(&r, 500, "SECURE_SESSION_STORAGE_CALL_FAILED");
    http_response_clear(&r);
    x->sps.status = 200;
}

static void test_session_deal_checks(void **state)
{
    fx *x = *state;
    char challenge[43];
    http_response r;
    get_challenge(x, challenge);
    /* Unknown pipeline version (fresh service: the app is re-read). */
    snprintf(x->chain_st.enclave_version, sizeof x->chain_st.enclave_version, "v9");
    tee_service_free(x->tee);
    fx_start_tee(x);
    do_session(x, TASK, challenge, TS_OWNER_KEY, &r);
    assert_error_body(&r, 500, "APP_COMPUTE_INVALID_ENCLAVE_CONFIG");
    http_response_clear(&r);
    /* A Scone deal on this Gramine SMS. */
    x->chain_st.tee_bits = 0x03;
    tee_service_free(x->tee);
    fx_start_tee(x);
    do_session(x, TASK, challenge, TS_OWNER_KEY, &r);
    assert_error_body(&r, 401, "EXECUTION_NOT_AUTHORIZED_NO_MATCH_ONCHAIN_TYPE");
    http_response_clear(&r);
    /* Not a TEE deal. */
    x->chain_st.tee_bits = 0x00;
    tee_service_free(x->tee);
    fx_start_tee(x);
    do_session(x, TASK, challenge, TS_OWNER_KEY, &r);
    assert_error_body(&r, 401, "EXECUTION_NOT_AUTHORIZED_NO_MATCH_ONCHAIN_TYPE");
    http_response_clear(&r);
    assert_int_equal(sps_posts(x), 0);
}

/* TDX: the single pipeline, the app identified by image and checksum, the storage POST. */
static void test_tdx_session_flow(void **state)
{
    fx *x = *state;
    char challenge[43], post_url[64];
    http_response r;
    tee_service_free(x->tee);
    x->cfg.framework = TEE_FRAMEWORK_TDX;
    x->cfg.n_pipelines = 1;
    snprintf(post_url, sizeof post_url, "http://127.0.0.1:%d/storage", x->sps_srv->port);
    x->cfg.tdx_post_url = post_url;
    x->cfg.tdx_remote_attestation_url = "https://secret-broker.example.org";
    x->chain_st.tee_bits = 0x09;
    /* TDX ignores the enclave configuration's version. */
    snprintf(x->chain_st.enclave_version, sizeof x->chain_st.enclave_version, "v9");
    fx_start_tee(x);
    get_challenge(x, challenge);
    do_session(x, TASK, challenge, TS_OWNER_KEY, &r);
    assert_int_equal(r.status, 200);
    json_t *j = fake_response_json(&r);
    json_t *data = json_object_get(j, "data");
    assert_string_equal(json_string_value(json_object_get(data, "secretProvisioningUrl")),
                        "https://secret-broker.example.org");
    pthread_mutex_lock(&x->sps.lock);
    assert_string_equal(x->sps.path, "/storage/session");
    assert_string_equal(x->sps.authorization, "");
    json_t *doc = x->sps.doc;
    assert_string_equal(json_string_value(json_object_get(doc, "name")),
                        json_string_value(json_object_get(data, "sessionId")));
    assert_string_equal(json_string_value(json_object_get(doc, "version")), "0.1.0");
    json_t *services = json_object_get(doc, "services");
    assert_int_equal(json_array_size(services), 2);
    json_t *app = json_array_get(services, 0), *post = json_array_get(services, 1);
    assert_string_equal(json_string_value(json_object_get(app, "image_name")), "docker.io/x/app:1");
    assert_string_equal(json_string_value(json_object_get(app, "fingerprint")), EX_APP_CHECKSUM);
    assert_string_equal(json_string_value(json_object_get(post, "image_name")), "post:v1");
    const char *k =
        json_string_value(json_object_get(json_object_get(post, "environment"), "SIGN_TEE_CHALLENGE_PRIVATE_KEY"));
    assert_non_null(k);
    uint8_t sk[32], addr[20];
    char addr_s[43];
    hexdec(k, sk, 32);
    assert_int_equal(eth_address_of(sk, addr), SMS_OK);
    address_format(addr, addr_s);
    assert_string_equal(addr_s, challenge);
    secure_zero(sk, sizeof sk);
    pthread_mutex_unlock(&x->sps.lock);
    json_decref(j);
    http_response_clear(&r);
    /* A Gramine deal on this TDX SMS. */
    x->chain_st.tee_bits = 0x05;
    tee_service_free(x->tee);
    fx_start_tee(x);
    do_session(x, TASK, challenge, TS_OWNER_KEY, &r);
    assert_error_body(&r, 401, "EXECUTION_NOT_AUTHORIZED_NO_MATCH_ONCHAIN_TYPE");
    http_response_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_framework, setup_offline, teardown),
        cmocka_unit_test_setup_teardown(test_properties, setup_offline, teardown),
        cmocka_unit_test_setup_teardown(test_no_framework, setup_offline, teardown),
        cmocka_unit_test_setup_teardown(test_challenge_validation, setup_offline, teardown),
        cmocka_unit_test_setup_teardown(test_session_validation, setup_offline, teardown),
        cmocka_unit_test_setup_teardown(test_challenge_flow, setup_online, teardown),
        cmocka_unit_test_setup_teardown(test_session_flow, setup_online, teardown),
        cmocka_unit_test_setup_teardown(test_session_refusals, setup_online, teardown),
        cmocka_unit_test_setup_teardown(test_session_deal_checks, setup_online, teardown),
        cmocka_unit_test_setup_teardown(test_tdx_session_flow, setup_online, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
