/* Migration from the Java SMS (`iexec-sms import-java-backup FILE --key KEYFILE`): reads
 * the reference's H2 SCRIPT backup (admin/h2_script.h) and its AES key file (base64 of a
 * 16/24/32-byte key, sms-api.md 9.4), decrypts every value (AES-ECB, crypto/legacy_ecb.h),
 * normalises identities as the API does, re-seals everything under this daemon's key and
 * scheme, and inserts it all in one transaction: all or nothing.
 *
 * Mapping (sms-api.md 9.1):
 *   web2secret (owner_address, address, value)       -> web2 (owner, name), lower-cased
 *   web3secret (address, value)                      -> web3 (address)
 *   tee_task_compute_secret, secret_owner_role 0     -> app (on_chain_object_address), key "1"
 *   tee_task_compute_secret, secret_owner_role 1     -> requester (fixed_secret_owner, key)
 *   tee_challenge + ethereum_credentials (joined on credentials_id = id)
 *                                                    -> challenge (task id lower-cased,
 *      address, private key re-sealed as tee/challenge_context.h says, final deadline)
 * An is_encrypted column, when present and FALSE, means the value is stored in clear.
 * Checks: every value must decrypt (PKCS#7 padding) to UTF-8; every private key must be
 * "0x" + 64 hex digits whose address is the row's address (a wrong key file is caught
 * here even when the padding happens to look right). ethereum_credentials rows no
 * challenge refers to are not imported (counted).
 *
 * Errors name the dump line and the problem, never a value. */
#ifndef SMS_ADMIN_JAVA_IMPORT_H
#define SMS_ADMIN_JAVA_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "admin/h2_script.h"
#include "admin/reclist.h"
#include "core/status.h"
#include "crypto/aead.h"
#include "store/store.h"

typedef struct {
    size_t rows[H2_TABLE_COUNT];  /* rows read per reference table (h2_table_id order) */
    size_t web2, web3, app, requester;
    size_t challenges;            /* imported with their credentials */
    size_t unused_credentials;    /* ethereum_credentials rows without a challenge: skipped */
} java_import_report;

/* Convert a parsed dump into sealed records (no store access).
 *   dump        : parsed script, borrowed
 *   java_key    : raw AES key of the reference (16, 24 or 32 bytes), borrowed
 *   our_key     : this daemon's key, borrowed
 *   out         : receives the records (appended; left as it was on failure)
 *   lines       : may be NULL; on success *lines is a malloc'ed array (caller frees) giving
 *                 for each appended record the dump line of its row
 *   report      : may be NULL; filled on success
 *   err         : "line N: ..." on failure
 * Requires ethsig_init(). SMS_OK; SMS_EINVAL (a row the daemon cannot represent, a
 * missing column, duplicate identities); SMS_ECRYPTO (a value does not decrypt: wrong key
 * file or corrupt value); SMS_ENOMEM. */
sms_status java_import_convert(const h2_dump *dump, const uint8_t *java_key, size_t java_key_len,
                               const aead_key *our_key, reclist *out, size_t **lines, java_import_report *report,
                               char *err, size_t errcap);

/* The whole command: read the key file and the dump, convert, refuse if any identity
 * already exists in dst (message names it), then store_insert_all.
 *   dump_path, java_key_path : files of the Java SMS backup
 *   dst                      : the configured store, borrowed
 *   our_key                  : the daemon's key (keyfile_load_or_create of its key path)
 *   report                   : may be NULL; filled on success
 * Requires ethsig_init(). Nothing is inserted unless SMS_OK. Statuses as
 * java_import_convert, plus SMS_EEXISTS (already in dst), SMS_EIO / SMS_ENOTFOUND /
 * SMS_ETOOBIG (files), SMS_ESTORE. */
sms_status java_import_run(const char *dump_path, const char *java_key_path, sms_store *dst, const aead_key *our_key,
                           java_import_report *report, char *err, size_t errcap);

/* One-line summary for the command's output, e.g.
 * "web2secret 2 rows, web3secret 1 rows, ...; imported 2 web2, 1 web3, ... secrets and 1
 * challenges". */
void java_import_report_format(const java_import_report *r, char *out, size_t cap);

#endif
