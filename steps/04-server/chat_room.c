/*
 * chat_room.c: exercise 5a, a room that broadcasts every message to every
 * member, safe when calls join, leave and send at once (contracts in
 * chat_room.h). Test: `make test` here; suite chat_room.
 * Lesson: docs/en/steps/04-server.md#the-room
 */
#include "chat_room.h"

/* ---- given: setting up and looking at a room ------------------------- */

void chat_room_init(chat_room *room)
{
    pthread_mutex_init(&room->mu, NULL);
    room->head = NULL;
}

void chat_room_destroy(chat_room *room)
{
    pthread_mutex_destroy(&room->mu);
    room->head = NULL;
}

size_t chat_room_size(chat_room *room)
{
    size_t n = 0;
    pthread_mutex_lock(&room->mu);
    for (const chat_member *m = room->head; m != NULL; m = m->next)
        n++;
    pthread_mutex_unlock(&room->mu);
    return n;
}

/* ---- exercise 5a ----------------------------------------------------- */

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
