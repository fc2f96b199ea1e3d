/* Java SMS dump reader (admin/h2_script.c) and converter (admin/java_import*.c) on
 * arbitrary text: never crashes; a refused dump leaves nothing behind; an accepted one
 * converts (with the V7 key) or is refused with a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin/h2_script.h"
#include "admin/java_import.h"
#include "crypto/aead.h"
#include "crypto/ethsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static aead_key *our_key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t java_key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    h2_dump d;
    reclist out;
    char err[256];
    size_t *lines = NULL;

    if (size > (1u << 20)) return 0;
    if (our_key == NULL) {
        uint8_t raw[32] = {42};
        if (ethsig_init() != SMS_OK || aead_key_new(raw, sizeof raw, &our_key) != SMS_OK) abort();
    }
    sms_status st = h2_dump_parse((const char *)data, size, &d, err, sizeof err);
    if (st != SMS_OK) {
        for (int i = 0; i < H2_TABLE_COUNT; i++)
            if (d.tables[i].nrows != 0 || d.tables[i].ncols != 0) abort();
        return 0;
    }
    reclist_init(&out);
    st = java_import_convert(&d, java_key, sizeof java_key, our_key, &out, &lines, NULL, err, sizeof err);
    if (st != SMS_OK && (out.n != 0 || lines != NULL)) abort();
    if (st == SMS_OK && out.n > 0 && lines == NULL) abort();
    free(lines);
    reclist_free(&out);
    h2_dump_free(&d);
    return 0;
}
