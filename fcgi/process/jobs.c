/*
 * jobs.c: the jobs process.  One per pool, forked by the master beside the
 * workers and respawned like them; it never serves a request.  Every
 * jobs.interval seconds it runs the modules' sweeps (expired codes and
 * sessions, caches) and prunes old rate-limit events, and between them it
 * delivers the push outbox (delivery.c), all with the process's own SQLite
 * connection.  Every backup.interval seconds, when backup.dir is set, it
 * writes a backup there (store/backup.c) in slices of FEAT_JOBS_BACKUP_MS
 * between the loop's other duties, so a copy of a big database starves no
 * delivery.  Its signals stay blocked and are taken
 * only between sweeps by sigtimedwait(), so a stop never cuts a sweep in
 * the middle, and a stop that comes during one ends the next sleep at once
 * (and a backup under way, its temporary file removed).
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runtime.h"

#define FEAT_RATE_KEEP  86400       /* seconds of rate events kept */
#define FEAT_JOBS_TICK  200         /* ms between looks at the outbox */
/* ms of copying per loop turn while a backup runs (some 10 to 15 MB on
 * the 2-core test machine), the outbox looked at between two */
#define FEAT_JOBS_BACKUP_MS  50

/* The scheduled backups' state (backup.dir empty: dir is NULL). */
struct feat_jobs_backup {
    const char          *dir;
    long long            interval;  /* s */
    long                 keep;
    time_t               next;      /* the next one is due (unix s) */
    time_t               started;   /* of the copy under way */
    long long            began;     /* the same, monotonic ms */
    long long            longest;   /* ms of its longest slice */
    struct feat_backup  *copy;      /* NULL: none under way */
};


/* The master's handlers are not ours; ^C and the like are the master's. */
static void
feat_jobs_signals(void)
{
    size_t            i;
    struct sigaction  sa;
    static const int  ignored[] = { SIGPIPE, SIGINT, SIGHUP };
    static const int  deflt[] = { SIGTERM, SIGQUIT, SIGUSR1, SIGCHLD };

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);

    sa.sa_handler = SIG_IGN;
    for (i = 0; i < FEAT_NELEMS(ignored); i++) {
        sigaction(ignored[i], &sa, NULL);
    }

    sa.sa_handler = SIG_DFL;
    for (i = 0; i < FEAT_NELEMS(deflt); i++) {
        sigaction(deflt[i], &sa, NULL);
    }
}


/* Removes rate events nobody counts any more (windows are under a day). */
static void
feat_jobs_prune(sqlite3 *db, time_t now)
{
    if (feat_db_exec(db, "DELETE FROM rate_events WHERE at < ?", "i",
                     (sqlite3_int64) (now - FEAT_RATE_KEEP))
        != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "pruning rate events failed");
    }
}


/* The modules' sweeps, the rate events' and the audit log's pruning. */
static void
feat_jobs_sweep(sqlite3 *db)
{
    const struct feat_module *const  *m;

    for (m = feat_modules; *m != NULL; m++) {
        if ((*m)->sweep == NULL) {
            continue;
        }

        (*m)->sweep(db, feat_now());

        if (!sqlite3_get_autocommit(db)) {
            feat_log(LOG_ALERT, 0, "module %s: sweep left a "
                     "transaction open: rolled back", (*m)->name);
            feat_db_rollback(db);
        }
    }

    feat_jobs_prune(db, feat_now());
    (void) feat_audit_prune(db, feat_now());
}


static long long
feat_jobs_mono_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/*
 * Reads backup.* and schedules the first backup: backup.interval after the
 * newest one in backup.dir (a restart or a respawn does not make one
 * more), at once when there is none.  Off when backup.dir is empty.
 */
