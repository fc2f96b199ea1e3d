/* Session generation (tee-sessions.md 5.4-5.9) and the framework documents (6, 7, 8). */
#ifndef SMS_SESSION_H
#define SMS_SESSION_H

#include <stddef.h>

#include "chain/poco.h"
#include "config/config.h"
#include "secrets/secrets.h"
#include "tee/env_map.h"
#include "tee/task_description.h"
#include "tee/tee_error.h"

typedef struct {
    const task_description *td;
    const char *worker_address;        /* EIP-55 checksummed workerWallet */
    const char *enclave_challenge;     /* as received in the request */
    const char *challenge_private_key; /* "0x" + 64 hex (secret). NULL: the task has no challenge
                                        * (GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CHALLENGE); "": the
                                        * challenge has no key (..._EMPTY_TEE_CREDENTIALS) */
    const tee_pipeline *pipeline;      /* the pipeline chosen for the task */
    secrets_service *secrets;          /* to read dataset, app, requester and web2 secrets */
    const char *ipfs_gateway_url;      /* bulk processing (5.7); NULL: every bulk list is empty */
    chain_client *chain;               /* bulk order checks (dataset read + assertDatasetDealCompatibility);
                                        * NULL: every bulk order is invalid */
    poco_cache *cache;                 /* may be NULL */
    const char *hub;                   /* hub address, needed with chain */
} session_inputs;

typedef struct {
    int has_pre;      /* requiresPreCompute (Gramine computes it but never posts it) */
    env_map pre;
    env_map app;
    env_map post;
    char *app_mrenclave; /* SGX: enclave fingerprint; TDX: NULL */
    char *app_command;   /* td_app_command */
} session_base;

/* Environments in the order and with the error codes of 5.4. out is cleared on error.
 * Secrets come from in->secrets (SMS_ENOTFOUND = absent). Errors outside 5.4's list (a store
 * or decryption failure, memory, a requester secret name of the wrong length) give
 * TEE_SECURE_SESSION_GENERATION_FAILED. Bulk (5.7): the IPFS description and slice are
 * fetched once (GET {ipfs_gateway_url}/ipfs/{cid}, 5 s, 1 MiB each, CIDs must be
 * alphanumeric) and used for both the pre-compute and the app environments; any failure
 * gives an empty list. Blocking (secret reads, IPFS, chain): call from a worker thread. */
tee_error session_base_build(const session_inputs *in, session_base *out);
void session_base_clear(session_base *b);

typedef struct {
    const char *tolerated_insecure_options; /* comma list, may be empty */
    const char *ignored_sgx_advisories;     /* comma list, may be empty */
    const char *mode;                       /* "maa" / "hardware" */
    const char *url;                        /* resolved attestation URL or NULL */
} scone_attestation;

/* Documents; *out is malloc'ed, NUL-terminated, holds secrets: caller secure_free()s it
 * (*len + 1 bytes). SMS_OK, SMS_ENOMEM, SMS_ERR (emitter failure), SMS_EINVAL (a NULL
 * session_id, b, p, out or len; td for TDX), SMS_ETOOBIG (over 64 MiB).
 * Scone (6.1/6.2): pre-compute service and image only when b->has_pre; LD_LIBRARY_PATH and
 * JAVA_TOOL_OPTIONS first in the pre/post environments, overriding same-named tokens; string
 * values double-quoted, no line folding. att may be NULL (empty lists, null mode and url);
 * its comma lists are split, trimmed, empties dropped. A NULL app_mrenclave or app_command is
 * emitted as "" (12.12). Gramine (7.1): app and post-compute only. TDX (8.2): version
 * "0.1.0", pre-compute iff b->has_pre, app image_name = td->app_uri, fingerprint =
 * td->app_checksum. Best effort against secret residue: our buffers are zeroed; libyaml's
 * and jansson's internal copies of scalars are freed by them without zeroing (the emitter
 * output buffer and jansson's strings are zeroed before release). */
sms_status session_scone_yaml(const char *session_id, const session_base *b, const tee_pipeline *p,
                              const scone_attestation *att, char **out, size_t *len);
sms_status session_gramine_json(const char *session_id, const session_base *b, const tee_pipeline *p, char **out,
                                size_t *len);
sms_status session_tdx_json(const char *session_id, const session_base *b, const tee_pipeline *p,
                            const task_description *td, char **out, size_t *len);

#endif
