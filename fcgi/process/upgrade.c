/*
 * upgrade.c: a binary upgrade with no failed request, nginx's way.
 *
 * SIGUSR2 makes the master run the binary at the path it was started from
 * (argv[0] made absolute at start, symlinks kept: the file a package
 * upgrade put at that path is what runs, never the old inode), with the
 * same arguments.  First with -t added: a binary that does not run, or
 * refuses the config or the database, is logged with what it said, and
 * nothing else happens.  Then the master forks and execs it; the listening
 * sockets stay open across the exec, named in the environment
 * (FEATCGI_LISTEN, FEATCGI_HASH_LISTEN: listen.c), and FEATCGI_UPGRADE
 * names the old master.  The new master binds and removes none of them;
 * it starts its workers on the same sockets and, where a start says
 * READY=1, writes the pid file and sends SIGWINCH to the old master.
 *
 * The old master then hands over (stop.c): its workers finish the request
 * in hand and leave what is queued to the new ones (they share the
 * socket), its jobs process stops, and it exits without removing the
 * sockets.  systemd learns the new main process from the pid file
 * (PIDFile=) when the old one exits, as with a forking daemon: the new
 * master is its child by then.  A MAINPID= message would have named it
 * while it was still the old master's child, which systemd then never
 * waits for (at a stop it sends SIGTERM and at once SIGKILL); so under a
 * service manager (NOTIFY_SOCKET) an upgrade needs "pid_file".  The new
 * master starts its jobs process only once the old master has exited, so
 * that one jobs process at a time delivers the outbox (a jobs process
 * resolves every row it claimed before it stops: none is left "sending"
 * for the new one to send again).
 *
 * A new master that exits before it is ready leaves the old one serving,
 * which logs how it ended.  A second SIGUSR2 while an upgrade is under way
 * (a new master starting, or an old one not yet gone) is ignored with a
 * log line.  SIGWINCH from anyone but the new master is ignored too.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime.h"
#include "process/master.h"

#define FEAT_UPGRADE_ENV        "FEATCGI_UPGRADE"
#define FEAT_UPGRADE_ARGS       64      /* the master's arguments, at most */
#define FEAT_UPGRADE_CHECK_WAIT 60000   /* ms the -t check may take */

static char    feat_upgrade_path[PATH_MAX];  /* "": unknown */
static char   *feat_upgrade_args[FEAT_UPGRADE_ARGS + 2];
static char   *feat_upgrade_tz;         /* TZ at start; NULL: unset */
static pid_t   feat_upgrade_child;      /* old master: the new one, starting */
static int     feat_upgrade_dropped;    /* old master: ... and told to stop */
static int     feat_upgrade_over;       /* old master: handed over */
static pid_t   feat_upgrade_from;       /* new master: the old one, running */
static int     feat_upgrade_ready_yet;  /* new master: it told the old one */


