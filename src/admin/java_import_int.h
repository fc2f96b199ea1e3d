/* Private to the Java migration (java_import*.c). */
#ifndef SMS_ADMIN_JAVA_IMPORT_INT_H
#define SMS_ADMIN_JAVA_IMPORT_INT_H

#include "admin/java_import.h"

typedef struct {
    const uint8_t *java_key;
    size_t java_key_len;
    const aead_key *our_key;
    reclist *out;
    size_t *lines; /* parallel to the records appended to out */
    size_t lines_cap;
    size_t first;  /* out->n before the conversion */
    java_import_report rep;
    char *err;
    size_t errcap;
} converter;

/* Sets err to "line N: ..." (no line prefix when line is 0) and returns st. */
sms_status jimp_fail(converter *c, sms_status st, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Index of a required column; SMS_EINVAL (with a message) when the table lacks it. */
sms_status jimp_need_col(converter *c, const h2_table *t, h2_table_id id, const char *name, int *idx);
/* The string value of a column, NULL when the value is NULL or not a string. */
const char *jimp_str_at(const h2_row *r, int idx);
/* is_encrypted of a row (1 when the table has no such column or it is NULL). */
sms_status jimp_encrypted_flag(converter *c, const h2_table *t, const h2_row *r, h2_table_id id, int *flag);
/* Plaintext of a stored value: decrypted with the Java key when encrypted (and required to
 * be UTF-8), copied otherwise. *pt is secure_free'd by the caller (*pt_len + 1 bytes). */
sms_status jimp_plaintext(converter *c, const h2_row *r, int idx, int encrypted, h2_table_id id, uint8_t **pt,
                          size_t *pt_len);
/* Records the dump line of the record just appended to c->out. */
sms_status jimp_remember_line(converter *c, size_t line);

/* java_import_challenges.c */
/* tee_challenge joined with ethereum_credentials. */
sms_status jimp_challenges(converter *c, const h2_table *ch, const h2_table *cred);
/* Refuses two records of the dump with one identity, naming both lines. */
sms_status jimp_check_duplicates(converter *c);

#endif
