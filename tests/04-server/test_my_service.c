/*
 * test_my_service.c: exercise 1, MyService's four handlers called directly,
 * with no network, the way the outline's TestUnaryCall calls s.UnaryCall.
 *
 * A test context (cg_test_ctx_new) is the same cg_ctx a real call has; its
 * stream takes the requests the test pushes and keeps what the handler
 * sends, so every kind of handler runs here exactly as it would for a client.
 */
#define LESSON_PAGE "steps/04-server.md"
#define EXERCISE_FILE "my_service.c"
#include "lesson.h"

#include <stdint.h>
#include <stdlib.h>

#include "fixture.h"

#define UNARY TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD
#define SSTREAM TUTORIAL__V1__MY_SERVICE__SERVER_STREAM__METHOD
#define CSTREAM TUTORIAL__V1__MY_SERVICE__CLIENT_STREAM__METHOD
#define BIDI TUTORIAL__V1__MY_SERVICE__BIDIRECTIONAL_STREAM__METHOD

static Tutorial__V1__Request request(const char *id, int32_t value)
{
    Tutorial__V1__Request r = TUTORIAL__V1__REQUEST__INIT;
    r.id = (char *)id;
    r.value = value;
    return r;
}

/* The i-th response the handler sent on s. */
static const Tutorial__V1__Response *sent(cg_stream *s, size_t i)
{
    return cg_test_stream_sent(s, i);
}

/* ---- UnaryCall ------------------------------------------------------- */

/* [unary-call-test] */
/* The outline's TestUnaryCall, in C: call the handler, check the answer. */
static void test_my_service_unary_call(void **state)
{
    (void)state;
    cg_ctx *ctx = cg_test_ctx_new(UNARY, NULL);
    Tutorial__V1__Request req = request("test", 123);
    Tutorial__V1__Response resp = TUTORIAL__V1__RESPONSE__INIT;

    cg_status st = my_service_server.unary_call(ctx, &req, &resp);

    expect_status_as(st, GRPC_STATUS_OK, "#unarycall",
                     "UnaryCall, called directly");
    expect_true(resp.success, "#unarycall", "resp.success should be true");
    expect_str(resp.message, "Processed: test", "#unarycall");
    cg_test_ctx_free(ctx);
}
/* [/unary-call-test] */

static void test_my_service_unary_call_empty_id(void **state)
{
    (void)state;
    cg_ctx *ctx = cg_test_ctx_new(UNARY, NULL);
    Tutorial__V1__Request req = request("", 7);
    Tutorial__V1__Response resp = TUTORIAL__V1__RESPONSE__INIT;
    cg_status st = my_service_server.unary_call(ctx, &req, &resp);
    expect_status_is_as(st, GRPC_STATUS_INVALID_ARGUMENT, "id is required",
                        "#unarycall",
                        "UnaryCall, called directly with an empty id");
    cg_test_ctx_free(ctx);
}

static void test_my_service_unary_call_long_id(void **state)
{
    (void)state;
    /* No fixed-size buffer: the whole id comes back. */
    size_t n = 3000;
    char *id = malloc(n + 1);
    memset(id, 'x', n);
    id[n] = '\0';
    char *want = malloc(n + 16);
    snprintf(want, n + 16, "Processed: %s", id);
    cg_ctx *ctx = cg_test_ctx_new(UNARY, NULL);
    Tutorial__V1__Request req = request(id, 0);
    Tutorial__V1__Response resp = TUTORIAL__V1__RESPONSE__INIT;
    cg_status st = my_service_server.unary_call(ctx, &req, &resp);
    bool same = resp.message != NULL && strcmp(resp.message, want) == 0;
    size_t got = resp.message != NULL ? strlen(resp.message) : 0;
    cg_test_ctx_free(ctx);
    free(id);
    free(want);
    expect_status_as(st, GRPC_STATUS_OK, "#unarycall",
                     "UnaryCall, called directly");
    expect_true(same, "#the-arena",
                "a 3000-character id should give a message of %zu "
                "characters, got %zu: build it with cg_printf",
                n + 11, got);
}

/* ---- ServerStream ---------------------------------------------------- */

