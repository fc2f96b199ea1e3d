/* A store backend whose every operation fails with one status: a test double for
 * database outages (health DOWN, 500 answers, -1 metric counts). */
#ifndef SMS_TEST_FAILING_STORE_H
#define SMS_TEST_FAILING_STORE_H

#include "core/status.h"
#include "store/store.h"

/* New store (free with store_close) whose operations all return fail_with. Returns SMS_OK
 * or SMS_ENOMEM. */
sms_status failing_store_open(sms_status fail_with, sms_store **out);

#endif
