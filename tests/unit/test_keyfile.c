/* AES key file: creation (0600, 0700 parents, 32-byte key, no newline), reload, strict
 * content checks and error reporting without key material. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/b64.h"
#include "core/secure.h"
#include "crypto/keyfile.h"

static char g_root[512];

static void path_in(char *out, size_t cap, const char *rel)
{
    int n = snprintf(out, cap, "%s/%s", g_root, rel);
    assert_true(n > 0 && (size_t)n < cap);
}

static void write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static void write_str(const char *rel, const char *text, char *path, size_t cap)
{
    path_in(path, cap, rel);
    write_file(path, text, strlen(text));
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, cap - 1);
    assert_true(n >= 0);
    buf[n] = '\0';
    close(fd);
    return (size_t)n;
}

/* Open a record sealed by a with b: proves both hold the same key bytes. */
static void assert_same_key(const aead_key *a, const aead_key *b)
{
    static const uint8_t pt[] = "same key?";
    uint8_t rec[sizeof pt + AEAD_OVERHEAD];
    uint8_t back[sizeof pt];
    size_t rl = 0;
    size_t bl = 0;
    assert_int_equal(aead_key_len(a), aead_key_len(b));
    assert_int_equal(aead_seal(a, NULL, 0, pt, sizeof pt, rec, sizeof rec, &rl), SMS_OK);
    assert_int_equal(aead_open(b, NULL, 0, rec, rl, back, sizeof back, &bl), SMS_OK);
    assert_memory_equal(back, pt, sizeof pt);
}

