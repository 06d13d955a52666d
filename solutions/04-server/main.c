/*
 * main.c: exercise 6, the server program: listen, register the five
 * services, serve, and stop gracefully on SIGINT or SIGTERM.
 * Run it: `make run` here (ARGS="--listen 127.0.0.1:50051"); suite program.
 * Lesson: docs/en/steps/04-server.md#exercise-6-the-server-program
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "chat_room.h"
#include "file_service.h"
#include "my_service.h"
#include "notification_service.h"
#include "server_cli.h"
#include "user_service.h"

/* How long in-flight calls may run on after SIGTERM before they are
 * cancelled. Kubernetes waits 30 s before it kills a pod; stay well below. */
#define GRACE_MS 5000

int main(int argc, char **argv)
{
    const char *addr = DEFAULT_LISTEN;
    int rc = server_parse_args(argc, argv, &addr);
    if (rc != 0)
        return rc < 0 ? 0 : rc;

    /* [block-signals] */
    /* Block SIGINT and SIGTERM before any thread starts: from now on they
     * wait, pending, until the server asks for them. Without this, a
     * SIGTERM that comes between "listening on" and the wait below would
     * kill the process on the spot, draining nothing. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    /* [/block-signals] */

    /* [listen] */
    cg_server *srv = cg_server_new(NULL);
    cg_status err;
    int port = cg_server_listen(srv, addr, NULL, &err);
    if (port < 0) {
        fprintf(stderr, "server: %s\n"
                "server: is another server using that port? --listen "
                "127.0.0.1:0 picks a free one.\n", err.message);
        cg_server_free(srv);
        return 1;
    }
    /* [/listen] */

    /* The outline's pb.RegisterMyServiceServer(s, &server{}). */
    tutorial__v1__my_service__register_server(srv, &my_service_server, NULL);
    /* The state each service works on: it lives in main's frame, which
     * outlives the server. */
    notification_settings notes = {.interval_ms = NOTIFY_OUTLINE_INTERVAL_MS};
    upload_settings uploads = {0};
    chat_room room;
    chat_room_init(&room);
    tutorial__v1__user_service__register_server(srv, &user_service_server,
                                                user_repo_sample());
    tutorial__v1__notification_service__register_server(
        srv, &notification_service_server, &notes);
    tutorial__v1__file_service__register_server(srv, &file_service_server,
                                                &uploads);
    tutorial__v1__chat_service__register_server(srv, &chat_service_server,
                                                &room);

    if (cg_server_start(srv) != 0) {
        fprintf(stderr, "server: could not start\n");
        cg_server_free(srv);
        return 1;
    }
    server_print_listening(addr, port);

    /* Blocks until SIGINT or SIGTERM, then stops taking calls and waits
     * up to GRACE_MS for those in flight before cancelling the rest. */
    cg_server_run_until_signal(srv, GRACE_MS);
    cg_server_free(srv);
    chat_room_destroy(&room); /* only now: no handler can be in it */
    return 0;
}
