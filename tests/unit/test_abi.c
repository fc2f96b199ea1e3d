/* ABI decoding/encoding helpers (src/chain/abi.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain/abi.h"
#include "helpers/abi_builder.h"

static void test_word_bounds(void **state)
{
    (void)state;
    uint8_t buf[96];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)i;
    const uint8_t *w = NULL;
    abi_view v = abi_view_make(buf, sizeof buf);
    assert_int_equal(abi_word(&v, 0, &w), SMS_OK);
    assert_ptr_equal(w, buf);
    assert_int_equal(abi_word(&v, 2, &w), SMS_OK);
    assert_ptr_equal(w, buf + 64);
    assert_int_equal(abi_word(&v, 3, &w), SMS_EINVAL);
    assert_int_equal(abi_word(&v, SIZE_MAX, &w), SMS_EINVAL);
    assert_int_equal(abi_word(&v, SIZE_MAX / 32 + 1, &w), SMS_EINVAL);
    /* a partial last word is not a word */
    abi_view p = abi_view_make(buf, 95);
    assert_int_equal(abi_word(&p, 1, &w), SMS_OK);
    assert_int_equal(abi_word(&p, 2, &w), SMS_EINVAL);
    abi_view e = abi_view_make(NULL, 32);
    assert_int_equal(e.len, 0);
    assert_int_equal(abi_word(&e, 0, &w), SMS_EINVAL);
}

static void test_uint64(void **state)
{
    (void)state;
    uint8_t w[32] = {0};
    uint64_t x = 0;
    abi_view v = abi_view_make(w, 32);
    tword_u64(w, 0x1122334455667788ULL);
    assert_int_equal(abi_read_uint64(&v, 0, &x), SMS_OK);
    assert_true(x == 0x1122334455667788ULL);
    tword_u64(w, UINT64_MAX);
    assert_int_equal(abi_read_uint64(&v, 0, &x), SMS_OK);
    assert_true(x == UINT64_MAX);
    /* any of the 24 high bytes set: does not fit */
    for (size_t i = 0; i < 24; i++) {
        tword_u64(w, 5);
        w[i] = 1;
        assert_int_equal(abi_read_uint64(&v, 0, &x), SMS_EINVAL);
    }
    tword_u64(w, 4);
    assert_int_equal(abi_read_uint_max(&v, 0, 4, &x), SMS_OK);
    assert_true(x == 4);
    tword_u64(w, 5);
    assert_int_equal(abi_read_uint_max(&v, 0, 4, &x), SMS_EINVAL);
    assert_int_equal(abi_read_uint64(&v, 1, &x), SMS_EINVAL);
}

static void test_address(void **state)
{
    (void)state;
    uint8_t w[32] = {0};
    uint8_t a[20];
    abi_view v = abi_view_make(w, 32);
    tword_addr(w, EX_POOL_OWNER);
    assert_int_equal(abi_read_address(&v, 0, a), SMS_OK);
    assert_memory_equal(a, w + 12, 20);
    assert_int_equal(a[0], 0x90);
    for (size_t i = 0; i < 12; i++) {
        tword_addr(w, EX_POOL_OWNER);
        w[i] = 0x80;
        assert_int_equal(abi_read_address(&v, 0, a), SMS_EINVAL);
    }
    assert_int_equal(abi_read_address(&v, 1, a), SMS_EINVAL);
}

static void test_bool_bytes32(void **state)
{
    (void)state;
    uint8_t w[32] = {0};
    int b = -1;
    abi_view v = abi_view_make(w, 32);
    tword_u64(w, 1);
    assert_int_equal(abi_read_bool(&v, 0, &b), SMS_OK);
    assert_int_equal(b, 1);
    tword_u64(w, 0);
    assert_int_equal(abi_read_bool(&v, 0, &b), SMS_OK);
    assert_int_equal(b, 0);
    tword_u64(w, 2);
    assert_int_equal(abi_read_bool(&v, 0, &b), SMS_EINVAL);
    w[0] = 1;
    w[31] = 1;
    assert_int_equal(abi_read_bool(&v, 0, &b), SMS_EINVAL);

    uint8_t out[32];
    tword_hex(w, EX_DEALID);
    assert_int_equal(abi_read_bytes32(&v, 0, out), SMS_OK);
    assert_memory_equal(out, w, 32);
    assert_int_equal(out[0], 0x29);
    assert_int_equal(abi_read_bytes32(&v, 1, out), SMS_EINVAL);
}

