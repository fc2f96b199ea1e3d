/* Gramine SPS session document (tee-sessions.md 7.1): app and post-compute enclaves only
 * (pre-compute is never posted, 5.12), empty commands and volumes. */
#include <jansson.h>

#include "tee/session.h"
#include "tee/tee_text.h"

/* {"name", "mrenclave", "command": "", "environment", "volumes": []} appended to arr. */
static sms_status add_enclave(json_t *arr, const char *name, const char *mrenclave, const env_map *env)
{
    json_t *environment = NULL;
    sms_status st = tee_json_env_object(env, &environment);
    if (st != SMS_OK) return st;
    json_t *e = json_pack("{s:s, s:s, s:s, s:o, s:[]}", "name", name, "mrenclave", mrenclave != NULL ? mrenclave : "",
                          "command", "", "environment", environment, "volumes");
    /* json_pack steals the "o" reference even on failure. */
    if (e == NULL) return SMS_ERR;
    if (json_array_append_new(arr, e) != 0) return SMS_ENOMEM;
    return SMS_OK;
}

sms_status session_gramine_json(const char *session_id, const session_base *b, const tee_pipeline *p, char **out,
                                size_t *len)
{
    sms_status st;
    if (session_id == NULL || b == NULL || p == NULL || out == NULL || len == NULL) return SMS_EINVAL;
    json_t *enclaves = json_array();
    json_t *root = json_pack("{s:s, s:o}", "session", session_id, "enclaves", enclaves);
    if (root == NULL) return SMS_ENOMEM;
    st = add_enclave(enclaves, "app", b->app_mrenclave, &b->app);
    if (st == SMS_OK) st = add_enclave(enclaves, "post-compute", p->post_compute.fingerprint, &b->post);
    if (st == SMS_OK) st = tee_json_dump_wipe(root, out, len);
    else tee_json_dump_wipe(root, NULL, NULL);
    json_decref(root);
    return st;
}
