/* Router (src/http/router.c) and response builders (src/http/response.c):
 * sms-api.md 2.2 (exact paths, no trailing slash, 404 vs 405, HEAD on GET routes,
 * Allow sets) and 2.5 (Spring error JSON, error lists, reason phrases). The real route
 * table of src/api/routes.c is checked too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"
#include "helpers/fake_http.h"
#include "http/http.h"
#include "http/router.h"

static void h_dummy(void *app, http_request *req, http_response *resp)
{
    (void)app;
    (void)req;
    (void)resp;
}

static const http_route table[] = {
    /* 0 */ {"/secrets/web2", HTTP_HEAD, h_dummy, ROUTE_CORS, "web2-head"},
    /* 1 */ {"/secrets/web2", HTTP_POST, h_dummy, ROUTE_CORS, "web2-post"},
    /* 2 */ {"/secrets/web2", HTTP_PUT, h_dummy, ROUTE_CORS, "web2-put"},
    /* 3 */ {"/apps/{}/secrets", HTTP_HEAD, h_dummy, ROUTE_CORS, "app-head"},
    /* 4 */ {"/apps/{}/secrets", HTTP_POST, h_dummy, ROUTE_CORS, "app-post"},
    /* 5 */ {"/requesters/{}/secrets/{}", HTTP_POST, h_dummy, ROUTE_CORS, "req-post"},
    /* 6 */ {"/version", HTTP_GET, h_dummy, 0, "version"},
    /* 7 */ {"/both", HTTP_GET, h_dummy, 0, "both-get"},
    /* 8 */ {"/both", HTTP_HEAD, h_dummy, 0, "both-head"},
    /* 9 */ {"/x/{}", HTTP_GET, h_dummy, 0, "x-var"},
    /* 10 */ {"/x/lit", HTTP_POST, h_dummy, 0, "x-lit"},
    /* 11 */ {"/admin/{}/copy-to/{}", HTTP_POST, h_dummy, 0, "copy"},
    /* 12 */ {"/", HTTP_GET, h_dummy, 0, "root"},
    /* 13 */ {"/v/{}/{}/{}/{}", HTTP_GET, h_dummy, 0, "four"},
    /* 14 */ {"/w/{}/{}/{}/{}/{}", HTTP_GET, h_dummy, 0, "five"},
    /* 15 */ {"/mixed", HTTP_DELETE, h_dummy, 0, "mixed-delete"},
    /* 16 */ {"/mixed", HTTP_PATCH, h_dummy, ROUTE_CORS, "mixed-patch"},
};
#define N_TABLE (sizeof table / sizeof table[0])

typedef struct {
    route_result rr;
    const http_route *route;
    unsigned allowed;
    int cors;
    http_request req;
    char storage[256];
} match_out;

static void match(const char *path, http_method m, match_out *o)
{
    memset(o, 0, sizeof *o);
    o->req.route_id = -1;
    o->cors = -1;
    o->rr = http_route_match(table, N_TABLE, path, m, &o->req, o->storage, sizeof o->storage, &o->route, &o->allowed,
                             &o->cors);
}

/* ---- matching ---- */

static void test_exact_static_match(void **state)
{
    (void)state;
    match_out o;
    match("/secrets/web2", HTTP_POST, &o);
    assert_int_equal(o.rr, ROUTE_FOUND);
    assert_ptr_equal(o.route, &table[1]);
    assert_int_equal(o.req.route_id, 1);
    assert_int_equal(o.req.n_vars, 0);
    assert_int_equal(o.allowed, HTTP_HEAD | HTTP_POST | HTTP_PUT);
    assert_int_equal(o.cors, 1);
    match("/secrets/web2", HTTP_PUT, &o);
    assert_ptr_equal(o.route, &table[2]);
    assert_int_equal(o.req.route_id, 2);
    match("/secrets/web2", HTTP_HEAD, &o);
    assert_ptr_equal(o.route, &table[0]);
    match("/", HTTP_GET, &o);
    assert_int_equal(o.rr, ROUTE_FOUND);
    assert_ptr_equal(o.route, &table[12]);
}

