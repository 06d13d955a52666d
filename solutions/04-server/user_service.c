/*
 * user_service.c: exercise 2, GetUser and its error mapping over the user
 * repository (contracts in user_service.h and user_repo.h). Test: `make test`
 * here; suite user_service. Lesson: docs/en/steps/04-server.md#getuser
 */
#include "user_service.h"

#include <stdio.h>

static cg_status get_user(cg_ctx *ctx, const Tutorial__V1__GetUserRequest *req,
                          Tutorial__V1__User *resp)
{
    const user_repo *repo = cg_ctx_user(ctx);
    if (req->user_id[0] == '\0')
        return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                        "user_id is required");

    user_record rec;
    char why[256] = "";
    user_repo_result r =
        repo->get_by_id(repo, req->user_id, &rec, why, sizeof why);
    if (r == USER_NOT_FOUND)
        return cg_error(ctx, GRPC_STATUS_NOT_FOUND, "user %s not found",
                        req->user_id);
    if (r != USER_FOUND) {
        /* The details are for us, not for whoever called: they may name
         * hosts, queries or files. Log them, send a plain INTERNAL. */
        fprintf(stderr, "GetUser %s: repository failed: %s\n", req->user_id,
                why[0] ? why : "(no details)");
        return cg_error(ctx, GRPC_STATUS_INTERNAL, "internal error");
    }

    /* rec lives in this frame; the response is sent after we return. */
    resp->id = cg_strdup(ctx, rec.id);
    resp->name = cg_strdup(ctx, rec.name);
    resp->email = cg_strdup(ctx, rec.email);
    resp->role = rec.role;
    return cg_ok();
}

const Tutorial__V1__UserService_Server user_service_server = {
    .get_user = get_user,
};
