/* Storage port: URL dispatch, argument validation shared by every backend, and thin
 * forwarding to the backend's ops table (store_backend.h). */
#include "store/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/secure.h"
#include "store/store_backend.h"

/* The PostgreSQL backend is optional. A weak reference lets this file link while
 * store_pg.c does not exist (the symbol is then NULL). But a weak undefined reference does
 * not make the linker extract store_pg.o from the static library smscore, so once the
 * source exists the reference must be strong, or the backend would silently stay out of
 * every binary. (After adding store_pg.c, rebuild this file: its dependency list does not
 * record the __has_include probe.) */
#if defined(__has_include)
#if __has_include("store_pg.c")
#define STORE_PG_SOURCE_PRESENT 1
#endif
#endif
#ifndef STORE_PG_SOURCE_PRESENT
extern sms_status store_pg_open(const char *conninfo, sms_store **out, char *errbuf, size_t errcap)
    __attribute__((weak));
#endif

static int pg_available(void)
{
#ifdef STORE_PG_SOURCE_PRESENT
    return 1;
#else
    return store_pg_open != NULL;
#endif
}

void store_set_error(char *errbuf, size_t errcap, const char *fmt, ...)
{
    va_list ap;

    if (!errbuf || errcap == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(errbuf, errcap, fmt, ap);
    va_end(ap);
}

sms_status store_backend_wrap(const store_backend_ops *ops, void *impl, sms_store **out)
{
    sms_store *st;

    if (!ops || !impl || !out)
        return SMS_EINVAL;
    st = calloc(1, sizeof(*st));
    if (!st)
        return SMS_ENOMEM;
    st->ops = ops;
    st->impl = impl;
    *out = st;
    return SMS_OK;
}

static int has_prefix_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

sms_status store_open(const char *url, sms_store **out, char *errbuf, size_t errcap)
{
    const char *path;

    store_set_error(errbuf, errcap, "%s", "");
    if (!out)
        return SMS_EINVAL;
    *out = NULL;
    if (!url || !*url) {
        store_set_error(errbuf, errcap, "empty store URL");
        return SMS_EINVAL;
    }
    if (has_prefix_ci(url, "postgresql://") || has_prefix_ci(url, "postgres://")) {
        if (!pg_available()) {
            store_set_error(errbuf, errcap, "PostgreSQL backend not built");
            return SMS_EINVAL;
        }
        return store_pg_open(url, out, errbuf, errcap);
    }
    if (has_prefix_ci(url, "sqlite:")) {
        path = url + strlen("sqlite:");
        /* Accept the common "sqlite:///abs/path" spelling as well as "sqlite:PATH". */
        if (path[0] == '/' && path[1] == '/')
            path += 2;
    } else if (strstr(url, "://")) {
        store_set_error(errbuf, errcap, "unsupported store URL scheme (use sqlite:PATH or postgresql://...)");
        return SMS_EINVAL;
    } else {
        path = url;
    }
    return store_sqlite_open(path, out, errbuf, errcap);
}

void store_close(sms_store *st)
{
    if (!st)
        return;
    st->ops->close(st->impl);
    free(st);
}

/* ---- validation shared by every backend ---- */

/* Length limit in the reference's unit: Java characters (UTF-16 code units) of the UTF-8
 * text, so a name of 255 non-ASCII characters is accepted as it is by the reference (a
 * 4-byte UTF-8 sequence counts as 2, a continuation byte as 0). A UTF-16 unit takes at
 * most 3 bytes, hence the byte bound. */
static int str_within(const char *s, size_t max)
{
    size_t bytes, units = 0;

    if (!s)
        return 0;
    bytes = strnlen(s, 3 * max + 1);
    if (bytes > 3 * max)
        return 0;
    for (size_t i = 0; i < bytes; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b & 0xC0) == 0x80)
            continue;
        units += b >= 0xF0 ? 2 : 1;
    }
    return units <= max;
}

