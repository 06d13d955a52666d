/*
 * user_repo.h: where UserService finds its users. Given: read it, don't edit.
 *
 * The outline's GetUser calls s.userService.GetByID(id) and tells "not
 * found" apart from other errors. In C the repository is an interface: a
 * struct of function pointers, reached from the handler through the user
 * pointer of its registration (cg_ctx_user). The server does not care what
 * stands behind it: the in-memory sample below, a database client, or a fake
 * in a test (step 6 mocks it with cmocka's will_return):
 *
 *     static user_repo_result fake_get(const user_repo *self, const char *id,
 *                                      user_record *out, char *why,
 *                                      size_t why_len) { ... }
 *     user_repo fake = {fake_get, NULL};
 *     ... register UserService with &fake as its user pointer ...
 */
#ifndef STEP04_USER_REPO_H
#define STEP04_USER_REPO_H

#include <stddef.h>

#include "tutorial/v1/user_service.pb-c.h"

/* [repo-interface] */
typedef enum user_repo_result {
    USER_FOUND = 0,   /* *out holds the user */
    USER_NOT_FOUND,   /* no user with that id; *out is untouched */
    USER_REPO_FAILED, /* the repository could not answer (I/O, timeout...) */
} user_repo_result;

/* One user, copied out of the repository: the record owns its text, so
 * nothing in it points into the repository's memory. */
typedef struct user_record {
    char id[64];
    char name[64];
    char email[128];
    Tutorial__V1__Role role;
} user_record;

typedef struct user_repo user_repo;
struct user_repo {
    /* Looks up the user with this id (NUL-terminated, never NULL).
     * USER_FOUND: *out is filled in. USER_NOT_FOUND: *out is untouched.
     * USER_REPO_FAILED: *out is untouched, and why[0..why_len) receives a
     * NUL-terminated description of the failure, for the server's log only:
     * it may name hosts, files or queries that clients must never see.
     * why_len may be 0 (then why is not written). Safe to call from many
     * threads at once. */
    user_repo_result (*get_by_id)(const user_repo *self, const char *id,
                                  user_record *out, char *why, size_t why_len);
    /* The implementation's own state, for get_by_id to use. */
    void *data;
};
/* [/repo-interface] */

/* The in-memory repository of the course's sample users:
 *   "1"  Alice  alice@example.com  ROLE_ADMIN
 *   "2"  Bob    bob@example.com    ROLE_MEMBER
 * It never fails. A static object: never free it. */
user_repo *user_repo_sample(void);

#endif
