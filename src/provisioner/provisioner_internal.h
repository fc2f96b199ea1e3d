/* Shared internals of the provisioner clients (provisioner.c, cas.c, sps.c, tdx.c). */
#ifndef SMS_PROVISIONER_INTERNAL_H
#define SMS_PROVISIONER_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "provisioner/provisioner.h"

struct provisioner {
    const sms_config *cfg;
    char *post_url;  /* where sessions are posted */
    char *sp_url;    /* secretProvisioningUrl returned to workers */
    char *cert_pem;  /* client certificate chain (PEM), NULL without a key store */
    size_t cert_len;
    char *key_pem;   /* client private key (PEM, secret: zeroed on free) */
    size_t key_len;
    pthread_mutex_t att_lock; /* guards the attestation URL memo below */
    char *att_url;
    int64_t att_until_ms;
};

typedef struct {
    const char *url;
    const char *label;        /* for logs: "CAS", "SPS", ... (never the URL: it may hold credentials) */
    const char *protocols;    /* allowed schemes, e.g. "https" */
    const char *content_type; /* POST only */
    const char *body;         /* NULL: GET */
    size_t body_len;
    const char *user;         /* basic auth (with password) or NULL */
    const char *password;
    int client_cert;          /* present the key store certificate, if any */
    int use_ca_file;          /* verify against cfg->provisioner_ca_file when set (else system store) */
    long timeout_ms;          /* total bound */
} prov_request;

/* One HTTP exchange on a fresh connection; the answer body is discarded. *status receives
 * the HTTP status. SMS_OK when an HTTP answer came back (whatever its status), SMS_ETIMEOUT,
 * SMS_EUNAVAIL (connection, TLS, protocol failure), SMS_ENOMEM. */
sms_status prov_http(const provisioner *p, const prov_request *r, long *status);

/* "http(s)://host:port" with IPv6 literals bracketed, followed by path; malloc'ed. */
char *prov_url(const char *scheme, const char *host, int port, const char *path);
/* "base" without one trailing '/', followed by path; malloc'ed. */
char *prov_join(const char *base, const char *path);

/* Per-framework setup (URLs) and posts. */
sms_status prov_cas_init(provisioner *p);
tee_error prov_cas_post(provisioner *p, const char *doc, size_t len);
tee_error prov_cas_attestation_url(provisioner *p, char **url);
sms_status prov_sps_init(provisioner *p);
tee_error prov_sps_post(provisioner *p, const char *doc, size_t len);
sms_status prov_tdx_init(provisioner *p);
tee_error prov_tdx_post(provisioner *p, const char *doc, size_t len);

#endif
