/* /tee: framework, worker pipeline properties, enclave challenges and sessions
 * (sms-api.md 6, tee-sessions.md 1, 3.1, 5.1, 5.10, 9, 10).
 *
 * A secrets-only instance (IEXEC_SMS_TEE_RUNTIME_FRAMEWORK unset) has no /tee: every route
 * answers 404 with the Spring error document, as if it were not mapped. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "tee/tee_service.h"

static int tee_enabled(const sms_app *a, http_request *req, http_response *resp)
{
    if (a->cfg->framework != TEE_FRAMEWORK_NONE && a->cfg->n_pipelines > 0) return 1;
    http_reply_spring_error(resp, 404, req->path);
    return 0;
}

void api_tee_framework(void *app, http_request *req, http_response *resp)
{
    sms_app *a = app;
    char body[32];
    if (!tee_enabled(a, req, resp)) return;
    int n = snprintf(body, sizeof body, "\"%s\"", tee_framework_name(a->cfg->framework));
    http_reply_text(resp, 200, "application/json", body, (size_t)n);
}

static json_t *stage_json(const tee_stage_config *s)
{
    return json_pack("{s:s, s:s, s:s, s:I}", "image", s->image, "fingerprint", s->fingerprint, "entrypoint",
                     s->entrypoint, "heapSizeInBytes", (json_int_t)s->heap_size_bytes);
}

/* TeeServicesProperties (tee-sessions.md 10.3); lasImage for Scone only. */
static void reply_properties(const sms_config *cfg, const tee_pipeline *p, http_response *resp)
{
    json_t *doc = json_pack("{s:s, s:s, s:o, s:o}", "teeFramework", tee_framework_name(cfg->framework),
                            "teeFrameworkVersion", p->version, "preComputeProperties", stage_json(&p->pre_compute),
                            "postComputeProperties", stage_json(&p->post_compute));
    if (doc != NULL && cfg->framework == TEE_FRAMEWORK_SCONE &&
        json_object_set_new(doc, "lasImage", json_string(cfg->scone_las_image != NULL ? cfg->scone_las_image : "")) !=
            0) {
        json_decref(doc);
        doc = NULL;
    }
    http_reply_json(resp, 200, doc);
}

/* Processing order of sms-api.md 6.2/6.3: unparsable framework 400, unknown version 404,
 * other framework 409. */
static void properties(sms_app *a, http_request *req, http_response *resp, const char *version)
{
    const sms_config *cfg = a->cfg;
    tee_framework fw;
    const tee_pipeline *p = NULL;
    if (!tee_enabled(a, req, resp)) return;
    if (req->n_vars < 1 || tee_framework_parse(req->vars[0], &fw) != SMS_OK) {
        http_reply_spring_error(resp, 400, req->path);
        return;
    }
    if (version == NULL) {
        p = &cfg->pipelines[0];
    } else {
        for (size_t i = 0; i < cfg->n_pipelines && p == NULL; i++)
            if (strcmp(cfg->pipelines[i].version, version) == 0) p = &cfg->pipelines[i];
        if (p == NULL) {
            http_reply_empty(resp, 404);
            return;
        }
    }
    if (fw != cfg->framework) {
        http_reply_empty(resp, 409);
        return;
    }
    reply_properties(cfg, p, resp);
}

void api_tee_properties(void *app, http_request *req, http_response *resp) { properties(app, req, resp, NULL); }

void api_tee_properties_version(void *app, http_request *req, http_response *resp)
{
    properties(app, req, resp, req->n_vars >= 2 ? req->vars[1] : "");
}

