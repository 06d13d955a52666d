/*
 * capacity.c: exercise 2, sizing arithmetic with exact answers and no
 * wrap-around. Implement the five functions whose contracts are in capacity.h;
 * `make test` here runs their tests (suite capacity,
 * tests/01-design/test_capacity.c). Lesson:
 * docs/en/steps/01-design.md#capacity-arithmetic
 */
#include "capacity.h"

uint64_t cap_wire_bytes(uint64_t payload_bytes)
{
    (void)payload_bytes;
    return 0; /* TODO: payload + gRPC prefix + one header per DATA frame */
}

uint64_t cap_bandwidth(uint64_t msgs_per_sec, uint64_t payload_bytes)
{
    (void)msgs_per_sec;
    (void)payload_bytes;
    return 0; /* TODO: messages per second times wire bytes per message */
}

uint64_t cap_concurrency(uint64_t calls_per_sec, uint64_t latency_ms)
{
    (void)calls_per_sec;
    (void)latency_ms;
    return 0; /* TODO: Little's law, rounded up */
}

uint64_t cap_replicas(uint64_t peak_calls_per_sec,
                      uint64_t per_replica_calls_per_sec, int target_util_pct)
{
    (void)peak_calls_per_sec;
    (void)per_replica_calls_per_sec;
    (void)target_util_pct;
    return 0; /* TODO: reject bad input, then divide and round up */
}

int cap_budget_holds(const struct cap_hop *hops, size_t n_hops,
                     uint64_t budget_ms)
{
    (void)hops;
    (void)n_hops;
    (void)budget_ms;
    return 0; /* TODO: add up the worst case and compare with the budget */
}
