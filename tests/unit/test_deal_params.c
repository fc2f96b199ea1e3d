/* Deal params (tee-sessions.md 4.12): every documented key, the fallback rule (the whole
 * text becomes iexec_args) and the lenient scalar coercions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tee/task_description.h"

static void parse(const char *raw, deal_params *p) { assert_int_equal(deal_params_parse(raw, strlen(raw), p), SMS_OK); }

/* Asserts that raw fell back: iexec_args == raw, everything else at its default. */
static void assert_fallback(const char *raw)
{
    deal_params p;
    parse(raw, &p);
    if (p.iexec_args == NULL || strcmp(p.iexec_args, raw) != 0) fail_msg("no fallback for %s", raw);
    assert_int_equal(p.n_input_files, 0);
    assert_null(p.input_files);
    assert_int_equal(p.result_encryption, 0);
    assert_null(p.storage_provider);
    assert_null(p.storage_proxy);
    assert_int_equal(p.n_secrets, 0);
    assert_string_equal(p.bulk_cid, "");
    assert_int_equal(p.absent, 0);
    deal_params_clear(&p);
}

static void test_every_key(void **state)
{
    (void)state;
    deal_params p;
    parse("{\"iexec_args\":\"--verbose 1\",\"iexec_input_files\":[\"https://a/x.csv\",\"https://b/y\"],"
          "\"iexec_result_encryption\":true,\"iexec_result_storage_provider\":\"dropbox\","
          "\"iexec_result_storage_proxy\":\"https://proxy\",\"iexec_secrets\":{\"1\":\"my-key\",\"2\":\"other\"},"
          "\"bulk_cid\":\"QmBulk\"}",
          &p);
    assert_string_equal(p.iexec_args, "--verbose 1");
    assert_int_equal(p.n_input_files, 2);
    assert_string_equal(p.input_files[0], "https://a/x.csv");
    assert_string_equal(p.input_files[1], "https://b/y");
    assert_int_equal(p.result_encryption, 1);
    assert_string_equal(p.storage_provider, "dropbox");
    assert_string_equal(p.storage_proxy, "https://proxy");
    assert_int_equal(p.n_secrets, 2);
    assert_string_equal(p.secrets[0].index, "1");
    assert_string_equal(p.secrets[0].name, "my-key");
    assert_string_equal(p.secrets[1].index, "2");
    assert_string_equal(p.secrets[1].name, "other");
    assert_string_equal(p.bulk_cid, "QmBulk");
    assert_int_equal(p.absent, 0);
    deal_params_clear(&p);
    assert_null(p.iexec_args);
    assert_null(p.bulk_cid);
}

static void test_defaults(void **state)
{
    (void)state;
    deal_params p;
    parse("{}", &p);
    assert_null(p.iexec_args);
    assert_int_equal(p.n_input_files, 0);
    assert_int_equal(p.result_encryption, 0);
    assert_null(p.storage_provider);
    assert_null(p.storage_proxy);
    assert_int_equal(p.n_secrets, 0);
    assert_string_equal(p.bulk_cid, "");
    deal_params_clear(&p);

    /* typical SDK output */
    parse("{\"iexec_result_storage_provider\":\"ipfs\",\"iexec_result_storage_proxy\":\"https://r\","
          "\"iexec_result_encryption\":false}",
          &p);
    assert_string_equal(p.storage_provider, "ipfs");
    assert_string_equal(p.storage_proxy, "https://r");
    assert_int_equal(p.result_encryption, 0);
    assert_null(p.iexec_args);
    deal_params_clear(&p);
}

static void test_storage_proxy_empty_is_kept(void **state)
{
    (void)state;
    deal_params p;
    parse("{\"iexec_result_storage_proxy\":\"\"}", &p);
    assert_non_null(p.storage_proxy);
    assert_string_equal(p.storage_proxy, "");
    deal_params_clear(&p);
    parse("{\"iexec_result_storage_proxy\":null}", &p);
    assert_null(p.storage_proxy);
    deal_params_clear(&p);
}

