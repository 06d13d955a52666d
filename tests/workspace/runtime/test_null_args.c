/*
 * test_null_args.c: the NULL rule of cgrpc.h ("Conventions"). Every public
 * function is called with NULL for each of its pointer arguments, the
 * others valid, and must return what its comment says: the documented
 * meaning of NULL where it has one, its failure value otherwise, and never
 * crash. The cg_test_* helpers are also given a real call's context and
 * stream, which they must refuse.
 *
 * One test per public function, named null_<function>; the first test
 * reads cgrpc.h and checks that its list of functions and this file's list
 * (`covered`, at the end) are the same: a new function without a NULL test
 * fails this suite, and so does a test of a function that is gone.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h" /* lib/src: the channel's interceptor count */
#include "rt_util.h"
#include "server.h" /* lib/src: the server's interceptor count */

#ifndef CGRT_CGRPC_H
#error "CGRT_CGRPC_H (the path of cgrpc.h) comes from mk/lib.mk"
#endif

/* Fails unless st is INVALID_ARGUMENT with exactly the message `want`. */
#define assert_null_arg(st, want)                                              \
    do {                                                                       \
        cg_status n_ = (st);                                                   \
        assert_status(n_, GRPC_STATUS_INVALID_ARGUMENT);                       \
        assert_string_equal(n_.message, (want));                               \
    } while (0)

/* ===================================================================== */
/* The fixture: a server whose handlers try the test helpers on their     */
/* real context and stream, an interceptor that tries cg_proceed with     */
/* NULL, and a channel to it                                              */
/* ===================================================================== */

/* What the server side saw; written under mu by handlers. */
typedef struct real_seen {
    pthread_mutex_t mu;
    int echo_runs;
    bool ctx_ok_after_free, cancel, add_md, set_timeout, md_visible;
    bool cancelled_after;
    cg_stream *stream;
    bool ran_chat, push, close_input, send_null, hold, wait_held;
    size_t sent_count;
    const void *sent;
    char first[32];
    bool ran_icpt;
    cg_status proceed_null_ctx, proceed_null_next;
} real_seen;

static real_seen seen;

static cg_status real_echo(cg_ctx *ctx, const Rt__Msg *req, Rt__Msg *resp)
{
    cg_test_ctx_free(ctx); /* refused: had it freed the call, ASan says so */
    pthread_mutex_lock(&seen.mu);
    seen.echo_runs++;
    seen.ctx_ok_after_free = cg_ctx_method(ctx) == rt_m(RT_ECHO);
    seen.cancel = cg_test_ctx_cancel(ctx);
    seen.add_md = cg_test_ctx_add_metadata(ctx, "x-added", "1");
    seen.set_timeout = cg_test_ctx_set_timeout(ctx, 0);
    seen.stream = cg_test_stream(ctx);
    seen.cancelled_after = cg_ctx_cancelled(ctx);
    seen.md_visible = cg_ctx_metadata(ctx, "x-added", NULL) != NULL;
    pthread_mutex_unlock(&seen.mu);
    resp->text = cg_strdup(ctx, req->text);
    return cg_ok();
}

static cg_status real_chat(cg_ctx *ctx, cg_stream *s)
{
    (void)ctx;
    Rt__Msg pushed = rt_msg("pushed", 1);
    pthread_mutex_lock(&seen.mu);
    seen.push = cg_test_stream_push(s, &pushed);
    seen.close_input = cg_test_stream_close_input(s);
    seen.sent_count = cg_test_stream_sent_count(s);
    seen.sent = cg_test_stream_sent(s, 0);
    seen.hold = cg_test_stream_hold_sends(s, true);
    seen.wait_held = cg_test_stream_wait_held_send(s, 0);
    pthread_mutex_unlock(&seen.mu);
    const Rt__Msg *in = cg_recv(s); /* the client's, not the one pushed */
    bool sent = cg_send(s, NULL);   /* the wrong type: the call ends INTERNAL */
    pthread_mutex_lock(&seen.mu);
    snprintf(seen.first, sizeof seen.first, "%s", in ? in->text : "(none)");
    seen.send_null = sent;
    seen.ran_chat = true;
    pthread_mutex_unlock(&seen.mu);
    return cg_ok();
}

static cg_status null_proceed(cg_ctx *ctx, cg_next *next, void *user)
{
    (void)user;
    cg_status a = cg_proceed(NULL, next);
    cg_status b = cg_proceed(ctx, NULL);
    pthread_mutex_lock(&seen.mu);
    seen.proceed_null_ctx = a;
    seen.proceed_null_next = b;
    seen.ran_icpt = true;
    pthread_mutex_unlock(&seen.mu);
    return cg_proceed(ctx, next);
}

static const Rt__Test_Server real_impl = {
    .echo = real_echo,
    .chat = real_chat,
};

typedef struct fixture {
    cg_server *srv;
    cg_channel *ch;
    cg_ctx *ctx;       /* a test context for Echo, with one header */
    cg_stream *stream; /* its stream */
} fixture;

static fixture fx;

static int setup(void **state)
{
    tu_grpc_group_setup(state);
    memset(&seen, 0, sizeof seen);
    pthread_mutex_init(&seen.mu, NULL);
    fx.srv = cg_server_new(NULL);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d",
             cg_server_listen(fx.srv, "127.0.0.1:0", NULL, NULL));
    cg_server_add_interceptor(fx.srv, null_proceed, NULL);
    rt__test__register_server(fx.srv, &real_impl, NULL);
    if (cg_server_start(fx.srv) != 0)
        return -1;
    fx.ch = cg_channel_new(target, NULL, NULL);
    fx.ctx = cg_test_ctx_new(rt_m(RT_ECHO), NULL);
    cg_test_ctx_add_metadata(fx.ctx, "x-a", "1");
    fx.stream = cg_test_stream(fx.ctx);
    return fx.ch != NULL && fx.stream != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    cg_test_ctx_free(fx.ctx);
    cg_channel_free(fx.ch);
    cg_server_free(fx.srv);
    pthread_mutex_destroy(&seen.mu);
    return tu_grpc_group_teardown(state);
}

