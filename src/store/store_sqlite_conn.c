/* SQLite backend: connections, statement cache, read pool, row decoding. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store/store_backend.h"
#include "store/store_sqlite_int.h"

/* Every statement the backend runs after the schema exists. Bound values only: no SQL is
 * ever built from input. Parameters of secret statements: ?1 kind, ?2 owner, ?3 name,
 * ?4 value. */
static const char *const sq_sql[SQ_STMT_COUNT] = {
    [SQ_BEGIN] = "BEGIN",
    [SQ_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_SAVEPOINT] = "SAVEPOINT op",
    [SQ_RELEASE] = "RELEASE op",
    [SQ_ROLLBACK_TO] = "ROLLBACK TO op",
    [SQ_SECRET_INSERT] = "INSERT INTO secrets(kind, owner, name, value) VALUES(?1, ?2, ?3, ?4) "
                         "ON CONFLICT DO NOTHING",
    [SQ_SECRET_UPDATE] = "UPDATE secrets SET value = ?4 WHERE kind = ?1 AND owner = ?2 AND name = ?3",
    [SQ_SECRET_GET] = "SELECT value FROM secrets WHERE kind = ?1 AND owner = ?2 AND name = ?3",
    [SQ_SECRET_EXISTS] = "SELECT 1 FROM secrets WHERE kind = ?1 AND owner = ?2 AND name = ?3",
    [SQ_COUNT_KINDS] = "SELECT count(*) FROM secrets WHERE kind BETWEEN ?1 AND ?2",
    [SQ_COUNT_CHALLENGES] = "SELECT count(*) FROM challenges",
    [SQ_PING] = "SELECT max(version) FROM schema_version",
    [SQ_CH_INSERT] = "INSERT INTO challenges(task_id, address, sealed_key, final_deadline_ms, created_ms) "
                     "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(task_id) DO NOTHING",
    [SQ_CH_GET] = "SELECT task_id, address, sealed_key, final_deadline_ms FROM challenges WHERE task_id = ?1",
    [SQ_CH_DELETE_EXPIRED] = "DELETE FROM challenges WHERE final_deadline_ms IS NOT NULL AND final_deadline_ms < ?1",
    [SQ_CH_FILL_DEADLINES] = "UPDATE challenges SET final_deadline_ms = ?1 WHERE task_id IN "
                             "(SELECT task_id FROM challenges WHERE final_deadline_ms IS NULL LIMIT ?2)",
    [SQ_ALL_SECRETS] = "SELECT kind, owner, name, value FROM secrets ORDER BY kind, owner, name",
    [SQ_ALL_CHALLENGES] = "SELECT task_id, address, sealed_key, final_deadline_ms FROM challenges ORDER BY task_id",
    [SQ_DELETE_ALL_SECRETS] = "DELETE FROM secrets",
    [SQ_DELETE_ALL_CHALLENGES] = "DELETE FROM challenges",
};

void sq_log_error(sq_conn *c, const char *what, int rc)
{
    LOG_ERROR("sqlite store: %s failed: %s (%d)", what, c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc),
              rc);
}

int64_t sq_now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs a setup pragma that returns no row we need. */
static sms_status exec_setup(sq_conn *c, const char *sql, char *errbuf, size_t errcap)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

    if (rc != SQLITE_OK) {
        store_set_error(errbuf, errcap, "sqlite: %s: %s", sql, sqlite3_errmsg(c->db));
        return SMS_ESTORE;
    }
    return SMS_OK;
}

/* WAL is what lets the read pool run beside the writer; refuse to go on without it
 * (e.g. a file system that cannot host the shared-memory index). */
static sms_status enable_wal(sq_conn *c, char *errbuf, size_t errcap)
{
    sms_status ret = SMS_ESTORE;
    sqlite3_stmt *s = NULL;
    const unsigned char *mode;
    int rc;

    rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
    if (rc != SQLITE_OK) {
        store_set_error(errbuf, errcap, "sqlite: cannot enable WAL: %s", sqlite3_errmsg(c->db));
        goto cleanup;
    }
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        store_set_error(errbuf, errcap, "sqlite: cannot enable WAL: %s", sqlite3_errmsg(c->db));
        goto cleanup;
    }
    mode = sqlite3_column_text(s, 0);
    if (!mode || strcmp((const char *)mode, "wal") != 0) {
        store_set_error(errbuf, errcap, "sqlite: WAL journal mode unavailable (got %s)",
                        mode ? (const char *)mode : "nothing");
        goto cleanup;
    }
    ret = SMS_OK;

cleanup:
    sqlite3_finalize(s);
    return ret;
}

