/*
 * soak.c: a long, bounded, mixed load against the step-04 server program,
 * watching the server's memory.
 *
 *   soak --server PATH [--calls N] [--threads T] [--wrap "CMD ARGS"]
 *
 * Starts PATH --listen 127.0.0.1:0 (after the words of --wrap, e.g. a
 * valgrind command line), waits for its "listening on" line, then T client
 * threads on two channels make N calls between them, of every kind, each
 * checked (status and content):
 *
 *   55%  MyService.UnaryCall        one in ten with an empty id:
 *                                   INVALID_ARGUMENT
 *   15%  MyService.ServerStream     10 responses; one in five cancelled
 *                                   after 3 (CANCELLED)
 *   10%  MyService.ClientStream     10 requests
 *   10%  MyService.BidirectionalStream  5 round trips
 *    5%  UserService.GetUser        "1" (Alice) or an unknown id (NOT_FOUND)
 *    5%  FileService.UploadFile     3 chunks of 1 KiB, id and size checked
 *   and one call in a thousand is StreamNotifications with a 50 ms deadline
 *   (the server pauses 1 s between notifications): DEADLINE_EXCEEDED.
 *
 * Once a second it samples the server's resident memory (VmRSS). At the end
 * it prints the samples as a table and a verdict:
 *
 *   warm-up   the samples taken before 20% of the calls were done;
 *   baseline  the first sample after warm-up;
 *   growth    the mean of the last third of the samples after warm-up,
 *             minus the baseline;
 *   PASS      every call answered as expected, the server exited 0 on
 *             SIGTERM, and growth <= max(5% of baseline, 2 MiB). With fewer
 *             than 6 samples after warm-up (a short run), or a server run
 *             under --wrap (valgrind's memory is not the server's), memory
 *             gets no verdict: valgrind's leak check is the verdict then
 *             (make soak-short).
 *
 * Exit status 0 on PASS, 1 on FAIL, 2 for a bad command line.
 */
#define _GNU_SOURCE /* strtok_r */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cgrpc.h>

#include "proc.h"
#include "testutil.h"
#include "tutorial/v1/file_service.cgrpc.h"
#include "tutorial/v1/my_service.cgrpc.h"
#include "tutorial/v1/notification_service.cgrpc.h"
#include "tutorial/v1/user_service.cgrpc.h"

#define CALL_MS 30000 /* every call's deadline: generous, valgrind is slow */
#define MAX_SAMPLES 100000

enum kind { UNARY, SSTREAM, CSTREAM, BIDI, GETUSER, UPLOAD, NOTIFY, KINDS };
static const char *kind_names[KINDS] = {
    "unary",    "server stream", "client stream",    "bidi",
    "get user", "upload",        "notify (deadline)"};

typedef struct sample {
    double t;     /* seconds since the load began */
    long calls;   /* calls completed by then */
    long rss_kib; /* the server's VmRSS */
} sample;

static struct {
    long total;
    int threads;
    cg_channel *ch[2];
    proc server_proc; /* the sampler drains its output */
    pid_t server;
    atomic_long next, done, bad;
    atomic_long per_kind[KINDS];
    pthread_mutex_t mu; /* guards first_error and the samples */
    char first_error[512];
    sample *samples;
    size_t n_samples;
    atomic_bool stop_sampling;
    int64_t t0;
} S;

