/*
 * test_stubs.c: the code protoc-gen-cgrpc generates for the course's
 * MyService (proto/tutorial/v1/my_service.proto), checked from the outside.
 *
 * The method table must carry the right paths, kinds and descriptors; each
 * invoke function must call its own member of the handler table with the
 * arguments it got, and answer UNIMPLEMENTED for a NULL member; the
 * registration and client functions must hand the right method and messages
 * to the runtime. The runtime here is fake_runtime.c, which records calls, so
 * no network is involved; test_roundtrip.c does the same over a real server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_runtime.h"
#include "tutorial/v1/my_service.cgrpc.h"

#define TABLE tutorial__v1__my_service__grpc_service

/* ---- the method table ---- */

static void test_table_service(void **state)
{
    (void)state;
    assert_string_equal(TABLE.name, "tutorial.v1.MyService");
    assert_int_equal(TABLE.n_methods, 4);
    assert_non_null(TABLE.methods);
    /* The descriptors for reflection: the service's own file first, a
     * FileDescriptorProto whose field 1 (tag 0x0a) is that name. */
    const char *own = "tutorial/v1/my_service.proto";
    assert_true(TABLE.n_files >= 1);
    assert_string_equal(TABLE.files[0].name, own);
    assert_true(TABLE.files[0].len > strlen(own) + 2);
    assert_int_equal(TABLE.files[0].data[0], 0x0a);
    assert_int_equal(TABLE.files[0].data[1], strlen(own));
    assert_memory_equal(TABLE.files[0].data + 2, own, strlen(own));
}

static void test_table_methods(void **state)
{
    static const struct {
        const char *path, *name;
        cg_kind kind;
    } want[] = {
        {"/tutorial.v1.MyService/UnaryCall", "UnaryCall", CG_UNARY},
        {"/tutorial.v1.MyService/ServerStream", "ServerStream",
         CG_SERVER_STREAMING},
        {"/tutorial.v1.MyService/ClientStream", "ClientStream",
         CG_CLIENT_STREAMING},
        {"/tutorial.v1.MyService/BidirectionalStream", "BidirectionalStream",
         CG_BIDI_STREAMING},
    };

    (void)state;
    for (size_t i = 0; i < 4; i++) {
        const cg_method *m = &TABLE.methods[i];
        assert_string_equal(m->path, want[i].path);
        assert_string_equal(m->name, want[i].name);
        assert_int_equal(m->kind, want[i].kind);
        assert_ptr_equal(m->input, &tutorial__v1__request__descriptor);
        assert_ptr_equal(m->output, &tutorial__v1__response__descriptor);
        assert_non_null(m->invoke);
    }
}

static void test_table_macros(void **state)
{
    (void)state;
    assert_ptr_equal(TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD,
                     &TABLE.methods[0]);
    assert_ptr_equal(TUTORIAL__V1__MY_SERVICE__SERVER_STREAM__METHOD,
                     &TABLE.methods[1]);
    assert_ptr_equal(TUTORIAL__V1__MY_SERVICE__CLIENT_STREAM__METHOD,
                     &TABLE.methods[2]);
    assert_ptr_equal(TUTORIAL__V1__MY_SERVICE__BIDIRECTIONAL_STREAM__METHOD,
                     &TABLE.methods[3]);
}

/* ---- invoke functions ---- */

/* What the handlers below saw. */
static struct {
    const char *called;
    cg_ctx *ctx;
    const void *req;
    const void *resp;
    const cg_stream *stream;
} seen;

/* The invoke functions must pass their pointers on untouched, so fake but
 * distinct ones do: they are never dereferenced. */
static char fake_ctx_storage, fake_stream_storage;
#define FAKE_CTX ((cg_ctx *)(void *)&fake_ctx_storage)
#define FAKE_STREAM ((cg_stream *)(void *)&fake_stream_storage)

static cg_status answer(const char *name)
{
    return cg_error(NULL, GRPC_STATUS_ABORTED, "from %s", name);
}

static cg_status on_unary(cg_ctx *ctx, const Tutorial__V1__Request *req,
                          Tutorial__V1__Response *resp)
{
    seen.called = "unary_call";
    seen.ctx = ctx;
    seen.req = req;
    seen.resp = resp;
    return answer(seen.called);
}

static cg_status on_server_stream(cg_ctx *ctx, const Tutorial__V1__Request *req,
                                  cg_stream *out)
{
    seen.called = "server_stream";
    seen.ctx = ctx;
    seen.req = req;
    seen.stream = out;
    return answer(seen.called);
}

static cg_status on_client_stream(cg_ctx *ctx, cg_stream *in,
                                  Tutorial__V1__Response *resp)
{
    seen.called = "client_stream";
    seen.ctx = ctx;
    seen.stream = in;
    seen.resp = resp;
    return answer(seen.called);
}

static cg_status on_bidi(cg_ctx *ctx, cg_stream *stream)
{
    seen.called = "bidirectional_stream";
    seen.ctx = ctx;
    seen.stream = stream;
    return answer(seen.called);
}

