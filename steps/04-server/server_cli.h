/*
 * server_cli.h: the given parts of the step-4 server program, around what
 * main.c (exercise 6) does: the command line, the listening socket, the
 * start, the wait for a signal. Given: read it, don't edit.
 * Every server of the workspace takes --listen ADDR and prints
 * "listening on HOST:PORT" once it accepts calls.
 */
#ifndef SERVER_CLI_H
#define SERVER_CLI_H

#include <cgrpc.h>

#define DEFAULT_LISTEN "0.0.0.0:50051"

/* Reads the command line: `--listen ADDR` (or `--listen=ADDR`) and `--help`,
 * storing the address in *addr (left as is when not given). Returns 0 to go
 * on, otherwise the exit status to end with (-1: exit 0, after --help). */
int server_parse_args(int argc, char **argv, const char **addr);

/* Prints "listening on HOST:PORT" with the port the server was given (the
 * kernel's choice when the address asked for port 0), and flushes it. */
void server_print_listening(const char *addr, int port);

/* The program's first steps: reads the command line (server_parse_args;
 * *addr is DEFAULT_LISTEN unless --listen says otherwise), blocks SIGINT
 * and SIGTERM in every thread to come (they wait, pending, until someone
 * asks for them), and makes a server listening on *addr, with *port the
 * port it got. Returns the server, not started yet; or NULL with the exit
 * status to end with in *exit_status: 0 after --help, 2 for a bad
 * argument, 1 when it cannot listen (said on stderr). */
cg_server *server_open(int argc, char **argv, const char **addr, int *port,
                       int *exit_status);

/* Turns on server reflection (so that grpcurl, buf curl and `make call`
 * can ask the server what it serves:
 * docs/en/steps/04-server.md#server-reflection), starts srv and prints
 * "listening on HOST:PORT" (server_print_listening). Returns 0, or 1 after
 * saying why on stderr; srv is freed then. */
int server_start(cg_server *srv, const char *addr, int port);

/* Waits for SIGINT or SIGTERM (blocked by server_open) and returns it. */
int server_wait_for_signal(void);

#endif
