/* Storage ids, file-name rules and confinement of the admin storage area. */
#include "admin/paths.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

sms_status admin_paths_init(admin_paths *p, const char *location)
{
    char real[ADMIN_PATH_MAX];
    size_t len;

    if (p == NULL || location == NULL)
        return SMS_EINVAL;
    memset(p, 0, sizeof *p);
    len = strnlen(location, sizeof p->root);
    if (len == 0 || len == sizeof p->root)
        return SMS_EINVAL;
    memcpy(p->root, location, len + 1);
    /* A trailing '/' would make the component test below require "//". */
    while (len > 1 && p->root[len - 1] == '/')
        p->root[--len] = '\0';
    if (realpath(p->root, real) != NULL) {
        memcpy(p->root, real, strlen(real) + 1);
        p->canonical = 1;
    }
    return SMS_OK;
}

/* Retry the canonicalisation of a location that did not exist at start. */
static void refresh_root(admin_paths *p)
{
    char real[ADMIN_PATH_MAX];

    if (p->canonical || realpath(p->root, real) == NULL)
        return;
    memcpy(p->root, real, strlen(real) + 1);
    p->canonical = 1;
}

int admin_path_within(const char *root, const char *path)
{
    size_t n;

    if (root == NULL || path == NULL || root[0] != '/' || path[0] != '/')
        return 0;
    if (root[1] == '\0')
        return 1;
    n = strlen(root);
    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Next code point of a UTF-8 string; an invalid byte is returned as itself (never
 * whitespace, never a control character in the C1 range). */
static uint32_t next_cp(const unsigned char **s)
{
    const unsigned char *p = *s;
    uint32_t cp = p[0];
    int extra = 0;

    if (cp >= 0xC2 && cp <= 0xDF) {
        extra = 1;
        cp &= 0x1F;
    } else if (cp >= 0xE0 && cp <= 0xEF) {
        extra = 2;
        cp &= 0x0F;
    } else if (cp >= 0xF0 && cp <= 0xF4) {
        extra = 3;
        cp &= 0x07;
    }
    for (int i = 1; i <= extra; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *s = p + 1;
            return 0xFFFFFFFFu;
        }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    *s = p + 1 + extra;
    return extra == 0 && cp >= 0x80 ? 0xFFFFFFFFu : cp;
}

/* Character.isWhitespace: space separators except the non-breaking ones, and controls
 * 0x09-0x0D, 0x1C-0x1F. */
static int java_whitespace(uint32_t c)
{
    return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F) || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x2006) || (c >= 0x2008 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x205F || c == 0x3000;
}

