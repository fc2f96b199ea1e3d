/* UTF-8 validation and Unicode lower-casing (src/core/utf8.c; sms-api.md 2.3, 2.7).
 * Validity is checked exhaustively over every 1-, 2- and 3-byte sequence and every code
 * point against an independent statement of Unicode's Table 3-7 (well-formed byte
 * sequences); lower-casing against mappings Java's String.toLowerCase() produces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/utf8.h"

static int valid(const char *s, size_t n) { return utf8_valid((const uint8_t *)s, n); }
#define VALID(lit) valid(lit, sizeof(lit) - 1)

/* Table 3-7 of the Unicode standard, written as byte ranges (independent of the
 * implementation's shift-and-compare approach). Returns the length of the well-formed
 * sequence at s (1..4) or 0. */
static size_t table37(const uint8_t *s, size_t len)
{
    static const struct {
        uint8_t lo[4], hi[4];
        size_t n;
    } rows[] = {
        {{0x00}, {0x7F}, 1},
        {{0xC2, 0x80}, {0xDF, 0xBF}, 2},
        {{0xE0, 0xA0, 0x80}, {0xE0, 0xBF, 0xBF}, 3},
        {{0xE1, 0x80, 0x80}, {0xEC, 0xBF, 0xBF}, 3},
        {{0xED, 0x80, 0x80}, {0xED, 0x9F, 0xBF}, 3},
        {{0xEE, 0x80, 0x80}, {0xEF, 0xBF, 0xBF}, 3},
        {{0xF0, 0x90, 0x80, 0x80}, {0xF0, 0xBF, 0xBF, 0xBF}, 4},
        {{0xF1, 0x80, 0x80, 0x80}, {0xF3, 0xBF, 0xBF, 0xBF}, 4},
        {{0xF4, 0x80, 0x80, 0x80}, {0xF4, 0x8F, 0xBF, 0xBF}, 4},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        if (len < rows[r].n) continue;
        size_t k = 0;
        while (k < rows[r].n && s[k] >= rows[r].lo[k] && s[k] <= rows[r].hi[k]) k++;
        if (k == rows[r].n) return k;
    }
    return 0;
}

static int reference_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t n = table37(s + i, len - i);
        if (n == 0) return 0;
        i += n;
    }
    return 1;
}

