/*
 * server_stream.c: exercise 2, reading a server stream until its end
 * (contracts in server_stream.h). Write both functions; `make test` here
 * runs suite server_stream.
 * Lesson: docs/en/steps/05-client.md#exercise-2-reading-a-server-stream
 */
#include "server_stream.h"

#include "unary.h"

cg_status server_stream(cg_channel *ch, const char *id, int32_t count,
                        int64_t timeout_ms, response_fn on_response, void *user,
                        size_t *received)
{
    (void)ch;
    (void)id;
    (void)count;
    (void)timeout_ms;
    (void)on_response;
    (void)user;
    if (received != NULL)
        *received = 0;
    /* TODO: start the call with the stub, cg_call_recv until NULL (or until
     * on_response says stop: then cancel), cg_call_finish for the status */
    return cg_error(
        NULL, GRPC_STATUS_UNIMPLEMENTED,
        "step 5: write server_stream() in server_stream.c "
        "(lesson: docs/en/steps/05-client.md#until-the-end-of-the-stream)");
}

cg_status stream_notifications(cg_channel *ch, const char *user_id,
                               int32_t max_count, int64_t timeout_ms,
                               notification_fn on_note, void *user,
                               size_t *received)
{
    (void)ch;
    (void)user_id;
    (void)max_count;
    (void)timeout_ms;
    (void)on_note;
    (void)user;
    if (received != NULL)
        *received = 0;
    /* TODO: the same loop over NotificationService's stream */
    return cg_error(
        NULL, GRPC_STATUS_UNIMPLEMENTED,
        "step 5: write stream_notifications() in server_stream.c "
        "(lesson: docs/en/steps/05-client.md#until-the-end-of-the-stream)");
}
