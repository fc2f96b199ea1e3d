/* Typed views of the iExec PoCo contracts read with eth_call (tee-sessions.md section 4,
 * sms-api.md 5.4.2).
 *
 * Decoders (poco_decode_*) turn raw return data into structs; they follow ABI offsets,
 * reject short or inconsistent data with SMS_ECHAIN and never read outside the input.
 * Readers (poco_get_*) do the eth_call and decode. Structs with dynamic fields own them:
 * release with the matching *_clear (which leaves the struct zeroed and re-usable; calling
 * it on a zeroed struct is fine). Text fields are NUL-terminated copies of the on-chain
 * bytes and carry their real length: the bytes are not validated as UTF-8 and may contain
 * NUL, so a consumer that needs a C string must check strlen(x) == x_len.
 *
 * Conventions: addresses are rendered "0x" + 40 lower-case hex digits (char[POCO_ADDR_STR]),
 * bytes32 ids are kept as raw bytes, checksums as "0x" + 64 lower-case hex. Deadlines and
 * times are in seconds as on chain (callers multiply by 1000 where the spec says so). */
#ifndef SMS_CHAIN_POCO_H
#define SMS_CHAIN_POCO_H

#include <stddef.h>
#include <stdint.h>

#include "chain/chain.h"
#include "config/config.h"
#include "core/status.h"

#define POCO_ADDR_STR 43 /* "0x" + 40 + NUL */
#define POCO_B32_STR 67  /* "0x" + 64 + NUL */

#define POCO_SEL_VIEW_TASK_LEGACY 0x248ad6a0u /* viewTaskABILegacy(bytes32) */
#define POCO_SEL_VIEW_DEAL 0xb74861b2u        /* viewDeal(bytes32) */
#define POCO_SEL_VIEW_CATEGORY 0x4f5f44ecu    /* viewCategory(uint256) */
#define POCO_SEL_VIEW_APP 0xe1523fb4u         /* viewApp(address) */
#define POCO_SEL_VIEW_DATASET 0x1e143ef7u     /* viewDataset(address) */
#define POCO_SEL_OWNER 0x8da5cb5bu            /* owner() */

typedef struct poco_cache poco_cache; /* chain/poco_cache.h */

typedef enum {
    POCO_TASK_UNSET = 0,
    POCO_TASK_ACTIVE = 1,
    POCO_TASK_REVEALING = 2,
    POCO_TASK_COMPLETED = 3,
    POCO_TASK_FAILED = 4
} poco_task_status;

/* viewTaskABILegacy (4.3). No dynamic fields: needs no clear. The contributors and results
 * tails are validated but only their sizes are kept. */
struct poco_task {
    poco_task_status status;
    uint8_t deal_id[32];
    uint64_t idx;
    uint64_t timeref;
    uint64_t contribution_deadline;
    uint64_t reveal_deadline;
    uint64_t final_deadline;
    uint8_t consensus_value[32];
    uint64_t reveal_counter;
    uint64_t winner_counter;
    size_t contributors_count;
    size_t results_len;
};

/* viewDeal (4.4). Prices, trust, workerStake and schedulerRewardRatio (uint256, unused by the
 * SMS) are not decoded, so no value of theirs can make a deal unreadable. */
struct poco_deal {
    char app[POCO_ADDR_STR];
    char app_owner[POCO_ADDR_STR];
    char dataset[POCO_ADDR_STR]; /* all-zero address = no dataset */
    char dataset_owner[POCO_ADDR_STR];
    char workerpool[POCO_ADDR_STR];
    char workerpool_owner[POCO_ADDR_STR]; /* signer of WorkerpoolAuthorization */
    uint64_t category;
    uint8_t tag[32];
    char requester[POCO_ADDR_STR];
    char beneficiary[POCO_ADDR_STR];
    char callback[POCO_ADDR_STR];
    char *params; /* owned; deal params string (4.12), unparsed */
    size_t params_len;
    uint64_t start_time; /* 0 = no such deal */
    uint64_t bot_first;
    uint64_t bot_size;
    int has_sponsor; /* 1 with the current PoCo layout (22 head words), 0 with the older one */
    char sponsor[POCO_ADDR_STR];
};

