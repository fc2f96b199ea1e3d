/* Storage port tests. Backend-independent: with SMS_TEST_STORE_URL set (e.g. a
 * postgresql:// URL) they run against that store, otherwise against a fresh SQLite file
 * per test under $SMS_TEST_TMPDIR (or /tmp). Every identity carries a per-run random tag
 * so that a shared database with older rows does not disturb the assertions; counts are
 * compared as deltas, and exact only on a fresh SQLite file. SQLite-specific checks
 * (schema_version table, file paths) are skipped for other URLs. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"

/* ---- fixture ---- */

static char g_dir[512];      /* temp dir for SQLite files, always present */
static const char *g_env_url; /* SMS_TEST_STORE_URL, or NULL */
static char g_run[17];       /* random hex tag of this run */
static int g_file_seq;

typedef struct {
    sms_store *st;
    char url[720];
    char path[700]; /* SQLite file, "" for other backends */
} fixture;

static int is_sqlite(void)
{
    return g_env_url == NULL;
}

static void new_sqlite_path(char *path, size_t cap)
{
    int n = snprintf(path, cap, "%s/store-%d.db", g_dir, ++g_file_seq);
    assert_true(n > 0 && (size_t)n < cap);
}

static int fx_setup(void **state)
{
    fixture *fx = calloc(1, sizeof(*fx));
    char err[256];
    sms_status rc;

    assert_non_null(fx);
    if (g_env_url) {
        snprintf(fx->url, sizeof(fx->url), "%s", g_env_url);
    } else {
        new_sqlite_path(fx->path, sizeof(fx->path));
        snprintf(fx->url, sizeof(fx->url), "sqlite:%s", fx->path);
    }
    rc = store_open(fx->url, &fx->st, err, sizeof(err));
    if (rc != SMS_OK)
        fail_msg("store_open(%s): %s: %s", fx->url, sms_status_name(rc), err);
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    fixture *fx = *state;

    store_close(fx->st);
    free(fx);
    return 0;
}

static sms_store *fx_reopen(fixture *fx)
{
    char err[256];
    sms_status rc;

    store_close(fx->st);
    fx->st = NULL;
    rc = store_open(fx->url, &fx->st, err, sizeof(err));
    if (rc != SMS_OK)
        fail_msg("reopen: %s: %s", sms_status_name(rc), err);
    return fx->st;
}

/* Exact on a fresh SQLite file; at least on a shared database. */
static void assert_delta(int64_t got, int64_t want)
{
    if (is_sqlite())
        assert_int_equal(got, want);
    else
        assert_true(got >= want);
}

/* ---- helpers ---- */

static void make_owner(char *buf, size_t cap, const char *tag, int n)
{
    snprintf(buf, cap, "0x%s%s%04d", g_run, tag, n);
}

static void make_task(char *buf, size_t cap, const char *tag, int n)
{
    snprintf(buf, cap, "0x%s-%s-%06d", g_run, tag, n);
}

static void make_value(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 8));
}

static void make_candidate(challenge_rec *c, const char *task, unsigned seed, uint8_t *key, size_t key_len,
                           int64_t deadline)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->task_id, sizeof(c->task_id), "%s", task);
    snprintf(c->address, sizeof(c->address), "0x%040x", seed);
    make_value(key, key_len, seed);
    c->sealed_key = key;
    c->sealed_key_len = key_len;
    c->final_deadline_ms = deadline;
}

static void assert_secret(sms_store *st, const secret_id *id, const uint8_t *want, size_t want_len)
{
    uint8_t *got = NULL;
    size_t len = 0;

    assert_int_equal(store_secret_get(st, id, &got, &len), SMS_OK);
    assert_int_equal(len, want_len);
    if (want_len)
        assert_memory_equal(got, want, want_len);
    free(got);
}

static void assert_absent(sms_store *st, const secret_id *id)
{
    uint8_t *got = (uint8_t *)1;
    size_t len = 7;
    int exists = -1;

    assert_int_equal(store_secret_exists(st, id, &exists), SMS_OK);
    assert_int_equal(exists, 0);
    assert_int_equal(store_secret_get(st, id, &got, &len), SMS_ENOTFOUND);
    assert_null(got);
    assert_int_equal(len, 0);
}

static void assert_present(sms_store *st, const secret_id *id)
{
    int exists = -1;

    assert_int_equal(store_secret_exists(st, id, &exists), SMS_OK);
    assert_int_equal(exists, 1);
}

/* ---- secrets ---- */

static void test_secret_crud_every_kind(void **state)
{
    fixture *fx = *state;
    static const secret_kind kinds[] = {SECRET_WEB2, SECRET_WEB3, SECRET_APP, SECRET_REQUESTER};
    static const char *const names[] = {"my-secret", "", "1", "My-Key_1"};
    char owner[80];
    uint8_t v1[61], v2[45];

    for (size_t k = 0; k < 4; k++) {
        secret_id id = {kinds[k], owner, names[k]};
        make_owner(owner, sizeof(owner), "crud", (int)k);
        make_value(v1, sizeof(v1), 1 + (unsigned)k);
        make_value(v2, sizeof(v2), 100 + (unsigned)k);

        assert_absent(fx->st, &id);
        assert_int_equal(store_secret_update(fx->st, &id, v1, sizeof(v1)), SMS_ENOTFOUND);
        assert_absent(fx->st, &id); /* a failed update creates nothing */

        assert_int_equal(store_secret_insert(fx->st, &id, v1, sizeof(v1)), SMS_OK);
        assert_present(fx->st, &id);
        assert_secret(fx->st, &id, v1, sizeof(v1));

        /* Duplicate insert fails and leaves the stored value alone. */
        assert_int_equal(store_secret_insert(fx->st, &id, v2, sizeof(v2)), SMS_EEXISTS);
        assert_secret(fx->st, &id, v1, sizeof(v1));

        assert_int_equal(store_secret_update(fx->st, &id, v2, sizeof(v2)), SMS_OK);
        assert_secret(fx->st, &id, v2, sizeof(v2));
        /* Same value again: still OK (the row exists). */
        assert_int_equal(store_secret_update(fx->st, &id, v2, sizeof(v2)), SMS_OK);
        assert_secret(fx->st, &id, v2, sizeof(v2));
    }
}

static void test_secret_empty_value(void **state)
{
    fixture *fx = *state;
    char owner[80];
    secret_id id = {SECRET_WEB2, owner, "empty"};
    uint8_t *got = NULL;
    size_t len = 99;

    make_owner(owner, sizeof(owner), "empty", 0);
    assert_int_equal(store_secret_insert(fx->st, &id, NULL, 0), SMS_OK);
    assert_present(fx->st, &id);
    assert_int_equal(store_secret_get(fx->st, &id, &got, &len), SMS_OK);
    assert_non_null(got);
    assert_int_equal(len, 0);
    free(got);
}

