/* AES key file: base64 text of the raw key, nothing else (sms-api.md 9.4). New files hold
 * a 32-byte key and are published atomically so a crash never leaves a torn key behind. */
#include "crypto/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/b64.h"
#include "core/log.h"
#include "core/secure.h"

#define KEYFILE_NEW_KEY_LEN 32
/* Base64 of 32 bytes is 44 chars; anything much larger is not a key file. */
#define KEYFILE_MAX_TEXT 128
#define KEYFILE_MAX_RAW 96

static const char self_test_sentence[] = "iexec-sms key file self-test: the quick brown fox";
static const char self_test_ad[] = "keyfile-self-test";

static void set_err(char *errbuf, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *errbuf, size_t errcap, const char *fmt, ...)
{
    if (errbuf == NULL || errcap == 0) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(errbuf, errcap, fmt, ap);
    va_end(ap);
    if (n < 0) errbuf[0] = '\0';
}

static int valid_key_len(size_t n) { return n == 16 || n == 24 || n == 32; }

/* Read the whole (small) file into text. */
static sms_status read_small_file(const char *path, char *text, size_t cap, size_t *len, char *errbuf,
                                  size_t errcap)
{
    sms_status st = SMS_OK;
    int fd = -1;
    size_t n = 0;
    struct stat sb;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(errbuf, errcap, "cannot open key file %s: %s", path, strerror(errno));
        st = SMS_EIO;
        goto cleanup;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        set_err(errbuf, errcap, "key file %s is not a regular file", path);
        st = SMS_EIO;
        goto cleanup;
    }
    for (;;) {
        if (n == cap) {
            set_err(errbuf, errcap, "key file %s is larger than %zu bytes; it is not a base64 AES key", path,
                    cap - 1);
            st = SMS_EINVAL;
            goto cleanup;
        }
        ssize_t r = read(fd, text + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            set_err(errbuf, errcap, "cannot read key file %s: %s", path, strerror(errno));
            st = SMS_EIO;
            goto cleanup;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    *len = n;

cleanup:
    if (fd >= 0) close(fd);
    return st;
}

sms_status keyfile_read_raw(const char *path, uint8_t **raw, size_t *len, char *errbuf, size_t errcap)
{
    sms_status st = SMS_OK;
    char text[KEYFILE_MAX_TEXT + 1];
    uint8_t key[KEYFILE_MAX_RAW];
    size_t text_len = 0;
    size_t key_len = 0;
    if (raw != NULL) *raw = NULL;
    if (len != NULL) *len = 0;
    if (path == NULL || path[0] == '\0' || raw == NULL || len == NULL) {
        set_err(errbuf, errcap, "no key file path given");
        st = SMS_EINVAL;
        goto cleanup;
    }
    st = read_small_file(path, text, sizeof text, &text_len, errbuf, errcap);
    if (st != SMS_OK) goto cleanup;
    if (text_len == 0) {
        set_err(errbuf, errcap, "key file %s is empty", path);
        st = SMS_EINVAL;
        goto cleanup;
    }
    if (text[text_len - 1] == '\n' || text[text_len - 1] == '\r') {
        set_err(errbuf, errcap,
                "key file %s ends with a newline; the strict base64 decoder refuses it "
                "(rewrite it without the trailing newline, e.g. with printf '%%s')",
                path);
        st = SMS_EINVAL;
        goto cleanup;
    }
    if (b64_decode(text, text_len, key, sizeof key, &key_len) != SMS_OK) {
        set_err(errbuf, errcap, "key file %s is not valid standard base64 (with padding, no whitespace)", path);
        st = SMS_EINVAL;
        goto cleanup;
    }
    if (!valid_key_len(key_len)) {
        set_err(errbuf, errcap, "key file %s decodes to %zu bytes; an AES key must be 16, 24 or 32 bytes", path,
                key_len);
        st = SMS_EINVAL;
        goto cleanup;
    }
    *raw = malloc(key_len);
    if (*raw == NULL) {
        set_err(errbuf, errcap, "out of memory reading key file %s", path);
        st = SMS_ENOMEM;
        goto cleanup;
    }
    memcpy(*raw, key, key_len);
    *len = key_len;

cleanup:
    secure_zero(text, sizeof text);
    secure_zero(key, sizeof key);
    return st;
}

/* Seal then open a fixed sentence: catches a key that OpenSSL refuses or a broken build. */
static sms_status self_test(const aead_key *k)
{
    sms_status st = SMS_OK;
    uint8_t rec[sizeof self_test_sentence + AEAD_OVERHEAD];
    uint8_t back[sizeof self_test_sentence];
    size_t rec_len = 0;
    size_t back_len = 0;
    st = aead_seal(k, (const uint8_t *)self_test_ad, sizeof self_test_ad - 1, (const uint8_t *)self_test_sentence,
                   sizeof self_test_sentence - 1, rec, sizeof rec, &rec_len);
    if (st != SMS_OK) goto cleanup;
    st = aead_open(k, (const uint8_t *)self_test_ad, sizeof self_test_ad - 1, rec, rec_len, back, sizeof back,
                   &back_len);
    if (st != SMS_OK) goto cleanup;
    if (back_len != sizeof self_test_sentence - 1 || memcmp(back, self_test_sentence, back_len) != 0) {
        st = SMS_ECRYPTO;
    }

cleanup:
    return st;
}

sms_status keyfile_load(const char *path, aead_key **out, char *errbuf, size_t errcap)
{
    sms_status st = SMS_OK;
    uint8_t *raw = NULL;
    size_t len = 0;
    aead_key *k = NULL;
    if (out != NULL) *out = NULL;
    if (out == NULL) {
        set_err(errbuf, errcap, "no output key given");
        st = SMS_EINVAL;
        goto cleanup;
    }
    st = keyfile_read_raw(path, &raw, &len, errbuf, errcap);
    if (st != SMS_OK) goto cleanup;
    st = aead_key_new(raw, len, &k);
    if (st != SMS_OK) {
        set_err(errbuf, errcap, "cannot set up the AES key from %s (%s)", path, sms_status_name(st));
        goto cleanup;
    }
    st = self_test(k);
    if (st != SMS_OK) {
        set_err(errbuf, errcap, "AES self-test failed with the key from %s (%s)", path, sms_status_name(st));
        goto cleanup;
    }
    *out = k;
    k = NULL;

cleanup:
    aead_key_free(k);
    secure_free(raw, len);
    return st;
}

/* mkdir -p with mode 0700 for the directories it creates (existing ones are left as is). */
static sms_status make_dirs(const char *dir, char *errbuf, size_t errcap)
{
    sms_status st = SMS_OK;
    char buf[PATH_MAX];
    size_t len = strnlen(dir, sizeof buf);
    if (len == sizeof buf) {
        set_err(errbuf, errcap, "key file directory path is too long");
        st = SMS_EINVAL;
        goto cleanup;
    }
    memcpy(buf, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0) {
            struct stat sb;
            if (errno != EEXIST || stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
                set_err(errbuf, errcap, "cannot create directory %s: %s", buf,
                        errno == EEXIST ? "exists and is not a directory" : strerror(errno));
                st = SMS_EIO;
                goto cleanup;
            }
        }
        buf[i] = saved;
    }

cleanup:
    return st;
}

