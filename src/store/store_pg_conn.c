/* PostgreSQL backend: connections, session settings, prepared statements, error mapping,
 * the connection pool and the retry-once runner, binary result decoding. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store/store_backend.h"
#include "store/store_pg_int.h"

/* Every statement run after the schema exists. Bound values only: no SQL is ever built from
 * input. Secret statements: $1 kind, $2 owner, $3 name, $4 value. Challenge statements:
 * $1 task_id, $2 address, $3 sealed_key, $4 final_deadline_ms (NULL = none), $5 created_ms. */
static const char *const pg_sql[PG_STMT_COUNT] = {
    [PG_SECRET_INSERT] = "INSERT INTO secrets(kind, owner, name, value) VALUES($1, $2, $3, $4) "
                         "ON CONFLICT DO NOTHING",
    [PG_SECRET_UPDATE] = "UPDATE secrets SET value = $4 WHERE kind = $1 AND owner = $2 AND name = $3",
    [PG_SECRET_GET] = "SELECT value FROM secrets WHERE kind = $1 AND owner = $2 AND name = $3",
    [PG_SECRET_EXISTS] = "SELECT 1 FROM secrets WHERE kind = $1 AND owner = $2 AND name = $3",
    [PG_SECRET_SAME] = "SELECT value = $4 FROM secrets WHERE kind = $1 AND owner = $2 AND name = $3",
    [PG_COUNT_KINDS] = "SELECT count(*) FROM secrets WHERE kind BETWEEN $1 AND $2",
    [PG_COUNT_CHALLENGES] = "SELECT count(*) FROM challenges",
    [PG_PING] = "SELECT max(version) FROM schema_version",
    /* One statement, hence one atomic autocommit transaction. When a concurrent transaction
     * inserts the same task first, the INSERT waits for it and does nothing, but the second
     * SELECT reads the statement's older snapshot and may miss that row: the caller then
     * runs the statement again (new snapshot). */
    [PG_CH_GET_OR_CREATE] =
        "WITH ins AS ("
        "  INSERT INTO challenges(task_id, address, sealed_key, final_deadline_ms, created_ms)"
        "  VALUES($1, $2, $3, $4, $5) ON CONFLICT (task_id) DO NOTHING"
        "  RETURNING task_id, address, sealed_key, final_deadline_ms) "
        "SELECT task_id, address, sealed_key, final_deadline_ms, true FROM ins "
        "UNION ALL "
        "SELECT task_id, address, sealed_key, final_deadline_ms, false FROM challenges "
        "WHERE task_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)",
    [PG_CH_INSERT] = "INSERT INTO challenges(task_id, address, sealed_key, final_deadline_ms, created_ms) "
                     "VALUES($1, $2, $3, $4, $5) ON CONFLICT (task_id) DO NOTHING",
    [PG_CH_SAME] = "SELECT address = $2 AND sealed_key = $3 AND final_deadline_ms IS NOT DISTINCT FROM $4 "
                   "FROM challenges WHERE task_id = $1",
    [PG_CH_GET] = "SELECT task_id, address, sealed_key, final_deadline_ms FROM challenges WHERE task_id = $1",
    [PG_CH_DELETE_EXPIRED] = "DELETE FROM challenges WHERE final_deadline_ms < $1",
    /* SKIP LOCKED: two daemons back-filling together take disjoint rows instead of waiting
     * on each other; a row another one just filled is re-checked and skipped. */
    [PG_CH_FILL_DEADLINES] = "UPDATE challenges SET final_deadline_ms = $1 WHERE task_id IN "
                             "(SELECT task_id FROM challenges WHERE final_deadline_ms IS NULL "
                             "LIMIT $2 FOR UPDATE SKIP LOCKED)",
    /* Bulk writes (store_pg.c): run inside their own transaction. */
    [PG_DELETE_ALL_SECRETS] = "DELETE FROM secrets",
    [PG_DELETE_ALL_CHALLENGES] = "DELETE FROM challenges",
    [PG_XACT_ID] = "SELECT txid_current()",
    [PG_XACT_STATUS] = "SELECT txid_status($1)",
};

