/*
 * chat_service.c: exercise 5b, the Chat handler: a bidirectional stream that
 * is a member of the room while its call lasts (contracts in chat_room.h).
 * Test: `make test` here; suite chat. Lesson: docs/en/steps/04-server.md#chat
 */
#include "chat_room.h"

static cg_status chat(cg_ctx *ctx, cg_stream *stream)
{
    chat_room *room = cg_ctx_user(ctx);
    chat_member me;
    /* Join first: a member hears the room from the start of its call,
     * before it says anything itself. */
    chat_room_join(room, &me, stream);

    cg_status st = cg_ok();
    const Tutorial__V1__ChatMessage *msg;
    while ((msg = cg_recv(stream)) != NULL) {
        if (msg->user[0] == '\0') {
            st =
                cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "user is required");
            break;
        }
        chat_room_broadcast(room, msg);
    }
    if (msg == NULL)
        st = cg_stream_error(stream);
    /* Every way out passes here: `me` is on this stack frame. */
    chat_room_leave(room, &me);
    return st;
}

const Tutorial__V1__ChatService_Server chat_service_server = {
    .chat = chat,
};
