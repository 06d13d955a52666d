/*
 * service.c: the test server's five services (see service.h).
 *
 * The answers follow the course's service semantics exactly, so a client
 * that passes against this server works against step 4's. The knobs and
 * the record are what a test needs on top: a real server cannot be told
 * to stall, and would not report whether the client cancelled.
 */
#include "service.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tutorial/v1/chat_service.cgrpc.h"
#include "tutorial/v1/file_service.cgrpc.h"
#include "tutorial/v1/my_service.cgrpc.h"
#include "tutorial/v1/notification_service.cgrpc.h"
#include "tutorial/v1/user_service.cgrpc.h"

#include "testutil.h"

#define DEFAULT_UPLOAD_LIMIT (16 * 1024 * 1024)

/* ===================================================================== */
/* The record                                                             */
/* ===================================================================== */

void svc_init(svc_state *st, const char *name)
{
    memset(st, 0, sizeof *st);
    pthread_mutex_init(&st->mu, NULL);
    pthread_mutex_init(&st->room_mu, NULL);
    tu_cond_init(&st->cv);
    st->name = name;
    st->fail_code = GRPC_STATUS_OK;
    st->fnv = SVC_FNV_OFFSET;
}

void svc_destroy(svc_state *st)
{
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->room_mu);
    pthread_mutex_destroy(&st->mu);
}

bool svc_wait(svc_state *st, const int *field, int value, int timeout_ms)
{
    return tu_wait_field(&st->mu, &st->cv, field, value, timeout_ms);
}

int svc_get(svc_state *st, const int *field)
{
    pthread_mutex_lock(&st->mu);
    int v = *field;
    pthread_mutex_unlock(&st->mu);
    return v;
}

