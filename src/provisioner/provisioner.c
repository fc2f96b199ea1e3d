/* Provisioner client: construction (key store, CA file), the shared HTTP exchange, and the
 * dispatch to the framework's client. */
#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/log.h"
#include "core/secure.h"
#include "provisioner/provisioner_internal.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static sms_status fail(char *errbuf, size_t errcap, sms_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static sms_status fail(char *errbuf, size_t errcap, sms_status st, const char *fmt, ...)
{
    if (errbuf != NULL && errcap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errcap, fmt, ap);
        va_end(ap);
    }
    return st;
}

char *prov_url(const char *scheme, const char *host, int port, const char *path)
{
    int v6 = strchr(host, ':') != NULL;
    size_t cap = strlen(scheme) + strlen(host) + strlen(path) + 32;
    char *s = malloc(cap);
    if (s == NULL) return NULL;
    snprintf(s, cap, "%s://%s%s%s:%d%s", scheme, v6 ? "[" : "", host, v6 ? "]" : "", port, path);
    return s;
}

char *prov_join(const char *base, const char *path)
{
    size_t bl = strlen(base);
    if (bl > 0 && base[bl - 1] == '/') bl--;
    size_t pl = strlen(path);
    char *s = malloc(bl + pl + 1);
    if (s == NULL) return NULL;
    memcpy(s, base, bl);
    memcpy(s + bl, path, pl + 1);
    return s;
}

/* Copy of a memory BIO's content (NUL-terminated). */
static char *bio_take(BIO *b, size_t *len)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    if (n <= 0 || data == NULL) return NULL;
    char *out = malloc((size_t)n + 1);
    if (out == NULL) return NULL;
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    *len = (size_t)n;
    return out;
}

/* Java key stores written by older keytools use RC2/3DES, which OpenSSL 3 keeps in its
 * legacy provider; loaded only when a key store needs it, keeping the default provider. */
static int load_legacy_provider(void)
{
    return OSSL_PROVIDER_try_load(NULL, "legacy", 1) != NULL;
}

static sms_status parse_p12(const char *path, const char *password, EVP_PKEY **pkey, X509 **cert,
                            STACK_OF(X509) **chain, char *errbuf, size_t errcap)
{
    sms_status st = SMS_OK;
    FILE *f = fopen(path, "rb");
    PKCS12 *p12 = NULL;
    if (f == NULL) {
        st = fail(errbuf, errcap, SMS_EINVAL, "IEXEC_SMS_SSL_KEYSTORE: cannot read '%s'", path);
        goto cleanup;
    }
    p12 = d2i_PKCS12_fp(f, NULL);
    if (p12 == NULL) {
        st = fail(errbuf, errcap, SMS_EINVAL, "IEXEC_SMS_SSL_KEYSTORE: '%s' is not a PKCS12 key store", path);
        goto cleanup;
    }
    /* A wrong password is told by the MAC, before trying the legacy algorithms. */
    if (PKCS12_mac_present(p12) && !PKCS12_verify_mac(p12, password, -1)) {
        st = fail(errbuf, errcap, SMS_EINVAL,
                  "IEXEC_SMS_SSL_KEYSTORE: cannot open '%s' (wrong IEXEC_SMS_SSL_KEYSTORE_PASSWORD)", path);
        goto cleanup;
    }
    if (!PKCS12_parse(p12, password, pkey, cert, chain)) {
        ERR_clear_error();
        if (!load_legacy_provider() || !PKCS12_parse(p12, password, pkey, cert, chain)) {
            st = fail(errbuf, errcap, SMS_EINVAL,
                      "IEXEC_SMS_SSL_KEYSTORE: cannot open '%s' (wrong IEXEC_SMS_SSL_KEYSTORE_PASSWORD or "
                      "unsupported encryption)",
                      path);
            goto cleanup;
        }
    }
    if (*pkey == NULL || *cert == NULL) {
        st = fail(errbuf, errcap, SMS_EINVAL, "IEXEC_SMS_SSL_KEYSTORE: '%s' holds no private key with its certificate",
                  path);
        goto cleanup;
    }
    if (X509_check_private_key(*cert, *pkey) != 1) {
        st = fail(errbuf, errcap, SMS_EINVAL, "IEXEC_SMS_SSL_KEYSTORE: the key of '%s' does not match its certificate",
                  path);
        goto cleanup;
    }
cleanup:
    ERR_clear_error();
    PKCS12_free(p12);
    if (f != NULL) fclose(f);
    return st;
}

