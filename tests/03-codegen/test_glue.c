/*
 * test_glue.c: exercise 3, part one: messages into byte buffers
 * (glue_encode) and byte buffers of any number of slices back into one
 * block of bytes (glue_read_all), both in glue.c.
 *
 * Buffers with many slices are built by the tests (bufs.c), cut the way a
 * network cuts a message. `make memcheck` finds a slice whose reference was
 * never dropped: it leaks as many bytes as the message has.
 */
#define LESSON_PAGE "steps/03-codegen.md"
#define EXERCISE_FILE "glue.c"
#include "lesson.h"

#include <stdbool.h>
#include <stdlib.h>

#include <grpc/grpc.h>

#include "bufs.h"
#include "glue.h"
#include "tutorial/v1/my_service.pb-c.h"

static int setup(void **state)
{
    (void)state;
    grpc_init();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    grpc_shutdown();
    return 0;
}

/* Request{id: "test-123", value: 42} on the wire (step 2). */
static const uint8_t TEST_123[] = {0x0a, 0x08, 't', 'e', 's',  't',
                                   '-',  '1',  '2', '3', 0x10, 0x2a};

/* glue_encode(msg) compared with protobuf-c's own packing, byte for byte;
 * the buffer must hold exactly one slice. */
static void expect_encodes(const ProtobufCMessage *msg, const char *what)
{
    char want_hex[80], got_hex[80];
    size_t want_len = protobuf_c_message_get_packed_size(msg), got_len = 0;
    uint8_t *want = malloc(want_len + 1);
    protobuf_c_message_pack(msg, want);

    grpc_byte_buffer *bb = glue_encode(msg);
    expect_true(bb != NULL, "#encoding-into-one-slice",
                "glue_encode(%s) returned NULL", what);
    size_t slices = bufs_slice_count(bb);
    uint8_t *got = bufs_flatten(bb, &got_len);
    grpc_byte_buffer_destroy(bb);
    bool same = got_len == want_len && memcmp(got, want, want_len) == 0;
    if (!same)
        bufs_hex(want, want_len, want_hex, sizeof want_hex);
    if (!same)
        bufs_hex(got, got_len, got_hex, sizeof got_hex);
    free(want);
    free(got);
    expect_true(same, "#encoding-into-one-slice",
                "glue_encode(%s): the buffer holds %zu bytes, expected %zu\n"
                "      expected: %s\n      got:      %s",
                what, got_len, want_len, want_hex, got_hex);
    expect_true(slices == 1, "#encoding-into-one-slice",
                "glue_encode(%s): the buffer has %zu slices, expected exactly "
                "one of the packed size",
                what, slices);
}

/* glue_read_all(bb) must give exactly want[0..len). */
static void expect_reads(grpc_byte_buffer *bb, const void *want, size_t len,
                         const char *what)
{
    char want_hex[80], got_hex[80];
    uint8_t *data = NULL;
    size_t got_len = 12345;
    int rc = glue_read_all(bb, &data, &got_len);
    if (rc != GLUE_OK)
        free(data);
    expect_true(rc == GLUE_OK, "#reading-every-slice",
                "glue_read_all(%s) returned %d, expected GLUE_OK", what, rc);
    if (len == 0) {
        bool has_data = data != NULL;
        free(data);
        expect_true(got_len == 0 && !has_data, "#reading-every-slice",
                    "glue_read_all(%s): expected 0 bytes and data NULL, got "
                    "%zu bytes and data %s",
                    what, got_len, has_data ? "not NULL" : "NULL");
        return;
    }
    bool same = data != NULL && got_len == len && memcmp(data, want, len) == 0;
    if (!same) {
        bufs_hex(want, len, want_hex, sizeof want_hex);
        bufs_hex(data, data ? got_len : 0, got_hex, sizeof got_hex);
    }
    free(data);
    expect_true(same, "#reading-every-slice",
                "glue_read_all(%s): %zu bytes, expected %zu\n"
                "      expected: %s\n      got:      %s",
                what, got_len, len, want_hex, got_hex);
}

/* ---- glue_encode -------------------------------------------------------- */

static void test_glue_encode_request(void **state)
{
    (void)state;
    Tutorial__V1__Request r = TUTORIAL__V1__REQUEST__INIT;
    r.id = "test-123";
    r.value = 42;
    expect_encodes(&r.base, "Request{\"test-123\", 42}");
}

static void test_glue_encode_response(void **state)
{
    (void)state;
    Tutorial__V1__Response r = TUTORIAL__V1__RESPONSE__INIT;
    r.success = true;
    r.message = "Processed: test-123";
    expect_encodes(&r.base, "Response{true, \"Processed: test-123\"}");
}

static void test_glue_encode_defaults_is_empty(void **state)
{
    (void)state;
    Tutorial__V1__Request r = TUTORIAL__V1__REQUEST__INIT;
    grpc_byte_buffer *bb = glue_encode(&r.base);
    expect_true(bb != NULL, "#encoding-into-one-slice",
                "glue_encode(Request{}) returned NULL: a message with only "
                "defaults is a valid buffer of 0 bytes");
    size_t len = grpc_byte_buffer_length(bb);
    grpc_byte_buffer_destroy(bb);
    expect_int(len, 0, "#encoding-into-one-slice");
    /* ...and that is still one slice (of 0 bytes), like any other message. */
    r.value = 1;
    expect_encodes(&r.base, "Request{\"\", 1}");
}

static void test_glue_encode_null(void **state)
{
    (void)state;
    grpc_byte_buffer *bb = glue_encode(NULL);
    grpc_byte_buffer_destroy(bb); /* in case it was not NULL */
    expect_true(bb == NULL, "#encoding-into-one-slice",
                "glue_encode(NULL) should return NULL");
}

