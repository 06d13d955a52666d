/*
 * fuzz_codec.c: the runtime's message codec (lib/src/codec.c) fed
 * arbitrary bytes as every message type of the course's protos
 * (proto/tutorial/v1).
 *
 * A server hands cgi_decode whatever a client sent, as a grpc_byte_buffer:
 * one slice, many slices, or compressed. Input layout (README.md, "codec"):
 *
 *   byte 0   message type: % 9 -> Request, Response, ChatMessage,
 *            FileChunk, UploadResponse, StreamRequest, Notification,
 *            GetUserRequest, User
 *   byte 1   bits 0-2  how the bytes arrive: 0 one slice; 1 many slices
 *                      (size from bits 4-7, plus one); 2 gzip-compressed
 *                      by the harness; 3 deflate-compressed by the
 *                      harness; 4 the bytes as gzip data; 5 the bytes as
 *                      deflate data; 6, 7 one slice
 *            bit 3     unpack into a call arena (as the server does)
 *                      instead of malloc
 *   rest     the message bytes
 *
 * Properties checked for every input:
 *  - decoding never crashes, and fails only with INTERNAL;
 *  - the way the bytes arrive changes nothing: many slices decode exactly
 *    like one slice (same success, same fields); a buffer still marked
 *    compressed is always refused as INTERNAL "... still compressed" (see
 *    the comment in LLVMFuzzerTestOneInput);
 *  - round trip: decode ok -> encode -> decode -> encode gives the same
 *    bytes twice and equal fields (unknown fields included); packing
 *    reports the size it wrote;
 *  - the size limit: encoding with max = size works, max = size - 1 gives
 *    RESOURCE_EXHAUSTED; encoding as another message type gives INTERNAL.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>
#include <zlib.h>

#include "arena.h"
#include "codec.h"
#include "tutorial/v1/chat_service.pb-c.h"
#include "tutorial/v1/file_service.pb-c.h"
#include "tutorial/v1/my_service.pb-c.h"
#include "tutorial/v1/notification_service.pb-c.h"
#include "tutorial/v1/user_service.pb-c.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ProtobufCMessageDescriptor *const types[] = {
    &tutorial__v1__request__descriptor,
    &tutorial__v1__response__descriptor,
    &tutorial__v1__chat_message__descriptor,
    &tutorial__v1__file_chunk__descriptor,
    &tutorial__v1__upload_response__descriptor,
    &tutorial__v1__stream_request__descriptor,
    &tutorial__v1__notification__descriptor,
    &tutorial__v1__get_user_request__descriptor,
    &tutorial__v1__user__descriptor,
};
#define N_TYPES (sizeof types / sizeof types[0])

static void fail_st(const char *what, const ProtobufCMessageDescriptor *d,
                    const cg_status *st)
{
    fprintf(stderr, "fuzz_codec: %s (%s)%s%s\n", what, d->name, st ? ": " : "",
            st ? st->message : "");
    abort();
}

static void fail(const char *what, const ProtobufCMessageDescriptor *d)
{
    fail_st(what, d, NULL);
}

/* ---- comparing two messages field by field ---------------------------- */

static bool equal_msg(const ProtobufCMessage *a, const ProtobufCMessage *b);

static size_t scalar_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    default:
        return 4; /* 32-bit integers, float, enum */
    }
}

static bool equal_value(const ProtobufCFieldDescriptor *f, const void *x,
                        const void *y)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)x, *t = *(char *const *)y;
        if (s == NULL || t == NULL)
            return s == t;
        return strcmp(s, t) == 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *s = x, *t = y;
        return s->len == t->len &&
               (s->len == 0 || memcmp(s->data, t->data, s->len) == 0);
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        return equal_msg(*(ProtobufCMessage *const *)x,
                         *(ProtobufCMessage *const *)y);
    default:
        return memcmp(x, y, scalar_size(f->type)) == 0;
    }
}

