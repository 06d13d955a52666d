/*
 * bench_client.c: the runtime's client under load, for `make bench-client`.
 *
 * On one channel, with the blocking API: THREADS threads calling the
 * server back to back; with the callback API (first argument "callback",
 * unary only): THREADS call chains on cg_unary_async, each call's
 * callback starting the chain's next call, on the runtime's completion
 * threads (THREADS calls in flight, as bench/cpp/client.cc's callback
 * client). The calls:
 *   unary   UnaryCall id="bench-0001", the response must be
 *           success=true, message="Processed: bench-0001"
 *   stream  ServerStream id="bench-0001" value=1000, every response must be
 *           success=true, message="Processed: bench-0001 #<i>", i = 1..1000
 * for WARMUP seconds, then SECONDS measured. A call counts when it started
 * and ended inside the measured window. Prints one line, the same for every
 * client of bench/README.md:
 *   result calls=N msgs=N errors=N mean_us=X p99_us=X cpu_s=X wall_s=X
 * cpu_s is this process's user+system time over the window (getrusage).
 * Any wrong response or non-OK status is an error (the first is described
 * on stderr); the driver fails the run on any.
 *
 * Usage: bench_client [callback] TARGET unary|stream THREADS SECONDS WARMUP
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cgrpc.h"
#include "tutorial/v1/my_service.cgrpc.h"

#define ID "bench-0001"
#define STREAM_N 1000

typedef struct {
    int64_t start, end; /* ns, CLOCK_MONOTONIC */
} span;

typedef struct {
    cg_channel *ch;
    bool stream;
    span *spans;
    size_t n, cap;
    long errors;
} worker;

static atomic_bool stop;
static atomic_flag reported = ATOMIC_FLAG_INIT;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void fail(worker *w, const char *what)
{
    w->errors++;
    if (!atomic_flag_test_and_set(&reported))
        fprintf(stderr, "bench_client: %s\n", what);
}

static bool unary_once(worker *w)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = ID;
    Tutorial__V1__Response *resp = NULL;
    cg_status st =
        tutorial__v1__my_service_client__unary_call(w->ch, &req, &resp, NULL);
    bool ok = st.code == GRPC_STATUS_OK && resp && resp->success &&
              strcmp(resp->message, "Processed: " ID) == 0;
    if (!ok)
        fail(w, st.code != GRPC_STATUS_OK ? st.message
                                          : "UnaryCall: wrong response");
    if (resp)
        tutorial__v1__response__free_unpacked(resp, NULL);
    return ok;
}

static bool stream_once(worker *w)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = ID;
    req.value = STREAM_N;
    cg_call *call =
        tutorial__v1__my_service_client__server_stream(w->ch, &req, NULL);
    const Tutorial__V1__Response *r;
    char want[64];
    int i = 0;
    bool ok = true;
    while ((r = cg_call_recv(call)) != NULL) {
        i++;
        snprintf(want, sizeof want, "Processed: " ID " #%d", i);
        if (!r->success || strcmp(r->message, want) != 0)
            ok = false;
    }
    cg_status st = cg_call_finish(call);
    if (st.code != GRPC_STATUS_OK) {
        fail(w, st.message);
        return false;
    }
    if (!ok || i != STREAM_N) {
        fail(w, "ServerStream: wrong responses");
        return false;
    }
    return true;
}

/* Appends one measured call. */
static void record(worker *w, int64_t t0)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4096;
        w->spans = realloc(w->spans, w->cap * sizeof *w->spans);
        if (!w->spans) {
            perror("realloc");
            exit(1);
        }
    }
    w->spans[w->n++] = (span){t0, now_ns()};
}

/* ---- callback API: call chains. */
static pthread_mutex_t chains_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t chains_cv = PTHREAD_COND_INITIALIZER;
static int chains_running;

static Tutorial__V1__Request chain_req = TUTORIAL__V1__REQUEST__INIT;

typedef struct {
    worker *w;
    int64_t t0;
} chain;

static void chain_next(chain *c);

static void chain_done(const cg_status *st, void *resp, void *user)
{
    chain *c = user;
    Tutorial__V1__Response *r = resp;
    if (st->code != GRPC_STATUS_OK)
        fail(c->w, st->message);
    else if (!r->success || strcmp(r->message, "Processed: " ID) != 0)
        fail(c->w, "UnaryCall: wrong response");
    else
        record(c->w, c->t0);
    if (r)
        tutorial__v1__response__free_unpacked(r, NULL);
    chain_next(c);
}

