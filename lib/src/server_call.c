/*
 * server_call.c: the life of one call on a server, from "a client called"
 * to "everything is freed".
 *
 * Every step is a batch of ops started on the call with a tag; the pool
 * thread that takes the tag off the completion queue runs its function:
 *
 *   request a call ............ t_new    a call arrived: request the next
 *                                        one, start RECV_CLOSE_ON_SERVER,
 *                                        run interceptors + handler here
 *   RECV_CLOSE_ON_SERVER ...... t_close  the call is over; "cancelled" says
 *                                        whether the client gave up
 *   RECV_MESSAGE .............. t_recv   a message for cg_recv (read ahead)
 *   SEND_MESSAGE .............. t_send   sent: start the next queued one
 *   [headers] [response] status t_final  the handler has returned
 *
 * A call is one malloc'd struct holding its context, stream, arena and
 * tags. It counts references: the thread running the handler and each
 * batch in flight hold one; the last to let go frees the call.
 *
 * Unary calls ask the core to read the request before reporting the call,
 * run the handler, and send headers, response and status in one batch.
 *
 * Streams send through a small queue, because the core allows one
 * SEND_MESSAGE in flight per call: cg_send packs the message and returns.
 * With nothing in flight the message goes out at once and is flushed;
 * messages sent meanwhile wait in the queue (packed, up to 64 KiB: see
 * sendq.h) and go out, as each send completes, with the core's
 * write-buffer hint (coalesce, do not flush yet) on all but the last one
 * queued, and a flush every 4 KiB. So a handler that sends one message and
 * then waits never leaves it sitting in a buffer, and one that sends many
 * in a row lets them share writes. The status flushes whatever is left.
 * Receiving mirrors it: once the handler has asked for a message, the
 * runtime keeps one RECV_MESSAGE in flight and queues what arrives.
 */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "common.h"
#include "sendq.h"
#include "server_call.h"
#include "status.h"

#define INLINE_ARENA 2048 /* most unary calls fit in here */
/* Memory the messages waiting behind a send may take (sendq.h counts
 * 8 bytes of length with each): 64 KiB, as much as grpc-go lets a stream
 * hold before its Send waits (its write quota), and the HTTP/2 default
 * window. A message larger than that still goes, alone in the queue. */
#define SEND_QUEUE_BYTES (64 * 1024)
/* Hinted sends (GRPC_WRITE_BUFFER_HINT) wait in the core until a send
 * without the hint flushes them; at most this many bytes wait so. */
#define SEND_FLUSH_BYTES (4 * 1024)
#define RECV_QUEUE_MAX 16          /* messages read ahead of cg_recv */
#define RECV_QUEUE_BYTES (1 << 20) /* and their total size */

typedef struct cgi_scall {
    cg_ctx ctx;       /* ctx.mu guards everything below it */
    cg_stream stream; /* streaming methods only */
    bool is_stream;
    cgi_calls *k; /* what the server shares with its calls */
    const cgi_reg *reg;

    /* Filled in by the core when the call arrives. */
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array req_md;
    grpc_byte_buffer *payload;

    cgi_tag t_new, t_close, t_send, t_recv, t_final;
    cgi_job job;     /* runs the handler later when no thread was free */
    const void *req; /* what the handler gets, kept for the job */
    void *resp;
    pthread_cond_t recv_cv; /* the receive completed */
    pthread_cond_t send_cv; /* room in the queue, or sending is over */
    int refs;
    int close_cancelled; /* written by RECV_CLOSE_ON_SERVER */

    /* Sending: one message in flight, others queued behind it. */
    grpc_byte_buffer *send_bb; /* reused for every message */
    cgi_sendq queue;           /* packed messages waiting behind send_bb */
    bool send_busy, send_failed;
    size_t unflushed; /* bytes sent with the hint since the last flush */
    int send_waiters; /* senders waiting for room */

    /* The end: status, and the response of a unary/client-streaming call. */
    bool closing, final_started;
    cg_status final_st;
    grpc_byte_buffer *final_msg;
    grpc_slice final_details;
    bool has_details;

    /* Receiving (client-streaming and bidi): one RECV_MESSAGE in flight,
     * reading ahead into a queue the handler's cg_recv takes from. */
    grpc_byte_buffer *recv_bb; /* where the op in flight puts its message */
    grpc_byte_buffer **rqueue; /* ring of RECV_QUEUE_MAX, from the arena */
    size_t rq_head, rq_len, rq_bytes;
    bool recv_busy, recv_end, recv_end_ok;
    int recv_waiters;

    alignas(max_align_t) char first[INLINE_ARENA];
} cgi_scall;

