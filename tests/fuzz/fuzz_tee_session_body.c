/* POST /tee/sessions (src/api/api_tee.c) with arbitrary bodies, Authorization and
 * Content-Type headers, through the pre-routing filter, the route table and the metrics
 * hook like the server runs it, on a Gramine TEE service whose chain node and secret
 * provisioner are a closed port.
 *
 * Input: one flags byte (bit 0: no Authorization header, bit 1: no Content-Type header),
 * then   content-type NUL authorization NUL body   (body: every remaining byte).
 *
 * Invariants, besides the response checks shared with fuzz_http_request:
 *   - nothing reaches the chain client unless the Authorization header is the worker's
 *     signature of the authorization hash (tee-sessions.md 5.1 step 2: refused before any
 *     chain read), the harness recomputing that check independently of the service;
 *   - such a request with a well-formed WorkerpoolAuthorization gets exactly
 *     401 {"error":"INVALID_AUTHORIZATION"};
 *   - a missing Authorization is a 400, a non-JSON content type a 415 (Spring error
 *     documents), and no session is ever granted (status 200) without a chain. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hex.h"
#include "fuzz_app.h"
#include "tee/tee_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define ZERO_TASK_ID "0x0000000000000000000000000000000000000000000000000000000000000000"

static fuzz_app app;
static const http_route *session_route;
static int verbose; /* FUZZ_VERBOSE=1: one line per request (for reviewing seeds) */

static void cleanup(void) { fuzz_app_destroy(&app); }

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (fuzz_app_init(&app) != 0) abort();
    atexit(cleanup);
    for (size_t i = 0; i < app.n_routes; i++)
        if (strcmp(app.routes[i].pattern, "/tee/sessions") == 0) session_route = &app.routes[i];
    if (session_route == NULL) abort();
    const char *v = getenv("FUZZ_VERBOSE");
    verbose = v != NULL && v[0] == '1';
    return 0;
}

/* A string member as the handler reads it: NULL when absent or null; -1 for another type. */
static int member_str(const json_t *obj, const char *name, const char **out)
{
    const json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (v == NULL || json_is_null(v)) return 0;
    if (!json_is_string(v)) return -1;
    *out = json_string_value(v);
    return 0;
}

typedef struct {
    const char *task_id, *worker, *enclave, *signature;
} authorization_body;

/* 1 when the body is a WorkerpoolAuthorization the handler accepts (2.1), else 0. */
static int parse_body(const json_t *root, authorization_body *a)
{
    const char *deal = NULL;
    memset(a, 0, sizeof *a);
    if (!json_is_object(root)) return 0;
    if (member_str(root, "chainTaskId", &a->task_id) != 0 || member_str(root, "dealId", &deal) != 0 ||
        member_str(root, "workerWallet", &a->worker) != 0 || member_str(root, "enclaveChallenge", &a->enclave) != 0)
        return 0;
    const json_t *idx = json_object_get(root, "taskIndex");
    if (idx != NULL && !json_is_null(idx) && !json_is_integer(idx)) return 0;
    const json_t *sig = json_object_get(root, "signature");
    if (sig != NULL && !json_is_null(sig)) {
        if (!json_is_object(sig)) return 0;
        if (member_str(sig, "value", &a->signature) != 0) return 0;
    }
    return 1;
}

/* 5.1 step 2, recomputed: the header recovers to workerWallet over authorization_hash. */
static int worker_signature_verifies(const authorization_body *a, const char *auth)
{
    uint8_t hash[32];
    char signer[POCO_ADDR_STR];
    if (auth == NULL || a->worker == NULL) return 0;
    if (address_parse(a->worker, NULL) != SMS_OK) return 0;
    if (tee_authorization_hash(a->worker, a->task_id != NULL ? a->task_id : ZERO_TASK_ID,
                               a->enclave != NULL ? a->enclave : "", hash) != SMS_OK)
        return 0;
    return tee_recover_signer(hash, auth, signer) == SMS_OK && strcasecmp(signer, a->worker) == 0;
}