/* ===================================================================== */
/* Status values                                                          */
/* ===================================================================== */

static void null_cg_ok(void **state)
{
    (void)state; /* no pointer argument */
    assert_status(cg_ok(), GRPC_STATUS_OK);
}

static void null_cg_error(void **state)
{
    (void)state;
    cg_status st = cg_error(NULL, GRPC_STATUS_NOT_FOUND, "no %s", "ctx");
    assert_status(st, GRPC_STATUS_NOT_FOUND);
    assert_string_equal(st.message, "no ctx");
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_ECHO), NULL);
    const char *no_fmt = NULL;
    st = cg_error(ctx, GRPC_STATUS_ABORTED, no_fmt);
    assert_status(st, GRPC_STATUS_ABORTED);
    assert_string_equal(st.message, "");
    assert_int_equal(cg_ctx_status(ctx)->code, GRPC_STATUS_ABORTED);
    cg_test_ctx_free(ctx);
}

static void null_cg_status_name(void **state)
{
    (void)state; /* no pointer argument */
    assert_string_equal(cg_status_name((grpc_status_code)99), "UNKNOWN_CODE");
}

/* ===================================================================== */
/* The context                                                            */
/* ===================================================================== */

static void null_cg_ctx_user(void **state)
{
    (void)state;
    assert_null(cg_ctx_user(NULL));
}

static void null_cg_ctx_method(void **state)
{
    (void)state;
    assert_null(cg_ctx_method(NULL));
}

static void null_cg_ctx_peer(void **state)
{
    (void)state;
    assert_null(cg_ctx_peer(NULL));
}

static void null_cg_ctx_time_left_ms(void **state)
{
    (void)state;
    assert_int_equal(cg_ctx_time_left_ms(NULL), 0);
}

static void null_cg_ctx_cancelled(void **state)
{
    (void)state;
    assert_true(cg_ctx_cancelled(NULL));
}

static void null_cg_ctx_metadata(void **state)
{
    (void)state;
    size_t len = 99;
    assert_null(cg_ctx_metadata(NULL, "x-a", &len));
    assert_int_equal(len, 0);
    len = 99;
    assert_null(cg_ctx_metadata(fx.ctx, NULL, &len));
    assert_int_equal(len, 0);
    assert_string_equal(cg_ctx_metadata(fx.ctx, "x-a", NULL), "1");
}

static void null_cg_ctx_metadata_all(void **state)
{
    (void)state;
    size_t n = 99;
    assert_null(cg_ctx_metadata_all(NULL, &n));
    assert_int_equal(n, 0);
    assert_null(cg_ctx_metadata_all(fx.ctx, NULL));
    assert_non_null(cg_ctx_metadata_all(fx.ctx, &n));
    assert_int_equal(n, 1);
}

/* add is cg_ctx_add_header or cg_ctx_add_trailer. */
static void check_add_md(bool (*add)(cg_ctx *, const char *, const char *,
                                     size_t))
{
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_ECHO), NULL);
    assert_false(add(NULL, "x-k", "v", 0));
    assert_false(add(ctx, NULL, "v", 0));
    assert_true(add(ctx, "x-empty", NULL, 0)); /* an empty value */
    assert_false(add(ctx, "x-k", NULL, 3));
    cg_test_ctx_free(ctx);
}

static void null_cg_ctx_add_header(void **state)
{
    (void)state;
    check_add_md(cg_ctx_add_header);
}

static void null_cg_ctx_add_trailer(void **state)
{
    (void)state;
    check_add_md(cg_ctx_add_trailer);
}

static void null_cg_ctx_request(void **state)
{
    (void)state;
    assert_null(cg_ctx_request(NULL));
}

static void null_cg_ctx_status(void **state)
{
    (void)state;
    assert_null(cg_ctx_status(NULL));
}

static void null_cg_alloc(void **state)
{
    (void)state;
    assert_null(cg_alloc(NULL, 8));
}

static void null_cg_strdup(void **state)
{
    (void)state;
    assert_null(cg_strdup(NULL, "x"));
    assert_string_equal(cg_strdup(fx.ctx, NULL), "");
}

static void null_cg_printf(void **state)
{
    (void)state;
    assert_null(cg_printf(NULL, "%d", 1));
    const char *no_fmt = NULL;
    assert_null(cg_printf(fx.ctx, no_fmt));
}

static void null_cg_message_new(void **state)
{
    (void)state;
    assert_null(cg_message_new(NULL, &rt__msg__descriptor));
    assert_null(cg_message_new(fx.ctx, NULL));
}

/* ===================================================================== */
/* Streams and interceptors                                               */
/* ===================================================================== */

static void null_cg_recv(void **state)
{
    (void)state;
    assert_null(cg_recv(NULL));
}

static void null_cg_send(void **state)
{
    (void)state;
    Rt__Msg m = rt_msg("x", 1);
    assert_false(cg_send(NULL, &m));
    assert_false(cg_send(fx.stream, NULL));
    assert_int_equal(cg_test_stream_sent_count(fx.stream), 0);
    /* On a real stream the call then ends INTERNAL: see
     * null_cg_test_stream_push, whose handler sends NULL. */
}

static void null_cg_stream_error(void **state)
{
    (void)state;
    assert_null_arg(cg_stream_error(NULL), "cg_stream_error: s is NULL");
}

