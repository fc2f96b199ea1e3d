/* Owned copies of store records. */
#include "admin/reclist.h"

#include <stdlib.h>
#include <string.h>

#include "core/secure.h"

struct reclist_item {
    store_record rec; /* points into the fields below */
    char *owner;
    char *name;
    uint8_t *sealed;
    size_t sealed_len;
    challenge_rec ch;
};

void reclist_init(reclist *l)
{
    if (l != NULL)
        memset(l, 0, sizeof *l);
}

static void item_clear(reclist_item *it)
{
    free(it->owner);
    free(it->name);
    secure_free(it->sealed, it->sealed_len);
    challenge_rec_clear(&it->ch);
    memset(it, 0, sizeof *it);
}

void reclist_free(reclist *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        item_clear(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void reclist_truncate(reclist *l, size_t n)
{
    if (l == NULL)
        return;
    while (l->n > n)
        item_clear(&l->items[--l->n]);
    if (l->cursor > l->n)
        l->cursor = l->n;
}

static sms_status grow(reclist *l)
{
    size_t cap;
    reclist_item *items;

    if (l->n < l->cap)
        return SMS_OK;
    cap = l->cap ? l->cap * 2 : 64;
    if (cap > SIZE_MAX / sizeof *items)
        return SMS_ENOMEM;
    items = realloc(l->items, cap * sizeof *items);
    if (items == NULL)
        return SMS_ENOMEM;
    /* Items hold pointers into themselves (rec -> fields): re-point after the move. */
    for (size_t i = 0; i < l->n; i++) {
        reclist_item *it = &items[i];
        if (it->rec.type == STORE_REC_SECRET) {
            it->rec.secret.owner = it->owner;
            it->rec.secret.name = it->name;
            it->rec.sealed = it->sealed;
        } else {
            it->rec.challenge = &it->ch;
        }
    }
    l->items = items;
    l->cap = cap;
    return SMS_OK;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    /* One spare byte so that an empty value is still a distinct non-NULL buffer. */
    uint8_t *out = malloc(n + 1);

    if (out != NULL && n > 0)
        memcpy(out, p, n);
    return out;
}

sms_status reclist_add_copy(reclist *l, const store_record *rec)
{
    reclist_item it;
    sms_status st;

    if (l == NULL || rec == NULL)
        return SMS_EINVAL;
    memset(&it, 0, sizeof it);
    it.rec.type = rec->type;
    if (rec->type == STORE_REC_SECRET) {
        if (rec->secret.owner == NULL || rec->secret.name == NULL || (rec->sealed == NULL && rec->sealed_len > 0))
            return SMS_EINVAL;
        it.rec.secret.kind = rec->secret.kind;
        it.owner = strdup(rec->secret.owner);
        it.name = strdup(rec->secret.name);
        it.sealed = dup_bytes(rec->sealed, rec->sealed_len);
        it.sealed_len = rec->sealed_len;
        if (it.owner == NULL || it.name == NULL || it.sealed == NULL) {
            st = SMS_ENOMEM;
            goto fail;
        }
    } else if (rec->type == STORE_REC_CHALLENGE) {
        const challenge_rec *c = rec->challenge;
        if (c == NULL || (c->sealed_key == NULL && c->sealed_key_len > 0))
            return SMS_EINVAL;
        memcpy(it.ch.task_id, c->task_id, sizeof it.ch.task_id);
        it.ch.task_id[sizeof it.ch.task_id - 1] = '\0';
        memcpy(it.ch.address, c->address, sizeof it.ch.address);
        it.ch.address[sizeof it.ch.address - 1] = '\0';
        it.ch.final_deadline_ms = c->final_deadline_ms;
        it.ch.sealed_key = dup_bytes(c->sealed_key, c->sealed_key_len);
        it.ch.sealed_key_len = c->sealed_key_len;
        if (it.ch.sealed_key == NULL) {
            st = SMS_ENOMEM;
            goto fail;
        }
    } else {
        return SMS_EINVAL;
    }
    if ((st = grow(l)) != SMS_OK)
        goto fail;
    l->items[l->n] = it;
    /* Point the record at the item's final location. */
    {
        reclist_item *dst = &l->items[l->n];
        if (dst->rec.type == STORE_REC_SECRET) {
            dst->rec.secret.owner = dst->owner;
            dst->rec.secret.name = dst->name;
            dst->rec.sealed = dst->sealed;
            dst->rec.sealed_len = dst->sealed_len;
        } else {
            dst->rec.challenge = &dst->ch;
        }
    }
    l->n++;
    return SMS_OK;

fail:
    item_clear(&it);
    return st;
}

const store_record *reclist_at(const reclist *l, size_t i)
{
    if (l == NULL || i >= l->n)
        return NULL;
    return &l->items[i].rec;
}

sms_status reclist_source(void *ctx, const store_record **rec)
{
    reclist *l = ctx;

    *rec = NULL;
    if (l->cursor < l->n)
        *rec = &l->items[l->cursor++].rec;
    return SMS_OK;
}

void reclist_rewind(reclist *l)
{
    if (l != NULL)
        l->cursor = 0;
}

sms_status reclist_collect(void *ctx, const store_record *rec)
{
    return reclist_add_copy(ctx, rec);
}
