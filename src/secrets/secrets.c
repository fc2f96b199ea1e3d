#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/poco.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/secure.h"
#include "core/utf8.h"
#include "crypto/ethsig.h"
#include "secrets/challenge.h"
#include "secrets/exists_cache.h"
#include "secrets/secrets.h"
#include "tee/challenge_context.h"

#define EXISTS_TTL_MS 60000
#define WEB2_NAME_MAX_CHARS 255
#define AD_MAX 1024

struct secrets_service {
    sms_store *store;
    /* Atomic so that a restore can switch keys while requests read it (secrets_set_key);
     * every plain read of svc->key is an atomic load. */
    const aead_key *_Atomic key;
    chain_client *chain;
    sms_metrics *metrics;
    exists_cache *cache[3]; /* web2, web3, compute: one per metric kind */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static metric_kind metric_of(secret_kind kind)
{
    switch (kind) {
    case SECRET_WEB2: return METRIC_WEB2;
    case SECRET_WEB3: return METRIC_WEB3;
    default: return METRIC_COMPUTE;
    }
}

sms_status secrets_service_new(sms_store *store, const aead_key *key, chain_client *chain, sms_metrics *metrics,
                               size_t cache_max, secrets_service **out)
{
    secrets_service *svc = calloc(1, sizeof *svc);
    if (svc == NULL) return SMS_ENOMEM;
    svc->store = store;
    svc->key = key;
    svc->chain = chain;
    svc->metrics = metrics;
    for (int i = 0; i < 3; i++) {
        if (exists_cache_new(cache_max > 0 ? cache_max : 1, EXISTS_TTL_MS, &svc->cache[i]) != SMS_OK) {
            secrets_service_free(svc);
            return SMS_ENOMEM;
        }
    }
    if (metrics != NULL) {
        static const store_count_kind counted[METRIC_KINDS] = {STORE_COUNT_WEB2, STORE_COUNT_WEB3,
                                                               STORE_COUNT_COMPUTE, STORE_COUNT_CHALLENGES};
        for (int k = 0; k < METRIC_KINDS; k++) {
            int64_t n = 0;
            if (store_count(store, counted[k], &n) != SMS_OK) n = -1;
            metrics_set_initial(metrics, (metric_kind)k, n);
        }
    }
    *out = svc;
    return SMS_OK;
}

void secrets_service_free(secrets_service *svc)
{
    if (svc == NULL) return;
    for (int i = 0; i < 3; i++) exists_cache_free(svc->cache[i]);
    free(svc);
}

/* Associated data binding a sealed value to its row: a ciphertext copied to another
 * identity no longer opens. */
static sms_status identity_ad(const secret_id *id, uint8_t *ad, size_t *ad_len)
{
    static const char tag[] = "iexec-sms/secret/v1";
    size_t owner_len = strlen(id->owner);
    size_t name_len = strlen(id->name);
    size_t need = sizeof tag + 1 + owner_len + 1 + name_len;
    if (need > AD_MAX) return SMS_ETOOBIG;
    size_t o = 0;
    memcpy(ad + o, tag, sizeof tag); /* with its NUL as separator */
    o += sizeof tag;
    ad[o++] = (uint8_t)id->kind;
    memcpy(ad + o, id->owner, owner_len);
    o += owner_len;
    ad[o++] = 0;
    memcpy(ad + o, id->name, name_len);
    o += name_len;
    *ad_len = o;
    return SMS_OK;
}

static sms_status seal_with_ad(const aead_key *key, const uint8_t *ad, size_t ad_len, const uint8_t *pt,
                               size_t pt_len, uint8_t **rec, size_t *rec_len)
{
    uint8_t *buf = malloc(pt_len + AEAD_OVERHEAD);
    if (buf == NULL) return SMS_ENOMEM;
    sms_status st = aead_seal(key, ad, ad_len, pt, pt_len, buf, pt_len + AEAD_OVERHEAD, rec_len);
    if (st != SMS_OK) {
        free(buf);
        return st;
    }
    *rec = buf;
    return SMS_OK;
}

/* Opens into a buffer with one extra NUL byte, so callers may use it as a string. */
static sms_status open_with_ad(const aead_key *key, const uint8_t *ad, size_t ad_len, const uint8_t *rec,
                               size_t rec_len, uint8_t **pt, size_t *pt_len)
{
    if (rec_len < AEAD_OVERHEAD) return SMS_ECRYPTO;
    size_t cap = rec_len - AEAD_OVERHEAD;
    uint8_t *buf = malloc(cap + 1);
    if (buf == NULL) return SMS_ENOMEM;
    sms_status st = aead_open(key, ad, ad_len, rec, rec_len, buf, cap, pt_len);
    if (st != SMS_OK) {
        secure_free(buf, cap + 1);
        return st;
    }
    buf[*pt_len] = '\0';
    *pt = buf;
    return SMS_OK;
}

static sms_status seal_secret(const secrets_service *svc, const secret_id *id, const uint8_t *pt, size_t pt_len,
                              uint8_t **rec, size_t *rec_len)
{
    uint8_t ad[AD_MAX];
    size_t ad_len = 0;
    sms_status st = identity_ad(id, ad, &ad_len);
    if (st != SMS_OK) return st;
    return seal_with_ad(svc->key, ad, ad_len, pt, pt_len, rec, rec_len);
}

static sms_status open_secret(const secrets_service *svc, const secret_id *id, const uint8_t *rec, size_t rec_len,
                              uint8_t **pt, size_t *pt_len)
{
    uint8_t ad[AD_MAX];
    size_t ad_len = 0;
    sms_status st = identity_ad(id, ad, &ad_len);
    if (st != SMS_OK) return st;
    return open_with_ad(svc->key, ad, ad_len, rec, rec_len, pt, pt_len);
}

sms_status secrets_seal(secrets_service *svc, const char *context, const uint8_t *pt, size_t pt_len, uint8_t **rec,
                        size_t *rec_len)
{
    return seal_with_ad(svc->key, (const uint8_t *)context, strlen(context), pt, pt_len, rec, rec_len);
}

sms_status secrets_open(secrets_service *svc, const char *context, const uint8_t *rec, size_t rec_len, uint8_t **pt,
                        size_t *pt_len)
{
    return open_with_ad(svc->key, (const uint8_t *)context, strlen(context), rec, rec_len, pt, pt_len);
}

/* Cache key: kind byte, owner, NUL, name. */
static size_t cache_key(const secret_id *id, char *buf, size_t cap)
{
    size_t owner_len = strlen(id->owner);
    size_t name_len = strlen(id->name);
    if (2 + owner_len + name_len > cap) return 0;
    buf[0] = (char)('0' + id->kind);
    memcpy(buf + 1, id->owner, owner_len);
    buf[1 + owner_len] = '\0';
    memcpy(buf + 2 + owner_len, id->name, name_len);
    return 2 + owner_len + name_len;
}

static void remember_exists(secrets_service *svc, const secret_id *id)
{
    char key[AD_MAX];
    size_t n = cache_key(id, key, sizeof key);
    if (n > 0) exists_cache_put(svc->cache[metric_of(id->kind)], key, n, now_ms());
}

/* Owner strings and web2 names are lower-cased; web3/app "names" are fixed. The returned
 * strings are malloc'ed into *owner_out / *name_out (name may alias a literal: *name_free
 * tells whether to free it). */
typedef struct {
    secret_id id;
    char *owner_buf;
    char *name_buf;
} normalised_id;

static void normalised_clear(normalised_id *n)
{
    free(n->owner_buf);
    free(n->name_buf);
    memset(n, 0, sizeof *n);
}

static sms_status normalise(secret_kind kind, const char *owner, const char *name, normalised_id *out)
{
    memset(out, 0, sizeof *out);
    out->id.kind = kind;
    sms_status st = utf8_lower(owner, strlen(owner), &out->owner_buf);
    if (st != SMS_OK) return st;
    out->id.owner = out->owner_buf;
    switch (kind) {
    case SECRET_WEB2:
        st = utf8_lower(name, strlen(name), &out->name_buf);
        if (st != SMS_OK) goto fail;
        out->id.name = out->name_buf;
        break;
    case SECRET_WEB3: out->id.name = ""; break;
    case SECRET_APP: out->id.name = SECRET_APP_INDEX; break;
    case SECRET_REQUESTER: out->id.name = name; break;
    }
    return SMS_OK;
fail:
    normalised_clear(out);
    return st;
}

/* Resolve owner() of an asset and check the signature against it. The signature's form is
 * checked first so that a malformed one never costs a chain call. */
static sms_status verify_signed_by_owner(secrets_service *svc, const uint8_t challenge[32], const char *authorization,
                                         const char *asset)
{
    eth_signature sig;
    if (eth_signature_parse(authorization, &sig) != SMS_OK) return SMS_EAUTH;
    if (address_parse(asset, NULL) != SMS_OK || svc->chain == NULL) return SMS_EAUTH;
    char owner[ETH_ADDRESS_STR_LEN];
    sms_status st = poco_owner(svc->chain, asset, owner);
    if (st == SMS_EUNAVAIL || st == SMS_ETIMEOUT) {
        LOG_WARN("owner of %s could not be read: chain node unavailable (%s)", asset, sms_status_name(st));
        return SMS_ECHAIN;
    }
    if (st != SMS_OK) {
        LOG_INFO("owner of %s is unknown on chain (%s)", asset, sms_status_name(st));
        return SMS_EAUTH;
    }
    return eth_verify_personal(challenge, authorization, owner) == SMS_OK ? SMS_OK : SMS_EAUTH;
}

static void log_unauthorized(const char *what, const char *who, const uint8_t challenge[32])
{
    char hex[67];
    hex_encode_0x(challenge, 32, hex);
    LOG_INFO("unauthorized %s for %s (expected challenge %s)", what, who, hex);
}

/* Completion of a write: what is owed once the store has answered. */
typedef struct {
    secrets_service *svc;
    secret_kind kind;
    int update;
    secrets_done_fn done; /* NULL for a synchronous write */
    void *done_ctx;
    char *owner; /* copies, for the cache and the log line */
    char *name;
} write_completion;

static const char *kind_label(secret_kind kind)
{
    switch (kind) {
    case SECRET_WEB2: return "web2 secret";
    case SECRET_WEB3: return "web3 secret";
    case SECRET_APP: return "app developer secret";
    case SECRET_REQUESTER: return "requester secret";
    }
    return "secret";
}

static void complete_write(write_completion *w, sms_status st)
{
    if (st == SMS_OK) {
        secret_id id = {.kind = w->kind, .owner = w->owner, .name = w->name};
        if (!w->update && w->svc->metrics != NULL) metrics_secret_added(w->svc->metrics, metric_of(w->kind));
        remember_exists(w->svc, &id);
        LOG_INFO("%s %s [owner:%s, name:%s]", kind_label(w->kind), w->update ? "updated" : "added", w->owner, w->name);
    }
}

/* The store's writer thread calls this once an asynchronous write is durable or failed. */
static void on_async_written(void *arg, sms_status st)
{
    write_completion *w = arg;
    complete_write(w, st);
    w->done(w->done_ctx, st);
    free(w);
}

/* Store a new record (or replace a web2 value) once authorization passed. With done set
 * and a store that writes asynchronously, returns SMS_EPENDING and done(done_ctx, status)
 * follows from the store's writer thread; otherwise the final status. */
static sms_status store_value(secrets_service *svc, const secret_id *id, const uint8_t *value, size_t value_len,
                              int update, secrets_done_fn done, void *done_ctx)
{
    uint8_t *rec = NULL;
    size_t rec_len = 0;
    uint8_t *old = NULL;
    size_t old_len = 0;
    uint8_t *old_pt = NULL;
    size_t old_pt_len = 0;
    write_completion sync_w = {.svc = svc, .kind = id->kind, .update = update,
                               .owner = (char *)id->owner, .name = (char *)id->name};
    sms_status st;

    if (update) {
        st = store_secret_get(svc->store, id, &old, &old_len);
        if (st != SMS_OK) goto out;
        st = open_secret(svc, id, old, old_len, &old_pt, &old_pt_len);
        if (st != SMS_OK) {
            LOG_ERROR("stored web2 secret of %s does not decrypt (%s)", id->owner, sms_status_name(st));
            goto out;
        }
        /* Same value: nothing to write (sms-api.md 4.5), decided on plaintext since
         * ciphertexts are randomised. */
        if (old_pt_len == value_len && secure_equal(old_pt, value, value_len)) {
            st = SMS_OK;
            goto out;
        }
    }
    st = seal_secret(svc, id, value, value_len, &rec, &rec_len);
    if (st != SMS_OK) goto out;
    if (done != NULL && store_has_async_writes(svc->store)) {
        size_t owner_len = strlen(id->owner) + 1, name_len = strlen(id->name) + 1;
        write_completion *w = malloc(sizeof *w + owner_len + name_len);
        if (w == NULL) {
            st = SMS_ENOMEM;
            goto out;
        }
        *w = sync_w;
        w->done = done;
        w->done_ctx = done_ctx;
        w->owner = (char *)(w + 1);
        w->name = w->owner + owner_len;
        memcpy(w->owner, id->owner, owner_len);
        memcpy(w->name, id->name, name_len);
        st = store_secret_write_async(svc->store, id, rec, rec_len, update, on_async_written, w);
        if (st == SMS_OK) {
            st = SMS_EPENDING;
            goto out;
        }
        free(w);
        if (st != SMS_ERR) goto out; /* SMS_ERR: no asynchronous path after all */
    }
    st = update ? store_secret_update(svc->store, id, rec, rec_len) : store_secret_insert(svc->store, id, rec, rec_len);
    complete_write(&sync_w, st);
out:
    free(rec);
    free(old);
    if (old_pt != NULL) secure_free(old_pt, old_pt_len + 1);
    return st;
}

/* Length in Java characters (UTF-16 code units), the unit of the reference's column limit:
 * a 4-byte UTF-8 sequence is a surrogate pair. */
static size_t utf16_units(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++) {
        uint8_t c = (uint8_t)*s;
        if ((c & 0xC0) != 0x80) n += c >= 0xF0 ? 2 : 1;
    }
    return n;
}

