/*
 * trace_bench.c: what tracing costs a call when no endpoint is set.
 *
 *   build/runtime-tests/plain/trace_bench [calls per round] [rounds] [plain|traced]
 *
 * Two rt.Test servers in this process, one with the tracing server
 * interceptor, one without, and a channel to each (the traced one with the
 * tracing client interceptor); the tracer has no endpoint, as a program
 * run without OTEL_EXPORTER_OTLP_ENDPOINT. Rounds of unary Echo calls
 * alternate between the two, so that both see the same machine load; it
 * prints the median microseconds per call of each and their difference,
 * and, as the noise floor, the same for two untraced servers (a second
 * plain server, no tracing on either side),
 * then the cost of one span (start, three attributes, end) on its own,
 * without an endpoint and with one (a local receiver, the span queued).
 * With plain or traced it makes only those calls and prints nothing: run
 * it under `perf record` or `perf stat` to see where a traced call's time
 * goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "otlp_receiver.h"
#include "rt_util.h"

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double cpu_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* Wall and CPU microseconds per call over `calls` unary calls. The CPU
 * time is the whole process's: client, server and gRPC core's threads
 * (one server works at a time), and it moves much less than the wall time
 * when other work shares the machine. */
typedef struct per_call {
    double wall, cpu;
} per_call;

static per_call round_us(cg_channel *ch, int calls)
{
    Rt__Msg req = rt_msg("0123456789ab", 1);
    double start = now_us(), cpu0 = cpu_us();
    for (int i = 0; i < calls; i++) {
        Rt__Msg *resp = NULL;
        cg_status st = cg_unary(ch, rt_m(RT_ECHO), &req, (void **)&resp, NULL);
        if (st.code != GRPC_STATUS_OK) {
            fprintf(stderr, "call failed: %s\n", st.message);
            exit(1);
        }
        rt__msg__free_unpacked(resp, NULL);
    }
    return (per_call){(now_us() - start) / calls, (cpu_us() - cpu0) / calls};
}

static void setup_plain(cg_server *srv, void *user)
{
    rt__test__register_server(srv, &rt_impl, user);
}

static cg_tracer *bench_tracer;

static void setup_traced(cg_server *srv, void *user)
{
    rt__test__register_server(srv, &rt_impl, user);
    cg_server_add_interceptor(srv, cg_trace_server_interceptor, bench_tracer);
}

static cg_channel *channel_to(int port)
{
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    return cg_channel_new(target, NULL, NULL);
}

/* Nanoseconds per span: start, three attributes, end. */
static double span_ns(cg_tracer *t, int n)
{
    double start = now_us();
    for (int i = 0; i < n; i++) {
        cg_span *s = cg_span_start(t, "rt.Test/Echo", CG_SPAN_SERVER, NULL);
        cg_span_set_str(s, "rpc.system", "grpc");
        cg_span_set_str(s, "rpc.method", "Echo");
        cg_span_set_int(s, "rpc.grpc.status_code", 0);
        cg_span_end(s);
    }
    return (now_us() - start) * 1000 / n;
}

static void span_costs(void)
{
    printf("one span without an endpoint: %.0f ns\n",
           span_ns(bench_tracer, 100000));
    char ep[64];
    otlp_receiver *rx = otlp_receiver_start(ep, sizeof ep);
    cg_tracer_opts o = {.endpoint = ep, .queue_max = 4096};
    cg_tracer *t = cg_tracer_new(&o, NULL);
    double ns = span_ns(t, 4000);
    cg_tracer_flush(t, 10000);
    cg_tracer_stats st = cg_tracer_stats_get(t);
    printf(
        "one span queued for export: %.0f ns (%llu exported, %llu dropped)\n",
        ns, (unsigned long long)st.exported, (unsigned long long)st.dropped);
    cg_tracer_free(t);
    otlp_receiver_stop(rx);
}

/* Rounds of plain (chs[0]), traced (chs[1]) and a second plain (chs[2])
 * calls, printed side by side. */
