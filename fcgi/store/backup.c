/*
 * backup.c: the one online backup of a SQLite database, shared by
 * "featctl db backup" and "db restore" and by the jobs process's scheduled
 * backups (backup.dir, backup.interval, backup.keep).
 *
 * A copy is of one snapshot: a read transaction is held on the source from
 * its first page to its last.  Without it, every commit of another
 * connection between two steps restarted SQLite's backup from its first
 * page, and on a busy database the copy never finished (1,541 restarts in
 * 11 minutes under 8 writers) while the WAL grew.  In WAL mode a reader
 * holds off no writer and takes no write lock; the WAL only grows for as
 * long as the copy runs, and shrinks back (journal_size_limit, db.c) once
 * checkpoints pass the snapshot, the first of them run here at once.  The
 * copy goes in steps (feat_backup_step copies for a time budget, then
 * returns), so a caller with other duties (the jobs process's sweeps and
 * deliveries) runs them between steps, and a stop signal is seen between
 * two of them.  A finished copy is switched out of WAL mode (one
 * self-contained file) and checked (quick_check) in a call of its own,
 * and fsync'ed in another.  The writeback of what a step wrote is started
 * after each (sync_file_range, where there is one), so the commit at the
 * end has little left to wait for: on a 200 MB database the longest call
 * is then the check, not a flush of 200 MB.
 *
 * Scheduled backups (feat_backup_start, feat_backup_place) open a source
 * connection of their own, since the caller's connection keeps writing
 * between the steps, and write "featcgi-YYYYMMDDTHHMMSSZ.db" (UTC, the
 * moment the snapshot was asked for, so names sort by time) in backup.dir:
 * first under a temporary name beside it ("NAME.tmp-PID"), renamed into
 * place, the directory fsync'ed, then the oldest of those names beyond
 * backup.keep removed.  Nothing else in the directory is ever touched but
 * temporary copies of processes that are gone.
 */

#include "config.h"

/* sync_file_range(): the copy's writeback started without waiting. */
#define _GNU_SOURCE  1

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

/* Pages copied per sqlite3_backup_step (4 MiB at 4 KiB pages). */
#define FEAT_BACKUP_PAGES     1024
/* Pause after a step that met a lock (the copy's own file, never the
 * source's writers), and how many such pauses in a row are accepted before
 * giving up (about a minute). */
#define FEAT_BACKUP_WAIT_MS   50
#define FEAT_BACKUP_RETRIES   1200

#define FEAT_BACKUP_PATH_MAX  4096
/* "featcgi-" "20261207T031500Z" ".db" */
#define FEAT_BACKUP_PREFIX    "featcgi-"
#define FEAT_BACKUP_SUFFIX    ".db"
#define FEAT_BACKUP_STAMP     16
#define FEAT_BACKUP_NAME_LEN  (sizeof(FEAT_BACKUP_PREFIX) - 1               \
                               + FEAT_BACKUP_STAMP                           \
                               + sizeof(FEAT_BACKUP_SUFFIX) - 1)

/* What the next feat_backup_step does. */
enum feat_backup_phase {
    FEAT_BACKUP_COPY = 0,           /* pages, until SQLITE_DONE */
    FEAT_BACKUP_CHECK,              /* one file, quick_check */
    FEAT_BACKUP_SYNC,               /* closed, fsync'ed */
    FEAT_BACKUP_DONE
};

struct feat_backup {
    sqlite3                 *src;
    sqlite3                 *own;   /* src, when opened here */
    sqlite3                 *dst;
    sqlite3_backup          *b;
    enum feat_backup_phase   phase;
    int                      fd;    /* the copy, for its writeback; -1 */
    int                      busy;  /* lock pauses in a row */
    int                      pages;
    int                      complete;  /* copied, checked, synced */
    int                      placed;    /* renamed (scheduled) */
    char                     path[FEAT_BACKUP_PATH_MAX];
    char                     dir[FEAT_BACKUP_PATH_MAX];  /* scheduled */
    char                     name[FEAT_BACKUP_NAME_LEN + 1];
    char                     err[512];
};

static const char *const  feat_backup_suffixes[] = {
    "", "-journal", "-wal", "-shm"
};


static void feat_backup_fail(struct feat_backup *b, const char *fmt, ...)
    FEAT_PRINTF(2, 3);

static void
feat_backup_fail(struct feat_backup *b, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(b->err, sizeof(b->err), fmt, ap);
    va_end(ap);
}


