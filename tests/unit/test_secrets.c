/* The secrets service (src/secrets/secrets.c) against a real SQLite store and a real
 * AES key: authorization order (sms-api.md 4, 5), normalisation (2.7), validation (9.3),
 * sealing bound to the record identity (9.4 with its [fix]), existence caching (9.6)
 * and the metrics counters (8.3). Asset owners come from a fake JSON-RPC node. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <cmocka.h>

#include "chain/chain.h"
#include "core/log.h"
#include "core/secure.h"
#include "crypto/aead.h"
#include "crypto/ethsig.h"
#include "helpers/failing_store.h"
#include "helpers/fake_rpc.h"
#include "helpers/test_sign.h"
#include "helpers/tmpdir.h"
#include "metrics/metrics.h"
#include "secrets/secrets.h"
#include "store/store.h"
#include "tee/challenge_context.h"

#define V1_AUTH                                                                                                     \
    "0xd2a3456e9defda6eaa602fea37731001ced177dbcf35dcf88e357c5b2f1d1d51008b17e46974fa73c8d31e353ceb09aac998345169f" \
    "e9958b3c538c5e87dd6dc1c"
#define V2_ADDR "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"
#define V2_VALUE "Ke9aYzT0y2cZ8nC0Qm3xUw=="
#define V2_AUTH                                                                                                     \
    "0xa4cbcd97cd77ea710ce764e9b7847c01dfc586cb0aae5da8a1c11f40c4237be3613e2e7293437cae17c2d998c7bbc4b0097f0123d3d" \
    "81d881ecefa183a3f4add1b"
#define V3_APP "0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2"
#define V3_APP_LC "0xab8483f64d9c6d1ecf9b849ae677dd3315835cb2"
#define V3_VALUE "app developer secret"
#define V3_AUTH                                                                                                     \
    "0x42514225e3473f477e3cba1e3f27a5bcb5cd9cf07e21610316bf13476950c2d441cca8efc53ebc509dbecc3514c38a79120124e07ba" \
    "0cd04c7bd6a1af2f29a931c"
#define V4_VALUE "p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac"
#define V4_AUTH                                                                                                     \
    "0xebdc0b9197ab6c383c801a9ecb5e82d5784dce9d2f3120df8a312b63169d8d831028b0e79885ed3bf9fb6f2497215fd8326874fa3ee" \
    "15f69c94d05e822c5fbc11b"

typedef struct {
    char *dir;
    char db[1024];
    sms_store *store;
    aead_key *key;
    sms_metrics *metrics;
    secrets_service *svc;
    fake_rpc *rpc;
    chain_client *chain;
} fixture;

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

static int group_setup(void **state)
{
    (void)state;
    sms_log_set_level(LOG_LVL_ERROR); /* quiet; the privacy test raises it */
    return ethsig_init() == SMS_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    ethsig_cleanup();
    return 0;
}

static int open_fixture(void **state, int with_chain, long timeout_ms)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL) return -1;
    f->dir = tmpdir_make("secrets");
    if (f->dir == NULL) return -1;
    char url[1100];
    tmpdir_join(f->dir, "x.sqlite", f->db, sizeof f->db);
    snprintf(url, sizeof url, "sqlite:%s", f->db);
    char err[256];
    if (store_open(url, &f->store, err, sizeof err) != SMS_OK) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    uint8_t raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1 || aead_key_new(raw, sizeof raw, &f->key) != SMS_OK) return -1;
    secure_zero(raw, sizeof raw);
    f->metrics = metrics_new(NULL, 0);
    if (f->metrics == NULL) return -1;
    if (with_chain) {
        f->rpc = fake_rpc_start();
        if (f->rpc == NULL || chain_client_new(fake_rpc_url(f->rpc), timeout_ms, &f->chain) != SMS_OK) return -1;
    }
    if (secrets_service_new(f->store, f->key, f->chain, f->metrics, 1000, &f->svc) != SMS_OK) return -1;
    *state = f;
    return 0;
}

static int setup(void **state) { return open_fixture(state, 0, 0); }
/* A generous bound for answering nodes (loaded CI machines, sanitizers); a short one for
 * the test that waits for a silent node to time out. */
static int setup_chain(void **state) { return open_fixture(state, 1, 5000); }
static int setup_chain_fast(void **state) { return open_fixture(state, 1, 300); }

static int teardown(void **state)
{
    fixture *f = *state;
    if (f == NULL) return 0;
    secrets_service_free(f->svc);
    chain_client_free(f->chain);
    fake_rpc_stop(f->rpc);
    store_close(f->store);
    aead_key_free(f->key);
    metrics_free(f->metrics);
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static sms_status web2(fixture *f, const char *key, const char *owner, const char *name, const void *value,
                       size_t len, int update)
{
    char sig[133];
    ts_sign_named(key, owner, name, value, len, sig);
    return secrets_set_web2(f->svc, owner, name, value, len, sig, update);
}

static sms_status web2_s(fixture *f, const char *owner, const char *name, const char *value, int update)
{
    return web2(f, TS_OWNER_KEY, owner, name, value, strlen(value), update);
}

static sms_status requester(fixture *f, const char *key, const char *owner, const char *skey, const void *value,
                            size_t len)
{
    char sig[133];
    ts_sign_named(key, owner, skey, value, len, sig);
    return secrets_set_requester(f->svc, owner, skey, value, len, sig);
}

static int exists(fixture *f, secret_kind kind, const char *owner, const char *name)
{
    int e = -1;
    assert_int_equal(secrets_exists(f->svc, kind, owner, name, &e), SMS_OK);
    assert_true(e == 0 || e == 1);
    return e;
}

static void assert_value(fixture *f, secret_kind kind, const char *owner, const char *name, const void *expect,
                         size_t len)
{
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(f->svc, kind, owner, name, &v, &n), SMS_OK);
    assert_non_null(v);
    assert_int_equal(n, len);
    assert_memory_equal(v, expect, len);
    assert_int_equal(v[n], '\0');
    secure_free(v, n + 1);
}

static json_int_t metric(fixture *f, const char *type, const char *member)
{
    json_t *doc = metrics_secrets_json(f->metrics);
    assert_non_null(doc);
    json_t *v = json_object_get(json_object_get(json_object_get(doc, "secretsMetrics"), type), member);
    assert_true(json_is_integer(v));
    json_int_t n = json_integer_value(v);
    json_decref(doc);
    return n;
}

/* Copy of a signature with its v byte replaced. */
static void with_v(const char *sig, const char *v_hex, char out[133])
{
    assert_int_equal(strlen(sig), 132);
    memcpy(out, sig, 130);
    memcpy(out + 130, v_hex, 2);
    out[132] = '\0';
}

/* A value of n bytes of 'x'. */
static char *filler(size_t n, char c)
{
    char *v = malloc(n + 1);
    assert_non_null(v);
    memset(v, c, n);
    v[n] = '\0';
    return v;
}

/* n copies of a UTF-8 character. */
static char *repeat(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++) memcpy(s + i * u, unit, u);
    s[u * n] = '\0';
    return s;
}

/* ---- web2 ---- */

static void test_web2_v1_vector_and_lookups(void **state)
{
    fixture *f = *state;
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "my-api-key"), 0);
    assert_int_equal(secrets_set_web2(f->svc, TS_OWNER_ADDR, "my-api-key", u8("Hello, SMS!"), 11, V1_AUTH, 0), SMS_OK);
    /* The owner in any case, the name in any case: one record. */
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "my-api-key"), 1);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR_LC, "my-api-key"), 1);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR_UC, "MY-API-KEY"), 1);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR_LC, "My-Api-Key"), 1);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "my-api-key2"), 0);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "my-api-ke"), 0);
    assert_int_equal(exists(f, SECRET_WEB2, TS_WORKER_ADDR, "my-api-key"), 0);
    /* Without 0x it is another (impossible) identity. */
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR_NOX, "my-api-key"), 0);
    /* Other kinds with the same owner do not see it. */
    assert_int_equal(exists(f, SECRET_REQUESTER, TS_OWNER_ADDR, "my-api-key"), 0);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR_UC, "MY-api-KEY", "Hello, SMS!", 11);
    assert_int_equal(metric(f, "web2", "addedSinceStartCount"), 1);
}

static void test_web2_signature_forms_accepted(void **state)
{
    fixture *f = *state;
    /* Without 0x (hexdec rule), then upper-case hex (for a no-op update). */
    assert_int_equal(secrets_set_web2(f->svc, TS_OWNER_ADDR, "my-api-key", u8("Hello, SMS!"), 11, &V1_AUTH[2], 0),
                     SMS_OK);
    char upper[133];
    snprintf(upper, sizeof upper, "0x%s", &V1_AUTH[2]);
    for (char *p = upper + 2; *p; p++)
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 32);
    assert_int_equal(secrets_set_web2(f->svc, TS_OWNER_ADDR, "my-api-key", u8("Hello, SMS!"), 11, upper, 1), SMS_OK);
    /* Trailing bytes after the 65th are ignored. */
    char longer[140];
    snprintf(longer, sizeof longer, "%s00ff", V1_AUTH);
    assert_int_equal(secrets_set_web2(f->svc, TS_OWNER_ADDR, "my-api-key", u8("Hello, SMS!"), 11, longer, 1), SMS_OK);
}

static void test_web2_name_case_is_one_secret_but_signed_as_sent(void **state)
{
    fixture *f = *state;
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "Foo", "v1", 0), SMS_OK);
    /* "foo" is the same record. */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "foo", "v2", 0), SMS_EEXISTS);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "fOO"), 1);
    /* A signature over "Foo" does not authorise a request naming "foo". */
    char sig[133];
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "Foo", "v3", 2, sig);
    assert_int_equal(secrets_set_web2(f->svc, TS_OWNER_ADDR, "foo", u8("v3"), 2, sig, 1), SMS_EAUTH);
    assert_int_equal(secrets_set_web2(f->svc, TS_OWNER_ADDR, "Foo", u8("v3"), 2, sig, 1), SMS_OK);
    /* The update through any spelling reaches the one record. */
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "FOO", "v3", 2);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "FOO", "v4", 1), SMS_OK);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "foo", "v4", 2);
}

