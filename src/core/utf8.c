#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "core/utf8.h"

int utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

static locale_t utf8_locale;
static pthread_once_t utf8_locale_once = PTHREAD_ONCE_INIT;

static void init_locale(void) { utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0); }

/* Decode one code point (input already validated). */
static size_t decode(const uint8_t *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n = s[0] >= 0xF0 ? 3 : s[0] >= 0xE0 ? 2 : 1;
    uint32_t v = s[0] & (0x3F >> n);
    for (size_t k = 1; k <= n; k++) v = (v << 6) | (s[k] & 0x3F);
    *cp = v;
    return n + 1;
}

static size_t encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

sms_status utf8_lower(const char *in, size_t len, char **out)
{
    const uint8_t *s = (const uint8_t *)in;
    if (!utf8_valid(s, len)) return SMS_EINVAL;
    pthread_once(&utf8_locale_once, init_locale);
    /* A lower-case mapping never needs more than 4 bytes per code point. */
    uint8_t *buf = malloc(len * 4 + 1);
    if (buf == NULL) return SMS_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += decode(s + i, &cp);
        uint32_t lower = cp;
        if (cp < 0x80) {
            if (cp >= 'A' && cp <= 'Z') lower = cp + 32;
        } else if (utf8_locale != (locale_t)0) {
            wint_t w = towlower_l((wint_t)cp, utf8_locale);
            if (w <= 0x10FFFF && !(w >= 0xD800 && w <= 0xDFFF)) lower = (uint32_t)w;
        } else {
            free(buf);
            return SMS_ERR;
        }
        o += encode(lower, buf + o);
    }
    buf[o] = '\0';
    *out = (char *)buf;
    return SMS_OK;
}

/* Length of the well-formed sequence at s[0..len), 0 when malformed. */
static size_t valid_sequence_len(const uint8_t *s, size_t len)
{
    if (s[0] < 0x80) return 1;
    size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
    if (n > len) return 0;
    return utf8_valid(s, n) ? n : 0;
}

char *utf8_sanitize(const char *in, size_t len)
{
    const uint8_t *s = (const uint8_t *)in;
    uint8_t *out = malloc(len * 3 + 1); /* each bad byte becomes 3 bytes */
    if (out == NULL) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = valid_sequence_len(s + i, len - i);
        if (n == 0) {
            out[o++] = 0xEF;
            out[o++] = 0xBF;
            out[o++] = 0xBD;
            i++;
            continue;
        }
        memcpy(out + o, s + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
    return (char *)out;
}
