/*
 * test_helpers.c: the testing helpers a course step uses: a server on a
 * free port in one call, and handlers called directly with an in-memory
 * context and stream (no network), the way the outline's TestUnaryCall
 * calls its handler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_util.h"

static void setup_rt(cg_server *srv, void *user)
{
    rt__test__register_server(srv, &rt_impl, user);
}

static void test_helpers_test_server_start(void **state)
{
    (void)state;
    rt_state st;
    rt_state_init(&st, "helper");
    int port = 0;
    cg_server *srv = cg_test_server_start(setup_rt, &st, &port);
    assert_non_null(srv);
    assert_true(port > 0);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    Rt__Msg req = rt_msg("hi", 2);
    Rt__Msg *resp = NULL;
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_status(cg_unary(ch, rt_m(RT_ECHO), &req, (void **)&resp, &o),
                  GRPC_STATUS_OK);
    assert_string_equal(resp->extra, "helper");
    rt__msg__free_unpacked(resp, NULL);
    cg_channel_free(ch);
    cg_server_free(srv);
    rt_state_destroy(&st);
}

static void test_helpers_unary_handler_direct(void **state)
{
    (void)state;
    rt_state st;
    rt_state_init(&st, "direct");
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_ECHO), &st);
    assert_ptr_equal(cg_ctx_user(ctx), &st);
    assert_ptr_equal(cg_ctx_method(ctx), rt_m(RT_ECHO));
    assert_string_equal(cg_ctx_peer(ctx), "test");
    assert_true(cg_ctx_time_left_ms(ctx) == INT64_MAX);
    assert_false(cg_ctx_cancelled(ctx));
    Rt__Msg req = rt_msg("direct call", 9);
    Rt__Msg *resp = cg_message_new(ctx, &rt__msg__descriptor);
    assert_status(rt_impl.echo(ctx, &req, resp), GRPC_STATUS_OK);
    assert_string_equal(resp->text, "direct call");
    assert_int_equal(resp->num, 9);
    assert_string_equal(resp->extra, "direct");
    /* Errors come back as values too. */
    req.code = GRPC_STATUS_PERMISSION_DENIED;
    cg_status err =
        (rt_impl.fail)(ctx, &req, resp); /* () : cmocka has a fail() macro */
    assert_status(err, GRPC_STATUS_PERMISSION_DENIED);
    assert_string_equal(err.message, "failed: direct call");
    cg_test_ctx_free(ctx);
    cg_test_ctx_free(NULL);
    rt_state_destroy(&st);
}

static void test_helpers_metadata_timeout_cancel(void **state)
{
    (void)state;
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_META), NULL);
    cg_test_ctx_add_metadata(ctx, "x-user", "tester");
    cg_test_ctx_add_metadata(ctx, "x-other", "2");
    Rt__Msg req = RT__MSG__INIT;
    Rt__Msg *resp = cg_message_new(ctx, &rt__msg__descriptor);
    assert_status(rt_impl.meta(ctx, &req, resp), GRPC_STATUS_OK);
    assert_string_equal(resp->text, "tester");
    assert_int_equal(resp->big, 2);
    size_t n;
    const cg_md *all = cg_ctx_metadata_all(ctx, &n);
    assert_int_equal(n, 2);
    assert_string_equal(all[1].key, "x-other");
    assert_null(cg_ctx_metadata(ctx, "absent", NULL));

    cg_test_ctx_set_timeout(ctx, 5000);
    int64_t left = cg_ctx_time_left_ms(ctx);
    assert_true(left > 4000 && left <= 5000);
    assert_false(cg_ctx_cancelled(ctx));
    cg_test_ctx_cancel(ctx);
    assert_true(cg_ctx_cancelled(ctx));
    cg_test_ctx_free(ctx);

    ctx = cg_test_ctx_new(rt_m(RT_SLEEP), NULL);
    cg_test_ctx_set_timeout(ctx, 0); /* already past */
    assert_true(cg_ctx_cancelled(ctx));
    assert_int_equal(cg_ctx_time_left_ms(ctx), 0);
    cg_test_ctx_free(ctx);
}

