/*
 * ft_util.c: the fault suites' in-process server, child server program,
 * memory readings and waits (see ft_util.h).
 */
#include "ft_util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/grpc.h>
#include <grpc/support/alloc.h>

#include "server.h" /* lib/src: the count of live call records */

int64_t ft_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static struct timespec after_ms(int ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

bool ft_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms)
{
    int64_t until = ft_now_ms() + timeout_ms;
    while (!cond(arg)) {
        if (ft_now_ms() >= until)
            return cond(arg);
        struct timespec t = {0, 2 * 1000 * 1000L};
        nanosleep(&t, NULL);
    }
    return true;
}

cg_call_opts ft_opts(int64_t timeout_ms)
{
    cg_call_opts o;
    memset(&o, 0, sizeof o);
    o.timeout_ms = timeout_ms;
    return o;
}

/* ===================================================================== */
/* The in-process server                                                  */
/* ===================================================================== */

/* The slot of path p, with s->mu held. */
static ft_calls *slot(ft_server *s, const char *p)
{
    size_t n = sizeof s->calls / sizeof s->calls[0];
    for (size_t i = 0; i < n; i++) {
        if (s->calls[i].path == NULL)
            s->calls[i].path = p;
        if (strcmp(s->calls[i].path, p) == 0)
            return &s->calls[i];
    }
    return &s->calls[n - 1]; /* more methods than slots: never here */
}

/* Runs around every handler: counts it in and out, notes whether its call
 * was already over when it began, and who called. */
static cg_status record(cg_ctx *ctx, cg_next *next, void *user)
{
    ft_server *s = user;
    const char *path = cg_ctx_method(ctx)->path;
    bool over = cg_ctx_cancelled(ctx) || cg_ctx_time_left_ms(ctx) == 0;
    const char *peer = cg_ctx_peer(ctx);
    pthread_mutex_lock(&s->mu);
    ft_calls *c = slot(s, path);
    c->started++;
    c->cancelled_at_entry += over;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);

    cg_status st = cg_proceed(ctx, next);

    pthread_mutex_lock(&s->mu);
    c = slot(s, path);
    c->returned++;
    c->last = st;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return st;
}

static void count_save(void *store, const char *file_id, const char *filename,
                       const uint8_t *data, size_t len)
{
    (void)file_id;
    (void)filename;
    (void)data;
    (void)len;
    ft_server *s = store;
    pthread_mutex_lock(&s->mu);
    s->saved++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void ft_server_start(ft_server *s, const cg_server_opts *sopts,
                     const cg_tls_server *tls, const char *listen,
                     const cg_channel_opts *copts)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &a);
    pthread_condattr_destroy(&a);
    chat_room_init(&s->room);
    s->uploads.save = count_save;
    s->uploads.store = s;

    s->srv = cg_server_new(sopts);
    if (s->srv == NULL)
        fail_msg("cg_server_new failed");
    cg_status err;
    const char *addr = listen != NULL ? listen : "127.0.0.1:0";
    s->port = cg_server_listen(s->srv, addr, tls, &err);
    if (s->port <= 0)
        fail_msg("listen on %s: %s", addr, err.message);
    cg_server_add_interceptor(s->srv, record, s);
    tutorial__v1__my_service__register_server(s->srv, &my_service_server, NULL);
    tutorial__v1__user_service__register_server(s->srv, &user_service_server,
                                                user_repo_sample());
    tutorial__v1__notification_service__register_server(
        s->srv, &notification_service_server, &s->notes);
    tutorial__v1__file_service__register_server(s->srv, &file_service_server,
                                                &s->uploads);
    tutorial__v1__chat_service__register_server(s->srv, &chat_service_server,
                                                &s->room);
    if (cg_server_start(s->srv) != 0)
        fail_msg("cg_server_start failed");
    /* The host part of `listen` (an IPv6 one keeps its brackets). */
    char host[48];
    snprintf(host, sizeof host, "%s", addr);
    char *colon = strrchr(host, ':');
    if (colon != NULL)
        *colon = '\0';
    snprintf(s->target, sizeof s->target, "%s:%d", host, s->port);
    s->ch = cg_channel_new(s->target, copts, &err);
    if (s->ch == NULL)
        fail_msg("channel to %s: %s", s->target, err.message);
}

void ft_server_stop(ft_server *s)
{
    cg_channel_free(s->ch);
    s->ch = NULL;
    cg_server_free(s->srv); /* every handler has returned after this */
    s->srv = NULL;
    chat_room_destroy(&s->room);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
}

static int read_field(ft_server *s, const cg_method *m, size_t offset)
{
    pthread_mutex_lock(&s->mu);
    int v = *(int *)((char *)slot(s, m->path) + offset);
    pthread_mutex_unlock(&s->mu);
    return v;
}

int ft_started(ft_server *s, const cg_method *m)
{
    return read_field(s, m, offsetof(ft_calls, started));
}

int ft_returned(ft_server *s, const cg_method *m)
{
    return read_field(s, m, offsetof(ft_calls, returned));
}

