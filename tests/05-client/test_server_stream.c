/*
 * test_server_stream.c: exercise 2, reading a server stream until its end
 * (server_stream.c): every message in order, errors and deadlines in the
 * middle of a stream, and stopping early, which the server must notice.
 */
#define LESSON_PAGE "steps/05-client.md"
#define EXERCISE_FILE "server_stream.c"
#include "lesson.h"

#include <stdlib.h>

#include "fixture.h"
#include "server_stream.h"
#include "unary.h"

/* What the callbacks collected. */
typedef struct seen {
    svc_state *st; /* told about every message (paced streams) */
    size_t n;
    size_t stop_at;    /* return false on this message (0: never) */
    char text[16][64]; /* the first 16 messages */
    int64_t seq[16];
    char user_id[64];
} seen;

static bool on_response(const Tutorial__V1__Response *resp, void *user)
{
    seen *s = user;
    if (s->n < 16)
        snprintf(s->text[s->n], sizeof s->text[0], "%s", resp->message);
    s->n++;
    if (s->st != NULL)
        svc_client_saw(s->st);
    return s->stop_at == 0 || s->n < s->stop_at;
}

static bool on_note(const Tutorial__V1__Notification *note, void *user)
{
    seen *s = user;
    if (s->n < 16) {
        snprintf(s->text[s->n], sizeof s->text[0], "%s %s", note->id,
                 note->message);
        s->seq[s->n] = note->sequence;
    }
    snprintf(s->user_id, sizeof s->user_id, "%s", note->user_id);
    s->n++;
    if (s->st != NULL)
        svc_client_saw(s->st);
    return s->stop_at == 0 || s->n < s->stop_at;
}

/* Counts the calls made on a channel, and those finished: cg_call_finish
 * runs every on_finish as it frees the call, so a call cancelled and then
 * walked away from is started and never finished. */
typedef struct calls_seen {
    int started, finished;
} calls_seen;

static void count_start(cg_call *c, const cg_method *m, void *user)
{
    (void)c;
    (void)m;
    ((calls_seen *)user)->started++;
}

static void count_finish(cg_call *c, const cg_method *m, const cg_status *st,
                         int64_t duration_us, void *user)
{
    (void)c;
    (void)m;
    (void)st;
    (void)duration_us;
    ((calls_seen *)user)->finished++;
}

/* fx_channel, with the calls made on it counted in *calls. */
static cg_channel *counted_channel(const char *target, calls_seen *calls)
{
    cg_channel *ch = fx_channel(target);
    cg_client_interceptor icpt = {
        .on_start = count_start, .on_finish = count_finish, .user = calls};
    cg_channel_add_interceptor(ch, &icpt);
    return ch;
}

/* ---- MyService.ServerStream -------------------------------------------- */

static void test_server_stream_reads_every_response(void **state)
{
    (void)state;
    fx_watchdog(30, "#until-the-end-of-the-stream");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    seen s = {0};
    size_t received = 99;
    cg_status st =
        server_stream(ch, "s", 5, FX_CALL_MS, on_response, &s, &received);
    fx_channel_free(ch);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_OK, "server_stream(\"s\", 5)",
                  "#until-the-end-of-the-stream");
    expect_int_as(s.n, 5, "#until-the-end-of-the-stream",
                  "messages handed to the callback");
    expect_int(received, 5, "#until-the-end-of-the-stream");
    char want[32];
    for (int i = 0; i < 5; i++) {
        snprintf(want, sizeof want, "Processed: s #%d", i + 1);
        expect_str_as(s.text[i], want, "#until-the-end-of-the-stream",
                      "message %d of the stream", i + 1);
    }
}

