/* TEE request authorization (src/tee/tee_auth.c): the WorkerpoolAuthorization hash and the
 * signatures of tee-sessions.md 2.6 and sms-api.md 5.7 (V5, V6), and the execution check of
 * 2.5 on hand-built PoCo bundles, one failure at a time and in the spec's order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "core/hex.h"
#include "crypto/ethsig.h"
#include "helpers/test_sign.h"
#include "tee/tee_auth.h"

/* tee-sessions.md 2.6 */
#define T_TASK "0x3b31255a9f930bb80359c3ba2fef22133cd773f2653bd87c6035861658aa0882"
#define T_POOL_OWNER "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
#define T_POOL_KEY "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
#define T_WORKER "0x1563915e194D8CfBA1943570603F7606A3115508"
#define T_ENCLAVE "0x5cbdd86a2fa8dc4bddd8a8f69dba48572eec07fb"
#define T_HASH "0x69df889cbf2e6de2252fa5421d4f72cb9636ed3b8939f13961d7e10b44d773cb"
#define T_DIGEST "0xd2e8555b629c0f564b61587752248d27a82f7c43b4cd67b3309d5cf50271b756"
#define T_POOL_SIG                                                                                                  \
    "0x46cce39f8a9624ab977a7a49a87e94475424c315d3e91bc418a0d11c15f9063f5c3fe7469a57eff327fd198279781340ae968e3a707" \
    "a5d2cc806c817e22cf7d51c"
#define T_WORKER_SIG                                                                                                \
    "0x7a402b2897eea5733d6458af180211d1e92608b920a6c737ba3981b4730967056bdf54c16247c56b3c69d50f75693642fcb5bb33e9c" \
    "ae3150b9e9b60393b92811b"
#define T_CHALLENGE_HASH "0x784686ba2844735b6edc23896f10d29cdbbbc8d399069c0821df40b3c2b50dbc"
#define T_CHALLENGE_SIG                                                                                             \
    "0xa9aa94cd88bd83cdd26d1d263c2637b05f3da23cb10dab5cc83ff26ee3d70bc7314d99732c7507d5e104e16751baff5f2d46458a1fa" \
    "c076bcab90596f7e89cb11c"

/* sms-api.md 5.7 V5/V6 */
#define V_TASK "0x24c43b0c66feb087dfb5fb8d731db16cd620f76475ed68b81c1aba9de302a646"
#define V5_HASH "0xad925a72a47b5679423ef94b654870e16a58f8f0c9243d29e4c62891494bdeaf"
#define V5_AUTH                                                                                                     \
    "0x351bd6be3b9d166b0e701c0a9f0151e7376056d77a4341a0517fee7dc8a11c1947885d81fa57e5fc428e91a59a9f73cd148712453e3" \
    "b7cf006b082bbed700b991b"
#define V6_ENCLAVE "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
#define V6_HASH "0x9baf50958d6c811f75dc4891a9f05ea76b74740008863373a20980c898c0b560"
#define V6_AUTH_WORKER                                                                                              \
    "0xc568527bd65af90b3490268116b5ff801d02ca3b5208ec135d86d284cf5622363bbd60331efbd09c03845fca0c9e8c4e5e61b4be2c6" \
    "82f7622b30ce9dde1dbde1c"
#define V6_SIG_POOL                                                                                                 \
    "0x7a8f498965086fbb4de597dc8b71d5b043f7d9107a887009a5d55f750517de9f25eb36155c28026d4725f404754f4e6d90ecc2bd542" \
    "fe24d5cabd1b835c002a01c"

static int group_setup(void **state)
{
    (void)state;
    return ethsig_init() == SMS_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    ethsig_cleanup();
    return 0;
}

static void assert_hash(const uint8_t h[32], const char *expected)
{
    char hex[67];
    hex_encode_0x(h, 32, hex);
    assert_string_equal(hex, expected);
}

