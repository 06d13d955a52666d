/*
 * pool.h: the threads that poll a server's completion queue and run its
 * handlers.
 *
 * Every worker loops on grpc_completion_queue_next and runs the event's tag
 * function itself. When the event is a new call, that function runs the
 * handler right there: no hand-off to another thread, no queue per call.
 *
 * A handler may block (sleep, wait in cg_recv for the client, call another
 * service); while it does, its thread does not poll, and if no thread were
 * left polling, even the events the blocked handlers wait for would never
 * be delivered. Two rules keep a poller:
 *
 *  - Growing. A watchdog thread looks every few milliseconds. When every
 *    worker has been inside its current handler for a while (stuck_us,
 *    2 ms) and none is running, the handlers are blocked rather than busy,
 *    and it starts one more worker, up to max. Such a worker, if its first
 *    handler leaves nobody polling again, starts the next at once (more
 *    calls of a burst are most likely queued), and so on up to max: a
 *    burst of blocked streams gets its threads in one go rather than one
 *    per look. A quick handler never makes the pool grow, so a server
 *    under a load of short calls keeps min threads. Workers beyond min
 *    that find nothing to do for idle_ms retire.
 *  - Parking. Two workers in grpc_completion_queue_next trade the core's
 *    poller role on every event (gRPC's epoll1 engine hands it on before
 *    it processes what it read): a futex wake-up or two per event, and
 *    for one call at a time most of the server's context switches. So a
 *    worker that has just waited for its event (no backlog) and sees
 *    another worker polling parks on the pool's condition variable
 *    instead of polling too. A parked worker is woken when events back
 *    up (a poller finds them waiting several times in a row), when a
 *    handler is about to wait (a stream's handler, cg_recv, cg_send) and
 *    nobody else polls, and by the watchdog when the only poller has been
 *    inside one handler for stuck_us.
 *  - Waiting. At max, the last worker still polling never enters a
 *    handler: it queues the call (cgi_pool_enter returns false) and a
 *    worker that comes out of its handler runs it. So at most max - 1
 *    handlers run at once and calls beyond that wait their turn, but the
 *    calls in progress always move. A call whose deadline has passed by
 *    the time it gets a thread is ended DEADLINE_EXCEEDED without running
 *    (server_call.c).
 */
#ifndef CGRPC_POOL_H
#define CGRPC_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <grpc/grpc.h>

#include "common.h"

typedef struct cgi_worker cgi_worker;

/* Work the pool runs later on a free worker: tag's function, with ok =
 * true, counted as a handler (it must end with cgi_pool_leave). */
typedef struct cgi_job {
    cgi_tag tag;
    struct cgi_job *next;
} cgi_job;

typedef struct cgi_pool {
    grpc_completion_queue *cq;
    int min, max;
    int64_t idle_ms;      /* how long an extra thread waits before retiring */
    int64_t stuck_us;     /* this long in one handler: blocked, not busy */
    pthread_mutex_t mu;   /* guards workers, spawning, the queue of jobs */
    pthread_cond_t wd_cv; /* wakes a parked watchdog */
    cgi_worker *workers;  /* every thread not yet joined */
    bool joining;         /* cgi_pool_join has begun: spawn no more */
    cgi_job *jobs, *jobs_tail; /* calls waiting for a free worker */
    cgi_worker *last_runnable; /* the watchdog's last worker seen running */
    int64_t runnable_seen_us;  /* and when */
    pthread_t watchdog;
    bool has_watchdog;
    atomic_bool wd_parked; /* the watchdog sleeps until a handler starts */
    atomic_int n_jobs;     /* length of the job queue */
    atomic_int threads;    /* workers still looping */
    atomic_int busy;       /* workers inside a handler */
    atomic_int polling;    /* workers inside grpc_completion_queue_next */
    atomic_int parked;     /* workers parked on park_cv (see park_spare) */
    int unparks;           /* wake-ups owed to parked workers (mu) */
    pthread_cond_t park_cv;
    atomic_int peak;      /* most threads at once, for tests */
    atomic_int peak_busy; /* most handlers at once, for tests */
} cgi_pool;

/* Starts min workers polling `cq`, and the watchdog. 0 on success. */
int cgi_pool_start(cgi_pool *p, grpc_completion_queue *cq, int min, int max);

/* Joins every worker and the watchdog. Call after
 * grpc_completion_queue_shutdown(cq): the workers leave their loop when the
 * queue reports GRPC_QUEUE_SHUTDOWN. Not from a worker. */
void cgi_pool_join(cgi_pool *p);

/* Brackets a handler, on the worker that is about to run it. True: run it
 * now, then call cgi_pool_leave. False: this worker is the last one
 * polling and the pool is at max, so `later` has been queued; the pool
 * runs it on the next worker that comes free, and that run must end with
 * cgi_pool_leave too. */
bool cgi_pool_enter(cgi_pool *p, cgi_job *later);
void cgi_pool_leave(cgi_pool *p);

/* Called by a handler that is about to wait (a stream's handler as it
 * starts, cg_recv or cg_send as they block): if no worker is left polling
 * and one is parked, wake it now rather than when the watchdog looks. */
void cgi_pool_will_block(cgi_pool *p);

#endif