static void test_server_stream_empty_stream(void **state)
{
    (void)state;
    fx_watchdog(30, "#until-the-end-of-the-stream");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    seen s = {0};
    size_t received = 99;
    cg_status st =
        server_stream(ch, "s", 0, FX_CALL_MS, on_response, &s, &received);
    /* received may be NULL. */
    cg_status st2 =
        server_stream(ch, "t", 2, FX_CALL_MS, on_response, &s, NULL);
    fx_channel_free(ch);
    int calls = srv.st.calls;
    fx_server_free(&srv);
    expect_int(calls, 2, "#until-the-end-of-the-stream");
    expect_status(st, GRPC_STATUS_OK, "server_stream(\"s\", 0)",
                  "#until-the-end-of-the-stream");
    expect_int(received, 0, "#until-the-end-of-the-stream");
    expect_status(st2, GRPC_STATUS_OK, "server_stream(..., received NULL)",
                  "#until-the-end-of-the-stream");
    expect_int_as(s.n, 2, "#until-the-end-of-the-stream",
                  "messages handed to the callback");
}

static void test_server_stream_invalid_request(void **state)
{
    (void)state;
    fx_watchdog(30, "#errors-in-the-middle-of-a-stream");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    seen s = {0};
    size_t received = 99;
    cg_status st1 =
        server_stream(ch, "", 3, FX_CALL_MS, on_response, &s, &received);
    size_t r1 = received;
    cg_status st2 =
        server_stream(ch, "s", -1, FX_CALL_MS, on_response, &s, &received);
    fx_channel_free(ch);
    fx_server_free(&srv);
    expect_status(st1, GRPC_STATUS_INVALID_ARGUMENT, "server_stream(\"\", 3)",
                  "#errors-in-the-middle-of-a-stream");
    expect_str(st1.message, "id is required",
               "#errors-in-the-middle-of-a-stream");
    expect_int(r1, 0, "#errors-in-the-middle-of-a-stream");
    expect_status(st2, GRPC_STATUS_INVALID_ARGUMENT, "server_stream(\"s\", -1)",
                  "#errors-in-the-middle-of-a-stream");
    expect_str(st2.message, "value must be between 0 and 10000",
               "#errors-in-the-middle-of-a-stream");
    expect_int(received, 0, "#errors-in-the-middle-of-a-stream");
    expect_int_as(s.n, 0, "#errors-in-the-middle-of-a-stream",
                  "messages handed to the callback");
}

static void test_server_stream_error_after_messages(void **state)
{
    (void)state;
    fx_watchdog(30, "#errors-in-the-middle-of-a-stream");
    fx_server srv;
    fx_server_start(&srv, "server");
    srv.st.fail_after = 3; /* three messages, then ABORTED */
    cg_channel *ch = fx_channel(srv.target);
    seen s = {0};
    size_t received = 99;
    cg_status st =
        server_stream(ch, "s", 10, FX_CALL_MS, on_response, &s, &received);
    fx_channel_free(ch);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_ABORTED,
                  "server_stream from a server that fails after 3 messages",
                  "#errors-in-the-middle-of-a-stream");
    expect_str(st.message, "the stream broke after 3 messages",
               "#errors-in-the-middle-of-a-stream");
    expect_int(received, 3, "#errors-in-the-middle-of-a-stream");
    expect_str_as(s.text[2], "Processed: s #3",
                  "#errors-in-the-middle-of-a-stream",
                  "message 3 of the stream (the last before the error)");
}

static void test_server_stream_deadline_in_the_middle(void **state)
{
    (void)state;
    fx_watchdog(60, "#errors-in-the-middle-of-a-stream");
    fx_server srv;
    fx_server_start(&srv, "stalls");
    srv.st.stall_after = 2; /* two messages, then nothing */
    cg_channel *ch = fx_channel(srv.target);
    seen s = {0};
    size_t received = 99;
    cg_status st = server_stream(ch, "s", 10, 500, on_response, &s, &received);
    bool seen_cancel = st.code == GRPC_STATUS_DEADLINE_EXCEEDED &&
                       svc_wait(&srv.st, &srv.st.cancelled, 1, FX_WAIT_MS);
    fx_channel_free(ch);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_DEADLINE_EXCEEDED,
                  "server_stream(timeout 500) from a server that stalls after "
                  "2 messages",
                  "#errors-in-the-middle-of-a-stream");
    expect_int(received, 2, "#errors-in-the-middle-of-a-stream");
    expect_true(seen_cancel, "#errors-in-the-middle-of-a-stream",
                "the server never saw its stream cancelled at the deadline");
}

