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
    /* TODO: take the next turn from p->next, without a lock, and return
     * the channel whose turn it is */
    return p->channels[0];
}
