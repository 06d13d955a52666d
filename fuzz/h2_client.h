/*
 * h2_client.h: just enough of an HTTP/2 client to talk gRPC to a server
 * byte by byte, for the server fuzzer (fuzz_server.c).
 *
 * A real gRPC client would never send a malformed message frame, so the
 * fuzzer cannot use one: it needs to put arbitrary bytes into DATA frames
 * of a well-formed HTTP/2 stream and watch what comes back. This client
 * does the HTTP/2 part properly (preface, SETTINGS and their ACKs, PING
 * answers, flow control in both directions, HPACK decoding of the
 * response headers and trailers) and leaves the DATA payload to the
 * caller. One connection carries many streams, one after the other.
 *
 * Everything runs on the calling thread: sends are queued in a buffer and
 * written, and frames read and handled, by h2_pump.
 */
#ifndef FUZZ_H2_CLIENT_H
#define FUZZ_H2_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One request stream and what came back on it. */
typedef struct h2_stream {
    uint32_t id;
    int64_t send_window;  /* how much DATA the server lets us send */
    bool closed;          /* END_STREAM or RST_STREAM from the server */
    bool reset_by_server; /* closed by RST_STREAM */
    uint32_t reset_code;  /* its error code */
    bool reset_by_us;     /* we sent RST_STREAM */
    bool refused;         /* GOAWAY said the server never looked at it */
    int header_blocks;    /* 1 = headers, 2 = headers + trailers */
    int http_status;      /* :status, or -1 */
    int grpc_status;      /* grpc-status, or -1 when none was sent */
    char grpc_message[256];
    bool bad_header; /* a header the client could not decode */
    /* The response body: the first body_cap bytes kept, all counted. */
    uint8_t *body;
    size_t body_len, body_cap, body_total;
} h2_stream;

typedef struct h2_hpack_entry h2_hpack_entry;

typedef struct h2_conn {
    int fd;
    bool dead;   /* socket closed or failed */
    bool goaway; /* the server sent GOAWAY */
    uint32_t goaway_code;
    uint32_t last_stream; /* the last stream id we opened */
    int64_t send_window;  /* the connection's window for our DATA */
    uint32_t peer_initial_window;
    uint32_t peer_max_frame;
    uint64_t unacked_recv; /* DATA bytes received, not yet given back */

    uint8_t *in; /* bytes read, not yet handled */
    size_t in_len, in_cap;
    uint8_t *out; /* bytes to write */
    size_t out_len, out_cap;

    uint8_t *hblock; /* a header block spread over CONTINUATIONs */
    size_t hblock_len, hblock_cap;
    uint32_t hblock_stream;
    bool hblock_end_stream;
    bool in_hblock;

    /* HPACK decoder: the server's dynamic table, newest first. */
    h2_hpack_entry *dyn;
    size_t n_dyn, cap_dyn, dyn_size, dyn_max;

    h2_stream *cur;  /* the stream frames are matched against */
    char error[160]; /* why the connection died, for messages */
} h2_conn;

/* One header to send. */
typedef struct h2_header {
    const char *name;
    const char *value;
} h2_header;

/* Connects to 127.0.0.1:port and sends the preface and our SETTINGS.
 * 0 on success, -1 with c->error set. */
int h2_connect(h2_conn *c, int port);

/* Closes the socket and frees buffers; c can be connected again. */
void h2_close(h2_conn *c);

/* Opens stream s (zeroed by the caller, body_cap set if the body is
 * wanted) with a HEADERS frame. False when the connection is unusable. */
bool h2_open(h2_conn *c, h2_stream *s, const h2_header *hdrs, size_t n,
             bool end_stream);

/* Sends len bytes as DATA frames of at most `frame` bytes (0 = as large
 * as allowed), waiting for flow-control credit as needed; END_STREAM on
 * the last frame when end_stream. An empty DATA frame is sent when len is
 * 0. False when the stream or connection closed first, or credit did not
 * come within timeout_ms. */
bool h2_send_data(h2_conn *c, h2_stream *s, const uint8_t *data, size_t len,
                  size_t frame, bool end_stream, int timeout_ms);

/* Sends RST_STREAM with `code` (8 = CANCEL) and forgets the stream. */
void h2_reset(h2_conn *c, h2_stream *s, uint32_t code);

/* Reads and handles frames until s is closed, until stop_after body bytes
 * have arrived (0 = no limit), or timeout_ms passes. True when s closed
 * or the byte limit was reached. */
bool h2_wait(h2_conn *c, h2_stream *s, size_t stop_after, int timeout_ms);

/* Writes what is queued and handles what has arrived, waiting up to
 * timeout_ms for something to happen. False once the connection is dead. */
bool h2_pump(h2_conn *c, int timeout_ms);

#endif