static void test_identity_isolation(void **state)
{
    fixture *fx = *state;
    char owner[80], owner2[80];
    uint8_t a[40], b[40], c[40];
    secret_id web2 = {SECRET_WEB2, owner, "x"};
    secret_id app = {SECRET_APP, owner, "x"};
    secret_id req = {SECRET_REQUESTER, owner, "x"};
    secret_id web2_other_owner = {SECRET_WEB2, owner2, "x"};
    secret_id req_upper = {SECRET_REQUESTER, owner, "X"};
    secret_id web2_other_name = {SECRET_WEB2, owner, "y"};

    make_owner(owner, sizeof(owner), "iso", 1);
    make_owner(owner2, sizeof(owner2), "iso", 2);
    make_value(a, sizeof(a), 1);
    make_value(b, sizeof(b), 2);
    make_value(c, sizeof(c), 3);

    assert_int_equal(store_secret_insert(fx->st, &web2, a, sizeof(a)), SMS_OK);
    /* Same (owner, name), other kinds: distinct records. */
    assert_absent(fx->st, &app);
    assert_absent(fx->st, &req);
    assert_int_equal(store_secret_update(fx->st, &app, b, sizeof(b)), SMS_ENOTFOUND);
    assert_int_equal(store_secret_insert(fx->st, &app, b, sizeof(b)), SMS_OK);
    assert_int_equal(store_secret_insert(fx->st, &req, c, sizeof(c)), SMS_OK);
    assert_secret(fx->st, &web2, a, sizeof(a));
    assert_secret(fx->st, &app, b, sizeof(b));
    assert_secret(fx->st, &req, c, sizeof(c));

    /* Same name, other owner; other name, same owner. */
    assert_absent(fx->st, &web2_other_owner);
    assert_absent(fx->st, &web2_other_name);
    assert_int_equal(store_secret_insert(fx->st, &web2_other_owner, c, sizeof(c)), SMS_OK);
    assert_secret(fx->st, &web2, a, sizeof(a));
    assert_secret(fx->st, &web2_other_owner, c, sizeof(c));

    /* The store does not normalise: requester keys are case-sensitive. */
    assert_absent(fx->st, &req_upper);
    assert_int_equal(store_secret_insert(fx->st, &req_upper, a, sizeof(a)), SMS_OK);
    assert_secret(fx->st, &req, c, sizeof(c));
    assert_secret(fx->st, &req_upper, a, sizeof(a));

    /* Updating one leaves its look-alikes alone. */
    assert_int_equal(store_secret_update(fx->st, &app, a, sizeof(a)), SMS_OK);
    assert_secret(fx->st, &web2, a, sizeof(a));
    assert_secret(fx->st, &req, c, sizeof(c));
    assert_secret(fx->st, &app, a, sizeof(a));
}

static void test_limits_and_bad_arguments(void **state)
{
    fixture *fx = *state;
    char owner[80], name[1100], longowner[300];
    uint8_t v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    secret_id id = {SECRET_WEB2, owner, name};
    uint8_t *got = NULL;
    size_t len = 0;
    int exists = 0;
    int64_t n = 0;

    make_owner(owner, sizeof(owner), "lim", 0);

    /* web2 name: 255 characters accepted, 256 refused. */
    memset(name, 'a', 255);
    name[255] = '\0';
    assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_OK);
    assert_secret(fx->st, &id, v, sizeof(v));
    memset(name, 'b', 256);
    name[256] = '\0';
    assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_EINVAL);
    assert_int_equal(store_secret_update(fx->st, &id, v, sizeof(v)), SMS_EINVAL);
    assert_int_equal(store_secret_exists(fx->st, &id, &exists), SMS_EINVAL);

    /* Limit counted in characters: 255 two-byte characters fit, 256 do not. */
    for (int i = 0; i < 255; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2);
    name[510] = '\0';
    assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_OK);
    assert_secret(fx->st, &id, v, sizeof(v));
    memcpy(name + 510, "\xc3\xa9", 3);
    assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_EINVAL);
    /* A 4-byte character counts as two (UTF-16), as in the reference. */
    for (int i = 0; i < 128; i++)
        memcpy(name + 4 * i, "\xf0\x9f\x94\x91", 4);
    name[512] = '\0';
    assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_EINVAL);

    /* Requester key: 64 accepted, 65 refused. */
    id.kind = SECRET_REQUESTER;
    memset(name, 'k', 64);
    name[64] = '\0';
    assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_OK);
    name[64] = 'k';
    name[65] = '\0';
    assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_EINVAL);

    /* Owner: 255 max, never empty. */
    id.kind = SECRET_WEB3;
    id.name = "";
    memset(longowner, 'o', 256);
    longowner[256] = '\0';
    id.owner = longowner;
    assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_EINVAL);
    id.owner = "";
    assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_EINVAL);
    id.owner = NULL;
    assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_EINVAL);
    id.owner = owner;
    id.name = NULL;
    assert_int_equal(store_secret_get(fx->st, &id, &got, &len), SMS_EINVAL);
    id.name = "";

    /* Kinds outside the enum. */
    id.kind = (secret_kind)0;
    assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_EINVAL);
    id.kind = (secret_kind)5;
    assert_int_equal(store_secret_exists(fx->st, &id, &exists), SMS_EINVAL);
    id.kind = SECRET_WEB3;

    /* Values: NULL with a length, oversized. */
    assert_int_equal(store_secret_insert(fx->st, &id, NULL, 4), SMS_EINVAL);
    assert_int_equal(store_secret_insert(fx->st, &id, v, (size_t)1 << 30), SMS_ETOOBIG);
    assert_absent(fx->st, &id);

    /* NULL handles and out-pointers. */
    assert_int_equal(store_secret_insert(NULL, &id, v, sizeof(v)), SMS_EINVAL);
    assert_int_equal(store_secret_insert(fx->st, NULL, v, sizeof(v)), SMS_EINVAL);
    assert_int_equal(store_secret_get(fx->st, &id, NULL, &len), SMS_EINVAL);
    assert_int_equal(store_secret_get(fx->st, &id, &got, NULL), SMS_EINVAL);
    assert_int_equal(store_secret_exists(fx->st, &id, NULL), SMS_EINVAL);
    assert_int_equal(store_count(fx->st, STORE_COUNT_WEB2, NULL), SMS_EINVAL);
    assert_int_equal(store_count(fx->st, (store_count_kind)42, &n), SMS_EINVAL);
    assert_int_equal(store_count(NULL, STORE_COUNT_WEB2, &n), SMS_EINVAL);
    assert_int_equal(store_ping(NULL), SMS_EINVAL);
    assert_int_equal(store_foreach(fx->st, NULL, NULL), SMS_EINVAL);
    assert_int_equal(store_put_record(fx->st, NULL), SMS_EINVAL);
    store_close(NULL);
    challenge_rec_clear(NULL);
}

