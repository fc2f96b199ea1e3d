/* PostgreSQL backend (IEXEC_SMS_DATABASE_URL=postgresql://...): the operations, whole-store
 * iteration, open/close and the ops table. Connections, pool and statements are in
 * store_pg_conn.c, the schema in store_pg_schema.c.
 *
 * Every operation but the bulk writes is one autocommit statement: acknowledged means
 * committed, and committed means durable (synchronous_commit is on, see store_pg_conn.c)
 * and visible to every other daemon on the database from then on.
 *
 * Retrying after a broken connection (pg_with_conn): the first try's outcome is unknown,
 * since the connection may have died after the server committed. Reads, updates and the
 * challenge sweeps are idempotent. Inserts are not, so a second try that meets an existing
 * row compares it with the value being inserted: the same bytes (sealed values carry a
 * random nonce) mean the first try committed, and the insert reports success. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/secure.h"
#include "store/store_backend.h"
#include "store/store_pg_int.h"

/* Rows affected by an INSERT/UPDATE/DELETE. */
static int64_t affected(PGresult *r)
{
    const char *t = PQcmdTuples(r);
    char *end = NULL;
    long long n;

    if (!t || !*t)
        return 0;
    n = strtoll(t, &end, 10);
    return (end && *end == '\0' && n > 0) ? (int64_t)n : 0;
}

/* ---- secrets ---- */

typedef struct {
    const secret_id *id;
    const uint8_t *data;
    size_t len;
    uint8_t **sealed;
    size_t *out_len;
    int *exists;
} secret_arg;

static void secret_params(pg_params *p, const secret_arg *a, int with_value)
{
    memset(p, 0, sizeof(*p));
    pg_param_int(p, (int64_t)a->id->kind);
    pg_param_text(p, a->id->owner);
    pg_param_text(p, a->id->name);
    if (with_value)
        pg_param_bytes(p, a->data, a->len);
}

/* One row, one boolean column, true. */
static sms_status single_true(pg_conn *c, pg_stmt_id id, const pg_params *p, int *yes)
{
    PGresult *r = NULL;
    sms_status ret;

    *yes = 0;
    if ((ret = pg_exec(c, id, p, &r)) != SMS_OK)
        return ret;
    if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        ret = pg_get_bool(r, 0, 0, yes);
    PQclear(r);
    return ret;
}

static sms_status op_secret_insert(pg_conn *c, void *arg, int attempt)
{
    secret_arg *a = arg;
    PGresult *r = NULL;
    pg_params p;
    sms_status ret;
    int same = 0;

    secret_params(&p, a, 1);
    if ((ret = pg_exec(c, PG_SECRET_INSERT, &p, &r)) != SMS_OK)
        return ret;
    ret = affected(r) == 1 ? SMS_OK : SMS_EEXISTS;
    PQclear(r);
    if (ret == SMS_EEXISTS && attempt > 0) {
        if ((ret = single_true(c, PG_SECRET_SAME, &p, &same)) != SMS_OK)
            return ret;
        ret = same ? SMS_OK : SMS_EEXISTS;
    }
    return ret;
}

static sms_status op_secret_update(pg_conn *c, void *arg, int attempt)
{
    secret_arg *a = arg;
    PGresult *r = NULL;
    pg_params p;
    sms_status ret;

    (void)attempt;
    secret_params(&p, a, 1);
    if ((ret = pg_exec(c, PG_SECRET_UPDATE, &p, &r)) != SMS_OK)
        return ret;
    ret = affected(r) >= 1 ? SMS_OK : SMS_ENOTFOUND;
    PQclear(r);
    return ret;
}