static void test_variables(void **state)
{
    (void)state;
    match_out o;
    match("/apps/0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2/secrets", HTTP_POST, &o);
    assert_int_equal(o.rr, ROUTE_FOUND);
    assert_ptr_equal(o.route, &table[4]);
    assert_int_equal(o.req.n_vars, 1);
    assert_string_equal(o.req.vars[0], "0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2");
    /* Variables live in the caller's storage. */
    assert_true(o.req.vars[0] >= o.storage && o.req.vars[0] < o.storage + sizeof o.storage);

    match("/requesters/0xabc/secrets/my-key", HTTP_POST, &o);
    assert_int_equal(o.rr, ROUTE_FOUND);
    assert_int_equal(o.req.n_vars, 2);
    assert_string_equal(o.req.vars[0], "0xabc");
    assert_string_equal(o.req.vars[1], "my-key");

    match("/admin/2f6261636b7570/copy-to/2f6261636b75702f72", HTTP_POST, &o);
    assert_int_equal(o.rr, ROUTE_FOUND);
    assert_string_equal(o.req.vars[0], "2f6261636b7570");
    assert_string_equal(o.req.vars[1], "2f6261636b75702f72");

    /* A variable is whatever the segment holds, any bytes but '/'. */
    match("/apps/a b%20\xc3\xa9{}/secrets", HTTP_HEAD, &o);
    assert_int_equal(o.rr, ROUTE_FOUND);
    assert_string_equal(o.req.vars[0], "a b%20\xc3\xa9{}");

    match("/v/a/b/c/d", HTTP_GET, &o);
    assert_int_equal(o.rr, ROUTE_FOUND);
    assert_int_equal(o.req.n_vars, 4);
    assert_string_equal(o.req.vars[3], "d");
}

static void test_variable_never_spans_slash_nor_is_empty(void **state)
{
    (void)state;
    match_out o;
    match("/apps/a/b/secrets", HTTP_POST, &o);
    assert_int_equal(o.rr, ROUTE_NO_PATH);
    match("/apps//secrets", HTTP_POST, &o);
    assert_int_equal(o.rr, ROUTE_NO_PATH);
    assert_int_equal(o.allowed, 0);
    match("/requesters//secrets/k", HTTP_POST, &o);
    assert_int_equal(o.rr, ROUTE_NO_PATH);
    match("/requesters/0xa/secrets/", HTTP_POST, &o);
    assert_int_equal(o.rr, ROUTE_NO_PATH);
    match("/x/", HTTP_GET, &o);
    assert_int_equal(o.rr, ROUTE_NO_PATH);
}

static void test_unknown_paths_404(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "/secrets/web2/",          /* trailing slash not tolerated */
        "/version/",
        "/apps/0xabc/secrets/",
        "/Secrets/web2",           /* case-sensitive */
        "/SECRETS/WEB2",
        "/secrets/web",            /* prefix */
        "/secrets/web2x",          /* extension */
        "/secrets/web2/extra",
        "//secrets/web2",
        "secrets/web2",            /* no leading slash */
        "",
        "/secrets",
        "/apps/0xabc",
        "/apps/0xabc/secret",
        "/w/a/b/c/d/e",            /* more than HTTP_MAX_PATH_VARS variables never matches */
        "/version?x=1",            /* the query is never part of the path */
        "/version\n",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            match_out o;
            match(paths[i], (http_method)(1u << bit), &o);
            if (o.rr != ROUTE_NO_PATH) fail_msg("'%s' matched", paths[i]);
            assert_int_equal(o.allowed, 0);
            assert_int_equal(o.cors, 0);
            assert_null(o.route);
            assert_int_equal(o.req.route_id, -1);
        }
    }
}

