/*
 * db.c: the SQLite layer.  Each process owns one connection (feat_db()),
 * opened after fork by feat_db_open() with WAL, the configured synchronous
 * level, foreign keys and a busy timeout.  Statements are prepared once
 * (SQLITE_PREPARE_PERSISTENT) and kept in a cache keyed by the address of
 * their SQL string literal, so a query costs a hash probe, a reset and the
 * binds; reading rows is rows.c's.  Transactions are BEGIN IMMEDIATE: a writer takes the
 * write lock up front and waits in the busy handler instead of failing
 * half-way with SQLITE_BUSY on lock upgrade.  Migrations from migrations.c
 * are applied one transaction each and recorded in schema_version.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"

/* db.c calls the real step; everyone else may go through the hook. */
#undef sqlite3_step

#define FEAT_DB_CACHE_MIN   64      /* first size of the statement cache */
#define FEAT_DB_CACHE_MAX   65536   /* more distinct statements is a bug */
#define FEAT_DB_PATH_MAX    4096

struct feat_db_slot {
    const char     *sql;            /* the key: the literal's address */
    sqlite3        *db;
    sqlite3_stmt   *st;
};

static sqlite3              *feat_db_conn;
static int                  feat_db_configured;
static struct feat_db_slot  *feat_db_cache;
static size_t                feat_db_cache_size;   /* a power of two */
static size_t                feat_db_cache_used;


#ifdef FEAT_FAULT_INJECTION
/*
 * The fault armed for the request in hand (feat_db_fault_arm): the step
 * that makes feat_db_fault_steps reach feat_db_fault_at fails, the ones
 * before and after it run.  0: disarmed.
 */
static long  feat_db_fault_at;
static long  feat_db_fault_steps;
/* Set while ROLLBACK runs: the recovery path is not a fault site. */
static int   feat_db_fault_off;


void
feat_db_fault_arm(long n)
{
    feat_db_fault_at = (n > 0) ? n : 0;
    feat_db_fault_steps = 0;
}
#endif


/*
 * The one place statements are stepped.  Under fault injection the N-th
 * step of the request that armed N (feat_db_fault_arm) answers
 * SQLITE_IOERR, so the tests can prove every caller turns a failing step
 * into a clean error.
 */
int
feat_db_step(sqlite3_stmt *st)
{
#ifdef FEAT_FAULT_INJECTION
    if (feat_db_fault_at > 0 && !feat_db_fault_off
        && ++feat_db_fault_steps == feat_db_fault_at)
    {
        feat_log(LOG_WARNING, 0, "fault injected in sqlite3_step %ld",
                 feat_db_fault_steps);
        return SQLITE_IOERR;
    }
#endif

    return sqlite3_step(st);
}


sqlite3 *
feat_db(void)
{
    return feat_db_conn;
}


void
feat_db_log(int level, sqlite3 *db, const char *what, const char *sql)
{
    feat_log(level, 0, "%s failed: %s (%d) in \"%.60s\"", what,
             sqlite3_errmsg(db), sqlite3_extended_errcode(db),
             sql != NULL ? sql : "");
}


/* The message of a failed step (an injected fault has none of its own). */
void
feat_db_step_failed(sqlite3 *db, int rc, const char *sql)
{
    feat_log(LOG_ERR, 0, "sqlite3_step() failed: %s (%d) in \"%.60s\"",
             sqlite3_extended_errcode(db) == rc ? sqlite3_errmsg(db)
                                       : sqlite3_errstr(rc),
             rc, sql);
}


static size_t
feat_db_hash(const char *sql, sqlite3 *db)
{
    uintptr_t  h;

    /* Fibonacci hashing of the two addresses; the low bits are alignment. */
    h = ((uintptr_t) sql >> 3) ^ ((uintptr_t) db >> 4);
    h *= (uintptr_t) 0x9e3779b97f4a7c15ull;

    return (size_t) (h >> 16);
}


/* Doubles the table; answers FEAT_ERROR when out of memory or too big. */
static int
feat_db_cache_grow(void)
{
    size_t                size, i, j;
    struct feat_db_slot  *slots;

    size = feat_db_cache_size ? feat_db_cache_size * 2 : FEAT_DB_CACHE_MIN;
    if (size > FEAT_DB_CACHE_MAX) {
        return FEAT_ERROR;
    }

    slots = calloc(size, sizeof(struct feat_db_slot));
    if (slots == NULL) {
        return FEAT_ERROR;
    }

    for (i = 0; i < feat_db_cache_size; i++) {
        if (feat_db_cache[i].sql == NULL) {
            continue;
        }
        j = feat_db_hash(feat_db_cache[i].sql, feat_db_cache[i].db)
            & (size - 1);
        while (slots[j].sql != NULL) {
            j = (j + 1) & (size - 1);
        }
        slots[j] = feat_db_cache[i];
    }

    free(feat_db_cache);
    feat_db_cache = slots;
    feat_db_cache_size = size;

    return FEAT_OK;
}


