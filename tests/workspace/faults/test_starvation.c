/*
 * test_starvation.c: streams whose clients go quiet must not freeze the
 * server.
 *
 * A handler waiting in cg_recv for its client's next message holds a pool
 * thread, and the pool has max_threads at most (64 by default). The runtime
 * this suite first ran against froze for good once max_threads such
 * handlers waited at once: no thread was left to poll, so nothing was ever
 * delivered again, not the messages those handlers waited for, not new
 * calls, not a shutdown (docs/en/reference/reliability.md#known-issues).
 * The contract now (cg_server_new in cgrpc.h): at max_threads one thread
 * always keeps polling, so at most max_threads - 1 handlers run at once,
 * calls beyond that wait their turn, and the calls in progress keep moving.
 *
 * The step-04 program (default options) gets 64 bidi streams that each say
 * one thing and go quiet, one more than it has handler slots. Then:
 *  - the 63 streams that got their answer can still talk: calls in
 *    progress keep moving;
 *  - the 64th stream's handler runs as soon as one stream ends;
 *  - a unary call from another client waits, and is answered as soon as a
 *    second stream ends: queued, not lost;
 *  - with every stream closed, SIGTERM stops the program at once, exit 0.
 * Every call has a deadline, and the program runs in a child process, so a
 * frozen server fails the test instead of hanging it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ft_util.h"

/* The runtime's default max_threads (cg_server_opts). */
#define DEFAULT_MAX_THREADS 64

typedef struct unary_job {
    cg_channel *ch;
    cg_status st;
} unary_job;

static void *late_unary(void *arg)
{
    unary_job *j = arg;
    j->st = ft_unary(j->ch, "anyone there?", 20000);
    return NULL;
}

/* Sends id on c and checks the answer. */
static bool say(cg_call *c, const char *id)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    char want[64];
    snprintf(want, sizeof want, "Processed: %s", id);
    const Tutorial__V1__Response *r;
    return cg_call_send(c, &req) && (r = cg_call_recv(c)) != NULL &&
           strcmp(r->message, want) == 0;
}

static bool hang_up(cg_call *c)
{
    cg_call_close_send(c);
    bool end = cg_call_recv(c) == NULL;
    return cg_call_finish(c).code == GRPC_STATUS_OK && end;
}

static void test_starvation_quiet_streams_beyond_max_threads(void **state)
{
    (void)state;
    proc *p = ft_child();
    int port;
    ft_start_program(p, "127.0.0.1:0", &port);
    cg_channel *ch = ft_channel_to_port(port, NULL);
    enum { N = DEFAULT_MAX_THREADS, SLOTS = DEFAULT_MAX_THREADS - 1 };
    cg_call *calls[N];
    cg_call_opts o = ft_opts(20000);
    int answered = 0, moving = 0;
    char id[32];
    for (int i = 0; i < N; i++) {
        calls[i] =
            tutorial__v1__my_service_client__bidirectional_stream(ch, &o);
        snprintf(id, sizeof id, "quiet-%d", i);
        if (i < SLOTS) {
            answered += say(calls[i], id);
        } else {
            /* The one over the limit: sent, its answer read later. */
            Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
            req.id = id;
            cg_call_send(calls[i], &req);
        }
    }
    /* Calls in progress keep moving. */
    for (int i = 0; i < SLOTS; i++) {
        snprintf(id, sizeof id, "again-%d", i);
        moving += say(calls[i], id);
    }
    /* Another client wants something quick: it waits for a slot. */
    cg_channel *other = ft_channel_to_port(port, NULL);
    unary_job job = {other, cg_ok()};
    pthread_t t;
    pthread_create(&t, NULL, late_unary, &job);
    /* One stream ends: the 64th stream's handler gets its slot... */
    bool first_end = hang_up(calls[0]);
    snprintf(id, sizeof id, "Processed: quiet-%d", N - 1);
    const Tutorial__V1__Response *r = cg_call_recv(calls[N - 1]);
    bool last_served = r != NULL && strcmp(r->message, id) == 0;
    /* ...and the next one to end makes room for the unary call. */
    bool second_end = hang_up(calls[1]);
    pthread_join(t, NULL);
    cg_channel_free(other);
    int closed = 0;
    for (int i = 2; i < N; i++)
        closed += hang_up(calls[i]);
    cg_channel_free(ch);
    int64_t t0 = ft_now_ms();
    proc_signal(p, SIGTERM);
    bool exited = proc_wait(p, 4000);
    int64_t exit_ms = ft_now_ms() - t0;
    proc_end(p);

    printf("    %d quiet bidi streams on %d handler slots: %d answered at "
           "once, %d still talking; the 64th served after one ended: %s; a "
           "unary call from elsewhere: %s; exit after %lld ms\n",
           N, SLOTS, answered, moving, last_served ? "yes" : "no",
           cg_status_name(job.st.code), (long long)exit_ms);
    if (answered != SLOTS || moving != SLOTS)
        fail_msg("with %d quiet streams open, %d of %d were answered and %d of "
                 "%d could go on talking: the server stopped delivering "
                 "messages (no thread left polling?)",
                 N, answered, SLOTS, moving, SLOTS);
    assert_true(first_end && second_end);
    if (!last_served)
        fail_msg("the stream over the limit was never served after another "
                 "one ended");
    if (job.st.code != GRPC_STATUS_OK)
        fail_msg("a unary call queued behind the streams ended %s (\"%s\"): "
                 "queued calls must run once a slot frees",
                 cg_status_name(job.st.code), job.st.message);
    assert_int_equal(closed, N - 2);
    assert_true(exited);
    assert_int_equal(proc_exit_code(p), 0);
}

int main(void)
{
    ft_filter_from_env();
    setvbuf(stdout, NULL, _IONBF, 0);
    const struct CMUnitTest tests[] = {
        FT_TEST(test_starvation_quiet_streams_beyond_max_threads),
    };
    return cmocka_run_group_tests_name("starvation", tests, ft_group_setup,
                                       ft_group_teardown);
}
