/*
 * master.c: the supervising process.  It loads the config, applies the
 * migrations (with a connection it closes before fork), builds the route
 * table, binds the listen socket and forks the workers and the jobs
 * process.  Then it only supervises: it never serves a request.
 *
 * Signal handlers only write the signal's number into a self-pipe; the
 * loop reads it and acts outside signal context.  A child that dies is
 * logged (with the route it was running, from a shared scoreboard) and
 * replaced at once, unless its post keeps dying young: then the respawn
 * backs off, 1 s doubling to 30 s.  QUIT stops at once, HUP reloads the
 * config and replaces each worker by a new one forked before the old one
 * is told to retire (SIGQUIT: it ends after the request in hand, or is
 * killed 10 s later), so the socket always has acceptors, and the jobs
 * process by one that starts once the old one has ended (one at a time
 * delivers the outbox); USR1 reopens the logs here and in the children.
 * TERM/INT stop gracefully (stop.c); USR2 starts a new binary that takes
 * over the sockets, and WINCH from it makes this master hand over
 * (upgrade.c).  The memory shared with the children is shared.c's, and
 * master.h what these files share.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "process/master.h"

#define FEAT_JOBS_POST      FEAT_MAX_WORKERS            /* its post index */
#define FEAT_YOUNG          10      /* a death before this age counts */
#define FEAT_BACKOFF_MAX    30
#define FEAT_JOBS_LOOK      0.05    /* s between looks at an old jobs one */

/* A post is a worker number or the jobs process: what gets respawned. */
struct feat_post {
    int     deaths;                 /* young deaths in a row */
    int     pending;                /* waiting to be respawned */
    double  respawn_at;             /* monotonic seconds */
};

struct feat_child          feat_master_children[FEAT_MAX_CHILDREN];
int                        feat_master_workers;   /* both pools */
int                        feat_master_stopping;  /* FEAT_MASTER_* */

static const char         *feat_master_conf;
static int                 feat_master_pipe[2] = { -1, -1 };
static int                 feat_master_main_workers;
static unsigned char       feat_master_slot_used[FEAT_MAX_CHILDREN];
static struct feat_post    feat_master_posts[FEAT_MAX_WORKERS + 1];

/* The sender of the last SIGWINCH (an upgrade's new master). */
static volatile sig_atomic_t  feat_master_winch_from;

static int feat_master_migrate(void);

static const int  feat_master_signos[] = {
    SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH
};


double
feat_master_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}


static void
feat_master_signal(int signo, siginfo_t *si, void *context)
{
    int            saved;
    unsigned char  c;

    (void) context;

    /* Only async-signal-safe work here; a full pipe drops the byte, and
     * the SIGCHLD that follows any later death reaps this one too. */
    saved = errno;
    if (signo == SIGWINCH) {
        feat_master_winch_from = si != NULL ? (sig_atomic_t) si->si_pid : 0;
    }
    c = (unsigned char) signo;
    (void) write(feat_master_pipe[1], &c, 1);
    errno = saved;
}


static int
feat_master_signals(void)
{
    int               i, flags;
    size_t            k;
    struct sigaction  sa;

    if (pipe(feat_master_pipe) != 0) {
        feat_log(LOG_EMERG, errno, "pipe() failed");
        return FEAT_ERROR;
    }

    for (i = 0; i < 2; i++) {
        flags = fcntl(feat_master_pipe[i], F_GETFL);
        fcntl(feat_master_pipe[i], F_SETFL, flags | O_NONBLOCK);
        fcntl(feat_master_pipe[i], F_SETFD, FD_CLOEXEC);
    }

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_SIGINFO;
    sa.sa_sigaction = feat_master_signal;

    for (k = 0; k < FEAT_NELEMS(feat_master_signos); k++) {
        sigaction(feat_master_signos[k], &sa, NULL);
    }

    sa.sa_flags = 0;
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    return FEAT_OK;
}


