/*
 * main.c: exercise 2, the server program: configuration from the
 * environment, start everything, and on SIGTERM or SIGINT drain: health
 * first, a lame-duck pause, then a graceful shutdown, all within
 * GRACE_PERIOD_SECONDS.
 * Run it: `make run` here (e.g. PORT=50051 make run); suite drain.
 * Lesson: docs/en/steps/07-deploy.md#exercise-2-draining-on-sigterm
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "server_cli.h"

/* How long without a new call before the lame duck stops serving. */
#define DRAIN_QUIET_MS 200

static void print_environment(void)
{
    printf("environment (an empty value counts as unset):\n"
           "  HOST, PORT             where to listen (default %s:%d; "
           "--listen wins)\n"
           "  METRICS_PORT           GET /metrics port, or off (default %d)\n"
           "  GRACE_PERIOD_SECONDS   drain budget on SIGTERM (default %d)\n"
           "  LOG_LEVEL              debug, info, warn or error (default "
           "info)\n"
           "  REPLICA_NAME           name in logs and x-replica (default: "
           "the host name)\n"
           "  AUTH_TOKENS            token=role,... (reader, admin); unset: "
           "no auth\n",
           CONFIG_DEFAULT_HOST, CONFIG_DEFAULT_PORT,
           CONFIG_DEFAULT_METRICS_PORT, CONFIG_DEFAULT_GRACE_SECONDS);
}

int main(int argc, char **argv)
{
    /* The command line first: --listen wins over HOST and PORT. */
    static const char from_env[] = DEFAULT_LISTEN;
    const char *listen = from_env;
    int rc = server_parse_args(argc, argv, &listen);
    if (rc < 0)
        print_environment();
    if (rc != 0)
        return rc < 0 ? 0 : rc;

    server_config cfg;
    char err[256];
    if (config_load(&cfg, config_getenv, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "server: %s\n", err);
        return 2;
    }
    char addr[300];
    config_listen_address(&cfg, addr, sizeof addr);
    if (listen == from_env)
        listen = addr;

    /* Block SIGINT and SIGTERM before any thread starts (see step 4): they
     * wait, pending, until sigwait below takes them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    app a;
    rc = app_start(&a, &cfg, listen);
    if (rc != 0)
        return rc;

    int sig = 0;
    sigwait(&stop, &sig);

    log_line(&a.log, LOG_LEVEL_INFO, "msg=draining signal=%s grace_seconds=%d",
             sig == SIGINT ? "SIGINT" : "SIGTERM", cfg.grace_seconds);
    /* 1. Say "not serving" while still serving: probes and Watch streams
     *    see it, and the load balancers stop sending new calls here. */
    health_shutdown(&a.health);
    /* 2. Lame duck: keep serving while the clients move away, until no
     *    call has come for DRAIN_QUIET_MS, for at most a quarter of the
     *    grace period. A call that arrived during the shutdown itself
     *    would be cancelled unseen; after a quiet pause none arrives. */
    int64_t grace_ms = (int64_t)cfg.grace_seconds * 1000;
    cg_server_drain(a.srv, DRAIN_QUIET_MS, grace_ms / 4);
    /* 3. Refuse new calls; let those in flight finish within the rest of
     *    the grace period; cancel what is left. Returns when every
     *    handler has. */
    cg_server_shutdown(a.srv, grace_ms - grace_ms / 4);
    app_free(&a);
    printf("stopped\n");
    fflush(stdout);
    return 0;
}
