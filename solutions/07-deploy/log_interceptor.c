/*
 * log_interceptor.c: exercise 4, a server interceptor that writes one log
 * line per call: method, status code, duration, peer (contracts in log.h).
 * Test: `make test` here; suite logging. Lesson:
 * docs/en/steps/07-deploy.md#exercise-4-the-logging-interceptor
 */
#include "log.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#define HEALTH_PREFIX "/grpc.health.v1.Health/"

/* Monotonic time in nanoseconds: the wall clock may jump (NTP), this one
 * only moves forward. */
static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

log_level log_level_for(const char *path, grpc_status_code code)
{
    switch (code) {
    case GRPC_STATUS_OK:
        if (strncmp(path, HEALTH_PREFIX, strlen(HEALTH_PREFIX)) == 0)
            return LOG_LEVEL_DEBUG;
        return LOG_LEVEL_INFO;
    case GRPC_STATUS_CANCELLED:
    case GRPC_STATUS_INVALID_ARGUMENT:
    case GRPC_STATUS_NOT_FOUND:
    case GRPC_STATUS_ALREADY_EXISTS:
    case GRPC_STATUS_UNAUTHENTICATED:
        return LOG_LEVEL_INFO;
    case GRPC_STATUS_DEADLINE_EXCEEDED:
    case GRPC_STATUS_PERMISSION_DENIED:
    case GRPC_STATUS_RESOURCE_EXHAUSTED:
    case GRPC_STATUS_FAILED_PRECONDITION:
    case GRPC_STATUS_ABORTED:
    case GRPC_STATUS_OUT_OF_RANGE:
    case GRPC_STATUS_UNAVAILABLE:
        return LOG_LEVEL_WARN;
    default:
        return LOG_LEVEL_ERROR;
    }
}

cg_status log_interceptor(cg_ctx *ctx, cg_next *next, void *user)
{
    logger *lg = user;
    int64_t start = mono_ns();
    cg_status st = cg_proceed(ctx, next);
    double ms = (double)(mono_ns() - start) / 1e6;

    const char *path = cg_ctx_method(ctx)->path;
    log_level level = log_level_for(path, st.code);
    if (!log_enabled(lg, level))
        return st;
    if (st.code == GRPC_STATUS_OK) {
        log_line(lg, level, "method=%s code=%s duration_ms=%.3f peer=%s", path,
                 cg_status_name(st.code), ms, cg_ctx_peer(ctx));
    } else {
        char msg[CG_STATUS_MESSAGE_MAX * 4 + 3];
        log_line(lg, level,
                 "method=%s code=%s duration_ms=%.3f peer=%s message=%s", path,
                 cg_status_name(st.code), ms, cg_ctx_peer(ctx),
                 log_quote(msg, sizeof msg, st.message));
    }
    return st;
}
