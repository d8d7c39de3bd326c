/*
 * log.c: the error log and the access log.
 *
 * Error lines look like nginx's, with an ISO 8601 time:
 *   2026-11-23T08:00:00+08:00 [error] 1234#worker 2: *<request id> message
 * and are filtered by the config's log_level.  Both logs stamp times in
 * the system's zone, the one nginx's logs beside them use (never the apps'
 * "timezone"), and the request id is nginx's $request_id when nginx passes
 * it, so one request carries one id and one hour in every log.  Every line is formatted in a
 * stack buffer and written with one write(2) to a descriptor opened with
 * O_APPEND, so lines of the master, the workers and the jobs process never
 * interleave inside the same file.  "stderr" means descriptor 2; before
 * feat_log_open() everything goes to stderr.  The access log gets one line
 * per request, never the query string (v1 carries secrets in it).
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

#define FEAT_LOG_LINE_MAX  2048

static int   feat_log_fd = STDERR_FILENO;
static int   feat_access_fd = -1;
static int   feat_log_level = LOG_INFO;
static char  feat_log_role[32] = "main";
static char  feat_log_request[33];

static const char *const  feat_log_levels[] = {
    "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"
};


static int
feat_log_level_parse(const char *s)
{
    size_t  i;

    for (i = 0; i < FEAT_NELEMS(feat_log_levels); i++) {
        if (strcasecmp(s, feat_log_levels[i]) == 0) {
            return (int) i;
        }
    }

    /* syslog spellings too */
    if (strcasecmp(s, "err") == 0) {
        return LOG_ERR;
    }
    if (strcasecmp(s, "warning") == 0) {
        return LOG_WARNING;
    }

    return -1;
}


