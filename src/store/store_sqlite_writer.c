/* SQLite backend: the writer thread and group commit.
 *
 * A durable SQLite commit costs one fsync of the WAL. Committing every write on its own
 * would cap the store at one write per fsync whatever the number of request threads, so
 * a single writer thread owns the write connection and commits writes in batches:
 *
 *   caller                                  writer
 *   enqueue op, wait on op->done ------>    gather (below), take up to SQ_BATCH_MAX ops
 *                                           BEGIN IMMEDIATE
 *                                           per op: SAVEPOINT; run; RELEASE or ROLLBACK TO
 *                                           COMMIT (the one fsync of the batch)
 *   wake, read op->status       <-------    post each op's semaphore (q_mu not held)
 *
 * A savepoint per op keeps one op's failure (duplicate, missing row) from undoing the
 * others. If the transaction itself fails (BEGIN, COMMIT, or an I/O error that makes
 * SQLite roll it back), nothing of the batch is durable and every op gets SMS_ESTORE.
 *
 * Operations live on their caller's stack; the caller is blocked until done is posted, so
 * borrowed inputs stay valid and are bound with SQLITE_STATIC (no copy). Results are
 * written into the op by the writer and published by sem_post (a memory barrier). */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_backend.h"
#include "store/store_sqlite_int.h"

typedef enum {
    OP_SECRET_INSERT,
    OP_SECRET_UPDATE,
    OP_CH_GET_OR_CREATE,
    OP_CH_INSERT,
    OP_CH_DELETE_EXPIRED,
    OP_CH_FILL_DEADLINES,
    OP_PUT_ALL
} sq_op_type;

struct sq_write_op {
    sq_op_type type;
    /* Inputs, borrowed from the caller. */
    const secret_id *id;
    const uint8_t *data;
    size_t len;
    const challenge_rec *ch;
    int64_t arg_ms;
    int arg_batch;
    store_record_source src; /* OP_PUT_ALL */
    void *src_ctx;
    int arg_replace;
    /* Results, valid once done is set. */
    sms_status status;
    challenge_rec res_ch;
    int res_created;
    int64_t res_n;
    sem_t done;           /* posted by the writer once status and results are set */
    store_write_done async_done; /* asynchronous op: called instead of posting done, then freed */
    void *async_ctx;
    sq_write_op *next;
};

/* ---- single operations, run by the writer inside the batch transaction ---- */

static sms_status step_status(sq_conn *c, int rc, const char *what)
{
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return SMS_OK;
    /* A CHECK failure means input the validation layer should have refused. */
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return SMS_EINVAL;
    sq_log_error(c, what, rc);
    return SMS_ESTORE;
}

static void bind_secret(sqlite3_stmt *s, const secret_id *id)
{
    sqlite3_bind_int(s, 1, (int)id->kind);
    sqlite3_bind_text(s, 2, id->owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, id->name, -1, SQLITE_STATIC);
}

/* A zero-length value must still bind as a blob, not as NULL. */
static const void *blob_ptr(const uint8_t *p)
{
    return p ? (const void *)p : (const void *)"";
}

static sms_status op_secret_write(sq_conn *c, sq_write_op *op)
{
    int update = op->type == OP_SECRET_UPDATE;
    sqlite3_stmt *s = sq_stmt(c, update ? SQ_SECRET_UPDATE : SQ_SECRET_INSERT);
    sms_status ret;

    if (!s)
        return SMS_ESTORE;
    bind_secret(s, op->id);
    sqlite3_bind_blob64(s, 4, blob_ptr(op->data), op->len, SQLITE_STATIC);
    ret = step_status(c, sqlite3_step(s), update ? "secret update" : "secret insert");
    if (ret == SMS_OK && sqlite3_changes(c->db) == 0)
        ret = update ? SMS_ENOTFOUND : SMS_EEXISTS;
    sq_stmt_done(s);
    return ret;
}