static sms_status op_secret_get(pg_conn *c, void *arg, int attempt)
{
    secret_arg *a = arg;
    PGresult *r = NULL;
    pg_params p;
    sms_status ret;
    uint8_t *buf;
    int n;

    (void)attempt;
    secret_params(&p, a, 0);
    if ((ret = pg_exec(c, PG_SECRET_GET, &p, &r)) != SMS_OK)
        return ret;
    if (PQntuples(r) == 0) {
        ret = SMS_ENOTFOUND;
        goto cleanup;
    }
    if (PQntuples(r) != 1 || PQnfields(r) != 1 || PQgetisnull(r, 0, 0)) {
        ret = SMS_ESTORE;
        goto cleanup;
    }
    n = PQgetlength(r, 0, 0);
    /* One spare byte so that an empty value still gets a distinct, freeable buffer. */
    buf = malloc((size_t)n + 1);
    if (!buf) {
        ret = SMS_ENOMEM;
        goto cleanup;
    }
    if (n > 0)
        memcpy(buf, PQgetvalue(r, 0, 0), (size_t)n);
    *a->sealed = buf;
    *a->out_len = (size_t)n;
    ret = SMS_OK;

cleanup:
    PQclear(r);
    return ret;
}

static sms_status op_secret_exists(pg_conn *c, void *arg, int attempt)
{
    secret_arg *a = arg;
    PGresult *r = NULL;
    pg_params p;
    sms_status ret;

    (void)attempt;
    secret_params(&p, a, 0);
    if ((ret = pg_exec(c, PG_SECRET_EXISTS, &p, &r)) != SMS_OK)
        return ret;
    *a->exists = PQntuples(r) > 0;
    PQclear(r);
    return SMS_OK;
}

static sms_status pg_secret_insert(void *impl, const secret_id *id, const uint8_t *sealed, size_t len)
{
    secret_arg a = {.id = id, .data = sealed, .len = len};

    return pg_with_conn(impl, op_secret_insert, &a);
}

static sms_status pg_secret_update(void *impl, const secret_id *id, const uint8_t *sealed, size_t len)
{
    secret_arg a = {.id = id, .data = sealed, .len = len};

    return pg_with_conn(impl, op_secret_update, &a);
}

static sms_status pg_secret_get(void *impl, const secret_id *id, uint8_t **sealed, size_t *len)
{
    secret_arg a = {.id = id, .sealed = sealed, .out_len = len};

    return pg_with_conn(impl, op_secret_get, &a);
}

static sms_status pg_secret_exists(void *impl, const secret_id *id, int *exists)
{
    secret_arg a = {.id = id, .exists = exists};

    return pg_with_conn(impl, op_secret_exists, &a);
}

/* ---- counts, ping ---- */

typedef struct {
    pg_stmt_id stmt;
    int lo, hi; /* PG_COUNT_KINDS */
    int64_t *out;
} int_arg;

static sms_status op_read_int(pg_conn *c, void *arg, int attempt)
{
    int_arg *a = arg;
    PGresult *r = NULL;
    pg_params p;
    sms_status ret;

    (void)attempt;
    memset(&p, 0, sizeof(p));
    if (a->stmt == PG_COUNT_KINDS) {
        pg_param_int(&p, a->lo);
        pg_param_int(&p, a->hi);
    }
    if ((ret = pg_exec(c, a->stmt, &p, &r)) != SMS_OK)
        return ret;
    ret = PQntuples(r) == 1 ? pg_get_int(r, 0, 0, a->out) : SMS_ESTORE;
    PQclear(r);
    return ret;
}

static sms_status pg_count(void *impl, store_count_kind kind, int64_t *n)
{
    int_arg a = {.stmt = PG_COUNT_KINDS, .out = n};

    switch (kind) {
    case STORE_COUNT_WEB2:
        a.lo = a.hi = SECRET_WEB2;
        break;
    case STORE_COUNT_WEB3:
        a.lo = a.hi = SECRET_WEB3;
        break;
    case STORE_COUNT_COMPUTE:
        a.lo = SECRET_APP;
        a.hi = SECRET_REQUESTER;
        break;
    case STORE_COUNT_CHALLENGES:
        a.stmt = PG_COUNT_CHALLENGES;
        break;
    default:
        return SMS_EINVAL;
    }
    return pg_with_conn(impl, op_read_int, &a);
}