static long long
feat_backup_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* Ends the snapshot, and lets a passive checkpoint write back at once
 * the WAL it held (it waits for nobody). */
static void
feat_backup_release(struct feat_backup *b)
{
    if (b->src == NULL || sqlite3_get_autocommit(b->src)) {
        return;
    }

    sqlite3_exec(b->src, "COMMIT", NULL, NULL, NULL);
    if (!sqlite3_get_autocommit(b->src)) {
        sqlite3_exec(b->src, "ROLLBACK", NULL, NULL, NULL);
    }

    sqlite3_wal_checkpoint_v2(b->src, "main", SQLITE_CHECKPOINT_PASSIVE,
                              NULL, NULL);
}


static struct feat_backup *
feat_backup_new(void)
{
    struct feat_backup  *b;

    b = calloc(1, sizeof(struct feat_backup));
    if (b == NULL) {
        feat_log(LOG_EMERG, errno, "calloc() failed");
        abort();
    }

    b->fd = -1;

    return b;
}


/* The copy's first part: the snapshot, the destination, the backup. */
static int
feat_backup_begin(struct feat_backup *b, sqlite3 *src, const char *path)
{
    int  rc;

    if (strlen(path) >= sizeof(b->path)) {
        feat_backup_fail(b, "backup file name too long");
        return FEAT_ERROR;
    }
    strcpy(b->path, path);
    b->src = src;

    /*
     * One snapshot for the whole copy: the read transaction begins with
     * the first read and lasts until the copy is done, so no commit of
     * another connection restarts it.
     */
    if (sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_master", NULL,
                     NULL, NULL) != SQLITE_OK)
    {
        feat_backup_fail(b, "reading the database: %s", sqlite3_errmsg(src));
        return FEAT_ERROR;
    }

    rc = sqlite3_open_v2(path, &b->dst,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        feat_backup_fail(b, "cannot open %s: %s", path,
                         b->dst != NULL ? sqlite3_errmsg(b->dst)
                                        : sqlite3_errstr(rc));
        return FEAT_ERROR;
    }

    b->b = sqlite3_backup_init(b->dst, "main", src, "main");
    if (b->b == NULL) {
        feat_backup_fail(b, "%s", sqlite3_errmsg(b->dst));
        return FEAT_ERROR;
    }

    /* only to start the writeback of what the steps wrote */
    b->fd = open(path, O_RDONLY | O_CLOEXEC);

    return FEAT_OK;
}


