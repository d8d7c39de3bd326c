/*
 * ctl_db.c: featctl's "db" commands.
 *
 * "db migrate" applies the migrations embedded in the binary (the same
 * code the master runs at start), so an administrator can upgrade the
 * schema before starting a new featcgi.  "db backup FILE" copies the live
 * database with SQLite's online backup API while the server keeps serving:
 * the copy is written to a temporary file beside FILE, checked, switched
 * out of WAL mode so it is one self-contained file, and only then linked
 * into place; FILE therefore never holds a partial copy, and an existing
 * FILE is kept unless --force is given.
 *
 * The copy is store/backup.c's, the one the jobs process's scheduled
 * backups make too: one snapshot of the source (a read transaction held
 * from the first page to the last, so no commit restarts it and no writer
 * waits for it), in steps of 1024 pages.  INT, TERM and HUP end a backup
 * between two steps with its temporary file removed; one left by a backup
 * killed outright is removed by the next backup to the same FILE.
 *
 * "db restore FILE" puts a backup back, with the server running or not.
 * FILE must pass integrity_check and come from this featcgi's schema or an
 * older one.  It is copied beside the database and migrated there, so the
 * server never sees an old schema; the live database is backed up beside
 * itself (the previous file, kept); then the copy replaces the live
 * database's contents through SQLite's backup API in one step: one write
 * transaction, atomic for every connection, holding the server's write
 * lock while it runs (its writers wait, up to busy_timeout).  Renaming a
 * file over a live WAL database would not do: the server's connections
 * keep the old file open, and its WAL would be applied to the new one.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "featctl.h"

/* The restore's swap: pause after it met the server's write lock, and how
 * many pauses in a row are accepted before giving up (about a minute). */
#define CTL_BACKUP_WAIT_MS 50
#define CTL_BACKUP_RETRIES 1200

static volatile sig_atomic_t  ctl_db_stop;


