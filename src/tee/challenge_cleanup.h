/* Scheduled cleanup of expired enclave challenges (tee-sessions.md 3.4, sms-api.md 9.8), on
 * its own thread so that requests never wait for it. */
#ifndef SMS_CHALLENGE_CLEANUP_H
#define SMS_CHALLENGE_CLEANUP_H

#include <stdint.h>

#include "config/cron.h"
#include "core/status.h"
#include "store/store.h"

typedef struct challenge_cleanup challenge_cleanup;

/* One run at now_ms: delete the challenges whose final deadline is before now_ms, then give
 * at most `batch` challenges without a deadline the deadline now_ms + retention_ms.
 * deleted / filled (may be NULL) receive the row counts. Returns the first store error. */
sms_status challenge_cleanup_run(sms_store *store, int64_t now_ms, int64_t retention_ms, int batch, int64_t *deleted,
                                 int64_t *filled);

/* Start the thread: it sleeps until the next time of `schedule` (copied), runs
 * challenge_cleanup_run, and so on. store is borrowed and must outlive the thread.
 * retention_ms > 0, batch > 0. SMS_OK, SMS_EINVAL, SMS_ENOMEM or SMS_ERR (thread). */
sms_status challenge_cleanup_start(sms_store *store, const cron_schedule *schedule, int64_t retention_ms, int batch,
                                   challenge_cleanup **out);

/* Number of runs completed so far (for tests and logs). */
uint64_t challenge_cleanup_runs(challenge_cleanup *c);

/* Wake the thread, wait for it (at most the end of a run in progress) and free. NULL-safe. */
void challenge_cleanup_stop(challenge_cleanup *c);

#endif
