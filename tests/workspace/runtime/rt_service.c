/*
 * rt_service.c: the rt.Test method table and invoke thunks (see
 * rt_service.h). Each thunk turns the runtime's generic call into the typed
 * handler call, answering UNIMPLEMENTED for a NULL handler.
 */
#include "rt_service.h"

#define UNARY_THUNK(fn)                                                        \
    static cg_status invoke_##fn(const void *impl, cg_ctx *ctx,                \
                                 const void *req, void *resp, cg_stream *s)    \
    {                                                                          \
        const Rt__Test_Server *t = impl;                                       \
        (void)s;                                                               \
        if (t->fn == NULL)                                                     \
            return cg_error(ctx, GRPC_STATUS_UNIMPLEMENTED,                    \
                            "rt.Test/" #fn " is not implemented");             \
        return t->fn(ctx, req, resp);                                          \
    }

UNARY_THUNK(echo)
UNARY_THUNK(fail)
UNARY_THUNK(sleep)
UNARY_THUNK(meta)
UNARY_THUNK(block)

static cg_status invoke_count(const void *impl, cg_ctx *ctx, const void *req,
                              void *resp, cg_stream *s)
{
    const Rt__Test_Server *t = impl;
    (void)resp;
    if (t->count == NULL)
        return cg_error(ctx, GRPC_STATUS_UNIMPLEMENTED, "not implemented");
    return t->count(ctx, req, s);
}

static cg_status invoke_sum(const void *impl, cg_ctx *ctx, const void *req,
                            void *resp, cg_stream *s)
{
    const Rt__Test_Server *t = impl;
    (void)req;
    if (t->sum == NULL)
        return cg_error(ctx, GRPC_STATUS_UNIMPLEMENTED, "not implemented");
    return t->sum(ctx, s, resp);
}

static cg_status invoke_chat(const void *impl, cg_ctx *ctx, const void *req,
                             void *resp, cg_stream *s)
{
    const Rt__Test_Server *t = impl;
    (void)req;
    (void)resp;
    if (t->chat == NULL)
        return cg_error(ctx, GRPC_STATUS_UNIMPLEMENTED, "not implemented");
    return t->chat(ctx, s);
}

static cg_status invoke_duplex(const void *impl, cg_ctx *ctx, const void *req,
                               void *resp, cg_stream *s)
{
    const Rt__Test_Server *t = impl;
    (void)req;
    (void)resp;
    if (t->duplex == NULL)
        return cg_error(ctx, GRPC_STATUS_UNIMPLEMENTED, "not implemented");
    return t->duplex(ctx, s);
}

#define METHOD(name, kind, fn)                                                 \
    {                                                                          \
        "/rt.Test/" name, name, kind, &rt__msg__descriptor,                    \
            &rt__msg__descriptor, invoke_##fn                                  \
    }

const cg_method rt__test__methods[RT_N_METHODS] = {
    METHOD("Echo", CG_UNARY, echo),
    METHOD("Fail", CG_UNARY, fail),
    METHOD("Sleep", CG_UNARY, sleep),
    METHOD("Meta", CG_UNARY, meta),
    METHOD("Block", CG_UNARY, block),
    METHOD("Count", CG_SERVER_STREAMING, count),
    METHOD("Sum", CG_CLIENT_STREAMING, sum),
    METHOD("Chat", CG_BIDI_STREAMING, chat),
    METHOD("Duplex", CG_BIDI_STREAMING, duplex),
};

const cg_service rt__test__service = {
    .name = "rt.Test", .n_methods = RT_N_METHODS, .methods = rt__test__methods};

int rt__test__register_server(cg_server *srv, const Rt__Test_Server *impl,
                              void *user)
{
    return cg_server_add_service(srv, &rt__test__service, impl, user);
}
