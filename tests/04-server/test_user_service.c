/*
 * test_user_service.c: exercise 2, GetUser and the outline's error mapping,
 * called directly over the sample repository and over fake ones.
 *
 * A fake repository is just another user_repo: a function pointer and its
 * data. Step 6 builds the same thing with cmocka's will_return.
 */
#define LESSON_PAGE "steps/04-server.md"
#define EXERCISE_FILE "user_service.c"
#include "lesson.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fixture.h"

#define GET_USER TUTORIAL__V1__USER_SERVICE__GET_USER__METHOD

/* What a fake repository answers, and what it was asked. */
typedef struct fake {
    user_repo_result result;
    user_record record;
    const char *why;
    int calls;
    char asked[64];
} fake;

static user_repo_result fake_get(const user_repo *self, const char *id,
                                 user_record *out, char *why, size_t why_len)
{
    fake *f = self->data;
    f->calls++;
    snprintf(f->asked, sizeof f->asked, "%s", id);
    if (f->result == USER_FOUND)
        *out = f->record;
    if (f->why != NULL && why_len > 0)
        snprintf(why, why_len, "%s", f->why);
    return f->result;
}

/* Calls GetUser(id) against repo; the response's strings are copied into
 * *out so that they can be checked after the call's context is gone. */
static cg_status get_user(user_repo *repo, const char *id, user_record *out)
{
    cg_ctx *ctx = cg_test_ctx_new(GET_USER, repo);
    Tutorial__V1__GetUserRequest req = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    req.user_id = (char *)id;
    Tutorial__V1__User resp = TUTORIAL__V1__USER__INIT;
    cg_status st = user_service_server.get_user(ctx, &req, &resp);
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", resp.id ? resp.id : "(null)");
    snprintf(out->name, sizeof out->name, "%s",
             resp.name ? resp.name : "(null)");
    snprintf(out->email, sizeof out->email, "%s",
             resp.email ? resp.email : "(null)");
    out->role = resp.role;
    cg_test_ctx_free(ctx);
    return st;
}

/* ---- the given repository -------------------------------------------- */

static void test_user_service_sample_repo(void **state)
{
    (void)state;
    const user_repo *repo = user_repo_sample();
    user_record rec;
    char why[64] = "";
    expect_int(repo->get_by_id(repo, "1", &rec, why, sizeof why), USER_FOUND,
               "#the-repository");
    expect_str(rec.name, "Alice", "#the-repository");
    expect_int(rec.role, TUTORIAL__V1__ROLE__ROLE_ADMIN, "#the-repository");
    expect_int(repo->get_by_id(repo, "2", &rec, why, sizeof why), USER_FOUND,
               "#the-repository");
    expect_str(rec.email, "bob@example.com", "#the-repository");
    expect_int(repo->get_by_id(repo, "3", &rec, why, sizeof why),
               USER_NOT_FOUND, "#the-repository");
}

/* ---- GetUser ----------------------------------------------------------- */

static void test_user_service_get_user_found(void **state)
{
    (void)state;
    user_record u;
    cg_status st = get_user(user_repo_sample(), "1", &u);
    expect_status_as(st, GRPC_STATUS_OK, "#getuser", "get_user of user \"1\"");
    expect_str(u.id, "1", "#getuser");
    expect_str(u.name, "Alice", "#getuser");
    expect_str(u.email, "alice@example.com", "#getuser");
    expect_int(u.role, TUTORIAL__V1__ROLE__ROLE_ADMIN, "#getuser");
    st = get_user(user_repo_sample(), "2", &u);
    expect_status_as(st, GRPC_STATUS_OK, "#getuser", "get_user of user \"2\"");
    expect_str(u.name, "Bob", "#getuser");
    expect_int(u.role, TUTORIAL__V1__ROLE__ROLE_MEMBER, "#getuser");
}

static void test_user_service_empty_id_is_invalid_argument(void **state)
{
    (void)state;
    fake f = {.result = USER_FOUND};
    user_repo repo = {fake_get, &f};
    user_record u;
    cg_status st = get_user(&repo, "", &u);
    expect_status_is_as(st, GRPC_STATUS_INVALID_ARGUMENT, "user_id is required",
                        "#getuser", "get_user with an empty id");
    expect_true(f.calls == 0, "#getuser",
                "an empty user_id is the client's mistake: answer before "
                "asking the repository (it was asked %d times)",
                f.calls);
}

static void test_user_service_unknown_is_not_found(void **state)
{
    (void)state;
    user_record u;
    cg_status st = get_user(user_repo_sample(), "42", &u);
    expect_status_is_as(st, GRPC_STATUS_NOT_FOUND, "user 42 not found",
                        "#getuser",
                        "get_user of user \"42\" (not in the repository)");
}

