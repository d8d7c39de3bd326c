/*
 * worker.c: the worker process.  A worker opens its own SQLite
 * connection after fork, runs the modules' init_worker hooks, then serves
 * its FastCGI connections (conns.c), one request at a time, and
 * dispatches each one: app, route, body limit, body parse, credentials,
 * handler, access log.  Whatever happens, the client gets an answer in the
 * dialect of the path.  SIGQUIT (a reload retiring the worker) stops its
 * accepting and drains its connections; SIGTERM (the pool stopping) also
 * takes, without waiting, every connection already queued on the socket,
 * so a stop leaves none accepted by the kernel and unanswered.  Those
 * signals, and SIGUSR1, stay blocked for the worker's whole life and are
 * read from a signalfd that the connections' epoll set holds beside the
 * socket.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include <fcgiapp.h>

#include "runtime.h"
#include "process/worker.h"


static volatile sig_atomic_t  feat_worker_stop;
static volatile sig_atomic_t  feat_worker_reopen;


static void
feat_worker_signal(int signo)
{
    switch (signo) {

    case SIGTERM:
        feat_worker_stop = FEAT_WORKER_STOP;
        break;

    case SIGQUIT:
        if (feat_worker_stop == 0) {
            feat_worker_stop = FEAT_WORKER_RETIRE;
        }
        break;

    case SIGUSR1:
        feat_worker_reopen = 1;
        break;
    }
}


/*
 * The stop, retire and reopen signals that are pending: read from the
 * signalfd (non-blocking) until it is empty, each noted by
 * feat_worker_signal() as if its handler had run.
 */
static void
feat_worker_signals_read(int fd)
{
    size_t                    i;
    ssize_t                   n;
    struct signalfd_siginfo   si[4];

    for ( ;; ) {
        n = read(fd, si, sizeof(si));

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            return;         /* EAGAIN: all read */
        }

        for (i = 0; i < (size_t) n / sizeof(si[0]); i++) {
            feat_worker_signal((int) si[i].ssi_signo);
        }
    }
}


int
feat_worker_signals_poll(int sigfd)
{
    feat_worker_signals_read(sigfd);

    if (feat_worker_reopen) {
        feat_worker_reopen = 0;
        if (feat_log_open() == FEAT_OK) {
            feat_log(LOG_INFO, 0, "logs reopened");
        }
    }

    return feat_worker_stop;
}


/*
 * The handlers run only if the signals are ever let in (they stay blocked
 * and are read from the signalfd); installed all the same, so that
 * libfcgi's FCGX_Init() does not put its own SIGUSR1 handler in place of a
 * default one.  The interactive signals are ignored: the master decides
 * what a ^C means.
 */
static void
feat_worker_signals(void)
{
    size_t            i;
    struct sigaction  sa;
    static const int  handled[] = { SIGTERM, SIGQUIT, SIGUSR1 };
    static const int  ignored[] = { SIGPIPE, SIGINT, SIGHUP };

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;

    sa.sa_handler = feat_worker_signal;
    for (i = 0; i < FEAT_NELEMS(handled); i++) {
        sigaction(handled[i], &sa, NULL);
    }

    sa.sa_handler = SIG_IGN;
    for (i = 0; i < FEAT_NELEMS(ignored); i++) {
        sigaction(ignored[i], &sa, NULL);
    }

    sa.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &sa, NULL);
}


/* The module whose authenticate hook checks the credentials that flags
 * (a route's) ask for, or NULL. */
static const struct feat_module *
feat_worker_auth_module(unsigned flags)
{
    const struct feat_module *const  *m;

    for (m = feat_modules; *m != NULL; m++) {
        if ((*m)->authenticate != NULL && ((*m)->auth_flags & flags)) {
            return *m;
        }
    }

    return NULL;
}


/* A route's dialect is switched on, or the route serves them all. */
static int
feat_worker_dialect_on(const struct feat_route *rt)
{
    return (rt->flags & FEAT_ANY_DIALECT) || feat_dialect_enabled(rt->dialect);
}


