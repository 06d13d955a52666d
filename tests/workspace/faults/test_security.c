/*
 * test_security.c: TLS, mutual TLS, where a server listens, and what it
 * does with bytes that are not gRPC.
 *
 * Certificates are made for each run by make_certs.sh (the openssl
 * command) in a fresh temporary directory, removed again at the end.
 *
 *  - TLS end to end with the course's services: unary, server stream,
 *    bidi and UserService.GetUser over one TLS channel;
 *  - refused servers: a client that trusts another CA, a server
 *    certificate that has expired, one made out for another host name, and
 *    a TLS client meeting a plaintext server: each UNAVAILABLE, and no
 *    handler ever runs;
 *  - mutual TLS required: a client certificate from the CA gets in; no
 *    certificate, one from another CA, or an expired one: refused, no
 *    handler runs;
 *  - binding: a server told 127.0.0.1 listens there and nowhere else (not
 *    127.0.0.2, not the machine's other addresses, not ::1; the kernel's
 *    socket table shows one listening socket), the step-04 program too;
 *    one told [::1] is not reachable over IPv4;
 *  - hostile bytes: random bytes, a broken HTTP/2 frame, plaintext to a
 *    TLS port: the server drops that connection and goes on serving;
 *    a hundred idle connections do not stop it either.
 */
#define _DEFAULT_SOURCE /* IFF_UP in <net/if.h> */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ft_util.h"

static char cert_dir[64];

static const char *cert(const char *name)
{
    /* A few names are live at once (a cg_tls_* struct holds several). */
    static char bufs[8][128];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", cert_dir, name);
    return b;
}

static int setup_certs(void **state)
{
    ft_group_setup(state);
    const char *tmp = getenv("TMPDIR");
    snprintf(cert_dir, sizeof cert_dir, "%s/ft-certs-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(cert_dir) == NULL) {
        fprintf(stderr, "cannot create %s: %s\n", cert_dir, strerror(errno));
        return -1;
    }
    char *argv[] = {"/bin/sh", FT_DIR "/make_certs.sh", cert_dir, NULL};
    proc p;
    bool ok =
        proc_start(&p, argv) && proc_wait(&p, 30000) && proc_exit_code(&p) == 0;
    if (!ok)
        fprintf(stderr, "make_certs.sh failed (exit %d): %s\n",
                proc_exit_code(&p), p.err);
    proc_end(&p);
    return ok ? 0 : -1;
}

static int remove_certs(void **state)
{
    DIR *d = opendir(cert_dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char path[512];
            snprintf(path, sizeof path, "%s/%s", cert_dir, e->d_name);
            unlink(path);
        }
        closedir(d);
        rmdir(cert_dir);
    }
    return ft_group_teardown(state);
}

/* ---- TLS --------------------------------------------------------------- */

static cg_tls_server server_tls(const char *name, const char *client_ca,
                                bool require)
{
    char pem[64], key[64];
    snprintf(pem, sizeof pem, "%s.pem", name);
    snprintf(key, sizeof key, "%s.key", name);
    cg_tls_server t = {cert(pem), cert(key), client_ca ? cert(client_ca) : NULL,
                       require};
    return t;
}

/* One UnaryCall over a new channel with tls (NULL: plaintext). */
static cg_status call_with(const char *target, const cg_tls_client *tls)
{
    cg_channel_opts o = {0};
    o.tls = tls;
    cg_status err;
    cg_channel *ch = cg_channel_new(target, &o, &err);
    if (ch == NULL)
        return err;
    cg_status st = ft_unary(ch, "secret", 5000);
    cg_channel_free(ch);
    return st;
}

static int handlers_run(ft_server *s)
{
    const cg_method *all[] = {M_UNARY, M_SSTREAM, M_CSTREAM, M_BIDI,
                              M_CHAT,  M_UPLOAD,  M_NOTIFY,  M_GETUSER};
    int n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        n += ft_started(s, all[i]);
    return n;
}

