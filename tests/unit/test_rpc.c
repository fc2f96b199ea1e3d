/* JSON-RPC client (src/chain/rpc.c) and PoCo readers against a fake Ethereum node served by
 * libmicrohttpd inside this test, on 127.0.0.1 with an ephemeral port. */
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "chain/abi.h"
#include "chain/chain.h"
#include "chain/poco.h"
#include "chain/poco_cache.h"
#include "helpers/abi_builder.h"

typedef enum {
    M_ECHO,           /* result = the calldata */
    M_RPC_ERROR,      /* {"error":{"code":-32000,...}} */
    M_REVERT,         /* {"error":{"code":3,"message":"execution reverted","data":...}} */
    M_EMPTY,          /* result "0x" */
    M_NOT_HEX,        /* result "0xzz" */
    M_ODD_HEX,        /* result "0xabc" */
    M_NO_PREFIX,      /* result "abcd" */
    M_NULL_RESULT,    /* result null */
    M_WRONG_ID,       /* id + 1000 */
    M_GARBAGE,        /* not JSON */
    M_HTTP500,        /* valid body, status 500 */
    M_SLOW,           /* answers after SLOW_MS unless released */
    M_HUGE,           /* valid JSON padded beyond the client's cap */
    M_BATCH_DROP_ONE, /* batch: no answer for the 2nd call */
    M_BATCH_AS_OBJECT,/* batch: one error object instead of an array */
    M_FIXED,          /* result = srv.fixed */
    M_HUB             /* result looked up by calldata in the hub table, else revert */
} mode;

#define SLOW_MS 3000
#define MAX_HUB 16

typedef struct {
    struct MHD_Daemon *d;
    uint16_t port;
    atomic_int mode;
    atomic_int connections;
    atomic_int requests;
    atomic_int shape_errors;
    atomic_int release_slow;
    pthread_mutex_t mu;
    char last_from[64];
    char last_to[64];
    char fixed[256];
    int calls_per_request[64]; /* size of each JSON-RPC request (1 for a single call) */
    int n_logged;
    struct {
        char data[80];
        char *result;
    } hub[MAX_HUB];
    int n_hub;
} server;

static server srv;

typedef struct {
    char *p;
    size_t len;
} reqbuf;

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)c;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) atomic_fetch_add(&srv.connections, 1);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    reqbuf *b = *con_cls;
    if (b != NULL) {
        free(b->p);
        free(b);
        *con_cls = NULL;
    }
}

static int is_hex_addr(const char *s, int lower_only)
{
    if (s == NULL || strlen(s) != 42 || s[0] != '0' || s[1] != 'x') return 0;
    for (int i = 2; i < 42; i++) {
        char ch = s[i];
        int ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (!lower_only && ch >= 'A' && ch <= 'F');
        if (!ok) return 0;
    }
    return 1;
}

/* Checks one eth_call request object; returns its calldata (borrowed) or NULL. */
static const char *check_call(json_t *req)
{
    json_t *params = json_object_get(req, "params");
    json_t *call = json_array_get(params, 0);
    const char *from = json_string_value(json_object_get(call, "from"));
    const char *to = json_string_value(json_object_get(call, "to"));
    const char *data = json_string_value(json_object_get(call, "data"));
    if (!json_is_string(json_object_get(req, "jsonrpc")) ||
        strcmp(json_string_value(json_object_get(req, "jsonrpc")), "2.0") != 0 ||
        !json_is_string(json_object_get(req, "method")) ||
        strcmp(json_string_value(json_object_get(req, "method")), "eth_call") != 0 ||
        !json_is_integer(json_object_get(req, "id")) || json_array_size(params) != 2 ||
        !json_is_string(json_array_get(params, 1)) || strcmp(json_string_value(json_array_get(params, 1)), "latest") != 0 ||
        !is_hex_addr(from, 1) || !is_hex_addr(to, 1) || data == NULL || strncmp(data, "0x", 2) != 0) {
        atomic_fetch_add(&srv.shape_errors, 1);
        return NULL;
    }
    pthread_mutex_lock(&srv.mu);
    snprintf(srv.last_from, sizeof srv.last_from, "%s", from);
    snprintf(srv.last_to, sizeof srv.last_to, "%s", to);
    pthread_mutex_unlock(&srv.mu);
    return data;
}

