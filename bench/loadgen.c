/* sms-loadgen: signed POST /secrets/web2 load generator (issue 2 benchmark).
 *
 * Every request is signed and serialised before the clock starts, so the figure measures
 * the server, not the client's secp256k1 signing. Each of C connections runs on its own
 * thread with HTTP/1.1 keep-alive and one request in flight (a closed loop: C concurrent
 * clients); connections take the next unsent request from a shared counter so that a slow
 * connection does not leave the others idle at the end.
 *
 * Every request creates a distinct secret (name "bench-<run>-<i>"), owned by one of K
 * signing keys, so each one is a real signature recovery, encryption and durable insert.
 *
 * Output: a human summary on stderr and one machine-readable line on stdout:
 *   RESULT writes_per_s=<f> ok=<n> non204=<n> neterr=<n> seconds=<f> p50_ms=<f> p99_ms=<f>
 *   HEAD_TARGET /secrets/web2?ownerAddress=...&secretName=...   (first secret written)
 * With -g GATE, "READY" is printed on stdout once the requests are signed, and the load starts
 * only when the file GATE exists: several load generators (e.g. one per daemon) then start
 * together, none of them signing while another one is already measuring. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/hex.h"
#include "core/secure.h"
#include "core/status.h"
#include "crypto/ethsig.h"
#include "crypto/keccak.h"
#include "secrets/challenge.h"
#include "parallel.h"

#define REQ_SLOT 1024        /* bytes reserved per serialised request */
#define VALUE_MAX 256        /* value bytes at most (keeps requests within REQ_SLOT) */
#define KEYS_MAX 64
#define CONNS_MAX 1024
#define TOTAL_MAX 1000000L     /* pre-built requests are kept in memory (~1 KB each) */
#define RESP_BUF 16384       /* responses of this API are a few hundred bytes at most */
#define STATUS_CODES 600
#define SIGN_THREADS_MAX 64
#define GATE_WAIT_S 300      /* give up when the gate file never appears */

typedef struct {
    uint8_t seckey[32];
    uint8_t addr[20];
    char addr_str[ETH_ADDRESS_STR_LEN];
} bench_key;

typedef struct {
    /* options */
    const char *host;
    const char *port;
    int conns;
    long total;
    int value_len;
    char run_id[32];
    const char *gate;             /* start file (-g), or NULL to start at once */
    bench_key keys[KEYS_MAX];
    int nkeys;
    /* pre-built requests: request i is at reqs + i * REQ_SLOT, req_len[i] bytes */
    char *reqs;
    uint16_t *req_len;
    /* results */
    uint32_t *lat_us;             /* per request, UINT32_MAX when it got no response */
    atomic_long next;
    atomic_long status_count[STATUS_CODES];
    atomic_long neterr;
    struct addrinfo *ai;
    pthread_barrier_t start;
} loadgen;

static sms_status parse_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return SMS_EINVAL;
    *out = v;
    return SMS_OK;
}

/* Deterministic key i: keccak256("iexec-sms-bench-key-<i>"), so that runs are repeatable
 * and the keys never collide with a real account. */
static sms_status key_derive(int i, bench_key *k)
{
    char seed[64];
    int n = snprintf(seed, sizeof seed, "iexec-sms-bench-key-%d", i);

    if (n < 0 || (size_t)n >= sizeof seed)
        return SMS_ERR;
    keccak256((const uint8_t *)seed, (size_t)n, k->seckey);
    if (eth_address_of(k->seckey, k->addr) != SMS_OK)
        return SMS_EINVAL;
    address_format(k->addr, k->addr_str);
    return SMS_OK;
}

static sms_status key_parse(const char *hex, size_t len, bench_key *k)
{
    size_t got = 0;

    if (hex_decode(hex, len, k->seckey, sizeof k->seckey, &got) != SMS_OK || got != 32)
        return SMS_EINVAL;
    if (eth_address_of(k->seckey, k->addr) != SMS_OK)
        return SMS_EINVAL;
    address_format(k->addr, k->addr_str);
    return SMS_OK;
}

