/*
 * retry.h: exercise 7, retries (given; you write retry.c, the budget and
 * the real clock and dice are in retry_given.c).
 *
 * A call that failed with UNAVAILABLE got no answer from a working server:
 * made again a little later, it may work. A client that tries
 * again waits longer after each failure (exponential backoff), waits a
 * random part of that (full jitter, so that a thousand clients do not come
 * back in the same millisecond), stops at the call's deadline, and stops
 * when too many calls are failing (a budget). gRPC can do all of it by
 * itself, from a retry policy in the channel's service config.
 * The lesson: docs/en/steps/05-client.md#exercise-7-retries
 */
#ifndef STEP05_RETRY_H
#define STEP05_RETRY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cgrpc.h>

/* When to try again: the fields of gRPC's retryPolicy. */
typedef struct retry_policy {
    int max_attempts;           /* attempts in all, the first included */
    int64_t initial_backoff_ms; /* the longest wait before the 1st retry */
    int64_t max_backoff_ms;     /* no wait is ever longer than this */
    double multiplier;          /* each retry may wait this many times
                                   longer than the one before */
} retry_policy;

/* Where a retry loop gets its randomness and how it waits. A test passes
 * its own, to know the dice and to see every wait. */
typedef struct retry_env {
    double (*random)(void *ctx);             /* uniform in [0, 1) */
    void (*sleep_ms)(void *ctx, int64_t ms); /* waits ms milliseconds */
    void *ctx;
} retry_env;

/* Given: the real ones, a thread-safe random generator and nanosleep. */
const retry_env *retry_env_real(void);

/* Given: now, in milliseconds of the monotonic clock (the one deadlines
 * are measured on). */
int64_t retry_now_ms(void);

/* The budget, gRPC's retryThrottling: a bucket of tokens shared by all the
 * calls of a channel (thread-safe). It starts full, at max_tokens. Every
 * failed attempt that could be retried takes one token (down to 0), every
 * success puts token_ratio back (up to max_tokens). Retries are allowed
 * only while more than half of max_tokens is left: when most calls fail,
 * the server is down or drowning, and retries would only add load. */
typedef struct retry_budget {
    pthread_mutex_t mu;
    double tokens;
    double max_tokens;
    double token_ratio;
} retry_budget;

/* Given (retry_given.c). */
void retry_budget_init(retry_budget *b, double max_tokens, double token_ratio);
void retry_budget_destroy(retry_budget *b);
/* Counts an attempt: ok true for a success, false for a failure that
 * could be retried (other failures are not counted). */
void retry_budget_record(retry_budget *b, bool ok);
/* True while more than half of max_tokens is left. */
bool retry_budget_allows(retry_budget *b);

/* Everything a retrying call needs besides the request. */
typedef struct retrier {
    retry_policy policy;
    retry_budget *budget; /* NULL: no budget */
    const retry_env *env; /* NULL: retry_env_real() */
} retrier;

/*
 * How long to wait before retry number `retry` (1: the wait after the
 * first attempt failed), with full jitter: a random part of the ceiling
 * initial_backoff_ms * multiplier^(retry - 1), never above
 * max_backoff_ms. Draws env->random(env->ctx) once, r in [0, 1), and
 * returns (int64_t)(r * ceiling). 0 for a NULL p or env or retry < 1.
 */
int64_t retry_backoff_ms(const retry_policy *p, int retry,
                         const retry_env *env);

/*
 * MyService.UnaryCall (as unary_call makes it, fail-fast), tried again
 * when it fails with UNAVAILABLE and the call is idempotent: at most
 * r->policy.max_attempts attempts in all, waiting retry_backoff_ms(...,
 * retry number, env) before each retry, through env->sleep_ms. Every
 * attempt runs within the one deadline of the whole call, timeout_ms
 * from its start (0: CLIENT_TIMEOUT_MS of unary.h): an attempt gets what
 * is left of it, and when a wait would reach the deadline there is no
 * wait and no retry. With a budget, every attempt is recorded in it
 * (retry_budget_record), and a retry is made only if it allows one.
 * Returns the last attempt's status; on OK, the response's message is
 * copied into msg (cut to cap), else msg is "". Any other code, or a call
 * that is not idempotent: no retry. INVALID_ARGUMENT for a NULL r or ch.
 */
cg_status unary_call_retry(const retrier *r, cg_channel *ch, const char *id,
                           int32_t value, bool idempotent, int64_t timeout_ms,
                           char *msg, size_t cap);

/*
 * The same behaviour, declared: a channel to `target` whose service
 * config (cg_channel_opts.service_config_json) holds a retryPolicy for
 * MyService.UnaryCall built from r->policy (maxAttempts, initialBackoff,
 * maxBackoff, backoffMultiplier; retryableStatusCodes UNAVAILABLE), and,
 * when r->budget is not NULL, a retryThrottling of its max_tokens and
 * token_ratio. gRPC then retries that method's calls by itself. NULL with
 * *err (if err is not NULL) set, INVALID_ARGUMENT, for a NULL r, or
 * whatever cg_channel_new says.
 */
cg_channel *retry_channel_new(const char *target, const retrier *r,
                              cg_status *err);

#endif
