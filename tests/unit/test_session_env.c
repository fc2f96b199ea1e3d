/* Session environments (tee-sessions.md 5.4-5.9) built with a real secrets service on a
 * temporary SQLite store: every variable of the 6.8 scenario, each error code in its order
 * of evaluation, storage cases and precedences, the requester secret naming quirk and the
 * trimming of web2 values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/session_fixture.h"
#include "tee/session.h"

#define PRE_FP "5f2a9e0d3c7b4e18a6f1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a493827"
#define POST_FP "8c1d3e5f7a9b0c2d4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d"
#define DATASET_KEY "kJ0d3b+base64-aes-key="
#define APP_SECRET "dev-secret-value"
#define REQ_SECRET "requester-api-key-value"
#define ENC_KEY "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0K"
#define PROXY_URL "https://result.v8-bellecour.iex.ec"
#define WORKER_TOKEN "eyJhbGciOiJIUzI1NiJ9.worker"
#define REQUESTER_TOKEN "eyJhbGciOiJIUzI1NiJ9.requester"
#define DROPBOX_TOKEN "sl.dropbox-token"
#define FILE_NAME_1 "0x16c128e58778706ecf5969cfacbdedd39516e682f42c1b638c067e8fbf2f4f94"

static tee_pipeline g_pipeline = {
    .version = "v5",
    .pre_compute = {"pre-image", PRE_FP, "/app/tee-worker-pre-compute", 1073741824},
    .post_compute = {"post-image", POST_FP, "/app/tee-worker-post-compute", 1073741824},
};

static int setup(void **state)
{
    sf_fixture *fx = calloc(1, sizeof *fx);
    if (fx == NULL || sf_setup(fx) != 0) return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    sf_fixture *fx = *state;
    sf_teardown(fx);
    free(fx);
    return 0;
}

static session_inputs inputs(sf_fixture *fx, const task_description *td)
{
    session_inputs in;
    memset(&in, 0, sizeof in);
    in.td = td;
    in.worker_address = SF_WORKER;
    in.enclave_challenge = SF_ENCLAVE;
    in.challenge_private_key = SF_CHALLENGE_KEY;
    in.pipeline = &g_pipeline;
    in.secrets = fx->svc;
    return in;
}

/* Every secret of the 6.8 scenario. */
static void put_all(sf_fixture *fx)
{
    assert_int_equal(sf_put_dataset_key(fx, SF_DATASET, DATASET_KEY), SMS_OK);
    assert_int_equal(sf_put_app_secret(fx, APP_SECRET), SMS_OK);
    assert_int_equal(sf_put_requester(fx, "my-api-key", REQ_SECRET), SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->beneficiary, "iexec-result-encryption-public-key", ENC_KEY), SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->pool_owner, "iexec-result-iexec-result-proxy-url", PROXY_URL), SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->worker, "iexec-result-iexec-ipfs-token", WORKER_TOKEN), SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-iexec-ipfs-token", REQUESTER_TOKEN), SMS_OK);
}

/* The map holds exactly these pairs, in this order. */
static void assert_env(const env_map *m, const char *const *kv, size_t pairs)
{
    for (size_t i = 0; i < pairs && i < m->n; i++) {
        if (strcmp(m->entries[i].key, kv[2 * i]) != 0)
            fail_msg("entry %zu: key %s, expected %s", i, m->entries[i].key, kv[2 * i]);
        if (strcmp(m->entries[i].value, kv[2 * i + 1]) != 0)
            fail_msg("entry %zu (%s): unexpected value", i, m->entries[i].key);
    }
    if (m->n != pairs) fail_msg("%zu entries, expected %zu", m->n, pairs);
}

static void assert_empty_base(const session_base *b)
{
    assert_int_equal(b->pre.n, 0);
    assert_int_equal(b->app.n, 0);
    assert_int_equal(b->post.n, 0);
    assert_null(b->app_mrenclave);
    assert_null(b->app_command);
}

