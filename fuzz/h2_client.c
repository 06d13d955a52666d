/*
 * h2_client.c: the small HTTP/2 client of h2_client.h.
 *
 * Frames (RFC 9113) are a 9-byte header (24-bit length, type, flags,
 * 31-bit stream id) and a payload. The client sends only what a gRPC
 * client sends: the preface, SETTINGS, HEADERS, DATA, WINDOW_UPDATE,
 * RST_STREAM and answers to PING. Header blocks it sends use HPACK
 * literals without indexing and without Huffman coding, which every
 * decoder must accept; header blocks it receives are decoded with a full
 * dynamic table, because the server indexes what it repeats (grpc-status
 * and content-type come as one-byte references after the first call).
 *
 * HPACK Huffman-coded strings are not decoded: gRPC core codes only
 * binary (-bin) values that way, and the fuzzer looks at none. Such a
 * value reads as "<huffman>", which keeps the dynamic table in step.
 */
#define _DEFAULT_SOURCE /* TCP_NODELAY on older glibc */
#include "h2_client.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
    F_DATA = 0x0,
    F_HEADERS = 0x1,
    F_PRIORITY = 0x2,
    F_RST_STREAM = 0x3,
    F_SETTINGS = 0x4,
    F_PUSH_PROMISE = 0x5,
    F_PING = 0x6,
    F_GOAWAY = 0x7,
    F_WINDOW_UPDATE = 0x8,
    F_CONTINUATION = 0x9,
};

enum {
    FL_END_STREAM = 0x1,
    FL_ACK = 0x1,
    FL_END_HEADERS = 0x4,
    FL_PADDED = 0x8,
    FL_PRIORITY = 0x20,
};

/* Our receive window: as large as HTTP/2 allows, so the server never
 * waits for us; received bytes are given back in batches of this much. */
#define MAX_WINDOW 0x7fffffff
#define GIVE_BACK (1u << 20)
#define DEFAULT_WINDOW 65535
#define DEFAULT_FRAME 16384

static void die(const char *what)
{
    fprintf(stderr, "h2_client: %s\n", what);
    abort();
}

