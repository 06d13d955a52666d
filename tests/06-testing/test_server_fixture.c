/*
 * test_server_fixture.c: exercise 3, your integration fixture. First your
 * server_fixture_register on a server of this suite's own (each service
 * answers, each with its state, the watch counts), then your setup (a
 * server on a port of the kernel's choice, a READY channel) and teardown
 * (nobody answers on that port afterwards; valgrind checks that nothing
 * is left allocated).
 */
#define LESSON_PAGE "steps/06-testing.md"
#define EXERCISE_FILE "server_fixture.c"
#include "lesson.h"

#include <stdlib.h>
#include <time.h>

#include <grpc/grpc.h>

#include "server_fixture.h"

#define REGISTER "#registering-the-services"
#define SETUP "#setting-up-on-port-0"
#define TEARDOWN "#tearing-down"
#define WATCH "#watching-the-handlers"
/* Deadlines here only stop a hang: under valgrind on a busy machine a
 * first call may take seconds, and a call that works never waits them. */
#define CALL_MS 20000

#define UNARY TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD

static cg_call_opts deadline(int64_t ms)
{
    cg_call_opts o = {.timeout_ms = ms};
    return o;
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- the suite holds gRPC for its whole run --------------------------- */

static int hold_grpc(void **state)
{
    (void)state;
    grpc_init();
    return 0;
}

static void bare_free(void);

/* The plain build is the one valgrind runs (make memcheck). */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define VALGRINDS_BUILD 1
#endif

#ifdef VALGRINDS_BUILD
/* How many threads this process has, from the "Threads:" line of
 * /proc/self/status; 0 if it cannot tell. */
static int threads_now(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    int n = 0;
    char line[128];
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return n;
}
#endif

/* gRPC core's threads finish exiting a little after grpc_shutdown returns,
 * here a second after it (the teardown test's call to a closed port leaves
 * a reconnect backoff of 1 s behind). Valgrind's leak check at exit would
 * find their memory half-released: the plain build, the one valgrind runs,
 * gives them up to five seconds to be gone. With the sanitizers, threads
 * still running at exit are no leak, and nobody waits that second. */
static int release_grpc(void **state)
{
    (void)state;
    bare_free();
    grpc_shutdown();
#ifdef VALGRINDS_BUILD
    long until = now_ms() + 5000;
    while (threads_now() > 1 && now_ms() < until) {
        struct timespec tick = {0, 10 * 1000000L};
        nanosleep(&tick, NULL);
    }
#endif
    return 0;
}

/* ---- calls ---------------------------------------------------------- */

/* UnaryCall(id) on ch; the response's message (or "") into msg. */
static cg_status unary(cg_channel *ch, const char *id, char *msg, size_t cap)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    Tutorial__V1__Response *resp = NULL;
    cg_call_opts opts = deadline(CALL_MS);
    cg_status st =
        tutorial__v1__my_service_client__unary_call(ch, &req, &resp, &opts);
    snprintf(msg, cap, "%s", resp != NULL ? resp->message : "");
    if (resp != NULL)
        tutorial__v1__response__free_unpacked(resp, NULL);
    return st;
}

/* Fails unless st has code want: "<what>: expected X, got Y "msg". <advice>" */
#define expect_code(st, want, section, what, advice)                           \
    expect_true((st).code == (want), section,                                  \
                "%s: expected %s, got %s \"%s\".\n    %s", what,               \
                cg_status_name(want), cg_status_name((st).code), (st).message, \
                advice)

/* ---- a server set up by server_fixture_register alone --------------- */

/* One such server serves all the register tests (under valgrind each
 * start costs a second): made by the first of them, freed at the end of
 * the suite. bare_setup puts its settings back before each test. */
typedef struct bare {
    server_fixture f; /* only the state register hands out is used */
    cg_server *srv;
    cg_channel *ch;
} bare;

static bare *shared;

