/*
 * testing.c: helpers for tests: a started server on a free port, and a
 * context and stream with no network behind them.
 *
 * A test context is the same cg_ctx a real call has, so every cg_ctx_*
 * function behaves as it does in production. Only the stream differs: its
 * recv takes messages the test pushed, and its send keeps copies the test
 * reads back. Messages cross it packed and unpacked, as on the wire, so a
 * handler meets exactly what it would meet from a client. A test can hold
 * the sends, as a client that stops reading holds a real call's.
 */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "common.h"
#include "ctx.h"
#include "status.h"

cg_server *cg_test_server_start(cg_setup_fn setup, void *user, int *port)
{
    cg_server *srv = cg_server_new(NULL);
    if (srv == NULL)
        return NULL;
    int p = cg_server_listen(srv, "127.0.0.1:0", NULL, NULL);
    if (p <= 0) {
        cg_server_free(srv);
        return NULL;
    }
    if (setup != NULL)
        setup(srv, user);
    if (cg_server_start(srv) != 0) {
        cg_server_free(srv);
        return NULL;
    }
    if (port != NULL)
        *port = p;
    return srv;
}

typedef struct packed {
    uint8_t *data;
    size_t len;
} packed;

typedef struct cgi_test_ctx {
    cg_ctx ctx; /* ctx.mu guards the fields below */
    cg_stream stream;
    bool has_stream;
    pthread_cond_t cv; /* input arrived, input closed, cancelled */
    packed *in;
    size_t n_in, cap_in, next_in;
    bool in_closed;
    const void **sent;
    size_t n_sent, cap_sent;
    bool hold_sends; /* cg_test_stream_hold_sends */
    size_t n_held;   /* sends waiting in the hold */
    alignas(max_align_t) char first[1024];
} cgi_test_ctx;

/* The test context `ctx` is part of, or NULL when ctx is NULL or a real
 * call's context: every cg_test_* function refuses those. */
static cgi_test_ctx *test_of(const cg_ctx *ctx)
{
    if (ctx == NULL || !ctx->test)
        return NULL;
    return cgi_container_of(ctx, cgi_test_ctx, ctx);
}

cg_ctx *cg_test_ctx_new(const cg_method *m, void *user)
{
    if (m == NULL || m->input == NULL || m->output == NULL)
        return NULL;
    cgi_test_ctx *t = cgi_calloc(1, sizeof *t);
    cgi_ctx_init(&t->ctx, m, user, t->first, sizeof t->first);
    t->ctx.test = true;
    t->ctx.md_loaded = true; /* metadata comes from cg_test_ctx_add_metadata */
    cgi_cond_init_mono(&t->cv);
    return &t->ctx;
}

void cg_test_ctx_free(cg_ctx *ctx)
{
    cgi_test_ctx *t = test_of(ctx);
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_in; i++)
        free(t->in[i].data);
    free(t->in);
    free(t->sent);
    if (t->has_stream)
        cgi_stream_destroy(&t->stream);
    pthread_cond_destroy(&t->cv);
    cgi_ctx_destroy(&t->ctx);
    free(t);
}

bool cg_test_ctx_cancel(cg_ctx *ctx)
{
    cgi_test_ctx *t = test_of(ctx);
    if (t == NULL)
        return false;
    pthread_mutex_lock(&ctx->mu);
    atomic_store(&ctx->cancelled, true);
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&ctx->mu);
    return true;
}

bool cg_test_ctx_add_metadata(cg_ctx *ctx, const char *key, const char *value)
{
    if (test_of(ctx) == NULL || key == NULL || value == NULL)
        return false;
    pthread_mutex_lock(&ctx->mu);
    if (ctx->n_md == ctx->cap_md) {
        /* Arena memory cannot grow in place: copy into a larger array. */
        size_t cap = ctx->cap_md ? ctx->cap_md * 2 : 8;
        cg_md *md = cgi_arena_alloc(&ctx->arena, cap * sizeof *md);
        if (ctx->n_md)
            memcpy(md, ctx->md, ctx->n_md * sizeof *md);
        ctx->md = md;
        ctx->cap_md = cap;
    }
    cg_md *e = &ctx->md[ctx->n_md++];
    e->key = cgi_arena_strndup(&ctx->arena, key, strlen(key));
    e->value = cgi_arena_strndup(&ctx->arena, value, strlen(value));
    e->value_len = strlen(value);
    pthread_mutex_unlock(&ctx->mu);
    return true;
}

