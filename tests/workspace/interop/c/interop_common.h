/*
 * interop_common.h: what the C interop server and client share: command-line
 * flags in the style of gRPC's interop programs, and zero-filled payloads.
 */
#ifndef INTEROP_COMMON_H
#define INTEROP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest payload either side builds: gRPC's default message limit. */
#define INTEROP_MAX_PAYLOAD (4u << 20)

/* The value of --name=VALUE or --name VALUE in argv, or NULL when absent.
 * Any argument that is not --name=... of one of `known` (a NULL-terminated
 * list) prints `usage` to stderr and exits with status 2. */
const char *interop_flag(int argc, char **argv, const char *const *known,
                         const char *name, const char *usage);

/* Parses a decimal int in [min, max]; false on anything else. */
bool interop_parse_int(const char *s, long min, long max, long *out);

/* `size` zero bytes (size <= INTEROP_MAX_PAYLOAD), shared and never written:
 * a payload body points at them instead of allocating. */
uint8_t *interop_zeros(size_t size);

/* True when the `len` bytes at `data` are all zero. */
bool interop_all_zero(const uint8_t *data, size_t len);

#endif /* INTEROP_COMMON_H */
