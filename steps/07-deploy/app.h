/*
 * app.h: everything the step-7 server runs, put together (given: read it,
 * don't edit; the code is in given/app.c). main.c runs app_main, which
 * starts it, waits for a signal, and calls app_drain (exercise 2, in
 * drain.c) to stop it.
 *
 *   cg_server on HOST:PORT
 *     interceptors, outermost first:
 *       tracing_interceptor   a span per call, to OTEL_EXPORTER_OTLP_ENDPOINT
 *                                                            (exercise 9)
 *       replica_interceptor   x-replica: REPLICA_NAME        (exercise 7)
 *       log_interceptor       one line per call on stderr    (exercise 4)
 *       metrics_interceptor   counts and times every call    (exercise 5)
 *       auth_interceptor      bearer tokens, if AUTH_TOKENS  (exercise 6)
 *     services:
 *       the five course services of step 04 (built from its files)
 *       grpc.health.v1.Health                                (exercise 1)
 *   GET /metrics on HOST:METRICS_PORT, unless METRICS_PORT=off
 *
 * Tracing sits outside everything, so each call's log line carries its
 * trace id; logging and metrics sit outside auth, so refused calls are
 * logged and counted too; the replica header is added before the others,
 * so every answer that has headers carries it.
 */
#ifndef STEP07_APP_H
#define STEP07_APP_H

#include <stdbool.h>
#include <stdint.h>

#include <cgrpc.h>

#include "auth.h"
#include "chat_room.h"
#include "config.h"
#include "file_service.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "notification_service.h"
#include "tracing.h"

typedef struct app {
    server_config cfg; /* a copy of what app_start was given */
    char listen[300];  /* the gRPC address in use */
    cg_server *srv;
    int port;           /* the gRPC port the kernel gave us */
    metrics_http *http; /* NULL when METRICS_PORT=off */
    int metrics_port;   /* its port, or METRICS_OFF */

    logger log;
    cg_tracer *tracer; /* exports when OTEL_EXPORTER_OTLP_ENDPOINT is set */
    health_state health;
    metrics_registry metrics;
    auth_table auth;
    bool auth_on;         /* AUTH_TOKENS was set */
    int64_t signal_at_ms; /* when SIGTERM or SIGINT came (CLOCK_MONOTONIC) */

    /* The state of step 04's services. */
    notification_settings notes;
    upload_settings uploads;
    chat_room room;
} app;

/* The whole program, which main.c runs: reads the command line (--listen,
 * --help) and the environment (config_load), blocks SIGINT and SIGTERM,
 * app_start, waits for one of the two signals, and returns what app_drain
 * returns; or, before that, the exit status for --help (0), a bad argument
 * or value (2), a port it cannot listen on (1). */
int app_main(int argc, char **argv);

/* Builds and starts the server on `listen`: interceptors, services, health
 * (every service SERVING), the /metrics endpoint. Then prints
 * "listening on HOST:PORT" and, unless metrics are off,
 * "metrics on HOST:PORT" on stdout. Returns 0, or the exit status to end
 * with after printing why on stderr (1: cannot listen; 2: bad AUTH_TOKENS);
 * then nothing is left to free. */
int app_start(app *a, const server_config *cfg, const char *listen);

/* Stops what still runs (the server with no grace period if it was not
 * shut down yet, then the /metrics endpoint) and frees everything. After a
 * signal it logs how the server stopped, times in ms after the signal:
 * "msg=stopped lame_duck_ms=... shutdown_at_ms=... grace_ms=...
 * deadline_ms=... cut=... took_ms=..." (deadline: the end of the grace
 * period; cut: calls were still running then, and were cancelled). */
void app_free(app *a);

/* ---- exercise 2 (drain.c) -------------------------------------------- */

/* How long without a new call before the lame duck stops serving. */
#define DRAIN_QUIET_MS 200

/* What the program does once SIGTERM or SIGINT (sig) has come: health
 * first (every service NOT_SERVING, Watch streams told), then the lame
 * duck (cg_server_drain: serving on until no call has come for
 * DRAIN_QUIET_MS, at most a quarter of the grace period), then a graceful
 * shutdown with the rest of a->cfg.grace_seconds (cg_server_shutdown:
 * in-flight calls finish, new ones are refused), then app_free and
 * "stopped" on stdout. Returns the exit status: 0. */
int app_drain(app *a, int sig);

#endif
