/* Java SMS migration: rows of the reference's tables -> sealed records of ours. */
#include "admin/java_import.h"
#include "admin/java_import_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/secure.h"
#include "core/utf8.h"
#include "crypto/ethsig.h"
#include "crypto/legacy_ecb.h"
#include "secrets/secrets.h"
#include "store/store_backend.h"
#include "tee/challenge_context.h"

sms_status jimp_fail(converter *c, sms_status st, size_t line, const char *fmt, ...)
{
    char what[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (c->err != NULL && c->errcap > 0) {
        if (line > 0)
            snprintf(c->err, c->errcap, "line %zu: %s", line, what);
        else
            snprintf(c->err, c->errcap, "%s", what);
    }
    return st;
}

/* Column index; a missing required column refuses the dump. */
sms_status jimp_need_col(converter *c, const h2_table *t, h2_table_id id, const char *name, int *idx)
{
    *idx = h2_column(t, name);
    if (*idx < 0)
        return jimp_fail(c, SMS_EINVAL, 0, "table %s has no column %s: not a reference dump", h2_table_name(id), name);
    return SMS_OK;
}

const char *jimp_str_at(const h2_row *r, int idx)
{
    return r->values[idx].type == H2V_STRING ? r->values[idx].str : NULL;
}

/* is_encrypted, when the table has it: FALSE means the value is in clear. */
sms_status jimp_encrypted_flag(converter *c, const h2_table *t, const h2_row *r, h2_table_id id, int *flag)
{
    int idx = h2_column(t, "is_encrypted");
    const h2_value *v;

    *flag = 1;
    if (idx < 0)
        return SMS_OK;
    v = &r->values[idx];
    if (v->type == H2V_NULL)
        return SMS_OK;
    if (v->type != H2V_BOOL && v->type != H2V_INT)
        return jimp_fail(c, SMS_EINVAL, r->line, "%s.is_encrypted is not a boolean", h2_table_name(id));
    *flag = v->num != 0;
    return SMS_OK;
}

/* The plaintext of a stored value: decrypted (and checked to be UTF-8) or copied. */
sms_status jimp_plaintext(converter *c, const h2_row *r, int idx, int encrypted, h2_table_id id, uint8_t **pt,
                            size_t *pt_len)
{
    const char *text = jimp_str_at(r, idx);
    size_t len;
    sms_status st;

    *pt = NULL;
    *pt_len = 0;
    if (text == NULL)
        return jimp_fail(c, SMS_EINVAL, r->line, "%s value is NULL or not a string", h2_table_name(id));
    len = r->values[idx].len;
    if (!encrypted) {
        *pt = malloc(len + 1);
        if (*pt == NULL)
            return SMS_ENOMEM;
        memcpy(*pt, text, len + 1);
        *pt_len = len;
        return SMS_OK;
    }
    st = legacy_ecb_decrypt_b64(c->java_key, c->java_key_len, text, len, pt, pt_len);
    if (st == SMS_ENOMEM)
        return st;
    if (st == SMS_OK && !utf8_valid(*pt, *pt_len)) {
        secure_free(*pt, *pt_len + 1);
        *pt = NULL;
        st = SMS_ECRYPTO;
    }
    if (st != SMS_OK)
        return jimp_fail(c, SMS_ECRYPTO, r->line,
                    "%s value does not decrypt with the Java key (wrong key file, or corrupt value)",
                    h2_table_name(id));
    return SMS_OK;
}

static size_t code_points(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

sms_status jimp_remember_line(converter *c, size_t line)
{
    size_t i = c->out->n - 1 - c->first;

    if (i >= c->lines_cap) {
        size_t cap = c->lines_cap ? c->lines_cap * 2 : 64;
        size_t *lines = realloc(c->lines, cap * sizeof *lines);
        if (lines == NULL)
            return SMS_ENOMEM;
        c->lines = lines;
        c->lines_cap = cap;
    }
    c->lines[i] = line;
    return SMS_OK;
}

/* Normalise the identity, seal pt for it and append the record. */
static sms_status add_secret(converter *c, const h2_row *r, h2_table_id table, secret_kind kind, const char *owner,
                             const char *name, const uint8_t *pt, size_t pt_len)
{
    char *owner_lc = NULL, *name_lc = NULL;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    store_record rec;
    size_t name_max = kind == SECRET_REQUESTER ? STORE_REQUESTER_KEY_MAX : STORE_NAME_MAX;
    sms_status st;

    if (owner == NULL || owner[0] == '\0' || name == NULL)
        return jimp_fail(c, SMS_EINVAL, r->line, "%s row has an empty or NULL identity", h2_table_name(table));
    if ((st = utf8_lower(owner, strlen(owner), &owner_lc)) != SMS_OK ||
        (kind == SECRET_WEB2 && (st = utf8_lower(name, strlen(name), &name_lc)) != SMS_OK)) {
        if (st != SMS_ENOMEM)
            st = jimp_fail(c, SMS_EINVAL, r->line, "%s identity is not UTF-8", h2_table_name(table));
        goto cleanup;
    }
    memset(&rec, 0, sizeof rec);
    rec.type = STORE_REC_SECRET;
    rec.secret.kind = kind;
    rec.secret.owner = owner_lc;
    rec.secret.name = name_lc != NULL ? name_lc : name;
    if (code_points(rec.secret.owner) > STORE_OWNER_MAX || code_points(rec.secret.name) > name_max ||
        (kind == SECRET_REQUESTER && rec.secret.name[0] == '\0')) {
        st = jimp_fail(c, SMS_EINVAL, r->line, "%s identity is longer than this daemon accepts", h2_table_name(table));
        goto cleanup;
    }
    if ((st = secrets_seal_secret_with(c->our_key, &rec.secret, pt, pt_len, &sealed, &sealed_len)) != SMS_OK)
        goto cleanup;
    rec.sealed = sealed;
    rec.sealed_len = sealed_len;
    if ((st = reclist_add_copy(c->out, &rec)) != SMS_OK || (st = jimp_remember_line(c, r->line)) != SMS_OK)
        goto cleanup;
    switch (kind) {
    case SECRET_WEB2: c->rep.web2++; break;
    case SECRET_WEB3: c->rep.web3++; break;
    case SECRET_APP: c->rep.app++; break;
    case SECRET_REQUESTER: c->rep.requester++; break;
    }

cleanup:
    free(owner_lc);
    free(name_lc);
    free(sealed);
    return st;
}

static sms_status web2_rows(converter *c, const h2_table *t)
{
    int owner, name, value, enc;
    sms_status st;

    if (!t->defined)
        return SMS_OK;
    if ((st = jimp_need_col(c, t, H2_WEB2, "owner_address", &owner)) != SMS_OK ||
        (st = jimp_need_col(c, t, H2_WEB2, "address", &name)) != SMS_OK ||
        (st = jimp_need_col(c, t, H2_WEB2, "value", &value)) != SMS_OK)
        return st;
    for (size_t i = 0; i < t->nrows; i++) {
        const h2_row *r = &t->rows[i];
        uint8_t *pt = NULL;
        size_t pt_len = 0;

        if ((st = jimp_encrypted_flag(c, t, r, H2_WEB2, &enc)) != SMS_OK ||
            (st = jimp_plaintext(c, r, value, enc, H2_WEB2, &pt, &pt_len)) != SMS_OK)
            return st;
        st = add_secret(c, r, H2_WEB2, SECRET_WEB2, jimp_str_at(r, owner), jimp_str_at(r, name), pt, pt_len);
        secure_free(pt, pt_len + 1);
        if (st != SMS_OK)
            return st;
    }
    return SMS_OK;
}

static sms_status web3_rows(converter *c, const h2_table *t)
{
    int address, value, enc;
    sms_status st;

    if (!t->defined)
        return SMS_OK;
    if ((st = jimp_need_col(c, t, H2_WEB3, "address", &address)) != SMS_OK ||
        (st = jimp_need_col(c, t, H2_WEB3, "value", &value)) != SMS_OK)
        return st;
    for (size_t i = 0; i < t->nrows; i++) {
        const h2_row *r = &t->rows[i];
        uint8_t *pt = NULL;
        size_t pt_len = 0;

        if ((st = jimp_encrypted_flag(c, t, r, H2_WEB3, &enc)) != SMS_OK ||
            (st = jimp_plaintext(c, r, value, enc, H2_WEB3, &pt, &pt_len)) != SMS_OK)
            return st;
        st = add_secret(c, r, H2_WEB3, SECRET_WEB3, jimp_str_at(r, address), "", pt, pt_len);
        secure_free(pt, pt_len + 1);
        if (st != SMS_OK)
            return st;
    }
    return SMS_OK;
}

/* Enum columns: ordinal (H2 writes CAST(n AS TINYINT)) or, defensively, the name. */
static int enum_value(const h2_value *v, const char *const *names, size_t n)
{
    if (v->type == H2V_INT)
        return v->num >= 0 && (size_t)v->num < n ? (int)v->num : -1;
    for (size_t i = 0; v->type == H2V_STRING && i < n; i++)
        if (strcmp(v->str, names[i]) == 0)
            return (int)i;
    return -1;
}

static sms_status compute_row(converter *c, const h2_row *r, const int *col, int enc)
{
    static const char *const types[] = {"APPLICATION"};
    static const char *const roles[] = {"APPLICATION_DEVELOPER", "REQUESTER"};
    const char *object = jimp_str_at(r, col[1]), *fixed = jimp_str_at(r, col[3]), *key = jimp_str_at(r, col[4]);
    int type = enum_value(&r->values[col[0]], types, 1);
    int role = enum_value(&r->values[col[2]], roles, 2);
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    sms_status st;

    if (type != 0)
        return jimp_fail(c, SMS_EINVAL, r->line, "tee_task_compute_secret.on_chain_object_type is not APPLICATION (0)");
    if (role < 0)
        return jimp_fail(c, SMS_EINVAL, r->line, "tee_task_compute_secret.secret_owner_role is not 0 or 1");
    if (key == NULL)
        return jimp_fail(c, SMS_EINVAL, r->line, "tee_task_compute_secret.key is NULL");
    if (role == 0 && strcmp(key, SECRET_APP_INDEX) != 0)
        return jimp_fail(c, SMS_EINVAL, r->line, "application developer secret with a key other than \"1\"");
    if ((st = jimp_plaintext(c, r, col[5], enc, H2_COMPUTE, &pt, &pt_len)) != SMS_OK)
        return st;
    if (role == 0)
        st = add_secret(c, r, H2_COMPUTE, SECRET_APP, object, SECRET_APP_INDEX, pt, pt_len);
    else
        st = add_secret(c, r, H2_COMPUTE, SECRET_REQUESTER, fixed, key, pt, pt_len);
    secure_free(pt, pt_len + 1);
    return st;
}

static sms_status compute_rows(converter *c, const h2_table *t)
{
    static const char *const names[] = {"on_chain_object_type", "on_chain_object_address", "secret_owner_role",
                                        "fixed_secret_owner", "key", "value"};
    int col[6], enc;
    sms_status st;

    if (!t->defined)
        return SMS_OK;
    for (size_t i = 0; i < 6; i++)
        if ((st = jimp_need_col(c, t, H2_COMPUTE, names[i], &col[i])) != SMS_OK)
            return st;
    for (size_t i = 0; i < t->nrows; i++) {
        if ((st = jimp_encrypted_flag(c, t, &t->rows[i], H2_COMPUTE, &enc)) != SMS_OK ||
            (st = compute_row(c, &t->rows[i], col, enc)) != SMS_OK)
            return st;
    }
    return SMS_OK;
}

sms_status java_import_convert(const h2_dump *dump, const uint8_t *java_key, size_t java_key_len,
                               const aead_key *our_key, reclist *out, size_t **lines, java_import_report *report,
                               char *err, size_t errcap)
{
    converter c;
    sms_status st;

    if (err != NULL && errcap > 0)
        err[0] = '\0';
    if (lines != NULL)
        *lines = NULL;
    if (dump == NULL || java_key == NULL || our_key == NULL || out == NULL)
        return SMS_EINVAL;
    memset(&c, 0, sizeof c);
    c.java_key = java_key;
    c.java_key_len = java_key_len;
    c.our_key = our_key;
    c.out = out;
    c.first = out->n;
    c.err = err;
    c.errcap = errcap;
    for (int i = 0; i < H2_TABLE_COUNT; i++)
        c.rep.rows[i] = dump->tables[i].nrows;
    if ((st = web2_rows(&c, &dump->tables[H2_WEB2])) != SMS_OK ||
        (st = web3_rows(&c, &dump->tables[H2_WEB3])) != SMS_OK ||
        (st = compute_rows(&c, &dump->tables[H2_COMPUTE])) != SMS_OK ||
        (st = jimp_challenges(&c, &dump->tables[H2_CHALLENGE], &dump->tables[H2_CREDENTIALS])) != SMS_OK ||
        (st = jimp_check_duplicates(&c)) != SMS_OK) {
        if (st == SMS_ENOMEM)
            jimp_fail(&c, st, 0, "out of memory");
        reclist_truncate(out, c.first);
        free(c.lines);
        return st;
    }
    if (report != NULL)
        *report = c.rep;
    if (lines != NULL)
        *lines = c.lines;
    else
        free(c.lines);
    return SMS_OK;
}