void
feat_master_child_reset(void)
{
    size_t            k;
    struct sigaction  sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_DFL;

    for (k = 0; k < FEAT_NELEMS(feat_master_signos); k++) {
        sigaction(feat_master_signos[k], &sa, NULL);
    }

    /* "systemctl kill -s USR2" without --kill-whom=main reaches every
     * process of the unit: only the master upgrades. */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGUSR2, &sa, NULL);

    close(feat_master_pipe[0]);
    close(feat_master_pipe[1]);
}


const char *
feat_master_label(const struct feat_child *c, char *buf, size_t n)
{
    if (c->kind == FEAT_CHILD_JOBS) {
        snprintf(buf, n, "jobs process (pid %d)", (int) c->pid);
    } else {
        snprintf(buf, n, "worker %d (pid %d)", c->no, (int) c->pid);
    }

    return buf;
}


/* Forks a child for the post; FEAT_ERROR when fork or a table fails. */
static int
feat_master_spawn(int kind, int no)
{
    int                 i, slot, status, fd;
    pid_t               pid, master;
    sigset_t            all, old;
    struct feat_child  *c;

    c = NULL;
    for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
        if (feat_master_children[i].pid == 0) {
            c = &feat_master_children[i];
            break;
        }
    }

    slot = -1;
    if (kind == FEAT_CHILD_WORKER) {
        for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
            if (!feat_master_slot_used[i]) {
                slot = i;
                break;
            }
        }
    }

    if (c == NULL || (kind == FEAT_CHILD_WORKER && slot < 0)) {
        feat_log(LOG_ALERT, 0, "child table full");
        return FEAT_ERROR;
    }

    if (slot >= 0) {
        feat_master_board[slot * FEAT_SLOT_SIZE] = '\0';
    }

    /*
     * Signals stay blocked across fork so that none reaches the child
     * while it still has the master's handlers; the child unblocks them
     * once its own are in place.
     */
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    fflush(NULL);
    master = getpid();

    pid = fork();

    if (pid == 0) {
        feat_master_child_reset();

#ifdef __linux__
        /* A master killed outright takes its children along instead of
         * leaving them serving with nobody to supervise them. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != master) {
            exit(0);
        }
#endif

        if (kind == FEAT_CHILD_WORKER) {
            feat_worker_slot = feat_master_board + slot * FEAT_SLOT_SIZE;
            fd = (no > feat_master_main_workers && feat_listen_hash_fd() >= 0)
                 ? feat_listen_hash_fd() : feat_listen_fd_get();
            feat_listen_keep_only(fd);
            status = feat_worker_main(fd, no);

        } else {
            feat_listen_forget();
            status = feat_jobs_main();
        }

        exit(status);
    }

    sigprocmask(SIG_SETMASK, &old, NULL);

    if (pid < 0) {
        feat_log(LOG_ALERT, errno, "fork() failed");
        return FEAT_ERROR;
    }

    c->pid = pid;
    c->kind = kind;
    c->no = no;
    c->slot = slot;
    c->retiring = 0;
    c->retire_by = 0;
    clock_gettime(CLOCK_MONOTONIC, &c->started);

    if (slot >= 0) {
        feat_master_slot_used[slot] = 1;
    }

    return FEAT_OK;
}


static struct feat_post *
feat_master_post(int kind, int no)
{
    return &feat_master_posts[kind == FEAT_CHILD_JOBS ? FEAT_JOBS_POST
                                                      : no - 1];
}


/* Whether a jobs process runs, a retiring one included. */
static int
feat_master_jobs_running(void)
{
    int  i;

    for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
        if (feat_master_children[i].pid != 0
            && feat_master_children[i].kind == FEAT_CHILD_JOBS)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * Spawns the post's child now, or when that fails, in a second.  One jobs
 * process at a time delivers the outbox: a new one starts by putting the
 * rows left "sending" back to pending, which must not catch those another
 * is sending.  So it waits for a retiring one (a reload) and, in a new
 * master, for the old master to be gone; it is looked at again shortly.
 */
static void
feat_master_fill(int kind, int no)
{
    struct feat_post  *p;

    p = feat_master_post(kind, no);
    p->pending = 0;

    if (kind == FEAT_CHILD_JOBS
        && (feat_master_jobs_running() || feat_upgrade_waiting()))
    {
        p->pending = 1;
        p->respawn_at = feat_master_now() + FEAT_JOBS_LOOK;

    } else if (feat_master_spawn(kind, no) != FEAT_OK) {
        p->pending = 1;
        p->respawn_at = feat_master_now() + 1;
    }
}


static int
feat_master_crash_signal(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT
           || sig == SIGFPE || sig == SIGILL || sig == SIGSYS
           || sig == SIGTRAP;
}


void
feat_master_buried(struct feat_child *c, int status)
{
    int                level, sig, delay;
    long               uptime;
    char               label[64], route[FEAT_SLOT_SIZE + 32];
    struct timespec    now;
    struct feat_post  *p;

    clock_gettime(CLOCK_MONOTONIC, &now);
    uptime = (long) (now.tv_sec - c->started.tv_sec);
    feat_master_label(c, label, sizeof(label));

    route[0] = '\0';
    if (c->slot >= 0) {
        if (feat_master_board[c->slot * FEAT_SLOT_SIZE] != '\0') {
            snprintf(route, sizeof(route), " while running \"%.*s\"",
                     FEAT_SLOT_SIZE - 1,
                     feat_master_board + c->slot * FEAT_SLOT_SIZE);
        }
        feat_master_slot_used[c->slot] = 0;
    }

    if (WIFSIGNALED(status)) {
        sig = WTERMSIG(status);
        /* A crash is a bug; a kill from outside (or ours) is not. */
        level = feat_master_crash_signal(sig) ? LOG_ALERT
                : (c->retiring ? LOG_WARNING : LOG_ERR);
        feat_log(level, 0, "%s exited on signal %d after %ld s%s%s", label,
                 sig, uptime, route, WCOREDUMP(status) ? " (core dumped)"
                                                       : "");

    } else if (WEXITSTATUS(status) == 0 && c->retiring) {
        feat_log(LOG_INFO, 0, "%s exited after %ld s", label, uptime);

    } else {
        feat_log(LOG_ERR, 0, "%s exited with code %d after %ld s%s", label,
                 WEXITSTATUS(status), uptime, route);
    }

    if (c->retiring || feat_master_stopping) {
        c->pid = 0;
        return;
    }

    p = feat_master_post(c->kind, c->no);

    p->deaths = (uptime < FEAT_YOUNG) ? p->deaths + 1 : 1;

    delay = 0;
    if (p->deaths > 1) {
        delay = p->deaths - 2 < 5 ? 1 << (p->deaths - 2) : FEAT_BACKOFF_MAX;
        if (delay > FEAT_BACKOFF_MAX) {
            delay = FEAT_BACKOFF_MAX;
        }
        feat_log(LOG_WARNING, 0, "%s dies young: respawning in %d s", label,
                 delay);
    }

    p->pending = 1;
    p->respawn_at = feat_master_now() + delay;

    c->pid = 0;
}


void
feat_master_reap(void)
{
    int    i, status;
    pid_t  pid;

    for ( ;; ) {
        pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            return;
        }

        for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
            if (feat_master_children[i].pid == pid) {
                feat_master_buried(&feat_master_children[i], status);
                break;
            }
        }

        if (i == FEAT_MAX_CHILDREN) {
            (void) feat_upgrade_reaped(pid, status);
        }
    }
}