static void test_fallbacks(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "",                                             /* empty string */
        "   ",                                          /* blank */
        "--verbose 42",                                 /* plain arguments */
        "not json {",                                   /* not JSON */
        "[\"a\"]",                                      /* array */
        "[]",                                           /* empty array */
        "\"text\"",                                     /* JSON string */
        "42",                                           /* number */
        "true",                                         /* boolean */
        "{\"iexec_args\":\"x\"",                        /* truncated */
        "{\"iexec_args\":\"x\",\"typo\":1}",            /* unknown key */
        "{\"IEXEC_ARGS\":\"x\"}",                       /* keys are case-sensitive */
        "{\"iexec_result_encryption\":true,\"iexec_result_storage_providr\":\"ipfs\"}", /* typo disables it all */
        "{\"iexec_args\":{}}",                          /* object for a string */
        "{\"iexec_args\":[\"a\"]}",                     /* array for a string */
        "{\"iexec_input_files\":\"https://a\"}",        /* string for a list */
        "{\"iexec_input_files\":\"\"}",                 /* empty string for a list */
        "{\"iexec_input_files\":{}}",                   /* object for a list */
        "{\"iexec_input_files\":[[\"a\"]]}",            /* nested list */
        "{\"iexec_input_files\":[{}]}",                 /* object element */
        "{\"iexec_input_files\":[null]}",               /* null element */
        "{\"iexec_result_encryption\":\"yes\"}",        /* not a boolean word */
        "{\"iexec_result_encryption\":1.5}",            /* real for a boolean */
        "{\"iexec_result_encryption\":[]}",             /* array for a boolean */
        "{\"iexec_result_encryption\":{}}",             /* object for a boolean */
        "{\"iexec_secrets\":[\"a\"]}",                  /* array for a map */
        "{\"iexec_secrets\":\"1\"}",                    /* string for a map */
        "{\"iexec_secrets\":{\"1\":{}}}",               /* object value */
        "{\"iexec_secrets\":{\"1\":[\"k\"]}}",          /* array value */
        "{\"bulk_cid\":[]}",                            /* array for a string */
        "{\"iexec_result_storage_provider\":{}}",       /* object for a string */
        "{\"iexec_result_storage_proxy\":[]}",          /* array for a string */
        "{'iexec_args':'x'}",                           /* single quotes are not JSON */
        "{\"iexec_args\":\"x\",}",                      /* trailing comma */
        "nullx",                                        /* not the null literal */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) assert_fallback(cases[i]);
}

static void test_fallback_keeps_raw_bytes(void **state)
{
    (void)state;
    deal_params p;
    /* NUL and invalid UTF-8 become U+FFFD, like the reference's decoding of the string. */
    static const char raw[] = "a\0b\xff";
    assert_int_equal(deal_params_parse(raw, sizeof raw - 1, &p), SMS_OK);
    assert_string_equal(p.iexec_args, "a\xef\xbf\xbd"
                                      "b\xef\xbf\xbd");
    deal_params_clear(&p);
    assert_int_equal(deal_params_parse(NULL, 0, &p), SMS_OK);
    assert_string_equal(p.iexec_args, "");
    deal_params_clear(&p);
    /* UTF-8 inside JSON survives */
    parse("{\"iexec_args\":\"caf\xc3\xa9 \\u00e9\"}", &p);
    assert_string_equal(p.iexec_args, "caf\xc3\xa9 \xc3\xa9");
    deal_params_clear(&p);
}

static void test_boolean_coercions(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        int expected;
    } cases[] = {{"true", 1},      {"false", 0},     {"null", 0},    {"\"true\"", 1}, {"\"True\"", 1},
                 {"\"TRUE\"", 1},  {"\"false\"", 0}, {"\"False\"", 0}, {"\"FALSE\"", 0}, {"\"\"", 0},
                 {"\"null\"", 0},  {"1", 1},         {"0", 0},       {"-3", 1}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char raw[128];
        deal_params p;
        snprintf(raw, sizeof raw, "{\"iexec_result_encryption\":%s}", cases[i].v);
        parse(raw, &p);
        if (p.iexec_args != NULL) fail_msg("%s fell back", raw);
        assert_int_equal(p.result_encryption, cases[i].expected);
        deal_params_clear(&p);
    }
}

