/* Challenge hashes (src/secrets/challenge.c) against the worked vectors V1..V6 of
 * sms-api.md 5.7: every intermediate the spec gives is checked, then the published
 * signature must recover to the expected signer over our challenge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "core/hex.h"
#include "crypto/ethsig.h"
#include "crypto/keccak.h"
#include "helpers/test_sign.h"
#include "secrets/challenge.h"

#define V1_AUTH                                                                                                     \
    "0xd2a3456e9defda6eaa602fea37731001ced177dbcf35dcf88e357c5b2f1d1d51008b17e46974fa73c8d31e353ceb09aac998345169f" \
    "e9958b3c538c5e87dd6dc1c"
#define V2_AUTH                                                                                                     \
    "0xa4cbcd97cd77ea710ce764e9b7847c01dfc586cb0aae5da8a1c11f40c4237be3613e2e7293437cae17c2d998c7bbc4b0097f0123d3d" \
    "81d881ecefa183a3f4add1b"
#define V3_AUTH                                                                                                     \
    "0x42514225e3473f477e3cba1e3f27a5bcb5cd9cf07e21610316bf13476950c2d441cca8efc53ebc509dbecc3514c38a79120124e07ba" \
    "0cd04c7bd6a1af2f29a931c"
#define V4_AUTH                                                                                                     \
    "0xebdc0b9197ab6c383c801a9ecb5e82d5784dce9d2f3120df8a312b63169d8d831028b0e79885ed3bf9fb6f2497215fd8326874fa3ee" \
    "15f69c94d05e822c5fbc11b"
#define V5_AUTH                                                                                                     \
    "0x351bd6be3b9d166b0e701c0a9f0151e7376056d77a4341a0517fee7dc8a11c1947885d81fa57e5fc428e91a59a9f73cd148712453e3" \
    "b7cf006b082bbed700b991b"
#define V6_AUTH_WORKER                                                                                              \
    "0xc568527bd65af90b3490268116b5ff801d02ca3b5208ec135d86d284cf5622363bbd60331efbd09c03845fca0c9e8c4e5e61b4be2c6" \
    "82f7622b30ce9dde1dbde1c"
#define V6_SIG_POOL                                                                                                 \
    "0x7a8f498965086fbb4de597dc8b71d5b043f7d9107a887009a5d55f750517de9f25eb36155c28026d4725f404754f4e6d90ecc2bd542" \
    "fe24d5cabd1b835c002a01c"

#define TASK_ID "0x24c43b0c66feb087dfb5fb8d731db16cd620f76475ed68b81c1aba9de302a646"

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

static void hexdec(const char *s, uint8_t *out, size_t expect)
{
    size_t n = 0;
    assert_int_equal(hex_decode(s, strlen(s), out, expect, &n), SMS_OK);
    assert_int_equal(n, expect);
}

static void assert_hash(const uint8_t h[32], const char *expected_0x)
{
    char got[67];
    hex_encode_0x(h, 32, got);
    assert_string_equal(got, expected_0x);
}

/* The challenge must be signed by `signer` through EIP-191 with the published signature. */
static void assert_signed(const uint8_t challenge[32], const char *personal_hash, const char *sig, const char *signer)
{
    uint8_t eh[32];
    eth_personal_hash32(challenge, eh);
    assert_hash(eh, personal_hash);
    assert_int_equal(eth_verify_personal(challenge, sig, signer), SMS_OK);
    /* ... and by nobody else. */
    const char *other = strcasecmp(signer, TS_OWNER_ADDR) == 0 ? TS_WORKER_ADDR : TS_OWNER_ADDR;
    assert_int_equal(eth_verify_personal(challenge, sig, other), SMS_EAUTH);
}

