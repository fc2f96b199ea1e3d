/* Task description assembly from a PoCo bundle (tee-sessions.md 4.10): recomputed task id,
 * copied fields, predicates and the app command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tee/task_description.h"

#define ZERO_ADDR "0x0000000000000000000000000000000000000000"
#define APP "0xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define DATASET "0x9d0a2c1e7f5b3a4c6d8e0f1a2b3c4d5e6f7a8b9c"
#define REQUESTER "0xb2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
#define BENEFICIARY "0xc3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"
#define POOL_OWNER "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23"
#define CALLBACK "0xd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4"
#define FP "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b"
#define CHECKSUM "0x5d008f22f8f878fd58473a634cc73d41049fc0d19b81002eaae221ac5a446a3e"
#define APP_CHECKSUM "0x1212121212121212121212121212121212121212121212121212121212121212"
#define ENCLAVE_JSON                                                                                               \
    "{\"framework\":\"SCONE\",\"version\":\"v5\",\"entrypoint\":\"python3 /app/app.py\",\"heapSize\":1073741824," \
    "\"fingerprint\":\"" FP "\"}"

static char *dup_len(const char *s, size_t *len)
{
    *len = strlen(s);
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

static void set_addr(char dst[POCO_ADDR_STR], const char *src) { snprintf(dst, POCO_ADDR_STR, "%s", src); }

/* The section 6.8 scenario: SCONE deal with a dataset, bot of 4, task index 3. */
static void make_bundle(struct poco_bundle *b, const char *params, const char *mrenclave, int with_dataset)
{
    memset(b, 0, sizeof *b);
    memset(b->task.deal_id, 0x11, 32);
    b->task.idx = 3;
    b->task.status = POCO_TASK_ACTIVE;
    b->task.final_deadline = 1700000000;
    set_addr(b->deal.app, APP);
    set_addr(b->deal.dataset, with_dataset ? DATASET : ZERO_ADDR);
    set_addr(b->deal.workerpool_owner, POOL_OWNER);
    set_addr(b->deal.requester, REQUESTER);
    set_addr(b->deal.beneficiary, BENEFICIARY);
    set_addr(b->deal.callback, ZERO_ADDR);
    b->deal.tag[31] = 0x03;
    b->deal.params = dup_len(params, &b->deal.params_len);
    b->deal.start_time = 1;
    b->deal.bot_first = 0;
    b->deal.bot_size = 4;
    b->category.work_clock_time_ref = 300;
    b->app.multiaddr = dup_len("docker.io/org/app:1.0.0", &b->app.multiaddr_len);
    snprintf(b->app.checksum, POCO_B32_STR, "%s", APP_CHECKSUM);
    b->app.mrenclave = dup_len(mrenclave, &b->app.mrenclave_len);
    b->has_dataset = with_dataset;
    if (with_dataset) {
        b->dataset.uri = dup_len("/ipfs/QmUbh7ugQ9WVprTVYjzrCS4d9cCy73zUz4MMchsrqzzu1w", &b->dataset.uri_len);
        snprintf(b->dataset.checksum, POCO_B32_STR, "%s", CHECKSUM);
    }
}

static void test_spec_vector_and_fields(void **state)
{
    (void)state;
    struct poco_bundle b;
    task_description td;
    make_bundle(&b,
                "{\"iexec_args\":\"--verbose\",\"iexec_input_files\":[\"https://example.com/data.csv\"],"
                "\"iexec_secrets\":{\"1\":\"my-api-key\"},\"iexec_result_encryption\":true,"
                "\"iexec_result_storage_provider\":\"ipfs\"}",
                ENCLAVE_JSON, 1);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    poco_bundle_clear(&b); /* the description owns copies */
    /* tee-sessions 2.6 vector */
    assert_string_equal(td.chain_task_id, "0x3b31255a9f930bb80359c3ba2fef22133cd773f2653bd87c6035861658aa0882");
    assert_string_equal(td.chain_deal_id, "0x1111111111111111111111111111111111111111111111111111111111111111");
    assert_int_equal(td.bot_index, 3);
    assert_int_equal(td.final_deadline_ms, 1700000000000LL);
    assert_string_equal(td.app_address, APP);
    assert_string_equal(td.requester, REQUESTER);
    assert_string_equal(td.beneficiary, BENEFICIARY);
    assert_string_equal(td.callback, ZERO_ADDR);
    assert_string_equal(td.workerpool_owner, POOL_OWNER);
    assert_string_equal(td.dataset_address, DATASET);
    assert_string_equal(td.dataset_uri, "/ipfs/QmUbh7ugQ9WVprTVYjzrCS4d9cCy73zUz4MMchsrqzzu1w");
    assert_string_equal(td.dataset_checksum, CHECKSUM);
    assert_string_equal(td.app_uri, "docker.io/org/app:1.0.0");
    assert_string_equal(td.app_checksum, APP_CHECKSUM);
    assert_true(td.has_enclave_config);
    assert_int_equal(td.enclave.framework, TEE_FRAMEWORK_SCONE);
    assert_string_equal(td.enclave.fingerprint, FP);
    assert_int_equal(td.framework, TEE_FRAMEWORK_SCONE);
    assert_int_equal(td.tag[31], 3);
    assert_int_equal(td.bot_first, 0);
    assert_int_equal(td.bot_size, 4);
    assert_int_equal(td.max_execution_time_ms, 300000);
    assert_string_equal(td.params.iexec_args, "--verbose");
    assert_int_equal(td.params.n_input_files, 1);
    assert_int_equal(td.params.result_encryption, 1);

    assert_true(td_contains_dataset(&td));
    assert_true(td_contains_input_files(&td));
    assert_false(td_is_bulk(&td));
    assert_true(td_requires_pre_compute(&td));
    assert_false(td_contains_callback(&td));
    char *cmd = td_app_command(&td);
    assert_string_equal(cmd, "python3 /app/app.py --verbose");
    free(cmd);
    task_description_clear(&td);
    assert_null(td.app_uri);
}

