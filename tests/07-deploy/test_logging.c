/*
 * test_logging.c: exercise 4, the logging interceptor (log_interceptor.c):
 * the level of each outcome, then the lines it writes for real calls to a
 * server in this process (its log goes to a temporary file), then the
 * program's stderr.
 */
#define LESSON_PAGE "steps/07-deploy.md"
#define EXERCISE_FILE "log_interceptor.c"
#include "lesson.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define UNARY TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD

/* The value of key=... in a logfmt line (up to the next space, or the
 * closing quote of a quoted value), into buf; NULL when absent. */
static const char *field(const char *line, const char *key, char *buf,
                         size_t cap)
{
    size_t n = strlen(key);
    for (const char *p = line; (p = strstr(p, key)) != NULL; p += n) {
        if ((p != line && p[-1] != ' ') || p[n] != '=')
            continue;
        const char *v = p + n + 1, *end;
        if (*v == '"') {
            for (end = v + 1; *end != '\0' && *end != '"'; end++)
                if (*end == '\\' && end[1] != '\0')
                    end++;
            if (*end == '"')
                end++;
        } else {
            end = v + strcspn(v, " \n");
        }
        snprintf(buf, cap, "%.*s", (int)(end - v), v);
        return buf;
    }
    return NULL;
}

/* The lines of text that contain `needle`, counted; the first one copied
 * into line[cap] (without its newline). */
static int lines_with(const char *text, const char *needle, char *line,
                      size_t cap)
{
    int count = 0;
    line[0] = '\0';
    for (const char *p = text; *p != '\0';) {
        const char *eol = strchr(p, '\n');
        size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
        char buf[4096];
        snprintf(buf, sizeof buf, "%.*s", (int)len, p);
        if (strstr(buf, needle) != NULL) {
            if (count++ == 0)
                snprintf(line, cap, "%s", buf);
        }
        p += len + (eol != NULL);
    }
    return count;
}

static cg_status unary(cg_channel *ch, const char *id)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    cg_call_opts o = deadline_ms(WAIT_MS);
    return tutorial__v1__my_service_client__unary_call(ch, &req, NULL, &o);
}

static cg_status get_user(cg_channel *ch, const char *id)
{
    Tutorial__V1__GetUserRequest req = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    req.user_id = (char *)id;
    cg_call_opts o = deadline_ms(WAIT_MS);
    return tutorial__v1__user_service_client__get_user(ch, &req, NULL, &o);
}

/* ---- levels ------------------------------------------------------------------ */

static void test_logging_level_for_each_code(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        grpc_status_code code;
        log_level want;
    } cases[] = {
        {"/tutorial.v1.MyService/UnaryCall", GRPC_STATUS_OK, LOG_LEVEL_INFO},
        {"/grpc.health.v1.Health/Check", GRPC_STATUS_OK, LOG_LEVEL_DEBUG},
        {"/grpc.health.v1.Health/Watch", GRPC_STATUS_OK, LOG_LEVEL_DEBUG},
        {"/grpc.health.v1.Health/Check", GRPC_STATUS_NOT_FOUND, LOG_LEVEL_INFO},
        {"/grpc.health.v1.Health/Watch", GRPC_STATUS_UNAVAILABLE,
         LOG_LEVEL_WARN},
        {"/x.Y/Z", GRPC_STATUS_CANCELLED, LOG_LEVEL_INFO},
        {"/x.Y/Z", GRPC_STATUS_INVALID_ARGUMENT, LOG_LEVEL_INFO},
        {"/x.Y/Z", GRPC_STATUS_NOT_FOUND, LOG_LEVEL_INFO},
        {"/x.Y/Z", GRPC_STATUS_ALREADY_EXISTS, LOG_LEVEL_INFO},
        {"/x.Y/Z", GRPC_STATUS_UNAUTHENTICATED, LOG_LEVEL_INFO},
        {"/x.Y/Z", GRPC_STATUS_DEADLINE_EXCEEDED, LOG_LEVEL_WARN},
        {"/x.Y/Z", GRPC_STATUS_PERMISSION_DENIED, LOG_LEVEL_WARN},
        {"/x.Y/Z", GRPC_STATUS_RESOURCE_EXHAUSTED, LOG_LEVEL_WARN},
        {"/x.Y/Z", GRPC_STATUS_FAILED_PRECONDITION, LOG_LEVEL_WARN},
        {"/x.Y/Z", GRPC_STATUS_ABORTED, LOG_LEVEL_WARN},
        {"/x.Y/Z", GRPC_STATUS_OUT_OF_RANGE, LOG_LEVEL_WARN},
        {"/x.Y/Z", GRPC_STATUS_UNAVAILABLE, LOG_LEVEL_WARN},
        {"/x.Y/Z", GRPC_STATUS_UNKNOWN, LOG_LEVEL_ERROR},
        {"/x.Y/Z", GRPC_STATUS_UNIMPLEMENTED, LOG_LEVEL_ERROR},
        {"/x.Y/Z", GRPC_STATUS_INTERNAL, LOG_LEVEL_ERROR},
        {"/x.Y/Z", GRPC_STATUS_DATA_LOSS, LOG_LEVEL_ERROR},
        {"/x.Y/Z", (grpc_status_code)42, LOG_LEVEL_ERROR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        log_level got = log_level_for(cases[i].path, cases[i].code);
        expect_true(got == cases[i].want, "#levels",
                    "log_level_for(\"%s\", %s): expected %s, got %s",
                    cases[i].path, cg_status_name(cases[i].code),
                    log_level_name(cases[i].want), log_level_name(got));
    }
}

