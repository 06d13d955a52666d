/*
 * health.c: exercise 1, the health service: a status per service name that
 * Check reads and Watch follows (contracts in health.h; the table's setup
 * and lookup are given in given/health_given.c).
 * Test: `make test` here; suite health. Lesson:
 * docs/en/steps/07-deploy.md#exercise-1-health-checking
 */
#include "health.h"

#include <string.h>
#include <time.h>

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
    return cg_error(ctx, GRPC_STATUS_UNIMPLEMENTED,
                    "step 7: implement "
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
    return cg_error(ctx, GRPC_STATUS_UNIMPLEMENTED,
                    "step 7: implement "
                    "Watch — see docs/en/steps/07-deploy.md#watch");
}

const Grpc__Health__V1__Health_Server health_server = {
    .check = check,
    .watch = watch,
};
