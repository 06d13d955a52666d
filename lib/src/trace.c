/*
 * trace.c: W3C trace context (traceparent, tracestate), spans, tracers.
 *
 * A span is one malloc'd struct: ids as hex text (what the headers carry),
 * times, up to CGI_SPAN_ATTRS attributes. Ending a recorded span hands it
 * to the tracer's exporter (trace_export.c), which queues it without
 * waiting; a span that is not recorded (no endpoint, trace not sampled) is
 * freed at once and costs a malloc, two random ids and a clock read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common.h"
#include "status.h"
#include "trace.h"

struct cg_tracer {
    cgi_exporter *exp; /* NULL: spans are not exported */
};

/* ---- traceparent ------------------------------------------------------- */

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static bool all_zero(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0')
            return false;
    return true;
}

static int hexval(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* "vv-<32>-<16>-ff": the fields of every version, at fixed places. */
static bool shape_ok(const char *p, size_t len)
{
    if (len < 55 || p[2] != '-' || p[35] != '-' || p[52] != '-')
        return false;
    if (!is_lower_hex(p, 2) || !is_lower_hex(p + 3, 32) ||
        !is_lower_hex(p + 36, 16) || !is_lower_hex(p + 53, 2))
        return false;
    if (strncmp(p, "ff", 2) == 0)
        return false; /* an invalid version */
    if (strncmp(p, "00", 2) == 0)
        return len == 55;
    return len == 55 || p[55] == '-'; /* a later version may add fields */
}

/* tracestate: printable ASCII, within the limit; otherwise not kept. */
static void keep_tracestate(const char *ts, cg_span_context *out)
{
    if (ts == NULL || strlen(ts) >= sizeof out->tracestate)
        return;
    for (const char *c = ts; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            return;
    strcpy(out->tracestate, ts);
}

bool cg_traceparent_parse(const char *traceparent, const char *tracestate,
                          cg_span_context *out)
{
    if (out == NULL)
        return false;
    memset(out, 0, sizeof *out);
    const char *p = traceparent;
    if (p == NULL || !shape_ok(p, strlen(p)) || all_zero(p + 3, 32) ||
        all_zero(p + 36, 16))
        return false;
    memcpy(out->trace_id, p + 3, 32);
    memcpy(out->span_id, p + 36, 16);
    out->flags = (uint8_t)(hexval(p[53]) << 4 | hexval(p[54]));
    keep_tracestate(tracestate, out);
    return true;
}

static bool context_valid(const cg_span_context *sc)
{
    return strlen(sc->trace_id) == 32 && is_lower_hex(sc->trace_id, 32) &&
           !all_zero(sc->trace_id, 32) && strlen(sc->span_id) == 16 &&
           is_lower_hex(sc->span_id, 16) && !all_zero(sc->span_id, 16);
}

bool cg_traceparent_format(const cg_span_context *sc, char *buf, size_t size)
{
    if (sc == NULL || buf == NULL || size < CG_TRACEPARENT_SIZE ||
        !context_valid(sc))
        return false;
    snprintf(buf, size, "00-%s-%s-%02x", sc->trace_id, sc->span_id,
             (unsigned)sc->flags);
    return true;
}

/* ---- ids ------------------------------------------------------------- */

/* A per-thread generator (splitmix64), seeded from the kernel once per
 * thread: ids must not repeat across processes, and need not be secret. */
static _Thread_local uint64_t rng_state;
static _Thread_local bool rng_seeded;

static uint64_t rng_next(void)
{
    if (!rng_seeded) {
        if (getrandom(&rng_state, sizeof rng_state, 0) != sizeof rng_state)
            rng_state =
                (uint64_t)cgi_now_us() ^ (uint64_t)(uintptr_t)&rng_state;
        rng_seeded = true;
    }
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* n (a multiple of 16) random hex digits, not all zero, into out[n+1]. */
static void random_hex(char *out, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    do {
        for (size_t i = 0; i < n; i += 16) {
            uint64_t r = rng_next();
            for (size_t k = 0; k < 16; k++, r >>= 4)
                out[i + k] = digits[r & 0xf];
        }
        out[n] = '\0';
    } while (all_zero(out, n));
}

/* ---- tracers --------------------------------------------------------- */

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : fallback;
}

/* The endpoint: opts', else the environment's; "" for none. */
static const char *endpoint_of(const cg_tracer_opts *opts)
{
    if (opts != NULL && opts->endpoint != NULL)
        return opts->endpoint;
    const char *v = env_or("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", NULL);
    return v != NULL ? v : env_or("OTEL_EXPORTER_OTLP_ENDPOINT", "");
}

/* "http://host:4317/" -> "host:4317" (tls false); https sets tls. False
 * for a scheme the exporter does not speak or no host. */
static bool split_endpoint(const char *ep, char *target, size_t size, bool *tls)
{
    *tls = false;
    if (strncmp(ep, "https://", 8) == 0) {
        *tls = true;
        ep += 8;
    } else if (strncmp(ep, "http://", 7) == 0) {
        ep += 7;
    } else if (strstr(ep, "://") != NULL) {
        return false;
    }
    size_t n = strlen(ep);
    while (n > 0 && ep[n - 1] == '/')
        n--;
    if (n == 0 || n >= size)
        return false;
    memcpy(target, ep, n);
    target[n] = '\0';
    return true;
}

static cgi_export_opts export_opts(const cg_tracer_opts *opts)
{
    cg_tracer_opts o = {0};
    if (opts != NULL)
        o = *opts;
    cgi_export_opts e = {
        .service_name = o.service_name != NULL
                            ? o.service_name
                            : env_or("OTEL_SERVICE_NAME", "unknown_service"),
        .queue_max = o.queue_max > 0 ? o.queue_max : 2048,
        .batch_max = o.batch_max > 0 ? o.batch_max : 512,
        .delay_ms = o.delay_ms > 0 ? o.delay_ms : 1000,
        .timeout_ms = o.export_timeout_ms > 0 ? o.export_timeout_ms : 10000,
        .shutdown_ms = o.shutdown_ms > 0 ? o.shutdown_ms : 2000,
    };
    if (e.batch_max > e.queue_max)
        e.batch_max = e.queue_max;
    return e;
}

cg_tracer *cg_tracer_new(const cg_tracer_opts *opts, cg_status *err)
{
    const char *ep = endpoint_of(opts);
    cg_tracer *t = cgi_calloc(1, sizeof *t);
    if (ep[0] == '\0')
        return t;
    char target[512];
    cgi_export_opts eo = export_opts(opts);
    if (!split_endpoint(ep, target, sizeof target, &eo.tls)) {
        if (err != NULL)
            *err = cgi_status(GRPC_STATUS_INVALID_ARGUMENT,
                              "cg_tracer_new: cannot use the endpoint \"%s\" "
                              "(expected http://host:port)",
                              ep);
        free(t);
        return NULL;
    }
    eo.target = target;
    t->exp = cgi_exporter_new(&eo, err);
    if (t->exp == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

bool cg_tracer_flush(cg_tracer *t, int64_t timeout_ms)
{
    if (t == NULL)
        return false;
    return t->exp == NULL || cgi_exporter_flush(t->exp, timeout_ms);
}

bool cgi_tracer_exports(const cg_tracer *t)
{
    return t != NULL && t->exp != NULL;
}

cg_tracer_stats cg_tracer_stats_get(cg_tracer *t)
{
    cg_tracer_stats st = {0};
    if (t != NULL && t->exp != NULL)
        cgi_exporter_stats(t->exp, &st);
    return st;
}

void cg_tracer_free(cg_tracer *t)
{
    if (t == NULL)
        return;
    if (t->exp != NULL)
        cgi_exporter_free(t->exp);
    free(t);
}

/* ---- spans ----------------------------------------------------------- */

static uint64_t unix_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

cg_span *cg_span_start(cg_tracer *t, const char *name, cg_span_kind kind,
                       const cg_span_context *parent)
{
    if (t == NULL || name == NULL)
        return NULL;
    cg_span *s = cgi_calloc(1, sizeof *s);
    if (parent != NULL && context_valid(parent)) {
        s->sc = *parent;
        memcpy(s->parent_id, parent->span_id, sizeof s->parent_id);
    } else {
        random_hex(s->sc.trace_id, 32);
        s->sc.flags = 0x01; /* a new trace is sampled */
    }
    random_hex(s->sc.span_id, 16);
    s->kind = kind;
    s->exp = t->exp;
    s->recording = t->exp != NULL && (s->sc.flags & 0x01);
    if (s->recording) {
        s->name = cgi_strdup(name);
        s->start_unix_ns = unix_ns();
        s->start_mono_ns = mono_ns();
    }
    return s;
}

const cg_span_context *cg_span_context_of(const cg_span *s)
{
    return s != NULL ? &s->sc : NULL;
}

/* The attribute `key`: the one already set, else a new one; NULL when the
 * span is full (the attribute is then counted as dropped). */
static cgi_attr *attr_slot(cg_span *s, const char *key)
{
    for (size_t i = 0; i < s->n_attrs; i++)
        if (strcmp(s->attrs[i].key, key) == 0) {
            free(s->attrs[i].str);
            s->attrs[i].str = NULL;
            return &s->attrs[i];
        }
    if (s->n_attrs == CGI_SPAN_ATTRS) {
        s->dropped_attrs++;
        return NULL;
    }
    cgi_attr *a = &s->attrs[s->n_attrs++];
    a->key = cgi_strdup(key);
    return a;
}

bool cg_span_set_str(cg_span *s, const char *key, const char *value)
{
    if (s == NULL || key == NULL || value == NULL)
        return false;
    if (!s->recording)
        return true;
    cgi_attr *a = attr_slot(s, key);
    if (a != NULL)
        a->str = cgi_strdup(value);
    return a != NULL;
}

bool cg_span_set_int(cg_span *s, const char *key, int64_t value)
{
    if (s == NULL || key == NULL)
        return false;
    if (!s->recording)
        return true;
    cgi_attr *a = attr_slot(s, key);
    if (a != NULL)
        a->num = value;
    return a != NULL;
}

bool cg_span_set_error(cg_span *s, const char *message)
{
    if (s == NULL)
        return false;
    s->error = true;
    if (s->recording) {
        free(s->error_message);
        s->error_message = message != NULL ? cgi_strdup(message) : NULL;
    }
    return true;
}

static _Thread_local cg_span *current_span;

void cg_span_end(cg_span *s)
{
    if (s == NULL)
        return;
    if (current_span == s) /* a mistake; never leave a dangling current */
        current_span = NULL;
    if (!s->recording) {
        cgi_span_free(s);
        return;
    }
    s->end_unix_ns =
        s->start_unix_ns + (uint64_t)(mono_ns() - s->start_mono_ns);
    cgi_exporter_push(s->exp, s);
}

cg_span *cg_span_swap_current(cg_span *s)
{
    cg_span *prev = current_span;
    current_span = s;
    return prev;
}

bool cg_span_current_context(cg_span_context *out)
{
    if (out == NULL || current_span == NULL)
        return false;
    *out = current_span->sc;
    return true;
}
