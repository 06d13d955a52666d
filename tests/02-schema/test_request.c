/*
 * test_request.c: exercise 2, tutorial.v1.Request encoded and decoded by
 * hand (wire_request_encode, wire_request_decode in wire.c), compared byte
 * for byte with protobuf-c's code generated from proto/tutorial/v1.
 * Inputs to the decoder sit in heap blocks of their exact size, so a read
 * past the end shows up under `make memcheck`.
 */
#define LESSON_PAGE "steps/02-schema.md"
#define EXERCISE_FILE "wire.c"
#include "lesson.h"

#include <stdlib.h>

#include "tutorial/v1/my_service.pb-c.h"
#include "wire.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers --------------------------------------------------------------- */

/* "0a 08 74 ...", at most 24 bytes of it. */
static const char *hex(const uint8_t *b, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    snprintf(out, cap, "(nothing)");
    for (size_t i = 0; i < n && i < 24 && len + 4 < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%02x", i ? " " : "",
                                b[i]);
    if (n > 24 && len + 4 < cap)
        snprintf(out + len, cap - len, " ...");
    return out;
}

/* protobuf-c's encoding of Request{id, value}: the reference. */
static size_t reference(const char *id, int32_t value, uint8_t *out)
{
    Tutorial__V1__Request msg = TUTORIAL__V1__REQUEST__INIT;
    msg.id = (char *)id;
    msg.value = value;
    return tutorial__v1__request__pack(&msg, out);
}

static uint8_t *input; /* the decoder's input, exactly as long as it is */

static int free_input(void **state)
{
    (void)state;
    free(input);
    input = NULL;
    return 0;
}

static int decode(const void *bytes, size_t len, wire_request *r)
{
    free(input);
    input = malloc(len);
    if (len)
        memcpy(input, bytes, len);
    return wire_request_decode(input, len, r);
}

/* Encodes {id, value} with wire.c and checks it against protobuf-c. */
static void expect_encoding(const char *id, int32_t value, const char *section)
{
    static uint8_t want[32768], got[32768];
    char want_hex[160], got_hex[160];
    size_t want_len = reference(id, value, want), got_len = 0;
    wire_request r = {id, strlen(id), value};

    int rc = wire_request_encode(&r, got, sizeof got, &got_len);
    expect_true(
        rc == WIRE_OK, section,
        "wire_request_encode({\"%.20s\", %d}) returned %d, want WIRE_OK", id,
        value, rc);
    size_t diff = 0;
    while (diff < want_len && diff < got_len && want[diff] == got[diff])
        diff++;
    expect_true(got_len == want_len && diff == want_len, section,
                "wire_request_encode({\"%.20s\"%s, %d}): %zu bytes, want %zu; "
                "first difference at byte %zu\n"
                "      expected: %s\n      got:      %s",
                id, strlen(id) > 20 ? "..." : "", value, got_len, want_len,
                diff, hex(want, want_len, want_hex, sizeof want_hex),
                hex(got, got_len, got_hex, sizeof got_hex));
}

/* Decodes bytes and checks the result is {id, value}. */
static void expect_decodes(const void *bytes, size_t len, const char *what,
                           const char *id, int32_t value, const char *section)
{
    wire_request r = {NULL, 99, 99};
    int rc = decode(bytes, len, &r);
    expect_true(rc == WIRE_OK, section,
                "wire_request_decode(%s) returned %d, want WIRE_OK", what, rc);
    expect_true(
        r.id != NULL && r.id_len == strlen(id) &&
            memcmp(r.id, id, r.id_len) == 0 && r.value == value,
        section,
        "wire_request_decode(%s)\n      expected: id \"%.30s\" (%zu bytes), "
        "value %d\n      got:      id \"%.*s\" (%zu bytes), value %d",
        what, id, strlen(id), value, (int)(r.id_len < 30 ? r.id_len : 30),
        r.id ? r.id : "", r.id_len, r.value);
    if (r.id_len > 0)
        expect_true(r.id >= (const char *)input &&
                        r.id + r.id_len <= (const char *)input + len,
                    section,
                    "wire_request_decode(%s): id should point into the "
                    "input buffer, not to a copy",
                    what);
}

static void expect_rejects(const void *bytes, size_t len, const char *what,
                           int want, const char *section)
{
    wire_request r;
    int rc = decode(bytes, len, &r);
    expect_true(rc == want, section,
                "wire_request_decode(%s) returned %d, want %s (%d)", what, rc,
                want == WIRE_ERR_TRUNCATED ? "WIRE_ERR_TRUNCATED"
                                           : "WIRE_ERR_MALFORMED",
                want);
}

/* An id of n 'x's (n < 20000), in a static buffer. */
static const char *long_id(size_t n)
{
    static char id[20001];
    memset(id, 'x', n);
    id[n] = '\0';
    return id;
}

/* ---- encoding ---------------------------------------------------------------- */

