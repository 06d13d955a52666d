/*
 * test_retry.c: exercise 7, retries (retry.c): the backoff with full jitter
 * from known dice; unary_call_retry against a server that fails on
 * purpose, counting the attempts it sees and their spacing, within the
 * deadline and a budget, and through a server restart; and the same
 * behaviour declared in a service config, carried out by gRPC itself.
 */
#define LESSON_PAGE "steps/05-client.md"
#define EXERCISE_FILE "retry.c"
#include "lesson.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "fixture.h"
#include "retry.h"
#include "tutorial/v1/my_service.cgrpc.h"
#include "unary.h"

/* ---- known dice and a clock that writes down every wait ---------------- */

#define MAX_WAITS 16

typedef struct dice {
    double face; /* what every throw gives */
    int throws;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t waits[MAX_WAITS];
    int n_waits;
    bool returned; /* the retrying call of a test's thread came back */
} dice;

static double dice_throw(void *ctx)
{
    dice *d = ctx;
    pthread_mutex_lock(&d->mu);
    d->throws++;
    pthread_mutex_unlock(&d->mu);
    return d->face;
}

/* Really waits (the server must see the spacing), and writes it down. */
static void dice_sleep(void *ctx, int64_t ms)
{
    dice *d = ctx;
    pthread_mutex_lock(&d->mu);
    if (d->n_waits < MAX_WAITS)
        d->waits[d->n_waits] = ms;
    d->n_waits++;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    if (ms > 0) {
        struct timespec ts = {(time_t)(ms / 1000),
                              (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0) {
        }
    }
}

static void dice_init(dice *d, retry_env *env, double face)
{
    memset(d, 0, sizeof *d);
    d->face = face;
    pthread_mutex_init(&d->mu, NULL);
    tu_cond_init(&d->cv);
    *env = (retry_env){dice_throw, dice_sleep, d};
}

static void dice_destroy(dice *d)
{
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
}

/* The waits as text, "[50, 100]", for messages. */
static const char *waits_text(const dice *d, char *buf, size_t cap)
{
    size_t len = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < d->n_waits && i < MAX_WAITS && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? ", " : "",
                                (long long)d->waits[i]);
    if (len < cap)
        snprintf(buf + len, cap - len, "]");
    return buf;
}

/* Fails unless the waits written down are exactly want[0..n). */
static void expect_waits(const dice *d, const int64_t *want, int n,
                         const char *what, const char *section)
{
    bool same = d->n_waits == n;
    for (int i = 0; same && i < n; i++)
        same = d->waits[i] == want[i];
    if (!same) {
        char got[256], exp[256];
        dice w = {.n_waits = n};
        memcpy(w.waits, want, sizeof *want * (size_t)n);
        expect_fail(section,
                    "%s: the waits before each retry were %s ms, "
                    "expected %s ms",
                    what, waits_text(d, got, sizeof got),
                    waits_text(&w, exp, sizeof exp));
    }
}

/* The time between the server's (i-1)-th and i-th UnaryCall. */
static int64_t spacing(svc_state *st, int i)
{
    pthread_mutex_lock(&st->mu);
    int64_t gap = st->unary_at_ms[i] - st->unary_at_ms[i - 1];
    pthread_mutex_unlock(&st->mu);
    return gap;
}

/* Fails unless the server saw attempt i come `gap` ms after attempt i-1,
 * at least `min_ms` and at most `max_ms` (times fx_slow()). */
static void expect_gap(int64_t gap, int i, int64_t min_ms, int64_t max_ms,
                       const char *what, const char *section)
{
    expect_true(gap >= min_ms && gap <= max_ms * fx_slow(), section,
                "%s: attempt %d reached the server %lld ms after attempt %d, "
                "expected %lld to %lld ms",
                what, i + 1, (long long)gap, i, (long long)min_ms,
                (long long)(max_ms * fx_slow()));
}

/* expect_gap for the gap the server saw between attempts i-1 and i. */
static void expect_spacing(svc_state *st, int i, int64_t min_ms, int64_t max_ms,
                           const char *what, const char *section)
{
    expect_gap(spacing(st, i), i, min_ms, max_ms, what, section);
}

/* A server whose UnaryCall fails with `code` (the first `times` calls
 * only when times > 0), and a channel to it, already connected. */
static cg_channel *failing_server(fx_server *srv, grpc_status_code code,
                                  int times)
{
    fx_server_start(srv, "server");
    srv->st.fail_code = code;
    srv->st.fail_message = "failing on purpose";
    srv->st.fail_times = times;
    cg_channel *ch = fx_channel(srv->target);
    cg_channel_wait_ready(ch, FX_WAIT_MS);
    return ch;
}

/* ---- retry_backoff_ms ------------------------------------------------- */

