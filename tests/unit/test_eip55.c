/* EIP-55 checksums against the vectors of the EIP itself and the addresses of the specs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/eip55.h"

static const char *const vectors[] = {
    /* EIP-55: all caps, all lower, normal */
    "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    /* tee-sessions.md 2.6 and sms-api.md 5.7 */
    "0x1563915e194D8CfBA1943570603F7606A3115508", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
    "0x5CbDd86a2FA8Dc4bDdd8a8f69dBa48572EeC07FB", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
};

static void lower_of(const char *in, char *out)
{
    for (size_t i = 0; i <= strlen(in); i++) out[i] = (in[i] >= 'A' && in[i] <= 'F') ? (char)(in[i] + 32) : in[i];
}

static void upper_digits_of(const char *in, char *out)
{
    for (size_t i = 0; i <= strlen(in); i++) out[i] = (i >= 2 && in[i] >= 'a' && in[i] <= 'f') ? (char)(in[i] - 32) : in[i];
}

static void test_vectors_from_any_case(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char lower[ETH_ADDRESS_STR_LEN], upper[ETH_ADDRESS_STR_LEN], out[ETH_ADDRESS_STR_LEN];
        lower_of(vectors[i], lower);
        upper_digits_of(vectors[i], upper);
        memset(out, 0, sizeof out);
        assert_int_equal(eip55_checksum(lower, out), SMS_OK);
        assert_string_equal(out, vectors[i]);
        assert_int_equal(eip55_checksum(upper, out), SMS_OK);
        assert_string_equal(out, vectors[i]);
        assert_int_equal(eip55_checksum(vectors[i], out), SMS_OK);
        assert_string_equal(out, vectors[i]);
    }
}

static void test_malformed(void **state)
{
    (void)state;
    char out[ETH_ADDRESS_STR_LEN] = "untouched";
    assert_int_equal(eip55_checksum(NULL, out), SMS_EINVAL);
    assert_int_equal(eip55_checksum("", out), SMS_EINVAL);
    assert_int_equal(eip55_checksum("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", out), SMS_EINVAL);
    assert_int_equal(eip55_checksum("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", out), SMS_EINVAL);
    assert_int_equal(eip55_checksum("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd", out), SMS_EINVAL);
    assert_int_equal(eip55_checksum("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", out), SMS_EINVAL);
    assert_int_equal(eip55_checksum("0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", out), SMS_EINVAL);
    assert_string_equal(out, "untouched");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_from_any_case),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
