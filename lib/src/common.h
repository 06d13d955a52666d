/*
 * common.h: small helpers every part of the runtime shares.
 *
 * Allocation that cannot fail (the runtime has no way to report "out of
 * memory" to a peer, so it aborts with a message, like xmalloc in git or
 * redis's zmalloc), clock conversions between gRPC's gpr_timespec and plain
 * milliseconds, the tag every completion-queue event carries, threads that
 * never take the application's signals, and channel arguments.
 *
 * Nothing here is exported: internal names start with cgi_.
 */
#ifndef CGRPC_COMMON_H
#define CGRPC_COMMON_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <grpc/grpc.h>
#include <grpc/support/alloc.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>

/* Allocation that aborts the process on exhaustion. */
void *cgi_malloc(size_t size);
void *cgi_calloc(size_t n, size_t size);
void *cgi_realloc(void *p, size_t size);
char *cgi_strdup(const char *s);
_Noreturn void cgi_die(const char *what);

/* Tells the programmer about a mistake the runtime refused (bad options, a
 * service it cannot register), on stderr as "cgrpc: <message>". For
 * functions whose contract has no other way to say why they failed. */
void cgi_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic milliseconds and microseconds (for durations). */
int64_t cgi_now_ms(void);
int64_t cgi_now_us(void);
/* A CLOCK_MONOTONIC time in ms (as cgi_now_ms gives) as the timespec of
 * pthread_cond_timedwait on a condition variable set to that clock. */
struct timespec cgi_mono_timespec(int64_t at_ms);

/* A monotonic deadline `ms` from now; ms <= 0 means "no deadline". */
gpr_timespec cgi_deadline_after(int64_t ms);

/* Milliseconds from now until `deadline` (any clock): 0 once passed,
 * INT64_MAX for an infinite deadline. */
int64_t cgi_ms_until(gpr_timespec deadline);

/* Every tag handed to a completion queue is a pointer to one of these. The
 * thread that takes the event off the queue calls fn with the event's
 * success flag; the object that embeds the tag gets it back with
 * cgi_container_of. One type of event, one way to dispatch it.
 *
 * The event usually arrives on another thread than the one that started the
 * operation. The core orders the two, but inside a library ThreadSanitizer
 * cannot see; so the starter publishes the tag (a release store of fn) just
 * before handing it over, and the poller reads fn with an acquire load.
 * Everything written before cgi_tag_publish is then visible, to the
 * hardware and to TSan alike, to the code the event runs. */
typedef struct cgi_tag cgi_tag;
typedef void (*cgi_tag_fn)(cgi_tag *tag, bool ok);
struct cgi_tag {
    _Atomic(cgi_tag_fn) fn;
};

static inline void cgi_tag_init(cgi_tag *t, cgi_tag_fn fn)
{
    atomic_init(&t->fn, fn);
}

static inline cgi_tag *cgi_tag_publish(cgi_tag *t)
{
    cgi_tag_fn fn = atomic_load_explicit(&t->fn, memory_order_relaxed);
    atomic_store_explicit(&t->fn, fn, memory_order_release);
    return t;
}

static inline void cgi_tag_run(cgi_tag *t, bool ok)
{
    cgi_tag_fn fn = atomic_load_explicit(&t->fn, memory_order_acquire);
    fn(t, ok);
}

#define cgi_container_of(ptr, type, member)                                    \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Threads and signals. The core and the runtime start threads, and a new
 * thread takes the signal mask of the thread that starts it. Blocking
 * every signal around such a start (block_all, then restore with what it
 * saved in *old) leaves SIGINT and SIGTERM to the application's threads. */
void cgi_signals_block_all(sigset_t *old);
void cgi_signals_restore(const sigset_t *old);

/* Starts a thread with every signal blocked (see above). */
int cgi_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* Names the calling thread (Linux; 15 characters at most), so that top -H,
 * gdb and /proc tell the runtime's threads from the core's. */
void cgi_thread_name(const char *name);

/* Initialises a condition variable whose timed waits take CLOCK_MONOTONIC
 * times (cgi_mono_timespec). */
void cgi_cond_init_mono(pthread_cond_t *cv);

/* Channel arguments for grpc_server_create and grpc_channel_create:
 * appends one to args[*n] (the caller sizes args). Keys and string values
 * are not copied: they must outlive the create call. */
void cgi_arg_int(grpc_arg *args, size_t *n, const char *key, int value);
void cgi_arg_str(grpc_arg *args, size_t *n, const char *key, const char *value);

/* v clamped to 0..INT32_MAX, for an integer channel argument. */
int cgi_clamp_int(int64_t v);

/* Adds one reference to the gRPC library (grpc_init) and drops it. The core
 * counts these itself; the pair exists so every object says what it holds. */
void cgi_grpc_ref(void);
void cgi_grpc_unref(void);

#endif
