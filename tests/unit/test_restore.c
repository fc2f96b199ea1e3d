/* Staged, atomic restore (src/admin/restore.c) and the store's bulk writes it relies on
 * (store_replace_all, store_insert_all): a restore either replaces data AND key, or leaves
 * both as they were, whatever fails (corrupt dump, wrong key, duplicate identities, key
 * file that cannot be written after the data swap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "admin/backup.h"
#include "admin/restore.h"
#include "core/b64.h"
#include "core/hex.h"
#include "core/secure.h"
#include "helpers/admin_fixture.h"

#define OTHER_DATASET "0x00000000000000000000000000000000000000d5"

typedef struct {
    adminfx live;     /* live store, key A */
    adminfx other;    /* source of the backup, key B */
    secrets_service *svc;
    char bk_dir[PATH_MAX];
    char dump[PATH_MAX];
    char dump_key[PATH_MAX];
    int pauses;
    int resumes;
    int paused; /* 1 between pause and resume */
} fixture;

static int on_pause(void *ctx)
{
    fixture *f = ctx;
    assert_int_equal(f->paused, 0);
    f->paused = 1;
    f->pauses++;
    return 0;
}

static void on_resume(void *ctx)
{
    fixture *f = ctx;
    assert_int_equal(f->paused, 1);
    f->paused = 0;
    f->resumes++;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    adminfx_open(&f->live, "restore-live");
    adminfx_open(&f->other, "restore-src");
    adminfx_fill(f->live.store, f->live.key);
    adminfx_put_secret(f->live.store, f->live.key, SECRET_WEB2, ADMINFX_OWNER, "only-in-live", "live value");
    adminfx_put_secret(f->other.store, f->other.key, SECRET_WEB2, ADMINFX_OWNER, "my-api-key", "restored value");
    adminfx_put_secret(f->other.store, f->other.key, SECRET_WEB3, OTHER_DATASET, "", "restored dataset key");
    adminfx_put_challenge(f->other.store, f->other.key, ADMINFX_TASK1, ADMINFX_ADDR1, 42);
    adminfx_mkdir(&f->live, "bk");
    adminfx_path(&f->live, "bk", f->bk_dir);
    adminfx_path(&f->live, "bk/b.sql", f->dump);
    adminfx_path(&f->live, "bk/b.sql.key", f->dump_key);
    assert_int_equal(backup_write(f->other.store, f->other.key_path, f->dump, f->dump_key, NULL), SMS_OK);
    assert_int_equal(secrets_service_new(f->live.store, f->live.key, NULL, NULL, 100, &f->svc), SMS_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    secrets_service_free(f->svc);
    adminfx_close(&f->live);
    adminfx_close(&f->other);
    free(f);
    return 0;
}

static restore_target target_of(fixture *f)
{
    restore_target t;
    memset(&t, 0, sizeof t);
    t.store = f->live.store;
    t.secrets = f->svc;
    t.live_key_path = f->live.key_path;
    t.hooks.pause = on_pause;
    t.hooks.resume = on_resume;
    t.hooks.ctx = f;
    return t;
}

static void assert_value(secrets_service *svc, secret_kind kind, const char *owner, const char *name,
                         const char *want)
{
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(svc, kind, owner, name, &v, &n), SMS_OK);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(v, want, n);
    secure_free(v, n + 1);
}

/* The live side is exactly as set up: data, key file, service key. */
static void assert_live_untouched(fixture *f, const reclist *before, const char *key_text)
{
    adminfx_assert_store_is(f->live.store, before);
    char *now = adminfx_read_file(f->live.key_path, NULL);
    assert_string_equal(now, key_text);
    free(now);
    assert_value(f->svc, SECRET_WEB2, ADMINFX_OWNER, "only-in-live", "live value");
    assert_int_equal(adminfx_count_tmp(f->live.real), 0);
    char data_dir[PATH_MAX];
    adminfx_path(&f->live, "data", data_dir);
    assert_int_equal(adminfx_count_tmp(data_dir), 0);
}

/* ---- store bulk writes ---- */

typedef struct {
    reclist *l;
    size_t fail_at; /* index at which to return SMS_EIO; SIZE_MAX for never */
} failing_source;

static sms_status failing_next(void *ctx, const store_record **rec)
{
    failing_source *s = ctx;
    if (s->l->cursor == s->fail_at) return SMS_EIO;
    return reclist_source(s->l, rec);
}

