/*
 * test_connection.c: exercise 7, making sure of the connection
 * (connection.c): ensure_connection against a live server, a dead port and
 * a server restarted on the same port; a call with wait_ready_opts through a
 * restart and against a server that never comes back.
 */
#define LESSON_PAGE "steps/05-client.md"
#define EXERCISE_FILE                                                          \
    "retry.c" /* connection.c is given; its tests pass from the start */
#include "lesson.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "connection.h"
#include "fixture.h"
#include "unary.h"

/* A plain fail-fast UnaryCall made by the test itself. */
static cg_status plain_call(cg_channel *ch, const char *id)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    cg_call_opts opts = {.timeout_ms = FX_CALL_MS};
    return tutorial__v1__my_service_client__unary_call(ch, &req, NULL, &opts);
}

/* Waits (bounded) until the channel has noticed that its server is gone. */
static bool wait_not_ready(cg_channel *ch)
{
    int64_t until = fx_now_ms() + (int64_t)FX_WAIT_MS * fx_slow();
    struct timespec tick = {0, 5 * 1000000L};
    while (cg_channel_state(ch, false) == CG_CONN_READY) {
        if (fx_now_ms() > until)
            return false;
        nanosleep(&tick, NULL);
    }
    return true;
}

/* The test's own part of a restart: the channel saw the first server go,
 * and a second one came up on its port. */
static void expect_restart_happened(bool noticed, bool restarted, int port)
{
    expect_true(noticed, "#riding-out-a-restart",
                "the channel still said READY %d s after its server stopped",
                FX_WAIT_MS / 1000 * fx_slow());
    expect_true(restarted, "#riding-out-a-restart",
                "the test could not restart its server on port %d: the port "
                "stayed in use (by another program?)",
                port);
}

/* ---- ensure_connection ------------------------------------------------- */

static void test_connection_ensure_connects(void **state)
{
    (void)state;
    fx_watchdog(30, "#waiting-for-ready");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    /* A new channel is IDLE: it connects only when asked to. */
    cg_conn_state before = cg_channel_state(ch, false);
    int64_t t0 = fx_now_ms();
    cg_status st = ensure_connection(ch, FX_CALL_MS);
    int64_t took = fx_now_ms() - t0;
    cg_conn_state after = cg_channel_state(ch, false);
    /* Already READY: at once. timeout 0 means the default. */
    cg_status again = ensure_connection(ch, 0);
    fx_channel_free(ch);
    int calls = srv.st.calls;
    fx_server_free(&srv);
    expect_true(before == CG_CONN_IDLE, "#connectivity-states",
                "a new channel should be IDLE, it is %s",
                cg_conn_state_name(before));
    expect_status(st, GRPC_STATUS_OK, "ensure_connection(a new channel)",
                  "#waiting-for-ready");
    expect_true(after == CG_CONN_READY, "#waiting-for-ready",
                "ensure_connection returned, and the channel is %s, not "
                "READY",
                cg_conn_state_name(after));
    expect_true(took < FX_CALL_MS / 2, "#waiting-for-ready",
                "ensure_connection(a new channel, %d ms) took %lld ms to "
                "connect to a server on this machine: return as soon as the "
                "channel is READY, not at the end of the timeout",
                FX_CALL_MS, (long long)took);
    expect_status(again, GRPC_STATUS_OK,
                  "ensure_connection(a READY channel, timeout 0)",
                  "#waiting-for-ready");
    expect_int(calls, 0, "#waiting-for-ready");
}

