/*
 * client_call.c: blocking client calls, the four kinds.
 *
 * Each operation starts a batch on the call and waits for its tag with
 * grpc_completion_queue_pluck on the call's own queue, so a call needs no
 * other thread. Two rules of the core shape the code (facts #2, #3, #5):
 *  - the response headers (RECV_INITIAL_METADATA) are asked for in the same
 *    batch as the first RECV_MESSAGE, never alone: a server may send its
 *    headers only with its first message;
 *  - one batch per kind of op may be in flight and batches may not be
 *    started concurrently, hence the lock around grpc_call_start_batch (a
 *    bidi client may send on one thread while receiving on another).
 * A unary call is a single batch with all six ops.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>

#include "arena.h"
#include "async.h"
#include "channel.h"
#include "codec.h"
#include "common.h"
#include "metadata.h"
#include "status.h"

/* A client call: private to this file; the channel sees only its link. */
struct cg_call {
    cg_channel *ch; /* NULL when the call could not start */
    const cg_method *m;
    grpc_call *call;
    grpc_completion_queue *cq; /* a pluck queue: each op waits for its tag */
    cgi_chlink link;           /* on the channel's list of calls in progress */
    int64_t start_us;

    pthread_mutex_t mu; /* guards the flags below; one thread at a
                           time starts a batch */
    cgi_mdlist md;      /* request metadata */
    bool starting;      /* inside on_start: metadata may be added */
    void **slots;       /* one per interceptor (cg_call_interceptor_slot) */
    size_t icpt_i;      /* the interceptor running now */
    bool in_icpt;       /* inside on_start or on_finish */
    uint32_t im_flags;  /* wait-for-ready */
    bool im_sent, im_received, send_closed, eos, status_received;
    bool headers_ready;     /* the batch with RECV_INITIAL_METADATA is done */
    grpc_byte_buffer *held; /* from cg_call_send_more, not sent yet */
    bool send_busy;         /* a thread is sending (start to pluck) */
    pthread_cond_t send_cv; /* send_busy went false */
    bool trailers_ready;    /* the batch with RECV_STATUS_ON_CLIENT is done */

    grpc_metadata_array headers, trailers;
    cg_md *hdr, *trl; /* copies, made on first cg_call_header/... */
    size_t n_hdr, n_trl;
    cgi_arena arena; /* holds those copies */

    grpc_status_code code;
    grpc_slice details;
    const char *error_string;
    bool has_local; /* a failure found here, not by the core */
    cg_status local;

    ProtobufCMessage *last; /* the message cg_call_recv returned last */

    /* Distinct addresses to pluck: one per kind of op. */
    char tag_send, tag_recv, tag_close, tag_status, tag_unary;

    /* cg_unary_async: the tag its batch completes with, the callback, and
     * the messages out and in (alive until the batch is done). */
    cgi_tag atag;
    cg_unary_done_fn done;
    void *user;
    grpc_byte_buffer *out, *in;
};

/* Records a failure found on this side (first one wins). With c->mu held,
 * like every access to the call's flags: a bidi call has a sending and a
 * receiving thread. */
static void set_local_locked(cg_call *c, cg_status st)
{
    if (!c->has_local) {
        c->local = st;
        c->has_local = true;
    }
}

static void set_local(cg_call *c, cg_status st)
{
    pthread_mutex_lock(&c->mu);
    set_local_locked(c, st);
    pthread_mutex_unlock(&c->mu);
}

/* A call in its first state: nothing sent, nothing attached. */
static cg_call *call_new(const cg_method *m)
{
    cg_call *c = cgi_calloc(1, sizeof *c);
    c->m = m;
    c->start_us = cgi_now_us();
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->send_cv, NULL);
    grpc_metadata_array_init(&c->headers);
    grpc_metadata_array_init(&c->trailers);
    cgi_arena_init(&c->arena, NULL, 0);
    c->details = grpc_empty_slice();
    return c;
}

/* Takes the call's options: wait-for-ready and metadata; returns the
 * timeout. A per-call choice overrides the channel's default, either way. */
