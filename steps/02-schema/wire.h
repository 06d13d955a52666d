/*
 * wire.h: the protobuf wire format, by hand (given; you write wire.c).
 *
 * A message on the wire is a row of fields, in any order. Each field is a
 * tag, a varint worth (field_number << 3) | wire_type, followed by a value
 * laid out as its wire type says:
 *
 *     VARINT  a varint (int32, int64, bool, enum, ...)
 *     I64     8 bytes, little-endian (fixed64, double, ...)
 *     LEN     a varint length, then that many bytes (string, bytes, messages)
 *     I32     4 bytes, little-endian (fixed32, float, ...)
 *
 * Wire types 3 and 4 were "groups", long deprecated; 6 and 7 do not exist.
 * The lesson: docs/en/steps/02-schema.md#exercise-2-the-wire-format-by-hand
 */
#ifndef STEP02_WIRE_H
#define STEP02_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* The longest varint: 64 bits, 7 per byte. */
#define WIRE_VARINT_MAX 10

/* The largest field number protobuf allows (2^29 - 1). */
#define WIRE_FIELD_MAX 536870911u

enum wire_type {
    WIRE_VARINT = 0,
    WIRE_I64 = 1,
    WIRE_LEN = 2,
    WIRE_SGROUP = 3, /* deprecated: not supported here */
    WIRE_EGROUP = 4, /* deprecated: not supported here */
    WIRE_I32 = 5,
};

/* Results. Functions that return a count return one of these when < 0. */
enum wire_status {
    WIRE_OK = 0,
    WIRE_ERR_TRUNCATED = -1, /* the input ends in the middle of something */
    WIRE_ERR_MALFORMED = -2, /* bytes no valid encoder could have written */
    WIRE_ERR_SPACE = -3,     /* the output buffer is too small */
};

/*
 * Writes `value` as a varint: 7 bits per byte, least significant group
 * first, the top bit (0x80) set on every byte except the last.
 * `out` must have room for WIRE_VARINT_MAX bytes. Returns the number of
 * bytes written, 1 to 10 (0 is written as the single byte 0x00).
 */
size_t wire_put_varint(uint8_t *out, uint64_t value);

/*
 * Reads one varint from buf[0..len) into *value (OUT).
 * Returns the number of bytes it used (1 to 10), or
 *   WIRE_ERR_TRUNCATED  len bytes end before a byte without the top bit
 *                       (including len == 0);
 *   WIRE_ERR_MALFORMED  the varint would be longer than 10 bytes, or its
 *                       10th byte holds more than the 64th bit (> 0x01).
 * Never reads buf[len] or beyond. On error *value is unspecified.
 */
int wire_get_varint(const uint8_t *buf, size_t len, uint64_t *value);

/*
 * tutorial.v1.Request (proto/tutorial/v1/my_service.proto), as plain C:
 *     string id = 1;
 *     int32 value = 2;
 * `id` need not end in '\0': its length is id_len. After a decode it points
 * INTO the decoded buffer, so it lives only as long as that buffer does.
 */
typedef struct wire_request {
    const char *id;
    size_t id_len;
    int32_t value;
} wire_request;

/*
 * Encodes *r into out[0..cap) exactly as protobuf-c does: field 1 (LEN)
 * if id_len > 0, then field 2 (VARINT) if value != 0. Default values are
 * left out, so a default request encodes to 0 bytes. A negative value is
 * sign-extended to 64 bits, so it always takes 10 bytes.
 * On WIRE_OK, *len (OUT) is the number of bytes written. Returns
 * WIRE_ERR_SPACE if cap is too small; then out[0..cap) may hold part of
 * the message, and nothing at or past out[cap] is touched.
 */
int wire_request_encode(const wire_request *r, uint8_t *out, size_t cap,
                        size_t *len);

/*
 * Decodes buf[0..len) into *r (OUT). Fields that are absent keep their
 * defaults (id "" with id_len 0, value 0); a field that appears twice
 * takes its last value. Fields other than 1 and 2 are skipped whatever
 * their wire type (VARINT, I64, LEN, I32): this is what lets an old
 * program read bytes written by a newer schema. value takes the low 32
 * bits of the varint, as a C cast to int32_t would.
 * Returns WIRE_OK, or
 *   WIRE_ERR_TRUNCATED  the input ends inside a tag or a field, or a
 *                       length runs past the end of the input;
 *   WIRE_ERR_MALFORMED  field number 0 or above WIRE_FIELD_MAX, wire type
 *                       3, 4, 6 or 7, a varint longer than 10 bytes, or
 *                       field 1 or 2 with a wire type other than its own.
 * Never reads outside buf[0..len). On error *r is unspecified.
 */
int wire_request_decode(const uint8_t *buf, size_t len, wire_request *r);

#endif
