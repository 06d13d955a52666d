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
    /* TODO: drain instead of stopping dead. Log it, then
     *   1. health_shutdown: every service NOT_SERVING, Watch streams told;
     *   2. the lame duck: cg_server_drain(a->srv, DRAIN_QUIET_MS, ...) keeps
     *      serving until no call has come for DRAIN_QUIET_MS, for at most
     *      a quarter of GRACE_PERIOD_SECONDS (a->cfg.grace_seconds, in ms);
     *   3. cg_server_shutdown with the rest of the grace period: in-flight
     *      calls finish, new ones are refused;
     *   4. app_free, print "stopped" (and flush), return 0.
     * What follows stops at once: every call in flight is cut off, and
     * the exit status says "killed by a signal". */
    app_free(a);
    return 128 + sig;
}
