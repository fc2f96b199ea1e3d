/* Durable file operations of the admin area: every file that is published (backup, key
 * copy, replica, live key file) is written to a temporary file in the destination's
 * directory, fsync'ed, renamed into place and the directory fsync'ed, so a crash leaves
 * either the old file or the whole new one, never a torn file.
 *
 * Paths given here are canonical paths already confined by admin/paths.h. Final
 * components are opened with O_NOFOLLOW: a file swapped for a symbolic link after the
 * confinement check is refused rather than followed. */
#ifndef SMS_ADMIN_FILEOPS_H
#define SMS_ADMIN_FILEOPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "admin/paths.h"
#include "core/status.h"

/* A file being written: created by fileops_tmp_open, then either committed or aborted. */
typedef struct {
    int fd;
    char tmp[ADMIN_PATH_MAX];
    char path[ADMIN_PATH_MAX];
} fileops_tmp;

/* Create a temporary file next to path (same directory), with the given mode.
 * SMS_OK, SMS_EINVAL (path too long), SMS_EIO. On failure nothing is left behind. */
sms_status fileops_tmp_open(fileops_tmp *t, const char *path, mode_t mode);
/* Append n bytes. SMS_OK or SMS_EIO. */
sms_status fileops_tmp_write(fileops_tmp *t, const void *data, size_t n);
/* fsync, close, rename onto path, fsync the directory. replace = 0 refuses to replace an
 * existing path (SMS_EEXISTS, atomically with RENAME_NOREPLACE). The temporary file is
 * removed whatever happens. SMS_OK, SMS_EEXISTS, SMS_EIO. */
sms_status fileops_tmp_commit(fileops_tmp *t, int replace);
/* Close and remove the temporary file. Safe after a failed or successful commit. */
void fileops_tmp_abort(fileops_tmp *t);

/* Write a whole file durably, replacing path. SMS_OK, SMS_EINVAL, SMS_EIO. */
sms_status fileops_write_replace(const char *path, const void *data, size_t len, mode_t mode);

/* Copy a regular file durably to dst, refusing to replace an existing dst (SMS_EEXISTS);
 * permission bits and modification time are copied (the reference's COPY_ATTRIBUTES).
 * SMS_OK, SMS_EEXISTS, SMS_EIO (src missing or not a regular file included). */
sms_status fileops_copy_noreplace(const char *src, const char *dst);

/* Read a whole regular file of at most max bytes into a new buffer (*data, caller frees
 * with free(), or secure_free when it holds key material; one extra NUL byte is appended
 * and not counted in *len). SMS_OK, SMS_ENOTFOUND (absent), SMS_ETOOBIG, SMS_EIO,
 * SMS_ENOMEM. */
sms_status fileops_read_all(const char *path, size_t max, uint8_t **data, size_t *len);

/* 1 when a directory entry exists at path (a symbolic link counts, followed or not). */
int fileops_exists(const char *path);

/* Remove path (not following a final symbolic link) and fsync its directory.
 * SMS_OK, SMS_ENOTFOUND, SMS_EIO. */
sms_status fileops_unlink(const char *path);

#endif
