/* The api layer (src/api/) driven with fake requests: status codes and body styles of
 * every endpoint (sms-api.md 2.4, 2.5, 4, 7.1, 7.4, 8, Appendix A), with a real SQLite
 * store, the real secrets service and a fake chain node for asset owners. Requests go
 * through the pre-routing filters and the real route table like the server does. */
#include <pthread.h>
#include <time.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include <cmocka.h>

#include "api/api.h"
#include "chain/chain.h"
#include "core/log.h"
#include "core/secure.h"
#include "crypto/aead.h"
#include "crypto/ethsig.h"
#include "helpers/failing_store.h"
#include "helpers/fake_http.h"
#include "helpers/fake_rpc.h"
#include "helpers/test_sign.h"
#include "helpers/tmpdir.h"

#define V1_AUTH                                                                                                     \
    "0xd2a3456e9defda6eaa602fea37731001ced177dbcf35dcf88e357c5b2f1d1d51008b17e46974fa73c8d31e353ceb09aac998345169f" \
    "e9958b3c538c5e87dd6dc1c"
#define V2_ADDR "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"
#define V2_VALUE "Ke9aYzT0y2cZ8nC0Qm3xUw=="
#define V2_AUTH                                                                                                     \
    "0xa4cbcd97cd77ea710ce764e9b7847c01dfc586cb0aae5da8a1c11f40c4237be3613e2e7293437cae17c2d998c7bbc4b0097f0123d3d" \
    "81d881ecefa183a3f4add1b"
#define V3_APP "0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2"
#define V3_VALUE "app developer secret"
#define V3_AUTH                                                                                                     \
    "0x42514225e3473f477e3cba1e3f27a5bcb5cd9cf07e21610316bf13476950c2d441cca8efc53ebc509dbecc3514c38a79120124e07ba" \
    "0cd04c7bd6a1af2f29a931c"
#define V4_VALUE "p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac"
#define V4_AUTH                                                                                                     \
    "0xebdc0b9197ab6c383c801a9ecb5e82d5784dce9d2f3120df8a312b63169d8d831028b0e79885ed3bf9fb6f2497215fd8326874fa3ee" \
    "15f69c94d05e822c5fbc11b"

#define MSG_BAD_KEY "Secret key should contain at most 64 characters from [0-9A-Za-z-_]"
#define MSG_NOT_FOUND "Secret not found"
#define MSG_INVALID_AUTH "Invalid authorization"
#define MSG_EXISTS "Secret already exists"
#define MSG_TOO_BIG "Secret size should not exceed 4 Kb"
#define MSG_DISABLED "This endpoint is disabled."
#define MSG_UNAUTHORIZED "You are not authorized to access this endpoint."
#define MSG_MAINTENANCE "The server is temporarily unable to serve your request due to maintenance downtime"

typedef struct {
    sms_app app;
    sms_config cfg;
    char *dir;
    sms_store *store;
    aead_key *key;
    sms_metrics *metrics;
    secrets_service *secrets;
    fake_rpc *rpc;
    chain_client *chain;
    const http_route *routes;
    size_t n_routes;
} api_fx;

static int group_setup(void **state)
{
    (void)state;
    sms_log_set_level(LOG_LVL_ERROR);
    return ethsig_init() == SMS_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    ethsig_cleanup();
    return 0;
}

static int setup_with_timeout(void **state, long chain_timeout_ms)
{
    api_fx *x = calloc(1, sizeof *x);
    if (x == NULL) return -1;
    x->dir = tmpdir_make("api");
    if (x->dir == NULL) return -1;
    char db[1100], url[1200], err[256];
    tmpdir_join(x->dir, "x.sqlite", db, sizeof db);
    snprintf(url, sizeof url, "sqlite:%s", db);
    if (store_open(url, &x->store, err, sizeof err) != SMS_OK) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    uint8_t raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1 || aead_key_new(raw, sizeof raw, &x->key) != SMS_OK) return -1;
    secure_zero(raw, sizeof raw);
    size_t n_labels = 0;
    const char *const *labels = api_route_labels(&n_labels);
    x->metrics = metrics_new(labels, n_labels);
    x->rpc = fake_rpc_start();
    if (x->metrics == NULL || x->rpc == NULL) return -1;
    if (chain_client_new(fake_rpc_url(x->rpc), chain_timeout_ms, &x->chain) != SMS_OK) return -1;
    if (secrets_service_new(x->store, x->key, x->chain, x->metrics, 1000, &x->secrets) != SMS_OK) return -1;
    /* Configuration zeroed except what the handlers read. */
    memset(&x->cfg, 0, sizeof x->cfg);
    x->app.cfg = &x->cfg;
    x->app.store = x->store;
    x->app.secrets = x->secrets;
    x->app.metrics = x->metrics;
    x->app.version = SMS_VERSION;
    atomic_init(&x->app.online, 1);
    x->routes = api_routes(&x->n_routes);
    *state = x;
    return 0;
}

/* Generous for answering nodes (loaded machines, sanitizers); short where a silent node
 * is waited for. */
static int setup(void **state) { return setup_with_timeout(state, 5000); }
static int setup_fast(void **state) { return setup_with_timeout(state, 300); }

static int teardown(void **state)
{
    api_fx *x = *state;
    if (x == NULL) return 0;
    secrets_service_free(x->secrets);
    chain_client_free(x->chain);
    fake_rpc_stop(x->rpc);
    store_close(x->store);
    aead_key_free(x->key);
    metrics_free(x->metrics);
    tmpdir_remove(x->dir);
    free(x);
    return 0;
}

/* What the server does with a request: filters, routing (404/405), handler. */
static void call(api_fx *x, fake_request *f, http_response *r)
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

/* A web2 request with every part set (NULL leaves a part out). */
static void web2_req(fake_request *f, http_method m, const char *owner, const char *name, const char *auth,
                     const char *body)
{
    fake_request_init(f, m, "/secrets/web2");
    if (owner != NULL) fake_request_query(f, "ownerAddress", owner);
    if (name != NULL) fake_request_query(f, "secretName", name);
    if (auth != NULL) fake_request_header(f, "Authorization", auth);
    if (body != NULL) fake_request_body_str(f, body);
}

static unsigned web2_status(api_fx *x, http_method m, const char *owner, const char *name, const char *auth,
                            const char *body)
{
    fake_request f;
    http_response r;
    web2_req(&f, m, owner, name, auth, body);
    call(x, &f, &r);
    unsigned st = r.status;
    if (st == 204 || st == 401 || st == 404 || st == 409 || st == 413) fake_assert_empty(&r, st);
    http_response_clear(&r);
    return st;
}

static json_int_t metric(api_fx *x, const char *type, const char *member)
{
    json_t *doc = metrics_secrets_json(x->metrics);
    json_t *v = json_object_get(json_object_get(json_object_get(doc, "secretsMetrics"), type), member);
    assert_true(json_is_integer(v));
    json_int_t n = json_integer_value(v);
    json_decref(doc);
    return n;
}

static char *filler(size_t n, char c)
{
    char *v = malloc(n + 1);
    assert_non_null(v);
    memset(v, c, n);
    v[n] = '\0';
    return v;
}

/* ---- /secrets/web2 ---- */