static const Tutorial__V1__MyService_Server full = {
    .unary_call = on_unary,
    .server_stream = on_server_stream,
    .client_stream = on_client_stream,
    .bidirectional_stream = on_bidi,
};

static int reset_seen(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    fake_reset();
    return 0;
}

static void test_invoke_unary(void **state)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    Tutorial__V1__Response resp = TUTORIAL__V1__RESPONSE__INIT;
    cg_status st;

    (void)state;
    st = TABLE.methods[0].invoke(&full, FAKE_CTX, &req, &resp, NULL);
    assert_string_equal(seen.called, "unary_call");
    assert_ptr_equal(seen.ctx, FAKE_CTX);
    assert_ptr_equal(seen.req, &req);
    assert_ptr_equal(seen.resp, &resp);
    /* The handler's status comes back unchanged. */
    assert_int_equal(st.code, GRPC_STATUS_ABORTED);
    assert_string_equal(st.message, "from unary_call");
}

static void test_invoke_server_stream(void **state)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    cg_status st;

    (void)state;
    st = TABLE.methods[1].invoke(&full, FAKE_CTX, &req, NULL, FAKE_STREAM);
    assert_string_equal(seen.called, "server_stream");
    assert_ptr_equal(seen.ctx, FAKE_CTX);
    assert_ptr_equal(seen.req, &req);
    assert_ptr_equal(seen.stream, FAKE_STREAM);
    assert_string_equal(st.message, "from server_stream");
}

static void test_invoke_client_stream(void **state)
{
    Tutorial__V1__Response resp = TUTORIAL__V1__RESPONSE__INIT;
    cg_status st;

    (void)state;
    st = TABLE.methods[2].invoke(&full, FAKE_CTX, NULL, &resp, FAKE_STREAM);
    assert_string_equal(seen.called, "client_stream");
    assert_ptr_equal(seen.stream, FAKE_STREAM);
    assert_ptr_equal(seen.resp, &resp);
    assert_string_equal(st.message, "from client_stream");
}

static void test_invoke_bidi(void **state)
{
    cg_status st;

    (void)state;
    st = TABLE.methods[3].invoke(&full, FAKE_CTX, NULL, NULL, FAKE_STREAM);
    assert_string_equal(seen.called, "bidirectional_stream");
    assert_ptr_equal(seen.ctx, FAKE_CTX);
    assert_ptr_equal(seen.stream, FAKE_STREAM);
    assert_string_equal(st.message, "from bidirectional_stream");
}

/* Only one member set: the others must answer UNIMPLEMENTED, naming the
 * method, without calling anything. ctx is NULL: the invoke function only
 * hands it to cg_error, which accepts NULL. */
static void test_invoke_null_member_unimplemented(void **state)
{
    static const Tutorial__V1__MyService_Server only_bidi = {
        .bidirectional_stream = on_bidi,
    };
    static const char *const names[] = {"UnaryCall", "ServerStream",
                                        "ClientStream"};
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    Tutorial__V1__Response resp = TUTORIAL__V1__RESPONSE__INIT;

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        char want[CG_STATUS_MESSAGE_MAX];
        cg_status st = TABLE.methods[i].invoke(
            &only_bidi, NULL, i == 2 ? NULL : &req, i == 1 ? NULL : &resp,
            i == 0 ? NULL : FAKE_STREAM);
        snprintf(want, sizeof want,
                 "MyService.%s is not implemented by this server", names[i]);
        assert_int_equal(st.code, GRPC_STATUS_UNIMPLEMENTED);
        assert_string_equal(st.message, want);
        assert_null(seen.called);
    }
}

static void test_invoke_empty_table_unimplemented(void **state)
{
    static const Tutorial__V1__MyService_Server none = {0};
    cg_status st =
        TABLE.methods[3].invoke(&none, NULL, NULL, NULL, FAKE_STREAM);

    (void)state;
    assert_int_equal(st.code, GRPC_STATUS_UNIMPLEMENTED);
    assert_string_equal(
        st.message,
        "MyService.BidirectionalStream is not implemented by this server");
}

/* ---- registration ---- */

static void test_register_server(void **state)
{
    cg_server *srv = (cg_server *)(void *)&fake_ctx_storage;
    int user;

    (void)state;
    fake.add_service_result = 0;
    assert_int_equal(
        tutorial__v1__my_service__register_server(srv, &full, &user), 0);
    assert_int_equal(fake.add_service_calls, 1);
    assert_ptr_equal(fake.add_service_srv, srv);
    assert_ptr_equal(fake.add_service_svc, &TABLE);
    assert_ptr_equal(fake.add_service_impl, &full);
    assert_ptr_equal(fake.add_service_user, &user);

    /* The runtime's answer is passed on. */
    fake.add_service_result = -1;
    assert_int_equal(
        tutorial__v1__my_service__register_server(srv, &full, NULL), -1);
}

static void test_register_server_null_impl(void **state)
{
    cg_server *srv = (cg_server *)(void *)&fake_ctx_storage;

    (void)state;
    assert_int_equal(tutorial__v1__my_service__register_server(srv, NULL, NULL),
                     -1);
    assert_int_equal(fake.add_service_calls, 0);
}

