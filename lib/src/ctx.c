/*
 * ctx.c: the handler's view of a call: context accessors, arena helpers,
 * streams, the interceptor chain, and cg_error (a status recorded on the
 * call).
 *
 * Everything here works the same for a call from the network and for a
 * test context; the two differ only in the stream's recv/send functions.
 */
#include "ctx.h"

#include <string.h>

#include "common.h"
#include "status.h"

/* ===================================================================== */
/* Life of a context                                                      */
/* ===================================================================== */

void cgi_ctx_init(cg_ctx *ctx, const cg_method *m, void *user, void *first,
                  size_t first_size)
{
    memset(ctx, 0, sizeof *ctx);
    pthread_mutex_init(&ctx->mu, NULL);
    cgi_arena_init(&ctx->arena, first, first_size);
    ctx->method = m;
    ctx->user = user;
    ctx->deadline = gpr_inf_future(GPR_CLOCK_MONOTONIC);
    atomic_init(&ctx->cancelled, false);
}

void cgi_ctx_destroy(cg_ctx *ctx)
{
    cgi_mdlist_clear(&ctx->headers);
    cgi_mdlist_clear(&ctx->trailers);
    cgi_arena_free(&ctx->arena);
    pthread_mutex_destroy(&ctx->mu);
}

/* cg_error is declared with the status values in cgrpc.h, and lives here
 * because it also records the status on the call, for interceptors
 * (cg_ctx_status): status.c only makes values and knows no call. */
cg_status cg_error(cg_ctx *ctx, grpc_status_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cg_status st = cgi_vstatus(code, fmt, ap);
    va_end(ap);
    if (ctx != NULL) {
        pthread_mutex_lock(&ctx->mu);
        ctx->recorded = st;
        ctx->has_recorded = true;
        pthread_mutex_unlock(&ctx->mu);
    }
    return st;
}

void cgi_ctx_fault(cg_ctx *ctx, cg_status st)
{
    pthread_mutex_lock(&ctx->mu);
    if (!ctx->has_fault) {
        ctx->fault = st;
        ctx->has_fault = true;
    }
    pthread_mutex_unlock(&ctx->mu);
}

cg_status cgi_ctx_final_status(cg_ctx *ctx, cg_status handler)
{
    pthread_mutex_lock(&ctx->mu);
    /* The fault is the cause: a handler whose send failed because the
     * message was too large usually returns some error of its own. */
    if (ctx->has_fault)
        handler = ctx->fault;
    pthread_mutex_unlock(&ctx->mu);
    return handler;
}

cg_status cgi_ctx_ended_status(const cg_ctx *ctx)
{
    if (cgi_ms_until(ctx->deadline) == 0)
        return cgi_status(GRPC_STATUS_DEADLINE_EXCEEDED, "deadline exceeded");
    return cgi_status(GRPC_STATUS_CANCELLED, "call cancelled");
}

/* ===================================================================== */
/* Accessors                                                              */
/* ===================================================================== */

/* Every public function here checks its pointers first and returns its
 * failure value for a NULL (cgrpc.h, "Conventions"). */

void *cg_ctx_user(const cg_ctx *ctx)
{
    return ctx != NULL ? ctx->user : NULL;
}

const cg_method *cg_ctx_method(const cg_ctx *ctx)
{
    return ctx != NULL ? ctx->method : NULL;
}

const char *cg_ctx_peer(const cg_ctx *ctx)
{
    if (ctx == NULL)
        return NULL;
    /* The peer is looked up on first use: most handlers never ask, and the
     * core returns a fresh malloc'd string each time. Logically const. */
    cg_ctx *c = (cg_ctx *)ctx;
    pthread_mutex_lock(&c->mu);
    if (c->peer == NULL) {
        if (c->call != NULL) {
            char *p = grpc_call_get_peer(c->call);
            c->peer = cgi_arena_strndup(&c->arena, p, strlen(p));
            gpr_free(p);
        } else {
            c->peer = "test";
        }
    }
    const char *peer = c->peer;
    pthread_mutex_unlock(&c->mu);
    return peer;
}

int64_t cg_ctx_time_left_ms(const cg_ctx *ctx)
{
    return ctx != NULL ? cgi_ms_until(ctx->deadline) : 0;
}

bool cg_ctx_cancelled(const cg_ctx *ctx)
{
    return ctx == NULL || atomic_load(&ctx->cancelled) ||
           cgi_ms_until(ctx->deadline) == 0;
}

/* Copies the core's request metadata into the arena on first use. */
static void load_md(cg_ctx *ctx)
{
    if (!ctx->md_loaded) {
        if (ctx->core_md != NULL)
            ctx->md = cgi_md_import(ctx->core_md, &ctx->arena, &ctx->n_md);
        ctx->md_loaded = true;
    }
}

const char *cg_ctx_metadata(const cg_ctx *ctx, const char *key, size_t *len)
{
    if (len != NULL)
        *len = 0;
    if (ctx == NULL || key == NULL)
        return NULL;
    cg_ctx *c = (cg_ctx *)ctx;
    pthread_mutex_lock(&c->mu);
    load_md(c);
    const char *v = cgi_md_find(c->md, c->n_md, key, len);
    pthread_mutex_unlock(&c->mu);
    return v;
}

const cg_md *cg_ctx_metadata_all(const cg_ctx *ctx, size_t *n)
{
    if (n != NULL)
        *n = 0;
    if (ctx == NULL || n == NULL)
        return NULL;
    cg_ctx *c = (cg_ctx *)ctx;
    pthread_mutex_lock(&c->mu);
    load_md(c);
    const cg_md *md = c->md;
    *n = c->n_md;
    pthread_mutex_unlock(&c->mu);
    return md;
}

