/* Spring-style cron parsing and next-fire computation (src/config/cron.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "config/cron.h"

/* Epoch milliseconds of a UTC civil time. */
static int64_t utc_ms(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm) * 1000;
}

static cron_schedule parse_ok(const char *expr)
{
    cron_schedule s;
    char err[160] = "";
    sms_status st = cron_parse_ex(expr, &s, err, sizeof err);
    if (st != SMS_OK) fail_msg("'%s' rejected: %s", expr, err);
    return s;
}

static int64_t next_of(const char *expr, int64_t after)
{
    cron_schedule s = parse_ok(expr);
    return cron_next_ms(&s, after);
}

static void test_macros_expand_like_spring(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"@yearly", "0 0 0 1 1 *"},  {"@annually", "0 0 0 1 1 *"}, {"@monthly", "0 0 0 1 * *"},
        {"@weekly", "0 0 0 * * 0"},  {"@daily", "0 0 0 * * *"},    {"@midnight", "0 0 0 * * *"},
        {"@hourly", "0 0 * * * *"},  {"@HOURLY", "0 0 * * * *"},   {"  @daily \t", "0 0 0 * * *"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        cron_schedule a = parse_ok(pairs[i][0]);
        cron_schedule b = parse_ok(pairs[i][1]);
        assert_memory_equal(&a, &b, sizeof a);
    }
}

static void test_field_bits(void **state)
{
    (void)state;
    cron_schedule s = parse_ok("5/20 0-10/5,30 9-17/2 1,15 JAN,jul ?");
    assert_int_equal(s.seconds, (1ull << 5) | (1ull << 25) | (1ull << 45));
    assert_int_equal(s.minutes, (1ull << 0) | (1ull << 5) | (1ull << 10) | (1ull << 30));
    assert_int_equal(s.hours, (1u << 9) | (1u << 11) | (1u << 13) | (1u << 15) | (1u << 17));
    assert_int_equal(s.days_of_month, (1u << 1) | (1u << 15));
    assert_int_equal(s.months, (1u << 1) | (1u << 7));
    assert_int_equal(s.days_of_week, 0x7f);

    /* 0 and 7 are both Sunday; MON=1 ... SUN=7 as in Spring. */
    cron_schedule sun0 = parse_ok("0 0 0 * * 0");
    cron_schedule sun7 = parse_ok("0 0 0 * * 7");
    cron_schedule sunn = parse_ok("0 0 0 * * sun");
    assert_int_equal(sun0.days_of_week, 1);
    assert_int_equal(sun7.days_of_week, 1);
    assert_int_equal(sunn.days_of_week, 1);
    cron_schedule wk = parse_ok("0 0 0 ? * MON-FRI");
    assert_int_equal(wk.days_of_week, 0x3e);
    cron_schedule all = parse_ok("* * * * * *");
    assert_int_equal(all.seconds, (1ull << 60) - 1);
    assert_int_equal(all.days_of_month, 0xfffffffeu);
    assert_int_equal(all.months, 0x1ffe);
}

static void test_next_hourly(void **state)
{
    (void)state;
    int64_t t = utc_ms(2024, 1, 1, 10, 15, 0);
    assert_int_equal(next_of("@hourly", t), utc_ms(2024, 1, 1, 11, 0, 0));
    /* Strictly after: exactly on a fire time gives the next one. */
    assert_int_equal(next_of("@hourly", utc_ms(2024, 1, 1, 11, 0, 0)), utc_ms(2024, 1, 1, 12, 0, 0));
    assert_int_equal(next_of("@hourly", utc_ms(2024, 1, 1, 10, 59, 59) + 999), utc_ms(2024, 1, 1, 11, 0, 0));
    assert_int_equal(next_of("@hourly", utc_ms(2024, 12, 31, 23, 30, 0)), utc_ms(2025, 1, 1, 0, 0, 0));
}

