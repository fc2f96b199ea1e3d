/* JSON-RPC client to an Ethereum node (libcurl): eth_call, single and batched.
 * Keep-alive connections are reused through a bounded pool of curl handles; every
 * request has a total timeout, so a dead or slow node gives SMS_ETIMEOUT / SMS_ECHAIN
 * within that bound, never a hang; when the node comes back the next call works. */
#ifndef SMS_CHAIN_H
#define SMS_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct chain_client chain_client;

/* node_url: http(s) URL of the node. timeout_ms: total bound per request (connect+transfer).
 * A random "from" address is generated per client (sms-api.md 5.4.2). */
sms_status chain_client_new(const char *node_url, long timeout_ms, chain_client **out);
void chain_client_free(chain_client *c);

/* eth_call {from, to, data} at "latest". *result is malloc'ed (caller frees), may be 0 bytes
 * (the node answered "0x"). SMS_EUNAVAIL: the node could not be reached (connection refused,
 * reset, name not resolved) or answered HTTP 5xx; SMS_ECHAIN: the node answered but with an
 * HTTP 4xx, a JSON-RPC error or revert, or a malformed answer; SMS_ETIMEOUT: no complete
 * answer within the timeout. */
sms_status chain_eth_call(chain_client *c, const char *to, const uint8_t *data, size_t data_len, uint8_t **result,
                          size_t *result_len);

/* Several eth_calls in one JSON-RPC batch (one HTTP round trip). Each call's own
 * status/result is filled; the function returns SMS_OK if the round trip itself succeeded. */
typedef struct {
    const char *to;
    const uint8_t *data;
    size_t data_len;
    uint8_t *result;      /* out, malloc'ed, caller frees */
    size_t result_len;    /* out */
    sms_status status;    /* out */
} chain_call;
sms_status chain_eth_call_batch(chain_client *c, chain_call *calls, size_t n);

/* The random "from" address of this client ("0x" + 40 lower-case hex digits), valid until
 * chain_client_free. Exposed for logs and tests. */
const char *chain_client_from(const chain_client *c);

/* Number of HTTP requests sent so far (for tests and benches). */
uint64_t chain_client_requests_sent(const chain_client *c);

#endif
