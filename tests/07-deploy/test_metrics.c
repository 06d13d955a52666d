/*
 * test_metrics.c: exercise 5, the metrics (metrics.c): recording calls,
 * the Prometheus text they become, the interceptor over real calls, and
 * GET /metrics on the program. Then the given HTTP endpoint
 * (given/metrics_http.c) facing clients that misbehave.
 */
#define LESSON_PAGE "steps/07-deploy.md"
#define EXERCISE_FILE "metrics.c"
#include "lesson.h"

/* The exercise shares state between threads: make stepN runs this suite once
 * more built with ThreadSanitizer, so a data race fails every run. */
#define TSAN_SUITE 1

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define CALLS "rpc_server_calls_total"
#define BUCKET "rpc_server_duration_milliseconds_bucket"
#define SUM "rpc_server_duration_milliseconds_sum"
#define COUNT "rpc_server_duration_milliseconds_count"

#define UNARY_LABELS                                                           \
    "rpc_system=\"grpc\",rpc_service=\"tutorial.v1.MyService\","               \
    "rpc_method=\"UnaryCall\""

/* ---- a checker of the text format ---------------------------------------- */

/* Checks text line by line: every line is a comment or a sample of the form
 * name{labels} value (or name value); every sample's family has a # TYPE
 * line before it, and a family's samples are not split by another family.
 * Returns NULL when all is well, else what is wrong (static buffer). */
static const char *format_problem(const char *text)
{
    static char why[2048];
    char family[128] = "", typed[32][128];
    int n_typed = 0;
    int line_no = 0;
    for (const char *p = text; *p != '\0';) {
        const char *eol = strchr(p, '\n');
        if (eol == NULL) {
            snprintf(why, sizeof why, "the text must end with a newline");
            return why;
        }
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(eol - p), p);
        p = eol + 1;
        line_no++;
        if (strncmp(line, "# TYPE ", 7) == 0) {
            char name[128], type[32];
            if (sscanf(line + 7, "%127s %31s", name, type) != 2 ||
                (strcmp(type, "counter") != 0 &&
                 strcmp(type, "histogram") != 0 &&
                 strcmp(type, "gauge") != 0)) {
                snprintf(why, sizeof why, "line %d: bad # TYPE line: %s",
                         line_no, line);
                return why;
            }
            for (int i = 0; i < n_typed; i++) {
                if (strcmp(typed[i], name) == 0) {
                    snprintf(why, sizeof why,
                             "line %d: a second # TYPE for "
                             "%s",
                             line_no, name);
                    return why;
                }
            }
            if (n_typed < 32)
                snprintf(typed[n_typed++], sizeof typed[0], "%s", name);
            snprintf(family, sizeof family, "%s", name);
            continue;
        }
        if (line[0] == '#' || line[0] == '\0')
            continue;
        /* A sample: its name must start with the current family's. */
        size_t name_len = strcspn(line, "{ ");
        if (family[0] == '\0' || strncmp(line, family, strlen(family)) != 0) {
            snprintf(why, sizeof why,
                     "line %d: a sample outside its family "
                     "(no # TYPE for it just before): %s",
                     line_no, line);
            return why;
        }
        const char *rest = line + name_len;
        if (*rest == '{') {
            const char *close = strchr(rest, '}');
            if (close == NULL) {
                snprintf(why, sizeof why, "line %d: no closing }: %s", line_no,
                         line);
                return why;
            }
            rest = close + 1;
        }
        char *end = NULL;
        if (*rest != ' ' || (strtod(rest + 1, &end), end == rest + 1) ||
            *end != '\0') {
            snprintf(why, sizeof why,
                     "line %d: a sample is name{labels} "
                     "value, one space before the value: %s",
                     line_no, line);
            return why;
        }
    }
    return NULL;
}

/* Checks one method's histogram: buckets present for every bound and
 * +Inf, never decreasing, +Inf == _count. Returns NULL or a problem. */