/* For logs: what a statement does (never its values). */
static const char *const pg_what[PG_STMT_COUNT] = {
    [PG_SECRET_INSERT] = "secret insert",
    [PG_SECRET_UPDATE] = "secret update",
    [PG_SECRET_GET] = "secret get",
    [PG_SECRET_EXISTS] = "secret exists",
    [PG_SECRET_SAME] = "secret compare",
    [PG_COUNT_KINDS] = "count",
    [PG_COUNT_CHALLENGES] = "count",
    [PG_PING] = "ping",
    [PG_CH_GET_OR_CREATE] = "challenge get-or-create",
    [PG_CH_INSERT] = "challenge insert",
    [PG_CH_SAME] = "challenge compare",
    [PG_CH_GET] = "challenge get",
    [PG_CH_DELETE_EXPIRED] = "challenge expiry",
    [PG_CH_FILL_DEADLINES] = "challenge deadline fill",
    [PG_DELETE_ALL_SECRETS] = "bulk write: delete secrets",
    [PG_DELETE_ALL_CHALLENGES] = "bulk write: delete challenges",
    [PG_XACT_ID] = "bulk write: transaction id",
    [PG_XACT_STATUS] = "bulk write: commit outcome",
};

/* ---- parameters ---- */

static void param_set(pg_params *p, const char *v, int len, int format)
{
    /* Callers pass a fixed, small number of parameters: overflow is a programming error. */
    if (p->n >= PG_PARAMS_MAX)
        abort();
    p->values[p->n] = v;
    p->lengths[p->n] = len;
    p->formats[p->n] = format;
    p->n++;
}

void pg_param_text(pg_params *p, const char *s)
{
    param_set(p, s, 0, 0);
}

void pg_param_bytes(pg_params *p, const uint8_t *b, size_t len)
{
    /* A NULL pointer would be SQL NULL: an empty value needs a non-NULL one. Lengths are
     * capped at STORE_SEALED_MAX by the validation layer, far below INT_MAX. */
    param_set(p, b ? (const char *)b : "", (int)len, 1);
}

void pg_param_int(pg_params *p, int64_t v)
{
    if (p->n >= PG_PARAMS_MAX)
        abort();
    snprintf(p->num[p->n], sizeof(p->num[p->n]), "%lld", (long long)v);
    param_set(p, p->num[p->n], 0, 0);
}

void pg_param_null(pg_params *p)
{
    param_set(p, NULL, 0, 0);
}

/* ---- messages ---- */

/* libpq's message as one line (it spans several, with tabs). */
static void one_line(const char *msg, char *out, size_t cap)
{
    size_t n = 0;

    if (cap == 0)
        return;
    for (const char *q = msg ? msg : ""; *q && n + 1 < cap; q++)
        out[n++] = (*q == '\n' || *q == '\t' || *q == '\r') ? ' ' : *q;
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

/* Whether text contains the raw bytes [p, p + n). */
static int contains(const char *text, const char *p, size_t n)
{
    return n > 0 && memmem(text, strlen(text), p, n) != NULL;
}

/* Whether a libpq message could show the password of conninfo: the parsed password, its
 * raw (percent-encoded) form in the userinfo, or a password= parameter's raw value.
 * Such messages are withheld rather than edited. */
static int shows_password(const char *msg, const char *conninfo)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    const char *scheme_end = strstr(conninfo, "://");
    const char *q;
    int shown = 0;

    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && contains(msg, o->val, strlen(o->val)))
            shown = 1;
    PQconninfoFree(opts);
    if (scheme_end) {
        const char *auth = scheme_end + 3;
        size_t auth_len = strcspn(auth, "/?");
        const char *at = NULL, *colon;
        for (size_t i = 0; i < auth_len; i++)
            if (auth[i] == '@')
                at = auth + i;
        colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon && contains(msg, colon + 1, (size_t)(at - colon - 1)))
            shown = 1;
    }
    for (q = strstr(conninfo, "password="); q; q = strstr(q + 1, "password=")) {
        const char *v = q + strlen("password=");
        if (contains(msg, v, strcspn(v, "& ")))
            shown = 1;
    }
    return shown;
}

static void connect_error(const char *what, const char *msg, const char *conninfo, char *errbuf, size_t errcap)
{
    char line[512];

    one_line(msg, line, sizeof(line));
    if (shows_password(line, conninfo))
        snprintf(line, sizeof(line), "%s", "(libpq's message withheld: it would show the password)");
    store_set_error(errbuf, errcap, "postgresql: %s: %s", what, line);
    LOG_ERROR("postgresql store: %s: %s", what, line);
}

static void notice_to_log(void *arg, const char *message)
{
    char line[512];

    (void)arg;
    one_line(message, line, sizeof(line));
    LOG_DEBUG("postgresql store: server notice: %s", line);
}

/* ---- connections ---- */