static int bare_setup(void **state)
{
    if (shared == NULL) {
        shared = calloc(1, sizeof *shared);
        if (shared == NULL)
            return -1;
        chat_room_init(&shared->f.room);
        handler_watch_init(&shared->f.watch);
        int port = 0;
        shared->srv =
            cg_test_server_start(server_fixture_register, &shared->f, &port);
        char target[32];
        snprintf(target, sizeof target, "127.0.0.1:%d", port);
        if (shared->srv != NULL)
            shared->ch = cg_channel_new(target, NULL, NULL);
        if (shared->ch != NULL)
            cg_channel_wait_ready(shared->ch, CALL_MS);
    }
    shared->f.notes.interval_ms = 0;
    shared->f.uploads.max_bytes = 0;
    *state = shared;
    return 0;
}

static void bare_free(void)
{
    if (shared == NULL)
        return;
    cg_channel_free(shared->ch);
    cg_server_free(shared->srv);
    chat_room_destroy(&shared->f.room);
    handler_watch_destroy(&shared->f.watch);
    free(shared);
    shared = NULL;
}

static bare *started(void **state)
{
    bare *b = *state;
    expect_true(b->srv != NULL && b->ch != NULL, REGISTER,
                "cg_test_server_start(server_fixture_register, ...) gave no "
                "server");
    return b;
}

static void test_server_fixture_register_serves_my_service(void **state)
{
    bare *b = started(state);
    char msg[64];
    cg_status st = unary(b->ch, "x", msg, sizeof msg);
    expect_code(st, GRPC_STATUS_OK, REGISTER,
                "UnaryCall on a server set up by server_fixture_register",
                "Register MyService with tutorial__v1__my_service__"
                "register_server(srv, &my_service_server, NULL).");
    expect_str(msg, "Processed: x", REGISTER);
}

static void test_server_fixture_register_installs_the_watch(void **state)
{
    bare *b = started(state);
    int before = handler_watch_returned(&b->f.watch, UNARY);
    char msg[64];
    cg_status st = unary(b->ch, "x", msg, sizeof msg);
    expect_code(st, GRPC_STATUS_OK, REGISTER, "UnaryCall",
                "Register MyService first.");
    cg_status last;
    expect_true(handler_watch_wait(&b->f.watch, UNARY, before + 1, 2000, &last),
                WATCH,
                "a UnaryCall has returned, but f->watch did not count it: "
                "install the watch with cg_server_add_interceptor(srv, "
                "handler_watch_interceptor, &f->watch)");
    expect_int(handler_watch_returned(&b->f.watch, UNARY), before + 1, WATCH);
}

static void
test_server_fixture_register_gives_settings_to_notifications_and_uploads(
    void **state)
{
    bare *b = started(state);

    /* Two pauses of 40 ms between three notifications: at least 80 ms, if
     * the service reads these settings. */
    b->f.notes.interval_ms = 40;
    Tutorial__V1__StreamRequest req = TUTORIAL__V1__STREAM_REQUEST__INIT;
    req.user_id = "u";
    req.max_count = 3;
    cg_call_opts opts = deadline(CALL_MS);
    long t0 = now_ms();
    cg_call *call =
        tutorial__v1__notification_service_client__stream_notifications(
            b->ch, &req, &opts);
    int n = 0;
    while (cg_call_recv(call) != NULL)
        n++;
    cg_status st = cg_call_finish(call);
    long took = now_ms() - t0;
    expect_code(st, GRPC_STATUS_OK, REGISTER, "StreamNotifications",
                "Register NotificationService with &f->notes as its state.");
    expect_int(n, 3, REGISTER);
    expect_true(took >= 80, REGISTER,
                "f->notes.interval_ms was 40, yet 3 notifications came in "
                "%ld ms, with no pause: is NotificationService registered "
                "with &f->notes?",
                took);

    /* A limit of 4 bytes: 5 are too many, if the service reads it. */
    b->f.uploads.max_bytes = 4;
    call = tutorial__v1__file_service_client__upload_file(b->ch, &opts);
    Tutorial__V1__FileChunk chunk = TUTORIAL__V1__FILE_CHUNK__INIT;
    chunk.filename = "f.txt";
    chunk.data.data = (uint8_t *)"hello";
    chunk.data.len = 5;
    cg_call_send(call, &chunk);
    cg_call_close_send(call);
    st = cg_call_finish(call);
    expect_code(st, GRPC_STATUS_RESOURCE_EXHAUSTED, REGISTER,
                "an upload of 5 bytes with f->uploads.max_bytes = 4",
                "Register FileService with &f->uploads as its state.");
}

