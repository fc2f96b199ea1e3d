/* PostgreSQL backend: schema creation and ordered migrations.
 *
 * Same scheme as the SQLite backend: schema_version holds one row per applied migration,
 * the database's version is the highest one, opening applies every missing migration in
 * order inside one transaction, and a database newer than this build is refused.
 *
 * Two daemons starting together on an empty database must not both run migration 1 (the
 * loser would fail on CREATE TABLE, or worse, with IF NOT EXISTS, record it twice). The
 * transaction therefore starts by taking a transaction-level advisory lock: the second
 * daemon waits for the first one's COMMIT, then finds the schema current and applies
 * nothing. The lock is released by COMMIT/ROLLBACK, also when the connection dies.
 *
 * Tables live in the first schema of the connection's search_path (a URL may choose it with
 * options=-csearch_path%3D...).
 *
 * To change the schema: append a migration to pg_migrations and bump PG_SCHEMA_VERSION
 * (store_pg_int.h). Never edit a migration that has shipped. */
#include <stdio.h>
#include <string.h>

#include "store/store_backend.h"
#include "store/store_pg_int.h"

/* pg_migrations[i] brings the schema from version i to version i + 1. The limits repeat
 * store.c's validation (spec §9.1 column sizes, challenge_rec's arrays) so that no other
 * writer of the database can store what the API would refuse or could not read back.
 * COLLATE "C": byte order, the order of the primary key, used by store_foreach. */
static const char *const pg_migrations[PG_SCHEMA_VERSION] = {
    /* 1: initial schema. */
    "CREATE TABLE schema_version("
    "  version INTEGER PRIMARY KEY,"
    "  applied_ms BIGINT NOT NULL);"
    "CREATE TABLE secrets("
    "  kind SMALLINT NOT NULL CHECK (kind BETWEEN 1 AND 4),"
    "  owner TEXT COLLATE \"C\" NOT NULL CHECK (char_length(owner) BETWEEN 1 AND 255),"
    "  name TEXT COLLATE \"C\" NOT NULL CHECK (char_length(name) <= CASE kind WHEN 4 THEN 64 ELSE 255 END),"
    "  value BYTEA NOT NULL CHECK (octet_length(value) <= 1048576),"
    "  PRIMARY KEY (kind, owner, name));"
    "CREATE TABLE challenges("
    "  task_id TEXT COLLATE \"C\" PRIMARY KEY CHECK (octet_length(task_id) BETWEEN 1 AND 79),"
    "  address TEXT COLLATE \"C\" NOT NULL CHECK (octet_length(address) BETWEEN 1 AND 42),"
    "  sealed_key BYTEA NOT NULL CHECK (octet_length(sealed_key) BETWEEN 1 AND 1048576),"
    "  final_deadline_ms BIGINT NULL,"
    "  created_ms BIGINT NOT NULL);"
    /* Serves both the expiry sweep (deadline < now) and the back-fill (deadline IS NULL). */
    "CREATE INDEX challenges_deadline ON challenges(final_deadline_ms);",
};

static void schema_error(pg_conn *c, const char *what, char *errbuf, size_t errcap)
{
    char line[512];
    size_t n = 0;

    /* First line only: the server's primary message (names, no values), without the
     * DETAIL line that may quote a row. */
    for (const char *q = PQerrorMessage(c->conn); *q && *q != '\n' && n + 1 < sizeof(line); q++)
        line[n++] = *q == '\t' ? ' ' : *q;
    while (n > 0 && line[n - 1] == ' ')
        n--;
    line[n] = '\0';
    store_set_error(errbuf, errcap, "postgresql: %s: %s", what, line);
}

