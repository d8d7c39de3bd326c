/*
 * ctl_status.c: "featctl status", the running pool's health for people.
 *
 * It asks the server itself: one FastCGI request, GET /healthz, sent
 * straight to the socket of the config's "listen" (no nginx needed), and
 * prints the answer, the same JSON a monitor gets, as lines for people or,
 * with --json, as it came.  Exit status 0 when the pool is healthy, 1 when
 * /healthz answers 503 (or anything else), 3 when nothing answers on the
 * socket (not running, as LSB's "status" says it).
 */

#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "featctl.h"

#define CTL_STATUS_DOWN     3       /* LSB: program is not running */
#define CTL_STATUS_TIMEOUT  15000   /* ms for the whole answer */
#define CTL_STATUS_MAX      65536   /* bytes of answer accepted */

static int ctl_status(struct feat_ctl *ctl, int argc, char **argv);


const struct feat_ctl_command  feat_ctl_status_commands[] = {
    { "status", "", ctl_status, "",
      "the running pool's health (its GET /healthz): workers, database, "
      "jobs process, outbox, backups; exit 0 healthy, 1 not, 3 not "
      "running" },
    FEAT_CTL_NULL_COMMAND
};


/* Connects to "listen": the descriptor, or -1 with errno. */
static int
ctl_status_connect(const char *listen_on)
{
    int                  fd, rc;
    char                 host[256], port[8];
    struct addrinfo      hints, *res, *ai;
    struct sockaddr_un   sun;

    if (feat_listen_is_tcp(listen_on, host, sizeof(host), port,
                           sizeof(port)))
    {
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICSERV;

        if (getaddrinfo(host, port, &hints, &res) != 0) {
            errno = EHOSTUNREACH;
            return -1;
        }

        fd = -1;
        for (ai = res; ai != NULL; ai = ai->ai_next) {
            fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
            if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
                break;
            }
            if (fd >= 0) {
                close(fd);
                fd = -1;
            }
        }
        freeaddrinfo(res);
        return fd;
    }

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (strlen(listen_on) >= sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sun.sun_path, listen_on, strlen(listen_on));

    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }

    rc = connect(fd, (struct sockaddr *) &sun, sizeof(sun));
    if (rc != 0) {
        close(fd);
        return -1;
    }

    return fd;
}


/* Appends one FastCGI record of type to buf at *n (content up to 65535). */
static void
ctl_status_record(unsigned char *buf, size_t *n, int type,
    const unsigned char *content, size_t len)
{
    unsigned char  *p;

    p = buf + *n;
    p[0] = 1;                       /* FCGI_VERSION_1 */
    p[1] = (unsigned char) type;
    p[2] = 0;
    p[3] = 1;                       /* request id 1 */
    p[4] = (unsigned char) (len >> 8);
    p[5] = (unsigned char) len;
    p[6] = 0;                       /* no padding */
    p[7] = 0;
    if (len > 0) {
        memcpy(p + 8, content, len);
    }
    *n += 8 + len;
}


/* One name-value pair of FCGI_PARAMS (short names and values). */
static size_t
ctl_status_param(unsigned char *p, const char *name, const char *value)
{
    size_t  nl, vl;

    nl = strlen(name);
    vl = strlen(value);
    p[0] = (unsigned char) nl;
    p[1] = (unsigned char) vl;
    memcpy(p + 2, name, nl);
    memcpy(p + 2 + nl, value, vl);

    return 2 + nl + vl;
}


/*
 * Sends GET /healthz on fd and reads the answer's stdout stream into
 * out[max]: its length, or -1 (a broken or late answer).
 */
