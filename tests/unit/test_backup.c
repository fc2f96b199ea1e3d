/* Backup dump (src/admin/backup*.c): written durably from a consistent snapshot, values
 * kept sealed, key file copied; the reader refuses anything truncated, altered or
 * malformed, naming the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <pthread.h>

#include "admin/backup.h"
#include "core/hex.h"
#include "helpers/admin_fixture.h"

typedef struct {
    adminfx fx;
    char dump[PATH_MAX];
    char dump_key[PATH_MAX];
    char out_dir[PATH_MAX];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    adminfx_open(&f->fx, "backup");
    adminfx_mkdir(&f->fx, "out");
    adminfx_path(&f->fx, "out", f->out_dir);
    adminfx_path(&f->fx, "out/backup.sql", f->dump);
    adminfx_path(&f->fx, "out/backup.sql.key", f->dump_key);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    adminfx_close(&f->fx);
    free(f);
    return 0;
}

static void test_write_and_parse(void **state)
{
    fixture *f = *state;
    reclist live, back;
    size_t n = 0, len = 0;
    char err[256] = "";
    struct stat sb;

    adminfx_fill(f->fx.store, f->fx.key);
    assert_int_equal(backup_write(f->fx.store, f->fx.key_path, f->dump, f->dump_key, &n), SMS_OK);
    assert_int_equal(n, ADMINFX_FILL_COUNT);
    assert_int_equal(adminfx_count_tmp(f->out_dir), 0);
    assert_int_equal(stat(f->dump, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    /* The .key companion is the live key file, byte for byte. */
    char *live_key = adminfx_read_file(f->fx.key_path, NULL);
    char *copy = adminfx_read_file(f->dump_key, NULL);
    assert_string_equal(live_key, copy);
    free(live_key);
    free(copy);

    /* Values stay sealed: no plaintext in the dump. */
    char *text = adminfx_read_file(f->dump, &len);
    assert_null(strstr(text, "Hello, SMS!"));
    assert_null(strstr(text, "requester value"));
    assert_non_null(strstr(text, "{\"format\":\"iexec-sms-backup\",\"version\":1"));
    assert_non_null(strstr(text, "\"name\":\"p\xc3\xa4ssw\xc3\xb6rd\""));
    assert_non_null(strstr(text, "\"final_deadline_ms\":1718184615123"));
    assert_non_null(strstr(text, "\"final_deadline_ms\":null"));

    /* Read back: exactly the live records, every one opening under the key. */
    adminfx_snapshot(f->fx.store, &live);
    reclist_init(&back);
    assert_int_equal(backup_parse((const uint8_t *)text, len, &back, err, sizeof err), SMS_OK);
    adminfx_assert_same(&live, &back);
    for (size_t i = 0; i < back.n; i++)
        assert_int_equal(secrets_verify_record(f->fx.key, reclist_at(&back, i)), SMS_OK);
    reclist_free(&back);

    /* A second backup replaces the pair. */
    adminfx_put_secret(f->fx.store, f->fx.key, SECRET_WEB2, ADMINFX_OWNER, "later", "v");
    assert_int_equal(backup_write(f->fx.store, f->fx.key_path, f->dump, f->dump_key, &n), SMS_OK);
    assert_int_equal(n, ADMINFX_FILL_COUNT + 1);
    reclist_init(&back);
    assert_int_equal(backup_read_file(f->dump, &back, err, sizeof err), SMS_OK);
    assert_int_equal(back.n, ADMINFX_FILL_COUNT + 1);
    reclist_free(&back);
    reclist_free(&live);
    free(text);
}

static void test_empty_store(void **state)
{
    fixture *f = *state;
    reclist back;
    size_t n = 99;
    char err[256];

    assert_int_equal(backup_write(f->fx.store, f->fx.key_path, f->dump, f->dump_key, &n), SMS_OK);
    assert_int_equal(n, 0);
    reclist_init(&back);
    assert_int_equal(backup_read_file(f->dump, &back, err, sizeof err), SMS_OK);
    assert_int_equal(back.n, 0);
}

/* Parses and checks that the list is left untouched on failure. */
static sms_status parse_text(const char *text, size_t len, char *err, size_t cap)
{
    reclist l;
    sms_status st;
    reclist_init(&l);
    st = backup_parse((const uint8_t *)text, len, &l, err, cap);
    if (st != SMS_OK) assert_int_equal(l.n, 0);
    reclist_free(&l);
    return st;
}

