#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/java_import.h"
#include "admin/java_import_cmd.h"
#include "config/config.h"
#include "crypto/ethsig.h"
#include "crypto/keyfile.h"
#include "store/store.h"

static const char *env_lookup(const char *name) { return getenv(name); }

int java_import_command(int argc, char **argv)
{
    const char *dump = NULL;
    const char *java_key = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
            java_key = argv[++i];
        else if (dump == NULL && argv[i][0] != '-')
            dump = argv[i];
        else {
            fprintf(stderr, "iexec-sms import-java-backup: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (dump == NULL || java_key == NULL) {
        fprintf(stderr, "usage: iexec-sms import-java-backup FILE --key KEYFILE\n");
        return 2;
    }

    int code = 1;
    sms_config cfg;
    char err[512] = "";
    aead_key *key = NULL;
    sms_store *store = NULL;
    java_import_report report;
    memset(&cfg, 0, sizeof cfg);
    memset(&report, 0, sizeof report);
    if (config_load(&cfg, env_lookup, err, sizeof err) != SMS_OK) {
        fprintf(stderr, "iexec-sms: configuration error: %s\n", err);
        return 2;
    }
    sms_log_set_level(cfg.log_level);
    if (ethsig_init() != SMS_OK) {
        fprintf(stderr, "iexec-sms: cannot initialise secp256k1\n");
        goto cleanup;
    }
    if (keyfile_load_or_create(cfg.aes_key_path, &key, err, sizeof err) != SMS_OK) {
        fprintf(stderr, "iexec-sms: encryption key %s: %s\n", cfg.aes_key_path, err);
        goto cleanup;
    }
    if (store_open(cfg.database_url, &store, err, sizeof err) != SMS_OK) {
        fprintf(stderr, "iexec-sms: database: %s\n", err);
        goto cleanup;
    }
    sms_status st = java_import_run(dump, java_key, store, key, &report, err, sizeof err);
    if (st != SMS_OK) {
        fprintf(stderr, "iexec-sms: import refused, nothing imported: %s\n", err);
        goto cleanup;
    }
    char line[512];
    java_import_report_format(&report, line, sizeof line);
    printf("%s\n", line);
    code = 0;
cleanup:
    store_close(store);
    aead_key_free(key);
    ethsig_cleanup();
    config_free(&cfg);
    return code;
}
