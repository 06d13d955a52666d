/*
 * test_codegen.c: exercise 1, the codegen rule (codegen.mk).
 *
 * Before the tests run, the build ran your rule into a fresh directory,
 *     make -f codegen.mk OUT=build/steps/03-codegen/<mode>/learner-gen codegen
 * and kept everything it printed in codegen.log beside it. These tests look
 * at what came out: the files exist where they should, they compile, they
 * declare what steps 4 and 5 use, and a second run has nothing left to do.
 * None of this code #includes the generated files: a rule that does not
 * work yet must not stop the tests from building.
 */
#define LESSON_PAGE "steps/03-codegen.md"
#define EXERCISE_FILE "codegen.mk"
#include "lesson.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "codegen_check.h"

#define OUT STEP03_OUT
#define MY "tutorial/v1/my_service"

/* ---- the run of the rule ------------------------------------------------- */

static void test_codegen_rule_runs(void **state)
{
    (void)state;
    int status = cg_log_status();
    expect_true(status != CG_NO_LOG, "#when-the-rule-fails",
                "%s does not exist: the build did not run codegen.mk. Run "
                "`make test` (not the test program alone).",
                cg_rel(STEP03_LOG));
    expect_true(status == 0, "#when-the-rule-fails",
                "make -f codegen.mk codegen failed (exit status %d). What it "
                "printed:\n%s",
                status, cg_log_tail(25));
}

static void test_codegen_message_code(void **state)
{
    (void)state;
    cg_expect_file(MY ".pb-c.h", "#what-protoc-gen-c-writes");
    cg_expect_file(MY ".pb-c.c", "#what-protoc-gen-c-writes");
}

static void test_codegen_stub_files(void **state)
{
    (void)state;
    cg_expect_file(MY ".cgrpc.h", "#running-protoc-with-two-plugins");
    cg_expect_file(MY ".cgrpc.c", "#running-protoc-with-two-plugins");
}

static void test_codegen_every_course_proto(void **state)
{
    (void)state;
    static const char *const kinds[] = {".pb-c.c", ".pb-c.h", ".cgrpc.c",
                                        ".cgrpc.h"};
    char names[CG_MAX_PROTOS][CG_PATH];
    size_t n = cg_course_protos(names);
    expect_true(n >= 2, "#choosing-the-proto-files",
                "found only %zu .proto files in proto/tutorial/v1", n);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < 4; k++) {
            char rel[CG_PATH + 16];
            snprintf(rel, sizeof rel, "%s%s", names[i], kinds[k]);
            cg_expect_file(rel, "#choosing-the-proto-files");
        }
}

/* ---- what is in the files ------------------------------------------------ */

/* Every generated .c compiles with -Wall -Wextra -Werror, my_service first. */
static void test_codegen_files_compile(void **state)
{
    (void)state;
    cg_expect_compiles(MY ".pb-c.c", "#what-protoc-gen-c-writes");
    cg_expect_compiles(MY ".cgrpc.c", "#what-protoc-gen-cgrpc-writes");
    char names[CG_MAX_PROTOS][CG_PATH];
    size_t n = cg_course_protos(names);
    for (size_t i = 0; i < n; i++) {
        char rel[CG_PATH + 16];
        snprintf(rel, sizeof rel, "%s.pb-c.c", names[i]);
        cg_expect_compiles(rel, "#what-protoc-gen-c-writes");
        snprintf(rel, sizeof rel, "%s.cgrpc.c", names[i]);
        cg_expect_compiles(rel, "#what-protoc-gen-cgrpc-writes");
    }
}