/* feat_upgrade_path = a b c: FEAT_OK, or FEAT_ERROR ("") when too long. */
static int
feat_upgrade_set(const char *a, const char *b, const char *c)
{
    int  n;

    n = snprintf(feat_upgrade_path, sizeof(feat_upgrade_path), "%s%s%s", a,
                 b, c);
    if (n < 0 || (size_t) n >= sizeof(feat_upgrade_path)) {
        feat_upgrade_path[0] = '\0';
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/*
 * The binary this master was started as, made absolute now, before
 * anything could change the working directory: argv[0] with a slash,
 * else the first match in PATH, else /proc/self/exe's target.
 */
static void
feat_upgrade_find_path(const char *argv0)
{
    char         cwd[PATH_MAX], dir[PATH_MAX];
    size_t       len;
    ssize_t      n;
    const char  *path, *end;

    feat_upgrade_path[0] = '\0';

    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        cwd[0] = '\0';
    }

    if (argv0 != NULL && strchr(argv0, '/') != NULL) {
        if (argv0[0] == '/') {
            (void) feat_upgrade_set(argv0, "", "");
        } else if (cwd[0] != '\0') {
            (void) feat_upgrade_set(cwd, "/", argv0);
        }
        return;
    }

    /* As execvp() found it; a relative entry of PATH is passed over
     * (/proc/self/exe then tells). */
    path = getenv("PATH");

    while (argv0 != NULL && argv0[0] != '\0' && path != NULL
           && path[0] != '\0')
    {
        end = strchr(path, ':');
        len = end != NULL ? (size_t) (end - path) : strlen(path);

        if (len > 0 && len < sizeof(dir) && path[0] == '/') {
            memcpy(dir, path, len);
            dir[len] = '\0';

            if (feat_upgrade_set(dir, "/", argv0) == FEAT_OK
                && access(feat_upgrade_path, X_OK) == 0)
            {
                return;
            }
        }

        path = end != NULL ? end + 1 : "";
    }

    n = readlink("/proc/self/exe", feat_upgrade_path,
                 sizeof(feat_upgrade_path) - 1);
    feat_upgrade_path[n > 0 ? n : 0] = '\0';
}


void
feat_upgrade_args_keep(char **argv)
{
    int          i;
    const char  *tz;

    feat_upgrade_find_path(argv[0]);

    /* argv[0] becomes the path found, so that the next master finds it
     * again whatever PATH it gets. */
    feat_upgrade_args[0] = feat_upgrade_path;
    for (i = 1; argv[i] != NULL && i < FEAT_UPGRADE_ARGS; i++) {
        feat_upgrade_args[i] = argv[i];
    }
    feat_upgrade_args[i] = NULL;

    if (argv[i] != NULL) {
        feat_upgrade_path[0] = '\0';    /* cannot be run again as it was */
    }

    /* The config sets TZ to the apps' zone; the next master must start in
     * the zone this one started in, which its logs are stamped in. */
    tz = getenv("TZ");
    if (tz != NULL) {
        feat_upgrade_tz = strdup(tz);
        if (feat_upgrade_tz == NULL) {
            abort();
        }
    }
}


int
feat_upgrade_take_over(void)
{
    long         pid;
    char        *end;
    const char  *env;

    env = getenv(FEAT_UPGRADE_ENV);
    if (env == NULL) {
        return FEAT_OK;
    }

    errno = 0;
    pid = strtol(env, &end, 10);

    if (errno != 0 || end == env || *end != '\0' || pid <= 1
        || (pid_t) pid != getppid())
    {
        feat_log(LOG_EMERG, 0, "%s=\"%s\" does not name this master's "
                 "parent (pid %d): not started", FEAT_UPGRADE_ENV, env,
                 (int) getppid());
        return FEAT_ERROR;
    }

    unsetenv(FEAT_UPGRADE_ENV);
    feat_upgrade_from = (pid_t) pid;

    feat_log(LOG_NOTICE, 0, "upgrade: taking over from the old master "
             "(pid %d)", (int) pid);

    return feat_listen_inherit();
}


/* Whether this master may run another: logs why not. */
static int
feat_upgrade_allowed(void)
{
    const char  *pid_file;

    if (feat_upgrade_child != 0) {
        feat_log(LOG_NOTICE, 0, "upgrade: the new master (pid %d) is still "
                 "starting: SIGUSR2 ignored", (int) feat_upgrade_child);
        return 0;
    }

    if (feat_upgrade_waiting()) {
        feat_log(LOG_NOTICE, 0, "upgrade: the old master (pid %d) has not "
                 "exited yet: SIGUSR2 ignored", (int) feat_upgrade_from);
        return 0;
    }

    if (feat_master_stopping) {
        feat_log(LOG_NOTICE, 0, "upgrade: stopping: SIGUSR2 ignored");
        return 0;
    }

    if (feat_upgrade_path[0] == '\0') {
        feat_log(LOG_ERR, 0, "upgrade: the path this master was started "
                 "from is not known: SIGUSR2 ignored");
        return 0;
    }

    pid_file = feat_conf_path(FEAT_CONF_PID_FILE);
    if (getenv("NOTIFY_SOCKET") != NULL
        && (pid_file == NULL || pid_file[0] == '\0'))
    {
        feat_log(LOG_ERR, 0, "upgrade: under a service manager it needs "
                 "\"pid_file\" (the unit's PIDFile=), which names the new "
                 "main process: SIGUSR2 ignored");
        return 0;
    }

    return 1;
}


/*
 * Forks a child as it must be before an exec: the master's handlers and
 * pipe gone, no signal blocked, TZ as it was at start.  Answers the pid
 * (0 in the child), or -1 (logged).
 */
static pid_t
feat_upgrade_fork(void)
{
    pid_t     pid;
    sigset_t  all, old, none;

    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    fflush(NULL);

    pid = fork();

    if (pid == 0) {
        feat_master_child_reset();
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);

        if (feat_upgrade_tz != NULL) {
            setenv("TZ", feat_upgrade_tz, 1);
        } else {
            unsetenv("TZ");
        }

        return 0;
    }

    sigprocmask(SIG_SETMASK, &old, NULL);

    if (pid < 0) {
        feat_log(LOG_ERR, errno, "upgrade: fork() failed");
    }

    return pid;
}


