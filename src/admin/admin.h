/* The admin service (sms-api.md 7.2, 7.3 with their [fix]es): backup, replication, staged
 * restore, deletion and copy of backup pairs (<file> + <file>.key) inside the storage
 * location, one operation at a time.
 *
 * Every operation validates its parameters first, then takes the single admin lock,
 * waiting at most ADMIN_LOCK_WAIT_MS. Statuses, as the api layer maps them:
 *   SMS_OK         done (201 for backup, 200 otherwise)
 *   SMS_EINVAL     blank parameter, malformed storage id (odd length, non-hex: [fix], the
 *                  reference answers 500), NUL/control character in an id or file name (400)
 *   SMS_ENOTFOUND  a directory, a source file or its .key companion is missing (404)
 *   SMS_EBUSY      another admin operation holds the lock (429)
 *   anything else  failure (500): path outside the storage location (SMS_EAUTH), a
 *                  destination that already exists (SMS_EEXISTS), I/O, store, a backup
 *                  refused by the restore checks...
 * Log lines carry paths and counts, never key material. */
#ifndef SMS_ADMIN_H
#define SMS_ADMIN_H

#include "admin/restore.h"
#include "core/status.h"
#include "http/http.h"
#include "secrets/secrets.h"
#include "store/store.h"

#define ADMIN_LOCK_WAIT_MS 100
#define ADMIN_WORK_DIR "work"          /* <storage-location>/work, never created */
#define ADMIN_WORK_FILE "backup.sql"   /* name kept from the reference; our own dump format */

typedef struct admin_service admin_service;

typedef struct {
    const char *storage_location; /* IEXEC_SMS_ADMIN_STORAGE_LOCATION (copied) */
    const char *aes_key_path;     /* the daemon's live key file (copied) */
    sms_store *store;             /* live store, borrowed */
    secrets_service *secrets;     /* borrowed; its key is switched by a restore (may be NULL) */
    admin_quiesce_hooks hooks;    /* around the restore swap (restore.h); may be all NULL */
} admin_config;

/* SMS_OK, SMS_EINVAL (missing storage location, key path or store), SMS_ENOMEM.
 * *out is freed with admin_service_free. */
sms_status admin_service_new(const admin_config *cfg, admin_service **out);
/* Frees the keys installed by restores too: call it after the HTTP server and every user
 * of the secrets service have stopped. NULL-safe. */
void admin_service_free(admin_service *svc);

/* POST /admin/backup: <loc>/work/backup.sql + .key (backup.h). <loc>/work must exist. */
sms_status admin_backup(admin_service *svc);
/* POST /admin/{storageID}/replicate-backup?fileName=F: copy the working pair to
 * <dir>/F + .key, refusing to overwrite. */
sms_status admin_replicate(admin_service *svc, const char *storage_id, const char *file_name);
/* POST /admin/{storageID}/restore-backup?fileName=F (restore.h). */
sms_status admin_restore(admin_service *svc, const char *storage_id, const char *file_name);
/* DELETE /admin/{storageID}/delete-backup?fileName=F: delete both files of the pair (each
 * when present); SMS_OK only if both existed. */
sms_status admin_delete(admin_service *svc, const char *storage_id, const char *file_name);
/* POST /admin/{src}/copy-to/{dst}?sourceFileName=S&destinationFileName=T: T blank or NULL
 * means S. Refuses to overwrite. */
sms_status admin_copy(admin_service *svc, const char *src_id, const char *src_name, const char *dst_id,
                      const char *dst_name);

/* HTTP handlers (src/api/api_admin.c); app is the sms_app (api/api.h) whose `admin` field
 * holds the service. No body on any answer, except the Spring error document for a
 * missing required query parameter. */
void api_admin_backup(void *app, http_request *req, http_response *resp);
void api_admin_replicate(void *app, http_request *req, http_response *resp);
void api_admin_restore(void *app, http_request *req, http_response *resp);
void api_admin_delete(void *app, http_request *req, http_response *resp);
void api_admin_copy(void *app, http_request *req, http_response *resp);

#endif