static const char *histogram_problem(const char *text, const char *labels)
{
    static char why[512];
    double prev = 0;
    for (int b = 0; b <= METRICS_N_BOUNDS; b++) {
        char want[512], le[32];
        if (b < METRICS_N_BOUNDS)
            snprintf(le, sizeof le, "%g", metrics_bounds_ms[b]);
        else
            snprintf(le, sizeof le, "+Inf");
        snprintf(want, sizeof want, "%s,le=\"%s\"", labels, le);
        double v = prom_value(text, BUCKET, want);
        if (v < 0) {
            snprintf(why, sizeof why, "no bucket line with le=\"%s\" for %s",
                     le, labels);
            return why;
        }
        if (v < prev) {
            snprintf(why, sizeof why,
                     "the bucket le=\"%s\" (%g) is smaller "
                     "than the one before (%g): buckets count every call up "
                     "to their bound, so they never go down",
                     le, v, prev);
            return why;
        }
        prev = v;
    }
    double count = prom_value(text, COUNT, labels);
    if (count != prev) {
        snprintf(why, sizeof why,
                 "_count is %g but the +Inf bucket is %g: "
                 "both count every call",
                 count, prev);
        return why;
    }
    return NULL;
}

/* ---- exercise 5a: recording ------------------------------------------------ */

static void test_metrics_record_counts_and_buckets(void **state)
{
    (void)state;
    metrics_registry r;
    metrics_init(&r);
    const char *p = "/tutorial.v1.UserService/GetUser";
    metrics_record(&r, p, GRPC_STATUS_OK, 0);        /* le=0 */
    metrics_record(&r, p, GRPC_STATUS_OK, 0.2);      /* le=5 */
    metrics_record(&r, p, GRPC_STATUS_OK, 5);        /* le=5: on the bound */
    metrics_record(&r, p, GRPC_STATUS_NOT_FOUND, 7); /* le=10 */
    metrics_record(&r, p, GRPC_STATUS_NOT_FOUND, 20000); /* +Inf */
    metrics_record(&r, "/tutorial.v1.MyService/UnaryCall",
                   GRPC_STATUS_INVALID_ARGUMENT, 1);
    metrics_record(&r, p, (grpc_status_code)99, 1); /* counts as UNKNOWN */

    size_t n = r.n;
    metrics_method m = r.methods[0], u = r.methods[1];
    metrics_destroy(&r);

    expect_int_as(n, 2, "#exercise-5-metrics",
                  "methods in the registry (r.n) after calls of 2 methods");
    expect_str_as(m.path, p, "#exercise-5-metrics",
                  "the first method's path (r.methods[0].path)");
    expect_int_as(m.calls[GRPC_STATUS_OK], 3, "#exercise-5-metrics",
                  "GetUser's calls[OK]");
    expect_int_as(m.calls[GRPC_STATUS_NOT_FOUND], 2, "#exercise-5-metrics",
                  "GetUser's calls[NOT_FOUND]");
    expect_int_as(m.calls[GRPC_STATUS_UNKNOWN], 1, "#exercise-5-metrics",
                  "GetUser's calls[UNKNOWN] (a code of 99 counts as UNKNOWN)");
    expect_int_as(m.count, 6, "#exercise-5-metrics", "GetUser's count");
    expect_double_as(m.sum_ms, 0 + 0.2 + 5 + 7 + 20000 + 1, 1e-6,
                     "#exercise-5-metrics",
                     "GetUser's sum_ms (0 + 0.2 + 5 + 7 + 20000 + 1 ms)");
    expect_int_as(m.bucket[0], 1, "#the-text-format",
                  "GetUser's bucket[0], calls of at most 0 ms (recorded: 0)");
    expect_int_as(m.bucket[1], 3, "#the-text-format",
                  "GetUser's bucket[1], calls of more than 0 and at most 5 ms "
                  "(recorded: 0.2, 5 and 1)");
    expect_int_as(m.bucket[2], 1, "#the-text-format",
                  "GetUser's bucket[2], calls of more than 5 and at most 10 ms "
                  "(recorded: 7)");
    expect_int_as(m.bucket[METRICS_N_BOUNDS], 1, "#the-text-format",
                  "GetUser's bucket[METRICS_N_BOUNDS], calls of more than "
                  "%g ms (recorded: 20000)",
                  metrics_bounds_ms[METRICS_N_BOUNDS - 1]);
    expect_str_as(u.path, "/tutorial.v1.MyService/UnaryCall",
                  "#exercise-5-metrics",
                  "the second method's path (r.methods[1].path)");
    expect_int_as(u.calls[GRPC_STATUS_INVALID_ARGUMENT], 1,
                  "#exercise-5-metrics", "UnaryCall's calls[INVALID_ARGUMENT]");
}

