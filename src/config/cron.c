/* Spring-style six-field cron expressions; see cron.h for the accepted syntax. */
#include "config/cron.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CRON_MAX_EXPR 256

typedef struct {
    const char *label;
    int min;
    int max;
    const char *const *names; /* 3-letter names, value = index + names_base; NULL if none */
    int names_base;
    size_t n_names;
    int allow_question; /* '?' accepted as '*' (day fields only, as in Spring) */
} field_spec;

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
/* Spring numbers named weekdays MON=1 .. SUN=7; the numeric 0 is Sunday too. */
static const char *const dow_names[] = {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};

static const field_spec fields[6] = {
    {"second", 0, 59, NULL, 0, 0, 0},
    {"minute", 0, 59, NULL, 0, 0, 0},
    {"hour", 0, 23, NULL, 0, 0, 0},
    {"day-of-month", 1, 31, NULL, 0, 0, 1},
    {"month", 1, 12, month_names, 1, 12, 0},
    {"day-of-week", 0, 7, dow_names, 1, 7, 1},
};

static const struct {
    const char *macro;
    const char *expr;
} macros[] = {
    {"@yearly", "0 0 0 1 1 *"}, {"@annually", "0 0 0 1 1 *"}, {"@monthly", "0 0 0 1 * *"},
    {"@weekly", "0 0 0 * * 0"}, {"@daily", "0 0 0 * * *"},    {"@midnight", "0 0 0 * * *"},
    {"@hourly", "0 0 * * * *"},
};

static void set_err(char *err, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errcap, const char *fmt, ...)
{
    if (err == NULL || errcap == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
}

/* One value of a field: a number or, for month/day-of-week, a 3-letter name. */
static sms_status parse_value(const char *tok, size_t len, const field_spec *f, int *out, char *err, size_t errcap)
{
    sms_status st = SMS_EINVAL;
    int v = -1;
    if (len == 0) {
        set_err(err, errcap, "empty value in the %s field", f->label);
        goto cleanup;
    }
    if (isdigit((unsigned char)tok[0])) {
        v = 0;
        for (size_t i = 0; i < len && v >= 0; i++) {
            v = (isdigit((unsigned char)tok[i]) && v <= 1000) ? v * 10 + (tok[i] - '0') : -1;
        }
    } else {
        for (size_t i = 0; f->names != NULL && i < f->n_names; i++) {
            if (len == 3 && strncasecmp(tok, f->names[i], 3) == 0) v = (int)i + f->names_base;
        }
    }
    if (v < 0) {
        int quartz = memchr(tok, '#', len) != NULL || memchr(tok, 'L', len) != NULL ||
                     memchr(tok, 'W', len) != NULL;
        set_err(err, errcap, "invalid value '%.*s' in the %s field%s", (int)(len > 16 ? 16 : len), tok, f->label,
                quartz ? " (Quartz extensions L, W and # are not supported)" : "");
        goto cleanup;
    }
    if (v < f->min || v > f->max) {
        set_err(err, errcap, "value %d out of range %d-%d in the %s field", v, f->min, f->max, f->label);
        goto cleanup;
    }
    *out = v;
    st = SMS_OK;
cleanup:
    return st;
}

/* One comma-separated item: '*', '?', N, A-B, with an optional /STEP. */
static sms_status parse_item(const char *tok, size_t len, const field_spec *f, uint64_t *bits, char *err,
                             size_t errcap)
{
    sms_status st = SMS_EINVAL;
    const char *slash = memchr(tok, '/', len);
    size_t range_len = slash != NULL ? (size_t)(slash - tok) : len;
    int lo = 0, hi = 0, step = 1;

    if (slash != NULL) {
        const char *s = slash + 1;
        size_t slen = len - range_len - 1;
        if (slen == 0 || slen > 4) {
            set_err(err, errcap, "invalid step in the %s field", f->label);
            goto cleanup;
        }
        step = 0;
        for (size_t i = 0; i < slen; i++) {
            if (!isdigit((unsigned char)s[i])) {
                set_err(err, errcap, "invalid step in the %s field", f->label);
                goto cleanup;
            }
            step = step * 10 + (s[i] - '0');
        }
        if (step == 0) {
            set_err(err, errcap, "step must be at least 1 in the %s field", f->label);
            goto cleanup;
        }
    }
    if (range_len == 1 && (tok[0] == '*' || tok[0] == '?')) {
        if (tok[0] == '?' && (!f->allow_question || slash != NULL)) {
            set_err(err, errcap, "'?' is only allowed alone in the day-of-month and day-of-week fields");
            goto cleanup;
        }
        lo = f->min;
        hi = f->max;
    } else {
        const char *dash = memchr(tok, '-', range_len);
        if (dash != NULL) {
            size_t alen = (size_t)(dash - tok);
            if (parse_value(tok, alen, f, &lo, err, errcap) != SMS_OK) goto cleanup;
            if (parse_value(dash + 1, range_len - alen - 1, f, &hi, err, errcap) != SMS_OK) goto cleanup;
            if (lo > hi) {
                set_err(err, errcap, "range %d-%d is reversed in the %s field", lo, hi, f->label);
                goto cleanup;
            }
        } else {
            if (parse_value(tok, range_len, f, &lo, err, errcap) != SMS_OK) goto cleanup;
            /* Spring: "N/S" runs from N to the field maximum. */
            hi = slash != NULL ? f->max : lo;
        }
    }
    for (int v = lo; v <= hi; v += step) *bits |= (uint64_t)1 << v;
    st = SMS_OK;
cleanup:
    return st;
}

static sms_status parse_field(const char *tok, size_t len, const field_spec *f, uint64_t *bits, char *err,
                              size_t errcap)
{
    sms_status st = SMS_EINVAL;
    size_t start = 0;
    *bits = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && tok[i] != ',') continue;
        if (i == start) {
            set_err(err, errcap, "empty list item in the %s field", f->label);
            st = SMS_EINVAL;
            goto cleanup;
        }
        st = parse_item(tok + start, i - start, f, bits, err, errcap);
        if (st != SMS_OK) goto cleanup;
        start = i + 1;
    }
    st = SMS_OK;
