/* Bulk processing (tee-sessions.md 5.7) against a local stub serving both the IPFS gateway
 * and the chain node's JSON-RPC: slice selection by the absolute task index, per-order
 * validity (dataset readable, assertDatasetDealCompatibility encoding checked strictly by
 * the stub and not reverting, volume >= 2^53 - 2), keys ("" when absent), every failure of
 * the IPFS side giving an empty list, batching and caching. */
#include <microhttpd.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "chain/chain.h"
#include "chain/poco_cache.h"
#include "helpers/abi_builder.h"
#include "helpers/session_fixture.h"
#include "tee/session.h"
#include "tee/session_internal.h"

#define HUB "0x3eca1b216a7df1c7689aeb259ffb83adfb894e7f"
#define D1 "0xd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1"
#define D1_UPPER "0xD1D1D1D1D1D1D1D1D1D1D1D1D1D1D1D1D1D1D1D1"
#define D2 "0xd2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2"
#define D3 "0xd3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3" /* assert reverts */
#define D4 "0xd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4" /* viewDataset reverts */
#define DS_CHECKSUM "0xcccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define TAG3 "0x0000000000000000000000000000000000000000000000000000000000000003"
#define SALT "0x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
#define SIGN                                                                                                       \
    "0x46cce39f8a9624ab977a7a49a87e94475424c315d3e91bc418a0d11c15f9063f5c3fe7469a57eff327fd198279781340ae968e3a707a" \
    "5d2cc806c817e22cf7d51c"
#define VOL_MIN "9007199254740990"

/* ---- stub server ---- */

static struct {
    struct MHD_Daemon *d;
    unsigned port;
    pthread_mutex_t mu;
    const char *desc;  /* body of /ipfs/QmBulk (NULL: 404) */
    const char *slice; /* body of /ipfs/QmSlice (NULL: 404) */
    char *big;         /* body of /ipfs/QmBig */
    int view_calls;
    int assert_calls;
    int rpc_posts;
    int ipfs_gets;
} g;

typedef struct {
    char *body;
    size_t len;
} upload;

static int addr_eq_word(const uint8_t *word, const char *addr)
{
    uint8_t w[32];
    tword_addr(w, addr);
    return memcmp(w, word, 32) == 0;
}

/* Strict check of the assertDatasetDealCompatibility calldata (4.8). */
static int assert_layout_ok(const uint8_t *d, size_t n)
{
    uint8_t w[32];
    if (n < 4 + 12 * 32) return 0;
    const uint8_t *p = d + 4;
    tword_u64(w, 0x40);
    if (memcmp(p, w, 32) != 0) return 0;
    memset(w, 0x11, 32);
    if (memcmp(p + 32, w, 32) != 0) return 0; /* deal id */
    tword_u64(w, 0x120);
    if (memcmp(p + 10 * 32, w, 32) != 0) return 0;
    tword_hex(w, TAG3);
    if (memcmp(p + 5 * 32, w, 32) != 0) return 0;
    tword_hex(w, SALT);
    if (memcmp(p + 9 * 32, w, 32) != 0) return 0;
    for (int i = 6; i <= 8; i++)
        if (!addr_eq_word(p + i * 32, SF_ZERO_ADDR)) return 0;
    uint64_t sign_len = 0;
    for (int i = 24; i < 32; i++) sign_len = (sign_len << 8) | p[11 * 32 + i];
    if (sign_len != 65 || n != 4 + 12 * 32 + 96) return 0;
    uint8_t sig[65];
    thex(SIGN, sig, sizeof sig);
    return memcmp(p + 12 * 32, sig, 65) == 0 && p[12 * 32 + 65] == 0;
}