/* ---- the lines ---------------------------------------------------------------- */

static void test_logging_line_of_a_call(void **state)
{
    (void)state;
    test_server ts;
    test_server_opts o = {.log = true, .log_min = LOG_LEVEL_INFO};
    test_server_start(&ts, &o);
    cg_status st = unary(ts.ch, "log-me");
    char *log = test_server_log(&ts);
    test_server_stop(&ts);

    char line[4096], v[512], want_peer[64];
    int n =
        lines_with(log, "/tutorial.v1.MyService/UnaryCall", line, sizeof line);
    free(log);
    expect_code_as(st, GRPC_STATUS_OK, "#exercise-4-the-logging-interceptor",
                   "UnaryCall through the logging server");
    expect_int(n, 1, "#exercise-4-the-logging-interceptor");
    expect_str_as(field(line, "level", v, sizeof v), "info", "#levels",
                  "the level= field of an OK call's line");
    expect_str_as(field(line, "replica", v, sizeof v), "test-replica",
                  "#exercise-4-the-logging-interceptor",
                  "the replica= field of the call's line");
    expect_str_as(field(line, "method", v, sizeof v),
                  "/tutorial.v1.MyService/UnaryCall",
                  "#exercise-4-the-logging-interceptor",
                  "the method= field of the call's line");
    expect_str_as(field(line, "code", v, sizeof v), "OK",
                  "#exercise-4-the-logging-interceptor",
                  "the code= field of the call's line");
    const char *d = field(line, "duration_ms", v, sizeof v);
    char *end = NULL;
    double ms = d != NULL ? strtod(d, &end) : -1;
    expect_true(d != NULL && *end == '\0' && ms >= 0 && ms < WAIT_MS,
                "#exercise-4-the-logging-interceptor",
                "duration_ms should be a number of milliseconds; line: %s",
                line);
    const char *dot = d != NULL ? strchr(d, '.') : NULL;
    expect_true(dot != NULL && strlen(dot + 1) == 3,
                "#exercise-4-the-logging-interceptor",
                "duration_ms should have 3 decimals (\"%%.3f\"); line: %s",
                line);
    snprintf(want_peer, sizeof want_peer, "ipv4:127.0.0.1:");
    const char *peer = field(line, "peer", v, sizeof v);
    expect_true(peer != NULL &&
                    strncmp(peer, want_peer, strlen(want_peer)) == 0,
                "#exercise-4-the-logging-interceptor",
                "peer should be the client's address (cg_ctx_peer), "
                "ipv4:127.0.0.1:<port>; line: %s",
                line);
    expect_true(field(line, "message", v, sizeof v) == NULL,
                "#exercise-4-the-logging-interceptor",
                "a successful call has no message field; line: %s", line);
}

