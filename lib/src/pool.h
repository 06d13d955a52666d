/*
 * pool.h: the threads that poll a server's completion queue and run its
 * handlers.
 *
 * Every worker loops on grpc_completion_queue_next and runs the event's tag
 * function itself. When the event is a new call, that function runs the
 * handler right there: no hand-off to another thread, no queue per call. A
 * handler may block (sleep, wait in cg_recv for the client, call another
 * service); while it does, its thread does not poll. So before a handler
 * starts the pool checks whether any poller would be left, and if not it
 * starts another thread (up to max). Threads beyond min that find nothing to
 * do for a while retire.
 */
#ifndef CGRPC_POOL_H
#define CGRPC_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <grpc/grpc.h>

typedef struct cgi_worker cgi_worker;

typedef struct cgi_pool {
    grpc_completion_queue *cq;
    int min, max;
    int64_t idle_ms;        /* how long an extra thread waits before retiring */
    pthread_mutex_t mu;     /* guards workers and spawning */
    cgi_worker *workers;    /* every thread not yet joined */
    bool joining;           /* cgi_pool_join has begun: spawn no more */
    atomic_int threads;     /* workers still looping */
    atomic_int busy;        /* workers inside a handler */
    atomic_int peak;        /* most threads at once, for tests */
} cgi_pool;

/* Starts min workers polling `cq`. 0 on success. */
int cgi_pool_start(cgi_pool *p, grpc_completion_queue *cq, int min, int max);

/* Joins every worker. Call after grpc_completion_queue_shutdown(cq): the
 * workers leave their loop when the queue reports GRPC_QUEUE_SHUTDOWN. Not
 * from a worker. */
void cgi_pool_join(cgi_pool *p);

/* Brackets a handler: enter may start a thread so that one stays polling. */
void cgi_pool_enter(cgi_pool *p);
void cgi_pool_leave(cgi_pool *p);

/* Starts a thread with every signal blocked, so that process signals are
 * delivered to the application's threads, never to the runtime's. */
int cgi_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
