/* Counters behind /metrics (sms-api.md 8.3) and /actuator/prometheus (8.4 plus request
 * counts by route and status and a latency histogram). Lock-free (atomics). */
#ifndef SMS_METRICS_H
#define SMS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef enum { METRIC_WEB2 = 0, METRIC_WEB3, METRIC_COMPUTE, METRIC_CHALLENGES, METRIC_KINDS } metric_kind;

typedef struct sms_metrics sms_metrics;

/* route_labels: one label per route of the route table (borrowed; must outlive). */
sms_metrics *metrics_new(const char *const *route_labels, size_t n_routes);
void metrics_free(sms_metrics *m);

void metrics_set_initial(sms_metrics *m, metric_kind k, int64_t n);
/* -1 records a failed count. */
void metrics_set_stored(sms_metrics *m, metric_kind k, int64_t n);
void metrics_set_cached(sms_metrics *m, metric_kind k, int64_t n);
void metrics_secret_added(sms_metrics *m, metric_kind k);

/* route_id -1 = no route matched. */
void metrics_observe_request(sms_metrics *m, int route_id, unsigned status, uint64_t duration_us);

/* {"secretsMetrics":{...}} (new reference). */
json_t *metrics_secrets_json(const sms_metrics *m);
/* Prometheus text exposition format; malloc'ed, NUL-terminated. */
char *metrics_prometheus_text(const sms_metrics *m, const char *version, const char *framework);

#endif
