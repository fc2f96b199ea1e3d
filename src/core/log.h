/* Leveled logging to stderr, one line per call, with an ISO-8601 UTC timestamp.
 * Rule for every caller: never pass a secret value, a private key, a session,
 * an AES key or an Authorization header to these functions. Addresses, names,
 * task ids and hashes are fine. */
#ifndef SMS_LOG_H
#define SMS_LOG_H

typedef enum { LOG_LVL_ERROR = 0, LOG_LVL_WARN = 1, LOG_LVL_INFO = 2, LOG_LVL_DEBUG = 3 } sms_log_level;

/* Set the threshold; messages above it are dropped. Default INFO. */
void sms_log_set_level(sms_log_level lvl);
/* Parse "ERROR", "WARN", "INFO", "DEBUG", "TRACE" (case-insensitive); TRACE maps to DEBUG.
 * Returns 0 on success, -1 on an unknown name (level untouched). */
int sms_log_parse_level(const char *name, sms_log_level *out);
void sms_log(sms_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_ERROR(...) sms_log(LOG_LVL_ERROR, __VA_ARGS__)
#define LOG_WARN(...) sms_log(LOG_LVL_WARN, __VA_ARGS__)
#define LOG_INFO(...) sms_log(LOG_LVL_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) sms_log(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
