/* Health, version, metrics (sms-api.md 8). No CORS. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/statvfs.h>

#include "api/api.h"
#include "core/utf8.h"

/* Spring's disk-space indicator default threshold. */
#define HEALTH_MIN_FREE_BYTES (10ull * 1024 * 1024)

static int disk_ok(const char *dir)
{
    struct statvfs vfs;
    if (dir[0] == '\0' || statvfs(dir, &vfs) != 0) return 1; /* nothing to judge: do not fail health */
    return (unsigned long long)vfs.f_bavail * vfs.f_frsize >= HEALTH_MIN_FREE_BYTES;
}

void api_health(void *app, http_request *req, http_response *resp)
{
    (void)req;
    sms_app *a = app;
    int up = store_ping(a->store) == SMS_OK && disk_ok(a->data_dir);
    http_reply_json(resp, up ? 200 : 503, json_pack("{s:s}", "status", up ? "UP" : "DOWN"));
}

void api_actuator(void *app, http_request *req, http_response *resp)
{
    (void)app;
    const char *host = req->header(req, "Host");
    char base[300], self[330], health[340], health_path[360];
    snprintf(base, sizeof base, "http://%s/actuator", host != NULL ? host : "localhost");
    snprintf(self, sizeof self, "%s", base);
    snprintf(health, sizeof health, "%s/health", base);
    snprintf(health_path, sizeof health_path, "%s/health/{*path}", base);
    /* Client text, possibly cut mid-character by the buffers: valid UTF-8 for the JSON. */
    char *s = utf8_sanitize(self, strlen(self));
    char *h = utf8_sanitize(health, strlen(health));
    char *hp = utf8_sanitize(health_path, strlen(health_path));
    json_t *doc = s == NULL || h == NULL || hp == NULL
                      ? NULL
                      : json_pack("{s:{s:{s:s,s:b},s:{s:s,s:b},s:{s:s,s:b}}}", "_links", "self", "href", s,
                                  "templated", 0, "health", "href", h, "templated", 0, "health-path", "href", hp,
                                  "templated", 1);
    free(s);
    free(h);
    free(hp);
    http_reply_json(resp, 200, doc);
}

void api_version(void *app, http_request *req, http_response *resp)
{
    (void)req;
    sms_app *a = app;
    http_reply_text(resp, 200, "text/plain;charset=UTF-8", a->version, strlen(a->version));
}

void api_metrics(void *app, http_request *req, http_response *resp)
{
    (void)req;
    sms_app *a = app;
    http_reply_json(resp, 200, metrics_secrets_json(a->metrics));
}

void api_prometheus(void *app, http_request *req, http_response *resp)
{
    sms_app *a = app;
    if (!a->cfg->prometheus_exposed) {
        http_reply_spring_error(resp, 404, req->path);
        return;
    }
    char *text = metrics_prometheus_text(a->metrics, a->version, tee_framework_name(a->cfg->framework));
    if (text == NULL) {
        http_reply_spring_error(resp, 500, req->path);
        return;
    }
    http_reply_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    free(text);
}