static void test_helpers_client_streaming_handler(void **state)
{
    (void)state;
    rt_state st;
    rt_state_init(&st, "sum");
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_SUM), &st);
    cg_stream *s = cg_test_stream(ctx);
    assert_ptr_equal(cg_test_stream(ctx), s);
    assert_ptr_equal(cg_stream_ctx(s), ctx);
    for (int i = 1; i <= 4; i++) {
        Rt__Msg m = rt_msg("part", i * 10);
        cg_test_stream_push(s, &m);
    }
    cg_test_stream_close_input(s);
    Rt__Msg *resp = cg_message_new(ctx, &rt__msg__descriptor);
    assert_status(rt_impl.sum(ctx, s, resp), GRPC_STATUS_OK);
    assert_int_equal(resp->num, 4);
    assert_true(resp->big == 100);
    assert_status(cg_stream_error(s), GRPC_STATUS_OK);
    cg_test_ctx_free(ctx);
    rt_state_destroy(&st);
}

static void test_helpers_server_streaming_handler(void **state)
{
    (void)state;
    rt_state st;
    rt_state_init(&st, "count");
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_COUNT), &st);
    cg_stream *s = cg_test_stream(ctx);
    Rt__Msg req = rt_msg("", 5);
    assert_status(rt_impl.count(ctx, &req, s), GRPC_STATUS_OK);
    assert_int_equal(cg_test_stream_sent_count(s), 5);
    for (size_t i = 0; i < 5; i++) {
        const Rt__Msg *m = cg_test_stream_sent(s, i);
        assert_non_null(m);
        assert_int_equal(m->num, (int)i);
    }
    assert_null(cg_test_stream_sent(s, 5));
    /* Headers are fixed once something was sent, as on the network. */
    assert_false(cg_ctx_add_header(ctx, "x-too-late", "v", 0));
    /* The wrong message type is refused. */
    Rt__Other other = RT__OTHER__INIT;
    assert_false(cg_send(s, &other));
    cg_test_ctx_free(ctx);
    rt_state_destroy(&st);
}

static void test_helpers_bidi_handler(void **state)
{
    (void)state;
    rt_state st;
    rt_state_init(&st, "chat");
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_CHAT), &st);
    cg_stream *s = cg_test_stream(ctx);
    Rt__Msg a = rt_msg("one", 1), b = rt_msg("two", 2);
    cg_test_stream_push(s, &a);
    cg_test_stream_push(s, &b);
    cg_test_stream_close_input(s);
    assert_status(rt_impl.chat(ctx, s), GRPC_STATUS_OK);
    assert_int_equal(cg_test_stream_sent_count(s), 2);
    assert_string_equal(((const Rt__Msg *)cg_test_stream_sent(s, 0))->text,
                        "echo: one");
    assert_string_equal(((const Rt__Msg *)cg_test_stream_sent(s, 1))->text,
                        "echo: two");
    cg_test_ctx_free(ctx);
    rt_state_destroy(&st);
}

typedef struct pusher {
    cg_stream *s;
    int n;
} pusher;

static void *push_later(void *arg)
{
    pusher *p = arg;
    for (int i = 0; i < p->n; i++) {
        Rt__Msg m = rt_msg("late", i);
        cg_test_stream_push(p->s, &m);
    }
    cg_test_stream_close_input(p->s);
    return NULL;
}

static void test_helpers_stream_input_from_another_thread(void **state)
{
    (void)state;
    /* cg_recv on a test stream waits for input like a real one. */
    rt_state st;
    rt_state_init(&st, "chat");
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_CHAT), &st);
    cg_stream *s = cg_test_stream(ctx);
    pusher p = {s, 50};
    pthread_t t;
    pthread_create(&t, NULL, push_later, &p);
    assert_status(rt_impl.chat(ctx, s), GRPC_STATUS_OK);
    pthread_join(t, NULL);
    assert_int_equal(cg_test_stream_sent_count(s), 50);
    cg_test_ctx_free(ctx);
    rt_state_destroy(&st);
}

typedef struct counter {
    cg_ctx *ctx;
    int n;
    cg_status st;
} counter;