static void test_my_service_server_stream_sends_value_responses(void **state)
{
    (void)state;
    cg_ctx *ctx = cg_test_ctx_new(SSTREAM, NULL);
    cg_stream *out = cg_test_stream(ctx);
    Tutorial__V1__Request req = request("job", 3);
    cg_status st = my_service_server.server_stream(ctx, &req, out);
    expect_status_as(st, GRPC_STATUS_OK, "#serverstream",
                     "ServerStream, called directly with value 3");
    expect_int_as(cg_test_stream_sent_count(out), 3, "#serverstream",
                  "responses sent for value 3");
    static const char *want[] = {"Processed: job #1", "Processed: job #2",
                                 "Processed: job #3"};
    for (size_t i = 0; i < 3; i++) {
        expect_str_as(sent(out, i)->message, want[i], "#serverstream",
                      "response %zu of the stream, its message", i + 1);
        expect_true(sent(out, i)->success, "#serverstream",
                    "response %zu: success should be true", i + 1);
    }
    cg_test_ctx_free(ctx);
}

static void test_my_service_server_stream_zero_and_max(void **state)
{
    (void)state;
    /* value 0: no responses, and still OK. */
    cg_ctx *ctx = cg_test_ctx_new(SSTREAM, NULL);
    Tutorial__V1__Request req = request("none", 0);
    cg_status st =
        my_service_server.server_stream(ctx, &req, cg_test_stream(ctx));
    expect_status_as(st, GRPC_STATUS_OK, "#serverstream",
                     "ServerStream, called directly with value 0");
    expect_int_as(cg_test_stream_sent_count(cg_test_stream(ctx)), 0,
                  "#serverstream", "responses sent for value 0");
    cg_test_ctx_free(ctx);

    /* value 10000, the largest allowed. */
    ctx = cg_test_ctx_new(SSTREAM, NULL);
    req = request("big", MY_SERVICE_MAX_VALUE);
    st = my_service_server.server_stream(ctx, &req, cg_test_stream(ctx));
    expect_status_as(st, GRPC_STATUS_OK, "#serverstream",
                     "ServerStream, called directly with value 10000");
    cg_stream *out = cg_test_stream(ctx);
    expect_int_as(cg_test_stream_sent_count(out), MY_SERVICE_MAX_VALUE,
                  "#serverstream", "responses sent for value %d",
                  MY_SERVICE_MAX_VALUE);
    expect_str_as(sent(out, MY_SERVICE_MAX_VALUE - 1)->message,
                  "Processed: big #10000", "#serverstream",
                  "response %d of the stream (the last), its message",
                  MY_SERVICE_MAX_VALUE);
    cg_test_ctx_free(ctx);
}

