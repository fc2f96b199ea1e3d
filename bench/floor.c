/* sms-floor: the in-process floor of the web2 write benchmark (issue 2).
 *
 * Does the work of POST /secrets/web2 without HTTP: per record, the checks and hashing of
 * secrets_set_web2 (address parse, UTF-8 checks, challenge, signature recovery against the
 * owner, lower-casing), AES-GCM sealing with the record's identity as associated data,
 * and an insert into the daemon's `secrets` table; on as many threads as cores, every
 * thread committing 16 records per durable transaction (WAL, synchronous=FULL: one fsync
 * per commit). Signatures are made before the clock starts, as the load generator does.
 *
 * Two database setups (-m):
 *   shared  one database file, one connection per thread; a thread seals its 16 records
 *           outside any lock, then takes an in-process mutex for BEGIN IMMEDIATE, the 16
 *           inserts and COMMIT (a mutex rather than SQLite's busy handler, whose sleeps
 *           would only lower the floor). This is what one daemon with one store can do.
 *   split   one database file per thread: no lock at all, commits of different threads
 *           overlap (an upper bound that a single-store daemon cannot reach).
 *
 * Output: a human summary on stderr and one machine-readable line on stdout:
 *   RESULT records_per_s=<f> records=<n> seconds=<f> threads=<n> batch=<n> mode=<m> cpu_us_per_record=<f>
 * (CPU time of the process, user + system, over the timed phase only). */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/hex.h"
#include "core/secure.h"
#include "core/status.h"
#include "core/utf8.h"
#include "crypto/aead.h"
#include "crypto/ethsig.h"
#include "crypto/keccak.h"
#include "secrets/challenge.h"
#include "store/store.h"
#include "parallel.h"

#define KEYS_MAX 64
#define THREADS_MAX 256
#define BATCH_MAX 1024
#define TOTAL_MAX 1000000L  /* records are kept in memory (~0.5 KB each) */
#define VALUE_MAX 256
#define NAME_MAX_LEN 96
#define AD_MAX 1024
#define PATH_MAX_LEN 4096

