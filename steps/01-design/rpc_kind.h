/*
 * rpc_kind.h: the four kinds of gRPC call, and the traits that pick one.
 *
 * Given code: read it, don't edit it. Exercise 1 fills in what it declares:
 * choose_rpc_kind() in choose_kind.c and the USE_CASES table in use_cases.c.
 * Lesson: docs/en/steps/01-design.md#choosing-the-rpc-kind
 */
#ifndef DESIGN_RPC_KIND_H
#define DESIGN_RPC_KIND_H

#include <stddef.h>

/*
 * The kind of a gRPC method: which sides of the call say `stream` in the
 * .proto. Zero means "not chosen", like the _UNSPECIFIED zero value of a
 * proto3 enum, so a zero-initialised struct never claims a kind by accident.
 */
typedef enum {
    RPC_KIND_UNSPECIFIED = 0,
    RPC_UNARY,            /* rpc M(Req) returns (Resp)               */
    RPC_SERVER_STREAMING, /* rpc M(Req) returns (stream Resp)        */
    RPC_CLIENT_STREAMING, /* rpc M(stream Req) returns (Resp)        */
    RPC_BIDI_STREAMING    /* rpc M(stream Req) returns (stream Resp) */
} rpc_kind;

/* How many messages one side sends during one call. */
typedef enum { SENDS_UNSPECIFIED = 0, SENDS_ONE, SENDS_MANY } rpc_sends;

/*
 * Who has the first thing to say once the call is open. The client always
 * opens a gRPC call; FIRST_SERVER means the server must be able to send
 * before it has read anything from the client.
 */
typedef enum { FIRST_UNSPECIFIED = 0, FIRST_CLIENT, FIRST_SERVER } rpc_first;

/* What a use case looks like from the wire, the only input to the choice. */
struct rpc_traits {
    rpc_sends client_sends; /* messages from client to server */
    rpc_sends server_sends; /* messages from server to client */
    rpc_first first;        /* who speaks first */
};

/*
 * Exercise 1a (choose_kind.c): the kind of call that carries a use case with
 * these traits, by the rules of the lesson. Returns RPC_KIND_UNSPECIFIED if
 * any trait is UNSPECIFIED or outside its enum: a design with a missing
 * answer has no kind yet.
 */
rpc_kind choose_rpc_kind(struct rpc_traits traits);

/*
 * Given (lookup.c): "UNARY", "SERVER_STREAMING", "CLIENT_STREAMING",
 * "BIDI_STREAMING", "UNSPECIFIED" for 0 and "?" for anything else.
 * Returns a static string; never NULL.
 */
const char *rpc_kind_name(rpc_kind kind);

/* One row of the course outline's list of use cases. */
struct use_case {
    const char *name; /* e.g. "file upload" */
    struct rpc_traits traits;
};

/* Exercise 1b (use_cases.c): the outline's twelve use cases, described. */
extern const struct use_case USE_CASES[];
extern const size_t USE_CASE_COUNT;

/*
 * Given (lookup.c): the first row of USE_CASES whose name equals `name`,
 * or NULL if there is none or `name` is NULL.
 */
const struct use_case *use_case_find(const char *name);

#endif