static void test_create_new_key_file(void **state)
{
    (void)state;
    char path[700];
    char dir1[700];
    char dir2[700];
    path_in(path, sizeof path, "create/a/b/iexec-sms-aes.key");
    path_in(dir1, sizeof dir1, "create/a");
    path_in(dir2, sizeof dir2, "create/a/b");
    aead_key *k = NULL;
    char err[256] = "";
    assert_int_equal(keyfile_load_or_create(path, &k, err, sizeof err), SMS_OK);
    assert_non_null(k);
    assert_int_equal(aead_key_len(k), 32);

    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_int_equal(sb.st_mode & 07777, 0600);
    assert_int_equal(stat(dir1, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0700);
    assert_int_equal(stat(dir2, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0700);

    char text[128];
    size_t n = read_file(path, text, sizeof text);
    assert_int_equal(n, 44);
    assert_null(strchr(text, '\n'));
    uint8_t raw[64];
    size_t raw_len = 0;
    assert_int_equal(b64_decode(text, n, raw, sizeof raw, &raw_len), SMS_OK);
    assert_int_equal(raw_len, 32);

    /* the raw reader agrees with the file */
    uint8_t *r2 = NULL;
    size_t r2_len = 0;
    assert_int_equal(keyfile_read_raw(path, &r2, &r2_len, err, sizeof err), SMS_OK);
    assert_int_equal(r2_len, 32);
    assert_memory_equal(r2, raw, 32);
    secure_free(r2, r2_len);

    /* no temporary file left behind */
    DIR *d = opendir(dir2);
    assert_non_null(d);
    int entries = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        assert_string_equal(e->d_name, "iexec-sms-aes.key");
        entries++;
    }
    closedir(d);
    assert_int_equal(entries, 1);
    aead_key_free(k);
}

static void test_reload_gives_same_key(void **state)
{
    (void)state;
    char path[700];
    path_in(path, sizeof path, "reload.key");
    aead_key *k1 = NULL;
    aead_key *k2 = NULL;
    aead_key *k3 = NULL;
    assert_int_equal(keyfile_load_or_create(path, &k1, NULL, 0), SMS_OK);
    char before[128];
    char after[128];
    read_file(path, before, sizeof before);
    assert_int_equal(keyfile_load_or_create(path, &k2, NULL, 0), SMS_OK);
    assert_int_equal(keyfile_load(path, &k3, NULL, 0), SMS_OK);
    read_file(path, after, sizeof after);
    assert_string_equal(before, after);
    assert_same_key(k1, k2);
    assert_same_key(k1, k3);
    aead_key_free(k1);
    aead_key_free(k2);
    aead_key_free(k3);
}

static void test_two_creations_differ(void **state)
{
    (void)state;
    char p1[700];
    char p2[700];
    char t1[128];
    char t2[128];
    path_in(p1, sizeof p1, "diff1.key");
    path_in(p2, sizeof p2, "diff2.key");
    aead_key *k1 = NULL;
    aead_key *k2 = NULL;
    assert_int_equal(keyfile_load_or_create(p1, &k1, NULL, 0), SMS_OK);
    assert_int_equal(keyfile_load_or_create(p2, &k2, NULL, 0), SMS_OK);
    read_file(p1, t1, sizeof t1);
    read_file(p2, t2, sizeof t2);
    assert_string_not_equal(t1, t2);
    aead_key_free(k1);
    aead_key_free(k2);
}

static void test_existing_legacy_key_kept(void **state)
{
    (void)state;
    char path[700];
    write_str("legacy.key", "AAECAwQFBgcICQoLDA0ODw==", path, sizeof path);
    aead_key *k = NULL;
    assert_int_equal(keyfile_load_or_create(path, &k, NULL, 0), SMS_OK);
    assert_int_equal(aead_key_len(k), 16);
    char text[128];
    read_file(path, text, sizeof text);
    assert_string_equal(text, "AAECAwQFBgcICQoLDA0ODw==");
    uint8_t *raw = NULL;
    size_t len = 0;
    assert_int_equal(keyfile_read_raw(path, &raw, &len, NULL, 0), SMS_OK);
    assert_int_equal(len, 16);
    for (size_t i = 0; i < 16; i++) assert_int_equal(raw[i], i);
    secure_free(raw, len);
    aead_key_free(k);
}

static void test_accepted_sizes(void **state)
{
    (void)state;
    static const size_t sizes[] = {16, 24, 32};
    for (size_t i = 0; i < 3; i++) {
        uint8_t raw[32];
        char text[64];
        char path[700];
        char rel[32];
        for (size_t j = 0; j < sizes[i]; j++) raw[j] = (uint8_t)(j * 3 + i);
        assert_int_equal(b64_encode(raw, sizes[i], text, sizeof text), SMS_OK);
        snprintf(rel, sizeof rel, "size%zu.key", sizes[i]);
        write_str(rel, text, path, sizeof path);
        aead_key *k = NULL;
        assert_int_equal(keyfile_load(path, &k, NULL, 0), SMS_OK);
        assert_int_equal(aead_key_len(k), sizes[i]);
        aead_key *direct = NULL;
        assert_int_equal(aead_key_new(raw, sizes[i], &direct), SMS_OK);
        assert_same_key(k, direct);
        aead_key_free(direct);
        aead_key_free(k);
    }
}

static void expect_refused(const char *rel, const void *content, size_t len, sms_status want, const char *must_contain,
                           const char *must_not_contain)
{
    char path[700];
    path_in(path, sizeof path, rel);
    write_file(path, content, len);
    char err[512];
    memset(err, 0, sizeof err);
    aead_key *k = (aead_key *)(uintptr_t)1;
    assert_int_equal(keyfile_load(path, &k, err, sizeof err), want);
    assert_null(k);
    assert_non_null(strstr(err, must_contain));
    assert_null(strchr(err, '\n'));
    if (must_not_contain != NULL) assert_null(strstr(err, must_not_contain));
    /* the load-or-create path refuses it the same way and does not replace it */
    k = NULL;
    memset(err, 0, sizeof err);
    assert_int_equal(keyfile_load_or_create(path, &k, err, sizeof err), want);
    assert_null(k);
    assert_non_null(strstr(err, must_contain));
    uint8_t *raw = (uint8_t *)(uintptr_t)1;
    size_t raw_len = 9;
    assert_int_equal(keyfile_read_raw(path, &raw, &raw_len, NULL, 0), want);
    assert_null(raw);
    assert_int_equal(raw_len, 0);
    char back[512];
    size_t n = read_file(path, back, sizeof back);
    assert_int_equal(n, len);
}

static void test_trailing_newline_refused(void **state)
{
    (void)state;
    expect_refused("nl.key", "AAECAwQFBgcICQoLDA0ODw==\n", 25, SMS_EINVAL, "newline", "AAECAwQF");
    expect_refused("crlf.key", "AAECAwQFBgcICQoLDA0ODw==\r\n", 26, SMS_EINVAL, "newline", "AAECAwQF");
}

static void test_bad_sizes_refused(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 8, 15, 17, 20, 23, 25, 31, 33, 48, 64};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t raw[64];
        char text[100];
        memset(raw, 0x42, sizeof raw);
        assert_int_equal(b64_encode(raw, sizes[i], text, sizeof text), SMS_OK);
        expect_refused("badsize.key", text, strlen(text), SMS_EINVAL, "16, 24 or 32", text);
    }
}

