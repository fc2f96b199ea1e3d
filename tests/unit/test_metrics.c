/* Metrics (src/metrics/metrics.c): the /metrics JSON of sms-api.md 8.3 and the Prometheus
 * exposition of 8.4 plus request counters and a latency histogram per route. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include "metrics/metrics.h"

static const char *const labels[] = {"/secrets/web2", "/apps/{appAddress}/secrets", "/version"};
#define N_LABELS (sizeof labels / sizeof labels[0])

static const char *const json_types[] = {"web2", "web3", "compute", "TEE challenges", "Ethereum Credentials"};
static const char *const prom_types[] = {"web2", "web3", "compute", "tee_challenges", "ethereum_credentials"};

static int setup(void **state)
{
    *state = metrics_new(labels, N_LABELS);
    return *state != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    metrics_free(*state);
    return 0;
}

/* ---- JSON ---- */

static json_t *entry_of(json_t *doc, const char *type)
{
    json_t *all = json_object_get(doc, "secretsMetrics");
    assert_true(json_is_object(all));
    json_t *e = json_object_get(all, type);
    assert_true(json_is_object(e));
    return e;
}

static json_int_t member(json_t *doc, const char *type, const char *name)
{
    json_t *v = json_object_get(entry_of(doc, type), name);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static void test_json_shape(void **state)
{
    sms_metrics *m = *state;
    json_t *doc = metrics_secrets_json(m);
    assert_non_null(doc);
    assert_true(json_is_object(doc));
    assert_int_equal(json_object_size(doc), 1);
    json_t *all = json_object_get(doc, "secretsMetrics");
    assert_true(json_is_object(all));
    assert_int_equal(json_object_size(all), 5);
    static const char *const members[] = {"initialCount", "storedCount", "addedSinceStartCount",
                                          "cachedSecretsCount"};
    for (size_t t = 0; t < 5; t++) {
        json_t *e = entry_of(doc, json_types[t]);
        assert_int_equal(json_object_size(e), 5);
        json_t *type = json_object_get(e, "secretsType");
        assert_true(json_is_string(type));
        assert_string_equal(json_string_value(type), json_types[t]);
        for (size_t k = 0; k < 4; k++) {
            json_t *v = json_object_get(e, members[k]);
            assert_true(json_is_integer(v));
            assert_int_equal(json_integer_value(v), 0);
        }
    }
    json_decref(doc);
}

static void test_json_counters_move(void **state)
{
    sms_metrics *m = *state;
    metrics_set_initial(m, METRIC_WEB2, 12);
    metrics_set_initial(m, METRIC_WEB3, 5);
    metrics_set_initial(m, METRIC_COMPUTE, 7);
    metrics_set_initial(m, METRIC_CHALLENGES, 40);
    metrics_secret_added(m, METRIC_WEB2);
    metrics_secret_added(m, METRIC_WEB2);
    metrics_secret_added(m, METRIC_CHALLENGES);
    metrics_set_stored(m, METRIC_WEB2, 14);
    metrics_set_stored(m, METRIC_CHALLENGES, 41);
    metrics_set_cached(m, METRIC_WEB2, 3);
    metrics_set_cached(m, METRIC_COMPUTE, 1);
    metrics_set_cached(m, METRIC_CHALLENGES, 99); /* never reported: challenges have no cache */

    json_t *doc = metrics_secrets_json(m);
    assert_non_null(doc);
    assert_int_equal(member(doc, "web2", "initialCount"), 12);
    assert_int_equal(member(doc, "web2", "storedCount"), 14);
    assert_int_equal(member(doc, "web2", "addedSinceStartCount"), 2);
    assert_int_equal(member(doc, "web2", "cachedSecretsCount"), 3);
    assert_int_equal(member(doc, "web3", "initialCount"), 5);
    /* set_initial also initialises storedCount (sms-api.md 8.3). */
    assert_int_equal(member(doc, "web3", "storedCount"), 5);
    assert_int_equal(member(doc, "web3", "addedSinceStartCount"), 0);
    assert_int_equal(member(doc, "web3", "cachedSecretsCount"), 0);
    assert_int_equal(member(doc, "compute", "storedCount"), 7);
    assert_int_equal(member(doc, "compute", "cachedSecretsCount"), 1);
    for (int pass = 0; pass < 2; pass++) {
        const char *t = pass == 0 ? "TEE challenges" : "Ethereum Credentials";
        assert_int_equal(member(doc, t, "initialCount"), 40);
        assert_int_equal(member(doc, t, "storedCount"), 41);
        assert_int_equal(member(doc, t, "addedSinceStartCount"), 1);
        assert_int_equal(member(doc, t, "cachedSecretsCount"), 0);
    }
    json_decref(doc);

    /* A failed count is -1; 64-bit values survive. */
    metrics_set_stored(m, METRIC_WEB3, -1);
    metrics_set_cached(m, METRIC_WEB2, -1);
    metrics_set_initial(m, METRIC_COMPUTE, (int64_t)1 << 40);
    doc = metrics_secrets_json(m);
    assert_int_equal(member(doc, "web3", "storedCount"), -1);
    assert_int_equal(member(doc, "web2", "cachedSecretsCount"), -1);
    assert_true(member(doc, "compute", "initialCount") == ((json_int_t)1 << 40));
    assert_true(member(doc, "compute", "storedCount") == ((json_int_t)1 << 40));
    json_decref(doc);
}

static void test_added_only_moves_its_kind(void **state)
{
    sms_metrics *m = *state;
    for (int k = 0; k < METRIC_KINDS; k++) {
        for (int i = 0; i <= k; i++) metrics_secret_added(m, (metric_kind)k);
    }
    json_t *doc = metrics_secrets_json(m);
    assert_int_equal(member(doc, "web2", "addedSinceStartCount"), 1);
    assert_int_equal(member(doc, "web3", "addedSinceStartCount"), 2);
    assert_int_equal(member(doc, "compute", "addedSinceStartCount"), 3);
    assert_int_equal(member(doc, "TEE challenges", "addedSinceStartCount"), 4);
    assert_int_equal(member(doc, "Ethereum Credentials", "addedSinceStartCount"), 4);
    json_decref(doc);
}

/* ---- Prometheus ---- */

/* Value of the sample line starting with exactly `series` + " ", or fails. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; *line != '\0';) {
        const char *eol = strchr(line, '\n');
        assert_non_null(eol); /* every line ends with \n */
        if ((size_t)(eol - line) > n && strncmp(line, series, n) == 0 && line[n] == ' ') {
            char *end = NULL;
            double v = strtod(line + n + 1, &end);
            assert_ptr_equal(end, eol);
            return v;
        }
        line = eol + 1;
    }
    fail_msg("series not found: %s", series);
    return 0;
}

