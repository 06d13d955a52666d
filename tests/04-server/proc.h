/*
 * proc.h: running a program from a test and reading what it prints.
 *
 * The tests of the server program start it with fork+exec (a process that
 * has started gRPC must not fork without exec), read its stdout until the
 * "listening on" line (never a sleep), talk to it, signal it, and wait for
 * its exit with a time limit. Whatever happens, proc_end kills and reaps it,
 * so no test leaves a process behind.
 */
#ifndef STEP04_PROC_H
#define STEP04_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct proc {
    bool started;    /* proc_start succeeded */
    pid_t pid;       /* 0 once reaped */
    int out_fd;      /* the child's stdout, -1 at EOF */
    int err_fd;      /* the child's stderr, -1 at EOF */
    char out[16384]; /* everything read from stdout so far (NUL-ended) */
    size_t out_len;
    size_t out_seen; /* how much of out proc_read_line has consumed */
    char err[65536]; /* everything read from stderr so far (NUL-ended) */
    size_t err_len;
    int status;      /* waitpid status, once reaped */
    int pidfd;       /* readable when the child exits; -1 if unsupported */
    char name[64];   /* argv[0]'s last part, for the saved stderr */
    pid_t first_pid; /* the pid it started with (pid is 0 once reaped) */
    bool err_saved;  /* proc_end saved stderr for the verdict */
} proc;

/* Starts argv[0] (a path) with argv, stdin from /dev/null, stdout and
 * stderr into pipes. false (with errno) when it cannot. */
bool proc_start(proc *p, char *const argv[]);

/* The next whole line of stdout (without its newline) into line[cap];
 * false at EOF or after timeout_ms. */
bool proc_read_line(proc *p, char *line, size_t cap, int timeout_ms);

/* Waits until the process has exited and both pipes are at EOF, reading
 * what it prints meanwhile; false after timeout_ms (it still runs). */
bool proc_wait(proc *p, int timeout_ms);

/* The exit code after proc_wait, or 128 + the signal that killed it. */
int proc_exit_code(const proc *p);

/* Sends sig (if the process still runs). */
void proc_signal(proc *p, int sig);

/* Kills (SIGKILL) and reaps the process if it still runs, closes the
 * pipes, and saves what it printed on stderr for the verdict
 * (tu_save_program_stderr). Safe to call twice, and on a proc that never
 * started if it was zeroed first. */
void proc_end(proc *p);

/* The step's server program, $(BUILD)/server. */
#define SERVER_PROGRAM STEP_BUILD_DIR "/server"

/* Starts the server program with `--listen listen` and waits (up to
 * timeout_ms) for its "listening on HOST:PORT" line, whose port goes to
 * *port. false when it did not come: why[why_len] says what happened
 * (the process has been ended then). */
bool proc_start_server(proc *p, const char *listen, int *port, char *why,
                       size_t why_len, int timeout_ms);

#endif
