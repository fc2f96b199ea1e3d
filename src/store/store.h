/* Storage port. The services only see this interface; backends (sqlite, postgres) live
 * behind it. Values handed to the store are already sealed (crypto/aead.h): the store
 * never sees a plaintext secret or private key.
 *
 * Durability: every write function returns only once the write is durable (fsync'd WAL
 * for SQLite, committed for PostgreSQL). Concurrent writers may be grouped into one
 * durable transaction (group commit); each caller still gets its own status.
 * All functions are thread-safe. */
#ifndef SMS_STORE_H
#define SMS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef enum {
    SECRET_WEB2 = 1,      /* (owner EOA lower-case, secret name lower-case) */
    SECRET_WEB3 = 2,      /* (dataset address lower-case, "") */
    SECRET_APP = 3,       /* (app address lower-case, "1") */
    SECRET_REQUESTER = 4  /* (requester address lower-case, key as sent) */
} secret_kind;

/* Identity of a secret record; strings are NUL-terminated, normalised by the caller,
 * borrowed for the duration of the call. */
typedef struct {
    secret_kind kind;
    const char *owner;
    const char *name;
} secret_id;

typedef struct sms_store sms_store;

/* Open a store from a URL:
 *   "sqlite:PATH" or a plain PATH   embedded SQLite file (created with its directory's
 *                                   existing permissions; WAL; schema migrated)
 *   "postgresql://..."/"postgres://..."  PostgreSQL (when built in)
 * errbuf (may be NULL) receives a one-line reason. */
sms_status store_open(const char *url, sms_store **out, char *errbuf, size_t errcap);
/* Flushes pending writes, stops background threads, closes. NULL-safe. */
void store_close(sms_store *st);

/* Insert; SMS_EEXISTS when the identity exists, SMS_ESTORE on a database failure. */
sms_status store_secret_insert(sms_store *st, const secret_id *id, const uint8_t *sealed, size_t len);
/* Replace the sealed value of an existing record; SMS_ENOTFOUND when absent. */
sms_status store_secret_update(sms_store *st, const secret_id *id, const uint8_t *sealed, size_t len);
/* Asynchronous insert (update = 0) or update (update = 1): the same write, but the call
 * returns as soon as it is queued and done(ctx, status) runs later on the store's writer
 * thread, once the write is durable or failed (statuses as the synchronous functions).
 * The store copies id and sealed. done must be quick and must not call the store.
 * Returns SMS_OK when queued (done will then be called exactly once); otherwise done is
 * never called: SMS_ERR when this backend has no asynchronous path (use the synchronous
 * functions), a validation status (SMS_EINVAL...), or SMS_ENOMEM. */
typedef void (*store_write_done)(void *ctx, sms_status status);
sms_status store_secret_write_async(sms_store *st, const secret_id *id, const uint8_t *sealed, size_t len,
                                    int update, store_write_done done, void *ctx);
/* 1 when store_secret_write_async is available on this store. */
int store_has_async_writes(const sms_store *st);

/* Read; *sealed is malloc'ed (caller frees). SMS_ENOTFOUND when absent. */
sms_status store_secret_get(sms_store *st, const secret_id *id, uint8_t **sealed, size_t *len);
/* *exists = 1 or 0. */
sms_status store_secret_exists(sms_store *st, const secret_id *id, int *exists);

typedef enum {
    STORE_COUNT_WEB2,
    STORE_COUNT_WEB3,
    STORE_COUNT_COMPUTE,    /* app developer + requester secrets */
    STORE_COUNT_CHALLENGES  /* enclave challenges (= their credentials) */
} store_count_kind;
sms_status store_count(sms_store *st, store_count_kind kind, int64_t *n);

/* Cheap liveness check for /actuator/health. */
sms_status store_ping(sms_store *st);

/* ---- Enclave challenges (one per task) ---- */

typedef struct {
    char task_id[80];        /* lower-cased chainTaskId */
    char address[43];        /* "0x" + 40 lower-case hex */
    uint8_t *sealed_key;     /* sealed private key, malloc'ed; free with challenge_rec_clear */
    size_t sealed_key_len;
    int64_t final_deadline_ms; /* 0 = none */
} challenge_rec;

void challenge_rec_clear(challenge_rec *rec);

/* Atomic get-or-create keyed by task_id (unique): if a row exists, *out receives it and the
 * candidate is discarded; otherwise the candidate is inserted durably and returned.
 * Two concurrent callers (even in two processes on one database) get the same row.
 * *created is set to 1 when the candidate was inserted. */
sms_status store_challenge_get_or_create(sms_store *st, const challenge_rec *candidate, challenge_rec *out,
                                         int *created);
/* SMS_ENOTFOUND when absent. */
sms_status store_challenge_get(sms_store *st, const char *task_id, challenge_rec *out);
/* Delete challenges whose deadline is set and < now_ms. */
sms_status store_challenge_delete_expired(sms_store *st, int64_t now_ms, int64_t *deleted);
/* Set final_deadline_ms = deadline_ms on at most `batch` rows that have none. */
sms_status store_challenge_fill_missing_deadlines(sms_store *st, int64_t deadline_ms, int batch,
                                                  int64_t *updated);

/* ---- Whole-store iteration (backups) ---- */

typedef enum { STORE_REC_SECRET = 1, STORE_REC_CHALLENGE = 2 } store_rec_type;

typedef struct {
    store_rec_type type;
    secret_id secret;             /* type SECRET */
    const challenge_rec *challenge; /* type CHALLENGE */
    const uint8_t *sealed;        /* type SECRET: sealed value */
    size_t sealed_len;
} store_record;

/* Calls cb for every record of one consistent snapshot (writes may go on meanwhile).
 * Stops and returns cb's status at the first non-OK. */
typedef sms_status (*store_record_cb)(void *ctx, const store_record *rec);
sms_status store_foreach(sms_store *st, store_record_cb cb, void *ctx);

/* Insert a record as is (restore/import into a fresh store); EEXISTS on duplicates. */
sms_status store_put_record(sms_store *st, const store_record *rec);

/* ---- Bulk writes (restore, migration): all or nothing ---- */

/* Pull-style source of records for the bulk writes below.
 *   ctx : the caller's state, as given to the bulk write
 *   rec : receives the next record (borrowed from the source, valid until the next call)
 *         or NULL when there is no more
 * A non-OK return aborts the bulk write, which then returns that status with the store
 * unchanged. The source may be called from a backend thread while the store's writer is
 * held: it must not call any store function. */
typedef sms_status (*store_record_source)(void *ctx, const store_record **rec);

/* Replace the whole content of the store (every secret and every challenge) with the
 * records of `next`, atomically: afterwards the store holds exactly those records, or, on
 * any failure, exactly what it held before (readers never see a mix). Durable on return.
 * Returns SMS_OK; SMS_EEXISTS when the source yields one identity twice; SMS_EINVAL for a
 * record that store_put_record would refuse (or NULL arguments); SMS_ETOOBIG; the source's
 * own status; SMS_ESTORE; SMS_ERR when the backend does not implement bulk writes. */
sms_status store_replace_all(sms_store *st, store_record_source next, void *ctx);

/* Insert every record of `next` atomically, keeping the existing content: all records are
 * inserted, or none. SMS_EEXISTS when one identity already exists in the store or appears
 * twice in the source; other statuses as store_replace_all. */
sms_status store_insert_all(sms_store *st, store_record_source next, void *ctx);

#endif
