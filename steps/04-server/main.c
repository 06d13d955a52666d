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
    /* TODO: register UserService (user pointer: user_repo_sample()),
     * NotificationService (a notification_settings with the outline's
     * interval, NOTIFY_OUTLINE_INTERVAL_MS), FileService (an upload_settings,
     * all defaults) and ChatService (a chat_room: chat_room_init it first,
     * chat_room_destroy it once the server is freed). */

    if (cg_server_start(srv) != 0) {
        fprintf(stderr, "server: could not start\n");
        cg_server_free(srv);
        return 1;
    }
    server_print_listening(addr, port);

    /* TODO: serve until SIGINT or SIGTERM with
     * cg_server_run_until_signal(srv, GRACE_MS), which lets in-flight calls
     * finish; then free the server and return 0. The lines below stop at
     * once on the first signal, cutting every call short. */
    int sig = 0;
    sigwait(&stop, &sig);
    cg_server_free(srv);
    return 128 + sig;
}
