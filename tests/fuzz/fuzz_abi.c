/* Fuzz bytes as eth_call results for every PoCo decoder and the ABI readers: any input must
 * give SMS_OK or an error, never a crash, an over-read or a leak. Successful decodes are
 * also deep-copied and cleared to exercise the ownership paths. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/poco.h"

static void check_text(const char *s, size_t len)
{
    /* Every owned text field is NUL-terminated at its length. */
    if (s == NULL || s[len] != '\0') abort();
}

static void fuzz_abi_readers(const uint8_t *data, size_t size)
{
    if (size < 2) return;
    size_t index = data[0] % 16;
    size_t head = data[1] % 16;
    abi_view v = abi_view_make(data + 2, size - 2);
    const uint8_t *p;
    size_t n, off, count;
    uint64_t x;
    int b;
    uint8_t buf[32];
    abi_view t;
    (void)abi_read_uint64(&v, index, &x);
    (void)abi_read_bool(&v, index, &b);
    (void)abi_read_address(&v, index, buf);
    (void)abi_read_offset(&v, index, head, &off);
    (void)abi_read_tuple(&v, index, head, head, &t);
    if (abi_read_bytes(&v, index, head, &p, &n) == SMS_OK) {
        /* touching the whole range lets ASan check the bounds */
        volatile uint8_t acc = 0;
        for (size_t i = 0; i < n; i++) acc ^= p[i];
        (void)acc;
    }
    if (abi_read_static_array(&v, index, head, 1 + data[0] % 3, &count, &t) == SMS_OK) {
        volatile uint8_t acc = 0;
        for (size_t i = 0; i < t.len; i++) acc ^= t.data[i];
        (void)acc;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A heap copy of the exact size so that any over-read is caught. */
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) return 0;
    if (size) memcpy(copy, data, size);

    struct poco_task task;
    (void)poco_decode_task(copy, size, &task);

    struct poco_deal deal, deal2;
    if (poco_decode_deal(copy, size, &deal) == SMS_OK) {
        check_text(deal.params, deal.params_len);
        (void)poco_tag_tee_framework(deal.tag);
        if (poco_deal_copy(&deal2, &deal) == SMS_OK) poco_deal_clear(&deal2);
        poco_deal_clear(&deal);
    }

    struct poco_category cat, cat2;
    if (poco_decode_category(copy, size, &cat) == SMS_OK) {
        check_text(cat.name, cat.name_len);
        check_text(cat.description, cat.description_len);
        if (poco_category_copy(&cat2, &cat) == SMS_OK) poco_category_clear(&cat2);
        poco_category_clear(&cat);
    }

    struct poco_app app, app2;
    if (poco_decode_app(copy, size, &app) == SMS_OK) {
        check_text(app.mrenclave, app.mrenclave_len);
        check_text(app.multiaddr, app.multiaddr_len);
        if (poco_app_copy(&app2, &app) == SMS_OK) poco_app_clear(&app2);
        poco_app_clear(&app);
    }

    struct poco_dataset ds, ds2;
    if (poco_decode_dataset(copy, size, &ds) == SMS_OK) {
        check_text(ds.uri, ds.uri_len);
        if (poco_dataset_copy(&ds2, &ds) == SMS_OK) poco_dataset_clear(&ds2);
        poco_dataset_clear(&ds);
    }

    char owner[POCO_ADDR_STR];
    (void)poco_decode_owner(copy, size, owner);

    char *uri = NULL;
    size_t uri_len = 0;
    if (poco_multiaddr_to_uri(copy, size, &uri, &uri_len) == SMS_OK) {
        check_text(uri, uri_len);
        free(uri);
    }

    fuzz_abi_readers(copy, size);
    free(copy);
    return 0;
}