void api_tee_challenge(void *app, http_request *req, http_response *resp)
{
    sms_app *a = app;
    char address[POCO_ADDR_STR];
    if (!tee_enabled(a, req, resp)) return;
    const char *auth = req->header(req, "Authorization");
    if (auth == NULL) {
        http_reply_spring_error(resp, 400, req->path);
        return;
    }
    if (a->tee == NULL || req->n_vars < 1) {
        http_reply_empty(resp, 404);
        return;
    }
    sms_status st = tee_service_challenge(a->tee, req->vars[0], auth, address);
    if (st == SMS_OK)
        http_reply_text(resp, 200, "text/plain;charset=UTF-8", address, strlen(address));
    else
        http_reply_empty(resp, st == SMS_EAUTH ? 401 : 404);
}

/* What Spring's JSON converter accepts: application/json or application/<x>+json, with any
 * parameters. */
static int json_content_type(const char *ct)
{
    if (ct == NULL) return 0;
    while (*ct == ' ' || *ct == '\t') ct++;
    size_t n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0) return 1;
    return n > 17 && strncasecmp(ct, "application/", 12) == 0 && strncasecmp(ct + n - 5, "+json", 5) == 0 &&
           memchr(ct + 12, '/', n - 12) == NULL;
}

/* A string member, NULL when absent or null; -1 for another type. */
static int member_str(const json_t *obj, const char *name, const char **out)
{
    json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (v == NULL || json_is_null(v)) return 0;
    if (!json_is_string(v)) return -1;
    *out = json_string_value(v);
    return 0;
}

/* WorkerpoolAuthorization (tee-sessions.md 2.1); unknown members are ignored. */
static int parse_authorization(const json_t *root, tee_session_request *rq)
{
    memset(rq, 0, sizeof *rq);
    if (!json_is_object(root)) return -1;
    if (member_str(root, "chainTaskId", &rq->chain_task_id) != 0 || member_str(root, "dealId", &rq->deal_id) != 0 ||
        member_str(root, "workerWallet", &rq->worker_wallet) != 0 ||
        member_str(root, "enclaveChallenge", &rq->enclave_challenge) != 0)
        return -1;
    json_t *idx = json_object_get(root, "taskIndex");
    if (idx != NULL && !json_is_null(idx) && !json_is_integer(idx)) return -1;
    json_t *sig = json_object_get(root, "signature");
    if (sig != NULL && !json_is_null(sig)) {
        if (!json_is_object(sig)) return -1;
        if (member_str(sig, "value", &rq->signature) != 0) return -1;
    }
    return 0;
}

static void reply_tee_error(http_response *resp, tee_error e)
{
    http_reply_json(resp, tee_error_http_status(e), json_pack("{s:s}", "error", tee_error_name(e)));
}

void api_tee_session(void *app, http_request *req, http_response *resp)
{
    sms_app *a = app;
    json_t *root = NULL;
    json_error_t jerr;
    tee_session_request rq;
    tee_session_result res;

    if (!tee_enabled(a, req, resp)) return;
    const char *auth = req->header(req, "Authorization");
    if (auth == NULL) {
        http_reply_spring_error(resp, 400, req->path);
        return;
    }
    if (!json_content_type(req->header(req, "Content-Type"))) {
        http_reply_spring_error(resp, 415, req->path);
        return;
    }
    if (!api_has_body(req) || (root = json_loadb((const char *)req->body, req->body_len, 0, &jerr)) == NULL ||
        parse_authorization(root, &rq) != 0) {
        json_decref(root);
        http_reply_spring_error(resp, 400, req->path);
        return;
    }
    if (a->tee == NULL) {
        json_decref(root);
        reply_tee_error(resp, TEE_SECURE_SESSION_GENERATION_FAILED);
        return;
    }
    tee_error e = tee_service_session(a->tee, &rq, auth, &res);
    json_decref(root);
    if (e != TEE_OK) {
        reply_tee_error(resp, e);
        return;
    }
    http_reply_json(resp, 200,
                    json_pack("{s:{s:s, s:s}}", "data", "sessionId", res.session_id, "secretProvisioningUrl",
                              res.secret_provisioning_url != NULL ? res.secret_provisioning_url : ""));
}
