/*
 * test_pool.c: exercise 6, a round-robin pool of channels (pool.c):
 * pool_new and pool_free are given; pool_pick must go round in order, stay
 * exact when many threads pick at once, and spread real calls evenly over
 * three servers.
 */
#define LESSON_PAGE "steps/05-client.md"
#define EXERCISE_FILE "pool.c"
#include "lesson.h"

/* The exercise shares state between threads: make stepN runs this suite once
 * more built with ThreadSanitizer, so a data race fails every run. */
#define TSAN_SUITE 1

#include <pthread.h>
#include <stdlib.h>

#include "fixture.h"
#include "pool.h"
#include "tutorial/v1/my_service.cgrpc.h"

/* Channels connect lazily: a pool of targets where nothing listens is
 * fine as long as no call is made. */
static char nowhere_text[4][32];
static const char *NOWHERE[4];

static int make_nowhere(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++) {
        fx_dead_target(nowhere_text[i], sizeof nowhere_text[i]);
        NOWHERE[i] = nowhere_text[i];
    }
    return 0;
}

static int suite_setup(void **state)
{
    fx_group_setup(state);
    return make_nowhere(state);
}

/* The index of ch in the pool, or -1. */
static int index_of(channel_pool *p, cg_channel *ch)
{
    for (size_t i = 0; i < pool_size(p); i++)
        if (pool_channel(p, i) == ch)
            return (int)i;
    return -1;
}

/* ---- given: pool_new, pool_free ---------------------------------------- */

static void test_pool_new_makes_channels(void **state)
{
    (void)state;
    channel_pool *p = pool_new(NOWHERE, 3, NULL);
    expect_true(p != NULL, "#exercise-6-a-round-robin-pool",
                "pool_new(3 targets) returned NULL");
    expect_int(pool_size(p), 3, "#exercise-6-a-round-robin-pool");
    for (size_t i = 0; i < 3; i++)
        expect_true(pool_channel(p, i) != NULL &&
                        index_of(p, pool_channel(p, i)) == (int)i,
                    "#exercise-6-a-round-robin-pool",
                    "pool_channel(p, %zu) is NULL or not its own channel", i);
    expect_true(pool_channel(p, 3) == NULL, "#exercise-6-a-round-robin-pool",
                "pool_channel(p, 3) of a pool of 3 should be NULL");
    pool_free(p);
}

static void test_pool_new_refuses_bad_input(void **state)
{
    (void)state;
    expect_true(pool_new(NOWHERE, 0, NULL) == NULL,
                "#exercise-6-a-round-robin-pool", "pool_new(n 0) is not NULL");
    expect_true(pool_new(NULL, 2, NULL) == NULL,
                "#exercise-6-a-round-robin-pool",
                "pool_new(targets NULL) is not NULL");
    /* The third target is refused: the two channels made are freed (make
     * memcheck would see them otherwise). */
    const char *const bad[] = {NOWHERE[0], NOWHERE[1], ""};
    expect_true(pool_new(bad, 3, NULL) == NULL,
                "#exercise-6-a-round-robin-pool",
                "pool_new with an empty target is not NULL");
    pool_free(NULL);
    expect_int(pool_size(NULL), 0, "#exercise-6-a-round-robin-pool");
}

/* ---- pool_pick ---------------------------------------------------------- */

static void test_pool_pick_round_robin_order(void **state)
{
    (void)state;
    channel_pool *p = pool_new(NOWHERE, 3, NULL);
    static const int want[] = {0, 1, 2, 0, 1, 2, 0, 1};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int got = index_of(p, pool_pick(p));
        if (got != want[i]) {
            pool_free(p);
            expect_fail("#an-atomic-counter",
                        "pick %zu of a pool of 3 returned channel %d, expected "
                        "channel %d (round robin: 0, 1, 2, 0, 1, 2, ...)",
                        i + 1, got, want[i]);
        }
    }
    /* Two pools picked in turn: each has its own counter and starts at
     * its own channel 0. */
    channel_pool *q = pool_new(NOWHERE, 3, NULL);
    channel_pool *r = pool_new(NOWHERE, 3, NULL);
    for (int i = 0; i < 6; i++) {
        int got_q = index_of(q, pool_pick(q)),
            got_r = index_of(r, pool_pick(r));
        if (got_q != i % 3 || got_r != i % 3) {
            pool_free(p);
            pool_free(q);
            pool_free(r);
            expect_fail(
                "#an-atomic-counter",
                "two pools of 3 picked in turn: pick %d returned channels "
                "%d and %d, expected %d from each: every pool counts its "
                "own turns",
                i + 1, got_q, got_r, i % 3);
        }
    }
    pool_free(q);
    pool_free(r);
    pool_free(p);
    expect_true(pool_pick(NULL) == NULL, "#an-atomic-counter",
                "pool_pick(NULL) should return NULL");
}