/* Run the request and expect a Spring error document for its path. */
static void expect_spring(api_fx *x, fake_request *f, unsigned status)
{
    http_response r;
    call(x, f, &r);
    fake_assert_spring_error(&r, status, f->req.path);
    http_response_clear(&r);
}

static void test_web2_binding_failures(void **state)
{
    api_fx *x = *state;
    static const http_method methods[] = {HTTP_POST, HTTP_PUT};
    for (size_t i = 0; i < 2; i++) {
        fake_request f;
        http_method m = methods[i];
        /* Missing Authorization: 400 (not 401). */
        web2_req(&f, m, TS_OWNER_ADDR, "my-api-key", NULL, "Hello, SMS!");
        expect_spring(x, &f, 400);
        /* Missing query parameters. */
        web2_req(&f, m, NULL, "my-api-key", V1_AUTH, "Hello, SMS!");
        expect_spring(x, &f, 400);
        web2_req(&f, m, TS_OWNER_ADDR, NULL, V1_AUTH, "Hello, SMS!");
        expect_spring(x, &f, 400);
        web2_req(&f, m, NULL, NULL, NULL, NULL);
        expect_spring(x, &f, 400);
        /* Absent and empty bodies. */
        web2_req(&f, m, TS_OWNER_ADDR, "my-api-key", V1_AUTH, NULL);
        expect_spring(x, &f, 400);
        fake_request_body(&f, "", 0);
        expect_spring(x, &f, 400);
        f.req.body = (const uint8_t *)"x"; /* a pointer with no bytes is still no body */
        f.req.body_len = 0;
        expect_spring(x, &f, 400);
        /* The query parameter names are case-sensitive. */
        fake_request_init(&f, m, "/secrets/web2");
        fake_request_query(&f, "owneraddress", TS_OWNER_ADDR);
        fake_request_query(&f, "secretName", "my-api-key");
        fake_request_header(&f, "Authorization", V1_AUTH);
        fake_request_body_str(&f, "Hello, SMS!");
        expect_spring(x, &f, 400);
    }
    /* HEAD with a missing parameter. */
    fake_request f;
    web2_req(&f, HTTP_HEAD, TS_OWNER_ADDR, NULL, NULL, NULL);
    expect_spring(x, &f, 400);
    web2_req(&f, HTTP_HEAD, NULL, "n", NULL, NULL);
    expect_spring(x, &f, 400);
    assert_int_equal(metric(x, "web2", "addedSinceStartCount"), 0);
    /* Header names are case-insensitive: "authorization" works. */
    fake_request_init(&f, HTTP_POST, "/secrets/web2");
    fake_request_query(&f, "ownerAddress", TS_OWNER_ADDR);
    fake_request_query(&f, "secretName", "my-api-key");
    fake_request_header(&f, "authorization", V1_AUTH);
    fake_request_body_str(&f, "Hello, SMS!");
    http_response r;
    call(x, &f, &r);
    fake_assert_empty(&r, 204);
}

static void test_web2_malformed_owner_is_400(void **state)
{
    api_fx *x = *state;
    static const char *const bad[] = {
        "0x1234",
        "0xZZ9Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb9226",   /* 39 digits */
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb922660", /* 41 digits */
        "",
        "0x",
        "hello",
        " 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int put = 0; put < 2; put++) {
            fake_request f;
            http_response r;
            web2_req(&f, put ? HTTP_PUT : HTTP_POST, bad[i], "my-api-key", V1_AUTH, "Hello, SMS!");
            call(x, &f, &r);
            fake_assert_spring_error(&r, 400, "/secrets/web2");
            http_response_clear(&r);
        }
    }
    /* 40 hex digits without 0x is an address-like string: it reaches the signature
     * check, which can never match (401). */
    assert_int_equal(
        web2_status(x, HTTP_POST, TS_OWNER_ADDR_NOX, "my-api-key", V1_AUTH, "Hello, SMS!"), 401);
}

static void test_web2_lifecycle(void **state)
{
    api_fx *x = *state;
    assert_int_equal(web2_status(x, HTTP_HEAD, TS_OWNER_ADDR, "my-api-key", NULL, NULL), 404);
    /* PUT of an absent secret. */
    assert_int_equal(web2_status(x, HTTP_PUT, TS_OWNER_ADDR, "my-api-key", V1_AUTH, "Hello, SMS!"), 404);
    /* V1 exactly as published. */
    assert_int_equal(web2_status(x, HTTP_POST, TS_OWNER_ADDR, "my-api-key", V1_AUTH, "Hello, SMS!"), 204);
    assert_int_equal(web2_status(x, HTTP_POST, TS_OWNER_ADDR, "my-api-key", V1_AUTH, "Hello, SMS!"), 409);
    assert_int_equal(web2_status(x, HTTP_HEAD, TS_OWNER_ADDR_LC, "MY-API-KEY", NULL, NULL), 204);
    assert_int_equal(web2_status(x, HTTP_HEAD, TS_OWNER_ADDR_UC, "my-api-key", NULL, NULL), 204);
    assert_int_equal(web2_status(x, HTTP_HEAD, TS_OWNER_ADDR, "other", NULL, NULL), 404);
    /* HEAD ignores an Authorization header and a body. */
    fake_request f;
    http_response r;
    web2_req(&f, HTTP_HEAD, TS_OWNER_ADDR, "my-api-key", "garbage", "body");
    call(x, &f, &r);
    fake_assert_empty(&r, 204);
    /* PUT with the same value: 204, no write. */
    assert_int_equal(web2_status(x, HTTP_PUT, TS_OWNER_ADDR, "my-api-key", V1_AUTH, "Hello, SMS!"), 204);
    /* PUT with a new value. */
    char sig[133];
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "my-api-key", "new", 3, sig);
    assert_int_equal(web2_status(x, HTTP_PUT, TS_OWNER_ADDR, "my-api-key", sig, "new"), 204);
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(x->secrets, SECRET_WEB2, TS_OWNER_ADDR, "my-api-key", &v, &n), SMS_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(v, "new", 3);
    secure_free(v, n + 1);
    /* Empty name is a name (present parameter with empty value). */
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "", "v", 1, sig);
    assert_int_equal(web2_status(x, HTTP_POST, TS_OWNER_ADDR, "", sig, "v"), 204);
    assert_int_equal(web2_status(x, HTTP_HEAD, TS_OWNER_ADDR, "", NULL, NULL), 204);
    assert_int_equal(metric(x, "web2", "addedSinceStartCount"), 2);
}

