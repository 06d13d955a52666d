/*
 * capacity.c: exercise 2, sizing arithmetic with exact answers and no
 * wrap-around. Implement the five functions whose contracts are in capacity.h;
 * `make test` here runs their tests (suite capacity,
 * tests/01-design/test_capacity.c). Lesson:
 * docs/en/steps/01-design.md#capacity-arithmetic
 */
#include <stdbool.h>

#include "capacity.h"

/* *out = a * b if that fits in 64 bits. Ask before multiplying: once
 * unsigned arithmetic has wrapped, the evidence is gone. */
static bool mul_fits(uint64_t a, uint64_t b, uint64_t *out)
{
    if (b != 0 && a > UINT64_MAX / b)
        return false;
    *out = a * b;
    return true;
}

/* ceil(a / b) for b > 0. The usual (a + b - 1) / b overflows for large a. */
static uint64_t div_up(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0);
}

uint64_t cap_wire_bytes(uint64_t payload_bytes)
{
    if (payload_bytes > UINT64_MAX - GRPC_PREFIX_BYTES)
        return CAP_ERROR;
    uint64_t grpc_bytes = payload_bytes + GRPC_PREFIX_BYTES;
    /* At most 2^50 frames, so their headers fit; the total might not.
     * >= keeps UINT64_MAX (CAP_ERROR) out of the valid answers. */
    uint64_t headers =
        div_up(grpc_bytes, H2_MAX_FRAME_PAYLOAD) * H2_FRAME_HEADER_BYTES;
    if (headers >= UINT64_MAX - grpc_bytes)
        return CAP_ERROR;
    return grpc_bytes + headers;
}

uint64_t cap_bandwidth(uint64_t msgs_per_sec, uint64_t payload_bytes)
{
    uint64_t per_msg = cap_wire_bytes(payload_bytes), total;
    if (per_msg == CAP_ERROR || !mul_fits(msgs_per_sec, per_msg, &total))
        return CAP_ERROR;
    return total;
}

uint64_t cap_concurrency(uint64_t calls_per_sec, uint64_t latency_ms)
{
    uint64_t call_ms;
    if (!mul_fits(calls_per_sec, latency_ms, &call_ms))
        return CAP_ERROR;
    return div_up(call_ms, 1000);
}

uint64_t cap_replicas(uint64_t peak_calls_per_sec,
                      uint64_t per_replica_calls_per_sec, int target_util_pct)
{
    if (per_replica_calls_per_sec == 0 || target_util_pct < 1 ||
        target_util_pct > 100)
        return CAP_ERROR;
    /* Whole percentages keep this exact: 0.7 has no exact binary double. */
    uint64_t need, each;
    if (!mul_fits(peak_calls_per_sec, 100, &need) ||
        !mul_fits(per_replica_calls_per_sec, (uint64_t)target_util_pct, &each))
        return CAP_ERROR;
    uint64_t n = div_up(need, each);
    /* No traffic still needs one replica to answer the first call. */
    return n == 0 ? 1 : n;
}

int cap_budget_holds(const struct cap_hop *hops, size_t n_hops,
                     uint64_t budget_ms)
{
    if (hops == NULL && n_hops > 0)
        return -1;
    uint64_t worst = 0;
    bool overflow = false;
    /* Look at every hop, even after the sum overflowed: a later one may be
     * invalid. */
    for (size_t i = 0; i < n_hops; i++) {
        if (hops[i].attempts == 0)
            return -1;
        /* Two 32-bit numbers: their product always fits in 64 bits. */
        uint64_t hop = (uint64_t)hops[i].latency_ms * hops[i].attempts;
        if (hop > UINT64_MAX - worst)
            overflow = true;
        else
            worst += hop;
    }
    return !overflow && worst <= budget_ms;
}
