/* Admin endpoints (src/api/api_admin.c over src/admin/admin.c), without sockets: every
 * status of sms-api.md 7.3, traversal attempts refused with nothing touched, a backup
 * restored with the secrets intact, one operation at a time (429). The API-key filter
 * (routes.c) is exercised too since it guards these routes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "admin/admin.h"
#include "admin/backup.h"
#include "admin/fileops.h"
#include "api/api.h"
#include "core/secure.h"
#include "helpers/admin_fixture.h"
#include "helpers/fake_http.h"

/* The rows the route table gets (reported to the lead for src/api/routes.c). */
static const http_route admin_routes[] = {
    {"/admin/backup", HTTP_POST, api_admin_backup, 0, "/admin/backup"},
    {"/admin/{}/replicate-backup", HTTP_POST, api_admin_replicate, 0, "/admin/{storageID}/replicate-backup"},
    {"/admin/{}/restore-backup", HTTP_POST, api_admin_restore, 0, "/admin/{storageID}/restore-backup"},
    {"/admin/{}/delete-backup", HTTP_DELETE, api_admin_delete, 0, "/admin/{storageID}/delete-backup"},
    {"/admin/{}/copy-to/{}", HTTP_POST, api_admin_copy, 0, "/admin/{sourceStorageID}/copy-to/{destinationStorageID}"},
};
#define N_ADMIN_ROUTES (sizeof admin_routes / sizeof admin_routes[0])

