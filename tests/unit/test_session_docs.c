/* Framework documents (tee-sessions.md 6.1/6.2/6.8, 7.1, 8.2): the Scone YAML of the 6.8
 * scenario byte for byte, its tree parsed back with libyaml, exact round trips of hostile
 * values through a YAML parser, and the Gramine and TDX JSON shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/secure.h"
#include "helpers/session_fixture.h"
#include "helpers/yaml_tree.h"
#include "tee/session.h"

#define PRE_FP "5f2a9e0d3c7b4e18a6f1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a493827"
#define POST_FP "8c1d3e5f7a9b0c2d4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d"
#define SID "Xy7Qp2Lm9B0000" SF_TASK_ID
#define AZURE "https://sharedweu.weu.attest.azure.net"
#define JAVA_LIB "/opt/java/openjdk/lib/server:/opt/java/openjdk/lib:/opt/java/openjdk/../lib"

static tee_pipeline g_pipeline = {
    .version = "v5",
    .pre_compute = {"iexechub/pre:1", PRE_FP, "/app/tee-worker-pre-compute", 1073741824},
    .post_compute = {"iexechub/post:1", POST_FP, "/app/tee-worker-post-compute", 1073741824},
};

static const scone_attestation g_att = {"hyperthreading,outdated-tcb", "INTEL-SA-00220,INTEL-SA-00270", "maa", AZURE};

/* The 6.8 YAML, with the fixture's values (its requester key differs from the example's). */
static const char expected_68[] =
    "---\n"
    "name: \"" SID "\"\n"
    "version: \"0.3.10\"\n"
    "access_policy:\n"
    "  read:\n"
    "  - \"CREATOR\"\n"
    "  update:\n"
    "  - \"NONE\"\n"
    "services:\n"
    "- name: \"pre-compute\"\n"
    "  image_name: \"pre-compute-image\"\n"
    "  mrenclaves:\n"
    "  - \"" PRE_FP "\"\n"
    "  pwd: \"/\"\n"
    "  command: \"/app/tee-worker-pre-compute\"\n"
    "  environment:\n"
    "    LD_LIBRARY_PATH: \"" JAVA_LIB "\"\n"
    "    JAVA_TOOL_OPTIONS: \"-Xmx256m\"\n"
    "    IEXEC_PRE_COMPUTE_OUT: \"/iexec_in\"\n"
    "    IS_DATASET_REQUIRED: \"true\"\n"
    "    IEXEC_DATASET_KEY: \"kJ0d3b+base64-aes-key=\"\n"
    "    IEXEC_DATASET_URL: \"" SF_DATASET_URI "\"\n"
    "    IEXEC_DATASET_FILENAME: \"" SF_DATASET "\"\n"
    "    IEXEC_DATASET_CHECKSUM: \"" SF_CHECKSUM "\"\n"
    "    IEXEC_DEAL_ID: \"" SF_DEAL_ID "\"\n"
    "    IEXEC_TASK_INDEX: \"3\"\n"
    "    IEXEC_TASK_ID: \"" SF_TASK_ID "\"\n"
    "    IEXEC_INPUT_FILES_FOLDER: \"/iexec_in\"\n"
    "    IEXEC_INPUT_FILES_NUMBER: \"1\"\n"
    "    IEXEC_INPUT_FILE_URL_1: \"https://example.com/data.csv\"\n"
    "    SIGN_WORKER_ADDRESS: \"" SF_WORKER "\"\n"
    "    SIGN_TEE_CHALLENGE_PRIVATE_KEY: \"" SF_CHALLENGE_KEY "\"\n"
    "- name: \"app\"\n"
    "  image_name: \"app-image\"\n"
    "  mrenclaves:\n"
    "  - \"" SF_FP "\"\n"
    "  pwd: \"/\"\n"
    "  command: \"python3 /app/app.py --verbose\"\n"
    "  environment:\n"
    "    IEXEC_DEAL_ID: \"" SF_DEAL_ID "\"\n"
    "    IEXEC_TASK_INDEX: \"3\"\n"
    "    IEXEC_TASK_ID: \"" SF_TASK_ID "\"\n"
    "    IEXEC_IN: \"/iexec_in\"\n"
    "    IEXEC_OUT: \"/iexec_out\"\n"
    "    IEXEC_BOT_SIZE: \"4\"\n"
    "    IEXEC_BOT_FIRST_INDEX: \"0\"\n"
    "    IEXEC_BOT_TASK_INDEX: \"3\"\n"
    "    IEXEC_DATASET_ADDRESS: \"" SF_DATASET "\"\n"
    "    IEXEC_DATASET_FILENAME: \"" SF_DATASET "\"\n"
    "    IEXEC_INPUT_FILES_FOLDER: \"/iexec_in\"\n"
    "    IEXEC_INPUT_FILES_NUMBER: \"1\"\n"
    "    IEXEC_INPUT_FILE_NAME_1: \"0x16c128e58778706ecf5969cfacbdedd39516e682f42c1b638c067e8fbf2f4f94\"\n"
    "    IEXEC_APP_DEVELOPER_SECRET: \"dev-secret-value\"\n"
    "    IEXEC_APP_DEVELOPER_SECRET_1: \"dev-secret-value\"\n"
    "    IEXEC_REQUESTER_SECRET_1: \"requester-api-key-value\"\n"
    "- name: \"post-compute\"\n"
    "  image_name: \"post-compute-image\"\n"
    "  mrenclaves:\n"
    "  - \"" POST_FP "\"\n"
    "  pwd: \"/\"\n"
    "  command: \"/app/tee-worker-post-compute\"\n"
    "  environment:\n"
    "    LD_LIBRARY_PATH: \"" JAVA_LIB "\"\n"
    "    JAVA_TOOL_OPTIONS: \"-Xmx256m\"\n"
    "    RESULT_ENCRYPTION: \"true\"\n"
    "    RESULT_ENCRYPTION_PUBLIC_KEY: \"LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0K\"\n"
    "    RESULT_STORAGE_CALLBACK: \"false\"\n"
    "    RESULT_STORAGE_PROVIDER: \"ipfs\"\n"
    "    RESULT_STORAGE_PROXY: \"https://result.v8-bellecour.iex.ec\"\n"
    "    RESULT_STORAGE_TOKEN: \"eyJhbGciOiJIUzI1NiJ9.worker\"\n"
    "    IEXEC_TASK_ID: \"" SF_TASK_ID "\"\n"
    "    SIGN_WORKER_ADDRESS: \"" SF_WORKER "\"\n"
    "    SIGN_TEE_CHALLENGE_PRIVATE_KEY: \"" SF_CHALLENGE_KEY "\"\n"
    "images:\n"
    "- name: \"pre-compute-image\"\n"
    "  volumes:\n"
    "  - name: \"iexec_in\"\n"
    "    path: \"/iexec_in\"\n"
    "- name: \"app-image\"\n"
    "  volumes:\n"
    "  - name: \"iexec_in\"\n"
    "    path: \"/iexec_in\"\n"
    "  - name: \"iexec_out\"\n"
    "    path: \"/iexec_out\"\n"
    "- name: \"post-compute-image\"\n"
    "  volumes:\n"
    "  - name: \"iexec_out\"\n"
    "    path: \"/iexec_out\"\n"
    "  - name: \"post-compute-tmp\"\n"
    "    path: \"/post-compute-tmp\"\n"
    "volumes:\n"
    "- name: \"iexec_in\"\n"
    "- name: \"iexec_out\"\n"
    "- name: \"post-compute-tmp\"\n"
    "security:\n"
    "  attestation:\n"
    "    tolerate:\n"
    "    - \"hyperthreading\"\n"
    "    - \"outdated-tcb\"\n"
    "    ignore_advisories:\n"
    "    - \"INTEL-SA-00220\"\n"
    "    - \"INTEL-SA-00270\"\n"
    "    mode: \"maa\"\n"
    "    url: \"" AZURE "\"\n";

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

