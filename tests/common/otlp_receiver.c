/*
 * otlp_receiver.c: the test OTLP receiver (see otlp_receiver.h).
 */
#include "otlp_receiver.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.cgrpc.h"

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
    export_req;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse
    export_resp;
typedef Opentelemetry__Proto__Trace__V1__Span pb_span;
typedef Opentelemetry__Proto__Common__V1__KeyValue pb_kv;

struct otlp_receiver {
    cg_server *srv;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    otlp_span_rec *spans;
    size_t n, cap;
    int calls;
    bool hold;
};

static void hex(char *out, ProtobufCBinaryData b, size_t max)
{
    out[0] = '\0';
    for (size_t i = 0; i < b.len && i < max; i++)
        sprintf(out + 2 * i, "%02x", b.data[i]);
}

static void copy_attrs(otlp_span_rec *r, pb_kv **kvs, size_t n)
{
    for (size_t i = 0; i < n && r->n_attrs < OTLP_REC_ATTRS; i++) {
        const pb_kv *kv = kvs[i];
        otlp_attr_rec *a = &r->attrs[r->n_attrs++];
        snprintf(a->key, sizeof a->key, "%s", kv->key);
        if (kv->value == NULL)
            continue;
        if (kv->value->value_case ==
            OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE) {
            a->is_int = true;
            a->num = kv->value->int_value;
        } else if (
            kv->value->value_case ==
            OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE) {
            snprintf(a->str, sizeof a->str, "%s", kv->value->string_value);
        }
    }
}

static void copy_span(otlp_span_rec *r, const pb_span *s, const char *svc)
{
    memset(r, 0, sizeof *r);
    snprintf(r->service_name, sizeof r->service_name, "%s", svc);
    hex(r->trace_id, s->trace_id, 16);
    hex(r->span_id, s->span_id, 8);
    hex(r->parent_id, s->parent_span_id, 8);
    snprintf(r->trace_state, sizeof r->trace_state, "%s", s->trace_state);
    snprintf(r->name, sizeof r->name, "%s", s->name);
    r->kind = (int)s->kind;
    r->start_ns = s->start_time_unix_nano;
    r->end_ns = s->end_time_unix_nano;
    r->flags = s->flags;
    if (s->status != NULL) {
        r->status_code = (int)s->status->code;
        snprintf(r->status_message, sizeof r->status_message, "%s",
                 s->status->message);
    }
    copy_attrs(r, s->attributes, s->n_attributes);
}

/* service.name of a resource, "" when absent. */
static const char *
service_of(const Opentelemetry__Proto__Trace__V1__ResourceSpans *rs)
{
    for (size_t i = 0; rs->resource && i < rs->resource->n_attributes; i++) {
        const pb_kv *kv = rs->resource->attributes[i];
        if (strcmp(kv->key, "service.name") == 0 && kv->value != NULL &&
            kv->value->value_case ==
                OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE)
            return kv->value->string_value;
    }
    return "";
}

static void keep(otlp_receiver *r, const pb_span *s, const char *svc)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->spans = realloc(r->spans, r->cap * sizeof *r->spans);
    }
    copy_span(&r->spans[r->n++], s, svc);
}

static cg_status on_export(cg_ctx *ctx, const export_req *req,
                           export_resp *resp)
{
    (void)resp;
    otlp_receiver *r = cg_ctx_user(ctx);
    pthread_mutex_lock(&r->mu);
    r->calls++;
    pthread_cond_broadcast(&r->cv);
    while (r->hold && !cg_ctx_cancelled(ctx)) {
        struct timespec t = tu_after_ms(50); /* looks at cancellation */
        pthread_cond_timedwait(&r->cv, &r->mu, &t);
    }
    if (cg_ctx_cancelled(ctx)) { /* the sender gave up: nothing kept */
        pthread_mutex_unlock(&r->mu);
        return cg_error(ctx, GRPC_STATUS_CANCELLED, "cancelled while held");
    }
    for (size_t i = 0; i < req->n_resource_spans; i++) {
        const char *svc = service_of(req->resource_spans[i]);
        for (size_t j = 0; j < req->resource_spans[i]->n_scope_spans; j++) {
            const Opentelemetry__Proto__Trace__V1__ScopeSpans *ss =
                req->resource_spans[i]->scope_spans[j];
            for (size_t k = 0; k < ss->n_spans; k++)
                keep(r, ss->spans[k], svc);
        }
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return cg_ok();
}

static const Opentelemetry__Proto__Collector__Trace__V1__TraceService_Server
    receiver_impl = {.export = on_export};

static void setup(cg_server *srv, void *user)
{
    opentelemetry__proto__collector__trace__v1__trace_service__register_server(
        srv, &receiver_impl, user);
}

otlp_receiver *otlp_receiver_start(char *endpoint, size_t size)
{
    otlp_receiver *r = calloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    tu_cond_init(&r->cv);
    int port = 0;
    r->srv = cg_test_server_start(setup, r, &port);
    if (r->srv == NULL) {
        otlp_receiver_stop(r);
        return NULL;
    }
    snprintf(endpoint, size, "http://127.0.0.1:%d", port);
    return r;
}

void otlp_receiver_stop(otlp_receiver *r)
{
    if (r == NULL)
        return;
    otlp_receiver_hold(r, false);
    cg_server_free(r->srv);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r->spans);
    free(r);
}

size_t otlp_receiver_wait(otlp_receiver *r, size_t n, int64_t timeout_ms)
{
    struct timespec until = tu_after_ms(timeout_ms);
    pthread_mutex_lock(&r->mu);
    while (r->n < n && pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0)
        ;
    size_t got = r->n;
    pthread_mutex_unlock(&r->mu);
    return got;
}

int otlp_receiver_calls(otlp_receiver *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->calls;
    pthread_mutex_unlock(&r->mu);
    return n;
}

bool otlp_receiver_wait_calls(otlp_receiver *r, int n, int64_t timeout_ms)
{
    return tu_wait_field(&r->mu, &r->cv, &r->calls, n, (int)timeout_ms);
}

bool otlp_receiver_span(otlp_receiver *r, size_t i, otlp_span_rec *out)
{
    pthread_mutex_lock(&r->mu);
    bool ok = i < r->n;
    if (ok)
        *out = r->spans[i];
    pthread_mutex_unlock(&r->mu);
    return ok;
}

void otlp_receiver_hold(otlp_receiver *r, bool hold)
{
    pthread_mutex_lock(&r->mu);
    r->hold = hold;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

const char *otlp_attr_str(const otlp_span_rec *s, const char *key)
{
    for (size_t i = 0; i < s->n_attrs; i++)
        if (strcmp(s->attrs[i].key, key) == 0)
            return s->attrs[i].is_int ? NULL : s->attrs[i].str;
    return NULL;
}

bool otlp_attr_int(const otlp_span_rec *s, const char *key, int64_t *out)
{
    for (size_t i = 0; i < s->n_attrs; i++)
        if (strcmp(s->attrs[i].key, key) == 0 && s->attrs[i].is_int) {
            *out = s->attrs[i].num;
            return true;
        }
    return false;
}
