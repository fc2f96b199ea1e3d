/* Hex and address codecs: reference decoding rule (sms-api.md 5.2) plus strict rejection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/hex.h"

static sms_status dec(const char *s, uint8_t *out, size_t cap, size_t *n)
{
    return hex_decode(s, strlen(s), out, cap, n);
}

static void test_decode_basic(void **state)
{
    (void)state;
    uint8_t out[8];
    size_t n = 99;
    assert_int_equal(dec("00ff10", out, sizeof out, &n), SMS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 0x00);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(out[2], 0x10);
}

static void test_decode_prefix_dropped(void **state)
{
    (void)state;
    uint8_t out[8];
    size_t n = 0;
    assert_int_equal(dec("0xabcd", out, sizeof out, &n), SMS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[0], 0xab);
    assert_int_equal(out[1], 0xcd);
}

static void test_decode_upper_X_not_prefix(void **state)
{
    (void)state;
    uint8_t out[8];
    size_t n = 0;
    /* "0X" is not a prefix, so X is an invalid digit. */
    assert_int_equal(dec("0Xabcd", out, sizeof out, &n), SMS_EINVAL);
    assert_int_equal(n, 0);
}

static void test_decode_prefix_only_is_empty(void **state)
{
    (void)state;
    uint8_t out[1];
    size_t n = 7;
    assert_int_equal(dec("0x", out, sizeof out, &n), SMS_OK);
    assert_int_equal(n, 0);
    n = 7;
    assert_int_equal(dec("", out, sizeof out, &n), SMS_OK);
    assert_int_equal(n, 0);
    /* zero capacity and NULL output are fine for an empty result */
    n = 7;
    assert_int_equal(hex_decode("0x", 2, NULL, 0, &n), SMS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(hex_decode(NULL, 0, NULL, 0, &n), SMS_OK);
    assert_int_equal(n, 0);
}

static void test_decode_odd_length(void **state)
{
    (void)state;
    uint8_t out[8];
    size_t n = 0;
    assert_int_equal(dec("abc", out, sizeof out, &n), SMS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[0], 0x0a);
    assert_int_equal(out[1], 0xbc);
    assert_int_equal(dec("0x1", out, sizeof out, &n), SMS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 0x01);
    assert_int_equal(dec("f", out, sizeof out, &n), SMS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 0x0f);
}

static void test_decode_odd_first_digit_invalid(void **state)
{
    (void)state;
    uint8_t out[8];
    size_t n = 0;
    assert_int_equal(dec("gab", out, sizeof out, &n), SMS_EINVAL);
    assert_int_equal(dec("0xg", out, sizeof out, &n), SMS_EINVAL);
}

static void test_decode_case_insensitive(void **state)
{
    (void)state;
    uint8_t a[4];
    uint8_t b[4];
    size_t na = 0;
    size_t nb = 0;
    assert_int_equal(dec("DeadBEEF", a, sizeof a, &na), SMS_OK);
    assert_int_equal(dec("deadbeef", b, sizeof b, &nb), SMS_OK);
    assert_int_equal(na, 4);
    assert_memory_equal(a, b, 4);
    assert_int_equal(a[0], 0xde);
    assert_int_equal(a[3], 0xef);
}

static void test_decode_all_digits(void **state)
{
    (void)state;
    uint8_t out[11];
    size_t n = 0;
    assert_int_equal(dec("0123456789abcdefABCDEF", out, sizeof out, &n), SMS_OK);
    static const uint8_t want[] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, sizeof want);
}

static void test_decode_invalid_chars(void **state)
{
    (void)state;
    uint8_t out[16];
    size_t n = 5;
    const char *bad[] = {"zz", "0x0g", "12 34", " 1234", "1234 ", "12\n", "+1", "-1", "0x0x12", "ab:cd",
                         "G0", "@0", "`0", "/0", ":0", "0x12\r"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = 5;
        assert_int_equal(dec(bad[i], out, sizeof out, &n), SMS_EINVAL);
        assert_int_equal(n, 0);
    }
}

static void test_decode_embedded_nul(void **state)
{
    (void)state;
    uint8_t out[4];
    size_t n = 0;
    assert_int_equal(hex_decode("12\0" "4", 4, out, sizeof out, &n), SMS_EINVAL);
}

static void test_decode_not_nul_terminated(void **state)
{
    (void)state;
    const char buf[6] = {'0', 'x', 'a', 'b', 'c', 'd'};
    uint8_t out[2];
    size_t n = 0;
    assert_int_equal(hex_decode(buf, 4, out, sizeof out, &n), SMS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 0xab);
}

static void test_decode_capacity(void **state)
{
    (void)state;
    uint8_t out[4] = {0x55, 0x55, 0x55, 0x55};
    size_t n = 9;
    assert_int_equal(dec("0011223344", out, 4, &n), SMS_ETOOBIG);
    assert_int_equal(n, 0);
    /* nothing written on a capacity error */
    assert_int_equal(out[0], 0x55);
    assert_int_equal(dec("00112233", out, 4, &n), SMS_OK);
    assert_int_equal(n, 4);
    /* odd count needs (len+1)/2 */
    assert_int_equal(dec("011223344", out, 4, &n), SMS_ETOOBIG);
    assert_int_equal(dec("0112233", out, 4, &n), SMS_OK);
    assert_int_equal(n, 4);
    assert_int_equal(dec("00", NULL, 0, &n), SMS_ETOOBIG);
    assert_int_equal(dec("00", out, 0, &n), SMS_ETOOBIG);
}

