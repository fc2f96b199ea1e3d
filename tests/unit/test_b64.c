/* Strict standard base64 (RFC 4648 section 4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/b64.h"

/* RFC 4648 section 10 test vectors. */
static const struct {
    const char *plain;
    const char *b64;
} rfc_vectors[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

static void test_encoded_size(void **state)
{
    (void)state;
    assert_int_equal(b64_encoded_size(0), 1);
    assert_int_equal(b64_encoded_size(1), 5);
    assert_int_equal(b64_encoded_size(2), 5);
    assert_int_equal(b64_encoded_size(3), 5);
    assert_int_equal(b64_encoded_size(4), 9);
    assert_int_equal(b64_encoded_size(16), 25);
    assert_int_equal(b64_encoded_size(32), 45);
    assert_int_equal(b64_encoded_size(SIZE_MAX), SIZE_MAX);
    /* largest representable size, then the first that would wrap */
    assert_int_equal(b64_encoded_size(SIZE_MAX / 4 * 3), SIZE_MAX - 2);
    assert_int_equal(b64_encoded_size((SIZE_MAX / 4 + 1) * 3), SIZE_MAX);
}

static void test_rfc_encode(void **state)
{
    (void)state;
    char out[16];
    for (size_t i = 0; i < sizeof rfc_vectors / sizeof rfc_vectors[0]; i++) {
        size_t n = strlen(rfc_vectors[i].plain);
        memset(out, 'Z', sizeof out);
        assert_int_equal(b64_encode((const uint8_t *)rfc_vectors[i].plain, n, out, b64_encoded_size(n)), SMS_OK);
        assert_string_equal(out, rfc_vectors[i].b64);
    }
}

static void test_rfc_decode(void **state)
{
    (void)state;
    uint8_t out[16];
    for (size_t i = 0; i < sizeof rfc_vectors / sizeof rfc_vectors[0]; i++) {
        size_t n = 99;
        const char *t = rfc_vectors[i].b64;
        assert_int_equal(b64_decode(t, strlen(t), out, sizeof out, &n), SMS_OK);
        assert_int_equal(n, strlen(rfc_vectors[i].plain));
        assert_memory_equal(out, rfc_vectors[i].plain, n);
    }
}

static void test_full_alphabet(void **state)
{
    (void)state;
    /* fbefbe is all 62s ("+"), ffffff all 63s ("/"). */
    const uint8_t in[] = {0xfb, 0xef, 0xbe, 0x00, 0x10, 0x83};
    char out[16];
    assert_int_equal(b64_encode(in, sizeof in, out, sizeof out), SMS_OK);
    assert_string_equal(out, "++++ABCD");
    uint8_t back[8];
    size_t n = 0;
    assert_int_equal(b64_decode(out, strlen(out), back, sizeof back, &n), SMS_OK);
    assert_int_equal(n, sizeof in);
    assert_memory_equal(back, in, sizeof in);
    const uint8_t in2[] = {0xff, 0xff, 0xff};
    assert_int_equal(b64_encode(in2, sizeof in2, out, sizeof out), SMS_OK);
    assert_string_equal(out, "////");
}

static void test_key_vector(void **state)
{
    (void)state;
    uint8_t key[16];
    size_t n = 0;
    const char *t = "AAECAwQFBgcICQoLDA0ODw==";
    assert_int_equal(b64_decode(t, strlen(t), key, sizeof key, &n), SMS_OK);
    assert_int_equal(n, 16);
    for (int i = 0; i < 16; i++) assert_int_equal(key[i], i);
}

static void test_round_trip_all_lengths(void **state)
{
    (void)state;
    uint8_t in[300];
    char text[401];
    uint8_t back[300];
    for (size_t i = 0; i < sizeof in; i++) in[i] = (uint8_t)(i * 37 + 11);
    for (size_t len = 0; len <= sizeof in; len++) {
        size_t n = 0;
        assert_int_equal(b64_encode(in, len, text, sizeof text), SMS_OK);
        assert_int_equal(strlen(text) + 1, b64_encoded_size(len));
        assert_int_equal(b64_decode(text, strlen(text), back, len, &n), SMS_OK);
        assert_int_equal(n, len);
        assert_memory_equal(back, in, len);
    }
}

static void expect_invalid(const char *t)
{
    uint8_t out[64];
    size_t n = 42;
    assert_int_equal(b64_decode(t, strlen(t), out, sizeof out, &n), SMS_EINVAL);
    assert_int_equal(n, 0);
}

static void test_strict_newline_whitespace(void **state)
{
    (void)state;
    expect_invalid("AAECAwQFBgcICQoLDA0ODw==\n");
    expect_invalid("AAECAwQFBgcICQoLDA0ODw==\r\n");
    expect_invalid("AAECAwQF\nBgcICQoLDA0ODw==");
    expect_invalid(" Zm9v");
    expect_invalid("Zm9v ");
    expect_invalid("Zm 9v");
    expect_invalid("Zm9v\t");
}

static void test_strict_padding(void **state)
{
    (void)state;
    expect_invalid("Zg");    /* missing padding */
    expect_invalid("Zg=");
    expect_invalid("Zm8");
    expect_invalid("Zm9vYg");
    expect_invalid("Z===");
    expect_invalid("====");
    expect_invalid("=Zg=");
    expect_invalid("Zg==Zg=="); /* padding before the end */
    expect_invalid("Zm=v");
    expect_invalid("Zg=a");
    expect_invalid("Zm9vYg===");
    expect_invalid("A");
}

static void test_strict_bad_chars(void **state)
{
    (void)state;
    expect_invalid("Zm9-");  /* URL-safe alphabet is not standard */
    expect_invalid("Zm9_");
    expect_invalid("Zm9*");
    expect_invalid("Zm9.");
    expect_invalid("Zm\x80v");
    expect_invalid("Zm\xffv");
    uint8_t out[8];
    size_t n = 0;
    assert_int_equal(b64_decode("Zm\0v", 4, out, sizeof out, &n), SMS_EINVAL);
}

static void test_strict_non_canonical_bits(void **state)
{
    (void)state;
    /* "Zg==" is canonical for "f"; "Zh==" has non-zero unused bits. */
    expect_invalid("Zh==");
    expect_invalid("Zm9=");  /* canonical is Zm8= */
    uint8_t out[4];
    size_t n = 0;
    assert_int_equal(b64_decode("Zm8=", 4, out, sizeof out, &n), SMS_OK);
}

static void test_decode_capacity(void **state)
{
    (void)state;
    uint8_t out[6] = {0};
    size_t n = 9;
    assert_int_equal(b64_decode("Zm9vYmFy", 8, out, 5, &n), SMS_ETOOBIG);
    assert_int_equal(n, 0);
    assert_int_equal(b64_decode("Zm9vYmFy", 8, out, 6, &n), SMS_OK);
    assert_int_equal(n, 6);
    /* capacity counts the padding-reduced length */
    assert_int_equal(b64_decode("Zm9vYg==", 8, out, 4, &n), SMS_OK);
    assert_int_equal(n, 4);
    assert_int_equal(b64_decode("Zm9vYg==", 8, out, 3, &n), SMS_ETOOBIG);
    assert_int_equal(b64_decode("Zm9vYg==", 8, NULL, 0, &n), SMS_ETOOBIG);
    /* empty input needs no room */
    assert_int_equal(b64_decode("", 0, NULL, 0, &n), SMS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(b64_decode(NULL, 0, NULL, 0, &n), SMS_OK);
    assert_int_equal(b64_decode(NULL, 4, out, sizeof out, &n), SMS_EINVAL);
    /* invalid text is reported before capacity */
    assert_int_equal(b64_decode("Zm9*YmFy", 8, out, 1, &n), SMS_EINVAL);
}

static void test_encode_capacity(void **state)
{
    (void)state;
    const uint8_t in[] = "foobar";
    char out[9];
    assert_int_equal(b64_encode(in, 6, out, 8), SMS_ETOOBIG);
    assert_int_equal(b64_encode(in, 6, out, 9), SMS_OK);
    assert_string_equal(out, "Zm9vYmFy");
    assert_int_equal(b64_encode(in, 6, NULL, 9), SMS_ETOOBIG);
    assert_int_equal(b64_encode(NULL, 3, out, sizeof out), SMS_EINVAL);
    assert_int_equal(b64_encode(NULL, 0, out, 1), SMS_OK);
    assert_string_equal(out, "");
    assert_int_equal(b64_encode(in, 0, out, 0), SMS_ETOOBIG);
    assert_int_equal(b64_encode(in, SIZE_MAX, out, sizeof out), SMS_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoded_size),
        cmocka_unit_test(test_rfc_encode),
        cmocka_unit_test(test_rfc_decode),
        cmocka_unit_test(test_full_alphabet),
        cmocka_unit_test(test_key_vector),
        cmocka_unit_test(test_round_trip_all_lengths),
        cmocka_unit_test(test_strict_newline_whitespace),
        cmocka_unit_test(test_strict_padding),
        cmocka_unit_test(test_strict_bad_chars),
        cmocka_unit_test(test_strict_non_canonical_bits),
        cmocka_unit_test(test_decode_capacity),
        cmocka_unit_test(test_encode_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