static sms_status write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return SMS_EIO;
        }
        p += w;
        n -= (size_t)w;
    }
    return SMS_OK;
}

/* Write a fresh key to path: temp file (0600) + fsync + no-replace rename + fsync of the
 * directory. If another process published a key first, theirs is kept. */
static sms_status create_key_file(const char *path, char *errbuf, size_t errcap)
{
    sms_status st = SMS_OK;
    char dir[PATH_MAX];
    char tmp[PATH_MAX];
    uint8_t key[KEYFILE_NEW_KEY_LEN];
    char text[KEYFILE_MAX_TEXT];
    int fd = -1;
    int dfd = -1;
    int tmp_created = 0;
    size_t plen = strnlen(path, PATH_MAX);
    if (plen == PATH_MAX || snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp) {
        set_err(errbuf, errcap, "key file path is too long");
        st = SMS_EINVAL;
        goto cleanup;
    }
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        memcpy(dir, ".", 2);
    } else if (slash == path) {
        memcpy(dir, "/", 2);
    } else {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
        st = make_dirs(dir, errbuf, errcap);
        if (st != SMS_OK) goto cleanup;
    }
    if (RAND_bytes(key, sizeof key) != 1) {
        set_err(errbuf, errcap, "random generator failed while creating key file %s", path);
        st = SMS_ERR;
        goto cleanup;
    }
    st = b64_encode(key, sizeof key, text, sizeof text);
    if (st != SMS_OK) goto cleanup;
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        set_err(errbuf, errcap, "cannot create temporary key file next to %s: %s", path, strerror(errno));
        st = SMS_EIO;
        goto cleanup;
    }
    tmp_created = 1;
    if (fchmod(fd, 0600) != 0 || write_all(fd, text, strlen(text)) != SMS_OK || fsync(fd) != 0) {
        set_err(errbuf, errcap, "cannot write temporary key file %s: %s", tmp, strerror(errno));
        st = SMS_EIO;
        goto cleanup;
    }
    if (close(fd) != 0) {
        fd = -1;
        set_err(errbuf, errcap, "cannot write temporary key file %s: %s", tmp, strerror(errno));
        st = SMS_EIO;
        goto cleanup;
    }
    fd = -1;
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {
        if (errno == EEXIST) {
            LOG_WARN("key file %s appeared while creating it; keeping the existing one", path);
            goto cleanup;
        }
        /* File systems without RENAME_NOREPLACE: link() refuses to replace as well. */
        if ((errno != EINVAL && errno != ENOSYS) || link(tmp, path) != 0) {
            if (errno == EEXIST) goto cleanup;
            set_err(errbuf, errcap, "cannot publish key file %s: %s", path, strerror(errno));
            st = SMS_EIO;
            goto cleanup;
        }
    } else {
        tmp_created = 0;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        set_err(errbuf, errcap, "cannot sync directory %s: %s", dir, strerror(errno));
        st = SMS_EIO;
        goto cleanup;
    }
    LOG_INFO("created a new %d-byte AES key file at %s", KEYFILE_NEW_KEY_LEN, path);

cleanup:
    if (fd >= 0) close(fd);
    if (dfd >= 0) close(dfd);
    if (tmp_created) unlink(tmp);
    secure_zero(key, sizeof key);
    secure_zero(text, sizeof text);
    return st;
}

sms_status keyfile_load_or_create(const char *path, aead_key **out, char *errbuf, size_t errcap)
{
    sms_status st = SMS_OK;
    struct stat sb;
    if (out != NULL) *out = NULL;
    if (path == NULL || path[0] == '\0' || out == NULL) {
        set_err(errbuf, errcap, "no key file path given");
        st = SMS_EINVAL;
        goto cleanup;
    }
    if (stat(path, &sb) != 0) {
        if (errno != ENOENT) {
            set_err(errbuf, errcap, "cannot access key file %s: %s", path, strerror(errno));
            st = SMS_EIO;
            goto cleanup;
        }
        st = create_key_file(path, errbuf, errcap);
        if (st != SMS_OK) goto cleanup;
    }
    st = keyfile_load(path, out, errbuf, errcap);

cleanup:
    return st;
}
