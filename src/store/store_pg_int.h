/* Private to the PostgreSQL backend (store_pg*.c).
 *
 * Connections: a bounded pool of libpq connections, opened lazily, each used by one thread
 * at a time (libpq connections are not shareable). Every write is one autocommit statement
 * (durable once acknowledged: synchronous_commit stays on), bulk writes (restore, import)
 * one explicit transaction, so there is no writer thread and no group commit here: the
 * server groups concurrent WAL flushes itself.
 *
 * Every connection prepares its statements on first use (indexed by pg_stmt_id). A broken
 * connection (server restart, pg_terminate_backend, network cut) is reset with PQreset and
 * the operation is run once more when that is safe; each operation is written so that a
 * second run after an unknown outcome gives the right answer (see store_pg.c). */
#ifndef SMS_STORE_PG_INT_H
#define SMS_STORE_PG_INT_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define PG_SCHEMA_VERSION 1              /* latest migration this build knows */
#define PG_POOL_MAX 8                    /* connections per store handle, at most */
#define PG_POOL_WAIT_MS 30000            /* longest wait for a free connection */
#define PG_CONNECT_TIMEOUT "5"           /* seconds; default unless the URL sets one */
#define PG_STATEMENT_TIMEOUT "10s"       /* server-side bound of every statement */
#define PG_FETCH_ROWS 64                 /* rows per cursor fetch in store_foreach */
#define PG_STR_(x) #x
#define PG_STR(x) PG_STR_(x)
#define PG_MIGRATION_LOCK 0x1e8ec5a5c4e3a001LL /* pg_advisory_xact_lock key of migrations */

typedef enum {
    PG_SECRET_INSERT,
    PG_SECRET_UPDATE,
    PG_SECRET_GET,
    PG_SECRET_EXISTS,
    PG_SECRET_SAME,
    PG_COUNT_KINDS,
    PG_COUNT_CHALLENGES,
    PG_PING,
    PG_CH_GET_OR_CREATE,
    PG_CH_INSERT,
    PG_CH_SAME,
    PG_CH_GET,
    PG_CH_DELETE_EXPIRED,
    PG_CH_FILL_DEADLINES,
    PG_DELETE_ALL_SECRETS,
    PG_DELETE_ALL_CHALLENGES,
    PG_XACT_ID,
    PG_XACT_STATUS,
    PG_STMT_COUNT
} pg_stmt_id;

typedef struct pg_conn {
    PGconn *conn;
    unsigned char prepared[PG_STMT_COUNT];
    /* Set by the failing call, read by pg_with_conn(): */
    int lost;  /* the connection is broken: reset before any further use */
    int retry; /* the operation may be run again (nothing of it can have half-happened) */
    struct pg_conn *next_free;
} pg_conn;

typedef struct pg_store {
    char *conninfo; /* the URL as given: may hold a password, never logged */
    size_t conninfo_len;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    pg_conn *free_list;
    int open; /* connections opened, in use or free */
} pg_store;

/* Parameters of one statement. Text and integers go in text format, byte strings in
 * binary format (no escaping). Values are borrowed until the statement has run. */
#define PG_PARAMS_MAX 6
typedef struct {
    int n;
    const char *values[PG_PARAMS_MAX];
    int lengths[PG_PARAMS_MAX];
    int formats[PG_PARAMS_MAX];
    char num[PG_PARAMS_MAX][24];
} pg_params;

void pg_param_text(pg_params *p, const char *s);
void pg_param_bytes(pg_params *p, const uint8_t *b, size_t len);
void pg_param_int(pg_params *p, int64_t v);
void pg_param_null(pg_params *p);

/* ---- store_pg_conn.c ---- */

/* Open a configured connection (see store_pg_conn.c for the session settings). On failure
 * errbuf gets a one-line reason that never shows the password. SMS_EINVAL for a URL libpq
 * cannot parse, SMS_ESTORE when the server cannot be reached or refuses us. */
sms_status pg_conn_open(const char *conninfo, pg_conn **out, char *errbuf, size_t errcap);
void pg_conn_close(pg_conn *c);
/* PQreset and session setup again; prepared statements are forgotten. */
sms_status pg_conn_reset(pg_conn *c);

/* Run a prepared statement (prepared on this connection on first use). Results in binary
 * format. On success *out (may be NULL when the caller needs no result) is the result,
 * PQclear it. Errors are logged without values: SMS_EINVAL for data the schema refuses
 * (SQLSTATE classes 22 and 23), SMS_ESTORE otherwise, with c->lost / c->retry set. */
sms_status pg_exec(pg_conn *c, pg_stmt_id id, const pg_params *p, PGresult **out);
/* Same for an unprepared statement without parameters (transaction control, cursors). */
sms_status pg_exec_sql(pg_conn *c, const char *sql, PGresult **out);

/* Pool: borrow a connection (waits up to PG_POOL_WAIT_MS while PG_POOL_MAX are in use,
 * opens one when none is free) and give it back (closed instead when unusable). */
sms_status pg_acquire(pg_store *s, pg_conn **out);
void pg_release(pg_store *s, pg_conn *c);
/* Close every pooled connection; all must have been released. */
void pg_pool_destroy(pg_store *s);

/* Borrow a connection and run op on it; when op fails with c->retry set (broken connection,
 * serialization failure, deadlock), reset the connection if needed and run op once more
 * with attempt = 1. op must be safe to run again: it gets the attempt number so that it
 * can tell "already done by my first try" from "done by someone else". */
typedef sms_status (*pg_op_fn)(pg_conn *c, void *arg, int attempt);
sms_status pg_with_conn(pg_store *s, pg_op_fn op, void *arg);

/* Binary result decoding. pg_get_int reads int2/int4/int8 (NULL -> 0); pg_get_bool.
 * SMS_ESTORE on an unexpected shape. */
sms_status pg_get_int(const PGresult *r, int row, int col, int64_t *out);
sms_status pg_get_bool(const PGresult *r, int row, int col, int *out);
/* Copy a row (task_id, address, sealed_key, final_deadline_ms from column col0) into a
 * challenge_rec (sealed_key malloc'ed). SMS_ESTORE on a malformed row. */
sms_status pg_read_challenge(const PGresult *r, int row, int col0, challenge_rec *out);

int64_t pg_now_ms(void);

/* ---- store_pg_schema.c ---- */

/* Create or migrate the schema in one transaction under a transaction-level advisory lock,
 * so that daemons starting together migrate once. SMS_ESTORE with a reason when the
 * database is newer than this build or holds tables of the same names that are not ours. */
sms_status pg_schema_migrate(pg_conn *c, char *errbuf, size_t errcap);

#endif