/* The asynchronous path of the event threads: defer, write queued, completion fills the
 * response from the store's writer thread. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int deferred;
    int completed;
} fake_transport;

static fake_transport g_transport = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

static int fake_defer(http_request *req)
{
    (void)req;
    pthread_mutex_lock(&g_transport.mu);
    g_transport.deferred++;
    pthread_mutex_unlock(&g_transport.mu);
    return 0;
}

static void fake_complete(http_request *req)
{
    (void)req;
    pthread_mutex_lock(&g_transport.mu);
    g_transport.completed++;
    pthread_cond_broadcast(&g_transport.cv);
    pthread_mutex_unlock(&g_transport.mu);
}

static unsigned deferred_status(api_fx *x, http_method m, const char *owner, const char *name, const char *auth,
                                const char *body, int *was_deferred)
{
    fake_request f;
    http_response r;
    web2_req(&f, m, owner, name, auth, body);
    f.req.defer = fake_defer;
    f.req.complete = fake_complete;
    pthread_mutex_lock(&g_transport.mu);
    int before_deferred = g_transport.deferred, before_completed = g_transport.completed;
    pthread_mutex_unlock(&g_transport.mu);
    http_response_init(&r);
    if (m == HTTP_POST)
        api_web2_post(&x->app, &f.req, &r);
    else
        api_web2_put(&x->app, &f.req, &r);
    pthread_mutex_lock(&g_transport.mu);
    *was_deferred = g_transport.deferred > before_deferred;
    if (*was_deferred)
        while (g_transport.completed == before_completed) pthread_cond_wait(&g_transport.cv, &g_transport.mu);
    assert_int_equal(g_transport.completed - before_completed, *was_deferred ? 1 : 0);
    pthread_mutex_unlock(&g_transport.mu);
    unsigned status = r.status;
    http_response_clear(&r);
    return status;
}

static void test_web2_deferred_writes(void **state)
{
    api_fx *x = *state;
    int deferred = 0;
    assert_true(store_has_async_writes(x->store));
    /* Success: deferred, completed once by the writer, 204, durable and counted. */
    assert_int_equal(deferred_status(x, HTTP_POST, TS_OWNER_ADDR, "my-api-key", V1_AUTH, "Hello, SMS!", &deferred),
                     204);
    assert_true(deferred);
    assert_int_equal(web2_status(x, HTTP_HEAD, TS_OWNER_ADDR, "my-api-key", NULL, NULL), 204);
    assert_int_equal(metric(x, "web2", "addedSinceStartCount"), 1);
    /* Duplicate: the conflict comes back through the completion. */
    assert_int_equal(deferred_status(x, HTTP_POST, TS_OWNER_ADDR, "my-api-key", V1_AUTH, "Hello, SMS!", &deferred),
                     409);
    /* A refusal before any write still completes the deferred request exactly once. */
    assert_int_equal(deferred_status(x, HTTP_POST, TS_OWNER_ADDR, "my-api-key", "0x1234", "Hello, SMS!", &deferred),
                     401);
    /* Binding failures answer at once, without deferring. */
    assert_int_equal(deferred_status(x, HTTP_POST, TS_OWNER_ADDR, "my-api-key", NULL, "Hello, SMS!", &deferred), 400);
    assert_false(deferred);
    /* PUT: unchanged value answers without a write; a new value goes through the writer. */
    assert_int_equal(deferred_status(x, HTTP_PUT, TS_OWNER_ADDR, "my-api-key", V1_AUTH, "Hello, SMS!", &deferred),
                     204);
    char sig[133];
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "my-api-key", "newer", 5, sig);
    assert_int_equal(deferred_status(x, HTTP_PUT, TS_OWNER_ADDR, "my-api-key", sig, "newer", &deferred), 204);
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(x->secrets, SECRET_WEB2, TS_OWNER_ADDR, "my-api-key", &v, &n), SMS_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(v, "newer", 5);
    secure_free(v, n + 1);
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "absent", "x", 1, sig);
    assert_int_equal(deferred_status(x, HTTP_PUT, TS_OWNER_ADDR, "absent", sig, "x", &deferred), 404);
    assert_int_equal(metric(x, "web2", "addedSinceStartCount"), 1); /* updates are not additions */
}

static void test_web2_auth_failures_are_empty_401(void **state)
{
    api_fx *x = *state;
    char sig[133];
    /* Wrong signer. */
    ts_sign_named(TS_WORKER_KEY, TS_OWNER_ADDR, "n", "v", 1, sig);
    assert_int_equal(web2_status(x, HTTP_POST, TS_OWNER_ADDR, "n", sig, "v"), 401);
    assert_int_equal(web2_status(x, HTTP_PUT, TS_OWNER_ADDR, "n", sig, "v"), 401);
    /* v = 0x01 (reference: 401). */
    char v01[133];
    memcpy(v01, V1_AUTH, 130);
    memcpy(v01 + 130, "01", 3);
    assert_int_equal(web2_status(x, HTTP_POST, TS_OWNER_ADDR, "my-api-key", v01, "Hello, SMS!"), 401);
    /* Malformed signatures: 401 here ([fix] of the reference's 500). */
    static const char *const bad[] = {"", "0x", "Bearer x", "0x1234", "zz"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(web2_status(x, HTTP_POST, TS_OWNER_ADDR, "my-api-key", bad[i], "Hello, SMS!"), 401);
    /* The name is signed as sent. */
    assert_int_equal(web2_status(x, HTTP_POST, TS_OWNER_ADDR, "MY-API-KEY", V1_AUTH, "Hello, SMS!"), 401);
    assert_int_equal(web2_status(x, HTTP_HEAD, TS_OWNER_ADDR, "my-api-key", NULL, NULL), 404);
}

static void test_web2_size_and_name_limits(void **state)
{
    api_fx *x = *state;
    char sig[133];
    char *v4096 = filler(4096, 'a');
    char *v4097 = filler(4097, 'b');
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "big", v4096, 4096, sig);
    assert_int_equal(web2_status(x, HTTP_POST, TS_OWNER_ADDR, "big", sig, v4096), 204);
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "big2", v4097, 4097, sig);
    assert_int_equal(web2_status(x, HTTP_POST, TS_OWNER_ADDR, "big2", sig, v4097), 413);
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "big", v4097, 4097, sig);
    assert_int_equal(web2_status(x, HTTP_PUT, TS_OWNER_ADDR, "big", sig, v4097), 413);
    /* Auth first: 401 for an oversized value with a bad signature. */
    assert_int_equal(web2_status(x, HTTP_POST, TS_OWNER_ADDR, "big2", V1_AUTH, v4097), 401);
    /* Name longer than 255 characters: 409 (reference column limit). */
    char *n256 = filler(256, 'n');
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, n256, "v", 1, sig);
    assert_int_equal(web2_status(x, HTTP_POST, TS_OWNER_ADDR, n256, sig, "v"), 409);
    free(n256);
    free(v4096);
    free(v4097);
}

static void test_web2_head_unstorable_identity_is_404(void **state)
{
    api_fx *x = *state;
    /* The reference looks such names up and finds nothing: 404, never 500. */
    char *n256 = filler(256, 'n');
    unsigned st = web2_status(x, HTTP_HEAD, TS_OWNER_ADDR, n256, NULL, NULL);
    free(n256);
    if (st != 404) fail_msg("HEAD with a 256-character name: %u", st);
    char *o300 = filler(300, 'o');
    st = web2_status(x, HTTP_HEAD, o300, "n", NULL, NULL);
    free(o300);
    if (st != 404) fail_msg("HEAD with a 300-character owner: %u", st);
    st = web2_status(x, HTTP_HEAD, "", "n", NULL, NULL);
    if (st != 404) fail_msg("HEAD with an empty owner: %u", st);
}

/* ---- /secrets/web3 ---- */

static unsigned web3_status(api_fx *x, http_method m, const char *address, const char *auth, const char *body)
{
    fake_request f;
    http_response r;
    fake_request_init(&f, m, "/secrets/web3");
    if (address != NULL) fake_request_query(&f, "secretAddress", address);
    if (auth != NULL) fake_request_header(&f, "Authorization", auth);
    if (body != NULL) fake_request_body_str(&f, body);
    call(x, &f, &r);
    unsigned st = r.status;
    if (st == 400 || st == 405 || st == 500) fake_assert_spring_error(&r, st, "/secrets/web3");
    else fake_assert_empty(&r, st);
    http_response_clear(&r);
    return st;
}

