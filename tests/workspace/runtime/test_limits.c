/*
 * test_limits.c: what a server and a client do with calls they cannot
 * serve: unknown methods, messages over the size limits in both
 * directions, and bytes that are not the message they claim to be (sent
 * with the core directly, since the runtime itself never sends those).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>

#include "rt_util.h"

/* ---- a raw core client: sends any bytes to any path ------------------- */

static cg_status raw_call(const char *target, const char *path,
                          const void *bytes, size_t len)
{
    grpc_channel_credentials *cr = grpc_insecure_credentials_create();
    grpc_channel *ch = grpc_channel_create(target, cr, NULL);
    grpc_channel_credentials_release(cr);
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_call *call = grpc_channel_create_call(
        ch, NULL, 0, cq, grpc_slice_from_static_string(path), NULL,
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_millis(RT_WAIT_MS, GPR_TIMESPAN)),
        NULL);
    grpc_slice s = grpc_slice_from_copied_buffer(bytes, len);
    grpc_byte_buffer *out = grpc_raw_byte_buffer_create(&s, 1), *in = NULL;
    grpc_slice_unref(s);
    grpc_metadata_array im, tm;
    grpc_metadata_array_init(&im);
    grpc_metadata_array_init(&tm);
    grpc_status_code code;
    grpc_slice details;
    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = out;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &im;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &in;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &tm;
    ops[5].data.recv_status_on_client.status = &code;
    ops[5].data.recv_status_on_client.status_details = &details;
    assert_int_equal(grpc_call_start_batch(call, ops, 6, call, NULL),
                     GRPC_CALL_OK);
    grpc_completion_queue_pluck(cq, call, gpr_inf_future(GPR_CLOCK_MONOTONIC),
                                NULL);
    cg_status st = cg_error(NULL, code, "%.*s", (int)GRPC_SLICE_LENGTH(details),
                            (const char *)GRPC_SLICE_START_PTR(details));
    grpc_slice_unref(details);
    grpc_byte_buffer_destroy(out);
    if (in)
        grpc_byte_buffer_destroy(in);
    grpc_metadata_array_destroy(&im);
    grpc_metadata_array_destroy(&tm);
    grpc_call_unref(call);
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_pluck(
               cq, NULL, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL)
               .type != GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
    grpc_channel_destroy(ch);
    return st;
}

/* ---- a raw core server: answers every call with the same bytes ------- */

typedef struct raw_server {
    grpc_server *srv;
    grpc_completion_queue *cq;
    pthread_t thread;
    int port;
    const char *reply;
    size_t reply_len;
} raw_server;

typedef struct raw_call_rec {
    grpc_call *call;
    grpc_call_details details;
    grpc_metadata_array md;
    grpc_byte_buffer *out;
    int cancelled;
    bool answered;
} raw_call_rec;

static void raw_request(raw_server *rs)
{
    raw_call_rec *r = calloc(1, sizeof *r);
    grpc_call_details_init(&r->details);
    grpc_metadata_array_init(&r->md);
    grpc_server_request_call(rs->srv, &r->call, &r->details, &r->md, rs->cq,
                             rs->cq, r);
}

static void raw_free(raw_call_rec *r)
{
    if (r->out)
        grpc_byte_buffer_destroy(r->out);
    grpc_call_details_destroy(&r->details);
    grpc_metadata_array_destroy(&r->md);
    if (r->call)
        grpc_call_unref(r->call);
    free(r);
}

static void *raw_loop(void *arg)
{
    raw_server *rs = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(
            rs->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        if (ev.tag == rs) /* the shutdown notification */
            return NULL;
        raw_call_rec *r = ev.tag;
        if (!ev.success || r->answered) {
            raw_free(r);
            continue;
        }
        raw_request(rs);
        r->answered = true;
        grpc_slice s = grpc_slice_from_copied_buffer(rs->reply, rs->reply_len);
        r->out = grpc_raw_byte_buffer_create(&s, 1);
        grpc_slice_unref(s);
        grpc_op ops[4];
        memset(ops, 0, sizeof ops);
        ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
        ops[1].op = GRPC_OP_SEND_MESSAGE;
        ops[1].data.send_message.send_message = r->out;
        ops[2].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
        ops[2].data.send_status_from_server.status = GRPC_STATUS_OK;
        ops[3].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
        ops[3].data.recv_close_on_server.cancelled = &r->cancelled;
        grpc_call_start_batch(r->call, ops, 4, r, NULL);
    }
}

static void raw_server_start(raw_server *rs, const char *reply, size_t len)
{
    rs->reply = reply;
    rs->reply_len = len;
    rs->srv = grpc_server_create(NULL, NULL);
    rs->cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(rs->srv, rs->cq, NULL);
    grpc_server_credentials *cr = grpc_insecure_server_credentials_create();
    rs->port = grpc_server_add_http2_port(rs->srv, "127.0.0.1:0", cr);
    grpc_server_credentials_release(cr);
    assert_true(rs->port > 0);
    grpc_server_start(rs->srv);
    raw_request(rs);
    pthread_create(&rs->thread, NULL, raw_loop, rs);
}

