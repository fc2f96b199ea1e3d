/* Spring-style cron schedules (sms-api.md 9.8), used for the TEE challenge cleanup job.
 *
 * Syntax accepted (the subset of Spring's CronExpression that does not need calendars
 * beyond plain field matching):
 *   six whitespace-separated fields: second minute hour day-of-month month day-of-week
 *     second 0-59, minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC,
 *     day-of-week 0-7 or MON-SUN (0 and 7 are both Sunday; MON=1 ... SUN=7 as in Spring)
 *   each field: a comma list of items, an item being `*`, `N`, `A-B`, `*` /S, `N/S`
 *     (N up to the field maximum, step S) or `A-B/S`; `?` is a synonym of `*` in the two
 *     day fields; names are case-insensitive
 *   or one of the macros @yearly @annually @monthly @weekly @daily @midnight @hourly.
 * Not supported (rejected): Quartz extensions L, W and #.
 *
 * Like Spring (and unlike Vixie cron), a time matches only when BOTH day-of-month and
 * day-of-week match ("0 0 0 13 * FRI" is every Friday the 13th). All times are UTC. */
#ifndef SMS_CRON_H
#define SMS_CRON_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct {
    uint64_t seconds;       /* bit s: second s matches (0..59) */
    uint64_t minutes;       /* bit m: minute m (0..59) */
    uint32_t hours;         /* bit h: hour h (0..23) */
    uint32_t days_of_month; /* bit d: day d (1..31) */
    uint16_t months;        /* bit m: month m (1..12) */
    uint8_t days_of_week;   /* bit w: weekday w (0 = Sunday .. 6 = Saturday) */
} cron_schedule;

/* Parse expr (NUL-terminated; leading/trailing whitespace ignored) into *out.
 * Returns SMS_OK, or SMS_EINVAL for a malformed expression or one that can never fire
 * (e.g. day 30 in February only). *out is written only on success. */
sms_status cron_parse(const char *expr, cron_schedule *out);

/* Same as cron_parse; on failure also writes a short reason (without the expression)
 * such as "6 fields needed: second minute hour day-of-month month day-of-week; found 5"
 * into err (may be NULL; errcap bytes, always NUL-terminated when errcap > 0). */
sms_status cron_parse_ex(const char *expr, cron_schedule *out, char *err, size_t errcap);

/* The first instant strictly after after_ms (milliseconds since the Unix epoch, UTC)
 * that matches s, in milliseconds (always a whole second). Returns -1 when there is
 * none before the year 10000 or when after_ms is outside [0, 9999-12-31T23:59:59Z]. */
int64_t cron_next_ms(const cron_schedule *s, int64_t after_ms);

#endif
