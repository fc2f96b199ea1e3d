/* EIP-191 signatures: every worked vector of sms-api.md 5.7 (challenges rebuilt from their
 * parts), the reference's quirks of 5.3.3, signing determinism and key generation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/hex.h"
#include "crypto/ethsig.h"
#include "crypto/keccak.h"

#define OWNER_KEY "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define OWNER_ADDR "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define OWNER_ADDR_LC "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
#define WORKER_KEY "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
#define WORKER_ADDR "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

#define V1_AUTH                                                                                                     \
    "0xd2a3456e9defda6eaa602fea37731001ced177dbcf35dcf88e357c5b2f1d1d51008b17e46974fa73c8d31e353ceb09aac998345169f" \
    "e9958b3c538c5e87dd6dc1c"

/* secp256k1 group order n, big-endian. */
static const uint8_t curve_n[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                                    0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

/* Growing byte buffer for challenge parts. */
typedef struct {
    uint8_t b[256];
    size_t n;
} parts;

static void add_hex(parts *p, const char *hex)
{
    size_t n = 0;
    assert_int_equal(hex_decode(hex, strlen(hex), p->b + p->n, sizeof p->b - p->n, &n), SMS_OK);
    p->n += n;
}

static void add_hash_of(parts *p, const void *data, size_t len)
{
    keccak256(data, len, p->b + p->n);
    p->n += 32;
}

static void add_hash_of_str(parts *p, const char *s) { add_hash_of(p, s, strlen(s)); }

static void add_domain(parts *p)
{
    add_hash_of_str(p, "IEXEC_SMS_DOMAIN");
    char h[65];
    hex_encode(p->b + p->n - 32, 32, h);
    assert_string_equal(h, "0a26923d45a019b77e856d0001681f98ab9707ec15b2b98048cc91eed00b6793");
}

static void parse32(const char *hex, uint8_t out[32])
{
    size_t n = 0;
    assert_int_equal(hex_decode(hex, strlen(hex), out, 32, &n), SMS_OK);
    assert_int_equal(n, 32);
}

/* Full check of one vector: challenge, EIP-191 hash, verification, recovered address and
 * exact re-signing with the signer's key (RFC 6979 gives the same bytes as ethers). */
static void check_vector(const parts *p, size_t want_len, const char *challenge_hex, const char *eip191_hex,
                         const char *auth, const char *key_hex, const char *signer)
{
    uint8_t challenge[32];
    uint8_t eip[32];
    char hex[67];
    assert_int_equal(p->n, want_len);
    keccak256(p->b, p->n, challenge);
    hex_encode_0x(challenge, 32, hex);
    assert_string_equal(hex, challenge_hex);
    eth_personal_hash32(challenge, eip);
    hex_encode_0x(eip, 32, hex);
    assert_string_equal(hex, eip191_hex);

    assert_int_equal(eth_verify_personal(challenge, auth, signer), SMS_OK);

    eth_signature sig;
    uint8_t addr[20];
    char addr_s[ETH_ADDRESS_STR_LEN];
    char want_lc[ETH_ADDRESS_STR_LEN];
    assert_int_equal(eth_signature_parse(auth, &sig), SMS_OK);
    assert_int_equal(eth_recover_personal(challenge, &sig, addr), SMS_OK);
    address_format(addr, addr_s);
    for (size_t i = 0; i < sizeof want_lc; i++) {
        char c = signer[i];
        want_lc[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    assert_string_equal(addr_s, want_lc);

    uint8_t key[32];
    char out[133];
    parse32(key_hex, key);
    assert_int_equal(eth_sign_personal(key, challenge, out), SMS_OK);
    assert_string_equal(out, auth);
}

static void test_v1_web2(void **state)
{
    (void)state;
    parts p = {.n = 0};
    add_domain(&p);
    add_hex(&p, OWNER_ADDR);
    add_hash_of_str(&p, "my-api-key");
    add_hash_of_str(&p, "Hello, SMS!");
    check_vector(&p, 116, "0xf3ea682150c55c90f87fba31189dea6ecb2579d1253a8821adb6c3825b1c5dc2",
                 "0xda876cf6a1f02e57b97576f399ae02e3c1ff798238b50c881edeaa4442dbe193", V1_AUTH, OWNER_KEY, OWNER_ADDR);
}

static void test_v2_web3(void **state)
{
    (void)state;
    parts p = {.n = 0};
    add_domain(&p);
    add_hex(&p, "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4");
    add_hash_of_str(&p, "Ke9aYzT0y2cZ8nC0Qm3xUw==");
    check_vector(&p, 84, "0x7bd8326e70c2109e2ad6d4bb038908d947f40c40428b009c7faea87dce2818d1",
                 "0xed9695a809df01d5f58c5343ad0e94c0f93700dc9c682ec16e6a20618a11397c",
                 "0xa4cbcd97cd77ea710ce764e9b7847c01dfc586cb0aae5da8a1c11f40c4237be3613e2e7293437cae17c2d998c7bbc4b0097f"
                 "0123d3d81d881ecefa183a3f4add1b",
                 OWNER_KEY, OWNER_ADDR_LC);
}

static void test_v3_app(void **state)
{
    (void)state;
    parts p = {.n = 0};
    add_domain(&p);
    add_hex(&p, "ab8483f64d9c6d1ecf9b849ae677dd3315835cb2");
    add_hash_of_str(&p, "1");
    add_hash_of_str(&p, "app developer secret");
    check_vector(&p, 116, "0xa5e59f8e00ec80cb14d5e40090fa0dfab0117ff0d09ac3ee93a260f2d7dde5c9",
                 "0xd044c03d3574344c73ed483b3bba7d78357828e8d8a505e17ee1a781501b2fe4",
                 "0x42514225e3473f477e3cba1e3f27a5bcb5cd9cf07e21610316bf13476950c2d441cca8efc53ebc509dbecc3514c38a7912"
                 "0124e07ba0cd04c7bd6a1af2f29a931c",
                 OWNER_KEY, OWNER_ADDR);
}

static void test_v4_requester_non_ascii(void **state)
{
    (void)state;
    static const uint8_t value[] = {0x70, 0xc3, 0xa4, 0x73, 0x73, 0x77, 0xc3,
                                    0xb6, 0x72, 0x64, 0x20, 0xe2, 0x82, 0xac};
    parts p = {.n = 0};
    add_domain(&p);
    add_hex(&p, "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
    add_hash_of_str(&p, "my-key");
    add_hash_of(&p, value, sizeof value);
    check_vector(&p, 116, "0xe3172642fc2d59ea72c73c304b0352c2a83eae0c9f73bef7a4bb12e84e87f0ef",
                 "0x10b75b9b3b636fe165f639398be1d89e4ac53ff590ae2ff41a953f81291691a5",
                 "0xebdc0b9197ab6c383c801a9ecb5e82d5784dce9d2f3120df8a312b63169d8d831028b0e79885ed3bf9fb6f2497215fd832"
                 "6874fa3ee15f69c94d05e822c5fbc11b",
                 OWNER_KEY, OWNER_ADDR);
}

static void test_v5_tee_challenge(void **state)
{
    (void)state;
    parts p = {.n = 0};
    add_hash_of_str(&p, "example-task");
    char task[67];
    hex_encode_0x(p.b, 32, task);
    assert_string_equal(task, "0x24c43b0c66feb087dfb5fb8d731db16cd620f76475ed68b81c1aba9de302a646");
    check_vector(&p, 32, "0xad925a72a47b5679423ef94b654870e16a58f8f0c9243d29e4c62891494bdeaf",
                 "0x150dd405d8ec1a58e099ef31951dd67552c49e5b8cce86511f27800fd20bc0fb",
                 "0x351bd6be3b9d166b0e701c0a9f0151e7376056d77a4341a0517fee7dc8a11c1947885d81fa57e5fc428e91a59a9f73cd14"
                 "8712453e3b7cf006b082bbed700b991b",
                 OWNER_KEY, OWNER_ADDR_LC);
}

static void test_v6_tee_session(void **state)
{
    (void)state;
    parts p = {.n = 0};
    add_hex(&p, WORKER_ADDR);
    add_hex(&p, "0x24c43b0c66feb087dfb5fb8d731db16cd620f76475ed68b81c1aba9de302a646");
    add_hex(&p, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    const char *chal = "0x9baf50958d6c811f75dc4891a9f05ea76b74740008863373a20980c898c0b560";
    const char *eip = "0x45da9cb53d6e45659865b826f9a2860fbc14d25a659dc4915795a4eda6756b6d";
    check_vector(&p, 72, chal, eip,
                 "0xc568527bd65af90b3490268116b5ff801d02ca3b5208ec135d86d284cf5622363bbd60331efbd09c03845fca0c9e8c4e5e"
                 "61b4be2c682f7622b30ce9dde1dbde1c",
                 WORKER_KEY, WORKER_ADDR);
    check_vector(&p, 72, chal, eip,
                 "0x7a8f498965086fbb4de597dc8b71d5b043f7d9107a887009a5d55f750517de9f25eb36155c28026d4725f404754f4e6d90"
                 "ecc2bd542fe24d5cabd1b835c002a01c",
                 OWNER_KEY, OWNER_ADDR_LC);
}

/* The V1 challenge, for the variation tests. */
static void v1_challenge(uint8_t c[32])
{
    parse32("0xf3ea682150c55c90f87fba31189dea6ecb2579d1253a8821adb6c3825b1c5dc2", c);
}

static void set_v(char sig[133], uint8_t v)
{
    char hx[3];
    hex_encode(&v, 1, hx);
    sig[130] = hx[0];
    sig[131] = hx[1];
}

static void test_v1_variation_v01_rejected(void **state)
{
    (void)state;
    uint8_t c[32];
    char sig[133];
    v1_challenge(c);
    memcpy(sig, V1_AUTH, sizeof sig);
    set_v(sig, 0x01);
    assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_EAUTH);
    set_v(sig, 0x00);
    assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_EAUTH);
}

static void test_v1_variation_no_prefix(void **state)
{
    (void)state;
    uint8_t c[32];
    v1_challenge(c);
    assert_int_equal(eth_verify_personal(c, &V1_AUTH[2], OWNER_ADDR), SMS_OK);
}

static void test_v1_variation_upper_case(void **state)
{
    (void)state;
    uint8_t c[32];
    char sig[133];
    v1_challenge(c);
    memcpy(sig, V1_AUTH, sizeof sig);
    for (size_t i = 2; i < 132; i++) {
        if (sig[i] >= 'a' && sig[i] <= 'f') sig[i] = (char)(sig[i] - 'a' + 'A');
    }
    assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_OK);
    assert_int_equal(eth_verify_personal(c, sig + 2, OWNER_ADDR), SMS_OK);
    /* "0X" is not a prefix for hexdec: X is an invalid digit */
    sig[1] = 'X';
    assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_EAUTH);
}

/* s' = n - s (big-endian subtraction). */
static void negate_s(uint8_t rs[64])
{
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = (int)curve_n[i] - (int)rs[32 + i] - borrow;
        borrow = d < 0;
        rs[32 + i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
}

static void test_v1_variation_high_s(void **state)
{
    (void)state;
    uint8_t c[32];
    eth_signature sig;
    v1_challenge(c);
    assert_int_equal(eth_signature_parse(V1_AUTH, &sig), SMS_OK);
    assert_int_equal(sig.v, 0x1c);
    negate_s(sig.rs);
    char s_hex[65];
    hex_encode(sig.rs + 32, 32, s_hex);
    assert_string_equal(s_hex, "ff74e81b968b058c372ce1cac314f653f116a895454a06e30c0d25c6e7b86a65");
    sig.v = 0x1b;
    uint8_t addr[20];
    char addr_s[ETH_ADDRESS_STR_LEN];
    assert_int_equal(eth_recover_personal(c, &sig, addr), SMS_OK);
    address_format(addr, addr_s);
    assert_string_equal(addr_s, OWNER_ADDR_LC);

    uint8_t raw[65];
    char text[133];
    memcpy(raw, sig.rs, 64);
    raw[64] = sig.v;
    hex_encode_0x(raw, sizeof raw, text);
    assert_int_equal(eth_verify_personal(c, text, OWNER_ADDR), SMS_OK);
    /* high s with the original v recovers someone else */
    set_v(text, 0x1c);
    assert_int_equal(eth_verify_personal(c, text, OWNER_ADDR), SMS_EAUTH);
}

static void test_short_signatures(void **state)
{
    (void)state;
    uint8_t c[32];
    eth_signature sig;
    v1_challenge(c);
    char sig64[131];
    memcpy(sig64, V1_AUTH, 130);
    sig64[130] = '\0'; /* "0x" + 128 digits = 64 bytes (EIP-2098 size) */
    assert_int_equal(eth_signature_parse(sig64, &sig), SMS_EINVAL);
    assert_int_equal(eth_verify_personal(c, sig64, OWNER_ADDR), SMS_EAUTH);
    assert_int_equal(eth_verify_personal(c, "", OWNER_ADDR), SMS_EAUTH);
    assert_int_equal(eth_verify_personal(c, "0x", OWNER_ADDR), SMS_EAUTH);
    assert_int_equal(eth_verify_personal(c, "0x1b", OWNER_ADDR), SMS_EAUTH);
    assert_int_equal(eth_verify_personal(c, NULL, OWNER_ADDR), SMS_EAUTH);
    assert_int_equal(eth_signature_parse("", &sig), SMS_EINVAL);
    assert_int_equal(eth_signature_parse(NULL, &sig), SMS_EINVAL);
    assert_int_equal(eth_signature_parse(V1_AUTH, NULL), SMS_EINVAL);
    /* 129 digits: decodes to 65 bytes with the odd-digit rule, but shifted -> wrong signer */
    char sig129[132];
    memcpy(sig129, V1_AUTH, 131);
    sig129[131] = '\0';
    assert_int_equal(eth_signature_parse(sig129, &sig), SMS_OK);
    assert_int_equal(eth_verify_personal(c, sig129, OWNER_ADDR), SMS_EAUTH);
}

static void test_v_out_of_range(void **state)
{
    (void)state;
    uint8_t c[32];
    char sig[133];
    v1_challenge(c);
    memcpy(sig, V1_AUTH, sizeof sig);
    static const uint8_t bad_v[] = {0, 1, 2, 26, 29, 30, 31, 32, 33, 34, 35, 0x7f, 0x80, 0xff};
    for (size_t i = 0; i < sizeof bad_v; i++) {
        set_v(sig, bad_v[i]);
        assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_EAUTH);
        eth_signature s;
        uint8_t addr[20];
        assert_int_equal(eth_signature_parse(sig, &s), SMS_OK); /* parse does not judge v */
        assert_int_equal(s.v, bad_v[i]);
        assert_int_equal(eth_recover_personal(c, &s, addr), SMS_EAUTH);
    }
    /* v = 27 with the V1 signature (made with recid 1) recovers another address */
    set_v(sig, 27);
    assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_EAUTH);
}