static void test_hash_vectors(void **state)
{
    (void)state;
    uint8_t h[32], d[32];
    assert_int_equal(tee_authorization_hash(T_WORKER, T_TASK, T_ENCLAVE, h), SMS_OK);
    assert_hash(h, T_HASH);
    eth_personal_hash32(h, d);
    assert_hash(d, T_DIGEST);
    /* Case of the hex digits does not matter: bytes are hashed. */
    assert_int_equal(tee_authorization_hash("0x1563915e194d8cfba1943570603f7606a3115508", T_TASK,
                                            "0x5CBDD86A2FA8DC4BDDD8A8F69DBA48572EEC07FB", h),
                     SMS_OK);
    assert_hash(h, T_HASH);
    /* Challenge endpoint: both addresses empty. */
    assert_int_equal(tee_authorization_hash("", T_TASK, "", h), SMS_OK);
    assert_hash(h, T_CHALLENGE_HASH);
    assert_int_equal(tee_authorization_hash("", V_TASK, "", h), SMS_OK);
    assert_hash(h, V5_HASH);
    assert_int_equal(tee_authorization_hash(TS_WORKER_ADDR, V_TASK, V6_ENCLAVE, h), SMS_OK);
    assert_hash(h, V6_HASH);
    /* "0x" is optional. */
    assert_int_equal(tee_authorization_hash(&(TS_WORKER_ADDR)[2], &(V_TASK)[2], &(V6_ENCLAVE)[2], h), SMS_OK);
    assert_hash(h, V6_HASH);
}

static void test_hash_rejects(void **state)
{
    (void)state;
    uint8_t h[32];
    assert_int_equal(tee_authorization_hash(NULL, T_TASK, "", h), SMS_EINVAL);
    assert_int_equal(tee_authorization_hash("", NULL, "", h), SMS_EINVAL);
    assert_int_equal(tee_authorization_hash("", T_TASK, NULL, h), SMS_EINVAL);
    /* Non-hex characters are refused (tee-sessions.md 0.2, safe deviation). */
    assert_int_equal(tee_authorization_hash("0x1563915e194D8CfBA1943570603F7606A311550z", T_TASK, "", h), SMS_EINVAL);
    assert_int_equal(tee_authorization_hash("", T_TASK "g", "", h), SMS_EINVAL);
    /* Longer than an address / a bytes32. */
    assert_int_equal(tee_authorization_hash(T_WORKER "00", T_TASK, "", h), SMS_EINVAL);
    assert_int_equal(tee_authorization_hash("", T_TASK "00", "", h), SMS_EINVAL);
    assert_int_equal(tee_authorization_hash("", T_TASK, T_ENCLAVE "00", h), SMS_EINVAL);
    /* Odd length is left-padded like the reference: "0x1" == "0x01". */
    uint8_t a[32], b[32];
    assert_int_equal(tee_authorization_hash("0x1", T_TASK, "", a), SMS_OK);
    assert_int_equal(tee_authorization_hash("0x01", T_TASK, "", b), SMS_OK);
    assert_memory_equal(a, b, 32);
}

static void assert_signer(const char *hash_hex, const char *sig, const char *expected)
{
    uint8_t h[32];
    size_t n = 0;
    char signer[POCO_ADDR_STR];
    assert_int_equal(hex_decode(hash_hex, strlen(hash_hex), h, 32, &n), SMS_OK);
    assert_int_equal(tee_recover_signer(h, sig, signer), SMS_OK);
    assert_true(strcasecmp(signer, expected) == 0);
    /* Rendered lower-case. */
    for (const char *p = signer; *p; p++) assert_false(*p >= 'A' && *p <= 'F');
}

static void test_signature_vectors(void **state)
{
    (void)state;
    assert_signer(T_HASH, T_POOL_SIG, T_POOL_OWNER);
    assert_signer(T_HASH, T_WORKER_SIG, T_WORKER);
    assert_signer(T_CHALLENGE_HASH, T_CHALLENGE_SIG, T_POOL_OWNER);
    assert_signer(V5_HASH, V5_AUTH, TS_OWNER_ADDR);
    assert_signer(V6_HASH, V6_AUTH_WORKER, TS_WORKER_ADDR);
    assert_signer(V6_HASH, V6_SIG_POOL, TS_OWNER_ADDR);
    /* Our own signing of the 2.6 hash with the pool key is the published signature (RFC 6979). */
    uint8_t h[32];
    char sig[133];
    assert_int_equal(tee_authorization_hash(T_WORKER, T_TASK, T_ENCLAVE, h), SMS_OK);
    ts_sign(T_POOL_KEY, h, sig);
    assert_string_equal(sig, T_POOL_SIG);
}

