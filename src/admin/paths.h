/* Admin storage area (sms-api.md 7.2 with its [fix]): hex storage ids, file-name rules and
 * confinement of every path to IEXEC_SMS_ADMIN_STORAGE_LOCATION.
 *
 * Confinement is decided on canonical paths, component by component: a path is inside
 * when, after resolving "." , ".." and symbolic links (those that exist), it equals the
 * canonical storage location or starts with it followed by '/'. So with "/backup"
 * configured, "/backup2/x" is outside, and so is a symbolic link under /backup that points
 * elsewhere. Parts of a path that do not exist yet are normalised lexically, like Java's
 * File.getCanonicalPath() that the reference uses.
 *
 * Statuses used by every function here:
 *   SMS_EINVAL    malformed input (bad hex, control character, blank, too long): 400
 *   SMS_ENOTFOUND a directory that must exist does not: 404
 *   SMS_EAUTH     the path is outside the storage location: 500, as the reference's
 *                 "outside storage" error
 *   SMS_EIO       the file system refused a look-up (permission, symlink loop): 500 */
#ifndef SMS_ADMIN_PATHS_H
#define SMS_ADMIN_PATHS_H

#include <limits.h>
#include <stddef.h>

#include "core/status.h"

#define ADMIN_PATH_MAX PATH_MAX

typedef struct {
    char root[ADMIN_PATH_MAX]; /* canonical storage location once `canonical` is set */
    int canonical;
} admin_paths;

/* Record the storage location and canonicalise it (realpath). A location that does not
 * exist yet is kept as configured and canonicalised again by the first operation that
 * finds it (until then nothing is inside it).
 *   p        : caller-owned
 *   location : absolute path, borrowed (copied)
 * SMS_OK, SMS_EINVAL (NULL, empty, too long). */
sms_status admin_paths_init(admin_paths *p, const char *location);

/* 1 when path (canonical) is the root or below it as whole components, else 0. */
int admin_path_within(const char *root, const char *path);

/* Java's StringUtils.isBlank: NULL, empty, or only whitespace (ASCII and Unicode
 * separators that Character.isWhitespace accepts). 1 when blank. */
int admin_is_blank(const char *s);

/* Decode a {storageID}: hex of the path's characters, two digits each, no "0x"; a byte
 * >= 0x80 stands for that Latin-1 character (as the reference decodes it) and is written
 * as UTF-8. Odd length, a non-hex digit, NUL or any control character (C0, DEL, C1) is
 * SMS_EINVAL ([fix]: the reference answers 500).
 *   out, cap : receives the NUL-terminated path; SMS_EINVAL when it does not fit */
sms_status admin_paths_decode_id(const char *hex, char *out, size_t cap);

/* File name parameter: SMS_EINVAL when blank or holding a control character (C0, DEL,
 * C1), else SMS_OK. "/" and ".." are allowed: confinement decides. */
sms_status admin_paths_check_name(const char *name);

/* Canonical form of any path (see above) into out[ADMIN_PATH_MAX]; SMS_EAUTH when it is
 * outside the storage location, SMS_EINVAL when too long, SMS_EIO on a look-up error. */
sms_status admin_paths_confine(admin_paths *p, const char *path, char out[ADMIN_PATH_MAX]);

/* An existing directory inside the area: canonical path into out. SMS_ENOTFOUND when it
 * does not exist or is not a directory, SMS_EAUTH when outside. */
sms_status admin_paths_dir(admin_paths *p, const char *dir, char out[ADMIN_PATH_MAX]);

/* The confined pair <dir>/<name> and <that>.key (the key companion is confined on its
 * own: it may be a symbolic link too).
 *   dir      : canonical directory (admin_paths_dir)
 *   name     : checked file name (admin_paths_check_name)
 *   file_out, key_out : canonical paths */
sms_status admin_paths_pair(admin_paths *p, const char *dir, const char *name, char file_out[ADMIN_PATH_MAX],
                            char key_out[ADMIN_PATH_MAX]);

#endif
