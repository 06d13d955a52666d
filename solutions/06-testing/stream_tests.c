/*
 * stream_tests.c: exercise 4, integration tests of the streaming calls:
 * a real server in this process (exercise 3's fixture), real calls through
 * the generated client stubs, a deadline on every call (deadline(), and
 * the table that lists these tests, are given: groups.h).
 * Run them: `make run ARGS=integration` here; checked by the suite
 * stream_tests. Lesson: docs/en/steps/06-testing.md#exercise-4-testing-streams
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "groups.h"
#include "server_fixture.h"
#include "util.h"

#define MAX_SEEN 16

/* What a server stream delivered: its messages (copied: a received message
 * is gone at the next cg_call_recv) and how it ended. */
typedef struct seen {
    int n;                   /* messages received, even past MAX_SEEN */
    char text[MAX_SEEN][80]; /* their text, the first MAX_SEEN */
    int64_t sequence[MAX_SEEN];
    cg_status status; /* from cg_call_finish */
} seen;

/* Reads ServerStream(id, value) to its end. The call is finished before
 * anything is checked, so a failing assertion leaves no call running. */
static void server_stream(server_fixture *f, const char *id, int32_t value,
                          seen *s)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    req.value = value;
    cg_call_opts opts = deadline(CALL_MS);
    cg_call *call =
        tutorial__v1__my_service_client__server_stream(f->ch, &req, &opts);
    memset(s, 0, sizeof *s);
    const Tutorial__V1__Response *r;
    while ((r = cg_call_recv(call)) != NULL) {
        if (s->n < MAX_SEEN)
            snprintf(s->text[s->n], sizeof s->text[0], "%s", r->message);
        s->n++;
    }
    s->status = cg_call_finish(call);
}

/* Reads StreamNotifications(user, max_count) to its end, with a deadline of
 * ms. */
static void notifications(server_fixture *f, const char *user,
                          int32_t max_count, int64_t ms, seen *s)
{
    Tutorial__V1__StreamRequest req = TUTORIAL__V1__STREAM_REQUEST__INIT;
    req.user_id = (char *)user;
    req.max_count = max_count;
    cg_call_opts opts = deadline(ms);
    cg_call *call =
        tutorial__v1__notification_service_client__stream_notifications(
            f->ch, &req, &opts);
    memset(s, 0, sizeof *s);
    const Tutorial__V1__Notification *n;
    while ((n = cg_call_recv(call)) != NULL) {
        if (s->n < MAX_SEEN) {
            snprintf(s->text[s->n], sizeof s->text[0], "%s|%s", n->id,
                     n->message);
            s->sequence[s->n] = n->sequence;
        }
        s->n++;
    }
    s->status = cg_call_finish(call);
}

void test_server_stream_sends_value_responses_in_order(void **state)
{
    seen s;
    server_stream(*state, "s", 3, &s);
    assert_string_equal(cg_status_name(s.status.code), "OK");
    assert_int_equal(s.n, 3);
    assert_string_equal(s.text[0], "Processed: s #1");
    assert_string_equal(s.text[1], "Processed: s #2");
    assert_string_equal(s.text[2], "Processed: s #3");
}

void test_server_stream_value_zero_sends_nothing(void **state)
{
    seen s;
    server_stream(*state, "s", 0, &s);
    assert_string_equal(cg_status_name(s.status.code), "OK");
    assert_int_equal(s.n, 0);
}

void test_notifications_default_five_in_order_then_end(void **state)
{
    seen s;
    notifications(*state, "ann", 0, CALL_MS, &s);
    /* OK, not DEADLINE_EXCEEDED: the stream ended by itself. */
    assert_string_equal(cg_status_name(s.status.code), "OK");
    assert_int_equal(s.n, 5);
    for (int i = 0; i < 5; i++) {
        char want[80];
        snprintf(want, sizeof want, "n-%d|Notification %d for ann", i + 1,
                 i + 1);
        assert_string_equal(s.text[i], want);
        assert_int_equal(s.sequence[i], i + 1);
    }
}

void test_notifications_stop_soon_after_the_deadline(void **state)
{
    server_fixture *f = *state;
    /* 50 notifications 20 ms apart would take 1 s; the client gives up
     * after 100 ms. */
    f->notes.interval_ms = 20;
    seen s;
    notifications(f, "ann", 50, 100, &s);
    assert_string_equal(cg_status_name(s.status.code), "DEADLINE_EXCEEDED");
    assert_true(s.n < 50);
    /* The client has moved on; the handler must notice and return well
     * before the 1 s it would take to send everything. */
    cg_status last;
    assert_true(handler_watch_wait(
        &f->watch,
        TUTORIAL__V1__NOTIFICATION_SERVICE__STREAM_NOTIFICATIONS__METHOD, 1,
        500, &last));
    assert_int_not_equal(last.code, GRPC_STATUS_OK);
}

