/* Admin storage area paths (src/admin/paths.c): hex storage ids, file-name rules, and
 * confinement component by component after resolving "..", "." and symbolic links
 * (sms-api.md 7.2 with its [fix]). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/paths.h"
#include "helpers/tmpdir.h"

typedef struct {
    char *tmp;
    char real[PATH_MAX];   /* canonical tmp */
    char root[PATH_MAX];   /* <tmp>/backup */
    admin_paths paths;
} fixture;

static void at(const fixture *f, const char *rel, char out[PATH_MAX])
{
    int n = snprintf(out, PATH_MAX, "%s/%s", f->real, rel);
    assert_true(n > 0 && n < PATH_MAX);
}

static void mk(const fixture *f, const char *rel, int dir)
{
    char path[PATH_MAX];
    at(f, rel, path);
    if (dir) {
        assert_int_equal(mkdir(path, 0700), 0);
    } else {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        close(fd);
    }
}

static void ln(const fixture *f, const char *target_rel, const char *rel)
{
    char target[PATH_MAX], path[PATH_MAX];
    at(f, target_rel, target);
    at(f, rel, path);
    assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->tmp = tmpdir_make("admin-paths");
    assert_non_null(f->tmp);
    assert_non_null(realpath(f->tmp, f->real));
    mk(f, "backup", 1);
    mk(f, "backup/sub", 1);
    mk(f, "backup/sub/f", 0);
    mk(f, "backup2", 1);
    mk(f, "backupold", 1);
    mk(f, "outside", 1);
    mk(f, "outside/secret", 0);
    ln(f, "outside", "backup/link-out");
    ln(f, "backup/sub", "backup/link-in");
    ln(f, "outside/secret", "backup/sub/g.key");
    ln(f, "backup/sub/f", "backup/sub/h");
    at(f, "backup", f->root);
    assert_int_equal(admin_paths_init(&f->paths, f->root), SMS_OK);
    assert_true(f->paths.canonical);
    assert_string_equal(f->paths.root, f->root);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tmpdir_remove(f->tmp);
    free(f);
    return 0;
}

static void hex_of(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    assert_true(2 * n < cap);
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", (unsigned char)s[i]);
    out[2 * n] = '\0';
}

static void test_decode_id(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(admin_paths_decode_id("2f6261636b7570", out, sizeof out), SMS_OK);
    assert_string_equal(out, "/backup");
    assert_int_equal(admin_paths_decode_id("2F6261636B75702F7265706C696361", out, sizeof out), SMS_OK);
    assert_string_equal(out, "/backup/replica");
    /* A byte >= 0x80 is the Latin-1 character, written as UTF-8 like Java would. */
    assert_int_equal(admin_paths_decode_id("2fe9", out, sizeof out), SMS_OK);
    assert_string_equal(out, "/\xc3\xa9");
    /* [fix] odd length and non-hex are client errors (the reference crashes with 500). */
    assert_int_equal(admin_paths_decode_id("2f626", out, sizeof out), SMS_EINVAL);
    assert_int_equal(admin_paths_decode_id("2g", out, sizeof out), SMS_EINVAL);
    assert_int_equal(admin_paths_decode_id("0x2f", out, sizeof out), SMS_EINVAL);
    assert_int_equal(admin_paths_decode_id("", out, sizeof out), SMS_EINVAL);
    /* NUL, C0 controls, DEL and C1 controls. */
    assert_int_equal(admin_paths_decode_id("2f00", out, sizeof out), SMS_EINVAL);
    assert_int_equal(admin_paths_decode_id("2f0a", out, sizeof out), SMS_EINVAL);
    assert_int_equal(admin_paths_decode_id("2f1f", out, sizeof out), SMS_EINVAL);
    assert_int_equal(admin_paths_decode_id("2f7f", out, sizeof out), SMS_EINVAL);
    assert_int_equal(admin_paths_decode_id("2f85", out, sizeof out), SMS_EINVAL);
    /* Does not fit. */
    assert_int_equal(admin_paths_decode_id("2f2f2f2f", out, 4), SMS_EINVAL);
    assert_int_equal(admin_paths_decode_id("2f2f2f", out, 4), SMS_OK);
}

