/*
 * test_replica.c: exercise 7, the x-replica response header (replica.c),
 * on unary and streaming calls to a server in this process, then on the
 * program with REPLICA_NAME.
 */
#define LESSON_PAGE "steps/07-deploy.md"
#define EXERCISE_FILE "replica.c"
#include "lesson.h"

#include <stdio.h>
#include <string.h>

#include "harness.h"

#define UNARY TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD

/* The x-replica header of a UnaryCall("r") on ch (NULL if none), copied
 * into buf; *st receives the call's status. */
static const char *header_of_unary(cg_channel *ch, char *buf, size_t cap,
                                   cg_status *st)
{
    cg_call_opts o = deadline_ms(WAIT_MS);
    cg_call *c = cg_call_start(ch, UNARY, &o);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "r";
    cg_call_send(c, &req);
    cg_call_close_send(c);
    cg_call_recv(c);
    const char *h = cg_call_header(c, REPLICA_HEADER, NULL);
    if (h != NULL)
        snprintf(buf, cap, "%s", h);
    *st = cg_call_finish(c);
    return h != NULL ? buf : NULL;
}

static void test_replica_header_on_unary_calls(void **state)
{
    (void)state;
    test_server ts;
    test_server_opts o = {.replica = "replica-7"};
    test_server_start(&ts, &o);
    char buf[128];
    cg_status st1, st2;
    const char *h1 = header_of_unary(ts.ch, buf, sizeof buf, &st1);
    char first[128];
    snprintf(first, sizeof first, "%s", h1 ? h1 : "(none)");
    const char *h2 = header_of_unary(ts.ch, buf, sizeof buf, &st2);
    test_server_stop(&ts);
    expect_code_as(st1, GRPC_STATUS_OK, "#exercise-7-which-replica-answered",
                   "the first UnaryCall");
    const char *first_call_header = h1 ? first : NULL;
    expect_str(first_call_header, "replica-7",
               "#exercise-7-which-replica-answered");
    expect_code_as(st2, GRPC_STATUS_OK, "#exercise-7-which-replica-answered",
                   "the second UnaryCall");
    const char *second_call_header = h2;
    expect_str(second_call_header, "replica-7",
               "#exercise-7-which-replica-answered");
}

static void test_replica_header_on_streams(void **state)
{
    (void)state;
    test_server ts;
    test_server_opts o = {.replica = "replica-s"};
    test_server_start(&ts, &o);
    Tutorial__V1__StreamRequest req = TUTORIAL__V1__STREAM_REQUEST__INIT;
    req.user_id = "u";
    req.max_count = 3;
    cg_call_opts dl = deadline_ms(WAIT_MS);
    cg_call *c =
        tutorial__v1__notification_service_client__stream_notifications(
            ts.ch, &req, &dl);
    int n = 0;
    while (cg_call_recv(c) != NULL)
        n++;
    const char *h = cg_call_header(c, REPLICA_HEADER, NULL);
    char got[128] = "";
    if (h != NULL)
        snprintf(got, sizeof got, "%s", h);
    cg_status st = cg_call_finish(c);
    test_server_stop(&ts);
    expect_code_as(st, GRPC_STATUS_OK, "#exercise-7-which-replica-answered",
                   "the ServerStream call");
    expect_int(n, 3, "#exercise-7-which-replica-answered");
    const char *stream_header = h != NULL ? got : NULL;
    expect_str(stream_header, "replica-s",
               "#exercise-7-which-replica-answered");
}

/* needs: config.c */
static void test_replica_program_header(void **state)
{
    (void)state;
    static const char *const env[] = {"HOST=127.0.0.1", "PORT=0",
                                      "METRICS_PORT=off",
                                      "REPLICA_NAME=grpc-server-2", NULL};
    program pg;
    char why[20000];
    bool up = program_start(&pg, env, NULL, false, why, sizeof why);
    expect_true(up, "#running-the-program", "%s", why);
    cg_channel *ch = cg_channel_new(pg.target, NULL, NULL);
    char buf[128];
    cg_status st;
    const char *h = header_of_unary(ch, buf, sizeof buf, &st);
    cg_channel_free(ch);
    program_end(&pg);
    expect_code_as(st, GRPC_STATUS_OK, "#exercise-7-which-replica-answered",
                   "UnaryCall on the running program");
    expect_str(h, "grpc-server-2", "#exercise-7-which-replica-answered");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replica_header_on_unary_calls),
        cmocka_unit_test(test_replica_header_on_streams),
        cmocka_unit_test(test_replica_program_header),
    };
    return cmocka_run_group_tests(tests, grpc_suite_setup, grpc_suite_teardown);
}
