/* The route table, the pre-routing filters and the metrics hook. */
#include <string.h>

#include "api/api.h"
#include "core/secure.h"

static const http_route routes[] = {
    {"/secrets/web3", HTTP_HEAD, api_web3_head, ROUTE_CORS, "/secrets/web3"},
    {"/secrets/web3", HTTP_POST, api_web3_post, ROUTE_CORS, "/secrets/web3"},
    {"/secrets/web2", HTTP_HEAD, api_web2_head, ROUTE_CORS, "/secrets/web2"},
    {"/secrets/web2", HTTP_POST, api_web2_post, ROUTE_CORS, "/secrets/web2"},
    {"/secrets/web2", HTTP_PUT, api_web2_put, ROUTE_CORS, "/secrets/web2"},
    {"/apps/{}/secrets", HTTP_HEAD, api_app_head, ROUTE_CORS, "/apps/{appAddress}/secrets"},
    {"/apps/{}/secrets", HTTP_POST, api_app_post, ROUTE_CORS, "/apps/{appAddress}/secrets"},
    {"/requesters/{}/secrets/{}", HTTP_HEAD, api_requester_head, ROUTE_CORS,
     "/requesters/{requesterAddress}/secrets/{secretKey}"},
    {"/requesters/{}/secrets/{}", HTTP_POST, api_requester_post, ROUTE_CORS,
     "/requesters/{requesterAddress}/secrets/{secretKey}"},
    {"/actuator/health", HTTP_GET, api_health, 0, "/actuator/health"},
    {"/actuator", HTTP_GET, api_actuator, 0, "/actuator"},
    {"/actuator/prometheus", HTTP_GET, api_prometheus, 0, "/actuator/prometheus"},
    {"/version", HTTP_GET, api_version, 0, "/version"},
    {"/metrics", HTTP_GET, api_metrics, 0, "/metrics"},
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

int api_pre_route(void *app, const http_request *req, http_response *resp)
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
    if (a->cfg->out_of_service_enabled && !atomic_load(&a->online) &&
        (under(req->path, "/tee") || under(req->path, "/secrets") || under(req->path, "/apps") ||
         under(req->path, "/requesters"))) {
        reply_plain(resp, 503, "The server is temporarily unable to serve your request due to maintenance downtime");
        return 1;
    }
    return 0;
}

void api_observe(void *app, int route_id, unsigned status, uint64_t duration_us)
{
    sms_app *a = app;
    if (a->metrics != NULL) metrics_observe_request(a->metrics, route_id, status, duration_us);
}
