/* Client-side signing for tests: challenges rebuilt from their parts with keccak256 only
 * (independently of src/secrets/challenge.c) and signed like the SDK does (EIP-191,
 * v 27/28). Keys are the development keys of sms-api.md 5.7. ethsig_init() must have
 * been called. */
#ifndef SMS_TEST_SIGN_H
#define SMS_TEST_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define TS_OWNER_KEY "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define TS_OWNER_ADDR "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define TS_OWNER_ADDR_LC "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
#define TS_OWNER_ADDR_UC "0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266"
#define TS_OWNER_ADDR_NOX "f39fd6e51aad88f6f4ce6ab8827279cfffb92266" /* no 0x: never matches a signer */
#define TS_WORKER_KEY "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
#define TS_WORKER_ADDR "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define TS_WORKER_ADDR_LC "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"

/* keccak256(keccak256("IEXEC_SMS_DOMAIN") || hexdec(address) || keccak256(name) || keccak256(value)) */
void ts_challenge_named(const char *address, const void *name, size_t name_len, const void *value, size_t value_len,
                        uint8_t out[32]);
/* keccak256(keccak256("IEXEC_SMS_DOMAIN") || hexdec(address) || keccak256(value)) */
void ts_challenge_web3(const char *address, const void *value, size_t value_len, uint8_t out[32]);
/* EIP-191 signature of a 32-byte challenge with a hex private key: "0x" + 130 hex. */
void ts_sign(const char *key_hex, const uint8_t challenge[32], char out[133]);
/* Shorthands: sign the named / web3 challenge. */
void ts_sign_named(const char *key_hex, const char *address, const char *name, const void *value, size_t value_len,
                   char out[133]);
void ts_sign_web3(const char *key_hex, const char *address, const void *value, size_t value_len, char out[133]);

#endif
