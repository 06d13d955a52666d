/*
 * test_deadline.c: deadlines that pass before or while a handler runs.
 *
 *  - expired on arrival: every handler slot of a server with three
 *    threads is taken by slow calls (notifications 400 ms apart), so new
 *    calls wait in its queue past their 100 ms deadline. Each client gets
 *    DEADLINE_EXCEEDED; when a thread finally takes such a call, its
 *    handler either never runs or finds the call already over
 *    (cg_ctx_cancelled); no response goes out; every call record is freed;
 *    the slow calls finish intact.
 *  - expiring mid-call: a handler blocked in cg_recv (client stream, client
 *    silent) and one blocked in cg_send (server stream, client not reading)
 *    are both woken by the deadline and return; the client gets
 *    DEADLINE_EXCEEDED. The receiving handler's stream says the call is
 *    over: DEADLINE_EXCEEDED when the server's deadline passed first,
 *    CANCELLED when the client's cancel (sent at the client's deadline,
 *    which is a little earlier) arrived first. Both happen.
 */
#include <stdio.h>
#include <string.h>

#include "ft_util.h"

typedef struct live_probe {
    ft_server *s;
    long want;
} live_probe;

static bool live_back(void *arg)
{
    live_probe *p = arg;
    return ft_live_calls(p->s) == p->want;
}

typedef struct core_probe {
    long want;
} core_probe;

static bool core_has(void *arg)
{
    return ft_core_calls_started() >= ((core_probe *)arg)->want;
}

typedef struct slow_job {
    cg_channel *ch;
    int got;
    cg_status st;
} slow_job;

/* StreamNotifications(2): two notifications with a pause between. */
static void *slow_call(void *arg)
{
    slow_job *j = arg;
    Tutorial__V1__StreamRequest req = TUTORIAL__V1__STREAM_REQUEST__INIT;
    req.user_id = "busy";
    req.max_count = 2;
    cg_call_opts o = ft_opts(FT_WAIT_MS);
    cg_call *c =
        tutorial__v1__notification_service_client__stream_notifications(
            j->ch, &req, &o);
    const Tutorial__V1__Notification *n;
    while ((n = cg_call_recv(c)) != NULL)
        if (n->sequence == j->got + 1)
            j->got++;
    j->st = cg_call_finish(c);
    return NULL;
}

static void test_deadline_expired_before_the_handler_runs(void **state)
{
    (void)state;
    cg_server_opts so = {0};
    /* Three threads at most, so two or three handler slots (runtimes
     * differ on whether the last thread may run a handler): three slow
     * calls fill them all, and the late calls below can only wait. Enough
     * for the two late calls that block in cg_recv later on. */
    so.min_threads = 1;
    so.max_threads = 3;
    ft_server s;
    ft_server_start(&s, &so, NULL, NULL, NULL);
    long idle = ft_live_calls(&s);
    s.notes.interval_ms = 400;
    /* Occupy every handler slot of the pool. */
    enum { SLOW = 3 };
    long arrived = ft_core_calls_started();
    slow_job jobs[SLOW];
    pthread_t t[SLOW];
    for (int i = 0; i < SLOW; i++) {
        jobs[i] = (slow_job){s.ch, 0, cg_ok()};
        pthread_create(&t[i], NULL, slow_call, &jobs[i]);
    }
    /* All three have reached the server, and the slots are taken. */
    core_probe cp = {arrived + SLOW};
    assert_true(ft_wait_until(core_has, &cp, FT_WAIT_MS));
    assert_true(ft_wait_started(&s, M_NOTIFY, SLOW - 1, FT_WAIT_MS));

    /* One call of each kind, 100 ms to live, queued behind them. */
    int64_t t0 = ft_now_ms();
    cg_call_opts o = ft_opts(100);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "late";
    req.value = 3;
    cg_call *ss =
        tutorial__v1__my_service_client__server_stream(s.ch, &req, &o);
    cg_call *cs = tutorial__v1__my_service_client__client_stream(s.ch, &o);
    cg_call_send(cs, &req);
    cg_call_close_send(cs);
    cg_call *bd =
        tutorial__v1__my_service_client__bidirectional_stream(s.ch, &o);
    cg_call_send(bd, &req);
    Tutorial__V1__Response *resp = NULL;
    cg_status st_unary =
        tutorial__v1__my_service_client__unary_call(s.ch, &req, &resp, &o);
    const void *ss_first = cg_call_recv(ss);
    cg_status st_ss = cg_call_finish(ss);
    const void *cs_resp = cg_call_recv(cs);
    cg_status st_cs = cg_call_finish(cs);
    const void *bd_first = cg_call_recv(bd);
    cg_status st_bd = cg_call_finish(bd);
    int64_t took = ft_now_ms() - t0;
    /* None of them had started when the client gave up. */
    int early = ft_started(&s, M_UNARY) + ft_started(&s, M_SSTREAM) +
                ft_started(&s, M_CSTREAM) + ft_started(&s, M_BIDI);

    for (int i = 0; i < SLOW; i++)
        pthread_join(t[i], NULL);
    /* Once every record is freed, whatever ran of the late calls has run. */
    live_probe lp = {&s, idle};
    bool freed = ft_wait_until(live_back, &lp, FT_WAIT_MS);
    const cg_method *late[] = {M_UNARY, M_SSTREAM, M_CSTREAM, M_BIDI};
    int ran = 0, ran_live = 0;
    for (int i = 0; i < 4; i++) {
        ran += ft_started(&s, late[i]);
        ran_live +=
            ft_started(&s, late[i]) - ft_cancelled_at_entry(&s, late[i]);
    }
    ft_expect_code(ft_unary(s.ch, "on time", FT_WAIT_MS), GRPC_STATUS_OK);
    ft_server_stop(&s);

    printf("    4 calls expired in the queue after %lld ms; %d of their "
           "handlers ran later, all finding the call over\n",
           (long long)took, ran);
    ft_expect_code(st_unary, GRPC_STATUS_DEADLINE_EXCEEDED);
    assert_null(resp);
    ft_expect_code(st_ss, GRPC_STATUS_DEADLINE_EXCEEDED);
    assert_null(ss_first);
    ft_expect_code(st_cs, GRPC_STATUS_DEADLINE_EXCEEDED);
    assert_null(cs_resp);
    ft_expect_code(st_bd, GRPC_STATUS_DEADLINE_EXCEEDED);
    assert_null(bd_first);
    assert_int_equal(early, 0);
    assert_true(took < 2000); /* the client did not wait for the server */
    if (!freed)
        fail_msg("call records of expired calls were never freed");
    if (ran_live > 0)
        fail_msg("%d handler(s) of expired calls ran as if the call were "
                 "live",
                 ran_live);
    for (int i = 0; i < SLOW; i++) {
        ft_expect_code(jobs[i].st, GRPC_STATUS_OK);
        assert_int_equal(jobs[i].got, 2);
    }
}

