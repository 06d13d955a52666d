/*
 * test_varint.c: exercise 2, varints (wire_put_varint, wire_get_varint in
 * wire.c). Byte patterns from the protobuf encoding guide; inputs to the
 * decoder are copied to buffers of their exact size, so a read past the end
 * shows up under `make memcheck`.
 */
#define LESSON_PAGE "steps/02-schema.md"
#define EXERCISE_FILE "wire.c"
#include "lesson.h"

#include <stdlib.h>

#include "wire.h"

typedef struct sample {
    uint64_t value;
    uint8_t bytes[WIRE_VARINT_MAX];
    size_t len;
} sample;

static const sample one_byte[] = {
    {0, {0x00}, 1},
    {1, {0x01}, 1},
    {42, {0x2a}, 1},
    {127, {0x7f}, 1},
};

static const sample multi_byte[] = {
    {128, {0x80, 0x01}, 2},
    {150, {0x96, 0x01}, 2},
    {300, {0xac, 0x02}, 2},
    {16383, {0xff, 0x7f}, 2},
    {16384, {0x80, 0x80, 0x01}, 3},
    {UINT32_MAX, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
    {(uint64_t)1 << 63,
     {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
     10},
    {UINT64_MAX,
     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
     10},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The decoder's input, in a heap block of exactly len bytes. */
static uint8_t *input;

static int free_input(void **state)
{
    (void)state;
    free(input);
    input = NULL;
    return 0;
}

static int decode(const uint8_t *bytes, size_t len, uint64_t *value)
{
    free(input);
    input = malloc(len);
    if (len)
        memcpy(input, bytes, len);
    return wire_get_varint(input, len, value);
}

/* "ac 02" */
static const char *hex(const uint8_t *b, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    snprintf(out, cap, "(nothing)");
    for (size_t i = 0; i < n && len + 4 < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%02x", i ? " " : "",
                                b[i]);
    return out;
}

static void expect_encodes(const sample *s)
{
    uint8_t out[WIRE_VARINT_MAX + 4];
    memset(out, 0xee, sizeof out);
    char want[64], got[64];
    size_t n = wire_put_varint(out, s->value);
    expect_true(
        n == s->len && memcmp(out, s->bytes, n) == 0, "#varints",
        "wire_put_varint(%llu)\n      expected: %s\n      got:      %s",
        (unsigned long long)s->value, hex(s->bytes, s->len, want, sizeof want),
        hex(out, n <= WIRE_VARINT_MAX ? n : WIRE_VARINT_MAX, got, sizeof got));
    expect_true(out[n] == 0xee, "#varints",
                "wire_put_varint(%llu) wrote past the %zu bytes it returned",
                (unsigned long long)s->value, n);
}

static void test_varint_encode_one_byte(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(one_byte); i++)
        expect_encodes(&one_byte[i]);
}

static void test_varint_encode_multi_byte(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(multi_byte); i++)
        expect_encodes(&multi_byte[i]);
}

static void test_varint_decode_round_trip(void **state)
{
    (void)state;
    const sample *all[] = {one_byte, multi_byte};
    const size_t counts[] = {COUNT(one_byte), COUNT(multi_byte)};

    for (size_t t = 0; t < 2; t++) {
        for (size_t i = 0; i < counts[t]; i++) {
            const sample *s = &all[t][i];
            uint8_t bytes[WIRE_VARINT_MAX + 2];
            memcpy(bytes, s->bytes, s->len);
            bytes[s->len] = 0x05; /* the next field's bytes: not ours to read */
            uint64_t v = 0;
            int n = decode(bytes, s->len + 1, &v);
            expect_true(n == (int)s->len && v == s->value, "#varints",
                        "wire_get_varint on the %zu-byte encoding of %llu "
                        "returned %d with value %llu; want %zu and %llu",
                        s->len, (unsigned long long)s->value, n,
                        (unsigned long long)v, s->len,
                        (unsigned long long)s->value);
        }
    }
}

static void test_varint_decode_truncated(void **state)
{
    (void)state;
    /* Each starts a varint but ends before a byte without the top bit. */
    const sample *max = &multi_byte[COUNT(multi_byte) - 1];
    const struct {
        const uint8_t *bytes;
        size_t len;
        const char *what;
    } cut[] = {
        {(const uint8_t *)"", 0, "no bytes at all"},
        {(const uint8_t *)"\x80", 1, "80"},
        {(const uint8_t *)"\x96", 1, "96 (150 without its second byte)"},
        {(const uint8_t *)"\x80\x80\x80", 3, "80 80 80"},
        {max->bytes, 9, "the first 9 of the 10 bytes of UINT64_MAX"},
    };
    uint64_t v;

    for (size_t i = 0; i < COUNT(cut); i++) {
        int rc = decode(cut[i].bytes, cut[i].len, &v);
        expect_true(rc == WIRE_ERR_TRUNCATED, "#decoding-safely",
                    "wire_get_varint on %s returned %d, want "
                    "WIRE_ERR_TRUNCATED (%d)",
                    cut[i].what, rc, WIRE_ERR_TRUNCATED);
    }
}

static void test_varint_decode_overlong(void **state)
{
    (void)state;
    static const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                     0x80, 0x80, 0x80, 0x80, 0x01};
    static const uint8_t past_64_bits[] = {0xff, 0xff, 0xff, 0xff, 0xff,
                                           0xff, 0xff, 0xff, 0xff, 0x02};
    uint64_t v;

    int rc = decode(eleven, sizeof eleven, &v);
    expect_true(rc == WIRE_ERR_MALFORMED, "#decoding-safely",
                "wire_get_varint on an 11-byte varint returned %d, want "
                "WIRE_ERR_MALFORMED (%d): no varint is longer than 10 bytes",
                rc, WIRE_ERR_MALFORMED);
    rc = decode(eleven, 10, &v);
    expect_true(rc == WIRE_ERR_MALFORMED, "#decoding-safely",
                "wire_get_varint on 10 bytes that all say \"more follows\" "
                "returned %d, want WIRE_ERR_MALFORMED (%d)",
                rc, WIRE_ERR_MALFORMED);
    rc = decode(past_64_bits, sizeof past_64_bits, &v);
    expect_true(rc == WIRE_ERR_MALFORMED, "#decoding-safely",
                "wire_get_varint on a varint whose 10th byte is 0x02 (a 65th "
                "bit) returned %d, want WIRE_ERR_MALFORMED (%d)",
                rc, WIRE_ERR_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_encode_one_byte),
        cmocka_unit_test(test_varint_encode_multi_byte),
        cmocka_unit_test_teardown(test_varint_decode_round_trip, free_input),
        cmocka_unit_test_teardown(test_varint_decode_truncated, free_input),
        cmocka_unit_test_teardown(test_varint_decode_overlong, free_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
