/*
 * stop.c: how the master's children end.  A reload retires a child with
 * SIGQUIT (it ends after the request in hand and leaves the queue to its
 * replacement) and kills it if it still runs 10 s later; a fast stop
 * (QUIT) kills them all and waits.
 *
 * TERM/INT stop gracefully, in two steps.  First the workers go on serving
 * for a grace of at most a second, so that a request nginx already holds
 * can still connect; the grace ends early once the pool is idle (nothing
 * answered for 100 ms, no worker in a handler, nothing queued).  Then the
 * socket's file is removed, so no new connection can queue, and the
 * workers hear SIGTERM: each finishes the request in hand, takes every
 * connection still queued, and exits when the queue is empty; KILL comes
 * 10 s later.  A stop thus leaves nothing accepted and unanswered.  The
 * jobs process serves nobody and hears SIGTERM at once.
 *
 * An upgrade's hand over (upgrade.c) is a reload's retirement of every
 * child with nobody to replace them here: the new master's workers serve
 * on the same sockets, so nothing is unlinked.  The master exits once its
 * children are gone, killing those that outlive FEAT_STOP_WAIT.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "runtime.h"
#include "process/master.h"

#define FEAT_STOP_GRACE     1.0     /* seconds of serving on after TERM */
#define FEAT_STOP_IDLE      0.1     /* ... or until idle for this long */
#define FEAT_STOP_TICK      20      /* ms between looks at the pool */

static double              feat_stop_deadline;
static double              feat_stop_quiet_since;
static unsigned long long  feat_stop_served;


void
feat_master_kill_kind(int kind, int sig)
{
    int  i;

    for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
        if (feat_master_children[i].pid != 0
            && (kind == 0 || feat_master_children[i].kind == kind))
        {
            kill(feat_master_children[i].pid, sig);
        }
    }
}


void
feat_master_kill_wait(void)
{
    int    i, status;
    pid_t  pid;

    feat_master_kill_kind(0, SIGKILL);
    feat_upgrade_abandon(SIGKILL);

    while (feat_master_alive() > 0) {
        pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;              /* ECHILD: nothing more to wait for */
        }

        for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
            if (feat_master_children[i].pid == pid) {
                feat_master_children[i].retiring = 1;
                feat_master_buried(&feat_master_children[i], status);
                break;
            }
        }

        if (i == FEAT_MAX_CHILDREN) {
            (void) feat_upgrade_reaped(pid, status);
        }
    }

    memset(feat_master_children, 0, sizeof(feat_master_children));
}


void
feat_master_retire(struct feat_child *c)
{
    c->retiring = 1;
    c->retire_by = feat_master_now() + FEAT_STOP_WAIT;
    kill(c->pid, SIGQUIT);
}


void
feat_master_retire_check(void)
{
    int                 i;
    char                label[64];
    double              now;
    struct feat_child  *c;

    now = feat_master_now();

    for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
        c = &feat_master_children[i];
        if (c->pid == 0 || c->retire_by == 0 || c->retire_by > now) {
            continue;
        }

        feat_log(LOG_WARNING, 0, "%s still running %d s after it was "
                 "retired: killing it", feat_master_label(c, label,
                 sizeof(label)), FEAT_STOP_WAIT);
        kill(c->pid, SIGKILL);
        c->retire_by = 0;
    }
}


void
feat_master_stop(void)
{
    int  i;

    if (feat_master_stopping) {
        return;
    }

    feat_log(LOG_NOTICE, 0, "stopping: serving on for up to %.1f s, then "
             "waiting up to %d s for the children", FEAT_STOP_GRACE,
             FEAT_STOP_WAIT);

    feat_master_stopping = FEAT_MASTER_GRACE;
    (void) feat_notify("STOPPING=1");
    feat_stop_deadline = feat_master_now() + FEAT_STOP_GRACE;
    feat_stop_quiet_since = feat_master_now();
    feat_stop_served = feat_pool->served;
    feat_pool->stopping = 1;

    for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
        feat_master_children[i].retiring = 1;
        feat_master_children[i].retire_by = 0;
    }

    /* The jobs process serves nobody: it may go at once. */
    feat_master_kill_kind(FEAT_CHILD_JOBS, SIGTERM);

    /* A new master that is starting goes too: nobody is left to stop it. */
    feat_upgrade_abandon(SIGTERM);
}


