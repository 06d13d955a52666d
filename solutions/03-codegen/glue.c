/*
 * glue.c: exercise 3, protobuf-c messages in and out of gRPC byte buffers
 * (contracts in glue.h). Test: `make test` here; suites glue, decode.
 * Lesson: docs/en/steps/03-codegen.md#exercise-3-the-glue
 */
#include "glue.h"

#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>

grpc_byte_buffer *glue_encode(const ProtobufCMessage *msg)
{
    if (msg == NULL)
        return NULL;
    size_t size = protobuf_c_message_get_packed_size(msg);
    grpc_slice slice = grpc_slice_malloc(size);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
    /* The buffer takes a reference of its own; drop ours, or the slice
     * outlives the buffer (a leak as large as the message). */
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return bb;
}

int glue_read_all(grpc_byte_buffer *bb, uint8_t **data, size_t *len)
{
    if (data != NULL)
        *data = NULL;
    if (len != NULL)
        *len = 0;
    if (bb == NULL || data == NULL || len == NULL)
        return GLUE_ERR_ARGS;

    size_t total = grpc_byte_buffer_length(bb);
    if (total == 0)
        return GLUE_OK;

    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, bb))
        return GLUE_ERR_READ;
    uint8_t *out = malloc(total);
    if (out == NULL) {
        grpc_byte_buffer_reader_destroy(&reader);
        return GLUE_ERR_READ;
    }
    size_t off = 0;
    grpc_slice s;
    int ok = 1;
    while (ok && grpc_byte_buffer_reader_next(&reader, &s)) {
        size_t n = GRPC_SLICE_LENGTH(s);
        /* More bytes than the buffer said it had (a compressed buffer the
         * reader inflated): refuse rather than write past `out`. */
        ok = n <= total - off;
        if (ok) {
            memcpy(out + off, GRPC_SLICE_START_PTR(s), n);
            off += n;
        }
        /* The reader hands out a reference to each slice: drop it. */
        grpc_slice_unref(s);
    }
    grpc_byte_buffer_reader_destroy(&reader);
    if (!ok) {
        free(out);
        return GLUE_ERR_READ;
    }
    *data = out;
    *len = off;
    return GLUE_OK;
}

int glue_decode(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc,
                size_t max_len, ProtobufCMessage **out)
{
    if (out == NULL)
        return GLUE_ERR_ARGS;
    *out = NULL;
    if (bb == NULL || desc == NULL)
        return GLUE_ERR_ARGS;
    /* The length is known without reading: refuse a huge message before
     * copying a byte of it. */
    if (max_len != 0 && grpc_byte_buffer_length(bb) > max_len)
        return GLUE_ERR_TOO_LARGE;

    uint8_t *data;
    size_t len;
    int rc = glue_read_all(bb, &data, &len);
    if (rc != GLUE_OK)
        return rc;
    static const uint8_t nothing[1];
    /* protobuf-c copies strings and bytes out of its input, so the copy
     * can go as soon as unpacking returns, whatever the outcome. */
    ProtobufCMessage *msg =
        protobuf_c_message_unpack(desc, NULL, len, data ? data : nothing);
    free(data);
    if (msg == NULL)
        return GLUE_ERR_MALFORMED;
    *out = msg;
    return GLUE_OK;
}
