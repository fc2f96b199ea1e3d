#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "helpers/fake_rpc.h"

#define FAKE_RPC_MAX_CONTRACTS 16
#define FAKE_RPC_REQ_CAP 65536

typedef struct {
    char contract[64];
    char result[256];
    int is_error;
} rpc_entry;

struct fake_rpc {
    int listen_fd;
    pthread_t thread;
    atomic_int stop;
    atomic_int mode;
    atomic_uint calls;
    pthread_mutex_t lock;
    rpc_entry entries[FAKE_RPC_MAX_CONTRACTS];
    size_t n_entries;
    char url[64];
};

/* Wait for readability with a short period so that stop requests are noticed. */
static int wait_readable(fake_rpc *r, int fd)
{
    while (!atomic_load(&r->stop)) {
        struct pollfd p = {fd, POLLIN, 0};
        int n = poll(&p, 1, 20);
        if (n > 0) return 1;
        if (n < 0 && errno != EINTR) return 0;
    }
    return 0;
}

static int send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads one request; returns a malloc'ed NUL-terminated body or NULL. */
static char *read_request(fake_rpc *r, int fd)
{
    char *buf = malloc(FAKE_RPC_REQ_CAP + 1);
    if (buf == NULL) return NULL;
    size_t used = 0;
    size_t body_at = 0, body_len = 0;
    for (;;) {
        if (body_at > 0 && used >= body_at + body_len) break;
        if (used == FAKE_RPC_REQ_CAP || !wait_readable(r, fd)) goto fail;
        ssize_t n = recv(fd, buf + used, FAKE_RPC_REQ_CAP - used, 0);
        if (n <= 0) goto fail;
        used += (size_t)n;
        buf[used] = '\0';
        if (body_at == 0) {
            char *end = strstr(buf, "\r\n\r\n");
            if (end == NULL) continue;
            body_at = (size_t)(end - buf) + 4;
            char *cl = strcasestr(buf, "\r\nContent-Length:");
            if (cl == NULL || cl > end) goto fail;
            body_len = strtoul(cl + strlen("\r\nContent-Length:"), NULL, 10);
            if (body_len > FAKE_RPC_REQ_CAP - body_at) goto fail;
        }
    }
    memmove(buf, buf + body_at, body_len);
    buf[body_len] = '\0';
    return buf;
fail:
    free(buf);
    return NULL;
}

static json_t *answer_one(fake_rpc *r, json_t *call)
{
    json_t *id = json_object_get(call, "id");
    json_t *params = json_object_get(call, "params");
    json_t *first = json_is_array(params) ? json_array_get(params, 0) : NULL;
    const char *to = json_string_value(json_object_get(first, "to"));
    atomic_fetch_add(&r->calls, 1);
    const rpc_entry *hit = NULL;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; to != NULL && i < r->n_entries; i++)
        if (strcasecmp(r->entries[i].contract, to) == 0) hit = &r->entries[i];
    json_t *ans;
    if (hit != NULL && !hit->is_error)
        ans = json_pack("{s:s, s:O, s:s}", "jsonrpc", "2.0", "id", id != NULL ? id : json_null(), "result",
                        hit->result);
    else
        ans = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id != NULL ? id : json_null(), "error",
                        "code", -32000, "message", "execution reverted");
    pthread_mutex_unlock(&r->lock);
    return ans;
}

static void serve(fake_rpc *r, int fd)
{
    char *body = read_request(r, fd);
    if (body == NULL) return;
    int mode = atomic_load(&r->mode);
    if (mode == FAKE_RPC_SILENT) {
        /* Hold the connection until the client gives up. */
        char sink[256];
        while (wait_readable(r, fd) && recv(fd, sink, sizeof sink, 0) > 0) {
        }
        free(body);
        return;
    }
    char *text = NULL;
    unsigned status = 200;
    if (mode == FAKE_RPC_HTTP_500) {
        status = 500;
        text = strdup("oops");
    } else {
        json_t *req = json_loads(body, 0, NULL);
        json_t *ans = NULL;
        if (json_is_array(req)) {
            ans = json_array();
            size_t i;
            json_t *one;
            json_array_foreach(req, i, one) json_array_append_new(ans, answer_one(r, one));
        } else if (json_is_object(req)) {
            ans = answer_one(r, req);
        }
        if (ans != NULL) text = json_dumps(ans, JSON_COMPACT);
        json_decref(ans);
        json_decref(req);
        if (text == NULL) {
            status = 400;
            text = strdup("bad request");
        }
    }
    free(body);
    if (text == NULL) return;
    char head[160];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %u X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, strlen(text));
    if (n > 0 && (size_t)n < sizeof head && send_all(fd, head, (size_t)n) == 0) send_all(fd, text, strlen(text));
    free(text);
}

static void *run(void *arg)
{
    fake_rpc *r = arg;
    while (wait_readable(r, r->listen_fd)) {
        int fd = accept(r->listen_fd, NULL, NULL);
        if (fd < 0) continue;
        serve(r, fd);
        shutdown(fd, SHUT_RDWR);
        close(fd);
    }
    return NULL;
}

fake_rpc *fake_rpc_start(void)
{
    fake_rpc *r = calloc(1, sizeof *r);
    if (r == NULL) return NULL;
    pthread_mutex_init(&r->lock, NULL);
    r->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (r->listen_fd < 0 || bind(r->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(r->listen_fd, 16) != 0 || getsockname(r->listen_fd, (struct sockaddr *)&a, &alen) != 0)
        goto fail;
    snprintf(r->url, sizeof r->url, "http://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    if (pthread_create(&r->thread, NULL, run, r) != 0) goto fail;
    return r;
fail:
    if (r->listen_fd >= 0) close(r->listen_fd);
    pthread_mutex_destroy(&r->lock);
    free(r);
    return NULL;
}

const char *fake_rpc_url(const fake_rpc *r) { return r->url; }

void fake_rpc_set_result(fake_rpc *r, const char *contract, const char *result_hex)
{
    pthread_mutex_lock(&r->lock);
    rpc_entry *e = NULL;
    for (size_t i = 0; i < r->n_entries; i++)
        if (strcasecmp(r->entries[i].contract, contract) == 0) e = &r->entries[i];
    if (e == NULL && r->n_entries < FAKE_RPC_MAX_CONTRACTS) e = &r->entries[r->n_entries++];
    if (e != NULL) {
        snprintf(e->contract, sizeof e->contract, "%s", contract);
        snprintf(e->result, sizeof e->result, "%s", result_hex != NULL ? result_hex : "");
        e->is_error = result_hex == NULL;
    }
    pthread_mutex_unlock(&r->lock);
}

void fake_rpc_set_owner(fake_rpc *r, const char *contract, const char *owner)
{
    char word[67];
    const char *hex = strncmp(owner, "0x", 2) == 0 ? owner + 2 : owner;
    snprintf(word, sizeof word, "0x000000000000000000000000%.40s", hex);
    fake_rpc_set_result(r, contract, word);
}

void fake_rpc_set_mode(fake_rpc *r, fake_rpc_mode mode) { atomic_store(&r->mode, (int)mode); }

unsigned fake_rpc_calls(fake_rpc *r) { return atomic_load(&r->calls); }

void fake_rpc_stop(fake_rpc *r)
{
    if (r == NULL) return;
    atomic_store(&r->stop, 1);
    pthread_join(r->thread, NULL);
    close(r->listen_fd);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
