/*
 * test_streams.c: server-streaming, client-streaming and bidi calls;
 * concurrent senders and receivers on one bidi stream; cancellation seen
 * by a streaming handler; the pool growing when handlers block.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_util.h"
#include "server.h" /* the pool's thread count, for the growth test */

static rt_fixture F;

static int setup(void **state)
{
    rt_group_setup(state);
    rt_fixture_start(&F, NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    rt_fixture_stop(&F);
    return rt_group_teardown(state);
}

static bool slow(void)
{
    return getenv("CGRT_SLOW") != NULL;
}

/* ---- server streaming ------------------------------------------------ */

static void test_stream_server_streaming(void **state)
{
    (void)state;
    int n = slow() ? 200 : 2000;
    cg_call_opts o = rt_opts(RT_WAIT_MS * 3);
    cg_call *c = cg_call_start(F.ch, rt_m(RT_COUNT), &o);
    Rt__Msg req = rt_msg("", n);
    assert_true(cg_call_send(c, &req));
    assert_true(cg_call_close_send(c));
    int got = 0;
    const Rt__Msg *m;
    while ((m = cg_call_recv(c)) != NULL) {
        assert_int_equal(m->num, got);
        got++;
    }
    assert_int_equal(got, n);
    assert_string_equal(cg_call_header(c, "x-count", NULL), "yes");
    /* Headers are fixed once the first message has gone. */
    assert_null(cg_call_header(c, "x-late", NULL));
    assert_int_equal(rt_get(&F.st, &F.st.header_after_send), 0);
    assert_string_equal(cg_call_trailer(c, "x-sent", NULL), "done");
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
}

static void test_stream_server_streaming_error_after_messages(void **state)
{
    (void)state;
    cg_call *c = cg_call_start(F.ch, rt_m(RT_COUNT), NULL);
    Rt__Msg req = rt_msg("", 3);
    req.code = GRPC_STATUS_ABORTED;
    assert_true(cg_call_send(c, &req));
    int got = 0;
    while (cg_call_recv(c) != NULL)
        got++;
    assert_int_equal(got, 3);
    cg_status st = cg_call_finish(c);
    assert_status(st, GRPC_STATUS_ABORTED);
    assert_string_equal(st.message, "count failed");
}

static void test_stream_server_streaming_zero_messages(void **state)
{
    (void)state;
    cg_call *c = cg_call_start(F.ch, rt_m(RT_COUNT), NULL);
    Rt__Msg req = rt_msg("", 0);
    assert_true(cg_call_send(c, &req));
    assert_null(cg_call_recv(c));
    assert_string_equal(cg_call_header(c, "x-count", NULL), "yes");
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
}

static void test_stream_large_messages(void **state)
{
    (void)state;
    /* Messages of 256 KiB, more of them than the send queue's byte budget
     * holds, so the handler waits for room now and then. */
    int n = slow() ? 8 : 40;
    size_t size = 256 * 1024;
    uint8_t *blob = malloc(size);
    memset(blob, 0x5a, size);
    Rt__Msg req = rt_msg("", n);
    req.blob.data = blob;
    req.blob.len = size;
    cg_call_opts o = rt_opts(RT_WAIT_MS * 3);
    cg_call *c = cg_call_start(F.ch, rt_m(RT_COUNT), &o);
    assert_true(cg_call_send(c, &req));
    int got = 0;
    const Rt__Msg *m;
    while ((m = cg_call_recv(c)) != NULL) {
        assert_int_equal(m->blob.len, size);
        assert_int_equal(m->blob.data[size - 1], 0x5a);
        got++;
    }
    cg_status st = cg_call_finish(c);
    if (got != n)
        fail_msg("got %d of %d messages, then %s (%s)", got, n,
                 cg_status_name(st.code), st.message);
    assert_status(st, GRPC_STATUS_OK);
    free(blob);
}

static void test_stream_finish_before_reading_all(void **state)
{
    (void)state;
    /* Unread messages are dropped by cg_call_finish, which still returns
     * the real status. */
    cg_call *c = cg_call_start(F.ch, rt_m(RT_COUNT), NULL);
    Rt__Msg req = rt_msg("", 50);
    assert_true(cg_call_send(c, &req));
    assert_non_null(cg_call_recv(c));
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
}

/* ---- client streaming ------------------------------------------------ */

static void test_stream_client_streaming(void **state)
{
    (void)state;
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_call *c = cg_call_start(F.ch, rt_m(RT_SUM), &o);
    int64_t want = 0;
    for (int i = 1; i <= 100; i++) {
        Rt__Msg m = rt_msg("part", i);
        assert_true(cg_call_send(c, &m));
        want += i;
    }
    assert_true(cg_call_close_send(c));
    assert_true(cg_call_close_send(c)); /* idempotent */
    const Rt__Msg *resp = cg_call_recv(c);
    assert_non_null(resp);
    assert_int_equal(resp->num, 100);
    assert_true(resp->big == want);
    assert_null(cg_call_recv(c));
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
    assert_status(rt_stream_err(&F.st), GRPC_STATUS_OK);
}

static void test_stream_client_streaming_empty(void **state)
{
    (void)state;
    /* No messages at all, and no explicit close: finish half-closes. */
    cg_call *c = cg_call_start(F.ch, rt_m(RT_SUM), NULL);
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
    c = cg_call_start(F.ch, rt_m(RT_SUM), NULL);
    assert_true(cg_call_close_send(c));
    const Rt__Msg *resp = cg_call_recv(c);
    assert_non_null(resp);
    assert_int_equal(resp->num, 0);
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
}

static void test_stream_client_streaming_send_more(void **state)
{
    (void)state;
    /* An upload with cg_call_send_more: every message arrives, the last
     * one with the half-close. */
    int n = slow() ? 200 : 5000;
    cg_call_opts o = rt_opts(RT_WAIT_MS * 2);
    cg_call *c = cg_call_start(F.ch, rt_m(RT_SUM), &o);
    int64_t want = 0;
    for (int i = 1; i <= n; i++) {
        Rt__Msg m = rt_msg("chunk", i);
        assert_true(cg_call_send_more(c, &m));
        want += i;
    }
    assert_true(cg_call_close_send(c));
    const Rt__Msg *resp = cg_call_recv(c);
    assert_non_null(resp);
    assert_int_equal(resp->num, n);
    assert_true(resp->big == want);
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);

    /* Without a close: cg_call_finish sends what is waiting. */
    c = cg_call_start(F.ch, rt_m(RT_SUM), &o);
    Rt__Msg m = rt_msg("last", 7);
    assert_true(cg_call_send_more(c, &m));
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
    assert_status(rt_stream_err(&F.st), GRPC_STATUS_OK);
}