/* The cached statement for (db, sql), prepared on first use; NULL on error. */
static sqlite3_stmt *
feat_db_prepare(sqlite3 *db, const char *sql)
{
    size_t         i;
    sqlite3_stmt  *st;

    if (feat_db_cache_size != 0) {
        i = feat_db_hash(sql, db) & (feat_db_cache_size - 1);
        while (feat_db_cache[i].sql != NULL) {
            if (feat_db_cache[i].sql == sql && feat_db_cache[i].db == db) {
                return feat_db_cache[i].st;
            }
            i = (i + 1) & (feat_db_cache_size - 1);
        }
    }

    /* Keep the load factor under 1/2 so probes stay short. */
    if ((feat_db_cache_used + 1) * 2 > feat_db_cache_size
        && feat_db_cache_grow() != FEAT_OK)
    {
        feat_log(LOG_ALERT, 0, "statement cache full at %zu entries",
                 feat_db_cache_used);
        return NULL;
    }

    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                           NULL)
        != SQLITE_OK)
    {
        /* Bad SQL in the source is a bug, not a runtime condition. */
        feat_db_log(LOG_ALERT, db, "sqlite3_prepare_v3()", sql);
        sqlite3_finalize(st);
        return NULL;
    }

    i = feat_db_hash(sql, db) & (feat_db_cache_size - 1);
    while (feat_db_cache[i].sql != NULL) {
        i = (i + 1) & (feat_db_cache_size - 1);
    }
    feat_db_cache[i].sql = sql;
    feat_db_cache[i].db = db;
    feat_db_cache[i].st = st;
    feat_db_cache_used++;

    return st;
}


/*
 * The cached statement for sql with its first parameters bound from fmt;
 * extra more are left for the caller (feat_db_rows binds LIMIT and OFFSET
 * itself).  NULL on error (logged).
 */
sqlite3_stmt *
feat_db_vquery(sqlite3 *db, const char *sql, int extra, const char *fmt,
    va_list ap)
{
    int            i, n, rc;
    double         f;
    const char    *s;
    const void    *b;
    sqlite3_stmt  *st;

    if (db == NULL) {
        feat_log(LOG_ALERT, 0, "query without a connection: \"%.60s\"", sql);
        return NULL;
    }

    st = feat_db_prepare(db, sql);
    if (st == NULL) {
        return NULL;
    }

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);

    if (fmt == NULL) {
        fmt = "";
    }

    n = (int) strlen(fmt);
    if (n + extra != sqlite3_bind_parameter_count(st)) {
        feat_log(LOG_ALERT, 0, "%d bindings for %d parameters in \"%.60s\"",
                 n + extra, sqlite3_bind_parameter_count(st), sql);
        return NULL;
    }

    /*
     * Values are copied (SQLITE_TRANSIENT): callers bind arena strings and
     * stack buffers that may not outlive the statement's next step.
     */
    for (i = 0; i < n; i++) {
        switch (fmt[i]) {

        case 's':
            s = va_arg(ap, const char *);
            rc = (s == NULL)
                 ? sqlite3_bind_null(st, i + 1)
                 : sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
            break;

        case 'i':
            rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, sqlite3_int64));
            break;

        case 'd':
            rc = sqlite3_bind_int(st, i + 1, va_arg(ap, int));
            break;

        case 'b':
            b = va_arg(ap, const void *);
            rc = sqlite3_bind_blob(st, i + 1, b, va_arg(ap, int),
                                   SQLITE_TRANSIENT);
            break;

        case 'f':
            f = va_arg(ap, double);
            rc = sqlite3_bind_double(st, i + 1, f);
            break;

        default:
            feat_log(LOG_ALERT, 0, "bad binding '%c' for \"%.60s\"", fmt[i],
                     sql);
            return NULL;
        }

        if (rc != SQLITE_OK) {
            feat_db_log(LOG_ERR, db, "sqlite3_bind()", sql);
            sqlite3_clear_bindings(st);
            return NULL;
        }
    }

    return st;
}