static json_t *answer_one(json_t *req, mode m)
{
    json_int_t id = json_integer_value(json_object_get(req, "id"));
    const char *data = check_call(req);
    if (data == NULL) return json_pack("{s:s,s:I,s:{s:i,s:s}}", "jsonrpc", "2.0", "id", id, "error", "code", -32600, "message", "bad request shape");
    switch (m) {
    case M_RPC_ERROR:
        return json_pack("{s:s,s:I,s:{s:i,s:s}}", "jsonrpc", "2.0", "id", id, "error", "code", -32000, "message",
                         "header not found");
    case M_REVERT:
        return json_pack("{s:s,s:I,s:{s:i,s:s,s:s}}", "jsonrpc", "2.0", "id", id, "error", "code", 3, "message",
                         "execution reverted", "data", "0x08c379a0");
    case M_EMPTY: return json_pack("{s:s,s:I,s:s}", "jsonrpc", "2.0", "id", id, "result", "0x");
    case M_NOT_HEX: return json_pack("{s:s,s:I,s:s}", "jsonrpc", "2.0", "id", id, "result", "0xzz");
    case M_ODD_HEX: return json_pack("{s:s,s:I,s:s}", "jsonrpc", "2.0", "id", id, "result", "0xabc");
    case M_NO_PREFIX: return json_pack("{s:s,s:I,s:s}", "jsonrpc", "2.0", "id", id, "result", "abcd");
    case M_NULL_RESULT: return json_pack("{s:s,s:I,s:n}", "jsonrpc", "2.0", "id", id, "result");
    case M_WRONG_ID: return json_pack("{s:s,s:I,s:s}", "jsonrpc", "2.0", "id", id + 1000, "result", data);
    case M_FIXED: return json_pack("{s:s,s:I,s:s}", "jsonrpc", "2.0", "id", id, "result", srv.fixed);
    case M_HUB:
        for (int i = 0; i < srv.n_hub; i++)
            if (strcmp(srv.hub[i].data, data) == 0)
                return json_pack("{s:s,s:I,s:s}", "jsonrpc", "2.0", "id", id, "result", srv.hub[i].result);
        return json_pack("{s:s,s:I,s:{s:i,s:s}}", "jsonrpc", "2.0", "id", id, "error", "code", 3, "message",
                         "execution reverted");
    default: return json_pack("{s:s,s:I,s:s}", "jsonrpc", "2.0", "id", id, "result", data);
    }
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)url;
    (void)version;
    reqbuf *b = *con_cls;
    if (b == NULL) {
        b = calloc(1, sizeof *b);
        *con_cls = b;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        char *np = realloc(b->p, b->len + *upload_data_size + 1);
        if (np == NULL) return MHD_NO;
        b->p = np;
        memcpy(b->p + b->len, upload_data, *upload_data_size);
        b->len += *upload_data_size;
        b->p[b->len] = 0;
        *upload_data_size = 0;
        return MHD_YES;
    }
    atomic_fetch_add(&srv.requests, 1);
    if (strcmp(method, "POST") != 0 || b->p == NULL) atomic_fetch_add(&srv.shape_errors, 1);
    mode m = (mode)atomic_load(&srv.mode);
    json_t *req = b->p ? json_loads(b->p, 0, NULL) : NULL;
    pthread_mutex_lock(&srv.mu);
    if (srv.n_logged < 64) srv.calls_per_request[srv.n_logged++] = json_is_array(req) ? (int)json_array_size(req) : 1;
    pthread_mutex_unlock(&srv.mu);

    if (m == M_SLOW) {
        for (int waited = 0; waited < SLOW_MS && !atomic_load(&srv.release_slow); waited += 10) usleep(10000);
    }
    if (m == M_GARBAGE) {
        json_decref(req);
        return reply(conn, 200, strdup("this is {not json"), strlen("this is {not json"));
    }
    json_t *ans = NULL;
    if (json_is_array(req)) {
        if (m == M_BATCH_AS_OBJECT) {
            ans = json_pack("{s:s,s:n,s:{s:i,s:s}}", "jsonrpc", "2.0", "id", "error", "code", -32600, "message",
                            "batch not supported");
        } else {
            /* answers in reverse order: the client must match them by id */
            ans = json_array();
            size_t n = json_array_size(req);
            for (size_t i = n; i-- > 0;) {
                if (m == M_BATCH_DROP_ONE && i == 1) continue;
                json_array_append_new(ans, answer_one(json_array_get(req, i), m));
            }
        }
    } else if (json_is_object(req)) {
        ans = answer_one(req, m);
    } else {
        atomic_fetch_add(&srv.shape_errors, 1);
        ans = json_pack("{s:s}", "error", "not json");
    }
    json_decref(req);
    char *text = json_dumps(ans, JSON_COMPACT);
    json_decref(ans);
    size_t len = strlen(text);
    if (m == M_HUGE) {
        size_t pad = (size_t)5 << 20;
        char *big = malloc(len + pad);
        memcpy(big, text, len);
        memset(big + len, ' ', pad);
        free(text);
        return reply(conn, 200, big, len + pad);
    }
    return reply(conn, m == M_HTTP500 ? 500 : 200, text, len);
}

static int server_start(uint16_t port)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, port, NULL, NULL,
                             handler, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                             MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_NOTIFY_COMPLETED,
                             on_completed, NULL, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
    if (srv.d == NULL) return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
    srv.port = info->port;
    return 0;
}

