/* Handling of secret bytes in memory. */
#ifndef SMS_SECURE_H
#define SMS_SECURE_H

#include <stddef.h>

/* Zero n bytes in a way the compiler cannot elide (explicit_bzero). NULL-safe. */
void secure_zero(void *p, size_t n);
/* Zero then free a buffer of n bytes. NULL-safe. */
void secure_free(void *p, size_t n);
/* Constant-time equality of two byte strings of the same length n: 1 if equal, 0 otherwise. */
int secure_equal(const void *a, const void *b, size_t n);
/* Constant-time equality of two strings of possibly different lengths (time depends only on
 * the length of `expected`, never on where they differ). 1 if equal. */
int secure_str_equal(const char *given, size_t given_len, const char *expected, size_t expected_len);

#endif
