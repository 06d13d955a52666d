/*
 * otlp_receiver.h: a real OTLP/gRPC trace receiver for the tests, built with
 * the runtime: a server on 127.0.0.1:0 implementing
 * opentelemetry.proto.collector.trace.v1.TraceService/Export that keeps a
 * copy of every span it receives. The runtime's suite (test_trace.c) and
 * step 7's tracing suite point a tracer at it and read back what arrived.
 *
 * Its Export handler can be held (otlp_receiver_hold): then it blocks until
 * released or cancelled, which is how a test fills a tracer's queue.
 * Nothing here uses cmocka.
 */
#ifndef OTLP_RECEIVER_H
#define OTLP_RECEIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cgrpc.h>

#define OTLP_REC_ATTRS 16

typedef struct otlp_attr_rec {
    char key[64];
    bool is_int;
    int64_t num;   /* the value when is_int */
    char str[128]; /* the value otherwise */
} otlp_attr_rec;

/* One span as received, ids back to hex text. */
typedef struct otlp_span_rec {
    char service_name[64]; /* the resource's service.name */
    char trace_id[33], span_id[17], parent_id[17]; /* parent "" for a root */
    char trace_state[CG_TRACESTATE_MAX];
    char name[128];
    int kind; /* OTLP SpanKind: 2 SERVER, 3 CLIENT */
    uint64_t start_ns, end_ns;
    uint32_t flags;
    int status_code; /* 0 UNSET, 1 OK, 2 ERROR */
    char status_message[CG_STATUS_MESSAGE_MAX];
    size_t n_attrs;
    otlp_attr_rec attrs[OTLP_REC_ATTRS];
} otlp_span_rec;

typedef struct otlp_receiver otlp_receiver;

/* Starts a receiver; its endpoint ("http://127.0.0.1:PORT") goes into
 * endpoint[size]. NULL when it cannot start. */
otlp_receiver *otlp_receiver_start(char *endpoint, size_t size);
void otlp_receiver_stop(otlp_receiver *r);

/* Waits until at least n spans have arrived or timeout_ms passed; returns
 * how many have arrived. */
size_t otlp_receiver_wait(otlp_receiver *r, size_t n, int64_t timeout_ms);

/* Export calls received so far (held ones included). */
int otlp_receiver_calls(otlp_receiver *r);

/* Waits until at least n Export calls have arrived; false on timeout. */
bool otlp_receiver_wait_calls(otlp_receiver *r, int n, int64_t timeout_ms);

/* Copies the i-th span received (in order of arrival); false past the end. */
bool otlp_receiver_span(otlp_receiver *r, size_t i, otlp_span_rec *out);

/* Holds (true) or releases (false) the Export handlers. */
void otlp_receiver_hold(otlp_receiver *r, bool hold);

/* A span's attribute: its string value (NULL when absent or not a string),
 * or its integer value into *out (false when absent or not an integer). */
const char *otlp_attr_str(const otlp_span_rec *s, const char *key);
bool otlp_attr_int(const otlp_span_rec *s, const char *key, int64_t *out);

#endif
