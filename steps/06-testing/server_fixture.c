/*
 * server_fixture.c: exercise 3, the integration tests' fixture: a server
 * with the five services on 127.0.0.1:0 in this process, a channel to it,
 * and a teardown that leaves nothing behind (contract in server_fixture.h).
 * Test: `make test` here; suite server_fixture.
 * Lesson: docs/en/steps/06-testing.md#exercise-3-an-integration-fixture
 */
#include "server_fixture.h"

#include <stdio.h>

void server_fixture_register(cg_server *srv, void *fixture)
{
    server_fixture *f = fixture;
    (void)srv;
    (void)f;
    /* TODO: install the watch (cg_server_add_interceptor with
     * handler_watch_interceptor and &f->watch), then register the five
     * services, each with its state (the table in server_fixture.h) */
}

int server_fixture_setup(void **state)
{
    server_fixture *f = server_fixture_new();
    if (f == NULL)
        return -1;
    /* TODO: start the server with cg_test_server_start(
     * server_fixture_register, f, &f->port), write f->target, open f->ch
     * and wait until it is READY; when something fails, release
     * everything and return -1 */
    *state = f;
    return 0;
}

int server_fixture_teardown(void **state)
{
    server_fixture *f = *state;
    /* TODO: free the channel, then the server, before the rest (f may be
     * NULL: server_fixture_free takes that, f->ch would not) */
    server_fixture_free(f);
    *state = NULL;
    return 0;
}
