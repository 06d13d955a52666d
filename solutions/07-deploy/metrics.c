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
    if ((int)code < 0 || (int)code >= METRICS_N_CODES)
        code = GRPC_STATUS_UNKNOWN;
    size_t b = 0;
    while (b < METRICS_N_BOUNDS && duration_ms > metrics_bounds_ms[b])
        b++;

    pthread_mutex_lock(&r->mu);
    metrics_method *m = NULL;
    for (size_t i = 0; i < r->n && m == NULL; i++)
        if (strcmp(r->methods[i].path, path) == 0)
            m = &r->methods[i];
    if (m == NULL && r->n < METRICS_MAX_METHODS &&
        strlen(path) < METRICS_PATH_MAX) {
        m = &r->methods[r->n++];
        strcpy(m->path, path);
    }
    if (m == NULL) {
        r->dropped++;
    } else {
        m->calls[code]++;
        m->bucket[b]++;
        m->count++;
        m->sum_ms += duration_ms;
    }
    pthread_mutex_unlock(&r->mu);
}

/* ---- exercise 5b: the interceptor ------------------------------------ */

static double mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

cg_status metrics_interceptor(cg_ctx *ctx, cg_next *next, void *user)
{
    double start = mono_ms();
    cg_status st = cg_proceed(ctx, next);
    metrics_record(user, cg_ctx_method(ctx)->path, st.code, mono_ms() - start);
    return st;
}

/* ---- exercise 5c: the text format ------------------------------------ */

#define CALLS "rpc_server_calls_total"
#define DURATION "rpc_server_duration_milliseconds"

char *metrics_render(metrics_registry *r)
{
    textbuf tb = {0};
    char service[METRICS_PATH_MAX], method[METRICS_PATH_MAX];
    pthread_mutex_lock(&r->mu);

    tb_printf(&tb, "# HELP " CALLS " Calls the server finished, by method "
                   "and status code.\n# TYPE " CALLS " counter\n");
    for (size_t i = 0; i < r->n; i++) {
        const metrics_method *m = &r->methods[i];
        if (!metrics_split_path(m->path, service, sizeof service, method,
                                sizeof method))
            continue;
        for (int c = 0; c < METRICS_N_CODES; c++)
            if (m->calls[c] > 0)
                tb_printf(
                    &tb,
                    CALLS
                    "{rpc_system=\"grpc\",rpc_service=\"%s\","
                    "rpc_method=\"%s\",rpc_grpc_status_code=\"%d\"} %llu\n",
                    service, method, c, (unsigned long long)m->calls[c]);
    }

    tb_printf(&tb, "# HELP " DURATION " How long the server took to handle a "
                   "call (OpenTelemetry rpc.server.duration).\n"
                   "# TYPE " DURATION " histogram\n");
    for (size_t i = 0; i < r->n; i++) {
        const metrics_method *m = &r->methods[i];
        if (m->count == 0 ||
            !metrics_split_path(m->path, service, sizeof service, method,
                                sizeof method))
            continue;
        uint64_t below = 0;
        for (int b = 0; b <= METRICS_N_BOUNDS; b++) {
            below += m->bucket[b];
            char le[32];
            if (b < METRICS_N_BOUNDS)
                snprintf(le, sizeof le, "%g", metrics_bounds_ms[b]);
            else
                strcpy(le, "+Inf");
            tb_printf(&tb,
                      DURATION
                      "_bucket{rpc_system=\"grpc\","
                      "rpc_service=\"%s\",rpc_method=\"%s\",le=\"%s\"} %llu\n",
                      service, method, le, (unsigned long long)below);
        }
        tb_printf(&tb,
                  DURATION "_sum{rpc_system=\"grpc\",rpc_service=\"%s\","
                           "rpc_method=\"%s\"} %.3f\n",
                  service, method, m->sum_ms);
        tb_printf(&tb,
                  DURATION "_count{rpc_system=\"grpc\",rpc_service=\"%s\","
                           "rpc_method=\"%s\"} %llu\n",
                  service, method, (unsigned long long)m->count);
    }
    pthread_mutex_unlock(&r->mu);
    return tb.data;
}
