#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>

#include "helpers/fake_http.h"

static const fake_request *self_of(const http_request *req) { return (const fake_request *)req->transport; }

static const char *lookup_header(const http_request *req, const char *name)
{
    const fake_request *f = self_of(req);
    for (size_t i = 0; i < f->n_hdr; i++)
        if (strcasecmp(f->hdr_name[i], name) == 0) return f->hdr_value[i];
    return NULL;
}

static const char *lookup_query(const http_request *req, const char *name)
{
    const fake_request *f = self_of(req);
    for (size_t i = 0; i < f->n_q; i++)
        if (strcmp(f->q_name[i], name) == 0) return f->q_value[i];
    return NULL;
}

void fake_request_init(fake_request *f, http_method method, const char *path)
{
    memset(f, 0, sizeof *f);
    f->req.method = method;
    f->req.path = path;
    f->req.route_id = -1;
    f->req.header = lookup_header;
    f->req.query = lookup_query;
    f->req.transport = f;
}

void fake_request_header(fake_request *f, const char *name, const char *value)
{
    assert_true(f->n_hdr < FAKE_HTTP_MAX_FIELDS);
    f->hdr_name[f->n_hdr] = name;
    f->hdr_value[f->n_hdr] = value;
    f->n_hdr++;
}

void fake_request_query(fake_request *f, const char *name, const char *value)
{
    assert_true(f->n_q < FAKE_HTTP_MAX_FIELDS);
    f->q_name[f->n_q] = name;
    f->q_value[f->n_q] = value;
    f->n_q++;
}

void fake_request_body(fake_request *f, const void *body, size_t len)
{
    f->req.body = len > 0 ? body : NULL;
    f->req.body_len = len;
}

void fake_request_body_str(fake_request *f, const char *body) { fake_request_body(f, body, strlen(body)); }

void fake_request_var(fake_request *f, const char *value)
{
    assert_true(f->req.n_vars < HTTP_MAX_PATH_VARS);
    f->req.vars[f->req.n_vars++] = value;
}

route_result fake_request_route(fake_request *f, const http_route *routes, size_t n, const http_route **found,
                                unsigned *allowed)
{
    const http_route *r = NULL;
    unsigned a = 0;
    int cors = 0;
    route_result rr = http_route_match(routes, n, f->req.path, f->req.method, &f->req, f->var_storage,
                                       sizeof f->var_storage, &r, &a, &cors);
    if (found != NULL) *found = rr == ROUTE_FOUND ? r : NULL;
    if (allowed != NULL) *allowed = a;
    return rr;
}

json_t *fake_response_json(const http_response *r)
{
    assert_non_null(r->body);
    assert_int_equal(strlen(r->body), r->body_len);
    json_error_t err;
    json_t *doc = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
    if (doc == NULL) fail_msg("response body is not JSON (%s): %s", err.text, r->body);
    return doc;
}

void fake_assert_empty(const http_response *r, unsigned status)
{
    assert_int_equal(r->status, status);
    assert_null(r->body);
    assert_int_equal(r->body_len, 0);
    assert_null(r->content_type);
}

static void assert_timestamp_recent(const char *stamp)
{
    /* "2026-06-16T12:34:56.789+00:00": 29 characters, UTC, milliseconds. */
    assert_int_equal(strlen(stamp), 29);
    int y, mo, d, h, mi, s, ms;
    char tail[8] = {0};
    assert_int_equal(sscanf(stamp, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%6s", &y, &mo, &d, &h, &mi, &s, &ms, tail), 8);
    assert_string_equal(tail, "+00:00");
    assert_int_equal(stamp[4], '-');
    assert_int_equal(stamp[10], 'T');
    assert_int_equal(stamp[19], '.');
    assert_in_range(mo, 1, 12);
    assert_in_range(d, 1, 31);
    assert_in_range(h, 0, 23);
    assert_in_range(mi, 0, 59);
    assert_in_range(s, 0, 60);
    assert_in_range(ms, 0, 999);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    time_t when = timegm(&tm);
    time_t now = time(NULL);
    assert_true(when <= now + 1);
    assert_true(when >= now - 60);
}

void fake_assert_spring_error(const http_response *r, unsigned status, const char *path)
{
    assert_int_equal(r->status, status);
    assert_non_null(r->content_type);
    assert_string_equal(r->content_type, "application/json");
    json_t *doc = fake_response_json(r);
    assert_true(json_is_object(doc));
    assert_int_equal(json_object_size(doc), 4);
    json_t *ts = json_object_get(doc, "timestamp");
    json_t *st = json_object_get(doc, "status");
    json_t *er = json_object_get(doc, "error");
    json_t *pa = json_object_get(doc, "path");
    assert_true(json_is_string(ts));
    assert_true(json_is_integer(st));
    assert_true(json_is_string(er));
    assert_true(json_is_string(pa));
    assert_int_equal(json_integer_value(st), status);
    assert_string_equal(json_string_value(er), http_reason(status));
    assert_string_equal(json_string_value(pa), path);
    assert_timestamp_recent(json_string_value(ts));
    json_decref(doc);
}

void fake_assert_error_list(const http_response *r, unsigned status, const char *message)
{
    assert_int_equal(r->status, status);
    assert_non_null(r->content_type);
    assert_string_equal(r->content_type, "application/json");
    json_t *doc = fake_response_json(r);
    assert_true(json_is_object(doc));
    /* ApiResponseBody omits a null "data" member. */
    assert_int_equal(json_object_size(doc), 1);
    json_t *list = json_object_get(doc, "error");
    assert_true(json_is_array(list));
    assert_int_equal(json_array_size(list), 1);
    assert_true(json_is_string(json_array_get(list, 0)));
    assert_string_equal(json_string_value(json_array_get(list, 0)), message);
    json_decref(doc);
}

void fake_assert_plain(const http_response *r, unsigned status, const char *text)
{
    assert_int_equal(r->status, status);
    assert_null(r->content_type);
    assert_non_null(r->body);
    assert_int_equal(r->body_len, strlen(text));
    assert_memory_equal(r->body, text, r->body_len);
}