static void test_spec_6_8_scenario(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    put_all(fx);
    sf_td(fx, &td, SF_PARAMS_68, SF_ENCLAVE_JSON, 1, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);

    assert_true(b.has_pre);
    static const char *const pre[] = {
        "IEXEC_PRE_COMPUTE_OUT", "/iexec_in",
        "IS_DATASET_REQUIRED", "true",
        "IEXEC_DATASET_KEY", DATASET_KEY,
        "IEXEC_DATASET_URL", SF_DATASET_URI,
        "IEXEC_DATASET_FILENAME", SF_DATASET,
        "IEXEC_DATASET_CHECKSUM", SF_CHECKSUM,
        "IEXEC_DEAL_ID", SF_DEAL_ID,
        "IEXEC_TASK_INDEX", "3",
        "IEXEC_TASK_ID", SF_TASK_ID,
        "IEXEC_INPUT_FILES_FOLDER", "/iexec_in",
        "IEXEC_INPUT_FILES_NUMBER", "1",
        "IEXEC_INPUT_FILE_URL_1", "https://example.com/data.csv",
        "SIGN_WORKER_ADDRESS", SF_WORKER,
        "SIGN_TEE_CHALLENGE_PRIVATE_KEY", SF_CHALLENGE_KEY,
    };
    assert_env(&b.pre, pre, sizeof pre / sizeof *pre / 2);
    static const char *const app[] = {
        "IEXEC_DEAL_ID", SF_DEAL_ID,
        "IEXEC_TASK_INDEX", "3",
        "IEXEC_TASK_ID", SF_TASK_ID,
        "IEXEC_IN", "/iexec_in",
        "IEXEC_OUT", "/iexec_out",
        "IEXEC_BOT_SIZE", "4",
        "IEXEC_BOT_FIRST_INDEX", "0",
        "IEXEC_BOT_TASK_INDEX", "3",
        "IEXEC_DATASET_ADDRESS", SF_DATASET,
        "IEXEC_DATASET_FILENAME", SF_DATASET,
        "IEXEC_INPUT_FILES_FOLDER", "/iexec_in",
        "IEXEC_INPUT_FILES_NUMBER", "1",
        "IEXEC_INPUT_FILE_NAME_1", FILE_NAME_1,
        "IEXEC_APP_DEVELOPER_SECRET", APP_SECRET,
        "IEXEC_APP_DEVELOPER_SECRET_1", APP_SECRET,
        "IEXEC_REQUESTER_SECRET_1", REQ_SECRET,
    };
    assert_env(&b.app, app, sizeof app / sizeof *app / 2);
    static const char *const post[] = {
        "RESULT_ENCRYPTION", "true",
        "RESULT_ENCRYPTION_PUBLIC_KEY", ENC_KEY,
        "RESULT_STORAGE_CALLBACK", "false",
        "RESULT_STORAGE_PROVIDER", "ipfs",
        "RESULT_STORAGE_PROXY", PROXY_URL,
        "RESULT_STORAGE_TOKEN", WORKER_TOKEN, /* the worker's own token wins */
        "IEXEC_TASK_ID", SF_TASK_ID,
        "SIGN_WORKER_ADDRESS", SF_WORKER,
        "SIGN_TEE_CHALLENGE_PRIVATE_KEY", SF_CHALLENGE_KEY,
    };
    assert_env(&b.post, post, sizeof post / sizeof *post / 2);
    assert_string_equal(b.app_mrenclave, SF_FP);
    assert_string_equal(b.app_command, "python3 /app/app.py --verbose");
    session_base_clear(&b);
    assert_empty_base(&b);
    task_description_clear(&td);
}

