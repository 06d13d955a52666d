/*
 * fuzz_server.c: a real cgrpc server running MyService (the step-04
 * solution's handlers), fed arbitrary gRPC message frames over a real
 * HTTP/2 connection, one stream per input.
 *
 * The server and one loopback connection live for the whole run (a new
 * server per input would measure server start-up, not calls). Each input
 * opens a stream to one of MyService's methods, sends its bytes as the
 * stream's DATA, ends the stream one of several ways, and waits for the
 * call to complete. Input layout (README.md, "server"):
 *
 *   byte 0   method: % 5 -> UnaryCall, ServerStream, ClientStream,
 *            BidirectionalStream, or a method MyService does not have
 *   byte 1   bits 0-1  grpc-encoding header: none, identity, gzip, deflate
 *            bits 2-3  grpc-timeout header: none, 30S, 1m (1 ms), 100u
 *            bits 4-5  ending: END_STREAM on the last DATA frame; on an
 *                      extra empty DATA frame; RST_STREAM(CANCEL) instead
 *                      of END_STREAM; END_STREAM, then RST_STREAM once
 *                      the first response bytes have come
 *            bit 6     framing: 0 = the bytes are the DATA payload as is
 *                      (5-byte gRPC prefixes included, as the fuzzer made
 *                      them); 1 = the bytes are chunks [flags][len][data]
 *                      and the harness writes a correct prefix for each
 *                      (flags bit 0 = the compressed flag; with gzip or
 *                      deflate the harness really compresses the chunk)
 *            bit 7     read what the server sent after every DATA frame
 *   byte 2   DATA frame size: 0 = the largest allowed, n = n bytes
 *   rest     the payload
 *
 * What must hold for every input: the call completes (the server sends
 * trailers with a grpc-status, or resets the stream, or we cancelled it)
 * within 30 s; every handler that started has returned within 30 s after
 * that; whatever the server sent on the stream is well-formed: HTTP 200,
 * a grpc-status 0..16, and response frames that are uncompressed,
 * complete, and decode as tutorial.v1.Response (one of them for an OK
 * unary or client-streaming call, none for an unknown method, which must
 * be UNIMPLEMENTED). No crash, no sanitizer report, no leak (checked at
 * exit, after the server has been shut down).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>
#include <zlib.h>

#include <cgrpc.h>

#include "h2_client.h"
#include "my_service.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CALL_TIMEOUT_MS 30000
/* Response bytes read before we cancel the call. A 10,000-message
 * ServerStream takes 100 ms to read whole; 16 KiB (some 600 messages) is
 * well past the runtime's send queue (64 messages) and 20 times faster. */
#define BODY_CAP (16 * 1024)
#define MAX_RECV 1024 /* the server's limit: reachable by inputs */

static const char *const method_paths[] = {
    "/tutorial.v1.MyService/UnaryCall",
    "/tutorial.v1.MyService/ServerStream",
    "/tutorial.v1.MyService/ClientStream",
    "/tutorial.v1.MyService/BidirectionalStream",
    "/tutorial.v1.MyService/NoSuchMethod",
};
enum { M_UNARY, M_SERVER_STREAM, M_CLIENT_STREAM, M_BIDI, M_UNKNOWN };

static const char *const encodings[] = {NULL, "identity", "gzip", "deflate"};
static const char *const timeouts[] = {NULL, "30S", "1m", "100u"};

/* ---- the server, and how many handlers are running ------------------- */

static cg_server *server;
static int server_port;
static h2_conn conn;
static bool connected;
static bool verbose; /* FUZZ_SERVER_VERBOSE: one line per call */

static pthread_mutex_t active_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t active_cv = PTHREAD_COND_INITIALIZER;
static int active;

/* Counts, printed at exit: what the inputs made the server do. */
static struct {
    unsigned long calls, by_status[17], reset_by_server, reset_by_us, refused,
        goaways, reconnects, handlers;
} stats;

/* Brackets every handler so an input can wait until its handler has
 * returned before the next one starts. */
static cg_status count_handler(cg_ctx *ctx, cg_next *next, void *user)
{
    (void)user;
    pthread_mutex_lock(&active_mu);
    active++;
    stats.handlers++;
    pthread_mutex_unlock(&active_mu);
    cg_status st = cg_proceed(ctx, next);
    pthread_mutex_lock(&active_mu);
    if (--active == 0)
        pthread_cond_broadcast(&active_cv);
    pthread_mutex_unlock(&active_mu);
    return st;
}

static bool wait_handlers_done(int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&active_mu);
    int rc = 0;
    while (active > 0 && rc == 0)
        rc = pthread_cond_timedwait(&active_cv, &active_mu, &until);
    bool done = active == 0;
    pthread_mutex_unlock(&active_mu);
    return done;
}

