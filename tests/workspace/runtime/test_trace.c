/*
 * test_trace.c: tracing. W3C traceparent parsing (strict) and formatting;
 * the server and client interceptors' spans as a real OTLP receiver
 * (tests/common/otlp_receiver.c) gets them: one per call and side, the
 * right parent, name, kind, attributes and status; the current span inside
 * a handler; the bounded queue and its drop count; the endpoint from the
 * environment, and no endpoint: nothing sent.
 */
#include <stdlib.h>
#include <string.h>

#include "otlp_receiver.h"
#include "rt_util.h"

#define CALLER_TRACE "4bf92f3577b34da6a3ce929d0e0e4736"
#define CALLER_SPAN "00f067aa0ba902b7"
#define CALLER_TP "00-" CALLER_TRACE "-" CALLER_SPAN "-01"

/* ---- traceparent ------------------------------------------------------ */

static void test_traceparent_valid(void **state)
{
    (void)state;
    cg_span_context sc;
    assert_true(cg_traceparent_parse(CALLER_TP, "congo=t61rcWkgMzE", &sc));
    assert_string_equal(sc.trace_id, CALLER_TRACE);
    assert_string_equal(sc.span_id, CALLER_SPAN);
    assert_int_equal(sc.flags, 1);
    assert_string_equal(sc.tracestate, "congo=t61rcWkgMzE");
    char buf[CG_TRACEPARENT_SIZE];
    assert_true(cg_traceparent_format(&sc, buf, sizeof buf));
    assert_string_equal(buf, CALLER_TP);
    assert_false(cg_traceparent_format(&sc, buf, sizeof buf - 1));
    /* Not sampled. */
    assert_true(cg_traceparent_parse("00-" CALLER_TRACE "-" CALLER_SPAN "-00",
                                     NULL, &sc));
    assert_int_equal(sc.flags, 0);
    assert_string_equal(sc.tracestate, "");
    /* A later version may carry more fields after the flags. */
    assert_true(cg_traceparent_parse("cc-" CALLER_TRACE "-" CALLER_SPAN
                                     "-01-what-the-future-holds",
                                     NULL, &sc));
    assert_string_equal(sc.span_id, CALLER_SPAN);
}

static void test_traceparent_malformed(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "00-" CALLER_TRACE "-" CALLER_SPAN "-1",        /* short flags */
        "00-" CALLER_TRACE "-" CALLER_SPAN "-01-extra", /* 00 + extra */
        "00-" CALLER_TRACE "-" CALLER_SPAN "-01 ",
        "ff-" CALLER_TRACE "-" CALLER_SPAN "-01", /* version ff */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-" CALLER_SPAN "-01", /* upper */
        "00-00000000000000000000000000000000-" CALLER_SPAN "-01",
        "00-" CALLER_TRACE "-0000000000000000-01",
        "00-" CALLER_TRACE "x" CALLER_SPAN "-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-" CALLER_SPAN "-01", /* 31 */
        "00_" CALLER_TRACE "-" CALLER_SPAN "-01",
        "0g-" CALLER_TRACE "-" CALLER_SPAN "-01",
        "cc-" CALLER_TRACE "-" CALLER_SPAN "-01x", /* no '-' after */
        "00-" CALLER_TRACE "-" CALLER_SPAN "-0z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cg_span_context sc;
        memset(&sc, 'x', sizeof sc);
        if (cg_traceparent_parse(bad[i], "k=v", &sc))
            fail_msg("accepted the malformed traceparent \"%s\"", bad[i]);
        if (sc.trace_id[0] != '\0' || sc.tracestate[0] != '\0')
            fail_msg("\"%s\": *out not zeroed", bad[i]);
    }
}

/* ---- a traced server and its receiver ---------------------------------- */

typedef struct traced {
    char endpoint[64];
    otlp_receiver *rx;
    cg_tracer *tracer;
    rt_state st;
    cg_server *srv;
    cg_channel *ch;
    cg_span_context seen; /* the current span, as a handler's thread has it */
    bool seen_any;
} traced;

