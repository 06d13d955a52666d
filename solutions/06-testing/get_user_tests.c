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
    /* Nothing queued: were the repository asked, the mock would fail the
     * test. So this also checks that an empty id never reaches it. */
    get_user_call c;
    get_user(&c, "");
    assert_string_equal(cg_status_name(c.status.code), "INVALID_ARGUMENT");
    assert_string_equal(c.status.message, "user_id is required");
    get_user_end(&c);
}

void test_get_user_unknown_id_is_not_found(void **state)
{
    (void)state;
    mock_repo_will_not_find("42");
    get_user_call c;
    get_user(&c, "42");
    assert_string_equal(cg_status_name(c.status.code), "NOT_FOUND");
    assert_string_equal(c.status.message, "user 42 not found");
    get_user_end(&c);
}

void test_get_user_repo_failure_is_internal_and_says_nothing(void **state)
{
    (void)state;
    const char *secret = "connect db-01.internal:5432: password rejected";
    mock_repo_will_fail("7", secret);
    get_user_call c;
    get_user(&c, "7");
    assert_string_equal(cg_status_name(c.status.code), "INTERNAL");
    assert_string_equal(c.status.message, "internal error");
    /* Whatever the wording, none of the repository's text may go out. */
    assert_null(strstr(c.status.message, "db-01"));
    get_user_end(&c);
}

void test_get_user_found_returns_every_field(void **state)
{
    (void)state;
    user_record alice = {.id = "1",
                         .name = "Alice",
                         .email = "alice@example.com",
                         .role = TUTORIAL__V1__ROLE__ROLE_ADMIN};
    mock_repo_will_find("1", &alice);
    get_user_call c;
    get_user(&c, "1");
    assert_string_equal(cg_status_name(c.status.code), "OK");
    assert_string_equal(c.user.id, "1");
    assert_string_equal(c.user.name, "Alice");
    assert_string_equal(c.user.email, "alice@example.com");
    assert_int_equal(c.user.role, TUTORIAL__V1__ROLE__ROLE_ADMIN);
    get_user_end(&c);
}
