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
    /* Fails the running test unless a test queued exactly this id. */
    check_expected(id);
    user_repo_result result = mock_type(user_repo_result);
    if (result == USER_FOUND) {
        *out = *mock_ptr_type(const user_record *);
    } else if (result == USER_REPO_FAILED) {
        const char *text = mock_ptr_type(const char *);
        if (why_len > 0)
            snprintf(why, why_len, "%s", text);
    }
    return result;
}

void mock_repo_will_find(const char *id, const user_record *rec)
{
    expect_string(mock_get_by_id, id, id);
    will_return(mock_get_by_id, USER_FOUND);
    will_return(mock_get_by_id, rec);
}

void mock_repo_will_not_find(const char *id)
{
    expect_string(mock_get_by_id, id, id);
    will_return(mock_get_by_id, USER_NOT_FOUND);
}

void mock_repo_will_fail(const char *id, const char *why)
{
    expect_string(mock_get_by_id, id, id);
    will_return(mock_get_by_id, USER_REPO_FAILED);
    will_return(mock_get_by_id, why);
}