/* Inside the tracing interceptor: records the thread's current span. */
static cg_status peek_current(cg_ctx *ctx, cg_next *next, void *user)
{
    traced *t = user;
    pthread_mutex_lock(&t->st.mu);
    t->seen_any = cg_span_current_context(&t->seen);
    pthread_mutex_unlock(&t->st.mu);
    return cg_proceed(ctx, next);
}

static cg_tracer *tracer_to(const char *endpoint, size_t queue, size_t batch)
{
    cg_tracer_opts o = {.endpoint = endpoint,
                        .service_name = "rt-test",
                        .queue_max = queue,
                        .batch_max = batch,
                        .shutdown_ms = 5000};
    cg_status err = cg_ok();
    cg_tracer *t = cg_tracer_new(&o, &err);
    if (t == NULL)
        fail_msg("cg_tracer_new: %s", err.message);
    return t;
}

/* A receiver, a tracer sending to it, and a server traced by it; the
 * channel is traced too when client_side. */
static void traced_start(traced *t, bool client_side)
{
    memset(t, 0, sizeof *t);
    t->rx = otlp_receiver_start(t->endpoint, sizeof t->endpoint);
    assert_non_null(t->rx);
    t->tracer = tracer_to(t->endpoint, 0, 0);
    rt_state_init(&t->st, "traced");
    t->srv = cg_server_new(NULL);
    int port = cg_server_listen(t->srv, "127.0.0.1:0", NULL, NULL);
    assert_true(port > 0);
    rt__test__register_server(t->srv, &rt_impl, &t->st);
    cg_server_add_interceptor(t->srv, cg_trace_server_interceptor, t->tracer);
    cg_server_add_interceptor(t->srv, peek_current, t);
    assert_int_equal(cg_server_start(t->srv), 0);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    t->ch = cg_channel_new(target, NULL, NULL);
    if (client_side) {
        cg_client_interceptor ic = cg_trace_client_interceptor(t->tracer);
        cg_channel_add_interceptor(t->ch, &ic);
    }
}

static void traced_stop(traced *t)
{
    cg_channel_free(t->ch);
    cg_server_free(t->srv);
    cg_tracer_free(t->tracer);
    otlp_receiver_stop(t->rx);
    rt_state_destroy(&t->st);
}

/* Waits for exactly n spans (flushing first) and copies them out. */
static void expect_spans(traced *t, otlp_span_rec *out, size_t n)
{
    assert_true(cg_tracer_flush(t->tracer, RT_WAIT_MS));
    size_t got = otlp_receiver_wait(t->rx, n, RT_WAIT_MS);
    if (got != n)
        fail_msg("the receiver got %zu spans, wanted %zu", got, n);
    for (size_t i = 0; i < n; i++)
        assert_true(otlp_receiver_span(t->rx, i, &out[i]));
}

static void assert_attrs(const otlp_span_rec *s, const char *method, int code)
{
    const char *v = otlp_attr_str(s, "rpc.system");
    assert_non_null(v);
    assert_string_equal(v, "grpc");
    v = otlp_attr_str(s, "rpc.service");
    assert_non_null(v);
    assert_string_equal(v, "rt.Test");
    v = otlp_attr_str(s, "rpc.method");
    assert_non_null(v);
    assert_string_equal(v, method);
    int64_t got = -1;
    assert_true(otlp_attr_int(s, "rpc.grpc.status_code", &got));
    assert_int_equal(got, code);
}

static cg_status echo_with(cg_channel *ch, const char *traceparent,
                           const char *tracestate)
{
    cg_md md[2] = {{"traceparent", traceparent, 0},
                   {"tracestate", tracestate, 0}};
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    o.metadata = md;
    o.n_metadata = traceparent == NULL ? 0 : tracestate == NULL ? 1 : 2;
    Rt__Msg req = rt_msg("hi", 1);
    return cg_unary(ch, rt_m(RT_ECHO), &req, NULL, &o);
}

