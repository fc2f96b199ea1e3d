/* AES-GCM records: 0x01 | nonce (12) | ciphertext | tag (16).
 * The version byte is authenticated together with the caller's associated data, so a
 * record cannot be relabelled as another format version without failing the tag. */
#include "crypto/aead.h"

#include <limits.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/log.h"
#include "core/secure.h"

struct aead_key {
    const EVP_CIPHER *cipher;
    size_t len;
    int locked;
    uint8_t raw[32];
};

static atomic_flag mlock_warned = ATOMIC_FLAG_INIT;

static const EVP_CIPHER *cipher_for_len(size_t len)
{
    switch (len) {
    case 16: return EVP_aes_128_gcm();
    case 24: return EVP_aes_192_gcm();
    case 32: return EVP_aes_256_gcm();
    default: return NULL;
    }
}

sms_status aead_key_new(const uint8_t *raw, size_t len, aead_key **out)
{
    sms_status st = SMS_OK;
    aead_key *k = NULL;
    const EVP_CIPHER *cipher = cipher_for_len(len);
    if (out != NULL) *out = NULL;
    if (raw == NULL || out == NULL || cipher == NULL) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    /* Page-aligned and alone on its page so mlock pins nothing else and the key never
     * straddles two pages. */
    long page = sysconf(_SC_PAGESIZE);
    size_t align = (page > 0) ? (size_t)page : 4096;
    size_t alloc = (sizeof *k + align - 1) / align * align;
    void *mem = NULL;
    if (posix_memalign(&mem, align, alloc) != 0) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    k = mem;
    memset(k, 0, sizeof *k);
    if (mlock(k, sizeof *k) == 0) {
        k->locked = 1;
    } else if (!atomic_flag_test_and_set(&mlock_warned)) {
        /* Not fatal: containers often run with a zero RLIMIT_MEMLOCK. */
        LOG_WARN("aead: mlock of the key page failed; key material may be swapped out");
    }
#ifdef MADV_DONTDUMP
    (void)madvise(k, alloc, MADV_DONTDUMP);
#endif
    k->cipher = cipher;
    k->len = len;
    memcpy(k->raw, raw, len);
    *out = k;
    k = NULL;

cleanup:
    return st;
}

void aead_key_free(aead_key *k)
{
    if (k == NULL) return;
    int locked = k->locked;
    secure_zero(k, sizeof *k);
    if (locked) munlock(k, sizeof *k);
#ifdef MADV_DODUMP
    /* The page goes back to malloc: let later users of it appear in core dumps again. */
    long page = sysconf(_SC_PAGESIZE);
    size_t align = (page > 0) ? (size_t)page : 4096;
    (void)madvise(k, (sizeof *k + align - 1) / align * align, MADV_DODUMP);
#endif
    free(k);
}

size_t aead_key_len(const aead_key *k) { return k == NULL ? 0 : k->len; }

/* Shared GCM set-up: cipher, key, 12-byte nonce, then version byte + ad as AAD. */
static sms_status gcm_begin(EVP_CIPHER_CTX *c, const aead_key *k, int enc, const uint8_t *nonce, uint8_t version,
                            const uint8_t *ad, size_t ad_len)
{
    int outl = 0;
    if (EVP_CipherInit_ex(c, k->cipher, NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, AEAD_NONCE_LEN, NULL) != 1 ||
        EVP_CipherInit_ex(c, NULL, NULL, k->raw, nonce, enc) != 1 ||
        EVP_CipherUpdate(c, NULL, &outl, &version, 1) != 1) {
        return SMS_ECRYPTO;
    }
    if (ad_len > 0 && EVP_CipherUpdate(c, NULL, &outl, ad, (int)ad_len) != 1) return SMS_ECRYPTO;
    return SMS_OK;
}

