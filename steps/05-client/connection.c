/*
 * connection.c: given, read it but don't edit it. Making sure of the
 * connection (contracts in connection.h): the outline's ensureConnection,
 * and a call that waits for ready. Suite connection tests it.
 * Lesson: docs/en/steps/05-client.md#waiting-for-ready
 */
#include "connection.h"

#include <stdio.h>

#include "tutorial/v1/my_service.cgrpc.h"
#include "unary.h"

cg_status ensure_connection(cg_channel *ch, int64_t timeout_ms)
{
    if (ch == NULL)
        return cg_error(NULL, GRPC_STATUS_INVALID_ARGUMENT, "no channel");
    /* The common case costs nothing: a look at the state. */
    if (cg_channel_state(ch, false) == CG_CONN_READY)
        return cg_ok();
    if (timeout_ms <= 0)
        timeout_ms = CONNECT_TIMEOUT_MS;
    /* Connects an idle channel and waits for READY, or for the time to
     * run out. */
    if (cg_channel_wait_ready(ch, timeout_ms))
        return cg_ok();
    return cg_error(
        NULL, GRPC_STATUS_UNAVAILABLE, "not connected after %lld ms (state %s)",
        (long long)timeout_ms, cg_conn_state_name(cg_channel_state(ch, false)));
}

cg_status unary_call_wait_ready(cg_channel *ch, const char *id, int32_t value,
                                int64_t timeout_ms, char *msg, size_t cap)
{
    if (cap > 0)
        msg[0] = '\0';
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    req.value = value;
    cg_call_opts opts = {0};
    opts.timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_MS;
    opts.ready =
        CG_READY_WAIT; /* no connection yet? wait, up to the deadline */

    Tutorial__V1__Response *resp = NULL;
    cg_status st =
        tutorial__v1__my_service_client__unary_call(ch, &req, &resp, &opts);
    if (st.code != GRPC_STATUS_OK)
        return st;
    if (cap > 0)
        snprintf(msg, cap, "%s", resp->message);
    tutorial__v1__response__free_unpacked(resp, NULL);
    return st;
}
