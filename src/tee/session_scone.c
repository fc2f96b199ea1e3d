/* Scone CAS session document (tee-sessions.md 6.1, 6.2, 6.8), written with libyaml's
 * emitter (events, never text pasting) so any value, whatever its characters, is quoted and
 * escaped correctly. String values are double-quoted like the reference's serializer;
 * keys are plain when they are simple identifiers. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "core/secure.h"
#include "tee/session.h"
#include "tee/tee_text.h"

#define CAS_SESSION_VERSION "0.3.10"
#define JAVA_LD_LIBRARY_PATH "/opt/java/openjdk/lib/server:/opt/java/openjdk/lib:/opt/java/openjdk/../lib"
#define JAVA_TOOL_OPTIONS "-Xmx256m"

typedef struct {
    yaml_emitter_t em;
    tee_sbuf out;
    sms_status out_st; /* first failure of the output handler */
} scone_writer;

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
    scone_writer *w = data;
    sms_status st = tee_sbuf_append(&w->out, buffer, size);
    if (st != SMS_OK && w->out_st == SMS_OK) w->out_st = st;
    return st == SMS_OK;
}

static int emit(scone_writer *w, yaml_event_t *ev, int init_ok)
{
    if (!init_ok) return 0;
    return yaml_emitter_emit(&w->em, ev);
}

/* Words a YAML 1.1 resolver would not read as a string when plain. */
static int special_word(const char *s)
{
    static const char *const words[] = {"y",  "n",   "yes", "no",    "on",   "off", "true",
                                        "false", "null", "~",   "nan",  "inf"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcasecmp(s, words[i]) == 0) return 1;
    return 0;
}

/* Plain only for identifiers such as IEXEC_TASK_ID or image_name. */
static int plain_key(const char *s)
{
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return 0;
    for (const char *p = s; *p != '\0'; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-'))
            return 0;
    return !special_word(s);
}

static int key(scone_writer *w, const char *k)
{
    yaml_event_t ev;
    yaml_scalar_style_t style = plain_key(k) ? YAML_PLAIN_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)k, (int)strlen(k), 1, 1, style);
    return emit(w, &ev, ok);
}

/* Double-quoted string value; NULL is emitted as "" (never null, 12.12). */
static int str(scone_writer *w, const char *v)
{
    yaml_event_t ev;
    const char *s = v != NULL ? v : "";
    size_t n = strlen(s);
    if (n > (size_t)INT32_MAX) return 0;
    int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n, 1, 1,
                                          YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    return emit(w, &ev, ok);
}

static int null_value(scone_writer *w)
{
    yaml_event_t ev;
    int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)"null", 4, 1, 1, YAML_PLAIN_SCALAR_STYLE);
    return emit(w, &ev, ok);
}

static int kv(scone_writer *w, const char *k, const char *v) { return key(w, k) && str(w, v); }

static int map_start(scone_writer *w)
{
    yaml_event_t ev;
    int ok = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    return emit(w, &ev, ok);
}

static int map_end(scone_writer *w)
{
    yaml_event_t ev;
    int ok = yaml_mapping_end_event_initialize(&ev);
    return emit(w, &ev, ok);
}

static int seq_start(scone_writer *w)
{
    yaml_event_t ev;
    int ok = yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    return emit(w, &ev, ok);
}

static int seq_end(scone_writer *w)
{
    yaml_event_t ev;
    int ok = yaml_sequence_end_event_initialize(&ev);
    return emit(w, &ev, ok);
}

/* key: ["one"] */
static int one_item_list(scone_writer *w, const char *k, const char *item)
{
    return key(w, k) && seq_start(w) && str(w, item) && seq_end(w);
}

/* key: items of a comma list, trimmed, empties dropped ([] when none). */
static int comma_list(scone_writer *w, const char *k, const char *list)
{
    if (!key(w, k) || !seq_start(w)) return 0;
    const char *p = list != NULL ? list : "";
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *a = p;
        while (n > 0 && (*a == ' ' || *a == '\t')) {
            a++;
            n--;
        }
        while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\t')) n--;
        if (n > 0) {
            yaml_event_t ev;
            int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)a, (int)n, 1, 1,
                                                  YAML_DOUBLE_QUOTED_SCALAR_STYLE);
            if (!emit(w, &ev, ok)) return 0;
        }
        if (end == NULL) break;
        p = end + 1;
    }
    return seq_end(w);
}

/* environment: the Java variables first for pre/post (they override same-named tokens). */
static int environment(scone_writer *w, const env_map *env, int java_vars)
{
    if (!key(w, "environment") || !map_start(w)) return 0;
    if (java_vars && !(kv(w, "LD_LIBRARY_PATH", JAVA_LD_LIBRARY_PATH) && kv(w, "JAVA_TOOL_OPTIONS", JAVA_TOOL_OPTIONS)))
        return 0;
    for (size_t i = 0; i < env->n; i++) {
        const char *k = env->entries[i].key;
        if (java_vars && (strcmp(k, "LD_LIBRARY_PATH") == 0 || strcmp(k, "JAVA_TOOL_OPTIONS") == 0)) continue;
        if (!kv(w, k, env->entries[i].value)) return 0;
    }
    return map_end(w);
}

