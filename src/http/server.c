#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "http/server.h"
#include "http/workers.h"

/* Handlers that may block (writes waiting on a durable commit, chain calls, provisioner
 * posts: every method but GET, HEAD and OPTIONS) run on a worker while their connection is
 * suspended; the event threads (one per core, epoll) only parse and answer the cheap ones. */
#define WORKER_THREADS 64
#define WORKER_QUEUE 1024
#define CONNECTION_MEMORY (16 * 1024)

struct http_server {
    struct MHD_Daemon *daemon;
    work_pool *workers;
    http_server_config cfg;
    atomic_int in_flight;
    int port;
};

typedef enum { REQ_READING = 0, REQ_RUNNING, REQ_ANSWERED } request_state;

/* Per-request state kept across the access-handler calls of one request. */
typedef struct {
    uint8_t *body;
    size_t body_len;
    size_t body_cap;
    int too_large;
    uint64_t started_us;
    request_state state;
    http_server *srv;
    struct MHD_Connection *conn;
    int deferred;      /* a handler took the asynchronous path (event thread only) */
    const http_route *route;
    http_request req;  /* lives here: a worker or a completion uses it while suspended */
    http_response resp;
    char vars_storage[1024]; /* text of the path variables */
} request_ctx;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const char *lookup_header(const http_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->transport, MHD_HEADER_KIND, name);
}

static const char *lookup_query(const http_request *req, const char *name)
{
    struct MHD_Connection *c = (struct MHD_Connection *)req->transport;
    const char *value = NULL;
    size_t len = 0;
    if (MHD_lookup_connection_value_n(c, MHD_GET_ARGUMENT_KIND, name, strlen(name), &value, &len) != MHD_YES)
        return NULL;
    return value != NULL ? value : "";
}

static enum MHD_Result send_response(struct MHD_Connection *conn, http_response *r, const http_request *req,
                                     const http_server *srv, request_ctx *ctx)
{
    struct MHD_Response *mr;
    if (r->body != NULL && r->body_len > 0) {
        mr = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_FREE);
        if (mr != NULL) r->body = NULL; /* now owned by MHD */
    } else {
        mr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (mr == NULL) {
        http_response_clear(r);
        return MHD_NO;
    }
    if (r->content_type != NULL) MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    for (size_t i = 0; i < r->n_extra; i++) MHD_add_response_header(mr, r->extra[i].name, r->extra[i].value);
    enum MHD_Result ret = MHD_queue_response(conn, r->status, mr);
    MHD_destroy_response(mr);
    if (srv->cfg.observe != NULL)
        srv->cfg.observe(srv->cfg.app, req, r->status, now_us() - ctx->started_us);
    http_response_clear(r);
    return ret;
}

/* CORS headers of Spring's default @CrossOrigin configuration (sms-api.md 2.6). */
static void add_cors_vary(http_response *r)
{
    http_add_header(r, "Vary", "Origin");
    http_add_header(r, "Vary", "Access-Control-Request-Method");
    http_add_header(r, "Vary", "Access-Control-Request-Headers");
}

static void answer_options(const http_request *req, unsigned allowed, int cors, http_response *r)
{
    const char *origin = req->header(req, "Origin");
    const char *want = req->header(req, "Access-Control-Request-Method");
    char list[96];
    if (origin != NULL && want != NULL && cors) {
        http_method m = http_method_parse(want);
        if (m == HTTP_OTHER || !(allowed & m)) {
            http_reply_text(r, 403, NULL, "Invalid CORS request", strlen("Invalid CORS request"));
            add_cors_vary(r);
            return;
        }
        http_reply_empty(r, 200);
        add_cors_vary(r);
        http_add_header(r, "Access-Control-Allow-Origin", "*");
        http_add_header(r, "Access-Control-Allow-Methods", http_method_name(m));
        const char *hdrs = req->header(req, "Access-Control-Request-Headers");
        if (hdrs != NULL && hdrs[0] != '\0') http_add_header(r, "Access-Control-Allow-Headers", hdrs);
        http_add_header(r, "Access-Control-Max-Age", "1800");
        return;
    }
    http_reply_empty(r, 200);
    http_methods_format(allowed | HTTP_OPTIONS, list, sizeof list);
    http_add_header(r, "Allow", list);
}

/* Filters and routing. Returns the route whose handler must run, or NULL when r already
 * holds the answer (filter, 404, 405, OPTIONS). Path variables are stored in ctx. */
