/*
 * server_fixture_given.c: given, read it but don't edit it. Making and
 * releasing the fixture's memory and state (contracts in
 * server_fixture.h). Exercise 3, the server and the channel, is in
 * server_fixture.c.
 */
#include "server_fixture.h"

#include <stdlib.h>

server_fixture *server_fixture_new(void)
{
    server_fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    chat_room_init(&f->room);
    handler_watch_init(&f->watch);
    return f;
}

void server_fixture_free(server_fixture *f)
{
    if (f == NULL)
        return;
    chat_room_destroy(&f->room);
    handler_watch_destroy(&f->watch);
    free(f);
}
