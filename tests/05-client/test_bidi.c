/*
 * test_bidi.c: exercise 4, bidirectional streams (bidi.c): bidi_echo in
 * lock step, and chat_run alone and with two members at once. In the
 * two-member test each member reads its input from a pipe the test writes
 * to and prints into a pipe the test reads, so the test can see a message
 * arrive while that member's input is still open: proof that it sends and
 * receives at the same time.
 */
#define LESSON_PAGE "steps/05-client.md"
#define EXERCISE_FILE "bidi.c"
#include "lesson.h"

/* The exercise shares state between threads: make stepN runs this suite once
 * more built with ThreadSanitizer, so a data race fails every run. */
#define TSAN_SUITE 1

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "bidi.h"
#include "fixture.h"

/* ---- bidi_echo --------------------------------------------------------- */

typedef struct echo_seen {
    svc_state *st;
    size_t n;
    char text[8][64];
    int server_requests[8]; /* requests the server had when response i came */
    size_t stop_at;
} echo_seen;

static bool on_echo(const Tutorial__V1__Response *resp, void *user)
{
    echo_seen *e = user;
    if (e->n < 8) {
        snprintf(e->text[e->n], sizeof e->text[0], "%s", resp->message);
        e->server_requests[e->n] = svc_get(e->st, &e->st->requests);
    }
    e->n++;
    return e->stop_at == 0 || e->n < e->stop_at;
}

static void test_bidi_echo_lock_step(void **state)
{
    (void)state;
    fx_watchdog(30, "#lock-step");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    const char *ids[] = {"a", "b", "c", "d"};
    echo_seen e = {.st = &srv.st};
    size_t received = 99;
    cg_status st = bidi_echo(ch, ids, 4, FX_CALL_MS, on_echo, &e, &received);
    fx_channel_free(ch);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_OK, "bidi_echo(a, b, c, d)", "#lock-step");
    expect_int(received, 4, "#lock-step");
    expect_int_as(e.n, 4, "#lock-step", "messages handed to the callback");
    char want[32];
    for (int i = 0; i < 4; i++) {
        snprintf(want, sizeof want, "Processed: %s", ids[i]);
        expect_str_as(e.text[i], want, "#lock-step",
                      "response %d of the stream, its message", i + 1);
        expect_true(e.server_requests[i] == i + 1, "#lock-step",
                    "when response %d arrived, the server had received %d "
                    "requests, expected %d: in lock step, the next request "
                    "goes out only after the answer to the last one",
                    i + 1, e.server_requests[i], i + 1);
    }
}

static void test_bidi_echo_nothing_to_send(void **state)
{
    (void)state;
    fx_watchdog(30, "#lock-step");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    echo_seen e = {.st = &srv.st};
    size_t received = 99;
    cg_status st = bidi_echo(ch, NULL, 0, FX_CALL_MS, on_echo, &e, &received);
    fx_channel_free(ch);
    int calls = svc_get(&srv.st, &srv.st.calls);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_OK, "bidi_echo(no ids)", "#lock-step");
    expect_int(received, 0, "#lock-step");
    expect_int(calls, 1, "#lock-step");
}

static void test_bidi_echo_server_ends_early(void **state)
{
    (void)state;
    fx_watchdog(30, "#lock-step");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    /* The server answers "a", then ends the call at the empty id. */
    const char *ids[] = {"a", "", "c", "d"};
    echo_seen e = {.st = &srv.st};
    size_t received = 99;
    cg_status st = bidi_echo(ch, ids, 4, FX_CALL_MS, on_echo, &e, &received);
    fx_channel_free(ch);
    int requests = svc_get(&srv.st, &srv.st.requests);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_INVALID_ARGUMENT, "bidi_echo(a, \"\", c, d)",
                  "#lock-step");
    expect_str(st.message, "id is required", "#lock-step");
    expect_int(received, 1, "#lock-step");
    expect_int(requests, 2, "#lock-step");
}

