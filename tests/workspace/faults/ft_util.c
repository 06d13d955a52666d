/*
 * ft_util.c: the fault suites' in-process server, child server program and
 * clients (see ft_util.h).
 */
#include "ft_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>
#include <grpc/support/alloc.h>

#include "server.h" /* lib/src: the count of live call records */

/* ===================================================================== */
/* The in-process server                                                  */
/* ===================================================================== */

static void count_save(void *store, const char *file_id, const char *filename,
                       const uint8_t *data, size_t len)
{
    (void)file_id;
    (void)filename;
    (void)data;
    (void)len;
    ft_server *s = store;
    pthread_mutex_lock(&s->calls.mu);
    s->saved++;
    pthread_cond_broadcast(&s->calls.cv);
    pthread_mutex_unlock(&s->calls.mu);
}

void ft_server_start(ft_server *s, const cg_server_opts *sopts,
                     const cg_tls_server *tls, const char *listen,
                     const cg_channel_opts *copts)
{
    memset(s, 0, sizeof *s);
    tu_recorder_init(&s->calls);
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
    cg_server_add_interceptor(s->srv, tu_record_calls, &s->calls);
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
    tu_recorder_destroy(&s->calls);
}

int ft_started(ft_server *s, const cg_method *m)
{
    return tu_recorder_get(&s->calls, m).started;
}

int ft_returned(ft_server *s, const cg_method *m)
{
    return tu_recorder_get(&s->calls, m).returned;
}

int ft_cancelled_at_entry(ft_server *s, const cg_method *m)
{
    return tu_recorder_get(&s->calls, m).cancelled_at_entry;
}

void ft_last_peer(ft_server *s, const cg_method *m, char *out, size_t cap)
{
    snprintf(out, cap, "%s", tu_recorder_get(&s->calls, m).peer);
}

int ft_saved(ft_server *s)
{
    pthread_mutex_lock(&s->calls.mu);
    int v = s->saved;
    pthread_mutex_unlock(&s->calls.mu);
    return v;
}

bool ft_wait_started(ft_server *s, const cg_method *m, int n, int timeout_ms)
{
    return tu_recorder_wait(&s->calls, m, TU_STARTED, n, timeout_ms, NULL);
}

bool ft_wait_returned(ft_server *s, const cg_method *m, int n, int timeout_ms,
                      cg_status *last)
{
    return tu_recorder_wait(&s->calls, m, TU_RETURNED, n, timeout_ms, last);
}

long ft_live_calls(ft_server *s)
{
    pthread_mutex_lock(&s->srv->mu);
    long n = s->srv->calls.live;
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
/* Clients and programs                                                   */
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
    cg_status st =
        tutorial__v1__my_service_client__unary_call(ch, &req, &resp, &o);
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

/* ===================================================================== */
/* Suite setup                                                            */
/* ===================================================================== */

void ft_filter_from_env(void)
{
    const char *f = getenv("FT_FILTER");
    if (f != NULL && f[0] != '\0')
        cmocka_set_test_filter(f);
}