static void on_new(cgi_tag *t, bool ok);
static void on_close(cgi_tag *t, bool ok);
static void on_send(cgi_tag *t, bool ok);
static void on_recv(cgi_tag *t, bool ok);
static void on_final(cgi_tag *t, bool ok);
static void on_job(cgi_tag *t, bool ok);
static const void *net_recv(cg_stream *s);
static bool net_send(cg_stream *s, const void *msg);

static const cgi_stream_ops net_stream_ops = {net_recv, net_send};

static bool wants_payload(cg_kind kind)
{
    return kind == CG_UNARY || kind == CG_SERVER_STREAMING;
}

/* A request record or call has come to life / gone away: the server's
 * shutdown waits for the count to reach 0. */
static void live_add(cgi_calls *k)
{
    pthread_mutex_lock(k->mu);
    k->live++;
    pthread_mutex_unlock(k->mu);
}

static void live_done(cgi_calls *k)
{
    pthread_mutex_lock(k->mu);
    if (--k->live == 0)
        pthread_cond_broadcast(k->cv);
    pthread_mutex_unlock(k->mu);
}

/* A call the core has handed us: counted for cg_server_drain, and a new
 * request posted in its place unless the server is shutting down. */
static bool arrived(cgi_calls *k)
{
    atomic_fetch_add_explicit(&k->arrivals, 1, memory_order_relaxed);
    return !atomic_load(&k->stopping);
}

/* ===================================================================== */
/* Requesting a call, and freeing one                                     */
/* ===================================================================== */

void cgi_request_call(cgi_calls *k, const cgi_reg *reg)
{
    cgi_scall *c = cgi_malloc(sizeof *c);
    memset(c, 0, offsetof(cgi_scall, first));
    cgi_sendq_init(&c->queue);
    c->k = k;
    c->reg = reg;
    cgi_ctx_init(&c->ctx, reg->m, reg->user, c->first, sizeof c->first);
    pthread_cond_init(&c->recv_cv, NULL);
    pthread_cond_init(&c->send_cv, NULL);
    grpc_metadata_array_init(&c->req_md);
    cgi_tag_init(&c->t_new, on_new);
    cgi_tag_init(&c->t_close, on_close);
    cgi_tag_init(&c->t_send, on_send);
    cgi_tag_init(&c->t_recv, on_recv);
    cgi_tag_init(&c->t_final, on_final);
    cgi_tag_init(&c->job.tag, on_job);

    live_add(k);
    grpc_call_error err = grpc_server_request_registered_call(
        k->core, reg->handle, &c->call, &c->deadline, &c->req_md,
        wants_payload(reg->m->kind) ? &c->payload : NULL, k->cq, k->cq,
        cgi_tag_publish(&c->t_new));
    if (err != GRPC_CALL_OK) {
        gpr_log(GPR_ERROR, "cgrpc: requesting a call for %s failed (%d)",
                reg->m->path, (int)err);
        grpc_metadata_array_destroy(&c->req_md);
        cgi_ctx_destroy(&c->ctx);
        pthread_cond_destroy(&c->recv_cv);
        pthread_cond_destroy(&c->send_cv);
        free(c);
        live_done(k);
    }
}

static void release(cgi_scall *c)
{
    cgi_calls *k = c->k;
    if (c->payload)
        grpc_byte_buffer_destroy(c->payload);
    if (c->recv_bb)
        grpc_byte_buffer_destroy(c->recv_bb);
    for (size_t i = 0; i < c->rq_len; i++)
        grpc_byte_buffer_destroy(c->rqueue[(c->rq_head + i) % RECV_QUEUE_MAX]);
    if (c->send_bb)
        grpc_byte_buffer_destroy(c->send_bb);
    cgi_sendq_destroy(&c->queue);
    if (c->final_msg)
        grpc_byte_buffer_destroy(c->final_msg);
    if (c->has_details)
        grpc_slice_unref(c->final_details);
    grpc_metadata_array_destroy(&c->req_md);
    if (c->call)
        grpc_call_unref(c->call);
    if (c->is_stream)
        cgi_stream_destroy(&c->stream);
    cgi_ctx_destroy(&c->ctx);
    pthread_cond_destroy(&c->recv_cv);
    pthread_cond_destroy(&c->send_cv);
    free(c);
    live_done(k);
}

