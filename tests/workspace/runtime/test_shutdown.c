/*
 * test_shutdown.c: a server's end: graceful shutdown with a grace period,
 * calls cancelled past it, shutdown from a signal handler and from
 * cg_server_run_until_signal, and freeing in every state.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_util.h"

typedef struct call_job {
    cg_channel *ch;
    int method;
    int sleep_ms;
    cg_status st;
} call_job;

static void *run_call(void *arg)
{
    call_job *j = arg;
    Rt__Msg req = rt_msg("job", 0);
    req.sleep_ms = j->sleep_ms;
    cg_call_opts o = rt_opts(RT_WAIT_MS * 3);
    j->st = cg_unary(j->ch, rt_m(j->method), &req, NULL, &o);
    return NULL;
}

/* Starts a Sleep call on another thread and waits until its handler runs. */
static void start_sleeper(rt_fixture *f, call_job *j, pthread_t *t, int ms)
{
    int entered = rt_get(&f->st, &f->st.entered);
    *j = (call_job){f->ch, RT_SLEEP, ms, cg_ok()};
    pthread_create(t, NULL, run_call, j);
    assert_true(rt_wait(&f->st, &f->st.entered, entered + 1, RT_WAIT_MS));
}

static void test_shutdown_in_flight_call_completes_within_grace(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    call_job j;
    pthread_t t;
    start_sleeper(&f, &j, &t, 300);
    cg_server_stop_info before = cg_server_stop_info_get(f.srv);
    int64_t t0 = rt_now_ms();
    cg_server_shutdown(f.srv, 10000);
    int64_t t1 = rt_now_ms();
    int64_t took = t1 - t0;
    pthread_join(t, NULL);
    assert_status(j.st, GRPC_STATUS_OK);
    assert_int_equal(rt_get(&f.st, &f.st.saw_cancel), 0);
    assert_true(took < 10000);
    /* What the shutdown did: nothing before it; it began when called, gave
     * the grace asked for, ended when it returned, and cut nothing. */
    assert_int_equal(before.shutdown_at_ms, 0);
    assert_int_equal(before.done_at_ms, 0);
    cg_server_stop_info info = cg_server_stop_info_get(f.srv);
    assert_int_equal(info.grace_ms, 10000);
    assert_int_equal(info.lame_duck_ms, 0);
    assert_true(info.shutdown_at_ms >= t0 && info.shutdown_at_ms <= t1);
    assert_true(info.done_at_ms >= info.shutdown_at_ms + 250 &&
                info.done_at_ms <= t1);
    assert_false(info.cut);
    /* After shutdown the server takes no calls. */
    Rt__Msg req = rt_msg("late", 0);
    cg_call_opts o = rt_opts(2000);
    cg_status st = cg_unary(f.ch, rt_m(RT_ECHO), &req, NULL, &o);
    assert_true(st.code != GRPC_STATUS_OK);
    cg_server_shutdown(f.srv, 0); /* idempotent */
    rt_fixture_stop(&f);
}

static void test_shutdown_long_call_cancelled_after_grace(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    call_job j;
    pthread_t t;
    start_sleeper(&f, &j, &t, 60000);
    int64_t t0 = rt_now_ms();
    cg_server_shutdown(f.srv, 200);
    int64_t took = rt_now_ms() - t0;
    pthread_join(t, NULL);
    assert_true(j.st.code != GRPC_STATUS_OK);
    assert_int_equal(rt_get(&f.st, &f.st.saw_cancel), 1);
    assert_int_equal(rt_get(&f.st, &f.st.finished),
                     1); /* the handler had returned */
    assert_true(took >= 150 && took < 5000);
    /* The grace ran out: the report says the call was cut, after it. */
    cg_server_stop_info info = cg_server_stop_info_get(f.srv);
    assert_true(info.cut);
    assert_int_equal(info.grace_ms, 200);
    assert_true(info.done_at_ms - info.shutdown_at_ms >= 200);
    /* A negative grace counts as none. */
    rt_fixture g;
    rt_fixture_start(&g, NULL, NULL);
    cg_server_shutdown(g.srv, -5);
    assert_int_equal(cg_server_stop_info_get(g.srv).grace_ms, 0);
    rt_fixture_stop(&g);
    rt_fixture_stop(&f);
}

