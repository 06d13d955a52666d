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
#include "user_service.h"

#define DEFAULT_LISTEN "0.0.0.0:50051"
/* How long in-flight calls may run on after SIGTERM before they are
 * cancelled. Kubernetes waits 30 s before it kills a pod; stay well below. */
#define GRACE_MS 5000

/* [parse-args] */
/* True when addr looks like HOST:PORT with a port from 0 to 65535 (or is a
 * unix: socket path). gRPC core itself would take "127.0.0.1:99999" and
 * quietly listen on port 34463 (99999 modulo 65536), and it cannot parse
 * Go's ":50051" at all: better to say so plainly here. */
static bool plausible_address(const char *addr)
{
    if (strncmp(addr, "unix:", 5) == 0)
        return addr[5] != '\0';
    const char *colon = strrchr(addr, ':');
    if (colon == NULL || colon == addr || colon[1] == '\0')
        return false;
    long port = 0;
    for (const char *p = colon + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        port = port * 10 + (*p - '0');
        if (port > 65535)
            return false;
    }
    return true;
}

static void usage(FILE *to, const char *prog)
{
    fprintf(to, "usage: %s [--listen HOST:PORT]\n"
            "  --listen  where to accept calls (default %s;\n"
            "            127.0.0.1:0 picks a free port on this machine)\n",
            prog, DEFAULT_LISTEN);
}

/* Reads the command line: `--listen ADDR` (or `--listen=ADDR`) and `--help`.
 * Returns 0 to go on, otherwise the exit status to end with (-1: exit 0). */
static int parse_args(int argc, char **argv, const char **addr)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            *addr = argv[++i];
        } else if (strncmp(argv[i], "--listen=", 9) == 0) {
            *addr = argv[i] + 9;
        } else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout, argv[0]);
            return -1;
        } else {
            fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[i]);
            usage(stderr, argv[0]);
            return 2;
        }
    }
    if (!plausible_address(*addr)) {
        fprintf(stderr, "%s: --listen wants HOST:PORT with a port from 0 to "
                "65535, such as 0.0.0.0:50051 or 127.0.0.1:0; got '%s'\n",
                argv[0], *addr);
        return 2;
    }
    return 0;
}
/* [/parse-args] */

/* [listening-line] */
/* Prints "listening on HOST:PORT" with the port the kernel gave us, which
 * differs from the one asked for when that was 0. Tests and scripts wait
 * for this line, so it must leave the stdio buffer at once. */
static void print_listening(const char *addr, int port)
{
    if (strncmp(addr, "unix:", 5) == 0) {
        printf("listening on %s\n", addr); /* a socket file has no port */
    } else {
        int host_len = (int)(strrchr(addr, ':') - addr);
        printf("listening on %.*s:%d\n", host_len, addr, port);
    }
    fflush(stdout);
}
/* [/listening-line] */

int main(int argc, char **argv)
{
    const char *addr = DEFAULT_LISTEN;
    int rc = parse_args(argc, argv, &addr);
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
    print_listening(addr, port);

    /* Blocks until SIGINT or SIGTERM, then stops taking calls and waits
     * up to GRACE_MS for those in flight before cancelling the rest. */
    cg_server_run_until_signal(srv, GRACE_MS);
    cg_server_free(srv);
    chat_room_destroy(&room); /* only now: no handler can be in it */
    return 0;
}
