/*
 * groups.c: given, read it but don't edit it (groups.h says how to add a
 * test of your own). The two groups of tests that main.c runs, and the
 * helper that calls GetUser for exercise 2 (declared in groups.h).
 */
#include "groups.h"

#include "mock_repo.h"
#include "server_fixture.h"

const struct CMUnitTest get_user_tests[] = {
    cmocka_unit_test(test_get_user_empty_id_is_invalid_argument),
    cmocka_unit_test(test_get_user_unknown_id_is_not_found),
    cmocka_unit_test(test_get_user_repo_failure_is_internal_and_says_nothing),
    cmocka_unit_test(test_get_user_found_returns_every_field),
};
const size_t get_user_tests_count =
    sizeof get_user_tests / sizeof get_user_tests[0];

/* Every stream test on a fresh fixture. */
#define WITH_SERVER(test)                                                      \
    cmocka_unit_test_setup_teardown(test, server_fixture_setup,                \
                                    server_fixture_teardown)

const struct CMUnitTest stream_tests[] = {
    WITH_SERVER(test_server_stream_sends_value_responses_in_order),
    WITH_SERVER(test_server_stream_value_zero_sends_nothing),
    WITH_SERVER(test_notifications_default_five_in_order_then_end),
    WITH_SERVER(test_notifications_stop_soon_after_the_deadline),
    WITH_SERVER(test_upload_counts_every_chunk),
    WITH_SERVER(test_bidi_answers_each_request_in_turn),
    WITH_SERVER(test_chat_reaches_every_member),
};
const size_t stream_tests_count = sizeof stream_tests / sizeof stream_tests[0];

void get_user(get_user_call *c, const char *user_id)
{
    c->ctx = cg_test_ctx_new(TUTORIAL__V1__USER_SERVICE__GET_USER__METHOD,
                             mock_repo());
    Tutorial__V1__GetUserRequest req = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    req.user_id = (char *)user_id;
    Tutorial__V1__User empty = TUTORIAL__V1__USER__INIT;
    c->user = empty;
    c->status = user_service_server.get_user(c->ctx, &req, &c->user);
}

void get_user_end(get_user_call *c)
{
    cg_test_ctx_free(c->ctx);
    c->ctx = NULL;
}