static void test_trailing_bytes_ignored(void **state)
{
    (void)state;
    uint8_t c[32];
    v1_challenge(c);
    char sig[200];
    int n = snprintf(sig, sizeof sig, "%s%s", V1_AUTH, "deadbeef00");
    assert_true(n > 0 && (size_t)n < sizeof sig);
    assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_OK);
    snprintf(sig, sizeof sig, "%s%s", &V1_AUTH[2], "00");
    assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_OK);
    /* invalid characters are refused even after byte 65 */
    snprintf(sig, sizeof sig, "%s%s", V1_AUTH, "zz");
    assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_EAUTH);
    /* whitespace is not hex */
    snprintf(sig, sizeof sig, "%s%s", V1_AUTH, "\n");
    assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_EAUTH);
    snprintf(sig, sizeof sig, " %s", V1_AUTH);
    assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_EAUTH);
}

static void test_length_bound(void **state)
{
    (void)state;
    uint8_t c[32];
    v1_challenge(c);
    char sig[1100];
    /* exactly 1024 digits after "0x": accepted */
    memcpy(sig, V1_AUTH, 132);
    memset(sig + 132, '0', 1024 - 130);
    sig[2 + 1024] = '\0';
    assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_OK);
    /* 1024 digits without the prefix as well */
    memcpy(sig, &V1_AUTH[2], 130);
    memset(sig + 130, '0', 1024 - 130);
    sig[1024] = '\0';
    assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_OK);
    /* 1026 digits: over the bound */
    memcpy(sig, V1_AUTH, 132);
    memset(sig + 132, '0', 1026 - 130);
    sig[2 + 1026] = '\0';
    eth_signature s;
    assert_int_equal(eth_signature_parse(sig, &s), SMS_EINVAL);
    assert_int_equal(eth_verify_personal(c, sig, OWNER_ADDR), SMS_EAUTH);
}

