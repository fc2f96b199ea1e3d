#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

static atomic_int log_threshold = LOG_LVL_INFO;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void sms_log_set_level(sms_log_level lvl) { atomic_store(&log_threshold, (int)lvl); }

int sms_log_parse_level(const char *name, sms_log_level *out)
{
    if (name == NULL) return -1;
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *out = (sms_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(name, "WARNING") == 0) { *out = LOG_LVL_WARN; return 0; }
    if (strcasecmp(name, "TRACE") == 0) { *out = LOG_LVL_DEBUG; return 0; }
    return -1;
}

void sms_log(sms_log_level lvl, const char *fmt, ...)
{
    if ((int)lvl > atomic_load(&log_threshold)) return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                     level_names[lvl]);
    if (n < 0) return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (m < 0) return;
    /* One fputs per line so concurrent threads do not interleave inside a line. */
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof line - 2) len = sizeof line - 2;
    line[len] = '\n';
    line[len + 1] = '\0';
    fputs(line, stderr);
}