/* Starts writing back what the steps wrote, waiting for none of it. */
static void
feat_backup_writeback(struct feat_backup *b)
{
#ifdef SYNC_FILE_RANGE_WRITE
    if (b->fd != -1) {
        (void) sync_file_range(b->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    }
#else
    (void) b;
#endif
}


struct feat_backup *
feat_backup_open(sqlite3 *src, const char *path, char *err, size_t n)
{
    struct feat_backup  *b;

    b = feat_backup_new();

    if (feat_backup_begin(b, src, path) != FEAT_OK) {
        snprintf(err, n, "%s", b->err);
        feat_backup_close(b);
        return NULL;
    }

    return b;
}


/*
 * Once every page is copied: the snapshot released, the copy made one
 * file (out of WAL mode) and checked.
 */
static int
feat_backup_check_copy(struct feat_backup *b)
{
    int            rc;
    const char    *check;
    sqlite3_stmt  *st;

    /* finish reports the error of the failed step, if any */
    rc = sqlite3_backup_finish(b->b);
    b->b = NULL;

    feat_backup_release(b);

    if (rc != SQLITE_OK) {
        feat_backup_fail(b, "%s", sqlite3_errmsg(b->dst));
        return FEAT_ERROR;
    }

    /* The source runs in WAL mode and the copy inherited it: one file is
     * what an administrator expects to carry away. */
    if (sqlite3_exec(b->dst, "PRAGMA journal_mode = DELETE", NULL, NULL,
                     NULL) != SQLITE_OK)
    {
        feat_backup_fail(b, "%s", sqlite3_errmsg(b->dst));
        return FEAT_ERROR;
    }

    st = NULL;
    if (sqlite3_prepare_v2(b->dst, "PRAGMA quick_check", -1, &st, NULL)
        != SQLITE_OK
        || sqlite3_step(st) != SQLITE_ROW)
    {
        feat_backup_fail(b, "checking the copy: %s",
                         sqlite3_errmsg(b->dst));
        sqlite3_finalize(st);
        return FEAT_ERROR;
    }

    check = (const char *) sqlite3_column_text(st, 0);
    if (check == NULL || strcmp(check, "ok") != 0) {
        feat_backup_fail(b, "the copy fails its check: %.200s",
                         check != NULL ? check : "?");
        sqlite3_finalize(st);
        return FEAT_ERROR;
    }
    sqlite3_finalize(st);

    return FEAT_OK;
}


/* The checked copy closed and on disk. */
static int
feat_backup_sync(struct feat_backup *b)
{
    int  rc;

    rc = sqlite3_close(b->dst);
    b->dst = NULL;
    if (rc != SQLITE_OK) {
        feat_backup_fail(b, "closing %s failed", b->path);
        return FEAT_ERROR;
    }

    /* SQLite synced its commits; this says so for any build of it. */
    if (b->fd == -1 || fsync(b->fd) == -1) {
        feat_backup_fail(b, "fsync %s: %s", b->path,
                         b->fd == -1 ? "not open" : strerror(errno));
        return FEAT_ERROR;
    }

    close(b->fd);
    b->fd = -1;

    return FEAT_OK;
}


/* Copies pages until done (FEAT_OK), the budget is spent (FEAT_BUSY) or
 * a step fails (FEAT_ERROR). */
static int
feat_backup_copy(struct feat_backup *b, long ms)
{
    int        rc;
    long long  until;

    until = feat_backup_ms() + ms;

    for ( ;; ) {
        rc = sqlite3_backup_step(b->b, FEAT_BACKUP_PAGES);
        b->pages = sqlite3_backup_pagecount(b->b);

        if (rc == SQLITE_DONE) {
            return FEAT_OK;
        }

        if (rc == SQLITE_OK) {
            b->busy = 0;

        } else if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
                   && ++b->busy < FEAT_BACKUP_RETRIES)
        {
            sqlite3_sleep(FEAT_BACKUP_WAIT_MS);

        } else {
            /* the step's error, as finish reports it */
            (void) sqlite3_backup_finish(b->b);
            b->b = NULL;
            feat_backup_release(b);
            feat_backup_fail(b, "%s", rc == SQLITE_BUSY
                                      || rc == SQLITE_LOCKED
                                      ? "the copy stayed locked"
                                      : sqlite3_errmsg(b->dst));
            return FEAT_ERROR;
        }

        if (ms >= 0 && feat_backup_ms() >= until) {
            feat_backup_writeback(b);
            return FEAT_BUSY;
        }
    }
}


int
feat_backup_step(struct feat_backup *b, long ms)
{
    int  rc;

    for ( ;; ) {
        switch (b->phase) {

        case FEAT_BACKUP_COPY:
            if (b->b == NULL) {
                return FEAT_ERROR;      /* failed before: b->err says why */
            }
            rc = feat_backup_copy(b, ms);
            break;

        case FEAT_BACKUP_CHECK:
            rc = feat_backup_check_copy(b);
            break;

        case FEAT_BACKUP_SYNC:
            rc = feat_backup_sync(b);
            if (rc == FEAT_OK) {
                b->complete = 1;
            }
            break;

        default:
            return b->complete ? FEAT_OK : FEAT_ERROR;
        }

        if (rc != FEAT_OK) {
            if (rc == FEAT_ERROR) {
                b->phase = FEAT_BACKUP_DONE;
            }
            return rc;
        }

        b->phase++;

        if (b->phase == FEAT_BACKUP_DONE) {
            return FEAT_OK;
        }

        /* each phase in a call of its own, unless asked for the end */
        if (ms >= 0) {
            return FEAT_BUSY;
        }
    }
}


int
feat_backup_pages(const struct feat_backup *b)
{
    return b->pages;
}


const char *
feat_backup_error(const struct feat_backup *b)
{
    return b->err[0] != '\0' ? b->err : "unknown error";
}


const char *
feat_backup_name_of(const struct feat_backup *b)
{
    return b->name;
}


