#include "crypto/ethsig.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdatomic.h>
#include <string.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/secure.h"
#include "crypto/keccak.h"

/* Longest accepted Authorization hex (digits after an optional "0x"): bounds the decoding
 * work and the stack buffer. */
#define SIG_MAX_HEX_DIGITS 1024
#define SIG_MAX_BYTES (SIG_MAX_HEX_DIGITS / 2)
/* Random attempts at a valid secp256k1 secret key; a miss has probability ~2^-128. */
#define KEYGEN_MAX_TRIES 16

static _Atomic(secp256k1_context *) g_ctx = NULL;
static pthread_mutex_t g_init_lock = PTHREAD_MUTEX_INITIALIZER;

/* 28 bytes: the NUL of the literal is not hashed. */
static const char personal_prefix[] = "\x19" "Ethereum Signed Message:\n32";

sms_status ethsig_init(void)
{
    sms_status st = SMS_OK;
    secp256k1_context *ctx = NULL;
    uint8_t seed[32];
    pthread_mutex_lock(&g_init_lock);
    if (atomic_load(&g_ctx) != NULL) goto cleanup;
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (ctx == NULL) {
        st = SMS_ERR;
        goto cleanup;
    }
    /* Blinding of signing and key generation against side channels. */
    if (RAND_bytes(seed, sizeof seed) != 1 || !secp256k1_context_randomize(ctx, seed)) {
        LOG_ERROR("ethsig: cannot randomise the secp256k1 context");
        st = SMS_ERR;
        goto cleanup;
    }
    atomic_store(&g_ctx, ctx);
    ctx = NULL;

cleanup:
    if (ctx != NULL) secp256k1_context_destroy(ctx);
    pthread_mutex_unlock(&g_init_lock);
    secure_zero(seed, sizeof seed);
    return st;
}

void ethsig_cleanup(void)
{
    pthread_mutex_lock(&g_init_lock);
    secp256k1_context *ctx = atomic_exchange(&g_ctx, NULL);
    if (ctx != NULL) secp256k1_context_destroy(ctx);
    pthread_mutex_unlock(&g_init_lock);
}

/* The shared context, initialised on first use if a caller forgot ethsig_init. */
static const secp256k1_context *get_ctx(void)
{
    secp256k1_context *ctx = atomic_load_explicit(&g_ctx, memory_order_acquire);
    if (ctx != NULL) return ctx;
    if (ethsig_init() != SMS_OK) return NULL;
    return atomic_load(&g_ctx);
}

void eth_personal_hash32(const uint8_t msg[32], uint8_t out[32])
{
    keccak256_ctx k;
    keccak256_init(&k);
    keccak256_update(&k, (const uint8_t *)personal_prefix, sizeof personal_prefix - 1);
    keccak256_update(&k, msg, 32);
    keccak256_final(&k, out);
}

sms_status eth_signature_parse(const char *text, eth_signature *out)
{
    sms_status st = SMS_OK;
    uint8_t buf[SIG_MAX_BYTES];
    size_t n = 0;
    if (text == NULL || out == NULL) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    size_t len = strnlen(text, SIG_MAX_HEX_DIGITS + 3);
    size_t prefix = (len >= 2 && text[0] == '0' && text[1] == 'x') ? 2 : 0;
    if (len - prefix > SIG_MAX_HEX_DIGITS) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    st = hex_decode(text, len, buf, sizeof buf, &n);
    if (st != SMS_OK) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    if (n < 65) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    memcpy(out->rs, buf, 64);
    out->v = buf[64];

cleanup:
    return st;
}

/* Address = last 20 bytes of keccak256(X || Y). */
static sms_status pubkey_to_address(const secp256k1_context *ctx, const secp256k1_pubkey *pk, uint8_t addr[20])
{
    uint8_t ser[65];
    size_t ser_len = sizeof ser;
    uint8_t h[32];
    if (!secp256k1_ec_pubkey_serialize(ctx, ser, &ser_len, pk, SECP256K1_EC_UNCOMPRESSED) || ser_len != 65) {
        return SMS_ERR;
    }
    keccak256(ser + 1, 64, h);
    memcpy(addr, h + 12, 20);
    return SMS_OK;
}

