/* Reading variables through the injected getenv and reporting the first bad one as a
 * single line "NAME: what is expected, got 'value'". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

#define ECHO_MAX 80

const char *cfg_raw(const cfg_env *e, const char *name) { return e->get(name); }

const char *cfg_val(const cfg_env *e, const char *name)
{
    const char *v = e->get(name);
    return (v != NULL && *v != '\0') ? v : NULL;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int cfg_is_secret_name(const char *name)
{
    return ends_with(name, "_PASSWORD") || ends_with(name, "API_KEY");
}

/* Values that may embed credentials (URL userinfo, ";PASSWORD=", "?password=") are not
 * echoed whatever the variable. */
static int may_hold_credentials(const char *v)
{
    return cfg_url_has_userinfo(v) || strcasestr(v, "password") != NULL || strcasestr(v, "pwd") != NULL;
}

sms_status cfg_fail(const cfg_env *e, const char *name, const char *value, const char *what, ...)
{
    if (e->err == NULL || e->errcap == 0) return SMS_EINVAL;
    char msg[256];
    va_list ap;
    va_start(ap, what);
    vsnprintf(msg, sizeof msg, what, ap);
    va_end(ap);
    if (value == NULL) {
        snprintf(e->err, e->errcap, "%s: %s", name, msg);
    } else if (cfg_is_secret_name(name) || may_hold_credentials(value)) {
        snprintf(e->err, e->errcap, "%s: %s (value hidden)", name, msg);
    } else {
        /* Echo a bounded, single-line copy so a pasted blob cannot flood or forge log lines. */
        char shown[ECHO_MAX + 4];
        size_t n = strlen(value), i;
        for (i = 0; i < n && i < ECHO_MAX; i++) {
            unsigned char c = (unsigned char)value[i];
            shown[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
        }
        if (n > ECHO_MAX) {
            memcpy(shown + i, "...", 3);
            i += 3;
        }
        shown[i] = '\0';
        snprintf(e->err, e->errcap, "%s: %s, got '%s'", name, msg, shown);
    }
    return SMS_EINVAL;
}

sms_status cfg_oom(const cfg_env *e)
{
    if (e->err != NULL && e->errcap > 0) snprintf(e->err, e->errcap, "out of memory while reading the configuration");
    return SMS_ENOMEM;
}

sms_status cfg_dup(const cfg_env *e, const char *s, char **out)
{
    *out = NULL;
    if (s == NULL) return SMS_OK;
    size_t n = strlen(s) + 1;
    char *r = malloc(n);
    if (r == NULL) return cfg_oom(e);
    memcpy(r, s, n);
    *out = r;
    return SMS_OK;
}

sms_status cfg_get_int(const cfg_env *e, const char *name, int64_t def, int64_t min, int64_t max, int64_t *out)
{
    const char *v = cfg_val(e, name);
    if (v == NULL) {
        *out = def;
        return SMS_OK;
    }
    if (cfg_parse_int64(v, min, max, out) != SMS_OK) {
        return cfg_fail(e, name, v, "expected an integer %lld..%lld", (long long)min, (long long)max);
    }
    return SMS_OK;
}

sms_status cfg_get_bool(const cfg_env *e, const char *name, int def, int *out)
{
    const char *v = cfg_val(e, name);
    if (v == NULL) {
        *out = def;
        return SMS_OK;
    }
    if (cfg_parse_bool(v, out) != SMS_OK) return cfg_fail(e, name, v, "expected true or false");
    return SMS_OK;
}

sms_status cfg_get_duration(const cfg_env *e, const char *name, int64_t def_ms, int64_t min_ms, int64_t max_ms,
                            const char *range_text, int64_t *out)
{
    const char *v = cfg_val(e, name);
    int64_t ms;
    if (v == NULL) {
        *out = def_ms;
        return SMS_OK;
    }
    if (config_parse_duration_ms(v, &ms) != SMS_OK || ms < min_ms || ms > max_ms) {
        return cfg_fail(e, name, v, "expected an ISO-8601 duration %s", range_text);
    }
    *out = ms;
    return SMS_OK;
}

sms_status cfg_get_size(const cfg_env *e, const char *name, uint64_t def, uint64_t min, uint64_t max,
                        const char *range_text, uint64_t *out)
{
    const char *v = cfg_val(e, name);
    uint64_t n;
    if (v == NULL) {
        *out = def;
        return SMS_OK;
    }
    if (config_parse_data_size(v, &n) != SMS_OK || n < min || n > max) {
        return cfg_fail(e, name, v, "expected a data size (integer with optional unit B, KB, MB, GB or TB) %s",
                        range_text);
    }
    *out = n;
    return SMS_OK;
}

sms_status cfg_check_str(const cfg_env *e, const char *name, const char *v, int flags)
{
    size_t len = strlen(v);
    if (cfg_has_ctrl(v)) return cfg_fail(e, name, v, "must not contain control characters");
    if ((flags & CFG_STR_NOSPACE) && cfg_has_space_or_ctrl(v)) return cfg_fail(e, name, v, "must not contain spaces");
    if ((flags & CFG_STR_URL) && cfg_check_http_url(v) != SMS_OK) {
        return cfg_fail(e, name, v, "expected an http:// or https:// URL with a host");
    }
    if ((flags & CFG_STR_HOST) && cfg_check_host(v) != SMS_OK) {
        return cfg_fail(e, name, v, "expected a host name or IP address (no scheme, no port)");
    }
    /* A secret with surrounding whitespace is almost always a copy/paste accident (a
     * trailing newline from a file) and could never match an HTTP header value. */
    if ((flags & CFG_STR_SECRET) && len > 0 &&
        (v[0] == ' ' || v[0] == '\t' || v[len - 1] == ' ' || v[len - 1] == '\t')) {
        return cfg_fail(e, name, v, "must not start or end with whitespace");
    }
    return SMS_OK;
}

sms_status cfg_get_str(const cfg_env *e, const char *name, const char *def, int flags, const char *missing,
                       char **out)
{
    const char *v = cfg_val(e, name);
    *out = NULL;
    if (v == NULL) v = def;
    if (v == NULL || ((flags & CFG_STR_NONBLANK) && cfg_is_blank(v))) {
        if (!(flags & CFG_STR_NONBLANK)) return SMS_OK;
        return cfg_fail(e, name, NULL, "%s", missing != NULL ? missing : "required, must not be blank");
    }
    sms_status st = cfg_check_str(e, name, v, flags);
    if (st != SMS_OK) return st;
    return cfg_dup(e, v, out);
}
