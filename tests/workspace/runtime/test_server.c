/*
 * test_server.c: what a server refuses before it serves: options that make
 * no sense, services that cannot be registered (all or nothing), a
 * shutdown asked for before start; and what a handler may not do.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_util.h"
#include "server.h" /* the thread counts the options gave */

/* cg_server_new(opts) must fail and say `want` (a part of its message). */
static void expect_refused(const cg_server_opts *o, const char *want)
{
    rt_capture cap;
    char said[1024];
    rt_capture_begin(&cap);
    cg_server *srv = cg_server_new(o);
    rt_capture_end(&cap, said, sizeof said);
    if (srv != NULL) {
        cg_server_free(srv);
        fail_msg("cg_server_new accepted options it should refuse (%s)", want);
    }
    if (strstr(said, "cgrpc: cg_server_new: ") == NULL ||
        strstr(said, want) == NULL)
        fail_msg("stderr said \"%s\", wanted a message about \"%s\"", said,
                 want);
}

static void test_server_new_refuses_bad_options(void **state)
{
    (void)state;
    cg_server_opts o;
    o = (cg_server_opts){.min_threads = -1};
    expect_refused(&o, "cannot be negative");
    o = (cg_server_opts){.max_threads = 1};
    expect_refused(&o, "max_threads is 1");
    o = (cg_server_opts){.min_threads = 4, .max_threads = 2};
    expect_refused(&o, "min_threads (4) is larger than max_threads (2)");
    o = (cg_server_opts){.max_recv_bytes = (size_t)INT32_MAX + 1};
    expect_refused(&o, "2147483647");
    o = (cg_server_opts){.keepalive_ms = -5};
    expect_refused(&o, "keepalive_ms");
    o = (cg_server_opts){.max_ping_strikes = -2};
    expect_refused(&o, "max_ping_strikes");
}

static void test_server_new_accepts_edge_options(void **state)
{
    (void)state;
    /* max_threads 2 with the default minimum (one per CPU, maybe more
     * than 2): the minimum gives way. No limit on ping strikes: -1. */
    cg_server_opts o = {
        .max_threads = 2, .max_ping_strikes = -1, .max_recv_bytes = INT32_MAX};
    rt_capture cap;
    char said[256];
    rt_capture_begin(&cap);
    cg_server *srv = cg_server_new(&o);
    rt_capture_end(&cap, said, sizeof said);
    assert_non_null(srv);
    assert_string_equal(said, "");
    assert_int_equal(cg_server_start(srv), 0);
    assert_int_equal(srv->max_threads, 2);
    assert_true(srv->min_threads >= 1 && srv->min_threads <= 2);
    cg_server_free(srv);
}

/* A service whose third method repeats the first: the core would take the
 * first two and refuse the third. */
static const cg_method half_methods[] = {
    {"/half.Svc/A", "A", CG_UNARY, &rt__msg__descriptor, &rt__msg__descriptor,
     NULL},
    {"/half.Svc/B", "B", CG_UNARY, &rt__msg__descriptor, &rt__msg__descriptor,
     NULL},
    {"/half.Svc/A", "A", CG_UNARY, &rt__msg__descriptor, &rt__msg__descriptor,
     NULL},
};

/* Serves /half.Svc/A and /B with rt.Test's Echo. */
static cg_method fixed_methods[2];
static const cg_service half = {"half.Svc", 3, half_methods, 0, NULL};
static const cg_service fixed = {"half.Svc", 2, fixed_methods, 0, NULL};

static int register_half(cg_server *srv, const cg_service *svc, char *said,
                         size_t n, rt_state *user)
{
    rt_capture cap;
    rt_capture_begin(&cap);
    int rc = cg_server_add_service(srv, svc, &rt_impl, user);
    rt_capture_end(&cap, said, n);
    return rc;
}

static grpc_status_code call_a(int port)
{
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    Rt__Msg req = rt_msg("a", 1);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_status st = cg_unary(ch, &fixed_methods[0], &req, NULL, &o);
    cg_channel_free(ch);
    return st.code;
}

