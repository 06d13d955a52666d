/*
 * http.c: the web board's HTTP/1.1 server (see http.h).
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "json.h"

typedef struct web_file {
    const char *path; /* "/board.js" */
    const char *name; /* file in web_dir */
    const char *type;
    char *data;
    size_t len;
} web_file;

typedef struct conn {
    pthread_t tid;
    int fd;
    int state; /* 0 free, 1 running, 2 ended (to be joined) */
    struct http_server *h;
} conn;

struct http_server {
    int fd;
    store *st;
    pthread_t acceptor;
    pthread_mutex_t mu;
    bool stop;
    conn conns[HTTP_CONNS];
    web_file files[3];
};

/* ---- writing -------------------------------------------------------- */

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void respond(int fd, int code, const char *reason, const char *type,
                    const char *body, size_t len)
{
    char head[512];
    int n = snprintf(
        head, sizeof head,
        "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
        "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
        "Content-Security-Policy: default-src 'self'\r\nConnection: "
        "close\r\n\r\n",
        code, reason, type, len);
    if (send_all(fd, head, (size_t)n))
        send_all(fd, body, len);
}

static void respond_text(int fd, int code, const char *reason, const char *text)
{
    char body[512];
    int n = snprintf(body, sizeof body, "%d %s: %s\n", code, reason, text);
    respond(fd, code, reason, "text/plain; charset=utf-8", body, (size_t)n);
}

/* ---- the routes ----------------------------------------------------- */

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static void board_json(store *st, jbuf *b)
{
    store_view v;
    if (!store_snapshot(st, now_s(), &v)) {
        jbuf_printf(b, "{\"error\":\"out of memory\"}");
        return;
    }
    json_board(b, &v);
    store_view_free(&v);
}

static void serve_events(http_server *h, int fd)
{
    const char *head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                       "Cache-Control: no-store\r\nConnection: "
                       "keep-alive\r\n\r\nretry: 1000\n\n";
    if (!send_all(fd, head, strlen(head)))
        return;
    uint64_t seen = store_version(h->st);
    while (seen != 0) {
        jbuf b = {0};
        jbuf_add(&b, "event: board\ndata: ", 19);
        board_json(h->st, &b);
        jbuf_add(&b, "\n\n", 2);
        bool ok = send_all(fd, b.data, b.len);
        free(b.data);
        if (!ok)
            return;
        uint64_t v;
        /* A comment line every 15 s finds a browser that went away. */
        while ((v = store_wait(h->st, seen, 15000)) == seen)
            if (!send_all(fd, ": keepalive\n\n", 13))
                return;
        seen = v;
        /* Several reports often arrive together (make check): one update. */
        struct timespec pause = {0, 50 * 1000000L};
        if (seen != 0)
            nanosleep(&pause, NULL);
        if (seen != 0)
            seen = store_version(h->st);
    }
}

static int hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes a query value (%XX, '+') into out; false when malformed. */
static bool url_decode(const char *in, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)in[i];
        if (c == '%') {
            if (i + 2 >= n)
                return false;
            int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = hi * 16 + lo;
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == 0 || o + 1 >= cap)
            return false;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return true;
}

static void serve_history(http_server *h, int fd, const char *query)
{
    const char *key = "learner=";
    const char *p = query ? strstr(query, key) : NULL;
    if (p == NULL || (p != query && p[-1] != '&')) {
        respond_text(fd, 400, "Bad Request",
                     "say whose history: /history?learner=NAME");
        return;
    }
    p += strlen(key);
    char name[STORE_NAME_MAX * 3 + 1];
    if (!url_decode(p, strcspn(p, "&"), name, sizeof name)) {
        respond_text(fd, 400, "Bad Request",
                     "the learner's name is not a valid URL-encoded value");
        return;
    }
    store_entry *e = NULL;
    size_t n = 0;
    if (!store_history(h->st, name, &e, &n)) {
        respond_text(fd, 404, "Not Found",
                     "no learner of that name has reported");
        return;
    }
    jbuf b = {0};
    json_history(&b, name, e, n);
    free(e);
    respond(fd, 200, "OK", "application/json", b.data, b.len);
    free(b.data);
}