static size_t encode_cp(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- validity ---- */

static void test_valid_basic(void **state)
{
    (void)state;
    assert_true(valid("", 0));
    assert_true(utf8_valid(NULL, 0));
    assert_true(VALID("hello, SMS!"));
    assert_true(VALID("\x00"));             /* NUL is a valid character */
    assert_true(VALID("\x7f"));
    assert_true(VALID("\xc3\xa9"));         /* é, 2 bytes */
    assert_true(VALID("\xc2\x80"));         /* U+0080, smallest 2-byte */
    assert_true(VALID("\xdf\xbf"));         /* U+07FF */
    assert_true(VALID("\xe0\xa0\x80"));     /* U+0800, smallest 3-byte */
    assert_true(VALID("\xe2\x82\xac"));     /* € */
    assert_true(VALID("\xed\x9f\xbf"));     /* U+D7FF, just below surrogates */
    assert_true(VALID("\xee\x80\x80"));     /* U+E000, just above */
    assert_true(VALID("\xef\xbf\xbf"));     /* U+FFFF */
    assert_true(VALID("\xef\xbb\xbf"));     /* BOM is a character */
    assert_true(VALID("\xf0\x90\x80\x80")); /* U+10000, smallest 4-byte */
    assert_true(VALID("\xf0\x9f\x98\x80")); /* 😀 */
    assert_true(VALID("\xf4\x8f\xbf\xbf")); /* U+10FFFF, the largest */
    assert_true(VALID("p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac"));
}

static void test_invalid_overlongs(void **state)
{
    (void)state;
    assert_false(VALID("\xc0\x80")); /* NUL as 2 bytes (modified UTF-8) */
    assert_false(VALID("\xc0\xaf"));
    assert_false(VALID("\xc1\xbf"));
    assert_false(VALID("\xe0\x80\x80"));
    assert_false(VALID("\xe0\x80\xaf"));
    assert_false(VALID("\xe0\x9f\xbf")); /* U+07FF in 3 bytes */
    assert_false(VALID("\xf0\x80\x80\x80"));
    assert_false(VALID("\xf0\x80\x80\xaf"));
    assert_false(VALID("\xf0\x8f\xbf\xbf")); /* U+FFFF in 4 bytes */
}

static void test_invalid_surrogates(void **state)
{
    (void)state;
    assert_false(VALID("\xed\xa0\x80")); /* U+D800 */
    assert_false(VALID("\xed\xad\xbf")); /* U+DB7F */
    assert_false(VALID("\xed\xb0\x80")); /* U+DC00 */
    assert_false(VALID("\xed\xbf\xbf")); /* U+DFFF */
    /* CESU-8 pair for U+10000. */
    assert_false(VALID("\xed\xa0\x80\xed\xb0\x80"));
}

static void test_invalid_beyond_max(void **state)
{
    (void)state;
    assert_false(VALID("\xf4\x90\x80\x80")); /* U+110000 */
    assert_false(VALID("\xf4\xbf\xbf\xbf"));
    assert_false(VALID("\xf5\x80\x80\x80"));
    assert_false(VALID("\xf7\xbf\xbf\xbf"));
    assert_false(VALID("\xf8\x88\x80\x80\x80")); /* old 5-byte form */
    assert_false(VALID("\xfc\x84\x80\x80\x80\x80"));
    assert_false(VALID("\xfe"));
    assert_false(VALID("\xff"));
}

static void test_invalid_truncated_and_stray(void **state)
{
    (void)state;
    assert_false(VALID("\xc3"));
    assert_false(VALID("\xe2\x82"));
    assert_false(VALID("\xe2"));
    assert_false(VALID("\xf0\x9f\x98"));
    assert_false(VALID("\xf0\x9f"));
    assert_false(VALID("\xf0"));
    /* Truncated in the middle of the text. */
    assert_false(VALID("\xc3" "A"));
    assert_false(VALID("\xe2\x82" "A"));
    assert_false(VALID("\xf0\x9f\x98" "A"));
    assert_false(VALID("ab\xc3"));
    /* A lead byte followed by another lead byte. */
    assert_false(VALID("\xc3\xc3\xa9"));
    /* Lone continuation bytes. */
    assert_false(VALID("\x80"));
    assert_false(VALID("\xbf"));
    assert_false(VALID("a\x80" "b"));
    assert_false(VALID("\xc3\xa9\xa9"));
    /* The length bounds the scan: a valid prefix of an invalid buffer is valid. */
    static const uint8_t buf[] = {'o', 'k', 0xff};
    assert_true(utf8_valid(buf, 2));
    assert_false(utf8_valid(buf, 3));
    /* A sequence cut by the length is invalid even when the bytes continue after it. */
    static const uint8_t euro[] = {0xe2, 0x82, 0xac};
    assert_false(utf8_valid(euro, 2));
    assert_true(utf8_valid(euro, 3));
}

static void test_exhaustive_short_sequences(void **state)
{
    (void)state;
    uint8_t b[3];
    for (unsigned x = 0; x < 256; x++) {
        b[0] = (uint8_t)x;
        if (utf8_valid(b, 1) != reference_valid(b, 1)) fail_msg("1-byte %02x", x);
    }
    for (unsigned x = 0; x < 65536; x++) {
        b[0] = (uint8_t)(x >> 8);
        b[1] = (uint8_t)x;
        if (utf8_valid(b, 2) != reference_valid(b, 2)) fail_msg("2-byte %02x %02x", b[0], b[1]);
    }
    /* Every 3-byte sequence (16M): covers all 3-byte forms, all 2+1 and 1+2 splits. */
    for (unsigned x = 0; x < (1u << 24); x++) {
        b[0] = (uint8_t)(x >> 16);
        b[1] = (uint8_t)(x >> 8);
        b[2] = (uint8_t)x;
        if (utf8_valid(b, 3) != reference_valid(b, 3)) fail_msg("3-byte %02x %02x %02x", b[0], b[1], b[2]);
    }
}

static void test_four_byte_boundaries(void **state)
{
    (void)state;
    /* Lead bytes F0..FF with every second byte and boundary values for the rest. */
    static const uint8_t tails[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0xbf, 0xc0, 0xf0, 0xff};
    uint8_t b[4];
    for (unsigned lead = 0xf0; lead <= 0xff; lead++) {
        for (unsigned second = 0; second < 256; second++) {
            for (size_t i = 0; i < sizeof tails; i++) {
                for (size_t j = 0; j < sizeof tails; j++) {
                    b[0] = (uint8_t)lead;
                    b[1] = (uint8_t)second;
                    b[2] = tails[i];
                    b[3] = tails[j];
                    if (utf8_valid(b, 4) != reference_valid(b, 4))
                        fail_msg("4-byte %02x %02x %02x %02x", b[0], b[1], b[2], b[3]);
                }
            }
        }
    }
}

static void test_every_code_point(void **state)
{
    (void)state;
    uint8_t b[4];
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        size_t n = encode_cp(cp, b);
        int expect = !(cp >= 0xD800 && cp <= 0xDFFF);
        if (utf8_valid(b, n) != expect) fail_msg("U+%04X", cp);
    }
}

