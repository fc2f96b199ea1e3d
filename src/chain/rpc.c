/* JSON-RPC eth_call client (chain.h) on libcurl + jansson.
 *
 * Connections: each curl easy handle keeps its own keep-alive connection cache, so handles
 * are pooled (LIFO, at most CHAIN_POOL_MAX) instead of created per call; a sequential caller
 * always gets the most recently used handle back and therefore the same TCP connection.
 * Bounds: the whole call (waiting for a pooled handle + connect + transfer) is limited to
 * the client's timeout; response bodies are capped; a node that lies or breaks gives
 * SMS_ECHAIN, never a crash or a hang. */
#include "chain/chain.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hex.h"
#include "core/log.h"

#define CHAIN_POOL_MAX 16
#define CHAIN_BODY_CAP ((size_t)4 << 20)
#define CHAIN_CALLDATA_MAX ((size_t)64 << 10)
#define CHAIN_BATCH_MAX 64
#define CHAIN_TIMEOUT_MAX_MS (10L * 60 * 1000)
#define CHAIN_ADDR_STR ETH_ADDRESS_STR_LEN

struct chain_client {
    char *url;
    long timeout_ms;
    char from[CHAIN_ADDR_STR];
    struct curl_slist *headers; /* read-only after creation, shared by every handle */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    CURL *idle[CHAIN_POOL_MAX];
    size_t n_idle;
    size_t n_total; /* handles created (idle + lent out) */
    atomic_uint_fast64_t requests;
    atomic_uint_fast64_t next_id;
};

typedef struct {
    char *p;
    size_t len;
    size_t cap;
    int overflow;
} body_buf;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Strict "0x" + even number of hex digits -> malloc'ed bytes (a 1-byte buffer for "0x"). */
static sms_status decode_result_hex(const char *s, size_t slen, uint8_t **out, size_t *out_len)
{
    /* hex_decode alone would accept an odd digit count or a missing prefix. */
    if (slen < 2 || s[0] != '0' || s[1] != 'x' || (slen - 2) % 2 != 0) return SMS_ECHAIN;
    size_t n = (slen - 2) / 2;
    uint8_t *buf = malloc(n == 0 ? 1 : n);
    if (buf == NULL) return SMS_ENOMEM;
    size_t got = 0;
    if (hex_decode(s, slen, buf, n, &got) != SMS_OK || got != n) {
        free(buf);
        return SMS_ECHAIN;
    }
    *out = buf;
    *out_len = n;
    return SMS_OK;
}

/* "0x" + 40 hex digits of any case -> lower-case copy. */
static sms_status normalize_address(const char *in, char out[CHAIN_ADDR_STR])
{
    uint8_t a[ETH_ADDRESS_LEN];
    if (address_parse(in, a) != SMS_OK) return SMS_EINVAL;
    address_format(a, out);
    return SMS_OK;
}

/* Selector for logs only: the rest of the calldata is never logged. */
static void selector_text(const uint8_t *data, size_t len, char out[11])
{
    if (len < 4) {
        memcpy(out, "(none)", 7);
        return;
    }
    hex_encode_0x(data, 4, out);
}

