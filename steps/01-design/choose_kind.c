/*
 * choose_kind.c: exercise 1a, pick the kind of gRPC call from a use case's
 * traits. Make choose_rpc_kind() follow the rules in the lesson; `make test`
 * here runs its tests (suite choose_kind, tests/01-design/test_choose_kind.c).
 * Lesson: docs/en/steps/01-design.md#choosing-the-rpc-kind
 */
#include "rpc_kind.h"

rpc_kind choose_rpc_kind(struct rpc_traits traits)
{
    (void)traits; /* TODO: reject unspecified or unknown traits */
    /* TODO: decide who speaks first, then count the messages each way */
    return RPC_KIND_UNSPECIFIED;
}