static void test_decode_null_input_with_length(void **state)
{
    (void)state;
    uint8_t out[4];
    size_t n = 3;
    assert_int_equal(hex_decode(NULL, 2, out, sizeof out, &n), SMS_EINVAL);
    assert_int_equal(n, 0);
    /* out_len may be NULL */
    assert_int_equal(hex_decode("ab", 2, out, sizeof out, NULL), SMS_OK);
    assert_int_equal(out[0], 0xab);
}

static void test_encode(void **state)
{
    (void)state;
    const uint8_t in[] = {0x00, 0x01, 0xab, 0xff, 0x10};
    char out[2 * sizeof in + 3];
    memset(out, 'Z', sizeof out);
    hex_encode(in, sizeof in, out);
    assert_string_equal(out, "0001abff10");
    memset(out, 'Z', sizeof out);
    hex_encode_0x(in, sizeof in, out);
    assert_string_equal(out, "0x0001abff10");
    hex_encode(in, 0, out);
    assert_string_equal(out, "");
    hex_encode_0x(in, 0, out);
    assert_string_equal(out, "0x");
}

static void test_encode_decode_round_trip(void **state)
{
    (void)state;
    uint8_t in[256];
    for (size_t i = 0; i < sizeof in; i++) in[i] = (uint8_t)i;
    char text[2 * sizeof in + 3];
    uint8_t back[sizeof in];
    size_t n = 0;
    hex_encode_0x(in, sizeof in, text);
    assert_int_equal(hex_decode(text, strlen(text), back, sizeof back, &n), SMS_OK);
    assert_int_equal(n, sizeof in);
    assert_memory_equal(in, back, sizeof in);
}

static void test_address_parse_ok(void **state)
{
    (void)state;
    uint8_t a[ETH_ADDRESS_LEN];
    uint8_t b[ETH_ADDRESS_LEN];
    assert_int_equal(address_parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", a), SMS_OK);
    assert_int_equal(address_parse("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", b), SMS_OK);
    assert_memory_equal(a, b, ETH_ADDRESS_LEN);
    assert_int_equal(a[0], 0xf3);
    assert_int_equal(a[19], 0x66);
    assert_int_equal(address_parse("0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266", b), SMS_OK);
    assert_memory_equal(a, b, ETH_ADDRESS_LEN);
    /* validation only */
    assert_int_equal(address_parse("0x0000000000000000000000000000000000000000", NULL), SMS_OK);
}

static void test_address_parse_strict(void **state)
{
    (void)state;
    uint8_t a[ETH_ADDRESS_LEN];
    const char *bad[] = {
        NULL,
        "",
        "0x",
        "f39fd6e51aad88f6f4ce6ab8827279cfffb92266",     /* no prefix */
        "0Xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",   /* upper-case X */
        "0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226",    /* 39 digits */
        "0xf39fd6e51aad88f6f4ce6ab8827279cfffb922660",  /* 41 digits */
        "0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226g",   /* bad digit */
        "0x f39fd6e51aad88f6f4ce6ab8827279cfffb9226",   /* space */
        "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266 ",  /* trailing space */
        "00f39fd6e51aad88f6f4ce6ab8827279cfffb92266",   /* 42 chars without x */
        "1xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(address_parse(bad[i], a), SMS_EINVAL);
        assert_int_equal(address_parse(bad[i], NULL), SMS_EINVAL);
    }
}

static void test_address_format(void **state)
{
    (void)state;
    uint8_t a[ETH_ADDRESS_LEN];
    char s[ETH_ADDRESS_STR_LEN];
    assert_int_equal(address_parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", a), SMS_OK);
    memset(s, 'Z', sizeof s);
    address_format(a, s);
    assert_string_equal(s, "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
    assert_int_equal(strlen(s), ETH_ADDRESS_STR_LEN - 1);
    memset(a, 0, sizeof a);
    address_format(a, s);
    assert_string_equal(s, "0x0000000000000000000000000000000000000000");
}

static void test_address_is_40_hex_digits(void **state)
{
    (void)state;
    assert_true(address_is_40_hex_digits("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    assert_true(address_is_40_hex_digits("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    assert_false(address_is_40_hex_digits("0Xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    assert_false(address_is_40_hex_digits("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb9226"));
    assert_false(address_is_40_hex_digits("f39Fd6e51aad88F6F4ce6aB8827279cffFb9226"));
    assert_false(address_is_40_hex_digits("f39Fd6e51aad88F6F4ce6aB8827279cffFb922660"));
    assert_false(address_is_40_hex_digits("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266a"));
    assert_false(address_is_40_hex_digits("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb9226z"));
    assert_false(address_is_40_hex_digits("z39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    assert_false(address_is_40_hex_digits(""));
    assert_false(address_is_40_hex_digits(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_basic),
        cmocka_unit_test(test_decode_prefix_dropped),
        cmocka_unit_test(test_decode_upper_X_not_prefix),
        cmocka_unit_test(test_decode_prefix_only_is_empty),
        cmocka_unit_test(test_decode_odd_length),
        cmocka_unit_test(test_decode_odd_first_digit_invalid),
        cmocka_unit_test(test_decode_case_insensitive),
        cmocka_unit_test(test_decode_all_digits),
        cmocka_unit_test(test_decode_invalid_chars),
        cmocka_unit_test(test_decode_embedded_nul),
        cmocka_unit_test(test_decode_not_nul_terminated),
        cmocka_unit_test(test_decode_capacity),
        cmocka_unit_test(test_decode_null_input_with_length),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_encode_decode_round_trip),
        cmocka_unit_test(test_address_parse_ok),
        cmocka_unit_test(test_address_parse_strict),
        cmocka_unit_test(test_address_format),
        cmocka_unit_test(test_address_is_40_hex_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
