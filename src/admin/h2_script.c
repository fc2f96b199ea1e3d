/* H2 SCRIPT dump reader: statements, table definitions and INSERT rows. */
#include "admin/h2_script.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin/h2_lex.h"
#include "core/secure.h"

static const char *const table_names[H2_TABLE_COUNT] = {"web2secret", "web3secret", "tee_task_compute_secret",
                                                         "tee_challenge", "ethereum_credentials"};

const char *h2_table_name(h2_table_id id)
{
    return (unsigned)id < H2_TABLE_COUNT ? table_names[id] : "unknown";
}

typedef struct {
    h2_lexer lx;
    h2_token tok; /* next unconsumed token */
    h2_dump *d;
    char *err;
    size_t errcap;
    int cast_depth; /* nested CASTs: bounded so that a crafted dump cannot exhaust the stack */
} parser;

#define MAX_CAST_DEPTH 8

static sms_status fail(parser *p, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static sms_status fail(parser *p, size_t line, const char *fmt, ...)
{
    char what[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (p->err != NULL && p->errcap > 0)
        snprintf(p->err, p->errcap, "line %zu: %s", line, what);
    return SMS_EINVAL;
}

static sms_status advance(parser *p)
{
    return h2_lex_next(&p->lx, &p->tok, p->err, p->errcap);
}

/* Consumes the rest of a statement, up to and including its ';'. */
static sms_status skip_statement(parser *p, size_t start_line)
{
    sms_status st;

    while (!h2_tok_punct(&p->tok, ';')) {
        if (p->tok.type == TK_EOF)
            return fail(p, start_line, "statement not terminated by ';' (truncated dump?)");
        if ((st = advance(p)) != SMS_OK)
            return st;
    }
    return advance(p);
}

static sms_status expect_punct(parser *p, char c, const char *what)
{
    if (!h2_tok_punct(&p->tok, c))
        return fail(p, p->tok.line, "expected %s", what);
    return advance(p);
}

static sms_status expect_word(parser *p, const char *word)
{
    if (!h2_tok_word(&p->tok, word))
        return fail(p, p->tok.line, "expected %s", word);
    return advance(p);
}

/* [schema.]table; *id = -1 for a table that is not one of the five. */
static sms_status table_name(parser *p, int *id)
{
    h2_token name = p->tok;
    sms_status st;

    *id = -1;
    if (name.type != TK_IDENT && name.type != TK_QIDENT)
        return fail(p, name.line, "expected a table name");
    if ((st = advance(p)) != SMS_OK)
        return st;
    if (h2_tok_punct(&p->tok, '.')) {
        if (!h2_tok_names(&name, "PUBLIC"))
            return fail(p, name.line, "table outside the PUBLIC schema");
        if ((st = advance(p)) != SMS_OK)
            return st;
        name = p->tok;
        if (name.type != TK_IDENT && name.type != TK_QIDENT)
            return fail(p, name.line, "expected a table name");
        if ((st = advance(p)) != SMS_OK)
            return st;
    }
    for (int i = 0; i < H2_TABLE_COUNT; i++)
        if (h2_tok_names(&name, table_names[i]))
            *id = i;
    if (*id < 0)
        return fail(p, name.line, "unknown table (not one of the reference's five tables)");
    return SMS_OK;
}

int h2_column(const h2_table *t, const char *name)
{
    for (size_t i = 0; t != NULL && i < t->ncols; i++)
        if (strcasecmp(t->cols[i], name) == 0)
            return (int)i;
    return -1;
}

static int constraint_word(const h2_token *t)
{
    static const char *const words[] = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "INDEX", "KEY"};

    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (h2_tok_word(t, words[i]))
            return 1;
    return 0;
}

static sms_status add_column(parser *p, h2_table *t, const h2_token *name)
{
    char *text = NULL;
    size_t len = 0;
    sms_status st;

    if (t->ncols == H2_MAX_COLUMNS)
        return fail(p, name->line, "too many columns");
    if ((st = h2_tok_text(name, &text, &len)) != SMS_OK)
        return st == SMS_ENOMEM ? st : fail(p, name->line, "malformed column name");
    if (h2_column(t, text) >= 0) {
        free(text);
        return fail(p, name->line, "column defined twice");
    }
    t->cols[t->ncols++] = text;
    return SMS_OK;
}

/* "(" element {"," element} ")" of CREATE TABLE; an element is a column definition or a
 * table constraint, whose tokens after the name are skipped. */
static sms_status table_elements(parser *p, h2_table *t)
{
    sms_status st;

    if ((st = expect_punct(p, '(', "'(' after the table name")) != SMS_OK)
        return st;
    for (;;) {
        int depth = 0;

        if (p->tok.type == TK_QIDENT || (p->tok.type == TK_IDENT && !constraint_word(&p->tok))) {
            if ((st = add_column(p, t, &p->tok)) != SMS_OK)
                return st;
        }
        for (;;) {
            if (p->tok.type == TK_EOF || (depth == 0 && h2_tok_punct(&p->tok, ';')))
                return fail(p, p->tok.line, "unterminated column list");
            if (h2_tok_punct(&p->tok, '('))
                depth++;
            else if (h2_tok_punct(&p->tok, ')') && depth-- == 0)
                return advance(p);
            else if (depth == 0 && h2_tok_punct(&p->tok, ','))
                break;
            if ((st = advance(p)) != SMS_OK)
                return st;
        }
        if ((st = advance(p)) != SMS_OK)
            return st;
    }
}

static sms_status create_table(parser *p, size_t line)
{
    h2_table *t;
    sms_status st;
    int id;

    if (h2_tok_word(&p->tok, "IF")) {
        if ((st = advance(p)) != SMS_OK || (st = expect_word(p, "NOT")) != SMS_OK ||
            (st = expect_word(p, "EXISTS")) != SMS_OK)
            return st;
    }
    if ((st = table_name(p, &id)) != SMS_OK)
        return st;
    t = &p->d->tables[id];
    if (t->defined)
        return fail(p, line, "table %s defined twice", table_names[id]);
    t->defined = 1;
    if ((st = table_elements(p, t)) != SMS_OK)
        return st;
    if (t->ncols == 0)
        return fail(p, line, "table %s has no column", table_names[id]);
    return skip_statement(p, line);
}

static sms_status create(parser *p, size_t line)
{
    static const char *const table_kinds[] = {"CACHED", "MEMORY", "GLOBAL", "LOCAL", "TEMPORARY", "TEMP"};
    sms_status st;

    for (size_t i = 0; i < sizeof table_kinds / sizeof table_kinds[0];) {
        if (h2_tok_word(&p->tok, table_kinds[i])) {
            if ((st = advance(p)) != SMS_OK)
                return st;
            i = 0;
            continue;
        }
        i++;
    }
    if (h2_tok_word(&p->tok, "TABLE")) {
        if ((st = advance(p)) != SMS_OK)
            return st;
        return create_table(p, line);
    }
    /* CREATE USER / SCHEMA / SEQUENCE / INDEX / ...: no data. */
    return skip_statement(p, line);
}

/* ---- literals ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Reads exactly n digits. */
static int digits(const char **s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (c - '0');
    }
    *s += n;
    *out = v;
    return 1;
}

