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
    (void)repo;
    (void)req;
    (void)resp;
    /* TODO: check user_id, ask repo->get_by_id, map its answer to a status */
    return cg_error(ctx, GRPC_STATUS_UNIMPLEMENTED,
                    "step 4: implement "
                    "GetUser — see docs/en/steps/04-server.md#getuser");
}

const Tutorial__V1__UserService_Server user_service_server = {
    .get_user = get_user,
};