static void test_bad_content_refused(void **state)
{
    (void)state;
    expect_refused("empty.key", "", 0, SMS_EINVAL, "empty", NULL);
    expect_refused("notb64.key", "AAECAwQFBgcICQoLDA0ODw", 22, SMS_EINVAL, "base64", "AAECAwQF");
    expect_refused("space.key", "AAECAwQF BgcICQoLDA0ODw==", 25, SMS_EINVAL, "base64", "AAECAwQF");
    expect_refused("lead.key", " AAECAwQFBgcICQoLDA0ODw==", 25, SMS_EINVAL, "base64", "AAECAwQF");
    char big[300];
    memset(big, 'A', sizeof big);
    expect_refused("big.key", big, sizeof big, SMS_EINVAL, "larger", NULL);
    /* binary garbage */
    static const uint8_t bin[16] = {0, 1, 2, 3, 0xff, 0xfe};
    expect_refused("bin.key", bin, sizeof bin, SMS_EINVAL, "base64", NULL);
}

static void test_unreadable_paths(void **state)
{
    (void)state;
    char path[700];
    char err[512] = "";
    aead_key *k = NULL;
    uint8_t *raw = NULL;
    size_t len = 0;

    path_in(path, sizeof path, "does-not-exist.key");
    assert_int_equal(keyfile_load(path, &k, err, sizeof err), SMS_EIO);
    assert_null(k);
    assert_non_null(strstr(err, "does-not-exist.key"));
    assert_int_equal(keyfile_read_raw(path, &raw, &len, err, sizeof err), SMS_EIO);
    /* keyfile_load never creates */
    struct stat sb;
    assert_int_equal(stat(path, &sb), -1);

    /* a directory is not a key file */
    path_in(path, sizeof path, "a-directory");
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(keyfile_load(path, &k, err, sizeof err), SMS_EIO);
    assert_non_null(strstr(err, "regular file"));
    assert_int_equal(keyfile_load_or_create(path, &k, err, sizeof err), SMS_EIO);

    /* a parent that is a regular file cannot hold a key */
    char file[700];
    write_str("plain-file", "x", file, sizeof file);
    path_in(path, sizeof path, "plain-file/sub/key");
    assert_int_equal(keyfile_load_or_create(path, &k, err, sizeof err), SMS_EIO);
    assert_null(k);
    path_in(path, sizeof path, "plain-file/key");
    assert_int_equal(keyfile_load_or_create(path, &k, err, sizeof err), SMS_EIO);
    assert_null(k);

    /* directories that cannot be created, even by root (procfs refuses new entries) */
    k = NULL;
    memset(err, 0, sizeof err);
    assert_int_equal(keyfile_load_or_create("/proc/sms-keyfile-test-nonexistent/sub/key", &k, err, sizeof err),
                     SMS_EIO);
    assert_null(k);
    assert_non_null(strstr(err, "cannot create directory"));
    /* an existing directory where no file can be created */
    memset(err, 0, sizeof err);
    assert_int_equal(keyfile_load_or_create("/proc/sms-keyfile-test.key", &k, err, sizeof err), SMS_EIO);
    assert_null(k);
    assert_non_null(strstr(err, "temporary key file"));

    /* permission bits only stop a non-root reader */
    write_str("mode000.key", "AAECAwQFBgcICQoLDA0ODw==", path, sizeof path);
    assert_int_equal(chmod(path, 0), 0);
    sms_status st = keyfile_load(path, &k, err, sizeof err);
    if (geteuid() != 0) {
        assert_int_equal(st, SMS_EIO);
        assert_non_null(strstr(err, "cannot open"));
    } else {
        assert_int_equal(st, SMS_OK);
        aead_key_free(k);
        k = NULL;
    }
}