/* "YYYY-MM-DD[ HH:MM[:SS[.fraction]]][Z|(+|-)HH[:MM[:SS]]]" as H2 writes it. */
static int parse_timestamp(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0, oh = 0, om = 0, os = 0, sign = 1;
    int64_t days;

    if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' || !digits(&s, 2, &d))
        return 0;
    if (*s == ' ' || *s == 'T') {
        s++;
        if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi))
            return 0;
        if (*s == ':') {
            s++;
            if (!digits(&s, 2, &sec))
                return 0;
            if (*s == '.') {
                int n = 0;
                for (s++; *s >= '0' && *s <= '9'; s++, n++)
                    if (n < 3)
                        frac_ms = frac_ms * 10 + (*s - '0');
                if (n == 0 || n > 9)
                    return 0;
                for (; n < 3; n++)
                    frac_ms *= 10;
            }
        }
    }
    if (*s == 'Z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s++ == '-' ? -1 : 1;
        if (!digits(&s, 2, &oh))
            return 0;
        if (*s == ':') {
            s++;
            if (!digits(&s, 2, &om))
                return 0;
            if (*s == ':') {
                s++;
                if (!digits(&s, 2, &os))
                    return 0;
            }
        }
    }
    if (*s != '\0' || y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 || oh > 18 ||
        om > 59 || os > 59)
        return 0;
    days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - sign * (oh * 3600 + om * 60 + os)) * 1000 + frac_ms;
    return 1;
}