static bool equal_msg(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->descriptor != b->descriptor)
        return false;
    const ProtobufCMessageDescriptor *d = a->descriptor;
    const char *pa = (const char *)a, *pb = (const char *)b;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t na = *(const size_t *)(pa + f->quantifier_offset);
            size_t nb = *(const size_t *)(pb + f->quantifier_offset);
            if (na != nb)
                return false;
            const char *xa = *(char *const *)(pa + f->offset);
            const char *xb = *(char *const *)(pb + f->offset);
            size_t sz = scalar_size(f->type);
            for (size_t k = 0; k < na; k++)
                if (!equal_value(f, xa + k * sz, xb + k * sz))
                    return false;
            continue;
        }
        if (f->quantifier_offset != 0 &&
            memcmp(pa + f->quantifier_offset, pb + f->quantifier_offset,
                   (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                       ? sizeof(uint32_t)
                       : sizeof(protobuf_c_boolean)) != 0)
            return false;
        if (!equal_value(f, pa + f->offset, pb + f->offset))
            return false;
    }
    if (a->n_unknown_fields != b->n_unknown_fields)
        return false;
    for (unsigned i = 0; i < a->n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *u = &a->unknown_fields[i];
        const ProtobufCMessageUnknownField *v = &b->unknown_fields[i];
        if (u->tag != v->tag || u->wire_type != v->wire_type ||
            u->len != v->len ||
            (u->len > 0 && memcmp(u->data, v->data, u->len) != 0))
            return false;
    }
    return true;
}

/* protobuf-c 1.4.1 accepts field number 0 when the tag takes more than one
 * byte (80 00 ...) and keeps it as an unknown field; packing writes it back
 * as the single byte 00, which it then refuses to unpack. Such messages
 * cannot round-trip through protobuf-c; the runtime only passes them on.
 * (Known upstream behaviour, see README.md; the other checks still run.) */
static bool has_tag_zero(const ProtobufCMessage *m)
{
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        if (m->unknown_fields[i].tag == 0)
            return true;
    return false;
}

/* ---- byte buffers the way the core may deliver them ------------------- */

static grpc_byte_buffer *one_slice(const uint8_t *p, size_t n)
{
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)p, n);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

static grpc_byte_buffer *many_slices(const uint8_t *p, size_t n, size_t piece)
{
    size_t count = n / piece + 1;
    grpc_slice *s = malloc(count * sizeof *s);
    size_t k = 0;
    for (size_t off = 0; off < n; off += piece) {
        size_t len = n - off < piece ? n - off : piece;
        s[k++] = grpc_slice_from_copied_buffer((const char *)p + off, len);
    }
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(s, k);
    for (size_t i = 0; i < k; i++)
        grpc_slice_unref(s[i]);
    free(s);
    return bb;
}

static grpc_byte_buffer *compressed(const uint8_t *p, size_t n,
                                    grpc_compression_algorithm alg)
{
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)p, n);
    grpc_byte_buffer *bb = grpc_raw_compressed_byte_buffer_create(&s, 1, alg);
    grpc_slice_unref(s);
    return bb;
}

/* Compresses p[0..n) as gzip (window bits 15 + 16) or zlib-wrapped deflate,
 * the two formats gRPC's "gzip" and "deflate" encodings mean. */
static grpc_byte_buffer *zip(const uint8_t *p, size_t n, bool gzip)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, gzip ? 31 : 15, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t cap = deflateBound(&z, (uLong)n) + 32;
    uint8_t *out = malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    grpc_byte_buffer *bb = compressed(
        out, z.total_out, gzip ? GRPC_COMPRESS_GZIP : GRPC_COMPRESS_DEFLATE);
    deflateEnd(&z);
    free(out);
    return bb;
}

/* The bytes of a byte buffer, gathered (for comparing encodings). */
static uint8_t *flatten(grpc_byte_buffer *bb, size_t *len)
{
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb))
        abort();
    grpc_slice all = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    *len = GRPC_SLICE_LENGTH(all);
    uint8_t *out = malloc(*len ? *len : 1);
    memcpy(out, GRPC_SLICE_START_PTR(all), *len);
    grpc_slice_unref(all);
    return out;
}

/* ---- the properties ----------------------------------------------------- */

/* Decodes bb as d with malloc or an arena; frees bb. */
static cg_status decode(grpc_byte_buffer *bb,
                        const ProtobufCMessageDescriptor *d, cgi_arena *arena,
                        void **out)
{
    cg_status st = cgi_decode(bb, d, arena ? cgi_arena_pbc(arena) : NULL, out);
    grpc_byte_buffer_destroy(bb);
    if (st.code != GRPC_STATUS_OK && st.code != GRPC_STATUS_INTERNAL)
        fail("decoding failed with a code other than INTERNAL", d);
    if ((st.code == GRPC_STATUS_OK) != (*out != NULL))
        fail("decode's status and result disagree", d);
    return st;
}

static void release(void *msg, cgi_arena *arena)
{
    if (msg != NULL && arena == NULL)
        protobuf_c_message_free_unpacked(msg, NULL);
}

