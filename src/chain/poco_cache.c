#include "chain/poco_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"

/* Above this many entries a cache of immutable chain objects is a configuration mistake;
 * the bound also keeps the bucket array size computation far from overflow. */
#define POCO_CACHE_MAX_ENTRIES ((size_t)1 << 22)

typedef enum { KIND_DEAL = 1, KIND_CATEGORY, KIND_APP, KIND_DATASET } entry_kind;

typedef struct entry {
    entry_kind kind;
    uint8_t key[32];
    union {
        struct poco_deal deal;
        struct poco_category category;
        struct poco_app app;
        struct poco_dataset dataset;
    } v;
    struct entry *hnext; /* bucket chain */
    struct entry *prev;  /* LRU list: head = most recent */
    struct entry *next;
} entry;

struct poco_cache {
    pthread_mutex_t mu;
    entry **buckets;
    size_t nbuckets; /* power of two */
    size_t count;
    size_t max;
    entry *head;
    entry *tail;
};

/* Address key: 12 zero bytes + the 20 address bytes, so case never matters. */
static sms_status address_key(const char *s, uint8_t key[32])
{
    memset(key, 0, 12);
    return address_parse(s, key + 12);
}

static void u64_key(uint64_t id, uint8_t key[32])
{
    memset(key, 0, 32);
    for (size_t i = 0; i < 8; i++) key[31 - i] = (uint8_t)(id >> (8 * i));
}

static size_t bucket_of(const poco_cache *c, entry_kind kind, const uint8_t key[32])
{
    /* FNV-1a: keys are chain ids, not attacker-chosen in bulk, so no keyed hash is needed. */
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)kind;
    for (size_t i = 0; i < 32; i++) {
        h ^= key[i];
        h *= 1099511628211ULL;
    }
    return (size_t)(h & (c->nbuckets - 1));
}

static void value_clear(entry *e)
{
    switch (e->kind) {
    case KIND_DEAL: poco_deal_clear(&e->v.deal); break;
    case KIND_CATEGORY: poco_category_clear(&e->v.category); break;
    case KIND_APP: poco_app_clear(&e->v.app); break;
    case KIND_DATASET: poco_dataset_clear(&e->v.dataset); break;
    }
}

static sms_status value_copy_in(entry *e, const void *v)
{
    switch (e->kind) {
    case KIND_DEAL: return poco_deal_copy(&e->v.deal, v);
    case KIND_CATEGORY: return poco_category_copy(&e->v.category, v);
    case KIND_APP: return poco_app_copy(&e->v.app, v);
    case KIND_DATASET: return poco_dataset_copy(&e->v.dataset, v);
    }
    return SMS_ERR;
}

static sms_status value_copy_out(const entry *e, void *out)
{
    switch (e->kind) {
    case KIND_DEAL: return poco_deal_copy(out, &e->v.deal);
    case KIND_CATEGORY: return poco_category_copy(out, &e->v.category);
    case KIND_APP: return poco_app_copy(out, &e->v.app);
    case KIND_DATASET: return poco_dataset_copy(out, &e->v.dataset);
    }
    return SMS_ERR;
}

static void lru_unlink(poco_cache *c, entry *e)
{
    if (e->prev != NULL) e->prev->next = e->next;
    else c->head = e->next;
    if (e->next != NULL) e->next->prev = e->prev;
    else c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(poco_cache *c, entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head != NULL) c->head->prev = e;
    c->head = e;
    if (c->tail == NULL) c->tail = e;
}

static entry *find(poco_cache *c, entry_kind kind, const uint8_t key[32])
{
    for (entry *e = c->buckets[bucket_of(c, kind, key)]; e != NULL; e = e->hnext)
        if (e->kind == kind && memcmp(e->key, key, 32) == 0) return e;
    return NULL;
}

static void remove_entry(poco_cache *c, entry *e)
{
    entry **pp = &c->buckets[bucket_of(c, e->kind, e->key)];
    while (*pp != e) pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(c, e);
    value_clear(e);
    free(e);
    c->count--;
}

