#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "secrets/exists_cache.h"

typedef struct entry {
    struct entry *bucket_next;
    struct entry *older; /* insertion order, for eviction */
    struct entry *newer;
    uint64_t hash;
    int64_t expires_ms;
    size_t key_len;
    char key[];
} entry;

struct exists_cache {
    pthread_mutex_t lock;
    entry **buckets;
    size_t n_buckets; /* power of two */
    size_t capacity;
    size_t size;
    int64_t ttl_ms;
    entry *oldest;
    entry *newest;
};

static uint64_t hash_key(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)key[i];
        h *= 1099511628211ull;
    }
    return h;
}

sms_status exists_cache_new(size_t capacity, int64_t ttl_ms, exists_cache **out)
{
    if (capacity == 0) return SMS_EINVAL;
    exists_cache *c = calloc(1, sizeof *c);
    if (c == NULL) return SMS_ENOMEM;
    c->n_buckets = 16;
    while (c->n_buckets < capacity && c->n_buckets < ((size_t)1 << 30)) c->n_buckets <<= 1;
    c->buckets = calloc(c->n_buckets, sizeof *c->buckets);
    if (c->buckets == NULL) {
        free(c);
        return SMS_ENOMEM;
    }
    c->capacity = capacity;
    c->ttl_ms = ttl_ms;
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return SMS_OK;
}

static entry **find_slot(exists_cache *c, const char *key, size_t len, uint64_t h)
{
    entry **slot = &c->buckets[h & (c->n_buckets - 1)];
    while (*slot != NULL) {
        entry *e = *slot;
        if (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0) return slot;
        slot = &e->bucket_next;
    }
    return slot;
}

static void unlink_order(exists_cache *c, entry *e)
{
    if (e->older != NULL) e->older->newer = e->newer; else c->oldest = e->newer;
    if (e->newer != NULL) e->newer->older = e->older; else c->newest = e->older;
    e->older = e->newer = NULL;
}

static void append_order(exists_cache *c, entry *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest != NULL) c->newest->newer = e; else c->oldest = e;
    c->newest = e;
}

static void remove_entry(exists_cache *c, entry *e)
{
    entry **slot = find_slot(c, e->key, e->key_len, e->hash);
    *slot = e->bucket_next;
    unlink_order(c, e);
    c->size--;
    free(e);
}

int exists_cache_get(exists_cache *c, const char *key, size_t key_len, int64_t now_ms)
{
    uint64_t h = hash_key(key, key_len);
    int hit = 0;
    pthread_mutex_lock(&c->lock);
    entry *e = *find_slot(c, key, key_len, h);
    if (e != NULL) {
        if (e->expires_ms > now_ms) hit = 1;
        else remove_entry(c, e);
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void exists_cache_put(exists_cache *c, const char *key, size_t key_len, int64_t now_ms)
{
    uint64_t h = hash_key(key, key_len);
    pthread_mutex_lock(&c->lock);
    entry **slot = find_slot(c, key, key_len, h);
    if (*slot != NULL) {
        entry *e = *slot;
        e->expires_ms = now_ms + c->ttl_ms;
        unlink_order(c, e);
        append_order(c, e);
        goto out;
    }
    if (c->size >= c->capacity) {
        remove_entry(c, c->oldest);
        slot = find_slot(c, key, key_len, h); /* removal may have moved the tail pointer */
    }
    entry *e = malloc(sizeof *e + key_len);
    if (e == NULL) goto out; /* a cache miss later is harmless */
    memcpy(e->key, key, key_len);
    e->key_len = key_len;
    e->hash = h;
    e->expires_ms = now_ms + c->ttl_ms;
    e->bucket_next = NULL;
    *slot = e;
    append_order(c, e);
    c->size++;
out:
    pthread_mutex_unlock(&c->lock);
}

void exists_cache_clear(exists_cache *c)
{
    pthread_mutex_lock(&c->lock);
    while (c->oldest != NULL) remove_entry(c, c->oldest);
    pthread_mutex_unlock(&c->lock);
}

size_t exists_cache_size(exists_cache *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->size;
    pthread_mutex_unlock(&c->lock);
    return n;
}

void exists_cache_free(exists_cache *c)
{
    if (c == NULL) return;
    exists_cache_clear(c);
    pthread_mutex_destroy(&c->lock);
    free(c->buckets);
    free(c);
}
