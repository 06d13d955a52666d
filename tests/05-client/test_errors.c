/*
 * test_errors.c: exercise 5, status codes for people (errors.c): the
 * sentence for every code, whether to retry, and the line a user reads,
 * first for statuses made up by the tests, then for real failed calls.
 */
#define LESSON_PAGE "steps/05-client.md"
#define EXERCISE_FILE "errors.c"
#include "lesson.h"

#include <stdlib.h>

#include "errors.h"
#include "fixture.h"
#include "tutorial/v1/my_service.cgrpc.h"
#include "tutorial/v1/user_service.cgrpc.h"

static const struct {
    grpc_status_code code;
    const char *say;
    bool retry;      /* for a call that is not idempotent */
    bool retry_idem; /* for one that is */
} TABLE[] = {
    {GRPC_STATUS_OK, SAY_OK, false, false},
    {GRPC_STATUS_CANCELLED, SAY_CANCELLED, false, false},
    {GRPC_STATUS_UNKNOWN, SAY_SERVER_ERROR, false, false},
    {GRPC_STATUS_INVALID_ARGUMENT, SAY_INVALID, false, false},
    {GRPC_STATUS_DEADLINE_EXCEEDED, SAY_TIMEOUT, false, true},
    {GRPC_STATUS_NOT_FOUND, SAY_NOT_FOUND, false, false},
    {GRPC_STATUS_ALREADY_EXISTS, SAY_EXISTS, false, false},
    {GRPC_STATUS_PERMISSION_DENIED, SAY_DENIED, false, false},
    {GRPC_STATUS_RESOURCE_EXHAUSTED, SAY_LIMIT, false, false},
    {GRPC_STATUS_FAILED_PRECONDITION, SAY_NOT_NOW, false, false},
    {GRPC_STATUS_ABORTED, SAY_CONFLICT, false, true},
    {GRPC_STATUS_OUT_OF_RANGE, SAY_INVALID, false, false},
    {GRPC_STATUS_UNIMPLEMENTED, SAY_UNSUPPORTED, false, false},
    {GRPC_STATUS_INTERNAL, SAY_SERVER_ERROR, false, false},
    {GRPC_STATUS_UNAVAILABLE, SAY_UNAVAILABLE, true, true},
    {GRPC_STATUS_DATA_LOSS, SAY_SERVER_ERROR, false, false},
    {GRPC_STATUS_UNAUTHENTICATED, SAY_SIGN_IN, false, false},
};
#define N_CODES (sizeof TABLE / sizeof TABLE[0])

/* ---- status_explain ---------------------------------------------------- */

static void test_errors_explain_outline_codes(void **state)
{
    (void)state;
    /* The three cases of the outline's switch. */
    expect_str(status_explain(GRPC_STATUS_INVALID_ARGUMENT), SAY_INVALID,
               "#the-outlines-switch-extended");
    expect_str(status_explain(GRPC_STATUS_NOT_FOUND), SAY_NOT_FOUND,
               "#the-outlines-switch-extended");
    expect_str(status_explain(GRPC_STATUS_INTERNAL), SAY_SERVER_ERROR,
               "#the-outlines-switch-extended");
}

static void test_errors_explain_every_code(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CODES; i++) {
        const char *got = status_explain(TABLE[i].code);
        expect_true(got != NULL && strcmp(got, TABLE[i].say) == 0,
                    "#the-outlines-switch-extended",
                    "status_explain(%s): expected \"%s\", got \"%s\"",
                    cg_status_name(TABLE[i].code), TABLE[i].say,
                    got ? got : "(null)");
    }
}

static void test_errors_explain_not_a_code(void **state)
{
    (void)state;
    /* A server may send any number: what the client does not know is
     * the server's problem. */
    expect_str(status_explain((grpc_status_code)17), SAY_SERVER_ERROR,
               "#the-outlines-switch-extended");
    expect_str(status_explain((grpc_status_code)99), SAY_SERVER_ERROR,
               "#the-outlines-switch-extended");
    expect_str(status_explain((grpc_status_code)-1), SAY_SERVER_ERROR,
               "#the-outlines-switch-extended");
}

