/*
 * server.c: a server's life: create, listen, register, start, shut down.
 *
 * The core's server needs, in this order: channel arguments at creation
 * (message limits, SO_REUSEPORT), a completion queue registered before
 * start, listening ports and registered methods before start, and after
 * start a request posted for every call it should report. Shutting down is
 * the subtle part (see shutdown_now): stop accepting, give calls in flight a
 * grace period, cancel what is left, wait until every call is freed, and
 * only then destroy the server and drain the queue.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <grpc/grpc_security.h>

#include "server.h"
#include "status.h"
#include "tls.h"

#define DEFAULT_MAX_MESSAGE (4 * 1024 * 1024)
#define DEFAULT_MAX_THREADS 64

static void on_shutdown(cgi_tag *t, bool ok)
{
    (void)ok;
    cg_server *srv = cgi_container_of(t, cg_server, t_shutdown);
    pthread_mutex_lock(&srv->mu);
    srv->notified = true;
    pthread_cond_broadcast(&srv->cv);
    pthread_mutex_unlock(&srv->mu);
}

static void shutdown_now(cg_server *srv, int64_t grace_ms);
static void *lifecycle_main(void *arg);

static int cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* Says what is wrong with `o` (on stderr) and returns false, or returns
 * true when the options can be used. */
static bool check_opts(const cg_server_opts *o)
{
    const char *bad = NULL;
    char why[256];
    if (o->min_threads < 0 || o->max_threads < 0) {
        snprintf(why, sizeof why,
                 "min_threads (%d) and max_threads (%d) cannot be negative: "
                 "use 0 for the defaults",
                 o->min_threads, o->max_threads);
        bad = why;
    } else if (o->max_threads == 1) {
        bad = "max_threads is 1, but one thread must stay free to poll "
              "while another runs a handler: use 2 or more, or 0 for the "
              "default (64)";
    } else if (o->max_threads > 0 && o->min_threads > o->max_threads) {
        snprintf(why, sizeof why,
                 "min_threads (%d) is larger than max_threads (%d): raise "
                 "max_threads or lower min_threads",
                 o->min_threads, o->max_threads);
        bad = why;
    } else if (o->max_recv_bytes > INT32_MAX || o->max_send_bytes > INT32_MAX) {
        bad = "max_recv_bytes and max_send_bytes can be at most 2147483647 "
              "(2 GiB - 1), the largest message gRPC carries";
    } else if (o->keepalive_ms < 0 || o->keepalive_timeout_ms < 0 ||
               o->min_ping_interval_ms < 0) {
        bad = "keepalive_ms, keepalive_timeout_ms and min_ping_interval_ms "
              "cannot be negative: use 0 for the defaults";
    } else if (o->max_ping_strikes < -1) {
        bad = "max_ping_strikes must be -1 (no limit), 0 (the default, 2) "
              "or a positive count";
    }
    if (bad != NULL)
        cgi_warn("cg_server_new: %s", bad);
    return bad == NULL;
}

