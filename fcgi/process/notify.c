/*
 * notify.c: tells a service manager how the master is doing, with the
 * sd_notify(3) datagram protocol, without libsystemd.  systemd, for a
 * Type=notify unit, puts the path of a datagram socket in NOTIFY_SOCKET
 * ("/run/systemd/notify", or "@name" for an abstract one); the master
 * sends "READY=1" once the pool serves, "RELOADING=1" and then "READY=1"
 * around a reload, and "STOPPING=1" when a stop begins.  A binary
 * upgrade's new master says nothing until it is the main process: systemd
 * learns it from the pid file (upgrade.c).  Without
 * NOTIFY_SOCKET every call does nothing, so featcgi runs the same under a
 * shell, the tests or another supervisor.  Only the master calls it: the
 * variable is left in the environment, but a child never sends.
 */

#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"


int
feat_notify(const char *state)
{
    int                 fd, rc;
    char                buf[256];
    size_t              len, n;
    socklen_t           salen;
    const char         *path;
    struct timespec     ts;
    struct sockaddr_un  sun;

    path = getenv("NOTIFY_SOCKET");
    if (path == NULL || path[0] == '\0') {
        return FEAT_OK;
    }

    len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len < 2
        || len >= sizeof(sun.sun_path))
    {
        feat_log(LOG_ERR, 0, "NOTIFY_SOCKET \"%s\" is not usable", path);
        return FEAT_ERROR;
    }

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, len);
    if (path[0] == '@') {
        sun.sun_path[0] = '\0';         /* an abstract socket */
    }
    salen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len);

    /* systemd 253 and later want the monotonic time of a reload's start
     * (Type=notify-reload); older ones ignore the field. */
    n = (size_t) snprintf(buf, sizeof(buf), "%s", state);
    if (strcmp(state, "RELOADING=1") == 0
        && clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
    {
        n = (size_t) snprintf(buf, sizeof(buf), "%s\nMONOTONIC_USEC=%llu",
                              state,
                              (unsigned long long) ts.tv_sec * 1000000
                              + (unsigned long long) ts.tv_nsec / 1000);
    }

    if (n >= sizeof(buf)) {
        return FEAT_ERROR;
    }

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        feat_log(LOG_ERR, errno, "socket(AF_UNIX, SOCK_DGRAM) failed");
        return FEAT_ERROR;
    }

    rc = FEAT_OK;
    if (sendto(fd, buf, n, MSG_NOSIGNAL, (struct sockaddr *) &sun, salen)
        != (ssize_t) n)
    {
        feat_log(LOG_ERR, errno, "sendto(NOTIFY_SOCKET \"%s\") failed",
                 path);
        rc = FEAT_ERROR;
    }

    close(fd);

    return rc;
}


void
feat_notify_reload(void (*reload)(void))
{
    (void) feat_notify("RELOADING=1");
    reload();
    (void) feat_notify("READY=1");
}
