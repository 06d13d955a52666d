/*
 * test_unary.c: exercise 1, unary calls with a deadline (unary.c):
 * outline_main, unary_call and get_user against the test server, which
 * records the deadline it was given and can be slow, down or failing.
 */
#define LESSON_PAGE "steps/05-client.md"
#define EXERCISE_FILE "unary.c"
#include "lesson.h"

#include <stdlib.h>

#include "fixture.h"
#include "unary.h"

/* What outline_main printed, and what it returned. */
static int run_outline_main(const char *target, char **text)
{
    size_t len;
    FILE *out = open_memstream(text, &len);
    int rc = outline_main(target, out);
    fclose(out);
    return rc;
}

/* Checks the deadline the server saw: set, and at most max_ms (plus the
 * little the core adds when it rounds the timeout up for the wire). */
static void expect_deadline(fx_server *s, int64_t max_ms, const char *what,
                            const char *section)
{
    pthread_mutex_lock(&s->st.mu);
    int64_t left = s->st.time_left_ms;
    int calls = s->st.unary_calls;
    pthread_mutex_unlock(&s->st.mu);
    expect_true(calls > 0, section, "%s: the server received no call", what);
    expect_true(left != INT64_MAX, section,
                "%s: the server saw a call with no deadline; a call without "
                "one may wait for ever",
                what);
    expect_true(left > 0 && left <= max_ms + max_ms / 50 + 20, section,
                "%s: the server saw %lld ms left before the deadline, "
                "expected between 1 and %lld",
                what, (long long)left, (long long)max_ms);
}

/* ---- outline_main ------------------------------------------------------ */

static void test_unary_outline_main_prints_response(void **state)
{
    (void)state;
    fx_watchdog(30, "#the-outlines-main-in-c");
    fx_server s;
    fx_server_start(&s, "server");
    char *text = NULL;
    int rc = run_outline_main(s.target, &text);
    char id[128];
    snprintf(id, sizeof id, "%s", s.st.last_id);
    int32_t value = s.st.last_value;
    fx_server_free(&s);
    char out[256];
    snprintf(out, sizeof out, "%s", text);
    free(text);
    expect_text(out, "Response: Processed: test-123\n", "outline_main",
                "#the-outlines-main-in-c");
    expect_int(rc, 0, "#the-outlines-main-in-c");
    expect_str(id, "test-123", "#the-outlines-main-in-c");
    expect_int(value, 42, "#the-outlines-main-in-c");
}

static void test_unary_outline_main_sets_deadline(void **state)
{
    (void)state;
    fx_watchdog(30, "#deadlines");
    fx_server s;
    fx_server_start(&s, "server");
    char *text = NULL;
    run_outline_main(s.target, &text);
    free(text);
    expect_deadline(&s, CLIENT_TIMEOUT_MS, "outline_main", "#deadlines");
    fx_server_free(&s);
}

static void test_unary_outline_main_reports_errors(void **state)
{
    (void)state;
    fx_watchdog(30, "#the-outlines-main-in-c");
    char dead[64], out[512];
    fx_dead_target(dead, sizeof dead);
    char *text = NULL;
    int rc = run_outline_main(dead, &text);
    snprintf(out, sizeof out, "%s", text);
    free(text);
    char q[600];
    expect_true(strncmp(out, "error: UNAVAILABLE: ", 20) == 0,
                "#the-outlines-main-in-c",
                "outline_main(\"%s\") with no server there printed\n"
                "      %s\n      expected a line starting with "
                "\"error: UNAVAILABLE: \"",
                dead, fx_quote(out, q, sizeof q));
    expect_int(rc, 1, "#the-outlines-main-in-c");

    /* A target the runtime refuses: no channel at all. */
    fx_dead_target_used();
    text = NULL;
    rc = run_outline_main("", &text);
    snprintf(out, sizeof out, "%s", text);
    free(text);
    expect_true(strncmp(out, "error: INVALID_ARGUMENT: ", 25) == 0,
                "#the-outlines-main-in-c",
                "outline_main(\"\") printed %s; expected a line starting "
                "with \"error: INVALID_ARGUMENT: \" (cg_channel_new returned "
                "NULL and filled in the status)",
                fx_quote(out, q, sizeof q));
    expect_int(rc, 1, "#the-outlines-main-in-c");
}

/* ---- unary_call -------------------------------------------------------- */

static void test_unary_call_returns_message(void **state)
{
    (void)state;
    fx_watchdog(30, "#reading-the-response");
    fx_server s;
    fx_server_start(&s, "server");
    cg_channel *ch = fx_channel(s.target);
    char msg[64] = "garbage";
    cg_status st = unary_call(ch, "abc", 7, FX_CALL_MS, msg, sizeof msg);
    fx_channel_free(ch);
    char id[128];
    snprintf(id, sizeof id, "%s", s.st.last_id);
    int32_t value = s.st.last_value;
    fx_server_free(&s);
    expect_status(st, GRPC_STATUS_OK, "unary_call(\"abc\", 7)",
                  "#reading-the-response");
    expect_str(msg, "Processed: abc", "#reading-the-response");
    expect_str(id, "abc", "#reading-the-response");
    expect_int(value, 7, "#reading-the-response");
}

