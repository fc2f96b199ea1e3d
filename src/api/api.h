/* The api layer: one file per endpoint family. Handlers parse and validate the request,
 * call a service, and map its status to the reference's status codes and body styles
 * (sms-api.md 2.5). */
#ifndef SMS_API_H
#define SMS_API_H

#include <stdatomic.h>
#include <stddef.h>

#include "config/config.h"
#include "http/router.h"
#include "metrics/metrics.h"
#include "secrets/secrets.h"
#include "store/store.h"

typedef struct tee_service tee_service;     /* src/tee (may be NULL) */
typedef struct admin_service admin_service; /* src/admin (may be NULL) */

/* Everything the handlers need; built by main, borrowed by the handlers. */
typedef struct {
    const sms_config *cfg;
    sms_store *store;
    secrets_service *secrets;
    sms_metrics *metrics;
    tee_service *tee;
    admin_service *admin;
    const char *version;
    atomic_int online;      /* 0 while a restore swaps the store (out-of-service filter) */
    atomic_int guarded_in_flight; /* requests on guarded routes past the gate */
    char data_dir[4096];    /* directory checked for free space by the health endpoint */
} sms_app;

/* The route table and its size. */
const http_route *api_routes(size_t *n);
/* Labels of the routes, in table order (for metrics). */
const char *const *api_route_labels(size_t *n);

/* Filters run before routing (API key on /admin, maintenance 503). */
int api_pre_route(void *app, http_request *req, http_response *resp);
/* Metrics hook; also ends the request's passage through the maintenance gate. */
void api_observe(void *app, const http_request *req, unsigned status, uint64_t duration_us);

/* Maintenance gate around a restore's swap (admin quiesce hooks; ctx is the sms_app):
 * api_quiesce stops admitting requests on the guarded routes (/tee, /secrets, /apps,
 * /requesters) and returns once none is in flight (at most drain_ms; 0 on success, -1 if
 * requests were still running, the gate then being reopened). While closed, guarded
 * requests get 503 when the out-of-service filter is enabled, else they wait for the gate
 * to reopen (bounded). api_resume reopens it. */
int api_quiesce(void *ctx);
void api_resume(void *ctx);

/* Handlers (one file per family). */
void api_web2_head(void *app, http_request *req, http_response *resp);
void api_web2_post(void *app, http_request *req, http_response *resp);
void api_web2_put(void *app, http_request *req, http_response *resp);
void api_web3_head(void *app, http_request *req, http_response *resp);
void api_web3_post(void *app, http_request *req, http_response *resp);
void api_app_head(void *app, http_request *req, http_response *resp);
void api_app_post(void *app, http_request *req, http_response *resp);
void api_requester_head(void *app, http_request *req, http_response *resp);
void api_requester_post(void *app, http_request *req, http_response *resp);
void api_health(void *app, http_request *req, http_response *resp);
void api_actuator(void *app, http_request *req, http_response *resp);
void api_version(void *app, http_request *req, http_response *resp);
void api_metrics(void *app, http_request *req, http_response *resp);
void api_prometheus(void *app, http_request *req, http_response *resp);
/* /tee (api_tee.c); 404 on a secrets-only instance. */
void api_tee_framework(void *app, http_request *req, http_response *resp);
void api_tee_properties(void *app, http_request *req, http_response *resp);
void api_tee_properties_version(void *app, http_request *req, http_response *resp);
void api_tee_challenge(void *app, http_request *req, http_response *resp);
void api_tee_session(void *app, http_request *req, http_response *resp);

/* Shared helpers (api_common.c). */
/* Maps a set status to the response (the endpoint family's body style). */
typedef void (*api_status_mapper)(http_response *resp, sms_status st, const char *path);
/* Runs a secret write that may complete asynchronously: start(...) is called with a
 * completion; when it answers SMS_EPENDING the request is deferred and map() fills the
 * response when the write completes. Otherwise map() is applied at once. */
typedef sms_status (*api_write_start)(void *args, secrets_done_fn done, void *done_ctx);
void api_run_write(http_request *req, http_response *resp, api_write_start start, void *args, api_status_mapper map);
/* 1 when the request carries a non-empty body (an empty one fails binding: 400). */
int api_has_body(const http_request *req);
/* "0x"+40 hex or 40 hex digits: anything else is a malformed address (400). */
int api_address_well_formed(const char *s);

#endif
