/*
 * trace_export.c: ended spans to an OpenTelemetry collector, over OTLP/gRPC.
 *
 * cgi_exporter_push is all a call ever pays: a lock held for a pointer's
 * store into a ring of queue_max slots, or a drop (counted) when it is
 * full. One thread per tracer takes up to batch_max spans at a time, when
 * a batch is full, delay_ms after the last one, or when asked to flush,
 * turns them into an ExportTraceServiceRequest (the messages protoc-c and
 * protoc-gen-cgrpc generated from lib/proto) and sends it with the
 * runtime's own client, on a channel of its own with no interceptors.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "trace.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.cgrpc.h"

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
    otlp_request;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans otlp_resource_spans;
typedef Opentelemetry__Proto__Trace__V1__ScopeSpans otlp_scope_spans;
typedef Opentelemetry__Proto__Trace__V1__Span otlp_span;
typedef Opentelemetry__Proto__Trace__V1__Status otlp_status;
typedef Opentelemetry__Proto__Common__V1__KeyValue otlp_kv;
typedef Opentelemetry__Proto__Common__V1__AnyValue otlp_value;

#define OTLP_EXPORT                                                            \
    OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__TRACE_SERVICE__EXPORT__METHOD

struct cgi_exporter {
    cgi_export_opts o;
    char *service_name;
    cg_channel *ch;
    pthread_t thread;

    pthread_mutex_t mu;
    pthread_cond_t work; /* spans to send, a flush, or stop */
    pthread_cond_t done; /* a batch went; the thread finished */
    cg_span **ring;
    size_t head, count; /* queued spans: ring[head], ... (mod queue_max) */
    size_t inflight;    /* spans in the Export call under way */
    bool flush_asked, stop, abandon, finished;
    int64_t stop_at_ms; /* once stopping: when to give up */
    cg_call *call;      /* the Export call under way, to cancel */
    cg_tracer_stats st;
};

void cgi_span_free(cg_span *s)
{
    for (size_t i = 0; i < s->n_attrs; i++) {
        free(s->attrs[i].key);
        free(s->attrs[i].str);
    }
    free(s->name);
    free(s->error_message);
    free(s);
}

void cgi_exporter_push(cgi_exporter *e, cg_span *s)
{
    pthread_mutex_lock(&e->mu);
    e->st.ended++;
    bool full = e->count == e->o.queue_max || e->stop;
    if (full) {
        e->st.dropped++;
    } else {
        e->ring[(e->head + e->count) % e->o.queue_max] = s;
        if (++e->count == e->o.batch_max)
            pthread_cond_signal(&e->work);
    }
    pthread_mutex_unlock(&e->mu);
    if (full)
        cgi_span_free(s);
}

/* ---- spans as OTLP messages ---------------------------------------------- */

/* Everything one request points into, freed together. */
typedef struct otlp_batch {
    otlp_span *spans, **span_ptrs;
    otlp_status *status;
    otlp_kv *kvs, **kv_ptrs;
    otlp_value *vals;
    uint8_t (*ids)[32]; /* trace id, span id, parent id of each span */
    otlp_kv res_kv, *res_kv_ptr;
    otlp_value res_val;
    Opentelemetry__Proto__Resource__V1__Resource resource;
    Opentelemetry__Proto__Common__V1__InstrumentationScope scope;
    otlp_scope_spans ss, *ss_ptr;
    otlp_resource_spans rs, *rs_ptr;
    otlp_request req;
} otlp_batch;

