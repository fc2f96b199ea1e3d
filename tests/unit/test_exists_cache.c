/* Bounded existence cache (src/secrets/exists_cache.c; sms-api.md 9.6 with its [fix]):
 * TTL expiry, oldest-first eviction, refresh on put, clear, size, binary keys, and
 * concurrent use. Time is passed explicitly, so no test sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include "secrets/exists_cache.h"

static exists_cache *make(size_t capacity, int64_t ttl)
{
    exists_cache *c = NULL;
    assert_int_equal(exists_cache_new(capacity, ttl, &c), SMS_OK);
    assert_non_null(c);
    assert_int_equal(exists_cache_size(c), 0);
    return c;
}

static void put_s(exists_cache *c, const char *k, int64_t now) { exists_cache_put(c, k, strlen(k), now); }
static int get_s(exists_cache *c, const char *k, int64_t now) { return exists_cache_get(c, k, strlen(k), now); }

static void test_new_rejects_zero_capacity(void **state)
{
    (void)state;
    exists_cache *c = (exists_cache *)0x1;
    assert_int_equal(exists_cache_new(0, 1000, &c), SMS_EINVAL);
    assert_ptr_equal(c, (exists_cache *)0x1);
    exists_cache_free(NULL); /* NULL-safe */
}

static void test_put_get_basic(void **state)
{
    (void)state;
    exists_cache *c = make(8, 1000);
    assert_false(get_s(c, "a", 0));
    put_s(c, "a", 0);
    assert_true(get_s(c, "a", 0));
    assert_true(get_s(c, "a", 999));
    assert_false(get_s(c, "b", 0));
    /* Keys are compared on their full length: prefixes and extensions differ. */
    assert_false(get_s(c, "", 0));
    assert_false(get_s(c, "aa", 0));
    put_s(c, "abc", 0);
    assert_false(get_s(c, "ab", 0));
    assert_false(get_s(c, "abcd", 0));
    assert_false(get_s(c, "ABC", 0));
    assert_true(get_s(c, "abc", 0));
    assert_int_equal(exists_cache_size(c), 2);
    /* The cache copies the key: changing the caller's buffer does not matter. */
    char buf[8] = "xyz";
    exists_cache_put(c, buf, 3, 0);
    buf[0] = 'q';
    assert_true(get_s(c, "xyz", 0));
    assert_false(exists_cache_get(c, buf, 3, 0));
    exists_cache_free(c);
}

static void test_empty_key(void **state)
{
    (void)state;
    exists_cache *c = make(4, 1000);
    exists_cache_put(c, "", 0, 0);
    assert_true(exists_cache_get(c, "", 0, 0));
    assert_true(exists_cache_get(c, "zzz", 0, 0)); /* only length 0 is read */
    assert_false(get_s(c, "z", 0));
    assert_int_equal(exists_cache_size(c), 1);
    exists_cache_free(c);
}

static void test_ttl_expiry(void **state)
{
    (void)state;
    exists_cache *c = make(8, 100);
    put_s(c, "k", 1000);
    assert_true(get_s(c, "k", 1000));
    assert_true(get_s(c, "k", 1099));
    /* Expires exactly ttl after the put. */
    assert_false(get_s(c, "k", 1100));
    /* The stale entry was dropped by the failed look-up. */
    assert_int_equal(exists_cache_size(c), 0);
    assert_false(get_s(c, "k", 1000));
    exists_cache_free(c);
}

static void test_expired_entry_counts_until_looked_up(void **state)
{
    (void)state;
    exists_cache *c = make(8, 10);
    put_s(c, "a", 0);
    put_s(c, "b", 0);
    /* Size counts entries held, fresh or not yet evicted. */
    assert_int_equal(exists_cache_size(c), 2);
    assert_false(get_s(c, "a", 50));
    assert_int_equal(exists_cache_size(c), 1);
    /* A put of an expired key makes it fresh again without growing. */
    put_s(c, "b", 50);
    assert_int_equal(exists_cache_size(c), 1);
    assert_true(get_s(c, "b", 59));
    assert_false(get_s(c, "b", 60));
    exists_cache_free(c);
}

static void test_refresh_on_put(void **state)
{
    (void)state;
    exists_cache *c = make(8, 100);
    put_s(c, "k", 0);
    put_s(c, "k", 80);
    assert_int_equal(exists_cache_size(c), 1);
    assert_true(get_s(c, "k", 150)); /* would have expired at 100 without the refresh */
    assert_true(get_s(c, "k", 179));
    assert_false(get_s(c, "k", 180));
    exists_cache_free(c);
}