static int ctl_db_migrate(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_db_backup(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_db_restore(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_db_copy(sqlite3 *src, const char *path, int *pages);
static void ctl_db_unlink_stale(struct feat_ctl *ctl, const char *file);
static void ctl_db_signals(int on);


const struct feat_ctl_command  feat_ctl_db_commands[] = {
    { "db", "migrate", ctl_db_migrate, "[--check]",
      "apply pending schema migrations; prints how many were applied"
      " (--check: apply none, say whether each is online-safe)" },
    { "db", "backup", ctl_db_backup, "FILE [--force]",
      "online copy of the live database to FILE (kept if it exists "
      "unless --force)" },
    { "db", "restore", ctl_db_restore, "FILE",
      "replace the database's contents by backup FILE (checked, migrated), "
      "keeping the previous database beside it" },
    FEAT_CTL_NULL_COMMAND
};


static int
ctl_db_migrate(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        applied, version;
    char                       msg[128];
    cJSON                     *res;
    sqlite3                   *db;
    const char                *check;
    const struct feat_ctl_opt  opts[] = {
        { "check", 0, &check },
        { NULL, 0, NULL }
    };

    check = NULL;
    if (feat_ctl_args(ctl, argc, argv, opts, NULL, 0) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    db = feat_ctl_db(ctl, 0);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    if (check != NULL) {
        return feat_ctl_migrate_check(ctl, db);    /* ctl_migcheck.c */
    }

    applied = 0;
    if (feat_db_migrate(db, &applied) != FEAT_OK) {
        return feat_ctl_fail("migration failed after %d applied (see the "
                             "log lines above)", applied);
    }

    version = feat_db_version(db);

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "applied", applied);
    cJSON_AddNumberToObject(res, "version", version);

    snprintf(msg, sizeof(msg), "applied %d migration%s, schema version %d",
             applied, applied == 1 ? "" : "s", version);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


static int
ctl_db_backup(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        fd, pages, force, err;
    char                       msg[512];
    const char                *file, *tmp, *force_opt;
    cJSON                     *res;
    sqlite3                   *db;
    struct stat                st;
    const struct feat_ctl_opt  opts[] = {
        { "force", 0, &force_opt },
        { NULL, 0, NULL }
    };

    force_opt = NULL;
    if (feat_ctl_args(ctl, argc, argv, opts, &file, 1) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }
    force = force_opt != NULL;

    if (file[0] == '\0' || strlen(file) > 4000) {
        return feat_ctl_fail("bad backup file name");
    }

    /* Checked here for a quick answer, and again by link() at the end. */
    if (!force && lstat(file, &st) == 0) {
        return feat_ctl_fail("%s exists (use --force to replace it)", file);
    }

    db = feat_ctl_db(ctl, 0);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    ctl_db_unlink_stale(ctl, file);

    /* From here a stop signal is a request to give up cleanly. */
    ctl_db_signals(1);

    /*
     * The copy holds password hashes and tokens' hashes: create it 0600,
     * and exclusively, so we never write through someone's symlink.
     */
    tmp = feat_arena_sprintf(ctl->arena, "%s.tmp-%ld", file, (long) getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1) {
        ctl_db_signals(0);
        return feat_ctl_fail("cannot create %s: %s", tmp, strerror(errno));
    }
    close(fd);

    if (ctl_db_copy(db, tmp, &pages) != FEAT_OK) {
        feat_backup_unlink(tmp);
        ctl_db_signals(0);
        return FEAT_CTL_FAIL;
    }

    ctl_db_signals(0);

    if (force) {
        if (rename(tmp, file) == -1) {
            feat_ctl_fail("rename %s to %s: %s", tmp, file, strerror(errno));
            feat_backup_unlink(tmp);
            return FEAT_CTL_FAIL;
        }

    } else {
        /*
         * link() never replaces: a FILE that appeared meanwhile is kept.
         * Where the file system has no hard links, fall back to rename()
         * after a last look (a small race, on such file systems only).
         */
        if (link(tmp, file) == -1) {
            err = errno;
            if (err != EEXIST && lstat(file, &st) == 0) {
                err = EEXIST;
            } else if (err != EEXIST) {
                err = rename(tmp, file) == 0 ? 0 : errno;
            }

            if (err != 0) {
                feat_ctl_fail("cannot create %s: %s%s", file, strerror(err),
                              err == EEXIST ? " (use --force to replace it)"
                                            : "");
                feat_backup_unlink(tmp);
                return FEAT_CTL_FAIL;
            }
        }
        unlink(tmp);
    }

    res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "file", file);
    cJSON_AddNumberToObject(res, "pages", pages);

    snprintf(msg, sizeof(msg), "backup of %d pages written to %s", pages,
             file);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


/*
 * Copies src into the (empty) database file path with store/backup.c's
 * copy, one step at a time so that a stop signal is seen between two.
 * FEAT_OK with *pages set, or FEAT_ERROR after printing why (the copy
 * removed).
 */
static int
ctl_db_copy(sqlite3 *src, const char *path, int *pages)
{
    int                  rc;
    char                 err[512];
    struct feat_backup  *b;

    b = feat_backup_open(src, path, err, sizeof(err));
    if (b == NULL) {
        feat_ctl_fail("backup: %s", err);
        return FEAT_ERROR;
    }

    do {
        if (ctl_db_stop) {
            feat_backup_close(b);
            feat_ctl_fail("backup: interrupted, nothing written");
            return FEAT_ERROR;
        }

        rc = feat_backup_step(b, 0);        /* one step */
    } while (rc == FEAT_BUSY);

    if (rc != FEAT_OK) {
        feat_ctl_fail("backup: %s", feat_backup_error(b));
    }

    *pages = feat_backup_pages(b);
    feat_backup_close(b);

    return rc;
}


static void
ctl_db_signal(int signo)
{
    (void) signo;
    ctl_db_stop = 1;
}


/* on: INT, TERM and HUP set ctl_db_stop; off: their defaults again. */
static void
ctl_db_signals(int on)
{
    size_t            i;
    struct sigaction  sa;
    static const int  signos[] = { SIGINT, SIGTERM, SIGHUP };

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on ? ctl_db_signal : SIG_DFL;

    for (i = 0; i < FEAT_NELEMS(signos); i++) {
        sigaction(signos[i], &sa, NULL);
    }
}


/*
 * Removes "FILE.tmp-PID" copies (and their journals) left beside file by
 * backups that were killed outright: those whose process is gone.
 */
static void
ctl_db_unlink_stale(struct feat_ctl *ctl, const char *file)
{
    char  *dcopy, *bcopy;

    dcopy = feat_arena_strdup(ctl->arena, file);
    bcopy = feat_arena_strdup(ctl->arena, file);

    feat_backup_unlink_stale(dirname(dcopy), basename(bcopy));
}


/* The highest schema version this binary knows. */
static int
ctl_db_known_version(void)
{
    int     v;
    size_t  i;

    v = 0;
    for (i = 0; feat_migrations[i].sql != NULL; i++) {
        if (feat_migrations[i].version > v) {
            v = feat_migrations[i].version;
        }
    }

    return v;
}


/*
 * Opens backup file read-only and checks it: integrity_check, and a schema
 * this featctl knows.  FEAT_OK with *version, or FEAT_ERROR after printing
 * why.
 */
static int
ctl_db_restore_check(const char *file, int *version)
{
    int            rc, ret;
    const char    *check;
    sqlite3       *db;
    sqlite3_stmt  *st;

    ret = FEAT_ERROR;
    db = NULL;
    st = NULL;

    rc = sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        feat_ctl_fail("cannot open %s: %s", file,
                      db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto done;
    }

    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL)
        != SQLITE_OK
        || sqlite3_step(st) != SQLITE_ROW)
    {
        feat_ctl_fail("%s is not a database: %s", file, sqlite3_errmsg(db));
        goto done;
    }

    check = (const char *) sqlite3_column_text(st, 0);
    if (check == NULL || strcmp(check, "ok") != 0) {
        feat_ctl_fail("%s fails its integrity check: %s", file,
                      check != NULL ? check : "?");
        goto done;
    }

    *version = feat_db_version(db);
    if (*version <= 0) {
        feat_ctl_fail("%s holds no featcgi schema", file);
        goto done;
    }

    if (*version > ctl_db_known_version()) {
        feat_ctl_fail("%s comes from a newer featcgi (schema version %d, "
                      "this one knows %d): restore it with that version",
                      file, *version, ctl_db_known_version());
        goto done;
    }

    ret = FEAT_OK;

done:

    sqlite3_finalize(st);
    sqlite3_close(db);

    return ret;
}


/* Applies the migrations to the copy at path: FEAT_OK or FEAT_ERROR. */
static int
ctl_db_restore_migrate(const char *path, int *applied)
{
    int       rc;
    sqlite3  *db;

    *applied = 0;
    db = NULL;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK
        || sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL)
           != SQLITE_OK)
    {
        feat_ctl_fail("cannot open the copy %s", path);
        sqlite3_close(db);
        return FEAT_ERROR;
    }

    rc = feat_db_migrate(db, applied);
    if (rc != FEAT_OK) {
        feat_ctl_fail("migrating the copy failed after %d applied", *applied);
    }

    sqlite3_close(db);

    return rc;
}


