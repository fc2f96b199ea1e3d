/* Test-only fixture for TEE session tests: a real secrets service on a temporary SQLite
 * store, EOA keys of the task's parties, secret insertion (signed through the service for
 * web2/requester secrets, sealed directly into the store for web3/app secrets, whose owner
 * check needs a chain) and a hand-built PoCo bundle of the tee-sessions.md 6.8 scenario.
 * Header-only (static inline) so only the tests that include it carry it. */
#ifndef SMS_TEST_SESSION_FIXTURE_H
#define SMS_TEST_SESSION_FIXTURE_H

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hex.h"
#include "crypto/aead.h"
#include "crypto/ethsig.h"
#include "secrets/challenge.h"
#include "secrets/secrets.h"
#include "store/store.h"
#include "tee/task_description.h"

#define SF_ZERO_ADDR "0x0000000000000000000000000000000000000000"
#define SF_APP "0xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define SF_DATASET "0x9d0a2c1e7f5b3a4c6d8e0f1a2b3c4d5e6f7a8b9c"
#define SF_CALLBACK "0xd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4"
#define SF_FP "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b"
#define SF_DATASET_URI "/ipfs/QmUbh7ugQ9WVprTVYjzrCS4d9cCy73zUz4MMchsrqzzu1w"
#define SF_CHECKSUM "0x5d008f22f8f878fd58473a634cc73d41049fc0d19b81002eaae221ac5a446a3e"
#define SF_APP_URI "docker.io/org/app:1.0.0"
#define SF_APP_CHECKSUM "0x1212121212121212121212121212121212121212121212121212121212121212"
#define SF_TASK_ID "0x3b31255a9f930bb80359c3ba2fef22133cd773f2653bd87c6035861658aa0882"
#define SF_DEAL_ID "0x1111111111111111111111111111111111111111111111111111111111111111"
#define SF_WORKER "0x1563915e194D8CfBA1943570603F7606A3115508" /* EIP-55, key 0x22..22 */
#define SF_ENCLAVE "0x5cbdd86a2fa8dc4bddd8a8f69dba48572eec07fb"
#define SF_CHALLENGE_KEY "0x3333333333333333333333333333333333333333333333333333333333333333"
#define SF_ENCLAVE_JSON                                                                                            \
    "{\"framework\":\"SCONE\",\"version\":\"v5\",\"entrypoint\":\"python3 /app/app.py\",\"heapSize\":1073741824," \
    "\"fingerprint\":\"" SF_FP "\"}"
#define SF_PARAMS_68                                                                                               \
    "{\"iexec_args\":\"--verbose\",\"iexec_input_files\":[\"https://example.com/data.csv\"],"                      \
    "\"iexec_secrets\":{\"1\":\"my-api-key\"},\"iexec_result_encryption\":true,"                                   \
    "\"iexec_result_storage_provider\":\"ipfs\"}"

/* A party of the task: private key and lower-case address. */
typedef struct {
    uint8_t key[32];
    char addr[ETH_ADDRESS_STR_LEN];
} sf_party;

typedef struct {
    char dir[512];
    sms_store *store;
    aead_key *aead;
    secrets_service *svc;
    sf_party worker;      /* 0x22..22 (tee-sessions 2.6) */
    sf_party pool_owner;  /* 0x4c08...2318 (tee-sessions 2.6) */
    sf_party requester;   /* 0x44..44 */
    sf_party beneficiary; /* 0x55..55 */
} sf_fixture;

static inline void sf_party_init(sf_party *p, const uint8_t key[32])
{
    uint8_t a[20];
    memcpy(p->key, key, 32);
    if (eth_address_of(key, a) != SMS_OK) abort();
    address_format(a, p->addr);
}

static inline int sf_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Returns 0 on success. */
static inline int sf_setup(sf_fixture *fx)
{
    uint8_t k[32];
    char url[600];
    char err[256];
    memset(fx, 0, sizeof *fx);
    if (ethsig_init() != SMS_OK) return -1;
    const char *base = getenv("SMS_TEST_TMPDIR");
    if (base == NULL || *base == '\0') base = "/tmp";
    if (mkdir(base, 0700) != 0 && errno != EEXIST) base = "/tmp";
    snprintf(fx->dir, sizeof fx->dir, "%s/test_session-XXXXXX", base);
    if (mkdtemp(fx->dir) == NULL) return -1;
    snprintf(url, sizeof url, "sqlite:%s/x.sqlite", fx->dir);
    if (store_open(url, &fx->store, err, sizeof err) != SMS_OK) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    for (int i = 0; i < 32; i++) k[i] = (uint8_t)(i * 7 + 1);
    if (aead_key_new(k, sizeof k, &fx->aead) != SMS_OK) return -1;
    if (secrets_service_new(fx->store, fx->aead, NULL, NULL, 1000, &fx->svc) != SMS_OK) return -1;
    memset(k, 0x22, 32);
    sf_party_init(&fx->worker, k);
    size_t n = 0;
    if (hex_decode("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", 64, k, 32, &n) != SMS_OK)
        return -1;
    sf_party_init(&fx->pool_owner, k);
    memset(k, 0x44, 32);
    sf_party_init(&fx->requester, k);
    memset(k, 0x55, 32);
    sf_party_init(&fx->beneficiary, k);
    return 0;
}

