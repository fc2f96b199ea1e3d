/* Transport-neutral request/response types shared by the HTTP server and the api layer.
 * The api handlers never see libmicrohttpd: they read a http_request and fill a
 * http_response, which keeps them testable without sockets. */
#ifndef SMS_HTTP_H
#define SMS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/status.h"

#define HTTP_MAX_PATH_VARS 4
#define HTTP_MAX_EXTRA_HEADERS 8

typedef enum {
    HTTP_GET = 1 << 0,
    HTTP_HEAD = 1 << 1,
    HTTP_POST = 1 << 2,
    HTTP_PUT = 1 << 3,
    HTTP_DELETE = 1 << 4,
    HTTP_OPTIONS = 1 << 5,
    HTTP_PATCH = 1 << 6,
    HTTP_OTHER = 1 << 7
} http_method;

typedef struct http_request http_request;

/* Accessors supplied by the transport. Returned strings are owned by the transport and
 * valid for the duration of the request. NULL means absent. */
typedef const char *(*http_lookup_fn)(const http_request *req, const char *name);

struct http_request {
    http_method method;
    const char *path;           /* percent-decoded path, no query string */
    const uint8_t *body;        /* raw bytes (not NUL-terminated); NULL when no body */
    size_t body_len;
    const char *vars[HTTP_MAX_PATH_VARS]; /* path variables of the matched route */
    size_t n_vars;
    int route_id;               /* index of the matched route, for metrics */
    unsigned app_flags;         /* free for the application's hooks (set in pre_route, read in observe) */
    http_lookup_fn header;      /* case-insensitive header lookup */
    http_lookup_fn query;       /* query parameter lookup ("" when present without value) */
    void *transport;            /* opaque transport handle */
    void *transport_state;      /* opaque, for defer/complete */
    /* Finishing later (NULL where the transport cannot, e.g. on a worker or in tests): a
     * handler calls defer(req) before starting the asynchronous work and returns; the
     * response it was given stays valid; once it is filled (from any thread), the work
     * calls complete(req), exactly once. defer returns 0, or -1 when the request cannot
     * be deferred (the handler then answers synchronously). */
    int (*defer)(http_request *req);
    void (*complete)(http_request *req);
};

typedef struct {
    const char *name;
    char value[256];
} http_header;

typedef struct {
    unsigned status;
    const char *content_type;   /* static string or NULL for none */
    char *body;                 /* malloc'ed, owned by the response; NULL for none */
    size_t body_len;
    http_header extra[HTTP_MAX_EXTRA_HEADERS];
    size_t n_extra;
} http_response;

void http_response_init(http_response *r);
void http_response_clear(http_response *r);

/* Status with no body. */
void http_reply_empty(http_response *r, unsigned status);
/* Spring Boot's default error document (sms-api.md 2.5): timestamp, status, error, path. */
void http_reply_spring_error(http_response *r, unsigned status, const char *path);
/* {"error":["message"]} (ApiResponseBody with a list). */
void http_reply_error_list(http_response *r, unsigned status, const char *message);
/* Body taken from a JSON value (the reference is stolen: it is decref'ed here). */
void http_reply_json(http_response *r, unsigned status, json_t *value);
/* Copies text into the body with the given content type (may be NULL for none). */
void http_reply_text(http_response *r, unsigned status, const char *content_type, const char *text, size_t len);
/* Adds a response header (value copied, truncated to 255 bytes). */
void http_add_header(http_response *r, const char *name, const char *value);

/* Reason phrase for a status ("Bad Request"...). */
const char *http_reason(unsigned status);
/* "GET", "POST"... for one method bit. */
const char *http_method_name(http_method m);
http_method http_method_parse(const char *s);

#endif
