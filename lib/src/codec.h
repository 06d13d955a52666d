/*
 * codec.h: protobuf-c messages to and from the core's byte buffers.
 *
 * The core moves messages as grpc_byte_buffer: a list of slices, owned by
 * whoever holds the pointer. Encoding packs a message into one slice of the
 * exact size; decoding unpacks from the slice directly when the message came
 * in one piece and copies the pieces together first when it did not. Both
 * directions report problems as a status (wrong message type, too large,
 * corrupt bytes) and never crash on bad input.
 */
#ifndef CGRPC_CODEC_H
#define CGRPC_CODEC_H

#include <stdbool.h>

#include <grpc/byte_buffer.h>

#include "cgrpc.h"

/* True when `msg` is a protobuf-c message of type `desc`. */
bool cgi_msg_is(const void *msg, const ProtobufCMessageDescriptor *desc);

/* Packs `msg` (checked to be of type `desc`) into a new byte buffer in *out
 * (the caller destroys it). `max` = largest allowed size, 0 = no limit.
 * Errors: INTERNAL for a wrong or NULL message, RESOURCE_EXHAUSTED when
 * larger than max. */
cg_status cgi_encode(const void *msg, const ProtobufCMessageDescriptor *desc,
                     size_t max, grpc_byte_buffer **out);

/* The parts of cgi_encode, for the send path of streams, which builds no
 * status unless something fails: the checks, with the packed size of
 * `msg` in *size (false: the error in *err, as cgi_encode reports it).
 * The caller packs (protobuf_c_message_pack) and checks the count it
 * returns; cgi_pack_failed(msg) describes a count that differs. */
bool cgi_pack_size(const void *msg, const ProtobufCMessageDescriptor *desc,
                   size_t max, size_t *size, cg_status *err);
cg_status cgi_pack_failed(const void *msg);

/* Unpacks `bb` (kept by the caller) as a `desc` message allocated through
 * `alloc` (NULL = malloc; free with protobuf_c_message_free_unpacked).
 * Errors: INTERNAL for bytes that are not a valid `desc`, and for a buffer
 * still marked compressed (gRPC core decompresses before the application
 * sees a message, so such a buffer is a bug upstream). */
cg_status cgi_decode(grpc_byte_buffer *bb,
                     const ProtobufCMessageDescriptor *desc,
                     ProtobufCAllocator *alloc, void **out);

#endif
