/*
 * test_keepalive.c: the server's keepalive options. A client that pings
 * more often than the server allows is sent away (GOAWAY
 * "too_many_pings"); a client that vanishes without closing its connection
 * is noticed by the server's own pings, and its calls are cancelled.
 *
 * Keepalive runs on timers of about a second, so each test takes a few
 * seconds; the two halves of each (the behaviour and its control) run at
 * the same time to keep that short.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/log.h>

#include "rt_util.h"

/* ---- a server with rt.Test and the given options --------------------- */

typedef struct ka_server {
    rt_state st;
    cg_server *srv;
    int port;
} ka_server;

static void ka_start(ka_server *k, const char *name, const cg_server_opts *o)
{
    rt_state_init(&k->st, name);
    k->srv = cg_server_new(o);
    assert_non_null(k->srv);
    k->port = cg_server_listen(k->srv, "127.0.0.1:0", NULL, NULL);
    assert_true(k->port > 0);
    assert_int_equal(rt__test__register_server(k->srv, &rt_impl, &k->st), 0);
    assert_int_equal(cg_server_start(k->srv), 0);
}

static void ka_stop(ka_server *k)
{
    rt_release(&k->st);
    cg_server_free(k->srv);
    rt_state_destroy(&k->st);
}

/* ---- a client that pings every 50 ms, with the core's own options ----- */

/* The runtime's channels leave the core's brakes on client pings in
 * place (two pings at most between data frames), as a well-behaved client
 * should; this one takes them off, so that it pings far more often than
 * the server's default policy allows. */
typedef struct pinger {
    int port;
    int sleep_ms;          /* how long the Sleep call asks the server to take */
    grpc_status_code code; /* how the call ended */
    char details[128];
} pinger;

static void *ping_hard(void *arg)
{
    pinger *p = arg;
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", p->port);
    grpc_arg args[3];
    memset(args, 0, sizeof args);
    args[0].type = args[1].type = args[2].type = GRPC_ARG_INTEGER;
    args[0].key = GRPC_ARG_KEEPALIVE_TIME_MS;
    args[0].value.integer = 50;
    args[1].key = GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA;
    args[1].value.integer = 0;
    args[2].key = GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS;
    args[2].value.integer = 1;
    grpc_channel_args ca = {3, args};
    grpc_channel_credentials *cr = grpc_insecure_credentials_create();
    grpc_channel *ch = grpc_channel_create(target, cr, &ca);
    grpc_channel_credentials_release(cr);
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_call *call = grpc_channel_create_call(
        ch, NULL, 0, cq, grpc_slice_from_static_string("/rt.Test/Sleep"), NULL,
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_millis(RT_WAIT_MS, GPR_TIMESPAN)),
        NULL);
    /* Msg{sleep_ms}: field 4, a varint. */
    Rt__Msg req = RT__MSG__INIT;
    req.sleep_ms = p->sleep_ms;
    uint8_t buf[16];
    size_t len = rt__msg__pack(&req, buf);
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)buf, len);
    grpc_byte_buffer *out = grpc_raw_byte_buffer_create(&s, 1), *in = NULL;
    grpc_slice_unref(s);
    grpc_metadata_array im, tm;
    grpc_metadata_array_init(&im);
    grpc_metadata_array_init(&tm);
    grpc_slice details;
    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = out;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &im;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &in;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &tm;
    ops[5].data.recv_status_on_client.status = &p->code;
    ops[5].data.recv_status_on_client.status_details = &details;
    if (grpc_call_start_batch(call, ops, 6, call, NULL) == GRPC_CALL_OK)
        grpc_completion_queue_pluck(cq, call,
                                    gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    snprintf(p->details, sizeof p->details, "%.*s",
             (int)GRPC_SLICE_LENGTH(details),
             (const char *)GRPC_SLICE_START_PTR(details));
    grpc_slice_unref(details);
    grpc_byte_buffer_destroy(out);
    if (in)
        grpc_byte_buffer_destroy(in);
    grpc_metadata_array_destroy(&im);
    grpc_metadata_array_destroy(&tm);
    grpc_call_unref(call);
    /* The core reads a connection only while some thread polls. Poll a
     * little longer, so that what is still on its way (the strict server's
     * close after its GOAWAY, the last ping acks) is read while the channel
     * lives. Destroyed with that unread, the channel stayed alive inside
     * the core, holding gRPC's threads at exit (valgrind: "possibly lost"
     * in about 1 run in 4; with this poll, 0 in 34). Nothing is awaited:
     * the tag never comes. */
    static int never;
    grpc_completion_queue_pluck(
        cq, &never,
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_millis(300, GPR_TIMESPAN)),
        NULL);
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_pluck(
               cq, NULL, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL)
               .type != GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
    grpc_channel_destroy(ch);
    return NULL;
}

