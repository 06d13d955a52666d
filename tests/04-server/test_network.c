/*
 * test_network.c: your handlers served over the network. A server in this
 * process listens on 127.0.0.1 with a port the kernel picks, and the tests
 * call it through the generated client stubs, as step 5's client will: the
 * outline's Go client first, then every kind of call, and clients that go
 * away mid-stream, which the handlers must notice.
 */
#define LESSON_PAGE "steps/04-server.md"
#define EXERCISE_FILE "my_service.c"
#include "lesson.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define SSTREAM TUTORIAL__V1__MY_SERVICE__SERVER_STREAM__METHOD
#define NOTIFY TUTORIAL__V1__NOTIFICATION_SERVICE__STREAM_NOTIFICATIONS__METHOD

static fixture F;

static int setup(void **state)
{
    grpc_group_setup(state);
    fixture_start(&F);
    return 0;
}

static int teardown(void **state)
{
    fixture_stop(&F);
    return grpc_group_teardown(state);
}

static Tutorial__V1__Request request(const char *id, int32_t value)
{
    Tutorial__V1__Request r = TUTORIAL__V1__REQUEST__INIT;
    r.id = (char *)id;
    r.value = value;
    return r;
}

/* ---- MyService ---------------------------------------------------------- */

/* [outline-client-test] */
/* What the outline's Go client does: UnaryCall with Id "test-123". */
static void test_network_unary_call_like_the_outline_client(void **state)
{
    (void)state;
    Tutorial__V1__Request req = request("test-123", 42);
    Tutorial__V1__Response *resp = NULL;
    cg_call_opts opts = deadline_ms(WAIT_MS);

    cg_status st =
        tutorial__v1__my_service_client__unary_call(F.ch, &req, &resp, &opts);

    expect_status_as(st, GRPC_STATUS_OK, "#unarycall",
                     "UnaryCall over the network");
    expect_str(resp->message, "Processed: test-123", "#unarycall");
    expect_true(resp->success, "#unarycall", "success should be true");
    tutorial__v1__response__free_unpacked(resp, NULL);
}
/* [/outline-client-test] */

static void test_network_unary_call_empty_id(void **state)
{
    (void)state;
    Tutorial__V1__Request req = request("", 1);
    Tutorial__V1__Response *resp = NULL;
    cg_call_opts opts = deadline_ms(WAIT_MS);
    cg_status st =
        tutorial__v1__my_service_client__unary_call(F.ch, &req, &resp, &opts);
    expect_status_is_as(st, GRPC_STATUS_INVALID_ARGUMENT, "id is required",
                        "#unarycall",
                        "UnaryCall over the network with an empty id");
    expect_true(resp == NULL, "#unarycall", "no response comes with an error");
}

static void test_network_server_stream(void **state)
{
    (void)state;
    Tutorial__V1__Request req = request("net", 5);
    cg_call_opts opts = deadline_ms(WAIT_MS);
    cg_call *c =
        tutorial__v1__my_service_client__server_stream(F.ch, &req, &opts);
    int n = 0;
    const Tutorial__V1__Response *r;
    while ((r = cg_call_recv(c)) != NULL) {
        char want[32];
        snprintf(want, sizeof want, "Processed: net #%d", ++n);
        expect_str_as(r->message, want, "#serverstream",
                      "response %d of the stream, its message", n);
    }
    expect_status(cg_call_finish(c), GRPC_STATUS_OK, "#serverstream");
    expect_int(n, 5, "#serverstream");
}

static void test_network_server_stream_client_cancels(void **state)
{
    (void)state;
    /* 10000 responses asked for; the client reads three and cancels. The
     * handler's sends fail from then on, and it must stop. The id is long,
     * and so is every response that repeats it: 10000 of them (some 10 MB)
     * cannot all fit in the buffers between handler and client (the
     * runtime's send queue, HTTP/2's windows), so the handler is still
     * sending when the cancel comes, even on a slow, busy machine. */
    static char id[1001];
    memset(id, 'x', sizeof id - 1);
    int before = fixture_returned(&F, SSTREAM);
    Tutorial__V1__Request req = request(id, MY_SERVICE_MAX_VALUE);
    cg_call_opts opts = deadline_ms(WAIT_MS);
    cg_call *c =
        tutorial__v1__my_service_client__server_stream(F.ch, &req, &opts);
    int n = 0;
    while (n < 3 && cg_call_recv(c) != NULL)
        n++;
    cg_call_cancel(c);
    cg_status st = cg_call_finish(c);
    expect_int(n, 3, "#serverstream");
    expect_status_as(st, GRPC_STATUS_CANCELLED, "#serverstream",
                     "ServerStream over the network, cancelled by its client "
                     "after 3 responses");
    cg_status last;
    expect_true(fixture_wait_returned(&F, SSTREAM, before + 1, WAIT_MS, &last),
                "#serverstream",
                "the client cancelled, but ServerStream "
                "did not return");
    expect_true(last.code != GRPC_STATUS_OK, "#serverstream",
                "the client cancelled after 3 of 10000 responses, yet "
                "ServerStream returned OK: stop when cg_send returns false, "
                "and return an error");
}