static void test_server_stream_sets_deadline(void **state)
{
    (void)state;
    fx_watchdog(30, "#until-the-end-of-the-stream");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    seen s = {0};
    cg_status st = server_stream(ch, "s", 1, 0, on_response, &s, NULL);
    int64_t left = srv.st.time_left_ms;
    fx_channel_free(ch);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_OK, "server_stream(timeout 0)",
                  "#until-the-end-of-the-stream");
    expect_true(
        left > 0 && left <= CLIENT_TIMEOUT_MS + 120,
        "#until-the-end-of-the-stream",
        "server_stream with timeout_ms 0: the server saw %lld ms left "
        "before the deadline, expected at most CLIENT_TIMEOUT_MS (%d)%s",
        (long long)left, CLIENT_TIMEOUT_MS,
        left == INT64_MAX ? " (there was no deadline at all)" : "");
}

static void test_server_stream_stop_early_cancels(void **state)
{
    (void)state;
    fx_watchdog(30, "#stopping-early");
    fx_server srv;
    fx_server_start(&srv, "server");
    /* The server sends message i+1 only once the callback has seen message
     * i, so it is still sending when the client stops. */
    srv.st.paced = true;
    calls_seen calls = {0};
    cg_channel *ch = counted_channel(srv.target, &calls);
    seen s = {.st = &srv.st, .stop_at = 3};
    size_t received = 99;
    cg_status st =
        server_stream(ch, "s", 1000, FX_CALL_MS, on_response, &s, &received);
    calls_seen after = calls; /* before the channel's free cancels anything */
    bool ended = st.code == GRPC_STATUS_OK &&
                 svc_wait(&srv.st, &srv.st.ended, 1, FX_WAIT_MS);
    fx_channel_free(ch);
    int cancelled = svc_get(&srv.st, &srv.st.cancelled);
    bool gave_up = srv.st.pace_timed_out;
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_OK,
                  "server_stream when the callback stops at message 3",
                  "#stopping-early");
    expect_int(received, 3, "#stopping-early");
    expect_int_as(s.n, 3, "#stopping-early", "messages handed to the callback");
    expect_true(ended && cancelled > 0, "#stopping-early",
                "the server never saw the call cancelled%s: after the callback "
                "returned false, cancel the call before cg_call_finish (which "
                "otherwise reads the rest of the stream)",
                gave_up ? " and waited in vain for the client to read on" : "");
    expect_true(after.started == 1 && after.finished == 1, "#stopping-early",
                "server_stream started %d call(s) and finished %d, expected 1 "
                "and 1: a cancelled call still needs cg_call_finish, which "
                "frees it",
                after.started, after.finished);
}

/* ---- NotificationService.StreamNotifications --------------------------- */

static void test_server_stream_notifications(void **state)
{
    (void)state;
    fx_watchdog(30, "#until-the-end-of-the-stream");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    seen s = {0};
    size_t received = 99;
    cg_status st = stream_notifications(ch, "alice", 4, FX_CALL_MS, on_note, &s,
                                        &received);
    fx_channel_free(ch);
    pthread_mutex_lock(&srv.st.mu);
    int64_t left = srv.st.time_left_ms;
    pthread_mutex_unlock(&srv.st.mu);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_OK, "stream_notifications(\"alice\", 4)",
                  "#until-the-end-of-the-stream");
    expect_true(left > 0 && left <= FX_CALL_MS + FX_CALL_MS / 50 + 20,
                "#until-the-end-of-the-stream",
                "stream_notifications(timeout %d): the server saw %lld ms left "
                "before the deadline, expected at most %d%s",
                FX_CALL_MS, (long long)left, FX_CALL_MS,
                left == INT64_MAX ? " (there was no deadline at all)" : "");
    expect_int(received, 4, "#until-the-end-of-the-stream");
    expect_int_as(s.n, 4, "#until-the-end-of-the-stream",
                  "messages handed to the callback");
    expect_str(s.user_id, "alice", "#until-the-end-of-the-stream");
    char want[64];
    for (int i = 0; i < 4; i++) {
        snprintf(want, sizeof want, "n-%d Notification %d for alice", i + 1,
                 i + 1);
        expect_str_as(s.text[i], want, "#until-the-end-of-the-stream",
                      "notification %d of the stream, its text", i + 1);
        expect_int_as(s.seq[i], i + 1, "#until-the-end-of-the-stream",
                      "notification %d of the stream, its sequence", i + 1);
    }
}

