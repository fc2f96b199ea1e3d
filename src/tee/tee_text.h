/* Internal helpers of the TEE session modules (task description, session environments and
 * documents). Not a public API: only src/tee/ and its tests use it. */
#ifndef SMS_TEE_TEXT_H
#define SMS_TEE_TEXT_H

#include <jansson.h>
#include <stddef.h>

#include "core/status.h"
#include "tee/env_map.h"

/* Copy of len bytes of `in` made valid UTF-8 the way the reference's decoder (Java
 * new String(bytes, UTF_8)) would see it: every byte that does not start a well-formed
 * sequence becomes U+FFFD. NUL bytes also become U+FFFD, since neither a C string nor an
 * enclave environment can carry them. *out is malloc'ed and NUL-terminated (caller frees,
 * secure_free(*out, *out_len + 1) when it may hold a secret), *out_len its length.
 * in may be NULL when len is 0. SMS_OK or SMS_ENOMEM. */
sms_status tee_text_sanitize(const char *in, size_t len, char **out, size_t *out_len);

/* Java StringUtils.isBlank: 1 if s is NULL, empty, or only Character.isWhitespace code
 * points (ASCII 0x09-0x0D, 0x1C-0x20 and the Unicode space separators other than the
 * no-break ones). s must be valid UTF-8. */
int tee_text_is_blank(const char *s);

/* Growable output buffer for documents that hold secrets: every reallocation zeroes the old
 * block, and the total is capped (TEE_SBUF_MAX). Zero-initialise before use. */
#define TEE_SBUF_MAX ((size_t)64 << 20)
typedef struct {
    char *p;
    size_t len;
    size_t cap;
} tee_sbuf;

/* Append n bytes (keeps a NUL after the content). SMS_OK, SMS_ENOMEM or SMS_ETOOBIG. */
sms_status tee_sbuf_append(tee_sbuf *b, const void *data, size_t n);
/* Zero and free the buffer; b is empty afterwards. */
void tee_sbuf_wipe(tee_sbuf *b);
/* Hand the content over: *out = the NUL-terminated text, *len its length (an empty
 * document becomes a 1-byte ""). b is empty afterwards. SMS_OK or SMS_ENOMEM. */
sms_status tee_sbuf_take(tee_sbuf *b, char **out, size_t *len);

/* A JSON scalar as the text Jackson would bind to a String field: strings as they are,
 * booleans "true"/"false", numbers in decimal (reals in their shortest round-trip form;
 * Jackson keeps the literal, the closest we have); *out NULL for null. *out is malloc'ed.
 * SMS_OK, SMS_EINVAL for an object or an array (cannot be bound), SMS_ENOMEM. */
sms_status tee_json_scalar_text(const json_t *v, char **out);

/* JSON object {key: value} of an env map, in the map's order. *out is a new reference.
 * SMS_OK, SMS_ENOMEM, SMS_ERR (a value jansson refuses, e.g. invalid UTF-8). */
sms_status tee_json_env_object(const env_map *m, json_t **out);
/* Compact serialisation of root into a secure buffer (see tee_sbuf_take for out and len),
 * then zero every string held by the tree (best effort against secrets left in freed heap;
 * the tree must not be used afterwards except for json_decref). SMS_OK, SMS_ENOMEM,
 * SMS_ETOOBIG, SMS_ERR. */
sms_status tee_json_dump_wipe(json_t *root, char **out, size_t *len);

#endif
