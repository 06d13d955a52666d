/*
 * lb_client.c: the client of `make cluster` (tools/cluster/cluster.py runs it).
 *
 * One channel to several replicas of the step-07 server, with a service
 * config that picks round_robin, and a few threads sending UnaryCall as fast
 * as they can. Each answer's `x-replica` response header says which replica
 * served it; the client counts calls per replica, per status code and per
 * phase, so the report can show the spread before and after a replica is
 * stopped. The phase of a call is the phase in force when the call started.
 *
 *   lb_client load TARGET [--service-config FILE] [--threads N]
 *                         [--timeout-ms MS] [--max-seconds S]
 *       TARGET e.g. "ipv4:127.0.0.1:5001,127.0.0.1:5002,127.0.0.1:5003".
 *       Reads commands on stdin, one per line:
 *         phase NAME   calls started from now on count under NAME
 *         stop         finish the calls in flight, print the summary, exit
 *       (end of input counts as stop). Writes one JSON object per line on
 *       stdout: {"event":"ready"} once connected, a "progress" object every
 *       200 ms, a "phase" object when a phase starts, a "summary" at the end.
 *       Exit status 0 when every call succeeded, 1 when any failed, 2 for
 *       bad usage or no connection.
 *
 *       With OTEL_EXPORTER_OTLP_ENDPOINT set, one more call first: a
 *       traced Health/Check (an INTERNAL span "cluster demo", the runtime's
 *       client interceptor's CLIENT span under it, traceparent sent), and
 *       {"event":"traced","trace":ID,"replica":NAME,"code":CODE} once its
 *       spans have been exported.
 *
 *   lb_client sink
 *       An OTLP trace receiver on 127.0.0.1 (a free port): prints
 *       {"event":"listening","port":N}, then one JSON line per span
 *       received that belongs to a trace begun elsewhere (a span with a
 *       parent, or a CLIENT or INTERNAL span), until stdin closes.
 *
 *   lb_client health ADDR [SERVICE]
 *       One grpc.health.v1.Health/Check call; prints the serving status
 *       (SERVING, NOT_SERVING, ...) and exits 0, or prints the call's error
 *       on stderr and exits 1.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cgrpc.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.cgrpc.h"

#include "grpc/health/v1/health.cgrpc.h"
#include "tutorial/v1/my_service.cgrpc.h"

#define MAX_PHASES 8
#define MAX_REPLICAS 16
#define MAX_THREADS 64
#define NAME_LEN 64
#define ERRORS_KEPT 5
/* Status codes 0..16, then one more slot for "OK but the wrong answer". */
#define N_CODES 18
#define WRONG_ANSWER 17

/* ===================================================================== */
/* The tally: what every call ended with                                  */
/* ===================================================================== */

typedef struct phase_stats {
    char name[NAME_LEN];
    long ok;
    long failed;
    long by_replica[MAX_REPLICAS];
    long by_code[N_CODES];
    int64_t max_us; /* slowest call of the phase */
} phase_stats;

typedef struct load {
    cg_channel *ch;
    int64_t timeout_ms;
    atomic_bool stop;
    atomic_int phase; /* index into phases[] */

    pthread_mutex_t mu; /* guards everything below */
    int n_phases;
    phase_stats phases[MAX_PHASES];
    int n_replicas;
    char replicas[MAX_REPLICAS][NAME_LEN];
    int n_errors;
    char errors[ERRORS_KEPT][CG_STATUS_MESSAGE_MAX + 96];
} load;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The index of replica `name` in the table, added when new (mu held). A
 * table that is full counts the rest under its last entry. */
static int replica_index(load *ld, const char *name)
{
    for (int i = 0; i < ld->n_replicas; i++)
        if (strcmp(ld->replicas[i], name) == 0)
            return i;
    if (ld->n_replicas == MAX_REPLICAS)
        return MAX_REPLICAS - 1;
    snprintf(ld->replicas[ld->n_replicas], NAME_LEN, "%s", name);
    return ld->n_replicas++;
}

static const char *code_name(int code)
{
    return code == WRONG_ANSWER ? "WRONG_ANSWER"
                                : cg_status_name((grpc_status_code)code);
}

