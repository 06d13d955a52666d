/*
 * board_pb.h: the board (store_view) as a ClassBoard message, for the
 * Board and Watch calls.
 */
#ifndef CLASS_BOARD_PB_H
#define CLASS_BOARD_PB_H

#include <cgrpc.h>

#include "class/v1/class_service.pb-c.h"
#include "store.h"

/* Where the message's arrays and strings live: with ctx set, in the call's
 * memory (cg_alloc, for a unary response sent after the handler returns);
 * without, in heap blocks freed by board_pb_free, with strings pointing
 * into the view (for a cg_send, which copies before it returns). */
typedef struct board_pb_mem {
    cg_ctx *ctx;
    void **blocks;
    size_t n, cap;
} board_pb_mem;

void board_pb_fill(Tutorial__V1__ClassBoard *out, const store_view *v,
                   board_pb_mem *m);
void board_pb_free(board_pb_mem *m);

#endif /* CLASS_BOARD_PB_H */
