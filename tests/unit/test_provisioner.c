/* Provisioner clients (src/provisioner) against in-test servers: an HTTPS server written
 * with OpenSSL that demands a client certificate (the CAS, the TDX storage), a plain HTTP
 * server (the SPS, attestation servers). The PKI (CA, server and client certificates, PKCS12
 * key stores) is generated at start-up with the OpenSSL API into a scratch directory. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "config/config.h"
#include "helpers/tmpdir.h"
#include "provisioner/provisioner.h"

/* ---- PKI ---- */

typedef struct {
    EVP_PKEY *key;
    X509 *cert;
} ident;

static char *g_dir;
static ident g_ca, g_other_ca, g_server, g_server_wrong_name, g_client, g_rogue;
static char g_ca_file[1200], g_other_ca_file[1200], g_empty_file[1200], g_client_p12[1200], g_rogue_p12[1200],
    g_garbage_p12[1200], g_pinned_file[1200];

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v;
    X509V3_set_ctx_nodb(&v);
    X509V3_set_ctx(&v, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v, nid, value);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

/* Key + certificate for cn, signed by issuer (self-signed when NULL). */
static ident make_ident(const char *cn, const ident *issuer, int ca, const char *san)
{
    static long serial = 1;
    ident id;
    id.key = EVP_EC_gen("P-256");
    assert_non_null(id.key);
    id.cert = X509_new();
    X509 *x = id.cert;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, id.key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer->cert) : name);
    X509 *iss = issuer != NULL ? issuer->cert : x;
    add_ext(x, iss, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (ca) add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(x, iss, NID_subject_key_identifier, "hash");
    if (issuer != NULL) add_ext(x, iss, NID_authority_key_identifier, "keyid");
    if (san != NULL) add_ext(x, iss, NID_subject_alt_name, san);
    assert_true(X509_sign(x, issuer != NULL ? issuer->key : id.key, EVP_sha256()) > 0);
    return id;
}

static void write_pem(const char *path, X509 *cert)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    if (cert != NULL) assert_int_equal(PEM_write_X509(f, cert), 1);
    fclose(f);
}

static void write_p12(const char *path, const ident *id, const char *password, const char *alias)
{
    PKCS12 *p12 = PKCS12_create(password, alias, id->key, id->cert, NULL, 0, 0, 0, 0, 0);
    assert_non_null(p12);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(i2d_PKCS12_fp(f, p12), 1);
    fclose(f);
    PKCS12_free(p12);
}

static void free_ident(ident *id)
{
    EVP_PKEY_free(id->key);
    X509_free(id->cert);
}

static int group_setup(void **state)
{
    (void)state;
    g_dir = tmpdir_make("provisioner");
    if (g_dir == NULL) return -1;
    g_ca = make_ident("test CA", NULL, 1, NULL);
    g_other_ca = make_ident("other CA", NULL, 1, NULL);
    g_server = make_ident("localhost", &g_ca, 0, "DNS:localhost,IP:127.0.0.1");
    g_server_wrong_name = make_ident("cas.example", &g_ca, 0, "DNS:cas.example");
    g_client = make_ident("iexec-sms-client", &g_ca, 0, NULL);
    g_rogue = make_ident("rogue-client", &g_other_ca, 0, NULL);
    tmpdir_join(g_dir, "ca.pem", g_ca_file, sizeof g_ca_file);
    tmpdir_join(g_dir, "other-ca.pem", g_other_ca_file, sizeof g_other_ca_file);
    tmpdir_join(g_dir, "empty.pem", g_empty_file, sizeof g_empty_file);
    tmpdir_join(g_dir, "pinned.pem", g_pinned_file, sizeof g_pinned_file);
    tmpdir_join(g_dir, "client.p12", g_client_p12, sizeof g_client_p12);
    tmpdir_join(g_dir, "rogue.p12", g_rogue_p12, sizeof g_rogue_p12);
    tmpdir_join(g_dir, "garbage.p12", g_garbage_p12, sizeof g_garbage_p12);
    write_pem(g_ca_file, g_ca.cert);
    write_pem(g_other_ca_file, g_other_ca.cert);
    write_pem(g_empty_file, NULL);
    write_pem(g_pinned_file, g_server.cert);
    write_p12(g_client_p12, &g_client, "whatever", "iexec-core");
    write_p12(g_rogue_p12, &g_rogue, "whatever", "iexec-core");
    FILE *f = fopen(g_garbage_p12, "w");
    assert_non_null(f);
    fputs("not a key store", f);
    fclose(f);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    ident *all[] = {&g_ca, &g_other_ca, &g_server, &g_server_wrong_name, &g_client, &g_rogue};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free_ident(all[i]);
    tmpdir_remove(g_dir);
    return 0;
}