static void test_count_per_kind(void **state)
{
    fixture *fx = *state;
    int64_t before[4], after[4];
    static const store_count_kind ck[4] = {STORE_COUNT_WEB2, STORE_COUNT_WEB3, STORE_COUNT_COMPUTE,
                                           STORE_COUNT_CHALLENGES};
    char owner[80], task[80];
    uint8_t v[16], key[48];
    challenge_rec cand, out;
    int created;

    for (int i = 0; i < 4; i++)
        assert_int_equal(store_count(fx->st, ck[i], &before[i]), SMS_OK);
    if (is_sqlite())
        for (int i = 0; i < 4; i++)
            assert_int_equal(before[i], 0);

    make_value(v, sizeof(v), 9);
    for (int i = 0; i < 3; i++) {
        secret_id id = {SECRET_WEB2, owner, "n"};
        make_owner(owner, sizeof(owner), "cnt2", i);
        assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_OK);
    }
    for (int i = 0; i < 2; i++) {
        secret_id id = {SECRET_WEB3, owner, ""};
        make_owner(owner, sizeof(owner), "cnt3", i);
        assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_OK);
    }
    {
        secret_id app = {SECRET_APP, owner, "1"};
        secret_id r1 = {SECRET_REQUESTER, owner, "a"};
        secret_id r2 = {SECRET_REQUESTER, owner, "b"};
        make_owner(owner, sizeof(owner), "cntc", 0);
        assert_int_equal(store_secret_insert(fx->st, &app, v, sizeof(v)), SMS_OK);
        assert_int_equal(store_secret_insert(fx->st, &r1, v, sizeof(v)), SMS_OK);
        assert_int_equal(store_secret_insert(fx->st, &r2, v, sizeof(v)), SMS_OK);
        /* A failed duplicate does not count. */
        assert_int_equal(store_secret_insert(fx->st, &r2, v, sizeof(v)), SMS_EEXISTS);
    }
    for (int i = 0; i < 4; i++) {
        make_task(task, sizeof(task), "cnt", i);
        make_candidate(&cand, task, (unsigned)i, key, sizeof(key), 0);
        assert_int_equal(store_challenge_get_or_create(fx->st, &cand, &out, &created), SMS_OK);
        challenge_rec_clear(&out);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(store_count(fx->st, ck[i], &after[i]), SMS_OK);
    assert_delta(after[0] - before[0], 3);
    assert_delta(after[1] - before[1], 2);
    assert_delta(after[2] - before[2], 3);
    assert_delta(after[3] - before[3], 4);
    assert_int_equal(store_ping(fx->st), SMS_OK);
}

/* ---- challenges ---- */

static void assert_challenge_eq(const challenge_rec *got, const challenge_rec *want)
{
    assert_string_equal(got->task_id, want->task_id);
    assert_string_equal(got->address, want->address);
    assert_int_equal(got->sealed_key_len, want->sealed_key_len);
    assert_memory_equal(got->sealed_key, want->sealed_key, want->sealed_key_len);
    assert_int_equal(got->final_deadline_ms, want->final_deadline_ms);
}

static void test_challenge_get_or_create(void **state)
{
    fixture *fx = *state;
    char task[80], other[80];
    uint8_t k1[77], k2[77];
    challenge_rec c1, c2, out, got;
    int created = -1;

    make_task(task, sizeof(task), "goc", 1);
    make_task(other, sizeof(other), "goc", 2);
    make_candidate(&c1, task, 1, k1, sizeof(k1), 1700000000000LL);
    make_candidate(&c2, task, 2, k2, sizeof(k2), 1800000000000LL);

    memset(&got, 0, sizeof(got));
    assert_int_equal(store_challenge_get(fx->st, task, &got), SMS_ENOTFOUND);

    memset(&out, 0, sizeof(out));
    assert_int_equal(store_challenge_get_or_create(fx->st, &c1, &out, &created), SMS_OK);
    assert_int_equal(created, 1);
    assert_challenge_eq(&out, &c1);
    assert_true(out.sealed_key != c1.sealed_key); /* caller gets its own copy */
    challenge_rec_clear(&out);
    assert_null(out.sealed_key);
    assert_int_equal(out.sealed_key_len, 0);

    /* Second candidate for the same task: the first row wins. */
    assert_int_equal(store_challenge_get_or_create(fx->st, &c2, &out, &created), SMS_OK);
    assert_int_equal(created, 0);
    assert_challenge_eq(&out, &c1);
    challenge_rec_clear(&out);

    assert_int_equal(store_challenge_get(fx->st, task, &got), SMS_OK);
    assert_challenge_eq(&got, &c1);
    challenge_rec_clear(&got);

    /* No deadline round-trips as 0; other task is independent. */
    make_candidate(&c2, other, 3, k2, sizeof(k2), 0);
    assert_int_equal(store_challenge_get_or_create(fx->st, &c2, &out, &created), SMS_OK);
    assert_int_equal(created, 1);
    assert_challenge_eq(&out, &c2);
    challenge_rec_clear(&out);
    assert_int_equal(store_challenge_get(fx->st, other, &got), SMS_OK);
    assert_int_equal(got.final_deadline_ms, 0);
    challenge_rec_clear(&got);

    /* Task ids are exact keys (the caller normalises). */
    task[2] = task[2] == 'a' ? 'b' : 'a';
    assert_int_equal(store_challenge_get(fx->st, task, &got), SMS_ENOTFOUND);
}

static void test_challenge_bad_arguments(void **state)
{
    fixture *fx = *state;
    char task[80], big[200];
    uint8_t key[32];
    challenge_rec c, out;
    int created;

    make_task(task, sizeof(task), "bad", 0);
    make_candidate(&c, task, 1, key, sizeof(key), 0);
    memset(&out, 0, sizeof(out));

    c.sealed_key = NULL;
    assert_int_equal(store_challenge_get_or_create(fx->st, &c, &out, &created), SMS_EINVAL);
    c.sealed_key = key;
    c.sealed_key_len = 0;
    assert_int_equal(store_challenge_get_or_create(fx->st, &c, &out, &created), SMS_EINVAL);
    c.sealed_key_len = sizeof(key);
    c.task_id[0] = '\0';
    assert_int_equal(store_challenge_get_or_create(fx->st, &c, &out, &created), SMS_EINVAL);
    memset(c.task_id, 'x', sizeof(c.task_id)); /* not terminated */
    assert_int_equal(store_challenge_get_or_create(fx->st, &c, &out, &created), SMS_EINVAL);
    make_candidate(&c, task, 1, key, sizeof(key), 0);
    memset(c.address, 'a', sizeof(c.address));
    assert_int_equal(store_challenge_get_or_create(fx->st, &c, &out, &created), SMS_EINVAL);
    make_candidate(&c, task, 1, key, sizeof(key), -5);
    assert_int_equal(store_challenge_get_or_create(fx->st, &c, &out, &created), SMS_EINVAL);
    make_candidate(&c, task, 1, key, sizeof(key), 0);
    assert_int_equal(store_challenge_get_or_create(fx->st, NULL, &out, &created), SMS_EINVAL);
    assert_int_equal(store_challenge_get_or_create(fx->st, &c, NULL, &created), SMS_EINVAL);
    assert_int_equal(store_challenge_get_or_create(fx->st, &c, &out, NULL), SMS_EINVAL);

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(store_challenge_get(fx->st, big, &out), SMS_EINVAL);
    assert_int_equal(store_challenge_get(fx->st, "", &out), SMS_EINVAL);
    assert_int_equal(store_challenge_get(fx->st, NULL, &out), SMS_EINVAL);
    /* Nothing was stored by the refused calls. */
    assert_int_equal(store_challenge_get(fx->st, task, &out), SMS_ENOTFOUND);
}

