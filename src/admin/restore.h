/* Staged, atomic restore of a backup pair (sms-api.md 7.3 [fix], 14 item 6).
 *
 *   1. load the pair's key (<file>.key) and parse the whole dump (header, every record,
 *      trailer count and checksum): any defect refuses the restore;
 *   2. check that EVERY record opens under that key with its identity as associated data;
 *   3. write the new key file to a temporary file next to the live one (fsync'ed);
 *   4. pause the guarded routes (hooks), snapshot the live content, then replace it
 *      in one store transaction (store_replace_all);
 *   5. rename the new key file over the live one (mode 0400, fsync of the directory); if
 *      that fails the previous content is put back, so data and key never disagree;
 *   6. switch the service's in-memory key, clear the existence caches, resume.
 * Before step 4 nothing live is touched; a failure at any step leaves the live data and
 * key file as they were.
 *
 * Crash window: a crash between the end of step 4 and step 5 leaves the new data with the
 * old key file on disk. The backup's own key file (<file>.key in the storage area) is then
 * the right key: copying it to the key path repairs the daemon. */
#ifndef SMS_ADMIN_RESTORE_H
#define SMS_ADMIN_RESTORE_H

#include <stddef.h>

#include "core/status.h"
#include "crypto/aead.h"
#include "secrets/secrets.h"
#include "store/store.h"

/* How the daemon takes guarded routes out of service around the swap (sms-api.md 7.4).
 * Both may be NULL (nothing to pause, e.g. the CLI or tests). */
typedef struct {
    /* Put /tee, /secrets, /apps, /requesters out of service (503) and return once no
     * request on them is in flight any more: 0; -1 when they could not be drained (the
     * hook has then already put them back in service and the restore is abandoned). */
    int (*pause)(void *ctx);
    /* Back in service. Called exactly once after every successful pause, whatever the outcome. */
    void (*resume)(void *ctx);
    void *ctx;
} admin_quiesce_hooks;

typedef struct {
    sms_store *store;           /* live store, borrowed */
    secrets_service *secrets;   /* borrowed; may be NULL (no key switch, no cache to clear) */
    const char *live_key_path;  /* the daemon's key file, borrowed */
    admin_quiesce_hooks hooks;
} restore_target;

/* Run the restore of dump_path + key_path (canonical, confined, existing).
 *   new_key : on success receives the key now in use by the secrets service; the caller
 *             owns it and must keep it alive as long as the service may use it
 *   err     : one-line reason on failure (no secret, no file content)
 * SMS_OK; SMS_EINVAL (bad dump or key file), SMS_ECRYPTO (a record does not open under the
 * key), SMS_EEXISTS (duplicate identities in the dump), SMS_EIO, SMS_ESTORE, SMS_ENOMEM,
 * SMS_ETOOBIG. Whatever the status, live data and key agree. */
sms_status restore_run(const restore_target *t, const char *dump_path, const char *key_path, aead_key **new_key,
                       char *err, size_t errcap);

#endif
