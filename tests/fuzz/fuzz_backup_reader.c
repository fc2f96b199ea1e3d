/* Backup reader (admin/backup_read.c) on arbitrary bytes: never crashes, leaves the list
 * empty on failure. Inputs starting with an even byte get a correct trailer appended
 * (count = lines after the first, checksum of the rest), so that the header and record
 * parsers are reached rather than stopping at the checksum. */
#include <openssl/sha.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/backup.h"
#include "core/hex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse(const uint8_t *p, size_t n)
{
    reclist l;
    char err[256];

    reclist_init(&l);
    if (backup_parse(p, n, &l, err, sizeof err) != SMS_OK && l.n != 0) abort();
    for (size_t i = 0; i < l.n; i++)
        if (reclist_at(&l, i) == NULL) abort();
    reclist_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    parse(data, size);
    if (size == 0 || (data[0] & 1) != 0) return 0;

    /* Body = data[1..] ending with '\n'; trailer computed over it. */
    size_t body = size - 1;
    uint8_t *buf = malloc(body + 1 + 128);
    uint8_t digest[32];
    char hex[65];
    size_t lines = 0;
    if (buf == NULL) return 0;
    memcpy(buf, data + 1, body);
    if (body == 0 || buf[body - 1] != '\n') buf[body++] = '\n';
    for (size_t i = 0; i < body; i++) lines += buf[i] == '\n';
    SHA256(buf, body, digest);
    hex_encode(digest, 32, hex);
    int n = snprintf((char *)buf + body, 128, "{\"records\":%zu,\"sha256\":\"%s\"}\n", lines > 0 ? lines - 1 : 0, hex);
    if (n > 0) parse(buf, body + (size_t)n);
    free(buf);
    return 0;
}
