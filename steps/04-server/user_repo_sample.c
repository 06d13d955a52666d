/*
 * user_repo_sample.c: the in-memory user repository (see user_repo.h).
 * Given: read it, don't edit.
 *
 * A fixed table searched from the start. It is read-only, so any number of
 * handler threads may search it at once without a lock.
 */
#include "user_repo.h"

#include <stdio.h>
#include <string.h>

typedef struct sample_user {
    const char *id, *name, *email;
    Tutorial__V1__Role role;
} sample_user;

static const sample_user SAMPLE[] = {
    {"1", "Alice", "alice@example.com", TUTORIAL__V1__ROLE__ROLE_ADMIN},
    {"2", "Bob", "bob@example.com", TUTORIAL__V1__ROLE__ROLE_MEMBER},
};

static user_repo_result sample_get(const user_repo *self, const char *id,
                                   user_record *out, char *why, size_t why_len)
{
    (void)self;
    (void)why;
    (void)why_len;
    for (size_t i = 0; i < sizeof SAMPLE / sizeof SAMPLE[0]; i++) {
        if (strcmp(SAMPLE[i].id, id) != 0)
            continue;
        snprintf(out->id, sizeof out->id, "%s", SAMPLE[i].id);
        snprintf(out->name, sizeof out->name, "%s", SAMPLE[i].name);
        snprintf(out->email, sizeof out->email, "%s", SAMPLE[i].email);
        out->role = SAMPLE[i].role;
        return USER_FOUND;
    }
    return USER_NOT_FOUND;
}

user_repo *user_repo_sample(void)
{
    static user_repo repo = {sample_get, NULL};
    return &repo;
}