static void test_minimal_task_has_no_pre(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-iexec-ipfs-token", REQUESTER_TOKEN), SMS_OK);
    sf_td(fx, &td, "{\"iexec_result_storage_provider\":\"ipfs\"}", SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_false(b.has_pre);
    assert_int_equal(b.pre.n, 0);
    static const char *const app[] = {
        "IEXEC_DEAL_ID", SF_DEAL_ID,
        "IEXEC_TASK_INDEX", "3",
        "IEXEC_TASK_ID", SF_TASK_ID,
        "IEXEC_IN", "/iexec_in",
        "IEXEC_OUT", "/iexec_out",
        "IEXEC_BOT_SIZE", "4",
        "IEXEC_BOT_FIRST_INDEX", "0",
        "IEXEC_BOT_TASK_INDEX", "3",
        "IEXEC_DATASET_ADDRESS", SF_ZERO_ADDR,
        "IEXEC_DATASET_FILENAME", SF_ZERO_ADDR,
        "IEXEC_INPUT_FILES_NUMBER", "0",
    };
    assert_env(&b.app, app, sizeof app / sizeof *app / 2);
    static const char *const post[] = {
        "RESULT_ENCRYPTION", "false",
        "RESULT_ENCRYPTION_PUBLIC_KEY", "",
        "RESULT_STORAGE_CALLBACK", "false",
        "RESULT_STORAGE_PROVIDER", "ipfs",
        "RESULT_STORAGE_PROXY", "", /* no pool default, no deal proxy */
        "RESULT_STORAGE_TOKEN", REQUESTER_TOKEN, /* no worker token: the requester's */
        "IEXEC_TASK_ID", SF_TASK_ID,
        "SIGN_WORKER_ADDRESS", SF_WORKER,
        "SIGN_TEE_CHALLENGE_PRIVATE_KEY", SF_CHALLENGE_KEY,
    };
    assert_env(&b.post, post, sizeof post / sizeof *post / 2);
    assert_string_equal(b.app_command, "python3 /app/app.py");
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_input_files_only(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-iexec-ipfs-token", REQUESTER_TOKEN), SMS_OK);
    sf_td(fx, &td, "{\"iexec_input_files\":[\"https://example.com/data.csv\",\"https://b/2\"]}", SF_ENCLAVE_JSON, 0,
          0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_true(b.has_pre);
    static const char *const pre[] = {
        "IEXEC_PRE_COMPUTE_OUT", "/iexec_in",
        "IS_DATASET_REQUIRED", "false",
        "IEXEC_DEAL_ID", SF_DEAL_ID,
        "IEXEC_TASK_INDEX", "3",
        "IEXEC_TASK_ID", SF_TASK_ID,
        "IEXEC_INPUT_FILES_FOLDER", "/iexec_in",
        "IEXEC_INPUT_FILES_NUMBER", "2",
        "IEXEC_INPUT_FILE_URL_1", "https://example.com/data.csv",
        "IEXEC_INPUT_FILE_URL_2", "https://b/2",
        "SIGN_WORKER_ADDRESS", SF_WORKER,
        "SIGN_TEE_CHALLENGE_PRIVATE_KEY", SF_CHALLENGE_KEY,
    };
    assert_env(&b.pre, pre, sizeof pre / sizeof *pre / 2);
    assert_string_equal(env_map_get(&b.app, "IEXEC_INPUT_FILE_NAME_1"), FILE_NAME_1);
    assert_string_equal(env_map_get(&b.app, "IEXEC_INPUT_FILE_NAME_2"),
                        "0x0777cb89f77b8c0a872d7f979b5fccdb8c61d4b1786cc35dd3be210ec89f6861"); /* sha256("https://b/2") */
    assert_null(env_map_get(&b.app, "IEXEC_INPUT_FILE_URL_1")); /* URLs are for pre-compute only */
    assert_null(env_map_get(&b.pre, "IEXEC_INPUT_FILE_NAME_1"));
    assert_null(env_map_get(&b.pre, "IEXEC_IN"));
    assert_null(env_map_get(&b.pre, "IEXEC_BOT_SIZE"));
    assert_null(env_map_get(&b.pre, "IEXEC_DATASET_ADDRESS"));
    assert_null(env_map_get(&b.app, "SIGN_TEE_CHALLENGE_PRIVATE_KEY")); /* no sign tokens for the app */
    assert_null(env_map_get(&b.app, "SIGN_WORKER_ADDRESS"));
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_request_and_description_errors(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    assert_int_equal(session_base_build(NULL, &b), TEE_NO_SESSION_REQUEST);
    session_inputs in = inputs(fx, NULL);
    assert_int_equal(session_base_build(&in, &b), TEE_NO_TASK_DESCRIPTION);
    sf_td(fx, &td, "null", SF_ENCLAVE_JSON, 0, 0x03);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_NO_TASK_DESCRIPTION);
    assert_empty_base(&b);
    task_description_clear(&td);
}

static void test_sign_token_errors_in_order(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    put_all(fx);
    sf_td(fx, &td, SF_PARAMS_68, SF_ENCLAVE_JSON, 1, 0x03);

    session_inputs in = inputs(fx, &td);
    in.worker_address = "";
    in.enclave_challenge = ""; /* the worker check comes first */
    in.challenge_private_key = NULL;
    assert_int_equal(session_base_build(&in, &b), TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_WORKER_ADDRESS);
    in.worker_address = NULL;
    assert_int_equal(session_base_build(&in, &b), TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_WORKER_ADDRESS);
    in.worker_address = SF_WORKER;
    assert_int_equal(session_base_build(&in, &b), TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_PUBLIC_ENCLAVE_CHALLENGE);
    in.enclave_challenge = NULL;
    assert_int_equal(session_base_build(&in, &b), TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_PUBLIC_ENCLAVE_CHALLENGE);
    in.enclave_challenge = SF_ENCLAVE;
    assert_int_equal(session_base_build(&in, &b), TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CHALLENGE);
    in.challenge_private_key = "";
    assert_int_equal(session_base_build(&in, &b), TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CREDENTIALS);
    assert_empty_base(&b);
    /* sign tokens are checked before the pre-compute ones (no dataset key, no config) */
    task_description_clear(&td);
    sf_td(fx, &td, SF_PARAMS_68, NULL, 1, 0x03);
    in = inputs(fx, &td);
    in.challenge_private_key = "";
    assert_int_equal(session_base_build(&in, &b), TEE_GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CREDENTIALS);
    task_description_clear(&td);
}

static void test_missing_dataset_key(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    /* nothing stored at all, and no enclave configuration: the dataset error comes first */
    sf_td(fx, &td, SF_PARAMS_68, NULL, 1, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_PRE_COMPUTE_GET_DATASET_SECRET_FAILED);
    assert_empty_base(&b);
    task_description_clear(&td);
    /* a key of another dataset does not help */
    assert_int_equal(sf_put_dataset_key(fx, "0x9d0a2c1e7f5b3a4c6d8e0f1a2b3c4d5e6f7a8b9d", "k"), SMS_OK);
    sf_td(fx, &td, SF_PARAMS_68, SF_ENCLAVE_JSON, 1, 0x03);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_PRE_COMPUTE_GET_DATASET_SECRET_FAILED);
    task_description_clear(&td);
    /* Gramine: pre-compute is never posted but its tokens are still computed (5.12) */
    sf_td(fx, &td, SF_PARAMS_68, "{\"framework\":\"GRAMINE\",\"fingerprint\":\"" SF_FP "\"}", 1, 0x05);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_PRE_COMPUTE_GET_DATASET_SECRET_FAILED);
    task_description_clear(&td);
}

static void test_dataset_key_untrimmed(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    assert_int_equal(sf_put_dataset_key(fx, SF_DATASET, " key with spaces \n"), SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-iexec-ipfs-token", REQUESTER_TOKEN), SMS_OK);
    sf_td(fx, &td, "{}", SF_ENCLAVE_JSON, 1, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(env_map_get(&b.pre, "IEXEC_DATASET_KEY"), " key with spaces \n");
    assert_string_equal(env_map_get(&b.pre, "IS_DATASET_REQUIRED"), "true");
    assert_string_equal(env_map_get(&b.pre, "IEXEC_INPUT_FILES_NUMBER"), "0");
    assert_null(env_map_get(&b.pre, "IEXEC_INPUT_FILES_FOLDER"));
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_enclave_config_errors(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    put_all(fx);
    /* SCONE without configuration */
    sf_td(fx, &td, SF_PARAMS_68, NULL, 1, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_APP_COMPUTE_NO_ENCLAVE_CONFIG);
    task_description_clear(&td);
    /* GRAMINE without configuration */
    sf_td(fx, &td, SF_PARAMS_68, "garbage", 1, 0x05);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_APP_COMPUTE_NO_ENCLAVE_CONFIG);
    task_description_clear(&td);
    /* invalid: no heap size */
    sf_td(fx, &td, SF_PARAMS_68, "{\"framework\":\"SCONE\",\"entrypoint\":\"/a\",\"fingerprint\":\"" SF_FP "\"}", 1,
          0x03);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_APP_COMPUTE_INVALID_ENCLAVE_CONFIG);
    assert_empty_base(&b);
    task_description_clear(&td);
    /* invalid: short fingerprint */
    sf_td(fx, &td, SF_PARAMS_68, "{\"framework\":\"SCONE\",\"entrypoint\":\"/a\",\"heapSize\":1,\"fingerprint\":\"ab\"}",
          1, 0x03);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_APP_COMPUTE_INVALID_ENCLAVE_CONFIG);
    task_description_clear(&td);
    /* TDX: no configuration needed, no mrenclave */
    sf_td(fx, &td, SF_PARAMS_68, NULL, 1, 0x09);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_null(b.app_mrenclave);
    assert_string_equal(b.app_command, "");
    assert_true(b.has_pre);
    session_base_clear(&b);
    task_description_clear(&td);
    /* a GRAMINE configuration (no entrypoint) on a SCONE deal passes validation; empty command */
    sf_td(fx, &td, SF_PARAMS_68, "{\"framework\":\"GRAMINE\",\"fingerprint\":\"0x" SF_FP "\"}", 1, 0x03);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(b.app_mrenclave, "0x" SF_FP); /* verbatim, not normalised */
    assert_string_equal(b.app_command, "");
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_encryption_errors_and_trimming(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-iexec-ipfs-token", REQUESTER_TOKEN), SMS_OK);
    sf_td(fx, &td, "{\"iexec_result_encryption\":true}", SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_POST_COMPUTE_GET_ENCRYPTION_TOKENS_FAILED_EMPTY_BENEFICIARY_KEY);
    assert_empty_base(&b);
    /* the requester's key is not the beneficiary's */
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-encryption-public-key", ENC_KEY), SMS_OK);
    assert_int_equal(session_base_build(&in, &b), TEE_POST_COMPUTE_GET_ENCRYPTION_TOKENS_FAILED_EMPTY_BENEFICIARY_KEY);
    /* a blank key is empty once trimmed */
    assert_int_equal(sf_put_web2(fx, &fx->beneficiary, "iexec-result-encryption-public-key", " \t\r\n"), SMS_OK);
    assert_int_equal(session_base_build(&in, &b), TEE_POST_COMPUTE_GET_ENCRYPTION_TOKENS_FAILED_EMPTY_BENEFICIARY_KEY);
    task_description_clear(&td);

    /* the encryption error comes before the storage one */
    sf_td(fx, &td, "{\"iexec_result_encryption\":true,\"iexec_result_storage_provider\":\"dropbox\"}",
          SF_ENCLAVE_JSON, 0, 0x03);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_POST_COMPUTE_GET_ENCRYPTION_TOKENS_FAILED_EMPTY_BENEFICIARY_KEY);
    task_description_clear(&td);
}

static void test_web2_values_trimmed(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    /* web2 names are case-insensitive; values trimmed of chars <= 0x20 on both ends */
    assert_int_equal(sf_put_web2(fx, &fx->beneficiary, "IEXEC-RESULT-ENCRYPTION-PUBLIC-KEY", "\n\t " ENC_KEY " \r\n"),
                     SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->worker, "iexec-result-iexec-ipfs-token", "\x01 tok en \x1f"), SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->pool_owner, "iexec-result-iexec-result-proxy-url", "  " PROXY_URL "\n"),
                     SMS_OK);
    /* compute secrets are not trimmed */
    assert_int_equal(sf_put_app_secret(fx, " app secret\n"), SMS_OK);
    assert_int_equal(sf_put_requester(fx, "k", "\tvalue "), SMS_OK);
    sf_td(fx, &td, "{\"iexec_result_encryption\":true,\"iexec_secrets\":{\"1\":\"k\"}}", SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(env_map_get(&b.post, "RESULT_ENCRYPTION_PUBLIC_KEY"), ENC_KEY);
    assert_string_equal(env_map_get(&b.post, "RESULT_STORAGE_TOKEN"), "tok en");
    assert_string_equal(env_map_get(&b.post, "RESULT_STORAGE_PROXY"), PROXY_URL);
    assert_string_equal(env_map_get(&b.post, "RESULT_STORAGE_PROVIDER"), ""); /* absent provider: "" */
    assert_string_equal(env_map_get(&b.app, "IEXEC_APP_DEVELOPER_SECRET"), " app secret\n");
    assert_string_equal(env_map_get(&b.app, "IEXEC_APP_DEVELOPER_SECRET_1"), " app secret\n");
    assert_string_equal(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_1"), "\tvalue ");
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_ipfs_storage_tokens(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    sf_td(fx, &td, "{\"iexec_result_storage_provider\":\"ipfs\"}", SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    /* no token anywhere */
    assert_int_equal(session_base_build(&in, &b), TEE_POST_COMPUTE_GET_STORAGE_TOKENS_FAILED);
    assert_empty_base(&b);
    /* a dropbox token is no IPFS token; neither is the pool owner's */
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-dropbox-token", DROPBOX_TOKEN), SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->pool_owner, "iexec-result-iexec-ipfs-token", "pool"), SMS_OK);
    assert_int_equal(session_base_build(&in, &b), TEE_POST_COMPUTE_GET_STORAGE_TOKENS_FAILED);
    /* the requester's */
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-iexec-ipfs-token", REQUESTER_TOKEN), SMS_OK);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(env_map_get(&b.post, "RESULT_STORAGE_TOKEN"), REQUESTER_TOKEN);
    session_base_clear(&b);
    /* the worker's own token is preferred */
    assert_int_equal(sf_put_web2(fx, &fx->worker, "iexec-result-iexec-ipfs-token", WORKER_TOKEN), SMS_OK);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(env_map_get(&b.post, "RESULT_STORAGE_TOKEN"), WORKER_TOKEN);
    assert_string_equal(env_map_get(&b.post, "RESULT_STORAGE_CALLBACK"), "false");
    assert_string_equal(env_map_get(&b.post, "RESULT_STORAGE_PROVIDER"), "ipfs");
    session_base_clear(&b);
    /* another worker gets the requester's */
    in.worker_address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(env_map_get(&b.post, "RESULT_STORAGE_TOKEN"), REQUESTER_TOKEN);
    assert_string_equal(env_map_get(&b.post, "SIGN_WORKER_ADDRESS"), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_worker_blank_token_wins(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    /* a token the worker pushed exists even when blank: it is used, and is empty */
    assert_int_equal(sf_put_web2(fx, &fx->worker, "iexec-result-iexec-ipfs-token", "   "), SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-iexec-ipfs-token", REQUESTER_TOKEN), SMS_OK);
    sf_td(fx, &td, "{}", SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_POST_COMPUTE_GET_STORAGE_TOKENS_FAILED);
    task_description_clear(&td);
}

static void test_proxy_precedence(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-iexec-ipfs-token", REQUESTER_TOKEN), SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->pool_owner, "iexec-result-iexec-result-proxy-url", PROXY_URL), SMS_OK);
    static const struct {
        const char *params;
        const char *proxy;
    } cases[] = {
        {"{\"iexec_result_storage_proxy\":\"https://deal-proxy\"}", "https://deal-proxy"}, /* deal wins */
        {"{\"iexec_result_storage_proxy\":\"\"}", ""},              /* even when empty */
        {"{\"iexec_result_storage_proxy\":null}", PROXY_URL},       /* null: pool default */
        {"{}", PROXY_URL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sf_td(fx, &td, cases[i].params, SF_ENCLAVE_JSON, 0, 0x03);
        session_inputs in = inputs(fx, &td);
        assert_int_equal(session_base_build(&in, &b), TEE_OK);
        assert_string_equal(env_map_get(&b.post, "RESULT_STORAGE_PROXY"), cases[i].proxy);
        session_base_clear(&b);
        task_description_clear(&td);
    }
}

static void test_dropbox(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    /* IPFS tokens and the pool's proxy do not count for Dropbox */
    assert_int_equal(sf_put_web2(fx, &fx->worker, "iexec-result-iexec-ipfs-token", WORKER_TOKEN), SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-iexec-ipfs-token", REQUESTER_TOKEN), SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->pool_owner, "iexec-result-iexec-result-proxy-url", PROXY_URL), SMS_OK);
    sf_td(fx, &td, "{\"iexec_result_storage_provider\":\"dropbox\"}", SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_POST_COMPUTE_GET_STORAGE_TOKENS_FAILED);
    /* the worker's dropbox token is not used either */
    assert_int_equal(sf_put_web2(fx, &fx->worker, "iexec-result-dropbox-token", "worker-dropbox"), SMS_OK);
    assert_int_equal(session_base_build(&in, &b), TEE_POST_COMPUTE_GET_STORAGE_TOKENS_FAILED);
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-dropbox-token", DROPBOX_TOKEN), SMS_OK);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    static const char *const post[] = {
        "RESULT_ENCRYPTION", "false",
        "RESULT_ENCRYPTION_PUBLIC_KEY", "",
        "RESULT_STORAGE_CALLBACK", "false",
        "RESULT_STORAGE_PROVIDER", "dropbox",
        "RESULT_STORAGE_PROXY", "", /* not the pool's IPFS proxy */
        "RESULT_STORAGE_TOKEN", DROPBOX_TOKEN,
        "IEXEC_TASK_ID", SF_TASK_ID,
        "SIGN_WORKER_ADDRESS", SF_WORKER,
        "SIGN_TEE_CHALLENGE_PRIVATE_KEY", SF_CHALLENGE_KEY,
    };
    assert_env(&b.post, post, sizeof post / sizeof *post / 2);
    session_base_clear(&b);
    task_description_clear(&td);

    sf_td(fx, &td, "{\"iexec_result_storage_provider\":\"dropbox\",\"iexec_result_storage_proxy\":\"https://p\"}",
          SF_ENCLAVE_JSON, 0, 0x03);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(env_map_get(&b.post, "RESULT_STORAGE_PROXY"), "https://p");
    session_base_clear(&b);
    task_description_clear(&td);

    /* the provider name is case-sensitive: "Dropbox" is IPFS */
    sf_td(fx, &td, "{\"iexec_result_storage_provider\":\"Dropbox\"}", SF_ENCLAVE_JSON, 0, 0x03);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(env_map_get(&b.post, "RESULT_STORAGE_PROVIDER"), "Dropbox");
    assert_string_equal(env_map_get(&b.post, "RESULT_STORAGE_TOKEN"), WORKER_TOKEN);
    assert_string_equal(env_map_get(&b.post, "RESULT_STORAGE_PROXY"), PROXY_URL);
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_callback(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    struct poco_bundle bundle;
    /* no token at all is fine with a callback, even with provider dropbox */
    sf_bundle(fx, &bundle, "{\"iexec_result_storage_provider\":\"dropbox\",\"iexec_result_storage_proxy\":\"x\"}",
              SF_ENCLAVE_JSON, 0, 0x03);
    snprintf(bundle.deal.callback, POCO_ADDR_STR, "%s", SF_CALLBACK);
    assert_int_equal(task_description_from_bundle(&bundle, &td), SMS_OK);
    poco_bundle_clear(&bundle);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    static const char *const post[] = {
        "RESULT_ENCRYPTION", "false",
        "RESULT_ENCRYPTION_PUBLIC_KEY", "",
        "RESULT_STORAGE_CALLBACK", "true",
        "RESULT_STORAGE_PROVIDER", "",
        "RESULT_STORAGE_PROXY", "",
        "RESULT_STORAGE_TOKEN", "",
        "IEXEC_TASK_ID", SF_TASK_ID,
        "SIGN_WORKER_ADDRESS", SF_WORKER,
        "SIGN_TEE_CHALLENGE_PRIVATE_KEY", SF_CHALLENGE_KEY,
    };
    assert_env(&b.post, post, sizeof post / sizeof *post / 2);
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_requester_secret_quirk(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-iexec-ipfs-token", REQUESTER_TOKEN), SMS_OK);
    assert_int_equal(sf_put_requester(fx, "k", "VK"), SMS_OK);
    assert_int_equal(sf_put_requester(fx, "other", "VO"), SMS_OK);
    assert_int_equal(sf_put_requester(fx, "only-bad", "VB"), SMS_OK);
    /* "1" fetches k; rejected indices pointing to k ride along; "-2"/"0" alone fetch nothing */
    sf_td(fx, &td,
          "{\"iexec_secrets\":{\"0\":\"k\",\"1\":\"k\",\"abc\":\"k\",\"-1\":\"k\",\"3\":\"other\","
          "\"4\":\"missing\",\"0\":\"only-bad\",\"-2\":\"only-bad\",\"+5\":\"other\",\"07\":\"k\"}}",
          SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_1"), "VK");
    assert_string_equal(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_abc"), "VK");
    assert_string_equal(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_-1"), "VK");
    assert_string_equal(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_07"), "VK");
    assert_string_equal(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_3"), "VO");
    assert_string_equal(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_+5"), "VO"); /* parseInt accepts "+5" */
    assert_null(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_4"));                /* missing: skipped */
    assert_null(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_0"));                /* "0" now names only-bad */
    assert_null(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_-2"));
    assert_null(env_map_get(&b.app, "IEXEC_APP_DEVELOPER_SECRET")); /* none stored */
    size_t count = 0;
    for (size_t i = 0; i < b.app.n; i++)
        if (strncmp(b.app.entries[i].key, "IEXEC_REQUESTER_SECRET_", 23) == 0) count++;
    assert_int_equal(count, 6);
    session_base_clear(&b);
    task_description_clear(&td);

    /* an index above Integer.MAX_VALUE is rejected */
    sf_td(fx, &td, "{\"iexec_secrets\":{\"2147483648\":\"k\",\"2147483647\":\"other\"}}", SF_ENCLAVE_JSON, 0, 0x03);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_null(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_2147483648"));
    assert_string_equal(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_2147483647"), "VO");
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_requester_secret_bad_names(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    char params[256];
    char name65[66];
    memset(name65, 'a', 65);
    name65[65] = '\0';
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-iexec-ipfs-token", REQUESTER_TOKEN), SMS_OK);

    /* valid index, 65-char name: generation fails */
    snprintf(params, sizeof params, "{\"iexec_secrets\":{\"1\":\"%s\"}}", name65);
    sf_td(fx, &td, params, SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_SECURE_SESSION_GENERATION_FAILED);
    assert_empty_base(&b);
    task_description_clear(&td);
    /* rejected index: the name is never looked at */
    snprintf(params, sizeof params, "{\"iexec_secrets\":{\"x\":\"%s\",\"0\":\"\"}}", name65);
    sf_td(fx, &td, params, SF_ENCLAVE_JSON, 0, 0x03);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    session_base_clear(&b);
    task_description_clear(&td);
    /* empty and null names fail */
    sf_td(fx, &td, "{\"iexec_secrets\":{\"1\":\"\"}}", SF_ENCLAVE_JSON, 0, 0x03);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_SECURE_SESSION_GENERATION_FAILED);
    task_description_clear(&td);
    sf_td(fx, &td, "{\"iexec_secrets\":{\"2\":null}}", SF_ENCLAVE_JSON, 0, 0x03);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_SECURE_SESSION_GENERATION_FAILED);
    task_description_clear(&td);
    /* 64 chars is fine (absent secret: skipped) */
    name65[64] = '\0';
    snprintf(params, sizeof params, "{\"iexec_secrets\":{\"1\":\"%s\"}}", name65);
    sf_td(fx, &td, params, SF_ENCLAVE_JSON, 0, 0x03);
    in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_null(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_1"));
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_secrets_of_other_parties_ignored(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    /* app secret of another app; requester secret of another owner (the beneficiary) */
    assert_int_equal(sf_put_sealed(fx, SECRET_APP, "0xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a2", "1", "x"), SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-iexec-ipfs-token", REQUESTER_TOKEN), SMS_OK);
    uint8_t a[20];
    uint8_t ch[32];
    char sig[133];
    assert_int_equal(address_parse(fx->beneficiary.addr, a), SMS_OK);
    challenge_named(a, (const uint8_t *)"k", 1, (const uint8_t *)"B", 1, ch);
    assert_int_equal(eth_sign_personal(fx->beneficiary.key, ch, sig), SMS_OK);
    assert_int_equal(secrets_set_requester(fx->svc, fx->beneficiary.addr, "k", (const uint8_t *)"B", 1, sig), SMS_OK);
    sf_td(fx, &td, "{\"iexec_secrets\":{\"1\":\"k\"}}", SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_null(env_map_get(&b.app, "IEXEC_APP_DEVELOPER_SECRET"));
    assert_null(env_map_get(&b.app, "IEXEC_REQUESTER_SECRET_1"));
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_bulk_without_gateway_is_empty(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    assert_int_equal(sf_put_web2(fx, &fx->requester, "iexec-result-iexec-ipfs-token", REQUESTER_TOKEN), SMS_OK);
    sf_td(fx, &td, "{\"bulk_cid\":\"QmBulk\"}", SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td); /* no gateway, no chain */
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_true(b.has_pre);
    assert_string_equal(env_map_get(&b.pre, "IEXEC_BULK_SLICE_SIZE"), "0");
    assert_string_equal(env_map_get(&b.app, "IEXEC_BULK_SLICE_SIZE"), "0");
    assert_null(env_map_get(&b.pre, "IEXEC_DATASET_1_FILENAME"));
    session_base_clear(&b);
    /* an unreachable gateway also gives an empty list */
    in.ipfs_gateway_url = "http://127.0.0.1:1";
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(env_map_get(&b.pre, "IEXEC_BULK_SLICE_SIZE"), "0");
    session_base_clear(&b);
    task_description_clear(&td);
    /* a CID that is not alphanumeric is never requested */
    sf_td(fx, &td, "{\"bulk_cid\":\"../admin?x=1\"}", SF_ENCLAVE_JSON, 0, 0x03);
    in = inputs(fx, &td);
    in.ipfs_gateway_url = "http://127.0.0.1:1";
    assert_int_equal(session_base_build(&in, &b), TEE_OK);
    assert_string_equal(env_map_get(&b.app, "IEXEC_BULK_SLICE_SIZE"), "0");
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_no_secrets_service(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    sf_td(fx, &td, "{}", SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in = inputs(fx, &td);
    in.secrets = NULL;
    assert_int_equal(session_base_build(&in, &b), TEE_SECURE_SESSION_GENERATION_FAILED);
    task_description_clear(&td);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_spec_6_8_scenario),
        T(test_minimal_task_has_no_pre),
        T(test_input_files_only),
        T(test_request_and_description_errors),
        T(test_sign_token_errors_in_order),
        T(test_missing_dataset_key),
        T(test_dataset_key_untrimmed),
        T(test_enclave_config_errors),
        T(test_encryption_errors_and_trimming),
        T(test_web2_values_trimmed),
        T(test_ipfs_storage_tokens),
        T(test_worker_blank_token_wins),
        T(test_proxy_precedence),
        T(test_dropbox),
        T(test_callback),
        T(test_requester_secret_quirk),
        T(test_requester_secret_bad_names),
        T(test_secrets_of_other_parties_ignored),
        T(test_bulk_without_gateway_is_empty),
        T(test_no_secrets_service),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