static int service(scone_writer *w, const char *name, const char *image, const char *mrenclave, const char *command,
                   const env_map *env, int java_vars)
{
    return map_start(w) && kv(w, "name", name) && kv(w, "image_name", image) &&
           one_item_list(w, "mrenclaves", mrenclave) && kv(w, "pwd", "/") && kv(w, "command", command) &&
           environment(w, env, java_vars) && map_end(w);
}

static int volume_mount(scone_writer *w, const char *name, const char *path)
{
    return map_start(w) && kv(w, "name", name) && kv(w, "path", path) && map_end(w);
}

static int image(scone_writer *w, const char *name, const char *vol1, const char *vol2)
{
    if (!(map_start(w) && kv(w, "name", name) && key(w, "volumes") && seq_start(w))) return 0;
    char path[64];
    snprintf(path, sizeof path, "/%s", vol1);
    if (!volume_mount(w, vol1, path)) return 0;
    if (vol2 != NULL) {
        snprintf(path, sizeof path, "/%s", vol2);
        if (!volume_mount(w, vol2, path)) return 0;
    }
    return seq_end(w) && map_end(w);
}

static int volume(scone_writer *w, const char *name) { return map_start(w) && kv(w, "name", name) && map_end(w); }

static int document(scone_writer *w, const char *session_id, const session_base *b, const tee_pipeline *p,
                    const scone_attestation *att)
{
    yaml_event_t ev;
    int ok = emit(w, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING)) &&
             emit(w, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0)) && map_start(w) &&
             kv(w, "name", session_id) && kv(w, "version", CAS_SESSION_VERSION) && key(w, "access_policy") &&
             map_start(w) && one_item_list(w, "read", "CREATOR") && one_item_list(w, "update", "NONE") &&
             map_end(w);
    ok = ok && key(w, "services") && seq_start(w);
    if (ok && b->has_pre)
        ok = service(w, "pre-compute", "pre-compute-image", p->pre_compute.fingerprint, p->pre_compute.entrypoint,
                     &b->pre, 1);
    ok = ok && service(w, "app", "app-image", b->app_mrenclave, b->app_command, &b->app, 0) &&
         service(w, "post-compute", "post-compute-image", p->post_compute.fingerprint, p->post_compute.entrypoint,
                 &b->post, 1) &&
         seq_end(w);
    ok = ok && key(w, "images") && seq_start(w);
    if (ok && b->has_pre) ok = image(w, "pre-compute-image", "iexec_in", NULL);
    ok = ok && image(w, "app-image", "iexec_in", "iexec_out") &&
         image(w, "post-compute-image", "iexec_out", "post-compute-tmp") && seq_end(w);
    ok = ok && key(w, "volumes") && seq_start(w) && volume(w, "iexec_in") && volume(w, "iexec_out") &&
         volume(w, "post-compute-tmp") && seq_end(w);
    ok = ok && key(w, "security") && map_start(w) && key(w, "attestation") && map_start(w) &&
         comma_list(w, "tolerate", att != NULL ? att->tolerated_insecure_options : NULL) &&
         comma_list(w, "ignore_advisories", att != NULL ? att->ignored_sgx_advisories : NULL) && key(w, "mode") &&
         (att != NULL && att->mode != NULL ? str(w, att->mode) : null_value(w)) && key(w, "url") &&
         (att != NULL && att->url != NULL ? str(w, att->url) : null_value(w)) && map_end(w) && map_end(w);
    ok = ok && map_end(w) && emit(w, &ev, yaml_document_end_event_initialize(&ev, 1)) &&
         emit(w, &ev, yaml_stream_end_event_initialize(&ev)) && yaml_emitter_flush(&w->em);
    return ok;
}

sms_status session_scone_yaml(const char *session_id, const session_base *b, const tee_pipeline *p,
                              const scone_attestation *att, char **out, size_t *len)
{
    scone_writer w;
    sms_status st = SMS_OK;

    if (session_id == NULL || b == NULL || p == NULL || out == NULL || len == NULL) return SMS_EINVAL;
    memset(&w, 0, sizeof w);
    if (!yaml_emitter_initialize(&w.em)) return SMS_ENOMEM;
    yaml_emitter_set_output(&w.em, write_handler, &w);
    yaml_emitter_set_unicode(&w.em, 1);
    yaml_emitter_set_width(&w.em, -1); /* no folding: one line per value */
    yaml_emitter_set_indent(&w.em, 2);
    if (!document(&w, session_id, b, p, att)) {
        st = w.out_st != SMS_OK ? w.out_st : w.em.error == YAML_MEMORY_ERROR ? SMS_ENOMEM : SMS_ERR;
    }
    /* The emitter's own buffers held the whole document: zero them before libyaml frees them. */
    if (w.em.buffer.start != NULL) secure_zero(w.em.buffer.start, (size_t)(w.em.buffer.end - w.em.buffer.start));
    if (w.em.raw_buffer.start != NULL)
        secure_zero(w.em.raw_buffer.start, (size_t)(w.em.raw_buffer.end - w.em.raw_buffer.start));
    yaml_emitter_delete(&w.em);
    if (st == SMS_OK) st = tee_sbuf_take(&w.out, out, len);
    tee_sbuf_wipe(&w.out);
    return st;
}