static const http_route *route_request(http_server *srv, request_ctx *ctx, http_request *req, http_response *r)
{
    const http_route *route = NULL;
    unsigned allowed = 0;
    int cors = 0;

    if (srv->cfg.pre_route != NULL && srv->cfg.pre_route(srv->cfg.app, req, r)) return NULL;
    if (strlen(req->path) >= sizeof ctx->vars_storage) {
        http_reply_spring_error(r, 404, req->path);
        return NULL;
    }
    route_result rr = http_route_match(srv->cfg.routes, srv->cfg.n_routes, req->path, req->method, req,
                                       ctx->vars_storage, sizeof ctx->vars_storage, &route, &allowed, &cors);
    if (rr == ROUTE_NO_PATH) {
        http_reply_spring_error(r, 404, req->path);
        return NULL;
    }
    if (req->method == HTTP_OPTIONS) {
        answer_options(req, allowed, cors, r);
        return NULL;
    }
    if (rr == ROUTE_BAD_METHOD) {
        char list[96];
        http_reply_spring_error(r, 405, req->path);
        http_methods_format(allowed, list, sizeof list);
        http_add_header(r, "Allow", list);
        return NULL;
    }
    return route;
}

/* Headers every answer of a route gets. */
static void finish_response(const http_route *route, const http_request *req, http_response *r)
{
    if (route != NULL && (route->flags & ROUTE_CORS) && req->header(req, "Origin") != NULL) {
        add_cors_vary(r);
        http_add_header(r, "Access-Control-Allow-Origin", "*");
    }
}

/* defer/complete of http_request, for handlers running on an event thread. */
static int defer_request(http_request *req)
{
    request_ctx *ctx = req->transport_state;
    ctx->deferred = 1;
    ctx->state = REQ_RUNNING;
    MHD_suspend_connection(ctx->conn);
    return 0;
}

static void complete_request(http_request *req)
{
    request_ctx *ctx = req->transport_state;
    ctx->state = REQ_ANSWERED;
    MHD_resume_connection(ctx->conn);
}

/* Worker side of a suspended request: run the handler, then hand the connection back to
 * its event thread, which calls on_request again to send the answer. */
static void run_on_worker(void *arg)
{
    request_ctx *ctx = arg;
    ctx->route->handler(ctx->srv->cfg.app, &ctx->req, &ctx->resp);
    ctx->state = REQ_ANSWERED;
    MHD_resume_connection(ctx->conn);
}

/* Per-connection state (MHD socket context). */
typedef struct {
    int nul_in_request; /* a %00 was decoded in the request being parsed */
} connection_state;

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)conn;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = calloc(1, sizeof(connection_state));
    } else {
        free(*socket_context);
        *socket_context = NULL;
    }
}

/* Percent-decoding of the path and the query values, as MHD does, but a decoded NUL is
 * remembered: C strings would silently cut the value there ("name%00.key" read as "name"),
 * so such a request is refused instead (400). */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    for (const char *p = strchr(s, '%'); p != NULL; p = strchr(p + 1, '%')) {
        if (p[1] == '0' && p[2] == '0') {
            const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
            if (info != NULL && info->socket_context != NULL)
                ((connection_state *)info->socket_context)->nul_in_request = 1;
            break;
        }
    }
    return MHD_http_unescape(s);
}

