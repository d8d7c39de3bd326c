/*
 * conns.c: a worker's FastCGI connections.  A worker holds up to
 * "worker_connections" of them at once and serves whichever brings a
 * request.  nginx keeps them open between requests (fastcgi_keep_conn on,
 * keepalive in the upstream) and takes any idle one for its next request,
 * so a request no longer pays a connect, an accept and libfcgi's lingering
 * close.  A connection nginx does not keep (its request lacks
 * FCGI_KEEP_CONN) is closed after the answer, as libfcgi always did.
 *
 * One epoll set holds the signalfd, the listening socket (EPOLLEXCLUSIVE:
 * a new connection wakes one worker, not all) and every open connection.
 * A round serves each ready connection once, in the order the kernel
 * reports them (level-triggered: one served goes to the back), so a busy
 * connection cannot starve the others.  libfcgi reads and writes a
 * connection while it is served; its sockets stay blocking.
 *
 * Ending.  Only nginx may close a kept connection: it may send a request
 * on an idle one at any moment, and a request that meets a close is lost
 * (nginx retries a GET on a new connection, never a POST).  A worker that
 * retires (a reload, an upgrade) or stops therefore stops accepting and
 * answers each kept connection's next request with a "go away": one more
 * record after FCGI_END_REQUEST, in the same write.  nginx drops a
 * connection that sends anything after the end of a request instead of
 * keeping it (ngx_http_fastcgi_module's input filters leave
 * u->keepalive unset; if its read ends exactly at the end record, the
 * keepalive module's close handler finds the record waiting and closes).
 * An idle connection is closed by nginx's keepalive_timeout (1 s in the
 * shipped configuration).  The worker leaves once nginx has closed them
 * all, or after FEAT_CONNS_DRAIN seconds, when it closes what is left and
 * says so: nginx's keepalive_timeout is then too long.
 */

#define _GNU_SOURCE  1          /* accept4() */

#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <fcgiapp.h>
#include <fastcgi.h>

#include "runtime.h"
#include "process/worker.h"

#define FEAT_CONNS_DRAIN    8.0     /* s; the master kills at FEAT_STOP_WAIT */
#define FEAT_CONNS_EVENTS   64      /* events read per epoll_wait */

#define FEAT_CONNS_SIGNAL   0       /* epoll data: the signalfd */
#define FEAT_CONNS_LISTEN   1       /* the listening socket */
#define FEAT_CONNS_FIRST    2       /* connection i is FIRST + i */


struct feat_conn {
    FCGX_Request  req;
    int           fd;               /* -1: a free slot */
    int           goaway;           /* told nginx to drop it: awaits EOF */
};

struct feat_conns {
    struct feat_conn  *conn;
    int               *free;        /* a stack of free slots */
    int                nfree;
    int                max;
    int                open;
    int                epfd;
    int                listen_fd;
    int                listening;   /* listen_fd is in the epoll set */
    int                sigfd;
    int                state;       /* FEAT_WORKER_* */
    double             drain_by;    /* when a drain closes what is left */
    struct feat_arena *arena;
};


static double
feat_conns_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}


static int
feat_conns_watch(struct feat_conns *cs, int op, int fd, uint32_t events,
    uint64_t data)
{
    struct epoll_event  ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.u64 = data;

    return epoll_ctl(cs->epfd, op, fd, &ev);
}


/* Frees slot i, whose descriptor libfcgi or the caller has closed (which
 * took it out of the epoll set). */
static void
feat_conns_release(struct feat_conns *cs, int i)
{
    cs->conn[i].fd = -1;
    cs->conn[i].goaway = 0;
    cs->conn[i].req.ipcFd = -1;
    cs->free[cs->nfree++] = i;
    cs->open--;
}


/*
 * Takes the connections waiting on the socket, as many as there are free
 * slots; a full worker leaves the rest to the others.  Answers how many.
 */
