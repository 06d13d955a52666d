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
    auth_role needed = auth_role_needed(path);
    if (needed == AUTH_ROLE_NONE)
        return cg_ok();
    if (authorization == NULL)
        return cg_error(NULL, GRPC_STATUS_UNAUTHENTICATED,
                        "no credentials: send the metadata "
                        "'authorization: Bearer <token>'");
    const char *token = authorization;
    if (strncasecmp(token, "Bearer ", 7) != 0)
        return cg_error(NULL, GRPC_STATUS_UNAUTHENTICATED,
                        "malformed credentials: the authorization metadata "
                        "must be 'Bearer <token>'");
    token += 7;
    while (*token == ' ')
        token++;
    if (*token == '\0' || strchr(token, ' ') != NULL)
        return cg_error(NULL, GRPC_STATUS_UNAUTHENTICATED,
                        "malformed credentials: the authorization metadata "
                        "must be 'Bearer <token>'");
    auth_role role = auth_lookup(t, token);
    if (role == AUTH_ROLE_NONE)
        return cg_error(NULL, GRPC_STATUS_UNAUTHENTICATED,
                        "unknown token: ask for a valid one");
    if (role < needed)
        return cg_error(NULL, GRPC_STATUS_PERMISSION_DENIED,
                        "role %s may not call %s (it needs %s)",
                        auth_role_name(role), path, auth_role_name(needed));
    return cg_ok();
}

cg_status auth_interceptor(cg_ctx *ctx, cg_next *next, void *user)
{
    const char *authorization = cg_ctx_metadata(ctx, "authorization", NULL);
    cg_status st = auth_check(user, cg_ctx_method(ctx)->path, authorization);
    if (st.code != GRPC_STATUS_OK)
        return st;
    return cg_proceed(ctx, next);
}
