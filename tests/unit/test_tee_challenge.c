/* Enclave challenges (src/tee/tee_challenge.c) on a real SQLite store: task key
 * normalisation, idempotent and concurrent get-or-create, deadline, sealing bound to the
 * task, and the integrity checks of tee_challenge_open. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <openssl/rand.h>

#include "core/hex.h"
#include "core/secure.h"
#include "crypto/aead.h"
#include "crypto/ethsig.h"
#include "helpers/tmpdir.h"
#include "metrics/metrics.h"
#include "secrets/secrets.h"
#include "store/store.h"
#include "tee/tee_challenge.h"

#define TASK_A "0x24c43b0c66feb087dfb5fb8d731db16cd620f76475ed68b81c1aba9de302a646"
#define TASK_B "0x3b31255a9f930bb80359c3ba2fef22133cd773f2653bd87c6035861658aa0882"

typedef struct {
    char *dir;
    sms_store *store;
    aead_key *key;
    secrets_service *secrets;
    sms_metrics *metrics;
} fx;

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    char db[1200], url[1300], err[256];
    uint8_t raw[32];
    static const char *const labels[] = {"/x"};
    if (x == NULL || (x->dir = tmpdir_make("tee-challenge")) == NULL) return -1;
    tmpdir_join(x->dir, "c.sqlite", db, sizeof db);
    snprintf(url, sizeof url, "sqlite:%s", db);
    if (store_open(url, &x->store, err, sizeof err) != SMS_OK) return -1;
    if (RAND_bytes(raw, sizeof raw) != 1 || aead_key_new(raw, sizeof raw, &x->key) != SMS_OK) return -1;
    secure_zero(raw, sizeof raw);
    x->metrics = metrics_new(labels, 1);
    if (x->metrics == NULL) return -1;
    if (secrets_service_new(x->store, x->key, NULL, x->metrics, 100, &x->secrets) != SMS_OK) return -1;
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    secrets_service_free(x->secrets);
    store_close(x->store);
    aead_key_free(x->key);
    metrics_free(x->metrics);
    tmpdir_remove(x->dir);
    free(x);
    return 0;
}

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

static void assert_lower_address(const char *a)
{
    assert_int_equal(strlen(a), 42);
    assert_int_equal(address_parse(a, NULL), SMS_OK);
    for (size_t i = 2; i < 42; i++) assert_false(a[i] >= 'A' && a[i] <= 'F');
}

static int64_t added_challenges(sms_metrics *m)
{
    json_t *j = metrics_secrets_json(m);
    assert_non_null(j);
    json_t *c = json_object_get(json_object_get(j, "secretsMetrics"), "TEE challenges");
    int64_t n = (int64_t)json_integer_value(json_object_get(c, "addedSinceStartCount"));
    json_decref(j);
    return n;
}

static void test_task_key(void **state)
{
    (void)state;
    char k[POCO_B32_STR];
    assert_int_equal(tee_challenge_task_key(TASK_A, k), SMS_OK);
    assert_string_equal(k, TASK_A);
    assert_int_equal(tee_challenge_task_key("0x24C43B0C66FEB087DFB5FB8D731DB16CD620F76475ED68B81C1ABA9DE302A646", k),
                     SMS_OK);
    assert_string_equal(k, TASK_A);
    assert_int_equal(tee_challenge_task_key(NULL, k), SMS_EINVAL);
    assert_int_equal(tee_challenge_task_key("", k), SMS_EINVAL);
    assert_int_equal(tee_challenge_task_key(&(TASK_A)[2], k), SMS_EINVAL);
    assert_int_equal(tee_challenge_task_key("0X24c43b0c66feb087dfb5fb8d731db16cd620f76475ed68b81c1aba9de302a646", k),
                     SMS_EINVAL);
    assert_int_equal(tee_challenge_task_key(TASK_A "0", k), SMS_EINVAL);
    assert_int_equal(tee_challenge_task_key("0x24c43b0c66feb087dfb5fb8d731db16cd620f76475ed68b81c1aba9de302a64", k),
                     SMS_EINVAL);
    assert_int_equal(tee_challenge_task_key("0x24c43b0c66feb087dfb5fb8d731db16cd620f76475ed68b81c1aba9de302a64g", k),
                     SMS_EINVAL);
}

static void test_get_or_create_idempotent(void **state)
{
    fx *x = *state;
    char a1[POCO_ADDR_STR], a2[POCO_ADDR_STR], b1[POCO_ADDR_STR];
    int created = -1;
    assert_int_equal(tee_challenge_get_or_create(x->store, x->secrets, x->metrics, TASK_A, 1795393379000, a1, &created),
                     SMS_OK);
    assert_int_equal(created, 1);
    assert_lower_address(a1);
    assert_int_equal(added_challenges(x->metrics), 1);
    assert_int_equal(tee_challenge_get_or_create(x->store, x->secrets, x->metrics, TASK_A, 42000, a2, &created),
                     SMS_OK);
    assert_int_equal(created, 0);
    assert_string_equal(a1, a2);
    assert_int_equal(added_challenges(x->metrics), 1);
    /* Another task, another key. */
    assert_int_equal(tee_challenge_get_or_create(x->store, x->secrets, NULL, TASK_B, 0, b1, NULL), SMS_OK);
    assert_string_not_equal(a1, b1);
    /* The first deadline stays; none is stored as "none". */
    challenge_rec rec;
    memset(&rec, 0, sizeof rec);
    assert_int_equal(store_challenge_get(x->store, TASK_A, &rec), SMS_OK);
    assert_int_equal(rec.final_deadline_ms, 1795393379000);
    assert_string_equal(rec.address, a1);
    assert_string_equal(rec.task_id, TASK_A);
    /* The stored key is sealed: its text is nowhere in the record. */
    char opened[POCO_ADDR_STR], key[TEE_CHALLENGE_KEY_STR];
    assert_int_equal(tee_challenge_open(x->store, x->secrets, TASK_A, opened, key), SMS_OK);
    assert_null(memmem(rec.sealed_key, rec.sealed_key_len, key + 2, 64));
    uint8_t raw_key[32];
    size_t raw_len = 0;
    assert_int_equal(hex_decode(key, 66, raw_key, sizeof raw_key, &raw_len), SMS_OK);
    assert_null(memmem(rec.sealed_key, rec.sealed_key_len, raw_key, 32));
    secure_zero(key, sizeof key);
    secure_zero(raw_key, sizeof raw_key);
    challenge_rec_clear(&rec);
    assert_int_equal(store_challenge_get(x->store, TASK_B, &rec), SMS_OK);
    assert_int_equal(rec.final_deadline_ms, 0);
    challenge_rec_clear(&rec);
    int64_t n = 0;
    assert_int_equal(store_count(x->store, STORE_COUNT_CHALLENGES, &n), SMS_OK);
    assert_int_equal(n, 2);
    /* Malformed keys are refused before the store. */
    assert_int_equal(tee_challenge_get_or_create(x->store, x->secrets, NULL, "0x12", 0, a2, NULL), SMS_EINVAL);
    assert_int_equal(tee_challenge_get_or_create(x->store, x->secrets, NULL, NULL, 0, a2, NULL), SMS_EINVAL);
}