static sms_status pg_ping(void *impl)
{
    int64_t version = 0;
    int_arg a = {.stmt = PG_PING, .out = &version};
    sms_status ret = pg_with_conn(impl, op_read_int, &a);

    if (ret == SMS_OK && version != PG_SCHEMA_VERSION)
        ret = SMS_ESTORE;
    return ret;
}

/* ---- challenges ---- */

typedef struct {
    const challenge_rec *ch;
    const char *task_id;
    challenge_rec *out;
    int *created;
    int64_t arg_ms;
    int batch;
    int64_t *n;
} ch_arg;

static void challenge_params(pg_params *p, const challenge_rec *ch, int with_created)
{
    memset(p, 0, sizeof(*p));
    pg_param_text(p, ch->task_id);
    pg_param_text(p, ch->address);
    pg_param_bytes(p, ch->sealed_key, ch->sealed_key_len);
    if (ch->final_deadline_ms > 0)
        pg_param_int(p, ch->final_deadline_ms);
    else
        pg_param_null(p);
    if (with_created)
        pg_param_int(p, pg_now_ms());
}

static int same_challenge(const challenge_rec *a, const challenge_rec *b)
{
    return strcmp(a->address, b->address) == 0 && a->sealed_key_len == b->sealed_key_len &&
           memcmp(a->sealed_key, b->sealed_key, a->sealed_key_len) == 0;
}

/* The statement returns no row only when a concurrent transaction inserted the task after
 * the statement's snapshot was taken (see store_pg_conn.c), or when the sweep deleted the
 * row in between; each run takes a new snapshot, so a few runs settle it. */
#define GOC_RUNS 4

static sms_status op_ch_get_or_create(pg_conn *c, void *arg, int attempt)
{
    ch_arg *a = arg;
    PGresult *r = NULL;
    pg_params p;
    sms_status ret = SMS_ESTORE;
    int created = 0;

    challenge_params(&p, a->ch, 1);
    for (int run = 0; run < GOC_RUNS; run++) {
        if ((ret = pg_exec(c, PG_CH_GET_OR_CREATE, &p, &r)) != SMS_OK)
            return ret;
        if (PQntuples(r) == 1)
            break;
        PQclear(r);
        r = NULL;
        ret = SMS_ESTORE;
    }
    if (!r) {
        LOG_ERROR("postgresql store: challenge get-or-create found no row after %d runs", GOC_RUNS);
        return SMS_ESTORE;
    }
    if ((ret = pg_get_bool(r, 0, 4, &created)) != SMS_OK || (ret = pg_read_challenge(r, 0, 0, a->out)) != SMS_OK)
        goto cleanup;
    /* A second try finding our own candidate: the first one inserted it. */
    if (!created && attempt > 0 && same_challenge(a->out, a->ch))
        created = 1;
    *a->created = created;

cleanup:
    PQclear(r);
    return ret;
}

static sms_status op_ch_insert(pg_conn *c, void *arg, int attempt)
{
    ch_arg *a = arg;
    PGresult *r = NULL;
    pg_params p;
    sms_status ret;
    int same = 0;

    challenge_params(&p, a->ch, 1);
    if ((ret = pg_exec(c, PG_CH_INSERT, &p, &r)) != SMS_OK)
        return ret;
    ret = affected(r) == 1 ? SMS_OK : SMS_EEXISTS;
    PQclear(r);
    if (ret == SMS_EEXISTS && attempt > 0) {
        challenge_params(&p, a->ch, 0);
        if ((ret = single_true(c, PG_CH_SAME, &p, &same)) != SMS_OK)
            return ret;
        ret = same ? SMS_OK : SMS_EEXISTS;
    }
    return ret;
}

static sms_status op_ch_get(pg_conn *c, void *arg, int attempt)
{
    ch_arg *a = arg;
    PGresult *r = NULL;
    pg_params p;
    sms_status ret;

    (void)attempt;
    memset(&p, 0, sizeof(p));
    pg_param_text(&p, a->task_id);
    if ((ret = pg_exec(c, PG_CH_GET, &p, &r)) != SMS_OK)
        return ret;
    ret = PQntuples(r) == 0 ? SMS_ENOTFOUND : pg_read_challenge(r, 0, 0, a->out);
    PQclear(r);
    return ret;
}

