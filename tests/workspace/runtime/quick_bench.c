/*
 * quick_bench.c: a sanity check of the runtime's speed, not a benchmark.
 *
 *   build/runtime-tests/plain/quick_bench [threads] [seconds] [target]
 *
 * With a target (host:port of an rt.Test server, e.g. another quick_bench
 * started with "serve"), only the client part runs.
 *
 * Starts an rt.Test server in this process and makes unary Echo calls from
 * `threads` client threads (one channel each) for `seconds`, then a
 * server-streaming call of 100k messages, then client-streaming uploads of
 * 100k messages sent one by one and in bursts (cg_call_send_more); prints
 * calls/s and messages/s.
 * Its job is to catch a pathology (a hand-off too many, a lock held too
 * long), so it only needs to be in the same range as the facts file's
 * raw-core figures on the same machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_util.h"

typedef struct job {
    const char *target;
    double seconds;
    long calls;
    long errors;
} job;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *client(void *arg)
{
    job *j = arg;
    cg_channel *ch = cg_channel_new(j->target, NULL, NULL);
    Rt__Msg req = rt_msg("0123456789ab", 1);
    double end = now_s() + j->seconds;
    while (now_s() < end) {
        for (int i = 0; i < 100; i++) {
            Rt__Msg *resp = NULL;
            cg_status st =
                cg_unary(ch, rt_m(RT_ECHO), &req, (void **)&resp, NULL);
            if (st.code != GRPC_STATUS_OK)
                j->errors++;
            else
                j->calls++;
            if (resp)
                rt__msg__free_unpacked(resp, NULL);
        }
    }
    cg_channel_free(ch);
    return NULL;
}

/* A client-streaming upload of n small messages to Sum, each sent with
 * cg_call_send or (more) with cg_call_send_more; messages per second. */
static double upload(const char *target, long n, bool more)
{
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    cg_channel_wait_ready(ch, 5000);
    Rt__Msg m = rt_msg("0123456789", 1);
    cg_call_opts o = rt_opts(60000);
    double t0 = now_s();
    cg_call *c = cg_call_start(ch, rt_m(RT_SUM), &o);
    for (long i = 0; i < n; i++)
        if (!(more ? cg_call_send_more(c, &m) : cg_call_send(c, &m)))
            break;
    cg_call_close_send(c);
    const Rt__Msg *r = cg_call_recv(c);
    long got = r ? r->num : -1;
    cg_status st = cg_call_finish(c);
    double t = now_s() - t0;
    cg_channel_free(ch);
    if (st.code != GRPC_STATUS_OK || got != n) {
        fprintf(stderr, "upload failed: %s, %ld of %ld\n",
                cg_status_name(st.code), got, n);
        return 0;
    }
    return (double)n / t;
}

int main(int argc, char **argv)
{
    rt_state st;
    rt_state_init(&st, "bench");
    cg_server *srv = NULL;
    char target[64];
    if (argc > 1 && strcmp(argv[1], "serve") == 0) {
        cg_server_opts so = {0};
        so.max_threads = argc > 2 ? atoi(argv[2]) : 0;
        srv = cg_server_new(&so);
        int port = cg_server_listen(srv, "127.0.0.1:0", NULL, NULL);
        rt__test__register_server(srv, &rt_impl, &st);
        cg_server_start(srv);
        printf("listening on 127.0.0.1:%d\n", port);
        fflush(stdout);
        cg_server_run_until_signal(srv, 1000);
        cg_server_free(srv);
        rt_state_destroy(&st);
        return 0;
    }
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    double seconds = argc > 2 ? atof(argv[2]) : 2.0;
    if (argc > 3) {
        snprintf(target, sizeof target, "%s", argv[3]);
    } else {
        srv = cg_server_new(NULL);
        int port = cg_server_listen(srv, "127.0.0.1:0", NULL, NULL);
        rt__test__register_server(srv, &rt_impl, &st);
        cg_server_start(srv);
        snprintf(target, sizeof target, "127.0.0.1:%d", port);
    }

    pthread_t tid[64];
    job jobs[64];
    if (threads > 64)
        threads = 64;
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        jobs[i] = (job){target, seconds, 0, 0};
        pthread_create(&tid[i], NULL, client, &jobs[i]);
    }
    long calls = 0, errors = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        calls += jobs[i].calls;
        errors += jobs[i].errors;
    }
    double t = now_s() - t0;
    printf("unary: %d client thread(s): %ld calls in %.2f s = %.0f calls/s "
           "(%ld errors)\n",
           threads, calls, t, (double)calls / t, errors);

    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    Rt__Msg req = rt_msg("", 100000);
    t0 = now_s();
    cg_call_opts o = rt_opts(30000);
    cg_call *c = cg_call_start(ch, rt_m(RT_COUNT), &o);
    cg_call_send(c, &req);
    cg_call_close_send(c);
    long n = 0;
    while (cg_call_recv(c) != NULL)
        n++;
    cg_status s = cg_call_finish(c);
    t = now_s() - t0;
    printf("server stream: %ld messages in %.2f s = %.0f msg/s (%s)\n", n, t,
           (double)n / t, cg_status_name(s.code));
    cg_channel_free(ch);

    /* Client streaming, 12-byte messages: one write each (cg_call_send)
     * against bursts sharing writes (cg_call_send_more). Interleaved
     * rounds, so that a slow moment of the machine hits both alike. */
    long up = 100000;
    for (int round = 1; round <= 3; round++) {
        double plain = upload(target, up, false);
        double more = upload(target, up, true);
        printf("client stream, round %d: %ld messages: cg_call_send %.0f "
               "msg/s, cg_call_send_more %.0f msg/s (%.2fx)\n",
               round, up, plain, more, plain > 0 ? more / plain : 0.0);
    }
    cg_server_free(srv);
    rt_state_destroy(&st);
    return 0;
}
