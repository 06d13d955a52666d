/*
 * test_notifications.c: exercise 3, StreamNotifications called directly:
 * what it sends, what it refuses, the pause between notifications, and
 * stopping when the client goes away.
 *
 * A client "goes away" here in two ways a test context offers: cancelled
 * before the call (every cg_send fails), or a deadline that passes during
 * a pause (cg_ctx_cancelled turns true, as for a real call).
 */
#define LESSON_PAGE "steps/04-server.md"
#define EXERCISE_FILE "notification_service.c"
#include "lesson.h"

#include <stdio.h>

#include "fixture.h"

#define NOTIFY TUTORIAL__V1__NOTIFICATION_SERVICE__STREAM_NOTIFICATIONS__METHOD

typedef struct run {
    cg_status st;
    size_t sent;
    int64_t took_ms;
} run;

/* Runs StreamNotifications(user_id, max_count) with a pause of interval
 * ms. timeout_ms > 0 gives the call a deadline; cancel cancels it first.
 * check(out, i, arg), when given, looks at every notification sent. */
static run notify(const char *user_id, int32_t max_count, int64_t interval,
                  int64_t timeout_ms, bool cancel,
                  void (*check)(const Tutorial__V1__Notification *, size_t,
                                const char *),
                  const char *arg)
{
    notification_settings cfg = {.interval_ms = interval};
    cg_ctx *ctx = cg_test_ctx_new(NOTIFY, &cfg);
    if (timeout_ms > 0)
        cg_test_ctx_set_timeout(ctx, timeout_ms);
    if (cancel)
        cg_test_ctx_cancel(ctx);
    cg_stream *out = cg_test_stream(ctx);
    Tutorial__V1__StreamRequest req = TUTORIAL__V1__STREAM_REQUEST__INIT;
    req.user_id = (char *)user_id;
    req.max_count = max_count;
    run r;
    int64_t t0 = now_ms();
    r.st = notification_service_server.stream_notifications(ctx, &req, out);
    r.took_ms = now_ms() - t0;
    r.sent = cg_test_stream_sent_count(out);
    if (check != NULL)
        for (size_t i = 0; i < r.sent; i++)
            check(cg_test_stream_sent(out, i), i, arg);
    cg_test_ctx_free(ctx);
    return r;
}

/* Notification i (0-based) for user u has exactly the contract's fields. */
static void check_fields(const Tutorial__V1__Notification *n, size_t i,
                         const char *u)
{
    char id[32], msg[256];
    snprintf(id, sizeof id, "n-%zu", i + 1);
    snprintf(msg, sizeof msg, "Notification %zu for %s", i + 1, u);
    expect_str(n->id, id, "#exercise-3-streamnotifications");
    expect_str(n->user_id, u, "#exercise-3-streamnotifications");
    expect_str(n->message, msg, "#exercise-3-streamnotifications");
    expect_int(n->sequence, i + 1, "#exercise-3-streamnotifications");
}

static void test_notifications_fields(void **state)
{
    (void)state;
    run r = notify("u-7", 3, 0, 0, false, check_fields, "u-7");
    expect_status(r.st, GRPC_STATUS_OK, "#exercise-3-streamnotifications");
    expect_int(r.sent, 3, "#exercise-3-streamnotifications");
}

static void test_notifications_default_count(void **state)
{
    (void)state;
    run r = notify("alice", 0, 0, 0, false, check_fields, "alice");
    expect_status(r.st, GRPC_STATUS_OK, "#exercise-3-streamnotifications");
    expect_int(r.sent, NOTIFY_DEFAULT_COUNT, "#exercise-3-streamnotifications");
}

static void test_notifications_max_count_limits(void **state)
{
    (void)state;
    run r = notify("u", NOTIFY_MAX_COUNT, 0, 0, false, NULL, NULL);
    expect_status(r.st, GRPC_STATUS_OK, "#exercise-3-streamnotifications");
    expect_int(r.sent, NOTIFY_MAX_COUNT, "#exercise-3-streamnotifications");
    static const int32_t bad[] = {NOTIFY_MAX_COUNT + 1, -1, INT32_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = notify("u", bad[i], 0, 0, false, NULL, NULL);
        expect_status_is_as(r.st, GRPC_STATUS_INVALID_ARGUMENT,
                            "max_count must be between 0 and 1000",
                            "#exercise-3-streamnotifications",
                            "StreamNotifications with max_count %d",
                            (int)bad[i]);
        expect_int_as(r.sent, 0, "#exercise-3-streamnotifications",
                      "notifications sent for max_count %d", (int)bad[i]);
    }
}