/* ---- test server ---- */

#define REQ_CAP (4 << 20)

typedef struct {
    int fd;
    int port;
    SSL_CTX *ctx; /* NULL: plain HTTP */
    pthread_t thread;
    atomic_int stop;
    atomic_int status;
    atomic_int delay_ms;
    pthread_mutex_t lock;
    int requests;
    int handshake_failures;
    char method[16];
    char path[256];
    char content_type[128];
    char authorization[256];
    char expect[64];
    char peer_cn[128];
    char *body;
    size_t body_len;
} tsrv;

typedef struct {
    int fd;
    SSL *ssl;
} conn;

static int io_read(conn *c, char *buf, size_t n)
{
    if (c->ssl != NULL) return SSL_read(c->ssl, buf, (int)n);
    return (int)recv(c->fd, buf, n, 0);
}

static void io_write(conn *c, const char *buf, size_t n)
{
    if (c->ssl != NULL)
        (void)SSL_write(c->ssl, buf, (int)n);
    else
        (void)send(c->fd, buf, n, MSG_NOSIGNAL);
}

static void header_value(const char *head, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    char pat[64];
    snprintf(pat, sizeof pat, "\r\n%s:", name);
    const char *p = strcasestr(head, pat);
    if (p == NULL) return;
    p += strlen(pat);
    while (*p == ' ') p++;
    size_t n = strcspn(p, "\r\n");
    snprintf(out, cap, "%.*s", (int)n, p);
}

static void serve(tsrv *s, conn *c)
{
    char *buf = malloc(REQ_CAP + 1);
    size_t used = 0, body_at = 0, body_len = 0;
    assert_non_null(buf);
    for (;;) {
        if (body_at > 0 && used >= body_at + body_len) break;
        if (used == REQ_CAP) goto out;
        int n = io_read(c, buf + used, REQ_CAP - used);
        if (n <= 0) goto out;
        used += (size_t)n;
        buf[used] = '\0';
        if (body_at == 0) {
            char *end = strstr(buf, "\r\n\r\n");
            if (end == NULL) continue;
            body_at = (size_t)(end - buf) + 4;
            char cl[32];
            end[2] = '\0';
            header_value(buf, "Content-Length", cl, sizeof cl);
            end[2] = '\r';
            body_len = cl[0] != '\0' ? strtoul(cl, NULL, 10) : 0;
            if (body_len > REQ_CAP - body_at) goto out;
        }
    }
    pthread_mutex_lock(&s->lock);
    s->requests++;
    buf[body_at - 2] = '\0';
    sscanf(buf, "%15s %255s", s->method, s->path);
    header_value(buf, "Content-Type", s->content_type, sizeof s->content_type);
    header_value(buf, "Authorization", s->authorization, sizeof s->authorization);
    header_value(buf, "Expect", s->expect, sizeof s->expect);
    free(s->body);
    s->body = malloc(body_len + 1);
    memcpy(s->body, buf + body_at, body_len);
    s->body[body_len] = '\0';
    s->body_len = body_len;
    s->peer_cn[0] = '\0';
    if (c->ssl != NULL) {
        X509 *peer = SSL_get1_peer_certificate(c->ssl);
        if (peer != NULL) {
            X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, s->peer_cn, sizeof s->peer_cn);
            X509_free(peer);
        }
    }
    pthread_mutex_unlock(&s->lock);
    for (int waited = 0; waited < atomic_load(&s->delay_ms) && !atomic_load(&s->stop); waited += 20) usleep(20000);
    char resp[128];
    int n = snprintf(resp, sizeof resp, "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
                     atomic_load(&s->status));
    io_write(c, resp, (size_t)n);