typedef struct {
    adminfx fx;
    char root[PATH_MAX]; /* storage location */
    sms_config cfg;
    sms_app app;
    admin_service *admin;
    secrets_service *svc;
    /* Blocking pause hook for the 429 test. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int block, entered, released;
} fixture;

static int on_pause(void *ctx)
{
    fixture *f = ctx;
    pthread_mutex_lock(&f->mu);
    atomic_store(&f->app.online, 0);
    f->entered = 1;
    pthread_cond_broadcast(&f->cv);
    while (f->block && !f->released) pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
    return 0;
}

static void on_resume(void *ctx)
{
    fixture *f = ctx;
    atomic_store(&f->app.online, 1);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    admin_config ac;
    assert_non_null(f);
    adminfx_open(&f->fx, "api-admin");
    adminfx_mkdir(&f->fx, "backup");
    adminfx_mkdir(&f->fx, "backup/replica");
    adminfx_mkdir(&f->fx, "backup/other");
    adminfx_mkdir(&f->fx, "backup2");
    adminfx_mkdir(&f->fx, "outside");
    adminfx_path(&f->fx, "backup", f->root);
    char link[PATH_MAX], target[PATH_MAX];
    adminfx_path(&f->fx, "backup/link-out", link);
    adminfx_path(&f->fx, "outside", target);
    assert_int_equal(symlink(target, link), 0);
    adminfx_fill(f->fx.store, f->fx.key);
    assert_int_equal(secrets_service_new(f->fx.store, f->fx.key, NULL, NULL, 100, &f->svc), SMS_OK);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    memset(&ac, 0, sizeof ac);
    ac.storage_location = f->root;
    ac.aes_key_path = f->fx.key_path;
    ac.store = f->fx.store;
    ac.secrets = f->svc;
    ac.hooks.pause = on_pause;
    ac.hooks.resume = on_resume;
    ac.hooks.ctx = f;
    assert_int_equal(admin_service_new(&ac, &f->admin), SMS_OK);
    f->cfg.admin_api_key = (char *)"s3cret";
    f->cfg.admin_storage_location = f->root;
    f->app.cfg = &f->cfg;
    f->app.store = f->fx.store;
    f->app.secrets = f->svc;
    f->app.admin = f->admin;
    atomic_init(&f->app.online, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    secrets_service_free(f->svc);
    admin_service_free(f->admin);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    adminfx_close(&f->fx);
    free(f);
    return 0;
}

static void hex_of(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    assert_true(2 * n < cap);
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", (unsigned char)s[i]);
    out[2 * n] = '\0';
}

/* Hex storage id of <scratch>/<rel> ("" for the scratch directory itself). */
static void id_of(fixture *f, const char *rel, char out[2 * PATH_MAX + 1])
{
    char path[PATH_MAX];
    adminfx_path(&f->fx, rel, path);
    hex_of(path, out, 2 * PATH_MAX + 1);
}

/* One request through the router (so the patterns are checked too) and the handler. */
typedef struct {
    const char *name;
    const char *value;
} qparam;

static void call(fixture *f, http_method method, const char *path, const qparam *params, size_t n_params,
                 http_response *resp)
{
    fake_request fr;
    const http_route *found = NULL;
    unsigned allowed = 0;
    fake_request_init(&fr, method, path);
    for (size_t i = 0; i < n_params; i++) fake_request_query(&fr, params[i].name, params[i].value);
    http_response_init(resp);
    assert_int_equal(fake_request_route(&fr, admin_routes, N_ADMIN_ROUTES, &found, &allowed), ROUTE_FOUND);
    found->handler(&f->app, &fr.req, resp);
}

static unsigned with_file(fixture *f, http_method m, const char *id, const char *op, const char *file)
{
    char path[2 * PATH_MAX + 64];
    http_response resp;
    qparam q = {"fileName", file};
    snprintf(path, sizeof path, "/admin/%s/%s", id, op);
    call(f, m, path, &q, file != NULL ? 1 : 0, &resp);
    if (file == NULL) {
        fake_assert_spring_error(&resp, 400, path);
    } else {
        assert_null(resp.body);
        assert_null(resp.content_type);
    }
    unsigned status = resp.status;
    http_response_clear(&resp);
    return status;
}

static unsigned backup(fixture *f)
{
    http_response resp;
    call(f, HTTP_POST, "/admin/backup", NULL, 0, &resp);
    assert_null(resp.body);
    unsigned status = resp.status;
    http_response_clear(&resp);
    return status;
}

static unsigned copy_to(fixture *f, const char *src_id, const char *dst_id, const char *src, const char *dst)
{
    char path[4 * PATH_MAX + 64];
    http_response resp;
    qparam q[2] = {{"sourceFileName", src}, {"destinationFileName", dst}};
    snprintf(path, sizeof path, "/admin/%s/copy-to/%s", src_id, dst_id);
    if (src == NULL) {
        call(f, HTTP_POST, path, q + 1, dst != NULL ? 1 : 0, &resp);
        fake_assert_spring_error(&resp, 400, path);
    } else {
        call(f, HTTP_POST, path, q, dst != NULL ? 2 : 1, &resp);
        assert_null(resp.body);
    }
    unsigned status = resp.status;
    http_response_clear(&resp);
    return status;
}

static int exists(fixture *f, const char *rel)
{
    char path[PATH_MAX];
    adminfx_path(&f->fx, rel, path);
    return fileops_exists(path);
}

/* ---- filter ---- */

static void expect_filter(fixture *f, const char *path, const char *key, int want_status, const char *body)
{
    fake_request fr;
    http_response resp;
    fake_request_init(&fr, HTTP_POST, path);
    if (key != NULL) fake_request_header(&fr, "X-API-KEY", key);
    http_response_init(&resp);
    int stopped = api_pre_route(&f->app, &fr.req, &resp);
    if (want_status == 0) {
        assert_int_equal(stopped, 0);
    } else {
        assert_int_equal(stopped, 1);
        fake_assert_plain(&resp, (unsigned)want_status, body);
    }
    http_response_clear(&resp);
}

static void test_api_key_filter(void **state)
{
    fixture *f = *state;
    expect_filter(f, "/admin/backup", NULL, 401, "You are not authorized to access this endpoint.");
    expect_filter(f, "/admin/backup", "wrong", 401, "You are not authorized to access this endpoint.");
    expect_filter(f, "/admin/backup", "s3cret ", 401, "You are not authorized to access this endpoint.");
    expect_filter(f, "/admin/unknown/path", NULL, 401, "You are not authorized to access this endpoint.");
    expect_filter(f, "/admin/backup", "s3cret", 0, NULL);
    f->cfg.admin_api_key = NULL;
    expect_filter(f, "/admin/backup", "s3cret", 403, "This endpoint is disabled.");
    expect_filter(f, "/admin", NULL, 403, "This endpoint is disabled.");
}

/* ---- operations ---- */

static void test_backup_statuses(void **state)
{
    fixture *f = *state;
    /* <loc>/work is never created. */
    assert_int_equal(backup(f), 500);
    assert_false(exists(f, "backup/work"));
    adminfx_mkdir(&f->fx, "backup/work");
    assert_int_equal(backup(f), 201);
    assert_true(exists(f, "backup/work/backup.sql"));
    assert_true(exists(f, "backup/work/backup.sql.key"));
    assert_int_equal(backup(f), 201); /* overwrites */
    char work[PATH_MAX];
    adminfx_path(&f->fx, "backup/work", work);
    assert_int_equal(adminfx_count_tmp(work), 0);
}

static void test_replicate_statuses(void **state)
{
    fixture *f = *state;
    char replica[2 * PATH_MAX + 1], missing[2 * PATH_MAX + 1], outside[2 * PATH_MAX + 1], link[2 * PATH_MAX + 1];
    id_of(f, "backup/replica", replica);
    id_of(f, "backup/none", missing);
    id_of(f, "backup2", outside);
    id_of(f, "backup/link-out", link);

    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", NULL), 400);
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", " "), 400);
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", ""), 400);
    /* No working backup yet. */
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", "r1"), 404);
    adminfx_mkdir(&f->fx, "backup/work");
    assert_int_equal(backup(f), 201);
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", "r1"), 200);
    assert_true(exists(f, "backup/replica/r1"));
    assert_true(exists(f, "backup/replica/r1.key"));
    /* Never overwritten. */
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", "r1"), 500);
    /* Storage ids: [fix] malformed -> 400; missing -> 404; outside -> 500. */
    assert_int_equal(with_file(f, HTTP_POST, "2f6261636b7", "replicate-backup", "r2"), 400);
    assert_int_equal(with_file(f, HTTP_POST, "zz", "replicate-backup", "r2"), 400);
    assert_int_equal(with_file(f, HTTP_POST, "2f00", "replicate-backup", "r2"), 400);
    assert_int_equal(with_file(f, HTTP_POST, "2f0a", "replicate-backup", "r2"), 400);
    assert_int_equal(with_file(f, HTTP_POST, missing, "replicate-backup", "r2"), 404);
    assert_int_equal(with_file(f, HTTP_POST, outside, "replicate-backup", "r2"), 500);
    assert_int_equal(with_file(f, HTTP_POST, link, "replicate-backup", "r2"), 500);
    /* Traversal in the file name. */
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", "../../outside/r2"), 500);
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", "../../backup2/r2"), 500);
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", "../link-out/r2"), 500);
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", "r\x01"), 400);
    assert_false(exists(f, "outside/r2"));
    assert_false(exists(f, "backup2/r2"));
    /* Inside the area through "..": fine. */
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", "../other/r3"), 200);
    assert_true(exists(f, "backup/other/r3.key"));
}

static void test_copy_statuses(void **state)
{
    fixture *f = *state;
    char work[2 * PATH_MAX + 1], replica[2 * PATH_MAX + 1], other[2 * PATH_MAX + 1], missing[2 * PATH_MAX + 1],
        outside[2 * PATH_MAX + 1];
    id_of(f, "backup/work", work);
    id_of(f, "backup/replica", replica);
    id_of(f, "backup/other", other);
    id_of(f, "backup/none", missing);
    id_of(f, "backup2", outside);
    adminfx_mkdir(&f->fx, "backup/work");
    assert_int_equal(backup(f), 201);

    assert_int_equal(copy_to(f, work, replica, NULL, "x"), 400);
    assert_int_equal(copy_to(f, work, replica, " ", "x"), 400);
    assert_int_equal(copy_to(f, work, replica, "nothing", "x"), 404);
    assert_int_equal(copy_to(f, missing, replica, "backup.sql", "x"), 404);
    assert_int_equal(copy_to(f, work, missing, "backup.sql", "x"), 404);
    assert_int_equal(copy_to(f, work, outside, "backup.sql", "x"), 500);
    assert_int_equal(copy_to(f, work, "0", "backup.sql", "x"), 400);
    assert_int_equal(copy_to(f, work, replica, "backup.sql", "c1"), 200);
    assert_true(exists(f, "backup/replica/c1"));
    assert_true(exists(f, "backup/replica/c1.key"));
    /* Blank or absent destination name: the source's. */
    assert_int_equal(copy_to(f, work, other, "backup.sql", NULL), 200);
    assert_true(exists(f, "backup/other/backup.sql.key"));
    assert_int_equal(copy_to(f, replica, work, "c1", " "), 200);
    assert_true(exists(f, "backup/work/c1.key"));
    assert_int_equal(copy_to(f, replica, other, "c1", "backup.sql"), 500); /* exists */
    assert_int_equal(copy_to(f, replica, other, "c1", "../../outside/c1"), 500);
    assert_false(exists(f, "outside/c1"));
    /* A source whose key file is missing. */
    char lone[PATH_MAX];
    adminfx_path(&f->fx, "backup/replica/lone", lone);
    adminfx_write_file(lone, "x", 1);
    assert_int_equal(copy_to(f, replica, other, "lone", NULL), 404);
    assert_false(exists(f, "backup/other/lone"));
}

static void test_delete_statuses(void **state)
{
    fixture *f = *state;
    char replica[2 * PATH_MAX + 1], missing[2 * PATH_MAX + 1], outside[2 * PATH_MAX + 1];
    id_of(f, "backup/replica", replica);
    id_of(f, "backup/none", missing);
    id_of(f, "backup2", outside);
    adminfx_mkdir(&f->fx, "backup/work");
    assert_int_equal(backup(f), 201);
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", "d1"), 200);

    assert_int_equal(with_file(f, HTTP_DELETE, replica, "delete-backup", NULL), 400);
    assert_int_equal(with_file(f, HTTP_DELETE, replica, "delete-backup", "\t"), 400);
    assert_int_equal(with_file(f, HTTP_DELETE, missing, "delete-backup", "d1"), 404);
    assert_int_equal(with_file(f, HTTP_DELETE, outside, "delete-backup", "d1"), 500);
    assert_int_equal(with_file(f, HTTP_DELETE, replica, "delete-backup", "../../outside/d1"), 500);
    assert_int_equal(with_file(f, HTTP_DELETE, replica, "delete-backup", "d1"), 200);
    assert_false(exists(f, "backup/replica/d1"));
    assert_false(exists(f, "backup/replica/d1.key"));
    assert_int_equal(with_file(f, HTTP_DELETE, replica, "delete-backup", "d1"), 500);
    /* Half a pair: removed, but reported as a failure (both must have existed). */
    char half[PATH_MAX];
    adminfx_path(&f->fx, "backup/replica/half.key", half);
    adminfx_write_file(half, "k", 1);
    assert_int_equal(with_file(f, HTTP_DELETE, replica, "delete-backup", "half"), 500);
    assert_false(exists(f, "backup/replica/half.key"));
    /* An outside file behind a link is not deleted. */
    char secret[PATH_MAX];
    adminfx_path(&f->fx, "outside/victim", secret);
    adminfx_write_file(secret, "v", 1);
    adminfx_path(&f->fx, "outside/victim.key", secret);
    adminfx_write_file(secret, "v", 1);
    char link_id[2 * PATH_MAX + 1];
    id_of(f, "backup/link-out", link_id);
    assert_int_equal(with_file(f, HTTP_DELETE, link_id, "delete-backup", "victim"), 500);
    assert_int_equal(with_file(f, HTTP_DELETE, replica, "delete-backup", "../link-out/victim"), 500);
    assert_true(exists(f, "outside/victim"));
    assert_true(exists(f, "outside/victim.key"));
}

static void assert_value(secrets_service *svc, secret_kind kind, const char *owner, const char *name,
                         const char *want)
{
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(svc, kind, owner, name, &v, &n), SMS_OK);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(v, want, n);
    secure_free(v, n + 1);
}

