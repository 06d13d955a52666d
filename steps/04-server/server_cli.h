/*
 * server_cli.h: the command line of the step-4 server program (given).
 * Every server of the workspace takes --listen ADDR and prints
 * "listening on HOST:PORT" once it accepts calls.
 */
#ifndef SERVER_CLI_H
#define SERVER_CLI_H

#define DEFAULT_LISTEN "0.0.0.0:50051"

/* Reads the command line: `--listen ADDR` (or `--listen=ADDR`) and `--help`,
 * storing the address in *addr (left as is when not given). Returns 0 to go
 * on, otherwise the exit status to end with (-1: exit 0, after --help). */
int server_parse_args(int argc, char **argv, const char **addr);

/* Prints "listening on HOST:PORT" with the port the server was given (the
 * kernel's choice when the address asked for port 0), and flushes it. */
void server_print_listening(const char *addr, int port);

#endif
