#include <stdio.h>
#include <string.h>

#include "http/router.h"

/* Compare one pattern against the path; on success store the variables into storage. */
static int pattern_matches(const char *pattern, const char *path, const char **vars, size_t *n_vars, char *storage,
                           size_t cap)
{
    size_t used = 0;
    size_t nv = 0;
    const char *p = pattern;
    const char *s = path;
    while (*p != '\0') {
        if (p[0] == '{' && p[1] == '}') {
            size_t len = strcspn(s, "/");
            if (len == 0 || nv >= HTTP_MAX_PATH_VARS || used + len + 1 > cap) return 0;
            memcpy(storage + used, s, len);
            storage[used + len] = '\0';
            vars[nv++] = storage + used;
            used += len + 1;
            s += len;
            p += 2;
            continue;
        }
        if (*p != *s) return 0;
        p++;
        s++;
    }
    if (*s != '\0') return 0;
    *n_vars = nv;
    return 1;
}

route_result http_route_match(const http_route *routes, size_t n_routes, const char *path, http_method method,
                              http_request *req, char *storage, size_t storage_cap, const http_route **found,
                              unsigned *allowed, int *any_cors)
{
    const http_route *exact = NULL;
    const http_route *get_for_head = NULL;
    unsigned methods = 0;
    int cors = 0;
    const char *vars[HTTP_MAX_PATH_VARS];
    size_t n_vars = 0;

    for (size_t i = 0; i < n_routes; i++) {
        if (!pattern_matches(routes[i].pattern, path, vars, &n_vars, storage, storage_cap)) continue;
        methods |= routes[i].method;
        if (routes[i].method == HTTP_GET) methods |= HTTP_HEAD;
        if (routes[i].flags & ROUTE_CORS) cors = 1;
        if (routes[i].method == method && exact == NULL) exact = &routes[i];
        if (method == HTTP_HEAD && routes[i].method == HTTP_GET && get_for_head == NULL) get_for_head = &routes[i];
    }
    *allowed = methods;
    *any_cors = cors;
    if (methods == 0) return ROUTE_NO_PATH;
    const http_route *chosen = exact != NULL ? exact : get_for_head;
    if (chosen == NULL) return ROUTE_BAD_METHOD;
    /* Match the chosen route again so the stored variables are its own. */
    pattern_matches(chosen->pattern, path, vars, &n_vars, storage, storage_cap);
    for (size_t i = 0; i < n_vars; i++) req->vars[i] = vars[i];
    req->n_vars = n_vars;
    req->route_id = (int)(chosen - routes);
    *found = chosen;
    return ROUTE_FOUND;
}

void http_methods_format(unsigned methods, char *out, size_t cap)
{
    static const http_method order[] = {HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_PATCH,
                                        HTTP_OPTIONS};
    size_t used = 0;
    if (cap == 0) return;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(methods & order[i])) continue;
        const char *name = http_method_name(order[i]);
        size_t need = strlen(name) + (used ? 1 : 0);
        if (used + need >= cap) return; /* only whole names */
        if (used) out[used++] = ',';
        memcpy(out + used, name, strlen(name) + 1);
        used += strlen(name);
    }
}