bool cg_test_ctx_set_timeout(cg_ctx *ctx, int64_t timeout_ms)
{
    if (test_of(ctx) == NULL)
        return false;
    pthread_mutex_lock(&ctx->mu);
    ctx->deadline = timeout_ms > 0 ? cgi_deadline_after(timeout_ms)
                                   : gpr_now(GPR_CLOCK_MONOTONIC);
    pthread_mutex_unlock(&ctx->mu);
    return true;
}

/* ===================================================================== */
/* The in-memory stream                                                   */
/* ===================================================================== */

/* Waits on t->cv (ctx.mu held) until it is signalled or the call's
 * deadline passes, as a real stream waits for the network. */
static void wait_locked(cgi_test_ctx *t)
{
    int64_t left = cg_ctx_time_left_ms(&t->ctx);
    if (left == INT64_MAX) {
        pthread_cond_wait(&t->cv, &t->ctx.mu);
    } else {
        struct timespec until = cgi_mono_timespec(cgi_now_ms() + left);
        pthread_cond_timedwait(&t->cv, &t->ctx.mu, &until);
    }
}

static const void *test_recv(cg_stream *s)
{
    cg_ctx *ctx = s->ctx;
    cgi_test_ctx *t = test_of(ctx);
    if (s->eos)
        return NULL;
    cgi_arena_reset(&s->recv_arena);
    pthread_mutex_lock(&ctx->mu);
    /* Wait for input like a real stream: until a message is pushed, the
     * input is closed, or the call is cancelled or out of time. */
    while (t->next_in == t->n_in && !t->in_closed && !cg_ctx_cancelled(ctx))
        wait_locked(t);
    packed p = {NULL, 0};
    bool ended = cg_ctx_cancelled(ctx);
    bool have = t->next_in < t->n_in && !ended;
    if (have)
        p = t->in[t->next_in++];
    pthread_mutex_unlock(&ctx->mu);
    if (!have) {
        s->eos = true;
        s->error = ended ? cgi_ctx_ended_status(ctx) : cg_ok();
        return NULL;
    }
    void *msg = protobuf_c_message_unpack(
        ctx->method->input, cgi_arena_pbc(&s->recv_arena), p.len, p.data);
    if (msg == NULL) {
        s->eos = true;
        s->error = cgi_status(GRPC_STATUS_INTERNAL, "malformed %s",
                              ctx->method->input->name);
    }
    return msg;
}

static bool test_send(cg_stream *s, const void *msg)
{
    cg_ctx *ctx = s->ctx;
    cgi_test_ctx *t = test_of(ctx);
    if (ctx->method->kind == CG_CLIENT_STREAMING || cg_ctx_cancelled(ctx) ||
        !cgi_msg_is(msg, ctx->method->output))
        return false;
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = cgi_malloc(len);
    protobuf_c_message_pack(msg, buf);
    pthread_mutex_lock(&ctx->mu);
    /* A held send waits, as for a client that stopped reading. */
    while (t->hold_sends && !cg_ctx_cancelled(ctx)) {
        t->n_held++;
        pthread_cond_broadcast(&t->cv);
        wait_locked(t);
        t->n_held--;
    }
    if (cg_ctx_cancelled(ctx)) {
        pthread_mutex_unlock(&ctx->mu);
        free(buf);
        return false;
    }
    const void *copy = protobuf_c_message_unpack(
        ctx->method->output, cgi_arena_pbc(&ctx->arena), len, buf);
    if (t->n_sent == t->cap_sent) {
        t->cap_sent = t->cap_sent ? t->cap_sent * 2 : 16;
        t->sent = cgi_realloc(t->sent, t->cap_sent * sizeof *t->sent);
    }
    t->sent[t->n_sent++] = copy;
    ctx->headers_sent = true;
    pthread_mutex_unlock(&ctx->mu);
    free(buf);
    return true;
}