static void test_web3(void **state)
{
    api_fx *x = *state;
    /* Binding. */
    assert_int_equal(web3_status(x, HTTP_HEAD, NULL, NULL, NULL), 400);
    assert_int_equal(web3_status(x, HTTP_POST, V2_ADDR, NULL, V2_VALUE), 400);
    assert_int_equal(web3_status(x, HTTP_POST, NULL, V2_AUTH, V2_VALUE), 400);
    assert_int_equal(web3_status(x, HTTP_POST, V2_ADDR, V2_AUTH, NULL), 400);
    assert_int_equal(web3_status(x, HTTP_POST, "0x1234", V2_AUTH, V2_VALUE), 400);
    assert_int_equal(web3_status(x, HTTP_POST, "0xZZ38Da6a701c568545dCfcB03FcB875f56beddC4", V2_AUTH, V2_VALUE), 400);
    /* Owner unknown on chain (revert): 401 whatever the signature. */
    assert_int_equal(web3_status(x, HTTP_POST, V2_ADDR, V2_AUTH, V2_VALUE), 401);
    assert_int_equal(web3_status(x, HTTP_POST, &V2_ADDR[2], V2_AUTH, V2_VALUE), 401);
    assert_int_equal(web3_status(x, HTTP_HEAD, V2_ADDR, NULL, NULL), 404);
    /* V2 with the owner resolved. */
    fake_rpc_set_owner(x->rpc, V2_ADDR, TS_OWNER_ADDR);
    assert_int_equal(web3_status(x, HTTP_POST, V2_ADDR, V2_AUTH, V2_VALUE), 204);
    assert_int_equal(web3_status(x, HTTP_POST, V2_ADDR, V2_AUTH, V2_VALUE), 409);
    assert_int_equal(web3_status(x, HTTP_HEAD, "0x5b38da6a701c568545dcfcb03fcb875f56beddc4", NULL, NULL), 204);
    /* Wrong signer, too big. */
    const char *a = "0x6666666666666666666666666666666666666666";
    fake_rpc_set_owner(x->rpc, a, TS_OWNER_ADDR);
    char sig[133];
    ts_sign_web3(TS_WORKER_KEY, a, "v", 1, sig);
    assert_int_equal(web3_status(x, HTTP_POST, a, sig, "v"), 401);
    char *big = filler(4097, 'z');
    ts_sign_web3(TS_OWNER_KEY, a, big, 4097, sig);
    assert_int_equal(web3_status(x, HTTP_POST, a, sig, big), 413);
    assert_int_equal(web3_status(x, HTTP_POST, a, V2_AUTH, big), 401);
    free(big);
    assert_int_equal(metric(x, "web3", "addedSinceStartCount"), 1);
    /* A node answering HTTP 5xx is unavailable: 503, empty body. */
    fake_rpc_set_mode(x->rpc, FAKE_RPC_HTTP_500);
    ts_sign_web3(TS_OWNER_KEY, a, "v", 1, sig);
    assert_int_equal(web3_status(x, HTTP_POST, a, sig, "v"), 503);
    fake_rpc_set_mode(x->rpc, FAKE_RPC_ANSWER);
    assert_int_equal(web3_status(x, HTTP_POST, a, sig, "v"), 204);
    /* web3 has no PUT. */
    assert_int_equal(web3_status(x, HTTP_PUT, a, sig, "v"), 405);
}

static void test_web3_chain_unavailable(void **state)
{
    api_fx *x = *state;
    const char *a = "0x7777777777777777777777777777777777777777";
    fake_rpc_set_owner(x->rpc, a, TS_OWNER_ADDR);
    fake_rpc_set_mode(x->rpc, FAKE_RPC_SILENT);
    char sig[133];
    ts_sign_web3(TS_OWNER_KEY, a, "v", 1, sig);
    /* A node that never answers: not a 401 (the client may retry) and never a 500. */
    assert_int_equal(web3_status(x, HTTP_POST, a, sig, "v"), 503);
    assert_int_equal(web3_status(x, HTTP_HEAD, a, NULL, NULL), 404);
}

/* ---- /apps/{app}/secrets ---- */

static void app_call(api_fx *x, http_method m, const char *app, const char *auth, const char *body,
                     http_response *r)
{
    static char path[512];
    fake_request f;
    snprintf(path, sizeof path, "/apps/%s/secrets", app);
    fake_request_init(&f, m, path);
    if (auth != NULL) fake_request_header(&f, "Authorization", auth);
    if (body != NULL) fake_request_body_str(&f, body);
    call(x, &f, r);
}

static void test_apps(void **state)
{
    api_fx *x = *state;
    http_response r;
    char path[512];
    snprintf(path, sizeof path, "/apps/%s/secrets", V3_APP);
    app_call(x, HTTP_HEAD, V3_APP, NULL, NULL, &r);
    fake_assert_error_list(&r, 404, MSG_NOT_FOUND);
    http_response_clear(&r);
    /* Binding failures: Spring error JSON. */
    app_call(x, HTTP_POST, V3_APP, NULL, V3_VALUE, &r);
    fake_assert_spring_error(&r, 400, path);
    http_response_clear(&r);
    app_call(x, HTTP_POST, V3_APP, V3_AUTH, NULL, &r);
    fake_assert_spring_error(&r, 400, path);
    http_response_clear(&r);
    app_call(x, HTTP_POST, "0x1234", V3_AUTH, V3_VALUE, &r);
    fake_assert_spring_error(&r, 400, "/apps/0x1234/secrets");
    http_response_clear(&r);
    /* Owner unknown: 401 error list. */
    app_call(x, HTTP_POST, V3_APP, V3_AUTH, V3_VALUE, &r);
    fake_assert_error_list(&r, 401, MSG_INVALID_AUTH);
    http_response_clear(&r);
    /* No 0x: 401 too. */
    app_call(x, HTTP_POST, &V3_APP[2], V3_AUTH, V3_VALUE, &r);
    fake_assert_error_list(&r, 401, MSG_INVALID_AUTH);
    http_response_clear(&r);
    /* V3 with the owner resolved. */
    fake_rpc_set_owner(x->rpc, V3_APP, TS_OWNER_ADDR);
    app_call(x, HTTP_POST, V3_APP, V3_AUTH, V3_VALUE, &r);
    fake_assert_empty(&r, 204);
    app_call(x, HTTP_POST, V3_APP, V3_AUTH, V3_VALUE, &r);
    fake_assert_error_list(&r, 409, MSG_EXISTS);
    http_response_clear(&r);
    app_call(x, HTTP_HEAD, "0xab8483f64d9c6d1ecf9b849ae677dd3315835cb2", NULL, NULL, &r);
    fake_assert_empty(&r, 204);
    /* Wrong signer. */
    char sig[133];
    ts_sign_named(TS_WORKER_KEY, V3_APP, "1", V3_VALUE, strlen(V3_VALUE), sig);
    app_call(x, HTTP_POST, V3_APP, sig, V3_VALUE, &r);
    fake_assert_error_list(&r, 401, MSG_INVALID_AUTH);
    http_response_clear(&r);
    /* 413 with the error list, after auth. */
    const char *app2 = "0x8888888888888888888888888888888888888888";
    fake_rpc_set_owner(x->rpc, app2, TS_OWNER_ADDR);
    char *big = filler(4097, 'q');
    ts_sign_named(TS_OWNER_KEY, app2, "1", big, 4097, sig);
    app_call(x, HTTP_POST, app2, sig, big, &r);
    fake_assert_error_list(&r, 413, MSG_TOO_BIG);
    http_response_clear(&r);
    app_call(x, HTTP_POST, app2, V3_AUTH, big, &r);
    fake_assert_error_list(&r, 401, MSG_INVALID_AUTH);
    http_response_clear(&r);
    free(big);
    /* Node unavailable: 503 with an error list, never a 500. */
    fake_rpc_set_mode(x->rpc, FAKE_RPC_HTTP_500);
    ts_sign_named(TS_OWNER_KEY, app2, "1", "v", 1, sig);
    app_call(x, HTTP_POST, app2, sig, "v", &r);
    assert_int_equal(r.status, 503);
    json_t *doc = fake_response_json(&r);
    assert_true(json_is_array(json_object_get(doc, "error")));
    assert_int_equal(json_object_size(doc), 1);
    json_decref(doc);
    http_response_clear(&r);
    fake_rpc_set_mode(x->rpc, FAKE_RPC_ANSWER);
    /* Wrong method and paths. */
    app_call(x, HTTP_PUT, app2, sig, "v", &r);
    fake_assert_spring_error(&r, 405, "/apps/0x8888888888888888888888888888888888888888/secrets");
    http_response_clear(&r);
    fake_request f;
    fake_request_init(&f, HTTP_POST, "/apps//secrets");
    call(x, &f, &r);
    fake_assert_spring_error(&r, 404, "/apps//secrets");
    http_response_clear(&r);
    assert_int_equal(metric(x, "compute", "addedSinceStartCount"), 1);
}

