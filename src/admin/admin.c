/* The admin service: parameter checks, the single-operation lock, and the five
 * operations on backup pairs. */
#include "admin/admin.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/backup.h"
#include "admin/fileops.h"
#include "admin/paths.h"
#include "core/log.h"

struct admin_service {
    admin_paths paths;
    char key_path[ADMIN_PATH_MAX];
    sms_store *store;
    secrets_service *secrets;
    admin_quiesce_hooks hooks;
    pthread_mutex_t lock;
    /* Keys installed by restores: the secrets service borrows the latest; older ones are
     * kept until the end because a request may still hold a pointer read before a swap. */
    aead_key **keys;
    size_t n_keys;
};

sms_status admin_service_new(const admin_config *cfg, admin_service **out)
{
    admin_service *svc;
    sms_status st;
    int n;

    if (out == NULL)
        return SMS_EINVAL;
    *out = NULL;
    if (cfg == NULL || cfg->store == NULL || cfg->aes_key_path == NULL || cfg->aes_key_path[0] == '\0')
        return SMS_EINVAL;
    svc = calloc(1, sizeof *svc);
    if (svc == NULL)
        return SMS_ENOMEM;
    if ((st = admin_paths_init(&svc->paths, cfg->storage_location)) != SMS_OK) {
        free(svc);
        return st;
    }
    n = snprintf(svc->key_path, sizeof svc->key_path, "%s", cfg->aes_key_path);
    if (n < 0 || (size_t)n >= sizeof svc->key_path) {
        free(svc);
        return SMS_EINVAL;
    }
    if (pthread_mutex_init(&svc->lock, NULL) != 0) {
        free(svc);
        return SMS_ENOMEM;
    }
    svc->store = cfg->store;
    svc->secrets = cfg->secrets;
    svc->hooks = cfg->hooks;
    if (!svc->paths.canonical)
        LOG_WARN("admin storage location %s does not exist (yet): admin operations will fail until it does",
                 svc->paths.root);
    *out = svc;
    return SMS_OK;
}

void admin_service_free(admin_service *svc)
{
    if (svc == NULL)
        return;
    for (size_t i = 0; i < svc->n_keys; i++)
        aead_key_free(svc->keys[i]);
    free(svc->keys);
    pthread_mutex_destroy(&svc->lock);
    free(svc);
}

/* The reference's ReentrantLock.tryLock(100 ms). */
static sms_status lock_op(admin_service *svc)
{
    struct timespec deadline;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += (long)ADMIN_LOCK_WAIT_MS * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    return pthread_mutex_timedlock(&svc->lock, &deadline) == 0 ? SMS_OK : SMS_EBUSY;
}

static void unlock_op(admin_service *svc)
{
    pthread_mutex_unlock(&svc->lock);
}

/* A failure past the checks is a server error (500) whatever its cause: never let it
 * read as a client error or a missing file. */
static sms_status internal(sms_status st)
{
    return (st == SMS_EINVAL || st == SMS_ENOTFOUND || st == SMS_EBUSY) ? SMS_ERR : st;
}

/* Parameter checks done before the lock: blank values, storage id syntax, file name. */
static sms_status check_id_and_name(const char *id, const char *name, char dir[ADMIN_PATH_MAX])
{
    if (admin_is_blank(id) || admin_is_blank(name))
        return SMS_EINVAL;
    if (admin_paths_decode_id(id, dir, ADMIN_PATH_MAX) != SMS_OK)
        return SMS_EINVAL;
    return admin_paths_check_name(name);
}

static sms_status pair_in(admin_service *svc, const char *dir, const char *name, char file[ADMIN_PATH_MAX],
                          char key[ADMIN_PATH_MAX])
{
    sms_status st = admin_paths_pair(&svc->paths, dir, name, file, key);

    if (st == SMS_EAUTH)
        LOG_WARN("admin: %s/%s is outside the storage location %s", dir, name, svc->paths.root);
    return st;
}

static sms_status dir_of_id(admin_service *svc, const char *decoded, char canon[ADMIN_PATH_MAX])
{
    sms_status st = admin_paths_dir(&svc->paths, decoded, canon);

    if (st == SMS_ENOTFOUND)
        LOG_WARN("admin: storage directory %s does not exist", decoded);
    else if (st == SMS_EAUTH)
        LOG_WARN("admin: storage directory %s is outside the storage location %s", decoded, svc->paths.root);
    return st;
}

/* Copy a pair, refusing to overwrite; the first copy is removed if the second fails so
 * that no half pair is left behind. */
