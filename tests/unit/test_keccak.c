/* Keccak-256 (Ethereum padding). Long and multi-block digests were cross-checked with an
 * independent Python sponge that reproduces hashlib.sha3_256 when given SHA-3 padding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/hex.h"
#include "crypto/keccak.h"

static void hash_hex(const void *data, size_t len, char out[65])
{
    uint8_t d[32];
    keccak256(data, len, d);
    hex_encode(d, 32, out);
}

static void assert_hash_of_str(const char *s, const char *want_hex)
{
    char got[65];
    hash_hex(s, strlen(s), got);
    assert_string_equal(got, want_hex);
}

static void test_empty(void **state)
{
    (void)state;
    assert_hash_of_str("", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    char got[65];
    hash_hex(NULL, 0, got);
    assert_string_equal(got, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

static void test_abc(void **state)
{
    (void)state;
    assert_hash_of_str("abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

static void test_quick_brown_fox(void **state)
{
    (void)state;
    assert_hash_of_str("The quick brown fox jumps over the lazy dog",
                       "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

/* sms-api.md 5.1 / 5.7 */
static void test_spec_hashes(void **state)
{
    (void)state;
    assert_hash_of_str("IEXEC_SMS_DOMAIN", "0a26923d45a019b77e856d0001681f98ab9707ec15b2b98048cc91eed00b6793");
    assert_hash_of_str("1", "c89efdaa54c0f20c7adf612882df0950f5a951637e0307cdcb4c672f298b8bc6");
    assert_hash_of_str("my-api-key", "965c072622940a1aa66efeb4f25934d8a9171325541dded34437a7aab161b1d0");
    assert_hash_of_str("Hello, SMS!", "5305ffdd991f627d189516e5a37940f70f116352803f36fd53319ad9cda5b025");
    assert_hash_of_str("Ke9aYzT0y2cZ8nC0Qm3xUw==", "5c1b9c58bd22fcbc34bf0096b4f8f5a8c729a9e47ae8a1481eb3cbff71b5a56c");
    assert_hash_of_str("app developer secret", "a2b0d189104a26d06cad7614257160b9af619786268948f8881984dee8edd411");
    assert_hash_of_str("my-key", "6e82e7116150aabdba54d2af35b11cb9c616681829649bd0e985e5a7ee272442");
}

static void test_spec_non_ascii_value(void **state)
{
    (void)state;
    /* "pässwörd €" in UTF-8, 14 bytes (V4). */
    static const uint8_t v[] = {0x70, 0xc3, 0xa4, 0x73, 0x73, 0x77, 0xc3, 0xb6, 0x72, 0x64, 0x20, 0xe2, 0x82, 0xac};
    char got[65];
    hash_hex(v, sizeof v, got);
    assert_string_equal(got, "1f17eced05fc6ba50c13131338b69c55194715744ef495f4dc327b580ff3aed5");
}

static void test_spec_task_id(void **state)
{
    (void)state;
    /* V5: the task id is keccak256("example-task"); the TEE challenge hashes its bytes. */
    uint8_t task[32];
    uint8_t h[32];
    char got[65];
    keccak256((const uint8_t *)"example-task", 12, task);
    hex_encode(task, 32, got);
    assert_string_equal(got, "24c43b0c66feb087dfb5fb8d731db16cd620f76475ed68b81c1aba9de302a646");
    keccak256(task, sizeof task, h);
    hex_encode(h, 32, got);
    assert_string_equal(got, "ad925a72a47b5679423ef94b654870e16a58f8f0c9243d29e4c62891494bdeaf");
}

static void pattern(uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)((i * 7 + 3) & 0xff);
}

/* Around the 136-byte rate: one block minus one, exactly one (padding needs a whole extra
 * block), one plus one, and more. */
static void test_block_boundaries(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {135, "00ef96af9cf4b24c7f269d922294444a197d0a33638c2e56634c57e892103a8f"},
        {136, "742061bcad767ed4c4f5883b1dcb1aad11afdcc140dc469d953759b127b9f9ed"},
        {137, "e3371f61e770abf254c34239c3b0099ad90594507415bc81dd0a10b9692bbf2a"},
        {200, "66d2cdf3ab4c5bd3c75add9b60b14ac5b7789534fa2da3f348853b847359a3a0"},
        {272, "ac141fd7b0a0ffcd2e967254d508da3ec616596493c36fa304425647d90e6de5"},
        {1000, "80cdc8dd52cbb3dbaea8f383209893fa2bb52efbd5aedbb4b26dcfe307fcdc9b"},
    };
    uint8_t buf[1000];
    pattern(buf, sizeof buf);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char got[65];
        hash_hex(buf, v[i].n, got);
        assert_string_equal(got, v[i].hex);
    }
}

