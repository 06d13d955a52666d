/*
 * pool.h: exercise 6, a pool of channels picked in round-robin order
 * (given; you write pool_pick in pool.c, the rest is in pool_given.c).
 *
 * One channel carries many calls at once over one HTTP/2 connection. A
 * pool of channels opens several connections (to one server, or to
 * several) and spreads the calls over them. Picking the next channel is on
 * the path of every call from every thread, so it must be correct under
 * concurrency and cheap: no lock.
 * The lesson: docs/en/steps/05-client.md#exercise-6-a-round-robin-pool
 */
#ifndef STEP05_POOL_H
#define STEP05_POOL_H

#include <stdatomic.h>
#include <stddef.h>

#include <cgrpc.h>

/* [pool-struct] */
/* What pool_new (given, pool_given.c) makes. */
typedef struct channel_pool {
    cg_channel **channels; /* fixed once pool_new returns: read-only */
    size_t n;              /* how many: at least 1 */
    atomic_size_t next;    /* picks so far; pool_new sets it to 0 */
} channel_pool;
/* [/pool-struct] */

/*
 * A pool of n channels, one per target (a target may appear several
 * times: several connections to one server), made with cg_channel_new and
 * `opts` (may be NULL). NULL when n is 0, targets is NULL, or a target is
 * refused; the channels made so far are freed then. Free with pool_free.
 */
channel_pool *pool_new(const char *const *targets, size_t n,
                       const cg_channel_opts *opts);

/*
 * The next channel, in round-robin order: with n channels, successive
 * picks return channel 0, 1, ..., n-1, 0, 1, ... Safe to call from any
 * number of threads at once, and takes no lock: of k*n picks made by any
 * threads together, each channel is returned exactly k times. The channel
 * stays the pool's. NULL when p is NULL.
 */
cg_channel *pool_pick(channel_pool *p);

/* The number of channels, and channel i (NULL when out of range). */
size_t pool_size(const channel_pool *p);
cg_channel *pool_channel(const channel_pool *p, size_t i);

/* Frees the channels and the pool. NULL is a harmless no-op. No call may
 * be using a channel of the pool any more. */
void pool_free(channel_pool *p);

#endif
