/* /apps/{app}/secrets and /requesters/{addr}/secrets/{key} (sms-api.md 4.6-4.9).
 * Errors carry the reference's ApiResponseBody list, {"error":["..."]}. */
#include "api/api.h"

#define MSG_INVALID_AUTHORIZATION "Invalid authorization"
#define MSG_TOO_BIG "Secret size should not exceed 4 Kb"
#define MSG_EXISTS "Secret already exists"
#define MSG_NOT_FOUND "Secret not found"
#define MSG_BAD_KEY "Secret key should contain at most 64 characters from [0-9A-Za-z-_]"
#define MSG_CHAIN_DOWN "Blockchain node unavailable, retry later"

static void reply_exists(sms_app *a, http_request *req, http_response *resp, secret_kind kind, const char *owner,
                         const char *name)
{
    int exists = 0;
    if (secrets_exists(a->secrets, kind, owner, name, &exists) != SMS_OK) {
        http_reply_spring_error(resp, 500, req->path);
        return;
    }
    if (exists)
        http_reply_empty(resp, 204);
    else
        http_reply_error_list(resp, 404, MSG_NOT_FOUND);
}

/* too_big_status: 413 for app secrets, 400 for requester secrets (reference quirk). */
static void reply_set_status(http_response *resp, sms_status st, const char *path, unsigned too_big_status)
{
    switch (st) {
    case SMS_OK: http_reply_empty(resp, 204); break;
    case SMS_EAUTH: http_reply_error_list(resp, 401, MSG_INVALID_AUTHORIZATION); break;
    case SMS_EINVAL: http_reply_error_list(resp, 400, MSG_BAD_KEY); break;
    case SMS_ETOOBIG: http_reply_error_list(resp, too_big_status, MSG_TOO_BIG); break;
    case SMS_EEXISTS: http_reply_error_list(resp, 409, MSG_EXISTS); break;
    case SMS_ECHAIN: http_reply_error_list(resp, 503, MSG_CHAIN_DOWN); break;
    default: http_reply_spring_error(resp, 500, path); break;
    }
}

void api_app_head(void *app, http_request *req, http_response *resp)
{
    reply_exists(app, req, resp, SECRET_APP, req->vars[0], "1");
}

void api_app_post(void *app, http_request *req, http_response *resp)
{
    sms_app *a = app;
    const char *auth = req->header(req, "Authorization");
    if (auth == NULL || !api_has_body(req) || !api_address_well_formed(req->vars[0])) {
        http_reply_spring_error(resp, 400, req->path);
        return;
    }
    sms_status st = secrets_set_app(a->secrets, req->vars[0], req->body, req->body_len, auth);
    reply_set_status(resp, st, req->path, 413);
}

void api_requester_head(void *app, http_request *req, http_response *resp)
{
    if (!secrets_requester_key_valid(req->vars[1])) {
        http_reply_error_list(resp, 400, MSG_BAD_KEY);
        return;
    }
    reply_exists(app, req, resp, SECRET_REQUESTER, req->vars[0], req->vars[1]);
}

typedef struct {
    sms_app *app;
    const http_request *req;
    const char *auth;
} requester_write;

static sms_status start_requester_write(void *args, secrets_done_fn done, void *done_ctx)
{
    requester_write *w = args;
    const http_request *req = w->req;
    return secrets_set_requester_async(w->app->secrets, req->vars[0], req->vars[1], req->body, req->body_len, w->auth,
                                       done, done_ctx);
}

static void reply_requester_status(http_response *resp, sms_status st, const char *path)
{
    reply_set_status(resp, st, path, 400);
}

void api_requester_post(void *app, http_request *req, http_response *resp)
{
    sms_app *a = app;
    const char *auth = req->header(req, "Authorization");
    if (auth == NULL || !api_has_body(req) || !api_address_well_formed(req->vars[0])) {
        http_reply_spring_error(resp, 400, req->path);
        return;
    }
    requester_write w = {a, req, auth};
    api_run_write(req, resp, start_requester_write, &w, reply_requester_status);
}