static void test_shutdown_cancels_blocked_stream(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    int entered = rt_get(&f.st, &f.st.entered);
    cg_call_opts o = rt_opts(RT_WAIT_MS * 3);
    cg_call *c = cg_call_start(f.ch, rt_m(RT_CHAT), &o);
    Rt__Msg m = rt_msg("hi", 1);
    assert_true(cg_call_send(c, &m));
    assert_non_null(cg_call_recv(c));
    assert_true(rt_wait(&f.st, &f.st.entered, entered + 1, RT_WAIT_MS));
    /* The handler waits in cg_recv for a message that never comes. */
    int64_t t0 = rt_now_ms();
    cg_server_shutdown(f.srv, 100);
    assert_true(rt_now_ms() - t0 < 5000);
    assert_int_equal(rt_get(&f.st, &f.st.saw_cancel), 1);
    assert_null(cg_call_recv(c));
    assert_true(cg_call_finish(c).code != GRPC_STATUS_OK);
    rt_fixture_stop(&f);
}

static void test_shutdown_free_in_every_state(void **state)
{
    (void)state;
    /* Never started. */
    cg_server *srv = cg_server_new(NULL);
    assert_true(cg_server_listen(srv, "127.0.0.1:0", NULL, NULL) > 0);
    cg_server_free(srv);
    /* Nothing at all. */
    cg_server_free(cg_server_new(NULL));
    cg_server_free(NULL);
    cg_channel_free(NULL);
    /* Running, with a call in flight: free shuts down with no grace. */
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    call_job j;
    pthread_t t;
    start_sleeper(&f, &j, &t, 60000);
    cg_server_free(f.srv);
    f.srv = NULL;
    pthread_join(t, NULL);
    assert_true(j.st.code != GRPC_STATUS_OK);
    assert_int_equal(rt_get(&f.st, &f.st.saw_cancel), 1);
    rt_fixture_stop(&f);
}

/* The only global in the suites: a signal handler has no other way to
 * find the server it should stop. */
static cg_server *volatile signal_target;

static void on_sigusr1(int sig)
{
    (void)sig;
    cg_server_shutdown_async(signal_target, 5000);
}

static void test_shutdown_async_from_signal_handler(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    call_job j;
    pthread_t t;
    start_sleeper(&f, &j, &t, 200);
    signal_target = f.srv;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigaction(SIGUSR1, &sa, &old);
    raise(SIGUSR1);
    cg_server_wait(f.srv); /* returns once the server has stopped */
    sigaction(SIGUSR1, &old, NULL);
    pthread_join(t, NULL);
    assert_status(j.st, GRPC_STATUS_OK); /* finished within the grace */
    rt_fixture_stop(&f);
}

typedef struct killer {
    pthread_t target;
    int sig;
} killer;

static void *send_signal(void *arg)
{
    killer *k = arg;
    pthread_kill(k->target, k->sig);
    return NULL;
}

static void test_shutdown_run_until_signal(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    call_job j;
    pthread_t t;
    start_sleeper(&f, &j, &t, 200);
    /* Block SIGTERM here first, so it waits for the server however early
     * the other thread sends it. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    killer k = {pthread_self(), SIGTERM};
    pthread_t kt;
    pthread_create(&kt, NULL, send_signal, &k);
    int sig = cg_server_run_until_signal(f.srv, 5000);
    pthread_join(kt, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    assert_int_equal(sig, SIGTERM);
    pthread_join(t, NULL);
    assert_status(j.st, GRPC_STATUS_OK); /* drained before returning */
    rt_fixture_stop(&f);
}

