/*
 * wire.c: exercise 2, the protobuf wire format by hand (contracts in wire.h).
 * Test: `make test` here; suites varint and request.
 * Lesson: docs/en/steps/02-schema.md#exercise-2-the-wire-format-by-hand
 */
#include "wire.h"

#include <string.h>

size_t wire_put_varint(uint8_t *out, uint64_t value)
{
    size_t n = 0;
    while (value >= 0x80) {
        out[n++] = (uint8_t)(value | 0x80); /* low 7 bits, "more follows" */
        value >>= 7;
    }
    out[n++] = (uint8_t)value;
    return n;
}

int wire_get_varint(const uint8_t *buf, size_t len, uint64_t *value)
{
    uint64_t v = 0;
    for (size_t i = 0; i < WIRE_VARINT_MAX; i++) {
        if (i == len)
            return WIRE_ERR_TRUNCATED;
        uint8_t b = buf[i];
        if (i == WIRE_VARINT_MAX - 1 && b > 0x01)
            return WIRE_ERR_MALFORMED; /* bits past the 64th, or an 11th byte */
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *value = v;
            return (int)(i + 1);
        }
    }
    return WIRE_ERR_MALFORMED; /* not reached: the 10th byte is checked above */
}

/* ---- encoding ---------------------------------------------------------- */

/* The field's tag: its number and how its value is laid out. */
static uint64_t tag(uint32_t field, enum wire_type type)
{
    return ((uint64_t)field << 3) | (uint64_t)type;
}

/* Appends a varint at out[*pos], if it fits in cap. */
static int put_varint(uint8_t *out, size_t cap, size_t *pos, uint64_t v)
{
    uint8_t tmp[WIRE_VARINT_MAX];
    size_t n = wire_put_varint(tmp, v);
    if (n > cap - *pos)
        return WIRE_ERR_SPACE;
    memcpy(out + *pos, tmp, n);
    *pos += n;
    return WIRE_OK;
}

int wire_request_encode(const wire_request *r, uint8_t *out, size_t cap,
                        size_t *len)
{
    size_t pos = 0;
    int rc;

    if (r->id_len > 0) {
        if ((rc = put_varint(out, cap, &pos, tag(1, WIRE_LEN))) != WIRE_OK ||
            (rc = put_varint(out, cap, &pos, r->id_len)) != WIRE_OK)
            return rc;
        if (r->id_len > cap - pos)
            return WIRE_ERR_SPACE;
        memcpy(out + pos, r->id, r->id_len);
        pos += r->id_len;
    }
    if (r->value != 0) {
        /* int32 goes on the wire as int64: -1 becomes 2^64 - 1, ten bytes. */
        uint64_t v = (uint64_t)(int64_t)r->value;
        if ((rc = put_varint(out, cap, &pos, tag(2, WIRE_VARINT))) != WIRE_OK ||
            (rc = put_varint(out, cap, &pos, v)) != WIRE_OK)
            return rc;
    }
    *len = pos;
    return WIRE_OK;
}

/* ---- decoding ---------------------------------------------------------- */

/* Reads a varint at buf[*pos]; advances *pos past it. */
static int get_varint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *v)
{
    int n = wire_get_varint(buf + *pos, len - *pos, v);
    if (n < 0)
        return n;
    *pos += (size_t)n;
    return WIRE_OK;
}

/* Steps over the value of a field we do not know, whatever its wire type. */
static int skip_value(const uint8_t *buf, size_t len, size_t *pos,
                      uint64_t type)
{
    uint64_t n;
    int rc;

    switch (type) {
    case WIRE_VARINT:
        return get_varint(buf, len, pos, &n);
    case WIRE_I64:
        n = 8;
        break;
    case WIRE_I32:
        n = 4;
        break;
    case WIRE_LEN:
        if ((rc = get_varint(buf, len, pos, &n)) != WIRE_OK)
            return rc;
        break;
    default: /* groups (3, 4) and wire types that do not exist (6, 7) */
        return WIRE_ERR_MALFORMED;
    }
    /* Compare against what is left, never compute *pos + n: n may be huge. */
    if (n > len - *pos)
        return WIRE_ERR_TRUNCATED;
    *pos += (size_t)n;
    return WIRE_OK;
}

int wire_request_decode(const uint8_t *buf, size_t len, wire_request *r)
{
    size_t pos = 0;

    r->id = "";
    r->id_len = 0;
    r->value = 0;

    while (pos < len) {
        uint64_t key, v;
        int rc;

        if ((rc = get_varint(buf, len, &pos, &key)) != WIRE_OK)
            return rc;
        uint64_t field = key >> 3, type = key & 7;
        if (field == 0 || field > WIRE_FIELD_MAX)
            return WIRE_ERR_MALFORMED;

        if (field == 1) {
            if (type != WIRE_LEN)
                return WIRE_ERR_MALFORMED;
            if ((rc = get_varint(buf, len, &pos, &v)) != WIRE_OK)
                return rc;
            if (v > len - pos)
                return WIRE_ERR_TRUNCATED;
            r->id = (const char *)buf + pos;
            r->id_len = (size_t)v;
            pos += (size_t)v;
        } else if (field == 2) {
            if (type != WIRE_VARINT)
                return WIRE_ERR_MALFORMED;
            if ((rc = get_varint(buf, len, &pos, &v)) != WIRE_OK)
                return rc;
            r->value = (int32_t)(uint32_t)v; /* the low 32 bits */
        } else if ((rc = skip_value(buf, len, &pos, type)) != WIRE_OK) {
            return rc;
        }
    }
    return WIRE_OK;
}