static void
feat_jobs_backup_init(struct feat_jobs_backup *jb)
{
    char         why[512], name[64];
    time_t       now, t;
    const char  *dir;

    memset(jb, 0, sizeof(*jb));

    /* a former jobs process of this pool may have died during a copy */
    if (feat_pool != NULL) {
        feat_pool->backup_running = 0;
    }

    dir = feat_conf_path(FEAT_CONF_BACKUP_DIR);
    if (dir[0] == '\0') {
        return;
    }

    jb->interval = feat_conf_int(FEAT_CONF_BACKUP_INTERVAL);
    jb->keep = (long) feat_conf_int(FEAT_CONF_BACKUP_KEEP);

    if (feat_backup_check(why, sizeof(why)) == FEAT_ERROR) {
        /* out of bounds: the defaults, as for jobs.interval */
        feat_log(LOG_ERR, 0, "%s: using 86400 s and 7", why);
        jb->interval = 86400;
        jb->keep = 7;
    }

    jb->dir = dir;
    now = time(NULL);
    jb->next = now;

    if (feat_backup_newest(dir, name, sizeof(name), &t) == FEAT_OK) {
        jb->next = (t < now ? t : now) + (time_t) jb->interval;

        /* what a former jobs process of this pool did is kept */
        if (feat_pool != NULL && feat_pool->backup_at == 0) {
            feat_pool->backup_at = (long long) t;
            feat_pool->backup_ok_at = (long long) t;
            feat_pool->backup_ok = 1;
            snprintf(feat_pool->backup_file, sizeof(feat_pool->backup_file),
                     "%s", name);
        }
    }
}


/* A backup that failed: logged with the reason, told to /healthz. */
static void
feat_jobs_backup_failed(struct feat_jobs_backup *jb, const char *why)
{
    feat_log(LOG_ERR, 0, "backup to \"%s\" failed: %s; next try in %lld s",
             jb->dir, why, jb->interval);

    if (feat_pool != NULL) {
        snprintf(feat_pool->backup_error, sizeof(feat_pool->backup_error),
                 "%s", why);
        feat_pool->backup_ok = 0;
        feat_pool->backup_at = (long long) jb->started;
        feat_pool->backup_running = 0;
    }
}


/*
 * One turn of the scheduled backups: starts one when it is due, or copies
 * a slice of the one under way, and places it once copied.  Answers 1
 * while a copy is under way (the loop then does not sleep), else 0.
 */
static int
feat_jobs_backup_run(struct feat_jobs_backup *jb)
{
    int          rc;
    char         err[512];
    long long    slice;
    const char  *name;

    if (jb->dir == NULL) {
        return 0;
    }

    if (jb->copy == NULL) {
        if (time(NULL) < jb->next) {
            return 0;
        }

        /* The name's time is taken before the snapshot begins: every
         * write committed before that second is in the copy. */
        jb->started = time(NULL);
        jb->began = feat_jobs_mono_ms();
        jb->longest = 0;
        jb->next = jb->started + (time_t) jb->interval;

        jb->copy = feat_backup_start(jb->dir, jb->started, err, sizeof(err));
        if (jb->copy == NULL) {
            feat_jobs_backup_failed(jb, err);
            return 0;
        }

        feat_log(LOG_INFO, 0, "backup: copying to %s/%s", jb->dir,
                 feat_backup_name_of(jb->copy));
        if (feat_pool != NULL) {
            feat_pool->backup_running = 1;
        }
    }

    /* the longest time the loop is held, logged: the last slice also
     * checks and syncs the copy, renames it and prunes the old ones */
    slice = feat_jobs_mono_ms();

    rc = feat_backup_step(jb->copy, FEAT_JOBS_BACKUP_MS);

    if (rc == FEAT_OK) {
        rc = feat_backup_place(jb->copy, jb->keep);
    }

    slice = feat_jobs_mono_ms() - slice;
    if (slice > jb->longest) {
        jb->longest = slice;
    }

    if (rc == FEAT_BUSY) {
        return 1;
    }

    if (rc != FEAT_OK) {
        /* the copy's files are gone before the failure is told: who
         * reads the log then finds nothing half-written */
        snprintf(err, sizeof(err), "%s", feat_backup_error(jb->copy));
        feat_backup_close(jb->copy);
        jb->copy = NULL;
        feat_jobs_backup_failed(jb, err);

        return 0;
    }

    name = feat_backup_name_of(jb->copy);
    feat_log(LOG_NOTICE, 0, "backup: %s/%s written (%d pages in %lld "
             "ms, the longest slice %lld ms)", jb->dir, name,
             feat_backup_pages(jb->copy), feat_jobs_mono_ms() - jb->began,
             jb->longest);

    if (feat_pool != NULL) {
        snprintf(feat_pool->backup_file, sizeof(feat_pool->backup_file),
                 "%s", name);
        feat_pool->backup_error[0] = '\0';
        feat_pool->backup_ok_at = (long long) jb->started;
        feat_pool->backup_ok = 1;
        feat_pool->backup_at = (long long) jb->started;
        feat_pool->backup_running = 0;
    }

    feat_backup_close(jb->copy);
    jb->copy = NULL;

    return 0;
}


