/* Value parsers of the configuration: durations, data sizes, integers, booleans, URLs,
 * addresses and database URLs. Pure functions, no environment access. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_internal.h"

/* Durations beyond this are refused: every duration we read is at most days long, and the
 * cap keeps "now + duration" far from int64 overflow. 100 years in milliseconds. */
#define MAX_DURATION_MS ((int64_t)100 * 366 * 86400 * 1000)

int cfg_is_blank(const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return 0;
    }
    return 1;
}

int cfg_has_ctrl(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) return 1;
    }
    return 0;
}

int cfg_has_space_or_ctrl(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f) return 1;
    }
    return 0;
}

/* Digits only (at least one) into an unsigned value; SMS_EINVAL on overflow. */
static sms_status parse_digits(const char *s, size_t len, uint64_t *out)
{
    sms_status st = SMS_EINVAL;
    uint64_t v = 0;
    if (len == 0) goto cleanup;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i])) goto cleanup;
        if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v)) goto cleanup;
    }
    *out = v;
    st = SMS_OK;
cleanup:
    return st;
}

sms_status cfg_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    sms_status st = SMS_EINVAL;
    uint64_t mag = 0;
    int neg = 0;
    int64_t v;
    if (s == NULL) goto cleanup;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    if (parse_digits(s, strlen(s), &mag) != SMS_OK) goto cleanup;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1) goto cleanup;
        v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX) goto cleanup;
        v = (int64_t)mag;
    }
    if (v < min || v > max) goto cleanup;
    *out = v;
    st = SMS_OK;
cleanup:
    return st;
}

sms_status cfg_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "on", "yes", "1"};
    static const char *const no[] = {"false", "off", "no", "0"};
    if (s == NULL) return SMS_EINVAL;
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return SMS_OK;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return SMS_OK;
        }
    }
    return SMS_EINVAL;
}

sms_status cfg_parse_double(const char *s, double *out)
{
    sms_status st = SMS_EINVAL;
    char *end = NULL;
    if (s == NULL || *s == '\0') goto cleanup;
    /* strtod would also take leading spaces, hex floats, "inf" and "nan". */
    for (const char *p = s; *p != '\0'; p++) {
        if (!isdigit((unsigned char)*p) && *p != '.' && *p != '-' && *p != '+' && *p != 'e' && *p != 'E') goto cleanup;
    }
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v)) goto cleanup;
    *out = v;
    st = SMS_OK;
cleanup:
    return st;
}

static sms_status mul_add_ms(int64_t acc, uint64_t n, int64_t unit_ms, int64_t *out)
{
    int64_t part, sum;
    /* *out is written only on success (callers rely on it being untouched otherwise). */
    if (n > (uint64_t)INT64_MAX || __builtin_mul_overflow((int64_t)n, unit_ms, &part) ||
        __builtin_add_overflow(acc, part, &sum) || sum > MAX_DURATION_MS) {
        return SMS_EINVAL;
    }
    *out = sum;
    return SMS_OK;
}

/* Spring's "simple" style: an integer and an optional unit ns, us, ms, s, m, h, d
 * (no unit = milliseconds); sub-millisecond values are truncated. */
static sms_status parse_simple_duration(const char *s, int64_t *out)
{
    static const struct {
        const char *suffix;
        int64_t num;
        int64_t den;
    } units[] = {{"ns", 1, 1000000}, {"us", 1, 1000}, {"ms", 1, 1}, {"s", 1000, 1},
                 {"m", 60000, 1},    {"h", 3600000, 1}, {"d", 86400000, 1}, {"", 1, 1}};
    sms_status st = SMS_EINVAL;
    size_t len = strlen(s), ndig = 0;
    uint64_t n;
    while (ndig < len && isdigit((unsigned char)s[ndig])) ndig++;
    if (parse_digits(s, ndig, &n) != SMS_OK) goto cleanup;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(s + ndig, units[i].suffix) != 0) continue;
        st = mul_add_ms(0, n / (uint64_t)units[i].den, units[i].num, out);
        goto cleanup;
    }
