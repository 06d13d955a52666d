/*
 * test_drain.c: exercise 2, the program's drain on SIGTERM (drain.c, with
 * health.c's health_shutdown): run the program as a container platform
 * would, start calls that take a while, send SIGTERM, and watch.
 *
 * In the program, NotificationService pauses the outline's second between
 * two notifications, so a stream of two notifications is a call that is
 * "in flight" for one second.
 *
 * Every check is made after the calls and channels are cleaned up, so a
 * failing check leaves nothing behind; the programs are ended by the
 * suite's teardown at the latest.
 */
#define LESSON_PAGE "steps/07-deploy.md"
#define EXERCISE_FILE "drain.c"
#define EXERCISE_NEEDS                                                         \
    "config.c health.c" /* GRACE_PERIOD_SECONDS, and health_shutdown */
#include "lesson.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

#define NOTIFY TUTORIAL__V1__NOTIFICATION_SERVICE__STREAM_NOTIFICATIONS__METHOD

/* The grace period the program logged when it started (its line "...
 * msg=started ... grace_seconds=N ..." on stderr, written just after the
 * "metrics on" line program_start waited for), or -1 when no such line
 * came within 2 s. */
static int logged_grace(program *pg)
{
    int64_t until = now_ms() + 2000;
    const char *line;
    while ((line = strstr(pg->p.err, " msg=started ")) == NULL &&
           now_ms() < until)
        if (proc_wait(&pg->p, 20))
            break; /* it exited: nothing more comes */
    const char *g = line != NULL ? strstr(line, " grace_seconds=") : NULL;
    int n = -1;
    if (g == NULL || sscanf(g, " grace_seconds=%d", &n) != 1)
        return -1;
    return n;
}

/* Starts the program with GRACE_PERIOD_SECONDS=grace; false, with why
 * filled in, when it did not come up. */
static bool start_program(program *pg, const char *grace, char *why, size_t cap)
{
    char grace_env[64];
    snprintf(grace_env, sizeof grace_env, "GRACE_PERIOD_SECONDS=%s", grace);
    const char *const env[] = {"HOST=127.0.0.1",          "PORT=0",
                               "METRICS_PORT=0",          grace_env,
                               "REPLICA_NAME=drain-test", NULL};
    return program_start(pg, env, NULL, true, why, cap);
}

static void start(program *pg, const char *grace)
{
    char why[20000];
    bool up = start_program(pg, grace, why, sizeof why);
    expect_true(up, "#running-the-program", "%s", why);
}

/* start, for a test of the drain: a program that did not read
 * GRACE_PERIOD_SECONDS drains for another grace period (the default is
 * 20 s), and the test would wait that out and then fail, so it fails
 * now. */
static void expect_grace_read(int logged, const char *grace)
{
    expect_true(logged < 0 || logged == atoi(grace), "#the-grace-period",
                "the program started with grace_seconds=%d, though the "
                "test set GRACE_PERIOD_SECONDS=%s: config_load_rest "
                "(config.c, suite config) reads it",
                logged, grace);
}

static void start_drain(program *pg, const char *grace)
{
    start(pg, grace);
    expect_grace_read(logged_grace(pg), grace);
}

static cg_call *notifications(cg_channel *ch, int count)
{
    Tutorial__V1__StreamRequest req = TUTORIAL__V1__STREAM_REQUEST__INIT;
    req.user_id = "drain";
    req.max_count = count;
    cg_call_opts o = deadline_ms(WAIT_MS);
    return tutorial__v1__notification_service_client__stream_notifications(
        ch, &req, &o);
}

static cg_call *watch_service(cg_channel *ch, const char *service)
{
    Grpc__Health__V1__HealthCheckRequest req =
        GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)service;
    cg_call_opts o = deadline_ms(WAIT_MS);
    return grpc__health__v1__health_client__watch(ch, &req, &o);
}

static cg_call *watch(cg_channel *ch)
{
    return watch_service(ch, "");
}