static void test_open_gives_the_key_of_the_address(void **state)
{
    fx *x = *state;
    char addr[POCO_ADDR_STR], opened[POCO_ADDR_STR], key[TEE_CHALLENGE_KEY_STR];
    uint8_t sk[32], derived[20];
    size_t n = 0;
    char derived_str[POCO_ADDR_STR];
    assert_int_equal(tee_challenge_open(x->store, x->secrets, TASK_A, opened, key), SMS_ENOTFOUND);
    assert_int_equal(tee_challenge_get_or_create(x->store, x->secrets, NULL, TASK_A, 1, addr, NULL), SMS_OK);
    assert_int_equal(tee_challenge_open(x->store, x->secrets, TASK_A, opened, key), SMS_OK);
    assert_string_equal(opened, addr);
    assert_int_equal(strlen(key), 66);
    assert_int_equal(hex_decode(key, 66, sk, sizeof sk, &n), SMS_OK);
    assert_int_equal(n, 32);
    assert_int_equal(eth_address_of(sk, derived), SMS_OK);
    address_format(derived, derived_str);
    assert_string_equal(derived_str, addr);
    /* A signature with that key recovers the published address (what PoCo will check). */
    uint8_t msg[32];
    char sig[133];
    memset(msg, 0x5a, sizeof msg);
    assert_int_equal(eth_sign_personal(sk, msg, sig), SMS_OK);
    assert_int_equal(eth_verify_personal(msg, sig, addr), SMS_OK);
    secure_zero(sk, sizeof sk);
    secure_zero(key, sizeof key);
    /* Never created from the open path. */
    assert_int_equal(tee_challenge_open(x->store, x->secrets, TASK_B, opened, key), SMS_ENOTFOUND);
    assert_int_equal(store_challenge_get(x->store, TASK_B, &(challenge_rec){0}), SMS_ENOTFOUND);
}

