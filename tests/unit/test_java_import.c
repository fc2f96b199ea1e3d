/* Migration from the Java SMS (src/admin/h2_script.c, java_import*.c): a dump written by
 * hand in the reference's H2 SCRIPT format (tests/unit/data/java-backup.sql, values
 * AES-128-ECB-encrypted with the key of vector V7) imports completely and its secrets are
 * then readable through the secrets service; malformed dumps, a wrong key or clashes
 * with the destination are refused with the line, and nothing is imported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin/h2_script.h"
#include "admin/java_import.h"
#include "core/secure.h"
#include "crypto/ethsig.h"
#include "crypto/legacy_ecb.h"
#include "helpers/admin_fixture.h"

#define OWNER_MIXED "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define TASK_A "0xe9a0b0d6c3f5e1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9"
#define TASK_B "0x00000000000000000000000000000000000000000000000000000000000000a1"
#define KEY_A "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define KEY_B "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
#define ADDR_A "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
#define ADDR_B "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"

typedef struct {
    adminfx fx;
    secrets_service *svc;
    char dump[PATH_MAX];     /* the reference dump */
    char java_key[PATH_MAX]; /* its key file (V7) */
    char work[PATH_MAX];     /* edited copies */
    char work_key[PATH_MAX];
    char *text;              /* the reference dump's content */
} fixture;

static void data_path(const char *name, char out[PATH_MAX])
{
    const char *src = getenv("SMS_SOURCE_DIR");
    int n;
    if (src != NULL && src[0] != '\0') {
        n = snprintf(out, PATH_MAX, "%s/tests/unit/data/%s", src, name);
    } else {
        /* Run by hand: the data sit next to this file. */
        char here[PATH_MAX];
        snprintf(here, sizeof here, "%s", __FILE__);
        char *slash = strrchr(here, '/');
        if (slash != NULL) *slash = '\0';
        n = snprintf(out, PATH_MAX, "%s/data/%s", slash != NULL ? here : ".", name);
    }
    assert_true(n > 0 && n < PATH_MAX);
}

