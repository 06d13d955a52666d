/*
 * get_user_tests.c: exercise 2, unit tests of step 4's GetUser through the
 * mock repository: every error path and the success path, no network
 * (get_user, and the table that lists these tests, are given: groups.h).
 * Run them: `make run ARGS=unit` here; checked by the suite get_user_tests.
 * Lesson: docs/en/steps/06-testing.md#exercise-2-unit-tests-of-getuser
 */
#include <stdio.h>
#include <string.h>

#include "groups.h"
#include "mock_repo.h"
#include "user_service.h"

void test_get_user_empty_id_is_invalid_argument(void **state)
{
    (void)state;
    get_user_call c;
    get_user(&c, "");
    /* TODO: check c.status: INVALID_ARGUMENT with the message "user_id is
     * required". Queue nothing: if GetUser asked the repository anyway,
     * the mock would fail the test. */
    get_user_end(&c);
}

void test_get_user_unknown_id_is_not_found(void **state)
{
    (void)state;
    /* TODO: queue mock_repo_will_not_find("42"), call get_user, check
     * NOT_FOUND with the message "user 42 not found" */
}

void test_get_user_repo_failure_is_internal_and_says_nothing(void **state)
{
    (void)state;
    /* TODO: queue mock_repo_will_fail with a `why` full of secrets (a host
     * name, a password...), call get_user, check INTERNAL "internal error"
     * and that no part of the secret reached the message */
}

void test_get_user_found_returns_every_field(void **state)
{
    (void)state;
    /* TODO: queue mock_repo_will_find with a user_record, call get_user,
     * check OK and every field of c.user: id, name, email, role */
}