/* Per-session settings, in one round trip: the statement bound, and durable commits even
 * where the database or role turned synchronous_commit off (a stricter level, e.g.
 * remote_apply, is kept). */
static sms_status session_setup(PGconn *conn)
{
    PGresult *r = PQexec(conn,
                         "SELECT set_config('statement_timeout', '" PG_STATEMENT_TIMEOUT "', false), "
                         "CASE WHEN current_setting('synchronous_commit') = 'off' "
                         "THEN set_config('synchronous_commit', 'on', false) END");
    sms_status ret = PQresultStatus(r) == PGRES_TUPLES_OK ? SMS_OK : SMS_ESTORE;

    PQclear(r);
    return ret;
}

sms_status pg_conn_open(const char *conninfo, pg_conn **out, char *errbuf, size_t errcap)
{
    /* Keywords are applied in order and the URL (dbname, expanded) overrides those before
     * it: connect_timeout, keepalives and application_name are defaults the URL may change;
     * the client encoding is forced (texts are UTF-8 throughout). */
    static const char *const keys[] = {"connect_timeout", "application_name", "keepalives",
                                       "keepalives_idle", "keepalives_interval", "keepalives_count",
                                       "tcp_user_timeout", "dbname", "client_encoding", NULL};
    const char *vals[] = {PG_CONNECT_TIMEOUT, "iexec-sms", "1", "30", "10", "3", "30000", conninfo, "UTF8", NULL};
    sms_status ret = SMS_ESTORE;
    char *parse_err = NULL;
    PQconninfoOption *opts;
    pg_conn *c = NULL;

    *out = NULL;
    /* Parse first: a malformed URL is the caller's mistake, not an unreachable server. */
    opts = PQconninfoParse(conninfo, &parse_err);
    if (!opts) {
        connect_error("invalid connection URL", parse_err ? parse_err : "out of memory", conninfo, errbuf, errcap);
        ret = parse_err ? SMS_EINVAL : SMS_ENOMEM;
        goto cleanup;
    }
    PQconninfoFree(opts);
    c = calloc(1, sizeof(*c));
    if (!c) {
        ret = SMS_ENOMEM;
        goto cleanup;
    }
    c->conn = PQconnectdbParams(keys, vals, 1);
    if (!c->conn) {
        ret = SMS_ENOMEM;
        goto cleanup;
    }
    if (PQstatus(c->conn) != CONNECTION_OK) {
        connect_error("cannot connect", PQerrorMessage(c->conn), conninfo, errbuf, errcap);
        goto cleanup;
    }
    PQsetNoticeProcessor(c->conn, notice_to_log, NULL);
    if (PQserverVersion(c->conn) < 90500) {
        store_set_error(errbuf, errcap, "postgresql: server version %d is too old (9.5 or newer needed)",
                        PQserverVersion(c->conn));
        goto cleanup;
    }
    if (session_setup(c->conn) != SMS_OK) {
        connect_error("session setup failed", PQerrorMessage(c->conn), conninfo, errbuf, errcap);
        goto cleanup;
    }
    *out = c;
    c = NULL;
    ret = SMS_OK;

cleanup:
    PQfreemem(parse_err);
    pg_conn_close(c);
    return ret;
}

void pg_conn_close(pg_conn *c)
{
    if (!c)
        return;
    PQfinish(c->conn);
    free(c);
}

sms_status pg_conn_reset(pg_conn *c)
{
    char line[512];

    memset(c->prepared, 0, sizeof(c->prepared));
    PQreset(c->conn);
    if (PQstatus(c->conn) != CONNECTION_OK) {
        /* Server-side text (host, port, reason): never the password. */
        one_line(PQerrorMessage(c->conn), line, sizeof(line));
        LOG_ERROR("postgresql store: reconnection failed: %s", line);
        return SMS_ESTORE;
    }
    if (session_setup(c->conn) != SMS_OK) {
        LOG_ERROR("postgresql store: session setup failed after reconnection");
        return SMS_ESTORE;
    }
    c->lost = 0;
    LOG_WARN("postgresql store: connection re-established");
    return SMS_OK;
}

/* ---- statements ---- */

/* Maps a failed call. Logs SQLSTATE and the primary message only: the detail of a
 * constraint error can quote the row, value included. */
