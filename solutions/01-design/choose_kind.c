/*
 * choose_kind.c: exercise 1a, pick the kind of gRPC call from a use case's
 * traits. Make choose_rpc_kind() follow the rules in the lesson; `make test`
 * here runs its tests (suite choose_kind, tests/01-design/test_choose_kind.c).
 * Lesson: docs/en/steps/01-design.md#choosing-the-rpc-kind
 */
#include "rpc_kind.h"

static int sends_known(rpc_sends s)
{
    return s == SENDS_ONE || s == SENDS_MANY;
}

rpc_kind choose_rpc_kind(struct rpc_traits traits)
{
    /* Check every trait before using any: a design with a missing answer
     * must not get a kind just because another trait decides early. */
    if (!sends_known(traits.client_sends) ||
        !sends_known(traits.server_sends) ||
        (traits.first != FIRST_CLIENT && traits.first != FIRST_SERVER))
        return RPC_KIND_UNSPECIFIED;

    /* In the other three kinds the server starts from the client's message;
     * only in a bidi stream may it send before reading anything. */
    if (traits.first == FIRST_SERVER)
        return RPC_BIDI_STREAMING;

    if (traits.client_sends == SENDS_ONE)
        return traits.server_sends == SENDS_ONE ? RPC_UNARY
                                                : RPC_SERVER_STREAMING;
    return traits.server_sends == SENDS_ONE ? RPC_CLIENT_STREAMING
                                            : RPC_BIDI_STREAMING;
}