static void route(http_server *h, int fd, const char *target)
{
    char path[HTTP_TARGET_MAX + 1];
    size_t plen = strcspn(target, "?");
    snprintf(path, sizeof path, "%.*s", (int)plen, target);
    const char *query = target[plen] == '?' ? target + plen + 1 : NULL;
    if (strcmp(path, "/board.json") == 0) {
        jbuf b = {0};
        board_json(h->st, &b);
        respond(fd, 200, "OK", "application/json", b.data, b.len);
        free(b.data);
        return;
    }
    if (strcmp(path, "/events") == 0) {
        serve_events(h, fd);
        return;
    }
    if (strcmp(path, "/history") == 0) {
        serve_history(h, fd, query);
        return;
    }
    for (size_t i = 0; i < sizeof h->files / sizeof h->files[0]; i++) {
        const web_file *f = &h->files[i];
        if (strcmp(path, f->path) == 0 ||
            (i == 0 && strcmp(path, "/index.html") == 0)) {
            respond(fd, 200, "OK", f->type, f->data, f->len);
            return;
        }
    }
    respond_text(
        fd, 404, "Not Found",
        "the board is at / (also /board.json, /events, /history?learner=NAME)");
}

/* ---- reading a request ---------------------------------------------- */

/* Reads the request head into buf (NUL-terminated); 0 when complete, else
 * the HTTP status to answer (431 too long, 400 cut short). */
static int read_head(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (strstr(buf, "\r\n\r\n") == NULL) {
        if (len + 1 >= cap)
            return 431;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return len == 0 ? -1 : 400;
        len += (size_t)n;
        buf[len] = '\0';
        if (memchr(buf, '\0', len) != NULL)
            return 400;
    }
    return 0;
}

static void handle(http_server *h, int fd)
{
    char *head = calloc(1, HTTP_HEAD_MAX + 1);
    if (head == NULL)
        return;
    int bad = read_head(fd, head, HTTP_HEAD_MAX + 1);
    char method[16], target[HTTP_TARGET_MAX + 2], version[16];
    if (bad == 431) {
        respond_text(fd, 431, "Request Header Fields Too Large",
                     "the request head is over 8 KiB");
    } else if (bad == 400) {
        respond_text(fd, 400, "Bad Request",
                     "the request ended before its blank line (\\r\\n\\r\\n)");
    } else if (bad == 0) {
        size_t line = strcspn(head, "\r\n");
        head[line] = '\0';
        if (line > HTTP_TARGET_MAX + 32) {
            respond_text(fd, 414, "URI Too Long",
                         "the request target is over 1 KiB");
        } else if (sscanf(head, "%15s %1025s %15s", method, target, version) !=
                       3 ||
                   strncmp(version, "HTTP/1.", 7) != 0 || target[0] != '/') {
            respond_text(fd, 400, "Bad Request",
                         "the first line must look like: GET /path HTTP/1.1");
        } else if (strlen(target) > HTTP_TARGET_MAX) {
            respond_text(fd, 414, "URI Too Long",
                         "the request target is over 1 KiB");
        } else if (strcmp(method, "GET") != 0) {
            respond_text(fd, 405, "Method Not Allowed",
                         "the board only answers GET");
        } else {
            route(h, fd, target);
        }
    }
    free(head);
}

/* ---- threads -------------------------------------------------------- */

static void *conn_main(void *arg)
{
    conn *c = arg;
    handle(c->h, c->fd);
    pthread_mutex_lock(&c->h->mu);
    close(c->fd);
    c->fd = -1;
    c->state = 2;
    pthread_mutex_unlock(&c->h->mu);
    return NULL;
}

