/* H2 script tokeniser. */
#include "admin/h2_lex.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/errbuf.h"
#include "core/secure.h"

void h2_lex_init(h2_lexer *lx, const char *s, size_t len)
{
    lx->s = s;
    lx->len = len;
    lx->pos = 0;
    lx->line = 1;
}

static int at(const h2_lexer *lx, size_t off, char c)
{
    return lx->pos + off < lx->len && lx->s[lx->pos + off] == c;
}

/* Consumes one character, counting lines. */
static void step(h2_lexer *lx)
{
    if (lx->s[lx->pos] == '\n')
        lx->line++;
    lx->pos++;
}

static int ident_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}

static int ident_char(unsigned char c)
{
    return ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static int digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Skips white space and comments. */
static sms_status skip_blank(h2_lexer *lx, char *err, size_t errcap)
{
    while (lx->pos < lx->len) {
        unsigned char c = (unsigned char)lx->s[lx->pos];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
            step(lx);
        } else if (c == '-' && at(lx, 1, '-')) {
            while (lx->pos < lx->len && lx->s[lx->pos] != '\n')
                lx->pos++;
        } else if (c == '/' && at(lx, 1, '*')) {
            size_t line = lx->line;
            lx->pos += 2;
            while (lx->pos < lx->len && !(lx->s[lx->pos] == '*' && at(lx, 1, '/')))
                step(lx);
            if (lx->pos >= lx->len) {
                sms_errorf(err, errcap, "line %zu: unterminated comment", line);
                return SMS_EINVAL;
            }
            lx->pos += 2;
        } else {
            break;
        }
    }
    return SMS_OK;
}

/* Content up to the closing quote; a doubled quote is part of the content. */
static sms_status quoted(h2_lexer *lx, char quote, h2_token *t, const char *what, char *err, size_t errcap)
{
    size_t start = lx->pos;

    for (;;) {
        if (lx->pos >= lx->len) {
            sms_errorf(err, errcap, "line %zu: unterminated %s", t->line, what);
            return SMS_EINVAL;
        }
        if (lx->s[lx->pos] == quote) {
            if (at(lx, 1, quote)) {
                lx->pos += 2;
                continue;
            }
            break;
        }
        step(lx);
    }
    t->p = lx->s + start;
    t->n = lx->pos - start;
    lx->pos++; /* closing quote */
    return SMS_OK;
}

static sms_status dollar_string(h2_lexer *lx, h2_token *t, char *err, size_t errcap)
{
    size_t start = lx->pos;

    while (lx->pos < lx->len && !(lx->s[lx->pos] == '$' && at(lx, 1, '$')))
        step(lx);
    if (lx->pos >= lx->len) {
        sms_errorf(err, errcap, "line %zu: unterminated $$ string", t->line);
        return SMS_EINVAL;
    }
    t->p = lx->s + start;
    t->n = lx->pos - start;
    lx->pos += 2;
    return SMS_OK;
}

static void number(h2_lexer *lx, h2_token *t)
{
    size_t start = lx->pos;

    while (lx->pos < lx->len && digit((unsigned char)lx->s[lx->pos]))
        lx->pos++;
    if (at(lx, 0, '.'))
        for (lx->pos++; lx->pos < lx->len && digit((unsigned char)lx->s[lx->pos]);)
            lx->pos++;
    if ((at(lx, 0, 'e') || at(lx, 0, 'E')) &&
        (lx->pos + 1 < lx->len && (digit((unsigned char)lx->s[lx->pos + 1]) || lx->s[lx->pos + 1] == '+' ||
                                   lx->s[lx->pos + 1] == '-'))) {
        lx->pos += 2;
        while (lx->pos < lx->len && digit((unsigned char)lx->s[lx->pos]))
            lx->pos++;
    }
    t->type = TK_NUMBER;
    t->p = lx->s + start;
    t->n = lx->pos - start;
}

