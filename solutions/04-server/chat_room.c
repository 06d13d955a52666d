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
    m->stream = stream;
    pthread_mutex_lock(&room->mu);
    m->next = room->head;
    room->head = m;
    m->in_room = true;
    pthread_mutex_unlock(&room->mu);
}

/* Takes *link (which points at m) out of the list. The room is locked. */
static void unlink_member(chat_member **link, chat_member *m)
{
    *link = m->next;
    m->next = NULL;
    m->in_room = false;
}

void chat_room_leave(chat_room *room, chat_member *m)
{
    pthread_mutex_lock(&room->mu);
    if (m->in_room) {
        chat_member **link = &room->head;
        while (*link != m)
            link = &(*link)->next;
        unlink_member(link, m);
    }
    pthread_mutex_unlock(&room->mu);
}

size_t chat_room_broadcast(chat_room *room,
                           const Tutorial__V1__ChatMessage *msg)
{
    size_t reached = 0;
    /* The lock is held for the whole round, so two broadcasts never
     * interleave and everyone sees the same order. */
    pthread_mutex_lock(&room->mu);
    chat_member **link = &room->head;
    while (*link != NULL) {
        chat_member *m = *link;
        if (cg_send(m->stream, msg)) {
            reached++;
            link = &m->next;
        } else {
            /* Its client is gone: drop it now rather than fail on every
             * later message. Its handler's leave will find it out. */
            unlink_member(link, m);
        }
    }
    pthread_mutex_unlock(&room->mu);
    return reached;
}
