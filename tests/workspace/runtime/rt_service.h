/*
 * rt_service.h: the rt.Test service's method table, written by hand in the
 * shape protoc-gen-cgrpc emits (a handler table struct, one invoke thunk per
 * method, the cg_method constants and a register function), so the
 * runtime's tests do not depend on the code generator.
 */
#ifndef RT_SERVICE_H
#define RT_SERVICE_H

#include "cgrpc.h"
#include "rt_test.pb-c.h"

typedef struct Rt__Test_Server {
    cg_status (*echo)(cg_ctx *ctx, const Rt__Msg *req, Rt__Msg *resp);
    cg_status (*fail)(cg_ctx *ctx, const Rt__Msg *req, Rt__Msg *resp);
    cg_status (*sleep)(cg_ctx *ctx, const Rt__Msg *req, Rt__Msg *resp);
    cg_status (*meta)(cg_ctx *ctx, const Rt__Msg *req, Rt__Msg *resp);
    cg_status (*block)(cg_ctx *ctx, const Rt__Msg *req, Rt__Msg *resp);
    cg_status (*count)(cg_ctx *ctx, const Rt__Msg *req, cg_stream *stream);
    cg_status (*sum)(cg_ctx *ctx, cg_stream *stream, Rt__Msg *resp);
    cg_status (*chat)(cg_ctx *ctx, cg_stream *stream);
    cg_status (*duplex)(cg_ctx *ctx, cg_stream *stream);
} Rt__Test_Server;

enum {
    RT_ECHO,
    RT_FAIL,
    RT_SLEEP,
    RT_META,
    RT_BLOCK,
    RT_COUNT,
    RT_SUM,
    RT_CHAT,
    RT_DUPLEX,
    RT_N_METHODS
};

extern const cg_method rt__test__methods[RT_N_METHODS];
extern const cg_service rt__test__service;

int rt__test__register_server(cg_server *srv, const Rt__Test_Server *impl,
                              void *user);

#endif