/* Reads what fd gives into buf (NUL-terminated, newlines made "; ") until
 * EOF, or until FEAT_UPGRADE_CHECK_WAIT ms have passed: 0, or -1. */
static int
feat_upgrade_read(int fd, char *buf, size_t size)
{
    char           *p;
    size_t          len;
    ssize_t         n;
    double          end;
    struct pollfd   pfd;

    len = 0;
    end = feat_master_now() + FEAT_UPGRADE_CHECK_WAIT / 1000.0;

    for ( ;; ) {
        pfd.fd = fd;
        pfd.events = POLLIN;
        pfd.revents = 0;

        if (feat_master_now() >= end) {
            return -1;
        }

        if (poll(&pfd, 1, 100) <= 0) {
            continue;
        }

        n = read(fd, buf + len, size - 1 - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        len += (size_t) n;
        if (len == size - 1) {
            break;
        }
    }

    while (len > 0 && buf[len - 1] == '\n') {
        len--;
    }
    buf[len] = '\0';

    for (p = buf; (p = strchr(p, '\n')) != NULL; p++) {
        *p = ';';
    }

    return 0;
}


/*
 * Runs the new binary with -t (config, routes, migrations, the database's
 * version): FEAT_OK when it says the config is fine, else FEAT_ERROR with
 * what it said logged.
 */
static int
feat_upgrade_check(void)
{
    int     i, fds[2], status;
    char   *args[FEAT_UPGRADE_ARGS + 2], out[1024];
    pid_t   pid;

    for (i = 0; feat_upgrade_args[i] != NULL; i++) {
        args[i] = feat_upgrade_args[i];
    }
    args[i++] = (char *) "-t";
    args[i] = NULL;

    if (pipe(fds) != 0) {
        feat_log(LOG_ERR, errno, "upgrade: pipe() failed");
        return FEAT_ERROR;
    }

    pid = feat_upgrade_fork();

    if (pid == 0) {
        feat_listen_forget();
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        execv(feat_upgrade_path, args);
        dprintf(STDERR_FILENO, "execv(%s) failed: %s", feat_upgrade_path,
                strerror(errno));
        _exit(127);
    }

    close(fds[1]);

    if (pid < 0) {
        close(fds[0]);
        return FEAT_ERROR;
    }

    if (feat_upgrade_read(fds[0], out, sizeof(out)) != 0) {
        kill(pid, SIGKILL);
        snprintf(out, sizeof(out), "no answer in %d s",
                 FEAT_UPGRADE_CHECK_WAIT / 1000);
    }
    close(fds[0]);

    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        /* again */
    }

    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return FEAT_OK;
    }

    feat_log(LOG_ERR, 0, "upgrade: \"%s -t\" failed (%s %d): %s; "
             "this master serves on", feat_upgrade_path,
             WIFEXITED(status) ? "exit code" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), out);

    return FEAT_ERROR;
}


void
feat_upgrade_start(void)
{
    char   pid[32];
    pid_t  child;

    if (!feat_upgrade_allowed()) {
        return;
    }

    feat_log(LOG_NOTICE, 0, "upgrade: checking %s", feat_upgrade_path);

    if (feat_upgrade_check() != FEAT_OK) {
        return;
    }

    child = feat_upgrade_fork();

    if (child == 0) {
        snprintf(pid, sizeof(pid), "%d", (int) getppid());

        if (setenv(FEAT_UPGRADE_ENV, pid, 1) != 0
            || feat_listen_export() != FEAT_OK)
        {
            feat_log(LOG_ERR, errno, "upgrade: the environment of the new "
                     "master cannot be made");
            _exit(127);
        }

        execv(feat_upgrade_path, feat_upgrade_args);
        feat_log(LOG_ERR, errno, "upgrade: execv(%s) failed",
                 feat_upgrade_path);
        _exit(127);
    }

    if (child < 0) {
        return;
    }

    feat_upgrade_child = child;

    feat_log(LOG_NOTICE, 0, "upgrade: started %s as the new master "
             "(pid %d); this one serves until it is ready",
             feat_upgrade_path, (int) child);
}