bool cg_ctx_add_header(cg_ctx *ctx, const char *key, const char *value,
                       size_t value_len)
{
    if (ctx == NULL)
        return false;
    pthread_mutex_lock(&ctx->mu);
    bool ok = !ctx->headers_sent &&
              cgi_mdlist_add(&ctx->headers, key, value, value_len);
    pthread_mutex_unlock(&ctx->mu);
    return ok;
}

bool cg_ctx_add_trailer(cg_ctx *ctx, const char *key, const char *value,
                        size_t value_len)
{
    if (ctx == NULL)
        return false;
    pthread_mutex_lock(&ctx->mu);
    bool ok = !ctx->trailers_sent &&
              cgi_mdlist_add(&ctx->trailers, key, value, value_len);
    pthread_mutex_unlock(&ctx->mu);
    return ok;
}

const void *cg_ctx_request(const cg_ctx *ctx)
{
    return ctx != NULL ? ctx->request : NULL;
}

const cg_status *cg_ctx_status(const cg_ctx *ctx)
{
    if (ctx == NULL)
        return NULL;
    if (ctx->has_status)
        return &ctx->status;
    return ctx->has_recorded ? &ctx->recorded : NULL;
}

/* ===================================================================== */
/* Arena memory for handlers                                              */
/* ===================================================================== */

void *cg_alloc(cg_ctx *ctx, size_t size)
{
    if (ctx == NULL)
        return NULL;
    pthread_mutex_lock(&ctx->mu);
    void *p = cgi_arena_alloc(&ctx->arena, size);
    pthread_mutex_unlock(&ctx->mu);
    return p;
}

char *cg_strdup(cg_ctx *ctx, const char *s)
{
    if (ctx == NULL)
        return NULL;
    if (s == NULL)
        s = "";
    pthread_mutex_lock(&ctx->mu);
    char *d = cgi_arena_strndup(&ctx->arena, s, strlen(s));
    pthread_mutex_unlock(&ctx->mu);
    return d;
}

char *cg_printf(cg_ctx *ctx, const char *fmt, ...)
{
    if (ctx == NULL || fmt == NULL)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&ctx->mu);
    char *d = cgi_arena_vprintf(&ctx->arena, fmt, ap);
    pthread_mutex_unlock(&ctx->mu);
    va_end(ap);
    return d;
}

void *cg_message_new(cg_ctx *ctx, const ProtobufCMessageDescriptor *desc)
{
    if (ctx == NULL || desc == NULL)
        return NULL;
    void *m = cg_alloc(ctx, desc->sizeof_message);
    protobuf_c_message_init(desc, m);
    return m;
}

/* ===================================================================== */
/* Streams                                                                */
/* ===================================================================== */

void cgi_stream_init(cg_stream *s, cg_ctx *ctx, const cgi_stream_ops *ops)
{
    memset(s, 0, sizeof *s);
    s->ops = ops;
    s->ctx = ctx;
    s->error = cg_ok();
    cgi_arena_init(&s->recv_arena, NULL, 0);
}

void cgi_stream_destroy(cg_stream *s)
{
    cgi_arena_free(&s->recv_arena);
}

const void *cg_recv(cg_stream *s)
{
    return s != NULL ? s->ops->recv(s) : NULL;
}

bool cg_send(cg_stream *s, const void *msg)
{
    /* A NULL msg is a message of the wrong type: the stream's send
     * refuses it (and a real call then ends with INTERNAL). */
    return s != NULL && s->ops->send(s, msg);
}

cg_status cg_stream_error(const cg_stream *s)
{
    return s != NULL ? s->error : cgi_null_arg("cg_stream_error", "s");
}

cg_ctx *cg_stream_ctx(cg_stream *s)
{
    return s != NULL ? s->ctx : NULL;
}

/* ===================================================================== */
/* The interceptor chain                                                  */
/* ===================================================================== */

/* Where a call is in the chain, and what the handler at its end needs. It
 * lives on the stack of cgi_ctx_invoke; each cg_proceed makes the next. */
struct cg_next {
    const cgi_icpt *chain;
    size_t n, i;
    const void *impl;
    const void *req;
    void *resp;
    cg_stream *stream;
};

static void set_status(cg_ctx *ctx, cg_status st)
{
    pthread_mutex_lock(&ctx->mu);
    ctx->status = st;
    ctx->has_status = true;
    pthread_mutex_unlock(&ctx->mu);
}

cg_status cg_proceed(cg_ctx *ctx, cg_next *next)
{
    if (ctx == NULL || next == NULL)
        return cgi_null_arg("cg_proceed", ctx == NULL ? "ctx" : "next");
    if (next->i < next->n) {
        cg_next rest = *next;
        rest.i++;
        const cgi_icpt *ic = &next->chain[next->i];
        return ic->fn(ctx, &rest, ic->user);
    }
    const cg_method *m = ctx->method;
    cg_status st;
    if (m->invoke == NULL || next->impl == NULL)
        st = cgi_status(GRPC_STATUS_UNIMPLEMENTED,
                        "method %s is not implemented", m->path);
    else
        st = m->invoke(next->impl, ctx, next->req, next->resp, next->stream);
    /* Interceptors that run code after cg_proceed read this. */
    set_status(ctx, st);
    return st;
}

cg_status cgi_ctx_invoke(cg_ctx *ctx, const cgi_icpt *chain, size_t n,
                         const void *impl, const void *req, void *resp,
                         cg_stream *stream)
{
    cg_next first = {chain, n, 0, impl, req, resp, stream};
    cg_status st = cg_proceed(ctx, &first);
    set_status(ctx, st); /* an interceptor may have replaced it */
    return st;
}