static void test_domain_and_fixed_index(void **state)
{
    (void)state;
    uint8_t h[32];
    keccak256((const uint8_t *)"IEXEC_SMS_DOMAIN", 16, h);
    assert_hash(h, "0x0a26923d45a019b77e856d0001681f98ab9707ec15b2b98048cc91eed00b6793");
    keccak256((const uint8_t *)"1", 1, h);
    assert_hash(h, "0xc89efdaa54c0f20c7adf612882df0950f5a951637e0307cdcb4c672f298b8bc6");
}

static void test_v1_web2(void **state)
{
    (void)state;
    uint8_t addr[20], h[32];
    hexdec(TS_OWNER_ADDR, addr, 20);
    keccak256((const uint8_t *)"my-api-key", 10, h);
    assert_hash(h, "0x965c072622940a1aa66efeb4f25934d8a9171325541dded34437a7aab161b1d0");
    keccak256((const uint8_t *)"Hello, SMS!", 11, h);
    assert_hash(h, "0x5305ffdd991f627d189516e5a37940f70f116352803f36fd53319ad9cda5b025");
    challenge_named(addr, (const uint8_t *)"my-api-key", 10, (const uint8_t *)"Hello, SMS!", 11, h);
    assert_hash(h, "0xf3ea682150c55c90f87fba31189dea6ecb2579d1253a8821adb6c3825b1c5dc2");
    assert_signed(h, "0xda876cf6a1f02e57b97576f399ae02e3c1ff798238b50c881edeaa4442dbe193", V1_AUTH, TS_OWNER_ADDR);
    /* Independent construction agrees. */
    uint8_t ref[32];
    ts_challenge_named(TS_OWNER_ADDR, "my-api-key", 10, "Hello, SMS!", 11, ref);
    assert_memory_equal(ref, h, 32);
}

static void test_v1_name_is_hashed_as_sent(void **state)
{
    (void)state;
    uint8_t addr[20], lower[32], upper[32];
    hexdec(TS_OWNER_ADDR, addr, 20);
    challenge_named(addr, (const uint8_t *)"my-api-key", 10, (const uint8_t *)"Hello, SMS!", 11, lower);
    challenge_named(addr, (const uint8_t *)"MY-API-KEY", 10, (const uint8_t *)"Hello, SMS!", 11, upper);
    assert_memory_not_equal(lower, upper, 32);
    /* The V1 signature only covers the exact name. */
    assert_int_equal(eth_verify_personal(upper, V1_AUTH, TS_OWNER_ADDR), SMS_EAUTH);
    /* The address bytes do not depend on the case of its hex digits. */
    uint8_t addr_lc[20], same[32];
    hexdec(TS_OWNER_ADDR_LC, addr_lc, 20);
    challenge_named(addr_lc, (const uint8_t *)"my-api-key", 10, (const uint8_t *)"Hello, SMS!", 11, same);
    assert_memory_equal(lower, same, 32);
}

static void test_v2_web3(void **state)
{
    (void)state;
    static const char value[] = "Ke9aYzT0y2cZ8nC0Qm3xUw==";
    uint8_t addr[20], h[32];
    hexdec("0x5B38Da6a701c568545dCfcB03FcB875f56beddC4", addr, 20);
    keccak256((const uint8_t *)value, sizeof value - 1, h);
    assert_hash(h, "0x5c1b9c58bd22fcbc34bf0096b4f8f5a8c729a9e47ae8a1481eb3cbff71b5a56c");
    challenge_web3(addr, (const uint8_t *)value, sizeof value - 1, h);
    assert_hash(h, "0x7bd8326e70c2109e2ad6d4bb038908d947f40c40428b009c7faea87dce2818d1");
    assert_signed(h, "0xed9695a809df01d5f58c5343ad0e94c0f93700dc9c682ec16e6a20618a11397c", V2_AUTH, TS_OWNER_ADDR);
    uint8_t ref[32];
    ts_challenge_web3("0x5B38Da6a701c568545dCfcB03FcB875f56beddC4", value, sizeof value - 1, ref);
    assert_memory_equal(ref, h, 32);
}

