/*
 * chat_room.c: exercise 5a, a room that broadcasts every message to every
 * member, safe when calls join, leave and send at once (contracts in
 * chat_room.h; chat_room_init, _destroy and _size are given in
 * chat_room_given.c). Test: `make test` here; suite chat_room.
 * Lesson: docs/en/steps/04-server.md#the-room
 */
#include "chat_room.h"

void chat_room_join(chat_room *room, chat_member *m, cg_stream *stream)
{
    (void)room;
    (void)m;
    (void)stream; /* TODO: link m in, under the room's lock */
}

void chat_room_leave(chat_room *room, chat_member *m)
{
    (void)room;
    (void)m; /* TODO: unlink m if it is still in the room, under the lock */
}

size_t chat_room_broadcast(chat_room *room,
                           const Tutorial__V1__ChatMessage *msg)
{
    (void)room;
    (void)msg;
    return 0; /* TODO: cg_send to every member, drop those whose send fails */
}
