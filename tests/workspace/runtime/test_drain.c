/*
 * test_drain.c: cg_server_drain, the lame-duck pause before a shutdown.
 * It keeps serving and returns once calls stop arriving for quiet_ms, or at
 * max_ms; it gives up at once on a server that is not running.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "rt_util.h"

typedef struct loader {
    cg_channel *ch;
    atomic_bool stop;
    atomic_long ok;
    atomic_long failed;
    cg_status first_failure;
} loader;

static void *load(void *arg)
{
    loader *l = arg;
    while (!atomic_load(&l->stop)) {
        Rt__Msg req = rt_msg("drain", 1);
        cg_call_opts o = rt_opts(RT_WAIT_MS);
        cg_status st = cg_unary(l->ch, rt_m(RT_ECHO), &req, NULL, &o);
        if (st.code == GRPC_STATUS_OK) {
            atomic_fetch_add(&l->ok, 1);
        } else if (atomic_fetch_add(&l->failed, 1) == 0) {
            l->first_failure = st;
        }
    }
    return NULL;
}

/* Waits (bounded) until the loader has done `n` more calls than `from`. */
static bool load_reaches(loader *l, long from, long n)
{
    int64_t end = rt_now_ms() + RT_WAIT_MS;
    while (atomic_load(&l->ok) < from + n) {
        if (rt_now_ms() > end)
            return false;
        struct timespec pause = {0, 1000000L};
        nanosleep(&pause, NULL);
    }
    return true;
}

static void test_drain_idle_server_goes_quiet(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    Rt__Msg req = rt_msg("before", 0);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_status(cg_unary(f.ch, rt_m(RT_ECHO), &req, NULL, &o),
                  GRPC_STATUS_OK);

    int64_t t0 = rt_now_ms();
    bool quiet = cg_server_drain(f.srv, 150, 8000);
    int64_t took = rt_now_ms() - t0;
    printf("    idle server, quiet_ms 150: quiet after %lld ms\n",
           (long long)took);
    assert_true(quiet);
    assert_true(took >= 150); /* a whole quiet window, no less */
    assert_true(took < 8000); /* and not the max */

    /* Still serving afterwards: the drain stops nothing by itself. */
    assert_status(cg_unary(f.ch, rt_m(RT_ECHO), &req, NULL, &o),
                  GRPC_STATUS_OK);
    rt_fixture_stop(&f);
}

static void test_drain_serves_a_steady_load_until_max(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    loader l = {.ch = f.ch};
    atomic_init(&l.stop, false);
    atomic_init(&l.ok, 0);
    atomic_init(&l.failed, 0);
    pthread_t t;
    pthread_create(&t, NULL, load, &l);
    assert_true(load_reaches(&l, 0, 20));

    long before = atomic_load(&l.ok);
    int64_t t0 = rt_now_ms();
    /* Calls keep coming far more often than every 300 ms: never quiet. */
    bool quiet = cg_server_drain(f.srv, 300, 700);
    int64_t took = rt_now_ms() - t0;
    long during = atomic_load(&l.ok) - before;

    atomic_store(&l.stop, true);
    pthread_join(t, NULL);
    /* The pause ends in a shutdown that loses nothing in flight. */
    cg_server_shutdown(f.srv, 5000);
    long failed = atomic_load(&l.failed);
    /* The stop report counts the whole pause as the lame duck. */
    cg_server_stop_info info = cg_server_stop_info_get(f.srv);
    assert_true(info.lame_duck_ms >= 700 && info.lame_duck_ms <= took);
    assert_true(info.shutdown_at_ms >= t0 + info.lame_duck_ms);
    printf("    steady load, quiet_ms 300, max_ms 700: returned %s after "
           "%lld ms, %ld calls served meanwhile, %ld failed\n",
           quiet ? "quiet" : "at max", (long long)took, during, failed);
    assert_false(quiet);
    assert_true(took >= 700);
    assert_true(during > 0);
    if (failed > 0)
        fail_msg("%ld call(s) failed while the server drained, e.g. %s (%s)",
                 failed, cg_status_name(l.first_failure.code),
                 l.first_failure.message);
    rt_fixture_stop(&f);
}

typedef struct stop_job {
    loader *l;
    long from;
} stop_job;

/* Stops the loader after 40 more calls: long after the drain began. */
static void *stop_after(void *arg)
{
    stop_job *sj = arg;
    load_reaches(sj->l, sj->from, 40);
    atomic_store(&sj->l->stop, true);
    return NULL;
}

static void test_drain_goes_quiet_when_the_load_stops(void **state)
{
    (void)state;
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    loader l = {.ch = f.ch};
    atomic_init(&l.stop, false);
    atomic_init(&l.ok, 0);
    atomic_init(&l.failed, 0);
    pthread_t t, stopper;
    pthread_create(&t, NULL, load, &l);
    assert_true(load_reaches(&l, 0, 20));

    stop_job sj = {&l, atomic_load(&l.ok)};
    int64_t t0 = rt_now_ms();
    pthread_create(&stopper, NULL, stop_after, &sj);
    bool quiet = cg_server_drain(f.srv, 200, 8000);
    int64_t took = rt_now_ms() - t0;
    pthread_join(stopper, NULL);
    pthread_join(t, NULL);
    long served = atomic_load(&l.ok) - sj.from;
    printf("    load stopped during the drain: quiet after %lld ms, %ld "
           "calls served during it\n",
           (long long)took, served);
    assert_true(quiet);
    assert_true(served >= 40);
    assert_true(took >= 200);
    assert_true(took < 8000);
    assert_int_equal(atomic_load(&l.failed), 0);
    rt_fixture_stop(&f);
}

typedef struct shutdown_job {
    cg_server *srv;
} shutdown_job;

static void *shut_down(void *arg)
{
    cg_server_shutdown(((shutdown_job *)arg)->srv, 1000);
    return NULL;
}

static void test_drain_gives_up_when_the_server_stops(void **state)
{
    (void)state;
    /* Never started: nothing to drain. */
    cg_server *idle = cg_server_new(NULL);
    int64_t t0 = rt_now_ms();
    assert_false(cg_server_drain(idle, 5000, 10000));
    assert_true(rt_now_ms() - t0 < 1000);
    cg_server_free(idle);
    assert_false(cg_server_drain(NULL, 10, 10));

    /* Shut down by another thread while draining: returns at once, long
     * before its quiet window (10 s) or max (20 s). */
    rt_fixture f;
    rt_fixture_start(&f, NULL, NULL);
    shutdown_job sj = {f.srv};
    pthread_t t;
    t0 = rt_now_ms();
    pthread_create(&t, NULL, shut_down, &sj);
    bool quiet = cg_server_drain(f.srv, 10000, 20000);
    int64_t took = rt_now_ms() - t0;
    pthread_join(t, NULL);
    printf("    shut down by another thread: drain returned after %lld ms\n",
           (long long)took);
    assert_false(quiet);
    assert_true(took < 5000);
    rt_fixture_stop(&f);
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drain_idle_server_goes_quiet),
        cmocka_unit_test(test_drain_serves_a_steady_load_until_max),
        cmocka_unit_test(test_drain_goes_quiet_when_the_load_stops),
        cmocka_unit_test(test_drain_gives_up_when_the_server_stops),
    };
    return cmocka_run_group_tests_name("drain", tests, rt_group_setup,
                                       rt_group_teardown);
}
