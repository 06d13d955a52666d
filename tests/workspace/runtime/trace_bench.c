/*
 * trace_bench.c: what tracing costs a call when no endpoint is set.
 *
 *   build/runtime-tests/plain/trace_bench [calls per round] [rounds]
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

/* Microseconds per call over `calls` unary calls. */
static double round_us(cg_channel *ch, int calls)
{
    Rt__Msg req = rt_msg("0123456789ab", 1);
    double start = now_us();
    for (int i = 0; i < calls; i++) {
        Rt__Msg *resp = NULL;
        cg_status st = cg_unary(ch, rt_m(RT_ECHO), &req, (void **)&resp, NULL);
        if (st.code != GRPC_STATUS_OK) {
            fprintf(stderr, "call failed: %s\n", st.message);
            exit(1);
        }
        rt__msg__free_unpacked(resp, NULL);
    }
    return (now_us() - start) / calls;
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

int main(int argc, char **argv)
{
    int calls = argc > 1 ? atoi(argv[1]) : 2000;
    int rounds = argc > 2 ? atoi(argv[2]) : 10;
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
    round_us(c1, 200); /* connect and warm up both */
    round_us(c2, 200);
    round_us(c3, 200);
    double *a = calloc((size_t)rounds, sizeof *a),
           *b = calloc((size_t)rounds, sizeof *b);
    double *c = calloc((size_t)rounds, sizeof *c);
    for (int r = 0; r < rounds; r++) {
        a[r] = round_us(c1, calls);
        b[r] = round_us(c2, calls);
        c[r] = round_us(c3, calls);
    }
    double ma = median(a, rounds), mb = median(b, rounds),
           mc = median(c, rounds);
    printf("%d rounds of %d unary calls, no endpoint (median per call):\n",
           rounds, calls);
    printf("  without tracing: %.1f us\n  with tracing:    %.1f us (%+.1f%%)\n"
           "  noise floor, a second untraced server: %.1f us (%+.1f%%)\n",
           ma, mb, (mb - ma) / ma * 100, mc, (mc - ma) / ma * 100);
    span_costs();
    free(a);
    free(b);
    free(c);
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
