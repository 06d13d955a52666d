/*
 * test_health.c: exercise 1, the health service (health.c): the status
 * table, Check, and Watch, first called directly, then over the network,
 * then in the program itself.
 *
 * A Watch handler runs until its client leaves, so the direct tests run it
 * on a thread of their own and read what it sent from the test stream,
 * waiting (with a time limit) for each message before changing a status.
 */
#define LESSON_PAGE "steps/07-deploy.md"
#define EXERCISE_FILE "health.c"
#include "lesson.h"

/* The exercise shares state between threads: make stepN runs this suite once
 * more built with ThreadSanitizer, so a data race fails every run. */
#define TSAN_SUITE 1

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define CHECK GRPC__HEALTH__V1__HEALTH__CHECK__METHOD
#define WATCH GRPC__HEALTH__V1__HEALTH__WATCH__METHOD

/* No message: what nth_sent returns when the handler sent fewer. */
#define NOTHING_SENT ((health_status)-1)

/* Calls Check directly; *status receives the answer's status. */
static cg_status check_direct(health_state *h, const char *service,
                              health_status *status)
{
    cg_ctx *ctx = cg_test_ctx_new(CHECK, h);
    Grpc__Health__V1__HealthCheckRequest req =
        GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)service;
    Grpc__Health__V1__HealthCheckResponse resp =
        GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    cg_status st = health_server.check(ctx, &req, &resp);
    *status = resp.status;
    cg_test_ctx_free(ctx);
    return st;
}

static const char *status_name(health_status s)
{
    switch ((int)s) {
    case HEALTH_UNKNOWN:
        return "UNKNOWN";
    case HEALTH_SERVING:
        return "SERVING";
    case HEALTH_NOT_SERVING:
        return "NOT_SERVING";
    case HEALTH_SERVICE_UNKNOWN:
        return "SERVICE_UNKNOWN";
    case NOTHING_SENT:
        return "nothing (no such message was sent)";
    default:
        return "(not a ServingStatus)";
    }
}

/* Fails unless status `got` is `want`; the rest (printf style) says what
 * was read: "Watch's message 2 (after the change to NOT_SERVING)". */
#define expect_health(got, want, section, ...)                                 \
    do {                                                                       \
        health_status g_ = (got), w_ = (want);                                 \
        if (g_ != w_) {                                                        \
            char what_[LESSON_WHAT_MAX];                                       \
            lesson_what(what_, __VA_ARGS__);                                   \
            expect_fail(section, "%s: expected %s, got %s", what_,             \
                        status_name(w_), status_name(g_));                     \
        }                                                                      \
    } while (0)

/* ---- a Watch handler on a thread of its own ----------------------------- */

typedef struct watcher {
    cg_ctx *ctx;
    Grpc__Health__V1__HealthCheckRequest req;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    cg_status st;
} watcher;

static void *run_watch(void *arg)
{
    watcher *w = arg;
    cg_status st = health_server.watch(w->ctx, &w->req, cg_test_stream(w->ctx));
    pthread_mutex_lock(&w->mu);
    w->st = st;
    w->done = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Sets up a watcher without starting its thread (see watch_start). */
static void watch_prepare(watcher *w, health_state *h, const char *service)
{
    memset(w, 0, sizeof *w);
    w->ctx = cg_test_ctx_new(WATCH, h);
    w->req = (Grpc__Health__V1__HealthCheckRequest)
        GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    w->req.service = (char *)service;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t a; /* the clock of health_deadline_in */
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &a);
    pthread_condattr_destroy(&a);
}

/* Runs Watch of `service` on a thread of its own. */
static void watch_start(watcher *w, health_state *h, const char *service)
{
    watch_prepare(w, h, service);
    pthread_create(&w->thread, NULL, run_watch, w);
}

typedef struct sent_at_least {
    watcher *w;
    size_t n;
} sent_at_least;

static bool has_sent_or_returned(void *arg)
{
    sent_at_least *s = arg;
    pthread_mutex_lock(&s->w->mu);
    bool done = s->w->done;
    pthread_mutex_unlock(&s->w->mu);
    return done || cg_test_stream_sent_count(cg_test_stream(s->w->ctx)) >= s->n;
}

/* Waits until the handler has sent n messages (or returned); the n-th
 * one's status, or NOTHING_SENT. Never fails the test itself: the tests
 * stop the handler first, then check, so no thread outlives a test. */