static void test_server_span_child_of_caller(void **state)
{
    (void)state;
    traced t;
    traced_start(&t, false);
    uint64_t before = (uint64_t)time(NULL) * 1000000000u;
    assert_status(echo_with(t.ch, CALLER_TP, "rojo=00f067aa0ba902b7"),
                  GRPC_STATUS_OK);
    otlp_span_rec s;
    expect_spans(&t, &s, 1);
    assert_string_equal(s.trace_id, CALLER_TRACE);
    assert_string_equal(s.parent_id, CALLER_SPAN);
    assert_int_equal(strlen(s.span_id), 16);
    assert_string_not_equal(s.span_id, CALLER_SPAN);
    assert_string_equal(s.trace_state, "rojo=00f067aa0ba902b7");
    assert_string_equal(s.name, "rt.Test/Echo");
    assert_string_equal(s.service_name, "rt-test");
    assert_int_equal(s.kind, CG_SPAN_SERVER);
    assert_int_equal(s.flags & 0xff, 1);
    assert_int_equal(s.status_code, 0); /* UNSET: OK is not an error */
    assert_attrs(&s, "Echo", GRPC_STATUS_OK);
    assert_true(s.start_ns >= before);
    assert_true(s.end_ns >= s.start_ns);
    /* The handler's thread had the server span as its current span. */
    pthread_mutex_lock(&t.st.mu);
    assert_true(t.seen_any);
    assert_string_equal(t.seen.trace_id, CALLER_TRACE);
    assert_string_equal(t.seen.span_id, s.span_id);
    pthread_mutex_unlock(&t.st.mu);
    cg_span_context none;
    assert_false(cg_span_current_context(&none)); /* not on this thread */
    traced_stop(&t);
}

static cg_status fail_with(cg_channel *ch, grpc_status_code code)
{
    Rt__Msg req = rt_msg("boom", 1);
    req.code = code;
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    return cg_unary(ch, rt_m(RT_FAIL), &req, NULL, &o);
}

/* Server spans are errors only for the server's own failures. */
static void test_server_span_status(void **state)
{
    (void)state;
    static const struct {
        grpc_status_code code;
        int otlp_status;
    } cases[] = {
        {GRPC_STATUS_NOT_FOUND, 0},     {GRPC_STATUS_INVALID_ARGUMENT, 0},
        {GRPC_STATUS_CANCELLED, 0},     {GRPC_STATUS_UNAUTHENTICATED, 0},
        {GRPC_STATUS_UNKNOWN, 2},       {GRPC_STATUS_DEADLINE_EXCEEDED, 2},
        {GRPC_STATUS_UNIMPLEMENTED, 2}, {GRPC_STATUS_INTERNAL, 2},
        {GRPC_STATUS_UNAVAILABLE, 2},   {GRPC_STATUS_DATA_LOSS, 2},
    };
    size_t n = sizeof cases / sizeof cases[0];
    traced t;
    traced_start(&t, false);
    for (size_t i = 0; i < n; i++)
        assert_status(fail_with(t.ch, cases[i].code), cases[i].code);
    otlp_span_rec s[sizeof cases / sizeof cases[0]];
    expect_spans(&t, s, n);
    for (size_t i = 0; i < n; i++) {
        if (s[i].status_code != cases[i].otlp_status)
            fail_msg("%s: span status %d, wanted %d",
                     cg_status_name(cases[i].code), s[i].status_code,
                     cases[i].otlp_status);
        assert_attrs(&s[i], "Fail", cases[i].code);
        if (cases[i].otlp_status == 2)
            assert_string_equal(s[i].status_message, "failed: boom");
    }
    traced_stop(&t);
}

/* Client and server traced: two spans per call, the server's the child
 * of the client's; the client's an error for any code but OK. */