/* Node error messages are untrusted: keep them short and printable in logs. */
static void sanitize(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in != NULL && in[i] != '\0' && i + 1 < cap; i++) {
        unsigned char ch = (unsigned char)in[i];
        out[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    out[i] = '\0';
}

static void monotonic_now(struct timespec *ts) { clock_gettime(CLOCK_MONOTONIC, ts); }

static long elapsed_ms(const struct timespec *start)
{
    struct timespec now;
    monotonic_now(&now);
    return (long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    body_buf *b = userdata;
    size_t n = size * nmemb;
    if (n > CHAIN_BODY_CAP - b->len) {
        b->overflow = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap == 0 ? 4096 : b->cap;
        while (cap < b->len + n + 1) cap *= 2;
        if (cap > CHAIN_BODY_CAP + 1) cap = CHAIN_BODY_CAP + 1;
        char *np = realloc(b->p, cap);
        if (np == NULL) return 0;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, ptr, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

static CURL *new_handle(const chain_client *c)
{
    CURL *h = curl_easy_init();
    if (h == NULL) return NULL;
    int ok = curl_easy_setopt(h, CURLOPT_URL, c->url) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_POST, 1L) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
    ok = ok && curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
#else
    ok = ok && curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) == CURLE_OK;
#endif
    if (!ok) {
        curl_easy_cleanup(h);
        return NULL;
    }
    return h;
}

/* Borrow a handle, waiting at most until `start + timeout_ms` for one to come back. */
static sms_status pool_acquire(chain_client *c, const struct timespec *start, CURL **out)
{
    sms_status st = SMS_OK;
    struct timespec deadline = *start;
    deadline.tv_sec += c->timeout_ms / 1000;
    deadline.tv_nsec += (c->timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->mu);
    while (c->n_idle == 0 && c->n_total >= CHAIN_POOL_MAX) {
        int rc = pthread_cond_timedwait(&c->cv, &c->mu, &deadline);
        if (rc == ETIMEDOUT && c->n_idle == 0 && c->n_total >= CHAIN_POOL_MAX) {
            st = SMS_ETIMEOUT;
            goto done;
        }
    }
    if (c->n_idle > 0) {
        *out = c->idle[--c->n_idle];
        goto done;
    }
    c->n_total++; /* reserve the slot; the handle is built outside the lock */
    pthread_mutex_unlock(&c->mu);
    *out = new_handle(c);
    if (*out != NULL) return SMS_OK;
    pthread_mutex_lock(&c->mu);
    c->n_total--;
    pthread_cond_signal(&c->cv);
    st = SMS_ENOMEM;
done:
    pthread_mutex_unlock(&c->mu);
    return st;
}

static void pool_release(chain_client *c, CURL *h)
{
    pthread_mutex_lock(&c->mu);
    c->idle[c->n_idle++] = h;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* One HTTP POST of `body`; on SMS_OK *resp (NUL-terminated, caller frees) holds a 2xx body. */
static sms_status http_post(chain_client *c, const char *body, const char *what, char **resp)
{
    sms_status st = SMS_OK;
    struct timespec start;
    monotonic_now(&start);
    body_buf b = {0};
    char errbuf[CURL_ERROR_SIZE];
    errbuf[0] = '\0';
    CURL *h = NULL;

    st = pool_acquire(c, &start, &h);
    if (st != SMS_OK) {
        LOG_WARN("chain: %s: no connection available within %ld ms", what, c->timeout_ms);
        goto cleanup;
    }
    long remaining = c->timeout_ms - elapsed_ms(&start);
    if (remaining < 1) remaining = 1;
    if (curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body)) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, remaining) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, remaining) != CURLE_OK) {
        st = SMS_ERR;
        goto cleanup;
    }
    atomic_fetch_add(&c->requests, 1);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        if (rc == CURLE_OPERATION_TIMEDOUT) {
            st = SMS_ETIMEOUT;
            LOG_WARN("chain: %s: no answer within %ld ms", what, c->timeout_ms);
        } else if (b.overflow) {
            st = SMS_ECHAIN;
            LOG_WARN("chain: %s: answer larger than %zu bytes", what, CHAIN_BODY_CAP);
        } else {
            /* Refused, unresolvable, reset: the node is down, not answering "no". */
            st = SMS_EUNAVAIL;
            LOG_WARN("chain: %s: transport failure: %s", what, errbuf[0] ? errbuf : curl_easy_strerror(rc));
        }
        goto cleanup;
    }
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code > 299) {
        st = code >= 500 ? SMS_EUNAVAIL : SMS_ECHAIN; /* 5xx: a gateway or an overloaded node */
        LOG_WARN("chain: %s: node answered HTTP %ld", what, code);
        goto cleanup;
    }
    if (b.p == NULL) {
        st = SMS_ECHAIN;
        LOG_WARN("chain: %s: empty answer", what);
        goto cleanup;
    }
    *resp = b.p;
    b.p = NULL;
cleanup:
    if (h != NULL) {
        /* The handle outlives this frame: drop pointers into it before pooling it. */
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
        pool_release(c, h);
    }
    free(b.p);
    return st;
}

static json_t *build_call(const chain_client *c, const char *to_norm, const uint8_t *data, size_t data_len,
                          uint64_t id)
{
    json_t *req = NULL;
    char *hex = malloc(2 * data_len + 3);
    if (hex == NULL) return NULL;
    hex_encode_0x(data, data_len, hex);
    req = json_pack("{s:s, s:I, s:s, s:[{s:s, s:s, s:s}, s]}", "jsonrpc", "2.0", "id", (json_int_t)id, "method",
                    "eth_call", "params", "from", c->from, "to", to_norm, "data", hex, "latest");
    free(hex);
    return req;
}