static void test_replace_all(void **state)
{
    fixture *f = *state;
    reclist before, src;
    adminfx_snapshot(f->live.store, &before);
    adminfx_snapshot(f->other.store, &src);

    /* A duplicate identity in the source: nothing changes. */
    reclist dup;
    adminfx_snapshot(f->other.store, &dup);
    assert_int_equal(reclist_add_copy(&dup, reclist_at(&src, 0)), SMS_OK);
    assert_int_equal(store_replace_all(f->live.store, reclist_source, &dup), SMS_EEXISTS);
    adminfx_assert_store_is(f->live.store, &before);
    reclist_free(&dup);

    /* The source fails after some records: nothing changes, its status is returned. */
    failing_source fs = {&src, 2};
    reclist_rewind(&src);
    assert_int_equal(store_replace_all(f->live.store, failing_next, &fs), SMS_EIO);
    adminfx_assert_store_is(f->live.store, &before);

    /* An invalid record (empty owner): refused by the port's validation. */
    reclist bad;
    reclist_init(&bad);
    store_record r;
    memset(&r, 0, sizeof r);
    r.type = STORE_REC_SECRET;
    r.secret.kind = SECRET_WEB2;
    r.secret.owner = "";
    r.secret.name = "n";
    r.sealed = (const uint8_t *)"x";
    r.sealed_len = 1;
    assert_int_equal(reclist_add_copy(&bad, &r), SMS_OK);
    assert_int_equal(store_replace_all(f->live.store, reclist_source, &bad), SMS_EINVAL);
    adminfx_assert_store_is(f->live.store, &before);
    reclist_free(&bad);

    /* Success: exactly the source afterwards. */
    reclist_rewind(&src);
    assert_int_equal(store_replace_all(f->live.store, reclist_source, &src), SMS_OK);
    adminfx_assert_store_is(f->live.store, &src);

    /* Empty source empties the store. */
    reclist empty;
    reclist_init(&empty);
    assert_int_equal(store_replace_all(f->live.store, reclist_source, &empty), SMS_OK);
    adminfx_assert_store_is(f->live.store, &empty);
    assert_int_equal(store_replace_all(NULL, reclist_source, &empty), SMS_EINVAL);
    assert_int_equal(store_replace_all(f->live.store, NULL, &empty), SMS_EINVAL);
    reclist_free(&before);
    reclist_free(&src);
}

static void test_insert_all(void **state)
{
    fixture *f = *state;
    reclist before, src, after;
    adminfx_snapshot(f->live.store, &before);
    adminfx_snapshot(f->other.store, &src);

    /* other's web2 "my-api-key" exists in live too: all refused. */
    assert_int_equal(store_insert_all(f->live.store, reclist_source, &src), SMS_EEXISTS);
    adminfx_assert_store_is(f->live.store, &before);

    /* Without the clash: all inserted, the existing records kept. */
    reclist fresh;
    reclist_init(&fresh);
    for (size_t i = 0; i < src.n; i++) {
        const store_record *r = reclist_at(&src, i);
        if (r->type == STORE_REC_SECRET && strcmp(r->secret.name, "my-api-key") == 0) continue;
        if (r->type == STORE_REC_CHALLENGE) continue; /* ADMINFX_TASK1 is in live too */
        assert_int_equal(reclist_add_copy(&fresh, r), SMS_OK);
    }
    assert_int_equal(fresh.n, 1);
    assert_int_equal(store_insert_all(f->live.store, reclist_source, &fresh), SMS_OK);
    adminfx_snapshot(f->live.store, &after);
    assert_int_equal(after.n, before.n + 1);
    reclist_free(&after);
    reclist_free(&fresh);
    reclist_free(&before);
    reclist_free(&src);
}

/* ---- restore ---- */