static void test_connection_ensure_server_down(void **state)
{
    (void)state;
    fx_watchdog(30, "#waiting-for-ready");
    char dead[64];
    fx_dead_target(dead, sizeof dead);
    cg_channel *ch = fx_channel(dead);
    int64_t t0 = fx_now_ms();
    cg_status st = ensure_connection(ch, 300);
    int64_t took = fx_now_ms() - t0;
    fx_channel_free(ch);
    fx_dead_target_used();
    cg_status none = ensure_connection(NULL, 100);
    expect_status(st, GRPC_STATUS_UNAVAILABLE,
                  "ensure_connection(no server, 300 ms)", "#waiting-for-ready");
    expect_true(strstr(st.message, "not connected after 300 ms (state ") ==
                    st.message,
                "#waiting-for-ready",
                "ensure_connection(no server, 300 ms): the message \"%s\" "
                "should be \"not connected after 300 ms (state <STATE>)\"",
                st.message);
    expect_true(took >= 250, "#waiting-for-ready",
                "ensure_connection(no server, 300 ms) gave up after %lld ms: "
                "a connection that fails once may work on the next try, so "
                "wait the whole timeout",
                (long long)took);
    expect_true(took < 300 + 3000 * fx_slow(), "#waiting-for-ready",
                "ensure_connection(no server, 300 ms) took %lld ms",
                (long long)took);
    expect_status(none, GRPC_STATUS_INVALID_ARGUMENT, "ensure_connection(NULL)",
                  "#waiting-for-ready");
}

static void test_connection_recovers_after_restart(void **state)
{
    (void)state;
    fx_watchdog(60, "#riding-out-a-restart");
    /* [restart] */
    fx_server a;
    fx_server_start(&a, "first");
    int port = a.port;
    cg_channel *ch = fx_channel(a.target);
    cg_status st1 = ensure_connection(ch, FX_CALL_MS);
    cg_status call1 = plain_call(ch, "one");

    fx_server_stop(&a); /* the server goes away... */
    bool noticed = wait_not_ready(ch);
    fx_server b;
    bool restarted =
        fx_server_start_on(&b, "second", port); /* ...and is back */

    cg_status st2 = ensure_connection(ch, FX_CALL_MS);
    cg_conn_state after = cg_channel_state(ch, false);
    cg_status call2 = plain_call(ch, "two");
    /* [/restart] */
    fx_channel_free(ch);
    int first_calls = a.st.unary_calls, second_calls = b.st.unary_calls;
    fx_server_free(&a);
    fx_server_free(&b);

    expect_restart_happened(noticed, restarted, port);
    expect_status(st1, GRPC_STATUS_OK, "ensure_connection(first server)",
                  "#waiting-for-ready");
    expect_status(call1, GRPC_STATUS_OK, "a call to the first server",
                  "#riding-out-a-restart");
    expect_status(st2, GRPC_STATUS_OK,
                  "ensure_connection after the server restarted",
                  "#riding-out-a-restart");
    expect_true(after == CG_CONN_READY, "#riding-out-a-restart",
                "ensure_connection returned OK after the restart, but the "
                "channel is %s, not READY",
                cg_conn_state_name(after));
    expect_status(call2, GRPC_STATUS_OK, "a call after the restart",
                  "#riding-out-a-restart");
    expect_int(first_calls, 1, "#riding-out-a-restart");
    expect_int(second_calls, 1, "#riding-out-a-restart");
}

/* ---- wait_ready_opts ---------------------------------------------------- */

/* UnaryCall with the given wait-for-ready options; msg gets the answer. */
static cg_status ready_call(cg_channel *ch, const char *id, int32_t value,
                            int64_t timeout_ms, char *msg, size_t cap)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    req.value = value;
    cg_call_opts opts = wait_ready_opts(timeout_ms);
    Tutorial__V1__Response *resp = NULL;
    msg[0] = '\0';
    cg_status st =
        tutorial__v1__my_service_client__unary_call(ch, &req, &resp, &opts);
    if (resp != NULL) {
        snprintf(msg, cap, "%s", resp->message);
        tutorial__v1__response__free_unpacked(resp, NULL);
    }
    return st;
}

typedef struct patient {
    cg_channel *ch;
    cg_status st;
    char msg[64];
} patient;

static void *call_patiently(void *arg)
{
    patient *p = arg;
    p->st = ready_call(p->ch, "again", 7, FX_CALL_MS * fx_slow(), p->msg,
                       sizeof p->msg);
    return NULL;
}

