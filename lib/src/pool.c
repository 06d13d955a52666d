/*
 * pool.c: polling threads that grow when handlers block (see pool.h).
 */
#ifdef __linux__
#define _GNU_SOURCE /* syscall(SYS_gettid): the kernel's id of a thread */
#endif
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define WATCHDOG_TICK_US                                                       \
    1000                        /* how often the watchdog looks when no        \
                                   worker is polling */
#define WATCHDOG_CALM_US 4000   /* and when one is */
#define WATCHDOG_PARK_US 200000 /* nothing running this long: park */
/* Parking workers (pool.h): a worker that waited at least PARK_WAIT_US for
 * its last event may park; a wait under BACKLOG_WAIT_US found its event
 * already there, and BACKLOG_STREAK such in a row wake a parked worker. */
#define PARK_WAIT_US 50
#define BACKLOG_WAIT_US 20
#define BACKLOG_STREAK 4

struct cgi_worker {
    pthread_t tid;
    cgi_pool *pool;
    bool done;                  /* left its loop; may be joined */
    _Atomic int64_t busy_since; /* when its handler started; 0 = polling */
    _Atomic long os_tid;  /* the kernel's thread id (Linux), 0 = unknown */
    bool chain;           /* started because every worker was blocked:
                             if its first handler leaves nobody polling,
                             it starts the next worker (see grow_on) */
    int64_t last_wait_us; /* how long its last event took to come */
    int streak;           /* events found waiting, in a row */
    cgi_worker *next;
};

/* The worker running on this thread (NULL on other threads), so that
 * cgi_pool_enter can stamp the time its handler starts. */
static _Thread_local cgi_worker *this_worker;

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
            if (p->last_runnable == w)
                p->last_runnable = NULL;
            free(w);
        } else {
            link = &w->next;
        }
    }
}

static int spawn_locked(cgi_pool *p, bool chain)
{
    reap_locked(p);
    if (p->joining)
        return -1;
    cgi_worker *w = cgi_calloc(1, sizeof *w);
    w->pool = p;
    w->chain = chain;
    atomic_init(&w->busy_since, 0);
    atomic_init(&w->os_tid, 0);
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

/* Counts one more worker inside a handler, unless that would leave nobody
 * polling in a pool that may not grow. Lock-free: enter and the job runner
 * race for the last slot, and exactly one of them gets it. */
static bool try_busy(cgi_pool *p)
{
    int busy = atomic_load(&p->busy);
    for (;;) {
        int threads = atomic_load(&p->threads);
        if (busy + 1 >= threads && threads >= p->max)
            return false;
        if (atomic_compare_exchange_weak(&p->busy, &busy, busy + 1))
            break;
    }
    int peak = atomic_load(&p->peak_busy);
    while (busy + 1 > peak &&
           !atomic_compare_exchange_weak(&p->peak_busy, &peak, busy + 1))
        ;
    return true;
}

/* The handler on this thread starts now: stamp it for the watchdog, and
 * wake the watchdog if it sleeps (the first handler after a quiet spell). */
static void mark_busy(cgi_pool *p)
{
    if (this_worker != NULL)
        atomic_store(&this_worker->busy_since, cgi_now_us());
    if (atomic_load(&p->wd_parked)) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_signal(&p->wd_cv);
        pthread_mutex_unlock(&p->mu);
    }
}

/* A burst of calls whose handlers block (many streams opened at once):
 * the watchdog has started a worker because every other one was blocked,
 * and that worker's first call leaves nobody polling again. More calls
 * are most likely waiting in the completion queue, so start the next
 * worker now, flagged the same way, instead of waiting for the watchdog
 * to see this handler block too. The chain goes on as long as every new
 * worker's first call takes the last poller, and ends at max. Quick
 * handlers never start a chain: only the watchdog does, and only for
 * blocked workers. */
static void grow_on(cgi_pool *p)
{
    cgi_worker *w = this_worker;
    if (w == NULL || !w->chain)
        return;
    w->chain = false;
    if (atomic_load(&p->busy) + atomic_load(&p->parked) <
            atomic_load(&p->threads) ||
        atomic_load(&p->threads) >= p->max)
        return;
    pthread_mutex_lock(&p->mu);
    if (atomic_load(&p->threads) < p->max)
        spawn_locked(p, true);
    pthread_mutex_unlock(&p->mu);
}