/* Client certificate chain and key as PEM blobs for libcurl, read once at start-up. */
static sms_status load_keystore(provisioner *p, char *errbuf, size_t errcap)
{
    const sms_config *cfg = p->cfg;
    const char *password = cfg->ssl_keystore_password != NULL ? cfg->ssl_keystore_password : "";
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *chain = NULL;
    BIO *cb = NULL, *kb = NULL;
    sms_status st = parse_p12(cfg->ssl_keystore, password, &pkey, &cert, &chain, errbuf, errcap);
    if (st != SMS_OK) goto cleanup;

    int alias_len = 0;
    const unsigned char *alias = X509_alias_get0(cert, &alias_len);
    const char *want = cfg->ssl_keystore_alias;
    if (alias != NULL && want != NULL && ((size_t)alias_len != strlen(want) || memcmp(alias, want, (size_t)alias_len) != 0))
        LOG_WARN("key store entry alias differs from IEXEC_SMS_SSL_KEYSTORE_ALIAS '%s'; using the store's only key",
                 want);

    st = SMS_ENOMEM;
    cb = BIO_new(BIO_s_mem());
    /* The secure-memory BIO clears its buffer when freed. */
    kb = BIO_new(BIO_s_secmem());
    if (cb == NULL || kb == NULL) goto cleanup;
    if (!PEM_write_bio_X509(cb, cert)) goto cleanup;
    for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++)
        if (!PEM_write_bio_X509(cb, sk_X509_value(chain, i))) goto cleanup;
    if (!PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL)) goto cleanup;
    p->cert_pem = bio_take(cb, &p->cert_len);
    p->key_pem = bio_take(kb, &p->key_len);
    if (p->cert_pem == NULL || p->key_pem == NULL) goto cleanup;
    /* Best effort: keep the key out of swap. */
    (void)mlock(p->key_pem, p->key_len + 1);
    st = SMS_OK;
cleanup:
    if (st == SMS_ENOMEM) fail(errbuf, errcap, st, "IEXEC_SMS_SSL_KEYSTORE: cannot convert the client key");
    ERR_clear_error();
    BIO_free(cb);
    BIO_free(kb);
    EVP_PKEY_free(pkey);
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    return st;
}

/* The CA file must hold at least one certificate: a typo would otherwise show up only as
 * failing sessions. */
static sms_status check_ca_file(const char *path, char *errbuf, size_t errcap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) return fail(errbuf, errcap, SMS_EINVAL, "IEXEC_SECRET_PROVISIONER_CA_FILE: cannot read '%s'", path);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ERR_clear_error();
    if (x == NULL)
        return fail(errbuf, errcap, SMS_EINVAL, "IEXEC_SECRET_PROVISIONER_CA_FILE: '%s' holds no PEM certificate", path);
    X509_free(x);
    return SMS_OK;
}

sms_status provisioner_new(const sms_config *cfg, provisioner **out, char *errbuf, size_t errcap)
{
    sms_status st;
    provisioner *p = NULL;
    if (errbuf != NULL && errcap > 0) errbuf[0] = '\0';
    if (cfg == NULL || out == NULL || cfg->framework == TEE_FRAMEWORK_NONE)
        return fail(errbuf, errcap, SMS_EINVAL, "no TEE framework configured");
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK) return fail(errbuf, errcap, SMS_ERR, "cannot initialise libcurl");
    p = calloc(1, sizeof *p);
    if (p == NULL) return fail(errbuf, errcap, SMS_ENOMEM, "out of memory");
    p->cfg = cfg;
    pthread_mutex_init(&p->att_lock, NULL);
    if (cfg->provisioner_ca_file != NULL) {
        st = check_ca_file(cfg->provisioner_ca_file, errbuf, errcap);
        if (st != SMS_OK) goto cleanup;
    }
    if (cfg->framework == TEE_FRAMEWORK_SCONE && cfg->ssl_keystore == NULL) {
        st = fail(errbuf, errcap, SMS_EINVAL, "IEXEC_SMS_SSL_KEYSTORE: required for the scone framework");
        goto cleanup;
    }
    if (cfg->framework != TEE_FRAMEWORK_GRAMINE && cfg->ssl_keystore != NULL) {
        st = load_keystore(p, errbuf, errcap);
        if (st != SMS_OK) goto cleanup;
    }
    switch (cfg->framework) {
    case TEE_FRAMEWORK_SCONE: st = prov_cas_init(p); break;
    case TEE_FRAMEWORK_GRAMINE: st = prov_sps_init(p); break;
    case TEE_FRAMEWORK_TDX: st = prov_tdx_init(p); break;
    default: st = SMS_EINVAL; break;
    }
    if (st != SMS_OK) {
        fail(errbuf, errcap, st, "cannot set up the %s secret provisioner client", tee_framework_name(cfg->framework));
        goto cleanup;
    }
    *out = p;
    p = NULL;
