/* Enclave challenge cleanup (src/tee/challenge_cleanup.c): one run on a real SQLite store
 * (expired rows deleted, missing deadlines filled in batches), the scheduled thread firing
 * on its cron schedule, and a prompt stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/cron.h"
#include "helpers/tmpdir.h"
#include "store/store.h"
#include "tee/challenge_cleanup.h"

typedef struct {
    char *dir;
    sms_store *store;
} fx;

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    char db[1200], url[1300], err[256];
    if (x == NULL || (x->dir = tmpdir_make("tee-cleanup")) == NULL) return -1;
    tmpdir_join(x->dir, "c.sqlite", db, sizeof db);
    snprintf(url, sizeof url, "sqlite:%s", db);
    if (store_open(url, &x->store, err, sizeof err) != SMS_OK) return -1;
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    store_close(x->store);
    tmpdir_remove(x->dir);
    free(x);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A challenge row for task number n (the sealed key is opaque to the store). */
static void put(fx *x, int n, int64_t deadline_ms)
{
    challenge_rec cand, got;
    int created = 0;
    uint8_t sealed[40];
    memset(&cand, 0, sizeof cand);
    memset(&got, 0, sizeof got);
    memset(sealed, 0xab, sizeof sealed);
    snprintf(cand.task_id, sizeof cand.task_id, "0x%064x", n);
    snprintf(cand.address, sizeof cand.address, "0x%040x", n);
    cand.sealed_key = sealed;
    cand.sealed_key_len = sizeof sealed;
    cand.final_deadline_ms = deadline_ms;
    assert_int_equal(store_challenge_get_or_create(x->store, &cand, &got, &created), SMS_OK);
    assert_int_equal(created, 1);
    challenge_rec_clear(&got);
}

/* Deadline of task n, or -1 when the row is gone. */
static int64_t deadline_of(fx *x, int n)
{
    char id[80];
    challenge_rec rec;
    memset(&rec, 0, sizeof rec);
    snprintf(id, sizeof id, "0x%064x", n);
    sms_status st = store_challenge_get(x->store, id, &rec);
    if (st == SMS_ENOTFOUND) return -1;
    assert_int_equal(st, SMS_OK);
    int64_t d = rec.final_deadline_ms;
    challenge_rec_clear(&rec);
    return d;
}

static void test_run_once(void **state)
{
    fx *x = *state;
    const int64_t now = 1800000000000;
    const int64_t retention = 5LL * 24 * 3600 * 1000;
    put(x, 1, now - 1);    /* expired */
    put(x, 2, now - 86400000);
    put(x, 3, now);        /* not strictly before now: kept */
    put(x, 4, now + 1000); /* future */
    put(x, 5, 0);          /* no deadline */
    put(x, 6, 0);
    put(x, 7, 0);
    int64_t deleted = -1, filled = -1;
    assert_int_equal(challenge_cleanup_run(x->store, now, retention, 2, &deleted, &filled), SMS_OK);
    assert_int_equal(deleted, 2);
    assert_int_equal(filled, 2); /* batch */
    assert_int_equal(deadline_of(x, 1), -1);
    assert_int_equal(deadline_of(x, 2), -1);
    assert_int_equal(deadline_of(x, 3), now);
    assert_int_equal(deadline_of(x, 4), now + 1000);
    int with_retention = 0, without = 0;
    for (int n = 5; n <= 7; n++) {
        int64_t d = deadline_of(x, n);
        if (d == now + retention) with_retention++;
        if (d == 0) without++;
    }
    assert_int_equal(with_retention, 2);
    assert_int_equal(without, 1);
    /* Next run: the last one gets its deadline, nothing is due yet. */
    assert_int_equal(challenge_cleanup_run(x->store, now, retention, 2, &deleted, &filled), SMS_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(filled, 1);
    for (int n = 5; n <= 7; n++) assert_true(deadline_of(x, n) == now + retention);
    /* After the retention, the filled rows go too. */
    assert_int_equal(challenge_cleanup_run(x->store, now + retention + 2, retention, 2, &deleted, NULL), SMS_OK);
    assert_int_equal(deleted, 5);
    int64_t n = -1;
    assert_int_equal(store_count(x->store, STORE_COUNT_CHALLENGES, &n), SMS_OK);
    assert_int_equal(n, 0);
}

static void test_thread_runs_on_schedule(void **state)
{
    fx *x = *state;
    cron_schedule every_second;
    challenge_cleanup *c = NULL;
    assert_int_equal(cron_parse("* * * * * *", &every_second), SMS_OK);
    put(x, 1, now_ms() - 1000);
    put(x, 2, now_ms() + 3600000);
    put(x, 3, 0);
    assert_int_equal(challenge_cleanup_start(x->store, &every_second, 3600000, 500, &c), SMS_OK);
    int64_t start = mono_ms();
    while (challenge_cleanup_runs(c) == 0 && mono_ms() - start < 5000) usleep(20000);
    assert_true(challenge_cleanup_runs(c) >= 1);
    assert_int_equal(deadline_of(x, 1), -1);
    assert_true(deadline_of(x, 2) > 0);
    int64_t filled = deadline_of(x, 3);
    assert_true(filled > now_ms() + 3500000 && filled <= now_ms() + 3600000);
    /* Stopping between two runs is prompt. */
    int64_t t0 = mono_ms();
    challenge_cleanup_stop(c);
    assert_true(mono_ms() - t0 < 1000);
}

static void test_stop_is_prompt(void **state)
{
    fx *x = *state;
    cron_schedule hourly;
    challenge_cleanup *c = NULL;
    assert_int_equal(cron_parse("@hourly", &hourly), SMS_OK);
    put(x, 1, 1);
    assert_int_equal(challenge_cleanup_start(x->store, &hourly, 1000, 10, &c), SMS_OK);
    usleep(50000);
    int64_t t0 = mono_ms();
    challenge_cleanup_stop(c);
    assert_true(mono_ms() - t0 < 200);
    /* It slept instead of running at start-up (unless the test crossed an hour boundary). */
    int64_t d = deadline_of(x, 1);
    assert_true(d == 1 || d == -1);
    challenge_cleanup_stop(NULL);
}

static void test_start_rejects_bad_arguments(void **state)
{
    fx *x = *state;
    cron_schedule s;
    challenge_cleanup *c = NULL;
    assert_int_equal(cron_parse("@daily", &s), SMS_OK);
    assert_int_equal(challenge_cleanup_start(NULL, &s, 1, 1, &c), SMS_EINVAL);
    assert_int_equal(challenge_cleanup_start(x->store, NULL, 1, 1, &c), SMS_EINVAL);
    assert_int_equal(challenge_cleanup_start(x->store, &s, 0, 1, &c), SMS_EINVAL);
    assert_int_equal(challenge_cleanup_start(x->store, &s, 1, 0, &c), SMS_EINVAL);
    assert_null(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_run_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thread_runs_on_schedule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_is_prompt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_rejects_bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
