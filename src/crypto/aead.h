/* Encryption at rest: AES-256-GCM (or -128/-192 with a shorter key) with a fresh random
 * 96-bit nonce per record and the record's identity as associated data.
 *
 * Record layout (version 1):  0x01 | nonce (12) | ciphertext (n) | tag (16)
 * so a sealed record is n + AEAD_OVERHEAD bytes. */
#ifndef SMS_AEAD_H
#define SMS_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define AEAD_VERSION 0x01
#define AEAD_NONCE_LEN 12
#define AEAD_TAG_LEN 16
#define AEAD_OVERHEAD (1 + AEAD_NONCE_LEN + AEAD_TAG_LEN)

/* Key material lives in locked memory (mlock) and is zeroed by aead_key_free. */
typedef struct aead_key aead_key;

/* Copies key bytes (16, 24 or 32) into a new locked key. SMS_EINVAL for another length. */
sms_status aead_key_new(const uint8_t *raw, size_t len, aead_key **out);
void aead_key_free(aead_key *k);
size_t aead_key_len(const aead_key *k);

/* Seal pt (pt_len may be 0) with associated data ad. out must hold pt_len + AEAD_OVERHEAD
 * bytes; *out_len receives that size. */
sms_status aead_seal(const aead_key *k, const uint8_t *ad, size_t ad_len, const uint8_t *pt, size_t pt_len,
                     uint8_t *out, size_t cap, size_t *out_len);

/* Open a sealed record. pt must hold rec_len - AEAD_OVERHEAD bytes (cap checked).
 * SMS_ECRYPTO when the record is malformed, of another version, was tampered with, or the
 * associated data differs (e.g. a ciphertext moved to another row). */
sms_status aead_open(const aead_key *k, const uint8_t *ad, size_t ad_len, const uint8_t *rec, size_t rec_len,
                     uint8_t *pt, size_t cap, size_t *pt_len);

#endif
