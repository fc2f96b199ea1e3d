/* AES-GCM records: 0x01 | nonce | ciphertext | tag, AAD = version byte || caller's ad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <sys/resource.h>

#include "crypto/aead.h"

static const uint8_t key32[32] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                  0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
                                  0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const uint8_t ad_row1[] = "web2secret|0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266|my-api-key";
static const uint8_t ad_row2[] = "web2secret|0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266|other-key";
static const uint8_t msg[] = "Hello, SMS!";

static aead_key *new_key(const uint8_t *raw, size_t len)
{
    aead_key *k = NULL;
    assert_int_equal(aead_key_new(raw, len, &k), SMS_OK);
    assert_non_null(k);
    return k;
}

static void test_round_trip_lengths(void **state)
{
    (void)state;
    aead_key *k = new_key(key32, 32);
    uint8_t pt[300];
    uint8_t rec[300 + AEAD_OVERHEAD];
    uint8_t back[300];
    for (size_t i = 0; i < sizeof pt; i++) pt[i] = (uint8_t)(i ^ 0x5a);
    for (size_t len = 0; len <= sizeof pt; len += (len < 40 ? 1 : 37)) {
        size_t rec_len = 0;
        size_t back_len = 99;
        assert_int_equal(aead_seal(k, ad_row1, sizeof ad_row1, pt, len, rec, sizeof rec, &rec_len), SMS_OK);
        assert_int_equal(rec_len, len + AEAD_OVERHEAD);
        assert_int_equal(rec[0], AEAD_VERSION);
        assert_int_equal(aead_open(k, ad_row1, sizeof ad_row1, rec, rec_len, back, sizeof back, &back_len), SMS_OK);
        assert_int_equal(back_len, len);
        assert_memory_equal(back, pt, len);
    }
    aead_key_free(k);
}

static void test_empty_plaintext(void **state)
{
    (void)state;
    aead_key *k = new_key(key32, 32);
    uint8_t rec[AEAD_OVERHEAD];
    size_t rec_len = 0;
    size_t pt_len = 7;
    assert_int_equal(aead_seal(k, ad_row1, sizeof ad_row1, NULL, 0, rec, sizeof rec, &rec_len), SMS_OK);
    assert_int_equal(rec_len, AEAD_OVERHEAD);
    assert_int_equal(aead_open(k, ad_row1, sizeof ad_row1, rec, rec_len, NULL, 0, &pt_len), SMS_OK);
    assert_int_equal(pt_len, 0);
    /* the empty record is still authenticated */
    rec[AEAD_OVERHEAD - 1] ^= 1;
    assert_int_equal(aead_open(k, ad_row1, sizeof ad_row1, rec, rec_len, NULL, 0, &pt_len), SMS_ECRYPTO);
    aead_key_free(k);
}

