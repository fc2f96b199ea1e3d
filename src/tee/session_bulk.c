/* Bulk processing (tee-sessions.md 5.7): the deal's bulk_cid names an IPFS JSON array of
 * slice CIDs; the slice at the task's absolute index is a JSON array of dataset orders, each
 * checked on chain (dataset readable, assertDatasetDealCompatibility does not revert) and
 * for its volume. Remote content never makes generation fail: it only yields an empty list
 * or invalid orders. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/poco_cache.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/secure.h"
#include "tee/session_internal.h"
#include "tee/tee_text.h"

#define SEL_ASSERT_DATASET_DEAL 0x80f03425u /* assertDatasetDealCompatibility((...),bytes32) */
#define SIGN_MAX_BYTES 1024
#define CID_MAX 128
/* Orders checked per JSON-RPC batch: two calls each (viewDataset + assert) within the
 * chain client's batch bound. */
#define ORDERS_PER_BATCH 32
/* 2^53 - 2: volume of an order made for bulk processing (the SDK's "infinite" volume). */
#define BULK_VOLUME_MIN 9007199254740990ULL

typedef struct {
    char *p;
    size_t len;
    int too_big;
} fetch_buf;

static size_t fetch_write(char *data, size_t size, size_t nmemb, void *userp)
{
    fetch_buf *b = userp;
    size_t n = size * nmemb;
    if (n > BULK_MAX_DOC_BYTES || b->len > BULK_MAX_DOC_BYTES - n) {
        b->too_big = 1;
        return 0;
    }
    char *grown = realloc(b->p, b->len + n + 1);
    if (grown == NULL) return 0;
    b->p = grown;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

/* A CID goes into a URL path: only base58/base32 characters may (no "/", "?", "..", ...). */
static int cid_valid(const char *cid)
{
    size_t n = strlen(cid);
    if (n == 0 || n > CID_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = cid[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return 0;
    }
    return 1;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

/* curl_easy_init would otherwise do it implicitly, which is not safe from several threads. */
static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* GET {gateway}/ipfs/{cid} parsed as JSON. NULL on any failure (logged without content). */
static json_t *ipfs_get_json(const char *gateway, const char *cid)
{
    fetch_buf buf = {NULL, 0, 0};
    json_t *doc = NULL;
    char url[1024];
    CURL *h = NULL;
    struct curl_slist *hdrs = NULL;
    long code = 0;

    if (gateway == NULL || !cid_valid(cid)) {
        LOG_WARN("bulk: unusable IPFS gateway or CID");
        return NULL;
    }
    size_t glen = strlen(gateway);
    while (glen > 0 && gateway[glen - 1] == '/') glen--;
    int w = snprintf(url, sizeof url, "%.*s/ipfs/%s", (int)glen, gateway, cid);
    if (w < 0 || (size_t)w >= sizeof url) return NULL;
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK) return NULL;
    h = curl_easy_init();
    hdrs = curl_slist_append(NULL, "Accept: application/json");
    if (h == NULL || hdrs == NULL) goto out;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, BULK_HTTP_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, BULK_HTTP_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &buf);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        LOG_WARN("bulk: IPFS fetch of %s failed: %s", cid, buf.too_big ? "document too large" : curl_easy_strerror(rc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code > 299) {
        LOG_WARN("bulk: IPFS fetch of %s answered HTTP %ld", cid, code);
        goto out;
    }
    doc = json_loadb(buf.p != NULL ? buf.p : "", buf.len, 0, NULL);
    if (doc == NULL) LOG_WARN("bulk: IPFS document %s is not JSON", cid);
out:
    curl_slist_free_all(hdrs);
    if (h != NULL) curl_easy_cleanup(h);
    free(buf.p);
    return doc;
}

static sms_status put_address(const json_t *order, const char *field, uint8_t word[32])
{
    uint8_t a[ETH_ADDRESS_LEN];
    const char *s = json_string_value(json_object_get(order, field));
    if (s == NULL || address_parse(s, a) != SMS_OK) return SMS_EINVAL;
    abi_put_address(word, a);
    return SMS_OK;
}

static sms_status put_bytes32(const json_t *order, const char *field, uint8_t word[32])
{
    size_t n = 0;
    const char *s = json_string_value(json_object_get(order, field));
    if (s == NULL || hex_decode(s, strlen(s), word, 32, &n) != SMS_OK || n != 32) return SMS_EINVAL;
    return SMS_OK;
}

/* uint256 from a JSON integer >= 0 or a string of 1..78 decimal digits. */
static sms_status put_uint256(const json_t *order, const char *field, uint8_t word[32])
{
    const json_t *v = json_object_get(order, field);
    memset(word, 0, 32);
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x < 0) return SMS_EINVAL;
        abi_put_uint64(word, (uint64_t)x);
        return SMS_OK;
    }
    const char *s = json_string_value(v);
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > 78) return SMS_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return SMS_EINVAL;
        unsigned carry = (unsigned)(s[i] - '0');
        for (int k = 31; k >= 0; k--) {
            unsigned x = word[k] * 10u + carry;
            word[k] = (uint8_t)(x & 0xFF);
            carry = x >> 8;
        }
        if (carry != 0) return SMS_EINVAL; /* above 2^256 - 1 */
    }
    return SMS_OK;
}

