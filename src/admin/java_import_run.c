/* Java SMS migration: files in, one all-or-nothing insert out. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errbuf.h"
#include "admin/fileops.h"
#include "admin/java_import.h"
#include "core/log.h"
#include "core/secure.h"
#include "crypto/keyfile.h"

static const char *kind_label(secret_kind k)
{
    switch (k) {
    case SECRET_WEB2: return "web2";
    case SECRET_WEB3: return "web3";
    case SECRET_APP: return "app developer";
    case SECRET_REQUESTER: return "requester";
    }
    return "unknown";
}

/* Refuses when any identity is already in dst, naming the first one (identities are not
 * secret). */
static sms_status check_absent(sms_store *dst, const reclist *recs, const size_t *lines, char *err, size_t errcap)
{
    for (size_t i = 0; i < recs->n; i++) {
        const store_record *rec = reclist_at(recs, i);
        sms_status st;
        int exists = 0;

        if (rec->type == STORE_REC_SECRET) {
            st = store_secret_exists(dst, &rec->secret, &exists);
        } else {
            challenge_rec ch;
            memset(&ch, 0, sizeof ch);
            st = store_challenge_get(dst, rec->challenge->task_id, &ch);
            challenge_rec_clear(&ch);
            exists = st == SMS_OK;
            if (st == SMS_OK || st == SMS_ENOTFOUND)
                st = SMS_OK;
        }
        if (st != SMS_OK) {
            sms_errorf(err, errcap, "cannot read the destination store (%s): nothing imported", sms_status_name(st));
            return st;
        }
        if (!exists)
            continue;
        if (rec->type == STORE_REC_SECRET)
            sms_errorf(err, errcap,
                    "line %zu: the destination store already holds the %s secret [owner:%s, name:%s]: nothing "
                    "imported",
                    lines[i], kind_label(rec->secret.kind), rec->secret.owner, rec->secret.name);
        else
            sms_errorf(err, errcap,
                    "line %zu: the destination store already holds the challenge of task %s: nothing imported",
                    lines[i], rec->challenge->task_id);
        return SMS_EEXISTS;
    }
    return SMS_OK;
}

static sms_status read_inputs(const char *dump_path, const char *java_key_path, uint8_t **key, size_t *key_len,
                              uint8_t **dump, size_t *dump_len, char *err, size_t errcap)
{
    char why[256] = "";
    sms_status st;

    if ((st = keyfile_read_raw(java_key_path, key, key_len, why, sizeof why)) != SMS_OK) {
        sms_errorf(err, errcap, "Java key file: %s: nothing imported", why);
        return st;
    }
    if ((st = fileops_read_all(dump_path, H2_MAX_SCRIPT_BYTES, dump, dump_len)) != SMS_OK)
        sms_errorf(err, errcap, "cannot read the dump %s (%s): nothing imported", dump_path, sms_status_name(st));
    return st;
}

sms_status java_import_run(const char *dump_path, const char *java_key_path, sms_store *dst, const aead_key *our_key,
                           java_import_report *report, char *err, size_t errcap)
{
    uint8_t *key = NULL, *dump = NULL;
    size_t key_len = 0, dump_len = 0;
    size_t *lines = NULL;
    java_import_report rep;
    h2_dump parsed;
    reclist staged;
    char why[256] = "";
    sms_status st;

    sms_errorf(err, errcap, "%s", "");
    memset(&parsed, 0, sizeof parsed);
    reclist_init(&staged);
    if (dump_path == NULL || java_key_path == NULL || dst == NULL || our_key == NULL)
        return SMS_EINVAL;
    if ((st = read_inputs(dump_path, java_key_path, &key, &key_len, &dump, &dump_len, err, errcap)) != SMS_OK)
        goto cleanup;
    if ((st = h2_dump_parse((const char *)dump, dump_len, &parsed, why, sizeof why)) != SMS_OK) {
        sms_errorf(err, errcap, "dump refused, nothing imported: %s", why);
        goto cleanup;
    }
    st = java_import_convert(&parsed, key, key_len, our_key, &staged, &lines, &rep, why, sizeof why);
    if (st != SMS_OK) {
        sms_errorf(err, errcap, "dump refused, nothing imported: %s", why);
        goto cleanup;
    }
    if ((st = check_absent(dst, &staged, lines, err, errcap)) != SMS_OK)
        goto cleanup;
    reclist_rewind(&staged);
    st = store_insert_all(dst, reclist_source, &staged);
    if (st != SMS_OK) {
        sms_errorf(err, errcap, "the store refused the import (%s)%s: nothing imported", sms_status_name(st),
                st == SMS_EEXISTS ? ", a record appeared in the destination meanwhile" : "");
        goto cleanup;
    }
    LOG_INFO("java import: %zu records imported from %s", staged.n, dump_path);
    if (report != NULL)
        *report = rep;

cleanup:
    if (key != NULL)
        secure_free(key, key_len);
    /* The dump holds only ciphertexts, unless is_encrypted was false somewhere. */
    if (dump != NULL)
        secure_free(dump, dump_len + 1);
    free(lines);
    h2_dump_free(&parsed);
    reclist_free(&staged);
    return st;
}

void java_import_report_format(const java_import_report *r, char *out, size_t cap)
{
    if (out == NULL || cap == 0)
        return;
    if (r == NULL) {
        out[0] = '\0';
        return;
    }
    snprintf(out, cap,
             "read %s %zu rows, %s %zu rows, %s %zu rows, %s %zu rows, %s %zu rows; imported %zu web2, %zu web3, "
             "%zu app developer and %zu requester secrets and %zu enclave challenges (%zu unused credentials "
             "skipped)",
             h2_table_name(H2_WEB2), r->rows[H2_WEB2], h2_table_name(H2_WEB3), r->rows[H2_WEB3],
             h2_table_name(H2_COMPUTE), r->rows[H2_COMPUTE], h2_table_name(H2_CHALLENGE), r->rows[H2_CHALLENGE],
             h2_table_name(H2_CREDENTIALS), r->rows[H2_CREDENTIALS], r->web2, r->web3, r->app, r->requester,
             r->challenges, r->unused_credentials);
}