static long
ctl_status_ask(int fd, char *out, size_t max)
{
    static const char *const  params[][2] = {
        { "REQUEST_METHOD", "GET" },
        { "DOCUMENT_URI", "/healthz" },
        { "REQUEST_URI", "/healthz" },
        { "QUERY_STRING", "" },
        { "REMOTE_ADDR", "127.0.0.1" },
        { "SERVER_PROTOCOL", "HTTP/1.1" },
        { "HTTP_HOST", "localhost" },
        { "FEAT_APP_ID", "" },
    };
    static const unsigned char  begin[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };
    unsigned char               req[2048], pbuf[1024], rbuf[8192];
    size_t                      n, pn, i, have, used, len, pad;
    ssize_t                     r;
    long                        got;
    struct pollfd               pfd;
    struct timespec             start, now;

    n = 0;
    ctl_status_record(req, &n, 1, begin, sizeof(begin));   /* BEGIN */

    pn = 0;
    for (i = 0; i < FEAT_NELEMS(params); i++) {
        pn += ctl_status_param(pbuf + pn, params[i][0], params[i][1]);
    }
    ctl_status_record(req, &n, 4, pbuf, pn);                /* PARAMS */
    ctl_status_record(req, &n, 4, NULL, 0);
    ctl_status_record(req, &n, 5, NULL, 0);                 /* STDIN */

    if (write(fd, req, n) != (ssize_t) n) {
        return -1;
    }

    clock_gettime(CLOCK_MONOTONIC, &start);
    have = 0;
    got = 0;

    for ( ;; ) {
        /* whole records at the front of rbuf */
        used = 0;
        while (have - used >= 8) {
            len = ((size_t) rbuf[used + 4] << 8) | rbuf[used + 5];
            pad = rbuf[used + 6];
            if (have - used < 8 + len + pad) {
                break;
            }

            if (rbuf[used + 1] == 3) {                      /* END */
                return got;
            }

            if (rbuf[used + 1] == 6) {                      /* STDOUT */
                if ((size_t) got + len > max) {
                    return -1;
                }
                memcpy(out + got, rbuf + used + 8, len);
                got += (long) len;
            }

            used += 8 + len + pad;
        }

        memmove(rbuf, rbuf + used, have - used);
        have -= used;

        clock_gettime(CLOCK_MONOTONIC, &now);
        pfd.fd = fd;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, CTL_STATUS_TIMEOUT
                          - (int) ((now.tv_sec - start.tv_sec) * 1000
                                   + (now.tv_nsec - start.tv_nsec)
                                     / 1000000))
            <= 0)
        {
            return -1;
        }

        r = read(fd, rbuf + have, sizeof(rbuf) - have);
        if (r <= 0) {
            return -1;
        }
        have += (size_t) r;
    }
}


static double
ctl_status_num(const cJSON *o, const char *a, const char *b)
{
    const cJSON  *v;

    v = cJSON_GetObjectItemCaseSensitive(o, a);
    v = (b != NULL) ? cJSON_GetObjectItemCaseSensitive(v, b) : v;

    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}


static int
ctl_status_true(const cJSON *o, const char *a, const char *b)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(o, a), b));
}


static const char *
ctl_status_str(const cJSON *o, const char *a, const char *b)
{
    const char  *s;

    s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(o, a), b));

    return s != NULL ? s : "";
}


/* The scheduled backups' line (none from a server that knows none). */
static void
ctl_status_backup(struct feat_ctl *ctl, const cJSON *o)
{
    double       last, ok, age;
    const char  *result, *running;

    if (cJSON_GetObjectItemCaseSensitive(o, "backup") == NULL) {
        return;
    }

    if (!ctl_status_true(o, "backup", "enabled")) {
        printf("backup:   off (no backup.dir)\n");
        return;
    }

    last = ctl_status_num(o, "backup", "last");
    ok = ctl_status_num(o, "backup", "last_ok");
    age = ctl_status_num(o, "backup", "last_ok_age");
    result = ctl_status_str(o, "backup", "last_result");
    running = ctl_status_true(o, "backup", "running") ? ", one under way"
                                                      : "";

    if (strcmp(result, "failed") == 0) {
        printf("backup:   FAILED at %s: %s%s\n",
               feat_ctl_time(ctl, (sqlite3_int64) last),
               ctl_status_str(o, "backup", "last_error"), running);
        if (ok > 0) {
            printf("          last good one %s at %s (%.0f s ago)\n",
                   ctl_status_str(o, "backup", "last_ok_file"),
                   feat_ctl_time(ctl, (sqlite3_int64) ok), age);
        }

    } else if (ok > 0) {
        printf("backup:   %s at %s (%.0f s ago), ok%s\n",
               ctl_status_str(o, "backup", "last_ok_file"),
               feat_ctl_time(ctl, (sqlite3_int64) ok), age, running);

    } else {
        printf("backup:   none yet%s\n", running);
    }
}