static void test_web2_unicode_name_lowercased(void **state)
{
    fixture *f = *state;
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "CL\xc3\x89-\xce\xa3", "value", 0), SMS_OK);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "cl\xc3\xa9-\xcf\x83"), 1);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "Cl\xc3\xa9-\xce\xa3"), 1);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "cl\xc3\xa9-\xcf\x83", "other", 0), SMS_EEXISTS);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "cl\xc3\xa9-\xcf\x83", "value", 5);
}

static void test_web2_owner_forms(void **state)
{
    fixture *f = *state;
    /* Lower-case and upper-case owners sign the same bytes (hexdec is case-insensitive). */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR_UC, "upper", "v", 0), SMS_OK);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR_LC, "UPPER", "v", 0), SMS_EEXISTS);
    /* No 0x: can never match a recovered signer (sms-api.md 5.3.2 step 7). */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR_NOX, "nox", "v", 0), SMS_EAUTH);
    /* "0X" is not a prefix. */
    char big_x[43];
    snprintf(big_x, sizeof big_x, "0X%s", TS_OWNER_ADDR_NOX);
    char sig[133];
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "bigx", "v", 1, sig);
    assert_int_equal(secrets_set_web2(f->svc, big_x, "bigx", u8("v"), 1, sig, 0), SMS_EAUTH);
    /* Malformed addresses. */
    static const char *const bad[] = {"", "0x", "0x1234", "0xZZ9Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                                      "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb9226600"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(secrets_set_web2(f->svc, bad[i], "n", u8("v"), 1, sig, 0), SMS_EAUTH);
    assert_int_equal(metric(f, "web2", "addedSinceStartCount"), 1);
}

static void test_web2_duplicate(void **state)
{
    fixture *f = *state;
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "dup", "first", 0), SMS_OK);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "dup", "first", 0), SMS_EEXISTS);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "dup", "second", 0), SMS_EEXISTS);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "dup", "first", 5);
    assert_int_equal(metric(f, "web2", "addedSinceStartCount"), 1);
    /* Same name, other owner: another record. */
    assert_int_equal(web2(f, TS_WORKER_KEY, TS_WORKER_ADDR, "dup", "w", 1, 0), SMS_OK);
    assert_value(f, SECRET_WEB2, TS_WORKER_ADDR, "dup", "w", 1);
    assert_int_equal(metric(f, "web2", "addedSinceStartCount"), 2);
}

static void test_web2_update(void **state)
{
    fixture *f = *state;
    /* Absent. */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "upd", "v1", 1), SMS_ENOTFOUND);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "upd"), 0);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "upd", "v1", 0), SMS_OK);
    assert_int_equal(metric(f, "web2", "addedSinceStartCount"), 1);
    /* Same value: success, nothing changes, no counter moves. */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "upd", "v1", 1), SMS_OK);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "upd", "v1", 2);
    /* New value, shorter and longer. */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "UPD", "a much longer second value", 1), SMS_OK);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "upd", "a much longer second value", 26);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "upd", "3", 1), SMS_OK);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "upd", "3", 1);
    /* Same length, different bytes. */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "upd", "4", 1), SMS_OK);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "upd", "4", 1);
    assert_int_equal(metric(f, "web2", "addedSinceStartCount"), 1);
    secrets_refresh_metrics(f->svc);
    assert_int_equal(metric(f, "web2", "storedCount"), 1);
    /* A rejected update leaves the value. */
    assert_int_equal(web2(f, TS_WORKER_KEY, TS_OWNER_ADDR, "upd", "evil", 4, 1), SMS_EAUTH);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "upd", "4", 1);
}

static void test_web2_wrong_signer(void **state)
{
    fixture *f = *state;
    assert_int_equal(web2(f, TS_WORKER_KEY, TS_OWNER_ADDR, "w", "v", 1, 0), SMS_EAUTH);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "w"), 0);
    /* A valid signature over another value, another name, another owner. */
    char sig[133];
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "w", "other", 5, sig);
    assert_int_equal(secrets_set_web2(f->svc, TS_OWNER_ADDR, "w", u8("v"), 1, sig, 0), SMS_EAUTH);
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "w2", "v", 1, sig);
    assert_int_equal(secrets_set_web2(f->svc, TS_OWNER_ADDR, "w", u8("v"), 1, sig, 0), SMS_EAUTH);
    ts_sign_named(TS_OWNER_KEY, TS_WORKER_ADDR, "w", "v", 1, sig);
    assert_int_equal(secrets_set_web2(f->svc, TS_OWNER_ADDR, "w", u8("v"), 1, sig, 0), SMS_EAUTH);
    /* The V1 signature replayed for another owner address. */
    assert_int_equal(secrets_set_web2(f->svc, TS_WORKER_ADDR, "my-api-key", u8("Hello, SMS!"), 11, V1_AUTH, 0),
                     SMS_EAUTH);
    assert_int_equal(metric(f, "web2", "addedSinceStartCount"), 0);
    secrets_refresh_metrics(f->svc);
    assert_int_equal(metric(f, "web2", "storedCount"), 0);
}

static void test_web2_malformed_signatures(void **state)
{
    fixture *f = *state;
    char short64[131];
    memcpy(short64, V1_AUTH, 130); /* r || s only: the EIP-2098-like 64-byte form */
    short64[130] = '\0';
    char bearer[140];
    snprintf(bearer, sizeof bearer, "Bearer %s", V1_AUTH);
    char nonhex[133];
    snprintf(nonhex, sizeof nonhex, "%s", V1_AUTH);
    nonhex[40] = 'g';
    char spaced[134];
    snprintf(spaced, sizeof spaced, " %s", V1_AUTH);
    char *huge = filler(5000, 'a');
    char big_x[133];
    snprintf(big_x, sizeof big_x, "0X%s", &V1_AUTH[2]); /* "0X" is not a prefix */
    const char *const bad[] = {"", "0x", "0X", "zz", "0x00", short64, bearer, nonhex, spaced, huge, big_x};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sms_status st = secrets_set_web2(f->svc, TS_OWNER_ADDR, "my-api-key", u8("Hello, SMS!"), 11, bad[i], 0);
        if (st != SMS_EAUTH) fail_msg("signature #%zu gave %s", i, sms_status_name(st));
    }
    free(huge);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "my-api-key"), 0);
}

static void test_web2_v_values(void **state)
{
    fixture *f = *state;
    char sig[133];
    /* V1 with v = 0x01 instead of 0x1c: 401 in the reference. */
    static const char *const bad_v[] = {"01", "00", "1d", "1e", "1f", "22", "23", "ff", "1a"};
    for (size_t i = 0; i < sizeof bad_v / sizeof bad_v[0]; i++) {
        with_v(V1_AUTH, bad_v[i], sig);
        sms_status st = secrets_set_web2(f->svc, TS_OWNER_ADDR, "my-api-key", u8("Hello, SMS!"), 11, sig, 0);
        if (st != SMS_EAUTH) fail_msg("v=%s gave %s", bad_v[i], sms_status_name(st));
    }
    /* v = 1b flips the recovered key: another signer. */
    with_v(V1_AUTH, "1b", sig);
    assert_int_equal(secrets_set_web2(f->svc, TS_OWNER_ADDR, "my-api-key", u8("Hello, SMS!"), 11, sig, 0), SMS_EAUTH);
    with_v(V1_AUTH, "1c", sig);
    assert_int_equal(secrets_set_web2(f->svc, TS_OWNER_ADDR, "my-api-key", u8("Hello, SMS!"), 11, sig, 0), SMS_OK);
}

static void test_web2_size_limit_after_auth(void **state)
{
    fixture *f = *state;
    char *v4096 = filler(4096, 'x');
    char *v4097 = filler(4097, 'y');
    assert_int_equal(web2(f, TS_OWNER_KEY, TS_OWNER_ADDR, "big", v4096, 4096, 0), SMS_OK);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "big", v4096, 4096);
    assert_int_equal(web2(f, TS_OWNER_KEY, TS_OWNER_ADDR, "big2", v4097, 4097, 0), SMS_ETOOBIG);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "big2"), 0);
    /* Authentication comes first: a bad signature on an oversized value is EAUTH. */
    assert_int_equal(secrets_set_web2(f->svc, TS_OWNER_ADDR, "big2", u8(v4097), 4097, "0x1234", 0), SMS_EAUTH);
    assert_int_equal(web2(f, TS_WORKER_KEY, TS_OWNER_ADDR, "big2", v4097, 4097, 0), SMS_EAUTH);
    /* Update: same rule. */
    assert_int_equal(web2(f, TS_OWNER_KEY, TS_OWNER_ADDR, "big", v4097, 4097, 1), SMS_ETOOBIG);
    assert_int_equal(web2(f, TS_WORKER_KEY, TS_OWNER_ADDR, "big", v4097, 4097, 1), SMS_EAUTH);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "big", v4096, 4096);
    /* The limit is on bytes, not characters: 2049 "é" = 4098 bytes. */
    char *e2049 = repeat("\xc3\xa9", 2049);
    char *e2048 = repeat("\xc3\xa9", 2048);
    assert_int_equal(web2(f, TS_OWNER_KEY, TS_OWNER_ADDR, "e", e2049, strlen(e2049), 0), SMS_ETOOBIG);
    assert_int_equal(web2(f, TS_OWNER_KEY, TS_OWNER_ADDR, "e", e2048, strlen(e2048), 0), SMS_OK);
    free(e2049);
    free(e2048);
    free(v4096);
    free(v4097);
}

