/*
 * rt_util.h: what the runtime's test suites share: the rt.Test handlers and
 * the state they report into, a server+channel fixture, and bounded waits
 * (on top of tests/common/testutil.h, the helpers every suite shares).
 *
 * Tests never sleep to wait for something to be ready: handlers announce
 * what they do through rt_state (a mutex, a condition variable and
 * counters), and tests wait on those with a time limit.
 */
#ifndef RT_UTIL_H
#define RT_UTIL_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "cgrpc.h"
#include "rt_service.h"
#include "testutil.h"

/* Every bounded wait in the suites uses this limit unless it says so. */
#define RT_WAIT_MS 10000

typedef struct rt_state {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const char *name;      /* echoed in Msg.extra, to tell servers apart */
    int calls;             /* handler entries, any method */
    int entered;           /* Sleep, Block, Chat and Duplex entries */
    int blocked;           /* Block handlers waiting right now */
    int finished;          /* Sleep and Block handlers that returned */
    int saw_cancel;        /* handlers that saw cg_ctx_cancelled */
    bool release;          /* lets Block handlers return */
    int64_t time_left;     /* cg_ctx_time_left_ms in the last Sleep */
    int header_after_send; /* 1 if a header was accepted after a send */
    cg_status stream_err;  /* cg_stream_error at the end of Chat/Sum */
    int received;          /* messages Chat/Duplex received */
    int sent;              /* messages Duplex's sender thread sent */
    char log[512];         /* interceptors append their steps here */
} rt_state;

void rt_state_init(rt_state *st, const char *name);
void rt_state_destroy(rt_state *st);
/* Waits until *field >= value; false after timeout_ms. */
bool rt_wait(rt_state *st, const int *field, int value, int timeout_ms);
void rt_state_log(rt_state *st, const char *step);
/* Reads of the state under its lock (handlers write it on other threads). */
int rt_get(rt_state *st, const int *field);
cg_status rt_stream_err(rt_state *st);
int64_t rt_time_left(rt_state *st);
void rt_release(rt_state *st);

extern const Rt__Test_Server rt_impl;

/* A server with rt.Test (state as its user pointer), started on
 * 127.0.0.1:0, and a channel to it. opts may be NULL. */
typedef struct rt_fixture {
    rt_state st;
    cg_server *srv;
    cg_channel *ch;
    int port;
    char target[64];
} rt_fixture;

void rt_fixture_start(rt_fixture *f, const cg_server_opts *sopts,
                      const cg_channel_opts *copts);
void rt_fixture_stop(rt_fixture *f);

/* Runs only the tests whose names match $CGRT_FILTER (a cmocka pattern,
 * e.g. "*cancel*"), when it is set. Call first thing in main. */
void rt_filter_from_env(void);

/* Test group setup/teardown that hold one grpc_init for the whole suite,
 * so the library is not torn down and brought back between tests
 * (tests/common/testutil.h). */
#define rt_group_setup tu_grpc_group_setup
#define rt_group_teardown tu_grpc_group_teardown

/* A Msg with the given text and number. */
Rt__Msg rt_msg(const char *text, int num);

/* Call options with just a timeout. */
#define rt_opts(timeout_ms) tu_call_opts(timeout_ms)

const cg_method *rt_m(int which);

/* Captures what the process writes to stderr (fd 2) between begin and
 * end, e.g. the runtime's "cgrpc: ..." messages. end restores stderr and
 * copies what was written into buf (NUL-terminated, cut to n - 1 bytes). */
typedef struct rt_capture {
    int saved_fd;
    FILE *file;
} rt_capture;
void rt_capture_begin(rt_capture *c);
const char *rt_capture_end(rt_capture *c, char *buf, size_t n);

/* Monotonic milliseconds, for checking how long something took. */
#define rt_now_ms() tu_now_ms()

/* A port nobody listens on: bound on 127.0.0.1 by the kernel's choice,
 * then closed. */
int rt_closed_port(void);

/* Fails the test with both codes' names and the message when they differ. */
#define assert_status(st, want)                                                \
    do {                                                                       \
        cg_status s_ = (st);                                                   \
        if (s_.code != (want))                                                 \
            fail_msg("status %s (%s), wanted %s", cg_status_name(s_.code),     \
                     s_.message, cg_status_name(want));                        \
    } while (0)

#endif
