/* PoCo readers over JSON-RPC (tee-sessions.md 4.1-4.10, sms-api.md 5.4.2): single views and
 * the batched task bundle, with the immutable objects served from the cache. */
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/poco.h"
#include "chain/poco_cache.h"
#include "core/hex.h"
#include "core/log.h"

#define CALLDATA_LEN (ABI_SELECTOR_LEN + ABI_WORD)

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
    if (c == NULL || owner_out == NULL || address_parse(contract, a) != SMS_OK) return SMS_EINVAL;
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
    if (c == NULL || hub == NULL || out == NULL || address_parse(app, a) != SMS_OK) return SMS_EINVAL;
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
    if (c == NULL || hub == NULL || out == NULL || address_parse(dataset, a) != SMS_OK) return SMS_EINVAL;
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

    if (address_parse(out->deal.app, a) != SMS_OK) return SMS_ERR;
    if (is_zero(a, sizeof a)) {
        out->app_status = SMS_ENOTFOUND;
    } else if (cache != NULL && poco_cache_get_app(cache, out->deal.app, &out->app) == SMS_OK) {
        out->app_status = SMS_OK;
    } else {
        call_addr(slots[K_APP].data, POCO_SEL_VIEW_APP, a);
        slots[K_APP].pending = need[K_APP] = 1;
    }

    if (address_parse(out->deal.dataset, a) != SMS_OK) return SMS_ERR;
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
    if (c == NULL || hub == NULL || task_id == NULL || out == NULL || address_parse(hub, hub_bin) != SMS_OK)
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
