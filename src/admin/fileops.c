/* Durable publication of files: temp file + fsync + rename + fsync of the directory. */
#include "admin/fileops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/secure.h"

#define COPY_CHUNK 65536

/* Directory part of path into out ("/" for a top-level file). */
static sms_status dir_of(const char *path, char out[ADMIN_PATH_MAX])
{
    const char *slash = strrchr(path, '/');
    size_t n;

    if (slash == NULL)
        return SMS_EINVAL;
    n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= ADMIN_PATH_MAX)
        return SMS_EINVAL;
    memcpy(out, path, n);
    out[n] = '\0';
    return SMS_OK;
}

static sms_status fsync_dir_of(const char *path)
{
    char dir[ADMIN_PATH_MAX];
    sms_status st;
    int fd;

    if ((st = dir_of(path, dir)) != SMS_OK)
        return st;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return SMS_EIO;
    st = fsync(fd) == 0 ? SMS_OK : SMS_EIO;
    close(fd);
    return st;
}

sms_status fileops_tmp_open(fileops_tmp *t, const char *path, mode_t mode)
{
    char dir[ADMIN_PATH_MAX];
    const char *base;
    sms_status st;
    int n;

    if (t == NULL || path == NULL)
        return SMS_EINVAL;
    t->fd = -1;
    t->tmp[0] = '\0';
    n = snprintf(t->path, sizeof t->path, "%s", path);
    if (n < 0 || (size_t)n >= sizeof t->path)
        return SMS_EINVAL;
    if ((st = dir_of(path, dir)) != SMS_OK)
        return st;
    base = strrchr(path, '/') + 1;
    /* Hidden and clearly temporary, in the destination's directory so rename is atomic. */
    n = snprintf(t->tmp, sizeof t->tmp, "%s/.%s.tmp.XXXXXX", strcmp(dir, "/") == 0 ? "" : dir, base);
    if (n < 0 || (size_t)n >= sizeof t->tmp) {
        t->tmp[0] = '\0';
        return SMS_EINVAL;
    }
    t->fd = mkostemp(t->tmp, O_CLOEXEC);
    if (t->fd < 0) {
        LOG_ERROR("admin: cannot create a temporary file next to %s: %s", path, strerror(errno));
        t->tmp[0] = '\0';
        return SMS_EIO;
    }
    if (fchmod(t->fd, mode) != 0) {
        fileops_tmp_abort(t);
        return SMS_EIO;
    }
    return SMS_OK;
}

static sms_status write_all(int fd, const void *data, size_t n)
{
    const uint8_t *p = data;

    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return SMS_EIO;
        }
        p += w;
        n -= (size_t)w;
    }
    return SMS_OK;
}

sms_status fileops_tmp_write(fileops_tmp *t, const void *data, size_t n)
{
    if (t == NULL || t->fd < 0 || (data == NULL && n > 0))
        return SMS_EINVAL;
    if (write_all(t->fd, data, n) != SMS_OK) {
        LOG_ERROR("admin: cannot write %s: %s", t->tmp, strerror(errno));
        return SMS_EIO;
    }
    return SMS_OK;
}

static int rename_noreplace(const char *from, const char *to)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* File systems without RENAME_NOREPLACE: link() never replaces either. */
    if (link(from, to) != 0)
        return -1;
    unlink(from);
    return 0;
}

sms_status fileops_tmp_commit(fileops_tmp *t, int replace)
{
    sms_status st = SMS_EIO;
    int rc;

    if (t == NULL || t->fd < 0)
        return SMS_EINVAL;
    if (fsync(t->fd) != 0) {
        LOG_ERROR("admin: cannot sync %s: %s", t->tmp, strerror(errno));
        goto cleanup;
    }
    rc = close(t->fd);
    t->fd = -1;
    if (rc != 0)
        goto cleanup;
    rc = replace ? rename(t->tmp, t->path) : rename_noreplace(t->tmp, t->path);
    if (rc != 0) {
        if (errno == EEXIST) {
            st = SMS_EEXISTS;
        } else {
            LOG_ERROR("admin: cannot publish %s: %s", t->path, strerror(errno));
        }
        goto cleanup;
    }
    t->tmp[0] = '\0';
    if (fsync_dir_of(t->path) != SMS_OK) {
        LOG_ERROR("admin: cannot sync the directory of %s", t->path);
        goto cleanup;
    }
    st = SMS_OK;

cleanup:
    fileops_tmp_abort(t);
    return st;
}

