/*
 * test_load.c: 1,000 concurrent streams on one server and one connection.
 *
 *  - 1,000 server streams, all started before any is read, on a server with
 *    default options: their handlers send and return without waiting, so
 *    the default pool suffices. Every response is checked.
 *  - 1,000 bidi streams open at once, every handler running and waiting in
 *    cg_recv at the same time. A waiting handler holds a pool thread, so
 *    this server raises max_threads to 1,100 (the default, 64, allows 63
 *    such handlers: see test_starvation.c) and keeps the default
 *    min_threads: the pool has to grow from two threads to a thousand as
 *    the handlers block, in bursts (tests/workspace/runtime/test_pool.c checks how).
 *    Two rounds of messages, every answer checked, then all close cleanly.
 *
 * gRPC core's own limit on concurrent streams per connection is not in the
 * way: the server sets none (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS unset,
 * i.e. unlimited), and nothing here raises it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft_util.h"

enum { N = 1000 };

static void test_load_1000_server_streams_at_once(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    cg_call **calls = calloc(N, sizeof *calls);
    cg_call_opts o = ft_opts(FT_WAIT_MS * 3);
    int64_t t0 = ft_now_ms();
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "s%d", i);
        Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
        req.id = id;
        req.value = 5;
        calls[i] =
            tutorial__v1__my_service_client__server_stream(s.ch, &req, &o);
    }
    /* Read them back to front: the last started is read first. */
    int bad = 0;
    for (int i = N - 1; i >= 0; i--) {
        int got = 0;
        const Tutorial__V1__Response *r;
        while ((r = cg_call_recv(calls[i])) != NULL) {
            char want[40];
            snprintf(want, sizeof want, "Processed: s%d #%d", i, ++got);
            bad += strcmp(r->message, want) != 0;
        }
        cg_status st = cg_call_finish(calls[i]);
        if (st.code != GRPC_STATUS_OK || got != 5)
            fail_msg("stream %d: %d of 5 responses, %s (%s)", i, got,
                     cg_status_name(st.code), st.message);
    }
    int64_t took = ft_now_ms() - t0;
    free(calls);
    cg_status last;
    assert_true(ft_wait_returned(&s, M_SSTREAM, N, FT_WAIT_MS, &last));
    ft_server_stop(&s);
    printf("    1000 server streams x 5 responses: %lld ms\n", (long long)took);
    assert_int_equal(bad, 0);
    ft_expect_code(last, GRPC_STATUS_OK);
}

static void test_load_1000_bidi_streams_open_together(void **state)
{
    (void)state;
    /* One thread per waiting handler, started up front: the time measured
     * is then the streams', not the pool's growth. */
    cg_server_opts so = {0};
    /* min_threads stays the default: the pool grows as handlers block. */
    so.max_threads = N + 100;
    ft_server s;
    ft_server_start(&s, &so, NULL, NULL, NULL);
    cg_call **calls = calloc(N, sizeof *calls);
    cg_call_opts o = ft_opts(FT_WAIT_MS * 3);
    int64_t t0 = ft_now_ms();
    int bad = 0;
    for (int round = 1; round <= 2; round++) {
        for (int i = 0; i < N; i++) {
            if (round == 1)
                calls[i] =
                    tutorial__v1__my_service_client__bidirectional_stream(s.ch,
                                                                          &o);
            char id[24];
            snprintf(id, sizeof id, "b%d-%d", i, round);
            Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
            req.id = id;
            if (!cg_call_send(calls[i], &req))
                fail_msg("stream %d, round %d: send failed", i, round);
        }
        for (int i = 0; i < N; i++) {
            const Tutorial__V1__Response *r = cg_call_recv(calls[i]);
            char want[40];
            snprintf(want, sizeof want, "Processed: b%d-%d", i, round);
            if (r == NULL)
                fail_msg("stream %d, round %d: no answer", i, round);
            bad += strcmp(r->message, want) != 0;
        }
    }
    /* Every handler is running now, each waiting for its next message. */
    int running = ft_started(&s, M_BIDI) - ft_returned(&s, M_BIDI);
    int threads = tu_thread_count();
    for (int i = 0; i < N; i++) {
        assert_true(cg_call_close_send(calls[i]));
        assert_null(cg_call_recv(calls[i]));
        cg_status st = cg_call_finish(calls[i]);
        if (st.code != GRPC_STATUS_OK)
            fail_msg("stream %d ended %s (%s)", i, cg_status_name(st.code),
                     st.message);
    }
    int64_t took = ft_now_ms() - t0;
    free(calls);
    cg_status last;
    assert_true(ft_wait_returned(&s, M_BIDI, N, FT_WAIT_MS, &last));
    ft_server_stop(&s);
    printf("    1000 bidi streams open together (%d handlers running at once, "
           "%d threads in the process): %lld ms\n",
           running, threads, (long long)took);
    assert_int_equal(bad, 0);
    assert_int_equal(running, N);
    ft_expect_code(last, GRPC_STATUS_OK);
}

int main(void)
{
    ft_filter_from_env();
    setvbuf(stdout, NULL, _IONBF, 0);
    const struct CMUnitTest tests[] = {
        FT_TEST(test_load_1000_server_streams_at_once),
        FT_TEST(test_load_1000_bidi_streams_open_together),
    };
    return cmocka_run_group_tests_name("load", tests, ft_group_setup,
                                       ft_group_teardown);
}