static void test_signature_malformed_or_unrecoverable(void **state)
{
    (void)state;
    uint8_t h[32];
    char signer[POCO_ADDR_STR];
    char sig[200];
    assert_int_equal(tee_authorization_hash("", T_TASK, "", h), SMS_OK);
    /* Not a signature at all: EINVAL (answered before any chain read). */
    assert_int_equal(tee_recover_signer(h, NULL, signer), SMS_EINVAL);
    assert_int_equal(tee_recover_signer(h, "", signer), SMS_EINVAL);
    assert_int_equal(tee_recover_signer(h, "0x1234", signer), SMS_EINVAL);
    snprintf(sig, sizeof sig, "%.*s", 130, T_CHALLENGE_SIG); /* 64 bytes */
    assert_int_equal(tee_recover_signer(h, sig, signer), SMS_EINVAL);
    snprintf(sig, sizeof sig, "%s", T_CHALLENGE_SIG);
    sig[10] = 'z';
    assert_int_equal(tee_recover_signer(h, sig, signer), SMS_EINVAL);
    /* Well-formed but v = 1: recovers nobody. */
    snprintf(sig, sizeof sig, "%s", T_CHALLENGE_SIG);
    sig[130] = '0';
    sig[131] = '1';
    assert_int_equal(tee_recover_signer(h, sig, signer), SMS_EAUTH);
    /* Another message recovers another address (never the owner). */
    uint8_t other[32];
    assert_int_equal(tee_authorization_hash("", V_TASK, "", other), SMS_OK);
    assert_int_equal(tee_recover_signer(other, T_CHALLENGE_SIG, signer), SMS_OK);
    assert_true(strcasecmp(signer, T_POOL_OWNER) != 0);
}

static void test_task_id_bytes(void **state)
{
    (void)state;
    uint8_t b[32];
    assert_int_equal(tee_task_id_bytes(T_TASK, b), SMS_OK);
    assert_int_equal(b[0], 0x3b);
    assert_int_equal(b[31], 0x82);
    assert_int_equal(tee_task_id_bytes(&(T_TASK)[2], b), SMS_OK);
    assert_int_equal(tee_task_id_bytes(NULL, b), SMS_EINVAL);
    assert_int_equal(tee_task_id_bytes("", b), SMS_EINVAL);
    assert_int_equal(tee_task_id_bytes("0x", b), SMS_EINVAL);
    assert_int_equal(tee_task_id_bytes("0x3b31", b), SMS_EINVAL);
    assert_int_equal(tee_task_id_bytes(T_TASK "00", b), SMS_EINVAL);
    assert_int_equal(tee_task_id_bytes("0x3b31255a9f930bb80359c3ba2fef22133cd773f2653bd87c6035861658aa088g", b),
                     SMS_EINVAL);
}

/* ---- 2.5 on bundles ---- */

static void good_bundle(struct poco_bundle *b, uint8_t tee_bits)
{
    memset(b, 0, sizeof *b);
    b->task_status = SMS_OK;
    b->task.status = POCO_TASK_ACTIVE;
    memset(b->task.deal_id, 0x11, 32);
    b->deal_status = SMS_OK;
    b->deal.start_time = 1700000000;
    b->deal.tag[31] = tee_bits;
    snprintf(b->deal.workerpool_owner, POCO_ADDR_STR, "%s", "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23");
    b->category_status = SMS_OK;
    b->app_status = SMS_OK;
    b->dataset_status = SMS_OK;
}