static sms_status fail(pg_conn *c, const PGresult *r, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char line[512];

    if (PQstatus(c->conn) != CONNECTION_OK) {
        c->lost = 1;
        c->retry = 1;
        one_line(PQerrorMessage(c->conn), line, sizeof(line));
        LOG_WARN("postgresql store: connection lost during %s: %s", what, line);
        return SMS_ESTORE;
    }
    if (!state || !primary) {
        one_line(PQerrorMessage(c->conn), line, sizeof(line));
        LOG_ERROR("postgresql store: %s failed: %s", what, line);
        return SMS_ESTORE;
    }
    one_line(primary, line, sizeof(line));
    /* Data exception or integrity violation: input the validation layer should have
     * refused (e.g. text that is not UTF-8). */
    if (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0) {
        LOG_WARN("postgresql store: %s refused: %s (SQLSTATE %s)", what, line, state);
        return SMS_EINVAL;
    }
    /* Serialization failure, deadlock: rolled back, safe to run again. A prepared statement
     * gone (a pooler's DISCARD ALL): prepare again. */
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        c->retry = 1;
    if (strcmp(state, "26000") == 0) {
        memset(c->prepared, 0, sizeof(c->prepared));
        c->retry = 1;
    }
    LOG_ERROR("postgresql store: %s failed: %s (SQLSTATE %s)", what, line, state);
    return SMS_ESTORE;
}

static sms_status result_status(pg_conn *c, PGresult *r, const char *what, PGresult **out)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    sms_status ret;

    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        if (out)
            *out = r;
        else
            PQclear(r);
        return SMS_OK;
    }
    ret = fail(c, r, what);
    PQclear(r);
    return ret;
}

sms_status pg_exec(pg_conn *c, pg_stmt_id id, const pg_params *p, PGresult **out)
{
    static const pg_params none = {0};
    char name[16];
    PGresult *r;
    sms_status ret;

    if (out)
        *out = NULL;
    if (!p)
        p = &none;
    if (PQstatus(c->conn) != CONNECTION_OK)
        return fail(c, NULL, pg_what[id]);
    snprintf(name, sizeof(name), "sms_%d", (int)id);
    if (!c->prepared[id]) {
        r = PQprepare(c->conn, name, pg_sql[id], 0, NULL);
        if ((ret = result_status(c, r, pg_what[id], NULL)) != SMS_OK)
            return ret;
        c->prepared[id] = 1;
    }
    r = PQexecPrepared(c->conn, name, p->n, p->values, p->lengths, p->formats, 1);
    return result_status(c, r, pg_what[id], out);
}

sms_status pg_exec_sql(pg_conn *c, const char *sql, PGresult **out)
{
    PGresult *r;

    if (out)
        *out = NULL;
    if (PQstatus(c->conn) != CONNECTION_OK)
        return fail(c, NULL, sql);
    r = PQexecParams(c->conn, sql, 0, NULL, NULL, NULL, NULL, 1);
    return result_status(c, r, sql, out);
}

/* ---- pool ---- */

static void deadline_after_ms(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

sms_status pg_acquire(pg_store *s, pg_conn **out)
{
    struct timespec until;
    sms_status ret;
    pg_conn *c;
    int rc = 0;

    *out = NULL;
    deadline_after_ms(&until, PG_POOL_WAIT_MS);
    pthread_mutex_lock(&s->mu);
    while (!s->free_list && s->open >= PG_POOL_MAX && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->cv, &s->mu, &until);
    c = s->free_list;
    if (c) {
        s->free_list = c->next_free;
        c->next_free = NULL;
        pthread_mutex_unlock(&s->mu);
        *out = c;
        return SMS_OK;
    }
    if (s->open >= PG_POOL_MAX) {
        pthread_mutex_unlock(&s->mu);
        LOG_ERROR("postgresql store: no free connection after %d ms (%d in use)", PG_POOL_WAIT_MS, PG_POOL_MAX);
        return SMS_ESTORE;
    }
    s->open++;
    pthread_mutex_unlock(&s->mu);

    /* Connecting takes a round trip or more (up to connect_timeout): outside the lock. */
    ret = pg_conn_open(s->conninfo, &c, NULL, 0);
    if (ret != SMS_OK) {
        pthread_mutex_lock(&s->mu);
        s->open--;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        return SMS_ESTORE;
    }
    *out = c;
    return SMS_OK;
}

/* A connection goes back to the pool only idle and healthy: outside any transaction (a
 * failed walk may have left one open) and not broken. */
static int reusable(pg_conn *c)
{
    PGTransactionStatusType ts;

    if (c->lost || PQstatus(c->conn) != CONNECTION_OK)
        return 0;
    ts = PQtransactionStatus(c->conn);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
        if (pg_exec_sql(c, "ROLLBACK", NULL) != SMS_OK)
            return 0;
        ts = PQtransactionStatus(c->conn);
    }
    return ts == PQTRANS_IDLE;
}