static void null_cg_stream_ctx(void **state)
{
    (void)state;
    assert_null(cg_stream_ctx(NULL));
}

static void null_cg_proceed(void **state)
{
    (void)state;
    assert_null_arg(cg_proceed(NULL, NULL), "cg_proceed: ctx is NULL");
    assert_null_arg(cg_proceed(fx.ctx, NULL), "cg_proceed: next is NULL");
    /* With a real chain: the interceptor of the fixture's server tries
     * both, and neither runs the handler. */
    pthread_mutex_lock(&seen.mu);
    int runs = seen.echo_runs;
    pthread_mutex_unlock(&seen.mu);
    Rt__Msg req = rt_msg("chain", 1);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_status(cg_unary(fx.ch, rt_m(RT_ECHO), &req, NULL, &o),
                  GRPC_STATUS_OK);
    pthread_mutex_lock(&seen.mu);
    assert_true(seen.ran_icpt);
    assert_int_equal(seen.echo_runs, runs + 1);
    cg_status a = seen.proceed_null_ctx, b = seen.proceed_null_next;
    pthread_mutex_unlock(&seen.mu);
    assert_null_arg(a, "cg_proceed: ctx is NULL");
    assert_null_arg(b, "cg_proceed: next is NULL");
}

/* ===================================================================== */
/* The server                                                             */
/* ===================================================================== */

static void null_cg_server_new(void **state)
{
    (void)state;
    cg_server *srv = cg_server_new(NULL); /* defaults */
    assert_non_null(srv);
    cg_server_free(srv);
}

static void null_cg_server_listen(void **state)
{
    (void)state;
    cg_status err;
    assert_int_equal(cg_server_listen(NULL, "127.0.0.1:0", NULL, &err), -1);
    assert_null_arg(err, "cg_server_listen: srv is NULL");
    assert_int_equal(cg_server_listen(NULL, NULL, NULL, NULL), -1);
    cg_server *srv = cg_server_new(NULL);
    assert_int_equal(cg_server_listen(srv, NULL, NULL, &err), -1);
    assert_null_arg(err, "cg_server_listen: addr is NULL");
    /* tls NULL is plaintext, err NULL is not wanted. */
    assert_true(cg_server_listen(srv, "127.0.0.1:0", NULL, NULL) > 0);
    cg_server_free(srv);
}

static void setup_no_impl(cg_server *srv, void *user)
{
    int *rc = user;
    *rc = cg_server_add_service(srv, &rt__test__service, NULL, NULL);
}

static void null_cg_server_add_service(void **state)
{
    (void)state;
    rt_capture cap;
    char said[512];
    cg_server *srv = cg_server_new(NULL);
    rt_capture_begin(&cap);
    int a = cg_server_add_service(NULL, &rt__test__service, &real_impl, NULL);
    int b = cg_server_add_service(srv, NULL, &real_impl, NULL);
    rt_capture_end(&cap, said, sizeof said);
    assert_int_equal(a, -1);
    assert_int_equal(b, -1);
    assert_non_null(strstr(said, "cg_server_add_service: srv is NULL"));
    assert_non_null(strstr(said, "cg_server_add_service: svc is NULL"));
    cg_server_free(srv);
    /* A NULL impl (and user) registers the methods, served UNIMPLEMENTED. */
    int rc = -2, port = 0;
    srv = cg_test_server_start(setup_no_impl, &rc, &port);
    assert_non_null(srv);
    assert_int_equal(rc, 0);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    Rt__Msg req = rt_msg("x", 1);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_status(cg_unary(ch, rt_m(RT_ECHO), &req, NULL, &o),
                  GRPC_STATUS_UNIMPLEMENTED);
    cg_channel_free(ch);
    cg_server_free(srv);
}

static void null_cg_server_add_interceptor(void **state)
{
    (void)state;
    cg_server_add_interceptor(NULL, null_proceed, NULL);
    cg_server *srv = cg_server_new(NULL);
    cg_server_add_interceptor(srv, NULL, NULL);
    assert_int_equal(srv->n_icpts, 0);
    cg_server_add_interceptor(srv, null_proceed, NULL); /* user NULL: fine */
    assert_int_equal(srv->n_icpts, 1);
    cg_server_free(srv);
}

static void null_cg_server_enable_reflection(void **state)
{
    (void)state;
    rt_capture cap;
    char said[512];
    rt_capture_begin(&cap);
    int rc = cg_server_enable_reflection(NULL);
    rt_capture_end(&cap, said, sizeof said);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(said, "cg_server_enable_reflection: srv is NULL"));
}

static void null_cg_server_start(void **state)
{
    (void)state;
    assert_int_equal(cg_server_start(NULL), -1);
}

static void null_cg_server_drain(void **state)
{
    (void)state;
    assert_false(cg_server_drain(NULL, 1, 1));
}

static void null_cg_server_stop_info_get(void **state)
{
    (void)state;
    cg_server_stop_info info = cg_server_stop_info_get(NULL);
    assert_int_equal(info.shutdown_at_ms, 0); /* all zero */
    assert_int_equal(info.grace_ms, 0);
    assert_false(info.cut);
}

static void null_cg_server_shutdown(void **state)
{
    (void)state;
    cg_server_shutdown(NULL, 0); /* nothing happens */
}

static void null_cg_server_shutdown_async(void **state)
{
    (void)state;
    cg_server_shutdown_async(NULL, 0); /* nothing happens */
}

static void null_cg_server_wait(void **state)
{
    (void)state;
    cg_server_wait(NULL); /* returns at once */
}

static void null_cg_server_run_until_signal(void **state)
{
    (void)state;
    int64_t t0 = rt_now_ms();
    assert_int_equal(cg_server_run_until_signal(NULL, 0), -1);
    assert_true(rt_now_ms() - t0 < 1000);
}