void test_upload_counts_every_chunk(void **state)
{
    server_fixture *f = *state;
    const char *parts[] = {"hello, ", "world", "!"};
    cg_call_opts opts = deadline(CALL_MS);
    cg_call *call =
        tutorial__v1__file_service_client__upload_file(f->ch, &opts);
    for (int i = 0; i < 3; i++) {
        Tutorial__V1__FileChunk chunk = TUTORIAL__V1__FILE_CHUNK__INIT;
        chunk.filename = i == 0 ? "greeting.txt" : "";
        chunk.data.data = (uint8_t *)parts[i];
        chunk.data.len = strlen(parts[i]);
        cg_call_send(call, &chunk);
    }
    cg_call_close_send(call);
    const Tutorial__V1__UploadResponse *r = cg_call_recv(call);
    bool success = r != NULL && r->success;
    int64_t size = r != NULL ? r->size : -1;
    char file_id[32] = "(no response)";
    if (r != NULL)
        snprintf(file_id, sizeof file_id, "%s", r->file_id);
    cg_status st = cg_call_finish(call);

    char want_id[32];
    snprintf(want_id, sizeof want_id, "%016" PRIx64,
             fnv1a64("hello, world!", 13));
    assert_string_equal(cg_status_name(st.code), "OK");
    assert_true(success);
    assert_int_equal(size, 13);
    assert_string_equal(file_id, want_id);
}

void test_bidi_answers_each_request_in_turn(void **state)
{
    server_fixture *f = *state;
    const char *ids[] = {"a", "b", "c"};
    char got[3][80];
    int answered = 0;
    cg_call_opts opts = deadline(CALL_MS);
    cg_call *call =
        tutorial__v1__my_service_client__bidirectional_stream(f->ch, &opts);
    /* Ping-pong: the next request goes only after the last one's answer. */
    for (int i = 0; i < 3; i++) {
        Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
        req.id = (char *)ids[i];
        if (!cg_call_send(call, &req))
            break;
        const Tutorial__V1__Response *r = cg_call_recv(call);
        if (r == NULL)
            break;
        snprintf(got[answered++], sizeof got[0], "%s", r->message);
    }
    cg_call_close_send(call);
    bool more = cg_call_recv(call) != NULL; /* nothing may follow */
    cg_status st = cg_call_finish(call);

    assert_int_equal(answered, 3);
    assert_string_equal(got[0], "Processed: a");
    assert_string_equal(got[1], "Processed: b");
    assert_string_equal(got[2], "Processed: c");
    assert_false(more);
    assert_string_equal(cg_status_name(st.code), "OK");
}

/* Sends one chat message. */
static void say(cg_call *call, const char *user, const char *content)
{
    Tutorial__V1__ChatMessage m = TUTORIAL__V1__CHAT_MESSAGE__INIT;
    m.user = (char *)user;
    m.content = (char *)content;
    cg_call_send(call, &m);
}

/* The next chat message as "user: content", or "(nothing)" when the call
 * ended first (at the latest, at its deadline). */
static void hear(cg_call *call, char *out, size_t cap)
{
    const Tutorial__V1__ChatMessage *m = cg_call_recv(call);
    if (m == NULL)
        snprintf(out, cap, "(nothing)");
    else
        snprintf(out, cap, "%s: %s", m->user, m->content);
}

void test_chat_reaches_every_member(void **state)
{
    server_fixture *f = *state;
    char bob1[80], ann1[80], bob2[80];
    cg_call_opts opts = deadline(CALL_MS);
    /* Bob hears his own message: that proves he is in the room before Ann
     * speaks, with no sleep. Same for Ann. */
    cg_call *bob = tutorial__v1__chat_service_client__chat(f->ch, &opts);
    say(bob, "bob", "hello");
    hear(bob, bob1, sizeof bob1);
    cg_call *ann = tutorial__v1__chat_service_client__chat(f->ch, &opts);
    say(ann, "ann", "hi");
    hear(ann, ann1, sizeof ann1);
    hear(bob, bob2, sizeof bob2); /* Ann's message reaches Bob too */
    cg_status bob_st = cg_call_finish(bob);
    cg_status ann_st = cg_call_finish(ann);

    assert_string_equal(bob1, "bob: hello");
    assert_string_equal(ann1, "ann: hi");
    assert_string_equal(bob2, "ann: hi");
    assert_string_equal(cg_status_name(bob_st.code), "OK");
    assert_string_equal(cg_status_name(ann_st.code), "OK");
}
