/*
 * server_cli.c: the given parts of the server program (contracts in
 * server_cli.h): reading --listen, blocking the stop signals, listening,
 * starting, printing the "listening on" line. Given: read it, don't edit;
 * main.c uses it.
 */
#include "server_cli.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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
    fprintf(to,
            "usage: %s [--listen HOST:PORT]\n"
            "  --listen  where to accept calls (default %s;\n"
            "            127.0.0.1:0 picks a free port on this machine)\n",
            prog, DEFAULT_LISTEN);
}

/* Reads the command line: `--listen ADDR` (or `--listen=ADDR`) and `--help`.
 * Returns 0 to go on, otherwise the exit status to end with (-1: exit 0). */
int server_parse_args(int argc, char **argv, const char **addr)
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
        fprintf(stderr,
                "%s: --listen wants HOST:PORT with a port from 0 to "
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
void server_print_listening(const char *addr, int port)
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

cg_server *server_open(int argc, char **argv, const char **addr, int *port,
                       int *exit_status)
{
    *addr = DEFAULT_LISTEN;
    int rc = server_parse_args(argc, argv, addr);
    if (rc != 0) {
        *exit_status = rc < 0 ? 0 : rc;
        return NULL;
    }

    /* [block-signals] */
    /* Block SIGINT and SIGTERM before any thread starts: from now on they
     * wait, pending, until the server asks for them. Without this, a
     * SIGTERM that comes between "listening on" and the wait for it would
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
    *port = cg_server_listen(srv, *addr, NULL, &err);
    if (*port < 0) {
        fprintf(stderr,
                "server: %s\n"
                "server: is another server using that port? --listen "
                "127.0.0.1:0 picks a free one.\n",
                err.message);
        cg_server_free(srv);
        *exit_status = 1;
        return NULL;
    }
    /* [/listen] */
    return srv;
}

int server_start(cg_server *srv, const char *addr, int port)
{
    /* [reflection] */
    /* Describes every service registered on srv, from the descriptors the
     * generated code embeds, to tools that have no .proto file. */
    int rc = cg_server_enable_reflection(srv);
    /* [/reflection] */
    if (rc != 0 || cg_server_start(srv) != 0) {
        fprintf(stderr, "server: could not start\n");
        cg_server_free(srv);
        return 1;
    }
    server_print_listening(addr, port);
    return 0;
}

int server_wait_for_signal(void)
{
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    int sig = 0;
    sigwait(&stop, &sig);
    return sig;
}
