/*
 * listen.c: the master's listening socket and pid file.  "listen" names a
 * unix socket path or a TCP address ("host:port", "[v6]:port", ":port" or
 * "port", no host meaning loopback).  A unix socket left behind by a dead
 * master is replaced; one that still accepts belongs to a running featcgi
 * and is refused, never unlinked: only a connect() answered "refused"
 * (nobody listens) makes a file stale, a full queue or any other answer
 * leaves it alone.  A new one gets "listen_mode" and the group
 * "listen_group".  The socket is bound once, before the first fork, and
 * every worker inherits it; feat_listen_close removes what this process
 * created, and only while the name still leads to the socket it bound, so
 * an old master never removes the socket of a new one.  "hash_listen",
 * when set, is a second socket the same way: the one nginx sends the
 * password routes to, served by a pool of its own (php-fpm's way), so a
 * storm of logins queues there and never in front of the workers that
 * serve everything else.
 *
 * A binary upgrade (upgrade.c) hands the sockets to the new master across
 * an exec: they stay open, and FEATCGI_LISTEN and FEATCGI_HASH_LISTEN
 * name each one as "fd:dev:ino:address" (dev and ino of the socket's file,
 * 0 for TCP).  The new master takes them as they are (feat_listen_inherit)
 * and binds only a socket it did not inherit; the old one closes its own
 * copies and removes nothing (feat_listen_leave).
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime.h"

#define FEAT_BACKLOG  1024

/* A bound socket: the main one, and the hashing pool's. */
struct feat_listener {
    int    fd;
    char  *unix_path;                   /* socket path to remove */
    char  *on;                          /* "listen" as bound */
    dev_t  dev;                         /* the socket file we bound */
    ino_t  ino;
};

static struct feat_listener  feat_listen_main = { -1, NULL, NULL, 0, 0 };
static struct feat_listener  feat_listen_hash = { -1, NULL, NULL, 0, 0 };
static char                 *feat_listen_pidfile;

#define FEAT_LISTEN_ENV_MAIN  "FEATCGI_LISTEN"
#define FEAT_LISTEN_ENV_HASH  "FEATCGI_HASH_LISTEN"


/*
 * "host:port", "[v6]:port", ":port" or "port" is TCP (no host means
 * loopback); anything else is a unix socket path.
 */
int
feat_listen_is_tcp(const char *s, char *host, size_t hn, char *port,
    size_t pn)
{
    size_t       len;
    const char  *colon;

    if (strchr(s, '/') != NULL) {
        return 0;
    }

    colon = strrchr(s, ':');

    if (colon == NULL) {
        if (s[0] == '\0' || strspn(s, "0123456789") != strlen(s)) {
            return 0;
        }
        snprintf(host, hn, "127.0.0.1");
        snprintf(port, pn, "%s", s);
        return strlen(s) <= 5;
    }

    if (colon[1] == '\0' || strspn(colon + 1, "0123456789")
                            != strlen(colon + 1)
        || strlen(colon + 1) > 5)
    {
        return 0;
    }

    len = (size_t) (colon - s);
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        s++;
        len -= 2;
    }

    if (len == 0) {
        snprintf(host, hn, "127.0.0.1");
    } else if (len < hn) {
        memcpy(host, s, len);
        host[len] = '\0';
    } else {
        return 0;
    }

    snprintf(port, pn, "%s", colon + 1);

    return 1;
}


static int
feat_listen_tcp(const char *host, const char *port)
{
    int               fd, on, rc;
    struct addrinfo   hints, *res, *ai;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;

    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        feat_log(LOG_EMERG, 0, "listen %s:%s: %s", host, port,
                 gai_strerror(rc));
        return -1;
    }

    fd = -1;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            continue;
        }

        on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));

        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }

        feat_log(LOG_EMERG, errno, "bind(%s:%s) failed", host, port);
        close(fd);
        fd = -1;
    }

    freeaddrinfo(res);

    return fd;
}


/*
 * Gives the socket config "listen_group" (empty: left alone), so that
 * nginx's user connects through the group while the socket's directory
 * and the rest stay featcgi's own.
 */