static void test_web2_non_utf8(void **state)
{
    fixture *f = *state;
    /* Correctly signed over the raw bytes, but the reference would have hashed U+FFFD
     * instead: never a valid request. */
    static const uint8_t bad_value[] = {'a', 0xff, 'b'};
    assert_int_equal(web2(f, TS_OWNER_KEY, TS_OWNER_ADDR, "n", bad_value, sizeof bad_value, 0), SMS_EAUTH);
    static const uint8_t surrogate[] = {0xed, 0xa0, 0x80};
    assert_int_equal(web2(f, TS_OWNER_KEY, TS_OWNER_ADDR, "n", surrogate, sizeof surrogate, 0), SMS_EAUTH);
    assert_int_equal(web2(f, TS_OWNER_KEY, TS_OWNER_ADDR, "na\xc3me", "v", 1, 0), SMS_EAUTH);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "n"), 0);
    /* A HEAD with a non-UTF-8 name cannot exist. */
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "na\xc3me"), 0);
    /* Valid UTF-8 with NUL and control bytes inside the value is fine. */
    static const uint8_t nul_value[] = {'a', 0x00, 'b', 0x01, '\n'};
    assert_int_equal(web2(f, TS_OWNER_KEY, TS_OWNER_ADDR, "n", nul_value, sizeof nul_value, 0), SMS_OK);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "n", nul_value, sizeof nul_value);
    /* Whitespace-only values are stored as received. */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "ws", " \t\n", 0), SMS_OK);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "ws", " \t\n", 3);
}

static void test_web2_name_lengths_ascii(void **state)
{
    fixture *f = *state;
    char *n255 = filler(255, 'n');
    char *n256 = filler(256, 'm');
    /* Any name is allowed, the empty one too. */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "", "empty-name", 0), SMS_OK);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, ""), 1);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "", "empty-name", 10);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, n255, "v", 0), SMS_OK);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, n255), 1);
    /* > 255 characters: the reference's insert fails -> 409. */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, n256, "v", 0), SMS_EEXISTS);
    /* ... and its update finds nothing -> 404. */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, n256, "v", 1), SMS_ENOTFOUND);
    /* But the signature is checked first. */
    assert_int_equal(web2(f, TS_WORKER_KEY, TS_OWNER_ADDR, n256, "v", 1, 0), SMS_EAUTH);
    assert_int_equal(metric(f, "web2", "addedSinceStartCount"), 2);
    free(n255);
    free(n256);
}

static void test_web2_long_name_head_is_not_found(void **state)
{
    fixture *f = *state;
    /* HEAD /secrets/web2 with a name the store cannot hold: the reference answers 404.
     * (Stack buffers: a failing assertion must not leak under ASan.) */
    char n256[257];
    memset(n256, 'm', 256);
    n256[256] = '\0';
    int e = -1;
    assert_int_equal(secrets_exists(f->svc, SECRET_WEB2, TS_OWNER_ADDR, n256, &e), SMS_OK);
    assert_int_equal(e, 0);
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(f->svc, SECRET_WEB2, TS_OWNER_ADDR, n256, &v, &n), SMS_ENOTFOUND);
    /* Same for an owner string that cannot be an address at all. */
    char o300[301];
    memset(o300, 'o', 300);
    o300[300] = '\0';
    e = -1;
    assert_int_equal(secrets_exists(f->svc, SECRET_WEB2, o300, "n", &e), SMS_OK);
    assert_int_equal(e, 0);
    e = -1;
    assert_int_equal(secrets_exists(f->svc, SECRET_WEB3, "", NULL, &e), SMS_OK);
    assert_int_equal(e, 0);
}

static void test_web2_name_lengths_non_ascii(void **state)
{
    fixture *f = *state;
    /* The reference counts Java characters (UTF-16 units): 255 "é" or 255 "€" fit. */
    char *e255 = repeat("\xc3\xa9", 255);
    char *eur255 = repeat("\xe2\x82\xac", 255);
    char *e256 = repeat("\xc3\xa9", 256);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, e255, "v", 0), SMS_OK);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, eur255, "v", 0), SMS_OK);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, eur255), 1);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, e256, "v", 0), SMS_EEXISTS);
    /* An emoji is two UTF-16 units: 127 fit (254 units). */
    char *emo127 = repeat("\xf0\x9f\x98\x80", 127);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, emo127, "v", 0), SMS_OK);
    free(e255);
    free(eur255);
    free(e256);
    free(emo127);
}

static void test_web2_long_emoji_names_are_conflicts(void **state)
{
    fixture *f = *state;
    static const char emoji[] = "\xf0\x9f\x98\x80";
    char name[250 * 4 + 1];
    /* 128 emoji = 256 UTF-16 units > 255: the reference's insert fails -> 409 (EEXISTS),
     * whatever the byte length. */
    for (size_t i = 0; i < 128; i++) memcpy(name + 4 * i, emoji, 4);
    name[128 * 4] = '\0';
    sms_status st = web2_s(f, TS_OWNER_ADDR, name, "v", 0);
    if (st != SMS_EEXISTS) fail_msg("128 emoji name: %s, expected EEXISTS", sms_status_name(st));
    /* 250 emoji (1000 bytes, 500 units): same answer, not a size error. */
    for (size_t i = 0; i < 250; i++) memcpy(name + 4 * i, emoji, 4);
    name[250 * 4] = '\0';
    st = web2_s(f, TS_OWNER_ADDR, name, "v", 0);
    if (st != SMS_EEXISTS) fail_msg("250 emoji name: %s, expected EEXISTS", sms_status_name(st));
}

/* ---- requester ---- */

static void test_requester_v4_vector(void **state)
{
    fixture *f = *state;
    assert_int_equal(secrets_set_requester(f->svc, TS_OWNER_ADDR, "my-key", u8(V4_VALUE), 14, V4_AUTH), SMS_OK);
    assert_int_equal(exists(f, SECRET_REQUESTER, TS_OWNER_ADDR_LC, "my-key"), 1);
    assert_int_equal(exists(f, SECRET_REQUESTER, TS_OWNER_ADDR_UC, "my-key"), 1);
    assert_value(f, SECRET_REQUESTER, TS_OWNER_ADDR_UC, "my-key", V4_VALUE, 14);
    assert_int_equal(secrets_set_requester(f->svc, TS_OWNER_ADDR_LC, "my-key", u8(V4_VALUE), 14, V4_AUTH),
                     SMS_EEXISTS);
    assert_int_equal(metric(f, "compute", "addedSinceStartCount"), 1);
    assert_int_equal(metric(f, "web2", "addedSinceStartCount"), 0);
    /* A web2 secret of the same owner and name is another record. */
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "my-key"), 0);
}

static void test_requester_key_rules(void **state)
{
    fixture *f = *state;
    char *k64 = filler(64, 'K');
    char *k65 = filler(65, 'K');
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, k64, "v", 1), SMS_OK);
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, "a-Z_09", "v", 1), SMS_OK);
    /* Invalid keys, correctly signed: EINVAL (checked after auth). */
    const char *const bad[] = {k65, "", "bad key", "a.b", "a/b", "cl\xc3\xa9", "a+b", "a%20b", "\xef\xbc\xa1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sms_status st = requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, bad[i], "v", 1);
        if (st != SMS_EINVAL) fail_msg("key #%zu gave %s", i, sms_status_name(st));
        /* ... and with a bad signature: EAUTH wins. */
        st = requester(f, TS_WORKER_KEY, TS_OWNER_ADDR, bad[i], "v", 1);
        if (st != SMS_EAUTH) fail_msg("key #%zu, bad signature, gave %s", i, sms_status_name(st));
    }
    /* Key check comes before the size check. */
    char *big = filler(4097, 'z');
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, "bad key", big, 4097), SMS_EINVAL);
    free(big);
    assert_int_equal(metric(f, "compute", "addedSinceStartCount"), 2);
    free(k64);
    free(k65);
}

static void test_requester_keys_case_sensitive(void **state)
{
    fixture *f = *state;
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, "my-key", "lower", 5), SMS_OK);
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, "MY-KEY", "upper", 5), SMS_OK);
    assert_int_equal(exists(f, SECRET_REQUESTER, TS_OWNER_ADDR, "my-key"), 1);
    assert_int_equal(exists(f, SECRET_REQUESTER, TS_OWNER_ADDR, "MY-KEY"), 1);
    assert_int_equal(exists(f, SECRET_REQUESTER, TS_OWNER_ADDR, "My-Key"), 0);
    assert_value(f, SECRET_REQUESTER, TS_OWNER_ADDR, "my-key", "lower", 5);
    assert_value(f, SECRET_REQUESTER, TS_OWNER_ADDR, "MY-KEY", "upper", 5);
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(f->svc, SECRET_REQUESTER, TS_OWNER_ADDR, "My-Key", &v, &n), SMS_ENOTFOUND);
    assert_null(v);
}

static void test_requester_auth_and_size(void **state)
{
    fixture *f = *state;
    char *v4096 = filler(4096, 'a');
    char *v4097 = filler(4097, 'b');
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, "k1", v4096, 4096), SMS_OK);
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, "k2", v4097, 4097), SMS_ETOOBIG);
    assert_int_equal(requester(f, TS_WORKER_KEY, TS_OWNER_ADDR, "k2", v4097, 4097), SMS_EAUTH);
    assert_int_equal(secrets_set_requester(f->svc, TS_OWNER_ADDR, "k2", u8(v4097), 4097, ""), SMS_EAUTH);
    assert_int_equal(exists(f, SECRET_REQUESTER, TS_OWNER_ADDR, "k2"), 0);
    /* Address forms. */
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR_NOX, "k3", "v", 1), SMS_EAUTH);
    char sig3[133];
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "k3", "v", 1, sig3);
    assert_int_equal(secrets_set_requester(f->svc, "0x1234", "k3", u8("v"), 1, sig3), SMS_EAUTH);
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR_UC, "k3", "v", 1), SMS_OK);
    /* v = 01 -> EAUTH. */
    char sig[133], bad[133];
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "k4", "v", 1, sig);
    with_v(sig, "01", bad);
    assert_int_equal(secrets_set_requester(f->svc, TS_OWNER_ADDR, "k4", u8("v"), 1, bad), SMS_EAUTH);
    /* Non-UTF-8 value. */
    static const uint8_t raw[] = {0xc3, 0x28};
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, "k5", raw, sizeof raw), SMS_EAUTH);
    free(v4096);
    free(v4097);
}

/* ---- web3 and app secrets ---- */

