/* A transport-free http_request for handler tests, and assertions on http_response bodies.
 *
 * fake_request embeds the http_request handed to handlers; its header and query lookups
 * read small tables filled by the test. Every string given to the fake_request_* setters
 * is borrowed (must outlive the request): tests pass literals or their own buffers. */
#ifndef SMS_TEST_FAKE_HTTP_H
#define SMS_TEST_FAKE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http/http.h"
#include "http/router.h"

#define FAKE_HTTP_MAX_FIELDS 16

typedef struct {
    http_request req; /* req.transport points back to this struct */
    const char *hdr_name[FAKE_HTTP_MAX_FIELDS];
    const char *hdr_value[FAKE_HTTP_MAX_FIELDS];
    size_t n_hdr;
    const char *q_name[FAKE_HTTP_MAX_FIELDS];
    const char *q_value[FAKE_HTTP_MAX_FIELDS];
    size_t n_q;
    char var_storage[4096]; /* route variables after fake_request_route */
} fake_request;

/* method/path: as the server would see them (path percent-decoded, no query). */
void fake_request_init(fake_request *f, http_method method, const char *path);
/* Header lookup is case-insensitive on the name, like libmicrohttpd's. */
void fake_request_header(fake_request *f, const char *name, const char *value);
/* Query lookup is exact; a parameter present without value is given as "". */
void fake_request_query(fake_request *f, const char *name, const char *value);
/* Raw body bytes (borrowed); len 0 leaves the body absent like the server does. */
void fake_request_body(fake_request *f, const void *body, size_t len);
void fake_request_body_str(fake_request *f, const char *body);
/* Append one path variable directly (no routing). */
void fake_request_var(fake_request *f, const char *value);
/* Fill the variables and route id by matching the path against a route table; returns
 * the route result and the matched route in *found (may be NULL). */
route_result fake_request_route(fake_request *f, const http_route *routes, size_t n, const http_route **found,
                                unsigned *allowed);

/* Parsed JSON body (caller decrefs); fails the test when the body is not JSON. */
json_t *fake_response_json(const http_response *r);
/* Status, no body, no content type. */
void fake_assert_empty(const http_response *r, unsigned status);
/* Spring Boot error document: exactly timestamp/status/error/path, status and reason
 * consistent, timestamp "YYYY-MM-DDTHH:MM:SS.mmm+00:00" within a minute of now. */
void fake_assert_spring_error(const http_response *r, unsigned status, const char *path);
/* Exactly {"error":["message"]} with application/json. */
void fake_assert_error_list(const http_response *r, unsigned status, const char *message);
/* Plain-text filter answer: status, no content type, exact body. */
void fake_assert_plain(const http_response *r, unsigned status, const char *text);

#endif