static const cgi_stream_ops test_stream_ops = {test_recv, test_send};

/* The test context of a test stream, or NULL when s is NULL or a real
 * call's stream. */
static cgi_test_ctx *test_of_stream(const cg_stream *s)
{
    return s != NULL && s->ops == &test_stream_ops ? test_of(s->ctx) : NULL;
}

cg_stream *cg_test_stream(cg_ctx *ctx)
{
    cgi_test_ctx *t = test_of(ctx);
    if (t == NULL)
        return NULL;
    /* The handler's thread and the test's may both ask first (cgrpc.h says
     * another thread is fine): the lazy set-up is under the context's lock. */
    pthread_mutex_lock(&ctx->mu);
    if (!t->has_stream) {
        cgi_stream_init(&t->stream, ctx, &test_stream_ops);
        t->has_stream = true;
    }
    pthread_mutex_unlock(&ctx->mu);
    return &t->stream;
}

bool cg_test_stream_push(cg_stream *s, const void *msg)
{
    cgi_test_ctx *t = test_of_stream(s);
    if (t == NULL || !cgi_msg_is(msg, t->ctx.method->input))
        return false;
    packed p;
    p.len = protobuf_c_message_get_packed_size(msg);
    p.data = cgi_malloc(p.len);
    protobuf_c_message_pack(msg, p.data);
    pthread_mutex_lock(&t->ctx.mu);
    if (t->n_in == t->cap_in) {
        t->cap_in = t->cap_in ? t->cap_in * 2 : 16;
        t->in = cgi_realloc(t->in, t->cap_in * sizeof *t->in);
    }
    t->in[t->n_in++] = p;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->ctx.mu);
    return true;
}

bool cg_test_stream_close_input(cg_stream *s)
{
    cgi_test_ctx *t = test_of_stream(s);
    if (t == NULL)
        return false;
    pthread_mutex_lock(&t->ctx.mu);
    t->in_closed = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->ctx.mu);
    return true;
}

size_t cg_test_stream_sent_count(const cg_stream *s)
{
    cgi_test_ctx *t = test_of_stream(s);
    if (t == NULL)
        return 0;
    pthread_mutex_lock(&t->ctx.mu);
    size_t n = t->n_sent;
    pthread_mutex_unlock(&t->ctx.mu);
    return n;
}

const void *cg_test_stream_sent(const cg_stream *s, size_t i)
{
    cgi_test_ctx *t = test_of_stream(s);
    if (t == NULL)
        return NULL;
    pthread_mutex_lock(&t->ctx.mu);
    const void *m = i < t->n_sent ? t->sent[i] : NULL;
    pthread_mutex_unlock(&t->ctx.mu);
    return m;
}

bool cg_test_stream_hold_sends(cg_stream *s, bool hold)
{
    cgi_test_ctx *t = test_of_stream(s);
    if (t == NULL)
        return false;
    pthread_mutex_lock(&t->ctx.mu);
    t->hold_sends = hold;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->ctx.mu);
    return true;
}

bool cg_test_stream_wait_held_send(cg_stream *s, int64_t timeout_ms)
{
    cgi_test_ctx *t = test_of_stream(s);
    if (t == NULL)
        return false;
    struct timespec until = cgi_mono_timespec(cgi_now_ms() + timeout_ms);
    pthread_mutex_lock(&t->ctx.mu);
    int rc = 0;
    while (t->n_held == 0 && rc == 0)
        rc = pthread_cond_timedwait(&t->cv, &t->ctx.mu, &until);
    bool held = t->n_held > 0;
    pthread_mutex_unlock(&t->ctx.mu);
    return held;
}