static int group_setup(void **state)
{
    (void)state;
    return ethsig_init() == SMS_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    ethsig_cleanup();
    return 0;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    adminfx_open(&f->fx, "java-import");
    assert_int_equal(secrets_service_new(f->fx.store, f->fx.key, NULL, NULL, 100, &f->svc), SMS_OK);
    data_path("java-backup.sql", f->dump);
    data_path("java-backup.sql.key", f->java_key);
    adminfx_path(&f->fx, "edited.sql", f->work);
    adminfx_path(&f->fx, "edited.sql.key", f->work_key);
    f->text = adminfx_read_file(f->dump, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    secrets_service_free(f->svc);
    adminfx_close(&f->fx);
    free(f->text);
    free(f);
    return 0;
}

static void assert_value(secrets_service *svc, secret_kind kind, const char *owner, const char *name,
                         const char *want)
{
    uint8_t *v = NULL;
    size_t n = 0;
    sms_status st = secrets_get(svc, kind, owner, name, &v, &n);
    if (st != SMS_OK) fail_msg("secret [%d %s %s]: %s", (int)kind, owner, name, sms_status_name(st));
    assert_int_equal(n, strlen(want));
    assert_memory_equal(v, want, n);
    secure_free(v, n + 1);
}

static void assert_challenge(fixture *f, const char *task, const char *address, const char *key,
                             int64_t deadline)
{
    challenge_rec ch;
    char context[160];
    uint8_t *pt = NULL;
    size_t n = 0;
    memset(&ch, 0, sizeof ch);
    assert_int_equal(store_challenge_get(f->fx.store, task, &ch), SMS_OK);
    assert_string_equal(ch.address, address);
    assert_int_equal(ch.final_deadline_ms, deadline);
    snprintf(context, sizeof context, "%s%s", TEE_CHALLENGE_SEAL_CONTEXT_PREFIX, task);
    assert_int_equal(secrets_open(f->svc, context, ch.sealed_key, ch.sealed_key_len, &pt, &n), SMS_OK);
    assert_int_equal(n, strlen(key));
    assert_memory_equal(pt, key, n);
    secure_free(pt, n + 1);
    challenge_rec_clear(&ch);
}

static size_t store_size(sms_store *st)
{
    reclist l;
    adminfx_snapshot(st, &l);
    size_t n = l.n;
    reclist_free(&l);
    return n;
}

static void test_reference_dump_imports(void **state)
{
    fixture *f = *state;
    java_import_report rep;
    char err[512] = "", summary[512];
    int exists = 0;

    assert_int_equal(java_import_run(f->dump, f->java_key, f->fx.store, f->fx.key, &rep, err, sizeof err), SMS_OK);
    assert_int_equal(rep.rows[H2_WEB2], 4);
    assert_int_equal(rep.rows[H2_WEB3], 1);
    assert_int_equal(rep.rows[H2_COMPUTE], 3);
    assert_int_equal(rep.rows[H2_CHALLENGE], 2);
    assert_int_equal(rep.rows[H2_CREDENTIALS], 3);
    assert_int_equal(rep.web2, 4);
    assert_int_equal(rep.web3, 1);
    assert_int_equal(rep.app, 1);
    assert_int_equal(rep.requester, 2);
    assert_int_equal(rep.challenges, 2);
    assert_int_equal(rep.unused_credentials, 1);
    assert_int_equal(store_size(f->fx.store), 10);
    java_import_report_format(&rep, summary, sizeof summary);
    assert_non_null(strstr(summary, "imported 4 web2, 1 web3, 1 app developer and 2 requester secrets and 2"));

    /* Readable exactly as the API and the sessions will read them (V7 values included). */
    assert_value(f->svc, SECRET_WEB2, OWNER_MIXED, "my-api-key", "Hello, SMS!");
    assert_value(f->svc, SECRET_WEB2, ADMINFX_OWNER, "P\xc3\x84SSW\xc3\x96RD-name",
                 "p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac");
    assert_value(f->svc, SECRET_WEB2, ADDR_B, "iexec-result-iexec-result-proxy-url", "https://result-proxy.example");
    assert_value(f->svc, SECRET_WEB2, ADDR_B, "it's-blank", "");
    assert_value(f->svc, SECRET_WEB3, "0x1F9840a85d5aF5bf1D1762F925BDADdC4201F984", NULL,
                 "dataset-key-0123456789abcdef");
    assert_value(f->svc, SECRET_APP, ADMINFX_APP, SECRET_APP_INDEX, "app developer secret");
    assert_value(f->svc, SECRET_REQUESTER, "0x5b38da6a701c568545dcfcb03fcb875f56beddc4", "my-key", "requester value 1");
    assert_value(f->svc, SECRET_REQUESTER, "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4", "Other_Key-2",
                 "second requester value");
    assert_int_equal(secrets_exists(f->svc, SECRET_REQUESTER, ADMINFX_OWNER, "other_key-2", &exists), SMS_OK);
    assert_int_equal(exists, 0); /* requester keys keep their case */
    assert_int_equal(secrets_exists(f->svc, SECRET_WEB2, OWNER_MIXED, "MY-API-KEY", &exists), SMS_OK);
    assert_int_equal(exists, 1);

    /* Challenges: task id lower-cased, key re-sealed for the TEE module, deadline kept. */
    assert_challenge(f, TASK_A, ADDR_A, KEY_A, 1718184615123);
    assert_challenge(f, TASK_B, ADDR_B, KEY_B, 0);

    /* A second import clashes with the first: refused, nothing added, the clash named. */
    assert_int_equal(java_import_run(f->dump, f->java_key, f->fx.store, f->fx.key, &rep, err, sizeof err),
                     SMS_EEXISTS);
    assert_non_null(strstr(err, "already holds the web2 secret [owner:" ADMINFX_OWNER ", name:my-api-key]"));
    assert_non_null(strstr(err, "line 54"));
    assert_int_equal(store_size(f->fx.store), 10);
}

static void test_import_keeps_existing_records(void **state)
{
    fixture *f = *state;
    char err[512] = "";
    adminfx_put_secret(f->fx.store, f->fx.key, SECRET_WEB2, ADMINFX_OWNER, "already-here", "kept");
    assert_int_equal(java_import_run(f->dump, f->java_key, f->fx.store, f->fx.key, NULL, err, sizeof err), SMS_OK);
    assert_int_equal(store_size(f->fx.store), 11);
    assert_value(f->svc, SECRET_WEB2, ADMINFX_OWNER, "already-here", "kept");
}

static void test_challenge_clash_refused(void **state)
{
    fixture *f = *state;
    char err[512] = "";
    adminfx_put_challenge(f->fx.store, f->fx.key, TASK_B, ADDR_A, 5);
    assert_int_equal(java_import_run(f->dump, f->java_key, f->fx.store, f->fx.key, NULL, err, sizeof err),
                     SMS_EEXISTS);
    assert_non_null(strstr(err, "challenge of task " TASK_B));
    assert_non_null(strstr(err, "line 31"));
    assert_int_equal(store_size(f->fx.store), 1);
}

/* Writes text with `from` replaced by `to` (first occurrence) to the work file. */
static void edited(fixture *f, const char *from, const char *to)
{
    const char *at = strstr(f->text, from);
    assert_non_null(at);
    size_t head = (size_t)(at - f->text), flen = strlen(from), tlen = strlen(to), total = strlen(f->text);
    char *out = malloc(total - flen + tlen + 1);
    memcpy(out, f->text, head);
    memcpy(out + head, to, tlen);
    memcpy(out + head + tlen, at + flen, total - head - flen + 1);
    adminfx_write_file(f->work, out, strlen(out));
    free(out);
}

static void appended(fixture *f, const char *extra)
{
    size_t a = strlen(f->text), b = strlen(extra);
    char *out = malloc(a + b + 1);
    memcpy(out, f->text, a);
    memcpy(out + a, extra, b + 1);
    adminfx_write_file(f->work, out, a + b);
    free(out);
}

/* Import of the work file must fail with `want`, an error naming `line_part`, holding no
 * value, and leave the store empty. */
static void expect_refused(fixture *f, const char *key_path, sms_status want, const char *line_part,
                           const char *what_part)
{
    char err[512] = "";
    sms_status st = java_import_run(f->work, key_path, f->fx.store, f->fx.key, NULL, err, sizeof err);
    if (st != want) fail_msg("status %s, expected %s (%s)", sms_status_name(st), sms_status_name(want), err);
    if (line_part != NULL && strstr(err, line_part) == NULL) fail_msg("error '%s' lacks '%s'", err, line_part);
    if (what_part != NULL && strstr(err, what_part) == NULL) fail_msg("error '%s' lacks '%s'", err, what_part);
    assert_non_null(strstr(err, "nothing imported"));
    assert_null(strstr(err, "Jc6S8"));
    assert_null(strstr(err, "VIJgX0"));
    assert_null(strstr(err, "AAECAw"));
    assert_int_equal(store_size(f->fx.store), 0);
}

static void test_malformed_dumps_refused(void **state)
{
    fixture *f = *state;

    appended(f, "INSERT INTO \"PUBLIC\".\"web3secret\" VALUES\n('0xabc', 'unterminated);\n");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 71:", "unterminated string");
    appended(f, "INSERT INTO \"PUBLIC\".\"web3secret\" VALUES\n('0xabc');\n");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 71:", "1 values, 2 columns");
    appended(f, "INSERT INTO \"PUBLIC\".\"web3secret\" VALUES\n('0xabc', 'x', 'y');\n");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 71:", "more values");
    appended(f, "CREATE CACHED TABLE \"PUBLIC\".\"other_table\"(\n    \"x\" INTEGER\n);\n");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 70:", "unknown table");
    appended(f, "INSERT INTO \"PUBLIC\".\"web_secret\" VALUES ('a', 'b');\n");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 70:", "unknown table");
    appended(f, "DELETE FROM \"PUBLIC\".\"web3secret\";\n");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 70:", "unsupported statement");
    appended(f, "INSERT INTO \"PUBLIC\".\"web3secret\" VALUES\n('0xabc', 'x')\n");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 70:", "not terminated");
    appended(f, "/* a comment that never ends\n");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 70:", "unterminated comment");
    appended(f, "INSERT INTO \"PUBLIC\".\"web3secret\" VALUES\n('0xabc', 1.5);\n");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 71:", "integer");
    edited(f, "'VIJgX0UCJ86NIdBiJtK+usu4j3D9jeNt7m6xvlnv1QA='", "'not*base64'");
    expect_refused(f, f->java_key, SMS_ECRYPTO, "line 65:", "does not decrypt");
    edited(f, "'VIJgX0UCJ86NIdBiJtK+usu4j3D9jeNt7m6xvlnv1QA='", "'VIJgX0UCJ86NIdBiJtK+ug=='");
    expect_refused(f, f->java_key, SMS_ECRYPTO, "line 65:", "does not decrypt");
    /* A private key that is not the key of the row's address. */
    edited(f, "(TRUE, '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'",
           "(TRUE, '0x0000000000000000000000000000000000000001'");
    expect_refused(f, f->java_key, SMS_ECRYPTO, "line 18:", "not the key of its address");
    /* A challenge without its credentials. */
    edited(f, "'0b6f4a1e-8f0c-4a57-9c3e-2f8d7b1a6c90', '5e1d7c3b", "'no-such-credentials', '5e1d7c3b");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 30:", "no ethereum_credentials");
    edited(f, "'0xE9A0B0D6C3F5E1A2B4C6D8E0F1A3B5C7D9E1F3A5B7C9D1E3F5A7B9C1D3E5F7A9'", "'task-1'");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 30:", "task_id");
    /* Two rows that are one identity for this daemon (the reference was case-sensitive on
     * these only through a bug; refuse rather than pick one). */
    edited(f, "('it''s-blank', '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'",
           "('MY-API-KEY', '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 57:", "same identity as line 54");
    edited(f, "CAST(1 AS TINYINT), 'my-key'", "CAST(7 AS TINYINT), 'my-key'");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 44:", "secret_owner_role");
    edited(f, "\"owner_address\" CHARACTER VARYING(255) NOT NULL,", "\"owner\" CHARACTER VARYING(255) NOT NULL,");
    expect_refused(f, f->java_key, SMS_EINVAL, NULL, "no column owner_address");
    edited(f, "INSERT INTO \"PUBLIC\".\"web3secret\"", "INSERT INTO \"OTHER\".\"web3secret\"");
    expect_refused(f, f->java_key, SMS_EINVAL, "line 64:", "PUBLIC");
    /* A truncated dump. */
    size_t len = strlen(f->text);
    adminfx_write_file(f->work, f->text, len - 40);
    expect_refused(f, f->java_key, SMS_EINVAL, "line ", NULL);
}

static void test_wrong_key_refused(void **state)
{
    fixture *f = *state;
    char err[512] = "";
    /* Another 16-byte key; and the V7 key with the trailing newline the reference refuses. */
    adminfx_write_file(f->work, f->text, strlen(f->text));
    adminfx_write_file(f->work_key, "AQIDBAUGBwgJCgsMDQ4PEA==", 24);
    expect_refused(f, f->work_key, SMS_ECRYPTO, "line 54:", "does not decrypt");
    adminfx_write_file(f->work_key, "AAECAwQFBgcICQoLDA0ODw==\n", 25);
    expect_refused(f, f->work_key, SMS_EINVAL, NULL, "newline");
    assert_int_equal(java_import_run(f->work, "/nonexistent/key", f->fx.store, f->fx.key, NULL, err, sizeof err),
                     SMS_EIO);
    assert_int_equal(java_import_run("/nonexistent/dump", f->java_key, f->fx.store, f->fx.key, NULL, err, sizeof err),
                     SMS_ENOTFOUND);
    assert_int_equal(java_import_run(NULL, f->java_key, f->fx.store, f->fx.key, NULL, err, sizeof err), SMS_EINVAL);
}

/* Values stored in clear (is_encrypted FALSE) and an old-style dump: unquoted upper-case
 * names, column lists in another order, H2 1.4 types, comments. */
static void test_old_style_dump(void **state)
{
    fixture *f = *state;
    uint8_t key[16];
    char *enc = NULL;
    size_t enc_len = 0;
    char dump[4096];
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
    assert_int_equal(legacy_ecb_encrypt_b64(key, 16, (const uint8_t *)"old value", 9, &enc, &enc_len), SMS_OK);
    int n = snprintf(dump, sizeof dump,
                     "-- H2 1.4.200\n"
                     "CREATE USER IF NOT EXISTS SA SALT 'ab' HASH 'cd' ADMIN;\n"
                     "CREATE MEMORY TABLE PUBLIC.WEB2SECRET(ID VARCHAR(255) NOT NULL, OWNER_ADDRESS VARCHAR(255),\n"
                     "  ADDRESS VARCHAR(255), VALUE VARCHAR(8192), IS_ENCRYPTED_VALUE BOOLEAN,\n"
                     "  CONSTRAINT PK PRIMARY KEY (ID));\n"
                     "/* block\n comment */ INSERT INTO PUBLIC.WEB2SECRET(VALUE, ADDRESS, OWNER_ADDRESS, ID) VALUES\n"
                     "('%s', 'Old-Name', '0xAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'id-1');\n"
                     "create cached table ethereum_credentials(id varchar(255), private_key varchar(255),\n"
                     "  is_encrypted boolean, address varchar(255));\n"
                     "create cached table tee_challenge(id varchar(255), task_id varchar(255),\n"
                     "  final_deadline timestamp with time zone, credentials_id varchar(255));\n"
                     "insert into ethereum_credentials values ('c1', '" KEY_B "', false, '" ADDR_B "');\n"
                     "insert into tee_challenge values ('t1', '" TASK_A "',\n"
                     "  TIMESTAMP WITH TIME ZONE '2024-06-12 11:30:15+02:00', 'c1');\n"
                     "CREATE ALIAS X AS $$ String x() { return \"; '\"; } $$;\n"
                     "SET DEFAULT_LOCK_TIMEOUT 2000;\n",
                     enc);
    assert_true(n > 0 && (size_t)n < sizeof dump);
    free(enc);
    adminfx_write_file(f->work, dump, (size_t)n);
    java_import_report rep;
    char err[512] = "";
    sms_status st = java_import_run(f->work, f->java_key, f->fx.store, f->fx.key, &rep, err, sizeof err);
    if (st != SMS_OK) fail_msg("%s: %s", sms_status_name(st), err);
    assert_int_equal(rep.web2, 1);
    assert_int_equal(rep.challenges, 1);
    assert_value(f->svc, SECRET_WEB2, "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "old-name", "old value");
    assert_challenge(f, TASK_A, ADDR_B, KEY_B, 1718184615000);
}

/* ---- the H2 script reader on its own ---- */

static void parse_ok(const char *text, h2_dump *d)
{
    char err[256] = "";
    sms_status st = h2_dump_parse(text, strlen(text), d, err, sizeof err);
    if (st != SMS_OK) fail_msg("%s", err);
}

static void parse_fails(const char *text, const char *part)
{
    h2_dump d;
    char err[256] = "";
    assert_int_equal(h2_dump_parse(text, strlen(text), &d, err, sizeof err), SMS_EINVAL);
    if (strstr(err, part) == NULL) fail_msg("error '%s' lacks '%s'", err, part);
    for (int i = 0; i < H2_TABLE_COUNT; i++) assert_int_equal(d.tables[i].nrows, 0);
}

#define WEB3_TABLE "CREATE TABLE \"web3secret\"(\"address\" VARCHAR, \"value\" VARCHAR);\n"

static void test_h2_literals(void **state)
{
    (void)state;
    h2_dump d;
    parse_ok(WEB3_TABLE "INSERT INTO \"web3secret\" VALUES (U&'a\\00e9\\d83d\\de00\\+01F600\\\\b''c', 'it''s'),\n"
                        "(CAST(CAST('x' AS VARCHAR) AS CHARACTER VARYING(10)), NULL);\n",
             &d);
    h2_table *t = &d.tables[H2_WEB3];
    assert_int_equal(t->nrows, 2);
    assert_string_equal(t->rows[0].values[0].str, "a\xc3\xa9\xf0\x9f\x98\x80\xf0\x9f\x98\x80\\b'c");
    assert_string_equal(t->rows[0].values[1].str, "it's");
    assert_int_equal(t->rows[1].line, 3);
    assert_string_equal(t->rows[1].values[0].str, "x");
    assert_int_equal(t->rows[1].values[1].type, H2V_NULL);
    h2_dump_free(&d);

    parse_ok("CREATE TABLE \"tee_challenge\"(\"a\" INT, \"b\" TIMESTAMP, \"c\" BOOLEAN, \"d\" INT);\n"
             "INSERT INTO \"tee_challenge\" (\"d\", \"b\") OVERRIDING SYSTEM VALUE VALUES\n"
             "(-12, TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:01.5-01:30'),\n"
             "(CAST(7 AS TINYINT), TIMESTAMP '2024-02-29T23:59:59Z');\n",
             &d);
    t = &d.tables[H2_CHALLENGE];
    assert_int_equal(t->rows[0].values[3].num, -12);
    assert_int_equal(t->rows[0].values[1].type, H2V_TIMESTAMP);
    assert_int_equal(t->rows[0].values[1].num, 1500 + 5400000);
    assert_int_equal(t->rows[0].values[0].type, H2V_NULL);
    assert_int_equal(t->rows[1].values[3].num, 7);
    assert_int_equal(t->rows[1].values[1].num, 1709251199000);
    h2_dump_free(&d);
}

static void test_h2_refusals(void **state)
{
    (void)state;
    parse_fails("SELECT 1;\n", "line 1: unsupported statement");
    parse_fails("INSERT INTO \"web3secret\" VALUES ('a', 'b');\n", "before its CREATE TABLE");
    parse_fails(WEB3_TABLE WEB3_TABLE, "line 2: table web3secret defined twice");
    parse_fails(WEB3_TABLE "INSERT INTO \"web3secret\" VALUES (U&'\\0000', 'b');\n", "line 2: malformed string");
    parse_fails(WEB3_TABLE "INSERT INTO \"web3secret\" VALUES (U&'\\d800', 'b');\n", "line 2: malformed string");
    parse_fails(WEB3_TABLE "INSERT INTO \"web3secret\" VALUES (U&'\\zz', 'b');\n", "line 2: malformed string");
    parse_fails(WEB3_TABLE "INSERT INTO \"web3secret\" VALUES (U&'x' UESCAPE '!', 'b');\n", "UESCAPE");
    parse_fails(WEB3_TABLE "INSERT INTO \"web3secret\" VALUES (X'00', 'b');\n", "unsupported value");
    parse_fails(WEB3_TABLE "INSERT INTO \"web3secret\" VALUES ('a', TIMESTAMP '2024-13-01 00:00:00');\n",
                "malformed timestamp");
    parse_fails(WEB3_TABLE "INSERT INTO \"web3secret\" VALUES ('a', 99999999999999999999);\n", "out of range");
    parse_fails(WEB3_TABLE "INSERT INTO \"web3secret\"(\"address\", \"address\") VALUES ('a', 'b');\n", "twice");
    parse_fails(WEB3_TABLE "INSERT INTO \"web3secret\"(\"nope\") VALUES ('a');\n", "unknown column");
    parse_fails(WEB3_TABLE "INSERT INTO \"web3secret\" VALUES (CAST(CAST(CAST(CAST(CAST(CAST(CAST(CAST(CAST("
                           "'a' AS INT) AS INT) AS INT) AS INT) AS INT) AS INT) AS INT) AS INT) AS INT), 'b');\n",
                "nested too deeply");
    parse_fails("CREATE TABLE \"web3secret\"(\"a\" INT, \"a\" INT);\n", "column defined twice");
    parse_fails("CREATE TABLE \"web3secret\"(\n\"a\" INT", "line 2: unterminated column list");
    parse_fails("\n\"abc", "line 2: unterminated quoted identifier");
    parse_fails("\n\n'abc", "line 3: unterminated string");
    parse_fails("CREATE TABLE x.\"web3secret\"(\"a\" INT);\n", "PUBLIC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reference_dump_imports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_keeps_existing_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_challenge_clash_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_dumps_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_key_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_style_dump, setup, teardown),
        cmocka_unit_test(test_h2_literals),
        cmocka_unit_test(test_h2_refusals),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
