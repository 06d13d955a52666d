/*
 * testutil.c: the helpers the C test suites share (see testutil.h).
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <grpc/grpc.h>

/* ---- time and waits ------------------------------------------------------ */

int64_t tu_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct timespec tu_after_ms(int64_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

void tu_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
}

bool tu_wait_field(pthread_mutex_t *mu, pthread_cond_t *cv, const int *field,
                   int value, int timeout_ms)
{
    struct timespec until = tu_after_ms(timeout_ms);
    pthread_mutex_lock(mu);
    int rc = 0;
    while (*field < value && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(cv, mu, &until);
    bool ok = *field >= value;
    pthread_mutex_unlock(mu);
    return ok;
}

static void nap_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

bool tu_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms)
{
    int64_t until = tu_now_ms() + timeout_ms;
    while (!cond(arg)) {
        if (tu_now_ms() >= until)
            return cond(arg);
        nap_ms(2);
    }
    return true;
}

cg_call_opts tu_call_opts(int64_t timeout_ms)
{
    cg_call_opts o;
    memset(&o, 0, sizeof o);
    o.timeout_ms = timeout_ms;
    return o;
}

/* ---- a call started with cg_unary_async ---------------------------------- */

void tu_async_init(tu_async *a)
{
    memset(a, 0, sizeof *a);
    pthread_mutex_init(&a->mu, NULL);
    tu_cond_init(&a->cv);
}

void tu_async_done(const cg_status *st, void *resp, void *user)
{
    tu_async *a = user;
    if (resp != NULL)
        protobuf_c_message_free_unpacked(resp, NULL);
    pthread_mutex_lock(&a->mu);
    a->st = *st;
    a->had_resp = resp != NULL;
    a->runs++;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

bool tu_async_wait(tu_async *a, int runs, int timeout_ms, cg_status *st)
{
    bool ok = tu_wait_field(&a->mu, &a->cv, &a->runs, runs, timeout_ms);
    if (st != NULL) {
        pthread_mutex_lock(&a->mu);
        *st = a->st;
        pthread_mutex_unlock(&a->mu);
    }
    return ok;
}

void tu_async_destroy(tu_async *a)
{
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
}

/* ---- gRPC for a whole suite ---------------------------------------------- */

int tu_grpc_group_setup(void **state)
{
    (void)state;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    grpc_init();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}

int tu_grpc_group_teardown(void **state)
{
    (void)state;
    grpc_shutdown();
    tu_wait_threads_gone(15000); /* usually at once; valgrind can be slow */
    return 0;
}

/* ---- readings from /proc -------------------------------------------------- */

int tu_thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return 1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Threads that stay to the end: main, and in a ThreadSanitizer build its
 * background thread (started with the program's first thread). */
#if defined(__SANITIZE_THREAD__)
enum { KEEPS_THREADS = 2 };
#else
enum { KEEPS_THREADS = 1 };
#endif

void tu_wait_threads_gone(int timeout_ms)
{
    for (int waited = 0;
         waited < timeout_ms && tu_thread_count() > KEEPS_THREADS; waited += 10)
        nap_ms(10);
}

long tu_rss_kib(pid_t pid)
{
    char path[64], line[256];
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/status");
    else
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    long kib = -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* ---- what the handlers of a server did ------------------------------------ */

void tu_recorder_init(tu_recorder *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    tu_cond_init(&r->cv);
}

void tu_recorder_destroy(tu_recorder *r)
{
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

/* The slot of path p, with r->mu held. */
static tu_method_calls *slot(tu_recorder *r, const char *p)
{
    size_t n = sizeof r->calls / sizeof r->calls[0];
    for (size_t i = 0; i < n; i++) {
        if (r->calls[i].path == NULL)
            r->calls[i].path = p;
        if (strcmp(r->calls[i].path, p) == 0)
            return &r->calls[i];
    }
    return &r->calls[n - 1]; /* more methods than slots: never here */
}

cg_status tu_record_calls(cg_ctx *ctx, cg_next *next, void *recorder)
{
    tu_recorder *r = recorder;
    const char *path = cg_ctx_method(ctx)->path;
    bool over = cg_ctx_cancelled(ctx) || cg_ctx_time_left_ms(ctx) == 0;
    const char *peer = cg_ctx_peer(ctx);
    pthread_mutex_lock(&r->mu);
    tu_method_calls *c = slot(r, path);
    c->started++;
    c->cancelled_at_entry += over;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);

    cg_status st = cg_proceed(ctx, next);

    pthread_mutex_lock(&r->mu);
    c = slot(r, path);
    c->returned++;
    c->last = st;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return st;
}

tu_method_calls tu_recorder_get(tu_recorder *r, const cg_method *m)
{
    pthread_mutex_lock(&r->mu);
    tu_method_calls c = *slot(r, m->path);
    pthread_mutex_unlock(&r->mu);
    return c;
}

static int count_of(const tu_method_calls *c, tu_count what)
{
    return what == TU_STARTED ? c->started : c->returned;
}

bool tu_recorder_wait(tu_recorder *r, const cg_method *m, tu_count what, int n,
                      int timeout_ms, cg_status *last)
{
    struct timespec until = tu_after_ms(timeout_ms);
    pthread_mutex_lock(&r->mu);
    int rc = 0;
    while (count_of(slot(r, m->path), what) < n && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&r->cv, &r->mu, &until);
    tu_method_calls *c = slot(r, m->path);
    bool ok = count_of(c, what) >= n;
    if (last != NULL)
        *last = c->last;
    pthread_mutex_unlock(&r->mu);
    return ok;
}

void tu_save_program_stderr(const char *dir, const char *program, int pid,
                            const char *text, size_t len)
{
    if (len == 0 || dir == NULL)
        return;
    char folder[4096], path[4200];
    snprintf(folder, sizeof folder, "%s/programs", dir);
    mkdir(folder, 0755); /* EEXIST is fine; fopen says if it is not */
    const char *name = strrchr(program, '/');
    name = name ? name + 1 : program;
    snprintf(path, sizeof path, "%s/%s-%d.stderr", folder, name, pid);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return;
    fwrite(text, 1, len, f);
    fclose(f);
    printf("[ PROGRAM  ] %s stderr: %s\n", name, path);
    fflush(stdout);
}
