/* The AES key file (sms-api.md 9.4): base64 text of 16, 24 or 32 raw bytes, strict
 * decoding (a trailing newline is refused). */
#ifndef SMS_KEYFILE_H
#define SMS_KEYFILE_H

#include "core/status.h"
#include "crypto/aead.h"

/* Load the key at path; when the file does not exist, create it first: parent directories
 * (0700), a fresh random 32-byte key, written durably (temp file 0600 + fsync + rename +
 * fsync dir) with mode 0600. The key is then self-tested (seal/open round trip).
 * The keccak256 of the file content may be logged by the caller; never the key.
 * errbuf (may be NULL) receives a one-line reason on failure (no key material).
 * Returns SMS_OK, SMS_EIO (unreadable, uncreatable), SMS_EINVAL (bad content or size). */
sms_status keyfile_load_or_create(const char *path, aead_key **out, char *errbuf, size_t errcap);

/* Read a key file without creating it (e.g. a Java backup's key). Same errors. */
sms_status keyfile_load(const char *path, aead_key **out, char *errbuf, size_t errcap);

/* Raw bytes of a key file (for importing legacy AES-ECB data); caller secure_free()s
 * *raw of *len bytes. */
sms_status keyfile_read_raw(const char *path, uint8_t **raw, size_t *len, char *errbuf, size_t errcap);

#endif
