/*
 * rt_util.c: the rt.Test handlers and the suites' fixtures (see rt_util.h).
 */
#include "rt_util.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* ===================================================================== */
/* State shared between handlers and tests                                */
/* ===================================================================== */

void rt_state_init(rt_state *st, const char *name)
{
    memset(st, 0, sizeof *st);
    pthread_mutex_init(&st->mu, NULL);
    tu_cond_init(&st->cv);
    st->name = name;
    st->stream_err = cg_ok();
}

void rt_state_destroy(rt_state *st)
{
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
}

bool rt_wait(rt_state *st, const int *field, int value, int timeout_ms)
{
    return tu_wait_field(&st->mu, &st->cv, field, value, timeout_ms);
}

static void bump(rt_state *st, int *field)
{
    pthread_mutex_lock(&st->mu);
    (*field)++;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

int rt_get(rt_state *st, const int *field)
{
    pthread_mutex_lock(&st->mu);
    int v = *field;
    pthread_mutex_unlock(&st->mu);
    return v;
}

cg_status rt_stream_err(rt_state *st)
{
    pthread_mutex_lock(&st->mu);
    cg_status v = st->stream_err;
    pthread_mutex_unlock(&st->mu);
    return v;
}

int64_t rt_time_left(rt_state *st)
{
    pthread_mutex_lock(&st->mu);
    int64_t v = st->time_left;
    pthread_mutex_unlock(&st->mu);
    return v;
}

void rt_state_log(rt_state *st, const char *step)
{
    pthread_mutex_lock(&st->mu);
    size_t n = strlen(st->log);
    snprintf(st->log + n, sizeof st->log - n, "%s%s", n ? " " : "", step);
    pthread_mutex_unlock(&st->mu);
}

void rt_release(rt_state *st)
{
    pthread_mutex_lock(&st->mu);
    st->release = true;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

/* ===================================================================== */
/* Handlers                                                               */
/* ===================================================================== */

static cg_status echo(cg_ctx *ctx, const Rt__Msg *req, Rt__Msg *resp)
{
    rt_state *st = cg_ctx_user(ctx);
    bump(st, &st->calls);
    resp->text = cg_strdup(ctx, req->text);
    if (req->blob.len > 0) {
        resp->blob.data = cg_alloc(ctx, req->blob.len);
        memcpy(resp->blob.data, req->blob.data, req->blob.len);
        resp->blob.len = req->blob.len;
    }
    resp->num = req->num;
    resp->big = req->big;
    resp->extra = cg_strdup(ctx, st->name);
    return cg_ok();
}

static cg_status fail_h(cg_ctx *ctx, const Rt__Msg *req, Rt__Msg *resp)
{
    (void)resp;
    return cg_error(ctx, (grpc_status_code)req->code, "failed: %s", req->text);
}

static void nap_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Sleeps for req->sleep_ms, checking every few milliseconds whether the
 * call was cancelled, as a handler doing slow work should. */
static cg_status sleep_h(cg_ctx *ctx, const Rt__Msg *req, Rt__Msg *resp)
{
    rt_state *st = cg_ctx_user(ctx);
    pthread_mutex_lock(&st->mu);
    st->time_left = cg_ctx_time_left_ms(ctx);
    st->entered++;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    for (int waited = 0; waited < req->sleep_ms; waited += 2) {
        if (cg_ctx_cancelled(ctx)) {
            bump(st, &st->saw_cancel);
            bump(st, &st->finished);
            return cg_error(ctx, GRPC_STATUS_CANCELLED, "sleep cancelled");
        }
        nap_ms(2);
    }
    resp->text = "slept";
    bump(st, &st->finished);
    return cg_ok();
}

static cg_status meta(cg_ctx *ctx, const Rt__Msg *req, Rt__Msg *resp)
{
    (void)req;
    size_t len = 0;
    const char *user = cg_ctx_metadata(ctx, "x-user", NULL);
    const char *data = cg_ctx_metadata(ctx, "x-data-bin", &len);
    resp->text = cg_strdup(ctx, user);
    if (data != NULL) {
        resp->blob.data = cg_alloc(ctx, len);
        memcpy(resp->blob.data, data, len);
        resp->blob.len = len;
    }
    resp->extra = cg_strdup(ctx, cg_ctx_peer(ctx));
    size_t n;
    const cg_md *all = cg_ctx_metadata_all(ctx, &n);
    for (size_t i = 0; i < n; i++)
        if (strncmp(all[i].key, "x-", 2) == 0)
            resp->big++;
    /* Bits of resp->num: which header/trailer calls were accepted. */
    int bits = 0;
    bits |= cg_ctx_add_header(ctx, "x-h", "hv", 0) << 0;
    bits |= cg_ctx_add_header(ctx, "x-hb-bin", "\0\1\2", 3) << 1;
    bits |= cg_ctx_add_trailer(ctx, "x-t", "tv", 0) << 2;
    bits |= cg_ctx_add_trailer(ctx, "x-tb-bin", "\xff\0", 2) << 3;
    bits |= cg_ctx_add_header(ctx, "Bad Key", "v", 0) << 4;
    bits |= cg_ctx_add_header(ctx, "grpc-status", "0", 0) << 5;
    bits |= cg_ctx_add_header(ctx, "x-nl", "a\nb", 0) << 6;
    resp->num = bits;
    return cg_ok();
}

/* Waits until the test releases it (or the call is cancelled). */
static cg_status block(cg_ctx *ctx, const Rt__Msg *req, Rt__Msg *resp)
{
    (void)req;
    rt_state *st = cg_ctx_user(ctx);
    pthread_mutex_lock(&st->mu);
    st->blocked++;
    st->entered++;
    pthread_cond_broadcast(&st->cv);
    while (!st->release && !cg_ctx_cancelled(ctx)) {
        struct timespec t = tu_after_ms(5);
        pthread_cond_timedwait(&st->cv, &st->mu, &t);
    }
    st->blocked--;
    st->finished++;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    resp->text = "unblocked";
    return cg_ok();
}

/* Sends req->num messages (each carrying req->blob), then the status
 * req->code. */
static cg_status count(cg_ctx *ctx, const Rt__Msg *req, cg_stream *stream)
{
    rt_state *st = cg_ctx_user(ctx);
    bump(st, &st->calls);
    cg_ctx_add_header(ctx, "x-count", "yes", 0);
    for (int i = 0; i < req->num; i++) {
        Rt__Msg m = RT__MSG__INIT;
        m.num = i;
        m.blob = req->blob;
        if (!cg_send(stream, &m))
            return cg_error(ctx, GRPC_STATUS_CANCELLED, "client gone");
        if (i == 0) {
            pthread_mutex_lock(&st->mu);
            st->header_after_send = cg_ctx_add_header(ctx, "x-late", "v", 0);
            pthread_mutex_unlock(&st->mu);
        }
        if (req->sleep_ms > 0)
            nap_ms(req->sleep_ms);
    }
    cg_ctx_add_trailer(ctx, "x-sent", "done", 0);
    if (req->code != 0)
        return cg_error(ctx, (grpc_status_code)req->code, "count failed");
    return cg_ok();
}

static cg_status sum(cg_ctx *ctx, cg_stream *stream, Rt__Msg *resp)
{
    rt_state *st = cg_ctx_user(ctx);
    bump(st, &st->calls);
    const Rt__Msg *m;
    int64_t total = 0;
    int n = 0;
    while ((m = cg_recv(stream)) != NULL) {
        total += m->num;
        n++;
    }
    cg_status err = cg_stream_error(stream);
    pthread_mutex_lock(&st->mu);
    st->stream_err = err;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    if (err.code != GRPC_STATUS_OK)
        return err;
    resp->big = total;
    resp->num = n;
    return cg_ok();
}

/* Echoes every message back, then reports how the input stream ended;
 * a message "stop" ends the call at once. */
static cg_status chat(cg_ctx *ctx, cg_stream *stream)
{
    rt_state *st = cg_ctx_user(ctx);
    cg_ctx_add_header(ctx, "x-chat", "1", 0);
    bump(st, &st->entered);
    const Rt__Msg *m;
    while ((m = cg_recv(stream)) != NULL) {
        bump(st, &st->received);
        if (strcmp(m->text, "stop") == 0)
            return cg_ok(); /* ends the call while the client still sends */
        Rt__Msg out = RT__MSG__INIT;
        out.text = cg_printf(ctx, "echo: %s", m->text);
        out.num = m->num;
        if (!cg_send(stream, &out))
            break;
    }
    cg_status err = cg_stream_error(stream);
    pthread_mutex_lock(&st->mu);
    st->stream_err = err;
    if (cg_ctx_cancelled(ctx))
        st->saw_cancel++;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    return err;
}

typedef struct duplex_job {
    cg_stream *stream;
    rt_state *st;
    int n;
} duplex_job;

static void *duplex_sender(void *arg)
{
    duplex_job *job = arg;
    for (int i = 0; i < job->n; i++) {
        Rt__Msg m = RT__MSG__INIT;
        m.num = i;
        m.text = "from server";
        if (!cg_send(job->stream, &m))
            break;
        bump(job->st, &job->st->sent);
    }
    return NULL;
}

/* Receives on this thread while another thread sends x-count messages:
 * the shape of a chat room. */
static cg_status duplex(cg_ctx *ctx, cg_stream *stream)
{
    rt_state *st = cg_ctx_user(ctx);
    bump(st, &st->entered);
    const char *count_s = cg_ctx_metadata(ctx, "x-count", NULL);
    duplex_job job = {stream, st, count_s ? atoi(count_s) : 0};
    pthread_t sender;
    pthread_create(&sender, NULL, duplex_sender, &job);
    int got = 0;
    while (cg_recv(stream) != NULL)
        got++;
    pthread_join(sender, NULL);
    pthread_mutex_lock(&st->mu);
    st->received += got;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    cg_ctx_add_trailer(ctx, "x-received", cg_printf(ctx, "%d", got), 0);
    return cg_stream_error(stream);
}

const Rt__Test_Server rt_impl = {
    .echo = echo,
    .fail = fail_h,
    .sleep = sleep_h,
    .meta = meta,
    .block = block,
    .count = count,
    .sum = sum,
    .chat = chat,
    .duplex = duplex,
};

/* ===================================================================== */
/* Fixtures                                                               */
/* ===================================================================== */

void rt_fixture_start(rt_fixture *f, const cg_server_opts *sopts,
                      const cg_channel_opts *copts)
{
    memset(f, 0, sizeof *f);
    rt_state_init(&f->st, "s1");
    f->srv = cg_server_new(sopts);
    assert_non_null(f->srv);
    cg_status err;
    f->port = cg_server_listen(f->srv, "127.0.0.1:0", NULL, &err);
    if (f->port <= 0)
        fail_msg("listen: %s", err.message);
    assert_int_equal(rt__test__register_server(f->srv, &rt_impl, &f->st), 0);
    assert_int_equal(cg_server_start(f->srv), 0);
    snprintf(f->target, sizeof f->target, "127.0.0.1:%d", f->port);
    f->ch = cg_channel_new(f->target, copts, &err);
    if (f->ch == NULL)
        fail_msg("channel: %s", err.message);
}

void rt_fixture_stop(rt_fixture *f)
{
    cg_channel_free(f->ch);
    f->ch = NULL;
    rt_release(&f->st);
    cg_server_free(f->srv);
    f->srv = NULL;
    rt_state_destroy(&f->st);
}

void rt_filter_from_env(void)
{
    const char *f = getenv("CGRT_FILTER");
    if (f != NULL && f[0] != '\0')
        cmocka_set_test_filter(f);
}

Rt__Msg rt_msg(const char *text, int num)
{
    Rt__Msg m = RT__MSG__INIT;
    m.text = (char *)text;
    m.num = num;
    return m;
}

const cg_method *rt_m(int which)
{
    return &rt__test__methods[which];
}

void rt_capture_begin(rt_capture *c)
{
    fflush(stderr);
    c->file = tmpfile();
    assert_non_null(c->file);
    c->saved_fd = dup(STDERR_FILENO);
    dup2(fileno(c->file), STDERR_FILENO);
}

const char *rt_capture_end(rt_capture *c, char *buf, size_t n)
{
    fflush(stderr);
    dup2(c->saved_fd, STDERR_FILENO);
    close(c->saved_fd);
    rewind(c->file);
    size_t got = fread(buf, 1, n - 1, c->file);
    buf[got] = '\0';
    fclose(c->file);
    return buf;
}

int rt_closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}