static void test_wrong_method_405_with_allowed_set(void **state)
{
    (void)state;
    match_out o;
    match("/secrets/web2", HTTP_GET, &o);
    assert_int_equal(o.rr, ROUTE_BAD_METHOD);
    assert_int_equal(o.allowed, HTTP_HEAD | HTTP_POST | HTTP_PUT);
    assert_int_equal(o.cors, 1);
    assert_null(o.route);
    assert_int_equal(o.req.route_id, -1);
    char list[64];
    http_methods_format(o.allowed, list, sizeof list);
    assert_string_equal(list, "HEAD,POST,PUT");

    match("/secrets/web2", HTTP_DELETE, &o);
    assert_int_equal(o.rr, ROUTE_BAD_METHOD);
    match("/secrets/web2", HTTP_OPTIONS, &o);
    assert_int_equal(o.rr, ROUTE_BAD_METHOD); /* OPTIONS is answered by the server itself */
    match("/secrets/web2", HTTP_OTHER, &o);
    assert_int_equal(o.rr, ROUTE_BAD_METHOD);

    match("/apps/0x1/secrets", HTTP_PUT, &o);
    assert_int_equal(o.rr, ROUTE_BAD_METHOD);
    assert_int_equal(o.allowed, HTTP_HEAD | HTTP_POST);

    match("/version", HTTP_POST, &o);
    assert_int_equal(o.rr, ROUTE_BAD_METHOD);
    assert_int_equal(o.allowed, HTTP_GET | HTTP_HEAD);
    assert_int_equal(o.cors, 0);

    match("/mixed", HTTP_GET, &o);
    assert_int_equal(o.rr, ROUTE_BAD_METHOD);
    assert_int_equal(o.allowed, HTTP_DELETE | HTTP_PATCH);
    assert_int_equal(o.cors, 1); /* one of the routes of the path is CORS-enabled */
    match("/mixed", HTTP_HEAD, &o);
    assert_int_equal(o.rr, ROUTE_BAD_METHOD); /* no GET route to serve HEAD */
}

static void test_head_served_by_get(void **state)
{
    (void)state;
    match_out o;
    match("/version", HTTP_HEAD, &o);
    assert_int_equal(o.rr, ROUTE_FOUND);
    assert_ptr_equal(o.route, &table[6]);
    assert_int_equal(o.req.route_id, 6);
    assert_int_equal(o.allowed, HTTP_GET | HTTP_HEAD);
    /* With a variable. */
    match("/x/abc", HTTP_HEAD, &o);
    assert_int_equal(o.rr, ROUTE_FOUND);
    assert_ptr_equal(o.route, &table[9]);
    assert_int_equal(o.req.n_vars, 1);
    assert_string_equal(o.req.vars[0], "abc");
}

static void test_head_route_preferred_over_get(void **state)
{
    (void)state;
    match_out o;
    match("/both", HTTP_HEAD, &o);
    assert_int_equal(o.rr, ROUTE_FOUND);
    assert_ptr_equal(o.route, &table[8]);
    match("/both", HTTP_GET, &o);
    assert_ptr_equal(o.route, &table[7]);
    /* Same when the HEAD route is listed first. */
    static const http_route rev[] = {
        {"/r", HTTP_HEAD, h_dummy, 0, "r-head"},
        {"/r", HTTP_GET, h_dummy, 0, "r-get"},
    };
    static const http_route fwd[] = {
        {"/r", HTTP_GET, h_dummy, 0, "r-get"},
        {"/r", HTTP_HEAD, h_dummy, 0, "r-head"},
    };
    http_request req = {0};
    char storage[16];
    const http_route *found = NULL;
    unsigned allowed = 0;
    int cors = 0;
    assert_int_equal(http_route_match(rev, 2, "/r", HTTP_HEAD, &req, storage, sizeof storage, &found, &allowed, &cors),
                     ROUTE_FOUND);
    assert_ptr_equal(found, &rev[0]);
    assert_int_equal(http_route_match(fwd, 2, "/r", HTTP_HEAD, &req, storage, sizeof storage, &found, &allowed, &cors),
                     ROUTE_FOUND);
    assert_ptr_equal(found, &fwd[1]);
    assert_int_equal(req.route_id, 1);
}

static void test_variables_belong_to_chosen_route(void **state)
{
    (void)state;
    /* "/x/lit" matches both "/x/{}" (GET) and "/x/lit" (POST): the variables reported
     * must be those of the route that runs. */
    match_out o;
    match("/x/lit", HTTP_POST, &o);
    assert_int_equal(o.rr, ROUTE_FOUND);
    assert_ptr_equal(o.route, &table[10]);
    assert_int_equal(o.req.n_vars, 0);
    assert_int_equal(o.allowed, HTTP_GET | HTTP_HEAD | HTTP_POST);
    match("/x/lit", HTTP_GET, &o);
    assert_ptr_equal(o.route, &table[9]);
    assert_int_equal(o.req.n_vars, 1);
    assert_string_equal(o.req.vars[0], "lit");
    match("/x/other", HTTP_POST, &o);
    assert_int_equal(o.rr, ROUTE_BAD_METHOD);
    assert_int_equal(o.allowed, HTTP_GET | HTTP_HEAD);
}

