/* A fixed pool of threads running jobs from a bounded FIFO queue: where the HTTP server
 * runs handlers that block (durable commits, chain calls, provisioner posts) so that the
 * event threads never wait. */
#ifndef SMS_WORKERS_H
#define SMS_WORKERS_H

#include "core/status.h"

typedef void (*work_fn)(void *arg);
typedef struct work_pool work_pool;

/* threads >= 1 workers; at most queue_cap jobs waiting. SMS_EINVAL, SMS_ENOMEM, SMS_ERR. */
sms_status work_pool_start(unsigned threads, unsigned queue_cap, work_pool **out);
/* Queue fn(arg). SMS_OK, or SMS_EBUSY when the queue is full or the pool is stopping (the
 * job is then not run: the caller answers for it). */
sms_status work_pool_submit(work_pool *p, work_fn fn, void *arg);
/* Run every job already queued, then join the threads and free the pool. NULL-safe. */
void work_pool_stop(work_pool *p);

#endif