static void test_other_task_ids(void **state)
{
    (void)state;
    struct poco_bundle b;
    task_description td1;
    task_description td2;
    make_bundle(&b, "{}", ENCLAVE_JSON, 0);
    b.task.idx = 0;
    assert_int_equal(task_description_from_bundle(&b, &td1), SMS_OK);
    b.task.idx = 4;
    assert_int_equal(task_description_from_bundle(&b, &td2), SMS_OK);
    /* every index gives its own id, all lower-case hex */
    assert_string_not_equal(td1.chain_task_id, td2.chain_task_id);
    assert_string_not_equal(td1.chain_task_id, "0x3b31255a9f930bb80359c3ba2fef22133cd773f2653bd87c6035861658aa0882");
    assert_int_equal(strlen(td1.chain_task_id), 66);
    for (size_t i = 2; i < 66; i++)
        assert_true((td1.chain_task_id[i] >= '0' && td1.chain_task_id[i] <= '9') ||
                    (td1.chain_task_id[i] >= 'a' && td1.chain_task_id[i] <= 'f'));
    task_description_clear(&td1);
    task_description_clear(&td2);
    poco_bundle_clear(&b);
}

static void test_no_dataset_no_files(void **state)
{
    (void)state;
    struct poco_bundle b;
    task_description td;
    make_bundle(&b, "{\"iexec_result_storage_provider\":\"ipfs\"}", ENCLAVE_JSON, 0);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    assert_string_equal(td.dataset_address, ZERO_ADDR);
    assert_null(td.dataset_uri);
    assert_string_equal(td.dataset_checksum, "");
    assert_false(td_contains_dataset(&td));
    assert_false(td_contains_input_files(&td));
    assert_false(td_is_bulk(&td));
    assert_false(td_requires_pre_compute(&td));
    char *cmd = td_app_command(&td);
    assert_string_equal(cmd, "python3 /app/app.py"); /* no args */
    free(cmd);
    task_description_clear(&td);
    poco_bundle_clear(&b);
}

static void test_predicates(void **state)
{
    (void)state;
    struct poco_bundle b;
    task_description td;

    /* bulk alone requires pre-compute */
    make_bundle(&b, "{\"bulk_cid\":\"QmX\"}", ENCLAVE_JSON, 0);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    assert_true(td_is_bulk(&td));
    assert_true(td_requires_pre_compute(&td));
    task_description_clear(&td);
    poco_bundle_clear(&b);

    /* blank bulk_cid is no bulk */
    make_bundle(&b, "{\"bulk_cid\":\" \\t\"}", ENCLAVE_JSON, 0);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    assert_false(td_is_bulk(&td));
    assert_false(td_requires_pre_compute(&td));
    task_description_clear(&td);
    poco_bundle_clear(&b);

    /* input files alone */
    make_bundle(&b, "{\"iexec_input_files\":[\"https://x\"]}", ENCLAVE_JSON, 0);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    assert_true(td_contains_input_files(&td));
    assert_true(td_requires_pre_compute(&td));
    task_description_clear(&td);
    poco_bundle_clear(&b);

    /* a dataset with a blank URI or checksum is no dataset */
    make_bundle(&b, "{}", ENCLAVE_JSON, 1);
    free(b.dataset.uri);
    b.dataset.uri = dup_len("  ", &b.dataset.uri_len);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    assert_false(td_contains_dataset(&td));
    task_description_clear(&td);
    b.dataset.checksum[0] = '\0';
    free(b.dataset.uri);
    b.dataset.uri = dup_len("/ipfs/Qm", &b.dataset.uri_len);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    assert_false(td_contains_dataset(&td));
    task_description_clear(&td);
    poco_bundle_clear(&b);

    /* callback */
    make_bundle(&b, "{}", ENCLAVE_JSON, 0);
    set_addr(b.deal.callback, CALLBACK);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    assert_true(td_contains_callback(&td));
    task_description_clear(&td);
    set_addr(b.deal.callback, "0x0000000000000000000000000000000000000000");
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    assert_false(td_contains_callback(&td));
    task_description_clear(&td);
    poco_bundle_clear(&b);
}