/* Same schema as the daemon's migration 1 (store_sqlite_schema.c), secrets table only. */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS secrets("
    "  kind INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 4),"
    "  owner TEXT NOT NULL CHECK (length(owner) BETWEEN 1 AND 255),"
    "  name TEXT NOT NULL CHECK (length(name) <= CASE kind WHEN 4 THEN 64 ELSE 255 END),"
    "  value BLOB NOT NULL,"
    "  PRIMARY KEY (kind, owner, name)"
    ") WITHOUT ROWID;";
static const char insert_sql[] =
    "INSERT INTO secrets(kind, owner, name, value) VALUES(?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";

typedef struct {
    uint8_t seckey[32];
    uint8_t addr[20];
    char addr_str[ETH_ADDRESS_STR_LEN];
} bench_key;

/* One pre-signed web2 request, as the handler would receive it. */
typedef struct {
    const char *owner;          /* borrowed from the key */
    char name[NAME_MAX_LEN];
    uint8_t value[VALUE_MAX];
    size_t value_len;
    char sig[133];
} record;

typedef enum { MODE_SHARED, MODE_SPLIT } db_mode;

typedef struct {
    long total;
    int threads;
    int batch;
    int value_len;
    db_mode mode;
    const char *dir;
    char run_id[32];
    bench_key keys[KEYS_MAX];
    int nkeys;
    record *recs;
    aead_key *key;
    atomic_long next_batch;
    pthread_mutex_t write_mu;   /* shared mode: one writer at a time */
    pthread_barrier_t start;
} floor_bench;

typedef struct {
    floor_bench *fb;
    int index;
    sqlite3 *db;
    sqlite3_stmt *ins;
    sqlite3_stmt *begin, *commit, *rollback;
    long done;
    sms_status status;
} worker;

static sms_status parse_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return SMS_EINVAL;
    *out = v;
    return SMS_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User + system CPU seconds of the whole process so far. */
static double cpu_s(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Same deterministic keys as sms-loadgen. */
static sms_status key_derive(int i, bench_key *k)
{
    char seed[64];
    int n = snprintf(seed, sizeof seed, "iexec-sms-bench-key-%d", i);

    if (n < 0 || (size_t)n >= sizeof seed)
        return SMS_ERR;
    keccak256((const uint8_t *)seed, (size_t)n, k->seckey);
    if (eth_address_of(k->seckey, k->addr) != SMS_OK)
        return SMS_EINVAL;
    address_format(k->addr, k->addr_str);
    return SMS_OK;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: sms-floor -d DIR [-n RECORDS] [-t THREADS] [-b BATCH] [-m shared|split] [-k NKEYS]\n"
               "                 [-v VALUE_BYTES]\n"
               "  -d DIR     directory for the database file(s) (must exist; files are left there)\n"
               "  -n N       records in total (default 20000)\n"
               "  -t N       threads (default: online cores)\n"
               "  -b N       records per durable transaction (default 16)\n"
               "  -m MODE    shared: one database, writers serialised (default); split: one file per thread\n"
               "  -k N       signing keys (default 4)\n"
               "  -v N       secret value bytes, 1..%d (default 32)\n",
            VALUE_MAX);
}

static sms_status parse_args(floor_bench *fb, int argc, char **argv)
{
    long v, ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int opt;

    fb->total = 20000;
    fb->threads = ncpu < 1 ? 1 : ncpu > THREADS_MAX ? THREADS_MAX : (int)ncpu;
    fb->batch = 16;
    fb->value_len = 32;
    fb->mode = MODE_SHARED;
    fb->nkeys = 4;
    snprintf(fb->run_id, sizeof fb->run_id, "%lx%x", (unsigned long)time(NULL), (unsigned)getpid());
    while ((opt = getopt(argc, argv, "d:n:t:b:m:k:v:")) != -1) {
        switch (opt) {
        case 'd': fb->dir = optarg; break;
        case 'n':
            if (parse_long(optarg, 1, TOTAL_MAX, &v) != SMS_OK)
                return SMS_EINVAL;
            fb->total = v;
            break;
        case 't':
            if (parse_long(optarg, 1, THREADS_MAX, &v) != SMS_OK)
                return SMS_EINVAL;
            fb->threads = (int)v;
            break;
        case 'b':
            if (parse_long(optarg, 1, BATCH_MAX, &v) != SMS_OK)
                return SMS_EINVAL;
            fb->batch = (int)v;
            break;
        case 'm':
            if (strcmp(optarg, "shared") == 0)
                fb->mode = MODE_SHARED;
            else if (strcmp(optarg, "split") == 0)
                fb->mode = MODE_SPLIT;
            else
                return SMS_EINVAL;
            break;
        case 'k':
            if (parse_long(optarg, 1, KEYS_MAX, &v) != SMS_OK)
                return SMS_EINVAL;
            fb->nkeys = (int)v;
            break;
        case 'v':
            if (parse_long(optarg, 1, VALUE_MAX, &v) != SMS_OK)
                return SMS_EINVAL;
            fb->value_len = (int)v;
            break;
        default: return SMS_EINVAL;
        }
    }
    if (fb->dir == NULL || optind != argc)
        return SMS_EINVAL;
    for (int i = 0; i < fb->nkeys; i++)
        if (key_derive(i, &fb->keys[i]) != SMS_OK)
            return SMS_ERR;
    return SMS_OK;
}

/* ---- preparation (not timed) ---- */

static sms_status prepare_record(floor_bench *fb, long i)
{
    const bench_key *k = &fb->keys[i % fb->nkeys];
    record *r = &fb->recs[i];
    uint8_t challenge[32];
    char head[32];
    int n;

    r->owner = k->addr_str;
    snprintf(r->name, sizeof r->name, "floor-%s-%ld", fb->run_id, i);
    n = snprintf(head, sizeof head, "v%ld-", i);
    r->value_len = (size_t)fb->value_len;
    for (size_t j = 0; j < r->value_len; j++)
        r->value[j] = (n > 0 && j < (size_t)n) ? (uint8_t)head[j] : (uint8_t)('a' + j % 26);
    challenge_named(k->addr, (const uint8_t *)r->name, strlen(r->name), r->value, r->value_len, challenge);
    return eth_sign_personal(k->seckey, challenge, r->sig);
}

static sms_status prepare_one(void *ctx, long i) { return prepare_record(ctx, i); }

static sms_status prepare_records(floor_bench *fb)
{
    fb->recs = calloc((size_t)fb->total, sizeof *fb->recs);
    if (fb->recs == NULL)
        return SMS_ENOMEM;
    return parallel_for(fb->total, fb->threads, prepare_one, fb);
}

/* ---- database ---- */

static sms_status db_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

    if (rc != SQLITE_OK) {
        fprintf(stderr, "sms-floor: %s: %s\n", sql, err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        return SMS_ESTORE;
    }
    return SMS_OK;
}

/* The daemon's connection setup (store_sqlite_conn.c): WAL, synchronous=FULL. */
static sms_status worker_open(worker *w)
{
    floor_bench *fb = w->fb;
    char path[PATH_MAX_LEN];
    int n;

    if (fb->mode == MODE_SPLIT)
        n = snprintf(path, sizeof path, "%s/floor-%s-%d.sqlite", fb->dir, fb->run_id, w->index);
    else
        n = snprintf(path, sizeof path, "%s/floor-%s.sqlite", fb->dir, fb->run_id);
    if (n < 0 || (size_t)n >= sizeof path)
        return SMS_ETOOBIG;
    if (sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "sms-floor: cannot open %s: %s\n", path, w->db ? sqlite3_errmsg(w->db) : "out of memory");
        return SMS_EIO;
    }
    sqlite3_busy_timeout(w->db, 10000);
    if (db_exec(w->db, "PRAGMA journal_mode=WAL") != SMS_OK || db_exec(w->db, "PRAGMA synchronous=FULL") != SMS_OK ||
        db_exec(w->db, schema_sql) != SMS_OK)
        return SMS_ESTORE;
    if (sqlite3_prepare_v2(w->db, insert_sql, -1, &w->ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(w->db, "BEGIN IMMEDIATE", -1, &w->begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(w->db, "COMMIT", -1, &w->commit, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(w->db, "ROLLBACK", -1, &w->rollback, NULL) != SQLITE_OK) {
        fprintf(stderr, "sms-floor: prepare: %s\n", sqlite3_errmsg(w->db));
        return SMS_ESTORE;
    }
    return SMS_OK;
}

static void worker_close(worker *w)
{
    sqlite3_finalize(w->ins);
    sqlite3_finalize(w->begin);
    sqlite3_finalize(w->commit);
    sqlite3_finalize(w->rollback);
    sqlite3_close(w->db);
}

static sms_status step_once(sqlite3 *db, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);

    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "sms-floor: %s: %s\n", what, sqlite3_errmsg(db));
        return SMS_ESTORE;
    }
    return SMS_OK;
}