/* The core says why it was sent away only in its log (an error line, so
 * it is printed by default); collect the lines while the test runs. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_text[4096];

static void collect_log(gpr_log_func_args *a)
{
    pthread_mutex_lock(&log_mu);
    size_t n = strlen(log_text);
    snprintf(log_text + n, sizeof log_text - n, "%s\n", a->message);
    pthread_mutex_unlock(&log_mu);
}

static void test_keepalive_too_many_pings_gets_goaway(void **state)
{
    (void)state;
    /* Strict: one ping per 10 s while no data flows, one strike allowed.
     * Permissive: pings every 10 ms are fine. The same client against
     * each, at once. */
    cg_server_opts strict = {.min_ping_interval_ms = 10000,
                             .max_ping_strikes = 1};
    cg_server_opts lenient = {.min_ping_interval_ms = 10,
                              .keepalive_permit_without_calls = true};
    ka_server a, b;
    ka_start(&a, "strict", &strict);
    ka_start(&b, "lenient", &lenient);
    log_text[0] = '\0';
    gpr_set_log_function(collect_log);
    /* Long enough for a handful of pings, well past the strikes. */
    pinger pa = {a.port, 6000, GRPC_STATUS_OK, ""};
    pinger pb = {b.port, 3500, GRPC_STATUS_OK, ""};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, ping_hard, &pa);
    pthread_create(&tb, NULL, ping_hard, &pb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    gpr_set_log_function(NULL); /* NULL: back to the core's own */
    if (pa.code != GRPC_STATUS_UNAVAILABLE)
        fail_msg("the strict server let a client ping every 50 ms: %s (%s)",
                 cg_status_name(pa.code), pa.details);
    assert_non_null(strstr(pa.details, "Too many pings"));
    pthread_mutex_lock(&log_mu);
    bool goaway = strstr(log_text, "GOAWAY") != NULL &&
                  strstr(log_text, "too_many_pings") != NULL;
    pthread_mutex_unlock(&log_mu);
    assert_true(goaway);
    if (pb.code != GRPC_STATUS_OK)
        fail_msg("the lenient server refused the pings: %s (%s)",
                 cg_status_name(pb.code), pb.details);
    ka_stop(&a);
    ka_stop(&b);
}

/* ---- a connection that goes silent ----------------------------------- */

/* A TCP proxy for one connection that can freeze: from then on it reads
 * and forwards nothing, but keeps both sockets open, as a peer behind a
 * pulled cable would look. */
typedef struct proxy {
    int listen_fd, port, upstream_port;
    int a, b; /* the client's side and the server's side */
    pthread_t thread;
    pthread_mutex_t mu;
    bool frozen, stop;
} proxy;

static bool proxy_flag(proxy *p, const bool *flag)
{
    pthread_mutex_lock(&p->mu);
    bool v = *flag;
    pthread_mutex_unlock(&p->mu);
    return v;
}

/* Copies what is readable on `from` to `to`; false at EOF or an error. */
static bool pump(int from, int to)
{
    char buf[16384];
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0)
        return false;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w <= 0)
            return false;
        off += w;
    }
    return true;
}

static void *proxy_main(void *arg)
{
    proxy *p = arg;
    struct pollfd lp = {p->listen_fd, POLLIN, 0};
    while (!proxy_flag(p, &p->stop) && poll(&lp, 1, 20) <= 0)
        ;
    if (proxy_flag(p, &p->stop))
        return NULL;
    p->a = accept(p->listen_fd, NULL, NULL);
    p->b = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in up = {0};
    up.sin_family = AF_INET;
    up.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    up.sin_port = htons((uint16_t)p->upstream_port);
    if (p->a < 0 || connect(p->b, (struct sockaddr *)&up, sizeof up) != 0)
        return NULL;
    bool open = true;
    while (open && !proxy_flag(p, &p->stop)) {
        if (proxy_flag(p, &p->frozen)) {
            poll(NULL, 0, 20);
            continue;
        }
        struct pollfd fds[2] = {{p->a, POLLIN, 0}, {p->b, POLLIN, 0}};
        if (poll(fds, 2, 20) <= 0)
            continue;
        if (fds[0].revents)
            open = pump(p->a, p->b);
        if (open && fds[1].revents)
            open = pump(p->b, p->a);
    }
    return NULL;
}

