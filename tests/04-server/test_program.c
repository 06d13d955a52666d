/*
 * test_program.c: exercise 6, the server program itself (main.c), run the
 * way you or a container would run it: started with --listen 127.0.0.1:0,
 * called once its "listening on" line is out, stopped with a signal.
 *
 * Every test ends the process it started (proc_end kills whatever is left)
 * and waits for it with a time limit: nothing is left behind.
 */
#define LESSON_PAGE "steps/04-server.md"
#define EXERCISE_FILE "main.c"
#include "lesson.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixture.h"
#include "proc.h"

#define NOTIFY TUTORIAL__V1__NOTIFICATION_SERVICE__STREAM_NOTIFICATIONS__METHOD

/* Starts the program on a free port of 127.0.0.1 or fails the test. */
static void start(proc *p, int *port)
{
    char why[40000];
    bool up =
        proc_start_server(p, "127.0.0.1:0", port, why, sizeof why, WAIT_MS);
    expect_true(up, "#running-the-server", "%s", why);
}

/* A channel to the program. */
static cg_channel *channel_to(int port)
{
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    return cg_channel_new(target, NULL, NULL);
}

/* True when st is the runtime's answer for a method nobody registered. */
static bool unregistered(cg_status st)
{
    return st.code == GRPC_STATUS_UNIMPLEMENTED &&
           strncmp(st.message, "unknown method", 14) == 0;
}

/* ---- given: what server_cli.c does around the exercise --------------- */

static void test_program_prints_listening_line(void **state)
{
    (void)state;
    proc p;
    int port;
    start(&p, &port);
    /* "listening on 127.0.0.1:PORT": the port the kernel picked. */
    expect_true(port > 0 && port < 65536, "#running-the-server",
                "port %d in the listening line", port);
    cg_channel *ch = channel_to(port);
    bool ready = cg_channel_wait_ready(ch, WAIT_MS);
    cg_channel_free(ch);
    proc_signal(&p, SIGKILL);
    proc_wait(&p, WAIT_MS);
    proc_end(&p);
    expect_true(ready, "#running-the-server",
                "the program said it was listening on port %d, but a "
                "client could not connect there",
                port);
}

/* Runs the program with args; returns its exit code, stderr in err. */
static int run_briefly(char *const argv[], char *err, size_t cap)
{
    proc p;
    if (!proc_start(&p, argv))
        return -1;
    bool ended = proc_wait(&p, WAIT_MS);
    snprintf(err, cap, "%s", p.err);
    proc_end(&p);
    return ended ? proc_exit_code(&p) : -2;
}

static void test_program_rejects_bad_arguments(void **state)
{
    (void)state;
    char err[16384];
    char *bogus[] = {SERVER_PROGRAM, "--bogus", NULL};
    expect_int(run_briefly(bogus, err, sizeof err), 2, "#running-the-server");
    expect_true(strstr(err, "usage:") != NULL, "#running-the-server",
                "an unknown argument should print the usage on stderr");
    /* gRPC core would quietly turn port 99999 into 34463. */
    char *big[] = {SERVER_PROGRAM, "--listen", "127.0.0.1:99999", NULL};
    expect_int(run_briefly(big, err, sizeof err), 2, "#running-the-server");
    /* Go's ":50051" is not an address gRPC core can parse. */
    char *go[] = {SERVER_PROGRAM, "--listen", ":50051", NULL};
    expect_int(run_briefly(go, err, sizeof err), 2, "#running-the-server");
    expect_true(strstr(err, "0.0.0.0:50051") != NULL, "#running-the-server",
                "the error should show a valid address; stderr: %s", err);
}

static void test_program_port_in_use(void **state)
{
    (void)state;
    /* Take a port first (a plain listening socket, no SO_REUSEPORT). */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bool taken = bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
                 listen(fd, 1) == 0 &&
                 getsockname(fd, (struct sockaddr *)&a, &len) == 0;
    char addr[32], err[16384];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(a.sin_port));
    char *argv[] = {SERVER_PROGRAM, "--listen", addr, NULL};
    int code = taken ? run_briefly(argv, err, sizeof err) : -3;
    close(fd);
    expect_true(taken, "#running-the-server", "could not take a port");
    expect_int(code, 1, "#running-the-server");
    expect_true(strstr(err, addr) != NULL && strstr(err, "in use") != NULL,
                "#running-the-server",
                "the error should name %s and say it may be in use; "
                "stderr: %s",
                addr, err);
}

/* ---- exercise 6 ---------------------------------------------------------- */

