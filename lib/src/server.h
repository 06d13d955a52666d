/*
 * server.h: the server object shared by server.c (its life: listen, start,
 * shutdown) and server_call.c (the life of each call on it).
 */
#ifndef CGRPC_SERVER_H
#define CGRPC_SERVER_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include <grpc/grpc.h>

#include "cgrpc.h"
#include "common.h"
#include "ctx.h"
#include "pool.h"

/* One registered method: what to call and the core's handle for it. */
typedef struct cgi_reg {
    const cg_method *m;
    const void *impl;
    void *user;
    void *handle;  /* from grpc_server_register_method */
} cgi_reg;

/* Requests posted per method just before the core's shutdown, to take
 * calls the core holds unmatched (see shutdown_now). */
#define CGI_SHUTDOWN_BURST 32
/* How long a shutdown waits for the core once every call of ours is over
 * (see shutdown_now). */
#define CGI_ORPHAN_WAIT_MS 100
/* Requests kept posted ahead: per method at most, and in all (see
 * cg_server_start). */
#define CGI_REQUESTS_PER_METHOD 16
#define CGI_REQUESTS_POSTED 256

enum cgi_server_state { CGI_NEW, CGI_RUNNING, CGI_STOPPING, CGI_STOPPED };

struct cg_server {
    /* Held by the setup calls (listen, add_service, add_interceptor,
     * start) and by a shutdown while it leaves the NEW or RUNNING state,
     * so that a shutdown asked for from a signal handler never meets a
     * half-done setup call. Taken before mu. */
    pthread_mutex_t setup_mu;
    grpc_server *core;
    grpc_completion_queue *cq;  /* one queue, polled by the pool */
    cgi_pool pool;
    size_t max_recv, max_send;
    int min_threads, max_threads;
    int requests_per_method;    /* calls requested ahead per method */

    cgi_reg *regs;
    size_t n_regs;
    cgi_icpt *icpts;
    size_t n_icpts;

    pthread_mutex_t mu;         /* guards the fields below */
    pthread_cond_t cv;          /* signalled when any of them changes */
    enum cgi_server_state state;
    bool notified;              /* the core's shutdown tag has arrived */
    long live;                  /* requests posted + calls not yet freed */
    atomic_bool stopping;       /* read without the lock by pollers */
    atomic_long arrivals;       /* calls the core has handed us (drain) */
    cgi_tag t_shutdown;

    /* cg_server_shutdown_async: a signal handler may only post a
     * semaphore; the lifecycle thread waits on it and does the work. */
    sem_t wake;
    atomic_llong async_grace;
    atomic_bool async_asked;    /* a shutdown was asked for: start no more */
    atomic_bool quit;
    pthread_t lifecycle;
    bool has_lifecycle;
};

/* A request record or call has come to life / gone away. */
void cgi_server_live_add(cg_server *srv);
void cgi_server_live_done(cg_server *srv);

/* server_call.c: asks the core for the next call of `reg`, and (generic)
 * for the next call of a method nobody registered. */
void cgi_request_call(cg_server *srv, const cgi_reg *reg);
void cgi_request_unknown(cg_server *srv);

#endif