static void test_logging_errors_and_levels(void **state)
{
    (void)state;
    test_server ts;
    test_server_opts o = {.log = true, .log_min = LOG_LEVEL_INFO};
    test_server_start(&ts, &o);
    cg_status bad = unary(ts.ch, "");           /* INVALID_ARGUMENT: info */
    cg_status broken = get_user(ts.ch, "fail"); /* INTERNAL: error */
    char *log = test_server_log(&ts);
    test_server_stop(&ts);

    char line[4096], v[512];
    int n_bad = lines_with(log, "code=INVALID_ARGUMENT", line, sizeof line);
    const char *lvl = field(line, "level", v, sizeof v);
    char bad_level[64];
    snprintf(bad_level, sizeof bad_level, "%s", lvl ? lvl : "(none)");
    char msg[512];
    snprintf(msg, sizeof msg, "%s",
             field(line, "message", v, sizeof v) ? v : "(none)");
    int n_broken = lines_with(log, "code=INTERNAL", line, sizeof line);
    lvl = field(line, "level", v, sizeof v);
    char broken_level[64];
    snprintf(broken_level, sizeof broken_level, "%s", lvl ? lvl : "(none)");
    free(log);

    expect_code(bad, GRPC_STATUS_INVALID_ARGUMENT,
                "#exercise-4-the-logging-interceptor");
    expect_code(broken, GRPC_STATUS_INTERNAL,
                "#exercise-4-the-logging-interceptor");
    expect_int(n_bad, 1, "#exercise-4-the-logging-interceptor");
    expect_str(bad_level, "info", "#levels");
    expect_str(msg, "\"id is required\"",
               "#exercise-4-the-logging-interceptor");
    expect_int(n_broken, 1, "#exercise-4-the-logging-interceptor");
    expect_str(broken_level, "error", "#levels");
}

static void test_logging_min_level_filters(void **state)
{
    (void)state;
    test_server ts;
    test_server_opts o = {.log = true, .log_min = LOG_LEVEL_WARN};
    test_server_start(&ts, &o);
    health_set(&ts.health, "", HEALTH_SERVING);
    unary(ts.ch, "quiet");     /* info: dropped */
    get_user(ts.ch, "nobody"); /* NOT_FOUND, info: dropped */
    get_user(ts.ch, "fail");   /* INTERNAL, error: written */
    char *warn_log = test_server_log(&ts);
    test_server_stop(&ts);

    /* At debug, even health checks are written. */
    o.log_min = LOG_LEVEL_DEBUG;
    test_server_start(&ts, &o);
    health_set(&ts.health, "", HEALTH_SERVING);
    Grpc__Health__V1__HealthCheckRequest req =
        GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    cg_call_opts dl = deadline_ms(WAIT_MS);
    cg_status hc =
        grpc__health__v1__health_client__check(ts.ch, &req, NULL, &dl);
    char *debug_log = test_server_log(&ts);
    test_server_stop(&ts);

    char line[4096], v[64];
    int quiet = lines_with(warn_log, "/tutorial.v1.MyService/UnaryCall", line,
                           sizeof line);
    int nobody = lines_with(warn_log, "code=NOT_FOUND", line, sizeof line);
    int errors = lines_with(warn_log, "code=INTERNAL", line, sizeof line);
    int health = lines_with(debug_log, "/grpc.health.v1.Health/Check", line,
                            sizeof line);
    char health_level[64];
    snprintf(health_level, sizeof health_level, "%s",
             field(line, "level", v, sizeof v) ? v : "(none)");
    free(warn_log);
    free(debug_log);

    expect_int(quiet, 0, "#levels");
    expect_int(nobody, 0, "#levels");
    expect_int(errors, 1, "#levels");
    expect_true(hc.code == GRPC_STATUS_OK ||
                    hc.code == GRPC_STATUS_UNIMPLEMENTED,
                "#levels", "Check failed: %s", hc.message);
    expect_int(health, 1, "#levels");
    expect_str(health_level, hc.code == GRPC_STATUS_OK ? "debug" : "error",
               "#levels");
}