sms_status sq_conn_open(const char *path, int readonly, sq_conn **out, char *errbuf, size_t errcap)
{
    sms_status ret = SMS_ESTORE;
    sq_conn *c = NULL;
    int rc;

    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (!c) {
        ret = SMS_ENOMEM;
        goto cleanup;
    }
    /* NOMUTEX: each connection is used by one thread at a time (writer thread, or the
     * borrower of a pooled reader), so SQLite's per-connection mutex is pure overhead. */
    rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE,
                         NULL);
    if (rc != SQLITE_OK) {
        store_set_error(errbuf, errcap, "sqlite: cannot open %s: %s", path,
                        c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        ret = rc == SQLITE_NOMEM ? SMS_ENOMEM : SMS_EIO;
        goto cleanup;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, SQ_BUSY_TIMEOUT_MS);
    if (!readonly && (ret = enable_wal(c, errbuf, errcap)) != SMS_OK)
        goto cleanup;
    /* synchronous=FULL: a commit returns only once the WAL is fsync'd, which is the
     * durability promise of store.h. Set on readers too in case one runs a checkpoint. */
    if ((ret = exec_setup(c, "PRAGMA synchronous=FULL", errbuf, errcap)) != SMS_OK)
        goto cleanup;
    if ((ret = exec_setup(c, "PRAGMA foreign_keys=ON", errbuf, errcap)) != SMS_OK)
        goto cleanup;
    if (readonly && (ret = exec_setup(c, "PRAGMA query_only=ON", errbuf, errcap)) != SMS_OK)
        goto cleanup;
    *out = c;
    c = NULL;
    ret = SMS_OK;

cleanup:
    sq_conn_close(c);
    return ret;
}

void sq_conn_close(sq_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < SQ_STMT_COUNT; i++)
        sqlite3_finalize(c->stmts[i]);
    if (sqlite3_close(c->db) != SQLITE_OK)
        LOG_ERROR("sqlite store: close failed: %s", sqlite3_errmsg(c->db));
    free(c);
}

sqlite3_stmt *sq_stmt(sq_conn *c, sq_stmt_id id)
{
    int rc;

    if (c->stmts[id])
        return c->stmts[id];
    rc = sqlite3_prepare_v3(c->db, sq_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->stmts[id], NULL);
    if (rc != SQLITE_OK) {
        sq_log_error(c, "prepare", rc);
        c->stmts[id] = NULL;
        return NULL;
    }
    return c->stmts[id];
}

void sq_stmt_done(sqlite3_stmt *s)
{
    if (!s)
        return;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

sms_status sq_exec_stmt(sq_conn *c, sq_stmt_id id)
{
    sqlite3_stmt *s = sq_stmt(c, id);
    int rc;

    if (!s)
        return SMS_ESTORE;
    rc = sqlite3_step(s);
    sq_stmt_done(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        sq_log_error(c, sq_sql[id], rc);
        return SMS_ESTORE;
    }
    return SMS_OK;
}

/* Copies a text column of at most cap-1 bytes; 0 when absent or too long. */
static int copy_text(sqlite3_stmt *s, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    int n = sqlite3_column_bytes(s, col);

    if (!t || n <= 0 || (size_t)n >= cap)
        return 0;
    memcpy(dst, t, (size_t)n);
    dst[n] = '\0';
    return 1;
}

sms_status sq_read_challenge(sqlite3_stmt *s, challenge_rec *out)
{
    challenge_rec rec;
    const void *blob;
    int n;

    memset(&rec, 0, sizeof(rec));
    if (!copy_text(s, 0, rec.task_id, sizeof(rec.task_id)) || !copy_text(s, 1, rec.address, sizeof(rec.address)))
        return SMS_ESTORE;
    blob = sqlite3_column_blob(s, 2);
    n = sqlite3_column_bytes(s, 2);
    if (!blob || n <= 0)
        return SMS_ESTORE;
    rec.sealed_key = malloc((size_t)n);
    if (!rec.sealed_key)
        return SMS_ENOMEM;
    memcpy(rec.sealed_key, blob, (size_t)n);
    rec.sealed_key_len = (size_t)n;
    rec.final_deadline_ms = sqlite3_column_type(s, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 3);
    *out = rec;
    return SMS_OK;
}

/* ---- read pool ---- */

sms_status sq_reader_acquire(sq_store *s, sq_conn **out)
{
    sms_status ret;
    sq_conn *c;

    pthread_mutex_lock(&s->pool_mu);
    while (!s->pool_free && s->pool_open >= SQ_READERS_MAX)
        pthread_cond_wait(&s->pool_cv, &s->pool_mu);
    c = s->pool_free;
    if (c) {
        s->pool_free = c->next_free;
        c->next_free = NULL;
        pthread_mutex_unlock(&s->pool_mu);
        *out = c;
        return SMS_OK;
    }
    s->pool_open++;
    pthread_mutex_unlock(&s->pool_mu);

    /* Opened outside the lock: opening touches the file system and must not stall the
     * other borrowers. */
    ret = sq_conn_open(s->path, 1, &c, NULL, 0);
    if (ret != SMS_OK) {
        LOG_ERROR("sqlite store: cannot open a read connection (%s)", sms_status_name(ret));
        pthread_mutex_lock(&s->pool_mu);
        s->pool_open--;
        pthread_cond_signal(&s->pool_cv);
        pthread_mutex_unlock(&s->pool_mu);
        return SMS_ESTORE;
    }
    *out = c;
    return SMS_OK;
}

void sq_reader_release(sq_store *s, sq_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&s->pool_mu);
    c->next_free = s->pool_free;
    s->pool_free = c;
    pthread_cond_signal(&s->pool_cv);
    pthread_mutex_unlock(&s->pool_mu);
}

void sq_pool_destroy(sq_store *s)
{
    sq_conn *c;

    pthread_mutex_lock(&s->pool_mu);
    c = s->pool_free;
    s->pool_free = NULL;
    s->pool_open = 0;
    pthread_mutex_unlock(&s->pool_mu);
    while (c) {
        sq_conn *next = c->next_free;
        sq_conn_close(c);
        c = next;
    }
}
