/* Backup reader: the whole file is checked (trailer, checksum, header, every record)
 * before anything is handed to the caller. Error messages name the line, never its
 * content. */
#include <jansson.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errbuf.h"
#include "admin/backup.h"
#include "admin/fileops.h"
#include "core/b64.h"
#include "core/hex.h"
#include "core/secure.h"
#include "store/store_backend.h"

/* A line as a JSON object; NULL when it is not one. Duplicate keys are refused. */
static json_t *parse_object(const uint8_t *p, size_t n)
{
    json_error_t jerr;
    json_t *v = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);

    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

/* Exactly the expected keys, no other. */
static int has_only(json_t *obj, const char *const *keys, size_t n)
{
    size_t found = 0;

    for (size_t i = 0; i < n; i++)
        if (json_object_get(obj, keys[i]) != NULL)
            found++;
    return found == n && json_object_size(obj) == n;
}

/* A string member with no NUL inside (the decoder already refuses \u0000). */
static const char *str_member(json_t *obj, const char *key, size_t max)
{
    json_t *v = json_object_get(obj, key);
    const char *s;

    if (!json_is_string(v))
        return NULL;
    s = json_string_value(v);
    if (strlen(s) != json_string_length(v) || json_string_length(v) > max)
        return NULL;
    return s;
}

static sms_status b64_member(json_t *obj, const char *key, uint8_t **out, size_t *out_len)
{
    const char *s = str_member(obj, key, (size_t)STORE_SEALED_MAX / 3 * 4 + 4);
    size_t len, cap;

    *out = NULL;
    *out_len = 0;
    if (s == NULL)
        return SMS_EINVAL;
    len = strlen(s);
    cap = len / 4 * 3 + 1;
    *out = malloc(cap);
    if (*out == NULL)
        return SMS_ENOMEM;
    if (b64_decode(s, len, *out, cap, out_len) != SMS_OK || *out_len == 0) {
        free(*out);
        *out = NULL;
        return SMS_EINVAL;
    }
    return SMS_OK;
}

static int kind_of(const char *s, secret_kind *kind)
{
    static const struct {
        const char *name;
        secret_kind kind;
    } kinds[] = {{"web2", SECRET_WEB2}, {"web3", SECRET_WEB3}, {"app", SECRET_APP}, {"requester", SECRET_REQUESTER}};

    for (size_t i = 0; s != NULL && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(s, kinds[i].name) == 0) {
            *kind = kinds[i].kind;
            return 1;
        }
    }
    return 0;
}

static sms_status parse_secret(json_t *obj, reclist *out)
{
    static const char *const keys[] = {"type", "kind", "owner", "name", "value"};
    store_record rec;
    uint8_t *sealed = NULL;
    sms_status st;

    memset(&rec, 0, sizeof rec);
    rec.type = STORE_REC_SECRET;
    if (!has_only(obj, keys, 5) || !kind_of(str_member(obj, "kind", 16), &rec.secret.kind))
        return SMS_EINVAL;
    rec.secret.owner = str_member(obj, "owner", 3 * STORE_OWNER_MAX);
    rec.secret.name = str_member(obj, "name", 3 * STORE_NAME_MAX);
    if (rec.secret.owner == NULL || rec.secret.owner[0] == '\0' || rec.secret.name == NULL)
        return SMS_EINVAL;
    if ((st = b64_member(obj, "value", &sealed, &rec.sealed_len)) != SMS_OK)
        return st;
    rec.sealed = sealed;
    st = reclist_add_copy(out, &rec);
    free(sealed);
    return st;
}

static sms_status parse_challenge(json_t *obj, reclist *out)
{
    static const char *const keys[] = {"type", "task_id", "address", "key", "final_deadline_ms"};
    challenge_rec ch;
    store_record rec;
    const char *task, *addr;
    json_t *deadline;
    sms_status st;

    memset(&ch, 0, sizeof ch);
    if (!has_only(obj, keys, 5))
        return SMS_EINVAL;
    task = str_member(obj, "task_id", sizeof ch.task_id - 1);
    addr = str_member(obj, "address", sizeof ch.address - 1);
    deadline = json_object_get(obj, "final_deadline_ms");
    if (task == NULL || task[0] == '\0' || addr == NULL || addr[0] == '\0')
        return SMS_EINVAL;
    if (json_is_integer(deadline)) {
        if (json_integer_value(deadline) <= 0)
            return SMS_EINVAL;
        ch.final_deadline_ms = json_integer_value(deadline);
    } else if (!json_is_null(deadline)) {
        return SMS_EINVAL;
    }
    memcpy(ch.task_id, task, strlen(task) + 1);
    memcpy(ch.address, addr, strlen(addr) + 1);
    if ((st = b64_member(obj, "key", &ch.sealed_key, &ch.sealed_key_len)) != SMS_OK)
        return st;
    memset(&rec, 0, sizeof rec);
    rec.type = STORE_REC_CHALLENGE;
    rec.challenge = &ch;
    st = reclist_add_copy(out, &rec);
    challenge_rec_clear(&ch);
    return st;
}

