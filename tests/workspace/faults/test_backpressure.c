/*
 * test_backpressure.c: clients that do not read.
 *
 * A server-streaming handler can produce responses far faster than a slow
 * client takes them. If cg_send queued without limit, one such client
 * would make the server buffer everything the handler produces. The
 * runtime bounds its send queue (cg_send waits while it is full) and the
 * core's HTTP/2 flow control stops the transport, so the handler is
 * held back instead.
 *
 *  - the step-04 server program streams 1,000 responses of 128 KiB (128 MiB
 *    in all) to a client that reads nothing: the server's resident memory
 *    must stay within FT_BOUND_MIB of what it was before the call; then
 *    the client reads everything, in order and intact;
 *  - in process: the handler is still inside cg_send while the client
 *    does not read, and returns OK once it has;
 *  - a bidi client that floods requests and never reads the answers: the
 *    server stops reading too (its memory bounded), the client's sends
 *    stall, and a cancel frees everything.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ft_util.h"

/* What a server may hold for one stalled stream, at most: its send queue
 * (64 KiB), the core's buffers and the kernel's socket buffers, with room
 * for the allocator. Unbounded queueing would add the whole 128 MiB. */
#define FT_BOUND_MIB 64

#define BIG_ID (128 * 1024)
#define N_BIG 1000

static char *big_id(char fill)
{
    char *id = malloc(BIG_ID + 1);
    memset(id, fill, BIG_ID);
    id[BIG_ID] = '\0';
    return id;
}

/* Samples pid's resident memory every 20 ms until it has grown by less
 * than 1 MiB over the last 600 ms (and `progress`, if given, has not
 * moved either), or max_ms has passed. Returns the peak, in KiB. */
static long settle_rss(pid_t pid, atomic_long *progress, int max_ms)
{
    int64_t start = ft_now_ms(), mark_t = start;
    long peak = ft_rss_kib(pid), mark = peak;
    long moved = progress ? atomic_load(progress) : 0;
    while (ft_now_ms() - start < max_ms) {
        struct timespec t = {0, 20 * 1000 * 1000L};
        nanosleep(&t, NULL);
        long now = ft_rss_kib(pid);
        if (now > peak)
            peak = now;
        long p = progress ? atomic_load(progress) : 0;
        if (now > mark + 1024 || p != moved) {
            mark = now;
            moved = p;
            mark_t = ft_now_ms();
        } else if (ft_now_ms() - mark_t >= 600) {
            break;
        }
    }
    return peak;
}

/* Reads the N_BIG responses of a ServerStream(id) and checks each. */
static void read_all(cg_call *c, const char *id)
{
    size_t idlen = strlen(id);
    int got = 0;
    const Tutorial__V1__Response *r;
    while ((r = cg_call_recv(c)) != NULL) {
        got++;
        char tail[32];
        snprintf(tail, sizeof tail, " #%d", got);
        size_t len = strlen(r->message);
        if (!r->success || len != 11 + idlen + strlen(tail) ||
            strncmp(r->message, "Processed: ", 11) != 0 ||
            memcmp(r->message + 11, id, idlen) != 0 ||
            strcmp(r->message + 11 + idlen, tail) != 0)
            fail_msg("response %d is not \"Processed: <id>%s\" (length %zu)",
                     got, tail, len);
    }
    ft_expect_code(cg_call_finish(c), GRPC_STATUS_OK);
    assert_int_equal(got, N_BIG);
}

static void test_backpressure_server_memory_bounded(void **state)
{
    (void)state;
    proc *p = ft_child();
    int port;
    ft_start_program(p, "127.0.0.1:0", &port);
    cg_channel *ch = ft_channel_to_port(port, NULL);
    /* Warm up: connection, threads and arenas the server keeps anyway. */
    char *id = big_id('w');
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = id;
    req.value = 20;
    cg_call_opts o = ft_opts(FT_WAIT_MS * 3);
    cg_call *c = tutorial__v1__my_service_client__server_stream(ch, &req, &o);
    while (cg_call_recv(c) != NULL)
        ;
    ft_expect_code(cg_call_finish(c), GRPC_STATUS_OK);
    long before = ft_rss_kib(p->pid);

    /* 128 MiB of responses to a client that reads none of them. */
    memset(id, 'b', BIG_ID);
    req.value = N_BIG;
    c = tutorial__v1__my_service_client__server_stream(ch, &req, &o);
    long stalled = settle_rss(p->pid, NULL, 5000);
    /* Now read it all: the handler was held back, not cut off. */
    read_all(c, id);
    long after = ft_rss_kib(p->pid);
    ft_expect_code(ft_unary(ch, "after", FT_WAIT_MS), GRPC_STATUS_OK);
    cg_channel_free(ch);
    proc_signal(p, SIGTERM);
    bool ended = proc_wait(p, FT_WAIT_MS);
    proc_end(p);
    free(id);

    printf(
        "    server RSS: %.1f MiB before, %.1f MiB peak while the client did "
        "not read (+%.1f), %.1f MiB after reading 128 MiB\n",
        before / 1024.0, stalled / 1024.0, (stalled - before) / 1024.0,
        after / 1024.0);
    assert_true(before > 0 && stalled > 0);
    if (stalled - before > FT_BOUND_MIB * 1024L)
        fail_msg("the server grew by %.1f MiB while its client read nothing: "
                 "cg_send should have waited (bound %d MiB)",
                 (stalled - before) / 1024.0, FT_BOUND_MIB);
    assert_true(ended);
    assert_int_equal(proc_exit_code(p), 0);
}

