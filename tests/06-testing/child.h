/*
 * child.h: runs a program from a test, with a time limit.
 *
 * The suites judge the learner's tests by running the learner's test
 * program (and its mutants) as child processes: a program that crashes or
 * hangs must never take the suite down with it. The child's stdout and
 * stderr go to a file, kept for the learner to read. Whatever happens, the
 * child is ended and reaped before child_run returns: on time out it is
 * killed, and if the suite itself dies, the kernel kills the child too.
 */
#ifndef STEP06_CHILD_H
#define STEP06_CHILD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct child_result {
    bool started;      /* false: it could not be started (see output) */
    bool timed_out;    /* it ran past the limit and was killed */
    int exit_code;     /* its exit status, when it exited by itself */
    int signal;        /* the signal that ended it, 0 if none (and not ours) */
    long ms;           /* how long it ran */
    char output[6000]; /* the start of what it printed (NUL-terminated) */
} child_result;

/* Runs argv[0] (a path) with argv, stdin from /dev/null, stdout and stderr
 * into out_path (created or truncated), for at most timeout_ms. The child's
 * environment is the suite's, plus CMOCKA_MESSAGE_OUTPUT=stdout. */
void child_run(char *const argv[], const char *out_path, int timeout_ms,
               child_result *r);

/* The same in two halves, so that several children run at once: a child
 * started and not yet waited for. */
typedef struct child {
    int pid; /* 0: not running */
    long start;
    int timeout_ms;
    char out_path[512];
} child;

/* Starts argv[0] as child_run does; false (r filled) when it could not. */
bool child_start(char *const argv[], const char *out_path, int timeout_ms,
                 child *c, child_result *r);

/* Waits for a started child until its time limit (counted from its start),
 * kills it past that, reaps it and fills r, as child_run does. */
void child_finish(child *c, child_result *r);

/* Kills a started child at once and reaps it: its result is not needed. */
void child_cancel(child *c);

/* True when the child ran to its end with exit status 0. */
bool child_passed(const child_result *r);

#endif
