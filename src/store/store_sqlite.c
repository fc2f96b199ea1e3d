/* SQLite backend: open/close, reads, whole-store iteration, and the ops table.
 * Writes go through the writer thread (store_sqlite_writer.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store_backend.h"
#include "store/store_sqlite_int.h"

/* ---- reads (pooled read-only connections) ---- */

static void bind_id(sqlite3_stmt *s, const secret_id *id)
{
    sqlite3_bind_int(s, 1, (int)id->kind);
    sqlite3_bind_text(s, 2, id->owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, id->name, -1, SQLITE_STATIC);
}

static sms_status sq_secret_get(void *impl, const secret_id *id, uint8_t **sealed, size_t *len)
{
    sms_status ret = SMS_ESTORE;
    sq_conn *c = NULL;
    sqlite3_stmt *s = NULL;
    const void *blob;
    uint8_t *buf;
    int rc, n;

    if ((ret = sq_reader_acquire(impl, &c)) != SMS_OK)
        goto cleanup;
    ret = SMS_ESTORE;
    if (!(s = sq_stmt(c, SQ_SECRET_GET)))
        goto cleanup;
    bind_id(s, id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        ret = SMS_ENOTFOUND;
        goto cleanup;
    }
    if (rc != SQLITE_ROW) {
        sq_log_error(c, "secret get", rc);
        goto cleanup;
    }
    blob = sqlite3_column_blob(s, 0);
    n = sqlite3_column_bytes(s, 0);
    /* One spare byte so that an empty value still gets a distinct, freeable buffer. */
    buf = malloc((size_t)n + 1);
    if (!buf) {
        ret = SMS_ENOMEM;
        goto cleanup;
    }
    if (n > 0)
        memcpy(buf, blob, (size_t)n);
    *sealed = buf;
    *len = (size_t)n;
    ret = SMS_OK;

cleanup:
    sq_stmt_done(s);
    if (c)
        sq_reader_release(impl, c);
    return ret;
}

static sms_status sq_secret_exists(void *impl, const secret_id *id, int *exists)
{
    sms_status ret;
    sq_conn *c = NULL;
    sqlite3_stmt *s = NULL;
    int rc;

    if ((ret = sq_reader_acquire(impl, &c)) != SMS_OK)
        goto cleanup;
    ret = SMS_ESTORE;
    if (!(s = sq_stmt(c, SQ_SECRET_EXISTS)))
        goto cleanup;
    bind_id(s, id);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sq_log_error(c, "secret exists", rc);
        goto cleanup;
    }
    *exists = rc == SQLITE_ROW;
    ret = SMS_OK;

cleanup:
    sq_stmt_done(s);
    if (c)
        sq_reader_release(impl, c);
    return ret;
}

/* Runs a cached single-integer query on a pooled connection. */
static sms_status read_int(sq_store *st, sq_stmt_id id, int lo, int hi, int64_t *out)
{
    sms_status ret;
    sq_conn *c = NULL;
    sqlite3_stmt *s = NULL;
    int rc;

    if ((ret = sq_reader_acquire(st, &c)) != SMS_OK)
        goto cleanup;
    ret = SMS_ESTORE;
    if (!(s = sq_stmt(c, id)))
        goto cleanup;
    if (id == SQ_COUNT_KINDS) {
        sqlite3_bind_int(s, 1, lo);
        sqlite3_bind_int(s, 2, hi);
    }
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sq_log_error(c, "count", rc);
        goto cleanup;
    }
    *out = sqlite3_column_int64(s, 0);
    ret = SMS_OK;

cleanup:
    sq_stmt_done(s);
    if (c)
        sq_reader_release(st, c);
    return ret;
}

static sms_status sq_count(void *impl, store_count_kind kind, int64_t *n)
{
    switch (kind) {
    case STORE_COUNT_WEB2:
        return read_int(impl, SQ_COUNT_KINDS, SECRET_WEB2, SECRET_WEB2, n);
    case STORE_COUNT_WEB3:
        return read_int(impl, SQ_COUNT_KINDS, SECRET_WEB3, SECRET_WEB3, n);
    case STORE_COUNT_COMPUTE:
        return read_int(impl, SQ_COUNT_KINDS, SECRET_APP, SECRET_REQUESTER, n);
    case STORE_COUNT_CHALLENGES:
        return read_int(impl, SQ_COUNT_CHALLENGES, 0, 0, n);
    }
    return SMS_EINVAL;
}

