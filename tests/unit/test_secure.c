/* Secret-buffer helpers: zeroing and constant-time comparisons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/secure.h"

static void test_secure_zero(void **state)
{
    (void)state;
    uint8_t buf[64];
    memset(buf, 0xa5, sizeof buf);
    secure_zero(buf + 8, 16);
    for (size_t i = 0; i < sizeof buf; i++) assert_int_equal(buf[i], (i >= 8 && i < 24) ? 0 : 0xa5);
    secure_zero(NULL, 10);
    secure_zero(buf, 0);
    assert_int_equal(buf[0], 0xa5);
}

static void test_secure_free(void **state)
{
    (void)state;
    uint8_t *p = malloc(32);
    assert_non_null(p);
    memset(p, 0x77, 32);
    secure_free(p, 32); /* ASan runs catch a bad free; the value is gone with the buffer */
    secure_free(NULL, 32);
}

static void test_secure_equal(void **state)
{
    (void)state;
    const uint8_t a[] = {1, 2, 3, 4, 5};
    uint8_t b[] = {1, 2, 3, 4, 5};
    assert_true(secure_equal(a, b, sizeof a));
    for (size_t i = 0; i < sizeof b; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            assert_false(secure_equal(a, b, sizeof a));
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    assert_true(secure_equal(a, b, 0));
    assert_true(secure_equal(a, b, sizeof a));
}

static void test_secure_str_equal(void **state)
{
    (void)state;
    const char *key = "s3cr3t-api-key";
    size_t kl = strlen(key);
    assert_true(secure_str_equal("s3cr3t-api-key", kl, key, kl));
    assert_false(secure_str_equal("s3cr3t-api-kez", kl, key, kl));
    assert_false(secure_str_equal("S3cr3t-api-key", kl, key, kl));
    /* prefix, extension, empty */
    assert_false(secure_str_equal("s3cr3t", 6, key, kl));
    assert_false(secure_str_equal("s3cr3t-api-key!", kl + 1, key, kl));
    assert_false(secure_str_equal("", 0, key, kl));
    assert_true(secure_str_equal("", 0, "", 0));
    assert_false(secure_str_equal("x", 1, "", 0));
    /* a shorter given whose missing bytes would be zeros still differs */
    const char zeros[4] = {0, 0, 0, 0};
    assert_false(secure_str_equal(zeros, 2, zeros, 4));
    /* lengths are what counts, not NUL terminators */
    assert_true(secure_str_equal("abcX", 3, "abcY", 3));
    assert_false(secure_str_equal(NULL, 0, key, kl));
    assert_false(secure_str_equal(key, kl, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secure_zero),
        cmocka_unit_test(test_secure_free),
        cmocka_unit_test(test_secure_equal),
        cmocka_unit_test(test_secure_str_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
