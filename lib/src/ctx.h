/*
 * ctx.h: what a handler holds: the call context (cg_ctx) and, for streaming
 * methods, the stream (cg_stream).
 *
 * The same two structs serve a real call (server_call.c) and a test call
 * with no network (testing.c). What differs is how a stream moves messages,
 * so cg_stream carries a small table of two functions, recv and send; every
 * other cg_ctx_* function works on the fields below whichever kind of call
 * it is.
 */
#ifndef CGRPC_CTX_H
#define CGRPC_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <grpc/grpc.h>

#include "arena.h"
#include "cgrpc.h"
#include "metadata.h"

typedef struct cgi_stream_ops {
    const void *(*recv)(cg_stream *s);
    bool (*send)(cg_stream *s, const void *msg);
} cgi_stream_ops;

struct cg_stream {
    const cgi_stream_ops *ops;
    cg_ctx *ctx;
    bool eos;             /* recv returned NULL: no more messages */
    cg_status error;      /* why (OK = the client ended its stream) */
    cgi_arena recv_arena; /* the message cg_recv returned last */
};

struct cg_ctx {
    /* Guards the mutable fields below and the arena (handlers may hand
     * the context to helper threads, e.g. a bidi sender). */
    pthread_mutex_t mu;
    cgi_arena arena;

    const cg_method *method;
    void *user;
    const void *request;   /* unary and server-streaming calls */
    gpr_timespec deadline; /* gpr_inf_future when none */
    atomic_bool cancelled; /* set by the runtime, read by anyone */

    /* Request metadata, copied out of the core's array on first use. */
    const grpc_metadata_array *core_md;
    cg_md *md;
    size_t n_md, cap_md;
    bool md_loaded;

    grpc_call *call;  /* NULL for a test context */
    bool test;        /* made by cg_test_ctx_new (testing.c) */
    const char *peer; /* looked up on first use */

    cgi_mdlist headers, trailers;
    bool headers_sent, trailers_sent;

    cg_status status; /* the handler's, once it has returned */
    bool has_status;
    cg_status fault; /* a runtime error that overrides the status */
    bool has_fault;
    cg_status recorded; /* the last cg_error(ctx, ...) */
    bool has_recorded;
};

/* Sets up the fields every kind of call shares. `first` is an inline block
 * for the arena. */
void cgi_ctx_init(cg_ctx *ctx, const cg_method *m, void *user, void *first,
                  size_t first_size);
void cgi_ctx_destroy(cg_ctx *ctx);

void cgi_stream_init(cg_stream *s, cg_ctx *ctx, const cgi_stream_ops *ops);
void cgi_stream_destroy(cg_stream *s);

/* Records a runtime failure (a send too large, a malformed request) that
 * the call reports whatever the handler then returns. First one wins. */
void cgi_ctx_fault(cg_ctx *ctx, cg_status st);

/* The status to send: the recorded fault if any, else the handler's. */
cg_status cgi_ctx_final_status(cg_ctx *ctx, cg_status handler);

/* An interceptor registered on a server. */
typedef struct cgi_icpt {
    cg_server_interceptor_fn fn;
    void *user;
} cgi_icpt;

/* Runs the interceptors chain[0..n) and then the method's invoke function
 * with (impl, req, resp, stream); records and returns the status. */
cg_status cgi_ctx_invoke(cg_ctx *ctx, const cgi_icpt *chain, size_t n,
                         const void *impl, const void *req, void *resp,
                         cg_stream *stream);

/* The status for a stream that ended because the call did: DEADLINE_EXCEEDED
 * when the deadline has passed, CANCELLED otherwise. */
cg_status cgi_ctx_ended_status(const cg_ctx *ctx);

#endif