static void test_retry_backoff_full_jitter(void **state)
{
    (void)state;
    retry_policy p = {.max_attempts = 5,
                      .initial_backoff_ms = 100,
                      .max_backoff_ms = 1000,
                      .multiplier = 2.0};
    retry_env env;
    dice d;
    dice_init(&d, &env, 0.5);
    /* Half of 100, 200, 400, 800, then the cap, 1000. */
    int64_t half[6];
    for (int i = 0; i < 6; i++)
        half[i] = retry_backoff_ms(&p, i + 1, &env);
    int throws = d.throws;
    d.face = 0.999;
    int64_t most = retry_backoff_ms(&p, 1, &env);
    int64_t most4 = retry_backoff_ms(&p, 4, &env);
    int64_t capped = retry_backoff_ms(&p, 30, &env);
    d.face = 0.0;
    int64_t none = retry_backoff_ms(&p, 3, &env);
    retry_policy slow = {.max_attempts = 5,
                         .initial_backoff_ms = 100,
                         .max_backoff_ms = 1000,
                         .multiplier = 1.5};
    d.face = 0.5;
    int64_t third = retry_backoff_ms(&slow, 3, &env);
    int64_t zero = retry_backoff_ms(&p, 0, &env);
    int64_t no_policy = retry_backoff_ms(NULL, 1, &env);
    dice_destroy(&d);

    static const int64_t want[6] = {50, 100, 200, 400, 500, 500};
    for (int i = 0; i < 6; i++)
        expect_true(half[i] == want[i], "#backoff-with-full-jitter",
                    "retry_backoff_ms(initial 100, x2, max 1000, retry %d) "
                    "with dice 0.5 gave %lld ms, expected %lld: half of the "
                    "ceiling %lld",
                    i + 1, (long long)half[i], (long long)want[i],
                    (long long)want[i] * 2);
    expect_int(throws, 6, "#backoff-with-full-jitter");
    expect_int(most, 99, "#backoff-with-full-jitter");
    expect_int(most4, 799, "#backoff-with-full-jitter");
    expect_int(capped, 999, "#backoff-with-full-jitter");
    expect_int(none, 0, "#backoff-with-full-jitter");
    expect_int(third, 112, "#backoff-with-full-jitter");
    expect_int(zero, 0, "#backoff-with-full-jitter");
    expect_int(no_policy, 0, "#backoff-with-full-jitter");
}

/* ---- unary_call_retry ------------------------------------------------- */

static void test_retry_recovers_from_unavailable(void **state)
{
    (void)state;
    fx_watchdog(30, "#when-to-retry");
    fx_server srv;
    cg_channel *ch = failing_server(&srv, GRPC_STATUS_UNAVAILABLE, 2);
    retry_env env;
    dice d;
    dice_init(&d, &env, 0.5);
    retrier r = {.policy = {4, 100, 1000, 2.0}, .env = &env};
    char msg[64] = "garbage";
    cg_status st =
        unary_call_retry(&r, ch, "again", 3, true, FX_CALL_MS, msg, sizeof msg);
    fx_channel_free(ch);
    int calls = srv.st.unary_calls;
    static const int64_t want[2] = {50, 100};
    expect_status(st, GRPC_STATUS_OK,
                  "unary_call_retry(a server that fails twice with "
                  "UNAVAILABLE, 4 attempts)",
                  "#when-to-retry");
    expect_str(msg, "Processed: again", "#when-to-retry");
    expect_int(calls, 3, "#when-to-retry");
    expect_waits(&d, want, 2, "unary_call_retry(dice 0.5, initial 100 ms)",
                 "#backoff-with-full-jitter");
    /* The server saw the waits: the spacing of the attempts it counted. */
    expect_spacing(&srv.st, 1, 45, 50 + 2000, "unary_call_retry",
                   "#backoff-with-full-jitter");
    expect_spacing(&srv.st, 2, 95, 100 + 2000, "unary_call_retry",
                   "#backoff-with-full-jitter");
    fx_server_free(&srv);
    dice_destroy(&d);
}

static void test_retry_gives_up_after_max_attempts(void **state)
{
    (void)state;
    fx_watchdog(30, "#when-to-retry");
    fx_server srv;
    cg_channel *ch = failing_server(&srv, GRPC_STATUS_UNAVAILABLE, 0);
    retry_env env;
    dice d;
    dice_init(&d, &env, 0.5);
    retrier r = {.policy = {3, 20, 1000, 2.0}, .env = &env};
    char msg[64] = "garbage";
    cg_status st =
        unary_call_retry(&r, ch, "x", 1, true, FX_CALL_MS, msg, sizeof msg);
    fx_channel_free(ch);
    int calls = srv.st.unary_calls;
    fx_server_free(&srv);
    static const int64_t want[2] = {10, 20};
    expect_status(st, GRPC_STATUS_UNAVAILABLE,
                  "unary_call_retry(a server that always fails with "
                  "UNAVAILABLE, 3 attempts)",
                  "#when-to-retry");
    expect_int(calls, 3, "#when-to-retry");
    expect_waits(&d, want, 2, "unary_call_retry(3 attempts, dice 0.5)",
                 "#backoff-with-full-jitter");
    expect_str(msg, "", "#when-to-retry");
    dice_destroy(&d);
}

/* One call against a server that always answers `code`: how many
 * attempts the server saw, and the status. */
