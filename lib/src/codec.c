/*
 * codec.c: packing and unpacking messages (see codec.h).
 */
#include "codec.h"

#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>

#include "common.h"
#include "status.h"

bool cgi_msg_is(const void *msg, const ProtobufCMessageDescriptor *desc)
{
    if (msg == NULL || desc == NULL)
        return false;
    const ProtobufCMessage *m = msg;
    return m->descriptor == desc;
}

cg_status cgi_encode(const void *msg, const ProtobufCMessageDescriptor *desc,
                     size_t max, grpc_byte_buffer **out)
{
    *out = NULL;
    if (!cgi_msg_is(msg, desc))
        return cgi_status(GRPC_STATUS_INTERNAL,
                          "message is not a %s",
                          desc ? desc->name : "(no type)");
    size_t size = protobuf_c_message_get_packed_size(msg);
    if (max != 0 && size > max)
        return cgi_status(GRPC_STATUS_RESOURCE_EXHAUSTED,
                          "%s of %zu bytes is larger than the limit of %zu",
                          desc->name, size, max);
    /* One slice of the exact size: packing writes straight into it and the
     * byte buffer takes its own reference, so ours is dropped at once. */
    grpc_slice slice = grpc_slice_malloc(size);
    size_t packed = protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
    if (packed != size) {
        grpc_slice_unref(slice);
        return cgi_status(GRPC_STATUS_INTERNAL, "packing %s failed",
                          desc->name);
    }
    *out = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return cg_ok();
}

cg_status cgi_decode(grpc_byte_buffer *bb,
                     const ProtobufCMessageDescriptor *desc,
                     ProtobufCAllocator *alloc, void **out)
{
    *out = NULL;
    const uint8_t *data;
    size_t len;
    uint8_t *copy = NULL;

    if (bb->type == GRPC_BB_RAW &&
        bb->data.raw.compression == GRPC_COMPRESS_NONE &&
        bb->data.raw.slice_buffer.count <= 1) {
        /* The usual case: the message arrived in one slice (or is empty). */
        if (bb->data.raw.slice_buffer.count == 1) {
            /* Through a pointer, not a copy: a small slice keeps its bytes
             * inside the grpc_slice struct itself. */
            const grpc_slice *s = &bb->data.raw.slice_buffer.slices[0];
            data = GRPC_SLICE_START_PTR(*s);
            len = GRPC_SLICE_LENGTH(*s);
        } else {
            static const uint8_t nothing[1];
            data = nothing;
            len = 0;
        }
    } else {
        /* Several slices (a large message) or compressed: let the reader
         * decompress and gather the pieces into one buffer. */
        grpc_byte_buffer_reader reader;
        if (!grpc_byte_buffer_reader_init(&reader, bb))
            return cgi_status(GRPC_STATUS_INTERNAL,
                              "cannot decompress %s", desc->name);
        len = grpc_byte_buffer_length(bb);
        size_t cap = len, off = 0;
        copy = cgi_malloc(cap);
        grpc_slice s;
        while (grpc_byte_buffer_reader_next(&reader, &s)) {
            size_t n = GRPC_SLICE_LENGTH(s);
            if (off + n > cap) {
                /* Decompressed data may be longer than the wire length. */
                cap = (off + n) * 2;
                copy = cgi_realloc(copy, cap);
            }
            memcpy(copy + off, GRPC_SLICE_START_PTR(s), n);
            off += n;
            grpc_slice_unref(s);
        }
        grpc_byte_buffer_reader_destroy(&reader);
        data = copy;
        len = off;
    }

    /* protobuf-c copies strings and bytes out of the input, so the buffer
     * may go away as soon as unpacking returns. */
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, alloc, len, data);
    free(copy);
    if (m == NULL)
        return cgi_status(GRPC_STATUS_INTERNAL,
                          "malformed %s (%zu bytes cannot be parsed)",
                          desc->name, len);
    *out = m;
    return cg_ok();
}