/* Interpret one JSON-RPC response object; `what` names the call in logs. */
static sms_status parse_answer(json_t *ans, const char *what, uint8_t **result, size_t *result_len)
{
    json_t *err = json_object_get(ans, "error");
    if (err != NULL && !json_is_null(err)) {
        char msg[160];
        json_t *m = json_is_object(err) ? json_object_get(err, "message") : NULL;
        sanitize(json_is_string(m) ? json_string_value(m) : "(no message)", msg, sizeof msg);
        json_t *code = json_is_object(err) ? json_object_get(err, "code") : NULL;
        LOG_WARN("chain: %s: node error %lld: %s", what, json_is_integer(code) ? (long long)json_integer_value(code) : 0LL,
                 msg);
        return SMS_ECHAIN;
    }
    json_t *res = json_object_get(ans, "result");
    if (!json_is_string(res)) {
        LOG_WARN("chain: %s: answer without a string result", what);
        return SMS_ECHAIN;
    }
    sms_status st = decode_result_hex(json_string_value(res), json_string_length(res), result, result_len);
    if (st == SMS_ECHAIN) LOG_WARN("chain: %s: result is not 0x-hex", what);
    return st;
}

static int answer_id(json_t *ans, uint64_t *id)
{
    json_t *j = json_object_get(ans, "id");
    if (!json_is_integer(j) || json_integer_value(j) < 0) return 0;
    *id = (uint64_t)json_integer_value(j);
    return 1;
}

sms_status chain_client_new(const char *node_url, long timeout_ms, chain_client **out)
{
    sms_status st = SMS_OK;
    chain_client *c = NULL;
    uint8_t from[20];
    int mu_ok = 0;
    pthread_condattr_t ca;
    int ca_ok = 0;

    if (out == NULL || node_url == NULL || timeout_ms <= 0 || timeout_ms > CHAIN_TIMEOUT_MAX_MS ||
        (strncmp(node_url, "http://", 7) != 0 && strncmp(node_url, "https://", 8) != 0)) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK) {
        st = SMS_ERR;
        goto cleanup;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    c->timeout_ms = timeout_ms;
    atomic_init(&c->requests, 0);
    atomic_init(&c->next_id, 1);
    c->url = strdup(node_url);
    if (c->url == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    if (RAND_bytes(from, sizeof from) != 1) {
        st = SMS_ERR;
        goto cleanup;
    }
    hex_encode_0x(from, sizeof from, c->from);
    /* "Expect:" disables 100-continue, which would cost a round trip on larger bodies. */
    static const char *const hdrs[] = {"Content-Type: application/json", "Accept: application/json", "Expect:"};
    for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++) {
        struct curl_slist *hl = curl_slist_append(c->headers, hdrs[i]);
        if (hl == NULL) {
            st = SMS_ENOMEM;
            goto cleanup;
        }
        c->headers = hl;
    }
    if (pthread_condattr_init(&ca) != 0) {
        st = SMS_ERR;
        goto cleanup;
    }
    ca_ok = 1;
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 || pthread_mutex_init(&c->mu, NULL) != 0) {
        st = SMS_ERR;
        goto cleanup;
    }
    mu_ok = 1;
    if (pthread_cond_init(&c->cv, &ca) != 0) {
        st = SMS_ERR;
        goto cleanup;
    }
    *out = c;
    c = NULL;
cleanup:
    if (ca_ok) pthread_condattr_destroy(&ca);
    if (c != NULL) {
        if (mu_ok) pthread_mutex_destroy(&c->mu);
        curl_slist_free_all(c->headers);
        free(c->url);
        free(c);
    }
    return st;
}

void chain_client_free(chain_client *c)
{
    if (c == NULL) return;
    for (size_t i = 0; i < c->n_idle; i++) curl_easy_cleanup(c->idle[i]);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    curl_slist_free_all(c->headers);
    free(c->url);
    free(c);
}

const char *chain_client_from(const chain_client *c) { return c == NULL ? NULL : c->from; }

uint64_t chain_client_requests_sent(const chain_client *c)
{
    return c == NULL ? 0 : (uint64_t)atomic_load(&((chain_client *)c)->requests);
}