static void test_bidi_echo_stop_early(void **state)
{
    (void)state;
    fx_watchdog(30, "#lock-step");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    const char *ids[] = {"a", "b", "c", "d"};
    echo_seen e = {.st = &srv.st, .stop_at = 2};
    size_t received = 99;
    cg_status st = bidi_echo(ch, ids, 4, FX_CALL_MS, on_echo, &e, &received);
    fx_channel_free(ch);
    int requests = svc_get(&srv.st, &srv.st.requests);
    /* Wait for the handler's end only when a call reached it (a client that
     * never called fails below at once, not after FX_CALL_MS). */
    bool handler_ended = svc_get(&srv.st, &srv.st.calls) > 0 &&
                         svc_wait(&srv.st, &srv.st.ended, 1, FX_CALL_MS);
    int cancelled = svc_get(&srv.st, &srv.st.cancelled);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_OK, "bidi_echo stopped by the callback at 2",
                  "#lock-step");
    expect_int(received, 2, "#lock-step");
    expect_int(requests, 2, "#lock-step");
    expect_true(handler_ended && cancelled == 1, "#lock-step",
                "bidi_echo stopped at 2, but the server's handler %s: cancel "
                "the call (cg_call_cancel) so the server knows to stop",
                handler_ended ? "saw the stream end as if the client were done"
                              : "had not ended");
}

/* ---- chat_run, one member ---------------------------------------------- */

/* Runs chat_run with `input` (NULL: /dev/null) and returns what it printed
 * (free it). */
static char *chat_alone(cg_channel *ch, const char *user, const char *input,
                        cg_status *st)
{
    FILE *in = input != NULL ? fmemopen((void *)input, strlen(input), "r")
                             : fopen("/dev/null", "r");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    *st = chat_run(ch, user, in, out);
    fclose(in);
    fclose(out);
    return text;
}

static void test_bidi_chat_alone(void **state)
{
    (void)state;
    fx_watchdog(30, "#two-threads");
    fx_server srv;
    fx_server_start(&srv, "chat");
    cg_channel *ch = fx_channel(srv.target);
    cg_status st;
    char *text = chat_alone(ch, "ann", "hello\nworld\n", &st);
    fx_channel_free(ch);
    char log[1024];
    pthread_mutex_lock(&srv.st.mu); /* the handler's threads write it */
    snprintf(log, sizeof log, "%s", srv.st.chat_log);
    pthread_mutex_unlock(&srv.st.mu);
    fx_server_free(&srv);
    char out[256];
    snprintf(out, sizeof out, "%s", text);
    free(text);
    expect_status(st, GRPC_STATUS_OK, "chat_run(\"ann\", \"hello\\nworld\\n\")",
                  "#two-threads");
    expect_text(log, "ann: hello\nann: world\n", "the server's room log",
                "#two-threads");
    expect_text(out, "[ann]: hello\n[ann]: world\n", "chat_run",
                "#two-threads");
}

static void test_bidi_chat_lines(void **state)
{
    (void)state;
    fx_watchdog(30, "#two-threads");
    fx_server srv;
    fx_server_start(&srv, "chat");
    cg_channel *ch = fx_channel(srv.target);
    cg_status st;
    /* Empty lines are skipped; the last line has no '\n'. */
    char *text = chat_alone(ch, "ann", "\none\n\n\ntwo", &st);
    char out[256];
    snprintf(out, sizeof out, "%s", text);
    free(text);
    expect_status(st, GRPC_STATUS_OK, "chat_run with empty lines",
                  "#two-threads");
    expect_text(out, "[ann]: one\n[ann]: two\n", "chat_run", "#two-threads");

    /* No input at all: join, say nothing, leave. */
    text = chat_alone(ch, "ann", NULL, &st);
    snprintf(out, sizeof out, "%s", text);
    free(text);
    fx_channel_free(ch);
    int joined = svc_get(&srv.st, &srv.st.joined);
    int members = svc_get(&srv.st, &srv.st.members);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_OK, "chat_run with no input",
                  "#ending-a-chat");
    expect_text(out, "", "chat_run with no input", "#ending-a-chat");
    expect_int(joined, 2, "#ending-a-chat");
    expect_int(members, 0, "#ending-a-chat");
}

