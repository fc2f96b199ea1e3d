/* App enclave configuration parser and validator (tee-sessions.md 4.11) on arbitrary bytes. */
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
    enclave_config c;
    sms_status st = enclave_config_parse((const char *)data, size, &c);
    if (st == SMS_OK) {
        check_text(c.version);
        check_text(c.entrypoint);
        check_text(c.fingerprint);
        if (c.framework != TEE_FRAMEWORK_NONE && c.framework != TEE_FRAMEWORK_SCONE &&
            c.framework != TEE_FRAMEWORK_GRAMINE && c.framework != TEE_FRAMEWORK_TDX)
            abort();
        int valid = enclave_config_valid(&c);
        if (valid && (c.fingerprint == NULL || c.fingerprint[0] == '\0')) abort();
        if (valid && c.framework != TEE_FRAMEWORK_GRAMINE && c.heap_size <= 0) abort();
    } else if (st != SMS_EINVAL) {
        abort();
    } else if (c.version != NULL || c.entrypoint != NULL || c.fingerprint != NULL) {
        abort(); /* cleared on failure */
    }
    enclave_config_clear(&c);
    return 0;
}
