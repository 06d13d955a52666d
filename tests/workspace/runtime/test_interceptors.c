/*
 * test_interceptors.c: server interceptors around handlers (order, early
 * return, the outcome seen after cg_proceed) and client interceptors around
 * calls (metadata added at start, status and duration at the end).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_util.h"

/* ---- server side ----------------------------------------------------- */

static cg_status log_a(cg_ctx *ctx, cg_next *next, void *user)
{
    rt_state *st = user;
    rt_state_log(st, "a>");
    cg_status s = cg_proceed(ctx, next);
    rt_state_log(st, "<a");
    return s;
}

static cg_status log_b(cg_ctx *ctx, cg_next *next, void *user)
{
    rt_state *st = user;
    rt_state_log(st, "b>");
    cg_status s = cg_proceed(ctx, next);
    /* What the handler returned, as the interceptor sees it afterwards. */
    const cg_status *seen = cg_ctx_status(ctx);
    char step[64];
    snprintf(step, sizeof step, "<b:%s:%s", cg_ctx_method(ctx)->name,
             seen ? cg_status_name(seen->code) : "none");
    rt_state_log(st, step);
    return s;
}

static cg_status auth(cg_ctx *ctx, cg_next *next, void *user)
{
    (void)user;
    const char *token = cg_ctx_metadata(ctx, "authorization", NULL);
    if (token == NULL || strcmp(token, "Bearer good") != 0)
        return cg_error(ctx, GRPC_STATUS_UNAUTHENTICATED, "bad token");
    return cg_proceed(ctx, next);
}

/* Records whether the request is visible (unary/server-streaming). */
static cg_status peek_request(cg_ctx *ctx, cg_next *next, void *user)
{
    rt_state *st = user;
    const Rt__Msg *req = cg_ctx_request(ctx);
    char step[64];
    snprintf(step, sizeof step, "req:%s", req ? req->text : "(none)");
    rt_state_log(st, step);
    return cg_proceed(ctx, next);
}

typedef struct icpt_server {
    rt_state st;
    cg_server *srv;
    cg_channel *ch;
} icpt_server;

static void start(icpt_server *s, cg_server_interceptor_fn *fns, size_t n)
{
    rt_state_init(&s->st, "icpt");
    s->srv = cg_server_new(NULL);
    int port = cg_server_listen(s->srv, "127.0.0.1:0", NULL, NULL);
    assert_true(port > 0);
    rt__test__register_server(s->srv, &rt_impl, &s->st);
    for (size_t i = 0; i < n; i++)
        cg_server_add_interceptor(s->srv, fns[i], &s->st);
    assert_int_equal(cg_server_start(s->srv), 0);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    s->ch = cg_channel_new(target, NULL, NULL);
}

static void stop(icpt_server *s)
{
    cg_channel_free(s->ch);
    cg_server_free(s->srv);
    rt_state_destroy(&s->st);
}

static const char *log_of(icpt_server *s)
{
    static char copy[512];
    pthread_mutex_lock(&s->st.mu);
    snprintf(copy, sizeof copy, "%s", s->st.log);
    s->st.log[0] = '\0';
    pthread_mutex_unlock(&s->st.mu);
    return copy;
}

static void test_icpt_server_order_and_outcome(void **state)
{
    (void)state;
    icpt_server s;
    cg_server_interceptor_fn fns[] = {log_a, log_b};
    start(&s, fns, 2);
    Rt__Msg req = rt_msg("x", 1);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_status(cg_unary(s.ch, rt_m(RT_ECHO), &req, NULL, &o),
                  GRPC_STATUS_OK);
    assert_string_equal(log_of(&s), "a> b> <b:Echo:OK <a");
    req.code = GRPC_STATUS_NOT_FOUND;
    assert_status(cg_unary(s.ch, rt_m(RT_FAIL), &req, NULL, &o),
                  GRPC_STATUS_NOT_FOUND);
    assert_string_equal(log_of(&s), "a> b> <b:Fail:NOT_FOUND <a");
    /* Streaming handlers are wrapped too. */
    cg_call *c = cg_call_start(s.ch, rt_m(RT_SUM), &o);
    assert_true(cg_call_close_send(c));
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
    assert_string_equal(log_of(&s), "a> b> <b:Sum:OK <a");
    stop(&s);
}

static void test_icpt_server_early_return(void **state)
{
    (void)state;
    icpt_server s;
    cg_server_interceptor_fn fns[] = {log_a, auth, log_b};
    start(&s, fns, 3);
    Rt__Msg req = rt_msg("x", 1);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_status st = cg_unary(s.ch, rt_m(RT_ECHO), &req, NULL, &o);
    assert_status(st, GRPC_STATUS_UNAUTHENTICATED);
    assert_string_equal(st.message, "bad token");
    /* Neither the inner interceptor nor the handler ran. */
    assert_string_equal(log_of(&s), "a> <a");
    assert_int_equal(rt_get(&s.st, &s.st.calls), 0);

    cg_md md[] = {{"authorization", "Bearer good", 0}};
    o.metadata = md;
    o.n_metadata = 1;
    assert_status(cg_unary(s.ch, rt_m(RT_ECHO), &req, NULL, &o),
                  GRPC_STATUS_OK);
    assert_string_equal(log_of(&s), "a> b> <b:Echo:OK <a");
    assert_int_equal(rt_get(&s.st, &s.st.calls), 1);
    stop(&s);
}