/* ---- the measured work ---- */

/* A sealed record ready for insertion. */
typedef struct {
    char *owner;  /* lower-cased, malloc'ed */
    char *name;   /* lower-cased, malloc'ed */
    uint8_t *sealed;
    size_t sealed_len;
} sealed_rec;

static void sealed_clear(sealed_rec *s)
{
    free(s->owner);
    free(s->name);
    free(s->sealed);
    memset(s, 0, sizeof *s);
}

/* secrets.c identity_ad: tag with its NUL, kind byte, owner, NUL, name. */
static sms_status identity_ad(const char *owner, const char *name, uint8_t *ad, size_t *ad_len)
{
    static const char tag[] = "iexec-sms/secret/v1";
    size_t owner_len = strlen(owner), name_len = strlen(name), o = 0;

    if (sizeof tag + 1 + owner_len + 1 + name_len > AD_MAX)
        return SMS_ETOOBIG;
    memcpy(ad + o, tag, sizeof tag);
    o += sizeof tag;
    ad[o++] = (uint8_t)SECRET_WEB2;
    memcpy(ad + o, owner, owner_len);
    o += owner_len;
    ad[o++] = 0;
    memcpy(ad + o, name, name_len);
    o += name_len;
    *ad_len = o;
    return SMS_OK;
}

