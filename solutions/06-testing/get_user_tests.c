/*
 * get_user_tests.c: exercise 2, unit tests of step 4's GetUser through the
 * mock repository: every error path and the success path, no network.
 * Run them: `make run ARGS=unit` here; checked by the suite get_user_tests.
 * Lesson: docs/en/steps/06-testing.md#exercise-2-unit-tests-of-getuser
 */
#include <stdio.h>
#include <string.h>

#include "groups.h"
#include "mock_repo.h"
#include "user_service.h"

/* ---- given: calling GetUser directly ---------------------------------- */

/* [call-get-user] */
/* One call of GetUser's handler with no network, the way the outline's
 * TestUnaryCall calls s.UnaryCall: a test context stands in for the call,
 * with the mock repository as the service's user pointer. The response's
 * strings live in the context's arena: check them before get_user_end. */
typedef struct get_user_call {
    cg_ctx *ctx;
    Tutorial__V1__User user; /* the response; filled in only with OK */
    cg_status status;        /* what the handler returned */
} get_user_call;

static void get_user(get_user_call *c, const char *user_id)
{
    c->ctx = cg_test_ctx_new(TUTORIAL__V1__USER_SERVICE__GET_USER__METHOD,
                             mock_repo());
    Tutorial__V1__GetUserRequest req = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    req.user_id = (char *)user_id;
    Tutorial__V1__User empty = TUTORIAL__V1__USER__INIT;
    c->user = empty;
    c->status = user_service_server.get_user(c->ctx, &req, &c->user);
}

static void get_user_end(get_user_call *c)
{
    cg_test_ctx_free(c->ctx);
    c->ctx = NULL;
}
/* [/call-get-user] */

/* ---- exercise 2: the tests -------------------------------------------- */

static void test_get_user_empty_id_is_invalid_argument(void **state)
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

static void test_get_user_unknown_id_is_not_found(void **state)
{
    (void)state;
    mock_repo_will_not_find("42");
    get_user_call c;
    get_user(&c, "42");
    assert_string_equal(cg_status_name(c.status.code), "NOT_FOUND");
    assert_string_equal(c.status.message, "user 42 not found");
    get_user_end(&c);
}

static void test_get_user_repo_failure_is_internal_and_says_nothing(
    void **state)
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

static void test_get_user_found_returns_every_field(void **state)
{
    (void)state;
    user_record alice = {.id = "1", .name = "Alice",
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

/* The group main.c runs (groups.h). */
const struct CMUnitTest get_user_tests[] = {
    cmocka_unit_test(test_get_user_empty_id_is_invalid_argument),
    cmocka_unit_test(test_get_user_unknown_id_is_not_found),
    cmocka_unit_test(test_get_user_repo_failure_is_internal_and_says_nothing),
    cmocka_unit_test(test_get_user_found_returns_every_field),
};
const size_t get_user_tests_count =
    sizeof get_user_tests / sizeof get_user_tests[0];
