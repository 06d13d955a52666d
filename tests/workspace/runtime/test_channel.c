/*
 * test_channel.c: where servers listen and how channels reach them: several
 * addresses, a port already taken, unix sockets, IPv6, connectivity state
 * and waiting for readiness, the reconnect backoff, round-robin over two
 * servers, wait-for-ready (the channel's default and a call's own choice).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rt_util.h"

/* A server named `name` with rt.Test, listening on `addr`; returns the port. */
static cg_server *serve(rt_state *st, const char *name, const char *addr,
                        int *port)
{
    rt_state_init(st, name);
    cg_server *srv = cg_server_new(NULL);
    cg_status err;
    *port = cg_server_listen(srv, addr, NULL, &err);
    if (*port <= 0)
        fail_msg("listen %s: %s", addr, err.message);
    rt__test__register_server(srv, &rt_impl, st);
    assert_int_equal(cg_server_start(srv), 0);
    return srv;
}

static void stop(cg_server *srv, rt_state *st)
{
    cg_server_free(srv);
    rt_state_destroy(st);
}

/* Echo through `ch`; returns the answering server's name (static). */
static const char *who(cg_channel *ch, grpc_status_code *code)
{
    static char name[32];
    Rt__Msg req = rt_msg("who", 1);
    Rt__Msg *resp = NULL;
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    cg_status st = cg_unary(ch, rt_m(RT_ECHO), &req, (void **)&resp, &o);
    *code = st.code;
    snprintf(name, sizeof name, "%s", resp ? resp->extra : "(none)");
    if (resp)
        rt__msg__free_unpacked(resp, NULL);
    return name;
}

static cg_channel *channel(const char *fmt, int a, int b)
{
    char target[128];
    snprintf(target, sizeof target, fmt, a, b);
    cg_status err;
    cg_channel *ch = cg_channel_new(target, NULL, &err);
    if (ch == NULL)
        fail_msg("channel %s: %s", target, err.message);
    return ch;
}

static void test_channel_listen_on_two_addresses(void **state)
{
    (void)state;
    rt_state st;
    rt_state_init(&st, "two");
    cg_server *srv = cg_server_new(NULL);
    int p1 = cg_server_listen(srv, "127.0.0.1:0", NULL, NULL);
    int p2 = cg_server_listen(srv, "127.0.0.1:0", NULL, NULL);
    assert_true(p1 > 0 && p2 > 0 && p1 != p2);
    rt__test__register_server(srv, &rt_impl, &st);
    assert_int_equal(cg_server_start(srv), 0);
    /* Too late to listen once started. */
    cg_status err;
    assert_int_equal(cg_server_listen(srv, "127.0.0.1:0", NULL, &err), -1);
    assert_int_equal(err.code, GRPC_STATUS_FAILED_PRECONDITION);
    grpc_status_code code;
    cg_channel *a = channel("127.0.0.1:%d", p1, 0);
    cg_channel *b = channel("127.0.0.1:%d", p2, 0);
    assert_string_equal(who(a, &code), "two");
    assert_int_equal(code, GRPC_STATUS_OK);
    assert_string_equal(who(b, &code), "two");
    assert_int_equal(code, GRPC_STATUS_OK);
    cg_channel_free(a);
    cg_channel_free(b);
    stop(srv, &st);
}

static void test_channel_port_in_use_fails(void **state)
{
    (void)state;
    rt_state st;
    int port;
    cg_server *first = serve(&st, "first", "127.0.0.1:0", &port);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    cg_server *second = cg_server_new(NULL);
    cg_status err;
    assert_int_equal(cg_server_listen(second, addr, NULL, &err), -1);
    assert_int_equal(err.code, GRPC_STATUS_UNAVAILABLE);
    assert_non_null(strstr(err.message, addr));
    cg_server_free(second);
    /* Unless both ask to share the port. */
    cg_server_opts share = {0};
    share.allow_reuseport = true;
    second = cg_server_new(&share);
    cg_server *third = cg_server_new(&share);
    int p = cg_server_listen(second, "127.0.0.1:0", NULL, NULL);
    assert_true(p > 0);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", p);
    assert_int_equal(cg_server_listen(third, addr, NULL, NULL), p);
    cg_server_free(second);
    cg_server_free(third);
    /* Nonsense is refused too. */
    second = cg_server_new(NULL);
    assert_int_equal(cg_server_listen(second, "not an address", NULL, &err),
                     -1);
    assert_int_equal(cg_server_listen(second, NULL, NULL, &err), -1);
    cg_server_free(second);
    stop(first, &st);
}

