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
    const char *addr;
    int port, status;
    cg_server *srv = server_open(argc, argv, &addr, &port, &status);
    if (srv == NULL)
        return status;

    /* The outline's pb.RegisterMyServiceServer(s, &server{}). */
    tutorial__v1__my_service__register_server(srv, &my_service_server, NULL);
    /* TODO: register UserService (user pointer: user_repo_sample()),
     * NotificationService (a notification_settings with the outline's
     * interval, NOTIFY_OUTLINE_INTERVAL_MS), FileService (an upload_settings,
     * all defaults) and ChatService (a chat_room: chat_room_init it first,
     * chat_room_destroy it once the server is freed). */

    if (server_start(srv, addr, port) != 0)
        return 1;

    /* TODO: serve until SIGINT or SIGTERM with
     * cg_server_run_until_signal(srv, GRACE_MS), which lets in-flight calls
     * finish; then free the server and return 0. The lines below stop at
     * once on the first signal, cutting every call short. */
    int sig = server_wait_for_signal();
    cg_server_free(srv);
    return 128 + sig;
}
