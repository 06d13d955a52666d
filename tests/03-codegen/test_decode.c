/*
 * test_decode.c: exercise 3, part two: a byte buffer of any shape back
 * into a message (glue_decode in glue.c): cut into many slices, empty,
 * corrupt, of the wrong type, 10 MB, over the size limit.
 *
 * The buffers come from the tests' own helpers (bufs.c), never from your
 * glue_encode, so this suite checks decoding alone. `make memcheck` runs it
 * under valgrind: nothing may leak on any path, the error paths included.
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

#define REQUEST (&tutorial__v1__request__descriptor)
#define RESPONSE (&tutorial__v1__response__descriptor)

/* Request{id: "test-123", value: 42} on the wire (step 2). */
static const uint8_t TEST_123[] = {0x0a, 0x08, 't', 'e', 's',  't',
                                   '-',  '1',  '2', '3', 0x10, 0x2a};

static const char *status_name(int rc)
{
    switch (rc) {
    case GLUE_OK:
        return "GLUE_OK";
    case GLUE_ERR_ARGS:
        return "GLUE_ERR_ARGS";
    case GLUE_ERR_TOO_LARGE:
        return "GLUE_ERR_TOO_LARGE";
    case GLUE_ERR_MALFORMED:
        return "GLUE_ERR_MALFORMED";
    case GLUE_ERR_READ:
        return "GLUE_ERR_READ";
    default:
        return "an unknown status";
    }
}

/* glue_decode(bb, Request, max) must give {id, value}. Frees the result. */
static void expect_request_max(grpc_byte_buffer *bb, size_t max, const char *id,
                               int32_t value, const char *what)
{
    ProtobufCMessage *m = NULL;
    int rc = glue_decode(bb, REQUEST, max, &m);
    expect_true(rc == GLUE_OK && m != NULL, "#decoding-with-limits",
                "glue_decode(%s, Request) returned %s (%d) and %s; expected "
                "GLUE_OK and a message",
                what, status_name(rc), rc, m ? "a message" : "NULL");
    expect_true(m->descriptor == REQUEST, "#decoding-with-limits",
                "glue_decode(%s, Request): the message is a %s, not a "
                "tutorial.v1.Request",
                what, m->descriptor ? m->descriptor->name : "(no descriptor)");
    Tutorial__V1__Request *r = (Tutorial__V1__Request *)m;
    bool same = strcmp(r->id, id) == 0 && r->value == value;
    char got[48];
    snprintf(got, sizeof got, "%.40s", r->id);
    int32_t got_value = r->value;
    protobuf_c_message_free_unpacked(m, NULL);
    expect_true(
        same, "#decoding-with-limits",
        "glue_decode(%s, Request)\n      expected: Request{\"%.40s\", %d}\n"
        "      got:      Request{\"%s\", %d}",
        what, id, value, got, got_value);
}

/* The same with gRPC's default limit. */
static void expect_request(grpc_byte_buffer *bb, const char *id, int32_t value,
                           const char *what)
{
    expect_request_max(bb, GLUE_DEFAULT_MAX, id, value, what);
}

/* glue_decode(bb) as `desc` must fail with `want` and leave *out NULL. */
static void expect_refused(grpc_byte_buffer *bb,
                           const ProtobufCMessageDescriptor *desc, size_t max,
                           int want, const char *what, const char *section)
{
    static ProtobufCMessage untouched; /* to see whether *out was set */
    ProtobufCMessage *m = &untouched;
    int rc = glue_decode(bb, desc, max, &m);
    bool out_null = m == NULL;
    if (m != NULL && m != &untouched)
        protobuf_c_message_free_unpacked(m, NULL);
    expect_true(rc == want, section,
                "glue_decode(%s) returned %s (%d), expected %s (%d)", what,
                status_name(rc), rc, status_name(want), want);
    expect_true(out_null, section,
                "glue_decode(%s) failed but left *out pointing somewhere; on "
                "an error it must be NULL",
                what);
}

/* ---- valid messages ------------------------------------------------------- */

static void test_decode_request(void **state)
{
    (void)state;
    grpc_byte_buffer *bb = bufs_chunked(TEST_123, sizeof TEST_123, 0);
    expect_request(bb, "test-123", 42, "one slice");
    /* The buffer is still the caller's: it can be decoded again. */
    expect_request(bb, "test-123", 42, "the same buffer, a second time");
    grpc_byte_buffer_destroy(bb);
}

