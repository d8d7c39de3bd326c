/*
 * gate.c: the write gate, a robust, process-shared mutex in the pool's
 * shared memory (feat_pool->write_gate, made by process/shared.c through
 * feat_db_gate_init before the first fork) that a featcgi child takes before
 * its BEGIN IMMEDIATE and drops when the transaction ends.  SQLite takes
 * its WAL write lock without waiting and its busy handler sleeps 1, 2, 5
 * ... 100 ms between tries, so under a steady write load the worker that
 * just committed takes the lock again for its next request long before a
 * sleeping one wakes: one waiter was seen to lose for half a second (the
 * refresh benchmark's p99, 502 ms), and with kept-alive connections every
 * request queued on that worker waits behind it.  On the gate a waiter
 * sleeps in the kernel and the unlock wakes it.  A write outside a
 * transaction takes it too (db.c's feat_db_vexec).  The gate only orders
 * featcgi's own children: SQLite's lock stays the one that counts, and
 * featctl and the master wait in the busy handler as before.  A holder
 * that dies hands the gate to the next (EOWNERDEAD); a wait past
 * busy_timeout goes on to SQLite's lock without it, where busy_timeout is
 * waited once more at most.
 *
 * Checkpoints.  SQLite's autocheckpoint runs inside the COMMIT that grows
 * the WAL past 1000 pages, and so inside the gate: the request that
 * crossed the mark waited for the copy and its fsyncs.  A child with a
 * gate notes the WAL's size in a WAL hook instead (which turns the
 * autocheckpoint off) and checkpoints once its answer is sent
 * (feat_db_checkpoint_due), taking the gate for it: a PASSIVE checkpoint
 * racing the writers never reached the WAL's end, so the WAL never
 * restarted and every commit checkpointed again (twice the CPU a refresh).
 * Processes without a gate (featctl) keep SQLite's autocheckpoint.
 */

#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "runtime.h"


#define FEAT_DB_CHECKPOINT_PAGES  1000     /* SQLite's autocheckpoint's */

static pthread_mutex_t  *feat_db_gate_m;  /* NULL: no pool, no gate */
static int               feat_db_gated;   /* this process holds it */
static int               feat_db_wal_pages;  /* the WAL after a commit */


int
feat_db_gate_init(pthread_mutex_t *m)
{
    int                  rc;
    pthread_mutexattr_t  attr;

    rc = pthread_mutexattr_init(&attr);
    if (rc == 0) {
        rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    }
    if (rc == 0) {
        rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    }
    if (rc == 0) {
        rc = pthread_mutex_init(m, &attr);
    }

    (void) pthread_mutexattr_destroy(&attr);

    if (rc != 0) {
        feat_log(LOG_EMERG, rc, "the write gate's mutex failed");
        return FEAT_ERROR;
    }

    feat_db_gate_m = m;

    return FEAT_OK;
}


void
feat_db_gate_off(void)
{
    feat_db_gate_m = NULL;
    feat_db_gated = 0;
}


void
feat_db_gate(void)
{
    int               rc;
    long long         ms;
    pthread_mutex_t  *m;
    struct timespec   until;

    m = feat_db_gate_m;

    if (m == NULL || feat_db_gated) {
        return;
    }

    rc = pthread_mutex_trylock(m);

    if (rc == EBUSY) {
        ms = feat_conf_int(FEAT_CONF_BUSY_TIMEOUT);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        rc = pthread_mutex_timedlock(m, &until);
    }

    if (rc == EOWNERDEAD) {
        /* its transaction died with it: SQLite rolls that back */
        (void) pthread_mutex_consistent(m);
        rc = 0;
    }

    feat_db_gated = (rc == 0);
}


void
feat_db_ungate(sqlite3 *db)
{
    if (feat_db_gated && (db == NULL || sqlite3_get_autocommit(db))) {
        feat_db_gated = 0;
        (void) pthread_mutex_unlock(feat_db_gate_m);
    }
}


static int
feat_db_wal_noted(void *data, sqlite3 *db, const char *name, int pages)
{
    (void) data;
    (void) db;
    (void) name;

    feat_db_wal_pages = pages;

    return SQLITE_OK;
}


void
feat_db_gate_wal(sqlite3 *db)
{
    if (feat_db_gate_m != NULL) {
        (void) sqlite3_wal_hook(db, feat_db_wal_noted, NULL);
    }
}


void
feat_db_checkpoint_due(sqlite3 *db)
{
    if (db == NULL || feat_db_wal_pages < FEAT_DB_CHECKPOINT_PAGES
        || !sqlite3_get_autocommit(db))
    {
        return;
    }

    feat_db_wal_pages = 0;

    /* BUSY (another process checkpoints) leaves it to that one */
    feat_db_gate();
    (void) sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                     NULL, NULL);
    feat_db_ungate(db);
}