static void proxy_start(proxy *p, int upstream_port)
{
    memset(p, 0, sizeof *p);
    p->a = p->b = -1;
    p->upstream_port = upstream_port;
    pthread_mutex_init(&p->mu, NULL);
    p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(p->listen_fd, (struct sockaddr *)&addr, sizeof addr),
                     0);
    assert_int_equal(listen(p->listen_fd, 1), 0);
    socklen_t len = sizeof addr;
    getsockname(p->listen_fd, (struct sockaddr *)&addr, &len);
    p->port = ntohs(addr.sin_port);
    pthread_create(&p->thread, NULL, proxy_main, p);
}

static void proxy_set(proxy *p, bool *flag)
{
    pthread_mutex_lock(&p->mu);
    *flag = true;
    pthread_mutex_unlock(&p->mu);
}

static void proxy_stop(proxy *p)
{
    proxy_set(p, &p->stop);
    pthread_join(p->thread, NULL);
    if (p->a >= 0)
        close(p->a);
    if (p->b >= 0)
        close(p->b);
    close(p->listen_fd);
    pthread_mutex_destroy(&p->mu);
}

typedef struct blocker {
    int port;
    cg_status st;
} blocker;

/* A Block call through the proxy (the channel is freed, which cancels the
 * call, when the test has seen what it wanted). */
static void *call_block_via(void *arg)
{
    blocker *b = arg;
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", b->port);
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    Rt__Msg req = RT__MSG__INIT;
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    b->st = cg_unary(ch, rt_m(RT_BLOCK), &req, NULL, &o);
    cg_channel_free(ch);
    return NULL;
}

static void test_keepalive_server_notices_a_silent_client(void **state)
{
    (void)state;
    /* Pinging: a ping after 200 ms of silence, 200 ms to answer. Control:
     * the core's defaults (a ping after two hours). */
    cg_server_opts pinging = {.keepalive_ms = 200, .keepalive_timeout_ms = 200};
    ka_server a, b;
    ka_start(&a, "pinging", &pinging);
    ka_start(&b, "default", NULL);
    proxy pa, pb;
    proxy_start(&pa, a.port);
    proxy_start(&pb, b.port);
    blocker ba = {pa.port, cg_ok()}, bb = {pb.port, cg_ok()};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, call_block_via, &ba);
    pthread_create(&tb, NULL, call_block_via, &bb);
    assert_true(rt_wait(&a.st, &a.st.blocked, 1, RT_WAIT_MS));
    assert_true(rt_wait(&b.st, &b.st.blocked, 1, RT_WAIT_MS));
    /* Both clients go silent; only the pinging server finds out. */
    proxy_set(&pa, &pa.frozen);
    proxy_set(&pb, &pb.frozen);
    int64_t t0 = rt_now_ms();
    assert_true(rt_wait(&a.st, &a.st.finished, 1, RT_WAIT_MS));
    int64_t took = rt_now_ms() - t0;
    if (took > 5000)
        fail_msg("the silent client was noticed only after %lld ms",
                 (long long)took);
    /* Let the control run as long again (at least half a second). */
    rt_wait(&b.st, &b.st.finished, 1, (int)(took > 500 ? took : 500));
    assert_int_equal(rt_get(&b.st, &b.st.finished), 0);
    assert_int_equal(rt_get(&b.st, &b.st.blocked), 1);
    /* Unfreeze nothing: stopping the proxies closes both connections. */
    proxy_stop(&pa);
    proxy_stop(&pb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_true(ba.st.code != GRPC_STATUS_OK);
    ka_stop(&a);
    ka_stop(&b);
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keepalive_too_many_pings_gets_goaway),
        cmocka_unit_test(test_keepalive_server_notices_a_silent_client),
    };
    return cmocka_run_group_tests_name("keepalive", tests, rt_group_setup,
                                       rt_group_teardown);
}
