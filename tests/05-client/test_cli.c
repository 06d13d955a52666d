/*
 * test_cli.c: the step's program, build/steps/05-client/MODE/client (from
 * the given main.c and your exercises), run as a child process against the
 * test server: every command, its output, its errors and exit status, and
 * two chat members in two processes. The usage tests check given code;
 * the others pass once the exercises they use are done.
 */
#define LESSON_PAGE "steps/05-client.md"
#define EXERCISE_FILE "unary.c"
#include "lesson.h"

#include <stdlib.h>
#include <unistd.h>

#include "fixture.h"

#define RUN_MS 20000

/* Whether a finished run had the exit status, stdout and stderr wanted;
 * if not, msg says how. Frees the run either way. */
static bool run_ok(fx_proc *p, const char *cmd, int want_rc,
                   const char *want_out, const char *want_err, char *msg,
                   size_t cap)
{
    bool ok = p->status == want_rc && strcmp(p->out_text, want_out) == 0 &&
              (want_err == NULL || strcmp(p->err_text, want_err) == 0);
    if (!ok) {
        char q1[600], q2[600], q3[600], q4[600];
        snprintf(msg, cap,
                 "client %s\n      exit status %d (expected %d)\n"
                 "      stdout %s\n      expected %s\n"
                 "      stderr %s%s%s",
                 cmd, p->status, want_rc, fx_quote(p->out_text, q1, sizeof q1),
                 fx_quote(want_out, q2, sizeof q2),
                 fx_quote(p->err_text, q3, sizeof q3),
                 want_err ? "\n      expected " : "",
                 want_err ? fx_quote(want_err, q4, sizeof q4) : "");
    }
    fx_proc_free(p);
    return ok;
}

/* Checks a finished run: exit status, stdout, and stderr. */
static void expect_run(fx_proc *p, const char *cmd, int want_rc,
                       const char *want_out, const char *want_err,
                       const char *section)
{
    char msg[2048];
    if (!run_ok(p, cmd, want_rc, want_out, want_err, msg, sizeof msg))
        expect_fail(section, "%s", msg);
}

/* Runs `client --target T ARGS...` (argv from ARGS) to the end. */
static void run_client(fx_proc *p, const char *target, const char *const *args,
                       const char *input)
{
    const char *argv[16] = {"client", "--target", target};
    size_t n = 3;
    while (*args != NULL && n < 15)
        argv[n++] = *args++;
    argv[n] = NULL;
    fx_run(p, argv, input, RUN_MS);
}

/* ---- given: usage ------------------------------------------------------ */