/* Joins ended connection threads; returns a free slot or NULL. Locked. */
static conn *reap(http_server *h)
{
    conn *free_slot = NULL;
    for (size_t i = 0; i < HTTP_CONNS; i++) {
        conn *c = &h->conns[i];
        if (c->state == 2) {
            pthread_join(c->tid, NULL);
            c->state = 0;
        }
        if (c->state == 0 && free_slot == NULL)
            free_slot = c;
    }
    return free_slot;
}

static void accept_one(http_server *h)
{
    int fd = accept(h->fd, NULL, NULL);
    if (fd < 0)
        return;
    struct timeval tv = {5, 0}; /* a client that sends nothing is dropped */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    pthread_mutex_lock(&h->mu);
    conn *c = reap(h);
    if (c != NULL) {
        c->fd = fd;
        c->h = h;
        c->state = 1;
        if (pthread_create(&c->tid, NULL, conn_main, c) != 0) {
            c->state = 0;
            c = NULL;
        }
    }
    pthread_mutex_unlock(&h->mu);
    if (c == NULL) {
        respond_text(fd, 503, "Service Unavailable",
                     "too many open connections to the board; try again");
        close(fd);
    }
}

static void *accept_main(void *arg)
{
    http_server *h = arg;
    for (;;) {
        pthread_mutex_lock(&h->mu);
        bool stop = h->stop;
        pthread_mutex_unlock(&h->mu);
        if (stop)
            return NULL;
        struct pollfd p = {.fd = h->fd, .events = POLLIN};
        if (poll(&p, 1, 200) > 0)
            accept_one(h);
    }
}

/* ---- start and stop -------------------------------------------------- */

static bool load_file(web_file *f, const char *dir, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, f->name);
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    f->data = malloc(n > 0 ? (size_t)n : 1);
    f->len = f->data && n > 0 ? fread(f->data, 1, (size_t)n, fp) : 0;
    fclose(fp);
    return f->data != NULL;
}

static int listen_on(const char *host, int port, int *bound, char *err,
                     size_t errlen)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        snprintf(err, errlen,
                 "'%s' is not an IPv4 address (e.g. 0.0.0.0 or 127.0.0.1)",
                 host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *bound = ntohs(a.sin_port);
    return fd;
}

http_server *http_start(const char *host, int port, const char *web_dir,
                        store *st, int *bound, char *err, size_t errlen)
{
    http_server *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    web_file files[3] = {
        {"/", "board.html", "text/html; charset=utf-8", NULL, 0},
        {"/board.js", "board.js", "text/javascript; charset=utf-8", NULL, 0},
        {"/board.css", "board.css", "text/css; charset=utf-8", NULL, 0}};
    memcpy(h->files, files, sizeof files);
    h->st = st;
    h->fd = -1;
    pthread_mutex_init(&h->mu, NULL);
    for (size_t i = 0; i < 3; i++)
        if (!load_file(&h->files[i], web_dir, err, errlen))
            goto fail;
    h->fd = listen_on(host, port, bound, err, errlen);
    if (h->fd < 0)
        goto fail;
    if (pthread_create(&h->acceptor, NULL, accept_main, h) != 0) {
        snprintf(err, errlen, "cannot start a thread");
        goto fail;
    }
    return h;
fail:
    if (h->fd >= 0)
        close(h->fd);
    for (size_t i = 0; i < 3; i++)
        free(h->files[i].data);
    pthread_mutex_destroy(&h->mu);
    free(h);
    return NULL;
}

void http_stop(http_server *h)
{
    if (h == NULL)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->acceptor, NULL);
    pthread_t running[HTTP_CONNS];
    size_t n = 0;
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < HTTP_CONNS; i++) {
        if (h->conns[i].state == 1)
            shutdown(h->conns[i].fd, SHUT_RDWR);
        if (h->conns[i].state != 0)
            running[n++] = h->conns[i].tid;
    }
    pthread_mutex_unlock(&h->mu);
    for (size_t i = 0; i < n; i++)
        pthread_join(running[i], NULL);
    close(h->fd);
    for (size_t i = 0; i < 3; i++)
        free(h->files[i].data);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