/* Opens a log file for appending; "stderr" answers 2, "off"/"" -1. */
static int
feat_log_open_file(const char *path, int *fd)
{
    if (path == NULL || path[0] == '\0' || strcmp(path, "off") == 0) {
        *fd = -1;
        return FEAT_OK;
    }

    if (strcmp(path, "stderr") == 0) {
        *fd = STDERR_FILENO;
        return FEAT_OK;
    }

    *fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (*fd == -1) {
        feat_log(LOG_EMERG, errno, "open(\"%s\") failed", path);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


static void
feat_log_replace(int *slot, int fd)
{
    if (*slot > STDERR_FILENO && *slot != fd) {
        close(*slot);
    }

    *slot = fd;
}


int
feat_log_open(void)
{
    int          level, efd, afd;
    const char  *name;

    name = feat_conf_str(FEAT_CONF_LOG_LEVEL);
    level = feat_log_level_parse(name);
    if (level < 0) {
        feat_log(LOG_EMERG, 0, "unknown log_level \"%s\"", name);
        return FEAT_ERROR;
    }

    /* open both before replacing either: a failure keeps the old ones */
    if (feat_log_open_file(feat_conf_path(FEAT_CONF_ERROR_LOG), &efd)
        != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    if (efd == -1) {
        efd = STDERR_FILENO;
    }

    if (feat_log_open_file(feat_conf_path(FEAT_CONF_ACCESS_LOG), &afd)
        != FEAT_OK)
    {
        if (efd > STDERR_FILENO) {
            close(efd);
        }
        return FEAT_ERROR;
    }

    feat_log_replace(&feat_log_fd, efd);
    feat_log_replace(&feat_access_fd, afd);
    feat_log_level = level;

    return FEAT_OK;
}


void
feat_log_close(void)
{
    feat_log_replace(&feat_log_fd, STDERR_FILENO);
    feat_log_replace(&feat_access_fd, -1);
}


void
feat_log_set_request(const char *id)
{
    size_t  n;

    if (id == NULL) {
        feat_log_request[0] = '\0';
        return;
    }

    /* once a request: a copy, not snprintf's ~600 instructions */
    n = strnlen(id, sizeof(feat_log_request) - 1);
    memcpy(feat_log_request, id, n);
    feat_log_request[n] = '\0';
}


/*
 * Where the events the audit log records come from (store/audit.c): kept
 * here beside the request id, as the same kind of per-request context.
 */
static char  feat_audit_address[64];
static char  feat_audit_actor[64] = "user";


/* Copies s into dst[size], cut to fit: snprintf's "%s" without its
 * ~600 instructions, twice a request. */
static void
feat_log_copy(char *dst, size_t size, const char *s)
{
    size_t  n;

    n = strnlen(s, size - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}


void
feat_audit_origin(const char *address, const char *actor)
{
    feat_log_copy(feat_audit_address, sizeof(feat_audit_address),
                  address != NULL ? address : "");
    feat_log_copy(feat_audit_actor, sizeof(feat_audit_actor),
                  actor != NULL && actor[0] != '\0' ? actor : "user");
}


void
feat_audit_origin_get(const char **address, const char **actor)
{
    *address = feat_audit_address;
    *actor = feat_audit_actor;
}


void
feat_log_set_role(const char *role)
{
    snprintf(feat_log_role, sizeof(feat_log_role), "%s",
             role == NULL ? "main" : role);
}


/* Writes the whole line; a short write to a log is retried, not lost. */
static void
feat_log_write(int fd, const char *buf, size_t n)
{
    ssize_t  w;

    while (n > 0) {
        w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        buf += w;
        n -= (size_t) w;
    }
}


/* Replaces control bytes so a logged value cannot forge a line. */
static void
feat_log_sanitize(char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            s[i] = '?';
        }
    }
}


void
feat_log(int level, int err, const char *fmt, ...)
{
    char        buf[FEAT_LOG_LINE_MAX];
    size_t      n, start;
    int         k, saved;
    time_t      now;
    va_list     ap;

    if (level > feat_log_level) {
        return;
    }

    saved = errno;

    if (level < 0 || level >= (int) FEAT_NELEMS(feat_log_levels)) {
        level = LOG_ERR;
    }

    now = time(NULL);
    n = feat_time_log_stamp(now, buf, sizeof(buf));
    k = snprintf(buf + n, sizeof(buf) - n, " [%s] %ld#%s: ",
                 feat_log_levels[level], (long) getpid(), feat_log_role);
    n += (k > 0) ? (size_t) k : 0;

    if (feat_log_request[0] != '\0') {
        k = snprintf(buf + n, sizeof(buf) - n, "*%s ", feat_log_request);
        n += (k > 0) ? (size_t) k : 0;
    }

    /* reserve room for the errno part and the newline */
    start = n;
    va_start(ap, fmt);
    k = vsnprintf(buf + n, sizeof(buf) - n - 80, fmt, ap);
    va_end(ap);

    if (k > 0) {
        n += ((size_t) k < sizeof(buf) - n - 80) ? (size_t) k
                                                 : sizeof(buf) - n - 81;
    }

    feat_log_sanitize(buf + start, n - start);

    if (err != 0) {
        k = snprintf(buf + n, sizeof(buf) - n - 1, " (%d: %s)", err,
                     strerror(err));
        if (k > 0) {
            n += ((size_t) k < sizeof(buf) - n - 1) ? (size_t) k
                                                     : sizeof(buf) - n - 2;
        }
    }

    buf[n++] = '\n';
    feat_log_write(feat_log_fd, buf, n);

    errno = saved;
}


/* A value for one field of the access log: spaces, '%' and control bytes
 * percent-encoded so the line keeps its columns; cut to fit out[n]. */
static const char *
feat_log_field(const char *s, char *out, size_t n)
{
    static const char  hex[] = "0123456789ABCDEF";
    unsigned char      c;
    size_t             i;

    for (i = 0; *s != '\0' && i + 4 < n; s++) {
        c = (unsigned char) *s;
        if (c <= 0x20 || c == 0x7f || c == '%') {
            out[i++] = '%';
            out[i++] = hex[c >> 4];
            out[i++] = hex[c & 0xf];
        } else {
            out[i++] = (char) c;
        }
    }

    out[i] = '\0';
    return out;
}


void
feat_log_access(struct feat_req *r, int status, double ms)
{
    char             buf[FEAT_LOG_LINE_MAX], date[40];
    char             pathbuf[1024], appbuf[200];
    const char      *app, *path, *method;
    size_t           n;
    int              k;
    time_t           now;

    if (feat_access_fd == -1) {
        return;
    }

    now = time(NULL);
    feat_time_log_stamp(now, date, sizeof(date));

    app = (r->app != NULL && r->app->id != NULL)
              ? feat_log_field(r->app->id, appbuf, sizeof(appbuf))
              : "-";
    path = (r->path != NULL) ? feat_log_field(r->path, pathbuf,
                                              sizeof(pathbuf))
                             : "-";
    method = (r->method_name != NULL && r->method_name[0] != '\0')
                 ? r->method_name
                 : "-";

    k = snprintf(buf, sizeof(buf) - 1, "%s %s %s app=%s %s %s %d %.3f",
                 date, r->request_id[0] ? r->request_id : "-",
                 r->remote_addr != NULL ? r->remote_addr : "-", app, method,
                 path, status, ms);
    if (k < 0) {
        return;
    }

    n = ((size_t) k < sizeof(buf) - 1) ? (size_t) k : sizeof(buf) - 2;

    /* the address and method come from nginx; no control bytes anyway */
    feat_log_sanitize(buf, n);
    buf[n++] = '\n';

    feat_log_write(feat_access_fd, buf, n);
}
