/* Private to the SQLite backend (store_sqlite*.c).
 *
 * Threads and connections:
 *   - one write connection, owned by the writer thread (store_sqlite_writer.c); callers
 *     enqueue write operations and wait for their own result (group commit);
 *   - a bounded pool of read connections (WAL lets them read while the writer writes),
 *     each used by one thread at a time.
 * Every connection caches its prepared statements, indexed by sq_stmt_id. */
#ifndef SMS_STORE_SQLITE_INT_H
#define SMS_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include "store/store.h"

#define SQ_SCHEMA_VERSION 1       /* latest migration this build knows */
#define SQ_BUSY_TIMEOUT_MS 10000  /* another process holding the write lock */
#define SQ_READERS_MAX 8          /* read connections kept open at most */
#define SQ_BATCH_MAX 256          /* write operations per group-commit transaction */
#define SQ_GATHER_US 300          /* longest wait for a batch to refill (a fraction of an fsync) */

typedef enum {
    SQ_BEGIN,
    SQ_BEGIN_IMMEDIATE,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_SAVEPOINT,
    SQ_RELEASE,
    SQ_ROLLBACK_TO,
    SQ_SECRET_INSERT,
    SQ_SECRET_UPDATE,
    SQ_SECRET_GET,
    SQ_SECRET_EXISTS,
    SQ_COUNT_KINDS,
    SQ_COUNT_CHALLENGES,
    SQ_PING,
    SQ_CH_INSERT,
    SQ_CH_GET,
    SQ_CH_DELETE_EXPIRED,
    SQ_CH_FILL_DEADLINES,
    SQ_ALL_SECRETS,
    SQ_ALL_CHALLENGES,
    SQ_DELETE_ALL_SECRETS,
    SQ_DELETE_ALL_CHALLENGES,
    SQ_STMT_COUNT
} sq_stmt_id;

typedef struct sq_conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[SQ_STMT_COUNT];
    struct sq_conn *next_free;
} sq_conn;

typedef struct sq_write_op sq_write_op;

typedef struct sq_store {
    char *path;

    /* Read pool. */
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    sq_conn *pool_free;
    int pool_open; /* connections opened, in use or free */

    /* Writer. The queue is a FIFO list of caller-owned operations. */
    sq_conn *wconn;
    pthread_t writer;
    pthread_mutex_t q_mu;
    pthread_cond_t q_cv;
    sq_write_op *q_head;
    sq_write_op *q_tail;
    int q_len;
    int writer_idle;      /* the writer sleeps on q_cv: a submitter must signal it... */
    int wake_at;          /* ...once q_len reaches this (1 when idle, the batch target when gathering) */
    int last_batch;       /* size of the previous batch, the target of the gathering wait */
    int stopping;
} sq_store;

/* ---- store_sqlite_conn.c ---- */

/* Open a connection to an existing file with the backend's pragmas (WAL, synchronous=FULL,
 * foreign_keys, busy_timeout). readonly: query_only connection for the read pool.
 * SMS_EIO when the file cannot be opened, SMS_ESTORE when it is not a usable database. */
sms_status sq_conn_open(const char *path, int readonly, sq_conn **out, char *errbuf, size_t errcap);
/* Finalize cached statements and close. NULL-safe. */
void sq_conn_close(sq_conn *c);
/* Cached prepared statement, reset and ready to bind; NULL on failure (logged). */
sqlite3_stmt *sq_stmt(sq_conn *c, sq_stmt_id id);
/* Reset and clear bindings so the statement holds no snapshot and no borrowed pointer. */
void sq_stmt_done(sqlite3_stmt *s);
/* Run a cached statement that returns no row. SMS_OK or SMS_ESTORE (logged). */
sms_status sq_exec_stmt(sq_conn *c, sq_stmt_id id);
/* Log a failed SQLite call with the connection's message (never contains bound values). */
void sq_log_error(sq_conn *c, const char *what, int rc);

/* Read pool: borrow a connection (waits when SQ_READERS_MAX are in use) and return it. */
sms_status sq_reader_acquire(sq_store *s, sq_conn **out);
void sq_reader_release(sq_store *s, sq_conn *c);
/* Close every pooled connection; all must have been released. */
void sq_pool_destroy(sq_store *s);

/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t sq_now_ms(void);

/* Copy a row's columns into a challenge_rec (sealed_key malloc'ed). Columns:
 * task_id, address, sealed_key, final_deadline_ms. SMS_ESTORE on a malformed row. */
sms_status sq_read_challenge(sqlite3_stmt *s, challenge_rec *out);

/* ---- store_sqlite_schema.c ---- */

/* Create or migrate the schema in one transaction. SMS_ESTORE with a reason in errbuf when
 * the database is newer than this build or is not an iexec-sms store. */
sms_status sq_schema_migrate(sq_conn *c, char *errbuf, size_t errcap);

/* ---- store_sqlite_writer.c ---- */

sms_status sq_writer_start(sq_store *s);
/* Process every queued operation, then stop and join the writer. */
void sq_writer_stop(sq_store *s);

sms_status sq_secret_insert(void *impl, const secret_id *id, const uint8_t *sealed, size_t len);
sms_status sq_secret_update(void *impl, const secret_id *id, const uint8_t *sealed, size_t len);
sms_status sq_secret_write_async(void *impl, const secret_id *id, const uint8_t *sealed, size_t len, int update,
                                 store_write_done done, void *ctx);
sms_status sq_challenge_get_or_create(void *impl, const challenge_rec *candidate, challenge_rec *out, int *created);
sms_status sq_challenge_delete_expired(void *impl, int64_t now_ms, int64_t *deleted);
sms_status sq_challenge_fill_missing_deadlines(void *impl, int64_t deadline_ms, int batch, int64_t *updated);
sms_status sq_put_record(void *impl, const store_record *rec);
/* Bulk write (store_backend.h put_all): one writer operation, run under its own savepoint
 * inside a group-commit transaction, so its failure undoes all of it and nothing else. */
sms_status sq_put_all(void *impl, int replace, store_record_source next, void *ctx);

#endif