static void null_cg_server_free(void **state)
{
    (void)state;
    cg_server_free(NULL); /* nothing happens */
}

/* ===================================================================== */
/* Channels and calls                                                     */
/* ===================================================================== */

static void null_cg_channel_new(void **state)
{
    (void)state;
    cg_status err;
    assert_null(cg_channel_new(NULL, NULL, &err));
    assert_null_arg(err, "cg_channel_new: target is NULL");
    assert_null(cg_channel_new(NULL, NULL, NULL));
    cg_channel *ch = cg_channel_new("127.0.0.1:1", NULL, NULL); /* defaults */
    assert_non_null(ch);
    cg_channel_free(ch);
}

static void null_cg_channel_free(void **state)
{
    (void)state;
    cg_channel_free(NULL); /* nothing happens */
}

static void null_cg_channel_state(void **state)
{
    (void)state;
    assert_int_equal(cg_channel_state(NULL, true), CG_CONN_SHUTDOWN);
}

static void null_cg_channel_wait_ready(void **state)
{
    (void)state;
    assert_false(cg_channel_wait_ready(NULL, 1));
}

static void null_cg_channel_reset_backoff(void **state)
{
    (void)state;
    cg_channel_reset_backoff(NULL); /* nothing happens */
}

static void null_cg_conn_state_name(void **state)
{
    (void)state; /* no pointer argument */
    assert_string_equal(cg_conn_state_name((cg_conn_state)99), "UNKNOWN");
}

static void null_cg_call_start(void **state)
{
    (void)state;
    cg_call *c = cg_call_start(NULL, rt_m(RT_ECHO), NULL);
    assert_non_null(c);
    assert_null_arg(cg_call_finish(c), "cg_call_start: ch is NULL");
    c = cg_call_start(fx.ch, NULL, NULL);
    assert_null_arg(cg_call_finish(c), "cg_call_start: m is NULL");
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    o.n_metadata = 1; /* and metadata NULL */
    c = cg_call_start(fx.ch, rt_m(RT_ECHO), &o);
    assert_null_arg(cg_call_finish(c), "cg_call_start: opts->metadata is NULL");
}

/* send is cg_call_send or cg_call_send_more. */
static void check_send(bool (*send)(cg_call *, const void *))
{
    Rt__Msg m = rt_msg("x", 1);
    assert_false(send(NULL, &m));
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_call *c = cg_call_start(fx.ch, rt_m(RT_CHAT), &o);
    assert_false(send(c, NULL));
    assert_true(send(c, &m)); /* the call goes on */
    cg_call_cancel(c);
    assert_status(cg_call_finish(c), GRPC_STATUS_CANCELLED);
}

static void null_cg_call_send(void **state)
{
    (void)state;
    check_send(cg_call_send);
}

static void null_cg_call_send_more(void **state)
{
    (void)state;
    check_send(cg_call_send_more);
}

static void null_cg_call_close_send(void **state)
{
    (void)state;
    assert_false(cg_call_close_send(NULL));
}

static void null_cg_call_recv(void **state)
{
    (void)state;
    assert_null(cg_call_recv(NULL));
}

/* find is cg_call_header or cg_call_trailer, tried on a finished-reading
 * unary call made by hand. */
static void check_find(const char *(*find)(cg_call *, const char *, size_t *))
{
    size_t len = 99;
    assert_null(find(NULL, "x", &len));
    assert_int_equal(len, 0);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_call *c = cg_call_start(fx.ch, rt_m(RT_ECHO), &o);
    Rt__Msg m = rt_msg("x", 1);
    assert_true(cg_call_send(c, &m));
    assert_true(cg_call_close_send(c));
    assert_non_null(cg_call_recv(c));
    assert_null(cg_call_recv(c));
    len = 99;
    assert_null(find(c, NULL, &len));
    assert_int_equal(len, 0);
    assert_null(find(c, "x-absent", NULL)); /* len NULL: not wanted */
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
}

static void null_cg_call_header(void **state)
{
    (void)state;
    check_find(cg_call_header);
}

static void null_cg_call_trailer(void **state)
{
    (void)state;
    check_find(cg_call_trailer);
}

static void null_cg_call_cancel(void **state)
{
    (void)state;
    cg_call_cancel(NULL); /* nothing happens */
}

static void null_cg_call_finish(void **state)
{
    (void)state;
    assert_null_arg(cg_call_finish(NULL), "cg_call_finish: c is NULL");
}

static void null_cg_unary(void **state)
{
    (void)state;
    Rt__Msg req = rt_msg("x", 1);
    void *resp = &req; /* set to NULL on every failure */
    assert_null_arg(cg_unary(NULL, rt_m(RT_ECHO), &req, &resp, NULL),
                    "cg_unary: ch is NULL");
    assert_null(resp);
    assert_null_arg(cg_unary(fx.ch, NULL, &req, &resp, NULL),
                    "cg_unary: m is NULL");
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_null_arg(cg_unary(fx.ch, rt_m(RT_ECHO), NULL, &resp, &o),
                    "cg_unary: req is NULL");
    assert_null(resp);
    /* resp NULL: not wanted; opts NULL: defaults (no deadline). */
    assert_status(cg_unary(fx.ch, rt_m(RT_ECHO), &req, NULL, NULL),
                  GRPC_STATUS_OK);
}

