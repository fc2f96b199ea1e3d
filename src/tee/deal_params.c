/* Deal params (tee-sessions.md 4.12) with the reference's fallback rule: whatever cannot be
 * bound exactly (not JSON, not an object, unknown key, unbindable type) turns the whole
 * params text into iexec_args and leaves every other field at its default. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/secure.h"
#include "tee/task_description.h"
#include "tee/tee_text.h"

/* Content that cannot be bound: the caller falls back. Distinct from SMS_ENOMEM. */
#define UNBINDABLE SMS_EINVAL

static sms_status set_text(const json_t *v, char **field)
{
    char *t = NULL;
    sms_status st = tee_json_scalar_text(v, &t);
    if (st != SMS_OK) return st;
    free(*field);
    *field = t;
    return SMS_OK;
}

static sms_status parse_bool(const json_t *v, int *out)
{
    static const char *const truthy[] = {"true", "True", "TRUE"};
    static const char *const falsy[] = {"false", "False", "FALSE", "", "null"};
    switch (json_typeof(v)) {
    case JSON_TRUE: *out = 1; return SMS_OK;
    case JSON_FALSE:
    case JSON_NULL: *out = 0; return SMS_OK;
    case JSON_INTEGER: *out = json_integer_value(v) != 0; return SMS_OK;
    case JSON_STRING: {
        const char *s = json_string_value(v);
        for (size_t i = 0; i < sizeof truthy / sizeof *truthy; i++)
            if (strcmp(s, truthy[i]) == 0) {
                *out = 1;
                return SMS_OK;
            }
        for (size_t i = 0; i < sizeof falsy / sizeof *falsy; i++)
            if (strcmp(s, falsy[i]) == 0) {
                *out = 0;
                return SMS_OK;
            }
        return UNBINDABLE;
    }
    default: return UNBINDABLE;
    }
}

static void free_input_files(deal_params *p)
{
    for (size_t i = 0; i < p->n_input_files; i++) free(p->input_files[i]);
    free(p->input_files);
    p->input_files = NULL;
    p->n_input_files = 0;
}

static void free_secrets(deal_params *p)
{
    for (size_t i = 0; i < p->n_secrets; i++) {
        free(p->secrets[i].index);
        free(p->secrets[i].name);
    }
    free(p->secrets);
    p->secrets = NULL;
    p->n_secrets = 0;
}

static sms_status parse_input_files(const json_t *v, deal_params *p)
{
    size_t i;
    json_t *e;
    free_input_files(p);
    if (json_is_null(v)) return SMS_OK;
    if (!json_is_array(v)) return UNBINDABLE;
    size_t n = json_array_size(v);
    if (n == 0) return SMS_OK;
    p->input_files = calloc(n, sizeof *p->input_files);
    if (p->input_files == NULL) return SMS_ENOMEM;
    json_array_foreach(v, i, e) {
        char *t = NULL;
        sms_status st = tee_json_scalar_text(e, &t);
        if (st != SMS_OK) return st;
        if (t == NULL) return UNBINDABLE; /* a null URL would only crash generation later */
        p->input_files[p->n_input_files++] = t;
    }
    return SMS_OK;
}

static sms_status parse_secrets(json_t *v, deal_params *p)
{
    const char *k;
    json_t *e;
    free_secrets(p);
    if (json_is_null(v)) return SMS_OK;
    if (!json_is_object(v)) return UNBINDABLE;
    size_t n = json_object_size(v);
    if (n == 0) return SMS_OK;
    p->secrets = calloc(n, sizeof *p->secrets);
    if (p->secrets == NULL) return SMS_ENOMEM;
    json_object_foreach(v, k, e) {
        char *name = NULL;
        sms_status st = tee_json_scalar_text(e, &name);
        if (st != SMS_OK) return st;
        if (name == NULL && (name = strdup("")) == NULL) return SMS_ENOMEM;
        char *index = strdup(k);
        if (index == NULL) {
            free(name);
            return SMS_ENOMEM;
        }
        p->secrets[p->n_secrets].index = index;
        p->secrets[p->n_secrets].name = name;
        p->n_secrets++;
    }
    return SMS_OK;
}

static sms_status apply_key(const char *key, json_t *v, deal_params *p)
{
    if (strcmp(key, "iexec_args") == 0) return set_text(v, &p->iexec_args);
    if (strcmp(key, "iexec_input_files") == 0) return parse_input_files(v, p);
    if (strcmp(key, "iexec_result_encryption") == 0) return parse_bool(v, &p->result_encryption);
    if (strcmp(key, "iexec_result_storage_provider") == 0) return set_text(v, &p->storage_provider);
    if (strcmp(key, "iexec_result_storage_proxy") == 0) return set_text(v, &p->storage_proxy);
    if (strcmp(key, "iexec_secrets") == 0) return parse_secrets(v, p);
    if (strcmp(key, "bulk_cid") == 0) {
        sms_status st = set_text(v, &p->bulk_cid);
        if (st == SMS_OK && p->bulk_cid == NULL && (p->bulk_cid = strdup("")) == NULL) return SMS_ENOMEM;
        return st;
    }
    return UNBINDABLE;
}

/* Strict binding of an already decoded text. SMS_OK, UNBINDABLE or SMS_ENOMEM. */
static sms_status bind(const char *text, size_t len, deal_params *p)
{
    const char *key;
    json_t *v;
    sms_status st = SMS_OK;
    json_t *root = json_loadb(text, len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, NULL);
    if (root == NULL) return UNBINDABLE;
    if (json_is_null(root)) {
        p->absent = 1;
        goto out;
    }
    if (!json_is_object(root)) {
        st = UNBINDABLE;
        goto out;
    }
    json_object_foreach(root, key, v) {
        st = apply_key(key, v, p);
        if (st != SMS_OK) goto out;
    }
out:
    json_decref(root);
    return st;
}

sms_status deal_params_parse(const char *raw, size_t len, deal_params *out)
{
    char *text = NULL;
    size_t text_len = 0;
    sms_status st;

    memset(out, 0, sizeof *out);
    if (raw == NULL) len = 0;
    st = tee_text_sanitize(raw, len, &text, &text_len);
    if (st != SMS_OK) return st;
    st = bind(text, text_len, out);
    if (st == SMS_OK && out->bulk_cid == NULL && (out->bulk_cid = strdup("")) == NULL) st = SMS_ENOMEM;
    if (st == UNBINDABLE) {
        /* The requester wants the whole string as the app's arguments (4.12). */
        deal_params_clear(out);
        out->iexec_args = text;
        text = NULL;
        st = (out->bulk_cid = strdup("")) == NULL ? SMS_ENOMEM : SMS_OK;
    }
    free(text);
    if (st != SMS_OK) deal_params_clear(out);
    return st;
}

void deal_params_clear(deal_params *p)
{
    if (p == NULL) return;
    free(p->iexec_args);
    free_input_files(p);
    free(p->storage_provider);
    free(p->storage_proxy);
    free_secrets(p);
    free(p->bulk_cid);
    memset(p, 0, sizeof *p);
}