/* ---- /requesters/{addr}/secrets/{key} ---- */

static void req_call(api_fx *x, http_method m, const char *addr, const char *key, const char *auth, const char *body,
                     http_response *r, char *path, size_t cap)
{
    fake_request f;
    snprintf(path, cap, "/requesters/%s/secrets/%s", addr, key);
    fake_request_init(&f, m, path);
    if (auth != NULL) fake_request_header(&f, "Authorization", auth);
    if (body != NULL) fake_request_body_str(&f, body);
    call(x, &f, r);
}

static void test_requesters(void **state)
{
    api_fx *x = *state;
    http_response r;
    char path[512];
    req_call(x, HTTP_HEAD, TS_OWNER_ADDR, "my-key", NULL, NULL, &r, path, sizeof path);
    fake_assert_error_list(&r, 404, MSG_NOT_FOUND);
    http_response_clear(&r);
    /* Binding failures. */
    req_call(x, HTTP_POST, TS_OWNER_ADDR, "my-key", NULL, V4_VALUE, &r, path, sizeof path);
    fake_assert_spring_error(&r, 400, path);
    http_response_clear(&r);
    req_call(x, HTTP_POST, TS_OWNER_ADDR, "my-key", V4_AUTH, NULL, &r, path, sizeof path);
    fake_assert_spring_error(&r, 400, path);
    http_response_clear(&r);
    req_call(x, HTTP_POST, "0x1234", "my-key", V4_AUTH, V4_VALUE, &r, path, sizeof path);
    fake_assert_spring_error(&r, 400, path);
    http_response_clear(&r);
    req_call(x, HTTP_POST, "0xZZ9Fd6e51aad88F6F4ce6aB8827279cffFb92266", "my-key", V4_AUTH, V4_VALUE, &r, path,
             sizeof path);
    fake_assert_spring_error(&r, 400, path);
    http_response_clear(&r);
    /* V4 exactly. */
    req_call(x, HTTP_POST, TS_OWNER_ADDR, "my-key", V4_AUTH, V4_VALUE, &r, path, sizeof path);
    fake_assert_empty(&r, 204);
    req_call(x, HTTP_POST, TS_OWNER_ADDR_LC, "my-key", V4_AUTH, V4_VALUE, &r, path, sizeof path);
    fake_assert_error_list(&r, 409, MSG_EXISTS);
    http_response_clear(&r);
    req_call(x, HTTP_HEAD, TS_OWNER_ADDR_UC, "my-key", NULL, NULL, &r, path, sizeof path);
    fake_assert_empty(&r, 204);
    req_call(x, HTTP_HEAD, TS_OWNER_ADDR, "MY-KEY", NULL, NULL, &r, path, sizeof path);
    fake_assert_error_list(&r, 404, MSG_NOT_FOUND);
    http_response_clear(&r);
    /* No 0x: 401 list. */
    req_call(x, HTTP_POST, TS_OWNER_ADDR_NOX, "my-key", V4_AUTH, V4_VALUE, &r, path, sizeof path);
    fake_assert_error_list(&r, 401, MSG_INVALID_AUTH);
    http_response_clear(&r);
    /* Invalid key: after a valid signature 400, with a bad one 401. */
    char sig[133];
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "bad.key", "v", 1, sig);
    req_call(x, HTTP_POST, TS_OWNER_ADDR, "bad.key", sig, "v", &r, path, sizeof path);
    fake_assert_error_list(&r, 400, MSG_BAD_KEY);
    http_response_clear(&r);
    ts_sign_named(TS_WORKER_KEY, TS_OWNER_ADDR, "bad.key", "v", 1, sig);
    req_call(x, HTTP_POST, TS_OWNER_ADDR, "bad.key", sig, "v", &r, path, sizeof path);
    fake_assert_error_list(&r, 401, MSG_INVALID_AUTH);
    http_response_clear(&r);
    /* Too big: 400 with the size message (not 413). */
    char *big = filler(4097, 'q');
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "big", big, 4097, sig);
    req_call(x, HTTP_POST, TS_OWNER_ADDR, "big", sig, big, &r, path, sizeof path);
    fake_assert_error_list(&r, 400, MSG_TOO_BIG);
    http_response_clear(&r);
    req_call(x, HTTP_POST, TS_OWNER_ADDR, "big", V4_AUTH, big, &r, path, sizeof path);
    fake_assert_error_list(&r, 401, MSG_INVALID_AUTH);
    http_response_clear(&r);
    free(big);
    assert_int_equal(metric(x, "compute", "addedSinceStartCount"), 1);
}

