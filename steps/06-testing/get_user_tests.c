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
    get_user_call c;
    get_user(&c, "");
    /* TODO: check c.status: INVALID_ARGUMENT with the message "user_id is
     * required". Queue nothing: if GetUser asked the repository anyway,
     * the mock would fail the test. */
    get_user_end(&c);
}

static void test_get_user_unknown_id_is_not_found(void **state)
{
    (void)state;
    /* TODO: queue mock_repo_will_not_find("42"), call get_user, check
     * NOT_FOUND with the message "user 42 not found" */
}

static void test_get_user_repo_failure_is_internal_and_says_nothing(
    void **state)
{
    (void)state;
    /* TODO: queue mock_repo_will_fail with a `why` full of secrets (a host
     * name, a password...), call get_user, check INTERNAL "internal error"
     * and that no part of the secret reached the message */
}

static void test_get_user_found_returns_every_field(void **state)
{
    (void)state;
    /* TODO: queue mock_repo_will_find with a user_record, call get_user,
     * check OK and every field of c.user: id, name, email, role */
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
