/*
 * channel.h: the channel object (channel.c), which the calls on it
 * (client_call.c) read and borrow from.
 *
 * A channel is counted: the application holds one reference (dropped by
 * cg_channel_free) and every call in progress holds one, so a call finished
 * after cg_channel_free still has a channel to return its queue to. The
 * channel lists its calls in progress, to cancel them when it is freed,
 * through a link each call embeds (cgi_chlink): the channel knows nothing
 * else of a call.
 */
#ifndef CGRPC_CHANNEL_H
#define CGRPC_CHANNEL_H

#include <pthread.h>
#include <stdatomic.h>

#include <grpc/grpc.h>

#include "cgrpc.h"

/* A call's place on its channel's list of calls in progress. The fields
 * are the channel's, under its lock: the call only embeds the link. */
typedef struct cgi_chlink {
    struct cgi_chlink *prev, *next;
    grpc_call *call; /* the core's call, to cancel; NULL until it exists */
    bool linked;     /* on the list */
} cgi_chlink;

struct cg_channel {
    grpc_channel *core;
    size_t max_send; /* 0 = no limit */
    bool wait_for_ready;
    cg_client_interceptor *icpts;
    size_t n_icpts;

    pthread_mutex_t mu; /* guards the fields below */
    int refs;
    bool closed;                      /* cg_channel_free was called */
    cgi_chlink *calls;                /* calls in progress, to cancel on free */
    grpc_completion_queue **idle_cqs; /* pluck queues ready for reuse */
    size_t n_idle, cap_idle;
    struct cgi_chreg *regs; /* methods registered with the core */
    size_t n_regs, cap_regs;
    grpc_completion_queue *async_cq; /* the completion threads' queue
                                        (async.h), referenced from the
                                        first asynchronous call until the
                                        channel's last reference goes */
    int n_async;             /* asynchronous calls whose callback has not
                                returned yet */
    pthread_cond_t async_cv; /* n_async went down */
    /* Threads waiting right now for a blocking call's batch on this
     * channel (run_batch). While one waits, gRPC core reads the channel's
     * connections as data comes, so a new call needs no poll of its own
     * first (create_blocking_call). */
    atomic_int n_waiting;
};

/* A method path registered on the channel; the core keeps a pointer to the
 * path, so the channel keeps its own copy for as long as it lives. */
struct cgi_chreg {
    char *path;
    void *handle;
};

/* A pluck queue for one call (or one wait); give it back when its events
 * have all been plucked. */
grpc_completion_queue *cgi_channel_get_cq(cg_channel *ch);
void cgi_channel_put_cq(cg_channel *ch, grpc_completion_queue *cq);

/* The core's handle for calling `path` on this channel, registered on
 * first use. */
void *cgi_channel_method(cg_channel *ch, const char *path);

/* Call bookkeeping: attach takes a reference and lists the call's link
 * (and says false when cg_channel_free has been called: the call must not
 * start), detach drops both. */
bool cgi_channel_attach(cg_channel *ch, cgi_chlink *l);
void cgi_channel_detach(cg_channel *ch, cgi_chlink *l);

/* Takes the call off the channel's list (so cg_channel_free no longer
 * cancels it) but keeps the reference; detach drops that later. */
void cgi_channel_unlink(cg_channel *ch, cgi_chlink *l);

/* An asynchronous call's bookkeeping. attach_async attaches (as above)
 * and counts the call until async_end, which also detaches it, and returns
 * the completion threads' queue; NULL (nothing done) when cg_channel_free
 * has been called. in_callback marks this thread as running a call's
 * callback (cg_channel_free then does not wait for the channel's calls);
 * async_end clears the mark. The call unlinks itself before
 * (cgi_channel_unlink). */
grpc_completion_queue *cgi_channel_attach_async(cg_channel *ch, cgi_chlink *l);
void cgi_channel_in_callback(void);
void cgi_channel_async_end(cg_channel *ch);

/* Gives an attached call's link its core call; false when the channel was
 * freed meanwhile (the caller then cancels the call). */
bool cgi_channel_set_call(cg_channel *ch, cgi_chlink *l, grpc_call *call);

#endif