static void
test_server_fixture_register_serves_users_from_the_sample(void **state)
{
    bare *b = started(state);
    Tutorial__V1__GetUserRequest req = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    req.user_id = "1";
    Tutorial__V1__User *user = NULL;
    cg_call_opts opts = deadline(CALL_MS);
    cg_status st =
        tutorial__v1__user_service_client__get_user(b->ch, &req, &user, &opts);
    char name[64] = "";
    if (user != NULL) {
        snprintf(name, sizeof name, "%s", user->name);
        tutorial__v1__user__free_unpacked(user, NULL);
    }
    expect_code(st, GRPC_STATUS_OK, REGISTER, "GetUser(\"1\")",
                "Register UserService with user_repo_sample() as its state.");
    expect_str(name, "Alice", REGISTER);
}

static void test_server_fixture_register_gives_chat_its_room(void **state)
{
    bare *b = started(state);
    cg_call_opts opts = deadline(CALL_MS);
    cg_call *call = tutorial__v1__chat_service_client__chat(b->ch, &opts);
    Tutorial__V1__ChatMessage m = TUTORIAL__V1__CHAT_MESSAGE__INIT;
    m.user = "ann";
    m.content = "hi";
    cg_call_send(call, &m);
    /* Once the message is back, the handler has joined its room. */
    const Tutorial__V1__ChatMessage *back = cg_call_recv(call);
    bool echoed = back != NULL && strcmp(back->content, "hi") == 0;
    size_t members = chat_room_size(&b->f.room);
    cg_status st = cg_call_finish(call);
    expect_true(echoed, REGISTER,
                "a Chat member said \"hi\" and did not hear it back (%s %s)",
                cg_status_name(st.code), st.message);
    expect_true(members == 1, REGISTER,
                "a Chat call was going on, yet f->room had %zu members: "
                "register ChatService with &f->room as its state",
                members);
}

/* ---- your setup and teardown ------------------------------------------ */

/* Releases what the learner's setup left in *state, if anything. */
static int learner_teardown(void **state)
{
    if (*state != NULL)
        server_fixture_teardown(state);
    return 0;
}

static void test_server_fixture_setup_starts_and_connects(void **state)
{
    expect_int(server_fixture_setup(state), 0, SETUP);
    server_fixture *f = *state;
    expect_true(f != NULL, SETUP, "setup returned 0 but left *state NULL");
    expect_true(f->srv != NULL && f->port > 0, SETUP,
                "after setup, f->srv is %s and f->port is %d: start the "
                "server with cg_test_server_start(server_fixture_register, "
                "f, &f->port)",
                f->srv != NULL ? "set" : "NULL", f->port);
    char want[32];
    snprintf(want, sizeof want, "127.0.0.1:%d", f->port);
    expect_str(f->target, want, SETUP);
    expect_true(f->ch != NULL, SETUP,
                "after setup, f->ch is NULL: open a channel to f->target");
    cg_conn_state cs = cg_channel_state(f->ch, false);
    expect_true(cs == CG_CONN_READY, SETUP,
                "after setup the channel is %s, not READY: wait for it with "
                "cg_channel_wait_ready before the test starts",
                cg_conn_state_name(cs));
    char msg[64];
    cg_status st = unary(f->ch, "y", msg, sizeof msg);
    expect_code(st, GRPC_STATUS_OK, SETUP, "UnaryCall through f->ch",
                "The server must serve MyService (server_fixture_register).");
    expect_str(msg, "Processed: y", SETUP);
    expect_int(f->notes.interval_ms, 0, SETUP);
    expect_int(f->uploads.max_bytes, 0, SETUP);

    /* A second fixture while the first one runs, as when two test
     * programs run at once (the suites run several): it needs a port of
     * its own. */
    void *other = NULL;
    int rc = server_fixture_setup(&other);
    server_fixture *g = other;
    int other_port = rc == 0 && g != NULL ? g->port : -1;
    if (other != NULL)
        server_fixture_teardown(&other);
    expect_true(rc == 0 && other_port > 0 && other_port != f->port, SETUP,
                "a second fixture, set up while the first (port %d) was "
                "running, %s: two test programs at once would collide. Start "
                "the server on port 0, with cg_test_server_start("
                "server_fixture_register, f, &f->port), and let the kernel "
                "pick a free port each time",
                f->port, rc != 0 ? "could not start" : "got the same port");
}

