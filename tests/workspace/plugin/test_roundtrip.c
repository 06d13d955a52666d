/*
 * test_roundtrip.c: the generated MyService stubs against the real runtime.
 *
 * A server on 127.0.0.1 (kernel-chosen port) registers a handler table with
 * the generated registration function; a client calls every method kind
 * through the generated client functions. A second server registers an empty
 * table and must answer UNIMPLEMENTED with the invoke function's message.
 * Needs libcgrpc.a: run-tests.sh builds this suite only when the runtime
 * builds, and otherwise only checks that it compiles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tutorial/v1/my_service.cgrpc.h"

#define TIMEOUT_MS 10000

/* ---- the server ---- */

static cg_status unary_call(cg_ctx *ctx, const Tutorial__V1__Request *req,
                            Tutorial__V1__Response *resp)
{
    if (req->value < 0)
        return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "value %d < 0",
                        (int)req->value);
    resp->success = true;
    resp->message = cg_printf(ctx, "unary %s %d", req->id, (int)req->value);
    return cg_ok();
}

/* Sends `value` responses numbered from 0. */
static cg_status server_stream(cg_ctx *ctx, const Tutorial__V1__Request *req,
                               cg_stream *out)
{
    for (int i = 0; i < req->value; i++) {
        Tutorial__V1__Response resp = TUTORIAL__V1__RESPONSE__INIT;
        resp.success = true;
        resp.message = cg_printf(ctx, "%s-%d", req->id, i);
        if (!cg_send(out, &resp))
            break;
    }
    return cg_ok();
}

/* Adds up the values of all requests. */
static cg_status client_stream(cg_ctx *ctx, cg_stream *in,
                               Tutorial__V1__Response *resp)
{
    const Tutorial__V1__Request *req;
    int sum = 0, n = 0;

    while ((req = cg_recv(in)) != NULL) {
        sum += req->value;
        n++;
    }
    resp->success = true;
    resp->message = cg_printf(ctx, "%d requests, sum %d", n, sum);
    return cg_ok();
}

/* Answers each request with "echo <id>". */
static cg_status bidirectional_stream(cg_ctx *ctx, cg_stream *stream)
{
    const Tutorial__V1__Request *req;

    while ((req = cg_recv(stream)) != NULL) {
        Tutorial__V1__Response resp = TUTORIAL__V1__RESPONSE__INIT;
        resp.success = true;
        resp.message = cg_printf(ctx, "echo %s", req->id);
        if (!cg_send(stream, &resp))
            break;
    }
    return cg_ok();
}

static const Tutorial__V1__MyService_Server handlers = {
    .unary_call = unary_call,
    .server_stream = server_stream,
    .client_stream = client_stream,
    .bidirectional_stream = bidirectional_stream,
};

static const Tutorial__V1__MyService_Server no_handlers = {0};

static void register_full(cg_server *srv, void *user)
{
    (void)user;
    assert_int_equal(
        tutorial__v1__my_service__register_server(srv, &handlers, NULL), 0);
}

static void register_empty(cg_server *srv, void *user)
{
    (void)user;
    assert_int_equal(
        tutorial__v1__my_service__register_server(srv, &no_handlers, NULL), 0);
}

typedef struct fixture {
    cg_server *srv;
    cg_channel *ch;
} fixture;

static int start(void **state, cg_setup_fn setup)
{
    static fixture f;
    char target[64];
    cg_status err;
    int port = 0;

    f.srv = cg_test_server_start(setup, NULL, &port);
    if (f.srv == NULL)
        return -1;
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    f.ch = cg_channel_new(target, NULL, &err);
    if (f.ch == NULL) {
        cg_server_free(f.srv);
        return -1;
    }
    *state = &f;
    return 0;
}

static int start_full(void **state)
{
    return start(state, register_full);
}

static int start_empty(void **state)
{
    return start(state, register_empty);
}

static int stop(void **state)
{
    fixture *f = *state;

    cg_channel_free(f->ch);
    cg_server_free(f->srv);
    return 0;
}

static const cg_call_opts opts = {.timeout_ms = TIMEOUT_MS};

/* ---- the tests ---- */

static void test_roundtrip_unary(void **state)
{
    fixture *f = *state;
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    Tutorial__V1__Response *resp = NULL;
    cg_status st;

    req.id = "abc";
    req.value = 7;
    st = tutorial__v1__my_service_client__unary_call(f->ch, &req, &resp, &opts);
    assert_int_equal(st.code, GRPC_STATUS_OK);
    assert_non_null(resp);
    assert_true(resp->success);
    assert_string_equal(resp->message, "unary abc 7");
    tutorial__v1__response__free_unpacked(resp, NULL);
}

