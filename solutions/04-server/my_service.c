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
#include <stdlib.h>
#include <string.h>

/* Go: func (s *server) UnaryCall(ctx, req) (*pb.Response, error) */
static cg_status unary_call(cg_ctx *ctx, const Tutorial__V1__Request *req,
                            Tutorial__V1__Response *resp)
{
    if (req->id[0] == '\0')
        return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "id is required");
    resp->success = true;
    /* The response is sent after we return: its text must outlive this
     * frame, so it comes from the call's arena. */
    resp->message = cg_printf(ctx, "Processed: %s", req->id);
    return cg_ok();
}

static cg_status server_stream(cg_ctx *ctx, const Tutorial__V1__Request *req,
                               cg_stream *out)
{
    if (req->id[0] == '\0')
        return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "id is required");
    if (req->value < 0 || req->value > MY_SERVICE_MAX_VALUE)
        return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                        "value must be between 0 and %d", MY_SERVICE_MAX_VALUE);
    /* One buffer for every message: cg_printf in the loop would take new
     * arena memory each time, all of it kept until the call ends. */
    size_t cap = strlen(req->id) + 32;
    char *text = cg_alloc(ctx, cap);
    for (int32_t i = 1; i <= req->value; i++) {
        snprintf(text, cap, "Processed: %s #%" PRId32, req->id, i);
        Tutorial__V1__Response r = TUTORIAL__V1__RESPONSE__INIT;
        r.success = true;
        r.message = text;
        /* cg_send copies the message, so a local will do. false means the
         * client is gone: Go's `if err := stream.Send(r); err != nil`. */
        if (!cg_send(out, &r))
            return cg_error(ctx, GRPC_STATUS_CANCELLED, "client went away");
    }
    return cg_ok();
}

static cg_status client_stream(cg_ctx *ctx, cg_stream *in,
                               Tutorial__V1__Response *resp)
{
    int64_t n = 0, sum = 0; /* 64 bits: many int32 values overflow 32 */
    const Tutorial__V1__Request *req;
    while ((req = cg_recv(in)) != NULL) {
        if (req->id[0] == '\0')
            return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                            "id is required");
        n++;
        sum += req->value;
    }
    /* NULL means the end of the client's stream, or a broken call. */
    cg_status st = cg_stream_error(in);
    if (st.code != GRPC_STATUS_OK)
        return st;
    resp->success = true;
    resp->message = cg_printf(
        ctx, "Processed %" PRId64 " requests, total value %" PRId64, n, sum);
    return cg_ok();
}

static cg_status bidirectional_stream(cg_ctx *ctx, cg_stream *stream)
{
    /* A chat can last for hours: one reused buffer, grown when an id is
     * longer than any before, instead of arena memory for every message. */
    char *text = NULL;
    size_t cap = 0;
    cg_status st;
    const Tutorial__V1__Request *req;
    while ((req = cg_recv(stream)) != NULL) {
        if (req->id[0] == '\0') {
            st = cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "id is required");
            goto out;
        }
        size_t need = strlen(req->id) + sizeof "Processed: ";
        if (need > cap) {
            char *bigger = realloc(text, need);
            if (bigger == NULL) {
                st = cg_error(ctx, GRPC_STATUS_RESOURCE_EXHAUSTED,
                              "out of memory");
                goto out;
            }
            text = bigger;
            cap = need;
        }
        snprintf(text, cap, "Processed: %s", req->id);
        Tutorial__V1__Response r = TUTORIAL__V1__RESPONSE__INIT;
        r.success = true;
        r.message = text;
        if (!cg_send(stream, &r)) {
            st = cg_error(ctx, GRPC_STATUS_CANCELLED, "client went away");
            goto out;
        }
    }
    st = cg_stream_error(stream);
out:
    free(text);
    return st;
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
