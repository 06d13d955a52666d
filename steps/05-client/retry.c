/*
 * retry.c: exercise 7, retries (contracts in retry.h). Write the three
 * functions; `make test` here runs suite retry.
 * Lesson: docs/en/steps/05-client.md#exercise-7-retries
 */
#include "retry.h"

#include <stdio.h>

#include "tutorial/v1/my_service.cgrpc.h"
#include "unary.h"

int64_t retry_backoff_ms(const retry_policy *p, int retry, const retry_env *env)
{
    (void)p;
    (void)retry;
    (void)env;
    /* TODO: the ceiling for this retry (initial, times the multiplier per
     * retry, capped), and a random part of it */
    return 0;
}

cg_status unary_call_retry(const retrier *r, cg_channel *ch, const char *id,
                           int32_t value, bool idempotent, int64_t timeout_ms,
                           char *msg, size_t cap)
{
    (void)r;
    (void)ch;
    (void)id;
    (void)value;
    (void)idempotent;
    (void)timeout_ms;
    if (cap > 0)
        msg[0] = '\0';
    /* TODO: one deadline; attempts while UNAVAILABLE, idempotent, attempts
     * left, budget allowing and time left for the wait */
    return cg_error(NULL, GRPC_STATUS_UNIMPLEMENTED,
                    "step 5: write unary_call_retry() in retry.c "
                    "(lesson: docs/en/steps/05-client.md#when-to-retry)");
}

cg_channel *retry_channel_new(const char *target, const retrier *r,
                              cg_status *err)
{
    (void)r;
    /* TODO: a service config with a retryPolicy (and retryThrottling when
     * there is a budget) in cg_channel_opts */
    return cg_channel_new(target, NULL, err);
}
