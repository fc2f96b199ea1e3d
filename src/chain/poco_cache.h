/* Bounded LRU cache of immutable PoCo objects (deals, categories, apps, datasets), keyed by
 * their id, shared by every thread (one mutex). Tasks are never cached: their status moves.
 * Values are deep-copied in and out, so a caller never holds a pointer into the cache.
 * Only successfully read objects should be put (a deal with startTime 0 may appear later). */
#ifndef SMS_CHAIN_POCO_CACHE_H
#define SMS_CHAIN_POCO_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "chain/poco.h"
#include "core/status.h"

/* max_entries: total number of objects of all kinds kept (>= 1); the least recently used one
 * is evicted beyond that. SMS_EINVAL for 0, SMS_ENOMEM. */
sms_status poco_cache_new(size_t max_entries, poco_cache **out);
/* NULL-safe. No other thread may use the cache any more. */
void poco_cache_free(poco_cache *cache);

/* Lookups: on a hit, deep copy into *out (which must not own anything; caller clears it) and
 * mark the entry most recently used. SMS_ENOTFOUND on a miss, SMS_ENOMEM, SMS_EINVAL for a
 * malformed address. Addresses are matched case-insensitively. */
sms_status poco_cache_get_deal(poco_cache *cache, const uint8_t deal_id[32], struct poco_deal *out);
sms_status poco_cache_get_category(poco_cache *cache, uint64_t id, struct poco_category *out);
sms_status poco_cache_get_app(poco_cache *cache, const char *address, struct poco_app *out);
sms_status poco_cache_get_dataset(poco_cache *cache, const char *address, struct poco_dataset *out);

/* Insert or replace (deep copy of *v; the caller keeps ownership of v). */
sms_status poco_cache_put_deal(poco_cache *cache, const uint8_t deal_id[32], const struct poco_deal *v);
sms_status poco_cache_put_category(poco_cache *cache, uint64_t id, const struct poco_category *v);
sms_status poco_cache_put_app(poco_cache *cache, const char *address, const struct poco_app *v);
sms_status poco_cache_put_dataset(poco_cache *cache, const char *address, const struct poco_dataset *v);

/* Number of objects currently held. */
size_t poco_cache_size(poco_cache *cache);

#endif
