/*
 * test_async.c: cg_unary_async: values and statuses handed to the
 * callback, once, on another thread; deadlines; a server that is not
 * there; cancellation by cg_channel_free (which returns after the
 * callbacks); a refused start; call chains; a channel freed from inside
 * its own callback; interceptors around an asynchronous call.
 */
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "rt_util.h"

static rt_fixture F;

static int setup(void **state)
{
    rt_group_setup(state);
    rt_fixture_start(&F, NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    rt_fixture_stop(&F);
    return rt_group_teardown(state);
}

/* What one call's callback saw. */
typedef struct done_rec {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n;               /* times done ran */
    cg_status st;        /* its status */
    Rt__Msg *resp;       /* its response (owned here) */
    pthread_t where;     /* the thread it ran on */
    cg_channel *again;   /* if set: done tries another call on it */
    bool again_ok;       /* what that cg_unary_async returned */
    cg_channel *free_me; /* if set: done frees it */
} done_rec;

static void rec_init(done_rec *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    tu_cond_init(&r->cv);
}

static void rec_destroy(done_rec *r)
{
    if (r->resp != NULL)
        rt__msg__free_unpacked(r->resp, NULL);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

static void never(const cg_status *st, void *resp, void *user)
{
    (void)st;
    (void)resp;
    (void)user;
    fail_msg("done ran for a call that was refused");
}

static void record(const cg_status *st, void *resp, void *user)
{
    done_rec *r = user;
    bool again_ok = false;
    if (r->again != NULL) {
        Rt__Msg req = rt_msg("again", 1);
        again_ok =
            cg_unary_async(r->again, rt_m(RT_ECHO), &req, NULL, never, NULL);
    }
    if (r->free_me != NULL)
        cg_channel_free(r->free_me);
    pthread_mutex_lock(&r->mu);
    r->n++;
    r->st = *st;
    if (r->resp != NULL) /* a second run: keep the first response */
        rt__msg__free_unpacked(resp, NULL);
    else
        r->resp = resp;
    r->where = pthread_self();
    r->again_ok = again_ok;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* Waits until done has run (false after RT_WAIT_MS). */
static bool rec_wait(done_rec *r)
{
    struct timespec t = tu_after_ms(RT_WAIT_MS);
    pthread_mutex_lock(&r->mu);
    while (r->n == 0 && pthread_cond_timedwait(&r->cv, &r->mu, &t) == 0) {
    }
    bool ran = r->n > 0;
    pthread_mutex_unlock(&r->mu);
    return ran;
}

static int rec_count(done_rec *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* One call on F.ch with a timeout; waits for its callback. */
static void call(const Rt__Msg *req, int method, int64_t timeout_ms,
                 done_rec *r)
{
    rec_init(r);
    cg_call_opts o = rt_opts(timeout_ms);
    assert_true(cg_unary_async(F.ch, rt_m(method), req, &o, record, r));
    assert_true(rec_wait(r));
}

static void test_async_echo(void **state)
{
    (void)state;
    Rt__Msg req = rt_msg("hello", 42);
    req.big = 1LL << 40;
    done_rec r;
    call(&req, RT_ECHO, RT_WAIT_MS, &r);
    assert_status(r.st, GRPC_STATUS_OK);
    assert_non_null(r.resp);
    assert_string_equal(r.resp->text, "hello");
    assert_int_equal(r.resp->num, 42);
    assert_true(r.resp->big == 1LL << 40);
    assert_string_equal(r.resp->extra, "s1");
    assert_false(pthread_equal(r.where, pthread_self()));
    rec_destroy(&r);
}

static void test_async_error_status(void **state)
{
    (void)state;
    Rt__Msg req = rt_msg("user 7", 0);
    req.code = GRPC_STATUS_NOT_FOUND;
    done_rec r;
    call(&req, RT_FAIL, RT_WAIT_MS, &r);
    assert_status(r.st, GRPC_STATUS_NOT_FOUND);
    assert_string_equal(r.st.message, "failed: user 7");
    assert_null(r.resp);
    rec_destroy(&r);

    Rt__Other other = RT__OTHER__INIT; /* not the method's request type */
    call((const Rt__Msg *)(void *)&other, RT_ECHO, RT_WAIT_MS, &r);
    assert_status(r.st, GRPC_STATUS_INTERNAL);
    assert_null(r.resp);
    rec_destroy(&r);

    call(NULL, RT_ECHO, RT_WAIT_MS, &r);
    assert_status(r.st, GRPC_STATUS_INVALID_ARGUMENT);
    assert_null(r.resp);
    rec_destroy(&r);
}

static void test_async_deadline_exceeded(void **state)
{
    (void)state;
    int before = rt_get(&F.st, &F.st.saw_cancel);
    Rt__Msg req = rt_msg("slow", 0);
    req.sleep_ms = 5000;
    int64_t t0 = rt_now_ms();
    done_rec r;
    call(&req, RT_SLEEP, 150, &r);
    int64_t took = rt_now_ms() - t0;
    assert_status(r.st, GRPC_STATUS_DEADLINE_EXCEEDED);
    assert_null(r.resp);
    assert_true(took >= 100 && took < 3000);
    assert_true(rt_wait(&F.st, &F.st.saw_cancel, before + 1, RT_WAIT_MS));
    rec_destroy(&r);
}

static void test_async_server_gone(void **state)
{
    (void)state;
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", rt_closed_port());
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    assert_non_null(ch);
    done_rec r;
    rec_init(&r);
    Rt__Msg req = rt_msg("anyone?", 0);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_true(cg_unary_async(ch, rt_m(RT_ECHO), &req, &o, record, &r));
    assert_true(rec_wait(&r));
    assert_status(r.st, GRPC_STATUS_UNAVAILABLE); /* fails fast */
    assert_null(r.resp);
    cg_channel_free(ch);
    assert_int_equal(rec_count(&r), 1);
    rec_destroy(&r);
}

/* A call in the handler when its channel is freed: cancelled, the server
 * sees it, and done has run (once) when cg_channel_free returns; a call
 * started from that done, on the channel being freed, is refused. */
static void test_async_channel_free_cancels(void **state)
{
    (void)state;
    int entered = rt_get(&F.st, &F.st.entered),
        cancels = rt_get(&F.st, &F.st.saw_cancel);
    cg_channel *ch = cg_channel_new(F.target, NULL, NULL);
    done_rec r;
    rec_init(&r);
    r.again = ch;
    r.again_ok = true;
    Rt__Msg req = rt_msg("wait", 0);
    req.sleep_ms = 30000;
    cg_call_opts o = rt_opts(RT_WAIT_MS * 2);
    assert_true(cg_unary_async(ch, rt_m(RT_SLEEP), &req, &o, record, &r));
    assert_true(rt_wait(&F.st, &F.st.entered, entered + 1, RT_WAIT_MS));
    assert_int_equal(rec_count(&r), 0); /* still in the handler */
    cg_channel_free(ch);
    assert_int_equal(rec_count(&r), 1);
    assert_status(r.st, GRPC_STATUS_CANCELLED);
    assert_null(r.resp);
    assert_false(r.again_ok);
    assert_true(rt_wait(&F.st, &F.st.saw_cancel, cancels + 1, RT_WAIT_MS));
    rec_destroy(&r);
}

static void test_async_refused(void **state)
{
    (void)state;
    Rt__Msg req = rt_msg("x", 0);
    assert_false(cg_unary_async(NULL, rt_m(RT_ECHO), &req, NULL, never, NULL));
    assert_false(cg_unary_async(F.ch, NULL, &req, NULL, never, NULL));
    assert_false(cg_unary_async(F.ch, rt_m(RT_ECHO), &req, NULL, NULL, NULL));
}

/* Chains: each callback starts its chain's next call, CHAINS calls in
 * flight; every response is checked. */
enum { CHAINS = 4 };
typedef struct chain {
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    int *running;
    int left, ok, num;
} chain;

static void chain_next(chain *c);

static void chain_done(const cg_status *st, void *resp, void *user)
{
    chain *c = user;
    Rt__Msg *m = resp;
    if (st->code == GRPC_STATUS_OK && m->num == c->num &&
        strcmp(m->text, "link") == 0)
        c->ok++;
    if (m != NULL)
        rt__msg__free_unpacked(m, NULL);
    chain_next(c);
}

static void chain_next(chain *c)
{
    if (c->left > 0) {
        c->left--;
        c->num++;
        Rt__Msg req = rt_msg("link", c->num);
        cg_call_opts o = rt_opts(RT_WAIT_MS);
        if (cg_unary_async(F.ch, rt_m(RT_ECHO), &req, &o, chain_done, c))
            return;
    }
    pthread_mutex_lock(c->mu);
    --*c->running;
    pthread_cond_broadcast(c->cv);
    pthread_mutex_unlock(c->mu);
}

static void test_async_chains(void **state)
{
    (void)state;
    int calls = getenv("CGRT_SLOW") ? 25 : 250;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv;
    tu_cond_init(&cv);
    int running = CHAINS;
    chain ch[CHAINS];
    for (int i = 0; i < CHAINS; i++) {
        ch[i] = (chain){&mu, &cv, &running, calls, 0, i * 100000};
        chain_next(&ch[i]);
    }
    struct timespec t = tu_after_ms(RT_WAIT_MS * 3);
    pthread_mutex_lock(&mu);
    while (running > 0 && pthread_cond_timedwait(&cv, &mu, &t) == 0) {
    }
    int left = running;
    pthread_mutex_unlock(&mu);
    pthread_cond_destroy(&cv);
    assert_int_equal(left, 0);
    for (int i = 0; i < CHAINS; i++)
        assert_int_equal(ch[i].ok, calls);
}

/* done frees its own channel while another call on it is in the
 * handler: allowed, and it does not wait for that call (whose done may
 * need this very thread: with one completion thread, waiting would never
 * end); the other call then ends CANCELLED. */
static void test_async_free_inside_done(void **state)
{
    (void)state;
    int entered = rt_get(&F.st, &F.st.entered);
    cg_channel *ch = cg_channel_new(F.target, NULL, NULL);
    done_rec slow;
    rec_init(&slow);
    Rt__Msg wait = rt_msg("wait", 0);
    wait.sleep_ms = 30000;
    cg_call_opts o = rt_opts(RT_WAIT_MS * 2);
    assert_true(cg_unary_async(ch, rt_m(RT_SLEEP), &wait, &o, record, &slow));
    assert_true(rt_wait(&F.st, &F.st.entered, entered + 1, RT_WAIT_MS));
    done_rec r;
    rec_init(&r);
    r.free_me = ch;
    Rt__Msg req = rt_msg("bye", 3);
    o = rt_opts(RT_WAIT_MS);
    assert_true(cg_unary_async(ch, rt_m(RT_ECHO), &req, &o, record, &r));
    assert_true(rec_wait(&r));
    assert_status(r.st, GRPC_STATUS_OK);
    assert_string_equal(r.resp->text, "bye");
    assert_true(rec_wait(&slow));
    assert_status(slow.st, GRPC_STATUS_CANCELLED);
    assert_int_equal(rec_count(&slow), 1);
    rec_destroy(&r);
    rec_destroy(&slow);
}

/* Interceptors: on_start on the caller's thread, on_finish with the
 * status before done. */
typedef struct icpt_rec {
    pthread_t start_thread;
    grpc_status_code finish_code;
    int finishes;
    char trailer[8]; /* x-t, as on_finish read it */
} icpt_rec;

static void on_start(cg_call *c, const cg_method *m, void *user)
{
    (void)m;
    icpt_rec *ir = user;
    ir->start_thread = pthread_self();
    cg_call_add_metadata(c, "x-user", "async", 0);
}

static void on_finish(cg_call *c, const cg_method *m, const cg_status *st,
                      int64_t us, void *user)
{
    (void)m;
    (void)us;
    icpt_rec *ir = user;
    const char *t = cg_call_trailer(c, "x-t", NULL);
    snprintf(ir->trailer, sizeof ir->trailer, "%s", t ? t : "(none)");
    ir->finish_code = st->code;
    ir->finishes++;
}

static void test_async_interceptors(void **state)
{
    (void)state;
    cg_channel *ch = cg_channel_new(F.target, NULL, NULL);
    icpt_rec ir = {0};
    cg_client_interceptor icpt = {on_start, on_finish, &ir};
    cg_channel_add_interceptor(ch, &icpt);
    done_rec r;
    rec_init(&r);
    Rt__Msg req = RT__MSG__INIT;
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    assert_true(cg_unary_async(ch, rt_m(RT_META), &req, &o, record, &r));
    assert_true(rec_wait(&r));
    assert_status(r.st, GRPC_STATUS_OK);
    assert_string_equal(r.resp->text, "async"); /* the server read it */
    assert_true(pthread_equal(ir.start_thread, pthread_self()));
    assert_int_equal(ir.finishes, 1);
    assert_int_equal(ir.finish_code, GRPC_STATUS_OK);
    assert_string_equal(ir.trailer, "tv");
    cg_channel_free(ch);
    rec_destroy(&r);
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_async_echo),
        cmocka_unit_test(test_async_error_status),
        cmocka_unit_test(test_async_deadline_exceeded),
        cmocka_unit_test(test_async_server_gone),
        cmocka_unit_test(test_async_channel_free_cancels),
        cmocka_unit_test(test_async_refused),
        cmocka_unit_test(test_async_chains),
        cmocka_unit_test(test_async_free_inside_done),
        cmocka_unit_test(test_async_interceptors),
    };
    return cmocka_run_group_tests_name("async", tests, setup, teardown);
}