static void test_first_of_duplicate_routes_wins(void **state)
{
    (void)state;
    static const http_route dup[] = {
        {"/d/{}", HTTP_POST, h_dummy, 0, "first"},
        {"/d/{}", HTTP_POST, h_dummy, ROUTE_CORS, "second"},
    };
    http_request req = {0};
    char storage[32];
    const http_route *found = NULL;
    unsigned allowed = 0;
    int cors = 0;
    assert_int_equal(http_route_match(dup, 2, "/d/v", HTTP_POST, &req, storage, sizeof storage, &found, &allowed, &cors),
                     ROUTE_FOUND);
    assert_ptr_equal(found, &dup[0]);
    assert_int_equal(cors, 1);
    assert_string_equal(req.vars[0], "v");
}

static void test_literal_brace_and_several_get_routes(void **state)
{
    (void)state;
    static const http_route t[] = {
        {"/lit{x", HTTP_GET, h_dummy, 0, "brace"},       /* '{' not followed by '}' is literal */
        {"/g/{}", HTTP_GET, h_dummy, 0, "g-var"},
        {"/g/fixed", HTTP_GET, h_dummy, 0, "g-fixed"},
    };
    http_request req = {0};
    char storage[32];
    const http_route *found = NULL;
    unsigned allowed = 0;
    int cors = 0;
    assert_int_equal(http_route_match(t, 3, "/lit{x", HTTP_GET, &req, storage, sizeof storage, &found, &allowed, &cors),
                     ROUTE_FOUND);
    assert_ptr_equal(found, &t[0]);
    assert_int_equal(req.n_vars, 0);
    assert_int_equal(http_route_match(t, 3, "/litax", HTTP_GET, &req, storage, sizeof storage, &found, &allowed, &cors),
                     ROUTE_NO_PATH);
    /* HEAD with two GET routes on the path: the first one in table order serves it, with
     * its own variables. */
    assert_int_equal(
        http_route_match(t, 3, "/g/fixed", HTTP_HEAD, &req, storage, sizeof storage, &found, &allowed, &cors),
        ROUTE_FOUND);
    assert_ptr_equal(found, &t[1]);
    assert_int_equal(req.n_vars, 1);
    assert_string_equal(req.vars[0], "fixed");
    assert_int_equal(allowed, HTTP_GET | HTTP_HEAD);
}

static void test_storage_too_small_never_overflows(void **state)
{
    (void)state;
    /* Below the documented minimum the route cannot hold its variables: it does not match,
     * and nothing is written past the buffer (heap buffer: ASan checks). */
    const char *path = "/apps/0x0123456789/secrets";
    for (size_t cap = 1; cap < 12; cap++) {
        char *storage = malloc(cap);
        assert_non_null(storage);
        http_request req = {0};
        const http_route *found = NULL;
        unsigned allowed = 0;
        int cors = 0;
        route_result rr =
            http_route_match(table, N_TABLE, path, HTTP_POST, &req, storage, cap, &found, &allowed, &cors);
        assert_int_not_equal(rr, ROUTE_FOUND);
        free(storage);
    }
}

static void test_storage_exactly_path_length(void **state)
{
    (void)state;
    /* The documented minimum (strlen(path)+1) is enough for any number of variables. */
    const char *path = "/requesters/0x0123456789abcdef/secrets/k";
    size_t cap = strlen(path) + 1;
    char *storage = malloc(cap); /* heap: ASan sees any overflow */
    assert_non_null(storage);
    http_request req = {0};
    const http_route *found = NULL;
    unsigned allowed = 0;
    int cors = 0;
    assert_int_equal(
        http_route_match(table, N_TABLE, path, HTTP_POST, &req, storage, cap, &found, &allowed, &cors), ROUTE_FOUND);
    assert_string_equal(req.vars[0], "0x0123456789abcdef");
    assert_string_equal(req.vars[1], "k");
    free(storage);
    path = "/v/1/22/333/4444";
    cap = strlen(path) + 1;
    storage = malloc(cap);
    assert_int_equal(http_route_match(table, N_TABLE, path, HTTP_GET, &req, storage, cap, &found, &allowed, &cors),
                     ROUTE_FOUND);
    assert_int_equal(req.n_vars, 4);
    assert_string_equal(req.vars[0], "1");
    assert_string_equal(req.vars[3], "4444");
    free(storage);
}

