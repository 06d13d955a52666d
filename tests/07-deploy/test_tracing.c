/*
 * test_tracing.c: exercise 9, the tracing interceptor (tracing.c): the
 * server-error codes, then the spans a real OTLP receiver in this process
 * gets for calls to a traced server (parent, name, kind, attributes,
 * status), the trace id on the call's log line, and the program exporting
 * to OTEL_EXPORTER_OTLP_ENDPOINT.
 */
#define LESSON_PAGE "steps/07-deploy.md"
#define EXERCISE_FILE "tracing.c"
#include "lesson.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "otlp_receiver.h"

#define SECTION "#exercise-9-tracing-a-call"
#define UNARY TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD
#define GET_USER TUTORIAL__V1__USER_SERVICE__GET_USER__METHOD

#define CALLER_TRACE "4bf92f3577b34da6a3ce929d0e0e4736"
#define CALLER_SPAN "00f067aa0ba902b7"
#define CALLER_TP "00-" CALLER_TRACE "-" CALLER_SPAN "-01"

static void test_tracing_server_error_codes(void **state)
{
    (void)state;
    for (int c = GRPC_STATUS_OK; c <= GRPC_STATUS_UNAUTHENTICATED; c++) {
        grpc_status_code code = (grpc_status_code)c;
        bool want =
            code == GRPC_STATUS_UNKNOWN ||
            code == GRPC_STATUS_DEADLINE_EXCEEDED ||
            code == GRPC_STATUS_UNIMPLEMENTED || code == GRPC_STATUS_INTERNAL ||
            code == GRPC_STATUS_UNAVAILABLE || code == GRPC_STATUS_DATA_LOSS;
        bool got = tracing_is_server_error(code);
        expect_true(got == want, "#span-status",
                    "tracing_is_server_error(%s) returned %s, expected %s",
                    cg_status_name(code), got ? "true" : "false",
                    want ? "true" : "false");
    }
}

/* A receiver, a tracer sending to it, and the step's server traced by it
 * (and logging, when log is true). */
typedef struct traced {
    char endpoint[64];
    otlp_receiver *rx;
    cg_tracer *tracer;
    test_server ts;
} traced;

static void traced_start(traced *t, bool log)
{
    memset(t, 0, sizeof *t);
    t->rx = otlp_receiver_start(t->endpoint, sizeof t->endpoint);
    if (t->rx == NULL)
        fail_msg("the test's OTLP receiver did not start");
    cg_tracer_opts o = {.endpoint = t->endpoint, .service_name = "t07"};
    t->tracer = cg_tracer_new(&o, NULL);
    test_server_opts so = {.tracer = t->tracer, .log = log};
    test_server_start(&t->ts, &so);
}

/* Stops the server, sends what is left, and returns how many spans the
 * receiver got (up to n copied into out). */
static size_t traced_stop(traced *t, otlp_span_rec *out, size_t n)
{
    test_server_stop(&t->ts);
    /* Sends what is queued and waits for its Export calls to end: what the
     * receiver has not got by then never comes (the receiver records spans
     * before it answers), so unfinished code fails at once. Only when the
     * flush ran out of time is there a wait (margin for a slow machine). */
    bool flushed = cg_tracer_flush(t->tracer, WAIT_MS);
    cg_tracer_free(t->tracer);
    size_t got = otlp_receiver_wait(t->rx, n, flushed ? 0 : 1000);
    for (size_t i = 0; i < got && i < n; i++)
        otlp_receiver_span(t->rx, i, &out[i]);
    got = otlp_receiver_wait(t->rx, n + 1, 0); /* and not one more */
    otlp_receiver_stop(t->rx);
    return got;
}