/* INSERT ... ON CONFLICT DO NOTHING; *inserted tells whether the row is new. */
static sms_status ch_insert(sq_conn *c, const challenge_rec *ch, int *inserted)
{
    sqlite3_stmt *s = sq_stmt(c, SQ_CH_INSERT);
    sms_status ret;

    *inserted = 0;
    if (!s)
        return SMS_ESTORE;
    sqlite3_bind_text(s, 1, ch->task_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, ch->address, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(s, 3, ch->sealed_key, ch->sealed_key_len, SQLITE_STATIC);
    if (ch->final_deadline_ms > 0)
        sqlite3_bind_int64(s, 4, ch->final_deadline_ms);
    else
        sqlite3_bind_null(s, 4);
    sqlite3_bind_int64(s, 5, sq_now_ms());
    ret = step_status(c, sqlite3_step(s), "challenge insert");
    if (ret == SMS_OK)
        *inserted = sqlite3_changes(c->db) > 0;
    sq_stmt_done(s);
    return ret;
}

static sms_status op_ch_get_or_create(sq_conn *c, sq_write_op *op)
{
    sqlite3_stmt *s = NULL;
    sms_status ret;
    int rc;

    if ((ret = ch_insert(c, op->ch, &op->res_created)) != SMS_OK)
        goto cleanup;
    /* Read back in the same transaction: either our row or the one that won. */
    s = sq_stmt(c, SQ_CH_GET);
    if (!s) {
        ret = SMS_ESTORE;
        goto cleanup;
    }
    sqlite3_bind_text(s, 1, op->ch->task_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        ret = sq_read_challenge(s, &op->res_ch);
    } else {
        /* SQLITE_DONE cannot happen: the row was inserted or found in this transaction. */
        sq_log_error(c, "challenge read-back", rc);
        ret = SMS_ESTORE;
    }

cleanup:
    sq_stmt_done(s);
    if (ret != SMS_OK) {
        op->res_created = 0;
        challenge_rec_clear(&op->res_ch);
    }
    return ret;
}

static sms_status op_ch_insert(sq_conn *c, sq_write_op *op)
{
    int inserted;
    sms_status ret = ch_insert(c, op->ch, &inserted);

    if (ret == SMS_OK && !inserted)
        ret = SMS_EEXISTS;
    return ret;
}

static sms_status op_ch_bulk(sq_conn *c, sq_write_op *op)
{
    int fill = op->type == OP_CH_FILL_DEADLINES;
    sqlite3_stmt *s = sq_stmt(c, fill ? SQ_CH_FILL_DEADLINES : SQ_CH_DELETE_EXPIRED);
    sms_status ret;

    if (!s)
        return SMS_ESTORE;
    sqlite3_bind_int64(s, 1, op->arg_ms);
    if (fill)
        sqlite3_bind_int(s, 2, op->arg_batch);
    ret = step_status(c, sqlite3_step(s), fill ? "challenge deadline fill" : "challenge expiry");
    if (ret == SMS_OK)
        op->res_n = sqlite3_changes(c->db);
    sq_stmt_done(s);
    return ret;
}

/* Bulk write: the caller's savepoint (run_in_savepoint) makes it all or nothing. */
static sms_status op_put_all(sq_conn *c, sq_write_op *op)
{
    sms_status ret;

    if (op->arg_replace) {
        if ((ret = sq_exec_stmt(c, SQ_DELETE_ALL_SECRETS)) != SMS_OK)
            return ret;
        if ((ret = sq_exec_stmt(c, SQ_DELETE_ALL_CHALLENGES)) != SMS_OK)
            return ret;
    }
    for (;;) {
        const store_record *rec = NULL;
        sq_write_op one = {.type = OP_SECRET_INSERT};

        if ((ret = op->src(op->src_ctx, &rec)) != SMS_OK)
            return ret;
        if (!rec)
            return SMS_OK;
        if (rec->type == STORE_REC_CHALLENGE) {
            one.type = OP_CH_INSERT;
            one.ch = rec->challenge;
            ret = op_ch_insert(c, &one);
        } else {
            one.id = &rec->secret;
            one.data = rec->sealed;
            one.len = rec->sealed_len;
            ret = op_secret_write(c, &one);
        }
        if (ret != SMS_OK)
            return ret;
    }
}

static sms_status run_op(sq_conn *c, sq_write_op *op)
{
    switch (op->type) {
    case OP_SECRET_INSERT:
    case OP_SECRET_UPDATE:
        return op_secret_write(c, op);
    case OP_CH_GET_OR_CREATE:
        return op_ch_get_or_create(c, op);
    case OP_CH_INSERT:
        return op_ch_insert(c, op);
    case OP_CH_DELETE_EXPIRED:
    case OP_CH_FILL_DEADLINES:
        return op_ch_bulk(c, op);
    case OP_PUT_ALL:
        return op_put_all(c, op);
    }
    return SMS_EINVAL;
}

/* ---- batches ---- */

static void fail_batch(sq_write_op *batch)
{
    for (sq_write_op *op = batch; op; op = op->next) {
        op->status = SMS_ESTORE;
        op->res_created = 0;
        op->res_n = 0;
        challenge_rec_clear(&op->res_ch);
    }
}

/* Runs one op under its own savepoint. Returns 0 when the enclosing transaction is no
 * longer usable (the whole batch must then fail). */
static int run_in_savepoint(sq_conn *c, sq_write_op *op)
{
    if (sq_exec_stmt(c, SQ_SAVEPOINT) != SMS_OK)
        return 0;
    op->status = run_op(c, op);
    /* Some errors (disk full, I/O) make SQLite roll the whole transaction back. */
    if (sqlite3_get_autocommit(c->db))
        return 0;
    if (op->status != SMS_OK && sq_exec_stmt(c, SQ_ROLLBACK_TO) != SMS_OK)
        return 0;
    return sq_exec_stmt(c, SQ_RELEASE) == SMS_OK;
}

static void run_batch(sq_conn *c, sq_write_op *batch)
{
    int ok = sq_exec_stmt(c, SQ_BEGIN_IMMEDIATE) == SMS_OK;

    for (sq_write_op *op = batch; ok && op; op = op->next)
        ok = run_in_savepoint(c, op);
    if (ok)
        ok = sq_exec_stmt(c, SQ_COMMIT) == SMS_OK;
    if (!ok) {
        if (!sqlite3_get_autocommit(c->db))
            sq_exec_stmt(c, SQ_ROLLBACK);
        fail_batch(batch);
    }
}

/* Detaches up to SQ_BATCH_MAX ops from the queue head. Caller holds q_mu. */
static sq_write_op *take_batch(sq_store *s, int *n_out)
{
    sq_write_op *batch = s->q_head, *last = s->q_head;
    int n = 1;

    for (; n < SQ_BATCH_MAX && last->next; n++)
        last = last->next;
    s->q_head = last->next;
    if (!s->q_head)
        s->q_tail = NULL;
    last->next = NULL;
    s->q_len -= n;
    *n_out = n;
    return batch;
}

/* Group commit gathers: when fewer operations wait than half the previous batch, the
 * writers of that batch are most likely on their way back with their next write. Waiting a
 * fraction of an fsync for them costs less than an extra fsync. Half, not all: committing
 * one half while the other half is being verified keeps the two stages overlapped; waiting
 * for everybody would run them in lockstep. Caller holds q_mu. */
static void gather(sq_store *s)
{
    int target = (s->last_batch + 1) / 2;
    if (target <= 1 || s->q_len >= target || s->stopping)
        return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += SQ_GATHER_US * 1000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    s->writer_idle = 1;
    s->wake_at = target;
    while (s->q_len < target && !s->stopping)
        if (pthread_cond_timedwait(&s->q_cv, &s->q_mu, &until) != 0)
            break;
    s->writer_idle = 0;
}

static void *writer_main(void *arg)
{
    sq_store *s = arg;

    pthread_mutex_lock(&s->q_mu);
    for (;;) {
        sq_write_op *batch;
        int n = 0;

        s->writer_idle = 1;
        s->wake_at = 1;
        while (!s->q_head && !s->stopping)
            pthread_cond_wait(&s->q_cv, &s->q_mu);
        s->writer_idle = 0;
        if (!s->q_head)
            break; /* stopping, queue drained */
        gather(s);
        batch = take_batch(s, &n);
        s->last_batch = n;
        pthread_mutex_unlock(&s->q_mu);

        run_batch(s->wconn, batch);

        /* Wake each caller without holding q_mu. The op may vanish as soon as its
         * semaphore is posted: read next first. */
        while (batch) {
            sq_write_op *next = batch->next;
            if (batch->async_done != NULL) {
                batch->async_done(batch->async_ctx, batch->status);
                free(batch); /* with its copied inputs, allocated in one block */
            } else {
                sem_post(&batch->done);
            }
            batch = next;
        }
        pthread_mutex_lock(&s->q_mu);
    }
    pthread_mutex_unlock(&s->q_mu);
    return NULL;
}

sms_status sq_writer_start(sq_store *s)
{
    int rc = pthread_create(&s->writer, NULL, writer_main, s);

    if (rc != 0) {
        LOG_ERROR("sqlite store: cannot start the writer thread: %s", strerror(rc));
        return rc == EAGAIN ? SMS_ENOMEM : SMS_ERR;
    }
    return SMS_OK;
}

void sq_writer_stop(sq_store *s)
{
    pthread_mutex_lock(&s->q_mu);
    s->stopping = 1;
    pthread_cond_signal(&s->q_cv);
    pthread_mutex_unlock(&s->q_mu);
    pthread_join(s->writer, NULL);
}

/* Queues op and blocks until the writer has committed (or failed) its batch. */
static sms_status submit(sq_store *s, sq_write_op *op)
{
    if (sem_init(&op->done, 0, 0) != 0)
        return SMS_ENOMEM;
    pthread_mutex_lock(&s->q_mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->q_mu);
        sem_destroy(&op->done);
        return SMS_ESTORE;
    }
    op->next = NULL;
    if (s->q_tail)
        s->q_tail->next = op;
    else
        s->q_head = op;
    s->q_tail = op;
    s->q_len++;
    /* While gathering, the writer only needs waking once its batch is full. */
    if (s->writer_idle && s->q_len >= s->wake_at)
        pthread_cond_signal(&s->q_cv);
    pthread_mutex_unlock(&s->q_mu);
    while (sem_wait(&op->done) != 0) {
    }
    sem_destroy(&op->done);
    return op->status;
}

