/*
 * test_vanish.c: clients that go away in the middle of a call.
 *
 *  - killed: a client process (ft_client) with a call of each streaming
 *    kind in flight is killed with SIGKILL. Nothing cancels the call; the
 *    server learns from the closed connection. Each handler must return
 *    (no thread stuck in cg_recv or cg_send), a chat room must drop the
 *    member, a half-done upload must not be saved, and the server must go
 *    on serving.
 *  - cancelled: hundreds of calls cancelled mid-stream, and a channel
 *    freed under fifty open streams: every handler returns and every call
 *    record of the runtime is freed (its live count comes back).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ft_util.h"

static bool room_empty(void *arg)
{
    return chat_room_size(arg) == 0;
}

static bool room_of_one(void *arg)
{
    return chat_room_size(arg) == 1;
}

typedef struct live_probe {
    ft_server *s;
    long want;
} live_probe;

static bool live_back(void *arg)
{
    live_probe *p = arg;
    return ft_live_calls(p->s) == p->want;
}

/* Starts ft_client in `mode` against s, waits until the handler of m runs,
 * kills the client, and checks that the handler returns, with an error,
 * within a few seconds. Returns how long that took in ms. */
static int64_t kill_mid_call(ft_server *s, const char *mode, const cg_method *m)
{
    int before = ft_started(s, m), done = ft_returned(s, m);
    char *argv[] = {FT_CLIENT, s->target, (char *)mode, NULL};
    proc *p = ft_child();
    if (!proc_start(p, argv))
        fail_msg("cannot start %s (make -f mk/faults.mk faults-bins)",
                 FT_CLIENT);
    char line[64] = "";
    bool ready = proc_read_line(p, line, sizeof line, FT_WAIT_MS) &&
                 strcmp(line, "ready") == 0;
    bool running = ready && ft_wait_started(s, m, before + 1, FT_WAIT_MS);
    int64_t t0 = ft_now_ms();
    proc_signal(p, SIGKILL);
    bool gone = proc_wait(p, FT_WAIT_MS);
    cg_status last;
    bool returned = ft_wait_returned(s, m, done + 1, FT_WAIT_MS, &last);
    int64_t took = ft_now_ms() - t0;
    proc_end(p);
    if (!ready)
        fail_msg("ft_client %s did not get its call going; it printed \"%s\" "
                 "and on stderr:\n%s",
                 mode, line, p->err);
    if (!running)
        fail_msg("%s: the handler never started", mode);
    assert_true(gone);
    if (!returned)
        fail_msg("%s: the client was killed, but the handler had not returned "
                 "%d ms later (stuck in cg_recv or cg_send?)",
                 mode, FT_WAIT_MS);
    if (last.code == GRPC_STATUS_OK)
        fail_msg("%s: the handler of a vanished client returned OK", mode);
    /* The server still serves. */
    ft_expect_code(ft_unary(s->ch, "still-here", FT_WAIT_MS), GRPC_STATUS_OK);
    printf("    %-14s handler returned %s %lld ms after SIGKILL\n", mode,
           cg_status_name(last.code), (long long)took);
    return took;
}

static void test_vanish_killed_server_stream(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    kill_mid_call(&s, "server-stream", M_SSTREAM);
    ft_server_stop(&s);
}

static void test_vanish_killed_client_stream(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    kill_mid_call(&s, "client-stream", M_CSTREAM);
    ft_server_stop(&s);
}

static void test_vanish_killed_bidi(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    kill_mid_call(&s, "bidi", M_BIDI);
    ft_server_stop(&s);
}

static void test_vanish_killed_chat_member_leaves_room(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    /* A member who stays, to see that the room goes on without the ghost. */
    cg_call_opts o = ft_opts(FT_WAIT_MS);
    cg_call *stay = tutorial__v1__chat_service_client__chat(s.ch, &o);
    Tutorial__V1__ChatMessage hi = TUTORIAL__V1__CHAT_MESSAGE__INIT;
    hi.user = "stayer";
    hi.content = "hi";
    assert_true(cg_call_send(stay, &hi));
    assert_non_null(cg_call_recv(stay));

    kill_mid_call(&s, "chat", M_CHAT);
    if (!ft_wait_until(room_of_one, &s.room, FT_WAIT_MS))
        fail_msg("the room has %zu members after the ghost was killed, "
                 "wanted 1",
                 chat_room_size(&s.room));
    /* The ghost's "hello" reached the stayer before it died; skip it. */
    const Tutorial__V1__ChatMessage *m = cg_call_recv(stay);
    assert_non_null(m);
    assert_string_equal(m->user, "ghost");
    /* The room still broadcasts, to the one member left. */
    Tutorial__V1__ChatMessage again = TUTORIAL__V1__CHAT_MESSAGE__INIT;
    again.user = "stayer";
    again.content = "anyone?";
    assert_true(cg_call_send(stay, &again));
    m = cg_call_recv(stay);
    assert_non_null(m);
    assert_string_equal(m->content, "anyone?");
    assert_true(cg_call_close_send(stay));
    assert_null(cg_call_recv(stay));
    ft_expect_code(cg_call_finish(stay), GRPC_STATUS_OK);
    assert_true(ft_wait_until(room_empty, &s.room, FT_WAIT_MS));
    ft_server_stop(&s);
}

static void test_vanish_killed_upload_is_not_saved(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    kill_mid_call(&s, "upload", M_UPLOAD);
    assert_int_equal(ft_saved(&s), 0);
    ft_server_stop(&s);
}

static void test_vanish_killed_notifications_stop(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    /* 1,000 notifications 20 ms apart would take 20 s: the handler must
     * notice the dead client in its pause or its next send. */
    s.notes.interval_ms = 20;
    int64_t took = kill_mid_call(&s, "notify", M_NOTIFY);
    assert_true(took < 5000);
    ft_server_stop(&s);
}