static void null_cg_unary_async(void **state)
{
    (void)state;
    Rt__Msg req = rt_msg("x", 1);
    tu_async a;
    tu_async_init(&a);
    /* Refused, done never called. */
    assert_false(
        cg_unary_async(NULL, rt_m(RT_ECHO), &req, NULL, tu_async_done, &a));
    assert_false(cg_unary_async(fx.ch, NULL, &req, NULL, tu_async_done, &a));
    assert_false(cg_unary_async(fx.ch, rt_m(RT_ECHO), &req, NULL, NULL, &a));
    /* A NULL req: the status comes to done. */
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_true(
        cg_unary_async(fx.ch, rt_m(RT_ECHO), NULL, &o, tu_async_done, &a));
    cg_status st;
    assert_true(tu_async_wait(&a, 1, RT_WAIT_MS, &st));
    assert_null_arg(st, "cg_unary_async: req is NULL");
    assert_false(a.had_resp);
    assert_int_equal(a.runs, 1);
    /* opts NULL: defaults. */
    assert_true(
        cg_unary_async(fx.ch, rt_m(RT_ECHO), &req, NULL, tu_async_done, &a));
    assert_true(tu_async_wait(&a, 2, RT_WAIT_MS, &st));
    assert_status(st, GRPC_STATUS_OK);
    pthread_mutex_lock(&a.mu);
    bool had_resp = a.had_resp;
    pthread_mutex_unlock(&a.mu);
    assert_true(had_resp);
    tu_async_destroy(&a);
}

typedef struct md_tries {
    bool null_c, null_key, null_value;
} md_tries;

static void try_metadata(cg_call *c, const cg_method *m, void *user)
{
    (void)m;
    md_tries *t = user;
    t->null_c = cg_call_add_metadata(NULL, "x-k", "v", 0);
    t->null_key = cg_call_add_metadata(c, NULL, "v", 0);
    t->null_value = cg_call_add_metadata(c, "x-empty", NULL, 0);
}

static void null_cg_channel_add_interceptor(void **state)
{
    (void)state;
    cg_client_interceptor icpt = {try_metadata, NULL, NULL};
    cg_channel_add_interceptor(NULL, &icpt);
    cg_channel *ch = cg_channel_new("127.0.0.1:1", NULL, NULL);
    cg_channel_add_interceptor(ch, NULL);
    assert_int_equal(ch->n_icpts, 0);
    cg_channel_free(ch);
}

static void null_cg_call_add_metadata(void **state)
{
    (void)state;
    assert_false(cg_call_add_metadata(NULL, "x-k", "v", 0));
    md_tries t = {true, true, false};
    cg_client_interceptor icpt = {try_metadata, NULL, &t};
    char target[64];
    snprintf(target, sizeof target, "%s", "127.0.0.1:1");
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    cg_channel_add_interceptor(ch, &icpt);
    cg_call_opts o = rt_opts(1000);
    o.ready = CG_READY_FAIL_FAST;
    Rt__Msg req = rt_msg("x", 1);
    cg_unary(ch, rt_m(RT_ECHO), &req, NULL, &o); /* nobody listens */
    cg_channel_free(ch);
    assert_false(t.null_c);
    assert_false(t.null_key);
    assert_true(t.null_value); /* an empty value */
}

static void slot_tries(cg_call *c, const cg_method *m, void *user)
{
    (void)m;
    bool *ok = user;
    *ok = cg_call_interceptor_slot(NULL) == NULL &&
          cg_call_interceptor_slot(c) != NULL;
}

static void null_cg_call_interceptor_slot(void **state)
{
    (void)state;
    assert_null(cg_call_interceptor_slot(NULL));
    bool ok = false;
    cg_client_interceptor icpt = {slot_tries, NULL, &ok};
    cg_channel *ch = cg_channel_new("127.0.0.1:1", NULL, NULL);
    cg_channel_add_interceptor(ch, &icpt);
    cg_call *c = cg_call_start(ch, rt_m(RT_ECHO), NULL);
    assert_null(cg_call_interceptor_slot(c)); /* outside on_start */
    cg_call_cancel(c);
    cg_call_finish(c);
    cg_channel_free(ch);
    assert_true(ok);
}

/* ===================================================================== */
/* Tracing                                                                */
/* ===================================================================== */

#define NULL_TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static void null_cg_traceparent_parse(void **state)
{
    (void)state;
    cg_span_context sc;
    assert_false(cg_traceparent_parse(NULL, NULL, &sc));
    assert_string_equal(sc.trace_id, "");
    assert_false(cg_traceparent_parse(NULL_TP, NULL, NULL));
    assert_true(cg_traceparent_parse(NULL_TP, NULL, &sc)); /* no tracestate */
}

static void null_cg_traceparent_format(void **state)
{
    (void)state;
    cg_span_context sc;
    char buf[CG_TRACEPARENT_SIZE];
    assert_true(cg_traceparent_parse(NULL_TP, NULL, &sc));
    assert_false(cg_traceparent_format(NULL, buf, sizeof buf));
    assert_false(cg_traceparent_format(&sc, NULL, sizeof buf));
}

/* A tracer that does not export (no endpoint in opts). */
static cg_tracer *quiet_tracer(void)
{
    cg_tracer_opts o = {.endpoint = ""};
    cg_tracer *t = cg_tracer_new(&o, NULL);
    assert_non_null(t);
    return t;
}

static void null_cg_tracer_new(void **state)
{
    (void)state;
    char *saved = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    saved = saved ? strdup(saved) : NULL;
    unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    cg_tracer *t = cg_tracer_new(NULL, NULL); /* defaults; err NULL */
    assert_non_null(t);
    assert_false(cg_tracer_stats_get(t).exporting);
    cg_tracer_free(t);
    cg_tracer_opts bad = {.endpoint = "ftp://x"};
    assert_null(cg_tracer_new(&bad, NULL)); /* err NULL: nothing written */
    if (saved != NULL)
        setenv("OTEL_EXPORTER_OTLP_ENDPOINT", saved, 1);
    free(saved);
}