/* Drops one reference with ctx.mu held; true when it was the last (then
 * the caller unlocks and calls release). */
static bool drop_locked(cgi_scall *c)
{
    return --c->refs == 0;
}

static void unref(cgi_scall *c)
{
    pthread_mutex_lock(&c->ctx.mu);
    bool last = drop_locked(c);
    pthread_mutex_unlock(&c->ctx.mu);
    if (last)
        release(c);
}

/* Starts a batch holding a reference for it. With ctx.mu held: the core
 * does not allow two threads to start batches on one call at once. */
static bool start_locked(cgi_scall *c, grpc_op *ops, size_t n, cgi_tag *tag)
{
    c->refs++;
    grpc_call_error err =
        grpc_call_start_batch(c->call, ops, n, cgi_tag_publish(tag), NULL);
    if (err != GRPC_CALL_OK) {
        gpr_log(GPR_ERROR, "cgrpc: starting a batch on %s failed (%d)",
                c->reg->m->path, (int)err);
        c->refs--;
        return false;
    }
    return true;
}

/* Puts the response headers into ops[*n] if they have not gone yet. */
static void add_headers_locked(cgi_scall *c, grpc_op *ops, size_t *n)
{
    if (c->ctx.headers_sent)
        return;
    grpc_op *op = &ops[(*n)++];
    op->op = GRPC_OP_SEND_INITIAL_METADATA;
    op->data.send_initial_metadata.count = c->ctx.headers.n;
    op->data.send_initial_metadata.metadata = c->ctx.headers.items;
    c->ctx.headers_sent = true;
}

/* ===================================================================== */
/* Running the handler                                                    */
/* ===================================================================== */

static void start_final_locked(cgi_scall *c);

/* The handler has returned (or never ran): send the status, with the
 * response message for unary and client-streaming calls. */
static void finish(cgi_scall *c, cg_status st, const void *resp)
{
    cg_status final = cgi_ctx_final_status(&c->ctx, st);
    /* Past the deadline the client has given up: whatever the handler
     * says, the call ran out of time (the core's own deadline check would
     * say the same a moment later). */
    if (cgi_ms_until(c->ctx.deadline) == 0)
        final = cgi_status(GRPC_STATUS_DEADLINE_EXCEEDED, "deadline exceeded");
    grpc_byte_buffer *bb = NULL;
    if (final.code == GRPC_STATUS_OK && resp != NULL) {
        cg_status es = cgi_encode(resp, c->reg->m->output, c->k->max_send, &bb);
        if (es.code != GRPC_STATUS_OK)
            final = es;
    }
    pthread_mutex_lock(&c->ctx.mu);
    c->final_st = final;
    c->final_msg = bb;
    c->closing = true;
    /* With a message still in flight, on_send starts the final batch once
     * the queue has drained. */
    if (!c->send_busy)
        start_final_locked(c);
    pthread_mutex_unlock(&c->ctx.mu);
}

static void start_final_locked(cgi_scall *c)
{
    grpc_op ops[3];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    add_headers_locked(c, ops, &n);
    if (c->final_msg != NULL) {
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n].data.send_message.send_message = c->final_msg;
        n++;
    }
    grpc_op *op = &ops[n++];
    op->op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    op->data.send_status_from_server.status = c->final_st.code;
    op->data.send_status_from_server.trailing_metadata_count =
        c->ctx.trailers.n;
    op->data.send_status_from_server.trailing_metadata = c->ctx.trailers.items;
    if (c->final_st.message[0] != '\0') {
        c->final_details = grpc_slice_from_copied_string(c->final_st.message);
        c->has_details = true;
        op->data.send_status_from_server.status_details = &c->final_details;
    }
    c->ctx.trailers_sent = true;
    c->final_started = true;
    start_locked(c, ops, n, &c->t_final);
}