out:
    free(buf);
}

static void *server_loop(void *arg)
{
    tsrv *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {s->fd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) continue;
        conn c = {accept(s->fd, NULL, NULL), NULL};
        if (c.fd < 0) continue;
        struct timeval tv = {1, 0};
        setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (s->ctx != NULL) {
            c.ssl = SSL_new(s->ctx);
            SSL_set_fd(c.ssl, c.fd);
            if (SSL_accept(c.ssl) != 1) {
                pthread_mutex_lock(&s->lock);
                s->handshake_failures++;
                pthread_mutex_unlock(&s->lock);
                ERR_clear_error();
                SSL_free(c.ssl);
                close(c.fd);
                continue;
            }
        }
        serve(s, &c);
        if (c.ssl != NULL) {
            SSL_shutdown(c.ssl);
            SSL_free(c.ssl);
        }
        ERR_clear_error();
        close(c.fd);
    }
    return NULL;
}

/* TLS with server identity `id`; client certificates issued by g_ca required when
 * require_client. */
static SSL_CTX *tls_ctx(const ident *id, int require_client)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_use_certificate(ctx, id->cert), 1);
    assert_int_equal(SSL_CTX_add1_chain_cert(ctx, g_ca.cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx, id->key), 1);
    if (require_client) {
        assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), g_ca.cert), 1);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return ctx;
}

static tsrv *srv_start(SSL_CTX *ctx, int status)
{
    tsrv *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->ctx = ctx;
    atomic_init(&s->status, status);
    pthread_mutex_init(&s->lock, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    socklen_t len = sizeof a;
    getsockname(s->fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, server_loop, s), 0);
    return s;
}