/* The next Watch message's status, or -1 at the end of the stream. */
static int next_status(cg_call *c)
{
    const Grpc__Health__V1__HealthCheckResponse *m = cg_call_recv(c);
    return m != NULL ? (int)m->status : -1;
}

/* A UnaryCall on an open channel, failing fast, with a deadline of ms. */
static cg_status unary_within(cg_channel *ch, const char *id, int64_t ms)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    cg_call_opts o = deadline_ms(ms);
    return tutorial__v1__my_service_client__unary_call(ch, &req, NULL, &o);
}

static cg_status unary_on(cg_channel *ch, const char *id)
{
    return unary_within(ch, id, 2000);
}

/* A UnaryCall on a fresh channel, failing fast (no wait for ready). */
static cg_status fresh_call_within(const char *target, int64_t ms)
{
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    cg_status st = unary_within(ch, "late", ms);
    cg_channel_free(ch);
    return st;
}

static cg_status fresh_call(const char *target)
{
    return fresh_call_within(target, 2000);
}

/* ---- given: the program starts --------------------------------------------- */

static void test_drain_program_prints_ports(void **state)
{
    (void)state;
    program pg;
    start(&pg, "5");
    cg_status st = fresh_call(pg.target);
    char resp[65536];
    int http = http_get_metrics(pg.metrics_port, resp, sizeof resp, NULL);
    program_end(&pg);
    /* PORT=0 and METRICS_PORT=0: the kernel picked both, and the lines
     * say which. Any answer from the server will do here. */
    expect_true(st.code != GRPC_STATUS_UNAVAILABLE, "#running-the-program",
                "no gRPC server at %s, the port of the \"listening on\" "
                "line: %s",
                pg.target, st.message);
    expect_int(http, 200, "#running-the-program");
}

/* ---- exercise 2 -------------------------------------------------------------- */

/* The program's own account of its drain: the line app_free logs after a
 * signal (see app.h), "msg=stopped lame_duck_ms=... shutdown_at_ms=...
 * grace_ms=... deadline_ms=... cut=... took_ms=...", in ms after the signal
 * and measured inside the program, so a slow machine does not blur it. */
/* A timer's lateness on a loaded machine, in the stop line's times. */
#define STOP_SLACK_MS 150

typedef struct stop_line {
    bool found;
    long long lame_duck_ms; /* time in cg_server_drain */
    long long shutdown_ms;  /* when cg_server_shutdown began */
    long long grace_ms;     /* what it gave the calls in flight */
    long long deadline_ms;  /* the end of that: shutdown_ms + grace_ms */
    bool cut;               /* calls were still running then */
} stop_line;

static stop_line read_stop_line(const char *err)
{
    stop_line s = {0};
    const char *l = strstr(err, " msg=stopped ");
    char cut[8] = "";
    long long took = 0;
    s.found = l != NULL &&
              sscanf(l,
                     " msg=stopped lame_duck_ms=%lld shutdown_at_ms=%lld "
                     "grace_ms=%lld deadline_ms=%lld cut=%7s took_ms=%lld",
                     &s.lame_duck_ms, &s.shutdown_ms, &s.grace_ms,
                     &s.deadline_ms, cut, &took) == 6;
    s.cut = strcmp(cut, "true") == 0;
    return s;
}

/* A test that waits for its program on purpose runs on a thread of its
 * own from the suite's setup on (not under valgrind, see
 * drain_suite_setup), while the other tests run; the test waits for the
 * thread and checks what it saw. */
typedef struct bg_run {
    pthread_t thread;
    bool started; /* the thread runs, or ran and is not joined yet */
    bool done;
    void *(*fn)(void *);
    void *arg;
} bg_run;

static void bg_start(bg_run *b)
{
    b->started = pthread_create(&b->thread, NULL, b->fn, b->arg) == 0;
}

/* Waits for the thread (or runs it here, if it did not start). */
static void bg_wait(bg_run *b)
{
    if (b->started)
        pthread_join(b->thread, NULL);
    else if (!b->done)
        b->fn(b->arg);
    b->started = false;
    b->done = true;
}

