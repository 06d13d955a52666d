/*
 * test_basics.c: the runtime's building blocks on their own: status values,
 * the arena, the message codec and metadata checks.
 */
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>

#include "arena.h"
#include "codec.h"
#include "metadata.h"
#include "rt_util.h"
#include "sendq.h"
#include "status.h"

/* ---- status ---------------------------------------------------------- */

static void test_status_ok_is_empty(void **state)
{
    (void)state;
    cg_status st = cg_ok();
    assert_int_equal(st.code, GRPC_STATUS_OK);
    assert_string_equal(st.message, "");
}

static void test_status_error_formats(void **state)
{
    (void)state;
    cg_status st =
        cg_error(NULL, GRPC_STATUS_NOT_FOUND, "user %s #%d", "ann", 7);
    assert_int_equal(st.code, GRPC_STATUS_NOT_FOUND);
    assert_string_equal(st.message, "user ann #7");
}

static void test_status_long_message_cut_on_utf8_boundary(void **state)
{
    (void)state;
    /* 254 ASCII bytes then a 3-byte character: only 255 bytes fit, so
     * the character must go whole. */
    char text[400];
    memset(text, 'a', 254);
    strcpy(text + 254, "\xe2\x82\xac tail");
    cg_status st = cg_error(NULL, GRPC_STATUS_INTERNAL, "%s", text);
    assert_int_equal(strlen(st.message), 254);
    st = cg_error(NULL, GRPC_STATUS_INTERNAL, "%.252s%s", text, "\xe2\x82\xac");
    assert_int_equal(strlen(st.message), 255);
    assert_memory_equal(st.message + 252, "\xe2\x82\xac", 3);
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(cg_status_name(GRPC_STATUS_OK), "OK");
    assert_string_equal(cg_status_name(GRPC_STATUS_NOT_FOUND), "NOT_FOUND");
    assert_string_equal(cg_status_name(GRPC_STATUS_UNAUTHENTICATED),
                        "UNAUTHENTICATED");
    assert_string_equal(cg_status_name((grpc_status_code)99), "UNKNOWN_CODE");
    assert_string_equal(cg_status_name((grpc_status_code)-1), "UNKNOWN_CODE");
}

/* ---- arena ----------------------------------------------------------- */

static void test_arena_small_allocations_stay_inline(void **state)
{
    (void)state;
    alignas(max_align_t) char first[512];
    cgi_arena a;
    cgi_arena_init(&a, first, sizeof first);
    for (int i = 0; i < 10; i++) {
        char *p = cgi_arena_alloc(&a, 13);
        assert_true((uintptr_t)p % alignof(max_align_t) == 0);
        assert_true(p >= first && p < first + sizeof first);
        for (int j = 0; j < 13; j++)
            assert_int_equal(p[j], 0);
        memset(p, 0xab, 13);
    }
    assert_int_equal(cgi_arena_blocks(&a), 0);
    cgi_arena_free(&a);
}

static void test_arena_grows_and_resets(void **state)
{
    (void)state;
    cgi_arena a;
    cgi_arena_init(&a, NULL, 0);
    char *big = cgi_arena_alloc(&a, 100000); /* a block of its own */
    memset(big, 1, 100000);
    for (int i = 0; i < 1000; i++)
        memset(cgi_arena_alloc(&a, 100), 2, 100);
    assert_true(cgi_arena_blocks(&a) >= 2);
    char *s = cgi_arena_strndup(&a, "hello world", 5);
    assert_string_equal(s, "hello");
    cgi_arena_reset(&a);
    assert_int_equal(cgi_arena_blocks(&a), 0);
    assert_non_null(cgi_arena_alloc(&a, 8));
    cgi_arena_free(&a);
}

