/*
 * test_chat_room.c: exercise 5a, the room's join, leave and broadcast,
 * called directly with in-memory streams, alone and from many threads.
 *
 * Each member's stream is a test stream: whatever the room sends to it is
 * kept, in order, and read back with cg_test_stream_sent.
 */
#define LESSON_PAGE "steps/04-server.md"
#define EXERCISE_FILE "chat_room.c"
#include "lesson.h"

/* The exercise shares state between threads: make stepN runs this suite once
 * more built with ThreadSanitizer, so a data race fails every run. */
#define TSAN_SUITE 1

#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

#define CHAT TUTORIAL__V1__CHAT_SERVICE__CHAT__METHOD

/* A member with its own call context and stream. */
typedef struct guest {
    cg_ctx *ctx;
    cg_stream *stream;
    chat_member m;
} guest;

static void guest_init(guest *g)
{
    memset(g, 0, sizeof *g);
    g->ctx = cg_test_ctx_new(CHAT, NULL);
    g->stream = cg_test_stream(g->ctx);
}

static size_t got(const guest *g)
{
    return cg_test_stream_sent_count(g->stream);
}

static const Tutorial__V1__ChatMessage *got_msg(const guest *g, size_t i)
{
    return cg_test_stream_sent(g->stream, i);
}

static Tutorial__V1__ChatMessage say(const char *user, const char *content)
{
    Tutorial__V1__ChatMessage m = TUTORIAL__V1__CHAT_MESSAGE__INIT;
    m.user = (char *)user;
    m.content = (char *)content;
    return m;
}

static void test_chat_room_join_and_leave(void **state)
{
    (void)state;
    chat_room room;
    chat_room_init(&room);
    guest g[3];
    for (int i = 0; i < 3; i++) {
        guest_init(&g[i]);
        chat_room_join(&room, &g[i].m, g[i].stream);
    }
    expect_int(chat_room_size(&room), 3, "#the-room");
    chat_room_leave(&room, &g[1].m); /* from the middle */
    expect_int(chat_room_size(&room), 2, "#the-room");
    chat_room_leave(&room, &g[1].m); /* again: harmless */
    expect_int(chat_room_size(&room), 2, "#the-room");
    chat_room_leave(&room, &g[2].m);
    chat_room_leave(&room, &g[0].m);
    expect_int(chat_room_size(&room), 0, "#the-room");
    /* And back in. */
    chat_room_join(&room, &g[1].m, g[1].stream);
    expect_int(chat_room_size(&room), 1, "#the-room");
    chat_room_leave(&room, &g[1].m);
    for (int i = 0; i < 3; i++)
        cg_test_ctx_free(g[i].ctx);
    chat_room_destroy(&room);
}

static void test_chat_room_broadcast_reaches_everyone(void **state)
{
    (void)state;
    chat_room room;
    chat_room_init(&room);
    guest g[3];
    for (int i = 0; i < 3; i++) {
        guest_init(&g[i]);
        chat_room_join(&room, &g[i].m, g[i].stream);
    }
    Tutorial__V1__ChatMessage m = say("ann", "hello");
    size_t reached = chat_room_broadcast(&room, &m);
    expect_int(reached, 3, "#the-room");
    for (int i = 0; i < 3; i++) {
        expect_int_as(got(&g[i]), 1, "#the-room",
                      "messages member %d of 3 received", i + 1);
        expect_str_as(got_msg(&g[i], 0)->user, "ann", "#the-room",
                      "member %d of 3, the message's user", i + 1);
        expect_str_as(got_msg(&g[i], 0)->content, "hello", "#the-room",
                      "member %d of 3, the message's content", i + 1);
    }
    for (int i = 0; i < 3; i++) {
        chat_room_leave(&room, &g[i].m);
        cg_test_ctx_free(g[i].ctx);
    }
    chat_room_destroy(&room);
}

static void test_chat_room_leaver_hears_nothing_more(void **state)
{
    (void)state;
    chat_room room;
    chat_room_init(&room);
    guest a, b;
    guest_init(&a);
    guest_init(&b);
    chat_room_join(&room, &a.m, a.stream);
    chat_room_join(&room, &b.m, b.stream);
    Tutorial__V1__ChatMessage m1 = say("a", "one"), m2 = say("a", "two");
    chat_room_broadcast(&room, &m1);
    chat_room_leave(&room, &b.m);
    expect_int(chat_room_broadcast(&room, &m2), 1, "#the-room");
    expect_int(got(&a), 2, "#the-room");
    expect_int(got(&b), 1, "#the-room");
    expect_str(got_msg(&a, 1)->content, "two", "#the-room");
    chat_room_leave(&room, &a.m);
    cg_test_ctx_free(a.ctx);
    cg_test_ctx_free(b.ctx);
    chat_room_destroy(&room);
}