#define GOC_THREADS 8
#define GOC_ROUNDS 12

typedef struct {
    sms_store *st;
    pthread_barrier_t *barrier;
    const char *task;
    unsigned seed;
    sms_status rc;
    int created;
    char address[43];
    uint8_t key_first;
} goc_arg;

static void *goc_thread(void *p)
{
    goc_arg *a = p;
    uint8_t key[50];
    challenge_rec cand, out;

    make_candidate(&cand, a->task, a->seed, key, sizeof(key), 0);
    memset(&out, 0, sizeof(out));
    pthread_barrier_wait(a->barrier);
    a->rc = store_challenge_get_or_create(a->st, &cand, &out, &a->created);
    if (a->rc == SMS_OK) {
        memcpy(a->address, out.address, sizeof(a->address));
        a->key_first = out.sealed_key_len ? out.sealed_key[0] : 0;
    }
    challenge_rec_clear(&out);
    return NULL;
}

static void test_challenge_concurrent_get_or_create(void **state)
{
    fixture *fx = *state;
    pthread_t th[GOC_THREADS];
    goc_arg args[GOC_THREADS];
    pthread_barrier_t barrier;
    char task[80];

    for (int round = 0; round < GOC_ROUNDS; round++) {
        int creators = 0;
        make_task(task, sizeof(task), "race", round);
        assert_int_equal(pthread_barrier_init(&barrier, NULL, GOC_THREADS), 0);
        for (int i = 0; i < GOC_THREADS; i++) {
            memset(&args[i], 0, sizeof(args[i]));
            args[i] = (goc_arg){.st = fx->st, .barrier = &barrier, .task = task,
                                .seed = (unsigned)(round * 100 + i + 1), .rc = SMS_ERR};
            assert_int_equal(pthread_create(&th[i], NULL, goc_thread, &args[i]), 0);
        }
        for (int i = 0; i < GOC_THREADS; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&barrier);
        for (int i = 0; i < GOC_THREADS; i++) {
            assert_int_equal(args[i].rc, SMS_OK);
            assert_string_equal(args[i].address, args[0].address);
            assert_int_equal(args[i].key_first, args[0].key_first);
            creators += args[i].created;
        }
        assert_int_equal(creators, 1);
    }
}