static void raw_server_stop(raw_server *rs)
{
    /* The loop ends on the shutdown notification; after it the server
     * can go, and the queue is drained here. */
    grpc_server_shutdown_and_notify(rs->srv, rs->cq, rs);
    grpc_server_cancel_all_calls(rs->srv);
    pthread_join(rs->thread, NULL);
    grpc_server_destroy(rs->srv);
    grpc_completion_queue_shutdown(rs->cq);
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(
            rs->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        raw_free(ev.tag);
    }
    grpc_completion_queue_destroy(rs->cq);
}

/* ---- the tests ------------------------------------------------------- */

static const cg_method unknown_methods[] = {
    {"/rt.Test/Nope", "Nope", CG_UNARY, &rt__msg__descriptor,
     &rt__msg__descriptor, NULL},
    {"/no.Such/Service", "Service", CG_UNARY, &rt__msg__descriptor,
     &rt__msg__descriptor, NULL},
    {"/rt.Test/NopeStream", "NopeStream", CG_BIDI_STREAMING,
     &rt__msg__descriptor, &rt__msg__descriptor, NULL},
};

static void test_limits_unknown_method_unimplemented(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    Rt__Msg req = rt_msg("x", 1);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    for (int i = 0; i < 2; i++) {
        int64_t t0 = rt_now_ms();
        cg_status st = cg_unary(f.ch, &unknown_methods[i], &req, NULL, &o);
        assert_status(st, GRPC_STATUS_UNIMPLEMENTED);
        assert_non_null(strstr(st.message, unknown_methods[i].path));
        assert_true(rt_now_ms() - t0 < RT_WAIT_MS / 2); /* not a timeout */
    }
    cg_call *c = cg_call_start(f.ch, &unknown_methods[2], &o);
    cg_call_send(c, &req);
    assert_null(cg_call_recv(c));
    assert_status(cg_call_finish(c), GRPC_STATUS_UNIMPLEMENTED);
    /* The server is still fine afterwards. */
    assert_status(cg_unary(f.ch, rt_m(RT_ECHO), &req, NULL, &o),
                  GRPC_STATUS_OK);
    rt_fixture_stop(&f);
}

static cg_status only_echo(cg_ctx *ctx, const Rt__Msg *req, Rt__Msg *resp)
{
    (void)req;
    resp->text = cg_strdup(ctx, "only");
    return cg_ok();
}

static void test_limits_missing_handler_unimplemented(void **state)
{
    (void)state;
    static const Rt__Test_Server partial = {.echo = only_echo};
    cg_server *srv = cg_server_new(NULL);
    int port = cg_server_listen(srv, "127.0.0.1:0", NULL, NULL);
    assert_true(port > 0);
    assert_int_equal(rt__test__register_server(srv, &partial, NULL), 0);
    assert_int_equal(rt__test__register_server(srv, &partial, NULL), -1);
    assert_int_equal(cg_server_start(srv), 0);
    assert_int_equal(cg_server_start(srv), -1); /* once */
    /* Registration is over once started. */
    static const cg_method extra[] = {{"/x.Y/Z", "Z", CG_UNARY,
                                       &rt__msg__descriptor,
                                       &rt__msg__descriptor, NULL}};
    static const cg_service late = {"x.Y", 1, extra, 0, NULL};
    assert_int_equal(cg_server_add_service(srv, &late, &partial, NULL), -1);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    Rt__Msg req = rt_msg("x", 1);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_status(cg_unary(ch, rt_m(RT_ECHO), &req, NULL, &o), GRPC_STATUS_OK);
    assert_status(cg_unary(ch, rt_m(RT_FAIL), &req, NULL, &o),
                  GRPC_STATUS_UNIMPLEMENTED);
    cg_call *c = cg_call_start(ch, rt_m(RT_CHAT), &o);
    assert_status(cg_call_finish(c), GRPC_STATUS_UNIMPLEMENTED);
    cg_channel_free(ch);
    cg_server_free(srv);
}

static Rt__Msg blob_msg(size_t n, uint8_t **keep)
{
    *keep = calloc(1, n);
    Rt__Msg m = rt_msg("blob", 1);
    m.blob.data = *keep;
    m.blob.len = n;
    return m;
}

static void test_limits_request_too_large(void **state)
{
    (void)state;
    rt_fixture f;
    cg_server_opts so = {0};
    so.max_recv_bytes = 1024;
    rt_fixture_start(&f, &so, NULL);
    uint8_t *keep;
    Rt__Msg big = blob_msg(2048, &keep);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_status(cg_unary(f.ch, rt_m(RT_ECHO), &big, NULL, &o),
                  GRPC_STATUS_RESOURCE_EXHAUSTED);
    /* In a stream too. */
    cg_call *c = cg_call_start(f.ch, rt_m(RT_SUM), &o);
    Rt__Msg small = rt_msg("ok", 1);
    assert_true(cg_call_send(c, &small));
    cg_call_send(c, &big);
    assert_status(cg_call_finish(c), GRPC_STATUS_RESOURCE_EXHAUSTED);
    /* Messages under the limit still pass. */
    Rt__Msg fine = blob_msg(512, &keep);
    free(big.blob.data);
    assert_status(cg_unary(f.ch, rt_m(RT_ECHO), &fine, NULL, &o),
                  GRPC_STATUS_OK);
    free(fine.blob.data);
    rt_fixture_stop(&f);
}

