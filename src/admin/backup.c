/* Backup writer: key file copy, then the JSON Lines dump of one store snapshot. */
#include "admin/backup.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/fileops.h"
#include "core/b64.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/secure.h"
#include "crypto/keyfile.h"
#include "secrets/secrets.h"

#define WRITE_BUF 65536
#define KEY_FILE_MAX 4096

typedef struct {
    fileops_tmp file;
    EVP_MD_CTX *md;
    const aead_key *key;
    char buf[WRITE_BUF];
    size_t used;
    size_t n;
} dump_writer;

static sms_status flush(dump_writer *w)
{
    sms_status st = fileops_tmp_write(&w->file, w->buf, w->used);

    w->used = 0;
    return st;
}

/* One line: hashed (the trailer's checksum covers it) and buffered. */
static sms_status emit_line(dump_writer *w, const char *line, size_t len)
{
    sms_status st;

    if (EVP_DigestUpdate(w->md, line, len) != 1 || EVP_DigestUpdate(w->md, "\n", 1) != 1)
        return SMS_ERR;
    while (len + 1 > WRITE_BUF - w->used) {
        size_t room = WRITE_BUF - w->used;
        if (room > len)
            room = len;
        memcpy(w->buf + w->used, line, room);
        w->used += room;
        line += room;
        len -= room;
        if ((st = flush(w)) != SMS_OK)
            return st;
    }
    memcpy(w->buf + w->used, line, len);
    w->used += len;
    w->buf[w->used++] = '\n';
    return SMS_OK;
}

/* Serialises obj on one line (compact JSON escapes every control character) and releases
 * it. NULL obj means a failed json_pack: out of memory, or a string that is not UTF-8. */
static sms_status emit_json(dump_writer *w, json_t *obj)
{
    char *text;
    sms_status st;

    if (obj == NULL)
        return SMS_ENOMEM;
    text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (text == NULL)
        return SMS_ENOMEM;
    st = emit_line(w, text, strlen(text));
    free(text);
    return st;
}

static const char *kind_name(secret_kind kind)
{
    switch (kind) {
    case SECRET_WEB2: return "web2";
    case SECRET_WEB3: return "web3";
    case SECRET_APP: return "app";
    case SECRET_REQUESTER: return "requester";
    }
    return NULL;
}

static sms_status to_b64(const uint8_t *p, size_t n, char **out)
{
    size_t cap = b64_encoded_size(n);
    sms_status st;

    *out = malloc(cap);
    if (*out == NULL)
        return SMS_ENOMEM;
    if ((st = b64_encode(p, n, *out, cap)) != SMS_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}

static json_t *secret_json(const store_record *rec, const char *value)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "secret", "kind", kind_name(rec->secret.kind), "owner",
                     rec->secret.owner, "name", rec->secret.name, "value", value);
}

static json_t *challenge_json(const challenge_rec *ch, const char *key)
{
    json_t *deadline = ch->final_deadline_ms > 0 ? json_integer(ch->final_deadline_ms) : json_null();

    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "type", "challenge", "task_id", ch->task_id, "address",
                     ch->address, "key", key, "final_deadline_ms", deadline);
}

static void log_unopenable(const store_record *rec)
{
    if (rec->type == STORE_REC_SECRET)
        LOG_ERROR("backup refused: %s secret [owner:%s, name:%s] does not open under the key file",
                  kind_name(rec->secret.kind) ? kind_name(rec->secret.kind) : "unknown", rec->secret.owner,
                  rec->secret.name);
    else
        LOG_ERROR("backup refused: challenge of task %s does not open under the key file", rec->challenge->task_id);
}

