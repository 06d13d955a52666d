/*
 * drain.c: exercise 2, what the server does on SIGTERM or SIGINT: health
 * first, a lame-duck pause, then a graceful shutdown, all within
 * GRACE_PERIOD_SECONDS (contract in app.h; app_main calls it).
 * Run it: `make run` here (e.g. PORT=50051 make run); suite drain.
 * Lesson: docs/en/steps/07-deploy.md#exercise-2-draining-on-sigterm
 */
#include <signal.h>
#include <stdio.h>

#include "app.h"

int app_drain(app *a, int sig)
{
    log_line(&a->log, LOG_LEVEL_INFO, "msg=draining signal=%s grace_seconds=%d",
             sig == SIGINT ? "SIGINT" : "SIGTERM", a->cfg.grace_seconds);
    /* 1. Say "not serving" while still serving: probes and Watch streams
     *    see it, and the load balancers stop sending new calls here. */
    health_shutdown(&a->health);
    /* 2. Lame duck: keep serving while the clients move away, until no
     *    call has come for DRAIN_QUIET_MS, for at most a quarter of the
     *    grace period. A call that arrived during the shutdown itself
     *    would be cancelled unseen; after a quiet pause none arrives. */
    int64_t grace_ms = (int64_t)a->cfg.grace_seconds * 1000;
    cg_server_drain(a->srv, DRAIN_QUIET_MS, grace_ms / 4);
    /* 3. Refuse new calls; let those in flight finish within the rest of
     *    the grace period; cancel what is left. Returns when every
     *    handler has. */
    cg_server_shutdown(a->srv, grace_ms - grace_ms / 4);
    app_free(a);
    printf("stopped\n");
    fflush(stdout);
    return 0;
}