static void test_v3_app(void **state)
{
    (void)state;
    static const char value[] = "app developer secret";
    uint8_t addr[20], h[32];
    hexdec("ab8483f64d9c6d1ecf9b849ae677dd3315835cb2", addr, 20);
    keccak256((const uint8_t *)value, sizeof value - 1, h);
    assert_hash(h, "0xa2b0d189104a26d06cad7614257160b9af619786268948f8881984dee8edd411");
    challenge_named(addr, (const uint8_t *)"1", 1, (const uint8_t *)value, sizeof value - 1, h);
    assert_hash(h, "0xa5e59f8e00ec80cb14d5e40090fa0dfab0117ff0d09ac3ee93a260f2d7dde5c9");
    assert_signed(h, "0xd044c03d3574344c73ed483b3bba7d78357828e8d8a505e17ee1a781501b2fe4", V3_AUTH, TS_OWNER_ADDR);
}

static void test_v4_requester_non_ascii(void **state)
{
    (void)state;
    static const uint8_t value[] = {0x70, 0xc3, 0xa4, 0x73, 0x73, 0x77, 0xc3, 0xb6, 0x72, 0x64, 0x20, 0xe2, 0x82, 0xac};
    assert_int_equal(sizeof value, 14);
    assert_memory_equal(value, "pässwörd €", 14);
    uint8_t addr[20], h[32];
    hexdec(TS_OWNER_ADDR_LC, addr, 20);
    keccak256((const uint8_t *)"my-key", 6, h);
    assert_hash(h, "0x6e82e7116150aabdba54d2af35b11cb9c616681829649bd0e985e5a7ee272442");
    keccak256(value, sizeof value, h);
    assert_hash(h, "0x1f17eced05fc6ba50c13131338b69c55194715744ef495f4dc327b580ff3aed5");
    challenge_named(addr, (const uint8_t *)"my-key", 6, value, sizeof value, h);
    assert_hash(h, "0xe3172642fc2d59ea72c73c304b0352c2a83eae0c9f73bef7a4bb12e84e87f0ef");
    assert_signed(h, "0x10b75b9b3b636fe165f639398be1d89e4ac53ff590ae2ff41a953f81291691a5", V4_AUTH, TS_OWNER_ADDR);
}

static void test_v5_tee_challenge(void **state)
{
    (void)state;
    uint8_t task[32], h[32], ref[32];
    /* The task id is keccak256("example-task"). */
    keccak256((const uint8_t *)"example-task", 12, h);
    assert_hash(h, TASK_ID);
    hexdec(TASK_ID, task, 32);
    /* Empty worker and enclave: NULL pointers with zero length, as the reference's
     * hexdec("") gives zero bytes. */
    challenge_workerpool_authorization(NULL, 0, task, 32, NULL, 0, h);
    assert_hash(h, "0xad925a72a47b5679423ef94b654870e16a58f8f0c9243d29e4c62891494bdeaf");
    keccak256(task, 32, ref);
    assert_memory_equal(ref, h, 32);
    /* Non-NULL empty parts give the same hash. */
    uint8_t dummy = 0xaa;
    challenge_workerpool_authorization(&dummy, 0, task, 32, &dummy, 0, ref);
    assert_memory_equal(ref, h, 32);
    assert_signed(h, "0x150dd405d8ec1a58e099ef31951dd67552c49e5b8cce86511f27800fd20bc0fb", V5_AUTH, TS_OWNER_ADDR);
}