static void test_logging_escapes_client_text(void **state)
{
    (void)state;
    test_server ts;
    test_server_opts o = {.log = true, .log_min = LOG_LEVEL_INFO};
    test_server_start(&ts, &o);
    /* A user id that tries to forge a log line of its own. */
    cg_status st = get_user(ts.ch, "x\nlevel=error forged=\"yes\"");
    char *log = test_server_log(&ts);
    test_server_stop(&ts);
    char line[4096];
    int forged = lines_with(log, "forged", line, sizeof line);
    int starts = 0;
    for (const char *p = log; (p = strstr(p, "ts=")) != NULL; p++)
        starts += p == log || p[-1] == '\n';
    int newlines = 0;
    for (const char *p = log; *p != '\0'; p++)
        newlines += *p == '\n';
    free(log);
    expect_code_as(st, GRPC_STATUS_NOT_FOUND,
                   "#exercise-4-the-logging-interceptor",
                   "GetUser with a newline in the user id");
    expect_int(forged, 1, "#exercise-4-the-logging-interceptor");
    expect_true(strstr(line, "method=/tutorial.v1.UserService/GetUser") !=
                        NULL &&
                    strstr(line, "\\n") != NULL &&
                    strstr(line, "forged=\\\"yes\\\"") != NULL,
                "#exercise-4-the-logging-interceptor",
                "the client's text belongs inside the quoted message, its "
                "newline and quotes escaped (log_quote); the line was: %s",
                line);
    expect_int(newlines, starts, "#exercise-4-the-logging-interceptor");
}

static void test_logging_duration_is_measured(void **state)
{
    (void)state;
    test_server ts;
    /* 3 notifications: two pauses of 60 ms, 120 ms. */
    test_server_opts o = {
        .log = true, .log_min = LOG_LEVEL_INFO, .notes_interval_ms = 60};
    test_server_start(&ts, &o);
    Tutorial__V1__StreamRequest req = TUTORIAL__V1__STREAM_REQUEST__INIT;
    req.user_id = "slow";
    req.max_count = 3;
    cg_call_opts dl = deadline_ms(WAIT_MS);
    cg_status st = cg_call_finish(
        tutorial__v1__notification_service_client__stream_notifications(
            ts.ch, &req, &dl));
    char *log = test_server_log(&ts);
    test_server_stop(&ts);
    char line[4096], v[64];
    lines_with(log, "StreamNotifications", line, sizeof line);
    const char *d = field(line, "duration_ms", v, sizeof v);
    double ms = d != NULL ? atof(d) : -1;
    free(log);
    expect_code_as(
        st, GRPC_STATUS_OK, "#exercise-4-the-logging-interceptor",
        "StreamNotifications (two pauses of 60 ms) through the logging server");
    expect_true(ms >= 119 && ms < 5000, "#exercise-4-the-logging-interceptor",
                "a call that pauses twice for 60 ms should log a duration of "
                "at least 120 ms; the line was: %s",
                line);
}

/* ---- the program --------------------------------------------------------------- */

/* needs: config.c */
static void test_logging_program_writes_stderr(void **state)
{
    (void)state;
    static const char *const env[] = {"HOST=127.0.0.1",        "PORT=0",
                                      "METRICS_PORT=off",      "LOG_LEVEL=info",
                                      "REPLICA_NAME=log-test", NULL};
    program pg;
    char why[20000];
    bool up = program_start(&pg, env, NULL, false, why, sizeof why);
    expect_true(up, "#running-the-program", "%s", why);
    cg_channel *ch = cg_channel_new(pg.target, NULL, NULL);
    cg_status st = unary(ch, "from-the-test");
    cg_channel_free(ch);
    /* The line is written before the answer leaves: it is there now. */
    proc_signal(&pg.p, SIGKILL);
    proc_wait(&pg.p, WAIT_MS);
    char line[4096];
    int n = lines_with(pg.p.err, "method=/tutorial.v1.MyService/UnaryCall",
                       line, sizeof line);
    program_end(&pg);
    expect_code_as(st, GRPC_STATUS_OK, "#exercise-4-the-logging-interceptor",
                   "UnaryCall on the running program");
    expect_int(n, 1, "#exercise-4-the-logging-interceptor");
    expect_true(strstr(line, "replica=log-test") != NULL &&
                    strstr(line, "code=OK") != NULL,
                "#exercise-4-the-logging-interceptor",
                "the program's line on stderr: %s", line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logging_level_for_each_code),
        cmocka_unit_test(test_logging_line_of_a_call),
        cmocka_unit_test(test_logging_errors_and_levels),
        cmocka_unit_test(test_logging_min_level_filters),
        cmocka_unit_test(test_logging_escapes_client_text),
        cmocka_unit_test(test_logging_duration_is_measured),
        cmocka_unit_test(test_logging_program_writes_stderr),
    };
    return cmocka_run_group_tests(tests, grpc_suite_setup, grpc_suite_teardown);
}