sqlite3_stmt *
feat_db_query(sqlite3 *db, const char *sql, const char *fmt, ...)
{
    va_list        ap;
    sqlite3_stmt  *st;

    va_start(ap, fmt);
    st = feat_db_vquery(db, sql, 0, fmt, ap);
    va_end(ap);

    return st;
}


void
feat_db_done(sqlite3_stmt *st)
{
    if (st != NULL) {
        /* Ends the read transaction and frees the copied bindings. */
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}


static int
feat_db_run(sqlite3 *db, sqlite3_stmt *st, const char *sql)
{
    int  rc;

    do {
        rc = feat_db_step(st);
    } while (rc == SQLITE_ROW);

    if (rc == SQLITE_DONE) {
        rc = FEAT_OK;

    } else if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        /* Expected by callers (a unique key taken): not an error. */
        feat_db_log(LOG_DEBUG, db, "constraint", sql);
        rc = FEAT_BUSY;

    } else {
        feat_db_step_failed(db, rc, sql);
        rc = FEAT_ERROR;
    }

    feat_db_done(st);

    return rc;
}


/*
 * feat_db_exec's work, and feat_db_insert's and feat_db_change's.  A
 * write outside a transaction is a transaction of its own: it queues on
 * the write gate (gate.c) as BEGIN IMMEDIATE does, or it would wait in
 * SQLite's busy handler, which sleeps up to 100 ms a try while the gated
 * writers take the lock one after the other (POST /api/feedback, one
 * INSERT, had a p99 of 100 to 500 ms beside them).
 */
static int
feat_db_vexec(sqlite3 *db, const char *sql, const char *fmt, va_list ap)
{
    int            rc, alone;
    sqlite3_stmt  *st;

    st = feat_db_vquery(db, sql, 0, fmt, ap);
    if (st == NULL) {
        return FEAT_ERROR;
    }

    alone = !sqlite3_stmt_readonly(st) && sqlite3_get_autocommit(db);
    if (alone) {
        feat_db_gate();
    }

    rc = feat_db_run(db, st, sql);

    if (alone) {
        feat_db_ungate(db);
    }

    return rc;
}


int
feat_db_exec(sqlite3 *db, const char *sql, const char *fmt, ...)
{
    int      rc;
    va_list  ap;

    va_start(ap, fmt);
    rc = feat_db_vexec(db, sql, fmt, ap);
    va_end(ap);

    return rc;
}