static sms_status sq_ping(void *impl)
{
    int64_t version = 0;
    sms_status ret = read_int(impl, SQ_PING, 0, 0, &version);

    if (ret == SMS_OK && version != SQ_SCHEMA_VERSION)
        ret = SMS_ESTORE;
    return ret;
}

static sms_status sq_challenge_get(void *impl, const char *task_id, challenge_rec *out)
{
    sms_status ret;
    sq_conn *c = NULL;
    sqlite3_stmt *s = NULL;
    int rc;

    if ((ret = sq_reader_acquire(impl, &c)) != SMS_OK)
        goto cleanup;
    ret = SMS_ESTORE;
    if (!(s = sq_stmt(c, SQ_CH_GET)))
        goto cleanup;
    sqlite3_bind_text(s, 1, task_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        ret = sq_read_challenge(s, out);
    else if (rc == SQLITE_DONE)
        ret = SMS_ENOTFOUND;
    else
        sq_log_error(c, "challenge get", rc);

cleanup:
    sq_stmt_done(s);
    if (c)
        sq_reader_release(impl, c);
    return ret;
}

/* ---- iteration: both tables inside one read transaction (one WAL snapshot) ---- */

static sms_status foreach_secrets(sq_conn *c, store_record_cb cb, void *ctx)
{
    sms_status ret = SMS_ESTORE;
    sqlite3_stmt *s = sq_stmt(c, SQ_ALL_SECRETS);
    store_record rec;
    int rc, kind;

    if (!s)
        return SMS_ESTORE;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        memset(&rec, 0, sizeof(rec));
        rec.type = STORE_REC_SECRET;
        kind = sqlite3_column_int(s, 0);
        if (kind < SECRET_WEB2 || kind > SECRET_REQUESTER)
            goto cleanup;
        rec.secret.kind = (secret_kind)kind;
        rec.secret.owner = (const char *)sqlite3_column_text(s, 1);
        rec.secret.name = (const char *)sqlite3_column_text(s, 2);
        rec.sealed = sqlite3_column_blob(s, 3);
        rec.sealed_len = (size_t)sqlite3_column_bytes(s, 3);
        if (!rec.secret.owner || !rec.secret.name)
            goto cleanup;
        if (!rec.sealed)
            rec.sealed = (const uint8_t *)"";
        if ((ret = cb(ctx, &rec)) != SMS_OK)
            goto cleanup;
        ret = SMS_ESTORE;
    }
    if (rc != SQLITE_DONE) {
        sq_log_error(c, "secret iteration", rc);
        goto cleanup;
    }
    ret = SMS_OK;

cleanup:
    sq_stmt_done(s);
    return ret;
}

static sms_status foreach_challenges(sq_conn *c, store_record_cb cb, void *ctx)
{
    sms_status ret = SMS_ESTORE;
    sqlite3_stmt *s = sq_stmt(c, SQ_ALL_CHALLENGES);
    challenge_rec ch;
    store_record rec;
    int rc;

    if (!s)
        return SMS_ESTORE;
    memset(&ch, 0, sizeof(ch));
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if ((ret = sq_read_challenge(s, &ch)) != SMS_OK)
            goto cleanup;
        memset(&rec, 0, sizeof(rec));
        rec.type = STORE_REC_CHALLENGE;
        rec.challenge = &ch;
        ret = cb(ctx, &rec);
        challenge_rec_clear(&ch);
        if (ret != SMS_OK)
            goto cleanup;
        ret = SMS_ESTORE;
    }
    if (rc != SQLITE_DONE) {
        sq_log_error(c, "challenge iteration", rc);
        goto cleanup;
    }
    ret = SMS_OK;

cleanup:
    challenge_rec_clear(&ch);
    sq_stmt_done(s);
    return ret;
}

static sms_status sq_foreach(void *impl, store_record_cb cb, void *ctx)
{
    sms_status ret;
    sq_conn *c = NULL;
    int in_tx = 0;

    if ((ret = sq_reader_acquire(impl, &c)) != SMS_OK)
        goto cleanup;
    if ((ret = sq_exec_stmt(c, SQ_BEGIN)) != SMS_OK)
        goto cleanup;
    in_tx = 1;
    if ((ret = foreach_secrets(c, cb, ctx)) != SMS_OK)
        goto cleanup;
    ret = foreach_challenges(c, cb, ctx);

cleanup:
    /* Read-only transaction: ending it only releases the snapshot. */
    if (in_tx && !sqlite3_get_autocommit(c->db))
        sq_exec_stmt(c, SQ_ROLLBACK);
    if (c)
        sq_reader_release(impl, c);
    return ret;
}

/* ---- lifecycle ---- */