static void record(load *ld, int phase, const char *replica, int code,
                   const char *message, int64_t took_us)
{
    if (code < 0 || code >= N_CODES)
        code = GRPC_STATUS_UNKNOWN; /* not a code gRPC defines */
    pthread_mutex_lock(&ld->mu);
    phase_stats *p = &ld->phases[phase];
    if (code == GRPC_STATUS_OK) {
        p->ok++;
        p->by_replica[replica_index(ld, replica)]++;
    } else {
        p->failed++;
        if (ld->n_errors < ERRORS_KEPT) {
            char line[sizeof ld->errors[0]];
            snprintf(line, sizeof line, "phase %s: %s: %s", p->name,
                     code_name(code), message);
            memcpy(ld->errors[ld->n_errors++], line, sizeof line);
        }
    }
    p->by_code[code]++;
    if (took_us > p->max_us)
        p->max_us = took_us;
    pthread_mutex_unlock(&ld->mu);
}

/* ===================================================================== */
/* The calls                                                              */
/* ===================================================================== */

/* One UnaryCall by hand (start, send, receive, finish) rather than with the
 * generated one-line stub, because the response header `x-replica` is only
 * readable on a cg_call. */
static void one_call(load *ld, const char *id)
{
    int phase = atomic_load(&ld->phase);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    cg_call_opts opts = {.timeout_ms = ld->timeout_ms};
    char replica[NAME_LEN] = "(no x-replica header)";
    bool right = false;

    int64_t t0 = now_us();
    cg_call *c = cg_call_start(
        ld->ch, TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD, &opts);
    cg_call_send(c, &req); /* a failure shows in the status below */
    cg_call_close_send(c);
    const Tutorial__V1__Response *resp = cg_call_recv(c);
    if (resp != NULL) {
        const char *h = cg_call_header(c, "x-replica", NULL);
        if (h != NULL && h[0] != '\0')
            snprintf(replica, sizeof replica, "%s", h);
        char want[96];
        snprintf(want, sizeof want, "Processed: %s", id);
        right = resp->success && resp->message != NULL &&
                strcmp(resp->message, want) == 0;
    }
    cg_status st = cg_call_finish(c);
    int64_t took = now_us() - t0;

    if (st.code == GRPC_STATUS_OK && !right)
        record(ld, phase, replica, WRONG_ANSWER,
               "the response was not \"Processed: <id>\"", took);
    else
        record(ld, phase, replica, (int)st.code, st.message, took);
}

typedef struct worker {
    load *ld;
    int index;
    pthread_t thread;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    char id[48];
    for (long i = 0; !atomic_load(&w->ld->stop); i++) {
        snprintf(id, sizeof id, "cluster-%d-%ld", w->index, i);
        one_call(w->ld, id);
    }
    return NULL;
}

/* ===================================================================== */
/* Output: one JSON object per line                                       */
/* ===================================================================== */