static int attempts_for(grpc_status_code code, bool idempotent, cg_status *st,
                        int *waits)
{
    fx_server srv;
    cg_channel *ch = failing_server(&srv, code, 0);
    retry_env env;
    dice d;
    dice_init(&d, &env, 0.5);
    retrier r = {.policy = {4, 10, 100, 2.0}, .env = &env};
    char msg[64];
    *st = unary_call_retry(&r, ch, "x", 1, idempotent, FX_CALL_MS, msg,
                           sizeof msg);
    fx_channel_free(ch);
    int calls = srv.st.unary_calls;
    fx_server_free(&srv);
    *waits = d.n_waits;
    dice_destroy(&d);
    return calls;
}

static void test_retry_only_unavailable(void **state)
{
    (void)state;
    fx_watchdog(30, "#when-to-retry");
    /* DEADLINE_EXCEEDED first: the deadline is spent, another attempt has
     * no time left (and may repeat work that did happen). */
    static const grpc_status_code codes[] = {
        GRPC_STATUS_DEADLINE_EXCEEDED, GRPC_STATUS_UNAUTHENTICATED,
        GRPC_STATUS_INVALID_ARGUMENT,  GRPC_STATUS_ABORTED,
        GRPC_STATUS_INTERNAL,          GRPC_STATUS_RESOURCE_EXHAUSTED};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        cg_status st;
        int waits;
        int calls = attempts_for(codes[i], true, &st, &waits);
        expect_status(st, codes[i], "unary_call_retry(a failing server)",
                      "#when-to-retry");
        expect_true(calls == 1 && waits == 0, "#when-to-retry",
                    "unary_call_retry(idempotent, the server answers %s): "
                    "the server saw %d attempts (%d waits), expected 1: "
                    "only UNAVAILABLE is worth another attempt",
                    cg_status_name(codes[i]), calls, waits);
    }
}

static void test_retry_never_non_idempotent(void **state)
{
    (void)state;
    fx_watchdog(30, "#when-to-retry");
    cg_status st;
    int waits;
    int calls = attempts_for(GRPC_STATUS_UNAVAILABLE, false, &st, &waits);
    expect_status(st, GRPC_STATUS_UNAVAILABLE,
                  "unary_call_retry(not idempotent, UNAVAILABLE)",
                  "#when-to-retry");
    expect_true(calls == 1 && waits == 0, "#when-to-retry",
                "unary_call_retry(not idempotent, the server answers "
                "UNAVAILABLE): the server saw %d attempts, expected 1: a "
                "server may have done the work before it failed, and a call "
                "that is not idempotent must not be done twice",
                calls);
}

static void test_retry_within_deadline(void **state)
{
    (void)state;
    fx_watchdog(30, "#one-deadline-for-all-attempts");
    fx_server srv;
    cg_channel *ch = failing_server(&srv, GRPC_STATUS_UNAVAILABLE, 0);
    retry_env env;
    dice d;
    dice_init(&d, &env, 0.999);
    /* Waits of 399, then 799 ms: the second would end past the deadline. */
    retrier r = {.policy = {5, 400, 5000, 2.0}, .env = &env};
    char msg[64];
    int64_t t0 = fx_now_ms();
    cg_status st =
        unary_call_retry(&r, ch, "x", 1, true, 1000, msg, sizeof msg);
    int64_t took = fx_now_ms() - t0;
    fx_channel_free(ch);
    int calls = srv.st.unary_calls;
    int64_t first_left = srv.st.unary_left_ms[0];
    int64_t second_left = srv.st.unary_left_ms[1];
    fx_server_free(&srv);
    static const int64_t want[1] = {399};
    expect_status(st, GRPC_STATUS_UNAVAILABLE,
                  "unary_call_retry(1000 ms, waits of 399 then 799 ms)",
                  "#one-deadline-for-all-attempts");
    expect_int(calls, 2, "#one-deadline-for-all-attempts");
    expect_waits(&d, want, 1,
                 "unary_call_retry(1000 ms, waits of 399 then "
                 "799 ms): no wait that ends past the deadline",
                 "#one-deadline-for-all-attempts");
    expect_true(first_left > 0 && first_left <= 1000 + 120,
                "#one-deadline-for-all-attempts",
                "the first attempt reached the server with %lld ms left, "
                "expected at most the call's 1000 ms",
                (long long)first_left);
    /* (120 ms: the server reads the deadline on another clock) */
    expect_true(second_left > 0 && second_left <= 1000 - 399 + 120,
                "#one-deadline-for-all-attempts",
                "the second attempt reached the server with %lld ms left, "
                "expected at most %d: the 1000 ms are for the whole call, "
                "so a retry gets what is left of them, not 1000 ms more",
                (long long)second_left, 1000 - 399 + 120);
    expect_true(took < 1000, "#one-deadline-for-all-attempts",
                "unary_call_retry(1000 ms) returned after %lld ms",
                (long long)took);
    dice_destroy(&d);
}

