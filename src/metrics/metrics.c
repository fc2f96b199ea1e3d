#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"

static const unsigned tracked_statuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503};
#define N_STATUS (sizeof tracked_statuses / sizeof tracked_statuses[0] + 1) /* + "other" */
static const double bucket_bounds_s[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
#define N_BUCKETS (sizeof bucket_bounds_s / sizeof bucket_bounds_s[0])

typedef struct {
    atomic_uint_fast64_t by_status[N_STATUS];
    atomic_uint_fast64_t buckets[N_BUCKETS]; /* non-cumulative; summed at export */
    atomic_uint_fast64_t count;
    atomic_uint_fast64_t sum_us;
} route_stats;

struct sms_metrics {
    const char *const *labels;
    size_t n_routes;
    route_stats *routes; /* n_routes + 1 (unmatched) */
    atomic_int_fast64_t initial[METRIC_KINDS];
    atomic_int_fast64_t stored[METRIC_KINDS];
    atomic_int_fast64_t cached[METRIC_KINDS];
    atomic_int_fast64_t added[METRIC_KINDS];
};

static const char *const kind_names[METRIC_KINDS] = {"web2", "web3", "compute", "TEE challenges"};
static const char *const kind_prom[METRIC_KINDS] = {"web2", "web3", "compute", "tee_challenges"};

sms_metrics *metrics_new(const char *const *route_labels, size_t n_routes)
{
    sms_metrics *m = calloc(1, sizeof *m);
    if (m == NULL) return NULL;
    m->routes = calloc(n_routes + 1, sizeof *m->routes);
    if (m->routes == NULL) {
        free(m);
        return NULL;
    }
    m->labels = route_labels;
    m->n_routes = n_routes;
    return m;
}

void metrics_free(sms_metrics *m)
{
    if (m == NULL) return;
    free(m->routes);
    free(m);
}

void metrics_set_initial(sms_metrics *m, metric_kind k, int64_t n)
{
    atomic_store(&m->initial[k], n);
    atomic_store(&m->stored[k], n);
}
void metrics_set_stored(sms_metrics *m, metric_kind k, int64_t n) { atomic_store(&m->stored[k], n); }
void metrics_set_cached(sms_metrics *m, metric_kind k, int64_t n) { atomic_store(&m->cached[k], n); }
void metrics_secret_added(sms_metrics *m, metric_kind k) { atomic_fetch_add(&m->added[k], 1); }

void metrics_observe_request(sms_metrics *m, int route_id, unsigned status, uint64_t duration_us)
{
    size_t idx = (route_id >= 0 && (size_t)route_id < m->n_routes) ? (size_t)route_id : m->n_routes;
    route_stats *rs = &m->routes[idx];
    size_t s = N_STATUS - 1;
    for (size_t i = 0; i < N_STATUS - 1; i++)
        if (tracked_statuses[i] == status) s = i;
    atomic_fetch_add(&rs->by_status[s], 1);
    double secs = (double)duration_us / 1e6;
    for (size_t b = 0; b < N_BUCKETS; b++) {
        if (secs <= bucket_bounds_s[b]) {
            atomic_fetch_add(&rs->buckets[b], 1);
            break;
        }
    }
    atomic_fetch_add(&rs->count, 1);
    atomic_fetch_add(&rs->sum_us, duration_us);
}

json_t *metrics_secrets_json(const sms_metrics *m)
{
    json_t *all = json_object();
    if (all == NULL) return NULL;
    /* The reference reports challenges twice: as challenges and as their credentials. */
    for (int k = 0; k <= METRIC_KINDS; k++) {
        int src = k < METRIC_KINDS ? k : METRIC_CHALLENGES;
        const char *name = k < METRIC_KINDS ? kind_names[k] : "Ethereum Credentials";
        int64_t cached = (src == METRIC_CHALLENGES) ? 0 : atomic_load(&m->cached[src]);
        json_t *one = json_pack("{s:s, s:I, s:I, s:I, s:I}", "secretsType", name, "initialCount",
                                (json_int_t)atomic_load(&m->initial[src]), "storedCount",
                                (json_int_t)atomic_load(&m->stored[src]), "addedSinceStartCount",
                                (json_int_t)atomic_load(&m->added[src]), "cachedSecretsCount", (json_int_t)cached);
        if (one == NULL || json_object_set_new(all, name, one) != 0) {
            json_decref(all);
            return NULL;
        }
    }
    return json_pack("{s:o}", "secretsMetrics", all);
}

/* Growable text buffer for the exposition. */
typedef struct {
    char *p;
    size_t len, cap;
    int failed;
} textbuf;

static void tb_printf(textbuf *tb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_printf(textbuf *tb, const char *fmt, ...)
{
    if (tb->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tb->p + tb->len, tb->cap - tb->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            tb->failed = 1;
            return;
        }
        if ((size_t)n < tb->cap - tb->len) {
            tb->len += (size_t)n;
            return;
        }
        size_t cap = tb->cap * 2 + (size_t)n;
        char *grown = realloc(tb->p, cap);
        if (grown == NULL) {
            tb->failed = 1;
            return;
        }
        tb->p = grown;
        tb->cap = cap;
    }
}

static const char *route_label(const sms_metrics *m, size_t i) { return i < m->n_routes ? m->labels[i] : "unmatched"; }

char *metrics_prometheus_text(const sms_metrics *m, const char *version, const char *framework)
{
    textbuf tb = {malloc(8192), 0, 8192, 0};
    if (tb.p == NULL) return NULL;
    for (int k = 0; k < METRIC_KINDS; k++) {
        const char *t = kind_prom[k];
        for (int pass = 0; pass < 2; pass++) {
            /* Challenges and their credentials share one table here. */
            if (pass == 1 && k != METRIC_CHALLENGES) break;
            if (pass == 1) t = "ethereum_credentials";
            tb_printf(&tb, "# TYPE iexec_sms_secrets_%s_initial_total counter\n", t);
            tb_printf(&tb, "iexec_sms_secrets_%s_initial_total %lld\n", t, (long long)atomic_load(&m->initial[k]));
            tb_printf(&tb, "# TYPE iexec_sms_secrets_%s_added_total counter\n", t);
            tb_printf(&tb, "iexec_sms_secrets_%s_added_total %lld\n", t, (long long)atomic_load(&m->added[k]));
            tb_printf(&tb, "# TYPE iexec_sms_secrets_%s_stored gauge\n", t);
            tb_printf(&tb, "iexec_sms_secrets_%s_stored %lld\n", t, (long long)atomic_load(&m->stored[k]));
            tb_printf(&tb, "# TYPE iexec_sms_secrets_%s_cached gauge\n", t);
            tb_printf(&tb, "iexec_sms_secrets_%s_cached %lld\n", t,
                      (long long)(k == METRIC_CHALLENGES ? 0 : atomic_load(&m->cached[k])));
        }
    }
    tb_printf(&tb, "# TYPE iexec_sms_secrets gauge\n");
    for (int k = 0; k < METRIC_KINDS; k++)
        tb_printf(&tb, "iexec_sms_secrets{kind=\"%s\"} %lld\n", kind_prom[k], (long long)atomic_load(&m->stored[k]));
    tb_printf(&tb, "# TYPE iexec_version_info gauge\n");
    tb_printf(&tb, "iexec_version_info{iexecAppName=\"iexec-sms\",iexecAppVersion=\"%s\",teeFramework=\"%s\"} 1\n",
              version, framework != NULL ? framework : "");

    tb_printf(&tb, "# TYPE http_server_requests_total counter\n");
    for (size_t i = 0; i <= m->n_routes; i++) {
        for (size_t s = 0; s < N_STATUS; s++) {
            uint64_t n = atomic_load(&m->routes[i].by_status[s]);
            if (n == 0) continue;
            char status[8];
            if (s < N_STATUS - 1) snprintf(status, sizeof status, "%u", tracked_statuses[s]);
            else snprintf(status, sizeof status, "other");
            tb_printf(&tb, "http_server_requests_total{route=\"%s\",status=\"%s\"} %llu\n", route_label(m, i), status,
                      (unsigned long long)n);
        }
    }
    tb_printf(&tb, "# TYPE http_server_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= m->n_routes; i++) {
        const route_stats *rs = &m->routes[i];
        uint64_t count = atomic_load(&rs->count);
        if (count == 0) continue;
        uint64_t cumulative = 0;
        for (size_t b = 0; b < N_BUCKETS; b++) {
            cumulative += atomic_load(&rs->buckets[b]);
            tb_printf(&tb, "http_server_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                      route_label(m, i), bucket_bounds_s[b], (unsigned long long)cumulative);
        }
        tb_printf(&tb, "http_server_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                  route_label(m, i), (unsigned long long)count);
        tb_printf(&tb, "http_server_request_duration_seconds_sum{route=\"%s\"} %.6f\n", route_label(m, i),
                  (double)atomic_load(&rs->sum_us) / 1e6);
        tb_printf(&tb, "http_server_request_duration_seconds_count{route=\"%s\"} %llu\n", route_label(m, i),
                  (unsigned long long)count);
    }
    if (tb.failed) {
        free(tb.p);
        return NULL;
    }
    return tb.p;
}