sms_status poco_cache_new(size_t max_entries, poco_cache **out)
{
    sms_status st = SMS_OK;
    poco_cache *c = NULL;
    if (out == NULL || max_entries == 0 || max_entries > POCO_CACHE_MAX_ENTRIES) {
        st = SMS_EINVAL;
        goto cleanup;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    c->max = max_entries;
    c->nbuckets = 16;
    while (c->nbuckets < max_entries) c->nbuckets *= 2;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (c->buckets == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        st = SMS_ERR;
        goto cleanup;
    }
    *out = c;
    c = NULL;
cleanup:
    if (c != NULL) {
        free(c->buckets);
        free(c);
    }
    return st;
}

void poco_cache_free(poco_cache *c)
{
    if (c == NULL) return;
    while (c->head != NULL) remove_entry(c, c->head);
    pthread_mutex_destroy(&c->mu);
    free(c->buckets);
    free(c);
}

size_t poco_cache_size(poco_cache *c)
{
    if (c == NULL) return 0;
    pthread_mutex_lock(&c->mu);
    size_t n = c->count;
    pthread_mutex_unlock(&c->mu);
    return n;
}

static sms_status cache_get(poco_cache *c, entry_kind kind, const uint8_t key[32], void *out)
{
    if (c == NULL || out == NULL) return SMS_EINVAL;
    pthread_mutex_lock(&c->mu);
    sms_status st = SMS_ENOTFOUND;
    entry *e = find(c, kind, key);
    if (e != NULL) {
        lru_unlink(c, e);
        lru_push_front(c, e);
        st = value_copy_out(e, out);
    }
    pthread_mutex_unlock(&c->mu);
    return st;
}

static sms_status cache_put(poco_cache *c, entry_kind kind, const uint8_t key[32], const void *v)
{
    if (c == NULL || v == NULL) return SMS_EINVAL;
    /* Copy outside the lock: allocation can be slow and the cache is shared. */
    entry *fresh = calloc(1, sizeof *fresh);
    if (fresh == NULL) return SMS_ENOMEM;
    fresh->kind = kind;
    memcpy(fresh->key, key, 32);
    sms_status st = value_copy_in(fresh, v);
    if (st != SMS_OK) {
        free(fresh);
        return st;
    }
    pthread_mutex_lock(&c->mu);
    entry *old = find(c, kind, key);
    if (old != NULL) remove_entry(c, old);
    size_t b = bucket_of(c, kind, key);
    fresh->hnext = c->buckets[b];
    c->buckets[b] = fresh;
    lru_push_front(c, fresh);
    c->count++;
    while (c->count > c->max) remove_entry(c, c->tail);
    pthread_mutex_unlock(&c->mu);
    return SMS_OK;
}

sms_status poco_cache_get_deal(poco_cache *c, const uint8_t deal_id[32], struct poco_deal *out)
{
    if (deal_id == NULL) return SMS_EINVAL;
    return cache_get(c, KIND_DEAL, deal_id, out);
}

sms_status poco_cache_get_category(poco_cache *c, uint64_t id, struct poco_category *out)
{
    uint8_t key[32];
    u64_key(id, key);
    return cache_get(c, KIND_CATEGORY, key, out);
}

sms_status poco_cache_get_app(poco_cache *c, const char *address, struct poco_app *out)
{
    uint8_t key[32];
    if (address_key(address, key) != SMS_OK) return SMS_EINVAL;
    return cache_get(c, KIND_APP, key, out);
}

sms_status poco_cache_get_dataset(poco_cache *c, const char *address, struct poco_dataset *out)
{
    uint8_t key[32];
    if (address_key(address, key) != SMS_OK) return SMS_EINVAL;
    return cache_get(c, KIND_DATASET, key, out);
}

sms_status poco_cache_put_deal(poco_cache *c, const uint8_t deal_id[32], const struct poco_deal *v)
{
    if (deal_id == NULL) return SMS_EINVAL;
    return cache_put(c, KIND_DEAL, deal_id, v);
}

sms_status poco_cache_put_category(poco_cache *c, uint64_t id, const struct poco_category *v)
{
    uint8_t key[32];
    u64_key(id, key);
    return cache_put(c, KIND_CATEGORY, key, v);
}

sms_status poco_cache_put_app(poco_cache *c, const char *address, const struct poco_app *v)
{
    uint8_t key[32];
    if (address_key(address, key) != SMS_OK) return SMS_EINVAL;
    return cache_put(c, KIND_APP, key, v);
}

sms_status poco_cache_put_dataset(poco_cache *c, const char *address, const struct poco_dataset *v)
{
    uint8_t key[32];
    if (address_key(address, key) != SMS_OK) return SMS_EINVAL;
    return cache_put(c, KIND_DATASET, key, v);
}
