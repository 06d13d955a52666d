/*
 * harness.h: what step 07's suites share.
 *
 *  - from step 04's tests/04-server/fixture.h: WAIT_MS, and its names for
 *    helpers every suite shares (tests/common/testutil.h, linked in):
 *    now_ms, deadline_ms, wait_until, grpc_group_setup/teardown;
 *  - expect_code, a status check that prints both codes' names and the
 *    message, then the lesson section (see lesson.h).
 *  - test_server: the step's server assembled in this process on
 *    127.0.0.1:0, with the interceptors a suite asks for, writing its log to
 *    a temporary file the test reads back, and a channel to it.
 *  - program: the step's program (build/.../server) started as a child
 *    process with an environment of the test's choosing, and the port
 *    numbers read from its "listening on" and "metrics on" lines.
 *  - http_get: one raw HTTP request, for the /metrics endpoint.
 *  - prom_value: one sample out of Prometheus text.
 *
 * Include after lesson.h: the macros use its expect_fail.
 */
#ifndef STEP07_HARNESS_H
#define STEP07_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cgrpc.h>

#include "../04-server/fixture.h"
#include "../04-server/proc.h"
#include "app.h"
#include "my_service.h"
#include "replica.h"
#include "user_service.h"

/* Fails unless status `st` has code `want`. The _as form names the call
 * in the learner's terms (printf style, as lesson.h's expect_int_as). */
#define expect_code(st, want, section)                                         \
    expect_code_as(st, want, section, "%s", #st)

#define expect_code_as(st, want, section, ...)                                 \
    do {                                                                       \
        cg_status s_ = (st);                                                   \
        grpc_status_code w_ = (want);                                          \
        if (s_.code != w_) {                                                   \
            char what_[LESSON_WHAT_MAX];                                       \
            lesson_what(what_, __VA_ARGS__);                                   \
            expect_fail(section,                                               \
                        "%s: expected status %s, got %s\n"                     \
                        "    with the message \"%s\"",                         \
                        what_, cg_status_name(w_), cg_status_name(s_.code),    \
                        s_.message);                                           \
        }                                                                      \
    } while (0)

/* Group setup and teardown for suites that use gRPC: step 04's
 * grpc_group_setup and grpc_group_teardown (one grpc_init for the suite,
 * and at the end a bounded wait for gRPC's last threads), plus: SIGPIPE
 * ignored, and every program a test left running ended. */
int grpc_suite_setup(void **state);
int grpc_suite_teardown(void **state);

/* ---- the server in this process --------------------------------------- */

typedef struct test_server_opts {
    bool log;            /* log_interceptor, writing to a temp file */
    log_level log_min;   /* its level (0 = debug) */
    bool metrics;        /* metrics_interceptor */
    cg_tracer *tracer;   /* tracing_interceptor with it, outermost, or NULL */
    const char *replica; /* replica_interceptor with this name, or NULL */
    const char
        *auth_tokens;      /* auth_interceptor with this AUTH_TOKENS, or NULL */
    int notes_interval_ms; /* NotificationService's pause (set before the
                              server starts: its handler threads read it) */
} test_server_opts;

typedef struct test_server {
    cg_server *srv;
    cg_channel *ch;
    int port;
    char target[64];
    FILE *log_file;
    logger log;
    metrics_registry metrics;
    health_state health;
    auth_table auth;
    char replica[64];
    notification_settings notes; /* interval 0: no pause */
    upload_settings uploads;
    chat_room room;
} test_server;

/* Starts the five course services and the health service (nothing SERVING
 * yet: tests set what they need) with the interceptors opts asks for, in
 * the order the program uses (tracing, replica, log, metrics, auth). GetUser's
 * repository is the sample one, except that user id "fail" makes it fail
 * (INTERNAL). Fails the test when the server cannot start. */
void test_server_start(test_server *ts, const test_server_opts *opts);
void test_server_stop(test_server *ts);

/* Everything logged so far (malloc'd; free it). */
char *test_server_log(test_server *ts);

/* ---- the program as a child process ---------------------------------- */

typedef struct program {
    proc p;
    int port;         /* from "listening on 127.0.0.1:PORT" */
    int metrics_port; /* from "metrics on 127.0.0.1:PORT", or 0 */
    char target[64];  /* "127.0.0.1:PORT" */
} program;

/* Starts the step's program with exactly the environment env (a
 * NULL-terminated list of "NAME=value"; nothing is inherited) and the
 * arguments args (NULL-terminated, may be NULL), and waits for its
 * "listening on" line and, when want_metrics, its "metrics on" line. false
 * when they do not come: why[why_len] says what happened, and the process
 * has been ended. Every program started is ended by grpc_suite_teardown
 * at the latest. */
bool program_start(program *pg, const char *const env[],
                   const char *const args[], bool want_metrics, char *why,
                   size_t why_len);

/* Starts the program like program_start but waits only for it to exit
 * (up to timeout_ms) or to print "listening on" (then *started is true and
 * it is ended). For bad configurations. */
bool program_run_to_exit(program *pg, const char *const env[],
                         const char *const args[], int timeout_ms,
                         bool *started);

/* Kills (if still running) and reaps the program. Safe to call twice. */
void program_end(program *pg);

/* ---- HTTP and Prometheus text ------------------------------------------ */

/* Sends `request` (raw bytes) to 127.0.0.1:port and reads the answer until
 * the server closes, into resp[cap] (NUL-terminated). Returns the HTTP
 * status code, 0 when the answer is not HTTP, -1 when the connection
 * failed. *body (may be NULL) points at the body inside resp. */
int http_request(int port, const char *request, size_t len, char *resp,
                 size_t cap, const char **body, int timeout_ms);

/* GET /metrics; status code as http_request. */
int http_get_metrics(int port, char *resp, size_t cap, const char **body);

/* The value of the first sample named `name` (exactly) in Prometheus text
 * whose labels include every `key="value"` pair of `labels` (pairs joined
 * by commas, as they appear in the text; "" matches any), or -1 when no
 * sample matches. */
double prom_value(const char *text, const char *name, const char *labels);

#endif
