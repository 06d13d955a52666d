/*
 * async.c: the runtime's completion threads (see async.h).
 *
 * The core reads connections inside the waits of these threads, so the
 * thread that read a response usually finds its event at once and runs
 * it.
 */
#include "async.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"

typedef struct engine {
    grpc_completion_queue *cq;
    pthread_t *tids;
    size_t n;
    bool self_free; /* the last unref ran on one of the threads, which
                       frees the engine when it leaves its loop */
} engine;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static engine *g_eng; /* under g_mu, like g_refs */
static long g_refs;
static _Thread_local engine *t_mine; /* set on the engine's own threads */

static void engine_free(engine *e)
{
    grpc_completion_queue_destroy(e->cq);
    free(e->tids);
    free(e);
    cgi_grpc_unref();
}

static void *poll_loop(void *arg)
{
    engine *e = arg;
    t_mine = e;
    cgi_thread_name("cgrpc-async");
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(
            e->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_OP_COMPLETE)
            cgi_tag_run(ev.tag, ev.success != 0);
    }
    if (e->self_free) /* set by this very thread, in a run */
        engine_free(e);
    return NULL;
}

/* Half the CPUs, 1 to 16: the server side of a connection, or other
 * work, has the rest. One thread takes every event itself and never wakes
 * another; more share the work when a CPU is free for each. */
static size_t thread_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN) / 2;
    return (size_t)(n < 1 ? 1 : n > 16 ? 16 : n);
}

/* The threads inherit the caller's signal mask: every signal is blocked
 * meanwhile, so SIGINT and SIGTERM stay with the application's threads. */
static engine *engine_new(void)
{
    cgi_grpc_ref();
    engine *e = cgi_calloc(1, sizeof *e);
    e->cq = grpc_completion_queue_create_for_next(NULL);
    e->n = thread_count();
    e->tids = cgi_calloc(e->n, sizeof *e->tids);
    sigset_t old;
    cgi_signals_block_all(&old);
    for (size_t i = 0; i < e->n; i++)
        if (pthread_create(&e->tids[i], NULL, poll_loop, e) != 0)
            cgi_die("cgrpc: cannot start a completion thread");
    cgi_signals_restore(&old);
    return e;
}

grpc_completion_queue *cgi_async_ref(void)
{
    pthread_mutex_lock(&g_mu);
    if (g_refs++ == 0)
        g_eng = engine_new();
    grpc_completion_queue *cq = g_eng->cq;
    pthread_mutex_unlock(&g_mu);
    return cq;
}

void cgi_async_unref(void)
{
    pthread_mutex_lock(&g_mu);
    engine *e = NULL;
    if (--g_refs == 0) {
        e = g_eng;
        g_eng = NULL;
    }
    pthread_mutex_unlock(&g_mu);
    if (e == NULL)
        return;
    grpc_completion_queue_shutdown(e->cq);
    bool mine = t_mine == e;
    for (size_t i = 0; i < e->n; i++) {
        if (mine && pthread_equal(e->tids[i], pthread_self()))
            pthread_detach(e->tids[i]);
        else
            pthread_join(e->tids[i], NULL);
    }
    if (mine)
        e->self_free = true;
    else
        engine_free(e);
}
