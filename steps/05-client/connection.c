/*
 * connection.c: exercise 7, making sure of the connection (contracts in
 * connection.h). Write both functions; `make test` here runs suite
 * connection.
 * Lesson: docs/en/steps/05-client.md#exercise-7-ensure-the-connection
 */
#include "connection.h"

#include <stdio.h>

#include "tutorial/v1/my_service.cgrpc.h"
#include "unary.h"

cg_status ensure_connection(cg_channel *ch, int64_t timeout_ms)
{
    (void)ch;
    (void)timeout_ms;
    /* TODO: READY already? Otherwise cg_channel_wait_ready, and UNAVAILABLE
     * with the state when it times out */
    return cg_error(NULL, GRPC_STATUS_UNIMPLEMENTED,
                    "step 5: write ensure_connection() in connection.c "
                    "(lesson: docs/en/steps/05-client.md#waiting-for-ready)");
}

cg_status unary_call_wait_ready(cg_channel *ch, const char *id, int32_t value,
                                int64_t timeout_ms, char *msg, size_t cap)
{
    (void)ch;
    (void)id;
    (void)value;
    (void)timeout_ms;
    if (cap > 0)
        msg[0] = '\0';
    /* TODO: like unary_call, with one more call option */
    return cg_error(NULL, GRPC_STATUS_UNIMPLEMENTED,
                    "step 5: write unary_call_wait_ready() in connection.c "
                    "(lesson: docs/en/steps/05-client.md#calls-that-wait-for-ready)");
}
