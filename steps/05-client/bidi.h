/*
 * bidi.h: exercise 4, bidirectional streams: in lock step, and a chat that
 * sends and receives at once (given; you write bidi.c).
 *
 * Both sides of a bidirectional call stream independently. A client may
 * take turns (send one, read one), or do both at the same time on two
 * threads, as the outline's chat client does with two goroutines.
 * The lesson:
 * docs/en/steps/05-client.md#exercise-4-chat-sending-and-receiving-at-once
 */
#ifndef STEP05_BIDI_H
#define STEP05_BIDI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cgrpc.h>

#include "server_stream.h"
#include "tutorial/v1/chat_service.cgrpc.h"
#include "tutorial/v1/my_service.cgrpc.h"

/*
 * Calls MyService.BidirectionalStream in lock step: for each of ids[0..n),
 * sends Request{id: ids[i], value: i} and reads its response (handed to
 * on_response(resp, user)) before sending the next. Then half-closes and
 * returns the call's status. Deadline timeout_ms from now (0:
 * CLIENT_TIMEOUT_MS).
 * When the stream ends before all answers came (the server answers an
 * empty id with INVALID_ARGUMENT and ends the call), nothing more is sent
 * and the server's status is returned. When on_response returns false,
 * the call is cancelled and the result is OK. *received (OUT, may be NULL)
 * counts the responses handed to on_response.
 */
cg_status bidi_echo(cg_channel *ch, const char *const *ids, size_t n,
                    int64_t timeout_ms, response_fn on_response, void *user,
                    size_t *received);

/*
 * Joins ChatService.Chat as `user` and chats until both sides are done,
 * sending and receiving at the same time on two threads:
 *  - the calling thread reads `in` line by line and sends each line as
 *    ChatMessage{user, content: the line without its '\n'}, skipping empty
 *    lines; at the end of `in` (or once a send fails) it half-closes;
 *  - a second thread receives every message of the room, the user's own
 *    included, and prints it on `out` as "[<user>]: <content>\n",
 *    flushing `out` after each one, until the server ends the call.
 * Returns the call's status once both threads are done: OK when the server
 * ended the call after our half-close, or the server's error (e.g.
 * INVALID_ARGUMENT for an empty user). The call has no deadline: a chat
 * lasts as long as its input.
 */
cg_status chat_run(cg_channel *ch, const char *user, FILE *in, FILE *out);

#endif