static int
feat_conns_accept(struct feat_conns *cs)
{
    int                 i, fd, on, taken;
    struct sockaddr_in  sa;
    socklen_t           len;

    taken = 0;

    while (cs->nfree > 0) {
        len = sizeof(sa);
        fd = accept4(cs->listen_fd, (struct sockaddr *) &sa, &len,
                     SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                /* EMFILE and friends: logged, and left for a while */
                feat_log(LOG_ERR, errno, "accept() failed");
                return -1;
            }
            break;
        }

        if (len >= sizeof(sa.sin_family) && sa.sin_family == AF_INET) {
            on = 1;     /* answers go out whole: no Nagle (libfcgi's way) */
            (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        }

        i = cs->free[--cs->nfree];

        if (feat_conns_watch(cs, EPOLL_CTL_ADD, fd, EPOLLIN,
                             FEAT_CONNS_FIRST + (uint64_t) i) != 0)
        {
            feat_log(LOG_ERR, errno, "epoll_ctl(ADD) failed");
            cs->free[cs->nfree++] = i;
            (void) close(fd);
            return -1;
        }

        cs->conn[i].fd = fd;
        cs->conn[i].goaway = 0;
        cs->conn[i].req.ipcFd = fd;
        /* or FCGX_Accept_r's opening finish would close it */
        cs->conn[i].req.keepConnection = 1;
        cs->open++;
        taken++;

        if (feat_pool != NULL) {
            __atomic_add_fetch(&feat_pool->connections, 1, __ATOMIC_RELAXED);
        }
    }

    /* full: the socket waits until a slot frees */
    if (cs->nfree == 0 && cs->listening) {
        if (feat_conns_watch(cs, EPOLL_CTL_DEL, cs->listen_fd, 0, 0) == 0) {
            cs->listening = 0;
        }
    }

    return taken;
}


/* Puts the socket back in the set: a slot is free and the worker serves. */
static void
feat_conns_listen(struct feat_conns *cs)
{
    if (!cs->listening && cs->nfree > 0 && cs->state == 0) {
        if (feat_conns_watch(cs, EPOLL_CTL_ADD, cs->listen_fd,
                             EPOLLIN | EPOLLEXCLUSIVE, FEAT_CONNS_LISTEN) == 0)
        {
            cs->listening = 1;

        } else {
            /* tried again at the next round: a request or a signal */
            feat_log(LOG_ALERT, errno, "epoll_ctl(ADD) of the socket failed");
        }
    }
}


/*
 * The end of a request whose connection nginx must drop: libfcgi's own
 * end (stdout's empty record, FCGI_END_REQUEST) written by hand with one
 * more record after it, all in one write.  The answer's body went out
 * before, flushed.  FEAT_OK, or FEAT_ERROR when the connection broke.
 */
static int
feat_conns_goaway_end(FCGX_Request *req)
{
    ssize_t                 n;
    size_t                  off;
    unsigned char           buf[3 * sizeof(FCGI_Header)
                                + sizeof(FCGI_EndRequestBody)
                                + sizeof(FCGI_UnknownTypeBody)];
    FCGI_Header            *h;
    FCGI_EndRequestBody    *end;
    FCGI_UnknownTypeBody   *unknown;

    if (FCGX_FFlush(req->out) != 0 || FCGX_FFlush(req->err) != 0) {
        return FEAT_ERROR;
    }

    memset(buf, 0, sizeof(buf));

    /* stdout's end */
    h = (FCGI_Header *) buf;
    h->version = FCGI_VERSION_1;
    h->type = FCGI_STDOUT;
    h->requestIdB1 = (unsigned char) ((req->requestId >> 8) & 0xff);
    h->requestIdB0 = (unsigned char) (req->requestId & 0xff);

    /* the request's end: complete, the app's status */
    h = (FCGI_Header *) (buf + sizeof(FCGI_Header));
    h->version = FCGI_VERSION_1;
    h->type = FCGI_END_REQUEST;
    h->requestIdB1 = (unsigned char) ((req->requestId >> 8) & 0xff);
    h->requestIdB0 = (unsigned char) (req->requestId & 0xff);
    h->contentLengthB0 = sizeof(FCGI_EndRequestBody);
    end = (FCGI_EndRequestBody *) (buf + 2 * sizeof(FCGI_Header));
    end->appStatusB3 = (unsigned char) ((req->appStatus >> 24) & 0xff);
    end->appStatusB2 = (unsigned char) ((req->appStatus >> 16) & 0xff);
    end->appStatusB1 = (unsigned char) ((req->appStatus >> 8) & 0xff);
    end->appStatusB0 = (unsigned char) (req->appStatus & 0xff);
    end->protocolStatus = FCGI_REQUEST_COMPLETE;

    /*
     * The go away: a management record (request id 0) of the type a
     * FastCGI peer answers for an unknown one, so any reader that looks at
     * it can parse it; nginx does not look, it drops the connection.
     */
    off = 2 * sizeof(FCGI_Header) + sizeof(FCGI_EndRequestBody);
    h = (FCGI_Header *) (buf + off);
    h->version = FCGI_VERSION_1;
    h->type = FCGI_UNKNOWN_TYPE;
    h->contentLengthB0 = sizeof(FCGI_UnknownTypeBody);
    unknown = (FCGI_UnknownTypeBody *) (buf + off + sizeof(FCGI_Header));
    unknown->type = FCGI_UNKNOWN_TYPE;

    for (off = 0; off < sizeof(buf); off += (size_t) n) {
        n = write(req->ipcFd, buf + off, sizeof(buf) - off);
        if (n < 0 && errno == EINTR) {
            n = 0;
            continue;
        }
        if (n <= 0) {
            return FEAT_ERROR;
        }
    }

    return FEAT_OK;
}


