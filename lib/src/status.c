/*
 * status.c: status values (cg_ok, names of codes, and the runtime's own
 * ways to make them). cg_error, which also records the status on a call,
 * lives with the call context in ctx.c.
 *
 * A cg_status is a plain struct with its message inline, so returning one
 * never allocates and the caller has nothing to free: "errors are values".
 * The price is a length limit; messages longer than CG_STATUS_MESSAGE_MAX - 1
 * bytes are cut, on a UTF-8 character boundary so that the result is still
 * valid text for the grpc-message header.
 */
#include "status.h"

#include <stdio.h>
#include <string.h>

/* Copies `len` bytes of `src` into dst[cap] as a NUL-terminated string,
 * cutting at a UTF-8 character boundary when it does not fit. */
static void copy_utf8(char *dst, size_t cap, const char *src, size_t len)
{
    if (cap == 0)
        return;
    if (len >= cap) {
        len = cap - 1;
        /* Back up over continuation bytes (10xxxxxx) so that a multi-byte
         * character is dropped whole rather than cut in half. */
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

cg_status cgi_vstatus(grpc_status_code code, const char *fmt, va_list ap)
{
    cg_status st = {.code = code, .message = ""};
    if (fmt == NULL)
        return st;
    /* Format into a buffer larger than the message so the cut below can
     * happen on a character boundary instead of wherever vsnprintf stops. */
    char buf[CG_STATUS_MESSAGE_MAX * 2];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n < 0)
        return st;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    copy_utf8(st.message, sizeof st.message, buf, len);
    return st;
}

cg_status cgi_status(grpc_status_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cg_status st = cgi_vstatus(code, fmt, ap);
    va_end(ap);
    return st;
}

cg_status cgi_null_arg(const char *fn, const char *arg)
{
    return cgi_status(GRPC_STATUS_INVALID_ARGUMENT, "%s: %s is NULL", fn, arg);
}

cg_status cgi_status_from_core(grpc_status_code code, grpc_slice details)
{
    cg_status st = {.code = code, .message = ""};
    copy_utf8(st.message, sizeof st.message,
              (const char *)GRPC_SLICE_START_PTR(details),
              GRPC_SLICE_LENGTH(details));
    return st;
}

cg_status cg_ok(void)
{
    cg_status st = {.code = GRPC_STATUS_OK, .message = ""};
    return st;
}

const char *cg_status_name(grpc_status_code code)
{
    /* Indexed by code: the codes are 0..16 and fixed by the gRPC spec. */
    static const char *const names[] = {
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    };
    if ((int)code < 0 || (size_t)code >= sizeof names / sizeof names[0])
        return "UNKNOWN_CODE";
    return names[code];
}