static void test_assets_without_chain_never_authorised(void **state)
{
    fixture *f = *state;
    /* Published V2/V3 requests: correct signatures, but no owner can be resolved. */
    assert_int_equal(secrets_set_web3(f->svc, V2_ADDR, u8(V2_VALUE), strlen(V2_VALUE), V2_AUTH), SMS_EAUTH);
    assert_int_equal(secrets_set_app(f->svc, V3_APP, u8(V3_VALUE), strlen(V3_VALUE), V3_AUTH), SMS_EAUTH);
    assert_int_equal(exists(f, SECRET_WEB3, V2_ADDR, NULL), 0);
    assert_int_equal(exists(f, SECRET_APP, V3_APP, "1"), 0);
    /* Oversized values too: auth first. */
    char *big = filler(4097, 'q');
    assert_int_equal(secrets_set_web3(f->svc, V2_ADDR, u8(big), 4097, V2_AUTH), SMS_EAUTH);
    assert_int_equal(secrets_set_app(f->svc, V3_APP, u8(big), 4097, V3_AUTH), SMS_EAUTH);
    free(big);
    assert_int_equal(metric(f, "web3", "addedSinceStartCount"), 0);
    assert_int_equal(metric(f, "compute", "addedSinceStartCount"), 0);
}

static void test_web3_with_owner(void **state)
{
    fixture *f = *state;
    fake_rpc_set_owner(f->rpc, V2_ADDR, TS_OWNER_ADDR);
    assert_int_equal(secrets_set_web3(f->svc, V2_ADDR, u8(V2_VALUE), strlen(V2_VALUE), V2_AUTH), SMS_OK);
    assert_true(fake_rpc_calls(f->rpc) >= 1);
    assert_int_equal(exists(f, SECRET_WEB3, "0x5b38da6a701c568545dcfcb03fcb875f56beddc4", NULL), 1);
    assert_int_equal(exists(f, SECRET_WEB3, "0x5B38DA6A701C568545DCFCB03FCB875F56BEDDC4", "ignored"), 1);
    assert_value(f, SECRET_WEB3, V2_ADDR, NULL, V2_VALUE, strlen(V2_VALUE));
    assert_int_equal(secrets_set_web3(f->svc, V2_ADDR, u8(V2_VALUE), strlen(V2_VALUE), V2_AUTH), SMS_EEXISTS);
    assert_int_equal(metric(f, "web3", "addedSinceStartCount"), 1);
    /* Signed by someone else than the owner. */
    fake_rpc_set_owner(f->rpc, "0x1111111111111111111111111111111111111111", TS_OWNER_ADDR);
    char sig[133];
    ts_sign_web3(TS_WORKER_KEY, "0x1111111111111111111111111111111111111111", "v", 1, sig);
    assert_int_equal(secrets_set_web3(f->svc, "0x1111111111111111111111111111111111111111", u8("v"), 1, sig),
                     SMS_EAUTH);
    /* Too big after auth, EAUTH before. */
    char *big = filler(4097, 'q');
    ts_sign_web3(TS_OWNER_KEY, "0x1111111111111111111111111111111111111111", big, 4097, sig);
    assert_int_equal(secrets_set_web3(f->svc, "0x1111111111111111111111111111111111111111", u8(big), 4097, sig),
                     SMS_ETOOBIG);
    ts_sign_web3(TS_WORKER_KEY, "0x1111111111111111111111111111111111111111", big, 4097, sig);
    assert_int_equal(secrets_set_web3(f->svc, "0x1111111111111111111111111111111111111111", u8(big), 4097, sig),
                     SMS_EAUTH);
    free(big);
    /* Non-UTF-8 value. */
    static const uint8_t raw[] = {0xff};
    ts_sign_web3(TS_OWNER_KEY, "0x1111111111111111111111111111111111111111", raw, 1, sig);
    assert_int_equal(secrets_set_web3(f->svc, "0x1111111111111111111111111111111111111111", raw, 1, sig), SMS_EAUTH);
    assert_int_equal(metric(f, "web3", "addedSinceStartCount"), 1);
}

static void test_app_with_owner(void **state)
{
    fixture *f = *state;
    fake_rpc_set_owner(f->rpc, V3_APP_LC, TS_OWNER_ADDR);
    assert_int_equal(secrets_set_app(f->svc, V3_APP, u8(V3_VALUE), strlen(V3_VALUE), V3_AUTH), SMS_OK);
    assert_int_equal(exists(f, SECRET_APP, V3_APP_LC, "1"), 1);
    assert_value(f, SECRET_APP, V3_APP, "1", V3_VALUE, strlen(V3_VALUE));
    assert_int_equal(secrets_set_app(f->svc, V3_APP_LC, u8(V3_VALUE), strlen(V3_VALUE), V3_AUTH), SMS_EEXISTS);
    assert_int_equal(metric(f, "compute", "addedSinceStartCount"), 1);
    /* The app "name" is the fixed index, whatever the caller passes to exists(). */
    assert_int_equal(exists(f, SECRET_APP, V3_APP, "2"), 1);
    /* An app secret is not a requester secret keyed "1". */
    assert_int_equal(exists(f, SECRET_REQUESTER, V3_APP, "1"), 0);
    /* Owner changed on chain: the same signature is refused. */
    const char *app2 = "0x2222222222222222222222222222222222222222";
    fake_rpc_set_owner(f->rpc, app2, TS_WORKER_ADDR);
    char sig[133];
    ts_sign_named(TS_OWNER_KEY, app2, "1", "v", 1, sig);
    assert_int_equal(secrets_set_app(f->svc, app2, u8("v"), 1, sig), SMS_EAUTH);
    ts_sign_named(TS_WORKER_KEY, app2, "1", "v", 1, sig);
    assert_int_equal(secrets_set_app(f->svc, app2, u8("v"), 1, sig), SMS_OK);
    /* Size after auth. */
    const char *app3 = "0x3333333333333333333333333333333333333333";
    fake_rpc_set_owner(f->rpc, app3, TS_OWNER_ADDR);
    char *big = filler(4097, 'q');
    ts_sign_named(TS_OWNER_KEY, app3, "1", big, 4097, sig);
    assert_int_equal(secrets_set_app(f->svc, app3, u8(big), 4097, sig), SMS_ETOOBIG);
    assert_int_equal(secrets_set_app(f->svc, app3, u8(big), 4097, V3_AUTH), SMS_EAUTH);
    free(big);
    assert_int_equal(metric(f, "compute", "addedSinceStartCount"), 2);
}

static void test_asset_owner_failures(void **state)
{
    fixture *f = *state;
    const char *a = "0x4444444444444444444444444444444444444444";
    char sig[133];
    ts_sign_web3(TS_OWNER_KEY, a, "v", 1, sig);
    /* Unknown contract (revert). */
    assert_int_equal(secrets_set_web3(f->svc, a, u8("v"), 1, sig), SMS_EAUTH);
    /* No code: "0x". */
    fake_rpc_set_result(f->rpc, a, "0x");
    assert_int_equal(secrets_set_web3(f->svc, a, u8("v"), 1, sig), SMS_EAUTH);
    /* Zero owner never matches. */
    fake_rpc_set_owner(f->rpc, a, "0x0000000000000000000000000000000000000000");
    assert_int_equal(secrets_set_web3(f->svc, a, u8("v"), 1, sig), SMS_EAUTH);
    /* Node answers HTTP 500: unavailable (chain.h), not a refusal. */
    fake_rpc_set_owner(f->rpc, a, TS_OWNER_ADDR);
    fake_rpc_set_mode(f->rpc, FAKE_RPC_HTTP_500);
    assert_int_equal(secrets_set_web3(f->svc, a, u8("v"), 1, sig), SMS_ECHAIN);
    assert_int_equal(secrets_set_app(f->svc, a, u8("v"), 1, sig), SMS_ECHAIN);
    /* Back to normal: accepted. */
    fake_rpc_set_mode(f->rpc, FAKE_RPC_ANSWER);
    assert_int_equal(secrets_set_web3(f->svc, a, u8("v"), 1, sig), SMS_OK);
}

static void test_asset_owner_timeout_is_chain_error(void **state)
{
    fixture *f = *state;
    const char *a = "0x5555555555555555555555555555555555555555";
    fake_rpc_set_owner(f->rpc, a, TS_OWNER_ADDR);
    fake_rpc_set_mode(f->rpc, FAKE_RPC_SILENT);
    char sig[133];
    ts_sign_web3(TS_OWNER_KEY, a, "v", 1, sig);
    /* A node that does not answer is an availability problem, not a refusal. */
    assert_int_equal(secrets_set_web3(f->svc, a, u8("v"), 1, sig), SMS_ECHAIN);
    assert_int_equal(exists(f, SECRET_WEB3, a, NULL), 0);
    fake_rpc_set_mode(f->rpc, FAKE_RPC_ANSWER);
}

