/*
 * errors.c: exercise 5, status codes for people (contracts in errors.h).
 * Write the three functions; `make test` here runs suite errors.
 * Lesson: docs/en/steps/05-client.md#exercise-5-status-codes-for-people
 */
#include "errors.h"

#include <stdio.h>

const char *status_explain(grpc_status_code code)
{
    /* TODO: a switch on code, one SAY_ text per case (errors.h has the
     * table) */
    return cg_status_name(code);
}

bool status_should_retry(grpc_status_code code, bool idempotent)
{
    (void)code;
    (void)idempotent;
    /* TODO: UNAVAILABLE always; DEADLINE_EXCEEDED and ABORTED if idempotent */
    return false;
}

int status_describe(const cg_status *st, char *buf, size_t cap)
{
    /* TODO: "<explanation>: <message> (<CODE>)", the message only when it
     * is fit to show; "OK" for OK */
    return snprintf(buf, cap, "%s", st->message);
}