/* Runs interceptors and handler, on a thread the pool has counted as busy,
 * then ends the call. A call whose deadline passed while it waited (in the
 * completion queue for a thread, or in the pool's queue at max_threads)
 * runs neither: the client has given up, so it ends DEADLINE_EXCEEDED
 * at once (finish says so for any call past its deadline). */
static void invoke(cgi_scall *c)
{
    cgi_calls *k = c->k;
    cg_status st;
    if (cgi_ms_until(c->ctx.deadline) == 0)
        st = cgi_status(GRPC_STATUS_DEADLINE_EXCEEDED, "deadline exceeded");
    else
        st = cgi_ctx_invoke(&c->ctx, k->icpts, k->n_icpts, c->reg->impl, c->req,
                            c->resp, c->is_stream ? &c->stream : NULL);
    cgi_pool_leave(k->pool);
    finish(c, st, c->resp);
    unref(c);
}

/* A call that waited for a free thread (see cgi_pool_enter). */
static void on_job(cgi_tag *t, bool ok)
{
    (void)ok;
    invoke(cgi_container_of(t, cgi_scall, job.tag));
}

static void run(cgi_scall *c)
{
    cg_ctx *ctx = &c->ctx;
    const cg_method *m = c->reg->m;

    pthread_mutex_lock(&ctx->mu);
    ctx->call = c->call;
    ctx->core_md = &c->req_md;
    ctx->deadline = c->deadline;
    c->refs = 1; /* this thread's (or, queued, the job's) */
    /* Ask now to be told when the call is over: that is how a handler
     * learns that the client cancelled or went away. */
    grpc_op close_op;
    memset(&close_op, 0, sizeof close_op);
    close_op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    close_op.data.recv_close_on_server.cancelled = &c->close_cancelled;
    start_locked(c, &close_op, 1, &c->t_close);
    pthread_mutex_unlock(&ctx->mu);

    cg_status st = cg_ok();
    bool ok = true;
    if (wants_payload(m->kind)) {
        if (c->payload == NULL) {
            st = cgi_status(GRPC_STATUS_INTERNAL, "%s: no request message",
                            m->path);
            ok = false;
        } else {
            void *msg;
            st = cgi_decode(c->payload, m->input, cgi_arena_pbc(&ctx->arena),
                            &msg);
            grpc_byte_buffer_destroy(c->payload);
            c->payload = NULL;
            ok = st.code == GRPC_STATUS_OK;
            c->req = msg;
            ctx->request = msg;
        }
    }
    if (m->kind == CG_UNARY || m->kind == CG_CLIENT_STREAMING) {
        c->resp = cgi_arena_alloc(&ctx->arena, m->output->sizeof_message);
        protobuf_c_message_init(m->output, c->resp);
    }
    if (m->kind != CG_UNARY) {
        cgi_stream_init(&c->stream, ctx, &net_stream_ops);
        c->is_stream = true;
    }
    if (!ok) {
        finish(c, st, NULL);
        unref(c);
        return;
    }
    /* Run the handler here, on the thread that learned of the call; or,
     * when that would leave nobody polling, let the call wait its turn. */
    if (cgi_pool_enter(c->k->pool, &c->job))
        invoke(c);
}

static void on_new(cgi_tag *t, bool ok)
{
    cgi_scall *c = cgi_container_of(t, cgi_scall, t_new);
    if (!ok) {
        /* The server is shutting down: the request was not matched. */
        release(c);
        return;
    }
    /* Keep a request waiting for the next call before this one runs. */
    if (arrived(c->k))
        cgi_request_call(c->k, c->reg);
    run(c);
}

static void on_close(cgi_tag *t, bool ok)
{
    cgi_scall *c = cgi_container_of(t, cgi_scall, t_close);
    pthread_mutex_lock(&c->ctx.mu);
    if (!ok || c->close_cancelled)
        atomic_store(&c->ctx.cancelled, true);
    /* Wake anyone waiting: their operations will fail now. */
    pthread_cond_broadcast(&c->send_cv);
    pthread_cond_broadcast(&c->recv_cv);
    bool last = drop_locked(c);
    pthread_mutex_unlock(&c->ctx.mu);
    if (last)
        release(c);
}

static void on_final(cgi_tag *t, bool ok)
{
    (void)ok; /* nothing to do either way: the call is over */
    unref(cgi_container_of(t, cgi_scall, t_final));
}