/* Base session of the 6.8 scenario (with_pre) or of a task without pre-compute. */
static void build_base(sf_fixture *fx, task_description *td, session_base *b, int with_pre)
{
    assert_int_equal(sf_put_dataset_key(fx, SF_DATASET, "kJ0d3b+base64-aes-key="), SMS_OK);
    assert_int_equal(sf_put_app_secret(fx, "dev-secret-value"), SMS_OK);
    assert_int_equal(sf_put_requester(fx, "my-api-key", "requester-api-key-value"), SMS_OK);
    assert_int_equal(
        sf_put_web2(fx, &fx->beneficiary, "iexec-result-encryption-public-key", "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0K"),
        SMS_OK);
    assert_int_equal(
        sf_put_web2(fx, &fx->pool_owner, "iexec-result-iexec-result-proxy-url", "https://result.v8-bellecour.iex.ec"),
        SMS_OK);
    assert_int_equal(sf_put_web2(fx, &fx->worker, "iexec-result-iexec-ipfs-token", "eyJhbGciOiJIUzI1NiJ9.worker"),
                     SMS_OK);
    if (with_pre) sf_td(fx, td, SF_PARAMS_68, SF_ENCLAVE_JSON, 1, 0x03);
    else sf_td(fx, td, "{\"iexec_result_storage_provider\":\"ipfs\"}", SF_ENCLAVE_JSON, 0, 0x03);
    session_inputs in;
    memset(&in, 0, sizeof in);
    in.td = td;
    in.worker_address = SF_WORKER;
    in.enclave_challenge = SF_ENCLAVE;
    in.challenge_private_key = SF_CHALLENGE_KEY;
    in.pipeline = &g_pipeline;
    in.secrets = fx->svc;
    assert_int_equal(session_base_build(&in, b), TEE_OK);
}

