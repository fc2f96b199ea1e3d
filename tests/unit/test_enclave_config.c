/* App enclave configuration (tee-sessions.md 4.11): strict parse, lenient scalar coercion,
 * and the validation rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tee/task_description.h"

#define FP "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b"

static sms_status parse(const char *json, enclave_config *c) { return enclave_config_parse(json, strlen(json), c); }

static void test_full_config(void **state)
{
    (void)state;
    enclave_config c;
    assert_int_equal(parse("{\"framework\":\"SCONE\",\"version\":\"v5\",\"entrypoint\":\"python3 /app/app.py\","
                           "\"heapSize\":1073741824,\"fingerprint\":\"" FP "\"}",
                           &c),
                     SMS_OK);
    assert_int_equal(c.framework, TEE_FRAMEWORK_SCONE);
    assert_string_equal(c.version, "v5");
    assert_string_equal(c.entrypoint, "python3 /app/app.py");
    assert_int_equal(c.heap_size, 1073741824);
    assert_string_equal(c.fingerprint, FP);
    assert_true(enclave_config_valid(&c));
    enclave_config_clear(&c);
    assert_null(c.version);
    assert_null(c.fingerprint);
}

static void test_each_framework_and_alias(void **state)
{
    (void)state;
    enclave_config c;
    assert_int_equal(parse("{\"framework\":\"GRAMINE\"}", &c), SMS_OK);
    assert_int_equal(c.framework, TEE_FRAMEWORK_GRAMINE);
    enclave_config_clear(&c);
    assert_int_equal(parse("{\"framework\":\"TDX\"}", &c), SMS_OK);
    assert_int_equal(c.framework, TEE_FRAMEWORK_TDX);
    enclave_config_clear(&c);
    /* legacy alias */
    assert_int_equal(parse("{\"provider\":\"SCONE\"}", &c), SMS_OK);
    assert_int_equal(c.framework, TEE_FRAMEWORK_SCONE);
    enclave_config_clear(&c);
    /* both: the last one wins */
    assert_int_equal(parse("{\"framework\":\"SCONE\",\"provider\":\"GRAMINE\"}", &c), SMS_OK);
    assert_int_equal(c.framework, TEE_FRAMEWORK_GRAMINE);
    enclave_config_clear(&c);
    assert_int_equal(parse("{\"provider\":\"TDX\",\"framework\":\"SCONE\"}", &c), SMS_OK);
    assert_int_equal(c.framework, TEE_FRAMEWORK_SCONE);
    enclave_config_clear(&c);
    /* null framework: unset */
    assert_int_equal(parse("{\"framework\":null,\"version\":\"v1\"}", &c), SMS_OK);
    assert_int_equal(c.framework, TEE_FRAMEWORK_NONE);
    assert_string_equal(c.version, "v1");
    enclave_config_clear(&c);
}

static void test_absent_keys_default(void **state)
{
    (void)state;
    enclave_config c;
    assert_int_equal(parse("{}", &c), SMS_OK);
    assert_int_equal(c.framework, TEE_FRAMEWORK_NONE);
    assert_null(c.version);
    assert_null(c.entrypoint);
    assert_null(c.fingerprint);
    assert_int_equal(c.heap_size, 0);
    assert_false(enclave_config_valid(&c));
    enclave_config_clear(&c);
}

static void test_rejections(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                                     /* empty */
        "   ",                                  /* blank */
        "{",                                    /* invalid JSON */
        "{\"framework\":\"SCONE\"",             /* truncated */
        "not json",                             /* text */
        "[]",                                   /* not an object */
        "\"SCONE\"",                            /* scalar */
        "null",                                 /* null document */
        "42",                                   /* number */
        "{\"framework\":\"scone\"}",            /* enum is case-sensitive */
        "{\"framework\":\"SGX\"}",              /* unknown enum */
        "{\"framework\":\"\"}",                 /* empty enum */
        "{\"framework\":1}",                    /* enum as number */
        "{\"framework\":[\"SCONE\"]}",          /* enum as array */
        "{\"unknown\":1}",                      /* unknown key */
        "{\"framework\":\"SCONE\",\"Version\":\"v5\"}", /* keys are case-sensitive */
        "{\"heapsize\":1}",                     /* wrong case */
        "{\"version\":{}}",                     /* object for a string */
        "{\"entrypoint\":[\"a\"]}",             /* array for a string */
        "{\"heapSize\":\"big\"}",               /* not a number */
        "{\"heapSize\":\"12x\"}",               /* trailing garbage */
        "{\"heapSize\":true}",                  /* boolean for a number */
        "{\"heapSize\":[1]}",                   /* array for a number */
        "{\"heapSize\":1e300}",                 /* out of range */
        "{\"fingerprint\":\"" FP "\"} x",       /* trailing text */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        enclave_config c;
        memset(&c, 0x5a, sizeof c);
        sms_status st = parse(bad[i], &c);
        if (st != SMS_EINVAL) fail_msg("case %zu (%s) gave %d", i, bad[i], (int)st);
        /* cleared on failure */
        assert_null(c.version);
        assert_null(c.entrypoint);
        assert_null(c.fingerprint);
    }
}