static void bump(svc_state *st, int *field)
{
    pthread_mutex_lock(&st->mu);
    (*field)++;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

void svc_client_saw(svc_state *st)
{
    bump(st, &st->client_saw);
}

uint64_t svc_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

void svc_fnv_hex(uint64_t h, char hex[17])
{
    snprintf(hex, 17, "%016" PRIx64, h);
}

/* Notes a handler's entry: the deadline it was given, and one more call. */
static void entered(svc_state *st, cg_ctx *ctx, bool unary)
{
    pthread_mutex_lock(&st->mu);
    st->calls++;
    st->time_left_ms = cg_ctx_time_left_ms(ctx);
    if (unary) {
        if (st->unary_calls < SVC_MAX_TIMES) {
            st->unary_at_ms[st->unary_calls] = tu_now_ms();
            st->unary_left_ms[st->unary_calls] = st->time_left_ms;
        }
        st->unary_calls++;
        const char *prev =
            cg_ctx_metadata(ctx, "grpc-previous-rpc-attempts", NULL);
        st->previous_attempts = prev != NULL ? atoi(prev) : 0;
    }
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

/* Waits up to ms (-1: SVC_MAX_WAIT_MS) for the call to be cancelled, the
 * way a handler doing slow work checks on its client. True if it was. */
static bool wait_for_cancel(svc_state *st, cg_ctx *ctx, int ms)
{
    if (ms < 0)
        ms = SVC_MAX_WAIT_MS;
    struct timespec nap = {0, 2 * 1000000L};
    struct timespec until = tu_after_ms(ms), now;
    for (;;) {
        if (cg_ctx_cancelled(ctx)) {
            bump(st, &st->cancelled);
            return true;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > until.tv_sec ||
            (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec))
            return false;
        nanosleep(&nap, NULL);
    }
}

/* The common start of the two unary handlers: the knobs. Returns true
 * with *st_out set when the call must end with that status. */
static bool unary_knobs(svc_state *st, cg_ctx *ctx, cg_status *st_out)
{
    pthread_mutex_lock(&st->mu);
    int delay = st->delay_ms;
    grpc_status_code code = st->fail_code;
    if (st->fail_times > 0 && st->unary_calls > st->fail_times)
        code = GRPC_STATUS_OK;
    const char *msg = st->fail_message;
    pthread_mutex_unlock(&st->mu);
    if (delay != 0 && wait_for_cancel(st, ctx, delay)) {
        *st_out = cg_error(ctx, GRPC_STATUS_CANCELLED, "the client went away");
        return true;
    }
    if (code != GRPC_STATUS_OK) {
        *st_out = cg_error(ctx, code, "%s", msg ? msg : "failed on purpose");
        return true;
    }
    return false;
}

static cg_status ended(svc_state *st, cg_status s)
{
    bump(st, &st->ended);
    return s;
}

/* ===================================================================== */
/* Streams: pacing, stalls, failures                                      */
/* ===================================================================== */

/* Before message i (1-based) of a stream: applies the knobs. Returns 0 to
 * send it, 1 to end the stream with *out. */
static int stream_gate(svc_state *st, cg_ctx *ctx, int i, int base,
                       cg_status *out)
{
    pthread_mutex_lock(&st->mu);
    bool paced = st->paced;
    int stall = st->stall_after, fail = st->fail_after;
    pthread_mutex_unlock(&st->mu);

    if (fail > 0 && i > fail) {
        *out = cg_error(ctx, GRPC_STATUS_ABORTED,
                        "the stream broke after %d messages", fail);
        return 1;
    }
    if (stall > 0 && i > stall) {
        wait_for_cancel(st, ctx, -1);
        *out = cg_error(ctx, GRPC_STATUS_CANCELLED, "the client went away");
        return 1;
    }
    if (paced && i > 1) {
        /* Wait until the test's callback has seen message i-1. */
        struct timespec give_up = tu_after_ms(SVC_PACE_WAIT_MS);
        pthread_mutex_lock(&st->mu);
        for (;;) {
            if (st->client_saw - base >= i - 1)
                break;
            if (cg_ctx_cancelled(ctx)) {
                st->cancelled++;
                pthread_cond_broadcast(&st->cv);
                pthread_mutex_unlock(&st->mu);
                *out = cg_error(ctx, GRPC_STATUS_CANCELLED,
                                "the client went away");
                return 1;
            }
            struct timespec tick = tu_after_ms(2);
            pthread_cond_timedwait(&st->cv, &st->mu, &tick);
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec > give_up.tv_sec ||
                (now.tv_sec == give_up.tv_sec &&
                 now.tv_nsec >= give_up.tv_nsec)) {
                /* The client neither reads on nor cancels. */
                st->pace_timed_out = true;
                pthread_mutex_unlock(&st->mu);
                *out = cg_ok();
                return 1;
            }
        }
        pthread_mutex_unlock(&st->mu);
    }
    return 0;
}

/* After a send: false when the client is gone. */
static bool sent_one(svc_state *st, cg_ctx *ctx, bool ok)
{
    pthread_mutex_lock(&st->mu);
    if (ok)
        st->stream_sent++;
    else if (cg_ctx_cancelled(ctx))
        st->cancelled++;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    return ok;
}

static int stream_start(svc_state *st)
{
    pthread_mutex_lock(&st->mu);
    st->stream_sent = 0;
    int base = st->client_saw;
    pthread_mutex_unlock(&st->mu);
    return base;
}

/* ===================================================================== */
/* MyService                                                              */
/* ===================================================================== */

static cg_status unary_call(cg_ctx *ctx, const Tutorial__V1__Request *req,
                            Tutorial__V1__Response *resp)
{
    svc_state *st = cg_ctx_user(ctx);
    entered(st, ctx, true);
    pthread_mutex_lock(&st->mu);
    snprintf(st->last_id, sizeof st->last_id, "%s", req->id);
    st->last_value = req->value;
    pthread_mutex_unlock(&st->mu);
    cg_status s;
    if (unary_knobs(st, ctx, &s))
        return ended(st, s);
    if (req->id[0] == '\0')
        return ended(
            st, cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "id is required"));
    resp->success = true;
    resp->message = cg_printf(ctx, "Processed: %s", req->id);
    return ended(st, cg_ok());
}

static cg_status server_stream(cg_ctx *ctx, const Tutorial__V1__Request *req,
                               cg_stream *out)
{
    svc_state *st = cg_ctx_user(ctx);
    entered(st, ctx, false);
    int base = stream_start(st);
    if (req->id[0] == '\0')
        return ended(
            st, cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "id is required"));
    if (req->value < 0 || req->value > 10000)
        return ended(st, cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                                  "value must be between 0 and 10000"));
    for (int i = 1; i <= req->value; i++) {
        cg_status s;
        if (stream_gate(st, ctx, i, base, &s))
            return ended(st, s);
        Tutorial__V1__Response r = TUTORIAL__V1__RESPONSE__INIT;
        r.success = true;
        r.message = cg_printf(ctx, "Processed: %s #%d", req->id, i);
        if (!sent_one(st, ctx, cg_send(out, &r)))
            break;
    }
    return ended(st, cg_ok());
}

static cg_status client_stream(cg_ctx *ctx, cg_stream *in,
                               Tutorial__V1__Response *resp)
{
    svc_state *st = cg_ctx_user(ctx);
    entered(st, ctx, false);
    int n = 0;
    int64_t sum = 0;
    const Tutorial__V1__Request *req;
    while ((req = cg_recv(in)) != NULL) {
        pthread_mutex_lock(&st->mu);
        st->requests++;
        st->value_sum += req->value;
        pthread_mutex_unlock(&st->mu);
        if (req->id[0] == '\0')
            return ended(st, cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                                      "id is required"));
        n++;
        sum += req->value;
    }
    cg_status err = cg_stream_error(in);
    if (err.code != GRPC_STATUS_OK)
        return ended(st, err);
    resp->success = true;
    resp->message = cg_printf(ctx, "Processed %d requests, total value %lld", n,
                              (long long)sum);
    return ended(st, cg_ok());
}