static void chain_next(chain *c)
{
    if (!atomic_load(&stop)) {
        c->t0 = now_ns();
        if (cg_unary_async(c->w->ch,
                           TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD,
                           &chain_req, NULL, chain_done, c))
            return;
        fail(c->w, "cg_unary_async refused the call");
    }
    pthread_mutex_lock(&chains_mu);
    if (--chains_running == 0)
        pthread_cond_broadcast(&chains_cv);
    pthread_mutex_unlock(&chains_mu);
}

static void *run(void *arg)
{
    worker *w = arg;
    while (!atomic_load(&stop)) {
        int64_t t0 = now_ns();
        bool ok = w->stream ? stream_once(w) : unary_once(w);
        if (ok)
            record(w, t0);
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Calls inside [t0, t1]: count, mean and p99 latency. */
static void report(worker *ws, int n, int64_t t0, int64_t t1, double cpu,
                   bool stream)
{
    size_t total = 0;
    long errors = 0;
    for (int i = 0; i < n; i++) {
        total += ws[i].n;
        errors += ws[i].errors;
    }
    int64_t *lat = malloc((total ? total : 1) * sizeof *lat);
    size_t k = 0;
    double sum = 0;
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < ws[i].n; j++)
            if (ws[i].spans[j].start >= t0 && ws[i].spans[j].end <= t1) {
                lat[k] = ws[i].spans[j].end - ws[i].spans[j].start;
                sum += (double)lat[k++];
            }
    qsort(lat, k, sizeof *lat, cmp_i64);
    double p99 =
        k ? (double)lat[k * 99 / 100 < k ? k * 99 / 100 : k - 1] / 1e3 : 0;
    printf("result calls=%zu msgs=%zu errors=%ld mean_us=%.1f p99_us=%.1f "
           "cpu_s=%.4f "
           "wall_s=%.4f\n",
           k, k * (stream ? STREAM_N : 1), errors,
           k ? sum / (double)k / 1e3 : 0, p99, cpu, (double)(t1 - t0) / 1e9);
    free(lat);
}

/* Starts the work: threads, or call chains; returns the threads started. */
static int start(worker *ws, int n, bool callback, pthread_t *tids)
{
    if (callback) {
        chain_req.id = ID;
        chain *chains = calloc((size_t)n, sizeof *chains);
        chains_running = n;
        for (int i = 0; i < n; i++) {
            chains[i].w = &ws[i];
            chain_next(&chains[i]);
        }
        return 0; /* chains freed at exit */
    }
    for (int i = 0; i < n; i++)
        pthread_create(&tids[i], NULL, run, &ws[i]);
    return n;
}

int main(int argc, char **argv)
{
    bool callback = argc == 7 && strcmp(argv[1], "callback") == 0;
    if (callback) {
        argv++;
        argc--;
    }
    if (argc != 6 ||
        (strcmp(argv[2], "unary") != 0 && strcmp(argv[2], "stream") != 0) ||
        (callback && strcmp(argv[2], "unary") != 0)) {
        fprintf(stderr,
                "usage: bench_client [callback] TARGET unary|stream THREADS "
                "SECONDS WARMUP (callback: unary only)\n");
        return 2;
    }
    int n = atoi(argv[3]);
    double seconds = atof(argv[4]), warmup = atof(argv[5]);
    if (n < 1 || seconds <= 0 || warmup < 0) {
        fprintf(stderr,
                "bench_client: THREADS >= 1, SECONDS > 0, WARMUP >= 0\n");
        return 2;
    }
    cg_status err;
    cg_channel *ch = cg_channel_new(argv[1], NULL, &err);
    if (!ch || !cg_channel_wait_ready(ch, 10000)) {
        fprintf(stderr, "bench_client: cannot connect to %s\n", argv[1]);
        cg_channel_free(ch);
        return 1;
    }
    worker *ws = calloc((size_t)n, sizeof *ws);
    pthread_t *tids = calloc((size_t)n, sizeof *tids);
    for (int i = 0; i < n; i++) {
        ws[i].ch = ch;
        ws[i].stream = strcmp(argv[2], "stream") == 0;
    }
    int started = start(ws, n, callback, tids);
    sleep_s(warmup);
    int64_t t0 = now_ns();
    double c0 = cpu_now();
    sleep_s(seconds);
    int64_t t1 = now_ns();
    double c1 = cpu_now();
    atomic_store(&stop, true);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    pthread_mutex_lock(&chains_mu);
    while (chains_running > 0)
        pthread_cond_wait(&chains_cv, &chains_mu);
    pthread_mutex_unlock(&chains_mu);
    report(ws, n, t0, t1, c1 - c0, ws[0].stream);
    for (int i = 0; i < n; i++)
        free(ws[i].spans);
    free(ws);
    free(tids);
    cg_channel_free(ch);
    return 0;
}