/* ---- lower-casing ---- */

static void assert_lower(const char *in, const char *expect)
{
    char *out = NULL;
    assert_int_equal(utf8_lower(in, strlen(in), &out), SMS_OK);
    assert_non_null(out);
    assert_string_equal(out, expect);
    free(out);
}

static void test_lower_ascii(void **state)
{
    (void)state;
    assert_lower("", "");
    assert_lower("abc", "abc");
    assert_lower("HeLLo-World_123", "hello-world_123");
    assert_lower("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz");
    /* Neighbours of the letter ranges are untouched. */
    assert_lower("@[`{", "@[`{");
    assert_lower("0X1234ABCDEF", "0x1234abcdef");
    assert_lower("0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
    assert_lower("MY-API-KEY", "my-api-key");
    assert_lower(" \t\r\n", " \t\r\n");
}

static void test_lower_latin1(void **state)
{
    (void)state;
    assert_lower("\xc3\x89", "\xc3\xa9");                                 /* É -> é */
    assert_lower("\xc3\x84\xc3\x96\xc3\x9c", "\xc3\xa4\xc3\xb6\xc3\xbc"); /* ÄÖÜ -> äöü */
    assert_lower("\xc3\x80\xc3\x9e", "\xc3\xa0\xc3\xbe");                 /* ÀÞ -> àþ */
    assert_lower("\xc3\x97", "\xc3\x97");                                 /* × has no case */
    assert_lower("\xc3\x9f", "\xc3\x9f");                                 /* ß stays */
    assert_lower("\xc3\xa9", "\xc3\xa9");                                 /* already lower */
}

static void test_lower_greek_cyrillic(void **state)
{
    (void)state;
    assert_lower("\xce\xa3", "\xcf\x83");                                 /* Σ -> σ */
    assert_lower("\xce\x91\xce\x92\xce\x93", "\xce\xb1\xce\xb2\xce\xb3"); /* ΑΒΓ -> αβγ */
    assert_lower("\xce\x86", "\xce\xac");                                 /* Ά -> ά */
    assert_lower("\xd0\x94\xd0\x9e\xd0\x9c", "\xd0\xb4\xd0\xbe\xd0\xbc"); /* ДОМ -> дом */
    assert_lower("\xd0\x81", "\xd1\x91");                                 /* Ё -> ё */
}

static void test_lower_mixed(void **state)
{
    (void)state;
    /* "Straße ÉCOLE Ωmega 😀" */
    assert_lower("Stra\xc3\x9f" "e \xc3\x89" "COLE \xce\xa9mega \xf0\x9f\x98\x80",
                 "stra\xc3\x9f" "e \xc3\xa9" "cole \xcf\x89mega \xf0\x9f\x98\x80");
    /* "Foo" and "foo" become the same web2 name. */
    char *a = NULL, *b = NULL;
    assert_int_equal(utf8_lower("CL\xc3\x89-Foo", 7, &a), SMS_OK);
    assert_int_equal(utf8_lower("cl\xc3\xa9-fOO", 7, &b), SMS_OK);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void test_lower_length_changes(void **state)
{
    (void)state;
    /* Simple mappings whose UTF-8 length differs from the input's. */
    assert_lower("\xe2\x84\xaa", "k");                                         /* KELVIN SIGN -> k (3 -> 1) */
    assert_lower("\xe2\x84\xab", "\xc3\xa5");                                  /* ANGSTROM SIGN -> å (3 -> 2) */
    assert_lower("\xe1\xba\x9e", "\xc3\x9f");                                  /* ẞ -> ß (3 -> 2) */
    assert_lower("\xc8\xba\xc8\xba\xc8\xba", "\xe2\xb1\xa5\xe2\xb1\xa5\xe2\xb1\xa5"); /* ȺȺȺ -> ⱥⱥⱥ (2 -> 3) */
    assert_lower("\xc8\xbe", "\xe2\xb1\xa6");                                  /* Ⱦ -> ⱦ (2 -> 3) */
}

static void test_lower_other_planes_and_titlecase(void **state)
{
    (void)state;
    assert_lower("\xc7\x85", "\xc7\x86");                 /* ǅ (titlecase) -> ǆ */
    assert_lower("\xe2\x85\xab", "\xe2\x85\xbb");         /* Ⅻ -> ⅻ */
    assert_lower("\xf0\x90\x90\x80", "\xf0\x90\x90\xa8"); /* DESERET CAPITAL LONG I -> small */
    assert_lower("\xef\xbc\xa1", "\xef\xbd\x81");         /* fullwidth Ａ -> ａ */
    assert_lower("\xe4\xb8\xad\xe6\x96\x87", "\xe4\xb8\xad\xe6\x96\x87"); /* CJK has no case */
}

static void test_lower_invalid_input(void **state)
{
    (void)state;
    static const char *bad[] = {"\xc3", "A\xff", "\xed\xa0\x80", "\xc0\x80", "\xf4\x90\x80\x80", "\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = (char *)0x1; /* must not be touched */
        assert_int_equal(utf8_lower(bad[i], strlen(bad[i]), &out), SMS_EINVAL);
        assert_ptr_equal(out, (char *)0x1);
    }
}

static void test_lower_uses_length_not_nul(void **state)
{
    (void)state;
    /* Only len bytes are read: a longer buffer is cut, an invalid tail beyond it ignored. */
    char *out = NULL;
    assert_int_equal(utf8_lower("ABC\xff", 3, &out), SMS_OK);
    assert_string_equal(out, "abc");
    free(out);
    assert_int_equal(utf8_lower("\xc3\x89\xc3\x89", 2, &out), SMS_OK);
    assert_string_equal(out, "\xc3\xa9");
    free(out);
    /* An embedded NUL is a character: it is copied and everything after it too. */
    assert_int_equal(utf8_lower("A\0B", 3, &out), SMS_OK);
    assert_memory_equal(out, "a\0b", 4);
    free(out);
}

static void test_lower_every_code_point_gives_valid_utf8(void **state)
{
    (void)state;
    /* One long string with every scalar value: the result must be valid, ASCII letters
     * lowered, everything else a single code point (simple mapping). */
    size_t cap = 0x110000 * 4;
    uint8_t *in = malloc(cap);
    assert_non_null(in);
    size_t n = 0;
    size_t count = 0;
    for (uint32_t cp = 0x01; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        n += encode_cp(cp, in + n);
        count++;
    }
    char *out = NULL;
    assert_int_equal(utf8_lower((const char *)in, n, &out), SMS_OK);
    size_t out_len = strlen(out); /* no NUL in the input (started at U+0001) */
    assert_true(utf8_valid((const uint8_t *)out, out_len));
    size_t out_count = 0;
    for (size_t i = 0; i < out_len; i++)
        if (((uint8_t)out[i] & 0xC0) != 0x80) out_count++;
    assert_int_equal(out_count, count);
    /* Idempotent: lowering a lowered string changes nothing. */
    char *again = NULL;
    assert_int_equal(utf8_lower(out, out_len, &again), SMS_OK);
    assert_string_equal(again, out);
    free(again);
    free(out);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_basic),
        cmocka_unit_test(test_invalid_overlongs),
        cmocka_unit_test(test_invalid_surrogates),
        cmocka_unit_test(test_invalid_beyond_max),
        cmocka_unit_test(test_invalid_truncated_and_stray),
        cmocka_unit_test(test_exhaustive_short_sequences),
        cmocka_unit_test(test_four_byte_boundaries),
        cmocka_unit_test(test_every_code_point),
        cmocka_unit_test(test_lower_ascii),
        cmocka_unit_test(test_lower_latin1),
        cmocka_unit_test(test_lower_greek_cyrillic),
        cmocka_unit_test(test_lower_mixed),
        cmocka_unit_test(test_lower_length_changes),
        cmocka_unit_test(test_lower_other_planes_and_titlecase),
        cmocka_unit_test(test_lower_invalid_input),
        cmocka_unit_test(test_lower_uses_length_not_nul),
        cmocka_unit_test(test_lower_every_code_point_gives_valid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