/* An http URL on which nothing listens (a port just released). */
static void closed_port_url(char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    snprintf(out, cap, "http://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
}

static void test_asset_owner_node_down_is_chain_error(void **state)
{
    fixture *f = *state;
    /* A node that refuses connections is as unavailable as one that does not answer: the
     * same status as the timeout case (the service maps "node unavailable" to ECHAIN), not
     * a signature refusal. */
    char url[64];
    closed_port_url(url, sizeof url);
    chain_client *down = NULL;
    assert_int_equal(chain_client_new(url, 2000, &down), SMS_OK);
    secrets_service *svc2 = NULL;
    assert_int_equal(secrets_service_new(f->store, f->key, down, NULL, 10, &svc2), SMS_OK);
    sms_status st = secrets_set_web3(svc2, V2_ADDR, u8(V2_VALUE), strlen(V2_VALUE), V2_AUTH);
    secrets_service_free(svc2);
    chain_client_free(down);
    if (st != SMS_ECHAIN) fail_msg("node down: %s, expected ECHAIN like a timeout", sms_status_name(st));
}

static void test_asset_malformed_signature_costs_no_chain_call(void **state)
{
    fixture *f = *state;
    fake_rpc_set_owner(f->rpc, V2_ADDR, TS_OWNER_ADDR);
    unsigned before = fake_rpc_calls(f->rpc);
    static const char *const bad[] = {"", "0x", "0x1234", "not hex at all"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(secrets_set_web3(f->svc, V2_ADDR, u8(V2_VALUE), strlen(V2_VALUE), bad[i]), SMS_EAUTH);
        assert_int_equal(secrets_set_app(f->svc, V3_APP, u8(V3_VALUE), strlen(V3_VALUE), bad[i]), SMS_EAUTH);
    }
    /* Malformed asset addresses: no call either. */
    assert_int_equal(secrets_set_web3(f->svc, "0x1234", u8("v"), 1, V2_AUTH), SMS_EAUTH);
    assert_int_equal(secrets_set_web3(f->svc, &V2_ADDR[2], u8(V2_VALUE), strlen(V2_VALUE), V2_AUTH), SMS_EAUTH);
    assert_int_equal(secrets_set_app(f->svc, &V3_APP_LC[2], u8(V3_VALUE), strlen(V3_VALUE), V3_AUTH), SMS_EAUTH);
    assert_int_equal(fake_rpc_calls(f->rpc), before);
}

/* ---- sealing ---- */

static void test_sealed_value_bound_to_identity(void **state)
{
    fixture *f = *state;
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "a", "secret-of-a", 0), SMS_OK);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "b", "secret-of-b", 0), SMS_OK);
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, "c", "secret-of-c", 11), SMS_OK);
    secret_id ida = {SECRET_WEB2, TS_OWNER_ADDR_LC, "a"};
    secret_id idb = {SECRET_WEB2, TS_OWNER_ADDR_LC, "b"};
    secret_id idc = {SECRET_REQUESTER, TS_OWNER_ADDR_LC, "c"};
    uint8_t *rec = NULL;
    size_t len = 0;
    assert_int_equal(store_secret_get(f->store, &ida, &rec, &len), SMS_OK);
    /* The store holds a sealed record, never the plaintext. */
    assert_int_equal(len, 11 + AEAD_OVERHEAD);
    assert_null(memmem(rec, len, "secret-of-a", 11));
    /* Move a's ciphertext onto b's row: b no longer opens. */
    assert_int_equal(store_secret_update(f->store, &idb, rec, len), SMS_OK);
    uint8_t *v = (uint8_t *)0x1;
    size_t n = 77;
    assert_int_equal(secrets_get(f->svc, SECRET_WEB2, TS_OWNER_ADDR, "b", &v, &n), SMS_ECRYPTO);
    assert_ptr_equal(v, (uint8_t *)0x1); /* never an (empty) success */
    /* a is intact. */
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "a", "secret-of-a", 11);
    /* An update of the broken record refuses to proceed blindly. */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "b", "new", 1), SMS_ECRYPTO);
    /* Across kinds: a web2 ciphertext on a requester row. */
    assert_int_equal(store_secret_update(f->store, &idc, rec, len), SMS_OK);
    assert_int_equal(secrets_get(f->svc, SECRET_REQUESTER, TS_OWNER_ADDR, "c", &v, &n), SMS_ECRYPTO);
    /* Tampered record. */
    rec[len - 1] ^= 1;
    assert_int_equal(store_secret_update(f->store, &ida, rec, len), SMS_OK);
    assert_int_equal(secrets_get(f->svc, SECRET_WEB2, TS_OWNER_ADDR, "a", &v, &n), SMS_ECRYPTO);
    /* Truncated record (shorter than the envelope). */
    assert_int_equal(store_secret_update(f->store, &ida, rec, AEAD_OVERHEAD - 1), SMS_OK);
    assert_int_equal(secrets_get(f->svc, SECRET_WEB2, TS_OWNER_ADDR, "a", &v, &n), SMS_ECRYPTO);
    assert_int_equal(store_secret_update(f->store, &ida, rec, 0), SMS_OK);
    assert_int_equal(secrets_get(f->svc, SECRET_WEB2, TS_OWNER_ADDR, "a", &v, &n), SMS_ECRYPTO);
    assert_ptr_equal(v, (uint8_t *)0x1);
    free(rec);
}

static void test_ciphertexts_are_randomised(void **state)
{
    fixture *f = *state;
    /* Same value under two identities: different records (no ECB-like equality leak). */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "x1", "same", 0), SMS_OK);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "x2", "same", 0), SMS_OK);
    secret_id i1 = {SECRET_WEB2, TS_OWNER_ADDR_LC, "x1"};
    secret_id i2 = {SECRET_WEB2, TS_OWNER_ADDR_LC, "x2"};
    uint8_t *r1 = NULL, *r2 = NULL;
    size_t l1 = 0, l2 = 0;
    assert_int_equal(store_secret_get(f->store, &i1, &r1, &l1), SMS_OK);
    assert_int_equal(store_secret_get(f->store, &i2, &r2, &l2), SMS_OK);
    assert_int_equal(l1, l2);
    assert_memory_not_equal(r1, r2, l1);
    /* A no-op update keeps the stored record byte for byte. */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "x1", "same", 1), SMS_OK);
    uint8_t *r3 = NULL;
    size_t l3 = 0;
    assert_int_equal(store_secret_get(f->store, &i1, &r3, &l3), SMS_OK);
    assert_int_equal(l3, l1);
    assert_memory_equal(r3, r1, l1);
    free(r1);
    free(r2);
    free(r3);
}

static void test_seal_open_with_context(void **state)
{
    fixture *f = *state;
    static const uint8_t pt[] = "0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    uint8_t *rec = NULL, *out = NULL;
    size_t rec_len = 0, out_len = 0;
    assert_int_equal(secrets_seal(f->svc, "challenge:0xabc", pt, sizeof pt - 1, &rec, &rec_len), SMS_OK);
    assert_int_equal(rec_len, sizeof pt - 1 + AEAD_OVERHEAD);
    assert_null(memmem(rec, rec_len, pt, sizeof pt - 1));
    assert_int_equal(secrets_open(f->svc, "challenge:0xabc", rec, rec_len, &out, &out_len), SMS_OK);
    assert_int_equal(out_len, sizeof pt - 1);
    assert_memory_equal(out, pt, out_len);
    assert_int_equal(out[out_len], '\0');
    secure_free(out, out_len + 1);
    /* Another context, a prefix, a case change: refused. */
    static const char *const others[] = {"challenge:0xabd", "challenge:0xab", "challenge:0xABC", ""};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        out = (uint8_t *)0x1;
        assert_int_equal(secrets_open(f->svc, others[i], rec, rec_len, &out, &out_len), SMS_ECRYPTO);
        assert_ptr_equal(out, (uint8_t *)0x1);
    }
    /* Every single-bit flip is detected. */
    for (size_t i = 0; i < rec_len; i++) {
        rec[i] ^= 0x80;
        out = NULL;
        assert_int_equal(secrets_open(f->svc, "challenge:0xabc", rec, rec_len, &out, &out_len), SMS_ECRYPTO);
        rec[i] ^= 0x80;
    }
    /* Truncations. */
    for (size_t cut = 0; cut < rec_len; cut += 7)
        assert_int_equal(secrets_open(f->svc, "challenge:0xabc", rec, cut, &out, &out_len), SMS_ECRYPTO);
    /* Two seals of the same plaintext differ. */
    uint8_t *rec2 = NULL;
    size_t rec2_len = 0;
    assert_int_equal(secrets_seal(f->svc, "challenge:0xabc", pt, sizeof pt - 1, &rec2, &rec2_len), SMS_OK);
    assert_memory_not_equal(rec, rec2, rec_len);
    free(rec2);
    free(rec);
    /* Empty plaintext. */
    assert_int_equal(secrets_seal(f->svc, "ctx", u8(""), 0, &rec, &rec_len), SMS_OK);
    assert_int_equal(rec_len, AEAD_OVERHEAD);
    assert_int_equal(secrets_open(f->svc, "ctx", rec, rec_len, &out, &out_len), SMS_OK);
    assert_int_equal(out_len, 0);
    assert_int_equal(out[0], '\0');
    secure_free(out, 1);
    free(rec);
}

static void test_sealed_with_other_key_does_not_open(void **state)
{
    fixture *f = *state;
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "k", "value", 0), SMS_OK);
    /* A second service on the same store with another key (e.g. a restore with the
     * wrong key file): the record is an error, not an empty value. */
    uint8_t raw[32];
    assert_int_equal(RAND_bytes(raw, sizeof raw), 1);
    aead_key *other = NULL;
    assert_int_equal(aead_key_new(raw, sizeof raw, &other), SMS_OK);
    secrets_service *svc2 = NULL;
    assert_int_equal(secrets_service_new(f->store, other, NULL, NULL, 10, &svc2), SMS_OK);
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(svc2, SECRET_WEB2, TS_OWNER_ADDR, "k", &v, &n), SMS_ECRYPTO);
    assert_null(v);
    int e = 0;
    assert_int_equal(secrets_exists(svc2, SECRET_WEB2, TS_OWNER_ADDR, "k", &e), SMS_OK);
    assert_int_equal(e, 1);
    secrets_service_free(svc2);
    aead_key_free(other);
}

static aead_key *random_key(void)
{
    uint8_t raw[32];
    assert_int_equal(RAND_bytes(raw, sizeof raw), 1);
    aead_key *k = NULL;
    assert_int_equal(aead_key_new(raw, sizeof raw, &k), SMS_OK);
    secure_zero(raw, sizeof raw);
    return k;
}

