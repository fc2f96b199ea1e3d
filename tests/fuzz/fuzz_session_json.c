/* Gramine and TDX session documents (tee/session.h, tee-sessions.md 7.1 and 8.2) built from
 * arbitrary environments, parsed back with jansson and compared with what went in.
 *
 * Input: one flags byte (bit 0: has_pre, bit 1: no app mrenclave, bit 2: no app uri,
 * bit 3: no pre-compute image), then NUL-separated fields:
 *   session_id, app_mrenclave, app_uri, app_checksum, pre image, pre fingerprint,
 *   post image, post fingerprint, then key, value pairs going to the pre, app and post
 *   environments in turn (at most 64 pairs).
 *
 * Properties: a document exactly when every string it carries is valid UTF-8; then the
 * document parses (no duplicate keys), has exactly the documented members, and gives back
 * every identifier and every environment entry, in the maps' order; *len is its length.
 * Without a document, *out stays NULL. The env maps keep one entry per key (the last value). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/secure.h"
#include "core/utf8.h"
#include "tee/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAIRS 64

static int utf8_str(const char *s) { return s == NULL || utf8_valid((const uint8_t *)s, strlen(s)); }

static int map_utf8(const env_map *m)
{
    for (size_t i = 0; i < m->n; i++)
        if (!utf8_str(m->entries[i].key) || !utf8_str(m->entries[i].value)) return 0;
    return 1;
}

static const char *str_member(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    if (!json_is_string(v)) abort();
    return json_string_value(v);
}

static void expect_str(const json_t *obj, const char *name, const char *want)
{
    if (strcmp(str_member(obj, name), want != NULL ? want : "") != 0) abort();
}

/* environment == the map, entry by entry, in order. */
static void expect_env(const json_t *obj, const env_map *m)
{
    const json_t *env = json_object_get(obj, "environment");
    if (!json_is_object(env) || json_object_size(env) != m->n) abort();
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)env, k, v)
    {
        if (i >= m->n || strcmp(k, m->entries[i].key) != 0) abort();
        if (!json_is_string(v) || strcmp(json_string_value(v), m->entries[i].value) != 0) abort();
        i++;
    }
}

static json_t *parse_doc(const char *out, size_t len)
{
    json_error_t err;
    if (out == NULL || strlen(out) != len) abort();
    json_t *doc = json_loadb(out, len, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(doc)) abort();
    return doc;
}

static void check_gramine(const char *sid, const session_base *b, const tee_pipeline *p)
{
    char *out = NULL;
    size_t len = 0;
    int expect_ok = utf8_str(sid) && utf8_str(b->app_mrenclave) && utf8_str(p->post_compute.fingerprint) &&
                    map_utf8(&b->app) && map_utf8(&b->post);
    sms_status st = session_gramine_json(sid, b, p, &out, &len);
    if (st == SMS_ENOMEM && expect_ok) return;
    if (expect_ok != (st == SMS_OK)) abort();
    if (st != SMS_OK) {
        if (out != NULL) abort();
        return;
    }
    json_t *doc = parse_doc(out, len);
    if (json_object_size(doc) != 2) abort();
    expect_str(doc, "session", sid);
    const json_t *enclaves = json_object_get(doc, "enclaves");
    if (!json_is_array(enclaves) || json_array_size(enclaves) != 2) abort();
    static const char *const names[2] = {"app", "post-compute"};
    const char *mrenclaves[2] = {b->app_mrenclave, p->post_compute.fingerprint};
    const env_map *envs[2] = {&b->app, &b->post};
    for (size_t i = 0; i < 2; i++) {
        const json_t *e = json_array_get(enclaves, i);
        if (!json_is_object(e) || json_object_size(e) != 5) abort();
        expect_str(e, "name", names[i]);
        expect_str(e, "mrenclave", mrenclaves[i]);
        expect_str(e, "command", "");
        expect_env(e, envs[i]);
        const json_t *vol = json_object_get(e, "volumes");
        if (!json_is_array(vol) || json_array_size(vol) != 0) abort();
    }
    json_decref(doc);
    secure_free(out, len + 1);
}

