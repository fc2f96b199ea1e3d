/* PostgreSQL backend specifics: several daemons on one database, migrations racing,
 * connections killed server-side, bounded failures, bulk writes (all or nothing, also when
 * the connection dies midway or inside COMMIT; readers see before or after). The
 * backend-independent behaviour is tested by test_store.c (run it with the same
 * SMS_TEST_STORE_URL).
 *
 * Needs SMS_TEST_STORE_URL=postgresql://... (scripts/pg-test.sh start prints one; or
 * `scripts/pg-test.sh run -- build/test_store_pg`). Without it every test is skipped.
 *
 * Each test works in a schema of its own (created here, dropped afterwards): the store's URL
 * gets options=-csearch_path%3D<schema>, so "an empty database" is an empty schema, and an
 * application_name that identifies the store's own server backends. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "store/store.h"

static const char *g_base;   /* SMS_TEST_STORE_URL when it is a postgres URL */
static char g_run[13];       /* random hex tag of this run */
static int g_seq;

#define MAX_HANDLES 4

typedef struct {
    char schema[64];
    char app[64];
    char url[1200];
    PGconn *raw; /* the test's own connection, search_path = schema */
    sms_store *st[MAX_HANDLES];
} fixture;

#define REQUIRE_PG()                                                                                         \
    do {                                                                                                     \
        if (!g_base)                                                                                         \
            skip();                                                                                          \
    } while (0)

