/*
 * test_capacity.c: exercise 2, the sizing functions in capacity.c.
 *
 * Every expected number is worked out in the lesson; the edge cases are
 * zero, rounding up, inputs that make no sense, and results too big for
 * 64 bits (CAP_ERROR, never a wrapped-around number).
 */
#define LESSON_PAGE "steps/01-design.md"
#define EXERCISE_FILE "capacity.c"
#include "lesson.h"

#include <limits.h>
#include <stdint.h>

#include "capacity.h"

#define WIRE "#bandwidth-on-the-wire"
#define LITTLE "#concurrency-with-littles-law"
#define REPLICAS "#replicas-at-a-target-utilisation"
#define BUDGET "#latency-budget"

static const char *u64_text(uint64_t v, char *buf, size_t n)
{
    if (v == CAP_ERROR)
        return "CAP_ERROR";
    snprintf(buf, n, "%llu", (unsigned long long)v);
    return buf;
}

/* Like expect_int, but for uint64_t, and says CAP_ERROR by name. */
#define expect_u64(actual, expected, section)                                  \
    do {                                                                       \
        uint64_t got_ = (actual), want_ = (expected);                          \
        char gb_[24], wb_[24];                                                 \
        expect_true(got_ == want_, section, "%s: expected %s, got %s",         \
                    #actual, u64_text(want_, wb_, sizeof wb_),                 \
                    u64_text(got_, gb_, sizeof gb_));                          \
    } while (0)

#define HOPS(...) ((const struct cap_hop[]){__VA_ARGS__})

static void test_wire_bytes_one_frame(void **state)
{
    (void)state;
    expect_u64(cap_wire_bytes(0), 14, WIRE); /* an empty message still costs */
    expect_u64(cap_wire_bytes(100), 114, WIRE);
    expect_u64(cap_wire_bytes(16379), 16393,
               WIRE); /* 16379 + 5 fills one frame */
}

static void test_wire_bytes_splits_large_messages(void **state)
{
    (void)state;
    expect_u64(cap_wire_bytes(16380), 16403,
               WIRE); /* one byte too many: 2 frames */
    expect_u64(cap_wire_bytes(65540), 65590,
               WIRE); /* a 64 KiB upload chunk: 5 */
    expect_u64(cap_wire_bytes(1024 * 1024), 1049166,
               WIRE); /* 1 MiB: 65 frames */
}

static void test_bandwidth_counts_every_header(void **state)
{
    (void)state;
    expect_u64(cap_bandwidth(1000, 100), 114000, WIRE);
    expect_u64(cap_bandwidth(1600, 65540), 104944000,
               WIRE); /* 100 MiB upload */
    expect_u64(cap_bandwidth(0, 100), 0, WIRE);
}

static void test_bandwidth_refuses_to_wrap(void **state)
{
    (void)state;
    expect_u64(cap_wire_bytes(UINT64_MAX), CAP_ERROR, WIRE);
    expect_u64(cap_wire_bytes(UINT64_MAX - 5), CAP_ERROR, WIRE);
    /* The fastest rate whose bytes still fit, then one message more. */
    expect_u64(cap_bandwidth(UINT64_MAX / 114, 100), 18446744073709551504u,
               WIRE);
    expect_u64(cap_bandwidth(UINT64_MAX / 114 + 1, 100), CAP_ERROR, WIRE);
    expect_u64(cap_bandwidth(0, UINT64_MAX), CAP_ERROR, WIRE);
}

static void test_concurrency_littles_law(void **state)
{
    (void)state;
    expect_u64(cap_concurrency(2000, 50), 100, LITTLE);
    expect_u64(cap_concurrency(100, 250), 25, LITTLE);
}

static void test_concurrency_rounds_up(void **state)
{
    (void)state;
    expect_u64(cap_concurrency(1500, 1), 2, LITTLE); /* 1.5 calls */
    expect_u64(cap_concurrency(1, 1), 1, LITTLE);    /* 0.001 calls */
    expect_u64(cap_concurrency(0, 50), 0, LITTLE);
    expect_u64(cap_concurrency(1000, 0), 0, LITTLE);
}

static void test_concurrency_refuses_to_wrap(void **state)
{
    (void)state;
    /* Rounding up must not overflow either: (x + 999) / 1000 would. */
    expect_u64(cap_concurrency(UINT64_MAX - 1, 1), 18446744073709552u, LITTLE);
    expect_u64(cap_concurrency(UINT64_MAX / 2, 3), CAP_ERROR, LITTLE);
    expect_u64(cap_concurrency(1ull << 32, 1ull << 32), CAP_ERROR, LITTLE);
}

