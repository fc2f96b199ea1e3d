/* PoCo view decoders (src/chain/poco.h) on hand-built ABI blobs that carry the values of the
 * real fixture in shared/chain/examples/task-scone.json, plus hostile variants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain/poco.h"
#include "helpers/abi_builder.h"

static void lower(const char *in, char *out)
{
    size_t i = 0;
    for (; in[i]; i++) out[i] = (char)((in[i] >= 'A' && in[i] <= 'Z') ? in[i] + 32 : in[i]);
    out[i] = 0;
}

static void assert_addr(const char *got, const char *expected_any_case)
{
    char e[64];
    lower(expected_any_case, e);
    assert_string_equal(got, e);
}

static void set_word(tblob *b, size_t index, uint64_t v) { tword_u64(b->p + 32 * index, v); }

/* ---- task ---- */

static void test_task_example(void **state)
{
    (void)state;
    tblob b = {0};
    tbuild_task(&b, 1, EX_DEALID);
    struct poco_task t;
    assert_int_equal(poco_decode_task(b.p, b.len, &t), SMS_OK);
    assert_int_equal(t.status, POCO_TASK_ACTIVE);
    uint8_t deal[32];
    thex(EX_DEALID, deal, 32);
    assert_memory_equal(t.deal_id, deal, 32);
    assert_true(t.idx == 0);
    assert_true(t.timeref == 300);
    assert_true(t.contribution_deadline == 1795392479ULL);
    assert_true(t.reveal_deadline == 0);
    assert_true(t.final_deadline == 1795393379ULL);
    assert_int_equal(t.contributors_count, 0);
    assert_int_equal(t.results_len, 0);
    tblob_free(&b);
}

static void test_task_with_contributors_and_results(void **state)
{
    (void)state;
    tblob b = {0};
    uint8_t arr[96];
    tword_u64(arr, 0); /* placeholder, replaced below: we encode address[] by hand */
    /* head (12 words) then address[2] then bytes "res" */
    tfield f[12] = {tf_u64(3), tf_hex(EX_DEALID), tf_u64(7), tf_u64(1), tf_u64(2), tf_u64(3), tf_u64(4),
                    tf_hex(EX_TAG), tf_u64(2), tf_u64(2), tf_u64(12 * 32), tf_u64(12 * 32 + 96)};
    for (size_t i = 0; i < 12; i++) tblob_raw(&b, f[i].word, 32);
    tword_u64(arr, 2);
    tword_addr(arr + 32, EX_APP);
    tword_addr(arr + 64, EX_POOL);
    tblob_raw(&b, arr, 96);
    uint8_t res[64] = {0};
    tword_u64(res, 3);
    memcpy(res + 32, "res", 3);
    tblob_raw(&b, res, 64);

    struct poco_task t;
    assert_int_equal(poco_decode_task(b.p, b.len, &t), SMS_OK);
    assert_int_equal(t.status, POCO_TASK_COMPLETED);
    assert_true(t.idx == 7);
    assert_int_equal(t.contributors_count, 2);
    assert_int_equal(t.results_len, 3);
    assert_true(t.final_deadline == 4);

    /* a contributor with high bits is inconsistent data */
    b.p[12 * 32 + 32] = 1;
    assert_int_equal(poco_decode_task(b.p, b.len, &t), SMS_ECHAIN);
    b.p[12 * 32 + 32] = 0;
    /* contributors count beyond the data */
    set_word(&b, 12, 1000);
    assert_int_equal(poco_decode_task(b.p, b.len, &t), SMS_ECHAIN);
    set_word(&b, 12, 2);
    /* results offset pointing into the head */
    set_word(&b, 11, 10 * 32);
    assert_int_equal(poco_decode_task(b.p, b.len, &t), SMS_ECHAIN);
    tblob_free(&b);
}