static void test_zero_ttl_never_hits(void **state)
{
    (void)state;
    exists_cache *c = make(4, 0);
    put_s(c, "k", 5);
    assert_false(get_s(c, "k", 5));
    exists_cache_free(c);
}

static void test_capacity_evicts_oldest(void **state)
{
    (void)state;
    exists_cache *c = make(3, 1000);
    put_s(c, "a", 0);
    put_s(c, "b", 1);
    put_s(c, "c", 2);
    assert_int_equal(exists_cache_size(c), 3);
    put_s(c, "d", 3);
    assert_int_equal(exists_cache_size(c), 3);
    assert_false(get_s(c, "a", 4));
    assert_true(get_s(c, "b", 4));
    assert_true(get_s(c, "c", 4));
    assert_true(get_s(c, "d", 4));
    put_s(c, "e", 5);
    assert_false(get_s(c, "b", 6));
    assert_true(get_s(c, "c", 6));
    assert_true(get_s(c, "e", 6));
    exists_cache_free(c);
}

static void test_reput_moves_to_newest(void **state)
{
    (void)state;
    exists_cache *c = make(3, 1000);
    put_s(c, "a", 0);
    put_s(c, "b", 0);
    put_s(c, "c", 0);
    put_s(c, "a", 1); /* a is now the most recently inserted */
    put_s(c, "d", 2); /* evicts b */
    assert_true(get_s(c, "a", 3));
    assert_false(get_s(c, "b", 3));
    assert_true(get_s(c, "c", 3));
    assert_true(get_s(c, "d", 3));
    /* A get does not refresh the order (insertion order, not LRU): c goes next. */
    assert_true(get_s(c, "c", 3));
    put_s(c, "e", 4);
    assert_false(get_s(c, "c", 5));
    assert_true(get_s(c, "a", 5));
    exists_cache_free(c);
}

static void test_capacity_one(void **state)
{
    (void)state;
    /* Every put evicts the previous key; many keys share a bucket with the evicted one,
     * which exercises the slot re-lookup after eviction (ASan checks the pointers). */
    exists_cache *c = make(1, 1000);
    char key[16];
    for (int i = 0; i < 500; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        exists_cache_put(c, key, (size_t)n, i);
        assert_int_equal(exists_cache_size(c), 1);
        assert_true(exists_cache_get(c, key, (size_t)n, i));
        if (i > 0) {
            char prev[16];
            int m = snprintf(prev, sizeof prev, "k%d", i - 1);
            assert_false(exists_cache_get(c, prev, (size_t)m, i));
        }
    }
    exists_cache_free(c);
}

static void test_clear(void **state)
{
    (void)state;
    exists_cache *c = make(16, 1000);
    for (int i = 0; i < 10; i++) {
        char k[8];
        int n = snprintf(k, sizeof k, "%d", i);
        exists_cache_put(c, k, (size_t)n, 0);
    }
    assert_int_equal(exists_cache_size(c), 10);
    exists_cache_clear(c);
    assert_int_equal(exists_cache_size(c), 0);
    assert_false(get_s(c, "3", 0));
    /* Usable after a clear, with the full capacity. */
    for (int i = 0; i < 16; i++) {
        char k[8];
        int n = snprintf(k, sizeof k, "n%d", i);
        exists_cache_put(c, k, (size_t)n, 1);
    }
    assert_int_equal(exists_cache_size(c), 16);
    assert_true(get_s(c, "n0", 2));
    assert_true(get_s(c, "n15", 2));
    exists_cache_clear(c);
    exists_cache_clear(c); /* clearing an empty cache is fine */
    assert_int_equal(exists_cache_size(c), 0);
    exists_cache_free(c);
}

static void test_many_keys(void **state)
{
    (void)state;
    enum { CAP = 5000, TOTAL = 12000 };
    exists_cache *c = make(CAP, 60000);
    char k[32];
    for (int i = 0; i < TOTAL; i++) {
        int n = snprintf(k, sizeof k, "0xowner%08d\x01name", i);
        exists_cache_put(c, k, (size_t)n, i);
    }
    assert_int_equal(exists_cache_size(c), CAP);
    for (int i = 0; i < TOTAL; i++) {
        int n = snprintf(k, sizeof k, "0xowner%08d\x01name", i);
        int expect = i >= TOTAL - CAP;
        if (exists_cache_get(c, k, (size_t)n, TOTAL) != expect) fail_msg("key %d: expected %d", i, expect);
    }
    /* Looking up absent keys did not change anything. */
    assert_int_equal(exists_cache_size(c), CAP);
    /* Expiry of everything at once, entry by entry on look-up. */
    for (int i = TOTAL - CAP; i < TOTAL; i++) {
        int n = snprintf(k, sizeof k, "0xowner%08d\x01name", i);
        assert_false(exists_cache_get(c, k, (size_t)n, 10000000));
    }
    assert_int_equal(exists_cache_size(c), 0);
    exists_cache_free(c);
}