/*
 * A connection told to go away, readable: what nginx still sends (the
 * rest of a body the answer did not read) is read and dropped, and its
 * close (EOF) ends the slot.  Closing with bytes unread would reset the
 * connection, and nginx could lose the answer it has not read yet.
 */
static void
feat_conns_discard(struct feat_conns *cs, int i)
{
    char     buf[16384];
    ssize_t  n;

    n = recv(cs->conn[i].fd, buf, sizeof(buf), MSG_DONTWAIT);

    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK
                            || errno == EINTR)))
    {
        return;         /* more to come, or its EOF */
    }

    (void) close(cs->conn[i].fd);
    feat_conns_release(cs, i);
}


/*
 * Serves slot i, which epoll reported readable: reads its next request
 * and answers it, or finds nginx closed it.  A connection that went away
 * leaves the set.
 */
static void
feat_conns_serve_one(struct feat_conns *cs, int i)
{
    int                rc;
    struct feat_req    r;
    struct feat_conn  *c;

    c = &cs->conn[i];

    if (c->goaway) {
        feat_conns_discard(cs, i);
        return;
    }

    /*
     * libfcgi reads the request from req.ipcFd.  Its listen_sock is -1:
     * when the connection has ended (EOF, a protocol error) libfcgi closes
     * it and would accept another, which fails at once (EBADF).
     */
    rc = FCGX_Accept_r(&c->req);

    if (rc < 0 || c->req.ipcFd < 0) {
        if (c->req.ipcFd >= 0) {
            FCGX_Free(&c->req, 1);
        }
        feat_conns_release(cs, i);
        return;
    }

    feat_req_init(&r, cs->arena, &c->req, c->req.envp);
    feat_dispatch(&r);

    /*
     * A kept connection must be read to the end of this request's stdin
     * before the next one: the empty record nginx ends it with is taken
     * here (it came with the request).  A body the answer did not read (a
     * 404, a 413) is not read through: nginx is told to drop the
     * connection instead.
     */
    if (c->req.keepConnection && (cs->state != 0
                                  || FCGX_GetChar(c->req.in) != EOF))
    {
        /* nginx is told to drop it; its EOF ends the slot */
        if (feat_conns_goaway_end(&c->req) == FEAT_OK) {
            FCGX_Free(&c->req, 0);
            c->req.ipcFd = -1;
            c->goaway = 1;
        } else {
            FCGX_Free(&c->req, 0);
            (void) close(c->fd);
            feat_conns_release(cs, i);
        }

    } else {
        FCGX_Finish_r(&c->req);
        if (c->req.ipcFd < 0) {
            feat_conns_release(cs, i);      /* not kept: libfcgi closed it */
        }
    }

    if (feat_pool != NULL) {
        __atomic_add_fetch(&feat_pool->served, 1, __ATOMIC_RELAXED);
    }

    /* the answer is out and the write gate free (store/gate.c) */
    feat_db_checkpoint_due(feat_db());

    feat_log_set_request(NULL);
    feat_arena_reset(cs->arena);
}


/* Closes every connection still open (the drain's time is up). */
static void
feat_conns_close_all(struct feat_conns *cs)
{
    int  i, n;

    n = 0;

    for (i = 0; i < cs->max; i++) {
        if (cs->conn[i].fd >= 0) {
            FCGX_Free(&cs->conn[i].req, 0);
            (void) close(cs->conn[i].fd);
            feat_conns_release(cs, i);
            n++;
        }
    }

    if (n > 0) {
        feat_log(LOG_WARNING, 0, "%d kept-alive connection%s still open "
                 "%.0f s after the worker began to stop: closed (a request "
                 "nginx sends on one now fails; make the upstream's "
                 "keepalive_timeout shorter)", n, n == 1 ? "" : "s",
                 FEAT_CONNS_DRAIN);
    }
}