static void test_metrics_record_full_table(void **state)
{
    (void)state;
    metrics_registry *r = malloc(sizeof *r);
    metrics_init(r);
    for (int i = 0; i < METRICS_MAX_METHODS + 3; i++) {
        char path[64];
        snprintf(path, sizeof path, "/t.S/M%d", i);
        metrics_record(r, path, GRPC_STATUS_OK, 1);
    }
    char long_path[METRICS_PATH_MAX + 10];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[sizeof long_path - 1] = '\0';
    metrics_record(r, long_path, GRPC_STATUS_OK, 1);
    metrics_record(r, "/t.S/M0", GRPC_STATUS_OK, 1); /* known: still counted */
    size_t n = r->n;
    uint64_t dropped = r->dropped, first = r->methods[0].count;
    metrics_destroy(r);
    free(r);
    expect_int(n, METRICS_MAX_METHODS, "#exercise-5-metrics");
    expect_int(dropped, 4, "#exercise-5-metrics");
    expect_int(first, 2, "#exercise-5-metrics");
}

/* Several threads record at once, as the interceptor does on a busy
 * server: each counts calls of one shared method and adds a method of its
 * own to the table. Under the lock nothing is lost; without it, the
 * ThreadSanitizer run of this suite stops at the race, and the counts
 * may come out short. */
#define RECORDERS 4
#define RECORDS 3000

typedef struct recorder {
    metrics_registry *r;
    pthread_barrier_t *go;
    int id;
} recorder;

static void *record_many(void *arg)
{
    recorder *k = arg;
    char own[64];
    snprintf(own, sizeof own, "/t.S/Thread%d", k->id);
    pthread_barrier_wait(k->go); /* all threads start together */
    for (int i = 0; i < RECORDS; i++) {
        metrics_record(k->r, "/t.S/Shared", GRPC_STATUS_OK, 1);
        if (i % 100 == 0)
            metrics_record(k->r, own, GRPC_STATUS_NOT_FOUND, 7);
    }
    return NULL;
}

static void test_metrics_record_from_many_threads(void **state)
{
    (void)state;
    metrics_registry *r = malloc(sizeof *r);
    metrics_init(r);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, RECORDERS);
    recorder k[RECORDERS];
    pthread_t t[RECORDERS];
    for (int i = 0; i < RECORDERS; i++) {
        k[i] = (recorder){.r = r, .go = &go, .id = i};
        pthread_create(&t[i], NULL, record_many, &k[i]);
    }
    for (int i = 0; i < RECORDERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);

    size_t n = r->n;
    uint64_t shared_ok = 0, shared_count = 0, own_calls = 0;
    double shared_sum = 0;
    for (size_t i = 0; i < n && i < METRICS_MAX_METHODS; i++) {
        const metrics_method *m = &r->methods[i];
        if (strcmp(m->path, "/t.S/Shared") == 0) {
            shared_ok = m->calls[GRPC_STATUS_OK];
            shared_count = m->count;
            shared_sum = m->sum_ms;
        } else {
            own_calls += m->calls[GRPC_STATUS_NOT_FOUND];
        }
    }
    metrics_destroy(r);
    free(r);

    const uint64_t want = (uint64_t)RECORDERS * RECORDS;
    expect_true(n == RECORDERS + 1, "#exercise-5-metrics",
                "%d threads recorded one shared method and one of their own "
                "each: the table holds %zu methods, expected %d (find or add "
                "the entry under the lock)",
                RECORDERS, n, RECORDERS + 1);
    expect_true(
        shared_ok == want && shared_count == want && shared_sum == (double)want,
        "#exercise-5-metrics",
        "%d threads recorded %d calls each of 1 ms: the shared method "
        "counts %llu OK, count %llu, sum %g ms; expected %llu, %llu "
        "and %llu (count under the lock)",
        RECORDERS, RECORDS, (unsigned long long)shared_ok,
        (unsigned long long)shared_count, shared_sum, (unsigned long long)want,
        (unsigned long long)want, (unsigned long long)want);
    expect_true(own_calls == (uint64_t)RECORDERS * (RECORDS / 100),
                "#exercise-5-metrics",
                "the threads' own methods count %llu calls, expected %d",
                (unsigned long long)own_calls, RECORDERS * (RECORDS / 100));
}