static void test_task_bad_fields(void **state)
{
    (void)state;
    tblob b = {0};
    struct poco_task t;
    /* status beyond the enum */
    tbuild_task(&b, 5, EX_DEALID);
    assert_int_equal(poco_decode_task(b.p, b.len, &t), SMS_ECHAIN);
    set_word(&b, 0, 4);
    assert_int_equal(poco_decode_task(b.p, b.len, &t), SMS_OK);
    assert_int_equal(t.status, POCO_TASK_FAILED);
    /* final deadline above 64 bits */
    b.p[6 * 32] = 1;
    assert_int_equal(poco_decode_task(b.p, b.len, &t), SMS_ECHAIN);
    b.p[6 * 32] = 0;
    /* an unknown task: status 0 and zero deal id still decode (the reader maps it to NOTFOUND) */
    tblob_free(&b);
    tbuild_task(&b, 0, EX_ZERO);
    assert_int_equal(poco_decode_task(b.p, b.len, &t), SMS_OK);
    assert_int_equal(t.status, POCO_TASK_UNSET);
    /* literally all zeros is not a valid encoding (offsets into the head) */
    uint8_t zeros[14 * 32] = {0};
    assert_int_equal(poco_decode_task(zeros, sizeof zeros, &t), SMS_ECHAIN);
    assert_int_equal(poco_decode_task(NULL, 0, &t), SMS_ECHAIN);
    tblob_free(&b);
}

/* ---- deal ---- */

static void check_example_deal(const struct poco_deal *d)
{
    assert_addr(d->app, EX_APP);
    assert_addr(d->app_owner, EX_APP_OWNER);
    assert_addr(d->dataset, EX_DATASET);
    assert_addr(d->dataset_owner, EX_DATASET_OWNER);
    assert_addr(d->workerpool, EX_POOL);
    assert_addr(d->workerpool_owner, EX_POOL_OWNER);
    assert_true(d->category == 0);
    assert_int_equal(d->tag[31], 3);
    assert_addr(d->requester, EX_REQUESTER);
    assert_addr(d->beneficiary, EX_REQUESTER);
    assert_addr(d->callback, EX_ZERO);
    assert_int_equal(d->params_len, strlen(EX_PARAMS));
    assert_string_equal(d->params, EX_PARAMS);
    assert_true(d->start_time == 1795390379ULL);
    assert_true(d->bot_first == 0);
    assert_true(d->bot_size == 1);
    assert_int_equal(poco_tag_tee_framework(d->tag), TEE_FRAMEWORK_SCONE);
}

static void test_deal_current_layout(void **state)
{
    (void)state;
    tblob b = {0};
    tbuild_deal(&b, 1, 1795390379ULL);
    /* solc puts params right after the 22-word head: offset 0x2c0 (spec 4.4) */
    uint64_t off = 0;
    for (int i = 24; i < 32; i++) off = off << 8 | b.p[32 + 15 * 32 + i];
    assert_true(off == 0x2c0);
    struct poco_deal d;
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_OK);
    check_example_deal(&d);
    assert_int_equal(d.has_sponsor, 1);
    assert_addr(d.sponsor, EX_REQUESTER);
    poco_deal_clear(&d);
    assert_null(d.params);
    poco_deal_clear(&d); /* idempotent */
    tblob_free(&b);
}

static void test_deal_legacy_layout(void **state)
{
    (void)state;
    tblob b = {0};
    tbuild_deal(&b, 0, 1795390379ULL);
    uint64_t off = 0;
    for (int i = 24; i < 32; i++) off = off << 8 | b.p[32 + 15 * 32 + i];
    assert_true(off == 0x2a0);
    struct poco_deal d;
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_OK);
    check_example_deal(&d);
    assert_int_equal(d.has_sponsor, 0);
    poco_deal_clear(&d);
    tblob_free(&b);
}

/* Tails in an unusual place are still found: follow offsets, not positions. */
static void test_deal_params_elsewhere(void **state)
{
    (void)state;
    tblob b = {0};
    tbuild_deal(&b, 1, 1);
    /* insert one junk word between head and tail, and fix the params offset */
    tblob c = {0};
    tblob_raw(&c, b.p, 32 + 22 * 32);
    uint8_t junk[32];
    memset(junk, 0xab, 32);
    tblob_raw(&c, junk, 32);
    tblob_raw(&c, b.p + 32 + 22 * 32, b.len - 32 - 22 * 32);
    set_word(&c, 1 + 15, 0x2e0);
    struct poco_deal d;
    assert_int_equal(poco_decode_deal(c.p, c.len, &d), SMS_OK);
    assert_string_equal(d.params, EX_PARAMS);
    assert_int_equal(d.has_sponsor, 1);
    poco_deal_clear(&d);
    tblob_free(&b);
    tblob_free(&c);
}