cleanup:
    return st;
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, unsigned m)
{
    static const int dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m];
}

sms_status cron_parse_ex(const char *expr, cron_schedule *out, char *err, size_t errcap)
{
    sms_status st = SMS_EINVAL;
    char buf[CRON_MAX_EXPR];
    cron_schedule s;
    uint64_t bits[6];
    size_t n = 0;

    if (err != NULL && errcap > 0) err[0] = '\0';
    if (expr == NULL || out == NULL) {
        set_err(err, errcap, "no expression");
        goto cleanup;
    }
    while (isspace((unsigned char)*expr)) expr++;
    size_t len = strlen(expr);
    while (len > 0 && isspace((unsigned char)expr[len - 1])) len--;
    if (len == 0 || len >= sizeof buf) {
        set_err(err, errcap, len == 0 ? "empty expression" : "expression too long");
        goto cleanup;
    }
    memcpy(buf, expr, len);
    buf[len] = '\0';
    if (buf[0] == '@') {
        const char *found = NULL;
        for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++) {
            if (strcasecmp(buf, macros[i].macro) == 0) found = macros[i].expr;
        }
        if (found == NULL) {
            set_err(err, errcap, "unknown macro (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight "
                                 "or @hourly)");
            goto cleanup;
        }
        len = strlen(found);
        memcpy(buf, found, len + 1);
    }

    size_t i = 0;
    while (i < len) {
        while (i < len && isspace((unsigned char)buf[i])) i++;
        if (i >= len) break;
        size_t start = i;
        while (i < len && !isspace((unsigned char)buf[i])) i++;
        if (n < 6 && parse_field(buf + start, i - start, &fields[n], &bits[n], err, errcap) != SMS_OK) goto cleanup;
        n++;
    }
    if (n != 6) {
        set_err(err, errcap, "6 fields needed: second minute hour day-of-month month day-of-week; found %zu", n);
        goto cleanup;
    }
    memset(&s, 0, sizeof s);
    s.seconds = bits[0];
    s.minutes = bits[1];
    s.hours = (uint32_t)bits[2];
    s.days_of_month = (uint32_t)bits[3];
    s.months = (uint16_t)bits[4];
    uint64_t dow = bits[5];
    if (dow & ((uint64_t)1 << 7)) dow = (dow | 1u) & ~((uint64_t)1 << 7); /* 7 = Sunday = 0 */
    s.days_of_week = (uint8_t)dow;

    /* Refuse schedules that can never fire, e.g. "0 0 0 30 2 *" (Spring accepts them
     * and the job silently never runs). Leap years make February 29 reachable. */
    int reachable = 0;
    for (unsigned m = 1; m <= 12 && !reachable; m++) {
        if (!(s.months & (1u << m))) continue;
        for (int d = 1; d <= days_in_month(2000, m); d++) {
            if (s.days_of_month & (1u << d)) reachable = 1;
        }
    }
    if (!reachable) {
        set_err(err, errcap, "the selected days of month never occur in the selected months");
        goto cleanup;
    }
    *out = s;
    st = SMS_OK;
cleanup:
    return st;
}

sms_status cron_parse(const char *expr, cron_schedule *out) { return cron_parse_ex(expr, out, NULL, 0); }

/* Howard Hinnant's civil-calendar conversions (proleptic Gregorian, days since 1970-01-01). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* First second of the day at or after sod (seconds since midnight) matching the
 * hour/minute/second sets, or -1. */
static int next_time_of_day(const cron_schedule *s, int sod)
{
    int h0 = sod / 3600, m0 = (sod / 60) % 60, s0 = sod % 60;
    for (int h = h0; h < 24; h++) {
        if (!(s->hours & (1u << h))) continue;
        for (int m = h == h0 ? m0 : 0; m < 60; m++) {
            if (!(s->minutes & ((uint64_t)1 << m))) continue;
            for (int sec = (h == h0 && m == m0) ? s0 : 0; sec < 60; sec++) {
                if (s->seconds & ((uint64_t)1 << sec)) return h * 3600 + m * 60 + sec;
            }
        }
    }
    return -1;
}

int64_t cron_next_ms(const cron_schedule *s, int64_t after_ms)
{
    const int64_t last_day = days_from_civil(9999, 12, 31);
    if (s == NULL || after_ms < 0 || after_ms / 1000 >= (last_day + 1) * 86400) return -1;
    int64_t t = after_ms / 1000 + 1;
    int64_t day = t / 86400;
    int sod = (int)(t % 86400);
    while (day <= last_day) {
        int64_t y;
        unsigned m, d;
        civil_from_days(day, &y, &m, &d);
        if (!(s->months & (1u << m))) {
            day = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
            sod = 0;
            continue;
        }
        unsigned wd = (unsigned)((day + 4) % 7); /* 1970-01-01 was a Thursday */
        if ((s->days_of_month & (1u << d)) && (s->days_of_week & (1u << wd))) {
            int found = next_time_of_day(s, sod);
            if (found >= 0) return (day * 86400 + found) * 1000;
        }
        day++;
        sod = 0;
    }
    return -1;
}
