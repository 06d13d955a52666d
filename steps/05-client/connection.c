/*
 * connection.c: given, read it but don't edit it. Making sure of the
 * connection (contracts in connection.h): the outline's ensureConnection,
 * and the options of a call that waits for ready. Suite connection tests it.
 * Lesson: docs/en/steps/05-client.md#waiting-for-ready
 */
#include "connection.h"

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

cg_call_opts wait_ready_opts(int64_t timeout_ms)
{
    cg_call_opts opts = {0};
    opts.timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_MS;
    opts.ready =
        CG_READY_WAIT; /* no connection yet? wait, up to the deadline */
    return opts;
}
