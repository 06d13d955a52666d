/*
 * chat_room_given.c: given, read it but don't edit it. The room's setup,
 * release and member count (contracts in chat_room.h). Exercise 5a, the
 * rest, is in chat_room.c.
 */
#include "chat_room.h"

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