static json_t *rpc_answer(json_t *req)
{
    json_t *id = json_object_get(req, "id");
    const char *hex = json_string_value(json_object_get(json_array_get(json_object_get(req, "params"), 0), "data"));
    uint8_t data[4096];
    size_t n = hex != NULL ? strlen(hex) / 2 - 1 : 0;
    if (hex == NULL || n > sizeof data) return json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id,
                                                         "error", "code", -32602, "message", "bad");
    thex(hex, data, sizeof data);
    uint32_t sel = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
    json_t *revert = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id, "error", "code", 3, "message",
                               "execution reverted");
    if (sel == 0x1e143ef7u) {
        g.view_calls++;
        if (addr_eq_word(data + 4, D4)) return revert;
        char uri[64];
        snprintf(uri, sizeof uri, "https://data/%02x", data[4 + 31]);
        tfield f[4] = {tf_addr("0x0101010101010101010101010101010101010101"), tf_str("ds"), tf_str(uri),
                       tf_hex(DS_CHECKSUM)};
        tblob b = {0};
        tencode_struct_return(&b, f, 4);
        char *res = tblob_hex(b.p, b.len);
        tblob_free(&b);
        json_decref(revert);
        json_t *ans = json_pack("{s:s, s:O, s:s}", "jsonrpc", "2.0", "id", id, "result", res);
        free(res);
        return ans;
    }
    if (sel == 0x80f03425u) {
        g.assert_calls++;
        if (!assert_layout_ok(data, n) || addr_eq_word(data + 4 + 2 * 32, D3)) return revert;
        json_decref(revert);
        return json_pack("{s:s, s:O, s:s}", "jsonrpc", "2.0", "id", id, "result", "0x");
    }
    return revert;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *data, size_t *data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    if (strcmp(method, "GET") == 0) {
        pthread_mutex_lock(&g.mu);
        g.ipfs_gets++;
        const char *body = NULL;
        if (strcmp(url, "/ipfs/QmBulk") == 0) body = g.desc;
        else if (strcmp(url, "/ipfs/QmSlice") == 0) body = g.slice;
        else if (strcmp(url, "/ipfs/QmBig") == 0) body = g.big;
        pthread_mutex_unlock(&g.mu);
        return body != NULL ? reply(c, MHD_HTTP_OK, body) : reply(c, MHD_HTTP_NOT_FOUND, "{}");
    }
    upload *u = *con_cls;
    if (u == NULL) {
        u = calloc(1, sizeof *u);
        *con_cls = u;
        return MHD_YES;
    }
    if (*data_size > 0) {
        char *grown = realloc(u->body, u->len + *data_size + 1);
        if (grown == NULL) return MHD_NO;
        u->body = grown;
        memcpy(u->body + u->len, data, *data_size);
        u->len += *data_size;
        u->body[u->len] = '\0';
        *data_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&g.mu);
    g.rpc_posts++;
    json_t *req = json_loadb(u->body != NULL ? u->body : "", u->len, 0, NULL);
    json_t *ans = NULL;
    if (json_is_array(req)) {
        ans = json_array();
        size_t i;
        json_t *one;
        json_array_foreach(req, i, one) json_array_append_new(ans, rpc_answer(one));
    } else if (json_is_object(req)) {
        ans = rpc_answer(req);
    }
    pthread_mutex_unlock(&g.mu);
    char *out = ans != NULL ? json_dumps(ans, JSON_COMPACT) : NULL;
    enum MHD_Result ret = reply(c, MHD_HTTP_OK, out != NULL ? out : "{}");
    free(out);
    json_decref(ans);
    json_decref(req);
    free(u->body);
    free(u);
    *con_cls = NULL;
    return ret;
}

/* ---- fixture ---- */

typedef struct {
    sf_fixture sf;
    chain_client *chain;
    char gateway[64];
} bulk_fixture;

static int setup(void **state)
{
    bulk_fixture *fx = calloc(1, sizeof *fx);
    char url[64];
    if (fx == NULL || sf_setup(&fx->sf) != 0) return -1;
    snprintf(fx->gateway, sizeof fx->gateway, "http://127.0.0.1:%u/", g.port);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/rpc", g.port);
    if (chain_client_new(url, 5000, &fx->chain) != SMS_OK) return -1;
    pthread_mutex_lock(&g.mu);
    g.desc = NULL;
    g.slice = NULL;
    g.view_calls = g.assert_calls = g.rpc_posts = g.ipfs_gets = 0;
    pthread_mutex_unlock(&g.mu);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    bulk_fixture *fx = *state;
    chain_client_free(fx->chain);
    sf_teardown(&fx->sf);
    free(fx);
    return 0;
}

static session_inputs inputs(bulk_fixture *fx, const task_description *td)
{
    static tee_pipeline pipeline = {.version = "v5",
                                    .pre_compute = {"pre", "aa", "/pre", 1},
                                    .post_compute = {"post", "bb", "/post", 1}};
    session_inputs in;
    memset(&in, 0, sizeof in);
    in.td = td;
    in.worker_address = SF_WORKER;
    in.enclave_challenge = SF_ENCLAVE;
    in.challenge_private_key = SF_CHALLENGE_KEY;
    in.pipeline = &pipeline;
    in.secrets = fx->sf.svc;
    in.ipfs_gateway_url = fx->gateway;
    in.chain = fx->chain;
    in.hub = HUB;
    return in;
}

