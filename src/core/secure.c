#include "core/secure.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void secure_zero(void *p, size_t n)
{
    if (p == NULL || n == 0) return;
    explicit_bzero(p, n);
}

void secure_free(void *p, size_t n)
{
    if (p == NULL) return;
    secure_zero(p, n);
    free(p);
}

/* The accumulator is read through a volatile so the compiler cannot turn the loop into an
 * early-exit memcmp. */
int secure_equal(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a;
    const volatile uint8_t *y = b;
    volatile uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= (uint8_t)(x[i] ^ y[i]);
    return acc == 0;
}

int secure_str_equal(const char *given, size_t given_len, const char *expected, size_t expected_len)
{
    if (expected == NULL || given == NULL) return 0;
    const volatile uint8_t *g = (const uint8_t *)given;
    const volatile uint8_t *e = (const uint8_t *)expected;
    volatile size_t acc = given_len ^ expected_len;
    for (size_t i = 0; i < expected_len; i++) {
        /* Past the end of `given` compare against e[i] itself flipped, so a short input
         * always differs without reading out of bounds; the branch only depends on the
         * caller's own length. */
        uint8_t gi = (i < given_len) ? g[i] : (uint8_t)~e[i];
        acc |= (size_t)(uint8_t)(gi ^ e[i]);
    }
    return acc == 0;
}