/* Version of the database: 0 when it holds none of our tables. */
static sms_status current_version(pg_conn *c, int64_t *version, char *errbuf, size_t errcap)
{
    PGresult *r = NULL;
    sms_status ret;
    int has_version = 0, has_tables = 0;

    *version = 0;
    ret = pg_exec_sql(c,
                      "SELECT to_regclass('schema_version') IS NOT NULL, "
                      "to_regclass('secrets') IS NOT NULL OR to_regclass('challenges') IS NOT NULL",
                      &r);
    if (ret != SMS_OK || pg_get_bool(r, 0, 0, &has_version) != SMS_OK || pg_get_bool(r, 0, 1, &has_tables) != SMS_OK) {
        schema_error(c, "cannot inspect the schema", errbuf, errcap);
        ret = SMS_ESTORE;
        goto cleanup;
    }
    PQclear(r);
    r = NULL;
    if (!has_version) {
        if (has_tables) {
            store_set_error(errbuf, errcap,
                            "postgresql: database has a secrets or challenges table but no schema_version: "
                            "not an iexec-sms store");
            ret = SMS_ESTORE;
        }
        goto cleanup;
    }
    ret = pg_exec_sql(c, "SELECT coalesce(max(version), 0) FROM schema_version", &r);
    if (ret != SMS_OK || pg_get_int(r, 0, 0, version) != SMS_OK) {
        schema_error(c, "cannot read the schema version", errbuf, errcap);
        ret = SMS_ESTORE;
    }

cleanup:
    PQclear(r);
    return ret;
}

static sms_status apply(pg_conn *c, int v, char *errbuf, size_t errcap)
{
    char what[64], ver[16], now[24];
    const char *params[2] = {ver, now};
    PGresult *r;
    int ok;

    snprintf(what, sizeof(what), "migration %d failed", v);
    /* Several statements: the simple query protocol (PQexec), inside our transaction. */
    r = PQexec(c->conn, pg_migrations[v - 1]);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        schema_error(c, what, errbuf, errcap);
        return SMS_ESTORE;
    }
    snprintf(ver, sizeof(ver), "%d", v);
    snprintf(now, sizeof(now), "%lld", (long long)pg_now_ms());
    r = PQexecParams(c->conn, "INSERT INTO schema_version(version, applied_ms) VALUES($1, $2)", 2, NULL, params,
                     NULL, NULL, 0);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        snprintf(what, sizeof(what), "cannot record schema version %d", v);
        schema_error(c, what, errbuf, errcap);
        return SMS_ESTORE;
    }
    return SMS_OK;
}

sms_status pg_schema_migrate(pg_conn *c, char *errbuf, size_t errcap)
{
    sms_status ret = SMS_ESTORE;
    int64_t version = 0;
    char sql[96];

    if (pg_exec_sql(c, "BEGIN", NULL) != SMS_OK) {
        schema_error(c, "cannot start the schema transaction", errbuf, errcap);
        goto cleanup;
    }
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)", (long long)PG_MIGRATION_LOCK);
    if (pg_exec_sql(c, sql, NULL) != SMS_OK) {
        schema_error(c, "cannot take the migration lock", errbuf, errcap);
        goto cleanup;
    }
    if ((ret = current_version(c, &version, errbuf, errcap)) != SMS_OK)
        goto cleanup;
    if (version > PG_SCHEMA_VERSION || version < 0) {
        store_set_error(errbuf, errcap,
                        "postgresql: database schema version %lld is newer than this build supports (%d); "
                        "upgrade iexec-sms",
                        (long long)version, PG_SCHEMA_VERSION);
        ret = SMS_ESTORE;
        goto cleanup;
    }
    for (int v = (int)version + 1; v <= PG_SCHEMA_VERSION; v++)
        if ((ret = apply(c, v, errbuf, errcap)) != SMS_OK)
            goto cleanup;
    if (pg_exec_sql(c, "COMMIT", NULL) != SMS_OK) {
        schema_error(c, "schema commit failed", errbuf, errcap);
        ret = SMS_ESTORE;
        goto cleanup;
    }
    ret = SMS_OK;

cleanup:
    if (PQtransactionStatus(c->conn) != PQTRANS_IDLE && PQstatus(c->conn) == CONNECTION_OK)
        pg_exec_sql(c, "ROLLBACK", NULL);
    return ret;
}