void pg_release(pg_store *s, pg_conn *c)
{
    int keep;

    if (!c)
        return;
    keep = reusable(c);
    if (!keep)
        pg_conn_close(c);
    pthread_mutex_lock(&s->mu);
    if (keep) {
        c->next_free = s->free_list;
        s->free_list = c;
    } else {
        s->open--;
    }
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void pg_pool_destroy(pg_store *s)
{
    pg_conn *c;

    pthread_mutex_lock(&s->mu);
    c = s->free_list;
    s->free_list = NULL;
    s->open = 0;
    pthread_mutex_unlock(&s->mu);
    while (c) {
        pg_conn *next = c->next_free;
        pg_conn_close(c);
        c = next;
    }
}

sms_status pg_with_conn(pg_store *s, pg_op_fn op, void *arg)
{
    pg_conn *c = NULL;
    sms_status ret;

    if ((ret = pg_acquire(s, &c)) != SMS_OK)
        return ret;
    for (int attempt = 0;; attempt++) {
        c->lost = 0;
        c->retry = 0;
        ret = op(c, arg, attempt);
        if (ret == SMS_OK || !c->retry || attempt >= 1)
            break;
        if (c->lost && pg_conn_reset(c) != SMS_OK)
            break;
    }
    pg_release(s, c);
    return ret;
}

/* ---- decoding (binary format) ---- */

static int has_cell(const PGresult *r, int row, int col)
{
    return row >= 0 && row < PQntuples(r) && col >= 0 && col < PQnfields(r) && PQfformat(r, col) == 1;
}

sms_status pg_get_int(const PGresult *r, int row, int col, int64_t *out)
{
    const unsigned char *p;
    uint64_t v = 0;
    int len;

    *out = 0;
    if (!has_cell(r, row, col))
        return SMS_ESTORE;
    if (PQgetisnull(r, row, col))
        return SMS_OK;
    len = PQgetlength(r, row, col);
    if (len != 2 && len != 4 && len != 8)
        return SMS_ESTORE;
    p = (const unsigned char *)PQgetvalue(r, row, col);
    for (int i = 0; i < len; i++)
        v = (v << 8) | p[i];
    /* Network-order two's complement of 2, 4 or 8 bytes: sign-extend. */
    if (len < 8 && (p[0] & 0x80))
        v |= ~(uint64_t)0 << (8 * len);
    *out = (int64_t)v;
    return SMS_OK;
}

sms_status pg_get_bool(const PGresult *r, int row, int col, int *out)
{
    *out = 0;
    if (!has_cell(r, row, col) || PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 1)
        return SMS_ESTORE;
    *out = PQgetvalue(r, row, col)[0] != 0;
    return SMS_OK;
}

/* Copies a text cell of 1 to cap-1 bytes. */
static int copy_text(const PGresult *r, int row, int col, char *dst, size_t cap)
{
    int n;

    if (!has_cell(r, row, col) || PQgetisnull(r, row, col))
        return 0;
    n = PQgetlength(r, row, col);
    if (n <= 0 || (size_t)n >= cap)
        return 0;
    memcpy(dst, PQgetvalue(r, row, col), (size_t)n);
    dst[n] = '\0';
    return memchr(dst, '\0', (size_t)n) == NULL;
}

sms_status pg_read_challenge(const PGresult *r, int row, int col0, challenge_rec *out)
{
    challenge_rec rec;
    int n;

    memset(&rec, 0, sizeof(rec));
    if (!copy_text(r, row, col0, rec.task_id, sizeof(rec.task_id)) ||
        !copy_text(r, row, col0 + 1, rec.address, sizeof(rec.address)))
        return SMS_ESTORE;
    if (!has_cell(r, row, col0 + 2) || PQgetisnull(r, row, col0 + 2))
        return SMS_ESTORE;
    n = PQgetlength(r, row, col0 + 2);
    if (n <= 0)
        return SMS_ESTORE;
    if (pg_get_int(r, row, col0 + 3, &rec.final_deadline_ms) != SMS_OK)
        return SMS_ESTORE;
    rec.sealed_key = malloc((size_t)n);
    if (!rec.sealed_key)
        return SMS_ENOMEM;
    memcpy(rec.sealed_key, PQgetvalue(r, row, col0 + 2), (size_t)n);
    rec.sealed_key_len = (size_t)n;
    *out = rec;
    return SMS_OK;
}

int64_t pg_now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
