/* Solidity ABI decoding and encoding helpers for eth_call data (tee-sessions.md 4.1-4.2).
 *
 * Decoding works on an abi_view: a read-only window (data, len) onto return data or onto a
 * tuple inside it. Dynamic values are always located by following their offset word, never
 * by assuming where a tail sits. Every reader checks bounds and returns SMS_EINVAL for short,
 * misaligned or inconsistent data; none of them allocates or reads outside the view.
 *
 * Offsets inside a tuple are relative to the start of that tuple (the view). A valid offset
 * is 32-aligned, points past the tuple's own head (so it can never point into itself) and
 * leaves room for at least one word inside the view. */
#ifndef SMS_CHAIN_ABI_H
#define SMS_CHAIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define ABI_WORD 32
#define ABI_ADDRESS_LEN 20
#define ABI_SELECTOR_LEN 4

typedef struct {
    const uint8_t *data; /* borrowed; the view never owns it */
    size_t len;
} abi_view;

/* A view over len bytes at data (data may be NULL when len is 0). */
abi_view abi_view_make(const uint8_t *data, size_t len);

/* Pointer to the 32-byte word at word index `index` of the view.
 * SMS_EINVAL if the word does not lie entirely inside the view. */
sms_status abi_word(const abi_view *v, size_t index, const uint8_t **word);

/* Unsigned integer word that must fit in 64 bits (the 24 high bytes must be zero).
 * SMS_EINVAL if out of range or out of bounds. */
sms_status abi_read_uint64(const abi_view *v, size_t index, uint64_t *out);

/* Unsigned integer word that must be <= max (e.g. 255 for uint8, 4 for an enum). */
sms_status abi_read_uint_max(const abi_view *v, size_t index, uint64_t max, uint64_t *out);

/* Address word: 12 zero bytes then 20 address bytes. SMS_EINVAL if any high byte is set. */
sms_status abi_read_address(const abi_view *v, size_t index, uint8_t out[ABI_ADDRESS_LEN]);

/* Bool word: exactly 0 or 1; anything else is SMS_EINVAL. *out receives 0 or 1. */
sms_status abi_read_bool(const abi_view *v, size_t index, int *out);

/* bytes32 word, copied verbatim. */
sms_status abi_read_bytes32(const abi_view *v, size_t index, uint8_t out[ABI_WORD]);

/* Offset word at `index` of a tuple whose head is `head_words` words long. The offset must be
 * 32-aligned, >= head_words * 32 (past the head) and offset + 32 <= view length.
 * *out receives the byte offset relative to the view start. */
sms_status abi_read_offset(const abi_view *v, size_t index, size_t head_words, size_t *out);

/* Follow the offset at `index` (tuple head of `head_words` words) to a nested dynamic tuple
 * whose own head is `child_head_words` words; *out is the view from that offset to the end
 * of v, checked to hold at least the child head. */
sms_status abi_read_tuple(const abi_view *v, size_t index, size_t head_words, size_t child_head_words,
                          abi_view *out);

/* Follow the offset at `index` (tuple head of `head_words` words) to a dynamic `bytes` or
 * `string`: a length word followed by ceil(length/32) data words, all inside the view.
 * *p points into the view (not copied; valid while the underlying data is), *n = length. */
sms_status abi_read_bytes(const abi_view *v, size_t index, size_t head_words, const uint8_t **p, size_t *n);

/* Follow the offset at `index` (tuple head of `head_words` words) to a dynamic array of a
 * static element type that is `elem_words` words long (1 for address[] / uint256[]).
 * *count = number of elements; *elems = view over exactly count * elem_words words. */
sms_status abi_read_static_array(const abi_view *v, size_t index, size_t head_words, size_t elem_words,
                                 size_t *count, abi_view *elems);

/* Copy a dynamic bytes/string (see abi_read_bytes) into a fresh malloc'ed buffer with a
 * trailing NUL (so text can be used as a C string; the content may itself hold NUL bytes,
 * *n is the real length). *out is owned by the caller (free). SMS_ENOMEM on allocation. */
sms_status abi_dup_bytes(const abi_view *v, size_t index, size_t head_words, char **out, size_t *n);

/* Encoding (calldata = 4-byte selector followed by 32-byte argument words). */

/* Big-endian selector into out[4]. */
void abi_put_selector(uint8_t out[ABI_SELECTOR_LEN], uint32_t selector);
/* uint256 word holding v. */
void abi_put_uint64(uint8_t word[ABI_WORD], uint64_t v);
/* Address left-padded with 12 zero bytes. */
void abi_put_address(uint8_t word[ABI_WORD], const uint8_t addr[ABI_ADDRESS_LEN]);
/* bytes32 word verbatim. */
void abi_put_bytes32(uint8_t word[ABI_WORD], const uint8_t b[ABI_WORD]);

/* Calldata for a function taking exactly one static argument word:
 * out[36] = selector || arg. */
void abi_encode_call1(uint8_t out[ABI_SELECTOR_LEN + ABI_WORD], uint32_t selector, const uint8_t arg[ABI_WORD]);

#endif