static void test_pool_pick_one_channel(void **state)
{
    (void)state;
    channel_pool *p = pool_new(NOWHERE, 1, NULL);
    cg_channel *only = pool_channel(p, 0);
    int same = 0;
    for (int i = 0; i < 5; i++)
        same += pool_pick(p) == only;
    pool_free(p);
    expect_int(same, 5, "#an-atomic-counter");
    /* A pool of 4 goes round all four, too. */
    p = pool_new(NOWHERE, 4, NULL);
    int seen[4] = {0};
    for (int i = 0; i < 8; i++) {
        int k = index_of(p, pool_pick(p));
        if (k >= 0)
            seen[k]++;
    }
    pool_free(p);
    for (int k = 0; k < 4; k++)
        expect_true(seen[k] == 2, "#an-atomic-counter",
                    "8 picks of a pool of 4 returned channel %d %d times, "
                    "expected 2",
                    k, seen[k]);
}

#define PICKERS 4
#define PICKS 150000

typedef struct picker {
    channel_pool *p;
    pthread_barrier_t *go;
    int counts[3];
} picker;

static void *pick_many(void *arg)
{
    picker *k = arg;
    pthread_barrier_wait(k->go); /* all threads start together */
    for (int i = 0; i < PICKS; i++) {
        int idx = index_of(k->p, pool_pick(k->p));
        if (idx >= 0)
            k->counts[idx]++;
    }
    return NULL;
}

static void test_pool_pick_from_many_threads(void **state)
{
    (void)state;
    fx_watchdog(60, "#an-atomic-counter");
    channel_pool *p = pool_new(NOWHERE, 3, NULL);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, PICKERS);
    picker k[PICKERS];
    pthread_t t[PICKERS];
    for (int i = 0; i < PICKERS; i++) {
        k[i] = (picker){.p = p, .go = &go};
        pthread_create(&t[i], NULL, pick_many, &k[i]);
    }
    for (int i = 0; i < PICKERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
    /* Every pick counted once: a counter read and stored back in two steps
     * loses a turn whenever two threads read it before either stores. */
    size_t picks = atomic_load(&p->next);
    pool_free(p);
    expect_true(picks == (size_t)PICKERS * PICKS, "#an-atomic-counter",
                "%d threads made %d picks each of a pool of 3: the pool's "
                "counter says %zu picks, expected exactly %d (two threads took "
                "the same turn)",
                PICKERS, PICKS, picks, PICKERS * PICKS);
    /* 600,000 picks over 3 channels: exactly 200,000 each, whatever the
     * interleaving, or two threads took the same turn. */
    for (int c = 0; c < 3; c++) {
        int total = 0;
        for (int i = 0; i < PICKERS; i++)
            total += k[i].counts[c];
        expect_true(total == PICKERS * PICKS / 3, "#an-atomic-counter",
                    "%d threads made %d picks each of a pool of 3: channel %d "
                    "was picked %d times, expected exactly %d",
                    PICKERS, PICKS, c, total, PICKERS * PICKS / 3);
    }
}

static void test_pool_spreads_calls_over_servers(void **state)
{
    (void)state;
    fx_watchdog(60, "#exercise-6-a-round-robin-pool");
    fx_server s[3];
    const char *targets[3];
    for (int i = 0; i < 3; i++) {
        fx_server_start(&s[i], "replica");
        targets[i] = s[i].target;
    }
    channel_pool *p = pool_new(targets, 3, NULL);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "spread";
    cg_call_opts opts = {.timeout_ms = FX_CALL_MS};
    int failed = 0;
    for (int i = 0; i < 30; i++) {
        cg_status st = tutorial__v1__my_service_client__unary_call(
            pool_pick(p), &req, NULL, &opts);
        failed += st.code != GRPC_STATUS_OK;
    }
    pool_free(p);
    int calls[3];
    for (int i = 0; i < 3; i++) {
        calls[i] = svc_get(&s[i].st, &s[i].st.unary_calls);
        fx_server_free(&s[i]);
    }
    expect_int(failed, 0, "#exercise-6-a-round-robin-pool");
    for (int i = 0; i < 3; i++)
        expect_true(calls[i] == 10, "#exercise-6-a-round-robin-pool",
                    "30 calls through a pool of 3 servers: server %d got %d, "
                    "%d and %d; expected 10 each",
                    i + 1, calls[0], calls[1], calls[2]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_new_makes_channels),
        cmocka_unit_test(test_pool_new_refuses_bad_input),
        cmocka_unit_test(test_pool_pick_round_robin_order),
        cmocka_unit_test(test_pool_pick_one_channel),
        cmocka_unit_test(test_pool_pick_from_many_threads),
        cmocka_unit_test(test_pool_spreads_calls_over_servers),
    };
    return cmocka_run_group_tests(tests, suite_setup, fx_group_teardown);
}
