#include <pthread.h>
#include <stdlib.h>

#include "http/workers.h"

typedef struct {
    work_fn fn;
    void *arg;
} job;

struct work_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *ring;
    unsigned cap;
    unsigned head;
    unsigned len;
    int stopping;
    pthread_t *threads;
    unsigned n_threads;
};

static void *worker_main(void *arg)
{
    work_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->len == 0 && !p->stopping) pthread_cond_wait(&p->cv, &p->mu);
        if (p->len == 0) break; /* stopping and drained */
        job j = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->len--;
        pthread_mutex_unlock(&p->mu);
        j.fn(j.arg);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

sms_status work_pool_start(unsigned threads, unsigned queue_cap, work_pool **out)
{
    if (threads == 0 || queue_cap == 0) return SMS_EINVAL;
    work_pool *p = calloc(1, sizeof *p);
    if (p == NULL) return SMS_ENOMEM;
    p->ring = calloc(queue_cap, sizeof *p->ring);
    p->threads = calloc(threads, sizeof *p->threads);
    if (p->ring == NULL || p->threads == NULL) {
        free(p->ring);
        free(p->threads);
        free(p);
        return SMS_ENOMEM;
    }
    p->cap = queue_cap;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    for (; p->n_threads < threads; p->n_threads++) {
        if (pthread_create(&p->threads[p->n_threads], &attr, worker_main, p) != 0) break;
    }
    pthread_attr_destroy(&attr);
    if (p->n_threads == 0) {
        work_pool_stop(p);
        return SMS_ERR;
    }
    *out = p;
    return SMS_OK;
}

sms_status work_pool_submit(work_pool *p, work_fn fn, void *arg)
{
    sms_status st = SMS_OK;
    pthread_mutex_lock(&p->mu);
    if (p->stopping || p->len == p->cap) {
        st = SMS_EBUSY;
    } else {
        p->ring[(p->head + p->len) % p->cap] = (job){fn, arg};
        p->len++;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return st;
}

void work_pool_stop(work_pool *p)
{
    if (p == NULL) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n_threads; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->ring);
    free(p->threads);
    free(p);
}
