/*
 * server_fixture.h: the integration tests' fixture, a server with the
 * course's five services in this process, and a channel to it (exercise 3,
 * in server_fixture.c). Given: read it, don't edit.
 *
 * A fixture is what a test stands on: set up before it, torn down after it,
 * whether the test passed or failed. The stream tests use it with cmocka:
 *
 *     cmocka_unit_test_setup_teardown(test_something,
 *                                     server_fixture_setup,
 *                                     server_fixture_teardown),
 *
 * and each test finds its fixture in *state:
 *
 *     static void test_something(void **state)
 *     {
 *         server_fixture *f = *state;
 *         ... call the server through f->ch ...
 *     }
 *
 * Every test gets a fresh server: a new port, an empty chat room, settings
 * back to their defaults, a watch that has seen nothing. No test can then
 * pass or fail because of what another one left behind.
 */
#ifndef STEP06_SERVER_FIXTURE_H
#define STEP06_SERVER_FIXTURE_H

#include <cgrpc.h>

#include "chat_room.h"
#include "file_service.h"
#include "handler_watch.h"
#include "my_service.h"
#include "notification_service.h"
#include "user_service.h"

/* [fixture-struct] */
typedef struct server_fixture {
    cg_server *srv;  /* the server, on 127.0.0.1 with a port the kernel chose */
    int port;        /* that port */
    char target[32]; /* "127.0.0.1:<port>", for cg_channel_new */
    cg_channel *ch;  /* a channel to the server, READY */

    /* The services' state: the user pointers of their registration. A test
     * may change the settings before its calls (a pause between
     * notifications, a smaller upload limit) and look into the room. */
    notification_settings notes; /* interval_ms starts at 0: no pause */
    upload_settings uploads;     /* all 0: the defaults */
    chat_room room;
    handler_watch watch; /* installed as the server's interceptor */
} server_fixture;
/* [/fixture-struct] */

/* Given (server_fixture_given.c). A new fixture, allocated: its settings
 * zeroed, the room and the watch initialised, nothing started; NULL when
 * out of memory. server_fixture_free releases the room, the watch and the
 * fixture itself (once the channel and the server are gone); NULL is a
 * no-op. */
server_fixture *server_fixture_new(void);
void server_fixture_free(server_fixture *f);

/* cg_test_server_start's setup callback; `fixture` is the server_fixture.
 * Before the server starts, it installs the watch (handler_watch_interceptor
 * with &f->watch) and registers the five services, each with its state:
 *
 *   MyService             NULL
 *   UserService           user_repo_sample()
 *   NotificationService   &f->notes
 *   FileService           &f->uploads
 *   ChatService           &f->room
 */
void server_fixture_register(cg_server *srv, void *fixture);

/* cmocka setup: a new fixture (server_fixture_new), the server started with
 * server_fixture_register, f->target filled in, and f->ch connected:
 * READY before the test starts, so a server that cannot be reached fails
 * the setup, not some call in the middle of a test. *state receives the
 * fixture. Returns 0, or -1 (everything already released) on failure. */
int server_fixture_setup(void **state);

/* cmocka teardown: frees the channel, then the server (which waits for
 * every handler to return), then the rest (server_fixture_free), and sets
 * *state to NULL. Returns 0. */
int server_fixture_teardown(void **state);

#endif