static void server_stop(void)
{
    atomic_store(&srv.release_slow, 1);
    if (srv.d != NULL) MHD_stop_daemon(srv.d);
    srv.d = NULL;
    atomic_store(&srv.release_slow, 0);
}

static void hub_clear(void)
{
    for (int i = 0; i < srv.n_hub; i++) free(srv.hub[i].result);
    srv.n_hub = 0;
}

static int setup(void **state)
{
    (void)state;
    atomic_store(&srv.mode, M_ECHO);
    atomic_store(&srv.connections, 0);
    atomic_store(&srv.requests, 0);
    atomic_store(&srv.shape_errors, 0);
    atomic_store(&srv.release_slow, 0);
    srv.n_logged = 0;
    if (server_start(0) != 0) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    server_stop();
    hub_clear();
    /* every request any test sent must have had the eth_call shape */
    return atomic_load(&srv.shape_errors) == 0 ? 0 : -1;
}

static chain_client *client(long timeout_ms)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", (unsigned)srv.port);
    chain_client *c = NULL;
    assert_int_equal(chain_client_new(url, timeout_ms, &c), SMS_OK);
    return c;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const uint8_t calldata[] = {0x8d, 0xa5, 0xcb, 0x5b, 0x00, 0x01, 0xff};

/* ---- tests ---- */

static void test_echo_and_from(void **state)
{
    (void)state;
    chain_client *c = client(2000);
    uint8_t *res = NULL;
    size_t n = 0;
    assert_int_equal(chain_eth_call(c, EX_APP, calldata, sizeof calldata, &res, &n), SMS_OK);
    assert_int_equal(n, sizeof calldata);
    assert_memory_equal(res, calldata, n);
    free(res);
    /* from = the client's random address, to lower-cased */
    assert_true(is_hex_addr(chain_client_from(c), 1));
    assert_string_equal(srv.last_from, chain_client_from(c));
    char to_lower[43];
    for (int i = 0; i < 43; i++) to_lower[i] = (char)((EX_APP[i] >= 'A' && EX_APP[i] <= 'F') ? EX_APP[i] + 32 : EX_APP[i]);
    assert_string_equal(srv.last_to, to_lower);
    assert_true(chain_client_requests_sent(c) == 1);
    /* another client, another random from */
    chain_client *c2 = client(2000);
    assert_string_not_equal(chain_client_from(c), chain_client_from(c2));
    /* empty calldata is fine */
    assert_int_equal(chain_eth_call(c2, EX_APP, NULL, 0, &res, &n), SMS_OK);
    assert_int_equal(n, 0);
    free(res);
    chain_client_free(c2);
    chain_client_free(c);
}

static void expect_failure(chain_client *c, mode m, sms_status expected)
{
    atomic_store(&srv.mode, m);
    uint8_t *res = (uint8_t *)0x1;
    size_t n = 77;
    assert_int_equal(chain_eth_call(c, EX_HUB, calldata, sizeof calldata, &res, &n), expected);
    if (expected != SMS_OK) {
        assert_null(res);
        assert_int_equal(n, 0);
    }
    free(expected == SMS_OK ? res : NULL);
}

static void test_node_errors(void **state)
{
    (void)state;
    chain_client *c = client(3000);
    expect_failure(c, M_RPC_ERROR, SMS_ECHAIN);
    expect_failure(c, M_REVERT, SMS_ECHAIN);
    expect_failure(c, M_NOT_HEX, SMS_ECHAIN);
    expect_failure(c, M_ODD_HEX, SMS_ECHAIN);
    expect_failure(c, M_NO_PREFIX, SMS_ECHAIN);
    expect_failure(c, M_NULL_RESULT, SMS_ECHAIN);
    expect_failure(c, M_WRONG_ID, SMS_ECHAIN);
    expect_failure(c, M_GARBAGE, SMS_ECHAIN);
    expect_failure(c, M_HTTP500, SMS_EUNAVAIL);
    expect_failure(c, M_HUGE, SMS_ECHAIN);
    assert_true(chain_client_requests_sent(c) == 10);
    /* "0x" is a valid, empty result */
    atomic_store(&srv.mode, M_EMPTY);
    uint8_t *res = NULL;
    size_t n = 5;
    assert_int_equal(chain_eth_call(c, EX_HUB, calldata, sizeof calldata, &res, &n), SMS_OK);
    assert_int_equal(n, 0);
    free(res);
    /* and the client still works after all that */
    atomic_store(&srv.mode, M_ECHO);
    assert_int_equal(chain_eth_call(c, EX_HUB, calldata, sizeof calldata, &res, &n), SMS_OK);
    assert_int_equal(n, sizeof calldata);
    free(res);
    chain_client_free(c);
}