/* ===================================================================== */
/* Sending on a stream                                                    */
/* ===================================================================== */

/* Sends `msg` (a slice whose reference this takes) of `size` bytes. The
 * call's one byte buffer carries every message: the core takes the
 * slices out of it when the batch starts (grpc_types.h). */
static void start_send_locked(cgi_scall *c, grpc_slice msg, size_t size,
                              bool hint)
{
    /* The core keeps hinted messages, slices and all, until something
     * flushes: without a flush now and then a burst of small messages
     * would all sit there at once, over 100 bytes each. */
    c->unflushed = hint ? c->unflushed + size : 0;
    if (c->unflushed >= SEND_FLUSH_BYTES) {
        hint = false;
        c->unflushed = 0;
    }
    if (c->send_bb == NULL)
        c->send_bb = grpc_raw_byte_buffer_create(NULL, 0);
    grpc_slice_buffer *sb = &c->send_bb->data.raw.slice_buffer;
    grpc_slice_buffer_reset_and_unref(sb);
    grpc_slice_buffer_add(sb, msg);
    grpc_op ops[2];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    add_headers_locked(c, ops, &n);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n].flags = hint ? GRPC_WRITE_BUFFER_HINT : 0;
    ops[n].data.send_message.send_message = c->send_bb;
    n++;
    c->send_busy = true;
    if (!start_locked(c, ops, n, &c->t_send)) {
        c->send_busy = false;
        c->send_failed = true;
        grpc_slice_buffer_reset_and_unref(sb);
    }
}

static bool queue_full_locked(const cgi_scall *c, size_t size)
{
    return c->queue.len > 0 &&
           c->queue.bytes + cgi_sendq_cost(size) > SEND_QUEUE_BYTES;
}

/* Packs msg (of `size` bytes, checked) straight into a send when nothing
 * is in flight, else into the queue. With ctx.mu held. False only when
 * protobuf-c packed another number of bytes than it said it would. */
static bool send_or_queue_locked(cgi_scall *c, const void *msg, size_t size)
{
    if (!c->send_busy) {
        /* Nothing in flight: send now and flush, as no one knows whether
         * another message follows. */
        grpc_slice slice = grpc_slice_malloc(size);
        if (protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice)) != size) {
            grpc_slice_unref(slice);
            return false;
        }
        start_send_locked(c, slice, size, false);
        return true;
    }
    unsigned char *at = cgi_sendq_reserve(&c->queue, size);
    if (protobuf_c_message_pack(msg, at) != size)
        return false;
    cgi_sendq_commit(&c->queue, size);
    return true;
}

static bool net_send(cg_stream *s, const void *msg)
{
    cgi_scall *c = cgi_container_of(s, cgi_scall, stream);
    cg_ctx *ctx = &c->ctx;
    if (c->reg->m->kind == CG_CLIENT_STREAMING) {
        /* Its one response is the handler's resp: a message sent here
         * would be a second one, which the client cannot take. */
        cgi_ctx_fault(ctx, cgi_status(GRPC_STATUS_INTERNAL,
                                      "%s is client-streaming: its handler "
                                      "returns the one response in resp, "
                                      "it cannot cg_send",
                                      c->reg->m->path));
        return false;
    }
    if (cg_ctx_cancelled(ctx))
        return false;
    size_t size;
    cg_status st;
    if (!cgi_pack_size(msg, c->reg->m->output, c->k->max_send, &size, &st)) {
        /* Too large or the wrong type: the call will report it even if
         * the handler goes on to return OK. */
        cgi_ctx_fault(ctx, st);
        return false;
    }

    pthread_mutex_lock(&ctx->mu);
    while (!c->send_failed && !atomic_load(&ctx->cancelled) &&
           queue_full_locked(c, size)) {
        c->send_waiters++;
        cgi_pool_will_block(c->k->pool);
        pthread_cond_wait(&c->send_cv, &ctx->mu);
        c->send_waiters--;
    }
    bool ok = !c->send_failed && !atomic_load(&ctx->cancelled) && !c->closing;
    bool packed = !ok || send_or_queue_locked(c, msg, size);
    pthread_mutex_unlock(&ctx->mu);
    if (!packed)
        cgi_ctx_fault(ctx, cgi_pack_failed(msg));
    return ok && packed;
}

