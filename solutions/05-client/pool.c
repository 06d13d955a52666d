/*
 * pool.c: exercise 6, pool_pick: the next channel of a pool, in round-robin
 * order, without a lock (contracts in pool.h; the rest of the pool is given
 * in pool_given.c). Test: `make test` here; suite pool.
 * Lesson: docs/en/steps/05-client.md#exercise-6-a-round-robin-pool
 */
#include "pool.h"

cg_channel *pool_pick(channel_pool *p)
{
    if (p == NULL)
        return NULL;
    /* One indivisible read-and-increment: every caller gets its own
     * number, so no two threads can take the same turn. The channels array
     * never changes after pool_new, so reading it needs no lock either. */
    size_t turn = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
    return p->channels[turn % p->n];
}
