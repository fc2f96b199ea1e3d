/* The route table, the pre-routing filters and the metrics hook. */
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "api/api.h"
#include "core/secure.h"

static const http_route routes[] = {
    {"/secrets/web3", HTTP_HEAD, api_web3_head, ROUTE_CORS, "/secrets/web3"},
    {"/secrets/web3", HTTP_POST, api_web3_post, ROUTE_CORS, "/secrets/web3"},
    {"/secrets/web2", HTTP_HEAD, api_web2_head, ROUTE_CORS, "/secrets/web2"},
    {"/secrets/web2", HTTP_POST, api_web2_post, ROUTE_CORS | ROUTE_INLINE, "/secrets/web2"},
    {"/secrets/web2", HTTP_PUT, api_web2_put, ROUTE_CORS | ROUTE_INLINE, "/secrets/web2"},
    {"/apps/{}/secrets", HTTP_HEAD, api_app_head, ROUTE_CORS, "/apps/{appAddress}/secrets"},
    {"/apps/{}/secrets", HTTP_POST, api_app_post, ROUTE_CORS, "/apps/{appAddress}/secrets"},
    {"/requesters/{}/secrets/{}", HTTP_HEAD, api_requester_head, ROUTE_CORS,
     "/requesters/{requesterAddress}/secrets/{secretKey}"},
    {"/requesters/{}/secrets/{}", HTTP_POST, api_requester_post, ROUTE_CORS | ROUTE_INLINE,
     "/requesters/{requesterAddress}/secrets/{secretKey}"},
    {"/actuator/health", HTTP_GET, api_health, 0, "/actuator/health"},
    {"/actuator", HTTP_GET, api_actuator, 0, "/actuator"},
    {"/actuator/prometheus", HTTP_GET, api_prometheus, 0, "/actuator/prometheus"},
    {"/version", HTTP_GET, api_version, 0, "/version"},
    {"/metrics", HTTP_GET, api_metrics, 0, "/metrics"},
    {"/admin/backup", HTTP_POST, api_admin_backup, 0, "/admin/backup"},
    {"/admin/{}/replicate-backup", HTTP_POST, api_admin_replicate, 0, "/admin/{storageID}/replicate-backup"},
    {"/admin/{}/restore-backup", HTTP_POST, api_admin_restore, 0, "/admin/{storageID}/restore-backup"},
    {"/admin/{}/delete-backup", HTTP_DELETE, api_admin_delete, 0, "/admin/{storageID}/delete-backup"},
    {"/admin/{}/copy-to/{}", HTTP_POST, api_admin_copy, 0, "/admin/{sourceStorageID}/copy-to/{destinationStorageID}"},
    {"/tee/framework", HTTP_GET, api_tee_framework, 0, "/tee/framework"},
    {"/tee/properties/{}", HTTP_GET, api_tee_properties, 0, "/tee/properties/{teeFramework}"},
    {"/tee/properties/{}/{}", HTTP_GET, api_tee_properties_version, 0, "/tee/properties/{teeFramework}/{version}"},
    {"/tee/challenges/{}", HTTP_POST, api_tee_challenge, 0, "/tee/challenges/{chainTaskId}"},
    {"/tee/sessions", HTTP_POST, api_tee_session, 0, "/tee/sessions"},
};

#define N_ROUTES (sizeof routes / sizeof routes[0])

static const char *labels[N_ROUTES];

const http_route *api_routes(size_t *n)
{
    *n = N_ROUTES;
    return routes;
}

const char *const *api_route_labels(size_t *n)
{
    for (size_t i = 0; i < N_ROUTES; i++) labels[i] = routes[i].label;
    *n = N_ROUTES;
    return labels;
}

/* Servlet-style prefix pattern: "/x" itself and everything below "/x/". */
static int under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void reply_plain(http_response *resp, unsigned status, const char *text)
{
    http_reply_text(resp, status, NULL, text, strlen(text));
}

#define API_GUARDED 1u
#define GATE_WAIT_MS 10000
#define GATE_DRAIN_MS 30000

static int guarded_path(const char *path)
{
    return under(path, "/tee") || under(path, "/secrets") || under(path, "/apps") || under(path, "/requesters");
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Admit a guarded request through the maintenance gate: 1 when admitted (counted in
 * guarded_in_flight until api_observe), 0 when it must be refused with 503. */
static int gate_enter(sms_app *a)
{
    for (long waited = 0;; waited += 5) {
        atomic_fetch_add(&a->guarded_in_flight, 1);
        if (atomic_load(&a->online)) return 1;
        atomic_fetch_sub(&a->guarded_in_flight, 1);
        if (a->cfg->out_of_service_enabled || waited >= GATE_WAIT_MS) return 0;
        sleep_ms(5);
    }
}

int api_pre_route(void *app, http_request *req, http_response *resp)
{
    sms_app *a = app;
    if (under(req->path, "/admin")) {
        const char *key = a->cfg->admin_api_key;
        if (key == NULL) {
            reply_plain(resp, 403, "This endpoint is disabled.");
            return 1;
        }
        const char *given = req->header(req, "X-API-KEY");
        if (given == NULL || !secure_str_equal(given, strlen(given), key, strlen(key))) {
            reply_plain(resp, 401, "You are not authorized to access this endpoint.");
            return 1;
        }
        return 0;
    }
    if (guarded_path(req->path)) {
        if (!gate_enter(a)) {
            reply_plain(resp, 503,
                        "The server is temporarily unable to serve your request due to maintenance downtime");
            return 1;
        }
        req->app_flags |= API_GUARDED;
    }
    return 0;
}

void api_observe(void *app, const http_request *req, unsigned status, uint64_t duration_us)
{
    sms_app *a = app;
    if (req != NULL && (req->app_flags & API_GUARDED)) atomic_fetch_sub(&a->guarded_in_flight, 1);
    if (a->metrics != NULL) metrics_observe_request(a->metrics, req != NULL ? req->route_id : -1, status, duration_us);
}

int api_quiesce(void *ctx)
{
    sms_app *a = ctx;
    atomic_store(&a->online, 0);
    for (long waited = 0; atomic_load(&a->guarded_in_flight) > 0; waited += 1) {
        if (waited >= GATE_DRAIN_MS) {
            atomic_store(&a->online, 1);
            return -1;
        }
        sleep_ms(1);
    }
    return 0;
}

void api_resume(void *ctx)
{
    sms_app *a = ctx;
    atomic_store(&a->online, 1);
}
