/*
 * metrics_http.c: given, don't edit; no need to read it either (the lesson
 * shows its core). The GET /metrics endpoint declared in metrics_http.h.
 *
 * One thread waits in poll() on the listening socket and on a pipe that
 * metrics_http_stop writes to. Each connection is read with a deadline into
 * a fixed buffer until the blank line that ends an HTTP request head, then
 * answered and closed. Nothing a client sends can make it allocate more,
 * wait longer, or stop serving the next client.
 */
#define _GNU_SOURCE
#include "metrics_http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX 8192

struct metrics_http {
    int listen_fd;
    int wake[2]; /* metrics_http_stop writes to wake[1] */
    int read_timeout_ms;
    metrics_http_render_fn render;
    void *user;
    pthread_t thread;
};

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Sends all of buf, giving up on errors (the client left: nothing to do). */
static void send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

static void respond(int fd, const char *status, const char *extra_headers,
                    const char *body)
{
    char head[512];
    int n =
        snprintf(head, sizeof head,
                 "HTTP/1.1 %s\r\n"
                 "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                 "Content-Length: %zu\r\n"
                 "%s"
                 "Connection: close\r\n\r\n",
                 status, strlen(body), extra_headers);
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body));
}

/* Reads a request head into buf (NUL-terminated). Returns its length, -1
 * when it does not fit, -2 on timeout, -3 when the client closed first. */
static int read_head(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t len = 0;
    int64_t until = now_ms() + timeout_ms;
    buf[0] = '\0';
    for (;;) {
        if (strstr(buf, "\r\n\r\n") != NULL || strstr(buf, "\n\n") != NULL)
            return (int)len;
        if (len == cap - 1)
            return -1;
        int64_t left = until - now_ms();
        if (left <= 0)
            return -2;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -2;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return -3;
        len += (size_t)n;
        buf[len] = '\0';
        if (memchr(buf, '\0', len) != NULL) /* a NUL byte: not HTTP */
            return (int)len;
    }
}

/* [serve-one] */
static void serve_one(metrics_http *h, int fd)
{
    char buf[HEAD_MAX];
    int n = read_head(fd, buf, sizeof buf, h->read_timeout_ms);
    if (n == -1) {
        respond(fd, "431 Request Header Fields Too Large", "",
                "request head too large\n");
        return;
    }
    if (n == -2) {
        respond(fd, "408 Request Timeout", "", "request too slow\n");
        return;
    }
    if (n < 0)
        return;
    /* The request line: METHOD SP TARGET SP HTTP/1.x */
    char method[16], target[256], version[16];
    if (sscanf(buf, "%15[A-Z] %255[^ \r\n] %15[^ \r\n]", method, target,
               version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0) {
        respond(fd, "400 Bad Request", "",
                "expected a request line such as GET /metrics HTTP/1.1\n");
        return;
    }
    size_t path_len = strcspn(target, "?");
    if (path_len != 8 || strncmp(target, "/metrics", 8) != 0) {
        respond(fd, "404 Not Found", "", "not found: try /metrics\n");
        return;
    }
    if (strcmp(method, "GET") != 0) {
        respond(fd, "405 Method Not Allowed", "Allow: GET\r\n",
                "only GET is allowed here\n");
        return;
    }
    char *body = h->render(h->user);
    if (body == NULL) {
        respond(fd, "500 Internal Server Error", "", "no metrics\n");
        return;
    }
    respond(fd, "200 OK", "", body);
    free(body);
}
/* [/serve-one] */

static void *serve(void *arg)
{
    metrics_http *h = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = h->listen_fd, .events = POLLIN},
                              {.fd = h->wake[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        if (p[1].revents != 0)
            return NULL;
        int fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue; /* the client gave up already, or no fds: try again */
        serve_one(h, fd);
        /* Half-close, then read what the client still sends for a moment
         * (bounded), so it gets our answer rather than a connection reset
         * when it sent more than we read. */
        shutdown(fd, SHUT_WR);
        char sink[512];
        int64_t until = now_ms() + 200;
        struct pollfd q = {.fd = fd, .events = POLLIN};
        while (now_ms() < until && poll(&q, 1, 50) > 0 &&
               recv(fd, sink, sizeof sink, 0) > 0)
            continue;
        close(fd);
    }
}

static int listen_on(const char *host, int port, char *err, size_t err_len)
{
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        snprintf(err, err_len, "metrics: cannot use host '%s': %s", host,
                 gai_strerror(rc));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
        fd =
            socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 16) != 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(err, err_len,
                 "metrics: cannot listen on %s:%d: %s "
                 "(METRICS_PORT=0 picks a free port, METRICS_PORT=off turns "
                 "the endpoint off)",
                 host, port, strerror(saved));
    return fd;
}

metrics_http *metrics_http_start(const char *host, int port,
                                 metrics_http_render_fn render, void *user,
                                 int read_timeout_ms, int *bound_port,
                                 char *err, size_t err_len)
{
    int fd = listen_on(host, port, err, err_len);
    if (fd < 0)
        return NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *bound_port = ss.ss_family == AF_INET6
                      ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                      : ntohs(((struct sockaddr_in *)&ss)->sin_port);

    metrics_http *h = calloc(1, sizeof *h);
    if (h == NULL || pipe2(h->wake, O_CLOEXEC) != 0) {
        snprintf(err, err_len, "metrics: %s", strerror(errno));
        free(h);
        close(fd);
        return NULL;
    }
    h->listen_fd = fd;
    h->render = render;
    h->user = user;
    h->read_timeout_ms = read_timeout_ms > 0 ? read_timeout_ms : 2000;
    if (pthread_create(&h->thread, NULL, serve, h) != 0) {
        snprintf(err, err_len, "metrics: cannot start a thread");
        close(h->wake[0]);
        close(h->wake[1]);
        close(fd);
        free(h);
        return NULL;
    }
    return h;
}

void metrics_http_stop(metrics_http *h)
{
    if (h == NULL)
        return;
    if (write(h->wake[1], "x", 1) < 0) {
        /* a pipe with room for 64 KiB cannot be full: nothing to do */
    }
    pthread_join(h->thread, NULL);
    close(h->wake[0]);
    close(h->wake[1]);
    close(h->listen_fd);
    free(h);
}
