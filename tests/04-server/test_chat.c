/*
 * test_chat.c: exercise 5b, the Chat handler: first called directly, then
 * over the network with many members at once, each a client on its own
 * thread, some of them leaving half-way.
 *
 * How the network tests know everyone is in the room without sleeping: a
 * member's first message is a "join" note, and the member waits until the
 * room echoes it back. Its own echo can only come once its handler has
 * joined, so when every member has seen its echo, all are in the room.
 */
#define LESSON_PAGE "steps/04-server.md"
#define EXERCISE_FILE "chat_service.c"
#define EXERCISE_NEEDS                                                         \
    "chat_room.c" /* the handler joins, broadcasts and leaves */
#include "lesson.h"

/* The exercise shares state between threads: make stepN runs this suite once
 * more built with ThreadSanitizer, so a data race fails every run. */
#define TSAN_SUITE 1

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

#define CHAT TUTORIAL__V1__CHAT_SERVICE__CHAT__METHOD

static Tutorial__V1__ChatMessage say(const char *user, const char *content)
{
    Tutorial__V1__ChatMessage m = TUTORIAL__V1__CHAT_MESSAGE__INIT;
    m.user = (char *)user;
    m.content = (char *)content;
    return m;
}

/* ---- the handler, called directly --------------------------------------- */

/* A Chat handler running on a thread of its own. */
typedef struct direct {
    cg_ctx *ctx;
    cg_status st;
    atomic_bool returned; /* set once the handler has returned */
} direct;

static void *run_chat(void *arg)
{
    direct *d = arg;
    d->st = chat_service_server.chat(d->ctx, cg_test_stream(d->ctx));
    atomic_store(&d->returned, true);
    return NULL;
}

static void test_chat_echoes_and_leaves(void **state)
{
    (void)state;
    chat_room room;
    chat_room_init(&room);
    cg_ctx *ctx = cg_test_ctx_new(CHAT, &room);
    cg_stream *s = cg_test_stream(ctx);
    Tutorial__V1__ChatMessage a = say("ann", "hi"), b = say("ann", "bye");
    cg_test_stream_push(s, &a);
    cg_test_stream_push(s, &b);
    cg_test_stream_close_input(s);
    cg_status st = chat_service_server.chat(ctx, s);
    size_t n = cg_test_stream_sent_count(s);
    size_t left = chat_room_size(&room);
    expect_status_as(st, GRPC_STATUS_OK, "#chat", "Chat, called directly");
    expect_true(n == 2, "#chat",
                "the sender is a member too: it should get its own 2 "
                "messages back, got %zu",
                n);
    const Tutorial__V1__ChatMessage *m = cg_test_stream_sent(s, 1);
    expect_str(m->content, "bye", "#chat");
    expect_true(left == 0, "#chat",
                "the call ended but its member is still in the room (%zu "
                "members): leave before returning",
                left);
    cg_test_ctx_free(ctx);
    chat_room_destroy(&room);
}

static void test_chat_empty_user(void **state)
{
    (void)state;
    chat_room room;
    chat_room_init(&room);
    cg_ctx *ctx = cg_test_ctx_new(CHAT, &room);
    cg_stream *s = cg_test_stream(ctx);
    Tutorial__V1__ChatMessage ok = say("ann", "hi"), bad = say("", "who?"),
                              late = say("ann", "late");
    cg_test_stream_push(s, &ok);
    cg_test_stream_push(s, &bad);
    cg_test_stream_push(s, &late);
    cg_test_stream_close_input(s);
    cg_status st = chat_service_server.chat(ctx, s);
    size_t n = cg_test_stream_sent_count(s);
    size_t left = chat_room_size(&room);
    cg_test_ctx_free(ctx);
    chat_room_destroy(&room);
    expect_status_is_as(
        st, GRPC_STATUS_INVALID_ARGUMENT, "user is required", "#chat",
        "Chat, called directly with a message that has no user");
    expect_true(n == 1, "#chat",
                "only \"hi\" comes before the message without a user, which "
                "ends the call; %zu messages were broadcast",
                n);
    expect_true(left == 0, "#chat",
                "the call ended with an error but its member is still in "
                "the room: leave on every way out");
}

