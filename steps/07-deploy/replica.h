/*
 * replica.h: which replica answered? (exercise 7, in replica.c)
 *
 * Behind a load balancer, three copies of the server answer calls, and a
 * client cannot tell them apart. A response header naming the replica
 * (REPLICA_NAME, in Kubernetes the pod's name) makes the spread visible:
 * `make cluster` counts it, and a bug report can say which pod was wrong.
 *
 *     x-replica: grpc-server-7d9c-2
 */
#ifndef STEP07_REPLICA_H
#define STEP07_REPLICA_H

#include <cgrpc.h>

#define REPLICA_HEADER "x-replica"

/* A server interceptor (user: the replica's name, a NUL-terminated string
 * that outlives the server) that adds the response header
 * `x-replica: <name>` to every call, then lets the call proceed. Headers
 * go out before the first response message, so it adds it first. */
cg_status replica_interceptor(cg_ctx *ctx, cg_next *next, void *user);

#endif
