/*
 * testutil.h: the helpers the C test suites share, one copy of each.
 *
 * Linked into the suites of steps 04, 05 and 07 (mk/step-runtime.mk
 * names the file), the runtime's suites (mk/lib.mk), the fault suites
 * (mk/faults.mk) and the soak test (mk/soak.mk). Some
 * suites call these under names of their own (now_ms in step 04, ft_now_ms
 * in the fault suites, ...): their headers map those names onto these.
 *
 *  - time: tu_now_ms, and tu_after_ms for pthread_cond_timedwait on a
 *    condition variable made by tu_cond_init;
 *  - bounded waits, never a sleep standing in for readiness: tu_wait_field
 *    (a counter behind a mutex and a condition variable) and tu_wait_until
 *    (a poll, for state no event announces);
 *  - tu_call_opts: call options with a deadline and nothing else;
 *  - tu_async: what a cg_unary_async call's done saw, and a wait for it;
 *  - gRPC for a whole cmocka suite: tu_grpc_group_setup/teardown;
 *  - /proc readings: tu_thread_count, tu_rss_kib;
 *  - tu_recorder: an interceptor that counts, per method, the handlers that
 *    started and returned, so a test can wait for them.
 *
 * Nothing here uses cmocka: the soak test, a plain program, links it too.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <cgrpc.h>

/* ---- time and waits ------------------------------------------------------ */

/* Monotonic milliseconds. */
int64_t tu_now_ms(void);

/* The CLOCK_MONOTONIC time ms milliseconds from now: the limit to give
 * pthread_cond_timedwait on a condition variable from tu_cond_init. */
struct timespec tu_after_ms(int64_t ms);

/* Initialises cv to measure time limits on CLOCK_MONOTONIC. */
void tu_cond_init(pthread_cond_t *cv);

/* Waits until *field >= value, where field is guarded by mu and cv is
 * broadcast whenever it changes (mu must not be held by the caller); false
 * after timeout_ms. */
bool tu_wait_field(pthread_mutex_t *mu, pthread_cond_t *cv, const int *field,
                   int value, int timeout_ms);

/* Polls cond(arg) every 2 ms until it is true or timeout_ms has passed;
 * returns its last value. */
bool tu_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms);

/* Call options with a deadline (and nothing else). */
cg_call_opts tu_call_opts(int64_t timeout_ms);

/* ---- a call started with cg_unary_async ---------------------------------- */

/* What done saw: tu_async_init, then cg_unary_async(..., tu_async_done, &a),
 * then tu_async_wait; tu_async_destroy at the end. */
typedef struct tu_async {
    pthread_mutex_t mu; /* guards the fields below; cv broadcast on change */
    pthread_cond_t cv;
    int runs;      /* times done ran */
    cg_status st;  /* the status of its last run */
    bool had_resp; /* its last run had a response (freed at once) */
} tu_async;

void tu_async_init(tu_async *a);

/* The done callback: records the status and frees the response. */
void tu_async_done(const cg_status *st, void *resp, void *user);

/* Waits until done has run `runs` times (false after timeout_ms); *st gets
 * the status of its last run (when st is not NULL). */
bool tu_async_wait(tu_async *a, int runs, int timeout_ms, cg_status *st);

void tu_async_destroy(tu_async *a);

/* ---- gRPC for a whole suite ---------------------------------------------- */

/* cmocka group setup: one grpc_init for the whole suite, made with every
 * signal blocked, so that the threads gRPC core starts leave SIGINT and
 * SIGTERM to the test's own threads (as the runtime does). Returns 0. */
int tu_grpc_group_setup(void **state);

/* cmocka group teardown: grpc_shutdown, then tu_wait_threads_gone: the
 * core's last threads finish exiting after grpc_shutdown returns, and
 * valgrind's leak check at exit would otherwise find their memory in
 * flight. Returns 0. */
int tu_grpc_group_teardown(void **state);

/* ---- readings from /proc -------------------------------------------------- */

/* Threads of this process (1 when /proc cannot be read). */
int tu_thread_count(void);

/* Waits, up to timeout_ms, until this process has no thread but the
 * caller (and ThreadSanitizer's own, in a TSan build). */
void tu_wait_threads_gone(int timeout_ms);

/* VmRSS of process pid in KiB (pid 0: this process), or -1. */
long tu_rss_kib(pid_t pid);

/* ---- what the handlers of a server did ------------------------------------ */

/* What the recorder saw of one method. */
typedef struct tu_method_calls {
    const char *path; /* NULL: a free slot */
    int started;
    int returned;
    int cancelled_at_entry; /* handlers whose call was over before they ran */
    cg_status last;         /* status of the last handler that returned */
    char peer[64];          /* peer of the last call that started */
} tu_method_calls;

typedef struct tu_recorder {
    pthread_mutex_t mu; /* guards calls[]; cv is broadcast on every change */
    pthread_cond_t cv;
    tu_method_calls calls[8];
} tu_recorder;

typedef enum tu_count { TU_STARTED, TU_RETURNED } tu_count;

void tu_recorder_init(tu_recorder *r);
void tu_recorder_destroy(tu_recorder *r);

/* The interceptor: cg_server_add_interceptor(srv, tu_record_calls, r). It
 * runs around every handler, counts it in and out, notes whether its call
 * was already over when it began, who called, and the status it returned. */
cg_status tu_record_calls(cg_ctx *ctx, cg_next *next, void *recorder);

/* A copy of what the recorder saw of method m so far. */
tu_method_calls tu_recorder_get(tu_recorder *r, const cg_method *m);

/* Waits until at least n handlers of m have started (TU_STARTED) or
 * returned (TU_RETURNED); false after timeout_ms. *last (may be NULL)
 * receives the status of the last one that returned. */
bool tu_recorder_wait(tu_recorder *r, const cg_method *m, tu_count what, int n,
                      int timeout_ms, cg_status *last);

/* ---- a program's stderr, for the verdict ------------------------------ */

/* Saves what a program a test started printed on stderr (len bytes of
 * text) to DIR/programs/NAME-PID.stderr and prints a line
 * "[ PROGRAM  ] NAME stderr: PATH" among the test's output. When the test
 * fails, the step's verdict shows the last lines of that file: often the
 * program itself says what is wrong (a missing setting, a bad address).
 * Nothing happens when len is 0. */
void tu_save_program_stderr(const char *dir, const char *program, int pid,
                            const char *text, size_t len);

#endif
