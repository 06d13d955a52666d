/*
 * hello_service.c: a complete MyService server and client in one small
 * program, written with the generated stubs (my_service.cgrpc.h) and the
 * public cgrpc API (cgrpc.h) only.
 *
 * The server half is what a server program holds: four handlers, one per
 * kind of RPC, a handler table, registration and start. The client half
 * calls each method once through a channel. main() runs both in one
 * process, the server on 127.0.0.1 with a port the kernel picks, so the
 * program needs nothing else to run. It checks what comes back and exits
 * 0 when every check holds: mk/examples.mk runs it in CI.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tutorial/v1/my_service.cgrpc.h"

/* ===================================================================== */
/* The server                                                             */
/* ===================================================================== */

/* The service's state, handed to register_server as `user` and read back
 * in every handler with cg_ctx_user(ctx): Go's receiver. */
typedef struct greeter {
    const char *prefix;
} greeter;

/* Unary: read *req, fill in *resp (ctx-owned and already initialised). */
static cg_status unary_call(cg_ctx *ctx, const Tutorial__V1__Request *req,
                            Tutorial__V1__Response *resp)
{
    const greeter *g = cg_ctx_user(ctx);
    if (req->id[0] == '\0')
        return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "id is empty");
    resp->success = true;
    resp->message = cg_printf(ctx, "%s: %s", g->prefix, req->id);
    return cg_ok();
}

/* Server streaming: req->value responses; stop early if the client goes. */
static cg_status server_stream(cg_ctx *ctx, const Tutorial__V1__Request *req,
                               cg_stream *out)
{
    for (int32_t i = 1; i <= req->value; i++) {
        Tutorial__V1__Response r = TUTORIAL__V1__RESPONSE__INIT;
        r.success = true;
        r.message =
            cg_printf(ctx, "%s %d/%d", req->id, (int)i, (int)req->value);
        if (!cg_send(out, &r)) /* copied before it returns: a local is fine */
            break;             /* cancelled or gone: nobody is listening */
    }
    return cg_ok();
}

/* Client streaming: add up the values, answer once at the end. */
static cg_status client_stream(cg_ctx *ctx, cg_stream *in,
                               Tutorial__V1__Response *resp)
{
    const Tutorial__V1__Request *req;
    int n = 0;
    long sum = 0;
    while ((req = cg_recv(in)) != NULL) { /* valid until the next cg_recv */
        n++;
        sum += req->value;
    }
    cg_status why = cg_stream_error(in); /* OK: the client closed its side */
    if (why.code != GRPC_STATUS_OK)
        return why;
    resp->success = true;
    resp->message = cg_printf(ctx, "%d values, sum %ld", n, sum);
    return cg_ok();
}

/* Bidirectional streaming: answer every message as it comes. */
static cg_status bidirectional_stream(cg_ctx *ctx, cg_stream *stream)
{
    const Tutorial__V1__Request *req;
    while ((req = cg_recv(stream)) != NULL) {
        Tutorial__V1__Response r = TUTORIAL__V1__RESPONSE__INIT;
        r.success = true;
        r.message = cg_printf(ctx, "echo: %s", req->id);
        if (!cg_send(stream, &r))
            break;
    }
    return cg_stream_error(stream);
}

/* The server vtable. A member left NULL would answer UNIMPLEMENTED. */
static const Tutorial__V1__MyService_Server my_service = {
    .unary_call = unary_call,
    .server_stream = server_stream,
    .client_stream = client_stream,
    .bidirectional_stream = bidirectional_stream,
};

/* ===================================================================== */
/* The client                                                             */
/* ===================================================================== */

static int failures;

static void check(bool ok, const char *what)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok)
        failures++;
}

static bool says(const char *got, const char *want)
{
    return got != NULL && strcmp(got, want) == 0;
}