static void test_restore_statuses(void **state)
{
    fixture *f = *state;
    char work[2 * PATH_MAX + 1], missing[2 * PATH_MAX + 1];
    reclist at_backup;
    id_of(f, "backup/work", work);
    id_of(f, "backup/none", missing);
    adminfx_mkdir(&f->fx, "backup/work");
    assert_int_equal(backup(f), 201);
    adminfx_snapshot(f->fx.store, &at_backup);

    /* Changes after the backup are undone by the restore. */
    adminfx_put_secret(f->fx.store, f->fx.key, SECRET_WEB2, ADMINFX_OWNER, "after-backup", "x");
    assert_int_equal(with_file(f, HTTP_POST, work, "restore-backup", NULL), 400);
    assert_int_equal(with_file(f, HTTP_POST, work, "restore-backup", " "), 400);
    assert_int_equal(with_file(f, HTTP_POST, missing, "restore-backup", "backup.sql"), 404);
    assert_int_equal(with_file(f, HTTP_POST, work, "restore-backup", "none.sql"), 404);
    assert_int_equal(with_file(f, HTTP_POST, work, "restore-backup", "../../outside/x"), 500);
    assert_int_equal(with_file(f, HTTP_POST, "2f6", "restore-backup", "backup.sql"), 400);
    /* A dump without its key file. */
    char lone[PATH_MAX];
    adminfx_path(&f->fx, "backup/work/lone.sql", lone);
    adminfx_write_file(lone, "x", 1);
    assert_int_equal(with_file(f, HTTP_POST, work, "restore-backup", "lone.sql"), 404);

    /* A corrupted copy: 500, live data intact. */
    char replica[2 * PATH_MAX + 1], bad[PATH_MAX];
    id_of(f, "backup/replica", replica);
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", "bad"), 200);
    adminfx_path(&f->fx, "backup/replica/bad", bad);
    size_t len = 0;
    char *text = adminfx_read_file(bad, &len);
    text[len / 3] ^= 0x20;
    adminfx_write_file(bad, text, len);
    free(text);
    reclist before;
    adminfx_snapshot(f->fx.store, &before);
    assert_int_equal(with_file(f, HTTP_POST, replica, "restore-backup", "bad"), 500);
    adminfx_assert_store_is(f->fx.store, &before);
    assert_int_equal(atomic_load(&f->app.online), 1);
    reclist_free(&before);

    /* The real thing. */
    assert_int_equal(with_file(f, HTTP_POST, work, "restore-backup", "backup.sql"), 200);
    adminfx_assert_store_is(f->fx.store, &at_backup);
    assert_int_equal(atomic_load(&f->app.online), 1);
    assert_value(f->svc, SECRET_WEB2, ADMINFX_OWNER, "my-api-key", "Hello, SMS!");
    assert_value(f->svc, SECRET_REQUESTER, ADMINFX_OWNER, "Key_1", "requester value");
    uint8_t *v = NULL;
    size_t n = 0;
    assert_int_equal(secrets_get(f->svc, SECRET_WEB2, ADMINFX_OWNER, "after-backup", &v, &n), SMS_ENOTFOUND);
    reclist_free(&at_backup);
}

