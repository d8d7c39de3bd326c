/*
 * master.h: what the master's own files share and nobody else uses:
 * master.c (signals, forks, reaps, respawns, reload, the loop), stop.c
 * (how children end: a stop, a reload's retirement, an upgrade's hand
 * over), shared.c (the memory shared with the children: the scoreboard
 * and struct feat_pool_state), upgrade.c (a new binary on SIGUSR2).
 * The table of children lives in master.c; the other files read and
 * change it through what is declared here.  The rest of the runtime sees
 * the master through runtime.h only.
 */

#ifndef FEAT_MASTER_H
#define FEAT_MASTER_H

#include <sys/types.h>
#include <time.h>

#define FEAT_MAX_WORKERS    256
#define FEAT_MAX_CHILDREN   (2 * FEAT_MAX_WORKERS + 2)   /* reload: old+new */
#define FEAT_STOP_WAIT      10      /* seconds before TERM becomes KILL */

#define FEAT_CHILD_WORKER   1
#define FEAT_CHILD_JOBS     2

/* feat_master_stopping: serving, or how far a stop has come. */
#define FEAT_MASTER_SERVING  0
#define FEAT_MASTER_GRACE    1      /* TERM: serving on for a grace */
#define FEAT_MASTER_DRAIN    2      /* the socket's name gone, queue taken */
#define FEAT_MASTER_HANDOVER 3      /* a new master serves: workers retire */

struct feat_child {
    pid_t            pid;           /* 0: a free entry */
    int              kind;
    int              no;            /* worker number from 1; jobs 0 */
    int              slot;          /* scoreboard slot, -1 for jobs */
    int              retiring;      /* told to stop: not to be replaced */
    double           retire_by;     /* killed if still running then; 0 */
    struct timespec  started;
};


/* ---- master.c ------------------------------------------------------------ */

extern struct feat_child  feat_master_children[FEAT_MAX_CHILDREN];
extern int                feat_master_workers;      /* both pools */
extern int                feat_master_stopping;     /* FEAT_MASTER_* */

/* Monotonic seconds. */
double feat_master_now(void);
/* "worker 3 (pid 123)" or "jobs process (pid 124)" into buf; answers buf. */
const char *feat_master_label(const struct feat_child *c, char *buf,
    size_t n);
/* Logs how c ended (status from waitpid) and frees its entry; unless it
 * was retired or the master stops, plans its replacement. */
void feat_master_buried(struct feat_child *c, int status);
/* Reaps every child that has ended, without waiting. */
void feat_master_reap(void);
/* How many children run (a new master that is starting counts). */
int feat_master_alive(void);
/* In a new child: the master's handlers and self-pipe are not its own
 * (SIGUSR2 ignored: it is the master's alone). */
void feat_master_child_reset(void);


/* ---- stop.c -------------------------------------------------------------- */

/* Signals every child (of a kind: FEAT_CHILD_*, or 0 for both). */
void feat_master_kill_kind(int kind, int sig);
/* SIGKILL to every child, then waits for them all. */
void feat_master_kill_wait(void);
/* Tells c to retire (SIGQUIT: it ends after the request in hand), and
 * plans its kill FEAT_STOP_WAIT s later. */
void feat_master_retire(struct feat_child *c);
/* Kills the retirees that outlived their deadline. */
void feat_master_retire_check(void);
/* TERM/INT: begins a graceful stop (nothing when one runs). */
void feat_master_stop(void);
/* One look at a stopping pool; answers 1 when the master is done. */
int feat_master_stop_step(void);
/* Milliseconds until a stopping pool needs a look (-1: none). */
int feat_master_stop_timeout(void);
/* A new master serves (upgrade.c): the workers retire as in a reload,
 * the jobs process stops, and the master exits once they are gone,
 * leaving the sockets to the new one. */
void feat_master_hand_over(void);


/* ---- shared.c ------------------------------------------------------------ */

/* The scoreboard: FEAT_SLOT_SIZE bytes for each of FEAT_MAX_CHILDREN
 * slots, "METHOD PATTERN" of the route a worker runs, "" when idle. */
extern char  *feat_master_board;

/* Maps the scoreboard and the pool state (workers wanted): FEAT_OK, or
 * FEAT_ERROR (logged, nothing left mapped). */
int feat_master_shared_init(int workers);
/* Unmaps both (nothing when they are not mapped). */
void feat_master_shared_free(void);
/* Writes what /healthz shows of the pool: workers wanted and serving,
 * the jobs process's pid. */
void feat_master_publish(void);


/* ---- upgrade.c ----------------------------------------------------------- */

/* At start, before the config sets TZ: notes the binary's path, the
 * arguments (argv as main got it) and TZ for a later upgrade. */
void feat_upgrade_args_keep(char **argv);
/* In a new master started by an upgrade (FEATCGI_UPGRADE), once the logs
 * are open: checks that it names the parent and takes over the sockets.
 * FEAT_OK (also in any other start), or FEAT_ERROR (logged): not
 * started. */
int feat_upgrade_take_over(void);
/* SIGUSR2: checks the binary (-t) and starts it as the new master; a
 * refusal, or an upgrade already under way, is logged and nothing
 * happens. */
void feat_upgrade_start(void);
/* A child reaped: 1 when it was the new master, before it was ready
 * (logged: this master serves on), else 0. */
int feat_upgrade_reaped(pid_t pid, int status);
/* SIGWINCH from pid from: 1 when it is the new master asking this one
 * to retire (then feat_master_hand_over), else 0 (logged, ignored). */
int feat_upgrade_retire_asked(pid_t from);
/* Old master: 1 while a new master is starting. */
int feat_upgrade_pending(void);
/* Old master, stopping: sends sig to a new master that is starting. */
void feat_upgrade_abandon(int sig);
/* 0 when another master serves on this one's sockets (this one handed
 * over, or took them over and is not ready yet): they are not to be
 * removed. */
int feat_upgrade_sockets_ours(void);
/* Where a start is ready: READY=1; in a new master, the pid file and
 * SIGWINCH to the old master instead. */
void feat_upgrade_ready(void);
/* New master: 1 while the old master runs (no jobs process yet, no
 * upgrade of its own). */
int feat_upgrade_waiting(void);


#endif /* FEAT_MASTER_H */
