/* Task description (tee-sessions.md 4.10-4.12): what session generation needs about a task,
 * assembled from one PoCo bundle read (chain/poco.h), plus the parsed app enclave
 * configuration and deal params. */
#ifndef SMS_TASK_DESCRIPTION_H
#define SMS_TASK_DESCRIPTION_H

#include <stddef.h>
#include <stdint.h>

#include "chain/poco.h"
#include "config/config.h"
#include "core/status.h"

/* App enclave configuration (4.11); strict parse. */
typedef struct {
    tee_framework framework; /* "framework" (alias "provider") */
    char *version;
    char *entrypoint;        /* may be NULL */
    int64_t heap_size;       /* "heapSize", 0 when absent */
    char *fingerprint;
} enclave_config;

/* Strict parse of the mrenclave JSON text: invalid JSON, empty input, not an object, unknown
 * key, bad enum value (case-sensitive SCONE/GRAMINE/TDX; "provider" is an alias of
 * "framework", the last one wins) or an unbindable type -> SMS_EINVAL (the configuration is
 * then "absent"); SMS_ENOMEM. Bytes that are not UTF-8 (or NUL) become U+FFFD first, as in
 * the reference's decoding. Scalar coercions like Jackson's: a string field accepts a number
 * or boolean (as text) and null (NULL); heapSize accepts an integer, a real (truncated), a
 * numeric string (trimmed, "" = 0) and null (0). out is zeroed on failure; release it with
 * enclave_config_clear. */
sms_status enclave_config_parse(const char *json, size_t len, enclave_config *out);
/* Validation of 4.11: unless the configuration's own framework is GRAMINE, entrypoint
 * non-empty and heapSize > 0; always a fingerprint that hex-decodes ("0x" optional, odd length
 * left-padded, non-hex refused) to exactly 32 bytes. 1 valid, 0 not (or c NULL). */
int enclave_config_valid(const enclave_config *c);
void enclave_config_clear(enclave_config *c);

typedef struct {
    char *index; /* key of iexec_secrets as written */
    char *name;  /* requester secret key name */
} deal_secret_ref;

/* Deal params (4.12) with the reference's fallback rule. */
typedef struct {
    char *iexec_args;          /* NULL when absent */
    char **input_files;
    size_t n_input_files;
    int result_encryption;
    char *storage_provider;    /* NULL when absent */
    char *storage_proxy;       /* NULL when absent ("" is kept: it overrides) */
    deal_secret_ref *secrets;
    size_t n_secrets;
    char *bulk_cid;            /* "" when absent */
    int absent;                /* the text was the JSON literal null: the reference then has no
                                * deal params at all (session: NO_TASK_DESCRIPTION) */
} deal_params;

/* Never fails on content (fallback: raw string becomes iexec_args); SMS_ENOMEM only.
 * raw (len bytes, may hold NUL or invalid UTF-8, which become U+FFFD as in the reference's
 * decoding) may be NULL when len is 0. Every string of *out is valid NUL-free UTF-8.
 * Rules (4.12): a JSON object with only the documented keys; a trailing text after the
 * object is ignored (Jackson stops there too). Scalar coercions: a string field accepts a
 * string, number or boolean (as text) or null (absent); iexec_result_encryption accepts
 * true/false, "true"/"True"/"TRUE"/"false"/"False"/"FALSE", "" and null (false) and integers
 * (0 false, else true); iexec_input_files an array of such strings (null = empty list; a null
 * element is refused); iexec_secrets an object of such strings (a null value is kept as ""
 * and later fails generation like the reference's empty name). Anything else -> fallback. */
sms_status deal_params_parse(const char *raw, size_t len, deal_params *out);
void deal_params_clear(deal_params *p);

typedef struct {
    char chain_task_id[POCO_B32_STR]; /* keccak256(dealid || uint256(idx)), lower-case */
    char chain_deal_id[POCO_B32_STR];
    uint64_t bot_index;
    int64_t final_deadline_ms;
    char app_address[POCO_ADDR_STR];
    char requester[POCO_ADDR_STR];
    char beneficiary[POCO_ADDR_STR];
    char callback[POCO_ADDR_STR];
    char workerpool_owner[POCO_ADDR_STR];
    char dataset_address[POCO_ADDR_STR]; /* zero address when none */
    char *dataset_uri;                   /* NULL when no dataset */
    char dataset_checksum[POCO_B32_STR]; /* "" when no dataset */
    char *app_uri;
    char app_checksum[POCO_B32_STR];
    int has_enclave_config;
    enclave_config enclave;
    uint8_t tag[32];
    tee_framework framework;
    uint64_t bot_first;
    uint64_t bot_size;
    int64_t max_execution_time_ms;
    deal_params params;
} task_description;

/* Build from a fully read bundle (every component SMS_OK). SMS_EINVAL if a mandatory
 * component is missing, SMS_ENOMEM. *out owns copies (the bundle may be cleared afterwards)
 * and is zeroed on failure. chain_task_id = keccak256(dealid || uint256(idx)); deadlines
 * and the category time are turned into milliseconds (saturating); texts from the chain
 * (app and dataset URIs) are made valid UTF-8 (U+FFFD); an enclave configuration that does
 * not parse leaves has_enclave_config = 0. */
sms_status task_description_from_bundle(const struct poco_bundle *b, task_description *out);
void task_description_clear(task_description *td);

int td_contains_dataset(const task_description *td);
int td_contains_input_files(const task_description *td);
int td_is_bulk(const task_description *td);
int td_requires_pre_compute(const task_description *td);
int td_contains_callback(const task_description *td);
/* enclave entrypoint + (" " + iexec_args when non-blank); malloc'ed ("" when no entrypoint,
 * whatever the args: the reference would print "null"), NULL on allocation failure.
 * "Blank" is Java's isBlank (Character.isWhitespace). Predicates follow 4.10; with absent
 * deal params (the JSON null document) there are no input files and no bulk. */
char *td_app_command(const task_description *td);

#endif