static void test_requester_head_key_validation(void **state)
{
    api_fx *x = *state;
    http_response r;
    char path[512];
    char *k64 = filler(64, 'k');
    char *k65 = filler(65, 'k');
    static const char *const bad[] = {"bad.key", "a%20b", "cl\xc3\xa9", "a+b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        req_call(x, HTTP_HEAD, TS_OWNER_ADDR, bad[i], NULL, NULL, &r, path, sizeof path);
        fake_assert_error_list(&r, 400, MSG_BAD_KEY);
        http_response_clear(&r);
    }
    req_call(x, HTTP_HEAD, TS_OWNER_ADDR, k65, NULL, NULL, &r, path, sizeof path);
    fake_assert_error_list(&r, 400, MSG_BAD_KEY);
    http_response_clear(&r);
    req_call(x, HTTP_HEAD, TS_OWNER_ADDR, k64, NULL, NULL, &r, path, sizeof path);
    fake_assert_error_list(&r, 404, MSG_NOT_FOUND);
    http_response_clear(&r);
    /* The exact body of the reference for the key rule. */
    req_call(x, HTTP_HEAD, TS_OWNER_ADDR, "a.b", NULL, NULL, &r, path, sizeof path);
    assert_string_equal(r.body,
                        "{\"error\":[\"Secret key should contain at most 64 characters from [0-9A-Za-z-_]\"]}");
    http_response_clear(&r);
    /* An empty key is an empty segment: no route. */
    req_call(x, HTTP_HEAD, TS_OWNER_ADDR, "", NULL, NULL, &r, path, sizeof path);
    fake_assert_spring_error(&r, 404, path);
    http_response_clear(&r);
    free(k64);
    free(k65);
}

static void test_handlers_called_directly(void **state)
{
    api_fx *x = *state;
    /* Without routing: variables given by hand, as a transport would. */
    fake_request f;
    http_response r;
    fake_request_init(&f, HTTP_HEAD, "/requesters/x/secrets/y");
    fake_request_var(&f, TS_OWNER_ADDR);
    fake_request_var(&f, "not valid!");
    http_response_init(&r);
    api_requester_head(&x->app, &f.req, &r);
    fake_assert_error_list(&r, 400, MSG_BAD_KEY);
    http_response_clear(&r);
    fake_request_init(&f, HTTP_HEAD, "/apps/x/secrets");
    fake_request_var(&f, V3_APP);
    http_response_init(&r);
    api_app_head(&x->app, &f.req, &r);
    fake_assert_error_list(&r, 404, MSG_NOT_FOUND);
    http_response_clear(&r);
    web2_req(&f, HTTP_POST, TS_OWNER_ADDR, "my-api-key", V1_AUTH, "Hello, SMS!");
    http_response_init(&r);
    api_web2_post(&x->app, &f.req, &r);
    fake_assert_empty(&r, 204);
    web2_req(&f, HTTP_HEAD, TS_OWNER_ADDR, "my-api-key", NULL, NULL);
    http_response_init(&r);
    api_web2_head(&x->app, &f.req, &r);
    fake_assert_empty(&r, 204);
    fake_request_init(&f, HTTP_HEAD, "/secrets/web3");
    fake_request_query(&f, "secretAddress", V2_ADDR);
    http_response_init(&r);
    api_web3_head(&x->app, &f.req, &r);
    fake_assert_empty(&r, 404);
}

/* ---- filters ---- */

static void filter(api_fx *x, http_method m, const char *path, const char *api_key, http_response *r, int *handled)
{
    fake_request f;
    fake_request_init(&f, m, path);
    if (api_key != NULL) fake_request_header(&f, "X-API-KEY", api_key);
    http_response_init(r);
    *handled = api_pre_route(&x->app, &f.req, r);
}

static void test_admin_filter_disabled(void **state)
{
    api_fx *x = *state;
    static const char *const paths[] = {"/admin", "/admin/", "/admin/backup", "/admin/2f6261636b7570/restore-backup",
                                        "/admin/unknown/path"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        http_response r;
        int handled = 0;
        filter(x, HTTP_POST, paths[i], NULL, &r, &handled);
        assert_int_equal(handled, 1);
        fake_assert_plain(&r, 403, MSG_DISABLED);
        http_response_clear(&r);
        /* Any key is refused the same way. */
        filter(x, HTTP_DELETE, paths[i], "anything", &r, &handled);
        assert_int_equal(handled, 1);
        fake_assert_plain(&r, 403, MSG_DISABLED);
        http_response_clear(&r);
    }
}

static void test_admin_filter_key(void **state)
{
    api_fx *x = *state;
    x->cfg.admin_api_key = (char *)"s3cret-key";
    http_response r;
    int handled = 0;
    static const char *const wrong[] = {"", "s3cret", "s3cret-ke", "s3cret-key ", "S3CRET-KEY", "s3cret-keyy", "x"};
    filter(x, HTTP_POST, "/admin/backup", NULL, &r, &handled);
    assert_int_equal(handled, 1);
    fake_assert_plain(&r, 401, MSG_UNAUTHORIZED);
    http_response_clear(&r);
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        filter(x, HTTP_POST, "/admin/backup", wrong[i], &r, &handled);
        assert_int_equal(handled, 1);
        fake_assert_plain(&r, 401, MSG_UNAUTHORIZED);
        http_response_clear(&r);
    }
    /* The right key: the request continues, the response is untouched. */
    filter(x, HTTP_POST, "/admin/backup", "s3cret-key", &r, &handled);
    assert_int_equal(handled, 0);
    assert_int_equal(r.status, 500);
    assert_null(r.body);
    /* Header names are case-insensitive. */
    fake_request f;
    fake_request_init(&f, HTTP_POST, "/admin/backup");
    fake_request_header(&f, "x-api-key", "s3cret-key");
    http_response_init(&r);
    assert_int_equal(api_pre_route(&x->app, &f.req, &r), 0);
    /* "/adminx" and "/administrator" are not under /admin: routed normally (404). */
    static const char *const not_admin[] = {"/adminx", "/administrator", "/x/admin", "/Admin"};
    for (size_t i = 0; i < sizeof not_admin / sizeof not_admin[0]; i++) {
        filter(x, HTTP_POST, not_admin[i], NULL, &r, &handled);
        assert_int_equal(handled, 0);
        fake_request_init(&f, HTTP_POST, not_admin[i]);
        call(x, &f, &r);
        fake_assert_spring_error(&r, 404, not_admin[i]);
        http_response_clear(&r);
    }
}

static void *reopen_gate_later(void *arg)
{
    sms_app *app = arg;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    atomic_store(&app->online, 1);
    return NULL;
}

