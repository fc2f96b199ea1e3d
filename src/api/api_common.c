#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/hex.h"

int api_has_body(const http_request *req) { return req->body != NULL && req->body_len > 0; }

int api_address_well_formed(const char *s) { return s != NULL && address_is_40_hex_digits(s); }

typedef struct {
    http_request *req;
    http_response *resp;
    api_status_mapper map;
} pending_write;

static void on_write_done(void *arg, sms_status st)
{
    pending_write *p = arg;
    p->map(p->resp, st, p->req->path);
    http_request *req = p->req;
    free(p);
    req->complete(req);
}

void api_run_write(http_request *req, http_response *resp, api_write_start start, void *args, api_status_mapper map)
{
    pending_write *p = NULL;
    if (req->defer != NULL && req->complete != NULL) p = malloc(sizeof *p);
    if (p == NULL) {
        map(resp, start(args, NULL, NULL), req->path);
        return;
    }
    *p = (pending_write){req, resp, map};
    /* Deferred before the write is queued: its completion may come at once. */
    if (req->defer(req) != 0) {
        free(p);
        map(resp, start(args, NULL, NULL), req->path);
        return;
    }
    sms_status st = start(args, on_write_done, p);
    if (st != SMS_EPENDING) {
        free(p);
        map(resp, st, req->path);
        req->complete(req);
    }
}
