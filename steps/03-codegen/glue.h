/*
 * glue.h: protobuf-c messages in and out of gRPC core's byte buffers
 * (given; you write glue.c).
 *
 * gRPC core never sees a message struct. It sends and receives bytes, held
 * in a grpc_byte_buffer: a list of slices (grpc_slice, a reference-counted
 * piece of memory), owned by whoever holds the pointer. A message that
 * arrives from the network is usually split over several slices, wherever
 * the network happened to cut it. These functions are the glue between
 * the two worlds, the code every generated stub and the runtime stand on:
 *
 *     message struct --glue_encode--> grpc_byte_buffer --(core sends it)
 *     (core received) grpc_byte_buffer --glue_decode--> message struct
 *
 * The APIs used: grpc/slice.h, grpc/byte_buffer.h, grpc/byte_buffer_reader.h,
 * and protobuf-c's generic protobuf_c_message_* functions (they work on any
 * message, given its descriptor). Call grpc_init() before using these.
 * The lesson: docs/en/steps/03-codegen.md#exercise-3-the-glue
 */
#ifndef STEP03_GLUE_H
#define STEP03_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include <grpc/byte_buffer.h>
#include <protobuf-c/protobuf-c.h>

/* gRPC's default limit on a received message: 4 MiB. */
#define GLUE_DEFAULT_MAX (4u * 1024u * 1024u)

/* Results of glue_read_all and glue_decode. */
enum glue_status {
    GLUE_OK = 0,
    GLUE_ERR_ARGS = -1,      /* a NULL argument */
    GLUE_ERR_TOO_LARGE = -2, /* the message is longer than the limit */
    GLUE_ERR_MALFORMED = -3, /* the bytes are not a valid message of the type */
    GLUE_ERR_READ = -4,      /* the core could not read the buffer */
};

/*
 * Serialises `msg` (any protobuf-c message: pass &m.base) into a new byte
 * buffer holding ONE slice of exactly the packed size, with no gRPC prefix
 * (the core adds that when it sends). A message whose fields all hold their
 * defaults gives a valid buffer of 0 bytes. Returns NULL when msg is NULL.
 * The caller owns the result and frees it with grpc_byte_buffer_destroy().
 * Nothing else stays allocated: the buffer holds the only reference to its
 * slice.
 */
grpc_byte_buffer *glue_encode(const ProtobufCMessage *msg);

/*
 * Copies the bytes of `bb`, slice after slice, into one new malloc'd block.
 * On GLUE_OK, *data (OUT) is the block (free it with free()) and *len (OUT)
 * its length; for a buffer of 0 bytes, *len is 0 and *data is NULL. Empty
 * slices may appear anywhere and add nothing. bb stays the caller's and is
 * unchanged: it can be read again. Returns GLUE_OK, GLUE_ERR_ARGS (bb, data
 * or len NULL), or GLUE_ERR_READ (the core's reader refused bb); on an
 * error *data is NULL and *len 0 (where they are not NULL).
 */
int glue_read_all(grpc_byte_buffer *bb, uint8_t **data, size_t *len);

/*
 * Parses `bb` as a message of the type `desc` describes (for instance
 * &tutorial__v1__request__descriptor). `max_len` is the largest message
 * accepted, in bytes (0 = no limit); a longer one is refused before any
 * byte of it is copied. A buffer of 0 bytes is a valid message: the one
 * with every field at its default.
 * On GLUE_OK, *out (OUT) is a new message that owns all its memory: free it
 * with protobuf_c_message_free_unpacked(*out, NULL). Otherwise *out is NULL
 * and the result is GLUE_ERR_ARGS (bb, desc or out NULL; *out untouched if
 * out is NULL), GLUE_ERR_TOO_LARGE, GLUE_ERR_MALFORMED (bytes that are not a
 * valid message of that type: truncated, impossible tags, wrong wire
 * types), or GLUE_ERR_READ. bb stays the caller's; nothing leaks on any path.
 */
int glue_decode(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc,
                size_t max_len, ProtobufCMessage **out);

#endif
