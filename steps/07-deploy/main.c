/*
 * main.c: the step-7 server program. Given: read it, don't edit. It reads
 * the command line and the environment, starts everything (app.h), waits
 * for SIGTERM or SIGINT, and then drains: exercise 2, app_drain, in drain.c.
 * Run it: `make run` here (e.g. PORT=50051 make run); suite drain.
 */
#include <signal.h>
#include <stdio.h>

#include "app.h"
#include "server_cli.h"

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
    return app_drain(&a, sig);
}