/* The core's server, with the channel arguments `o` asks for. */
static grpc_server *create_core(const cg_server *srv, const cg_server_opts *o)
{
    grpc_arg args[10];
    size_t n = 0;
    cgi_arg_int(args, &n, GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
                (int)srv->max_recv);
    cgi_arg_int(args, &n, GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, (int)srv->max_send);
    /* The core turns SO_REUSEPORT on by default, so a second server on a
     * busy port would start and quietly share its connections. */
    cgi_arg_int(args, &n, GRPC_ARG_ALLOW_REUSEPORT, o->allow_reuseport);
    if (o->keepalive_ms > 0) {
        cgi_arg_int(args, &n, GRPC_ARG_KEEPALIVE_TIME_MS,
                    cgi_clamp_int(o->keepalive_ms));
        /* The core stops pinging after two pings with no data in between;
         * a keepalive that should notice a vanished client on a quiet
         * stream must go on pinging. */
        cgi_arg_int(args, &n, GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    }
    if (o->keepalive_timeout_ms > 0)
        cgi_arg_int(args, &n, GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                    cgi_clamp_int(o->keepalive_timeout_ms));
    if (o->keepalive_permit_without_calls)
        cgi_arg_int(args, &n, GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    if (o->min_ping_interval_ms > 0)
        cgi_arg_int(args, &n,
                    GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                    cgi_clamp_int(o->min_ping_interval_ms));
    if (o->max_ping_strikes != 0) /* the core's 0 means "no limit" */
        cgi_arg_int(args, &n, GRPC_ARG_HTTP2_MAX_PING_STRIKES,
                    o->max_ping_strikes < 0 ? 0 : o->max_ping_strikes);
    grpc_channel_args ca = {n, args};
    return grpc_server_create(&ca, NULL);
}

/* What the server's calls share with it (see server_call.h). */
static void init_calls(cg_server *srv)
{
    cgi_calls *k = &srv->calls;
    k->core = srv->core;
    k->cq = srv->cq;
    k->pool = &srv->pool;
    k->max_send = srv->max_send;
    k->mu = &srv->mu;
    k->cv = &srv->cv;
    k->live = 0;
    atomic_init(&k->stopping, false);
    atomic_init(&k->arrivals, 0);
}

static cg_server *server_new(const cg_server_opts *opts)
{
    cg_server_opts o = {0};
    if (opts != NULL)
        o = *opts;
    if (!check_opts(&o))
        return NULL;
    cgi_grpc_ref(); /* signals are blocked: see cg_server_new */

    cg_server *srv = cgi_calloc(1, sizeof *srv);
    srv->max_recv = o.max_recv_bytes ? o.max_recv_bytes : DEFAULT_MAX_MESSAGE;
    srv->max_send = o.max_send_bytes ? o.max_send_bytes : DEFAULT_MAX_MESSAGE;
    srv->max_threads = o.max_threads > 0 ? o.max_threads : DEFAULT_MAX_THREADS;
    srv->min_threads = o.min_threads > 0 ? o.min_threads : cpu_count();
    if (srv->min_threads > srv->max_threads) /* the CPU count, too many */
        srv->min_threads = srv->max_threads;
    /* Set at start, when the number of methods is known. */
    srv->requests_per_method = 1;

    srv->core = create_core(srv, &o);
    srv->cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(srv->core, srv->cq, NULL);
    cgi_tag_init(&srv->t_shutdown, on_shutdown);
    pthread_mutex_init(&srv->setup_mu, NULL);
    pthread_mutex_init(&srv->mu, NULL);
    cgi_cond_init_mono(&srv->cv);
    sem_init(&srv->wake, 0, 0);
    init_calls(srv);
    atomic_init(&srv->async_grace, 0);
    atomic_init(&srv->async_asked, false);
    atomic_init(&srv->quit, false);
    srv->state = CGI_NEW;
    /* The thread that carries out cg_server_shutdown_async runs from the
     * start: a Ctrl-C may come while main is still setting up. */
    if (cgi_thread_start(&srv->lifecycle, lifecycle_main, srv) != 0) {
        cgi_warn("cg_server_new: cannot start a thread");
        cg_server_free(srv);
        return NULL;
    }
    srv->has_lifecycle = true;
    return srv;
}

/* Whether setup calls are still allowed: with setup_mu held. */
static bool setting_up(cg_server *srv)
{
    pthread_mutex_lock(&srv->mu);
    bool ok = srv->state == CGI_NEW && !atomic_load(&srv->async_asked);
    pthread_mutex_unlock(&srv->mu);
    return ok;
}

int cg_server_listen(cg_server *srv, const char *addr, const cg_tls_server *tls,
                     cg_status *err)
{
    cg_status dummy;
    if (err == NULL)
        err = &dummy;
    if (srv == NULL || addr == NULL) {
        *err = cgi_null_arg("cg_server_listen", srv == NULL ? "srv" : "addr");
        return -1;
    }
    pthread_mutex_lock(&srv->setup_mu);
    if (!setting_up(srv)) {
        pthread_mutex_unlock(&srv->setup_mu);
        *err = cgi_status(GRPC_STATUS_FAILED_PRECONDITION,
                          "listen before cg_server_start (and before a "
                          "shutdown)");
        return -1;
    }
    grpc_server_credentials *creds;
    if (tls != NULL) {
        creds = cgi_tls_server_creds(tls, err);
        if (creds == NULL) {
            pthread_mutex_unlock(&srv->setup_mu);
            return -1;
        }
    } else {
        creds = grpc_insecure_server_credentials_create();
    }
    int port = grpc_server_add_http2_port(srv->core, addr, creds);
    grpc_server_credentials_release(creds);
    pthread_mutex_unlock(&srv->setup_mu);
    if (port <= 0) {
        *err =
            cgi_status(GRPC_STATUS_UNAVAILABLE,
                       "cannot listen on %s (address in use or invalid)", addr);
        return -1;
    }
    *err = cg_ok();
    return port;
}

/* A method path the core will route: "/package.Service/Method". */
static bool good_path(const char *path)
{
    if (path == NULL || path[0] != '/')
        return false;
    const char *slash = strchr(path + 1, '/');
    return slash != NULL && slash > path + 1 && slash[1] != '\0' &&
           strchr(slash + 1, '/') == NULL;
}

/* Why `svc` cannot be registered, or NULL. Checked before the core sees any
 * of it: the core cannot take a registration back, and a method it knows
 * but nobody serves would leave its calls hanging. */
static const char *check_service(const cg_server *srv, const cg_service *svc,
                                 char *why, size_t n)
{
    if (svc->n_methods > 0 && svc->methods == NULL)
        return "its method table is NULL";
    for (size_t i = 0; i < svc->n_methods; i++) {
        const cg_method *m = &svc->methods[i];
        if (!good_path(m->path)) {
            snprintf(why, n,
                     "method %zu has the path \"%s\"; a path looks "
                     "like \"/package.Service/Method\"",
                     i, m->path ? m->path : "(null)");
            return why;
        }
        if (m->input == NULL || m->output == NULL ||
            (unsigned)m->kind > CG_BIDI_STREAMING) {
            snprintf(why, n,
                     "method %s has no message types or an unknown "
                     "kind: regenerate the code with protoc-gen-cgrpc",
                     m->path);
            return why;
        }
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcmp(svc->methods[j].path, m->path) == 0;
        for (size_t j = 0; j < srv->n_regs && !dup; j++)
            dup = strcmp(srv->regs[j].m->path, m->path) == 0;
        if (dup) {
            snprintf(why, n, "method %s is already registered", m->path);
            return why;
        }
    }
    return NULL;
}

/* Adds svc to the list reflection reads (setup_mu held). */
static void remember_service(cg_server *srv, const cg_service *svc)
{
    srv->svcs = cgi_realloc(srv->svcs, (srv->n_svcs + 1) * sizeof *srv->svcs);
    srv->svcs[srv->n_svcs++] = svc;
}

const cg_service *const *cgi_server_services(const cg_server *srv, size_t *n)
{
    *n = srv->n_svcs;
    return srv->svcs;
}

int cg_server_add_service(cg_server *srv, const cg_service *svc,
                          const void *impl, void *user)
{
    if (srv == NULL || svc == NULL) {
        cgi_warn("cg_server_add_service: %s is NULL",
                 srv == NULL ? "srv" : "svc");
        return -1;
    }
    const char *name = svc->name ? svc->name : "(unnamed)";
    pthread_mutex_lock(&srv->setup_mu);
    if (!setting_up(srv)) {
        pthread_mutex_unlock(&srv->setup_mu);
        cgi_warn("cannot register %s: register services before "
                 "cg_server_start",
                 name);
        return -1;
    }
    char why[256];
    const char *bad = check_service(srv, svc, why, sizeof why);
    if (bad != NULL) {
        pthread_mutex_unlock(&srv->setup_mu);
        cgi_warn("cannot register %s: %s", name, bad);
        return -1;
    }
    srv->regs = cgi_realloc(srv->regs,
                            (srv->n_regs + svc->n_methods) * sizeof *srv->regs);
    int rc = 0;
    for (size_t i = 0; i < svc->n_methods; i++) {
        const cg_method *m = &svc->methods[i];
        /* Unary and server-streaming calls are reported with their one
         * request already read: a round trip saved per call. */
        bool payload = m->kind == CG_UNARY || m->kind == CG_SERVER_STREAMING;
        void *h = grpc_server_register_method(
            srv->core, m->path, NULL,
            payload ? GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER
                    : GRPC_SRM_PAYLOAD_NONE,
            0);
        if (h == NULL) {
            /* Not expected after check_service. The methods the core has
             * taken stay registered, but answer UNIMPLEMENTED (no handler
             * table), so their calls never hang; the rest are not added. */
            cgi_warn("cannot register %s: gRPC refused method %s", name,
                     m->path);
            for (size_t j = srv->n_regs - i; j < srv->n_regs; j++)
                srv->regs[j].impl = NULL;
            rc = -1;
            break;
        }
        cgi_reg *r = &srv->regs[srv->n_regs++];
        r->m = m;
        r->impl = impl;
        r->user = user;
        r->handle = h;
    }
    if (rc == 0)
        remember_service(srv, svc);
    pthread_mutex_unlock(&srv->setup_mu);
    return rc;
}

void cg_server_add_interceptor(cg_server *srv, cg_server_interceptor_fn fn,
                               void *user)
{
    if (srv == NULL || fn == NULL)
        return;
    pthread_mutex_lock(&srv->setup_mu);
    if (setting_up(srv)) {
        srv->icpts =
            cgi_realloc(srv->icpts, (srv->n_icpts + 1) * sizeof *srv->icpts);
        srv->icpts[srv->n_icpts].fn = fn;
        srv->icpts[srv->n_icpts].user = user;
        srv->n_icpts++;
    }
    pthread_mutex_unlock(&srv->setup_mu);
}

/* Waits for cg_server_shutdown_async; a signal handler may only post. */
static void *lifecycle_main(void *arg)
{
    cg_server *srv = arg;
    cgi_thread_name("cgrpc-lifecycle");
    for (;;) {
        while (sem_wait(&srv->wake) != 0 && errno == EINTR)
            ;
        if (atomic_load(&srv->quit))
            return NULL;
        shutdown_now(srv, atomic_load(&srv->async_grace));
    }
}

static int server_start(cg_server *srv)
{
    if (srv == NULL)
        return -1;
    pthread_mutex_lock(&srv->setup_mu);
    if (!setting_up(srv) ||
        cgi_pool_start(&srv->pool, srv->cq, srv->min_threads,
                       srv->max_threads) != 0) {
        pthread_mutex_unlock(&srv->setup_mu);
        return -1;
    }
    /* The interceptors are fixed from now on (see setting_up). */
    srv->calls.icpts = srv->icpts;
    srv->calls.n_icpts = srv->n_icpts;
    grpc_server_start(srv->core);
    pthread_mutex_lock(&srv->mu);
    srv->state = CGI_RUNNING;
    pthread_mutex_unlock(&srv->mu);
    /* Requests posted ahead per method. With few, calls that come in a
     * burst wait in the core until a request is re-posted, which costs
     * more than a match with a request already there: 16 instead of 2
     * cut the bench server's CPU per unary call by about a tenth (64 did
     * no better). Each holds about 2.5 KiB, so a server with many
     * methods posts fewer per method: 256 in all, but at least one per
     * polling thread (up to 8), as many calls as can start at once. */
    int per = srv->n_regs > 0 ? (int)(CGI_REQUESTS_POSTED / srv->n_regs) : 1;
    if (per > CGI_REQUESTS_PER_METHOD)
        per = CGI_REQUESTS_PER_METHOD;
    int floor = srv->min_threads < 8 ? srv->min_threads : 8;
    if (per < floor)
        per = floor;
    srv->requests_per_method = per;
    for (size_t i = 0; i < srv->n_regs; i++)
        for (int k = 0; k < srv->requests_per_method; k++)
            cgi_request_call(&srv->calls, &srv->regs[i]);
    cgi_request_unknown(&srv->calls);
    pthread_mutex_unlock(&srv->setup_mu);
    return 0;
}

/* The graceful shutdown, in the only order the core accepts, one function
 * per phase:
 *  1. stop_accepting: grpc_server_shutdown_and_notify: no new calls;
 *     requests waiting for calls fail; the tag arrives once no call is
 *     being served.
 *  2. wait_for_calls: up to grace_ms for that, and for every call of ours
 *     to be freed.
 *  3. cancel_remaining: past the grace period, cancel every call: handlers
 *     see cg_ctx_cancelled, their sends and receives fail, and they return.
 *  4. tear_down: destroy the server, shut the queue down; the pollers
 *     drain it and leave; join them. */

/* Calls the core holds that no posted request has taken yet (every request
 * of their method was in use as they came) would be cancelled by the
 * shutdown without ever reaching a handler. A burst of fresh requests
 * first: the core matches waiting calls to them at once, in
 * grpc_server_request_registered_call, and they are served within the
 * grace period. Requests left unmatched fail at shutdown and are freed
 * (on_new with ok false). */
static void request_burst(cg_server *srv)
{
    for (size_t i = 0; i < srv->n_regs; i++)
        for (int k = 0; k < CGI_SHUTDOWN_BURST; k++)
            cgi_request_call(&srv->calls, &srv->regs[i]);
}

/* A server never started has no pollers: takes the core's shutdown tag
 * off the queue here. */
static void take_shutdown_tag(cg_server *srv)
{
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(
            srv->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        if (ev.type == GRPC_OP_COMPLETE && ev.tag == &srv->t_shutdown)
            break;
    }
    pthread_mutex_lock(&srv->mu);
    srv->notified = true;
    pthread_mutex_unlock(&srv->mu);
}

/* Phase 1. False when another shutdown came first: this one has then
 * waited for it to finish, and there is nothing left to do. *was_running
 * says whether the server had started (and has pollers). */
static bool stop_accepting(cg_server *srv, int64_t grace_ms, bool *was_running)
{
    /* setup_mu: a setup call in progress (cg_server_start above all)
     * finishes before the server changes state under it. */
    pthread_mutex_lock(&srv->setup_mu);
    pthread_mutex_lock(&srv->mu);
    if (srv->state == CGI_STOPPING || srv->state == CGI_STOPPED) {
        pthread_mutex_unlock(&srv->setup_mu);
        while (srv->state != CGI_STOPPED)
            pthread_cond_wait(&srv->cv, &srv->mu);
        pthread_mutex_unlock(&srv->mu);
        return false;
    }
    *was_running = srv->state == CGI_RUNNING;
    srv->state = CGI_STOPPING;
    srv->stop.shutdown_at_ms = cgi_now_ms();
    srv->stop.grace_ms = grace_ms > 0 ? grace_ms : 0;
    atomic_store(&srv->calls.stopping, true);
    pthread_mutex_unlock(&srv->mu);

    if (*was_running)
        request_burst(srv);
    grpc_server_shutdown_and_notify(srv->core, srv->cq,
                                    cgi_tag_publish(&srv->t_shutdown));
    pthread_mutex_unlock(&srv->setup_mu);
    if (!*was_running)
        take_shutdown_tag(srv);
    return true;
}

/* With srv->mu held: the core has said it is done and every call of ours
 * has been freed. */
static bool all_done_locked(const cg_server *srv)
{
    return srv->notified && srv->calls.live == 0;
}

/* Phase 2: true when everything ended within grace_ms.
 *
 * Once every call of ours is over (live 0), nothing the application knows
 * of is in flight. If the core still has not said it is done after
 * CGI_ORPHAN_WAIT_MS, it is holding a call no handler will ever see: one
 * that arrived in the instant between the core failing our requests and
 * marking itself shut down sits in its queue until its connection closes.
 * Cancelling all calls then closes the connections and frees it, and costs
 * nothing of ours; without it the shutdown would wait out the whole grace
 * period for that call. */
static bool wait_for_calls(cg_server *srv, int64_t grace_ms)
{
    pthread_mutex_lock(&srv->mu);
    int64_t end_ms = cgi_now_ms() + (grace_ms > 0 ? grace_ms : 0);
    int64_t orphan_ms = -1; /* since live reached 0: the end of that wait */
    while (!all_done_locked(srv)) {
        if (srv->calls.live > 0)
            orphan_ms = -1;
        else if (orphan_ms < 0)
            orphan_ms = cgi_now_ms() + CGI_ORPHAN_WAIT_MS;
        int64_t wake_ms =
            orphan_ms >= 0 && orphan_ms < end_ms ? orphan_ms : end_ms;
        if (cgi_now_ms() >= wake_ms)
            break;
        struct timespec wake = cgi_mono_timespec(wake_ms);
        pthread_cond_timedwait(&srv->cv, &srv->mu, &wake);
    }
    bool done = all_done_locked(srv);
    pthread_mutex_unlock(&srv->mu);
    return done;
}

/* Phase 3: cancels every call left and waits until all are freed. */
static void cancel_remaining(cg_server *srv)
{
    grpc_server_cancel_all_calls(srv->core);
    pthread_mutex_lock(&srv->mu);
    /* Handlers still running: the grace period ran out on them (none: only
     * the core's orphan, see wait_for_calls, which cuts nothing of ours). */
    srv->stop.cut = srv->calls.live > 0;
    while (!all_done_locked(srv))
        pthread_cond_wait(&srv->cv, &srv->mu);
    pthread_mutex_unlock(&srv->mu);
}

/* Phase 4: nothing is in flight; the server, its pollers and its queue go. */
static void tear_down(cg_server *srv, bool was_running)
{
    grpc_server_destroy(srv->core);
    srv->core = NULL;
    grpc_completion_queue_shutdown(srv->cq);
    if (was_running) {
        cgi_pool_join(&srv->pool);
    } else {
        while (grpc_completion_queue_next(
                   srv->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL)
                   .type != GRPC_QUEUE_SHUTDOWN)
            ;
    }
    grpc_completion_queue_destroy(srv->cq);
    srv->cq = NULL;

    pthread_mutex_lock(&srv->mu);
    srv->state = CGI_STOPPED;
    srv->stop.done_at_ms = cgi_now_ms();
    pthread_cond_broadcast(&srv->cv);
    pthread_mutex_unlock(&srv->mu);
}

static void shutdown_now(cg_server *srv, int64_t grace_ms)
{
    bool was_running;
    if (!stop_accepting(srv, grace_ms, &was_running))
        return;
    if (!wait_for_calls(srv, grace_ms))
        cancel_remaining(srv);
    tear_down(srv, was_running);
}

/* cg_server_drain's wait, with srv->mu held: true once no call has arrived
 * for quiet_ms, false at end_ms or when the server stops running. */
static bool drain_locked(cg_server *srv, int64_t quiet_ms, int64_t end_ms)
{
    for (;;) {
        if (srv->state != CGI_RUNNING)
            return false;
        /* A window of quiet_ms (cut short by end_ms) with no arrival. */
        long seen = atomic_load(&srv->calls.arrivals);
        int64_t now = cgi_now_ms();
        if (now >= end_ms)
            return false;
        int64_t until_ms = now + quiet_ms < end_ms ? now + quiet_ms : end_ms;
        struct timespec until = cgi_mono_timespec(until_ms);
        int rc = 0;
        while (srv->state == CGI_RUNNING && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&srv->cv, &srv->mu, &until);
        if (srv->state == CGI_RUNNING && until_ms - now >= quiet_ms &&
            atomic_load(&srv->calls.arrivals) == seen)
            return true;
    }
}

bool cg_server_drain(cg_server *srv, int64_t quiet_ms, int64_t max_ms)
{
    if (srv == NULL)
        return false;
    if (quiet_ms < 1)
        quiet_ms = 1;
    if (max_ms < 0)
        max_ms = 0;
    int64_t start = cgi_now_ms();
    pthread_mutex_lock(&srv->mu);
    bool quiet = drain_locked(srv, quiet_ms, start + max_ms);
    srv->stop.lame_duck_ms += cgi_now_ms() - start;
    pthread_mutex_unlock(&srv->mu);
    return quiet;
}

cg_server_stop_info cg_server_stop_info_get(cg_server *srv)
{
    cg_server_stop_info info = {0};
    if (srv == NULL)
        return info;
    pthread_mutex_lock(&srv->mu);
    info = srv->stop;
    pthread_mutex_unlock(&srv->mu);
    return info;
}

void cg_server_shutdown(cg_server *srv, int64_t grace_ms)
{
    if (srv != NULL)
        shutdown_now(srv, grace_ms);
}

void cg_server_shutdown_async(cg_server *srv, int64_t grace_ms)
{
    /* Async-signal-safe: lock-free atomic stores and sem_post only. The
     * flag stops a cg_server_start that comes before the lifecycle thread
     * has done the work. */
    if (srv == NULL)
        return;
    atomic_store(&srv->async_grace, grace_ms);
    atomic_store(&srv->async_asked, true);
    sem_post(&srv->wake);
}

void cg_server_wait(cg_server *srv)
{
    if (srv == NULL)
        return;
    pthread_mutex_lock(&srv->mu);
    while (srv->state != CGI_STOPPED &&
           (srv->state != CGI_NEW || atomic_load(&srv->async_asked)))
        pthread_cond_wait(&srv->cv, &srv->mu);
    pthread_mutex_unlock(&srv->mu);
}

static bool stopped(cg_server *srv)
{
    pthread_mutex_lock(&srv->mu);
    bool s = srv->state == CGI_STOPPED;
    pthread_mutex_unlock(&srv->mu);
    return s;
}

int cg_server_run_until_signal(cg_server *srv, int64_t grace_ms)
{
    if (srv == NULL)
        return -1;
    /* Block the two signals in this thread and wait for them here. The
     * runtime's threads and the core's (started in cg_server_new) block
     * every signal, so a SIGTERM sent to the process comes to this thread.
     * The wait wakes up now and then to notice a shutdown done by someone
     * else (cg_server_shutdown from another thread). */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    int sig = 0;
    while (sig <= 0 && !stopped(srv)) {
        struct timespec tick = {0, 200 * 1000 * 1000};
        sig = sigtimedwait(&set, NULL, &tick);
    }
    if (sig < 0)
        sig = 0;
    cg_server_shutdown(srv, grace_ms);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return sig;
}

void cg_server_free(cg_server *srv)
{
    if (srv == NULL)
        return;
    shutdown_now(srv, 0);
    if (srv->has_lifecycle) {
        atomic_store(&srv->quit, true);
        sem_post(&srv->wake);
        pthread_join(srv->lifecycle, NULL);
    }
    sem_destroy(&srv->wake);
    pthread_cond_destroy(&srv->cv);
    pthread_mutex_destroy(&srv->mu);
    pthread_mutex_destroy(&srv->setup_mu);
    free(srv->regs);
    free(srv->svcs);
    free(srv->icpts);
    free(srv);
    cgi_grpc_unref();
}

/* The core starts threads while a server is created and started; they take
 * the signal mask of the thread that calls in. Creating and starting with
 * every signal blocked leaves SIGINT and SIGTERM to the application's own
 * threads (see cg_server_run_until_signal). */
cg_server *cg_server_new(const cg_server_opts *opts)
{
    sigset_t old;
    cgi_signals_block_all(&old);
    cg_server *srv = server_new(opts);
    cgi_signals_restore(&old);
    return srv;
}

int cg_server_start(cg_server *srv)
{
    sigset_t old;
    cgi_signals_block_all(&old);
    int rc = server_start(srv);
    cgi_signals_restore(&old);
    return rc;
}