/* The answer as lines for people. */
static void
ctl_status_print(struct feat_ctl *ctl, const cJSON *o, const char *listen_on)
{
    double        started, sweep, age, now;
    const cJSON  *p, *problems;

    now = ctl_status_num(o, "time", NULL);
    started = ctl_status_num(o, "pool", "started_at");
    sweep = ctl_status_num(o, "jobs", "last_sweep");
    age = ctl_status_num(o, "jobs", "last_sweep_age");

    printf("featcgi:  %s on %s (version %s, up %.0f s)\n",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o,
               "status")), listen_on,
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o,
               "version")), started > 0 ? now - started : 0);
    printf("workers:  %.0f of %.0f alive%s, %.0f requests answered on "
           "%.0f connections\n",
           ctl_status_num(o, "pool", "alive"),
           ctl_status_num(o, "pool", "workers"),
           ctl_status_true(o, "pool", "stopping") ? ", stopping" : "",
           ctl_status_num(o, "pool", "requests"),
           ctl_status_num(o, "pool", "connections"));
    printf("database: %s, %s\n",
           ctl_status_true(o, "database", "reachable") ? "reachable"
                                                       : "UNREACHABLE",
           ctl_status_true(o, "database", "writable") ? "writable"
                                                      : "NOT WRITABLE");

    if (ctl_status_true(o, "jobs", "alive")) {
        printf("jobs:     running (pid %.0f), last sweep %s (%.0f s ago)\n",
               ctl_status_num(o, "jobs", "pid"),
               sweep > 0 ? feat_ctl_time(ctl, (sqlite3_int64) sweep)
                         : "none yet", age);
    } else {
        printf("jobs:     NOT RUNNING\n");
    }

    printf("outbox:   %.0f pending, %.0f sending, %.0f fan-outs\n",
           ctl_status_num(o, "outbox", "pending"),
           ctl_status_num(o, "outbox", "sending"),
           ctl_status_num(o, "outbox", "fanout"));

    ctl_status_backup(ctl, o);

    problems = cJSON_GetObjectItemCaseSensitive(o, "problems");
    cJSON_ArrayForEach(p, problems) {
        printf("problem:  %s\n", cJSON_GetStringValue(p));
    }
}


static int
ctl_status(struct feat_ctl *ctl, int argc, char **argv)
{
    int          fd, code;
    long         n;
    char        *buf, *body;
    const char  *listen_on;
    cJSON       *o;

    if (feat_ctl_args(ctl, argc, argv, NULL, NULL, 0) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    listen_on = feat_conf_path(FEAT_CONF_LISTEN);

    fd = ctl_status_connect(listen_on);
    if (fd < 0) {
        fprintf(stderr, "featctl: featcgi is not running: nothing answers "
                "on %s (%s)\n", listen_on, strerror(errno));
        return CTL_STATUS_DOWN;
    }

    buf = feat_arena_alloc(ctl->arena, CTL_STATUS_MAX + 1);
    n = ctl_status_ask(fd, buf, CTL_STATUS_MAX);
    close(fd);

    if (n < 0) {
        return feat_ctl_fail("no whole answer from %s", listen_on);
    }
    buf[n] = '\0';

    /* "Status: 503 ...\r\n" first when not 200; the body after a blank */
    code = 200;
    if (strncmp(buf, "Status: ", 8) == 0) {
        code = atoi(buf + 8);
    }

    body = strstr(buf, "\r\n\r\n");
    o = (body != NULL) ? cJSON_Parse(body + 4) : NULL;

    if (o == NULL || cJSON_GetObjectItemCaseSensitive(o, "pool") == NULL) {
        cJSON_Delete(o);
        return feat_ctl_fail("%s answered %d without the pool's state",
                             listen_on, code);
    }

    if (ctl->json) {
        fputs(body + 4, stdout);
        fputc('\n', stdout);
    } else {
        ctl_status_print(ctl, o, listen_on);
    }

    cJSON_Delete(o);

    return code == 200 ? FEAT_CTL_OK : FEAT_CTL_FAIL;
}