/* ---- status_should_retry ----------------------------------------------- */

static void test_errors_should_retry(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CODES; i++) {
        for (int idem = 0; idem <= 1; idem++) {
            bool want = idem ? TABLE[i].retry_idem : TABLE[i].retry;
            bool got = status_should_retry(TABLE[i].code, idem);
            expect_true(got == want, "#retry-or-not",
                        "status_should_retry(%s, idempotent %s): expected "
                        "%s, got %s",
                        cg_status_name(TABLE[i].code), idem ? "true" : "false",
                        want ? "true" : "false", got ? "true" : "false");
        }
    }
    expect_true(!status_should_retry((grpc_status_code)99, true),
                "#retry-or-not",
                "status_should_retry(99, true) should be "
                "false: an unknown code is no reason to try again");
}

/* ---- status_describe --------------------------------------------------- */

static void expect_describes(grpc_status_code code, const char *message,
                             const char *want)
{
    cg_status st = cg_error(NULL, code, "%s", message);
    char buf[300];
    memset(buf, 0, sizeof buf);
    int n = status_describe(&st, buf, sizeof buf);
    expect_true(strcmp(buf, want) == 0, "#what-to-show",
                "status_describe(%s \"%s\"):\n      expected \"%s\"\n      "
                "got      \"%s\"",
                cg_status_name(code), message, want, buf);
    expect_int(n, strlen(want), "#what-to-show");
}

static void test_errors_describe_shows_messages_meant_for_users(void **state)
{
    (void)state;
    expect_describes(GRPC_STATUS_NOT_FOUND, "user 42 not found",
                     "Not found: user 42 not found (NOT_FOUND)");
    expect_describes(GRPC_STATUS_INVALID_ARGUMENT, "user_id is required",
                     "Invalid request: user_id is required (INVALID_ARGUMENT)");
    expect_describes(GRPC_STATUS_RESOURCE_EXHAUSTED,
                     "file too large: the limit is 4096 bytes",
                     "A limit was exceeded: file too large: the limit is 4096 "
                     "bytes (RESOURCE_EXHAUSTED)");
    expect_describes(GRPC_STATUS_CANCELLED, "cannot read x: Is a directory",
                     "Cancelled: cannot read x: Is a directory (CANCELLED)");
    expect_describes(GRPC_STATUS_OK, "", "OK");
}

static void test_errors_describe_hides_other_messages(void **state)
{
    (void)state;
    /* The server's insides... */
    expect_describes(GRPC_STATUS_INTERNAL,
                     "pq: password authentication failed for user \"app\"",
                     "Server error (INTERNAL)");
    expect_describes(GRPC_STATUS_UNKNOWN, "panic: nil map",
                     "Server error (UNKNOWN)");
    expect_describes(GRPC_STATUS_DATA_LOSS, "crc mismatch in block 7",
                     "Server error (DATA_LOSS)");
    /* ...and the transport's own words. */
    expect_describes(GRPC_STATUS_UNAVAILABLE,
                     "failed to connect to all addresses; last error: UNKNOWN",
                     "Service unavailable, try again later (UNAVAILABLE)");
    expect_describes(GRPC_STATUS_DEADLINE_EXCEEDED, "Deadline Exceeded",
                     "The server did not answer in time (DEADLINE_EXCEEDED)");
    /* An empty message is never shown. */
    expect_describes(GRPC_STATUS_NOT_FOUND, "", "Not found (NOT_FOUND)");
}