/* The sealed key opens only under its own task's context. */
static void test_sealed_key_bound_to_task(void **state)
{
    fx *x = *state;
    char addr[POCO_ADDR_STR], opened[POCO_ADDR_STR], key[TEE_CHALLENGE_KEY_STR];
    challenge_rec rec, moved;
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    memset(&rec, 0, sizeof rec);
    assert_int_equal(tee_challenge_get_or_create(x->store, x->secrets, NULL, TASK_A, 1, addr, NULL), SMS_OK);
    assert_int_equal(store_challenge_get(x->store, TASK_A, &rec), SMS_OK);
    assert_int_equal(secrets_open(x->secrets, "tee-challenge:" TASK_A, rec.sealed_key, rec.sealed_key_len, &pt, &pt_len),
                     SMS_OK);
    assert_int_equal(pt_len, 66);
    assert_memory_equal(pt, "0x", 2);
    secure_free(pt, pt_len + 1);
    pt = NULL;
    assert_int_equal(secrets_open(x->secrets, "tee-challenge:" TASK_B, rec.sealed_key, rec.sealed_key_len, &pt, &pt_len),
                     SMS_ECRYPTO);
    assert_int_equal(secrets_open(x->secrets, TASK_A, rec.sealed_key, rec.sealed_key_len, &pt, &pt_len), SMS_ECRYPTO);
    /* The record copied to task B's row (address and sealed key): refused on open. */
    moved = rec;
    snprintf(moved.task_id, sizeof moved.task_id, "%s", TASK_B);
    store_record r = {.type = STORE_REC_CHALLENGE, .challenge = &moved};
    assert_int_equal(store_put_record(x->store, &r), SMS_OK);
    assert_int_equal(tee_challenge_open(x->store, x->secrets, TASK_B, opened, key), SMS_ECRYPTO);
    challenge_rec_clear(&rec);
}

/* Sealed correctly, but not the key of the stored address, or not a key at all. */
static void test_open_refuses_inconsistent_records(void **state)
{
    fx *x = *state;
    char opened[POCO_ADDR_STR], key[TEE_CHALLENGE_KEY_STR];
    static const char *const bad[] = {
        "0x1111111111111111111111111111111111111111111111111111111111111111", /* valid key, other address */
        "0x0000000000000000000000000000000000000000000000000000000000000000", /* not a secp256k1 key */
        "0x11111111111111111111111111111111111111111111111111111111111111zz", /* not hex */
        "hello",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        challenge_rec rec;
        memset(&rec, 0, sizeof rec);
        assert_int_equal(secrets_seal(x->secrets, "tee-challenge:" TASK_A, (const uint8_t *)bad[i], strlen(bad[i]),
                                      &rec.sealed_key, &rec.sealed_key_len),
                         SMS_OK);
        snprintf(rec.task_id, sizeof rec.task_id, "%s", TASK_A);
        snprintf(rec.address, sizeof rec.address, "%s", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
        challenge_rec got;
        int created = 0;
        memset(&got, 0, sizeof got);
        if (i > 0) {
            /* Replace the previous row: a fresh store per case would be slower for nothing. */
            int64_t d = 0;
            challenge_rec_clear(&got);
            assert_int_equal(store_challenge_fill_missing_deadlines(x->store, 1, 10, &d), SMS_OK);
            assert_int_equal(store_challenge_delete_expired(x->store, 2, &d), SMS_OK);
            assert_int_equal(d, 1);
        }
        assert_int_equal(store_challenge_get_or_create(x->store, &rec, &got, &created), SMS_OK);
        assert_int_equal(created, 1);
        memset(key, 'k', sizeof key);
        assert_int_equal(tee_challenge_open(x->store, x->secrets, TASK_A, opened, key), SMS_ECRYPTO);
        /* Untouched on failure. */
        assert_int_equal(key[0], 'k');
        challenge_rec_clear(&got);
        challenge_rec_clear(&rec);
    }
}

typedef struct {
    fx *x;
    pthread_barrier_t *go;
    char address[POCO_ADDR_STR];
    int created;
    sms_status st;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    pthread_barrier_wait(r->go);
    r->st = tee_challenge_get_or_create(r->x->store, r->x->secrets, r->x->metrics, TASK_B, 1795393379000,
                                        r->address, &r->created);
    return NULL;
}

static void test_concurrent_first_requests(void **state)
{
    fx *x = *state;
    enum { N = 8 };
    pthread_t th[N];
    racer r[N];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, N);
    for (int i = 0; i < N; i++) {
        memset(&r[i], 0, sizeof r[i]);
        r[i].x = x;
        r[i].go = &go;
        assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
    }
    int creators = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(r[i].st, SMS_OK);
        assert_string_equal(r[i].address, r[0].address);
        creators += r[i].created;
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(creators, 1);
    assert_int_equal(added_challenges(x->metrics), 1);
    int64_t n = 0;
    assert_int_equal(store_count(x->store, STORE_COUNT_CHALLENGES, &n), SMS_OK);
    assert_int_equal(n, 1);
    /* And the stored key is the key of that address. */
    char opened[POCO_ADDR_STR], key[TEE_CHALLENGE_KEY_STR];
    assert_int_equal(tee_challenge_open(x->store, x->secrets, TASK_B, opened, key), SMS_OK);
    assert_string_equal(opened, r[0].address);
    secure_zero(key, sizeof key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_key),
        cmocka_unit_test_setup_teardown(test_get_or_create_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_gives_the_key_of_the_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealed_key_bound_to_task, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refuses_inconsistent_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_first_requests, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