static void test_network_client_stream(void **state)
{
    (void)state;
    cg_call_opts opts = deadline_ms(WAIT_MS);
    cg_call *c = tutorial__v1__my_service_client__client_stream(F.ch, &opts);
    for (int i = 1; i <= 100; i++) {
        Tutorial__V1__Request r = request("part", i);
        cg_call_send(c, &r);
    }
    cg_call_close_send(c);
    const Tutorial__V1__Response *resp = cg_call_recv(c);
    char got[128];
    snprintf(got, sizeof got, "%s", resp ? resp->message : "(no response)");
    expect_status(cg_call_finish(c), GRPC_STATUS_OK, "#clientstream");
    expect_str(got, "Processed 100 requests, total value 5050",
               "#clientstream");
}

static void test_network_bidi_answers_at_once(void **state)
{
    (void)state;
    /* Ping-pong: each answer must come before the next request is sent.
     * A handler that reads everything first would never answer. */
    cg_call_opts opts = deadline_ms(WAIT_MS);
    cg_call *c =
        tutorial__v1__my_service_client__bidirectional_stream(F.ch, &opts);
    for (int i = 0; i < 20; i++) {
        char id[24], want[40];
        snprintf(id, sizeof id, "ping-%d", i);
        snprintf(want, sizeof want, "Processed: %s", id);
        Tutorial__V1__Request r = request(id, i);
        cg_call_send(c, &r);
        const Tutorial__V1__Response *resp = cg_call_recv(c);
        if (resp == NULL) {
            cg_status st = cg_call_finish(c);
            expect_status_as(st, GRPC_STATUS_OK, "#bidirectionalstream",
                             "BidirectionalStream over the network");
            expect_fail("#bidirectionalstream",
                        "no response to request %d before the deadline", i);
        }
        expect_str_as(resp->message, want, "#bidirectionalstream",
                      "the response to request %d, its message", i);
    }
    cg_call_close_send(c);
    expect_true(cg_call_recv(c) == NULL, "#bidirectionalstream",
                "a response came after the client's end of stream");
    expect_status(cg_call_finish(c), GRPC_STATUS_OK, "#bidirectionalstream");
}

/* ---- UserService ------------------------------------------------------ */

static cg_status get_user(const char *id, char *name, size_t cap)
{
    Tutorial__V1__GetUserRequest req = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    req.user_id = (char *)id;
    Tutorial__V1__User *u = NULL;
    cg_call_opts opts = deadline_ms(WAIT_MS);
    cg_status st =
        tutorial__v1__user_service_client__get_user(F.ch, &req, &u, &opts);
    snprintf(name, cap, "%s", u ? u->name : "(no user)");
    if (u != NULL)
        tutorial__v1__user__free_unpacked(u, NULL);
    return st;
}

/* exercise: user_service.c */
static void test_network_get_user(void **state)
{
    (void)state;
    char name[64];
    expect_status(get_user("2", name, sizeof name), GRPC_STATUS_OK, "#getuser");
    expect_str(name, "Bob", "#getuser");
    expect_status_is(get_user("nobody", name, sizeof name),
                     GRPC_STATUS_NOT_FOUND, "user nobody not found",
                     "#getuser");
    expect_status_is(get_user("", name, sizeof name),
                     GRPC_STATUS_INVALID_ARGUMENT, "user_id is required",
                     "#getuser");
}

/* ---- NotificationService ------------------------------------------------ */

/* exercise: notification_service.c */
static void test_network_notifications(void **state)
{
    (void)state;
    F.notes.interval_ms = 0;
    Tutorial__V1__StreamRequest req = TUTORIAL__V1__STREAM_REQUEST__INIT;
    req.user_id = "alice";
    req.max_count = 3;
    cg_call_opts opts = deadline_ms(WAIT_MS);
    cg_call *c =
        tutorial__v1__notification_service_client__stream_notifications(
            F.ch, &req, &opts);
    int n = 0;
    const Tutorial__V1__Notification *m;
    while ((m = cg_call_recv(c)) != NULL) {
        n++;
        expect_int_as(m->sequence, n, "#exercise-3-streamnotifications",
                      "notification %d of the stream, its sequence", n);
    }
    expect_status(cg_call_finish(c), GRPC_STATUS_OK,
                  "#exercise-3-streamnotifications");
    expect_int(n, 3, "#exercise-3-streamnotifications");
}

