/*
 * test_mock_repo.c: exercise 1, your cmocka mock of the user repository.
 * Queued answers must come back, in order, exactly as queued; the id must
 * be checked; and a call nobody queued must fail the test that made it.
 * Those last two can only be seen from outside a test: this suite runs
 * itself again as a child process (--child ...) whose one test is expected
 * to FAIL, and checks that it did.
 */
#define LESSON_PAGE "steps/06-testing.md"
#define EXERCISE_FILE "mock_repo.c"
#include "lesson.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "child.h"
#include "mock_repo.h"

#define MOCK "#cmockas-will_return-and-mock"
#define CHECK "#checking-the-arguments"
#define SELF STEP_BUILD_DIR "/test_mock_repo"

static const user_record GRACE = {.id = "7",
                                  .name = "Grace",
                                  .email = "grace@example.com",
                                  .role = TUTORIAL__V1__ROLE__ROLE_MEMBER};

static const char *result_name(user_repo_result r)
{
    switch (r) {
    case USER_FOUND:
        return "USER_FOUND";
    case USER_NOT_FOUND:
        return "USER_NOT_FOUND";
    case USER_REPO_FAILED:
        return "USER_REPO_FAILED";
    }
    return "(not a user_repo_result)";
}

/* Fails unless the mock's answer to `call` is `want`, the queued one. */
#define expect_answer(call, want, section)                                     \
    do {                                                                       \
        user_repo_result a_ = (call);                                          \
        if (a_ != (want))                                                      \
            expect_fail(section,                                               \
                        "%s: the mock answered %s, but the test "              \
                        "had queued %s",                                       \
                        #call, result_name(a_), result_name(want));            \
    } while (0)

/* Asks the mock for id; *out starts as "untouched" everywhere. */
static user_repo_result ask(const char *id, user_record *out, char *why,
                            size_t why_len)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "untouched");
    user_repo *repo = mock_repo();
    return repo->get_by_id(repo, id, out, why, why_len);
}

/* [queue-then-ask] */
static void test_mock_repo_finds_the_queued_user(void **state)
{
    (void)state;
    mock_repo_will_find("7", &GRACE);
    user_record out;
    char why[32] = "untouched";
    expect_answer(ask("7", &out, why, sizeof why), USER_FOUND, MOCK);
    expect_str(out.id, "7", MOCK);
    expect_str(out.name, "Grace", MOCK);
    expect_str(out.email, "grace@example.com", MOCK);
    expect_int(out.role, TUTORIAL__V1__ROLE__ROLE_MEMBER, MOCK);
    expect_str(why, "untouched", MOCK);
}
/* [/queue-then-ask] */

static void test_mock_repo_not_found_leaves_out_alone(void **state)
{
    (void)state;
    mock_repo_will_not_find("8");
    mock_repo_will_find("7", &GRACE);
    user_record out;
    char why[32] = "untouched";
    expect_answer(ask("8", &out, why, sizeof why), USER_NOT_FOUND, MOCK);
    expect_str(out.name, "untouched", MOCK);
    expect_str(why, "untouched", MOCK);
    /* The second answer must be the second one queued: the first was
     * taken from the queue, not made up. */
    expect_answer(ask("7", &out, why, sizeof why), USER_FOUND, MOCK);
    expect_str(out.name, "Grace", MOCK);
}

static void test_mock_repo_fails_with_the_queued_why(void **state)
{
    (void)state;
    user_record out;
    char why[64] = "";
    mock_repo_will_fail("9", "db-01 timed out");
    expect_answer(ask("9", &out, why, sizeof why), USER_REPO_FAILED, MOCK);
    expect_str(why, "db-01 timed out", MOCK);
    expect_str(out.name, "untouched", MOCK);

    /* why_len is the room there is, NUL included: cut the text to fit. */
    char small[8] = "1234567";
    mock_repo_will_fail("9", "db-01 timed out");
    expect_answer(ask("9", &out, small, 5), USER_REPO_FAILED, MOCK);
    expect_str(small, "db-0", MOCK);

    /* why_len 0: not a byte written. */
    char none[8] = "keep";
    mock_repo_will_fail("9", "db-01 timed out");
    expect_answer(ask("9", &out, none, 0), USER_REPO_FAILED, MOCK);
    expect_str(none, "keep", MOCK);
}

static void test_mock_repo_answers_in_queue_order(void **state)
{
    (void)state;
    static const user_record ADA = {.id = "1",
                                    .name = "Ada",
                                    .email = "ada@example.com",
                                    .role = TUTORIAL__V1__ROLE__ROLE_ADMIN};
    mock_repo_will_fail("1", "busy");
    mock_repo_will_find("1", &ADA);
    mock_repo_will_not_find("2");
    mock_repo_will_find("7", &GRACE);
    user_record out;
    char why[32] = "";
    expect_answer(ask("1", &out, why, sizeof why), USER_REPO_FAILED, MOCK);
    expect_str(why, "busy", MOCK);
    expect_answer(ask("1", &out, why, sizeof why), USER_FOUND, MOCK);
    expect_str(out.name, "Ada", MOCK);
    expect_answer(ask("2", &out, why, sizeof why), USER_NOT_FOUND, MOCK);
    expect_answer(ask("7", &out, why, sizeof why), USER_FOUND, MOCK);
    expect_str(out.name, "Grace", MOCK);
}

