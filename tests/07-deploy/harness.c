/*
 * harness.c: the helpers of step 07's suites (see harness.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "my_service.h"
#include "replica.h"
#include "user_service.h"

/* ---- programs still running, ended at the latest by the teardown ------- */

#define MAX_PROGRAMS 16
static program *running[MAX_PROGRAMS];
/* A suite may run a test's program on a thread of its own while the other
 * tests run (test_drain.c). */
static pthread_mutex_t running_mu = PTHREAD_MUTEX_INITIALIZER;

static void track(program *pg)
{
    pthread_mutex_lock(&running_mu);
    for (int i = 0; i < MAX_PROGRAMS; i++) {
        if (running[i] == NULL) {
            running[i] = pg;
            break;
        }
    }
    pthread_mutex_unlock(&running_mu);
}

static void untrack(program *pg)
{
    pthread_mutex_lock(&running_mu);
    for (int i = 0; i < MAX_PROGRAMS; i++)
        if (running[i] == pg)
            running[i] = NULL;
    pthread_mutex_unlock(&running_mu);
}

void program_end(program *pg)
{
    proc_end(&pg->p);
    untrack(pg);
}

static void end_all_programs(void)
{
    for (int i = 0; i < MAX_PROGRAMS; i++) {
        pthread_mutex_lock(&running_mu);
        program *pg = running[i];
        pthread_mutex_unlock(&running_mu);
        if (pg != NULL)
            program_end(pg);
    }
}

/* ---- gRPC for a whole suite -------------------------------------------- */

int grpc_suite_setup(void **state)
{
    /* A write to a program that just exited must not end the suite. */
    signal(SIGPIPE, SIG_IGN);
    return grpc_group_setup(state);
}

int grpc_suite_teardown(void **state)
{
    /* A test that failed half-way leaves its programs to us (an ending
     * test process takes them along anyway: PR_SET_PDEATHSIG in proc.c). */
    end_all_programs();
    return grpc_group_teardown(state);
}

/* ---- the server in this process ---------------------------------------- */

/* The sample users, and a failing repository for user id "fail". */
static user_repo_result fail_or_sample(const user_repo *self, const char *id,
                                       user_record *out, char *why,
                                       size_t why_len)
{
    (void)self;
    if (strcmp(id, "fail") == 0) {
        snprintf(why, why_len, "the test's repository fails on purpose");
        return USER_REPO_FAILED;
    }
    const user_repo *sample = user_repo_sample();
    return sample->get_by_id(sample, id, out, why, why_len);
}

static user_repo test_repo = {fail_or_sample, NULL};

typedef struct setup_args {
    test_server *ts;
    const test_server_opts *opts;
} setup_args;

static void setup(cg_server *srv, void *user)
{
    setup_args *a = user;
    test_server *ts = a->ts;
    const test_server_opts *o = a->opts;
    if (o->tracer != NULL)
        cg_server_add_interceptor(srv, tracing_interceptor, o->tracer);
    if (o->replica != NULL)
        cg_server_add_interceptor(srv, replica_interceptor, ts->replica);
    if (o->log)
        cg_server_add_interceptor(srv, log_interceptor, &ts->log);
    if (o->metrics)
        cg_server_add_interceptor(srv, metrics_interceptor, &ts->metrics);
    if (o->auth_tokens != NULL)
        cg_server_add_interceptor(srv, auth_interceptor, &ts->auth);
    tutorial__v1__my_service__register_server(srv, &my_service_server, NULL);
    tutorial__v1__user_service__register_server(srv, &user_service_server,
                                                &test_repo);
    tutorial__v1__notification_service__register_server(
        srv, &notification_service_server, &ts->notes);
    tutorial__v1__file_service__register_server(srv, &file_service_server,
                                                &ts->uploads);
    tutorial__v1__chat_service__register_server(srv, &chat_service_server,
                                                &ts->room);
    grpc__health__v1__health__register_server(srv, &health_server, &ts->health);
}