static sms_status set_web2(secrets_service *svc, const char *owner, const char *name, const uint8_t *value,
                           size_t value_len, const char *authorization, int update, secrets_done_fn done,
                           void *done_ctx)
{
    uint8_t addr[ETH_ADDRESS_LEN];
    uint8_t challenge[32];
    normalised_id nid;
    size_t name_len = strlen(name);

    /* Text that is not UTF-8 would be altered by the reference before hashing, so its
     * signature could never verify there either. */
    if (address_parse(owner, addr) != SMS_OK || !utf8_valid((const uint8_t *)name, name_len) ||
        !utf8_valid(value, value_len))
        return SMS_EAUTH;
    challenge_named(addr, (const uint8_t *)name, name_len, value, value_len, challenge);
    if (eth_verify_personal(challenge, authorization, owner) != SMS_OK) {
        log_unauthorized(update ? "web2 secret update" : "web2 secret", owner, challenge);
        return SMS_EAUTH;
    }
    if (value_len > SECRET_MAX_VALUE_BYTES) return SMS_ETOOBIG;
    sms_status st = normalise(SECRET_WEB2, owner, name, &nid);
    if (st != SMS_OK) return st;
    /* The reference's column limit turns a long name into a failed insert (409). */
    if (utf16_units(nid.id.name) > WEB2_NAME_MAX_CHARS) {
        st = update ? SMS_ENOTFOUND : SMS_EEXISTS;
        goto out;
    }
    st = store_value(svc, &nid.id, value, value_len, update, done, done_ctx);
out:
    normalised_clear(&nid);
    return st;
}