static void test_check_accepts(void **state)
{
    (void)state;
    struct poco_bundle b;
    good_bundle(&b, 0x03);
    assert_int_equal(tee_auth_check_bundle(&b, "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23", TEE_FRAMEWORK_SCONE),
                     TEE_OK);
    /* Signer compared case-insensitively. */
    assert_int_equal(tee_auth_check_bundle(&b, T_POOL_OWNER, TEE_FRAMEWORK_SCONE), TEE_OK);
    /* App and dataset failures are not authorization failures. */
    b.app_status = SMS_ECHAIN;
    b.has_dataset = 1;
    b.dataset_status = SMS_ETIMEOUT;
    assert_int_equal(tee_auth_check_bundle(&b, T_POOL_OWNER, TEE_FRAMEWORK_SCONE), TEE_OK);
    /* Higher tag bits are ignored. */
    good_bundle(&b, 0x05);
    b.deal.tag[30] = 0x01;
    b.deal.tag[31] |= 0x10;
    assert_int_equal(tee_auth_check_bundle(&b, T_POOL_OWNER, TEE_FRAMEWORK_GRAMINE), TEE_OK);
    good_bundle(&b, 0x09);
    assert_int_equal(tee_auth_check_bundle(&b, T_POOL_OWNER, TEE_FRAMEWORK_TDX), TEE_OK);
    /* Without a framework of its own, any TEE framework passes (reference behaviour). */
    static const uint8_t bits[] = {0x03, 0x05, 0x09};
    for (size_t i = 0; i < 3; i++) {
        good_bundle(&b, bits[i]);
        assert_int_equal(tee_auth_check_bundle(&b, T_POOL_OWNER, TEE_FRAMEWORK_NONE), TEE_OK);
    }
}

/* Each step fails while every later one is broken too: the earliest code wins. */
static void test_check_order(void **state)
{
    (void)state;
    struct poco_bundle b;
    static const sms_status task_fail[] = {SMS_ECHAIN, SMS_ETIMEOUT, SMS_ENOTFOUND, SMS_ENOMEM};
    for (size_t i = 0; i < sizeof task_fail / sizeof task_fail[0]; i++) {
        good_bundle(&b, 0x00);
        b.task_status = task_fail[i];
        b.task.status = POCO_TASK_COMPLETED;
        b.deal_status = task_fail[i];
        b.category_status = task_fail[i];
        assert_int_equal(tee_auth_check_bundle(&b, NULL, TEE_FRAMEWORK_SCONE),
                         TEE_EXECUTION_NOT_AUTHORIZED_GET_CHAIN_TASK_FAILED);
    }
    static const poco_task_status not_active[] = {POCO_TASK_UNSET, POCO_TASK_REVEALING, POCO_TASK_COMPLETED,
                                                  POCO_TASK_FAILED};
    for (size_t i = 0; i < 4; i++) {
        good_bundle(&b, 0x00);
        b.task.status = not_active[i];
        b.deal_status = SMS_ECHAIN;
        assert_int_equal(tee_auth_check_bundle(&b, NULL, TEE_FRAMEWORK_SCONE),
                         TEE_EXECUTION_NOT_AUTHORIZED_TASK_NOT_ACTIVE);
    }
    good_bundle(&b, 0x00);
    b.deal_status = SMS_ENOTFOUND;
    assert_int_equal(tee_auth_check_bundle(&b, NULL, TEE_FRAMEWORK_SCONE),
                     TEE_EXECUTION_NOT_AUTHORIZED_GET_CHAIN_DEAL_FAILED);
    good_bundle(&b, 0x00);
    b.deal_status = SMS_ECHAIN;
    assert_int_equal(tee_auth_check_bundle(&b, NULL, TEE_FRAMEWORK_SCONE),
                     TEE_EXECUTION_NOT_AUTHORIZED_GET_CHAIN_DEAL_FAILED);
    /* The category is part of the deal read (2.5 #4). */
    good_bundle(&b, 0x00);
    b.category_status = SMS_ECHAIN;
    assert_int_equal(tee_auth_check_bundle(&b, NULL, TEE_FRAMEWORK_SCONE),
                     TEE_EXECUTION_NOT_AUTHORIZED_GET_CHAIN_DEAL_FAILED);
    good_bundle(&b, 0x03);
    b.deal.start_time = 0;
    assert_int_equal(tee_auth_check_bundle(&b, NULL, TEE_FRAMEWORK_SCONE),
                     TEE_EXECUTION_NOT_AUTHORIZED_GET_CHAIN_DEAL_FAILED);
    /* Not a TEE tag. */
    static const uint8_t non_tee[] = {0x00, 0x01, 0x02, 0x07, 0x0b, 0x0d, 0x0f, 0x10};
    for (size_t i = 0; i < sizeof non_tee; i++) {
        good_bundle(&b, non_tee[i]);
        assert_int_equal(tee_auth_check_bundle(&b, NULL, TEE_FRAMEWORK_NONE),
                         TEE_EXECUTION_NOT_AUTHORIZED_NO_MATCH_ONCHAIN_TYPE);
    }
    /* A TEE deal of another framework than this SMS's (12.9). */
    good_bundle(&b, 0x05);
    assert_int_equal(tee_auth_check_bundle(&b, NULL, TEE_FRAMEWORK_SCONE),
                     TEE_EXECUTION_NOT_AUTHORIZED_NO_MATCH_ONCHAIN_TYPE);
    good_bundle(&b, 0x03);
    assert_int_equal(tee_auth_check_bundle(&b, T_POOL_OWNER, TEE_FRAMEWORK_TDX),
                     TEE_EXECUTION_NOT_AUTHORIZED_NO_MATCH_ONCHAIN_TYPE);
    good_bundle(&b, 0x09);
    assert_int_equal(tee_auth_check_bundle(&b, T_POOL_OWNER, TEE_FRAMEWORK_GRAMINE),
                     TEE_EXECUTION_NOT_AUTHORIZED_NO_MATCH_ONCHAIN_TYPE);
    /* Signature last. */
    good_bundle(&b, 0x03);
    assert_int_equal(tee_auth_check_bundle(&b, NULL, TEE_FRAMEWORK_SCONE),
                     TEE_EXECUTION_NOT_AUTHORIZED_INVALID_SIGNATURE);
    assert_int_equal(tee_auth_check_bundle(&b, TS_OWNER_ADDR, TEE_FRAMEWORK_SCONE),
                     TEE_EXECUTION_NOT_AUTHORIZED_INVALID_SIGNATURE);
    assert_int_equal(tee_auth_check_bundle(&b, "", TEE_FRAMEWORK_SCONE),
                     TEE_EXECUTION_NOT_AUTHORIZED_INVALID_SIGNATURE);
    /* The zero owner (never recoverable) does not match a zero-address string either. */
    snprintf(b.deal.workerpool_owner, POCO_ADDR_STR, "0x0000000000000000000000000000000000000000");
    assert_int_equal(tee_auth_check_bundle(&b, T_POOL_OWNER, TEE_FRAMEWORK_SCONE),
                     TEE_EXECUTION_NOT_AUTHORIZED_INVALID_SIGNATURE);
}