/*
 * The methods the path answers through routes of dialects that are on:
 * a switched-off dialect's route counts as absent, also in Allow.
 */
static unsigned
feat_worker_allowed(struct feat_req *r)
{
    int                       n;
    unsigned                  m, mask, dummy;
    struct feat_kv            params[FEAT_MAX_PATH_PARAMS];
    const struct feat_route  *rt;

    mask = 0;

    for (m = FEAT_GET; m <= FEAT_DELETE; m <<= 1) {
        rt = feat_router_match(r->arena, r->path, m, params, &n, &dummy);
        if (rt != NULL && feat_worker_dialect_on(rt)) {
            mask |= m;
        }
    }

    return mask;
}


/* 1 when r's route serves without an app (FEAT_NO_APP): r->app is then
 * the unknown one feat_app_resolve left, which nothing reads. */
static int
feat_worker_no_app(struct feat_req *r)
{
    int                       n;
    unsigned                  allowed;
    struct feat_kv            params[FEAT_MAX_PATH_PARAMS];
    const struct feat_route  *rt;

    rt = feat_router_match(r->arena, r->path, r->method, params, &n,
                           &allowed);

    return rt != NULL && (rt->flags & FEAT_NO_APP);
}


/* The route of r, or NULL with r answered (404 or 405). */
static const struct feat_route *
feat_worker_route(struct feat_req *r)
{
    char                     *names;
    unsigned                  allowed;
    const struct feat_route  *rt;

    rt = feat_router_match(r->arena, r->path, r->method, r->params,
                           &r->nparams, &allowed);

    if (rt != NULL && feat_worker_dialect_on(rt)) {
        return rt;
    }

    r->nparams = 0;

    if (rt != NULL || allowed != 0) {
        allowed = feat_worker_allowed(r);
    }

    if (allowed == 0) {
        feat_fail(r, FEAT_E_NO_ROUTE, "no route for %s", r->path);
        return NULL;
    }

    names = feat_arena_alloc(r->arena, 64);
    feat_method_names(allowed, names, 64);
    feat_reply_header(r, "Allow", names);

    feat_fail(r, FEAT_E_METHOD, "%s not allowed on %s", r->method_name,
              r->path);

    return NULL;
}


static void
feat_worker_slot_set(const struct feat_route *rt, const char *method)
{
    char    *p, *end;

    /* "%s %s" cut to the slot, without snprintf: once a request */
    if (feat_worker_slot != NULL) {
        p = feat_worker_slot;
        end = feat_worker_slot + FEAT_SLOT_SIZE - 1;
        while (*method != '\0' && p < end) {
            *p++ = *method++;
        }
        if (p < end) {
            *p++ = ' ';
        }
        method = rt->pattern;
        while (*method != '\0' && p < end) {
            *p++ = *method++;
        }
        *p = '\0';
    }
}


static void
feat_worker_slot_clear(void)
{
    if (feat_worker_slot != NULL) {
        feat_worker_slot[0] = '\0';
    }
}


