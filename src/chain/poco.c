#include "chain/poco.h"

#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/poco_cache.h"
#include "core/log.h"

#define TASK_HEAD_WORDS 12
#define DEAL_HEAD_WORDS_LEGACY 21 /* before `sponsor` was appended */
#define DEAL_HEAD_WORDS 22
#define CATEGORY_HEAD_WORDS 3
#define APP_HEAD_WORDS 6
#define DATASET_HEAD_WORDS 4
#define CALLDATA_LEN (ABI_SELECTOR_LEN + ABI_WORD)

/* Multiaddr protocol code of /ipfs/ (alias /p2p/). */
#define MULTIADDR_IPFS 421
/* Base58 is quadratic: components longer than this are not plausible CIDs anyway. */
#define MULTIADDR_COMPONENT_MAX 256

static const char hexdigits[] = "0123456789abcdef";

static void hex_0x(const uint8_t *in, size_t n, char *out)
{
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 0; i < n; i++) {
        out[2 + 2 * i] = hexdigits[in[i] >> 4];
        out[3 + 2 * i] = hexdigits[in[i] & 0xf];
    }
    out[2 + 2 * n] = '\0';
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Strict "0x" + 40 hex digits. */
static sms_status parse_address(const char *s, uint8_t out[ABI_ADDRESS_LEN])
{
    if (s == NULL || strlen(s) != 42 || s[0] != '0' || s[1] != 'x') return SMS_EINVAL;
    for (size_t i = 0; i < ABI_ADDRESS_LEN; i++) {
        int hi = hexval(s[2 + 2 * i]);
        int lo = hexval(s[3 + 2 * i]);
        if (hi < 0 || lo < 0) return SMS_EINVAL;
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    return SMS_OK;
}

/* Any ABI failure of the node's data is the chain's fault, not the caller's. */
static sms_status as_chain(sms_status st) { return st == SMS_EINVAL ? SMS_ECHAIN : st; }

static sms_status read_address_str(const abi_view *v, size_t index, char out[POCO_ADDR_STR])
{
    uint8_t a[ABI_ADDRESS_LEN];
    sms_status st = abi_read_address(v, index, a);
    if (st != SMS_OK) return st;
    hex_0x(a, sizeof a, out);
    return SMS_OK;
}

static sms_status read_b32_str(const abi_view *v, size_t index, char out[POCO_B32_STR])
{
    uint8_t b[ABI_WORD];
    sms_status st = abi_read_bytes32(v, index, b);
    if (st != SMS_OK) return st;
    hex_0x(b, sizeof b, out);
    return SMS_OK;
}

/* Return data of a function returning one dynamic struct: a 32-multiple blob whose first
 * word is the offset of the struct. */
static sms_status outer_tuple(const uint8_t *data, size_t len, size_t head_words, abi_view *out)
{
    if (data == NULL || len == 0 || len % ABI_WORD != 0) return SMS_EINVAL;
    abi_view v = abi_view_make(data, len);
    return abi_read_tuple(&v, 0, 1, head_words, out);
}

static sms_status dup_mem(const void *src, size_t n, char **out)
{
    char *p = malloc(n + 1);
    if (p == NULL) return SMS_ENOMEM;
    if (n > 0) memcpy(p, src, n);
    p[n] = '\0';
    *out = p;
    return SMS_OK;
}

void poco_bytes32_hex(const uint8_t b[32], char out[POCO_B32_STR]) { hex_0x(b, 32, out); }

int poco_address_is_zero(const char *addr)
{
    uint8_t a[ABI_ADDRESS_LEN];
    if (parse_address(addr, a) != SMS_OK) return 0;
    for (size_t i = 0; i < sizeof a; i++)
        if (a[i] != 0) return 0;
    return 1;
}

tee_framework poco_tag_tee_framework(const uint8_t tag[32])
{
    switch (tag[31] & 0x0f) {
    case 0x3: return TEE_FRAMEWORK_SCONE;
    case 0x5: return TEE_FRAMEWORK_GRAMINE;
    case 0x9: return TEE_FRAMEWORK_TDX;
    default: return TEE_FRAMEWORK_NONE;
    }
}

/* ---- clear / copy ---- */

void poco_deal_clear(struct poco_deal *d)
{
    if (d == NULL) return;
    free(d->params);
    memset(d, 0, sizeof *d);
}

void poco_category_clear(struct poco_category *c)
{
    if (c == NULL) return;
    free(c->name);
    free(c->description);
    memset(c, 0, sizeof *c);
}

void poco_app_clear(struct poco_app *a)
{
    if (a == NULL) return;
    free(a->name);
    free(a->type);
    free(a->multiaddr);
    free(a->mrenclave);
    memset(a, 0, sizeof *a);
}

void poco_dataset_clear(struct poco_dataset *d)
{
    if (d == NULL) return;
    free(d->name);
    free(d->multiaddr);
    free(d->uri);
    memset(d, 0, sizeof *d);
}

sms_status poco_deal_copy(struct poco_deal *dst, const struct poco_deal *src)
{
    *dst = *src;
    dst->params = NULL;
    sms_status st = dup_mem(src->params == NULL ? "" : src->params, src->params_len, &dst->params);
    if (st != SMS_OK) poco_deal_clear(dst);
    return st;
}

sms_status poco_category_copy(struct poco_category *dst, const struct poco_category *src)
{
    *dst = *src;
    dst->name = NULL;
    dst->description = NULL;
    sms_status st = dup_mem(src->name == NULL ? "" : src->name, src->name_len, &dst->name);
    if (st == SMS_OK)
        st = dup_mem(src->description == NULL ? "" : src->description, src->description_len, &dst->description);
    if (st != SMS_OK) poco_category_clear(dst);
    return st;
}

sms_status poco_app_copy(struct poco_app *dst, const struct poco_app *src)
{
    *dst = *src;
    dst->name = dst->type = dst->multiaddr = dst->mrenclave = NULL;
    sms_status st = dup_mem(src->name == NULL ? "" : src->name, src->name_len, &dst->name);
    if (st == SMS_OK) st = dup_mem(src->type == NULL ? "" : src->type, src->type_len, &dst->type);
    if (st == SMS_OK)
        st = dup_mem(src->multiaddr == NULL ? "" : src->multiaddr, src->multiaddr_len, &dst->multiaddr);
    if (st == SMS_OK)
        st = dup_mem(src->mrenclave == NULL ? "" : src->mrenclave, src->mrenclave_len, &dst->mrenclave);
    if (st != SMS_OK) poco_app_clear(dst);
    return st;
}

sms_status poco_dataset_copy(struct poco_dataset *dst, const struct poco_dataset *src)
{
    *dst = *src;
    dst->name = dst->uri = NULL;
    dst->multiaddr = NULL;
    char *ma = NULL;
    sms_status st = dup_mem(src->name == NULL ? "" : src->name, src->name_len, &dst->name);
    if (st == SMS_OK) st = dup_mem(src->multiaddr == NULL ? (const void *)"" : src->multiaddr, src->multiaddr_len, &ma);
    dst->multiaddr = (uint8_t *)ma;
    if (st == SMS_OK) st = dup_mem(src->uri == NULL ? "" : src->uri, src->uri_len, &dst->uri);
    if (st != SMS_OK) poco_dataset_clear(dst);
    return st;
}

void poco_bundle_clear(struct poco_bundle *b)
{
    if (b == NULL) return;
    poco_deal_clear(&b->deal);
    poco_category_clear(&b->category);
    poco_app_clear(&b->app);
    poco_dataset_clear(&b->dataset);
    memset(b, 0, sizeof *b);
}

/* ---- multiaddr ---- */

static int read_varint(const uint8_t *b, size_t n, size_t *pos, uint64_t *out)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 63 && *pos < n; shift += 7) {
        uint8_t byte = b[(*pos)++];
        x |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            *out = x;
            return 1;
        }
    }
    return 0;
}

