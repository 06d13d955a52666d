/*
 * ft_util.h: what the fault and security suites share.
 *
 *  - ft_server: the course's five services as finished in step 04 (the
 *    solution's handlers, compiled from steps/04-server + solutions/04-server),
 *    served in this process with the options a test needs, and a channel to
 *    it. An interceptor records, per method, the handlers that started and
 *    returned, the last status, whether a handler found its call already
 *    cancelled when it started, and the peer address of the last call (to
 *    tell whether two calls shared one connection).
 *  - ft_start_program: the step-04 solution's server program as a child
 *    process (tests/04-server/proc.c runs it; nothing here forks without exec).
 *  - ft_rss_kib: a process's resident memory, from /proc.
 *  - bounded waits: every wait has a limit; no test sleeps for readiness.
 *
 * Helpers every suite shares (tests/common/testutil.h) keep the ft_ names
 * the suites call them by: ft_now_ms, ft_opts, ft_wait_until, ft_rss_kib,
 * ft_group_setup and ft_group_teardown.
 */
#ifndef FT_UTIL_H
#define FT_UTIL_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>

#include <cgrpc.h>

#include "chat_room.h"
#include "file_service.h"
#include "my_service.h"
#include "notification_service.h"
#include "proc.h"
#include "testutil.h"
#include "user_service.h"

/* The limit of every wait in the suites unless a test says otherwise. */
#define FT_WAIT_MS 10000

/* Short names for the methods the suites call most. */
#define M_UNARY TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD
#define M_SSTREAM TUTORIAL__V1__MY_SERVICE__SERVER_STREAM__METHOD
#define M_CSTREAM TUTORIAL__V1__MY_SERVICE__CLIENT_STREAM__METHOD
#define M_BIDI TUTORIAL__V1__MY_SERVICE__BIDIRECTIONAL_STREAM__METHOD
#define M_CHAT TUTORIAL__V1__CHAT_SERVICE__CHAT__METHOD
#define M_UPLOAD TUTORIAL__V1__FILE_SERVICE__UPLOAD_FILE__METHOD
#define M_NOTIFY                                                               \
    TUTORIAL__V1__NOTIFICATION_SERVICE__STREAM_NOTIFICATIONS__METHOD
#define M_GETUSER TUTORIAL__V1__USER_SERVICE__GET_USER__METHOD

/* Fails the test unless status `st` has code `want`, naming both codes and
 * the message. */
#define ft_expect_code(st, want)                                               \
    do {                                                                       \
        cg_status s_ = (st);                                                   \
        grpc_status_code w_ = (want);                                          \
        if (s_.code != w_)                                                     \
            fail_msg("%s: expected %s, got %s (\"%s\")", #st,                  \
                     cg_status_name(w_), cg_status_name(s_.code), s_.message); \
    } while (0)

typedef struct ft_server {
    cg_server *srv;
    cg_channel *ch;
    int port;
    char target[64];
    /* The services' state (their user pointers). */
    notification_settings notes;
    upload_settings uploads;
    chat_room room;
    /* What the handlers did, per method. Its mu also guards saved, and its
     * cv is broadcast when saved changes. */
    tu_recorder calls;
    int saved; /* uploads that reached upload_settings.save */
} ft_server;

/* Starts the five services in this process on `listen` (NULL =
 * "127.0.0.1:0") with server options `sopts` (NULL = defaults) and TLS `tls`
 * (NULL = plaintext), then a plaintext channel to it (NULL `copts` =
 * defaults; with tls, pass copts with the client's TLS). Settings start as:
 * no pause between notifications, default upload limit, uploads counted in
 * `saved`. Fails the test when the server cannot start. */
void ft_server_start(ft_server *s, const cg_server_opts *sopts,
                     const cg_tls_server *tls, const char *listen,
                     const cg_channel_opts *copts);
void ft_server_stop(ft_server *s);

int ft_started(ft_server *s, const cg_method *m);
int ft_returned(ft_server *s, const cg_method *m);
int ft_cancelled_at_entry(ft_server *s, const cg_method *m);
/* The peer (client address) of the last call of m, copied into out. */
void ft_last_peer(ft_server *s, const cg_method *m, char *out, size_t cap);
int ft_saved(ft_server *s);

/* Wait until at least n handlers of m have started / returned; false after
 * timeout_ms. *last (may be NULL) receives the last returned status. */
bool ft_wait_started(ft_server *s, const cg_method *m, int n, int timeout_ms);
bool ft_wait_returned(ft_server *s, const cg_method *m, int n, int timeout_ms,
                      cg_status *last);

/* The runtime's count of call records alive on the server (requests
 * waiting for a call plus calls not yet freed): it comes back to its idle
 * value once every call has been freed. Reads lib/src/server.h. */
long ft_live_calls(ft_server *s);

/* Threads in the server's pool right now (lib/src/pool.h). */
int ft_pool_threads(ft_server *s);

/* Calls that have reached this process's servers so far, by gRPC core's
 * own count (channelz "callsStarted", summed over live servers): a call is
 * counted once the server's transport has it, before any thread of the
 * runtime has seen it. */
long ft_core_calls_started(void);

/* Polls cond(arg) every 2 ms until true or timeout_ms has passed. */
#define ft_wait_until(cond, arg, timeout_ms)                                   \
    tu_wait_until(cond, arg, timeout_ms)

/* A zeroed proc for a child process of the running test. It lives in
 * static storage, not on the test's stack, so that ft_end_children (the
 * test's teardown) can still end the child after a failed assertion has
 * jumped out of the test. Fails the test when all 8 slots are in use. */
proc *ft_child(void);

/* cmocka teardown: kills (if still running) and reaps every child the test
 * started through ft_child, and frees the slots. Always returns 0. */
int ft_end_children(void **state);

/* A test of the suites: with ft_end_children as its teardown. */
#define FT_TEST(f) cmocka_unit_test_teardown(f, ft_end_children)

/* Starts the step-04 solution's server program with `--listen listen` in
 * p (from ft_child) and waits for its "listening on" line; fails the test
 * (after ending the process) if it does not come. *port receives the port
 * it printed. */
void ft_start_program(proc *p, const char *listen, int *port);

/* VmRSS of process pid in KiB (pid 0: this process), or -1. */
#define ft_rss_kib(pid) tu_rss_kib(pid)

/* Monotonic milliseconds. */
#define ft_now_ms() tu_now_ms()

/* Call options with a deadline (and nothing else). */
#define ft_opts(timeout_ms) tu_call_opts(timeout_ms)

/* A plaintext channel to 127.0.0.1:port; fails the test when it cannot. */
cg_channel *ft_channel_to_port(int port, const cg_channel_opts *opts);

/* One UnaryCall with id; OK only when the answer is "Processed: <id>". */
cg_status ft_unary(cg_channel *ch, const char *id, int64_t timeout_ms);

/* Group setup/teardown: one grpc_init for the whole suite (with signals
 * blocked, so gRPC's threads leave SIGTERM to the test), and at the end
 * grpc_shutdown plus a bounded wait for the core's last threads. */
#define ft_group_setup tu_grpc_group_setup
#define ft_group_teardown tu_grpc_group_teardown

/* Runs only the tests matching $FT_FILTER (a cmocka pattern). */
void ft_filter_from_env(void);

#endif