static void *run_count(void *arg)
{
    counter *c = arg;
    Rt__Msg req = rt_msg("", c->n);
    c->st = rt_impl.count(c->ctx, &req, cg_test_stream(c->ctx));
    return NULL;
}

static void test_helpers_held_sends_wait(void **state)
{
    (void)state;
    rt_state st;
    rt_state_init(&st, "count");
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_COUNT), &st);
    cg_stream *s = cg_test_stream(ctx);
    /* No send yet: nothing is held, and the wait says so when it ends. */
    assert_false(cg_test_stream_wait_held_send(s, 0));
    assert_true(cg_test_stream_hold_sends(s, true));
    assert_false(cg_test_stream_wait_held_send(s, 20));
    counter c = {ctx, 3, {0}};
    pthread_t t;
    pthread_create(&t, NULL, run_count, &c);
    /* The handler's first cg_send waits in the hold: nothing is sent. */
    assert_true(cg_test_stream_wait_held_send(s, RT_WAIT_MS));
    assert_int_equal(cg_test_stream_sent_count(s), 0);
    /* Let go: that send and the later ones go through, in order. */
    assert_true(cg_test_stream_hold_sends(s, false));
    pthread_join(t, NULL);
    assert_status(c.st, GRPC_STATUS_OK);
    assert_int_equal(cg_test_stream_sent_count(s), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(((const Rt__Msg *)cg_test_stream_sent(s, i))->num,
                         (int)i);
    cg_test_ctx_free(ctx);
    rt_state_destroy(&st);
}

static void test_helpers_held_send_fails_on_cancel(void **state)
{
    (void)state;
    rt_state st;
    rt_state_init(&st, "count");
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_COUNT), &st);
    cg_stream *s = cg_test_stream(ctx);
    assert_true(cg_test_stream_hold_sends(s, true));
    counter c = {ctx, 3, {0}};
    pthread_t t;
    pthread_create(&t, NULL, run_count, &c);
    assert_true(cg_test_stream_wait_held_send(s, RT_WAIT_MS));
    /* The client leaves while the send waits: cg_send fails, nothing sent. */
    cg_test_ctx_cancel(ctx);
    pthread_join(t, NULL);
    assert_status(c.st, GRPC_STATUS_CANCELLED);
    assert_int_equal(cg_test_stream_sent_count(s), 0);
    cg_test_ctx_free(ctx);
    rt_state_destroy(&st);
}

static void test_helpers_cancelled_stream(void **state)
{
    (void)state;
    rt_state st;
    rt_state_init(&st, "chat");
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_CHAT), &st);
    cg_stream *s = cg_test_stream(ctx);
    cg_test_ctx_cancel(ctx);
    assert_status(rt_impl.chat(ctx, s), GRPC_STATUS_CANCELLED);
    assert_status(cg_stream_error(s), GRPC_STATUS_CANCELLED);
    assert_int_equal(rt_get(&st, &st.saw_cancel), 1);
    Rt__Msg m = rt_msg("x", 1);
    assert_false(cg_send(s, &m));
    cg_test_ctx_free(ctx);

    ctx = cg_test_ctx_new(rt_m(RT_CHAT), &st);
    s = cg_test_stream(ctx);
    cg_test_ctx_set_timeout(ctx, 0);
    assert_null(cg_recv(s));
    assert_status(cg_stream_error(s), GRPC_STATUS_DEADLINE_EXCEEDED);
    cg_test_ctx_free(ctx);
    rt_state_destroy(&st);
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_helpers_test_server_start),
        cmocka_unit_test(test_helpers_unary_handler_direct),
        cmocka_unit_test(test_helpers_metadata_timeout_cancel),
        cmocka_unit_test(test_helpers_client_streaming_handler),
        cmocka_unit_test(test_helpers_server_streaming_handler),
        cmocka_unit_test(test_helpers_bidi_handler),
        cmocka_unit_test(test_helpers_stream_input_from_another_thread),
        cmocka_unit_test(test_helpers_held_sends_wait),
        cmocka_unit_test(test_helpers_held_send_fails_on_cancel),
        cmocka_unit_test(test_helpers_cancelled_stream),
    };
    return cmocka_run_group_tests_name("helpers", tests, rt_group_setup,
                                       rt_group_teardown);
}