static void test_app_command_variants(void **state)
{
    (void)state;
    struct poco_bundle b;
    task_description td;

    /* blank args are dropped */
    make_bundle(&b, "{\"iexec_args\":\"  \"}", ENCLAVE_JSON, 0);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    char *cmd = td_app_command(&td);
    assert_string_equal(cmd, "python3 /app/app.py");
    free(cmd);
    task_description_clear(&td);
    poco_bundle_clear(&b);

    /* fallback params: the whole string is the argument list */
    make_bundle(&b, "--x 1 --y", ENCLAVE_JSON, 0);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    cmd = td_app_command(&td);
    assert_string_equal(cmd, "python3 /app/app.py --x 1 --y");
    free(cmd);
    task_description_clear(&td);
    poco_bundle_clear(&b);

    /* no enclave configuration (invalid JSON): absent, command "" */
    make_bundle(&b, "{\"iexec_args\":\"a\"}", "not json", 0);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    assert_false(td.has_enclave_config);
    cmd = td_app_command(&td);
    assert_string_equal(cmd, "");
    free(cmd);
    task_description_clear(&td);
    poco_bundle_clear(&b);

    /* configuration without entrypoint (GRAMINE) */
    make_bundle(&b, "{\"iexec_args\":\"a\"}", "{\"framework\":\"GRAMINE\",\"fingerprint\":\"" FP "\"}", 0);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    assert_true(td.has_enclave_config);
    cmd = td_app_command(&td);
    assert_string_equal(cmd, "");
    free(cmd);
    task_description_clear(&td);
    poco_bundle_clear(&b);

    /* empty mrenclave: absent */
    make_bundle(&b, "{}", "", 0);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    assert_false(td.has_enclave_config);
    task_description_clear(&td);
    poco_bundle_clear(&b);
}

static void test_frameworks_from_tag(void **state)
{
    (void)state;
    static const struct {
        uint8_t low;
        tee_framework fw;
    } cases[] = {{0x03, TEE_FRAMEWORK_SCONE}, {0x05, TEE_FRAMEWORK_GRAMINE}, {0x09, TEE_FRAMEWORK_TDX},
                 {0x13, TEE_FRAMEWORK_SCONE}, {0x01, TEE_FRAMEWORK_NONE},    {0x00, TEE_FRAMEWORK_NONE}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct poco_bundle b;
        task_description td;
        make_bundle(&b, "{}", ENCLAVE_JSON, 0);
        b.deal.tag[31] = cases[i].low;
        assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
        assert_int_equal(td.framework, cases[i].fw);
        task_description_clear(&td);
        poco_bundle_clear(&b);
    }
}

static void test_missing_components(void **state)
{
    (void)state;
    struct poco_bundle b;
    task_description td;
    sms_status *fields[] = {&b.task_status, &b.deal_status, &b.category_status, &b.app_status};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        make_bundle(&b, "{}", ENCLAVE_JSON, 1);
        *fields[i] = SMS_ECHAIN;
        memset(&td, 0x5a, sizeof td);
        assert_int_equal(task_description_from_bundle(&b, &td), SMS_EINVAL);
        assert_null(td.app_uri); /* zeroed */
        poco_bundle_clear(&b);
    }
    make_bundle(&b, "{}", ENCLAVE_JSON, 1);
    b.dataset_status = SMS_ENOTFOUND;
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_EINVAL);
    b.has_dataset = 0; /* without a dataset its status does not matter */
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    task_description_clear(&td);
    poco_bundle_clear(&b);
    assert_int_equal(task_description_from_bundle(NULL, &td), SMS_EINVAL);
}

static void test_non_utf8_texts(void **state)
{
    (void)state;
    struct poco_bundle b;
    task_description td;
    make_bundle(&b, "{}", ENCLAVE_JSON, 1);
    free(b.app.multiaddr);
    b.app.multiaddr = malloc(4);
    memcpy(b.app.multiaddr, "a\0\xfe", 4);
    b.app.multiaddr_len = 3;
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    assert_string_equal(td.app_uri, "a\xef\xbf\xbd\xef\xbf\xbd");
    task_description_clear(&td);
    poco_bundle_clear(&b);
}

static void test_null_params_document(void **state)
{
    (void)state;
    struct poco_bundle b;
    task_description td;
    make_bundle(&b, "null", ENCLAVE_JSON, 0);
    assert_int_equal(task_description_from_bundle(&b, &td), SMS_OK);
    assert_true(td.params.absent);
    assert_false(td_requires_pre_compute(&td));
    task_description_clear(&td);
    poco_bundle_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_vector_and_fields), cmocka_unit_test(test_other_task_ids),
        cmocka_unit_test(test_no_dataset_no_files),    cmocka_unit_test(test_predicates),
        cmocka_unit_test(test_app_command_variants),   cmocka_unit_test(test_frameworks_from_tag),
        cmocka_unit_test(test_missing_components),     cmocka_unit_test(test_non_utf8_texts),
        cmocka_unit_test(test_null_params_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