cleanup:
    provisioner_free(p);
    return st;
}

void provisioner_free(provisioner *p)
{
    if (p == NULL) return;
    free(p->post_url);
    free(p->sp_url);
    free(p->cert_pem);
    if (p->key_pem != NULL) {
        secure_zero(p->key_pem, p->key_len + 1);
        (void)munlock(p->key_pem, p->key_len + 1);
        free(p->key_pem);
    }
    free(p->att_url);
    pthread_mutex_destroy(&p->att_lock);
    free(p);
}

const char *provisioner_secret_provisioning_url(const provisioner *p) { return p->sp_url; }

tee_error provisioner_scone_attestation_url(provisioner *p, char **url)
{
    *url = NULL;
    if (p->cfg->framework != TEE_FRAMEWORK_SCONE) return TEE_OK;
    return prov_cas_attestation_url(p, url);
}

tee_error provisioner_post_session(provisioner *p, const char *doc, size_t len)
{
    if (p == NULL || doc == NULL) return TEE_SECURE_SESSION_STORAGE_CALL_FAILED;
    switch (p->cfg->framework) {
    case TEE_FRAMEWORK_SCONE: return prov_cas_post(p, doc, len);
    case TEE_FRAMEWORK_GRAMINE: return prov_sps_post(p, doc, len);
    case TEE_FRAMEWORK_TDX: return prov_tdx_post(p, doc, len);
    default: return TEE_SECURE_SESSION_STORAGE_CALL_FAILED;
    }
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * nmemb;
}

sms_status prov_http(const provisioner *p, const prov_request *r, long *status)
{
    sms_status st = SMS_ENOMEM;
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    char errbuf[CURL_ERROR_SIZE];
    const char *ca = p->cfg->provisioner_ca_file;
    int ok;

    *status = 0;
    errbuf[0] = '\0';
    if (h == NULL) goto cleanup;
    ok = curl_easy_setopt(h, CURLOPT_URL, r->url) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, r->timeout_ms) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_SSL_SESSIONID_CACHE, 0L) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
    ok = ok && curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, r->protocols) == CURLE_OK;
#else
    long mask = strcmp(r->protocols, "https") == 0  ? (long)CURLPROTO_HTTPS
                : strcmp(r->protocols, "http") == 0 ? (long)CURLPROTO_HTTP
                                                    : (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS);
    ok = ok && curl_easy_setopt(h, CURLOPT_PROTOCOLS, mask) == CURLE_OK;
#endif
    if (ok && r->use_ca_file && ca != NULL) {
        /* Only this file is trusted: no fallback to the system directory. */
        ok = curl_easy_setopt(h, CURLOPT_CAINFO, ca) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_CAPATH, (char *)NULL) == CURLE_OK;
    }
    if (ok && r->client_cert && p->cert_pem != NULL) {
        /* NOCOPY: libcurl reads our buffers, so the only copy of the key stays the wiped one. */
        struct curl_blob cert = {p->cert_pem, p->cert_len, CURL_BLOB_NOCOPY};
        struct curl_blob key = {p->key_pem, p->key_len, CURL_BLOB_NOCOPY};
        ok = curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM") == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM") == CURLE_OK;
    }
    if (ok && r->body != NULL) {
        char ct[128];
        snprintf(ct, sizeof ct, "Content-Type: %s", r->content_type);
        struct curl_slist *a = curl_slist_append(NULL, ct);
        /* No "Expect: 100-continue": it costs a round trip (or a 1 s stall) per session. */
        struct curl_slist *b = a != NULL ? curl_slist_append(a, "Expect:") : NULL;
        if (b == NULL) {
            curl_slist_free_all(a);
            goto cleanup;
        }
        hdrs = b;
        ok = curl_easy_setopt(h, CURLOPT_POST, 1L) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) == CURLE_OK;
    }
    if (ok && r->user != NULL) {
        ok = curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_USERNAME, r->user) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_PASSWORD, r->password != NULL ? r->password : "") == CURLE_OK;
    }
    if (!ok) {
        st = SMS_ERR;
        goto cleanup;
    }
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        st = rc == CURLE_OPERATION_TIMEDOUT ? SMS_ETIMEOUT : SMS_EUNAVAIL;
        LOG_WARN("%s call failed: %s", r->label, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
        goto cleanup;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    st = SMS_OK;
cleanup:
    if (h != NULL) curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    return st;
}