static int volume_at_least_min(const uint8_t word[32])
{
    for (int i = 0; i < 24; i++)
        if (word[i] != 0) return 1;
    uint64_t v = 0;
    for (int i = 24; i < 32; i++) v = (v << 8) | word[i];
    return v >= BULK_VOLUME_MIN;
}

sms_status bulk_encode_assert(const json_t *order, const uint8_t deal_id[32], uint8_t **out, size_t *out_len,
                              int *volume_ok)
{
    static const char *const addresses[] = {"apprestrict", "workerpoolrestrict", "requesterrestrict"};
    uint8_t head[11][32]; /* 0x40, dealId, 8 order head words, offset of sign */
    uint8_t sign[SIGN_MAX_BYTES];
    size_t sign_len = 0;
    sms_status st;

    *volume_ok = 0;
    if (!json_is_object(order)) return SMS_EINVAL;
    abi_put_uint64(head[0], 0x40);
    abi_put_bytes32(head[1], deal_id);
    if ((st = put_address(order, "dataset", head[2])) != SMS_OK) return st;
    if ((st = put_uint256(order, "datasetprice", head[3])) != SMS_OK) return st;
    if ((st = put_uint256(order, "volume", head[4])) != SMS_OK) return st;
    if ((st = put_bytes32(order, "tag", head[5])) != SMS_OK) return st;
    for (size_t i = 0; i < 3; i++)
        if ((st = put_address(order, addresses[i], head[6 + i])) != SMS_OK) return st;
    if ((st = put_bytes32(order, "salt", head[9])) != SMS_OK) return st;
    abi_put_uint64(head[10], 9 * 32); /* sign follows the 9-word order head */
    const char *s = json_string_value(json_object_get(order, "sign"));
    if (s == NULL || hex_decode(s, strlen(s), sign, sizeof sign, &sign_len) != SMS_OK) return SMS_EINVAL;

    size_t padded = (sign_len + 31) / 32 * 32;
    size_t len = ABI_SELECTOR_LEN + sizeof head + 32 + padded;
    uint8_t *cd = calloc(1, len);
    if (cd == NULL) return SMS_ENOMEM;
    abi_put_selector(cd, SEL_ASSERT_DATASET_DEAL);
    memcpy(cd + ABI_SELECTOR_LEN, head, sizeof head);
    abi_put_uint64(cd + ABI_SELECTOR_LEN + sizeof head, sign_len);
    if (sign_len > 0) memcpy(cd + ABI_SELECTOR_LEN + sizeof head + 32, sign, sign_len);
    *volume_ok = volume_at_least_min(head[4]);
    *out = cd;
    *out_len = len;
    return SMS_OK;
}

