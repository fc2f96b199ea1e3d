#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/utf8.h"
#include "http/http.h"

void http_response_init(http_response *r)
{
    memset(r, 0, sizeof *r);
    r->status = 500;
}

void http_response_clear(http_response *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

void http_reply_empty(http_response *r, unsigned status)
{
    http_response_clear(r);
    r->status = status;
    r->content_type = NULL;
}

void http_reply_text(http_response *r, unsigned status, const char *content_type, const char *text, size_t len)
{
    http_response_clear(r);
    r->status = status;
    r->content_type = content_type;
    r->body = malloc(len + 1);
    if (r->body == NULL) {
        r->status = 500;
        r->content_type = NULL;
        return;
    }
    memcpy(r->body, text, len);
    r->body[len] = '\0';
    r->body_len = len;
}

void http_reply_json(http_response *r, unsigned status, json_t *value)
{
    char *text = value != NULL ? json_dumps(value, JSON_COMPACT) : NULL;
    json_decref(value);
    http_response_clear(r);
    if (text == NULL) {
        r->status = 500;
        r->content_type = NULL;
        return;
    }
    r->status = status;
    r->content_type = "application/json";
    r->body = text;
    r->body_len = strlen(text);
}

void http_reply_spring_error(http_response *r, unsigned status, const char *path)
{
    char stamp[64];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ld+00:00", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    /* The path is client text: make it valid UTF-8 for the JSON document. */
    char *clean = utf8_sanitize(path != NULL ? path : "", path != NULL ? strlen(path) : 0);
    json_t *doc = clean == NULL ? NULL
                                : json_pack("{s:s, s:i, s:s, s:s}", "timestamp", stamp, "status", (int)status, "error",
                                            http_reason(status), "path", clean);
    free(clean);
    http_reply_json(r, status, doc);
}

void http_reply_error_list(http_response *r, unsigned status, const char *message)
{
    http_reply_json(r, status, json_pack("{s:[s]}", "error", message));
}

void http_add_header(http_response *r, const char *name, const char *value)
{
    if (r->n_extra >= HTTP_MAX_EXTRA_HEADERS) return;
    http_header *h = &r->extra[r->n_extra++];
    h->name = name;
    snprintf(h->value, sizeof h->value, "%s", value);
}

const char *http_reason(unsigned status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

static const struct {
    http_method method;
    const char *name;
} method_names[] = {
    {HTTP_GET, "GET"},       {HTTP_HEAD, "HEAD"},       {HTTP_POST, "POST"},   {HTTP_PUT, "PUT"},
    {HTTP_DELETE, "DELETE"}, {HTTP_OPTIONS, "OPTIONS"}, {HTTP_PATCH, "PATCH"},
};

const char *http_method_name(http_method m)
{
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
        if (method_names[i].method == m) return method_names[i].name;
    return "OTHER";
}

http_method http_method_parse(const char *s)
{
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
        if (strcmp(method_names[i].name, s) == 0) return method_names[i].method;
    return HTTP_OTHER;
}