static int
feat_listen_group(const char *path)
{
    const char    *name;
    struct group  *gr;

    name = feat_conf_str(FEAT_CONF_LISTEN_GROUP);
    if (name == NULL || name[0] == '\0') {
        return FEAT_OK;
    }

    errno = 0;
    gr = getgrnam(name);
    if (gr == NULL) {
        feat_log(LOG_EMERG, errno, "\"listen_group\" %s is not a group",
                 name);
        return FEAT_ERROR;
    }

    if (chown(path, (uid_t) -1, gr->gr_gid) != 0) {
        feat_log(LOG_EMERG, errno, "chown(%s, group %s) failed", path, name);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


static int
feat_listen_unix(struct feat_listener *l, const char *path)
{
    int                 fd;
    long                mode;
    char               *end;
    const char         *smode;
    struct stat         st;
    struct sockaddr_un  sun;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;

    if (strlen(path) >= sizeof(sun.sun_path)) {
        feat_log(LOG_EMERG, 0, "socket path too long: %s", path);
        return -1;
    }
    memcpy(sun.sun_path, path, strlen(path));

    smode = feat_conf_str(FEAT_CONF_LISTEN_MODE);
    errno = 0;
    mode = strtol(smode, &end, 8);
    if (errno != 0 || *end != '\0' || end == smode || mode < 0
        || mode > 0777)
    {
        feat_log(LOG_EMERG, 0, "bad \"listen_mode\" \"%s\"", smode);
        return -1;
    }

    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        feat_log(LOG_EMERG, errno, "socket(AF_UNIX) failed");
        return -1;
    }

    /*
     * A socket left by a master that died is removed; one that still
     * answers belongs to a running featcgi, which is not ours to take.
     * The probe does not wait: a server whose queue is full answers
     * EAGAIN, and is just as alive.
     */
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            feat_log(LOG_EMERG, 0, "%s exists and is not a socket", path);
            goto failed;
        }

        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

        if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == 0
            || errno != ECONNREFUSED)
        {
            feat_log(LOG_EMERG, errno == ECONNREFUSED ? 0 : errno,
                     "%s is in use by a running server: not started "
                     "(stop that one first)", path);
            goto failed;
        }

        close(fd);
        unlink(path);

        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0) {
            feat_log(LOG_EMERG, errno, "socket(AF_UNIX) failed");
            return -1;
        }
    }

    if (bind(fd, (struct sockaddr *) &sun, sizeof(sun)) != 0) {
        feat_log(LOG_EMERG, errno, "bind(%s) failed", path);
        goto failed;
    }

    if (chmod(path, (mode_t) mode) != 0 || lstat(path, &st) != 0) {
        feat_log(LOG_EMERG, errno, "chmod(%s) failed", path);
        unlink(path);
        goto failed;
    }

    if (feat_listen_group(path) != FEAT_OK) {
        unlink(path);
        goto failed;
    }

    l->dev = st.st_dev;
    l->ino = st.st_ino;
    l->unix_path = strdup(path);

    return fd;

failed:

    close(fd);
    return -1;
}


static int
feat_listen_bind(struct feat_listener *l, const char *listen_on)
{
    int   fd;
    char  host[256], port[8];

    if (feat_listen_is_tcp(listen_on, host, sizeof(host), port,
                           sizeof(port)))
    {
        fd = feat_listen_tcp(host, port);
    } else {
        fd = feat_listen_unix(l, listen_on);
    }

    if (fd < 0) {
        return FEAT_ERROR;
    }

    if (listen(fd, FEAT_BACKLOG) != 0) {
        feat_log(LOG_EMERG, errno, "listen(%s) failed", listen_on);
        close(fd);
        return FEAT_ERROR;
    }

    l->fd = fd;
    l->on = strdup(listen_on);
    if (l->on == NULL) {
        abort();
    }

    feat_log(LOG_NOTICE, 0, "listening on %s", listen_on);

    return FEAT_OK;
}