static void test_bidi_chat_server_error(void **state)
{
    (void)state;
    fx_watchdog(30, "#ending-a-chat");
    fx_server srv;
    fx_server_start(&srv, "chat");
    cg_channel *ch = fx_channel(srv.target);
    cg_status st;
    /* No user name: the server ends the call at the first message. */
    char *text = chat_alone(ch, "", "x\ny\nz\n", &st);
    fx_channel_free(ch);
    int broadcasts = svc_get(&srv.st, &srv.st.broadcasts);
    fx_server_free(&srv);
    free(text);
    expect_status(st, GRPC_STATUS_INVALID_ARGUMENT, "chat_run(\"\", ...)",
                  "#ending-a-chat");
    expect_str(st.message, "user is required", "#ending-a-chat");
    expect_int(broadcasts, 0, "#ending-a-chat");
}

/* ---- chat_run, two members at once ------------------------------------- */

typedef struct member {
    cg_channel *ch;
    const char *user;
    int in_w;       /* the test writes the member's input here */
    FILE *in, *out; /* chat_run's ends of the two pipes */
    int out_r;      /* the test reads what the member printed here */
    char got[1024];
    size_t got_len;
    cg_status st;
    pthread_t thread;
    bool running;
    svc_state *room; /* told when chat_run returns */
    int done;        /* guarded by room->mu */
} member;

static void *member_main(void *arg)
{
    member *m = arg;
    m->st = chat_run(m->ch, m->user, m->in, m->out);
    fclose(m->out); /* the test's reader sees the end */
    fclose(m->in);
    pthread_mutex_lock(&m->room->mu);
    m->done = 1;
    pthread_cond_broadcast(&m->room->cv);
    pthread_mutex_unlock(&m->room->mu);
    return NULL;
}

static void member_start(member *m, svc_state *room, cg_channel *ch,
                         const char *user)
{
    memset(m, 0, sizeof *m);
    m->room = room;
    m->ch = ch;
    m->user = user;
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0)
        fail_msg("pipe failed");
    m->in_w = in[1];
    m->in = fdopen(in[0], "r");
    m->out = fdopen(out[1], "w");
    m->out_r = out[0];
    fcntl(m->out_r, F_SETFL, O_NONBLOCK);
    pthread_create(&m->thread, NULL, member_main, m);
    m->running = true;
}

static void member_say(member *m, const char *line)
{
    ssize_t w = write(m->in_w, line, strlen(line));
    (void)w;
}

/* Reads the member's output until it holds `text`; false after timeout. */
static bool member_saw(member *m, const char *text, int timeout_ms)
{
    int64_t until = fx_now_ms() + (int64_t)timeout_ms * fx_slow();
    while (strstr(m->got, text) == NULL) {
        int64_t left = until - fx_now_ms();
        if (left <= 0 || m->out_r < 0)
            return false;
        struct pollfd p = {m->out_r, POLLIN, 0};
        if (poll(&p, 1, (int)(left < 100 ? left : 100)) <= 0)
            continue;
        ssize_t n =
            read(m->out_r, m->got + m->got_len, sizeof m->got - 1 - m->got_len);
        if (n <= 0) {
            close(m->out_r);
            m->out_r = -1;
        } else {
            m->got_len += (size_t)n;
            m->got[m->got_len] = '\0';
        }
    }
    return true;
}

/* Waits until both members are in the room, or one of them has given up. */
static bool both_joined(svc_state *room, member *a, member *b)
{
    int64_t until = fx_now_ms() + (int64_t)FX_WAIT_MS * fx_slow();
    while (fx_now_ms() < until) {
        if (svc_wait(room, &room->members, 2, 50))
            return true;
        if (svc_get(room, &a->done) || svc_get(room, &b->done))
            return false;
    }
    return false;
}