enum feat_error
feat_db_insert(sqlite3 *db, sqlite3_int64 *id, const char *sql,
    const char *fmt, ...)
{
    int      rc;
    va_list  ap;

    va_start(ap, fmt);
    rc = feat_db_vexec(db, sql, fmt, ap);
    va_end(ap);

    if (rc == FEAT_BUSY) {
        return FEAT_E_UNKNOWN_APP;
    }

    if (rc != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    *id = sqlite3_last_insert_rowid(db);

    return FEAT_E_NONE;
}


enum feat_error
feat_db_change(sqlite3 *db, const char *sql, const char *fmt, ...)
{
    int      rc;
    va_list  ap;

    va_start(ap, fmt);
    rc = feat_db_vexec(db, sql, fmt, ap);
    va_end(ap);

    if (rc != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    return sqlite3_changes(db) ? FEAT_E_NONE : FEAT_E_NOT_FOUND;
}


/*
 * featctl holds one transaction around a whole command (feat_db_hold), so
 * that the command's changes and the audit record of it commit together.
 * Inside it, the domain's own transactions become savepoints: a rollback
 * undoes only its own part, as it would alone.
 */
static int  feat_db_held;       /* an outer transaction is held */
static int  feat_db_inner;      /* savepoints open inside it */


/* BEGIN IMMEDIATE behind the gate. */
static int
feat_db_begin_immediate(sqlite3 *db)
{
    feat_db_gate();

    if (feat_db_exec(db, "BEGIN IMMEDIATE", NULL) != FEAT_OK) {
        feat_db_ungate(db);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


int
feat_db_begin(sqlite3 *db)
{
    if (feat_db_held) {
        if (feat_db_exec(db, "SAVEPOINT feat_inner", NULL) != FEAT_OK) {
            return FEAT_ERROR;
        }
        feat_db_inner++;
        return FEAT_OK;
    }

    return feat_db_begin_immediate(db);
}


int
feat_db_commit(sqlite3 *db)
{
    if (feat_db_held) {
        if (feat_db_inner > 0
            && feat_db_exec(db, "RELEASE feat_inner", NULL) != FEAT_OK)
        {
            feat_db_rollback(db);
            return FEAT_ERROR;
        }
        if (feat_db_inner > 0) {
            feat_db_inner--;
        }
        return FEAT_OK;
    }

    if (feat_db_exec(db, "COMMIT", NULL) == FEAT_OK) {
        feat_db_ungate(db);
        return FEAT_OK;
    }

    /* A failed COMMIT may leave the transaction open: end it. */
    feat_db_rollback(db);

    return FEAT_ERROR;
}


void
feat_db_rollback(sqlite3 *db)
{
    if (db == NULL || sqlite3_get_autocommit(db)) {
        feat_db_ungate(db);
        return;         /* no transaction open: nothing to undo */
    }

    if (feat_db_held) {
        /* only the savepoint's part; none open: nothing of ours to undo */
        if (feat_db_inner > 0) {
            if (feat_db_exec(db, "ROLLBACK TO feat_inner", NULL) != FEAT_OK
                || feat_db_exec(db, "RELEASE feat_inner", NULL) != FEAT_OK)
            {
                feat_db_log(LOG_ERR, db, "ROLLBACK TO", NULL);
            }
            feat_db_inner--;
        }
        return;
    }

#ifdef FEAT_FAULT_INJECTION
    /*
     * A ROLLBACK that failed by injection would leave the transaction to
     * the dispatcher's LOG_ALERT: a false bug report, not a tested path.
     */
    feat_db_fault_off = 1;
#endif

    if (feat_db_exec(db, "ROLLBACK", NULL) != FEAT_OK) {
        feat_db_log(LOG_ERR, db, "ROLLBACK", NULL);
    }

    feat_db_ungate(db);

#ifdef FEAT_FAULT_INJECTION
    feat_db_fault_off = 0;
#endif
}


int
feat_db_hold(sqlite3 *db)
{
    if (feat_db_held) {
        return FEAT_OK;
    }

    if (feat_db_begin_immediate(db) != FEAT_OK) {
        return FEAT_ERROR;
    }

    feat_db_held = 1;
    feat_db_inner = 0;
    return FEAT_OK;
}


int
feat_db_release(sqlite3 *db, int commit)
{
    if (!feat_db_held) {
        return FEAT_OK;
    }

    feat_db_held = 0;
    feat_db_inner = 0;

    if (commit) {
        return feat_db_commit(db);
    }

    feat_db_rollback(db);
    return FEAT_OK;
}


enum feat_error
feat_db_end(sqlite3 *db, enum feat_error e)
{
    if (e == FEAT_E_NONE) {
        return feat_db_commit(db) == FEAT_OK ? FEAT_E_NONE : FEAT_E_INTERNAL;
    }

    feat_db_rollback(db);

    return e;
}


/* Runs one PRAGMA on a new connection: FEAT_OK or FEAT_ERROR (logged). */
static int
feat_db_pragma(sqlite3 *db, const char *pragma)
{
    char  *msg;

    msg = NULL;
    if (sqlite3_exec(db, pragma, NULL, NULL, &msg) != SQLITE_OK) {
        feat_log(LOG_ERR, 0, "\"%s\" failed: %s", pragma,
                 msg != NULL ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/*
 * Makes a missing database file, empty (SQLite takes an empty file for an
 * empty database) and private (files.c), before SQLite opens it: SQLite
 * would create it 0644 less the umask, and it gives the -wal and -shm the
 * database file's mode.  An existing file is left as it is (featctl check
 * warns about a loose one).  FEAT_OK or FEAT_ERROR (logged).
 */
static int
feat_db_create(const char *path)
{
    int  fd, rc;

    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
              feat_file_mode(FEAT_CONF_FILE_GROUP, 0));
    if (fd < 0) {
        if (errno == EEXIST) {
            return FEAT_OK;
        }
        feat_log(LOG_EMERG, errno, "open(\"%s\") failed", path);
        return FEAT_ERROR;
    }

    rc = feat_file_private(FEAT_CONF_FILE_GROUP, fd, path, 0);
    (void) close(fd);

    return rc;
}


/*
 * SQLite makes -wal and -shm with the database's mode but the process's
 * group: with file_group, give them the group too (they exist once a
 * connection is in WAL mode; a missing one is no error).
 */
static void
feat_db_private_wal(const char *path)
{
    static const char *const   suffixes[] = { "-wal", "-shm", NULL };
    char                       name[FEAT_DB_PATH_MAX + 8];
    gid_t                      gid;
    const char *const         *sfx;

    if (feat_file_gid(FEAT_CONF_FILE_GROUP, &gid) != FEAT_OK) {
        return;
    }

    for (sfx = suffixes; *sfx != NULL; sfx++) {
        (void) snprintf(name, sizeof(name), "%s%s", path, *sfx);
        if (chown(name, (uid_t) -1, gid) != 0 && errno != ENOENT) {
            feat_log(LOG_ERR, errno, "chown(\"%s\") failed", name);
        }
    }
}


int
feat_db_open(void)
{
    int          flags;
    long long    timeout;
    const char  *path, *sync;
    sqlite3     *db;

    if (feat_db_conn != NULL) {
        feat_db_close();
    }

    path = feat_conf_path(FEAT_CONF_DATABASE);
    if (path == NULL || path[0] == '\0' || strlen(path) > FEAT_DB_PATH_MAX) {
        feat_log(LOG_EMERG, 0, "bad \"database\" setting");
        return FEAT_ERROR;
    }

    sync = feat_conf_str(FEAT_CONF_SYNCHRONOUS);
    if (strcmp(sync, "normal") != 0 && strcmp(sync, "full") != 0) {
        feat_log(LOG_EMERG, 0, "\"synchronous\" must be normal or full");
        return FEAT_ERROR;
    }

    timeout = feat_conf_int(FEAT_CONF_BUSY_TIMEOUT);
    if (timeout < 0 || timeout > 600000) {
        feat_log(LOG_EMERG, 0, "\"busy_timeout\" must be 0..600000 ms");
        return FEAT_ERROR;
    }

    /*
     * NOMUTEX: a connection is never shared between threads (there are
     * none), so SQLite's own locking is wasted work.  The same holds for
     * the library's global mutexes (its allocator, page cache and shared
     * memory map take one at every call, some 5,000 instructions of a
     * token read), which only a configuration made before SQLite starts
     * can drop: multi-thread mode, and no memory statistics (which need
     * the allocator's mutex).  In a process where SQLite already started
     * (a caller opened a connection of its own first) both answer
     * SQLITE_MISUSE and change nothing, which is only slower.
     */
    if (!feat_db_configured) {
        feat_db_configured = 1;
        (void) sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
        (void) sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        if (feat_db_mem_methods() != NULL) {
            (void) sqlite3_config(SQLITE_CONFIG_MALLOC,
                                  feat_db_mem_methods());
        }
    }

    if (feat_db_create(path) != FEAT_OK) {
        return FEAT_ERROR;
    }

    flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        feat_log(LOG_EMERG, 0, "sqlite3_open_v2(\"%s\") failed: %s", path,
                 db != NULL ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return FEAT_ERROR;
    }

    sqlite3_extended_result_codes(db, 1);

    /* The timeout first: the WAL switch itself may wait for a lock. */
    sqlite3_busy_timeout(db, (int) timeout);

    if (feat_db_pragma(db, "PRAGMA journal_mode = WAL") != FEAT_OK
        || feat_db_pragma(db, strcmp(sync, "full") == 0
                              ? "PRAGMA synchronous = FULL"
                              : "PRAGMA synchronous = NORMAL") != FEAT_OK
        || feat_db_pragma(db, "PRAGMA foreign_keys = ON") != FEAT_OK
        /* a WAL grown by a long reader (a backup) shrinks back to this
         * at its next reset, instead of staying at its largest */
        || feat_db_pragma(db, "PRAGMA journal_size_limit = 67108864")
           != FEAT_OK)
    {
        sqlite3_close(db);
        return FEAT_ERROR;
    }

    feat_db_private_wal(path);
    feat_db_gate_wal(db);

    feat_db_conn = db;

    return FEAT_OK;
}


void
feat_db_close(void)
{
    size_t  i;

    for (i = 0; i < feat_db_cache_size; i++) {
        if (feat_db_cache[i].st != NULL) {
            sqlite3_finalize(feat_db_cache[i].st);
        }
    }

    free(feat_db_cache);
    feat_db_cache = NULL;
    feat_db_cache_size = 0;
    feat_db_cache_used = 0;

    if (feat_db_conn != NULL) {
        if (sqlite3_close(feat_db_conn) != SQLITE_OK) {
            feat_db_log(LOG_ALERT, feat_db_conn, "sqlite3_close()", NULL);
        }
        feat_db_conn = NULL;
    }
}


/*
 * Migrations use one-off statements, not the cache: they also run on
 * connections other than the process's own (featcgi -t checks them on an
 * in-memory database), and run once.
 */
static int
feat_db_once_int(sqlite3 *db, const char *sql, sqlite3_int64 bind,
    sqlite3_int64 *out)
{
    int            rc;
    sqlite3_stmt  *st;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        feat_db_log(LOG_ERR, db, "sqlite3_prepare_v2()", sql);
        return FEAT_ERROR;
    }

    if (sqlite3_bind_parameter_count(st) > 0) {
        sqlite3_bind_int64(st, 1, bind);
    }

    rc = feat_db_step(st);

    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = FEAT_OK;

    } else if (rc == SQLITE_DONE) {
        rc = FEAT_DECLINED;

    } else {
        feat_db_log(LOG_ERR, db, "sqlite3_step()", sql);
        rc = FEAT_ERROR;
    }

    sqlite3_finalize(st);

    return rc;
}


static int
feat_db_once_exec(sqlite3 *db, const char *sql)
{
    char  *msg;

    msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        feat_log(LOG_ERR, 0, "sqlite3_exec() failed: %s in \"%.60s\"",
                 msg != NULL ? msg : sqlite3_errmsg(db), sql);
        sqlite3_free(msg);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


static int
feat_db_record(sqlite3 *db, const struct feat_migration *m)
{
    int            rc;
    sqlite3_stmt  *st;
    static const char  sql[] =
        "INSERT INTO schema_version (version, name, applied_at)"
        " VALUES (?, ?, ?)";

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        feat_db_log(LOG_ERR, db, "sqlite3_prepare_v2()", sql);
        return FEAT_ERROR;
    }

    sqlite3_bind_int(st, 1, m->version);
    sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64) time(NULL));

    rc = feat_db_step(st);
    if (rc != SQLITE_DONE) {
        feat_db_log(LOG_ERR, db, "sqlite3_step()", sql);
    }

    sqlite3_finalize(st);

    return rc == SQLITE_DONE ? FEAT_OK : FEAT_ERROR;
}


int
feat_db_migrate(sqlite3 *db, int *applied)
{
    sqlite3_int64                 one;
    const struct feat_migration  *m;

    *applied = 0;

    if (feat_db_once_exec(db,
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY,"
            " name TEXT,"
            " applied_at INTEGER)")
        != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    for (m = feat_migrations; m->name != NULL; m++) {

        /*
         * Several processes may start at once (featctl and the master):
         * the check is repeated under the write lock, so a migration
         * another process applied meanwhile is skipped, not run twice.
         */
        if (feat_db_once_exec(db, "BEGIN IMMEDIATE") != FEAT_OK) {
            return FEAT_ERROR;
        }

        switch (feat_db_once_int(db,
                    "SELECT 1 FROM schema_version WHERE version = ?",
                    m->version, &one))
        {
        case FEAT_OK:
            feat_db_once_exec(db, "COMMIT");
            continue;

        case FEAT_DECLINED:
            break;

        default:
            goto failed;
        }

        if (feat_db_once_exec(db, m->sql) != FEAT_OK
            || feat_db_record(db, m) != FEAT_OK
            || feat_db_once_exec(db, "COMMIT") != FEAT_OK)
        {
            goto failed;
        }

        feat_log(LOG_NOTICE, 0, "applied migration %s", m->name);
        (*applied)++;
    }

    return FEAT_OK;

failed:

    feat_log(LOG_EMERG, 0, "migration %s failed", m->name);

    if (!sqlite3_get_autocommit(db)) {
        feat_db_once_exec(db, "ROLLBACK");
    }

    return FEAT_ERROR;
}


int
feat_db_version(sqlite3 *db)
{
    sqlite3_int64  v;

    switch (feat_db_once_int(db,
                "SELECT count(*) FROM sqlite_master"
                " WHERE type = 'table' AND name = 'schema_version'",
                0, &v))
    {
    case FEAT_OK:
        break;
    default:
        return -1;
    }

    if (v == 0) {
        return 0;       /* a new database: nothing applied yet */
    }

    if (feat_db_once_int(db,
            "SELECT coalesce(max(version), 0) FROM schema_version", 0, &v)
        != FEAT_OK)
    {
        return -1;
    }

    return (int) v;
}