sms_status h2_lex_next(h2_lexer *lx, h2_token *t, char *err, size_t errcap)
{
    sms_status st;
    unsigned char c;

    memset(t, 0, sizeof *t);
    if ((st = skip_blank(lx, err, errcap)) != SMS_OK)
        return st;
    t->line = lx->line;
    if (lx->pos >= lx->len) {
        t->type = TK_EOF;
        t->p = lx->s + lx->len;
        return SMS_OK;
    }
    c = (unsigned char)lx->s[lx->pos];
    if ((c == 'U' || c == 'u') && at(lx, 1, '&') && at(lx, 2, '\'')) {
        lx->pos += 3;
        t->type = TK_USTRING;
        return quoted(lx, '\'', t, "string literal", err, errcap);
    }
    if (c == '\'') {
        lx->pos++;
        t->type = TK_STRING;
        return quoted(lx, '\'', t, "string literal", err, errcap);
    }
    if (c == '"') {
        lx->pos++;
        t->type = TK_QIDENT;
        return quoted(lx, '"', t, "quoted identifier", err, errcap);
    }
    if (c == '$' && at(lx, 1, '$')) {
        lx->pos += 2;
        t->type = TK_DOLLAR;
        return dollar_string(lx, t, err, errcap);
    }
    if (digit(c)) {
        number(lx, t);
        return SMS_OK;
    }
    if (ident_start(c)) {
        size_t start = lx->pos;
        while (lx->pos < lx->len && ident_char((unsigned char)lx->s[lx->pos]))
            lx->pos++;
        t->type = TK_IDENT;
        t->p = lx->s + start;
        t->n = lx->pos - start;
        return SMS_OK;
    }
    t->type = TK_PUNCT;
    t->p = lx->s + lx->pos;
    t->n = 1;
    step(lx);
    return SMS_OK;
}

int h2_tok_word(const h2_token *t, const char *word)
{
    size_t n = strlen(word);

    return t->type == TK_IDENT && t->n == n && strncasecmp(t->p, word, n) == 0;
}

int h2_tok_punct(const h2_token *t, char c)
{
    return t->type == TK_PUNCT && t->p[0] == c;
}

int h2_tok_names(const h2_token *t, const char *name)
{
    size_t n = strlen(name);

    /* A quoted name holding "" cannot equal any of the plain names we look for. */
    return (t->type == TK_IDENT || t->type == TK_QIDENT) && t->n == n && strncasecmp(t->p, name, n) == 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int hex_n(const char *p, size_t avail, size_t n, uint32_t *out)
{
    uint32_t v = 0;

    if (avail < n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int d = hex_digit(p[i]);
        if (d < 0)
            return 0;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* One U& escape at p (after the backslash): \\, \XXXX (a UTF-16 unit; surrogate pairs are
 * two escapes), \+XXXXXX. *used counts the characters after the backslash. */
static int u_escape(const char *p, size_t avail, uint32_t *cp, size_t *used)
{
    uint32_t hi, lo;

    if (avail >= 1 && p[0] == '\\') {
        *cp = '\\';
        *used = 1;
        return 1;
    }
    if (avail >= 1 && p[0] == '+') {
        if (!hex_n(p + 1, avail - 1, 6, cp) || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
            return 0;
        *used = 7;
        return 1;
    }
    if (!hex_n(p, avail, 4, &hi))
        return 0;
    *used = 4;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return 0;
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        if (avail < 10 || p[4] != '\\' || !hex_n(p + 5, avail - 5, 4, &lo) || lo < 0xDC00 || lo > 0xDFFF)
            return 0;
        *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        *used = 9;
        return 1;
    }
    *cp = hi;
    return 1;
}

sms_status h2_tok_text(const h2_token *t, char **out, size_t *len)
{
    char quote = t->type == TK_QIDENT ? '"' : '\'';
    char *o;
    size_t k = 0;

    *out = NULL;
    *len = 0;
    if (t->type != TK_STRING && t->type != TK_USTRING && t->type != TK_DOLLAR && t->type != TK_QIDENT &&
        t->type != TK_IDENT)
        return SMS_EINVAL;
    /* Decoding never grows the text: an escape of n characters gives at most n bytes. */
    o = malloc(t->n + 1);
    if (o == NULL)
        return SMS_ENOMEM;
    for (size_t i = 0; i < t->n;) {
        char c = t->p[i];
        if (c == '\0')
            goto bad;
        if (c == quote && t->type != TK_DOLLAR && t->type != TK_IDENT) {
            /* The lexer only lets doubled quotes through. */
            o[k++] = c;
            i += 2;
        } else if (c == '\\' && t->type == TK_USTRING) {
            uint32_t cp;
            size_t used;
            if (!u_escape(t->p + i + 1, t->n - i - 1, &cp, &used) || cp == 0)
                goto bad;
            k += put_utf8(o + k, cp);
            i += 1 + used;
        } else {
            o[k++] = c;
            i++;
        }
    }
    o[k] = '\0';
    *out = o;
    *len = k;
    return SMS_OK;

bad:
    secure_free(o, t->n + 1);
    return SMS_EINVAL;
}