static void test_security_tls_end_to_end(void **state)
{
    (void)state;
    cg_tls_server st = server_tls("server", NULL, false);
    cg_tls_client ct = {cert("ca.pem"), NULL, NULL, NULL};
    cg_channel_opts co = {0};
    co.tls = &ct;
    ft_server s;
    ft_server_start(&s, NULL, &st, NULL, &co);
    ft_expect_code(ft_unary(s.ch, "over tls", FT_WAIT_MS), GRPC_STATUS_OK);

    cg_call_opts o = ft_opts(FT_WAIT_MS);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "tls";
    req.value = 3;
    cg_call *c = tutorial__v1__my_service_client__server_stream(s.ch, &req, &o);
    int got = 0;
    const Tutorial__V1__Response *r;
    while ((r = cg_call_recv(c)) != NULL) {
        char want[32];
        snprintf(want, sizeof want, "Processed: tls #%d", ++got);
        assert_string_equal(r->message, want);
    }
    ft_expect_code(cg_call_finish(c), GRPC_STATUS_OK);
    assert_int_equal(got, 3);

    c = tutorial__v1__my_service_client__bidirectional_stream(s.ch, &o);
    assert_true(cg_call_send(c, &req));
    r = cg_call_recv(c);
    assert_non_null(r);
    assert_string_equal(r->message, "Processed: tls");
    assert_true(cg_call_close_send(c));
    assert_null(cg_call_recv(c));
    ft_expect_code(cg_call_finish(c), GRPC_STATUS_OK);

    Tutorial__V1__GetUserRequest ureq = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    ureq.user_id = "1";
    Tutorial__V1__User *user = NULL;
    ft_expect_code(
        tutorial__v1__user_service_client__get_user(s.ch, &ureq, &user, &o),
        GRPC_STATUS_OK);
    assert_string_equal(user->name, "Alice");
    tutorial__v1__user__free_unpacked(user, NULL);
    /* The server saw the call come over TLS: a plaintext client cannot. */
    ft_expect_code(call_with(s.target, NULL), GRPC_STATUS_UNAVAILABLE);
    ft_server_stop(&s);
}

static void test_security_tls_untrusted_servers_refused(void **state)
{
    (void)state;
    cg_tls_client trusting = {cert("ca.pem"), NULL, NULL, NULL};
    cg_tls_client other = {cert("other-ca.pem"), NULL, NULL, NULL};
    struct {
        const char *server_cert; /* NULL: a plaintext server */
        const cg_tls_client *client;
        const char *what;
    } cases[] = {
        {"server", &other, "a client that trusts another CA"},
        {"other-server", &trusting, "a server certificate from another CA"},
        {"expired-server", &trusting, "an expired server certificate"},
        {"elsewhere", &trusting, "a certificate for elsewhere.example"},
        {NULL, &trusting, "a TLS client and a plaintext server"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cg_tls_server st;
        if (cases[i].server_cert != NULL)
            st = server_tls(cases[i].server_cert, NULL, false);
        ft_server s;
        ft_server_start(&s, NULL, cases[i].server_cert ? &st : NULL, NULL,
                        NULL);
        cg_status got = call_with(s.target, cases[i].client);
        int ran = handlers_run(&s);
        ft_server_stop(&s);
        if (got.code != GRPC_STATUS_UNAVAILABLE || ran != 0)
            fail_msg("%s: the call ended %s (%s) and %d handler(s) ran; wanted "
                     "UNAVAILABLE and none",
                     cases[i].what, cg_status_name(got.code), got.message, ran);
        printf("    refused: %s\n", cases[i].what);
    }
}

static void test_security_mutual_tls_required(void **state)
{
    (void)state;
    cg_tls_server st = server_tls("server", "ca.pem", true);
    cg_tls_client good = {cert("ca.pem"), cert("client.pem"),
                          cert("client.key"), NULL};
    ft_server s;
    cg_channel_opts co = {0};
    co.tls = &good;
    ft_server_start(&s, NULL, &st, NULL, &co);
    ft_expect_code(ft_unary(s.ch, "with a certificate", FT_WAIT_MS),
                   GRPC_STATUS_OK);
    struct {
        cg_tls_client client;
        const char *what;
    } cases[] = {
        {{cert("ca.pem"), NULL, NULL, NULL}, "no client certificate"},
        {{cert("ca.pem"), cert("other-client.pem"), cert("other-client.key"),
          NULL},
         "a client certificate from another CA"},
        {{cert("ca.pem"), cert("expired-client.pem"),
          cert("expired-client.key"), NULL},
         "an expired client certificate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cg_status got = call_with(s.target, &cases[i].client);
        if (got.code != GRPC_STATUS_UNAVAILABLE)
            fail_msg("%s: the call ended %s (%s), wanted UNAVAILABLE",
                     cases[i].what, cg_status_name(got.code), got.message);
        printf("    refused: %s\n", cases[i].what);
    }
    /* Only the first call reached a handler. */
    int ran = handlers_run(&s);
    /* And the good client is still welcome afterwards. */
    ft_expect_code(ft_unary(s.ch, "still", FT_WAIT_MS), GRPC_STATUS_OK);
    ft_server_stop(&s);
    assert_int_equal(ran, 1);
}

/* ---- where a server listens -------------------------------------------- */

/* Tries a TCP connection to addr:port (family AF_INET or AF_INET6) for up
 * to 2 s. 0 when it connects, else the errno. */
static int try_connect(int family, const char *addr, int port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, addr, &a->sin_addr);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, addr, &a->sin6_addr);
        len = sizeof *a;
    }
    int rc = connect(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : errno;
    if (rc == EINPROGRESS) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        if (poll(&pfd, 1, 2000) == 1) {
            socklen_t l = sizeof rc;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &rc, &l);
        } else {
            rc = ETIMEDOUT;
        }
    }
    close(fd);
    return rc;
}

