/*
 * use_stubs.c: MyService's generated stubs, used the way steps 4 and 5 use
 * them: a server's handler table and its registration, then a client's
 * typed calls. test_codegen compiles this file (it never links or runs it)
 * against the code your codegen rule generated, with warnings as errors: a
 * missing name or a wrong type in the generated header fails the build.
 */
#include <stdio.h>

#include "tutorial/v1/my_service.cgrpc.h"

/* ---- server side (step 4) ------------------------------------------------ */

/* Unary: read *req, fill in *resp (already initialised), return a status. */
static cg_status unary_call(cg_ctx *ctx, const Tutorial__V1__Request *req,
                            Tutorial__V1__Response *resp)
{
    if (req->id[0] == '\0')
        return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "id is empty");
    resp->success = true;
    resp->message = cg_printf(ctx, "Processed: %s", req->id); /* ctx-owned */
    return cg_ok();
}

/* Server streaming: one request in, as many cg_send calls as you like. */
static cg_status server_stream(cg_ctx *ctx, const Tutorial__V1__Request *req,
                               cg_stream *out)
{
    for (int32_t i = 0; i < req->value && !cg_ctx_cancelled(ctx); i++) {
        Tutorial__V1__Response resp = TUTORIAL__V1__RESPONSE__INIT;
        resp.success = true;
        resp.message = cg_printf(ctx, "%s #%d", req->id, (int)i);
        if (!cg_send(out, &resp)) /* the client went away */
            break;
    }
    return cg_ok();
}

/* The server vtable: one member per method; NULL answers UNIMPLEMENTED. */
static const Tutorial__V1__MyService_Server my_service = {
    .unary_call = unary_call,
    .server_stream = server_stream,
    .client_stream = NULL,
    .bidirectional_stream = NULL,
};

int serve(cg_server *srv)
{
    return tutorial__v1__my_service__register_server(srv, &my_service, NULL);
}

/* ---- client side (step 5) ------------------------------------------------ */

cg_status call_both(cg_channel *ch)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "test-123";
    req.value = 3;
    cg_call_opts opts = {.timeout_ms = 1000};

    /* Unary: a typed blocking call; the response is the caller's to free. */
    Tutorial__V1__Response *resp = NULL;
    cg_status st =
        tutorial__v1__my_service_client__unary_call(ch, &req, &resp, &opts);
    if (st.code != GRPC_STATUS_OK)
        return st;
    printf("%s\n", resp->message);
    tutorial__v1__response__free_unpacked(resp, NULL);

    /* Server streaming: read until NULL, then ask for the status. */
    cg_call *call =
        tutorial__v1__my_service_client__server_stream(ch, &req, &opts);
    const Tutorial__V1__Response *r;
    while ((r = cg_call_recv(call)) != NULL)
        printf("%s\n", r->message);
    st = cg_call_finish(call);

    /* The method table, for the runtime's generic calls. */
    const cg_method *m = TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD;
    printf("%s is method %s of %s\n", m->path, m->name,
           tutorial__v1__my_service__grpc_service.name);
    return st;
}