static void test_stream_send_more_burst_then_lock_step(void **state)
{
    (void)state;
    cg_channel *ch = cg_channel_new(F.target, NULL, NULL);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_call *c = cg_call_start(ch, rt_m(RT_CHAT), &o);
    /* Open the stream first (a new stream is written out at once). */
    Rt__Msg hello = rt_msg("hello", -1);
    assert_true(cg_call_send(c, &hello));
    assert_non_null(cg_call_recv(c));
    int before = rt_get(&F.st, &F.st.received);
    for (int i = 0; i < 5; i++) {
        Rt__Msg m = rt_msg("more", i);
        assert_true(cg_call_send_more(c, &m));
    }
    /* They may wait in a buffer (how long is the transport's choice: any
     * other write on the connection takes them along; quick_bench shows
     * the gain). A plain send ends the burst: all six arrive, in order. */
    Rt__Msg last = rt_msg("last", 5);
    assert_true(cg_call_send(c, &last));
    for (int i = 0; i < 6; i++) {
        const Rt__Msg *r = cg_call_recv(c);
        assert_non_null(r);
        assert_int_equal(r->num, i);
    }
    assert_int_equal(rt_get(&F.st, &F.st.received) - before, 6);
    /* cg_call_recv sends a waiting message first: lock step works. */
    Rt__Msg ping = rt_msg("ping", 6);
    assert_true(cg_call_send_more(c, &ping));
    const Rt__Msg *r = cg_call_recv(c);
    assert_non_null(r);
    assert_int_equal(r->num, 6);
    assert_true(cg_call_close_send(c));
    assert_null(cg_call_recv(c));
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
    cg_channel_free(ch);
}

