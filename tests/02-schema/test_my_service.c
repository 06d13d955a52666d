/*
 * test_my_service.c: exercise 1, MyService and its messages (my_service.proto).
 *
 * The build compiled your my_service.proto with protoc into a descriptor set;
 * these tests read it back and compare it, in .proto syntax, with the
 * outline's schema.
 */
#define LESSON_PAGE "steps/02-schema.md"
#define EXERCISE_FILE "my_service.proto"
#include "lesson.h"

#include "descset.h"

static ds_set *set;
static const ds_file *file;

static int load(void **state)
{
    (void)state;
    set = ds_load("my_service.desc");
    file = ds_find_file(set, "my_service.proto");
    return file ? 0 : -1;
}

static int unload(void **state)
{
    (void)state;
    ds_free(set);
    return 0;
}

#define expect_text(what, got, want, section)                                  \
    expect_true(strcmp((got), (want)) == 0, section,                           \
                "%s\n      expected: %s\n      got:      %s", what, want, got)

static const ds_service *my_service(void)
{
    char names[DS_TEXT];
    const ds_service *s = ds_find_service(file, "MyService");
    if (!s)
        expect_fail("#services-and-the-stream-keyword",
                    "my_service.proto has no service MyService (services: %s)",
                    ds_names_text(file, 's', names, sizeof names));
    return s;
}

static const ds_message *message(const char *name)
{
    char names[DS_TEXT];
    const ds_message *m = ds_find_message(file, name);
    if (!m)
        expect_fail("#messages-and-field-numbers",
                    "my_service.proto has no message %s (messages: %s)", name,
                    ds_names_text(file, 'm', names, sizeof names));
    return m;
}

static void test_my_service_package(void **state)
{
    (void)state;
    const char *pkg = ds_package(file);
    expect_text("my_service.proto: package", *pkg ? pkg : "(no package)",
                "tutorial.v1", "#style-rules");
}

static void test_my_service_methods(void **state)
{
    (void)state;
    char got[DS_TEXT];
    expect_text("MyService's methods, in order",
                ds_method_names(my_service(), got, sizeof got),
                "UnaryCall, ServerStream, ClientStream, BidirectionalStream",
                "#services-and-the-stream-keyword");
}

static void test_my_service_streaming(void **state)
{
    (void)state;
    static const char *const want[][2] = {
        {"UnaryCall", "rpc UnaryCall(Request) returns (Response)"},
        {"ServerStream", "rpc ServerStream(Request) returns (stream Response)"},
        {"ClientStream", "rpc ClientStream(stream Request) returns (Response)"},
        {"BidirectionalStream",
         "rpc BidirectionalStream(stream Request) returns (stream Response)"},
    };
    const ds_service *s = my_service();
    char got[DS_TEXT];

    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const ds_method *m = ds_find_method(s, want[i][0]);
        expect_true(m != NULL, "#services-and-the-stream-keyword",
                    "MyService has no method %s; add: %s", want[i][0],
                    want[i][1]);
        expect_text("MyService method", ds_method_text(m, 0, got, sizeof got),
                    want[i][1], "#services-and-the-stream-keyword");
    }
}

/* What a client puts in the HTTP/2 :path header: /package.Service/Method. */
static void test_my_service_call_paths(void **state)
{
    (void)state;
    const ds_service *s = my_service();
    char got[DS_TEXT] = "";

    for (size_t i = 0; i < s->n_method; i++)
        ds_appendf(got, sizeof got, "%s/%s%s%s/%s", i ? " " : "",
                   ds_package(file), *ds_package(file) ? "." : "", s->name,
                   s->method[i]->name);
    expect_text("the paths of MyService's calls", got,
                "/tutorial.v1.MyService/UnaryCall"
                " /tutorial.v1.MyService/ServerStream"
                " /tutorial.v1.MyService/ClientStream"
                " /tutorial.v1.MyService/BidirectionalStream",
                "#services-and-the-stream-keyword");
}

static void test_my_service_request_fields(void **state)
{
    (void)state;
    char got[DS_TEXT];
    expect_text(
        "message Request", ds_fields_text(message("Request"), got, sizeof got),
        "string id = 1; int32 value = 2", "#messages-and-field-numbers");
}

static void test_my_service_response_fields(void **state)
{
    (void)state;
    char got[DS_TEXT];
    expect_text("message Response",
                ds_fields_text(message("Response"), got, sizeof got),
                "bool success = 1; string message = 2",
                "#messages-and-field-numbers");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_my_service_package),
        cmocka_unit_test(test_my_service_methods),
        cmocka_unit_test(test_my_service_streaming),
        cmocka_unit_test(test_my_service_call_paths),
        cmocka_unit_test(test_my_service_request_fields),
        cmocka_unit_test(test_my_service_response_fields),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
