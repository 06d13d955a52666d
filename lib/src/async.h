/*
 * async.h: the runtime's completion threads, for asynchronous client calls
 * (cg_unary_async).
 *
 * A few threads wait on one completion queue (created for next) and run
 * each event's tag as it comes, on the thread that took it: no hand-off to
 * another thread. The threads know nothing of calls: a tag is a cgi_tag
 * (common.h), embedded in whatever started the batch, and published.
 */
#ifndef CGRPC_ASYNC_H
#define CGRPC_ASYNC_H

#include <stdbool.h>

#include <grpc/grpc.h>

/* Takes a reference on the threads, starting them on first use, and
 * returns their queue: start batches on it with cgi_tag_publish(tag) as the
 * tag. */
grpc_completion_queue *cgi_async_ref(void);

/* Drops a reference. The last one shuts the queue down and joins the
 * threads; when it runs on one of them (a tag's run), that thread ends
 * itself, freeing the queue, once its run has returned. Every batch on the
 * queue must have completed. */
void cgi_async_unref(void);

#endif
