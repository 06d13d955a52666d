/*
 * bufs.h: byte buffers made and read the tests' own way, so that each
 * exercise is checked on its own: the decode tests never depend on your
 * glue_encode, and the encode tests read buffers back without your
 * glue_read_all.
 *
 * Buffers are built the way the network delivers them: the same bytes cut
 * into several slices at chosen places. Every slice is a copy of its
 * piece; the returned buffer holds the only reference to each, so
 * grpc_byte_buffer_destroy frees everything.
 */
#ifndef STEP03_BUFS_H
#define STEP03_BUFS_H

#include <stddef.h>
#include <stdint.h>

#include <grpc/byte_buffer.h>

/* data[0..len) as slices of `chunk` bytes each (the last may be shorter);
 * chunk 0 means one slice. len 0 gives a buffer of no slices at all. */
grpc_byte_buffer *bufs_chunked(const void *data, size_t len, size_t chunk);

/* data[0..len) cut at the offsets cuts[0..n) (ascending, each <= len):
 * n + 1 slices, some possibly empty. */
grpc_byte_buffer *bufs_cut(const void *data, size_t len, const size_t *cuts,
                           size_t n);

/* The bytes of bb in one malloc'd block (at least 1 byte long), length in
 * *len. Uses the core's reader; bb is left as it was. */
uint8_t *bufs_flatten(grpc_byte_buffer *bb, size_t *len);

/* How many slices bb holds (0 for NULL). */
size_t bufs_slice_count(const grpc_byte_buffer *bb);

/* "0a 08 74 ...": at most the first 20 bytes of b[0..n), into out. */
const char *bufs_hex(const void *b, size_t n, char *out, size_t cap);

#endif
