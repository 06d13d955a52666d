/*
 * test_messages.c: exercise 2, the generated message code used by hand
 * (request_build, request_pack, request_unpack, request_free,
 * response_answer, message_is in messages.c).
 *
 * The reference is protobuf-c itself and the bytes worked out in step 2.
 * Inputs to request_unpack sit in heap blocks of their exact size, so a
 * read past the end shows up under `make memcheck`, and so do leaks.
 */
#define LESSON_PAGE "steps/03-codegen.md"
#define EXERCISE_FILE "messages.c"
#include "lesson.h"

#include <stdbool.h>
#include <stdlib.h>

#include "bufs.h"
#include "messages.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Request{id: "test-123", value: 42} on the wire (step 2). */
static const uint8_t TEST_123[] = {0x0a, 0x08, 't', 'e', 's',  't',
                                   '-',  '1',  '2', '3', 0x10, 0x2a};

/* A copy of bytes in a heap block of exactly len bytes. */
static uint8_t *exact_copy(const void *bytes, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (len)
        memcpy(p, bytes, len);
    return p;
}

/* request_unpack on an exact-size copy of bytes. */
static Tutorial__V1__Request *unpack(const void *bytes, size_t len)
{
    uint8_t *copy = exact_copy(bytes, len);
    Tutorial__V1__Request *r = request_unpack(copy, len);
    free(copy);
    return r;
}

/* Fails unless r is a Request: protobuf-c's own functions assert on
 * anything else, and a failed test is kinder than an abort. */
static void expect_request(const Tutorial__V1__Request *r, const char *what)
{
    expect_true(r != NULL, "#unpacking-and-freeing",
                "%s returned NULL, expected a Request", what);
    expect_true(r->base.descriptor == &tutorial__v1__request__descriptor,
                "#init-macros-and-the-base-member",
                "%s: base.descriptor is %s, expected "
                "&tutorial__v1__request__descriptor: start from "
                "TUTORIAL__V1__REQUEST__INIT",
                what, r->base.descriptor == NULL ? "NULL" : "something else");
}

/* ---- request_build ------------------------------------------------------ */

static void test_messages_build(void **state)
{
    (void)state;
    static const char id[] = "user-7";
    Tutorial__V1__Request r;
    memset(&r, 0xa5, sizeof r); /* whatever was there before */
    request_build(&r, id, -5);
    expect_request(&r, "request_build(&r, \"user-7\", -5)");
    expect_true(r.base.n_unknown_fields == 0 && r.base.unknown_fields == NULL,
                "#init-macros-and-the-base-member",
                "request_build: base.n_unknown_fields and base.unknown_fields "
                "hold leftovers; the INIT macro sets them to 0 and NULL");
    expect_true(r.id == id, "#init-macros-and-the-base-member",
                "request_build: r.id should point at the caller's string "
                "itself: the contract says id is not copied");
    expect_int(r.value, -5, "#init-macros-and-the-base-member");
}

static void test_messages_build_null_id_is_empty(void **state)
{
    (void)state;
    Tutorial__V1__Request r;
    memset(&r, 0, sizeof r);
    request_build(&r, NULL, 7);
    expect_request(&r, "request_build(&r, NULL, 7)");
    expect_true(r.id != NULL && r.id[0] == '\0',
                "#init-macros-and-the-base-member",
                "request_build(&r, NULL, 7): r.id should keep its default, the "
                "empty string \"\" (protobuf_c_empty_string), got %s",
                r.id ? "a non-empty string" : "NULL");
    expect_int(r.value, 7, "#init-macros-and-the-base-member");
}

/* ---- request_pack -------------------------------------------------------- */

/* More Requests, compared with protobuf-c's own packing. */
static void expect_pack_sizes(void)
{
    static char long_id[300];
    memset(long_id, 'x', sizeof long_id - 1);
    const struct {
        const char *id;
        int32_t value;
    } cases[] = {{"a", 1}, {"", -1}, {long_id, INT32_MAX}, {"z", INT32_MIN}};

    for (size_t i = 0; i < COUNT(cases); i++) {
        Tutorial__V1__Request r = TUTORIAL__V1__REQUEST__INIT;
        r.id = (char *)cases[i].id;
        r.value = cases[i].value;
        size_t want = tutorial__v1__request__get_packed_size(&r), len = 0;
        uint8_t *ref = malloc(want + 1);
        tutorial__v1__request__pack(&r, ref);
        uint8_t *out = request_pack(&r, &len);
        bool same = out != NULL && len == want && memcmp(out, ref, want) == 0;
        free(ref);
        free(out);
        expect_true(same, "#packing",
                    "request_pack(Request{id of %zu bytes, %d}): %zu bytes, "
                    "expected %zu with the same content as "
                    "tutorial__v1__request__pack",
                    strlen(cases[i].id), cases[i].value, len, want);
    }
}