/* What secrets_set_web2 does before the store call. */
static sms_status verify_and_seal(const floor_bench *fb, const record *r, sealed_rec *out)
{
    uint8_t addr[ETH_ADDRESS_LEN];
    uint8_t challenge[32];
    uint8_t ad[AD_MAX];
    size_t ad_len = 0, name_len = strlen(r->name);
    sms_status st;

    memset(out, 0, sizeof *out);
    if (address_parse(r->owner, addr) != SMS_OK || !utf8_valid((const uint8_t *)r->name, name_len) ||
        !utf8_valid(r->value, r->value_len))
        return SMS_EAUTH;
    challenge_named(addr, (const uint8_t *)r->name, name_len, r->value, r->value_len, challenge);
    if (eth_verify_personal(challenge, r->sig, r->owner) != SMS_OK)
        return SMS_EAUTH;
    if ((st = utf8_lower(r->owner, strlen(r->owner), &out->owner)) != SMS_OK ||
        (st = utf8_lower(r->name, name_len, &out->name)) != SMS_OK ||
        (st = identity_ad(out->owner, out->name, ad, &ad_len)) != SMS_OK)
        goto fail;
    out->sealed = malloc(r->value_len + AEAD_OVERHEAD);
    if (out->sealed == NULL) {
        st = SMS_ENOMEM;
        goto fail;
    }
    st = aead_seal(fb->key, ad, ad_len, r->value, r->value_len, out->sealed, r->value_len + AEAD_OVERHEAD,
                   &out->sealed_len);
    if (st == SMS_OK)
        return SMS_OK;
fail:
    sealed_clear(out);
    return st;
}