static void test_notifications_empty_user_id(void **state)
{
    (void)state;
    run r = notify("", 3, 0, 0, false, NULL, NULL);
    expect_status_is(r.st, GRPC_STATUS_INVALID_ARGUMENT, "user_id is required",
                     "#exercise-3-streamnotifications");
    expect_int(r.sent, 0, "#exercise-3-streamnotifications");
}

static void test_notifications_pause_between_sends(void **state)
{
    (void)state;
    /* Three notifications, 40 ms apart: two pauses. */
    run r = notify("u", 3, 40, 0, false, NULL, NULL);
    expect_status(r.st, GRPC_STATUS_OK, "#exercise-3-streamnotifications");
    expect_int(r.sent, 3, "#exercise-3-streamnotifications");
    expect_true(r.took_ms >= 80, "#the-pause",
                "3 notifications with interval_ms 40 took %lld ms; the two "
                "pauses alone take 80",
                (long long)r.took_ms);
}

static void test_notifications_no_pause_at_the_ends(void **state)
{
    (void)state;
    /* One notification and a long interval: nothing to wait for. */
    run r = notify("u", 1, 5000, 0, false, NULL, NULL);
    expect_status(r.st, GRPC_STATUS_OK, "#exercise-3-streamnotifications");
    expect_int(r.sent, 1, "#exercise-3-streamnotifications");
    expect_true(r.took_ms < 2500, "#the-pause",
                "one notification took %lld ms: pause only between two "
                "notifications, not before the first or after the last",
                (long long)r.took_ms);
}

static void test_notifications_stop_when_send_fails(void **state)
{
    (void)state;
    run r = notify("u", 5, 0, 0, true, NULL, NULL);
    expect_true(r.st.code == GRPC_STATUS_CANCELLED,
                "#stopping-when-the-client-goes-away",
                "the client is gone (cg_send returns false): stop and return "
                "CANCELLED; the handler returned %s",
                cg_status_name(r.st.code));
    expect_int(r.sent, 0, "#stopping-when-the-client-goes-away");

    /* One notification: no pause comes after it to notice the cancel, so
     * only cg_send's false says the client is gone. */
    r = notify("u", 1, 0, 0, true, NULL, NULL);
    expect_true(r.st.code == GRPC_STATUS_CANCELLED,
                "#stopping-when-the-client-goes-away",
                "a stream of 1 notification to a client that is gone: cg_send "
                "returned false, so return CANCELLED, not %s",
                cg_status_name(r.st.code));
}

static void test_notifications_stop_during_pause(void **state)
{
    (void)state;
    /* The deadline passes 300 ms into the first 5-second pause. */
    run r = notify("u", 3, 5000, 300, false, NULL, NULL);
    expect_true(r.sent == 1, "#stopping-when-the-client-goes-away",
                "the first notification goes out at once; expected 1 sent, "
                "got %zu",
                r.sent);
    expect_true(r.took_ms < 3000, "#stopping-when-the-client-goes-away",
                "the call ended 300 ms in, but the handler returned after "
                "%lld ms: pause with sleep_or_cancel, which wakes up when the "
                "call is cancelled",
                (long long)r.took_ms);
    expect_true(r.st.code != GRPC_STATUS_OK,
                "#stopping-when-the-client-goes-away",
                "the pause was cut short because the call ended: return an "
                "error status, not OK");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notifications_fields),
        cmocka_unit_test(test_notifications_default_count),
        cmocka_unit_test(test_notifications_max_count_limits),
        cmocka_unit_test(test_notifications_empty_user_id),
        cmocka_unit_test(test_notifications_pause_between_sends),
        cmocka_unit_test(test_notifications_no_pause_at_the_ends),
        cmocka_unit_test(test_notifications_stop_when_send_fails),
        cmocka_unit_test(test_notifications_stop_during_pause),
    };
    return cmocka_run_group_tests_name("notifications", tests, NULL, NULL);
}
