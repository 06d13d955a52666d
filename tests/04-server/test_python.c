/*
 * test_python.c: your server program called from another language. The
 * client is Python's grpcio (tests/04-server/py_client.py) with stubs that
 * grpc_tools.protoc made from the same .proto files; it knows nothing of C,
 * cgrpc or protobuf-c, only the schema and HTTP/2.
 *
 * It needs Debian's python3-grpcio and python3-grpc-tools for
 * /usr/bin/python3. Without them the tests are skipped, and say why.
 */
#define LESSON_PAGE "steps/04-server.md"
#define EXERCISE_FILE "main.c"
#include "lesson.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"
#include "proc.h"

#define PY_CLIENT ROOT_DIR "/tests/04-server/py_client.py"

/* Skips the test unless the build made the Python stubs. */
static void need_python(void)
{
    char status[2048] = "";
    FILE *f = fopen(STEP04_PY_DIR "/status.txt", "r");
    if (f != NULL) {
        size_t n = fread(status, 1, sizeof status - 1, f);
        status[n] = '\0';
        fclose(f);
    }
    if (strncmp(status, "ok", 2) == 0)
        return;
    if (strncmp(status, "skip:", 5) == 0) {
        const char *why = status + 5;
        while (*why == ' ')
            why++;
        printf("  skipped: %s", why);
        skip();
    }
    expect_fail("#calling-your-server-from-python",
                "the Python stubs were not made (%s/status.txt): %s",
                STEP04_PY_DIR, status[0] ? status : "file missing");
}

/* Runs py_client.py --case `which` against a fresh server program. */
static void run_case(const char *which)
{
    need_python();
    proc server;
    int port;
    char why[40000];
    expect_true(proc_start_server(&server, "127.0.0.1:0", &port, why,
                                  sizeof why, WAIT_MS),
                "#running-the-server", "%s", why);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    char *argv[] = {STEP04_PYTHON, "-u",      PY_CLIENT,     "--target",
                    target,        "--stubs", STEP04_PY_DIR, "--case",
                    (char *)which, NULL};
    proc py;
    bool started = proc_start(&py, argv);
    bool ended = started && proc_wait(&py, 60000);
    int code = ended ? proc_exit_code(&py) : -1;
    proc_end(&py);
    proc_signal(&server, SIGTERM);
    proc_wait(&server, WAIT_MS);
    proc_end(&server);

    expect_true(started, "#calling-your-server-from-python", "could not run %s",
                STEP04_PYTHON);
    expect_true(ended, "#calling-your-server-from-python",
                "the Python client did not finish within 60 s; it printed:\n%s",
                py.out);
    if (code != 0) {
        /* Point at the section of the first check that failed. */
        char anchor[64] = "#calling-your-server-from-python";
        const char *f = strstr(py.out, "FAIL #");
        if (f != NULL)
            sscanf(f + 5, "%63[^: ]", anchor);
        expect_fail(anchor, "the Python client (exit status %d) said:\n%s%s",
                    code, py.out, py.err);
    }
}

/* exercise: my_service.c */
static void test_python_calls_my_service(void **state)
{
    (void)state;
    run_case("my_service");
}

/* needs: user_service.c notification_service.c file_service.c chat_service.c chat_room.c */
static void test_python_calls_the_other_services(void **state)
{
    (void)state;
    run_case("services");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python_calls_my_service),
        cmocka_unit_test(test_python_calls_the_other_services),
    };
    return cmocka_run_group_tests_name("python", tests, grpc_group_setup,
                                       grpc_group_teardown);
}