static int take_nul_flag(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (info == NULL || info->socket_context == NULL) return 0;
    connection_state *cs = info->socket_context;
    int seen = cs->nul_in_request;
    cs->nul_in_request = 0;
    return seen;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    http_server *srv = cls;
    request_ctx *ctx = *con_cls;

    if (ctx == NULL) {
        ctx = calloc(1, sizeof *ctx);
        if (ctx == NULL) return MHD_NO;
        ctx->started_us = now_us();
        *con_cls = ctx;
        atomic_fetch_add(&srv->in_flight, 1);
        if (take_nul_flag(conn)) {
            http_response r;
            http_response_init(&r);
            http_reply_spring_error(&r, 400, url);
            http_add_header(&r, "Connection", "close");
            return send_response(conn, &r, NULL, srv, ctx);
        }
        /* Refuse an announced oversized body before reading any of it. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL) {
            char *end = NULL;
            errno = 0;
            unsigned long long announced = strtoull(cl, &end, 10);
            if (errno != 0 || end == cl || announced > srv->cfg.max_body_bytes) ctx->too_large = 1;
        }
        if (ctx->too_large) {
            http_response r;
            http_response_init(&r);
            http_reply_spring_error(&r, 413, url);
            http_add_header(&r, "Connection", "close");
            return send_response(conn, &r, NULL, srv, ctx);
        }
        return MHD_YES;
    }

    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (ctx->too_large) return MHD_YES;
        if (ctx->body_len + n > srv->cfg.max_body_bytes) {
            /* Chunked body without a length: drop what comes, answer 413 at the end. */
            ctx->too_large = 1;
            free(ctx->body);
            ctx->body = NULL;
            ctx->body_len = ctx->body_cap = 0;
            return MHD_YES;
        }
        if (ctx->body_len + n > ctx->body_cap) {
            size_t cap = ctx->body_cap ? ctx->body_cap : 1024;
            while (cap < ctx->body_len + n) cap *= 2;
            if (cap > srv->cfg.max_body_bytes) cap = srv->cfg.max_body_bytes;
            uint8_t *grown = realloc(ctx->body, cap);
            if (grown == NULL) return MHD_NO;
            ctx->body = grown;
            ctx->body_cap = cap;
        }
        memcpy(ctx->body + ctx->body_len, upload_data, n);
        ctx->body_len += n;
        return MHD_YES;
    }

    /* Resumed after a worker or an asynchronous completion answered. */
    if (ctx->state == REQ_ANSWERED) {
        finish_response(ctx->route, &ctx->req, &ctx->resp);
        return send_response(conn, &ctx->resp, &ctx->req, srv, ctx);
    }
    if (ctx->state == REQ_RUNNING) return MHD_YES;

    http_request *req = &ctx->req;
    memset(req, 0, sizeof *req);
    req->method = http_method_parse(method);
    req->path = url;
    req->body = ctx->body_len > 0 ? ctx->body : NULL;
    req->body_len = ctx->body_len;
    req->route_id = -1;
    req->header = lookup_header;
    req->query = lookup_query;
    req->transport = conn;
    req->transport_state = ctx;
    http_response_init(&ctx->resp);
    ctx->srv = srv;
    ctx->conn = conn;

    if (ctx->too_large) {
        http_reply_spring_error(&ctx->resp, 413, url);
        return send_response(conn, &ctx->resp, req, srv, ctx);
    }
    const http_route *route = route_request(srv, ctx, req, &ctx->resp);
    if (route == NULL) return send_response(conn, &ctx->resp, req, srv, ctx);
    ctx->route = route;
    if (((route->flags & ROUTE_INLINE) && srv->cfg.inline_writes) || req->method == HTTP_GET ||
        req->method == HTTP_HEAD) {
        req->defer = defer_request;
        req->complete = complete_request;
        route->handler(srv->cfg.app, req, &ctx->resp);
        /* Deferred: the connection is suspended and may already have been completed and
         * resumed by another thread; on_request is called again to send the answer. */
        if (ctx->deferred) return MHD_YES;
        finish_response(route, req, &ctx->resp);
        return send_response(conn, &ctx->resp, req, srv, ctx);
    }
    ctx->state = REQ_RUNNING;
    MHD_suspend_connection(conn);
    if (work_pool_submit(srv->workers, run_on_worker, ctx) == SMS_OK) return MHD_YES;
    MHD_resume_connection(conn);
    ctx->state = REQ_READING;
    LOG_WARN("http: every worker busy, refusing a request (503)");
    http_reply_spring_error(&ctx->resp, 503, url);
    return send_response(conn, &ctx->resp, req, srv, ctx);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    http_server *srv = cls;
    request_ctx *ctx = *con_cls;
    if (ctx == NULL) return;
    /* Bodies may hold secret values. */
    if (ctx->body != NULL) {
        explicit_bzero(ctx->body, ctx->body_cap);
        free(ctx->body);
    }
    http_response_clear(&ctx->resp);
    free(ctx);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
}

__attribute__((format(printf, 2, 0))) static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    LOG_DEBUG("http: %s", line);
}

sms_status http_server_start(const http_server_config *cfg, http_server **out, char *errbuf, size_t errcap)
{
    struct sockaddr_storage addr;
    memset(&addr, 0, sizeof addr);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned event_threads = cores > 0 && cores < 64 ? (unsigned)cores : 2;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
    if (inet_pton(AF_INET, cfg->listen_address, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->listen_address, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(errbuf, errcap, "listen address '%s' is not an IP address", cfg->listen_address);
        return SMS_EINVAL;
    }

    http_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL) return SMS_ENOMEM;
    srv->cfg = *cfg;
    atomic_init(&srv->in_flight, 0);
    if (work_pool_start(WORKER_THREADS, WORKER_QUEUE, &srv->workers) != SMS_OK) {
        snprintf(errbuf, errcap, "cannot start the request workers");
        free(srv);
        return SMS_ENOMEM;
    }
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, event_threads, MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONNECTION_MEMORY, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0u, MHD_OPTION_THREAD_STACK_SIZE,
        (size_t)(512 * 1024), MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger,
        NULL, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        snprintf(errbuf, errcap, "cannot listen on %s:%d (address in use or not permitted)", cfg->listen_address,
                 cfg->port);
        work_pool_stop(srv->workers);
        free(srv);
        return SMS_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info != NULL ? info->port : cfg->port;
    *out = srv;
    return SMS_OK;
}

int http_server_port(const http_server *srv) { return srv->port; }

void http_server_stop(http_server *srv, unsigned drain_ms)
{
    if (srv == NULL) return;
    MHD_socket listener = MHD_quiesce_daemon(srv->daemon);
    if (listener != MHD_INVALID_SOCKET) close(listener);
    for (unsigned waited = 0; waited < drain_ms && atomic_load(&srv->in_flight) > 0; waited += 10) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* Workers finish what they hold (each resumes its connection) before the daemon goes:
     * MHD must not be stopped with a connection suspended. */
    work_pool_stop(srv->workers);
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