static void test_blank_and_names(void **state)
{
    (void)state;
    assert_true(admin_is_blank(NULL));
    assert_true(admin_is_blank(""));
    assert_true(admin_is_blank(" \t\r\n"));
    assert_true(admin_is_blank("\xe3\x80\x80"));  /* U+3000 ideographic space */
    assert_false(admin_is_blank("\xc2\xa0"));     /* NBSP is not whitespace for Java */
    assert_false(admin_is_blank(" a "));
    assert_int_equal(admin_paths_check_name("backup.sql"), SMS_OK);
    assert_int_equal(admin_paths_check_name("../x/y"), SMS_OK); /* confinement decides */
    assert_int_equal(admin_paths_check_name("   "), SMS_EINVAL);
    assert_int_equal(admin_paths_check_name("a\nb"), SMS_EINVAL);
    assert_int_equal(admin_paths_check_name("a\x7f"), SMS_EINVAL);
    assert_int_equal(admin_paths_check_name("a\xc2\x85"), SMS_EINVAL);
    assert_int_equal(admin_paths_check_name("caf\xc3\xa9"), SMS_OK);
}

static void test_within(void **state)
{
    (void)state;
    assert_true(admin_path_within("/backup", "/backup"));
    assert_true(admin_path_within("/backup", "/backup/x"));
    assert_false(admin_path_within("/backup", "/backup2/x"));
    assert_false(admin_path_within("/backup", "/backupold"));
    assert_false(admin_path_within("/backup", "/"));
    assert_false(admin_path_within("/backup", "relative"));
    assert_true(admin_path_within("/", "/anything"));
}

static void expect_confined(fixture *f, const char *rel, sms_status want, const char *want_rel)
{
    char in[PATH_MAX], out[PATH_MAX], exp[PATH_MAX];
    at(f, rel, in);
    assert_int_equal(admin_paths_confine(&f->paths, in, out), want);
    if (want_rel != NULL) {
        at(f, want_rel, exp);
        assert_string_equal(out, exp);
    }
}

static void test_confine(void **state)
{
    fixture *f = *state;
    expect_confined(f, "backup/sub/f", SMS_OK, "backup/sub/f");
    expect_confined(f, "backup/sub/../sub/./f", SMS_OK, "backup/sub/f");
    expect_confined(f, "backup/new-file", SMS_OK, "backup/new-file");
    expect_confined(f, "backup/missing/../x", SMS_OK, "backup/x");
    expect_confined(f, "backup/x/", SMS_OK, "backup/x");
    expect_confined(f, "backup/link-in/f", SMS_OK, "backup/sub/f");
    expect_confined(f, "backup/sub/h", SMS_OK, "backup/sub/f");
    expect_confined(f, "backup", SMS_OK, "backup");
    /* Traversal and neighbours with the same prefix. */
    expect_confined(f, "backup/../outside/secret", SMS_EAUTH, "outside/secret");
    expect_confined(f, "backup/sub/../../backup2/x", SMS_EAUTH, "backup2/x");
    expect_confined(f, "backup2/x", SMS_EAUTH, NULL);
    expect_confined(f, "backupold", SMS_EAUTH, NULL);
    expect_confined(f, "backup/missing/../../outside", SMS_EAUTH, NULL);
    /* Symbolic links pointing out, as a directory or as the final file. */
    expect_confined(f, "backup/link-out/secret", SMS_EAUTH, "outside/secret");
    expect_confined(f, "backup/link-out/new", SMS_EAUTH, NULL);
    expect_confined(f, "backup/sub/g.key", SMS_EAUTH, "outside/secret");
}