static void test_deal_bad(void **state)
{
    (void)state;
    tblob b = {0};
    struct poco_deal d;
    tbuild_deal(&b, 1, 1);
    const size_t T = 1; /* struct starts at word 1 */

    /* high bits in the workerpool owner address */
    b.p[(T + 7) * 32 + 11] = 1;
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    assert_null(d.params);
    b.p[(T + 7) * 32 + 11] = 0;
    /* high bits in the app address, first byte */
    b.p[(T + 0) * 32] = 0x80;
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    b.p[(T + 0) * 32] = 0;
    /* category above 64 bits */
    b.p[(T + 10) * 32 + 3] = 1;
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    b.p[(T + 10) * 32 + 3] = 0;
    /* outer offset: out of range, pointing at itself, misaligned */
    set_word(&b, 0, b.len);
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    set_word(&b, 0, 0);
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    set_word(&b, 0, 0x21);
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    /* struct offset leaving no room for its head */
    set_word(&b, 0, b.len - 64);
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    set_word(&b, 0, 0x20);
    /* params offset into the head (at itself, at word 0), past the end, huge */
    set_word(&b, T + 15, 15 * 32);
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    set_word(&b, T + 15, 0);
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    set_word(&b, T + 15, 20 * 32); /* still inside the legacy head */
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    set_word(&b, T + 15, b.len);
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    set_word(&b, T + 15, UINT64_MAX - 31);
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    set_word(&b, T + 15, 0x2c0);
    /* params length huge, or one byte more than the data holds */
    set_word(&b, T + 22, UINT64_MAX);
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    set_word(&b, T + 22, 33);
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    set_word(&b, T + 22, strlen(EX_PARAMS));
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_OK);
    poco_deal_clear(&d);
    /* a trailing partial word */
    tblob_raw(&b, "x", 1);
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_ECHAIN);
    tblob_free(&b);
}

/* ---- category, app, dataset ---- */

static void test_category(void **state)
{
    (void)state;
    tblob b = {0};
    tbuild_category(&b, "XS", 300);
    struct poco_category c;
    assert_int_equal(poco_decode_category(b.p, b.len, &c), SMS_OK);
    assert_string_equal(c.name, "XS");
    assert_int_equal(c.name_len, 2);
    assert_string_equal(c.description, "{}");
    assert_true(c.work_clock_time_ref == 300);
    poco_category_clear(&c);
    /* name offset pointing at the description offset word */
    set_word(&b, 1, 32);
    assert_int_equal(poco_decode_category(b.p, b.len, &c), SMS_ECHAIN);
    assert_null(c.name);
    tblob_free(&b);
}

static void test_app_example(void **state)
{
    (void)state;
    tblob b = {0};
    tbuild_app(&b);
    struct poco_app a;
    assert_int_equal(poco_decode_app(b.p, b.len, &a), SMS_OK);
    assert_addr(a.owner, EX_APP_OWNER);
    assert_string_equal(a.name, "sms-test-app");
    assert_string_equal(a.type, "DOCKER");
    assert_string_equal(a.multiaddr, EX_APP_MULTIADDR);
    assert_int_equal(a.multiaddr_len, strlen(EX_APP_MULTIADDR));
    assert_string_equal(a.checksum, EX_APP_CHECKSUM);
    assert_string_equal(a.mrenclave, EX_MRENCLAVE);
    assert_int_equal(a.mrenclave_len, strlen(EX_MRENCLAVE));

    struct poco_app copy;
    assert_int_equal(poco_app_copy(&copy, &a), SMS_OK);
    poco_app_clear(&a);
    assert_string_equal(copy.mrenclave, EX_MRENCLAVE);
    assert_ptr_not_equal(copy.mrenclave, NULL);
    poco_app_clear(&copy);

    /* mrenclave length past the end (its length word is found through rel. word 5) */
    uint64_t off = 0;
    for (int i = 24; i < 32; i++) off = off << 8 | b.p[32 + 5 * 32 + i];
    size_t mr_len_word = (32 + (size_t)off) / 32;
    set_word(&b, mr_len_word, b.len);
    assert_int_equal(poco_decode_app(b.p, b.len, &a), SMS_ECHAIN);
    assert_null(a.name);
    tblob_free(&b);
}

static void test_app_empty_mrenclave(void **state)
{
    (void)state;
    tblob b = {0};
    tfield f[6] = {tf_addr(EX_APP_OWNER), tf_str(""), tf_str(""), tf_str(""), tf_hex(EX_ZERO), tf_str("")};
    tencode_struct_return(&b, f, 6);
    struct poco_app a;
    assert_int_equal(poco_decode_app(b.p, b.len, &a), SMS_OK);
    assert_int_equal(a.mrenclave_len, 0);
    assert_string_equal(a.mrenclave, "");
    assert_string_equal(a.checksum, "0x0000000000000000000000000000000000000000000000000000000000000000");
    poco_app_clear(&a);
    tblob_free(&b);
}