static void test_null_and_embedded_nul(void **state)
{
    (void)state;
    enclave_config c;
    assert_int_equal(enclave_config_parse(NULL, 0, &c), SMS_EINVAL);
    static const char with_nul[] = "{\"version\":\"v5\"}\0junk";
    assert_int_equal(enclave_config_parse(with_nul, sizeof with_nul - 1, &c), SMS_EINVAL);
    /* the length is honoured: the part before the NUL alone is fine */
    assert_int_equal(enclave_config_parse(with_nul, strlen(with_nul), &c), SMS_OK);
    assert_string_equal(c.version, "v5");
    enclave_config_clear(&c);
}

static void test_scalar_coercions(void **state)
{
    (void)state;
    enclave_config c;
    assert_int_equal(parse("{\"version\":5,\"entrypoint\":true,\"fingerprint\":null,\"heapSize\":\"2048\"}", &c),
                     SMS_OK);
    assert_string_equal(c.version, "5");
    assert_string_equal(c.entrypoint, "true");
    assert_null(c.fingerprint);
    assert_int_equal(c.heap_size, 2048);
    enclave_config_clear(&c);

    assert_int_equal(parse("{\"heapSize\":\" 77 \"}", &c), SMS_OK);
    assert_int_equal(c.heap_size, 77);
    enclave_config_clear(&c);
    assert_int_equal(parse("{\"heapSize\":12.9}", &c), SMS_OK);
    assert_int_equal(c.heap_size, 12);
    enclave_config_clear(&c);
    assert_int_equal(parse("{\"heapSize\":null}", &c), SMS_OK);
    assert_int_equal(c.heap_size, 0);
    enclave_config_clear(&c);
    assert_int_equal(parse("{\"heapSize\":\"\"}", &c), SMS_OK);
    assert_int_equal(c.heap_size, 0);
    enclave_config_clear(&c);
    assert_int_equal(parse("{\"heapSize\":-5}", &c), SMS_OK);
    assert_int_equal(c.heap_size, -5);
    enclave_config_clear(&c);
    assert_int_equal(parse("{\"version\":1.5}", &c), SMS_OK);
    assert_string_equal(c.version, "1.5");
    enclave_config_clear(&c);
    /* duplicate key: the last wins */
    assert_int_equal(parse("{\"version\":\"a\",\"version\":\"b\"}", &c), SMS_OK);
    assert_string_equal(c.version, "b");
    enclave_config_clear(&c);
}

static void test_non_utf8_is_replaced(void **state)
{
    (void)state;
    enclave_config c;
    const char txt[] = "{\"entrypoint\":\"a\xff"
                       "b\"}";
    assert_int_equal(enclave_config_parse(txt, sizeof txt - 1, &c), SMS_OK);
    assert_string_equal(c.entrypoint, "a\xef\xbf\xbd"
                                      "b");
    enclave_config_clear(&c);
}

static enclave_config make(tee_framework fw, const char *entrypoint, int64_t heap, const char *fp)
{
    enclave_config c;
    memset(&c, 0, sizeof c);
    c.framework = fw;
    c.entrypoint = (char *)entrypoint;
    c.heap_size = heap;
    c.fingerprint = (char *)fp;
    return c;
}

static void test_validation(void **state)
{
    (void)state;
    enclave_config c = make(TEE_FRAMEWORK_SCONE, "/app", 1, FP);
    assert_true(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_SCONE, "/app", 1, "0x" FP); /* prefix optional */
    assert_true(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_SCONE, "/app", 1, "0X" FP); /* only lower-case 0x is a prefix */
    assert_false(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_SCONE, "/app", 1, FP "00"); /* 33 bytes */
    assert_false(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_SCONE, "/app", 1, FP + 2); /* 31 bytes */
    assert_false(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_SCONE, "/app", 1, FP + 1); /* 63 digits: odd, left-padded -> 32 bytes */
    assert_true(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_SCONE, "/app", 1, "gg4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b"); /* non-hex */
    assert_false(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_SCONE, "/app", 1, "");
    assert_false(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_SCONE, "/app", 1, NULL);
    assert_false(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_SCONE, "", 1, FP); /* empty entrypoint */
    assert_false(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_SCONE, NULL, 1, FP);
    assert_false(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_SCONE, "/app", 0, FP); /* heap must be > 0 */
    assert_false(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_SCONE, "/app", -1, FP);
    assert_false(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_TDX, NULL, 0, FP); /* only GRAMINE skips the checks */
    assert_false(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_NONE, NULL, 0, FP);
    assert_false(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_GRAMINE, NULL, 0, FP);
    assert_true(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_GRAMINE, NULL, 0, NULL); /* but the fingerprint is always checked */
    assert_false(enclave_config_valid(&c));
    c = make(TEE_FRAMEWORK_GRAMINE, NULL, 0, "abcd");
    assert_false(enclave_config_valid(&c));
    assert_false(enclave_config_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),      cmocka_unit_test(test_each_framework_and_alias),
        cmocka_unit_test(test_absent_keys_default), cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_null_and_embedded_nul), cmocka_unit_test(test_scalar_coercions),
        cmocka_unit_test(test_non_utf8_is_replaced), cmocka_unit_test(test_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