static void null_cg_tracer_flush(void **state)
{
    (void)state;
    assert_false(cg_tracer_flush(NULL, 0));
}

static void null_cg_tracer_stats_get(void **state)
{
    (void)state;
    cg_tracer_stats st = cg_tracer_stats_get(NULL);
    assert_false(st.exporting);
    assert_int_equal(st.ended + st.exported + st.dropped + st.failed, 0);
}

static void null_cg_tracer_free(void **state)
{
    (void)state;
    cg_tracer_free(NULL);
}

static void null_cg_span_start(void **state)
{
    (void)state;
    cg_tracer *t = quiet_tracer();
    assert_null(cg_span_start(NULL, "x", CG_SPAN_INTERNAL, NULL));
    assert_null(cg_span_start(t, NULL, CG_SPAN_INTERNAL, NULL));
    cg_span *s = cg_span_start(t, "x", CG_SPAN_INTERNAL, NULL); /* root */
    assert_non_null(s);
    cg_span_end(s);
    cg_tracer_free(t);
}

static void null_cg_span_context_of(void **state)
{
    (void)state;
    assert_null(cg_span_context_of(NULL));
}

static void null_cg_span_set_str(void **state)
{
    (void)state;
    cg_tracer *t = quiet_tracer();
    cg_span *s = cg_span_start(t, "x", CG_SPAN_INTERNAL, NULL);
    assert_false(cg_span_set_str(NULL, "k", "v"));
    assert_false(cg_span_set_str(s, NULL, "v"));
    assert_false(cg_span_set_str(s, "k", NULL));
    cg_span_end(s);
    cg_tracer_free(t);
}

static void null_cg_span_set_int(void **state)
{
    (void)state;
    cg_tracer *t = quiet_tracer();
    cg_span *s = cg_span_start(t, "x", CG_SPAN_INTERNAL, NULL);
    assert_false(cg_span_set_int(NULL, "k", 1));
    assert_false(cg_span_set_int(s, NULL, 1));
    cg_span_end(s);
    cg_tracer_free(t);
}

static void null_cg_span_set_error(void **state)
{
    (void)state;
    cg_tracer *t = quiet_tracer();
    cg_span *s = cg_span_start(t, "x", CG_SPAN_INTERNAL, NULL);
    assert_false(cg_span_set_error(NULL, "m"));
    assert_true(cg_span_set_error(s, NULL)); /* no message */
    cg_span_end(s);
    cg_tracer_free(t);
}

static void null_cg_span_end(void **state)
{
    (void)state;
    cg_span_end(NULL);
}

static void null_cg_span_swap_current(void **state)
{
    (void)state;
    assert_null(cg_span_swap_current(NULL)); /* none, and none before */
}

static void null_cg_span_current_context(void **state)
{
    (void)state;
    cg_tracer *t = quiet_tracer();
    cg_span *s = cg_span_start(t, "x", CG_SPAN_INTERNAL, NULL);
    cg_span_swap_current(s);
    assert_false(cg_span_current_context(NULL));
    cg_span_swap_current(NULL);
    cg_span_end(s);
    cg_tracer_free(t);
}

static void null_cg_trace_server_interceptor(void **state)
{
    (void)state;
    assert_null_arg(cg_trace_server_interceptor(NULL, NULL, NULL),
                    "cg_trace_server_interceptor: ctx is NULL");
    cg_tracer *t = quiet_tracer();
    assert_null_arg(cg_trace_server_interceptor(NULL, NULL, t),
                    "cg_trace_server_interceptor: ctx is NULL");
    assert_null_arg(cg_trace_server_interceptor(fx.ctx, NULL, t),
                    "cg_trace_server_interceptor: next is NULL");
    cg_tracer_free(t);
}

static void null_cg_trace_client_interceptor(void **state)
{
    (void)state;
    cg_client_interceptor ic = cg_trace_client_interceptor(NULL);
    assert_null(ic.on_start);
    assert_null(ic.on_finish);
}

/* ===================================================================== */
/* Testing helpers: NULL, and a real call's context and stream            */
/* ===================================================================== */

static void null_cg_test_server_start(void **state)
{
    (void)state;
    cg_server *srv = cg_test_server_start(NULL, NULL, NULL);
    assert_non_null(srv);
    cg_server_free(srv);
}

static void null_cg_test_ctx_new(void **state)
{
    (void)state;
    assert_null(cg_test_ctx_new(NULL, NULL));
    cg_method untyped = *rt_m(RT_ECHO);
    untyped.input = NULL;
    assert_null(cg_test_ctx_new(&untyped, NULL));
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_ECHO), NULL); /* user NULL: fine */
    assert_non_null(ctx);
    cg_test_ctx_free(ctx);
}

/* Makes one Echo call on the fixture's server, whose handler tries the
 * test helpers on its real context (see real_echo). */
static void call_real_echo(void)
{
    Rt__Msg req = rt_msg("real", 1);
    Rt__Msg *resp = NULL;
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_status(cg_unary(fx.ch, rt_m(RT_ECHO), &req, (void **)&resp, &o),
                  GRPC_STATUS_OK);
    assert_string_equal(resp->text, "real");
    rt__msg__free_unpacked(resp, NULL);
}

static void null_cg_test_ctx_free(void **state)
{
    (void)state;
    cg_test_ctx_free(NULL); /* nothing happens */
    call_real_echo();       /* a real context: nothing happens */
    pthread_mutex_lock(&seen.mu);
    bool ok = seen.ctx_ok_after_free;
    pthread_mutex_unlock(&seen.mu);
    assert_true(ok);
}

static void null_cg_test_ctx_cancel(void **state)
{
    (void)state;
    assert_false(cg_test_ctx_cancel(NULL));
    call_real_echo();
    pthread_mutex_lock(&seen.mu);
    bool refused = !seen.cancel, unchanged = !seen.cancelled_after;
    pthread_mutex_unlock(&seen.mu);
    assert_true(refused);
    assert_true(unchanged);
}