/* ---- bidi ------------------------------------------------------------ */

static void test_stream_bidi_ping_pong(void **state)
{
    (void)state;
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_call *c = cg_call_start(F.ch, rt_m(RT_CHAT), &o);
    for (int i = 0; i < 20; i++) {
        char text[16];
        snprintf(text, sizeof text, "msg %d", i);
        Rt__Msg m = rt_msg(text, i);
        assert_true(cg_call_send(c, &m));
        /* The reply must come before we send again: a message sitting in
         * a write buffer would deadlock this loop. */
        const Rt__Msg *r = cg_call_recv(c);
        assert_non_null(r);
        assert_int_equal(r->num, i);
        char want[32];
        snprintf(want, sizeof want, "echo: msg %d", i);
        assert_string_equal(r->text, want);
    }
    assert_string_equal(cg_call_header(c, "x-chat", NULL), "1");
    assert_true(cg_call_close_send(c));
    assert_null(cg_call_recv(c));
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
    assert_status(rt_stream_err(&F.st), GRPC_STATUS_OK);
}

typedef struct sender_job {
    cg_call *c;
    int n, sent;
    bool more; /* send with cg_call_send_more */
} sender_job;

static void *client_sender(void *arg)
{
    sender_job *j = arg;
    for (int i = 0; i < j->n; i++) {
        Rt__Msg m = rt_msg("from client", i);
        /* In bursts of ten, while the other thread receives. */
        bool more = j->more && i % 10 != 9;
        if (!(more ? cg_call_send_more(j->c, &m) : cg_call_send(j->c, &m)))
            break;
        j->sent++;
    }
    cg_call_close_send(j->c);
    return NULL;
}

/* Both sides send on one thread while receiving on another: the server's
 * handler has a sender thread too (Duplex). */
static void concurrent_send_and_recv(bool more)
{
    int up = slow() ? 100 : 1000, down = slow() ? 150 : 1500;
    int before = rt_get(&F.st, &F.st.received);
    char count[16];
    snprintf(count, sizeof count, "%d", down);
    cg_md md[] = {{"x-count", count, 0}};
    cg_call_opts o = rt_opts(RT_WAIT_MS * 3);
    o.metadata = md;
    o.n_metadata = 1;
    cg_call *c = cg_call_start(F.ch, rt_m(RT_DUPLEX), &o);
    sender_job job = {c, up, 0, more};
    pthread_t t;
    pthread_create(&t, NULL, client_sender, &job);
    int got = 0;
    const Rt__Msg *m;
    while ((m = cg_call_recv(c)) != NULL) {
        assert_int_equal(m->num, got);
        got++;
    }
    pthread_join(t, NULL);
    assert_int_equal(job.sent, up);
    assert_int_equal(got, down);
    char want[16];
    snprintf(want, sizeof want, "%d", up);
    assert_string_equal(cg_call_trailer(c, "x-received", NULL), want);
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
    assert_int_equal(rt_get(&F.st, &F.st.received) - before, up);
}

static void test_stream_bidi_concurrent_send_and_recv(void **state)
{
    (void)state;
    concurrent_send_and_recv(false);
}

static void test_stream_bidi_concurrent_send_more_and_recv(void **state)
{
    (void)state;
    concurrent_send_and_recv(true);
}