static void test_seal_secret_with_matches_service(void **state)
{
    fixture *f = *state;
    /* A record prepared with the live key and the normalised identity opens through the
     * service exactly like one the service wrote. */
    secret_id id = {SECRET_WEB2, TS_OWNER_ADDR_LC, "prepared"};
    uint8_t *rec = NULL;
    size_t rec_len = 0;
    assert_int_equal(secrets_seal_secret_with(f->key, &id, u8("migrated value"), 14, &rec, &rec_len), SMS_OK);
    assert_int_equal(rec_len, 14 + AEAD_OVERHEAD);
    assert_int_equal(store_secret_insert(f->store, &id, rec, rec_len), SMS_OK);
    free(rec);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR_UC, "PREPARED", "migrated value", 14);
    /* The app identity uses the fixed index, web3 the empty name. */
    secret_id app = {SECRET_APP, "0xab8483f64d9c6d1ecf9b849ae677dd3315835cb2", SECRET_APP_INDEX};
    assert_int_equal(secrets_seal_secret_with(f->key, &app, u8("a"), 1, &rec, &rec_len), SMS_OK);
    assert_int_equal(store_secret_insert(f->store, &app, rec, rec_len), SMS_OK);
    free(rec);
    assert_value(f, SECRET_APP, V3_APP, "ignored", "a", 1);
    secret_id w3 = {SECRET_WEB3, "0x5b38da6a701c568545dcfcb03fcb875f56beddc4", ""};
    assert_int_equal(secrets_seal_secret_with(f->key, &w3, NULL, 0, &rec, &rec_len), SMS_OK);
    assert_int_equal(rec_len, AEAD_OVERHEAD);
    assert_int_equal(store_secret_insert(f->store, &w3, rec, rec_len), SMS_OK);
    free(rec);
    assert_value(f, SECRET_WEB3, V2_ADDR, NULL, "", 0);
    /* Under another key: the service refuses it. */
    aead_key *other = random_key();
    secret_id id2 = {SECRET_WEB2, TS_OWNER_ADDR_LC, "other-key"};
    assert_int_equal(secrets_seal_secret_with(other, &id2, u8("x"), 1, &rec, &rec_len), SMS_OK);
    assert_int_equal(store_secret_insert(f->store, &id2, rec, rec_len), SMS_OK);
    free(rec);
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(f->svc, SECRET_WEB2, TS_OWNER_ADDR, "other-key", &v, &n), SMS_ECRYPTO);
    /* A non-normalised identity is another identity: an upper-case name does not open. */
    secret_id upper = {SECRET_WEB2, TS_OWNER_ADDR_LC, "UPPER"};
    secret_id lower = {SECRET_WEB2, TS_OWNER_ADDR_LC, "upper"};
    assert_int_equal(secrets_seal_secret_with(f->key, &upper, u8("x"), 1, &rec, &rec_len), SMS_OK);
    assert_int_equal(store_secret_insert(f->store, &lower, rec, rec_len), SMS_OK);
    free(rec);
    assert_int_equal(secrets_get(f->svc, SECRET_WEB2, TS_OWNER_ADDR, "upper", &v, &n), SMS_ECRYPTO);
    aead_key_free(other);
}

static void test_seal_with_argument_checks(void **state)
{
    fixture *f = *state;
    secret_id id = {SECRET_WEB2, TS_OWNER_ADDR_LC, "n"};
    secret_id no_owner = {SECRET_WEB2, NULL, "n"};
    secret_id no_name = {SECRET_WEB2, TS_OWNER_ADDR_LC, NULL};
    uint8_t *rec = (uint8_t *)0x1;
    size_t rec_len = 0;
    assert_int_equal(secrets_seal_secret_with(NULL, &id, u8("v"), 1, &rec, &rec_len), SMS_EINVAL);
    assert_int_equal(secrets_seal_secret_with(f->key, NULL, u8("v"), 1, &rec, &rec_len), SMS_EINVAL);
    assert_int_equal(secrets_seal_secret_with(f->key, &no_owner, u8("v"), 1, &rec, &rec_len), SMS_EINVAL);
    assert_int_equal(secrets_seal_secret_with(f->key, &no_name, u8("v"), 1, &rec, &rec_len), SMS_EINVAL);
    assert_int_equal(secrets_seal_secret_with(f->key, &id, NULL, 1, &rec, &rec_len), SMS_EINVAL);
    assert_int_equal(secrets_seal_secret_with(f->key, &id, u8("v"), 1, NULL, &rec_len), SMS_EINVAL);
    assert_int_equal(secrets_seal_secret_with(f->key, &id, u8("v"), 1, &rec, NULL), SMS_EINVAL);
    assert_int_equal(secrets_seal_context_with(NULL, "c", u8("v"), 1, &rec, &rec_len), SMS_EINVAL);
    assert_int_equal(secrets_seal_context_with(f->key, NULL, u8("v"), 1, &rec, &rec_len), SMS_EINVAL);
    assert_int_equal(secrets_seal_context_with(f->key, "c", NULL, 1, &rec, &rec_len), SMS_EINVAL);
    assert_int_equal(secrets_seal_context_with(f->key, "c", u8("v"), 1, NULL, &rec_len), SMS_EINVAL);
    assert_int_equal(secrets_seal_context_with(f->key, "c", u8("v"), 1, &rec, NULL), SMS_EINVAL);
    assert_ptr_equal(rec, (uint8_t *)0x1);
    /* An identity too long for the associated data. */
    char huge[2048];
    memset(huge, 'n', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    secret_id too_long = {SECRET_WEB2, TS_OWNER_ADDR_LC, huge};
    assert_int_equal(secrets_seal_secret_with(f->key, &too_long, u8("v"), 1, &rec, &rec_len), SMS_ETOOBIG);
    assert_ptr_equal(rec, (uint8_t *)0x1);
}

static void test_seal_context_with_matches_service(void **state)
{
    fixture *f = *state;
    uint8_t *rec = NULL, *pt = NULL;
    size_t rec_len = 0, pt_len = 0;
    assert_int_equal(secrets_seal_context_with(f->key, "ctx-1", u8("payload"), 7, &rec, &rec_len), SMS_OK);
    assert_int_equal(secrets_open(f->svc, "ctx-1", rec, rec_len, &pt, &pt_len), SMS_OK);
    assert_int_equal(pt_len, 7);
    assert_memory_equal(pt, "payload", 7);
    secure_free(pt, pt_len + 1);
    assert_int_equal(secrets_open(f->svc, "ctx-2", rec, rec_len, &pt, &pt_len), SMS_ECRYPTO);
    free(rec);
    /* And the other way round: the service's seal opens under the same key and context
     * only (checked through verify with a challenge record below). */
}

static void test_verify_record(void **state)
{
    fixture *f = *state;
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "verify", "value", 0), SMS_OK);
    secret_id id = {SECRET_WEB2, TS_OWNER_ADDR_LC, "verify"};
    uint8_t *sealed = NULL;
    size_t len = 0;
    assert_int_equal(store_secret_get(f->store, &id, &sealed, &len), SMS_OK);
    store_record r;
    memset(&r, 0, sizeof r);
    r.type = STORE_REC_SECRET;
    r.secret = id;
    r.sealed = sealed;
    r.sealed_len = len;
    assert_int_equal(secrets_verify_record(f->key, &r), SMS_OK);
    /* Another identity, another key, a tampered record. */
    r.secret.name = "verify2";
    assert_int_equal(secrets_verify_record(f->key, &r), SMS_ECRYPTO);
    r.secret.name = "verify";
    r.secret.kind = SECRET_REQUESTER;
    assert_int_equal(secrets_verify_record(f->key, &r), SMS_ECRYPTO);
    r.secret.kind = SECRET_WEB2;
    aead_key *other = random_key();
    assert_int_equal(secrets_verify_record(other, &r), SMS_ECRYPTO);
    sealed[len / 2] ^= 0x01;
    assert_int_equal(secrets_verify_record(f->key, &r), SMS_ECRYPTO);
    sealed[len / 2] ^= 0x01;
    assert_int_equal(secrets_verify_record(f->key, &r), SMS_OK);
    r.sealed_len = 3;
    assert_int_equal(secrets_verify_record(f->key, &r), SMS_ECRYPTO);
    /* Malformed arguments. */
    assert_int_equal(secrets_verify_record(NULL, &r), SMS_EINVAL);
    assert_int_equal(secrets_verify_record(f->key, NULL), SMS_EINVAL);
    r.sealed = NULL;
    r.sealed_len = 5;
    assert_int_equal(secrets_verify_record(f->key, &r), SMS_EINVAL);
    r.sealed = sealed;
    r.sealed_len = len;
    r.secret.owner = NULL;
    assert_int_equal(secrets_verify_record(f->key, &r), SMS_EINVAL);
    r.secret.owner = TS_OWNER_ADDR_LC;
    r.type = (store_rec_type)99;
    assert_int_equal(secrets_verify_record(f->key, &r), SMS_EINVAL);

    /* Challenge records: the key is bound to "tee-challenge:" + task id. */
    static const char task[] = "0x24c43b0c66feb087dfb5fb8d731db16cd620f76475ed68b81c1aba9de302a646";
    static const char priv[] = "0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    uint8_t *rec = NULL;
    size_t rec_len = 0;
    assert_int_equal(secrets_seal_context_with(f->key, TEE_CHALLENGE_SEAL_CONTEXT_PREFIX "0x24c43b0c66feb087dfb5fb8d73"
                                                       "1db16cd620f76475ed68b81c1aba9de302a646",
                                               u8(priv), TEE_CHALLENGE_KEY_TEXT_LEN, &rec, &rec_len),
                     SMS_OK);
    challenge_rec ch;
    memset(&ch, 0, sizeof ch);
    snprintf(ch.task_id, sizeof ch.task_id, "%s", task);
    snprintf(ch.address, sizeof ch.address, "%s", TS_WORKER_ADDR_LC);
    ch.sealed_key = rec;
    ch.sealed_key_len = rec_len;
    store_record cr;
    memset(&cr, 0, sizeof cr);
    cr.type = STORE_REC_CHALLENGE;
    cr.challenge = &ch;
    assert_int_equal(secrets_verify_record(f->key, &cr), SMS_OK);
    assert_int_equal(secrets_verify_record(other, &cr), SMS_ECRYPTO);
    ch.task_id[10] ^= 0x01; /* another task */
    assert_int_equal(secrets_verify_record(f->key, &cr), SMS_ECRYPTO);
    ch.task_id[10] ^= 0x01;
    /* The service's own context seal is the same scheme. */
    uint8_t *rec2 = NULL;
    size_t rec2_len = 0;
    assert_int_equal(secrets_seal(f->svc, TEE_CHALLENGE_SEAL_CONTEXT_PREFIX "0x24c43b0c66feb087dfb5fb8d731db16cd6"
                                          "20f76475ed68b81c1aba9de302a646",
                                  u8(priv), TEE_CHALLENGE_KEY_TEXT_LEN, &rec2, &rec2_len),
                     SMS_OK);
    ch.sealed_key = rec2;
    ch.sealed_key_len = rec2_len;
    assert_int_equal(secrets_verify_record(f->key, &cr), SMS_OK);
    /* A task id filling the whole field without a NUL is read within the field. */
    memset(ch.task_id, 'a', sizeof ch.task_id);
    assert_int_equal(secrets_verify_record(f->key, &cr), SMS_ECRYPTO);
    ch.sealed_key = NULL;
    assert_int_equal(secrets_verify_record(f->key, &cr), SMS_EINVAL);
    cr.challenge = NULL;
    assert_int_equal(secrets_verify_record(f->key, &cr), SMS_EINVAL);
    free(rec);
    free(rec2);
    free(sealed);
    aead_key_free(other);
}