/* Records a wrong answer; the first one is kept for the report. */
static void wrong(long i, const char *what, cg_status st)
{
    atomic_fetch_add(&S.bad, 1);
    pthread_mutex_lock(&S.mu);
    if (S.first_error[0] == '\0')
        snprintf(S.first_error, sizeof S.first_error, "call %ld (%s): %s (%s)",
                 i, what, cg_status_name(st.code), st.message);
    pthread_mutex_unlock(&S.mu);
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* ---- one call of each kind; true when the answer is right ---------------- */

static bool do_unary(cg_channel *ch, long i, cg_status *st)
{
    char id[32] = "";
    bool empty = (i / 20) % 10 == 0;
    if (!empty)
        snprintf(id, sizeof id, "soak-%ld", i);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = id;
    Tutorial__V1__Response *resp = NULL;
    cg_call_opts o = {.timeout_ms = CALL_MS};
    *st = tutorial__v1__my_service_client__unary_call(ch, &req, &resp, &o);
    char want[48];
    snprintf(want, sizeof want, "Processed: %s", id);
    bool ok = empty ? st->code == GRPC_STATUS_INVALID_ARGUMENT &&
                          strcmp(st->message, "id is required") == 0
                    : st->code == GRPC_STATUS_OK && resp != NULL &&
                          strcmp(resp->message, want) == 0;
    if (resp != NULL)
        tutorial__v1__response__free_unpacked(resp, NULL);
    return ok;
}

static bool do_server_stream(cg_channel *ch, long i, cg_status *st)
{
    bool cancel = (i / 20) % 5 == 0;
    char id[32];
    snprintf(id, sizeof id, "ss-%ld", i);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = id;
    req.value = 10;
    cg_call_opts o = {.timeout_ms = CALL_MS};
    cg_call *c = tutorial__v1__my_service_client__server_stream(ch, &req, &o);
    int got = 0;
    bool right = true;
    const Tutorial__V1__Response *r;
    while ((!cancel || got < 3) && (r = cg_call_recv(c)) != NULL) {
        char want[64];
        snprintf(want, sizeof want, "Processed: %s #%d", id, ++got);
        right = right && strcmp(r->message, want) == 0;
    }
    if (cancel)
        cg_call_cancel(c);
    *st = cg_call_finish(c);
    if (cancel)
        return right && got == 3 && st->code == GRPC_STATUS_CANCELLED;
    return right && got == 10 && st->code == GRPC_STATUS_OK;
}

static bool do_client_stream(cg_channel *ch, long i, cg_status *st)
{
    (void)i;
    cg_call_opts o = {.timeout_ms = CALL_MS};
    cg_call *c = tutorial__v1__my_service_client__client_stream(ch, &o);
    for (int v = 1; v <= 10; v++) {
        Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
        req.id = "cs";
        req.value = v;
        cg_call_send(c, &req);
    }
    cg_call_close_send(c);
    const Tutorial__V1__Response *r = cg_call_recv(c);
    bool right =
        r != NULL &&
        strcmp(r->message, "Processed 10 requests, total value 55") == 0;
    *st = cg_call_finish(c);
    return right && st->code == GRPC_STATUS_OK;
}

static bool do_bidi(cg_channel *ch, long i, cg_status *st)
{
    cg_call_opts o = {.timeout_ms = CALL_MS};
    cg_call *c = tutorial__v1__my_service_client__bidirectional_stream(ch, &o);
    bool right = true;
    for (int k = 0; k < 5 && right; k++) {
        char id[40], want[56];
        snprintf(id, sizeof id, "bd-%ld-%d", i, k);
        snprintf(want, sizeof want, "Processed: %s", id);
        Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
        req.id = id;
        const Tutorial__V1__Response *r = NULL;
        right = cg_call_send(c, &req) && (r = cg_call_recv(c)) != NULL &&
                strcmp(r->message, want) == 0;
    }
    cg_call_close_send(c);
    right = right && cg_call_recv(c) == NULL;
    *st = cg_call_finish(c);
    return right && st->code == GRPC_STATUS_OK;
}

static bool do_get_user(cg_channel *ch, long i, cg_status *st)
{
    bool known = (i / 20) % 2 == 0;
    Tutorial__V1__GetUserRequest req = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    req.user_id = known ? "1" : "404";
    Tutorial__V1__User *u = NULL;
    cg_call_opts o = {.timeout_ms = CALL_MS};
    *st = tutorial__v1__user_service_client__get_user(ch, &req, &u, &o);
    bool right = known ? st->code == GRPC_STATUS_OK && u != NULL &&
                             strcmp(u->name, "Alice") == 0
                       : st->code == GRPC_STATUS_NOT_FOUND;
    if (u != NULL)
        tutorial__v1__user__free_unpacked(u, NULL);
    return right;
}

static bool do_upload(cg_channel *ch, long i, cg_status *st)
{
    uint8_t data[3 * 1024];
    for (size_t k = 0; k < sizeof data; k++)
        data[k] = (uint8_t)(i * 31 + (long)k);
    cg_call_opts o = {.timeout_ms = CALL_MS};
    cg_call *c = tutorial__v1__file_service_client__upload_file(ch, &o);
    for (int k = 0; k < 3; k++) {
        Tutorial__V1__FileChunk chunk = TUTORIAL__V1__FILE_CHUNK__INIT;
        chunk.filename = k == 0 ? "soak.bin" : "";
        chunk.data.data = data + k * 1024;
        chunk.data.len = 1024;
        cg_call_send(c, &chunk);
    }
    cg_call_close_send(c);
    const Tutorial__V1__UploadResponse *r = cg_call_recv(c);
    char want[24];
    snprintf(want, sizeof want, "%016" PRIx64, fnv1a64(data, sizeof data));
    bool right = r != NULL && r->success && r->size == (int64_t)sizeof data &&
                 strcmp(r->file_id, want) == 0;
    *st = cg_call_finish(c);
    return right && st->code == GRPC_STATUS_OK;
}

static bool do_notify(cg_channel *ch, long i, cg_status *st)
{
    (void)i;
    Tutorial__V1__StreamRequest req = TUTORIAL__V1__STREAM_REQUEST__INIT;
    req.user_id = "soak";
    req.max_count = 2;
    cg_call_opts o = {.timeout_ms = 50};
    cg_call *c =
        tutorial__v1__notification_service_client__stream_notifications(
            ch, &req, &o);
    while (cg_call_recv(c) != NULL)
        ;
    *st = cg_call_finish(c);
    return st->code == GRPC_STATUS_DEADLINE_EXCEEDED;
}

static enum kind kind_of(long i)
{
    if (i % 1000 == 999)
        return NOTIFY;
    int r = (int)(i % 20);
    return r <= 10   ? UNARY
           : r <= 13 ? SSTREAM
           : r <= 15 ? CSTREAM
           : r <= 17 ? BIDI
           : r == 18 ? GETUSER
                     : UPLOAD;
}

static void *client_thread(void *arg)
{
    cg_channel *ch = arg;
    bool (*const call[KINDS])(cg_channel *, long, cg_status *) = {
        do_unary,    do_server_stream, do_client_stream, do_bidi,
        do_get_user, do_upload,        do_notify};
    for (;;) {
        long i = atomic_fetch_add(&S.next, 1);
        if (i >= S.total)
            break;
        enum kind k = kind_of(i);
        cg_status st = cg_ok();
        if (!call[k](ch, i, &st))
            wrong(i, kind_names[k], st);
        atomic_fetch_add(&S.per_kind[k], 1);
        atomic_fetch_add(&S.done, 1);
    }
    return NULL;
}

static void take_sample(void)
{
    sample s = {(tu_now_ms() - S.t0) / 1000.0, atomic_load(&S.done),
                tu_rss_kib(S.server)};
    pthread_mutex_lock(&S.mu);
    if (S.n_samples < MAX_SAMPLES)
        S.samples[S.n_samples++] = s;
    pthread_mutex_unlock(&S.mu);
}

static void *sampler(void *arg)
{
    (void)arg;
    int64_t next = S.t0;
    while (!atomic_load(&S.stop_sampling)) {
        take_sample();
        /* Read what the server printed meanwhile, so a chatty server never
         * blocks on a full pipe. */
        char line[256];
        while (proc_read_line(&S.server_proc, line, sizeof line, 1))
            ;
        next += 1000;
        /* Sleep until the next whole second, waking early to stop. */
        while (!atomic_load(&S.stop_sampling) && tu_now_ms() < next) {
            struct timespec t = {0, 20 * 1000 * 1000L};
            nanosleep(&t, NULL);
        }
    }
    return NULL;
}

/* ---- the report ------------------------------------------------------ */

static bool report(int exit_code, double secs, const char *wrap)
{
    long bad = atomic_load(&S.bad);
    printf("\nsoak: %ld calls in %.1f s (%.0f calls/s), %d client threads\n",
           S.total, secs, S.total / (secs > 0 ? secs : 1), S.threads);
    for (int k = 0; k < KINDS; k++)
        printf("  %-18s %8ld\n", kind_names[k], atomic_load(&S.per_kind[k]));
    printf("  wrong answers      %8ld%s%s\n", bad, bad ? ", first: " : "",
           bad ? S.first_error : "");
    printf("  server exit code   %8d (after SIGTERM)\n", exit_code);

    /* The table: at most ~30 rows, the last sample always shown. */
    size_t n = S.n_samples, step = n > 30 ? (n + 29) / 30 : 1;
    printf("\n  %8s %10s %10s\n", "time s", "calls", "RSS MiB");
    for (size_t i = 0; i < n; i++)
        if (i % step == 0 || i == n - 1)
            printf("  %8.1f %10ld %10.1f\n", S.samples[i].t, S.samples[i].calls,
                   S.samples[i].rss_kib / 1024.0);

    /* The verdict on memory. */
    size_t first = n;
    for (size_t i = 0; i < n; i++)
        if (S.samples[i].calls >= S.total / 5) {
            first = i;
            break;
        }
    size_t after = first < n ? n - first : 0;
    bool memory_ok = true;
    if (wrap[0] != '\0') {
        printf("\n  memory: not judged: the server runs under \"%.40s...\", "
               "whose own memory these figures include\n",
               wrap);
    } else if (after < 6) {
        printf("\n  memory: %zu samples after warm-up, too few for a verdict "
               "(see the valgrind result)\n",
               after);
    } else {
        double base = S.samples[first].rss_kib / 1024.0, sum = 0;
        size_t from = n - after / 3, m = n - from;
        for (size_t i = from; i < n; i++)
            sum += S.samples[i].rss_kib / 1024.0;
        double tail = sum / (double)m, growth = tail - base;
        double allowed = base * 0.05 > 2.0 ? base * 0.05 : 2.0;
        memory_ok = growth <= allowed;
        printf("\n  memory: baseline %.1f MiB (first sample after warm-up, "
               "t=%.0f s); mean of the last %zu samples %.1f MiB; growth "
               "%+.2f MiB, allowed %.2f MiB\n",
               base, S.samples[first].t, m, tail, growth, allowed);
    }
    bool pass = bad == 0 && exit_code == 0 && memory_ok;
    printf("\nverdict: %s%s%s%s\n", pass ? "PASS" : "FAIL",
           bad ? " (wrong answers)" : "",
           exit_code ? " (server exit code)" : "",
           memory_ok ? "" : " (memory grew after warm-up)");
    return pass;
}

/* The path of program `name`: itself when it holds a '/', else the first
 * match on $PATH (execv does not search). Into buf. */
static const char *find_program(const char *name, char *buf, size_t cap)
{
    if (strchr(name, '/') != NULL)
        return name;
    const char *path = getenv("PATH");
    for (const char *dir = path; dir != NULL && *dir != '\0';) {
        const char *end = strchr(dir, ':');
        size_t len = end ? (size_t)(end - dir) : strlen(dir);
        snprintf(buf, cap, "%.*s/%s", (int)len, dir, name);
        if (access(buf, X_OK) == 0)
            return buf;
        dir = end ? end + 1 : NULL;
    }
    return name;
}

static int usage(void)
{
    fprintf(stderr, "usage: soak --server PATH [--calls N] [--threads T] "
                    "[--wrap \"CMD ARGS\"]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *server = NULL, *wrap = "";
    S.total = 200000;
    S.threads = 4;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--server") == 0)
            server = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--calls") == 0)
            S.total = atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--threads") == 0)
            S.threads = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--wrap") == 0)
            wrap = argv[++i];
        else
            return usage();
    }
    if (server == NULL || S.total <= 0 || S.threads <= 0 || S.threads > 64)
        return usage();
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* The server's command line: the wrapper's words, then the program. */
    char *words = strdup(wrap), *save = NULL;
    char *args[64];
    int na = 0;
    for (char *w = strtok_r(words, " ", &save); w != NULL && na < 56;
         w = strtok_r(NULL, " ", &save))
        args[na++] = w;
    args[na++] = (char *)server;
    char exe[512];
    args[0] = (char *)find_program(args[0], exe, sizeof exe);
    args[na++] = "--listen";
    args[na++] = "127.0.0.1:0";
    args[na] = NULL;
    proc *p = &S.server_proc;
    bool started = proc_start(p, args);
    free(words); /* args[] points into it: done with it once started */
    if (!started) {
        fprintf(stderr, "soak: cannot start %s\n", server);
        return 1;
    }
    char line[256];
    int port = 0;
    while (port == 0 && proc_read_line(p, line, sizeof line, 120000)) {
        const char *colon = strrchr(line, ':');
        if (strncmp(line, "listening on ", 13) == 0 && colon != NULL)
            port = atoi(colon + 1);
    }
    if (port <= 0) {
        fprintf(stderr, "soak: no \"listening on\" line from %s:\n%s\n%s\n",
                server, p->out, p->err);
        proc_end(p);
        return 1;
    }
    S.server = p->pid;
    printf("soak: server pid %d on 127.0.0.1:%d; %ld calls, %d threads\n",
           (int)p->pid, port, S.total, S.threads);

    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    for (int i = 0; i < 2; i++)
        S.ch[i] = cg_channel_new(target, NULL, NULL);
    pthread_mutex_init(&S.mu, NULL);
    S.samples = calloc(MAX_SAMPLES, sizeof *S.samples);
    S.t0 = tu_now_ms();
    pthread_t smp, *t = calloc((size_t)S.threads, sizeof *t);
    pthread_create(&smp, NULL, sampler, NULL);
    for (int i = 0; i < S.threads; i++)
        pthread_create(&t[i], NULL, client_thread, S.ch[i % 2]);
    for (int i = 0; i < S.threads; i++)
        pthread_join(t[i], NULL);
    double secs = (tu_now_ms() - S.t0) / 1000.0;
    take_sample();
    atomic_store(&S.stop_sampling, true);
    pthread_join(smp, NULL);

    for (int i = 0; i < 2; i++)
        cg_channel_free(S.ch[i]);
    proc_signal(p, SIGTERM);
    bool ended = proc_wait(p, 120000);
    int code = ended ? proc_exit_code(p) : -1;
    if (!ended)
        fprintf(stderr, "soak: the server did not exit within 120 s of "
                        "SIGTERM\n");
    if (p->err_len > 0)
        fprintf(stderr, "soak: the server said on stderr:\n%s\n", p->err);
    proc_end(p);

    bool pass = report(code, secs, wrap);
    free(t);
    free(S.samples);
    pthread_mutex_destroy(&S.mu);
    /* gRPC's last threads finish after the last channel is freed: let
     * them, so a leak check at exit finds nothing in flight. */
    tu_wait_threads_gone(5000);
    return pass ? 0 : 1;
}
