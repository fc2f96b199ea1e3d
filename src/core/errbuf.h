/* One-line error reasons written into a caller's buffer. */
#ifndef SMS_ERRBUF_H
#define SMS_ERRBUF_H

#include <stddef.h>

/* printf into err[cap] (truncated, always NUL-terminated); nothing when err is NULL or cap 0.
 * Never pass secret material: these lines reach logs and clients' operators. */
void sms_errorf(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