int
feat_master_alive(void)
{
    int  i, n;

    n = feat_upgrade_pending();
    for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
        n += feat_master_children[i].pid != 0;
    }

    return n;
}


/*
 * Workers from the config, bounded: the main pool's, and *hashing the
 * hashing pool's (0 without "hash_listen").  Numbers 1..main serve the
 * main socket, the ones above serve the hashing socket.  Their sum, or -1.
 */
static int
feat_master_worker_count(int *hashing)
{
    long long    n, h;
    const char  *hash_on;

    n = feat_conf_int(FEAT_CONF_WORKERS);
    if (n < 1 || n > FEAT_MAX_WORKERS) {
        feat_log(LOG_ERR, 0, "\"workers\" must be 1..%d", FEAT_MAX_WORKERS);
        return -1;
    }

    h = 0;
    hash_on = feat_conf_path(FEAT_CONF_HASH_LISTEN);
    if (hash_on != NULL && hash_on[0] != '\0') {
        h = feat_conf_int(FEAT_CONF_HASH_WORKERS);
        if (h < 1 || n + h > FEAT_MAX_WORKERS) {
            feat_log(LOG_ERR, 0, "\"hash_workers\" must be 1..%lld",
                     FEAT_MAX_WORKERS - n);
            return -1;
        }
    }

    if (feat_conf_int(FEAT_CONF_WORKER_CONNECTIONS) < 1
        || feat_conf_int(FEAT_CONF_WORKER_CONNECTIONS) > 65536)
    {
        feat_log(LOG_ERR, 0, "\"worker_connections\" must be 1..65536");
        return -1;
    }

    *hashing = (int) h;

    return (int) (n + h);
}