/* Expiry sweep and deadline back-fill: idempotent, so a second try is harmless (its count
 * then misses what the first try did). */
static sms_status op_ch_bulk(pg_conn *c, void *arg, int attempt)
{
    ch_arg *a = arg;
    int fill = a->batch > 0;
    PGresult *r = NULL;
    pg_params p;
    sms_status ret;

    (void)attempt;
    memset(&p, 0, sizeof(p));
    pg_param_int(&p, a->arg_ms);
    if (fill)
        pg_param_int(&p, a->batch);
    if ((ret = pg_exec(c, fill ? PG_CH_FILL_DEADLINES : PG_CH_DELETE_EXPIRED, &p, &r)) != SMS_OK)
        return ret;
    *a->n = affected(r);
    PQclear(r);
    return SMS_OK;
}

static sms_status pg_challenge_get_or_create(void *impl, const challenge_rec *candidate, challenge_rec *out,
                                             int *created)
{
    ch_arg a = {.ch = candidate, .out = out, .created = created};

    return pg_with_conn(impl, op_ch_get_or_create, &a);
}

static sms_status pg_challenge_get(void *impl, const char *task_id, challenge_rec *out)
{
    ch_arg a = {.task_id = task_id, .out = out};

    return pg_with_conn(impl, op_ch_get, &a);
}

static sms_status pg_challenge_delete_expired(void *impl, int64_t now_ms, int64_t *deleted)
{
    ch_arg a = {.arg_ms = now_ms, .n = deleted};

    return pg_with_conn(impl, op_ch_bulk, &a);
}

static sms_status pg_challenge_fill_missing_deadlines(void *impl, int64_t deadline_ms, int batch, int64_t *updated)
{
    ch_arg a = {.arg_ms = deadline_ms, .batch = batch, .n = updated};

    return pg_with_conn(impl, op_ch_bulk, &a);
}

static sms_status pg_put_record(void *impl, const store_record *rec)
{
    secret_arg s = {.id = &rec->secret, .data = rec->sealed, .len = rec->sealed_len};
    ch_arg ch = {.ch = rec->challenge};

    if (rec->type == STORE_REC_CHALLENGE)
        return pg_with_conn(impl, op_ch_insert, &ch);
    return pg_with_conn(impl, op_secret_insert, &s);
}

/* ---- bulk writes (restore, import): one transaction ----
 *
 * BEGIN; [LOCK; DELETE both tables;] one INSERT ... ON CONFLICT DO NOTHING per record (no
 * row: a duplicate, SMS_EEXISTS); COMMIT. Other sessions keep reading the committed state
 * until COMMIT and the new one after it, never a mix. A replace locks both tables in
 * EXCLUSIVE mode first: reads go on, but no other writer (another daemon included) can
 * slip a row in between the DELETEs and COMMIT, so the store then holds exactly the
 * source's records.
 *
 * Once the source has been called the write cannot be run again (its records are gone),
 * so pg_with_conn's retry is allowed only before that. A connection lost during COMMIT
 * leaves the outcome unknown: it is asked of the server by transaction id. */

#define XACT_POLLS 20        /* "in progress" answers tolerated while the old backend ends */
#define XACT_POLL_MS 100

typedef struct {
    int replace;
    store_record_source next;
    void *ctx;
    int pulled; /* the source was called */
} put_all_arg;

