/*
 * fake_runtime.c: the recording cgrpc stand-in described in fake_runtime.h.
 */
#include "fake_runtime.h"

#include <stdio.h>
#include <string.h>

fake_state fake;

struct cg_call {
    int unused;
};

static cg_call the_call;

void fake_reset(void)
{
    memset(&fake, 0, sizeof fake);
    fake.unary_status = cg_ok();
}

cg_call *fake_call(void)
{
    return &the_call;
}

static void trace(const char *what)
{
    size_t len = strlen(fake.trace);
    snprintf(fake.trace + len, sizeof fake.trace - len, "%s%s", len ? " " : "",
             what);
}

cg_status cg_ok(void)
{
    cg_status st;

    memset(&st, 0, sizeof st);
    st.code = GRPC_STATUS_OK;
    return st;
}

cg_status cg_error(cg_ctx *ctx, grpc_status_code code, const char *fmt, ...)
{
    cg_status st;
    va_list ap;

    (void)ctx; /* the generated code may pass NULL: nothing to record on */
    memset(&st, 0, sizeof st);
    st.code = code;
    va_start(ap, fmt);
    vsnprintf(st.message, sizeof st.message, fmt, ap);
    va_end(ap);
    return st;
}

int cg_server_add_service(cg_server *srv, const cg_service *svc,
                          const void *impl, void *user)
{
    fake.add_service_calls++;
    fake.add_service_srv = srv;
    fake.add_service_svc = svc;
    fake.add_service_impl = impl;
    fake.add_service_user = user;
    return fake.add_service_result;
}

cg_status cg_unary(cg_channel *ch, const cg_method *m, const void *req,
                   void **resp, const cg_call_opts *opts)
{
    (void)ch;
    fake.unary_calls++;
    fake.unary_method = m;
    fake.unary_req = req;
    fake.unary_opts = opts;
    *resp = fake.unary_resp;
    fake.unary_resp = NULL; /* now the stub's */
    return fake.unary_status;
}

cg_call *cg_call_start(cg_channel *ch, const cg_method *m,
                       const cg_call_opts *opts)
{
    (void)ch;
    fake.start_method = m;
    fake.start_opts = opts;
    trace("start");
    return &the_call;
}

bool cg_call_send(cg_call *c, const void *msg)
{
    (void)c;
    fake.sent = msg;
    trace("send");
    return true;
}

bool cg_call_close_send(cg_call *c)
{
    (void)c;
    trace("close");
    return true;
}