void bulk_slice_clear(bulk_slice *s)
{
    if (s == NULL) return;
    for (size_t i = 0; i < s->n; i++) {
        bulk_order *o = &s->orders[i];
        free(o->dataset);
        free(o->url);
        free(o->checksum);
        if (o->key != NULL) secure_free(o->key, strlen(o->key));
    }
    free(s->orders);
    memset(s, 0, sizeof *s);
}

/* The slice of this task, or NULL (any failure = empty list). */
static json_t *fetch_slice(const session_inputs *in)
{
    const task_description *td = in->td;
    json_t *desc = ipfs_get_json(in->ipfs_gateway_url, td->params.bulk_cid);
    json_t *slice = NULL;
    if (desc == NULL) return NULL;
    if (!json_is_array(desc) || td->bot_index >= json_array_size(desc)) {
        LOG_WARN("bulk: no slice %llu in the bulk description of task %s", (unsigned long long)td->bot_index,
                 td->chain_task_id);
        goto out;
    }
    const char *cid = json_string_value(json_array_get(desc, (size_t)td->bot_index));
    if (cid == NULL) goto out;
    slice = ipfs_get_json(in->ipfs_gateway_url, cid);
    if (slice != NULL && (!json_is_array(slice) || json_array_size(slice) > BULK_MAX_ORDERS)) {
        LOG_WARN("bulk: slice of task %s is not a usable order list", td->chain_task_id);
        json_decref(slice);
        slice = NULL;
    }
out:
    json_decref(desc);
    return slice;
}

/* Per-order state of one chain batch. */
typedef struct {
    uint8_t *assert_cd;
    size_t assert_len;
    int volume_ok;
    int have_dataset;
    struct poco_dataset ds;
    int call_ds;     /* index of its viewDataset call, -1 if none */
    int call_assert; /* index of its assert call, -1 if none */
} order_check;

static void check_chunk(const session_inputs *in, const uint8_t deal_id[32], const json_t *slice, size_t first,
                        size_t count, bulk_slice *out)
{
    order_check oc[ORDERS_PER_BATCH];
    chain_call calls[2 * ORDERS_PER_BATCH];
    uint8_t ds_cd[ORDERS_PER_BATCH][ABI_SELECTOR_LEN + ABI_WORD];
    size_t nc = 0;

    memset(oc, 0, sizeof oc);
    memset(calls, 0, sizeof calls);
    for (size_t i = 0; i < count; i++) {
        const json_t *order = json_array_get(slice, first + i);
        const char *ds = out->orders[first + i].dataset;
        uint8_t addr[ETH_ADDRESS_LEN];
        oc[i].call_ds = oc[i].call_assert = -1;
        if (bulk_encode_assert(order, deal_id, &oc[i].assert_cd, &oc[i].assert_len, &oc[i].volume_ok) != SMS_OK)
            continue;
        if (address_parse(ds, addr) != SMS_OK || poco_address_is_zero(ds)) continue;
        if (in->cache != NULL && poco_cache_get_dataset(in->cache, ds, &oc[i].ds) == SMS_OK) {
            oc[i].have_dataset = 1;
        } else {
            uint8_t word[ABI_WORD];
            abi_put_address(word, addr);
            abi_encode_call1(ds_cd[i], POCO_SEL_VIEW_DATASET, word);
            calls[nc] = (chain_call){.to = in->hub, .data = ds_cd[i], .data_len = sizeof ds_cd[i]};
            oc[i].call_ds = (int)nc++;
        }
        calls[nc] = (chain_call){.to = in->hub, .data = oc[i].assert_cd, .data_len = oc[i].assert_len};
        oc[i].call_assert = (int)nc++;
    }
    if (nc > 0 && chain_eth_call_batch(in->chain, calls, nc) != SMS_OK) {
        LOG_WARN("bulk: order checks could not be sent to the chain node");
        for (size_t k = 0; k < nc; k++) calls[k].status = SMS_ECHAIN;
    }
    for (size_t i = 0; i < count; i++) {
        bulk_order *o = &out->orders[first + i];
        if (oc[i].call_ds >= 0) {
            chain_call *c = &calls[oc[i].call_ds];
            if (c->status == SMS_OK && poco_decode_dataset(c->result, c->result_len, &oc[i].ds) == SMS_OK) {
                oc[i].have_dataset = 1;
                if (in->cache != NULL) poco_cache_put_dataset(in->cache, o->dataset, &oc[i].ds);
            }
        }
        int compatible = oc[i].call_assert >= 0 && calls[oc[i].call_assert].status == SMS_OK;
        if (oc[i].have_dataset && compatible && oc[i].volume_ok) {
            size_t n = 0;
            if (tee_text_sanitize(oc[i].ds.uri, oc[i].ds.uri != NULL ? oc[i].ds.uri_len : 0, &o->url, &n) ==
                    SMS_OK &&
                (o->checksum = strdup(oc[i].ds.checksum)) != NULL)
                o->valid = 1;
        }
        free(oc[i].assert_cd);
        poco_dataset_clear(&oc[i].ds);
    }
    for (size_t k = 0; k < nc; k++) free(calls[k].result);
}

