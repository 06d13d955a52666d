/*
 * status.h: building cg_status values inside the runtime.
 *
 * The public half (cg_ok, cg_error, cg_status_name) is declared in cgrpc.h.
 * The runtime also needs to make statuses from a va_list, from the core's
 * (code, details slice) pair, each cut safely to fit.
 */
#ifndef CGRPC_STATUS_H
#define CGRPC_STATUS_H

#include <stdarg.h>

#include <grpc/slice.h>

#include "cgrpc.h"

/* A status with a printf-formatted message, cut at CG_STATUS_MESSAGE_MAX. */
cg_status cgi_status(grpc_status_code code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
cg_status cgi_vstatus(grpc_status_code code, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* INVALID_ARGUMENT naming a NULL argument: "<fn>: <arg> is NULL" (the
 * failure value of a function that returns a status; see cgrpc.h). */
cg_status cgi_null_arg(const char *fn, const char *arg);

/* A status from what the core reports on the client: code and details. */
cg_status cgi_status_from_core(grpc_status_code code, grpc_slice details);

#endif