/* The machine's first IPv4 address outside 127/8, or false. */
static bool outside_address(char *out, size_t cap)
{
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) != 0)
        return false;
    bool found = false;
    for (struct ifaddrs *i = ifs; i != NULL && !found; i = i->ifa_next) {
        if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
            !(i->ifa_flags & IFF_UP))
            continue;
        struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
        if ((ntohl(a.s_addr) >> 24) == 127)
            continue;
        found = inet_ntop(AF_INET, &a, out, (socklen_t)cap) != NULL;
    }
    freeifaddrs(ifs);
    return found;
}

/* Listening sockets on `port` in the kernel's table (/proc/net/tcp and
 * tcp6): their number, and the local address of the first in `first`
 * (hex, as the kernel writes it). */
static int listeners_on(int port, char *first, size_t cap)
{
    const char *files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    int n = 0;
    first[0] = '\0';
    for (int f = 0; f < 2; f++) {
        FILE *fp = fopen(files[f], "r");
        if (fp == NULL)
            continue;
        char line[512], local[64], remote[64], st[8];
        while (fgets(line, sizeof line, fp) != NULL) {
            if (sscanf(line, "%*s %63s %63s %7s", local, remote, st) != 3)
                continue;
            char *colon = strrchr(local, ':');
            if (colon == NULL || strcmp(st, "0A") != 0 ||
                strtol(colon + 1, NULL, 16) != port)
                continue;
            if (n++ == 0) {
                *colon = '\0';
                snprintf(first, cap, "%s", local);
            }
        }
        fclose(fp);
    }
    return n;
}

/* Checks that only 127.0.0.1:port accepts connections. */
static void only_on_loopback(int port)
{
    assert_int_equal(try_connect(AF_INET, "127.0.0.1", port), 0);
    int e = try_connect(AF_INET, "127.0.0.2", port);
    if (e == 0)
        fail_msg("127.0.0.2:%d accepted a connection: the server listens on "
                 "more than 127.0.0.1",
                 port);
    e = try_connect(AF_INET6, "::1", port);
    if (e == 0)
        fail_msg("[::1]:%d accepted a connection", port);
    char outside[64];
    if (outside_address(outside, sizeof outside)) {
        if (try_connect(AF_INET, outside, port) == 0)
            fail_msg("%s:%d (this machine's own address) accepted a "
                     "connection",
                     outside, port);
        printf("    port %d: open on 127.0.0.1; closed on 127.0.0.2, [::1] "
               "and %s\n",
               port, outside);
    } else {
        printf("    port %d: open on 127.0.0.1; closed on 127.0.0.2 and [::1] "
               "(no other IPv4 address here to try)\n",
               port);
    }
    /* gRPC core may bind 127.0.0.1 through an IPv6 socket, as the mapped
     * address ::ffff:127.0.0.1: the same one address. */
    char first[64];
    int n = listeners_on(port, first, sizeof first);
    if (n != 1 || (strcmp(first, "0100007F") != 0 &&
                   strcmp(first, "0000000000000000FFFF00000100007F") != 0))
        fail_msg("the kernel lists %d listening socket(s) on port %d, the "
                 "first on %s; wanted one, on 127.0.0.1 (0100007F, or "
                 "::ffff:127.0.0.1)",
                 n, port, first);
}

static void test_security_binds_only_where_told(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, "127.0.0.1:0", NULL);
    only_on_loopback(s.port);
    /* A gRPC client at another loopback address is refused at once. */
    char other[32];
    snprintf(other, sizeof other, "127.0.0.2:%d", s.port);
    ft_expect_code(call_with(other, NULL), GRPC_STATUS_UNAVAILABLE);
    ft_server_stop(&s);

    /* The step-04 program, as it would be deployed on a laptop. */
    proc *p = ft_child();
    int port;
    ft_start_program(p, "127.0.0.1:0", &port);
    only_on_loopback(port);
    proc_signal(p, SIGTERM);
    bool ended = proc_wait(p, FT_WAIT_MS);
    proc_end(p);
    assert_true(ended);
}