static void
test_shutdown_run_until_signal_returns_on_other_shutdown(void **state)
{
    (void)state;
    /* A shutdown from elsewhere (here: the async request) also ends it. */
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    cg_server_shutdown_async(f.srv, 0);
    assert_int_equal(cg_server_run_until_signal(f.srv, 0), 0);
    rt_fixture_stop(&f);
}

typedef struct shut_job {
    cg_server *srv;
    int64_t grace;
} shut_job;

static void *shut(void *arg)
{
    shut_job *j = arg;
    cg_server_shutdown(j->srv, j->grace);
    return NULL;
}

static void test_shutdown_concurrent_callers(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    call_job j;
    pthread_t t;
    start_sleeper(&f, &j, &t, 100);
    shut_job s = {f.srv, 5000};
    pthread_t a, b;
    pthread_create(&a, NULL, shut, &s);
    pthread_create(&b, NULL, shut, &s);
    cg_server_wait(f.srv);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    pthread_join(t, NULL);
    assert_status(j.st, GRPC_STATUS_OK);
    rt_fixture_stop(&f);
}

static void test_shutdown_with_many_streams_open(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    enum { N = 8 };
    cg_call *calls[N];
    cg_call_opts o = rt_opts(RT_WAIT_MS * 3);
    for (int i = 0; i < N; i++) {
        calls[i] = cg_call_start(f.ch, rt_m(RT_CHAT), &o);
        Rt__Msg m = rt_msg("x", i);
        assert_true(cg_call_send(calls[i], &m));
        assert_non_null(cg_call_recv(calls[i]));
    }
    int64_t t0 = rt_now_ms();
    cg_server_shutdown(f.srv, 50);
    assert_true(rt_now_ms() - t0 < 5000);
    for (int i = 0; i < N; i++)
        assert_true(cg_call_finish(calls[i]).code != GRPC_STATUS_OK);
    rt_fixture_stop(&f);
}

/* True when thread `tid` of this process blocks signal `sig`. */
static bool thread_blocks(const char *tid, int sig)
{
    char path[96], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%s/status", tid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return true; /* the thread has exited meanwhile */
    unsigned long long mask = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "SigBlk: %llx", &mask) == 1)
            break;
    fclose(f);
    return (mask >> (sig - 1)) & 1ULL;
}

/* Every thread the runtime and the core start must leave SIGINT and
 * SIGTERM to the application's threads: otherwise a Ctrl-C can land on a
 * core thread and kill the process instead of draining the server. */
static void test_shutdown_core_threads_leave_signals_to_the_app(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    Rt__Msg req = rt_msg("warm-up", 0);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_status(cg_unary(f.ch, rt_m(RT_ECHO), &req, NULL, &o),
                  GRPC_STATUS_OK);
    char self[32];
    snprintf(self, sizeof self, "%ld", (long)getpid());
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    int threads = 0, open_to_signals = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
            continue;
        threads++;
        if (!thread_blocks(e->d_name, SIGINT) ||
            !thread_blocks(e->d_name, SIGTERM)) {
            open_to_signals++;
            print_error("thread %s accepts SIGINT or SIGTERM\n", e->d_name);
        }
    }
    closedir(d);
    assert_true(threads > 0);
    assert_int_equal(open_to_signals, 0);
    rt_fixture_stop(&f);
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shutdown_in_flight_call_completes_within_grace),
        cmocka_unit_test(test_shutdown_long_call_cancelled_after_grace),
        cmocka_unit_test(test_shutdown_cancels_blocked_stream),
        cmocka_unit_test(test_shutdown_free_in_every_state),
        cmocka_unit_test(test_shutdown_async_from_signal_handler),
        cmocka_unit_test(test_shutdown_run_until_signal),
        cmocka_unit_test(
            test_shutdown_run_until_signal_returns_on_other_shutdown),
        cmocka_unit_test(test_shutdown_concurrent_callers),
        cmocka_unit_test(test_shutdown_with_many_streams_open),
        cmocka_unit_test(test_shutdown_core_threads_leave_signals_to_the_app),
    };
    return cmocka_run_group_tests_name("shutdown", tests, rt_group_setup,
                                       rt_group_teardown);
}
