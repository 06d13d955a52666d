/*
 * test_auth.c: exercise 6, token auth (auth.c): auth_check's decision for
 * every kind of credential, then the interceptor in front of real calls,
 * then the program with AUTH_TOKENS. The given parsing of AUTH_TOKENS and
 * the constant-time lookup are checked first.
 */
#define LESSON_PAGE "steps/07-deploy.md"
#define EXERCISE_FILE "auth.c"
#include "lesson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TOKENS "admin-token-1=admin,reader-token-2=reader"
#define GET_USER "/tutorial.v1.UserService/GetUser"
#define UPLOAD "/tutorial.v1.FileService/UploadFile"
#define CHAT "/tutorial.v1.ChatService/Chat"
#define HEALTH_CHECK "/grpc.health.v1.Health/Check"

static auth_table table(void)
{
    auth_table t;
    char err[256];
    if (auth_parse(&t, TOKENS, err, sizeof err) != 0)
        fail_msg("auth_parse(%s): %s", TOKENS, err);
    return t;
}

/* auth_check(path, authorization) must end with `want`, and its message
 * must not repeat the token. */
static void expect_decision(const auth_table *t, const char *path,
                            const char *authorization, grpc_status_code want)
{
    cg_status st = auth_check(t, path, authorization);
    expect_true(st.code == want, "#unauthenticated-or-permission_denied",
                "auth_check(\"%s\", %s%s%s): expected %s, got %s \"%s\"", path,
                authorization ? "\"" : "",
                authorization ? authorization : "NULL",
                authorization ? "\"" : "", cg_status_name(want),
                cg_status_name(st.code), st.message);
    const char *token = authorization ? strrchr(authorization, ' ') : NULL;
    if (token != NULL && strlen(token + 1) >= 6)
        expect_true(strstr(st.message, token + 1) == NULL,
                    "#tokens-are-secrets",
                    "the message \"%s\" repeats the "
                    "token: messages end up in logs",
                    st.message);
}

/* ---- given: AUTH_TOKENS and the lookup ------------------------------------- */

static void test_auth_parse_tokens(void **state)
{
    (void)state;
    auth_table t;
    char err[256] = "";
    int rc = auth_parse(&t, " one-token=admin , two=reader,3=reader ", err,
                        sizeof err);
    expect_int(rc, 0, "#exercise-6-token-auth");
    expect_int(t.n, 3, "#exercise-6-token-auth");
    expect_int(auth_lookup(&t, "one-token"), AUTH_ROLE_ADMIN,
               "#exercise-6-token-auth");
    expect_int(auth_lookup(&t, "two"), AUTH_ROLE_READER,
               "#exercise-6-token-auth");
    expect_int(auth_lookup(&t, "3"), AUTH_ROLE_READER,
               "#exercise-6-token-auth");
    expect_int(auth_lookup(&t, "one-toke"), AUTH_ROLE_NONE,
               "#exercise-6-token-auth");
    expect_int(auth_lookup(&t, "one-tokenX"), AUTH_ROLE_NONE,
               "#exercise-6-token-auth");
    expect_int(auth_lookup(&t, ""), AUTH_ROLE_NONE, "#exercise-6-token-auth");

    static const char *const bad[] = {
        "secret-abc",                         /* no role */
        "secret-abc=root",                    /* no such role */
        "=admin",                             /* no token */
        "secret-abc=admin,",                  /* an empty entry */
        "secret-abc=admin,secret-abc=reader", /* twice */
        "sec ret=admin",                      /* a space inside */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rc = auth_parse(&t, bad[i], err, sizeof err);
        expect_true(rc == -1, "#exercise-6-token-auth",
                    "AUTH_TOKENS=%s should be refused", bad[i]);
        expect_true(strstr(err, "AUTH_TOKENS") != NULL &&
                        strstr(err, "secret-abc") == NULL &&
                        strstr(err, "sec ret") == NULL,
                    "#tokens-are-secrets",
                    "the error should name AUTH_TOKENS "
                    "and never show a token; got \"%s\"",
                    err);
    }
}

static void test_auth_policy(void **state)
{
    (void)state;
    expect_int(auth_role_needed(HEALTH_CHECK), AUTH_ROLE_NONE,
               "#exercise-6-token-auth");
    expect_int(auth_role_needed("/grpc.health.v1.Health/Watch"), AUTH_ROLE_NONE,
               "#exercise-6-token-auth");
    expect_int(auth_role_needed(GET_USER), AUTH_ROLE_READER,
               "#exercise-6-token-auth");
    expect_int(auth_role_needed(UPLOAD), AUTH_ROLE_ADMIN,
               "#exercise-6-token-auth");
    expect_int(auth_role_needed(CHAT), AUTH_ROLE_ADMIN,
               "#exercise-6-token-auth");
    expect_int(auth_role_needed("/grpc.health.v1.HealthX/Check"),
               AUTH_ROLE_READER, "#exercise-6-token-auth");
}