static void test_server_add_service_all_or_nothing(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        fixed_methods[i] = half_methods[i];
        fixed_methods[i].invoke = rt__test__methods[RT_ECHO].invoke;
    }
    rt_state st;
    rt_state_init(&st, "half");
    char said[512];

    /* Refused: nothing of it is served, the other service is. */
    cg_server *srv = cg_server_new(NULL);
    int port = cg_server_listen(srv, "127.0.0.1:0", NULL, NULL);
    assert_true(port > 0);
    assert_int_equal(register_half(srv, &half, said, sizeof said, &st), -1);
    if (strstr(said, "cannot register half.Svc: method /half.Svc/A is "
                     "already registered") == NULL)
        fail_msg("stderr said \"%s\"", said);
    assert_int_equal(rt__test__register_server(srv, &rt_impl, &st), 0);
    assert_int_equal(cg_server_start(srv), 0);
    assert_int_equal(call_a(port), GRPC_STATUS_UNIMPLEMENTED);
    cg_server_free(srv);

    /* After a refusal the corrected service registers and serves. */
    srv = cg_server_new(NULL);
    port = cg_server_listen(srv, "127.0.0.1:0", NULL, NULL);
    assert_int_equal(register_half(srv, &half, said, sizeof said, &st), -1);
    assert_int_equal(register_half(srv, &fixed, said, sizeof said, &st), 0);
    assert_int_equal(cg_server_start(srv), 0);
    assert_int_equal(call_a(port), GRPC_STATUS_OK);
    cg_server_free(srv);
    rt_state_destroy(&st);
}

static void test_server_add_service_checks_methods(void **state)
{
    (void)state;
    static const cg_method bad_path[] = {{"half.Svc/A", "A", CG_UNARY,
                                          &rt__msg__descriptor,
                                          &rt__msg__descriptor, NULL}};
    static const cg_method no_type[] = {
        {"/half.Svc/A", "A", CG_UNARY, NULL, &rt__msg__descriptor, NULL}};
    static const cg_service s1 = {"s1", 1, bad_path, 0, NULL};
    static const cg_service s2 = {"s2", 1, no_type, 0, NULL};
    static const cg_service s3 = {"s3", 2, NULL, 0, NULL};
    char said[512];
    rt_state st;
    rt_state_init(&st, "checks");
    cg_server *srv = cg_server_new(NULL);
    assert_int_equal(register_half(srv, &s1, said, sizeof said, &st), -1);
    assert_non_null(strstr(said, "\"/package.Service/Method\""));
    assert_int_equal(register_half(srv, &s2, said, sizeof said, &st), -1);
    assert_non_null(strstr(said, "no message types"));
    assert_int_equal(register_half(srv, &s3, said, sizeof said, &st), -1);
    assert_non_null(strstr(said, "method table is NULL"));
    assert_int_equal(register_half(srv, NULL, said, sizeof said, &st), -1);
    assert_int_equal(cg_server_start(srv), 0);
    assert_int_equal(register_half(srv, &fixed, said, sizeof said, &st), -1);
    assert_non_null(strstr(said, "before cg_server_start"));
    cg_server_free(srv);
    rt_state_destroy(&st);
}

static void test_server_shutdown_async_before_start(void **state)
{
    (void)state;
    /* A Ctrl-C while main is still setting up: the server never serves. */
    cg_server *srv = cg_server_new(NULL);
    int port = cg_server_listen(srv, "127.0.0.1:0", NULL, NULL);
    assert_true(port > 0);
    cg_server_shutdown_async(srv, 1000);
    assert_int_equal(cg_server_start(srv), -1);
    cg_server_wait(srv); /* returns: the shutdown has been carried out */
    cg_status err;
    assert_int_equal(cg_server_listen(srv, "127.0.0.1:0", NULL, &err), -1);
    assert_status(err, GRPC_STATUS_FAILED_PRECONDITION);
    assert_int_equal(cg_server_run_until_signal(srv, 0), 0);
    cg_server_free(srv);
}

/* A client-streaming handler that tries to send: its one response is
 * `resp`, a cg_send would put a second message on the wire. Atomic: the
 * handler's thread writes it and the test reads it after the call, ordered
 * only through a socket, which TSan cannot see (as recv_result below). */
static _Atomic int stray_send_result = -1;