static void test_slow_node_times_out(void **state)
{
    (void)state;
    const long timeout = 300;
    chain_client *c = client(timeout);
    atomic_store(&srv.mode, M_SLOW);
    uint8_t *res = NULL;
    size_t n = 0;
    long t0 = now_ms();
    assert_int_equal(chain_eth_call(c, EX_HUB, calldata, sizeof calldata, &res, &n), SMS_ETIMEOUT);
    long took = now_ms() - t0;
    assert_null(res);
    assert_true(took >= timeout - 20);
    assert_true(took < timeout + 500);
    /* the batch path is bounded the same way */
    chain_call calls[2] = {{.to = EX_HUB, .data = calldata, .data_len = 4}, {.to = EX_HUB, .data = calldata, .data_len = 5}};
    t0 = now_ms();
    assert_int_equal(chain_eth_call_batch(c, calls, 2), SMS_ETIMEOUT);
    took = now_ms() - t0;
    assert_true(took < timeout + 500);
    assert_int_equal(calls[0].status, SMS_ETIMEOUT);
    assert_int_equal(calls[1].status, SMS_ETIMEOUT);
    assert_null(calls[0].result);
    /* once the node is fast again, calls succeed */
    atomic_store(&srv.release_slow, 1);
    atomic_store(&srv.mode, M_ECHO);
    assert_int_equal(chain_eth_call(c, EX_HUB, calldata, sizeof calldata, &res, &n), SMS_OK);
    free(res);
    chain_client_free(c);
}

static void test_node_down_then_back(void **state)
{
    (void)state;
    chain_client *c = client(2000);
    uint8_t *res = NULL;
    size_t n = 0;
    assert_int_equal(chain_eth_call(c, EX_HUB, calldata, sizeof calldata, &res, &n), SMS_OK);
    free(res);
    uint16_t port = srv.port;
    server_stop();
    long t0 = now_ms();
    assert_int_equal(chain_eth_call(c, EX_HUB, calldata, sizeof calldata, &res, &n), SMS_EUNAVAIL);
    assert_true(now_ms() - t0 < 1000); /* refused, not timed out */
    assert_null(res);
    assert_int_equal(chain_eth_call(c, EX_HUB, calldata, sizeof calldata, &res, &n), SMS_EUNAVAIL);
    assert_int_equal(server_start(port), 0);
    assert_int_equal(srv.port, port);
    assert_int_equal(chain_eth_call(c, EX_HUB, calldata, sizeof calldata, &res, &n), SMS_OK);
    assert_memory_equal(res, calldata, sizeof calldata);
    free(res);
    chain_client_free(c);
}

static void test_batch_out_of_order(void **state)
{
    (void)state;
    chain_client *c = client(2000);
    uint8_t d[4][5];
    chain_call calls[4];
    for (int i = 0; i < 4; i++) {
        memset(d[i], 0x10 * (i + 1), sizeof d[i]);
        calls[i] = (chain_call){.to = EX_HUB, .data = d[i], .data_len = (size_t)(i + 2)};
    }
    assert_int_equal(chain_eth_call_batch(c, calls, 4), SMS_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(calls[i].status, SMS_OK);
        assert_int_equal(calls[i].result_len, (size_t)(i + 2));
        assert_memory_equal(calls[i].result, d[i], calls[i].result_len);
        free(calls[i].result);
    }
    assert_true(chain_client_requests_sent(c) == 1);
    assert_int_equal(srv.calls_per_request[srv.n_logged - 1], 4);

    /* one answer missing: only that call fails */
    atomic_store(&srv.mode, M_BATCH_DROP_ONE);
    assert_int_equal(chain_eth_call_batch(c, calls, 3), SMS_OK);
    assert_int_equal(calls[0].status, SMS_OK);
    assert_int_equal(calls[1].status, SMS_ECHAIN);
    assert_null(calls[1].result);
    assert_int_equal(calls[2].status, SMS_OK);
    assert_memory_equal(calls[2].result, d[2], 4);
    free(calls[0].result);
    free(calls[2].result);

    /* per-call node errors */
    atomic_store(&srv.mode, M_REVERT);
    assert_int_equal(chain_eth_call_batch(c, calls, 2), SMS_OK);
    assert_int_equal(calls[0].status, SMS_ECHAIN);
    assert_int_equal(calls[1].status, SMS_ECHAIN);

    /* whole batch refused */
    atomic_store(&srv.mode, M_BATCH_AS_OBJECT);
    assert_int_equal(chain_eth_call_batch(c, calls, 2), SMS_ECHAIN);
    assert_int_equal(calls[0].status, SMS_ECHAIN);
    atomic_store(&srv.mode, M_HTTP500);
    assert_int_equal(chain_eth_call_batch(c, calls, 2), SMS_EUNAVAIL);
    assert_int_equal(calls[1].status, SMS_EUNAVAIL);

    /* empty batch: nothing sent */
    uint64_t before = chain_client_requests_sent(c);
    assert_int_equal(chain_eth_call_batch(c, calls, 0), SMS_OK);
    assert_true(chain_client_requests_sent(c) == before);
    chain_client_free(c);
}

