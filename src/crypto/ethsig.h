/* Ethereum EIP-191 personal-message signatures over 32-byte challenges
 * (sms-api.md 5.3), with libsecp256k1 and its recovery module. */
#ifndef SMS_ETHSIG_H
#define SMS_ETHSIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* Must be called once before any other function here (creates and randomises the
 * shared secp256k1 context). Thread-safe afterwards. Returns SMS_OK or SMS_ERR. */
sms_status ethsig_init(void);
void ethsig_cleanup(void);

/* keccak256("\x19Ethereum Signed Message:\n32" || msg). */
void eth_personal_hash32(const uint8_t msg[32], uint8_t out[32]);

typedef struct {
    uint8_t rs[64]; /* r || s */
    uint8_t v;      /* raw last byte as sent, 27/28 normally */
} eth_signature;

/* Parse the Authorization form: hex by hex_decode rules (optional "0x"), at least 65
 * bytes, bytes after the 65th ignored. SMS_EINVAL when shorter than 65 bytes, not hex,
 * or NULL. Longer than 1024 hex digits is SMS_EINVAL too (bounded work). Does not
 * judge v. */
sms_status eth_signature_parse(const char *text, eth_signature *out);

/* Recover the signer address of the personal message msg (32 bytes). v must be in
 * 27..30 (recid = v - 27); anything else, or a failed recovery, is SMS_EAUTH. */
sms_status eth_recover_personal(const uint8_t msg[32], const eth_signature *sig, uint8_t addr[20]);

/* Whole check of sms-api.md 5.3.2: parse `sig_text`, recover, compare with
 * `expected_address`, which must be "0x" + 40 hex digits (any case) to ever match.
 * Returns SMS_OK if signed by that address, SMS_EAUTH otherwise (malformed included). */
sms_status eth_verify_personal(const uint8_t msg[32], const char *sig_text, const char *expected_address);

/* Sign msg as a personal message with seckey (RFC 6979); writes "0x" + 130 hex (v 27/28)
 * into out[133]. For tests, benches and enclave keys. */
sms_status eth_sign_personal(const uint8_t seckey[32], const uint8_t msg[32], char out[133]);

/* Address of a private key. SMS_EINVAL if the key is not valid for secp256k1. */
sms_status eth_address_of(const uint8_t seckey[32], uint8_t addr[20]);

/* Fresh random key pair from the OpenSSL CSPRNG. Caller zeroes seckey when done. */
sms_status eth_keypair_generate(uint8_t seckey[32], uint8_t addr[20]);

#endif