sms_status chain_eth_call(chain_client *c, const char *to, const uint8_t *data, size_t data_len, uint8_t **result,
                          size_t *result_len)
{
    sms_status st = SMS_OK;
    json_t *req = NULL;
    json_t *ans = NULL;
    char *body = NULL;
    char *resp = NULL;
    char to_norm[CHAIN_ADDR_STR];
    char sel[11];
    char what[80];

    if (c == NULL || result == NULL || result_len == NULL || (data == NULL && data_len > 0) ||
        data_len > CHAIN_CALLDATA_MAX || normalize_address(to, to_norm) != SMS_OK) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    *result = NULL;
    *result_len = 0;
    selector_text(data, data_len, sel);
    snprintf(what, sizeof what, "eth_call %s on %s", sel, to_norm);
    uint64_t id = atomic_fetch_add(&c->next_id, 1);
    req = build_call(c, to_norm, data, data_len, id);
    body = req == NULL ? NULL : json_dumps(req, JSON_COMPACT);
    if (body == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    st = http_post(c, body, what, &resp);
    if (st != SMS_OK) goto cleanup;
    ans = json_loads(resp, JSON_REJECT_DUPLICATES, NULL);
    uint64_t got;
    if (!json_is_object(ans) || !answer_id(ans, &got) || got != id) {
        LOG_WARN("chain: %s: malformed JSON-RPC answer", what);
        st = SMS_ECHAIN;
        goto cleanup;
    }
    st = parse_answer(ans, what, result, result_len);
cleanup:
    json_decref(req);
    json_decref(ans);
    free(body);
    free(resp);
    return st;
}

static void batch_fail_all(chain_call *calls, size_t n, sms_status st)
{
    for (size_t i = 0; i < n; i++) {
        free(calls[i].result);
        calls[i].result = NULL;
        calls[i].result_len = 0;
        calls[i].status = st;
    }
}

sms_status chain_eth_call_batch(chain_client *c, chain_call *calls, size_t n)
{
    sms_status st = SMS_OK;
    json_t *req = NULL;
    json_t *ans = NULL;
    char *body = NULL;
    char *resp = NULL;
    char what[80];
    unsigned char seen[CHAIN_BATCH_MAX] = {0};

    if (c == NULL || (calls == NULL && n > 0) || n > CHAIN_BATCH_MAX) return SMS_EINVAL;
    if (n == 0) return SMS_OK;
    for (size_t i = 0; i < n; i++) {
        calls[i].result = NULL;
        calls[i].result_len = 0;
        calls[i].status = SMS_ECHAIN;
    }
    req = json_array();
    if (req == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    uint64_t base = atomic_fetch_add(&c->next_id, n);
    for (size_t i = 0; i < n; i++) {
        char to_norm[CHAIN_ADDR_STR];
        if ((calls[i].data == NULL && calls[i].data_len > 0) || calls[i].data_len > CHAIN_CALLDATA_MAX ||
            normalize_address(calls[i].to, to_norm) != SMS_OK) {
            st = SMS_EINVAL;
            goto cleanup;
        }
        json_t *one = build_call(c, to_norm, calls[i].data, calls[i].data_len, base + i);
        if (one == NULL || json_array_append_new(req, one) != 0) {
            st = SMS_ENOMEM;
            goto cleanup;
        }
    }
    char sel[11];
    selector_text(calls[0].data, calls[0].data_len, sel);
    snprintf(what, sizeof what, "eth_call batch of %zu (first %s)", n, sel);
    body = json_dumps(req, JSON_COMPACT);
    if (body == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    st = http_post(c, body, what, &resp);
    if (st != SMS_OK) goto cleanup;
    ans = json_loads(resp, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_array(ans)) {
        LOG_WARN("chain: %s: answer is not a JSON-RPC batch", what);
        st = SMS_ECHAIN;
        goto cleanup;
    }
    size_t k;
    json_t *one;
    json_array_foreach(ans, k, one)
    {
        uint64_t id;
        if (!json_is_object(one) || !answer_id(one, &id) || id < base || id - base >= n) continue;
        size_t i = (size_t)(id - base);
        if (seen[i]) {
            /* Two answers for one id: trust neither. */
            free(calls[i].result);
            calls[i].result = NULL;
            calls[i].result_len = 0;
            calls[i].status = SMS_ECHAIN;
            continue;
        }
        seen[i] = 1;
        char sel_i[11];
        char what_i[80];
        char to_i[CHAIN_ADDR_STR];
        selector_text(calls[i].data, calls[i].data_len, sel_i);
        if (normalize_address(calls[i].to, to_i) != SMS_OK) to_i[0] = '\0'; /* validated above */
        snprintf(what_i, sizeof what_i, "eth_call %s on %s (batch)", sel_i, to_i);
        calls[i].status = parse_answer(one, what_i, &calls[i].result, &calls[i].result_len);
    }
    for (size_t i = 0; i < n; i++) {
        if (!seen[i]) LOG_WARN("chain: %s: no answer for call %zu", what, i);
    }
cleanup:
    if (st != SMS_OK) batch_fail_all(calls, n, st);
    json_decref(req);
    json_decref(ans);
    free(body);
    free(resp);
    return st;
}