static void compare(cg_channel *chs[3], int calls, int rounds)
{
    /* Per round: the three channels in a rotated order (so none always
     * runs first), and traced / plain and plain2 / plain as ratios. */
    per_call(*m)[3] = calloc((size_t)rounds, sizeof *m);
    double *rw = calloc((size_t)rounds * 4, sizeof *rw);
    double *rc = rw + rounds, *nw = rw + 2 * rounds, *nc = rw + 3 * rounds;
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 3; k++)
            m[r][(r + k) % 3] = round_us(chs[(r + k) % 3], calls);
        rw[r] = m[r][1].wall / m[r][0].wall;
        rc[r] = m[r][1].cpu / m[r][0].cpu;
        nw[r] = m[r][2].wall / m[r][0].wall;
        nc[r] = m[r][2].cpu / m[r][0].cpu;
    }
    double w[3], c[3], v[64];
    for (int k = 0; k < 3; k++) {
        int n = rounds < 64 ? rounds : 64;
        for (int r = 0; r < n; r++)
            v[r] = m[r][k].wall;
        w[k] = median(v, n);
        for (int r = 0; r < n; r++)
            v[r] = m[r][k].cpu;
        c[k] = median(v, n);
    }
    printf("%d rounds of %d unary calls, no endpoint (medians; ratios are "
           "medians of per-round ratios):\n",
           rounds, calls);
    printf(
        "                                  wall us/call       CPU us/call\n");
    printf("  without tracing:                %8.1f           %8.1f\n", w[0],
           c[0]);
    printf("  with tracing (both sides):      %8.1f (%+5.1f%%)  %8.1f "
           "(%+5.1f%%)\n",
           w[1], (median(rw, rounds) - 1) * 100, c[1],
           (median(rc, rounds) - 1) * 100);
    printf("  noise floor, a second untraced: %8.1f (%+5.1f%%)  %8.1f "
           "(%+5.1f%%)\n",
           w[2], (median(nw, rounds) - 1) * 100, c[2],
           (median(nc, rounds) - 1) * 100);
    free(m);
    free(rw);
}

int main(int argc, char **argv)
{
    int calls = argc > 1 ? atoi(argv[1]) : 2000;
    int rounds = argc > 2 ? atoi(argv[2]) : 10;
    if (calls < 1 || rounds < 1 || rounds > 64) {
        fprintf(stderr, "usage: trace_bench [calls >= 1] [rounds 1..64] "
                        "[plain|traced]\n");
        return 2;
    }
    /* A third argument, plain or traced: only those calls, nothing printed
     * (for `perf stat -e instructions`, which the machine's load does not
     * change). */
    const char *only = argc > 3 ? argv[3] : NULL;
    unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    bench_tracer = cg_tracer_new(NULL, NULL);
    rt_state st;
    rt_state_init(&st, "bench");
    int p1 = 0, p2 = 0;
    int p3 = 0;
    cg_server *plain = cg_test_server_start(setup_plain, &st, &p1);
    cg_server *traced = cg_test_server_start(setup_traced, &st, &p2);
    cg_server *plain2 = cg_test_server_start(setup_plain, &st, &p3);
    cg_channel *c1 = channel_to(p1), *c2 = channel_to(p2), *c3 = channel_to(p3);
    cg_client_interceptor ic = cg_trace_client_interceptor(bench_tracer);
    cg_channel_add_interceptor(c2, &ic);
    round_us(c1, 200); /* connect and warm up all three */
    round_us(c2, 200);
    round_us(c3, 200);
    if (only != NULL) {
        for (int r = 0; r < rounds; r++)
            round_us(strcmp(only, "traced") == 0 ? c2 : c1, calls);
    } else {
        cg_channel *chs[3] = {c1, c2, c3};
        compare(chs, calls, rounds);
        span_costs();
    }
    cg_channel_free(c3);
    cg_server_free(plain2);
    cg_channel_free(c1);
    cg_channel_free(c2);
    cg_server_free(plain);
    cg_server_free(traced);
    cg_tracer_free(bench_tracer);
    rt_state_destroy(&st);
    return 0;
}