static void test_limits_response_too_large(void **state)
{
    (void)state;
    rt_fixture f;
    cg_server_opts so = {0};
    so.max_send_bytes = 1024;
    rt_fixture_start(&f, &so, NULL);
    uint8_t *keep;
    Rt__Msg big = blob_msg(2048, &keep);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_status st = cg_unary(f.ch, rt_m(RT_ECHO), &big, NULL, &o);
    assert_status(st, GRPC_STATUS_RESOURCE_EXHAUSTED);
    /* A stream's cg_send refuses it, and the call says why. */
    Rt__Msg req = rt_msg("", 3);
    req.blob = big.blob;
    cg_call *c = cg_call_start(f.ch, rt_m(RT_COUNT), &o);
    assert_true(cg_call_send(c, &req));
    assert_null(cg_call_recv(c));
    assert_status(cg_call_finish(c), GRPC_STATUS_RESOURCE_EXHAUSTED);
    free(keep);
    rt_fixture_stop(&f);
}

static void test_limits_client_limits(void **state)
{
    (void)state;
    rt_fixture f;
    cg_channel_opts co = {0};
    co.max_recv_bytes = 1024;
    co.max_send_bytes = 4096;
    rt_fixture_start(&f, NULL, &co);
    uint8_t *keep;
    Rt__Msg mid = blob_msg(2048, &keep);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    /* The request passes (4096 allowed), the echo is refused on receipt. */
    assert_status(cg_unary(f.ch, rt_m(RT_ECHO), &mid, NULL, &o),
                  GRPC_STATUS_RESOURCE_EXHAUSTED);
    free(keep);
    Rt__Msg big = blob_msg(8192, &keep);
    cg_status st = cg_unary(f.ch, rt_m(RT_ECHO), &big, NULL, &o);
    assert_status(st, GRPC_STATUS_RESOURCE_EXHAUSTED);
    cg_call *c = cg_call_start(f.ch, rt_m(RT_SUM), &o);
    assert_false(cg_call_send(c, &big));
    assert_status(cg_call_finish(c), GRPC_STATUS_RESOURCE_EXHAUSTED);
    free(keep);
    rt_fixture_stop(&f);
}

static void test_limits_malformed_request(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    static const char garbage[] = "\x0a\x7f\xff\xff\xff\xff\xff\xff not a Msg";
    cg_status st =
        raw_call(f.target, "/rt.Test/Echo", garbage, sizeof garbage - 1);
    assert_status(st, GRPC_STATUS_INTERNAL);
    assert_non_null(strstr(st.message, "rt.Msg"));
    st = raw_call(f.target, "/rt.Test/Sum", garbage, sizeof garbage - 1);
    assert_status(st, GRPC_STATUS_INTERNAL);
    cg_status seen = rt_stream_err(&f.st);
    assert_status(seen, GRPC_STATUS_INTERNAL); /* cg_stream_error */
    /* A well-formed message through the same raw path works. */
    static const char good[] = "\x0a\x02hi\x18\x05";
    assert_status(raw_call(f.target, "/rt.Test/Echo", good, sizeof good - 1),
                  GRPC_STATUS_OK);
    rt_fixture_stop(&f);
}

static void test_limits_malformed_response(void **state)
{
    (void)state;
    static const char garbage[] =
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
    raw_server rs;
    raw_server_start(&rs, garbage, sizeof garbage - 1);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", rs.port);
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    Rt__Msg req = rt_msg("x", 1);
    Rt__Msg *resp = (Rt__Msg *)1;
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_status st = cg_unary(ch, rt_m(RT_ECHO), &req, (void **)&resp, &o);
    assert_status(st, GRPC_STATUS_INTERNAL);
    assert_null(resp);
    cg_call *c = cg_call_start(ch, rt_m(RT_COUNT), &o);
    assert_true(cg_call_send(c, &req));
    assert_null(cg_call_recv(c));
    assert_status(cg_call_finish(c), GRPC_STATUS_INTERNAL);
    cg_channel_free(ch);
    raw_server_stop(&rs);
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_unknown_method_unimplemented),
        cmocka_unit_test(test_limits_missing_handler_unimplemented),
        cmocka_unit_test(test_limits_request_too_large),
        cmocka_unit_test(test_limits_response_too_large),
        cmocka_unit_test(test_limits_client_limits),
        cmocka_unit_test(test_limits_malformed_request),
        cmocka_unit_test(test_limits_malformed_response),
    };
    return cmocka_run_group_tests_name("limits", tests, rt_group_setup,
                                       rt_group_teardown);
}