/* ---- exercise 5c: the text ---------------------------------------------------- */

static void test_metrics_render_text(void **state)
{
    (void)state;
    metrics_registry r;
    metrics_init(&r);
    char *empty = metrics_render(&r);
    const char *p = "/tutorial.v1.UserService/GetUser";
    metrics_record(&r, p, GRPC_STATUS_OK, 0.25);
    metrics_record(&r, p, GRPC_STATUS_OK, 7);
    metrics_record(&r, p, GRPC_STATUS_NOT_FOUND, 30);
    char *text = metrics_render(&r);
    metrics_destroy(&r);

    const char *labels = "rpc_system=\"grpc\",rpc_service=\"tutorial.v1."
                         "UserService\",rpc_method=\"GetUser\"";
    char ok[256], nf[256];
    snprintf(ok, sizeof ok, "%s,rpc_grpc_status_code=\"0\"", labels);
    snprintf(nf, sizeof nf, "%s,rpc_grpc_status_code=\"5\"", labels);
    double calls_ok = prom_value(text, CALLS, ok);
    double calls_nf = prom_value(text, CALLS, nf);
    bool zero_line = strstr(text, "rpc_grpc_status_code=\"1\"") != NULL;
    double le0 = prom_value(text, BUCKET, "le=\"0\"");
    double le5 = prom_value(text, BUCKET, "le=\"5\"");
    double le10 = prom_value(text, BUCKET, "le=\"10\"");
    double le25 = prom_value(text, BUCKET, "le=\"25\"");
    double le50 = prom_value(text, BUCKET, "le=\"50\"");
    double inf = prom_value(text, BUCKET, "le=\"+Inf\"");
    double sum = prom_value(text, SUM, labels);
    double count = prom_value(text, COUNT, labels);
    const char *empty_problem = format_problem(empty);
    char problem[512] = "";
    const char *fp = format_problem(text);
    if (fp != NULL)
        snprintf(problem, sizeof problem, "%s", fp);
    const char *hp = histogram_problem(text, labels);
    char hproblem[512] = "";
    if (hp != NULL)
        snprintf(hproblem, sizeof hproblem, "%s", hp);
    bool help =
        strstr(text, "# HELP " CALLS " ") != NULL &&
        strstr(text, "# HELP rpc_server_duration_milliseconds ") != NULL;
    bool types = strstr(text, "# TYPE " CALLS " counter\n") != NULL &&
                 strstr(text, "# TYPE rpc_server_duration_milliseconds "
                              "histogram\n") != NULL;
    bool empty_types = strstr(empty, "# TYPE " CALLS " counter\n") != NULL;
    /* A copy for the messages, freed before they are checked. */
    char shown[4096];
    snprintf(shown, sizeof shown, "%s", text);
    free(text);
    free(empty);

    expect_true(empty_problem == NULL && empty_types, "#the-text-format",
                "with no calls yet the text should still have its # HELP "
                "and # TYPE lines");
    expect_true(help && types, "#the-text-format",
                "every family needs its "
                "# HELP and # TYPE lines; got:\n%s",
                shown);
    expect_true(problem[0] == '\0', "#the-text-format", "%s\nin:\n%s", problem,
                shown);
    expect_double(calls_ok, 2, 0, "#opentelemetry-names-in-prometheus");
    expect_double(calls_nf, 1, 0, "#opentelemetry-names-in-prometheus");
    expect_true(!zero_line, "#the-text-format",
                "no call ended CANCELLED (code 1), yet there is a counter line "
                "for it: one line per method and code that has calls");
    expect_true(hproblem[0] == '\0', "#the-text-format", "%s\nin:\n%s",
                hproblem, shown);
    expect_double(le0, 0, 0, "#the-text-format");
    expect_double(le5, 1, 0, "#the-text-format");
    expect_double(le10, 2, 0, "#the-text-format");
    expect_double(le25, 2, 0, "#the-text-format");
    expect_double(le50, 3, 0, "#the-text-format");
    expect_double(inf, 3, 0, "#the-text-format");
    expect_double(sum, 37.25, 0.01, "#the-text-format");
    expect_double(count, 3, 0, "#the-text-format");
}

