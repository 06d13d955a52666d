/*
 * chat_room.h: the chat room behind ChatService.Chat (exercise 5: the room
 * in chat_room.c, the handler in chat_service.c).
 *
 * Every Chat call is a member of one room. Each message a member sends is
 * broadcast to every member connected at that moment, the sender included,
 * and all members receive the messages in one and the same order: the order
 * in which the room broadcast them.
 *
 * Handlers of different calls run on different threads, so members join,
 * leave and broadcast at the same time: a mutex guards the list. A member
 * lives in its handler's stack frame; the room only links it in:
 *
 *   room->head -> [member of call A] -> [member of call C] -> NULL
 *                   stream: A's          stream: C's
 *
 * Registered with the room as ChatService's user pointer:
 *
 *     chat_room room;
 *     chat_room_init(&room);
 *     tutorial__v1__chat_service__register_server(srv, &chat_service_server,
 *                                                 &room);
 *     ... serve ...
 *     chat_room_destroy(&room);   (after the server is freed)
 */
#ifndef STEP04_CHAT_ROOM_H
#define STEP04_CHAT_ROOM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "tutorial/v1/chat_service.cgrpc.h"

/* [room-types] */
typedef struct chat_member {
    cg_stream *stream;        /* where this member's messages are sent */
    struct chat_member *next; /* the next member of the room's list */
    bool in_room;             /* true from join until it leaves or is dropped */
} chat_member;

typedef struct chat_room {
    pthread_mutex_t mu; /* guards head, and every member's next and in_room */
    chat_member *head;  /* the members, in no particular order */
} chat_room;
/* [/room-types] */

/* Given (chat_room_given.c). An empty room / releases an empty room. */
void chat_room_init(chat_room *room);
void chat_room_destroy(chat_room *room);

/* Given (chat_room_given.c). How many members are in the room right now.
 * Thread-safe. */
size_t chat_room_size(chat_room *room);

/* Adds member m, whose messages go to `stream`. m must not be in a room;
 * it must stay valid until chat_room_leave(room, m) returns. Thread-safe. */
void chat_room_join(chat_room *room, chat_member *m, cg_stream *stream);

/* Removes m from the room. Harmless when m already left or was dropped by
 * a broadcast. After it returns, no broadcast touches m or its stream any
 * more. Thread-safe. */
void chat_room_leave(chat_room *room, chat_member *m);

/* Sends msg to every member, the sender included, and returns how many it
 * reached. A member whose send fails (its client is gone) is dropped from
 * the room on the way; the others still get the message. While one
 * broadcast runs, no other broadcast, join or leave can interleave with it,
 * so every member sees the same order. Thread-safe. */
size_t chat_room_broadcast(chat_room *room,
                           const Tutorial__V1__ChatMessage *msg);

/* The handler table of ChatService (chat_service.c). User pointer: the
 * chat_room. Chat: a call joins the room when it starts and leaves when it
 * ends (the client closed its side or went away); each message received is
 * broadcast; a message with an empty user ends the call with
 * INVALID_ARGUMENT "user is required". */
extern const Tutorial__V1__ChatService_Server chat_service_server;

#endif
