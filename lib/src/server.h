/*
 * server.h: the server object. Private to server.c (its life: listen,
 * register, start, shutdown); white-box tests read its counters. The calls
 * on the server (server_call.c) see only its cgi_calls.
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
#include "server_call.h"

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
    grpc_completion_queue *cq; /* one queue, polled by the pool */
    cgi_pool pool;
    size_t max_recv, max_send;
    int min_threads, max_threads;
    int requests_per_method; /* calls requested ahead per method */

    cgi_reg *regs;
    size_t n_regs;
    const cg_service **svcs; /* the services registered, in order */
    size_t n_svcs;
    cgi_icpt *icpts;
    size_t n_icpts;

    pthread_mutex_t mu; /* guards the fields below, calls.live */
    pthread_cond_t cv;  /* signalled when any of them changes */
    enum cgi_server_state state;
    bool notified; /* the core's shutdown tag has arrived */
    cgi_tag t_shutdown;
    cgi_calls calls;          /* what its calls share with it */
    cg_server_stop_info stop; /* cg_server_stop_info_get */

    /* cg_server_shutdown_async: a signal handler may only post a
     * semaphore; the lifecycle thread waits on it and does the work. */
    sem_t wake;
    atomic_llong async_grace;
    atomic_bool async_asked; /* a shutdown was asked for: start no more */
    atomic_bool quit;
    pthread_t lifecycle;
    bool has_lifecycle;
};

/* The services registered on srv, in the order they were added (*n gets
 * their count). For server reflection: after cg_server_start the list no
 * longer changes, so a handler may read it without a lock. */
const cg_service *const *cgi_server_services(const cg_server *srv, size_t *n);

#endif