static void value_clear(h2_value *v)
{
    if (v->str != NULL)
        secure_free(v->str, v->len + 1);
    memset(v, 0, sizeof *v);
}

static sms_status literal(parser *p, h2_value *v);

/* CAST(<literal> AS <type words and parentheses>) */
static sms_status cast_literal(parser *p, h2_value *v)
{
    int depth = 0;
    sms_status st;

    if (++p->cast_depth > MAX_CAST_DEPTH)
        return fail(p, p->tok.line, "CAST nested too deeply");
    if ((st = expect_punct(p, '(', "'(' after CAST")) != SMS_OK || (st = literal(p, v)) != SMS_OK)
        return st;
    p->cast_depth--;
    if ((st = expect_word(p, "AS")) != SMS_OK)
        return st;
    for (;;) {
        if (p->tok.type == TK_EOF || h2_tok_punct(&p->tok, ';'))
            return fail(p, p->tok.line, "unterminated CAST");
        if (h2_tok_punct(&p->tok, '('))
            depth++;
        else if (h2_tok_punct(&p->tok, ')') && depth-- == 0)
            return advance(p);
        if ((st = advance(p)) != SMS_OK)
            return st;
    }
}

static sms_status timestamp_literal(parser *p, h2_value *v)
{
    char *text = NULL;
    size_t len = 0;
    size_t line = p->tok.line;
    sms_status st;

    if (h2_tok_word(&p->tok, "WITH") || h2_tok_word(&p->tok, "WITHOUT")) {
        if ((st = advance(p)) != SMS_OK || (st = expect_word(p, "TIME")) != SMS_OK ||
            (st = expect_word(p, "ZONE")) != SMS_OK)
            return st;
    }
    if (p->tok.type != TK_STRING)
        return fail(p, p->tok.line, "expected a timestamp string");
    if ((st = h2_tok_text(&p->tok, &text, &len)) != SMS_OK)
        return st == SMS_ENOMEM ? st : fail(p, line, "malformed timestamp");
    v->type = H2V_TIMESTAMP;
    if (!parse_timestamp(text, &v->num)) {
        free(text);
        return fail(p, line, "malformed timestamp");
    }
    free(text);
    return advance(p);
}

static sms_status integer_literal(parser *p, h2_value *v, int negative)
{
    char buf[32];
    char *end = NULL;
    long long n;

    if (p->tok.type != TK_NUMBER)
        return fail(p, p->tok.line, "expected a number after '-'");
    if (p->tok.n >= sizeof buf || memchr(p->tok.p, '.', p->tok.n) != NULL || memchr(p->tok.p, 'e', p->tok.n) ||
        memchr(p->tok.p, 'E', p->tok.n))
        return fail(p, p->tok.line, "unsupported numeric value (an integer was expected)");
    memcpy(buf, p->tok.p, p->tok.n);
    buf[p->tok.n] = '\0';
    errno = 0;
    n = strtoll(buf, &end, 10);
    if (errno != 0 || end == buf || *end != '\0')
        return fail(p, p->tok.line, "integer out of range");
    v->type = H2V_INT;
    v->num = negative ? -n : n;
    return advance(p);
}

/* One value of a row; the current token is its first. */
static sms_status literal(parser *p, h2_value *v)
{
    h2_token t = p->tok;
    sms_status st;

    memset(v, 0, sizeof *v);
    if (t.type == TK_STRING || t.type == TK_USTRING) {
        v->type = H2V_STRING;
        if ((st = h2_tok_text(&t, &v->str, &v->len)) != SMS_OK)
            return st == SMS_ENOMEM ? st : fail(p, t.line, "malformed string literal (bad escape or NUL)");
        if ((st = advance(p)) != SMS_OK)
            return st;
        if (h2_tok_word(&p->tok, "UESCAPE"))
            return fail(p, p->tok.line, "UESCAPE is not supported");
        return SMS_OK;
    }
    if (t.type == TK_NUMBER)
        return integer_literal(p, v, 0);
    if (h2_tok_punct(&t, '-')) {
        if ((st = advance(p)) != SMS_OK)
            return st;
        return integer_literal(p, v, 1);
    }
    if (t.type == TK_IDENT) {
        if ((st = advance(p)) != SMS_OK)
            return st;
        if (h2_tok_word(&t, "NULL"))
            return SMS_OK;
        if (h2_tok_word(&t, "TRUE") || h2_tok_word(&t, "FALSE")) {
            v->type = H2V_BOOL;
            v->num = h2_tok_word(&t, "TRUE");
            return SMS_OK;
        }
        if (h2_tok_word(&t, "CAST"))
            return cast_literal(p, v);
        if (h2_tok_word(&t, "TIMESTAMP"))
            return timestamp_literal(p, v);
    }
    return fail(p, t.line, "unsupported value in a row");
}