static void test_empty_ad(void **state)
{
    (void)state;
    aead_key *k = new_key(key32, 32);
    uint8_t rec[sizeof msg + AEAD_OVERHEAD];
    uint8_t back[sizeof msg];
    size_t rec_len = 0;
    size_t n = 0;
    assert_int_equal(aead_seal(k, NULL, 0, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_OK);
    assert_int_equal(aead_open(k, NULL, 0, rec, rec_len, back, sizeof back, &n), SMS_OK);
    assert_memory_equal(back, msg, sizeof msg);
    /* empty ad differs from a non-empty one */
    assert_int_equal(aead_open(k, ad_row1, sizeof ad_row1, rec, rec_len, back, sizeof back, &n), SMS_ECRYPTO);
    aead_key_free(k);
}

static void test_fresh_nonce_per_record(void **state)
{
    (void)state;
    aead_key *k = new_key(key32, 32);
    uint8_t r1[sizeof msg + AEAD_OVERHEAD];
    uint8_t r2[sizeof msg + AEAD_OVERHEAD];
    size_t n1 = 0;
    size_t n2 = 0;
    assert_int_equal(aead_seal(k, ad_row1, sizeof ad_row1, msg, sizeof msg, r1, sizeof r1, &n1), SMS_OK);
    assert_int_equal(aead_seal(k, ad_row1, sizeof ad_row1, msg, sizeof msg, r2, sizeof r2, &n2), SMS_OK);
    assert_memory_not_equal(r1 + 1, r2 + 1, AEAD_NONCE_LEN);
    assert_memory_not_equal(r1 + 1 + AEAD_NONCE_LEN, r2 + 1 + AEAD_NONCE_LEN, sizeof msg);
    aead_key_free(k);
}

/* Flipping any bit in any region (version, nonce, ciphertext, tag) must fail, and the output
 * buffer must not keep unauthenticated plaintext. */
static void test_tamper_every_byte(void **state)
{
    (void)state;
    aead_key *k = new_key(key32, 32);
    uint8_t rec[sizeof msg + AEAD_OVERHEAD];
    uint8_t back[sizeof msg];
    size_t rec_len = 0;
    assert_int_equal(aead_seal(k, ad_row1, sizeof ad_row1, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_OK);
    for (size_t i = 0; i < rec_len; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            size_t n = 42;
            rec[i] ^= (uint8_t)(1u << bit);
            memset(back, 0xaa, sizeof back);
            assert_int_equal(aead_open(k, ad_row1, sizeof ad_row1, rec, rec_len, back, sizeof back, &n), SMS_ECRYPTO);
            assert_int_equal(n, 0);
            if (i >= 1) {
                /* past the version byte the decryption runs: the output must be wiped */
                uint8_t zero[sizeof msg] = {0};
                assert_memory_equal(back, zero, sizeof back);
            }
            rec[i] ^= (uint8_t)(1u << bit);
        }
    }
    size_t n = 0;
    assert_int_equal(aead_open(k, ad_row1, sizeof ad_row1, rec, rec_len, back, sizeof back, &n), SMS_OK);
    aead_key_free(k);
}

static void test_version_byte(void **state)
{
    (void)state;
    aead_key *k = new_key(key32, 32);
    uint8_t rec[sizeof msg + AEAD_OVERHEAD];
    uint8_t back[sizeof msg];
    size_t rec_len = 0;
    size_t n = 0;
    assert_int_equal(aead_seal(k, ad_row1, sizeof ad_row1, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_OK);
    static const uint8_t versions[] = {0x00, 0x02, 0x7f, 0xff};
    for (size_t i = 0; i < sizeof versions; i++) {
        rec[0] = versions[i];
        assert_int_equal(aead_open(k, ad_row1, sizeof ad_row1, rec, rec_len, back, sizeof back, &n), SMS_ECRYPTO);
    }
    aead_key_free(k);
}

static void test_row_moved(void **state)
{
    (void)state;
    aead_key *k = new_key(key32, 32);
    uint8_t rec[sizeof msg + AEAD_OVERHEAD];
    uint8_t back[sizeof msg];
    size_t rec_len = 0;
    size_t n = 0;
    assert_int_equal(aead_seal(k, ad_row1, sizeof ad_row1, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_OK);
    assert_int_equal(aead_open(k, ad_row2, sizeof ad_row2, rec, rec_len, back, sizeof back, &n), SMS_ECRYPTO);
    /* a prefix of the ad is not the ad */
    assert_int_equal(aead_open(k, ad_row1, sizeof ad_row1 - 1, rec, rec_len, back, sizeof back, &n), SMS_ECRYPTO);
    aead_key_free(k);
}

static void test_wrong_key(void **state)
{
    (void)state;
    aead_key *k = new_key(key32, 32);
    uint8_t other[32];
    memcpy(other, key32, 32);
    other[31] ^= 0x80;
    aead_key *k2 = new_key(other, 32);
    aead_key *k16 = new_key(key32, 16);
    uint8_t rec[sizeof msg + AEAD_OVERHEAD];
    uint8_t back[sizeof msg];
    size_t rec_len = 0;
    size_t n = 0;
    assert_int_equal(aead_seal(k, ad_row1, sizeof ad_row1, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_OK);
    assert_int_equal(aead_open(k2, ad_row1, sizeof ad_row1, rec, rec_len, back, sizeof back, &n), SMS_ECRYPTO);
    assert_int_equal(aead_open(k16, ad_row1, sizeof ad_row1, rec, rec_len, back, sizeof back, &n), SMS_ECRYPTO);
    aead_key_free(k);
    aead_key_free(k2);
    aead_key_free(k16);
}

static void test_truncated_and_extended(void **state)
{
    (void)state;
    aead_key *k = new_key(key32, 32);
    uint8_t rec[sizeof msg + AEAD_OVERHEAD + 1];
    uint8_t back[sizeof msg + 1];
    size_t rec_len = 0;
    assert_int_equal(aead_seal(k, ad_row1, sizeof ad_row1, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_OK);
    for (size_t len = 0; len < rec_len; len++) {
        size_t n = 5;
        assert_int_equal(aead_open(k, ad_row1, sizeof ad_row1, rec, len, back, sizeof back, &n), SMS_ECRYPTO);
        assert_int_equal(n, 0);
    }
    size_t n = 0;
    rec[rec_len] = 0;
    assert_int_equal(aead_open(k, ad_row1, sizeof ad_row1, rec, rec_len + 1, back, sizeof back, &n), SMS_ECRYPTO);
    assert_int_equal(aead_open(k, ad_row1, sizeof ad_row1, NULL, 0, back, sizeof back, &n), SMS_ECRYPTO);
    aead_key_free(k);
}

static void test_capacity(void **state)
{
    (void)state;
    aead_key *k = new_key(key32, 32);
    uint8_t rec[sizeof msg + AEAD_OVERHEAD];
    uint8_t back[sizeof msg];
    size_t rec_len = 0;
    size_t n = 0;
    assert_int_equal(aead_seal(k, NULL, 0, msg, sizeof msg, rec, sizeof rec - 1, &rec_len), SMS_ETOOBIG);
    assert_int_equal(rec_len, 0);
    assert_int_equal(aead_seal(k, NULL, 0, msg, sizeof msg, NULL, sizeof rec, &rec_len), SMS_EINVAL);
    assert_int_equal(aead_seal(k, NULL, 0, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_OK);
    assert_int_equal(aead_open(k, NULL, 0, rec, rec_len, back, sizeof back - 1, &n), SMS_ETOOBIG);
    assert_int_equal(aead_open(k, NULL, 0, rec, rec_len, NULL, 0, &n), SMS_ETOOBIG);
    assert_int_equal(aead_open(k, NULL, 0, rec, rec_len, back, sizeof back, &n), SMS_OK);
    assert_int_equal(n, sizeof msg);
    size_t sealed_len = rec_len;
    /* huge lengths are refused before any arithmetic can wrap or any byte past the
     * version is read */
    assert_int_equal(aead_seal(k, NULL, 0, msg, SIZE_MAX - 3, rec, sizeof rec, &rec_len), SMS_ETOOBIG);
    assert_int_equal(aead_seal(k, msg, (size_t)1 << 33, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_ETOOBIG);
    assert_int_equal(aead_open(k, NULL, 0, rec, ((size_t)1 << 33) + AEAD_OVERHEAD, back, sizeof back, &n),
                     SMS_ETOOBIG);
    assert_int_equal(aead_open(k, msg, (size_t)1 << 33, rec, sealed_len, back, sizeof back, &n), SMS_ETOOBIG);
    aead_key_free(k);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    aead_key *k = new_key(key32, 32);
    uint8_t rec[sizeof msg + AEAD_OVERHEAD];
    uint8_t back[sizeof msg];
    size_t rec_len = 0;
    size_t n = 0;
    assert_int_equal(aead_seal(NULL, NULL, 0, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_EINVAL);
    assert_int_equal(aead_seal(k, NULL, 3, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_EINVAL);
    assert_int_equal(aead_seal(k, NULL, 0, NULL, 3, rec, sizeof rec, &rec_len), SMS_EINVAL);
    assert_int_equal(aead_seal(k, NULL, 0, msg, sizeof msg, rec, sizeof rec, NULL), SMS_EINVAL);
    assert_int_equal(aead_seal(k, NULL, 0, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_OK);
    assert_int_equal(aead_open(NULL, NULL, 0, rec, rec_len, back, sizeof back, &n), SMS_EINVAL);
    assert_int_equal(aead_open(k, NULL, 2, rec, rec_len, back, sizeof back, &n), SMS_EINVAL);
    assert_int_equal(aead_open(k, NULL, 0, NULL, rec_len, back, sizeof back, &n), SMS_EINVAL);
    assert_int_equal(aead_open(k, NULL, 0, rec, rec_len, back, sizeof back, NULL), SMS_EINVAL);
    aead_key_free(k);
}

static void test_key_sizes(void **state)
{
    (void)state;
    static const size_t sizes[] = {16, 24, 32};
    for (size_t i = 0; i < 3; i++) {
        aead_key *k = new_key(key32, sizes[i]);
        assert_int_equal(aead_key_len(k), sizes[i]);
        uint8_t rec[sizeof msg + AEAD_OVERHEAD];
        uint8_t back[sizeof msg];
        size_t rec_len = 0;
        size_t n = 0;
        assert_int_equal(aead_seal(k, ad_row1, sizeof ad_row1, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_OK);
        assert_int_equal(aead_open(k, ad_row1, sizeof ad_row1, rec, rec_len, back, sizeof back, &n), SMS_OK);
        assert_memory_equal(back, msg, sizeof msg);
        aead_key_free(k);
    }
    assert_int_equal(aead_key_len(NULL), 0);
}

static void test_invalid_key_lengths(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 8, 15, 17, 20, 23, 25, 31, 33, 48, 64};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        aead_key *k = (aead_key *)(uintptr_t)1;
        assert_int_equal(aead_key_new(key32, sizes[i], &k), SMS_EINVAL);
        assert_null(k);
    }
    aead_key *k = NULL;
    assert_int_equal(aead_key_new(NULL, 32, &k), SMS_EINVAL);
    assert_null(k);
    assert_int_equal(aead_key_new(key32, 32, NULL), SMS_EINVAL);
    aead_key_free(NULL);
}

/* mlock failure (zero RLIMIT_MEMLOCK, common in containers) is tolerated; root keeps
 * locking through CAP_IPC_LOCK, so there this only checks nothing breaks. */
static void test_mlock_failure_tolerated(void **state)
{
    (void)state;
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &old), 0);
    struct rlimit zero = {.rlim_cur = 0, .rlim_max = old.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &zero), 0);
    for (int i = 0; i < 2; i++) { /* second time: the warning is not repeated */
        aead_key *k = new_key(key32, 32);
        uint8_t rec[sizeof msg + AEAD_OVERHEAD];
        uint8_t back[sizeof msg];
        size_t rec_len = 0;
        size_t n = 0;
        assert_int_equal(aead_seal(k, NULL, 0, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_OK);
        assert_int_equal(aead_open(k, NULL, 0, rec, rec_len, back, sizeof back, &n), SMS_OK);
        aead_key_free(k);
    }
    assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &old), 0);
}

/* The record is plain AES-GCM: an independent EVP decryption with AAD = 0x01 || ad must
 * recover the plaintext. Pins the on-disk format. */
static void test_format_is_standard_gcm(void **state)
{
    (void)state;
    static const size_t sizes[] = {16, 24, 32};
    for (size_t si = 0; si < 3; si++) {
        aead_key *k = new_key(key32, sizes[si]);
        uint8_t rec[sizeof msg + AEAD_OVERHEAD];
        size_t rec_len = 0;
        assert_int_equal(aead_seal(k, ad_row1, sizeof ad_row1, msg, sizeof msg, rec, sizeof rec, &rec_len), SMS_OK);
        const EVP_CIPHER *ciph = sizes[si] == 16 ? EVP_aes_128_gcm() : sizes[si] == 24 ? EVP_aes_192_gcm()
                                                                                       : EVP_aes_256_gcm();
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        assert_non_null(c);
        uint8_t out[sizeof msg + 16];
        int l = 0;
        uint8_t ver = AEAD_VERSION;
        assert_int_equal(EVP_DecryptInit_ex(c, ciph, NULL, NULL, NULL), 1);
        assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, AEAD_NONCE_LEN, NULL), 1);
        assert_int_equal(EVP_DecryptInit_ex(c, NULL, NULL, key32, rec + 1), 1);
        assert_int_equal(EVP_DecryptUpdate(c, NULL, &l, &ver, 1), 1);
        assert_int_equal(EVP_DecryptUpdate(c, NULL, &l, ad_row1, (int)sizeof ad_row1), 1);
        assert_int_equal(EVP_DecryptUpdate(c, out, &l, rec + 1 + AEAD_NONCE_LEN, (int)sizeof msg), 1);
        assert_int_equal(l, (int)sizeof msg);
        assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, AEAD_TAG_LEN,
                                             rec + 1 + AEAD_NONCE_LEN + sizeof msg),
                         1);
        assert_int_equal(EVP_DecryptFinal_ex(c, out + l, &l), 1);
        assert_memory_equal(out, msg, sizeof msg);
        EVP_CIPHER_CTX_free(c);
        aead_key_free(k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_lengths),
        cmocka_unit_test(test_empty_plaintext),
        cmocka_unit_test(test_empty_ad),
        cmocka_unit_test(test_fresh_nonce_per_record),
        cmocka_unit_test(test_tamper_every_byte),
        cmocka_unit_test(test_version_byte),
        cmocka_unit_test(test_row_moved),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_truncated_and_extended),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_key_sizes),
        cmocka_unit_test(test_invalid_key_lengths),
        cmocka_unit_test(test_mlock_failure_tolerated),
        cmocka_unit_test(test_format_is_standard_gcm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