/* ---- client functions ---- */

static void test_client_unary(void **state)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    Tutorial__V1__Response answer_msg = TUTORIAL__V1__RESPONSE__INIT;
    Tutorial__V1__Response *resp = NULL;
    cg_call_opts opts = {.timeout_ms = 1000};
    cg_status st;

    (void)state;
    fake.unary_resp = &answer_msg;
    st = tutorial__v1__my_service_client__unary_call(NULL, &req, &resp, &opts);
    assert_int_equal(st.code, GRPC_STATUS_OK);
    assert_int_equal(fake.unary_calls, 1);
    assert_ptr_equal(fake.unary_method,
                     TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD);
    assert_ptr_equal(fake.unary_req, &req);
    assert_ptr_equal(fake.unary_opts, &opts);
    assert_ptr_equal(resp, &answer_msg);
}

static void test_client_unary_error(void **state)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    Tutorial__V1__Response *resp = (Tutorial__V1__Response *)&req;
    cg_status st;

    (void)state;
    fake.unary_status = cg_error(NULL, GRPC_STATUS_NOT_FOUND, "no such id");
    st = tutorial__v1__my_service_client__unary_call(NULL, &req, &resp, NULL);
    assert_int_equal(st.code, GRPC_STATUS_NOT_FOUND);
    assert_string_equal(st.message, "no such id");
    assert_null(resp);
}

/* resp == NULL: the stub frees the response itself (valgrind checks). */
static void test_client_unary_drops_response(void **state)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    Tutorial__V1__Response *heap =
        tutorial__v1__response__unpack(NULL, 0, NULL);
    cg_status st;

    (void)state;
    assert_non_null(heap);
    fake.unary_resp = heap;
    st = tutorial__v1__my_service_client__unary_call(NULL, &req, NULL, NULL);
    assert_int_equal(st.code, GRPC_STATUS_OK);
    assert_null(fake.unary_resp);
}

static void test_client_server_stream(void **state)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    cg_call_opts opts = {.ready = CG_READY_WAIT};
    cg_call *call;

    (void)state;
    call = tutorial__v1__my_service_client__server_stream(NULL, &req, &opts);
    assert_ptr_equal(call, fake_call());
    assert_ptr_equal(fake.start_method,
                     TUTORIAL__V1__MY_SERVICE__SERVER_STREAM__METHOD);
    assert_ptr_equal(fake.start_opts, &opts);
    assert_ptr_equal(fake.sent, &req);
    /* The one request goes out, then the sending side closes. */
    assert_string_equal(fake.trace, "start send close");
}

static void test_client_client_stream(void **state)
{
    cg_call *call;

    (void)state;
    call = tutorial__v1__my_service_client__client_stream(NULL, NULL);
    assert_ptr_equal(call, fake_call());
    assert_ptr_equal(fake.start_method,
                     TUTORIAL__V1__MY_SERVICE__CLIENT_STREAM__METHOD);
    assert_null(fake.start_opts);
    /* Sending is the caller's business. */
    assert_string_equal(fake.trace, "start");
}

static void test_client_bidi(void **state)
{
    cg_call_opts opts = {.timeout_ms = 5};
    cg_call *call;

    (void)state;
    call = tutorial__v1__my_service_client__bidirectional_stream(NULL, &opts);
    assert_ptr_equal(call, fake_call());
    assert_ptr_equal(fake.start_method,
                     TUTORIAL__V1__MY_SERVICE__BIDIRECTIONAL_STREAM__METHOD);
    assert_ptr_equal(fake.start_opts, &opts);
    assert_string_equal(fake.trace, "start");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_service),
        cmocka_unit_test(test_table_methods),
        cmocka_unit_test(test_table_macros),
        cmocka_unit_test_setup(test_invoke_unary, reset_seen),
        cmocka_unit_test_setup(test_invoke_server_stream, reset_seen),
        cmocka_unit_test_setup(test_invoke_client_stream, reset_seen),
        cmocka_unit_test_setup(test_invoke_bidi, reset_seen),
        cmocka_unit_test_setup(test_invoke_null_member_unimplemented,
                               reset_seen),
        cmocka_unit_test_setup(test_invoke_empty_table_unimplemented,
                               reset_seen),
        cmocka_unit_test_setup(test_register_server, reset_seen),
        cmocka_unit_test_setup(test_register_server_null_impl, reset_seen),
        cmocka_unit_test_setup(test_client_unary, reset_seen),
        cmocka_unit_test_setup(test_client_unary_error, reset_seen),
        cmocka_unit_test_setup(test_client_unary_drops_response, reset_seen),
        cmocka_unit_test_setup(test_client_server_stream, reset_seen),
        cmocka_unit_test_setup(test_client_client_stream, reset_seen),
        cmocka_unit_test_setup(test_client_bidi, reset_seen),
    };

    return cmocka_run_group_tests_name("plugin_stubs", tests, NULL, NULL);
}