static void test_restore_success(void **state)
{
    fixture *f = *state;
    restore_target t = target_of(f);
    aead_key *key = NULL;
    char err[512] = "";
    int exists = 0;
    reclist expected;
    struct stat sb;

    /* Warm the existence cache with a record the restore removes. */
    assert_int_equal(secrets_exists(f->svc, SECRET_WEB2, ADMINFX_OWNER, "only-in-live", &exists), SMS_OK);
    assert_int_equal(exists, 1);

    adminfx_snapshot(f->other.store, &expected);
    assert_int_equal(restore_run(&t, f->dump, f->dump_key, &key, err, sizeof err), SMS_OK);
    assert_non_null(key);
    assert_int_equal(f->pauses, 1);
    assert_int_equal(f->resumes, 1);

    /* Data: exactly the backup's. Key file: the backup's, read-only. */
    adminfx_assert_store_is(f->live.store, &expected);
    char *want = adminfx_read_file(f->dump_key, NULL);
    char *now = adminfx_read_file(f->live.key_path, NULL);
    assert_string_equal(now, want);
    free(want);
    free(now);
    assert_int_equal(stat(f->live.key_path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0400);
    char data_dir[PATH_MAX];
    adminfx_path(&f->live, "data", data_dir);
    assert_int_equal(adminfx_count_tmp(data_dir), 0);

    /* The service now opens with the restored key, and forgot what it cached. */
    assert_value(f->svc, SECRET_WEB2, ADMINFX_OWNER, "my-api-key", "restored value");
    assert_value(f->svc, SECRET_WEB3, OTHER_DATASET, "", "restored dataset key");
    assert_int_equal(secrets_exists(f->svc, SECRET_WEB2, ADMINFX_OWNER, "only-in-live", &exists), SMS_OK);
    assert_int_equal(exists, 0);
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(f->svc, SECRET_WEB2, ADMINFX_OWNER, "only-in-live", &v, &n), SMS_ENOTFOUND);

    /* What the daemon will load from the key file at its next start opens the data. */
    aead_key *reloaded = NULL;
    assert_int_equal(keyfile_load(f->live.key_path, &reloaded, err, sizeof err), SMS_OK);
    for (size_t i = 0; i < expected.n; i++)
        assert_int_equal(secrets_verify_record(reloaded, reclist_at(&expected, i)), SMS_OK);
    aead_key_free(reloaded);
    secrets_service_free(f->svc);
    f->svc = NULL;
    aead_key_free(key);
    reclist_free(&expected);
}

static void run_refused(fixture *f, const char *dump, const char *key_path, sms_status want, int swapped)
{
    restore_target t = target_of(f);
    aead_key *key = NULL;
    char err[512] = "";
    reclist before;
    char *key_text = adminfx_read_file(f->live.key_path, NULL);

    adminfx_snapshot(f->live.store, &before);
    assert_int_equal(restore_run(&t, dump, key_path, &key, err, sizeof err), want);
    assert_null(key);
    assert_true(err[0] != '\0');
    assert_int_equal(f->pauses, swapped);
    assert_int_equal(f->resumes, swapped);
    assert_live_untouched(f, &before, key_text);
    reclist_free(&before);
    free(key_text);
}

static void test_corrupted_dump_refused(void **state)
{
    fixture *f = *state;
    size_t len = 0;
    char *text = adminfx_read_file(f->dump, &len);
    text[len / 2] ^= 0x04;
    adminfx_write_file(f->dump, text, len);
    run_refused(f, f->dump, f->dump_key, SMS_EINVAL, 0);
    /* Truncated. */
    text[len / 2] ^= 0x04;
    adminfx_write_file(f->dump, text, len - 10);
    run_refused(f, f->dump, f->dump_key, SMS_EINVAL, 0);
    free(text);
}

static void test_mismatched_key_refused(void **state)
{
    fixture *f = *state;
    /* The live key file beside the backup's dump: records do not open. */
    char *live_key = adminfx_read_file(f->live.key_path, NULL);
    adminfx_write_file(f->dump_key, live_key, strlen(live_key));
    free(live_key);
    run_refused(f, f->dump, f->dump_key, SMS_ECRYPTO, 0);
}

static void test_bad_key_file_refused(void **state)
{
    fixture *f = *state;
    char *k = adminfx_read_file(f->dump_key, NULL);
    char with_nl[128];
    snprintf(with_nl, sizeof with_nl, "%s\n", k);
    adminfx_write_file(f->dump_key, with_nl, strlen(with_nl));
    free(k);
    run_refused(f, f->dump, f->dump_key, SMS_EINVAL, 0);
    char missing[PATH_MAX];
    adminfx_path(&f->live, "bk/none.key", missing);
    run_refused(f, f->dump, missing, SMS_EIO, 0);
}

/* A dump with one identity twice (valid checksum, records sealed under the dump's key):
 * the store swap itself fails and is rolled back by the store. */