/* head: [offset] ; tail: len + data */
static void test_bytes_roundtrip(void **state)
{
    (void)state;
    tblob b = {0};
    tfield f[2] = {tf_u64(7), tf_str("hello, chain: more than thirty-two bytes long!")};
    tencode_tuple(&b, f, 2);
    abi_view v = abi_view_make(b.p, b.len);
    const uint8_t *p = NULL;
    size_t n = 0;
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_OK);
    assert_int_equal(n, strlen("hello, chain: more than thirty-two bytes long!"));
    assert_memory_equal(p, "hello, chain: more than thirty-two bytes long!", n);
    char *s = NULL;
    assert_int_equal(abi_dup_bytes(&v, 1, 2, &s, &n), SMS_OK);
    assert_string_equal(s, "hello, chain: more than thirty-two bytes long!");
    free(s);
    /* word 0 is not an offset: 7 is misaligned */
    assert_int_equal(abi_read_bytes(&v, 0, 2, &p, &n), SMS_EINVAL);
    /* every truncation of the blob is rejected */
    for (size_t len = 0; len < b.len; len++) {
        abi_view t = abi_view_make(b.p, len);
        assert_int_equal(abi_read_bytes(&t, 1, 2, &p, &n), SMS_EINVAL);
    }
    tblob_free(&b);
}

static void test_empty_bytes_and_embedded_nul(void **state)
{
    (void)state;
    tblob b = {0};
    tfield f[2] = {tf_bytes("", 0), tf_bytes("a\0b", 3)};
    tencode_tuple(&b, f, 2);
    abi_view v = abi_view_make(b.p, b.len);
    char *s = NULL;
    size_t n = 99;
    assert_int_equal(abi_dup_bytes(&v, 0, 2, &s, &n), SMS_OK);
    assert_int_equal(n, 0);
    assert_string_equal(s, "");
    free(s);
    assert_int_equal(abi_dup_bytes(&v, 1, 2, &s, &n), SMS_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(s, "a\0b", 4);
    free(s);
    tblob_free(&b);
}

static void set_word(tblob *b, size_t index, uint64_t v) { tword_u64(b->p + 32 * index, v); }

static void test_bad_offsets(void **state)
{
    (void)state;
    tblob b = {0};
    tfield f[2] = {tf_u64(1), tf_str("abc")};
    tencode_tuple(&b, f, 2); /* words: 1, 0x40, 3, "abc" */
    assert_int_equal(b.len, 128);
    abi_view v = abi_view_make(b.p, b.len);
    const uint8_t *p;
    size_t n, off;

    assert_int_equal(abi_read_offset(&v, 1, 2, &off), SMS_OK);
    assert_int_equal(off, 64);
    /* into the head, including onto the offset word itself */
    set_word(&b, 1, 0x20);
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_EINVAL);
    set_word(&b, 1, 0);
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_EINVAL);
    /* misaligned */
    set_word(&b, 1, 0x41);
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_EINVAL);
    /* at or beyond the end */
    set_word(&b, 1, 128);
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_EINVAL);
    set_word(&b, 1, 1ULL << 62);
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_EINVAL);
    b.p[32] = 0xff; /* 2^255-ish */
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_EINVAL);
    memset(b.p + 32, 0xff, 32);
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_EINVAL);
    /* the last word: valid offset, then length must fit in zero remaining words */
    set_word(&b, 1, 96);
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_EINVAL); /* len = "abc..." as a number */

    /* huge or slightly-too-big lengths */
    set_word(&b, 1, 64);
    set_word(&b, 2, 33);
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_EINVAL);
    set_word(&b, 2, 32);
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_OK);
    assert_int_equal(n, 32);
    set_word(&b, 2, UINT64_MAX);
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_EINVAL);
    memset(b.p + 64, 0xff, 32);
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_EINVAL);
    set_word(&b, 2, 0);
    assert_int_equal(abi_read_bytes(&v, 1, 2, &p, &n), SMS_OK);
    assert_int_equal(n, 0);
    tblob_free(&b);
}

static void test_unpadded_tail_rejected(void **state)
{
    (void)state;
    tblob b = {0};
    tfield f[1] = {tf_str("abc")};
    tencode_tuple(&b, f, 1); /* 0x20, 3, "abc"+29 zeros */
    abi_view v = abi_view_make(b.p, b.len - 29);
    const uint8_t *p;
    size_t n;
    assert_int_equal(abi_read_bytes(&v, 0, 1, &p, &n), SMS_EINVAL);
    v.len = b.len;
    assert_int_equal(abi_read_bytes(&v, 0, 1, &p, &n), SMS_OK);
    tblob_free(&b);
}