static void test_replicas_rounds_up(void **state)
{
    (void)state;
    expect_u64(cap_replicas(10000, 3000, 70), 5, REPLICAS); /* 4.76 */
    expect_u64(cap_replicas(2100, 1000, 70), 3, REPLICAS);  /* exactly 3 */
    expect_u64(cap_replicas(2101, 1000, 70), 4, REPLICAS);  /* just over 3 */
    expect_u64(cap_replicas(3000, 1000, 100), 3, REPLICAS);
    expect_u64(cap_replicas(29, 100, 29), 1,
               REPLICAS); /* exactly 1; doubles say 2 */
}

static void test_replicas_at_least_one(void **state)
{
    (void)state;
    expect_u64(cap_replicas(0, 1000, 70), 1, REPLICAS);
    expect_u64(cap_replicas(1, 1000000, 100), 1, REPLICAS);
}

static void test_replicas_rejects_bad_input(void **state)
{
    (void)state;
    expect_u64(cap_replicas(1000, 500, 50), 4,
               REPLICAS); /* valid: the control */
    expect_u64(cap_replicas(1000, 500, 0), CAP_ERROR, REPLICAS);
    expect_u64(cap_replicas(1000, 500, -10), CAP_ERROR, REPLICAS);
    expect_u64(cap_replicas(1000, 500, INT_MIN), CAP_ERROR, REPLICAS);
    expect_u64(cap_replicas(1000, 500, 101), CAP_ERROR, REPLICAS);
    expect_u64(cap_replicas(1000, 0, 50), CAP_ERROR, REPLICAS);
    /* Products that do not fit in 64 bits, and the largest peak that does. */
    expect_u64(cap_replicas(UINT64_MAX / 100 + 1, 1, 100), CAP_ERROR, REPLICAS);
    expect_u64(cap_replicas(1000, UINT64_MAX / 50 + 1, 50), CAP_ERROR,
               REPLICAS);
    expect_u64(cap_replicas(UINT64_MAX / 100, 1, 100), UINT64_MAX / 100,
               REPLICAS);
}

static void test_budget_exact_fit_holds(void **state)
{
    (void)state;
    /* client -> gateway 40 ms, gateway -> service 100 ms, service -> db 60 ms
     */
    expect_int(cap_budget_holds(HOPS({40, 1}, {100, 1}, {60, 1}), 3, 200), 1,
               BUDGET);
    expect_int(cap_budget_holds(HOPS({40, 1}, {100, 1}, {60, 1}), 3, 199), 0,
               BUDGET);
}

static void test_budget_counts_retries(void **state)
{
    (void)state;
    /* GetUser: 80 ms per attempt, two attempts. */
    expect_int(cap_budget_holds(HOPS({80, 2}), 1, 160), 1, BUDGET);
    expect_int(cap_budget_holds(HOPS({80, 2}), 1, 159), 0, BUDGET);
    expect_int(cap_budget_holds(HOPS({80, 2}, {50, 3}), 2, 310), 1, BUDGET);
    expect_int(cap_budget_holds(HOPS({80, 2}, {50, 3}), 2, 309), 0, BUDGET);
}

static void test_budget_rejects_bad_input(void **state)
{
    (void)state;
    expect_int(cap_budget_holds(NULL, 0, 0), 1,
               BUDGET); /* nothing to do fits */
    expect_int(cap_budget_holds(NULL, 2, 1000), -1, BUDGET);
    expect_int(cap_budget_holds(HOPS({10, 1}, {10, 0}), 2, 1000), -1, BUDGET);
    /* Invalid even after the sum has already overflowed. */
    expect_int(cap_budget_holds(HOPS({UINT32_MAX, UINT32_MAX},
                                     {UINT32_MAX, UINT32_MAX}, {5, 0}),
                                3, UINT64_MAX),
               -1, BUDGET);
}

static void test_budget_overflow_does_not_hold(void **state)
{
    (void)state;
    const uint32_t m = UINT32_MAX;
    expect_int(cap_budget_holds(HOPS({m, m}), 1, UINT64_MAX), 1, BUDGET);
    /* Two of them need more than 64 bits: more than any budget. */
    expect_int(cap_budget_holds(HOPS({m, m}, {m, m}), 2, UINT64_MAX), 0,
               BUDGET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_bytes_one_frame),
        cmocka_unit_test(test_wire_bytes_splits_large_messages),
        cmocka_unit_test(test_bandwidth_counts_every_header),
        cmocka_unit_test(test_bandwidth_refuses_to_wrap),
        cmocka_unit_test(test_concurrency_littles_law),
        cmocka_unit_test(test_concurrency_rounds_up),
        cmocka_unit_test(test_concurrency_refuses_to_wrap),
        cmocka_unit_test(test_replicas_rounds_up),
        cmocka_unit_test(test_replicas_at_least_one),
        cmocka_unit_test(test_replicas_rejects_bad_input),
        cmocka_unit_test(test_budget_exact_fit_holds),
        cmocka_unit_test(test_budget_counts_retries),
        cmocka_unit_test(test_budget_rejects_bad_input),
        cmocka_unit_test(test_budget_overflow_does_not_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
