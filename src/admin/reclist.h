/* An in-memory list of store records that owns its strings and sealed bytes: the staging
 * area of a restore or a migration (filled completely and verified before the live store
 * is touched), and the snapshot a restore keeps to roll back. */
#ifndef SMS_ADMIN_RECLIST_H
#define SMS_ADMIN_RECLIST_H

#include <stddef.h>

#include "core/status.h"
#include "store/store.h"

typedef struct reclist_item reclist_item;

typedef struct {
    reclist_item *items;
    size_t n;
    size_t cap;
    size_t cursor; /* position of reclist_source */
} reclist;

/* Zero-initialised list; free with reclist_free. */
void reclist_init(reclist *l);
/* Wipe the sealed bytes and free everything; the list is then empty again. NULL-safe. */
void reclist_free(reclist *l);

/* Drop the records from index n on (wiped); n >= l->n does nothing. */
void reclist_truncate(reclist *l, size_t n);

/* Append a deep copy of rec (secret strings, sealed value, challenge).
 * SMS_OK, SMS_EINVAL (NULL, unknown type), SMS_ENOMEM. */
sms_status reclist_add_copy(reclist *l, const store_record *rec);

/* The i-th record (i < l->n), pointing into the list's own storage. */
const store_record *reclist_at(const reclist *l, size_t i);

/* store_record_source over the list (ctx = the reclist), from its first record; rewind
 * with reclist_rewind before reusing it. */
sms_status reclist_source(void *ctx, const store_record **rec);
void reclist_rewind(reclist *l);

/* store_record_cb that appends to the reclist given as ctx (for store_foreach). */
sms_status reclist_collect(void *ctx, const store_record *rec);

#endif
