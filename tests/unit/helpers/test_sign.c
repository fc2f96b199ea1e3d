#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/hex.h"
#include "crypto/ethsig.h"
#include "crypto/keccak.h"
#include "helpers/test_sign.h"

static size_t put_domain_and_address(uint8_t *buf, const char *address)
{
    static const char domain[] = "IEXEC_SMS_DOMAIN";
    size_t n = 0;
    keccak256((const uint8_t *)domain, sizeof domain - 1, buf);
    assert_int_equal(hex_decode(address, strlen(address), buf + 32, 20, &n), SMS_OK);
    assert_int_equal(n, 20);
    return 52;
}

void ts_challenge_named(const char *address, const void *name, size_t name_len, const void *value, size_t value_len,
                        uint8_t out[32])
{
    uint8_t buf[116];
    size_t o = put_domain_and_address(buf, address);
    keccak256(name, name_len, buf + o);
    keccak256(value, value_len, buf + o + 32);
    keccak256(buf, sizeof buf, out);
}

void ts_challenge_web3(const char *address, const void *value, size_t value_len, uint8_t out[32])
{
    uint8_t buf[84];
    size_t o = put_domain_and_address(buf, address);
    keccak256(value, value_len, buf + o);
    keccak256(buf, sizeof buf, out);
}

void ts_sign(const char *key_hex, const uint8_t challenge[32], char out[133])
{
    uint8_t key[32];
    size_t n = 0;
    assert_int_equal(hex_decode(key_hex, strlen(key_hex), key, sizeof key, &n), SMS_OK);
    assert_int_equal(n, 32);
    assert_int_equal(eth_sign_personal(key, challenge, out), SMS_OK);
    memset(key, 0, sizeof key);
}

void ts_sign_named(const char *key_hex, const char *address, const char *name, const void *value, size_t value_len,
                   char out[133])
{
    uint8_t ch[32];
    ts_challenge_named(address, name, strlen(name), value, value_len, ch);
    ts_sign(key_hex, ch, out);
}

void ts_sign_web3(const char *key_hex, const char *address, const void *value, size_t value_len, char out[133])
{
    uint8_t ch[32];
    ts_challenge_web3(address, value, value_len, ch);
    ts_sign(key_hex, ch, out);
}