static void test_connection_wait_for_ready_rides_out_restart(void **state)
{
    (void)state;
    fx_watchdog(60, "#calls-that-wait-for-ready");
    fx_server a;
    fx_server_start(&a, "first");
    int port = a.port;
    cg_channel *ch = fx_channel(a.target);
    cg_status call1 = plain_call(ch, "one");
    fx_server_stop(&a);
    bool noticed = wait_not_ready(ch);
    /* With nobody listening, a connection attempt fails: the channel is
     * in TRANSIENT_FAILURE and waits before the next one (a second by
     * default; FX_RECONNECT_MS for fx_channel's channels). A plain call
     * fails at once now. */
    cg_status down = plain_call(ch, "down");

    patient p = {.ch = ch};
    pthread_t t;
    pthread_create(&t, NULL, call_patiently, &p);
    fx_server b;
    bool restarted = fx_server_start_on(&b, "second", port);
    pthread_join(t, NULL);
    fx_channel_free(ch);
    int second_calls = b.st.unary_calls;
    fx_server_free(&a);
    fx_server_free(&b);

    expect_restart_happened(noticed, restarted, port);
    expect_status(call1, GRPC_STATUS_OK, "a call to the first server",
                  "#riding-out-a-restart");
    expect_status(down, GRPC_STATUS_UNAVAILABLE,
                  "a plain call while the server is away",
                  "#calls-that-wait-for-ready");
    expect_status(p.st, GRPC_STATUS_OK,
                  "a call with wait_ready_opts made while the server restarts",
                  "#calls-that-wait-for-ready");
    expect_str(p.msg, "Processed: again", "#calls-that-wait-for-ready");
    expect_int(second_calls, 1, "#calls-that-wait-for-ready");
}

static void test_connection_wait_for_ready_gives_up(void **state)
{
    (void)state;
    fx_watchdog(30, "#calls-that-wait-for-ready");
    char dead[64];
    fx_dead_target(dead, sizeof dead);
    cg_channel *ch = fx_channel(dead);
    char msg[64] = "garbage";
    int64_t t0 = fx_now_ms();
    cg_status st = ready_call(ch, "x", 1, 300, msg, sizeof msg);
    int64_t took = fx_now_ms() - t0;
    fx_channel_free(ch);
    fx_dead_target_used();
    expect_status(st, GRPC_STATUS_DEADLINE_EXCEEDED,
                  "a call with wait_ready_opts(300), no server",
                  "#calls-that-wait-for-ready");
    expect_true(took >= 250, "#calls-that-wait-for-ready",
                "a call with wait_ready_opts(300), no server, returned after "
                "%lld ms",
                (long long)took);
    expect_str(msg, "", "#calls-that-wait-for-ready");
}

static void test_connection_wait_for_ready_plain_call(void **state)
{
    (void)state;
    fx_watchdog(30, "#calls-that-wait-for-ready");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    char msg[64];
    cg_status st = ready_call(ch, "x", 5, 0, msg, sizeof msg);
    fx_channel_free(ch);
    int64_t left = srv.st.time_left_ms;
    int32_t value = srv.st.last_value;
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_OK,
                  "a call with wait_ready_opts(0), live server",
                  "#calls-that-wait-for-ready");
    expect_str(msg, "Processed: x", "#calls-that-wait-for-ready");
    expect_int(value, 5, "#calls-that-wait-for-ready");
    expect_true(left > 0 && left <= CLIENT_TIMEOUT_MS + 120,
                "#calls-that-wait-for-ready",
                "a call with wait_ready_opts(0): the server saw %lld "
                "ms left before the deadline, expected at most "
                "CLIENT_TIMEOUT_MS (%d): waiting for ready without a deadline "
                "may wait for ever",
                (long long)left, CLIENT_TIMEOUT_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connection_ensure_connects),
        cmocka_unit_test(test_connection_ensure_server_down),
        cmocka_unit_test(test_connection_recovers_after_restart),
        cmocka_unit_test(test_connection_wait_for_ready_rides_out_restart),
        cmocka_unit_test(test_connection_wait_for_ready_gives_up),
        cmocka_unit_test(test_connection_wait_for_ready_plain_call),
    };
    return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