static void null_cg_test_ctx_add_metadata(void **state)
{
    (void)state;
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_ECHO), NULL);
    assert_false(cg_test_ctx_add_metadata(NULL, "x-k", "v"));
    assert_false(cg_test_ctx_add_metadata(ctx, NULL, "v"));
    assert_false(cg_test_ctx_add_metadata(ctx, "x-k", NULL));
    size_t n;
    assert_null(cg_ctx_metadata_all(ctx, &n));
    assert_int_equal(n, 0);
    cg_test_ctx_free(ctx);
    call_real_echo();
    pthread_mutex_lock(&seen.mu);
    bool refused = !seen.add_md, unchanged = !seen.md_visible;
    pthread_mutex_unlock(&seen.mu);
    assert_true(refused);
    assert_true(unchanged);
}

static void null_cg_test_ctx_set_timeout(void **state)
{
    (void)state;
    assert_false(cg_test_ctx_set_timeout(NULL, 0));
    call_real_echo(); /* a deadline already passed would end it otherwise */
    pthread_mutex_lock(&seen.mu);
    bool refused = !seen.set_timeout;
    pthread_mutex_unlock(&seen.mu);
    assert_true(refused);
}

static void null_cg_test_stream(void **state)
{
    (void)state;
    assert_null(cg_test_stream(NULL));
    call_real_echo();
    pthread_mutex_lock(&seen.mu);
    cg_stream *s = seen.stream;
    pthread_mutex_unlock(&seen.mu);
    assert_null(s);
}

/* Makes one Chat call on the fixture's server, whose handler tries the
 * test helpers on its real stream (see real_chat), then sends NULL. */
static void call_real_chat(void)
{
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_call *c = cg_call_start(fx.ch, rt_m(RT_CHAT), &o);
    Rt__Msg m = rt_msg("client", 1);
    assert_true(cg_call_send(c, &m));
    assert_true(cg_call_close_send(c));
    while (cg_call_recv(c) != NULL)
        ;
    /* The handler's cg_send(s, NULL): a message of the wrong type. */
    assert_status(cg_call_finish(c), GRPC_STATUS_INTERNAL);
    pthread_mutex_lock(&seen.mu);
    bool ran = seen.ran_chat, sent = seen.send_null;
    char first[sizeof seen.first];
    memcpy(first, seen.first, sizeof first);
    pthread_mutex_unlock(&seen.mu);
    assert_true(ran);
    assert_false(sent);
    assert_string_equal(first, "client");
}

static void null_cg_test_stream_push(void **state)
{
    (void)state;
    Rt__Msg m = rt_msg("x", 1);
    assert_false(cg_test_stream_push(NULL, &m));
    assert_false(cg_test_stream_push(fx.stream, NULL));
    Rt__Other other = RT__OTHER__INIT;
    assert_false(cg_test_stream_push(fx.stream, &other)); /* wrong type */
    call_real_chat();
    pthread_mutex_lock(&seen.mu);
    bool refused = !seen.push;
    pthread_mutex_unlock(&seen.mu);
    assert_true(refused);
}

static void null_cg_test_stream_close_input(void **state)
{
    (void)state;
    assert_false(cg_test_stream_close_input(NULL));
    call_real_chat();
    pthread_mutex_lock(&seen.mu);
    bool refused = !seen.close_input;
    pthread_mutex_unlock(&seen.mu);
    assert_true(refused);
}

static void null_cg_test_stream_sent_count(void **state)
{
    (void)state;
    assert_int_equal(cg_test_stream_sent_count(NULL), 0);
    call_real_chat();
    pthread_mutex_lock(&seen.mu);
    size_t n = seen.sent_count;
    pthread_mutex_unlock(&seen.mu);
    assert_int_equal(n, 0);
}

static void null_cg_test_stream_sent(void **state)
{
    (void)state;
    assert_null(cg_test_stream_sent(NULL, 0));
    call_real_chat();
    pthread_mutex_lock(&seen.mu);
    const void *m = seen.sent;
    pthread_mutex_unlock(&seen.mu);
    assert_null(m);
}

static void null_cg_test_stream_hold_sends(void **state)
{
    (void)state;
    assert_false(cg_test_stream_hold_sends(NULL, true));
    assert_false(cg_test_stream_hold_sends(NULL, false));
    /* Refused on a real stream: the handler's cg_send after it still goes
     * out (call_real_chat sees the call end, not hang). */
    call_real_chat();
    pthread_mutex_lock(&seen.mu);
    bool refused = !seen.hold;
    pthread_mutex_unlock(&seen.mu);
    assert_true(refused);
}

static void null_cg_test_stream_wait_held_send(void **state)
{
    (void)state;
    assert_false(cg_test_stream_wait_held_send(NULL, 0));
    call_real_chat();
    pthread_mutex_lock(&seen.mu);
    bool refused = !seen.wait_held;
    pthread_mutex_unlock(&seen.mu);
    assert_true(refused);
}

/* ===================================================================== */
/* Every function of cgrpc.h has its test                                 */
/* ===================================================================== */

#define COVER(fn)                                                              \
    {                                                                          \
#fn, null_##fn                                                         \
    }

