#include <string.h>

#include "crypto/eip55.h"
#include "crypto/keccak.h"

sms_status eip55_checksum(const char *address, char out[ETH_ADDRESS_STR_LEN])
{
    uint8_t raw[ETH_ADDRESS_LEN];
    char lower[ETH_ADDRESS_STR_LEN];
    uint8_t hash[32];
    if (address == NULL || address_parse(address, raw) != SMS_OK) return SMS_EINVAL;
    address_format(raw, lower);
    /* The hash is over the 40 ASCII digits, without the "0x". */
    keccak256((const uint8_t *)lower + 2, 40, hash);
    for (size_t i = 0; i < 40; i++) {
        char c = lower[2 + i];
        unsigned nibble = (i % 2 == 0) ? (unsigned)(hash[i / 2] >> 4) : (unsigned)(hash[i / 2] & 0x0f);
        if (c >= 'a' && c <= 'f' && nibble >= 8) c = (char)(c - 'a' + 'A');
        lower[2 + i] = c;
    }
    memcpy(out, lower, ETH_ADDRESS_STR_LEN);
    return SMS_OK;
}