static void fatal(const char *fmt, const char *detail)
{
    fprintf(stderr, "fuzz_server: ");
    fprintf(stderr, fmt, detail);
    fprintf(stderr, "\n");
    abort();
}

static void ensure_connected(void)
{
    /* A new connection after GOAWAY, a dead socket, or stream ids used up. */
    if (connected && !conn.dead && !conn.goaway &&
        conn.last_stream < 0x7ffffff0)
        return;
    if (connected) {
        if (conn.goaway)
            stats.goaways++;
        stats.reconnects++;
        h2_close(&conn);
    }
    if (h2_connect(&conn, server_port) != 0)
        fatal("cannot connect to the server: %s", conn.error);
    connected = true;
}

/* ---- checking what came back ------------------------------------------ */

/* Splits the response body into gRPC frames and checks each is an
 * uncompressed, complete tutorial.v1.Response. Returns the number of
 * messages. */
static size_t check_body(const h2_stream *s)
{
    size_t off = 0, n = 0;
    while (off < s->body_len) {
        if (s->body_len - off < 5)
            fatal("%s", "the server sent a truncated frame prefix");
        const uint8_t *p = s->body + off;
        if (p[0] != 0)
            fatal("%s", "the server sent a compressed or flagged frame the "
                        "client never asked for");
        size_t len =
            (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];
        if (s->body_len - off - 5 < len)
            fatal("%s", "the server sent a frame longer than its body");
        Tutorial__V1__Response *r =
            tutorial__v1__response__unpack(NULL, len, p + 5);
        if (r == NULL)
            fatal("%s", "the server sent bytes that are not a Response");
        if (!r->success)
            fatal("%s", "MyService sent a response without success = true");
        if (verbose)
            fprintf(stderr, "fuzz_server:   response \"%s\"\n", r->message);
        tutorial__v1__response__free_unpacked(r, NULL);
        off += 5 + len;
        n++;
    }
    return n;
}

static void check_outcome(int method, const h2_stream *s)
{
    if (verbose)
        fprintf(stderr,
                "fuzz_server: %s: %s%s%sgrpc-status %d \"%s\", HTTP %d, "
                "%zu body bytes\n",
                method_paths[method], s->closed ? "" : "open, ",
                s->reset_by_server ? "reset by the server, " : "",
                s->reset_by_us ? "reset by us, " : "", s->grpc_status,
                s->grpc_message, s->http_status, s->body_total);
    if (s->refused) {
        stats.refused++;
        return;
    }
    if (s->reset_by_server) {
        stats.reset_by_server++;
        return;
    }
    if (!s->closed)
        return; /* we cancelled it: nothing more will come */
    if (s->bad_header)
        fatal("%s", "the server sent a grpc-status that is not a number");
    if (s->http_status != 200) {
        char b[32];
        snprintf(b, sizeof b, "%d", s->http_status);
        fatal("the server answered HTTP status %s, not 200", b);
    }
    if (s->grpc_status < 0 || s->grpc_status > 16)
        fatal("%s", "the call ended without a valid grpc-status");
    stats.by_status[s->grpc_status]++;
    if (s->body_total > s->body_len)
        return; /* more than we kept: cannot check the frames */
    size_t n = check_body(s);
    /* (A deadline of 100 us may pass before the server looks.) */
    if (method == M_UNKNOWN &&
        ((s->grpc_status != GRPC_STATUS_UNIMPLEMENTED &&
          s->grpc_status != GRPC_STATUS_DEADLINE_EXCEEDED) ||
         n != 0))
        fatal("%s", "an unknown method was not answered UNIMPLEMENTED");
    if (s->grpc_status == GRPC_STATUS_OK &&
        (method == M_UNARY || method == M_CLIENT_STREAM) && n != 1)
        fatal("%s", "an OK unary or client-streaming call did not carry "
                    "exactly one response");
}

/* ---- building the request --------------------------------------------- */

/* Compresses in[0..len) the way a gRPC peer would for the encoding:
 * gzip (window bits 15 + 16) or deflate (zlib format). */