static void test_dir(void **state)
{
    fixture *f = *state;
    char in[PATH_MAX], out[PATH_MAX];
    at(f, "backup/sub", in);
    assert_int_equal(admin_paths_dir(&f->paths, in, out), SMS_OK);
    at(f, "backup/link-in", in);
    assert_int_equal(admin_paths_dir(&f->paths, in, out), SMS_OK);
    assert_non_null(strstr(out, "/backup/sub"));
    /* Missing, or a file: 404 before any confinement question. */
    at(f, "backup/none", in);
    assert_int_equal(admin_paths_dir(&f->paths, in, out), SMS_ENOTFOUND);
    at(f, "backup/sub/f", in);
    assert_int_equal(admin_paths_dir(&f->paths, in, out), SMS_ENOTFOUND);
    at(f, "nowhere", in);
    assert_int_equal(admin_paths_dir(&f->paths, in, out), SMS_ENOTFOUND);
    /* Existing but outside: [fix] the storage id directory itself is confined. */
    at(f, "backup2", in);
    assert_int_equal(admin_paths_dir(&f->paths, in, out), SMS_EAUTH);
    at(f, "backup/link-out", in);
    assert_int_equal(admin_paths_dir(&f->paths, in, out), SMS_EAUTH);
    at(f, "backup/..", in);
    assert_int_equal(admin_paths_dir(&f->paths, in, out), SMS_EAUTH);
}

static void test_pair(void **state)
{
    fixture *f = *state;
    char dir[PATH_MAX], file[PATH_MAX], key[PATH_MAX], exp[PATH_MAX];
    at(f, "backup/sub", dir);
    assert_int_equal(admin_paths_pair(&f->paths, dir, "f", file, key), SMS_OK);
    at(f, "backup/sub/f", exp);
    assert_string_equal(file, exp);
    at(f, "backup/sub/f.key", exp);
    assert_string_equal(key, exp);
    assert_int_equal(admin_paths_pair(&f->paths, dir, "../x", file, key), SMS_OK);
    /* The .key companion is a symbolic link out: the pair is refused. */
    assert_int_equal(admin_paths_pair(&f->paths, dir, "g", file, key), SMS_EAUTH);
    assert_int_equal(admin_paths_pair(&f->paths, dir, "../../outside/secret", file, key), SMS_EAUTH);
    assert_int_equal(admin_paths_pair(&f->paths, dir, "../../backup2/x", file, key), SMS_EAUTH);
    assert_int_equal(admin_paths_pair(&f->paths, dir, "a\tb", file, key), SMS_EINVAL);
    assert_int_equal(admin_paths_pair(&f->paths, dir, " ", file, key), SMS_EINVAL);
    char longname[PATH_MAX + 10];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(admin_paths_pair(&f->paths, dir, longname, file, key), SMS_EINVAL);
}

static void test_missing_root(void **state)
{
    fixture *f = *state;
    admin_paths p;
    char root[PATH_MAX], in[PATH_MAX], out[PATH_MAX];
    at(f, "later/", root);
    assert_int_equal(admin_paths_init(&p, root), SMS_OK);
    assert_false(p.canonical);
    /* Nothing existing is inside a location that does not exist. */
    at(f, "backup", in);
    assert_int_equal(admin_paths_dir(&p, in, out), SMS_EAUTH);
    /* Created later: picked up by the next operation. */
    mk(f, "later", 1);
    mk(f, "later/d", 1);
    at(f, "later/d", in);
    assert_int_equal(admin_paths_dir(&p, in, out), SMS_OK);
    assert_true(p.canonical);
    assert_int_equal(admin_paths_init(&p, ""), SMS_EINVAL);
    assert_int_equal(admin_paths_init(&p, NULL), SMS_EINVAL);
}

static void test_hex_round_trip(void **state)
{
    fixture *f = *state;
    char hex[2 * PATH_MAX + 1], decoded[PATH_MAX], out[PATH_MAX];
    at(f, "backup/sub", decoded);
    hex_of(decoded, hex, sizeof hex);
    assert_int_equal(admin_paths_decode_id(hex, out, sizeof out), SMS_OK);
    assert_string_equal(out, decoded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_id),
        cmocka_unit_test(test_blank_and_names),
        cmocka_unit_test(test_within),
        cmocka_unit_test_setup_teardown(test_confine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hex_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