static void test_expected_address_forms(void **state)
{
    (void)state;
    uint8_t c[32];
    v1_challenge(c);
    assert_int_equal(eth_verify_personal(c, V1_AUTH, OWNER_ADDR_LC), SMS_OK);
    assert_int_equal(eth_verify_personal(c, V1_AUTH, "0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266"), SMS_OK);
    /* the reference compares "0x..." with equalsIgnoreCase, so "0X" matches too */
    assert_int_equal(eth_verify_personal(c, V1_AUTH, "0XF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266"), SMS_OK);
    /* without the prefix it can never match */
    assert_int_equal(eth_verify_personal(c, V1_AUTH, "f39fd6e51aad88f6f4ce6ab8827279cfffb92266"), SMS_EAUTH);
    assert_int_equal(eth_verify_personal(c, V1_AUTH, "0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226"), SMS_EAUTH);
    assert_int_equal(eth_verify_personal(c, V1_AUTH, "0xf39fd6e51aad88f6f4ce6ab8827279cfffb922660"), SMS_EAUTH);
    assert_int_equal(eth_verify_personal(c, V1_AUTH, "0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226g"), SMS_EAUTH);
    assert_int_equal(eth_verify_personal(c, V1_AUTH, "1xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"), SMS_EAUTH);
    assert_int_equal(eth_verify_personal(c, V1_AUTH, " 0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226"), SMS_EAUTH);
    assert_int_equal(eth_verify_personal(c, V1_AUTH, ""), SMS_EAUTH);
    assert_int_equal(eth_verify_personal(c, V1_AUTH, NULL), SMS_EAUTH);
    assert_int_equal(eth_verify_personal(NULL, V1_AUTH, OWNER_ADDR), SMS_EAUTH);
    /* someone else */
    assert_int_equal(eth_verify_personal(c, V1_AUTH, WORKER_ADDR), SMS_EAUTH);
    assert_int_equal(eth_verify_personal(c, V1_AUTH, "0x0000000000000000000000000000000000000000"), SMS_EAUTH);
}