static void test_string_coercions(void **state)
{
    (void)state;
    deal_params p;
    parse("{\"iexec_args\":42,\"iexec_result_storage_provider\":true,\"iexec_result_storage_proxy\":-7,"
          "\"bulk_cid\":12,\"iexec_input_files\":[1,false,\"u\"],\"iexec_secrets\":{\"1\":5,\"2\":null}}",
          &p);
    assert_string_equal(p.iexec_args, "42");
    assert_string_equal(p.storage_provider, "true");
    assert_string_equal(p.storage_proxy, "-7");
    assert_string_equal(p.bulk_cid, "12");
    assert_int_equal(p.n_input_files, 3);
    assert_string_equal(p.input_files[0], "1");
    assert_string_equal(p.input_files[1], "false");
    assert_string_equal(p.input_files[2], "u");
    assert_int_equal(p.n_secrets, 2);
    assert_string_equal(p.secrets[0].name, "5");
    assert_string_equal(p.secrets[1].name, ""); /* null name: kept, fails generation later */
    deal_params_clear(&p);

    parse("{\"iexec_args\":1.5}", &p);
    assert_string_equal(p.iexec_args, "1.5");
    deal_params_clear(&p);

    /* null means default */
    parse("{\"iexec_args\":null,\"iexec_input_files\":null,\"iexec_secrets\":null,\"bulk_cid\":null,"
          "\"iexec_result_storage_provider\":null}",
          &p);
    assert_null(p.iexec_args);
    assert_int_equal(p.n_input_files, 0);
    assert_int_equal(p.n_secrets, 0);
    assert_string_equal(p.bulk_cid, "");
    assert_null(p.storage_provider);
    deal_params_clear(&p);
}

static void test_secrets_map(void **state)
{
    (void)state;
    deal_params p;
    /* indices are kept as written, whatever they are (validated at session time) */
    parse("{\"iexec_secrets\":{\"0\":\"a\",\"-1\":\"b\",\"abc\":\"c\",\"01\":\"d\",\"1\":\"a\"}}", &p);
    assert_int_equal(p.n_secrets, 5);
    assert_string_equal(p.secrets[0].index, "0");
    assert_string_equal(p.secrets[2].index, "abc");
    assert_string_equal(p.secrets[3].index, "01");
    assert_string_equal(p.secrets[4].name, "a");
    deal_params_clear(&p);
    parse("{\"iexec_secrets\":{}}", &p);
    assert_int_equal(p.n_secrets, 0);
    deal_params_clear(&p);
    /* duplicate key: last value wins */
    parse("{\"iexec_secrets\":{\"1\":\"x\",\"1\":\"y\"}}", &p);
    assert_int_equal(p.n_secrets, 1);
    assert_string_equal(p.secrets[0].name, "y");
    deal_params_clear(&p);
}

static void test_input_files(void **state)
{
    (void)state;
    deal_params p;
    parse("{\"iexec_input_files\":[]}", &p);
    assert_int_equal(p.n_input_files, 0);
    deal_params_clear(&p);
    parse("{\"iexec_input_files\":[\"a\"],\"iexec_input_files\":[\"b\",\"c\"]}", &p);
    assert_int_equal(p.n_input_files, 2);
    assert_string_equal(p.input_files[0], "b");
    deal_params_clear(&p);
}

static void test_null_document(void **state)
{
    (void)state;
    deal_params p;
    parse("null", &p);
    assert_int_equal(p.absent, 1);
    assert_null(p.iexec_args);
    deal_params_clear(&p);
    parse("  null  ", &p);
    assert_int_equal(p.absent, 1);
    deal_params_clear(&p);
}

static void test_trailing_text_ignored(void **state)
{
    (void)state;
    deal_params p;
    /* Jackson stops after the first value */
    parse("{\"iexec_args\":\"a\"} trailing", &p);
    assert_string_equal(p.iexec_args, "a");
    deal_params_clear(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_key),         cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_storage_proxy_empty_is_kept), cmocka_unit_test(test_fallbacks),
        cmocka_unit_test(test_fallback_keeps_raw_bytes), cmocka_unit_test(test_boolean_coercions),
        cmocka_unit_test(test_string_coercions),  cmocka_unit_test(test_secrets_map),
        cmocka_unit_test(test_input_files),       cmocka_unit_test(test_null_document),
        cmocka_unit_test(test_trailing_text_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
