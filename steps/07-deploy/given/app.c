/*
 * app.c: given, don't edit; no need to read it either (app.h says what it
 * does). The step-7 server put together.
 */
#include "app.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "my_service.h"
#include "replica.h"
#include "server_cli.h"
#include "user_service.h"

/* The services whose health is reported, besides "" (the whole server). */
static const cg_service *const SERVICES[] = {
    &tutorial__v1__my_service__grpc_service,
    &tutorial__v1__user_service__grpc_service,
    &tutorial__v1__notification_service__grpc_service,
    &tutorial__v1__file_service__grpc_service,
    &tutorial__v1__chat_service__grpc_service,
};
#define N_SERVICES (sizeof SERVICES / sizeof SERVICES[0])

static char *render_metrics(void *user)
{
    return metrics_render(user);
}

/* The host part of "HOST:PORT" or "[v6]:PORT", without brackets, in
 * buf[cap]; the HOST setting for a unix: address. */
static void host_of(const char *listen, const char *fallback, char *buf,
                    size_t cap)
{
    const char *colon = strrchr(listen, ':');
    if (strncmp(listen, "unix:", 5) == 0 || colon == NULL) {
        snprintf(buf, cap, "%s", fallback);
        return;
    }
    int len = (int)(colon - listen);
    if (listen[0] == '[' && len >= 2)
        snprintf(buf, cap, "%.*s", len - 2, listen + 1);
    else
        snprintf(buf, cap, "%.*s", len, listen);
}

static int start_metrics(app *a)
{
    char host[256], err[512];
    host_of(a->listen, a->cfg.host, host, sizeof host);
    a->http =
        metrics_http_start(host, a->cfg.metrics_port, render_metrics,
                           &a->metrics, 0, &a->metrics_port, err, sizeof err);
    if (a->http == NULL) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }
    /* Printed like the listening line: the same host, as written there. */
    const char *colon = strrchr(a->listen, ':');
    if (strncmp(a->listen, "unix:", 5) == 0 || colon == NULL)
        printf("metrics on %s:%d\n", host, a->metrics_port);
    else
        printf("metrics on %.*s:%d\n", (int)(colon - a->listen), a->listen,
               a->metrics_port);
    fflush(stdout);
    return 0;
}

