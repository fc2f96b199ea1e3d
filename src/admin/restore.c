/* Staged restore: everything is loaded and verified before the live store is touched;
 * the swap is one store transaction, undone if the key file cannot follow. */
#include "core/errbuf.h"
#include "admin/restore.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "admin/backup.h"
#include "admin/fileops.h"
#include "admin/reclist.h"
#include "core/log.h"
#include "core/secure.h"
#include "crypto/keyfile.h"

#define KEY_FILE_MAX 4096
/* The reference leaves the key file read-only (sms-api.md 9.4). */
#define LIVE_KEY_MODE 0400

static const char *kind_label(secret_kind k)
{
    switch (k) {
    case SECRET_WEB2: return "web2";
    case SECRET_WEB3: return "web3";
    case SECRET_APP: return "app";
    case SECRET_REQUESTER: return "requester";
    }
    return "unknown";
}

/* Every record must open under the backup's key with its own identity. */
static sms_status verify_all(const aead_key *key, const reclist *staged, char *err, size_t errcap)
{
    for (size_t i = 0; i < staged->n; i++) {
        const store_record *rec = reclist_at(staged, i);
        sms_status st = secrets_verify_record(key, rec);

        if (st == SMS_OK)
            continue;
        /* Record i is on line i + 2 (after the header). Identities are not secret. */
        if (rec->type == STORE_REC_SECRET)
            sms_errorf(err, errcap, "line %zu: %s secret [owner:%s, name:%s] does not open under the backup's key (%s)",
                    i + 2, kind_label(rec->secret.kind), rec->secret.owner, rec->secret.name, sms_status_name(st));
        else
            sms_errorf(err, errcap, "line %zu: challenge of task %s does not open under the backup's key (%s)", i + 2,
                    rec->challenge->task_id, sms_status_name(st));
        return st == SMS_ENOMEM ? st : SMS_ECRYPTO;
    }
    return SMS_OK;
}

static sms_status load_inputs(const char *dump_path, const char *key_path, aead_key **key, uint8_t **key_text,
                              size_t *key_text_len, reclist *staged, char *err, size_t errcap)
{
    char why[256] = "";
    sms_status st;

    if ((st = keyfile_load(key_path, key, why, sizeof why)) != SMS_OK) {
        sms_errorf(err, errcap, "backup key file: %s", why);
        return st;
    }
    if ((st = fileops_read_all(key_path, KEY_FILE_MAX, key_text, key_text_len)) != SMS_OK) {
        sms_errorf(err, errcap, "cannot read the backup key file (%s)", sms_status_name(st));
        return st;
    }
    if ((st = backup_read_file(dump_path, staged, why, sizeof why)) != SMS_OK) {
        sms_errorf(err, errcap, "backup file refused: %s", why);
        return st;
    }
    return verify_all(*key, staged, err, errcap);
}

/* Steps 4-6 (restore.h), with the guarded routes paused. */
static sms_status swap(const restore_target *t, fileops_tmp *new_key_file, const aead_key *key, reclist *staged,
                       char *err, size_t errcap)
{
    reclist previous;
    sms_status st, rb;

    reclist_init(&previous);
    if ((st = store_foreach(t->store, reclist_collect, &previous)) != SMS_OK) {
        sms_errorf(err, errcap, "cannot snapshot the live store (%s)", sms_status_name(st));
        goto cleanup;
    }
    reclist_rewind(staged);
    if ((st = store_replace_all(t->store, reclist_source, staged)) != SMS_OK) {
        sms_errorf(err, errcap, "the live store was not replaced (%s)%s", sms_status_name(st),
                st == SMS_EEXISTS ? ": the backup holds one identity twice" : "");
        goto cleanup;
    }
    if ((st = fileops_tmp_commit(new_key_file, 1)) != SMS_OK) {
        /* The data already changed: put it back so that it matches the old key again. */
        reclist_rewind(&previous);
        rb = store_replace_all(t->store, reclist_source, &previous);
        if (rb != SMS_OK) {
            LOG_ERROR("restore: the key file %s could not be replaced AND the previous data could not be put back "
                      "(%s): the store now holds the backup's data; copy the backup's .key file to %s",
                      t->live_key_path, sms_status_name(rb), t->live_key_path);
        }
        sms_errorf(err, errcap, "cannot replace the key file %s (%s); the previous data was %s", t->live_key_path,
                sms_status_name(st), rb == SMS_OK ? "put back" : "NOT put back");
        st = SMS_EIO;
        goto cleanup;
    }
    if (t->secrets != NULL) {
        secrets_set_key(t->secrets, key);
        secrets_clear_caches(t->secrets);
        secrets_refresh_metrics(t->secrets);
    }

cleanup:
    reclist_free(&previous);
    return st;
}

sms_status restore_run(const restore_target *t, const char *dump_path, const char *key_path, aead_key **new_key,
                       char *err, size_t errcap)
{
    aead_key *key = NULL;
    uint8_t *key_text = NULL;
    size_t key_text_len = 0;
    reclist staged;
    fileops_tmp key_file = {.fd = -1};
    sms_status st;

    sms_errorf(err, errcap, "%s", "");
    reclist_init(&staged);
    if (new_key != NULL)
        *new_key = NULL;
    if (t == NULL || t->store == NULL || t->live_key_path == NULL || dump_path == NULL || key_path == NULL ||
        new_key == NULL)
        return SMS_EINVAL;
    st = load_inputs(dump_path, key_path, &key, &key_text, &key_text_len, &staged, err, errcap);
    if (st != SMS_OK)
        goto cleanup;
    st = fileops_tmp_open(&key_file, t->live_key_path, LIVE_KEY_MODE);
    if (st == SMS_OK)
        st = fileops_tmp_write(&key_file, key_text, key_text_len);
    if (st != SMS_OK) {
        sms_errorf(err, errcap, "cannot prepare the new key file next to %s (%s)", t->live_key_path,
                sms_status_name(st));
        goto cleanup;
    }
    if (t->hooks.pause != NULL && t->hooks.pause(t->hooks.ctx) != 0) {
        st = SMS_EBUSY;
        sms_errorf(err, errcap, "requests in flight could not be drained before the swap");
        goto cleanup;
    }
    st = swap(t, &key_file, key, &staged, err, errcap);
    if (t->hooks.resume != NULL)
        t->hooks.resume(t->hooks.ctx);
    if (st != SMS_OK)
        goto cleanup;
    LOG_INFO("restore: %zu records and the key file restored from %s", staged.n, dump_path);
    *new_key = key;
    key = NULL;

cleanup:
    fileops_tmp_abort(&key_file);
    if (key_text != NULL)
        secure_free(key_text, key_text_len + 1);
    aead_key_free(key);
    reclist_free(&staged);
    return st;
}