static sms_status parse_record(const uint8_t *p, size_t n, reclist *out)
{
    json_t *obj = parse_object(p, n);
    const char *type;
    sms_status st = SMS_EINVAL;

    if (obj == NULL)
        return SMS_EINVAL;
    type = str_member(obj, "type", 16);
    if (type != NULL && strcmp(type, "secret") == 0)
        st = parse_secret(obj, out);
    else if (type != NULL && strcmp(type, "challenge") == 0)
        st = parse_challenge(obj, out);
    json_decref(obj);
    return st;
}

static sms_status parse_header(const uint8_t *p, size_t n)
{
    json_t *obj = parse_object(p, n);
    const char *format;
    json_t *version;
    sms_status st = SMS_EINVAL;

    if (obj == NULL)
        return SMS_EINVAL;
    format = str_member(obj, "format", 64);
    version = json_object_get(obj, "version");
    if (format != NULL && strcmp(format, BACKUP_FORMAT) == 0 && json_is_integer(version) &&
        json_integer_value(version) == BACKUP_VERSION)
        st = SMS_OK;
    json_decref(obj);
    return st;
}

/* Trailer: {"records":N,"sha256":"<64 hex>"}. */
static sms_status parse_trailer(const uint8_t *p, size_t n, json_int_t *records, uint8_t digest[32])
{
    static const char *const keys[] = {"records", "sha256"};
    json_t *obj = parse_object(p, n);
    json_t *count;
    const char *hex;
    size_t dlen = 0;
    sms_status st = SMS_EINVAL;

    if (obj == NULL)
        return SMS_EINVAL;
    count = json_object_get(obj, "records");
    hex = str_member(obj, "sha256", 64);
    if (has_only(obj, keys, 2) && json_is_integer(count) && json_integer_value(count) >= 0 && hex != NULL &&
        strlen(hex) == 64 && hex_decode(hex, 64, digest, 32, &dlen) == SMS_OK && dlen == 32) {
        *records = json_integer_value(count);
        st = SMS_OK;
    }
    json_decref(obj);
    return st;
}

sms_status backup_parse(const uint8_t *data, size_t len, reclist *out, char *err, size_t errcap)
{
    uint8_t want[32], got[32];
    json_int_t records = 0;
    size_t body_len, line = 0, pos = 0, before;
    sms_status st = SMS_EINVAL;

    sms_errorf(err, errcap, "%s", "");
    if (data == NULL || out == NULL)
        return SMS_EINVAL;
    before = out->n;
    if (len == 0 || data[len - 1] != '\n') {
        sms_errorf(err, errcap, "the file is empty or truncated (it must end with the trailer line)");
        return SMS_EINVAL;
    }
    /* The trailer is the last line; everything before it is checksummed. */
    body_len = len - 1;
    while (body_len > 0 && data[body_len - 1] != '\n')
        body_len--;
    if (body_len == 0) {
        sms_errorf(err, errcap, "line 1: no header before the trailer");
        return SMS_EINVAL;
    }
    if (parse_trailer(data + body_len, len - 1 - body_len, &records, want) != SMS_OK) {
        sms_errorf(err, errcap, "last line: not a valid trailer (truncated file?)");
        return SMS_EINVAL;
    }
    SHA256(data, body_len, got);
    if (!secure_equal(want, got, sizeof got)) {
        sms_errorf(err, errcap, "checksum mismatch: the file was altered or truncated");
        return SMS_EINVAL;
    }
    while (pos < body_len) {
        const uint8_t *nl = memchr(data + pos, '\n', body_len - pos);
        size_t n = (size_t)(nl - (data + pos)); /* nl exists: body ends with '\n' */

        line++;
        st = line == 1 ? parse_header(data + pos, n) : parse_record(data + pos, n, out);
        if (st != SMS_OK) {
            if (st == SMS_ENOMEM)
                sms_errorf(err, errcap, "line %zu: out of memory", line);
            else if (line == 1)
                sms_errorf(err, errcap, "line 1: not an %s version %d header", BACKUP_FORMAT, BACKUP_VERSION);
            else
                sms_errorf(err, errcap, "line %zu: malformed record", line);
            goto fail;
        }
        pos += n + 1;
    }
    if ((json_int_t)(out->n - before) != records) {
        sms_errorf(err, errcap, "the trailer counts %lld records, the file holds %zu", (long long)records,
                out->n - before);
        st = SMS_EINVAL;
        goto fail;
    }
    return SMS_OK;

fail:
    /* Leave the caller's list as it was. */
    reclist_truncate(out, before);
    return st;
}

sms_status backup_read_file(const char *path, reclist *out, char *err, size_t errcap)
{
    uint8_t *data = NULL;
    size_t len = 0;
    sms_status st;

    sms_errorf(err, errcap, "%s", "");
    st = fileops_read_all(path, BACKUP_MAX_BYTES, &data, &len);
    if (st != SMS_OK) {
        sms_errorf(err, errcap, "cannot read the backup file (%s)", sms_status_name(st));
        return st;
    }
    st = backup_parse(data, len, out, err, errcap);
    free(data);
    return st;
}