static void test_arena_ctx_helpers(void **state)
{
    (void)state;
    cg_ctx *ctx = cg_test_ctx_new(rt_m(RT_ECHO), NULL);
    assert_string_equal(cg_strdup(ctx, "abc"), "abc");
    assert_string_equal(cg_strdup(ctx, NULL), "");
    assert_string_equal(cg_printf(ctx, "%d-%s", 12, "x"), "12-x");
    Rt__Msg *m = cg_message_new(ctx, &rt__msg__descriptor);
    assert_ptr_equal(m->base.descriptor, &rt__msg__descriptor);
    assert_string_equal(m->text, "");
    char *z = cg_alloc(ctx, 64);
    for (int i = 0; i < 64; i++)
        assert_int_equal(z[i], 0);
    cg_test_ctx_free(ctx);
}

/* ---- codec ----------------------------------------------------------- */

static void test_codec_round_trip(void **state)
{
    (void)state;
    Rt__Msg in = rt_msg("round", 5);
    in.big = -123456789012345;
    grpc_byte_buffer *bb;
    assert_status(cgi_encode(&in, &rt__msg__descriptor, 0, &bb),
                  GRPC_STATUS_OK);
    void *out;
    assert_status(cgi_decode(bb, &rt__msg__descriptor, NULL, &out),
                  GRPC_STATUS_OK);
    Rt__Msg *m = out;
    assert_string_equal(m->text, "round");
    assert_int_equal(m->num, 5);
    assert_true(m->big == -123456789012345);
    rt__msg__free_unpacked(m, NULL);
    grpc_byte_buffer_destroy(bb);
}

static void test_codec_empty_message(void **state)
{
    (void)state;
    Rt__Msg in = RT__MSG__INIT;
    grpc_byte_buffer *bb;
    assert_status(cgi_encode(&in, &rt__msg__descriptor, 0, &bb),
                  GRPC_STATUS_OK);
    assert_int_equal(grpc_byte_buffer_length(bb), 0);
    void *out;
    assert_status(cgi_decode(bb, &rt__msg__descriptor, NULL, &out),
                  GRPC_STATUS_OK);
    assert_string_equal(((Rt__Msg *)out)->text, "");
    rt__msg__free_unpacked(out, NULL);
    grpc_byte_buffer_destroy(bb);

    /* A byte buffer with no slices at all is an empty message too. */
    bb = grpc_raw_byte_buffer_create(NULL, 0);
    assert_status(cgi_decode(bb, &rt__msg__descriptor, NULL, &out),
                  GRPC_STATUS_OK);
    rt__msg__free_unpacked(out, NULL);
    grpc_byte_buffer_destroy(bb);
}

static void test_codec_multi_slice_buffer(void **state)
{
    (void)state;
    Rt__Msg in = rt_msg("split across slices", 77);
    size_t n = protobuf_c_message_get_packed_size(&in.base);
    uint8_t *bytes = malloc(n);
    protobuf_c_message_pack(&in.base, bytes);
    /* Cut the bytes into 1-byte slices: the worst case for the decoder. */
    grpc_slice *slices = malloc(n * sizeof *slices);
    for (size_t i = 0; i < n; i++)
        slices[i] = grpc_slice_from_copied_buffer((char *)bytes + i, 1);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(slices, n);
    for (size_t i = 0; i < n; i++)
        grpc_slice_unref(slices[i]);
    void *out;
    assert_status(cgi_decode(bb, &rt__msg__descriptor, NULL, &out),
                  GRPC_STATUS_OK);
    assert_string_equal(((Rt__Msg *)out)->text, "split across slices");
    assert_int_equal(((Rt__Msg *)out)->num, 77);
    rt__msg__free_unpacked(out, NULL);
    grpc_byte_buffer_destroy(bb);
    free(slices);
    free(bytes);
}

/* A large message in slices of uneven sizes, empty ones among them, is
 * gathered in order into exactly the bytes that were packed. */
