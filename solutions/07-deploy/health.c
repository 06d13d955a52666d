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
    if (strlen(service) >= HEALTH_NAME_MAX)
        return -1;
    pthread_mutex_lock(&h->mu);
    health_entry *e = health_find_locked(h, service);
    if (e == NULL && h->n < HEALTH_MAX_SERVICES) {
        e = &h->entries[h->n++];
        strcpy(e->service, service);
    }
    if (e != NULL) {
        e->status = status;
        pthread_cond_broadcast(&h->changed);
    }
    pthread_mutex_unlock(&h->mu);
    return e != NULL ? 0 : -1;
}

void health_shutdown(health_state *h)
{
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->n; i++)
        h->entries[i].status = HEALTH_NOT_SERVING;
    h->stopping = true;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->mu);
}

/* ---- exercise 1b: Check and Watch ------------------------------------ */

static cg_status check(cg_ctx *ctx,
                       const Grpc__Health__V1__HealthCheckRequest *req,
                       Grpc__Health__V1__HealthCheckResponse *resp)
{
    health_state *h = cg_ctx_user(ctx);
    pthread_mutex_lock(&h->mu);
    health_entry *e = health_find_locked(h, req->service);
    if (e != NULL)
        resp->status = e->status;
    pthread_mutex_unlock(&h->mu);
    if (e == NULL)
        return cg_error(ctx, GRPC_STATUS_NOT_FOUND, "unknown service %s",
                        req->service);
    return cg_ok();
}

static cg_status watch(cg_ctx *ctx,
                       const Grpc__Health__V1__HealthCheckRequest *req,
                       cg_stream *out)
{
    health_state *h = cg_ctx_user(ctx);
    bool sent_any = false;
    health_status sent = HEALTH_UNKNOWN;

    pthread_mutex_lock(&h->mu);
    for (;;) {
        health_entry *e = health_find_locked(h, req->service);
        health_status now = e != NULL ? e->status : HEALTH_SERVICE_UNKNOWN;
        if (!sent_any || now != sent) {
            /* Never send while holding the lock: a slow client would
             * stall every health_set behind it. */
            pthread_mutex_unlock(&h->mu);
            Grpc__Health__V1__HealthCheckResponse msg =
                GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
            msg.status = now;
            if (!cg_send(out, &msg))
                return cg_error(ctx, GRPC_STATUS_CANCELLED,
                                "the client went away");
            sent_any = true;
            sent = now;
            pthread_mutex_lock(&h->mu);
            continue; /* it may have changed again meanwhile */
        }
        if (h->stopping) {
            pthread_mutex_unlock(&h->mu);
            return cg_error(ctx, GRPC_STATUS_UNAVAILABLE,
                            "the server is shutting down");
        }
        if (cg_ctx_cancelled(ctx)) {
            pthread_mutex_unlock(&h->mu);
            return cg_error(ctx, GRPC_STATUS_CANCELLED, "the client went away");
        }
        /* Nothing wakes us when the client leaves: look again now and
         * then. A change wakes us at once. */
        struct timespec until = health_deadline_in(100);
        pthread_cond_timedwait(&h->changed, &h->mu, &until);
    }
}

const Grpc__Health__V1__Health_Server health_server = {
    .check = check,
    .watch = watch,
};