static int64_t apply_opts(cg_call *c, const cg_channel *ch,
                          const cg_call_opts *opts)
{
    bool wfr = ch->wait_for_ready;
    int64_t timeout = 0;
    if (opts != NULL) {
        if (opts->ready == CG_READY_WAIT)
            wfr = true;
        else if (opts->ready == CG_READY_FAIL_FAST)
            wfr = false;
        timeout = opts->timeout_ms;
        if (opts->metadata == NULL && opts->n_metadata > 0)
            set_local(c, cgi_null_arg("cg_call_start", "opts->metadata"));
        for (size_t i = 0; opts->metadata != NULL && i < opts->n_metadata;
             i++) {
            const cg_md *md = &opts->metadata[i];
            if (!cgi_mdlist_add(&c->md, md->key, md->value, md->value_len))
                set_local(c, cgi_status(GRPC_STATUS_INVALID_ARGUMENT,
                                        "invalid metadata key \"%s\"",
                                        md->key ? md->key : "(null)"));
        }
    }
    c->im_flags = wfr ? GRPC_INITIAL_METADATA_WAIT_FOR_READY : 0;
    return timeout;
}

/* The channel's interceptors add metadata now, before anything is sent. */
static void run_on_start(cg_call *c, const cg_channel *ch)
{
    if (ch->n_icpts > 0)
        c->slots = cgi_calloc(ch->n_icpts, sizeof *c->slots);
    c->starting = c->in_icpt = true;
    for (size_t i = 0; i < ch->n_icpts; i++) {
        c->icpt_i = i;
        if (ch->icpts[i].on_start)
            ch->icpts[i].on_start(c, c->m, ch->icpts[i].user);
    }
    c->starting = c->in_icpt = false;
}

/* Creates the core's call, its events going to `cq`. */
static void create_core_call(cg_call *c, cg_channel *ch, int64_t timeout,
                             grpc_completion_queue *cq)
{
    grpc_call *call = grpc_channel_create_registered_call(
        ch->core, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
        cgi_channel_method(ch, c->m->path), cgi_deadline_after(timeout), NULL);
    c->call = call;
    if (!cgi_channel_set_call(ch, &c->link, call))
        set_local(c, cgi_status(GRPC_STATUS_CANCELLED, "channel was freed"));
    if (c->has_local)
        grpc_call_cancel(c->call, NULL);
}

/* A blocking call's core call, on a pluck queue of the channel's. */
static void create_blocking_call(cg_call *c, cg_channel *ch, int64_t timeout)
{
    c->cq = cgi_channel_get_cq(ch);
    /* Catch up on the network first. gRPC core reads a connection only
     * while some thread waits on a queue, and between calls nobody here
     * may: a GOAWAY the server sent meanwhile (it is shutting down) would
     * still sit unread, the call would go out on that connection, and the
     * server would cancel it unseen. One poll that does not wait (past
     * deadline, a tag nobody posts) lets the core read it, and the call
     * goes elsewhere, or fails UNAVAILABLE, which a client may retry.
     * That poll costs a quarter of a blocking call's CPU when other
     * threads are calling too (a futex round in the core's pollset);
     * while a thread waits for a call of this channel, the core is
     * reading its connections already, and the poll is left out. */
    if (atomic_load(&ch->n_waiting) == 0)
        grpc_completion_queue_pluck(c->cq, &c->cq,
                                    gpr_inf_past(GPR_CLOCK_MONOTONIC), NULL);
    create_core_call(c, ch, timeout, c->cq);
}

cg_call *cg_call_start(cg_channel *ch, const cg_method *m,
                       const cg_call_opts *opts)
{
    cg_call *c = call_new(m);
    if (ch == NULL || m == NULL || m->path == NULL) {
        set_local(c, cgi_null_arg("cg_call_start", ch == NULL  ? "ch"
                                                   : m == NULL ? "m"
                                                               : "m->path"));
        return c;
    }
    /* Counted on the channel first, whatever follows: the channel, and its
     * interceptors with it, then lives until cg_call_finish, where every
     * on_start gets its on_finish. */
    bool open = cgi_channel_attach(ch, &c->link);
    c->ch = ch;
    int64_t timeout = apply_opts(c, ch, opts);
    run_on_start(c, ch);
    if (!open) {
        /* Started on a channel already freed (kept alive by calls still
         * running): nothing goes out; cg_call_finish reports why. */
        set_local(c, cgi_status(GRPC_STATUS_CANCELLED,
                                "the channel was freed before this call "
                                "started"));
        return c;
    }
    create_blocking_call(c, ch, timeout);
    return c;
}

