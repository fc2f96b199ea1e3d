/* Tokens of an H2 SQL script (private to the H2 dump reader, h2_script.c). Tokens point
 * into the script text; string contents are decoded on demand. */
#ifndef SMS_ADMIN_H2_LEX_H
#define SMS_ADMIN_H2_LEX_H

#include <stddef.h>

#include "core/status.h"

typedef enum {
    TK_EOF,
    TK_IDENT,   /* unquoted identifier or keyword */
    TK_QIDENT,  /* "quoted identifier": p/n = content, "" not yet decoded */
    TK_STRING,  /* 'string': p/n = content, '' not yet decoded */
    TK_USTRING, /* U&'string': p/n = content, escapes not yet decoded */
    TK_DOLLAR,  /* $$string$$: p/n = content */
    TK_NUMBER,  /* digits, optional fraction and exponent (no sign) */
    TK_PUNCT    /* one character: ( ) , ; . - and anything else */
} h2_tk_type;

typedef struct {
    h2_tk_type type;
    const char *p;
    size_t n;
    size_t line; /* 1-based line of the token's first character */
} h2_token;

typedef struct {
    const char *s;
    size_t len;
    size_t pos;
    size_t line;
} h2_lexer;

void h2_lex_init(h2_lexer *lx, const char *s, size_t len);

/* Next token into *t (TK_EOF at the end, repeatedly). Comments (-- to end of line and
 * block comments) and white space are skipped. SMS_EINVAL with "line N: ..." in err for
 * an unterminated string, identifier or comment. */
sms_status h2_lex_next(h2_lexer *lx, h2_token *t, char *err, size_t errcap);

/* TK_IDENT equal to word, ASCII case-insensitively. */
int h2_tok_word(const h2_token *t, const char *word);
/* TK_PUNCT c. */
int h2_tok_punct(const h2_token *t, char c);
/* An identifier (quoted or not) naming `name`, ASCII case-insensitively. */
int h2_tok_names(const h2_token *t, const char *name);

/* Decoded text of a TK_STRING / TK_USTRING / TK_DOLLAR / TK_QIDENT / TK_IDENT token into a
 * new NUL-terminated UTF-8 buffer (*out, caller frees; secure_free(*out, *len + 1) when
 * it may hold a secret). SMS_EINVAL for a malformed U& escape, a lone surrogate or a NUL
 * character; SMS_ENOMEM. */
sms_status h2_tok_text(const h2_token *t, char **out, size_t *len);

#endif
