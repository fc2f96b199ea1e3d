/* The TEE service behind /tee (tee-sessions.md 1-3, 5): enclave challenges for schedulers and
 * session generation for workers, on one framework (the configuration's).
 *
 * Both entry points are blocking (chain reads, store writes, provisioner post) and meant to
 * be called from the HTTP server's connection threads; the service is thread-safe. Nothing
 * secret (keys, session documents, environment values, Authorization headers) is logged. */
#ifndef SMS_TEE_SERVICE_H
#define SMS_TEE_SERVICE_H

#include <stddef.h>

#include "chain/chain.h"
#include "chain/poco.h"
#include "config/config.h"
#include "core/status.h"
#include "metrics/metrics.h"
#include "secrets/secrets.h"
#include "store/store.h"
#include "tee/tee_error.h"

typedef struct tee_service tee_service;

/* Immutable PoCo objects kept by the service's cache (deals, categories, apps, datasets). */
#define TEE_POCO_CACHE_ENTRIES 4096

/* cfg (framework != NONE), store, secrets and chain are borrowed and must outlive the
 * service; metrics may be NULL. Builds the provisioner client (reads the key store).
 * errbuf (may be NULL) receives a one-line reason. SMS_OK, SMS_EINVAL, SMS_ENOMEM, SMS_ERR. */
sms_status tee_service_new(const sms_config *cfg, sms_store *store, secrets_service *secrets, chain_client *chain,
                           sms_metrics *metrics, tee_service **out, char *errbuf, size_t errcap);
void tee_service_free(tee_service *svc);

/* POST /tee/challenges/{task_id} (3.1) with header `authorization` (the workerpool owner's
 * signature of keccak256(task id)). The task id must be "0x" + 64 hex digits; the signature
 * is parsed and its signer recovered before any chain read, then one bundle read checks 2.5
 * (task ACTIVE, deal and category readable, TEE tag of this SMS's framework, signer = the
 * deal's workerpool owner). address receives the challenge address ("0x" + 40 lower-case).
 * Returns SMS_OK; SMS_EAUTH for every authorization failure (401); another status when the
 * challenge could not be created (404). */
sms_status tee_service_challenge(tee_service *svc, const char *task_id, const char *authorization,
                                 char address[POCO_ADDR_STR]);

/* The WorkerpoolAuthorization of POST /tee/sessions (2.1), strings as received (borrowed).
 * NULL members are absent ones. */
typedef struct {
    const char *chain_task_id;     /* absent: "0x" + 64 zeros, like the reference's default */
    const char *deal_id;           /* only a hint for the chain read */
    const char *worker_wallet;     /* absent: INVALID_AUTHORIZATION */
    const char *enclave_challenge; /* absent: "" */
    const char *signature;         /* signature.value; absent: INVALID_AUTHORIZATION */
} tee_session_request;

#define TEE_SESSION_ID_MAX 96

typedef struct {
    char session_id[TEE_SESSION_ID_MAX];  /* 10 random [A-Za-z0-9] + "0000" + chainTaskId as received */
    const char *secret_provisioning_url; /* valid until tee_service_free */
} tee_session_result;

/* POST /tee/sessions (5.1-5.3): authorization (worker header signature, then 2.5 and the
 * framework match), task description from the same chain read, pipeline, enclave challenge
 * (must exist for the task and equal rq->enclave_challenge), environments, document, post.
 * authorization: the header value (NULL or malformed: INVALID_AUTHORIZATION).
 * Returns TEE_OK with *out filled, or the error to answer with tee_error_http_status. */
tee_error tee_service_session(tee_service *svc, const tee_session_request *rq, const char *authorization,
                              tee_session_result *out);

#endif