static void test_chat_broken_stream(void **state)
{
    (void)state;
    chat_room room;
    chat_room_init(&room);
    cg_ctx *ctx = cg_test_ctx_new(CHAT, &room);
    cg_test_ctx_cancel(ctx);
    cg_status st = chat_service_server.chat(ctx, cg_test_stream(ctx));
    size_t left = chat_room_size(&room);
    cg_test_ctx_free(ctx);
    chat_room_destroy(&room);
    expect_true(st.code == GRPC_STATUS_CANCELLED, "#chat",
                "the client went away: cg_recv returned NULL and "
                "cg_stream_error(stream) says CANCELLED; return that, got %s",
                cg_status_name(st.code));
    expect_int(left, 0, "#chat");
}

/* Whether the room works at all (chat_room.c): a broadcast reaches a member
 * that joined. With an unfinished room, tests that wait for something only
 * a working room can bring wait briefly instead of their full time, and
 * fail the same way. */
static bool room_broadcasts(void)
{
    chat_room room;
    chat_room_init(&room);
    cg_ctx *ctx = cg_test_ctx_new(CHAT, &room);
    chat_member m = {0};
    chat_room_join(&room, &m, cg_test_stream(ctx));
    Tutorial__V1__ChatMessage msg = say("probe", "hi");
    size_t reached = chat_room_broadcast(&room, &msg);
    chat_room_leave(&room, &m);
    cg_test_ctx_free(ctx);
    chat_room_destroy(&room);
    return reached == 1;
}

/* The listener below: in the room, or its handler is done and never will
 * be (an unfinished handler returns at once: no need to wait then). */
typedef struct listener {
    chat_room *room;
    direct *d;
} listener;

static bool joined_or_returned(void *arg)
{
    listener *l = arg;
    return chat_room_size(l->room) == 1 || atomic_load(&l->d->returned);
}

static void test_chat_listener_joins_at_start(void **state)
{
    (void)state;
    /* A member that only listens still hears the room. */
    chat_room room;
    chat_room_init(&room);
    direct d = {cg_test_ctx_new(CHAT, &room), cg_ok(), false};
    listener l = {&room, &d};
    pthread_t t;
    pthread_create(&t, NULL, run_chat, &d);
    wait_until(joined_or_returned, &l, room_broadcasts() ? 3000 : 100);
    bool joined = chat_room_size(&room) == 1;
    Tutorial__V1__ChatMessage m = say("bob", "anyone?");
    size_t reached = chat_room_broadcast(&room, &m);
    cg_test_stream_close_input(cg_test_stream(d.ctx));
    pthread_join(t, NULL);
    size_t heard = cg_test_stream_sent_count(cg_test_stream(d.ctx));
    cg_test_ctx_free(d.ctx);
    chat_room_destroy(&room);
    expect_true(joined, "#chat",
                "a Chat call that has sent nothing yet is not in the room: "
                "join when the call starts, before the first cg_recv");
    expect_int(reached, 1, "#chat");
    expect_int(heard, 1, "#chat");
    expect_status(d.st, GRPC_STATUS_OK, "#chat");
}

/* ---- over the network ------------------------------------------------- */

static fixture F;

/* The deadline of every network call below. With an unfinished room
 * (chat_room.c) no member ever hears its own join note, and each would wait
 * out WAIT_MS * 2 for it: most of a minute for the suite. setup() first
 * asks the room directly whether a broadcast reaches a member that joined;
 * when it does not, the calls get a short deadline and the tests fail at
 * once, with the same messages. */
static int call_wait_ms = WAIT_MS;

static int setup(void **state)
{
    grpc_group_setup(state);
    call_wait_ms = room_broadcasts() ? WAIT_MS : 100;
    fixture_start(&F);
    return 0;
}

static int teardown(void **state)
{
    fixture_stop(&F);
    return grpc_group_teardown(state);
}

enum { MEMBERS = 8, MESSAGES = 25 };

/* One client of the room, run by member_main on a thread of its own. */
typedef struct member {
    char name[16];
    bool leaves;    /* leaves after MESSAGES / 2 messages of its own */
    bool by_cancel; /* ... by cancelling, else by closing its side */
    pthread_barrier_t *all_in;
    /* What it saw. */
    char failure[256];                  /* empty when all went well */
    char order[MEMBERS * MESSAGES][24]; /* "user:content" in arrival order */
    int n_order;
    cg_status st;
} member;

/* Sends n messages "0".."n-1" on the call, on a thread of its own. */
typedef struct sender_job {
    cg_call *call;
    const char *user;
    int n;
    bool ok;
} sender_job;