/* The whole 2.5 chain with the 2.6 vectors: recover the body signature, check it against a
 * bundle whose deal names the vector's pool owner. */
static void test_vectors_end_to_end(void **state)
{
    (void)state;
    uint8_t h[32];
    char pool[POCO_ADDR_STR], worker[POCO_ADDR_STR];
    struct poco_bundle b;
    assert_int_equal(tee_authorization_hash(T_WORKER, T_TASK, T_ENCLAVE, h), SMS_OK);
    assert_int_equal(tee_recover_signer(h, T_WORKER_SIG, worker), SMS_OK);
    assert_true(strcasecmp(worker, T_WORKER) == 0);
    assert_int_equal(tee_recover_signer(h, T_POOL_SIG, pool), SMS_OK);
    good_bundle(&b, 0x03);
    assert_int_equal(tee_auth_check_bundle(&b, pool, TEE_FRAMEWORK_SCONE), TEE_OK);
    /* The worker's signature is not the pool's. */
    assert_int_equal(tee_auth_check_bundle(&b, worker, TEE_FRAMEWORK_SCONE),
                     TEE_EXECUTION_NOT_AUTHORIZED_INVALID_SIGNATURE);
    /* A signature over another enclave challenge recovers someone else. */
    assert_int_equal(tee_authorization_hash(T_WORKER, T_TASK, V6_ENCLAVE, h), SMS_OK);
    assert_int_equal(tee_recover_signer(h, T_POOL_SIG, pool), SMS_OK);
    assert_int_equal(tee_auth_check_bundle(&b, pool, TEE_FRAMEWORK_SCONE),
                     TEE_EXECUTION_NOT_AUTHORIZED_INVALID_SIGNATURE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_vectors),
        cmocka_unit_test(test_hash_rejects),
        cmocka_unit_test(test_signature_vectors),
        cmocka_unit_test(test_signature_malformed_or_unrecoverable),
        cmocka_unit_test(test_task_id_bytes),
        cmocka_unit_test(test_check_accepts),
        cmocka_unit_test(test_check_order),
        cmocka_unit_test(test_vectors_end_to_end),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