sms_status aead_seal(const aead_key *k, const uint8_t *ad, size_t ad_len, const uint8_t *pt, size_t pt_len,
                     uint8_t *out, size_t cap, size_t *out_len)
{
    sms_status st = SMS_OK;
    EVP_CIPHER_CTX *c = NULL;
    int outl = 0;
    int wrote = 0;
    if (out_len != NULL) *out_len = 0;
    if (k == NULL || out == NULL || out_len == NULL || (ad == NULL && ad_len > 0) || (pt == NULL && pt_len > 0)) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    if (pt_len > (size_t)INT_MAX - AEAD_OVERHEAD || ad_len > (size_t)INT_MAX) {
        st = SMS_ETOOBIG;
        goto cleanup;
    }
    if (cap < pt_len + AEAD_OVERHEAD) {
        st = SMS_ETOOBIG;
        goto cleanup;
    }
    uint8_t *nonce = out + 1;
    uint8_t *ct = nonce + AEAD_NONCE_LEN;
    uint8_t *tag = ct + pt_len;
    wrote = 1;
    out[0] = AEAD_VERSION;
    /* A random 96-bit nonce per record: safe for far more than the 2^32 records GCM
     * allows per key under random nonces at this service's scale. */
    if (RAND_bytes(nonce, AEAD_NONCE_LEN) != 1) {
        st = SMS_ECRYPTO;
        goto cleanup;
    }
    c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    st = gcm_begin(c, k, 1, nonce, AEAD_VERSION, ad, ad_len);
    if (st != SMS_OK) goto cleanup;
    if (pt_len > 0 && (EVP_EncryptUpdate(c, ct, &outl, pt, (int)pt_len) != 1 || (size_t)outl != pt_len)) {
        st = SMS_ECRYPTO;
        goto cleanup;
    }
    if (EVP_EncryptFinal_ex(c, ct + pt_len, &outl) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, AEAD_TAG_LEN, tag) != 1) {
        st = SMS_ECRYPTO;
        goto cleanup;
    }
    *out_len = pt_len + AEAD_OVERHEAD;

cleanup:
    /* A half-written record may hold part of the plaintext's keystream output. */
    if (st != SMS_OK && wrote) secure_zero(out, pt_len + AEAD_OVERHEAD);
    EVP_CIPHER_CTX_free(c);
    return st;
}

sms_status aead_open(const aead_key *k, const uint8_t *ad, size_t ad_len, const uint8_t *rec, size_t rec_len,
                     uint8_t *pt, size_t cap, size_t *pt_len)
{
    sms_status st = SMS_OK;
    EVP_CIPHER_CTX *c = NULL;
    int outl = 0;
    size_t n = 0;
    if (pt_len != NULL) *pt_len = 0;
    if (k == NULL || pt_len == NULL || (ad == NULL && ad_len > 0) || (rec == NULL && rec_len > 0)) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    if (rec_len < AEAD_OVERHEAD || rec[0] != AEAD_VERSION) {
        st = SMS_ECRYPTO;
        goto cleanup;
    }
    n = rec_len - AEAD_OVERHEAD;
    if (n > (size_t)INT_MAX || ad_len > (size_t)INT_MAX) {
        st = SMS_ETOOBIG;
        goto cleanup;
    }
    if (cap < n || (pt == NULL && n > 0)) {
        st = SMS_ETOOBIG;
        goto cleanup;
    }
    const uint8_t *nonce = rec + 1;
    const uint8_t *ct = nonce + AEAD_NONCE_LEN;
    uint8_t tag[AEAD_TAG_LEN];
    memcpy(tag, ct + n, AEAD_TAG_LEN);
    c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    st = gcm_begin(c, k, 0, nonce, rec[0], ad, ad_len);
    if (st != SMS_OK) goto cleanup;
    if (n > 0 && (EVP_DecryptUpdate(c, pt, &outl, ct, (int)n) != 1 || (size_t)outl != n)) {
        st = SMS_ECRYPTO;
        goto cleanup;
    }
    uint8_t fin[16];
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, AEAD_TAG_LEN, tag) != 1 ||
        EVP_DecryptFinal_ex(c, fin, &outl) != 1) {
        st = SMS_ECRYPTO;
        goto cleanup;
    }
    *pt_len = n;

cleanup:
    /* Never hand out unauthenticated plaintext. */
    if (st == SMS_ECRYPTO && pt != NULL && n > 0 && cap >= n) secure_zero(pt, n);
    EVP_CIPHER_CTX_free(c);
    return st;
}