static void test_set_key(void **state)
{
    fixture *f = *state;
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "before", "old-key-value", 0), SMS_OK);
    aead_key *next = random_key();
    secrets_set_key(f->svc, next);
    /* Records of the old key no longer open; new ones are sealed with the new key. */
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(f->svc, SECRET_WEB2, TS_OWNER_ADDR, "before", &v, &n), SMS_ECRYPTO);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "after", "new-key-value", 0), SMS_OK);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "after", "new-key-value", 13);
    secret_id id = {SECRET_WEB2, TS_OWNER_ADDR_LC, "after"};
    uint8_t *sealed = NULL;
    size_t len = 0;
    assert_int_equal(store_secret_get(f->store, &id, &sealed, &len), SMS_OK);
    store_record r = {.type = STORE_REC_SECRET, .secret = id, .sealed = sealed, .sealed_len = len};
    assert_int_equal(secrets_verify_record(next, &r), SMS_OK);
    assert_int_equal(secrets_verify_record(f->key, &r), SMS_ECRYPTO);
    free(sealed);
    /* NULL arguments are ignored. */
    secrets_set_key(f->svc, NULL);
    secrets_set_key(NULL, next);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "after", "new-key-value", 13);
    /* Back to the first key. */
    secrets_set_key(f->svc, f->key);
    assert_value(f, SECRET_WEB2, TS_OWNER_ADDR, "before", "old-key-value", 13);
    assert_int_equal(secrets_get(f->svc, SECRET_WEB2, TS_OWNER_ADDR, "after", &v, &n), SMS_ECRYPTO);
    aead_key_free(next);
}

static int file_contains(const char *path, const void *needle, size_t n)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (tmpdir_read_file(path, &data, &len) != 0) return 0; /* absent file: nothing inside */
    int hit = data != NULL && memmem(data, len, needle, n) != NULL;
    free(data);
    return hit;
}

static int db_contains(fixture *f, const void *needle, size_t n)
{
    char path[1100];
    int hit = file_contains(f->db, needle, n);
    snprintf(path, sizeof path, "%s-wal", f->db);
    hit |= file_contains(path, needle, n);
    snprintf(path, sizeof path, "%s-shm", f->db);
    hit |= file_contains(path, needle, n);
    snprintf(path, sizeof path, "%s-journal", f->db);
    hit |= file_contains(path, needle, n);
    return hit;
}

static void test_database_never_holds_plaintext(void **state)
{
    fixture *f = *state;
    static const char marker[] = "PLAINTEXT-MARKER-3b1f9e2a7c5d4e6f8a0b";
    static const char marker2[] = "REQUESTER-MARKER-\xe2\x82\xac-9c8d7e6f";
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "plain-check", marker, 0), SMS_OK);
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, "plain-check", marker2, strlen(marker2)), SMS_OK);
    /* Updated values too (the old value must not linger either). */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "plain-check", "UPDATED-MARKER-55aa55aa55aa", 1), SMS_OK);
    /* The files were written (identifiers are in clear: proves we read the right ones). */
    assert_true(db_contains(f, "plain-check", 11));
    assert_false(db_contains(f, marker, strlen(marker)));
    assert_false(db_contains(f, marker2, strlen(marker2)));
    assert_false(db_contains(f, "UPDATED-MARKER-55aa55aa55aa", 27));
    /* After a close (checkpoint into the main file) too. */
    secrets_service_free(f->svc);
    f->svc = NULL;
    store_close(f->store);
    f->store = NULL;
    assert_true(file_contains(f->db, "plain-check", 11));
    assert_false(db_contains(f, marker, strlen(marker)));
    assert_false(db_contains(f, marker2, strlen(marker2)));
    assert_false(db_contains(f, "UPDATED-MARKER-55aa55aa55aa", 27));
}

/* Redirect stderr (where the log goes) into a file. */
static int capture_begin(const char *path)
{
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    assert_true(dup2(fd, 2) >= 0);
    close(fd);
    return saved;
}

static void capture_end(int saved)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
}

static void test_logs_never_contain_secrets(void **state)
{
    fixture *f = *state;
    static const char v1[] = "LOGCHECK-VALUE-ONE-a1b2c3";
    static const char v2[] = "LOGCHECK-VALUE-TWO-d4e5f6";
    static const char v3[] = "LOGCHECK-VALUE-THREE-0918";
    char log_path[1100];
    tmpdir_join(f->dir, "log.txt", log_path, sizeof log_path);
    char sig_ok[133], sig_bad[133];
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "logged", v1, strlen(v1), sig_ok);
    ts_sign_named(TS_WORKER_KEY, TS_OWNER_ADDR, "logged", v3, strlen(v3), sig_bad);

    sms_log_set_level(LOG_LVL_DEBUG);
    int saved = capture_begin(log_path);
    sms_status s1 = secrets_set_web2(f->svc, TS_OWNER_ADDR, "logged", u8(v1), strlen(v1), sig_ok, 0);
    sms_status s2 = web2_s(f, TS_OWNER_ADDR, "logged", v2, 1);
    sms_status s3 = secrets_set_web2(f->svc, TS_OWNER_ADDR, "logged", u8(v3), strlen(v3), sig_bad, 1);
    sms_status s4 = requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, "logged", v3, strlen(v3));
    uint8_t *v = NULL;
    size_t n = 0;
    sms_status s5 = secrets_get(f->svc, SECRET_WEB2, TS_OWNER_ADDR, "logged", &v, &n);
    capture_end(saved);
    sms_log_set_level(LOG_LVL_ERROR);

    assert_int_equal(s1, SMS_OK);
    assert_int_equal(s2, SMS_OK);
    assert_int_equal(s3, SMS_EAUTH);
    assert_int_equal(s4, SMS_OK);
    assert_int_equal(s5, SMS_OK);
    secure_free(v, n + 1);
    uint8_t *log = NULL;
    size_t log_len = 0;
    assert_int_equal(tmpdir_read_file(log_path, &log, &log_len), 0);
    /* The capture worked (identifiers are logged)... */
    assert_non_null(log);
    assert_non_null(memmem(log, log_len, "web2 secret added", 17));
    assert_non_null(memmem(log, log_len, "unauthorized", 12));
    /* ...but never a value nor an Authorization (nor a part of one). */
    assert_null(memmem(log, log_len, "LOGCHECK-VALUE", 14));
    assert_null(memmem(log, log_len, sig_ok + 2, 64));
    assert_null(memmem(log, log_len, sig_ok + 66, 64));
    assert_null(memmem(log, log_len, sig_bad + 2, 64));
    assert_null(memmem(log, log_len, sig_bad + 66, 64));
    free(log);
}

/* ---- existence cache and metrics ---- */

static void test_negative_answers_not_cached(void **state)
{
    fixture *f = *state;
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "later"), 0);
    /* A row written behind the service's back (another instance on a shared database). */
    static const uint8_t junk[AEAD_OVERHEAD + 1] = {1};
    secret_id id = {SECRET_WEB2, TS_OWNER_ADDR_LC, "later"};
    assert_int_equal(store_secret_insert(f->store, &id, junk, sizeof junk), SMS_OK);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "later"), 1);
    secrets_refresh_metrics(f->svc);
    assert_int_equal(metric(f, "web2", "cachedSecretsCount"), 1);
    /* Positive answers are cached: still there after a clear of the caches (from the
     * database) and the cache empties. */
    secrets_clear_caches(f->svc);
    secrets_refresh_metrics(f->svc);
    assert_int_equal(metric(f, "web2", "cachedSecretsCount"), 0);
    assert_int_equal(exists(f, SECRET_WEB2, TS_OWNER_ADDR, "later"), 1);
}

static void test_metrics_counts(void **state)
{
    fixture *f = *state;
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "m1", "v", 0), SMS_OK);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "m2", "v", 0), SMS_OK);
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "m2", "w", 1), SMS_OK); /* update: no count */
    assert_int_equal(web2_s(f, TS_OWNER_ADDR, "m2", "w", 0), SMS_EEXISTS);
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, "r1", "v", 1), SMS_OK);
    assert_int_equal(metric(f, "web2", "addedSinceStartCount"), 2);
    assert_int_equal(metric(f, "compute", "addedSinceStartCount"), 1);
    assert_int_equal(metric(f, "web3", "addedSinceStartCount"), 0);
    assert_int_equal(metric(f, "TEE challenges", "addedSinceStartCount"), 0);
    /* Before any refresh, stored = initial = 0. */
    assert_int_equal(metric(f, "web2", "initialCount"), 0);
    assert_int_equal(metric(f, "web2", "storedCount"), 0);
    secrets_refresh_metrics(f->svc);
    assert_int_equal(metric(f, "web2", "storedCount"), 2);
    assert_int_equal(metric(f, "compute", "storedCount"), 1);
    assert_int_equal(metric(f, "web3", "storedCount"), 0);
    assert_int_equal(metric(f, "TEE challenges", "storedCount"), 0);
    /* Inserts remember existence: two web2 and one compute entries cached. */
    assert_int_equal(metric(f, "web2", "cachedSecretsCount"), 2);
    assert_int_equal(metric(f, "compute", "cachedSecretsCount"), 1);
    assert_int_equal(metric(f, "web3", "cachedSecretsCount"), 0);
    /* A new service on the same store starts from the rows present. */
    sms_metrics *m2 = metrics_new(NULL, 0);
    assert_non_null(m2);
    secrets_service *svc2 = NULL;
    assert_int_equal(secrets_service_new(f->store, f->key, NULL, m2, 10, &svc2), SMS_OK);
    json_t *doc = metrics_secrets_json(m2);
    json_t *w2 = json_object_get(json_object_get(doc, "secretsMetrics"), "web2");
    assert_int_equal(json_integer_value(json_object_get(w2, "initialCount")), 2);
    assert_int_equal(json_integer_value(json_object_get(w2, "storedCount")), 2);
    assert_int_equal(json_integer_value(json_object_get(w2, "addedSinceStartCount")), 0);
    json_t *cp = json_object_get(json_object_get(doc, "secretsMetrics"), "compute");
    assert_int_equal(json_integer_value(json_object_get(cp, "initialCount")), 1);
    json_decref(doc);
    secrets_service_free(svc2);
    metrics_free(m2);
}