static void test_scone_spec_example_exact(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    char *doc = NULL;
    size_t len = 0;
    build_base(fx, &td, &b, 1);
    assert_int_equal(session_scone_yaml(SID, &b, &g_pipeline, &g_att, &doc, &len), SMS_OK);
    assert_int_equal(len, strlen(doc));
    assert_string_equal(doc, expected_68);
    secure_free(doc, len + 1);
    session_base_clear(&b);
    task_description_clear(&td);
}

static void assert_scalar(const yt_node *n, const char *text)
{
    assert_non_null(n);
    assert_int_equal(n->type, YT_SCALAR);
    assert_string_equal(n->text, text);
}

/* [{name: <name>}] style check of one service. */
static void assert_service(const yt_node *s, const char *name, const char *image, const char *mrenclave,
                           const char *command)
{
    static const char *const keys[] = {"name", "image_name", "mrenclaves", "pwd", "command", "environment"};
    assert_int_equal(s->type, YT_MAP);
    assert_int_equal(s->n, 2 * 6);
    for (size_t i = 0; i < 6; i++) assert_string_equal(yt_key(s, i), keys[i]);
    assert_scalar(yt_get(s, "name"), name);
    assert_scalar(yt_get(s, "image_name"), image);
    const yt_node *m = yt_get(s, "mrenclaves");
    assert_int_equal(m->type, YT_SEQ);
    assert_int_equal(m->n, 1);
    assert_scalar(m->items[0], mrenclave);
    assert_scalar(yt_get(s, "pwd"), "/");
    assert_scalar(yt_get(s, "command"), command);
    assert_int_equal(yt_get(s, "environment")->type, YT_MAP);
}