/* Queues a heap op without waiting; the writer completes it. */
static sms_status submit_async(sq_store *s, sq_write_op *op)
{
    pthread_mutex_lock(&s->q_mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->q_mu);
        return SMS_ESTORE;
    }
    op->next = NULL;
    if (s->q_tail)
        s->q_tail->next = op;
    else
        s->q_head = op;
    s->q_tail = op;
    s->q_len++;
    /* While gathering, the writer only needs waking once its batch is full. */
    if (s->writer_idle && s->q_len >= s->wake_at)
        pthread_cond_signal(&s->q_cv);
    pthread_mutex_unlock(&s->q_mu);
    return SMS_OK;
}

/* ---- backend entry points ---- */

sms_status sq_secret_write_async(void *impl, const secret_id *id, const uint8_t *sealed, size_t len, int update,
                                 store_write_done done, void *ctx)
{
    /* One block: the op, its identity and the copies of the strings and the value. */
    size_t owner_len = strlen(id->owner) + 1, name_len = strlen(id->name) + 1;
    struct async_block {
        sq_write_op op;
        secret_id id;
    } *b = malloc(sizeof *b + owner_len + name_len + len);
    if (!b)
        return SMS_ENOMEM;
    char *owner = (char *)(b + 1);
    char *name = owner + owner_len;
    uint8_t *data = (uint8_t *)(name + name_len);
    memcpy(owner, id->owner, owner_len);
    memcpy(name, id->name, name_len);
    memcpy(data, sealed, len);
    memset(&b->op, 0, sizeof b->op);
    b->id = (secret_id){.kind = id->kind, .owner = owner, .name = name};
    b->op.type = update ? OP_SECRET_UPDATE : OP_SECRET_INSERT;
    b->op.id = &b->id;
    b->op.data = data;
    b->op.len = len;
    b->op.async_done = done;
    b->op.async_ctx = ctx;
    sms_status rc = submit_async(impl, &b->op);
    if (rc != SMS_OK)
        free(b);
    return rc;
}