static sms_status put_one(pg_conn *c, const store_record *rec)
{
    secret_arg s = {.id = &rec->secret, .data = rec->sealed, .len = rec->sealed_len};
    PGresult *r = NULL;
    pg_params p;
    sms_status ret;

    if (rec->type == STORE_REC_CHALLENGE) {
        challenge_params(&p, rec->challenge, 1);
        ret = pg_exec(c, PG_CH_INSERT, &p, &r);
    } else {
        secret_params(&p, &s, 1);
        ret = pg_exec(c, PG_SECRET_INSERT, &p, &r);
    }
    if (ret == SMS_OK)
        ret = affected(r) == 1 ? SMS_OK : SMS_EEXISTS;
    PQclear(r);
    return ret;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* COMMIT's answer was lost with the connection. txid_status (PostgreSQL 10+) on a new
 * connection tells whether the transaction committed; SMS_ESTORE when it did not or when
 * that cannot be known. */
static sms_status commit_outcome(pg_conn *c, int64_t xid)
{
    sms_status ret = SMS_ESTORE;
    PGresult *r = NULL;
    pg_params p;

    for (int poll = 0; poll < XACT_POLLS; poll++) {
        const char *v;
        int n;

        if (c->lost && pg_conn_reset(c) != SMS_OK)
            break;
        memset(&p, 0, sizeof(p));
        pg_param_int(&p, xid);
        if (pg_exec(c, PG_XACT_STATUS, &p, &r) != SMS_OK)
            break;
        if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0))
            break;
        v = PQgetvalue(r, 0, 0);
        n = PQgetlength(r, 0, 0);
        if (n == 9 && memcmp(v, "committed", 9) == 0) {
            ret = SMS_OK;
            break;
        }
        if (n == 7 && memcmp(v, "aborted", 7) == 0)
            break;
        /* "in progress": the old backend is still ending. */
        PQclear(r);
        r = NULL;
        sleep_ms(XACT_POLL_MS);
    }
    PQclear(r);
    if (ret == SMS_OK)
        LOG_WARN("postgresql store: bulk write committed (connection lost during COMMIT)");
    else
        LOG_ERROR("postgresql store: bulk write failed: connection lost during COMMIT, not committed "
                  "or outcome unknown");
    return ret;
}

static sms_status put_all_body(pg_conn *c, put_all_arg *a, int64_t *xid)
{
    PGresult *r = NULL;
    sms_status ret;

    if ((ret = pg_exec_sql(c, "BEGIN ISOLATION LEVEL READ COMMITTED", NULL)) != SMS_OK)
        return ret;
    if ((ret = pg_exec(c, PG_XACT_ID, NULL, &r)) != SMS_OK)
        return ret;
    ret = PQntuples(r) == 1 ? pg_get_int(r, 0, 0, xid) : SMS_ESTORE;
    PQclear(r);
    if (ret != SMS_OK)
        return ret;
    if (a->replace) {
        /* One statement, hence one fixed order: two replaces cannot deadlock. */
        if ((ret = pg_exec_sql(c, "LOCK TABLE secrets, challenges IN EXCLUSIVE MODE", NULL)) != SMS_OK ||
            (ret = pg_exec(c, PG_DELETE_ALL_SECRETS, NULL, NULL)) != SMS_OK ||
            (ret = pg_exec(c, PG_DELETE_ALL_CHALLENGES, NULL, NULL)) != SMS_OK)
            return ret;
    }
    for (;;) {
        const store_record *rec = NULL;

        a->pulled = 1;
        if ((ret = a->next(a->ctx, &rec)) != SMS_OK)
            return ret;
        if (!rec)
            return SMS_OK;
        if ((ret = put_one(c, rec)) != SMS_OK)
            return ret;
    }
}

static sms_status op_put_all(pg_conn *c, void *arg, int attempt)
{
    put_all_arg *a = arg;
    int64_t xid = 0;
    sms_status ret;

    (void)attempt;
    ret = put_all_body(c, a, &xid);
    if (ret == SMS_OK) {
        ret = pg_exec_sql(c, "COMMIT", NULL);
        if (ret != SMS_OK && c->lost && xid > 0)
            ret = commit_outcome(c, xid);
        c->retry = 0;
        return ret;
    }
    if (PQstatus(c->conn) == CONNECTION_OK && PQtransactionStatus(c->conn) != PQTRANS_IDLE)
        pg_exec_sql(c, "ROLLBACK", NULL);
    if (a->pulled)
        c->retry = 0;
    return ret;
}