static void json_str(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

/* {"name":..., "ok":..., ...} of phase i (mu held). */
static void print_phase(const load *ld, int i)
{
    const phase_stats *p = &ld->phases[i];
    printf("{\"name\":");
    json_str(p->name);
    printf(",\"ok\":%ld,\"failed\":%ld,\"max_ms\":%.1f,\"by_replica\":{", p->ok,
           p->failed, (double)p->max_us / 1000.0);
    bool first = true;
    for (int r = 0; r < ld->n_replicas; r++) {
        if (p->by_replica[r] == 0)
            continue;
        printf("%s", first ? "" : ",");
        json_str(ld->replicas[r]);
        printf(":%ld", p->by_replica[r]);
        first = false;
    }
    printf("},\"by_code\":{");
    first = true;
    for (int c = 0; c < N_CODES; c++) {
        if (p->by_code[c] == 0)
            continue;
        printf("%s", first ? "" : ",");
        json_str(code_name(c));
        printf(":%ld", p->by_code[c]);
        first = false;
    }
    printf("}}");
}

static void print_progress(load *ld, int64_t started)
{
    pthread_mutex_lock(&ld->mu);
    printf("{\"event\":\"progress\",\"elapsed_ms\":%lld,\"phase\":",
           (long long)((now_us() - started) / 1000));
    print_phase(ld, atomic_load(&ld->phase));
    printf("}\n");
    pthread_mutex_unlock(&ld->mu);
    fflush(stdout);
}

static void print_summary(load *ld, int threads, int64_t started)
{
    pthread_mutex_lock(&ld->mu);
    long ok = 0, failed = 0;
    for (int i = 0; i < ld->n_phases; i++) {
        ok += ld->phases[i].ok;
        failed += ld->phases[i].failed;
    }
    printf("{\"event\":\"summary\",\"threads\":%d,\"elapsed_ms\":%lld,"
           "\"ok\":%ld,\"failed\":%ld,\"phases\":[",
           threads, (long long)((now_us() - started) / 1000), ok, failed);
    for (int i = 0; i < ld->n_phases; i++) {
        printf("%s", i ? "," : "");
        print_phase(ld, i);
    }
    printf("],\"errors\":[");
    for (int i = 0; i < ld->n_errors; i++) {
        printf("%s", i ? "," : "");
        json_str(ld->errors[i]);
    }
    printf("]}\n");
    pthread_mutex_unlock(&ld->mu);
    fflush(stdout);
}

/* ===================================================================== */
/* Commands on stdin                                                      */
/* ===================================================================== */

/* Starts phase `name`: calls that start from now on count under it. */
static void start_phase(load *ld, const char *name)
{
    pthread_mutex_lock(&ld->mu);
    bool ok = ld->n_phases < MAX_PHASES;
    if (ok) {
        phase_stats *p = &ld->phases[ld->n_phases];
        memset(p, 0, sizeof *p);
        snprintf(p->name, NAME_LEN, "%s", name);
        atomic_store(&ld->phase, ld->n_phases++);
    }
    pthread_mutex_unlock(&ld->mu);
    if (ok) {
        printf("{\"event\":\"phase\",\"name\":");
        json_str(name);
        printf("}\n");
    } else {
        fprintf(stderr, "lb_client: at most %d phases; '%s' ignored\n",
                MAX_PHASES, name);
    }
    fflush(stdout);
}

/* Handles one command line; false when it was "stop". */
static bool command(load *ld, char *line)
{
    line[strcspn(line, "\r")] = '\0';
    if (strcmp(line, "stop") == 0)
        return false;
    if (strncmp(line, "phase ", 6) == 0 && line[6] != '\0')
        start_phase(ld, line + 6);
    else if (line[0] != '\0')
        fprintf(stderr,
                "lb_client: unknown command '%s' (try 'phase NAME' or "
                "'stop')\n",
                line);
    return true;
}

/* Reads commands until "stop", end of input or max_seconds; prints progress
 * every 200 ms meanwhile. */
static void command_loop(load *ld, int64_t started, int max_seconds)
{
    char buf[512];
    size_t len = 0;
    int64_t next_progress = now_us() + 200000;
    for (;;) {
        int64_t now = now_us();
        if (now - started > (int64_t)max_seconds * 1000000) {
            fprintf(stderr, "lb_client: stopping after --max-seconds %d\n",
                    max_seconds);
            return;
        }
        if (now >= next_progress) {
            print_progress(ld, started);
            next_progress = now + 200000;
        }
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        int wait_ms = (int)((next_progress - now + 999) / 1000);
        int n = poll(&pfd, 1, wait_ms < 1 ? 1 : wait_ms);
        if (n < 0 && errno != EINTR)
            return;
        if (n <= 0)
            continue;
        ssize_t got = read(STDIN_FILENO, buf + len, sizeof buf - 1 - len);
        if (got <= 0)
            return; /* end of input: whoever drove us is gone */
        len += (size_t)got;
        buf[len] = '\0';
        char *nl;
        while ((nl = strchr(buf, '\n')) != NULL) {
            *nl = '\0';
            if (!command(ld, buf))
                return;
            len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, len + 1);
        }
        if (len == sizeof buf - 1)
            len = 0; /* a line too long to be a command: drop it */
    }
}

/* ===================================================================== */
/* main                                                                   */
/* ===================================================================== */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (len + 2 > cap) {
            cap = cap ? 2 * cap : 1024;
            char *more = realloc(text, cap);
            if (more == NULL) {
                free(text);
                fclose(f);
                return NULL;
            }
            text = more;
        }
        text[len++] = (char)c;
    }
    fclose(f);
    if (text == NULL)
        text = calloc(1, 1);
    else
        text[len] = '\0';
    return text;
}

/* ---- tracing: one traced call, and a receiver that shows it ------------ */

/* With an endpoint in the environment: one call under a span of its own,
 * whose trace id and replica are printed once exported. */