static void sq_store_free(sq_store *s, int writer_running)
{
    if (!s)
        return;
    if (writer_running)
        sq_writer_stop(s);
    sq_pool_destroy(s);
    /* Closed last: the last connection to go checkpoints the WAL into the main file. */
    sq_conn_close(s->wconn);
    pthread_cond_destroy(&s->q_cv);
    pthread_mutex_destroy(&s->q_mu);
    pthread_cond_destroy(&s->pool_cv);
    pthread_mutex_destroy(&s->pool_mu);
    free(s->path);
    free(s);
}

static void sq_close(void *impl)
{
    sq_store_free(impl, 1);
}

static const store_backend_ops sq_ops = {
    .name = "sqlite",
    .close = sq_close,
    .secret_insert = sq_secret_insert,
    .secret_update = sq_secret_update,
    .secret_write_async = sq_secret_write_async,
    .secret_get = sq_secret_get,
    .secret_exists = sq_secret_exists,
    .count = sq_count,
    .ping = sq_ping,
    .challenge_get_or_create = sq_challenge_get_or_create,
    .challenge_get = sq_challenge_get,
    .challenge_delete_expired = sq_challenge_delete_expired,
    .challenge_fill_missing_deadlines = sq_challenge_fill_missing_deadlines,
    .foreach = sq_foreach,
    .put_record = sq_put_record,
    .put_all = sq_put_all,
};

/* Creates the file owner-only before SQLite does (SQLite would use 0644 minus umask);
 * the -wal and -shm files inherit the database file's mode. An existing file keeps its
 * mode. */
static sms_status ensure_file(const char *path, char *errbuf, size_t errcap)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0) {
        store_set_error(errbuf, errcap, "sqlite: cannot open %s: %s", path, strerror(errno));
        return SMS_EIO;
    }
    close(fd);
    return SMS_OK;
}

static sms_status sq_store_new(const char *path, sq_store **out)
{
    sq_store *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (!s)
        return SMS_ENOMEM;
    s->path = strdup(path);
    /* Default attributes: these initialisations cannot fail on Linux. */
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_cond_init(&s->pool_cv, NULL);
    pthread_mutex_init(&s->q_mu, NULL);
    pthread_cond_init(&s->q_cv, NULL);
    if (!s->path) {
        sq_store_free(s, 0);
        return SMS_ENOMEM;
    }
    *out = s;
    return SMS_OK;
}

sms_status store_sqlite_open(const char *path, sms_store **out, char *errbuf, size_t errcap)
{
    sms_status ret;
    sq_store *s = NULL;
    sq_conn *probe = NULL;
    int writer_running = 0;

    *out = NULL;
    if (!path || !*path) {
        store_set_error(errbuf, errcap, "sqlite: empty database path");
        ret = SMS_EINVAL;
        goto cleanup;
    }
    if (strcmp(path, ":memory:") == 0) {
        store_set_error(errbuf, errcap, "sqlite: in-memory databases are not supported (use a file)");
        ret = SMS_EINVAL;
        goto cleanup;
    }
    if (!sqlite3_threadsafe()) {
        store_set_error(errbuf, errcap, "sqlite: library built without thread support");
        ret = SMS_ESTORE;
        goto cleanup;
    }
    if ((ret = ensure_file(path, errbuf, errcap)) != SMS_OK)
        goto cleanup;
    if ((ret = sq_store_new(path, &s)) != SMS_OK)
        goto cleanup;
    if ((ret = sq_conn_open(path, 0, &s->wconn, errbuf, errcap)) != SMS_OK)
        goto cleanup;
    if ((ret = sq_schema_migrate(s->wconn, errbuf, errcap)) != SMS_OK)
        goto cleanup;
    /* Fail now rather than on the first request if readers cannot open the file. */
    if ((ret = sq_reader_acquire(s, &probe)) != SMS_OK) {
        store_set_error(errbuf, errcap, "sqlite: cannot open a read connection to %s", path);
        goto cleanup;
    }
    sq_reader_release(s, probe);
    if ((ret = sq_writer_start(s)) != SMS_OK) {
        store_set_error(errbuf, errcap, "sqlite: cannot start the writer thread");
        goto cleanup;
    }
    writer_running = 1;
    if ((ret = store_backend_wrap(&sq_ops, s, out)) != SMS_OK) {
        store_set_error(errbuf, errcap, "sqlite: out of memory");
        goto cleanup;
    }
    s = NULL;
    LOG_INFO("sqlite store opened: %s (schema version %d)", path, SQ_SCHEMA_VERSION);

cleanup:
    sq_store_free(s, writer_running);
    return ret;
}