static void check_tdx(const char *sid, const session_base *b, const tee_pipeline *p, const task_description *td)
{
    char *out = NULL;
    size_t len = 0;
    int expect_ok = utf8_str(sid) && utf8_str(td->app_uri) && utf8_str(td->app_checksum) &&
                    utf8_str(p->post_compute.image) && utf8_str(p->post_compute.fingerprint) && map_utf8(&b->app) &&
                    map_utf8(&b->post);
    if (b->has_pre)
        expect_ok = expect_ok && utf8_str(p->pre_compute.image) && utf8_str(p->pre_compute.fingerprint) &&
                    map_utf8(&b->pre);
    sms_status st = session_tdx_json(sid, b, p, td, &out, &len);
    if (st == SMS_ENOMEM && expect_ok) return;
    if (expect_ok != (st == SMS_OK)) abort();
    if (st != SMS_OK) {
        if (out != NULL) abort();
        return;
    }
    json_t *doc = parse_doc(out, len);
    if (json_object_size(doc) != 3) abort();
    expect_str(doc, "name", sid);
    expect_str(doc, "version", "0.1.0");
    const json_t *services = json_object_get(doc, "services");
    size_t n = b->has_pre ? 3 : 2;
    if (!json_is_array(services) || json_array_size(services) != n) abort();
    const char *names[3] = {"pre-compute", "app", "post-compute"};
    const char *images[3] = {p->pre_compute.image, td->app_uri, p->post_compute.image};
    const char *fps[3] = {p->pre_compute.fingerprint, td->app_checksum, p->post_compute.fingerprint};
    const env_map *envs[3] = {&b->pre, &b->app, &b->post};
    for (size_t i = b->has_pre ? 0 : 1, j = 0; i < 3; i++, j++) {
        const json_t *s = json_array_get(services, j);
        if (!json_is_object(s) || json_object_size(s) != 4) abort();
        expect_str(s, "name", names[i]);
        expect_str(s, "image_name", images[i]);
        expect_str(s, "fingerprint", fps[i]);
        expect_env(s, envs[i]);
    }
    json_decref(doc);
    secure_free(out, len + 1);
}

/* Next field of buf[*pos..end) (buf[end] is a NUL); NULL past the end. */
static char *next_field(char *buf, size_t end, size_t *pos)
{
    if (*pos > end) return NULL;
    char *field = buf + *pos;
    *pos += strlen(field) + 1;
    return field;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    session_base b;
    tee_pipeline p;
    task_description td;
    if (size < 1 || size > 65536) return 0;
    unsigned flags = data[0];
    size_t n = size - 1, pos = 0;
    char *buf = malloc(n + 1);
    if (buf == NULL) return 0;
    memcpy(buf, data + 1, n);
    buf[n] = '\0';
    memset(&b, 0, sizeof b);
    memset(&p, 0, sizeof p);
    memset(&td, 0, sizeof td);

    char *f;
    const char *sid = (f = next_field(buf, n, &pos)) != NULL ? f : "";
    b.app_mrenclave = next_field(buf, n, &pos);
    td.app_uri = next_field(buf, n, &pos);
    if ((f = next_field(buf, n, &pos)) != NULL) snprintf(td.app_checksum, sizeof td.app_checksum, "%s", f);
    p.pre_compute.image = next_field(buf, n, &pos);
    p.pre_compute.fingerprint = next_field(buf, n, &pos);
    p.post_compute.image = next_field(buf, n, &pos);
    p.post_compute.fingerprint = next_field(buf, n, &pos);
    b.has_pre = (flags & 1) != 0;
    if (flags & 2) b.app_mrenclave = NULL;
    if (flags & 4) td.app_uri = NULL;
    if (flags & 8) p.pre_compute.image = NULL;

    env_map *maps[3] = {&b.pre, &b.app, &b.post};
    for (size_t i = 0; i < MAX_PAIRS; i++) {
        char *k = next_field(buf, n, &pos);
        char *v = next_field(buf, n, &pos);
        if (k == NULL || v == NULL) break;
        env_map *m = maps[i % 3];
        size_t before = m->n;
        int existed = env_map_get(m, k) != NULL;
        if (env_map_set(m, k, v) != SMS_OK) goto out;
        const char *got = env_map_get(m, k);
        if (got == NULL || strcmp(got, v) != 0 || m->n != before + (existed ? 0 : 1)) abort();
    }

    check_gramine(sid, &b, &p);
    check_tdx(sid, &b, &p, &td);

out:
    /* The fields point into buf: the base only owns its maps here. */
    b.app_mrenclave = NULL;
    b.app_command = NULL;
    for (size_t i = 0; i < 3; i++) env_map_clear(maps[i]);
    free(buf);
    return 0;
}