/* Ends the member's input and waits for chat_run to return. */
static void member_leave(member *m)
{
    if (m->in_w >= 0)
        close(m->in_w);
    m->in_w = -1;
    if (m->running)
        pthread_join(m->thread, NULL);
    m->running = false;
    member_saw(m, "\x01(read to the end)", 2000); /* drain to EOF */
    if (m->out_r >= 0)
        close(m->out_r);
    m->out_r = -1;
}

static void test_bidi_chat_two_members(void **state)
{
    (void)state;
    fx_watchdog(60, "#two-threads");
    fx_server srv;
    fx_server_start(&srv, "room");
    cg_channel *cha = fx_channel(srv.target), *chb = fx_channel(srv.target);
    member a, b;
    member_start(&a, &srv.st, cha, "alice");
    member_start(&b, &srv.st, chb, "bob");

    /* Both join before anyone says a word: a member's call starts when its
     * receiving thread starts, not when it first sends. */
    bool both = both_joined(&srv.st, &a, &b);
    member_say(&a, "hi from alice\n");
    bool a1 = both && member_saw(&a, "[alice]: hi from alice\n", FX_WAIT_MS);
    /* (after a1 only: code that never flushes waits once, not twice) */
    bool b1 = a1 && member_saw(&b, "[alice]: hi from alice\n", FX_WAIT_MS);
    member_say(&b, "hi from bob\n");
    /* Alice's input is still open: she gets bob's line only if she
     * receives while she waits for her next line. */
    bool a2 = b1 && member_saw(&a, "[bob]: hi from bob\n", FX_WAIT_MS);
    bool b2 = b1 && member_saw(&b, "[bob]: hi from bob\n", FX_WAIT_MS);
    member_leave(&a);
    member_say(&b, "bye\n");
    bool b3 = b2 && member_saw(&b, "[bob]: bye\n", FX_WAIT_MS);
    member_leave(&b);

    fx_channel_free(cha);
    fx_channel_free(chb);
    int members = svc_get(&srv.st, &srv.st.members);
    fx_server_free(&srv);

    expect_true(both, "#two-threads",
                "alice and bob never were in the room together: a member "
                "joins when its call starts, so start receiving (on the second "
                "thread) at once, before reading any input");
    char qa[600], qb[600];
    fx_quote(a.got, qa, sizeof qa);
    fx_quote(b.got, qb, sizeof qb);
    expect_true(a1 && b1, "#two-threads",
                "after alice said \"hi from alice\", alice printed %s and "
                "bob printed %s; both should show \"[alice]: hi from "
                "alice\" (flush out after each message)",
                qa, qb);
    expect_true(a2, "#two-threads",
                "bob said \"hi from bob\" while alice's input was still open, "
                "and alice never printed it; she printed %s. Receive on a "
                "second thread while the first waits for input",
                qa);
    expect_true(b2 && b3, "#two-threads", "bob printed %s", qb);
    expect_status(a.st, GRPC_STATUS_OK, "alice's chat_run", "#ending-a-chat");
    expect_status(b.st, GRPC_STATUS_OK, "bob's chat_run", "#ending-a-chat");
    expect_text(a.got, "[alice]: hi from alice\n[bob]: hi from bob\n",
                "alice's chat_run", "#ending-a-chat");
    expect_text(b.got,
                "[alice]: hi from alice\n[bob]: hi from bob\n[bob]: bye\n",
                "bob's chat_run", "#ending-a-chat");
    expect_int(members, 0, "#ending-a-chat");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bidi_echo_lock_step),
        cmocka_unit_test(test_bidi_echo_nothing_to_send),
        cmocka_unit_test(test_bidi_echo_server_ends_early),
        cmocka_unit_test(test_bidi_echo_stop_early),
        cmocka_unit_test(test_bidi_chat_alone),
        cmocka_unit_test(test_bidi_chat_lines),
        cmocka_unit_test(test_bidi_chat_server_error),
        cmocka_unit_test(test_bidi_chat_two_members),
    };
    return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