static void test_duplicate_identity_refused(void **state)
{
    fixture *f = *state;
    size_t len = 0;
    char *text = adminfx_read_file(f->dump, &len);
    char *first = strchr(text, '\n') + 1;
    char *second = strchr(first, '\n') + 1;
    char *trailer = strrchr(text, '\n');
    *trailer = '\0';
    trailer = strrchr(text, '\n') + 1;
    size_t body_len = (size_t)(trailer - text);
    size_t rec_len = (size_t)(second - first);
    char *body = malloc(body_len + rec_len + 1);
    memcpy(body, text, body_len);
    memcpy(body + body_len, first, rec_len);
    body[body_len + rec_len] = '\0';
    uint8_t digest[32];
    char hex[65], tail[160];
    SHA256((const uint8_t *)body, body_len + rec_len, digest);
    hex_encode(digest, 32, hex);
    int n = snprintf(tail, sizeof tail, "{\"records\":4,\"sha256\":\"%s\"}\n", hex);
    char *out = malloc(body_len + rec_len + (size_t)n);
    memcpy(out, body, body_len + rec_len);
    memcpy(out + body_len + rec_len, tail, (size_t)n);
    adminfx_write_file(f->dump, out, body_len + rec_len + (size_t)n);
    run_refused(f, f->dump, f->dump_key, SMS_EEXISTS, 1);
    free(out);
    free(body);
    free(text);
}

/* The data swap succeeds but the key file cannot be replaced (its path is a directory):
 * the previous data is put back, so data and key still agree. */
static void test_key_write_failure_rolls_back(void **state)
{
    fixture *f = *state;
    restore_target t = target_of(f);
    aead_key *key = NULL;
    char err[512] = "";
    char key_dir[PATH_MAX], marker[PATH_MAX];
    reclist before;

    adminfx_mkdir(&f->live, "data/keydir");
    adminfx_path(&f->live, "data/keydir", key_dir);
    adminfx_path(&f->live, "data/keydir/keep", marker);
    adminfx_write_file(marker, "x", 1);
    t.live_key_path = key_dir;
    adminfx_snapshot(f->live.store, &before);
    assert_int_equal(restore_run(&t, f->dump, f->dump_key, &key, err, sizeof err), SMS_EIO);
    assert_null(key);
    assert_non_null(strstr(err, "put back"));
    assert_int_equal(f->pauses, 1);
    assert_int_equal(f->resumes, 1);
    adminfx_assert_store_is(f->live.store, &before);
    assert_value(f->svc, SECRET_WEB2, ADMINFX_OWNER, "only-in-live", "live value");
    assert_value(f->svc, SECRET_WEB2, ADMINFX_OWNER, "my-api-key", "Hello, SMS!");
    char data_dir[PATH_MAX];
    adminfx_path(&f->live, "data", data_dir);
    assert_int_equal(adminfx_count_tmp(data_dir), 0);
    assert_int_equal(access(marker, F_OK), 0);
    reclist_free(&before);
}

/* The new key file cannot even be prepared: refused before anything live is touched. */
static void test_key_prepare_failure(void **state)
{
    fixture *f = *state;
    restore_target t = target_of(f);
    aead_key *key = NULL;
    char err[512] = "";
    char missing[PATH_MAX];
    reclist before;
    char *key_text = adminfx_read_file(f->live.key_path, NULL);

    adminfx_path(&f->live, "nodir/aes.key", missing);
    t.live_key_path = missing;
    adminfx_snapshot(f->live.store, &before);
    assert_int_equal(restore_run(&t, f->dump, f->dump_key, &key, err, sizeof err), SMS_EIO);
    assert_int_equal(f->pauses, 0);
    assert_live_untouched(f, &before, key_text);
    assert_int_equal(restore_run(NULL, f->dump, f->dump_key, &key, err, sizeof err), SMS_EINVAL);
    reclist_free(&before);
    free(key_text);
}

/* Without a secrets service (e.g. a CLI) and without hooks. */
static void test_restore_minimal_target(void **state)
{
    fixture *f = *state;
    restore_target t;
    aead_key *key = NULL;
    char err[512] = "";
    reclist expected;

    memset(&t, 0, sizeof t);
    t.store = f->live.store;
    t.live_key_path = f->live.key_path;
    adminfx_snapshot(f->other.store, &expected);
    assert_int_equal(restore_run(&t, f->dump, f->dump_key, &key, err, sizeof err), SMS_OK);
    adminfx_assert_store_is(f->live.store, &expected);
    for (size_t i = 0; i < expected.n; i++)
        assert_int_equal(secrets_verify_record(key, reclist_at(&expected, i)), SMS_OK);
    aead_key_free(key);
    reclist_free(&expected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replace_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupted_dump_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mismatched_key_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_key_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_identity_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_write_failure_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_prepare_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_minimal_target, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