/* "-K hex,hex,..." */
static sms_status keys_parse_list(loadgen *lg, const char *list)
{
    const char *p = list;

    lg->nkeys = 0;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (lg->nkeys >= KEYS_MAX || key_parse(p, len, &lg->keys[lg->nkeys]) != SMS_OK)
            return SMS_EINVAL;
        lg->nkeys++;
        p += len;
        if (*p == ',')
            p++;
    }
    return lg->nkeys > 0 ? SMS_OK : SMS_EINVAL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: sms-loadgen -p PORT [-h HOST] [-c CONNECTIONS] [-n REQUESTS] [-k NKEYS | -K HEXKEY,...]\n"
               "                   [-r RUN_ID] [-v VALUE_BYTES] [-g GATE_FILE]\n"
               "  -h HOST        server address (default 127.0.0.1)\n"
               "  -p PORT        server port (required)\n"
               "  -c N           concurrent keep-alive connections, one thread each (default 16)\n"
               "  -n N           signed POST /secrets/web2 requests in total (default 20000)\n"
               "  -k N           sign with N deterministic bench keys (default 4, at most %d)\n"
               "  -K HEX,...     sign with these 32-byte private keys instead\n"
               "  -r ID          run id used in secret names (default: from time and pid)\n"
               "  -v N           secret value bytes, 1..%d (default 32)\n"
               "  -g PATH        once signed, print READY and wait until PATH exists to start\n",
            KEYS_MAX, VALUE_MAX);
}

static sms_status parse_args(loadgen *lg, int argc, char **argv)
{
    long v;
    int opt;
    const char *key_list = NULL;

    lg->host = "127.0.0.1";
    lg->port = NULL;
    lg->conns = 16;
    lg->total = 20000;
    lg->value_len = 32;
    lg->nkeys = 4;
    lg->gate = NULL;
    snprintf(lg->run_id, sizeof lg->run_id, "%lx%x", (unsigned long)time(NULL), (unsigned)getpid());
    while ((opt = getopt(argc, argv, "h:p:c:n:k:K:r:v:g:")) != -1) {
        switch (opt) {
        case 'h': lg->host = optarg; break;
        case 'p': lg->port = optarg; break;
        case 'c':
            if (parse_long(optarg, 1, CONNS_MAX, &v) != SMS_OK)
                return SMS_EINVAL;
            lg->conns = (int)v;
            break;
        case 'n':
            if (parse_long(optarg, 1, TOTAL_MAX, &v) != SMS_OK)
                return SMS_EINVAL;
            lg->total = v;
            break;
        case 'k':
            if (parse_long(optarg, 1, KEYS_MAX, &v) != SMS_OK)
                return SMS_EINVAL;
            lg->nkeys = (int)v;
            break;
        case 'K': key_list = optarg; break;
        case 'g': lg->gate = optarg; break;
        case 'r':
            /* Names go into the query string unencoded: keep to [A-Za-z0-9-]. */
            if (strlen(optarg) == 0 || strlen(optarg) >= sizeof lg->run_id ||
                strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != strlen(optarg))
                return SMS_EINVAL;
            snprintf(lg->run_id, sizeof lg->run_id, "%s", optarg);
            break;
        case 'v':
            if (parse_long(optarg, 1, VALUE_MAX, &v) != SMS_OK)
                return SMS_EINVAL;
            lg->value_len = (int)v;
            break;
        default: return SMS_EINVAL;
        }
    }
    if (lg->port == NULL || optind != argc)
        return SMS_EINVAL;
    if (key_list != NULL)
        return keys_parse_list(lg, key_list);
    for (int i = 0; i < lg->nkeys; i++)
        if (key_derive(i, &lg->keys[i]) != SMS_OK)
            return SMS_ERR;
    return SMS_OK;
}

/* ---- request preparation ---- */

static void request_name(const loadgen *lg, long i, char *out, size_t cap)
{
    snprintf(out, cap, "bench-%s-%ld", lg->run_id, i);
}

/* Printable, distinct per request: "v<i>-" then filler up to value_len. */
static size_t request_value(const loadgen *lg, long i, char *out)
{
    char head[32];
    int n = snprintf(head, sizeof head, "v%ld-", i);
    size_t len = (size_t)lg->value_len;

    for (size_t j = 0; j < len; j++)
        out[j] = (n > 0 && j < (size_t)n) ? head[j] : (char)('a' + (j % 26));
    return len;
}