static void test_tampering_refused(void **state)
{
    fixture *f = *state;
    size_t len = 0;
    char err[256];

    adminfx_fill(f->fx.store, f->fx.key);
    assert_int_equal(backup_write(f->fx.store, f->fx.key_path, f->dump, f->dump_key, NULL), SMS_OK);
    char *text = adminfx_read_file(f->dump, &len);
    assert_int_equal(parse_text(text, len, err, sizeof err), SMS_OK);

    /* Every truncation is refused. */
    for (size_t cut = 0; cut < len; cut++) assert_int_equal(parse_text(text, cut, err, sizeof err), SMS_EINVAL);

    /* Any flipped byte before the trailer breaks the checksum. */
    char *last_line = strrchr(text, '\n');
    *last_line = '\0';
    size_t body = (size_t)(strrchr(text, '\n') + 1 - text);
    *last_line = '\n';
    for (size_t i = 0; i < body; i += 7) {
        text[i] ^= 0x01;
        assert_int_equal(parse_text(text, len, err, sizeof err), SMS_EINVAL);
        text[i] ^= 0x01;
    }
    assert_non_null(strstr(err, "checksum"));

    /* Trailing garbage after the trailer. */
    char *longer = malloc(len + 8);
    memcpy(longer, text, len);
    memcpy(longer + len, "{}\n", 3);
    assert_int_equal(parse_text(longer, len + 3, err, sizeof err), SMS_EINVAL);
    free(longer);
    free(text);
}

/* A dump built by hand with a correct trailer, to reach the structural checks. */
static char *with_trailer(const char *body, size_t records, size_t *len)
{
    uint8_t digest[32];
    char hex[65];
    size_t blen = strlen(body);
    char *out = malloc(blen + 128);
    SHA256((const uint8_t *)body, blen, digest);
    hex_encode(digest, 32, hex);
    memcpy(out, body, blen);
    *len = blen + (size_t)snprintf(out + blen, 128, "{\"records\":%zu,\"sha256\":\"%s\"}\n", records, hex);
    return out;
}

#define HDR "{\"format\":\"iexec-sms-backup\",\"version\":1,\"created_ms\":1}\n"
/* AEAD record of 29+ bytes in base64 (the parser does not open it). */
#define B64 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define SEC(kind, owner, name, value)                                                                          \
    "{\"type\":\"secret\",\"kind\":\"" kind "\",\"owner\":\"" owner "\",\"name\":\"" name "\",\"value\":\"" value \
    "\"}\n"
#define CH(task, addr, key, deadline)                                                                              \
    "{\"type\":\"challenge\",\"task_id\":\"" task "\",\"address\":\"" addr "\",\"key\":\"" key                    \
    "\",\"final_deadline_ms\":" deadline "}\n"

static void expect_body(const char *body, size_t records, sms_status want, const char *err_part)
{
    size_t len;
    char err[256] = "";
    char *text = with_trailer(body, records, &len);
    assert_int_equal(parse_text(text, len, err, sizeof err), want);
    if (err_part != NULL) {
        if (strstr(err, err_part) == NULL) fail_msg("error '%s' lacks '%s'", err, err_part);
    }
    free(text);
}