bool cg_call_add_metadata(cg_call *c, const char *key, const char *value,
                          size_t value_len)
{
    return c != NULL && c->starting &&
           cgi_mdlist_add(&c->md, key, value, value_len);
}

void **cg_call_interceptor_slot(cg_call *c)
{
    if (c == NULL || !c->in_icpt || c->slots == NULL)
        return NULL;
    return &c->slots[c->icpt_i];
}

/* Puts SEND_INITIAL_METADATA into ops[*n] unless it has gone already. */
static void add_send_im(cg_call *c, grpc_op *ops, size_t *n)
{
    if (c->im_sent)
        return;
    grpc_op *op = &ops[(*n)++];
    op->op = GRPC_OP_SEND_INITIAL_METADATA;
    op->flags = c->im_flags;
    op->data.send_initial_metadata.count = c->md.n;
    op->data.send_initial_metadata.metadata = c->md.items;
    c->im_sent = true;
}

static void add_recv_im(cg_call *c, grpc_op *ops, size_t *n)
{
    if (c->im_received)
        return;
    grpc_op *op = &ops[(*n)++];
    op->op = GRPC_OP_RECV_INITIAL_METADATA;
    op->data.recv_initial_metadata.recv_initial_metadata = &c->headers;
    c->im_received = true;
}

static void add_recv_status(cg_call *c, grpc_op *ops, size_t *n)
{
    grpc_op *op = &ops[(*n)++];
    op->op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    op->data.recv_status_on_client.trailing_metadata = &c->trailers;
    op->data.recv_status_on_client.status = &c->code;
    op->data.recv_status_on_client.status_details = &c->details;
    op->data.recv_status_on_client.error_string = &c->error_string;
    c->status_received = true;
}

/* Starts ops[0..n) and waits for them. Called with c->mu held (it was
 * taken to build the ops) and returns with it released. */
static bool run_batch(cg_call *c, grpc_op *ops, size_t n, void *tag)
{
    grpc_call_error err = grpc_call_start_batch(c->call, ops, n, tag, NULL);
    pthread_mutex_unlock(&c->mu);
    if (err != GRPC_CALL_OK) {
        gpr_log(GPR_ERROR, "cgrpc: batch on %s refused (%d)", c->m->path,
                (int)err);
        return false;
    }
    atomic_fetch_add(&c->ch->n_waiting, 1);
    grpc_event ev = grpc_completion_queue_pluck(
        c->cq, tag, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    atomic_fetch_sub(&c->ch->n_waiting, 1);
    for (size_t i = 0; i < n; i++) {
        if (ops[i].op == GRPC_OP_RECV_STATUS_ON_CLIENT) {
            pthread_mutex_lock(&c->mu);
            c->trailers_ready = true;
            pthread_mutex_unlock(&c->mu);
        }
    }
    /* The headers array is filled (or left empty) once the batch that
     * asked for it has completed. */
    for (size_t i = 0; i < n; i++) {
        if (ops[i].op == GRPC_OP_RECV_INITIAL_METADATA) {
            pthread_mutex_lock(&c->mu);
            c->headers_ready = true;
            pthread_mutex_unlock(&c->mu);
        }
    }
    return ev.success != 0;
}

static void receive_status(cg_call *c)
{
    grpc_op ops[3];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    pthread_mutex_lock(&c->mu);
    if (c->status_received) {
        pthread_mutex_unlock(&c->mu);
        return;
    }
    add_send_im(c, ops, &n);
    add_recv_im(c, ops, &n);
    add_recv_status(c, ops, &n);
    run_batch(c, ops, n, &c->tag_status);
}

/* ---- sending ---------------------------------------------------------
 *
 * One SEND_MESSAGE may be in flight per call, and each waits until the
 * core has taken its message. A message sent with cg_call_send_more is
 * not started at once: it is held until the next message comes, and then
 * goes out with the write-buffer hint ("more follows, no need to write
 * yet"), so that a burst of small messages shares writes, as the server's
 * sends do. The held message goes out (and the buffer is flushed) with the
 * next cg_call_send, cg_call_close_send (in the same batch as the
 * half-close), cg_call_finish, or a cg_call_recv that finds no other
 * thread sending. The sending slot (send_busy) makes the thread that
 * starts a send the one that plucks it. */

static grpc_byte_buffer *encode_for_send(cg_call *c, const void *msg)
{
    grpc_byte_buffer *bb;
    cg_status st = cgi_encode(msg, c->m->input, c->ch->max_send, &bb);
    if (st.code != GRPC_STATUS_OK) {
        if (st.code == GRPC_STATUS_RESOURCE_EXHAUSTED) {
            /* As the core would: fail the call with the reason. */
            set_local(c, st);
            grpc_call_cancel_with_status(c->call, st.code, st.message, NULL);
        }
        return NULL;
    }
    return bb;
}

/* Takes the sending slot; false (slot not taken) when the call can send no
 * more. With c->mu held. */
static bool take_send_slot(cg_call *c)
{
    while (c->send_busy)
        pthread_cond_wait(&c->send_cv, &c->mu);
    if (c->has_local || c->send_closed || c->status_received)
        return false;
    c->send_busy = true;
    return true;
}

static void give_send_slot(cg_call *c)
{
    pthread_mutex_lock(&c->mu);
    c->send_busy = false;
    pthread_cond_broadcast(&c->send_cv);
    pthread_mutex_unlock(&c->mu);
}

/* Sends bb (destroyed here) and waits for the core to take it. With c->mu
 * held and the slot taken; returns with c->mu released. */
static bool send_locked(cg_call *c, grpc_byte_buffer *bb, bool more)
{
    grpc_op ops[2];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    add_send_im(c, ops, &n);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n].flags = more ? GRPC_WRITE_BUFFER_HINT : 0;
    ops[n].data.send_message.send_message = bb;
    n++;
    bool ok = run_batch(c, ops, n, &c->tag_send);
    grpc_byte_buffer_destroy(bb);
    return ok;
}