/* ---- exercise 5b: the interceptor ---------------------------------------------- */

static void test_metrics_interceptor_counts_calls(void **state)
{
    (void)state;
    test_server ts;
    /* Two notifications: one pause of 60 ms. */
    test_server_opts o = {.metrics = true, .notes_interval_ms = 60};
    test_server_start(&ts, &o);
    cg_call_opts dl = deadline_ms(WAIT_MS);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    int ok = 0, bad = 0;
    for (int i = 0; i < 5; i++) {
        req.id = i < 3 ? "x" : ""; /* 3 OK, 2 INVALID_ARGUMENT */
        cg_status st =
            tutorial__v1__my_service_client__unary_call(ts.ch, &req, NULL, &dl);
        ok += st.code == GRPC_STATUS_OK;
        bad += st.code == GRPC_STATUS_INVALID_ARGUMENT;
    }
    Tutorial__V1__StreamRequest sreq = TUTORIAL__V1__STREAM_REQUEST__INIT;
    sreq.user_id = "m";
    sreq.max_count = 2;
    cg_status stream = cg_call_finish(
        tutorial__v1__notification_service_client__stream_notifications(
            ts.ch, &sreq, &dl));
    char *text = metrics_render(&ts.metrics);
    test_server_stop(&ts);

    double c_ok =
        prom_value(text, CALLS, UNARY_LABELS ",rpc_grpc_status_code=\"0\"");
    double c_bad =
        prom_value(text, CALLS, UNARY_LABELS ",rpc_grpc_status_code=\"3\"");
    double count = prom_value(text, COUNT, UNARY_LABELS);
    double s_ok = prom_value(text, CALLS,
                             "rpc_service=\"tutorial.v1.NotificationService\","
                             "rpc_method=\"StreamNotifications\","
                             "rpc_grpc_status_code=\"0\"");
    double s_sum = prom_value(text, SUM,
                              "rpc_system=\"grpc\","
                              "rpc_service=\"tutorial.v1.NotificationService\","
                              "rpc_method=\"StreamNotifications\"");
    const char *hp = histogram_problem(text, UNARY_LABELS);
    char hproblem[512] = "";
    if (hp != NULL)
        snprintf(hproblem, sizeof hproblem, "%s", hp);
    char shown[4096];
    snprintf(shown, sizeof shown, "%s", text);
    free(text);

    expect_int(ok, 3, "#exercise-5-metrics");
    expect_int(bad, 2, "#exercise-5-metrics");
    expect_code(stream, GRPC_STATUS_OK, "#exercise-5-metrics");
    expect_true(c_ok == 3 && c_bad == 2 && s_ok == 1, "#exercise-5-metrics",
                "after 3 OK and 2 INVALID_ARGUMENT UnaryCalls and one "
                "stream, the counters should say 3, 2 and 1; they say %g, %g "
                "and %g in:\n%s",
                c_ok, c_bad, s_ok, shown);
    expect_double(count, 5, 0, "#exercise-5-metrics");
    expect_true(hproblem[0] == '\0', "#the-text-format", "%s\nin:\n%s",
                hproblem, shown);
    expect_true(s_sum >= 59 && s_sum < 5000, "#exercise-5-metrics",
                "a stream that pauses 60 ms between its two notifications "
                "took at least 60 ms; its duration sum says %g ms: time the "
                "call around cg_proceed, in milliseconds",
                s_sum);
}

