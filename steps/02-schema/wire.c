/*
 * wire.c: exercise 2, the protobuf wire format by hand (contracts in wire.h).
 * Test: `make test` here; suites varint and request.
 * Lesson: docs/en/steps/02-schema.md#exercise-2-the-wire-format-by-hand
 */
#include "wire.h"

#include <string.h>

size_t wire_put_varint(uint8_t *out, uint64_t value)
{
    (void)out;
    (void)value;
    return 0; /* TODO: 7 bits per byte, low bits first, 0x80 on all but the last
               */
}

int wire_get_varint(const uint8_t *buf, size_t len, uint64_t *value)
{
    (void)buf;
    (void)len;
    *value =
        0; /* TODO: the reverse of wire_put_varint, checking len at each byte */
    return 0; /* TODO: bytes used, or WIRE_ERR_TRUNCATED / WIRE_ERR_MALFORMED */
}

int wire_request_encode(const wire_request *r, uint8_t *out, size_t cap,
                        size_t *len)
{
    (void)r;
    (void)out;
    (void)cap;
    *len = 0; /* TODO: tag + length + bytes for id, tag + varint for value */
    return WIRE_OK;
}

int wire_request_decode(const uint8_t *buf, size_t len, wire_request *r)
{
    (void)buf;
    (void)len;
    r->id = "";
    r->id_len = 0;
    r->value = 0;
    return WIRE_OK; /* TODO: read tag after tag; take fields 1 and 2, skip the
                       rest */
}
