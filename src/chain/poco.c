/* PoCo view decoders (tee-sessions.md 4.3-4.7), ownership helpers of the view structs. */
#include "chain/poco.h"

#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "core/hex.h"

#define TASK_HEAD_WORDS 12
#define DEAL_HEAD_WORDS_LEGACY 21 /* before `sponsor` was appended */
#define DEAL_HEAD_WORDS 22
#define CATEGORY_HEAD_WORDS 3
#define APP_HEAD_WORDS 6
#define DATASET_HEAD_WORDS 4

/* Any ABI failure of the node's data is the chain's fault, not the caller's. */
static sms_status as_chain(sms_status st) { return st == SMS_EINVAL ? SMS_ECHAIN : st; }

static sms_status read_address_str(const abi_view *v, size_t index, char out[POCO_ADDR_STR])
{
    uint8_t a[ABI_ADDRESS_LEN];
    sms_status st = abi_read_address(v, index, a);
    if (st != SMS_OK) return st;
    hex_encode_0x(a, sizeof a, out);
    return SMS_OK;
}

static sms_status read_b32_str(const abi_view *v, size_t index, char out[POCO_B32_STR])
{
    uint8_t b[ABI_WORD];
    sms_status st = abi_read_bytes32(v, index, b);
    if (st != SMS_OK) return st;
    hex_encode_0x(b, sizeof b, out);
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

void poco_bytes32_hex(const uint8_t b[32], char out[POCO_B32_STR]) { hex_encode_0x(b, 32, out); }

int poco_address_is_zero(const char *addr)
{
    uint8_t a[ABI_ADDRESS_LEN];
    if (address_parse(addr, a) != SMS_OK) return 0;
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