static void on_send(cgi_tag *t, bool ok)
{
    cgi_scall *c = cgi_container_of(t, cgi_scall, t_send);
    pthread_mutex_lock(&c->ctx.mu);
    c->send_busy = false;
    if (!ok) {
        /* The client is gone: drop what is queued, refuse what comes. */
        c->send_failed = true;
        atomic_store(&c->ctx.cancelled, true);
        cgi_sendq_destroy(&c->queue);
    }
    if (c->queue.len > 0) {
        grpc_slice msg;
        cgi_sendq_pop(&c->queue, &msg);
        /* Hint "more follows" when it does: another queued message, or
         * the status once the handler has returned. */
        start_send_locked(c, msg, GRPC_SLICE_LENGTH(msg),
                          c->queue.len > 0 || c->closing);
    } else if (c->closing && !c->final_started) {
        start_final_locked(c);
    }
    /* Wake a waiting sender only once the queue is half empty, so that it
     * refills it in one go instead of trading a wake-up per message. */
    if (c->send_waiters > 0 &&
        (c->send_failed || c->queue.bytes <= SEND_QUEUE_BYTES / 2))
        pthread_cond_broadcast(&c->send_cv);
    bool last = drop_locked(c);
    pthread_mutex_unlock(&c->ctx.mu);
    if (last)
        release(c);
}

/* ===================================================================== */
/* Receiving on a stream                                                  */
/* ===================================================================== */

/* Asks the core for the next message. With ctx.mu held. */
static void start_recv_locked(cgi_scall *c)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &c->recv_bb;
    c->recv_busy = true;
    if (!start_locked(c, &op, 1, &c->t_recv)) {
        c->recv_busy = false;
        c->recv_end = true;
    }
}

/* Whether to ask for another message before the handler does. */
static bool read_ahead_locked(const cgi_scall *c)
{
    return !c->recv_busy && !c->recv_end && !c->closing &&
           c->rq_len < RECV_QUEUE_MAX && c->rq_bytes < RECV_QUEUE_BYTES;
}

static const void *net_recv(cg_stream *s)
{
    cgi_scall *c = cgi_container_of(s, cgi_scall, stream);
    cg_ctx *ctx = &c->ctx;
    if (s->eos)
        return NULL;
    /* The previous message is the caller's until now. */
    cgi_arena_reset(&s->recv_arena);

    pthread_mutex_lock(&ctx->mu);
    if (c->rqueue == NULL)
        c->rqueue =
            cgi_arena_alloc(&ctx->arena, RECV_QUEUE_MAX * sizeof *c->rqueue);
    grpc_byte_buffer *bb = NULL;
    for (;;) {
        if (c->rq_len > 0) {
            bb = c->rqueue[c->rq_head];
            c->rq_head = (c->rq_head + 1) % RECV_QUEUE_MAX;
            c->rq_len--;
            c->rq_bytes -= grpc_byte_buffer_length(bb);
            break;
        }
        if (c->recv_end)
            break;
        if (!c->recv_busy)
            start_recv_locked(c);
        c->recv_waiters++;
        cgi_pool_will_block(c->k->pool);
        pthread_cond_wait(&c->recv_cv, &ctx->mu);
        c->recv_waiters--;
    }
    /* Reading ahead pauses when the queue is full; taking one resumes it. */
    if (read_ahead_locked(c))
        start_recv_locked(c);
    bool clean_end = c->recv_end_ok;
    pthread_mutex_unlock(&ctx->mu);

    if (bb == NULL) {
        s->eos = true;
        s->error = clean_end && !cg_ctx_cancelled(ctx)
                       ? cg_ok()
                       : cgi_ctx_ended_status(ctx);
        return NULL;
    }
    void *msg;
    cg_status st =
        cgi_decode(bb, c->reg->m->input, cgi_arena_pbc(&s->recv_arena), &msg);
    grpc_byte_buffer_destroy(bb);
    if (st.code != GRPC_STATUS_OK) {
        s->eos = true;
        s->error = st;
        cgi_ctx_fault(ctx, st);
        return NULL;
    }
    return msg;
}

