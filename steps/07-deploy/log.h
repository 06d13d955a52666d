/*
 * log.h: the server's log. The logger is given (log.c); the logging
 * interceptor is exercise 4 (log_interceptor.c).
 *
 * One line per event on stderr, as key=value pairs ("logfmt"): a person can
 * read it, and a log collector (Loki, Elasticsearch, a cloud's logging) can
 * split it into fields without being told how. Every line starts with the
 * time (UTC), the level and the replica's name:
 *
 *   ts=2024-05-01T12:00:00.123Z level=info replica=grpc-server-0 method=/tutorial.v1.MyService/UnaryCall code=OK duration_ms=0.412 peer=ipv4:10.1.2.3:51234
 *
 * A value with spaces, quotes or control characters goes in double quotes
 * with those escaped (log_quote): text a client chose, such as a user id in
 * an error message, must never be able to start a line of its own.
 */
#ifndef STEP07_LOG_H
#define STEP07_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cgrpc.h>

/* The levels, least important first. LOG_LEVEL picks the lowest one
 * written. */
typedef enum log_level {
    LOG_LEVEL_DEBUG = 0,
    LOG_LEVEL_INFO = 1,
    LOG_LEVEL_WARN = 2,
    LOG_LEVEL_ERROR = 3,
} log_level;

typedef struct logger {
    FILE *out;           /* stderr in the program, a temporary file in tests */
    log_level min;       /* lines below this level are dropped */
    const char *replica; /* on each line; not copied: must outlive the logger */
    pthread_mutex_t mu;  /* one line at a time: lines never interleave */
} logger;

/* Given. A logger writing to out. logger_destroy does not close out. */
void logger_init(logger *lg, FILE *out, log_level min, const char *replica);
void logger_destroy(logger *lg);

/* Given. True when a line of this level would be written. */
bool log_enabled(const logger *lg, log_level level);

/* Given. Writes "ts=... level=... replica=... " and then the formatted
 * text as one line (the newline is added), flushed, if the level is
 * enabled. Thread-safe. */
void log_line(logger *lg, log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Given. "debug", "info", "warn", "error". */
const char *log_level_name(log_level level);

/* Given. Reads a level name in any case ("INFO", "warn"); false for
 * anything else (then *out is untouched). */
bool log_level_parse(const char *s, log_level *out);

/* Given. s in double quotes, with \ " and control characters escaped (\n,
 * \r, \t, \xHH), cut to fit buf[cap] (cap >= 3). Returns buf. */
const char *log_quote(char *buf, size_t cap, const char *s);

/* ---- exercise 4 (log_interceptor.c) ---------------------------------- */

/* [exercise-4] */
/* The level of the line for a call to `path` that ended with `code`:
 *   debug  a successful call to grpc.health.v1.Health (probes come every
 *          few seconds from every kubelet: at info they would bury the log)
 *   info   OK, CANCELLED, INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS,
 *          UNAUTHENTICATED: the client's business, all in a day's work
 *   warn   DEADLINE_EXCEEDED, PERMISSION_DENIED, RESOURCE_EXHAUSTED,
 *          FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNAVAILABLE: worth a
 *          look when they pile up
 *   error  UNKNOWN, UNIMPLEMENTED, INTERNAL, DATA_LOSS, and any other code:
 *          the server is broken or misconfigured */
log_level log_level_for(const char *path, grpc_status_code code);

/* A server interceptor (user: the logger) that runs the call and then
 * writes one line at log_level_for's level:
 *   method=<path> code=<NAME> duration_ms=<ms, 3 decimals> peer=<peer>
 * followed, when the code is not OK, by message=<the status message, in
 * log_quote's quotes>. <NAME> is cg_status_name's; the duration runs from
 * before cg_proceed to after it, on a monotonic clock. Returns the call's
 * status unchanged. */
cg_status log_interceptor(cg_ctx *ctx, cg_next *next, void *user);
/* [/exercise-4] */

#endif