static void test_chat_room_failed_member_is_dropped(void **state)
{
    (void)state;
    chat_room room;
    chat_room_init(&room);
    guest g[4];
    for (int i = 0; i < 4; i++) {
        guest_init(&g[i]);
        chat_room_join(&room, &g[i].m, g[i].stream);
    }
    /* Two clients vanish: their sends fail from now on. */
    cg_test_ctx_cancel(g[0].ctx);
    cg_test_ctx_cancel(g[2].ctx);
    Tutorial__V1__ChatMessage m = say("d", "anyone there?");
    size_t reached = chat_room_broadcast(&room, &m);
    expect_int(reached, 2, "#a-member-whose-send-fails");
    expect_int_as(got(&g[1]), 1, "#a-member-whose-send-fails",
                  "messages member 2 of 4 (still there) received");
    expect_int_as(got(&g[3]), 1, "#a-member-whose-send-fails",
                  "messages member 4 of 4 (still there) received");
    expect_true(chat_room_size(&room) == 2, "#a-member-whose-send-fails",
                "a member whose send failed should be dropped from the room "
                "by the broadcast; the room still has %zu members, expected 2",
                chat_room_size(&room));
    /* Their handlers leave later, as they notice: harmless now. */
    chat_room_leave(&room, &g[0].m);
    chat_room_leave(&room, &g[2].m);
    expect_int(chat_room_size(&room), 2, "#a-member-whose-send-fails");
    expect_int(chat_room_broadcast(&room, &m), 2, "#a-member-whose-send-fails");
    chat_room_leave(&room, &g[1].m);
    chat_room_leave(&room, &g[3].m);
    expect_int(chat_room_size(&room), 0, "#a-member-whose-send-fails");
    for (int i = 0; i < 4; i++)
        cg_test_ctx_free(g[i].ctx);
    chat_room_destroy(&room);
}

/* ---- many threads at once -------------------------------------------- */

enum { STAYERS = 6, SENDERS = 4, PER_SENDER = 500, CHURNERS = 3, CHURNS = 100 };

typedef struct crowd {
    chat_room room;
    guest stay[STAYERS];
    guest churn[CHURNERS];
    pthread_barrier_t go;
    size_t reached_min; /* the fewest members a broadcast reached */
    pthread_mutex_t mu;
} crowd;

typedef struct job {
    crowd *c;
    int index;
} job;

static void *sender(void *arg)
{
    job *j = arg;
    /* Long messages: each send takes a while, so broadcasts that are not
     * one unit get every chance to overtake one another. */
    char user[16], text[1024];
    snprintf(user, sizeof user, "s%d", j->index);
    pthread_barrier_wait(&j->c->go);
    for (int i = 0; i < PER_SENDER; i++) {
        snprintf(text, sizeof text, "%d %0*d", i, (int)sizeof text - 16, 0);
        Tutorial__V1__ChatMessage m = say(user, text);
        size_t n = chat_room_broadcast(&j->c->room, &m);
        pthread_mutex_lock(&j->c->mu);
        if (n < j->c->reached_min)
            j->c->reached_min = n;
        pthread_mutex_unlock(&j->c->mu);
    }
    return NULL;
}

static void *churner(void *arg)
{
    job *j = arg;
    guest *g = &j->c->churn[j->index];
    pthread_barrier_wait(&j->c->go);
    for (int i = 0; i < CHURNS; i++) {
        chat_room_join(&j->c->room, &g->m, g->stream);
        chat_room_leave(&j->c->room, &g->m);
    }
    return NULL;
}

/* The position of message (user, content) in the stayers' common order. */
static long position(const guest *ref, const Tutorial__V1__ChatMessage *m)
{
    for (size_t i = 0; i < got(ref); i++) {
        const Tutorial__V1__ChatMessage *r = got_msg(ref, i);
        if (strcmp(r->user, m->user) == 0 &&
            strcmp(r->content, m->content) == 0)
            return (long)i;
    }
    return -1;
}

