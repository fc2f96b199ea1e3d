/* Insertion-ordered string map for enclave environments. Values may be secrets: they are
 * zeroed when replaced or cleared. */
#ifndef SMS_ENV_MAP_H
#define SMS_ENV_MAP_H

#include <stddef.h>

#include "core/status.h"

typedef struct {
    char *key;
    char *value;
} env_entry;

typedef struct {
    env_entry *entries;
    size_t n;
    size_t cap;
} env_map;

/* Set key=value (both copied); an existing key keeps its position, its value is replaced. */
sms_status env_map_set(env_map *m, const char *key, const char *value);
/* Same with a value of explicit length (not NUL-terminated; must not contain NUL). */
sms_status env_map_set_n(env_map *m, const char *key, const char *value, size_t value_len);
/* Value of key or NULL. */
const char *env_map_get(const env_map *m, const char *key);
/* Zero and free everything; the map is empty and reusable afterwards. */
void env_map_clear(env_map *m);

#endif