static void test_request_encode_matches_protobuf_c(void **state)
{
    (void)state;
    expect_encoding("test-123", 42, "#encoding-a-request");
    expect_encoding("a", 1, "#encoding-a-request");
    expect_encoding("user-7", 150, "#encoding-a-request");
    expect_encoding("max", INT32_MAX, "#encoding-a-request");
}

static void test_request_encode_negative_is_ten_bytes(void **state)
{
    (void)state;
    uint8_t out[32];
    size_t len = 0;
    wire_request r = {"", 0, -1};

    /* tag 0x10, then -1 as a 64-bit varint: ff ff ff ff ff ff ff ff ff 01 */
    int rc = wire_request_encode(&r, out, sizeof out, &len);
    expect_true(rc == WIRE_OK && len == 11, "#encoding-a-request",
                "Request{value: -1} should encode to 11 bytes (a tag and a "
                "10-byte varint); wire_request_encode returned %d, %zu bytes",
                rc, len);
    expect_encoding("", -1, "#encoding-a-request");
    expect_encoding("", INT32_MIN, "#encoding-a-request");
    expect_encoding("neg", -150, "#encoding-a-request");
}

static void test_request_encode_omits_defaults(void **state)
{
    (void)state;
    expect_encoding("", 0, "#encoding-a-request");  /* nothing at all */
    expect_encoding("", 5, "#encoding-a-request");  /* field 2 only */
    expect_encoding("x", 0, "#encoding-a-request"); /* field 1 only */
}

static void test_request_encode_long_id(void **state)
{
    (void)state;
    /* 300 bytes need a 2-byte length, 20000 a 3-byte one. */
    expect_encoding(long_id(300), 7, "#encoding-a-request");
    expect_encoding(long_id(20000), 7, "#encoding-a-request");
}

static void test_request_encode_buffer_too_small(void **state)
{
    (void)state;
    wire_request r = {"test-123", 8, -1}; /* 10 + 11 = 21 bytes */
    uint8_t out[40];

    for (size_t cap = 0; cap < 21; cap++) {
        size_t len = 0;
        memset(out, 0xee, sizeof out);
        int rc = wire_request_encode(&r, out, cap, &len);
        expect_true(rc == WIRE_ERR_SPACE, "#encoding-a-request",
                    "wire_request_encode of a 21-byte Request into %zu bytes "
                    "returned %d, want WIRE_ERR_SPACE (%d)",
                    cap, rc, WIRE_ERR_SPACE);
        for (size_t i = cap; i < sizeof out; i++)
            expect_true(out[i] == 0xee, "#encoding-a-request",
                        "wire_request_encode with cap %zu wrote out[%zu]", cap,
                        i);
    }
    size_t len = 0;
    expect_int(wire_request_encode(&r, out, 21, &len), WIRE_OK,
               "#encoding-a-request");
    expect_int(len, 21, "#encoding-a-request");
}

/* ---- decoding ---------------------------------------------------------------- */

static void test_request_decode_protobuf_c_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *id;
        int32_t value;
    } cases[] = {{"test-123", 42},   {"", 0},  {"", -1},
                 {"min", INT32_MIN}, {"x", 0}, {"", 150}};
    uint8_t bytes[64];
    char what[64];

    for (size_t i = 0; i < COUNT(cases); i++) {
        size_t n = reference(cases[i].id, cases[i].value, bytes);
        snprintf(what, sizeof what, "protobuf-c's Request{\"%s\", %d}",
                 cases[i].id, cases[i].value);
        expect_decodes(bytes, n, what, cases[i].id, cases[i].value,
                       "#decoding-safely");
    }
    static uint8_t big[400];
    const char *id = long_id(300);
    size_t n = reference(id, 9, big);
    expect_decodes(big, n, "a Request with a 300-byte id", id, 9,
                   "#decoding-safely");
    /* Some encoders write a negative int32 in 5 bytes: the low 32 bits. */
    expect_decodes("\x10\xff\xff\xff\xff\x0f", 6, "10 ff ff ff ff 0f", "", -1,
                   "#decoding-safely");
}

static void test_request_decode_skips_unknown_fields(void **state)
{
    (void)state;
    /* What a newer schema might send: fields 3..6 and 1000 of every wire type
     * around the two this program knows. */
    static const uint8_t newer[] = {
        0x18, 0x96, 0x01,                       /* 3: VARINT 150 */
        0x0a, 0x02, 'a',  'b',                  /* 1: id "ab" */
        0x21, 1,    2,    3,   4,   5, 6, 7, 8, /* 4: I64 */
        0x2a, 0x03, 'x',  'y', 'z',             /* 5: LEN "xyz" */
        0x35, 1,    2,    3,   4,               /* 6: I32 */
        0x10, 0x96, 0x01,                       /* 2: value 150 */
        0xc2, 0x3e, 0x01, 'q',                  /* 1000: LEN "q" */
    };
    Tutorial__V1__Request *ref =
        tutorial__v1__request__unpack(NULL, sizeof newer, newer);
    assert_non_null(ref); /* protobuf-c agrees these bytes are valid */
    assert_int_equal(ref->base.n_unknown_fields, 5);
    tutorial__v1__request__free_unpacked(ref, NULL);

    expect_decodes(newer, sizeof newer, "bytes with 5 unknown fields", "ab",
                   150, "#unknown-fields");
    expect_decodes(newer + 7, 14, "bytes with only unknown fields", "", 0,
                   "#unknown-fields");
}