/* viewCategory (4.5). max execution time = work_clock_time_ref * 1000 ms. */
struct poco_category {
    char *name; /* owned */
    size_t name_len;
    char *description; /* owned */
    size_t description_len;
    uint64_t work_clock_time_ref; /* seconds */
};

/* viewApp (4.6). */
struct poco_app {
    char owner[POCO_ADDR_STR]; /* current NFT holder: may be stale if served from a cache */
    char *name;                /* owned */
    size_t name_len;
    char *type; /* owned, e.g. "DOCKER" */
    size_t type_len;
    char *multiaddr; /* owned; the docker image reference, as text (appUri) */
    size_t multiaddr_len;
    char checksum[POCO_B32_STR];
    char *mrenclave; /* owned; enclave configuration JSON text (4.11), unparsed; may be empty */
    size_t mrenclave_len;
};

/* viewDataset (4.7). */
struct poco_dataset {
    char owner[POCO_ADDR_STR];
    char *name; /* owned */
    size_t name_len;
    uint8_t *multiaddr; /* owned raw bytes (plus a trailing NUL not counted in the length) */
    size_t multiaddr_len;
    char *uri; /* owned; multiaddr converted by poco_multiaddr_to_uri */
    size_t uri_len;
    char checksum[POCO_B32_STR];
};

void poco_deal_clear(struct poco_deal *d);
void poco_category_clear(struct poco_category *c);
void poco_app_clear(struct poco_app *a);
void poco_dataset_clear(struct poco_dataset *d);

/* Deep copies; dst must not own anything (it is overwritten). On failure dst is left cleared.
 * SMS_OK or SMS_ENOMEM. */
sms_status poco_deal_copy(struct poco_deal *dst, const struct poco_deal *src);
sms_status poco_category_copy(struct poco_category *dst, const struct poco_category *src);
sms_status poco_app_copy(struct poco_app *dst, const struct poco_app *src);
sms_status poco_dataset_copy(struct poco_dataset *dst, const struct poco_dataset *src);

/* Decoders of raw eth_call results. out is overwritten (it must not own anything) and left
 * cleared on error. SMS_OK, SMS_ECHAIN (malformed data) or SMS_ENOMEM. */
sms_status poco_decode_task(const uint8_t *data, size_t len, struct poco_task *out);
sms_status poco_decode_deal(const uint8_t *data, size_t len, struct poco_deal *out);
sms_status poco_decode_category(const uint8_t *data, size_t len, struct poco_category *out);
sms_status poco_decode_app(const uint8_t *data, size_t len, struct poco_app *out);
sms_status poco_decode_dataset(const uint8_t *data, size_t len, struct poco_dataset *out);
/* owner() result (sms-api.md 5.4.2): at least one word; the first word must fit in 160
 * bits. Empty data, a short word or high bits set give SMS_ECHAIN. A zero owner decodes to
 * "0x000...0" (SMS_OK): callers must never treat it as a match. */
sms_status poco_decode_owner(const uint8_t *data, size_t len, char owner_out[POCO_ADDR_STR]);

/* Dataset multiaddr bytes -> URI (4.7): a binary multiaddr made of /ipfs/ components with a
 * well-formed multihash gives "/ipfs/<base58btc>"; anything else is taken as text verbatim.
 * *out is malloc'ed (NUL-terminated, caller frees), *out_len its length.
 * SMS_OK or SMS_ENOMEM. */
sms_status poco_multiaddr_to_uri(const uint8_t *b, size_t n, char **out, size_t *out_len);

/* TEE framework from the lowest 4 bits of a deal tag (4.9): 0x3 SCONE, 0x5 GRAMINE,
 * 0x9 TDX, anything else TEE_FRAMEWORK_NONE. Higher bits are ignored. */