void
feat_master_hand_over(void)
{
    int  i;

    feat_log(LOG_NOTICE, 0, "upgrade: handing over: the workers finish "
             "the requests in hand, then this master exits, leaving the "
             "sockets to the new one");

    feat_master_stopping = FEAT_MASTER_HANDOVER;
    feat_stop_deadline = feat_master_now() + FEAT_STOP_WAIT;

    for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
        feat_master_children[i].retiring = 1;
        feat_master_children[i].retire_by = 0;
    }

    /*
     * Retired as a reload retires them (SIGQUIT): the queue stays for the
     * new workers, who share the socket.  The jobs process stops now; the
     * new master starts its own once this one has exited.
     */
    feat_master_kill_kind(FEAT_CHILD_JOBS, SIGTERM);
    feat_master_kill_kind(FEAT_CHILD_WORKER, SIGQUIT);
}


/* Whether a worker runs a handler now (its scoreboard slot is set). */
static int
feat_stop_busy(void)
{
    int  i;

    for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
        if (feat_master_children[i].pid != 0
            && feat_master_children[i].slot >= 0
            && feat_master_board[feat_master_children[i].slot
                                 * FEAT_SLOT_SIZE] != '\0')
        {
            return 1;
        }
    }

    return 0;
}


/*
 * The grace after TERM: ends at its deadline, or once nothing was answered
 * for FEAT_STOP_IDLE, no handler runs and nothing waits on the socket.
 * Then the socket's file goes and the workers take the queue and exit.
 */
static void
feat_stop_grace(void)
{
    int            i, fd;
    double         now;
    struct pollfd  pfd;

    now = feat_master_now();

    if (feat_pool->served != feat_stop_served) {
        feat_stop_served = feat_pool->served;
        feat_stop_quiet_since = now;
    }

    if (now < feat_stop_deadline) {
        if (now - feat_stop_quiet_since < FEAT_STOP_IDLE || feat_stop_busy())
        {
            return;
        }

        for (i = 0; i < 2; i++) {
            fd = (i == 0) ? feat_listen_fd_get() : feat_listen_hash_fd();
            if (fd < 0) {
                continue;
            }
            pfd.fd = fd;
            pfd.events = POLLIN;
            pfd.revents = 0;
            if (poll(&pfd, 1, 0) > 0) {
                return;         /* a connection waits: not idle */
            }
        }
    }

    feat_listen_unlink();

    feat_master_stopping = FEAT_MASTER_DRAIN;
    feat_stop_deadline = now + FEAT_STOP_WAIT;
    feat_master_kill_kind(FEAT_CHILD_WORKER, SIGTERM);
}


int
feat_master_stop_step(void)
{
    /* A reap may have come without its byte. */
    feat_master_reap();
    feat_master_publish();

    if (feat_master_alive() == 0) {
        return 1;
    }

    if (feat_master_stopping == FEAT_MASTER_GRACE) {
        feat_stop_grace();
        return 0;
    }

    if (feat_master_now() >= feat_stop_deadline) {
        feat_log(LOG_WARNING, 0, "children still running after %d s: "
                 "killing them", FEAT_STOP_WAIT);
        feat_master_kill_wait();
        return 1;
    }

    return 0;
}


int
feat_master_stop_timeout(void)
{
    double  now;

    if (feat_master_stopping == FEAT_MASTER_GRACE) {
        return FEAT_STOP_TICK;          /* the grace looks at the pool */
    }

    now = feat_master_now();

    return feat_stop_deadline <= now
           ? 0 : (int) ((feat_stop_deadline - now) * 1000) + 1;
}
