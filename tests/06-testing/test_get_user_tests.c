/*
 * test_get_user_tests.c: exercise 2, your unit tests of GetUser, judged by
 * running them. They must pass against step 4's finished GetUser and fail
 * against each copy of it with one bug in it (a mutant). A mutant your
 * tests let through is a bug they would let through: the failure message
 * names it, and the section that shows the test to write.
 *
 * The mutants are the sed scripts in mutants/get_user_*.sed.
 */
#define LESSON_PAGE "steps/06-testing.md"
#define EXERCISE_FILE "get_user_tests.c"
#define EXERCISE_NEEDS "mock_repo.c" /* the tests queue answers on the mock */
#include "lesson.h"

#include "mutation.h"

#define GROUP "unit"

static void test_get_user_tests_pass_on_correct_service(void **state)
{
    (void)state;
    expect_tests_pass(GROUP, "#exercise-2-unit-tests-of-getuser");
}

static void test_mutant_get_user_not_found_as_internal(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "get_user_not_found_as_internal",
                         "GetUser answers INTERNAL instead of NOT_FOUND for "
                         "an unknown user",
                         "#the-error-paths", NULL);
}

static void test_mutant_get_user_leaks_internal_error(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "get_user_leaks_internal_error",
                         "when the repository fails, GetUser sends its "
                         "private error text to the client (\"internal "
                         "error: <why>\")",
                         "#the-error-paths", NULL);
}

static void test_mutant_get_user_accepts_empty_id(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "get_user_accepts_empty_id",
                         "GetUser accepts an empty user_id and asks the "
                         "repository for \"\" instead of answering "
                         "INVALID_ARGUMENT",
                         "#the-error-paths", NULL);
}

static void test_mutant_get_user_forgets_role(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "get_user_forgets_role",
                         "GetUser fills in id, name and email but forgets "
                         "the role: every user comes back ROLE_UNSPECIFIED",
                         "#the-success-path", NULL);
}

static void test_mutant_get_user_failure_as_not_found(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "get_user_failure_as_not_found",
                         "GetUser answers a failing repository with "
                         "NOT_FOUND \"user <id> not found\", as if the user "
                         "did not exist, instead of INTERNAL",
                         "#the-error-paths", NULL);
}

static void test_mutant_get_user_empty_id_not_found(void **state)
{
    (void)state;
    expect_mutant_caught(GROUP, "get_user_empty_id_not_found",
                         "GetUser refuses an empty user_id with NOT_FOUND "
                         "instead of INVALID_ARGUMENT",
                         "#the-error-paths", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_user_tests_pass_on_correct_service),
        cmocka_unit_test(test_mutant_get_user_not_found_as_internal),
        cmocka_unit_test(test_mutant_get_user_leaks_internal_error),
        cmocka_unit_test(test_mutant_get_user_accepts_empty_id),
        cmocka_unit_test(test_mutant_get_user_forgets_role),
        cmocka_unit_test(test_mutant_get_user_failure_as_not_found),
        cmocka_unit_test(test_mutant_get_user_empty_id_not_found),
    };
    runs_ahead(GROUP, tests, sizeof tests / sizeof tests[0]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