tee_framework poco_tag_tee_framework(const uint8_t tag[32]);

/* 1 if addr is the all-zero address (any case of hex digits), else 0. */
int poco_address_is_zero(const char *addr);

/* "0x" + 64 lower-case hex digits of b into out. */
void poco_bytes32_hex(const uint8_t b[32], char out[POCO_B32_STR]);

/* Readers. c: chain client; hub: hub address ("0x" + 40 hex); cache: may be NULL (no caching).
 * Errors: SMS_EINVAL (bad argument), SMS_ECHAIN (node error, revert or malformed answer),
 * SMS_ETIMEOUT (no answer in time), SMS_ENOMEM, and SMS_ENOTFOUND as stated per function. */

/* owner() of `contract` (an app, dataset or workerpool), never cached (ownership moves).
 * An empty result or a value above 160 bits is SMS_ECHAIN. */
sms_status poco_owner(chain_client *c, const char *contract, char owner_out[POCO_ADDR_STR]);

/* viewTaskABILegacy(task_id); never cached. SMS_ENOTFOUND when the deal id is zero (unknown
 * task); *out is still filled in that case. */
sms_status poco_get_task(chain_client *c, const char *hub, const uint8_t task_id[32], struct poco_task *out);

/* viewDeal(deal_id). SMS_ENOTFOUND when startTime is 0 (no such deal). Only deals with a
 * non-zero start time are cached. */
sms_status poco_get_deal(chain_client *c, poco_cache *cache, const char *hub, const uint8_t deal_id[32],
                         struct poco_deal *out);

/* viewCategory(id); unknown ids revert (SMS_ECHAIN). */
sms_status poco_get_category(chain_client *c, poco_cache *cache, const char *hub, uint64_t id,
                             struct poco_category *out);

/* viewApp(app) / viewDataset(dataset). SMS_ENOTFOUND for the zero address (no call made). */
sms_status poco_get_app(chain_client *c, poco_cache *cache, const char *hub, const char *app, struct poco_app *out);
sms_status poco_get_dataset(chain_client *c, poco_cache *cache, const char *hub, const char *dataset,
                            struct poco_dataset *out);

/* Everything the SMS needs about one task, each component with its own status so callers can
 * map failures to their own codes (GET_CHAIN_TASK_FAILED, GET_CHAIN_DEAL_FAILED, ...). */
struct poco_bundle {
    sms_status task_status; /* SMS_ENOTFOUND: zero deal id */
    struct poco_task task;
    sms_status deal_status; /* SMS_ENOTFOUND: start time 0 */
    struct poco_deal deal;
    sms_status category_status;
    struct poco_category category;
    sms_status app_status; /* SMS_ENOTFOUND: zero app address */
    struct poco_app app;
    int has_dataset; /* deal.dataset is non-zero */
    sms_status dataset_status; /* SMS_OK and empty when !has_dataset */
    struct poco_dataset dataset;
    unsigned round_trips; /* HTTP requests this read cost (0..3) */
};
void poco_bundle_clear(struct poco_bundle *b);

/* Read task_id's task, its deal, and the deal's category, app and (if any) dataset.
 * Round trips: the task (batched with viewDeal(deal_hint) when a hint is given and that deal
 * is not cached; a hint is a guess, e.g. the dealId of a WorkerpoolAuthorization, and is
 * used only if the task confirms it), then the deal if still needed, then category + app +
 * dataset in ONE batch, skipping whatever the cache holds. The task is never cached.
 * A component that could not be attempted because its prerequisite failed gets the
 * prerequisite's status. deal_hint may be NULL. *out must be zeroed or cleared beforehand.
 * Returns SMS_OK if every component was read, else the status of the first failed one in
 * the order task, deal, category, app, dataset; SMS_EINVAL/SMS_ENOMEM for local failures. */
sms_status poco_read_task_bundle(chain_client *c, poco_cache *cache, const char *hub, const uint8_t task_id[32],
                                 const uint8_t *deal_hint, struct poco_bundle *out);

#endif