/* Wakes one parked worker not already being woken. With p->mu held. */
static void unpark_locked(cgi_pool *p)
{
    if (atomic_load(&p->parked) > p->unparks) {
        p->unparks++;
        pthread_cond_signal(&p->park_cv);
    }
}

/* Wakes a parked worker when no worker polls. The caller has just left the
 * poll (or is about to wait): with park_spare's check, sequentially
 * consistent, either this sees the worker parked or it sees nobody
 * polling and stays up. */
static void unpark_if_nobody_polls(cgi_pool *p)
{
    if (atomic_load(&p->parked) == 0 || atomic_load(&p->polling) > 0)
        return;
    pthread_mutex_lock(&p->mu);
    if (atomic_load(&p->polling) == 0)
        unpark_locked(p);
    pthread_mutex_unlock(&p->mu);
}

void cgi_pool_will_block(cgi_pool *p)
{
    unpark_if_nobody_polls(p);
}

bool cgi_pool_enter(cgi_pool *p, cgi_job *later)
{
    if (try_busy(p)) {
        mark_busy(p);
        grow_on(p);
        return true;
    }
    /* Every other worker is in a handler and the pool is at its maximum:
     * this one must keep polling, or the calls in progress would stall. */
    later->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->jobs_tail != NULL)
        p->jobs_tail->next = later;
    else
        p->jobs = later;
    p->jobs_tail = later;
    atomic_fetch_add(&p->n_jobs, 1);
    pthread_mutex_unlock(&p->mu);
    return false;
}

void cgi_pool_leave(cgi_pool *p)
{
    if (this_worker != NULL)
        atomic_store(&this_worker->busy_since, 0);
    atomic_fetch_sub(&p->busy, 1);
}

/* Runs queued calls while this worker may take them (see try_busy). A
 * worker calls it between events, so the one that has just left a handler
 * is usually the one that picks up the next waiting call. */
static void run_jobs(cgi_pool *p)
{
    while (atomic_load(&p->n_jobs) > 0) {
        if (!try_busy(p))
            return;
        pthread_mutex_lock(&p->mu);
        cgi_job *job = p->jobs;
        if (job != NULL) {
            p->jobs = job->next;
            if (p->jobs == NULL)
                p->jobs_tail = NULL;
            atomic_fetch_sub(&p->n_jobs, 1);
        }
        pthread_mutex_unlock(&p->mu);
        if (job == NULL) {
            atomic_fetch_sub(&p->busy, 1); /* another worker took it */
            return;
        }
        mark_busy(p);
        cgi_tag_run(&job->tag, true); /* ends with cgi_pool_leave */
    }
}

/* Parks this worker while another one polls, if its last event kept it
 * waiting (no backlog): two pollers would trade the core's poller role on
 * every event. Only workers within min park; extra ones retire instead.
 * Returns once woken (true), or false at once when it should poll. */
static bool park_spare(cgi_pool *p, cgi_worker *w)
{
    if (w->last_wait_us < PARK_WAIT_US || atomic_load(&p->polling) == 0 ||
        atomic_load(&p->threads) > p->min)
        return false;
    w->last_wait_us = 0; /* once woken, it polls */
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->parked, 1);
    bool park = !p->joining && atomic_load(&p->polling) > 0 &&
                atomic_load(&p->n_jobs) == 0;
    while (park && p->unparks == 0 && !p->joining)
        pthread_cond_wait(&p->park_cv, &p->mu);
    if (park && p->unparks > 0)
        p->unparks--;
    atomic_fetch_sub(&p->parked, 1);
    pthread_mutex_unlock(&p->mu);
    return park;
}

/* Polls once: the event, with how long it took noted for park_spare, and
 * a parked worker woken when events keep coming faster than one thread
 * takes them. */
static grpc_event poll_once(cgi_pool *p, cgi_worker *w, gpr_timespec deadline)
{
    int64_t t0 = cgi_now_us();
    atomic_fetch_add(&p->polling, 1);
    grpc_event ev = grpc_completion_queue_next(p->cq, deadline, NULL);
    atomic_fetch_sub(&p->polling, 1);
    w->last_wait_us = cgi_now_us() - t0;
    w->streak = w->last_wait_us < BACKLOG_WAIT_US ? w->streak + 1 : 0;
    if (w->streak >= BACKLOG_STREAK && ev.type == GRPC_OP_COMPLETE) {
        w->streak = 0;
        unpark_if_nobody_polls(p);
    }
    return ev;
}

