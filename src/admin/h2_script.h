/* Reader of the Java SMS's backups: the H2 `SCRIPT` text dump (sms-api.md 7.3), as H2
 * 2.x writes it for the reference's five tables (9.1), e.g.
 *
 *   CREATE USER IF NOT EXISTS "SA" SALT '...' HASH '...' ADMIN;
 *   DROP TABLE IF EXISTS "PUBLIC"."web2secret" CASCADE;
 *   CREATE CACHED TABLE "PUBLIC"."web2secret"(
 *       "address" CHARACTER VARYING(255) NOT NULL,
 *       "owner_address" CHARACTER VARYING(255) NOT NULL,
 *       "value" CHARACTER VARYING(8192)
 *   );
 *   ALTER TABLE "PUBLIC"."web2secret" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_8" PRIMARY KEY(...);
 *   -- 2 +/- SELECT COUNT(*) FROM PUBLIC.web2secret;
 *   INSERT INTO "PUBLIC"."web2secret" VALUES
 *   ('name', '0xab...', 'base64=='),
 *   (U&'n\00e4me', '0xcd...', '');
 *
 * Only data is interpreted: CREATE ... TABLE gives the column order, INSERT INTO ...
 * [(columns)] VALUES (...), (...) gives rows. Other statements H2 writes (CREATE USER,
 * SCHEMA, SEQUENCE, INDEX..., DROP, ALTER, SET, GRANT, COMMENT) are skipped after being
 * tokenised; any other statement, or a table that is not one of the five, is refused, so
 * that no data can be skipped silently. Identifiers match case-insensitively, with or
 * without the "PUBLIC" schema and quotes.
 *
 * Literals: NULL, TRUE/FALSE, integers, CAST(<literal> AS <type>), '...' with '' escapes,
 * U&'...' with \XXXX / \+XXXXXX escapes, TIMESTAMP [WITH TIME ZONE] '...'. */
#ifndef SMS_ADMIN_H2_SCRIPT_H
#define SMS_ADMIN_H2_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define H2_MAX_COLUMNS 64
#define H2_MAX_SCRIPT_BYTES ((size_t)1 << 30)

typedef enum { H2_WEB2, H2_WEB3, H2_COMPUTE, H2_CHALLENGE, H2_CREDENTIALS, H2_TABLE_COUNT } h2_table_id;

typedef enum { H2V_NULL, H2V_STRING, H2V_INT, H2V_BOOL, H2V_TIMESTAMP } h2_value_type;

typedef struct {
    h2_value_type type;
    char *str;  /* H2V_STRING: malloc'ed UTF-8, NUL-terminated, no NUL inside */
    size_t len;
    int64_t num; /* H2V_INT; H2V_BOOL 0/1; H2V_TIMESTAMP milliseconds since the epoch (UTC) */
} h2_value;

typedef struct {
    size_t line;       /* line where the row's "(" is */
    h2_value *values;  /* one per column of the table, in table order */
} h2_row;

typedef struct {
    int defined;                 /* a CREATE TABLE was seen */
    size_t ncols;
    char *cols[H2_MAX_COLUMNS];  /* column names as written (unquoted) */
    h2_row *rows;
    size_t nrows;
    size_t cap;
} h2_table;

typedef struct {
    h2_table tables[H2_TABLE_COUNT];
} h2_dump;

/* The reference's table name of an id ("web2secret", ...). */
const char *h2_table_name(h2_table_id id);

/* Parse a whole script.
 *   data, len : the text (need not be NUL-terminated); at most H2_MAX_SCRIPT_BYTES
 *   out       : filled on success; on failure left empty. Free with h2_dump_free.
 *   err       : "line N: description" on failure; never any literal of the file
 * SMS_OK, SMS_EINVAL (refused script), SMS_ETOOBIG, SMS_ENOMEM. */
sms_status h2_dump_parse(const char *data, size_t len, h2_dump *out, char *err, size_t errcap);

/* Wipes the strings (a value may be a plaintext key when is_encrypted was false) and
 * frees everything. NULL-safe; the dump is then empty. */
void h2_dump_free(h2_dump *d);

/* Index of a column (case-insensitive), or -1. */
int h2_column(const h2_table *t, const char *name);

#endif
