/*
 * test_stream_tests.c: exercise 4, your integration tests of the streaming
 * calls, judged by running them. They must pass against step 4's finished
 * services and fail against each copy with one bug in it (a mutant): a
 * stream one message short, numbers off by one, a stream that never ends,
 * a handler that streams on after its client left, a lost chunk, a bidi
 * stream that answers once, a chat that only echoes. They must also pass
 * against a copy that is correct but slower to stop (a variant): a timing
 * test with a tight limit is a flaky one.
 *
 * The mutants (and the variant) are the other sed scripts in mutants/.
 */
#define LESSON_PAGE "steps/06-testing.md"
#define EXERCISE_FILE "stream_tests.c"
#define EXERCISE_NEEDS "server_fixture.c" /* every test runs on the fixture */
#include "lesson.h"

#include "mutation.h"

#define GROUP "integration"

static void test_stream_tests_pass_on_correct_service(void **state)
{
    (void)state;
    expect_tests_pass(GROUP, "#exercise-4-testing-streams");
}

static void test_mutant_server_stream_one_short(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "server_stream_one_short",
                         "ServerStream sends one response too few (value-1 "
                         "instead of value)",
                         "#count-order-and-content", NULL);
}

static void test_mutant_server_stream_numbered_from_zero(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "server_stream_numbered_from_zero",
                         "ServerStream sends the right number of responses, "
                         "but numbered from 0 (\"#0\", \"#1\", ...) instead "
                         "of from 1",
                         "#count-order-and-content", NULL);
}

static void test_mutant_notifications_numbered_from_zero(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "notifications_numbered_from_zero",
                         "StreamNotifications numbers its notifications "
                         "from 0 (sequence 0, 1, ...) while their ids count "
                         "from n-1",
                         "#count-order-and-content", NULL);
}

static void test_mutant_notifications_one_short(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "notifications_one_short",
                         "StreamNotifications sends one notification too "
                         "few (four by default instead of five) and ends "
                         "the stream OK",
                         "#count-order-and-content", NULL);
}

static void test_mutant_notifications_never_end(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "notifications_never_end",
                         "StreamNotifications sends its notifications, then "
                         "keeps the stream open instead of ending it with "
                         "OK",
                         "#the-end-of-a-stream", NULL);
}

static void test_mutant_notifications_ignore_cancel(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "notifications_ignore_cancel",
                         "StreamNotifications ignores its client going away "
                         "(deadline passed, call cancelled) and streams on "
                         "into the void",
                         "#deadlines-and-cancellation",
                         "A server waits for its handlers when it stops (your "
                         "fixture's teardown), and this one sends all its "
                         "notifications first: count x interval. Keep the "
                         "deadline test short, 50 notifications 20 ms apart "
                         "(1 s in all), so that even a broken handler is done "
                         "soon after your test has failed.");
}

static void test_variant_notifications_slow_to_stop(void **state)
{
    (void)state;
    expect_variant_passes(GROUP, "notifications_slow_to_stop",
                          "slower: StreamNotifications takes 150 ms to "
                          "return once its client has gone",
                          "A handler may take a little while to stop, and a "
                          "busy machine adds more: give it the half second "
                          "the lesson allows, handler_watch_wait(..., 1, "
                          "500, &last), not a few milliseconds.",
                          "#deadlines-and-cancellation");
}

static void test_mutant_upload_drops_first_chunk(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "upload_drops_first_chunk",
                         "UploadFile takes the filename from the first "
                         "chunk but drops that chunk's data: size and "
                         "file_id are wrong",
                         "#client-streams-what-arrived", NULL);
}

static void test_mutant_bidi_answers_once(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "bidi_answers_once",
                         "BidirectionalStream answers the first request, "
                         "then ends the call",
                         "#bidirectional-streams-and-the-chat", NULL);
}

static void test_mutant_chat_echo_only(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "chat_echo_only",
                         "Chat sends each message back to its sender only: "
                         "the other members of the room never hear it",
                         "#bidirectional-streams-and-the-chat", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_tests_pass_on_correct_service),
        cmocka_unit_test(test_mutant_server_stream_one_short),
        cmocka_unit_test(test_mutant_server_stream_numbered_from_zero),
        cmocka_unit_test(test_mutant_notifications_numbered_from_zero),
        cmocka_unit_test(test_mutant_notifications_one_short),
        cmocka_unit_test(test_mutant_notifications_never_end),
        cmocka_unit_test(test_mutant_notifications_ignore_cancel),
        cmocka_unit_test(test_variant_notifications_slow_to_stop),
        cmocka_unit_test(test_mutant_upload_drops_first_chunk),
        cmocka_unit_test(test_mutant_bidi_answers_once),
        cmocka_unit_test(test_mutant_chat_echo_only),
    };
    runs_ahead(GROUP, tests, sizeof tests / sizeof tests[0]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