sms_status eth_recover_personal(const uint8_t msg[32], const eth_signature *sig, uint8_t addr[20])
{
    sms_status st = SMS_EAUTH;
    const secp256k1_context *ctx = get_ctx();
    secp256k1_ecdsa_recoverable_signature rsig;
    secp256k1_pubkey pk;
    uint8_t h[32];
    if (ctx == NULL) {
        st = SMS_ERR;
        goto cleanup;
    }
    if (msg == NULL || sig == NULL || addr == NULL || sig->v < 27 || sig->v > 30) goto cleanup;
    /* parse_compact rejects r or s >= n; recover rejects r = 0, s = 0 and points off the
     * curve. No low-s rule is applied by either, which keeps EIP-2 malleated signatures
     * valid as in the reference. */
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rsig, sig->rs, sig->v - 27)) goto cleanup;
    eth_personal_hash32(msg, h);
    if (!secp256k1_ecdsa_recover(ctx, &pk, &rsig, h)) goto cleanup;
    st = pubkey_to_address(ctx, &pk, addr);
    if (st != SMS_OK) st = SMS_EAUTH;

cleanup:
    return st;
}

sms_status eth_verify_personal(const uint8_t msg[32], const char *sig_text, const char *expected_address)
{
    sms_status st = SMS_EAUTH;
    uint8_t want[20];
    uint8_t got[20];
    char norm[ETH_ADDRESS_STR_LEN];
    eth_signature sig;
    if (msg == NULL || expected_address == NULL) goto cleanup;
    /* The reference compares "0x" + hex with equalsIgnoreCase, so "0X" also matches; any
     * other shape can never match and is refused before the costly recovery. */
    if (strnlen(expected_address, ETH_ADDRESS_STR_LEN) != ETH_ADDRESS_STR_LEN - 1 || expected_address[0] != '0' ||
        (expected_address[1] != 'x' && expected_address[1] != 'X')) {
        goto cleanup;
    }
    memcpy(norm, expected_address, ETH_ADDRESS_STR_LEN);
    norm[1] = 'x';
    if (address_parse(norm, want) != SMS_OK) goto cleanup;
    if (eth_signature_parse(sig_text, &sig) != SMS_OK) goto cleanup;
    st = eth_recover_personal(msg, &sig, got);
    if (st != SMS_OK) {
        if (st != SMS_ERR) st = SMS_EAUTH;
        goto cleanup;
    }
    st = memcmp(got, want, sizeof got) == 0 ? SMS_OK : SMS_EAUTH;

cleanup:
    return st;
}

sms_status eth_sign_personal(const uint8_t seckey[32], const uint8_t msg[32], char out[133])
{
    sms_status st = SMS_OK;
    const secp256k1_context *ctx = get_ctx();
    secp256k1_ecdsa_recoverable_signature rsig;
    uint8_t h[32];
    uint8_t raw[65];
    int recid = 0;
    if (ctx == NULL) {
        st = SMS_ERR;
        goto cleanup;
    }
    if (seckey == NULL || msg == NULL || out == NULL || !secp256k1_ec_seckey_verify(ctx, seckey)) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    eth_personal_hash32(msg, h);
    /* NULL nonce function = RFC 6979, so signatures are deterministic like ethers'. */
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &rsig, h, seckey, NULL, NULL) ||
        !secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, raw, &recid, &rsig)) {
        st = SMS_ERR;
        goto cleanup;
    }
    raw[64] = (uint8_t)(27 + recid);
    hex_encode_0x(raw, sizeof raw, out);

cleanup:
    secure_zero(&rsig, sizeof rsig);
    return st;
}

sms_status eth_address_of(const uint8_t seckey[32], uint8_t addr[20])
{
    sms_status st = SMS_OK;
    const secp256k1_context *ctx = get_ctx();
    secp256k1_pubkey pk;
    if (ctx == NULL) {
        st = SMS_ERR;
        goto cleanup;
    }
    if (seckey == NULL || addr == NULL || !secp256k1_ec_seckey_verify(ctx, seckey)) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    if (!secp256k1_ec_pubkey_create(ctx, &pk, seckey)) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    st = pubkey_to_address(ctx, &pk, addr);

cleanup:
    return st;
}

sms_status eth_keypair_generate(uint8_t seckey[32], uint8_t addr[20])
{
    sms_status st = SMS_ERR;
    const secp256k1_context *ctx = get_ctx();
    if (ctx == NULL || seckey == NULL || addr == NULL) goto cleanup;
    for (int i = 0; i < KEYGEN_MAX_TRIES; i++) {
        if (RAND_bytes(seckey, 32) != 1) {
            LOG_ERROR("ethsig: OpenSSL RAND_bytes failed");
            break;
        }
        if (secp256k1_ec_seckey_verify(ctx, seckey)) {
            st = eth_address_of(seckey, addr);
            break;
        }
    }
    if (st != SMS_OK && seckey != NULL) secure_zero(seckey, 32);

cleanup:
    return st;
}