/* Three calls in flight at SIGTERM, each one second long (it ends within
 * the 1.5 s the shutdown leaves it), a Watch, and new calls during the
 * drain. It runs on a thread of its own (see bg_run). */
enum { IN_FLIGHT = 3 };

typedef struct flight_run {
    bool up;            /* the program came up */
    char why[20000];    /* why not */
    int logged;         /* the grace period it logged, -1: none */
    int before, during; /* Watch's status before SIGTERM and after */
    cg_status wst;      /* how the Watch ended */
    int got[IN_FLIGHT];
    cg_status st[IN_FLIGHT];
    cg_status late; /* the first new call not served */
    int cancelled;  /* new calls cancelled meanwhile */
    bool exited, stopped;
    int code;
    int64_t took;     /* SIGTERM to the program's exit */
    char out[16384];  /* what it printed on stdout */
    int svc_during;   /* a Watch of one service: its status after SIGTERM */
    int svc_after;    /* and what came after that (-1: the end) */
    cg_status svc_st; /* how that Watch ended */
    stop_line stop;   /* what the program said of its drain */
} flight_run;

static flight_run flight;

static void flight_drain(flight_run *r, program *pg)
{
    cg_channel *ch = cg_channel_new(pg->target, NULL, NULL);

    /* A Watch that sees SERVING, and three calls in flight. */
    cg_call *w = watch(ch);
    r->before = next_status(w);
    /* A Watch of one service, which the drain ends by itself. */
    cg_call *ws = watch_service(ch, "tutorial.v1.NotificationService");
    int svc_before = next_status(ws);
    cg_call *calls[IN_FLIGHT];
    for (int i = 0; i < IN_FLIGHT; i++) {
        calls[i] = notifications(ch, 2);
        r->got[i] = cg_call_recv(calls[i]) != NULL;
    }

    /* [sigterm] */
    int64_t t0 = now_ms();
    proc_signal(&pg->p, SIGTERM);

    /* The Watch hears of the drain. */
    int during = next_status(w);
    while (during == HEALTH_SERVING)
        during = next_status(w);
    cg_call_cancel(w);
    cg_status wst = cg_call_finish(w);

    /* New calls are served during the lame duck (these clients do not
     * watch health, so the calls keep coming and it lasts its longest, a
     * quarter of the grace period), then refused while the old ones
     * finish. One that arrives in the very instant the shutdown begins is
     * cancelled unseen by gRPC core: see #the-lame-duck. */
    int cancelled = 0;
    cg_status late = fresh_call(pg->target);
    for (int i = 0; i < 1000 && (late.code == GRPC_STATUS_OK ||
                                 late.code == GRPC_STATUS_CANCELLED);
         i++) {
        cancelled += late.code == GRPC_STATUS_CANCELLED;
        struct timespec pause = {0, 5 * 1000000L};
        nanosleep(&pause, NULL);
        late = fresh_call(pg->target);
    }
    /* [/sigterm] */
    r->wst = wst;
    r->during = during;
    r->late = late;
    r->cancelled = cancelled;

    for (int i = 0; i < IN_FLIGHT; i++) {
        while (cg_call_recv(calls[i]) != NULL)
            r->got[i]++;
        r->st[i] = cg_call_finish(calls[i]);
    }
    /* The service's Watch: NOT_SERVING, then its end (long since, with
     * health_shutdown). */
    r->svc_during = svc_before == HEALTH_SERVING ? next_status(ws) : -1;
    r->svc_after = r->svc_during >= 0 ? next_status(ws) : -1;
    if (r->svc_after >= 0)
        cg_call_cancel(ws);
    r->svc_st = cg_call_finish(ws);
    cg_channel_free(ch);
    r->exited = proc_wait(&pg->p, WAIT_MS);
    r->took = now_ms() - t0;
    r->code = r->exited ? proc_exit_code(&pg->p) : -1;
    r->stopped = strstr(pg->p.out, "stopped\n") != NULL;
    snprintf(r->out, sizeof r->out, "%s", pg->p.out);
    r->stop = read_stop_line(pg->p.err);
}