static void test_chat_room_many_threads(void **state)
{
    (void)state;
    /* Four members stay all along; four threads broadcast; four more
     * join and leave over and over meanwhile. */
    crowd *c = calloc(1, sizeof *c);
    chat_room_init(&c->room);
    pthread_mutex_init(&c->mu, NULL);
    pthread_barrier_init(&c->go, NULL, SENDERS + CHURNERS);
    c->reached_min = (size_t)-1;
    for (int i = 0; i < STAYERS; i++) {
        guest_init(&c->stay[i]);
        chat_room_join(&c->room, &c->stay[i].m, c->stay[i].stream);
    }
    for (int i = 0; i < CHURNERS; i++)
        guest_init(&c->churn[i]);
    pthread_t t[SENDERS + CHURNERS];
    job jobs[SENDERS + CHURNERS];
    for (int i = 0; i < SENDERS; i++) {
        jobs[i] = (job){c, i};
        pthread_create(&t[i], NULL, sender, &jobs[i]);
    }
    for (int i = 0; i < CHURNERS; i++) {
        jobs[SENDERS + i] = (job){c, i};
        pthread_create(&t[SENDERS + i], NULL, churner, &jobs[SENDERS + i]);
    }
    for (int i = 0; i < SENDERS + CHURNERS; i++)
        pthread_join(t[i], NULL);

    size_t size = chat_room_size(&c->room);
    expect_true(size == STAYERS, "#the-room",
                "after every joiner left again, the room has %zu members, "
                "expected the %d that stayed: a lost or doubled member "
                "means join or leave ran without the lock",
                size, STAYERS);
    expect_true(c->reached_min >= STAYERS, "#the-room",
                "a broadcast reached only %zu members while %d were in the "
                "room all along",
                c->reached_min, STAYERS);
    /* Every stayer got every message, all in one and the same order. */
    const guest *ref = &c->stay[0];
    expect_int_as(got(ref), SENDERS * PER_SENDER, "#the-room",
                  "messages member 0 (in the room all along) received");
    for (int s = 1; s < STAYERS; s++) {
        expect_int_as(got(&c->stay[s]), SENDERS * PER_SENDER, "#the-room",
                      "messages member %d (in the room all along) received", s);
        for (size_t i = 0; i < got(ref); i++) {
            const Tutorial__V1__ChatMessage *a = got_msg(ref, i),
                                            *b = got_msg(&c->stay[s], i);
            expect_true(strcmp(a->user, b->user) == 0 &&
                            strcmp(a->content, b->content) == 0,
                        "#broadcasting-in-one-order",
                        "message %zu: member 0 got %s:%s, member %d got "
                        "%s:%s; every member must see the same order",
                        i, a->user, a->content, s, b->user, b->content);
        }
    }
    /* Each sender's messages in the order it sent them. */
    int next[SENDERS] = {0};
    for (size_t i = 0; i < got(ref); i++) {
        const Tutorial__V1__ChatMessage *m = got_msg(ref, i);
        int who = atoi(m->user + 1), n = atoi(m->content);
        expect_true(n == next[who], "#broadcasting-in-one-order",
                    "from sender %d, message %d came where %d was due", who, n,
                    next[who]);
        next[who]++;
    }
    /* What the joiners heard is a piece of that same order. */
    for (int j = 0; j < CHURNERS; j++) {
        long last = -1;
        for (size_t i = 0; i < got(&c->churn[j]); i++) {
            long p = position(ref, got_msg(&c->churn[j], i));
            expect_true(p > last, "#broadcasting-in-one-order",
                        "a member that joined and left heard message %zu "
                        "out of the room's order",
                        i);
            last = p;
        }
    }
    for (int i = 0; i < STAYERS; i++)
        chat_room_leave(&c->room, &c->stay[i].m);
    expect_int(chat_room_size(&c->room), 0, "#the-room");
    for (int i = 0; i < STAYERS; i++)
        cg_test_ctx_free(c->stay[i].ctx);
    for (int i = 0; i < CHURNERS; i++)
        cg_test_ctx_free(c->churn[i].ctx);
    pthread_barrier_destroy(&c->go);
    pthread_mutex_destroy(&c->mu);
    chat_room_destroy(&c->room);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat_room_join_and_leave),
        cmocka_unit_test(test_chat_room_broadcast_reaches_everyone),
        cmocka_unit_test(test_chat_room_leaver_hears_nothing_more),
        cmocka_unit_test(test_chat_room_failed_member_is_dropped),
        cmocka_unit_test(test_chat_room_many_threads),
    };
    return cmocka_run_group_tests_name("chat_room", tests, NULL, NULL);
}
