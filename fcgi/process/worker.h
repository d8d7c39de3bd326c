/*
 * worker.h: what a worker's two files share and nobody else uses:
 * worker.c (the process: signals, start, dispatch of a request) and
 * conns.c (its FastCGI connections and the loop that serves them).
 */

#ifndef FEAT_WORKER_H
#define FEAT_WORKER_H

/* What the master asked: nothing yet (0), retire (SIGQUIT: a reload, the
 * new workers take the queue) or stop (SIGTERM: the pool is going away). */
#define FEAT_WORKER_RETIRE  1
#define FEAT_WORKER_STOP    2

/*
 * Reads the signals pending on the worker's signalfd (non-blocking),
 * reopens the logs if SIGUSR1 came, and answers what the master asked:
 * 0, FEAT_WORKER_RETIRE or FEAT_WORKER_STOP (a stop wins over a retire).
 */
int feat_worker_signals_poll(int sigfd);

/*
 * Serves FastCGI connections from listen_fd until the worker retires or
 * stops and its connections are drained (conns.c).  Each request is
 * dispatched with feat_dispatch() in arena, reset after it.  FEAT_OK, or
 * FEAT_ERROR when the worker could not set up (logged).
 */
int feat_conns_run(int listen_fd, int sigfd, struct feat_arena *arena);

#endif /* FEAT_WORKER_H */