static void test_icpt_server_sees_request(void **state)
{
    (void)state;
    icpt_server s;
    cg_server_interceptor_fn fns[] = {peek_request};
    start(&s, fns, 1);
    Rt__Msg req = rt_msg("peeked", 1);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_status(cg_unary(s.ch, rt_m(RT_ECHO), &req, NULL, &o),
                  GRPC_STATUS_OK);
    assert_string_equal(log_of(&s), "req:peeked");
    cg_call *c = cg_call_start(s.ch, rt_m(RT_CHAT), &o);
    assert_true(cg_call_close_send(c));
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
    assert_string_equal(log_of(&s), "req:(none)");
    stop(&s);
}

/* ---- client side ----------------------------------------------------- */

typedef struct client_log {
    char text[256];
    int finishes;
    grpc_status_code last;
    int64_t last_us;
    bool add_failed_outside;
} client_log;

static void append(client_log *l, const char *s)
{
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%s%s", n ? " " : "", s);
}

static void start_1(cg_call *c, const cg_method *m, void *user)
{
    client_log *l = user;
    char step[64];
    snprintf(step, sizeof step, "start1:%s", m->name);
    append(l, step);
    cg_call_add_metadata(c, "x-user", "from-interceptor", 0);
}

static void start_2(cg_call *c, const cg_method *m, void *user)
{
    (void)m;
    append(user, "start2");
    cg_call_add_metadata(c, "x-data-bin", "\x01\x00\x02", 3);
}

static void finish_1(cg_call *c, const cg_method *m, const cg_status *st,
                     int64_t us, void *user)
{
    (void)m;
    client_log *l = user;
    append(l, "finish1");
    l->finishes++;
    l->last = st->code;
    l->last_us = us;
    /* Metadata can only be added at start. */
    l->add_failed_outside = !cg_call_add_metadata(c, "x-late", "v", 0);
}

static void finish_2(cg_call *c, const cg_method *m, const cg_status *st,
                     int64_t us, void *user)
{
    (void)c;
    (void)m;
    (void)st;
    (void)us;
    append(user, "finish2");
}

static void test_icpt_client_metadata_and_outcome(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    client_log l = {0};
    cg_client_interceptor one = {start_1, finish_1, &l};
    cg_client_interceptor two = {start_2, finish_2, &l};
    cg_channel_add_interceptor(f.ch, &one);
    cg_channel_add_interceptor(f.ch, &two);

    Rt__Msg req = RT__MSG__INIT;
    Rt__Msg *resp = NULL;
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_status(cg_unary(f.ch, rt_m(RT_META), &req, (void **)&resp, &o),
                  GRPC_STATUS_OK);
    /* The server saw the metadata the interceptors added. */
    assert_string_equal(resp->text, "from-interceptor");
    assert_int_equal(resp->blob.len, 3);
    assert_memory_equal(resp->blob.data, "\x01\x00\x02", 3);
    rt__msg__free_unpacked(resp, NULL);
    /* Starts in the order added, finishes in reverse, like a stack. */
    assert_string_equal(l.text, "start1:Meta start2 finish2 finish1");
    assert_int_equal(l.finishes, 1);
    assert_int_equal(l.last, GRPC_STATUS_OK);
    assert_true(l.last_us > 0 && l.last_us < RT_WAIT_MS * 1000LL);
    assert_true(l.add_failed_outside);

    /* Streaming calls and errors go through them as well. */
    l.text[0] = '\0';
    Rt__Msg m = rt_msg("", 2);
    m.code = GRPC_STATUS_DATA_LOSS;
    cg_call *c = cg_call_start(f.ch, rt_m(RT_COUNT), &o);
    assert_true(cg_call_send(c, &m));
    assert_status(cg_call_finish(c), GRPC_STATUS_DATA_LOSS);
    assert_string_equal(l.text, "start1:Count start2 finish2 finish1");
    assert_int_equal(l.finishes, 2);
    assert_int_equal(l.last, GRPC_STATUS_DATA_LOSS);
    rt_fixture_stop(&f);
}

static void test_icpt_client_finish_on_freed_channel(void **state)
{
    (void)state;
    /* A call started on a channel already freed (a stream still running
     * keeps it alive) fails CANCELLED; its interceptors still see both
     * ends, as for every call. */
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    client_log l = {0};
    cg_client_interceptor one = {start_1, finish_1, &l};
    cg_channel_add_interceptor(f.ch, &one);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_call *running = cg_call_start(f.ch, rt_m(RT_CHAT), &o);
    Rt__Msg m = rt_msg("hi", 1);
    assert_true(cg_call_send(running, &m));
    assert_non_null(cg_call_recv(running));
    cg_channel *ch = f.ch;
    f.ch = NULL;
    cg_channel_free(ch); /* cancels `running`, which still holds ch */
    cg_call *late = cg_call_start(ch, rt_m(RT_ECHO), &o);
    assert_false(cg_call_send(late, &m));
    cg_status st = cg_call_finish(late);
    assert_status(st, GRPC_STATUS_CANCELLED);
    assert_non_null(strstr(st.message, "freed"));
    assert_string_equal(l.text, "start1:Chat start1:Echo finish1");
    assert_int_equal(l.last, GRPC_STATUS_CANCELLED);
    assert_status(cg_call_finish(running), GRPC_STATUS_CANCELLED);
    assert_int_equal(l.finishes, 2);
    rt_fixture_stop(&f);
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_icpt_server_order_and_outcome),
        cmocka_unit_test(test_icpt_server_early_return),
        cmocka_unit_test(test_icpt_server_sees_request),
        cmocka_unit_test(test_icpt_client_metadata_and_outcome),
        cmocka_unit_test(test_icpt_client_finish_on_freed_channel),
    };
    return cmocka_run_group_tests_name("interceptors", tests, rt_group_setup,
                                       rt_group_teardown);
}
