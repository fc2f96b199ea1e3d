/* Cron schedules (config/cron.h) and the duration and data-size parsers (config/config.h)
 * on arbitrary text.
 *
 * Input: 8 bytes (little-endian int64, the "after" instant in ms), then the text.
 *
 * Properties:
 *   - cron_parse and cron_parse_ex agree; a failure leaves *out untouched and gives a
 *     reason; a success gives non-empty masks within each field's range;
 *   - cron_next_ms: -1 for an instant outside [0, 9999-12-31T23:59:59Z]; otherwise -1 or a
 *     whole second strictly after, within that range, matching every field, with no
 *     matching second in the two minutes before it (down to the "after" instant), and
 *     cron_next_ms(next - 1) == next;
 *   - durations and data sizes: a failure leaves *out untouched (as documented), a success
 *     is in range; a plain digit string is that many milliseconds / bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "config/cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LAST_MS ((int64_t)253402300799 * 1000) /* 9999-12-31T23:59:59Z */
#define MAX_DURATION_MS ((int64_t)100 * 366 * 86400 * 1000)
#define LOOKBACK_S 120

/* FUZZ_TOLERATE_KNOWN=1: do not stop on the findings already reported, so that a campaign
 * can look past them until they are fixed:
 *  - config_parse_duration_ms writes *out before refusing a value over 100 years (or one
 *    that overflows) in the simple style ("4000000000000", "40000000000s"): mul_add_ms in
 *    src/config/config_parse.c stores the sum into out before its range check. */
static int tolerate_known = -1;

static int tolerating(void)
{
    if (tolerate_known < 0) {
        const char *v = getenv("FUZZ_TOLERATE_KNOWN");
        tolerate_known = v != NULL && v[0] == '1';
    }
    return tolerate_known;
}

static int matches(const cron_schedule *s, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) abort();
    return ((s->seconds >> tm.tm_sec) & 1) && ((s->minutes >> tm.tm_min) & 1) && ((s->hours >> tm.tm_hour) & 1) &&
           ((s->days_of_month >> tm.tm_mday) & 1) && ((s->months >> (tm.tm_mon + 1)) & 1) &&
           ((s->days_of_week >> tm.tm_wday) & 1);
}

static void check_masks(const cron_schedule *s)
{
    if (s->seconds == 0 || (s->seconds >> 60) != 0) abort();
    if (s->minutes == 0 || (s->minutes >> 60) != 0) abort();
    if (s->hours == 0 || (s->hours >> 24) != 0) abort();
    if ((s->days_of_month & ~(uint32_t)0xFFFFFFFEu) != 0 || s->days_of_month == 0) abort();
    if ((s->months & ~(uint16_t)0x1FFEu) != 0 || s->months == 0) abort();
    if (s->days_of_week == 0 || (s->days_of_week >> 7) != 0) abort();
}

static void check_next(const cron_schedule *s, int64_t after)
{
    int64_t next = cron_next_ms(s, after);
    if (after < 0 || after > LAST_MS + 999) {
        if (next != -1) abort();
        return;
    }
    if (next == -1) return;
    if (next <= after || next % 1000 != 0 || next > LAST_MS) abort();
    if (!matches(s, next)) abort();
    for (int64_t k = 1; k <= LOOKBACK_S; k++) {
        int64_t t = next - k * 1000;
        if (t <= after) break;
        if (matches(s, t)) abort();
    }
    if (cron_next_ms(s, next - 1) != next) abort();
}

static void check_cron(const char *text, int64_t raw_after)
{
    cron_schedule a, b;
    char err[128];
    memset(&a, 0xA5, sizeof a);
    memset(&b, 0xA5, sizeof b);
    cron_schedule untouched = a;
    err[0] = '\0';
    sms_status st = cron_parse_ex(text, &a, err, sizeof err);
    if (st != cron_parse(text, &b)) abort();
    if (st != SMS_OK) {
        if (st != SMS_EINVAL || memcmp(&a, &untouched, sizeof a) != 0 || memcmp(&b, &untouched, sizeof b) != 0) abort();
        if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL) abort();
        return;
    }
    if (memcmp(&a, &b, sizeof a) != 0) abort();
    check_masks(&a);
    check_next(&a, raw_after);
    /* The same instant folded into the supported range. */
    check_next(&a, (int64_t)((uint64_t)raw_after % (uint64_t)(LAST_MS + 1)));
}

/* 1 with the value when s is 1..15 ASCII digits. */
static int plain_number(const char *s, uint64_t *v)
{
    size_t n = strlen(s);
    if (n == 0 || n > 15) return 0;
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        *v = *v * 10 + (uint64_t)(s[i] - '0');
    }
    return 1;
}

static void check_duration_and_size(const char *text)
{
    int64_t ms = -12345;
    uint64_t bytes = 424242;
    uint64_t plain = 0;
    int is_plain = plain_number(text, &plain);

    sms_status st = config_parse_duration_ms(text, &ms);
    if (st == SMS_OK) {
        if (ms < 0 || ms > MAX_DURATION_MS) abort();
        if (is_plain && (uint64_t)ms != plain) abort();
    } else {
        if (st != SMS_EINVAL || (ms != -12345 && !tolerating())) abort();
        if (is_plain && plain <= (uint64_t)MAX_DURATION_MS) abort();
    }

    st = config_parse_data_size(text, &bytes);
    if (st == SMS_OK) {
        if (is_plain && bytes != plain) abort();
    } else {
        if (st != SMS_EINVAL || bytes != 424242) abort();
        if (is_plain) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 || size > 4096) return 0;
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--) u = (u << 8) | data[i];
    int64_t after;
    memcpy(&after, &u, sizeof after);
    char *text = malloc(size - 8 + 1);
    if (text == NULL) return 0;
    memcpy(text, data + 8, size - 8);
    text[size - 8] = '\0';
    check_cron(text, after);
    check_duration_and_size(text);
    free(text);
    return 0;
}