void
feat_backup_close(struct feat_backup *b)
{
    if (b == NULL) {
        return;
    }

    if (b->b != NULL) {
        sqlite3_backup_finish(b->b);
    }

    feat_backup_release(b);

    if (b->dst != NULL && sqlite3_close(b->dst) != SQLITE_OK) {
        feat_log(LOG_ERR, 0, "backup: closing %s failed", b->path);
        sqlite3_close_v2(b->dst);
    }

    if (b->fd != -1) {
        close(b->fd);
    }

    if (b->own != NULL) {
        sqlite3_close(b->own);
    }

    /* a copy that did not complete is no backup: nothing of it stays */
    if (!b->complete && !b->placed && b->path[0] != '\0') {
        feat_backup_unlink(b->path);
    }

    free(b);
}


void
feat_backup_unlink(const char *path)
{
    char    name[FEAT_BACKUP_PATH_MAX + 16];
    size_t  i;

    for (i = 0; i < FEAT_NELEMS(feat_backup_suffixes); i++) {
        snprintf(name, sizeof(name), "%s%s", path, feat_backup_suffixes[i]);
        (void) unlink(name);
    }
}


/* ---- scheduled backups ------------------------------------------------- */


int
feat_backup_is_name(const char *name, time_t *t)
{
    size_t      i;
    struct tm   tm;
    const char  *s;

    if (strlen(name) != FEAT_BACKUP_NAME_LEN
        || strncmp(name, FEAT_BACKUP_PREFIX, sizeof(FEAT_BACKUP_PREFIX) - 1)
           != 0)
    {
        return 0;
    }

    s = name + sizeof(FEAT_BACKUP_PREFIX) - 1;

    /* YYYYMMDD T HHMMSS Z */
    for (i = 0; i < FEAT_BACKUP_STAMP; i++) {
        if (i == 8) {
            if (s[i] != 'T') {
                return 0;
            }
        } else if (i == 15) {
            if (s[i] != 'Z') {
                return 0;
            }
        } else if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }

    if (strcmp(s + FEAT_BACKUP_STAMP, FEAT_BACKUP_SUFFIX) != 0) {
        return 0;
    }

    if (t != NULL) {
        memset(&tm, 0, sizeof(tm));
        tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100
                     + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
        tm.tm_mon = (s[4] - '0') * 10 + (s[5] - '0') - 1;
        tm.tm_mday = (s[6] - '0') * 10 + (s[7] - '0');
        tm.tm_hour = (s[9] - '0') * 10 + (s[10] - '0');
        tm.tm_min = (s[11] - '0') * 10 + (s[12] - '0');
        tm.tm_sec = (s[13] - '0') * 10 + (s[14] - '0');
        *t = timegm(&tm);
    }

    return 1;
}


/*
 * Whether name is "BASE.tmp-PID" or one of its journals, BASE being base
 * or, with base NULL, a scheduled backup's name: the pid, else 0.
 */
static long
feat_backup_temp_pid(const char *name, const char *base)
{
    long         pid;
    char        *end, stem[FEAT_BACKUP_PATH_MAX];
    size_t       i, len;
    const char  *tmp;

    tmp = strstr(name, ".tmp-");
    if (tmp == NULL || (size_t) (tmp - name) >= sizeof(stem)) {
        return 0;
    }

    len = (size_t) (tmp - name);
    memcpy(stem, name, len);
    stem[len] = '\0';

    if (base != NULL ? strcmp(stem, base) != 0
                     : !feat_backup_is_name(stem, NULL))
    {
        return 0;
    }

    if (tmp[5] < '0' || tmp[5] > '9') {
        return 0;
    }

    pid = strtol(tmp + 5, &end, 10);
    if (pid <= 0) {
        return 0;
    }

    for (i = 0; i < FEAT_NELEMS(feat_backup_suffixes); i++) {
        if (strcmp(end, feat_backup_suffixes[i]) == 0) {
            return pid;
        }
    }

    return 0;
}


void
feat_backup_unlink_stale(const char *dir, const char *base)
{
    long            pid;
    char            path[FEAT_BACKUP_PATH_MAX + 256];
    DIR            *d;
    struct dirent  *e;

    d = opendir(dir);
    if (d == NULL) {
        return;
    }

    while ((e = readdir(d)) != NULL) {
        pid = feat_backup_temp_pid(e->d_name, base);

        /* only what a process that is gone left behind */
        if (pid == 0 || pid == (long) getpid()
            || kill((pid_t) pid, 0) == 0 || errno != ESRCH)
        {
            continue;
        }

        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) == 0) {
            feat_log(LOG_NOTICE, 0, "backup: removed \"%s\", left by a "
                     "backup that was killed", path);
        }
    }

    closedir(d);
}