static void test_tuple(void **state)
{
    (void)state;
    tblob b = {0};
    tfield f[2] = {tf_u64(42), tf_str("x")};
    tencode_struct_return(&b, f, 2);
    abi_view v = abi_view_make(b.p, b.len);
    abi_view t;
    uint64_t x;
    assert_int_equal(abi_read_tuple(&v, 0, 1, 2, &t), SMS_OK);
    assert_ptr_equal(t.data, b.p + 32);
    assert_int_equal(t.len, b.len - 32);
    assert_int_equal(abi_read_uint64(&t, 0, &x), SMS_OK);
    assert_true(x == 42);
    const uint8_t *p;
    size_t n;
    assert_int_equal(abi_read_bytes(&t, 1, 2, &p, &n), SMS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(p[0], 'x');
    /* child head larger than what remains */
    assert_int_equal(abi_read_tuple(&v, 0, 1, 4, &t), SMS_OK);
    assert_int_equal(abi_read_tuple(&v, 0, 1, 5, &t), SMS_EINVAL);
    assert_int_equal(abi_read_tuple(&v, 0, 1, SIZE_MAX, &t), SMS_EINVAL);
    /* outer offset pointing at itself */
    set_word(&b, 0, 0);
    assert_int_equal(abi_read_tuple(&v, 0, 1, 2, &t), SMS_EINVAL);
    tblob_free(&b);
}

static void test_static_array(void **state)
{
    (void)state;
    tblob b = {0};
    uint8_t w[32] = {0};
    tword_u64(w, 32);
    tblob_raw(&b, w, 32); /* offset */
    tword_u64(w, 2);
    tblob_raw(&b, w, 32); /* count */
    tword_addr(w, EX_APP);
    tblob_raw(&b, w, 32);
    tword_addr(w, EX_POOL);
    tblob_raw(&b, w, 32);
    abi_view v = abi_view_make(b.p, b.len);
    size_t count = 0;
    abi_view el;
    uint8_t a[20];
    assert_int_equal(abi_read_static_array(&v, 0, 1, 1, &count, &el), SMS_OK);
    assert_int_equal(count, 2);
    assert_int_equal(el.len, 64);
    assert_int_equal(abi_read_address(&el, 1, a), SMS_OK);
    assert_int_equal(a[0], 0x9f);
    assert_int_equal(abi_read_address(&el, 2, a), SMS_EINVAL);
    /* count too large for the data (and overflow-sized) */
    set_word(&b, 1, 3);
    assert_int_equal(abi_read_static_array(&v, 0, 1, 1, &count, &el), SMS_EINVAL);
    set_word(&b, 1, 1ULL << 58);
    assert_int_equal(abi_read_static_array(&v, 0, 1, 1, &count, &el), SMS_EINVAL);
    /* two 2-word elements need 4 words, only 2 follow the count */
    set_word(&b, 1, 1);
    assert_int_equal(abi_read_static_array(&v, 0, 1, 2, &count, &el), SMS_OK);
    assert_int_equal(count, 1);
    set_word(&b, 1, 2);
    assert_int_equal(abi_read_static_array(&v, 0, 1, 2, &count, &el), SMS_EINVAL);
    assert_int_equal(abi_read_static_array(&v, 0, 1, 0, &count, &el), SMS_EINVAL);
    tblob_free(&b);
}

static void test_encoders(void **state)
{
    (void)state;
    uint8_t sel[4];
    abi_put_selector(sel, 0x248ad6a0u);
    assert_memory_equal(sel, "\x24\x8a\xd6\xa0", 4);

    uint8_t w[32] = {0};
    abi_put_uint64(w, 0x0102030405060708ULL);
    for (size_t i = 0; i < 24; i++) assert_int_equal(w[i], 0);
    assert_memory_equal(w + 24, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);

    uint8_t addr[20];
    thex(EX_APP, addr, 20);
    memset(w, 0xee, 32);
    abi_put_address(w, addr);
    for (size_t i = 0; i < 12; i++) assert_int_equal(w[i], 0);
    assert_memory_equal(w + 12, addr, 20);

    uint8_t id[32];
    thex(EX_DEALID, id, 32);
    abi_put_bytes32(w, id);
    assert_memory_equal(w, id, 32);

    uint8_t call[36];
    abi_encode_call1(call, 0xb74861b2u, id);
    assert_memory_equal(call, "\xb7\x48\x61\xb2", 4);
    assert_memory_equal(call + 4, id, 32);

    /* encode -> decode round trip */
    abi_view v = abi_view_make(call + 4, 32);
    uint8_t back[32];
    assert_int_equal(abi_read_bytes32(&v, 0, back), SMS_OK);
    assert_memory_equal(back, id, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word_bounds),
        cmocka_unit_test(test_uint64),
        cmocka_unit_test(test_address),
        cmocka_unit_test(test_bool_bytes32),
        cmocka_unit_test(test_bytes_roundtrip),
        cmocka_unit_test(test_empty_bytes_and_embedded_nul),
        cmocka_unit_test(test_bad_offsets),
        cmocka_unit_test(test_unpadded_tail_rejected),
        cmocka_unit_test(test_tuple),
        cmocka_unit_test(test_static_array),
        cmocka_unit_test(test_encoders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