static sms_status add_row(parser *p, h2_table *t, h2_row *row)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        h2_row *rows = realloc(t->rows, cap * sizeof *rows);
        if (rows == NULL)
            return SMS_ENOMEM;
        t->rows = rows;
        t->cap = cap;
    }
    (void)p;
    t->rows[t->nrows++] = *row;
    return SMS_OK;
}

/* "(" value {"," value} ")" stored in table order through map (value i -> column). */
static sms_status row(parser *p, h2_table *t, const int *map, size_t nmap)
{
    h2_row r = {.line = p->tok.line};
    size_t n = 0;
    sms_status st;

    if ((st = expect_punct(p, '(', "'(' starting a row")) != SMS_OK)
        return st;
    r.values = calloc(t->ncols, sizeof *r.values);
    if (r.values == NULL)
        return SMS_ENOMEM;
    for (;;) {
        h2_value v;
        p->cast_depth = 0;
        if ((st = literal(p, &v)) != SMS_OK) {
            value_clear(&v);
            goto fail_row;
        }
        if (n >= nmap) {
            value_clear(&v);
            st = fail(p, r.line, "row has more values than the %zu columns expected", nmap);
            goto fail_row;
        }
        r.values[map[n++]] = v;
        if (h2_tok_punct(&p->tok, ')'))
            break;
        if ((st = expect_punct(p, ',', "',' or ')' in a row")) != SMS_OK)
            goto fail_row;
    }
    if (n != nmap) {
        st = fail(p, r.line, "row has %zu values, %zu columns expected", n, nmap);
        goto fail_row;
    }
    if ((st = advance(p)) != SMS_OK || (st = add_row(p, t, &r)) != SMS_OK)
        goto fail_row;
    return SMS_OK;

fail_row:
    for (size_t i = 0; i < t->ncols; i++)
        value_clear(&r.values[i]);
    free(r.values);
    return st;
}

/* Optional "(" column {"," column} ")" of an INSERT; default: the table's order. */
static sms_status insert_columns(parser *p, const h2_table *t, int *map, size_t *nmap)
{
    sms_status st;

    if (!h2_tok_punct(&p->tok, '(')) {
        for (size_t i = 0; i < t->ncols; i++)
            map[i] = (int)i;
        *nmap = t->ncols;
        return SMS_OK;
    }
    *nmap = 0;
    if ((st = advance(p)) != SMS_OK)
        return st;
    for (;;) {
        char *name = NULL;
        size_t len = 0;
        int col;

        if (p->tok.type != TK_IDENT && p->tok.type != TK_QIDENT)
            return fail(p, p->tok.line, "expected a column name");
        if ((st = h2_tok_text(&p->tok, &name, &len)) != SMS_OK)
            return st == SMS_ENOMEM ? st : fail(p, p->tok.line, "malformed column name");
        col = h2_column(t, name);
        free(name);
        if (col < 0)
            return fail(p, p->tok.line, "unknown column in INSERT");
        for (size_t i = 0; i < *nmap; i++)
            if (map[i] == col)
                return fail(p, p->tok.line, "column listed twice in INSERT");
        map[(*nmap)++] = col;
        if ((st = advance(p)) != SMS_OK)
            return st;
        if (h2_tok_punct(&p->tok, ')'))
            return advance(p);
        if ((st = expect_punct(p, ',', "',' or ')' in the column list")) != SMS_OK)
            return st;
        if (*nmap == t->ncols)
            return fail(p, p->tok.line, "too many columns in INSERT");
    }
}