static void *worker_main(void *arg)
{
    cgi_worker *w = arg;
    cgi_pool *p = w->pool;
    this_worker = w;
    cgi_thread_name("cgrpc-worker");
#ifdef __linux__
    atomic_store(&w->os_tid, (long)syscall(SYS_gettid));
#endif
    for (;;) {
        run_jobs(p);
        if (park_spare(p, w))
            continue;
        /* Threads beyond the minimum wait with a timeout so they can
         * retire; the rest wait for ever. */
        bool extra = atomic_load(&p->threads) > p->min;
        gpr_timespec deadline = extra ? cgi_deadline_after(p->idle_ms)
                                      : gpr_inf_future(GPR_CLOCK_MONOTONIC);
        grpc_event ev = poll_once(p, w, deadline);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_QUEUE_TIMEOUT) {
            /* Retire only if a poller stays behind for the handlers still
             * running, and no call is waiting for a thread. */
            pthread_mutex_lock(&p->mu);
            int left = atomic_fetch_sub(&p->threads, 1) - 1;
            bool retire =
                left >= p->min &&
                atomic_load(&p->busy) + atomic_load(&p->parked) < left &&
                atomic_load(&p->n_jobs) == 0;
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

/* Whether thread `tid` is running or waiting for a CPU (Linux: state R in
 * /proc), rather than waiting for something to happen. */
static bool runnable(long tid)
{
#ifdef __linux__
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    /* "tid (name) S ...": the state follows the last ')'. */
    const char *p = strrchr(buf, ')');
    return p != NULL && p[1] == ' ' && p[2] == 'R';
#else
    (void)tid;
    return false;
#endif
}

/* True when no worker is polling and every one is blocked in its handler:
 * inside it for at least stuck_us, and (where the system says) not
 * running. A burst of quick calls, or a thread the scheduler has set
 * aside on a busy machine, is no reason for another thread. With p->mu
 * held. */
static bool all_stuck_locked(cgi_pool *p, int64_t now)
{
    int n = 0;
    for (cgi_worker *w = p->workers; w != NULL; w = w->next) {
        if (w->done)
            continue;
        int64_t since = atomic_load(&w->busy_since);
        if (since == 0 || now - since < p->stuck_us)
            return false;
        n++;
    }
    if (n == 0)
        return false;
    /* Only now the cost of asking the system (some 10 us a thread): a
     * worker found running is asked first next time, and for stuck_us
     * its answer stands. */
    if (p->last_runnable != NULL && now - p->runnable_seen_us < p->stuck_us)
        return false;
    cgi_worker *first = p->last_runnable;
    long tid = first != NULL ? atomic_load(&first->os_tid) : 0;
    if (tid != 0 && runnable(tid)) {
        p->runnable_seen_us = now;
        return false;
    }
    for (cgi_worker *w = p->workers; w != NULL; w = w->next) {
        tid = w->done || w == first ? 0 : atomic_load(&w->os_tid);
        if (tid != 0 && runnable(tid)) {
            p->last_runnable = w;
            p->runnable_seen_us = now;
            return false;
        }
    }
    p->last_runnable = NULL;
    return true;
}

/* True when a worker is parked, none polls, and a handler has held its
 * thread for stuck_us: the events behind it wait, so a parked worker is
 * woken (blocked or busy, it makes no difference here). */
static bool poller_stuck_locked(cgi_pool *p, int64_t now)
{
    if (atomic_load(&p->parked) <= p->unparks || atomic_load(&p->polling) > 0)
        return false;
    for (cgi_worker *w = p->workers; w != NULL; w = w->next) {
        int64_t since = atomic_load(&w->busy_since);
        if (!w->done && since != 0 && now - since >= p->stuck_us)
            return true;
    }
    return false;
}

static void nap_us(long us)
{
    struct timespec t = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&t, NULL);
}

/* The watchdog: grows the pool when its handlers are blocked. While
 * handlers run it looks every millisecond when no worker is left polling,
 * every 4 ms otherwise; after a quiet spell it parks on wd_cv, so that an
 * idle server costs no wake-ups (mark_busy wakes it). */
static void *watchdog_main(void *arg)
{
    cgi_pool *p = arg;
    long quiet_us = 0, nap = WATCHDOG_CALM_US;
    cgi_thread_name("cgrpc-watchdog");
    pthread_mutex_lock(&p->mu);
    while (!p->joining) {
        if (atomic_load(&p->busy) == 0 && atomic_load(&p->n_jobs) == 0) {
            quiet_us += nap;
            nap = WATCHDOG_CALM_US;
            if (quiet_us >= WATCHDOG_PARK_US) {
                /* Publish "parked" first, then look again: a handler that
                 * starts meanwhile either sees the flag and signals (it
                 * needs the lock, which the wait releases), or its count
                 * is seen here. */
                atomic_store(&p->wd_parked, true);
                if (atomic_load(&p->busy) == 0 &&
                    atomic_load(&p->n_jobs) == 0 && !p->joining)
                    pthread_cond_wait(&p->wd_cv, &p->mu);
                atomic_store(&p->wd_parked, false);
                quiet_us = 0;
                continue;
            }
        } else {
            quiet_us = 0;
            int threads = atomic_load(&p->threads);
            bool waiting = atomic_load(&p->n_jobs) > 0;
            if (poller_stuck_locked(p, cgi_now_us()))
                unpark_locked(p);
            else if (threads < p->max &&
                     (all_stuck_locked(p, cgi_now_us()) || waiting))
                spawn_locked(p, true);
            /* Look closely only while nobody polls; a handler starting
             * meanwhile has its start time stamped, so a slower look
             * still sees how long it has been inside. */
            nap = atomic_load(&p->busy) + atomic_load(&p->parked) >=
                          atomic_load(&p->threads)
                      ? WATCHDOG_TICK_US
                      : WATCHDOG_CALM_US;
        }
        pthread_mutex_unlock(&p->mu);
        nap_us(nap);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int cgi_pool_start(cgi_pool *p, grpc_completion_queue *cq, int min, int max)
{
    p->cq = cq;
    p->min = min < 1 ? 1 : min;
    /* One worker always stays free to poll once the pool is full, so a
     * pool needs two to run any handler at all. */
    p->max = max < p->min ? p->min : max;
    if (p->max < 2)
        p->max = 2;
    p->idle_ms = 2000;
    p->stuck_us = 2000;
    p->workers = NULL;
    p->joining = false;
    p->jobs = p->jobs_tail = NULL;
    p->last_runnable = NULL;
    p->runnable_seen_us = 0;
    p->has_watchdog = false;
    atomic_init(&p->wd_parked, false);
    atomic_init(&p->n_jobs, 0);
    atomic_init(&p->threads, 0);
    atomic_init(&p->busy, 0);
    atomic_init(&p->polling, 0);
    atomic_init(&p->parked, 0);
    p->unparks = 0;
    atomic_init(&p->peak, 0);
    atomic_init(&p->peak_busy, 0);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wd_cv, NULL);
    pthread_cond_init(&p->park_cv, NULL);
    if (cgi_thread_start(&p->watchdog, watchdog_main, p) != 0) {
        pthread_cond_destroy(&p->park_cv);
        pthread_cond_destroy(&p->wd_cv);
        pthread_mutex_destroy(&p->mu);
        return -1;
    }
    p->has_watchdog = true;
    /* A worker that fails to start is made up for later by the watchdog;
     * only a pool with none at all cannot serve. */
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < p->min; i++)
        spawn_locked(p, false);
    bool none = p->workers == NULL;
    pthread_mutex_unlock(&p->mu);
    if (none) {
        cgi_pool_join(p);
        return -1;
    }
    return 0;
}

void cgi_pool_join(cgi_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->joining = true;
    pthread_cond_signal(&p->wd_cv);
    pthread_cond_broadcast(&p->park_cv);
    cgi_worker *w = p->workers;
    p->workers = NULL;
    pthread_mutex_unlock(&p->mu);
    if (p->has_watchdog)
        pthread_join(p->watchdog, NULL);
    while (w != NULL) {
        cgi_worker *next = w->next;
        pthread_join(w->tid, NULL);
        free(w);
        w = next;
    }
    pthread_cond_destroy(&p->park_cv);
    pthread_cond_destroy(&p->wd_cv);
    pthread_mutex_destroy(&p->mu);
}