static void test_wrong_message(void **state)
{
    (void)state;
    uint8_t c[32];
    v1_challenge(c);
    c[31] ^= 1;
    assert_int_equal(eth_verify_personal(c, V1_AUTH, OWNER_ADDR), SMS_EAUTH);
}

static void test_degenerate_r_s(void **state)
{
    (void)state;
    uint8_t c[32];
    v1_challenge(c);
    eth_signature good;
    assert_int_equal(eth_signature_parse(V1_AUTH, &good), SMS_OK);
    uint8_t addr[20];

    eth_signature s = good;
    memset(s.rs, 0, 32); /* r = 0 */
    assert_int_equal(eth_recover_personal(c, &s, addr), SMS_EAUTH);
    s = good;
    memset(s.rs + 32, 0, 32); /* s = 0 */
    assert_int_equal(eth_recover_personal(c, &s, addr), SMS_EAUTH);
    s = good;
    memset(s.rs, 0, 64);
    assert_int_equal(eth_recover_personal(c, &s, addr), SMS_EAUTH);
    s = good;
    memcpy(s.rs, curve_n, 32); /* r = n */
    assert_int_equal(eth_recover_personal(c, &s, addr), SMS_EAUTH);
    s = good;
    memcpy(s.rs + 32, curve_n, 32); /* s = n */
    assert_int_equal(eth_recover_personal(c, &s, addr), SMS_EAUTH);
    s = good;
    memset(s.rs, 0xff, 64);
    assert_int_equal(eth_recover_personal(c, &s, addr), SMS_EAUTH);
    /* r = 5 has no point with x = 5 on secp256k1 (5^3 + 7 = 132 is not a square mod p):
     * either way it must not recover the owner */
    s = good;
    memset(s.rs, 0, 32);
    s.rs[31] = 5;
    sms_status st = eth_recover_personal(c, &s, addr);
    if (st == SMS_OK) {
        char a[ETH_ADDRESS_STR_LEN];
        address_format(addr, a);
        assert_string_not_equal(a, OWNER_ADDR_LC);
    } else {
        assert_int_equal(st, SMS_EAUTH);
    }
    assert_int_equal(eth_recover_personal(NULL, &good, addr), SMS_EAUTH);
    assert_int_equal(eth_recover_personal(c, NULL, addr), SMS_EAUTH);
    assert_int_equal(eth_recover_personal(c, &good, NULL), SMS_EAUTH);
}