static void test_retry_budget(void **state)
{
    (void)state;
    fx_watchdog(30, "#a-retry-budget");
    fx_server srv;
    cg_channel *ch = failing_server(&srv, GRPC_STATUS_UNAVAILABLE, 0);
    retry_env env;
    dice d;
    dice_init(&d, &env, 0.5);
    retry_budget b;
    retry_budget_init(&b, 4, 0.5);
    retrier r = {.policy = {5, 10, 100, 2.0}, .budget = &b, .env = &env};
    char msg[64];
    /* 4 tokens: retries while more than 2 are left. */
    cg_status st1 =
        unary_call_retry(&r, ch, "x", 1, true, FX_CALL_MS, msg, sizeof msg);
    int calls1 = svc_get(&srv.st, &srv.st.unary_calls);
    cg_status st2 =
        unary_call_retry(&r, ch, "x", 1, true, FX_CALL_MS, msg, sizeof msg);
    int calls2 = svc_get(&srv.st, &srv.st.unary_calls) - calls1;
    double after_failures = b.tokens;
    pthread_mutex_lock(&srv.st.mu);
    srv.st.fail_code = GRPC_STATUS_INVALID_ARGUMENT;
    pthread_mutex_unlock(&srv.st.mu);
    cg_status st3 =
        unary_call_retry(&r, ch, "x", 1, true, FX_CALL_MS, msg, sizeof msg);
    double after_invalid = b.tokens;
    pthread_mutex_lock(&srv.st.mu);
    srv.st.fail_code = GRPC_STATUS_OK;
    pthread_mutex_unlock(&srv.st.mu);
    cg_status st4 =
        unary_call_retry(&r, ch, "x", 1, true, FX_CALL_MS, msg, sizeof msg);
    double after_success = b.tokens;
    fx_channel_free(ch);
    fx_server_free(&srv);
    retry_budget_destroy(&b);
    dice_destroy(&d);
    expect_status(st1, GRPC_STATUS_UNAVAILABLE, "the first call",
                  "#a-retry-budget");
    expect_status(st2, GRPC_STATUS_UNAVAILABLE, "the second call",
                  "#a-retry-budget");
    expect_true(calls1 == 2 && calls2 == 1, "#a-retry-budget",
                "with a budget of 4 tokens, the first call made %d attempts "
                "(expected 2: 4 -> 3 tokens, retry; 3 -> 2, stop) and the "
                "second %d (expected 1: 2 -> 1, stop)",
                calls1, calls2);
    expect_double(after_failures, 1.0, 1e-9, "#a-retry-budget");
    expect_status(st3, GRPC_STATUS_INVALID_ARGUMENT, "the third call",
                  "#a-retry-budget");
    expect_true(after_invalid == after_failures, "#a-retry-budget",
                "an INVALID_ARGUMENT answer changed the budget from %g to %g "
                "tokens: only failures that could be retried count",
                after_failures, after_invalid);
    expect_status(st4, GRPC_STATUS_OK, "the fourth call", "#a-retry-budget");
    expect_true(after_success == after_failures + 0.5, "#a-retry-budget",
                "a success should give back token_ratio (0.5): the budget "
                "went from %g to %g tokens",
                after_failures, after_success);
}

/* ---- riding out a restart --------------------------------------------- */

typedef struct retrying {
    const retrier *r;
    cg_channel *ch;
    cg_status st;
    char msg[64];
} retrying;

static void *call_with_retries(void *arg)
{
    retrying *c = arg;
    c->st = unary_call_retry(c->r, c->ch, "back", 9, true,
                             FX_CALL_MS * fx_slow(), c->msg, sizeof c->msg);
    dice *d = c->r->env->ctx;
    pthread_mutex_lock(&d->mu);
    d->returned = true;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* Waits (bounded) until the channel is in state `want`. */
static bool wait_state(cg_channel *ch, cg_conn_state want)
{
    int64_t until = fx_now_ms() + (int64_t)FX_WAIT_MS * fx_slow();
    struct timespec tick = {0, 5 * 1000000L};
    while (cg_channel_state(ch, true) != want) {
        if (fx_now_ms() > until)
            return false;
        nanosleep(&tick, NULL);
    }
    return true;
}

/* Waits (bounded) until the dice have seen a wait: an attempt failed. False
 * at once when the call came back without one. */
static bool wait_first_wait(dice *d)
{
    struct timespec until = tu_after_ms(FX_WAIT_MS * fx_slow());
    pthread_mutex_lock(&d->mu);
    while (d->n_waits == 0 && !d->returned)
        if (pthread_cond_timedwait(&d->cv, &d->mu, &until) != 0)
            break;
    bool yes = d->n_waits > 0;
    pthread_mutex_unlock(&d->mu);
    return yes;
}

static void test_retry_rides_out_restart(void **state)
{
    (void)state;
    fx_watchdog(60, "#riding-out-a-restart");
    fx_server a;
    fx_server_start(&a, "first");
    int port = a.port;
    cg_channel *ch = fx_channel(a.target);
    cg_channel_wait_ready(ch, FX_WAIT_MS);
    fx_server_stop(&a);
    bool down = wait_state(ch, CG_CONN_TRANSIENT_FAILURE);

    retry_env env;
    dice d;
    dice_init(&d, &env, 0.999);
    /* Waits of about 0.1, 0.2, 0.4, then 0.8 s: the channel's own
     * reconnect (FX_RECONNECT_MS after it failed with fx_channel's
     * channels; a second, then 1.6 s, by default) comes in between. */
    retrier r = {.policy = {10, 100, 800, 2.0}, .env = &env};
    retrying c = {.r = &r, .ch = ch};
    pthread_t t;
    pthread_create(&t, NULL, call_with_retries, &c);
    bool failed_once = wait_first_wait(&d);
    fx_server b;
    bool restarted = fx_server_start_on(&b, "second", port);
    pthread_join(t, NULL);
    fx_channel_free(ch);
    int second_calls = b.st.unary_calls;
    int waits = d.n_waits;
    fx_server_free(&a);
    fx_server_free(&b);
    dice_destroy(&d);

    expect_true(down, "#riding-out-a-restart",
                "the channel did not report TRANSIENT_FAILURE %d s after "
                "its server stopped",
                FX_WAIT_MS / 1000 * fx_slow());
    expect_true(restarted, "#riding-out-a-restart",
                "the test could not restart its server on port %d", port);
    expect_true(failed_once, "#when-to-retry",
                "unary_call_retry against a stopped server (UNAVAILABLE) "
                "never waited to retry");
    expect_status(c.st, GRPC_STATUS_OK,
                  "unary_call_retry while the server restarts",
                  "#riding-out-a-restart");
    expect_str(c.msg, "Processed: back", "#riding-out-a-restart");
    expect_int(second_calls, 1, "#riding-out-a-restart");
    expect_true(waits >= 1 && waits <= 9, "#riding-out-a-restart",
                "unary_call_retry waited %d times, expected 1 to 9 (10 "
                "attempts at most)",
                waits);
}

/* ---- the same, declared: a retry policy in the service config ---------- */

static cg_status plain_call(cg_channel *ch, const char *id)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    cg_call_opts opts = {.timeout_ms = FX_CALL_MS * fx_slow()};
    return tutorial__v1__my_service_client__unary_call(ch, &req, NULL, &opts);
}

