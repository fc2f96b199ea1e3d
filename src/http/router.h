/* Exact, case-sensitive path matching with single-segment variables ("{}"), no
 * trailing-slash tolerance (sms-api.md 2.2). */
#ifndef SMS_ROUTER_H
#define SMS_ROUTER_H

#include <stddef.h>

#include "http/http.h"

typedef void (*http_handler_fn)(void *app, http_request *req, http_response *resp);

enum {
    ROUTE_CORS = 1 << 0,  /* @CrossOrigin: Access-Control-Allow-Origin: * and preflights */
    ROUTE_INLINE = 1 << 1 /* never blocks (may defer): runs on the event thread even for POST/PUT */
};

typedef struct {
    const char *pattern;  /* e.g. "/apps/{}/secrets"; "{}" matches one non-empty segment */
    http_method method;   /* a GET route also answers HEAD unless a HEAD route exists */
    http_handler_fn handler;
    unsigned flags;
    const char *label;    /* metrics label, e.g. "/apps/{appAddress}/secrets" */
} http_route;

typedef enum { ROUTE_FOUND, ROUTE_NO_PATH, ROUTE_BAD_METHOD } route_result;

/* Match path+method against the table.
 *   found      : the route to run (ROUTE_FOUND)
 *   req        : vars/n_vars/route_id are filled; vars point into `storage`
 *   storage    : caller buffer for the variables' text (at least strlen(path)+1)
 *   allowed    : bit set of the methods mapped on that path (for Allow and CORS),
 *                HEAD included where GET is; 0 when the path is unknown
 *   any_cors   : set to 1 when a route on that path has ROUTE_CORS */
route_result http_route_match(const http_route *routes, size_t n_routes, const char *path, http_method method,
                              http_request *req, char *storage, size_t storage_cap, const http_route **found,
                              unsigned *allowed, int *any_cors);

/* Comma-separated method names of a bit set into out ("GET,HEAD,OPTIONS"). */
void http_methods_format(unsigned methods, char *out, size_t cap);

#endif
