/* Private to src/config: value parsers (config_parse.c), environment readers with
 * the one-line error convention (config_env.c) and the TEE section (config_tee.c). */
#ifndef SMS_CONFIG_INTERNAL_H
#define SMS_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* ---- Pure parsers (config_parse.c). None of them skips whitespace. ---- */

/* 1 when s is empty or only spaces/tabs/CR/LF. */
int cfg_is_blank(const char *s);
/* 1 when s contains a byte < 0x20 or 0x7f. */
int cfg_has_ctrl(const char *s);
/* 1 when s contains a space or a control character. */
int cfg_has_space_or_ctrl(const char *s);
/* Decimal integer, optional leading '-', digits only, within [min, max]. */
sms_status cfg_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Spring's boolean words, case-insensitive: true/on/yes/1 and false/off/no/0. */
sms_status cfg_parse_bool(const char *s, int *out);
/* Finite decimal number (strtod syntax without whitespace, hex or inf/nan). */
sms_status cfg_parse_double(const char *s, double *out);
/* http:// or https:// (scheme case-insensitive), non-empty host (name, IPv4 or [IPv6]),
 * optional userinfo@, optional :port 1..65535, then nothing or '/', '?' or '#' followed by
 * printable characters without spaces. */
sms_status cfg_check_http_url(const char *s);
/* 1 when the authority of a URL carries a userinfo part (possible credentials). */
int cfg_url_has_userinfo(const char *s);
/* Host name, IPv4 or bracket-less IPv6 literal as used in "host:port" strings. */
sms_status cfg_check_host(const char *s);
/* "0x" + 40 hex digits, not all zero; out receives the lower-cased form. */
sms_status cfg_parse_address(const char *s, char out[43]);
/* Database URL forms (see config.h). On success *out is a malloc'ed normalised URL;
 * on SMS_EINVAL *why points to a static description of what is expected. */
sms_status cfg_db_url_normalise(const char *s, char **out, const char **why);
/* IEXEC_SMS_H2_URL: jdbc:h2:file:X[;options] (or jdbc:h2:/X, jdbc:h2:./X) -> sqlite:X.sqlite. */
sms_status cfg_db_url_from_h2(const char *s, char **out, const char **why);
/* Comma list of items made of [A-Za-z0-9_-] (plus the characters in extra); spaces
 * around items and empty items are dropped. *out = malloc'ed "a,b,c" ("" when empty). */
sms_status cfg_normalise_list(const char *s, const char *extra, char **out);

/* ---- Environment access with the error convention (config_env.c). ---- */

typedef struct {
    config_getenv_fn get;
    char *err;
    size_t errcap;
} cfg_env;

/* Raw value (NULL when unset). */
const char *cfg_raw(const cfg_env *e, const char *name);
/* Value, NULL when unset or empty. */
const char *cfg_val(const cfg_env *e, const char *name);
/* 1 for variables whose values are never echoed (API keys, passwords, database URLs). */
int cfg_is_secret_name(const char *name);
/* Writes "NAME: <what>, got 'value'" (or " (value hidden)" for secrets and URLs with
 * credentials, or just "NAME: <what>" when value is NULL) and returns SMS_EINVAL. */
sms_status cfg_fail(const cfg_env *e, const char *name, const char *value, const char *what, ...)
    __attribute__((format(printf, 4, 5)));
/* Writes "out of memory" and returns SMS_ENOMEM. */
sms_status cfg_oom(const cfg_env *e);

/* Typed readers: the default applies when the variable is unset or empty. */
sms_status cfg_get_int(const cfg_env *e, const char *name, int64_t def, int64_t min, int64_t max, int64_t *out);
sms_status cfg_get_bool(const cfg_env *e, const char *name, int def, int *out);
sms_status cfg_get_duration(const cfg_env *e, const char *name, int64_t def_ms, int64_t min_ms, int64_t max_ms,
                            const char *range_text, int64_t *out);
sms_status cfg_get_size(const cfg_env *e, const char *name, uint64_t def, uint64_t min, uint64_t max,
                        const char *range_text, uint64_t *out);
/* String flags. */
enum {
    CFG_STR_NONBLANK = 1, /* blank values are errors (NULL default = required) */
    CFG_STR_NOSPACE = 2,  /* no spaces (single token: image names, paths...) */
    CFG_STR_URL = 4,      /* must be an http(s) URL */
    CFG_STR_HOST = 8,     /* must be a host name or IP literal */
    CFG_STR_SECRET = 16   /* never echoed; no leading/trailing whitespace */
};
/* Checks v (the value of name) against flags; control characters are always refused. */
sms_status cfg_check_str(const cfg_env *e, const char *name, const char *v, int flags);
/* *out = malloc'ed copy of the value or of def (NULL when both are NULL and the value
 * is optional). With CFG_STR_NONBLANK a missing value fails with the message `missing`
 * (NULL: a generic one). */
sms_status cfg_get_str(const cfg_env *e, const char *name, const char *def, int flags, const char *missing,
                       char **out);
sms_status cfg_dup(const cfg_env *e, const char *s, char **out);

/* ---- TEE section (config_tee.c). ---- */

/* Fills every TEE field of cfg when cfg->framework != NONE. */
sms_status cfg_load_tee(const cfg_env *e, sms_config *cfg);
/* Frees the TEE fields (secrets zeroed). */
void cfg_free_tee(sms_config *cfg);

#endif