static void test_decode_response(void **state)
{
    (void)state;
    static const uint8_t bytes[] = {0x08, 0x01, 0x12, 0x02, 'o', 'k'};
    grpc_byte_buffer *bb = bufs_chunked(bytes, sizeof bytes, 4);
    ProtobufCMessage *m = NULL;
    int rc = glue_decode(bb, RESPONSE, 0, &m);
    grpc_byte_buffer_destroy(bb);
    expect_true(rc == GLUE_OK && m != NULL && m->descriptor == RESPONSE,
                "#decoding-with-limits",
                "glue_decode(08 01 12 02 6f 6b in 2 slices, Response) returned "
                "%s (%d) and %s; expected GLUE_OK and a Response",
                status_name(rc), rc, m ? "a message" : "NULL");
    Tutorial__V1__Response *r = (Tutorial__V1__Response *)m;
    bool same = r->success && strcmp(r->message, "ok") == 0;
    protobuf_c_message_free_unpacked(m, NULL);
    expect_true(same, "#decoding-with-limits",
                "glue_decode(..., Response): expected Response{true, \"ok\"}");
}

/* The network may cut a message anywhere: inside a tag, a length, a
 * string. Every cut into two slices, then one slice per byte. */
static void test_decode_split_everywhere(void **state)
{
    (void)state;
    char what[64];
    for (size_t cut = 0; cut <= sizeof TEST_123; cut++) {
        grpc_byte_buffer *bb = bufs_cut(TEST_123, sizeof TEST_123, &cut, 1);
        snprintf(what, sizeof what, "2 slices cut after byte %zu", cut);
        expect_request(bb, "test-123", 42, what);
        grpc_byte_buffer_destroy(bb);
    }
    grpc_byte_buffer *bb = bufs_chunked(TEST_123, sizeof TEST_123, 1);
    expect_request(bb, "test-123", 42, "12 slices of 1 byte");
    grpc_byte_buffer_destroy(bb);
}

static void test_decode_empty_message(void **state)
{
    (void)state;
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(NULL, 0);
    expect_request(bb, "", 0, "a buffer of no slices");
    grpc_byte_buffer_destroy(bb);

    bb = bufs_cut("", 0, (const size_t[]){0}, 1);
    expect_request(bb, "", 0, "a buffer of two empty slices");
    grpc_byte_buffer_destroy(bb);
}

/* ---- bad input ---------------------------------------------------------------- */

static void test_decode_corrupt(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        uint8_t bytes[8];
        size_t len;
    } bad[] = {
        {"ff ff ff (a tag that never ends)", {0xff, 0xff, 0xff}, 3},
        {"0b (wire type 3, a deprecated group)", {0x0b}, 1},
        {"00 01 (field number 0)", {0x00, 0x01}, 2},
        {"08 01 (field 1, id, sent as a varint)", {0x08, 0x01}, 2},
        {"0a 05 61 (a length of 5, one byte follows)", {0x0a, 0x05, 0x61}, 3},
        {"0a ff ff ff ff 0f 61 (a length of 4 GiB)",
         {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x61},
         7},
    };
    char what[96];
    /* One good message first: refusing everything is not the answer. */
    grpc_byte_buffer *bb = bufs_chunked(TEST_123, sizeof TEST_123, 0);
    expect_request(bb, "test-123", 42, "one slice");
    grpc_byte_buffer_destroy(bb);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bb = bufs_chunked(bad[i].bytes, bad[i].len, 2);
        snprintf(what, sizeof what, "%s, Request", bad[i].what);
        expect_refused(bb, REQUEST, GLUE_DEFAULT_MAX, GLUE_ERR_MALFORMED, what,
                       "#decoding-with-limits");
        grpc_byte_buffer_destroy(bb);
    }
    /* The bytes do not say which type they are: only the descriptor does. */
    bb = bufs_chunked(TEST_123, sizeof TEST_123, 0);
    expect_refused(bb, RESPONSE, GLUE_DEFAULT_MAX, GLUE_ERR_MALFORMED,
                   "the bytes of Request{\"test-123\", 42}, Response",
                   "#decoding-with-limits");
    grpc_byte_buffer_destroy(bb);
}

/* Every prefix of a valid message: those that end between two fields are
 * messages themselves, all others are truncated. */
static void test_decode_cut_short(void **state)
{
    (void)state;
    char what[80];
    for (size_t len = 1; len < sizeof TEST_123; len++) {
        grpc_byte_buffer *bb = bufs_chunked(TEST_123, len, 3);
        if (len == 10) {
            expect_request(bb, "test-123", 0,
                           "the first 10 bytes (just the id)");
        } else {
            snprintf(what, sizeof what, "the first %zu of 12 bytes, Request",
                     len);
            expect_refused(bb, REQUEST, GLUE_DEFAULT_MAX, GLUE_ERR_MALFORMED,
                           what, "#decoding-with-limits");
        }
        grpc_byte_buffer_destroy(bb);
    }
}