static sms_status pg_put_all(void *impl, int replace, store_record_source next, void *ctx)
{
    put_all_arg a = {.replace = replace, .next = next, .ctx = ctx};

    return pg_with_conn(impl, op_put_all, &a);
}

/* ---- iteration: both tables in one REPEATABLE READ transaction (one snapshot) ----
 *
 * Rows come through a cursor, PG_FETCH_ROWS at a time, so memory stays bounded however
 * large the store is. Each FETCH is its own statement: statement_timeout bounds the
 * server's work, never the time the callbacks take. */

typedef struct {
    store_record_cb cb;
    void *ctx;
    int called; /* a callback ran: the walk cannot be restarted from scratch */
} walk_arg;

static sms_status secret_row(const PGresult *r, int row, store_record *rec)
{
    int64_t kind;

    memset(rec, 0, sizeof(*rec));
    rec->type = STORE_REC_SECRET;
    if (pg_get_int(r, row, 0, &kind) != SMS_OK || kind < SECRET_WEB2 || kind > SECRET_REQUESTER)
        return SMS_ESTORE;
    if (PQgetisnull(r, row, 1) || PQgetisnull(r, row, 2) || PQgetisnull(r, row, 3))
        return SMS_ESTORE;
    rec->secret.kind = (secret_kind)kind;
    /* libpq terminates every value with a NUL, binary ones included. */
    rec->secret.owner = PQgetvalue(r, row, 1);
    rec->secret.name = PQgetvalue(r, row, 2);
    rec->sealed = (const uint8_t *)PQgetvalue(r, row, 3);
    rec->sealed_len = (size_t)PQgetlength(r, row, 3);
    return SMS_OK;
}

static sms_status walk_rows(const PGresult *r, int secrets, walk_arg *w)
{
    store_record rec;
    challenge_rec ch;
    sms_status ret = SMS_OK;

    memset(&ch, 0, sizeof(ch));
    for (int row = 0; row < PQntuples(r) && ret == SMS_OK; row++) {
        if (secrets) {
            ret = secret_row(r, row, &rec);
        } else {
            ret = pg_read_challenge(r, row, 0, &ch);
            memset(&rec, 0, sizeof(rec));
            rec.type = STORE_REC_CHALLENGE;
            rec.challenge = &ch;
        }
        if (ret == SMS_OK) {
            w->called = 1;
            ret = w->cb(w->ctx, &rec);
        }
        challenge_rec_clear(&ch);
    }
    return ret;
}

static sms_status walk_table(pg_conn *c, const char *declare, int secrets, walk_arg *w)
{
    static const char fetch[] = "FETCH " PG_STR(PG_FETCH_ROWS) " FROM sms_walk";
    PGresult *r = NULL;
    sms_status ret;
    int rows;

    if ((ret = pg_exec_sql(c, declare, NULL)) != SMS_OK)
        return ret;
    do {
        if ((ret = pg_exec_sql(c, fetch, &r)) != SMS_OK)
            return ret;
        rows = PQntuples(r);
        ret = walk_rows(r, secrets, w);
        PQclear(r);
        r = NULL;
    } while (ret == SMS_OK && rows == PG_FETCH_ROWS);
    if (ret != SMS_OK)
        return ret;
    return pg_exec_sql(c, "CLOSE sms_walk", NULL);
}

static sms_status op_foreach(pg_conn *c, void *arg, int attempt)
{
    walk_arg *w = arg;
    sms_status ret;

    (void)attempt;
    ret = pg_exec_sql(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL);
    if (ret == SMS_OK)
        ret = walk_table(c,
                         "DECLARE sms_walk NO SCROLL CURSOR FOR "
                         "SELECT kind, owner, name, value FROM secrets ORDER BY kind, owner, name",
                         1, w);
    if (ret == SMS_OK)
        ret = walk_table(c,
                         "DECLARE sms_walk NO SCROLL CURSOR FOR "
                         "SELECT task_id, address, sealed_key, final_deadline_ms FROM challenges ORDER BY task_id",
                         0, w);
    /* Read-only: ending the transaction only releases the snapshot. */
    if (ret == SMS_OK)
        ret = pg_exec_sql(c, "COMMIT", NULL);
    if (ret != SMS_OK && PQstatus(c->conn) == CONNECTION_OK && PQtransactionStatus(c->conn) != PQTRANS_IDLE)
        pg_exec_sql(c, "ROLLBACK", NULL);
    /* Once records went out, starting again would hand them out twice. */
    if (w->called)
        c->retry = 0;
    return ret;
}

