/*
 * tracing.c: exercise 9, a server interceptor that records a span per
 * call (contracts in tracing.h).
 * Test: `make test` here; suite tracing. Lesson:
 * docs/en/steps/07-deploy.md#exercise-9-tracing-a-call
 */
#include "tracing.h"

#include <stdio.h>
#include <string.h>

bool tracing_is_server_error(grpc_status_code code)
{
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

cg_status tracing_interceptor(cg_ctx *ctx, cg_next *next, void *user)
{
    cg_tracer *tracer = user;
    const cg_method *m = cg_ctx_method(ctx);
    const char *name = m->path + 1; /* "tutorial.v1.MyService/UnaryCall" */
    char service[256];
    snprintf(service, sizeof service, "%.*s", (int)strcspn(name, "/"), name);

    cg_span_context parent;
    bool has_parent =
        cg_traceparent_parse(cg_ctx_metadata(ctx, "traceparent", NULL),
                             cg_ctx_metadata(ctx, "tracestate", NULL), &parent);
    cg_span *span = cg_span_start(tracer, name, CG_SPAN_SERVER,
                                  has_parent ? &parent : NULL);
    cg_span_set_str(span, "rpc.system", "grpc");
    cg_span_set_str(span, "rpc.service", service);
    cg_span_set_str(span, "rpc.method", m->name);

    cg_span *previous = cg_span_swap_current(span);
    cg_status st = cg_proceed(ctx, next);
    cg_span_swap_current(previous);

    cg_span_set_int(span, "rpc.grpc.status_code", st.code);
    if (tracing_is_server_error(st.code))
        cg_span_set_error(span, st.message);
    cg_span_end(span);
    return st;
}
