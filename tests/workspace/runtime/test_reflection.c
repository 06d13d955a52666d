/*
 * test_reflection.c: server reflection (cg_server_enable_reflection), asked
 * by a reflection client written here, as grpcurl or buf curl would ask:
 * one ServerReflectionInfo stream, request after request, over v1 and
 * v1alpha. The server serves rt.reflect.Lookup (rt_reflect.proto, which
 * imports rt_reflect_types.proto, which imports rt_reflect_base.proto;
 * code and descriptors from protoc-gen-cgrpc) and the hand-written rt.Test
 * table, which has no descriptors. Descriptors that come back are read with
 * protobuf-c's own descriptor.proto types.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "grpc/reflection/v1/reflection.cgrpc.h"
#include "grpc/reflection/v1alpha/reflection.cgrpc.h"
#include "rt_reflect.cgrpc.h"
#include "rt_util.h"
#include "server.h"

typedef Grpc__Reflection__V1__ServerReflectionRequest req_t;
typedef Grpc__Reflection__V1__ServerReflectionResponse resp_t;
typedef Google__Protobuf__FileDescriptorProto file_t;

#define RESP(x)                                                                \
    GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_##x
#define REQ(x)                                                                 \
    GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_##x

static const Rt__Reflect__Lookup_Server lookup_impl = {0};

static void setup(cg_server *srv, void *user)
{
    int *rc = user;
    *rc = rt__reflect__lookup__register_server(srv, &lookup_impl, NULL);
    *rc |= cg_server_enable_reflection(srv);
    *rc |= rt__test__register_server(srv, &(Rt__Test_Server){0}, NULL);
}

/* One server with reflection on for the whole suite (started in the group
 * setup: a server per test costs seconds under valgrind). */
static cg_server *server;
static char target[64];

static int group_setup(void **state)
{
    int rc = -1, port = 0;

    rt_group_setup(state);
    server = cg_test_server_start(setup, &rc, &port);
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    return server != NULL && rc == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    cg_server_free(server);
    return rt_group_teardown(state);
}

/* A channel to the server and an open reflection stream. */
typedef struct fixture {
    cg_channel *ch;
    cg_call *call;
    bool alpha;
} fixture;

static void open_stream(fixture *f, bool alpha)
{
    f->ch = cg_channel_new(target, NULL, NULL);
    assert_non_null(f->ch);
    f->alpha = alpha;
    cg_call_opts o = rt_opts(20000);
    f->call = cg_call_start(
        f->ch,
        alpha
            ? GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION__SERVER_REFLECTION_INFO__METHOD
            : GRPC__REFLECTION__V1__SERVER_REFLECTION__SERVER_REFLECTION_INFO__METHOD,
        &o);
}

static void close_stream(fixture *f)
{
    assert_true(cg_call_close_send(f->call));
    cg_status st = cg_call_finish(f->call);
    assert_int_equal(st.code, GRPC_STATUS_OK);
    cg_channel_free(f->ch);
}

/* Sends one request and returns the one response (as v1 whatever the
 * stream's version: v1alpha is re-encoded, the wire format being the
 * same). Free it with protobuf_c_message_free_unpacked. */
static resp_t *ask(fixture *f, const req_t *req)
{
    const ProtobufCMessageDescriptor *in =
        f->alpha
            ? &grpc__reflection__v1alpha__server_reflection_request__descriptor
            : &grpc__reflection__v1__server_reflection_request__descriptor;
    uint8_t buf[1024];
    size_t len = protobuf_c_message_pack(&req->base, buf);
    ProtobufCMessage *msg = protobuf_c_message_unpack(in, NULL, len, buf);
    assert_non_null(msg);
    assert_true(cg_call_send(f->call, msg));
    protobuf_c_message_free_unpacked(msg, NULL);

    const ProtobufCMessage *got = cg_call_recv(f->call);
    assert_non_null(got);
    const char *want = f->alpha
                           ? "grpc.reflection.v1alpha.ServerReflectionResponse"
                           : "grpc.reflection.v1.ServerReflectionResponse";
    assert_string_equal(got->descriptor->name, want);
    uint8_t *out = malloc(protobuf_c_message_get_packed_size(got));
    len = protobuf_c_message_pack(got, out);
    resp_t *r = grpc__reflection__v1__server_reflection_response__unpack(
        NULL, len, out);
    free(out);
    assert_non_null(r);
    return r;
}