static cg_status bidirectional_stream(cg_ctx *ctx, cg_stream *stream)
{
    svc_state *st = cg_ctx_user(ctx);
    entered(st, ctx, false);
    const Tutorial__V1__Request *req;
    while ((req = cg_recv(stream)) != NULL) {
        pthread_mutex_lock(&st->mu);
        st->requests++;
        pthread_mutex_unlock(&st->mu);
        if (req->id[0] == '\0')
            return ended(st, cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                                      "id is required"));
        Tutorial__V1__Response r = TUTORIAL__V1__RESPONSE__INIT;
        r.success = true;
        r.message = cg_printf(ctx, "Processed: %s", req->id);
        if (!sent_one(st, ctx, cg_send(stream, &r)))
            break;
    }
    /* A client that cancelled, rather than half-closed: counted. */
    if (cg_ctx_cancelled(ctx))
        bump(st, &st->cancelled);
    return ended(st, cg_stream_error(stream));
}

static const Tutorial__V1__MyService_Server my_service = {
    .unary_call = unary_call,
    .server_stream = server_stream,
    .client_stream = client_stream,
    .bidirectional_stream = bidirectional_stream,
};

/* ===================================================================== */
/* UserService                                                            */
/* ===================================================================== */

static cg_status get_user(cg_ctx *ctx, const Tutorial__V1__GetUserRequest *req,
                          Tutorial__V1__User *resp)
{
    svc_state *st = cg_ctx_user(ctx);
    entered(st, ctx, true);
    pthread_mutex_lock(&st->mu);
    snprintf(st->last_id, sizeof st->last_id, "%s", req->user_id);
    pthread_mutex_unlock(&st->mu);
    cg_status s;
    if (unary_knobs(st, ctx, &s))
        return ended(st, s);
    if (req->user_id[0] == '\0')
        return ended(st, cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                                  "user_id is required"));
    if (strcmp(req->user_id, "1") == 0) {
        resp->id = "1";
        resp->name = "Alice";
        resp->email = "alice@example.com";
        resp->role = TUTORIAL__V1__ROLE__ROLE_ADMIN;
    } else if (strcmp(req->user_id, "2") == 0) {
        resp->id = "2";
        resp->name = "Bob";
        resp->email = "bob@example.com";
        resp->role = TUTORIAL__V1__ROLE__ROLE_MEMBER;
    } else {
        return ended(st, cg_error(ctx, GRPC_STATUS_NOT_FOUND,
                                  "user %s not found", req->user_id));
    }
    return ended(st, cg_ok());
}

static const Tutorial__V1__UserService_Server user_service = {
    .get_user = get_user,
};

/* ===================================================================== */
/* NotificationService                                                    */
/* ===================================================================== */

static cg_status stream_notifications(cg_ctx *ctx,
                                      const Tutorial__V1__StreamRequest *req,
                                      cg_stream *out)
{
    svc_state *st = cg_ctx_user(ctx);
    entered(st, ctx, false);
    int base = stream_start(st);
    if (req->user_id[0] == '\0')
        return ended(st, cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                                  "user_id is required"));
    if (req->max_count < 0 || req->max_count > 1000)
        return ended(st, cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                                  "max_count must be between 0 and 1000"));
    int n = req->max_count == 0 ? 5 : req->max_count;
    for (int i = 1; i <= n; i++) {
        cg_status s;
        if (stream_gate(st, ctx, i, base, &s))
            return ended(st, s);
        Tutorial__V1__Notification m = TUTORIAL__V1__NOTIFICATION__INIT;
        m.id = cg_printf(ctx, "n-%d", i);
        m.user_id = req->user_id;
        m.message = cg_printf(ctx, "Notification %d for %s", i, req->user_id);
        m.sequence = i;
        if (!sent_one(st, ctx, cg_send(out, &m)))
            break;
    }
    return ended(st, cg_ok());
}

static const Tutorial__V1__NotificationService_Server notification_service = {
    .stream_notifications = stream_notifications,
};

/* ===================================================================== */
/* FileService                                                            */
/* ===================================================================== */