static void test_empty_table(void **state)
{
    (void)state;
    http_request req = {0};
    char storage[8];
    const http_route *found = NULL;
    unsigned allowed = 123;
    int cors = 7;
    assert_int_equal(http_route_match(table, 0, "/version", HTTP_GET, &req, storage, sizeof storage, &found, &allowed,
                                      &cors),
                     ROUTE_NO_PATH);
    assert_int_equal(allowed, 0);
    assert_int_equal(cors, 0);
}

/* ---- methods ---- */

static void test_methods_format(void **state)
{
    (void)state;
    char out[96];
    http_methods_format(0, out, sizeof out);
    assert_string_equal(out, "");
    http_methods_format(HTTP_GET, out, sizeof out);
    assert_string_equal(out, "GET");
    http_methods_format(HTTP_GET | HTTP_HEAD | HTTP_OPTIONS, out, sizeof out);
    assert_string_equal(out, "GET,HEAD,OPTIONS");
    /* Fixed order whatever the bits. */
    http_methods_format(HTTP_OPTIONS | HTTP_PUT | HTTP_HEAD | HTTP_POST, out, sizeof out);
    assert_string_equal(out, "HEAD,POST,PUT,OPTIONS");
    http_methods_format(HTTP_GET | HTTP_HEAD | HTTP_POST | HTTP_PUT | HTTP_DELETE | HTTP_OPTIONS | HTTP_PATCH, out,
                        sizeof out);
    assert_string_equal(out, "GET,HEAD,POST,PUT,DELETE,PATCH,OPTIONS");
    /* HTTP_OTHER is not a method name. */
    http_methods_format(HTTP_OTHER | HTTP_POST, out, sizeof out);
    assert_string_equal(out, "POST");
    /* cap 0 writes nothing. */
    out[0] = 'Z';
    http_methods_format(HTTP_GET, out, 0);
    assert_int_equal(out[0], 'Z');
    /* Exactly enough room. */
    http_methods_format(HTTP_GET | HTTP_HEAD, out, sizeof "GET,HEAD");
    assert_string_equal(out, "GET,HEAD");
}

static void test_methods_format_truncation_keeps_whole_names(void **state)
{
    (void)state;
    /* A too-small buffer must still hold a usable Allow list: NUL-terminated, within cap,
     * and made of whole method names (never "GET,HE"). */
    char out[16];
    for (size_t cap = 1; cap <= sizeof "GET,HEAD,POST"; cap++) {
        memset(out, 'Z', sizeof out);
        http_methods_format(HTTP_GET | HTTP_HEAD | HTTP_POST, out, cap);
        assert_non_null(memchr(out, '\0', cap));
        const char *ok[] = {"", "GET", "GET,HEAD", "GET,HEAD,POST"};
        int whole = 0;
        for (size_t i = 0; i < 4; i++)
            if (strcmp(out, ok[i]) == 0) whole = 1;
        if (!whole) fail_msg("cap %zu gave a partial method list '%s'", cap, out);
    }
}

static void test_method_names(void **state)
{
    (void)state;
    static const http_method all[] = {HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_OPTIONS, HTTP_PATCH};
    static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    for (size_t i = 0; i < 7; i++) {
        assert_string_equal(http_method_name(all[i]), names[i]);
        assert_int_equal(http_method_parse(names[i]), all[i]);
    }
    assert_string_equal(http_method_name(HTTP_OTHER), "OTHER");
    assert_string_equal(http_method_name((http_method)(HTTP_GET | HTTP_POST)), "OTHER");
    /* Methods are case-sensitive (RFC 9110). */
    assert_int_equal(http_method_parse("get"), HTTP_OTHER);
    assert_int_equal(http_method_parse("TRACE"), HTTP_OTHER);
    assert_int_equal(http_method_parse("CONNECT"), HTTP_OTHER);
    assert_int_equal(http_method_parse(""), HTTP_OTHER);
    assert_int_equal(http_method_parse("GETX"), HTTP_OTHER);
    assert_int_equal(http_method_parse("OTHER"), HTTP_OTHER);
}