static void test_client_and_server_spans(void **state)
{
    (void)state;
    traced t;
    traced_start(&t, true);
    assert_status(echo_with(t.ch, NULL, NULL), GRPC_STATUS_OK);
    assert_status(fail_with(t.ch, GRPC_STATUS_NOT_FOUND),
                  GRPC_STATUS_NOT_FOUND);
    otlp_span_rec s[4];
    expect_spans(&t, s, 4);
    for (int call = 0; call < 2; call++) {
        const otlp_span_rec *cl = NULL, *sv = NULL;
        for (int i = 0; i < 4; i++) {
            bool ours = strcmp(s[i].name, call == 0 ? "rt.Test/Echo"
                                                    : "rt.Test/Fail") == 0;
            if (ours && s[i].kind == CG_SPAN_CLIENT)
                cl = &s[i];
            if (ours && s[i].kind == CG_SPAN_SERVER)
                sv = &s[i];
        }
        assert_non_null(cl);
        assert_non_null(sv);
        assert_string_equal(cl->parent_id, ""); /* a new trace */
        assert_string_equal(sv->trace_id, cl->trace_id);
        assert_string_equal(sv->parent_id, cl->span_id);
        assert_true(cl->start_ns <= sv->start_ns && sv->end_ns <= cl->end_ns);
        assert_attrs(cl, call == 0 ? "Echo" : "Fail",
                     call == 0 ? GRPC_STATUS_OK : GRPC_STATUS_NOT_FOUND);
        assert_int_equal(cl->status_code, call == 0 ? 0 : 2);
        assert_int_equal(sv->status_code, 0);
    }
    assert_string_not_equal(s[0].trace_id, s[2].trace_id);
    traced_stop(&t);
}

/* A client span started on a thread with a current span is its child. */
static void test_client_span_child_of_current(void **state)
{
    (void)state;
    traced t;
    traced_start(&t, true);
    cg_span_context parent;
    assert_true(cg_traceparent_parse(CALLER_TP, NULL, &parent));
    cg_span *outer =
        cg_span_start(t.tracer, "outer", CG_SPAN_INTERNAL, &parent);
    assert_null(cg_span_swap_current(outer));
    assert_status(echo_with(t.ch, NULL, NULL), GRPC_STATUS_OK);
    assert_ptr_equal(cg_span_swap_current(NULL), outer);
    char outer_id[17];
    strcpy(outer_id, cg_span_context_of(outer)->span_id);
    cg_span_end(outer);
    otlp_span_rec s[3];
    expect_spans(&t, s, 3);
    const otlp_span_rec *cl = NULL;
    for (int i = 0; i < 3; i++) {
        assert_string_equal(s[i].trace_id, CALLER_TRACE);
        if (s[i].kind == CG_SPAN_CLIENT)
            cl = &s[i];
    }
    assert_non_null(cl);
    assert_string_equal(cl->parent_id, outer_id);
    traced_stop(&t);
}

/* A malformed traceparent starts a new trace; so do two of them. */
static void test_malformed_traceparent_new_trace(void **state)
{
    (void)state;
    static const char *bad[] = {
        "00-" CALLER_TRACE "-" CALLER_SPAN "-1",
        "00-00000000000000000000000000000000-" CALLER_SPAN "-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-" CALLER_SPAN "-01",
        "garbage",
    };
    size_t n = sizeof bad / sizeof bad[0];
    traced t;
    traced_start(&t, false);
    for (size_t i = 0; i < n; i++)
        assert_status(echo_with(t.ch, bad[i], "k=v"), GRPC_STATUS_OK);
    cg_md twice[] = {{"traceparent", CALLER_TP, 0},
                     {"traceparent", CALLER_TP, 0}};
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    o.metadata = twice;
    o.n_metadata = 2;
    Rt__Msg req = rt_msg("hi", 1);
    assert_status(cg_unary(t.ch, rt_m(RT_ECHO), &req, NULL, &o),
                  GRPC_STATUS_OK);
    otlp_span_rec s[5];
    expect_spans(&t, s, n + 1);
    for (size_t i = 0; i < n + 1; i++) {
        if (strcmp(s[i].parent_id, "") != 0 ||
            strcmp(s[i].trace_id, CALLER_TRACE) == 0)
            fail_msg("span %zu joined the caller's malformed trace", i);
        assert_int_equal(strlen(s[i].trace_id), 32);
        assert_string_equal(s[i].trace_state, ""); /* not kept either */
        assert_int_equal(s[i].flags & 1, 1);
    }
    traced_stop(&t);
}

/* A sampled-out trace is passed on but not recorded. */
static void test_not_sampled_not_exported(void **state)
{
    (void)state;
    traced t;
    traced_start(&t, false);
    assert_status(
        echo_with(t.ch, "00-" CALLER_TRACE "-" CALLER_SPAN "-00", NULL),
        GRPC_STATUS_OK);
    assert_status(echo_with(t.ch, CALLER_TP, NULL), GRPC_STATUS_OK);
    otlp_span_rec s;
    expect_spans(&t, &s, 1);
    assert_int_equal(s.flags & 1, 1);
    assert_int_equal(cg_tracer_stats_get(t.tracer).ended, 1);
    traced_stop(&t);
}