#define ORDER(ds, vol)                                                                                             \
    "{\"dataset\":\"" ds "\",\"datasetprice\":0,\"volume\":" vol ",\"tag\":\"" TAG3 "\",\"apprestrict\":\"" SF_ZERO_ADDR \
    "\",\"workerpoolrestrict\":\"" SF_ZERO_ADDR "\",\"requesterrestrict\":\"" SF_ZERO_ADDR "\",\"salt\":\"" SALT       \
    "\",\"sign\":\"" SIGN "\"}"

static const char slice_8[] =
    "[" ORDER(D1, VOL_MIN) ","
    /* uint256 as decimal strings, 2^256 - 1 */
    "{\"dataset\":\"" D2 "\",\"datasetprice\":\"0\",\"volume\":"
    "\"115792089237316195423570985008687907853269984665640564039457584007913129639935\",\"tag\":\"" TAG3
    "\",\"apprestrict\":\"" SF_ZERO_ADDR "\",\"workerpoolrestrict\":\"" SF_ZERO_ADDR "\",\"requesterrestrict\":\"" SF_ZERO_ADDR
    "\",\"salt\":\"" SALT "\",\"sign\":\"" SIGN "\"}," ORDER(D1, "9007199254740989") "," ORDER(D3, VOL_MIN) "," ORDER(
        D4, VOL_MIN) ","
    "{\"dataset\":\"" D1 "\",\"datasetprice\":0,\"volume\":" VOL_MIN ",\"tag\":\"" TAG3 "\"}," ORDER(
        SF_ZERO_ADDR, VOL_MIN) "," ORDER(D1_UPPER, VOL_MIN) "]";

static void put_ipfs_token(bulk_fixture *fx)
{
    assert_int_equal(sf_put_web2(&fx->sf, &fx->sf.requester, "iexec-result-iexec-ipfs-token", "tok"), SMS_OK);
}

static void expect_order(const env_map *pre, size_t n, const char *url, const char *checksum, const char *key,
                         const char *filename)
{
    char k[64];
    snprintf(k, sizeof k, "IEXEC_DATASET_%zu_URL", n);
    assert_string_equal(env_map_get(pre, k), url);
    snprintf(k, sizeof k, "IEXEC_DATASET_%zu_CHECKSUM", n);
    assert_string_equal(env_map_get(pre, k), checksum);
    snprintf(k, sizeof k, "IEXEC_DATASET_%zu_KEY", n);
    assert_string_equal(env_map_get(pre, k), key);
    snprintf(k, sizeof k, "IEXEC_DATASET_%zu_FILENAME", n);
    assert_string_equal(env_map_get(pre, k), filename);
}

