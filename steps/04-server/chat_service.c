/*
 * chat_service.c: exercise 5b, the Chat handler: a bidirectional stream that
 * is a member of the room while its call lasts (contracts in chat_room.h).
 * Test: `make test` here; suite chat. Lesson: docs/en/steps/04-server.md#chat
 */
#include "chat_room.h"

static cg_status chat(cg_ctx *ctx, cg_stream *stream)
{
    chat_room *room = cg_ctx_user(ctx);
    (void)room;
    (void)stream;
    /* TODO: join the room, broadcast each message cg_recv'd, leave on
     * every way out */
    return cg_error(ctx, GRPC_STATUS_UNIMPLEMENTED,
                    "step 4: implement "
                    "Chat — see docs/en/steps/04-server.md#chat");
}

const Tutorial__V1__ChatService_Server chat_service_server = {
    .chat = chat,
};
