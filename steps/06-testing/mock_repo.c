/*
 * mock_repo.c: exercise 1, a user repository made of cmocka's mock
 * functions (contract in mock_repo.h). Test: `make test` here; suite
 * mock_repo. Lesson: docs/en/steps/06-testing.md#exercise-1-a-mock-repository
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "mock_repo.h"

user_repo_result mock_get_by_id(const user_repo *self, const char *id,
                                user_record *out, char *why, size_t why_len)
{
    (void)self;
    (void)id;
    (void)out;
    (void)why;
    (void)why_len;
    /* TODO: check_expected(id), then take the queued result with
     * mock_type(user_repo_result); for USER_FOUND copy the record that
     * mock_ptr_type(const user_record *) gives into *out, for
     * USER_REPO_FAILED copy the queued text into why (if why_len > 0) */
    return USER_NOT_FOUND;
}

void mock_repo_will_find(const char *id, const user_record *rec)
{
    (void)id;
    (void)rec;
    /* TODO: expect_string(mock_get_by_id, id, id), then will_return
     * USER_FOUND and the record */
}

void mock_repo_will_not_find(const char *id)
{
    (void)id;
    /* TODO: expect the id, then will_return USER_NOT_FOUND */
}

void mock_repo_will_fail(const char *id, const char *why)
{
    (void)id;
    (void)why;
    /* TODO: expect the id, then will_return USER_REPO_FAILED and why */
}
