/*
 * stream_tests.c: exercise 4, integration tests of the streaming calls:
 * a real server in this process (exercise 3's fixture), real calls through
 * the generated client stubs, a deadline on every call (deadline(), and
 * the table that lists these tests, are given: groups.h).
 * Run them: `make run ARGS=integration` here; checked by the suite
 * stream_tests. Lesson: docs/en/steps/06-testing.md#exercise-4-testing-streams
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "groups.h"
#include "server_fixture.h"
#include "util.h"

void test_server_stream_sends_value_responses_in_order(void **state)
{
    server_fixture *f = *state;
    (void)f;
    /* TODO: ServerStream with id "s" and value 3 through f->ch: read to the
     * end, finish the call, then check: status OK, exactly 3 responses,
     * "Processed: s #1", "#2", "#3" in that order */
}

void test_server_stream_value_zero_sends_nothing(void **state)
{
    server_fixture *f = *state;
    (void)f;
    /* TODO: value 0: no response at all, and the status is OK */
}

void test_notifications_default_five_in_order_then_end(void **state)
{
    server_fixture *f = *state;
    (void)f;
    /* TODO: StreamNotifications for "ann" with max_count 0: the stream ends
     * by itself (OK, not DEADLINE_EXCEEDED) after 5 notifications, the i-th
     * with id "n-<i>", sequence i, "Notification <i> for ann" */
}

void test_notifications_stop_soon_after_the_deadline(void **state)
{
    server_fixture *f = *state;
    (void)f;
    /* TODO: f->notes.interval_ms = 20 and max_count 50 (1 s of stream),
     * a deadline of 100 ms: the status is DEADLINE_EXCEEDED, and the
     * handler returns within 500 ms (handler_watch_wait on f->watch) */
}

void test_upload_counts_every_chunk(void **state)
{
    server_fixture *f = *state;
    (void)f;
    /* TODO: UploadFile in three chunks, the first with a filename: the
     * response has success, size = all the bytes, and file_id = the
     * "%016" PRIx64 of fnv1a64 of all the bytes */
}

void test_bidi_answers_each_request_in_turn(void **state)
{
    server_fixture *f = *state;
    (void)f;
    /* TODO: BidirectionalStream, ping-pong: send "a", receive "Processed:
     * a", then "b", then "c"; close your side; nothing more comes; OK */
}

void test_chat_reaches_every_member(void **state)
{
    server_fixture *f = *state;
    (void)f;
    /* TODO: two Chat calls, bob and ann. Each says something and hears it
     * back (then it is in the room); what ann says reaches bob too */
}