static void test_structure_refused(void **state)
{
    (void)state;
    /* The hand-made reference is accepted. */
    expect_body(HDR SEC("web2", "0xab", "n", B64) CH("0x11", "0x22", B64, "5") CH("0x12", "0x22", B64, "null"), 3,
                SMS_OK, NULL);
    expect_body(HDR, 0, SMS_OK, NULL);

    expect_body(HDR SEC("web2", "0xab", "n", B64), 2, SMS_EINVAL, "trailer counts 2");
    expect_body("{\"format\":\"other\",\"version\":1}\n", 0, SMS_EINVAL, "line 1");
    expect_body("{\"format\":\"iexec-sms-backup\",\"version\":2}\n", 0, SMS_EINVAL, "line 1");
    expect_body("{\"format\":\"iexec-sms-backup\",\"version\":\"1\"}\n", 0, SMS_EINVAL, "line 1");
    expect_body("not json\n", 0, SMS_EINVAL, "line 1");
    expect_body(HDR SEC("web2", "0xab", "n", B64) "\n", 1, SMS_EINVAL, "line 3");
    expect_body(HDR SEC("web2", "0xab", "n", B64) SEC("web9", "0xab", "n", B64), 2, SMS_EINVAL, "line 3");
    expect_body(HDR SEC("web2", "", "n", B64), 1, SMS_EINVAL, "line 2");
    expect_body(HDR SEC("web2", "0xab", "n", "not base64!"), 1, SMS_EINVAL, "line 2");
    expect_body(HDR SEC("web2", "0xab", "n", ""), 1, SMS_EINVAL, "line 2");
    expect_body(HDR "{\"type\":\"secret\",\"kind\":\"web2\",\"owner\":\"0xab\",\"name\":\"n\"}\n", 1, SMS_EINVAL,
                "line 2");
    expect_body(HDR "{\"type\":\"secret\",\"kind\":\"web2\",\"owner\":\"0xab\",\"name\":\"n\",\"value\":\"" B64
                    "\",\"extra\":1}\n",
                1, SMS_EINVAL, "line 2");
    expect_body(HDR "{\"type\":\"secret\",\"kind\":\"web2\",\"kind\":\"web3\",\"owner\":\"0xab\",\"name\":\"n\","
                    "\"value\":\"" B64 "\"}\n",
                1, SMS_EINVAL, "line 2");
    expect_body(HDR "{\"type\":\"secret\",\"kind\":\"web2\",\"owner\":\"0x\\u0000ab\",\"name\":\"n\",\"value\":\"" B64
                    "\"}\n",
                1, SMS_EINVAL, "line 2");
    expect_body(HDR "{\"type\":\"secret\",\"kind\":\"web2\",\"owner\":7,\"name\":\"n\",\"value\":\"" B64 "\"}\n", 1,
                SMS_EINVAL, "line 2");
    expect_body(HDR "{\"type\":\"other\"}\n", 1, SMS_EINVAL, "line 2");
    expect_body(HDR "[1,2]\n", 1, SMS_EINVAL, "line 2");
    expect_body(HDR CH("0x11", "0x22", B64, "-5"), 1, SMS_EINVAL, "line 2");
    expect_body(HDR CH("0x11", "0x22", B64, "0"), 1, SMS_EINVAL, "line 2");
    expect_body(HDR CH("0x11", "0x22", B64, "\"5\""), 1, SMS_EINVAL, "line 2");
    expect_body(HDR CH("0x11", "0x22222222222222222222222222222222222222222222", B64, "5"), 1, SMS_EINVAL, "line 2");
    expect_body(HDR CH("", "0x22", B64, "5"), 1, SMS_EINVAL, "line 2");
    expect_body("", 0, SMS_EINVAL, "line 1");
}

static void test_messages_hold_no_content(void **state)
{
    (void)state;
    size_t len;
    char err[256] = "";
    char *text = with_trailer(HDR SEC("web2", "0xab", "n", "c2VjcmV0LXZhbHVl-not-b64"), 1, &len);
    assert_int_equal(parse_text(text, len, err, sizeof err), SMS_EINVAL);
    assert_null(strstr(err, "c2VjcmV0"));
    assert_null(strstr(err, "0xab"));
    free(text);
}

static void test_refuses_record_not_opening(void **state)
{
    fixture *f = *state;
    aead_key *other = NULL;
    uint8_t raw[32] = {9};

    adminfx_fill(f->fx.store, f->fx.key);
    assert_int_equal(aead_key_new(raw, sizeof raw, &other), SMS_OK);
    adminfx_put_secret(f->fx.store, other, SECRET_WEB2, ADMINFX_OWNER, "sealed-elsewhere", "x");
    assert_int_equal(backup_write(f->fx.store, f->fx.key_path, f->dump, f->dump_key, NULL), SMS_ECRYPTO);
    assert_int_equal(access(f->dump, F_OK), -1);
    assert_int_equal(access(f->dump_key, F_OK), -1);
    assert_int_equal(adminfx_count_tmp(f->out_dir), 0);
    aead_key_free(other);
}

