/*
 * jobs.c: the jobs process.  One per pool, forked by the master beside the
 * workers and respawned like them; it never serves a request.  Every
 * jobs.interval seconds it runs the modules' sweeps (expired codes and
 * sessions, caches) and prunes old rate-limit events, and between them it
 * delivers the push outbox (delivery.c), all with the process's own SQLite
 * connection.  Its signals stay blocked and are taken
 * only between sweeps by sigtimedwait(), so a stop never cuts a sweep in
 * the middle, and a stop that comes during one ends the next sleep at once.
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <time.h>

#include "runtime.h"

#define FEAT_RATE_KEEP  86400       /* seconds of rate events kept */
#define FEAT_JOBS_TICK  200         /* ms between looks at the outbox */


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
    int                               signo, stop, reopen;
    long long                         interval, now, next_sweep, next_due;
    sigset_t                          work;
    sqlite3                          *db;
    sqlite3_int64                     version, v;
    struct timespec                   ts;

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

        ts.tv_sec = 0;
        ts.tv_nsec = FEAT_JOBS_TICK * 1000000L;

        /* A signal cuts the sleep short; after a reopen, sweeping early
         * does no harm. */
        signo = sigtimedwait(&work, NULL, &ts);
        stop = (signo == SIGTERM || signo == SIGQUIT);
        reopen = (signo == SIGUSR1);
    }

    feat_delivery_stop();
    feat_db_close();

    return 0;
}