/* Sends the held message, if any, flushing. `wait`: for the slot; without
 * it, a thread busy sending is left to do it. */
static void flush_held(cg_call *c, bool wait)
{
    pthread_mutex_lock(&c->mu);
    if (c->held == NULL || (c->send_busy && !wait) || !take_send_slot(c)) {
        pthread_mutex_unlock(&c->mu);
        return;
    }
    grpc_byte_buffer *bb = c->held;
    c->held = NULL;
    if (bb != NULL)
        send_locked(c, bb, false);
    else
        pthread_mutex_unlock(&c->mu);
    give_send_slot(c);
}

static bool send_msg(cg_call *c, const void *msg, bool more)
{
    if (c == NULL || c->call == NULL)
        return false;
    grpc_byte_buffer *bb = encode_for_send(c, msg);
    if (bb == NULL)
        return false;
    pthread_mutex_lock(&c->mu);
    if (!take_send_slot(c)) {
        pthread_mutex_unlock(&c->mu);
        grpc_byte_buffer_destroy(bb);
        return false;
    }
    bool ok = true;
    grpc_byte_buffer *prev = c->held;
    c->held = NULL;
    if (prev != NULL) {
        /* Another message follows it: let the two share a write. */
        ok = send_locked(c, prev, true);
        pthread_mutex_lock(&c->mu);
    }
    if (!ok) {
        pthread_mutex_unlock(&c->mu);
        grpc_byte_buffer_destroy(bb);
    } else if (more) {
        c->held = bb;
        pthread_mutex_unlock(&c->mu);
    } else {
        ok = send_locked(c, bb, false);
    }
    give_send_slot(c);
    return ok;
}

bool cg_call_send(cg_call *c, const void *msg)
{
    return send_msg(c, msg, false);
}

bool cg_call_send_more(cg_call *c, const void *msg)
{
    return send_msg(c, msg, true);
}

