/* Scone session emitter (tee-sessions.md 6): random environment keys and values through the
 * libyaml emitter, then the output parsed back with libyaml: every value, key, the session
 * id and the command must come back byte for byte.
 * Input layout: records separated by 0xFF bytes; record 0 = session id, 1 = app command,
 * 2 = attestation tolerate list, then alternating key / value records spread over the app,
 * pre and post environments. Records are made valid UTF-8 first (as every production input
 * is: secrets are validated, chain texts sanitised), except when the first byte is 0x00:
 * then raw bytes are used and the emitter may refuse them, but must not crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/helpers/yaml_tree.h"
#include "core/secure.h"
#include "tee/session.h"
#include "tee/tee_text.h"

#define MAX_RECORDS 64

static char *record(const uint8_t *p, size_t n, int raw)
{
    char *s = NULL;
    size_t len = 0;
    if (raw) {
        s = malloc(n + 1);
        if (s == NULL) abort();
        /* a C string cannot hold NUL */
        for (size_t i = 0; i < n; i++) s[i] = p[i] != 0 ? (char)p[i] : 'x';
        s[n] = '\0';
        return s;
    }
    if (tee_text_sanitize((const char *)p, n, &s, &len) != SMS_OK) abort();
    return s;
}

static const yt_node *find(const yt_node *env, const char *key)
{
    const yt_node *found = NULL;
    for (size_t i = 0; i + 1 < env->n; i += 2)
        if (strcmp(env->items[i]->text, key) == 0) found = env->items[i + 1];
    return found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *rec[MAX_RECORDS];
    size_t n = 0;
    int raw = size > 0 && data[0] == 0x00;
    size_t start = raw ? 1 : 0;
    for (size_t i = start; i <= size && n < MAX_RECORDS; i++) {
        if (i == size || data[i] == 0xFF) {
            rec[n++] = record(data + start, i - start, raw);
            start = i + 1;
        }
    }
    while (n < 3) rec[n++] = record((const uint8_t *)"", 0, 0);

    session_base b;
    memset(&b, 0, sizeof b);
    b.has_pre = (size & 1) != 0;
    b.app_command = strdup(rec[1]);
    b.app_mrenclave = strdup("fp");
    env_map *maps[3] = {&b.app, &b.pre, &b.post};
    for (size_t i = 3; i + 1 < n; i += 2) {
        if (env_map_set(maps[(i / 2) % 3], rec[i], rec[i + 1]) != SMS_OK) abort();
    }
    tee_pipeline p = {.version = "v", .pre_compute = {"i", "f1", "/pre", 1}, .post_compute = {"j", "f2", "/post", 1}};
    scone_attestation att = {rec[2], "A, B", "maa", NULL};
    char *doc = NULL;
    size_t len = 0;
    sms_status st = session_scone_yaml(rec[0], &b, &p, &att, &doc, &len);
    if (st != SMS_OK) {
        if (!raw) abort(); /* valid UTF-8 must always be emitted */
        goto out;
    }
    if (strlen(doc) != len) abort();
    yt_node *root = yt_parse(doc, len, NULL);
    if (root == NULL) abort();
    if (strcmp(yt_get(root, "name")->text, rec[0]) != 0) abort();
    const yt_node *services = yt_get(root, "services");
    if (services == NULL || services->n != (b.has_pre ? 3u : 2u)) abort();
    const yt_node *app = services->items[b.has_pre ? 1 : 0];
    if (strcmp(yt_get(app, "command")->text, rec[1]) != 0) abort();
    const yt_node *envs[3] = {yt_get(app, "environment"), b.has_pre ? yt_get(services->items[0], "environment") : NULL,
                              yt_get(services->items[b.has_pre ? 2 : 1], "environment")};
    for (int m = 0; m < 3; m++) {
        if (envs[m] == NULL) continue;
        for (size_t i = 0; i < maps[m]->n; i++) {
            const char *k = maps[m]->entries[i].key;
            int java = m != 0 && (strcmp(k, "LD_LIBRARY_PATH") == 0 || strcmp(k, "JAVA_TOOL_OPTIONS") == 0);
            const yt_node *v = find(envs[m], k);
            if (v == NULL || v->type != YT_SCALAR) abort();
            if (!java && strcmp(v->text, maps[m]->entries[i].value) != 0) abort();
        }
    }
    /* tolerate: the comma list split, trimmed, without empties */
    const yt_node *tol = yt_get(yt_get(yt_get(root, "security"), "attestation"), "tolerate");
    if (tol == NULL || tol->type != YT_SEQ) abort();
    for (size_t i = 0; i < tol->n; i++) {
        const char *t = tol->items[i]->text;
        size_t tl = strlen(t);
        if (tl == 0 || strchr(t, ',') != NULL || t[0] == ' ' || t[tl - 1] == ' ') abort();
    }
    yt_free(root);
out:
    if (doc != NULL) secure_free(doc, len + 1);
    session_base_clear(&b);
    for (size_t i = 0; i < n; i++) free(rec[i]);
    return 0;
}