/* A restore of another daemon's backup into this one: its secrets become readable here
 * (key switched), a backup taken afterwards restores as well. */
static void test_restore_foreign_backup(void **state)
{
    fixture *f = *state;
    adminfx other;
    char dst[PATH_MAX], dst_key[PATH_MAX], id[2 * PATH_MAX + 1];
    adminfx_open(&other, "api-admin-other");
    adminfx_put_secret(other.store, other.key, SECRET_WEB2, ADMINFX_OWNER, "foreign", "from elsewhere");
    adminfx_path(&f->fx, "backup/replica/foreign.sql", dst);
    adminfx_path(&f->fx, "backup/replica/foreign.sql.key", dst_key);
    assert_int_equal(backup_write(other.store, other.key_path, dst, dst_key, NULL), SMS_OK);
    adminfx_close(&other);
    id_of(f, "backup/replica", id);
    assert_int_equal(with_file(f, HTTP_POST, id, "restore-backup", "foreign.sql"), 200);
    assert_value(f->svc, SECRET_WEB2, ADMINFX_OWNER, "foreign", "from elsewhere");
    adminfx_put_secret(f->fx.store, f->fx.key, SECRET_WEB2, ADMINFX_OWNER, "x", "y"); /* old key: not opening */
    adminfx_mkdir(&f->fx, "backup/work");
    assert_int_equal(backup(f), 500); /* refuses to publish a backup that could not be restored */
}