/* environment mapping == env (plus the Java variables first when java). */
static void assert_environment(const yt_node *env, const env_map *m, int java)
{
    size_t extra = java ? 2 : 0;
    assert_int_equal(env->n / 2, m->n + extra);
    if (java) {
        assert_string_equal(yt_key(env, 0), "LD_LIBRARY_PATH");
        assert_scalar(env->items[1], JAVA_LIB);
        assert_string_equal(yt_key(env, 1), "JAVA_TOOL_OPTIONS");
        assert_scalar(env->items[3], "-Xmx256m");
    }
    for (size_t i = 0; i < m->n; i++) {
        assert_string_equal(yt_key(env, i + extra), m->entries[i].key);
        assert_scalar(env->items[2 * (i + extra) + 1], m->entries[i].value);
        assert_int_equal(env->items[2 * (i + extra) + 1]->style, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    }
}

static void test_scone_tree(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    char *doc = NULL;
    size_t len = 0;
    int explicit_start = 0;
    build_base(fx, &td, &b, 1);
    assert_int_equal(session_scone_yaml(SID, &b, &g_pipeline, &g_att, &doc, &len), SMS_OK);
    yt_node *root = yt_parse(doc, len, &explicit_start);
    assert_non_null(root);
    assert_true(explicit_start);
    static const char *const top[] = {"name", "version", "access_policy", "services", "images", "volumes", "security"};
    assert_int_equal(root->n, 2 * 7);
    for (size_t i = 0; i < 7; i++) assert_string_equal(yt_key(root, i), top[i]);
    assert_scalar(yt_get(root, "name"), SID);
    assert_scalar(yt_get(root, "version"), "0.3.10");
    assert_int_equal(yt_get(root, "version")->style, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    const yt_node *ap = yt_get(root, "access_policy");
    assert_scalar(yt_get(ap, "read")->items[0], "CREATOR");
    assert_int_equal(yt_get(ap, "read")->n, 1);
    assert_scalar(yt_get(ap, "update")->items[0], "NONE");

    const yt_node *services = yt_get(root, "services");
    assert_int_equal(services->n, 3);
    assert_service(services->items[0], "pre-compute", "pre-compute-image", PRE_FP, "/app/tee-worker-pre-compute");
    assert_service(services->items[1], "app", "app-image", SF_FP, "python3 /app/app.py --verbose");
    assert_service(services->items[2], "post-compute", "post-compute-image", POST_FP, "/app/tee-worker-post-compute");
    assert_environment(yt_get(services->items[0], "environment"), &b.pre, 1);
    assert_environment(yt_get(services->items[1], "environment"), &b.app, 0);
    assert_environment(yt_get(services->items[2], "environment"), &b.post, 1);

    const yt_node *images = yt_get(root, "images");
    assert_int_equal(images->n, 3);
    assert_scalar(yt_get(images->items[0], "name"), "pre-compute-image");
    const yt_node *v = yt_get(images->items[0], "volumes");
    assert_int_equal(v->n, 1);
    assert_scalar(yt_get(v->items[0], "name"), "iexec_in");
    assert_scalar(yt_get(v->items[0], "path"), "/iexec_in");
    v = yt_get(images->items[1], "volumes");
    assert_int_equal(v->n, 2);
    assert_scalar(yt_get(v->items[1], "path"), "/iexec_out");
    v = yt_get(images->items[2], "volumes");
    assert_int_equal(v->n, 2);
    assert_scalar(yt_get(v->items[0], "name"), "iexec_out");
    assert_scalar(yt_get(v->items[1], "name"), "post-compute-tmp");
    assert_scalar(yt_get(v->items[1], "path"), "/post-compute-tmp");

    const yt_node *vols = yt_get(root, "volumes");
    assert_int_equal(vols->n, 3);
    assert_scalar(yt_get(vols->items[2], "name"), "post-compute-tmp");
    assert_int_equal(vols->items[2]->n, 2);

    const yt_node *att = yt_get(yt_get(root, "security"), "attestation");
    static const char *const akeys[] = {"tolerate", "ignore_advisories", "mode", "url"};
    for (size_t i = 0; i < 4; i++) assert_string_equal(yt_key(att, i), akeys[i]);
    assert_int_equal(yt_get(att, "tolerate")->n, 2);
    assert_scalar(yt_get(att, "tolerate")->items[1], "outdated-tcb");
    assert_scalar(yt_get(att, "ignore_advisories")->items[0], "INTEL-SA-00220");
    assert_scalar(yt_get(att, "mode"), "maa");
    assert_scalar(yt_get(att, "url"), AZURE);
    yt_free(root);
    secure_free(doc, len + 1);
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_scone_without_pre(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    char *doc = NULL;
    size_t len = 0;
    build_base(fx, &td, &b, 0);
    assert_false(b.has_pre);
    assert_int_equal(session_scone_yaml(SID, &b, &g_pipeline, &g_att, &doc, &len), SMS_OK);
    assert_null(strstr(doc, "pre-compute"));
    yt_node *root = yt_parse(doc, len, NULL);
    assert_non_null(root);
    const yt_node *services = yt_get(root, "services");
    assert_int_equal(services->n, 2);
    assert_scalar(yt_get(services->items[0], "name"), "app");
    assert_scalar(yt_get(services->items[1], "name"), "post-compute");
    const yt_node *images = yt_get(root, "images");
    assert_int_equal(images->n, 2);
    assert_scalar(yt_get(images->items[0], "name"), "app-image");
    assert_int_equal(yt_get(root, "volumes")->n, 3); /* always the three volumes */
    yt_free(root);
    secure_free(doc, len + 1);
    session_base_clear(&b);
    task_description_clear(&td);
}

/* A minimal base with the given app environment. */
static void small_base(session_base *b)
{
    memset(b, 0, sizeof *b);
    b->app_mrenclave = strdup(SF_FP);
    b->app_command = strdup("/app");
    assert_int_equal(env_map_set(&b->post, "RESULT_STORAGE_PROVIDER", ""), SMS_OK);
}

static void test_attestation_variants(void **state)
{
    (void)state;
    session_base b;
    char *doc = NULL;
    size_t len = 0;
    small_base(&b);
    static const struct {
        scone_attestation att;
        size_t n_tol;
        const char *tol0;
        size_t n_adv;
    } cases[] = {
        {{"", "", "hardware", NULL}, 0, NULL, 0},
        {{" , ,", ",", "maa", "https://m"}, 0, NULL, 0},
        {{" hyperthreading , debug-mode,", "INTEL-SA-00161", "maa", "https://m"}, 2, "hyperthreading", 1},
        {{NULL, NULL, NULL, NULL}, 0, NULL, 0},
        {{"a b ,\tc", " x,,y ", "maa", NULL}, 2, "a b", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(session_scone_yaml("s", &b, &g_pipeline, &cases[i].att, &doc, &len), SMS_OK);
        yt_node *root = yt_parse(doc, len, NULL);
        assert_non_null(root);
        const yt_node *att = yt_get(yt_get(root, "security"), "attestation");
        const yt_node *tol = yt_get(att, "tolerate");
        assert_int_equal(tol->type, YT_SEQ);
        assert_int_equal(tol->n, cases[i].n_tol);
        if (cases[i].tol0 != NULL) assert_scalar(tol->items[0], cases[i].tol0);
        assert_int_equal(yt_get(att, "ignore_advisories")->n, cases[i].n_adv);
        const yt_node *url = yt_get(att, "url");
        if (cases[i].att.url == NULL) {
            /* a YAML null: plain "null" */
            assert_scalar(url, "null");
            assert_int_equal(url->style, YAML_PLAIN_SCALAR_STYLE);
        } else {
            assert_scalar(url, cases[i].att.url);
            assert_int_equal(url->style, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
        }
        const yt_node *mode = yt_get(att, "mode");
        if (cases[i].att.mode == NULL) assert_int_equal(mode->style, YAML_PLAIN_SCALAR_STYLE);
        else assert_scalar(mode, cases[i].att.mode);
        yt_free(root);
        secure_free(doc, len + 1);
    }
    /* no attestation at all */
    assert_int_equal(session_scone_yaml("s", &b, &g_pipeline, NULL, &doc, &len), SMS_OK);
    yt_node *root = yt_parse(doc, len, NULL);
    assert_non_null(root);
    assert_int_equal(yt_get(yt_get(yt_get(root, "security"), "attestation"), "tolerate")->n, 0);
    yt_free(root);
    secure_free(doc, len + 1);
    session_base_clear(&b);
}

static const char *const hostile[] = {
    "yes", "no", "null", "Null", "~", "true", "FALSE", "on", "off", "y", "n", "- x", "-", "a: b", ": ", "#x", "x #y",
    "&anchor", "*alias", "!tag", "!!str", "%YAML 1.2", "---", "...", "[a, b]", "{a: b}", "'single'", "\"double\"",
    "\\back\\slash", "line1\nline2", "\r\n", "\ttab", " leading", "trailing ", "  ", "", "0x1234", "1e3", "0o17",
    ".inf", "-.nan", "12:30:00", "2024-01-01", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
    "\xc2\x85nel", "\xe2\x80\xa8ls", "\xef\xbb\xbf" "bom", "\x01\x02\x1b[0m\x7f", "@at", "`tick`", "|", ">", "?",
    "a\"b'c", "multi\n\nblank\n", "=", "<<",
};

static void test_hostile_values_round_trip(void **state)
{
    (void)state;
    session_base b;
    char *doc = NULL;
    size_t len = 0;
    char key[32];
    size_t n = sizeof hostile / sizeof *hostile;
    small_base(&b);
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "K_%zu", i);
        assert_int_equal(env_map_set(&b.app, key, hostile[i]), SMS_OK);
        assert_int_equal(env_map_set(&b.post, hostile[i][0] != '\0' ? hostile[i] : "EMPTY", hostile[i]), SMS_OK);
    }
    free(b.app_command);
    b.app_command = strdup("cmd: \"x\"\n- y");
    assert_int_equal(session_scone_yaml("id: \"x\"\n", &b, &g_pipeline, NULL, &doc, &len), SMS_OK);
    yt_node *root = yt_parse(doc, len, NULL);
    assert_non_null(root);
    assert_scalar(yt_get(root, "name"), "id: \"x\"\n");
    const yt_node *services = yt_get(root, "services");
    assert_scalar(yt_get(services->items[0], "command"), "cmd: \"x\"\n- y");
    const yt_node *app_env = yt_get(services->items[0], "environment");
    assert_int_equal(app_env->n / 2, n);
    for (size_t i = 0; i < n; i++) {
        const yt_node *v = app_env->items[2 * i + 1];
        if (v->len != strlen(hostile[i]) || memcmp(v->text, hostile[i], v->len) != 0)
            fail_msg("value %zu does not round-trip", i);
        /* double-quoted: no resolver can turn it into a bool, null or number */
        assert_int_equal(v->style, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    }
    /* hostile keys too; non-identifier keys must not be plain */
    const yt_node *post_env = yt_get(services->items[1], "environment");
    assert_int_equal(post_env->n / 2, b.post.n + 2);
    for (size_t i = 0; i < b.post.n; i++) {
        const yt_node *k = post_env->items[2 * (i + 2)];
        assert_string_equal(k->text, b.post.entries[i].key);
        assert_string_equal(post_env->items[2 * (i + 2) + 1]->text, b.post.entries[i].value);
        const char *t = k->text;
        int identifier = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(t) &&
                         !(t[0] >= '0' && t[0] <= '9') && t[0] != '-';
        if (!identifier || strcmp(t, "yes") == 0 || strcmp(t, "null") == 0 || strcmp(t, "n") == 0)
            assert_int_not_equal(k->style, YAML_PLAIN_SCALAR_STYLE);
    }
    yt_free(root);
    secure_free(doc, len + 1);
    session_base_clear(&b);
}

static void test_java_vars_override(void **state)
{
    (void)state;
    session_base b;
    char *doc = NULL;
    size_t len = 0;
    small_base(&b);
    b.has_pre = 1;
    assert_int_equal(env_map_set(&b.pre, "JAVA_TOOL_OPTIONS", "-Xmx99g"), SMS_OK);
    assert_int_equal(env_map_set(&b.pre, "A", "1"), SMS_OK);
    assert_int_equal(env_map_set(&b.post, "LD_LIBRARY_PATH", "/evil"), SMS_OK);
    assert_int_equal(env_map_set(&b.app, "JAVA_TOOL_OPTIONS", "app-own"), SMS_OK);
    assert_int_equal(session_scone_yaml("s", &b, &g_pipeline, NULL, &doc, &len), SMS_OK);
    yt_node *root = yt_parse(doc, len, NULL);
    assert_non_null(root);
    const yt_node *services = yt_get(root, "services");
    const yt_node *pre = yt_get(services->items[0], "environment");
    assert_int_equal(pre->n / 2, 3);
    assert_scalar(yt_get(pre, "JAVA_TOOL_OPTIONS"), "-Xmx256m");
    assert_scalar(yt_get(pre, "A"), "1");
    const yt_node *post = yt_get(services->items[2], "environment");
    assert_int_equal(post->n / 2, 3);
    assert_scalar(yt_get(post, "LD_LIBRARY_PATH"), JAVA_LIB);
    /* the app gets no Java variables and keeps its own */
    const yt_node *app = yt_get(services->items[1], "environment");
    assert_int_equal(app->n / 2, 1);
    assert_scalar(yt_get(app, "JAVA_TOOL_OPTIONS"), "app-own");
    yt_free(root);
    secure_free(doc, len + 1);
    session_base_clear(&b);
}

static void test_null_app_fields_are_empty_strings(void **state)
{
    (void)state;
    session_base b;
    char *doc = NULL;
    size_t len = 0;
    memset(&b, 0, sizeof b);
    assert_int_equal(session_scone_yaml("s", &b, &g_pipeline, NULL, &doc, &len), SMS_OK);
    yt_node *root = yt_parse(doc, len, NULL);
    const yt_node *app = yt_get(root, "services")->items[0];
    assert_scalar(yt_get(app, "command"), "");
    assert_int_equal(yt_get(app, "command")->style, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    assert_scalar(yt_get(app, "mrenclaves")->items[0], "");
    assert_int_equal(yt_get(app, "environment")->n, 0);
    yt_free(root);
    secure_free(doc, len + 1);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    session_base b;
    task_description td;
    char *doc = NULL;
    size_t len = 0;
    memset(&b, 0, sizeof b);
    memset(&td, 0, sizeof td);
    assert_int_equal(session_scone_yaml(NULL, &b, &g_pipeline, NULL, &doc, &len), SMS_EINVAL);
    assert_int_equal(session_scone_yaml("s", NULL, &g_pipeline, NULL, &doc, &len), SMS_EINVAL);
    assert_int_equal(session_scone_yaml("s", &b, NULL, NULL, &doc, &len), SMS_EINVAL);
    assert_int_equal(session_scone_yaml("s", &b, &g_pipeline, NULL, NULL, &len), SMS_EINVAL);
    assert_int_equal(session_gramine_json("s", &b, &g_pipeline, &doc, NULL), SMS_EINVAL);
    assert_int_equal(session_gramine_json(NULL, &b, &g_pipeline, &doc, &len), SMS_EINVAL);
    assert_int_equal(session_tdx_json("s", &b, &g_pipeline, NULL, &doc, &len), SMS_EINVAL);
    assert_int_equal(session_tdx_json("s", &b, NULL, &td, &doc, &len), SMS_EINVAL);
}

/* environment object == env map, in order. */
static void assert_json_env(const json_t *obj, const env_map *m)
{
    assert_true(json_is_object(obj));
    assert_int_equal(json_object_size(obj), m->n);
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        assert_string_equal(k, m->entries[i].key);
        assert_string_equal(json_string_value(v), m->entries[i].value);
        i++;
    }
}

static void test_gramine_json(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    char *doc = NULL;
    size_t len = 0;
    build_base(fx, &td, &b, 1);
    assert_true(b.has_pre);
    assert_int_equal(env_map_set(&b.app, "Q", "a\"b\n\\c \xc3\xa9"), SMS_OK);
    assert_int_equal(session_gramine_json(SID, &b, &g_pipeline, &doc, &len), SMS_OK);
    assert_int_equal(len, strlen(doc));
    json_error_t err;
    json_t *root = json_loadb(doc, len, 0, &err);
    assert_non_null(root);
    assert_int_equal(json_object_size(root), 2);
    assert_string_equal(json_string_value(json_object_get(root, "session")), SID);
    json_t *enclaves = json_object_get(root, "enclaves");
    assert_int_equal(json_array_size(enclaves), 2); /* never pre-compute */
    static const char *const names[] = {"app", "post-compute"};
    const char *mrenclaves[] = {SF_FP, POST_FP};
    const env_map *envs[] = {&b.app, &b.post};
    for (size_t i = 0; i < 2; i++) {
        json_t *e = json_array_get(enclaves, i);
        assert_int_equal(json_object_size(e), 5);
        assert_string_equal(json_string_value(json_object_get(e, "name")), names[i]);
        assert_string_equal(json_string_value(json_object_get(e, "mrenclave")), mrenclaves[i]);
        assert_string_equal(json_string_value(json_object_get(e, "command")), "");
        assert_true(json_is_array(json_object_get(e, "volumes")));
        assert_int_equal(json_array_size(json_object_get(e, "volumes")), 0);
        assert_json_env(json_object_get(e, "environment"), envs[i]);
    }
    /* no Java variables */
    assert_null(json_object_get(json_object_get(json_array_get(enclaves, 1), "environment"), "LD_LIBRARY_PATH"));
    json_decref(root);
    secure_free(doc, len + 1);
    session_base_clear(&b);
    task_description_clear(&td);
}

static void test_tdx_json(void **state)
{
    sf_fixture *fx = *state;
    task_description td;
    session_base b;
    char *doc = NULL;
    size_t len = 0;
    build_base(fx, &td, &b, 1);
    for (int with_pre = 1; with_pre >= 0; with_pre--) {
        b.has_pre = with_pre;
        assert_int_equal(session_tdx_json(SID, &b, &g_pipeline, &td, &doc, &len), SMS_OK);
        json_t *root = json_loadb(doc, len, 0, NULL);
        assert_non_null(root);
        assert_int_equal(json_object_size(root), 3);
        assert_string_equal(json_string_value(json_object_get(root, "name")), SID);
        assert_string_equal(json_string_value(json_object_get(root, "version")), "0.1.0");
        json_t *services = json_object_get(root, "services");
        assert_int_equal(json_array_size(services), with_pre ? 3 : 2);
        size_t k = 0;
        if (with_pre) {
            json_t *pre = json_array_get(services, k++);
            assert_int_equal(json_object_size(pre), 4);
            assert_string_equal(json_string_value(json_object_get(pre, "name")), "pre-compute");
            assert_string_equal(json_string_value(json_object_get(pre, "image_name")), "iexechub/pre:1");
            assert_string_equal(json_string_value(json_object_get(pre, "fingerprint")), PRE_FP);
            assert_json_env(json_object_get(pre, "environment"), &b.pre);
        }
        json_t *app = json_array_get(services, k++);
        assert_string_equal(json_string_value(json_object_get(app, "name")), "app");
        assert_string_equal(json_string_value(json_object_get(app, "image_name")), SF_APP_URI);
        assert_string_equal(json_string_value(json_object_get(app, "fingerprint")), SF_APP_CHECKSUM);
        assert_json_env(json_object_get(app, "environment"), &b.app);
        json_t *post = json_array_get(services, k++);
        assert_string_equal(json_string_value(json_object_get(post, "name")), "post-compute");
        assert_string_equal(json_string_value(json_object_get(post, "image_name")), "iexechub/post:1");
        assert_string_equal(json_string_value(json_object_get(post, "fingerprint")), POST_FP);
        assert_json_env(json_object_get(post, "environment"), &b.post);
        json_decref(root);
        secure_free(doc, len + 1);
    }
    session_base_clear(&b);
    task_description_clear(&td);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_scone_spec_example_exact),
        T(test_scone_tree),
        T(test_scone_without_pre),
        cmocka_unit_test(test_attestation_variants),
        cmocka_unit_test(test_hostile_values_round_trip),
        cmocka_unit_test(test_java_vars_override),
        cmocka_unit_test(test_null_app_fields_are_empty_strings),
        cmocka_unit_test(test_bad_arguments),
        T(test_gramine_json),
        T(test_tdx_json),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