static void test_codegen_method_table(void **state)
{
    (void)state;
    cg_text h = cg_read(MY ".cgrpc.h", "#running-protoc-with-two-plugins");
    cg_text c = cg_read(MY ".cgrpc.c", "#running-protoc-with-two-plugins");
    cg_expect_word(&h, "tutorial__v1__my_service__grpc_service",
                   "#the-method-table");
    cg_expect_word(&h, "cg_service", "#the-method-table");
    cg_expect_word(&h, "TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD",
                   "#the-method-table");
    static const char *const paths[] = {
        "\"/tutorial.v1.MyService/UnaryCall\"",
        "\"/tutorial.v1.MyService/ServerStream\"",
        "\"/tutorial.v1.MyService/ClientStream\"",
        "\"/tutorial.v1.MyService/BidirectionalStream\"",
    };
    for (size_t i = 0; i < 4; i++)
        cg_expect_text(&c, paths[i], "#the-method-table");
    static const char *const kinds[] = {"CG_UNARY", "CG_SERVER_STREAMING",
                                        "CG_CLIENT_STREAMING",
                                        "CG_BIDI_STREAMING"};
    for (size_t i = 0; i < 4; i++)
        cg_expect_word(&c, kinds[i], "#the-method-table");
    cg_free(&h);
    cg_free(&c);
}

static void test_codegen_server_vtable(void **state)
{
    (void)state;
    cg_text h = cg_read(MY ".cgrpc.h", "#running-protoc-with-two-plugins");
    cg_text body = cg_struct_body(&h, "Tutorial__V1__MyService_Server",
                                  "#the-server-vtable");
    static const char *const members[] = {
        "unary_call", "server_stream", "client_stream", "bidirectional_stream"};
    for (size_t i = 0; i < 4; i++)
        cg_expect_word(&body, members[i], "#the-server-vtable");
    cg_free(&body);
    cg_free(&h);
}

static void test_codegen_register_function(void **state)
{
    (void)state;
    cg_text h = cg_read(MY ".cgrpc.h", "#running-protoc-with-two-plugins");
    cg_expect_word(&h, "tutorial__v1__my_service__register_server",
                   "#the-register-function");
    cg_free(&h);
}

static void test_codegen_client_stubs(void **state)
{
    (void)state;
    cg_text h = cg_read(MY ".cgrpc.h", "#running-protoc-with-two-plugins");
    cg_text pbc = cg_read(MY ".pb-c.h", "#what-protoc-gen-c-writes");
    static const char *const methods[] = {
        "unary_call", "server_stream", "client_stream", "bidirectional_stream"};
    for (size_t i = 0; i < 4; i++) {
        char name[96];
        snprintf(name, sizeof name, "tutorial__v1__my_service_client__%s",
                 methods[i]);
        cg_expect_word(&h, name, "#the-client-stubs");
        /* protobuf-c's own closure-style function of the same method. */
        snprintf(name, sizeof name, "tutorial__v1__my_service__%s", methods[i]);
        cg_expect_word(&pbc, name, "#why-the-names-differ");
    }
    cg_free(&pbc);
    cg_free(&h);
}

/* A program written the way steps 4 and 5 use the stubs must compile
 * against the generated header (tests/03-codegen/probe/use_stubs.c). */
static void test_codegen_stubs_usable(void **state)
{
    (void)state;
    cg_expect_file(MY ".cgrpc.h", "#running-protoc-with-two-plugins");
    cg_expect_probe_compiles("#what-protoc-gen-cgrpc-writes");
}

static void test_codegen_second_run_does_nothing(void **state)
{
    (void)state;
    cg_expect_file(MY ".cgrpc.h", "#running-protoc-with-two-plugins");
    cg_expect_up_to_date("#a-rule-make-can-trust");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codegen_rule_runs),
        cmocka_unit_test(test_codegen_message_code),
        cmocka_unit_test(test_codegen_stub_files),
        cmocka_unit_test(test_codegen_every_course_proto),
        cmocka_unit_test(test_codegen_files_compile),
        cmocka_unit_test(test_codegen_method_table),
        cmocka_unit_test(test_codegen_server_vtable),
        cmocka_unit_test(test_codegen_register_function),
        cmocka_unit_test(test_codegen_client_stubs),
        cmocka_unit_test(test_codegen_stubs_usable),
        cmocka_unit_test(test_codegen_second_run_does_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
