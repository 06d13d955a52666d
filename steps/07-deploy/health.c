/*
 * health.c: exercise 1, the health service: a status per service name that
 * Check reads and Watch follows (contracts in health.h).
 * Test: `make test` here; suite health. Lesson:
 * docs/en/steps/07-deploy.md#exercise-1-health-checking
 */
#include "health.h"

#include <string.h>
#include <time.h>

/* ---- given: the table ------------------------------------------------ */

void health_init(health_state *h)
{
    pthread_mutex_init(&h->mu, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&h->changed, &a);
    pthread_condattr_destroy(&a);
    h->n = 0;
    h->stopping = false;
}

void health_destroy(health_state *h)
{
    pthread_cond_destroy(&h->changed);
    pthread_mutex_destroy(&h->mu);
    h->n = 0;
}

health_entry *health_find_locked(health_state *h, const char *service)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->entries[i].service, service) == 0)
            return &h->entries[i];
    return NULL;
}

struct timespec health_deadline_in(int ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    long long ns = (long long)t.tv_nsec + (long long)ms * 1000000LL;
    t.tv_sec += (time_t)(ns / 1000000000LL);
    t.tv_nsec = (long)(ns % 1000000000LL);
    return t;
}

/* ---- exercise 1a: changing a status ---------------------------------- */

int health_set(health_state *h, const char *service, health_status status)
{
    (void)h;
    (void)service;
    (void)status;
    return 0; /* TODO: under h->mu, find or add the entry, set its status,
               * and wake the watchers (pthread_cond_broadcast) */
}

void health_shutdown(health_state *h)
{
    (void)h; /* TODO: every entry NOT_SERVING, stopping = true, wake the
              * watchers */
}

/* ---- exercise 1b: Check and Watch ------------------------------------ */

static cg_status check(cg_ctx *ctx,
                       const Grpc__Health__V1__HealthCheckRequest *req,
                       Grpc__Health__V1__HealthCheckResponse *resp)
{
    health_state *h = cg_ctx_user(ctx);
    (void)h;
    (void)req;
    (void)resp;
    /* TODO: the status of req->service, or NOT_FOUND for a name not set */
    return cg_error(ctx, GRPC_STATUS_UNIMPLEMENTED, "step 7: implement "
                    "Check — see docs/en/steps/07-deploy.md#check");
}

static cg_status watch(cg_ctx *ctx,
                       const Grpc__Health__V1__HealthCheckRequest *req,
                       cg_stream *out)
{
    health_state *h = cg_ctx_user(ctx);
    (void)h;
    (void)req;
    (void)out;
    /* TODO: send the status at once, then each change; end when the
     * client is gone (CANCELLED) or the server stops (UNAVAILABLE) */
    return cg_error(ctx, GRPC_STATUS_UNIMPLEMENTED, "step 7: implement "
                    "Watch — see docs/en/steps/07-deploy.md#watch");
}

const Grpc__Health__V1__Health_Server health_server = {
    .check = check,
    .watch = watch,
};