static void test_codec_gathers_uneven_slices(void **state)
{
    (void)state;
    enum { BLOB = 70000 };
    uint8_t *blob = malloc(BLOB);
    for (size_t i = 0; i < BLOB; i++)
        blob[i] = (uint8_t)(i * 7 + i / 251);
    Rt__Msg in = rt_msg("uneven", 9);
    in.blob.data = blob;
    in.blob.len = BLOB;
    size_t n = protobuf_c_message_get_packed_size(&in.base);
    uint8_t *bytes = malloc(n);
    protobuf_c_message_pack(&in.base, bytes);

    static const size_t sizes[] = {0, 1, 3, 0, 4096, 17, 0, 30000};
    grpc_slice slices[sizeof sizes / sizeof sizes[0] + 1];
    size_t k = 0, off = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        slices[k++] =
            grpc_slice_from_copied_buffer((char *)bytes + off, sizes[i]);
        off += sizes[i];
    }
    slices[k++] = grpc_slice_from_copied_buffer((char *)bytes + off, n - off);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(slices, k);
    for (size_t i = 0; i < k; i++)
        grpc_slice_unref(slices[i]);
    assert_int_equal(grpc_byte_buffer_length(bb), n);

    void *out;
    assert_status(cgi_decode(bb, &rt__msg__descriptor, NULL, &out),
                  GRPC_STATUS_OK);
    Rt__Msg *m = out;
    assert_string_equal(m->text, "uneven");
    assert_int_equal(m->num, 9);
    assert_int_equal(m->blob.len, BLOB);
    assert_memory_equal(m->blob.data, blob, BLOB);
    rt__msg__free_unpacked(m, NULL);
    grpc_byte_buffer_destroy(bb);
    free(bytes);
    free(blob);
}

/* Core 1.51 decompresses messages before the application sees them, so a
 * buffer still marked compressed must be refused, never unpacked as is:
 * here the bytes are a valid rt.Msg, which unpacking would accept. */
static void test_codec_refuses_a_buffer_still_compressed(void **state)
{
    (void)state;
    Rt__Msg in = rt_msg("looks fine", 4);
    size_t n = protobuf_c_message_get_packed_size(&in.base);
    uint8_t bytes[64];
    assert_true(n <= sizeof bytes && n > 2);
    protobuf_c_message_pack(&in.base, bytes);

    static const grpc_compression_algorithm algs[] = {GRPC_COMPRESS_GZIP,
                                                      GRPC_COMPRESS_DEFLATE};
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        /* One slice for gzip, two for deflate: both paths are checked. */
        grpc_slice s[2];
        size_t count = i == 0 ? 1 : 2;
        size_t cut = count == 1 ? n : n / 2;
        s[0] = grpc_slice_from_copied_buffer((char *)bytes, cut);
        s[1] = grpc_slice_from_copied_buffer((char *)bytes + cut, n - cut);
        grpc_byte_buffer *bb =
            grpc_raw_compressed_byte_buffer_create(s, count, algs[i]);
        grpc_slice_unref(s[0]);
        grpc_slice_unref(s[1]);

        void *out = (void *)1;
        cg_status st = cgi_decode(bb, &rt__msg__descriptor, NULL, &out);
        assert_status(st, GRPC_STATUS_INTERNAL);
        assert_null(out);
        char want[96];
        snprintf(want, sizeof want,
                 "rt.Msg arrived still compressed (algorithm %d)",
                 (int)algs[i]);
        assert_string_equal(st.message, want);
        grpc_byte_buffer_destroy(bb);
    }
}

/* A byte buffer of a kind other than raw slices (core 1.51 has no other)
 * is refused without reading its contents. */
static void test_codec_refuses_an_unknown_buffer_kind(void **state)
{
    (void)state;
    grpc_byte_buffer fake;
    memset(&fake, 0, sizeof fake);
    fake.type = (grpc_byte_buffer_type)(GRPC_BB_RAW + 1);
    void *out = (void *)1;
    cg_status st = cgi_decode(&fake, &rt__msg__descriptor, NULL, &out);
    assert_status(st, GRPC_STATUS_INTERNAL);
    assert_null(out);
    char want[96];
    snprintf(want, sizeof want,
             "rt.Msg arrived in a byte buffer of unknown kind %d",
             (int)GRPC_BB_RAW + 1);
    assert_string_equal(st.message, want);
}

