/*
 * channel.c: channels: targets, options, TLS, connectivity, and the small
 * pieces every call on a channel borrows (a pluck queue, a registered
 * method handle).
 *
 * Blocking calls wait with grpc_completion_queue_pluck on a queue of their
 * own. Creating a queue per call costs a little, so a channel keeps the
 * queues of finished calls and hands them to the next ones.
 */
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>

#include "async.h"
#include "channel.h"
#include "common.h"
#include "status.h"
#include "tls.h"

#define MAX_ARGS 12

/* The core's channel to `target` with the options `o` asks for, or NULL
 * with *err filled in. */
static grpc_channel *create_core(const char *target, const cg_channel_opts *o,
                                 cg_status *err)
{
    grpc_channel_credentials *creds = o->tls != NULL
                                          ? cgi_tls_channel_creds(o->tls, err)
                                          : grpc_insecure_credentials_create();
    if (creds == NULL)
        return NULL;
    grpc_arg args[MAX_ARGS];
    size_t n = 0;
    if (o->max_recv_bytes)
        cgi_arg_int(args, &n, GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
                    cgi_clamp_int((int64_t)o->max_recv_bytes));
    if (o->max_send_bytes)
        cgi_arg_int(args, &n, GRPC_ARG_MAX_SEND_MESSAGE_LENGTH,
                    cgi_clamp_int((int64_t)o->max_send_bytes));
    if (o->service_config_json)
        cgi_arg_str(args, &n, GRPC_ARG_SERVICE_CONFIG, o->service_config_json);
    if (o->lb_policy)
        cgi_arg_str(args, &n, GRPC_ARG_LB_POLICY_NAME, o->lb_policy);
    if (o->keepalive_ms > 0)
        cgi_arg_int(args, &n, GRPC_ARG_KEEPALIVE_TIME_MS,
                    cgi_clamp_int(o->keepalive_ms));
    if (o->keepalive_timeout_ms > 0)
        cgi_arg_int(args, &n, GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                    cgi_clamp_int(o->keepalive_timeout_ms));
    if (o->reconnect_backoff_ms > 0)
        cgi_arg_int(args, &n, GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
                    cgi_clamp_int(o->reconnect_backoff_ms));
    if (o->reconnect_backoff_max_ms > 0)
        cgi_arg_int(args, &n, GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                    cgi_clamp_int(o->reconnect_backoff_max_ms));
    if (o->tls != NULL && o->tls->server_name_override != NULL)
        cgi_arg_str(args, &n, GRPC_SSL_TARGET_NAME_OVERRIDE_ARG,
                    o->tls->server_name_override);
    /* Connections belong to their channel: two channels to one target do
     * not share one, so freeing a channel really closes its connections. */
    cgi_arg_int(args, &n, GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    grpc_channel_args ca = {n, args};

    grpc_channel *core = grpc_channel_create(target, creds, &ca);
    grpc_channel_credentials_release(creds);
    if (core == NULL)
        *err =
            cgi_status(GRPC_STATUS_INVALID_ARGUMENT, "bad target %s", target);
    return core;
}

static cg_channel *channel_new(const char *target, const cg_channel_opts *opts,
                               cg_status *err)
{
    cg_status dummy;
    if (err == NULL)
        err = &dummy;
    cg_channel_opts o = {0};
    if (opts != NULL)
        o = *opts;
    if (target == NULL || target[0] == '\0') {
        *err = target == NULL
                   ? cgi_null_arg("cg_channel_new", "target")
                   : cgi_status(GRPC_STATUS_INVALID_ARGUMENT, "empty target");
        return NULL;
    }

    cgi_grpc_ref(); /* signals are blocked: see cg_channel_new */
    grpc_channel *core = create_core(target, &o, err);
    if (core == NULL) {
        cgi_grpc_unref();
        return NULL;
    }
    cg_channel *ch = cgi_calloc(1, sizeof *ch);
    ch->core = core;
    ch->max_send = o.max_send_bytes;
    ch->wait_for_ready = o.wait_for_ready;
    ch->refs = 1;
    pthread_mutex_init(&ch->mu, NULL);
    pthread_cond_init(&ch->async_cv, NULL);
    atomic_init(&ch->n_waiting, 0);
    *err = cg_ok();
    return ch;
}

static void drain_and_destroy(grpc_completion_queue *cq)
{
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_pluck(
               cq, NULL, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL)
               .type != GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
}

/* The last reference is gone: no call is left on the channel. */
static void channel_destroy(cg_channel *ch)
{
    grpc_channel_destroy(ch->core);
    for (size_t i = 0; i < ch->n_idle; i++)
        drain_and_destroy(ch->idle_cqs[i]);
    free(ch->idle_cqs);
    for (size_t i = 0; i < ch->n_regs; i++)
        free(ch->regs[i].path);
    free(ch->regs);
    free(ch->icpts);
    if (ch->async_cq != NULL)
        cgi_async_unref();
    pthread_cond_destroy(&ch->async_cv);
    pthread_mutex_destroy(&ch->mu);
    free(ch);
    cgi_grpc_unref();
}

static void channel_unref(cg_channel *ch)
{
    pthread_mutex_lock(&ch->mu);
    bool last = --ch->refs == 0;
    pthread_mutex_unlock(&ch->mu);
    if (last)
        channel_destroy(ch);
}

/* Whether this thread is running an asynchronous call's callback. */
static _Thread_local bool t_in_callback;

void cg_channel_free(cg_channel *ch)
{
    if (ch == NULL)
        return;
    pthread_mutex_lock(&ch->mu);
    ch->closed = true;
    for (cgi_chlink *l = ch->calls; l != NULL; l = l->next)
        if (l->call != NULL)
            grpc_call_cancel(l->call, NULL);
    /* Asynchronous calls, cancelled now, end on the completion threads:
     * wait for their callbacks, unless this is one of them (the threads
     * may all be busy, or this the only one). */
    while (!t_in_callback && ch->n_async > 0)
        pthread_cond_wait(&ch->async_cv, &ch->mu);
    pthread_mutex_unlock(&ch->mu);
    channel_unref(ch);
}

bool cgi_channel_attach(cg_channel *ch, cgi_chlink *l)
{
    pthread_mutex_lock(&ch->mu);
    bool open = !ch->closed;
    ch->refs++;
    l->call = NULL;
    l->prev = NULL;
    l->next = ch->calls;
    if (ch->calls)
        ch->calls->prev = l;
    ch->calls = l;
    l->linked = true;
    pthread_mutex_unlock(&ch->mu);
    return open;
}

grpc_completion_queue *cgi_channel_attach_async(cg_channel *ch, cgi_chlink *l)
{
    pthread_mutex_lock(&ch->mu);
    if (ch->closed) {
        pthread_mutex_unlock(&ch->mu);
        return NULL;
    }
    if (ch->async_cq == NULL)
        ch->async_cq = cgi_async_ref();
    ch->n_async++;
    grpc_completion_queue *cq = ch->async_cq;
    pthread_mutex_unlock(&ch->mu);
    cgi_channel_attach(ch, l);
    return cq;
}

void cgi_channel_in_callback(void)
{
    t_in_callback = true;
}

void cgi_channel_async_end(cg_channel *ch)
{
    t_in_callback = false;
    pthread_mutex_lock(&ch->mu);
    ch->n_async--;
    pthread_cond_broadcast(&ch->async_cv);
    bool last = --ch->refs == 0;
    pthread_mutex_unlock(&ch->mu);
    if (last)
        channel_destroy(ch);
}

bool cgi_channel_set_call(cg_channel *ch, cgi_chlink *l, grpc_call *call)
{
    /* Under the lock cg_channel_free cancels calls with: either it sees
     * the core's call and cancels it, or this sees the channel closed. */
    pthread_mutex_lock(&ch->mu);
    l->call = call;
    bool open = !ch->closed;
    pthread_mutex_unlock(&ch->mu);
    return open;
}

void cgi_channel_unlink(cg_channel *ch, cgi_chlink *l)
{
    pthread_mutex_lock(&ch->mu);
    if (l->linked) {
        if (l->prev)
            l->prev->next = l->next;
        else
            ch->calls = l->next;
        if (l->next)
            l->next->prev = l->prev;
        l->linked = false;
    }
    pthread_mutex_unlock(&ch->mu);
}

void cgi_channel_detach(cg_channel *ch, cgi_chlink *l)
{
    cgi_channel_unlink(ch, l);
    channel_unref(ch);
}

grpc_completion_queue *cgi_channel_get_cq(cg_channel *ch)
{
    pthread_mutex_lock(&ch->mu);
    grpc_completion_queue *cq = ch->n_idle ? ch->idle_cqs[--ch->n_idle] : NULL;
    pthread_mutex_unlock(&ch->mu);
    return cq ? cq : grpc_completion_queue_create_for_pluck(NULL);
}

void cgi_channel_put_cq(cg_channel *ch, grpc_completion_queue *cq)
{
    pthread_mutex_lock(&ch->mu);
    if (ch->n_idle < 64) {
        if (ch->n_idle == ch->cap_idle) {
            ch->cap_idle = ch->cap_idle ? ch->cap_idle * 2 : 8;
            ch->idle_cqs =
                cgi_realloc(ch->idle_cqs, ch->cap_idle * sizeof *ch->idle_cqs);
        }
        ch->idle_cqs[ch->n_idle++] = cq;
        cq = NULL;
    }
    pthread_mutex_unlock(&ch->mu);
    if (cq != NULL)
        drain_and_destroy(cq);
}

void *cgi_channel_method(cg_channel *ch, const char *path)
{
    pthread_mutex_lock(&ch->mu);
    void *h = NULL;
    for (size_t i = 0; i < ch->n_regs && h == NULL; i++)
        if (strcmp(ch->regs[i].path, path) == 0)
            h = ch->regs[i].handle;
    if (h == NULL) {
        if (ch->n_regs == ch->cap_regs) {
            ch->cap_regs = ch->cap_regs ? ch->cap_regs * 2 : 8;
            ch->regs = cgi_realloc(ch->regs, ch->cap_regs * sizeof *ch->regs);
        }
        char *copy = cgi_strdup(path);
        h = grpc_channel_register_call(ch->core, copy, NULL, NULL);
        ch->regs[ch->n_regs].path = copy;
        ch->regs[ch->n_regs].handle = h;
        ch->n_regs++;
    }
    pthread_mutex_unlock(&ch->mu);
    return h;
}

void cg_channel_add_interceptor(cg_channel *ch,
                                const cg_client_interceptor *icpt)
{
    if (ch == NULL || icpt == NULL)
        return;
    pthread_mutex_lock(&ch->mu);
    ch->icpts = cgi_realloc(ch->icpts, (ch->n_icpts + 1) * sizeof *ch->icpts);
    ch->icpts[ch->n_icpts++] = *icpt;
    pthread_mutex_unlock(&ch->mu);
}

/* ===================================================================== */
/* Connectivity                                                           */
/* ===================================================================== */

static cg_conn_state from_core(grpc_connectivity_state s)
{
    switch (s) {
    case GRPC_CHANNEL_IDLE:
        return CG_CONN_IDLE;
    case GRPC_CHANNEL_CONNECTING:
        return CG_CONN_CONNECTING;
    case GRPC_CHANNEL_READY:
        return CG_CONN_READY;
    case GRPC_CHANNEL_TRANSIENT_FAILURE:
        return CG_CONN_TRANSIENT_FAILURE;
    default:
        return CG_CONN_SHUTDOWN;
    }
}

cg_conn_state cg_channel_state(cg_channel *ch, bool try_connect)
{
    if (ch == NULL)
        return CG_CONN_SHUTDOWN;
    return from_core(
        grpc_channel_check_connectivity_state(ch->core, try_connect ? 1 : 0));
}

void cg_channel_reset_backoff(cg_channel *ch)
{
    if (ch != NULL)
        grpc_channel_reset_connect_backoff(ch->core);
}

bool cg_channel_wait_ready(cg_channel *ch, int64_t timeout_ms)
{
    if (ch == NULL)
        return false;
    gpr_timespec deadline = cgi_deadline_after(timeout_ms > 0 ? timeout_ms : 1);
    grpc_completion_queue *cq = cgi_channel_get_cq(ch);
    char tag;
    grpc_connectivity_state s;
    for (;;) {
        s = grpc_channel_check_connectivity_state(ch->core, 1);
        if (s == GRPC_CHANNEL_READY || s == GRPC_CHANNEL_SHUTDOWN)
            break;
        /* Wait for the state to change or the deadline to pass; the watch
         * reports success = 0 on the deadline. */
        grpc_channel_watch_connectivity_state(ch->core, s, deadline, cq, &tag);
        grpc_event ev = grpc_completion_queue_pluck(
            cq, &tag, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        if (!ev.success) {
            s = grpc_channel_check_connectivity_state(ch->core, 0);
            break;
        }
    }
    cgi_channel_put_cq(ch, cq);
    return s == GRPC_CHANNEL_READY;
}

const char *cg_conn_state_name(cg_conn_state s)
{
    switch (s) {
    case CG_CONN_IDLE:
        return "IDLE";
    case CG_CONN_CONNECTING:
        return "CONNECTING";
    case CG_CONN_READY:
        return "READY";
    case CG_CONN_TRANSIENT_FAILURE:
        return "TRANSIENT_FAILURE";
    case CG_CONN_SHUTDOWN:
        return "SHUTDOWN";
    }
    return "UNKNOWN";
}

/* As in cg_server_new: the core starts threads while the channel is
 * created, and they inherit the caller's signal mask; block every signal
 * meanwhile so SIGINT and SIGTERM stay with the application's threads. */
cg_channel *cg_channel_new(const char *target, const cg_channel_opts *opts,
                           cg_status *err)
{
    sigset_t old;
    cgi_signals_block_all(&old);
    cg_channel *ch = channel_new(target, opts, err);
    cgi_signals_restore(&old);
    return ch;
}