static int hexval(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* Hex text to bytes: n bytes from 2n digits. */
static ProtobufCBinaryData hex_bytes(const char *hex, uint8_t *out, size_t n)
{
    if (hex[0] == '\0')
        return (ProtobufCBinaryData){0, NULL};
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
    return (ProtobufCBinaryData){n, out};
}

static void fill_attrs(otlp_batch *b, size_t i, const cg_span *s)
{
    otlp_span *o = &b->spans[i];
    o->attributes = &b->kv_ptrs[i * CGI_SPAN_ATTRS];
    o->n_attributes = s->n_attrs;
    o->dropped_attributes_count = s->dropped_attrs;
    for (size_t k = 0; k < s->n_attrs; k++) {
        size_t j = i * CGI_SPAN_ATTRS + k;
        otlp_kv *kv = &b->kvs[j];
        otlp_value *v = &b->vals[j];
        opentelemetry__proto__common__v1__key_value__init(kv);
        opentelemetry__proto__common__v1__any_value__init(v);
        kv->key = s->attrs[k].key;
        kv->value = v;
        if (s->attrs[k].str != NULL) {
            v->value_case =
                OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
            v->string_value = s->attrs[k].str;
        } else {
            v->value_case =
                OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
            v->int_value = s->attrs[k].num;
        }
        b->kv_ptrs[j] = kv;
    }
}

static void fill_span(otlp_batch *b, size_t i, const cg_span *s)
{
    otlp_span *o = &b->spans[i];
    opentelemetry__proto__trace__v1__span__init(o);
    o->trace_id = hex_bytes(s->sc.trace_id, b->ids[i], 16);
    o->span_id = hex_bytes(s->sc.span_id, b->ids[i] + 16, 8);
    o->parent_span_id = hex_bytes(s->parent_id, b->ids[i] + 24, 8);
    o->trace_state = (char *)s->sc.tracestate;
    o->name = s->name;
    o->kind = (Opentelemetry__Proto__Trace__V1__Span__SpanKind)s->kind;
    o->start_time_unix_nano = s->start_unix_ns;
    o->end_time_unix_nano = s->end_unix_ns;
    o->flags = s->sc.flags;
    fill_attrs(b, i, s);
    if (s->error) {
        otlp_status *st = &b->status[i];
        opentelemetry__proto__trace__v1__status__init(st);
        st->code =
            OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_ERROR;
        st->message = s->error_message != NULL ? s->error_message : "";
        o->status = st;
    }
    b->span_ptrs[i] = o;
}

/* The request for spans[0..n), pointing into b and the spans. */
static void build_request(otlp_batch *b, const cgi_exporter *e, cg_span **spans,
                          size_t n)
{
    b->spans = cgi_calloc(n, sizeof *b->spans);
    b->span_ptrs = cgi_calloc(n, sizeof *b->span_ptrs);
    b->status = cgi_calloc(n, sizeof *b->status);
    b->kvs = cgi_calloc(n * CGI_SPAN_ATTRS, sizeof *b->kvs);
    b->kv_ptrs = cgi_calloc(n * CGI_SPAN_ATTRS, sizeof *b->kv_ptrs);
    b->vals = cgi_calloc(n * CGI_SPAN_ATTRS, sizeof *b->vals);
    b->ids = cgi_calloc(n, sizeof *b->ids);
    for (size_t i = 0; i < n; i++)
        fill_span(b, i, spans[i]);

    opentelemetry__proto__common__v1__any_value__init(&b->res_val);
    b->res_val.value_case =
        OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
    b->res_val.string_value = e->service_name;
    opentelemetry__proto__common__v1__key_value__init(&b->res_kv);
    b->res_kv.key = "service.name";
    b->res_kv.value = &b->res_val;
    b->res_kv_ptr = &b->res_kv;
    opentelemetry__proto__resource__v1__resource__init(&b->resource);
    b->resource.n_attributes = 1;
    b->resource.attributes = &b->res_kv_ptr;

    opentelemetry__proto__common__v1__instrumentation_scope__init(&b->scope);
    b->scope.name = "cgrpc";
    opentelemetry__proto__trace__v1__scope_spans__init(&b->ss);
    b->ss.scope = &b->scope;
    b->ss.n_spans = n;
    b->ss.spans = b->span_ptrs;
    b->ss_ptr = &b->ss;
    opentelemetry__proto__trace__v1__resource_spans__init(&b->rs);
    b->rs.resource = &b->resource;
    b->rs.n_scope_spans = 1;
    b->rs.scope_spans = &b->ss_ptr;
    b->rs_ptr = &b->rs;
    opentelemetry__proto__collector__trace__v1__export_trace_service_request__init(
        &b->req);
    b->req.n_resource_spans = 1;
    b->req.resource_spans = &b->rs_ptr;
}

static void free_request(otlp_batch *b)
{
    free(b->spans);
    free(b->span_ptrs);
    free(b->status);
    free(b->kvs);
    free(b->kv_ptrs);
    free(b->vals);
    free(b->ids);
}

/* ---- the export thread ------------------------------------------------- */

/* One Export call, cancellable by cgi_exporter_free through e->call. */
static cg_status send_request(cgi_exporter *e, const otlp_request *req,
                              int64_t timeout_ms)
{
    cg_call_opts o = {.timeout_ms = timeout_ms, .ready = CG_READY_WAIT};
    cg_call *c = cg_call_start(e->ch, OTLP_EXPORT, &o);
    pthread_mutex_lock(&e->mu);
    e->call = c;
    if (e->abandon)
        cg_call_cancel(c);
    pthread_mutex_unlock(&e->mu);
    if (cg_call_send(c, req) && cg_call_close_send(c))
        cg_call_recv(c);
    pthread_mutex_lock(&e->mu);
    e->call = NULL;
    pthread_mutex_unlock(&e->mu);
    return cg_call_finish(c);
}

/* Sends spans[0..n) (without e->mu) and frees them. */
static bool export_spans(cgi_exporter *e, cg_span **spans, size_t n,
                         int64_t timeout_ms)
{
    otlp_batch b;
    memset(&b, 0, sizeof b);
    build_request(&b, e, spans, n);
    cg_status st = send_request(e, &b.req, timeout_ms);
    free_request(&b);
    for (size_t i = 0; i < n; i++)
        cgi_span_free(spans[i]);
    return st.code == GRPC_STATUS_OK;
}

/* Waits (with e->mu) until a batch is due; false when the thread is to
 * end. */
static bool wait_for_batch(cgi_exporter *e)
{
    struct timespec due = cgi_mono_timespec(cgi_now_ms() + e->o.delay_ms);
    while (!e->stop && !e->flush_asked && e->count < e->o.batch_max) {
        if (pthread_cond_timedwait(&e->work, &e->mu, &due) == 0)
            continue;
        if (e->count > 0)
            break; /* delay_ms passed with spans waiting */
        due = cgi_mono_timespec(cgi_now_ms() + e->o.delay_ms);
    }
    if (e->stop &&
        (e->count == 0 || e->abandon || cgi_now_ms() >= e->stop_at_ms)) {
        e->st.dropped += e->count;
        while (e->count > 0) {
            cgi_span_free(e->ring[e->head]);
            e->head = (e->head + 1) % e->o.queue_max;
            e->count--;
        }
        return false;
    }
    return true;
}

static void *export_thread(void *arg)
{
    cgi_exporter *e = arg;
    cgi_thread_name("cgrpc-otlp");
    cg_span **batch = cgi_calloc(e->o.batch_max, sizeof *batch);
    pthread_mutex_lock(&e->mu);
    while (wait_for_batch(e)) {
        size_t n = 0;
        while (n < e->o.batch_max && e->count > 0) {
            batch[n++] = e->ring[e->head];
            e->head = (e->head + 1) % e->o.queue_max;
            e->count--;
        }
        if (e->count == 0)
            e->flush_asked = false;
        e->inflight = n;
        int64_t timeout = e->o.timeout_ms;
        if (e->stop && e->stop_at_ms - cgi_now_ms() < timeout)
            timeout = e->stop_at_ms - cgi_now_ms();
        pthread_mutex_unlock(&e->mu);
        bool ok = n > 0 && export_spans(e, batch, n, timeout > 0 ? timeout : 1);
        pthread_mutex_lock(&e->mu);
        e->inflight = 0;
        if (ok)
            e->st.exported += n;
        else
            e->st.failed += n;
        pthread_cond_broadcast(&e->done);
    }
    e->finished = true;
    pthread_cond_broadcast(&e->done);
    pthread_mutex_unlock(&e->mu);
    free(batch);
    return NULL;
}

cgi_exporter *cgi_exporter_new(const cgi_export_opts *o, cg_status *err)
{
    cg_tls_client tls = {0};
    cg_channel_opts co = {.tls = o->tls ? &tls : NULL};
    cg_channel *ch = cg_channel_new(o->target, &co, err);
    if (ch == NULL)
        return NULL;
    cgi_exporter *e = cgi_calloc(1, sizeof *e);
    e->o = *o;
    e->o.target = NULL; /* not kept */
    e->service_name = cgi_strdup(o->service_name);
    e->ch = ch;
    e->st.exporting = true;
    e->ring = cgi_calloc(o->queue_max, sizeof *e->ring);
    pthread_mutex_init(&e->mu, NULL);
    cgi_cond_init_mono(&e->work);
    cgi_cond_init_mono(&e->done);
    if (cgi_thread_start(&e->thread, export_thread, e) != 0)
        cgi_die("cannot start the trace export thread");
    return e;
}

bool cgi_exporter_flush(cgi_exporter *e, int64_t timeout_ms)
{
    struct timespec until = cgi_mono_timespec(cgi_now_ms() + timeout_ms);
    pthread_mutex_lock(&e->mu);
    e->flush_asked = true;
    pthread_cond_signal(&e->work);
    int rc = 0;
    while ((e->count > 0 || e->inflight > 0) && !e->finished && rc == 0)
        rc = pthread_cond_timedwait(&e->done, &e->mu, &until);
    bool empty = e->count == 0 && e->inflight == 0;
    pthread_mutex_unlock(&e->mu);
    return empty;
}

void cgi_exporter_stats(cgi_exporter *e, cg_tracer_stats *out)
{
    pthread_mutex_lock(&e->mu);
    *out = e->st;
    pthread_mutex_unlock(&e->mu);
}

void cgi_exporter_free(cgi_exporter *e)
{
    pthread_mutex_lock(&e->mu);
    e->stop = true;
    e->stop_at_ms = cgi_now_ms() + e->o.shutdown_ms;
    pthread_cond_signal(&e->work);
    struct timespec until = cgi_mono_timespec(e->stop_at_ms);
    int rc = 0;
    while (!e->finished && rc == 0)
        rc = pthread_cond_timedwait(&e->done, &e->mu, &until);
    if (!e->finished) { /* past the wait: cut the call short */
        e->abandon = true;
        if (e->call != NULL)
            cg_call_cancel(e->call);
    }
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->thread, NULL);
    cg_channel_free(e->ch);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->work);
    pthread_cond_destroy(&e->done);
    free(e->ring);
    free(e->service_name);
    free(e);
}
