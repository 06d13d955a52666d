/*
 * retry_given.c: given, read it but don't edit it. The budget of retry.h
 * (gRPC's retryThrottling) and the real dice and clock of a retry loop.
 * Exercise 7 is in retry.c.
 */
#include "retry.h"

#include <time.h>

/* ---- the budget --------------------------------------------------------- */

void retry_budget_init(retry_budget *b, double max_tokens, double token_ratio)
{
    pthread_mutex_init(&b->mu, NULL);
    b->max_tokens = max_tokens;
    b->tokens = max_tokens;
    b->token_ratio = token_ratio;
}

void retry_budget_destroy(retry_budget *b)
{
    pthread_mutex_destroy(&b->mu);
}

void retry_budget_record(retry_budget *b, bool ok)
{
    pthread_mutex_lock(&b->mu);
    if (ok)
        b->tokens += b->token_ratio;
    else
        b->tokens -= 1;
    if (b->tokens > b->max_tokens)
        b->tokens = b->max_tokens;
    if (b->tokens < 0)
        b->tokens = 0;
    pthread_mutex_unlock(&b->mu);
}

bool retry_budget_allows(retry_budget *b)
{
    pthread_mutex_lock(&b->mu);
    bool yes = b->tokens > b->max_tokens / 2;
    pthread_mutex_unlock(&b->mu);
    return yes;
}

/* ---- the real dice and clock -------------------------------------------- */

static pthread_mutex_t dice_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t dice_state;

/* splitmix64, seeded from the clock on first use: fine for spreading
 * waits, not for secrets. */
static double real_random(void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&dice_mu);
    if (dice_state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        dice_state = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    uint64_t z = (dice_state += 0x9e3779b97f4a7c15u);
    pthread_mutex_unlock(&dice_mu);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
}

static void real_sleep_ms(void *ctx, int64_t ms)
{
    (void)ctx;
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static const retry_env real_env = {real_random, real_sleep_ms, NULL};

int64_t retry_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const retry_env *retry_env_real(void)
{
    return &real_env;
}