static resp_t *ask_string(fixture *f, int which, const char *value)
{
    req_t req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    req.host = "test-host";
    req.message_request_case = which;
    switch (which) {
    case REQ(FILE_BY_FILENAME):
        req.file_by_filename = (char *)value;
        break;
    case REQ(FILE_CONTAINING_SYMBOL):
        req.file_containing_symbol = (char *)value;
        break;
    case REQ(ALL_EXTENSION_NUMBERS_OF_TYPE):
        req.all_extension_numbers_of_type = (char *)value;
        break;
    case REQ(LIST_SERVICES):
        req.list_services = (char *)value;
        break;
    }
    resp_t *r = ask(f, &req);
    assert_string_equal(r->valid_host, "test-host");
    assert_non_null(r->original_request);
    assert_int_equal(r->original_request->message_request_case, which);
    return r;
}

/* The names of the files in a file_descriptor_response, comma-separated,
 * each parsed back as a FileDescriptorProto. */
static void file_names(const resp_t *r, char *out, size_t n)
{
    out[0] = '\0';
    assert_int_equal(r->message_response_case, RESP(FILE_DESCRIPTOR_RESPONSE));
    const Grpc__Reflection__V1__FileDescriptorResponse *fr =
        r->file_descriptor_response;
    for (size_t i = 0; i < fr->n_file_descriptor_proto; i++) {
        file_t *fd = google__protobuf__file_descriptor_proto__unpack(
            NULL, fr->file_descriptor_proto[i].len,
            fr->file_descriptor_proto[i].data);
        assert_non_null(fd);
        snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? "," : "",
                 fd->name);
        google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
    }
}