static sms_status on_record(void *ctx, const store_record *rec)
{
    dump_writer *w = ctx;
    char *b64 = NULL;
    sms_status st;

    st = secrets_verify_record(w->key, rec);
    if (st != SMS_OK) {
        if (st == SMS_ECRYPTO)
            log_unopenable(rec);
        return st;
    }
    if (rec->type == STORE_REC_SECRET) {
        if (kind_name(rec->secret.kind) == NULL)
            return SMS_ESTORE;
        if ((st = to_b64(rec->sealed, rec->sealed_len, &b64)) == SMS_OK)
            st = emit_json(w, secret_json(rec, b64));
    } else {
        if ((st = to_b64(rec->challenge->sealed_key, rec->challenge->sealed_key_len, &b64)) == SMS_OK)
            st = emit_json(w, challenge_json(rec->challenge, b64));
    }
    free(b64);
    if (st == SMS_OK)
        w->n++;
    return st;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static sms_status emit_trailer(dump_writer *w)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    char hex[2 * 32 + 1];
    char line[160];
    int n;

    if (EVP_DigestFinal_ex(w->md, digest, &dlen) != 1 || dlen != 32)
        return SMS_ERR;
    hex_encode(digest, 32, hex);
    n = snprintf(line, sizeof line, "{\"records\":%zu,\"sha256\":\"%s\"}\n", w->n, hex);
    if (n < 0 || (size_t)n >= sizeof line)
        return SMS_ERR;
    if (w->used + (size_t)n > WRITE_BUF) {
        sms_status st = flush(w);
        if (st != SMS_OK)
            return st;
    }
    memcpy(w->buf + w->used, line, (size_t)n);
    w->used += (size_t)n;
    return flush(w);
}

/* Writes the dump to a temporary file, then publishes the prepared key file and the dump,
 * in that order: a failure while dumping leaves the previous pair whole. */
static sms_status write_dump(sms_store *store, const aead_key *key, const char *dump_path, fileops_tmp *key_file,
                             size_t *n_records)
{
    dump_writer *w = calloc(1, sizeof *w);
    sms_status st;

    if (w == NULL)
        return SMS_ENOMEM;
    w->file.fd = -1;
    w->key = key;
    w->md = EVP_MD_CTX_new();
    if (w->md == NULL || EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    if ((st = fileops_tmp_open(&w->file, dump_path, 0600)) != SMS_OK)
        goto cleanup;
    st = emit_json(w, json_pack("{s:s, s:i, s:I}", "format", BACKUP_FORMAT, "version", BACKUP_VERSION, "created_ms",
                                (json_int_t)now_ms()));
    if (st != SMS_OK)
        goto cleanup;
    if ((st = store_foreach(store, on_record, w)) != SMS_OK)
        goto cleanup;
    if ((st = emit_trailer(w)) != SMS_OK)
        goto cleanup;
    if ((st = fileops_tmp_commit(key_file, 1)) != SMS_OK) {
        LOG_ERROR("backup: cannot publish the key file copy (%s)", sms_status_name(st));
        goto cleanup;
    }
    if ((st = fileops_tmp_commit(&w->file, 1)) != SMS_OK)
        goto cleanup;
    if (n_records != NULL)
        *n_records = w->n;

cleanup:
    fileops_tmp_abort(&w->file);
    EVP_MD_CTX_free(w->md);
    free(w);
    return st;
}

sms_status backup_write(sms_store *store, const char *live_key_path, const char *dump_path, const char *key_path,
                        size_t *n_records)
{
    char err[256] = "";
    uint8_t *key_text = NULL;
    size_t key_text_len = 0;
    aead_key *key = NULL;
    fileops_tmp key_file = {.fd = -1};
    sms_status st;

    if (n_records != NULL)
        *n_records = 0;
    if (store == NULL || live_key_path == NULL || dump_path == NULL || key_path == NULL)
        return SMS_EINVAL;
    if ((st = keyfile_load(live_key_path, &key, err, sizeof err)) != SMS_OK) {
        LOG_ERROR("backup: cannot load the key file: %s", err);
        st = st == SMS_ENOMEM ? st : SMS_EIO;
        goto cleanup;
    }
    if ((st = fileops_read_all(live_key_path, KEY_FILE_MAX, &key_text, &key_text_len)) != SMS_OK) {
        LOG_ERROR("backup: cannot read the key file %s (%s)", live_key_path, sms_status_name(st));
        st = st == SMS_ENOMEM ? st : SMS_EIO;
        goto cleanup;
    }
    if ((st = fileops_tmp_open(&key_file, key_path, 0600)) != SMS_OK ||
        (st = fileops_tmp_write(&key_file, key_text, key_text_len)) != SMS_OK) {
        LOG_ERROR("backup: cannot write %s (%s)", key_path, sms_status_name(st));
        goto cleanup;
    }
    st = write_dump(store, key, dump_path, &key_file, n_records);
    if (st != SMS_OK)
        LOG_ERROR("backup: cannot write %s (%s)", dump_path, sms_status_name(st));

cleanup:
    fileops_tmp_abort(&key_file);
    if (key_text != NULL)
        secure_free(key_text, key_text_len + 1);
    aead_key_free(key);
    return st;
}