static void test_keepalive_reuse(void **state)
{
    (void)state;
    chain_client *c = client(2000);
    atomic_store(&srv.connections, 0);
    for (int i = 0; i < 20; i++) {
        uint8_t *res = NULL;
        size_t n = 0;
        assert_int_equal(chain_eth_call(c, EX_HUB, calldata, sizeof calldata, &res, &n), SMS_OK);
        free(res);
    }
    chain_call calls[2] = {{.to = EX_HUB, .data = calldata, .data_len = 4}, {.to = EX_HUB, .data = calldata, .data_len = 5}};
    assert_int_equal(chain_eth_call_batch(c, calls, 2), SMS_OK);
    free(calls[0].result);
    free(calls[1].result);
    assert_int_equal(atomic_load(&srv.connections), 1);
    assert_true(chain_client_requests_sent(c) == 21);
    assert_int_equal(atomic_load(&srv.requests), 21);
    chain_client_free(c);
}

#define N_THREADS 8
#define N_CALLS 25

static void *worker(void *arg)
{
    chain_client *c = arg;
    for (int i = 0; i < N_CALLS; i++) {
        uint8_t d[6] = {1, 2, 3, 4, (uint8_t)i, 9};
        uint8_t *res = NULL;
        size_t n = 0;
        if (chain_eth_call(c, EX_HUB, d, sizeof d, &res, &n) != SMS_OK || n != sizeof d || memcmp(res, d, n) != 0)
            return (void *)1;
        free(res);
    }
    return NULL;
}

static void test_threads_share_pool(void **state)
{
    (void)state;
    chain_client *c = client(5000);
    atomic_store(&srv.connections, 0);
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) assert_int_equal(pthread_create(&th[i], NULL, worker, c), 0);
    for (int i = 0; i < N_THREADS; i++) {
        void *ret = NULL;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    assert_true(chain_client_requests_sent(c) == N_THREADS * N_CALLS);
    /* connections are pooled: at most one per concurrent caller, far fewer than calls */
    assert_true(atomic_load(&srv.connections) >= 1);
    assert_true(atomic_load(&srv.connections) <= N_THREADS);
    chain_client_free(c);
}

typedef struct {
    chain_client *c;
    sms_status st;
    long took;
} stall_arg;

static void *stalled_caller(void *arg)
{
    stall_arg *a = arg;
    uint8_t *res = NULL;
    size_t n = 0;
    long t0 = now_ms();
    a->st = chain_eth_call(a->c, EX_HUB, calldata, sizeof calldata, &res, &n);
    a->took = now_ms() - t0;
    free(res);
    return NULL;
}

/* More callers than pooled handles on a stalled node: those waiting for a handle are bounded
 * by the same timeout as those waiting for the node. */
static void test_pool_exhaustion_is_bounded(void **state)
{
    (void)state;
    const long timeout = 400;
    chain_client *c = client(timeout);
    atomic_store(&srv.mode, M_SLOW);
    enum { N = 20 };
    pthread_t th[N];
    stall_arg args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (stall_arg){.c = c};
        assert_int_equal(pthread_create(&th[i], NULL, stalled_caller, &args[i]), 0);
    }
    for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++) {
        assert_int_equal(args[i].st, SMS_ETIMEOUT);
        assert_true(args[i].took < timeout + 600);
    }
    /* at most one request per pooled handle could be in flight before the deadline */
    assert_true(chain_client_requests_sent(c) <= N);
    assert_true(chain_client_requests_sent(c) >= 16);
    atomic_store(&srv.release_slow, 1);
    atomic_store(&srv.mode, M_ECHO);
    uint8_t *res = NULL;
    size_t n = 0;
    assert_int_equal(chain_eth_call(c, EX_HUB, calldata, sizeof calldata, &res, &n), SMS_OK);
    free(res);
    chain_client_free(c);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    chain_client *c = NULL;
    assert_int_equal(chain_client_new("ftp://x", 1000, &c), SMS_EINVAL);
    assert_int_equal(chain_client_new("file:///etc/passwd", 1000, &c), SMS_EINVAL);
    assert_int_equal(chain_client_new(NULL, 1000, &c), SMS_EINVAL);
    assert_int_equal(chain_client_new("http://127.0.0.1:1/", 0, &c), SMS_EINVAL);
    assert_int_equal(chain_client_new("http://127.0.0.1:1/", -5, &c), SMS_EINVAL);
    assert_null(c);
    c = client(1000);
    uint8_t *res = NULL;
    size_t n = 0;
    assert_int_equal(chain_eth_call(c, "0x1234", calldata, 4, &res, &n), SMS_EINVAL);
    assert_int_equal(chain_eth_call(c, "5FC8d32690cc91D4c39d9d3abcBD16989F875707xx", calldata, 4, &res, &n), SMS_EINVAL);
    assert_int_equal(chain_eth_call(c, "0x5FC8d32690cc91D4c39d9d3abcBD16989F87570g", calldata, 4, &res, &n), SMS_EINVAL);
    assert_int_equal(chain_eth_call(c, NULL, calldata, 4, &res, &n), SMS_EINVAL);
    assert_int_equal(chain_eth_call(c, EX_HUB, NULL, 4, &res, &n), SMS_EINVAL);
    chain_call bad[2] = {{.to = EX_HUB, .data = calldata, .data_len = 4}, {.to = "0xnope", .data = calldata, .data_len = 4}};
    assert_int_equal(chain_eth_call_batch(c, bad, 2), SMS_EINVAL);
    assert_null(bad[0].result);
    assert_true(chain_client_requests_sent(c) == 0);
    chain_client_free(c);
    chain_client_free(NULL);
}

