/* Shared set-up of the admin tests (test_backup, test_restore, test_api_admin,
 * test_java_import): a scratch directory with a live key file and a SQLite store, and
 * helpers to fill and compare stores. Header-only (static inline) so that it is compiled
 * into those tests only; include it after <cmocka.h>. */
#ifndef SMS_TEST_ADMIN_FIXTURE_H
#define SMS_TEST_ADMIN_FIXTURE_H

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/reclist.h"
#include "crypto/aead.h"
#include "crypto/keyfile.h"
#include "helpers/tmpdir.h"
#include "secrets/secrets.h"
#include "store/store.h"
#include "tee/challenge_context.h"

typedef struct {
    char *tmp;
    char real[PATH_MAX];     /* canonical scratch directory */
    char key_path[PATH_MAX]; /* <real>/data/aes.key */
    char db[PATH_MAX];       /* <real>/data/sms.sqlite */
    sms_store *store;
    aead_key *key;
} adminfx;

static inline void adminfx_path(const adminfx *f, const char *rel, char out[PATH_MAX])
{
    int n = snprintf(out, PATH_MAX, "%s/%s", f->real, rel);
    assert_true(n > 0 && n < PATH_MAX);
}

static inline void adminfx_mkdir(const adminfx *f, const char *rel)
{
    char path[PATH_MAX];
    adminfx_path(f, rel, path);
    assert_int_equal(mkdir(path, 0700), 0);
}

static inline sms_store *adminfx_open_store(const char *path)
{
    char url[PATH_MAX + 8], err[256] = "";
    sms_store *st = NULL;
    int n = snprintf(url, sizeof url, "sqlite:%s", path);
    assert_true(n > 0 && (size_t)n < sizeof url);
    assert_int_equal(store_open(url, &st, err, sizeof err), SMS_OK);
    return st;
}

static inline void adminfx_open(adminfx *f, const char *tag)
{
    char err[256] = "";
    memset(f, 0, sizeof *f);
    f->tmp = tmpdir_make(tag);
    assert_non_null(f->tmp);
    assert_non_null(realpath(f->tmp, f->real));
    adminfx_mkdir(f, "data");
    adminfx_path(f, "data/aes.key", f->key_path);
    adminfx_path(f, "data/sms.sqlite", f->db);
    assert_int_equal(keyfile_load_or_create(f->key_path, &f->key, err, sizeof err), SMS_OK);
    f->store = adminfx_open_store(f->db);
}

static inline void adminfx_close(adminfx *f)
{
    store_close(f->store);
    aead_key_free(f->key);
    tmpdir_remove(f->tmp);
    memset(f, 0, sizeof *f);
}

static inline void adminfx_seal_secret(const aead_key *key, secret_kind kind, const char *owner, const char *name,
                                       const char *value, uint8_t **rec, size_t *len)
{
    secret_id id = {kind, owner, name};
    assert_int_equal(secrets_seal_secret_with(key, &id, (const uint8_t *)value, strlen(value), rec, len), SMS_OK);
}

static inline void adminfx_put_secret(sms_store *st, const aead_key *key, secret_kind kind, const char *owner,
                                      const char *name, const char *value)
{
    secret_id id = {kind, owner, name};
    uint8_t *rec = NULL;
    size_t len = 0;
    adminfx_seal_secret(key, kind, owner, name, value, &rec, &len);
    assert_int_equal(store_secret_insert(st, &id, rec, len), SMS_OK);
    free(rec);
}

/* A challenge whose sealed "key" is any 66-byte text (the admin code never opens it
 * beyond the AEAD check). */
static inline void adminfx_put_challenge(sms_store *st, const aead_key *key, const char *task, const char *address,
                                         int64_t deadline_ms)
{
    static const char key_text[] = "0x0101010101010101010101010101010101010101010101010101010101010101";
    char context[160];
    challenge_rec ch, out;
    int created = 0;
    memset(&ch, 0, sizeof ch);
    memset(&out, 0, sizeof out);
    snprintf(context, sizeof context, "%s%s", TEE_CHALLENGE_SEAL_CONTEXT_PREFIX, task);
    assert_int_equal(secrets_seal_context_with(key, context, (const uint8_t *)key_text, sizeof key_text - 1,
                                               &ch.sealed_key, &ch.sealed_key_len),
                     SMS_OK);
    snprintf(ch.task_id, sizeof ch.task_id, "%s", task);
    snprintf(ch.address, sizeof ch.address, "%s", address);
    ch.final_deadline_ms = deadline_ms;
    assert_int_equal(store_challenge_get_or_create(st, &ch, &out, &created), SMS_OK);
    assert_int_equal(created, 1);
    challenge_rec_clear(&ch);
    challenge_rec_clear(&out);
}