/* ---- the real route table ---- */

static void test_api_route_table(void **state)
{
    (void)state;
    size_t n = 0, nl = 0;
    const http_route *routes = api_routes(&n);
    const char *const *lbl = api_route_labels(&nl);
    assert_non_null(routes);
    assert_true(n >= 14);
    assert_int_equal(nl, n);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(routes[i].handler);
        assert_non_null(routes[i].label);
        assert_string_equal(lbl[i], routes[i].label);
    }
    static const struct {
        http_method m;
        const char *path;
        unsigned allowed;
        int cors;
        size_t vars;
    } cases[] = {
        {HTTP_HEAD, "/secrets/web3", HTTP_HEAD | HTTP_POST, 1, 0},
        {HTTP_POST, "/secrets/web3", HTTP_HEAD | HTTP_POST, 1, 0},
        {HTTP_HEAD, "/secrets/web2", HTTP_HEAD | HTTP_POST | HTTP_PUT, 1, 0},
        {HTTP_POST, "/secrets/web2", HTTP_HEAD | HTTP_POST | HTTP_PUT, 1, 0},
        {HTTP_PUT, "/secrets/web2", HTTP_HEAD | HTTP_POST | HTTP_PUT, 1, 0},
        {HTTP_HEAD, "/apps/0xab/secrets", HTTP_HEAD | HTTP_POST, 1, 1},
        {HTTP_POST, "/apps/0xab/secrets", HTTP_HEAD | HTTP_POST, 1, 1},
        {HTTP_HEAD, "/requesters/0xab/secrets/k", HTTP_HEAD | HTTP_POST, 1, 2},
        {HTTP_POST, "/requesters/0xab/secrets/k", HTTP_HEAD | HTTP_POST, 1, 2},
        {HTTP_GET, "/actuator/health", HTTP_GET | HTTP_HEAD, 0, 0},
        {HTTP_HEAD, "/actuator/health", HTTP_GET | HTTP_HEAD, 0, 0},
        {HTTP_GET, "/actuator", HTTP_GET | HTTP_HEAD, 0, 0},
        {HTTP_GET, "/version", HTTP_GET | HTTP_HEAD, 0, 0},
        {HTTP_GET, "/metrics", HTTP_GET | HTTP_HEAD, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_request f;
        const http_route *found = NULL;
        unsigned allowed = 0;
        fake_request_init(&f, cases[i].m, cases[i].path);
        route_result rr = fake_request_route(&f, routes, n, &found, &allowed);
        if (rr != ROUTE_FOUND) fail_msg("%s %s not routed", http_method_name(cases[i].m), cases[i].path);
        assert_int_equal(allowed, cases[i].allowed);
        assert_int_equal(f.req.n_vars, cases[i].vars);
        assert_int_equal(!!(found->flags & ROUTE_CORS), cases[i].cors);
        assert_true(f.req.route_id >= 0 && (size_t)f.req.route_id < n);
        assert_ptr_equal(&routes[f.req.route_id], found);
    }
    /* The reference's 405 example: GET /secrets/web2 -> Allow: HEAD, POST, PUT. */
    fake_request f;
    unsigned allowed = 0;
    fake_request_init(&f, HTTP_GET, "/secrets/web2");
    assert_int_equal(fake_request_route(&f, routes, n, NULL, &allowed), ROUTE_BAD_METHOD);
    char list[64];
    http_methods_format(allowed, list, sizeof list);
    assert_string_equal(list, "HEAD,POST,PUT");
    fake_request_init(&f, HTTP_GET, "/secrets/web2/");
    assert_int_equal(fake_request_route(&f, routes, n, NULL, &allowed), ROUTE_NO_PATH);
}

/* ---- responses ---- */

static void test_response_init_and_clear(void **state)
{
    (void)state;
    http_response r;
    memset(&r, 0xa5, sizeof r);
    http_response_init(&r);
    assert_int_equal(r.status, 500);
    assert_null(r.body);
    assert_null(r.content_type);
    assert_int_equal(r.body_len, 0);
    assert_int_equal(r.n_extra, 0);
    http_response_clear(&r);
    http_response_clear(&r); /* twice is fine */
    assert_null(r.body);
}