/* ---- exercise 6: the decision -------------------------------------------------- */

static void test_auth_check_unauthenticated(void **state)
{
    (void)state;
    auth_table t = table();
    expect_decision(&t, GET_USER, NULL, GRPC_STATUS_UNAUTHENTICATED);
    expect_decision(&t, GET_USER, "", GRPC_STATUS_UNAUTHENTICATED);
    expect_decision(&t, GET_USER, "reader-token-2",
                    GRPC_STATUS_UNAUTHENTICATED);
    expect_decision(&t, GET_USER, "Basic reader-token-2",
                    GRPC_STATUS_UNAUTHENTICATED);
    expect_decision(&t, GET_USER, "Bearer", GRPC_STATUS_UNAUTHENTICATED);
    expect_decision(&t, GET_USER, "Bearer ", GRPC_STATUS_UNAUTHENTICATED);
    expect_decision(&t, GET_USER, "Bearerreader-token-2",
                    GRPC_STATUS_UNAUTHENTICATED);
    expect_decision(&t, GET_USER, "Bearer reader-token-2 extra",
                    GRPC_STATUS_UNAUTHENTICATED);
    expect_decision(&t, GET_USER, "Bearer not-a-token-we-issued",
                    GRPC_STATUS_UNAUTHENTICATED);
    expect_decision(&t, GET_USER, "Bearer reader-token", /* a prefix */
                    GRPC_STATUS_UNAUTHENTICATED);
    expect_decision(&t, UPLOAD, "Bearer not-a-token-we-issued",
                    GRPC_STATUS_UNAUTHENTICATED);
}

static void test_auth_check_permission(void **state)
{
    (void)state;
    auth_table t = table();
    expect_decision(&t, GET_USER, "Bearer reader-token-2", GRPC_STATUS_OK);
    expect_decision(&t, GET_USER, "Bearer admin-token-1", GRPC_STATUS_OK);
    expect_decision(&t, GET_USER, "bearer reader-token-2", GRPC_STATUS_OK);
    expect_decision(&t, GET_USER, "BEARER  reader-token-2", GRPC_STATUS_OK);
    expect_decision(&t, UPLOAD, "Bearer admin-token-1", GRPC_STATUS_OK);
    expect_decision(&t, UPLOAD, "Bearer reader-token-2",
                    GRPC_STATUS_PERMISSION_DENIED);
    expect_decision(&t, CHAT, "Bearer reader-token-2",
                    GRPC_STATUS_PERMISSION_DENIED);
    cg_status st = auth_check(&t, CHAT, "Bearer reader-token-2");
    expect_true(strstr(st.message, "reader") != NULL,
                "#unauthenticated-or-"
                "permission_denied",
                "PERMISSION_DENIED should say which "
                "role was refused; got \"%s\"",
                st.message);
}

static void test_auth_check_health_exempt(void **state)
{
    (void)state;
    auth_table t = table();
    expect_decision(&t, HEALTH_CHECK, NULL, GRPC_STATUS_OK);
    expect_decision(&t, "/grpc.health.v1.Health/Watch", "Basic xyz",
                    GRPC_STATUS_OK);
    /* ... and only health. */
    expect_decision(&t, "/tutorial.v1.MyService/UnaryCall", NULL,
                    GRPC_STATUS_UNAUTHENTICATED);
}

/* ---- exercise 6: the interceptor ------------------------------------------------- */

static cg_status get_user_as(cg_channel *ch, const char *authorization)
{
    Tutorial__V1__GetUserRequest req = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    req.user_id = "1";
    cg_md md = {"authorization", authorization, 0};
    cg_call_opts o = deadline_ms(WAIT_MS);
    if (authorization != NULL) {
        o.metadata = &md;
        o.n_metadata = 1;
    }
    return tutorial__v1__user_service_client__get_user(ch, &req, NULL, &o);
}

static cg_status chat_as(cg_channel *ch, const char *authorization)
{
    cg_md md = {"authorization", authorization, 0};
    cg_call_opts o = deadline_ms(WAIT_MS);
    o.metadata = &md;
    o.n_metadata = 1;
    cg_call *c = tutorial__v1__chat_service_client__chat(ch, &o);
    cg_call_close_send(c);
    return cg_call_finish(c);
}