static sms_status insert(parser *p, size_t line)
{
    int map[H2_MAX_COLUMNS];
    size_t nmap = 0;
    h2_table *t;
    sms_status st;
    int id;

    if ((st = expect_word(p, "INTO")) != SMS_OK || (st = table_name(p, &id)) != SMS_OK)
        return st;
    t = &p->d->tables[id];
    if (!t->defined)
        return fail(p, line, "INSERT INTO %s before its CREATE TABLE", table_names[id]);
    if ((st = insert_columns(p, t, map, &nmap)) != SMS_OK)
        return st;
    if (h2_tok_word(&p->tok, "OVERRIDING")) {
        if ((st = advance(p)) != SMS_OK)
            return st;
        if (!h2_tok_word(&p->tok, "SYSTEM") && !h2_tok_word(&p->tok, "USER"))
            return fail(p, p->tok.line, "expected SYSTEM or USER");
        if ((st = advance(p)) != SMS_OK || (st = expect_word(p, "VALUE")) != SMS_OK)
            return st;
    }
    if ((st = expect_word(p, "VALUES")) != SMS_OK)
        return st;
    for (;;) {
        if ((st = row(p, t, map, nmap)) != SMS_OK)
            return st;
        if (h2_tok_punct(&p->tok, ';'))
            return advance(p);
        if (p->tok.type == TK_EOF)
            return fail(p, line, "statement not terminated by ';' (truncated dump?)");
        if ((st = expect_punct(p, ',', "',' between rows or ';'")) != SMS_OK)
            return st;
    }
}

static int skippable(const h2_token *t)
{
    static const char *const words[] = {"DROP", "ALTER", "SET", "GRANT", "REVOKE", "COMMENT"};

    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (h2_tok_word(t, words[i]))
            return 1;
    return 0;
}

static sms_status statements(parser *p)
{
    sms_status st;

    if ((st = advance(p)) != SMS_OK)
        return st;
    while (p->tok.type != TK_EOF) {
        size_t line = p->tok.line;
        h2_token first = p->tok;

        if (h2_tok_punct(&first, ';')) {
            st = advance(p);
        } else if (h2_tok_word(&first, "CREATE")) {
            if ((st = advance(p)) == SMS_OK)
                st = create(p, line);
        } else if (h2_tok_word(&first, "INSERT")) {
            if ((st = advance(p)) == SMS_OK)
                st = insert(p, line);
        } else if (skippable(&first)) {
            st = skip_statement(p, line);
        } else {
            st = fail(p, line, "unsupported statement");
        }
        if (st != SMS_OK)
            return st;
    }
    return SMS_OK;
}

void h2_dump_free(h2_dump *d)
{
    if (d == NULL)
        return;
    for (int i = 0; i < H2_TABLE_COUNT; i++) {
        h2_table *t = &d->tables[i];
        for (size_t r = 0; r < t->nrows; r++) {
            for (size_t c = 0; c < t->ncols; c++)
                value_clear(&t->rows[r].values[c]);
            free(t->rows[r].values);
        }
        free(t->rows);
        for (size_t c = 0; c < t->ncols; c++)
            free(t->cols[c]);
    }
    memset(d, 0, sizeof *d);
}

sms_status h2_dump_parse(const char *data, size_t len, h2_dump *out, char *err, size_t errcap)
{
    parser p;
    sms_status st;

    if (err != NULL && errcap > 0)
        err[0] = '\0';
    if (out == NULL)
        return SMS_EINVAL;
    memset(out, 0, sizeof *out);
    if (data == NULL && len > 0)
        return SMS_EINVAL;
    if (len > H2_MAX_SCRIPT_BYTES) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "dump larger than %zu bytes", H2_MAX_SCRIPT_BYTES);
        return SMS_ETOOBIG;
    }
    memset(&p, 0, sizeof p);
    h2_lex_init(&p.lx, data != NULL ? data : "", len);
    p.d = out;
    p.err = err;
    p.errcap = errcap;
    st = statements(&p);
    if (st == SMS_ENOMEM && err != NULL && errcap > 0)
        snprintf(err, errcap, "line %zu: out of memory", p.tok.line);
    if (st != SMS_OK)
        h2_dump_free(out);
    return st;
}
