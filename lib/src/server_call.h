/*
 * server_call.h: the life of each call on a server (server_call.c), and
 * what the calls of one server share with it.
 *
 * server.c owns a cgi_calls per server and fills it in; the calls read it,
 * and count themselves in it so that a shutdown can wait for them. That is
 * all a call knows of its server: server_call.c never calls into server.c.
 */
#ifndef CGRPC_SERVER_CALL_H
#define CGRPC_SERVER_CALL_H

#include <pthread.h>
#include <stdatomic.h>

#include <grpc/grpc.h>

#include "cgrpc.h"
#include "ctx.h"
#include "pool.h"

/* One registered method: what to call and the core's handle for it. */
typedef struct cgi_reg {
    const cg_method *m;
    const void *impl;
    void *user;
    void *handle; /* from grpc_server_register_method */
} cgi_reg;

typedef struct cgi_calls {
    /* Set by the server before the first request, then only read. */
    grpc_server *core;
    grpc_completion_queue *cq; /* the server's one queue */
    cgi_pool *pool;            /* runs the handlers */
    const cgi_icpt *icpts;     /* the interceptors (set at start) */
    size_t n_icpts;
    size_t max_send; /* largest response, in bytes */

    atomic_bool stopping; /* set by a shutdown: request no more calls */
    atomic_long arrivals; /* calls the core has handed us (drain) */

    /* Requests posted and calls not yet freed. Guarded by the server's
     * lock; cv is broadcast when it drops to 0. */
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    long live;
} cgi_calls;

/* Asks the core for the next call of `reg`, and (generic) for the next
 * call of a method nobody registered. Each request counts in k->live
 * until its call has been freed, or until it fails at shutdown. */
void cgi_request_call(cgi_calls *k, const cgi_reg *reg);
void cgi_request_unknown(cgi_calls *k);

#endif