static void test_dataset_example(void **state)
{
    (void)state;
    tblob b = {0};
    tbuild_dataset(&b);
    struct poco_dataset d;
    assert_int_equal(poco_decode_dataset(b.p, b.len, &d), SMS_OK);
    assert_addr(d.owner, EX_DATASET_OWNER);
    assert_string_equal(d.name, "sms-test-dataset");
    assert_int_equal(d.multiaddr_len, 37);
    assert_int_equal(d.multiaddr[0], 0xa5);
    assert_string_equal(d.uri, EX_DS_URI);
    assert_int_equal(d.uri_len, strlen(EX_DS_URI));
    assert_string_equal(d.checksum, EX_DS_CHECKSUM);
    struct poco_dataset copy;
    assert_int_equal(poco_dataset_copy(&copy, &d), SMS_OK);
    poco_dataset_clear(&d);
    assert_string_equal(copy.uri, EX_DS_URI);
    assert_int_equal(copy.multiaddr[1], 0x03);
    poco_dataset_clear(&copy);
    tblob_free(&b);
}

static void test_dataset_text_multiaddr(void **state)
{
    (void)state;
    const char *url = "https://gateway.ipfs.io/ipfs/QmXyz/cat.jpg";
    tblob b = {0};
    tfield f[4] = {tf_addr(EX_DATASET_OWNER), tf_str("cat"), tf_str(url), tf_hex(EX_DS_CHECKSUM)};
    tencode_struct_return(&b, f, 4);
    struct poco_dataset d;
    assert_int_equal(poco_decode_dataset(b.p, b.len, &d), SMS_OK);
    assert_string_equal(d.uri, url);
    poco_dataset_clear(&d);
    tblob_free(&b);
}

static void test_multiaddr(void **state)
{
    (void)state;
    uint8_t ma[64];
    size_t n = thex(EX_DS_MULTIADDR, ma, sizeof ma);
    char *uri = NULL;
    size_t len = 0;
    assert_int_equal(poco_multiaddr_to_uri(ma, n, &uri, &len), SMS_OK);
    assert_string_equal(uri, EX_DS_URI);
    free(uri);
    /* two ipfs components */
    uint8_t two[128];
    memcpy(two, ma, n);
    memcpy(two + n, ma, n);
    assert_int_equal(poco_multiaddr_to_uri(two, 2 * n, &uri, &len), SMS_OK);
    assert_string_equal(uri, EX_DS_URI EX_DS_URI);
    free(uri);
    /* truncated binary multiaddr: not a multiaddr, so it is kept as text bytes */
    for (size_t cut = 0; cut < n; cut++) {
        assert_int_equal(poco_multiaddr_to_uri(ma, cut, &uri, &len), SMS_OK);
        assert_int_equal(len, cut);
        assert_memory_equal(uri, ma, cut);
        assert_int_equal(uri[len], 0);
        free(uri);
    }
    /* multihash length not matching the component */
    uint8_t bad[64];
    memcpy(bad, ma, n);
    bad[4] = 0x1f;
    assert_int_equal(poco_multiaddr_to_uri(bad, n, &uri, &len), SMS_OK);
    assert_int_equal(len, n);
    free(uri);
    /* leading zero bytes become '1's in base58 */
    uint8_t z[] = {0xa5, 0x03, 0x04, 0x00, 0x02, 0x00, 0x01};
    assert_int_equal(poco_multiaddr_to_uri(z, sizeof z, &uri, &len), SMS_OK);
    assert_string_equal(uri, "/ipfs/1fxt"); /* 0x00 then base58(0x020001) */
    free(uri);
}