static tee_error load_keys(const session_inputs *in, bulk_slice *out)
{
    for (size_t i = 0; i < out->n; i++) {
        bulk_order *o = &out->orders[i];
        uint8_t *v = NULL;
        size_t vlen = 0;
        if (!o->valid) continue;
        sms_status st = secrets_get(in->secrets, SECRET_WEB3, o->dataset, NULL, &v, &vlen);
        if (st == SMS_ENOTFOUND) {
            /* A missing key is an empty string, not an error (5.7). */
            o->key = strdup("");
            if (o->key == NULL) return TEE_SECURE_SESSION_GENERATION_FAILED;
            continue;
        }
        if (st != SMS_OK) return TEE_SECURE_SESSION_GENERATION_FAILED;
        o->key = (char *)v;
        if (strlen(o->key) != vlen) { /* a NUL inside cannot go into an environment */
            secure_free(v, vlen + 1);
            o->key = NULL;
            return TEE_SECURE_SESSION_GENERATION_FAILED;
        }
    }
    return TEE_OK;
}

tee_error bulk_slice_load(const session_inputs *in, bulk_slice *out)
{
    tee_error err = TEE_OK;
    uint8_t deal_id[32];
    size_t n = 0;
    json_t *slice = NULL;

    memset(out, 0, sizeof *out);
    slice = fetch_slice(in);
    if (slice == NULL) return TEE_OK;
    size_t count = json_array_size(slice);
    if (count == 0) goto out;
    out->orders = calloc(count, sizeof *out->orders);
    if (out->orders == NULL) {
        err = TEE_SECURE_SESSION_GENERATION_FAILED;
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        const char *ds = json_string_value(json_object_get(json_array_get(slice, i), "dataset"));
        out->orders[i].dataset = strdup(ds != NULL ? ds : "");
        if (out->orders[i].dataset == NULL) {
            err = TEE_SECURE_SESSION_GENERATION_FAILED;
            goto out;
        }
        out->n++;
    }
    int chain_ok = in->chain != NULL && in->hub != NULL &&
                   hex_decode(in->td->chain_deal_id, strlen(in->td->chain_deal_id), deal_id, sizeof deal_id, &n) ==
                       SMS_OK &&
                   n == sizeof deal_id;
    if (!chain_ok) {
        LOG_WARN("bulk: no chain client for task %s: every order is invalid", in->td->chain_task_id);
        goto out;
    }
    for (size_t first = 0; first < count; first += ORDERS_PER_BATCH) {
        size_t chunk = count - first < ORDERS_PER_BATCH ? count - first : ORDERS_PER_BATCH;
        check_chunk(in, deal_id, slice, first, chunk, out);
    }
    err = load_keys(in, out);
out:
    json_decref(slice);
    if (err != TEE_OK) bulk_slice_clear(out);
    return err;
}