static void test_auth_interceptor_in_front_of_calls(void **state)
{
    (void)state;
    test_server ts;
    test_server_opts o = {
        .auth_tokens = TOKENS, .log = true, .log_min = LOG_LEVEL_INFO};
    test_server_start(&ts, &o);
    health_set(&ts.health, "", HEALTH_SERVING);
    cg_status none = get_user_as(ts.ch, NULL);
    cg_status wrong = get_user_as(ts.ch, "Bearer guess-guess-guess");
    cg_status reader = get_user_as(ts.ch, "Bearer reader-token-2");
    cg_status chat_reader = chat_as(ts.ch, "Bearer reader-token-2");
    cg_status chat_admin = chat_as(ts.ch, "Bearer admin-token-1");
    Grpc__Health__V1__HealthCheckRequest hreq =
        GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    cg_call_opts dl = deadline_ms(WAIT_MS);
    cg_status health =
        grpc__health__v1__health_client__check(ts.ch, &hreq, NULL, &dl);
    char *log = test_server_log(&ts);
    bool leaked = strstr(log, "guess-guess-guess") != NULL ||
                  strstr(log, "reader-token-2") != NULL;
    free(log);
    test_server_stop(&ts);

    expect_code(none, GRPC_STATUS_UNAUTHENTICATED, "#exercise-6-token-auth");
    expect_code(wrong, GRPC_STATUS_UNAUTHENTICATED, "#exercise-6-token-auth");
    expect_code(reader, GRPC_STATUS_OK, "#exercise-6-token-auth");
    expect_code(chat_reader, GRPC_STATUS_PERMISSION_DENIED,
                "#unauthenticated-or-permission_denied");
    expect_code(chat_admin, GRPC_STATUS_OK, "#exercise-6-token-auth");
    expect_true(health.code != GRPC_STATUS_UNAUTHENTICATED,
                "#exercise-6-token-auth",
                "health checks carry no token and "
                "must pass the auth interceptor; Check got %s",
                cg_status_name(health.code));
    expect_true(!leaked, "#tokens-are-secrets", "a token appears in the log");
}

/* ---- the program ------------------------------------------------------------------- */

/* needs: config.c */
static void test_auth_program(void **state)
{
    (void)state;
    static const char *const env[] = {"HOST=127.0.0.1", "PORT=0",
                                      "METRICS_PORT=off", "AUTH_TOKENS=" TOKENS,
                                      NULL};
    program pg;
    char why[20000];
    bool up = program_start(&pg, env, NULL, false, why, sizeof why);
    expect_true(up, "#running-the-program", "%s", why);
    cg_channel *ch = cg_channel_new(pg.target, NULL, NULL);
    cg_status none = get_user_as(ch, NULL);
    cg_status reader = get_user_as(ch, "Bearer reader-token-2");
    cg_channel_free(ch);
    program_end(&pg);

    /* A bad AUTH_TOKENS stops the program before it listens. */
    static const char *const bad[] = {"HOST=127.0.0.1", "PORT=0",
                                      "METRICS_PORT=off",
                                      "AUTH_TOKENS=top-secret=root", NULL};
    bool started = false;
    bool exited = program_run_to_exit(&pg, bad, NULL, WAIT_MS, &started);
    int code = exited ? proc_exit_code(&pg.p) : -1;
    bool shows_token = strstr(pg.p.err, "top-secret") != NULL;

    expect_code(none, GRPC_STATUS_UNAUTHENTICATED, "#exercise-6-token-auth");
    expect_code(reader, GRPC_STATUS_OK, "#exercise-6-token-auth");
    expect_true(exited && !started, "#exercise-6-token-auth",
                "AUTH_TOKENS=top-secret=root should stop the program");
    expect_int(code, 2, "#exercise-6-token-auth");
    expect_true(!shows_token, "#tokens-are-secrets",
                "the error shows the token: %s", pg.p.err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_parse_tokens),
        cmocka_unit_test(test_auth_policy),
        cmocka_unit_test(test_auth_check_unauthenticated),
        cmocka_unit_test(test_auth_check_permission),
        cmocka_unit_test(test_auth_check_health_exempt),
        cmocka_unit_test(test_auth_interceptor_in_front_of_calls),
        cmocka_unit_test(test_auth_program),
    };
    return cmocka_run_group_tests(tests, grpc_suite_setup, grpc_suite_teardown);
}
