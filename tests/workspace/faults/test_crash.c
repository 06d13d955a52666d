/*
 * test_crash.c: a server that dies mid-call (SIGKILL: no drain, no GOAWAY,
 * the kernel just closes its sockets), then comes back on the same port.
 *
 *  - every call in flight ends UNAVAILABLE on the client, whatever its
 *    kind, with the responses already received intact;
 *  - a new call fails fast with UNAVAILABLE while nobody listens;
 *  - a wait-for-ready call made while the server is down succeeds once the
 *    server is back, on the same channel; so do plain calls afterwards.
 *
 * The server is the step-04 solution's program. The first run takes a port
 * from the kernel (127.0.0.1:0); the second asks for that same port.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "ft_util.h"

typedef struct patient {
    cg_channel *ch;
    atomic_llong started_ms; /* 0 until the call is about to start */
    cg_status st;
    char answer[64];
} patient;

static void *call_patiently(void *arg)
{
    patient *pt = arg;
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "patient";
    Tutorial__V1__Response *resp = NULL;
    cg_call_opts o = ft_opts(FT_WAIT_MS);
    o.ready = CG_READY_WAIT;
    atomic_store(&pt->started_ms, ft_now_ms());
    pt->st =
        tutorial__v1__my_service_client__unary_call(pt->ch, &req, &resp, &o);
    if (resp != NULL) {
        snprintf(pt->answer, sizeof pt->answer, "%s", resp->message);
        tutorial__v1__response__free_unpacked(resp, NULL);
    }
    return NULL;
}

static bool call_started(void *arg)
{
    patient *pt = arg;
    return atomic_load(&pt->started_ms) != 0;
}

static void test_crash_calls_in_flight_get_unavailable(void **state)
{
    (void)state;
    proc *p = ft_child();
    int port;
    ft_start_program(p, "127.0.0.1:0", &port);
    cg_channel *ch = ft_channel_to_port(port, NULL);
    cg_call_opts o = ft_opts(FT_WAIT_MS);

    /* One call of each streaming kind, each certainly running. */
    static char id[4096];
    memset(id, 's', sizeof id - 1);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = id;
    req.value = 10000; /* 40 MB: far more than buffers hold */
    cg_call *ss = tutorial__v1__my_service_client__server_stream(ch, &req, &o);
    assert_non_null(cg_call_recv(ss));
    req.id = "crash";
    req.value = 1;
    cg_call *bidi =
        tutorial__v1__my_service_client__bidirectional_stream(ch, &o);
    assert_true(cg_call_send(bidi, &req));
    assert_non_null(cg_call_recv(bidi));
    cg_call *cs = tutorial__v1__my_service_client__client_stream(ch, &o);
    assert_true(cg_call_send(cs, &req));

    int64_t t0 = ft_now_ms();
    proc_signal(p, SIGKILL);
    assert_true(proc_wait(p, FT_WAIT_MS));
    assert_int_equal(proc_exit_code(p), 128 + SIGKILL);

    /* What had arrived before the crash is still readable, in order. */
    int got = 1;
    const Tutorial__V1__Response *r;
    while ((r = cg_call_recv(ss)) != NULL) {
        char want[4200];
        snprintf(want, sizeof want, "Processed: %s #%d", id, ++got);
        assert_string_equal(r->message, want);
    }
    assert_true(got < 10000);
    cg_status st_ss = cg_call_finish(ss);
    assert_null(cg_call_recv(bidi));
    cg_status st_bidi = cg_call_finish(bidi);
    cg_call_close_send(cs);
    assert_null(cg_call_recv(cs));
    cg_status st_cs = cg_call_finish(cs);
    int64_t took = ft_now_ms() - t0;
    /* A new call while nobody listens fails at once. */
    int64_t t1 = ft_now_ms();
    cg_status down = ft_unary(ch, "down", FT_WAIT_MS);
    int64_t down_ms = ft_now_ms() - t1;
    cg_channel_free(ch);
    proc_end(p);

    printf("    after SIGKILL: in-flight calls ended in %lld ms (%d of 10000 "
           "stream responses had arrived); a new call failed in %lld ms\n",
           (long long)took, got, (long long)down_ms);
    ft_expect_code(st_ss, GRPC_STATUS_UNAVAILABLE);
    ft_expect_code(st_bidi, GRPC_STATUS_UNAVAILABLE);
    ft_expect_code(st_cs, GRPC_STATUS_UNAVAILABLE);
    ft_expect_code(down, GRPC_STATUS_UNAVAILABLE);
    assert_true(down_ms < FT_WAIT_MS / 2); /* failed fast, not a timeout */
}

