/* Internal interfaces between the session environment files (session_env.c, session_post.c,
 * session_bulk.c). Not a public API. */
#ifndef SMS_SESSION_INTERNAL_H
#define SMS_SESSION_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tee/session.h"

/* Bulk orders are refused beyond this many in one slice (the SDK's slices are far smaller):
 * the whole list is then treated as unreadable, i.e. empty. */
#define BULK_MAX_ORDERS 1000
/* Bound on each IPFS document (bulk description, slice). */
#define BULK_MAX_DOC_BYTES ((size_t)1 << 20)
#define BULK_HTTP_TIMEOUT_MS 5000L

/* One dataset order of a bulk slice (5.7). */
typedef struct {
    char *dataset;  /* the order's "dataset" text as given ("" when not a string) */
    int valid;      /* dataset readable + compatible with the deal + volume >= 2^53 - 2 */
    char *url;      /* valid only: dataset URI (4.7) */
    char *checksum; /* valid only */
    char *key;      /* valid only: dataset web3 secret, "" when absent (secret: wiped on clear) */
} bulk_order;

typedef struct {
    bulk_order *orders;
    size_t n;
} bulk_slice;

/* Fetch and check the task's bulk slice. Never fails on remote content (empty list);
 * returns TEE_SECURE_SESSION_GENERATION_FAILED only for local failures (memory, secret store
 * or decryption errors). */
tee_error bulk_slice_load(const session_inputs *in, bulk_slice *out);
void bulk_slice_clear(bulk_slice *s);

/* Calldata of assertDatasetDealCompatibility(order, dealId) (4.8) for one order object of
 * a slice. *out is malloc'ed (caller frees). SMS_EINVAL when a field is missing or malformed
 * (the order is then invalid), SMS_ENOMEM. *volume_ok receives volume >= 2^53 - 2.
 * Fields: dataset and *restrict addresses ("0x" + 40 hex), datasetprice and volume (JSON
 * integer >= 0 or decimal string, uint256), tag and salt ("0x" + 64 hex), sign (hex bytes,
 * at most 1024). */
sms_status bulk_encode_assert(const json_t *order, const uint8_t deal_id[32], uint8_t **out, size_t *out_len,
                              int *volume_ok);

/* Post-compute environment (5.9) into *post (sign tokens not included). */
tee_error session_post_env(const session_inputs *in, env_map *post);

/* "0x" + lower-case hex SHA-256 of s into out[67]. SMS_OK or SMS_ERR. */
sms_status session_sha256_hex(const char *s, char out[67]);

/* Wrappers mapping env_map failures to the session error. */
tee_error session_env_set(env_map *m, const char *key, const char *value);

#endif