static void test_stream_bidi_handler_returns_while_client_sends(void **state)
{
    (void)state;
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_call *c = cg_call_start(F.ch, rt_m(RT_CHAT), &o);
    Rt__Msg a = rt_msg("a", 1), stop = rt_msg("stop", 2);
    assert_true(cg_call_send(c, &a));
    assert_non_null(cg_call_recv(c));
    assert_true(cg_call_send(c, &stop));
    /* The server has ended the call; what we still send goes nowhere. */
    for (int i = 0; i < 50; i++) {
        Rt__Msg m = rt_msg("ignored", i);
        if (!cg_call_send(c, &m))
            break;
    }
    assert_null(cg_call_recv(c));
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
}

static void test_stream_bidi_client_cancel_seen_by_handler(void **state)
{
    (void)state;
    int entered = rt_get(&F.st, &F.st.entered),
        cancels = rt_get(&F.st, &F.st.saw_cancel);
    cg_call *c = cg_call_start(F.ch, rt_m(RT_CHAT), NULL);
    Rt__Msg m = rt_msg("hi", 1);
    assert_true(cg_call_send(c, &m));
    assert_non_null(cg_call_recv(c));
    assert_true(rt_wait(&F.st, &F.st.entered, entered + 1, RT_WAIT_MS));
    /* The handler is now blocked in cg_recv; cancelling must wake it. */
    cg_call_cancel(c);
    assert_status(cg_call_finish(c), GRPC_STATUS_CANCELLED);
    assert_true(rt_wait(&F.st, &F.st.saw_cancel, cancels + 1, RT_WAIT_MS));
    cg_status err = rt_stream_err(&F.st);
    assert_status(err, GRPC_STATUS_CANCELLED);
}

static void test_stream_channel_freed_mid_call(void **state)
{
    (void)state;
    /* A client that goes away: the handler must see its call cancelled. */
    int entered = rt_get(&F.st, &F.st.entered),
        cancels = rt_get(&F.st, &F.st.saw_cancel);
    cg_channel *ch = cg_channel_new(F.target, NULL, NULL);
    cg_call *c = cg_call_start(ch, rt_m(RT_CHAT), NULL);
    Rt__Msg m = rt_msg("hi", 1);
    assert_true(cg_call_send(c, &m));
    assert_non_null(cg_call_recv(c));
    assert_true(rt_wait(&F.st, &F.st.entered, entered + 1, RT_WAIT_MS));
    cg_channel_free(ch); /* cancels the call */
    assert_true(rt_wait(&F.st, &F.st.saw_cancel, cancels + 1, RT_WAIT_MS));
    assert_false(cg_call_send(c, &m));
    assert_status(cg_call_finish(c), GRPC_STATUS_CANCELLED);
}

/* ---- the pool -------------------------------------------------------- */

typedef struct block_job {
    cg_channel *ch;
    cg_status st;
} block_job;

static void *call_block(void *arg)
{
    block_job *j = arg;
    Rt__Msg req = RT__MSG__INIT;
    cg_call_opts o = rt_opts(RT_WAIT_MS * 2);
    j->st = cg_unary(j->ch, rt_m(RT_BLOCK), &req, NULL, &o);
    return NULL;
}