void test_server_start(test_server *ts, const test_server_opts *opts)
{
    memset(ts, 0, sizeof *ts);
    ts->notes.interval_ms = opts->notes_interval_ms;
    ts->log_file = tmpfile();
    if (ts->log_file == NULL)
        fail_msg("tmpfile: %s", strerror(errno));
    if (opts->replica != NULL)
        snprintf(ts->replica, sizeof ts->replica, "%s", opts->replica);
    logger_init(&ts->log, ts->log_file, opts->log_min, "test-replica");
    metrics_init(&ts->metrics);
    health_init(&ts->health);
    chat_room_init(&ts->room);
    if (opts->auth_tokens != NULL) {
        char err[256];
        if (auth_parse(&ts->auth, opts->auth_tokens, err, sizeof err) != 0)
            fail_msg("the test's AUTH_TOKENS do not parse: %s", err);
    }
    setup_args a = {ts, opts};
    ts->srv = cg_test_server_start(setup, &a, &ts->port);
    if (ts->srv == NULL)
        fail_msg("could not start a server on 127.0.0.1:0");
    snprintf(ts->target, sizeof ts->target, "127.0.0.1:%d", ts->port);
    cg_status err;
    ts->ch = cg_channel_new(ts->target, NULL, &err);
    if (ts->ch == NULL)
        fail_msg("no channel to %s: %s", ts->target, err.message);
}

void test_server_stop(test_server *ts)
{
    cg_channel_free(ts->ch);
    ts->ch = NULL;
    cg_server_free(ts->srv); /* every handler has returned after this */
    ts->srv = NULL;
    chat_room_destroy(&ts->room);
    health_destroy(&ts->health);
    metrics_destroy(&ts->metrics);
    logger_destroy(&ts->log);
    if (ts->log_file != NULL)
        fclose(ts->log_file);
    ts->log_file = NULL;
}

char *test_server_log(test_server *ts)
{
    pthread_mutex_lock(&ts->log.mu);
    fflush(ts->log_file);
    long size = ftell(ts->log_file);
    char *text = calloc(1, (size_t)(size > 0 ? size : 0) + 1);
    rewind(ts->log_file);
    size_t n = size > 0 ? fread(text, 1, (size_t)size, ts->log_file) : 0;
    text[n] = '\0';
    fseek(ts->log_file, 0, SEEK_END);
    pthread_mutex_unlock(&ts->log.mu);
    return text;
}

/* ---- the program as a child process ------------------------------------ */