/* What Spring's JSON converter accepts (api_tee.c json_content_type), kept independent. */
static int json_content_type(const char *ct)
{
    if (ct == NULL) return 0;
    while (*ct == ' ' || *ct == '\t') ct++;
    size_t n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0) return 1;
    return n > 17 && strncasecmp(ct, "application/", 12) == 0 && strncasecmp(ct + n - 5, "+json", 5) == 0 &&
           memchr(ct + 12, '/', n - 12) == NULL;
}

static void check_error_body(const json_t *doc, const char *name)
{
    const json_t *e = json_object_get(doc, "error");
    if (!json_is_object(doc) || json_object_size(doc) != 1 || !json_is_string(e)) abort();
    if (name != NULL && strcmp(json_string_value(e), name) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_request f;
    http_response r;
    const http_route *route = NULL;
    unsigned allowed = 0;
    int cors = 0;
    if (size < 1 || size > FUZZ_MAX_BODY) return 0;
    unsigned flags = data[0];
    char *buf = malloc(size);
    if (buf == NULL) return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';

    /* content-type NUL authorization NUL body */
    size_t n = size - 1, pos = 0;
    const char *ct = buf;
    pos = strlen(ct) + 1;
    const char *auth = pos <= n ? buf + pos : "";
    if (pos <= n) pos += strlen(auth) + 1;
    const uint8_t *body = pos < n ? (const uint8_t *)buf + pos : NULL;
    size_t body_len = pos < n ? n - pos : 0;
    if (flags & 1) auth = NULL;
    if (flags & 2) ct = NULL;

    fuzz_request_init(&f, HTTP_POST, "/tee/sessions");
    if (ct != NULL) fuzz_request_header(&f, "Content-Type", ct);
    if (auth != NULL) fuzz_request_header(&f, "Authorization", auth);
    fuzz_request_body(&f, body, body_len);
    http_response_init(&r);

    uint64_t sent_before = chain_client_requests_sent(app.chain);
    if (api_pre_route(&app.app, &f.req, &r)) abort(); /* the gate is open */
    if (http_route_match(app.routes, app.n_routes, f.req.path, f.req.method, &f.req, f.vars, sizeof f.vars, &route,
                         &allowed, &cors) != ROUTE_FOUND ||
        route != session_route)
        abort();
    route->handler(&app.app, &f.req, &r);
    api_observe(&app.app, &f.req, r.status, 0);
    uint64_t sent = chain_client_requests_sent(app.chain) - sent_before;

    json_t *doc = fuzz_check_response(&r);
    if (atomic_load(&app.app.guarded_in_flight) != 0) abort();
    if (r.status == 200) abort(); /* no chain, no provisioner: never a session */

    json_t *root = NULL;
    authorization_body a;
    int well_formed = 0;
    if (body != NULL) {
        json_error_t jerr;
        root = json_loadb((const char *)body, body_len, 0, &jerr);
        well_formed = root != NULL && parse_body(root, &a);
    }
    int verifies = well_formed && worker_signature_verifies(&a, auth);
    if (verbose)
        fprintf(stderr, "-> %u %s (well-formed %d, worker signature %d, chain requests %llu)\n", r.status,
                r.body != NULL ? r.body : "", well_formed, verifies, (unsigned long long)sent);
    if (!verifies && sent != 0) abort();

    if (auth == NULL) {
        if (r.status != 400 || doc == NULL) abort();
    } else if (!json_content_type(ct)) {
        if (r.status != 415 || doc == NULL) abort();
    } else if (!well_formed) {
        if (r.status != 400 || doc == NULL || json_object_get(doc, "timestamp") == NULL) abort();
    } else if (!verifies) {
        if (r.status != 401 || doc == NULL) abort();
        check_error_body(doc, "INVALID_AUTHORIZATION");
    } else {
        /* Past the worker's signature: some session error, always {"error":"NAME"}. */
        if ((r.status != 401 && r.status != 500) || doc == NULL) abort();
        check_error_body(doc, NULL);
    }

    json_decref(root);
    json_decref(doc);
    http_response_clear(&r);
    free(buf);
    return 0;
}
