/*
 * capacity.h: back-of-the-envelope sizing, with exact answers.
 *
 * Given code: read the contracts; exercise 2 implements them in capacity.c.
 * Everything is unsigned 64-bit integer arithmetic that never wraps: if an
 * input is invalid or a result does not fit in 64 bits, the function says
 * so with CAP_ERROR instead of returning a wrong number.
 * Lesson: docs/en/steps/01-design.md#capacity-arithmetic
 */
#ifndef DESIGN_CAPACITY_H
#define DESIGN_CAPACITY_H

#include <stddef.h>
#include <stdint.h>

/* "No answer": invalid input, or the answer would not fit in 64 bits.
 * Being UINT64_MAX itself, it leaves UINT64_MAX - 1 as the largest answer. */
#define CAP_ERROR UINT64_MAX

/* gRPC puts a 5-byte prefix before every message: 1 byte "compressed?"
 * flag, then the message length as a 4-byte big-endian number. */
#define GRPC_PREFIX_BYTES 5u
/* Every HTTP/2 frame starts with a 9-byte header. */
#define H2_FRAME_HEADER_BYTES 9u
/* HTTP/2's default SETTINGS_MAX_FRAME_SIZE: the most payload one frame
 * may carry unless the receiver allows more. */
#define H2_MAX_FRAME_PAYLOAD 16384u

/*
 * Bytes one message of `payload_bytes` costs on the wire, in the lesson's
 * model: the message, its gRPC prefix, and the header of every DATA frame
 * that carries them, each frame holding at most H2_MAX_FRAME_PAYLOAD bytes:
 *
 *   frames = ceil((payload + 5) / 16384)
 *   bytes  = payload + 5 + 9 * frames
 *
 * An empty message still needs its prefix and one frame (14 bytes).
 * CAP_ERROR if the result does not fit in 64 bits.
 */
uint64_t cap_wire_bytes(uint64_t payload_bytes);

/*
 * Bytes per second for `msgs_per_sec` messages of `payload_bytes` each:
 * msgs_per_sec * cap_wire_bytes(payload_bytes). CAP_ERROR if
 * cap_wire_bytes() gives CAP_ERROR (whatever the rate) or the product does
 * not fit in 64 bits.
 */
uint64_t cap_bandwidth(uint64_t msgs_per_sec, uint64_t payload_bytes);

/*
 * Calls in flight on average (Little's law, L = lambda * W) when
 * `calls_per_sec` calls arrive and each takes `latency_ms`, rounded up to
 * a whole call: ceil(calls_per_sec * latency_ms / 1000).
 * CAP_ERROR if calls_per_sec * latency_ms does not fit in 64 bits.
 */
uint64_t cap_concurrency(uint64_t calls_per_sec, uint64_t latency_ms);

/*
 * Replicas needed to serve `peak_calls_per_sec` when one replica handles
 * `per_replica_calls_per_sec` at 100% busy and each may only be
 * `target_util_pct` percent busy (70 means 70%):
 *
 *   replicas = ceil(peak * 100 / (per_replica * pct)), and at least 1
 *
 * CAP_ERROR if per_replica is 0, pct is not in 1..100, or peak * 100 or
 * per_replica * pct does not fit in 64 bits.
 */
uint64_t cap_replicas(uint64_t peak_calls_per_sec,
                      uint64_t per_replica_calls_per_sec, int target_util_pct);

/* One step on a call's path, e.g. "client -> API gateway". */
struct cap_hop {
    uint32_t latency_ms; /* worst time of one attempt, network included */
    uint32_t attempts;   /* 1 + retries; 0 is invalid */
};

/*
 * Whether a chain of `n_hops` sequential hops fits in `budget_ms` even in
 * the worst case, where every attempt of every hop takes its full latency:
 * sum(latency_ms * attempts) <= budget_ms.
 * Returns 1 if it fits, 0 if it does not (a sum too big for 64 bits does
 * not fit any budget), and -1 if `hops` is NULL while n_hops > 0 or a hop
 * has 0 attempts. An empty chain (n_hops == 0, hops may be NULL) fits.
 */
int cap_budget_holds(const struct cap_hop *hops, size_t n_hops,
                     uint64_t budget_ms);

#endif