static void trace_one_call(const char *target, const char *config)
{
    cg_tracer_opts topts = {.service_name = "lb-client"};
    cg_tracer *t = cg_tracer_new(&topts, NULL);
    if (t == NULL || !cg_tracer_stats_get(t).exporting) {
        cg_tracer_free(t);
        return;
    }
    cg_channel_opts copts = {.service_config_json = config};
    cg_channel *ch = cg_channel_new(target, &copts, NULL);
    cg_client_interceptor ic = cg_trace_client_interceptor(t);
    cg_channel_add_interceptor(ch, &ic);
    cg_span *demo = cg_span_start(t, "cluster demo", CG_SPAN_INTERNAL, NULL);
    char trace_id[33];
    snprintf(trace_id, sizeof trace_id, "%s",
             cg_span_context_of(demo)->trace_id);
    cg_span *prev = cg_span_swap_current(demo);
    cg_call_opts o = {.timeout_ms = 5000};
    /* Health/Check: not a UnaryCall, so the replicas' UnaryCall counts
     * stay those of the load. */
    cg_call *c = cg_call_start(ch, GRPC__HEALTH__V1__HEALTH__CHECK__METHOD, &o);
    Grpc__Health__V1__HealthCheckRequest req =
        GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    cg_call_send(c, &req);
    cg_call_close_send(c);
    cg_call_recv(c);
    const char *h = cg_call_header(c, "x-replica", NULL);
    char replica[NAME_LEN];
    snprintf(replica, sizeof replica, "%s", h != NULL ? h : "?");
    cg_status st = cg_call_finish(c);
    cg_span_swap_current(prev);
    cg_span_end(demo);
    cg_tracer_flush(t, 5000);
    printf("{\"event\":\"traced\",\"trace\":\"%s\",\"replica\":\"%s\","
           "\"code\":\"%s\"}\n",
           trace_id, replica, cg_status_name(st.code));
    fflush(stdout);
    cg_channel_free(ch);
    cg_tracer_free(t);
}

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
    export_req;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse
    export_resp;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans resource_spans;

static void hex_of(char *out, ProtobufCBinaryData b)
{
    out[0] = '\0';
    for (size_t i = 0; i < b.len && i < 16; i++)
        sprintf(out + 2 * i, "%02x", b.data[i]);
}

static void print_span(const Opentelemetry__Proto__Trace__V1__Span *sp,
                       const char *service)
{
    char trace[33], span[33], parent[33];
    hex_of(trace, sp->trace_id);
    hex_of(span, sp->span_id);
    hex_of(parent, sp->parent_span_id);
    if (parent[0] == '\0' && (int)sp->kind == CG_SPAN_SERVER)
        return; /* a call of the load: not begun elsewhere */
    printf(
        "{\"event\":\"span\",\"trace\":\"%s\",\"span\":\"%s\","
        "\"parent\":\"%s\",\"kind\":%d,\"name\":\"%s\",\"service\":\"%s\"}\n",
        trace, span, parent, (int)sp->kind, sp->name, service);
}

static const char *service_of(const resource_spans *rs)
{
    for (size_t k = 0; rs->resource && k < rs->resource->n_attributes; k++) {
        const Opentelemetry__Proto__Common__V1__KeyValue *kv =
            rs->resource->attributes[k];
        if (strcmp(kv->key, "service.name") == 0 && kv->value != NULL &&
            kv->value->value_case ==
                OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE)
            return kv->value->string_value;
    }
    return "";
}

static cg_status on_export(cg_ctx *ctx, const export_req *req,
                           export_resp *resp)
{
    (void)resp;
    pthread_mutex_t *mu = cg_ctx_user(ctx);
    pthread_mutex_lock(mu);
    for (size_t i = 0; i < req->n_resource_spans; i++) {
        const resource_spans *rs = req->resource_spans[i];
        for (size_t j = 0; j < rs->n_scope_spans; j++)
            for (size_t k = 0; k < rs->scope_spans[j]->n_spans; k++)
                print_span(rs->scope_spans[j]->spans[k], service_of(rs));
    }
    fflush(stdout);
    pthread_mutex_unlock(mu);
    return cg_ok();
}

static const Opentelemetry__Proto__Collector__Trace__V1__TraceService_Server
    sink_impl = {.export = on_export};

static pthread_mutex_t sink_mu = PTHREAD_MUTEX_INITIALIZER;

static void sink_setup(cg_server *srv, void *user)
{
    opentelemetry__proto__collector__trace__v1__trace_service__register_server(
        srv, &sink_impl, user);
}

/* Receives spans until stdin closes. */
static int run_sink(void)
{
    int port = 0;
    cg_server *srv = cg_test_server_start(sink_setup, &sink_mu, &port);
    if (srv == NULL) {
        fprintf(stderr, "lb_client: the trace sink could not start\n");
        return 2;
    }
    pthread_mutex_lock(&sink_mu);
    printf("{\"event\":\"listening\",\"port\":%d}\n", port);
    fflush(stdout);
    pthread_mutex_unlock(&sink_mu);
    char line[64];
    while (fgets(line, sizeof line, stdin) != NULL)
        ;
    cg_server_free(srv);
    return 0;
}