static void test_messages_pack_bytes(void **state)
{
    (void)state;
    char want[80], got[80];
    Tutorial__V1__Request r = TUTORIAL__V1__REQUEST__INIT;
    r.id = "test-123";
    r.value = 42;
    size_t len = 99;
    uint8_t *out = request_pack(&r, &len);
    expect_true(out != NULL && len == sizeof TEST_123 &&
                    memcmp(out, TEST_123, len) == 0,
                "#packing",
                "request_pack(Request{\"test-123\", 42})\n"
                "      expected: %s\n      got:      %s (%zu bytes)",
                bufs_hex(TEST_123, sizeof TEST_123, want, sizeof want),
                out ? bufs_hex(out, len, got, sizeof got) : "NULL", len);
    free(out);
    expect_pack_sizes();
}

static void test_messages_pack_defaults_is_empty(void **state)
{
    (void)state;
    Tutorial__V1__Request r = TUTORIAL__V1__REQUEST__INIT;
    size_t len = 99;
    uint8_t *out = request_pack(&r, &len);
    expect_true(out != NULL, "#packing",
                "request_pack(Request{}) returned NULL: a message with only "
                "defaults packs to 0 bytes, but is still a success");
    free(out);
    expect_int(len, 0, "#packing");

    len = 99;
    out = request_pack(NULL, &len);
    expect_true(out == NULL && len == 0, "#packing",
                "request_pack(NULL, &len) should return NULL with len 0");
}

/* ---- request_unpack and request_free -------------------------------------- */

static void test_messages_unpack_round_trip(void **state)
{
    (void)state;
    Tutorial__V1__Request *r = unpack(TEST_123, sizeof TEST_123);
    expect_request(r, "request_unpack(0a 08 74 65 ... 10 2a)");
    bool ok = strcmp(r->id, "test-123") == 0 && r->value == 42;
    char id[40];
    snprintf(id, sizeof id, "%s", r->id);
    int value = r->value;
    request_free(r);
    expect_true(ok, "#unpacking-and-freeing",
                "request_unpack(the bytes of Request{\"test-123\", 42}) gave "
                "Request{\"%s\", %d}",
                id, value);
}

static void test_messages_unpack_empty_input(void **state)
{
    (void)state;
    Tutorial__V1__Request *r = request_unpack(NULL, 0);
    expect_true(r != NULL, "#unpacking-and-freeing",
                "request_unpack(NULL, 0) returned NULL: 0 bytes are a valid "
                "Request, the one with every field at its default");
    expect_request(r, "request_unpack(NULL, 0)");
    bool ok = r->id != NULL && r->id[0] == '\0' && r->value == 0;
    request_free(r);
    expect_true(
        ok, "#unpacking-and-freeing",
        "request_unpack(NULL, 0): expected id \"\" (not NULL) and value 0");
    request_free(NULL); /* must be a harmless no-op */
}

/* Cut the message after every byte: only the cuts that end exactly after
 * a field are messages; everything else must give NULL, not a crash. */
static void test_messages_unpack_cut_anywhere(void **state)
{
    (void)state;
    for (size_t cut = 0; cut <= sizeof TEST_123; cut++) {
        bool complete = cut == 0 || cut == 10 || cut == sizeof TEST_123;
        Tutorial__V1__Request *r = unpack(TEST_123, cut);
        bool got = r != NULL;
        if (r)
            expect_request(r, "request_unpack(a cut message)");
        request_free(r);
        expect_true(got == complete, "#unpacking-and-freeing",
                    "request_unpack(the first %zu of the 12 bytes of "
                    "Request{\"test-123\", 42}) %s, expected %s",
                    cut, got ? "returned a message" : "returned NULL",
                    cut == 0   ? "a message (0 bytes are the empty Request)"
                    : complete ? "a message (the cut falls between two fields)"
                               : "NULL (the cut falls inside a field)");
    }
}

static void test_messages_unpack_rejects_garbage(void **state)
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
        {"08 01 12 01 78 (a Response, not a Request)",
         {0x08, 0x01, 0x12, 0x01, 0x78},
         5},
    };
    /* First a good one, so that returning NULL every time is not enough. */
    Tutorial__V1__Request *good = unpack(TEST_123, sizeof TEST_123);
    expect_true(good != NULL, "#unpacking-and-freeing",
                "request_unpack(the bytes of Request{\"test-123\", 42}) "
                "returned NULL");
    request_free(good);
    for (size_t i = 0; i < COUNT(bad); i++) {
        Tutorial__V1__Request *r = unpack(bad[i].bytes, bad[i].len);
        request_free(r);
        expect_true(r == NULL, "#unpacking-and-freeing",
                    "request_unpack(%s) returned a message, expected NULL",
                    bad[i].what);
    }
}