/* Runs the route's handler with the request checked; r is answered. */
static void
feat_worker_run(struct feat_req *r, const struct feat_route *rt)
{
    int                        rc;
    long long                  limit;
    enum feat_error            e;
    const struct feat_module  *auth;

    limit = (rt->flags & FEAT_UPLOAD)
            ? feat_conf_size(FEAT_CONF_MAX_UPLOAD)
            : feat_conf_size(FEAT_CONF_MAX_BODY);

    switch (feat_req_read_body(r, limit < 0 ? 0 : (size_t) limit)) {

    case FEAT_OK:
        break;

    case FEAT_DECLINED:
        feat_fail(r, FEAT_E_TOO_LARGE, "body over %lld bytes", limit);
        return;

    default:
        /* A short read: the client went away or lied in its length. */
        r->bad_field = "body";
        r->bad_reason = "incomplete body";
        feat_fail_field(r);
        return;
    }

    switch (feat_req_parse(r)) {

    case FEAT_OK:
        break;

    case FEAT_DECLINED:
        feat_fail(r, FEAT_E_MEDIA_TYPE, "a body of type \"%s\"",
                  r->content_type != NULL ? r->content_type : "");
        return;

    default:
        feat_fail_field(r);
        return;
    }

    /* a JSON-only dialect (admin) takes no form body */
    if (feat_dialect(rt->dialect)->json_only && r->body_len > 0
        && r->json == NULL)
    {
        feat_fail(r, FEAT_E_MEDIA_TYPE, "a body of type \"%s\"",
                  r->content_type != NULL ? r->content_type : "");
        return;
    }

    if (rt->flags & (FEAT_SESSION | FEAT_JWT | FEAT_MANAGER)) {
        auth = feat_worker_auth_module(rt->flags
                                       & (FEAT_SESSION | FEAT_JWT
                                          | FEAT_MANAGER));
        if (auth == NULL) {
            feat_fail(r, FEAT_E_INTERNAL, "no module authenticates");
            return;
        }

        e = auth->authenticate(r, rt->flags);
        if (e != FEAT_E_NONE) {
            feat_fail(r, e, "credentials refused on %s", rt->pattern);
            return;
        }
    }

    feat_worker_slot_set(rt, r->method_name);
    rc = rt->handler(r);
    feat_worker_slot_clear();

    /* reply.c records the status it sent: 0 means nothing went out. */
    if (r->status != 0) {
        if (rc != FEAT_OK) {
            feat_log(LOG_ALERT, 0, "handler of %s %s answered %d after "
                     "replying", r->method_name, rt->pattern, rc);
        }
        return;
    }

    if (rc == FEAT_OK) {
        feat_log(LOG_ALERT, 0, "handler of %s %s answered nothing",
                 r->method_name, rt->pattern);
    }

    feat_fail(r, FEAT_E_INTERNAL, "handler of %s %s failed (%d)",
              r->method_name, rt->pattern, rc);
}


#ifdef FEAT_FAULT_INJECTION
/*
 * A fault count from a request header: 1..10000, or 0 (absent, malformed,
 * or the config's testing is off, so a production config never obeys it).
 */
static long
feat_worker_fault_count(struct feat_req *r, const char *name)
{
    long         n;
    const char  *s;

    s = feat_req_header(r, name);
    if (s == NULL || !feat_conf_bool(FEAT_CONF_TESTING)) {
        return 0;
    }

    for (n = 0; *s >= '0' && *s <= '9' && n <= 10000; s++) {
        n = n * 10 + (*s - '0');
    }

    return (*s == '\0' && n >= 1 && n <= 10000) ? n : 0;
}
#endif


void
feat_dispatch(struct feat_req *r)
{
    double                    ms;
    sqlite3                  *db;
    enum feat_error           e;
    struct timespec           now;
    const struct feat_route  *rt;

    /* Until a route is found, errors speak the path's dialect. */
    r->dialect = feat_dialect_of_path(r->path);

#ifdef FEAT_FAULT_INJECTION
    /* Armed before the app lookup, whose step counts too. */
    feat_db_fault_arm(feat_worker_fault_count(r, "X-Feat-Fault-Step"));
    feat_http_fault_arm(feat_worker_fault_count(r, "X-Feat-Fault-Curl"));
#endif

    e = feat_app_resolve(r);
    if (e != FEAT_E_NONE && !feat_worker_no_app(r)) {
        feat_fail(r, e, "app not known");
        goto done;
    }

    rt = feat_worker_route(r);
    if (rt == NULL) {
        goto done;
    }

    r->route = rt;
    r->dialect = rt->dialect;

    feat_worker_run(r, rt);

done:

    /*
     * A handler that returns inside a transaction is a bug; rolling back
     * keeps the connection usable and the write lock free for others.
     */
    db = feat_db();
    if (db != NULL && !sqlite3_get_autocommit(db)) {
        feat_log(LOG_ALERT, 0, "transaction left open by %s %s: rolled back",
                 r->method_name, r->route != NULL ? r->route->pattern
                                                  : r->path);
        feat_db_rollback(db);
    }

    feat_db_ungate(db);

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (double) (now.tv_sec - r->start.tv_sec) * 1000.0
         + (double) (now.tv_nsec - r->start.tv_nsec) / 1e6;

    feat_log_access(r, r->status, ms);

#ifdef FEAT_FAULT_INJECTION
    /* Never carried into the next request, whatever happened here. */
    feat_db_fault_arm(0);
    feat_http_fault_arm(0);
#endif
}


