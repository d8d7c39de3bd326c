/*
 * fcgi-hello.c: the benchmark's baseline, the least a libfcgi responder
 * can do.
 *
 * It binds its own unix socket, forks N workers that each accept on it
 * with the same libfcgi calls featcgi's workers use (FCGX_InitRequest,
 * FCGX_Accept_r, FCGX_Finish_r), and answers every request with one fixed
 * JSON body: the seed's example of GET /api/personal/info, so both sides
 * of the comparison move the same bytes and the difference t/bench/run
 * reports is featcgi's own work (routing, the token check, one SQLite
 * query, building the reply).  It reads no config and touches no database.
 *
 *     fcgi-hello -s SOCKET [-n WORKERS]
 *
 * The parent waits; SIGTERM or SIGINT makes it stop the workers (by pid),
 * remove the socket and exit 0.  Not installed; built by "make check".
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#define HELLO_MAX_WORKERS  64
#define HELLO_BACKLOG      1024

static const char  hello_answer[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json; charset=utf-8\r\n"
    "\r\n"
    "{\"code\":0,\"message\":\"success\",\"data\":{\"id\":8,\"area\":\"86\","
    "\"phone\":\"18656660930\",\"email\":\"\","
    "\"openid\":\"HuTfdXc8mENtNULFPBVt233cN2gzZ9lKqAcoUKed\",\"role\":0,"
    "\"username\":\"18656660930\",\"is_active\":true,\"app_id\":\"\","
    "\"created_at\":\"2019-05-22 18:20:45\","
    "\"updated_at\":\"2019-05-22 18:20:45\",\"nickname\":\"\","
    "\"avatar\":\"\",\"gender\":2,\"birthday\":\"\",\"address\":\"\"}}";

static volatile sig_atomic_t  hello_stop;


static void
hello_on_signal(int signo)
{
    hello_stop = 1;
}


static int
hello_worker(int fd)
{
    char          buf[4096];
    FCGX_Request  req;

    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);

    if (FCGX_InitRequest(&req, fd, 0) != 0) {
        return 1;
    }

    while (FCGX_Accept_r(&req) >= 0) {
        /* drain any body, as a real responder must before answering */
        while (FCGX_GetStr(buf, sizeof(buf), req.in) > 0) {
            /* nothing */
        }

        FCGX_PutStr(hello_answer, sizeof(hello_answer) - 1, req.out);
        FCGX_Finish_r(&req);
    }

    return 0;
}


int
main(int argc, char **argv)
{
    int               c, fd, n, i, status;
    pid_t             pid[HELLO_MAX_WORKERS];
    const char       *path;
    struct sigaction  sa;

    path = NULL;
    n = 2;

    while ((c = getopt(argc, argv, "s:n:")) != -1) {
        switch (c) {
        case 's':
            path = optarg;
            break;
        case 'n':
            n = atoi(optarg);
            break;
        default:
            goto usage;
        }
    }

    if (path == NULL || optind != argc || n < 1 || n > HELLO_MAX_WORKERS) {
        goto usage;
    }

    if (FCGX_Init() != 0) {
        fprintf(stderr, "fcgi-hello: FCGX_Init failed\n");
        return 1;
    }

    unlink(path);
    fd = FCGX_OpenSocket(path, HELLO_BACKLOG);
    if (fd < 0) {
        fprintf(stderr, "fcgi-hello: cannot listen on %s\n", path);
        return 1;
    }
    chmod(path, 0660);

    /* no SA_RESTART: pause() and waitpid() must return on the signal */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = hello_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    for (i = 0; i < n; i++) {
        pid[i] = fork();
        if (pid[i] == -1) {
            fprintf(stderr, "fcgi-hello: fork: %s\n", strerror(errno));
            n = i;
            hello_stop = 1;
            break;
        }
        if (pid[i] == 0) {
            _exit(hello_worker(fd));
        }
    }

    while (!hello_stop) {
        if (waitpid(-1, &status, 0) > 0) {
            /* a baseline that lost a worker measures nothing: stop */
            fprintf(stderr, "fcgi-hello: a worker exited (status %d)\n",
                    status);
            break;
        }
        if (errno != EINTR) {
            break;
        }
    }

    for (i = 0; i < n; i++) {
        kill(pid[i], SIGTERM);
    }
    for (i = 0; i < n; i++) {
        waitpid(pid[i], NULL, 0);
    }

    unlink(path);
    return 0;

usage:

    fprintf(stderr, "usage: fcgi-hello -s SOCKET [-n WORKERS (1-%d)]\n",
            HELLO_MAX_WORKERS);
    return 2;
}