static sms_status copy_pair(const char *src, const char *src_key, const char *dst, const char *dst_key)
{
    sms_status st;

    if (!fileops_exists(src) || !fileops_exists(src_key)) {
        LOG_WARN("admin: backup %s or its key file is missing", src);
        return SMS_ENOTFOUND;
    }
    if (fileops_exists(dst) || fileops_exists(dst_key)) {
        LOG_WARN("admin: destination %s or its key file already exists", dst);
        return SMS_EEXISTS;
    }
    if ((st = fileops_copy_noreplace(src, dst)) != SMS_OK) {
        LOG_ERROR("admin: copy of %s to %s failed (%s)", src, dst, sms_status_name(st));
        return internal(st);
    }
    if ((st = fileops_copy_noreplace(src_key, dst_key)) != SMS_OK) {
        LOG_ERROR("admin: copy of %s to %s failed (%s)", src_key, dst_key, sms_status_name(st));
        fileops_unlink(dst);
        return internal(st);
    }
    LOG_INFO("admin: backup %s copied to %s", src, dst);
    return SMS_OK;
}

/* <loc>/work, which must exist (never created). */
static sms_status work_dir(admin_service *svc, char canon[ADMIN_PATH_MAX])
{
    char path[ADMIN_PATH_MAX];
    sms_status st;
    int n = snprintf(path, sizeof path, "%s/%s", svc->paths.root, ADMIN_WORK_DIR);

    if (n < 0 || (size_t)n >= sizeof path)
        return SMS_ERR;
    st = admin_paths_dir(&svc->paths, path, canon);
    if (st != SMS_OK) {
        LOG_ERROR("admin: working directory %s is missing or outside the storage location", path);
        return internal(st);
    }
    return SMS_OK;
}

sms_status admin_backup(admin_service *svc)
{
    char dir[ADMIN_PATH_MAX], file[ADMIN_PATH_MAX], key[ADMIN_PATH_MAX];
    size_t n = 0;
    sms_status st;

    if (svc == NULL)
        return SMS_ERR;
    if ((st = lock_op(svc)) != SMS_OK)
        return st;
    if ((st = work_dir(svc, dir)) != SMS_OK)
        goto cleanup;
    if ((st = pair_in(svc, dir, ADMIN_WORK_FILE, file, key)) != SMS_OK) {
        st = internal(st);
        goto cleanup;
    }
    st = internal(backup_write(svc->store, svc->key_path, file, key, &n));
    if (st == SMS_OK)
        LOG_INFO("admin: backup of %zu records written to %s", n, file);

cleanup:
    unlock_op(svc);
    return st;
}

sms_status admin_replicate(admin_service *svc, const char *storage_id, const char *file_name)
{
    char decoded[ADMIN_PATH_MAX], dst_dir[ADMIN_PATH_MAX], src_dir[ADMIN_PATH_MAX];
    char src[ADMIN_PATH_MAX], src_key[ADMIN_PATH_MAX], dst[ADMIN_PATH_MAX], dst_key[ADMIN_PATH_MAX];
    sms_status st;
    int n;

    if (svc == NULL)
        return SMS_ERR;
    if ((st = check_id_and_name(storage_id, file_name, decoded)) != SMS_OK)
        return st;
    if ((st = lock_op(svc)) != SMS_OK)
        return st;
    if ((st = dir_of_id(svc, decoded, dst_dir)) != SMS_OK)
        goto cleanup;
    n = snprintf(src_dir, sizeof src_dir, "%s/%s", svc->paths.root, ADMIN_WORK_DIR);
    if (n < 0 || (size_t)n >= sizeof src_dir) {
        st = SMS_ERR;
        goto cleanup;
    }
    if ((st = pair_in(svc, src_dir, ADMIN_WORK_FILE, src, src_key)) != SMS_OK) {
        st = internal(st);
        goto cleanup;
    }
    if (!fileops_exists(src) || !fileops_exists(src_key)) {
        LOG_WARN("admin: no working backup to replicate (%s)", src);
        st = SMS_ENOTFOUND;
        goto cleanup;
    }
    if ((st = pair_in(svc, dst_dir, file_name, dst, dst_key)) != SMS_OK)
        goto cleanup;
    st = copy_pair(src, src_key, dst, dst_key);

cleanup:
    unlock_op(svc);
    return st;
}