static void *flight_thread(void *arg)
{
    flight_run *r = arg;
    program pg;
    r->logged = -1;
    r->up = start_program(&pg, "2", r->why, sizeof r->why);
    if (!r->up)
        return NULL;
    r->logged = logged_grace(&pg);
    /* A program that did not read GRACE_PERIOD_SECONDS would drain for
     * 20 s: the test fails on that at once. */
    if (r->logged < 0 || r->logged == 2)
        flight_drain(r, &pg);
    program_end(&pg);
    return NULL;
}

static bg_run flight_bg = {.fn = flight_thread, .arg = &flight};

static void test_drain_in_flight_calls_finish(void **state)
{
    (void)state;
    bg_wait(&flight_bg);
    expect_true(flight.up, "#running-the-program", "%s", flight.why);
    expect_grace_read(flight.logged, "2");
    expect_true(flight.before == HEALTH_SERVING, "#watch",
                "a health Watch on the "
                "program should say SERVING before SIGTERM; it got %s. The "
                "drain needs exercise 1 (health.c) first",
                flight.before < 0 ? "nothing" : "another status");
    expect_true(flight.during == HEALTH_NOT_SERVING, "#the-drain-step-by-step",
                "after SIGTERM a Watch should see NOT_SERVING first; it got "
                "%s, and the call ended with %s \"%s\"",
                flight.during < 0 ? "nothing more" : "another status",
                cg_status_name(flight.wst.code), flight.wst.message);
    expect_true(flight.svc_during == HEALTH_NOT_SERVING &&
                    flight.svc_after < 0 &&
                    flight.svc_st.code == GRPC_STATUS_UNAVAILABLE,
                "#the-drain-step-by-step",
                "after SIGTERM a Watch of tutorial.v1.NotificationService "
                "should get NOT_SERVING and end UNAVAILABLE at once; it got "
                "%s, then %s, and ended %s \"%s\". health_shutdown sets every "
                "service NOT_SERVING and ends the Watch streams; "
                "health_set of \"\" does neither",
                flight.svc_during < 0 ? "nothing more" : "a status",
                flight.svc_after < 0 ? "the end" : "another status",
                cg_status_name(flight.svc_st.code), flight.svc_st.message);
    for (int i = 0; i < IN_FLIGHT; i++) {
        expect_true(flight.st[i].code == GRPC_STATUS_OK && flight.got[i] == 2,
                    "#the-drain-step-by-step",
                    "in-flight call %d: expected "
                    "both notifications and OK, got %d and %s \"%s\": calls "
                    "in flight at SIGTERM must be allowed to finish",
                    i + 1, flight.got[i], cg_status_name(flight.st[i].code),
                    flight.st[i].message);
    }
    /* New calls kept coming through the lame duck: it lasted its longest,
     * 500 ms, and the shutdown had the other 1500 ms. */
    expect_true(!flight.stop.found ||
                    flight.stop.deadline_ms <= 2000 + STOP_SLACK_MS,
                "#the-grace-period",
                "the shutdown began %lld ms after SIGTERM (after a lame duck "
                "of %lld ms) and gave the calls in flight %lld ms: their time "
                "ran out %lld ms after SIGTERM, past GRACE_PERIOD_SECONDS=2 "
                "(2000 ms). The lame duck (at most a quarter of the grace "
                "period) and the shutdown (the rest) together take the grace "
                "period, no more",
                flight.stop.shutdown_ms, flight.stop.lame_duck_ms,
                flight.stop.grace_ms, flight.stop.deadline_ms);
    expect_code(flight.late, GRPC_STATUS_UNAVAILABLE,
                "#the-drain-step-by-step");
    expect_true(flight.cancelled <= 1, "#the-lame-duck",
                "%d new calls were "
                "cancelled during the drain: only one arriving at the very "
                "instant the shutdown begins may be",
                flight.cancelled);
    expect_true(flight.exited, "#the-drain-step-by-step",
                "the program was still running %d ms after SIGTERM", WAIT_MS);
    expect_int(flight.code, 0, "#the-drain-step-by-step");
    expect_true(flight.took < 2000, "#the-grace-period",
                "the drain took %lld ms, "
                "more than GRACE_PERIOD_SECONDS=2",
                (long long)flight.took);
    expect_true(flight.stopped, "#the-drain-step-by-step",
                "the program should "
                "print \"stopped\" on stdout at the end; it printed:\n%s",
                flight.out);
}