static void test_next_calendar(void **state)
{
    (void)state;
    int64_t t = utc_ms(2024, 1, 1, 10, 15, 0); /* a Monday */
    assert_int_equal(next_of("@daily", t), utc_ms(2024, 1, 2, 0, 0, 0));
    assert_int_equal(next_of("@weekly", t), utc_ms(2024, 1, 7, 0, 0, 0));
    assert_int_equal(next_of("@monthly", t), utc_ms(2024, 2, 1, 0, 0, 0));
    assert_int_equal(next_of("@yearly", t), utc_ms(2025, 1, 1, 0, 0, 0));
    assert_int_equal(next_of("*/15 * * * * *", t), utc_ms(2024, 1, 1, 10, 15, 15));
    assert_int_equal(next_of("0 30 9-17/2 * * MON-FRI", utc_ms(2024, 1, 5, 17, 31, 0)), utc_ms(2024, 1, 8, 9, 30, 0));
    assert_int_equal(next_of("0 0 12 * JUL ?", t), utc_ms(2024, 7, 1, 12, 0, 0));
    /* Spring semantics: day-of-month AND day-of-week. */
    assert_int_equal(next_of("0 0 0 13 * FRI", t), utc_ms(2024, 9, 13, 0, 0, 0));
    assert_int_equal(next_of("0 0 0 13 * FRI", utc_ms(2024, 12, 13, 0, 0, 0)), utc_ms(2025, 6, 13, 0, 0, 0));
    /* Leap days, including a leap day that must also be a Monday. */
    assert_int_equal(next_of("0 0 0 29 2 *", utc_ms(2024, 3, 1, 0, 0, 0)), utc_ms(2028, 2, 29, 0, 0, 0));
    assert_int_equal(next_of("0 0 0 29 2 MON", utc_ms(2016, 3, 1, 0, 0, 0)), utc_ms(2044, 2, 29, 0, 0, 0));
    assert_int_equal(next_of("0 0 0 31 * *", utc_ms(2024, 4, 1, 0, 0, 0)), utc_ms(2024, 5, 31, 0, 0, 0));
    assert_int_equal(next_of("59 59 23 31 12 *", 0), utc_ms(1970, 12, 31, 23, 59, 59));
}

static void test_next_out_of_range(void **state)
{
    (void)state;
    cron_schedule s = parse_ok("@hourly");
    assert_int_equal(cron_next_ms(&s, -1), -1);
    assert_int_equal(cron_next_ms(&s, utc_ms(9999, 12, 31, 23, 30, 0)), -1);
    assert_int_equal(cron_next_ms(&s, INT64_MAX), -1);
    assert_int_equal(cron_next_ms(NULL, 0), -1);
    assert_int_equal(cron_next_ms(&s, utc_ms(9999, 12, 31, 22, 30, 0)), utc_ms(9999, 12, 31, 23, 0, 0));
}

/* Naive reference: scan second by second with gmtime_r. */
static int matches(const cron_schedule *s, time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    return (s->seconds >> tm.tm_sec & 1) && (s->minutes >> tm.tm_min & 1) && (s->hours >> tm.tm_hour & 1) &&
           (s->days_of_month >> tm.tm_mday & 1) && (s->months >> (tm.tm_mon + 1) & 1) &&
           (s->days_of_week >> tm.tm_wday & 1);
}

static void test_next_against_naive_scan(void **state)
{
    (void)state;
    static const char *const exprs[] = {"0 */7 * * * *", "13 5 3,15 * * *", "*/20 59 23 * * SAT,SUN",
                                        "0 0 6-8 1-7 * MON"};
    static const int64_t horizon_s[] = {3600, 86400, 8 * 86400, 40 * 86400};
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t e = 0; e < sizeof exprs / sizeof exprs[0]; e++) {
        cron_schedule s = parse_ok(exprs[e]);
        for (int k = 0; k < 6; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            int64_t after = utc_ms(2023, 1, 1, 0, 0, 0) + (int64_t)(x % (3ull * 365 * 86400 * 1000));
            int64_t got = cron_next_ms(&s, after);
            int64_t t = after / 1000 + 1, want = -1;
            for (int64_t i = 0; i < horizon_s[e] && want < 0; i++) {
                if (matches(&s, (time_t)(t + i))) want = (t + i) * 1000;
            }
            if (want >= 0) assert_int_equal(got, want);
        }
    }
}

