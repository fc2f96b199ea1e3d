/* LRU cache of immutable PoCo objects (src/chain/poco_cache.h). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "chain/poco.h"
#include "chain/poco_cache.h"
#include "helpers/abi_builder.h"

static void make_category(struct poco_category *c, const char *name, uint64_t ref)
{
    tblob b = {0};
    tbuild_category(&b, name, ref);
    assert_int_equal(poco_decode_category(b.p, b.len, c), SMS_OK);
    tblob_free(&b);
}

static void test_new_invalid(void **state)
{
    (void)state;
    poco_cache *c = NULL;
    assert_int_equal(poco_cache_new(0, &c), SMS_EINVAL);
    assert_null(c);
    assert_int_equal(poco_cache_new(4, NULL), SMS_EINVAL);
    poco_cache_free(NULL);
}

static void test_deal_roundtrip_deep_copy(void **state)
{
    (void)state;
    poco_cache *c = NULL;
    assert_int_equal(poco_cache_new(8, &c), SMS_OK);
    tblob b = {0};
    tbuild_deal(&b, 1, 1795390379ULL);
    struct poco_deal d, got;
    assert_int_equal(poco_decode_deal(b.p, b.len, &d), SMS_OK);
    uint8_t id[32];
    thex(EX_DEALID, id, 32);
    assert_int_equal(poco_cache_get_deal(c, id, &got), SMS_ENOTFOUND);
    assert_int_equal(poco_cache_put_deal(c, id, &d), SMS_OK);
    /* the cache keeps its own copy */
    d.params[0] = 'X';
    poco_deal_clear(&d);
    assert_int_equal(poco_cache_get_deal(c, id, &got), SMS_OK);
    assert_string_equal(got.params, EX_PARAMS);
    assert_true(got.start_time == 1795390379ULL);
    /* and hands out copies */
    got.params[0] = 'Y';
    poco_deal_clear(&got);
    assert_int_equal(poco_cache_get_deal(c, id, &got), SMS_OK);
    assert_string_equal(got.params, EX_PARAMS);
    poco_deal_clear(&got);
    id[0] ^= 1;
    assert_int_equal(poco_cache_get_deal(c, id, &got), SMS_ENOTFOUND);
    tblob_free(&b);
    poco_cache_free(c);
}

static void test_kinds_do_not_collide_and_case(void **state)
{
    (void)state;
    poco_cache *c = NULL;
    assert_int_equal(poco_cache_new(8, &c), SMS_OK);
    tblob b = {0};
    tbuild_app(&b);
    struct poco_app a, ga;
    assert_int_equal(poco_decode_app(b.p, b.len, &a), SMS_OK);
    tblob_free(&b);
    assert_int_equal(poco_cache_put_app(c, EX_APP, &a), SMS_OK);
    poco_app_clear(&a);
    /* same address in lower case hits */
    char lowered[43];
    for (size_t i = 0; i < 43; i++) lowered[i] = (char)((EX_APP[i] >= 'A' && EX_APP[i] <= 'F') ? EX_APP[i] + 32 : EX_APP[i]);
    assert_int_equal(poco_cache_get_app(c, lowered, &ga), SMS_OK);
    assert_string_equal(ga.mrenclave, EX_MRENCLAVE);
    poco_app_clear(&ga);
    /* same key as a dataset: miss */
    struct poco_dataset gd;
    assert_int_equal(poco_cache_get_dataset(c, EX_APP, &gd), SMS_ENOTFOUND);
    /* malformed addresses */
    assert_int_equal(poco_cache_get_app(c, "0x1234", &ga), SMS_EINVAL);
    assert_int_equal(poco_cache_get_app(c, NULL, &ga), SMS_EINVAL);
    assert_int_equal(poco_cache_put_app(c, "FbFB2113A4c9404588b31267e080A2Bc46433cb2", &ga), SMS_EINVAL);
    poco_cache_free(c);
}

static void test_lru_eviction_and_replace(void **state)
{
    (void)state;
    poco_cache *c = NULL;
    assert_int_equal(poco_cache_new(3, &c), SMS_OK);
    struct poco_category cat, got;
    for (uint64_t id = 0; id < 3; id++) {
        char name[8];
        snprintf(name, sizeof name, "C%llu", (unsigned long long)id);
        make_category(&cat, name, 100 + id);
        assert_int_equal(poco_cache_put_category(c, id, &cat), SMS_OK);
        poco_category_clear(&cat);
    }
    assert_int_equal(poco_cache_size(c), 3);
    /* touch 0 so that 1 becomes the least recently used */
    assert_int_equal(poco_cache_get_category(c, 0, &got), SMS_OK);
    poco_category_clear(&got);
    make_category(&cat, "C3", 103);
    assert_int_equal(poco_cache_put_category(c, 3, &cat), SMS_OK);
    poco_category_clear(&cat);
    assert_int_equal(poco_cache_size(c), 3);
    assert_int_equal(poco_cache_get_category(c, 1, &got), SMS_ENOTFOUND);
    assert_int_equal(poco_cache_get_category(c, 0, &got), SMS_OK);
    assert_string_equal(got.name, "C0");
    poco_category_clear(&got);
    assert_int_equal(poco_cache_get_category(c, 2, &got), SMS_OK);
    poco_category_clear(&got);
    assert_int_equal(poco_cache_get_category(c, 3, &got), SMS_OK);
    assert_true(got.work_clock_time_ref == 103);
    poco_category_clear(&got);
    /* replacing an id does not grow the cache */
    make_category(&cat, "C3bis", 999);
    assert_int_equal(poco_cache_put_category(c, 3, &cat), SMS_OK);
    poco_category_clear(&cat);
    assert_int_equal(poco_cache_size(c), 3);
    assert_int_equal(poco_cache_get_category(c, 3, &got), SMS_OK);
    assert_string_equal(got.name, "C3bis");
    poco_category_clear(&got);
    poco_cache_free(c);
}

static void *hammer(void *arg)
{
    poco_cache *c = arg;
    struct poco_category cat, got;
    make_category(&cat, "T", 1);
    for (uint64_t i = 0; i < 2000; i++) {
        if (poco_cache_put_category(c, i % 50, &cat) != SMS_OK) abort();
        if (poco_cache_get_category(c, (i * 7) % 50, &got) == SMS_OK) {
            if (strcmp(got.name, "T") != 0) abort();
            poco_category_clear(&got);
        }
    }
    poco_category_clear(&cat);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    poco_cache *c = NULL;
    assert_int_equal(poco_cache_new(20, &c), SMS_OK);
    pthread_t th[4];
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, hammer, c), 0);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    assert_int_equal(poco_cache_size(c), 20);
    poco_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_invalid),
        cmocka_unit_test(test_deal_roundtrip_deep_copy),
        cmocka_unit_test(test_kinds_do_not_collide_and_case),
        cmocka_unit_test(test_lru_eviction_and_replace),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
