/*
 * main.c: exercise 6, the server program: register the five services,
 * serve, and stop gracefully on SIGINT or SIGTERM (the command line and
 * the listening socket come from server_cli.c, given).
 * Run it: `make run` here (ARGS="--listen 127.0.0.1:50051"); suite program.
 * Lesson: docs/en/steps/04-server.md#exercise-6-the-server-program
 */
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
    /* The state each service works on: it lives in main's frame, which
     * outlives the server. */
    notification_settings notes = {.interval_ms = NOTIFY_OUTLINE_INTERVAL_MS};
    upload_settings uploads = {0};
    chat_room room;

    const char *addr;
    int port, status;
    cg_server *srv = server_open(argc, argv, &addr, &port, &status);
    if (srv == NULL)
        return status;
    chat_room_init(&room);

    /* The outline's pb.RegisterMyServiceServer(s, &server{}). */
    tutorial__v1__my_service__register_server(srv, &my_service_server, NULL);
    tutorial__v1__user_service__register_server(srv, &user_service_server,
                                                user_repo_sample());
    tutorial__v1__notification_service__register_server(
        srv, &notification_service_server, &notes);
    tutorial__v1__file_service__register_server(srv, &file_service_server,
                                                &uploads);
    tutorial__v1__chat_service__register_server(srv, &chat_service_server,
                                                &room);

    if (server_start(srv, addr, port) != 0) {
        chat_room_destroy(&room);
        return 1;
    }

    /* Blocks until SIGINT or SIGTERM, then stops taking calls and waits
     * up to GRACE_MS for those in flight before cancelling the rest. */
    cg_server_run_until_signal(srv, GRACE_MS);
    cg_server_free(srv);
    chat_room_destroy(&room); /* only now: no handler can be in it */
    return 0;
}