int
feat_upgrade_reaped(pid_t pid, int status)
{
    if (pid != feat_upgrade_child || pid == 0) {
        return 0;
    }

    feat_upgrade_child = 0;

    if (feat_upgrade_dropped) {
        feat_upgrade_dropped = 0;
        feat_log(LOG_NOTICE, 0, "upgrade: the abandoned new master (pid %d) "
                 "has exited", (int) pid);

    } else if (WIFSIGNALED(status)) {
        feat_log(LOG_ERR, 0, "upgrade failed: the new master (pid %d) "
                 "exited on signal %d before it was ready; this master "
                 "serves on", (int) pid, WTERMSIG(status));
    } else {
        feat_log(LOG_ERR, 0, "upgrade failed: the new master (pid %d) "
                 "exited with code %d before it was ready (its reason is "
                 "logged above, or on its standard error); this master "
                 "serves on", (int) pid, WEXITSTATUS(status));
    }

    return 1;
}


int
feat_upgrade_retire_asked(pid_t from)
{
    if (feat_upgrade_child == 0 || from != feat_upgrade_child) {
        feat_log(LOG_NOTICE, 0, "SIGWINCH from pid %d, which is no new "
                 "master of this one: ignored", (int) from);
        return 0;
    }

    if (feat_master_stopping) {
        feat_log(LOG_NOTICE, 0, "upgrade: stopping: the new master (pid %d) "
                 "was told to stop too", (int) from);
        return 0;
    }

    feat_upgrade_child = 0;
    feat_upgrade_over = 1;

    feat_log(LOG_NOTICE, 0, "upgrade: the new master (pid %d) serves",
             (int) from);

    return 1;
}


int
feat_upgrade_pending(void)
{
    return feat_upgrade_child != 0;
}


void
feat_upgrade_abandon(int sig)
{
    if (feat_upgrade_child != 0) {
        feat_log(LOG_NOTICE, 0, "upgrade abandoned: the new master (pid %d) "
                 "hears signal %d", (int) feat_upgrade_child, sig);
        feat_upgrade_dropped = 1;
        kill(feat_upgrade_child, sig);
    }
}


int
feat_upgrade_sockets_ours(void)
{
    return !feat_upgrade_over
           && (feat_upgrade_from == 0 || feat_upgrade_ready_yet);
}


void
feat_upgrade_ready(void)
{
    if (feat_upgrade_from == 0) {
        (void) feat_notify("READY=1");
        return;
    }

    feat_upgrade_ready_yet = 1;

    /* The pid file names this master from now on (the service manager
     * reads it when the old one exits); the old one leaves a pid file
     * that is not its own. */
    if (feat_listen_write_pid() != FEAT_OK) {
        feat_log(LOG_ERR, 0, "upgrade: the pid file names no master now");
    }

    if (!feat_upgrade_waiting()) {
        feat_log(LOG_WARNING, 0, "upgrade: the old master has exited "
                 "already");
        return;
    }

    kill(feat_upgrade_from, SIGWINCH);

    feat_log(LOG_NOTICE, 0, "upgrade: serving; the old master (pid %d) "
             "was told to retire, and the jobs process starts once it has "
             "exited", (int) feat_upgrade_from);
}


int
feat_upgrade_waiting(void)
{
    if (feat_upgrade_from == 0) {
        return 0;
    }

    /* Its child until it exits: then this master has a new parent. */
    if (getppid() == feat_upgrade_from) {
        return 1;
    }

    feat_log(LOG_NOTICE, 0, "upgrade: the old master (pid %d) has exited",
             (int) feat_upgrade_from);
    feat_upgrade_from = 0;

    return 0;
}