/* Runs every module's hook; FEAT_ERROR when one fails (logged). */
static int
feat_worker_init_modules(void)
{
    const struct feat_module *const  *m;

    for (m = feat_modules; *m != NULL; m++) {
        if ((*m)->init_worker != NULL
            && (*m)->init_worker(feat_db()) != FEAT_OK)
        {
            feat_log(LOG_EMERG, 0, "module %s: init_worker failed",
                     (*m)->name);
            return FEAT_ERROR;
        }
    }

    return FEAT_OK;
}


static void
feat_worker_exit_modules(void)
{
    const struct feat_module *const  *m;

    for (m = feat_modules; *m != NULL; m++) {
        if ((*m)->exit_worker != NULL) {
            (*m)->exit_worker();
        }
    }
}


int
feat_worker_main(int listen_fd, int worker_no)
{
    int                 rc, flags, sigfd;
    char                role[32];
    sigset_t            held;
    struct feat_arena  *arena;

    snprintf(role, sizeof(role), "%sworker %d",
             listen_fd == feat_listen_hash_fd() ? "hash " : "", worker_no);
    feat_log_set_role(role);

    /*
     * libfcgi reads and writes without retrying on EINTR, so a signal that
     * lands while a request is read or answered would break it.  The stop
     * and reopen signals are therefore blocked for good (threads made
     * later, a password hash's, inherit the mask) and read from a signalfd
     * that the connections' epoll set holds beside the socket: no request
     * is cut, none that comes just before the wait is missed, and a busy
     * worker sees a signal at its next wait, after the request in hand,
     * even when connections are always readable (the reason the mask could
     * not simply be opened inside ppoll(): Linux restores it without
     * delivering what is pending when the socket is ready).  Before this
     * the mask was opened and closed after each request: two system calls
     * a request.  Ours go in before FCGX_Init(), which installs libfcgi's
     * own SIGPIPE and SIGUSR1 handlers only over default ones.
     * FCGX_ShutdownPending() is not used: the worker accepts for itself
     * (conns.c), never blocking (O_NONBLOCK).
     */
    feat_worker_signals();
    sigemptyset(&held);
    sigaddset(&held, SIGTERM);
    sigaddset(&held, SIGQUIT);
    sigaddset(&held, SIGUSR1);
    sigprocmask(SIG_BLOCK, &held, NULL);

    sigfd = signalfd(-1, &held, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigfd == -1) {
        feat_log(LOG_EMERG, errno, "signalfd() failed");
        return 1;
    }

    /* Sent between the fork and the block: pending, so the fd has them. */
    feat_worker_signals_read(sigfd);

    /*
     * The workers wait on the shared socket and then accept: the one that
     * loses the race gets EAGAIN instead of blocking with signals held.
     */
    flags = fcntl(listen_fd, F_GETFL);
    if (flags == -1 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) == -1) {
        feat_log(LOG_EMERG, errno, "fcntl(O_NONBLOCK) on the socket failed");
        return 1;
    }

    if (feat_db_open() != FEAT_OK) {
        return 1;
    }

    if (feat_worker_init_modules() != FEAT_OK) {
        feat_db_close();
        return 1;
    }

    if (FCGX_Init() != 0) {
        feat_log(LOG_EMERG, 0, "FCGX_Init() failed");
        feat_db_close();
        return 1;
    }

    arena = feat_arena_create();
    feat_arena_json_hooks(arena);

    rc = feat_conns_run(listen_fd, sigfd, arena);

    feat_worker_exit_modules();

    feat_arena_json_hooks(NULL);
    feat_arena_destroy(arena);
    feat_db_close();
    (void) close(sigfd);

    return rc == FEAT_OK ? 0 : 1;
}