static int is_control(uint32_t c)
{
    return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

int admin_is_blank(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    if (s == NULL)
        return 1;
    while (*p != '\0') {
        if (!java_whitespace(next_cp(&p)))
            return 0;
    }
    return 1;
}

sms_status admin_paths_check_name(const char *name)
{
    const unsigned char *p = (const unsigned char *)name;

    if (admin_is_blank(name))
        return SMS_EINVAL;
    while (*p != '\0') {
        if (is_control(next_cp(&p)))
            return SMS_EINVAL;
    }
    return SMS_OK;
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

sms_status admin_paths_decode_id(const char *hex, char *out, size_t cap)
{
    size_t len, o = 0;

    if (hex == NULL || out == NULL || cap == 0)
        return SMS_EINVAL;
    len = strlen(hex);
    if (len == 0 || len % 2 != 0)
        return SMS_EINVAL;
    for (size_t i = 0; i < len; i += 2) {
        int hi = hex_val(hex[i]), lo = hex_val(hex[i + 1]);
        unsigned b;

        if (hi < 0 || lo < 0)
            return SMS_EINVAL;
        b = (unsigned)(hi << 4 | lo);
        if (is_control(b))
            return SMS_EINVAL;
        if (b < 0x80) {
            if (o + 1 >= cap)
                return SMS_EINVAL;
            out[o++] = (char)b;
        } else {
            if (o + 2 >= cap)
                return SMS_EINVAL;
            out[o++] = (char)(0xC0 | (b >> 6));
            out[o++] = (char)(0x80 | (b & 0x3F));
        }
    }
    out[o] = '\0';
    return SMS_OK;
}

/* Appends the components of rest to out (an absolute canonical path), collapsing "." and
 * ".." lexically: they name things that do not exist, as in Java's canonicalisation. */
static sms_status append_lexical(char *out, const char *rest)
{
    size_t len = strlen(out);

    while (*rest != '\0') {
        const char *end = strchr(rest, '/');
        size_t n = end != NULL ? (size_t)(end - rest) : strlen(rest);

        if (n == 0 || (n == 1 && rest[0] == '.')) {
            /* nothing */
        } else if (n == 2 && rest[0] == '.' && rest[1] == '.') {
            while (len > 1 && out[len - 1] != '/')
                len--;
            if (len > 1)
                len--;
            out[len] = '\0';
        } else {
            size_t sep = len > 1 ? 1 : 0;
            if (len + sep + n >= ADMIN_PATH_MAX)
                return SMS_EINVAL;
            if (sep)
                out[len++] = '/';
            memcpy(out + len, rest, n);
            len += n;
            out[len] = '\0';
        }
        rest += n;
        if (*rest == '/')
            rest++;
    }
    return SMS_OK;
}

/* Canonical absolute path: realpath of the longest existing prefix, then the rest
 * normalised lexically. */
static sms_status canonicalize(const char *path, char out[ADMIN_PATH_MAX])
{
    char abs[ADMIN_PATH_MAX];
    size_t len;

    if (path[0] == '/') {
        len = strnlen(path, sizeof abs);
        if (len == sizeof abs)
            return SMS_EINVAL;
        memcpy(abs, path, len + 1);
    } else {
        char cwd[ADMIN_PATH_MAX];
        if (getcwd(cwd, sizeof cwd) == NULL)
            return SMS_EIO;
        int n = snprintf(abs, sizeof abs, "%s/%s", cwd, path);
        if (n < 0 || (size_t)n >= sizeof abs)
            return SMS_EINVAL;
        len = (size_t)n;
    }
    /* Peel components off the end until a prefix resolves; "/" always does. */
    for (size_t cut = len;;) {
        char saved = abs[cut];
        const char *rest;

        abs[cut] = '\0';
        if (realpath(cut == 0 ? "/" : abs, out) != NULL) {
            abs[cut] = saved;
            rest = abs + cut;
            return append_lexical(out, rest);
        }
        abs[cut] = saved;
        if (errno != ENOENT && errno != ENOTDIR)
            return SMS_EIO;
        if (cut == 0)
            return SMS_EIO;
        do
            cut--;
        while (cut > 0 && abs[cut] != '/');
    }
}

sms_status admin_paths_confine(admin_paths *p, const char *path, char out[ADMIN_PATH_MAX])
{
    sms_status st;

    if (p == NULL || path == NULL || path[0] == '\0' || out == NULL)
        return SMS_EINVAL;
    refresh_root(p);
    if ((st = canonicalize(path, out)) != SMS_OK)
        return st;
    return admin_path_within(p->root, out) ? SMS_OK : SMS_EAUTH;
}

sms_status admin_paths_dir(admin_paths *p, const char *dir, char out[ADMIN_PATH_MAX])
{
    struct stat sb;
    sms_status st;

    if (p == NULL || dir == NULL || dir[0] == '\0' || out == NULL)
        return SMS_EINVAL;
    refresh_root(p);
    if ((st = canonicalize(dir, out)) != SMS_OK)
        return st;
    /* Existence first, like the reference (404 before any confinement error). */
    if (stat(out, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return SMS_ENOTFOUND;
    return admin_path_within(p->root, out) ? SMS_OK : SMS_EAUTH;
}

sms_status admin_paths_pair(admin_paths *p, const char *dir, const char *name, char file_out[ADMIN_PATH_MAX],
                            char key_out[ADMIN_PATH_MAX])
{
    char joined[ADMIN_PATH_MAX];
    sms_status st;
    int n;

    if (p == NULL || dir == NULL || name == NULL || file_out == NULL || key_out == NULL)
        return SMS_EINVAL;
    if ((st = admin_paths_check_name(name)) != SMS_OK)
        return st;
    n = snprintf(joined, sizeof joined, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof joined)
        return SMS_EINVAL;
    if ((st = admin_paths_confine(p, joined, file_out)) != SMS_OK)
        return st;
    n = snprintf(joined, sizeof joined, "%s.key", file_out);
    if (n < 0 || (size_t)n >= sizeof joined)
        return SMS_EINVAL;
    return admin_paths_confine(p, joined, key_out);
}