static void test_challenge_delete_expired(void **state)
{
    fixture *fx = *state;
    static const int64_t deadlines[] = {1000, 2000, 0, 5000, 2500};
    char task[5][80];
    uint8_t key[40];
    challenge_rec cand, out;
    int created;
    int64_t deleted = -1, n_before, n_after;

    assert_int_equal(store_count(fx->st, STORE_COUNT_CHALLENGES, &n_before), SMS_OK);
    for (int i = 0; i < 5; i++) {
        make_task(task[i], sizeof(task[i]), "exp", i);
        make_candidate(&cand, task[i], (unsigned)i + 1, key, sizeof(key), deadlines[i]);
        assert_int_equal(store_challenge_get_or_create(fx->st, &cand, &out, &created), SMS_OK);
        challenge_rec_clear(&out);
    }
    /* Strictly earlier than now: 1000 and 2000 go, 2500 (== now) stays. */
    assert_int_equal(store_challenge_delete_expired(fx->st, 2500, &deleted), SMS_OK);
    assert_delta(deleted, 2);
    for (int i = 0; i < 5; i++) {
        sms_status want = (deadlines[i] != 0 && deadlines[i] < 2500) ? SMS_ENOTFOUND : SMS_OK;
        assert_int_equal(store_challenge_get(fx->st, task[i], &out), want);
        challenge_rec_clear(&out);
    }
    assert_int_equal(store_challenge_delete_expired(fx->st, 2500, &deleted), SMS_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(store_count(fx->st, STORE_COUNT_CHALLENGES, &n_after), SMS_OK);
    /* On a shared database the sweep also removes older runs' expired rows. */
    if (is_sqlite())
        assert_int_equal(n_after - n_before, 3);
    assert_int_equal(store_challenge_delete_expired(fx->st, 2500, NULL), SMS_EINVAL);
}

static void test_challenge_fill_missing_deadlines(void **state)
{
    fixture *fx = *state;
    const int64_t D = 1900000000000LL, OWN = 1950000000000LL;
    char task[6][80];
    uint8_t key[40];
    challenge_rec cand, out;
    int created;
    int64_t updated = -1, total = 0;

    for (int i = 0; i < 6; i++) {
        make_task(task[i], sizeof(task[i]), "fill", i);
        make_candidate(&cand, task[i], (unsigned)i + 1, key, sizeof(key), i == 5 ? OWN : 0);
        assert_int_equal(store_challenge_get_or_create(fx->st, &cand, &out, &created), SMS_OK);
        challenge_rec_clear(&out);
    }
    assert_int_equal(store_challenge_fill_missing_deadlines(fx->st, D, 0, &updated), SMS_EINVAL);
    assert_int_equal(store_challenge_fill_missing_deadlines(fx->st, 0, 2, &updated), SMS_EINVAL);
    assert_int_equal(store_challenge_fill_missing_deadlines(fx->st, D, 2, NULL), SMS_EINVAL);

    if (is_sqlite()) {
        /* Batches of at most 2 over 5 rows without deadline: 2, 2, 1, then nothing. */
        static const int64_t want[] = {2, 2, 1, 0};
        for (int i = 0; i < 4; i++) {
            assert_int_equal(store_challenge_fill_missing_deadlines(fx->st, D, 2, &updated), SMS_OK);
            assert_int_equal(updated, want[i]);
        }
    } else {
        do {
            assert_int_equal(store_challenge_fill_missing_deadlines(fx->st, D, 2, &updated), SMS_OK);
            assert_true(updated >= 0 && updated <= 2);
            total += updated;
        } while (updated > 0);
        assert_true(total >= 5);
    }
    for (int i = 0; i < 6; i++) {
        assert_int_equal(store_challenge_get(fx->st, task[i], &out), SMS_OK);
        assert_int_equal(out.final_deadline_ms, i == 5 ? OWN : D);
        challenge_rec_clear(&out);
    }
}

/* ---- iteration, import ---- */

typedef struct {
    const char *owner_prefix; /* only records whose owner/task starts with it are kept */
    int secrets[5];           /* per kind */
    int challenges;
    int total;
    int stop_after;           /* return SMS_EBUSY from the n-th call, 0 = never */
    sms_store *inject_into;   /* first call inserts a new secret and challenge here */
    int injected;
    sms_store *copy_to;       /* put every record into this store */
    uint8_t last_first_byte[5];
} walk_ctx;

static sms_status inject(walk_ctx *w)
{
    char task[80];
    uint8_t key[20], v[4] = {9, 9, 9, 9};
    secret_id id = {SECRET_WEB2, w->owner_prefix, "injected-during-walk"};
    challenge_rec cand, out;
    int created;

    if (store_secret_insert(w->inject_into, &id, v, sizeof(v)) != SMS_OK)
        return SMS_ERR;
    snprintf(task, sizeof(task), "%s-injected", w->owner_prefix);
    make_candidate(&cand, task, 77, key, sizeof(key), 0);
    if (store_challenge_get_or_create(w->inject_into, &cand, &out, &created) != SMS_OK || !created)
        return SMS_ERR;
    challenge_rec_clear(&out);
    w->injected = 1;
    return SMS_OK;
}

static sms_status walk_cb(void *ctx, const store_record *rec)
{
    walk_ctx *w = ctx;
    size_t plen = strlen(w->owner_prefix);
    sms_status rc;

    w->total++;
    if (w->stop_after && w->total >= w->stop_after)
        return SMS_EBUSY;
    if (w->inject_into && !w->injected && (rc = inject(w)) != SMS_OK)
        return rc;
    if (w->copy_to && (rc = store_put_record(w->copy_to, rec)) != SMS_OK)
        return rc;
    if (rec->type == STORE_REC_SECRET) {
        if (rec->secret.kind < 1 || rec->secret.kind > 4 || !rec->secret.owner || !rec->secret.name ||
            (!rec->sealed && rec->sealed_len))
            return SMS_ERR;
        if (strncmp(rec->secret.owner, w->owner_prefix, plen) == 0) {
            w->secrets[rec->secret.kind]++;
            w->last_first_byte[rec->secret.kind] = rec->sealed_len ? rec->sealed[0] : 0;
        }
    } else if (rec->type == STORE_REC_CHALLENGE) {
        if (!rec->challenge || !rec->challenge->sealed_key || rec->challenge->sealed_key_len == 0)
            return SMS_ERR;
        if (strncmp(rec->challenge->task_id, w->owner_prefix, plen) == 0)
            w->challenges++;
    } else {
        return SMS_ERR;
    }
    return SMS_OK;
}

/* Inserts n secrets of every kind and n challenges, all tagged with prefix. */
static void populate(sms_store *st, const char *prefix, int n)
{
    static const secret_kind kinds[] = {SECRET_WEB2, SECRET_WEB3, SECRET_APP, SECRET_REQUESTER};
    char owner[120], task[80];
    uint8_t v[33], key[40];
    challenge_rec cand, out;
    int created;

    for (int i = 0; i < n; i++) {
        snprintf(owner, sizeof(owner), "%s%03d", prefix, i);
        for (int k = 0; k < 4; k++) {
            secret_id id = {kinds[k], owner, k == 1 ? "" : "nm"};
            make_value(v, sizeof(v), (unsigned)(k * 1000 + i));
            assert_int_equal(store_secret_insert(st, &id, v, sizeof(v)), SMS_OK);
        }
        snprintf(task, sizeof(task), "%s%03d", prefix, i);
        make_candidate(&cand, task, (unsigned)i + 1, key, sizeof(key), i % 2 ? 0 : 1234 + i);
        assert_int_equal(store_challenge_get_or_create(st, &cand, &out, &created), SMS_OK);
        challenge_rec_clear(&out);
    }
}

static void test_foreach_sees_everything(void **state)
{
    fixture *fx = *state;
    char prefix[40];
    walk_ctx w;

    snprintf(prefix, sizeof(prefix), "0x%sfe", g_run);
    populate(fx->st, prefix, 25);
    memset(&w, 0, sizeof(w));
    w.owner_prefix = prefix;
    assert_int_equal(store_foreach(fx->st, walk_cb, &w), SMS_OK);
    for (int k = 1; k <= 4; k++)
        assert_int_equal(w.secrets[k], 25);
    assert_int_equal(w.challenges, 25);
    if (is_sqlite())
        assert_int_equal(w.total, 125);
}

static void test_foreach_consistent_snapshot(void **state)
{
    fixture *fx = *state;
    char prefix[40];
    walk_ctx w;
    uint8_t *got = NULL, one[1] = {'z'};
    size_t len = 0;
    secret_id id;

    snprintf(prefix, sizeof(prefix), "0x%ssn", g_run);
    populate(fx->st, prefix, 10);

    /* The first callback writes a new secret and a new challenge (both durable before the
     * callback returns); the walk must not see them: it reads one snapshot. */
    memset(&w, 0, sizeof(w));
    w.owner_prefix = prefix;
    w.inject_into = fx->st;
    assert_int_equal(store_foreach(fx->st, walk_cb, &w), SMS_OK);
    assert_int_equal(w.injected, 1);
    assert_int_equal(w.secrets[SECRET_WEB2], 10);
    assert_int_equal(w.challenges, 10);

    /* The writes did happen, and a new walk sees them. */
    id = (secret_id){SECRET_WEB2, prefix, "injected-during-walk"};
    assert_int_equal(store_secret_get(fx->st, &id, &got, &len), SMS_OK);
    free(got);
    memset(&w, 0, sizeof(w));
    w.owner_prefix = prefix;
    assert_int_equal(store_foreach(fx->st, walk_cb, &w), SMS_OK);
    assert_int_equal(w.secrets[SECRET_WEB2], 11);
    assert_int_equal(w.challenges, 11);

    /* A callback error stops the walk and is returned as is. */
    memset(&w, 0, sizeof(w));
    w.owner_prefix = prefix;
    w.stop_after = 3;
    assert_int_equal(store_foreach(fx->st, walk_cb, &w), SMS_EBUSY);
    assert_int_equal(w.total, 3);

    /* The read connection went back to the pool with no transaction left open: writes
     * after the walk are visible to reads. */
    id = (secret_id){SECRET_WEB3, prefix, "after-walk"};
    assert_int_equal(store_secret_insert(fx->st, &id, one, sizeof(one)), SMS_OK);
    for (int i = 0; i < 10; i++)
        assert_present(fx->st, &id);
}

static void test_put_record(void **state)
{
    fixture *fx = *state;
    char owner[80], task[80], path[700], url[720], err[256];
    uint8_t v[20], key[30];
    challenge_rec cand, got;
    store_record rec;
    sms_store *copy = NULL;
    walk_ctx w;
    int64_t n_src, n_dst;

    make_owner(owner, sizeof(owner), "put", 0);
    make_task(task, sizeof(task), "put", 0);
    make_value(v, sizeof(v), 5);
    make_candidate(&cand, task, 5, key, sizeof(key), 4242);

    memset(&rec, 0, sizeof(rec));
    rec.type = STORE_REC_SECRET;
    rec.secret = (secret_id){SECRET_REQUESTER, owner, "K"};
    rec.sealed = v;
    rec.sealed_len = sizeof(v);
    assert_int_equal(store_put_record(fx->st, &rec), SMS_OK);
    assert_secret(fx->st, &rec.secret, v, sizeof(v));
    assert_int_equal(store_put_record(fx->st, &rec), SMS_EEXISTS);

    memset(&rec, 0, sizeof(rec));
    rec.type = STORE_REC_CHALLENGE;
    rec.challenge = &cand;
    assert_int_equal(store_put_record(fx->st, &rec), SMS_OK);
    assert_int_equal(store_challenge_get(fx->st, task, &got), SMS_OK);
    assert_challenge_eq(&got, &cand);
    challenge_rec_clear(&got);
    assert_int_equal(store_put_record(fx->st, &rec), SMS_EEXISTS);

    rec.challenge = NULL;
    assert_int_equal(store_put_record(fx->st, &rec), SMS_EINVAL);
    rec.type = (store_rec_type)9;
    assert_int_equal(store_put_record(fx->st, &rec), SMS_EINVAL);

    /* Backup/restore shape: walk one store into a fresh SQLite store. */
    populate(fx->st, owner, 5);
    new_sqlite_path(path, sizeof(path));
    snprintf(url, sizeof(url), "sqlite:%s", path);
    assert_int_equal(store_open(url, &copy, err, sizeof(err)), SMS_OK);
    memset(&w, 0, sizeof(w));
    w.owner_prefix = owner;
    w.copy_to = copy;
    assert_int_equal(store_foreach(fx->st, walk_cb, &w), SMS_OK);
    for (int i = 0; i < 4; i++) {
        static const store_count_kind ck[4] = {STORE_COUNT_WEB2, STORE_COUNT_WEB3, STORE_COUNT_COMPUTE,
                                               STORE_COUNT_CHALLENGES};
        assert_int_equal(store_count(fx->st, ck[i], &n_src), SMS_OK);
        assert_int_equal(store_count(copy, ck[i], &n_dst), SMS_OK);
        assert_int_equal(n_src, n_dst);
    }
    assert_int_equal(store_challenge_get(copy, task, &got), SMS_OK);
    assert_challenge_eq(&got, &cand);
    challenge_rec_clear(&got);
    /* Importing the same records again collides. */
    memset(&w, 0, sizeof(w));
    w.owner_prefix = owner;
    w.copy_to = copy;
    assert_int_equal(store_foreach(fx->st, walk_cb, &w), SMS_EEXISTS);
    store_close(copy);
}

/* ---- durability, concurrency ---- */

static void test_reopen_persistence(void **state)
{
    fixture *fx = *state;
    char owner[80], task[80];
    uint8_t v1[50], v2[51], key[60];
    secret_id a = {SECRET_WEB2, owner, "persist"};
    secret_id b = {SECRET_APP, owner, "1"};
    challenge_rec cand, out;
    int created;
    int64_t filled;

    make_owner(owner, sizeof(owner), "reo", 0);
    make_task(task, sizeof(task), "reo", 0);
    make_value(v1, sizeof(v1), 11);
    make_value(v2, sizeof(v2), 12);
    assert_int_equal(store_secret_insert(fx->st, &a, v1, sizeof(v1)), SMS_OK);
    assert_int_equal(store_secret_insert(fx->st, &b, v1, sizeof(v1)), SMS_OK);
    assert_int_equal(store_secret_update(fx->st, &b, v2, sizeof(v2)), SMS_OK);
    make_candidate(&cand, task, 7, key, sizeof(key), 0);
    assert_int_equal(store_challenge_get_or_create(fx->st, &cand, &out, &created), SMS_OK);
    challenge_rec_clear(&out);
    if (is_sqlite()) {
        assert_int_equal(store_challenge_fill_missing_deadlines(fx->st, 31337, 10, &filled), SMS_OK);
        assert_int_equal(filled, 1);
        cand.final_deadline_ms = 31337;
    }

    fx_reopen(fx);
    assert_secret(fx->st, &a, v1, sizeof(v1));
    assert_secret(fx->st, &b, v2, sizeof(v2));
    assert_int_equal(store_challenge_get(fx->st, task, &out), SMS_OK);
    assert_challenge_eq(&out, &cand);
    challenge_rec_clear(&out);
    /* Still writable after reopening, and the old rows still conflict. */
    assert_int_equal(store_secret_insert(fx->st, &a, v2, sizeof(v2)), SMS_EEXISTS);
    assert_int_equal(store_ping(fx->st), SMS_OK);
}

#define INS_THREADS 16
#define INS_PER_THREAD 200

typedef struct {
    sms_store *st;
    pthread_barrier_t *barrier;
    int t;
    int failures;
    sms_status first_error;
} ins_arg;

static void ins_identity(int t, int i, char *owner, size_t cap, secret_id *id)
{
    snprintf(owner, cap, "0x%sins%02d", g_run, t);
    /* Spread over kinds so that every kind sees concurrent writes. */
    *id = (secret_id){(secret_kind)(1 + i % 4), owner, NULL};
}

static void *ins_thread(void *p)
{
    ins_arg *a = p;
    char owner[80], name[32];
    uint8_t v[64];
    secret_id id;

    pthread_barrier_wait(a->barrier);
    for (int i = 0; i < INS_PER_THREAD; i++) {
        sms_status rc;
        ins_identity(a->t, i, owner, sizeof(owner), &id);
        snprintf(name, sizeof(name), "k%d", i);
        id.name = name;
        make_value(v, sizeof(v), (unsigned)(a->t * 10000 + i));
        rc = store_secret_insert(a->st, &id, v, sizeof(v));
        if (rc != SMS_OK && a->failures++ == 0)
            a->first_error = rc;
    }
    return NULL;
}

static int64_t total_secrets(sms_store *st)
{
    int64_t a = 0, b = 0, c = 0;

    assert_int_equal(store_count(st, STORE_COUNT_WEB2, &a), SMS_OK);
    assert_int_equal(store_count(st, STORE_COUNT_WEB3, &b), SMS_OK);
    assert_int_equal(store_count(st, STORE_COUNT_COMPUTE, &c), SMS_OK);
    return a + b + c;
}

static void verify_inserted(sms_store *st)
{
    char owner[80], name[32];
    uint8_t v[64];
    secret_id id;

    for (int t = 0; t < INS_THREADS; t++)
        for (int i = 0; i < INS_PER_THREAD; i++) {
            ins_identity(t, i, owner, sizeof(owner), &id);
            snprintf(name, sizeof(name), "k%d", i);
            id.name = name;
            make_value(v, sizeof(v), (unsigned)(t * 10000 + i));
            assert_secret(st, &id, v, sizeof(v));
        }
}

static void test_concurrent_inserts(void **state)
{
    fixture *fx = *state;
    pthread_t th[INS_THREADS];
    ins_arg args[INS_THREADS];
    pthread_barrier_t barrier;
    struct timespec t0, t1;
    int64_t before, after;

    before = total_secrets(fx->st);
    assert_int_equal(pthread_barrier_init(&barrier, NULL, INS_THREADS), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int t = 0; t < INS_THREADS; t++) {
        args[t] = (ins_arg){.st = fx->st, .barrier = &barrier, .t = t};
        assert_int_equal(pthread_create(&th[t], NULL, ins_thread, &args[t]), 0);
    }
    for (int t = 0; t < INS_THREADS; t++)
        pthread_join(th[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_barrier_destroy(&barrier);
    for (int t = 0; t < INS_THREADS; t++) {
        if (args[t].failures)
            fail_msg("thread %d: %d failed inserts (first: %s)", t, args[t].failures,
                     sms_status_name(args[t].first_error));
    }
    {
        double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        print_message("    %d durable inserts from %d threads in %.2f s (%.0f/s)\n", INS_THREADS * INS_PER_THREAD,
                      INS_THREADS, s, (double)(INS_THREADS * INS_PER_THREAD) / (s > 0 ? s : 1e-9));
    }
    after = total_secrets(fx->st);
    assert_delta(after - before, INS_THREADS * INS_PER_THREAD);
    verify_inserted(fx->st);

    /* Every acknowledged write survives a close/reopen. */
    fx_reopen(fx);
    assert_delta(total_secrets(fx->st) - before, INS_THREADS * INS_PER_THREAD);
    verify_inserted(fx->st);
}

/* Mixed concurrent readers and writers on the same identities: reads never see a
 * half-written value and updates of one row serialise. */
typedef struct {
    sms_store *st;
    const secret_id *id;
    int writer;
    int bad;
} mix_arg;

static void *mix_thread(void *p)
{
    mix_arg *a = p;
    uint8_t v[100];

    for (int i = 0; i < 150; i++) {
        if (a->writer) {
            memset(v, (int)(i & 0xff), sizeof(v));
            if (store_secret_update(a->st, a->id, v, sizeof(v)) != SMS_OK)
                a->bad++;
        } else {
            uint8_t *got = NULL;
            size_t len = 0;
            if (store_secret_get(a->st, a->id, &got, &len) != SMS_OK || len != sizeof(v)) {
                a->bad++;
            } else {
                for (size_t j = 1; j < len; j++)
                    if (got[j] != got[0]) {
                        a->bad++;
                        break;
                    }
            }
            free(got);
        }
    }
    return NULL;
}

static void test_concurrent_readers_and_writers(void **state)
{
    fixture *fx = *state;
    char owner[80];
    secret_id id = {SECRET_WEB2, owner, "mixed"};
    uint8_t v[100];
    pthread_t th[6];
    mix_arg args[6];

    make_owner(owner, sizeof(owner), "mix", 0);
    memset(v, 0xAA, sizeof(v));
    assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_OK);
    for (int i = 0; i < 6; i++) {
        args[i] = (mix_arg){.st = fx->st, .id = &id, .writer = i < 2};
        assert_int_equal(pthread_create(&th[i], NULL, mix_thread, &args[i]), 0);
    }
    for (int i = 0; i < 6; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 6; i++)
        assert_int_equal(args[i].bad, 0);
}

/* ---- SQLite specifics: schema, migrations, paths ---- */

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t v;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = raw_open(path);

    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_sqlite_schema_version(void **state)
{
    fixture *fx = *state;
    sqlite3 *db;
    struct stat sb;
    sqlite3_stmt *s = NULL;

    if (!is_sqlite())
        skip();
    db = raw_open(fx->path);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_version"), 1);
    assert_int_equal(raw_int(db, "SELECT max(version) FROM schema_version"), 1);
    assert_true(raw_int(db, "SELECT applied_ms FROM schema_version WHERE version = 1") > 1600000000000LL);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('secrets', 'challenges')"), 2);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    sqlite3_close(db);

    /* Created owner-only. */
    assert_int_equal(stat(fx->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    /* Reopening an up-to-date store applies nothing. */
    fx_reopen(fx);
    db = raw_open(fx->path);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_version"), 1);
    sqlite3_close(db);
}

static void test_sqlite_newer_schema_refused(void **state)
{
    fixture *fx = *state;
    sms_store *st = NULL;
    char err[256] = "";
    char owner[80];
    uint8_t v[4] = {1, 2, 3, 4};
    secret_id id = {SECRET_WEB3, owner, ""};

    if (!is_sqlite())
        skip();
    make_owner(owner, sizeof(owner), "newer", 0);
    assert_int_equal(store_secret_insert(fx->st, &id, v, sizeof(v)), SMS_OK);
    store_close(fx->st);
    fx->st = NULL;

    raw_exec(fx->path, "INSERT INTO schema_version(version, applied_ms) VALUES(2, 0)");
    assert_int_not_equal(store_open(fx->url, &st, err, sizeof(err)), SMS_OK);
    assert_null(st);
    assert_non_null(strstr(err, "newer"));
    assert_non_null(strstr(err, "version 2"));

    /* Refusing changed nothing: back to version 1, the data is still there. */
    raw_exec(fx->path, "DELETE FROM schema_version WHERE version = 2");
    fx_reopen(fx);
    assert_secret(fx->st, &id, v, sizeof(v));
}

static void test_sqlite_migrates_empty_and_refuses_foreign(void **state)
{
    fixture *fx = *state;
    char path[700], url[720], err[256];
    sms_store *st = NULL;
    sqlite3 *db;
    int fd;

    (void)fx;
    if (!is_sqlite())
        skip();

    /* Zero-byte file: a version-0 database, migrated to the current version. */
    new_sqlite_path(path, sizeof(path));
    fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(store_open(path, &st, err, sizeof(err)), SMS_OK); /* plain path */
    store_close(st);
    db = raw_open(path);
    assert_int_equal(raw_int(db, "SELECT max(version) FROM schema_version"), 1);
    sqlite3_close(db);

    /* A SQLite file of someone else: refused, left untouched. */
    new_sqlite_path(path, sizeof(path));
    fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_true(fd >= 0);
    close(fd);
    raw_exec(path, "CREATE TABLE foo(x); INSERT INTO foo VALUES(1)");
    snprintf(url, sizeof(url), "sqlite://%s", path); /* sqlite:///abs spelling */
    st = NULL;
    assert_int_equal(store_open(url, &st, err, sizeof(err)), SMS_ESTORE);
    assert_null(st);
    assert_non_null(strstr(err, "not an iexec-sms store"));
    db = raw_open(path);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'"), 0);
    sqlite3_close(db);
}

static void expect_open_fails(const char *url, sms_status want)
{
    sms_store *st = (sms_store *)1;
    char err[256] = "";
    sms_status rc = store_open(url, &st, err, sizeof(err));

    if (rc == SMS_OK)
        fail_msg("store_open(%s) unexpectedly succeeded", url ? url : "(null)");
    if (want != SMS_OK)
        assert_int_equal(rc, want);
    assert_null(st);
    assert_true(err[0] != '\0');
}

static void test_open_errors(void **state)
{
    char path[700];
    int fd;
    sms_store *st = NULL;

    (void)state;
    expect_open_fails(NULL, SMS_EINVAL);
    expect_open_fails("", SMS_EINVAL);
    expect_open_fails("sqlite:", SMS_EINVAL);
    expect_open_fails("sqlite::memory:", SMS_EINVAL);
    expect_open_fails("mysql://localhost/db", SMS_EINVAL);
    /* Unbuilt backend or unreachable server: an error either way. */
    expect_open_fails("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", SMS_OK);
    assert_int_equal(store_open("x", NULL, NULL, 0), SMS_EINVAL);

    /* Directory missing, path is a directory, file is not a database. */
    snprintf(path, sizeof(path), "%s/no/such/dir/x.db", g_dir);
    expect_open_fails(path, SMS_EIO);
    expect_open_fails(g_dir, SMS_EIO);
    new_sqlite_path(path, sizeof(path));
    fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_true(fd >= 0);
    for (int i = 0; i < 64; i++)
        assert_int_equal(write(fd, "this is not a SQLite database :-) ", 34), 34);
    close(fd);
    expect_open_fails(path, SMS_ESTORE);

    /* errbuf may be NULL. */
    assert_int_equal(store_open("sqlite:/nonexistent-dir-sms/x.db", &st, NULL, 0), SMS_EIO);
    assert_null(st);
}

/* ---- main ---- */

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void init_run_tag(void)
{
    uint8_t r[8] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        if (read(fd, r, sizeof(r)) != (ssize_t)sizeof(r))
            memset(r, 0, sizeof(r));
        close(fd);
    }
    r[0] ^= (uint8_t)getpid();
    r[1] ^= (uint8_t)time(NULL);
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(g_run + 2 * i, 3, "%02x", r[i]);
}

static int make_tmpdir(void)
{
    const char *base = getenv("SMS_TEST_TMPDIR");

    if (!base || !*base)
        base = "/tmp";
    if (mkdir(base, 0700) != 0 && errno != EEXIST)
        base = "/tmp";
    snprintf(g_dir, sizeof(g_dir), "%s/test_store-XXXXXX", base);
    return mkdtemp(g_dir) ? 0 : -1;
}

/* ---- asynchronous writes ---- */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls;
    sms_status last;
    sms_status by_index[64];
} async_waiter;

static void async_done(void *ctx, sms_status st)
{
    async_waiter *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->last = st;
    if (w->calls < 64) w->by_index[w->calls] = st;
    w->calls++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void async_wait_calls(async_waiter *w, int n)
{
    pthread_mutex_lock(&w->mu);
    while (w->calls < n) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

static void test_async_writes(void **state)
{
    fixture *fx = *state;
    if (!store_has_async_writes(fx->st)) {
        /* Backends without the asynchronous path refuse it without calling back. */
        secret_id id = {SECRET_WEB2, "0xabc", "x"};
        uint8_t v[4] = {1, 2, 3, 4};
        assert_int_equal(store_secret_write_async(fx->st, &id, v, sizeof v, 0, async_done, NULL), SMS_ERR);
        return;
    }
    async_waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, SMS_ERR, {0}};
    char owner[80], name[32];
    uint8_t v1[40], v2[50];
    make_owner(owner, sizeof owner, "async", 1);
    make_value(v1, sizeof v1, 7);
    make_value(v2, sizeof v2, 8);
    secret_id id = {SECRET_WEB2, owner, "async-name"};

    /* The inputs are copied: scribbling over them after the call changes nothing. */
    char owner_copy[80];
    snprintf(owner_copy, sizeof owner_copy, "%s", owner);
    secret_id id_copy = {SECRET_WEB2, owner_copy, "async-name"};
    uint8_t scratch[40];
    memcpy(scratch, v1, sizeof v1);
    assert_int_equal(store_secret_write_async(fx->st, &id_copy, scratch, sizeof scratch, 0, async_done, &w), SMS_OK);
    memset(scratch, 0, sizeof scratch);
    memset(owner_copy, 'z', sizeof owner_copy - 1);
    async_wait_calls(&w, 1);
    assert_int_equal(w.last, SMS_OK);
    assert_secret(fx->st, &id, v1, sizeof v1); /* durable and readable once called back */

    /* Duplicate insert, update of a missing row, update of an existing one. */
    assert_int_equal(store_secret_write_async(fx->st, &id, v2, sizeof v2, 0, async_done, &w), SMS_OK);
    async_wait_calls(&w, 2);
    assert_int_equal(w.last, SMS_EEXISTS);
    secret_id missing = {SECRET_WEB2, owner, "async-missing"};
    assert_int_equal(store_secret_write_async(fx->st, &missing, v2, sizeof v2, 1, async_done, &w), SMS_OK);
    async_wait_calls(&w, 3);
    assert_int_equal(w.last, SMS_ENOTFOUND);
    assert_absent(fx->st, &missing);
    assert_int_equal(store_secret_write_async(fx->st, &id, v2, sizeof v2, 1, async_done, &w), SMS_OK);
    async_wait_calls(&w, 4);
    assert_int_equal(w.last, SMS_OK);
    assert_secret(fx->st, &id, v2, sizeof v2);

    /* Validation failures are synchronous and never call back. */
    secret_id bad = {SECRET_WEB2, "", "x"};
    assert_int_equal(store_secret_write_async(fx->st, &bad, v1, sizeof v1, 0, async_done, &w), SMS_EINVAL);
    assert_int_equal(store_secret_write_async(fx->st, &id, v1, sizeof v1, 0, NULL, &w), SMS_EINVAL);

    /* Many at once: one call back each, all durable. */
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "async-%d", i);
        secret_id one = {SECRET_WEB2, owner, name};
        assert_int_equal(store_secret_write_async(fx->st, &one, v1, sizeof v1, 0, async_done, &w), SMS_OK);
    }
    async_wait_calls(&w, 44);
    assert_int_equal(w.calls, 44);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "async-%d", i);
        secret_id one = {SECRET_WEB2, owner, name};
        assert_present(fx->st, &one);
    }
    /* Closing the store completes whatever is still queued. */
    snprintf(name, sizeof name, "async-last");
    secret_id last = {SECRET_WEB2, owner, name};
    assert_int_equal(store_secret_write_async(fx->st, &last, v1, sizeof v1, 0, async_done, &w), SMS_OK);
    store_close(fx->st);
    fx->st = NULL;
    assert_int_equal(w.calls, 45);
    assert_int_equal(w.last, SMS_OK);
    char err[256];
    assert_int_equal(store_open(fx->url, &fx->st, err, sizeof err), SMS_OK);
    assert_present(fx->st, &last);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_secret_crud_every_kind),
        T(test_secret_empty_value),
        T(test_identity_isolation),
        T(test_limits_and_bad_arguments),
        T(test_count_per_kind),
        T(test_challenge_get_or_create),
        T(test_challenge_bad_arguments),
        T(test_challenge_concurrent_get_or_create),
        T(test_challenge_delete_expired),
        T(test_challenge_fill_missing_deadlines),
        T(test_foreach_sees_everything),
        T(test_foreach_consistent_snapshot),
        T(test_put_record),
        T(test_reopen_persistence),
        T(test_concurrent_inserts),
        T(test_concurrent_readers_and_writers),
        T(test_async_writes),
        T(test_sqlite_schema_version),
        T(test_sqlite_newer_schema_refused),
        T(test_sqlite_migrates_empty_and_refuses_foreign),
        cmocka_unit_test(test_open_errors),
    };
#undef T
    int failed;

    g_env_url = getenv("SMS_TEST_STORE_URL");
    if (g_env_url && !*g_env_url)
        g_env_url = NULL;
    init_run_tag();
    if (make_tmpdir() != 0) {
        fprintf(stderr, "test_store: cannot create a temporary directory: %s\n", strerror(errno));
        return 1;
    }
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return failed;
}
