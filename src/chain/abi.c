#include "chain/abi.h"

#include <stdlib.h>
#include <string.h>

/* A length or offset word is accepted only if it fits comfortably in size_t arithmetic:
 * anything above this is certainly beyond any view we decode (bodies are capped at MiBs),
 * and keeping it small rules out overflow in the bound checks below. */
#define ABI_MAX_SANE ((uint64_t)1 << 40)

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= p[i];
    return acc == 0;
}

abi_view abi_view_make(const uint8_t *data, size_t len)
{
    abi_view v = {data, data == NULL ? 0 : len};
    return v;
}

sms_status abi_word(const abi_view *v, size_t index, const uint8_t **word)
{
    if (v == NULL || word == NULL) return SMS_EINVAL;
    size_t words = v->len / ABI_WORD;
    if (index >= words) return SMS_EINVAL;
    *word = v->data + index * ABI_WORD;
    return SMS_OK;
}

sms_status abi_read_uint64(const abi_view *v, size_t index, uint64_t *out)
{
    return abi_read_uint_max(v, index, UINT64_MAX, out);
}

sms_status abi_read_uint_max(const abi_view *v, size_t index, uint64_t max, uint64_t *out)
{
    const uint8_t *w;
    sms_status st = abi_word(v, index, &w);
    if (st != SMS_OK) return st;
    if (!all_zero(w, ABI_WORD - 8)) return SMS_EINVAL;
    uint64_t x = 0;
    for (size_t i = ABI_WORD - 8; i < ABI_WORD; i++) x = (x << 8) | w[i];
    if (x > max) return SMS_EINVAL;
    *out = x;
    return SMS_OK;
}

sms_status abi_read_address(const abi_view *v, size_t index, uint8_t out[ABI_ADDRESS_LEN])
{
    const uint8_t *w;
    sms_status st = abi_word(v, index, &w);
    if (st != SMS_OK) return st;
    if (!all_zero(w, ABI_WORD - ABI_ADDRESS_LEN)) return SMS_EINVAL;
    memcpy(out, w + ABI_WORD - ABI_ADDRESS_LEN, ABI_ADDRESS_LEN);
    return SMS_OK;
}

sms_status abi_read_bool(const abi_view *v, size_t index, int *out)
{
    uint64_t x;
    sms_status st = abi_read_uint_max(v, index, 1, &x);
    if (st != SMS_OK) return st;
    *out = (int)x;
    return SMS_OK;
}

sms_status abi_read_bytes32(const abi_view *v, size_t index, uint8_t out[ABI_WORD])
{
    const uint8_t *w;
    sms_status st = abi_word(v, index, &w);
    if (st != SMS_OK) return st;
    memcpy(out, w, ABI_WORD);
    return SMS_OK;
}

sms_status abi_read_offset(const abi_view *v, size_t index, size_t head_words, size_t *out)
{
    uint64_t off;
    sms_status st = abi_read_uint_max(v, index, ABI_MAX_SANE, &off);
    if (st != SMS_OK) return st;
    if (head_words > ABI_MAX_SANE / ABI_WORD) return SMS_EINVAL;
    if (off % ABI_WORD != 0) return SMS_EINVAL;
    if (off < (uint64_t)head_words * ABI_WORD) return SMS_EINVAL;
    if (off > v->len || v->len - off < ABI_WORD) return SMS_EINVAL;
    *out = (size_t)off;
    return SMS_OK;
}

sms_status abi_read_tuple(const abi_view *v, size_t index, size_t head_words, size_t child_head_words,
                          abi_view *out)
{
    size_t off;
    sms_status st = abi_read_offset(v, index, head_words, &off);
    if (st != SMS_OK) return st;
    if (child_head_words > (v->len - off) / ABI_WORD) return SMS_EINVAL;
    *out = abi_view_make(v->data + off, v->len - off);
    return SMS_OK;
}

/* Bounds of a length-prefixed tail at byte offset `off` whose items are `item_size` bytes:
 * checks that the length word and the padded payload lie inside the view. */
static sms_status read_tail(const abi_view *v, size_t off, size_t item_size, const uint8_t **p, size_t *count)
{
    abi_view tail = abi_view_make(v->data + off, v->len - off);
    uint64_t n;
    sms_status st = abi_read_uint_max(&tail, 0, ABI_MAX_SANE, &n);
    if (st != SMS_OK) return st;
    size_t avail = tail.len - ABI_WORD;
    if (n > avail / item_size) return SMS_EINVAL;
    size_t bytes = (size_t)n * item_size;
    size_t padded = bytes + (ABI_WORD - bytes % ABI_WORD) % ABI_WORD;
    if (padded > avail) return SMS_EINVAL;
    *p = tail.data + ABI_WORD;
    *count = (size_t)n;
    return SMS_OK;
}

sms_status abi_read_bytes(const abi_view *v, size_t index, size_t head_words, const uint8_t **p, size_t *n)
{
    size_t off;
    sms_status st = abi_read_offset(v, index, head_words, &off);
    if (st != SMS_OK) return st;
    return read_tail(v, off, 1, p, n);
}

sms_status abi_read_static_array(const abi_view *v, size_t index, size_t head_words, size_t elem_words,
                                 size_t *count, abi_view *elems)
{
    if (elem_words == 0 || elem_words > ABI_MAX_SANE / ABI_WORD) return SMS_EINVAL;
    size_t off;
    sms_status st = abi_read_offset(v, index, head_words, &off);
    if (st != SMS_OK) return st;
    const uint8_t *p;
    size_t c;
    st = read_tail(v, off, elem_words * ABI_WORD, &p, &c);
    if (st != SMS_OK) return st;
    *count = c;
    *elems = abi_view_make(p, c * elem_words * ABI_WORD);
    return SMS_OK;
}

sms_status abi_dup_bytes(const abi_view *v, size_t index, size_t head_words, char **out, size_t *n)
{
    const uint8_t *p;
    size_t len;
    sms_status st = abi_read_bytes(v, index, head_words, &p, &len);
    if (st != SMS_OK) return st;
    char *copy = malloc(len + 1);
    if (copy == NULL) return SMS_ENOMEM;
    if (len > 0) memcpy(copy, p, len);
    copy[len] = '\0';
    *out = copy;
    *n = len;
    return SMS_OK;
}

void abi_put_selector(uint8_t out[ABI_SELECTOR_LEN], uint32_t selector)
{
    out[0] = (uint8_t)(selector >> 24);
    out[1] = (uint8_t)(selector >> 16);
    out[2] = (uint8_t)(selector >> 8);
    out[3] = (uint8_t)selector;
}

void abi_put_uint64(uint8_t word[ABI_WORD], uint64_t v)
{
    memset(word, 0, ABI_WORD);
    for (size_t i = 0; i < 8; i++) word[ABI_WORD - 1 - i] = (uint8_t)(v >> (8 * i));
}

void abi_put_address(uint8_t word[ABI_WORD], const uint8_t addr[ABI_ADDRESS_LEN])
{
    memset(word, 0, ABI_WORD - ABI_ADDRESS_LEN);
    memcpy(word + ABI_WORD - ABI_ADDRESS_LEN, addr, ABI_ADDRESS_LEN);
}

void abi_put_bytes32(uint8_t word[ABI_WORD], const uint8_t b[ABI_WORD]) { memcpy(word, b, ABI_WORD); }

void abi_encode_call1(uint8_t out[ABI_SELECTOR_LEN + ABI_WORD], uint32_t selector, const uint8_t arg[ABI_WORD])
{
    abi_put_selector(out, selector);
    memcpy(out + ABI_SELECTOR_LEN, arg, ABI_WORD);
}
