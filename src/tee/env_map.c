#include <stdlib.h>
#include <string.h>

#include "core/secure.h"
#include "tee/env_map.h"

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d == NULL) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

sms_status env_map_set_n(env_map *m, const char *key, const char *value, size_t value_len)
{
    char *v = dup_n(value, value_len);
    if (v == NULL) return SMS_ENOMEM;
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->entries[i].key, key) == 0) {
            secure_free(m->entries[i].value, strlen(m->entries[i].value));
            m->entries[i].value = v;
            return SMS_OK;
        }
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        env_entry *grown = realloc(m->entries, cap * sizeof *grown);
        if (grown == NULL) {
            secure_free(v, value_len);
            return SMS_ENOMEM;
        }
        m->entries = grown;
        m->cap = cap;
    }
    char *k = dup_n(key, strlen(key));
    if (k == NULL) {
        secure_free(v, value_len);
        return SMS_ENOMEM;
    }
    m->entries[m->n].key = k;
    m->entries[m->n].value = v;
    m->n++;
    return SMS_OK;
}

sms_status env_map_set(env_map *m, const char *key, const char *value)
{
    return env_map_set_n(m, key, value, strlen(value));
}

const char *env_map_get(const env_map *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->entries[i].key, key) == 0) return m->entries[i].value;
    return NULL;
}

void env_map_clear(env_map *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->entries[i].key);
        secure_free(m->entries[i].value, strlen(m->entries[i].value));
    }
    free(m->entries);
    memset(m, 0, sizeof *m);
}