static sms_status check_id(const secret_id *id)
{
    size_t name_max;

    if (!id)
        return SMS_EINVAL;
    switch (id->kind) {
    case SECRET_WEB2:
    case SECRET_WEB3:
    case SECRET_APP:
        name_max = STORE_NAME_MAX;
        break;
    case SECRET_REQUESTER:
        name_max = STORE_REQUESTER_KEY_MAX;
        break;
    default:
        return SMS_EINVAL;
    }
    if (!str_within(id->owner, STORE_OWNER_MAX) || id->owner[0] == '\0')
        return SMS_EINVAL;
    if (!str_within(id->name, name_max))
        return SMS_EINVAL;
    return SMS_OK;
}

static sms_status check_sealed(const uint8_t *sealed, size_t len)
{
    if (!sealed && len > 0)
        return SMS_EINVAL;
    if (len > STORE_SEALED_MAX)
        return SMS_ETOOBIG;
    return SMS_OK;
}

static int array_str_ok(const char *s, size_t cap)
{
    return s[0] != '\0' && memchr(s, '\0', cap) != NULL;
}

static sms_status check_challenge(const challenge_rec *rec)
{
    if (!rec)
        return SMS_EINVAL;
    if (!array_str_ok(rec->task_id, sizeof(rec->task_id)) || !array_str_ok(rec->address, sizeof(rec->address)))
        return SMS_EINVAL;
    if (!rec->sealed_key || rec->sealed_key_len == 0)
        return SMS_EINVAL;
    if (rec->sealed_key_len > STORE_SEALED_MAX)
        return SMS_ETOOBIG;
    if (rec->final_deadline_ms < 0)
        return SMS_EINVAL;
    return SMS_OK;
}

/* ---- forwarding ---- */

sms_status store_secret_insert(sms_store *st, const secret_id *id, const uint8_t *sealed, size_t len)
{
    sms_status rc;

    if (!st)
        return SMS_EINVAL;
    if ((rc = check_id(id)) != SMS_OK || (rc = check_sealed(sealed, len)) != SMS_OK)
        return rc;
    return st->ops->secret_insert(st->impl, id, sealed, len);
}

sms_status store_secret_update(sms_store *st, const secret_id *id, const uint8_t *sealed, size_t len)
{
    sms_status rc;

    if (!st)
        return SMS_EINVAL;
    if ((rc = check_id(id)) != SMS_OK || (rc = check_sealed(sealed, len)) != SMS_OK)
        return rc;
    return st->ops->secret_update(st->impl, id, sealed, len);
}

sms_status store_secret_write_async(sms_store *st, const secret_id *id, const uint8_t *sealed, size_t len,
                                    int update, store_write_done done, void *ctx)
{
    sms_status rc;

    if (!st || !done)
        return SMS_EINVAL;
    if (!st->ops->secret_write_async)
        return SMS_ERR;
    if ((rc = check_id(id)) != SMS_OK || (rc = check_sealed(sealed, len)) != SMS_OK)
        return rc;
    return st->ops->secret_write_async(st->impl, id, sealed, len, update, done, ctx);
}

int store_has_async_writes(const sms_store *st) { return st != NULL && st->ops->secret_write_async != NULL; }

sms_status store_secret_get(sms_store *st, const secret_id *id, uint8_t **sealed, size_t *len)
{
    sms_status rc;

    if (!st || !sealed || !len)
        return SMS_EINVAL;
    *sealed = NULL;
    *len = 0;
    if ((rc = check_id(id)) != SMS_OK)
        return rc;
    return st->ops->secret_get(st->impl, id, sealed, len);
}

sms_status store_secret_exists(sms_store *st, const secret_id *id, int *exists)
{
    sms_status rc;

    if (!st || !exists)
        return SMS_EINVAL;
    *exists = 0;
    if ((rc = check_id(id)) != SMS_OK)
        return rc;
    return st->ops->secret_exists(st->impl, id, exists);
}

sms_status store_count(sms_store *st, store_count_kind kind, int64_t *n)
{
    if (!st || !n)
        return SMS_EINVAL;
    *n = 0;
    switch (kind) {
    case STORE_COUNT_WEB2:
    case STORE_COUNT_WEB3:
    case STORE_COUNT_COMPUTE:
    case STORE_COUNT_CHALLENGES:
        break;
    default:
        return SMS_EINVAL;
    }
    return st->ops->count(st->impl, kind, n);
}