static void test_errors_describe_cuts_to_fit(void **state)
{
    (void)state;
    cg_status st = cg_error(NULL, GRPC_STATUS_NOT_FOUND, "user 42 not found");
    const char *full = "Not found: user 42 not found (NOT_FOUND)";
    char buf[16];
    memset(buf, '#', sizeof buf);
    int n = status_describe(&st, buf, 10);
    expect_text(buf, "Not found", "status_describe(buf, cap 10)",
                "#what-to-show");
    expect_int(n, strlen(full), "#what-to-show");
    for (size_t i = 10; i < sizeof buf; i++)
        expect_true(buf[i] == '#', "#what-to-show",
                    "status_describe(buf, cap 10) wrote buf[%zu]", i);
    /* cap 0: nothing is written; the length still comes back. */
    n = status_describe(&st, NULL, 0);
    expect_int(n, strlen(full), "#what-to-show");
}

/* ---- real failed calls ------------------------------------------------- */

static void describe_call(cg_status st, char *buf, size_t cap)
{
    status_describe(&st, buf, cap);
}

static void test_errors_real_calls(void **state)
{
    (void)state;
    fx_watchdog(60, "#what-to-show");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    cg_call_opts opts = {.timeout_ms = FX_CALL_MS};
    Tutorial__V1__GetUserRequest req = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    Tutorial__V1__User *user = NULL;
    char line[300];

    req.user_id = "42";
    describe_call(
        tutorial__v1__user_service_client__get_user(ch, &req, &user, &opts),
        line, sizeof line);
    expect_text(line, "Not found: user 42 not found (NOT_FOUND)",
                "status_describe(the status of GetUser \"42\")",
                "#what-to-show");

    req.user_id = "";
    describe_call(
        tutorial__v1__user_service_client__get_user(ch, &req, &user, &opts),
        line, sizeof line);
    expect_text(line, "Invalid request: user_id is required (INVALID_ARGUMENT)",
                "status_describe(the status of GetUser \"\")", "#what-to-show");

    /* A server that leaks what it should not: the client still hides it. */
    srv.st.fail_code = GRPC_STATUS_INTERNAL;
    srv.st.fail_message = "db at 10.0.0.5:5432: password wrong";
    req.user_id = "1";
    describe_call(
        tutorial__v1__user_service_client__get_user(ch, &req, &user, &opts),
        line, sizeof line);
    expect_text(line, "Server error (INTERNAL)",
                "status_describe(a leaky INTERNAL status)", "#what-to-show");

    /* Too slow. */
    srv.st.fail_code = GRPC_STATUS_OK;
    srv.st.delay_ms = -1;
    opts.timeout_ms = 200;
    describe_call(
        tutorial__v1__user_service_client__get_user(ch, &req, &user, &opts),
        line, sizeof line);
    expect_text(line, "The server did not answer in time (DEADLINE_EXCEEDED)",
                "status_describe(a call past its deadline)", "#what-to-show");
    fx_channel_free(ch);
    fx_server_free(&srv);

    /* Nobody there. */
    char dead[64];
    fx_dead_target(dead, sizeof dead);
    ch = fx_channel(dead);
    opts.timeout_ms = FX_CALL_MS;
    describe_call(
        tutorial__v1__user_service_client__get_user(ch, &req, &user, &opts),
        line, sizeof line);
    fx_channel_free(ch);
    fx_dead_target_used();
    expect_text(line, "Service unavailable, try again later (UNAVAILABLE)",
                "status_describe(a call to a dead port)", "#what-to-show");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_explain_outline_codes),
        cmocka_unit_test(test_errors_explain_every_code),
        cmocka_unit_test(test_errors_explain_not_a_code),
        cmocka_unit_test(test_errors_should_retry),
        cmocka_unit_test(test_errors_describe_shows_messages_meant_for_users),
        cmocka_unit_test(test_errors_describe_hides_other_messages),
        cmocka_unit_test(test_errors_describe_cuts_to_fit),
        cmocka_unit_test(test_errors_real_calls),
    };
    return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