#define ADMINFX_TASK1 "0x1111111111111111111111111111111111111111111111111111111111111111"
#define ADMINFX_TASK2 "0x2222222222222222222222222222222222222222222222222222222222222222"
#define ADMINFX_ADDR1 "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
#define ADMINFX_OWNER "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
#define ADMINFX_DATASET "0x1f9840a85d5af5bf1d1762f925bdaddc4201f984"
#define ADMINFX_APP "0xab8483f64d9c6d1ecf9b849ae677dd3315835cb2"

/* One record of each kind, two challenges: 6 records. */
static inline void adminfx_fill(sms_store *st, const aead_key *key)
{
    adminfx_put_secret(st, key, SECRET_WEB2, ADMINFX_OWNER, "my-api-key", "Hello, SMS!");
    adminfx_put_secret(st, key, SECRET_WEB2, ADMINFX_OWNER, "p\xc3\xa4ssw\xc3\xb6rd", "");
    adminfx_put_secret(st, key, SECRET_WEB3, ADMINFX_DATASET, "", "dataset-key");
    adminfx_put_secret(st, key, SECRET_APP, ADMINFX_APP, SECRET_APP_INDEX, "app developer secret");
    adminfx_put_secret(st, key, SECRET_REQUESTER, ADMINFX_OWNER, "Key_1", "requester value");
    adminfx_put_challenge(st, key, ADMINFX_TASK1, ADMINFX_ADDR1, 1718184615123);
    adminfx_put_challenge(st, key, ADMINFX_TASK2, ADMINFX_ADDR1, 0);
}
#define ADMINFX_FILL_COUNT 7

static inline void adminfx_snapshot(sms_store *st, reclist *out)
{
    reclist_init(out);
    assert_int_equal(store_foreach(st, reclist_collect, out), SMS_OK);
}

static inline void adminfx_assert_same_record(const store_record *a, const store_record *b)
{
    assert_int_equal(a->type, b->type);
    if (a->type == STORE_REC_SECRET) {
        assert_int_equal(a->secret.kind, b->secret.kind);
        assert_string_equal(a->secret.owner, b->secret.owner);
        assert_string_equal(a->secret.name, b->secret.name);
        assert_int_equal(a->sealed_len, b->sealed_len);
        assert_memory_equal(a->sealed, b->sealed, a->sealed_len);
    } else {
        assert_string_equal(a->challenge->task_id, b->challenge->task_id);
        assert_string_equal(a->challenge->address, b->challenge->address);
        assert_int_equal(a->challenge->final_deadline_ms, b->challenge->final_deadline_ms);
        assert_int_equal(a->challenge->sealed_key_len, b->challenge->sealed_key_len);
        assert_memory_equal(a->challenge->sealed_key, b->challenge->sealed_key, a->challenge->sealed_key_len);
    }
}

/* Same records in the same order (store_foreach orders by identity). */
static inline void adminfx_assert_same(const reclist *a, const reclist *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) adminfx_assert_same_record(reclist_at(a, i), reclist_at(b, i));
}

static inline void adminfx_assert_store_is(sms_store *st, const reclist *expected)
{
    reclist now;
    adminfx_snapshot(st, &now);
    adminfx_assert_same(&now, expected);
    reclist_free(&now);
}

/* Entries of dir whose name holds ".tmp." (leftovers of an interrupted publication). */
static inline int adminfx_count_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp.") != NULL) n++;
    closedir(d);
    return n;
}

static inline void adminfx_write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* Whole file, NUL-terminated (not counted in *len); caller frees. */
static inline char *adminfx_read_file(const char *path, size_t *len)
{
    uint8_t *data = NULL;
    size_t n = 0;
    char *out;
    assert_int_equal(tmpdir_read_file(path, &data, &n), 0);
    out = malloc(n + 1);
    assert_non_null(out);
    if (n > 0) memcpy(out, data, n);
    out[n] = '\0';
    free(data);
    if (len != NULL) *len = n;
    return out;
}

#endif