static void srv_stop(tsrv *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    close(s->fd);
    SSL_CTX_free(s->ctx);
    free(s->body);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static int srv_requests(tsrv *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->requests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* The client may see the refused handshake before the server thread has counted it: wait
 * (bounded) for the count to reach `at_least`, then return it. */
static int srv_handshake_failures_reach(tsrv *s, int at_least)
{
    int n = 0;
    for (int waited_ms = 0; waited_ms <= 2000; waited_ms += 5) {
        pthread_mutex_lock(&s->lock);
        n = s->handshake_failures;
        pthread_mutex_unlock(&s->lock);
        if (n >= at_least) break;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return n;
}

/* A port nobody listens on. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- configurations ---- */

static char *g_att_urls[4];
static char g_url_buf[4][128];
static char g_post_url[128];

static void scone_cfg(sms_config *c, int port)
{
    memset(c, 0, sizeof *c);
    c->framework = TEE_FRAMEWORK_SCONE;
    c->sp_web_hostname = "localhost";
    c->sp_web_port = port;
    c->sp_enclave_hostname = "cas.example.org";
    c->sp_enclave_port = 18765;
    c->ssl_keystore = g_client_p12;
    c->ssl_keystore_password = "whatever";
    c->ssl_keystore_type = "PKCS12";
    c->ssl_keystore_alias = "iexec-core";
    c->provisioner_ca_file = g_ca_file;
    c->provisioner_timeout_ms = 5000;
    c->scone_attestation_mode = "maa";
    c->scone_attestation_urls = g_att_urls;
    c->n_scone_attestation_urls = 0;
}

static void gramine_cfg(sms_config *c, int port)
{
    memset(c, 0, sizeof *c);
    c->framework = TEE_FRAMEWORK_GRAMINE;
    c->sp_web_hostname = "127.0.0.1";
    c->sp_web_port = port;
    c->sp_enclave_hostname = "sps.example.org";
    c->sp_enclave_port = 4433;
    c->gramine_sps_login = "admin";
    c->gramine_sps_password = "s3cret:pass";
    c->provisioner_timeout_ms = 5000;
}

static void tdx_cfg(sms_config *c, const char *scheme, int port, const char *base_path)
{
    memset(c, 0, sizeof *c);
    c->framework = TEE_FRAMEWORK_TDX;
    snprintf(g_post_url, sizeof g_post_url, "%s://localhost:%d%s", scheme, port, base_path);
    c->tdx_post_url = g_post_url;
    c->tdx_remote_attestation_url = "https://attest.example.org:8443";
    c->provisioner_ca_file = g_ca_file;
    c->provisioner_timeout_ms = 5000;
}

static provisioner *make(const sms_config *c)
{
    provisioner *p = NULL;
    char err[256];
    sms_status st = provisioner_new(c, &p, err, sizeof err);
    if (st != SMS_OK) fail_msg("provisioner_new: %s: %s", sms_status_name(st), err);
    return p;
}

static const char DOC[] = "name: \"Xy7Qp2Lm9B00000x3b31\"\nversion: \"0.3.10\"\n";

/* ---- CAS ---- */

static void test_cas_201_is_success(void **state)
{
    (void)state;
    tsrv *s = srv_start(tls_ctx(&g_server, 1), 201);
    sms_config c;
    scone_cfg(&c, s->port);
    provisioner *p = make(&c);
    assert_string_equal(provisioner_secret_provisioning_url(p), "cas.example.org:18765");
    assert_int_equal(provisioner_post_session(p, DOC, strlen(DOC)), TEE_OK);
    assert_int_equal(srv_requests(s), 1);
    assert_string_equal(s->method, "POST");
    assert_string_equal(s->path, "/session");
    assert_string_equal(s->content_type, "application/octet-stream");
    assert_string_equal(s->body, DOC);
    assert_string_equal(s->peer_cn, "iexec-sms-client");
    assert_string_equal(s->expect, "");
    /* A second post uses a fresh connection (and works). */
    assert_int_equal(provisioner_post_session(p, DOC, strlen(DOC)), TEE_OK);
    assert_int_equal(srv_requests(s), 2);
    provisioner_free(p);
    srv_stop(s);
}

static void test_cas_large_document(void **state)
{
    (void)state;
    tsrv *s = srv_start(tls_ctx(&g_server, 1), 201);
    sms_config c;
    scone_cfg(&c, s->port);
    provisioner *p = make(&c);
    size_t n = 2 << 20; /* above libcurl's 1 MiB threshold for Expect */
    char *big = malloc(n + 1);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++) big[i] = (char)('a' + i % 26);
    big[n] = '\0';
    assert_int_equal(provisioner_post_session(p, big, n), TEE_OK);
    /* No "Expect: 100-continue" (a round trip, or a 1 s stall, per session). */
    assert_string_equal(s->expect, "");
    assert_int_equal(s->body_len, n);
    assert_memory_equal(s->body, big, n);
    free(big);
    provisioner_free(p);
    srv_stop(s);
}

static void test_cas_other_statuses_fail(void **state)
{
    (void)state;
    static const int statuses[] = {200, 202, 204, 400, 401, 409, 500, 503};
    tsrv *s = srv_start(tls_ctx(&g_server, 1), 200);
    sms_config c;
    scone_cfg(&c, s->port);
    provisioner *p = make(&c);
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        atomic_store(&s->status, statuses[i]);
        assert_int_equal(provisioner_post_session(p, DOC, strlen(DOC)), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
        assert_int_equal(srv_requests(s), (int)i + 1);
    }
    provisioner_free(p);
    srv_stop(s);
}

/* A client certificate from another CA: the server refuses the handshake, nothing is sent. */
static void test_cas_rejects_unknown_client(void **state)
{
    (void)state;
    tsrv *s = srv_start(tls_ctx(&g_server, 1), 201);
    sms_config c;
    scone_cfg(&c, s->port);
    c.ssl_keystore = g_rogue_p12;
    provisioner *p = make(&c);
    assert_int_equal(provisioner_post_session(p, DOC, strlen(DOC)), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
    assert_int_equal(srv_requests(s), 0);
    assert_int_equal(srv_handshake_failures_reach(s, 1), 1);
    provisioner_free(p);
    srv_stop(s);
}

/* The server's certificate is not from the configured CA: the client refuses. */
static void test_cas_verifies_server_ca(void **state)
{
    (void)state;
    tsrv *s = srv_start(tls_ctx(&g_server, 0), 201);
    sms_config c;
    scone_cfg(&c, s->port);
    c.provisioner_ca_file = g_other_ca_file;
    provisioner *p = make(&c);
    assert_int_equal(provisioner_post_session(p, DOC, strlen(DOC)), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
    assert_int_equal(srv_requests(s), 0);
    provisioner_free(p);
    /* Without a CA file the system store is used, which does not know the test CA either. */
    c.provisioner_ca_file = NULL;
    p = make(&c);
    assert_int_equal(provisioner_post_session(p, DOC, strlen(DOC)), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
    assert_int_equal(srv_requests(s), 0);
    provisioner_free(p);
    /* The server certificate itself, pinned, is accepted. */
    c.provisioner_ca_file = g_pinned_file;
    p = make(&c);
    assert_int_equal(provisioner_post_session(p, DOC, strlen(DOC)), TEE_OK);
    assert_int_equal(srv_requests(s), 1);
    provisioner_free(p);
    srv_stop(s);
}

static void test_cas_verifies_host_name(void **state)
{
    (void)state;
    tsrv *s = srv_start(tls_ctx(&g_server_wrong_name, 0), 201);
    sms_config c;
    scone_cfg(&c, s->port);
    provisioner *p = make(&c);
    assert_int_equal(provisioner_post_session(p, DOC, strlen(DOC)), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
    assert_int_equal(srv_requests(s), 0);
    provisioner_free(p);
    srv_stop(s);
}

/* The CAS is never reached over plain HTTP. */
static void test_cas_plain_http_server_fails(void **state)
{
    (void)state;
    tsrv *s = srv_start(NULL, 201);
    sms_config c;
    scone_cfg(&c, s->port);
    provisioner *p = make(&c);
    assert_int_equal(provisioner_post_session(p, DOC, strlen(DOC)), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
    assert_int_equal(srv_requests(s), 0);
    provisioner_free(p);
    srv_stop(s);
}

static void test_slow_or_down_provisioner_is_bounded(void **state)
{
    (void)state;
    tsrv *s = srv_start(tls_ctx(&g_server, 1), 201);
    atomic_store(&s->delay_ms, 4000);
    sms_config c;
    scone_cfg(&c, s->port);
    c.provisioner_timeout_ms = 500;
    provisioner *p = make(&c);
    int64_t t0 = mono_ms();
    assert_int_equal(provisioner_post_session(p, DOC, strlen(DOC)), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
    int64_t took = mono_ms() - t0;
    assert_true(took >= 400 && took < 2000);
    provisioner_free(p);
    srv_stop(s);
    /* Nobody listening. */
    scone_cfg(&c, closed_port());
    p = make(&c);
    t0 = mono_ms();
    assert_int_equal(provisioner_post_session(p, DOC, strlen(DOC)), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
    assert_true(mono_ms() - t0 < 2000);
    provisioner_free(p);
}

static void test_keystore_errors(void **state)
{
    (void)state;
    sms_config c;
    provisioner *p = NULL;
    char err[256];
    char missing[1300];
    scone_cfg(&c, 1);
    tmpdir_join(g_dir, "missing.p12", missing, sizeof missing);
    c.ssl_keystore = missing;
    assert_int_equal(provisioner_new(&c, &p, err, sizeof err), SMS_EINVAL);
    assert_non_null(strstr(err, "IEXEC_SMS_SSL_KEYSTORE"));
    c.ssl_keystore = g_garbage_p12;
    assert_int_equal(provisioner_new(&c, &p, err, sizeof err), SMS_EINVAL);
    assert_non_null(strstr(err, "not a PKCS12"));
    c.ssl_keystore = g_client_p12;
    c.ssl_keystore_password = "wrong-password";
    assert_int_equal(provisioner_new(&c, &p, err, sizeof err), SMS_EINVAL);
    assert_non_null(strstr(err, "IEXEC_SMS_SSL_KEYSTORE_PASSWORD"));
    /* The password itself never appears in the message. */
    assert_null(strstr(err, "wrong-password"));
    c.ssl_keystore_password = "whatever";
    c.ssl_keystore = NULL;
    assert_int_equal(provisioner_new(&c, &p, err, sizeof err), SMS_EINVAL);
    c.ssl_keystore = g_client_p12;
    c.provisioner_ca_file = g_empty_file;
    assert_int_equal(provisioner_new(&c, &p, err, sizeof err), SMS_EINVAL);
    assert_non_null(strstr(err, "IEXEC_SECRET_PROVISIONER_CA_FILE"));
    c.provisioner_ca_file = missing;
    assert_int_equal(provisioner_new(&c, &p, err, sizeof err), SMS_EINVAL);
    assert_null(p);
    c.framework = TEE_FRAMEWORK_NONE;
    assert_int_equal(provisioner_new(&c, &p, err, sizeof err), SMS_EINVAL);
    provisioner_free(NULL);
}

/* ---- attestation servers (6.3) ---- */

static void test_attestation_first_answering_server(void **state)
{
    (void)state;
    tsrv *s = srv_start(NULL, 200);
    sms_config c;
    scone_cfg(&c, 1);
    snprintf(g_url_buf[0], sizeof g_url_buf[0], "http://127.0.0.1:%d", closed_port());
    snprintf(g_url_buf[1], sizeof g_url_buf[1], "http://127.0.0.1:%d/", s->port);
    g_att_urls[0] = g_url_buf[0];
    g_att_urls[1] = g_url_buf[1];
    c.n_scone_attestation_urls = 2;
    provisioner *p = make(&c);
    char *url = NULL;
    assert_int_equal(provisioner_scone_attestation_url(p, &url), TEE_OK);
    assert_non_null(url);
    assert_string_equal(url, g_url_buf[1]);
    free(url);
    assert_int_equal(srv_requests(s), 1);
    assert_string_equal(s->method, "GET");
    assert_string_equal(s->path, "/.well-known/openid-configuration");
    /* Remembered for a while: no new probe. */
    assert_int_equal(provisioner_scone_attestation_url(p, &url), TEE_OK);
    assert_string_equal(url, g_url_buf[1]);
    free(url);
    assert_int_equal(srv_requests(s), 1);
    provisioner_free(p);
    srv_stop(s);
}

static void test_attestation_none_answering(void **state)
{
    (void)state;
    tsrv *s = srv_start(NULL, 404); /* answers, but not 2xx */
    sms_config c;
    scone_cfg(&c, 1);
    snprintf(g_url_buf[0], sizeof g_url_buf[0], "http://127.0.0.1:%d", closed_port());
    snprintf(g_url_buf[1], sizeof g_url_buf[1], "http://127.0.0.1:%d", s->port);
    g_att_urls[0] = g_url_buf[0];
    g_att_urls[1] = g_url_buf[1];
    c.n_scone_attestation_urls = 2;
    provisioner *p = make(&c);
    char *url = (char *)"sentinel";
    /* maa: fail fast instead of posting url: null (12.16). */
    assert_int_equal(provisioner_scone_attestation_url(p, &url), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
    assert_null(url);
    assert_int_equal(srv_requests(s), 1);
    provisioner_free(p);
    /* hardware: the session goes without a URL. */
    c.scone_attestation_mode = "hardware";
    p = make(&c);
    url = (char *)"sentinel";
    assert_int_equal(provisioner_scone_attestation_url(p, &url), TEE_OK);
    assert_null(url);
    provisioner_free(p);
    c.n_scone_attestation_urls = 0;
    p = make(&c);
    assert_int_equal(provisioner_scone_attestation_url(p, &url), TEE_OK);
    assert_null(url);
    provisioner_free(p);
    srv_stop(s);
}

/* ---- SPS ---- */

static void test_sps_basic_auth(void **state)
{
    (void)state;
    static const int ok_statuses[] = {200, 201, 204};
    static const int bad_statuses[] = {301, 400, 401, 500};
    tsrv *s = srv_start(NULL, 200);
    sms_config c;
    gramine_cfg(&c, s->port);
    provisioner *p = make(&c);
    assert_string_equal(provisioner_secret_provisioning_url(p), "sps.example.org:4433");
    const char *json = "{\"session\":\"abc\",\"enclaves\":[]}";
    for (size_t i = 0; i < 3; i++) {
        atomic_store(&s->status, ok_statuses[i]);
        assert_int_equal(provisioner_post_session(p, json, strlen(json)), TEE_OK);
    }
    assert_string_equal(s->method, "POST");
    assert_string_equal(s->path, "/api/session");
    assert_string_equal(s->content_type, "application/json");
    /* base64("admin:s3cret:pass") */
    assert_string_equal(s->authorization, "Basic YWRtaW46czNjcmV0OnBhc3M=");
    assert_string_equal(s->body, json);
    for (size_t i = 0; i < 4; i++) {
        atomic_store(&s->status, bad_statuses[i]);
        assert_int_equal(provisioner_post_session(p, json, strlen(json)), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
    }
    provisioner_free(p);
    srv_stop(s);
    /* Down. */
    gramine_cfg(&c, closed_port());
    p = make(&c);
    assert_int_equal(provisioner_post_session(p, json, strlen(json)), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
    provisioner_free(p);
}

/* ---- TDX ---- */

static void test_tdx_post(void **state)
{
    (void)state;
    const char *json = "{\"name\":\"abc\",\"version\":\"0.1.0\",\"services\":[]}";
    tsrv *s = srv_start(NULL, 200);
    sms_config c;
    tdx_cfg(&c, "http", s->port, "/storage/");
    provisioner *p = make(&c);
    assert_string_equal(provisioner_secret_provisioning_url(p), "https://attest.example.org:8443");
    assert_int_equal(provisioner_post_session(p, json, strlen(json)), TEE_OK);
    assert_string_equal(s->path, "/storage/session");
    assert_string_equal(s->content_type, "application/json");
    assert_string_equal(s->authorization, "");
    assert_string_equal(s->body, json);
    atomic_store(&s->status, 500);
    assert_int_equal(provisioner_post_session(p, json, strlen(json)), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
    provisioner_free(p);
    srv_stop(s);
}

static void test_tdx_tls(void **state)
{
    (void)state;
    const char *json = "{\"name\":\"abc\"}";
    tsrv *s = srv_start(tls_ctx(&g_server, 1), 201);
    sms_config c;
    /* No key store: a storage that demands a client certificate refuses. */
    tdx_cfg(&c, "https", s->port, "");
    provisioner *p = make(&c);
    assert_int_equal(provisioner_post_session(p, json, strlen(json)), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
    assert_int_equal(srv_requests(s), 0);
    assert_int_equal(srv_handshake_failures_reach(s, 1), 1);
    provisioner_free(p);
    /* With the key store: accepted, any 2xx. */
    c.ssl_keystore = g_client_p12;
    c.ssl_keystore_password = "whatever";
    c.ssl_keystore_alias = "iexec-core";
    p = make(&c);
    assert_int_equal(provisioner_post_session(p, json, strlen(json)), TEE_OK);
    assert_int_equal(srv_requests(s), 1);
    assert_string_equal(s->path, "/session");
    assert_string_equal(s->peer_cn, "iexec-sms-client");
    /* Wrong CA: refused by the client. */
    provisioner_free(p);
    c.provisioner_ca_file = g_other_ca_file;
    p = make(&c);
    assert_int_equal(provisioner_post_session(p, json, strlen(json)), TEE_SECURE_SESSION_STORAGE_CALL_FAILED);
    assert_int_equal(srv_requests(s), 1);
    provisioner_free(p);
    srv_stop(s);
}

int main(void)
{
    /* The test servers write to peers that may have hung up (refused handshakes). */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cas_201_is_success),
        cmocka_unit_test(test_cas_large_document),
        cmocka_unit_test(test_cas_other_statuses_fail),
        cmocka_unit_test(test_cas_rejects_unknown_client),
        cmocka_unit_test(test_cas_verifies_server_ca),
        cmocka_unit_test(test_cas_verifies_host_name),
        cmocka_unit_test(test_cas_plain_http_server_fails),
        cmocka_unit_test(test_slow_or_down_provisioner_is_bounded),
        cmocka_unit_test(test_keystore_errors),
        cmocka_unit_test(test_attestation_first_answering_server),
        cmocka_unit_test(test_attestation_none_answering),
        cmocka_unit_test(test_sps_basic_auth),
        cmocka_unit_test(test_tdx_post),
        cmocka_unit_test(test_tdx_tls),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