static void
feat_master_reload(void)
{
    int                 i, k, n, old_n, count, found, hashing;
    pid_t               old[FEAT_MAX_CHILDREN];
    const char         *err, *listen;
    struct feat_child  *c;

    feat_log(LOG_NOTICE, 0, "reloading %s", feat_master_conf);

    if (feat_conf_load(feat_master_conf, feat_modules, &err) != FEAT_OK) {
        feat_log(LOG_ERR, 0, "reload failed, keeping the old config: %s",
                 err);
        return;
    }

    feat_log_open();

    listen = feat_conf_path(FEAT_CONF_LISTEN);
    if (strcmp(listen, feat_listen_addr()) != 0) {
        feat_log(LOG_WARNING, 0, "\"listen\" changed to \"%s\": kept \"%s\" "
                 "until a restart", listen, feat_listen_addr());
    }

    listen = feat_conf_path(FEAT_CONF_HASH_LISTEN);
    if (strcmp(listen != NULL ? listen : "", feat_listen_hash_addr()) != 0) {
        feat_log(LOG_WARNING, 0, "\"hash_listen\" changed to \"%s\": kept "
                 "\"%s\" until a restart", listen != NULL ? listen : "",
                 feat_listen_hash_addr());
        feat_conf_set(FEAT_CONF_HASH_LISTEN, feat_listen_hash_addr());
    }

    n = feat_master_worker_count(&hashing);
    if (n < 0) {
        n = feat_master_workers;
        hashing = feat_master_workers - feat_master_main_workers;
    }

    /* The database may have been moved to a new file. */
    if (feat_master_migrate() != FEAT_OK) {
        feat_log(LOG_ERR, 0, "migrations failed on reload");
    }

    /* A new cap for the new workers (the old ones keep the old one). */
    if (feat_crypto_init_shared() != FEAT_OK) {
        feat_log(LOG_ERR, 0, "kept the old password hashing cap");
    }

    /* A fresh start for every post. */
    memset(feat_master_posts, 0, sizeof(feat_master_posts));

    /* Replacements below are numbered in the new pools' split. */
    feat_master_main_workers = n - hashing;

    count = 0;
    for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
        if (feat_master_children[i].pid != 0
            && !feat_master_children[i].retiring)
        {
            old[count++] = feat_master_children[i].pid;
        }
    }

    /*
     * Each old worker's replacement is forked before the old one hears
     * SIGQUIT, so the socket never lacks an acceptor; an old worker ends
     * after answering the request it holds, and leaves the queue to the
     * new ones.  The new jobs process waits for the old one to end
     * (feat_master_fill).
     */
    for (i = 0; i < count; i++) {
        c = NULL;
        for (k = 0; k < FEAT_MAX_CHILDREN; k++) {
            if (feat_master_children[k].pid == old[i]) {
                c = &feat_master_children[k];
                break;
            }
        }

        if (c == NULL) {
            continue;
        }

        if (c->kind == FEAT_CHILD_JOBS || c->no <= n) {
            feat_master_fill(c->kind, c->no);
        }

        feat_master_retire(c);
    }

    /* Posts that had no child (a backoff wait, a grown pool). */
    old_n = feat_master_workers;
    feat_master_workers = n;

    for (i = 1; i <= n; i++) {
        found = 0;
        for (k = 0; k < FEAT_MAX_CHILDREN; k++) {
            if (feat_master_children[k].pid != 0
                && !feat_master_children[k].retiring
                && feat_master_children[k].kind == FEAT_CHILD_WORKER
                && feat_master_children[k].no == i)
            {
                found = 1;
                break;
            }
        }

        if (!found) {
            feat_master_fill(FEAT_CHILD_WORKER, i);
        }
    }

    for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
        if (feat_master_children[i].pid != 0
            && !feat_master_children[i].retiring
            && feat_master_children[i].kind == FEAT_CHILD_JOBS)
        {
            break;
        }
    }

    if (i == FEAT_MAX_CHILDREN) {
        feat_master_fill(FEAT_CHILD_JOBS, 0);
    }

    feat_log(LOG_NOTICE, 0, "reloaded: %d workers (were %d)", n, old_n);
}