static void test_drain_lame_duck_serves_after_not_serving(void **state)
{
    (void)state;
    program pg;
    start_drain(&pg, "8");
    cg_channel *ch = cg_channel_new(pg.target, NULL, NULL);
    cg_status warm = unary_on(ch, "before");
    cg_call *w = watch(ch);
    int before = next_status(w);

    proc_signal(&pg.p, SIGTERM);
    int during = next_status(w);
    while (during == HEALTH_SERVING)
        during = next_status(w);
    /* A client that hears of the health change late (or not at all) and
     * calls 50 ms after it: well inside the lame duck, which lasts until
     * no call has come for DRAIN_QUIET_MS (200). It must be served. */
    struct timespec late = {0, 50 * 1000000L};
    nanosleep(&late, NULL);
    cg_status just_after = unary_on(ch, "just-after");
    cg_call_cancel(w);
    cg_call_finish(w);
    cg_channel_free(ch);
    int64_t t0 = now_ms();
    bool exited = proc_wait(&pg.p, WAIT_MS);
    int64_t exit_ms = now_ms() - t0;
    int code = exited ? proc_exit_code(&pg.p) : -1;
    stop_line stop = read_stop_line(pg.p.err);
    program_end(&pg);

    expect_code(warm, GRPC_STATUS_OK, "#the-lame-duck");
    expect_true(before == HEALTH_SERVING && during == HEALTH_NOT_SERVING,
                "#the-drain-step-by-step",
                "a health Watch should say "
                "SERVING, then NOT_SERVING after SIGTERM");
    /* The pause came, but before the health turned NOT_SERVING. */
    expect_true(just_after.code == GRPC_STATUS_OK || !stop.found ||
                    stop.lame_duck_ms < DRAIN_QUIET_MS - 50,
                "#the-drain-step-by-step",
                "a call made 50 ms after the health turned NOT_SERVING ended "
                "%s \"%s\", though the program did pause %lld ms in "
                "cg_server_drain: the pause must come after health_shutdown "
                "(the clients hear first, then the server keeps serving a "
                "moment), and only then cg_server_shutdown",
                cg_status_name(just_after.code), just_after.message,
                stop.lame_duck_ms);
    expect_true(just_after.code == GRPC_STATUS_OK, "#the-lame-duck",
                "a call made 50 ms after the health turned NOT_SERVING ended "
                "%s \"%s\": the program should keep serving for a moment "
                "(cg_server_drain) before it shuts down, for the clients "
                "that have not heard yet",
                cg_status_name(just_after.code), just_after.message);
    expect_true(exited, "#the-lame-duck",
                "the program was still running %d ms after SIGTERM", WAIT_MS);
    expect_int(code, 0, "#the-drain-step-by-step");
    /* With nothing more arriving, the pause ends after DRAIN_QUIET_MS, far
     * sooner than its longest (a quarter of 8 s). */
    expect_true(exit_ms < 1500, "#the-lame-duck",
                "the program took %lld ms "
                "to exit after its last call: the lame duck should end once "
                "no call has come for DRAIN_QUIET_MS",
                (long long)exit_ms);
}

/* A call longer than the grace period, cut off at its end: 1 s. */
typedef struct cut_run {
    bool up;           /* the program came up */
    char why[20000];   /* why not */
    int logged;        /* the grace period it logged, -1: none */
    int got;           /* notifications of the long call */
    cg_status st;      /* how it ended */
    int64_t cut_after; /* SIGTERM to its end */
    int64_t took;      /* SIGTERM to the program's exit */
    bool exited, stopped;
    int code;
    char out[16384]; /* what it printed on stdout */
} cut_run;