/*
 * Replaces the contents of live by those of the database at path, in one
 * backup step: one write transaction.  The write lock is waited for while
 * the server's writers hold it (busy_timeout each try, a minute at most).
 */
static int
ctl_db_restore_swap(sqlite3 *live, const char *path)
{
    int              rc, tries;
    sqlite3         *src;
    sqlite3_backup  *b;

    src = NULL;
    if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL)
        != SQLITE_OK)
    {
        feat_ctl_fail("cannot open the copy %s", path);
        sqlite3_close(src);
        return FEAT_ERROR;
    }

    rc = SQLITE_BUSY;

    for (tries = 0; tries < CTL_BACKUP_RETRIES; tries++) {
        b = sqlite3_backup_init(live, "main", src, "main");
        if (b == NULL) {
            feat_ctl_fail("restore: %s", sqlite3_errmsg(live));
            sqlite3_close(src);
            return FEAT_ERROR;
        }

        rc = sqlite3_backup_step(b, -1);
        sqlite3_backup_finish(b);

        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
            break;
        }

        sqlite3_sleep(CTL_BACKUP_WAIT_MS);
    }

    sqlite3_close(src);

    if (rc != SQLITE_DONE) {
        feat_ctl_fail("restore: %s%s", sqlite3_errstr(rc),
                      rc == SQLITE_READONLY ? " (a page size other than "
                                              "the database's?)" : "");
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


static int
ctl_db_restore(struct feat_ctl *ctl, int argc, char **argv)
{
    int            version, applied, pages, fd;
    char           stamp[32], msg[1024];
    time_t         now;
    struct tm      tm;
    const char    *file, *dbpath, *tmp, *prev;
    cJSON         *res;
    sqlite3       *db;
    sqlite3_int64  v_live, v_new;

    if (feat_ctl_args(ctl, argc, argv, NULL, &file, 1) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    if (ctl_db_restore_check(file, &version) != FEAT_OK) {
        return FEAT_CTL_FAIL;
    }

    db = feat_ctl_db(ctl, 0);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }
    dbpath = feat_conf_path(FEAT_CONF_DATABASE);

    ctl_db_signals(1);

    /* 1. The backup copied beside the database, and migrated there. */
    tmp = feat_arena_sprintf(ctl->arena, "%s.restore-%ld", dbpath,
                             (long) getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1) {
        ctl_db_signals(0);
        return feat_ctl_fail("cannot create %s: %s", tmp, strerror(errno));
    }
    close(fd);

    {
        sqlite3  *src;

        src = NULL;
        if (sqlite3_open_v2(file, &src, SQLITE_OPEN_READONLY, NULL)
            != SQLITE_OK
            || ctl_db_copy(src, tmp, &pages) != FEAT_OK)
        {
            sqlite3_close(src);
            goto failed;
        }
        sqlite3_close(src);
    }

    if (ctl_db_restore_migrate(tmp, &applied) != FEAT_OK || ctl_db_stop) {
        goto failed;
    }

    /* 2. The database as it is now, kept beside it. */
    now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    prev = feat_arena_sprintf(ctl->arena, "%s.before-restore-%s", dbpath,
                              stamp);
    fd = open(prev, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0600);
    if (fd == -1) {
        feat_ctl_fail("cannot create %s: %s", prev, strerror(errno));
        goto failed;
    }
    close(fd);

    if (ctl_db_copy(db, prev, &pages) != FEAT_OK || ctl_db_stop) {
        feat_backup_unlink(prev);
        goto failed;
    }

    /* No interruption from here: the swap is one transaction anyway. */
    ctl_db_signals(0);

    if (feat_db_int(db, &v_live, "SELECT version FROM app_settings_version",
                    NULL) != FEAT_OK)
    {
        v_live = 0;
    }

    /* 3. The swap. */
    if (ctl_db_restore_swap(db, tmp) != FEAT_OK) {
        feat_backup_unlink(tmp);
        return FEAT_CTL_FAIL;
    }

    feat_backup_unlink(tmp);

    /*
     * The server's processes cache apps and settings under the version
     * they read; the restored one may equal it.  Moved past both, every
     * cache is dropped within the second.
     */
    if (feat_db_int(db, &v_new, "SELECT version FROM app_settings_version",
                    NULL) == FEAT_OK)
    {
        feat_db_exec(db, "UPDATE app_settings_version SET version = ?",
                     "i", (v_new > v_live ? v_new : v_live) + 1);
    }

    res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "restored", file);
    cJSON_AddNumberToObject(res, "schema_version", version);
    cJSON_AddNumberToObject(res, "migrations_applied", applied);
    cJSON_AddStringToObject(res, "previous", prev);

    snprintf(msg, sizeof(msg), "restored %s (schema version %d, %d "
             "migration%s applied); the previous database is kept in %s",
             file, version, applied, applied == 1 ? "" : "s", prev);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;

failed:

    feat_backup_unlink(tmp);
    ctl_db_signals(0);
    if (ctl_db_stop) {
        feat_ctl_fail("restore: interrupted, nothing changed");
    }

    return FEAT_CTL_FAIL;
}