static sms_status build_request(loadgen *lg, long i)
{
    const bench_key *k = &lg->keys[i % lg->nkeys];
    char name[96];
    char value[VALUE_MAX];
    uint8_t challenge[32];
    char sig[133];
    size_t value_len;
    int n;
    char *slot = lg->reqs + (size_t)i * REQ_SLOT;

    request_name(lg, i, name, sizeof name);
    value_len = request_value(lg, i, value);
    challenge_named(k->addr, (const uint8_t *)name, strlen(name), (const uint8_t *)value, value_len, challenge);
    if (eth_sign_personal(k->seckey, challenge, sig) != SMS_OK)
        return SMS_ECRYPTO;
    n = snprintf(slot, REQ_SLOT,
                 "POST /secrets/web2?ownerAddress=%s&secretName=%s HTTP/1.1\r\n"
                 "Host: %s:%s\r\n"
                 "Authorization: %s\r\n"
                 "Content-Type: text/plain\r\n"
                 "Content-Length: %zu\r\n"
                 "\r\n",
                 k->addr_str, name, lg->host, lg->port, sig, value_len);
    if (n < 0 || (size_t)n + value_len > REQ_SLOT)
        return SMS_ETOOBIG;
    memcpy(slot + n, value, value_len);
    lg->req_len[i] = (uint16_t)((size_t)n + value_len);
    return SMS_OK;
}

static sms_status build_one(void *ctx, long i) { return build_request(ctx, i); }

/* Signing N requests costs N signatures: spread them over the cores. */
static sms_status build_requests(loadgen *lg)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int nthreads = ncpu < 1 ? 1 : ncpu > SIGN_THREADS_MAX ? SIGN_THREADS_MAX : (int)ncpu;

    lg->reqs = malloc((size_t)lg->total * REQ_SLOT);
    lg->req_len = calloc((size_t)lg->total, sizeof *lg->req_len);
    lg->lat_us = malloc((size_t)lg->total * sizeof *lg->lat_us);
    if (lg->reqs == NULL || lg->req_len == NULL || lg->lat_us == NULL)
        return SMS_ENOMEM;
    for (long i = 0; i < lg->total; i++)
        lg->lat_us[i] = UINT32_MAX;
    return parallel_for(lg->total, nthreads, build_one, lg);
}

/* ---- connections ---- */

typedef struct {
    loadgen *lg;
    int fd;
    char buf[RESP_BUF];
    size_t have;  /* bytes in buf */
    long sent;
} conn;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sms_status conn_open(conn *c)
{
    int one = 1;

    if (c->fd >= 0)
        close(c->fd);
    c->have = 0;
    c->fd = socket(c->lg->ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return SMS_EIO;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, c->lg->ai->ai_addr, c->lg->ai->ai_addrlen) != 0) {
        close(c->fd);
        c->fd = -1;
        return SMS_EUNAVAIL;
    }
    return SMS_OK;
}

static sms_status send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return SMS_EIO;
        p += n;
        len -= (size_t)n;
    }
    return SMS_OK;
}