sms_status sq_secret_insert(void *impl, const secret_id *id, const uint8_t *sealed, size_t len)
{
    sq_write_op op = {.type = OP_SECRET_INSERT, .id = id, .data = sealed, .len = len};

    return submit(impl, &op);
}

sms_status sq_secret_update(void *impl, const secret_id *id, const uint8_t *sealed, size_t len)
{
    sq_write_op op = {.type = OP_SECRET_UPDATE, .id = id, .data = sealed, .len = len};

    return submit(impl, &op);
}

sms_status sq_challenge_get_or_create(void *impl, const challenge_rec *candidate, challenge_rec *out, int *created)
{
    sq_write_op op = {.type = OP_CH_GET_OR_CREATE, .ch = candidate};
    sms_status ret = submit(impl, &op);

    if (ret == SMS_OK) {
        *out = op.res_ch;
        *created = op.res_created;
    }
    return ret;
}

sms_status sq_challenge_delete_expired(void *impl, int64_t now_ms, int64_t *deleted)
{
    sq_write_op op = {.type = OP_CH_DELETE_EXPIRED, .arg_ms = now_ms};
    sms_status ret = submit(impl, &op);

    if (ret == SMS_OK)
        *deleted = op.res_n;
    return ret;
}

sms_status sq_challenge_fill_missing_deadlines(void *impl, int64_t deadline_ms, int batch, int64_t *updated)
{
    sq_write_op op = {.type = OP_CH_FILL_DEADLINES, .arg_ms = deadline_ms, .arg_batch = batch};
    sms_status ret = submit(impl, &op);

    if (ret == SMS_OK)
        *updated = op.res_n;
    return ret;
}

sms_status sq_put_record(void *impl, const store_record *rec)
{
    sq_write_op op = {.type = OP_SECRET_INSERT};

    if (rec->type == STORE_REC_CHALLENGE) {
        op.type = OP_CH_INSERT;
        op.ch = rec->challenge;
    } else {
        op.id = &rec->secret;
        op.data = rec->sealed;
        op.len = rec->sealed_len;
    }
    return submit(impl, &op);
}

sms_status sq_put_all(void *impl, int replace, store_record_source next, void *ctx)
{
    sq_write_op op = {.type = OP_PUT_ALL, .src = next, .src_ctx = ctx, .arg_replace = replace};

    return submit(impl, &op);
}