static void on_recv(cgi_tag *t, bool ok)
{
    cgi_scall *c = cgi_container_of(t, cgi_scall, t_recv);
    pthread_mutex_lock(&c->ctx.mu);
    grpc_byte_buffer *bb = c->recv_bb;
    c->recv_bb = NULL;
    c->recv_busy = false;
    if (!ok || bb == NULL) {
        /* The end of the client's messages. A cancelled call ends its
         * input with "no more messages" too; the core can tell the two
         * apart, and the handler should know at once rather than when
         * RECV_CLOSE_ON_SERVER gets round to it. */
        c->recv_end = true;
        c->recv_end_ok = ok && !grpc_call_failed_before_recv_message(c->call);
        if (!c->recv_end_ok)
            atomic_store(&c->ctx.cancelled, true);
        if (bb != NULL)
            grpc_byte_buffer_destroy(bb);
    } else if (c->closing) {
        grpc_byte_buffer_destroy(bb); /* the handler has returned */
    } else {
        c->rqueue[(c->rq_head + c->rq_len) % RECV_QUEUE_MAX] = bb;
        c->rq_len++;
        c->rq_bytes += grpc_byte_buffer_length(bb);
        /* Read ahead: usually the next message is already here, and this
         * thread takes it off the queue straight away. */
        if (read_ahead_locked(c))
            start_recv_locked(c);
    }
    if (c->recv_waiters > 0)
        pthread_cond_signal(&c->recv_cv);
    bool last = drop_locked(c);
    pthread_mutex_unlock(&c->ctx.mu);
    if (last)
        release(c);
}

/* ===================================================================== */
/* Calls to methods nobody registered                                     */
/* ===================================================================== */

/* The core leaves such calls hanging until the client's deadline; a
 * generic request catches them so they can be answered UNIMPLEMENTED. */
typedef struct cgi_unknown {
    cgi_tag t_new, t_done;
    cgi_calls *k;
    grpc_call *call;
    grpc_call_details details;
    grpc_metadata_array md;
    int cancelled;
    grpc_slice msg;
    bool has_msg;
} cgi_unknown;

static void unknown_free(cgi_unknown *u)
{
    cgi_calls *k = u->k;
    if (u->has_msg)
        grpc_slice_unref(u->msg);
    grpc_call_details_destroy(&u->details);
    grpc_metadata_array_destroy(&u->md);
    if (u->call)
        grpc_call_unref(u->call);
    free(u);
    live_done(k);
}

static void on_unknown_done(cgi_tag *t, bool ok)
{
    (void)ok;
    unknown_free(cgi_container_of(t, cgi_unknown, t_done));
}

static void on_unknown_new(cgi_tag *t, bool ok)
{
    cgi_unknown *u = cgi_container_of(t, cgi_unknown, t_new);
    if (!ok) {
        unknown_free(u);
        return;
    }
    if (arrived(u->k))
        cgi_request_unknown(u->k);

    grpc_slice path = u->details.method;
    cg_status st = cgi_status(GRPC_STATUS_UNIMPLEMENTED, "unknown method %.*s",
                              (int)GRPC_SLICE_LENGTH(path),
                              (const char *)GRPC_SLICE_START_PTR(path));
    u->msg = grpc_slice_from_copied_string(st.message);
    u->has_msg = true;
    grpc_op ops[3];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[1].data.send_status_from_server.status = GRPC_STATUS_UNIMPLEMENTED;
    ops[1].data.send_status_from_server.status_details = &u->msg;
    ops[2].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[2].data.recv_close_on_server.cancelled = &u->cancelled;
    grpc_call_error err = grpc_call_start_batch(
        u->call, ops, 3, cgi_tag_publish(&u->t_done), NULL);
    if (err != GRPC_CALL_OK)
        unknown_free(u);
}

void cgi_request_unknown(cgi_calls *k)
{
    cgi_unknown *u = cgi_calloc(1, sizeof *u);
    u->k = k;
    cgi_tag_init(&u->t_new, on_unknown_new);
    cgi_tag_init(&u->t_done, on_unknown_done);
    grpc_call_details_init(&u->details);
    grpc_metadata_array_init(&u->md);
    live_add(k);
    grpc_call_error err =
        grpc_server_request_call(k->core, &u->call, &u->details, &u->md, k->cq,
                                 k->cq, cgi_tag_publish(&u->t_new));
    if (err != GRPC_CALL_OK)
        unknown_free(u);
}
