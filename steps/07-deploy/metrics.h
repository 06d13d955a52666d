/*
 * metrics.h: counting calls and timing them (exercise 5, in metrics.c), in
 * the names OpenTelemetry's semantic conventions for RPC give them, written
 * in Prometheus's text format for GET /metrics (served by metrics_http.c).
 *
 * Two metric families, each split by the call's method:
 *
 *   rpc_server_calls_total                    a counter per method and status
 *                                             code: calls finished
 *   rpc_server_duration_milliseconds          a histogram per method: how long
 *                                             calls took (OpenTelemetry's
 *                                             rpc.server.duration, in ms)
 *
 * Labels (OpenTelemetry attribute names with '.' turned into '_'):
 *   rpc_system="grpc", rpc_service="tutorial.v1.MyService",
 *   rpc_method="UnaryCall", rpc_grpc_status_code="0" (the counter only)
 *
 * What metrics_render writes, for one method called three times, twice OK
 * (after 0.2 ms and 7 ms) and once NOT_FOUND (after 30 ms):
 * [text-example]
 *   # HELP rpc_server_calls_total Calls the server finished, by method and status code.
 *   # TYPE rpc_server_calls_total counter
 *   rpc_server_calls_total{rpc_system="grpc",rpc_service="tutorial.v1.UserService",rpc_method="GetUser",rpc_grpc_status_code="0"} 2
 *   rpc_server_calls_total{rpc_system="grpc",rpc_service="tutorial.v1.UserService",rpc_method="GetUser",rpc_grpc_status_code="5"} 1
 *   # HELP rpc_server_duration_milliseconds How long the server took to handle a call (OpenTelemetry rpc.server.duration).
 *   # TYPE rpc_server_duration_milliseconds histogram
 *   rpc_server_duration_milliseconds_bucket{rpc_system="grpc",rpc_service="tutorial.v1.UserService",rpc_method="GetUser",le="0"} 0
 *   rpc_server_duration_milliseconds_bucket{...,le="5"} 1
 *   rpc_server_duration_milliseconds_bucket{...,le="10"} 2
 *   rpc_server_duration_milliseconds_bucket{...,le="25"} 2
 *   rpc_server_duration_milliseconds_bucket{...,le="50"} 3
 *   ... one line for every bound, each counting the calls that took at most
 *   that long (so the counts never go down), then:
 *   rpc_server_duration_milliseconds_bucket{...,le="+Inf"} 3
 *   rpc_server_duration_milliseconds_sum{rpc_system="grpc",rpc_service="tutorial.v1.UserService",rpc_method="GetUser"} 37.2
 *   rpc_server_duration_milliseconds_count{rpc_system="grpc",rpc_service="tutorial.v1.UserService",rpc_method="GetUser"} 3
 *
 * ("..." stands for the three labels written out in full: every sample line
 * carries all of its labels.)
 * [/text-example]
 */
#ifndef STEP07_METRICS_H
#define STEP07_METRICS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <cgrpc.h>

/* The histogram's upper bounds in milliseconds: OpenTelemetry's default
 * bucket boundaries. */
#define METRICS_N_BOUNDS 15
extern const double metrics_bounds_ms[METRICS_N_BOUNDS];

#define METRICS_N_CODES 17 /* GRPC_STATUS_OK (0) .. UNAUTHENTICATED (16) */
#define METRICS_MAX_METHODS 64
#define METRICS_PATH_MAX 160 /* longest method path + 1 */

/* [metrics-types] */
/* What the registry knows about one method. */
typedef struct metrics_method {
    char path[METRICS_PATH_MAX];     /* "/tutorial.v1.MyService/UnaryCall" */
    uint64_t calls[METRICS_N_CODES]; /* calls that ended with each code */
    /* bucket[i]: calls that took at most metrics_bounds_ms[i] and more than
     * the bound before it; bucket[METRICS_N_BOUNDS]: longer than the last
     * bound. Not cumulative: metrics_render adds them up. */
    uint64_t bucket[METRICS_N_BOUNDS + 1];
    uint64_t count; /* calls in total */
    double sum_ms;  /* their durations added up */
} metrics_method;

typedef struct metrics_registry {
    pthread_mutex_t mu; /* guards everything below */
    size_t n;           /* methods[0..n) are in use, in order of first call */
    metrics_method methods[METRICS_MAX_METHODS];
    uint64_t dropped; /* calls not recorded: table full or path too long */
} metrics_registry;
/* [/metrics-types] */

/* ---- given, in given/metrics_given.c --------------------------------- */

/* Given. An empty registry / releases it. */
void metrics_init(metrics_registry *r);
void metrics_destroy(metrics_registry *r);

/* Given. Splits "/pkg.Service/Method" into its service and method parts,
 * copied into service[service_cap] and method[method_cap]. False when the
 * path does not have that shape or a part does not fit. */
bool metrics_split_path(const char *path, char *service, size_t service_cap,
                        char *method, size_t method_cap);

/* Given. A growing string for metrics_render: tb_printf appends printf-style
 * text to tb->data, a malloc'd NUL-terminated string (start from
 * `textbuf tb = {0};`; the caller of metrics_render frees tb.data). */
typedef struct textbuf {
    char *data;
    size_t len, cap;
} textbuf;

void tb_printf(textbuf *tb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- exercise 5 ------------------------------------------------------ */

/* Records one finished call: its method path, status code and duration.
 * Finds the method's entry or adds it (when full, or when the path does not
 * fit, counts the call in `dropped` instead); counts the call under its code
 * (a code outside 0..16 counts as UNKNOWN, 2), puts the duration in its
 * bucket (a duration exactly on a bound belongs to that bound's bucket:
 * "le" means "less than or equal"), and adds it to count and sum_ms.
 * Thread-safe. */
void metrics_record(metrics_registry *r, const char *path,
                    grpc_status_code code, double duration_ms);

/* A server interceptor (user: the registry): times cg_proceed on a
 * monotonic clock, records the call with metrics_record, and returns its
 * status unchanged. */
cg_status metrics_interceptor(cg_ctx *ctx, cg_next *next, void *user);

/* The registry in Prometheus's text format, as shown above: for each
 * family a # HELP and a # TYPE line (always, even with no calls yet), then
 * its samples: a counter line per method and code that has calls, and per
 * method with calls its buckets (cumulative, one per bound plus "+Inf"),
 * _sum and _count. Returns a malloc'd NUL-terminated string the caller
 * frees. Thread-safe. */
char *metrics_render(metrics_registry *r);

#endif
