/*
 * http.h: the web board: a small HTTP/1.1 server in the class server's
 * process, one thread per connection (at most HTTP_CONNS), one request per
 * connection.
 *
 *   GET /                 the board page (web/board.html)
 *   GET /board.js, /board.css
 *   GET /board.json       the board now
 *   GET /events           server-sent events: "board" with the board's JSON
 *                         now and after every change (changes within 50 ms
 *                         make one update)
 *   GET /history?learner=NAME   one learner's reports
 *
 * Anything else gets a status (400, 404, 405, 414, 431, 503) and a line of
 * text that says what was wrong; nothing on the board changes.
 */
#ifndef CLASS_HTTP_H
#define CLASS_HTTP_H

#include <stddef.h>

#include "store.h"

#define HTTP_CONNS 64
#define HTTP_HEAD_MAX 8192   /* request line and headers */
#define HTTP_TARGET_MAX 1024 /* the request target */

typedef struct http_server http_server;

/* Listens on host:port (port 0: the kernel's choice; *bound gets the port)
 * and serves the files of web_dir and the board of `st`. NULL with the
 * reason in err on failure. */
http_server *http_start(const char *host, int port, const char *web_dir,
                        store *st, int *bound, char *err, size_t errlen);

/* Stops accepting, ends every connection and frees the server. Call
 * store_close first, so that event streams end at once. NULL: nothing. */
void http_stop(http_server *h);

#endif /* CLASS_HTTP_H */
