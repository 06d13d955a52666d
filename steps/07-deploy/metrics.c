/*
 * metrics.c: exercise 5, a metrics interceptor that counts and times every
 * call, and the text Prometheus reads from GET /metrics (contracts in
 * metrics.h; the registry's setup and tb_printf are given in
 * given/metrics_given.c). Test: `make test` here; suite metrics. Lesson:
 * docs/en/steps/07-deploy.md#exercise-5-metrics
 */
#include "metrics.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- exercise 5a: recording a call ----------------------------------- */

void metrics_record(metrics_registry *r, const char *path,
                    grpc_status_code code, double duration_ms)
{
    (void)r;
    (void)path;
    (void)code;
    (void)duration_ms;
    /* TODO: under r->mu, find or add the method's entry; count the call
     * under its code, in its bucket, in count and in sum_ms */
}

/* ---- exercise 5b: the interceptor ------------------------------------ */

cg_status metrics_interceptor(cg_ctx *ctx, cg_next *next, void *user)
{
    (void)user;
    /* TODO: time cg_proceed (CLOCK_MONOTONIC) and metrics_record the call */
    return cg_proceed(ctx, next);
}

/* ---- exercise 5c: the text format ------------------------------------ */

#define CALLS "rpc_server_calls_total"
#define DURATION "rpc_server_duration_milliseconds"

char *metrics_render(metrics_registry *r)
{
    textbuf tb = {0};
    pthread_mutex_lock(&r->mu);
    tb_printf(&tb, "# HELP " CALLS " Calls the server finished, by method "
                   "and status code.\n# TYPE " CALLS " counter\n");
    /* TODO: a counter line per method and code with calls */
    tb_printf(&tb, "# HELP " DURATION " How long the server took to handle a "
                   "call (OpenTelemetry rpc.server.duration).\n"
                   "# TYPE " DURATION " histogram\n");
    /* TODO: per method with calls: cumulative _bucket lines (le="0" ...
     * le="+Inf"), then _sum and _count */
    pthread_mutex_unlock(&r->mu);
    return tb.data;
}
