/*
 * sendq.h: the messages a stream's handler has sent that wait for the
 * core, packed one after another in a few blocks of memory.
 *
 * The core takes one SEND_MESSAGE per batch and call, so messages a
 * handler sends in a burst wait in a queue (server_call.c). A byte buffer
 * per waiting message would cost some 300 bytes of bookkeeping and two
 * mallocs each, made on the handler's thread. Here a waiting message is
 * its packed bytes behind an 8-byte length, in 4 KiB blocks (a message
 * larger than that gets a block of its own), and it becomes a slice only
 * when its turn comes. The queue itself takes no lock: its owner
 * holds one.
 */
#ifndef CGRPC_SENDQ_H
#define CGRPC_SENDQ_H

#include <stdbool.h>
#include <stddef.h>

#include <grpc/slice.h>

typedef struct cgi_qblock cgi_qblock;

typedef struct cgi_sendq {
    cgi_qblock *head, *tail; /* oldest block first */
    cgi_qblock *spare;       /* one drained block kept for reuse */
    size_t len;              /* messages waiting */
    size_t bytes;            /* memory they take, lengths included */
} cgi_sendq;

void cgi_sendq_init(cgi_sendq *q);

/* Frees every block and the messages still in them. */
void cgi_sendq_destroy(cgi_sendq *q);

/* What a message of `size` bytes adds to q->bytes. */
size_t cgi_sendq_cost(size_t size);

/* Room for a message of `size` bytes at the end of the queue, for the
 * caller to pack into; it counts once cgi_sendq_commit(q, size) is called
 * (not calling it leaves the room free for the next reserve). */
unsigned char *cgi_sendq_reserve(cgi_sendq *q, size_t size);
void cgi_sendq_commit(cgi_sendq *q, size_t size);

/* Takes the oldest message as a slice of its own (the caller owns the
 * reference); false when the queue is empty. */
bool cgi_sendq_pop(cgi_sendq *q, grpc_slice *out);

#endif