/* ---- PoCo readers over RPC ---- */

static void owner_case(chain_client *c, const char *result_hex, sms_status expected, const char *expected_owner)
{
    snprintf(srv.fixed, sizeof srv.fixed, "%s", result_hex);
    atomic_store(&srv.mode, M_FIXED);
    char owner[POCO_ADDR_STR] = "";
    assert_int_equal(poco_owner(c, EX_APP, owner), expected);
    if (expected_owner != NULL) assert_string_equal(owner, expected_owner);
}

static void test_poco_owner(void **state)
{
    (void)state;
    chain_client *c = client(2000);
    owner_case(c, "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8", SMS_OK,
               "0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
    owner_case(c, "0x0000000000000000000000000000000000000000000000000000000000000000", SMS_OK, EX_ZERO);
    owner_case(c, "0x", SMS_ECHAIN, NULL);
    owner_case(c, "0x0000000000000000000000010000000000000000000000000000000000000000", SMS_ECHAIN, NULL);
    owner_case(c, "0x70997970c51812dc3a010c7d01b50e0d17dc79c8", SMS_ECHAIN, NULL);
    /* calldata is exactly the selector */
    atomic_store(&srv.mode, M_ECHO);
    char owner[POCO_ADDR_STR];
    assert_int_equal(poco_owner(c, EX_APP, owner), SMS_ECHAIN); /* echo = 4 bytes: too short */
    atomic_store(&srv.mode, M_REVERT);
    assert_int_equal(poco_owner(c, EX_APP, owner), SMS_ECHAIN);
    assert_int_equal(poco_owner(c, "0xabc", owner), SMS_EINVAL);
    chain_client_free(c);
}

static void hub_add(uint32_t selector, const uint8_t arg[32], const tblob *b)
{
    uint8_t call[36];
    abi_encode_call1(call, selector, arg);
    char *hex = tblob_hex(call, sizeof call);
    assert_true(srv.n_hub < MAX_HUB);
    snprintf(srv.hub[srv.n_hub].data, sizeof srv.hub[srv.n_hub].data, "%s", hex);
    free(hex);
    srv.hub[srv.n_hub].result = tblob_hex(b->p, b->len);
    srv.n_hub++;
}

static void hub_add_addr(uint32_t selector, const char *addr, const tblob *b)
{
    uint8_t w[32];
    tword_addr(w, addr);
    hub_add(selector, w, b);
}

/* The hub of the fixture: task -> deal -> category 0, app, dataset. */
static void hub_setup(int with_category)
{
    tblob b = {0};
    uint8_t task_id[32], deal_id[32], w[32];
    thex(EX_TASKID, task_id, 32);
    thex(EX_DEALID, deal_id, 32);
    tbuild_task(&b, 1, EX_DEALID);
    hub_add(POCO_SEL_VIEW_TASK_LEGACY, task_id, &b);
    tblob_free(&b);
    tbuild_deal(&b, 1, 1795390379ULL);
    hub_add(POCO_SEL_VIEW_DEAL, deal_id, &b);
    tblob_free(&b);
    if (with_category) {
        tbuild_category(&b, "XS", 300);
        tword_u64(w, 0);
        hub_add(POCO_SEL_VIEW_CATEGORY, w, &b);
        tblob_free(&b);
    }
    tbuild_app(&b);
    hub_add_addr(POCO_SEL_VIEW_APP, EX_APP, &b);
    tblob_free(&b);
    tbuild_dataset(&b);
    hub_add_addr(POCO_SEL_VIEW_DATASET, EX_DATASET, &b);
    tblob_free(&b);
    atomic_store(&srv.mode, M_HUB);
}

static void check_bundle(const struct poco_bundle *b)
{
    assert_int_equal(b->task_status, SMS_OK);
    assert_int_equal(b->task.status, POCO_TASK_ACTIVE);
    assert_true(b->task.final_deadline == 1795393379ULL);
    assert_int_equal(b->deal_status, SMS_OK);
    assert_string_equal(b->deal.workerpool_owner, "0x90f79bf6eb2c4f870365e785982e1f101e93b906");
    assert_string_equal(b->deal.params, EX_PARAMS);
    assert_int_equal(poco_tag_tee_framework(b->deal.tag), TEE_FRAMEWORK_SCONE);
    assert_int_equal(b->category_status, SMS_OK);
    assert_true(b->category.work_clock_time_ref == 300);
    assert_int_equal(b->app_status, SMS_OK);
    assert_string_equal(b->app.mrenclave, EX_MRENCLAVE);
    assert_string_equal(b->app.multiaddr, EX_APP_MULTIADDR);
    assert_int_equal(b->has_dataset, 1);
    assert_int_equal(b->dataset_status, SMS_OK);
    assert_string_equal(b->dataset.uri, EX_DS_URI);
}

static void test_bundle_rounds_and_cache(void **state)
{
    (void)state;
    hub_setup(1);
    chain_client *c = client(2000);
    poco_cache *cache = NULL;
    assert_int_equal(poco_cache_new(64, &cache), SMS_OK);
    uint8_t task_id[32], deal_id[32];
    thex(EX_TASKID, task_id, 32);
    thex(EX_DEALID, deal_id, 32);
    struct poco_bundle b = {0};

    /* cold, no hint: task, deal, then category+app+dataset batched */
    srv.n_logged = 0;
    assert_int_equal(poco_read_task_bundle(c, cache, EX_HUB, task_id, NULL, &b), SMS_OK);
    check_bundle(&b);
    assert_int_equal(b.round_trips, 3);
    assert_int_equal(srv.n_logged, 3);
    assert_int_equal(srv.calls_per_request[0], 1);
    assert_int_equal(srv.calls_per_request[1], 1);
    assert_int_equal(srv.calls_per_request[2], 3);
    poco_bundle_clear(&b);
    assert_int_equal(poco_cache_size(cache), 4);

    /* warm: only the task is read (never cached) */
    srv.n_logged = 0;
    assert_int_equal(poco_read_task_bundle(c, cache, EX_HUB, task_id, NULL, &b), SMS_OK);
    check_bundle(&b);
    assert_int_equal(b.round_trips, 1);
    assert_int_equal(srv.calls_per_request[0], 1);
    poco_bundle_clear(&b);

    /* no cache, correct hint: task+deal together, then the rest */
    srv.n_logged = 0;
    assert_int_equal(poco_read_task_bundle(c, NULL, EX_HUB, task_id, deal_id, &b), SMS_OK);
    check_bundle(&b);
    assert_int_equal(b.round_trips, 2);
    assert_int_equal(srv.calls_per_request[0], 2);
    assert_int_equal(srv.calls_per_request[1], 3);
    poco_bundle_clear(&b);

    /* wrong hint (a deal the hub does not know): ignored, the real deal is read */
    uint8_t wrong[32];
    memset(wrong, 0x42, 32);
    assert_int_equal(poco_read_task_bundle(c, NULL, EX_HUB, task_id, wrong, &b), SMS_OK);
    check_bundle(&b);
    assert_int_equal(b.round_trips, 3);
    poco_bundle_clear(&b);

    /* unknown task: the hub reverts */
    uint8_t other[32];
    memset(other, 0x77, 32);
    assert_int_equal(poco_read_task_bundle(c, cache, EX_HUB, other, NULL, &b), SMS_ECHAIN);
    assert_int_equal(b.task_status, SMS_ECHAIN);
    assert_int_equal(b.deal_status, SMS_ECHAIN);
    assert_int_equal(b.app_status, SMS_ECHAIN);
    assert_null(b.deal.params);
    poco_bundle_clear(&b);

    /* individual readers, served from the cache where possible */
    struct poco_task t;
    assert_int_equal(poco_get_task(c, EX_HUB, task_id, &t), SMS_OK);
    assert_true(t.final_deadline == 1795393379ULL);
    struct poco_deal d;
    uint64_t before = chain_client_requests_sent(c);
    assert_int_equal(poco_get_deal(c, cache, EX_HUB, deal_id, &d), SMS_OK);
    assert_true(chain_client_requests_sent(c) == before); /* cached */
    poco_deal_clear(&d);
    assert_int_equal(poco_get_deal(c, NULL, EX_HUB, deal_id, &d), SMS_OK);
    assert_true(chain_client_requests_sent(c) == before + 1);
    poco_deal_clear(&d);
    struct poco_app a;
    assert_int_equal(poco_get_app(c, NULL, EX_HUB, EX_APP, &a), SMS_OK);
    assert_string_equal(a.checksum, EX_APP_CHECKSUM);
    poco_app_clear(&a);
    assert_int_equal(poco_get_app(c, NULL, EX_HUB, EX_ZERO, &a), SMS_ENOTFOUND);
    struct poco_dataset ds;
    assert_int_equal(poco_get_dataset(c, NULL, EX_HUB, EX_DATASET, &ds), SMS_OK);
    assert_string_equal(ds.uri, EX_DS_URI);
    poco_dataset_clear(&ds);
    assert_int_equal(poco_get_dataset(c, NULL, EX_HUB, EX_ZERO, &ds), SMS_ENOTFOUND);
    struct poco_category cat;
    assert_int_equal(poco_get_category(c, NULL, EX_HUB, 0, &cat), SMS_OK);
    assert_string_equal(cat.name, "XS");
    poco_category_clear(&cat);
    assert_int_equal(poco_get_category(c, NULL, EX_HUB, 7, &cat), SMS_ECHAIN); /* reverts */

    poco_cache_free(cache);
    chain_client_free(c);
}

static void test_bundle_failures(void **state)
{
    (void)state;
    chain_client *c = client(2000);
    uint8_t task_id[32];
    thex(EX_TASKID, task_id, 32);
    struct poco_bundle b = {0};

    /* category missing: deal and app fine, category fails */
    hub_setup(0);
    assert_int_equal(poco_read_task_bundle(c, NULL, EX_HUB, task_id, NULL, &b), SMS_ECHAIN);
    assert_int_equal(b.task_status, SMS_OK);
    assert_int_equal(b.deal_status, SMS_OK);
    assert_int_equal(b.category_status, SMS_ECHAIN);
    assert_int_equal(b.app_status, SMS_OK);
    assert_int_equal(b.dataset_status, SMS_OK);
    poco_bundle_clear(&b);
    hub_clear();

    /* unknown task id answered with a zero deal id: ENOTFOUND everywhere */
    tblob t = {0};
    tbuild_task(&t, 0, EX_ZERO);
    hub_add(POCO_SEL_VIEW_TASK_LEGACY, task_id, &t);
    tblob_free(&t);
    assert_int_equal(poco_read_task_bundle(c, NULL, EX_HUB, task_id, NULL, &b), SMS_ENOTFOUND);
    assert_int_equal(b.task_status, SMS_ENOTFOUND);
    assert_int_equal(b.deal_status, SMS_ENOTFOUND);
    assert_int_equal(b.dataset_status, SMS_ENOTFOUND);
    assert_int_equal(b.round_trips, 1);
    struct poco_task task;
    assert_int_equal(poco_get_task(c, EX_HUB, task_id, &task), SMS_ENOTFOUND);
    poco_bundle_clear(&b);
    hub_clear();

    /* deal with startTime 0: ENOTFOUND for the deal and what depends on it */
    tbuild_task(&t, 1, EX_DEALID);
    hub_add(POCO_SEL_VIEW_TASK_LEGACY, task_id, &t);
    tblob_free(&t);
    uint8_t deal_id[32];
    thex(EX_DEALID, deal_id, 32);
    tbuild_deal(&t, 1, 0);
    hub_add(POCO_SEL_VIEW_DEAL, deal_id, &t);
    tblob_free(&t);
    poco_cache *cache = NULL;
    assert_int_equal(poco_cache_new(8, &cache), SMS_OK);
    assert_int_equal(poco_read_task_bundle(c, cache, EX_HUB, task_id, NULL, &b), SMS_ENOTFOUND);
    assert_int_equal(b.task_status, SMS_OK);
    assert_int_equal(b.deal_status, SMS_ENOTFOUND);
    assert_int_equal(b.app_status, SMS_ENOTFOUND);
    assert_int_equal(poco_cache_size(cache), 0); /* not cached */
    poco_bundle_clear(&b);
    struct poco_deal d;
    assert_int_equal(poco_get_deal(c, cache, EX_HUB, deal_id, &d), SMS_ENOTFOUND);
    poco_deal_clear(&d);
    poco_cache_free(cache);
    hub_clear();

    /* node down */
    hub_setup(1);
    uint16_t port = srv.port;
    server_stop();
    assert_int_equal(poco_read_task_bundle(c, NULL, EX_HUB, task_id, NULL, &b), SMS_EUNAVAIL);
    assert_int_equal(b.task_status, SMS_EUNAVAIL);
    poco_bundle_clear(&b);
    assert_int_equal(server_start(port), 0);
    assert_int_equal(poco_read_task_bundle(c, NULL, EX_HUB, task_id, NULL, &b), SMS_OK);
    check_bundle(&b);
    poco_bundle_clear(&b);
    assert_int_equal(poco_read_task_bundle(c, NULL, "0xnothub", task_id, NULL, &b), SMS_EINVAL);
    chain_client_free(c);
}

int main(void)
{
    pthread_mutex_init(&srv.mu, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_echo_and_from, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_node_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_down_then_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keepalive_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_share_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_exhaustion_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poco_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundle_rounds_and_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundle_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
