/*
 * tracing.h: one trace across services (exercise 9, in tracing.c).
 *
 * A call that reaches three services leaves three log lines in three
 * places. A trace ties them together: every service records a span for
 * its part (what, when, how it ended) under one trace id, which travels
 * from caller to callee in the W3C `traceparent` header. The runtime's
 * tracer (cg_tracer, cgrpc.h "Tracing") sends the spans to an
 * OpenTelemetry collector, in the background, when the environment names
 * one (OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4317); without one the
 * spans still carry the trace id to the log lines, and go nowhere else.
 */
#ifndef STEP07_TRACING_H
#define STEP07_TRACING_H

#include <stdbool.h>

#include <cgrpc.h>

/* [exercise-9] */
/* Whether a call that ended with `code` failed on the server's side, as
 * OpenTelemetry's conventions for gRPC server spans say: UNKNOWN,
 * DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE and DATA_LOSS.
 * Every other code (NOT_FOUND, INVALID_ARGUMENT, ...) is the client's
 * business: the server did its job. */
bool tracing_is_server_error(grpc_status_code code);

/* A server interceptor (user: the cg_tracer) that records one SERVER span
 * per call:
 *   - its parent is the caller's span, from the request's `traceparent`
 *     (and `tracestate`) metadata, parsed by cg_traceparent_parse; a
 *     missing or malformed one starts a new trace;
 *   - its name is the method's path without the leading '/'
 *     ("tutorial.v1.MyService/UnaryCall");
 *   - attributes: rpc.system "grpc", rpc.service (the path's part before
 *     the method: "tutorial.v1.MyService"), rpc.method (the method's name),
 *     and, once the call is over, rpc.grpc.status_code (the code, a
 *     number);
 *   - while the rest of the chain runs it is the thread's current span
 *     (cg_span_swap_current), so the log lines of the call carry its
 *     trace id; the previous one is put back before the span ends;
 *   - when tracing_is_server_error(code), its status is an error with
 *     the status message (cg_span_set_error);
 *   - it ends when the call is over (cg_span_end), and the call's status
 *     is returned unchanged. */
cg_status tracing_interceptor(cg_ctx *ctx, cg_next *next, void *user);
/* [/exercise-9] */

#endif