static int usage(void)
{
    fprintf(
        stderr,
        "usage: lb_client load TARGET [--service-config FILE] [--threads N]\n"
        "                      [--timeout-ms MS] [--max-seconds S]\n"
        "       lb_client sink\n"
        "       lb_client health ADDR [SERVICE]\n"
        "(make cluster runs it for you: see tools/cluster/cluster.py)\n");
    return 2;
}

static int run_load(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *target = argv[2], *config_path = NULL;
    int threads = 4, max_seconds = 120;
    int64_t timeout_ms = 5000;
    for (int i = 3; i < argc; i += 2) { /* --flag value pairs */
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return usage();
        if (strcmp(argv[i], "--service-config") == 0)
            config_path = v;
        else if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(v);
        else if (strcmp(argv[i], "--timeout-ms") == 0)
            timeout_ms = atoll(v);
        else if (strcmp(argv[i], "--max-seconds") == 0)
            max_seconds = atoi(v);
        else
            return usage();
    }
    if (threads < 1 || threads > MAX_THREADS || timeout_ms < 1 ||
        max_seconds < 1) {
        fprintf(stderr,
                "lb_client: --threads takes 1..%d, --timeout-ms and "
                "--max-seconds a positive number\n",
                MAX_THREADS);
        return 2;
    }
    char *config = NULL;
    if (config_path != NULL && (config = read_file(config_path)) == NULL) {
        fprintf(stderr, "lb_client: cannot read the service config %s: %s\n",
                config_path, strerror(errno));
        return 2;
    }

    static load ld; /* large; zeroed */
    pthread_mutex_init(&ld.mu, NULL);
    ld.timeout_ms = timeout_ms;
    cg_channel_opts copts = {.service_config_json = config};
    cg_status err;
    ld.ch = cg_channel_new(target, &copts, &err);
    if (ld.ch == NULL) {
        free(config);
        fprintf(stderr, "lb_client: %s\n", err.message);
        return 2;
    }
    if (!cg_channel_wait_ready(ld.ch, 10000)) {
        fprintf(stderr,
                "lb_client: no replica of %s answered within 10 s "
                "(state %s)\n",
                target, cg_conn_state_name(cg_channel_state(ld.ch, false)));
        cg_channel_free(ld.ch);
        free(config);
        return 2;
    }
    trace_one_call(target, config);
    free(config); /* the channels copied it */
    printf("{\"event\":\"ready\"}\n");
    start_phase(&ld, "before");

    int64_t started = now_us();
    worker ws[MAX_THREADS];
    int n_started = 0;
    for (int i = 0; i < threads; i++) {
        ws[i] = (worker){.ld = &ld, .index = i};
        if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0)
            break;
        n_started++;
    }
    command_loop(&ld, started, max_seconds);
    atomic_store(&ld.stop, true);
    for (int i = 0; i < n_started; i++)
        pthread_join(ws[i].thread, NULL);
    print_summary(&ld, n_started, started);

    long failed = 0;
    for (int i = 0; i < ld.n_phases; i++)
        failed += ld.phases[i].failed;
    cg_channel_free(ld.ch);
    pthread_mutex_destroy(&ld.mu);
    return failed == 0 && n_started == threads ? 0 : 1;
}

static int run_health(int argc, char **argv)
{
    if (argc < 3 || argc > 4)
        return usage();
    cg_status err;
    cg_channel *ch = cg_channel_new(argv[2], NULL, &err);
    if (ch == NULL) {
        fprintf(stderr, "lb_client: %s\n", err.message);
        return 2;
    }
    Grpc__Health__V1__HealthCheckRequest req =
        GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = argc == 4 ? argv[3] : "";
    Grpc__Health__V1__HealthCheckResponse *resp = NULL;
    cg_call_opts opts = {.timeout_ms = 5000};
    cg_status st =
        grpc__health__v1__health_client__check(ch, &req, &resp, &opts);
    int rc = 0;
    if (st.code == GRPC_STATUS_OK) {
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
            &grpc__health__v1__health_check_response__serving_status__descriptor,
            (int)resp->status);
        printf("%s\n", v != NULL ? v->name : "UNKNOWN");
        grpc__health__v1__health_check_response__free_unpacked(resp, NULL);
    } else {
        fprintf(stderr, "Health/Check(\"%s\") on %s: %s: %s\n", req.service,
                argv[2], cg_status_name(st.code), st.message);
        rc = 1;
    }
    cg_channel_free(ch);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "load") == 0)
        return run_load(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "health") == 0)
        return run_health(argc, argv);
    if (argc == 2 && strcmp(argv[1], "sink") == 0)
        return run_sink();
    return usage();
}