static void test_channel_unix_socket(void **state)
{
    (void)state;
    char addr[96];
    snprintf(addr, sizeof addr, "unix:/tmp/cgrt-%d.sock", (int)getpid());
    unlink(addr + 5);
    rt_state st;
    int port;
    cg_server *srv = serve(&st, "unix", addr, &port);
    assert_int_equal(port, 1);
    cg_channel *ch = cg_channel_new(addr, NULL, NULL);
    grpc_status_code code;
    assert_string_equal(who(ch, &code), "unix");
    assert_int_equal(code, GRPC_STATUS_OK);
    cg_channel_free(ch);
    stop(srv, &st);
    unlink(addr + 5);
}

static void test_channel_state_and_wait_ready(void **state)
{
    (void)state;
    rt_state st;
    int port;
    cg_server *srv = serve(&st, "ready", "127.0.0.1:0", &port);
    cg_channel *ch = channel("127.0.0.1:%d", port, 0);
    /* Channels connect lazily. */
    assert_int_equal(cg_channel_state(ch, false), CG_CONN_IDLE);
    assert_true(cg_channel_wait_ready(ch, RT_WAIT_MS));
    assert_int_equal(cg_channel_state(ch, false), CG_CONN_READY);
    assert_string_equal(cg_conn_state_name(cg_channel_state(ch, false)),
                        "READY");
    cg_channel_free(ch);

    /* Nobody there: not ready, and the wait ends on time. */
    ch = channel("127.0.0.1:%d", rt_closed_port(), 0);
    int64_t t0 = rt_now_ms();
    assert_false(cg_channel_wait_ready(ch, 300));
    int64_t took = rt_now_ms() - t0;
    assert_true(took >= 250 && took < 3000);
    cg_conn_state s = cg_channel_state(ch, false);
    assert_true(s == CG_CONN_CONNECTING || s == CG_CONN_TRANSIENT_FAILURE);
    grpc_status_code code;
    who(ch, &code);
    assert_int_equal(code, GRPC_STATUS_UNAVAILABLE); /* fails fast */
    cg_channel_free(ch);

    assert_string_equal(cg_conn_state_name(CG_CONN_IDLE), "IDLE");
    assert_string_equal(cg_conn_state_name(CG_CONN_SHUTDOWN), "SHUTDOWN");
    assert_int_equal(cg_channel_state(NULL, false), CG_CONN_SHUTDOWN);
    assert_false(cg_channel_wait_ready(NULL, 10));
    stop(srv, &st);
}

/* A server on `port` again, retrying while the stopped one's listening
 * socket is still being closed by gRPC core's threads (a moment after
 * cg_server_free returns). NULL if the port stays taken. */
