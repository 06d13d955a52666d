/*
 * server_fixture.c: exercise 3, the integration tests' fixture: a server
 * with the five services on 127.0.0.1:0 in this process, a channel to it,
 * and a teardown that leaves nothing behind (contract in server_fixture.h).
 * Test: `make test` here; suite server_fixture.
 * Lesson: docs/en/steps/06-testing.md#exercise-3-an-integration-fixture
 */
#include "server_fixture.h"

#include <stdio.h>

/* How long setup waits for the channel to connect to a server that runs in
 * this very process: far more than it ever needs. */
#define CONNECT_MS 10000

void server_fixture_register(cg_server *srv, void *fixture)
{
    server_fixture *f = fixture;
    cg_server_add_interceptor(srv, handler_watch_interceptor, &f->watch);
    tutorial__v1__my_service__register_server(srv, &my_service_server, NULL);
    tutorial__v1__user_service__register_server(srv, &user_service_server,
                                                user_repo_sample());
    tutorial__v1__notification_service__register_server(
        srv, &notification_service_server, &f->notes);
    tutorial__v1__file_service__register_server(srv, &file_service_server,
                                                &f->uploads);
    tutorial__v1__chat_service__register_server(srv, &chat_service_server,
                                                &f->room);
}

int server_fixture_setup(void **state)
{
    server_fixture *f = server_fixture_new();
    if (f == NULL)
        return -1;
    *state = f; /* from here on, teardown releases whatever there is */

    /* Port 0: the kernel picks a free port, so tests never collide with
     * each other, with another run, or with a server already running. */
    f->srv = cg_test_server_start(server_fixture_register, f, &f->port);
    if (f->srv == NULL) {
        fprintf(stderr, "fixture: no server could start on 127.0.0.1:0\n");
        server_fixture_teardown(state);
        return -1;
    }
    snprintf(f->target, sizeof f->target, "127.0.0.1:%d", f->port);

    cg_status err;
    f->ch = cg_channel_new(f->target, NULL, &err);
    if (f->ch == NULL || !cg_channel_wait_ready(f->ch, CONNECT_MS)) {
        fprintf(stderr, "fixture: no connection to %s\n", f->target);
        server_fixture_teardown(state);
        return -1;
    }
    return 0;
}

int server_fixture_teardown(void **state)
{
    server_fixture *f = *state;
    if (f == NULL)
        return 0;
    /* The channel first: it cancels calls a failed test left open, so
     * their handlers return. Then the server, which waits for every
     * handler; only after that are the room and the watch unused. */
    cg_channel_free(f->ch);
    cg_server_free(f->srv);
    server_fixture_free(f);
    *state = NULL;
    return 0;
}