static void expect_files(fixture *f, int which, const char *value,
                         const char *want)
{
    char got[512];
    resp_t *r = ask_string(f, which, value);
    if (r->message_response_case == RESP(ERROR_RESPONSE))
        fail_msg("%s: error %d %s", value, r->error_response->error_code,
                 r->error_response->error_message);
    file_names(r, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got files \"%s\", want \"%s\"", value, got, want);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void expect_not_found(fixture *f, int which, const char *value)
{
    resp_t *r = ask_string(f, which, value);
    if (r->message_response_case != RESP(ERROR_RESPONSE))
        fail_msg("%s: answered (case %d), want NOT_FOUND", value,
                 (int)r->message_response_case);
    assert_int_equal(r->error_response->error_code, GRPC_STATUS_NOT_FOUND);
    assert_true(strlen(r->error_response->error_message) > 0);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

#define ALL3 "rt_reflect.proto,rt_reflect_types.proto,rt_reflect_base.proto"
#define TYPES2 "rt_reflect_types.proto,rt_reflect_base.proto"
#define BASE1 "rt_reflect_base.proto"

/* ---- list_services ---------------------------------------------------- */

static void check_list(bool alpha)
{
    fixture f;
    open_stream(&f, alpha);
    resp_t *r = ask_string(&f, REQ(LIST_SERVICES), "*");
    assert_int_equal(r->message_response_case, RESP(LIST_SERVICES_RESPONSE));
    const char *want[] = {
        "rt.reflect.Lookup", "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection", "rt.Test"};
    assert_int_equal(r->list_services_response->n_service, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(r->list_services_response->service[i]->name,
                            want[i]);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    close_stream(&f);
}

static void test_reflection_lists_services_v1(void **state)
{
    (void)state;
    check_list(false);
}

static void test_reflection_lists_services_v1alpha(void **state)
{
    (void)state;
    check_list(true);
}

/* ---- files by name and by symbol ------------------------------------- */

static void test_reflection_file_by_name_with_imports(void **state)
{
    (void)state;
    fixture f;
    open_stream(&f, false);
    expect_files(&f, REQ(FILE_BY_FILENAME), "rt_reflect.proto", ALL3);
    expect_files(&f, REQ(FILE_BY_FILENAME), "rt_reflect_types.proto", TYPES2);
    expect_files(&f, REQ(FILE_BY_FILENAME), "rt_reflect_base.proto", BASE1);
    expect_files(&f, REQ(FILE_BY_FILENAME),
                 "grpc/reflection/v1alpha/reflection.proto",
                 "grpc/reflection/v1alpha/reflection.proto");
    expect_not_found(&f, REQ(FILE_BY_FILENAME), "rt_test.proto");
    expect_not_found(&f, REQ(FILE_BY_FILENAME), "");
    close_stream(&f);
}

static void check_symbols(bool alpha)
{
    static const struct {
        const char *sym, *files;
    } cases[] = {
        {"rt.reflect.Lookup", ALL3},             /* service */
        {"rt.reflect.Lookup.Watch", ALL3},       /* method */
        {".rt.reflect.Lookup.Get", ALL3},        /* leading dot */
        {"rt.reflect.Outer", TYPES2},            /* message */
        {"rt.reflect.Outer.Inner", TYPES2},      /* nested message */
        {"rt.reflect.Outer.Inner.text", TYPES2}, /* its field */
        {"rt.reflect.Outer.Mood", TYPES2},       /* nested enum */
        {"rt.reflect.Outer.MOOD_GLAD", TYPES2},  /* its value */
        {"rt.reflect.Outer.pick", TYPES2},       /* oneof */
        {"rt.reflect.weight", TYPES2},           /* extension */
        {"rt.reflect.Holder.label", TYPES2},     /* nested extension */
        {"rt.reflect.Color", BASE1},             /* enum */
        {"rt.reflect.COLOR_RED", BASE1},         /* enum value */
        {"rt.reflect.Base", BASE1},
        {"grpc.reflection.v1.ServerReflection",
         "grpc/reflection/v1/reflection.proto"},
        {"grpc.reflection.v1alpha.ServerReflection.ServerReflectionInfo",
         "grpc/reflection/v1alpha/reflection.proto"},
    };
    fixture f;
    open_stream(&f, alpha);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_files(&f, REQ(FILE_CONTAINING_SYMBOL), cases[i].sym,
                     cases[i].files);
    close_stream(&f);
}

static void test_reflection_file_containing_symbol_v1(void **state)
{
    (void)state;
    check_symbols(false);
}

static void test_reflection_file_containing_symbol_v1alpha(void **state)
{
    (void)state;
    check_symbols(true);
}

/* Unknown names: an error_response NOT_FOUND each, on the same stream,
 * which keeps answering. */
static void check_unknown(bool alpha)
{
    static const char *const unknown[] = {
        "rt.reflect.Nope",
        "rt.reflect.Outer.Inner.nope",
        "rt.reflect",
        "rt.reflectX.Outer",
        "rt.reflect.OuterX",
        "rt.reflect.Outer.MOOD_GLADX",
        "rt.reflect.Mood",
        "rt.reflect.Outer.Inner.MOOD_GLAD",
        "",
        ".",
        "rt.Test",
        "rt.Test.Echo",
        "grpc.reflection.v2.ServerReflection",
    };
    fixture f;
    open_stream(&f, alpha);
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        expect_not_found(&f, REQ(FILE_CONTAINING_SYMBOL), unknown[i]);
    expect_files(&f, REQ(FILE_CONTAINING_SYMBOL), "rt.reflect.Outer", TYPES2);
    close_stream(&f);
}

static void test_reflection_unknown_symbol_not_found_v1(void **state)
{
    (void)state;
    check_unknown(false);
}

static void test_reflection_unknown_symbol_not_found_v1alpha(void **state)
{
    (void)state;
    check_unknown(true);
}

/* ---- extensions ------------------------------------------------------ */

static resp_t *ask_extension(fixture *f, const char *type, int number)
{
    req_t req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    Grpc__Reflection__V1__ExtensionRequest e =
        GRPC__REFLECTION__V1__EXTENSION_REQUEST__INIT;
    e.containing_type = (char *)type;
    e.extension_number = number;
    req.message_request_case = REQ(FILE_CONTAINING_EXTENSION);
    req.file_containing_extension = &e;
    return ask(f, &req);
}

static void test_reflection_file_containing_extension(void **state)
{
    (void)state;
    static const struct {
        const char *type;
        int number;
        bool found;
    } cases[] = {
        {"rt.reflect.Base", 100, true},   {"rt.reflect.Base", 101, true},
        {".rt.reflect.Base", 100, true},  {"rt.reflect.Base", 150, false},
        {"rt.reflect.Base", 0, false},    {"rt.reflect.Nope", 100, false},
        {"rt.reflect.Outer", 100, false},
    };
    fixture f;
    open_stream(&f, false);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        resp_t *r = ask_extension(&f, cases[i].type, cases[i].number);
        if (cases[i].found) {
            char got[256];
            file_names(r, got, sizeof got);
            assert_string_equal(got, TYPES2);
        } else {
            if (r->message_response_case != RESP(ERROR_RESPONSE))
                fail_msg("%s %d: answered, want NOT_FOUND", cases[i].type,
                         cases[i].number);
            assert_int_equal(r->error_response->error_code,
                             GRPC_STATUS_NOT_FOUND);
        }
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    close_stream(&f);
}

static void test_reflection_all_extension_numbers(void **state)
{
    (void)state;
    fixture f;
    open_stream(&f, true);
    resp_t *r =
        ask_string(&f, REQ(ALL_EXTENSION_NUMBERS_OF_TYPE), "rt.reflect.Base");
    assert_int_equal(r->message_response_case,
                     RESP(ALL_EXTENSION_NUMBERS_RESPONSE));
    const Grpc__Reflection__V1__ExtensionNumberResponse *n =
        r->all_extension_numbers_response;
    assert_string_equal(n->base_type_name, "rt.reflect.Base");
    assert_int_equal(n->n_extension_number, 2);
    assert_int_equal(n->extension_number[0], 100);
    assert_int_equal(n->extension_number[1], 101);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    /* A message nobody extends: an answer with no numbers. */
    r = ask_string(&f, REQ(ALL_EXTENSION_NUMBERS_OF_TYPE), "rt.reflect.Outer");
    assert_int_equal(r->message_response_case,
                     RESP(ALL_EXTENSION_NUMBERS_RESPONSE));
    assert_string_equal(r->all_extension_numbers_response->base_type_name,
                        "rt.reflect.Outer");
    assert_int_equal(r->all_extension_numbers_response->n_extension_number, 0);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    /* Not a message type of this server: NOT_FOUND. */
    expect_not_found(&f, REQ(ALL_EXTENSION_NUMBERS_OF_TYPE), "rt.reflect.Nope");
    expect_not_found(&f, REQ(ALL_EXTENSION_NUMBERS_OF_TYPE),
                     "rt.reflect.Color");
    expect_not_found(&f, REQ(ALL_EXTENSION_NUMBERS_OF_TYPE),
                     "rt.reflect.Lookup");
    close_stream(&f);
}

/* ---- the descriptors themselves -------------------------------------- */

static void test_reflection_descriptor_parses_back(void **state)
{
    (void)state;
    fixture f;
    open_stream(&f, false);
    resp_t *r =
        ask_string(&f, REQ(FILE_CONTAINING_SYMBOL), "rt.reflect.Lookup");
    assert_int_equal(r->message_response_case, RESP(FILE_DESCRIPTOR_RESPONSE));
    ProtobufCBinaryData *b =
        &r->file_descriptor_response->file_descriptor_proto[0];
    file_t *fd =
        google__protobuf__file_descriptor_proto__unpack(NULL, b->len, b->data);
    assert_non_null(fd);
    assert_string_equal(fd->name, "rt_reflect.proto");
    assert_string_equal(fd->package, "rt.reflect");
    assert_string_equal(fd->syntax, "proto3");
    assert_int_equal(fd->n_dependency, 1);
    assert_string_equal(fd->dependency[0], "rt_reflect_types.proto");
    assert_null(fd->source_code_info); /* left out by the generator */
    assert_int_equal(fd->n_service, 1);
    const Google__Protobuf__ServiceDescriptorProto *svc = fd->service[0];
    assert_string_equal(svc->name, "Lookup");
    assert_int_equal(svc->n_method, 2);
    assert_string_equal(svc->method[0]->name, "Get");
    assert_string_equal(svc->method[0]->input_type, ".rt.reflect.Outer");
    assert_string_equal(svc->method[0]->output_type, ".rt.reflect.Outer.Inner");
    assert_false(svc->method[0]->server_streaming);
    assert_string_equal(svc->method[1]->name, "Watch");
    assert_true(svc->method[1]->server_streaming);
    google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    close_stream(&f);
}

/* ---- requests that ask nothing, or are not protobuf ------------------- */

static void test_reflection_empty_request_invalid_argument(void **state)
{
    (void)state;
    fixture f;
    open_stream(&f, false);
    req_t req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    resp_t *r = ask(&f, &req);
    assert_int_equal(r->message_response_case, RESP(ERROR_RESPONSE));
    assert_int_equal(r->error_response->error_code,
                     GRPC_STATUS_INVALID_ARGUMENT);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    /* The stream goes on. */
    expect_files(&f, REQ(FILE_BY_FILENAME), "rt_reflect_base.proto", BASE1);
    close_stream(&f);
}

/* Bytes that are no ServerReflectionRequest (field 3 is a string, sent
 * here as a number): the call ends INTERNAL, the server carries on. */
static void test_reflection_malformed_request_ends_call(void **state)
{
    (void)state;
    static const cg_method raw = {
        .path = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        .name = "ServerReflectionInfo",
        .kind = CG_BIDI_STREAMING,
        .input = &rt__msg__descriptor,
        .output = &grpc__reflection__v1__server_reflection_response__descriptor,
    };
    fixture f;
    open_stream(&f, false);
    cg_call_opts o = rt_opts(20000);
    cg_call *bad = cg_call_start(f.ch, &raw, &o);
    Rt__Msg m = rt_msg("", 3);
    assert_true(cg_call_send(bad, &m));
    assert_null(cg_call_recv(bad));
    cg_status st = cg_call_finish(bad);
    assert_int_equal(st.code, GRPC_STATUS_INTERNAL);
    expect_files(&f, REQ(FILE_CONTAINING_SYMBOL), "rt.reflect.Base", BASE1);
    close_stream(&f);
}

/* ---- enabling -------------------------------------------------------- */

static void test_reflection_enable_once_before_start(void **state)
{
    (void)state;
    rt_capture cap;
    char said[512];
    cg_server *srv = cg_server_new(NULL);
    assert_int_equal(cg_server_enable_reflection(srv), 0);
    rt_capture_begin(&cap);
    int again = cg_server_enable_reflection(srv);
    rt_capture_end(&cap, said, sizeof said);
    assert_int_equal(again, -1);
    assert_non_null(strstr(said, "already registered"));
    size_t n;
    cgi_server_services(srv, &n);
    assert_int_equal(n, 2);
    assert_int_equal(cg_server_listen(srv, "127.0.0.1:0", NULL, NULL) > 0, 1);
    assert_int_equal(cg_server_start(srv), 0);
    cg_server *late = srv;
    rt_capture_begin(&cap);
    int after = cg_server_enable_reflection(late);
    rt_capture_end(&cap, said, sizeof said);
    assert_int_equal(after, -1);
    assert_non_null(strstr(said, "before cg_server_start"));
    cg_server_free(srv);
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reflection_lists_services_v1),
        cmocka_unit_test(test_reflection_lists_services_v1alpha),
        cmocka_unit_test(test_reflection_file_by_name_with_imports),
        cmocka_unit_test(test_reflection_file_containing_symbol_v1),
        cmocka_unit_test(test_reflection_file_containing_symbol_v1alpha),
        cmocka_unit_test(test_reflection_unknown_symbol_not_found_v1),
        cmocka_unit_test(test_reflection_unknown_symbol_not_found_v1alpha),
        cmocka_unit_test(test_reflection_file_containing_extension),
        cmocka_unit_test(test_reflection_all_extension_numbers),
        cmocka_unit_test(test_reflection_descriptor_parses_back),
        cmocka_unit_test(test_reflection_empty_request_invalid_argument),
        cmocka_unit_test(test_reflection_malformed_request_ends_call),
        cmocka_unit_test(test_reflection_enable_once_before_start),
    };
    return cmocka_run_group_tests_name("reflection", tests, group_setup,
                                       group_teardown);
}