/* ---- cancelled ------------------------------------------------------- */

/* Puts a call of `kind` (0..3) in flight and makes sure its handler runs. */
static cg_call *start_streaming(ft_server *s, int kind, int i)
{
    cg_call_opts o = ft_opts(FT_WAIT_MS);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "storm";
    req.value = 10000;
    cg_call *c = NULL;
    switch (kind) {
    case 0:
        c = tutorial__v1__my_service_client__server_stream(s->ch, &req, &o);
        assert_non_null(cg_call_recv(c));
        break;
    case 1:
        c = tutorial__v1__my_service_client__client_stream(s->ch, &o);
        assert_true(cg_call_send(c, &req));
        break;
    case 2:
        c = tutorial__v1__my_service_client__bidirectional_stream(s->ch, &o);
        assert_true(cg_call_send(c, &req));
        assert_non_null(cg_call_recv(c));
        break;
    default: {
        c = tutorial__v1__chat_service_client__chat(s->ch, &o);
        Tutorial__V1__ChatMessage m = TUTORIAL__V1__CHAT_MESSAGE__INIT;
        m.user = "storm";
        m.content = i % 2 ? "odd" : "even";
        assert_true(cg_call_send(c, &m));
        assert_non_null(cg_call_recv(c));
        break;
    }
    }
    return c;
}

static const cg_method *kind_method(int kind)
{
    const cg_method *ms[] = {M_SSTREAM, M_CSTREAM, M_BIDI, M_CHAT};
    return ms[kind];
}

static void test_vanish_cancel_storm_frees_every_call(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    long idle = ft_live_calls(&s);
    enum { N = 400 };
    for (int i = 0; i < N; i++) {
        int kind = i % 4;
        const cg_method *m = kind_method(kind);
        int before = ft_started(&s, m);
        cg_call *c = start_streaming(&s, kind, i);
        /* A client-streaming call's handler may not have started yet. */
        assert_true(ft_wait_started(&s, m, before + 1, FT_WAIT_MS));
        cg_call_cancel(c);
        ft_expect_code(cg_call_finish(c), GRPC_STATUS_CANCELLED);
    }
    for (int k = 0; k < 4; k++) {
        cg_status last;
        if (!ft_wait_returned(&s, kind_method(k), N / 4, FT_WAIT_MS, &last))
            fail_msg("%s: %d of %d cancelled handlers returned",
                     kind_method(k)->path, ft_returned(&s, kind_method(k)),
                     N / 4);
    }
    assert_true(ft_wait_until(room_empty, &s.room, FT_WAIT_MS));
    live_probe lp = {&s, idle};
    if (!ft_wait_until(live_back, &lp, FT_WAIT_MS))
        fail_msg("the server holds %ld call records after %d cancelled calls "
                 "ended, %ld when idle: some were never freed",
                 ft_live_calls(&s), N, idle);
    ft_expect_code(ft_unary(s.ch, "after the storm", FT_WAIT_MS),
                   GRPC_STATUS_OK);
    ft_server_stop(&s);
}

static void test_vanish_channel_freed_under_fifty_streams(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    long idle = ft_live_calls(&s);
    cg_channel *doomed = cg_channel_new(s.target, NULL, NULL);
    assert_non_null(doomed);
    cg_channel *keep = s.ch;
    s.ch = doomed; /* start_streaming calls on s->ch */
    enum { N = 48 };
    cg_call *calls[N];
    int want[4] = {0};
    for (int k = 0; k < 4; k++)
        want[k] = ft_started(&s, kind_method(k));
    for (int i = 0; i < N; i++) {
        calls[i] = start_streaming(&s, i % 4, i);
        want[i % 4]++;
    }
    for (int k = 0; k < 4; k++)
        assert_true(ft_wait_started(&s, kind_method(k), want[k], FT_WAIT_MS));
    s.ch = keep;
    /* All fifty at once: the channel and its connection go away. */
    cg_channel_free(doomed);
    for (int k = 0; k < 4; k++)
        if (!ft_wait_returned(&s, kind_method(k), want[k], FT_WAIT_MS, NULL))
            fail_msg("%s: a handler is still running after its channel was "
                     "freed",
                     kind_method(k)->path);
    for (int i = 0; i < N; i++)
        assert_int_not_equal(cg_call_finish(calls[i]).code, GRPC_STATUS_OK);
    live_probe lp = {&s, idle};
    if (!ft_wait_until(live_back, &lp, FT_WAIT_MS))
        fail_msg("%ld call records alive after the channel went, %ld idle",
                 ft_live_calls(&s), idle);
    assert_true(ft_wait_until(room_empty, &s.room, FT_WAIT_MS));
    ft_expect_code(ft_unary(s.ch, "other channel", FT_WAIT_MS), GRPC_STATUS_OK);
    ft_server_stop(&s);
}

int main(void)
{
    ft_filter_from_env();
    setvbuf(stdout, NULL, _IONBF, 0);
    const struct CMUnitTest tests[] = {
        FT_TEST(test_vanish_killed_server_stream),
        FT_TEST(test_vanish_killed_client_stream),
        FT_TEST(test_vanish_killed_bidi),
        FT_TEST(test_vanish_killed_chat_member_leaves_room),
        FT_TEST(test_vanish_killed_upload_is_not_saved),
        FT_TEST(test_vanish_killed_notifications_stop),
        FT_TEST(test_vanish_cancel_storm_frees_every_call),
        FT_TEST(test_vanish_channel_freed_under_fifty_streams),
    };
    return cmocka_run_group_tests_name("vanish", tests, ft_group_setup,
                                       ft_group_teardown);
}