static void test_stream_pool_grows_when_handlers_block(void **state)
{
    (void)state;
    /* Two polling threads, six handlers that block: all six must be
     * running at once, which needs the pool to grow. */
    rt_fixture g;
    cg_server_opts so = {0};
    so.min_threads = 2;
    so.max_threads = 16;
    rt_fixture_start(&g, &so, NULL);
    enum { N = 6 };
    pthread_t t[N];
    block_job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i].ch = g.ch;
        pthread_create(&t[i], NULL, call_block, &jobs[i]);
    }
    assert_true(rt_wait(&g.st, &g.st.blocked, N, RT_WAIT_MS));
    /* And the server still answers other calls meanwhile. */
    Rt__Msg req = rt_msg("still here", 1);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_status(cg_unary(g.ch, rt_m(RT_ECHO), &req, NULL, &o),
                  GRPC_STATUS_OK);
    assert_true(atomic_load(&g.srv->pool.peak) >= N);
    rt_release(&g.st);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_status(jobs[i].st, GRPC_STATUS_OK);
    }
    /* Idle extra threads retire (after about two seconds of nothing). */
    int64_t until = rt_now_ms() + RT_WAIT_MS;
    while (atomic_load(&g.srv->pool.threads) > so.min_threads &&
           rt_now_ms() < until) {
        struct timespec nap = {0, 20 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    assert_int_equal(atomic_load(&g.srv->pool.threads), so.min_threads);
    rt_fixture_stop(&g);
}

static void test_stream_single_thread_pool_streams_progress(void **state)
{
    (void)state;
    /* One polling thread: a bidi handler blocked in cg_recv holds it, and
     * its own receive can only complete if another thread polls. */
    rt_fixture g;
    cg_server_opts so = {0};
    so.min_threads = 1;
    so.max_threads = 4;
    rt_fixture_start(&g, &so, NULL);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_call *c = cg_call_start(g.ch, rt_m(RT_CHAT), &o);
    for (int i = 0; i < 5; i++) {
        Rt__Msg m = rt_msg("x", i);
        assert_true(cg_call_send(c, &m));
        const Rt__Msg *r = cg_call_recv(c);
        assert_non_null(r);
        assert_int_equal(r->num, i);
    }
    assert_true(cg_call_close_send(c));
    assert_null(cg_call_recv(c));
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
    rt_fixture_stop(&g);
}

static void test_stream_many_concurrent_streams(void **state)
{
    (void)state;
    enum { N = 16 };
    cg_call *calls[N];
    cg_call_opts o = rt_opts(RT_WAIT_MS * 2);
    for (int i = 0; i < N; i++)
        calls[i] = cg_call_start(F.ch, rt_m(RT_CHAT), &o);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            Rt__Msg m = rt_msg("r", i * 10 + round);
            assert_true(cg_call_send(calls[i], &m));
        }
        for (int i = 0; i < N; i++) {
            const Rt__Msg *r = cg_call_recv(calls[i]);
            assert_non_null(r);
            assert_int_equal(r->num, i * 10 + round);
        }
    }
    for (int i = 0; i < N; i++) {
        assert_true(cg_call_close_send(calls[i]));
        assert_status(cg_call_finish(calls[i]), GRPC_STATUS_OK);
    }
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_server_streaming),
        cmocka_unit_test(test_stream_server_streaming_error_after_messages),
        cmocka_unit_test(test_stream_server_streaming_zero_messages),
        cmocka_unit_test(test_stream_large_messages),
        cmocka_unit_test(test_stream_finish_before_reading_all),
        cmocka_unit_test(test_stream_client_streaming),
        cmocka_unit_test(test_stream_client_streaming_empty),
        cmocka_unit_test(test_stream_client_streaming_send_more),
        cmocka_unit_test(test_stream_send_more_burst_then_lock_step),
        cmocka_unit_test(test_stream_bidi_ping_pong),
        cmocka_unit_test(test_stream_bidi_concurrent_send_and_recv),
        cmocka_unit_test(test_stream_bidi_concurrent_send_more_and_recv),
        cmocka_unit_test(test_stream_bidi_handler_returns_while_client_sends),
        cmocka_unit_test(test_stream_bidi_client_cancel_seen_by_handler),
        cmocka_unit_test(test_stream_channel_freed_mid_call),
        cmocka_unit_test(test_stream_pool_grows_when_handlers_block),
        cmocka_unit_test(test_stream_single_thread_pool_streams_progress),
        cmocka_unit_test(test_stream_many_concurrent_streams),
    };
    return cmocka_run_group_tests_name("streams", tests, setup, teardown);
}