static void test_deadline_wakes_handlers_blocked_in_recv_and_send(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    cg_call_opts o = ft_opts(300);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "silent";
    req.value = 1;
    /* A client stream that sends one message and then nothing. */
    cg_call *cs = tutorial__v1__my_service_client__client_stream(s.ch, &o);
    assert_true(cg_call_send(cs, &req));
    /* A server stream of 10,000 x 16 KiB that the client does not read. */
    static char id[16 * 1024];
    memset(id, 'd', sizeof id - 1);
    req.id = id;
    req.value = 10000;
    cg_call *ss =
        tutorial__v1__my_service_client__server_stream(s.ch, &req, &o);
    int64_t t0 = ft_now_ms();
    cg_status last_cs, last_ss;
    bool cs_back = ft_wait_returned(&s, M_CSTREAM, 1, FT_WAIT_MS, &last_cs);
    bool ss_back = ft_wait_returned(&s, M_SSTREAM, 1, FT_WAIT_MS, &last_ss);
    int64_t took = ft_now_ms() - t0;
    cg_status st_cs = cg_call_finish(cs);
    cg_call_cancel(ss); /* do not read 160 MB: the status is known */
    cg_status st_ss = cg_call_finish(ss);
    ft_server_stop(&s);

    printf("    handlers blocked in cg_recv / cg_send returned %lld ms after "
           "the calls began (deadline 300 ms)\n",
           (long long)took);
    assert_true(cs_back);
    assert_true(ss_back);
    /* cg_stream_error: either way the call ended for lack of time. */
    if (last_cs.code != GRPC_STATUS_DEADLINE_EXCEEDED &&
        last_cs.code != GRPC_STATUS_CANCELLED)
        fail_msg("the receiving handler's stream ended with %s (%s), not "
                 "DEADLINE_EXCEEDED or CANCELLED",
                 cg_status_name(last_cs.code),
                 last_cs.message ? last_cs.message : "");
    assert_int_not_equal(last_ss.code, GRPC_STATUS_OK);
    ft_expect_code(st_cs, GRPC_STATUS_DEADLINE_EXCEEDED);
    ft_expect_code(st_ss, GRPC_STATUS_DEADLINE_EXCEEDED);
    assert_true(took < 3000);
}

int main(void)
{
    ft_filter_from_env();
    setvbuf(stdout, NULL, _IONBF, 0);
    const struct CMUnitTest tests[] = {
        FT_TEST(test_deadline_expired_before_the_handler_runs),
        FT_TEST(test_deadline_wakes_handlers_blocked_in_recv_and_send),
    };
    return cmocka_run_group_tests_name("deadline", tests, ft_group_setup,
                                       ft_group_teardown);
}