/* ---- what only a failing test shows: run in a child ------------------- */

/* The child's tests: each must fail with a correct mock. */
static void child_wrong_id(void **state)
{
    (void)state;
    mock_repo_will_find("7", &GRACE);
    user_record out;
    ask("8", &out, NULL, 0); /* the test queued "7" */
}

/* The same for the other two helpers: each queues the id it is given. */
static void child_wrong_id_not_found(void **state)
{
    (void)state;
    mock_repo_will_not_find("7");
    user_record out;
    ask("8", &out, NULL, 0);
}

static void child_wrong_id_fail(void **state)
{
    (void)state;
    char why[64];
    mock_repo_will_fail("7", "disk on fire");
    user_record out;
    ask("8", &out, why, sizeof why);
}

static void child_unqueued(void **state)
{
    (void)state;
    user_record out;
    ask("7", &out, NULL, 0); /* nothing queued at all */
}

/* Runs this suite again as `--child which` and expects its test to fail. */
static void expect_child_fails(const char *which, const char *what)
{
    char out[256];
    mkdir(STEP_BUILD_DIR "/runs", 0755);
    snprintf(out, sizeof out, STEP_BUILD_DIR "/runs/mock-%s.txt", which);
    char *argv[] = {SELF, "--child", (char *)which, NULL};
    child_result r;
    child_run(argv, out, 20000, &r);
    expect_true(r.started && !r.timed_out, CHECK,
                "the child test (%s) did not run to its end: %s", which,
                r.timed_out ? "it timed out" : r.output);
    expect_true(r.exit_code != 0 || r.signal != 0, CHECK, "%s", what);
}

static void test_mock_repo_checks_the_id(void **state)
{
    (void)state;
    expect_child_fails("wrong-id",
                       "a test queued an answer for id \"7\", GetUser asked "
                       "for \"8\", and your mock answered anyway: it should "
                       "fail that test. Call check_expected(id) in "
                       "mock_get_by_id, and queue the id with expect_string "
                       "in each helper.");
    expect_child_fails("wrong-id-not-found",
                       "a test queued mock_repo_will_not_find(\"7\"), GetUser "
                       "asked for \"8\", and your mock answered anyway: "
                       "mock_repo_will_not_find must queue its id with "
                       "expect_string too.");
    expect_child_fails("wrong-id-fail",
                       "a test queued mock_repo_will_fail(\"7\", ...), GetUser "
                       "asked for \"8\", and your mock answered anyway: "
                       "mock_repo_will_fail must queue its id with "
                       "expect_string too.");
}

static void test_mock_repo_refuses_a_call_nobody_queued(void **state)
{
    (void)state;
    expect_child_fails("unqueued",
                       "nothing was queued, yet your mock answered a call: "
                       "it should fail that test, so that \"the repository "
                       "was never asked\" is something a test can check. "
                       "Take every answer from the queue (check_expected, "
                       "mock_type) instead of a default.");
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0) {
        const struct CMUnitTest wrong_id[] = {cmocka_unit_test(child_wrong_id)};
        const struct CMUnitTest wrong_id_not_found[] = {
            cmocka_unit_test(child_wrong_id_not_found)};
        const struct CMUnitTest wrong_id_fail[] = {
            cmocka_unit_test(child_wrong_id_fail)};
        const struct CMUnitTest unqueued[] = {cmocka_unit_test(child_unqueued)};
        if (strcmp(argv[2], "wrong-id") == 0)
            return cmocka_run_group_tests(wrong_id, NULL, NULL);
        if (strcmp(argv[2], "wrong-id-not-found") == 0)
            return cmocka_run_group_tests(wrong_id_not_found, NULL, NULL);
        if (strcmp(argv[2], "wrong-id-fail") == 0)
            return cmocka_run_group_tests(wrong_id_fail, NULL, NULL);
        if (strcmp(argv[2], "unqueued") == 0)
            return cmocka_run_group_tests(unqueued, NULL, NULL);
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mock_repo_finds_the_queued_user),
        cmocka_unit_test(test_mock_repo_not_found_leaves_out_alone),
        cmocka_unit_test(test_mock_repo_fails_with_the_queued_why),
        cmocka_unit_test(test_mock_repo_answers_in_queue_order),
        cmocka_unit_test(test_mock_repo_checks_the_id),
        cmocka_unit_test(test_mock_repo_refuses_a_call_nobody_queued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
