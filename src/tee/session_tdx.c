/* TDX session document for the iExec session storage (tee-sessions.md 8.2): each stage
 * identified by image and fingerprint; the app by its multiaddr and checksum. */
#include <jansson.h>

#include "tee/session.h"
#include "tee/tee_text.h"

#define TDX_SESSION_VERSION "0.1.0"

static sms_status add_service(json_t *arr, const char *name, const char *image, const char *fingerprint,
                              const env_map *env)
{
    json_t *environment = NULL;
    sms_status st = tee_json_env_object(env, &environment);
    if (st != SMS_OK) return st;
    json_t *s = json_pack("{s:s, s:s, s:s, s:o}", "name", name, "image_name", image != NULL ? image : "",
                          "fingerprint", fingerprint != NULL ? fingerprint : "", "environment", environment);
    if (s == NULL) return SMS_ERR;
    if (json_array_append_new(arr, s) != 0) return SMS_ENOMEM;
    return SMS_OK;
}

sms_status session_tdx_json(const char *session_id, const session_base *b, const tee_pipeline *p,
                            const task_description *td, char **out, size_t *len)
{
    sms_status st = SMS_OK;
    if (session_id == NULL || b == NULL || p == NULL || td == NULL || out == NULL || len == NULL) return SMS_EINVAL;
    json_t *services = json_array();
    json_t *root = json_pack("{s:s, s:s, s:o}", "name", session_id, "version", TDX_SESSION_VERSION, "services",
                             services);
    if (root == NULL) return SMS_ENOMEM;
    if (b->has_pre) st = add_service(services, "pre-compute", p->pre_compute.image, p->pre_compute.fingerprint, &b->pre);
    if (st == SMS_OK) st = add_service(services, "app", td->app_uri, td->app_checksum, &b->app);
    if (st == SMS_OK)
        st = add_service(services, "post-compute", p->post_compute.image, p->post_compute.fingerprint, &b->post);
    if (st == SMS_OK) st = tee_json_dump_wipe(root, out, len);
    else tee_json_dump_wipe(root, NULL, NULL);
    json_decref(root);
    return st;
}
