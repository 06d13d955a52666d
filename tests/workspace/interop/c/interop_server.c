/*
 * interop_server.c: grpc.testing.TestService on the cgrpc runtime, the C
 * server of the interop tests (tests/workspace/interop/run_interop.py runs
 * Python and grpc-js clients against it).
 *
 *   build/interop/c/interop_server --port=0
 *
 * prints `listening on 127.0.0.1:PORT` once it accepts calls and exits 0 on
 * SIGTERM or SIGINT. It implements the server features of gRPC's interop test
 * descriptions that the cases need: EmptyCall, UnaryCall, StreamingInputCall,
 * StreamingOutputCall, FullDuplexCall, Echo Status and Echo Metadata (not
 * compression, caching or interval_us). UnimplementedCall has no handler on
 * purpose: the runtime answers UNIMPLEMENTED, as it does for the unregistered
 * grpc.testing.UnimplementedService.
 */
#include <stdio.h>

#include "cgrpc.h"
#include "grpc/testing/test.cgrpc.h"
#include "interop_common.h"

#define ECHO_INITIAL "x-grpc-test-echo-initial"
#define ECHO_TRAILING "x-grpc-test-echo-trailing-bin"

typedef Grpc__Testing__Empty Empty;
typedef Grpc__Testing__Payload Payload;
typedef Grpc__Testing__ResponseParameters ResponseParameters;
typedef Grpc__Testing__StreamingOutputCallRequest StreamingOutputCallRequest;
typedef Grpc__Testing__StreamingOutputCallResponse StreamingOutputCallResponse;

/* Echo Metadata: the initial key goes back as a header, the -bin key as a
 * trailer, byte for byte. */
static void echo_metadata(cg_ctx *ctx)
{
    size_t len;
    const char *v = cg_ctx_metadata(ctx, ECHO_INITIAL, NULL);
    if (v)
        cg_ctx_add_header(ctx, ECHO_INITIAL, v, 0);
    v = cg_ctx_metadata(ctx, ECHO_TRAILING, &len);
    if (v)
        cg_ctx_add_trailer(ctx, ECHO_TRAILING, v, len);
}

/* Echo Status: true (and *st set) when the request asks for a status. */
static bool echo_status(cg_ctx *ctx, const Grpc__Testing__EchoStatus *req,
                        cg_status *st)
{
    if (!req || req->code == 0)
        return false;
    *st = cg_error(ctx, (grpc_status_code)req->code, "%s", req->message);
    return true;
}

/* Points `p` at `size` zero bytes; false when size is out of range. */
static bool fill_payload(Payload *p, int32_t size)
{
    if (size < 0 || !interop_zeros((size_t)size))
        return false;
    p->body.data = interop_zeros((size_t)size);
    p->body.len = (size_t)size;
    return true;
}

/* One response per ResponseParameters, in order. */
static cg_status send_responses(cg_ctx *ctx, cg_stream *s,
                                ResponseParameters *const *params, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        StreamingOutputCallResponse resp =
            GRPC__TESTING__STREAMING_OUTPUT_CALL_RESPONSE__INIT;
        Payload payload = GRPC__TESTING__PAYLOAD__INIT;
        if (!fill_payload(&payload, params[i]->size))
            return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                            "response size %d out of range",
                            (int)params[i]->size);
        resp.payload = &payload;
        if (!cg_send(s, &resp))
            return cg_error(ctx, GRPC_STATUS_CANCELLED, "client gone");
    }
    return cg_ok();
}

/* ---- handlers ------------------------------------------------------------ */

static cg_status empty_call(cg_ctx *ctx, const Empty *req, Empty *resp)
{
    (void)ctx, (void)req, (void)resp;
    return cg_ok();
}

static cg_status unary_call(cg_ctx *ctx,
                            const Grpc__Testing__SimpleRequest *req,
                            Grpc__Testing__SimpleResponse *resp)
{
    cg_status st;
    echo_metadata(ctx);
    if (echo_status(ctx, req->response_status, &st))
        return st;
    resp->payload = cg_message_new(ctx, &grpc__testing__payload__descriptor);
    if (!fill_payload(resp->payload, req->response_size))
        return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                        "response_size %d out of range",
                        (int)req->response_size);
    return cg_ok();
}

static cg_status streaming_output_call(cg_ctx *ctx,
                                       const StreamingOutputCallRequest *req,
                                       cg_stream *s)
{
    cg_status st;
    echo_metadata(ctx);
    if (echo_status(ctx, req->response_status, &st))
        return st;
    return send_responses(ctx, s, req->response_parameters,
                          req->n_response_parameters);
}

static cg_status
streaming_input_call(cg_ctx *ctx, cg_stream *s,
                     Grpc__Testing__StreamingInputCallResponse *resp)
{
    const Grpc__Testing__StreamingInputCallRequest *req;
    size_t total = 0;
    (void)ctx;
    while ((req = cg_recv(s)) != NULL)
        total += req->payload ? req->payload->body.len : 0;
    cg_status st = cg_stream_error(s);
    if (st.code == GRPC_STATUS_OK)
        resp->aggregated_payload_size = (int32_t)total;
    return st;
}

static cg_status full_duplex_call(cg_ctx *ctx, cg_stream *s)
{
    const StreamingOutputCallRequest *req;
    cg_status st;
    echo_metadata(ctx);
    while ((req = cg_recv(s)) != NULL) {
        if (echo_status(ctx, req->response_status, &st))
            return st;
        st = send_responses(ctx, s, req->response_parameters,
                            req->n_response_parameters);
        if (st.code != GRPC_STATUS_OK)
            return st;
    }
    return cg_stream_error(s);
}

static const Grpc__Testing__TestService_Server test_service = {
    .empty_call = empty_call,
    .unary_call = unary_call,
    .streaming_output_call = streaming_output_call,
    .streaming_input_call = streaming_input_call,
    .full_duplex_call = full_duplex_call,
    /* The others are NULL, answered UNIMPLEMENTED (unimplemented_method). */
};

int main(int argc, char **argv)
{
    static const char *const flags[] = {"port", NULL};
    const char *usage = "interop_server [--port=PORT]  (0: the kernel picks)";
    long port = 0;
    const char *port_arg = interop_flag(argc, argv, flags, "port", usage);
    if (port_arg && !interop_parse_int(port_arg, 0, 65535, &port)) {
        fprintf(stderr, "interop_server: bad --port %s\n", port_arg);
        return 2;
    }

    cg_server *srv = cg_server_new(NULL);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%ld", port);
    cg_status err;
    int bound = cg_server_listen(srv, addr, NULL, &err);
    if (bound < 0) {
        fprintf(stderr, "interop_server: cannot listen on %s: %s\n", addr,
                err.message);
        cg_server_free(srv);
        return 1;
    }
    if (grpc__testing__test_service__register_server(srv, &test_service,
                                                     NULL) != 0 ||
        cg_server_start(srv) != 0) {
        fprintf(stderr, "interop_server: cannot start the server\n");
        cg_server_free(srv);
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", bound);
    fflush(stdout);

    cg_server_run_until_signal(srv, 1000);
    cg_server_free(srv);
    return 0;
}