static void test_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "   ",
        "0 * * * *",          /* Unix 5-field form */
        "0 0 0 * * * 2024",   /* Quartz year field */
        "60 * * * * *",
        "* 60 * * * *",
        "* * 24 * * *",
        "* * * 0 * *",
        "* * * 32 * *",
        "* * * * 0 *",
        "* * * * 13 *",
        "* * * * * 8",
        "? * * * * *",
        "* * * ?/2 * *",
        "*/0 * * * * *",
        "5-1 * * * * *",
        "SUN-SAT * * * * *",
        "0 0 0 * * SUN-SAT",  /* Spring: SUN=7 > SAT=6 */
        "0 0 0 L * *",
        "0 0 0 15W * *",
        "0 0 0 ? * 5#2",
        "0 0 0 ? * 5L",
        "a * * * * *",
        "1,,2 * * * * *",
        ", * * * * *",
        "1- * * * * *",
        "-1 * * * * *",
        "1/ * * * * *",
        "0 0 0 * FOO *",
        "0 0 0 * * FRIDAY",
        "@often",
        "@",
        "0 0 0 31 2,4 *",     /* can never fire */
        "0 0 0 30,31 2 *",
        "99999999999 * * * * *",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cron_schedule s;
        memset(&s, 0xab, sizeof s);
        cron_schedule before = s;
        if (cron_parse(bad[i], &s) != SMS_EINVAL) fail_msg("'%s' accepted", bad[i]);
        assert_memory_equal(&s, &before, sizeof s); /* untouched on failure */
    }
    cron_schedule s;
    assert_int_equal(cron_parse(NULL, &s), SMS_EINVAL);
    assert_int_equal(cron_parse("@hourly", NULL), SMS_EINVAL);
    char long_expr[400];
    memset(long_expr, '1', sizeof long_expr - 1);
    long_expr[sizeof long_expr - 1] = '\0';
    assert_int_equal(cron_parse(long_expr, &s), SMS_EINVAL);
    /* Still valid: 31 exists in January. */
    assert_int_equal(cron_parse("0 0 0 31 1,2 *", &s), SMS_OK);
    assert_int_equal(cron_parse("0 0 0 29 2 *", &s), SMS_OK);
}

static void test_error_reasons(void **state)
{
    (void)state;
    cron_schedule s;
    char err[160];
    assert_int_equal(cron_parse_ex("0 * * * *", &s, err, sizeof err), SMS_EINVAL);
    assert_non_null(strstr(err, "6 fields needed"));
    assert_non_null(strstr(err, "found 5"));
    assert_int_equal(cron_parse_ex("0 0 25 * * *", &s, err, sizeof err), SMS_EINVAL);
    assert_non_null(strstr(err, "hour"));
    assert_int_equal(cron_parse_ex("0 0 0 L * *", &s, err, sizeof err), SMS_EINVAL);
    assert_non_null(strstr(err, "not supported"));
    assert_int_equal(cron_parse_ex("0 0 0 30 2 *", &s, err, sizeof err), SMS_EINVAL);
    assert_non_null(strstr(err, "never"));
    /* Small buffers stay terminated; NULL buffers are allowed. */
    char tiny[4];
    assert_int_equal(cron_parse_ex("x", &s, tiny, sizeof tiny), SMS_EINVAL);
    assert_int_equal(strlen(tiny), 3);
    assert_int_equal(cron_parse_ex("x", &s, NULL, 0), SMS_EINVAL);
    /* Success clears the buffer. */
    snprintf(err, sizeof err, "stale");
    assert_int_equal(cron_parse_ex("@daily", &s, err, sizeof err), SMS_OK);
    assert_string_equal(err, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_macros_expand_like_spring),
        cmocka_unit_test(test_field_bits),
        cmocka_unit_test(test_next_hourly),
        cmocka_unit_test(test_next_calendar),
        cmocka_unit_test(test_next_out_of_range),
        cmocka_unit_test(test_next_against_naive_scan),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_error_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