/* Multihash = varint code, varint digest length, digest (exactly filling the component). */
static int is_multihash(const uint8_t *b, size_t n)
{
    size_t pos = 0;
    uint64_t code, len;
    if (!read_varint(b, n, &pos, &code) || !read_varint(b, n, &pos, &len)) return 0;
    return len == n - pos;
}

/* base58btc (Bitcoin alphabet) of b[0..n) appended at out[*o]; out has room (n*138/100+2). */
static void base58_append(const uint8_t *b, size_t n, char *out, size_t *o)
{
    static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    uint8_t digits[MULTIADDR_COMPONENT_MAX * 138 / 100 + 2];
    size_t nd = 0;
    size_t zeros = 0;
    while (zeros < n && b[zeros] == 0) zeros++;
    for (size_t i = zeros; i < n; i++) {
        unsigned carry = b[i];
        for (size_t j = 0; j < nd; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry > 0) {
            digits[nd++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    for (size_t i = 0; i < zeros; i++) out[(*o)++] = '1';
    for (size_t i = 0; i < nd; i++) out[(*o)++] = alphabet[digits[nd - 1 - i]];
}

/* Binary multiaddr of /ipfs/ components only -> text; 0 if b is anything else. */
static int multiaddr_ipfs_text(const uint8_t *b, size_t n, char *out, size_t cap, size_t *out_len)
{
    size_t pos = 0;
    size_t o = 0;
    if (n == 0) return 0;
    while (pos < n) {
        uint64_t code, len;
        if (!read_varint(b, n, &pos, &code) || code != MULTIADDR_IPFS) return 0;
        if (!read_varint(b, n, &pos, &len) || len == 0 || len > MULTIADDR_COMPONENT_MAX || len > n - pos) return 0;
        if (!is_multihash(b + pos, (size_t)len)) return 0;
        if (cap - o < 6 + (size_t)len * 138 / 100 + 2) return 0;
        memcpy(out + o, "/ipfs/", 6);
        o += 6;
        base58_append(b + pos, (size_t)len, out, &o);
        pos += (size_t)len;
    }
    out[o] = '\0';
    *out_len = o;
    return 1;
}

sms_status poco_multiaddr_to_uri(const uint8_t *b, size_t n, char **out, size_t *out_len)
{
    /* Each component of k bytes costs >= k + 2 input bytes and <= 6 + k*1.38 + 2 output. */
    size_t cap = 2 * n + 16;
    char *text = malloc(cap);
    if (text == NULL) return SMS_ENOMEM;
    size_t len;
    if (!multiaddr_ipfs_text(b, n, text, cap, &len)) {
        free(text);
        len = n;
        if (dup_mem(b == NULL ? (const void *)"" : b, n, &text) != SMS_OK) return SMS_ENOMEM;
    }
    *out = text;
    *out_len = len;
    return SMS_OK;
}

/* ---- decoders ---- */

sms_status poco_decode_task(const uint8_t *data, size_t len, struct poco_task *out)
{
    sms_status st = SMS_OK;
    memset(out, 0, sizeof *out);
    if (data == NULL || len % ABI_WORD != 0) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    abi_view v = abi_view_make(data, len);
    uint64_t status;
    const uint8_t *results;
    abi_view contributors;
    if ((st = abi_read_uint_max(&v, 0, POCO_TASK_FAILED, &status)) != SMS_OK ||
        (st = abi_read_bytes32(&v, 1, out->deal_id)) != SMS_OK ||
        (st = abi_read_uint64(&v, 2, &out->idx)) != SMS_OK ||
        (st = abi_read_uint64(&v, 3, &out->timeref)) != SMS_OK ||
        (st = abi_read_uint64(&v, 4, &out->contribution_deadline)) != SMS_OK ||
        (st = abi_read_uint64(&v, 5, &out->reveal_deadline)) != SMS_OK ||
        (st = abi_read_uint64(&v, 6, &out->final_deadline)) != SMS_OK ||
        (st = abi_read_bytes32(&v, 7, out->consensus_value)) != SMS_OK ||
        (st = abi_read_uint64(&v, 8, &out->reveal_counter)) != SMS_OK ||
        (st = abi_read_uint64(&v, 9, &out->winner_counter)) != SMS_OK ||
        (st = abi_read_static_array(&v, 10, TASK_HEAD_WORDS, 1, &out->contributors_count, &contributors)) !=
            SMS_OK ||
        (st = abi_read_bytes(&v, 11, TASK_HEAD_WORDS, &results, &out->results_len)) != SMS_OK)
        goto cleanup;
    out->status = (poco_task_status)status;
    for (size_t i = 0; i < out->contributors_count; i++) {
        uint8_t a[ABI_ADDRESS_LEN];
        if ((st = abi_read_address(&contributors, i, a)) != SMS_OK) goto cleanup;
    }
cleanup:
    if (st != SMS_OK) memset(out, 0, sizeof *out);
    return as_chain(st);
}

sms_status poco_decode_deal(const uint8_t *data, size_t len, struct poco_deal *out)
{
    sms_status st = SMS_OK;
    memset(out, 0, sizeof *out);
    abi_view t;
    size_t params_off;
    if ((st = outer_tuple(data, len, DEAL_HEAD_WORDS_LEGACY, &t)) != SMS_OK) goto cleanup;
    if ((st = read_address_str(&t, 0, out->app)) != SMS_OK || (st = read_address_str(&t, 1, out->app_owner)) != SMS_OK ||
        (st = read_address_str(&t, 3, out->dataset)) != SMS_OK ||
        (st = read_address_str(&t, 4, out->dataset_owner)) != SMS_OK ||
        (st = read_address_str(&t, 6, out->workerpool)) != SMS_OK ||
        (st = read_address_str(&t, 7, out->workerpool_owner)) != SMS_OK ||
        (st = abi_read_uint64(&t, 10, &out->category)) != SMS_OK ||
        (st = abi_read_bytes32(&t, 11, out->tag)) != SMS_OK ||
        (st = read_address_str(&t, 12, out->requester)) != SMS_OK ||
        (st = read_address_str(&t, 13, out->beneficiary)) != SMS_OK ||
        (st = read_address_str(&t, 14, out->callback)) != SMS_OK ||
        (st = abi_read_offset(&t, 15, DEAL_HEAD_WORDS_LEGACY, &params_off)) != SMS_OK ||
        (st = abi_dup_bytes(&t, 15, DEAL_HEAD_WORDS_LEGACY, &out->params, &out->params_len)) != SMS_OK ||
        (st = abi_read_uint64(&t, 16, &out->start_time)) != SMS_OK ||
        (st = abi_read_uint64(&t, 17, &out->bot_first)) != SMS_OK ||
        (st = abi_read_uint64(&t, 18, &out->bot_size)) != SMS_OK)
        goto cleanup;
    /* The head ends where the first tail begins: a 22-word head (current PoCo) carries the
     * sponsor, a 21-word one (older deployments) does not. */
    if (params_off >= DEAL_HEAD_WORDS * ABI_WORD) {
        if ((st = read_address_str(&t, 21, out->sponsor)) != SMS_OK) goto cleanup;
        out->has_sponsor = 1;
    }
cleanup:
    if (st != SMS_OK) poco_deal_clear(out);
    return as_chain(st);
}

sms_status poco_decode_category(const uint8_t *data, size_t len, struct poco_category *out)
{
    sms_status st = SMS_OK;
    memset(out, 0, sizeof *out);
    abi_view t;
    if ((st = outer_tuple(data, len, CATEGORY_HEAD_WORDS, &t)) != SMS_OK ||
        (st = abi_dup_bytes(&t, 0, CATEGORY_HEAD_WORDS, &out->name, &out->name_len)) != SMS_OK ||
        (st = abi_dup_bytes(&t, 1, CATEGORY_HEAD_WORDS, &out->description, &out->description_len)) != SMS_OK ||
        (st = abi_read_uint64(&t, 2, &out->work_clock_time_ref)) != SMS_OK)
        goto cleanup;
cleanup:
    if (st != SMS_OK) poco_category_clear(out);
    return as_chain(st);
}

sms_status poco_decode_app(const uint8_t *data, size_t len, struct poco_app *out)
{
    sms_status st = SMS_OK;
    memset(out, 0, sizeof *out);
    abi_view t;
    if ((st = outer_tuple(data, len, APP_HEAD_WORDS, &t)) != SMS_OK ||
        (st = read_address_str(&t, 0, out->owner)) != SMS_OK ||
        (st = abi_dup_bytes(&t, 1, APP_HEAD_WORDS, &out->name, &out->name_len)) != SMS_OK ||
        (st = abi_dup_bytes(&t, 2, APP_HEAD_WORDS, &out->type, &out->type_len)) != SMS_OK ||
        (st = abi_dup_bytes(&t, 3, APP_HEAD_WORDS, &out->multiaddr, &out->multiaddr_len)) != SMS_OK ||
        (st = read_b32_str(&t, 4, out->checksum)) != SMS_OK ||
        (st = abi_dup_bytes(&t, 5, APP_HEAD_WORDS, &out->mrenclave, &out->mrenclave_len)) != SMS_OK)
        goto cleanup;
cleanup:
    if (st != SMS_OK) poco_app_clear(out);
    return as_chain(st);
}

sms_status poco_decode_dataset(const uint8_t *data, size_t len, struct poco_dataset *out)
{
    sms_status st = SMS_OK;
    memset(out, 0, sizeof *out);
    abi_view t;
    char *ma = NULL;
    if ((st = outer_tuple(data, len, DATASET_HEAD_WORDS, &t)) != SMS_OK ||
        (st = read_address_str(&t, 0, out->owner)) != SMS_OK ||
        (st = abi_dup_bytes(&t, 1, DATASET_HEAD_WORDS, &out->name, &out->name_len)) != SMS_OK ||
        (st = abi_dup_bytes(&t, 2, DATASET_HEAD_WORDS, &ma, &out->multiaddr_len)) != SMS_OK)
        goto cleanup;
    out->multiaddr = (uint8_t *)ma;
    if ((st = read_b32_str(&t, 3, out->checksum)) != SMS_OK ||
        (st = poco_multiaddr_to_uri(out->multiaddr, out->multiaddr_len, &out->uri, &out->uri_len)) != SMS_OK)
        goto cleanup;
cleanup:
    if (st != SMS_OK) {
        if (out->multiaddr == NULL) free(ma);
        poco_dataset_clear(out);
    }
    return as_chain(st);
}

sms_status poco_decode_owner(const uint8_t *data, size_t len, char owner_out[POCO_ADDR_STR])
{
    /* Like the reference (web3j), only the first word counts; trailing data is ignored. */
    if (data == NULL || len < ABI_WORD) return SMS_ECHAIN;
    abi_view v = abi_view_make(data, ABI_WORD);
    return as_chain(read_address_str(&v, 0, owner_out));
}

/* ---- readers ---- */

static void call_b32(uint8_t out[CALLDATA_LEN], uint32_t selector, const uint8_t arg[ABI_WORD])
{
    abi_encode_call1(out, selector, arg);
}

static void call_u64(uint8_t out[CALLDATA_LEN], uint32_t selector, uint64_t arg)
{
    uint8_t w[ABI_WORD];
    abi_put_uint64(w, arg);
    abi_encode_call1(out, selector, w);
}

static void call_addr(uint8_t out[CALLDATA_LEN], uint32_t selector, const uint8_t addr[ABI_ADDRESS_LEN])
{
    uint8_t w[ABI_WORD];
    abi_put_address(w, addr);
    abi_encode_call1(out, selector, w);
}

static int is_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0) return 0;
    return 1;
}

sms_status poco_owner(chain_client *c, const char *contract, char owner_out[POCO_ADDR_STR])
{
    uint8_t data[ABI_SELECTOR_LEN];
    uint8_t *res = NULL;
    size_t res_len = 0;
    uint8_t a[ABI_ADDRESS_LEN];
    if (c == NULL || owner_out == NULL || parse_address(contract, a) != SMS_OK) return SMS_EINVAL;
    abi_put_selector(data, POCO_SEL_OWNER);
    sms_status st = chain_eth_call(c, contract, data, sizeof data, &res, &res_len);
    if (st == SMS_OK) {
        st = poco_decode_owner(res, res_len, owner_out);
        if (st != SMS_OK) LOG_WARN("chain: owner() of %s: unusable answer (%zu bytes)", contract, res_len);
    }
    free(res);
    return st;
}

sms_status poco_get_task(chain_client *c, const char *hub, const uint8_t task_id[32], struct poco_task *out)
{
    uint8_t data[CALLDATA_LEN];
    uint8_t *res = NULL;
    size_t res_len = 0;
    if (c == NULL || hub == NULL || task_id == NULL || out == NULL) return SMS_EINVAL;
    call_b32(data, POCO_SEL_VIEW_TASK_LEGACY, task_id);
    sms_status st = chain_eth_call(c, hub, data, sizeof data, &res, &res_len);
    if (st == SMS_OK) st = poco_decode_task(res, res_len, out);
    if (st == SMS_OK && is_zero(out->deal_id, 32)) st = SMS_ENOTFOUND;
    free(res);
    return st;
}

sms_status poco_get_deal(chain_client *c, poco_cache *cache, const char *hub, const uint8_t deal_id[32],
                         struct poco_deal *out)
{
    uint8_t data[CALLDATA_LEN];
    uint8_t *res = NULL;
    size_t res_len = 0;
    if (c == NULL || hub == NULL || deal_id == NULL || out == NULL) return SMS_EINVAL;
    if (cache != NULL && poco_cache_get_deal(cache, deal_id, out) == SMS_OK) return SMS_OK;
    call_b32(data, POCO_SEL_VIEW_DEAL, deal_id);
    sms_status st = chain_eth_call(c, hub, data, sizeof data, &res, &res_len);
    if (st == SMS_OK) st = poco_decode_deal(res, res_len, out);
    if (st == SMS_OK && out->start_time == 0) st = SMS_ENOTFOUND;
    /* A failed cache insert only costs a future re-read. */
    if (st == SMS_OK && cache != NULL) (void)poco_cache_put_deal(cache, deal_id, out);
    free(res);
    return st;
}

sms_status poco_get_category(chain_client *c, poco_cache *cache, const char *hub, uint64_t id,
                             struct poco_category *out)
{
    uint8_t data[CALLDATA_LEN];
    uint8_t *res = NULL;
    size_t res_len = 0;
    if (c == NULL || hub == NULL || out == NULL) return SMS_EINVAL;
    if (cache != NULL && poco_cache_get_category(cache, id, out) == SMS_OK) return SMS_OK;
    call_u64(data, POCO_SEL_VIEW_CATEGORY, id);
    sms_status st = chain_eth_call(c, hub, data, sizeof data, &res, &res_len);
    if (st == SMS_OK) st = poco_decode_category(res, res_len, out);
    if (st == SMS_OK && cache != NULL) (void)poco_cache_put_category(cache, id, out);
    free(res);
    return st;
}

sms_status poco_get_app(chain_client *c, poco_cache *cache, const char *hub, const char *app, struct poco_app *out)
{
    uint8_t data[CALLDATA_LEN];
    uint8_t a[ABI_ADDRESS_LEN];
    uint8_t *res = NULL;
    size_t res_len = 0;
    if (c == NULL || hub == NULL || out == NULL || parse_address(app, a) != SMS_OK) return SMS_EINVAL;
    if (is_zero(a, sizeof a)) return SMS_ENOTFOUND;
    if (cache != NULL && poco_cache_get_app(cache, app, out) == SMS_OK) return SMS_OK;
    call_addr(data, POCO_SEL_VIEW_APP, a);
    sms_status st = chain_eth_call(c, hub, data, sizeof data, &res, &res_len);
    if (st == SMS_OK) st = poco_decode_app(res, res_len, out);
    if (st == SMS_OK && cache != NULL) (void)poco_cache_put_app(cache, app, out);
    free(res);
    return st;
}

sms_status poco_get_dataset(chain_client *c, poco_cache *cache, const char *hub, const char *dataset,
                            struct poco_dataset *out)
{
    uint8_t data[CALLDATA_LEN];
    uint8_t a[ABI_ADDRESS_LEN];
    uint8_t *res = NULL;
    size_t res_len = 0;
    if (c == NULL || hub == NULL || out == NULL || parse_address(dataset, a) != SMS_OK) return SMS_EINVAL;
    if (is_zero(a, sizeof a)) return SMS_ENOTFOUND;
    if (cache != NULL && poco_cache_get_dataset(cache, dataset, out) == SMS_OK) return SMS_OK;
    call_addr(data, POCO_SEL_VIEW_DATASET, a);
    sms_status st = chain_eth_call(c, hub, data, sizeof data, &res, &res_len);
    if (st == SMS_OK) st = poco_decode_dataset(res, res_len, out);
    if (st == SMS_OK && cache != NULL) (void)poco_cache_put_dataset(cache, dataset, out);
    free(res);
    return st;
}

/* ---- bundle ---- */

enum { K_TASK, K_DEAL, K_CATEGORY, K_APP, K_DATASET, K_COUNT };

typedef struct {
    int pending; /* to be sent in the current round */
    uint8_t data[CALLDATA_LEN];
    chain_call call;
} slot;

/* Send every pending slot in one HTTP round trip (single call or batch). Each slot's
 * call.status/result is filled; pending flags are reset. */
static sms_status run_round(chain_client *c, const char *hub, slot *slots, unsigned *round_trips)
{
    chain_call calls[K_COUNT];
    size_t idx[K_COUNT];
    size_t n = 0;
    for (size_t k = 0; k < K_COUNT; k++) {
        if (!slots[k].pending) continue;
        calls[n] = (chain_call){.to = hub, .data = slots[k].data, .data_len = CALLDATA_LEN};
        idx[n++] = k;
    }
    if (n == 0) return SMS_OK;
    sms_status st;
    if (n == 1) {
        st = chain_eth_call(c, hub, calls[0].data, calls[0].data_len, &calls[0].result, &calls[0].result_len);
        calls[0].status = st;
    } else {
        st = chain_eth_call_batch(c, calls, n);
    }
    (*round_trips)++;
    for (size_t i = 0; i < n; i++) {
        slot *s = &slots[idx[i]];
        s->pending = 0;
        s->call = calls[i];
        if (st != SMS_OK && s->call.status == SMS_OK) s->call.status = st;
    }
    return st == SMS_EINVAL || st == SMS_ENOMEM ? st : SMS_OK;
}

static void slot_release(slot *s)
{
    free(s->call.result);
    s->call.result = NULL;
    s->call.result_len = 0;
}

/* Fill category/app/dataset from the cache where possible and mark the others pending. */
static sms_status plan_deps(poco_cache *cache, struct poco_bundle *out, slot *slots, int *need)
{
    uint8_t a[ABI_ADDRESS_LEN];
    need[K_CATEGORY] = need[K_APP] = need[K_DATASET] = 0;

    if (cache != NULL && poco_cache_get_category(cache, out->deal.category, &out->category) == SMS_OK) {
        out->category_status = SMS_OK;
    } else {
        call_u64(slots[K_CATEGORY].data, POCO_SEL_VIEW_CATEGORY, out->deal.category);
        slots[K_CATEGORY].pending = need[K_CATEGORY] = 1;
    }

    if (parse_address(out->deal.app, a) != SMS_OK) return SMS_ERR;
    if (is_zero(a, sizeof a)) {
        out->app_status = SMS_ENOTFOUND;
    } else if (cache != NULL && poco_cache_get_app(cache, out->deal.app, &out->app) == SMS_OK) {
        out->app_status = SMS_OK;
    } else {
        call_addr(slots[K_APP].data, POCO_SEL_VIEW_APP, a);
        slots[K_APP].pending = need[K_APP] = 1;
    }

    if (parse_address(out->deal.dataset, a) != SMS_OK) return SMS_ERR;
    out->has_dataset = !is_zero(a, sizeof a);
    if (!out->has_dataset) {
        out->dataset_status = SMS_OK;
    } else if (cache != NULL && poco_cache_get_dataset(cache, out->deal.dataset, &out->dataset) == SMS_OK) {
        out->dataset_status = SMS_OK;
    } else {
        call_addr(slots[K_DATASET].data, POCO_SEL_VIEW_DATASET, a);
        slots[K_DATASET].pending = need[K_DATASET] = 1;
    }
    return SMS_OK;
}

/* Decode the answered dependency slots and cache what was read. */
static void finish_deps(poco_cache *cache, struct poco_bundle *out, slot *slots, const int *need)
{
    if (need[K_CATEGORY]) {
        sms_status st = slots[K_CATEGORY].call.status;
        if (st == SMS_OK)
            st = poco_decode_category(slots[K_CATEGORY].call.result, slots[K_CATEGORY].call.result_len, &out->category);
        if (st == SMS_OK && cache != NULL) (void)poco_cache_put_category(cache, out->deal.category, &out->category);
        out->category_status = st;
    }
    if (need[K_APP]) {
        sms_status st = slots[K_APP].call.status;
        if (st == SMS_OK) st = poco_decode_app(slots[K_APP].call.result, slots[K_APP].call.result_len, &out->app);
        if (st == SMS_OK && cache != NULL) (void)poco_cache_put_app(cache, out->deal.app, &out->app);
        out->app_status = st;
    }
    if (need[K_DATASET]) {
        sms_status st = slots[K_DATASET].call.status;
        if (st == SMS_OK)
            st = poco_decode_dataset(slots[K_DATASET].call.result, slots[K_DATASET].call.result_len, &out->dataset);
        if (st == SMS_OK && cache != NULL) (void)poco_cache_put_dataset(cache, out->deal.dataset, &out->dataset);
        out->dataset_status = st;
    }
}

static sms_status decode_deal_slot(slot *s, struct poco_deal *deal)
{
    sms_status st = s->call.status;
    if (st == SMS_OK) st = poco_decode_deal(s->call.result, s->call.result_len, deal);
    if (st == SMS_OK && deal->start_time == 0) {
        poco_deal_clear(deal);
        st = SMS_ENOTFOUND;
    }
    return st;
}

static void forget_deal(struct poco_bundle *b)
{
    poco_deal_clear(&b->deal);
    poco_category_clear(&b->category);
    poco_app_clear(&b->app);
    poco_dataset_clear(&b->dataset);
    b->has_dataset = 0;
}

/* Component `failed` failed with st: everything after it inherits st. */
static void fail_after(struct poco_bundle *b, int failed, sms_status st)
{
    forget_deal(b);
    if (failed < K_DEAL) b->deal_status = st;
    b->category_status = b->app_status = b->dataset_status = st;
}

static sms_status bundle_result(const struct poco_bundle *b)
{
    if (b->task_status != SMS_OK) return b->task_status;
    if (b->deal_status != SMS_OK) return b->deal_status;
    if (b->category_status != SMS_OK) return b->category_status;
    if (b->app_status != SMS_OK) return b->app_status;
    return b->dataset_status;
}

sms_status poco_read_task_bundle(chain_client *c, poco_cache *cache, const char *hub, const uint8_t task_id[32],
                                 const uint8_t *deal_hint, struct poco_bundle *out)
{
    sms_status st = SMS_OK;
    slot slots[K_COUNT];
    int need[K_COUNT] = {0};
    int deal_ready = 0; /* out->deal holds the deal of deal_hint */
    int deps_planned = 0;
    uint8_t hub_bin[ABI_ADDRESS_LEN];

    memset(slots, 0, sizeof slots);
    if (c == NULL || hub == NULL || task_id == NULL || out == NULL || parse_address(hub, hub_bin) != SMS_OK)
        return SMS_EINVAL;
    memset(out, 0, sizeof *out);

    /* Round 1: the task, plus whatever a trusted-later hint lets us fetch already. */
    call_b32(slots[K_TASK].data, POCO_SEL_VIEW_TASK_LEGACY, task_id);
    slots[K_TASK].pending = 1;
    if (deal_hint != NULL && !is_zero(deal_hint, 32)) {
        if (cache != NULL && poco_cache_get_deal(cache, deal_hint, &out->deal) == SMS_OK) {
            deal_ready = 1;
            out->deal_status = SMS_OK;
            if ((st = plan_deps(cache, out, slots, need)) != SMS_OK) goto cleanup;
            deps_planned = 1;
        } else {
            call_b32(slots[K_DEAL].data, POCO_SEL_VIEW_DEAL, deal_hint);
            slots[K_DEAL].pending = need[K_DEAL] = 1;
        }
    }
    if ((st = run_round(c, hub, slots, &out->round_trips)) != SMS_OK) goto cleanup;

    out->task_status = slots[K_TASK].call.status;
    if (out->task_status == SMS_OK)
        out->task_status = poco_decode_task(slots[K_TASK].call.result, slots[K_TASK].call.result_len, &out->task);
    if (out->task_status == SMS_OK && is_zero(out->task.deal_id, 32)) out->task_status = SMS_ENOTFOUND;
    if (out->task_status != SMS_OK) {
        fail_after(out, K_TASK, out->task_status);
        goto cleanup;
    }

    int hint_confirmed = deal_hint != NULL && memcmp(deal_hint, out->task.deal_id, 32) == 0;
    if (!hint_confirmed && (deal_ready || need[K_DEAL])) {
        /* Wrong guess: forget everything derived from it. */
        LOG_INFO("chain: deal hint does not match the task's deal, re-reading");
        forget_deal(out);
        deal_ready = 0;
        deps_planned = 0;
        memset(need, 0, sizeof need);
    }
    if (hint_confirmed && need[K_DEAL]) {
        out->deal_status = decode_deal_slot(&slots[K_DEAL], &out->deal);
        if (out->deal_status == SMS_OK && cache != NULL) (void)poco_cache_put_deal(cache, out->task.deal_id, &out->deal);
        deal_ready = 1;
    }

    if (!deal_ready) {
        /* Round 2: the deal (from the cache when possible). */
        if (cache != NULL && poco_cache_get_deal(cache, out->task.deal_id, &out->deal) == SMS_OK) {
            out->deal_status = SMS_OK;
        } else {
            slot_release(&slots[K_DEAL]);
            call_b32(slots[K_DEAL].data, POCO_SEL_VIEW_DEAL, out->task.deal_id);
            slots[K_DEAL].pending = 1;
            if ((st = run_round(c, hub, slots, &out->round_trips)) != SMS_OK) goto cleanup;
            out->deal_status = decode_deal_slot(&slots[K_DEAL], &out->deal);
            if (out->deal_status == SMS_OK && cache != NULL)
                (void)poco_cache_put_deal(cache, out->task.deal_id, &out->deal);
        }
    }
    if (out->deal_status != SMS_OK) {
        fail_after(out, K_DEAL, out->deal_status);
        goto cleanup;
    }

    if (deps_planned) {
        /* Dependencies already went out with the task in round 1. */
        finish_deps(cache, out, slots, need);
    } else {
        /* Round 3: category + app + dataset in one batch. */
        for (size_t k = K_CATEGORY; k < K_COUNT; k++) slot_release(&slots[k]);
        if ((st = plan_deps(cache, out, slots, need)) != SMS_OK) goto cleanup;
        if ((st = run_round(c, hub, slots, &out->round_trips)) != SMS_OK) goto cleanup;
        finish_deps(cache, out, slots, need);
    }

cleanup:
    for (size_t k = 0; k < K_COUNT; k++) slot_release(&slots[k]);
    if (st != SMS_OK) {
        poco_bundle_clear(out);
        return st;
    }
    return bundle_result(out);
}