static const struct covered {
    const char *name;
    void (*test)(void **state);
} covered[] = {
    COVER(cg_ok),
    COVER(cg_error),
    COVER(cg_status_name),
    COVER(cg_ctx_user),
    COVER(cg_ctx_method),
    COVER(cg_ctx_peer),
    COVER(cg_ctx_time_left_ms),
    COVER(cg_ctx_cancelled),
    COVER(cg_ctx_metadata),
    COVER(cg_ctx_metadata_all),
    COVER(cg_ctx_add_header),
    COVER(cg_ctx_add_trailer),
    COVER(cg_ctx_request),
    COVER(cg_ctx_status),
    COVER(cg_alloc),
    COVER(cg_strdup),
    COVER(cg_printf),
    COVER(cg_message_new),
    COVER(cg_recv),
    COVER(cg_send),
    COVER(cg_stream_error),
    COVER(cg_stream_ctx),
    COVER(cg_proceed),
    COVER(cg_server_new),
    COVER(cg_server_listen),
    COVER(cg_server_add_service),
    COVER(cg_server_add_interceptor),
    COVER(cg_server_enable_reflection),
    COVER(cg_server_start),
    COVER(cg_server_drain),
    COVER(cg_server_shutdown),
    COVER(cg_server_stop_info_get),
    COVER(cg_server_shutdown_async),
    COVER(cg_server_wait),
    COVER(cg_server_run_until_signal),
    COVER(cg_server_free),
    COVER(cg_channel_new),
    COVER(cg_channel_free),
    COVER(cg_channel_state),
    COVER(cg_channel_wait_ready),
    COVER(cg_channel_reset_backoff),
    COVER(cg_conn_state_name),
    COVER(cg_call_start),
    COVER(cg_call_send),
    COVER(cg_call_send_more),
    COVER(cg_call_close_send),
    COVER(cg_call_recv),
    COVER(cg_call_header),
    COVER(cg_call_trailer),
    COVER(cg_call_cancel),
    COVER(cg_call_finish),
    COVER(cg_unary),
    COVER(cg_unary_async),
    COVER(cg_channel_add_interceptor),
    COVER(cg_call_add_metadata),
    COVER(cg_call_interceptor_slot),
    COVER(cg_traceparent_parse),
    COVER(cg_traceparent_format),
    COVER(cg_tracer_new),
    COVER(cg_tracer_flush),
    COVER(cg_tracer_stats_get),
    COVER(cg_tracer_free),
    COVER(cg_span_start),
    COVER(cg_span_context_of),
    COVER(cg_span_set_str),
    COVER(cg_span_set_int),
    COVER(cg_span_set_error),
    COVER(cg_span_end),
    COVER(cg_span_swap_current),
    COVER(cg_span_current_context),
    COVER(cg_trace_server_interceptor),
    COVER(cg_trace_client_interceptor),
    COVER(cg_test_server_start),
    COVER(cg_test_ctx_new),
    COVER(cg_test_ctx_free),
    COVER(cg_test_ctx_cancel),
    COVER(cg_test_ctx_add_metadata),
    COVER(cg_test_ctx_set_timeout),
    COVER(cg_test_stream),
    COVER(cg_test_stream_push),
    COVER(cg_test_stream_close_input),
    COVER(cg_test_stream_sent_count),
    COVER(cg_test_stream_sent),
    COVER(cg_test_stream_hold_sends),
    COVER(cg_test_stream_wait_held_send),
};
#define N_COVERED (sizeof covered / sizeof covered[0])

static bool is_covered(const char *name)
{
    for (size_t i = 0; i < N_COVERED; i++)
        if (strcmp(covered[i].name, name) == 0)
            return true;
    return false;
}

/* The function a line of cgrpc.h declares, into name[cap], or false. A
 * declaration starts at column 0 (not a comment, a directive, a typedef or
 * a struct's member) and holds `cg_xxx(`. */
static bool declared_function(const char *line, char *name, size_t cap)
{
    if (!isalpha((unsigned char)line[0]) || strncmp(line, "typedef", 7) == 0)
        return false;
    for (const char *p = strstr(line, "cg_"); p != NULL;
         p = strstr(p + 1, "cg_")) {
        if (p > line && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
            continue;
        size_t n = 0;
        while (isalnum((unsigned char)p[n]) || p[n] == '_')
            n++;
        if (p[n] == '(' && n < cap) {
            memcpy(name, p, n);
            name[n] = '\0';
            return true;
        }
    }
    return false;
}

static void test_every_function_is_covered(void **state)
{
    (void)state;
    FILE *f = fopen(CGRT_CGRPC_H, "r");
    if (f == NULL)
        fail_msg("cannot read %s", CGRT_CGRPC_H);
    char line[512], name[128], missing[2048] = "";
    size_t declared = 0;
    bool found[N_COVERED] = {false};
    while (fgets(line, sizeof line, f) != NULL) {
        if (!declared_function(line, name, sizeof name))
            continue;
        declared++;
        for (size_t i = 0; i < N_COVERED; i++)
            found[i] |= strcmp(covered[i].name, name) == 0;
        if (!is_covered(name))
            snprintf(missing + strlen(missing),
                     sizeof missing - strlen(missing), " %s", name);
    }
    fclose(f);
    if (missing[0] != '\0')
        fail_msg("functions of cgrpc.h without a NULL test here:%s", missing);
    for (size_t i = 0; i < N_COVERED; i++)
        if (!found[i])
            fail_msg("%s is tested here but not declared in cgrpc.h",
                     covered[i].name);
    assert_int_equal(declared, N_COVERED);
}

int main(void)
{
    rt_filter_from_env();
    struct CMUnitTest tests[1 + N_COVERED];
    memset(tests, 0, sizeof tests);
    tests[0].name = "every_function_is_covered";
    tests[0].test_func = test_every_function_is_covered;
    for (size_t i = 0; i < N_COVERED; i++) {
        tests[i + 1].name = covered[i].name;
        tests[i + 1].test_func = covered[i].test;
    }
    return _cmocka_run_group_tests("null_args", tests, 1 + N_COVERED, setup,
                                   teardown);
}