static cg_status sum_that_sends(cg_ctx *ctx, cg_stream *stream, Rt__Msg *resp)
{
    (void)ctx;
    while (cg_recv(stream) != NULL)
        ;
    Rt__Msg extra = rt_msg("extra", 1);
    stray_send_result = cg_send(stream, &extra);
    resp->text = "response";
    return cg_ok();
}

static void test_server_send_on_client_streaming_refused(void **state)
{
    (void)state;
    static const Rt__Test_Server impl = {.sum = sum_that_sends};
    cg_server *srv = cg_server_new(NULL);
    int port = cg_server_listen(srv, "127.0.0.1:0", NULL, NULL);
    assert_int_equal(rt__test__register_server(srv, &impl, NULL), 0);
    assert_int_equal(cg_server_start(srv), 0);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_call *c = cg_call_start(ch, rt_m(RT_SUM), &o);
    Rt__Msg m = rt_msg("x", 1);
    assert_true(cg_call_send(c, &m));
    assert_true(cg_call_close_send(c));
    assert_null(cg_call_recv(c)); /* neither the stray nor the response */
    cg_status st = cg_call_finish(c);
    assert_status(st, GRPC_STATUS_INTERNAL);
    assert_non_null(strstr(st.message, "client-streaming"));
    assert_int_equal(stray_send_result, 0);
    /* The same in a test context. */
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_SUM), NULL);
    cg_stream *s = cg_test_stream(ctx);
    cg_test_stream_close_input(s);
    Rt__Msg *resp = cg_message_new(ctx, &rt__msg__descriptor);
    stray_send_result = -1;
    assert_status(sum_that_sends(ctx, s, resp), GRPC_STATUS_OK);
    assert_int_equal(stray_send_result, 0);
    assert_int_equal(cg_test_stream_sent_count(s), 0);
    cg_test_ctx_free(ctx);
    cg_channel_free(ch);
    cg_server_free(srv);
}

/* A server-streaming handler that also tries to receive. Atomics: the
 * handler's thread writes them and the test reads them after the call; the
 * order between the two runs through a socket, which TSan cannot see. */
static _Atomic int recv_result = -1;
static _Atomic int recv_error = GRPC_STATUS_UNKNOWN;

static cg_status count_that_receives(cg_ctx *ctx, const Rt__Msg *req,
                                     cg_stream *stream)
{
    (void)ctx;
    atomic_store(&recv_result, cg_recv(stream) != NULL);
    atomic_store(&recv_error, (int)cg_stream_error(stream).code);
    Rt__Msg out = rt_msg(req->text, req->num);
    cg_send(stream, &out);
    return cg_ok();
}

static void test_server_recv_on_server_streaming_ends_at_once(void **state)
{
    (void)state;
    static const Rt__Test_Server impl = {.count = count_that_receives};
    cg_server *srv = cg_server_new(NULL);
    int port = cg_server_listen(srv, "127.0.0.1:0", NULL, NULL);
    assert_int_equal(rt__test__register_server(srv, &impl, NULL), 0);
    assert_int_equal(cg_server_start(srv), 0);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_call *c = cg_call_start(ch, rt_m(RT_COUNT), &o);
    Rt__Msg m = rt_msg("only", 3);
    assert_true(cg_call_send(c, &m));
    assert_true(cg_call_close_send(c));
    const Rt__Msg *r = cg_call_recv(c);
    assert_non_null(r);
    assert_string_equal(r->text, "only");
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
    assert_int_equal(atomic_load(&recv_result), 0);
    assert_int_equal(atomic_load(&recv_error), GRPC_STATUS_OK);
    cg_channel_free(ch);
    cg_server_free(srv);
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_new_refuses_bad_options),
        cmocka_unit_test(test_server_new_accepts_edge_options),
        cmocka_unit_test(test_server_add_service_all_or_nothing),
        cmocka_unit_test(test_server_add_service_checks_methods),
        cmocka_unit_test(test_server_shutdown_async_before_start),
        cmocka_unit_test(test_server_send_on_client_streaming_refused),
        cmocka_unit_test(test_server_recv_on_server_streaming_ends_at_once),
    };
    return cmocka_run_group_tests_name("server", tests, rt_group_setup,
                                       rt_group_teardown);
}