static cut_run cut;

static void cut_drain(cut_run *r, program *pg)
{
    cg_channel *ch = cg_channel_new(pg->target, NULL, NULL);
    cg_call *c = notifications(ch, 100); /* 99 s: far past the grace period */
    r->got = cg_call_recv(c) != NULL;

    int64_t t0 = now_ms();
    proc_signal(&pg->p, SIGTERM);
    while (cg_call_recv(c) != NULL)
        r->got++;
    r->st = cg_call_finish(c);
    r->cut_after = now_ms() - t0;
    cg_channel_free(ch);
    r->exited = proc_wait(&pg->p, WAIT_MS);
    r->took = now_ms() - t0;
    r->code = r->exited ? proc_exit_code(&pg->p) : -1;
    r->stopped = strstr(pg->p.out, "stopped\n") != NULL;
    snprintf(r->out, sizeof r->out, "%s", pg->p.out);
}

static void *cut_thread(void *arg)
{
    cut_run *r = arg;
    program pg;
    r->logged = -1;
    r->up = start_program(&pg, "1", r->why, sizeof r->why);
    if (!r->up)
        return NULL;
    r->logged = logged_grace(&pg);
    /* A program that did not read GRACE_PERIOD_SECONDS would drain for
     * 20 s: the test fails on that at once. */
    if (r->logged < 0 || r->logged == 1)
        cut_drain(r, &pg);
    program_end(&pg);
    return NULL;
}

static bg_run cut_bg = {.fn = cut_thread, .arg = &cut};

static void test_drain_grace_period_cuts_long_calls(void **state)
{
    (void)state;
    bg_wait(&cut_bg);
    expect_true(cut.up, "#running-the-program", "%s", cut.why);
    expect_grace_read(cut.logged, "1");
    expect_true(cut.got >= 1 && cut.got < 100 && cut.st.code != GRPC_STATUS_OK,
                "#the-grace-period",
                "a call longer than the grace period "
                "should be cut off: got %d notifications and %s",
                cut.got, cg_status_name(cut.st.code));
    expect_true(cut.cut_after >= 900, "#the-grace-period",
                "the call was cut "
                "off %lld ms after SIGTERM: it should have had the grace "
                "period (GRACE_PERIOD_SECONDS=1) to finish first",
                (long long)cut.cut_after);
    expect_true(cut.exited, "#the-grace-period",
                "the program was still running %d ms after SIGTERM", WAIT_MS);
    expect_int(cut.code, 0, "#the-grace-period");
    expect_true(cut.took < 4000, "#the-grace-period",
                "the program took %lld ms "
                "to exit after SIGTERM with GRACE_PERIOD_SECONDS=1",
                (long long)cut.took);
    expect_true(cut.stopped, "#the-drain-step-by-step",
                "the program should "
                "print \"stopped\" on stdout at the end; it printed:\n%s",
                cut.out);
}

/* Calls that keep coming through the lame duck make it last its longest,
 * a quarter of the grace period; a call longer than the grace period then
 * takes the rest: the whole drain is the grace period, no more. With
 * GRACE_PERIOD_SECONDS=1 the lame duck ends at 250 ms and the shutdown's
 * grace at 1000 ms; a shutdown given the whole grace period after the lame
 * duck ends at 1250 ms. The program's stop line says when, measured inside
 * it (read_stop_line). It runs on a thread of its own (see bg_run). */
#define FIT_GRACE "1"
#define FIT_GRACE_MS 1000
#define FIT_SLACK_MS 150 /* a timer's lateness on a loaded machine */

typedef struct fit_run {
    bool up;         /* the program came up */
    char why[20000]; /* why not */
    int logged;      /* the grace period it logged, -1: none */
    bool drained;    /* it read GRACE_PERIOD_SECONDS: the drain ran */
    int got;         /* notifications of the long call */
    cg_status late;  /* the first new call not served */
    cg_status st;    /* how the long call ended */
    stop_line stop;  /* what the program said of its drain */
    int64_t took;    /* SIGTERM to the program's exit */
    bool exited;
    int code;
} fit_run;

