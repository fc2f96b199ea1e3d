/* Bounded cache of positive existence answers (sms-api.md 9.6, with its [fix]: bounded).
 * Only "exists" is remembered: secrets are never deleted through the API, so a positive
 * answer stays true; a negative one could be made stale by another instance writing to a
 * shared database, so it is never cached. Entries expire after a TTL; when full, the
 * least recently inserted entry is evicted. Thread-safe. */
#ifndef SMS_EXISTS_CACHE_H
#define SMS_EXISTS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct exists_cache exists_cache;

/* capacity: maximum entries (>= 1); ttl_ms: lifetime of an entry. */
sms_status exists_cache_new(size_t capacity, int64_t ttl_ms, exists_cache **out);
void exists_cache_free(exists_cache *c);
/* 1 when key is cached and fresh at now_ms. */
int exists_cache_get(exists_cache *c, const char *key, size_t key_len, int64_t now_ms);
void exists_cache_put(exists_cache *c, const char *key, size_t key_len, int64_t now_ms);
/* Forget everything (after a restore). */
void exists_cache_clear(exists_cache *c);
/* Entries currently held (fresh or not yet evicted). */
size_t exists_cache_size(exists_cache *c);

#endif