/* ---- response_answer and message_is --------------------------------------- */

static void test_messages_answer(void **state)
{
    (void)state;
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "test-123";
    Tutorial__V1__Response resp;
    memset(&resp, 0xa5, sizeof resp);
    char buf[64];

    int rc = response_answer(&req, &resp, buf, sizeof buf);
    expect_true(rc == 0, "#building-a-response",
                "response_answer(Request{\"test-123\"}, &resp, buf, 64) "
                "returned %d, expected 0",
                rc);
    expect_true(resp.base.descriptor == &tutorial__v1__response__descriptor,
                "#building-a-response",
                "response_answer: resp.base.descriptor should be "
                "&tutorial__v1__response__descriptor: start from "
                "TUTORIAL__V1__RESPONSE__INIT");
    expect_true(resp.success, "#building-a-response",
                "response_answer: resp.success should be true");
    expect_true(resp.message == buf, "#building-a-response",
                "response_answer: resp.message should point into buf");
    expect_str(resp.message, "Processed: test-123", "#building-a-response");

    /* The response packs like one protobuf-c built itself. */
    uint8_t out[64];
    size_t n = tutorial__v1__response__pack(&resp, out);
    static const uint8_t want[] = {0x08, 0x01, 0x12, 0x13, 'P', 'r', 'o', 'c',
                                   'e',  's',  's',  'e',  'd', ':', ' ', 't',
                                   'e',  's',  't',  '-',  '1', '2', '3'};
    expect_bytes(out, n, want, sizeof want, "#building-a-response");
}

static void test_messages_answer_too_small(void **state)
{
    (void)state;
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "test-123";
    Tutorial__V1__Response resp;
    memset(&resp, 0xa5, sizeof resp);
    char buf[19]; /* "Processed: test-123" needs 20 with its '\0' */

    int rc = response_answer(&req, &resp, buf, sizeof buf);
    expect_true(rc == -1, "#building-a-response",
                "response_answer(Request{\"test-123\"}, &resp, buf, 19) "
                "returned %d, expected -1: \"Processed: test-123\" and its "
                "'\\0' need 20 bytes",
                rc);
    expect_true(resp.base.descriptor == &tutorial__v1__response__descriptor &&
                    !resp.success && resp.message != NULL &&
                    resp.message[0] == '\0',
                "#building-a-response",
                "response_answer with a buffer too small: *resp should be "
                "Response{} (INIT: success false, message \"\")");

    char big[20];
    rc = response_answer(&req, &resp, big, sizeof big);
    expect_true(rc == 0 && strcmp(resp.message, "Processed: test-123") == 0,
                "#building-a-response",
                "response_answer with exactly 20 bytes of buffer should fit "
                "\"Processed: test-123\" and its '\\0' (returned %d)",
                rc);
    rc = response_answer(NULL, &resp, big, sizeof big);
    expect_true(
        rc == -1, "#building-a-response",
        "response_answer(NULL, &resp, buf, 20) returned %d, expected -1", rc);
}

static void test_messages_is(void **state)
{
    (void)state;
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    Tutorial__V1__Response resp = TUTORIAL__V1__RESPONSE__INIT;
    const ProtobufCMessageDescriptor *rq = &tutorial__v1__request__descriptor;
    const ProtobufCMessageDescriptor *rs = &tutorial__v1__response__descriptor;

    expect_true(message_is(&req, rq), "#init-macros-and-the-base-member",
                "message_is(a Request, Request's descriptor) should be true");
    expect_true(message_is(&resp, rs), "#init-macros-and-the-base-member",
                "message_is(a Response, Response's descriptor) should be true");
    expect_true(!message_is(&req, rs), "#init-macros-and-the-base-member",
                "message_is(a Request, Response's descriptor) should be false");
    expect_true(!message_is(&resp, rq), "#init-macros-and-the-base-member",
                "message_is(a Response, Request's descriptor) should be false");
    expect_true(!message_is(NULL, rq) && !message_is(&req, NULL),
                "#init-macros-and-the-base-member",
                "message_is with a NULL argument should be false");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages_build),
        cmocka_unit_test(test_messages_build_null_id_is_empty),
        cmocka_unit_test(test_messages_pack_bytes),
        cmocka_unit_test(test_messages_pack_defaults_is_empty),
        cmocka_unit_test(test_messages_unpack_round_trip),
        cmocka_unit_test(test_messages_unpack_empty_input),
        cmocka_unit_test(test_messages_unpack_cut_anywhere),
        cmocka_unit_test(test_messages_unpack_rejects_garbage),
        cmocka_unit_test(test_messages_answer),
        cmocka_unit_test(test_messages_answer_too_small),
        cmocka_unit_test(test_messages_is),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
