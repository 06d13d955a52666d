/*
 * bench_server.c: MyService on the cgrpc runtime, the server `make bench`
 * measures against the C++ sync and callback servers.
 *
 * The same service as the C++ servers in bench/cpp, written the way the course
 * teaches it: plain blocking handlers in the generated
 * Tutorial__V1__MyService_Server table, runtime defaults for threads and
 * limits.
 *
 *   UnaryCall            success=true, message="Processed: <id>"
 *   ServerStream         `value` responses "Processed: <id> #<i>", i = 1..value
 *   ClientStream         success=true, message="Received: <count>"
 *   BidirectionalStream  one response per request, message=<id> (an echo)
 *   any empty id         INVALID_ARGUMENT "id is required"
 *
 * Usage: bench_server [--listen HOST:PORT]; prints "listening on HOST:PORT"
 * once it accepts calls and exits 0 on SIGTERM or SIGINT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgrpc.h"
#include "tutorial/v1/my_service.cgrpc.h"

static bool empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

static cg_status unary_call(cg_ctx *ctx, const Tutorial__V1__Request *req,
                            Tutorial__V1__Response *resp)
{
    if (empty(req->id))
        return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "id is required");
    resp->success = true;
    resp->message = cg_printf(ctx, "Processed: %s", req->id);
    return cg_ok();
}

/* Writes n >= 0 in decimal at out, with its terminating NUL. */
static void put_int(char *out, int32_t n)
{
    char digits[12];
    int len = 0;
    do {
        digits[len++] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    while (len > 0)
        *out++ = digits[--len];
    *out = '\0';
}

static cg_status server_stream(cg_ctx *ctx, const Tutorial__V1__Request *req,
                               cg_stream *stream)
{
    if (empty(req->id))
        return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "id is required");
    /* One buffer for every message: the prefix "Processed: <id> #" once,
     * then each message's number written after it (what the C++ and Go
     * servers do: prefix + std::to_string(i), prefix + strconv.Itoa(i)). */
    size_t cap = strlen(req->id) + 32;
    char *text = cg_alloc(ctx, cap);
    int plen = snprintf(text, cap, "Processed: %s #", req->id);
    Tutorial__V1__Response resp = TUTORIAL__V1__RESPONSE__INIT;
    resp.success = true;
    resp.message = text;
    for (int32_t i = 1; i <= req->value; i++) {
        put_int(text + plen, i);
        if (!cg_send(stream, &resp))
            return cg_error(ctx, GRPC_STATUS_CANCELLED, "client gone after %d",
                            (int)i - 1);
    }
    return cg_ok();
}

static cg_status client_stream(cg_ctx *ctx, cg_stream *stream,
                               Tutorial__V1__Response *resp)
{
    long count = 0;
    const Tutorial__V1__Request *req;
    while ((req = cg_recv(stream)) != NULL) {
        if (empty(req->id))
            return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                            "id is required");
        count++;
    }
    cg_status st = cg_stream_error(stream);
    if (st.code != GRPC_STATUS_OK)
        return st;
    resp->success = true;
    resp->message = cg_printf(ctx, "Received: %ld", count);
    return cg_ok();
}

static cg_status bidirectional_stream(cg_ctx *ctx, cg_stream *stream)
{
    const Tutorial__V1__Request *req;
    while ((req = cg_recv(stream)) != NULL) {
        if (empty(req->id))
            return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                            "id is required");
        Tutorial__V1__Response resp = TUTORIAL__V1__RESPONSE__INIT;
        resp.success = true;
        resp.message = req->id; /* cg_send serialises before returning */
        if (!cg_send(stream, &resp))
            return cg_error(ctx, GRPC_STATUS_CANCELLED, "client gone");
    }
    return cg_stream_error(stream);
}

static const Tutorial__V1__MyService_Server service = {
    .unary_call = unary_call,
    .server_stream = server_stream,
    .client_stream = client_stream,
    .bidirectional_stream = bidirectional_stream,
};

int main(int argc, char **argv)
{
    const char *addr = "0.0.0.0:50051";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            addr = argv[++i];
        } else if (strncmp(argv[i], "--listen=", 9) == 0) {
            addr = argv[i] + 9;
        } else {
            fprintf(stderr, "usage: %s [--listen HOST:PORT]\n", argv[0]);
            return 2;
        }
    }

    cg_server *srv = cg_server_new(NULL);
    if (srv == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    cg_status err;
    int port = cg_server_listen(srv, addr, NULL, &err);
    if (port < 0) {
        fprintf(stderr, "cannot listen on %s: %s\n", addr, err.message);
        cg_server_free(srv);
        return 1;
    }
    if (tutorial__v1__my_service__register_server(srv, &service, NULL) != 0 ||
        cg_server_enable_reflection(srv) != 0 || cg_server_start(srv) != 0) {
        fprintf(stderr, "cannot start the server\n");
        cg_server_free(srv);
        return 1;
    }
    const char *colon = strrchr(addr, ':');
    int host_len = colon != NULL ? (int)(colon - addr) : (int)strlen(addr);
    printf("listening on %.*s:%d\n", host_len, addr, port);
    fflush(stdout);

    cg_server_run_until_signal(srv, 1000);
    cg_server_free(srv);
    return 0;
}
