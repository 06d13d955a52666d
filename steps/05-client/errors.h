/*
 * errors.h: exercise 5, turning status codes into what a user should read
 * (given; you write errors.c).
 *
 * Every failed call comes back as a status: a code for programs and a
 * message. The outline's client switches on the code (InvalidArgument,
 * NotFound, Internal); here the switch covers every code, decides whether
 * trying again can help, and whether the message is fit to show.
 * The lesson: docs/en/steps/05-client.md#exercise-5-status-codes-for-people
 */
#ifndef STEP05_ERRORS_H
#define STEP05_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

#include <cgrpc.h>

/* What status_explain says, by code (the table is in the lesson). */
/* [say] */
#define SAY_OK "OK"
#define SAY_CANCELLED "Cancelled"
#define SAY_INVALID "Invalid request"
#define SAY_NOT_FOUND "Not found"
#define SAY_EXISTS "Already exists"
#define SAY_DENIED "Permission denied"
#define SAY_SIGN_IN "Please sign in"
#define SAY_NOT_NOW "Not possible in the current state"
#define SAY_LIMIT "A limit was exceeded"
#define SAY_CONFLICT "Conflict with another change, try again"
#define SAY_UNAVAILABLE "Service unavailable, try again later"
#define SAY_TIMEOUT "The server did not answer in time"
#define SAY_UNSUPPORTED "Not supported by this server"
#define SAY_SERVER_ERROR "Server error"
/* [/say] */

/*
 * The sentence a user reads for `code`: one of the SAY_ texts above.
 *   OK: SAY_OK                     CANCELLED: SAY_CANCELLED
 *   INVALID_ARGUMENT, OUT_OF_RANGE: SAY_INVALID
 *   NOT_FOUND: SAY_NOT_FOUND       ALREADY_EXISTS: SAY_EXISTS
 *   PERMISSION_DENIED: SAY_DENIED  UNAUTHENTICATED: SAY_SIGN_IN
 *   FAILED_PRECONDITION: SAY_NOT_NOW
 *   RESOURCE_EXHAUSTED: SAY_LIMIT  ABORTED: SAY_CONFLICT
 *   UNAVAILABLE: SAY_UNAVAILABLE   DEADLINE_EXCEEDED: SAY_TIMEOUT
 *   UNIMPLEMENTED: SAY_UNSUPPORTED
 *   INTERNAL, UNKNOWN, DATA_LOSS, and any value that is not a code:
 *   SAY_SERVER_ERROR
 * Never NULL.
 */
const char *status_explain(grpc_status_code code);

/*
 * Whether the same call, made again later, may succeed:
 *  - UNAVAILABLE: yes (the request did not get through, or the server
 *    is restarting);
 *  - DEADLINE_EXCEEDED and ABORTED: only when the call is idempotent (the
 *    first try may have been carried out; doing it twice must be harmless);
 *  - every other code, OK included: no (the same request fails the same
 *    way, or needs a change first).
 */
bool status_should_retry(grpc_status_code code, bool idempotent);

/*
 * Writes one line for a user into buf[0..cap) (cut to fit, always
 * NUL-terminated when cap > 0) and returns the length the whole line has,
 * as snprintf does:
 *   "<explanation>: <message> (<CODE>)"  when the message is shown,
 *   "<explanation> (<CODE>)"             when it is not,
 *   "OK"                                 for OK.
 * <explanation> is status_explain(code), <CODE> is cg_status_name(code).
 * The message is shown unless it is empty or the code is one whose
 * message is not written for users: INTERNAL, UNKNOWN and DATA_LOSS (the
 * server's insides) or UNAVAILABLE and DEADLINE_EXCEEDED (the transport's
 * own words). Example: NOT_FOUND "user 42 not found" gives
 * "Not found: user 42 not found (NOT_FOUND)".
 */
int status_describe(const cg_status *st, char *buf, size_t cap);

#endif