/* A call with the given traceparent and tracestate (each may be NULL). */
static cg_status call_with(cg_channel *ch, const cg_method *m, const char *id,
                           const char *tp, const char *ts)
{
    cg_md md[2];
    size_t n = 0;
    if (tp != NULL)
        md[n++] = (cg_md){"traceparent", tp, 0};
    if (ts != NULL)
        md[n++] = (cg_md){"tracestate", ts, 0};
    cg_call_opts o = deadline_ms(WAIT_MS);
    o.metadata = md;
    o.n_metadata = n;
    if (m == GET_USER) {
        Tutorial__V1__GetUserRequest req = TUTORIAL__V1__GET_USER_REQUEST__INIT;
        req.user_id = (char *)id;
        return cg_unary(ch, m, &req, NULL, &o);
    }
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    return cg_unary(ch, m, &req, NULL, &o);
}

static void expect_attr(const otlp_span_rec *s, const char *key,
                        const char *want)
{
    const char *got = otlp_attr_str(s, key);
    expect_true(got != NULL, "#span-attributes",
                "the span has no string attribute %s", key);
    expect_str(got, want, "#span-attributes");
}

static void expect_code_attr(const otlp_span_rec *s, grpc_status_code want)
{
    int64_t got = -1;
    expect_true(otlp_attr_int(s, "rpc.grpc.status_code", &got),
                "#span-attributes",
                "the span has no integer attribute rpc.grpc.status_code");
    expect_int(got, want, "#span-attributes");
}

static void test_tracing_span_child_of_caller(void **state)
{
    (void)state;
    traced t;
    traced_start(&t, false);
    cg_status st =
        call_with(t.ts.ch, UNARY, "a", CALLER_TP, "congo=t61rcWkgMzE");
    otlp_span_rec s;
    size_t n = traced_stop(&t, &s, 1);
    expect_code(st, GRPC_STATUS_OK, SECTION);
    expect_int(n, 1, SECTION);
    expect_str(s.trace_id, CALLER_TRACE, "#the-parent-span");
    expect_str(s.parent_id, CALLER_SPAN, "#the-parent-span");
    expect_str(s.trace_state, "congo=t61rcWkgMzE", "#the-parent-span");
    expect_str(s.name, "tutorial.v1.MyService/UnaryCall", "#span-attributes");
    expect_int(s.kind, CG_SPAN_SERVER, SECTION);
    expect_attr(&s, "rpc.system", "grpc");
    expect_attr(&s, "rpc.service", "tutorial.v1.MyService");
    expect_attr(&s, "rpc.method", "UnaryCall");
    expect_code_attr(&s, GRPC_STATUS_OK);
    expect_int(s.status_code, 0, "#span-status"); /* UNSET */
    expect_true(s.end_ns >= s.start_ns && s.start_ns > 0, SECTION,
                "the span starts at %llu ns and ends at %llu ns",
                (unsigned long long)s.start_ns, (unsigned long long)s.end_ns);
}

static void test_tracing_new_trace_without_parent(void **state)
{
    (void)state;
    static const char *tps[] = {
        NULL,
        "00-" CALLER_TRACE "-" CALLER_SPAN "-1",
        "00-00000000000000000000000000000000-" CALLER_SPAN "-01",
    };
    traced t;
    traced_start(&t, false);
    for (size_t i = 0; i < 3; i++)
        call_with(t.ts.ch, UNARY, "a", tps[i], NULL);
    otlp_span_rec s[3];
    size_t n = traced_stop(&t, s, 3);
    expect_int(n, 3, SECTION);
    for (size_t i = 0; i < 3; i++) {
        expect_true(strcmp(s[i].trace_id, CALLER_TRACE) != 0 &&
                        strlen(s[i].trace_id) == 32 &&
                        s[i].parent_id[0] == '\0',
                    "#the-parent-span",
                    "with the traceparent %s, the span's trace is %s and its "
                    "parent \"%s\": expected a new trace, no parent",
                    tps[i] ? tps[i] : "(none)", s[i].trace_id, s[i].parent_id);
    }
    expect_true(strcmp(s[0].trace_id, s[1].trace_id) != 0, SECTION,
                "two calls without a parent share the trace %s", s[0].trace_id);
}