static void
feat_master_reopen(void)
{
    if (feat_log_open() == FEAT_OK) {
        feat_log(LOG_NOTICE, 0, "logs reopened");
    }
    feat_master_kill_kind(0, SIGUSR1);
}


/* Respawns the posts whose time has come. */
static void
feat_master_respawn(void)
{
    int                i;
    double             now;
    struct feat_post  *p;

    now = feat_master_now();

    for (i = 0; i <= FEAT_MAX_WORKERS; i++) {
        p = &feat_master_posts[i];

        if (!p->pending || p->respawn_at > now) {
            continue;
        }

        if (i == FEAT_JOBS_POST) {
            feat_master_fill(FEAT_CHILD_JOBS, 0);

        } else if (i < feat_master_workers) {
            feat_master_fill(FEAT_CHILD_WORKER, i + 1);

        } else {
            p->pending = 0;     /* the pool shrank meanwhile */
        }
    }
}


/* Milliseconds until the loop has something to do by itself, or -1. */
static int
feat_master_timeout(void)
{
    int     i;
    double  next, now;

    if (feat_master_stopping) {
        return feat_master_stop_timeout();
    }

    next = -1;

    for (i = 0; i <= FEAT_MAX_WORKERS; i++) {
        if (feat_master_posts[i].pending
            && (next < 0 || feat_master_posts[i].respawn_at < next))
        {
            next = feat_master_posts[i].respawn_at;
        }
    }

    for (i = 0; i < FEAT_MAX_CHILDREN; i++) {
        if (feat_master_children[i].pid != 0
            && feat_master_children[i].retire_by != 0
            && (next < 0 || feat_master_children[i].retire_by < next))
        {
            next = feat_master_children[i].retire_by;
        }
    }

    if (next < 0) {
        return -1;
    }

    now = feat_master_now();

    return next <= now ? 0 : (int) ((next - now) * 1000) + 1;
}


/* Applies the migrations with a connection that dies before any fork. */
static int
feat_master_migrate(void)
{
    int  rc, applied;

    if (feat_db_open() != FEAT_OK) {
        return FEAT_ERROR;
    }

    rc = feat_db_migrate(feat_db(), &applied);
    if (rc == FEAT_OK && applied > 0) {
        feat_log(LOG_NOTICE, 0, "%d migrations applied, schema version %d",
                 applied, feat_db_version(feat_db()));
    }

    feat_db_close();

    return rc;
}


static int
feat_master_init_modules(void)
{
    const struct feat_module *const  *m;

    for (m = feat_modules; *m != NULL; m++) {
        if ((*m)->init_master != NULL && (*m)->init_master() != FEAT_OK) {
            feat_log(LOG_EMERG, 0, "module %s: init_master failed",
                     (*m)->name);
            return FEAT_ERROR;
        }
    }

    return FEAT_OK;
}


static void
feat_master_cleanup(void)
{
    /* Sockets another master serves on stay, with their files. */
    if (feat_upgrade_sockets_ours()) {
        feat_listen_close();
    } else {
        feat_listen_leave();
    }
    feat_master_shared_free();
    feat_router_free();
}


