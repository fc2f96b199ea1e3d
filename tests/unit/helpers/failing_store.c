#include <stdlib.h>

#include "helpers/failing_store.h"
#include "store/store_backend.h"

typedef struct {
    sms_status st;
} failing_impl;

static sms_status fail_of(void *impl) { return ((failing_impl *)impl)->st; }

static void f_close(void *impl) { free(impl); }

static sms_status f_insert(void *impl, const secret_id *id, const uint8_t *sealed, size_t len)
{
    (void)id;
    (void)sealed;
    (void)len;
    return fail_of(impl);
}

static sms_status f_get(void *impl, const secret_id *id, uint8_t **sealed, size_t *len)
{
    (void)id;
    (void)sealed;
    (void)len;
    return fail_of(impl);
}

static sms_status f_exists(void *impl, const secret_id *id, int *exists)
{
    (void)id;
    (void)exists;
    return fail_of(impl);
}

static sms_status f_count(void *impl, store_count_kind kind, int64_t *n)
{
    (void)kind;
    (void)n;
    return fail_of(impl);
}

static sms_status f_ping(void *impl) { return fail_of(impl); }

static sms_status f_ch_goc(void *impl, const challenge_rec *candidate, challenge_rec *out, int *created)
{
    (void)candidate;
    (void)out;
    (void)created;
    return fail_of(impl);
}

static sms_status f_ch_get(void *impl, const char *task_id, challenge_rec *out)
{
    (void)task_id;
    (void)out;
    return fail_of(impl);
}

static sms_status f_ch_del(void *impl, int64_t now_ms, int64_t *deleted)
{
    (void)now_ms;
    (void)deleted;
    return fail_of(impl);
}

static sms_status f_ch_fill(void *impl, int64_t deadline_ms, int batch, int64_t *updated)
{
    (void)deadline_ms;
    (void)batch;
    (void)updated;
    return fail_of(impl);
}

static sms_status f_foreach(void *impl, store_record_cb cb, void *ctx)
{
    (void)cb;
    (void)ctx;
    return fail_of(impl);
}

static sms_status f_put(void *impl, const store_record *rec)
{
    (void)rec;
    return fail_of(impl);
}

static const store_backend_ops failing_ops = {
    .name = "failing",
    .close = f_close,
    .secret_insert = f_insert,
    .secret_update = f_insert,
    .secret_get = f_get,
    .secret_exists = f_exists,
    .count = f_count,
    .ping = f_ping,
    .challenge_get_or_create = f_ch_goc,
    .challenge_get = f_ch_get,
    .challenge_delete_expired = f_ch_del,
    .challenge_fill_missing_deadlines = f_ch_fill,
    .foreach = f_foreach,
    .put_record = f_put,
};

sms_status failing_store_open(sms_status fail_with, sms_store **out)
{
    failing_impl *impl = malloc(sizeof *impl);
    if (impl == NULL) return SMS_ENOMEM;
    impl->st = fail_with;
    sms_status st = store_backend_wrap(&failing_ops, impl, out);
    if (st != SMS_OK) free(impl);
    return st;
}