static void test_server_fixture_teardown_stops_the_server(void **state)
{
    expect_int(server_fixture_setup(state), 0, SETUP);
    server_fixture *f = *state;
    expect_true(f != NULL && f->srv != NULL && f->port > 0, SETUP,
                "setup started no server (see the setup test first)");
    int port = f->port;
    /* A test that failed half-way leaves its calls open: here a Chat member,
     * in the room (its message came back). Teardown must end the call and
     * wait for its handler, which leaves the room, before the room goes. */
    cg_call_opts opts = deadline(CALL_MS);
    cg_call *open = tutorial__v1__chat_service_client__chat(f->ch, &opts);
    Tutorial__V1__ChatMessage m = TUTORIAL__V1__CHAT_MESSAGE__INIT;
    m.user = "left";
    m.content = "open";
    cg_call_send(open, &m);
    bool in_room = cg_call_recv(open) != NULL;

    expect_int(server_fixture_teardown(state), 0, TEARDOWN);
    bool nulled = *state == NULL;
    *state = NULL; /* f is gone: never tear it down twice */
    cg_status open_st = cg_call_finish(open);
    expect_true(in_room, TEARDOWN,
                "a Chat call on the fixture's channel did not hear its own "
                "message (%s): the fixture should serve ChatService",
                cg_status_name(open_st.code));
    expect_true(nulled, TEARDOWN,
                "after teardown *state still points at the freed fixture: "
                "set it to NULL");

    /* A fresh channel to the old port: nobody may answer there now. */
    char target[32], msg[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    cg_status st = unary(ch, "z", msg, sizeof msg);
    cg_channel_free(ch);
    expect_code(st, GRPC_STATUS_UNAVAILABLE, TEARDOWN,
                "a call to the fixture's old port after teardown",
                "Free the server in teardown (cg_server_free), after the "
                "channel: until then it still answers.");
}

int main(void)
{
    /* The chat and GetUser tests come last: a service registered with a
     * NULL state crashes its handler, and then the suite. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_server_fixture_register_serves_my_service,
                               bare_setup),
        cmocka_unit_test_setup(test_server_fixture_register_installs_the_watch,
                               bare_setup),
        cmocka_unit_test_setup(
            test_server_fixture_register_gives_settings_to_notifications_and_uploads,
            bare_setup),
        cmocka_unit_test_teardown(test_server_fixture_setup_starts_and_connects,
                                  learner_teardown),
        cmocka_unit_test_teardown(test_server_fixture_teardown_stops_the_server,
                                  learner_teardown),
        cmocka_unit_test_setup(
            test_server_fixture_register_serves_users_from_the_sample,
            bare_setup),
        cmocka_unit_test_setup(test_server_fixture_register_gives_chat_its_room,
                               bare_setup),
    };
    return cmocka_run_group_tests(tests, hold_grpc, release_grpc);
}