static void test_reply_empty_drops_previous_body(void **state)
{
    (void)state;
    http_response r;
    http_response_init(&r);
    http_reply_text(&r, 200, "text/plain", "abc", 3);
    http_reply_empty(&r, 204);
    fake_assert_empty(&r, 204);
    http_response_clear(&r);
}

static void test_reply_text(void **state)
{
    (void)state;
    http_response r;
    http_response_init(&r);
    char src[] = "9.3.1";
    http_reply_text(&r, 200, "text/plain;charset=UTF-8", src, strlen(src));
    src[0] = 'X'; /* copied, not borrowed */
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/plain;charset=UTF-8");
    assert_int_equal(r.body_len, 5);
    assert_string_equal(r.body, "9.3.1");
    /* Binary and empty text. */
    http_reply_text(&r, 503, NULL, "a\0b", 3);
    assert_int_equal(r.body_len, 3);
    assert_memory_equal(r.body, "a\0b\0", 4);
    assert_null(r.content_type);
    http_reply_text(&r, 200, NULL, "", 0);
    assert_non_null(r.body);
    assert_int_equal(r.body_len, 0);
    assert_string_equal(r.body, "");
    http_response_clear(&r);
}

static void test_reply_json_takes_reference(void **state)
{
    (void)state;
    http_response r;
    http_response_init(&r);
    json_t *v = json_pack("{s:s}", "status", "UP");
    json_incref(v);
    http_reply_json(&r, 200, v);
    assert_int_equal(v->refcount, 1); /* one reference was stolen */
    json_decref(v);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.body, "{\"status\":\"UP\"}");
    assert_int_equal(r.body_len, strlen(r.body));
    /* NULL (a failed json_pack upstream) is an internal error without a body. */
    http_reply_json(&r, 200, NULL);
    assert_int_equal(r.status, 500);
    assert_null(r.body);
    assert_null(r.content_type);
    http_response_clear(&r);
}

static void test_spring_error_shape(void **state)
{
    (void)state;
    static const unsigned statuses[] = {400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        http_response r;
        http_response_init(&r);
        http_reply_spring_error(&r, statuses[i], "/secrets/web2");
        fake_assert_spring_error(&r, statuses[i], "/secrets/web2");
        /* Member order of the reference document. */
        const char *t = strstr(r.body, "\"timestamp\"");
        const char *s = strstr(r.body, "\"status\"");
        const char *e = strstr(r.body, "\"error\"");
        const char *p = strstr(r.body, "\"path\"");
        assert_true(t != NULL && s != NULL && e != NULL && p != NULL);
        assert_true(t < s && s < e && e < p);
        assert_null(strstr(r.body, "\"message\""));
        assert_null(strstr(r.body, "\"trace\""));
        http_response_clear(&r);
    }
}

static void test_spring_error_paths(void **state)
{
    (void)state;
    http_response r;
    http_response_init(&r);
    http_reply_spring_error(&r, 404, NULL);
    fake_assert_spring_error(&r, 404, "");
    /* Characters that need JSON escaping. */
    http_reply_spring_error(&r, 404, "/a\"b\\c\n\x01");
    fake_assert_spring_error(&r, 404, "/a\"b\\c\n\x01");
    /* Non-ASCII path (percent-decoded by the server). */
    http_reply_spring_error(&r, 404, "/caf\xc3\xa9");
    fake_assert_spring_error(&r, 404, "/caf\xc3\xa9");
    http_response_clear(&r);
}

static void test_spring_error_invalid_utf8_path_keeps_status(void **state)
{
    (void)state;
    /* "/%FF" arrives percent-decoded as "/\xff". The 404 must stay a 404 with an error
     * document (the reference shows the replacement character), not become a 500. */
    http_response r;
    http_response_init(&r);
    http_reply_spring_error(&r, 404, "/\xff");
    assert_int_equal(r.status, 404);
    json_t *doc = fake_response_json(&r);
    assert_int_equal(json_integer_value(json_object_get(doc, "status")), 404);
    assert_true(json_is_string(json_object_get(doc, "path")));
    json_decref(doc);
    http_response_clear(&r);
}

