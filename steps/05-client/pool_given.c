/*
 * pool_given.c: given, read it but don't edit it. The rest of the channel
 * pool (contracts in pool.h): making it, its size and channels, freeing
 * it. Exercise 6, pool_pick, is in pool.c.
 */
#include "pool.h"

#include <stdlib.h>

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
    atomic_init(&p->next, 0);
    return p;
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