sms_status secrets_set_web2(secrets_service *svc, const char *owner, const char *name, const uint8_t *value,
                            size_t value_len, const char *authorization, int update)
{
    return set_web2(svc, owner, name, value, value_len, authorization, update, NULL, NULL);
}

sms_status secrets_set_web2_async(secrets_service *svc, const char *owner, const char *name, const uint8_t *value,
                                  size_t value_len, const char *authorization, int update, secrets_done_fn done,
                                  void *done_ctx)
{
    return set_web2(svc, owner, name, value, value_len, authorization, update, done, done_ctx);
}

sms_status secrets_set_web3(secrets_service *svc, const char *address, const uint8_t *value, size_t value_len,
                            const char *authorization)
{
    uint8_t addr[ETH_ADDRESS_LEN];
    uint8_t challenge[32];
    normalised_id nid;

    if (address_parse(address, addr) != SMS_OK || !utf8_valid(value, value_len)) return SMS_EAUTH;
    challenge_web3(addr, value, value_len, challenge);
    sms_status st = verify_signed_by_owner(svc, challenge, authorization, address);
    if (st != SMS_OK) {
        if (st == SMS_EAUTH) log_unauthorized("web3 secret", address, challenge);
        return st;
    }
    if (value_len > SECRET_MAX_VALUE_BYTES) return SMS_ETOOBIG;
    st = normalise(SECRET_WEB3, address, "", &nid);
    if (st != SMS_OK) return st;
    st = store_value(svc, &nid.id, value, value_len, 0, NULL, NULL);
    normalised_clear(&nid);
    return st;
}