bool cg_call_close_send(cg_call *c)
{
    if (c == NULL || c->call == NULL)
        return false;
    grpc_op ops[3];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    pthread_mutex_lock(&c->mu);
    while (c->send_busy) /* a flush on another thread: let it finish */
        pthread_cond_wait(&c->send_cv, &c->mu);
    if (c->send_closed) {
        pthread_mutex_unlock(&c->mu);
        return true;
    }
    add_send_im(c, ops, &n);
    /* A held message and the half-close: one batch, one write. */
    grpc_byte_buffer *held = c->held;
    c->held = NULL;
    if (held != NULL) {
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n].data.send_message.send_message = held;
        n++;
    }
    ops[n++].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    c->send_closed = true;
    bool ok = run_batch(c, ops, n, &c->tag_close);
    if (held != NULL)
        grpc_byte_buffer_destroy(held);
    return ok;
}

/* Receives the next message as a byte buffer (the caller destroys it), or
 * NULL at the end of the stream, when the status is fetched too. */
static grpc_byte_buffer *recv_raw(cg_call *c)
{
    /* Whoever waits for the server must not leave a message of ours in a
     * buffer: the answer may depend on it. */
    flush_held(c, false);
    grpc_byte_buffer *bb = NULL;
    grpc_op ops[3];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    pthread_mutex_lock(&c->mu);
    add_send_im(c, ops, &n);
    add_recv_im(c, ops, &n);
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n].data.recv_message.recv_message = &bb;
    n++;
    bool ok = run_batch(c, ops, n, &c->tag_recv);
    if (!ok || bb == NULL) {
        if (bb != NULL)
            grpc_byte_buffer_destroy(bb);
        pthread_mutex_lock(&c->mu);
        c->eos = true;
        pthread_mutex_unlock(&c->mu);
        receive_status(c);
        return NULL;
    }
    return bb;
}

static bool at_end(cg_call *c)
{
    pthread_mutex_lock(&c->mu);
    bool end = c->eos;
    pthread_mutex_unlock(&c->mu);
    return end;
}

const void *cg_call_recv(cg_call *c)
{
    if (c == NULL || c->call == NULL || at_end(c))
        return NULL;
    if (c->last != NULL) {
        protobuf_c_message_free_unpacked(c->last, NULL);
        c->last = NULL;
    }
    grpc_byte_buffer *bb = recv_raw(c);
    if (bb == NULL)
        return NULL;
    void *msg;
    cg_status st = cgi_decode(bb, c->m->output, NULL, &msg);
    grpc_byte_buffer_destroy(bb);
    if (st.code != GRPC_STATUS_OK) {
        /* A response we cannot read ends the call; the server sees it
         * cancelled, and cg_call_finish reports why. */
        pthread_mutex_lock(&c->mu);
        set_local_locked(c, st);
        c->eos = true;
        pthread_mutex_unlock(&c->mu);
        grpc_call_cancel_with_status(c->call, st.code, st.message, NULL);
        receive_status(c);
        return NULL;
    }
    c->last = msg;
    return msg;
}

/* Looks `key` up in arr (copied into *cache on first use) once `ready`. */
static const char *find_md(cg_call *c, const bool *ready,
                           const grpc_metadata_array *arr, cg_md **cache,
                           size_t *n, const char *key, size_t *len)
{
    if (len != NULL)
        *len = 0;
    if (c == NULL || key == NULL)
        return NULL;
    const char *v = NULL;
    pthread_mutex_lock(&c->mu);
    if (*ready) {
        if (*cache == NULL)
            *cache = cgi_md_import(arr, &c->arena, n);
        v = cgi_md_find(*cache, *n, key, len);
    }
    pthread_mutex_unlock(&c->mu);
    return v;
}

const char *cg_call_header(cg_call *c, const char *key, size_t *len)
{
    return find_md(c, c ? &c->headers_ready : NULL, c ? &c->headers : NULL,
                   c ? &c->hdr : NULL, c ? &c->n_hdr : NULL, key, len);
}

const char *cg_call_trailer(cg_call *c, const char *key, size_t *len)
{
    /* Trailers arrive with the status; the batch asking for it must also
     * have completed, which status_received alone does not say. */
    return find_md(c, c ? &c->trailers_ready : NULL, c ? &c->trailers : NULL,
                   c ? &c->trl : NULL, c ? &c->n_trl : NULL, key, len);
}

void cg_call_cancel(cg_call *c)
{
    if (c != NULL && c->call != NULL)
        grpc_call_cancel(c->call, NULL);
}

/* The final status: a local failure wins over what the core reports. */
static cg_status final_status(cg_call *c)
{
    if (c->has_local)
        return c->local;
    return cgi_status_from_core(c->code, c->details);
}