/*
 * What the master asked for: a retiring worker leaves the socket to the
 * others; a stopping one (the socket's name is gone) first takes every
 * connection queued on it.  Both then drain their connections.
 */
static void
feat_conns_state(struct feat_conns *cs, int state)
{
    if (state == cs->state) {
        return;
    }

    if (state == FEAT_WORKER_STOP) {
        /* queued ones beyond the free slots are the other workers' */
        (void) feat_conns_accept(cs);
    }

    if (cs->listening) {
        (void) feat_conns_watch(cs, EPOLL_CTL_DEL, cs->listen_fd, 0, 0);
        cs->listening = 0;
    }

    if (cs->state == 0) {
        cs->drain_by = feat_conns_now() + FEAT_CONNS_DRAIN;
    }

    cs->state = state;
}


int
feat_conns_run(int listen_fd, int sigfd, struct feat_arena *arena)
{
    int                  i, n, ms, rc;
    uint64_t             id;
    double               now;
    struct feat_conns    cs;
    struct epoll_event   ev[FEAT_CONNS_EVENTS];

    memset(&cs, 0, sizeof(cs));
    cs.max = (int) feat_conf_int(FEAT_CONF_WORKER_CONNECTIONS);
    cs.listen_fd = listen_fd;
    cs.sigfd = sigfd;
    cs.arena = arena;
    cs.epfd = epoll_create1(EPOLL_CLOEXEC);
    cs.conn = calloc((size_t) cs.max, sizeof(cs.conn[0]));
    cs.free = calloc((size_t) cs.max, sizeof(cs.free[0]));

    if (cs.epfd < 0 || cs.conn == NULL || cs.free == NULL) {
        feat_log(LOG_EMERG, errno, "a worker's connection set failed");
        rc = FEAT_ERROR;
        goto done;
    }

    for (i = cs.max - 1; i >= 0; i--) {
        /* listen_sock -1: libfcgi never accepts, see serve_one */
        (void) FCGX_InitRequest(&cs.conn[i].req, -1, 0);
        cs.conn[i].fd = -1;
        cs.free[cs.nfree++] = i;
    }

    if (feat_conns_watch(&cs, EPOLL_CTL_ADD, sigfd, EPOLLIN,
                         FEAT_CONNS_SIGNAL) != 0)
    {
        feat_log(LOG_EMERG, errno, "epoll_ctl(ADD) of the signalfd failed");
        rc = FEAT_ERROR;
        goto done;
    }

    rc = FEAT_OK;

    /* what came before the set was made */
    feat_conns_state(&cs, feat_worker_signals_poll(sigfd));

    for ( ;; ) {

        if (cs.state != 0) {
            if (cs.open == 0) {
                break;
            }
            now = feat_conns_now();
            if (now >= cs.drain_by) {
                feat_conns_close_all(&cs);
                break;
            }
            ms = (int) ((cs.drain_by - now) * 1000) + 1;

        } else {
            feat_conns_listen(&cs);
            ms = -1;
        }

        n = epoll_wait(cs.epfd, ev, FEAT_CONNS_EVENTS, ms);

        if (n < 0) {
            if (errno != EINTR) {
                feat_log(LOG_ALERT, errno, "epoll_wait() failed");
                (void) epoll_wait(cs.epfd, ev, 1, 100);
            }
            continue;
        }

        for (i = 0; i < n; i++) {
            id = ev[i].data.u64;

            if (id == FEAT_CONNS_SIGNAL) {
                /* level-triggered: reported while any is pending, also
                 * when more than a batch of connections is ready */
                feat_conns_state(&cs, feat_worker_signals_poll(sigfd));

            } else if (id == FEAT_CONNS_LISTEN) {
                if (cs.listening && feat_conns_accept(&cs) < 0) {
                    /* EMFILE and friends: do not spin on a failing accept */
                    (void) epoll_wait(cs.epfd, ev, 1, 100);
                    break;
                }

            } else if (cs.conn[id - FEAT_CONNS_FIRST].fd >= 0) {
                feat_conns_serve_one(&cs, (int) (id - FEAT_CONNS_FIRST));
            }
        }
    }

done:

    if (cs.conn != NULL) {
        for (i = 0; i < cs.max; i++) {
            if (cs.conn[i].fd >= 0) {
                FCGX_Free(&cs.conn[i].req, 1);
            }
        }
    }

    free(cs.conn);
    free(cs.free);
    if (cs.epfd >= 0) {
        (void) close(cs.epfd);
    }

    return rc;
}
