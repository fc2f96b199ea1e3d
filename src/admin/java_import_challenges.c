/* Java SMS migration: enclave challenges (tee_challenge joined with
 * ethereum_credentials) and the duplicate-identity check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin/java_import_int.h"
#include "core/hex.h"
#include "core/secure.h"
#include "crypto/ethsig.h"
#include "secrets/secrets.h"
#include "tee/challenge_context.h"

typedef struct {
    const char *id;
    size_t row;
} cred_ref;

static int cred_cmp(const void *a, const void *b)
{
    return strcmp(((const cred_ref *)a)->id, ((const cred_ref *)b)->id);
}

/* Task ids are stored as received by the reference; ours are "0x" + 64 lower-case hex. */
static int task_key(const char *task, char out[TEE_CHALLENGE_KEY_TEXT_LEN + 1])
{
    if (task == NULL || strlen(task) != TEE_CHALLENGE_KEY_TEXT_LEN || task[0] != '0' ||
        (task[1] != 'x' && task[1] != 'X'))
        return 0;
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 2; i < TEE_CHALLENGE_KEY_TEXT_LEN; i++) {
        char ch = task[i];
        if (ch >= 'A' && ch <= 'F')
            ch = (char)(ch - 'A' + 'a');
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return 0;
        out[i] = ch;
    }
    out[TEE_CHALLENGE_KEY_TEXT_LEN] = '\0';
    return 1;
}