static void test_tracing_status_of_failed_calls(void **state)
{
    (void)state;
    traced t;
    traced_start(&t, false);
    cg_status internal = call_with(t.ts.ch, GET_USER, "fail", CALLER_TP, NULL);
    cg_status missing = call_with(t.ts.ch, GET_USER, "nobody", CALLER_TP, NULL);
    otlp_span_rec s[2];
    size_t n = traced_stop(&t, s, 2);
    expect_code(internal, GRPC_STATUS_INTERNAL, SECTION);
    expect_code(missing, GRPC_STATUS_NOT_FOUND, SECTION);
    /* The interceptor returns the call's status unchanged, message too. */
    expect_true(strcmp(internal.message, "internal error") == 0, SECTION,
                "the caller got the message \"%s\", expected the handler's "
                "\"internal error\": return the status cg_proceed gave, "
                "unchanged",
                internal.message);
    expect_int(n, 2, SECTION);
    expect_str(s[0].name, "tutorial.v1.UserService/GetUser",
               "#span-attributes");
    expect_attr(&s[0], "rpc.service", "tutorial.v1.UserService");
    expect_attr(&s[0], "rpc.method", "GetUser");
    expect_code_attr(&s[0], GRPC_STATUS_INTERNAL);
    expect_int(s[0].status_code, 2, "#span-status"); /* ERROR */
    expect_str(s[0].status_message, "internal error", "#span-status");
    expect_code_attr(&s[1], GRPC_STATUS_NOT_FOUND);
    expect_int(s[1].status_code, 0, "#span-status"); /* the client's business */
}

/* An interceptor around tracing_interceptor, as a server's own one would
 * be: its span is current when tracing_interceptor starts, and must be
 * current again once it has returned; and one inside, which sees the
 * tracing span current. */
typedef struct around {
    cg_tracer *tracer;
    cg_span *span;
    cg_span *after;         /* the current span once the call was over */
    cg_span_context inside; /* the current span's context inside */
    bool inside_has;
} around;

static cg_status around_interceptor(cg_ctx *ctx, cg_next *next, void *user)
{
    around *a = user;
    cg_span *before = cg_span_swap_current(a->span);
    cg_status st = cg_proceed(ctx, next);
    a->after = cg_span_swap_current(before);
    return st;
}

static cg_status inside_interceptor(cg_ctx *ctx, cg_next *next, void *user)
{
    around *a = user;
    a->inside_has = cg_span_current_context(&a->inside);
    return cg_proceed(ctx, next);
}

static void around_setup(cg_server *srv, void *user)
{
    around *a = user;
    cg_server_add_interceptor(srv, around_interceptor, a);
    cg_server_add_interceptor(srv, tracing_interceptor, a->tracer);
    cg_server_add_interceptor(srv, inside_interceptor, a);
    tutorial__v1__my_service__register_server(srv, &my_service_server, NULL);
}

static void test_tracing_puts_previous_back(void **state)
{
    (void)state;
    cg_tracer_opts o = {.endpoint = "", .service_name = "t07"};
    around a = {.tracer = cg_tracer_new(&o, NULL)};
    a.span = cg_span_start(a.tracer, "around", CG_SPAN_INTERNAL, NULL);
    int port = 0;
    cg_server *srv = cg_test_server_start(around_setup, &a, &port);
    if (srv == NULL)
        fail_msg("could not start a server on 127.0.0.1:0");
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    cg_status st = call_with(ch, UNARY, "a", CALLER_TP, NULL);
    cg_channel_free(ch);
    cg_server_free(srv); /* the handler threads are done: a.after is set */
    bool restored = a.after == a.span;
    bool none = a.after == NULL;
    cg_span_end(a.span);
    cg_tracer_free(a.tracer);
    expect_code(st, GRPC_STATUS_OK, SECTION);
    expect_true(a.inside_has && strcmp(a.inside.trace_id, CALLER_TRACE) == 0,
                "#the-current-span",
                "while the call ran, the current span was %s%s: expected "
                "tracing_interceptor's, in the caller's trace " CALLER_TRACE,
                a.inside_has ? "in the trace " : "none",
                a.inside_has ? a.inside.trace_id : "");
    expect_true(restored, "#the-current-span",
                "an interceptor around tracing_interceptor had its own span "
                "current; after the call the current span was %s: put back "
                "the span cg_span_swap_current returned, after cg_proceed "
                "and before cg_span_end",
                none ? "none" : "another one");
}