static void test_slice_orders(void **state)
{
    bulk_fixture *fx = *state;
    task_description td;
    session_base b;
    put_ipfs_token(fx);
    assert_int_equal(sf_put_dataset_key(&fx->sf, D1, "K1"), SMS_OK);
    g.desc = "[\"QmA\",\"QmB\",\"QmC\",\"QmSlice\",\"QmD\"]"; /* task index 3 */
    g.slice = slice_8;
    sf_td(&fx->sf, &td, "{\"bulk_cid\":\"QmBulk\"}", SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_true(b.has_pre);
    assert_string_equal(env_map_get(&b.pre, "IEXEC_BULK_SLICE_SIZE"), "8");
    expect_order(&b.pre, 1, "https://data/d1", DS_CHECKSUM, "K1", D1);
    expect_order(&b.pre, 2, "https://data/d2", DS_CHECKSUM, "", D2); /* valid without key: "" */
    expect_order(&b.pre, 3, "", "", "", D1);                         /* volume too small */
    expect_order(&b.pre, 4, "", "", "", D3);                         /* incompatible (revert) */
    expect_order(&b.pre, 5, "", "", "", D4);                         /* dataset unreadable */
    expect_order(&b.pre, 6, "", "", "", D1);                         /* malformed order */
    expect_order(&b.pre, 7, "", "", "", SF_ZERO_ADDR);               /* no dataset */
    expect_order(&b.pre, 8, "https://data/d1", DS_CHECKSUM, "K1", D1_UPPER); /* as given, key by lower case */
    assert_null(env_map_get(&b.pre, "IEXEC_DATASET_9_FILENAME"));
    /* the app sees the slice size and every file name, nothing else */
    assert_string_equal(env_map_get(&b.app, "IEXEC_BULK_SLICE_SIZE"), "8");
    assert_string_equal(env_map_get(&b.app, "IEXEC_DATASET_4_FILENAME"), D3);
    assert_string_equal(env_map_get(&b.app, "IEXEC_DATASET_8_FILENAME"), D1_UPPER);
    assert_null(env_map_get(&b.app, "IEXEC_DATASET_1_KEY"));
    assert_null(env_map_get(&b.app, "IEXEC_DATASET_1_URL"));
    /* the main dataset variables are untouched: no dataset in the deal */
    assert_string_equal(env_map_get(&b.pre, "IS_DATASET_REQUIRED"), "false");
    /* one batch: 6 dataset reads (orders 1..5, 8; none for the malformed and zero ones), 6 asserts */
    assert_int_equal(g.rpc_posts, 1);
    assert_int_equal(g.view_calls, 6);
    assert_int_equal(g.assert_calls, 6);
    assert_int_equal(g.ipfs_gets, 2); /* fetched once for both stages */
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_cache_and_batches(void **state)
{
    bulk_fixture *fx = *state;
    task_description td;
    session_base b;
    poco_cache *cache = NULL;
    put_ipfs_token(fx);
    assert_int_equal(poco_cache_new(64, &cache), SMS_OK);
    /* 40 orders of D1: two batches (32 + 8) */
    static char slice[40 * 700];
    size_t o = 0;
    slice[o++] = '[';
    for (int i = 0; i < 40; i++) {
        int w = snprintf(slice + o, sizeof slice - o, "%s" ORDER(D1, VOL_MIN), i ? "," : "");
        assert_true(w > 0 && (size_t)w < sizeof slice - o);
        o += (size_t)w;
    }
    slice[o++] = ']';
    slice[o] = '\0';
    g.desc = "[\"QmA\",\"QmB\",\"QmC\",\"QmSlice\"]";
    g.slice = slice;
    sf_td(&fx->sf, &td, "{\"bulk_cid\":\"QmBulk\"}", SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    in.cache = cache;
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(env_map_get(&b.pre, "IEXEC_BULK_SLICE_SIZE"), "40");
    expect_order(&b.pre, 40, "https://data/d1", DS_CHECKSUM, "", D1);
    assert_int_equal(g.rpc_posts, 2);
    assert_int_equal(g.assert_calls, 40);
    assert_int_equal(g.view_calls, 32); /* the cache is filled after each batch: the second one hits it */
    session_base_clear(&b);
    /* second session: datasets come from the cache, orders are checked again */
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    expect_order(&b.pre, 1, "https://data/d1", DS_CHECKSUM, "", D1);
    assert_int_equal(g.view_calls, 32);
    assert_int_equal(g.assert_calls, 80);
    session_base_clear(&b);
    task_description_clear(&td);
    poco_cache_free(cache);
}

/* Any IPFS-side failure gives an empty list, never an error. */
static void expect_empty(bulk_fixture *fx, const char *params, const char *desc, const char *slice)
{
    task_description td;
    session_base b;
    g.desc = desc;
    g.slice = slice;
    sf_td(&fx->sf, &td, params, SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(env_map_get(&b.pre, "IEXEC_BULK_SLICE_SIZE"), "0");
    assert_string_equal(env_map_get(&b.app, "IEXEC_BULK_SLICE_SIZE"), "0");
    assert_null(env_map_get(&b.pre, "IEXEC_DATASET_1_FILENAME"));
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_ipfs_failures(void **state)
{
    bulk_fixture *fx = *state;
    put_ipfs_token(fx);
    const char *p = "{\"bulk_cid\":\"QmBulk\"}";
    expect_empty(fx, p, NULL, slice_8);                                      /* 404 */
    expect_empty(fx, p, "not json", slice_8);                                /* not JSON */
    expect_empty(fx, p, "{\"3\":\"QmSlice\"}", slice_8);                     /* not an array */
    expect_empty(fx, p, "[\"QmA\",\"QmSlice\"]", slice_8);                   /* index 3 out of range */
    expect_empty(fx, p, "[\"QmA\",\"QmB\",\"QmC\",3]", slice_8);             /* not a CID */
    expect_empty(fx, p, "[\"QmA\",\"QmB\",\"QmC\",\"../QmSlice\"]", slice_8); /* unsafe CID */
    expect_empty(fx, p, "[\"QmA\",\"QmB\",\"QmC\",\"QmSlice\"]", NULL);       /* slice 404 */
    expect_empty(fx, p, "[\"QmA\",\"QmB\",\"QmC\",\"QmSlice\"]", "{}");       /* slice not an array */
    expect_empty(fx, p, "[\"QmA\",\"QmB\",\"QmC\",\"QmSlice\"]", "[");        /* slice not JSON */
    expect_empty(fx, p, "[\"QmA\",\"QmB\",\"QmC\",\"QmSlice\"]", "[]");       /* empty slice */
    expect_empty(fx, "{\"bulk_cid\":\"QmBig\"}", NULL, NULL);                 /* over 1 MiB */
    assert_int_equal(g.assert_calls, 0);
}

static void test_no_chain_all_invalid(void **state)
{
    bulk_fixture *fx = *state;
    task_description td;
    session_base b;
    put_ipfs_token(fx);
    assert_int_equal(sf_put_dataset_key(&fx->sf, D1, "K1"), SMS_OK);
    g.desc = "[\"QmA\",\"QmB\",\"QmC\",\"QmSlice\"]";
    g.slice = "[" ORDER(D1, VOL_MIN) ",7]";
    sf_td(&fx->sf, &td, "{\"bulk_cid\":\"QmBulk\"}", SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    in.chain = NULL;
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(env_map_get(&b.pre, "IEXEC_BULK_SLICE_SIZE"), "2");
    expect_order(&b.pre, 1, "", "", "", D1);
    expect_order(&b.pre, 2, "", "", "", ""); /* not an order object */
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_encode_assert_vector(void **state)
{
    (void)state;
    uint8_t deal[32];
    uint8_t *cd = NULL;
    size_t len = 0;
    int volume_ok = 0;
    memset(deal, 0x11, sizeof deal);
    json_t *order = json_loads(ORDER(D2, "9007199254740990"), 0, NULL);
    assert_non_null(order);
    assert_int_equal(bulk_encode_assert(order, deal, &cd, &len, &volume_ok), SMS_OK);
    assert_true(volume_ok);
    /* selector, 0x40, deal, 8 order words, 0x120, 65, sign padded to 96 */
    assert_int_equal(len, 4 + 12 * 32 + 96);
    assert_memory_equal(cd, "\x80\xf0\x34\x25", 4);
    assert_true(addr_eq_word(cd + 4 + 2 * 32, D2));
    uint8_t w[32];
    tword_u64(w, 9007199254740990ULL);
    assert_memory_equal(cd + 4 + 4 * 32, w, 32);
    tword_u64(w, 0);
    assert_memory_equal(cd + 4 + 3 * 32, w, 32);
    assert_true(assert_layout_ok(cd, len));
    free(cd);
    json_object_set_new(order, "volume", json_integer(9007199254740989LL));
    assert_int_equal(bulk_encode_assert(order, deal, &cd, &len, &volume_ok), SMS_OK);
    assert_false(volume_ok);
    free(cd);
    /* malformed fields */
    static const char *const bad[][2] = {
        {"dataset", "0x12"},      {"tag", "0x03"},          {"salt", "zz"},          {"sign", "0xz"},
        {"apprestrict", "nope"},  {"volume", "-1"},         {"datasetprice", "1.5"}, {"volume", ""},
        {"volume", "115792089237316195423570985008687907853269984665640564039457584007913129639936"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *o = json_deep_copy(order);
        json_object_set_new(o, bad[i][0], json_string(bad[i][1]));
        assert_int_equal(bulk_encode_assert(o, deal, &cd, &len, &volume_ok), SMS_EINVAL);
        json_decref(o);
    }
    json_object_set_new(order, "volume", json_integer(-5));
    assert_int_equal(bulk_encode_assert(order, deal, &cd, &len, &volume_ok), SMS_EINVAL);
    json_object_del(order, "volume");
    assert_int_equal(bulk_encode_assert(order, deal, &cd, &len, &volume_ok), SMS_EINVAL);
    json_t *num = json_integer(1);
    assert_int_equal(bulk_encode_assert(num, deal, &cd, &len, &volume_ok), SMS_EINVAL);
    json_decref(num);
    json_decref(order);
}

int main(void)
{
    pthread_mutex_init(&g.mu, NULL);
    /* a document just over the 1 MiB bound */
    size_t big = BULK_MAX_DOC_BYTES + 16;
    g.big = malloc(big + 1);
    if (g.big == NULL) return 1;
    g.big[0] = '[';
    memset(g.big + 1, ' ', big - 2);
    g.big[big - 1] = ']';
    g.big[big] = '\0';
    g.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL, MHD_OPTION_END);
    if (g.d == NULL) return 1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(g.d, MHD_DAEMON_INFO_BIND_PORT);
    g.port = info->port;
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_slice_orders),
        T(test_cache_and_batches),
        T(test_ipfs_failures),
        T(test_no_chain_all_invalid),
        cmocka_unit_test(test_encode_assert_vector),
    };
#undef T
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    MHD_stop_daemon(g.d);
    free(g.big);
    return failed;
}