int app_start(app *a, const server_config *cfg, const char *listen)
{
    memset(a, 0, sizeof *a);
    a->cfg = *cfg;
    snprintf(a->listen, sizeof a->listen, "%s", listen);
    a->metrics_port = METRICS_OFF;

    char err[256];
    if (a->cfg.auth_tokens[0] != '\0') {
        if (auth_parse(&a->auth, a->cfg.auth_tokens, err, sizeof err) != 0) {
            fprintf(stderr, "server: %s\n", err);
            return 2;
        }
        a->auth_on = true;
    }
    logger_init(&a->log, stderr, a->cfg.log_level, a->cfg.replica);
    /* OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_SERVICE_NAME, as every
     * OpenTelemetry SDK reads them; no endpoint: nothing is exported. */
    cg_tracer_opts topts = {
        .service_name = getenv("OTEL_SERVICE_NAME") ? NULL : "grpc-server"};
    cg_status terr;
    a->tracer = cg_tracer_new(&topts, &terr);
    if (a->tracer == NULL) {
        fprintf(stderr, "server: %s\n", terr.message);
        logger_destroy(&a->log);
        return 2;
    }
    health_init(&a->health);
    metrics_init(&a->metrics);
    a->notes.interval_ms = NOTIFY_OUTLINE_INTERVAL_MS;
    chat_room_init(&a->room);

    a->srv = cg_server_new(NULL);
    cg_status st;
    a->port = cg_server_listen(a->srv, a->listen, NULL, &st);
    if (a->port < 0) {
        fprintf(stderr,
                "server: %s\nserver: is another server using that "
                "port? PORT=0 picks a free one.\n",
                st.message);
        app_free(a);
        return 1;
    }

    /* [interceptors] */
    /* The first added runs outermost: the log lines carry the trace id,
     * logging and metrics see the calls auth refuses, and every answer
     * carries the replica's name. */
    cg_server_add_interceptor(a->srv, tracing_interceptor, a->tracer);
    cg_server_add_interceptor(a->srv, replica_interceptor, a->cfg.replica);
    cg_server_add_interceptor(a->srv, log_interceptor, &a->log);
    cg_server_add_interceptor(a->srv, metrics_interceptor, &a->metrics);
    if (a->auth_on)
        cg_server_add_interceptor(a->srv, auth_interceptor, &a->auth);
    /* [/interceptors] */

    tutorial__v1__my_service__register_server(a->srv, &my_service_server, NULL);
    tutorial__v1__user_service__register_server(a->srv, &user_service_server,
                                                user_repo_sample());
    tutorial__v1__notification_service__register_server(
        a->srv, &notification_service_server, &a->notes);
    tutorial__v1__file_service__register_server(a->srv, &file_service_server,
                                                &a->uploads);
    tutorial__v1__chat_service__register_server(a->srv, &chat_service_server,
                                                &a->room);
    grpc__health__v1__health__register_server(a->srv, &health_server,
                                              &a->health);
    /* What the server serves, for tools with no .proto at hand (grpcurl,
     * buf curl, make call); with AUTH_TOKENS set it needs a reader token
     * like any other method (auth_role_needed). */
    cg_server_enable_reflection(a->srv);

    if (cg_server_start(a->srv) != 0) {
        fprintf(stderr, "server: could not start\n");
        app_free(a);
        return 1;
    }
    /* [health-serving] */
    /* Started: from now on the server can take calls, so say so. */
    health_set(&a->health, "", HEALTH_SERVING);
    for (size_t i = 0; i < N_SERVICES; i++)
        health_set(&a->health, SERVICES[i]->name, HEALTH_SERVING);
    /* [/health-serving] */

    server_print_listening(a->listen, a->port);
    if (a->cfg.metrics_port != METRICS_OFF && start_metrics(a) != 0) {
        app_free(a);
        return 1;
    }
    log_line(&a->log, LOG_LEVEL_INFO,
             "msg=started grpc_port=%d metrics_port=%d grace_seconds=%d "
             "auth=%s",
             a->port, a->metrics_port, a->cfg.grace_seconds,
             a->auth_on ? "on" : "off");
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The line that says how the server stopped (see app_free in app.h). */
static void log_stopped(app *a)
{
    cg_server_stop_info s = cg_server_stop_info_get(a->srv);
    int64_t t0 = a->signal_at_ms;
    log_line(&a->log, LOG_LEVEL_INFO,
             "msg=stopped lame_duck_ms=%lld shutdown_at_ms=%lld grace_ms=%lld "
             "deadline_ms=%lld cut=%s took_ms=%lld",
             (long long)s.lame_duck_ms, (long long)(s.shutdown_at_ms - t0),
             (long long)s.grace_ms,
             (long long)(s.shutdown_at_ms + s.grace_ms - t0),
             s.cut ? "true" : "false", (long long)(s.done_at_ms - t0));
}

void app_free(app *a)
{
    cg_server_shutdown(a->srv, 0); /* if the drain did not: no grace */
    if (a->signal_at_ms > 0)
        log_stopped(a);
    cg_server_free(a->srv); /* every handler has returned after this */
    a->srv = NULL;
    metrics_http_stop(a->http);
    a->http = NULL;
    chat_room_destroy(&a->room);
    metrics_destroy(&a->metrics);
    health_destroy(&a->health);
    cg_tracer_free(a->tracer); /* sends the last spans (a bounded wait) */
    a->tracer = NULL;
    logger_destroy(&a->log);
}

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
           "no auth\n"
           "  OTEL_EXPORTER_OTLP_ENDPOINT\n"
           "                         where spans go (http://HOST:4317); "
           "unset: nowhere\n"
           "  OTEL_SERVICE_NAME      the spans' service.name (default "
           "grpc-server)\n",
           CONFIG_DEFAULT_HOST, CONFIG_DEFAULT_PORT,
           CONFIG_DEFAULT_METRICS_PORT, CONFIG_DEFAULT_GRACE_SECONDS);
}

int app_main(int argc, char **argv)
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
    a.signal_at_ms = mono_ms();
    return app_drain(&a, sig);
}