static void test_roundtrip_unary_error(void **state)
{
    fixture *f = *state;
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    Tutorial__V1__Response *resp = NULL;
    cg_status st;

    req.value = -1;
    st = tutorial__v1__my_service_client__unary_call(f->ch, &req, &resp, &opts);
    assert_int_equal(st.code, GRPC_STATUS_INVALID_ARGUMENT);
    assert_string_equal(st.message, "value -1 < 0");
    assert_null(resp);
}

static void test_roundtrip_server_stream(void **state)
{
    fixture *f = *state;
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    const Tutorial__V1__Response *resp;
    cg_call *call;
    cg_status st;
    int n = 0;

    req.id = "s";
    req.value = 5;
    call = tutorial__v1__my_service_client__server_stream(f->ch, &req, &opts);
    while ((resp = cg_call_recv(call)) != NULL) {
        char want[16];
        snprintf(want, sizeof want, "s-%d", n);
        assert_string_equal(resp->message, want);
        n++;
    }
    st = cg_call_finish(call);
    assert_int_equal(st.code, GRPC_STATUS_OK);
    assert_int_equal(n, 5);
}

static void test_roundtrip_client_stream(void **state)
{
    fixture *f = *state;
    const Tutorial__V1__Response *resp;
    cg_call *call;
    cg_status st;

    call = tutorial__v1__my_service_client__client_stream(f->ch, &opts);
    for (int i = 1; i <= 4; i++) {
        Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
        req.value = i;
        assert_true(cg_call_send(call, &req));
    }
    assert_true(cg_call_close_send(call));
    resp = cg_call_recv(call);
    assert_non_null(resp);
    assert_string_equal(resp->message, "4 requests, sum 10");
    st = cg_call_finish(call);
    assert_int_equal(st.code, GRPC_STATUS_OK);
}

static void test_roundtrip_bidi(void **state)
{
    static const char *const ids[] = {"one", "two", "three"};
    fixture *f = *state;
    cg_call *call;
    cg_status st;

    call = tutorial__v1__my_service_client__bidirectional_stream(f->ch, &opts);
    for (size_t i = 0; i < 3; i++) {
        Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
        const Tutorial__V1__Response *resp;
        char want[32];

        req.id = (char *)ids[i];
        assert_true(cg_call_send(call, &req));
        resp = cg_call_recv(call);
        assert_non_null(resp);
        snprintf(want, sizeof want, "echo %s", ids[i]);
        assert_string_equal(resp->message, want);
    }
    assert_true(cg_call_close_send(call));
    assert_null(cg_call_recv(call));
    st = cg_call_finish(call);
    assert_int_equal(st.code, GRPC_STATUS_OK);
}

/* A server whose table is empty answers every method UNIMPLEMENTED with the
 * message of the generated invoke function. */
static void test_roundtrip_unimplemented(void **state)
{
    fixture *f = *state;
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    Tutorial__V1__Response *resp = NULL;
    cg_call *call;
    cg_status st;

    st = tutorial__v1__my_service_client__unary_call(f->ch, &req, &resp, &opts);
    assert_int_equal(st.code, GRPC_STATUS_UNIMPLEMENTED);
    assert_string_equal(
        st.message, "MyService.UnaryCall is not implemented by this server");
    assert_null(resp);

    call = tutorial__v1__my_service_client__bidirectional_stream(f->ch, &opts);
    assert_null(cg_call_recv(call));
    st = cg_call_finish(call);
    assert_int_equal(st.code, GRPC_STATUS_UNIMPLEMENTED);
    assert_string_equal(
        st.message,
        "MyService.BidirectionalStream is not implemented by this server");
}

/* The invoke function with the real cg_error and no context at all. */
static void test_invoke_null_ctx_real_runtime(void **state)
{
    const cg_method *m = TUTORIAL__V1__MY_SERVICE__SERVER_STREAM__METHOD;
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    cg_status st = m->invoke(&no_handlers, NULL, &req, NULL, NULL);

    (void)state;
    assert_int_equal(st.code, GRPC_STATUS_UNIMPLEMENTED);
    assert_string_equal(
        st.message, "MyService.ServerStream is not implemented by this server");
}

int main(void)
{
    const struct CMUnitTest full[] = {
        cmocka_unit_test(test_roundtrip_unary),
        cmocka_unit_test(test_roundtrip_unary_error),
        cmocka_unit_test(test_roundtrip_server_stream),
        cmocka_unit_test(test_roundtrip_client_stream),
        cmocka_unit_test(test_roundtrip_bidi),
    };
    const struct CMUnitTest empty[] = {
        cmocka_unit_test(test_roundtrip_unimplemented),
        cmocka_unit_test(test_invoke_null_ctx_real_runtime),
    };
    int failed = 0;

    failed +=
        cmocka_run_group_tests_name("plugin_roundtrip", full, start_full, stop);
    failed += cmocka_run_group_tests_name("plugin_roundtrip_unimplemented",
                                          empty, start_empty, stop);
    return failed;
}
