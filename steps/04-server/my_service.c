/*
 * my_service.c: exercise 1, the four handlers of MyService, one for each
 * kind of RPC (contracts in my_service.h). Test: `make test` here; suites
 * my_service and network. Lesson:
 * docs/en/steps/04-server.md#exercise-1-myservice
 */
#include "my_service.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Go: func (s *server) UnaryCall(ctx, req) (*pb.Response, error) */
static cg_status unary_call(cg_ctx *ctx, const Tutorial__V1__Request *req,
                            Tutorial__V1__Response *resp)
{
    (void)req;
    (void)resp;
    /* TODO: empty id -> INVALID_ARGUMENT; else success and "Processed: <id>" */
    return cg_error(ctx, GRPC_STATUS_UNIMPLEMENTED,
                    "step 4: implement "
                    "UnaryCall — see docs/en/steps/04-server.md#unarycall");
}

static cg_status server_stream(cg_ctx *ctx, const Tutorial__V1__Request *req,
                               cg_stream *out)
{
    (void)req;
    (void)out;
    /* TODO: check id and value, then cg_send `value` responses */
    return cg_error(
        ctx, GRPC_STATUS_UNIMPLEMENTED,
        "step 4: implement "
        "ServerStream — see docs/en/steps/04-server.md#serverstream");
}

static cg_status client_stream(cg_ctx *ctx, cg_stream *in,
                               Tutorial__V1__Response *resp)
{
    (void)in;
    (void)resp;
    /* TODO: cg_recv until NULL, count and sum; then cg_stream_error */
    return cg_error(
        ctx, GRPC_STATUS_UNIMPLEMENTED,
        "step 4: implement "
        "ClientStream — see docs/en/steps/04-server.md#clientstream");
}

static cg_status bidirectional_stream(cg_ctx *ctx, cg_stream *stream)
{
    (void)stream;
    /* TODO: for each request cg_recv'd, cg_send one response at once */
    return cg_error(ctx, GRPC_STATUS_UNIMPLEMENTED,
                    "step 4: implement "
                    "BidirectionalStream — see "
                    "docs/en/steps/04-server.md#bidirectionalstream");
}

/* [handler-table] */
/* The outline's `type server struct{...}`: one handler per method. */
const Tutorial__V1__MyService_Server my_service_server = {
    .unary_call = unary_call,
    .server_stream = server_stream,
    .client_stream = client_stream,
    .bidirectional_stream = bidirectional_stream,
};
/* [/handler-table] */
