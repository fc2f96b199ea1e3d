/* The backup dump: this implementation's own structured format (sms-api.md 7.3 [fix]: no
 * executable SQL), JSON Lines, UTF-8:
 *
 *   {"format":"iexec-sms-backup","version":1,"created_ms":1718000000000}
 *   {"type":"secret","kind":"web2","owner":"0xab..","name":"my-key","value":"<base64>"}
 *   {"type":"secret","kind":"web3","owner":"0xcd..","name":"","value":"<base64>"}
 *   {"type":"challenge","task_id":"0x12..","address":"0x34..","key":"<base64>",
 *    "final_deadline_ms":1718000000000}            (null when the task has none)
 *   {"records":2,"sha256":"<hex>"}
 *
 * kind is web2, web3, app or requester; owner and name are the stored (normalised)
 * identity. value/key are the sealed records exactly as stored (crypto/aead.h, sealed
 * under the key of the companion ".key" file, bound to the record's identity), so a
 * backup holds no plaintext. The trailer counts the records and carries the SHA-256 of
 * every byte before it: a truncated or altered file is refused as a whole.
 *
 * The companion "<file>.key" is the daemon's key file as is (base64 text of the key,
 * sms-api.md 9.4). */
#ifndef SMS_ADMIN_BACKUP_H
#define SMS_ADMIN_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "admin/reclist.h"
#include "core/status.h"
#include "store/store.h"

#define BACKUP_FORMAT "iexec-sms-backup"
#define BACKUP_VERSION 1
/* Restores load the whole file in memory. */
#define BACKUP_MAX_BYTES ((size_t)1 << 30)

/* Write the pair durably: both are written to temporary files (fsync'ed) first, then the
 * key file and the dump are renamed into place in that order (fsync of the directory), so
 * a failure leaves the previous pair as it was.
 *   store         : live store, read through store_foreach (one consistent snapshot while
 *                   writes go on)
 *   live_key_path : the daemon's key file; copied to key_path, and every record is checked
 *                   to open under it, so that a backup that could not be restored is never
 *                   published
 *   dump_path, key_path : canonical destination paths (replaced when they exist)
 *   n_records     : may be NULL; receives the number of records written
 * SMS_OK; SMS_ECRYPTO (a record does not open under the key file: logged with its
 * identity, nothing published); SMS_EIO; SMS_ESTORE; SMS_ENOMEM; SMS_EINVAL. */
sms_status backup_write(sms_store *store, const char *live_key_path, const char *dump_path, const char *key_path,
                        size_t *n_records);

/* Parse a whole dump held in memory into out (appended; out is left empty on failure).
 *   data, len : the file's bytes (need not be NUL-terminated)
 *   err       : receives "line N: reason" (never any content of the file)
 * SMS_OK or SMS_EINVAL (malformed, truncated, checksum or count mismatch), SMS_ENOMEM. */
sms_status backup_parse(const uint8_t *data, size_t len, reclist *out, char *err, size_t errcap);

/* Read (at most BACKUP_MAX_BYTES) and parse a dump file. SMS_OK, SMS_ENOTFOUND, SMS_EIO,
 * SMS_ETOOBIG, SMS_EINVAL, SMS_ENOMEM. */
sms_status backup_read_file(const char *path, reclist *out, char *err, size_t errcap);

#endif
