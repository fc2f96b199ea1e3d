/* HTTP/1.1 server (libmicrohttpd): one epoll event thread per core parses requests and
 * answers GET, HEAD and OPTIONS itself; every other method may block (durable commit, chain
 * call, provisioner post) and runs on a bounded worker pool while its connection is
 * suspended, so a slow handler never stalls other clients. Bounds: body size, connection
 * count, idle timeout, header memory, worker queue (503 when full). */
#ifndef SMS_SERVER_H
#define SMS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "http/router.h"

typedef struct http_server http_server;

typedef struct {
    const char *listen_address;  /* IPv4 or IPv6 literal */
    int port;                    /* 0 = ephemeral (see http_server_port) */
    size_t max_body_bytes;       /* larger bodies get 413 before being read */
    unsigned max_connections;
    unsigned connection_timeout_s;
    const http_route *routes;    /* borrowed, must outlive the server */
    size_t n_routes;
    int inline_writes;           /* run ROUTE_INLINE routes on the event threads (their
                                    handlers can defer instead of blocking) */
    void *app;                   /* passed to handlers and hooks */
    /* Runs before routing; returns 1 when it answered (e.g. API-key or maintenance
     * filters), 0 to continue. May be NULL. */
    int (*pre_route)(void *app, http_request *req, http_response *resp);
    /* Called once after every response with the request (NULL when refused before being
     * read, e.g. an announced oversized body), the status and the handling time. May be NULL. */
    void (*observe)(void *app, const http_request *req, unsigned status, uint64_t duration_us);
} http_server_config;

sms_status http_server_start(const http_server_config *cfg, http_server **out, char *errbuf, size_t errcap);
/* Port actually bound. */
int http_server_port(const http_server *srv);
/* Stop accepting, let in-flight requests finish (at most drain_ms), then close. */
void http_server_stop(http_server *srv, unsigned drain_ms);

#endif
