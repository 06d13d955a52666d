/*
 * trace_rpc.c: the tracing interceptors, a span per call on each side,
 * with OpenTelemetry's semantic conventions for gRPC: span name
 * "pkg.Service/Method", kind SERVER or CLIENT, attributes rpc.system,
 * rpc.service, rpc.method, rpc.grpc.status_code, and status ERROR as the
 * conventions say (below). Built on the public functions of cgrpc.h and
 * cgi_tracer_exports. With a tracer that exports nothing they record
 * nothing and only pass on a trace that is already there, so that tracing
 * switched on without an endpoint costs a call nothing it can measure
 * (`make cgrpc-trace-bench`).
 */
#include <string.h>

#include "cgrpc.h"
#include "trace.h"

/* A SERVER span is an error for the codes that are the server's fault;
 * a CLIENT span, for every code but OK. */
static bool is_error(grpc_status_code code, cg_span_kind kind)
{
    if (kind == CG_SPAN_CLIENT)
        return code != GRPC_STATUS_OK;
    switch (code) {
    case GRPC_STATUS_UNKNOWN:
    case GRPC_STATUS_DEADLINE_EXCEEDED:
    case GRPC_STATUS_UNIMPLEMENTED:
    case GRPC_STATUS_INTERNAL:
    case GRPC_STATUS_UNAVAILABLE:
    case GRPC_STATUS_DATA_LOSS:
        return true;
    default:
        return false;
    }
}

/* A span for method m: "/pkg.Svc/Method" gives the name "pkg.Svc/Method"
 * and rpc.service "pkg.Svc". */
static cg_span *rpc_span(cg_tracer *t, const cg_method *m, cg_span_kind kind,
                         const cg_span_context *parent)
{
    const char *path = m->path[0] == '/' ? m->path + 1 : m->path;
    cg_span *s = cg_span_start(t, path, kind, parent);
    const char *slash = strchr(path, '/');
    size_t n = slash != NULL ? (size_t)(slash - path) : strlen(path);
    char service[256];
    if (n >= sizeof service)
        n = sizeof service - 1;
    memcpy(service, path, n);
    service[n] = '\0';
    cg_span_set_str(s, "rpc.system", "grpc");
    cg_span_set_str(s, "rpc.service", service);
    cg_span_set_str(s, "rpc.method", m->name != NULL ? m->name : "");
    return s;
}

static void rpc_span_end(cg_span *s, const cg_status *st, cg_span_kind kind)
{
    cg_span_set_int(s, "rpc.grpc.status_code", st->code);
    if (is_error(st->code, kind))
        cg_span_set_error(s, st->message);
    cg_span_end(s);
}

/* The caller's trace: a single valid traceparent, else none (a header
 * sent twice is malformed too). */
static bool caller_context(cg_ctx *ctx, cg_span_context *out)
{
    size_t n = 0, seen = 0;
    const cg_md *md = cg_ctx_metadata_all(ctx, &n);
    for (size_t i = 0; i < n; i++)
        seen += strcmp(md[i].key, "traceparent") == 0;
    if (seen != 1)
        return false;
    return cg_traceparent_parse(cg_ctx_metadata(ctx, "traceparent", NULL),
                                cg_ctx_metadata(ctx, "tracestate", NULL), out);
}

cg_status cg_trace_server_interceptor(cg_ctx *ctx, cg_next *next, void *user)
{
    cg_tracer *t = user;
    if (ctx == NULL || next == NULL)
        return cg_error(NULL, GRPC_STATUS_INVALID_ARGUMENT,
                        "cg_trace_server_interceptor: %s is NULL",
                        ctx == NULL ? "ctx" : "next");
    if (t == NULL)
        return cg_proceed(ctx, next);
    cg_span_context parent;
    bool has_parent = caller_context(ctx, &parent);
    if (!has_parent && !cgi_tracer_exports(t))
        return cg_proceed(ctx, next); /* no trace to record or pass on */
    cg_span *s = rpc_span(t, cg_ctx_method(ctx), CG_SPAN_SERVER,
                          has_parent ? &parent : NULL);
    cg_span *prev = cg_span_swap_current(s);
    cg_status st = cg_proceed(ctx, next);
    cg_span_swap_current(prev);
    rpc_span_end(s, &st, CG_SPAN_SERVER);
    return st;
}

/* The traceparent (and tracestate) of sc into the call's metadata. */
static void send_context(cg_call *c, const cg_span_context *sc)
{
    char tp[CG_TRACEPARENT_SIZE];
    if (cg_traceparent_format(sc, tp, sizeof tp))
        cg_call_add_metadata(c, "traceparent", tp, 0);
    if (sc->tracestate[0] != '\0')
        cg_call_add_metadata(c, "tracestate", sc->tracestate, 0);
}

static void client_start(cg_call *c, const cg_method *m, void *user)
{
    cg_span_context parent;
    bool has_parent = cg_span_current_context(&parent);
    cg_span *s = rpc_span(user, m, CG_SPAN_CLIENT, has_parent ? &parent : NULL);
    send_context(c, cg_span_context_of(s));
    *cg_call_interceptor_slot(c) = s;
}

/* A tracer that exports nothing records no client span: a call made inside
 * a traced one passes that trace on (its current span's context, as the
 * parent of the next service's span), and a call outside any trace sends
 * nothing and costs nothing. */
static void client_pass_on(cg_call *c, const cg_method *m, void *user)
{
    (void)m, (void)user;
    cg_span_context current;
    if (cg_span_current_context(&current))
        send_context(c, &current);
}

static void client_finish(cg_call *c, const cg_method *m, const cg_status *st,
                          int64_t duration_us, void *user)
{
    (void)m, (void)duration_us, (void)user;
    void **slot = cg_call_interceptor_slot(c);
    if (slot != NULL && *slot != NULL)
        rpc_span_end(*slot, st, CG_SPAN_CLIENT);
}

cg_client_interceptor cg_trace_client_interceptor(cg_tracer *t)
{
    cg_client_interceptor ic = {0};
    if (cgi_tracer_exports(t)) {
        ic.on_start = client_start;
        ic.on_finish = client_finish;
        ic.user = t;
    } else if (t != NULL) {
        ic.on_start = client_pass_on;
    }
    return ic;
}
