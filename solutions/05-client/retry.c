/*
 * retry.c: exercise 7, retries (contracts in retry.h). Test: `make test`
 * here; suite retry.
 * Lesson: docs/en/steps/05-client.md#exercise-7-retries
 */
#include "retry.h"

#include <stdio.h>

#include "tutorial/v1/my_service.cgrpc.h"
#include "unary.h"

int64_t retry_backoff_ms(const retry_policy *p, int retry, const retry_env *env)
{
    if (p == NULL || env == NULL || retry < 1)
        return 0;
    /* The ceiling grows by the multiplier each retry, up to the cap... */
    double ceiling = (double)p->initial_backoff_ms;
    for (int i = 1; i < retry && ceiling < (double)p->max_backoff_ms; i++)
        ceiling *= p->multiplier;
    if (ceiling > (double)p->max_backoff_ms)
        ceiling = (double)p->max_backoff_ms;
    /* ...and the wait is a random part of it: full jitter. */
    return (int64_t)(env->random(env->ctx) * ceiling);
}

/* One attempt of UnaryCall with `left_ms` to go. */
static cg_status attempt(cg_channel *ch, const char *id, int32_t value,
                         int64_t left_ms, char *msg, size_t cap)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    req.value = value;
    cg_call_opts opts = {.timeout_ms = left_ms};
    Tutorial__V1__Response *resp = NULL;
    cg_status st =
        tutorial__v1__my_service_client__unary_call(ch, &req, &resp, &opts);
    if (st.code == GRPC_STATUS_OK) {
        if (cap > 0)
            snprintf(msg, cap, "%s", resp->message);
        tutorial__v1__response__free_unpacked(resp, NULL);
    }
    return st;
}

cg_status unary_call_retry(const retrier *r, cg_channel *ch, const char *id,
                           int32_t value, bool idempotent, int64_t timeout_ms,
                           char *msg, size_t cap)
{
    if (cap > 0)
        msg[0] = '\0';
    if (r == NULL || ch == NULL)
        return cg_error(NULL, GRPC_STATUS_INVALID_ARGUMENT,
                        "no retrier or no channel");
    const retry_env *env = r->env != NULL ? r->env : retry_env_real();
    /* One deadline for the whole call, retries included. */
    int64_t deadline =
        retry_now_ms() + (timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_MS);
    for (int n = 1;; n++) {
        int64_t left = deadline - retry_now_ms();
        /* (a timeout of 0 would mean no deadline at all) */
        cg_status st = attempt(ch, id, value, left > 0 ? left : 1, msg, cap);
        bool retryable = st.code == GRPC_STATUS_UNAVAILABLE && idempotent;
        if (r->budget != NULL && (st.code == GRPC_STATUS_OK || retryable))
            retry_budget_record(r->budget, st.code == GRPC_STATUS_OK);
        if (!retryable || n >= r->policy.max_attempts)
            return st;
        if (r->budget != NULL && !retry_budget_allows(r->budget))
            return st;
        int64_t wait = retry_backoff_ms(&r->policy, n, env);
        if (retry_now_ms() + wait >= deadline)
            return st; /* no time for another attempt */
        env->sleep_ms(env->ctx, wait);
    }
}

/* "1.5s" for 1500 ms: durations in a service config are JSON strings of
 * seconds. */
static void seconds(char *buf, size_t cap, int64_t ms)
{
    snprintf(buf, cap, "%lld.%03llds", (long long)(ms / 1000),
             (long long)(ms % 1000));
}

cg_channel *retry_channel_new(const char *target, const retrier *r,
                              cg_status *err)
{
    if (r == NULL) {
        if (err != NULL)
            *err = cg_error(NULL, GRPC_STATUS_INVALID_ARGUMENT, "no retrier");
        return NULL;
    }
    char initial[32], max[32], throttling[128] = "";
    seconds(initial, sizeof initial, r->policy.initial_backoff_ms);
    seconds(max, sizeof max, r->policy.max_backoff_ms);
    if (r->budget != NULL)
        snprintf(throttling, sizeof throttling,
                 ",\"retryThrottling\":{\"maxTokens\":%g,\"tokenRatio\":%g}",
                 r->budget->max_tokens, r->budget->token_ratio);
    char config[1024];
    snprintf(config, sizeof config,
             "{\"methodConfig\":[{"
             "\"name\":[{\"service\":\"tutorial.v1.MyService\","
             "\"method\":\"UnaryCall\"}],"
             "\"retryPolicy\":{\"maxAttempts\":%d,\"initialBackoff\":\"%s\","
             "\"maxBackoff\":\"%s\",\"backoffMultiplier\":%g,"
             "\"retryableStatusCodes\":[\"UNAVAILABLE\"]}}]%s}",
             r->policy.max_attempts, initial, max, r->policy.multiplier,
             throttling);
    cg_channel_opts opts = {.service_config_json = config};
    return cg_channel_new(target, &opts, err);
}
