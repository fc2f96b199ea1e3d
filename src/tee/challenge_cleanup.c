#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/log.h"
#include "tee/challenge_cleanup.h"

struct challenge_cleanup {
    sms_store *store;
    cron_schedule schedule;
    int64_t retention_ms;
    int batch;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
    uint64_t runs;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sms_status challenge_cleanup_run(sms_store *store, int64_t now_ms, int64_t retention_ms, int batch, int64_t *deleted,
                                 int64_t *filled)
{
    int64_t d = 0, f = 0;
    sms_status st = store_challenge_delete_expired(store, now_ms, &d);
    if (st == SMS_OK && batch > 0 && retention_ms > 0)
        st = store_challenge_fill_missing_deadlines(store, now_ms + retention_ms, batch, &f);
    if (deleted != NULL) *deleted = d;
    if (filled != NULL) *filled = f;
    return st;
}

/* Sleep until wall-clock time `until_ms` or until stopped; called and returns with the lock
 * held. Returns 1 when stopped. */
static int sleep_until(challenge_cleanup *c, int64_t until_ms)
{
    struct timespec deadline;
    deadline.tv_sec = (time_t)(until_ms / 1000);
    deadline.tv_nsec = (long)(until_ms % 1000) * 1000000L;
    while (!c->stop) {
        int rc = pthread_cond_timedwait(&c->wake, &c->lock, &deadline);
        /* A wall-clock step may wake us early or late: re-check against the clock. */
        if (rc == ETIMEDOUT || wall_ms() >= until_ms) break;
    }
    return c->stop;
}

static void *cleanup_loop(void *arg)
{
    challenge_cleanup *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        int64_t next = cron_next_ms(&c->schedule, wall_ms());
        if (next < 0) {
            LOG_WARN("enclave challenge cleanup: the schedule has no next run; cleanup disabled");
            while (!c->stop) pthread_cond_wait(&c->wake, &c->lock);
            break;
        }
        if (sleep_until(c, next)) break;
        pthread_mutex_unlock(&c->lock);
        int64_t deleted = 0, filled = 0;
        sms_status st = challenge_cleanup_run(c->store, wall_ms(), c->retention_ms, c->batch, &deleted, &filled);
        if (st != SMS_OK)
            LOG_ERROR("enclave challenge cleanup failed: %s", sms_status_name(st));
        else if (deleted > 0 || filled > 0)
            LOG_INFO("enclave challenge cleanup: %lld expired deleted, %lld given a deadline", (long long)deleted,
                     (long long)filled);
        pthread_mutex_lock(&c->lock);
        c->runs++;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

sms_status challenge_cleanup_start(sms_store *store, const cron_schedule *schedule, int64_t retention_ms, int batch,
                                   challenge_cleanup **out)
{
    if (store == NULL || schedule == NULL || out == NULL || retention_ms <= 0 || batch <= 0) return SMS_EINVAL;
    challenge_cleanup *c = calloc(1, sizeof *c);
    if (c == NULL) return SMS_ENOMEM;
    c->store = store;
    c->schedule = *schedule;
    c->retention_ms = retention_ms;
    c->batch = batch;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, cleanup_loop, c) != 0) {
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return SMS_ERR;
    }
    *out = c;
    return SMS_OK;
}

uint64_t challenge_cleanup_runs(challenge_cleanup *c)
{
    pthread_mutex_lock(&c->lock);
    uint64_t n = c->runs;
    pthread_mutex_unlock(&c->lock);
    return n;
}

void challenge_cleanup_stop(challenge_cleanup *c)
{
    if (c == NULL) return;
    pthread_mutex_lock(&c->lock);
    c->stop = 1;
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