static void test_my_service_server_stream_bad_request(void **state)
{
    (void)state;
    static const struct {
        const char *id;
        int32_t value;
        const char *msg;
    } bad[] = {
        {"", 3, "id is required"},
        {"neg", -1, "value must be between 0 and 10000"},
        {"huge", MY_SERVICE_MAX_VALUE + 1, "value must be between 0 and 10000"},
        {"min", INT32_MIN, "value must be between 0 and 10000"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cg_ctx *ctx = cg_test_ctx_new(SSTREAM, NULL);
        Tutorial__V1__Request req = request(bad[i].id, bad[i].value);
        cg_status st =
            my_service_server.server_stream(ctx, &req, cg_test_stream(ctx));
        size_t n = cg_test_stream_sent_count(cg_test_stream(ctx));
        cg_test_ctx_free(ctx);
        expect_status_is_as(st, GRPC_STATUS_INVALID_ARGUMENT, bad[i].msg,
                            "#serverstream",
                            "ServerStream with id \"%s\", value %d", bad[i].id,
                            (int)bad[i].value);
        expect_true(n == 0, "#serverstream",
                    "id \"%s\", value %d: check the request before sending "
                    "anything (%zu responses were sent)",
                    bad[i].id, bad[i].value, n);
    }
}

static void test_my_service_server_stream_stops_when_client_gone(void **state)
{
    (void)state;
    /* A cancelled call: every cg_send returns false. */
    cg_ctx *ctx = cg_test_ctx_new(SSTREAM, NULL);
    cg_test_ctx_cancel(ctx);
    Tutorial__V1__Request req = request("gone", 50);
    cg_status st =
        my_service_server.server_stream(ctx, &req, cg_test_stream(ctx));
    cg_test_ctx_free(ctx);
    expect_true(st.code == GRPC_STATUS_CANCELLED, "#serverstream",
                "cg_send returned false (the client is gone), so the "
                "handler should stop and return CANCELLED, like Go's "
                "`return err`; it returned %s",
                cg_status_name(st.code));
}

/* ---- ClientStream ---------------------------------------------------- */

/* Runs ClientStream over the given requests (then the end of the stream);
 * returns its status and the response's message in msg[cap]. */
static cg_status run_client_stream(const Tutorial__V1__Request *reqs, size_t n,
                                   bool cancel, char *msg, size_t cap,
                                   bool *success)
{
    cg_ctx *ctx = cg_test_ctx_new(CSTREAM, NULL);
    cg_stream *in = cg_test_stream(ctx);
    for (size_t i = 0; i < n; i++)
        cg_test_stream_push(in, &reqs[i]);
    if (cancel)
        cg_test_ctx_cancel(ctx);
    else
        cg_test_stream_close_input(in);
    Tutorial__V1__Response resp = TUTORIAL__V1__RESPONSE__INIT;
    cg_status st = my_service_server.client_stream(ctx, in, &resp);
    snprintf(msg, cap, "%s", resp.message ? resp.message : "(null)");
    *success = resp.success;
    cg_test_ctx_free(ctx);
    return st;
}

static void test_my_service_client_stream_counts_and_sums(void **state)
{
    (void)state;
    Tutorial__V1__Request reqs[] = {request("a", 1), request("b", 2),
                                    request("c", 3), request("d", 4)};
    char msg[128];
    bool ok;
    cg_status st = run_client_stream(reqs, 4, false, msg, sizeof msg, &ok);
    expect_status_as(st, GRPC_STATUS_OK, "#clientstream",
                     "ClientStream, called directly with 4 requests");
    expect_str(msg, "Processed 4 requests, total value 10", "#clientstream");
    expect_true(ok, "#clientstream", "resp.success should be true");
}

static void test_my_service_client_stream_no_requests(void **state)
{
    (void)state;
    char msg[128];
    bool ok;
    cg_status st = run_client_stream(NULL, 0, false, msg, sizeof msg, &ok);
    expect_status_as(st, GRPC_STATUS_OK, "#clientstream",
                     "ClientStream, called directly with no request");
    expect_str(msg, "Processed 0 requests, total value 0", "#clientstream");
}

static void test_my_service_client_stream_large_total(void **state)
{
    (void)state;
    /* Three times INT32_MAX does not fit in 32 bits; negatives count too. */
    Tutorial__V1__Request reqs[] = {request("a", INT32_MAX),
                                    request("b", INT32_MAX),
                                    request("c", INT32_MAX), request("d", -5)};
    char msg[128];
    bool ok;
    cg_status st = run_client_stream(reqs, 4, false, msg, sizeof msg, &ok);
    expect_status_as(st, GRPC_STATUS_OK, "#clientstream",
                     "ClientStream, called directly with 4 requests");
    expect_str(msg, "Processed 4 requests, total value 6442450936",
               "#clientstream");
}

static void test_my_service_client_stream_empty_id(void **state)
{
    (void)state;
    Tutorial__V1__Request reqs[] = {request("a", 1), request("", 2),
                                    request("c", 3)};
    char msg[128];
    bool ok;
    cg_status st = run_client_stream(reqs, 3, false, msg, sizeof msg, &ok);
    expect_status_is_as(
        st, GRPC_STATUS_INVALID_ARGUMENT, "id is required", "#clientstream",
        "ClientStream, called directly with a request that has no id");
}

static void test_my_service_client_stream_broken_stream(void **state)
{
    (void)state;
    /* The client vanished before its end of stream: cg_recv returns NULL
     * and cg_stream_error says CANCELLED. That is not "0 more requests". */
    Tutorial__V1__Request reqs[] = {request("a", 1)};
    char msg[128];
    bool ok;
    cg_status st = run_client_stream(reqs, 1, true, msg, sizeof msg, &ok);
    expect_true(st.code == GRPC_STATUS_CANCELLED, "#clientstream",
                "the stream ended by cancellation, not by the client's end "
                "of stream: return cg_stream_error(in), which says "
                "CANCELLED; got %s (\"%s\")",
                cg_status_name(st.code), st.message);
}

/* ---- BidirectionalStream --------------------------------------------- */

static void test_my_service_bidi_answers_each_request(void **state)
{
    (void)state;
    cg_ctx *ctx = cg_test_ctx_new(BIDI, NULL);
    cg_stream *s = cg_test_stream(ctx);
    static const char *ids[] = {"one", "two", "three"};
    for (size_t i = 0; i < 3; i++) {
        Tutorial__V1__Request r = request(ids[i], (int32_t)i);
        cg_test_stream_push(s, &r);
    }
    cg_test_stream_close_input(s);
    cg_status st = my_service_server.bidirectional_stream(ctx, s);
    expect_status_as(st, GRPC_STATUS_OK, "#bidirectionalstream",
                     "BidirectionalStream, called directly with 3 requests");
    expect_int_as(cg_test_stream_sent_count(s), 3, "#bidirectionalstream",
                  "responses sent for 3 requests");
    static const char *const want[] = {"Processed: one", "Processed: two",
                                       "Processed: three"};
    for (size_t i = 0; i < 3; i++)
        expect_str_as(sent(s, i)->message, want[i], "#bidirectionalstream",
                      "response %zu of the stream, its message", i + 1);
    expect_true(sent(s, 2)->success, "#bidirectionalstream",
                "resp.success should be true");
    cg_test_ctx_free(ctx);
}

static void test_my_service_bidi_empty_id_ends_call(void **state)
{
    (void)state;
    cg_ctx *ctx = cg_test_ctx_new(BIDI, NULL);
    cg_stream *s = cg_test_stream(ctx);
    Tutorial__V1__Request a = request("a", 1), empty = request("", 2),
                          c = request("c", 3);
    cg_test_stream_push(s, &a);
    cg_test_stream_push(s, &empty);
    cg_test_stream_push(s, &c);
    cg_test_stream_close_input(s);
    cg_status st = my_service_server.bidirectional_stream(ctx, s);
    size_t n = cg_test_stream_sent_count(s);
    cg_test_ctx_free(ctx);
    expect_status_is_as(
        st, GRPC_STATUS_INVALID_ARGUMENT, "id is required",
        "#bidirectionalstream",
        "BidirectionalStream, called directly with a request that has no id");
    expect_true(n == 1, "#bidirectionalstream",
                "requests \"a\", \"\", \"c\": only \"a\" is answered before "
                "the empty id ends the call; %zu responses were sent",
                n);
}

static void test_my_service_bidi_broken_stream(void **state)
{
    (void)state;
    cg_ctx *ctx = cg_test_ctx_new(BIDI, NULL);
    cg_stream *s = cg_test_stream(ctx);
    cg_test_ctx_cancel(ctx);
    cg_status st = my_service_server.bidirectional_stream(ctx, s);
    cg_test_ctx_free(ctx);
    expect_true(st.code == GRPC_STATUS_CANCELLED, "#bidirectionalstream",
                "the call was cancelled: return cg_stream_error(stream), "
                "which says CANCELLED; got %s",
                cg_status_name(st.code));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_my_service_unary_call),
        cmocka_unit_test(test_my_service_unary_call_empty_id),
        cmocka_unit_test(test_my_service_unary_call_long_id),
        cmocka_unit_test(test_my_service_server_stream_sends_value_responses),
        cmocka_unit_test(test_my_service_server_stream_zero_and_max),
        cmocka_unit_test(test_my_service_server_stream_bad_request),
        cmocka_unit_test(test_my_service_server_stream_stops_when_client_gone),
        cmocka_unit_test(test_my_service_client_stream_counts_and_sums),
        cmocka_unit_test(test_my_service_client_stream_no_requests),
        cmocka_unit_test(test_my_service_client_stream_large_total),
        cmocka_unit_test(test_my_service_client_stream_empty_id),
        cmocka_unit_test(test_my_service_client_stream_broken_stream),
        cmocka_unit_test(test_my_service_bidi_answers_each_request),
        cmocka_unit_test(test_my_service_bidi_empty_id_ends_call),
        cmocka_unit_test(test_my_service_bidi_broken_stream),
    };
    return cmocka_run_group_tests_name("my_service", tests, NULL, NULL);
}