static cg_server *serve_again(rt_state *st, const char *name, int port)
{
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    int64_t until = rt_now_ms() + RT_WAIT_MS;
    for (;;) {
        cg_server *srv = cg_server_new(NULL);
        if (cg_server_listen(srv, addr, NULL, NULL) == port) {
            rt_state_init(st, name);
            rt__test__register_server(srv, &rt_impl, st);
            assert_int_equal(cg_server_start(srv), 0);
            return srv;
        }
        cg_server_free(srv);
        if (rt_now_ms() > until)
            return NULL;
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

/* A channel whose server stopped while it was connected: its next attempt
 * was refused, so it now waits out its reconnect backoff; meanwhile a new
 * server ("second") listens on the same port. */
typedef struct restarted {
    rt_state st1, st2;
    cg_server *again;
    cg_channel *ch;
} restarted;

static void restart_server(restarted *r, const cg_channel_opts *o)
{
    int port;
    cg_server *srv = serve(&r->st1, "first", "127.0.0.1:0", &port);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    r->ch = cg_channel_new(target, o, NULL);
    assert_true(cg_channel_wait_ready(r->ch, RT_WAIT_MS));
    stop(srv, &r->st1);
    /* Nobody listens: the attempt is refused, and the channel waits
     * before the next one (its backoff: 1 s by default). */
    assert_false(cg_channel_wait_ready(r->ch, 100));
    r->again = serve_again(&r->st2, "second", port);
    if (r->again == NULL)
        fail_msg("port %d stayed in use after its server stopped", port);
}

/* Waits for the channel to reach the new server; the ms since t0. */
static int64_t reconnected_after(restarted *r, int64_t t0)
{
    bool ready = cg_channel_wait_ready(r->ch, RT_WAIT_MS);
    int64_t took = rt_now_ms() - t0;
    grpc_status_code code;
    const char *name = who(r->ch, &code);
    assert_true(ready);
    assert_int_equal(code, GRPC_STATUS_OK);
    assert_string_equal(name, "second");
    return took;
}

static void restart_end(restarted *r)
{
    cg_channel_free(r->ch);
    stop(r->again, &r->st2);
}

static void test_channel_reconnect_backoff(void **state)
{
    (void)state;
    cg_channel_opts o = {0};
    o.reconnect_backoff_ms = 100;
    o.reconnect_backoff_max_ms = 100;
    restarted r;
    restart_server(&r, &o);
    int64_t took = reconnected_after(&r, rt_now_ms());
    /* The next attempt comes at most 120 ms (100 ms + 20%) after the
     * refused one. With the default backoff it would come 800-1200 ms
     * after it, so 700 ms or more after the short wait above ended: the
     * bound tells the two apart. Under valgrind only the reconnect itself
     * is checked. */
    if (getenv("CGRT_SLOW") == NULL && took >= 400)
        fail_msg("the channel took %lld ms to reconnect to the restarted "
                 "server, with reconnect_backoff_ms 100",
                 (long long)took);
    restart_end(&r);
}

static void test_channel_reset_backoff(void **state)
{
    (void)state;
    restarted r;
    restart_server(&r, NULL); /* backoff: 1 s */
    int64_t t0 = rt_now_ms();
    cg_channel_reset_backoff(r.ch);
    cg_channel_reset_backoff(NULL); /* nothing */
    int64_t took = reconnected_after(&r, t0);
    /* Without the reset the next attempt would come 800-1200 ms after the
     * refused one, 700 ms or more after the short wait above ended. */
    if (getenv("CGRT_SLOW") == NULL && took >= 400)
        fail_msg("the channel took %lld ms to reconnect to the restarted "
                 "server after cg_channel_reset_backoff",
                 (long long)took);
    restart_end(&r);
}

static void round_robin(cg_channel *ch)
{
    assert_true(cg_channel_wait_ready(ch, RT_WAIT_MS));
    int s1 = 0, s2 = 0;
    for (int i = 0; i < 20; i++) {
        grpc_status_code code;
        const char *name = who(ch, &code);
        assert_int_equal(code, GRPC_STATUS_OK);
        if (strcmp(name, "s1") == 0)
            s1++;
        else if (strcmp(name, "s2") == 0)
            s2++;
    }
    /* Both servers get calls; round-robin alternates once both are up. */
    if (s1 == 0 || s2 == 0 || s1 + s2 != 20)
        fail_msg("calls to s1: %d, to s2: %d", s1, s2);
}

static void test_channel_round_robin_over_two_servers(void **state)
{
    (void)state;
    rt_state st1, st2;
    int p1, p2;
    cg_server *a = serve(&st1, "s1", "127.0.0.1:0", &p1);
    cg_server *b = serve(&st2, "s2", "127.0.0.1:0", &p2);
    char target[96];
    snprintf(target, sizeof target, "ipv4:127.0.0.1:%d,127.0.0.1:%d", p1, p2);

    cg_channel_opts o = {0};
    o.lb_policy = "round_robin";
    cg_channel *ch = cg_channel_new(target, &o, NULL);
    round_robin(ch);
    cg_channel_free(ch);

    cg_channel_opts sc = {0};
    sc.service_config_json = "{\"loadBalancingConfig\":[{\"round_robin\":{}}]}";
    ch = cg_channel_new(target, &sc, NULL);
    round_robin(ch);
    cg_channel_free(ch);

    /* The default, pick_first, sticks to one server. */
    ch = cg_channel_new(target, NULL, NULL);
    grpc_status_code code;
    char first[32];
    snprintf(first, sizeof first, "%s", who(ch, &code));
    for (int i = 0; i < 5; i++)
        assert_string_equal(who(ch, &code), first);
    cg_channel_free(ch);
    stop(a, &st1);
    stop(b, &st2);
}

static void test_channel_dns_target_and_options(void **state)
{
    (void)state;
    rt_state st;
    int port;
    cg_server *srv = serve(&st, "dns", "127.0.0.1:0", &port);
    /* The DNS resolver with an address it need not look up: resolving
     * "localhost" goes through c-ares 1.18's ares_getaddrinfo, which leaks
     * 10 bytes per lookup (a Debian 12 library bug valgrind reports). */
    char target[64];
    snprintf(target, sizeof target, "dns:///127.0.0.1:%d", port);
    cg_channel_opts o = {0};
    o.keepalive_ms = 10000;
    o.keepalive_timeout_ms = 5000;
    o.wait_for_ready = true;
    cg_channel *ch = cg_channel_new(target, &o, NULL);
    grpc_status_code code;
    assert_string_equal(who(ch, &code), "dns");
    assert_int_equal(code, GRPC_STATUS_OK);
    cg_channel_free(ch);

    cg_status err;
    assert_null(cg_channel_new("", NULL, &err));
    assert_int_equal(err.code, GRPC_STATUS_INVALID_ARGUMENT);
    assert_null(cg_channel_new(NULL, NULL, NULL));
    stop(srv, &st);
}

typedef struct late_job {
    cg_channel *ch;
    cg_status st;
    cg_ready ready;
} late_job;

static void *call_late(void *arg)
{
    late_job *j = arg;
    Rt__Msg req = rt_msg("early", 1);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    o.ready = j->ready;
    j->st = cg_unary(j->ch, rt_m(RT_ECHO), &req, NULL, &o);
    return NULL;
}

static void test_channel_wait_for_ready(void **state)
{
    (void)state;
    int port = rt_closed_port();
    cg_channel *ch = channel("127.0.0.1:%d", port, 0);
    /* Without wait-for-ready a call fails at once... */
    late_job fast = {.ch = ch, .st = cg_ok()};
    call_late(&fast);
    assert_status(fast.st, GRPC_STATUS_UNAVAILABLE);
    /* ...with it, the call waits until a server comes up. */
    late_job j = {.ch = ch, .st = cg_ok(), .ready = CG_READY_WAIT};
    pthread_t t;
    pthread_create(&t, NULL, call_late, &j);
    rt_state st;
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    int p;
    cg_server *srv = serve(&st, "late", addr, &p);
    assert_int_equal(p, port);
    pthread_join(t, NULL);
    assert_status(j.st, GRPC_STATUS_OK);
    cg_channel_free(ch);
    stop(srv, &st);
}

static void test_channel_call_overrides_channel_wait_for_ready(void **state)
{
    (void)state;
    /* Two channels to a port nobody listens on (yet): one whose calls wait
     * for a connection by default, one whose calls fail fast. */
    int port = rt_closed_port();
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    cg_channel_opts co = {0};
    co.wait_for_ready = true;
    cg_channel *waits = cg_channel_new(target, &co, NULL);
    cg_channel *fails = cg_channel_new(target, NULL, NULL);
    /* A call that says "fail fast" does not wait on the waiting channel. */
    Rt__Msg req = rt_msg("now", 1);
    cg_call_opts o = rt_opts(3000);
    o.ready = CG_READY_FAIL_FAST;
    int64_t t0 = rt_now_ms();
    cg_status st = cg_unary(waits, rt_m(RT_ECHO), &req, NULL, &o);
    int64_t took = rt_now_ms() - t0;
    assert_status(st, GRPC_STATUS_UNAVAILABLE);
    if (took > 2000)
        fail_msg("a fail-fast call took %lld ms", (long long)took);
    /* A call with no choice of its own follows its channel and waits, and
     * so does a call that asks to wait on the fail-fast channel. */
    late_job j = {.ch = waits, .st = cg_ok()};
    late_job w = {.ch = fails, .st = cg_ok(), .ready = CG_READY_WAIT};
    pthread_t tj, tw;
    pthread_create(&tj, NULL, call_late, &j);
    pthread_create(&tw, NULL, call_late, &w);
    rt_state rs;
    int p;
    cg_server *srv = serve(&rs, "late", target, &p);
    pthread_join(tj, NULL);
    pthread_join(tw, NULL);
    assert_status(j.st, GRPC_STATUS_OK);
    assert_status(w.st, GRPC_STATUS_OK);
    cg_channel_free(waits);
    cg_channel_free(fails);
    stop(srv, &rs);
}

/* Whether this machine has an IPv6 loopback to test with. */
static bool have_ipv6_loopback(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in6 a = {0};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

#define NEED_IPV6()                                                            \
    do {                                                                       \
        if (!have_ipv6_loopback()) {                                           \
            print_message("skipped: this machine has no IPv6 loopback "        \
                          "(::1 cannot be bound); nothing to test\n");         \
            skip();                                                            \
        }                                                                      \
    } while (0)

/* An Echo to `target` that fails fast: its status code. */
static grpc_status_code reach(const char *fmt, int port)
{
    char target[64];
    snprintf(target, sizeof target, fmt, port);
    cg_channel *ch = cg_channel_new(target, NULL, NULL);
    Rt__Msg req = rt_msg("v6", 1);
    cg_call_opts o = rt_opts(RT_WAIT_MS);
    o.ready = CG_READY_FAIL_FAST;
    grpc_status_code code = cg_unary(ch, rt_m(RT_ECHO), &req, NULL, &o).code;
    cg_channel_free(ch);
    return code;
}

static void test_channel_ipv6_loopback(void **state)
{
    (void)state;
    NEED_IPV6();
    rt_state st;
    int port;
    cg_server *srv = serve(&st, "v6", "[::1]:0", &port);
    assert_true(port > 0);
    assert_int_equal(reach("[::1]:%d", port), GRPC_STATUS_OK);
    assert_int_equal(reach("ipv6:[::1]:%d", port), GRPC_STATUS_OK);
    /* One address of one family: nothing listens on 127.0.0.1 there. */
    assert_true(reach("127.0.0.1:%d", port) != GRPC_STATUS_OK);
    stop(srv, &st);
}

static void test_channel_wildcard_is_dual_stack(void **state)
{
    (void)state;
    NEED_IPV6();
    /* "[::]" and "0.0.0.0" both mean every address, both families. */
    static const char *const any[] = {"[::]:0", "0.0.0.0:0"};
    for (int i = 0; i < 2; i++) {
        rt_state st;
        int port;
        cg_server *srv = serve(&st, "any", any[i], &port);
        assert_true(port > 0);
        if (reach("127.0.0.1:%d", port) != GRPC_STATUS_OK ||
            reach("[::1]:%d", port) != GRPC_STATUS_OK)
            fail_msg("a server on %s is not reachable on both 127.0.0.1 and "
                     "[::1]",
                     any[i]);
        stop(srv, &st);
    }
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channel_listen_on_two_addresses),
        cmocka_unit_test(test_channel_port_in_use_fails),
        cmocka_unit_test(test_channel_unix_socket),
        cmocka_unit_test(test_channel_state_and_wait_ready),
        cmocka_unit_test(test_channel_reconnect_backoff),
        cmocka_unit_test(test_channel_reset_backoff),
        cmocka_unit_test(test_channel_round_robin_over_two_servers),
        cmocka_unit_test(test_channel_dns_target_and_options),
        cmocka_unit_test(test_channel_wait_for_ready),
        cmocka_unit_test(test_channel_call_overrides_channel_wait_for_ready),
        cmocka_unit_test(test_channel_ipv6_loopback),
        cmocka_unit_test(test_channel_wildcard_is_dual_stack),
    };
    return cmocka_run_group_tests_name("channel", tests, rt_group_setup,
                                       rt_group_teardown);
}