static void test_codec_corrupt_bytes_are_an_error(void **state)
{
    (void)state;
    static const char *bad[] = {
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", /* endless varint */
        "\x0a\x50short",                                /* length past end */
        "\x0f",                                         /* wire type 7 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        grpc_slice s = grpc_slice_from_copied_string(bad[i]);
        grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
        grpc_slice_unref(s);
        void *out = (void *)1;
        cg_status st = cgi_decode(bb, &rt__msg__descriptor, NULL, &out);
        assert_status(st, GRPC_STATUS_INTERNAL);
        assert_null(out);
        assert_non_null(strstr(st.message, "rt.Msg"));
        grpc_byte_buffer_destroy(bb);
    }
}

static void test_codec_wrong_type_and_size_limit(void **state)
{
    (void)state;
    Rt__Other other = RT__OTHER__INIT;
    grpc_byte_buffer *bb = NULL;
    assert_status(cgi_encode(&other, &rt__msg__descriptor, 0, &bb),
                  GRPC_STATUS_INTERNAL);
    assert_null(bb);
    assert_status(cgi_encode(NULL, &rt__msg__descriptor, 0, &bb),
                  GRPC_STATUS_INTERNAL);
    Rt__Msg in = rt_msg("0123456789", 1);
    assert_status(cgi_encode(&in, &rt__msg__descriptor, 5, &bb),
                  GRPC_STATUS_RESOURCE_EXHAUSTED);
    assert_null(bb);
    assert_status(cgi_encode(&in, &rt__msg__descriptor, 100, &bb),
                  GRPC_STATUS_OK);
    grpc_byte_buffer_destroy(bb);
}

static void test_codec_decode_into_arena(void **state)
{
    (void)state;
    Rt__Msg in = rt_msg("in the arena", 3);
    grpc_byte_buffer *bb;
    assert_status(cgi_encode(&in, &rt__msg__descriptor, 0, &bb),
                  GRPC_STATUS_OK);
    cgi_arena a;
    cgi_arena_init(&a, NULL, 0);
    void *out;
    assert_status(cgi_decode(bb, &rt__msg__descriptor, cgi_arena_pbc(&a), &out),
                  GRPC_STATUS_OK);
    assert_string_equal(((Rt__Msg *)out)->text, "in the arena");
    grpc_byte_buffer_destroy(bb);
    cgi_arena_free(&a); /* frees the message: nothing else to free */
}

/* ---- the send queue -------------------------------------------------- */

/* Queues `size` bytes of `fill` the way net_send does. */
static void sendq_put(cgi_sendq *q, size_t size, unsigned char fill)
{
    memset(cgi_sendq_reserve(q, size), fill, size);
    cgi_sendq_commit(q, size);
}

/* Takes the next message and checks its size and every byte. */
static void sendq_expect(cgi_sendq *q, size_t size, unsigned char fill)
{
    grpc_slice got;
    assert_true(cgi_sendq_pop(q, &got));
    assert_int_equal(GRPC_SLICE_LENGTH(got), size);
    const unsigned char *p = GRPC_SLICE_START_PTR(got);
    for (size_t i = 0; i < size; i++)
        if (p[i] != fill)
            fail_msg("byte %zu of %zu is %d, expected %d", i, size, p[i], fill);
    grpc_slice_unref(got);
}

static void test_sendq_keeps_order_across_blocks(void **state)
{
    (void)state;
    cgi_sendq q;
    cgi_sendq_init(&q);
    /* Small ones fill several 4 KiB blocks; a 10 KiB one gets its own
     * block in the middle; an empty message is a message too. */
    for (int i = 0; i < 300; i++)
        sendq_put(&q, 31, (unsigned char)i);
    sendq_put(&q, 10 * 1024, 0xab);
    sendq_put(&q, 0, 0);
    sendq_put(&q, 5, 7);
    assert_int_equal(q.len, 303);
    assert_int_equal(q.bytes, 300 * cgi_sendq_cost(31) +
                                  cgi_sendq_cost(10 * 1024) +
                                  cgi_sendq_cost(0) + cgi_sendq_cost(5));
    assert_int_equal(cgi_sendq_cost(31), 40); /* 8 of length, 32 of bytes */
    for (int i = 0; i < 300; i++)
        sendq_expect(&q, 31, (unsigned char)i);
    sendq_expect(&q, 10 * 1024, 0xab);
    sendq_expect(&q, 0, 0);
    /* Refilled while not empty, then drained. */
    sendq_put(&q, 9, 9);
    sendq_expect(&q, 5, 7);
    sendq_expect(&q, 9, 9);
    assert_int_equal(q.len, 0);
    assert_int_equal(q.bytes, 0);
    grpc_slice got;
    assert_false(cgi_sendq_pop(&q, &got));
    cgi_sendq_destroy(&q);
}

static void test_sendq_reserve_without_commit_and_destroy(void **state)
{
    (void)state;
    cgi_sendq q;
    cgi_sendq_init(&q);
    /* A reserve that is never committed (packing failed) is not a
     * message, small or large. */
    memset(cgi_sendq_reserve(&q, 100), 1, 100);
    memset(cgi_sendq_reserve(&q, 20000), 2, 20000);
    assert_int_equal(q.len, 0);
    assert_int_equal(q.bytes, 0);
    sendq_put(&q, 3, 3);
    sendq_expect(&q, 3, 3);
    grpc_slice got;
    assert_false(cgi_sendq_pop(&q, &got));
    /* Messages still queued are freed with the queue (memcheck, ASan). */
    sendq_put(&q, 50, 5);
    sendq_put(&q, 9000, 6);
    cgi_sendq_destroy(&q);
    assert_int_equal(q.len, 0);
}

/* ---- metadata -------------------------------------------------------- */

static void test_metadata_keys(void **state)
{
    (void)state;
    assert_true(cgi_md_valid("x-user", "ann", 3));
    assert_true(cgi_md_valid("x-data-bin", "\0\xff", 2));
    assert_false(cgi_md_valid("X-User", "ann", 3));
    assert_false(cgi_md_valid("bad key", "v", 1));
    assert_false(cgi_md_valid("", "v", 1));
    assert_false(cgi_md_valid(NULL, "v", 1));
    assert_false(cgi_md_valid(":path", "/x", 2));
    assert_false(cgi_md_valid("grpc-status", "0", 1));
    assert_false(cgi_md_valid("x-text", "a\nb", 3));

    cgi_mdlist l = {0};
    assert_true(cgi_mdlist_add(&l, "x-a", "1", 0));
    assert_true(cgi_mdlist_add(&l, "x-b-bin", "\0\1", 2));
    assert_false(cgi_mdlist_add(&l, "Nope", "1", 0));
    assert_int_equal(l.n, 2);
    assert_int_equal(GRPC_SLICE_LENGTH(l.items[1].value), 2);
    cgi_mdlist_clear(&l);
    assert_int_equal(l.n, 0);
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_ok_is_empty),
        cmocka_unit_test(test_status_error_formats),
        cmocka_unit_test(test_status_long_message_cut_on_utf8_boundary),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_arena_small_allocations_stay_inline),
        cmocka_unit_test(test_arena_grows_and_resets),
        cmocka_unit_test(test_arena_ctx_helpers),
        cmocka_unit_test(test_codec_round_trip),
        cmocka_unit_test(test_codec_empty_message),
        cmocka_unit_test(test_codec_multi_slice_buffer),
        cmocka_unit_test(test_codec_gathers_uneven_slices),
        cmocka_unit_test(test_codec_refuses_a_buffer_still_compressed),
        cmocka_unit_test(test_codec_refuses_an_unknown_buffer_kind),
        cmocka_unit_test(test_codec_corrupt_bytes_are_an_error),
        cmocka_unit_test(test_codec_wrong_type_and_size_limit),
        cmocka_unit_test(test_codec_decode_into_arena),
        cmocka_unit_test(test_sendq_keeps_order_across_blocks),
        cmocka_unit_test(test_sendq_reserve_without_commit_and_destroy),
        cmocka_unit_test(test_metadata_keys),
    };
    return cmocka_run_group_tests_name("basics", tests, rt_group_setup,
                                       rt_group_teardown);
}