cleanup:
    return st;
}

/* ISO-8601 as accepted by java.time.Duration.parse: PnDTnHnMn.nS, every part optional
 * but at least one present, a 'T' needs at least one time part, fraction (up to 9
 * digits, '.' or ',') only on seconds. Signs are refused: no setting is negative. */
static sms_status parse_iso_duration(const char *s, int64_t *out)
{
    sms_status st = SMS_EINVAL;
    const char *p = s + 1; /* after 'P' */
    int64_t ms = 0;
    int parts = 0, in_time = 0;
    /* Allowed designators in order; an index only moves forward. */
    static const char order[] = "DHMS";
    int next = 0;
    while (*p != '\0') {
        if (*p == 'T' || *p == 't') {
            if (in_time || next > 1) goto cleanup;
            in_time = 1;
            next = 1;
            p++;
            if (*p == '\0') goto cleanup;
            continue;
        }
        const char *num = p;
        while (isdigit((unsigned char)*p)) p++;
        uint64_t n;
        if (parse_digits(num, (size_t)(p - num), &n) != SMS_OK) goto cleanup;
        uint64_t frac_ms = 0;
        int has_frac = 0;
        if (*p == '.' || *p == ',') {
            const char *f = ++p;
            while (isdigit((unsigned char)*p)) p++;
            size_t flen = (size_t)(p - f);
            if (flen == 0 || flen > 9) goto cleanup;
            for (size_t i = 0; i < 3; i++) frac_ms = frac_ms * 10 + (i < flen ? (uint64_t)(f[i] - '0') : 0);
            has_frac = 1;
        }
        char d = (char)toupper((unsigned char)*p);
        const char *pos = d != '\0' ? strchr(order, d) : NULL;
        if (pos == NULL) goto cleanup;
        int idx = (int)(pos - order);
        /* D only before T, H/M/S only after it, each at most once, in order. */
        if (idx < next || (idx == 0) == in_time || (has_frac && d != 'S')) goto cleanup;
        static const int64_t unit_ms[] = {86400000, 3600000, 60000, 1000};
        if (mul_add_ms(ms, n, unit_ms[idx], &ms) != SMS_OK || mul_add_ms(ms, frac_ms, 1, &ms) != SMS_OK) goto cleanup;
        next = idx + 1;
        parts++;
        p++;
    }
    if (parts == 0) goto cleanup;
    *out = ms;
    st = SMS_OK;
cleanup:
    return st;
}

sms_status config_parse_duration_ms(const char *s, int64_t *out)
{
    if (s == NULL || out == NULL || *s == '\0') return SMS_EINVAL;
    if (*s == 'P' || *s == 'p') return parse_iso_duration(s, out);
    return parse_simple_duration(s, out);
}

sms_status config_parse_data_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {{"", 0}, {"B", 0}, {"KB", 10}, {"MB", 20}, {"GB", 30}, {"TB", 40}};
    sms_status st = SMS_EINVAL;
    size_t ndig = 0;
    uint64_t n;
    if (s == NULL || out == NULL) goto cleanup;
    while (isdigit((unsigned char)s[ndig])) ndig++;
    if (parse_digits(s, ndig, &n) != SMS_OK) goto cleanup;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(s + ndig, units[i].suffix) != 0) continue;
        if (units[i].shift > 0 && n > (UINT64_MAX >> units[i].shift)) goto cleanup;
        *out = n << units[i].shift;
        st = SMS_OK;
        goto cleanup;
    }
cleanup:
    return st;
}

