/*
 * pool.c: exercise 6, a pool of channels picked in round-robin order
 * without a lock (contracts in pool.h). pool_new and pool_free are given:
 * write pool_pick; `make test` here runs suite pool.
 * Lesson: docs/en/steps/05-client.md#exercise-6-a-round-robin-pool
 */
#include "pool.h"

#include <stdatomic.h>
#include <stdlib.h>

struct channel_pool {
    cg_channel **channels;  /* fixed once pool_new returns: read-only */
    size_t n;
    size_t next;  /* TODO: a counter that many threads can bump at once */
};

channel_pool *pool_new(const char *const *targets, size_t n,
                       const cg_channel_opts *opts)
{
    if (targets == NULL || n == 0)
        return NULL;
    channel_pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->channels = calloc(n, sizeof *p->channels);
    if (p->channels == NULL) {
        free(p);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        p->channels[i] = cg_channel_new(targets[i], opts, NULL);
        if (p->channels[i] == NULL) {
            p->n = i;
            pool_free(p);
            return NULL;
        }
    }
    p->n = n;
    p->next = 0;
    return p;
}

cg_channel *pool_pick(channel_pool *p)
{
    if (p == NULL)
        return NULL;
    /* TODO: take the next turn from the counter, without a lock */
    return p->channels[0];
}

size_t pool_size(const channel_pool *p)
{
    return p != NULL ? p->n : 0;
}

cg_channel *pool_channel(const channel_pool *p, size_t i)
{
    return p != NULL && i < p->n ? p->channels[i] : NULL;
}

void pool_free(channel_pool *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++)
        cg_channel_free(p->channels[i]);
    free(p->channels);
    free(p);
}