/* One durable transaction for n sealed records. */
static sms_status commit_batch(worker *w, sealed_rec *recs, int n)
{
    sms_status st;
    int in_tx = 0;

    if ((st = step_once(w->db, w->begin, "BEGIN IMMEDIATE")) != SMS_OK)
        return st;
    in_tx = 1;
    for (int i = 0; i < n; i++) {
        sqlite3_bind_int(w->ins, 1, SECRET_WEB2);
        sqlite3_bind_text(w->ins, 2, recs[i].owner, -1, SQLITE_STATIC);
        sqlite3_bind_text(w->ins, 3, recs[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_blob64(w->ins, 4, recs[i].sealed, recs[i].sealed_len, SQLITE_STATIC);
        st = step_once(w->db, w->ins, "insert");
        sqlite3_clear_bindings(w->ins);
        if (st != SMS_OK)
            goto cleanup;
        if (sqlite3_changes(w->db) != 1) {
            fprintf(stderr, "sms-floor: record %s already present\n", recs[i].name);
            st = SMS_EEXISTS;
            goto cleanup;
        }
    }
    st = step_once(w->db, w->commit, "COMMIT");
    in_tx = st != SMS_OK;

cleanup:
    if (in_tx)
        step_once(w->db, w->rollback, "ROLLBACK");
    return st;
}

static sms_status run_batch(worker *w, long first, int n)
{
    floor_bench *fb = w->fb;
    sealed_rec recs[BATCH_MAX];
    int ready = 0;
    sms_status st = SMS_OK;

    for (; ready < n; ready++)
        if ((st = verify_and_seal(fb, &fb->recs[first + ready], &recs[ready])) != SMS_OK)
            goto cleanup;
    if (fb->mode == MODE_SHARED)
        pthread_mutex_lock(&fb->write_mu);
    st = commit_batch(w, recs, n);
    if (fb->mode == MODE_SHARED)
        pthread_mutex_unlock(&fb->write_mu);

cleanup:
    for (int i = 0; i < ready; i++)
        sealed_clear(&recs[i]);
    return st;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    floor_bench *fb = w->fb;
    long nbatches = (fb->total + fb->batch - 1) / fb->batch;

    pthread_barrier_wait(&fb->start);
    while (w->status == SMS_OK) {
        long b = atomic_fetch_add(&fb->next_batch, 1);
        long first = b * fb->batch;
        if (b >= nbatches)
            break;
        int n = (int)(fb->total - first < fb->batch ? fb->total - first : fb->batch);
        w->status = run_batch(w, first, n);
        if (w->status == SMS_OK)
            w->done += n;
    }
    return NULL;
}

static sms_status run(floor_bench *fb)
{
    worker workers[THREADS_MAX];
    pthread_t tids[THREADS_MAX];
    int opened = 0, started = 0;
    long done = 0;
    double t0, secs, cpu0, cpu;
    sms_status ret = SMS_OK;

    memset(workers, 0, sizeof workers);
    for (int t = 0; t < fb->threads; t++) {
        workers[t].fb = fb;
        workers[t].index = t;
        opened++;
        if ((ret = worker_open(&workers[t])) != SMS_OK)
            goto cleanup;
    }
    if (pthread_barrier_init(&fb->start, NULL, (unsigned)fb->threads + 1) != 0) {
        ret = SMS_ERR;
        goto cleanup;
    }
    for (int t = 0; t < fb->threads; t++) {
        if (pthread_create(&tids[t], NULL, worker_main, &workers[t]) != 0) {
            fprintf(stderr, "sms-floor: cannot start thread %d\n", t);
            exit(1); /* the others wait on the barrier */
        }
        started++;
    }
    cpu0 = cpu_s();
    pthread_barrier_wait(&fb->start);
    t0 = now_s();
    for (int t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    secs = now_s() - t0;
    cpu = cpu_s() - cpu0;
    pthread_barrier_destroy(&fb->start);
    for (int t = 0; t < started; t++) {
        done += workers[t].done;
        if (workers[t].status != SMS_OK)
            ret = workers[t].status;
    }
    fprintf(stderr,
            "sms-floor: %ld records (%s database, %d threads, %d per transaction) in %.3f s: %.1f records/s, "
            "%.1f us CPU per record\n",
            done, fb->mode == MODE_SHARED ? "shared" : "per-thread", fb->threads, fb->batch, secs, done / secs,
            done > 0 ? cpu * 1e6 / done : 0.0);
    printf("RESULT records_per_s=%.1f records=%ld seconds=%.3f threads=%d batch=%d mode=%s cpu_us_per_record=%.1f\n",
           done / secs, done, secs, fb->threads, fb->batch, fb->mode == MODE_SHARED ? "shared" : "split",
           done > 0 ? cpu * 1e6 / done : 0.0);

cleanup:
    for (int t = 0; t < opened; t++)
        worker_close(&workers[t]);
    return ret;
}

int main(int argc, char **argv)
{
    static floor_bench fb;
    uint8_t raw[32];
    double t0;
    sms_status st;
    int exit_code = 1;

    if (parse_args(&fb, argc, argv) != SMS_OK) {
        usage(stderr);
        return 2;
    }
    if (ethsig_init() != SMS_OK) {
        fprintf(stderr, "sms-floor: cannot initialise secp256k1\n");
        return 1;
    }
    pthread_mutex_init(&fb.write_mu, NULL);
    /* Any 32-byte key will do: the bench never decrypts. */
    keccak256((const uint8_t *)"iexec-sms-bench-aes", 19, raw);
    st = aead_key_new(raw, sizeof raw, &fb.key);
    secure_zero(raw, sizeof raw);
    if (st != SMS_OK) {
        fprintf(stderr, "sms-floor: cannot create the AES key: %s\n", sms_status_name(st));
        goto cleanup;
    }
    t0 = now_s();
    if ((st = prepare_records(&fb)) != SMS_OK) {
        fprintf(stderr, "sms-floor: cannot prepare records: %s\n", sms_status_name(st));
        goto cleanup;
    }
    fprintf(stderr, "sms-floor: signed %ld records in %.2f s (not timed)\n", fb.total, now_s() - t0);
    if ((st = run(&fb)) != SMS_OK) {
        fprintf(stderr, "sms-floor: failed: %s\n", sms_status_name(st));
        goto cleanup;
    }
    exit_code = 0;

cleanup:
    for (int i = 0; i < fb.nkeys; i++)
        secure_zero(fb.keys[i].seckey, sizeof fb.keys[i].seckey);
    aead_key_free(fb.key);
    free(fb.recs);
    pthread_mutex_destroy(&fb.write_mu);
    ethsig_cleanup();
    return exit_code;
}
