/*
 * codec.c: packing and unpacking messages (see codec.h).
 */
#include "codec.h"

#include <stdlib.h>
#include <string.h>

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

bool cgi_pack_size(const void *msg, const ProtobufCMessageDescriptor *desc,
                   size_t max, size_t *size, cg_status *err)
{
    *size = 0;
    if (!cgi_msg_is(msg, desc)) {
        *err = cgi_status(GRPC_STATUS_INTERNAL, "message is not a %s",
                          desc ? desc->name : "(no type)");
        return false;
    }
    *size = protobuf_c_message_get_packed_size(msg);
    if (max != 0 && *size > max) {
        *err = cgi_status(GRPC_STATUS_RESOURCE_EXHAUSTED,
                          "%s of %zu bytes is larger than the limit of %zu",
                          desc->name, *size, max);
        return false;
    }
    return true;
}

cg_status cgi_pack_failed(const void *msg)
{
    return cgi_status(GRPC_STATUS_INTERNAL, "packing %s failed",
                      ((const ProtobufCMessage *)msg)->descriptor->name);
}

cg_status cgi_encode(const void *msg, const ProtobufCMessageDescriptor *desc,
                     size_t max, grpc_byte_buffer **out)
{
    size_t size;
    cg_status st;
    *out = NULL;
    if (!cgi_pack_size(msg, desc, max, &size, &st))
        return st;
    /* One slice of the exact size: packing writes straight into it and the
     * byte buffer takes its own reference, so ours is dropped at once. */
    grpc_slice slice = grpc_slice_malloc(size);
    size_t packed = protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
    if (packed != size) {
        grpc_slice_unref(slice);
        return cgi_pack_failed(msg);
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
    /* Core 1.51 decompresses every received message before the application
     * sees it (the runtime never sets grpc.per_message_decompression to 0),
     * and its byte buffer reader only walks the slices: it does not
     * decompress. A buffer still marked compressed, or of a kind other than
     * raw slices, is therefore a bug upstream of here: refuse it by name
     * rather than unpack compressed bytes as if they were a message. */
    if (bb->type != GRPC_BB_RAW)
        return cgi_status(GRPC_STATUS_INTERNAL,
                          "%s arrived in a byte buffer of unknown kind %d",
                          desc->name, (int)bb->type);
    if (bb->data.raw.compression != GRPC_COMPRESS_NONE)
        return cgi_status(GRPC_STATUS_INTERNAL,
                          "%s arrived still compressed (algorithm %d)",
                          desc->name, (int)bb->data.raw.compression);

    const grpc_slice_buffer *sb = &bb->data.raw.slice_buffer;
    static const uint8_t nothing[1];
    const uint8_t *data = nothing;
    size_t len = 0;
    uint8_t *copy = NULL;
    if (sb->count == 1) {
        /* The usual case: the message arrived in one slice. Through a
         * pointer, not a copy: a small slice keeps its bytes inside the
         * grpc_slice struct itself. */
        data = GRPC_SLICE_START_PTR(sb->slices[0]);
        len = GRPC_SLICE_LENGTH(sb->slices[0]);
    } else if (sb->count > 1) {
        /* A large message in several slices: protobuf-c wants one
         * contiguous buffer, and the total is known up front. */
        len = grpc_byte_buffer_length(bb);
        copy = cgi_malloc(len);
        size_t off = 0;
        for (size_t i = 0; i < sb->count; i++) {
            size_t n = GRPC_SLICE_LENGTH(sb->slices[i]);
            if (n > 0)
                memcpy(copy + off, GRPC_SLICE_START_PTR(sb->slices[i]), n);
            off += n;
        }
        data = copy;
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