/* 1 MiB: far larger than a slice can hold inline, so a reference that is
 * never dropped shows up as a leak of 1 MiB under make memcheck. */
static void test_glue_encode_large(void **state)
{
    (void)state;
    size_t n = 1024 * 1024;
    char *id = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        id[i] = (char)('a' + i % 26);
    id[n] = '\0';
    Tutorial__V1__Request r = TUTORIAL__V1__REQUEST__INIT;
    r.id = id;
    r.value = 7;
    expect_encodes(&r.base, "Request{id of 1 MiB, 7}");
    free(id);
}

/* ---- glue_read_all ------------------------------------------------------ */

static void test_glue_read_slices(void **state)
{
    (void)state;
    static const size_t chunks[] = {12, 1, 2, 3, 5, 11};
    char what[64];
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        grpc_byte_buffer *bb =
            bufs_chunked(TEST_123, sizeof TEST_123, chunks[i]);
        size_t n = bufs_slice_count(bb);
        snprintf(what, sizeof what, "%zu slice%s of %s%zu bytes", n,
                 n == 1 ? "" : "s", n == 1 ? "" : "at most ", chunks[i]);
        expect_reads(bb, TEST_123, sizeof TEST_123, what);
        grpc_byte_buffer_destroy(bb);
    }

    /* 200 KiB in slices of 8 KiB, the way the core hands over a message. */
    size_t n = 200 * 1024;
    uint8_t *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (uint8_t)(i * 7 + i / 256);
    grpc_byte_buffer *bb = bufs_chunked(big, n, 8192);
    expect_reads(bb, big, n, "200 KiB in 25 slices of 8 KiB");
    grpc_byte_buffer_destroy(bb);
    free(big);
}

static void test_glue_read_empty_slices(void **state)
{
    (void)state;
    /* Empty slices at the start, in the middle and at the end. */
    static const size_t cuts[] = {0, 0, 4, 4, 4, 12};
    grpc_byte_buffer *bb = bufs_cut(TEST_123, sizeof TEST_123, cuts, 6);
    expect_reads(bb, TEST_123, sizeof TEST_123,
                 "7 slices of 0, 0, 4, 0, 0, 8 and 0 bytes");
    grpc_byte_buffer_destroy(bb);

    bb = grpc_raw_byte_buffer_create(NULL, 0);
    expect_reads(bb, "", 0, "a buffer of no slices");
    grpc_byte_buffer_destroy(bb);

    static const size_t at_zero[] = {0};
    bb = bufs_cut("", 0, at_zero, 1);
    expect_reads(bb, "", 0, "a buffer of two empty slices");
    grpc_byte_buffer_destroy(bb);
}

static void test_glue_read_keeps_buffer(void **state)
{
    (void)state;
    grpc_byte_buffer *bb = bufs_chunked(TEST_123, sizeof TEST_123, 5);
    expect_reads(bb, TEST_123, sizeof TEST_123, "3 slices, first reading");
    expect_true(grpc_byte_buffer_length(bb) == sizeof TEST_123 &&
                    bufs_slice_count(bb) == 3,
                "#reading-every-slice",
                "after glue_read_all the buffer should be unchanged: 12 bytes "
                "in 3 slices, found %zu bytes in %zu slices",
                grpc_byte_buffer_length(bb), bufs_slice_count(bb));
    expect_reads(bb, TEST_123, sizeof TEST_123, "3 slices, second reading");
    grpc_byte_buffer_destroy(bb);
}

static void test_glue_read_null(void **state)
{
    (void)state;
    uint8_t *data = (uint8_t *)"sentinel";
    size_t len = 12345;
    int rc = glue_read_all(NULL, &data, &len);
    expect_true(rc == GLUE_ERR_ARGS && data == NULL && len == 0,
                "#reading-every-slice",
                "glue_read_all(NULL, &data, &len) returned %d with %zu bytes "
                "and data %s; expected GLUE_ERR_ARGS (%d), 0 bytes, NULL",
                rc, len, data ? "not NULL" : "NULL", GLUE_ERR_ARGS);

    /* A real buffer with nowhere to put the bytes, or their length: refused
     * too, and nothing written through the NULL one. */
    grpc_byte_buffer *bb = bufs_chunked(TEST_123, sizeof TEST_123, 5);
    len = 12345;
    int rc_no_data = glue_read_all(bb, NULL, &len);
    size_t len_no_data = len;
    data = (uint8_t *)"sentinel";
    int rc_no_len = glue_read_all(bb, &data, NULL);
    grpc_byte_buffer_destroy(bb);
    expect_true(
        rc_no_data == GLUE_ERR_ARGS && len_no_data == 0, "#reading-every-slice",
        "glue_read_all(bb, NULL, &len) returned %d with len %zu; expected "
        "GLUE_ERR_ARGS (%d) and len 0",
        rc_no_data, len_no_data, GLUE_ERR_ARGS);
    expect_true(
        rc_no_len == GLUE_ERR_ARGS && data == NULL, "#reading-every-slice",
        "glue_read_all(bb, &data, NULL) returned %d with data %s; expected "
        "GLUE_ERR_ARGS (%d) and data NULL",
        rc_no_len, data ? "not NULL" : "NULL", GLUE_ERR_ARGS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glue_encode_request),
        cmocka_unit_test(test_glue_encode_response),
        cmocka_unit_test(test_glue_encode_defaults_is_empty),
        cmocka_unit_test(test_glue_encode_null),
        cmocka_unit_test(test_glue_encode_large),
        cmocka_unit_test(test_glue_read_slices),
        cmocka_unit_test(test_glue_read_empty_slices),
        cmocka_unit_test(test_glue_read_keeps_buffer),
        cmocka_unit_test(test_glue_read_null),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
