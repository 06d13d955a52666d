/*
 * fixture.c: the in-process server of step 04's suites (see fixture.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <dirent.h>
#include <grpc/grpc.h>

#include "fixture.h"

int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

bool wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms)
{
    int64_t until = now_ms() + timeout_ms;
    while (!cond(arg)) {
        if (now_ms() >= until)
            return cond(arg);
        struct timespec t = {0, 1000000L};
        nanosleep(&t, NULL);
    }
    return true;
}

cg_call_opts deadline_ms(int64_t ms)
{
    cg_call_opts o;
    memset(&o, 0, sizeof o);
    o.timeout_ms = ms;
    return o;
}

/* The slot of path p; the fixture is locked. */
static fixture_calls *slot(fixture *f, const char *p)
{
    size_t n = sizeof f->calls / sizeof f->calls[0];
    for (size_t i = 0; i < n; i++) {
        if (f->calls[i].path == NULL)
            f->calls[i].path = p;
        if (strcmp(f->calls[i].path, p) == 0)
            return &f->calls[i];
    }
    return &f->calls[n - 1]; /* more methods than slots: never here */
}

/* Runs around every handler: counts it in and out, keeps its status. */
static cg_status count_calls(cg_ctx *ctx, cg_next *next, void *user)
{
    fixture *f = user;
    const char *path = cg_ctx_method(ctx)->path;
    pthread_mutex_lock(&f->mu);
    slot(f, path)->started++;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);

    cg_status st = cg_proceed(ctx, next);

    pthread_mutex_lock(&f->mu);
    fixture_calls *c = slot(f, path);
    c->returned++;
    c->last = st;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return st;
}

static void setup(cg_server *srv, void *user)
{
    fixture *f = user;
    cg_server_add_interceptor(srv, count_calls, f);
    tutorial__v1__my_service__register_server(srv, &my_service_server, NULL);
    tutorial__v1__user_service__register_server(srv, &user_service_server,
                                                user_repo_sample());
    tutorial__v1__notification_service__register_server(
        srv, &notification_service_server, &f->notes);
    tutorial__v1__file_service__register_server(srv, &file_service_server,
                                                &f->uploads);
    tutorial__v1__chat_service__register_server(srv, &chat_service_server,
                                                &f->room);
}

void fixture_start(fixture *f)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cv, &a);
    pthread_condattr_destroy(&a);
    chat_room_init(&f->room);
    f->srv = cg_test_server_start(setup, f, &f->port);
    if (f->srv == NULL)
        fail_msg("could not start a server on 127.0.0.1:0");
    snprintf(f->target, sizeof f->target, "127.0.0.1:%d", f->port);
    cg_status err;
    f->ch = cg_channel_new(f->target, NULL, &err);
    if (f->ch == NULL)
        fail_msg("no channel to %s: %s", f->target, err.message);
}

void fixture_stop(fixture *f)
{
    cg_channel_free(f->ch);
    cg_server_free(f->srv); /* every handler has returned after this */
    chat_room_destroy(&f->room);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
}

int fixture_started(fixture *f, const cg_method *m)
{
    pthread_mutex_lock(&f->mu);
    int n = slot(f, m->path)->started;
    pthread_mutex_unlock(&f->mu);
    return n;
}

int fixture_returned(fixture *f, const cg_method *m)
{
    pthread_mutex_lock(&f->mu);
    int n = slot(f, m->path)->returned;
    pthread_mutex_unlock(&f->mu);
    return n;
}

bool fixture_wait_returned(fixture *f, const cg_method *m, int n,
                           int timeout_ms, cg_status *last)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&f->mu);
    int rc = 0;
    while (slot(f, m->path)->returned < n && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&f->cv, &f->mu, &until);
    fixture_calls *c = slot(f, m->path);
    bool ok = c->returned >= n;
    if (last != NULL)
        *last = c->last;
    pthread_mutex_unlock(&f->mu);
    return ok;
}

int grpc_group_setup(void **state)
{
    (void)state;
    grpc_init();
    return 0;
}

/* Threads of this process, from /proc. */
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

int grpc_group_teardown(void **state)
{
    (void)state;
    grpc_shutdown();
    for (int i = 0; i < 500 && thread_count() > 1; i++) {
        struct timespec t = {0, 10 * 1000 * 1000L};
        nanosleep(&t, NULL);
    }
    return 0;
}