static inline void sf_teardown(sf_fixture *fx)
{
    secrets_service_free(fx->svc);
    store_close(fx->store);
    aead_key_free(fx->aead);
    if (fx->dir[0] != '\0') nftw(fx->dir, sf_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    memset(fx, 0, sizeof *fx);
}

/* Web2 secret pushed by its owner (signed challenge). */
static inline sms_status sf_put_web2(sf_fixture *fx, const sf_party *owner, const char *name, const char *value)
{
    uint8_t a[20];
    uint8_t ch[32];
    char sig[133];
    if (address_parse(owner->addr, a) != SMS_OK) abort();
    challenge_named(a, (const uint8_t *)name, strlen(name), (const uint8_t *)value, strlen(value), ch);
    if (eth_sign_personal(owner->key, ch, sig) != SMS_OK) abort();
    return secrets_set_web2(fx->svc, owner->addr, name, (const uint8_t *)value, strlen(value), sig, 0);
}

/* Requester secret pushed by the requester. */
static inline sms_status sf_put_requester(sf_fixture *fx, const char *key, const char *value)
{
    uint8_t a[20];
    uint8_t ch[32];
    char sig[133];
    if (address_parse(fx->requester.addr, a) != SMS_OK) abort();
    challenge_named(a, (const uint8_t *)key, strlen(key), (const uint8_t *)value, strlen(value), ch);
    if (eth_sign_personal(fx->requester.key, ch, sig) != SMS_OK) abort();
    return secrets_set_requester(fx->svc, fx->requester.addr, key, (const uint8_t *)value, strlen(value), sig);
}

/* Sealed record written straight into the store, bound to its identity the way the secrets
 * service binds it (associated data "iexec-sms/secret/v1\0" kind owner "\0" name). Used for
 * web3 and app secrets, whose push needs an on-chain owner() call. */
static inline sms_status sf_put_sealed(sf_fixture *fx, secret_kind kind, const char *owner, const char *name,
                                       const char *value)
{
    static const char tag[] = "iexec-sms/secret/v1";
    uint8_t ad[512];
    uint8_t rec[8192];
    size_t o = 0;
    size_t rec_len = 0;
    size_t vlen = strlen(value);
    if (sizeof tag + strlen(owner) + strlen(name) + 2 > sizeof ad || vlen + AEAD_OVERHEAD > sizeof rec) abort();
    memcpy(ad, tag, sizeof tag);
    o = sizeof tag;
    ad[o++] = (uint8_t)kind;
    memcpy(ad + o, owner, strlen(owner));
    o += strlen(owner);
    ad[o++] = 0;
    memcpy(ad + o, name, strlen(name));
    o += strlen(name);
    sms_status st = aead_seal(fx->aead, ad, o, (const uint8_t *)value, vlen, rec, sizeof rec, &rec_len);
    if (st != SMS_OK) return st;
    secret_id id = {kind, owner, name};
    return store_secret_insert(fx->store, &id, rec, rec_len);
}

static inline sms_status sf_put_dataset_key(sf_fixture *fx, const char *dataset, const char *value)
{
    return sf_put_sealed(fx, SECRET_WEB3, dataset, "", value);
}

static inline sms_status sf_put_app_secret(sf_fixture *fx, const char *value)
{
    return sf_put_sealed(fx, SECRET_APP, SF_APP, "1", value);
}

static inline char *sf_dup(const char *s, size_t *len)
{
    *len = strlen(s);
    char *d = strdup(s);
    if (d == NULL) abort();
    return d;
}

/* Bundle of the 6.8 scenario (deal 0x11..11, index 3, bot 0+4), parameterised. tag_low: 3
 * SCONE, 5 GRAMINE, 9 TDX. mrenclave NULL = "" (no configuration). */
static inline void sf_bundle(const sf_fixture *fx, struct poco_bundle *b, const char *params, const char *mrenclave,
                             int with_dataset, uint8_t tag_low)
{
    memset(b, 0, sizeof *b);
    memset(b->task.deal_id, 0x11, 32);
    b->task.idx = 3;
    b->task.status = POCO_TASK_ACTIVE;
    b->task.final_deadline = 1700000000;
    snprintf(b->deal.app, POCO_ADDR_STR, "%s", SF_APP);
    snprintf(b->deal.dataset, POCO_ADDR_STR, "%s", with_dataset ? SF_DATASET : SF_ZERO_ADDR);
    snprintf(b->deal.workerpool_owner, POCO_ADDR_STR, "%s", fx->pool_owner.addr);
    snprintf(b->deal.requester, POCO_ADDR_STR, "%s", fx->requester.addr);
    snprintf(b->deal.beneficiary, POCO_ADDR_STR, "%s", fx->beneficiary.addr);
    snprintf(b->deal.callback, POCO_ADDR_STR, "%s", SF_ZERO_ADDR);
    b->deal.tag[31] = tag_low;
    b->deal.params = sf_dup(params, &b->deal.params_len);
    b->deal.start_time = 1;
    b->deal.bot_first = 0;
    b->deal.bot_size = 4;
    b->category.work_clock_time_ref = 300;
    b->app.multiaddr = sf_dup(SF_APP_URI, &b->app.multiaddr_len);
    snprintf(b->app.checksum, POCO_B32_STR, "%s", SF_APP_CHECKSUM);
    b->app.mrenclave = sf_dup(mrenclave != NULL ? mrenclave : "", &b->app.mrenclave_len);
    b->has_dataset = with_dataset;
    if (with_dataset) {
        b->dataset.uri = sf_dup(SF_DATASET_URI, &b->dataset.uri_len);
        snprintf(b->dataset.checksum, POCO_B32_STR, "%s", SF_CHECKSUM);
    }
}

/* Task description of sf_bundle (the bundle is released). */
static inline void sf_td(const sf_fixture *fx, task_description *td, const char *params, const char *mrenclave,
                         int with_dataset, uint8_t tag_low)
{
    struct poco_bundle b;
    sf_bundle(fx, &b, params, mrenclave, with_dataset, tag_low);
    if (task_description_from_bundle(&b, td) != SMS_OK) abort();
    poco_bundle_clear(&b);
}

#endif