static void test_decode_null(void **state)
{
    (void)state;
    grpc_byte_buffer *bb = bufs_chunked(TEST_123, sizeof TEST_123, 0);
    expect_refused(NULL, REQUEST, 0, GLUE_ERR_ARGS, "NULL, Request",
                   "#decoding-with-limits");
    expect_refused(bb, NULL, 0, GLUE_ERR_ARGS, "a buffer, NULL descriptor",
                   "#decoding-with-limits");
    grpc_byte_buffer_destroy(bb);
}

/* ---- size ----------------------------------------------------------------- */

/* The bytes of Request{id: n bytes of a pattern, value}, and the id. */
static uint8_t *big_request(size_t n, int32_t value, char **id, size_t *len)
{
    *id = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        (*id)[i] = (char)('a' + (i * 31 + i / 4096) % 26);
    (*id)[n] = '\0';
    Tutorial__V1__Request r = TUTORIAL__V1__REQUEST__INIT;
    r.id = *id;
    r.value = value;
    *len = tutorial__v1__request__get_packed_size(&r);
    uint8_t *bytes = malloc(*len);
    tutorial__v1__request__pack(&r, bytes);
    return bytes;
}

static void test_decode_ten_megabytes(void **state)
{
    (void)state;
    size_t n = 10 * 1000 * 1000, len;
    char *id;
    uint8_t *bytes = big_request(n, 99, &id, &len);
    /* 16 KiB slices: 611 of them, like a message read off HTTP/2 frames. */
    grpc_byte_buffer *bb = bufs_chunked(bytes, len, 16384);
    free(bytes);

    ProtobufCMessage *m = NULL;
    int rc = glue_decode(bb, REQUEST, 16u * 1024 * 1024, &m);
    grpc_byte_buffer_destroy(bb);
    bool m_set = m != NULL;
    bool ok = rc == GLUE_OK && m != NULL && m->descriptor == REQUEST;
    bool same = ok && strlen(((Tutorial__V1__Request *)m)->id) == n &&
                memcmp(((Tutorial__V1__Request *)m)->id, id, n) == 0 &&
                ((Tutorial__V1__Request *)m)->value == 99;
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    free(id);
    expect_true(ok, "#decoding-with-limits",
                "glue_decode(a 10 MB Request in 611 slices, limit 16 MiB) "
                "returned %s (%d) and %s, expected GLUE_OK and a Request",
                status_name(rc), rc, m_set ? "a message" : "NULL");
    expect_true(same, "#decoding-with-limits",
                "glue_decode(a 10 MB Request in 611 slices): the id or the "
                "value differs from what was sent");
}

static void test_decode_size_limit(void **state)
{
    (void)state;
    size_t len;
    char *id;
    uint8_t *bytes = big_request(5 * 1000 * 1000, 1, &id, &len);
    free(id);
    grpc_byte_buffer *bb = bufs_chunked(bytes, len, 65536);
    free(bytes);
    expect_refused(bb, REQUEST, GLUE_DEFAULT_MAX, GLUE_ERR_TOO_LARGE,
                   "a 5 MB Request, limit GLUE_DEFAULT_MAX (4 MiB)",
                   "#decoding-with-limits");
    grpc_byte_buffer_destroy(bb);

    /* The limit counts bytes: a 12-byte message passes a limit of 12. */
    bb = bufs_chunked(TEST_123, sizeof TEST_123, 5);
    expect_refused(bb, REQUEST, 11, GLUE_ERR_TOO_LARGE,
                   "a 12-byte Request, limit 11", "#decoding-with-limits");
    expect_request_max(
        bb, 12, "test-123", 42,
        "a 12-byte Request, limit 12 (the limit itself is allowed)");
    expect_request_max(bb, 0, "test-123", 42,
                       "a 12-byte Request, limit 0 (0 means no limit)");
    grpc_byte_buffer_destroy(bb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_request),
        cmocka_unit_test(test_decode_response),
        cmocka_unit_test(test_decode_split_everywhere),
        cmocka_unit_test(test_decode_empty_message),
        cmocka_unit_test(test_decode_corrupt),
        cmocka_unit_test(test_decode_cut_short),
        cmocka_unit_test(test_decode_null),
        cmocka_unit_test(test_decode_ten_megabytes),
        cmocka_unit_test(test_decode_size_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
