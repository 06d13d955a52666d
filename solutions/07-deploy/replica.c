/*
 * replica.c: exercise 7, a server interceptor that names the replica in a
 * response header (contract in replica.h).
 * Test: `make test` here; suite replica. Lesson:
 * docs/en/steps/07-deploy.md#exercise-7-which-replica-answered
 */
#include "replica.h"

cg_status replica_interceptor(cg_ctx *ctx, cg_next *next, void *user)
{
    const char *name = user;
    cg_ctx_add_header(ctx, REPLICA_HEADER, name, 0);
    return cg_proceed(ctx, next);
}