static cg_status upload_file(cg_ctx *ctx, cg_stream *in,
                             Tutorial__V1__UploadResponse *resp)
{
    svc_state *st = cg_ctx_user(ctx);
    entered(st, ctx, false);
    pthread_mutex_lock(&st->mu);
    int64_t limit = st->upload_limit ? st->upload_limit : DEFAULT_UPLOAD_LIMIT;
    pthread_mutex_unlock(&st->mu);
    uint64_t h = SVC_FNV_OFFSET;
    int64_t total = 0;
    int n = 0;
    const Tutorial__V1__FileChunk *c;
    while ((c = cg_recv(in)) != NULL) {
        pthread_mutex_lock(&st->mu);
        if (n == 0)
            snprintf(st->filename, sizeof st->filename, "%s", c->filename);
        else if (c->filename[0] != '\0')
            st->named_chunks++;
        st->chunks++;
        if ((int64_t)c->data.len > st->max_chunk)
            st->max_chunk = (int64_t)c->data.len;
        pthread_mutex_unlock(&st->mu);
        if (n == 0 && c->filename[0] == '\0')
            return ended(st, cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                                      "the first chunk must carry a filename"));
        n++;
        if (total + (int64_t)c->data.len > limit)
            return ended(st, cg_error(ctx, GRPC_STATUS_RESOURCE_EXHAUSTED,
                                      "file too large: the limit is %lld bytes",
                                      (long long)limit));
        total += (int64_t)c->data.len;
        h = svc_fnv1a(h, c->data.data, c->data.len);
    }
    cg_status err = cg_stream_error(in);
    if (err.code != GRPC_STATUS_OK)
        return ended(st, err);
    if (n == 0)
        return ended(st, cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                                  "no data received"));
    pthread_mutex_lock(&st->mu);
    st->bytes = total;
    st->fnv = h;
    st->uploads++;
    pthread_mutex_unlock(&st->mu);
    char hex[17];
    svc_fnv_hex(h, hex);
    resp->success = true;
    resp->file_id = cg_strdup(ctx, hex);
    resp->size = total;
    return ended(st, cg_ok());
}

static const Tutorial__V1__FileService_Server file_service = {
    .upload_file = upload_file,
};

/* ===================================================================== */
/* ChatService: one room                                                  */
/* ===================================================================== */

static void room_join(svc_state *st, cg_stream *s)
{
    pthread_mutex_lock(&st->room_mu);
    for (size_t i = 0; i < sizeof st->room / sizeof st->room[0]; i++) {
        if (st->room[i] == NULL) {
            st->room[i] = s;
            break;
        }
    }
    pthread_mutex_unlock(&st->room_mu);
    pthread_mutex_lock(&st->mu);
    st->members++;
    st->joined++;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

static void room_leave(svc_state *st, cg_stream *s)
{
    pthread_mutex_lock(&st->room_mu);
    for (size_t i = 0; i < sizeof st->room / sizeof st->room[0]; i++)
        if (st->room[i] == s)
            st->room[i] = NULL;
    pthread_mutex_unlock(&st->room_mu);
    pthread_mutex_lock(&st->mu);
    st->members--;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

/* Sends m to every member, the sender included. The room's lock is held
 * for the whole round, so every member gets the messages in one order. */
static void room_broadcast(svc_state *st, const Tutorial__V1__ChatMessage *m)
{
    Tutorial__V1__ChatMessage copy = TUTORIAL__V1__CHAT_MESSAGE__INIT;
    copy.user = m->user;
    copy.content = m->content;
    pthread_mutex_lock(&st->room_mu);
    for (size_t i = 0; i < sizeof st->room / sizeof st->room[0]; i++)
        if (st->room[i] != NULL)
            cg_send(st->room[i], &copy);
    pthread_mutex_lock(&st->mu);
    size_t n = strlen(st->chat_log);
    snprintf(st->chat_log + n, sizeof st->chat_log - n, "%s: %s\n", m->user,
             m->content);
    st->broadcasts++;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    pthread_mutex_unlock(&st->room_mu);
}

static cg_status chat(cg_ctx *ctx, cg_stream *stream)
{
    svc_state *st = cg_ctx_user(ctx);
    entered(st, ctx, false);
    room_join(st, stream);
    cg_status result = cg_ok();
    const Tutorial__V1__ChatMessage *m;
    while ((m = cg_recv(stream)) != NULL) {
        if (m->user[0] == '\0') {
            result =
                cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "user is required");
            break;
        }
        room_broadcast(st, m);
    }
    if (m == NULL)
        result = cg_stream_error(stream);
    room_leave(st, stream);
    return ended(st, result);
}

static const Tutorial__V1__ChatService_Server chat_service = {
    .chat = chat,
};

void svc_register(cg_server *srv, svc_state *st)
{
    tutorial__v1__my_service__register_server(srv, &my_service, st);
    tutorial__v1__user_service__register_server(srv, &user_service, st);
    tutorial__v1__notification_service__register_server(
        srv, &notification_service, st);
    tutorial__v1__file_service__register_server(srv, &file_service, st);
    tutorial__v1__chat_service__register_server(srv, &chat_service, st);
}
