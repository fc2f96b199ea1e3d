/* Task description (tee-sessions.md 4.10): one PoCo bundle read turned into what session
 * generation needs, with the derived predicates of the reference's TaskDescription. */
#include <stdlib.h>
#include <string.h>

#include "crypto/keccak.h"
#include "tee/task_description.h"
#include "tee/tee_text.h"

static void copy_addr(char dst[POCO_ADDR_STR], const char *src)
{
    size_t n = strnlen(src, POCO_ADDR_STR - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void copy_b32(char dst[POCO_B32_STR], const char *src)
{
    size_t n = strnlen(src, POCO_B32_STR - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* keccak256(dealid || uint256(idx)) as "0x" + 64 lower-case hex. */
static void chain_task_id(const uint8_t deal_id[32], uint64_t idx, char out[POCO_B32_STR])
{
    uint8_t buf[64];
    uint8_t h[32];
    memcpy(buf, deal_id, 32);
    memset(buf + 32, 0, 32);
    for (int i = 0; i < 8; i++) buf[63 - i] = (uint8_t)(idx >> (8 * i));
    keccak256(buf, sizeof buf, h);
    poco_bytes32_hex(h, out);
}

static int64_t seconds_to_ms(uint64_t s)
{
    return s > (uint64_t)(INT64_MAX / 1000) ? INT64_MAX : (int64_t)(s * 1000);
}

sms_status task_description_from_bundle(const struct poco_bundle *b, task_description *out)
{
    sms_status st = SMS_OK;
    size_t n = 0;

    memset(out, 0, sizeof *out);
    if (b == NULL || b->task_status != SMS_OK || b->deal_status != SMS_OK || b->category_status != SMS_OK ||
        b->app_status != SMS_OK || (b->has_dataset && b->dataset_status != SMS_OK))
        return SMS_EINVAL;

    const struct poco_deal *d = &b->deal;
    chain_task_id(b->task.deal_id, b->task.idx, out->chain_task_id);
    poco_bytes32_hex(b->task.deal_id, out->chain_deal_id);
    out->bot_index = b->task.idx;
    out->final_deadline_ms = seconds_to_ms(b->task.final_deadline);
    copy_addr(out->app_address, d->app);
    copy_addr(out->requester, d->requester);
    copy_addr(out->beneficiary, d->beneficiary);
    copy_addr(out->callback, d->callback);
    copy_addr(out->workerpool_owner, d->workerpool_owner);
    copy_addr(out->dataset_address, d->dataset);
    if (b->has_dataset) {
        st = tee_text_sanitize(b->dataset.uri, b->dataset.uri != NULL ? b->dataset.uri_len : 0, &out->dataset_uri, &n);
        if (st != SMS_OK) goto fail;
        copy_b32(out->dataset_checksum, b->dataset.checksum);
    }
    st = tee_text_sanitize(b->app.multiaddr, b->app.multiaddr != NULL ? b->app.multiaddr_len : 0, &out->app_uri, &n);
    if (st != SMS_OK) goto fail;
    copy_b32(out->app_checksum, b->app.checksum);
    /* A configuration that does not parse is "absent", not an error (4.11). */
    st = enclave_config_parse(b->app.mrenclave, b->app.mrenclave != NULL ? b->app.mrenclave_len : 0, &out->enclave);
    if (st == SMS_ENOMEM) goto fail;
    out->has_enclave_config = st == SMS_OK;
    memcpy(out->tag, d->tag, sizeof out->tag);
    out->framework = poco_tag_tee_framework(d->tag);
    out->bot_first = d->bot_first;
    out->bot_size = d->bot_size;
    out->max_execution_time_ms = seconds_to_ms(b->category.work_clock_time_ref);
    st = deal_params_parse(d->params, d->params != NULL ? d->params_len : 0, &out->params);
    if (st != SMS_OK) goto fail;
    return SMS_OK;
fail:
    task_description_clear(out);
    return st;
}

void task_description_clear(task_description *td)
{
    if (td == NULL) return;
    free(td->dataset_uri);
    free(td->app_uri);
    enclave_config_clear(&td->enclave);
    deal_params_clear(&td->params);
    memset(td, 0, sizeof *td);
}

int td_contains_dataset(const task_description *td)
{
    return !tee_text_is_blank(td->dataset_address) && !poco_address_is_zero(td->dataset_address) &&
           !tee_text_is_blank(td->dataset_uri) && !tee_text_is_blank(td->dataset_checksum);
}

int td_contains_input_files(const task_description *td)
{
    return !td->params.absent && td->params.n_input_files > 0;
}

int td_is_bulk(const task_description *td) { return !td->params.absent && !tee_text_is_blank(td->params.bulk_cid); }

int td_requires_pre_compute(const task_description *td)
{
    return td_contains_dataset(td) || td_contains_input_files(td) || td_is_bulk(td);
}

int td_contains_callback(const task_description *td)
{
    return td->callback[0] != '\0' && !poco_address_is_zero(td->callback);
}

char *td_app_command(const task_description *td)
{
    const char *entrypoint = td->has_enclave_config ? td->enclave.entrypoint : NULL;
    const char *args = td->params.iexec_args;
    /* The reference would print "null" here; an empty command is what 12.12 recommends. */
    if (entrypoint == NULL) return strdup("");
    if (tee_text_is_blank(args)) return strdup(entrypoint);
    size_t a = strlen(entrypoint);
    size_t b = strlen(args);
    char *cmd = malloc(a + 1 + b + 1);
    if (cmd == NULL) return NULL;
    memcpy(cmd, entrypoint, a);
    cmd[a] = ' ';
    memcpy(cmd + a + 1, args, b + 1);
    return cmd;
}
