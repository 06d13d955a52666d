/*
 * handler_watch.h: lets a test see when the server's handlers return.
 * Given: read it, don't edit.
 *
 * A client learns how ITS side of a call ended. Whether the handler on the
 * other side stopped too is invisible from there: a handler that ignores a
 * cancelled call keeps its thread busy, sends into the void, and holds up a
 * server that wants to stop, while the client has long moved on. So the
 * fixture installs this interceptor, which runs around every handler of the
 * server and counts, per method, the handlers that have returned. A test
 * waits for that count with a time limit (never a sleep):
 *
 *     cg_server_add_interceptor(srv, handler_watch_interceptor, &f->watch);
 *     ...
 *     cg_status last;
 *     assert_true(handler_watch_wait(&f->watch, METHOD, 1, 500, &last));
 */
#ifndef STEP06_HANDLER_WATCH_H
#define STEP06_HANDLER_WATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <cgrpc.h>

/* How many different methods one watch can tell apart. */
#define HANDLER_WATCH_METHODS 16

typedef struct handler_watch {
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cv;  /* signalled when a handler returns */
    int n;              /* methods seen so far */
    struct {
        const char *path; /* "/tutorial.v1.MyService/ServerStream" */
        int returned;     /* handlers of it that have returned */
        cg_status last;   /* the status the last of them returned */
    } seen[HANDLER_WATCH_METHODS];
} handler_watch;

/* [watch-api] */
/* A watch with nothing seen / releases it (after the server is freed). */
void handler_watch_init(handler_watch *w);
void handler_watch_destroy(handler_watch *w);

/* The interceptor; its user pointer is the watch. It calls the handler,
 * counts its return and passes its status on unchanged. */
cg_status handler_watch_interceptor(cg_ctx *ctx, cg_next *next, void *user);

/* How many handlers of method m have returned so far. */
int handler_watch_returned(handler_watch *w, const cg_method *m);

/* Waits until at least n handlers of m have returned, for up to timeout_ms.
 * True if they have; *last (may be NULL) receives the status the last one
 * returned (cg_ok() when none has). */
bool handler_watch_wait(handler_watch *w, const cg_method *m, int n,
                        int64_t timeout_ms, cg_status *last);
/* [/watch-api] */

#endif