static void test_crash_wait_for_ready_call_survives_restart(void **state)
{
    (void)state;
    proc *p1 = ft_child(), *p2 = ft_child();
    int port, port2 = 0;
    ft_start_program(p1, "127.0.0.1:0", &port);
    cg_channel *ch = ft_channel_to_port(port, NULL);
    ft_expect_code(ft_unary(ch, "before", FT_WAIT_MS), GRPC_STATUS_OK);
    cg_call_opts o = ft_opts(FT_WAIT_MS);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "mid";
    cg_call *bidi =
        tutorial__v1__my_service_client__bidirectional_stream(ch, &o);
    assert_true(cg_call_send(bidi, &req));
    assert_non_null(cg_call_recv(bidi));

    proc_signal(p1, SIGKILL);
    assert_true(proc_wait(p1, FT_WAIT_MS));
    proc_end(p1);
    assert_null(cg_call_recv(bidi));
    ft_expect_code(cg_call_finish(bidi), GRPC_STATUS_UNAVAILABLE);
    ft_expect_code(ft_unary(ch, "down", FT_WAIT_MS), GRPC_STATUS_UNAVAILABLE);

    /* A call that waits for the server, made while it is down. */
    patient pt = {.ch = ch};
    pthread_t t;
    atomic_init(&pt.started_ms, 0);
    pthread_create(&t, NULL, call_patiently, &pt);
    /* Restart only once the call is on its way. */
    assert_true(ft_wait_until(call_started, &pt, FT_WAIT_MS));
    int64_t restart_ms = ft_now_ms();
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    static char why[40000];
    bool back =
        proc_start_server(p2, listen, &port2, why, sizeof why, FT_WAIT_MS);
    int64_t back_ms = ft_now_ms();
    pthread_join(t, NULL);
    int64_t done_ms = ft_now_ms();
    /* Plain calls work again on the same channel. */
    cg_status after = ft_unary(ch, "after", FT_WAIT_MS);
    cg_channel_free(ch);
    proc_signal(p2, SIGTERM);
    bool ended = proc_wait(p2, FT_WAIT_MS);
    proc_end(p2);

    if (!back || port2 != port)
        fail_msg("the server could not come back on port %d: %s", port, why);
    printf("    the wait-for-ready call waited %lld ms in all, %lld ms of them "
           "after the server was back\n",
           (long long)(done_ms - atomic_load(&pt.started_ms)),
           (long long)(done_ms - back_ms));
    assert_true(atomic_load(&pt.started_ms) <= restart_ms); /* it waited */
    ft_expect_code(pt.st, GRPC_STATUS_OK);
    assert_string_equal(pt.answer, "Processed: patient");
    ft_expect_code(after, GRPC_STATUS_OK);
    assert_true(ended);
    assert_int_equal(proc_exit_code(p2), 0);
}

int main(void)
{
    ft_filter_from_env();
    setvbuf(stdout, NULL, _IONBF, 0);
    const struct CMUnitTest tests[] = {
        FT_TEST(test_crash_calls_in_flight_get_unavailable),
        FT_TEST(test_crash_wait_for_ready_call_survives_restart),
    };
    return cmocka_run_group_tests_name("crash", tests, ft_group_setup,
                                       ft_group_teardown);
}