/* needs: config.c */
static void test_metrics_program_endpoint(void **state)
{
    (void)state;
    static const char *const env[] = {
        "HOST=127.0.0.1", "PORT=0", "METRICS_PORT=0", "LOG_LEVEL=error", NULL};
    program pg;
    char why[20000];
    bool up = program_start(&pg, env, NULL, true, why, sizeof why);
    expect_true(up, "#running-the-program", "%s", why);
    cg_channel *ch = cg_channel_new(pg.target, NULL, NULL);
    cg_call_opts dl = deadline_ms(WAIT_MS);
    Tutorial__V1__GetUserRequest req = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    for (int i = 0; i < 4; i++) {
        req.user_id = i == 0 ? "42" : "1"; /* 1 NOT_FOUND, 3 OK */
        tutorial__v1__user_service_client__get_user(ch, &req, NULL, &dl);
    }
    cg_channel_free(ch);
    static char resp[1 << 16];
    const char *body = NULL;
    int code = http_get_metrics(pg.metrics_port, resp, sizeof resp, &body);
    program_end(&pg);
    const char *labels = "rpc_service=\"tutorial.v1.UserService\","
                         "rpc_method=\"GetUser\"";
    char ok[256], nf[256];
    snprintf(ok, sizeof ok, "%s,rpc_grpc_status_code=\"0\"", labels);
    snprintf(nf, sizeof nf, "%s,rpc_grpc_status_code=\"5\"", labels);
    expect_int(code, 200, "#the-metrics-endpoint");
    expect_true(strstr(resp, "Content-Type: text/plain; version=0.0.4") != NULL,
                "#the-metrics-endpoint",
                "the answer should be Prometheus "
                "text (Content-Type: text/plain; version=0.0.4)");
    /* prom_value gives -1 for a line that is missing. */
    expect_double_as(prom_value(body, CALLS, ok), 3, 0, "#exercise-5-metrics",
                     "GET /metrics after 4 GetUser calls: " CALLS
                     " of GetUser with code 0 (OK; -1: no such line)");
    expect_double_as(prom_value(body, CALLS, nf), 1, 0, "#exercise-5-metrics",
                     "GET /metrics after 4 GetUser calls: " CALLS
                     " of GetUser with code 5 (NOT_FOUND; -1: no such line)");
    expect_double_as(prom_value(body, COUNT, labels), 4, 0,
                     "#exercise-5-metrics",
                     "GET /metrics after 4 GetUser calls: " COUNT
                     " of GetUser (-1: no such line)");
}

/* ---- given: the HTTP endpoint ----------------------------------------------------- */

static char *render_hello(void *user)
{
    (void)user;
    return strdup("# TYPE hello counter\nhello 1\n");
}

/* An endpoint on 127.0.0.1:0 with a short read timeout. */
static metrics_http *endpoint(int *port, int read_timeout_ms)
{
    char err[256];
    metrics_http *h =
        metrics_http_start("127.0.0.1", 0, render_hello, NULL, read_timeout_ms,
                           port, err, sizeof err);
    if (h == NULL)
        fail_msg("metrics_http_start: %s", err);
    return h;
}

static int ask(int port, const char *request)
{
    char resp[4096];
    return http_request(port, request, strlen(request), resp, sizeof resp, NULL,
                        WAIT_MS);
}

