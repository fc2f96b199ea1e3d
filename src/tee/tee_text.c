#include "tee/tee_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secure.h"

static const char replacement[3] = {(char)0xEF, (char)0xBF, (char)0xBD}; /* U+FFFD */

/* Length of the well-formed UTF-8 sequence starting at s[0] (1..4), or 0 if it is not one;
 * *cp receives the code point. */
static size_t utf8_seq(const uint8_t *s, size_t avail, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t n;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n + 1) return 0;
    for (size_t k = 1; k <= n; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[k] & 0x3F);
    }
    if ((n == 2 && v < 0x800) || (n == 3 && v < 0x10000) || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n + 1;
}

sms_status tee_text_sanitize(const char *in, size_t len, char **out, size_t *out_len)
{
    const uint8_t *s = (const uint8_t *)in;
    if (len > (SIZE_MAX - 1) / 3) return SMS_ENOMEM;
    char *buf = malloc(len * 3 + 1);
    if (buf == NULL) return SMS_ENOMEM;
    size_t o = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = utf8_seq(s + i, len - i, &cp);
        if (n == 0 || cp == 0) {
            memcpy(buf + o, replacement, sizeof replacement);
            o += sizeof replacement;
            i++;
            continue;
        }
        memcpy(buf + o, s + i, n);
        o += n;
        i += n;
    }
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return SMS_OK;
}

static int java_whitespace(uint32_t cp)
{
    if ((cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20)) return 1;
    if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x2006) || (cp >= 0x2008 && cp <= 0x200A)) return 1;
    return cp == 0x2028 || cp == 0x2029 || cp == 0x205F || cp == 0x3000;
}

int tee_text_is_blank(const char *s)
{
    if (s == NULL) return 1;
    const uint8_t *p = (const uint8_t *)s;
    size_t len = strlen(s);
    size_t i = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = utf8_seq(p + i, len - i, &cp);
        if (n == 0 || !java_whitespace(cp)) return 0;
        i += n;
    }
    return 1;
}

sms_status tee_sbuf_append(tee_sbuf *b, const void *data, size_t n)
{
    if (n > TEE_SBUF_MAX || b->len > TEE_SBUF_MAX - n) return SMS_ETOOBIG;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        /* Not realloc: the old block may hold secrets and must be zeroed before release. */
        char *grown = malloc(cap);
        if (grown == NULL) return SMS_ENOMEM;
        if (b->len > 0) memcpy(grown, b->p, b->len);
        secure_free(b->p, b->cap);
        b->p = grown;
        b->cap = cap;
    }
    if (n > 0) memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return SMS_OK;
}

void tee_sbuf_wipe(tee_sbuf *b)
{
    secure_free(b->p, b->cap);
    memset(b, 0, sizeof *b);
}

sms_status tee_sbuf_take(tee_sbuf *b, char **out, size_t *len)
{
    if (b->p == NULL) {
        sms_status st = tee_sbuf_append(b, "", 0);
        if (st != SMS_OK) return st;
    }
    *out = b->p;
    *len = b->len;
    memset(b, 0, sizeof *b);
    return SMS_OK;
}

sms_status tee_json_env_object(const env_map *m, json_t **out)
{
    sms_status st = SMS_OK;
    json_t *obj = json_object();
    if (obj == NULL) return SMS_ENOMEM;
    for (size_t i = 0; i < m->n; i++) {
        json_t *v = json_string(m->entries[i].value);
        if (v == NULL || json_object_set_new(obj, m->entries[i].key, v) != 0) {
            st = SMS_ERR;
            goto fail;
        }
    }
    *out = obj;
    return SMS_OK;
fail:
    tee_json_dump_wipe(obj, NULL, NULL);
    json_decref(obj);
    return st;
}

typedef struct {
    tee_sbuf buf;
    sms_status st;
} dump_ctx;

static int dump_cb(const char *chunk, size_t n, void *data)
{
    dump_ctx *ctx = data;
    ctx->st = tee_sbuf_append(&ctx->buf, chunk, n);
    return ctx->st == SMS_OK ? 0 : -1;
}

static void wipe_strings(json_t *j)
{
    if (json_is_string(j)) {
        /* The tree is ours and about to be freed: jansson's free does not zero. */
        secure_zero((char *)json_string_value(j), json_string_length(j));
    } else if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) wipe_strings(v);
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) wipe_strings(v);
    }
}

sms_status tee_json_dump_wipe(json_t *root, char **out, size_t *len)
{
    sms_status st = SMS_OK;
    if (out != NULL) {
        dump_ctx ctx = {{NULL, 0, 0}, SMS_OK};
        if (json_dump_callback(root, dump_cb, &ctx, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0) {
            st = ctx.st != SMS_OK ? ctx.st : SMS_ERR;
            tee_sbuf_wipe(&ctx.buf);
        } else {
            st = tee_sbuf_take(&ctx.buf, out, len);
            if (st != SMS_OK) tee_sbuf_wipe(&ctx.buf);
        }
    }
    wipe_strings(root);
    return st;
}

sms_status tee_json_scalar_text(const json_t *v, char **out)
{
    char num[64];
    const char *text = NULL;
    *out = NULL;
    switch (json_typeof(v)) {
    case JSON_NULL: return SMS_OK;
    case JSON_STRING: text = json_string_value(v); break;
    case JSON_TRUE: text = "true"; break;
    case JSON_FALSE: text = "false"; break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        text = num;
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%.17g", json_real_value(v));
        text = num;
        break;
    default: return SMS_EINVAL;
    }
    *out = strdup(text);
    return *out == NULL ? SMS_ENOMEM : SMS_OK;
}