sms_status secrets_set_app(secrets_service *svc, const char *app, const uint8_t *value, size_t value_len,
                           const char *authorization)
{
    uint8_t addr[ETH_ADDRESS_LEN];
    uint8_t challenge[32];
    normalised_id nid;

    if (address_parse(app, addr) != SMS_OK || !utf8_valid(value, value_len)) return SMS_EAUTH;
    sms_status st = normalise(SECRET_APP, app, SECRET_APP_INDEX, &nid);
    if (st != SMS_OK) return st;
    challenge_named(addr, (const uint8_t *)SECRET_APP_INDEX, 1, value, value_len, challenge);
    st = verify_signed_by_owner(svc, challenge, authorization, nid.id.owner);
    if (st != SMS_OK) {
        if (st == SMS_EAUTH) log_unauthorized("app developer secret", nid.id.owner, challenge);
        goto out;
    }
    if (value_len > SECRET_MAX_VALUE_BYTES) {
        st = SMS_ETOOBIG;
        goto out;
    }
    st = store_value(svc, &nid.id, value, value_len, 0, NULL, NULL);
out:
    normalised_clear(&nid);
    return st;
}

int secrets_requester_key_valid(const char *key)
{
    size_t n = 0;
    for (; key[n] != '\0'; n++) {
        char c = key[n];
        int ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
        if (!ok || n >= 64) return 0;
    }
    return n >= 1;
}