/* A stop during a copy: nothing of it stays. */
static void
feat_jobs_backup_stop(struct feat_jobs_backup *jb)
{
    if (jb->copy == NULL) {
        return;
    }

    feat_backup_close(jb->copy);
    jb->copy = NULL;

    feat_log(LOG_NOTICE, 0, "backup: stopped during a copy, its temporary "
             "file removed");
    if (feat_pool != NULL) {
        feat_pool->backup_running = 0;
    }
}


/*
 * Sweeps when their interval has passed, and delivers the outbox.  A push
 * is queued by another process (a worker, featctl), which has no way to
 * signal this one: the master knows nothing of the database and featctl
 * may run with no master at all.  So the loop wakes every
 * FEAT_JOBS_TICK ms and reads SQLite's data_version, which moves whenever
 * another connection commits: one cheap PRAGMA, no query of the outbox
 * unless something was written or a retry came due.  A queued push then
 * starts draining within a tick.
 */
int
feat_jobs_main(void)
{
    int                               signo, stop, reopen, copying;
    long long                         interval, now, next_sweep, next_due;
    sigset_t                          work;
    sqlite3                          *db;
    sqlite3_int64                     version, v;
    struct timespec                   ts;
    struct feat_jobs_backup           backup;

    feat_log_set_role("jobs");
    feat_jobs_signals();

    /*
     * The stop and reopen signals stay blocked and are taken only by
     * sigtimedwait() between sweeps: one that comes during a sweep is
     * pending, so it still ends the next sleep at once.
     */
    sigemptyset(&work);
    sigaddset(&work, SIGTERM);
    sigaddset(&work, SIGQUIT);
    sigaddset(&work, SIGUSR1);
    sigprocmask(SIG_SETMASK, &work, NULL);

    interval = feat_conf_int(FEAT_CONF_JOBS_INTERVAL);
    if (interval < 1 || interval > 86400) {
        feat_log(LOG_WARNING, 0, "\"jobs.interval\" out of 1..86400: 30");
        interval = 30;
    }

    if (feat_db_open() != FEAT_OK) {
        return 1;
    }

    db = feat_db();
    stop = 0;
    reopen = 0;
    next_sweep = 0;
    next_due = 0;
    version = -1;

    /* rows a kill left sending go again, under their request ids */
    feat_delivery_start(db);

    feat_jobs_backup_init(&backup);

    while (!stop) {

        if (reopen) {
            reopen = 0;
            if (feat_log_open() == FEAT_OK) {
                feat_log(LOG_INFO, 0, "logs reopened");
            }
            /* and sweeps at once, as it always did */
            next_sweep = 0;
        }

        now = feat_now_ms();

        if (now >= next_sweep) {
            /* sweeps read per-app settings as requests do */
            feat_settings_refresh(db);
            feat_jobs_sweep(db);
            next_sweep = feat_now_ms() + interval * 1000;
            if (feat_pool != NULL) {
                feat_pool->jobs_sweep = (long long) time(NULL);  /* healthz */
            }
        }

        if (feat_db_int(db, &v, "PRAGMA data_version", NULL) == FEAT_OK
            && v != version)
        {
            /* a settings change may be among the commits: seen before
             * the rows it concerns are sent */
            version = v;
            next_due = 0;
            feat_settings_recheck();
        }

        if (feat_now_ms() >= next_due) {
            feat_settings_refresh(db);
            next_due = feat_delivery_run(db);

            if (!sqlite3_get_autocommit(db)) {
                feat_log(LOG_ALERT, 0, "delivery left a transaction open: "
                         "rolled back");
                feat_db_rollback(db);
            }
        }

        /* never asleep with the workers' write gate (store/gate.c) */
        feat_db_ungate(db);
        feat_db_checkpoint_due(db);

        /* a slice of a backup, or its start when it is due */
        copying = feat_jobs_backup_run(&backup);

        /* While a backup is copied the loop only looks for signals: the
         * slices themselves are the pace. */
        ts.tv_sec = 0;
        ts.tv_nsec = copying ? 0 : FEAT_JOBS_TICK * 1000000L;

        /* A signal cuts the sleep short; after a reopen, sweeping early
         * does no harm. */
        signo = sigtimedwait(&work, NULL, &ts);
        stop = (signo == SIGTERM || signo == SIGQUIT);
        reopen = (signo == SIGUSR1);
    }

    feat_jobs_backup_stop(&backup);
    feat_delivery_stop();
    feat_db_close();

    return 0;
}
