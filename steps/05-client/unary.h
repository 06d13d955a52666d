/*
 * unary.h: exercise 1, unary calls with a deadline (given; you write
 * unary.c).
 *
 * A unary call is one request and one response, like a function call that
 * happens to cross the network. Two things make it different from a local
 * call, and both are in these contracts: it can take any amount of time (so
 * every call gets a deadline), and it can fail in ways a local function
 * cannot (so every call returns a status, and a response only with OK).
 * The lesson:
 * docs/en/steps/05-client.md#exercise-1-a-unary-call-with-a-deadline
 */
#ifndef STEP05_UNARY_H
#define STEP05_UNARY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cgrpc.h>

#include "tutorial/v1/my_service.cgrpc.h"
#include "tutorial/v1/user_service.cgrpc.h"

/* The deadline of a call whose caller passed timeout_ms 0: no call of this
 * client waits for ever. */
#define CLIENT_TIMEOUT_MS 5000

/*
 * The outline's main, in C: dials `target` (e.g. "127.0.0.1:50051"),
 * calls MyService.UnaryCall with Request{id: "test-123", value: 42} and a
 * deadline of CLIENT_TIMEOUT_MS, prints "Response: <message>\n" on `out`,
 * and closes the channel. Returns 0.
 * On a failed call it prints "error: <CODE>: <message>\n" on `out` (CODE
 * as cg_status_name gives it, e.g. "error: UNAVAILABLE: failed to connect")
 * and returns 1; a target the runtime refuses is reported the same way.
 * Nothing stays allocated when it returns.
 */
int outline_main(const char *target, FILE *out);

/*
 * Calls MyService.UnaryCall on `ch` with Request{id, value} and a deadline
 * timeout_ms from now (0: CLIENT_TIMEOUT_MS).
 * On OK, the response's message is copied into msg[0..cap) (cut to cap-1
 * bytes if longer, always NUL-terminated) and the response is freed.
 * Otherwise msg is "" and the returned status says why: INVALID_ARGUMENT
 * for an empty id, DEADLINE_EXCEEDED when the server did not answer in
 * time, UNAVAILABLE when it cannot be reached, and so on.
 * msg may be NULL when cap is 0 (the message is not wanted).
 */
cg_status unary_call(cg_channel *ch, const char *id, int32_t value,
                     int64_t timeout_ms, char *msg, size_t cap);

/*
 * Calls UserService.GetUser on `ch` for `user_id`, with a deadline
 * timeout_ms from now (0: CLIENT_TIMEOUT_MS).
 * On OK, *user (OUT) is a new User that the caller frees with
 * tutorial__v1__user__free_unpacked(*user, NULL). On any other status,
 * *user is NULL: INVALID_ARGUMENT for an empty user_id, NOT_FOUND for an
 * unknown one, INTERNAL when the server failed, and so on.
 */
cg_status get_user(cg_channel *ch, const char *user_id, int64_t timeout_ms,
                   Tutorial__V1__User **user);

#endif