static int has_series(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; *line != '\0';) {
        const char *eol = strchr(line, '\n');
        if (eol == NULL) return 0;
        if ((size_t)(eol - line) > n && strncmp(line, series, n) == 0 && line[n] == ' ') return 1;
        line = eol + 1;
    }
    return 0;
}

/* Syntax of the exposition: "# TYPE name kind", or "name[{labels}] value"; every sample's
 * family has a TYPE line before it; no family is declared twice. */
static void check_exposition_syntax(const char *text)
{
    char declared[64][96];
    size_t n_declared = 0;
    assert_true(strlen(text) > 0);
    assert_int_equal(text[strlen(text) - 1], '\n');
    for (const char *line = text; *line != '\0';) {
        const char *eol = strchr(line, '\n');
        assert_non_null(eol);
        char buf[512];
        size_t len = (size_t)(eol - line);
        assert_true(len > 0 && len < sizeof buf);
        memcpy(buf, line, len);
        buf[len] = '\0';
        if (buf[0] == '#') {
            char name[96], kind[32];
            assert_int_equal(sscanf(buf, "# TYPE %95s %31s", name, kind), 2);
            assert_true(strcmp(kind, "counter") == 0 || strcmp(kind, "gauge") == 0 ||
                        strcmp(kind, "histogram") == 0);
            for (size_t i = 0; i < n_declared; i++)
                if (strcmp(declared[i], name) == 0) fail_msg("family declared twice: %s", name);
            assert_true(n_declared < 64);
            snprintf(declared[n_declared++], sizeof declared[0], "%s", name);
        } else {
            size_t name_len = strcspn(buf, "{ ");
            assert_true(name_len > 0);
            for (size_t i = 0; i < name_len; i++) {
                char c = buf[i];
                assert_true((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                            c == ':');
            }
            const char *rest = buf + name_len;
            if (*rest == '{') {
                /* name="value" pairs; values may contain braces, quotes are escaped. */
                rest++;
                while (*rest != '}') {
                    size_t ln = strcspn(rest, "=");
                    assert_true(ln > 0);
                    rest += ln;
                    assert_int_equal(rest[0], '=');
                    assert_int_equal(rest[1], '"');
                    rest += 2;
                    while (*rest != '"') {
                        assert_int_not_equal(*rest, '\0');
                        assert_int_not_equal(*rest, '\n');
                        rest += rest[0] == '\\' ? 2 : 1;
                    }
                    rest++;
                    if (*rest == ',') rest++;
                    else assert_int_equal(*rest, '}');
                }
                rest++;
            }
            assert_int_equal(*rest, ' ');
            char *end = NULL;
            (void)strtod(rest + 1, &end);
            assert_true(end != rest + 1 && *end == '\0');
            /* The family: the sample name, without a histogram suffix. */
            char family[96];
            snprintf(family, sizeof family, "%.*s", (int)name_len, buf);
            int found = 0;
            for (size_t i = 0; i < n_declared && !found; i++) {
                size_t fl = strlen(declared[i]);
                if (strcmp(declared[i], family) == 0) found = 1;
                else if (strncmp(declared[i], family, fl) == 0 &&
                         (strcmp(family + fl, "_bucket") == 0 || strcmp(family + fl, "_sum") == 0 ||
                          strcmp(family + fl, "_count") == 0))
                    found = 1;
            }
            if (!found) fail_msg("sample without TYPE: %s", buf);
        }
        line = eol + 1;
    }
}

static void test_prometheus_app_series(void **state)
{
    sms_metrics *m = *state;
    metrics_set_initial(m, METRIC_WEB2, 12);
    metrics_set_stored(m, METRIC_WEB2, 14);
    metrics_secret_added(m, METRIC_WEB2);
    metrics_set_cached(m, METRIC_WEB2, 3);
    metrics_set_initial(m, METRIC_CHALLENGES, 40);
    metrics_secret_added(m, METRIC_CHALLENGES);
    metrics_set_cached(m, METRIC_CHALLENGES, 5);
    char *text = metrics_prometheus_text(m, "9.3.1", "SCONE");
    assert_non_null(text);
    check_exposition_syntax(text);
    char series[128];
    for (size_t t = 0; t < 5; t++) {
        snprintf(series, sizeof series, "iexec_sms_secrets_%s_initial_total", prom_types[t]);
        assert_true(has_series(text, series));
        snprintf(series, sizeof series, "iexec_sms_secrets_%s_added_total", prom_types[t]);
        assert_true(has_series(text, series));
        snprintf(series, sizeof series, "iexec_sms_secrets_%s_stored", prom_types[t]);
        assert_true(has_series(text, series));
        snprintf(series, sizeof series, "iexec_sms_secrets_%s_cached", prom_types[t]);
        assert_true(has_series(text, series));
    }
    assert_true(sample(text, "iexec_sms_secrets_web2_initial_total") == 12);
    assert_true(sample(text, "iexec_sms_secrets_web2_stored") == 14);
    assert_true(sample(text, "iexec_sms_secrets_web2_added_total") == 1);
    assert_true(sample(text, "iexec_sms_secrets_web2_cached") == 3);
    assert_true(sample(text, "iexec_sms_secrets_web3_initial_total") == 0);
    assert_true(sample(text, "iexec_sms_secrets_tee_challenges_initial_total") == 40);
    assert_true(sample(text, "iexec_sms_secrets_tee_challenges_stored") == 40);
    assert_true(sample(text, "iexec_sms_secrets_tee_challenges_added_total") == 1);
    assert_true(sample(text, "iexec_sms_secrets_tee_challenges_cached") == 0);
    assert_true(sample(text, "iexec_sms_secrets_ethereum_credentials_initial_total") == 40);
    assert_true(sample(text, "iexec_sms_secrets_ethereum_credentials_added_total") == 1);
    assert_true(sample(text, "iexec_sms_secrets_ethereum_credentials_cached") == 0);
    assert_true(sample(text,
                       "iexec_version_info{iexecAppName=\"iexec-sms\",iexecAppVersion=\"9.3.1\",teeFramework=\"SCONE\"}") ==
                1);
    /* No request seen yet: no request series, the TYPE lines alone. */
    assert_null(strstr(text, "http_server_requests_total{"));
    assert_null(strstr(text, "http_server_request_duration_seconds_bucket{"));
    free(text);

    /* Secrets-only mode has no framework. */
    text = metrics_prometheus_text(m, "9.3.1-NEXT-SNAPSHOT", NULL);
    assert_non_null(text);
    check_exposition_syntax(text);
    assert_true(sample(text, "iexec_version_info{iexecAppName=\"iexec-sms\",iexecAppVersion=\"9.3.1-NEXT-SNAPSHOT\","
                             "teeFramework=\"\"}") == 1);
    free(text);
}

static void test_prometheus_request_counts(void **state)
{
    sms_metrics *m = *state;
    metrics_observe_request(m, 0, 204, 100);
    metrics_observe_request(m, 0, 204, 100);
    metrics_observe_request(m, 0, 401, 100);
    metrics_observe_request(m, 1, 404, 100);
    metrics_observe_request(m, -1, 404, 100);               /* no route */
    metrics_observe_request(m, (int)N_LABELS, 404, 100);    /* out of range: unmatched too */
    metrics_observe_request(m, 2, 418, 100);                /* untracked status */
    metrics_observe_request(m, 2, 200, 100);
    char *text = metrics_prometheus_text(m, "9.3.1", "TDX");
    assert_non_null(text);
    check_exposition_syntax(text);
    assert_true(sample(text, "http_server_requests_total{route=\"/secrets/web2\",status=\"204\"}") == 2);
    assert_true(sample(text, "http_server_requests_total{route=\"/secrets/web2\",status=\"401\"}") == 1);
    assert_true(sample(text, "http_server_requests_total{route=\"/apps/{appAddress}/secrets\",status=\"404\"}") == 1);
    assert_true(sample(text, "http_server_requests_total{route=\"unmatched\",status=\"404\"}") == 2);
    assert_true(sample(text, "http_server_requests_total{route=\"/version\",status=\"other\"}") == 1);
    assert_true(sample(text, "http_server_requests_total{route=\"/version\",status=\"200\"}") == 1);
    /* Zero series are not emitted. */
    assert_false(has_series(text, "http_server_requests_total{route=\"/secrets/web2\",status=\"404\"}"));
    assert_true(sample(text, "http_server_request_duration_seconds_count{route=\"/secrets/web2\"}") == 3);
    assert_true(sample(text, "http_server_request_duration_seconds_count{route=\"unmatched\"}") == 2);
    free(text);
}

/* Buckets of one route in exposition order: (le, cumulative count). */
static size_t buckets_of(const char *text, const char *route, double *le, double *cum, size_t cap)
{
    char prefix[160];
    snprintf(prefix, sizeof prefix, "http_server_request_duration_seconds_bucket{route=\"%s\",le=\"", route);
    size_t n = 0;
    for (const char *p = strstr(text, prefix); p != NULL; p = strstr(p + 1, prefix)) {
        assert_true(n < cap);
        const char *q = p + strlen(prefix);
        if (strncmp(q, "+Inf\"}", 6) == 0) {
            le[n] = 1e300;
            q += 6;
        } else {
            char *end = NULL;
            le[n] = strtod(q, &end);
            assert_true(end != q);
            assert_true(strncmp(end, "\"}", 2) == 0);
            q = end + 2;
        }
        assert_int_equal(*q, ' ');
        cum[n] = strtod(q + 1, NULL);
        n++;
    }
    return n;
}

static void test_prometheus_histogram(void **state)
{
    sms_metrics *m = *state;
    /* 0.1 ms, exactly 0.5 ms (inclusive upper bound), 1 ms, 3 ms, 0.7 s, 20 s (beyond all
     * finite buckets). */
    static const uint64_t durations_us[] = {100, 500, 1000, 3000, 700000, 20000000};
    for (size_t i = 0; i < sizeof durations_us / sizeof durations_us[0]; i++)
        metrics_observe_request(m, 0, 204, durations_us[i]);
    char *text = metrics_prometheus_text(m, "9.3.1", "SCONE");
    assert_non_null(text);
    check_exposition_syntax(text);
    double le[64], cum[64];
    size_t n = buckets_of(text, "/secrets/web2", le, cum, 64);
    assert_true(n >= 3);
    /* Bounds strictly increasing, counts non-decreasing, last is +Inf == count. */
    for (size_t i = 1; i < n; i++) {
        assert_true(le[i] > le[i - 1]);
        assert_true(cum[i] >= cum[i - 1]);
    }
    assert_true(le[n - 1] == 1e300);
    double count = sample(text, "http_server_request_duration_seconds_count{route=\"/secrets/web2\"}");
    assert_true(cum[n - 1] == count);
    assert_true(count == 6);
    /* Each finite bucket holds exactly the observations <= its bound. */
    for (size_t i = 0; i + 1 < n; i++) {
        unsigned expect = 0;
        for (size_t k = 0; k < sizeof durations_us / sizeof durations_us[0]; k++)
            if ((double)durations_us[k] / 1e6 <= le[i]) expect++;
        if (cum[i] != expect) fail_msg("bucket le=%g: %g, expected %u", le[i], cum[i], expect);
    }
    /* Sum in seconds. */
    double sum = sample(text, "http_server_request_duration_seconds_sum{route=\"/secrets/web2\"}");
    assert_true(sum > 20.7046 - 1e-6 && sum < 20.7046 + 1e-6);
    /* Routes without observations have no histogram. */
    assert_int_equal(buckets_of(text, "/version", le, cum, 64), 0);
    free(text);
}

static void test_prometheus_grows_beyond_initial_buffer(void **state)
{
    (void)state;
    /* Many routes with traffic: the exposition outgrows its first allocation. */
    enum { ROUTES = 200 };
    static char names[ROUTES][48];
    static const char *ptrs[ROUTES];
    for (int i = 0; i < ROUTES; i++) {
        snprintf(names[i], sizeof names[i], "/route/number/%03d", i);
        ptrs[i] = names[i];
    }
    sms_metrics *m = metrics_new(ptrs, ROUTES);
    assert_non_null(m);
    for (int i = 0; i < ROUTES; i++) {
        metrics_observe_request(m, i, 200, (uint64_t)i * 1000);
        metrics_observe_request(m, i, 500, 1);
    }
    char *text = metrics_prometheus_text(m, "9.3.1", "GRAMINE");
    assert_non_null(text);
    assert_true(strlen(text) > 8192);
    check_exposition_syntax(text);
    char series[10000];
    for (int i = 0; i < ROUTES; i++) {
        snprintf(series, sizeof series, "http_server_requests_total{route=\"%s\",status=\"500\"}", names[i]);
        assert_true(sample(text, series) == 1);
        snprintf(series, sizeof series, "http_server_request_duration_seconds_count{route=\"%s\"}", names[i]);
        assert_true(sample(text, series) == 2);
    }
    free(text);
    metrics_free(m);
}

static void test_no_routes(void **state)
{
    (void)state;
    sms_metrics *m = metrics_new(NULL, 0);
    assert_non_null(m);
    metrics_observe_request(m, 0, 404, 10);
    metrics_observe_request(m, -5, 404, 10);
    char *text = metrics_prometheus_text(m, "v", "SCONE");
    assert_non_null(text);
    check_exposition_syntax(text);
    assert_true(sample(text, "http_server_requests_total{route=\"unmatched\",status=\"404\"}") == 2);
    free(text);
    json_t *doc = metrics_secrets_json(m);
    assert_non_null(doc);
    json_decref(doc);
    metrics_free(m);
    metrics_free(NULL);
}

typedef struct {
    sms_metrics *m;
    int route;
} obs_arg;

static void *observer(void *p)
{
    obs_arg *a = p;
    for (int i = 0; i < 20000; i++) {
        metrics_observe_request(a->m, a->route, i % 2 ? 204 : 401, (uint64_t)(i % 5000));
        metrics_secret_added(a->m, METRIC_WEB2);
    }
    return NULL;
}

static void test_concurrent_counts_are_exact(void **state)
{
    sms_metrics *m = *state;
    enum { THREADS = 4 };
    pthread_t t[THREADS];
    obs_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i].m = m;
        args[i].route = i % 2;
        assert_int_equal(pthread_create(&t[i], NULL, observer, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    char *text = metrics_prometheus_text(m, "9.3.1", "SCONE");
    assert_non_null(text);
    assert_true(sample(text, "http_server_requests_total{route=\"/secrets/web2\",status=\"204\"}") == 20000);
    assert_true(sample(text, "http_server_requests_total{route=\"/secrets/web2\",status=\"401\"}") == 20000);
    assert_true(sample(text, "http_server_request_duration_seconds_count{route=\"/apps/{appAddress}/secrets\"}") ==
                40000);
    assert_true(sample(text, "iexec_sms_secrets_web2_added_total") == 80000);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_json_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_counters_move, setup, teardown),
        cmocka_unit_test_setup_teardown(test_added_only_moves_its_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prometheus_app_series, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prometheus_request_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prometheus_histogram, setup, teardown),
        cmocka_unit_test(test_prometheus_grows_beyond_initial_buffer),
        cmocka_unit_test(test_no_routes),
        cmocka_unit_test_setup_teardown(test_concurrent_counts_are_exact, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
