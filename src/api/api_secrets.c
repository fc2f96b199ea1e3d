/* /secrets/web2: HEAD, POST, PUT (sms-api.md 4.3-4.5). Errors have empty bodies, binding
 * failures the Spring error document. */
#include "api/api.h"

static void reply_set_status(http_response *resp, sms_status st, const char *path)
{
    switch (st) {
    case SMS_OK: http_reply_empty(resp, 204); break;
    case SMS_EAUTH: http_reply_empty(resp, 401); break;
    case SMS_ETOOBIG: http_reply_empty(resp, 413); break;
    case SMS_EEXISTS: http_reply_empty(resp, 409); break;
    case SMS_ENOTFOUND: http_reply_empty(resp, 404); break;
    case SMS_ECHAIN: http_reply_empty(resp, 503); break;
    default: http_reply_spring_error(resp, 500, path); break;
    }
}

void api_web2_head(void *app, http_request *req, http_response *resp)
{
    sms_app *a = app;
    const char *owner = req->query(req, "ownerAddress");
    const char *name = req->query(req, "secretName");
    int exists = 0;
    if (owner == NULL || name == NULL) {
        http_reply_spring_error(resp, 400, req->path);
        return;
    }
    if (secrets_exists(a->secrets, SECRET_WEB2, owner, name, &exists) != SMS_OK) {
        http_reply_spring_error(resp, 500, req->path);
        return;
    }
    http_reply_empty(resp, exists ? 204 : 404);
}

typedef struct {
    sms_app *app;
    const http_request *req;
    const char *owner, *name, *auth;
    int update;
} web2_write;

static sms_status start_web2_write(void *args, secrets_done_fn done, void *done_ctx)
{
    web2_write *w = args;
    return secrets_set_web2_async(w->app->secrets, w->owner, w->name, w->req->body, w->req->body_len, w->auth,
                                  w->update, done, done_ctx);
}

static void web2_set(sms_app *a, http_request *req, http_response *resp, int update)
{
    const char *auth = req->header(req, "Authorization");
    const char *owner = req->query(req, "ownerAddress");
    const char *name = req->query(req, "secretName");
    if (auth == NULL || owner == NULL || name == NULL || !api_has_body(req) || !api_address_well_formed(owner)) {
        http_reply_spring_error(resp, 400, req->path);
        return;
    }
    web2_write w = {a, req, owner, name, auth, update};
    api_run_write(req, resp, start_web2_write, &w, reply_set_status);
}

void api_web2_post(void *app, http_request *req, http_response *resp) { web2_set(app, req, resp, 0); }

void api_web2_put(void *app, http_request *req, http_response *resp) { web2_set(app, req, resp, 1); }

/* /secrets/web3: HEAD, POST (sms-api.md 4.1-4.2). */
void api_web3_head(void *app, http_request *req, http_response *resp)
{
    sms_app *a = app;
    const char *address = req->query(req, "secretAddress");
    int exists = 0;
    if (address == NULL) {
        http_reply_spring_error(resp, 400, req->path);
        return;
    }
    if (secrets_exists(a->secrets, SECRET_WEB3, address, "", &exists) != SMS_OK) {
        http_reply_spring_error(resp, 500, req->path);
        return;
    }
    http_reply_empty(resp, exists ? 204 : 404);
}

void api_web3_post(void *app, http_request *req, http_response *resp)
{
    sms_app *a = app;
    const char *auth = req->header(req, "Authorization");
    const char *address = req->query(req, "secretAddress");
    if (auth == NULL || address == NULL || !api_has_body(req) || !api_address_well_formed(address)) {
        http_reply_spring_error(resp, 400, req->path);
        return;
    }
    sms_status st = secrets_set_web3(a->secrets, address, req->body, req->body_len, auth);
    reply_set_status(resp, st, req->path);
}