static void test_keys_with_nul_bytes(void **state)
{
    (void)state;
    exists_cache *c = make(8, 1000);
    static const char k1[] = {'1', 'a', '\0', 'b'};
    static const char k2[] = {'1', 'a', '\0', 'c'};
    static const char k3[] = {'1', 'a'};
    static const char k4[] = {'1', 'a', '\0'};
    static const char k5[] = {'1', 'a', '\0', 'b', '\0'};
    exists_cache_put(c, k1, sizeof k1, 0);
    assert_true(exists_cache_get(c, k1, sizeof k1, 0));
    assert_false(exists_cache_get(c, k2, sizeof k2, 0));
    assert_false(exists_cache_get(c, k3, sizeof k3, 0));
    assert_false(exists_cache_get(c, k4, sizeof k4, 0));
    assert_false(exists_cache_get(c, k5, sizeof k5, 0));
    exists_cache_put(c, k4, sizeof k4, 0);
    assert_true(exists_cache_get(c, k4, sizeof k4, 0));
    assert_false(exists_cache_get(c, k3, sizeof k3, 0));
    assert_int_equal(exists_cache_size(c), 2);
    /* All-zero keys of different lengths are distinct. */
    static const char zeros[8] = {0};
    for (size_t n = 1; n <= 4; n++) exists_cache_put(c, zeros, n, 0);
    for (size_t n = 1; n <= 4; n++) assert_true(exists_cache_get(c, zeros, n, 0));
    assert_false(exists_cache_get(c, zeros, 5, 0));
    assert_int_equal(exists_cache_size(c), 6);
    exists_cache_free(c);
}

static void test_binary_keys_all_bytes(void **state)
{
    (void)state;
    /* Single-byte keys 0..255: all distinct, bytes >= 0x80 included. */
    exists_cache *c = make(256, 1000);
    for (int b = 0; b < 256; b++) {
        char k = (char)b;
        exists_cache_put(c, &k, 1, 0);
    }
    assert_int_equal(exists_cache_size(c), 256);
    for (int b = 0; b < 256; b++) {
        char k = (char)b;
        assert_true(exists_cache_get(c, &k, 1, 0));
    }
    exists_cache_free(c);
}

typedef struct {
    exists_cache *c;
    int id;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    char k[32];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(k, sizeof k, "t%d-%d", a->id, i % 300);
        exists_cache_put(a->c, k, (size_t)n, i);
        (void)exists_cache_get(a->c, k, (size_t)n, i);
        if (i % 5000 == 4999) exists_cache_clear(a->c);
        (void)exists_cache_size(a->c);
    }
    return NULL;
}

static void test_concurrent_use(void **state)
{
    (void)state;
    enum { THREADS = 4, CAP = 128 };
    exists_cache *c = make(CAP, 1000000);
    pthread_t t[THREADS];
    worker_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i].c = c;
        args[i].id = i;
        assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    assert_true(exists_cache_size(c) <= CAP);
    /* Still consistent: a fresh put is found and the bound holds. */
    for (int i = 0; i < 2 * CAP; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "z%d", i);
        exists_cache_put(c, k, (size_t)n, 0);
        assert_true(exists_cache_get(c, k, (size_t)n, 0));
    }
    assert_int_equal(exists_cache_size(c), CAP);
    exists_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_rejects_zero_capacity),
        cmocka_unit_test(test_put_get_basic),
        cmocka_unit_test(test_empty_key),
        cmocka_unit_test(test_ttl_expiry),
        cmocka_unit_test(test_expired_entry_counts_until_looked_up),
        cmocka_unit_test(test_refresh_on_put),
        cmocka_unit_test(test_zero_ttl_never_hits),
        cmocka_unit_test(test_capacity_evicts_oldest),
        cmocka_unit_test(test_reput_moves_to_newest),
        cmocka_unit_test(test_capacity_one),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_keys_with_nul_bytes),
        cmocka_unit_test(test_binary_keys_all_bytes),
        cmocka_unit_test(test_concurrent_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