static health_status nth_sent(watcher *w, size_t n)
{
    sent_at_least s = {w, n};
    wait_until(has_sent_or_returned, &s, WAIT_MS);
    cg_stream *out = cg_test_stream(w->ctx);
    if (cg_test_stream_sent_count(out) < n)
        return NOTHING_SENT;
    const Grpc__Health__V1__HealthCheckResponse *m =
        cg_test_stream_sent(out, n - 1);
    return m->status;
}

/* Waits (bounded) for the handler to return; true when it did. */
static bool watch_returned(watcher *w, int timeout_ms)
{
    struct timespec until = health_deadline_in(timeout_ms);
    pthread_mutex_lock(&w->mu);
    int rc = 0;
    while (!w->done && rc == 0)
        rc = pthread_cond_timedwait(&w->cv, &w->mu, &until);
    bool done = w->done;
    pthread_mutex_unlock(&w->mu);
    return done;
}

/* Ends the handler (cancelling its call) and frees it. A handler that
 * ignores the cancel is left running, and the test fails: its watcher and
 * health_state are static in the tests, so the thread left behind never
 * writes into the stack of a later test. */
static void watch_stop(watcher *w)
{
    cg_test_ctx_cancel(w->ctx);
    if (!watch_returned(w, WAIT_MS))
        fail_msg("Watch did not return within %d ms after its client went "
                 "away\n    see docs/en/" LESSON_PAGE "#watch",
                 WAIT_MS);
    pthread_join(w->thread, NULL);
    cg_test_ctx_free(w->ctx);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

/* ---- a Watch left alone for the whole suite ------------------------------ */

/* The suite's setup starts a Watch of a status nothing changes; the last
 * test stops it and looks at what it did meanwhile (most of a second):
 * one message, and almost no CPU time. */
static health_state quiet_h;
static watcher quiet_w;
static bool quiet_running;
static int64_t quiet_since;

/* The CPU time a thread has used so far, in ms (0 when unknown). */
static int64_t thread_cpu_ms(pthread_t t)
{
    clockid_t c;
    struct timespec ts;
    if (pthread_getcpuclockid(t, &c) != 0 || clock_gettime(c, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void quiet_watch_start(void)
{
    health_init(&quiet_h);
    health_set(&quiet_h, "tutorial.v1.UserService", HEALTH_SERVING);
    quiet_since = now_ms();
    watch_start(&quiet_w, &quiet_h, "tutorial.v1.UserService");
    quiet_running = true;
}

static void quiet_watch_stop(void)
{
    if (!quiet_running)
        return;
    quiet_running = false;
    watch_stop(&quiet_w);
    health_destroy(&quiet_h);
}

static int health_suite_setup(void **state)
{
    int rc = grpc_suite_setup(state);
    if (rc == 0)
        quiet_watch_start();
    return rc;
}

static int health_suite_teardown(void **state)
{
    quiet_watch_stop();
    return grpc_suite_teardown(state);
}

/* ---- the table and Check ------------------------------------------------- */

static void test_health_check_reports_status(void **state)
{
    (void)state;
    health_state h;
    health_init(&h);
    health_set(&h, "", HEALTH_SERVING);
    health_set(&h, "tutorial.v1.MyService", HEALTH_NOT_SERVING);
    health_status s1 = HEALTH_UNKNOWN, s2 = HEALTH_UNKNOWN, s3 = HEALTH_UNKNOWN;
    cg_status st1 = check_direct(&h, "", &s1);
    cg_status st2 = check_direct(&h, "tutorial.v1.MyService", &s2);
    health_set(&h, "tutorial.v1.MyService", HEALTH_SERVING); /* an update */
    cg_status st3 = check_direct(&h, "tutorial.v1.MyService", &s3);
    health_destroy(&h);
    expect_code_as(st1, GRPC_STATUS_OK, "#check", "Check \"\"");
    expect_health(s1, HEALTH_SERVING, "#check",
                  "Check \"\" after setting it SERVING");
    expect_code_as(st2, GRPC_STATUS_OK, "#check",
                   "Check \"tutorial.v1.MyService\"");
    expect_health(
        s2, HEALTH_NOT_SERVING, "#check",
        "Check \"tutorial.v1.MyService\" after setting it NOT_SERVING");
    expect_code_as(st3, GRPC_STATUS_OK, "#check",
                   "Check \"tutorial.v1.MyService\" after an update");
    expect_health(
        s3, HEALTH_SERVING, "#check",
        "Check \"tutorial.v1.MyService\" after setting it SERVING again");
}

static void test_health_check_unknown_service(void **state)
{
    (void)state;
    health_state h;
    health_init(&h);
    health_status s = HEALTH_UNKNOWN;
    /* Nothing set yet: not even "" is known. */
    cg_status empty = check_direct(&h, "", &s);
    health_set(&h, "", HEALTH_SERVING);
    cg_status unknown = check_direct(&h, "tutorial.v1.NoSuchService", &s);
    health_destroy(&h);
    expect_code_as(empty, GRPC_STATUS_NOT_FOUND, "#check",
                   "Check \"\" before anything was set");
    expect_code_as(unknown, GRPC_STATUS_NOT_FOUND, "#check",
                   "Check \"tutorial.v1.NoSuchService\"");
    expect_true(strstr(unknown.message, "tutorial.v1.NoSuchService") != NULL,
                "#check",
                "the NOT_FOUND message should name the service; "
                "got \"%s\"",
                unknown.message);
}

static void test_health_set_limits(void **state)
{
    (void)state;
    health_state h;
    health_init(&h);
    char name[HEALTH_NAME_MAX + 8];
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    int too_long = health_set(&h, name, HEALTH_SERVING);
    name[HEALTH_NAME_MAX] = '\0'; /* one too long: no room for its '\0' */
    int just_too_long = health_set(&h, name, HEALTH_SERVING);
    name[HEALTH_NAME_MAX - 1] = '\0'; /* the longest name that fits */
    int longest = health_set(&h, name, HEALTH_SERVING);
    int filled = 0;
    for (int i = 1; i < HEALTH_MAX_SERVICES; i++) {
        char svc[32];
        snprintf(svc, sizeof svc, "svc.%d", i);
        filled += health_set(&h, svc, HEALTH_SERVING) == 0;
    }
    int one_more = health_set(&h, "svc.extra", HEALTH_SERVING);
    int update = health_set(&h, "svc.1", HEALTH_NOT_SERVING);
    health_status s = HEALTH_UNKNOWN;
    check_direct(&h, "svc.1", &s);
    health_destroy(&h);
    expect_int_as(too_long, -1, "#exercise-1-health-checking",
                  "health_set with a name of %zu characters", sizeof name - 1);
    expect_true(just_too_long == -1, "#exercise-1-health-checking",
                "health_set with a name of HEALTH_NAME_MAX (%d) characters "
                "returned %d: with its '\\0' it does not fit the entry, so -1",
                HEALTH_NAME_MAX, just_too_long);
    expect_int_as(longest, 0, "#exercise-1-health-checking",
                  "health_set with a name of %d characters (the longest that "
                  "fits)",
                  HEALTH_NAME_MAX - 1);
    expect_int_as(filled, HEALTH_MAX_SERVICES - 1,
                  "#exercise-1-health-checking",
                  "new services added to fill the table (health_set "
                  "returned 0)");
    expect_int_as(one_more, -1, "#exercise-1-health-checking",
                  "health_set of a new service in a full table (%d services)",
                  HEALTH_MAX_SERVICES);
    expect_int_as(update, 0, "#exercise-1-health-checking",
                  "health_set of a known service in a full table (an update)");
    expect_health(s, HEALTH_NOT_SERVING, "#exercise-1-health-checking",
                  "Check \"svc.1\" after an update in a full table");
}

/* ---- Watch ----------------------------------------------------------------- */

static void test_health_watch_sends_status_at_once(void **state)
{
    (void)state;
    static health_state h; /* static: see watch_stop */
    health_init(&h);
    health_set(&h, "", HEALTH_SERVING);
    static watcher w;
    watch_start(&w, &h, "");
    health_status first = nth_sent(&w, 1);
    bool returned = watch_returned(&w, 0);
    watch_stop(&w);
    health_destroy(&h);
    expect_health(first, HEALTH_SERVING, "#watch",
                  "Watch's first message (the current status)");
    expect_true(!returned, "#watch",
                "Watch must go on after its first "
                "message, waiting for changes; it returned");
}

static void test_health_watch_updates_in_order(void **state)
{
    (void)state;
    static health_state h; /* static: see watch_stop */
    health_init(&h);
    health_set(&h, "tutorial.v1.ChatService", HEALTH_SERVING);
    static watcher w;
    watch_start(&w, &h, "tutorial.v1.ChatService");
    health_status s[4] = {NOTHING_SENT, NOTHING_SENT, NOTHING_SENT,
                          NOTHING_SENT};
    /* Each change waits for the message of the one before, so none can
     * be merged with the next. */
    s[0] = nth_sent(&w, 1);
    health_set(&h, "tutorial.v1.ChatService", HEALTH_NOT_SERVING);
    if (s[0] != NOTHING_SENT)
        s[1] = nth_sent(&w, 2);
    /* The same value again is no change: nothing to send. */
    health_set(&h, "tutorial.v1.ChatService", HEALTH_NOT_SERVING);
    health_set(&h, "other.Service", HEALTH_NOT_SERVING); /* not watched */
    health_set(&h, "tutorial.v1.ChatService", HEALTH_SERVING);
    if (s[1] != NOTHING_SENT)
        s[2] = nth_sent(&w, 3);
    health_set(&h, "tutorial.v1.ChatService", HEALTH_NOT_SERVING);
    if (s[2] != NOTHING_SENT)
        s[3] = nth_sent(&w, 4);
    size_t count = cg_test_stream_sent_count(cg_test_stream(w.ctx));
    watch_stop(&w);
    health_destroy(&h);
    expect_health(s[0], HEALTH_SERVING, "#watch",
                  "Watch's message 1 (the current status)");
    expect_health(s[1], HEALTH_NOT_SERVING, "#watch",
                  "Watch's message 2 (after the change to NOT_SERVING)");
    expect_health(s[2], HEALTH_SERVING, "#watch",
                  "Watch's message 3 (after NOT_SERVING again, another "
                  "service, then SERVING)");
    expect_health(s[3], HEALTH_NOT_SERVING, "#watch",
                  "Watch's message 4 (after the change to NOT_SERVING)");
    expect_int_as(count, 4, "#watch", "messages Watch sent for 3 changes");
}

/* How long a test watches for a message that must not come. A Watch that
 * resends wakes with the broadcast of health_set and sends within a few
 * milliseconds, even under a sanitizer; a correct one sends nothing. */
#define QUIET_MS 250

static void test_health_watch_same_value_sends_nothing(void **state)
{
    (void)state;
    static health_state h; /* static: see watch_stop */
    health_init(&h);
    health_set(&h, "tutorial.v1.MyService", HEALTH_NOT_SERVING);
    static watcher w;
    watch_start(&w, &h, "tutorial.v1.MyService");
    health_status first = nth_sent(&w, 1);
    /* The same value again, then a quiet spell in which a Watch that
     * sends on every wake-up would send it again. */
    size_t extra = 0;
    if (first != NOTHING_SENT) {
        health_set(&h, "tutorial.v1.MyService", HEALTH_NOT_SERVING);
        sent_at_least s = {&w, 2};
        wait_until(has_sent_or_returned, &s, QUIET_MS);
        extra = cg_test_stream_sent_count(cg_test_stream(w.ctx)) - 1;
    }
    health_status again = extra > 0 ? nth_sent(&w, 2) : NOTHING_SENT;
    /* A real change still goes out. */
    health_set(&h, "tutorial.v1.MyService", HEALTH_SERVING);
    health_status change = nth_sent(&w, 2 + extra);
    watch_stop(&w);
    health_destroy(&h);
    expect_health(first, HEALTH_NOT_SERVING, "#watch",
                  "Watch's first message (the current status)");
    expect_true(extra == 0, "#watch",
                "setting the status Watch last sent "
                "(NOT_SERVING) again must send nothing; Watch sent %s again",
                status_name(again));
    expect_health(change, HEALTH_SERVING, "#watch",
                  "Watch's message after a real change to SERVING");
}

/* How long three changes may take, in all, to reach two Watch streams.
 * Woken by health_set's broadcast, each sends within a few milliseconds,
 * even on a loaded machine; one left to its timed wait sends a slice
 * (100 ms) late each time. */
#define WAKE_MS 150

static void test_health_set_wakes_every_watch(void **state)
{
    (void)state;
    static health_state h; /* static: see watch_stop */
    health_init(&h);
    const char *svc = "tutorial.v1.FileService";
    health_set(&h, svc, HEALTH_SERVING);
    static watcher w1, w2;
    watch_start(&w1, &h, svc);
    watch_start(&w2, &h, svc);
    bool all = nth_sent(&w1, 1) == HEALTH_SERVING &&
               nth_sent(&w2, 1) == HEALTH_SERVING;
    static const health_status change[3] = {HEALTH_NOT_SERVING, HEALTH_SERVING,
                                            HEALTH_NOT_SERVING};
    int64_t took = 0;
    for (size_t i = 0; i < 3 && all; i++) {
        /* Each change right after both sent the one before: both are
         * waiting again. */
        int64_t t0 = now_ms();
        health_set(&h, svc, change[i]);
        all = nth_sent(&w1, i + 2) == change[i] &&
              nth_sent(&w2, i + 2) == change[i];
        took += now_ms() - t0;
    }
    health_shutdown(&h); /* ends both at once (watch_stop cancels too) */
    watch_stop(&w1);
    watch_stop(&w2);
    health_destroy(&h);
    expect_true(all, "#watch",
                "two Watch streams of one service should each send its "
                "status, then every change");
    expect_true(took < WAKE_MS, "#exercise-1-health-checking",
                "3 changes took %lld ms in all to reach two Watch streams: "
                "health_set must wake every waiting Watch at once "
                "(pthread_cond_broadcast on h->changed; "
                "pthread_cond_signal wakes only one), not leave them to "
                "their timed waits",
                (long long)took);
}

static void test_health_watch_unknown_service(void **state)
{
    (void)state;
    static health_state h; /* static: see watch_stop */
    health_init(&h);
    static watcher w;
    watch_start(&w, &h, "tutorial.v1.Later");
    health_status first = nth_sent(&w, 1);
    bool returned = watch_returned(&w, 0);
    health_set(&h, "tutorial.v1.Later", HEALTH_SERVING);
    health_status second = returned ? NOTHING_SENT : nth_sent(&w, 2);
    watch_stop(&w);
    health_destroy(&h);
    expect_health(first, HEALTH_SERVICE_UNKNOWN, "#watch",
                  "Watch's first message for a service never set");
    expect_true(!returned, "#watch",
                "Watch of an unknown service must not "
                "end the call: the service may become known later");
    expect_health(second, HEALTH_SERVING, "#watch",
                  "Watch's message 2, once the service was set SERVING");
}

static void test_health_watch_ends_when_client_leaves(void **state)
{
    (void)state;
    static health_state h; /* static: see watch_stop */
    health_init(&h);
    health_set(&h, "", HEALTH_SERVING);
    static watcher w;
    watch_start(&w, &h, "");
    nth_sent(&w, 1);
    int64_t t0 = now_ms();
    cg_test_ctx_cancel(w.ctx);
    bool returned = watch_returned(&w, 3000);
    int64_t took = now_ms() - t0;
    cg_status st = w.st;
    watch_stop(&w);
    health_destroy(&h);
    expect_true(returned, "#watch",
                "Watch should return soon after its "
                "client went away (cg_ctx_cancelled); it was still running "
                "after 3 s");
    expect_true(took < 1000, "#watch",
                "Watch took %lld ms to notice its "
                "client had gone: wait in slices (a timed wait) and look at "
                "cg_ctx_cancelled between them",
                (long long)took);
    expect_code_as(st, GRPC_STATUS_CANCELLED, "#watch",
                   "Watch after its client went away");
}

static void test_health_shutdown_ends_watch(void **state)
{
    (void)state;
    static health_state h; /* static: see watch_stop */
    health_init(&h);
    health_set(&h, "", HEALTH_SERVING);
    health_set(&h, "tutorial.v1.MyService", HEALTH_SERVING);
    static watcher w;
    watch_start(&w, &h, "tutorial.v1.MyService");
    health_status first = nth_sent(&w, 1);
    health_shutdown(&h);
    health_status last = nth_sent(&w, 2);
    bool returned = watch_returned(&w, 3000);
    cg_status st = w.st;
    health_status all = HEALTH_UNKNOWN, mine = HEALTH_UNKNOWN;
    check_direct(&h, "", &all);
    check_direct(&h, "tutorial.v1.MyService", &mine);
    watch_stop(&w);
    health_destroy(&h);
    expect_health(first, HEALTH_SERVING, "#the-drain-step-by-step",
                  "Watch's first message (the current status)");
    expect_health(last, HEALTH_NOT_SERVING, "#the-drain-step-by-step",
                  "Watch's message 2, after health_shutdown");
    expect_health(all, HEALTH_NOT_SERVING, "#the-drain-step-by-step",
                  "Check \"\" after health_shutdown");
    expect_health(mine, HEALTH_NOT_SERVING, "#the-drain-step-by-step",
                  "Check \"tutorial.v1.MyService\" after health_shutdown");
    expect_true(returned, "#watch",
                "after health_shutdown, Watch should "
                "send NOT_SERVING and return: a drain must not wait for "
                "watchers");
    expect_code_as(st, GRPC_STATUS_UNAVAILABLE, "#watch",
                   "Watch after health_shutdown");
}

/* ---- never send under the lock -------------------------------------------- */

/* Another thread's health_set and Check, while Watch's send waits for a
 * slow client: done tells whether they came back. */
typedef struct bystander {
    health_state *h;
    const char *service;
    health_status set;  /* what health_set sets */
    health_status seen; /* what Check answered */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC, for health_deadline_in */
    bool done;
} bystander;

static void *run_bystander(void *arg)
{
    bystander *b = arg;
    health_set(b->h, b->service, b->set);
    check_direct(b->h, b->service, &b->seen);
    pthread_mutex_lock(&b->mu);
    b->done = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* How long health_set and Check may take while a Watch send waits. They
 * take microseconds when Watch sends without the lock; held behind the
 * lock they never finish until the send is let go. */
#define BYSTANDER_MS 2000

/* Waits up to timeout_ms for the bystander to come back; true when it has. */
static bool bystander_back(bystander *b, int timeout_ms)
{
    struct timespec until = health_deadline_in(timeout_ms);
    pthread_mutex_lock(&b->mu);
    int rc = 0;
    while (!b->done && rc == 0)
        rc = pthread_cond_timedwait(&b->cv, &b->mu, &until);
    bool done = b->done;
    pthread_mutex_unlock(&b->mu);
    return done;
}

/* Starts health_set(service, set) plus a Check on a thread while `held`
 * holds Watch's send, and waits up to BYSTANDER_MS for both to come back:
 * true when they did. Then lets the send go (as a client that reads again)
 * and joins the thread; one that still does not come back fails the test
 * (b is static in the test, as a watcher is, so nothing it writes later
 * lands in a stack). */
static bool bystander_runs(bystander *b, health_state *h, const char *service,
                           health_status set, cg_stream *held)
{
    memset(b, 0, sizeof *b);
    b->h = h;
    b->service = service;
    b->set = set;
    b->seen = NOTHING_SENT;
    pthread_mutex_init(&b->mu, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cv, &a);
    pthread_condattr_destroy(&a);
    pthread_create(&b->thread, NULL, run_bystander, b);
    bool in_time = bystander_back(b, BYSTANDER_MS);
    cg_test_stream_hold_sends(held, false);
    if (!in_time && !bystander_back(b, WAIT_MS))
        fail_msg("health_set or Check did not return within %d ms even "
                 "after Watch's send went out",
                 WAIT_MS);
    pthread_join(b->thread, NULL);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    return in_time;
}

/* Waits up to WAIT_MS for one of Watch's sends to wait in the hold: true
 * as soon as one does, false when none does by then or when Watch has
 * returned without one (unfinished: at once, not after WAIT_MS). */
static bool watch_held_send(watcher *w, cg_stream *out)
{
    int64_t until = now_ms() + WAIT_MS;
    while (!cg_test_stream_wait_held_send(out, 20))
        if (watch_returned(w, 0) || now_ms() >= until)
            return false;
    return true;
}

/* A client that stops reading makes cg_send wait. The test holds Watch's
 * send (its first message, then one for a change) and meanwhile calls
 * health_set and Check on another thread: they must not wait for it. */
static void test_health_watch_never_sends_under_the_lock(void **state)
{
    (void)state;
    static health_state h; /* static: see watch_stop */
    health_init(&h);
    const char *svc = "tutorial.v1.ChatService";
    health_set(&h, svc, HEALTH_SERVING);
    static watcher w;
    static bystander b1, b2;
    watch_prepare(&w, &h, svc);
    cg_stream *out = cg_test_stream(w.ctx);
    cg_test_stream_hold_sends(out, true);
    pthread_create(&w.thread, NULL, run_watch, &w);

    /* 1. The first message waits in the send. */
    bool held1 = watch_held_send(&w, out);
    bool free1 = held1 && bystander_runs(&b1, &h, svc, HEALTH_NOT_SERVING, out);
    cg_test_stream_hold_sends(out, false);
    health_status m1 = nth_sent(&w, 1), m2 = nth_sent(&w, 2);

    /* 2. A message for a change waits in the send. */
    bool held2 = false, free2 = false;
    if (m2 == HEALTH_NOT_SERVING) {
        cg_test_stream_hold_sends(out, true);
        health_set(&h, svc, HEALTH_SERVING);
        held2 = watch_held_send(&w, out);
        free2 = held2 && bystander_runs(&b2, &h, svc, HEALTH_NOT_SERVING, out);
        cg_test_stream_hold_sends(out, false);
    }
    /* Messages 3 and 4 come only after a held message for a change. */
    health_status m3 = held2 ? nth_sent(&w, 3) : NOTHING_SENT;
    health_status m4 = held2 ? nth_sent(&w, 4) : NOTHING_SENT;
    watch_stop(&w);
    health_destroy(&h);

    expect_true(held1, "#watch",
                "Watch sent nothing within %d ms of "
                "starting: it sends the current status at once",
                WAIT_MS);
    expect_true(free1, "#watch",
                "while Watch's first message waited for a "
                "slow client, health_set and Check on another thread waited "
                "too (over %d ms): Watch held h->mu during cg_send. Unlock "
                "before cg_send and lock again after it",
                BYSTANDER_MS);
    expect_health(b1.seen, HEALTH_NOT_SERVING, "#check",
                  "Check from another thread, just after its health_set "
                  "NOT_SERVING");
    expect_health(m1, HEALTH_SERVING, "#watch",
                  "Watch's message 1 (the status when it started)");
    expect_health(m2, HEALTH_NOT_SERVING, "#watch",
                  "Watch's message 2 (the change made while message 1 "
                  "waited: after each send, look at the status again before "
                  "waiting)");
    expect_true(held2, "#watch",
                "Watch sent nothing within %d ms of a "
                "change to SERVING",
                WAIT_MS);
    expect_true(free2, "#watch",
                "while Watch's message for a change waited "
                "for a slow client, health_set and Check on another thread "
                "waited too (over %d ms): Watch held h->mu during cg_send. "
                "Unlock before cg_send and lock again after it",
                BYSTANDER_MS);
    expect_health(m3, HEALTH_SERVING, "#watch",
                  "Watch's message 3 (after the change to SERVING)");
    expect_health(m4, HEALTH_NOT_SERVING, "#watch",
                  "Watch's message 4 (the change made while message 3 "
                  "waited)");
}

/* ---- over the network ------------------------------------------------------ */

static void test_health_over_network(void **state)
{
    (void)state;
    test_server ts;
    test_server_opts o = {0};
    test_server_start(&ts, &o);
    health_set(&ts.health, "", HEALTH_SERVING);
    health_set(&ts.health, "tutorial.v1.UserService", HEALTH_SERVING);

    cg_call_opts dl = deadline_ms(WAIT_MS);
    Grpc__Health__V1__HealthCheckRequest req =
        GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    Grpc__Health__V1__HealthCheckResponse *resp = NULL;
    cg_status check =
        grpc__health__v1__health_client__check(ts.ch, &req, &resp, &dl);
    health_status got = resp != NULL ? resp->status : HEALTH_UNKNOWN;
    if (resp != NULL)
        grpc__health__v1__health_check_response__free_unpacked(resp, NULL);
    req.service = "tutorial.v1.Nope";
    cg_status nope =
        grpc__health__v1__health_client__check(ts.ch, &req, NULL, &dl);

    /* [watch-over-network] */
    /* Watch UserService through a change. */
    req.service = "tutorial.v1.UserService";
    cg_call *c = grpc__health__v1__health_client__watch(ts.ch, &req, &dl);
    const Grpc__Health__V1__HealthCheckResponse *m = cg_call_recv(c);
    health_status w1 = m != NULL ? m->status : HEALTH_UNKNOWN;
    health_set(&ts.health, "tutorial.v1.UserService", HEALTH_NOT_SERVING);
    m = w1 != HEALTH_UNKNOWN ? cg_call_recv(c) : NULL;
    health_status w2 = m != NULL ? m->status : HEALTH_UNKNOWN;
    cg_call_cancel(c);
    cg_status watch = cg_call_finish(c);
    /* [/watch-over-network] */
    test_server_stop(&ts);

    expect_code_as(check, GRPC_STATUS_OK, "#check",
                   "Check \"\" over the network");
    expect_health(got, HEALTH_SERVING, "#check", "Check \"\" over the network");
    expect_code_as(nope, GRPC_STATUS_NOT_FOUND, "#check",
                   "Check \"tutorial.v1.Nope\" over the network");
    expect_true(w1 != HEALTH_UNKNOWN, "#watch",
                "Watch over the network sent "
                "nothing; the call ended with %s \"%s\"",
                cg_status_name(watch.code), watch.message);
    expect_health(w1, HEALTH_SERVING, "#watch",
                  "Watch's first message over the network");
    expect_health(w2, HEALTH_NOT_SERVING, "#watch",
                  "Watch's message 2 over the network (after the change to "
                  "NOT_SERVING)");
    expect_code_as(watch, GRPC_STATUS_CANCELLED, "#watch",
                   "Watch over the network, cancelled by its client");
}

/* ---- in the program ---------------------------------------------------------- */

/* needs: config.c */
static void test_health_program_serving(void **state)
{
    (void)state;
    static const char *const env[] = {"HOST=127.0.0.1", "PORT=0",
                                      "METRICS_PORT=off", NULL};
    program pg;
    char why[20000];
    bool up = program_start(&pg, env, NULL, false, why, sizeof why);
    expect_true(up, "#why-probes-need-it", "%s", why);
    cg_channel *ch = cg_channel_new(pg.target, NULL, NULL);
    static const char *const names[] = {"",
                                        "tutorial.v1.MyService",
                                        "tutorial.v1.UserService",
                                        "tutorial.v1.NotificationService",
                                        "tutorial.v1.FileService",
                                        "tutorial.v1.ChatService"};
    cg_status st[6];
    health_status s[6];
    cg_call_opts dl = deadline_ms(WAIT_MS);
    for (int i = 0; i < 6; i++) {
        Grpc__Health__V1__HealthCheckRequest req =
            GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
        req.service = (char *)names[i];
        Grpc__Health__V1__HealthCheckResponse *resp = NULL;
        st[i] = grpc__health__v1__health_client__check(ch, &req, &resp, &dl);
        s[i] = resp != NULL ? resp->status : HEALTH_UNKNOWN;
        if (resp != NULL)
            grpc__health__v1__health_check_response__free_unpacked(resp, NULL);
    }
    cg_channel_free(ch);
    program_end(&pg);
    for (int i = 0; i < 6; i++) {
        expect_true(st[i].code == GRPC_STATUS_OK && s[i] == HEALTH_SERVING,
                    "#why-probes-need-it",
                    "Check \"%s\" on the running "
                    "program: expected OK SERVING, got %s %s \"%s\"",
                    names[i], cg_status_name(st[i].code), status_name(s[i]),
                    st[i].message);
    }
}

/* Last: the Watch the suite's setup started has waited all along. */
static void test_health_watch_rests_while_nothing_changes(void **state)
{
    (void)state;
    health_status first = nth_sent(&quiet_w, 1);
    int64_t wall = now_ms() - quiet_since;
    int64_t cpu = thread_cpu_ms(quiet_w.thread);
    size_t count = cg_test_stream_sent_count(cg_test_stream(quiet_w.ctx));
    health_status again = count > 1 ? nth_sent(&quiet_w, 2) : NOTHING_SENT;
    health_shutdown(&quiet_h); /* ends it at once (watch_stop cancels too) */
    quiet_watch_stop();
    expect_health(first, HEALTH_SERVING, "#watch",
                  "Watch's first message (the current status)");
    expect_true(count == 1, "#watch",
                "nothing changed the status a Watch followed for %lld ms, "
                "yet it sent %zu messages (the second: %s): Watch sends the "
                "status once, then only changes, never again when its timed "
                "wait runs out",
                (long long)wall, count, status_name(again));
    /* A Watch that waits uses microseconds; one that spins, most of a
     * core. */
    expect_true(cpu * 4 < wall, "#watch",
                "a Watch with nothing to send used %lld ms of CPU time in "
                "%lld ms: it spins instead of waiting. Give each "
                "pthread_cond_timedwait a new deadline (health_deadline_in) "
                "every time round the loop: one whose time has passed "
                "returns at once",
                (long long)cpu, (long long)wall);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_check_reports_status),
        cmocka_unit_test(test_health_check_unknown_service),
        cmocka_unit_test(test_health_set_limits),
        cmocka_unit_test(test_health_watch_sends_status_at_once),
        cmocka_unit_test(test_health_watch_updates_in_order),
        cmocka_unit_test(test_health_watch_same_value_sends_nothing),
        cmocka_unit_test(test_health_set_wakes_every_watch),
        cmocka_unit_test(test_health_watch_unknown_service),
        cmocka_unit_test(test_health_watch_ends_when_client_leaves),
        cmocka_unit_test(test_health_shutdown_ends_watch),
        cmocka_unit_test(test_health_watch_never_sends_under_the_lock),
        cmocka_unit_test(test_health_over_network),
        cmocka_unit_test(test_health_program_serving),
        cmocka_unit_test(test_health_watch_rests_while_nothing_changes),
    };
    return cmocka_run_group_tests(tests, health_suite_setup,
                                  health_suite_teardown);
}
