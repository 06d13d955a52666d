/*
 * test_unary.c: unary calls end to end: echo, errors as values, empty and
 * large messages, metadata both ways, deadlines, cancellation, many calls
 * at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static cg_status echo(const Rt__Msg *req, Rt__Msg **resp)
{
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    return cg_unary(F.ch, rt_m(RT_ECHO), req, (void **)resp, &o);
}

static void test_unary_echo(void **state)
{
    (void)state;
    Rt__Msg req = rt_msg("hello", 42);
    req.big = 1LL << 40;
    Rt__Msg *resp = NULL;
    assert_status(echo(&req, &resp), GRPC_STATUS_OK);
    assert_non_null(resp);
    assert_string_equal(resp->text, "hello");
    assert_int_equal(resp->num, 42);
    assert_true(resp->big == 1LL << 40);
    assert_string_equal(resp->extra, "s1");
    rt__msg__free_unpacked(resp, NULL);
}

static void test_unary_empty_message(void **state)
{
    (void)state;
    Rt__Msg req = RT__MSG__INIT;
    Rt__Msg *resp = NULL;
    assert_status(echo(&req, &resp), GRPC_STATUS_OK);
    assert_string_equal(resp->text, "");
    assert_int_equal(resp->num, 0);
    rt__msg__free_unpacked(resp, NULL);
}

static void test_unary_large_message(void **state)
{
    (void)state;
    /* 3 MiB crosses many HTTP/2 frames: it arrives in many slices. */
    size_t n = 3 * 1024 * 1024;
    uint8_t *blob = malloc(n);
    for (size_t i = 0; i < n; i++)
        blob[i] = (uint8_t)(i * 31 + 7);
    Rt__Msg req = rt_msg("big", 1);
    req.blob.data = blob;
    req.blob.len = n;
    Rt__Msg *resp = NULL;
    assert_status(echo(&req, &resp), GRPC_STATUS_OK);
    assert_int_equal(resp->blob.len, n);
    assert_memory_equal(resp->blob.data, blob, n);
    rt__msg__free_unpacked(resp, NULL);
    free(blob);
}

static void test_unary_error_status_is_a_value(void **state)
{
    (void)state;
    Rt__Msg req = rt_msg("user 7", GRPC_STATUS_NOT_FOUND);
    req.code = GRPC_STATUS_NOT_FOUND;
    Rt__Msg *resp = (Rt__Msg *)1;
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_status st = cg_unary(F.ch, rt_m(RT_FAIL), &req, (void **)&resp, &o);
    assert_status(st, GRPC_STATUS_NOT_FOUND);
    assert_string_equal(st.message, "failed: user 7");
    assert_null(resp);

    req.code = GRPC_STATUS_INVALID_ARGUMENT;
    st = cg_unary(F.ch, rt_m(RT_FAIL), &req, NULL, &o);
    assert_status(st, GRPC_STATUS_INVALID_ARGUMENT);
}

static void test_unary_metadata_headers_trailers(void **state)
{
    (void)state;
    const char bin[] = {'\0', '\x01', '\xfe', '\xff', '\0'};
    cg_md md[] = {
        {"x-user", "ann", 0},
        {"x-data-bin", bin, sizeof bin},
    };
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    o.metadata = md;
    o.n_metadata = 2;
    cg_call *c = cg_call_start(F.ch, rt_m(RT_META), &o);
    Rt__Msg req = RT__MSG__INIT;
    assert_true(cg_call_send(c, &req));
    assert_true(cg_call_close_send(c));
    assert_null(cg_call_header(c, "x-h", NULL)); /* nothing received yet */
    const Rt__Msg *resp = cg_call_recv(c);
    assert_non_null(resp);
    /* What the server read. */
    assert_string_equal(resp->text, "ann");
    assert_int_equal(resp->blob.len, sizeof bin);
    assert_memory_equal(resp->blob.data, bin, sizeof bin);
    assert_int_equal(resp->big, 2); /* two x- keys */
    assert_non_null(strstr(resp->extra, "127.0.0.1"));
    /* What the server was allowed to add: the four good ones, not
     * "Bad Key", "grpc-status" or a value with a newline. */
    assert_int_equal(resp->num, 0x0f);
    /* Headers, after the first message. */
    size_t len;
    assert_string_equal(cg_call_header(c, "x-h", &len), "hv");
    assert_int_equal(len, 2);
    const char *hb = cg_call_header(c, "x-hb-bin", &len);
    assert_int_equal(len, 3);
    assert_memory_equal(hb, "\0\1\2", 3);
    assert_null(cg_call_header(c, "x-missing", &len));
    assert_int_equal(len, 0);
    /* Trailers, once the stream has ended. */
    assert_null(cg_call_recv(c));
    assert_string_equal(cg_call_trailer(c, "x-t", NULL), "tv");
    const char *tb = cg_call_trailer(c, "x-tb-bin", &len);
    assert_int_equal(len, 2);
    assert_memory_equal(tb, "\xff\0", 2);
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
}

static void test_unary_invalid_metadata_fails_the_call(void **state)
{
    (void)state;
    cg_md md[] = {{"Not Valid", "x", 0}};
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    o.metadata = md;
    o.n_metadata = 1;
    Rt__Msg req = RT__MSG__INIT;
    cg_status st = cg_unary(F.ch, rt_m(RT_ECHO), &req, NULL, &o);
    assert_status(st, GRPC_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "Not Valid"));
}