/* exercise: notification_service.c */
static void test_network_notifications_client_vanishes(void **state)
{
    (void)state;
    /* The whole client goes away (its channel is freed) while the handler
     * pauses between two notifications. */
    F.notes.interval_ms = 15000;
    int before = fixture_returned(&F, NOTIFY);
    cg_channel *ch = cg_channel_new(F.target, NULL, NULL);
    Tutorial__V1__StreamRequest req = TUTORIAL__V1__STREAM_REQUEST__INIT;
    req.user_id = "bob";
    req.max_count = 10;
    cg_call_opts opts = deadline_ms(WAIT_MS * 2);
    cg_call *c =
        tutorial__v1__notification_service_client__stream_notifications(
            ch, &req, &opts);
    bool first = cg_call_recv(c) != NULL;
    cg_channel_free(ch);
    cg_call_finish(c);
    bool stopped = fixture_wait_returned(&F, NOTIFY, before + 1, 5000, NULL);
    F.notes.interval_ms = 0;
    expect_true(first, "#exercise-3-streamnotifications",
                "the first notification should come at once");
    expect_true(stopped, "#stopping-when-the-client-goes-away",
                "the client went away during a 15 s pause, and 5 s later "
                "the handler still had not returned: pause with "
                "sleep_or_cancel and stop when it returns false");
}

/* ---- FileService ------------------------------------------------------ */

/* exercise: file_service.c */
static void test_network_upload(void **state)
{
    (void)state;
    F.uploads.max_bytes = 0;
    cg_call_opts opts = deadline_ms(WAIT_MS);
    cg_call *c = tutorial__v1__file_service_client__upload_file(F.ch, &opts);
    static const char *parts[] = {"foo", "", "bar"};
    for (int i = 0; i < 3; i++) {
        Tutorial__V1__FileChunk ch = TUTORIAL__V1__FILE_CHUNK__INIT;
        ch.filename = i == 0 ? "foobar.txt" : "";
        ch.data.data = (uint8_t *)parts[i];
        ch.data.len = strlen(parts[i]);
        cg_call_send(c, &ch);
    }
    cg_call_close_send(c);
    const Tutorial__V1__UploadResponse *r = cg_call_recv(c);
    char id[32] = "(no response)";
    int64_t size = -1;
    if (r != NULL) {
        snprintf(id, sizeof id, "%s", r->file_id);
        size = r->size;
    }
    expect_status(cg_call_finish(c), GRPC_STATUS_OK, "#exercise-4-uploadfile");
    expect_str(id, "85944171f73967e8", "#the-file-id");
    expect_int(size, 6, "#exercise-4-uploadfile");
}

/* exercise: file_service.c */
static void test_network_upload_too_large_answers_early(void **state)
{
    (void)state;
    /* Over the limit after the second chunk: the answer must come then,
     * while the client has not even ended its stream. */
    F.uploads.max_bytes = 1000;
    uint8_t block[600];
    memset(block, 'z', sizeof block);
    cg_call_opts opts = deadline_ms(5000);
    cg_call *c = tutorial__v1__file_service_client__upload_file(F.ch, &opts);
    for (int i = 0; i < 2; i++) {
        Tutorial__V1__FileChunk ch = TUTORIAL__V1__FILE_CHUNK__INIT;
        ch.filename = "big.bin";
        ch.data.data = block;
        ch.data.len = sizeof block;
        cg_call_send(c, &ch);
    }
    const Tutorial__V1__UploadResponse *r = cg_call_recv(c);
    cg_status st = cg_call_finish(c);
    F.uploads.max_bytes = 0;
    expect_true(r == NULL, "#the-size-limit",
                "a response came for a file "
                "over the limit");
    expect_status_is_as(
        st, GRPC_STATUS_RESOURCE_EXHAUSTED,
        "file too large: the limit is 1000 bytes", "#the-size-limit",
        "UploadFile over the network, of a file over the limit");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_network_unary_call_like_the_outline_client),
        cmocka_unit_test(test_network_unary_call_empty_id),
        cmocka_unit_test(test_network_server_stream),
        cmocka_unit_test(test_network_server_stream_client_cancels),
        cmocka_unit_test(test_network_client_stream),
        cmocka_unit_test(test_network_bidi_answers_at_once),
        cmocka_unit_test(test_network_get_user),
        cmocka_unit_test(test_network_notifications),
        cmocka_unit_test(test_network_notifications_client_vanishes),
        cmocka_unit_test(test_network_upload),
        cmocka_unit_test(test_network_upload_too_large_answers_early),
    };
    return cmocka_run_group_tests_name("network", tests, setup, teardown);
}