sms_status admin_copy(admin_service *svc, const char *src_id, const char *src_name, const char *dst_id,
                      const char *dst_name)
{
    char src_decoded[ADMIN_PATH_MAX], dst_decoded[ADMIN_PATH_MAX], src_dir[ADMIN_PATH_MAX], dst_dir[ADMIN_PATH_MAX];
    char src[ADMIN_PATH_MAX], src_key[ADMIN_PATH_MAX], dst[ADMIN_PATH_MAX], dst_key[ADMIN_PATH_MAX];
    sms_status st;

    if (svc == NULL)
        return SMS_ERR;
    if (admin_is_blank(dst_name))
        dst_name = src_name;
    if ((st = check_id_and_name(src_id, src_name, src_decoded)) != SMS_OK ||
        (st = check_id_and_name(dst_id, dst_name, dst_decoded)) != SMS_OK)
        return st;
    if ((st = lock_op(svc)) != SMS_OK)
        return st;
    if ((st = dir_of_id(svc, src_decoded, src_dir)) != SMS_OK || (st = dir_of_id(svc, dst_decoded, dst_dir)) != SMS_OK)
        goto cleanup;
    if ((st = pair_in(svc, src_dir, src_name, src, src_key)) != SMS_OK)
        goto cleanup;
    if (!fileops_exists(src) || !fileops_exists(src_key)) {
        LOG_WARN("admin: backup %s or its key file is missing", src);
        st = SMS_ENOTFOUND;
        goto cleanup;
    }
    if ((st = pair_in(svc, dst_dir, dst_name, dst, dst_key)) != SMS_OK)
        goto cleanup;
    st = copy_pair(src, src_key, dst, dst_key);

cleanup:
    unlock_op(svc);
    return st;
}

/* Deletes one file of a pair; *existed tells whether it was there. */
static sms_status delete_one(const char *path, int *existed)
{
    sms_status st;

    *existed = fileops_exists(path);
    if (!*existed) {
        LOG_WARN("admin: %s cannot be deleted: it does not exist", path);
        return SMS_OK;
    }
    st = fileops_unlink(path);
    if (st != SMS_OK)
        LOG_ERROR("admin: cannot delete %s (%s)", path, sms_status_name(st));
    else
        LOG_INFO("admin: deleted %s", path);
    return st;
}

sms_status admin_delete(admin_service *svc, const char *storage_id, const char *file_name)
{
    char decoded[ADMIN_PATH_MAX], dir[ADMIN_PATH_MAX], file[ADMIN_PATH_MAX], key[ADMIN_PATH_MAX];
    int had_file = 0, had_key = 0;
    sms_status st, st_key;

    if (svc == NULL)
        return SMS_ERR;
    if ((st = check_id_and_name(storage_id, file_name, decoded)) != SMS_OK)
        return st;
    if ((st = lock_op(svc)) != SMS_OK)
        return st;
    if ((st = dir_of_id(svc, decoded, dir)) != SMS_OK)
        goto cleanup;
    if ((st = pair_in(svc, dir, file_name, file, key)) != SMS_OK)
        goto cleanup;
    /* Both are attempted, as in the reference: a half pair left by an earlier failure can
     * be cleaned up, but only a whole pair counts as a success. */
    st = delete_one(file, &had_file);
    st_key = delete_one(key, &had_key);
    if (st == SMS_OK)
        st = st_key;
    if (st == SMS_OK && !(had_file && had_key))
        st = SMS_ERR;
    st = internal(st);

cleanup:
    unlock_op(svc);
    return st;
}

static sms_status remember_key(admin_service *svc, aead_key *key)
{
    aead_key **keys = realloc(svc->keys, (svc->n_keys + 1) * sizeof *keys);

    if (keys == NULL)
        return SMS_ENOMEM;
    keys[svc->n_keys++] = key;
    svc->keys = keys;
    return SMS_OK;
}

sms_status admin_restore(admin_service *svc, const char *storage_id, const char *file_name)
{
    char decoded[ADMIN_PATH_MAX], dir[ADMIN_PATH_MAX], file[ADMIN_PATH_MAX], key_file[ADMIN_PATH_MAX];
    char err[512] = "";
    aead_key *key = NULL;
    restore_target target;
    sms_status st;

    if (svc == NULL)
        return SMS_ERR;
    if ((st = check_id_and_name(storage_id, file_name, decoded)) != SMS_OK)
        return st;
    if ((st = lock_op(svc)) != SMS_OK)
        return st;
    if ((st = dir_of_id(svc, decoded, dir)) != SMS_OK)
        goto cleanup;
    if ((st = pair_in(svc, dir, file_name, file, key_file)) != SMS_OK)
        goto cleanup;
    if (!fileops_exists(file) || !fileops_exists(key_file)) {
        LOG_WARN("admin: backup %s or its key file is missing", file);
        st = SMS_ENOTFOUND;
        goto cleanup;
    }
    /* Reserve the slot first: once the swap is done the key must not be lost. */
    if ((st = remember_key(svc, NULL)) != SMS_OK)
        goto cleanup;
    svc->n_keys--;
    memset(&target, 0, sizeof target);
    target.store = svc->store;
    target.secrets = svc->secrets;
    target.live_key_path = svc->key_path;
    target.hooks = svc->hooks;
    st = restore_run(&target, file, key_file, &key, err, sizeof err);
    if (st != SMS_OK) {
        LOG_ERROR("admin: restore of %s failed: %s", file, err);
        st = internal(st);
        goto cleanup;
    }
    svc->keys[svc->n_keys++] = key;
    LOG_INFO("admin: restore of %s done", file);

cleanup:
    unlock_op(svc);
    return st;
}