static sms_status set_requester(secrets_service *svc, const char *requester, const char *key, const uint8_t *value,
                                size_t value_len, const char *authorization, secrets_done_fn done, void *done_ctx)
{
    uint8_t addr[ETH_ADDRESS_LEN];
    uint8_t challenge[32];
    normalised_id nid;
    size_t key_len = strlen(key);

    if (address_parse(requester, addr) != SMS_OK || !utf8_valid((const uint8_t *)key, key_len) ||
        !utf8_valid(value, value_len))
        return SMS_EAUTH;
    sms_status st = normalise(SECRET_REQUESTER, requester, key, &nid);
    if (st != SMS_OK) return st;
    challenge_named(addr, (const uint8_t *)key, key_len, value, value_len, challenge);
    if (eth_verify_personal(challenge, authorization, nid.id.owner) != SMS_OK) {
        log_unauthorized("requester secret", nid.id.owner, challenge);
        st = SMS_EAUTH;
        goto out;
    }
    if (!secrets_requester_key_valid(key)) {
        st = SMS_EINVAL;
        goto out;
    }
    if (value_len > SECRET_MAX_VALUE_BYTES) {
        st = SMS_ETOOBIG;
        goto out;
    }
    st = store_value(svc, &nid.id, value, value_len, 0, done, done_ctx);
out:
    normalised_clear(&nid);
    return st;
}

sms_status secrets_set_requester(secrets_service *svc, const char *requester, const char *key,
                                 const uint8_t *value, size_t value_len, const char *authorization)
{
    return set_requester(svc, requester, key, value, value_len, authorization, NULL, NULL);
}

sms_status secrets_set_requester_async(secrets_service *svc, const char *requester, const char *key,
                                       const uint8_t *value, size_t value_len, const char *authorization,
                                       secrets_done_fn done, void *done_ctx)
{
    return set_requester(svc, requester, key, value, value_len, authorization, done, done_ctx);
}

sms_status secrets_exists(secrets_service *svc, secret_kind kind, const char *owner, const char *name, int *exists)
{
    normalised_id nid;
    char key[AD_MAX];
    *exists = 0;
    sms_status st = normalise(kind, owner, name != NULL ? name : "", &nid);
    if (st == SMS_EINVAL) return SMS_OK; /* not UTF-8: cannot have been stored */
    if (st != SMS_OK) return st;
    size_t key_len = cache_key(&nid.id, key, sizeof key);
    exists_cache *cache = svc->cache[metric_of(kind)];
    if (key_len > 0 && exists_cache_get(cache, key, key_len, now_ms())) {
        *exists = 1;
        goto out;
    }
    st = store_secret_exists(svc->store, &nid.id, exists);
    if (st == SMS_EINVAL) { /* beyond the store's limits: could never have been stored */
        *exists = 0;
        st = SMS_OK;
    }
    if (st == SMS_OK && *exists && key_len > 0) exists_cache_put(cache, key, key_len, now_ms());
out:
    normalised_clear(&nid);
    return st;
}