/* A server failing with `code` (`times` times, or always for 0), and a
 * channel to it from retry_channel_new(r). */
static cg_channel *policy_server(fx_server *srv, const retrier *r,
                                 grpc_status_code code, int times)
{
    fx_server_start(srv, "server");
    srv->st.fail_code = code;
    srv->st.fail_times = times;
    cg_status err = cg_ok();
    cg_channel *ch = retry_channel_new(srv->target, r, &err);
    expect_true(ch != NULL, "#the-same-declared-a-retry-policy",
                "retry_channel_new(\"%s\") gave NULL: %s \"%s\"", srv->target,
                cg_status_name(err.code), err.message);
    return ch;
}

/* One plain call on retry_channel_new(r)'s channel to a server failing with
 * `code` (`times` times, or always for 0); *calls: the attempts it saw;
 * *gap (may be NULL): ms between its first two, or -1 for fewer. */
static cg_status policy_call(const retrier *r, grpc_status_code code, int times,
                             int *calls, int64_t *gap)
{
    fx_server srv;
    cg_channel *ch = policy_server(&srv, r, code, times);
    cg_status st = plain_call(ch, "x");
    fx_channel_free(ch);
    *calls = srv.st.unary_calls;
    if (gap != NULL)
        *gap = *calls >= 2 ? spacing(&srv.st, 1) : -1;
    fx_server_free(&srv);
    return st;
}

/* What test_retry_policy_retries saw: gRPC's declared retries wait
 * their backoffs for real (0.5-0.7 s), so it runs on the suite's thread
 * (see policy_restart). */
typedef struct policy_retried {
    bool up;            /* the server started */
    bool made;          /* retry_channel_new gave a channel */
    cg_status made_err; /* what it said when it did not */
    char target[32];
    cg_status st;
    int calls, previous;
    int64_t gap[3]; /* between the server's attempts 0-1 and 1-2 */
} policy_retried;

static policy_retried retried_run;

static void policy_retries_run(policy_retried *run)
{
    fx_server srv;
    retrier r = {.policy = {4, 200, 2000, 2.0}};
    run->up = fx_server_try_start(&srv, "server");
    if (run->up) {
        srv.st.fail_code = GRPC_STATUS_UNAVAILABLE;
        srv.st.fail_times = 2;
        snprintf(run->target, sizeof run->target, "%s", srv.target);
        run->made_err = cg_ok();
        cg_channel *ch = retry_channel_new(srv.target, &r, &run->made_err);
        run->made = ch != NULL;
        if (ch != NULL)
            run->st = plain_call(ch, "declared");
        fx_channel_free(ch);
        run->calls = srv.st.unary_calls;
        run->previous = srv.st.previous_attempts;
        for (int i = 1; i < 3 && i < run->calls; i++)
            run->gap[i] = spacing(&srv.st, i);
    }
    fx_server_free(&srv);
}

static void policy_restart_wait(void);

