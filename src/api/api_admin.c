/* Admin endpoint handlers (sms-api.md 7.3): parameters from the request, the admin service does
 * the rest. No body on any answer, except the Spring error document when a required query
 * parameter is missing (a present but blank one is a bare 400). The API-key filter runs
 * before routing (routes.c). */
#include "admin/admin.h"
#include "api/api.h"

static void reply(http_response *resp, sms_status st, unsigned ok_status)
{
    switch (st) {
    case SMS_OK: http_reply_empty(resp, ok_status); break;
    case SMS_EINVAL: http_reply_empty(resp, 400); break;
    case SMS_ENOTFOUND: http_reply_empty(resp, 404); break;
    case SMS_EBUSY: http_reply_empty(resp, 429); break;
    default: http_reply_empty(resp, 500); break;
    }
}

static admin_service *service_of(void *app)
{
    sms_app *a = app;
    return a != NULL ? a->admin : NULL;
}

void api_admin_backup(void *app, http_request *req, http_response *resp)
{
    (void)req;
    admin_service *svc = service_of(app);
    reply(resp, svc != NULL ? admin_backup(svc) : SMS_ERR, 201);
}

/* The one-storage-id routes: {storageID} and a required fileName. */
static void with_file(void *app, http_request *req, http_response *resp,
                      sms_status (*op)(admin_service *, const char *, const char *))
{
    admin_service *svc = service_of(app);
    const char *file_name = req->query(req, "fileName");
    if (file_name == NULL) {
        http_reply_spring_error(resp, 400, req->path);
        return;
    }
    if (svc == NULL || req->n_vars < 1) {
        reply(resp, SMS_ERR, 200);
        return;
    }
    reply(resp, op(svc, req->vars[0], file_name), 200);
}

void api_admin_replicate(void *app, http_request *req, http_response *resp)
{
    with_file(app, req, resp, admin_replicate);
}

void api_admin_restore(void *app, http_request *req, http_response *resp)
{
    with_file(app, req, resp, admin_restore);
}

void api_admin_delete(void *app, http_request *req, http_response *resp)
{
    with_file(app, req, resp, admin_delete);
}

void api_admin_copy(void *app, http_request *req, http_response *resp)
{
    admin_service *svc = service_of(app);
    const char *src_name = req->query(req, "sourceFileName");
    const char *dst_name = req->query(req, "destinationFileName");
    if (src_name == NULL) {
        http_reply_spring_error(resp, 400, req->path);
        return;
    }
    if (svc == NULL || req->n_vars < 2) {
        reply(resp, SMS_ERR, 200);
        return;
    }
    reply(resp, admin_copy(svc, req->vars[0], src_name, req->vars[1], dst_name), 200);
}