sms_status secrets_get(secrets_service *svc, secret_kind kind, const char *owner, const char *name, uint8_t **value,
                       size_t *value_len)
{
    normalised_id nid;
    uint8_t *rec = NULL;
    size_t rec_len = 0;
    sms_status st = normalise(kind, owner, name != NULL ? name : "", &nid);
    if (st == SMS_EINVAL) return SMS_ENOTFOUND;
    if (st != SMS_OK) return st;
    st = store_secret_get(svc->store, &nid.id, &rec, &rec_len);
    if (st == SMS_EINVAL) st = SMS_ENOTFOUND; /* beyond the store's limits: never stored */
    if (st == SMS_OK) {
        st = open_secret(svc, &nid.id, rec, rec_len, value, value_len);
        if (st != SMS_OK) LOG_ERROR("secret [kind:%d, owner:%s] does not decrypt: refusing to use it", (int)kind,
                                    nid.id.owner);
    }
    free(rec);
    normalised_clear(&nid);
    return st;
}

void secrets_refresh_metrics(secrets_service *svc)
{
    if (svc->metrics == NULL) return;
    static const store_count_kind counted[METRIC_KINDS] = {STORE_COUNT_WEB2, STORE_COUNT_WEB3, STORE_COUNT_COMPUTE,
                                                           STORE_COUNT_CHALLENGES};
    for (int k = 0; k < METRIC_KINDS; k++) {
        int64_t n = 0;
        if (store_count(svc->store, counted[k], &n) != SMS_OK) n = -1;
        metrics_set_stored(svc->metrics, (metric_kind)k, n);
        if (k < 3) metrics_set_cached(svc->metrics, (metric_kind)k, (int64_t)exists_cache_size(svc->cache[k]));
    }
}

void secrets_clear_caches(secrets_service *svc)
{
    for (int i = 0; i < 3; i++) exists_cache_clear(svc->cache[i]);
}

sms_status secrets_seal_secret_with(const aead_key *key, const secret_id *id, const uint8_t *pt, size_t pt_len,
                                    uint8_t **rec, size_t *rec_len)
{
    uint8_t ad[AD_MAX];
    size_t ad_len = 0;
    if (key == NULL || id == NULL || id->owner == NULL || id->name == NULL || rec == NULL || rec_len == NULL ||
        (pt == NULL && pt_len > 0))
        return SMS_EINVAL;
    sms_status st = identity_ad(id, ad, &ad_len);
    if (st != SMS_OK) return st;
    return seal_with_ad(key, ad, ad_len, pt, pt_len, rec, rec_len);
}

sms_status secrets_seal_context_with(const aead_key *key, const char *context, const uint8_t *pt, size_t pt_len,
                                     uint8_t **rec, size_t *rec_len)
{
    if (key == NULL || context == NULL || rec == NULL || rec_len == NULL || (pt == NULL && pt_len > 0))
        return SMS_EINVAL;
    return seal_with_ad(key, (const uint8_t *)context, strlen(context), pt, pt_len, rec, rec_len);
}

sms_status secrets_verify_record(const aead_key *key, const store_record *rec)
{
    uint8_t ad[AD_MAX];
    size_t ad_len = 0;
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    sms_status st = SMS_EINVAL;

    if (key == NULL || rec == NULL) return SMS_EINVAL;
    if (rec->type == STORE_REC_SECRET) {
        if (rec->secret.owner == NULL || rec->secret.name == NULL || (rec->sealed == NULL && rec->sealed_len > 0))
            return SMS_EINVAL;
        st = identity_ad(&rec->secret, ad, &ad_len);
        if (st != SMS_OK) return st;
        st = open_with_ad(key, ad, ad_len, rec->sealed, rec->sealed_len, &pt, &pt_len);
    } else if (rec->type == STORE_REC_CHALLENGE) {
        if (rec->challenge == NULL || rec->challenge->sealed_key == NULL) return SMS_EINVAL;
        int n = snprintf((char *)ad, sizeof ad, "%s%.*s", TEE_CHALLENGE_SEAL_CONTEXT_PREFIX,
                         (int)sizeof rec->challenge->task_id, rec->challenge->task_id);
        if (n < 0 || (size_t)n >= sizeof ad) return SMS_ETOOBIG;
        st = open_with_ad(key, ad, (size_t)n, rec->challenge->sealed_key, rec->challenge->sealed_key_len, &pt,
                          &pt_len);
    }
    if (pt != NULL) secure_free(pt, pt_len + 1);
    return st;
}

void secrets_set_key(secrets_service *svc, const aead_key *key)
{
    if (svc == NULL || key == NULL) return;
    svc->key = key;
}
