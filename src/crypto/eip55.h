/* EIP-55 mixed-case checksum encoding of Ethereum addresses (the worker address placed into
 * sessions, tee-sessions.md 5.1). */
#ifndef SMS_EIP55_H
#define SMS_EIP55_H

#include "core/hex.h"
#include "core/status.h"

/* Checksummed form of `address` into out[ETH_ADDRESS_STR_LEN] ("0x" + 40 hex digits whose
 * letters are upper-cased where the matching nibble of keccak256(lower-case hex) is >= 8).
 *   address : "0x" + 40 hex digits of any case (the strict syntax of address_parse)
 *   out     : written only on success
 * Returns SMS_OK or SMS_EINVAL (NULL or malformed address). The input's own mixed case is
 * not validated: any case gives the same output. */
sms_status eip55_checksum(const char *address, char out[ETH_ADDRESS_STR_LEN]);

#endif
