/*
 * metrics_http.h: given, don't edit. A tiny HTTP endpoint for GET /metrics,
 * which app.c starts.
 *
 * Prometheus collects metrics by "scraping": every few seconds it sends
 * GET /metrics to each replica and reads back plain text. That needs an
 * HTTP/1.1 server, but a very small one: one thread answers one request per
 * connection, then closes it. Whatever a client sends, the endpoint stays
 * bounded: a request head larger than 8 KiB is refused (431), a client that
 * does not finish its request within the read timeout is dropped (408), and
 * anything but "GET /metrics HTTP/1.x" gets 400, 404 or 405. Only one client
 * is served at a time, so a slow one delays the next by at most the read
 * timeout.
 */
#ifndef STEP07_METRICS_HTTP_H
#define STEP07_METRICS_HTTP_H

#include <stddef.h>

/* Produces the body of a 200 answer: a malloc'd NUL-terminated string that
 * the endpoint frees, or NULL (then the answer is 500). Called on the
 * endpoint's thread. */
typedef char *(*metrics_http_render_fn)(void *user);

typedef struct metrics_http metrics_http;

/* Starts serving on host:port ("0.0.0.0", "127.0.0.1", "::", a name; port 0
 * lets the kernel choose). *bound_port receives the port. read_timeout_ms
 * bounds how long one client may take to send its request (0 = 2000).
 * Returns NULL when it cannot listen, with the reason in err[err_len]. */
metrics_http *metrics_http_start(const char *host, int port,
                                 metrics_http_render_fn render, void *user,
                                 int read_timeout_ms, int *bound_port,
                                 char *err, size_t err_len);

/* Stops serving (a request being answered is finished first) and frees
 * everything. NULL is a no-op. */
void metrics_http_stop(metrics_http *h);

#endif