static int
feat_backup_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


/*
 * The scheduled backups' names in dir, sorted oldest first, into *names
 * (malloc'd, each malloc'd; free with feat_backup_names_free).  The count,
 * or -1 with errno.
 */
static long
feat_backup_names(const char *dir, char ***names)
{
    long            n, cap;
    char          **v, **nv;
    DIR            *d;
    struct dirent  *e;

    *names = NULL;

    d = opendir(dir);
    if (d == NULL) {
        return -1;
    }

    n = 0;
    cap = 0;
    v = NULL;

    while ((e = readdir(d)) != NULL) {
        if (!feat_backup_is_name(e->d_name, NULL)) {
            continue;
        }

        if (n == cap) {
            cap = cap == 0 ? 16 : cap * 2;
            nv = realloc(v, (size_t) cap * sizeof(char *));
            if (nv == NULL) {
                feat_log(LOG_EMERG, errno, "realloc() failed");
                abort();
            }
            v = nv;
        }

        v[n] = strdup(e->d_name);
        if (v[n] == NULL) {
            feat_log(LOG_EMERG, errno, "strdup() failed");
            abort();
        }
        n++;
    }

    closedir(d);

    if (n > 1) {
        qsort(v, (size_t) n, sizeof(char *), feat_backup_cmp);
    }

    *names = v;

    return n;
}


static void
feat_backup_names_free(char **names, long n)
{
    long  i;

    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
}


int
feat_backup_newest(const char *dir, char *name, size_t n, time_t *t)
{
    long    count;
    char  **names;

    count = feat_backup_names(dir, &names);
    if (count < 0) {
        return FEAT_ERROR;
    }

    if (count == 0) {
        free(names);
        return FEAT_DECLINED;
    }

    snprintf(name, n, "%s", names[count - 1]);
    (void) feat_backup_is_name(names[count - 1], t);

    feat_backup_names_free(names, count);

    return FEAT_OK;
}


long
feat_backup_prune(const char *dir, long keep)
{
    long    count, i, removed;
    char    path[FEAT_BACKUP_PATH_MAX + 64];
    char  **names;

    count = feat_backup_names(dir, &names);
    if (count < 0) {
        feat_log(LOG_ERR, errno, "backup: opendir(\"%s\") failed", dir);
        return -1;
    }

    removed = 0;

    for (i = 0; i + keep < count; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (unlink(path) == -1) {
            feat_log(LOG_ERR, errno, "backup: unlink(\"%s\") failed", path);
            continue;
        }
        feat_log(LOG_INFO, 0, "backup: removed %s (backup.keep %ld)",
                 names[i], keep);
        removed++;
    }

    feat_backup_names_free(names, count);

    return removed;
}


/* fsync of a directory, so that a rename in it is on disk. */
static int
feat_backup_sync_dir(const char *dir)
{
    int  fd, rc;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        return FEAT_ERROR;
    }

    rc = fsync(fd);
    close(fd);

    return rc == 0 ? FEAT_OK : FEAT_ERROR;
}


struct feat_backup *
feat_backup_start(const char *dir, time_t now, char *err, size_t n)
{
    int                  fd, rc;
    char                 stamp[FEAT_BACKUP_STAMP + 1];
    char                 path[FEAT_BACKUP_PATH_MAX];
    sqlite3             *src;
    struct tm            tm;
    struct stat          st;
    const char          *db;
    struct feat_backup  *b;

    if (strlen(dir) > FEAT_BACKUP_PATH_MAX - FEAT_BACKUP_NAME_LEN - 32) {
        snprintf(err, n, "backup.dir is too long");
        return NULL;
    }

    /* Said plainly, before SQLite would say "unable to open". */
    if (stat(dir, &st) == -1) {
        snprintf(err, n, "backup.dir \"%s\": %s", dir, strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, n, "backup.dir \"%s\" is not a directory", dir);
        return NULL;
    }

    feat_backup_unlink_stale(dir, NULL);

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);

    b = feat_backup_new();
    strcpy(b->dir, dir);
    snprintf(b->name, sizeof(b->name), FEAT_BACKUP_PREFIX "%s"
             FEAT_BACKUP_SUFFIX, stamp);
    snprintf(path, sizeof(path), "%s/%s.tmp-%ld", dir, b->name,
             (long) getpid());

    /*
     * The copy holds password hashes and tokens' hashes: created 0600,
     * and exclusively, so nothing is written through someone's symlink.
     */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0600);
    if (fd == -1) {
        snprintf(err, n, "cannot create %s: %s", path, strerror(errno));
        free(b);
        return NULL;
    }
    close(fd);

    /* From here b->path is set, and a failure removes the file. */
    db = feat_conf_path(FEAT_CONF_DATABASE);
    src = NULL;
    rc = sqlite3_open_v2(db, &src, SQLITE_OPEN_READWRITE
                                   | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, n, "cannot open the database %s: %s", db,
                 src != NULL ? sqlite3_errmsg(src) : sqlite3_errstr(rc));
        sqlite3_close(src);
        strcpy(b->path, path);
        feat_backup_close(b);
        return NULL;
    }

    sqlite3_busy_timeout(src, (int) feat_conf_int(FEAT_CONF_BUSY_TIMEOUT));
    b->own = src;

    if (feat_backup_begin(b, src, path) != FEAT_OK) {
        snprintf(err, n, "%s", b->err);
        if (b->path[0] == '\0') {
            strcpy(b->path, path);
        }
        feat_backup_close(b);
        return NULL;
    }

    return b;
}