static void test_cli_usage(void **state)
{
    (void)state;
    fx_watchdog(30, "#the-command-line-client");
    fx_proc p;
    const char *none[] = {"client", NULL};
    fx_run(&p, none, NULL, RUN_MS);
    expect_true(p.status == 2 && strstr(p.err_text, "usage: client") != NULL,
                "#the-command-line-client",
                "client with no arguments: exit %d, stderr \"%s\"", p.status,
                p.err_text);
    fx_proc_free(&p);

    const char *help[] = {"client", "--help", NULL};
    fx_run(&p, help, NULL, RUN_MS);
    expect_true(p.status == 0 && strstr(p.out_text, "usage: client") != NULL,
                "#the-command-line-client", "client --help: exit %d", p.status);
    fx_proc_free(&p);

    const char *bad[][5] = {
        {"client", "frobnicate", NULL},
        {"client", "unary", NULL},
        {"client", "user", "1", "2", NULL},
        {"client", "--colour", "red", "unary", NULL},
        {"client", "--timeout", "soon", "unary", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx_run(&p, bad[i], NULL, RUN_MS);
        expect_true(p.status == 2 && strstr(p.err_text, "usage:") != NULL,
                    "#the-command-line-client",
                    "client %s %s: exit %d, expected 2 with the usage",
                    bad[i][1], bad[i][2] ? bad[i][2] : "", p.status);
        fx_proc_free(&p);
    }
}

/* ---- the commands ------------------------------------------------------ */

static void test_cli_hello_and_unary(void **state)
{
    (void)state;
    fx_watchdog(60, "#the-command-line-client");
    fx_server srv;
    fx_server_start(&srv, "server");
    fx_proc p;
    const char *hello[] = {"hello", NULL};
    run_client(&p, srv.target, hello, NULL);
    expect_run(&p, "hello", 0, "Response: Processed: test-123\n", "",
               "#the-outlines-main-in-c");
    const char *unary[] = {"unary", "abc", "5", NULL};
    run_client(&p, srv.target, unary, NULL);
    int32_t value = srv.st.last_value;
    expect_run(&p, "unary abc 5", 0, "Processed: abc\n", "",
               "#reading-the-response");
    expect_int(value, 5, "#reading-the-response");
    fx_server_free(&srv);
}

/* needs: errors.c */
static void test_cli_user(void **state)
{
    (void)state;
    fx_watchdog(60, "#the-command-line-client");
    fx_server srv;
    fx_server_start(&srv, "server");
    fx_proc p;
    const char *one[] = {"user", "1", NULL};
    run_client(&p, srv.target, one, NULL);
    expect_run(&p, "user 1", 0,
               "user 1: Alice <alice@example.com>, ROLE_ADMIN\n", "",
               "#getuser-and-its-errors");
    const char *missing[] = {"user", "42", NULL};
    run_client(&p, srv.target, missing, NULL);
    expect_run(&p, "user 42", 1, "",
               "error: Not found: user 42 not found (NOT_FOUND)\n",
               "#what-to-show");
    const char *empty[] = {"user", "", NULL};
    run_client(&p, srv.target, empty, NULL);
    expect_run(
        &p, "user \"\"", 1, "",
        "error: Invalid request: user_id is required (INVALID_ARGUMENT)\n",
        "#what-to-show");
    fx_server_free(&srv);
}

/* exercise: server_stream.c */
/* needs: client_stream.c bidi.c */
static void test_cli_streams(void **state)
{
    (void)state;
    fx_watchdog(60, "#the-command-line-client");
    fx_server srv;
    fx_server_start(&srv, "server");
    fx_proc p;
    const char *stream[] = {"stream", "s", "3", NULL};
    run_client(&p, srv.target, stream, NULL);
    expect_run(&p, "stream s 3", 0,
               "Processed: s #1\nProcessed: s #2\nProcessed: s #3\n", "",
               "#until-the-end-of-the-stream");
    const char *notify[] = {"notify", "alice", "2", NULL};
    run_client(&p, srv.target, notify, NULL);
    expect_run(&p, "notify alice 2", 0,
               "#1 [n-1] Notification 1 for alice\n"
               "#2 [n-2] Notification 2 for alice\n",
               "", "#until-the-end-of-the-stream");
    const char *sum[] = {"sum", "s", "1", "2", "3", NULL};
    run_client(&p, srv.target, sum, NULL);
    expect_run(&p, "sum s 1 2 3", 0, "Processed 3 requests, total value 6\n",
               "", "#sending-a-stream");
    const char *echo[] = {"echo", "a", "b", NULL};
    run_client(&p, srv.target, echo, NULL);
    expect_run(&p, "echo a b", 0, "Processed: a\nProcessed: b\n", "",
               "#lock-step");
    fx_server_free(&srv);
}

/* exercise: client_stream.c */
static void test_cli_upload(void **state)
{
    (void)state;
    fx_watchdog(60, "#reading-a-file-in-chunks");
    fx_server srv;
    fx_server_start(&srv, "files");
    char path[512], id[17], want[256];
    uint64_t fnv;
    fx_temp_file(path, sizeof path, "cli.bin", 5000, 11, &fnv);
    svc_fnv_hex(fnv, id);
    snprintf(want, sizeof want,
             "uploaded %d-cli.bin: 5000 bytes in 5 chunks, file id %s\n",
             (int)getpid(), id);
    fx_proc p;
    const char *upload[] = {"upload", path, "1000", NULL};
    run_client(&p, srv.target, upload, NULL);
    unlink(path);
    uint64_t got = srv.st.fnv;
    fx_server_free(&srv);
    expect_run(&p, "upload PATH 1000", 0, want, "",
               "#reading-a-file-in-chunks");
    expect_true(got == fnv, "#reading-a-file-in-chunks",
                "the server did not receive the file's bytes");
}

/* exercise: bidi.c */
static void test_cli_chat_two_members(void **state)
{
    (void)state;
    fx_watchdog(60, "#two-threads");
    fx_server srv;
    fx_server_start(&srv, "room");
    const char *alice_argv[] = {"client", "--target", srv.target,
                                "chat",   "alice",    NULL};
    const char *bob_argv[] = {"client", "--target", srv.target,
                              "chat",   "bob",      NULL};
    fx_proc a, b;
    fx_proc_start(&a, alice_argv);
    fx_proc_write(&a, "hello\n");
    /* Alice sees her own line come back: she is in the room. */
    bool a1 = fx_proc_wait_output(&a, "[alice]: hello\n", RUN_MS);
    fx_proc_start(&b, bob_argv);
    fx_proc_write(&b, "hi alice\n");
    /* Bob joined before his line reached the room, and alice, whose input
     * is still open, hears him. */
    bool a2 = a1 && fx_proc_wait_output(&a, "[bob]: hi alice\n", RUN_MS);
    fx_proc_close_stdin(&b);
    fx_proc_wait(&b, RUN_MS);
    fx_proc_close_stdin(&a);
    fx_proc_wait(&a, RUN_MS);
    int members = svc_get(&srv.st, &srv.st.members);
    fx_server_free(&srv);
    char a_out[512], a_err[512];
    snprintf(a_out, sizeof a_out, "%s", a.out_text);
    snprintf(a_err, sizeof a_err, "%s", a.err_text);
    /* Both runs checked (and freed) before anything fails the test. */
    char a_msg[2048], b_msg[2048];
    bool a_ok = run_ok(&a, "chat alice", 0, "[alice]: hello\n[bob]: hi alice\n",
                       "", a_msg, sizeof a_msg);
    bool b_ok =
        run_ok(&b, "chat bob", 0, "[bob]: hi alice\n", "", b_msg, sizeof b_msg);
    char q1[600], q2[600];
    expect_true(a1 && a2, "#two-threads",
                "while her input was open, client chat alice printed %s "
                "(stderr %s)",
                fx_quote(a_out, q1, sizeof q1), fx_quote(a_err, q2, sizeof q2));
    if (!a_ok)
        expect_fail("#ending-a-chat", "%s", a_msg);
    if (!b_ok)
        expect_fail("#ending-a-chat", "%s", b_msg);
    expect_int(members, 0, "#ending-a-chat");
}

/* needs: errors.c */
static void test_cli_server_down(void **state)
{
    (void)state;
    fx_watchdog(60, "#waiting-for-ready");
    char dead[64];
    fx_dead_target(dead, sizeof dead);
    fx_proc p;
    const char *args[] = {"--timeout", "300", "unary", "x", NULL};
    run_client(&p, dead, args, NULL);
    expect_run(&p, "--timeout 300 unary x (no server)", 1, "",
               "error: Service unavailable, try again later (UNAVAILABLE)\n",
               "#waiting-for-ready");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_usage),
        cmocka_unit_test(test_cli_hello_and_unary),
        cmocka_unit_test(test_cli_user),
        cmocka_unit_test(test_cli_streams),
        cmocka_unit_test(test_cli_upload),
        cmocka_unit_test(test_cli_chat_two_members),
        cmocka_unit_test(test_cli_server_down),
    };
    return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
