/*
 * bidi.c: exercise 4, bidirectional streams: in lock step, and a chat that
 * sends and receives at once (contracts in bidi.h). Write both functions;
 * `make test` here runs suite bidi.
 * Lesson:
 * docs/en/steps/05-client.md#exercise-4-chat-sending-and-receiving-at-once
 */
#include "bidi.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/types.h>

#include "unary.h"

cg_status bidi_echo(cg_channel *ch, const char *const *ids, size_t n,
                    int64_t timeout_ms, response_fn on_response, void *user,
                    size_t *received)
{
    (void)ch;
    (void)ids;
    (void)n;
    (void)timeout_ms;
    (void)on_response;
    (void)user;
    if (received != NULL)
        *received = 0;
    /* TODO: start the call; for each id send one Request, then read one
     * Response; close_send; finish */
    return cg_error(NULL, GRPC_STATUS_UNIMPLEMENTED,
                    "step 5: write bidi_echo() in bidi.c "
                    "(lesson: docs/en/steps/05-client.md#lock-step)");
}

cg_status chat_run(cg_channel *ch, const char *user, FILE *in, FILE *out)
{
    (void)ch;
    (void)user;
    (void)in;
    (void)out;
    /* TODO: start the call; a thread (pthread_create) that receives and
     * prints; here: getline, send, and close_send at the end of in; join
     * the thread, then finish */
    return cg_error(NULL, GRPC_STATUS_UNIMPLEMENTED,
                    "step 5: write chat_run() in bidi.c "
                    "(lesson: docs/en/steps/05-client.md#two-threads)");
}