static void test_unary_deadline_exceeded(void **state)
{
    (void)state;
    int before = rt_get(&F.st, &F.st.saw_cancel);
    Rt__Msg req = rt_msg("slow", 0);
    req.sleep_ms = 5000;
    cg_call_opts o = rt_opts(150);
    int64_t t0 = rt_now_ms();
    cg_status st = cg_unary(F.ch, rt_m(RT_SLEEP), &req, NULL, &o);
    int64_t took = rt_now_ms() - t0;
    assert_status(st, GRPC_STATUS_DEADLINE_EXCEEDED);
    assert_true(took < 3000);
    /* The handler saw its time run out and stopped. */
    assert_true(rt_wait(&F.st, &F.st.saw_cancel, before + 1, RT_WAIT_MS));
    if (!(rt_time_left(&F.st) > 0 && rt_time_left(&F.st) <= 150 + 500))
        fail_msg("time left %lld", (long long)rt_time_left(&F.st));
}

static void test_unary_time_left_visible(void **state)
{
    (void)state;
    Rt__Msg req = rt_msg("quick", 0);
    cg_call_opts o = rt_opts(5000);
    assert_status(cg_unary(F.ch, rt_m(RT_SLEEP), &req, NULL, &o),
                  GRPC_STATUS_OK);
    if (!(rt_time_left(&F.st) > 3000 && rt_time_left(&F.st) <= 5000 + 500))
        fail_msg("time left %lld", (long long)rt_time_left(&F.st));
    o.timeout_ms = 0; /* no deadline */
    assert_status(cg_unary(F.ch, rt_m(RT_SLEEP), &req, NULL, &o),
                  GRPC_STATUS_OK);
    assert_true(rt_time_left(&F.st) == INT64_MAX);
}

static void test_unary_cancel_seen_by_handler(void **state)
{
    (void)state;
    int entered = rt_get(&F.st, &F.st.entered),
        cancels = rt_get(&F.st, &F.st.saw_cancel);
    Rt__Msg req = rt_msg("wait", 0);
    req.sleep_ms = 30000;
    cg_call_opts o = rt_opts(RT_WAIT_MS * 2);
    cg_call *c = cg_call_start(F.ch, rt_m(RT_SLEEP), &o);
    assert_true(cg_call_send(c, &req));
    assert_true(cg_call_close_send(c));
    assert_true(rt_wait(&F.st, &F.st.entered, entered + 1, RT_WAIT_MS));
    cg_call_cancel(c);
    assert_status(cg_call_finish(c), GRPC_STATUS_CANCELLED);
    assert_true(rt_wait(&F.st, &F.st.saw_cancel, cancels + 1, RT_WAIT_MS));
}

static void test_unary_wrong_message_type(void **state)
{
    (void)state;
    Rt__Other other = RT__OTHER__INIT;
    Rt__Msg *resp = (Rt__Msg *)1;
    cg_status st = cg_unary(F.ch, rt_m(RT_ECHO), &other, (void **)&resp, NULL);
    assert_status(st, GRPC_STATUS_INTERNAL);
    assert_null(resp);
    cg_call *c = cg_call_start(F.ch, rt_m(RT_SUM), NULL);
    assert_false(cg_call_send(c, &other));
    Rt__Msg m = rt_msg("", 4);
    assert_true(cg_call_send(c, &m)); /* the call itself goes on */
    assert_true(cg_call_close_send(c));
    const Rt__Msg *resp2 = cg_call_recv(c);
    assert_non_null(resp2);
    assert_int_equal(resp2->big, 4);
    assert_status(cg_call_finish(c), GRPC_STATUS_OK);
}

static void test_unary_no_channel(void **state)
{
    (void)state;
    Rt__Msg req = RT__MSG__INIT;
    assert_status(cg_unary(NULL, rt_m(RT_ECHO), &req, NULL, NULL),
                  GRPC_STATUS_INVALID_ARGUMENT);
    cg_call *c = cg_call_start(NULL, rt_m(RT_ECHO), NULL);
    assert_non_null(c);
    assert_false(cg_call_send(c, &req));
    assert_null(cg_call_recv(c));
    assert_status(cg_call_finish(c), GRPC_STATUS_INVALID_ARGUMENT);
}

typedef struct load_job {
    int calls, ok;
} load_job;

static void *load(void *arg)
{
    load_job *j = arg;
    for (int i = 0; i < j->calls; i++) {
        char text[32];
        snprintf(text, sizeof text, "call %d", i);
        Rt__Msg req = rt_msg(text, i);
        Rt__Msg *resp = NULL;
        if (echo(&req, &resp).code == GRPC_STATUS_OK && resp->num == i &&
            strcmp(resp->text, text) == 0)
            j->ok++;
        if (resp)
            rt__msg__free_unpacked(resp, NULL);
    }
    return NULL;
}

static void test_unary_many_concurrent_calls(void **state)
{
    (void)state;
    enum { THREADS = 8 };
    int calls = getenv("CGRT_SLOW") ? 25 : 200;
    pthread_t t[THREADS];
    load_job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (load_job){calls, 0};
        pthread_create(&t[i], NULL, load, &jobs[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].ok, calls);
    }
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unary_echo),
        cmocka_unit_test(test_unary_empty_message),
        cmocka_unit_test(test_unary_large_message),
        cmocka_unit_test(test_unary_error_status_is_a_value),
        cmocka_unit_test(test_unary_metadata_headers_trailers),
        cmocka_unit_test(test_unary_invalid_metadata_fails_the_call),
        cmocka_unit_test(test_unary_deadline_exceeded),
        cmocka_unit_test(test_unary_time_left_visible),
        cmocka_unit_test(test_unary_cancel_seen_by_handler),
        cmocka_unit_test(test_unary_wrong_message_type),
        cmocka_unit_test(test_unary_no_channel),
        cmocka_unit_test(test_unary_many_concurrent_calls),
    };
    return cmocka_run_group_tests_name("unary", tests, setup, teardown);
}