static int is_host_char(char c) { return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_'; }

/* Host (name, IPv4 or [IPv6]) then an optional :port, exactly filling [p, end). */
static sms_status check_host_port(const char *p, const char *end, int allow_port)
{
    sms_status st = SMS_EINVAL;
    const char *h = p;
    if (p < end && *p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (close == NULL || close == p + 1) goto cleanup;
        for (const char *q = p + 1; q < close; q++) {
            if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.') goto cleanup;
        }
        h = close + 1;
    } else {
        while (h < end && is_host_char(*h)) h++;
        if (h == p) goto cleanup;
    }
    if (h < end) {
        if (!allow_port || *h != ':') goto cleanup;
        int64_t port;
        char buf[8];
        size_t plen = (size_t)(end - h - 1);
        if (plen == 0 || plen >= sizeof buf) goto cleanup;
        memcpy(buf, h + 1, plen);
        buf[plen] = '\0';
        if (cfg_parse_int64(buf, 1, 65535, &port) != SMS_OK || buf[0] == '-') goto cleanup;
    }
    st = SMS_OK;
cleanup:
    return st;
}

/* Start of the authority after "scheme://", or NULL. */
static const char *authority_start(const char *s)
{
    const char *sep = strstr(s, "://");
    return sep != NULL ? sep + 3 : NULL;
}

static const char *authority_end(const char *a) { return a + strcspn(a, "/?#"); }

int cfg_url_has_userinfo(const char *s)
{
    const char *a = s != NULL ? authority_start(s) : NULL;
    if (a == NULL) return 0;
    const char *end = authority_end(a);
    return memchr(a, '@', (size_t)(end - a)) != NULL;
}

sms_status cfg_check_http_url(const char *s)
{
    sms_status st = SMS_EINVAL;
    const char *a;
    if (s == NULL || cfg_has_space_or_ctrl(s)) goto cleanup;
    if (strncasecmp(s, "http://", 7) == 0) {
        a = s + 7;
    } else if (strncasecmp(s, "https://", 8) == 0) {
        a = s + 8;
    } else {
        goto cleanup;
    }
    const char *end = authority_end(a);
    const char *at = NULL;
    for (const char *q = a; q < end; q++) {
        if (*q == '@') at = q;
    }
    if (at != NULL) a = at + 1;
    st = check_host_port(a, end, 1);
cleanup:
    return st;
}

sms_status cfg_check_host(const char *s)
{
    if (s == NULL || *s == '\0') return SMS_EINVAL;
    return check_host_port(s, s + strlen(s), 0);
}

sms_status cfg_parse_address(const char *s, char out[43])
{
    sms_status st = SMS_EINVAL;
    int nonzero = 0;
    if (s == NULL || strlen(s) != 42 || s[0] != '0' || s[1] != 'x') goto cleanup;
    for (size_t i = 2; i < 42; i++) {
        if (!isxdigit((unsigned char)s[i])) goto cleanup;
        if (s[i] != '0') nonzero = 1;
    }
    if (!nonzero) goto cleanup;
    for (size_t i = 0; i < 42; i++) out[i] = (char)tolower((unsigned char)s[i]);
    out[42] = '\0';
    st = SMS_OK;
cleanup:
    return st;
}

/* malloc'ed prefix + body[0..body_len) + suffix. */
static sms_status concat3(const char *prefix, const char *body, size_t body_len, const char *suffix, char **out)
{
    size_t pl = strlen(prefix), sl = strlen(suffix);
    char *r = malloc(pl + body_len + sl + 1);
    if (r == NULL) return SMS_ENOMEM;
    memcpy(r, prefix, pl);
    memcpy(r + pl, body, body_len);
    memcpy(r + pl + body_len, suffix, sl + 1);
    *out = r;
    return SMS_OK;
}

/* Length of a leading "scheme:" (RFC 3986 syntax, at least 2 characters so that a
 * drive-letter-like "C:" is not taken for one), 0 when none. */
static size_t scheme_len(const char *s)
{
    size_t i = 0;
    if (!isalpha((unsigned char)s[0])) return 0;
    while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-') i++;
    return (s[i] == ':' && i >= 2) ? i + 1 : 0;
}

sms_status cfg_db_url_normalise(const char *s, char **out, const char **why)
{
    static const char expected[] = "expected a file path, sqlite:PATH or postgresql://...";
    sms_status st = SMS_EINVAL;
    *why = expected;
    if (s == NULL || cfg_is_blank(s) || cfg_has_ctrl(s)) goto cleanup;
    if (strncasecmp(s, "sqlite:", 7) == 0) {
        const char *path = s + 7;
        /* "sqlite:///abs/path" (URL form) and "sqlite://rel" both name a plain path. */
        if (strncmp(path, "//", 2) == 0) path += 2;
        if (*path == '\0') {
            *why = "expected a path after sqlite:";
            goto cleanup;
        }
        st = concat3("sqlite:", path, strlen(path), "", out);
    } else if (strncasecmp(s, "postgresql://", 13) == 0 || strncasecmp(s, "postgres://", 11) == 0) {
        if (strstr(s, "://")[3] == '\0') {
            *why = "expected postgresql://[user[:password]@]host[:port]/dbname";
            goto cleanup;
        }
        st = concat3("", s, strlen(s), "", out);
    } else if (strncasecmp(s, "jdbc:", 5) == 0) {
        *why = "expected a file path, sqlite:PATH or postgresql://... (jdbc:h2:file: URLs are read from "
               "IEXEC_SMS_H2_URL only)";
    } else if (scheme_len(s) > 0) {
        *why = "expected a file path, sqlite:PATH or postgresql://... (unknown URL scheme)";
    } else {
        st = concat3("sqlite:", s, strlen(s), "", out);
    }
cleanup:
    return st;
}

sms_status cfg_db_url_from_h2(const char *s, char **out, const char **why)
{
    sms_status st = SMS_EINVAL;
    const char *path = NULL;
    *why = "expected jdbc:h2:file:PATH (mapped to the SQLite file PATH.sqlite); use IEXEC_SMS_DATABASE_URL for "
           "other databases";
    if (s == NULL || cfg_has_ctrl(s)) goto cleanup;
    if (strncasecmp(s, "jdbc:h2:file:", 13) == 0) {
        path = s + 13;
    } else if (strncasecmp(s, "jdbc:h2:", 8) == 0 && (s[8] == '/' || s[8] == '.')) {
        path = s + 8; /* H2 reads "jdbc:h2:/x" and "jdbc:h2:./x" as embedded files too */
    } else if (strncasecmp(s, "jdbc:h2:", 8) == 0) {
        *why = "only embedded H2 file databases (jdbc:h2:file:PATH) can be mapped to SQLite, not in-memory, "
               "home-relative or server URLs";
        goto cleanup;
    } else {
        goto cleanup;
    }
    /* H2 settings follow the path after ';' (e.g. ";DB_CLOSE_DELAY=-1") and are irrelevant here. */
    size_t len = strcspn(path, ";");
    if (len == 0) goto cleanup;
    st = concat3("sqlite:", path, len, ".sqlite", out);
cleanup:
    return st;
}

sms_status cfg_normalise_list(const char *s, const char *extra, char **out)
{
    sms_status st = SMS_EINVAL;
    size_t len = s != NULL ? strlen(s) : 0, o = 0;
    char *r = malloc(len + 1);
    if (r == NULL) return SMS_ENOMEM;
    const char *p = s != NULL ? s : "";
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        size_t b = 0, e = n;
        while (b < e && (p[b] == ' ' || p[b] == '\t')) b++;
        while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t')) e--;
        for (size_t i = b; i < e; i++) {
            if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '_' && strchr(extra, p[i]) == NULL) goto cleanup;
        }
        if (e > b) {
            if (o > 0) r[o++] = ',';
            memcpy(r + o, p + b, e - b);
            o += e - b;
        }
        p += n;
        if (*p == ',') p++;
    }
    r[o] = '\0';
    *out = r;
    r = NULL;
    st = SMS_OK;
cleanup:
    free(r);
    return st;
}