static void test_metrics_http_answers(void **state)
{
    (void)state;
    int port;
    metrics_http *h = endpoint(&port, 500);
    char resp[4096];
    const char *body = NULL;
    int ok = http_get_metrics(port, resp, sizeof resp, &body);
    char got[256];
    snprintf(got, sizeof got, "%s", body);
    int query = ask(port, "GET /metrics?name[]=x HTTP/1.0\r\n\r\n");
    int other = ask(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    int post = ask(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    int junk = ask(port, "hello there\r\n\r\n");
    int http2 = ask(port, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    metrics_http_stop(h);
    expect_int(ok, 200, "#the-metrics-endpoint");
    expect_str(got, "# TYPE hello counter\nhello 1\n", "#the-metrics-endpoint");
    expect_int(query, 200, "#the-metrics-endpoint");
    expect_int(other, 404, "#the-metrics-endpoint");
    expect_int(post, 405, "#the-metrics-endpoint");
    expect_int(junk, 400, "#the-metrics-endpoint");
    expect_int(http2, 400, "#the-metrics-endpoint");
}

static void test_metrics_http_bounded(void **state)
{
    (void)state;
    int port;
    metrics_http *h = endpoint(&port, 300);
    /* A head larger than the endpoint will read: refused. */
    size_t big_len = 20000;
    char *big = malloc(big_len + 1);
    memcpy(big, "GET /metrics HTTP/1.1\r\nX-Pad: ", 30);
    memset(big + 30, 'a', big_len - 30);
    big[big_len] = '\0';
    char resp[4096];
    int too_big =
        http_request(port, big, big_len, resp, sizeof resp, NULL, WAIT_MS);
    free(big);
    /* A client that connects and says nothing holds the endpoint for the
     * read timeout at most: the next client is served after it. */
    int idle = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int connected = connect(idle, (struct sockaddr *)&sa, sizeof sa);
    int64_t t0 = now_ms();
    int after = http_get_metrics(port, resp, sizeof resp, NULL);
    int64_t waited = now_ms() - t0;
    /* The idle client was told it was too slow. */
    char idle_resp[512] = "";
    struct pollfd p = {.fd = idle, .events = POLLIN};
    if (poll(&p, 1, WAIT_MS) > 0) {
        ssize_t n = recv(idle, idle_resp, sizeof idle_resp - 1, 0);
        idle_resp[n > 0 ? n : 0] = '\0';
    }
    close(idle);
    metrics_http_stop(h);
    expect_int(too_big, 431, "#the-metrics-endpoint");
    expect_int(connected, 0, "#the-metrics-endpoint");
    expect_int(after, 200, "#the-metrics-endpoint");
    expect_true(waited < 300 + 2000, "#the-metrics-endpoint",
                "the next client waited %lld ms", (long long)waited);
    expect_true(strncmp(idle_resp, "HTTP/1.1 408", 12) == 0,
                "#the-metrics-endpoint",
                "the silent client should get 408; "
                "got: %s",
                idle_resp);
}

static void test_metrics_http_port_in_use(void **state)
{
    (void)state;
    int port;
    metrics_http *h = endpoint(&port, 500);
    char err[256] = "";
    int port2 = 0;
    metrics_http *h2 = metrics_http_start("127.0.0.1", port, render_hello, NULL,
                                          0, &port2, err, sizeof err);
    metrics_http_stop(h2);
    metrics_http_stop(h);
    char num[16];
    snprintf(num, sizeof num, "%d", port);
    expect_true(h2 == NULL, "#the-metrics-endpoint",
                "a second endpoint on "
                "port %d should fail",
                port);
    expect_true(strstr(err, num) != NULL && strstr(err, "METRICS_PORT") != NULL,
                "#the-metrics-endpoint",
                "the error should name the port and "
                "METRICS_PORT; got \"%s\"",
                err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_record_counts_and_buckets),
        cmocka_unit_test(test_metrics_record_full_table),
        cmocka_unit_test(test_metrics_record_from_many_threads),
        cmocka_unit_test(test_metrics_render_text),
        cmocka_unit_test(test_metrics_interceptor_counts_calls),
        cmocka_unit_test(test_metrics_program_endpoint),
        cmocka_unit_test(test_metrics_http_answers),
        cmocka_unit_test(test_metrics_http_bounded),
        cmocka_unit_test(test_metrics_http_port_in_use),
    };
    return cmocka_run_group_tests(tests, grpc_suite_setup, grpc_suite_teardown);
}
