#include "crypto/legacy_ecb.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/secure.h"

#define LEGACY_BLOCK 16
/* Secrets are small; the cap keeps every length well inside OpenSSL's int. */
#define LEGACY_MAX_LEN ((size_t)1 << 30)

static const EVP_CIPHER *ecb_cipher(size_t key_len)
{
    switch (key_len) {
    case 16: return EVP_aes_128_ecb();
    case 24: return EVP_aes_192_ecb();
    case 32: return EVP_aes_256_ecb();
    default: return NULL;
    }
}

sms_status legacy_ecb_decrypt_b64(const uint8_t *key, size_t key_len, const char *b64, size_t b64_len, uint8_t **pt,
                                  size_t *pt_len)
{
    sms_status st = SMS_OK;
    const EVP_CIPHER *cipher = ecb_cipher(key_len);
    EVP_CIPHER_CTX *c = NULL;
    uint8_t *ct = NULL;
    size_t ct_len = 0;
    size_t ct_cap = 0;
    uint8_t *out = NULL;
    size_t out_cap = 0;
    int l1 = 0;
    int l2 = 0;
    if (pt != NULL) *pt = NULL;
    if (pt_len != NULL) *pt_len = 0;
    if (key == NULL || cipher == NULL || pt == NULL || pt_len == NULL || (b64 == NULL && b64_len > 0)) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    if (b64_len > LEGACY_MAX_LEN) {
        st = SMS_ETOOBIG;
        goto cleanup;
    }
    /* Room for a full extra block: EVP may write up to one block more than it returns. */
    ct_cap = b64_len / 4 * 3;
    out_cap = ct_cap + LEGACY_BLOCK + 1;
    out = malloc(out_cap);
    if (out == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    /* "" is how the reference stores a blank value: no ciphertext at all. */
    if (b64_len > 0) {
        ct = malloc(ct_cap);
        if (ct == NULL) {
            st = SMS_ENOMEM;
            goto cleanup;
        }
        if (b64_decode(b64, b64_len, ct, ct_cap, &ct_len) != SMS_OK || ct_len == 0 ||
            ct_len % LEGACY_BLOCK != 0) {
            st = SMS_ECRYPTO;
            goto cleanup;
        }
        c = EVP_CIPHER_CTX_new();
        if (c == NULL) {
            st = SMS_ENOMEM;
            goto cleanup;
        }
        if (EVP_DecryptInit_ex(c, cipher, NULL, key, NULL) != 1 ||
            EVP_DecryptUpdate(c, out, &l1, ct, (int)ct_len) != 1 || EVP_DecryptFinal_ex(c, out + l1, &l2) != 1) {
            st = SMS_ECRYPTO;
            goto cleanup;
        }
    }
    out[l1 + l2] = '\0';
    *pt = out;
    *pt_len = (size_t)l1 + (size_t)l2;
    out = NULL;

cleanup:
    EVP_CIPHER_CTX_free(c);
    free(ct);
    secure_free(out, out_cap);
    return st;
}

sms_status legacy_ecb_encrypt_b64(const uint8_t *key, size_t key_len, const uint8_t *pt, size_t pt_len, char **b64,
                                  size_t *b64_len)
{
    sms_status st = SMS_OK;
    const EVP_CIPHER *cipher = ecb_cipher(key_len);
    EVP_CIPHER_CTX *c = NULL;
    uint8_t *ct = NULL;
    size_t ct_cap = 0;
    char *text = NULL;
    size_t text_cap = 0;
    int l1 = 0;
    int l2 = 0;
    static const uint8_t empty[1] = {0};
    if (b64 != NULL) *b64 = NULL;
    if (b64_len != NULL) *b64_len = 0;
    if (key == NULL || cipher == NULL || b64 == NULL || b64_len == NULL || (pt == NULL && pt_len > 0)) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    if (pt_len > LEGACY_MAX_LEN) {
        st = SMS_ETOOBIG;
        goto cleanup;
    }
    if (pt == NULL) pt = empty;
    ct_cap = pt_len / LEGACY_BLOCK * LEGACY_BLOCK + LEGACY_BLOCK;
    ct = malloc(ct_cap);
    text_cap = b64_encoded_size(ct_cap);
    text = malloc(text_cap);
    c = EVP_CIPHER_CTX_new();
    if (ct == NULL || text == NULL || c == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    if (EVP_EncryptInit_ex(c, cipher, NULL, key, NULL) != 1 ||
        EVP_EncryptUpdate(c, ct, &l1, pt, (int)pt_len) != 1 || EVP_EncryptFinal_ex(c, ct + l1, &l2) != 1) {
        st = SMS_ECRYPTO;
        goto cleanup;
    }
    st = b64_encode(ct, (size_t)l1 + (size_t)l2, text, text_cap);
    if (st != SMS_OK) goto cleanup;
    *b64 = text;
    *b64_len = strlen(text);
    text = NULL;

cleanup:
    EVP_CIPHER_CTX_free(c);
    free(ct);
    free(text);
    return st;
}