/* needs: log_interceptor.c */
static void test_tracing_log_line_has_trace_id(void **state)
{
    (void)state;
    traced t;
    traced_start(&t, true);
    cg_status st = call_with(t.ts.ch, UNARY, "a", CALLER_TP, NULL);
    char *log = test_server_log(&t.ts);
    otlp_span_rec s;
    traced_stop(&t, &s, 1);
    const char *line = strstr(log, "method=/tutorial.v1.MyService/UnaryCall");
    bool has = line != NULL && strstr(line, " trace_id=" CALLER_TRACE) != NULL;
    char shown[512];
    snprintf(shown, sizeof shown, "%s", log);
    free(log);
    expect_code(st, GRPC_STATUS_OK, SECTION);
    expect_true(has, "#the-current-span",
                "the call's log line has no trace_id=" CALLER_TRACE
                " (the span must be current while the call runs):\n    %s",
                shown);
}

/* Ends the program as a cluster does, with SIGTERM, and waits (up to
 * WAIT_MS) for its first span or its exit, whichever comes first; returns
 * how many spans the receiver has then. The program sends a span within
 * its tracer's delay (1 s), or when it ends: app_free frees the tracer,
 * which sends what is left and waits for it. Once the program has exited,
 * a span that has not arrived never comes (the receiver records spans
 * before it answers), so unfinished code fails as soon as the program
 * is gone, not after WAIT_MS. */
static size_t spans_by_exit(program *pg, otlp_receiver *rx)
{
    proc_signal(&pg->p, SIGTERM);
    int64_t until = now_ms() + WAIT_MS;
    size_t n;
    while ((n = otlp_receiver_wait(rx, 1, 0)) == 0 && now_ms() < until)
        if (proc_wait(&pg->p, 50))
            return otlp_receiver_wait(rx, 1, 0);
    return n;
}

/* needs: config.c */
static void test_tracing_program_exports(void **state)
{
    (void)state;
    char ep[64], env_ep[96];
    otlp_receiver *rx = otlp_receiver_start(ep, sizeof ep);
    if (rx == NULL)
        fail_msg("the test's OTLP receiver did not start");
    snprintf(env_ep, sizeof env_ep, "OTEL_EXPORTER_OTLP_ENDPOINT=%s", ep);
    const char *const env[] = {"HOST=127.0.0.1", "PORT=0", "METRICS_PORT=off",
                               env_ep, NULL};
    program pg;
    char why[20000];
    bool up = program_start(&pg, env, NULL, false, why, sizeof why);
    cg_status st = cg_ok();
    if (up) {
        cg_channel *ch = cg_channel_new(pg.target, NULL, NULL);
        st = call_with(ch, UNARY, "a", CALLER_TP, NULL);
        cg_channel_free(ch);
    }
    size_t n = up ? spans_by_exit(&pg, rx) : 0;
    otlp_span_rec s = {0};
    otlp_receiver_span(rx, 0, &s);
    program_end(&pg);
    otlp_receiver_stop(rx);
    expect_true(up, "#running-the-program", "%s", why);
    expect_code(st, GRPC_STATUS_OK, SECTION);
    expect_int(n, 1, "#sending-spans-to-a-collector");
    expect_str(s.service_name, "grpc-server", "#sending-spans-to-a-collector");
    expect_str(s.parent_id, CALLER_SPAN, "#the-parent-span");
    expect_str(s.trace_id, CALLER_TRACE, "#the-parent-span");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tracing_server_error_codes),
        cmocka_unit_test(test_tracing_span_child_of_caller),
        cmocka_unit_test(test_tracing_new_trace_without_parent),
        cmocka_unit_test(test_tracing_status_of_failed_calls),
        cmocka_unit_test(test_tracing_log_line_has_trace_id),
        cmocka_unit_test(test_tracing_puts_previous_back),
        cmocka_unit_test(test_tracing_program_exports),
    };
    return cmocka_run_group_tests(tests, grpc_suite_setup, grpc_suite_teardown);
}