/* ---- the queue ------------------------------------------------------- */

static void end_spans(cg_tracer *t, int n)
{
    for (int i = 0; i < n; i++)
        cg_span_end(cg_span_start(t, "queued", CG_SPAN_INTERNAL, NULL));
}

/* With the collector stuck, the queue holds queue_max spans and drops
 * (and counts) the rest; ending a span never waits. */
static void test_queue_bound_and_drops(void **state)
{
    (void)state;
    char ep[64];
    otlp_receiver *rx = otlp_receiver_start(ep, sizeof ep);
    assert_non_null(rx);
    otlp_receiver_hold(rx, true);
    cg_tracer *t = tracer_to(ep, 4, 2);
    end_spans(t, 2); /* a full batch: the thread sends it, and is stuck */
    assert_true(otlp_receiver_wait_calls(rx, 1, RT_WAIT_MS));
    int64_t start = rt_now_ms();
    end_spans(t, 4 + 1000);
    int64_t took = rt_now_ms() - start;
    cg_tracer_stats st = cg_tracer_stats_get(t);
    assert_true(st.exporting);
    assert_int_equal(st.ended, 2 + 4 + 1000);
    assert_int_equal(st.dropped, 1000);
    assert_int_equal(st.exported, 0);
    if (took > 2000)
        fail_msg("ending 1004 spans took %lld ms with the export stuck",
                 (long long)took);
    otlp_receiver_hold(rx, false);
    assert_true(cg_tracer_flush(t, RT_WAIT_MS));
    assert_int_equal(otlp_receiver_wait(rx, 6, RT_WAIT_MS), 6);
    st = cg_tracer_stats_get(t);
    assert_int_equal(st.exported, 6);
    assert_int_equal(st.failed, 0);
    cg_tracer_free(t);
    otlp_receiver_stop(rx);
}

/* cg_tracer_free sends what is queued; with the collector stuck it gives
 * up after shutdown_ms. */
static void test_free_flushes_then_gives_up(void **state)
{
    (void)state;
    char ep[64];
    otlp_receiver *rx = otlp_receiver_start(ep, sizeof ep);
    assert_non_null(rx);
    cg_tracer_opts o = {.endpoint = ep, .delay_ms = 60000};
    cg_tracer *t = cg_tracer_new(&o, NULL);
    end_spans(t, 3);
    cg_tracer_free(t);
    assert_int_equal(otlp_receiver_wait(rx, 3, 0), 3);

    otlp_receiver_hold(rx, true);
    o.shutdown_ms = 300;
    t = cg_tracer_new(&o, NULL);
    end_spans(t, 3);
    int64_t start = rt_now_ms();
    cg_tracer_free(t);
    int64_t took = rt_now_ms() - start;
    if (took < 250 || took > 5000)
        fail_msg("cg_tracer_free took %lld ms (shutdown_ms 300)",
                 (long long)took);
    assert_int_equal(otlp_receiver_wait(rx, 3, 0), 3); /* nothing more */
    otlp_receiver_stop(rx);
}

/* ---- endpoint ------------------------------------------------------------ */

static void test_endpoint_from_environment(void **state)
{
    (void)state;
    char ep[64];
    otlp_receiver *rx = otlp_receiver_start(ep, sizeof ep);
    assert_non_null(rx);
    unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    setenv("OTEL_EXPORTER_OTLP_ENDPOINT", ep, 1);
    setenv("OTEL_SERVICE_NAME", "from-env", 1);
    cg_tracer *t = cg_tracer_new(NULL, NULL);
    unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    unsetenv("OTEL_SERVICE_NAME");
    assert_non_null(t);
    assert_true(cg_tracer_stats_get(t).exporting);
    end_spans(t, 1);
    assert_true(cg_tracer_flush(t, RT_WAIT_MS));
    assert_int_equal(otlp_receiver_wait(rx, 1, RT_WAIT_MS), 1);
    otlp_span_rec s;
    assert_true(otlp_receiver_span(rx, 0, &s));
    assert_string_equal(s.service_name, "from-env");
    assert_string_equal(s.name, "queued");
    assert_int_equal(s.kind, CG_SPAN_INTERNAL);
    cg_tracer_free(t);
    otlp_receiver_stop(rx);
}