static void test_error_list(void **state)
{
    (void)state;
    http_response r;
    http_response_init(&r);
    http_reply_error_list(&r, 404, "Secret not found");
    fake_assert_error_list(&r, 404, "Secret not found");
    assert_string_equal(r.body, "{\"error\":[\"Secret not found\"]}");
    http_reply_error_list(&r, 400, "Secret key should contain at most 64 characters from [0-9A-Za-z-_]");
    assert_string_equal(r.body,
                        "{\"error\":[\"Secret key should contain at most 64 characters from [0-9A-Za-z-_]\"]}");
    http_reply_error_list(&r, 413, "Secret size should not exceed 4 Kb");
    fake_assert_error_list(&r, 413, "Secret size should not exceed 4 Kb");
    http_response_clear(&r);
}

static void test_add_header(void **state)
{
    (void)state;
    http_response r;
    http_response_init(&r);
    http_add_header(&r, "Allow", "HEAD,POST,PUT");
    assert_int_equal(r.n_extra, 1);
    assert_string_equal(r.extra[0].name, "Allow");
    assert_string_equal(r.extra[0].value, "HEAD,POST,PUT");
    /* Long values are truncated to 255 bytes, never overflow. */
    char longv[600];
    memset(longv, 'v', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    http_add_header(&r, "X-Long", longv);
    assert_int_equal(strlen(r.extra[1].value), 255);
    /* At most HTTP_MAX_EXTRA_HEADERS; extra ones are dropped. */
    for (int i = 0; i < 20; i++) http_add_header(&r, "Vary", "Origin");
    assert_int_equal(r.n_extra, HTTP_MAX_EXTRA_HEADERS);
    /* Headers survive a body change (the server adds CORS after the handler ran). */
    http_reply_empty(&r, 204);
    assert_int_equal(r.n_extra, HTTP_MAX_EXTRA_HEADERS);
    http_response_clear(&r);
}

static void test_reasons(void **state)
{
    (void)state;
    static const struct {
        unsigned status;
        const char *reason;
    } cases[] = {
        {200, "OK"},           {201, "Created"},
        {204, "No Content"},   {400, "Bad Request"},
        {401, "Unauthorized"}, {403, "Forbidden"},
        {404, "Not Found"},    {405, "Method Not Allowed"},
        {409, "Conflict"},     {413, "Payload Too Large"},
        {415, "Unsupported Media Type"}, {429, "Too Many Requests"},
        {500, "Internal Server Error"},  {503, "Service Unavailable"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(http_reason(cases[i].status), cases[i].reason);
    assert_string_equal(http_reason(418), "Error");
    assert_string_equal(http_reason(0), "Error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_static_match),
        cmocka_unit_test(test_variables),
        cmocka_unit_test(test_variable_never_spans_slash_nor_is_empty),
        cmocka_unit_test(test_unknown_paths_404),
        cmocka_unit_test(test_wrong_method_405_with_allowed_set),
        cmocka_unit_test(test_head_served_by_get),
        cmocka_unit_test(test_head_route_preferred_over_get),
        cmocka_unit_test(test_variables_belong_to_chosen_route),
        cmocka_unit_test(test_first_of_duplicate_routes_wins),
        cmocka_unit_test(test_literal_brace_and_several_get_routes),
        cmocka_unit_test(test_storage_too_small_never_overflows),
        cmocka_unit_test(test_storage_exactly_path_length),
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_methods_format),
        cmocka_unit_test(test_methods_format_truncation_keeps_whole_names),
        cmocka_unit_test(test_method_names),
        cmocka_unit_test(test_api_route_table),
        cmocka_unit_test(test_response_init_and_clear),
        cmocka_unit_test(test_reply_empty_drops_previous_body),
        cmocka_unit_test(test_reply_text),
        cmocka_unit_test(test_reply_json_takes_reference),
        cmocka_unit_test(test_spring_error_shape),
        cmocka_unit_test(test_spring_error_paths),
        cmocka_unit_test(test_spring_error_invalid_utf8_path_keeps_status),
        cmocka_unit_test(test_error_list),
        cmocka_unit_test(test_add_header),
        cmocka_unit_test(test_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