static void *restore_thread(void *arg)
{
    fixture *f = arg;
    char work[2 * PATH_MAX + 1];
    id_of(f, "backup/work", work);
    return (void *)(uintptr_t)with_file(f, HTTP_POST, work, "restore-backup", "backup.sql");
}

static void test_one_operation_at_a_time(void **state)
{
    fixture *f = *state;
    pthread_t t;
    void *result = NULL;
    char replica[2 * PATH_MAX + 1];
    id_of(f, "backup/replica", replica);
    adminfx_mkdir(&f->fx, "backup/work");
    assert_int_equal(backup(f), 201);

    f->block = 1;
    assert_int_equal(pthread_create(&t, NULL, restore_thread, f), 0);
    pthread_mutex_lock(&f->mu);
    while (!f->entered) pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
    /* The restore holds the lock (and the service is out of service meanwhile). */
    assert_int_equal(atomic_load(&f->app.online), 0);
    assert_int_equal(backup(f), 429);
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", "busy"), 429);
    assert_int_equal(copy_to(f, replica, replica, "a", "b"), 429);
    /* Parameter errors are answered before waiting for the lock. */
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", " "), 400);
    pthread_mutex_lock(&f->mu);
    f->released = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(t, &result);
    assert_int_equal((unsigned)(uintptr_t)result, 200);
    assert_int_equal(atomic_load(&f->app.online), 1);
    assert_int_equal(backup(f), 201);
}

static void test_no_service(void **state)
{
    fixture *f = *state;
    f->app.admin = NULL;
    assert_int_equal(backup(f), 500);
    char replica[2 * PATH_MAX + 1];
    id_of(f, "backup/replica", replica);
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", "x"), 500);
    assert_int_equal(with_file(f, HTTP_POST, replica, "replicate-backup", NULL), 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_api_key_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replicate_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_foreign_backup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_operation_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_service, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