/* No endpoint: the trace is still passed on, nothing is kept or sent. */
static void test_no_endpoint_nothing_sent(void **state)
{
    (void)state;
    unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    char ep[64];
    otlp_receiver *rx = otlp_receiver_start(ep, sizeof ep);
    assert_non_null(rx);
    cg_tracer *t = cg_tracer_new(NULL, NULL);
    assert_non_null(t);
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    cg_client_interceptor ic = cg_trace_client_interceptor(t);
    cg_channel_add_interceptor(f.ch, &ic);
    Rt__Msg req = rt_msg("x", 1);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    for (int i = 0; i < 10; i++)
        assert_status(cg_unary(f.ch, rt_m(RT_ECHO), &req, NULL, &o),
                      GRPC_STATUS_OK);
    cg_span *s = cg_span_start(t, "x", CG_SPAN_INTERNAL, NULL);
    assert_int_equal(strlen(cg_span_context_of(s)->trace_id), 32);
    cg_span_end(s);
    assert_true(cg_tracer_flush(t, 0));
    cg_tracer_stats st = cg_tracer_stats_get(t);
    assert_false(st.exporting);
    assert_int_equal(st.ended + st.exported + st.dropped + st.failed, 0);
    rt_fixture_stop(&f);
    cg_tracer_free(t);
    assert_int_equal(otlp_receiver_calls(rx), 0);
    otlp_receiver_stop(rx);
}

/* What the last call brought in its traceparent header ("" for none), and
 * the trace of the span current in its handler's chain ("" for none). */
typedef struct heard {
    pthread_mutex_t mu;
    char traceparent[64];
    char current_trace[33];
    int calls;
} heard;

static cg_status hear_traceparent(cg_ctx *ctx, cg_next *next, void *user)
{
    heard *h = user;
    const char *tp = cg_ctx_metadata(ctx, "traceparent", NULL);
    cg_span_context sc;
    bool traced = cg_span_current_context(&sc);
    pthread_mutex_lock(&h->mu);
    snprintf(h->traceparent, sizeof h->traceparent, "%s", tp ? tp : "");
    snprintf(h->current_trace, sizeof h->current_trace, "%s",
             traced ? sc.trace_id : "");
    h->calls++;
    pthread_mutex_unlock(&h->mu);
    return cg_proceed(ctx, next);
}

/* No endpoint: the client records no span and sends no header of its own,
 * the server starts no trace of its own (a call outside any trace costs
 * nothing); a call made inside a span passes that span's context on, and
 * the server's span joins that trace. */
static void test_no_endpoint_client_passes_on_only(void **state)
{
    (void)state;
    unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    cg_tracer *t = cg_tracer_new(NULL, NULL);
    assert_non_null(t);
    heard h = {.mu = PTHREAD_MUTEX_INITIALIZER};
    rt_state st;
    rt_state_init(&st, "heard");
    cg_server *srv = cg_server_new(NULL);
    int port = cg_server_listen(srv, "127.0.0.1:0", NULL, NULL);
    assert_true(port > 0);
    rt__test__register_server(srv, &rt_impl, &st);
    cg_server_add_interceptor(srv, cg_trace_server_interceptor, t);
    cg_server_add_interceptor(srv, hear_traceparent, &h);
    assert_int_equal(cg_server_start(srv), 0);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    cg_client_interceptor ic = cg_trace_client_interceptor(t);
    cg_channel_add_interceptor(ch, &ic);

    assert_status(echo_with(ch, NULL, NULL), GRPC_STATUS_OK);
    pthread_mutex_lock(&h.mu);
    assert_int_equal(h.calls, 1);
    assert_string_equal(h.traceparent, "");
    assert_string_equal(h.current_trace, "");
    pthread_mutex_unlock(&h.mu);

    cg_span *s = cg_span_start(t, "work", CG_SPAN_INTERNAL, NULL);
    char want[CG_TRACEPARENT_SIZE];
    assert_true(
        cg_traceparent_format(cg_span_context_of(s), want, sizeof want));
    char trace[33];
    snprintf(trace, sizeof trace, "%s", cg_span_context_of(s)->trace_id);
    cg_span *prev = cg_span_swap_current(s);
    assert_status(echo_with(ch, NULL, NULL), GRPC_STATUS_OK);
    cg_span_swap_current(prev);
    cg_span_end(s);
    pthread_mutex_lock(&h.mu);
    assert_int_equal(h.calls, 2);
    assert_string_equal(h.traceparent, want);
    assert_string_equal(h.current_trace, trace);
    pthread_mutex_unlock(&h.mu);

    assert_int_equal(cg_tracer_stats_get(t).ended, 0);
    cg_channel_free(ch);
    cg_server_free(srv);
    cg_tracer_free(t);
    rt_state_destroy(&st);
}