int
feat_backup_place(struct feat_backup *b, long keep)
{
    char  final[sizeof(b->path) + 64];

    if (!b->complete || b->dir[0] == '\0') {
        feat_backup_fail(b, "the copy is not complete");
        return FEAT_ERROR;
    }

    snprintf(final, sizeof(final), "%s/%s", b->dir, b->name);

    if (rename(b->path, final) == -1) {
        feat_backup_fail(b, "rename %s to %s: %s", b->path, final,
                         strerror(errno));
        feat_backup_unlink(b->path);
        b->complete = 0;
        return FEAT_ERROR;
    }

    b->placed = 1;

    if (feat_backup_sync_dir(b->dir) != FEAT_OK) {
        /* the file is whole: only a crash now could lose its name */
        feat_log(LOG_ERR, errno, "backup: fsync of \"%s\" failed", b->dir);
    }

    if (feat_backup_prune(b->dir, keep) > 0) {
        (void) feat_backup_sync_dir(b->dir);
    }

    return FEAT_OK;
}


int
feat_backup_check(char *why, size_t n)
{
    int          fd;
    char         probe[FEAT_BACKUP_PATH_MAX + 64];
    long long    v;
    const char  *dir;
    struct stat  st;

    v = feat_conf_int(FEAT_CONF_BACKUP_INTERVAL);
    if (v < FEAT_BACKUP_INTERVAL_MIN || v > FEAT_BACKUP_INTERVAL_MAX) {
        snprintf(why, n, "\"backup.interval\" must be %d..%d seconds",
                 FEAT_BACKUP_INTERVAL_MIN, FEAT_BACKUP_INTERVAL_MAX);
        return FEAT_ERROR;
    }

    v = feat_conf_int(FEAT_CONF_BACKUP_KEEP);
    if (v < 1 || v > FEAT_BACKUP_KEEP_MAX) {
        snprintf(why, n, "\"backup.keep\" must be 1..%d",
                 FEAT_BACKUP_KEEP_MAX);
        return FEAT_ERROR;
    }

    dir = feat_conf_path(FEAT_CONF_BACKUP_DIR);
    if (dir[0] == '\0') {
        return FEAT_OK;
    }

    if (stat(dir, &st) == -1) {
        snprintf(why, n, "\"backup.dir\" \"%s\": %s: no backup can be "
                 "written", dir, strerror(errno));
        return FEAT_DECLINED;
    }

    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, n, "\"backup.dir\" \"%s\" is not a directory", dir);
        return FEAT_DECLINED;
    }

    /* access() first; then a file made and removed, which also finds what
     * access() cannot see (an immutable directory, a full file system's
     * inodes) */
    snprintf(probe, sizeof(probe), "%s/.featcgi-probe-%ld", dir,
             (long) getpid());
    fd = -1;
    if (access(dir, W_OK | X_OK) == -1
        || (fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                             | O_CLOEXEC, 0600)) == -1)
    {
        snprintf(why, n, "\"backup.dir\" \"%s\" is not writable: %s", dir,
                 strerror(errno));
        return FEAT_DECLINED;
    }

    close(fd);
    (void) unlink(probe);

    return FEAT_OK;
}
