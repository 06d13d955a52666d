/*
 * fixture.h: what step 04's suites share.
 *
 *  - expect_status / expect_status_is: status checks that print both codes'
 *    names and the message, then the lesson section (see lesson.h).
 *  - fixture: the step's five services, registered from YOUR handler tables,
 *    served in this process on 127.0.0.1 with a kernel-chosen port, plus a
 *    channel to it. An interceptor counts, per method, the handlers that
 *    started and returned, so a test can wait (with a time limit, never a
 *    sleep) until a handler has noticed that its client went away.
 *  - now_ms, wait_until (a bounded wait for a condition only a poll can
 *    see), deadline_ms and the suites' gRPC setup: step 04's names for
 *    helpers every suite shares (tests/common/testutil.h).
 *
 * Include after lesson.h: the macros use its expect_fail.
 */
#ifndef STEP04_FIXTURE_H
#define STEP04_FIXTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <cgrpc.h>

#include "testutil.h"

#include "chat_room.h"
#include "file_service.h"
#include "my_service.h"
#include "notification_service.h"
#include "user_service.h"

/* The time limit of every wait in the suites, unless a test says so. */
#define WAIT_MS 10000

/* Fails unless status `st` has code `want`. The status message goes on a
 * line of its own: a starter's message holds a "see docs/..." pointer of
 * its own, and the verdict keeps the test's pointer, printed last. The _as
 * forms name the call in the learner's terms (printf style, as lesson.h's
 * expect_int_as): in a loop, say which case failed. */
#define expect_status(st, want, section)                                       \
    expect_status_as(st, want, section, "%s", #st)

#define expect_status_as(st, want, section, ...)                               \
    do {                                                                       \
        cg_status s_ = (st);                                                   \
        char what_[LESSON_WHAT_MAX];                                           \
        lesson_what(what_, __VA_ARGS__);                                       \
        step04_expect_code(s_, what_, want, section);                          \
    } while (0)

/* Fails unless status `st` has code `want` and exactly the message `msg`. */
#define expect_status_is(st, want, msg, section)                               \
    expect_status_is_as(st, want, msg, section, "%s", #st)

#define expect_status_is_as(st, want, msg, section, ...)                       \
    do {                                                                       \
        cg_status s_ = (st);                                                   \
        const char *m_ = (msg);                                                \
        char what_[LESSON_WHAT_MAX];                                           \
        lesson_what(what_, __VA_ARGS__);                                       \
        step04_expect_code(s_, what_, want, section);                          \
        if (strcmp(s_.message, m_) != 0)                                       \
            expect_fail(section,                                               \
                        "%s: status %s is right, but its message "             \
                        "should be \"%s\", got \"%s\"",                        \
                        what_, cg_status_name(s_.code), m_, s_.message);       \
    } while (0)

#define step04_expect_code(s_, name, want, section)                            \
    do {                                                                       \
        grpc_status_code w_ = (want);                                          \
        if (s_.code != w_)                                                     \
            expect_fail(section,                                               \
                        "%s: expected status %s, got %s\n"                     \
                        "    with the message \"%s\"",                         \
                        name, cg_status_name(w_), cg_status_name(s_.code),     \
                        s_.message);                                           \
    } while (0)

/* Monotonic milliseconds. */
#define now_ms() tu_now_ms()

/* Polls cond(arg) until it is true or timeout_ms passed; returns its last
 * value. For state with no event to wait on (how many members a room has). */
#define wait_until(cond, arg, timeout_ms) tu_wait_until(cond, arg, timeout_ms)

typedef struct fixture {
    cg_server *srv;
    cg_channel *ch;
    int port;
    char target[64];
    /* The services' state, the user pointers of their registration. Tests
     * may change the settings between calls. */
    notification_settings notes;
    upload_settings uploads;
    chat_room room;
    /* What the handlers did: an interceptor counts them in and out. */
    tu_recorder calls;
} fixture;

/* Starts the server and the channel. Settings start as: no pause between
 * notifications, the default upload limit, nothing saved. Fails the test
 * (cmocka's fail_msg) when the server cannot start. */
void fixture_start(fixture *f);
void fixture_stop(fixture *f);

/* Counts for method m so far. */
int fixture_started(fixture *f, const cg_method *m);
int fixture_returned(fixture *f, const cg_method *m);

/* Waits until at least n handlers of m have returned; false after
 * timeout_ms. *last (may be NULL) receives the last one's status. */
bool fixture_wait_returned(fixture *f, const cg_method *m, int n,
                           int timeout_ms, cg_status *last);

/* Group setup and teardown for suites that use the network: one
 * grpc_init held for the whole suite, and at the end grpc_shutdown plus a
 * bounded wait for gRPC core's last threads, which finish exiting after
 * grpc_shutdown returns (valgrind's leak check at exit would otherwise
 * catch their memory in flight). */
#define grpc_group_setup tu_grpc_group_setup
#define grpc_group_teardown tu_grpc_group_teardown

/* Call options with a deadline: every call in the suites has one, so a
 * handler that never answers fails a test instead of hanging it. */
#define deadline_ms(ms) tu_call_opts(ms)

#endif
