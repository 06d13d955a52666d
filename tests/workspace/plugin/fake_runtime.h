/*
 * fake_runtime.h: a recording stand-in for the cgrpc runtime functions that
 * generated stubs call, so the stubs can be tested without a network and
 * before the runtime exists.
 *
 * fake_runtime.c defines cg_ok, cg_error, cg_unary, cg_call_start,
 * cg_call_send, cg_call_close_send and cg_server_add_service. Each records
 * its arguments in `fake`; cg_unary and cg_server_add_service answer what the
 * test put there. Link it instead of libcgrpc.a, never together with it.
 */
#ifndef PLUGIN_TEST_FAKE_RUNTIME_H
#define PLUGIN_TEST_FAKE_RUNTIME_H

#include <cgrpc.h>

typedef struct fake_state {
    /* cg_server_add_service */
    int add_service_calls;
    const cg_server *add_service_srv;
    const cg_service *add_service_svc;
    const void *add_service_impl;
    void *add_service_user;
    int add_service_result; /* what it returns */
    /* cg_unary */
    int unary_calls;
    const cg_method *unary_method;
    const void *unary_req;
    const cg_call_opts *unary_opts;
    void *unary_resp;       /* what it stores in *resp */
    cg_status unary_status; /* what it returns */
    /* cg_call_start, cg_call_send, cg_call_close_send */
    const cg_method *start_method;
    const cg_call_opts *start_opts;
    const void *sent;
    char trace[128]; /* "start send close" in call order */
} fake_state;

extern fake_state fake;

/* Forgets everything recorded; cg_unary will answer OK with no response. */
void fake_reset(void);

/* The cg_call that cg_call_start hands out. */
cg_call *fake_call(void);

#endif /* PLUGIN_TEST_FAKE_RUNTIME_H */