static sms_status recv_more(conn *c)
{
    ssize_t n;

    if (c->have >= sizeof c->buf)
        return SMS_ETOOBIG;
    do
        n = recv(c->fd, c->buf + c->have, sizeof c->buf - c->have, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return SMS_EIO;
    c->have += (size_t)n;
    return SMS_OK;
}

/* Value of header `name` within the header block [p, end), NUL-free; 0 if absent. */
static int header_value(const char *p, const char *end, const char *name, const char **val, size_t *val_len)
{
    size_t name_len = strlen(name);

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        if ((size_t)(line_end - p) > name_len && strncasecmp(p, name, name_len) == 0 && p[name_len] == ':') {
            const char *v = p + name_len + 1;
            while (v < line_end && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = line_end;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            *val = v;
            *val_len = (size_t)(ve - v);
            return 1;
        }
        p = eol ? eol + 1 : end;
    }
    return 0;
}

/* Read one response: *status gets the code, *keep_alive whether the connection may be
 * reused. Only Content-Length framing is supported (what the daemon sends); anything
 * else is a framing error and the connection is reopened. */
static sms_status read_response(conn *c, int *status, int *keep_alive)
{
    const char *hdr_end;
    size_t head_len, body_len = 0, total;
    const char *v;
    size_t vlen;
    sms_status st;

    for (;;) {
        hdr_end = c->have >= 4 ? memmem(c->buf, c->have, "\r\n\r\n", 4) : NULL;
        if (hdr_end != NULL)
            break;
        if ((st = recv_more(c)) != SMS_OK)
            return st;
    }
    head_len = (size_t)(hdr_end - c->buf) + 4;
    if (head_len < 12 || memcmp(c->buf, "HTTP/1.", 7) != 0 || c->buf[8] != ' ' || c->buf[9] < '1' ||
        c->buf[9] > '5' || c->buf[10] < '0' || c->buf[10] > '9' || c->buf[11] < '0' || c->buf[11] > '9')
        return SMS_EINVAL;
    *status = (c->buf[9] - '0') * 100 + (c->buf[10] - '0') * 10 + (c->buf[11] - '0');
    *keep_alive = c->buf[7] == '1';
    if (header_value(c->buf, hdr_end, "Connection", &v, &vlen) && vlen == 5 && strncasecmp(v, "close", 5) == 0)
        *keep_alive = 0;
    if (header_value(c->buf, hdr_end, "Transfer-Encoding", &v, &vlen))
        return SMS_EINVAL;
    if (header_value(c->buf, hdr_end, "Content-Length", &v, &vlen)) {
        char num[24];
        long n;
        if (vlen == 0 || vlen >= sizeof num)
            return SMS_EINVAL;
        memcpy(num, v, vlen);
        num[vlen] = '\0';
        if (parse_long(num, 0, RESP_BUF, &n) != SMS_OK)
            return SMS_EINVAL;
        body_len = (size_t)n;
    }
    total = head_len + body_len;
    if (total > sizeof c->buf)
        return SMS_ETOOBIG;
    while (c->have < total)
        if ((st = recv_more(c)) != SMS_OK)
            return st;
    /* Keep whatever follows (there should be nothing: one request in flight). */
    memmove(c->buf, c->buf + total, c->have - total);
    c->have -= total;
    return SMS_OK;
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    loadgen *lg = c->lg;
    int connected = conn_open(c) == SMS_OK;

    pthread_barrier_wait(&lg->start);
    for (;;) {
        long i = atomic_fetch_add(&lg->next, 1);
        int status = 0, keep_alive = 0;
        double t0;
        sms_status st;

        if (i >= lg->total)
            break;
        if (!connected && conn_open(c) != SMS_OK) {
            atomic_fetch_add(&lg->neterr, 1);
            continue;
        }
        connected = 1;
        t0 = now_s();
        st = send_all(c->fd, lg->reqs + (size_t)i * REQ_SLOT, lg->req_len[i]);
        if (st == SMS_OK)
            st = read_response(c, &status, &keep_alive);
        if (st != SMS_OK) {
            atomic_fetch_add(&lg->neterr, 1);
            connected = 0;
            continue;
        }
        double us = (now_s() - t0) * 1e6;
        lg->lat_us[i] = us >= (double)UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)us;
        atomic_fetch_add(&lg->status_count[status], 1);
        c->sent++;
        if (!keep_alive)
            connected = 0;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Latency percentile over the requests that got a response (sorted in place). */
static sms_status percentiles(loadgen *lg, long answered, double *p50_ms, double *p99_ms)
{
    *p50_ms = *p99_ms = 0;
    if (answered == 0)
        return SMS_OK;
    qsort(lg->lat_us, (size_t)lg->total, sizeof *lg->lat_us, cmp_u32); /* unanswered sort last */
    *p50_ms = lg->lat_us[(answered - 1) / 2] / 1000.0;
    *p99_ms = lg->lat_us[(answered - 1) * 99 / 100] / 1000.0;
    return SMS_OK;
}

/* Announce READY, then poll (every millisecond) until the gate file exists. */
static sms_status wait_gate(const char *gate)
{
    struct stat st;
    const struct timespec tick = {0, 1000000};
    double deadline = now_s() + GATE_WAIT_S;

    printf("READY\n");
    if (fflush(stdout) != 0)
        return SMS_EIO;
    while (stat(gate, &st) != 0) {
        if (now_s() > deadline)
            return SMS_ETIMEOUT;
        nanosleep(&tick, NULL);
    }
    return SMS_OK;
}

static sms_status run(loadgen *lg)
{
    conn *conns = NULL;
    pthread_t *tids = NULL;
    int started = 0;
    double t0, secs;
    long ok, other = 0, neterr, answered;
    double p50, p99;
    sms_status ret = SMS_ERR;

    conns = calloc((size_t)lg->conns, sizeof *conns);
    tids = calloc((size_t)lg->conns, sizeof *tids);
    if (conns == NULL || tids == NULL) {
        ret = SMS_ENOMEM;
        goto cleanup;
    }
    if (pthread_barrier_init(&lg->start, NULL, (unsigned)lg->conns + 1) != 0)
        goto cleanup;
    for (int t = 0; t < lg->conns; t++) {
        conns[t].lg = lg;
        conns[t].fd = -1;
        if (pthread_create(&tids[t], NULL, conn_main, &conns[t]) != 0) {
            /* Threads already waiting on the barrier would block forever: give up hard. */
            fprintf(stderr, "sms-loadgen: cannot start thread %d\n", t);
            exit(1);
        }
        started++;
    }
    pthread_barrier_wait(&lg->start);
    t0 = now_s();
    for (int t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    secs = now_s() - t0;
    pthread_barrier_destroy(&lg->start);

    ok = atomic_load(&lg->status_count[204]);
    for (int s = 0; s < STATUS_CODES; s++)
        if (s != 204)
            other += atomic_load(&lg->status_count[s]);
    neterr = atomic_load(&lg->neterr);
    answered = ok + other;
    percentiles(lg, answered, &p50, &p99);

    fprintf(stderr, "sms-loadgen: %ld requests over %d connections, %d keys, %.3f s\n", lg->total, lg->conns,
            lg->nkeys, secs);
    fprintf(stderr, "sms-loadgen: 204: %ld, other statuses: %ld, network/framing errors: %ld\n", ok, other, neterr);
    for (int s = 0; s < STATUS_CODES; s++) {
        long n = atomic_load(&lg->status_count[s]);
        if (s != 204 && n > 0)
            fprintf(stderr, "sms-loadgen:   status %d: %ld\n", s, n);
    }
    fprintf(stderr, "sms-loadgen: %.1f writes/s (204 only), latency p50 %.2f ms, p99 %.2f ms\n", ok / secs, p50,
            p99);
    printf("RESULT writes_per_s=%.1f ok=%ld non204=%ld neterr=%ld seconds=%.3f p50_ms=%.2f p99_ms=%.2f\n",
           ok / secs, ok, other, neterr, secs, p50, p99);
    {
        char name[96];
        request_name(lg, 0, name, sizeof name);
        printf("HEAD_TARGET /secrets/web2?ownerAddress=%s&secretName=%s\n", lg->keys[0].addr_str, name);
    }
    ret = SMS_OK;

cleanup:
    free(conns);
    free(tids);
    return ret;
}

int main(int argc, char **argv)
{
    static loadgen lg; /* large (status counters); zero-initialised */
    struct addrinfo hints;
    int rc;
    double t0;
    sms_status st;
    int exit_code = 1;

    if (parse_args(&lg, argc, argv) != SMS_OK) {
        usage(stderr);
        return 2;
    }
    if (ethsig_init() != SMS_OK) {
        fprintf(stderr, "sms-loadgen: cannot initialise secp256k1\n");
        return 1;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(lg.host, lg.port, &hints, &lg.ai);
    if (rc != 0) {
        fprintf(stderr, "sms-loadgen: %s:%s: %s\n", lg.host, lg.port, gai_strerror(rc));
        goto cleanup;
    }
    t0 = now_s();
    st = build_requests(&lg);
    if (st != SMS_OK) {
        fprintf(stderr, "sms-loadgen: cannot prepare requests: %s\n", sms_status_name(st));
        goto cleanup;
    }
    fprintf(stderr, "sms-loadgen: signed %ld requests in %.2f s (not timed)\n", lg.total, now_s() - t0);
    if (lg.gate != NULL && wait_gate(lg.gate) != SMS_OK) {
        fprintf(stderr, "sms-loadgen: gate %s did not open within %d s\n", lg.gate, GATE_WAIT_S);
        goto cleanup;
    }
    if (run(&lg) == SMS_OK)
        exit_code = 0;

cleanup:
    for (int i = 0; i < lg.nkeys; i++)
        secure_zero(lg.keys[i].seckey, sizeof lg.keys[i].seckey);
    if (lg.ai != NULL)
        freeaddrinfo(lg.ai);
    free(lg.reqs);
    free(lg.req_len);
    free(lg.lat_us);
    ethsig_cleanup();
    return exit_code;
}
