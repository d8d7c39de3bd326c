/*
 * shared.c: the memory the master shares with every child it forks,
 * mapped once before the first fork (MAP_SHARED | MAP_ANONYMOUS, so a
 * child sees the same pages and nothing else can).  Two parts:
 *   - the scoreboard, one slot per worker: the worker writes "METHOD
 *     PATTERN" of the route it runs before the handler and clears it
 *     after; the master logs it when the worker dies by a signal, and a
 *     stop's grace reads it to see whether a handler runs;
 *   - struct feat_pool_state (runtime.h): the master writes the workers it
 *     wants and has and the jobs process's pid, the jobs process the end
 *     of its last sweep, every worker the requests it answered; /healthz
 *     (health.c) reads it.
 * Words written by one process and read by others, each on its own: no
 * lock.  The one lock in it is the children's write gate (store/gate.c), a
 * robust process-shared mutex made here.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "runtime.h"
#include "process/master.h"

char                     *feat_worker_slot;
struct feat_pool_state   *feat_pool;
char                     *feat_master_board;


int
feat_master_shared_init(int workers)
{
    feat_master_board = mmap(NULL, FEAT_MAX_CHILDREN * FEAT_SLOT_SIZE,
                             PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (feat_master_board == MAP_FAILED) {
        feat_log(LOG_EMERG, errno, "mmap(scoreboard) failed");
        feat_master_board = NULL;
        return FEAT_ERROR;
    }

    feat_pool = mmap(NULL, sizeof(struct feat_pool_state),
                     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
                     0);
    if (feat_pool == MAP_FAILED) {
        feat_log(LOG_EMERG, errno, "mmap(pool state) failed");
        feat_pool = NULL;
        feat_master_shared_free();
        return FEAT_ERROR;
    }

    memset((void *) feat_pool, 0, sizeof(struct feat_pool_state));
    feat_pool->started = (long long) time(NULL);
    feat_pool->workers = workers;

    if (feat_db_gate_init(&feat_pool->write_gate) != FEAT_OK) {
        feat_master_shared_free();
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


void
feat_master_shared_free(void)
{
    if (feat_master_board != NULL) {
        munmap(feat_master_board, FEAT_MAX_CHILDREN * FEAT_SLOT_SIZE);
        feat_master_board = NULL;
    }

    if (feat_pool != NULL) {
        feat_db_gate_off();
        munmap((void *) feat_pool, sizeof(struct feat_pool_state));
        feat_pool = NULL;
    }
}


void
feat_master_publish(void)
{
    int                 i, alive, jobs, retiring;
    struct feat_child  *c;

    alive = 0;
    jobs = 0;
    retiring = 0;

    for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
        c = &feat_master_children[i];
        if (c->pid == 0) {
            continue;
        }
        if (c->kind == FEAT_CHILD_JOBS) {
            if (c->retiring) {
                retiring = (int) c->pid;
            } else {
                jobs = (int) c->pid;
            }
        } else if (!c->retiring) {
            alive++;
        }
    }

    /* A reload's new jobs process waits for the old one to end: until
     * then the old one is the pool's. */
    if (jobs == 0 && !feat_master_stopping) {
        jobs = retiring;
    }

    feat_pool->workers = feat_master_workers;
    feat_pool->alive = alive;
    feat_pool->jobs_pid = jobs;
}