/* Ends the call: on_finish for each interceptor, off the channel's list,
 * everything it holds freed; and, unless keep_ref (an asynchronous call
 * keeps it until its callback has returned), its reference on the channel
 * dropped. */
static void release(cg_call *c, const cg_status *st, bool keep_ref)
{
    cg_channel *ch = c->ch;
    if (ch != NULL) {
        int64_t us = cgi_now_us() - c->start_us;
        c->in_icpt = true;
        for (size_t i = ch->n_icpts; i-- > 0;) {
            c->icpt_i = i;
            if (ch->icpts[i].on_finish)
                ch->icpts[i].on_finish(c, c->m, st, us, ch->icpts[i].user);
        }
        c->in_icpt = false;
        /* Off the channel's list before the core's call goes: a
         * cg_channel_free on another thread cancels what is listed. */
        cgi_channel_unlink(ch, &c->link);
    }
    if (c->last != NULL)
        protobuf_c_message_free_unpacked(c->last, NULL);
    if (c->held != NULL) /* never sent: the call failed first */
        grpc_byte_buffer_destroy(c->held);
    if (c->out != NULL)
        grpc_byte_buffer_destroy(c->out);
    if (c->in != NULL)
        grpc_byte_buffer_destroy(c->in);
    if (c->call != NULL)
        grpc_call_unref(c->call);
    grpc_metadata_array_destroy(&c->headers);
    grpc_metadata_array_destroy(&c->trailers);
    grpc_slice_unref(c->details);
    if (c->error_string != NULL)
        gpr_free((void *)c->error_string);
    cgi_mdlist_clear(&c->md);
    free(c->slots);
    cgi_arena_free(&c->arena);
    pthread_cond_destroy(&c->send_cv);
    pthread_mutex_destroy(&c->mu);
    if (ch != NULL && !keep_ref) {
        if (c->cq != NULL)
            cgi_channel_put_cq(ch, c->cq);
        cgi_channel_detach(ch, &c->link);
    }
    free(c);
}

static void destroy(cg_call *c, const cg_status *st)
{
    release(c, st, false);
}

cg_status cg_call_finish(cg_call *c)
{
    if (c == NULL)
        return cgi_null_arg("cg_call_finish", "c");
    if (c->call != NULL && !c->status_received) {
        /* A call finished early still has to reach its status: say no more
         * requests follow, read and drop what the server still sends (the
         * core delivers the status only after the last message), then ask
         * for the status. */
        if (!c->send_closed && !c->has_local)
            cg_call_close_send(c);
        while (!c->eos) {
            grpc_byte_buffer *bb = recv_raw(c);
            if (bb != NULL)
                grpc_byte_buffer_destroy(bb);
        }
        receive_status(c);
    }
    cg_status st = final_status(c);
    destroy(c, &st);
    return st;
}

/* The whole unary call as one batch of six ops, one wait: sends `out`
 * (destroyed here) and returns the response's bytes, or NULL. */
static grpc_byte_buffer *unary_batch(cg_call *c, grpc_byte_buffer *out)
{
    grpc_byte_buffer *in = NULL;
    grpc_op ops[6];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    pthread_mutex_lock(&c->mu);
    add_send_im(c, ops, &n);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n].data.send_message.send_message = out;
    n++;
    ops[n++].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    add_recv_im(c, ops, &n);
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n].data.recv_message.recv_message = &in;
    n++;
    add_recv_status(c, ops, &n);
    c->send_closed = true;
    c->eos = true;
    run_batch(c, ops, n, &c->tag_unary);
    grpc_byte_buffer_destroy(out);
    return in;
}

/* After an OK status: the response in `in` unpacked into *resp, or the
 * reason there is none recorded on the call. */
static void take_response(cg_call *c, grpc_byte_buffer *in, void **resp)
{
    if (in == NULL) {
        set_local(c, cgi_status(GRPC_STATUS_INTERNAL,
                                "%s: the server sent no response", c->m->path));
        return;
    }
    void *msg;
    cg_status st = cgi_decode(in, c->m->output, NULL, &msg);
    if (st.code == GRPC_STATUS_OK)
        *resp = msg;
    else
        set_local(c, st);
}

