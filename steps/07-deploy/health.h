/*
 * health.h: the standard health service, grpc.health.v1.Health (exercise 1,
 * in health.c).
 *
 * Load balancers, Kubernetes probes and tools such as grpc_health_probe ask
 * a gRPC server "are you able to serve?" through this one service, defined
 * by gRPC itself (/usr/share/grpc-proto/grpc/health/v1/health.proto). The
 * server keeps a status per service name; "" stands for the whole server:
 *
 *     ""                         SERVING
 *     "tutorial.v1.MyService"    SERVING
 *     "tutorial.v1.ChatService"  NOT_SERVING   (say, its room is full)
 *
 * [health-contract]
 * Check (unary)   the status of req->service:
 *                   a known name     OK, its status
 *                   an unknown name  NOT_FOUND "unknown service <name>"
 * Watch (server   sends the status of req->service at once (SERVICE_UNKNOWN
 *   streaming)    for an unknown name, without ending the call), then one
 *                 message each time that status changes to a new value
 *                 (setting the same value again sends nothing). It ends:
 *                   when the client goes away   CANCELLED
 *                   after health_shutdown       UNAVAILABLE "the server is
 *                                               shutting down", once the
 *                                               NOT_SERVING it caused is sent
 * [/health-contract]
 *
 * Registered with the health_state as the user pointer:
 *
 *     health_state health;
 *     health_init(&health);
 *     grpc__health__v1__health__register_server(srv, &health_server, &health);
 *     ... cg_server_start(srv) ...
 *     health_set(&health, "", HEALTH_SERVING);
 *     ... on SIGTERM: health_shutdown(&health); cg_server_shutdown(...) ...
 *     cg_server_free(srv);
 *     health_destroy(&health);   (after the server is freed)
 */
#ifndef STEP07_HEALTH_H
#define STEP07_HEALTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "grpc/health/v1/health.cgrpc.h"

/* Shorter names for the generated enum's values. */
typedef Grpc__Health__V1__HealthCheckResponse__ServingStatus health_status;
#define HEALTH_UNKNOWN                                                         \
    GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__UNKNOWN
#define HEALTH_SERVING                                                         \
    GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
#define HEALTH_NOT_SERVING                                                     \
    GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
#define HEALTH_SERVICE_UNKNOWN                                                 \
    GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN

#define HEALTH_MAX_SERVICES 16
#define HEALTH_NAME_MAX 128 /* longest service name + 1 */

/* [health-state] */
typedef struct health_entry {
    char service[HEALTH_NAME_MAX]; /* "" = the whole server */
    health_status status;
} health_entry;

typedef struct health_state {
    pthread_mutex_t mu;     /* guards everything below */
    pthread_cond_t changed; /* broadcast on every change and at shutdown */
    size_t n;               /* entries in use */
    health_entry entries[HEALTH_MAX_SERVICES];
    bool stopping; /* set by health_shutdown, never cleared */
} health_state;
/* [/health-state] */

/* ---- given, in given/health_given.c ---------------------------------- */

/* Given. An empty table (no service known) / releases it. The condition
 * variable waits on CLOCK_MONOTONIC: use health_deadline_in for its
 * timeouts. */
void health_init(health_state *h);
void health_destroy(health_state *h);

/* Given. The entry of `service`, or NULL when unknown. Call with h->mu
 * held; the entry stays valid while it is held. */
health_entry *health_find_locked(health_state *h, const char *service);

/* Given. A CLOCK_MONOTONIC time ms milliseconds from now, for
 * pthread_cond_timedwait(&h->changed, ...). */
struct timespec health_deadline_in(int ms);

/* ---- exercise 1 (health.c) ------------------------------------------- */

/* Sets the status of `service` (NUL-terminated; "" = the whole server),
 * adding it to the table when new, and wakes every Watch so it can send the
 * change. Returns 0, or -1 when the table is full or the name is too long
 * (>= HEALTH_NAME_MAX bytes with its NUL). Thread-safe. */
int health_set(health_state *h, const char *service, health_status status);

/* The start of a drain: every known service becomes NOT_SERVING, the state
 * remembers that the server is stopping, and every Watch is woken to send
 * that last change and end (see above). Thread-safe; idempotent. */
void health_shutdown(health_state *h);

/* The handler table of grpc.health.v1.Health: Check and Watch. */
extern const Grpc__Health__V1__Health_Server health_server;

#endif