static void test_retry_policy_retries(void **state)
{
    (void)state;
    fx_watchdog(30, "#the-same-declared-a-retry-policy");
    policy_restart_wait();
    const policy_retried *run = &retried_run;
    expect_true(run->up, "#the-same-declared-a-retry-policy",
                "the test server could not start on 127.0.0.1:0");
    expect_true(run->made, "#the-same-declared-a-retry-policy",
                "retry_channel_new(\"%s\") gave NULL: %s \"%s\"", run->target,
                cg_status_name(run->made_err.code), run->made_err.message);
    expect_status(run->st, GRPC_STATUS_OK,
                  "a plain call on retry_channel_new's channel, to a server "
                  "that fails twice with UNAVAILABLE",
                  "#the-same-declared-a-retry-policy");
    expect_int(run->calls, 3, "#the-same-declared-a-retry-policy");
    expect_int(run->previous, 2, "#the-same-declared-a-retry-policy");
    /* gRPC 1.51 waits the backoff give or take 20%: 160-240, 320-480. */
    expect_gap(run->gap[1], 1, 150, 240 + 2000, "gRPC's retries",
               "#the-same-declared-a-retry-policy");
    expect_gap(run->gap[2], 2, 300, 480 + 2000, "gRPC's retries",
               "#the-same-declared-a-retry-policy");
}

static void test_retry_policy_limits(void **state)
{
    (void)state;
    fx_watchdog(30, "#the-same-declared-a-retry-policy");
    /* 5 ms: "0.005s". Written "0.5s" (the milliseconds not padded to
     * three digits), the first wait would be 100 times as long. */
    retrier r = {.policy = {3, 5, 200, 2.0}};
    /* Always UNAVAILABLE, 3 attempts: 3 and no more. */
    int calls, inv_calls, de_calls;
    int64_t gap;
    cg_status st = policy_call(&r, GRPC_STATUS_UNAVAILABLE, 0, &calls, &gap);
    /* Not in retryableStatusCodes: INVALID_ARGUMENT, and DEADLINE_EXCEEDED
     * (the time is spent; another attempt would repeat the wait). */
    cg_status st2 =
        policy_call(&r, GRPC_STATUS_INVALID_ARGUMENT, 0, &inv_calls, NULL);
    cg_status st3 =
        policy_call(&r, GRPC_STATUS_DEADLINE_EXCEEDED, 0, &de_calls, NULL);
    expect_status(st, GRPC_STATUS_UNAVAILABLE,
                  "a call to a server that is always UNAVAILABLE",
                  "#the-same-declared-a-retry-policy");
    expect_true(calls == 3, "#the-same-declared-a-retry-policy",
                "maxAttempts 3, a server that always answers UNAVAILABLE: "
                "it saw %d attempts, expected 3",
                calls);
    /* gRPC waits 4-6 ms; 300 leaves room for a slow machine. */
    expect_true(gap <= 300 * fx_slow(), "#the-same-declared-a-retry-policy",
                "initial_backoff_ms 5: gRPC waited %lld ms before its first "
                "retry, expected about 5. Check the durations in the "
                "service config: 5 ms is \"0.005s\", three digits after "
                "the point",
                (long long)gap);
    expect_status(st2, GRPC_STATUS_INVALID_ARGUMENT,
                  "a call to a server that answers INVALID_ARGUMENT",
                  "#the-same-declared-a-retry-policy");
    expect_true(inv_calls == 1, "#the-same-declared-a-retry-policy",
                "a server that answers INVALID_ARGUMENT saw %d attempts, "
                "expected 1: retryableStatusCodes lists UNAVAILABLE only",
                inv_calls);
    expect_status(st3, GRPC_STATUS_DEADLINE_EXCEEDED,
                  "a call to a server that answers DEADLINE_EXCEEDED",
                  "#the-same-declared-a-retry-policy");
    expect_true(de_calls == 1, "#the-same-declared-a-retry-policy",
                "a server that answers DEADLINE_EXCEEDED saw %d attempts, "
                "expected 1: retryableStatusCodes lists UNAVAILABLE only",
                de_calls);
}

static void test_retry_policy_throttling(void **state)
{
    (void)state;
    fx_watchdog(30, "#the-same-declared-a-retry-policy");
    fx_server srv;
    retry_budget b;
    retry_budget_init(&b, 4, 0.5);
    retrier r = {.policy = {5, 10, 100, 2.0}, .budget = &b};
    cg_channel *ch = policy_server(&srv, &r, GRPC_STATUS_UNAVAILABLE, 0);
    cg_status st1 = plain_call(ch, "x");
    int calls1 = svc_get(&srv.st, &srv.st.unary_calls);
    cg_status st2 = plain_call(ch, "x");
    int calls2 = svc_get(&srv.st, &srv.st.unary_calls) - calls1;
    fx_channel_free(ch);
    fx_server_free(&srv);
    retry_budget_destroy(&b);
    expect_status(st1, GRPC_STATUS_UNAVAILABLE, "the first call",
                  "#the-same-declared-a-retry-policy");
    expect_status(st2, GRPC_STATUS_UNAVAILABLE, "the second call",
                  "#the-same-declared-a-retry-policy");
    expect_true(calls1 == 2 && calls2 == 1, "#the-same-declared-a-retry-policy",
                "retryThrottling maxTokens 4: the first call made %d "
                "attempts (expected 2), the second %d (expected 1), as "
                "with the budget of unary_call_retry",
                calls1, calls2);
}

/* Starts a plain UnaryCall with cg_unary_async: it returns once gRPC has
 * the call, so its first attempt meets the channel as it is now. */
