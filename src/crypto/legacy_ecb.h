/* The Java reference's encryption at rest (sms-api.md 9.4): base64 of AES-ECB with PKCS#7
 * padding, key of 16, 24 or 32 bytes. Only for importing data written by the reference
 * (and for tests); new records use crypto/aead.h. */
#ifndef SMS_LEGACY_ECB_H
#define SMS_LEGACY_ECB_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* Decrypt one stored value.
 *   key, key_len : raw AES key (16, 24 or 32 bytes), not retained
 *   b64, b64_len : the stored text (not necessarily NUL-terminated); "" (b64_len 0) is the
 *                  reference's encoding of a blank value and gives an empty plaintext
 *   pt, pt_len   : on success *pt is a new malloc'ed buffer of *pt_len + 1 bytes holding the
 *                  plaintext followed by a NUL; the caller releases it with
 *                  secure_free(*pt, *pt_len). On failure *pt is NULL and *pt_len 0.
 * Returns SMS_OK; SMS_EINVAL for a bad key length or NULL arguments; SMS_ECRYPTO when the
 * text is not strict base64, is not a whole number of 16-byte blocks, or the padding is
 * wrong (corrupt data or wrong key; the reference silently returned ""); SMS_ETOOBIG when
 * the text exceeds 1 GiB; SMS_ENOMEM. */
sms_status legacy_ecb_decrypt_b64(const uint8_t *key, size_t key_len, const char *b64, size_t b64_len, uint8_t **pt,
                                  size_t *pt_len);

/* Encrypt like the reference: base64(AES-ECB-PKCS7(pt)). An empty plaintext gives one full
 * padding block (the reference's "blank value -> empty string" rule is the caller's).
 *   key, key_len : raw AES key (16, 24 or 32 bytes)
 *   pt, pt_len   : plaintext (pt may be NULL when pt_len is 0)
 *   b64, b64_len : on success *b64 is a new malloc'ed NUL-terminated string of *b64_len
 *                  characters; the caller free()s it (it holds no secret in clear).
 * Returns SMS_OK, SMS_EINVAL, SMS_ETOOBIG (plaintext over 1 GiB), SMS_ECRYPTO, SMS_ENOMEM. */
sms_status legacy_ecb_encrypt_b64(const uint8_t *key, size_t key_len, const uint8_t *pt, size_t pt_len, char **b64,
                                  size_t *b64_len);

#endif
