/*
 * user_service.h: UserService.GetUser, the outline's error-handling example
 * (exercise 2, in user_service.c).
 *
 * Registered with the repository to search as its user pointer:
 *
 *     tutorial__v1__user_service__register_server(srv, &user_service_server,
 *                                                 user_repo_sample());
 *
 * GetUser maps each outcome to a status, as the outline's Go does:
 *   empty user_id          INVALID_ARGUMENT "user_id is required"
 *                          (the repository is not asked)
 *   USER_FOUND             OK, the User with id, name, email and role
 *   USER_NOT_FOUND         NOT_FOUND "user <id> not found"
 *   USER_REPO_FAILED, or   INTERNAL "internal error"; the repository's own
 *   anything else          description goes to the server's log (stderr),
 *                          never to the client
 */
#ifndef STEP04_USER_SERVICE_H
#define STEP04_USER_SERVICE_H

#include "tutorial/v1/user_service.cgrpc.h"
#include "user_repo.h"

extern const Tutorial__V1__UserService_Server user_service_server;

#endif
