/*
 * server_stream.c: exercise 2, reading a server stream until its end
 * (contracts in server_stream.h). Test: `make test` here; suite
 * server_stream.
 * Lesson: docs/en/steps/05-client.md#exercise-2-reading-a-server-stream
 */
#include "server_stream.h"

#include "unary.h"

cg_status server_stream(cg_channel *ch, const char *id, int32_t count,
                        int64_t timeout_ms, response_fn on_response, void *user,
                        size_t *received)
{
    size_t n = 0;
    bool stopped = false;
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    req.value = count;
    cg_call_opts opts = {0};
    opts.timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_MS;

    cg_call *call =
        tutorial__v1__my_service_client__server_stream(ch, &req, &opts);
    const Tutorial__V1__Response *resp;
    while ((resp = cg_call_recv(call)) != NULL) {
        n++;
        if (!on_response(resp, user)) {
            stopped = true;
            /* Tell the server to stop: without this, cg_call_finish would
             * read (and drop) everything it still sends. */
            cg_call_cancel(call);
            break;
        }
    }
    cg_status st = cg_call_finish(call);
    if (received != NULL)
        *received = n;
    return stopped ? cg_ok() : st;
}

cg_status stream_notifications(cg_channel *ch, const char *user_id,
                               int32_t max_count, int64_t timeout_ms,
                               notification_fn on_note, void *user,
                               size_t *received)
{
    size_t n = 0;
    bool stopped = false;
    Tutorial__V1__StreamRequest req = TUTORIAL__V1__STREAM_REQUEST__INIT;
    req.user_id = (char *)user_id;
    req.max_count = max_count;
    cg_call_opts opts = {0};
    opts.timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_MS;

    cg_call *call =
        tutorial__v1__notification_service_client__stream_notifications(
            ch, &req, &opts);
    const Tutorial__V1__Notification *note;
    while ((note = cg_call_recv(call)) != NULL) {
        n++;
        if (!on_note(note, user)) {
            stopped = true;
            cg_call_cancel(call);
            break;
        }
    }
    cg_status st = cg_call_finish(call);
    if (received != NULL)
        *received = n;
    return stopped ? cg_ok() : st;
}