cg_status cg_unary(cg_channel *ch, const cg_method *m, const void *req,
                   void **resp, const cg_call_opts *opts)
{
    void *unwanted = NULL; /* the response when the caller passed no resp */
    if (resp == NULL)
        resp = &unwanted;
    *resp = NULL;
    if (ch == NULL || m == NULL)
        return cgi_null_arg("cg_unary", ch == NULL ? "ch" : "m");
    cg_call *c = cg_call_start(ch, m, opts);
    if (c->call == NULL || c->has_local)
        return cg_call_finish(c);

    grpc_byte_buffer *out = NULL;
    cg_status st = req != NULL ? cgi_encode(req, m->input, ch->max_send, &out)
                               : cgi_null_arg("cg_unary", "req");
    if (st.code != GRPC_STATUS_OK) {
        set_local(c, st);
        grpc_call_cancel(c->call, NULL);
        return cg_call_finish(c);
    }
    grpc_byte_buffer *in = unary_batch(c, out);
    if (!c->has_local && c->code == GRPC_STATUS_OK)
        take_response(c, in, resp);
    if (in != NULL)
        grpc_byte_buffer_destroy(in);
    if (unwanted != NULL)
        protobuf_c_message_free_unpacked(unwanted, NULL);
    return cg_call_finish(c);
}

/* ---- asynchronous unary calls -----------------------------------------
 *
 * The same six ops in one batch, on the completion threads' queue
 * (async.h); the thread that takes the event frees the call and runs the
 * application's callback. */

/* On a completion thread, once the batch is done. */
static void unary_async_run(cgi_tag *t, bool ok)
{
    (void)ok; /* a failed batch still has its status */
    cg_call *c = cgi_container_of(t, cg_call, atag);
    pthread_mutex_lock(&c->mu); /* as run_batch: on_finish may read them */
    c->headers_ready = c->trailers_ready = true;
    pthread_mutex_unlock(&c->mu);
    void *resp = NULL;
    if (!c->has_local && c->code == GRPC_STATUS_OK)
        take_response(c, c->in, &resp);
    cg_status st = final_status(c);
    cg_channel *ch = c->ch;
    cg_unary_done_fn done = c->done;
    void *user = c->user;
    release(c, &st, true);
    cgi_channel_in_callback();
    done(&st, resp, user);
    cgi_channel_async_end(ch);
}

/* Encodes req and starts the batch; a call failed already (or a request
 * that cannot be sent) only waits for its status, cancelled. */
static void start_unary_async(cg_call *c, const void *req)
{
    if (!c->has_local) {
        cg_status st =
            req != NULL ? cgi_encode(req, c->m->input, c->ch->max_send, &c->out)
                        : cgi_null_arg("cg_unary_async", "req");
        if (st.code != GRPC_STATUS_OK) {
            set_local(c, st);
            grpc_call_cancel(c->call, NULL);
        }
    }
    grpc_op ops[6];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    add_send_im(c, ops, &n);
    if (c->out != NULL) {
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n].data.send_message.send_message = c->out;
        n++;
        ops[n++].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    }
    add_recv_im(c, ops, &n);
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n].data.recv_message.recv_message = &c->in;
    n++;
    add_recv_status(c, ops, &n);
    cgi_tag_init(&c->atag, unary_async_run);
    if (grpc_call_start_batch(c->call, ops, n, cgi_tag_publish(&c->atag),
                              NULL) != GRPC_CALL_OK)
        cgi_die("cgrpc: the core refused an asynchronous unary batch");
}

bool cg_unary_async(cg_channel *ch, const cg_method *m, const void *req,
                    const cg_call_opts *opts, cg_unary_done_fn done, void *user)
{
    if (ch == NULL || m == NULL || m->path == NULL || done == NULL)
        return false;
    cg_call *c = call_new(m);
    grpc_completion_queue *cq = cgi_channel_attach_async(ch, &c->link);
    if (cq == NULL) {
        destroy(c, NULL);
        return false;
    }
    c->ch = ch;
    c->done = done;
    c->user = user;
    int64_t timeout = apply_opts(c, ch, opts);
    run_on_start(c, ch);
    create_core_call(c, ch, timeout, cq);
    start_unary_async(c, req);
    return true;
}