static void *grow(void *p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    p = realloc(p, n);
    if (p == NULL)
        die("out of memory");
    *cap = n;
    return p;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fail(h2_conn *c, const char *why)
{
    if (!c->dead)
        snprintf(c->error, sizeof c->error, "%s", why);
    c->dead = true;
}

/* ===================================================================== */
/* Writing frames                                                         */
/* ===================================================================== */

static void put_frame(h2_conn *c, uint8_t type, uint8_t flags, uint32_t stream,
                      const void *payload, size_t len)
{
    c->out = grow(c->out, &c->out_cap, c->out_len + 9 + len);
    uint8_t *h = c->out + c->out_len;
    h[0] = (uint8_t)(len >> 16);
    h[1] = (uint8_t)(len >> 8);
    h[2] = (uint8_t)len;
    h[3] = type;
    h[4] = flags;
    h[5] = (uint8_t)((stream >> 24) & 0x7f);
    h[6] = (uint8_t)(stream >> 16);
    h[7] = (uint8_t)(stream >> 8);
    h[8] = (uint8_t)stream;
    if (len > 0)
        memcpy(h + 9, payload, len);
    c->out_len += 9 + len;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static void put_window_update(h2_conn *c, uint32_t stream, uint32_t inc)
{
    uint8_t p[4];
    put_u32(p, inc & 0x7fffffff);
    put_frame(c, F_WINDOW_UPDATE, 0, stream, p, 4);
}

/* Writes as much of the queue as the socket takes now. */
static void flush_some(h2_conn *c)
{
    while (c->out_len > 0 && !c->dead) {
        ssize_t n =
            send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                fail(c, "write failed (the server closed the connection)");
            return;
        }
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (size_t)n;
    }
}

/* ===================================================================== */
/* HPACK decoding (RFC 7541)                                              */
/* ===================================================================== */

struct h2_hpack_entry {
    char *name, *value;
    size_t size; /* name + value + 32, as the RFC counts */
};

/* The static table's names; values matter only for :status. */
static const char *const static_names[62] = {
    NULL,
    ":authority",
    ":method",
    ":method",
    ":path",
    ":path",
    ":scheme",
    ":scheme",
    ":status",
    ":status",
    ":status",
    ":status",
    ":status",
    ":status",
    ":status",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "accept-ranges",
    "accept",
    "access-control-allow-origin",
    "age",
    "allow",
    "authorization",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-range",
    "content-type",
    "cookie",
    "date",
    "etag",
    "expect",
    "expires",
    "from",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "last-modified",
    "link",
    "location",
    "max-forwards",
    "proxy-authenticate",
    "proxy-authorization",
    "range",
    "referer",
    "refresh",
    "retry-after",
    "server",
    "set-cookie",
    "strict-transport-security",
    "transfer-encoding",
    "user-agent",
    "vary",
    "via",
    "www-authenticate",
};
static const char *const static_status[] = {"200", "204", "206", "304",
                                            "400", "404", "500"};

static void dyn_evict_to(h2_conn *c, size_t max)
{
    while (c->dyn_size > max && c->n_dyn > 0) {
        h2_hpack_entry *e = &c->dyn[--c->n_dyn]; /* the oldest is last */
        c->dyn_size -= e->size;
        free(e->name);
        free(e->value);
    }
}

static void dyn_add(h2_conn *c, const char *name, const char *value)
{
    size_t size = strlen(name) + strlen(value) + 32;
    if (size > c->dyn_max) {
        /* Too big for the table: it empties it (RFC 7541, 4.4). */
        dyn_evict_to(c, 0);
        return;
    }
    dyn_evict_to(c, c->dyn_max - size);
    size_t cap = c->cap_dyn * sizeof *c->dyn;
    c->dyn = grow(c->dyn, &cap, (c->n_dyn + 1) * sizeof *c->dyn);
    c->cap_dyn = cap / sizeof *c->dyn;
    memmove(c->dyn + 1, c->dyn, c->n_dyn * sizeof *c->dyn);
    c->dyn[0].name = strdup(name);
    c->dyn[0].value = strdup(value);
    if (c->dyn[0].name == NULL || c->dyn[0].value == NULL)
        die("out of memory");
    c->dyn[0].size = size;
    c->n_dyn++;
    c->dyn_size += size;
}

/* An integer with an n-bit prefix; false when cut short or too large. */
static bool hp_int(const uint8_t **p, const uint8_t *end, int n, uint32_t *out)
{
    if (*p >= end)
        return false;
    uint32_t max = (1u << n) - 1;
    uint32_t v = **p & max;
    (*p)++;
    if (v < max) {
        *out = v;
        return true;
    }
    for (int shift = 0; shift <= 28; shift += 7) {
        if (*p >= end)
            return false;
        uint8_t b = *(*p)++;
        v += (uint32_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* A string literal, copied into a new NUL-terminated buffer. */
static char *hp_string(const uint8_t **p, const uint8_t *end)
{
    if (*p >= end)
        return NULL;
    bool huffman = (**p & 0x80) != 0;
    uint32_t len;
    if (!hp_int(p, end, 7, &len) || len > (size_t)(end - *p))
        return NULL;
    char *s = huffman ? strdup("<huffman>") : strndup((const char *)*p, len);
    if (s == NULL)
        die("out of memory");
    *p += len;
    return s;
}

/* Name and value of table entry `index` (static, then dynamic). */
static bool hp_lookup(const h2_conn *c, uint32_t index, const char **name,
                      const char **value)
{
    if (index == 0)
        return false;
    if (index < 62) {
        *name = static_names[index];
        *value = index >= 8 && index <= 14 ? static_status[index - 8] : "";
        return true;
    }
    index -= 62;
    if (index >= c->n_dyn)
        return false;
    *name = c->dyn[index].name;
    *value = c->dyn[index].value;
    return true;
}

static void on_header(h2_stream *s, const char *name, const char *value)
{
    if (s == NULL)
        return;
    if (strcmp(name, ":status") == 0) {
        s->http_status = atoi(value);
    } else if (strcmp(name, "grpc-status") == 0) {
        char *end;
        long v = strtol(value, &end, 10);
        if (*value == '\0' || *end != '\0' || v < 0 || v > 0xffff)
            s->bad_header = true;
        else
            s->grpc_status = (int)v;
    } else if (strcmp(name, "grpc-message") == 0) {
        snprintf(s->grpc_message, sizeof s->grpc_message, "%s", value);
    }
}

/* Decodes one complete header block; false on a decoding error (the
 * connection cannot go on: our table would be out of step). */
static bool hp_decode(h2_conn *c, const uint8_t *p, size_t len, h2_stream *s)
{
    const uint8_t *end = p + len;
    while (p < end) {
        uint8_t b = *p;
        uint32_t index;
        const char *name, *value;
        if (b & 0x80) { /* indexed field */
            if (!hp_int(&p, end, 7, &index) ||
                !hp_lookup(c, index, &name, &value))
                return false;
            on_header(s, name, value);
            continue;
        }
        if ((b & 0xe0) == 0x20) { /* dynamic table size update */
            uint32_t max;
            if (!hp_int(&p, end, 5, &max) || max > 4096)
                return false;
            c->dyn_max = max;
            dyn_evict_to(c, max);
            continue;
        }
        /* A literal: with incremental indexing (01), or not indexed
         * (0000 and 0001). */
        bool indexing = (b & 0xc0) == 0x40;
        if (!hp_int(&p, end, indexing ? 6 : 4, &index))
            return false;
        char *nbuf = NULL;
        if (index == 0) {
            nbuf = hp_string(&p, end);
            if (nbuf == NULL)
                return false;
            name = nbuf;
        } else if (!hp_lookup(c, index, &name, &value)) {
            return false;
        }
        char *vbuf = hp_string(&p, end);
        if (vbuf == NULL) {
            free(nbuf);
            return false;
        }
        on_header(s, name, vbuf);
        if (indexing) {
            /* name may point into the table that dyn_add changes. */
            char *ncopy = strdup(name);
            if (ncopy == NULL)
                die("out of memory");
            dyn_add(c, ncopy, vbuf);
            free(ncopy);
        }
        free(nbuf);
        free(vbuf);
    }
    return true;
}

/* ===================================================================== */
/* Handling frames                                                        */
/* ===================================================================== */

static h2_stream *match(h2_conn *c, uint32_t stream)
{
    return c->cur != NULL && c->cur->id == stream ? c->cur : NULL;
}

static void end_header_block(h2_conn *c)
{
    h2_stream *s = match(c, c->hblock_stream);
    c->in_hblock = false;
    if (s != NULL)
        s->header_blocks++;
    if (!hp_decode(c, c->hblock, c->hblock_len, s)) {
        fail(c, "cannot decode a header block from the server");
        return;
    }
    if (s != NULL && c->hblock_end_stream)
        s->closed = true;
}

/* The payload of a padded frame without its padding; false if malformed. */
static bool unpad(uint8_t flags, const uint8_t **p, size_t *len)
{
    if (!(flags & FL_PADDED))
        return true;
    if (*len < 1 || (*p)[0] >= *len)
        return false;
    size_t pad = (*p)[0];
    (*p)++;
    *len -= 1 + pad;
    return true;
}

static void on_frame(h2_conn *c, uint8_t type, uint8_t flags, uint32_t stream,
                     const uint8_t *p, size_t len)
{
    if (c->in_hblock && type != F_CONTINUATION) {
        fail(c, "the server interrupted a header block");
        return;
    }
    h2_stream *s = match(c, stream);
    switch (type) {
    case F_DATA:
        c->unacked_recv += len;
        if (!unpad(flags, &p, &len)) {
            fail(c, "malformed padding in DATA");
            return;
        }
        if (s != NULL) {
            s->body_total += len;
            size_t keep = s->body_cap - s->body_len;
            if (keep > len)
                keep = len;
            if (keep > 0) {
                memcpy(s->body + s->body_len, p, keep);
                s->body_len += keep;
            }
            if (flags & FL_END_STREAM)
                s->closed = true;
        }
        if (c->unacked_recv >= GIVE_BACK) {
            put_window_update(c, 0, (uint32_t)c->unacked_recv);
            c->unacked_recv = 0;
        }
        return;
    case F_HEADERS:
        if (!unpad(flags, &p, &len)) {
            fail(c, "malformed padding in HEADERS");
            return;
        }
        if (flags & FL_PRIORITY) {
            if (len < 5) {
                fail(c, "malformed HEADERS priority");
                return;
            }
            p += 5;
            len -= 5;
        }
        c->hblock_len = 0;
        c->hblock_stream = stream;
        c->hblock_end_stream = (flags & FL_END_STREAM) != 0;
        c->in_hblock = true;
        /* fall through: the fragment is handled like a CONTINUATION */
        /* FALLTHROUGH */
    case F_CONTINUATION:
        if (!c->in_hblock || stream != c->hblock_stream) {
            fail(c, "unexpected CONTINUATION");
            return;
        }
        c->hblock = grow(c->hblock, &c->hblock_cap, c->hblock_len + len);
        if (len > 0)
            memcpy(c->hblock + c->hblock_len, p, len);
        c->hblock_len += len;
        if (flags & FL_END_HEADERS)
            end_header_block(c);
        return;
    case F_RST_STREAM:
        /* After END_STREAM a reset only tells us to stop sending (the
         * server does that when it ends a call before the client). */
        if (s != NULL && len == 4 && !s->closed) {
            s->closed = true;
            s->reset_by_server = true;
            s->reset_code = get_u32(p);
        }
        return;
    case F_SETTINGS:
        if (flags & FL_ACK)
            return;
        if (len % 6 != 0) {
            fail(c, "malformed SETTINGS");
            return;
        }
        for (size_t i = 0; i < len; i += 6) {
            uint16_t id = (uint16_t)(p[i] << 8 | p[i + 1]);
            uint32_t v = get_u32(p + i + 2);
            if (id == 0x4) { /* INITIAL_WINDOW_SIZE: applies to open streams */
                if (c->cur != NULL)
                    c->cur->send_window += (int64_t)v - c->peer_initial_window;
                c->peer_initial_window = v;
            } else if (id == 0x5) { /* MAX_FRAME_SIZE */
                c->peer_max_frame = v;
            }
        }
        put_frame(c, F_SETTINGS, FL_ACK, 0, NULL, 0);
        return;
    case F_PUSH_PROMISE:
        fail(c, "the server sent PUSH_PROMISE, which we disabled");
        return;
    case F_PING:
        if (!(flags & FL_ACK) && len == 8)
            put_frame(c, F_PING, FL_ACK, 0, p, 8);
        return;
    case F_GOAWAY:
        if (len >= 8) {
            uint32_t last = get_u32(p) & 0x7fffffff;
            c->goaway = true;
            c->goaway_code = get_u32(p + 4);
            if (c->cur != NULL && c->cur->id > last && !c->cur->closed) {
                c->cur->closed = true;
                c->cur->refused = true;
            }
        }
        return;
    case F_WINDOW_UPDATE:
        if (len == 4) {
            uint32_t inc = get_u32(p) & 0x7fffffff;
            if (stream == 0)
                c->send_window += inc;
            else if (s != NULL)
                s->send_window += inc;
        }
        return;
    default:
        return; /* PRIORITY and unknown types */
    }
}

/* Handles every complete frame in the input buffer. */
static void handle_input(h2_conn *c)
{
    size_t off = 0;
    while (!c->dead && c->in_len - off >= 9) {
        const uint8_t *h = c->in + off;
        size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
        if (c->in_len - off < 9 + len)
            break;
        uint32_t stream = get_u32(h + 5) & 0x7fffffff;
        on_frame(c, h[3], h[4], stream, h + 9, len);
        off += 9 + len;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

bool h2_pump(h2_conn *c, int timeout_ms)
{
    if (c->dead)
        return false;
    flush_some(c);
    struct pollfd pfd = {c->fd, POLLIN | (c->out_len ? POLLOUT : 0), 0};
    int r = poll(&pfd, 1, timeout_ms);
    if (r < 0 && errno != EINTR) {
        fail(c, "poll failed");
        return false;
    }
    if (r > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
        c->in = grow(c->in, &c->in_cap, c->in_len + 65536);
        ssize_t n =
            recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
        if (n == 0) {
            fail(c, "the server closed the connection");
        } else if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                fail(c, "read failed");
        } else {
            c->in_len += (size_t)n;
            handle_input(c);
        }
    }
    flush_some(c);
    return !c->dead;
}

/* ===================================================================== */
/* The public functions                                                   */
/* ===================================================================== */

int h2_connect(h2_conn *c, int port)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) {
        fail(c, "socket failed");
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fail(c, "connect failed");
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    c->send_window = DEFAULT_WINDOW;
    c->peer_initial_window = DEFAULT_WINDOW;
    c->peer_max_frame = DEFAULT_FRAME;
    c->dyn_max = 4096;

    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    c->out = grow(c->out, &c->out_cap, sizeof preface);
    memcpy(c->out, preface, sizeof preface - 1);
    c->out_len = sizeof preface - 1;
    /* ENABLE_PUSH 0, INITIAL_WINDOW_SIZE max: the server never has to
     * wait for us to read. */
    uint8_t settings[12];
    settings[0] = 0;
    settings[1] = 0x2;
    put_u32(settings + 2, 0);
    settings[6] = 0;
    settings[7] = 0x4;
    put_u32(settings + 8, MAX_WINDOW);
    put_frame(c, F_SETTINGS, 0, 0, settings, sizeof settings);
    put_window_update(c, 0, MAX_WINDOW - DEFAULT_WINDOW);
    flush_some(c);
    return c->dead ? -1 : 0;
}

void h2_close(h2_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    dyn_evict_to(c, 0);
    free(c->dyn);
    free(c->in);
    free(c->out);
    free(c->hblock);
    c->dyn = NULL;
    c->in = c->out = c->hblock = NULL;
    c->n_dyn = c->cap_dyn = 0;
    c->in_len = c->in_cap = c->out_len = c->out_cap = 0;
    c->hblock_len = c->hblock_cap = 0;
    c->cur = NULL;
    c->dead = true;
}

/* Appends "literal header field without indexing, new name". */
static void hp_put(uint8_t **buf, size_t *len, size_t *cap, const char *name,
                   const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    /* Our names and values are short: one-byte lengths (< 127). */
    if (nl >= 127 || vl >= 127)
        die("header too long for this client");
    *buf = grow(*buf, cap, *len + 3 + nl + vl);
    uint8_t *p = *buf + *len;
    *p++ = 0x00;
    *p++ = (uint8_t)nl;
    memcpy(p, name, nl);
    p += nl;
    *p++ = (uint8_t)vl;
    memcpy(p, value, vl);
    *len += 3 + nl + vl;
}

bool h2_open(h2_conn *c, h2_stream *s, const h2_header *hdrs, size_t n,
             bool end_stream)
{
    if (c->dead || c->goaway)
        return false;
    s->id = c->last_stream ? c->last_stream + 2 : 1;
    if (s->id > 0x7fffffff)
        return false;
    c->last_stream = s->id;
    s->send_window = c->peer_initial_window;
    s->http_status = -1;
    s->grpc_status = -1;
    c->cur = s;

    uint8_t *block = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < n; i++)
        hp_put(&block, &len, &cap, hdrs[i].name, hdrs[i].value);
    put_frame(c, F_HEADERS, FL_END_HEADERS | (end_stream ? FL_END_STREAM : 0),
              s->id, block, len);
    free(block);
    flush_some(c);
    return !c->dead;
}

bool h2_send_data(h2_conn *c, h2_stream *s, const uint8_t *data, size_t len,
                  size_t frame, bool end_stream, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    size_t off = 0;
    do {
        if (c->dead || s->closed)
            return false;
        size_t max = c->peer_max_frame;
        if (frame > 0 && frame < max)
            max = frame;
        size_t n = len - off < max ? len - off : max;
        if ((int64_t)n > c->send_window || (int64_t)n > s->send_window) {
            /* Wait for WINDOW_UPDATE from the server. */
            int64_t left = deadline - now_ms();
            if (left <= 0)
                return false;
            h2_pump(c, (int)(left < 50 ? left : 50));
            continue;
        }
        bool last = off + n == len;
        put_frame(c, F_DATA, last && end_stream ? FL_END_STREAM : 0, s->id,
                  n ? data + off : NULL, n);
        c->send_window -= (int64_t)n;
        s->send_window -= (int64_t)n;
        off += n;
        flush_some(c);
        /* Keep reading while sending, so neither side's buffers fill. */
        if (c->out_len > (1u << 16))
            h2_pump(c, 10);
    } while (off < len);
    return !c->dead;
}

void h2_reset(h2_conn *c, h2_stream *s, uint32_t code)
{
    uint8_t p[4];
    put_u32(p, code);
    put_frame(c, F_RST_STREAM, 0, s->id, p, 4);
    s->reset_by_us = true;
    flush_some(c);
}

bool h2_wait(h2_conn *c, h2_stream *s, size_t stop_after, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        if (s->closed)
            return true;
        if (stop_after > 0 && s->body_total >= stop_after)
            return true;
        int64_t left = deadline - now_ms();
        if (left <= 0 || !h2_pump(c, (int)(left < 100 ? left : 100)))
            return s->closed;
    }
}