static void test_v6_session(void **state)
{
    (void)state;
    uint8_t worker[20], task[32], enclave[20], h[32];
    hexdec(TS_WORKER_ADDR, worker, 20);
    hexdec(TASK_ID, task, 32);
    hexdec("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", enclave, 20);
    challenge_workerpool_authorization(worker, 20, task, 32, enclave, 20, h);
    assert_hash(h, "0x9baf50958d6c811f75dc4891a9f05ea76b74740008863373a20980c898c0b560");
    uint8_t concat[72], ref[32];
    memcpy(concat, worker, 20);
    memcpy(concat + 20, task, 32);
    memcpy(concat + 52, enclave, 20);
    keccak256(concat, sizeof concat, ref);
    assert_memory_equal(ref, h, 32);
    assert_signed(h, "0x45da9cb53d6e45659865b826f9a2860fbc14d25a659dc4915795a4eda6756b6d", V6_AUTH_WORKER,
                  TS_WORKER_ADDR);
    /* The body signature of V6 is the workerpool owner's over the same hash. */
    assert_int_equal(eth_verify_personal(h, V6_SIG_POOL, TS_OWNER_ADDR), SMS_OK);
    assert_int_equal(eth_verify_personal(h, V6_SIG_POOL, TS_WORKER_ADDR), SMS_EAUTH);
}

static void test_parts_are_not_interchangeable(void **state)
{
    (void)state;
    uint8_t addr[20], a[32], b[32];
    hexdec(TS_OWNER_ADDR, addr, 20);
    /* Hashing each part separately: moving bytes between name and value changes the result. */
    challenge_named(addr, (const uint8_t *)"ab", 2, (const uint8_t *)"c", 1, a);
    challenge_named(addr, (const uint8_t *)"a", 1, (const uint8_t *)"bc", 2, b);
    assert_memory_not_equal(a, b, 32);
    /* Empty name and value are legal inputs (an empty web2 name may be stored). */
    challenge_named(addr, (const uint8_t *)"", 0, (const uint8_t *)"", 0, a);
    uint8_t ref[32];
    ts_challenge_named(TS_OWNER_ADDR, "", 0, "", 0, ref);
    assert_memory_equal(a, ref, 32);
    /* web3 differs from named with an empty name (the name hash is a part of its own). */
    challenge_web3(addr, (const uint8_t *)"v", 1, a);
    challenge_named(addr, (const uint8_t *)"", 0, (const uint8_t *)"v", 1, b);
    assert_memory_not_equal(a, b, 32);
    /* The workerpool authorization is a plain concatenation: boundaries do not matter. */
    uint8_t bytes[72];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)(i * 7 + 1);
    challenge_workerpool_authorization(bytes, 20, bytes + 20, 32, bytes + 52, 20, a);
    challenge_workerpool_authorization(bytes, 0, bytes, 72, NULL, 0, b);
    assert_memory_equal(a, b, 32);
}

static void test_large_value(void **state)
{
    (void)state;
    /* Values longer than one keccak block (136 bytes) and the 4 KiB limit. */
    static uint8_t value[4097];
    for (size_t i = 0; i < sizeof value; i++) value[i] = (uint8_t)('a' + i % 26);
    uint8_t addr[20], h[32], ref[32];
    hexdec(TS_OWNER_ADDR, addr, 20);
    challenge_named(addr, (const uint8_t *)"k", 1, value, sizeof value, h);
    ts_challenge_named(TS_OWNER_ADDR, "k", 1, value, sizeof value, ref);
    assert_memory_equal(h, ref, 32);
    challenge_web3(addr, value, sizeof value, h);
    ts_challenge_web3(TS_OWNER_ADDR, value, sizeof value, ref);
    assert_memory_equal(h, ref, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain_and_fixed_index),
        cmocka_unit_test(test_v1_web2),
        cmocka_unit_test(test_v1_name_is_hashed_as_sent),
        cmocka_unit_test(test_v2_web3),
        cmocka_unit_test(test_v3_app),
        cmocka_unit_test(test_v4_requester_non_ascii),
        cmocka_unit_test(test_v5_tee_challenge),
        cmocka_unit_test(test_v6_session),
        cmocka_unit_test(test_parts_are_not_interchangeable),
        cmocka_unit_test(test_large_value),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