static void test_request_decode_last_value_wins(void **state)
{
    (void)state;
    expect_decodes("\x10\x01\x10\x02", 4, "value 1, then value 2", "", 2,
                   "#decoding-safely");
    expect_decodes("\x0a\x01"
                   "a"
                   "\x10\x05\x0a\x01"
                   "b",
                   8, "id \"a\", value 5, id \"b\"", "b", 5,
                   "#decoding-safely");
}

static void test_request_decode_rejects_truncated(void **state)
{
    (void)state;
    static const uint8_t full[] = {
        0x0a, 0x08, 't',  'e',  's',  't',  '-',  '1',  '2',  '3', /* id */
        0x21, 1,    2,    3,    4,    5,    6,    7,    8,         /* 4: I64 */
        0x2d, 1,    2,    3,    4,                                 /* 5: I32 */
        0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x01, 0x32, 0x03, 'x',  'y',  'z', /* 6: LEN */
    };
    static const size_t ends[] = {0, 10, 19, 24, 35, sizeof full};
    char what[96];

    /* Cut the message after every byte: between fields it is a shorter but
     * valid message, inside one it must be rejected. */
    for (size_t len = 0, e = 0; len <= sizeof full; len++) {
        wire_request r;
        int rc = decode(full, len, &r);
        int boundary = len == ends[e];
        if (boundary)
            e++;
        snprintf(what, sizeof what, "the first %zu of %zu bytes (%s)", len,
                 sizeof full, boundary ? "between fields" : "inside a field");
        expect_true(rc == (boundary ? WIRE_OK : WIRE_ERR_TRUNCATED),
                    "#decoding-safely",
                    "wire_request_decode(%s) returned %d, want %s", what, rc,
                    boundary ? "WIRE_OK (0)" : "WIRE_ERR_TRUNCATED (-1)");
    }
    /* Lengths far past the end: compare with what is left, never add. */
    expect_rejects("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
                   "ab",
                   13, "an id whose length is 2^64 - 1", WIRE_ERR_TRUNCATED,
                   "#decoding-safely");
    expect_rejects("\x2a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
                   "ab",
                   13, "an unknown LEN field (5) of length 2^64 - 1",
                   WIRE_ERR_TRUNCATED, "#decoding-safely");
    expect_rejects("\x2a\xff\xff\xff\xff\x0f"
                   "ab",
                   8, "an unknown LEN field (5) 4 GB long", WIRE_ERR_TRUNCATED,
                   "#decoding-safely");
}

static void test_request_decode_rejects_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        const char *what;
        int lenient; /* protobuf-c accepts it; the spec, C++ and Go do not */
    } bad[] = {
        {"\x00\x01", 2, "field number 0", 0},
        {"\x1e\x01", 2, "wire type 6", 0},
        {"\x1f\x01", 2, "wire type 7", 0},
        {"\x1b\x20\x01\x1c", 4, "a group (wire type 3)", 0},
        {"\x1c", 1, "a group end (wire type 4)", 0},
        {"\x08\x01", 2, "id (field 1) as a VARINT", 0},
        {"\x11\x01\x02\x03\x04\x05\x06\x07\x08", 9, "value (field 2) as I64",
         0},
        {"\x12\x01\x05", 3, "value (field 2) as LEN", 0},
        {"\x80\x80\x80\x80\x10\x00", 6, "field number 2^29, one past the last",
         1},
        {"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11,
         "a tag that is an 11-byte varint", 0},
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        const uint8_t *b = (const uint8_t *)bad[i].bytes;
        Tutorial__V1__Request *ref =
            tutorial__v1__request__unpack(NULL, bad[i].len, b);
        if (ref) /* a test bug, not yours: protobuf-c should reject these too */
            tutorial__v1__request__free_unpacked(ref, NULL);
        assert_true(bad[i].lenient || ref == NULL);
        expect_rejects(b, bad[i].len, bad[i].what, WIRE_ERR_MALFORMED,
                       "#decoding-safely");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_encode_matches_protobuf_c),
        cmocka_unit_test(test_request_encode_negative_is_ten_bytes),
        cmocka_unit_test(test_request_encode_omits_defaults),
        cmocka_unit_test(test_request_encode_long_id),
        cmocka_unit_test(test_request_encode_buffer_too_small),
        cmocka_unit_test_teardown(test_request_decode_protobuf_c_bytes,
                                  free_input),
        cmocka_unit_test_teardown(test_request_decode_skips_unknown_fields,
                                  free_input),
        cmocka_unit_test_teardown(test_request_decode_last_value_wins,
                                  free_input),
        cmocka_unit_test_teardown(test_request_decode_rejects_truncated,
                                  free_input),
        cmocka_unit_test_teardown(test_request_decode_rejects_malformed,
                                  free_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
