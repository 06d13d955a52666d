/*
 * fixture.h: what step 05's suites share: test servers on free ports that
 * can be stopped and brought back on the same port, a target where nothing
 * listens, channels, temporary files, a watchdog, and a way to run the
 * step's client program as a child process.
 *
 * Nothing here sleeps to wait for something to be ready: servers are
 * accepting calls when fx_server_start returns, and the tests wait on what
 * the service records (svc_wait) with a time limit.
 */
#ifndef STEP05_FIXTURE_H
#define STEP05_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cgrpc.h>

#include "service.h"
#include "testutil.h"

/* Fails the test unless status `st` has code `want`; `what` names the call
 * in the message. (Uses lesson.h's expect_fail: include that first.) */
#define expect_status(st, want, what, section)                                 \
    do {                                                                       \
        cg_status s_ = (st);                                                   \
        if (s_.code != (want))                                                 \
            expect_fail(section, "%s: expected status %s, got %s \"%s\"",      \
                        (what), cg_status_name(want), cg_status_name(s_.code), \
                        s_.message);                                           \
    } while (0)

/* A generous bound for a wait that should take milliseconds. */
#define FX_WAIT_MS 10000

/* A deadline for calls that should succeed: long enough for valgrind. */
#define FX_CALL_MS 10000

typedef struct fx_server {
    svc_state st;
    cg_server *srv;
    int port;
    char target[32]; /* "127.0.0.1:PORT" */
} fx_server;

/* Starts the test service on 127.0.0.1:0 (port 0: the kernel picks a free
 * one). Fails the running test if it cannot. */
void fx_server_start(fx_server *s, const char *name);

/* The same, for a thread other than the test's: false when the server
 * could not start (fx_server_free the record either way). */
bool fx_server_try_start(fx_server *s, const char *name);

/* Starts it on a given port, e.g. the one a stopped server had (a restart).
 * False if the port cannot be bound within FX_WAIT_MS (times fx_slow()). */
bool fx_server_start_on(fx_server *s, const char *name, int port);

/* Stops the server at once (calls in flight are cancelled); the record
 * stays readable until fx_server_free. */
void fx_server_stop(fx_server *s);

/* Stops the server if running and frees the record. */
void fx_server_free(fx_server *s);

/* "127.0.0.1:PORT" for a port that was free a moment ago and where nothing
 * listens: connecting there is refused. */
void fx_dead_target(char *buf, size_t cap);

/* Call after the last use of a channel to a dead target (once it is freed).
 * A refused connection leaves a reconnect timer in the core for about a
 * second, even after its channel is freed, and grpc_shutdown cannot end the
 * core's threads while it runs: under valgrind, the suite's teardown waits
 * for it to expire, or valgrind counts those threads' memory as lost. */
void fx_dead_target_used(void);

/* The reconnect backoff of fx_channel's channels: after a refused
 * connection they try again within FX_RECONNECT_MS (give or take 20%),
 * not gRPC's 1 s, 1.6 s, ... (a program's channels keep those), so that a
 * server restart costs a suite a moment, not a second or more. */
#define FX_RECONNECT_MS 100

/* A channel to target, with the reconnect backoff above; fails the test if
 * the runtime refuses the target. */
cg_channel *fx_channel(const char *target);

/* cg_channel_free, for every channel a test frees (fx_channel's, or one the
 * code under test made). A test that fails half-way never gets there: the
 * group teardown frees fx_channel's channels still open, so that
 * LeakSanitizer's report at exit shows only what the code under test
 * leaked (and does not spend a second on the test's own). */
void fx_channel_free(cg_channel *ch);

/* Group setup/teardown: one grpc_init for the whole suite, SIGPIPE
 * ignored (a child's closed stdin must not end the suite). */
int fx_group_setup(void **state);
int fx_group_teardown(void **state);

/* s in double quotes, with newlines and tabs shown as \n and \t (cut to
 * fit buf), for failure messages about printed text. Returns buf. */
const char *fx_quote(const char *s, char *buf, size_t cap);

/* Fails the test unless the printed text `got` is exactly `want`; `what`
 * names who printed it. */
#define expect_text(got, want, what, section)                                  \
    do {                                                                       \
        const char *g_ = (got), *w_ = (want);                                  \
        if (g_ == NULL || strcmp(g_, w_) != 0) {                               \
            char gq_[600], wq_[600];                                           \
            expect_fail(section,                                               \
                        "%s printed\n      %s\n      expected\n"               \
                        "      %s",                                            \
                        (what), fx_quote(g_, gq_, sizeof gq_),                 \
                        fx_quote(w_, wq_, sizeof wq_));                        \
        }                                                                      \
    } while (0)

/* Monotonic milliseconds (tests/common/testutil.h). */
#define fx_now_ms() tu_now_ms()

/* Slower under valgrind: multiply time limits meant for a native run. */
int fx_slow(void);

/* Ends the whole suite with a message and a lesson pointer if the running
 * test takes longer than `seconds` (times fx_slow()); 0 disarms it. Tests
 * call it first, with the section that explains what may hang. */
void fx_watchdog(int seconds, const char *anchor);

/* A temporary file in the build directory holding `len` bytes of a
 * pattern derived from `seed` (or no bytes for len 0); path receives its
 * name. The content's FNV-1a is returned in *fnv. Fails the test on error.
 * The test removes the file with unlink. */
void fx_temp_file(char *path, size_t cap, const char *name, size_t len,
                  unsigned seed, uint64_t *fnv);

/* ---- the step's client program ---------------------------------------- */

typedef struct fx_proc {
    pid_t pid;
    int in;         /* the child's stdin (write end), -1 once closed */
    int out, err;   /* its stdout and stderr (read ends) */
    char *out_text; /* what it printed, NUL-terminated, after fx_proc_wait */
    char *err_text;
    size_t out_len, err_len;
    int status;      /* exit status, or -1 if it was killed */
    pid_t first_pid; /* the pid it started with, for its saved stderr */
} fx_proc;

/* Path of the step's program in this build mode. */
const char *fx_program(void);

/* Starts the program with argv (argv[0] is replaced by fx_program()).
 * False (and the test fails) if it cannot be started. */
bool fx_proc_start(fx_proc *p, const char *const *argv);

/* Writes text to the child's stdin. */
void fx_proc_write(fx_proc *p, const char *text);

/* Closes the child's stdin (end of input). */
void fx_proc_close_stdin(fx_proc *p);

/* Reads what the child prints while waiting for it to exit; kills it after
 * timeout_ms. Returns the exit status, -1 if it had to be killed. */
int fx_proc_wait(fx_proc *p, int timeout_ms);

/* Reads the child's stdout until it contains `text` (or timeout_ms passes):
 * true if it did. For talking to a program while it runs. */
bool fx_proc_wait_output(fx_proc *p, const char *text, int timeout_ms);

void fx_proc_free(fx_proc *p);

/* Runs the program to the end with argv and (optional) stdin text. */
int fx_run(fx_proc *p, const char *const *argv, const char *input,
           int timeout_ms);

#endif