static void round_trip(const ProtobufCMessage *m1,
                       const ProtobufCMessageDescriptor *d)
{
    grpc_byte_buffer *e1;
    if (cgi_encode(m1, d, 0, &e1).code != GRPC_STATUS_OK)
        fail("encoding a decoded message failed", d);
    size_t n1;
    uint8_t *b1 = flatten(e1, &n1);

    /* The size limit, on both sides of the exact size. */
    grpc_byte_buffer *bb;
    if (cgi_encode(m1, d, n1 ? n1 : 1, &bb).code != GRPC_STATUS_OK)
        fail("encoding at exactly the size limit failed", d);
    grpc_byte_buffer_destroy(bb);
    if (n1 > 1) {
        cg_status st = cgi_encode(m1, d, n1 - 1, &bb);
        if (st.code != GRPC_STATUS_RESOURCE_EXHAUSTED || bb != NULL)
            fail("a message one byte over the limit was not refused", d);
    }
    /* Another type's descriptor is refused, never packed. */
    const ProtobufCMessageDescriptor *other =
        d == types[0] ? types[1] : types[0];
    if (cgi_encode(m1, other, 0, &bb).code != GRPC_STATUS_INTERNAL ||
        bb != NULL)
        fail("encoding with the wrong descriptor was not refused", d);

    void *m2;
    if (decode(e1, d, NULL, &m2).code != GRPC_STATUS_OK)
        fail("the runtime's own encoding does not decode", d);
    if (!equal_msg(m1, m2))
        fail("decode(encode(m)) differs from m", d);
    grpc_byte_buffer *e2;
    if (cgi_encode(m2, d, 0, &e2).code != GRPC_STATUS_OK)
        fail("encoding the round-tripped message failed", d);
    size_t n2;
    uint8_t *b2 = flatten(e2, &n2);
    grpc_byte_buffer_destroy(e2);
    if (n1 != n2 || (n1 > 0 && memcmp(b1, b2, n1) != 0))
        fail("encode(decode(encode(m))) differs from encode(m)", d);
    free(b1);
    free(b2);
    protobuf_c_message_free_unpacked(m2, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const ProtobufCMessageDescriptor *d = types[data[0] % N_TYPES];
    unsigned layout = data[1] & 7;
    bool use_arena = data[1] & 8;
    size_t piece = (size_t)(data[1] >> 4) + 1;
    const uint8_t *p = data + 2;
    size_t n = size - 2;

    /* The reference: one slice, malloc. */
    void *ref;
    cg_status st_ref = decode(one_slice(p, n), d, NULL, &ref);

    cgi_arena arena;
    cgi_arena_init(&arena, NULL, 0);
    cgi_arena *a = use_arena ? &arena : NULL;
    grpc_byte_buffer *bb;
    bool same_outcome = true; /* must this layout decode like one slice? */
    bool refused = false;     /* must this layout be refused? */
    switch (layout) {
    case 1:
        bb = many_slices(p, n, piece);
        break;
    /* Compressed buffers: gRPC core 1.51 decompresses messages before an
     * application sees them, and its byte buffer reader does not, so such
     * a buffer reaching the codec is a bug upstream: cgi_decode refuses it
     * whatever its bytes, never unpacks them as they are. */
    case 2:
        bb = zip(p, n, true);
        same_outcome = false;
        refused = true;
        break;
    case 3:
        bb = zip(p, n, false);
        same_outcome = false;
        refused = true;
        break;
    case 4:
        bb = compressed(p, n, GRPC_COMPRESS_GZIP);
        same_outcome = false;
        refused = true;
        break;
    case 5:
        bb = compressed(p, n, GRPC_COMPRESS_DEFLATE);
        same_outcome = false;
        refused = true;
        break;
    default:
        bb = one_slice(p, n);
        break;
    }
    void *got;
    cg_status st_got = decode(bb, d, a, &got);
    if (refused && (got != NULL || st_got.code != GRPC_STATUS_INTERNAL ||
                    strstr(st_got.message, "still compressed") == NULL))
        fail_st("a buffer still marked compressed was not refused", d, &st_got);
    if (same_outcome) {
        if ((ref == NULL) != (got == NULL))
            fail_st("the same bytes decode differently by how they arrive", d,
                    ref ? &st_got : &st_ref);
        if (ref != NULL && !equal_msg(ref, got))
            fail("the same bytes give different fields by how they arrive", d);
    }
    if (got != NULL && !has_tag_zero(got))
        round_trip(got, d);
    release(got, a);
    release(ref, NULL);
    cgi_arena_free(&arena);
    return 0;
}

static void stop_grpc(void)
{
    grpc_shutdown();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Slices and byte buffers work without it, but decompression and the
     * core's allocators are set up by grpc_init. */
    grpc_init();
    atexit(stop_grpc);
    return 0;
}