/* ---- raw libpq helpers ---- */

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static PGconn *raw_connect(const char *url)
{
    PGconn *c = PQconnectdb(url);

    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("raw connection failed: %s", PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

static void raw_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

/* First column of the first row as an integer; sql may use $1 = arg (text). */
static long long raw_int(PGconn *c, const char *sql, const char *arg)
{
    const char *params[1] = {arg};
    PGresult *r = PQexecParams(c, sql, arg ? 1 : 0, NULL, params, NULL, NULL, 0);
    long long v;

    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

/* ---- fixture ---- */

static void schema_url(char *out, size_t cap, const char *schema, const char *app)
{
    int n = snprintf(out, cap, "%s%coptions=-csearch_path%%3D%s&application_name=%s", g_base,
                     strchr(g_base, '?') ? '&' : '?', schema, app);
    assert_true(n > 0 && (size_t)n < cap);
}

static int fx_setup(void **state)
{
    fixture *fx = calloc(1, sizeof(*fx));
    char sql[160];

    assert_non_null(fx);
    *state = fx;
    if (!g_base)
        return 0;
    g_seq++;
    snprintf(fx->schema, sizeof(fx->schema), "smst_%s_%d", g_run, g_seq);
    snprintf(fx->app, sizeof(fx->app), "smst-%s-%d", g_run, g_seq);
    schema_url(fx->url, sizeof(fx->url), fx->schema, fx->app);
    fx->raw = raw_connect(g_base);
    snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", fx->schema);
    raw_exec(fx->raw, sql);
    snprintf(sql, sizeof(sql), "SET search_path = %s", fx->schema);
    raw_exec(fx->raw, sql);
    return 0;
}

static int fx_teardown(void **state)
{
    fixture *fx = *state;
    char sql[160];

    for (int i = 0; i < MAX_HANDLES; i++)
        store_close(fx->st[i]);
    if (fx->raw) {
        if (PQstatus(fx->raw) != CONNECTION_OK)
            PQreset(fx->raw);
        raw_exec(fx->raw, "ROLLBACK");
        snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", fx->schema);
        raw_exec(fx->raw, sql);
        PQfinish(fx->raw);
    }
    free(fx);
    return 0;
}

static sms_store *open_handle(fixture *fx, int i)
{
    char err[256] = "";
    sms_status rc = store_open(fx->url, &fx->st[i], err, sizeof(err));

    if (rc != SMS_OK)
        fail_msg("store_open: %s: %s", sms_status_name(rc), err);
    return fx->st[i];
}

/* ---- small helpers ---- */

static void make_value(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seed * 131u + i * 7u + (i >> 8));
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

static double since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

typedef struct {
    int secrets;
    int challenges;
} tally;

static sms_status tally_cb(void *ctx, const store_record *rec)
{
    tally *t = ctx;

    if (rec->type == STORE_REC_SECRET)
        t->secrets++;
    else
        t->challenges++;
    return SMS_OK;
}

/* ---- two daemons on one database ---- */

static void test_two_handles_see_each_others_writes(void **state)
{
    fixture *fx = *state;
    sms_store *a, *b;
    uint8_t v1[48], v2[70], key[40];
    secret_id id = {SECRET_WEB2, "0xowner", "shared"};
    challenge_rec cand, out;
    int created = 0, exists = 0;
    int64_t na = 0, nb = 0, n = 0;
    tally t = {0};

    REQUIRE_PG();
    a = open_handle(fx, 0);
    b = open_handle(fx, 1);
    make_value(v1, sizeof(v1), 1);
    make_value(v2, sizeof(v2), 2);

    /* Acknowledged by A: visible from B at once, and the other way round. */
    for (int i = 0; i < 20; i++) {
        char name[32];
        secret_id x = {SECRET_REQUESTER, "0xreq", name};
        snprintf(name, sizeof(name), "k%d", i);
        assert_int_equal(store_secret_insert(i % 2 ? a : b, &x, v1, sizeof(v1)), SMS_OK);
        assert_secret(i % 2 ? b : a, &x, v1, sizeof(v1));
    }
    assert_int_equal(store_secret_insert(a, &id, v1, sizeof(v1)), SMS_OK);
    assert_int_equal(store_secret_exists(b, &id, &exists), SMS_OK);
    assert_int_equal(exists, 1);
    assert_secret(b, &id, v1, sizeof(v1));
    assert_int_equal(store_secret_insert(b, &id, v2, sizeof(v2)), SMS_EEXISTS);
    assert_int_equal(store_secret_update(b, &id, v2, sizeof(v2)), SMS_OK);
    assert_secret(a, &id, v2, sizeof(v2));

    /* Challenges: created by B, returned as is to A; swept by A, gone for B. */
    make_candidate(&cand, "0xtask-shared", 7, key, sizeof(key), 1000);
    assert_int_equal(store_challenge_get_or_create(b, &cand, &out, &created), SMS_OK);
    assert_int_equal(created, 1);
    challenge_rec_clear(&out);
    make_candidate(&cand, "0xtask-shared", 8, key, sizeof(key), 1000);
    assert_int_equal(store_challenge_get_or_create(a, &cand, &out, &created), SMS_OK);
    assert_int_equal(created, 0);
    assert_string_equal(out.address, "0x0000000000000000000000000000000000000007");
    challenge_rec_clear(&out);

    for (int k = STORE_COUNT_WEB2; k <= STORE_COUNT_CHALLENGES; k++) {
        assert_int_equal(store_count(a, (store_count_kind)k, &na), SMS_OK);
        assert_int_equal(store_count(b, (store_count_kind)k, &nb), SMS_OK);
        assert_int_equal(na, nb);
    }
    assert_int_equal(store_count(a, STORE_COUNT_COMPUTE, &na), SMS_OK);
    assert_int_equal(na, 20);
    assert_int_equal(store_foreach(b, tally_cb, &t), SMS_OK);
    assert_int_equal(t.secrets, 21);
    assert_int_equal(t.challenges, 1);

    assert_int_equal(store_challenge_delete_expired(a, 5000, &n), SMS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_challenge_get(b, "0xtask-shared", &out), SMS_ENOTFOUND);
    assert_int_equal(store_ping(a), SMS_OK);
    assert_int_equal(store_ping(b), SMS_OK);
}

#define GOC_HANDLES 2
#define GOC_THREADS 8
#define GOC_ROUNDS 10

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

/* Enclave challenge creation is atomic across daemons: concurrent first requests for one
 * task, spread over two handles, all get the same address, and one of them created it. */
static void test_two_handles_concurrent_challenge(void **state)
{
    enum { N = GOC_HANDLES * GOC_THREADS };
    fixture *fx = *state;
    pthread_t th[N];
    goc_arg args[N];
    pthread_barrier_t barrier;
    char task[80];
    challenge_rec got;
    int64_t n = 0;

    REQUIRE_PG();
    for (int h = 0; h < GOC_HANDLES; h++)
        open_handle(fx, h);
    for (int round = 0; round < GOC_ROUNDS; round++) {
        int creators = 0;
        snprintf(task, sizeof(task), "0x%s-race-%d", g_run, round);
        assert_int_equal(pthread_barrier_init(&barrier, NULL, N), 0);
        for (int i = 0; i < N; i++) {
            args[i] = (goc_arg){.st = fx->st[i % GOC_HANDLES], .barrier = &barrier, .task = task,
                                .seed = (unsigned)(round * 100 + i + 1), .rc = SMS_ERR};
            assert_int_equal(pthread_create(&th[i], NULL, goc_thread, &args[i]), 0);
        }
        for (int i = 0; i < N; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&barrier);
        for (int i = 0; i < N; i++) {
            assert_int_equal(args[i].rc, SMS_OK);
            assert_string_equal(args[i].address, args[0].address);
            assert_int_equal(args[i].key_first, args[0].key_first);
            creators += args[i].created;
        }
        assert_int_equal(creators, 1);
        /* And that is what both handles read afterwards. */
        for (int h = 0; h < GOC_HANDLES; h++) {
            assert_int_equal(store_challenge_get(fx->st[h], task, &got), SMS_OK);
            assert_string_equal(got.address, args[0].address);
            challenge_rec_clear(&got);
        }
    }
    assert_int_equal(store_count(fx->st[0], STORE_COUNT_CHALLENGES, &n), SMS_OK);
    assert_int_equal(n, GOC_ROUNDS);
}

/* ---- schema ---- */

typedef struct {
    const char *url;
    pthread_barrier_t *barrier;
    sms_store *st;
    sms_status rc;
    char err[256];
} open_arg;

static void *open_thread(void *p)
{
    open_arg *a = p;

    pthread_barrier_wait(a->barrier);
    a->rc = store_open(a->url, &a->st, a->err, sizeof(a->err));
    return NULL;
}

/* Daemons starting together on an empty database: one migrates, the others wait for it and
 * find the schema current. */
static void test_concurrent_first_open_migrates_once(void **state)
{
    fixture *fx = *state;
    pthread_t th[MAX_HANDLES];
    open_arg args[MAX_HANDLES];
    pthread_barrier_t barrier;
    uint8_t v[4] = {1, 2, 3, 4};
    secret_id id = {SECRET_WEB3, "0xdataset", ""};

    REQUIRE_PG();
    assert_int_equal(raw_int(fx->raw, "SELECT count(*) FROM pg_tables WHERE schemaname = $1", fx->schema), 0);
    assert_int_equal(pthread_barrier_init(&barrier, NULL, MAX_HANDLES), 0);
    for (int i = 0; i < MAX_HANDLES; i++) {
        args[i] = (open_arg){.url = fx->url, .barrier = &barrier, .rc = SMS_ERR};
        assert_int_equal(pthread_create(&th[i], NULL, open_thread, &args[i]), 0);
    }
    for (int i = 0; i < MAX_HANDLES; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < MAX_HANDLES; i++) {
        fx->st[i] = args[i].st;
        if (args[i].rc != SMS_OK)
            fail_msg("open %d: %s: %s", i, sms_status_name(args[i].rc), args[i].err);
    }
    assert_int_equal(raw_int(fx->raw, "SELECT count(*) FROM schema_version", NULL), 1);
    assert_int_equal(raw_int(fx->raw, "SELECT max(version) FROM schema_version", NULL), 1);
    assert_true(raw_int(fx->raw, "SELECT applied_ms FROM schema_version", NULL) > 1600000000000LL);
    assert_int_equal(raw_int(fx->raw,
                             "SELECT count(*) FROM pg_tables WHERE schemaname = $1 "
                             "AND tablename IN ('schema_version', 'secrets', 'challenges')",
                             fx->schema),
                     3);
    /* Every handle works on the one schema. */
    assert_int_equal(store_secret_insert(fx->st[0], &id, v, sizeof(v)), SMS_OK);
    for (int i = 0; i < MAX_HANDLES; i++) {
        assert_int_equal(store_ping(fx->st[i]), SMS_OK);
        assert_secret(fx->st[i], &id, v, sizeof(v));
    }
    /* Reopening an up-to-date database applies nothing. */
    store_close(fx->st[3]);
    fx->st[3] = NULL;
    open_handle(fx, 3);
    assert_int_equal(raw_int(fx->raw, "SELECT count(*) FROM schema_version", NULL), 1);
}

static void expect_open_error(const char *url, const char *want_in_err)
{
    sms_store *st = (sms_store *)1;
    char err[256] = "";

    assert_int_equal(store_open(url, &st, err, sizeof(err)), SMS_ESTORE);
    assert_null(st);
    if (!strstr(err, want_in_err))
        fail_msg("error \"%s\" does not mention \"%s\"", err, want_in_err);
}

static void test_newer_or_foreign_schema_refused(void **state)
{
    fixture *fx = *state;
    uint8_t v[4] = {1, 2, 3, 4};
    secret_id id = {SECRET_APP, "0xapp", "1"};
    char sql[200];

    REQUIRE_PG();
    open_handle(fx, 0);
    assert_int_equal(store_secret_insert(fx->st[0], &id, v, sizeof(v)), SMS_OK);

    /* Another daemon migrated further: this one's health check fails, a new open refuses. */
    raw_exec(fx->raw, "INSERT INTO schema_version(version, applied_ms) VALUES(2, 0)");
    assert_int_equal(store_ping(fx->st[0]), SMS_ESTORE);
    expect_open_error(fx->url, "newer");
    expect_open_error(fx->url, "version 2");
    raw_exec(fx->raw, "DELETE FROM schema_version WHERE version = 2");
    assert_int_equal(store_ping(fx->st[0]), SMS_OK);
    assert_secret(fx->st[0], &id, v, sizeof(v));

    /* Tables of the same names but no schema_version: someone else's, left alone. */
    raw_exec(fx->raw, "DROP TABLE schema_version, secrets, challenges");
    raw_exec(fx->raw, "CREATE TABLE secrets(x int)");
    expect_open_error(fx->url, "not an iexec-sms store");
    assert_int_equal(raw_int(fx->raw, "SELECT count(*) FROM pg_tables WHERE schemaname = $1", fx->schema), 1);
    snprintf(sql, sizeof(sql), "DROP TABLE %s.secrets", fx->schema);
    raw_exec(fx->raw, sql);
    /* Other tables do not matter: a database may be shared. */
    raw_exec(fx->raw, "CREATE TABLE unrelated(x int)");
    store_close(fx->st[0]);
    fx->st[0] = NULL;
    open_handle(fx, 0);
    assert_int_equal(store_ping(fx->st[0]), SMS_OK);
}

/* ---- broken connections ---- */

/* Terminates every server backend of the store (identified by its application_name) and
 * waits until they are gone. Returns how many there were. */
static long long kill_store_backends(fixture *fx)
{
    long long n = raw_int(fx->raw,
                          "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = $1 AND pid <> pg_backend_pid()) t",
                          fx->app);

    for (int i = 0; i < 100; i++) {
        if (raw_int(fx->raw, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", fx->app) == 0)
            return n;
        usleep(50 * 1000);
    }
    fail_msg("store backends still alive 5 s after pg_terminate_backend");
    return n;
}

typedef struct {
    sms_store *st;
    pthread_barrier_t *barrier;
    int t;
    int phase;
    sms_status rc;
} kill_arg;

static void *busy_thread(void *p)
{
    kill_arg *a = p;
    char owner[40];
    uint8_t v[16], *got = NULL;
    size_t len = 0;
    secret_id id = {SECRET_WEB2, owner, "busy"};

    snprintf(owner, sizeof(owner), "0xbusy%02d-%d", a->t, a->phase);
    make_value(v, sizeof(v), (unsigned)a->t);
    pthread_barrier_wait(a->barrier);
    a->rc = store_secret_insert(a->st, &id, v, sizeof(v));
    if (a->rc == SMS_OK) {
        a->rc = store_secret_get(a->st, &id, &got, &len);
        if (a->rc == SMS_OK && (len != sizeof(v) || memcmp(got, v, len) != 0))
            a->rc = SMS_ERR;
        free(got);
    }
    return NULL;
}

/* All threads at once: each takes its own pooled connection. */
static void run_busy(sms_store *st, int phase)
{
    enum { N = 8 };
    pthread_t th[N];
    kill_arg args[N];
    pthread_barrier_t barrier;

    assert_int_equal(pthread_barrier_init(&barrier, NULL, N), 0);
    for (int i = 0; i < N; i++) {
        args[i] = (kill_arg){.st = st, .barrier = &barrier, .t = i, .phase = phase, .rc = SMS_ERR};
        assert_int_equal(pthread_create(&th[i], NULL, busy_thread, &args[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < N; i++)
        if (args[i].rc != SMS_OK)
            fail_msg("phase %d thread %d: %s", phase, i, sms_status_name(args[i].rc));
}

static void test_killed_connections_recovered(void **state)
{
    fixture *fx = *state;
    sms_store *st;
    uint8_t v[24], key[32];
    secret_id id = {SECRET_WEB2, "0xkill", "a"}, id2 = {SECRET_WEB2, "0xkill", "b"};
    challenge_rec cand, out;
    int created = 0;
    int64_t n = 0;
    tally t = {0};

    REQUIRE_PG();
    st = open_handle(fx, 0);
    make_value(v, sizeof(v), 3);
    assert_int_equal(store_secret_insert(st, &id, v, sizeof(v)), SMS_OK);
    run_busy(st, 0); /* fills the pool with several connections */
    assert_true(kill_store_backends(fx) >= 2);

    /* Every kind of call right after: each meets a dead connection, resets, succeeds. */
    assert_secret(st, &id, v, sizeof(v));
    assert_true(kill_store_backends(fx) >= 1);
    assert_int_equal(store_secret_insert(st, &id2, v, sizeof(v)), SMS_OK); /* not EEXISTS */
    assert_true(kill_store_backends(fx) >= 1);
    make_candidate(&cand, "0xtask-kill", 5, key, sizeof(key), 0);
    assert_int_equal(store_challenge_get_or_create(st, &cand, &out, &created), SMS_OK);
    assert_int_equal(created, 1);
    challenge_rec_clear(&out);
    assert_true(kill_store_backends(fx) >= 1);
    assert_int_equal(store_foreach(st, tally_cb, &t), SMS_OK);
    assert_int_equal(t.secrets, 10);
    assert_int_equal(t.challenges, 1);
    assert_true(kill_store_backends(fx) >= 1);
    assert_int_equal(store_count(st, STORE_COUNT_WEB2, &n), SMS_OK);
    assert_int_equal(n, 10);
    assert_true(kill_store_backends(fx) >= 1);
    assert_int_equal(store_ping(st), SMS_OK);

    /* Many dead connections at once, used concurrently. */
    run_busy(st, 1);
    assert_true(kill_store_backends(fx) >= 2);
    run_busy(st, 2);
    assert_int_equal(store_count(st, STORE_COUNT_WEB2, &n), SMS_OK);
    assert_int_equal(n, 26);
}

/* The server backend dies in the middle of a write (a trigger terminates it, once: the
 * sequence is not transactional). Nothing was committed, the store retries once on a new
 * connection, and the caller sees a plain success with exactly one row written. */
static void test_killed_mid_write_retried_once(void **state)
{
    fixture *fx = *state;
    sms_store *st;
    uint8_t v[30], key[32];
    secret_id id = {SECRET_REQUESTER, "0xmid", "key"};
    challenge_rec cand, out;
    int created = 0;

    REQUIRE_PG();
    st = open_handle(fx, 0);
    raw_exec(fx->raw, "CREATE SEQUENCE kill_seq");
    raw_exec(fx->raw, "CREATE FUNCTION kill_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                      "IF nextval('kill_seq') % 2 = 1 THEN "
                      "PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); END IF; "
                      "RETURN NEW; END $$");
    raw_exec(fx->raw, "CREATE TRIGGER kill_secrets BEFORE INSERT ON secrets FOR EACH ROW EXECUTE FUNCTION kill_once()");
    raw_exec(fx->raw,
             "CREATE TRIGGER kill_challenges BEFORE INSERT ON challenges FOR EACH ROW EXECUTE FUNCTION kill_once()");

    make_value(v, sizeof(v), 9);
    assert_int_equal(store_secret_insert(st, &id, v, sizeof(v)), SMS_OK);
    assert_int_equal(raw_int(fx->raw, "SELECT last_value FROM kill_seq", NULL), 2);
    assert_int_equal(raw_int(fx->raw, "SELECT count(*) FROM secrets", NULL), 1);
    assert_secret(st, &id, v, sizeof(v));
    /* A real duplicate is still one (the retry compares values, these differ). */
    v[0] ^= 1;
    assert_int_equal(store_secret_insert(st, &id, v, sizeof(v)), SMS_EEXISTS);
    assert_int_equal(raw_int(fx->raw, "SELECT last_value FROM kill_seq", NULL), 4);

    make_candidate(&cand, "0xtask-mid", 4, key, sizeof(key), 0);
    assert_int_equal(store_challenge_get_or_create(st, &cand, &out, &created), SMS_OK);
    assert_int_equal(created, 1);
    assert_string_equal(out.address, cand.address);
    challenge_rec_clear(&out);
    assert_int_equal(raw_int(fx->raw, "SELECT count(*) FROM challenges", NULL), 1);
}

typedef struct {
    fixture *fx;
    int records;
} killer_walk;

static sms_status kill_during_walk(void *ctx, const store_record *rec)
{
    killer_walk *k = ctx;

    (void)rec;
    if (k->records++ == 0)
        kill_store_backends(k->fx);
    return SMS_OK;
}

/* A walk whose connection dies after records went out fails (restarting it would hand them
 * out twice); the next calls work. */
static void test_killed_mid_walk_fails_cleanly(void **state)
{
    fixture *fx = *state;
    sms_store *st;
    uint8_t v[8] = {1};
    killer_walk k = {.fx = fx};
    tally t = {0};

    REQUIRE_PG();
    st = open_handle(fx, 0);
    for (int i = 0; i < 100; i++) {
        char name[16];
        secret_id id = {SECRET_WEB2, "0xwalk", name};
        snprintf(name, sizeof(name), "n%03d", i);
        assert_int_equal(store_secret_insert(st, &id, v, sizeof(v)), SMS_OK);
    }
    assert_int_equal(store_foreach(st, kill_during_walk, &k), SMS_ESTORE);
    assert_true(k.records >= 1 && k.records < 100);
    assert_int_equal(store_foreach(st, tally_cb, &t), SMS_OK);
    assert_int_equal(t.secrets, 100);
}

/* A statement blocked by another session's lock ends at statement_timeout (10 s): a store
 * call never hangs, and the connection is usable afterwards. */
static void test_blocked_statement_is_bounded(void **state)
{
    fixture *fx = *state;
    sms_store *st;
    uint8_t v[8] = {0}, *got = NULL;
    size_t len = 0;
    secret_id id = {SECRET_WEB2, "0xlocked", "x"};
    struct timespec t0;
    double s;

    REQUIRE_PG();
    st = open_handle(fx, 0);
    assert_int_equal(store_secret_insert(st, &id, v, sizeof(v)), SMS_OK);
    raw_exec(fx->raw, "BEGIN");
    raw_exec(fx->raw, "LOCK TABLE secrets IN ACCESS EXCLUSIVE MODE");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(store_secret_get(st, &id, &got, &len), SMS_ESTORE);
    s = since(&t0);
    print_message("    blocked read failed after %.1f s\n", s);
    assert_true(s >= 8.0 && s < 30.0);
    assert_null(got);
    raw_exec(fx->raw, "ROLLBACK");
    assert_secret(st, &id, v, sizeof(v));
}

/* ---- unreachable servers, bad URLs ---- */

/* Captures what the code under test writes to stderr (the log) between begin and end. */
typedef struct {
    char path[64];
    int saved;
} capture;

static void capture_begin(capture *c)
{
    int fd;

    snprintf(c->path, sizeof(c->path), "/tmp/test_store_pg-XXXXXX");
    fd = mkstemp(c->path);
    assert_true(fd >= 0);
    fflush(stderr);
    c->saved = dup(2);
    assert_true(c->saved >= 0);
    assert_true(dup2(fd, 2) >= 0);
    close(fd);
}

static void capture_end(capture *c, char *out, size_t cap)
{
    int fd;
    ssize_t n;

    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    fd = open(c->path, O_RDONLY);
    assert_true(fd >= 0);
    n = read(fd, out, cap - 1);
    close(fd);
    unlink(c->path);
    out[n > 0 ? n : 0] = '\0';
}

static void open_fails(const char *url, sms_status want, const char *secret, double max_s, char *err, size_t cap)
{
    sms_store *st = (sms_store *)1;
    struct timespec t0;
    capture cap_log;
    char log[8192];
    sms_status rc;
    double s;

    err[0] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &t0);
    capture_begin(&cap_log);
    rc = store_open(url, &st, err, cap);
    capture_end(&cap_log, log, sizeof(log));
    s = since(&t0);
    print_message("    open failed in %.1f s: %s\n", s, err);
    assert_int_equal(rc, want);
    assert_null(st);
    assert_true(err[0] != '\0');
    assert_true(s < max_s);
    if (secret) {
        if (strstr(err, secret))
            fail_msg("password in the error message: %s", err);
        if (strstr(log, secret))
            fail_msg("password in the log: %s", log);
    }
}

/* ---- bulk writes (store_replace_all, store_insert_all) ---- */

#define RS_MAX 128

/* A record source over a fixed set, with injectable failures. */
typedef struct {
    store_record rec[RS_MAX];
    char owner[RS_MAX][48];
    char name[RS_MAX][32];
    uint8_t val[RS_MAX][24];
    challenge_rec ch[RS_MAX];
    uint8_t key[RS_MAX][32];
    size_t n;
    size_t pos;
    size_t fail_at;   /* index at which the source returns SMS_EIO; RS_NEVER for never */
    size_t kill_at;   /* index before which the store's server backends are killed */
    fixture *fx;      /* for kill_at */
    useconds_t delay; /* per record: widens the window concurrent readers see */
} recset;

#define RS_NEVER ((size_t)-1)

static recset *rs_new(void)
{
    recset *rs = calloc(1, sizeof(*rs));

    assert_non_null(rs);
    rs->fail_at = RS_NEVER;
    rs->kill_at = RS_NEVER;
    return rs;
}

static void rs_secret(recset *rs, secret_kind kind, const char *owner, const char *name, unsigned seed)
{
    size_t i = rs->n++;
    store_record *r = &rs->rec[i];

    assert_true(i < RS_MAX);
    snprintf(rs->owner[i], sizeof(rs->owner[i]), "%s", owner);
    snprintf(rs->name[i], sizeof(rs->name[i]), "%s", name);
    make_value(rs->val[i], sizeof(rs->val[i]), seed);
    r->type = STORE_REC_SECRET;
    r->secret = (secret_id){kind, rs->owner[i], rs->name[i]};
    r->sealed = rs->val[i];
    r->sealed_len = sizeof(rs->val[i]);
}

static void rs_challenge(recset *rs, const char *task, unsigned seed, int64_t deadline)
{
    size_t i = rs->n++;

    assert_true(i < RS_MAX);
    make_candidate(&rs->ch[i], task, seed, rs->key[i], sizeof(rs->key[i]), deadline);
    rs->rec[i].type = STORE_REC_CHALLENGE;
    rs->rec[i].challenge = &rs->ch[i];
}

/* n web2 secrets of owner, then `challenges` challenges, values from seed. */
static recset *rs_fill(const char *owner, int n, int challenges, unsigned seed)
{
    recset *rs = rs_new();
    char name[32], task[80];

    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "s%03d", i);
        rs_secret(rs, SECRET_WEB2, owner, name, seed + (unsigned)i);
    }
    for (int i = 0; i < challenges; i++) {
        snprintf(task, sizeof(task), "0x%s-task-%d", owner, i);
        rs_challenge(rs, task, seed + 1000u + (unsigned)i, i % 2 ? 0 : 1700000000000LL + i);
    }
    return rs;
}

static sms_status rs_next(void *ctx, const store_record **rec)
{
    recset *rs = ctx;

    *rec = NULL;
    if (rs->pos == rs->fail_at)
        return SMS_EIO;
    if (rs->pos == rs->kill_at)
        kill_store_backends(rs->fx);
    if (rs->delay)
        usleep(rs->delay);
    if (rs->pos < rs->n)
        *rec = &rs->rec[rs->pos++];
    return SMS_OK;
}

static sms_status run_bulk(sms_store *st, int replace, recset *rs)
{
    rs->pos = 0;
    return replace ? store_replace_all(st, rs_next, rs) : store_insert_all(st, rs_next, rs);
}

/* The store holds exactly the records of the given sets (NULL-terminated list). */
static void assert_store_holds(sms_store *st, recset *const *sets)
{
    tally want = {0}, got = {0};
    challenge_rec ch;

    for (recset *const *s = sets; *s; s++) {
        for (size_t i = 0; i < (*s)->n; i++) {
            const store_record *r = &(*s)->rec[i];
            if (r->type == STORE_REC_SECRET) {
                want.secrets++;
                assert_secret(st, &r->secret, r->sealed, r->sealed_len);
                continue;
            }
            want.challenges++;
            memset(&ch, 0, sizeof(ch));
            assert_int_equal(store_challenge_get(st, r->challenge->task_id, &ch), SMS_OK);
            assert_string_equal(ch.address, r->challenge->address);
            assert_int_equal(ch.final_deadline_ms, r->challenge->final_deadline_ms);
            assert_int_equal(ch.sealed_key_len, r->challenge->sealed_key_len);
            assert_memory_equal(ch.sealed_key, r->challenge->sealed_key, ch.sealed_key_len);
            challenge_rec_clear(&ch);
        }
    }
    assert_int_equal(store_foreach(st, tally_cb, &got), SMS_OK);
    assert_int_equal(got.secrets, want.secrets);
    assert_int_equal(got.challenges, want.challenges);
}

static void put_set(sms_store *st, recset *rs)
{
    challenge_rec out;
    int created = 0;

    for (size_t i = 0; i < rs->n; i++) {
        const store_record *r = &rs->rec[i];
        if (r->type == STORE_REC_SECRET) {
            assert_int_equal(store_secret_insert(st, &r->secret, r->sealed, r->sealed_len), SMS_OK);
            continue;
        }
        assert_int_equal(store_challenge_get_or_create(st, r->challenge, &out, &created), SMS_OK);
        assert_int_equal(created, 1);
        challenge_rec_clear(&out);
    }
}

/* A trigger that makes the server refuse the insert of one owner (SQLSTATE P0001). */
static void install_refusing_trigger(fixture *fx, const char *owner)
{
    char sql[512];

    snprintf(sql, sizeof(sql),
             "CREATE FUNCTION refuse_owner() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
             "IF NEW.owner = '%s' THEN RAISE EXCEPTION 'refused by test'; END IF; RETURN NEW; END $$",
             owner);
    raw_exec(fx->raw, sql);
    raw_exec(fx->raw, "CREATE TRIGGER refuse BEFORE INSERT ON secrets FOR EACH ROW EXECUTE FUNCTION refuse_owner()");
}

static void drop_refusing_trigger(fixture *fx)
{
    raw_exec(fx->raw, "DROP TRIGGER refuse ON secrets");
    raw_exec(fx->raw, "DROP FUNCTION refuse_owner()");
}

static void test_replace_all(void **state)
{
    fixture *fx = *state;
    recset *old = rs_fill("0xold", 6, 2, 10), *fresh = rs_fill("0xnew", 9, 3, 50), *bad;
    recset *const want_old[] = {old, NULL}, *const want_new[] = {fresh, NULL};
    sms_store *st, *other;

    REQUIRE_PG();
    st = open_handle(fx, 0);
    other = open_handle(fx, 1);
    put_set(st, old);
    assert_store_holds(st, want_old);

    /* One identity twice in the source (also a challenge twice): nothing changes. */
    bad = rs_fill("0xnew", 9, 3, 50);
    rs_secret(bad, SECRET_WEB2, "0xnew", "s004", 77);
    assert_int_equal(run_bulk(st, 1, bad), SMS_EEXISTS);
    assert_store_holds(other, want_old);
    free(bad);
    bad = rs_fill("0xnew", 2, 3, 50);
    rs_challenge(bad, "0x0xnew-task-1", 99, 0);
    assert_int_equal(run_bulk(st, 1, bad), SMS_EEXISTS);
    assert_store_holds(other, want_old);
    free(bad);

    /* The source fails midway: its status, nothing changes. */
    fresh->fail_at = 5;
    assert_int_equal(run_bulk(st, 1, fresh), SMS_EIO);
    assert_store_holds(other, want_old);
    fresh->fail_at = RS_NEVER;

    /* The server refuses a record midway. */
    install_refusing_trigger(fx, "0xnew");
    assert_int_equal(run_bulk(st, 1, fresh), SMS_ESTORE);
    assert_store_holds(other, want_old);
    drop_refusing_trigger(fx);

    /* The connection dies midway: not retried (records already consumed), nothing changes,
     * and the handle works afterwards. */
    fresh->fx = fx;
    fresh->kill_at = 4;
    assert_int_equal(run_bulk(st, 1, fresh), SMS_ESTORE);
    assert_int_equal(fresh->pos, 5); /* record 4 pulled, its insert failed, no second run */
    fresh->kill_at = RS_NEVER;
    assert_store_holds(other, want_old);
    assert_store_holds(st, want_old);

    /* Success: exactly the source, for every handle. */
    assert_int_equal(run_bulk(st, 1, fresh), SMS_OK);
    assert_store_holds(other, want_new);
    assert_store_holds(st, want_new);

    /* An empty source empties the store. */
    {
        recset *empty = rs_new();
        recset *const want_none[] = {NULL};
        assert_int_equal(run_bulk(st, 1, empty), SMS_OK);
        assert_store_holds(other, want_none);
        free(empty);
    }
    free(old);
    free(fresh);
}

/* The server dies inside COMMIT (a deferred trigger terminates its backend): the outcome is
 * asked of the server by transaction id, found aborted, and reported as a failure with
 * nothing changed. */
static void test_replace_all_killed_in_commit(void **state)
{
    fixture *fx = *state;
    recset *old = rs_fill("0xold", 3, 1, 10), *fresh = rs_fill("0xnew", 4, 1, 50);
    recset *const want_old[] = {old, NULL}, *const want_new[] = {fresh, NULL};
    sms_store *st;
    capture cap_log;
    char log[8192];
    sms_status rc;

    REQUIRE_PG();
    st = open_handle(fx, 0);
    put_set(st, old);
    raw_exec(fx->raw, "CREATE SEQUENCE commit_seq");
    raw_exec(fx->raw, "CREATE FUNCTION kill_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                      "IF NEW.name = 's000' AND nextval('commit_seq') = 1 THEN "
                      "PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); END IF; "
                      "RETURN NEW; END $$");
    raw_exec(fx->raw, "CREATE CONSTRAINT TRIGGER kill_at_commit AFTER INSERT ON secrets "
                      "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION kill_commit()");

    capture_begin(&cap_log);
    rc = run_bulk(st, 1, fresh);
    capture_end(&cap_log, log, sizeof(log));
    assert_int_equal(rc, SMS_ESTORE);
    if (!strstr(log, "connection lost during COMMIT"))
        fail_msg("the commit outcome was not resolved; log: %s", log);
    assert_int_equal(raw_int(fx->raw, "SELECT last_value FROM commit_seq", NULL), 1);
    assert_store_holds(st, want_old);

    /* The trigger fires only once: the same write now commits. */
    assert_int_equal(run_bulk(st, 1, fresh), SMS_OK);
    assert_store_holds(st, want_new);
    free(old);
    free(fresh);
}

static void test_insert_all(void **state)
{
    fixture *fx = *state;
    recset *old = rs_fill("0xold", 5, 2, 10), *add = rs_fill("0xadd", 7, 2, 60), *bad;
    recset *const want_old[] = {old, NULL}, *const want_both[] = {old, add, NULL};
    sms_store *st, *other;

    REQUIRE_PG();
    st = open_handle(fx, 0);
    other = open_handle(fx, 1);
    put_set(st, old);

    /* A secret that already exists (value differs): all refused. */
    bad = rs_fill("0xadd", 7, 2, 60);
    rs_secret(bad, SECRET_WEB2, "0xold", "s003", 1);
    assert_int_equal(run_bulk(st, 0, bad), SMS_EEXISTS);
    assert_store_holds(other, want_old);
    free(bad);
    /* A challenge that already exists. */
    bad = rs_fill("0xadd", 7, 0, 60);
    rs_challenge(bad, "0x0xold-task-1", 5, 0);
    assert_int_equal(run_bulk(st, 0, bad), SMS_EEXISTS);
    assert_store_holds(other, want_old);
    free(bad);
    /* One identity twice in the source. */
    bad = rs_fill("0xadd", 7, 2, 60);
    rs_secret(bad, SECRET_WEB2, "0xadd", "s000", 1);
    assert_int_equal(run_bulk(st, 0, bad), SMS_EEXISTS);
    assert_store_holds(other, want_old);
    free(bad);

    /* Failures midway: the source's, the server's, a dead connection. */
    add->fail_at = 6;
    assert_int_equal(run_bulk(st, 0, add), SMS_EIO);
    add->fail_at = RS_NEVER;
    assert_store_holds(other, want_old);
    install_refusing_trigger(fx, "0xadd");
    assert_int_equal(run_bulk(st, 0, add), SMS_ESTORE);
    drop_refusing_trigger(fx);
    assert_store_holds(other, want_old);
    add->fx = fx;
    add->kill_at = 3;
    assert_int_equal(run_bulk(st, 0, add), SMS_ESTORE);
    add->kill_at = RS_NEVER;
    assert_store_holds(other, want_old);

    /* Success: the old records kept, the new ones added; a second run clashes. */
    assert_int_equal(run_bulk(st, 0, add), SMS_OK);
    assert_store_holds(other, want_both);
    assert_int_equal(run_bulk(st, 0, add), SMS_EEXISTS);
    assert_store_holds(other, want_both);
    free(old);
    free(add);
}

#define READERS 3

typedef struct {
    sms_store *st;
    volatile int *stop;
    int a_secrets, a_challenges, b_secrets, b_challenges; /* the two acceptable states */
    int seen_a, seen_b, bad, errors;
    int bad_secrets, bad_challenges;
} reader_arg;

static void *reader_thread(void *p)
{
    reader_arg *a = p;

    while (!*a->stop) {
        tally t = {0};
        int64_t n = -1;
        if (store_foreach(a->st, tally_cb, &t) != SMS_OK || store_count(a->st, STORE_COUNT_WEB2, &n) != SMS_OK) {
            a->errors++;
            continue;
        }
        if (t.secrets == a->a_secrets && t.challenges == a->a_challenges)
            a->seen_a++;
        else if (t.secrets == a->b_secrets && t.challenges == a->b_challenges)
            a->seen_b++;
        else {
            a->bad++;
            a->bad_secrets = t.secrets;
            a->bad_challenges = t.challenges;
        }
        if (n != a->a_secrets && n != a->b_secrets) {
            a->bad++;
            a->bad_secrets = (int)n;
        }
    }
    return NULL;
}

/* Readers on another handle (another daemon) during replaces and inserts see the store
 * before or after, never in between; a bulk write in progress does not block them. */
static void test_bulk_readers_see_old_or_new(void **state)
{
    fixture *fx = *state;
    recset *a = rs_fill("0xaaa", 30, 2, 10), *b = rs_fill("0xbbb", 45, 3, 90);
    recset *const want_a[] = {a, NULL}, *const want_ab[] = {a, b, NULL};
    pthread_t th[READERS];
    reader_arg args[READERS];
    volatile int stop = 0;
    sms_store *st;
    int seen_a = 0, seen_b = 0;

    REQUIRE_PG();
    st = open_handle(fx, 0);
    open_handle(fx, 1);
    put_set(st, a);
    a->delay = b->delay = 2000; /* ~0.1 s per bulk write */

    /* Phase 1: replace a <-> b. */
    for (int i = 0; i < READERS; i++) {
        args[i] = (reader_arg){.st = fx->st[1], .stop = &stop, .a_secrets = 30, .a_challenges = 2,
                               .b_secrets = 45, .b_challenges = 3};
        assert_int_equal(pthread_create(&th[i], NULL, reader_thread, &args[i]), 0);
    }
    for (int round = 0; round < 3; round++) {
        assert_int_equal(run_bulk(st, 1, b), SMS_OK);
        usleep(20000);
        assert_int_equal(run_bulk(st, 1, a), SMS_OK);
        usleep(20000);
    }
    stop = 1;
    for (int i = 0; i < READERS; i++) {
        pthread_join(th[i], NULL);
        if (args[i].bad)
            fail_msg("reader %d saw %d secrets / %d challenges mid-replace (%d times)", i, args[i].bad_secrets,
                     args[i].bad_challenges, args[i].bad);
        assert_int_equal(args[i].errors, 0);
        seen_a += args[i].seen_a;
        seen_b += args[i].seen_b;
    }
    print_message("    replace: readers saw the old state %d times, the new one %d times\n", seen_a, seen_b);
    assert_true(seen_a > 0 && seen_b > 0);
    assert_store_holds(fx->st[1], want_a);

    /* Phase 2: insert b next to a (a, or a + b). */
    stop = 0;
    for (int i = 0; i < READERS; i++) {
        args[i] = (reader_arg){.st = fx->st[1], .stop = &stop, .a_secrets = 30, .a_challenges = 2,
                               .b_secrets = 75, .b_challenges = 5};
        assert_int_equal(pthread_create(&th[i], NULL, reader_thread, &args[i]), 0);
    }
    usleep(30000);
    assert_int_equal(run_bulk(st, 0, b), SMS_OK);
    usleep(30000);
    stop = 1;
    for (int i = 0; i < READERS; i++) {
        pthread_join(th[i], NULL);
        if (args[i].bad)
            fail_msg("reader %d saw %d secrets / %d challenges mid-insert", i, args[i].bad_secrets,
                     args[i].bad_challenges);
        assert_int_equal(args[i].errors, 0);
    }
    assert_store_holds(fx->st[1], want_ab);
    free(a);
    free(b);
}

/* A TCP port that accepts connections (kernel backlog) and never answers. */
static int silent_server(int *port)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void test_unreachable_and_bad_urls(void **state)
{
    fixture *fx = *state;
    char url[1400], err[256];
    int port, fd;
    struct timespec t0;

    (void)fx;
    REQUIRE_PG();
    /* Unparseable URL: the caller's mistake. */
    open_fails("postgresql://[::1/db", SMS_EINVAL, NULL, 2.0, err, sizeof(err));
    open_fails("postgresql://u:pw@h/db?nosuchoption=1", SMS_EINVAL, NULL, 2.0, err, sizeof(err));
    assert_non_null(strstr(err, "nosuchoption"));
    /* A password libpq would echo back while complaining about it. */
    open_fails("postgresql://u:S3cr3t%zzPw@127.0.0.1:1/db", SMS_EINVAL, "S3cr3t", 2.0, err, sizeof(err));

    /* Nobody listening: refused at once. */
    open_fails("postgresql://u:S3cr3tPw@127.0.0.1:1/db", SMS_ESTORE, "S3cr3tPw", 5.0, err, sizeof(err));
    assert_non_null(strstr(err, "cannot connect"));

    /* Wrong password, unknown database on the real server. */
    snprintf(url, sizeof(url), "%s%cpassword=Wr0ngPassw0rd", g_base, strchr(g_base, '?') ? '&' : '?');
    open_fails(url, SMS_ESTORE, "Wr0ngPassw0rd", 5.0, err, sizeof(err));
    assert_non_null(strstr(err, "authentication"));

    /* A server that never answers: bounded by connect_timeout, the URL's or ours (5 s). */
    fd = silent_server(&port);
    snprintf(url, sizeof(url), "postgresql://u:S3cr3tPw@127.0.0.1:%d/db?connect_timeout=2", port);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    open_fails(url, SMS_ESTORE, "S3cr3tPw", 10.0, err, sizeof(err));
    assert_true(since(&t0) >= 1.5);
    snprintf(url, sizeof(url), "postgresql://u:S3cr3tPw@127.0.0.1:%d/db", port);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    open_fails(url, SMS_ESTORE, "S3cr3tPw", 16.0, err, sizeof(err));
    assert_true(since(&t0) >= 4.0);
    close(fd);
}

/* ---- main ---- */

static int is_pg_url(const char *u)
{
    return u && (strncasecmp(u, "postgresql://", 13) == 0 || strncasecmp(u, "postgres://", 11) == 0);
}

static void init_run_tag(void)
{
    uint8_t r[6] = {0};
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

static void test_requires_postgresql(void **state)
{
    (void)state;
    skip();
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_two_handles_see_each_others_writes),
        T(test_two_handles_concurrent_challenge),
        T(test_concurrent_first_open_migrates_once),
        T(test_newer_or_foreign_schema_refused),
        T(test_killed_connections_recovered),
        T(test_killed_mid_write_retried_once),
        T(test_killed_mid_walk_fails_cleanly),
        T(test_blocked_statement_is_bounded),
        T(test_unreachable_and_bad_urls),
        T(test_replace_all),
        T(test_replace_all_killed_in_commit),
        T(test_insert_all),
        T(test_bulk_readers_see_old_or_new),
    };
#undef T
    const char *url = getenv("SMS_TEST_STORE_URL");

    g_base = is_pg_url(url) ? url : NULL;
    if (!g_base) {
        fprintf(stderr, "test_store_pg: SMS_TEST_STORE_URL is not a postgresql:// URL: skipping "
                        "(scripts/pg-test.sh run -- %s)\n",
                "build/test_store_pg");
        /* Skip before any fixture allocates. */
        const struct CMUnitTest skipped[] = {cmocka_unit_test(test_requires_postgresql)};
        return cmocka_run_group_tests(skipped, NULL, NULL);
    }
    init_run_tag();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
