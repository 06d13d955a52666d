/*
 * groups.h: the tests you write, and what they are given. Given: read it,
 * don't edit.
 *
 *   get_user_tests   unit tests of GetUser over the mock repository
 *                    (exercise 2, get_user_tests.c); no network
 *   stream_tests     integration tests over a server in this process
 *                    (exercise 4, stream_tests.c), each test on its own
 *                    server_fixture (exercise 3)
 *
 * groups.c puts the test functions declared below into the two cmocka
 * groups that main.c runs. To add a test of your own, write its function,
 * declare it here and add a line to its table in groups.c.
 */
#ifndef STEP06_GROUPS_H
#define STEP06_GROUPS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cgrpc.h>

#include "user_service.h"

extern const struct CMUnitTest get_user_tests[];
extern const size_t get_user_tests_count;

extern const struct CMUnitTest stream_tests[];
extern const size_t stream_tests_count;

/* ---- exercise 2 (get_user_tests.c) ------------------------------------ */

void test_get_user_empty_id_is_invalid_argument(void **state);
void test_get_user_unknown_id_is_not_found(void **state);
void test_get_user_repo_failure_is_internal_and_says_nothing(void **state);
void test_get_user_found_returns_every_field(void **state);

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

void get_user(get_user_call *c, const char *user_id);
void get_user_end(get_user_call *c);
/* [/call-get-user] */

/* ---- exercise 4 (stream_tests.c), each on a fresh server_fixture -------- */

void test_server_stream_sends_value_responses_in_order(void **state);
void test_server_stream_value_zero_sends_nothing(void **state);
void test_notifications_default_five_in_order_then_end(void **state);
void test_notifications_stop_soon_after_the_deadline(void **state);
void test_upload_counts_every_chunk(void **state);
void test_bidi_answers_each_request_in_turn(void **state);
void test_chat_reaches_every_member(void **state);

/* [deadline] */
/* Every call gets a deadline. A server that never answers, or a stream that
 * never ends, then fails the test after CALL_MS instead of hanging it. */
#define CALL_MS 1000

static inline cg_call_opts deadline(int64_t ms)
{
    cg_call_opts opts = {.timeout_ms = ms};
    return opts;
}
/* [/deadline] */

#endif