void fileops_tmp_abort(fileops_tmp *t)
{
    if (t == NULL)
        return;
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    if (t->tmp[0] != '\0')
        unlink(t->tmp);
    t->tmp[0] = '\0';
}

sms_status fileops_write_replace(const char *path, const void *data, size_t len, mode_t mode)
{
    fileops_tmp t;
    sms_status st;

    if ((st = fileops_tmp_open(&t, path, mode)) != SMS_OK)
        return st;
    if ((st = fileops_tmp_write(&t, data, len)) != SMS_OK) {
        fileops_tmp_abort(&t);
        return st;
    }
    return fileops_tmp_commit(&t, 1);
}

static sms_status open_regular(const char *path, int *fd_out, struct stat *sb)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    *fd_out = -1;
    if (fd < 0)
        return errno == ENOENT ? SMS_ENOTFOUND : SMS_EIO;
    if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
        close(fd);
        return SMS_EIO;
    }
    *fd_out = fd;
    return SMS_OK;
}

sms_status fileops_copy_noreplace(const char *src, const char *dst)
{
    fileops_tmp t = {.fd = -1};
    struct stat sb;
    struct timespec times[2];
    sms_status st;
    uint8_t *buf = NULL;
    int in = -1;

    if (src == NULL || dst == NULL)
        return SMS_EINVAL;
    if ((st = open_regular(src, &in, &sb)) != SMS_OK) {
        st = SMS_EIO;
        goto cleanup;
    }
    if (fileops_exists(dst)) {
        st = SMS_EEXISTS;
        goto cleanup;
    }
    buf = malloc(COPY_CHUNK);
    if (buf == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    if ((st = fileops_tmp_open(&t, dst, 0600)) != SMS_OK)
        goto cleanup;
    for (;;) {
        ssize_t r = read(in, buf, COPY_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            st = SMS_EIO;
            goto cleanup;
        }
        if (r == 0)
            break;
        if ((st = fileops_tmp_write(&t, buf, (size_t)r)) != SMS_OK)
            goto cleanup;
    }
    times[0] = sb.st_atim;
    times[1] = sb.st_mtim;
    if (fchmod(t.fd, sb.st_mode & 07777) != 0 || futimens(t.fd, times) != 0) {
        st = SMS_EIO;
        goto cleanup;
    }
    st = fileops_tmp_commit(&t, 0);

cleanup:
    fileops_tmp_abort(&t);
    if (in >= 0)
        close(in);
    free(buf);
    return st;
}

sms_status fileops_read_all(const char *path, size_t max, uint8_t **data, size_t *len)
{
    struct stat sb;
    sms_status st;
    uint8_t *buf = NULL;
    size_t n = 0;
    int fd = -1;

    if (path == NULL || data == NULL || len == NULL)
        return SMS_EINVAL;
    *data = NULL;
    *len = 0;
    if ((st = open_regular(path, &fd, &sb)) != SMS_OK)
        return st;
    if ((uint64_t)sb.st_size > max) {
        st = SMS_ETOOBIG;
        goto cleanup;
    }
    buf = malloc((size_t)sb.st_size + 1);
    if (buf == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    /* Read to EOF, not to st_size: the file may have changed since fstat. */
    for (;;) {
        ssize_t r;
        if (n == (size_t)sb.st_size) {
            uint8_t probe;
            r = read(fd, &probe, 1);
            if (r < 0 && errno == EINTR)
                continue;
            if (r != 0) {
                st = r < 0 ? SMS_EIO : SMS_ETOOBIG;
                goto cleanup;
            }
            break;
        }
        r = read(fd, buf + n, (size_t)sb.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            st = SMS_EIO;
            goto cleanup;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
    st = SMS_OK;

cleanup:
    /* May hold a key file's content. */
    if (buf != NULL)
        secure_free(buf, (size_t)sb.st_size + 1);
    close(fd);
    return st;
}

int fileops_exists(const char *path)
{
    struct stat sb;

    return path != NULL && lstat(path, &sb) == 0;
}

sms_status fileops_unlink(const char *path)
{
    if (path == NULL)
        return SMS_EINVAL;
    if (unlink(path) != 0)
        return errno == ENOENT ? SMS_ENOTFOUND : SMS_EIO;
    return fsync_dir_of(path);
}