sms_status store_ping(sms_store *st)
{
    if (!st)
        return SMS_EINVAL;
    return st->ops->ping(st->impl);
}

void challenge_rec_clear(challenge_rec *rec)
{
    if (!rec)
        return;
    /* Sealed, so not secret by itself; zeroed anyway as key material's envelope. */
    secure_free(rec->sealed_key, rec->sealed_key_len);
    memset(rec, 0, sizeof(*rec));
}

sms_status store_challenge_get_or_create(sms_store *st, const challenge_rec *candidate, challenge_rec *out,
                                         int *created)
{
    sms_status rc;

    if (!st || !out || !created)
        return SMS_EINVAL;
    *created = 0;
    if ((rc = check_challenge(candidate)) != SMS_OK)
        return rc;
    return st->ops->challenge_get_or_create(st->impl, candidate, out, created);
}

sms_status store_challenge_get(sms_store *st, const char *task_id, challenge_rec *out)
{
    if (!st || !out || !task_id || task_id[0] == '\0')
        return SMS_EINVAL;
    if (strnlen(task_id, sizeof(out->task_id)) >= sizeof(out->task_id))
        return SMS_EINVAL;
    return st->ops->challenge_get(st->impl, task_id, out);
}

sms_status store_challenge_delete_expired(sms_store *st, int64_t now_ms, int64_t *deleted)
{
    if (!st || !deleted)
        return SMS_EINVAL;
    *deleted = 0;
    return st->ops->challenge_delete_expired(st->impl, now_ms, deleted);
}

sms_status store_challenge_fill_missing_deadlines(sms_store *st, int64_t deadline_ms, int batch,
                                                  int64_t *updated)
{
    if (!st || !updated)
        return SMS_EINVAL;
    *updated = 0;
    if (deadline_ms <= 0 || batch <= 0)
        return SMS_EINVAL;
    return st->ops->challenge_fill_missing_deadlines(st->impl, deadline_ms, batch, updated);
}

sms_status store_foreach(sms_store *st, store_record_cb cb, void *ctx)
{
    if (!st || !cb)
        return SMS_EINVAL;
    return st->ops->foreach(st->impl, cb, ctx);
}

static sms_status check_record(const store_record *rec)
{
    sms_status rc;

    if (!rec)
        return SMS_EINVAL;
    switch (rec->type) {
    case STORE_REC_SECRET:
        if ((rc = check_id(&rec->secret)) != SMS_OK || (rc = check_sealed(rec->sealed, rec->sealed_len)) != SMS_OK)
            return rc;
        return SMS_OK;
    case STORE_REC_CHALLENGE:
        return check_challenge(rec->challenge);
    default:
        return SMS_EINVAL;
    }
}

sms_status store_put_record(sms_store *st, const store_record *rec)
{
    sms_status rc;

    if (!st || !rec)
        return SMS_EINVAL;
    if ((rc = check_record(rec)) != SMS_OK)
        return rc;
    return st->ops->put_record(st->impl, rec);
}

/* Wraps a bulk source so that every record is validated before a backend sees it. */
typedef struct {
    store_record_source next;
    void *ctx;
} checked_source;

static sms_status checked_next(void *ctx, const store_record **rec)
{
    checked_source *cs = ctx;
    sms_status rc;

    *rec = NULL;
    if ((rc = cs->next(cs->ctx, rec)) != SMS_OK)
        return rc;
    if (!*rec)
        return SMS_OK;
    return check_record(*rec);
}

static sms_status put_all(sms_store *st, int replace, store_record_source next, void *ctx)
{
    checked_source cs = {next, ctx};

    if (!st || !next)
        return SMS_EINVAL;
    if (!st->ops->put_all) {
        LOG_ERROR("%s store: bulk writes (restore, import) are not supported by this backend", st->ops->name);
        return SMS_ERR;
    }
    return st->ops->put_all(st->impl, replace, checked_next, &cs);
}

sms_status store_replace_all(sms_store *st, store_record_source next, void *ctx)
{
    return put_all(st, 1, next, ctx);
}

sms_status store_insert_all(sms_store *st, store_record_source next, void *ctx)
{
    return put_all(st, 0, next, ctx);
}