static void pending_start(tu_async *a, cg_channel *ch)
{
    tu_async_init(a);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "back";
    cg_call_opts opts = {.timeout_ms = FX_CALL_MS * fx_slow()};
    if (!cg_unary_async(ch, TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD, &req,
                        &opts, tu_async_done, a)) {
        cg_status refused =
            cg_error(NULL, GRPC_STATUS_INTERNAL, "cg_unary_async refused");
        tu_async_done(&refused, NULL, a);
    }
}

/* Waits for the call's end (its deadline bounds the wait). */
static cg_status pending_wait(tu_async *a)
{
    cg_status st;
    tu_async_wait(a, 1, INT32_MAX, &st);
    tu_async_destroy(a);
    return st;
}

/* The longest tests of the suite (gRPC's retries wait their backoffs for
 * real), so the suite's setup starts them on a thread of their own, one
 * after the other, and the other tests run meanwhile; each test waits for
 * the thread and checks what it saw. */
typedef struct policy_restart {
    pthread_t thread;
    bool started; /* the thread runs, or ran and is not joined yet */
    bool done;
    bool up;            /* the first server started */
    bool made;          /* retry_channel_new gave a channel */
    cg_status made_err; /* what it said when it did not */
    char target[32];
    bool down, restarted;
    int port;
    cg_status st;
    int second_calls, previous;
} policy_restart;

static policy_restart restart_run;

static void policy_restart_calls(policy_restart *run, fx_server *a,
                                 cg_channel *ch)
{
    cg_channel_wait_ready(ch, FX_WAIT_MS);
    fx_server_stop(a);
    /* Refused once: the channel waits about a second before it tries to
     * connect again, and a fail-fast call fails at once until then. */
    run->down = wait_state(ch, CG_CONN_TRANSIENT_FAILURE);
    /* The call's first attempt fails fast (no server); only then does
     * the server come back. */
    tu_async c;
    pending_start(&c, ch);
    fx_server b;
    run->restarted = fx_server_start_on(&b, "second", run->port);
    /* The server is back: the channel may try now rather than wait out
     * its second, and one of gRPC's retries finds it. */
    cg_channel_reset_backoff(ch);
    run->st = pending_wait(&c);
    run->second_calls = b.st.unary_calls;
    run->previous = b.st.previous_attempts;
    fx_server_free(&b);
}

static void *policy_restart_thread(void *arg)
{
    policy_restart *run = arg;
    policy_retries_run(&retried_run);
    fx_server a;
    /* Attempts about 0, 0.2, 0.6, 1.4 and 3 s after the first: the
     * restarted server is found by one of them. */
    retrier r = {.policy = {5, 200, 5000, 2.0}};
    run->up = fx_server_try_start(&a, "first");
    if (run->up) {
        run->port = a.port;
        snprintf(run->target, sizeof run->target, "%s", a.target);
        run->made_err = cg_ok();
        cg_channel *ch = retry_channel_new(a.target, &r, &run->made_err);
        run->made = ch != NULL;
        if (ch != NULL)
            policy_restart_calls(run, &a, ch);
        fx_channel_free(ch);
    }
    fx_server_free(&a);
    return NULL;
}

/* Waits for the thread (or runs it here, if it could not start). */
static void policy_restart_wait(void)
{
    if (restart_run.started)
        pthread_join(restart_run.thread, NULL);
    else if (!restart_run.done)
        policy_restart_thread(&restart_run);
    restart_run.started = false;
    restart_run.done = true;
}

static void test_retry_policy_rides_out_restart(void **state)
{
    (void)state;
    fx_watchdog(60, "#the-same-declared-a-retry-policy");
    policy_restart_wait();
    const policy_restart *run = &restart_run;
    expect_true(run->up, "#riding-out-a-restart",
                "the test server could not start on 127.0.0.1:0");
    expect_true(run->made, "#the-same-declared-a-retry-policy",
                "retry_channel_new(\"%s\") gave NULL: %s \"%s\"", run->target,
                cg_status_name(run->made_err.code), run->made_err.message);
    expect_true(run->down, "#riding-out-a-restart",
                "the channel did not report TRANSIENT_FAILURE %d s after "
                "its server stopped",
                FX_WAIT_MS / 1000 * fx_slow());
    expect_true(run->restarted, "#riding-out-a-restart",
                "the test could not restart its server on port %d", run->port);
    expect_status(run->st, GRPC_STATUS_OK,
                  "a plain call on retry_channel_new's channel while the "
                  "server restarts",
                  "#the-same-declared-a-retry-policy");
    expect_int(run->second_calls, 1, "#the-same-declared-a-retry-policy");
    expect_true(run->previous >= 1, "#the-same-declared-a-retry-policy",
                "the restarted server saw grpc-previous-rpc-attempts %d: "
                "gRPC should have retried the call at least once (the first "
                "attempt found no server)",
                run->previous);
}

/* ---- what the contract says besides the loop itself ------------------- */