int ft_cancelled_at_entry(ft_server *s, const cg_method *m)
{
    return read_field(s, m, offsetof(ft_calls, cancelled_at_entry));
}

void ft_last_peer(ft_server *s, const cg_method *m, char *out, size_t cap)
{
    pthread_mutex_lock(&s->mu);
    snprintf(out, cap, "%s", slot(s, m->path)->peer);
    pthread_mutex_unlock(&s->mu);
}

int ft_saved(ft_server *s)
{
    pthread_mutex_lock(&s->mu);
    int v = s->saved;
    pthread_mutex_unlock(&s->mu);
    return v;
}

static bool wait_field(ft_server *s, const cg_method *m, size_t offset, int n,
                       int timeout_ms, cg_status *last)
{
    struct timespec until = after_ms(timeout_ms);
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    while (*(int *)((char *)slot(s, m->path) + offset) < n && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->cv, &s->mu, &until);
    ft_calls *c = slot(s, m->path);
    bool ok = *(int *)((char *)c + offset) >= n;
    if (last != NULL)
        *last = c->last;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

bool ft_wait_started(ft_server *s, const cg_method *m, int n, int timeout_ms)
{
    return wait_field(s, m, offsetof(ft_calls, started), n, timeout_ms, NULL);
}

bool ft_wait_returned(ft_server *s, const cg_method *m, int n, int timeout_ms,
                      cg_status *last)
{
    return wait_field(s, m, offsetof(ft_calls, returned), n, timeout_ms, last);
}

long ft_live_calls(ft_server *s)
{
    pthread_mutex_lock(&s->srv->mu);
    long n = s->srv->live;
    pthread_mutex_unlock(&s->srv->mu);
    return n;
}

int ft_pool_threads(ft_server *s)
{
    return atomic_load(&s->srv->pool.threads);
}

long ft_core_calls_started(void)
{
    char *json = grpc_channelz_get_servers(0);
    long total = 0;
    static const char key[] = "\"callsStarted\":\"";
    for (const char *p = json; p != NULL && (p = strstr(p, key)) != NULL;) {
        p += sizeof key - 1;
        total += strtol(p, NULL, 10);
    }
    gpr_free(json);
    return total;
}

/* ===================================================================== */
/* Clients, programs, memory                                              */
/* ===================================================================== */

cg_channel *ft_channel_to_port(int port, const cg_channel_opts *opts)
{
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    cg_status err;
    cg_channel *ch = cg_channel_new(target, opts, &err);
    if (ch == NULL)
        fail_msg("channel to %s: %s", target, err.message);
    return ch;
}

cg_status ft_unary(cg_channel *ch, const char *id, int64_t timeout_ms)
{
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    Tutorial__V1__Response *resp = NULL;
    cg_call_opts o = ft_opts(timeout_ms);
    cg_status st = tutorial__v1__my_service_client__unary_call(ch, &req, &resp,
                                                              &o);
    if (st.code == GRPC_STATUS_OK) {
        char want[128];
        snprintf(want, sizeof want, "Processed: %s", id);
        if (resp == NULL || strcmp(resp->message, want) != 0)
            st = cg_error(NULL, GRPC_STATUS_DATA_LOSS,
                          "UnaryCall(%s) answered \"%s\"", id,
                          resp ? resp->message : "(nothing)");
    }
    if (resp != NULL)
        tutorial__v1__response__free_unpacked(resp, NULL);
    return st;
}

static proc children[8];
static bool child_used[8];

proc *ft_child(void)
{
    for (int i = 0; i < 8; i++) {
        if (!child_used[i]) {
            child_used[i] = true;
            memset(&children[i], 0, sizeof children[i]);
            return &children[i];
        }
    }
    fail_msg("more than 8 child processes in one test");
    return NULL;
}

int ft_end_children(void **state)
{
    (void)state;
    for (int i = 0; i < 8; i++) {
        if (child_used[i])
            proc_end(&children[i]); /* a no-op for one already ended */
        child_used[i] = false;
    }
    return 0;
}

void ft_start_program(proc *p, const char *listen, int *port)
{
    char why[40000];
    if (!proc_start_server(p, listen, port, why, sizeof why, FT_WAIT_MS))
        fail_msg("the step-04 server program did not start: %s\n"
                 "(build it: make -C steps/04-server build SOLUTION=1)",
                 why);
}

long ft_rss_kib(pid_t pid)
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

/* ===================================================================== */
/* Suite setup                                                            */
/* ===================================================================== */

int ft_group_setup(void **state)
{
    (void)state;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    grpc_init();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}

static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return 1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

int ft_group_teardown(void **state)
{
    (void)state;
    grpc_shutdown();
    /* The core's last threads finish exiting after grpc_shutdown returns;
     * give them a bounded moment so a leak check at exit sees none. */
    for (int i = 0; i < 500 && thread_count() > 1; i++) {
        struct timespec t = {0, 10 * 1000 * 1000L};
        nanosleep(&t, NULL);
    }
    return 0;
}

void ft_filter_from_env(void)
{
    const char *f = getenv("FT_FILTER");
    if (f != NULL && f[0] != '\0')
        cmocka_set_test_filter(f);
}