static void call_everything(cg_channel *ch)
{
    cg_call_opts opts = {.timeout_ms = 5000}; /* every call gets a deadline */
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "test-123";
    req.value = 3;

    /* Unary: a blocking call; the response is ours to free. */
    Tutorial__V1__Response *resp = NULL;
    cg_status st =
        tutorial__v1__my_service_client__unary_call(ch, &req, &resp, &opts);
    check(st.code == GRPC_STATUS_OK &&
              says(resp->message, "Processed: test-123"),
          "UnaryCall answers");
    tutorial__v1__response__free_unpacked(resp, NULL); /* NULL is fine too */

    /* An error is a value: a code and a message, nothing to free. */
    Tutorial__V1__Request empty = TUTORIAL__V1__REQUEST__INIT;
    st = tutorial__v1__my_service_client__unary_call(ch, &empty, &resp, &opts);
    check(st.code == GRPC_STATUS_INVALID_ARGUMENT && resp == NULL &&
              says(st.message, "id is empty"),
          "UnaryCall with an empty id: INVALID_ARGUMENT");
    printf("     (%s: %s)\n", cg_status_name(st.code), st.message);

    /* Server streaming: read until NULL, then finish for the status. */
    cg_call *call =
        tutorial__v1__my_service_client__server_stream(ch, &req, &opts);
    const Tutorial__V1__Response *r;
    int got = 0;
    while ((r = cg_call_recv(call)) != NULL) /* owned by the call */
        got++;
    st = cg_call_finish(call); /* frees the call */
    check(st.code == GRPC_STATUS_OK && got == 3, "ServerStream sends 3");

    /* Client streaming: send, half-close, read the one answer, finish.
     * _send_more: more follow at once, so the parts may share a write;
     * the last one goes out with the half-close. */
    call = tutorial__v1__my_service_client__client_stream(ch, &opts);
    for (int32_t v = 1; v <= 4; v++) {
        Tutorial__V1__Request part = TUTORIAL__V1__REQUEST__INIT;
        part.id = "part";
        part.value = v;
        cg_call_send_more(call, &part); /* copied: the caller keeps `part` */
    }
    cg_call_close_send(call);
    r = cg_call_recv(call);
    check(r != NULL && says(r->message, "4 values, sum 10"),
          "ClientStream adds up");
    check(cg_call_finish(call).code == GRPC_STATUS_OK, "ClientStream ends OK");

    /* Bidi, in lock step: one message out, its answer back. */
    call = tutorial__v1__my_service_client__bidirectional_stream(ch, &opts);
    const char *words[] = {"hello", "world"};
    for (int i = 0; i < 2; i++) {
        Tutorial__V1__Request m = TUTORIAL__V1__REQUEST__INIT;
        m.id = (char *)words[i];
        cg_call_send(call, &m);
        r = cg_call_recv(call);
        check(r != NULL && strncmp(r->message, "echo: ", 6) == 0 &&
                  says(r->message + 6, words[i]),
              "BidirectionalStream echoes");
    }
    cg_call_close_send(call);
    check(cg_call_recv(call) == NULL, "BidirectionalStream ends");
    check(cg_call_finish(call).code == GRPC_STATUS_OK, "... with OK");
}

/* ===================================================================== */
/* Both in one process                                                    */
/* ===================================================================== */

int main(void)
{
    /* Server: new, listen, register, start. */
    static greeter g = {"Processed"};
    cg_status err;
    cg_server *srv = cg_server_new(NULL);
    int port = cg_server_listen(srv, "127.0.0.1:0", NULL, &err);
    if (port < 0) {
        fprintf(stderr, "cannot listen: %s\n", err.message);
        cg_server_free(srv);
        return 1;
    }
    tutorial__v1__my_service__register_server(srv, &my_service, &g);
    cg_server_start(srv);
    printf("listening on 127.0.0.1:%d\n", port);
    /* A server program would now block in
     *     cg_server_run_until_signal(srv, 5000);
     * and free the server when it returns. Here the client runs instead. */

    /* Client: a channel to the server, then the calls. */
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    cg_channel *ch = cg_channel_new(target, NULL, &err);
    if (ch == NULL) {
        fprintf(stderr, "no channel: %s\n", err.message);
        cg_server_free(srv);
        return 1;
    }
    call_everything(ch);
    cg_channel_free(ch);

    /* Graceful shutdown: no call is in flight, so this returns at once. */
    cg_server_shutdown(srv, 1000);
    cg_server_free(srv);
    printf("%s\n", failures ? "some checks failed" : "all checks passed");
    return failures ? 1 : 0;
}