/* A failed backup leaves the previous pair whole (key and dump still match). */
static void test_failure_keeps_previous_pair(void **state)
{
    fixture *f = *state;
    char other_key[PATH_MAX], err[256];
    size_t dump_len = 0;
    reclist l;

    adminfx_fill(f->fx.store, f->fx.key);
    assert_int_equal(backup_write(f->fx.store, f->fx.key_path, f->dump, f->dump_key, NULL), SMS_OK);
    char *dump = adminfx_read_file(f->dump, &dump_len);
    char *key = adminfx_read_file(f->dump_key, NULL);
    /* Another key file: the records do not open under it, nothing is published. */
    adminfx_path(&f->fx, "data/other.key", other_key);
    adminfx_write_file(other_key, "AAECAwQFBgcICQoLDA0ODw==", 24);
    assert_int_equal(backup_write(f->fx.store, other_key, f->dump, f->dump_key, NULL), SMS_ECRYPTO);
    char *dump2 = adminfx_read_file(f->dump, NULL);
    char *key2 = adminfx_read_file(f->dump_key, NULL);
    assert_string_equal(dump, dump2);
    assert_string_equal(key, key2);
    assert_int_equal(adminfx_count_tmp(f->out_dir), 0);
    reclist_init(&l);
    assert_int_equal(backup_read_file(f->dump, &l, err, sizeof err), SMS_OK);
    reclist_free(&l);
    free(dump);
    free(dump2);
    free(key);
    free(key2);
}

static void test_io_errors(void **state)
{
    fixture *f = *state;
    char missing[PATH_MAX], missing_key[PATH_MAX];
    reclist l;
    char err[256];

    adminfx_path(&f->fx, "nodir/backup.sql", missing);
    adminfx_path(&f->fx, "nodir/backup.sql.key", missing_key);
    assert_int_equal(backup_write(f->fx.store, f->fx.key_path, missing, missing_key, NULL), SMS_EIO);
    adminfx_path(&f->fx, "data/none.key", missing_key);
    assert_int_equal(backup_write(f->fx.store, missing_key, f->dump, f->dump_key, NULL), SMS_EIO);
    assert_int_equal(backup_write(NULL, f->fx.key_path, f->dump, f->dump_key, NULL), SMS_EINVAL);
    reclist_init(&l);
    assert_int_equal(backup_read_file(missing, &l, err, sizeof err), SMS_ENOTFOUND);
}

typedef struct {
    fixture *f;
    volatile int stop;
    int written;
} writer_ctx;

static void *writer_main(void *arg)
{
    writer_ctx *w = arg;
    char name[32];
    while (!w->stop && w->written < 5000) {
        snprintf(name, sizeof name, "n%d", w->written);
        adminfx_put_secret(w->f->fx.store, w->f->fx.key, SECRET_WEB2, ADMINFX_OWNER, name, "v");
        w->written++;
    }
    return NULL;
}

/* Backups taken while writes go on are whole snapshots: each parses, every record opens. */
static void test_consistent_while_writing(void **state)
{
    fixture *f = *state;
    writer_ctx w = {.f = f};
    pthread_t t;
    size_t prev = 0;

    adminfx_fill(f->fx.store, f->fx.key);
    assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
    for (int round = 0; round < 5; round++) {
        reclist l;
        size_t n = 0;
        char err[256] = "";
        assert_int_equal(backup_write(f->fx.store, f->fx.key_path, f->dump, f->dump_key, &n), SMS_OK);
        reclist_init(&l);
        assert_int_equal(backup_read_file(f->dump, &l, err, sizeof err), SMS_OK);
        assert_int_equal(l.n, n);
        assert_true(n >= prev && n >= ADMINFX_FILL_COUNT);
        for (size_t i = 0; i < l.n; i++) assert_int_equal(secrets_verify_record(f->fx.key, reclist_at(&l, i)), SMS_OK);
        reclist_free(&l);
        prev = n;
    }
    w.stop = 1;
    pthread_join(t, NULL);
    assert_true(w.written > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_and_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampering_refused, setup, teardown),
        cmocka_unit_test(test_structure_refused),
        cmocka_unit_test(test_messages_hold_no_content),
        cmocka_unit_test_setup_teardown(test_refuses_record_not_opening, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_keeps_previous_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consistent_while_writing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