static void test_retry_zero_timeout(void **state)
{
    (void)state;
    fx_watchdog(30, "#one-deadline-for-all-attempts");
    fx_server srv;
    cg_channel *ch = failing_server(&srv, GRPC_STATUS_OK, 0);
    retry_env env;
    dice d;
    dice_init(&d, &env, 0.5);
    retrier r = {.policy = {3, 10, 100, 2.0}, .env = &env};
    char msg[64];
    cg_status st =
        unary_call_retry(&r, ch, "zero", 1, true, 0, msg, sizeof msg);
    fx_channel_free(ch);
    int64_t left = srv.st.unary_left_ms[0];
    fx_server_free(&srv);
    dice_destroy(&d);
    expect_status(st, GRPC_STATUS_OK,
                  "unary_call_retry(timeout_ms 0, a working server)",
                  "#one-deadline-for-all-attempts");
    /* (120 ms: the server reads the deadline on another clock) */
    expect_true(left > CLIENT_TIMEOUT_MS / 2 && left <= CLIENT_TIMEOUT_MS + 120,
                "#one-deadline-for-all-attempts",
                "unary_call_retry(timeout_ms 0): the attempt reached the "
                "server with %lld ms left, expected about CLIENT_TIMEOUT_MS "
                "(%d): 0 means the default deadline, not none and not now",
                (long long)left, CLIENT_TIMEOUT_MS);
}

static void test_retry_real_env_by_default(void **state)
{
    (void)state;
    fx_watchdog(30, "#when-to-retry");
    fx_server srv;
    cg_channel *ch = failing_server(&srv, GRPC_STATUS_UNAVAILABLE, 1);
    retrier r = {.policy = {3, 20, 100, 2.0}}; /* no env: the real ones */
    char msg[64];
    cg_status st =
        unary_call_retry(&r, ch, "real", 1, true, FX_CALL_MS, msg, sizeof msg);
    fx_channel_free(ch);
    int calls = srv.st.unary_calls;
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_OK,
                  "unary_call_retry(a retrier whose env is NULL, a server "
                  "that fails once with UNAVAILABLE)",
                  "#when-to-retry");
    expect_int(calls, 2, "#when-to-retry");
}

static void test_retry_null_arguments(void **state)
{
    (void)state;
    fx_watchdog(30, "#when-to-retry");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    retrier r = {.policy = {3, 10, 100, 2.0}};
    char msg[64] = "garbage";
    cg_status no_r =
        unary_call_retry(NULL, ch, "x", 1, true, FX_CALL_MS, msg, sizeof msg);
    char msg2[64] = "garbage";
    cg_status no_ch =
        unary_call_retry(&r, NULL, "x", 1, true, FX_CALL_MS, msg2, sizeof msg2);
    cg_status err = cg_ok();
    cg_channel *none = retry_channel_new(srv.target, NULL, &err);
    cg_channel *none2 = retry_channel_new(srv.target, NULL, NULL);
    int calls = srv.st.unary_calls;
    fx_channel_free(ch);
    fx_channel_free(none);
    fx_channel_free(none2);
    fx_server_free(&srv);
    expect_status(no_r, GRPC_STATUS_INVALID_ARGUMENT,
                  "unary_call_retry(NULL retrier)", "#when-to-retry");
    expect_str(msg, "", "#when-to-retry");
    expect_status(no_ch, GRPC_STATUS_INVALID_ARGUMENT,
                  "unary_call_retry(NULL channel)", "#when-to-retry");
    expect_str(msg2, "", "#when-to-retry");
    expect_int(calls, 0, "#when-to-retry");
    expect_true(none == NULL && none2 == NULL &&
                    err.code == GRPC_STATUS_INVALID_ARGUMENT,
                "#the-same-declared-a-retry-policy",
                "retry_channel_new(target, NULL retrier) gave %s with %s: "
                "expected NULL and INVALID_ARGUMENT",
                none != NULL || none2 != NULL ? "a channel" : "NULL",
                cg_status_name(err.code));
}

/* The fixture's group setup, then the longest test's thread. */
static int retry_group_setup(void **state)
{
    int rc = fx_group_setup(state);
    if (rc == 0)
        restart_run.started =
            pthread_create(&restart_run.thread, NULL, policy_restart_thread,
                           &restart_run) == 0;
    return rc;
}

static int retry_group_teardown(void **state)
{
    policy_restart_wait();
    return fx_group_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_backoff_full_jitter),
        cmocka_unit_test(test_retry_recovers_from_unavailable),
        cmocka_unit_test(test_retry_gives_up_after_max_attempts),
        cmocka_unit_test(test_retry_only_unavailable),
        cmocka_unit_test(test_retry_never_non_idempotent),
        cmocka_unit_test(test_retry_within_deadline),
        cmocka_unit_test(test_retry_budget),
        cmocka_unit_test(test_retry_rides_out_restart),
        cmocka_unit_test(test_retry_policy_retries),
        cmocka_unit_test(test_retry_policy_limits),
        cmocka_unit_test(test_retry_policy_throttling),
        cmocka_unit_test(test_retry_policy_rides_out_restart),
        cmocka_unit_test(test_retry_zero_timeout),
        cmocka_unit_test(test_retry_real_env_by_default),
        cmocka_unit_test(test_retry_null_arguments),
    };
    return cmocka_run_group_tests(tests, retry_group_setup,
                                  retry_group_teardown);
}