/* argv: /usr/bin/env -i NAME=value ... SERVER [args...] */
static bool spawn(program *pg, const char *const env[],
                  const char *const args[], char *why, size_t why_len)
{
    memset(pg, 0, sizeof *pg);
    if (access(SERVER_PROGRAM, X_OK) != 0) {
        snprintf(why, why_len,
                 "%s is missing: build it with `make` in "
                 "steps/07-deploy",
                 SERVER_PROGRAM);
        return false;
    }
    char *argv[48];
    int n = 0;
    argv[n++] = "/usr/bin/env";
    argv[n++] = "-i";
    for (int i = 0; env != NULL && env[i] != NULL && n < 30; i++)
        argv[n++] = (char *)env[i];
    argv[n++] = SERVER_PROGRAM;
    for (int i = 0; args != NULL && args[i] != NULL && n < 46; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    if (!proc_start(&pg->p, argv)) {
        snprintf(why, why_len, "could not start %s: %s", SERVER_PROGRAM,
                 strerror(errno));
        return false;
    }
    track(pg);
    return true;
}

/* The port at the end of a "<prefix>HOST:PORT" line, or 0. */
static int port_of(const char *line, const char *prefix)
{
    size_t n = strlen(prefix);
    const char *colon = strrchr(line, ':');
    if (strncmp(line, prefix, n) != 0 || colon == NULL)
        return 0;
    return atoi(colon + 1);
}

bool program_start(program *pg, const char *const env[],
                   const char *const args[], bool want_metrics, char *why,
                   size_t why_len)
{
    if (!spawn(pg, env, args, why, why_len))
        return false;
    int64_t until = now_ms() + WAIT_MS;
    char line[512];
    while ((pg->port == 0 || (want_metrics && pg->metrics_port == 0)) &&
           proc_read_line(&pg->p, line, sizeof line,
                          (int)(until - now_ms() > 0 ? until - now_ms() : 0))) {
        if (pg->port == 0)
            pg->port = port_of(line, "listening on ");
        if (pg->metrics_port == 0)
            pg->metrics_port = port_of(line, "metrics on ");
    }
    if (pg->port > 0 && (!want_metrics || pg->metrics_port > 0)) {
        snprintf(pg->target, sizeof pg->target, "127.0.0.1:%d", pg->port);
        return true;
    }
    proc_wait(&pg->p, 200);
    snprintf(why, why_len,
             "the server program did not print \"listening on "
             "HOST:PORT\"%s within %d ms. It printed:\n%s\nand on stderr:\n%s",
             want_metrics ? " and \"metrics on HOST:PORT\"" : "", WAIT_MS,
             pg->p.out, pg->p.err);
    program_end(pg);
    return false;
}

bool program_run_to_exit(program *pg, const char *const env[],
                         const char *const args[], int timeout_ms,
                         bool *started)
{
    char why[256];
    *started = false;
    if (!spawn(pg, env, args, why, sizeof why))
        fail_msg("%s", why);
    char line[512];
    int64_t until = now_ms() + timeout_ms;
    while (proc_read_line(&pg->p, line, sizeof line,
                          (int)(until - now_ms() > 0 ? until - now_ms() : 0))) {
        if (strncmp(line, "listening on ", 13) == 0) {
            *started = true;
            program_end(pg);
            return false;
        }
    }
    int64_t left = until - now_ms();
    bool exited = proc_wait(&pg->p, (int)(left > 0 ? left : 0));
    if (exited)
        untrack(pg);
    else
        program_end(pg);
    return exited;
}

/* ---- HTTP ------------------------------------------------------------------ */

int http_request(int port, const char *request, size_t len, char *resp,
                 size_t cap, const char **body, int timeout_ms)
{
    resp[0] = '\0';
    if (body != NULL)
        *body = resp;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    size_t sent = 0;
    while (sent < len) {
        ssize_t n = send(fd, request + sent, len - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server may answer before reading it all */
        sent += (size_t)n;
    }
    size_t got = 0;
    int64_t until = now_ms() + timeout_ms;
    for (;;) {
        int64_t left = until - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t n = recv(fd, resp + got, cap - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got == cap - 1)
            break;
    }
    resp[got] = '\0';
    close(fd);
    int code = 0;
    if (sscanf(resp, "HTTP/1.%*d %d", &code) != 1)
        return 0;
    const char *end = strstr(resp, "\r\n\r\n");
    if (body != NULL)
        *body = end != NULL ? end + 4 : resp + got;
    return code;
}

int http_get_metrics(int port, char *resp, size_t cap, const char **body)
{
    static const char req[] = "GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n";
    return http_request(port, req, sizeof req - 1, resp, cap, body, WAIT_MS);
}

/* ---- Prometheus text ------------------------------------------------------- */

/* True when the label block lb ("{...}", or "" for none) has the pair
 * pair[0..len) as one whole element. */
static bool has_pair(const char *lb, size_t lb_len, const char *pair,
                     size_t len)
{
    for (size_t i = 0; i + len <= lb_len; i++) {
        if ((lb[i] == '{' || lb[i] == ',') && i + 1 + len <= lb_len &&
            strncmp(lb + i + 1, pair, len) == 0 &&
            (lb[i + 1 + len] == ',' || lb[i + 1 + len] == '}'))
            return true;
    }
    return false;
}

double prom_value(const char *text, const char *name, const char *labels)
{
    size_t name_len = strlen(name);
    for (const char *ln = text; ln != NULL && *ln != '\0';) {
        const char *eol = strchr(ln, '\n');
        size_t len = eol != NULL ? (size_t)(eol - ln) : strlen(ln);
        if (ln[0] != '#' && len > name_len &&
            strncmp(ln, name, name_len) == 0 &&
            (ln[name_len] == '{' || ln[name_len] == ' ')) {
            const char *lb = ln + name_len;
            const char *close =
                lb[0] == '{' ? memchr(lb, '}', len - name_len) : NULL;
            size_t lb_len = close != NULL ? (size_t)(close - lb) + 1 : 0;
            bool all = true;
            for (const char *p = labels; *p != '\0' && all;) {
                /* pairs end at '",' or at the end of the string */
                const char *end = strstr(p, "\",");
                size_t plen = end != NULL ? (size_t)(end - p) + 1 : strlen(p);
                all = lb_len > 0 && has_pair(lb, lb_len, p, plen);
                p += plen + (end != NULL ? 1 : 0);
            }
            if (all) {
                const char *v = lb + lb_len;
                return strtod(v, NULL);
            }
        }
        ln = eol != NULL ? eol + 1 : NULL;
    }
    return -1;
}
