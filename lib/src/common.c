/*
 * common.c: allocation, clocks, threads, channel arguments and library
 * references (see common.h).
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include "common.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/grpc.h>

_Noreturn void cgi_die(const char *what)
{
    fprintf(stderr, "cgrpc: fatal: %s\n", what);
    abort();
}

void cgi_warn(const char *fmt, ...)
{
    /* One fprintf for the whole line, so that lines from several threads
     * do not interleave. */
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "cgrpc: %s\n", line);
}

void *cgi_malloc(size_t size)
{
    /* malloc(0) may return NULL legitimately; ask for one byte instead so
     * that NULL always means exhaustion. */
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        cgi_die("out of memory");
    return p;
}

void *cgi_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        cgi_die("out of memory");
    return p;
}

void *cgi_realloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (q == NULL)
        cgi_die("out of memory");
    return q;
}

char *cgi_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(cgi_malloc(n), s, n);
}

void cgi_signals_block_all(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, old);
}

void cgi_signals_restore(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

int cgi_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t old;
    cgi_signals_block_all(&old);
    int rc = pthread_create(t, NULL, fn, arg);
    cgi_signals_restore(&old);
    return rc;
}

void cgi_thread_name(const char *name)
{
#ifdef __linux__
    pthread_setname_np(pthread_self(), name);
#else
    (void)name;
#endif
}

void cgi_cond_init_mono(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
}

void cgi_arg_int(grpc_arg *args, size_t *n, const char *key, int value)
{
    grpc_arg *a = &args[(*n)++];
    memset(a, 0, sizeof *a);
    a->type = GRPC_ARG_INTEGER;
    a->key = (char *)key;
    a->value.integer = value;
}

void cgi_arg_str(grpc_arg *args, size_t *n, const char *key, const char *value)
{
    grpc_arg *a = &args[(*n)++];
    memset(a, 0, sizeof *a);
    a->type = GRPC_ARG_STRING;
    a->key = (char *)key;
    a->value.string = (char *)value;
}

int cgi_clamp_int(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < 0 ? 0 : (int)v;
}

int64_t cgi_now_ms(void)
{
    return cgi_now_us() / 1000;
}

struct timespec cgi_mono_timespec(int64_t at_ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(at_ms / 1000);
    ts.tv_nsec = (long)(at_ms % 1000) * 1000000L;
    return ts;
}

int64_t cgi_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

gpr_timespec cgi_deadline_after(int64_t ms)
{
    if (ms <= 0)
        return gpr_inf_future(GPR_CLOCK_MONOTONIC);
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                        gpr_time_from_millis(ms, GPR_TIMESPAN));
}

int64_t cgi_ms_until(gpr_timespec deadline)
{
    gpr_timespec inf = gpr_inf_future(deadline.clock_type);
    if (gpr_time_cmp(deadline, inf) == 0)
        return INT64_MAX;
    gpr_timespec mono = gpr_convert_clock_type(deadline, GPR_CLOCK_MONOTONIC);
    gpr_timespec left = gpr_time_sub(mono, gpr_now(GPR_CLOCK_MONOTONIC));
    int64_t ms = gpr_time_to_millis(left);
    return ms > 0 ? ms : 0;
}

/* Debian builds abseil without NDEBUG, which leaves absl::Mutex's
 * deadlock detection on: every lock gRPC core takes records an edge in a
 * global lock graph (a few percent of a server's CPU under unary load,
 * measured with perf for make bench). Turn it off, as release builds do.
 * It is a C++ function, so it is looked up by its mangled name in the
 * abseil that libgrpc loaded; an abseil without it is left as it is.
 * CGRPC_ABSL_DEADLOCK_CHECK=1 in the environment keeps the check on. */
static void quiet_absl_mutex_debugging(void)
{
    static const char *const names[] = {
        "_ZN4absl7debian329SetMutexDeadlockDetectionModeENS0_"
        "15OnDeadlockCycleE",
        "_ZN4absl12lts_2022062329SetMutexDeadlockDetectionModeENS0_"
        "15OnDeadlockCycleE",
        "_ZN4absl29SetMutexDeadlockDetectionModeENS_15OnDeadlockCycleE",
    };
    const char *keep = getenv("CGRPC_ABSL_DEADLOCK_CHECK");
    if (keep != NULL && strcmp(keep, "1") == 0)
        return;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *sym = dlsym(RTLD_DEFAULT, names[i]);
        if (sym != NULL) {
            void (*set_mode)(int);
            memcpy(&set_mode, &sym, sizeof set_mode);
            set_mode(0); /* absl::OnDeadlockCycle::kIgnore */
            return;
        }
    }
}

static pthread_once_t absl_once = PTHREAD_ONCE_INIT;

void cgi_grpc_ref(void)
{
    pthread_once(&absl_once, quiet_absl_mutex_debugging);
    grpc_init();
}

void cgi_grpc_unref(void)
{
    grpc_shutdown();
}
