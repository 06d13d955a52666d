/*
 * pool.c: polling threads that grow when handlers block (see pool.h).
 */
#include "pool.h"

#include <signal.h>
#include <stdlib.h>

#include "common.h"

struct cgi_worker {
    pthread_t tid;
    cgi_pool *pool;
    bool done;          /* left its loop; may be joined */
    cgi_worker *next;
};

int cgi_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static void *worker_main(void *arg);

/* Joins workers that have retired. Called with p->mu held; a retired
 * worker touches nothing shared after marking itself done, so joining it
 * under the lock cannot deadlock. */
static void reap_locked(cgi_pool *p)
{
    cgi_worker **link = &p->workers;
    while (*link != NULL) {
        cgi_worker *w = *link;
        if (w->done) {
            *link = w->next;
            pthread_join(w->tid, NULL);
            free(w);
        } else {
            link = &w->next;
        }
    }
}

static int spawn_locked(cgi_pool *p)
{
    reap_locked(p);
    if (p->joining)
        return -1;
    cgi_worker *w = cgi_calloc(1, sizeof *w);
    w->pool = p;
    atomic_fetch_add(&p->threads, 1);
    if (cgi_thread_start(&w->tid, worker_main, w) != 0) {
        atomic_fetch_sub(&p->threads, 1);
        free(w);
        return -1;
    }
    w->next = p->workers;
    p->workers = w;
    int n = atomic_load(&p->threads);
    if (n > atomic_load(&p->peak))
        atomic_store(&p->peak, n);
    return 0;
}

static void *worker_main(void *arg)
{
    cgi_worker *w = arg;
    cgi_pool *p = w->pool;
    for (;;) {
        /* Threads beyond the minimum wait with a timeout so they can
         * retire; the rest wait for ever. */
        bool extra = atomic_load(&p->threads) > p->min;
        gpr_timespec deadline = extra ? cgi_deadline_after(p->idle_ms)
                                      : gpr_inf_future(GPR_CLOCK_MONOTONIC);
        grpc_event ev = grpc_completion_queue_next(p->cq, deadline, NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_QUEUE_TIMEOUT) {
            /* Leave first, then look: if that left nobody polling while
             * handlers wait for events, come back. (cgi_pool_enter does the
             * mirror image, so one of the two always sees the other.) */
            pthread_mutex_lock(&p->mu);
            int left = atomic_fetch_sub(&p->threads, 1) - 1;
            bool retire = left >= p->min && atomic_load(&p->busy) < left;
            if (retire)
                w->done = true;
            else
                atomic_fetch_add(&p->threads, 1);
            pthread_mutex_unlock(&p->mu);
            if (retire)
                return NULL;
            continue;
        }
        cgi_tag_run(ev.tag, ev.success != 0);
    }
    pthread_mutex_lock(&p->mu);
    atomic_fetch_sub(&p->threads, 1);
    w->done = true;
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int cgi_pool_start(cgi_pool *p, grpc_completion_queue *cq, int min, int max)
{
    p->cq = cq;
    p->min = min < 1 ? 1 : min;
    p->max = max < p->min ? p->min : max;
    p->idle_ms = 2000;
    p->workers = NULL;
    p->joining = false;
    atomic_init(&p->threads, 0);
    atomic_init(&p->busy, 0);
    atomic_init(&p->peak, 0);
    pthread_mutex_init(&p->mu, NULL);
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    for (int i = 0; i < p->min && rc == 0; i++)
        rc = spawn_locked(p);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void cgi_pool_join(cgi_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->joining = true;
    cgi_worker *w = p->workers;
    p->workers = NULL;
    pthread_mutex_unlock(&p->mu);
    while (w != NULL) {
        cgi_worker *next = w->next;
        pthread_join(w->tid, NULL);
        free(w);
        w = next;
    }
    pthread_mutex_destroy(&p->mu);
}

void cgi_pool_enter(cgi_pool *p)
{
    int busy = atomic_fetch_add(&p->busy, 1) + 1;
    /* Fast path: some other thread is still polling. */
    if (busy < atomic_load(&p->threads))
        return;
    pthread_mutex_lock(&p->mu);
    if (atomic_load(&p->busy) >= atomic_load(&p->threads) &&
        atomic_load(&p->threads) < p->max)
        spawn_locked(p);
    pthread_mutex_unlock(&p->mu);
}

void cgi_pool_leave(cgi_pool *p)
{
    atomic_fetch_sub(&p->busy, 1);
}