static void test_security_ipv6_loopback_is_not_ipv4(void **state)
{
    (void)state;
    cg_server *srv = cg_server_new(NULL);
    int port = cg_server_listen(srv, "[::1]:0", NULL, NULL);
    if (port <= 0) {
        cg_server_free(srv);
        printf("    no IPv6 loopback on this machine: nothing to check\n");
        return; /* IPv6 disabled: no [::1] to listen on */
    }
    assert_int_equal(cg_server_start(srv), 0);
    int v6 = try_connect(AF_INET6, "::1", port);
    int v4 = try_connect(AF_INET, "127.0.0.1", port);
    cg_server_free(srv);
    assert_int_equal(v6, 0);
    if (v4 == 0)
        fail_msg("a server on [::1]:%d accepted a connection on 127.0.0.1",
                 port);
}

/* ---- hostile bytes ----------------------------------------------------- */

static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        fail_msg("cannot connect to 127.0.0.1:%d: %s", port, strerror(errno));
    return fd;
}

/* Sends len bytes (ignoring a peer that has hung up already), then reads
 * until the server closes the connection; true if it did within 5 s. */
static bool server_hangs_up(int fd, const void *bytes, size_t len)
{
    const char *b = bytes;
    while (len > 0) {
        ssize_t n = send(fd, b, len, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* closed on us mid-way: that is the point */
        b += n;
        len -= (size_t)n;
    }
    int64_t until = ft_now_ms() + 5000;
    for (;;) {
        int64_t left = until - ft_now_ms();
        if (left <= 0)
            return false;
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, (int)left) != 1)
            continue;
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            return true; /* EOF or reset */
    }
}

static void test_security_hostile_bytes_are_dropped(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    ft_expect_code(ft_unary(s.ch, "before", FT_WAIT_MS), GRPC_STATUS_OK);

    /* 64 KiB of noise instead of the HTTP/2 preface. */
    static unsigned char noise[64 * 1024];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof noise; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise[i] = (unsigned char)x;
    }
    int fd = raw_connect(s.port);
    bool dropped_noise = server_hangs_up(fd, noise, sizeof noise);
    close(fd);

    /* A correct preface, then a frame whose header makes no sense: a
     * 16 MiB DATA frame on stream 0, longer than the peer allows. */
    static const char bad_frame[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                                    "\xff\xff\xff\x00\x00\x00\x00\x00\x00";
    fd = raw_connect(s.port);
    bool dropped_frame = server_hangs_up(fd, bad_frame, sizeof bad_frame - 1);
    close(fd);

    /* A hundred connections that say nothing, held open during a call. */
    enum { IDLE = 100 };
    int idle[IDLE];
    for (int i = 0; i < IDLE; i++)
        idle[i] = raw_connect(s.port);
    cg_status during = ft_unary(s.ch, "during", FT_WAIT_MS);
    for (int i = 0; i < IDLE; i++)
        close(idle[i]);

    cg_status after = ft_unary(s.ch, "after", FT_WAIT_MS);
    int ran = handlers_run(&s);
    ft_server_stop(&s);
    assert_true(dropped_noise);
    assert_true(dropped_frame);
    ft_expect_code(during, GRPC_STATUS_OK);
    ft_expect_code(after, GRPC_STATUS_OK);
    assert_int_equal(ran, 3); /* before, during, after: nothing else */
}

static void test_security_plaintext_to_tls_port_is_dropped(void **state)
{
    (void)state;
    cg_tls_server st = server_tls("server", NULL, false);
    cg_tls_client ct = {cert("ca.pem"), NULL, NULL, NULL};
    cg_channel_opts co = {0};
    co.tls = &ct;
    ft_server s;
    ft_server_start(&s, NULL, &st, NULL, &co);
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    int fd = raw_connect(s.port);
    bool dropped = server_hangs_up(fd, preface, sizeof preface - 1);
    close(fd);
    cg_status after = ft_unary(s.ch, "after", FT_WAIT_MS);
    ft_server_stop(&s);
    assert_true(dropped);
    ft_expect_code(after, GRPC_STATUS_OK);
}

int main(void)
{
    ft_filter_from_env();
    setvbuf(stdout, NULL, _IONBF, 0);
    const struct CMUnitTest tests[] = {
        FT_TEST(test_security_tls_end_to_end),
        FT_TEST(test_security_tls_untrusted_servers_refused),
        FT_TEST(test_security_mutual_tls_required),
        FT_TEST(test_security_binds_only_where_told),
        FT_TEST(test_security_ipv6_loopback_is_not_ipv4),
        FT_TEST(test_security_hostile_bytes_are_dropped),
        FT_TEST(test_security_plaintext_to_tls_port_is_dropped),
    };
    return cmocka_run_group_tests_name("security", tests, setup_certs,
                                       remove_certs);
}
