/*
 * handler_test.c: testing handlers with no server and no network, through
 * the runtime's test helpers (cg_test_ctx_new, cg_test_stream, ...).
 *
 * A test context is the same cg_ctx a real call has: metadata, deadline,
 * cancellation and the arena behave as they do for a client's call. Its
 * stream takes the messages the test pushes and keeps copies of what the
 * handler sends. The handlers below would live in my_service.c in a real
 * project; the checks would be cmocka tests. The program exits 0 when every
 * check holds (mk/examples.mk runs it).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tutorial/v1/my_service.cgrpc.h"

#define UNARY TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD
#define SSTREAM TUTORIAL__V1__MY_SERVICE__SERVER_STREAM__METHOD
#define CSTREAM TUTORIAL__V1__MY_SERVICE__CLIENT_STREAM__METHOD

/* ---- the handlers under test ----------------------------------------- */

/* Answers only callers that say who they are (an "x-user" header). */
static cg_status unary_call(cg_ctx *ctx, const Tutorial__V1__Request *req,
                            Tutorial__V1__Response *resp)
{
    const char *user = cg_ctx_metadata(ctx, "x-user", NULL);
    if (user == NULL)
        return cg_error(ctx, GRPC_STATUS_UNAUTHENTICATED, "who are you?");
    resp->success = true;
    resp->message = cg_printf(ctx, "%s asked for %s", user, req->id);
    return cg_ok();
}

static cg_status server_stream(cg_ctx *ctx, const Tutorial__V1__Request *req,
                               cg_stream *out)
{
    for (int32_t i = 1; i <= req->value; i++) {
        Tutorial__V1__Response r = TUTORIAL__V1__RESPONSE__INIT;
        r.message = cg_printf(ctx, "#%d", (int)i);
        if (!cg_send(out, &r))
            break;
    }
    return cg_ok();
}

static cg_status client_stream(cg_ctx *ctx, cg_stream *in,
                               Tutorial__V1__Response *resp)
{
    const Tutorial__V1__Request *req;
    long sum = 0;
    while ((req = cg_recv(in)) != NULL)
        sum += req->value;
    cg_status why = cg_stream_error(in);
    if (why.code != GRPC_STATUS_OK)
        return why; /* CANCELLED or DEADLINE_EXCEEDED */
    resp->message = cg_printf(ctx, "sum %ld", sum);
    return cg_ok();
}

/* ---- the checks ------------------------------------------------------ */

static int failures;

static void check(bool ok, const char *what)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok)
        failures++;
}

static Tutorial__V1__Request request(const char *id, int32_t value)
{
    Tutorial__V1__Request r = TUTORIAL__V1__REQUEST__INIT;
    r.id = (char *)id;
    r.value = value;
    return r;
}

static void unary_needs_a_user(void)
{
    cg_ctx *ctx = cg_test_ctx_new(UNARY, NULL);
    Tutorial__V1__Request req = request("42", 0);
    /* The runtime hands a real handler an initialised, ctx-owned response;
     * cg_message_new makes the same for a test. */
    Tutorial__V1__Response *resp =
        cg_message_new(ctx, &tutorial__v1__response__descriptor);
    cg_status st = unary_call(ctx, &req, resp);
    check(st.code == GRPC_STATUS_UNAUTHENTICATED, "no x-user: UNAUTHENTICATED");

    cg_test_ctx_add_metadata(ctx, "x-user", "ann");
    st = unary_call(ctx, &req, resp);
    check(st.code == GRPC_STATUS_OK &&
              strcmp(resp->message, "ann asked for 42") == 0,
          "with x-user: OK");
    cg_test_ctx_free(ctx); /* frees resp and everything from cg_printf */
}

static void server_stream_sends_value_messages(void)
{
    cg_ctx *ctx = cg_test_ctx_new(SSTREAM, NULL);
    cg_stream *out = cg_test_stream(ctx);
    Tutorial__V1__Request req = request("x", 3);
    cg_status st = server_stream(ctx, &req, out);
    const Tutorial__V1__Response *second = cg_test_stream_sent(out, 1);
    check(st.code == GRPC_STATUS_OK && cg_test_stream_sent_count(out) == 3 &&
              strcmp(second->message, "#2") == 0,
          "ServerStream sends 3, in order");
    cg_test_ctx_free(ctx);

    /* A deadline already passed: every send fails, nothing goes out. */
    ctx = cg_test_ctx_new(SSTREAM, NULL);
    cg_test_ctx_set_timeout(ctx, 0);
    server_stream(ctx, &req, cg_test_stream(ctx));
    check(cg_test_stream_sent_count(cg_test_stream(ctx)) == 0,
          "ServerStream past its deadline sends nothing");
    cg_test_ctx_free(ctx);
}

static void client_stream_sums_and_notices_cancel(void)
{
    cg_ctx *ctx = cg_test_ctx_new(CSTREAM, NULL);
    cg_stream *in = cg_test_stream(ctx);
    for (int32_t v = 1; v <= 4; v++) {
        Tutorial__V1__Request m = request("part", v);
        cg_test_stream_push(in, &m); /* copied: m may go */
    }
    cg_test_stream_close_input(in); /* the client's half-close */
    Tutorial__V1__Response *resp =
        cg_message_new(ctx, &tutorial__v1__response__descriptor);
    cg_status st = client_stream(ctx, in, resp);
    check(st.code == GRPC_STATUS_OK && strcmp(resp->message, "sum 10") == 0,
          "ClientStream adds up");
    cg_test_ctx_free(ctx);

    /* Input never closed, call cancelled: cg_recv returns NULL, and
     * cg_stream_error says why. */
    ctx = cg_test_ctx_new(CSTREAM, NULL);
    in = cg_test_stream(ctx);
    cg_test_ctx_cancel(ctx);
    resp = cg_message_new(ctx, &tutorial__v1__response__descriptor);
    st = client_stream(ctx, in, resp);
    check(st.code == GRPC_STATUS_CANCELLED,
          "ClientStream cancelled: CANCELLED");
    cg_test_ctx_free(ctx);
}

int main(void)
{
    unary_needs_a_user();
    server_stream_sends_value_messages();
    client_stream_sums_and_notices_cancel();
    printf("%s\n", failures ? "some checks failed" : "all checks passed");
    return failures ? 1 : 0;
}
