/* Bench helper: run fn(ctx, i) for i in [0, n) split over `threads` threads; the first
 * non-OK status of any thread is returned (each thread stops at its own first failure). */
#ifndef SMS_BENCH_PARALLEL_H
#define SMS_BENCH_PARALLEL_H

#include <pthread.h>

#include "core/status.h"

#define PARALLEL_MAX_THREADS 64

typedef sms_status (*parallel_fn)(void *ctx, long i);

typedef struct {
    parallel_fn fn;
    void *ctx;
    long from, to;
    sms_status status;
} parallel_job;

static void *parallel_main(void *arg)
{
    parallel_job *job = arg;
    job->status = SMS_OK;
    for (long i = job->from; i < job->to && job->status == SMS_OK; i++) job->status = job->fn(job->ctx, i);
    return NULL;
}

static inline sms_status parallel_for(long n, int threads, parallel_fn fn, void *ctx)
{
    parallel_job jobs[PARALLEL_MAX_THREADS];
    pthread_t tids[PARALLEL_MAX_THREADS];
    int started = 0;
    sms_status ret = SMS_OK;
    if (threads < 1) threads = 1;
    if (threads > PARALLEL_MAX_THREADS) threads = PARALLEL_MAX_THREADS;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (parallel_job){fn, ctx, n * t / threads, n * (t + 1) / threads, SMS_OK};
        if (pthread_create(&tids[t], NULL, parallel_main, &jobs[t]) != 0) {
            ret = SMS_ERR;
            break;
        }
        started++;
    }
    for (int t = 0; t < started; t++) {
        pthread_join(tids[t], NULL);
        if (jobs[t].status != SMS_OK) ret = jobs[t].status;
    }
    return ret;
}

#endif
