/* Clients of the secret provisioners that receive the session documents (tee-sessions.md
 * 6.3-6.4, 7.2, 8.3): the Scone CAS (HTTPS with a client certificate), the Gramine SPS (HTTP
 * with basic auth) and the TDX session storage (HTTP or HTTPS, client certificate when
 * configured). One client serves the framework of the configuration.
 *
 * TLS: server certificates are always verified, with the host name, against
 * IEXEC_SECRET_PROVISIONER_CA_FILE (a CA bundle or the pinned server certificate itself) when
 * set, else against the system trust store; there is no "trust all" mode (12.4).
 * Every call is bounded by cfg->provisioner_timeout_ms; a fresh connection is used per post
 * (the CAS misbehaves with reused TLS sessions, 6.4). Bodies are never logged. */
#ifndef SMS_PROVISIONER_H
#define SMS_PROVISIONER_H

#include <stddef.h>

#include "config/config.h"
#include "core/status.h"
#include "tee/tee_error.h"

typedef struct provisioner provisioner;

/* Build the client for cfg->framework (SCONE, GRAMINE or TDX). cfg is borrowed and must
 * outlive the client. The PKCS12 key store (IEXEC_SMS_SSL_KEYSTORE, _PASSWORD) is read and
 * decrypted here, once: mandatory for Scone, optional for TDX, unused for Gramine; the CA
 * file must be readable when configured. errbuf (may be NULL) receives a one-line reason
 * (never the password). SMS_OK, SMS_EINVAL (bad configuration, unreadable key store or CA
 * file), SMS_ENOMEM, SMS_ERR. */
sms_status provisioner_new(const sms_config *cfg, provisioner **out, char *errbuf, size_t errcap);
/* Zeroes the client key material and frees. NULL-safe. */
void provisioner_free(provisioner *p);

/* What workers use to reach the provisioner (9): "host:port" of the enclave endpoint for
 * Scone and Gramine, the remote-attestation URL for TDX. Valid until provisioner_free. */
const char *provisioner_secret_provisioning_url(const provisioner *p);

/* Scone attestation server (6.3): the configured URLs are tried in random order with
 * GET <url>/.well-known/openid-configuration; the first 2xx wins. The last winner is reused
 * for a minute without probing. *url receives a malloc'ed copy (caller frees) or NULL when
 * there is none and the mode is not maa. Returns TEE_OK, or
 * TEE_SECURE_SESSION_STORAGE_CALL_FAILED in maa mode when no server answers (12.16), or
 * TEE_SECURE_SESSION_GENERATION_FAILED (memory). For other frameworks: TEE_OK and NULL. */
tee_error provisioner_scone_attestation_url(provisioner *p, char **url);

/* POST a session document (doc, len bytes; a secret, never copied beyond libcurl's send
 * path) to the framework's provisioner: CAS POST /session (application/octet-stream, success
 * = 201 only), SPS POST /api/session (application/json, any 2xx), TDX POST <post-url>/session
 * (application/json, any 2xx). Returns TEE_OK or TEE_SECURE_SESSION_STORAGE_CALL_FAILED (any
 * other status, TLS or network failure, timeout). Thread-safe. */
tee_error provisioner_post_session(provisioner *p, const char *doc, size_t len);

#endif
