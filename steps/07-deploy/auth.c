/*
 * auth.c: exercise 6, a server interceptor that checks bearer tokens and
 * answers UNAUTHENTICATED or PERMISSION_DENIED (contracts in auth.h; the
 * token table and the policy are given in given/auth_given.c).
 * Test: `make test` here; suite auth. Lesson:
 * docs/en/steps/07-deploy.md#exercise-6-token-auth
 */
#include "auth.h"

#include <string.h>
#include <strings.h>

cg_status auth_check(const auth_table *t, const char *path,
                     const char *authorization)
{
    (void)t;
    (void)path;
    (void)authorization;
    /* TODO: the role the method needs; then "Bearer <token>", the token's
     * role (auth_lookup), and UNAUTHENTICATED or PERMISSION_DENIED */
    return cg_ok();
}

cg_status auth_interceptor(cg_ctx *ctx, cg_next *next, void *user)
{
    (void)user;
    /* TODO: auth_check the call's "authorization" metadata; on an error,
     * return it without calling cg_proceed */
    return cg_proceed(ctx, next);
}
