/*
 * sendq.c: a queue of packed messages (see sendq.h).
 */
#include "sendq.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/slice.h>

#include "common.h"

#define BLOCK_SIZE 4096 /* bytes of messages in an ordinary block */

struct cgi_qblock {
    cgi_qblock *next;
    size_t cap;  /* bytes in data */
    size_t head; /* offset of the oldest message not yet taken */
    size_t tail; /* offset where the next one goes */
    alignas(max_align_t) unsigned char data[];
};

/* Each message: its size, then its bytes, padded to keep sizes aligned. */
typedef uint64_t entry_len;

size_t cgi_sendq_cost(size_t size)
{
    size_t align = sizeof(entry_len);
    return sizeof(entry_len) + (size + align - 1) / align * align;
}

void cgi_sendq_init(cgi_sendq *q)
{
    memset(q, 0, sizeof *q);
}

void cgi_sendq_destroy(cgi_sendq *q)
{
    cgi_qblock *b = q->head;
    while (b != NULL) {
        cgi_qblock *next = b->next;
        free(b);
        b = next;
    }
    free(q->spare);
    cgi_sendq_init(q);
}

static cgi_qblock *block_new(cgi_sendq *q, size_t cap)
{
    cgi_qblock *b;
    if (cap == BLOCK_SIZE && q->spare != NULL) {
        b = q->spare;
        q->spare = NULL;
    } else {
        b = cgi_malloc(offsetof(cgi_qblock, data) + cap);
        b->cap = cap;
    }
    b->next = NULL;
    b->head = b->tail = 0;
    return b;
}

unsigned char *cgi_sendq_reserve(cgi_sendq *q, size_t size)
{
    size_t cost = cgi_sendq_cost(size);
    cgi_qblock *b = q->tail;
    /* A block of its own (cap beyond BLOCK_SIZE) holds one message only:
     * cgi_sendq_pop hands such a block over whole. */
    if (b == NULL || b->cap != BLOCK_SIZE || b->cap - b->tail < cost) {
        b = block_new(q, cost > BLOCK_SIZE ? cost : BLOCK_SIZE);
        if (q->tail != NULL)
            q->tail->next = b;
        else
            q->head = b;
        q->tail = b;
    }
    return b->data + b->tail + sizeof(entry_len);
}

void cgi_sendq_commit(cgi_sendq *q, size_t size)
{
    cgi_qblock *b = q->tail;
    entry_len n = size;
    memcpy(b->data + b->tail, &n, sizeof n);
    b->tail += cgi_sendq_cost(size);
    q->len++;
    q->bytes += cgi_sendq_cost(size);
}

/* Unlinks the drained head block, keeping one ordinary block for reuse. */
static void drop_head(cgi_sendq *q)
{
    cgi_qblock *b = q->head;
    q->head = b->next;
    if (q->head == NULL)
        q->tail = NULL;
    if (b->cap == BLOCK_SIZE && q->spare == NULL)
        q->spare = b;
    else
        free(b);
}

static void free_block(void *b)
{
    free(b);
}

bool cgi_sendq_pop(cgi_sendq *q, grpc_slice *out)
{
    cgi_qblock *b = q->head;
    while (b != NULL && b->head == b->tail) {
        drop_head(q); /* reserved but never committed */
        b = q->head;
    }
    if (b == NULL)
        return false;
    entry_len n;
    memcpy(&n, b->data + b->head, sizeof n);
    size_t size = (size_t)n, cost = cgi_sendq_cost(size);
    unsigned char *bytes = b->data + b->head + sizeof n;
    if (b->cap > BLOCK_SIZE) {
        /* A block of its own: the slice takes it over, with no copy. */
        q->head = b->next;
        if (q->head == NULL)
            q->tail = NULL;
        *out = grpc_slice_new_with_user_data(bytes, size, free_block, b);
    } else {
        *out = grpc_slice_malloc(size);
        memcpy(GRPC_SLICE_START_PTR(*out), bytes, size);
        b->head += cost;
        if (b->head == b->tail) {
            if (b == q->tail)
                b->head = b->tail = 0;
            else
                drop_head(q);
        }
    }
    q->len--;
    q->bytes -= cost;
    return true;
}