static void *send_all(void *arg)
{
    sender_job *j = arg;
    j->ok = true;
    for (int i = 0; i < j->n && j->ok; i++) {
        char text[16];
        snprintf(text, sizeof text, "%d", i);
        Tutorial__V1__ChatMessage m = say(j->user, text);
        j->ok = cg_call_send(j->call, &m);
    }
    return NULL;
}

/* How many messages `m` should receive after the join notes. */
static int expected_count(const member *all, const member *m)
{
    if (m->leaves)
        return -1; /* a leaver stops counting when it leaves */
    int n = 0;
    for (int i = 0; i < MEMBERS; i++)
        n += all[i].leaves ? MESSAGES / 2 : MESSAGES;
    return n;
}

typedef struct crowd {
    member m[MEMBERS];
    pthread_barrier_t all_in;
} crowd;

static crowd *the_crowd;

static void *member_main(void *arg)
{
    member *me = arg;
    cg_call_opts o = deadline_ms(call_wait_ms * 2);
    cg_call *c = tutorial__v1__chat_service_client__chat(F.ch, &o);
    Tutorial__V1__ChatMessage hello = say(me->name, "join");
    bool in = cg_call_send(c, &hello);
    /* Wait for our own join note: then we are in the room. */
    const Tutorial__V1__ChatMessage *r = NULL;
    while (in && (r = cg_call_recv(c)) != NULL)
        if (strcmp(r->user, me->name) == 0 && strcmp(r->content, "join") == 0)
            break;
    if (!in || r == NULL)
        snprintf(me->failure, sizeof me->failure,
                 "member %s never got its own first message back", me->name);
    pthread_barrier_wait(me->all_in);
    if (me->failure[0] != '\0') {
        me->st = cg_call_finish(c);
        return NULL;
    }

    int own = me->leaves ? MESSAGES / 2 : MESSAGES;
    sender_job job = {c, me->name, own, false};
    pthread_t t;
    pthread_create(&t, NULL, send_all, &job);
    int want = expected_count(the_crowd->m, me);
    int mine = 0;
    while (want < 0 ? mine < own : me->n_order < want) {
        r = cg_call_recv(c);
        if (r == NULL)
            break;
        if (strcmp(r->content, "join") == 0)
            continue; /* a later member's join note */
        if (me->n_order == MEMBERS * MESSAGES)
            break; /* more than were ever sent */
        snprintf(me->order[me->n_order++], sizeof me->order[0], "%s:%s",
                 r->user, r->content);
        if (strcmp(r->user, me->name) == 0)
            mine++;
    }
    pthread_join(t, NULL);
    if (want >= 0 && me->n_order != want)
        snprintf(me->failure, sizeof me->failure,
                 "member %s received %d messages, expected %d", me->name,
                 me->n_order, want);
    else if (!job.ok)
        snprintf(me->failure, sizeof me->failure,
                 "member %s could not send all its messages", me->name);
    if (me->leaves && me->by_cancel)
        cg_call_cancel(c);
    else
        cg_call_close_send(c);
    me->st = cg_call_finish(c);
    return NULL;
}

/* Runs MEMBERS members; those with leaves[i] leave half-way. */
static void run_crowd(crowd *cr, const bool *leaves)
{
    the_crowd = cr;
    pthread_barrier_init(&cr->all_in, NULL, MEMBERS);
    pthread_t t[MEMBERS];
    for (int i = 0; i < MEMBERS; i++) {
        member *m = &cr->m[i];
        snprintf(m->name, sizeof m->name, "m%d", i);
        m->leaves = leaves[i];
        m->by_cancel = leaves[i] && i % 2 == 0;
        m->all_in = &cr->all_in;
        pthread_create(&t[i], NULL, member_main, m);
    }
    for (int i = 0; i < MEMBERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&cr->all_in);
}

/* Checks that what every staying member saw is the same sequence, with
 * each sender's messages in sending order. */