static sms_status pg_foreach(void *impl, store_record_cb cb, void *ctx)
{
    walk_arg w = {.cb = cb, .ctx = ctx};

    return pg_with_conn(impl, op_foreach, &w);
}

/* ---- lifecycle ---- */

static void pg_store_free(pg_store *s)
{
    if (!s)
        return;
    pg_pool_destroy(s);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    secure_free(s->conninfo, s->conninfo_len);
    free(s);
}

static void pg_close(void *impl)
{
    pg_store_free(impl);
}

static const store_backend_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .secret_insert = pg_secret_insert,
    .secret_update = pg_secret_update,
    .secret_get = pg_secret_get,
    .secret_exists = pg_secret_exists,
    .count = pg_count,
    .ping = pg_ping,
    .challenge_get_or_create = pg_challenge_get_or_create,
    .challenge_get = pg_challenge_get,
    .challenge_delete_expired = pg_challenge_delete_expired,
    .challenge_fill_missing_deadlines = pg_challenge_fill_missing_deadlines,
    .foreach = pg_foreach,
    .put_record = pg_put_record,
    .put_all = pg_put_all,
};

static sms_status pg_store_new(const char *conninfo, pg_store **out)
{
    pg_store *s = calloc(1, sizeof(*s));
    pthread_condattr_t ca;

    *out = NULL;
    if (!s)
        return SMS_ENOMEM;
    /* Default attributes and a monotonic clock: cannot fail on Linux. */
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    s->conninfo_len = strlen(conninfo) + 1;
    s->conninfo = malloc(s->conninfo_len);
    if (!s->conninfo) {
        s->conninfo_len = 0;
        pg_store_free(s);
        return SMS_ENOMEM;
    }
    memcpy(s->conninfo, conninfo, s->conninfo_len);
    *out = s;
    return SMS_OK;
}

sms_status store_pg_open(const char *conninfo, sms_store **out, char *errbuf, size_t errcap)
{
    sms_status ret;
    pg_store *s = NULL;
    pg_conn *c = NULL;

    *out = NULL;
    if (!conninfo || !*conninfo) {
        store_set_error(errbuf, errcap, "postgresql: empty connection URL");
        ret = SMS_EINVAL;
        goto cleanup;
    }
    if (!PQisthreadsafe()) {
        store_set_error(errbuf, errcap, "postgresql: libpq built without thread support");
        ret = SMS_ESTORE;
        goto cleanup;
    }
    if ((ret = pg_store_new(conninfo, &s)) != SMS_OK) {
        store_set_error(errbuf, errcap, "postgresql: out of memory");
        goto cleanup;
    }
    if ((ret = pg_conn_open(conninfo, &c, errbuf, errcap)) != SMS_OK)
        goto cleanup;
    if ((ret = pg_schema_migrate(c, errbuf, errcap)) != SMS_OK)
        goto cleanup;
    /* Names only (user, host, port, database): the URL itself may hold a password. */
    LOG_INFO("postgresql store opened: %s@%s:%s/%s (schema version %d, pool of %d)", PQuser(c->conn),
             PQhost(c->conn), PQport(c->conn), PQdb(c->conn), PG_SCHEMA_VERSION, PG_POOL_MAX);
    /* The first connection becomes the pool's first member. */
    s->open = 1;
    pg_release(s, c);
    c = NULL;
    if ((ret = store_backend_wrap(&pg_ops, s, out)) != SMS_OK) {
        store_set_error(errbuf, errcap, "postgresql: out of memory");
        goto cleanup;
    }
    s = NULL;

cleanup:
    pg_conn_close(c);
    pg_store_free(s);
    return ret;
}
