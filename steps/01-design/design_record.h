/*
 * design_record.h: the design of every method in proto/tutorial/v1, as data.
 *
 * Given code: read it, don't edit it. Exercise 3 fills in DESIGN_RECORD in
 * design_record.c; the tests check it against the .proto files and against
 * the requirements below.
 * Lesson: docs/en/steps/01-design.md#the-design-record
 */
#ifndef DESIGN_DESIGN_RECORD_H
#define DESIGN_DESIGN_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc_kind.h"

/* One method, answering the outline's five questions. */
struct method_design {
    /* Which method: the HTTP/2 :path of its calls, "/package.Service/Method",
     * e.g. "/tutorial.v1.UserService/GetUser". */
    const char *path;
    /* What: the request and response message types, named as in the .proto. */
    const char *request;
    const char *response;
    /* When: what makes a client call it, in one sentence. */
    const char *when;
    /* How: the kind of call. */
    rpc_kind kind;
    /* How fast: the deadline a client sets for the whole call, every retry
     * included. 0 would mean "no deadline", which gRPC allows and the
     * requirements do not. */
    uint32_t deadline_ms;
    /* How much: the largest single message either side accepts, in bytes. */
    uint32_t max_message_bytes;
    /* Calling it twice has the same effect as calling it once. */
    bool idempotent;
    /* Clients may retry it automatically after a failure. */
    bool retryable;
};

/* The worked example, DESIGN_RECORD's first entry: MyService.UnaryCall
 * answers "Processed: <id>" and changes nothing on the server, so repeating
 * it is harmless. Copy its shape for every other method. */
#define DESIGN_WORKED_EXAMPLE                                                  \
    {                                                                          \
        .path = "/tutorial.v1.MyService/UnaryCall", .request = "Request",      \
        .response = "Response",                                                \
        .when = "whenever a client wants one id processed", .kind = RPC_UNARY, \
        .deadline_ms = 1000, .max_message_bytes = 4 * 1024,                    \
        .idempotent = true, .retryable = true,                                 \
    }

/* Exercise 3 (design_record.c): one entry per method of the .proto files,
 * DESIGN_WORKED_EXAMPLE first. */
extern const struct method_design DESIGN_RECORD[];
extern const size_t DESIGN_RECORD_LEN;

/*
 * Given (lookup.c): the first entry of DESIGN_RECORD whose path equals
 * `path`, or NULL if there is none or `path` is NULL.
 */
const struct method_design *design_find(const char *path);

/*
 * The requirements (the lesson's table, #requirements). Times in ms,
 * sizes in bytes.
 */
/* Every unary call answers within 5 s; every stream ends within an hour
 * (then the client opens a new one). */
#define REQ_UNARY_MAX_DEADLINE_MS 5000u
#define REQ_STREAM_MAX_DEADLINE_MS 3600000u
/* StreamNotifications and Chat are sessions: at least a minute each. */
#define REQ_SESSION_MIN_DEADLINE_MS 60000u

/* GetUser: the server answers 99% of calls within 80 ms; the client tries
 * twice (one retry); the page that needs the user has 300 ms in all. */
#define REQ_GET_USER_P99_MS 80u
#define REQ_GET_USER_ATTEMPTS 2u
#define REQ_GET_USER_BUDGET_MS 300u

/* UploadFile: 100 MiB over a 10 Mbit/s link takes about 84 s, so allow at
 * least 90 s, and give up on a stuck upload after 10 minutes. Chunks are
 * 64 KiB; a message needs room for one chunk plus 1 KiB. */
#define REQ_UPLOAD_MIN_DEADLINE_MS 90000u
#define REQ_UPLOAD_MAX_DEADLINE_MS 600000u
#define REQ_UPLOAD_MIN_MESSAGE_BYTES (64u * 1024u + 1024u)

/* Every other method carries small messages: at most 64 KiB. No method
 * goes above gRPC's default receive limit of 4 MiB. */
#define REQ_SMALL_MAX_MESSAGE_BYTES (64u * 1024u)
#define REQ_MAX_MESSAGE_BYTES (4u * 1024u * 1024u)

#endif