static void check_orders(crowd *cr)
{
    const member *ref = NULL;
    for (int i = 0; i < MEMBERS; i++) {
        expect_true(cr->m[i].failure[0] == '\0', "#many-members-at-once", "%s",
                    cr->m[i].failure);
        if (!cr->m[i].leaves && ref == NULL)
            ref = &cr->m[i];
    }
    for (int i = 0; i < MEMBERS; i++) {
        const member *m = &cr->m[i];
        if (m->leaves)
            continue;
        expect_status_as(m->st, GRPC_STATUS_OK, "#chat", "%s's Chat call",
                         m->name);
        for (int k = 0; k < ref->n_order; k++)
            expect_true(strcmp(ref->order[k], m->order[k]) == 0,
                        "#broadcasting-in-one-order",
                        "message %d: %s got %s, %s got %s; every member "
                        "must see the same order",
                        k, ref->name, ref->order[k], m->name, m->order[k]);
    }
    int next[MEMBERS] = {0};
    for (int k = 0; k < ref->n_order; k++) {
        int who = atoi(ref->order[k] + 1);
        int n = atoi(strchr(ref->order[k], ':') + 1);
        expect_true(n == next[who], "#broadcasting-in-one-order",
                    "%s: from m%d, message %d came where %d was due", ref->name,
                    who, n, next[who]);
        next[who]++;
    }
}

static void test_chat_many_members_hear_everything_in_order(void **state)
{
    (void)state;
    crowd *cr = calloc(1, sizeof *cr);
    bool leaves[MEMBERS] = {false};
    int before = fixture_returned(&F, CHAT);
    run_crowd(cr, leaves);
    check_orders(cr);
    expect_true(
        fixture_wait_returned(&F, CHAT, before + MEMBERS, WAIT_MS, NULL),
        "#chat",
        "not every Chat handler returned after its client "
        "closed its side");
    expect_int(chat_room_size(&F.room), 0, "#chat");
    free(cr);
}

static void test_chat_members_leaving_midway(void **state)
{
    (void)state;
    /* Half the members leave half-way, some by closing their side, some
     * by cancelling; the others must still hear every message. */
    crowd *cr = calloc(1, sizeof *cr);
    bool leaves[MEMBERS] = {true, false, true, false, true, false, true, false};
    int before = fixture_returned(&F, CHAT);
    run_crowd(cr, leaves);
    check_orders(cr);
    expect_true(
        fixture_wait_returned(&F, CHAT, before + MEMBERS, WAIT_MS, NULL),
        "#chat",
        "a member left (closed its side or cancelled) but "
        "its Chat handler did not return");
    size_t left = chat_room_size(&F.room);
    expect_true(left == 0, "#chat",
                "every call has ended, but %zu members are still in the room",
                left);
    free(cr);
}

static void test_chat_vanished_client_leaves_the_room(void **state)
{
    (void)state;
    /* A client whose whole channel goes away mid-call. */
    int before = fixture_returned(&F, CHAT);
    cg_channel *ch = cg_channel_new(F.target, NULL, NULL);
    cg_call_opts o = deadline_ms(call_wait_ms);
    cg_call *c = tutorial__v1__chat_service_client__chat(ch, &o);
    Tutorial__V1__ChatMessage m = say("zed", "hello");
    cg_call_send(c, &m);
    const Tutorial__V1__ChatMessage *r = cg_call_recv(c);
    bool echoed = r != NULL && strcmp(r->content, "hello") == 0;
    cg_channel_free(ch); /* cancels the call */
    cg_call_finish(c);
    expect_true(echoed, "#chat",
                "the room did not echo a member's message "
                "back to it");
    cg_status last;
    expect_true(fixture_wait_returned(&F, CHAT, before + 1, WAIT_MS, &last),
                "#chat",
                "the client vanished, but its Chat handler is "
                "still running: cg_recv returns NULL then, so leave and "
                "return");
    expect_int(chat_room_size(&F.room), 0, "#chat");
}

int main(void)
{
    const struct CMUnitTest direct_tests[] = {
        cmocka_unit_test(test_chat_echoes_and_leaves),
        cmocka_unit_test(test_chat_empty_user),
        cmocka_unit_test(test_chat_broken_stream),
        cmocka_unit_test(test_chat_listener_joins_at_start),
    };
    const struct CMUnitTest network_tests[] = {
        cmocka_unit_test(test_chat_many_members_hear_everything_in_order),
        cmocka_unit_test(test_chat_members_leaving_midway),
        cmocka_unit_test(test_chat_vanished_client_leaves_the_room),
    };
    int failed = cmocka_run_group_tests_name("chat", direct_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("chat over the network",
                                          network_tests, setup, teardown);
    return failed;
}