static uint8_t *compress_chunk(const uint8_t *in, size_t len, bool gzip,
                               size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, gzip ? 31 : 15, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        fatal("%s", "deflateInit2 failed");
    size_t cap = deflateBound(&z, (uLong)len) + 32;
    uint8_t *out = malloc(cap);
    if (out == NULL)
        fatal("%s", "out of memory");
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        fatal("%s", "deflate failed");
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

/* The DATA payload for framed mode: each chunk [flags][len][bytes] of the
 * input becomes a gRPC frame with a correct prefix. */
static uint8_t *frame_chunks(const uint8_t *p, size_t n, int encoding,
                             size_t *out_len)
{
    size_t cap = 5 * n + 64, len = 0;
    uint8_t *out = malloc(cap);
    if (out == NULL)
        fatal("%s", "out of memory");
    while (n > 0) {
        uint8_t flags = p[0];
        size_t want = n > 1 ? p[1] : 0;
        size_t skip = n > 1 ? 2 : 1;
        p += skip;
        n -= skip;
        size_t take = want < n ? want : n;
        const uint8_t *body = p;
        size_t blen = take;
        uint8_t *z = NULL;
        bool compressed = flags & 1;
        if (compressed && (encoding == 2 || encoding == 3)) {
            z = compress_chunk(p, take, encoding == 2, &blen);
            body = z;
        }
        if (len + 5 + blen > cap) {
            cap = 2 * (len + 5 + blen);
            out = realloc(out, cap);
            if (out == NULL)
                fatal("%s", "out of memory");
        }
        out[len] = compressed ? 1 : 0;
        out[len + 1] = (uint8_t)(blen >> 24);
        out[len + 2] = (uint8_t)(blen >> 16);
        out[len + 3] = (uint8_t)(blen >> 8);
        out[len + 4] = (uint8_t)blen;
        memcpy(out + len + 5, body, blen);
        len += 5 + blen;
        free(z);
        p += take;
        n -= take;
    }
    *out_len = len;
    return out;
}

/* ---- one call ----------------------------------------------------------- */

typedef struct call_spec {
    int method;
    int encoding, timeout, ending;
    bool framed, interleave;
    size_t frame;
    const uint8_t *payload;
    size_t len;
} call_spec;

static call_spec parse_input(const uint8_t *data, size_t size)
{
    call_spec c;
    memset(&c, 0, sizeof c);
    uint8_t b0 = size > 0 ? data[0] : 0, b1 = size > 1 ? data[1] : 0,
            b2 = size > 2 ? data[2] : 0;
    c.method = b0 % 5;
    c.encoding = b1 & 3;
    c.timeout = (b1 >> 2) & 3;
    c.ending = (b1 >> 4) & 3;
    c.framed = (b1 >> 6) & 1;
    c.interleave = (b1 >> 7) & 1;
    c.frame = b2;
    c.payload = size > 3 ? data + 3 : NULL;
    c.len = size > 3 ? size - 3 : 0;
    return c;
}

/* Runs one call; returns the stream for checking (body owned by caller). */
static void run_call(const call_spec *c, h2_stream *s)
{
    h2_header hdrs[8];
    size_t n = 0;
    hdrs[n++] = (h2_header){":method", "POST"};
    hdrs[n++] = (h2_header){":scheme", "http"};
    hdrs[n++] = (h2_header){":path", method_paths[c->method]};
    hdrs[n++] = (h2_header){":authority", "fuzz.local"};
    hdrs[n++] = (h2_header){"content-type", "application/grpc"};
    hdrs[n++] = (h2_header){"te", "trailers"};
    if (encodings[c->encoding] != NULL)
        hdrs[n++] = (h2_header){"grpc-encoding", encodings[c->encoding]};
    if (timeouts[c->timeout] != NULL)
        hdrs[n++] = (h2_header){"grpc-timeout", timeouts[c->timeout]};

    uint8_t *framed = NULL;
    const uint8_t *payload = c->payload;
    size_t len = c->len;
    if (c->framed) {
        framed = frame_chunks(c->payload, c->len, c->encoding, &len);
        payload = framed;
    }

    memset(s, 0, sizeof *s);
    s->body_cap = BODY_CAP;
    s->body = malloc(BODY_CAP);
    if (s->body == NULL)
        fatal("%s", "out of memory");
    if (!h2_open(&conn, s, hdrs, n, false))
        fatal("cannot open a stream: %s", conn.error);

    bool half_close = c->ending != 2;
    bool extra_empty = c->ending == 1;
    size_t off = 0;
    size_t step = c->interleave && c->frame ? c->frame : len;
    if (step == 0)
        step = 1;
    bool sent = true;
    do {
        size_t chunk = len - off < step ? len - off : step;
        bool last = off + chunk == len;
        sent = h2_send_data(&conn, s, payload ? payload + off : NULL, chunk,
                            c->frame, last && half_close && !extra_empty,
                            CALL_TIMEOUT_MS);
        off += chunk;
        if (c->interleave)
            h2_pump(&conn, 0);
    } while (sent && off < len);
    if (sent && extra_empty)
        sent = h2_send_data(&conn, s, NULL, 0, 0, true, CALL_TIMEOUT_MS);
    free(framed);
    (void)sent; /* the server may have ended the call already: fine */

    if (c->ending == 2) {
        if (!s->closed) {
            h2_reset(&conn, s, 8);
            stats.reset_by_us++;
        }
        return;
    }
    if (c->ending == 3) {
        if (!h2_wait(&conn, s, 1, CALL_TIMEOUT_MS) && !conn.dead)
            fatal("%s", "no response and no status within 30 s");
        if (!s->closed) {
            h2_reset(&conn, s, 8);
            stats.reset_by_us++;
        }
        return;
    }
    if (!h2_wait(&conn, s, BODY_CAP, CALL_TIMEOUT_MS) && !conn.dead)
        fatal("%s", "the call did not complete within 30 s");
    if (!s->closed && !conn.dead) {
        /* A long server stream: enough read, cancel the rest. */
        h2_reset(&conn, s, 8);
        stats.reset_by_us++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    call_spec c = parse_input(data, size);
    ensure_connected();
    h2_stream s;
    run_call(&c, &s);
    stats.calls++;
    if (conn.dead && !s.closed && !s.reset_by_us)
        fatal("the connection died during a call: %s", conn.error);
    check_outcome(c.method, &s);
    conn.cur = NULL;
    free(s.body);
    if (!wait_handlers_done(CALL_TIMEOUT_MS))
        fatal("%s", "a handler was still running 30 s after its call ended");
    return 0;
}

/* ---- start and stop ------------------------------------------------------ */

/* A valid UnaryCall must work before fuzzing starts, or every finding
 * would be the harness's own fault. */
static void self_test(void)
{
    /* Frame prefix + Request{id: "fuzz"} */
    static const uint8_t unary[] = {0, 0, 0, 0, 6, 0x0a, 4, 'f', 'u', 'z', 'z'};
    uint8_t input[3 + sizeof unary] = {M_UNARY, 0, 0};
    memcpy(input + 3, unary, sizeof unary);
    call_spec c = parse_input(input, sizeof input);
    ensure_connected();
    h2_stream s;
    run_call(&c, &s);
    conn.cur = NULL;
    bool ok = s.closed && s.grpc_status == 0 && s.body_len == 5 + 15 + 4 &&
              memcmp(s.body + 5 + 4, "Processed: fuzz", 15) == 0;
    free(s.body);
    if (!ok)
        fatal("%s", "self-test: UnaryCall{id: \"fuzz\"} did not come back "
                    "as \"Processed: fuzz\"; the harness is broken");
    wait_handlers_done(CALL_TIMEOUT_MS);
    /* Every input waits for its handler through the interceptor: if it
     * never ran, that wait would pass without waiting. */
    if (stats.handlers != 1)
        fatal("%s", "self-test: the interceptor did not run around the "
                    "UnaryCall handler; the harness cannot wait for handlers");
    memset(&stats, 0, sizeof stats);
}

static void stop_server(void)
{
    if (connected)
        h2_close(&conn);
    connected = false;
    cg_server_shutdown(server, 1000);
    cg_server_free(server);
    server = NULL;
    if (getenv("FUZZ_SERVER_QUIET") == NULL) {
        fprintf(stderr,
                "fuzz_server: %lu calls, %lu handlers ran; status OK %lu, "
                "INVALID_ARGUMENT %lu, DEADLINE_EXCEEDED %lu, "
                "RESOURCE_EXHAUSTED %lu, UNIMPLEMENTED %lu, INTERNAL %lu, "
                "CANCELLED %lu; reset by the server %lu, by us %lu; "
                "refused %lu; GOAWAY %lu; reconnects %lu\n",
                stats.calls, stats.handlers, stats.by_status[0],
                stats.by_status[3], stats.by_status[4], stats.by_status[8],
                stats.by_status[12], stats.by_status[13], stats.by_status[1],
                stats.reset_by_server, stats.reset_by_us, stats.refused,
                stats.goaways, stats.reconnects);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    verbose = getenv("FUZZ_SERVER_VERBOSE") != NULL;
    cg_server_opts opts = {0};
    opts.max_recv_bytes = MAX_RECV;
    opts.min_threads = 2;
    opts.max_threads = 16;
    server = cg_server_new(&opts);
    cg_status err;
    server_port = cg_server_listen(server, "127.0.0.1:0", NULL, &err);
    if (server_port <= 0)
        fatal("cannot listen: %s", err.message);
    if (tutorial__v1__my_service__register_server(server, &my_service_server,
                                                  NULL) != 0)
        fatal("%s", "cannot register MyService");
    cg_server_add_interceptor(server, count_handler, NULL);
    if (cg_server_start(server) != 0)
        fatal("%s", "cannot start the server");
    self_test();
    atexit(stop_server);
    return 0;
}