static void test_user_service_asks_repo_for_the_id(void **state)
{
    (void)state;
    fake f = {.result = USER_FOUND,
              .record = {"u-9", "Carol", "carol@example.com",
                         TUTORIAL__V1__ROLE__ROLE_MEMBER}};
    user_repo repo = {fake_get, &f};
    user_record u;
    cg_status st = get_user(&repo, "u-9", &u);
    expect_status_as(st, GRPC_STATUS_OK, "#getuser",
                     "get_user of user \"u-9\"");
    expect_int(f.calls, 1, "#getuser");
    expect_str(f.asked, "u-9", "#getuser");
    expect_str(u.name, "Carol", "#getuser");
    expect_str(u.email, "carol@example.com", "#getuser");
}

/* Writes over a large piece of the stack, where a returned handler's
 * locals were. */
__attribute__((noinline)) static void scribble_stack(void)
{
    volatile char junk[16384];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = '#';
}

static void test_user_service_response_outlives_handler(void **state)
{
    (void)state;
    /* The record the repository fills is a local of the handler; the
     * response is sent after the handler returns. */
    fake f = {.result = USER_FOUND,
              .record = {"7", "Dave", "dave@example.com",
                         TUTORIAL__V1__ROLE__ROLE_ADMIN}};
    user_repo repo = {fake_get, &f};
    cg_ctx *ctx = cg_test_ctx_new(GET_USER, &repo);
    Tutorial__V1__GetUserRequest req = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    req.user_id = "7";
    Tutorial__V1__User resp = TUTORIAL__V1__USER__INIT;
    cg_status st = user_service_server.get_user(ctx, &req, &resp);
    scribble_stack();
    bool name_ok = resp.name != NULL && strcmp(resp.name, "Dave") == 0;
    bool email_ok =
        resp.email != NULL && strcmp(resp.email, "dave@example.com") == 0;
    cg_test_ctx_free(ctx);
    expect_status_as(st, GRPC_STATUS_OK, "#getuser",
                     "GetUser, called directly");
    expect_true(name_ok && email_ok, "#the-arena",
                "after GetUser returned, resp.name and resp.email no longer "
                "hold \"Dave\" and \"dave@example.com\": they point into the "
                "handler's stack. Copy them with cg_strdup(ctx, ...)");
}

/* ---- errors that must not leak ------------------------------------------ */

/* Runs GetUser against a repository that fails with `why`; returns the
 * status and what the handler wrote to stderr in log[cap]. */
static cg_status failing_call(user_repo_result result, const char *why,
                              char *log, size_t cap)
{
    fake f = {.result = result, .why = why};
    user_repo repo = {fake_get, &f};
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(2);
    dup2(fileno(tmp), 2);
    user_record u;
    cg_status st = get_user(&repo, "5", &u);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(log, 1, cap - 1, tmp);
    log[n] = '\0';
    fclose(tmp);
    return st;
}

static void test_user_service_repo_failure_is_internal(void **state)
{
    (void)state;
    static const char secret[] =
        "connect db.internal:5432 failed: password authentication failed "
        "for user \"app\"";
    char log[2048];
    cg_status st = failing_call(USER_REPO_FAILED, secret, log, sizeof log);
    expect_status_is_as(st, GRPC_STATUS_INTERNAL, "internal error",
                        "#never-leak-an-internal-error",
                        "GetUser when the repository fails");
    expect_true(strstr(log, secret) != NULL, "#never-leak-an-internal-error",
                "the repository's description of the failure should go to "
                "the server's log (stderr), so that someone can fix it; the "
                "handler wrote: \"%s\"",
                log);
}

static void test_user_service_odd_answer_is_internal(void **state)
{
    (void)state;
    /* A repository with a bug: an answer the enum does not have. */
    char log[2048];
    cg_status st = failing_call((user_repo_result)42, NULL, log, sizeof log);
    expect_status_is_as(
        st, GRPC_STATUS_INTERNAL, "internal error",
        "#never-leak-an-internal-error",
        "GetUser when the repository answers an unknown result");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_service_sample_repo),
        cmocka_unit_test(test_user_service_get_user_found),
        cmocka_unit_test(test_user_service_empty_id_is_invalid_argument),
        cmocka_unit_test(test_user_service_unknown_is_not_found),
        cmocka_unit_test(test_user_service_asks_repo_for_the_id),
        cmocka_unit_test(test_user_service_response_outlives_handler),
        cmocka_unit_test(test_user_service_repo_failure_is_internal),
        cmocka_unit_test(test_user_service_odd_answer_is_internal),
    };
    return cmocka_run_group_tests_name("user_service", tests, NULL, NULL);
}
