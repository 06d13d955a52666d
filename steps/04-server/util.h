/*
 * util.h: two small helpers the services use. Given: read them, don't edit.
 */
#ifndef STEP04_UTIL_H
#define STEP04_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cgrpc.h>

/* The 64-bit FNV-1a hash of len bytes (data may be NULL when len is 0).
 * FileService names an upload by it: fnv1a64("", 0) is 0xcbf29ce484222325,
 * printed with "%016" PRIx64 as "cbf29ce484222325". Not a cryptographic
 * hash: two different files can share an id, and anyone can make them. */
uint64_t fnv1a64(const void *data, size_t len);

/* Waits ms milliseconds, like the outline's time.Sleep, but gives up early
 * when the call is cancelled (the client went away, its deadline passed, or
 * the server is stopping). Returns true after the whole wait, false when the
 * call was cancelled: then stop and return an error status. ms <= 0 waits
 * not at all (it still reports a cancelled call). */
bool sleep_or_cancel(cg_ctx *ctx, int64_t ms);

#endif
