/*
 * client.h: the client call object (cg_call), shared by client_call.c and
 * channel.c (which cancels the calls still running when it is freed).
 */
#ifndef CGRPC_CLIENT_H
#define CGRPC_CLIENT_H

#include <pthread.h>

#include <grpc/grpc.h>

#include "arena.h"
#include "cgrpc.h"
#include "metadata.h"

struct cg_call {
    cg_channel *ch;            /* NULL when the call could not start */
    const cg_method *m;
    grpc_call *call;
    grpc_completion_queue *cq; /* a pluck queue: each op waits for its tag */
    cg_call *prev, *next;      /* the channel's list of calls in progress */
    bool linked;               /* on that list (under the channel's lock) */
    int64_t start_us;

    pthread_mutex_t mu;        /* guards the flags below; one thread at a
                                  time starts a batch */
    cgi_mdlist md;             /* request metadata */
    bool starting;             /* inside on_start: metadata may be added */
    uint32_t im_flags;         /* wait-for-ready */
    bool im_sent, im_received, send_closed, eos, status_received;
    bool headers_ready;        /* the batch with RECV_INITIAL_METADATA is done */
    grpc_byte_buffer *held;    /* from cg_call_send_more, not sent yet */
    bool send_busy;            /* a thread is sending (start to pluck) */
    pthread_cond_t send_cv;    /* send_busy went false */
    bool trailers_ready;       /* the batch with RECV_STATUS_ON_CLIENT is done */

    grpc_metadata_array headers, trailers;
    cg_md *hdr, *trl;          /* copies, made on first cg_call_header/... */
    size_t n_hdr, n_trl;
    cgi_arena arena;           /* holds those copies */

    grpc_status_code code;
    grpc_slice details;
    const char *error_string;
    cg_status status;
    bool has_local;            /* a failure found here, not by the core */
    cg_status local;

    ProtobufCMessage *last;    /* the message cg_call_recv returned last */

    /* Distinct addresses to pluck: one per kind of op. */
    char tag_send, tag_recv, tag_close, tag_status, tag_unary;
};

#endif
