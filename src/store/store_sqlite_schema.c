/* SQLite backend: schema creation and ordered migrations.
 *
 * schema_version holds one row per applied migration; the database's version is the
 * highest one. Opening applies every missing migration, in order, inside one IMMEDIATE
 * transaction (so two processes opening a fresh file cannot both migrate, and a failed
 * migration leaves the file as it was). A database newer than this build is refused:
 * running old code on a newer schema could silently lose data.
 *
 * To change the schema: append a migration to sq_migrations and bump SQ_SCHEMA_VERSION
 * (store_sqlite_int.h). Never edit a migration that has shipped. */
#include <stdint.h>

#include "store/store_backend.h"
#include "store/store_sqlite_int.h"

/* sq_migrations[i] brings the schema from version i to version i + 1. The length limits
 * repeat store.c's validation (spec §9.1 column sizes) so that no other writer of the
 * file can store what the API would refuse. */
static const char *const sq_migrations[SQ_SCHEMA_VERSION] = {
    /* 1: initial schema. */
    "CREATE TABLE schema_version("
    "  version INTEGER PRIMARY KEY,"
    "  applied_ms INTEGER NOT NULL);"
    "CREATE TABLE secrets("
    "  kind INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 4),"
    "  owner TEXT NOT NULL CHECK (length(owner) BETWEEN 1 AND 255),"
    "  name TEXT NOT NULL CHECK (length(name) <= CASE kind WHEN 4 THEN 64 ELSE 255 END),"
    "  value BLOB NOT NULL,"
    "  PRIMARY KEY (kind, owner, name)"
    ") WITHOUT ROWID;"
    "CREATE TABLE challenges("
    "  task_id TEXT PRIMARY KEY NOT NULL CHECK (length(task_id) BETWEEN 1 AND 79),"
    "  address TEXT NOT NULL CHECK (length(address) BETWEEN 1 AND 42),"
    "  sealed_key BLOB NOT NULL,"
    "  final_deadline_ms INTEGER NULL,"
    "  created_ms INTEGER NOT NULL"
    ");"
    /* Serves both the expiry sweep (deadline < now) and the back-fill (deadline IS NULL). */
    "CREATE INDEX challenges_deadline ON challenges(final_deadline_ms);",
};

/* Single integer result of a setup query; NULL reads as 0. */
static sms_status query_int(sq_conn *c, const char *sql, int64_t *out)
{
    sms_status ret = SMS_ESTORE;
    sqlite3_stmt *s = NULL;
    int rc;

    *out = 0;
    rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        goto cleanup;
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW)
        goto cleanup;
    *out = sqlite3_column_int64(s, 0);
    ret = SMS_OK;

cleanup:
    if (ret != SMS_OK)
        sq_log_error(c, sql, rc);
    sqlite3_finalize(s);
    return ret;
}

static sms_status record_version(sq_conn *c, int version)
{
    sms_status ret = SMS_ESTORE;
    sqlite3_stmt *s = NULL;
    int rc;

    rc = sqlite3_prepare_v2(c->db, "INSERT INTO schema_version(version, applied_ms) VALUES(?1, ?2)", -1, &s, NULL);
    if (rc != SQLITE_OK)
        goto cleanup;
    sqlite3_bind_int(s, 1, version);
    sqlite3_bind_int64(s, 2, sq_now_ms());
    rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        goto cleanup;
    ret = SMS_OK;

cleanup:
    if (ret != SMS_OK)
        sq_log_error(c, "record schema version", rc);
    sqlite3_finalize(s);
    return ret;
}

/* Version of the open database: 0 for an empty file. SMS_ESTORE (with a reason) for a
 * file that holds tables but is not an iexec-sms store. */
static sms_status current_version(sq_conn *c, int64_t *version, char *errbuf, size_t errcap)
{
    sms_status ret;
    int64_t n;

    *version = 0;
    ret = query_int(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'", &n);
    if (ret != SMS_OK)
        goto fail;
    if (n == 0) {
        ret = query_int(c, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", &n);
        if (ret != SMS_OK)
            goto fail;
        if (n > 0) {
            store_set_error(errbuf, errcap, "sqlite: database has tables but no schema_version: not an iexec-sms store");
            return SMS_ESTORE;
        }
        return SMS_OK;
    }
    ret = query_int(c, "SELECT max(version) FROM schema_version", version);
    if (ret == SMS_OK)
        return SMS_OK;

fail:
    store_set_error(errbuf, errcap, "sqlite: cannot read the schema version: %s", sqlite3_errmsg(c->db));
    return ret;
}

sms_status sq_schema_migrate(sq_conn *c, char *errbuf, size_t errcap)
{
    sms_status ret = SMS_ESTORE;
    int64_t version = 0;
    int in_tx = 0;
    int rc;

    rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        store_set_error(errbuf, errcap, "sqlite: cannot start the schema transaction: %s", sqlite3_errmsg(c->db));
        goto cleanup;
    }
    in_tx = 1;
    if ((ret = current_version(c, &version, errbuf, errcap)) != SMS_OK)
        goto cleanup;
    if (version > SQ_SCHEMA_VERSION || version < 0) {
        store_set_error(errbuf, errcap,
                        "sqlite: database schema version %lld is newer than this build supports (%d); "
                        "upgrade iexec-sms",
                        (long long)version, SQ_SCHEMA_VERSION);
        ret = SMS_ESTORE;
        goto cleanup;
    }
    for (int v = (int)version + 1; v <= SQ_SCHEMA_VERSION; v++) {
        rc = sqlite3_exec(c->db, sq_migrations[v - 1], NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            store_set_error(errbuf, errcap, "sqlite: migration %d failed: %s", v, sqlite3_errmsg(c->db));
            ret = SMS_ESTORE;
            goto cleanup;
        }
        if ((ret = record_version(c, v)) != SMS_OK) {
            store_set_error(errbuf, errcap, "sqlite: cannot record schema version %d", v);
            goto cleanup;
        }
    }
    rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        store_set_error(errbuf, errcap, "sqlite: schema commit failed: %s", sqlite3_errmsg(c->db));
        ret = SMS_ESTORE;
        goto cleanup;
    }
    in_tx = 0;
    ret = SMS_OK;

cleanup:
    if (in_tx && !sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}