/* Handles the signals the pipe holds; answers 1 when the master is done. */
static int
feat_master_signals_read(void)
{
    ssize_t        n, i;
    unsigned char  buf[64];

    for ( ;; ) {
        n = read(feat_master_pipe[0], buf, sizeof(buf));
        if (n <= 0) {
            return 0;
        }

        for (i = 0; i < n; i++) {
            switch (buf[i]) {

            case SIGCHLD:
                feat_master_reap();
                break;

            case SIGTERM:
            case SIGINT:
                feat_master_stop();
                break;

            case SIGQUIT:
                feat_log(LOG_NOTICE, 0, "fast stop: killing the children");
                feat_master_stopping = FEAT_MASTER_GRACE;
                feat_master_kill_wait();
                return 1;

            case SIGHUP:
                if (!feat_master_stopping) {
                    feat_notify_reload(feat_master_reload);
                }
                break;

            case SIGUSR1:
                feat_master_reopen();
                break;

            case SIGUSR2:
                feat_upgrade_start();
                break;

            case SIGWINCH:
                if (feat_upgrade_retire_asked(
                        (pid_t) feat_master_winch_from))
                {
                    feat_master_hand_over();
                }
                break;
            }
        }
    }
}


static int
feat_master_loop(void)
{
    int            rc;
    struct pollfd  pfd;

    for ( ;; ) {
        pfd.fd = feat_master_pipe[0];
        pfd.events = POLLIN;
        pfd.revents = 0;

        rc = poll(&pfd, 1, feat_master_timeout());
        if (rc < 0 && errno != EINTR) {
            feat_log(LOG_ALERT, errno, "poll() failed");
        }

        if (rc > 0 && feat_master_signals_read()) {
            return 0;
        }

        if (!feat_master_stopping) {
            feat_master_respawn();
            feat_master_retire_check();
            feat_master_publish();
            continue;
        }

        if (feat_master_stop_step()) {
            return 0;
        }
    }
}


int
feat_master_main(const char *conf_path, char **argv)
{
    int          i, rc, hashing;
    const char  *err;

    feat_master_conf = conf_path;
    feat_log_set_role("master");
    feat_upgrade_args_keep(argv);

    if (feat_conf_load(conf_path, feat_modules, &err) != FEAT_OK) {
        feat_log(LOG_EMERG, 0, "%s", err);
        return 1;
    }

    if (feat_log_open() != FEAT_OK || feat_upgrade_take_over() != FEAT_OK) {
        return 1;
    }

    feat_master_workers = feat_master_worker_count(&hashing);
    if (feat_master_workers < 0) {
        return 1;
    }
    feat_master_main_workers = feat_master_workers - hashing;

    if (feat_master_migrate() != FEAT_OK
        || feat_router_build(feat_modules) != FEAT_OK
        || feat_settings_init(feat_modules) != FEAT_OK
        || feat_master_init_modules() != FEAT_OK
        || feat_crypto_init_shared() != FEAT_OK)
    {
        feat_log(LOG_EMERG, 0, "featcgi not started");
        feat_router_free();
        return 1;
    }

    if (feat_master_shared_init(feat_master_workers) != FEAT_OK) {
        feat_router_free();
        return 1;
    }

    if (feat_master_signals() != FEAT_OK
        || feat_listen_open() != FEAT_OK
        || (feat_upgrade_sockets_ours() && feat_listen_write_pid() != FEAT_OK))
    {
        feat_log(LOG_EMERG, 0, "featcgi not started");
        feat_master_cleanup();
        return 1;
    }

    feat_log(LOG_NOTICE, 0, "featcgi %s started: %d workers, %d hashing",
             PACKAGE_VERSION, feat_master_main_workers,
             feat_master_workers - feat_master_main_workers);

    for (i = 1; i <= feat_master_workers; i++) {
        feat_master_fill(FEAT_CHILD_WORKER, i);
    }
    feat_master_fill(FEAT_CHILD_JOBS, 0);
    feat_master_publish();
    feat_upgrade_ready();

    rc = feat_master_loop();

    feat_master_cleanup();
    feat_log(LOG_NOTICE, 0, "featcgi stopped");

    return rc;
}