static void test_program_registers_every_service(void **state)
{
    (void)state;
    proc p;
    int port;
    start(&p, &port);
    cg_channel *ch = channel_to(port);
    cg_call_opts o = deadline_ms(WAIT_MS);
    cg_status st[5];
    static const char *names[5] = {"MyService", "UserService",
                                   "NotificationService", "FileService",
                                   "ChatService"};

    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "x";
    st[0] = tutorial__v1__my_service_client__unary_call(ch, &req, NULL, &o);

    Tutorial__V1__GetUserRequest ureq = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    ureq.user_id = "1";
    st[1] = tutorial__v1__user_service_client__get_user(ch, &ureq, NULL, &o);

    Tutorial__V1__StreamRequest nreq = TUTORIAL__V1__STREAM_REQUEST__INIT;
    nreq.user_id = "u";
    nreq.max_count = 1;
    st[2] = cg_call_finish(
        tutorial__v1__notification_service_client__stream_notifications(
            ch, &nreq, &o));

    cg_call *c = tutorial__v1__file_service_client__upload_file(ch, &o);
    Tutorial__V1__FileChunk chunk = TUTORIAL__V1__FILE_CHUNK__INIT;
    chunk.filename = "a.txt";
    cg_call_send(c, &chunk);
    cg_call_close_send(c);
    st[3] = cg_call_finish(c);

    c = tutorial__v1__chat_service_client__chat(ch, &o);
    Tutorial__V1__ChatMessage msg = TUTORIAL__V1__CHAT_MESSAGE__INIT;
    msg.user = "u";
    msg.content = "hi";
    cg_call_send(c, &msg);
    cg_call_close_send(c);
    st[4] = cg_call_finish(c);

    cg_channel_free(ch);
    proc_signal(&p, SIGKILL);
    proc_wait(&p, WAIT_MS);
    proc_end(&p);
    for (int i = 0; i < 5; i++)
        expect_true(!unregistered(st[i]), "#registering-the-services",
                    "%s is not registered: the server answered %s \"%s\". "
                    "Register it in main.c before server_start",
                    names[i], cg_status_name(st[i].code), st[i].message);
}

/* needs: notification_service.c */
static void test_program_sigterm_drains_in_flight_call(void **state)
{
    (void)state;
    /* Two notifications, which the program sends 1 s apart (the outline's
     * interval): SIGTERM comes in between, and the call must still end
     * well, then the program exit 0. */
    proc p;
    int port;
    start(&p, &port);
    cg_channel *ch = channel_to(port);
    Tutorial__V1__StreamRequest req = TUTORIAL__V1__STREAM_REQUEST__INIT;
    req.user_id = "drain";
    req.max_count = 2;
    cg_call_opts o = deadline_ms(WAIT_MS);
    cg_call *c =
        tutorial__v1__notification_service_client__stream_notifications(
            ch, &req, &o);
    int got = cg_call_recv(c) != NULL;
    proc_signal(&p, SIGTERM); /* (also when that failed: to end it) */
    while (got > 0 && cg_call_recv(c) != NULL)
        got++;
    cg_status st = cg_call_finish(c);
    cg_channel_free(ch);
    bool ended = proc_wait(&p, WAIT_MS);
    proc_end(&p);
    if (got == 0) {
        expect_true(!unregistered(st), "#registering-the-services",
                    "this test needs NotificationService registered in "
                    "main.c; the server answered \"%s\"",
                    st.message);
        expect_status_as(st, GRPC_STATUS_OK, "#exercise-3-streamnotifications",
                         "StreamNotifications on the running program");
    }
    expect_true(got == 2 && st.code == GRPC_STATUS_OK, "#serving-and-stopping",
                "SIGTERM came while a call was in flight: the call got %d of "
                "2 notifications and ended %s (\"%s\"). A graceful stop lets "
                "it finish: cg_server_run_until_signal(srv, GRACE_MS)",
                got, cg_status_name(st.code), st.message);
    expect_true(ended, "#serving-and-stopping",
                "the program still ran %d ms after SIGTERM", WAIT_MS);
    expect_int(proc_exit_code(&p), 0, "#serving-and-stopping");
}

static void test_program_sigint_exits_zero(void **state)
{
    (void)state;
    /* Ctrl-C in a terminal sends SIGINT: the same graceful stop. */
    proc p;
    int port;
    start(&p, &port);
    proc_signal(&p, SIGINT);
    bool ended = proc_wait(&p, WAIT_MS);
    proc_end(&p);
    expect_true(ended, "#serving-and-stopping",
                "the program still ran %d ms after SIGINT", WAIT_MS);
    expect_int(proc_exit_code(&p), 0, "#serving-and-stopping");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_program_prints_listening_line),
        cmocka_unit_test(test_program_rejects_bad_arguments),
        cmocka_unit_test(test_program_port_in_use),
        cmocka_unit_test(test_program_registers_every_service),
        cmocka_unit_test(test_program_sigterm_drains_in_flight_call),
        cmocka_unit_test(test_program_sigint_exits_zero),
    };
    return cmocka_run_group_tests_name("program", tests, grpc_group_setup,
                                       grpc_group_teardown);
}