static void test_backpressure_handler_waits_in_send(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    char *id = big_id('h');
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = id;
    req.value = N_BIG;
    cg_call_opts o = ft_opts(FT_WAIT_MS * 3);
    cg_call *c = tutorial__v1__my_service_client__server_stream(s.ch, &req, &o);
    assert_true(ft_wait_started(&s, M_SSTREAM, 1, FT_WAIT_MS));
    /* Queueing all 1,000 responses would take the handler well under a
     * second; held back, it is still sending a second later. */
    bool returned = ft_wait_returned(&s, M_SSTREAM, 1, 1000, NULL);
    read_all(c, id);
    cg_status last;
    bool then = ft_wait_returned(&s, M_SSTREAM, 1, FT_WAIT_MS, &last);
    free(id);
    ft_server_stop(&s);
    if (returned)
        fail_msg("the handler returned while its client had read nothing: "
                 "cg_send queued 128 MiB instead of waiting");
    assert_true(then);
    ft_expect_code(last, GRPC_STATUS_OK);
}

typedef struct flood {
    cg_call *c;
    const char *id;
    atomic_long sent;
} flood;

static void *flood_sender(void *arg)
{
    flood *f = arg;
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)f->id;
    /* Until the call is cancelled: cg_call_send then returns false. */
    while (cg_call_send(f->c, &req))
        atomic_fetch_add(&f->sent, 1);
    return NULL;
}

static void test_backpressure_bidi_flood_without_reading(void **state)
{
    (void)state;
    proc *p = ft_child();
    int port;
    ft_start_program(p, "127.0.0.1:0", &port);
    cg_channel *ch = ft_channel_to_port(port, NULL);
    ft_expect_code(ft_unary(ch, "warm-up", FT_WAIT_MS), GRPC_STATUS_OK);
    long before = ft_rss_kib(p->pid);

    char *id = big_id('f');
    cg_call_opts o = ft_opts(FT_WAIT_MS * 3);
    flood f = {
        .c = tutorial__v1__my_service_client__bidirectional_stream(ch, &o),
        .id = id};
    atomic_init(&f.sent, 0);
    pthread_t t;
    pthread_create(&t, NULL, flood_sender, &f);
    long peak = settle_rss(p->pid, &f.sent, 5000);
    long stalled_at = atomic_load(&f.sent);
    /* Stalled, not slow: nothing more goes out meanwhile. */
    long later = settle_rss(p->pid, &f.sent, 700);
    long sent_later = atomic_load(&f.sent);
    cg_call_cancel(f.c);
    pthread_join(t, NULL);
    ft_expect_code(cg_call_finish(f.c), GRPC_STATUS_CANCELLED);
    ft_expect_code(ft_unary(ch, "after the flood", FT_WAIT_MS), GRPC_STATUS_OK);
    cg_channel_free(ch);
    proc_signal(p, SIGTERM);
    bool ended = proc_wait(p, FT_WAIT_MS);
    proc_end(p);
    free(id);

    printf(
        "    bidi flood: client sends stalled after %ld requests of 128 KiB; "
        "server RSS %.1f -> %.1f MiB\n",
        stalled_at, before / 1024.0, (later > peak ? later : peak) / 1024.0);
    if (peak - before > FT_BOUND_MIB * 1024L)
        fail_msg("the server grew by %.1f MiB under a client that never "
                 "reads (bound %d MiB)",
                 (peak - before) / 1024.0, FT_BOUND_MIB);
    /* The flood was stopped by flow control long before 128 MiB. */
    assert_true(stalled_at < N_BIG);
    assert_int_equal(sent_later, stalled_at);
    assert_true(ended);
    assert_int_equal(proc_exit_code(p), 0);
}

int main(void)
{
    ft_filter_from_env();
    setvbuf(stdout, NULL, _IONBF, 0);
    const struct CMUnitTest tests[] = {
        FT_TEST(test_backpressure_server_memory_bounded),
        FT_TEST(test_backpressure_handler_waits_in_send),
        FT_TEST(test_backpressure_bidi_flood_without_reading),
    };
    return cmocka_run_group_tests_name("backpressure", tests, ft_group_setup,
                                       ft_group_teardown);
}
