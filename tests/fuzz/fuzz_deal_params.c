/* Deal params parser (tee-sessions.md 4.12) on arbitrary bytes: never fails but on memory,
 * never crashes, and always yields NUL-free UTF-8 strings with the fallback's invariants. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "tee/task_description.h"

static void check_text(const char *s)
{
    if (s != NULL && !utf8_valid((const uint8_t *)s, strlen(s))) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    deal_params p;
    if (deal_params_parse((const char *)data, size, &p) != SMS_OK) abort();
    if (p.bulk_cid == NULL) abort();
    check_text(p.iexec_args);
    check_text(p.storage_provider);
    check_text(p.storage_proxy);
    check_text(p.bulk_cid);
    for (size_t i = 0; i < p.n_input_files; i++) {
        if (p.input_files[i] == NULL) abort();
        check_text(p.input_files[i]);
    }
    for (size_t i = 0; i < p.n_secrets; i++) {
        if (p.secrets[i].index == NULL || p.secrets[i].name == NULL) abort();
        check_text(p.secrets[i].index);
        check_text(p.secrets[i].name);
    }
    /* the null document and the fallback leave every other field at its default */
    if (p.absent && (p.iexec_args != NULL || p.n_input_files || p.n_secrets || p.result_encryption)) abort();
    /* input without '{' can only be a fallback (or the null document) */
    if (memchr(data, '{', size) == NULL && !p.absent && p.iexec_args == NULL) abort();
    deal_params_clear(&p);
    if (p.iexec_args != NULL || p.secrets != NULL) abort();
    return 0;
}