static fit_run fit;

static void fit_drain(fit_run *r, program *pg)
{
    cg_channel *ch = cg_channel_new(pg->target, NULL, NULL);
    cg_call *c = notifications(ch, 100); /* 99 s: far past the grace period */
    r->got = cg_call_recv(c) != NULL;

    int64_t t0 = now_ms();
    proc_signal(&pg->p, SIGTERM);
    /* New calls, one every few ms, until they are refused. One that
     * arrives in the very instant the shutdown begins may be left
     * unanswered by gRPC core until the shutdown ends (see #the-lame-duck):
     * a short deadline ends it, and the next call is refused. */
    cg_status late = fresh_call_within(pg->target, 300);
    for (int i = 0; i < 2000 && (late.code == GRPC_STATUS_OK ||
                                 late.code == GRPC_STATUS_CANCELLED ||
                                 late.code == GRPC_STATUS_DEADLINE_EXCEEDED);
         i++) {
        struct timespec pause = {0, 5 * 1000000L};
        nanosleep(&pause, NULL);
        late = fresh_call_within(pg->target, 300);
    }
    r->late = late;
    while (cg_call_recv(c) != NULL)
        r->got++;
    r->st = cg_call_finish(c);
    cg_channel_free(ch);
    r->exited = proc_wait(&pg->p, WAIT_MS);
    r->took = now_ms() - t0;
    r->code = r->exited ? proc_exit_code(&pg->p) : -1;
    r->stop = read_stop_line(pg->p.err);
}

static void *fit_thread(void *arg)
{
    fit_run *r = arg;
    program pg;
    r->up = start_program(&pg, FIT_GRACE, r->why, sizeof r->why);
    if (!r->up)
        return NULL;
    r->logged = logged_grace(&pg);
    /* A program that did not read GRACE_PERIOD_SECONDS would drain for
     * 20 s: the test fails on that at once. */
    r->drained = r->logged < 0 || r->logged == atoi(FIT_GRACE);
    if (r->drained)
        fit_drain(r, &pg);
    program_end(&pg);
    return NULL;
}

static bg_run fit_bg = {.fn = fit_thread, .arg = &fit};

/* exercise: drain.c */
static void test_drain_lame_duck_and_shutdown_fit_the_grace_period(void **state)
{
    (void)state;
    bg_wait(&fit_bg);
    expect_true(fit.up, "#running-the-program", "%s", fit.why);
    expect_grace_read(fit.logged, FIT_GRACE);
    expect_code(fit.late, GRPC_STATUS_UNAVAILABLE, "#the-lame-duck");
    expect_true(fit.exited, "#the-grace-period",
                "the program was still running %d ms after SIGTERM", WAIT_MS);
    expect_true(fit.stop.found, "#the-drain-step-by-step",
                "the program ended without its \"msg=stopped\" line on "
                "stderr, which app_free writes: end app_drain with "
                "app_free(a)");
    /* A quarter of 1 s is 250 ms. */
    expect_true(fit.stop.lame_duck_ms <= FIT_GRACE_MS / 4 + FIT_SLACK_MS,
                "#the-lame-duck",
                "new calls kept coming, and the lame duck (cg_server_drain) "
                "lasted %lld ms: it may last at most a quarter of "
                "GRACE_PERIOD_SECONDS=" FIT_GRACE " (%d ms)",
                fit.stop.lame_duck_ms, FIT_GRACE_MS / 4);
    /* It ends once no call has come for DRAIN_QUIET_MS, or at its longest:
     * never sooner than 200 ms here, however loaded the machine. */
    expect_true(fit.stop.lame_duck_ms >= DRAIN_QUIET_MS - 50, "#the-lame-duck",
                "new calls kept coming, yet the lame duck (cg_server_drain) "
                "lasted only %lld ms: it should serve until no call has come "
                "for DRAIN_QUIET_MS (%d ms), for at most a quarter of "
                "GRACE_PERIOD_SECONDS=" FIT_GRACE " (%d ms). Is its longest "
                "in ms, a quarter of grace_seconds * 1000?",
                fit.stop.lame_duck_ms, DRAIN_QUIET_MS, FIT_GRACE_MS / 4);
    expect_true(fit.got >= 1 && fit.st.code != GRPC_STATUS_OK && fit.stop.cut,
                "#the-grace-period",
                "a call longer than the grace period should be cut off: got "
                "%d notifications and %s",
                fit.got, cg_status_name(fit.st.code));
    /* Lame duck plus shutdown: 1000 ms. A shutdown given the whole grace
     * period after the lame duck ends at 1250 ms. */
    expect_true(fit.stop.deadline_ms >= FIT_GRACE_MS - FIT_SLACK_MS &&
                    fit.stop.deadline_ms <= FIT_GRACE_MS + FIT_SLACK_MS,
                "#the-grace-period",
                "the shutdown began %lld ms after SIGTERM (after a lame duck "
                "of %lld ms) and gave the calls in flight %lld ms: their time "
                "ran out %lld ms after SIGTERM. The lame duck and the "
                "shutdown together should take the grace period, "
                "GRACE_PERIOD_SECONDS=" FIT_GRACE " (%d ms), no more and not "
                "much less",
                fit.stop.shutdown_ms, fit.stop.lame_duck_ms, fit.stop.grace_ms,
                fit.stop.deadline_ms, FIT_GRACE_MS);
    expect_int(fit.code, 0, "#the-grace-period");
    expect_true(fit.took < FIT_GRACE_MS + 1000, "#the-grace-period",
                "the program exited %lld "
                "ms after SIGTERM, past GRACE_PERIOD_SECONDS=" FIT_GRACE,
                (long long)fit.took);
}