static void test_owner(void **state)
{
    (void)state;
    uint8_t w[64] = {0};
    char owner[POCO_ADDR_STR];
    tword_addr(w, EX_APP_OWNER);
    assert_int_equal(poco_decode_owner(w, 32, owner), SMS_OK);
    assert_addr(owner, EX_APP_OWNER);
    /* trailing data is ignored, like the reference */
    assert_int_equal(poco_decode_owner(w, 64, owner), SMS_OK);
    /* empty ("0x"), short */
    assert_int_equal(poco_decode_owner(w, 0, owner), SMS_ECHAIN);
    assert_int_equal(poco_decode_owner(NULL, 0, owner), SMS_ECHAIN);
    assert_int_equal(poco_decode_owner(w, 31, owner), SMS_ECHAIN);
    /* does not fit in 160 bits */
    for (size_t i = 0; i < 12; i++) {
        tword_addr(w, EX_APP_OWNER);
        w[i] = 1;
        assert_int_equal(poco_decode_owner(w, 32, owner), SMS_ECHAIN);
    }
    /* zero owner decodes (callers never match it) */
    memset(w, 0, sizeof w);
    assert_int_equal(poco_decode_owner(w, 32, owner), SMS_OK);
    assert_string_equal(owner, EX_ZERO);
    assert_true(poco_address_is_zero(owner));
    assert_false(poco_address_is_zero("0x0000000000000000000000000000000000000001"));
    assert_false(poco_address_is_zero("0x00"));
    assert_false(poco_address_is_zero(NULL));
}

static void test_tag_nibble(void **state)
{
    (void)state;
    static const struct {
        uint8_t last;
        tee_framework fw;
    } cases[] = {
        {0x03, TEE_FRAMEWORK_SCONE}, {0x05, TEE_FRAMEWORK_GRAMINE}, {0x09, TEE_FRAMEWORK_TDX},
        {0x00, TEE_FRAMEWORK_NONE},  {0x01, TEE_FRAMEWORK_NONE},    {0x02, TEE_FRAMEWORK_NONE},
        {0x07, TEE_FRAMEWORK_NONE},  {0x0b, TEE_FRAMEWORK_NONE},    {0x0d, TEE_FRAMEWORK_NONE},
        {0x0f, TEE_FRAMEWORK_NONE},  {0x13, TEE_FRAMEWORK_SCONE},   {0xf5, TEE_FRAMEWORK_GRAMINE},
        {0x89, TEE_FRAMEWORK_TDX},   {0x10, TEE_FRAMEWORK_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t tag[32] = {0};
        tag[31] = cases[i].last;
        assert_int_equal(poco_tag_tee_framework(tag), cases[i].fw);
        /* higher bytes (e.g. GPU bits) never matter */
        memset(tag, 0xff, 31);
        assert_int_equal(poco_tag_tee_framework(tag), cases[i].fw);
    }
}

/* Every strict prefix of every view's data is an error (and never a crash under ASan). */
static void test_truncations(void **state)
{
    (void)state;
    tblob blobs[5] = {{0}};
    tbuild_task(&blobs[0], 1, EX_DEALID);
    tbuild_deal(&blobs[1], 1, 1);
    tbuild_category(&blobs[2], "XS", 300);
    tbuild_app(&blobs[3]);
    tbuild_dataset(&blobs[4]);
    for (size_t k = 0; k < 5; k++) {
        for (size_t len = 0; len < blobs[k].len; len++) {
            /* an exact-size heap copy so ASan sees any over-read */
            uint8_t *p = malloc(len ? len : 1);
            assert_non_null(p);
            memcpy(p, blobs[k].p, len);
            sms_status st = SMS_OK;
            struct poco_task t;
            struct poco_deal d;
            struct poco_category c;
            struct poco_app a;
            struct poco_dataset ds;
            switch (k) {
            case 0: st = poco_decode_task(p, len, &t); break;
            case 1: st = poco_decode_deal(p, len, &d); break;
            case 2: st = poco_decode_category(p, len, &c); break;
            case 3: st = poco_decode_app(p, len, &a); break;
            case 4: st = poco_decode_dataset(p, len, &ds); break;
            }
            assert_int_equal(st, SMS_ECHAIN);
            free(p);
        }
        tblob_free(&blobs[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_example),
        cmocka_unit_test(test_task_with_contributors_and_results),
        cmocka_unit_test(test_task_bad_fields),
        cmocka_unit_test(test_deal_current_layout),
        cmocka_unit_test(test_deal_legacy_layout),
        cmocka_unit_test(test_deal_params_elsewhere),
        cmocka_unit_test(test_deal_bad),
        cmocka_unit_test(test_category),
        cmocka_unit_test(test_app_example),
        cmocka_unit_test(test_app_empty_mrenclave),
        cmocka_unit_test(test_dataset_example),
        cmocka_unit_test(test_dataset_text_multiaddr),
        cmocka_unit_test(test_multiaddr),
        cmocka_unit_test(test_owner),
        cmocka_unit_test(test_tag_nibble),
        cmocka_unit_test(test_truncations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
