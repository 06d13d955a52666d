/*
 * bufs.c: the tests' own byte buffer helpers (see bufs.h).
 */
#include "bufs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>

static grpc_byte_buffer *from_pieces(const uint8_t *data, const size_t *start,
                                     const size_t *end, size_t n)
{
    grpc_slice *slices = calloc(n ? n : 1, sizeof *slices);
    for (size_t i = 0; i < n; i++) {
        /* malloc_large: a slice of its own even when small. The core
         * would pack small (inlined) slices together into one. */
        slices[i] = grpc_slice_malloc_large(end[i] - start[i]);
        if (end[i] > start[i])
            memcpy(GRPC_SLICE_START_PTR(slices[i]), data + start[i],
                   end[i] - start[i]);
    }
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(slices, n);
    for (size_t i = 0; i < n; i++)
        grpc_slice_unref(slices[i]); /* the buffer holds its own references */
    free(slices);
    return bb;
}

grpc_byte_buffer *bufs_chunked(const void *data, size_t len, size_t chunk)
{
    if (chunk == 0 || chunk > len)
        chunk = len ? len : 1;
    size_t n = (len + chunk - 1) / chunk;
    size_t *start = calloc(n ? n : 1, sizeof *start);
    size_t *end = calloc(n ? n : 1, sizeof *end);
    for (size_t i = 0; i < n; i++) {
        start[i] = i * chunk;
        end[i] = start[i] + chunk < len ? start[i] + chunk : len;
    }
    grpc_byte_buffer *bb = from_pieces(data, start, end, n);
    free(start);
    free(end);
    return bb;
}

grpc_byte_buffer *bufs_cut(const void *data, size_t len, const size_t *cuts,
                           size_t n)
{
    size_t start[64], end[64];
    if (n + 1 > sizeof start / sizeof start[0])
        return NULL;
    size_t from = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t to = i < n ? cuts[i] : len;
        start[i] = from;
        end[i] = to;
        from = to;
    }
    return from_pieces(data, start, end, n + 1);
}

uint8_t *bufs_flatten(grpc_byte_buffer *bb, size_t *len)
{
    grpc_byte_buffer_reader reader;
    grpc_byte_buffer_reader_init(&reader, bb);
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    *len = GRPC_SLICE_LENGTH(all);
    uint8_t *out = malloc(*len ? *len : 1);
    memcpy(out, GRPC_SLICE_START_PTR(all), *len);
    grpc_slice_unref(all);
    return out;
}

size_t bufs_slice_count(const grpc_byte_buffer *bb)
{
    return bb ? bb->data.raw.slice_buffer.count : 0;
}

const char *bufs_hex(const void *b, size_t n, char *out, size_t cap)
{
    const uint8_t *p = b;
    size_t used = 0;
    snprintf(out, cap, "(nothing)");
    for (size_t i = 0; i < n && i < 20 && used + 4 < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%02x", i ? " " : "",
                                 p[i]);
    if (n > 20 && used + 5 < cap)
        snprintf(out + used, cap - used, " ...");
    return out;
}