static void test_server_stream_notifications_default_and_errors(void **state)
{
    (void)state;
    fx_watchdog(30, "#errors-in-the-middle-of-a-stream");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    seen s = {0};
    size_t received = 99;
    cg_status st =
        stream_notifications(ch, "bob", 0, FX_CALL_MS, on_note, &s, &received);
    expect_status(st, GRPC_STATUS_OK, "stream_notifications(\"bob\", 0)",
                  "#until-the-end-of-the-stream");
    expect_int(received, 5, "#until-the-end-of-the-stream");

    st = stream_notifications(ch, "", 3, FX_CALL_MS, on_note, &s, &received);
    expect_status(st, GRPC_STATUS_INVALID_ARGUMENT,
                  "stream_notifications(\"\", 3)",
                  "#errors-in-the-middle-of-a-stream");
    expect_int(received, 0, "#errors-in-the-middle-of-a-stream");
    st = stream_notifications(ch, "bob", 1001, FX_CALL_MS, on_note, &s,
                              &received);
    expect_status(st, GRPC_STATUS_INVALID_ARGUMENT,
                  "stream_notifications(\"bob\", 1001)",
                  "#errors-in-the-middle-of-a-stream");
    fx_channel_free(ch);
    fx_server_free(&srv);
}

static void test_server_stream_notifications_stop_early(void **state)
{
    (void)state;
    fx_watchdog(30, "#stopping-early");
    fx_server srv;
    fx_server_start(&srv, "server");
    srv.st.paced = true;
    calls_seen calls = {0};
    cg_channel *ch = counted_channel(srv.target, &calls);
    seen s = {.st = &srv.st, .stop_at = 2};
    size_t received = 99;
    cg_status st = stream_notifications(ch, "carol", 1000, FX_CALL_MS, on_note,
                                        &s, &received);
    calls_seen after = calls;
    bool ended = st.code == GRPC_STATUS_OK &&
                 svc_wait(&srv.st, &srv.st.ended, 1, FX_WAIT_MS);
    fx_channel_free(ch);
    int cancelled = svc_get(&srv.st, &srv.st.cancelled);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_OK,
                  "stream_notifications when the callback stops at 2",
                  "#stopping-early");
    expect_int(received, 2, "#stopping-early");
    expect_true(ended && cancelled > 0, "#stopping-early",
                "the server never saw the call cancelled: cancel the call when "
                "the callback returns false");
    expect_true(
        after.started == 1 && after.finished == 1, "#stopping-early",
        "stream_notifications started %d call(s) and finished %d, "
        "expected 1 and 1: a cancelled call still needs cg_call_finish, "
        "which frees it",
        after.started, after.finished);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_stream_reads_every_response),
        cmocka_unit_test(test_server_stream_empty_stream),
        cmocka_unit_test(test_server_stream_invalid_request),
        cmocka_unit_test(test_server_stream_error_after_messages),
        cmocka_unit_test(test_server_stream_deadline_in_the_middle),
        cmocka_unit_test(test_server_stream_sets_deadline),
        cmocka_unit_test(test_server_stream_stop_early_cancels),
        cmocka_unit_test(test_server_stream_notifications),
        cmocka_unit_test(test_server_stream_notifications_default_and_errors),
        cmocka_unit_test(test_server_stream_notifications_stop_early),
    };
    return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
