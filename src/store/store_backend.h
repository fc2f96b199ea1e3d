/* Internal contract between the storage port (store.c) and its backends (SQLite,
 * PostgreSQL). Services never include this header: they only see store.h.
 *
 * A backend fills one store_backend_ops table (static const) and, from its open function,
 * hands its private state to store_backend_wrap(), which builds the sms_store handle.
 *
 * Argument validation is done once, in store.c, before any operation reaches a backend:
 * pointers are non-NULL, secret identities respect the length limits below, challenge
 * strings are NUL-terminated inside their arrays, sealed values are at most
 * STORE_SEALED_MAX bytes, counts/batches are in range. A backend may rely on that. */
#ifndef SMS_STORE_BACKEND_H
#define SMS_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Column limits shared by every backend (those of the reference schema, spec §9.1).
 * Longer identities are rejected with SMS_EINVAL before reaching the database. */
#define STORE_OWNER_MAX 255          /* secret owner / dataset / app address */
#define STORE_NAME_MAX 255           /* web2 secret name (and other kinds' fixed names) */
#define STORE_REQUESTER_KEY_MAX 64   /* requester secret key */
#define STORE_SEALED_MAX (1u << 20)  /* sealed value or sealed challenge key, bytes */

/* One function per store.h operation, same semantics and status codes as documented
 * there; `impl` is the pointer the backend gave to store_backend_wrap().
 * Every function must be thread-safe. */
typedef struct store_backend_ops {
    const char *name; /* "sqlite", "postgresql": for logs */

    /* Flush pending writes, stop background threads, release everything behind impl. */
    void (*close)(void *impl);

    sms_status (*secret_insert)(void *impl, const secret_id *id, const uint8_t *sealed, size_t len);
    sms_status (*secret_update)(void *impl, const secret_id *id, const uint8_t *sealed, size_t len);
    sms_status (*secret_get)(void *impl, const secret_id *id, uint8_t **sealed, size_t *len);
    sms_status (*secret_exists)(void *impl, const secret_id *id, int *exists);
    sms_status (*count)(void *impl, store_count_kind kind, int64_t *n);
    sms_status (*ping)(void *impl);

    sms_status (*challenge_get_or_create)(void *impl, const challenge_rec *candidate, challenge_rec *out,
                                          int *created);
    sms_status (*challenge_get)(void *impl, const char *task_id, challenge_rec *out);
    sms_status (*challenge_delete_expired)(void *impl, int64_t now_ms, int64_t *deleted);
    sms_status (*challenge_fill_missing_deadlines)(void *impl, int64_t deadline_ms, int batch, int64_t *updated);

    sms_status (*foreach)(void *impl, store_record_cb cb, void *ctx);
    sms_status (*put_record)(void *impl, const store_record *rec);

    /* OPTIONAL (may be NULL: store_replace_all/store_insert_all then return SMS_ERR).
     * One transaction: when replace is set, delete every secret and challenge first; then
     * insert every record `next` yields until it yields NULL. Any failure (a duplicate is
     * SMS_EEXISTS, a non-OK status from next is returned as is) rolls the whole
     * transaction back. Records coming out of `next` have already been validated by
     * store.c like put_record's. `next` must not be called after the function returned. */
    sms_status (*put_all)(void *impl, int replace, store_record_source next, void *ctx);

    /* OPTIONAL (may be NULL): store_secret_write_async, inputs already validated. */
    sms_status (*secret_write_async)(void *impl, const secret_id *id, const uint8_t *sealed, size_t len, int update,
                                     store_write_done done, void *ctx);
} store_backend_ops;

/* The handle every store.h function receives. Owned by store.c: created by
 * store_backend_wrap(), destroyed by store_close() after ops->close(impl). */
struct sms_store {
    const store_backend_ops *ops;
    void *impl;
};

/* Build a store handle around a backend's state. On success *out owns impl (store_close
 * will call ops->close(impl)). On failure (SMS_ENOMEM) nothing is taken: the caller still
 * owns impl and must release it. */
sms_status store_backend_wrap(const store_backend_ops *ops, void *impl, sms_store **out);

/* Write a one-line reason into errbuf (NULL-safe, truncated to errcap, always
 * NUL-terminated when errcap > 0). Never pass secret material. */
void store_set_error(char *errbuf, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Backend entry points, called by store_open() according to the URL.
 *
 * store_sqlite_open: path is a file path (the "sqlite:" prefix already removed). The file
 * is created (mode 0600) when absent; its directory must exist. The schema is created or
 * migrated. SMS_EINVAL for an unusable path, SMS_EIO when the file cannot be opened,
 * SMS_ESTORE for a database failure or an unsupported (newer) schema.
 *
 * store_pg_open: conninfo is the full "postgresql://..." / "postgres://..." URL, passed as
 * is to libpq. Implemented in store_pg.c when the PostgreSQL backend is built.
 *
 * Both: on success *out is a new store (free with store_close); on failure *out is NULL
 * and errbuf (may be NULL) receives a one-line reason. */
sms_status store_sqlite_open(const char *path, sms_store **out, char *errbuf, size_t errcap);
sms_status store_pg_open(const char *conninfo, sms_store **out, char *errbuf, size_t errcap);

#endif