static void test_unary_call_sets_deadline(void **state)
{
    (void)state;
    fx_watchdog(30, "#deadlines");
    fx_server s;
    fx_server_start(&s, "server");
    cg_channel *ch = fx_channel(s.target);
    char msg[64];
    cg_status st = unary_call(ch, "a", 1, 3000, msg, sizeof msg);
    expect_status(st, GRPC_STATUS_OK, "unary_call(timeout 3000)", "#deadlines");
    expect_deadline(&s, 3000, "unary_call with timeout_ms 3000", "#deadlines");

    st = unary_call(ch, "b", 2, 0, msg, sizeof msg);
    expect_status(st, GRPC_STATUS_OK, "unary_call(timeout 0)", "#deadlines");
    expect_deadline(&s, CLIENT_TIMEOUT_MS,
                    "unary_call with timeout_ms 0 (CLIENT_TIMEOUT_MS)",
                    "#deadlines");
    fx_channel_free(ch);
    fx_server_free(&s);
}

static void test_unary_call_deadline_exceeded(void **state)
{
    (void)state;
    fx_watchdog(60, "#deadlines");
    fx_server s;
    fx_server_start(&s, "slow");
    s.st.delay_ms = -1; /* answers only when the call is cancelled */
    cg_channel *ch = fx_channel(s.target);
    char msg[64] = "garbage";
    int64_t t0 = fx_now_ms();
    cg_status st = unary_call(ch, "slow", 1, 300, msg, sizeof msg);
    int64_t took = fx_now_ms() - t0;
    /* The deadline travels with the call: the server's handler sees its
     * call cancelled when it passes, and can stop working. */
    bool seen = st.code == GRPC_STATUS_DEADLINE_EXCEEDED &&
                svc_wait(&s.st, &s.st.cancelled, 1, FX_WAIT_MS);
    fx_channel_free(ch);
    fx_server_free(&s);
    expect_status(st, GRPC_STATUS_DEADLINE_EXCEEDED,
                  "unary_call(timeout 300) to a server that never answers",
                  "#deadlines");
    expect_true(took < 300 + 5000 * fx_slow(), "#deadlines",
                "unary_call with timeout_ms 300 took %lld ms", (long long)took);
    expect_str(msg, "", "#reading-the-response");
    expect_true(seen, "#deadlines",
                "the server never saw its call cancelled after the deadline");
}

static void test_unary_call_invalid_argument(void **state)
{
    (void)state;
    fx_watchdog(30, "#reading-the-response");
    fx_server s;
    fx_server_start(&s, "server");
    cg_channel *ch = fx_channel(s.target);
    char msg[64] = "garbage";
    cg_status st = unary_call(ch, "", 1, FX_CALL_MS, msg, sizeof msg);
    fx_channel_free(ch);
    fx_server_free(&s);
    expect_status(st, GRPC_STATUS_INVALID_ARGUMENT, "unary_call(\"\")",
                  "#reading-the-response");
    expect_str(st.message, "id is required", "#reading-the-response");
    expect_str(msg, "", "#reading-the-response");
}

static void test_unary_call_server_down(void **state)
{
    (void)state;
    fx_watchdog(30, "#reading-the-response");
    char dead[64];
    fx_dead_target(dead, sizeof dead);
    cg_channel *ch = fx_channel(dead);
    char msg[64] = "garbage";
    cg_status st = unary_call(ch, "x", 1, FX_CALL_MS, msg, sizeof msg);
    fx_channel_free(ch);
    fx_dead_target_used();
    expect_status(st, GRPC_STATUS_UNAVAILABLE,
                  "unary_call to a port where nothing listens",
                  "#reading-the-response");
    expect_str(msg, "", "#reading-the-response");
}

static void test_unary_call_cuts_long_message(void **state)
{
    (void)state;
    fx_watchdog(30, "#reading-the-response");
    fx_server s;
    fx_server_start(&s, "server");
    cg_channel *ch = fx_channel(s.target);
    /* "Processed: abcdef" is 17 bytes; 12 fit with the NUL. The bytes
     * after msg[12] must stay as they are. */
    char buf[20];
    memset(buf, '#', sizeof buf);
    cg_status st = unary_call(ch, "abcdef", 1, FX_CALL_MS, buf, 12);
    expect_status(st, GRPC_STATUS_OK, "unary_call(cap 12)",
                  "#reading-the-response");
    expect_str(buf, "Processed: ", "#reading-the-response");
    for (size_t i = 12; i < sizeof buf; i++)
        expect_true(buf[i] == '#', "#reading-the-response",
                    "unary_call(msg, cap 12) wrote msg[%zu], past the end", i);
    /* cap 0: the message is not wanted; msg may be NULL. */
    st = unary_call(ch, "abc", 1, FX_CALL_MS, NULL, 0);
    expect_status(st, GRPC_STATUS_OK, "unary_call(msg NULL, cap 0)",
                  "#reading-the-response");
    fx_channel_free(ch);
    fx_server_free(&s);
}

/* ---- get_user ---------------------------------------------------------- */

