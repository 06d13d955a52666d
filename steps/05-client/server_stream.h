/*
 * server_stream.h: exercise 2, reading a server stream (given; you write
 * server_stream.c).
 *
 * One request goes out; responses come back one by one until the server
 * ends the stream with its status. The client reads with cg_call_recv until
 * it returns NULL, then asks cg_call_finish for the status. A client that
 * has seen enough stops early, and then tells the server so by cancelling.
 * The lesson: docs/en/steps/05-client.md#exercise-2-reading-a-server-stream
 */
#ifndef STEP05_SERVER_STREAM_H
#define STEP05_SERVER_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cgrpc.h>

#include "tutorial/v1/my_service.cgrpc.h"
#include "tutorial/v1/notification_service.cgrpc.h"

/* Called for each message of a stream, in order. The message belongs to
 * the call and is valid only during the callback: copy what you keep.
 * Return true to go on reading, false to stop. */
typedef bool (*response_fn)(const Tutorial__V1__Response *resp, void *user);
typedef bool (*notification_fn)(const Tutorial__V1__Notification *note,
                                void *user);

/*
 * Calls MyService.ServerStream with Request{id, value: count} and a
 * deadline timeout_ms from now (0: CLIENT_TIMEOUT_MS of unary.h), and hands
 * every response to on_response(resp, user), in order.
 * Returns the status the server ended the stream with: OK after all of
 * them; an error status after the responses that came before it
 * (INVALID_ARGUMENT for an empty id or a count outside 0..10000,
 * DEADLINE_EXCEEDED when the stream outlived the deadline, ...).
 * When on_response returns false, the call is cancelled at once (the
 * server stops sending) and the result is OK: stopping on purpose is not
 * an error. *received (OUT, may be NULL) counts the responses handed to
 * on_response.
 */
cg_status server_stream(cg_channel *ch, const char *id, int32_t count,
                        int64_t timeout_ms, response_fn on_response, void *user,
                        size_t *received);

/*
 * The same for NotificationService.StreamNotifications: sends
 * StreamRequest{user_id, max_count} (max_count 0: the server's default of
 * 5) and hands every Notification to on_note(note, user). Same deadline,
 * results, early stop and *received as server_stream.
 */
cg_status stream_notifications(cg_channel *ch, const char *user_id,
                               int32_t max_count, int64_t timeout_ms,
                               notification_fn on_note, void *user,
                               size_t *received);

#endif