static void test_bad_arguments(void **state)
{
    (void)state;
    aead_key *k = NULL;
    char err[128] = "";
    uint8_t *raw = NULL;
    size_t len = 0;
    assert_int_equal(keyfile_load_or_create(NULL, &k, err, sizeof err), SMS_EINVAL);
    assert_int_equal(keyfile_load_or_create("", &k, err, sizeof err), SMS_EINVAL);
    assert_int_equal(keyfile_load_or_create("/tmp/x", NULL, err, sizeof err), SMS_EINVAL);
    assert_int_equal(keyfile_load(NULL, &k, err, sizeof err), SMS_EINVAL);
    assert_int_equal(keyfile_load("/tmp/x", NULL, err, sizeof err), SMS_EINVAL);
    assert_int_equal(keyfile_read_raw(NULL, &raw, &len, err, sizeof err), SMS_EINVAL);
    assert_int_equal(keyfile_read_raw("/tmp/x", NULL, &len, err, sizeof err), SMS_EINVAL);
    assert_int_equal(keyfile_read_raw("/tmp/x", &raw, NULL, err, sizeof err), SMS_EINVAL);
    /* a tiny error buffer is truncated, not overflowed */
    char tiny[8];
    memset(tiny, 'Z', sizeof tiny);
    assert_int_equal(keyfile_load(NULL, &k, tiny, sizeof tiny), SMS_EINVAL);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    /* and a zero-size one is left alone */
    tiny[0] = 'Q';
    assert_int_equal(keyfile_load(NULL, &k, tiny, 0), SMS_EINVAL);
    assert_int_equal(tiny[0], 'Q');
    /* over-long path */
    char longp[5000];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    assert_int_not_equal(keyfile_load_or_create(longp, &k, err, sizeof err), SMS_OK);
    assert_null(k);
}

static void test_relative_path(void **state)
{
    (void)state;
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(g_root), 0);
    aead_key *k = NULL;
    assert_int_equal(keyfile_load_or_create("relative.key", &k, NULL, 0), SMS_OK);
    aead_key_free(k);
    k = NULL;
    assert_int_equal(keyfile_load_or_create("rel-dir/x/relative.key", &k, NULL, 0), SMS_OK);
    aead_key_free(k);
    assert_int_equal(chdir(cwd), 0);
    char path[700];
    struct stat sb;
    path_in(path, sizeof path, "rel-dir/x/relative.key");
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("SMS_TEST_TMPDIR");
    if (base == NULL || base[0] == '\0') base = "/tmp";
    if (mkdir(base, 0700) != 0 && errno != EEXIST) return -1;
    int n = snprintf(g_root, sizeof g_root, "%s/keyfile-XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof g_root) return -1;
    return mkdtemp(g_root) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(g_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_new_key_file),
        cmocka_unit_test(test_reload_gives_same_key),
        cmocka_unit_test(test_two_creations_differ),
        cmocka_unit_test(test_existing_legacy_key_kept),
        cmocka_unit_test(test_accepted_sizes),
        cmocka_unit_test(test_trailing_newline_refused),
        cmocka_unit_test(test_bad_sizes_refused),
        cmocka_unit_test(test_bad_content_refused),
        cmocka_unit_test(test_unreadable_paths),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_relative_path),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