static void test_unary_get_user_found(void **state)
{
    (void)state;
    fx_watchdog(30, "#getuser-and-its-errors");
    fx_server s;
    fx_server_start(&s, "server");
    cg_channel *ch = fx_channel(s.target);
    Tutorial__V1__User *u = NULL;
    cg_status st = get_user(ch, "2", FX_CALL_MS, &u);
    fx_channel_free(ch);
    expect_status(st, GRPC_STATUS_OK, "get_user(\"2\")",
                  "#getuser-and-its-errors");
    expect_true(u != NULL, "#getuser-and-its-errors",
                "get_user(\"2\") returned OK but *user is NULL");
    char name[64], email[64], id[16];
    snprintf(id, sizeof id, "%s", u->id);
    snprintf(name, sizeof name, "%s", u->name);
    snprintf(email, sizeof email, "%s", u->email);
    int role = u->role;
    tutorial__v1__user__free_unpacked(u, NULL);
    expect_deadline(&s, FX_CALL_MS, "get_user with timeout_ms given",
                    "#getuser-and-its-errors");
    fx_server_free(&s);
    expect_str(id, "2", "#getuser-and-its-errors");
    expect_str(name, "Bob", "#getuser-and-its-errors");
    expect_str(email, "bob@example.com", "#getuser-and-its-errors");
    expect_int(role, TUTORIAL__V1__ROLE__ROLE_MEMBER,
               "#getuser-and-its-errors");
}

/* One GetUser that must fail with `want`; *user must be NULL. */
static void expect_get_user_fails(cg_channel *ch, const char *id,
                                  int64_t timeout, grpc_status_code want,
                                  const char *want_msg)
{
    Tutorial__V1__User *u = (Tutorial__V1__User *)&u; /* not NULL */
    cg_status st = get_user(ch, id, timeout, &u);
    bool null = u == NULL;
    if (!null && u != (Tutorial__V1__User *)&u)
        tutorial__v1__user__free_unpacked(u, NULL);
    char what[64];
    snprintf(what, sizeof what, "get_user(\"%s\")", id);
    expect_status(st, want, what, "#getuser-and-its-errors");
    if (want_msg != NULL)
        expect_str(st.message, want_msg, "#getuser-and-its-errors");
    expect_true(null, "#getuser-and-its-errors",
                "%s failed with %s but *user is not NULL", what,
                cg_status_name(st.code));
}

static void test_unary_get_user_errors(void **state)
{
    (void)state;
    fx_watchdog(30, "#getuser-and-its-errors");
    fx_server s;
    fx_server_start(&s, "server");
    cg_channel *ch = fx_channel(s.target);
    expect_get_user_fails(ch, "", FX_CALL_MS, GRPC_STATUS_INVALID_ARGUMENT,
                          "user_id is required");
    expect_get_user_fails(ch, "42", FX_CALL_MS, GRPC_STATUS_NOT_FOUND,
                          "user 42 not found");
    /* The repository fails: the server says only "internal error". */
    s.st.fail_code = GRPC_STATUS_INTERNAL;
    s.st.fail_message = "internal error";
    expect_get_user_fails(ch, "1", FX_CALL_MS, GRPC_STATUS_INTERNAL,
                          "internal error");
    fx_channel_free(ch);
    fx_server_free(&s);
}

static void test_unary_get_user_deadline(void **state)
{
    (void)state;
    fx_watchdog(60, "#getuser-and-its-errors");
    fx_server s;
    fx_server_start(&s, "slow");
    cg_channel *ch = fx_channel(s.target);
    Tutorial__V1__User *u = NULL;
    cg_status st = get_user(ch, "1", 0, &u);
    tutorial__v1__user__free_unpacked(u, NULL);
    expect_status(st, GRPC_STATUS_OK, "get_user(\"1\", timeout 0)",
                  "#getuser-and-its-errors");
    expect_deadline(&s, CLIENT_TIMEOUT_MS,
                    "get_user with timeout_ms 0 (CLIENT_TIMEOUT_MS)",
                    "#getuser-and-its-errors");
    s.st.delay_ms = -1;
    expect_get_user_fails(ch, "1", 300, GRPC_STATUS_DEADLINE_EXCEEDED, NULL);
    expect_deadline(&s, 300, "get_user(\"1\", timeout 300)",
                    "#getuser-and-its-errors");
    fx_channel_free(ch);
    fx_server_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unary_outline_main_prints_response),
        cmocka_unit_test(test_unary_outline_main_sets_deadline),
        cmocka_unit_test(test_unary_outline_main_reports_errors),
        cmocka_unit_test(test_unary_call_returns_message),
        cmocka_unit_test(test_unary_call_sets_deadline),
        cmocka_unit_test(test_unary_call_deadline_exceeded),
        cmocka_unit_test(test_unary_call_invalid_argument),
        cmocka_unit_test(test_unary_call_server_down),
        cmocka_unit_test(test_unary_call_cuts_long_message),
        cmocka_unit_test(test_unary_get_user_found),
        cmocka_unit_test(test_unary_get_user_errors),
        cmocka_unit_test(test_unary_get_user_deadline),
    };
    return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
