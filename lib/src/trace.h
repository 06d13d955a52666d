/*
 * trace.h: what the tracing units share: a span's insides, and the export
 * queue (trace_export.c) that trace.c hands ended spans to.
 *
 * Layers: trace_export (the queue, the thread, OTLP messages) is below
 * trace (span context, spans, tracers), which is below trace_rpc (the
 * interceptors, built on the public functions and cgi_tracer_exports).
 */
#ifndef CGRPC_TRACE_H
#define CGRPC_TRACE_H

#include "cgrpc.h"

/* Attributes a span keeps; more are counted as dropped. */
#define CGI_SPAN_ATTRS 16

typedef struct cgi_attr {
    char *key;
    char *str;   /* the value when it is a string, else NULL */
    int64_t num; /* the value when str is NULL */
} cgi_attr;

struct cg_span {
    cg_span_context sc;
    char parent_id[17]; /* "" for a root span */
    char *name;
    cg_span_kind kind;
    bool recording; /* to be exported */
    struct cgi_exporter *exp;
    uint64_t start_unix_ns, end_unix_ns;
    int64_t start_mono_ns;
    size_t n_attrs;
    uint32_t dropped_attrs;
    cgi_attr attrs[CGI_SPAN_ATTRS];
    bool error;
    char *error_message; /* NULL for none */
};

/* The export side of a tracer: a bounded queue and the thread that empties
 * it into Export calls. */
typedef struct cgi_exporter cgi_exporter;

typedef struct cgi_export_opts {
    const char *target; /* a gRPC target, "host:port" */
    bool tls;           /* https: TLS with the system's roots */
    const char *service_name;
    size_t queue_max, batch_max;
    int64_t delay_ms, timeout_ms, shutdown_ms;
} cgi_export_opts;

/* Whether t sends its spans anywhere (an endpoint is set). */
bool cgi_tracer_exports(const cg_tracer *t);

/* Frees a span and what it holds (here, as the exporter frees the spans
 * it sent). */
void cgi_span_free(cg_span *s);

/* Starts the export thread; NULL with *err filled when the channel cannot
 * be made. */
cgi_exporter *cgi_exporter_new(const cgi_export_opts *o, cg_status *err);

/* Queues an ended span (taking it) or drops it when the queue is full.
 * Never waits for the network. */
void cgi_exporter_push(cgi_exporter *e, cg_span *s);

bool cgi_exporter_flush(cgi_exporter *e, int64_t timeout_ms);
void cgi_exporter_stats(cgi_exporter *e, cg_tracer_stats *out);

/* Sends what it can within the shutdown wait, then stops and frees. */
void cgi_exporter_free(cgi_exporter *e);

#endif
