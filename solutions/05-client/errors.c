/*
 * errors.c: exercise 5, status codes for people (contracts in errors.h).
 * Test: `make test` here; suite errors.
 * Lesson: docs/en/steps/05-client.md#exercise-5-status-codes-for-people
 */
#include "errors.h"

#include <stdio.h>

const char *status_explain(grpc_status_code code)
{
    switch (code) {
    case GRPC_STATUS_OK:
        return SAY_OK;
    case GRPC_STATUS_CANCELLED:
        return SAY_CANCELLED;
    case GRPC_STATUS_INVALID_ARGUMENT:
    case GRPC_STATUS_OUT_OF_RANGE:
        return SAY_INVALID;
    case GRPC_STATUS_NOT_FOUND:
        return SAY_NOT_FOUND;
    case GRPC_STATUS_ALREADY_EXISTS:
        return SAY_EXISTS;
    case GRPC_STATUS_PERMISSION_DENIED:
        return SAY_DENIED;
    case GRPC_STATUS_UNAUTHENTICATED:
        return SAY_SIGN_IN;
    case GRPC_STATUS_FAILED_PRECONDITION:
        return SAY_NOT_NOW;
    case GRPC_STATUS_RESOURCE_EXHAUSTED:
        return SAY_LIMIT;
    case GRPC_STATUS_ABORTED:
        return SAY_CONFLICT;
    case GRPC_STATUS_UNAVAILABLE:
        return SAY_UNAVAILABLE;
    case GRPC_STATUS_DEADLINE_EXCEEDED:
        return SAY_TIMEOUT;
    case GRPC_STATUS_UNIMPLEMENTED:
        return SAY_UNSUPPORTED;
    default:
        /* INTERNAL, UNKNOWN, DATA_LOSS, and numbers that are no code. */
        return SAY_SERVER_ERROR;
    }
}

bool status_should_retry(grpc_status_code code, bool idempotent)
{
    switch (code) {
    case GRPC_STATUS_UNAVAILABLE:
        return true;
    case GRPC_STATUS_DEADLINE_EXCEEDED:
    case GRPC_STATUS_ABORTED:
        return idempotent;
    default:
        return false;
    }
}

/* Whether a status's message is written for the caller to read. */
static bool message_is_for_users(grpc_status_code code)
{
    switch (code) {
    case GRPC_STATUS_INTERNAL:
    case GRPC_STATUS_UNKNOWN:
    case GRPC_STATUS_DATA_LOSS:
    case GRPC_STATUS_UNAVAILABLE:
    case GRPC_STATUS_DEADLINE_EXCEEDED:
        return false;
    default:
        return true;
    }
}

int status_describe(const cg_status *st, char *buf, size_t cap)
{
    if (st->code == GRPC_STATUS_OK)
        return snprintf(buf, cap, "%s", SAY_OK);
    const char *say = status_explain(st->code);
    const char *name = cg_status_name(st->code);
    if (st->message[0] != '\0' && message_is_for_users(st->code))
        return snprintf(buf, cap, "%s: %s (%s)", say, st->message, name);
    return snprintf(buf, cap, "%s (%s)", say, name);
}