/* Every split point of several lengths, and byte-by-byte feeding, must give the one-shot
 * digest: exercises the unaligned head, whole-lane and tail paths of update. */
static void test_incremental_matches_one_shot(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, 7, 8, 9, 135, 136, 137, 200, 271, 272, 273, 500};
    uint8_t buf[500];
    pattern(buf, sizeof buf);
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li];
        uint8_t one[32];
        keccak256(buf, n, one);
        for (size_t split = 0; split <= n; split++) {
            keccak256_ctx ctx;
            uint8_t inc[32];
            keccak256_init(&ctx);
            keccak256_update(&ctx, buf, split);
            keccak256_update(&ctx, buf + split, n - split);
            keccak256_final(&ctx, inc);
            assert_memory_equal(one, inc, 32);
        }
        keccak256_ctx ctx;
        uint8_t inc[32];
        keccak256_init(&ctx);
        for (size_t i = 0; i < n; i++) keccak256_update(&ctx, buf + i, 1);
        keccak256_final(&ctx, inc);
        assert_memory_equal(one, inc, 32);
        /* uneven chunks 3,5,11,... */
        keccak256_init(&ctx);
        size_t off = 0;
        size_t step = 3;
        while (off < n) {
            size_t take = (n - off < step) ? n - off : step;
            keccak256_update(&ctx, buf + off, take);
            off += take;
            step = step * 2 + 1;
            if (step > 140) step = 3;
        }
        keccak256_final(&ctx, inc);
        assert_memory_equal(one, inc, 32);
    }
}

static void test_million_a(void **state)
{
    (void)state;
    const size_t n = 1000000;
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    memset(buf, 'a', n);
    char got[65];
    hash_hex(buf, n, got);
    assert_string_equal(got, "fadae6b49f129bbb812be8407b7b2894f34aecf6dbd1f9b0f0c7e9853098fc96");
    /* same through 1000-byte updates */
    keccak256_ctx ctx;
    uint8_t d[32];
    keccak256_init(&ctx);
    for (size_t i = 0; i < n; i += 1000) keccak256_update(&ctx, buf + i, 1000);
    keccak256_final(&ctx, d);
    hex_encode(d, 32, got);
    assert_string_equal(got, "fadae6b49f129bbb812be8407b7b2894f34aecf6dbd1f9b0f0c7e9853098fc96");
    free(buf);
}

static void test_final_wipes_context(void **state)
{
    (void)state;
    keccak256_ctx ctx;
    uint8_t d[32];
    keccak256_init(&ctx);
    keccak256_update(&ctx, (const uint8_t *)"secret", 6);
    keccak256_final(&ctx, d);
    keccak256_ctx zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&ctx, &zero, sizeof ctx);
}

static void test_zero_length_update_is_noop(void **state)
{
    (void)state;
    keccak256_ctx ctx;
    uint8_t d[32];
    uint8_t want[32];
    keccak256((const uint8_t *)"abc", 3, want);
    keccak256_init(&ctx);
    keccak256_update(&ctx, NULL, 0);
    keccak256_update(&ctx, (const uint8_t *)"ab", 2);
    keccak256_update(&ctx, NULL, 0);
    keccak256_update(&ctx, (const uint8_t *)"c", 1);
    keccak256_final(&ctx, d);
    assert_memory_equal(d, want, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_abc),
        cmocka_unit_test(test_quick_brown_fox),
        cmocka_unit_test(test_spec_hashes),
        cmocka_unit_test(test_spec_non_ascii_value),
        cmocka_unit_test(test_spec_task_id),
        cmocka_unit_test(test_block_boundaries),
        cmocka_unit_test(test_incremental_matches_one_shot),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_final_wipes_context),
        cmocka_unit_test(test_zero_length_update_is_noop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