static void test_address_of_known_keys(void **state)
{
    (void)state;
    uint8_t key[32];
    uint8_t addr[20];
    char s[ETH_ADDRESS_STR_LEN];
    parse32(OWNER_KEY, key);
    assert_int_equal(eth_address_of(key, addr), SMS_OK);
    address_format(addr, s);
    assert_string_equal(s, OWNER_ADDR_LC);
    parse32(WORKER_KEY, key);
    assert_int_equal(eth_address_of(key, addr), SMS_OK);
    address_format(addr, s);
    assert_string_equal(s, "0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
}

static void test_invalid_secret_keys(void **state)
{
    (void)state;
    uint8_t key[32];
    uint8_t addr[20];
    uint8_t msg[32] = {0};
    char out[133];
    memset(key, 0, sizeof key);
    assert_int_equal(eth_address_of(key, addr), SMS_EINVAL);
    assert_int_equal(eth_sign_personal(key, msg, out), SMS_EINVAL);
    memcpy(key, curve_n, 32);
    assert_int_equal(eth_address_of(key, addr), SMS_EINVAL);
    assert_int_equal(eth_sign_personal(key, msg, out), SMS_EINVAL);
    memset(key, 0xff, sizeof key);
    assert_int_equal(eth_address_of(key, addr), SMS_EINVAL);
    assert_int_equal(eth_sign_personal(key, msg, out), SMS_EINVAL);
    assert_int_equal(eth_address_of(NULL, addr), SMS_EINVAL);
    assert_int_equal(eth_sign_personal(NULL, msg, out), SMS_EINVAL);
    parse32(OWNER_KEY, key);
    assert_int_equal(eth_address_of(key, NULL), SMS_EINVAL);
    assert_int_equal(eth_sign_personal(key, NULL, out), SMS_EINVAL);
    assert_int_equal(eth_sign_personal(key, msg, NULL), SMS_EINVAL);
}

static void test_sign_round_trip(void **state)
{
    (void)state;
    uint8_t key[32];
    parse32(WORKER_KEY, key);
    for (int i = 0; i < 64; i++) {
        uint8_t msg[32];
        char sig[133];
        for (int j = 0; j < 32; j++) msg[j] = (uint8_t)(i * 31 + j);
        assert_int_equal(eth_sign_personal(key, msg, sig), SMS_OK);
        assert_int_equal(strlen(sig), 132);
        assert_true(sig[0] == '0' && sig[1] == 'x');
        assert_true(strcmp(sig + 130, "1b") == 0 || strcmp(sig + 130, "1c") == 0);
        assert_int_equal(eth_verify_personal(msg, sig, WORKER_ADDR), SMS_OK);
        assert_int_equal(eth_verify_personal(msg, sig, OWNER_ADDR), SMS_EAUTH);
        /* deterministic */
        char again[133];
        assert_int_equal(eth_sign_personal(key, msg, again), SMS_OK);
        assert_string_equal(sig, again);
    }
}

static void test_keypair_generate(void **state)
{
    (void)state;
    uint8_t k1[32];
    uint8_t k2[32];
    uint8_t a1[20];
    uint8_t a2[20];
    uint8_t chk[20];
    assert_int_equal(eth_keypair_generate(k1, a1), SMS_OK);
    assert_int_equal(eth_keypair_generate(k2, a2), SMS_OK);
    assert_memory_not_equal(k1, k2, 32);
    assert_memory_not_equal(a1, a2, 20);
    assert_int_equal(eth_address_of(k1, chk), SMS_OK);
    assert_memory_equal(chk, a1, 20);
    assert_int_equal(eth_address_of(k2, chk), SMS_OK);
    assert_memory_equal(chk, a2, 20);
    /* the generated key signs for its address */
    uint8_t msg[32] = {1, 2, 3};
    char sig[133];
    char addr[ETH_ADDRESS_STR_LEN];
    assert_int_equal(eth_sign_personal(k1, msg, sig), SMS_OK);
    address_format(a1, addr);
    assert_int_equal(eth_verify_personal(msg, sig, addr), SMS_OK);
    assert_int_equal(eth_keypair_generate(NULL, a1), SMS_ERR);
    assert_int_equal(eth_keypair_generate(k1, NULL), SMS_ERR);
}

static void test_init_idempotent_and_lazy(void **state)
{
    (void)state;
    uint8_t c[32];
    v1_challenge(c);
    assert_int_equal(ethsig_init(), SMS_OK);
    assert_int_equal(ethsig_init(), SMS_OK);
    assert_int_equal(eth_verify_personal(c, V1_AUTH, OWNER_ADDR), SMS_OK);
    ethsig_cleanup();
    ethsig_cleanup();
    /* a forgotten init is recovered from */
    assert_int_equal(eth_verify_personal(c, V1_AUTH, OWNER_ADDR), SMS_OK);
    assert_int_equal(ethsig_init(), SMS_OK);
}

static int setup(void **state)
{
    (void)state;
    return ethsig_init() == SMS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ethsig_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_web2),
        cmocka_unit_test(test_v2_web3),
        cmocka_unit_test(test_v3_app),
        cmocka_unit_test(test_v4_requester_non_ascii),
        cmocka_unit_test(test_v5_tee_challenge),
        cmocka_unit_test(test_v6_tee_session),
        cmocka_unit_test(test_v1_variation_v01_rejected),
        cmocka_unit_test(test_v1_variation_no_prefix),
        cmocka_unit_test(test_v1_variation_upper_case),
        cmocka_unit_test(test_v1_variation_high_s),
        cmocka_unit_test(test_short_signatures),
        cmocka_unit_test(test_v_out_of_range),
        cmocka_unit_test(test_trailing_bytes_ignored),
        cmocka_unit_test(test_length_bound),
        cmocka_unit_test(test_expected_address_forms),
        cmocka_unit_test(test_wrong_message),
        cmocka_unit_test(test_degenerate_r_s),
        cmocka_unit_test(test_address_of_known_keys),
        cmocka_unit_test(test_invalid_secret_keys),
        cmocka_unit_test(test_sign_round_trip),
        cmocka_unit_test(test_keypair_generate),
        cmocka_unit_test(test_init_idempotent_and_lazy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
