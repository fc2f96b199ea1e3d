/* Scratch directories and whole-file reads for tests that touch the file system. */
#ifndef SMS_TEST_TMPDIR_H
#define SMS_TEST_TMPDIR_H

#include <stddef.h>
#include <stdint.h>

/* Create a fresh private directory "<base>/<tag>-XXXXXX", where base is $SMS_TEST_TMPDIR
 * (created if missing) or /tmp. Returns a malloc'ed path (caller passes it to
 * tmpdir_remove) or NULL on failure. */
char *tmpdir_make(const char *tag);
/* Remove the directory tree and free the path. NULL-safe. */
void tmpdir_remove(char *path);
/* "<dir>/<name>" into out (cap bytes); returns out, or NULL when it does not fit. */
char *tmpdir_join(const char *dir, const char *name, char *out, size_t cap);
/* Read a whole file into a malloc'ed buffer (*data, caller frees; NULL for an empty
 * file). Returns 0 on success, -1 when the file cannot be read. */
int tmpdir_read_file(const char *path, uint8_t **data, size_t *len);

#endif