static void test_drain_sigint_too(void **state)
{
    (void)state;
    program pg;
    start_drain(&pg, "5");
    proc_signal(&pg.p, SIGINT); /* Ctrl-C in a terminal */
    bool exited = proc_wait(&pg.p, WAIT_MS);
    int code = exited ? proc_exit_code(&pg.p) : -1;
    bool stopped = strstr(pg.p.out, "stopped\n") != NULL;
    program_end(&pg);
    expect_true(exited, "#the-drain-step-by-step",
                "the program was still running %d ms after SIGINT", WAIT_MS);
    expect_int(code, 0, "#the-drain-step-by-step");
    expect_true(stopped, "#the-drain-step-by-step",
                "the program should "
                "print \"stopped\" after SIGINT too; it printed:\n%s",
                pg.p.out);
}

/* Under valgrind, which runs one thread of the suite at a time, the new
 * calls of fit_drain would come too slowly to hold the lame duck open
 * while another test runs: there the test runs it itself. */
static bool under_valgrind(void)
{
#ifdef RUNNING_ON_VALGRIND
    return RUNNING_ON_VALGRIND;
#else
    return false;
#endif
}

/* The suite's setup starts the longest tests' programs (see bg_run). */
static int drain_suite_setup(void **state)
{
    int rc = grpc_suite_setup(state);
    if (rc == 0 && !under_valgrind()) {
        bg_start(&fit_bg);
        bg_start(&cut_bg);
        bg_start(&flight_bg);
    }
    return rc;
}

static int drain_suite_teardown(void **state)
{
    bg_wait(&fit_bg);
    bg_wait(&cut_bg);
    bg_wait(&flight_bg);
    return grpc_suite_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drain_program_prints_ports),
        cmocka_unit_test(test_drain_in_flight_calls_finish),
        cmocka_unit_test(test_drain_lame_duck_serves_after_not_serving),
        cmocka_unit_test(test_drain_grace_period_cuts_long_calls),
        cmocka_unit_test(test_drain_sigint_too),
        /* last: it waits for the thread that runs 3 s from the start */
        cmocka_unit_test(
            test_drain_lame_duck_and_shutdown_fit_the_grace_period),
    };
    return cmocka_run_group_tests(tests, drain_suite_setup,
                                  drain_suite_teardown);
}