static void test_bad_endpoint(void **state)
{
    (void)state;
    static const char *bad[] = {"ftp://127.0.0.1:4317", "http://", "http:///"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cg_tracer_opts o = {.endpoint = bad[i]};
        cg_status err = cg_ok();
        if (cg_tracer_new(&o, &err) != NULL)
            fail_msg("accepted the endpoint \"%s\"", bad[i]);
        assert_status(err, GRPC_STATUS_INVALID_ARGUMENT);
        assert_non_null(strstr(err.message, bad[i]));
    }
}

/* Span attributes: replaced by key, 16 kept, the rest counted. */
static void test_span_attributes(void **state)
{
    (void)state;
    char ep[64];
    otlp_receiver *rx = otlp_receiver_start(ep, sizeof ep);
    assert_non_null(rx);
    cg_tracer *t = tracer_to(ep, 0, 0);
    cg_span *s = cg_span_start(t, "attrs", CG_SPAN_INTERNAL, NULL);
    assert_true(cg_span_set_str(s, "k", "first"));
    assert_true(cg_span_set_str(s, "k", "second"));
    assert_true(cg_span_set_int(s, "n", 42));
    char key[16];
    int kept = 0;
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "extra.%d", i);
        kept += cg_span_set_int(s, key, i);
    }
    assert_int_equal(kept, 14);
    assert_true(cg_span_set_error(s, NULL));
    cg_span_end(s);
    assert_true(cg_tracer_flush(t, RT_WAIT_MS));
    assert_int_equal(otlp_receiver_wait(rx, 1, RT_WAIT_MS), 1);
    otlp_span_rec r;
    assert_true(otlp_receiver_span(rx, 0, &r));
    assert_int_equal(r.n_attrs, 16);
    assert_string_equal(otlp_attr_str(&r, "k"), "second");
    int64_t v = 0;
    assert_true(otlp_attr_int(&r, "n", &v));
    assert_int_equal(v, 42);
    assert_int_equal(r.status_code, 2);
    assert_string_equal(r.status_message, "");
    cg_tracer_free(t);
    otlp_receiver_stop(rx);
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traceparent_valid),
        cmocka_unit_test(test_traceparent_malformed),
        cmocka_unit_test(test_server_span_child_of_caller),
        cmocka_unit_test(test_server_span_status),
        cmocka_unit_test(test_client_and_server_spans),
        cmocka_unit_test(test_client_span_child_of_current),
        cmocka_unit_test(test_malformed_traceparent_new_trace),
        cmocka_unit_test(test_not_sampled_not_exported),
        cmocka_unit_test(test_queue_bound_and_drops),
        cmocka_unit_test(test_free_flushes_then_gives_up),
        cmocka_unit_test(test_endpoint_from_environment),
        cmocka_unit_test(test_no_endpoint_nothing_sent),
        cmocka_unit_test(test_no_endpoint_client_passes_on_only),
        cmocka_unit_test(test_bad_endpoint),
        cmocka_unit_test(test_span_attributes),
    };
    return cmocka_run_group_tests_name("trace", tests, rt_group_setup,
                                       rt_group_teardown);
}