int
feat_listen_open(void)
{
    const char  *main_on, *hash_on;

    main_on = feat_conf_path(FEAT_CONF_LISTEN);
    hash_on = feat_conf_path(FEAT_CONF_HASH_LISTEN);

    if (hash_on != NULL && strcmp(hash_on, main_on) == 0) {
        feat_log(LOG_EMERG, 0, "\"hash_listen\" must differ from \"listen\"");
        return FEAT_ERROR;
    }

    /* A socket taken over from the old master (an upgrade) is not bound
     * again. */
    if (feat_listen_main.fd < 0
        && feat_listen_bind(&feat_listen_main, main_on) != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    if (hash_on != NULL && hash_on[0] != '\0' && feat_listen_hash.fd < 0
        && feat_listen_bind(&feat_listen_hash, hash_on) != FEAT_OK)
    {
        feat_listen_close();
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


int
feat_listen_write_pid(void)
{
    int          fd, n;
    char         buf[32];
    const char  *path;

    path = feat_conf_path(FEAT_CONF_PID_FILE);
    if (path == NULL || path[0] == '\0') {
        return FEAT_OK;
    }

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        feat_log(LOG_EMERG, errno, "open(%s) failed", path);
        return FEAT_ERROR;
    }

    n = snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
    if (write(fd, buf, (size_t) n) != n) {
        feat_log(LOG_EMERG, errno, "write(%s) failed", path);
        close(fd);
        return FEAT_ERROR;
    }

    close(fd);

    feat_listen_pidfile = strdup(path);

    return FEAT_OK;
}


int
feat_listen_fd_get(void)
{
    return feat_listen_main.fd;
}


int
feat_listen_hash_fd(void)
{
    return feat_listen_hash.fd;
}


const char *
feat_listen_addr(void)
{
    return feat_listen_main.on;
}


const char *
feat_listen_hash_addr(void)
{
    return feat_listen_hash.on != NULL ? feat_listen_hash.on : "";
}


/* Removes l's socket file while the name still leads to the socket it
 * bound, and forgets the name. */
static void
feat_listen_unlink_one(struct feat_listener *l)
{
    struct stat  st;

    if (l->unix_path == NULL) {
        return;
    }

    if (lstat(l->unix_path, &st) == 0
        && st.st_dev == l->dev && st.st_ino == l->ino)
    {
        unlink(l->unix_path);
    }

    free(l->unix_path);
    l->unix_path = NULL;
}


static void
feat_listen_drop(struct feat_listener *l, int unlink_it)
{
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }

    if (l->unix_path != NULL) {
        if (unlink_it) {
            feat_listen_unlink_one(l);
        }
        free(l->unix_path);
        l->unix_path = NULL;
    }

    free(l->on);
    l->on = NULL;
}


/* Removes the pid file while it still holds this process's pid. */
static void
feat_listen_pid_remove(void)
{
    int      fd;
    ssize_t  n;
    char     buf[32];

    if (feat_listen_pidfile != NULL) {
        /* still ours: a new master may have written its own meanwhile */
        fd = open(feat_listen_pidfile, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            n = read(fd, buf, sizeof(buf) - 1);
            close(fd);
            if (n > 0) {
                buf[n] = '\0';
                if (atol(buf) == (long) getpid()) {
                    unlink(feat_listen_pidfile);
                }
            }
        }
        free(feat_listen_pidfile);
        feat_listen_pidfile = NULL;
    }
}


void
feat_listen_close(void)
{
    feat_listen_drop(&feat_listen_main, 1);
    feat_listen_drop(&feat_listen_hash, 1);
    feat_listen_pid_remove();
}


void
feat_listen_leave(void)
{
    feat_listen_drop(&feat_listen_main, 0);
    feat_listen_drop(&feat_listen_hash, 0);
    feat_listen_pid_remove();
}


void
feat_listen_unlink(void)
{
    feat_listen_unlink_one(&feat_listen_main);
    feat_listen_unlink_one(&feat_listen_hash);
}


void
feat_listen_forget(void)
{
    feat_listen_drop(&feat_listen_main, 0);
    feat_listen_drop(&feat_listen_hash, 0);
}


void
feat_listen_keep_only(int fd)
{
    if (feat_listen_main.fd != fd) {
        feat_listen_drop(&feat_listen_main, 0);
    }
    if (feat_listen_hash.fd != fd) {
        feat_listen_drop(&feat_listen_hash, 0);
    }
}


/* Puts l into the environment as name (nothing: name unset) and keeps
 * its descriptor open across exec. */
static int
feat_listen_export_one(struct feat_listener *l, const char *name)
{
    int   flags, n;
    char  buf[512];

    if (l->fd < 0) {
        return unsetenv(name) == 0 ? FEAT_OK : FEAT_ERROR;
    }

    n = snprintf(buf, sizeof(buf), "%d:%llu:%llu:%s", l->fd,
                 l->unix_path != NULL ? (unsigned long long) l->dev : 0ULL,
                 l->unix_path != NULL ? (unsigned long long) l->ino : 0ULL,
                 l->on);
    flags = fcntl(l->fd, F_GETFD);

    if (n < 0 || (size_t) n >= sizeof(buf) || flags == -1
        || fcntl(l->fd, F_SETFD, flags & ~FD_CLOEXEC) == -1
        || setenv(name, buf, 1) != 0)
    {
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


int
feat_listen_export(void)
{
    if (feat_listen_export_one(&feat_listen_main, FEAT_LISTEN_ENV_MAIN)
        != FEAT_OK
        || feat_listen_export_one(&feat_listen_hash, FEAT_LISTEN_ENV_HASH)
           != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/*
 * Takes the socket the environment's name describes into l: FEAT_OK,
 * FEAT_DECLINED when name is not set, FEAT_ERROR (logged) when it does
 * not parse or its descriptor is no listening socket.  The config option
 * o follows the socket: a config that names another address is told it
 * keeps this one until a restart, as a reload is.
 */
static int
feat_listen_adopt(struct feat_listener *l, const char *name,
    const struct feat_conf_option *o)
{
    int                 fd, on, n;
    char               *env;
    socklen_t           len;
    struct stat         st;
    const char         *conf;
    unsigned long long  dev, ino;

    if (getenv(name) == NULL) {
        return FEAT_DECLINED;
    }

    env = strdup(getenv(name));
    if (env == NULL) {
        abort();
    }
    unsetenv(name);             /* not for the children, nor a later exec */

    n = 0;
    if (sscanf(env, "%d:%llu:%llu:%n", &fd, &dev, &ino, &n) != 3 || n == 0
        || env[n] == '\0')
    {
        feat_log(LOG_EMERG, 0, "%s=\"%s\" does not parse", name, env);
        free(env);
        return FEAT_ERROR;
    }

    on = 0;
    len = sizeof(on);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)
        || getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0
        || on == 0)
    {
        feat_log(LOG_EMERG, errno, "%s: descriptor %d is no listening "
                 "socket", name, fd);
        free(env);
        return FEAT_ERROR;
    }

    l->fd = fd;
    l->on = strdup(env + n);
    if (l->on == NULL) {
        abort();
    }

    if (dev != 0 || ino != 0) {
        l->unix_path = strdup(env + n);
        if (l->unix_path == NULL) {
            abort();
        }
        l->dev = (dev_t) dev;
        l->ino = (ino_t) ino;
    }

    free(env);

    conf = feat_conf_path(o);
    if (conf == NULL || strcmp(conf, l->on) != 0) {
        feat_log(LOG_WARNING, 0, "\"%s\" is \"%s\": kept \"%s\", taken over "
                 "from the old master, until a restart", o->key,
                 conf != NULL ? conf : "", l->on);
        (void) feat_conf_set(o, l->on);
    }

    feat_log(LOG_NOTICE, 0, "listening on %s (taken over)", l->on);

    return FEAT_OK;
}


int
feat_listen_inherit(void)
{
    if (feat_listen_adopt(&feat_listen_main, FEAT_LISTEN_ENV_MAIN,
                          FEAT_CONF_LISTEN) == FEAT_ERROR
        || feat_listen_adopt(&feat_listen_hash, FEAT_LISTEN_ENV_HASH,
                             FEAT_CONF_HASH_LISTEN) == FEAT_ERROR)
    {
        feat_listen_leave();
        return FEAT_ERROR;
    }

    if (feat_listen_main.fd < 0) {
        feat_log(LOG_EMERG, 0, "%s is not set: nothing to take over",
                 FEAT_LISTEN_ENV_MAIN);
        feat_listen_leave();
        return FEAT_ERROR;
    }

    return FEAT_OK;
}