static int key_text_ok(const uint8_t *p, size_t n)
{
    if (n != TEE_CHALLENGE_KEY_TEXT_LEN || p[0] != '0' || p[1] != 'x')
        return 0;
    for (size_t i = 2; i < n; i++) {
        uint8_t ch = p[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
            return 0;
    }
    return 1;
}

/* The credentials' private key, checked against their address. */
static sms_status credential_key(converter *c, const h2_table *cred, const h2_row *r, const int *col,
                                 char key_text[TEE_CHALLENGE_KEY_TEXT_LEN + 1], char address[ETH_ADDRESS_STR_LEN])
{
    uint8_t *pt = NULL;
    size_t pt_len = 0, seckey_len = 0;
    uint8_t seckey[32], addr[ETH_ADDRESS_LEN];
    const char *stored = jimp_str_at(r, col[2]);
    sms_status st;
    int enc;

    if ((st = jimp_encrypted_flag(c, cred, r, H2_CREDENTIALS, &enc)) != SMS_OK ||
        (st = jimp_plaintext(c, r, col[1], enc, H2_CREDENTIALS, &pt, &pt_len)) != SMS_OK)
        return st;
    st = SMS_ECRYPTO;
    if (!key_text_ok(pt, pt_len) ||
        hex_decode((const char *)pt, pt_len, seckey, sizeof seckey, &seckey_len) != SMS_OK || seckey_len != 32 ||
        eth_address_of(seckey, addr) != SMS_OK) {
        st = jimp_fail(c, SMS_ECRYPTO, r->line,
                       "ethereum_credentials.private_key is not a secp256k1 key in hex (wrong Java key file?)");
        goto cleanup;
    }
    address_format(addr, address);
    if (stored != NULL && strcasecmp(stored, address) != 0) {
        st = jimp_fail(c, SMS_ECRYPTO, r->line,
                       "ethereum_credentials.private_key is not the key of its address (wrong Java key file?)");
        goto cleanup;
    }
    hex_encode_0x(seckey, sizeof seckey, key_text);
    st = SMS_OK;

cleanup:
    secure_zero(seckey, sizeof seckey);
    secure_free(pt, pt_len + 1);
    return st;
}

static sms_status add_challenge(converter *c, const h2_row *r, const char *task, int64_t deadline_ms,
                                const char *key_text, const char *address)
{
    char context[sizeof TEE_CHALLENGE_SEAL_CONTEXT_PREFIX + TEE_CHALLENGE_KEY_TEXT_LEN];
    challenge_rec ch;
    store_record rec;
    sms_status st;

    memset(&ch, 0, sizeof ch);
    snprintf(context, sizeof context, "%s%s", TEE_CHALLENGE_SEAL_CONTEXT_PREFIX, task);
    st = secrets_seal_context_with(c->our_key, context, (const uint8_t *)key_text, TEE_CHALLENGE_KEY_TEXT_LEN,
                                   &ch.sealed_key, &ch.sealed_key_len);
    if (st != SMS_OK)
        return st;
    snprintf(ch.task_id, sizeof ch.task_id, "%s", task);
    snprintf(ch.address, sizeof ch.address, "%s", address);
    ch.final_deadline_ms = deadline_ms;
    memset(&rec, 0, sizeof rec);
    rec.type = STORE_REC_CHALLENGE;
    rec.challenge = &ch;
    if ((st = reclist_add_copy(c->out, &rec)) == SMS_OK && (st = jimp_remember_line(c, r->line)) == SMS_OK)
        c->rep.challenges++;
    challenge_rec_clear(&ch);
    return st;
}

static sms_status deadline_of(converter *c, const h2_row *r, int col, int64_t *ms)
{
    const h2_value *v = &r->values[col];

    *ms = 0;
    if (v->type == H2V_NULL)
        return SMS_OK;
    if (v->type != H2V_TIMESTAMP || v->num <= 0)
        return jimp_fail(c, SMS_EINVAL, r->line, "tee_challenge.final_deadline is not a timestamp after 1970");
    *ms = v->num;
    return SMS_OK;
}

/* One challenge row: its credentials (found in refs), key, seal. */
static sms_status challenge_row(converter *c, const h2_row *r, const int *ccol, const h2_table *cred,
                                const int *kcol, const cred_ref *refs, unsigned char *used)
{
    char task[TEE_CHALLENGE_KEY_TEXT_LEN + 1], key_text[TEE_CHALLENGE_KEY_TEXT_LEN + 1];
    char address[ETH_ADDRESS_STR_LEN];
    cred_ref probe, *found;
    int64_t deadline;
    sms_status st;

    if (!task_key(jimp_str_at(r, ccol[0]), task))
        return jimp_fail(c, SMS_EINVAL, r->line, "tee_challenge.task_id is not \"0x\" + 64 hex digits");
    if ((st = deadline_of(c, r, ccol[1], &deadline)) != SMS_OK)
        return st;
    probe.id = jimp_str_at(r, ccol[2]);
    found = probe.id != NULL && cred->nrows > 0
                ? bsearch(&probe, refs, cred->nrows, sizeof *refs, cred_cmp)
                : NULL;
    if (found == NULL)
        return jimp_fail(c, SMS_EINVAL, r->line, "tee_challenge of task %s has no ethereum_credentials row", task);
    if (used[found->row]++)
        return jimp_fail(c, SMS_EINVAL, r->line, "ethereum_credentials row shared by two challenges");
    st = credential_key(c, cred, &cred->rows[found->row], kcol, key_text, address);
    if (st == SMS_OK)
        st = add_challenge(c, r, task, deadline, key_text, address);
    secure_zero(key_text, sizeof key_text);
    return st;
}

sms_status jimp_challenges(converter *c, const h2_table *ch, const h2_table *cred)
{
    int ccol[3], kcol[3];
    cred_ref *refs = NULL;
    unsigned char *used = NULL;
    size_t n_used = 0;
    sms_status st = SMS_OK;

    if (!ch->defined || ch->nrows == 0) {
        c->rep.unused_credentials = cred->nrows;
        return SMS_OK;
    }
    if (!cred->defined)
        return jimp_fail(c, SMS_EINVAL, ch->rows[0].line, "tee_challenge rows but no ethereum_credentials table");
    if ((st = jimp_need_col(c, ch, H2_CHALLENGE, "task_id", &ccol[0])) != SMS_OK ||
        (st = jimp_need_col(c, ch, H2_CHALLENGE, "final_deadline", &ccol[1])) != SMS_OK ||
        (st = jimp_need_col(c, ch, H2_CHALLENGE, "credentials_id", &ccol[2])) != SMS_OK ||
        (st = jimp_need_col(c, cred, H2_CREDENTIALS, "id", &kcol[0])) != SMS_OK ||
        (st = jimp_need_col(c, cred, H2_CREDENTIALS, "private_key", &kcol[1])) != SMS_OK ||
        (st = jimp_need_col(c, cred, H2_CREDENTIALS, "address", &kcol[2])) != SMS_OK)
        return st;
    refs = calloc(cred->nrows + 1, sizeof *refs);
    used = calloc(cred->nrows + 1, 1);
    if (refs == NULL || used == NULL) {
        st = SMS_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < cred->nrows; i++) {
        refs[i].id = jimp_str_at(&cred->rows[i], kcol[0]);
        refs[i].row = i;
        if (refs[i].id == NULL) {
            st = jimp_fail(c, SMS_EINVAL, cred->rows[i].line, "ethereum_credentials.id is NULL");
            goto cleanup;
        }
    }
    qsort(refs, cred->nrows, sizeof *refs, cred_cmp);
    for (size_t i = 1; i < cred->nrows; i++) {
        if (strcmp(refs[i - 1].id, refs[i].id) == 0) {
            st = jimp_fail(c, SMS_EINVAL, cred->rows[refs[i].row].line, "ethereum_credentials.id appears twice");
            goto cleanup;
        }
    }
    for (size_t i = 0; i < ch->nrows; i++)
        if ((st = challenge_row(c, &ch->rows[i], ccol, cred, kcol, refs, used)) != SMS_OK)
            goto cleanup;
    for (size_t i = 0; i < cred->nrows; i++)
        n_used += used[i] != 0;
    c->rep.unused_credentials = cred->nrows - n_used;

cleanup:
    free(refs);
    free(used);
    return st;
}

typedef struct {
    const store_record *rec;
    size_t line;
} ident_ref;

static int ident_cmp(const void *a, const void *b)
{
    const store_record *x = ((const ident_ref *)a)->rec, *y = ((const ident_ref *)b)->rec;
    int d;

    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    if (x->type == STORE_REC_CHALLENGE)
        return strcmp(x->challenge->task_id, y->challenge->task_id);
    if (x->secret.kind != y->secret.kind)
        return x->secret.kind < y->secret.kind ? -1 : 1;
    if ((d = strcmp(x->secret.owner, y->secret.owner)) != 0)
        return d;
    return strcmp(x->secret.name, y->secret.name);
}

sms_status jimp_check_duplicates(converter *c)
{
    size_t n = c->out->n - c->first;
    ident_ref *refs;
    sms_status st = SMS_OK;

    if (n < 2)
        return SMS_OK;
    refs = calloc(n, sizeof *refs);
    if (refs == NULL)
        return SMS_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        refs[i].rec = reclist_at(c->out, c->first + i);
        refs[i].line = c->lines[i];
    }
    qsort(refs, n, sizeof *refs, ident_cmp);
    for (size_t i = 1; i < n && st == SMS_OK; i++) {
        size_t a, b;
        if (ident_cmp(&refs[i - 1], &refs[i]) != 0)
            continue;
        a = refs[i - 1].line < refs[i].line ? refs[i - 1].line : refs[i].line;
        b = refs[i - 1].line < refs[i].line ? refs[i].line : refs[i - 1].line;
        st = jimp_fail(c, SMS_EINVAL, b,
                       "same identity as line %zu once normalised (lower-cased): this daemon keeps one record per "
                       "identity; remove one of the two rows",
                       a);
    }
    free(refs);
    return st;
}