static void test_service_without_metrics(void **state)
{
    fixture *f = *state;
    secrets_service *svc2 = NULL;
    assert_int_equal(secrets_service_new(f->store, f->key, NULL, NULL, 0, &svc2), SMS_OK);
    char sig[133];
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "nm", "v", 1, sig);
    assert_int_equal(secrets_set_web2(svc2, TS_OWNER_ADDR, "nm", u8("v"), 1, sig, 0), SMS_OK);
    secrets_refresh_metrics(svc2); /* no metrics: nothing to do, no crash */
    int e = 0;
    assert_int_equal(secrets_exists(svc2, SECRET_WEB2, TS_OWNER_ADDR, "NM", &e), SMS_OK);
    assert_int_equal(e, 1);
    secrets_service_free(svc2);
    secrets_service_free(NULL);
}

static void test_get_absent(void **state)
{
    fixture *f = *state;
    static const secret_kind kinds[] = {SECRET_WEB2, SECRET_WEB3, SECRET_APP, SECRET_REQUESTER};
    for (size_t i = 0; i < 4; i++) {
        uint8_t *v = NULL;
        size_t n = 0;
        assert_int_equal(secrets_get(f->svc, kinds[i], TS_OWNER_ADDR, "k", &v, &n), SMS_ENOTFOUND);
        assert_null(v);
        assert_int_equal(exists(f, kinds[i], TS_OWNER_ADDR, "k"), 0);
    }
    /* Non-UTF-8 identities cannot have been stored. */
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(f->svc, SECRET_WEB2, TS_OWNER_ADDR, "\xff", &v, &n), SMS_ENOTFOUND);
}

static void test_store_failures(void **state)
{
    fixture *f = *state;
    sms_store *down = NULL;
    assert_int_equal(failing_store_open(SMS_ESTORE, &down), SMS_OK);
    sms_metrics *m = metrics_new(NULL, 0);
    assert_non_null(m);
    secrets_service *svc = NULL;
    /* Counting fails at start: -1, not 0 (an outage is not an empty store). */
    assert_int_equal(secrets_service_new(down, f->key, NULL, m, 10, &svc), SMS_OK);
    json_t *doc = metrics_secrets_json(m);
    static const char *const types[] = {"web2", "web3", "compute", "TEE challenges"};
    for (size_t i = 0; i < 4; i++) {
        json_t *e = json_object_get(json_object_get(doc, "secretsMetrics"), types[i]);
        assert_int_equal(json_integer_value(json_object_get(e, "initialCount")), -1);
    }
    json_decref(doc);
    char sig[133];
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "n", "v", 1, sig);
    assert_int_equal(secrets_set_web2(svc, TS_OWNER_ADDR, "n", u8("v"), 1, sig, 0), SMS_ESTORE);
    assert_int_equal(secrets_set_web2(svc, TS_OWNER_ADDR, "n", u8("v"), 1, sig, 1), SMS_ESTORE);
    ts_sign_named(TS_OWNER_KEY, TS_OWNER_ADDR, "k", "v", 1, sig);
    assert_int_equal(secrets_set_requester(svc, TS_OWNER_ADDR, "k", u8("v"), 1, sig), SMS_ESTORE);
    /* Auth is still checked first. */
    assert_int_equal(secrets_set_web2(svc, TS_OWNER_ADDR, "n", u8("v"), 1, V1_AUTH, 0), SMS_EAUTH);
    int e = 7;
    assert_int_equal(secrets_exists(svc, SECRET_WEB2, TS_OWNER_ADDR, "n", &e), SMS_ESTORE);
    assert_int_equal(e, 0);
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(svc, SECRET_WEB2, TS_OWNER_ADDR, "n", &v, &n), SMS_ESTORE);
    assert_null(v);
    /* Nothing was counted as added; the refresh records the failure. */
    secrets_refresh_metrics(svc);
    doc = metrics_secrets_json(m);
    json_t *w2 = json_object_get(json_object_get(doc, "secretsMetrics"), "web2");
    assert_int_equal(json_integer_value(json_object_get(w2, "addedSinceStartCount")), 0);
    assert_int_equal(json_integer_value(json_object_get(w2, "storedCount")), -1);
    assert_int_equal(json_integer_value(json_object_get(w2, "cachedSecretsCount")), 0);
    json_decref(doc);
    secrets_service_free(svc);
    metrics_free(m);
    store_close(down);
}

static void test_identity_beyond_cache_key(void **state)
{
    fixture *f = *state;
    /* An identity too long even for the cache key (> 1 KiB): answered, never cached. */
    char name[1200];
    memset(name, 'q', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    int e = -1;
    assert_int_equal(secrets_exists(f->svc, SECRET_WEB2, TS_OWNER_ADDR, name, &e), SMS_OK);
    assert_int_equal(e, 0);
    secrets_refresh_metrics(f->svc);
    assert_int_equal(metric(f, "web2", "cachedSecretsCount"), 0);
}

static void test_non_utf8_keys_and_values(void **state)
{
    fixture *f = *state;
    /* Requester key not UTF-8: cannot be signed as the reference would hash it. */
    assert_int_equal(requester(f, TS_OWNER_KEY, TS_OWNER_ADDR, "k\xff", "v", 1), SMS_EAUTH);
    assert_int_equal(exists(f, SECRET_REQUESTER, TS_OWNER_ADDR, "k\xff"), 0);
    /* App value not UTF-8 (checked before any chain access: there is no chain here). */
    static const uint8_t raw[] = {'a', 0xc0, 0x80};
    char sig[133];
    ts_sign_named(TS_OWNER_KEY, V3_APP, "1", raw, sizeof raw, sig);
    assert_int_equal(secrets_set_app(f->svc, V3_APP, raw, sizeof raw, sig), SMS_EAUTH);
    ts_sign_web3(TS_OWNER_KEY, V2_ADDR, raw, sizeof raw, sig);
    assert_int_equal(secrets_set_web3(f->svc, V2_ADDR, raw, sizeof raw, sig), SMS_EAUTH);
}

static void test_requester_key_valid(void **state)
{
    (void)state;
    char *k64 = filler(64, '_');
    char *k65 = filler(65, '-');
    assert_true(secrets_requester_key_valid("a"));
    assert_true(secrets_requester_key_valid("my-key"));
    assert_true(secrets_requester_key_valid("0123456789"));
    assert_true(secrets_requester_key_valid("ABCXYZabcxyz-_"));
    assert_true(secrets_requester_key_valid(k64));
    assert_false(secrets_requester_key_valid(k65));
    assert_false(secrets_requester_key_valid(""));
    static const char *const bad[] = {" ", "a b", "a.b", "a/b", "a\\b", "a:b", "a@b", "a`b", "a[b", "a{b",
                                      "a~b", "\xc3\xa9", "a\tb", "key\n", "a=b", "a+b", "*", "?"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (secrets_requester_key_valid(bad[i])) fail_msg("'%s' accepted", bad[i]);
    /* Every ASCII byte, one at a time. */
    for (int c = 1; c < 256; c++) {
        char k[2] = {(char)c, 0};
        int expect = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
        assert_int_equal(secrets_requester_key_valid(k), expect);
    }
    free(k64);
    free(k65);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TC(fn) cmocka_unit_test_setup_teardown(fn, setup_chain, teardown)
    const struct CMUnitTest tests[] = {
        T(test_web2_v1_vector_and_lookups),
        T(test_web2_signature_forms_accepted),
        T(test_web2_name_case_is_one_secret_but_signed_as_sent),
        T(test_web2_unicode_name_lowercased),
        T(test_web2_owner_forms),
        T(test_web2_duplicate),
        T(test_web2_update),
        T(test_web2_wrong_signer),
        T(test_web2_malformed_signatures),
        T(test_web2_v_values),
        T(test_web2_size_limit_after_auth),
        T(test_web2_non_utf8),
        T(test_web2_name_lengths_ascii),
        T(test_web2_long_name_head_is_not_found),
        T(test_web2_name_lengths_non_ascii),
        T(test_web2_long_emoji_names_are_conflicts),
        T(test_requester_v4_vector),
        T(test_requester_key_rules),
        T(test_requester_keys_case_sensitive),
        T(test_requester_auth_and_size),
        T(test_assets_without_chain_never_authorised),
        TC(test_web3_with_owner),
        TC(test_app_with_owner),
        TC(test_asset_owner_failures),
        cmocka_unit_test_setup_teardown(test_asset_owner_timeout_is_chain_error, setup_chain_fast, teardown),
        T(test_asset_owner_node_down_is_chain_error),
        TC(test_asset_malformed_signature_costs_no_chain_call),
        T(test_sealed_value_bound_to_identity),
        T(test_ciphertexts_are_randomised),
        T(test_seal_open_with_context),
        T(test_sealed_with_other_key_does_not_open),
        T(test_seal_secret_with_matches_service),
        T(test_seal_with_argument_checks),
        T(test_seal_context_with_matches_service),
        T(test_verify_record),
        T(test_set_key),
        T(test_database_never_holds_plaintext),
        T(test_logs_never_contain_secrets),
        T(test_negative_answers_not_cached),
        T(test_metrics_counts),
        T(test_service_without_metrics),
        T(test_get_absent),
        T(test_store_failures),
        T(test_identity_beyond_cache_key),
        T(test_non_utf8_keys_and_values),
        cmocka_unit_test(test_requester_key_valid),
    };
#undef T
#undef TC
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
