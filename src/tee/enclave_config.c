/* App enclave configuration (tee-sessions.md 4.11): the JSON text stored as the app's
 * mrenclave. Strict on structure (unknown key, bad enum, not an object -> absent) and, like
 * the reference's Jackson mapper, lenient on scalar coercion (numbers for strings, numeric
 * strings for heapSize, null for defaults). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/secure.h"
#include "tee/task_description.h"
#include "tee/tee_text.h"

static int ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* heapSize: integer, real (truncated), numeric string (trimmed; "" = 0) or null (0). */
static sms_status parse_heap(const json_t *v, int64_t *out)
{
    *out = 0;
    switch (json_typeof(v)) {
    case JSON_NULL: return SMS_OK;
    case JSON_INTEGER: *out = json_integer_value(v); return SMS_OK;
    case JSON_REAL: {
        double d = json_real_value(v);
        if (!isfinite(d) || d >= 9.2e18 || d <= -9.2e18) return SMS_EINVAL;
        *out = (int64_t)d;
        return SMS_OK;
    }
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        while (n > 0 && ascii_space(*s)) {
            s++;
            n--;
        }
        while (n > 0 && ascii_space(s[n - 1])) n--;
        if (n == 0) return SMS_OK;
        if (n > 32) return SMS_EINVAL;
        char buf[33];
        memcpy(buf, s, n);
        buf[n] = '\0';
        char *end = NULL;
        errno = 0;
        long long x = strtoll(buf, &end, 10);
        if (errno != 0 || end == buf || *end != '\0') return SMS_EINVAL;
        *out = (int64_t)x;
        return SMS_OK;
    }
    default: return SMS_EINVAL;
    }
}

static sms_status parse_framework(const json_t *v, tee_framework *out)
{
    if (json_is_null(v)) {
        *out = TEE_FRAMEWORK_NONE;
        return SMS_OK;
    }
    if (!json_is_string(v)) return SMS_EINVAL;
    const char *s = json_string_value(v);
    /* Case-sensitive, like Jackson's default enum binding. */
    if (strcmp(s, "SCONE") == 0) *out = TEE_FRAMEWORK_SCONE;
    else if (strcmp(s, "GRAMINE") == 0) *out = TEE_FRAMEWORK_GRAMINE;
    else if (strcmp(s, "TDX") == 0) *out = TEE_FRAMEWORK_TDX;
    else return SMS_EINVAL;
    return SMS_OK;
}

static sms_status replace_text(const json_t *v, char **field)
{
    char *t = NULL;
    sms_status st = tee_json_scalar_text(v, &t);
    if (st != SMS_OK) return st;
    free(*field);
    *field = t;
    return SMS_OK;
}

static sms_status apply_key(const char *key, const json_t *v, enclave_config *c)
{
    if (strcmp(key, "framework") == 0 || strcmp(key, "provider") == 0) return parse_framework(v, &c->framework);
    if (strcmp(key, "version") == 0) return replace_text(v, &c->version);
    if (strcmp(key, "entrypoint") == 0) return replace_text(v, &c->entrypoint);
    if (strcmp(key, "fingerprint") == 0) return replace_text(v, &c->fingerprint);
    if (strcmp(key, "heapSize") == 0) return parse_heap(v, &c->heap_size);
    return SMS_EINVAL; /* unknown key */
}

sms_status enclave_config_parse(const char *json, size_t len, enclave_config *out)
{
    char *text = NULL;
    size_t text_len = 0;
    json_t *root = NULL;
    const char *key;
    json_t *v;
    sms_status st;

    memset(out, 0, sizeof *out);
    if (json == NULL && len > 0) return SMS_EINVAL;
    /* The reference decodes the bytes as UTF-8 (with replacement) before parsing. */
    st = tee_text_sanitize(json, len, &text, &text_len);
    if (st != SMS_OK) return st;
    root = json_loadb(text, text_len, 0, NULL);
    if (root == NULL || !json_is_object(root)) {
        st = SMS_EINVAL;
        goto out;
    }
    /* Iteration follows the document order, so with both "framework" and "provider" (or a
     * duplicated key) the last one wins, as with Jackson. */
    json_object_foreach(root, key, v) {
        st = apply_key(key, v, out);
        if (st != SMS_OK) goto out;
    }
    st = SMS_OK;
out:
    json_decref(root);
    free(text);
    if (st != SMS_OK) enclave_config_clear(out);
    return st;
}

int enclave_config_valid(const enclave_config *c)
{
    uint8_t fp[32];
    size_t fp_len = 0;
    if (c == NULL) return 0;
    /* The validator trusts the configuration's own framework, not the deal tag (4.11). */
    if (c->framework != TEE_FRAMEWORK_GRAMINE) {
        if (c->entrypoint == NULL || c->entrypoint[0] == '\0') return 0;
        if (c->heap_size <= 0) return 0;
    }
    if (c->fingerprint == NULL || c->fingerprint[0] == '\0') return 0;
    if (hex_decode(c->fingerprint, strlen(c->fingerprint), fp, sizeof fp, &fp_len) != SMS_OK) return 0;
    return fp_len == sizeof fp;
}

void enclave_config_clear(enclave_config *c)
{
    if (c == NULL) return;
    free(c->version);
    free(c->entrypoint);
    free(c->fingerprint);
    memset(c, 0, sizeof *c);
}