static void test_out_of_service_filter(void **state)
{
    api_fx *x = *state;
    static const char *const guarded[] = {"/secrets/web2", "/secrets/web3", "/secrets", "/secrets/unknown",
                                          "/tee/x", "/tee", "/tee/challenges/0xab",
                                          "/apps/" V3_APP "/secrets", "/apps",
                                          "/requesters/" TS_OWNER_ADDR "/secrets/k"};
    static const char *const open_paths[] = {"/version", "/actuator/health", "/actuator", "/metrics",
                                             "/actuator/prometheus", "/secretsx", "/teex", "/appsx", "/",
                                             "/v3/api-docs"};
    http_response r;
    int handled = 0;
    /* Disabled: while the gate is closed (a restore swapping), a guarded request waits for
     * it to reopen instead of being refused. */
    atomic_store(&x->app.online, 0);
    pthread_t reopener;
    assert_int_equal(pthread_create(&reopener, NULL, reopen_gate_later, &x->app), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    filter(x, HTTP_POST, "/secrets/web2", NULL, &r, &handled);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(reopener, NULL);
    assert_int_equal(handled, 0);
    long waited_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(waited_ms >= 40);
    assert_int_equal(atomic_load(&x->app.guarded_in_flight), 1); /* admitted, until observed */
    fake_request done;
    fake_request_init(&done, HTTP_POST, "/secrets/web2");
    done.req.app_flags = 1;
    api_observe(&x->app, &done.req, 204, 1);
    assert_int_equal(atomic_load(&x->app.guarded_in_flight), 0);
    /* The drain: api_quiesce returns at once with nothing in flight, api_resume reopens. */
    assert_int_equal(api_quiesce(&x->app), 0);
    assert_int_equal(atomic_load(&x->app.online), 0);
    api_resume(&x->app);
    assert_int_equal(atomic_load(&x->app.online), 1);
    atomic_store(&x->app.online, 0);
    /* Enabled and online: nothing guarded. */
    x->cfg.out_of_service_enabled = 1;
    atomic_store(&x->app.online, 1);
    filter(x, HTTP_POST, "/secrets/web2", NULL, &r, &handled);
    assert_int_equal(handled, 0);
    /* Enabled and offline. */
    atomic_store(&x->app.online, 0);
    for (size_t i = 0; i < sizeof guarded / sizeof guarded[0]; i++) {
        filter(x, HTTP_HEAD, guarded[i], NULL, &r, &handled);
        if (handled != 1) fail_msg("%s not guarded", guarded[i]);
        fake_assert_plain(&r, 503, MSG_MAINTENANCE);
        http_response_clear(&r);
    }
    for (size_t i = 0; i < sizeof open_paths / sizeof open_paths[0]; i++) {
        filter(x, HTTP_GET, open_paths[i], NULL, &r, &handled);
        if (handled != 0) fail_msg("%s guarded", open_paths[i]);
        http_response_clear(&r);
    }
    /* /admin keeps its own filter (403 when no key), never the 503. */
    filter(x, HTTP_POST, "/admin/backup", NULL, &r, &handled);
    assert_int_equal(handled, 1);
    fake_assert_plain(&r, 403, MSG_DISABLED);
    http_response_clear(&r);
    /* /version still answers while offline. */
    fake_request f;
    fake_request_init(&f, HTTP_GET, "/version");
    call(x, &f, &r);
    assert_int_equal(r.status, 200);
    http_response_clear(&r);
}

/* ---- ops ---- */

static void test_version(void **state)
{
    api_fx *x = *state;
    fake_request f;
    http_response r;
    fake_request_init(&f, HTTP_GET, "/version");
    call(x, &f, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/plain;charset=UTF-8");
    assert_int_equal(r.body_len, strlen(SMS_VERSION));
    assert_memory_equal(r.body, SMS_VERSION, r.body_len);
    /* "9.3.1"-like: digits and dots first, no quotes, no newline. */
    assert_true(r.body[0] >= '0' && r.body[0] <= '9');
    assert_null(memchr(r.body, '\n', r.body_len));
    assert_null(memchr(r.body, '"', r.body_len));
    http_response_clear(&r);
    /* HEAD is served by the GET route. */
    fake_request_init(&f, HTTP_HEAD, "/version");
    call(x, &f, &r);
    assert_int_equal(r.status, 200);
    http_response_clear(&r);
    fake_request_init(&f, HTTP_POST, "/version");
    call(x, &f, &r);
    fake_assert_spring_error(&r, 405, "/version");
    http_response_clear(&r);
}

static void test_metrics_endpoint(void **state)
{
    api_fx *x = *state;
    assert_int_equal(web2_status(x, HTTP_POST, TS_OWNER_ADDR, "my-api-key", V1_AUTH, "Hello, SMS!"), 204);
    fake_request f;
    http_response r;
    fake_request_init(&f, HTTP_GET, "/metrics");
    call(x, &f, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    json_t *doc = fake_response_json(&r);
    json_t *all = json_object_get(doc, "secretsMetrics");
    assert_true(json_is_object(all));
    assert_int_equal(json_object_size(all), 5);
    static const char *const types[] = {"web2", "web3", "compute", "TEE challenges", "Ethereum Credentials"};
    for (size_t i = 0; i < 5; i++) {
        json_t *e = json_object_get(all, types[i]);
        assert_true(json_is_object(e));
        assert_string_equal(json_string_value(json_object_get(e, "secretsType")), types[i]);
    }
    assert_int_equal(json_integer_value(json_object_get(json_object_get(all, "web2"), "addedSinceStartCount")), 1);
    json_decref(doc);
    http_response_clear(&r);
}

static void test_health(void **state)
{
    api_fx *x = *state;
    fake_request f;
    http_response r;
    fake_request_init(&f, HTTP_GET, "/actuator/health");
    call(x, &f, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.body, "{\"status\":\"UP\"}");
    http_response_clear(&r);
    /* With a data directory to check for free space. */
    snprintf(x->app.data_dir, sizeof x->app.data_dir, "%s", x->dir);
    fake_request_init(&f, HTTP_HEAD, "/actuator/health");
    call(x, &f, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"UP\"}");
    http_response_clear(&r);
    fake_request_init(&f, HTTP_GET, "/actuator/health/");
    call(x, &f, &r);
    fake_assert_spring_error(&r, 404, "/actuator/health/");
    http_response_clear(&r);
}

static void test_actuator_links(void **state)
{
    api_fx *x = *state;
    fake_request f;
    http_response r;
    fake_request_init(&f, HTTP_GET, "/actuator");
    fake_request_header(&f, "Host", "sms.example:13300");
    call(x, &f, &r);
    assert_int_equal(r.status, 200);
    json_t *doc = fake_response_json(&r);
    json_t *links = json_object_get(doc, "_links");
    assert_true(json_is_object(links));
    assert_string_equal(json_string_value(json_object_get(json_object_get(links, "self"), "href")),
                        "http://sms.example:13300/actuator");
    assert_string_equal(json_string_value(json_object_get(json_object_get(links, "health"), "href")),
                        "http://sms.example:13300/actuator/health");
    assert_string_equal(json_string_value(json_object_get(json_object_get(links, "health-path"), "href")),
                        "http://sms.example:13300/actuator/health/{*path}");
    assert_true(json_is_false(json_object_get(json_object_get(links, "self"), "templated")));
    assert_true(json_is_true(json_object_get(json_object_get(links, "health-path"), "templated")));
    json_decref(doc);
    http_response_clear(&r);
}

static void test_prometheus_endpoint(void **state)
{
    api_fx *x = *state;
    fake_request f;
    http_response r;
    fake_request_init(&f, HTTP_GET, "/actuator/prometheus");
    call(x, &f, &r);
    fake_assert_spring_error(&r, 404, "/actuator/prometheus");
    http_response_clear(&r);
    x->cfg.prometheus_exposed = 1;
    x->cfg.framework = TEE_FRAMEWORK_SCONE;
    /* Requests observed through the hook show up by route label. */
    fake_request_init(&f, HTTP_GET, "/version");
    call(x, &f, &r);
    api_observe(&x->app, &f.req, r.status, 1234);
    http_response_clear(&r);
    api_observe(&x->app, NULL, 404, 10);
    fake_request_init(&f, HTTP_GET, "/actuator/prometheus");
    call(x, &f, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(r.content_type);
    assert_non_null(strstr(r.content_type, "text/plain"));
    char line[256];
    snprintf(line, sizeof line,
             "iexec_version_info{iexecAppName=\"iexec-sms\",iexecAppVersion=\"%s\",teeFramework=\"SCONE\"} 1\n",
             SMS_VERSION);
    assert_non_null(strstr(r.body, line));
    assert_non_null(strstr(r.body, "http_server_requests_total{route=\"/version\",status=\"200\"} 1\n"));
    assert_non_null(strstr(r.body, "http_server_requests_total{route=\"unmatched\",status=\"404\"} 1\n"));
    assert_non_null(strstr(r.body, "iexec_sms_secrets_ethereum_credentials_added_total 0\n"));
    http_response_clear(&r);
    /* The hook tolerates an app without metrics. */
    x->app.metrics = NULL;
    api_observe(&x->app, 0, 200, 1);
}

static void test_actuator_without_host(void **state)
{
    api_fx *x = *state;
    fake_request f;
    http_response r;
    fake_request_init(&f, HTTP_GET, "/actuator");
    call(x, &f, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"http://localhost/actuator\""));
    http_response_clear(&r);
    /* A Host that is not UTF-8, or long enough to be cut mid-character: still a valid
     * document (U+FFFD in place of the bad bytes), never an empty 500. */
    char long_host[300];
    memset(long_host, 'a', 292);
    memcpy(long_host + 292, "\xc3\xa9", 3);
    const char *hosts[] = {"\xe2", "bad\xff\xfehost", long_host};
    for (size_t i = 0; i < 3; i++) {
        fake_request_init(&f, HTTP_GET, "/actuator");
        fake_request_header(&f, "Host", hosts[i]);
        call(x, &f, &r);
        assert_int_equal(r.status, 200);
        json_t *doc = json_loads(r.body, 0, NULL);
        assert_non_null(doc);
        json_decref(doc);
        http_response_clear(&r);
    }
    /* A data directory that cannot be examined does not fail health. */
    snprintf(x->app.data_dir, sizeof x->app.data_dir, "/nonexistent/sms-data-dir");
    fake_request_init(&f, HTTP_GET, "/actuator/health");
    call(x, &f, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"UP\"}");
    http_response_clear(&r);
}

static void test_database_down(void **state)
{
    api_fx *x = *state;
    /* The same app on a store whose every operation fails. */
    sms_store *down = NULL;
    assert_int_equal(failing_store_open(SMS_ESTORE, &down), SMS_OK);
    sms_metrics *m = metrics_new(NULL, 0);
    assert_non_null(m);
    secrets_service *svc = NULL;
    assert_int_equal(secrets_service_new(down, x->key, x->chain, m, 10, &svc), SMS_OK);
    x->app.store = down;
    x->app.secrets = svc;
    x->app.metrics = m;
    fake_request f;
    http_response r;
    /* Health: 503 DOWN. */
    fake_request_init(&f, HTTP_GET, "/actuator/health");
    call(x, &f, &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.body, "{\"status\":\"DOWN\"}");
    http_response_clear(&r);
    /* Secret endpoints: 500 with the Spring error document, never a success or a 404. */
    web2_req(&f, HTTP_HEAD, TS_OWNER_ADDR, "my-api-key", NULL, NULL);
    expect_spring(x, &f, 500);
    web2_req(&f, HTTP_POST, TS_OWNER_ADDR, "my-api-key", V1_AUTH, "Hello, SMS!");
    expect_spring(x, &f, 500);
    web2_req(&f, HTTP_PUT, TS_OWNER_ADDR, "my-api-key", V1_AUTH, "Hello, SMS!");
    expect_spring(x, &f, 500);
    fake_request_init(&f, HTTP_HEAD, "/secrets/web3");
    fake_request_query(&f, "secretAddress", V2_ADDR);
    expect_spring(x, &f, 500);
    char path[512];
    app_call(x, HTTP_HEAD, V3_APP, NULL, NULL, &r);
    snprintf(path, sizeof path, "/apps/%s/secrets", V3_APP);
    fake_assert_spring_error(&r, 500, path);
    http_response_clear(&r);
    req_call(x, HTTP_HEAD, TS_OWNER_ADDR, "my-key", NULL, NULL, &r, path, sizeof path);
    fake_assert_spring_error(&r, 500, path);
    http_response_clear(&r);
    req_call(x, HTTP_POST, TS_OWNER_ADDR, "my-key", V4_AUTH, V4_VALUE, &r, path, sizeof path);
    fake_assert_spring_error(&r, 500, path);
    http_response_clear(&r);
    /* Authentication still comes first: a bad signature is 401, not 500. */
    req_call(x, HTTP_POST, TS_OWNER_ADDR, "my-key", V1_AUTH, V4_VALUE, &r, path, sizeof path);
    fake_assert_error_list(&r, 401, MSG_INVALID_AUTH);
    http_response_clear(&r);
    assert_int_equal(web2_status(x, HTTP_POST, TS_OWNER_ADDR, "my-api-key", V4_AUTH, "Hello, SMS!"), 401);
    /* /metrics reports the failed counts as -1. */
    fake_request_init(&f, HTTP_GET, "/metrics");
    call(x, &f, &r);
    assert_int_equal(r.status, 200);
    json_t *doc = fake_response_json(&r);
    json_t *w2 = json_object_get(json_object_get(doc, "secretsMetrics"), "web2");
    assert_int_equal(json_integer_value(json_object_get(w2, "initialCount")), -1);
    assert_int_equal(json_integer_value(json_object_get(w2, "storedCount")), -1);
    json_decref(doc);
    http_response_clear(&r);
    x->app.store = x->store;
    x->app.secrets = x->secrets;
    x->app.metrics = x->metrics;
    secrets_service_free(svc);
    metrics_free(m);
    store_close(down);
}

static void test_unknown_paths_and_methods(void **state)
{
    api_fx *x = *state;
    static const struct {
        http_method m;
        const char *path;
        unsigned status;
    } cases[] = {
        {HTTP_POST, "/secrets/web2/", 404}, {HTTP_GET, "/secrets/web2", 405}, {HTTP_DELETE, "/secrets/web2", 405},
        {HTTP_GET, "/nothing", 404},        {HTTP_POST, "/metrics", 405},    {HTTP_GET, "/Version", 404},
        {HTTP_PUT, "/apps/0x1/secrets", 405}, {HTTP_GET, "/requesters/0x1/secrets/k", 405},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_request f;
        http_response r;
        fake_request_init(&f, cases[i].m, cases[i].path);
        call(x, &f, &r);
        fake_assert_spring_error(&r, cases[i].status, cases[i].path);
        http_response_clear(&r);
    }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_web2_binding_failures),
        T(test_web2_malformed_owner_is_400),
        T(test_web2_lifecycle),
        T(test_web2_deferred_writes),
        T(test_web2_auth_failures_are_empty_401),
        T(test_web2_size_and_name_limits),
        T(test_web2_head_unstorable_identity_is_404),
        T(test_web3),
        cmocka_unit_test_setup_teardown(test_web3_chain_unavailable, setup_fast, teardown),
        T(test_apps),
        T(test_requesters),
        T(test_requester_head_key_validation),
        T(test_handlers_called_directly),
        T(test_admin_filter_disabled),
        T(test_admin_filter_key),
        T(test_out_of_service_filter),
        T(test_version),
        T(test_metrics_endpoint),
        T(test_health),
        T(test_actuator_links),
        T(test_prometheus_endpoint),
        T(test_unknown_paths_and_methods),
        T(test_actuator_without_host),
        T(test_database_down),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
